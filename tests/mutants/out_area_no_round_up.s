; witness for out_area_no_round_up: one memory argument (arg 9) leaves an 8-byte outgoing
; area, so SP is no longer 16-byte aligned at the call of kf_args9
.func main
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    *(u64 *)(r11 - 16) = 7
    *(u64 *)(r11 - 24) = 8
    *(u64 *)(r11 - 32) = 9
    call kfunc kf_args9
    exit

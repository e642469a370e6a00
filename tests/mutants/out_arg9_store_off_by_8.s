; witness for out_arg9_store_off_by_8: outgoing arg 9 (STX form) stored at [SP+8]
.func main
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    *(u64 *)(r11 - 16) = 7
    *(u64 *)(r11 - 24) = 8
    r0 = 9
    *(u64 *)(r11 - 32) = r0
    call f9
    exit

.func f9, 9
    r0 = *(u64 *)(r11 + 32)
    exit

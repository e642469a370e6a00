; witness for jit-19-kfunc12-wild-branch: a call of kf_args12 branches 1 GiB past the function
; (CRASH)
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
    *(u64 *)(r11 - 40) = 10
    *(u64 *)(r11 - 48) = 11
    *(u64 *)(r11 - 56) = 12
    call kfunc kf_args12
    exit

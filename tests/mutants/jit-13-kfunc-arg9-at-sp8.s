; witness for jit-13-kfunc-arg9-at-sp8: before a kfunc call, arg 9 (STX form) goes to [SP+8];
; the C callee reads it at [SP+0]
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
    call kfunc kf_args9
    exit

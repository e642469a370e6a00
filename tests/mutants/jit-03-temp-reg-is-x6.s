; witness for jit-03-temp-reg-is-x6: the temporary of r1 %= 3 (MOD K) is x6, which still
; holds incoming arg 7 (loads need only come before stores and calls)
.func main
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    *(u64 *)(r11 - 16) = 7
    call f7
    exit

.func f7, 7
    r1 %= 3
    r6 = *(u64 *)(r11 + 16)
    r0 = r6
    exit

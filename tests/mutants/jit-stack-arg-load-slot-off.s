; witness for jit-stack-arg-load-slot-off: incoming arg 9 read at [FP+24] (arg 10) instead of [FP+16]
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
    call f10
    exit

.func f10, 10
    r0 = *(u64 *)(r11 + 32)
    exit

; witness for jit-01-arg6-arg7-swapped: arg 6 and arg 7 read from each other's register
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
    r6 = *(u64 *)(r11 + 8)
    r7 = *(u64 *)(r11 + 16)
    r0 = r6
    r0 <<= 8
    r0 |= r7
    exit

; witness for jit-14-stack-arg-str32: arg 9 stored with a 32-bit store loses its high half
.func main
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    *(u64 *)(r11 - 16) = 7
    *(u64 *)(r11 - 24) = 8
    r0 = 0x1122334455667788 ll
    *(u64 *)(r11 - 32) = r0
    call f9
    exit

.func f9, 9
    r0 = *(u64 *)(r11 + 32)
    exit

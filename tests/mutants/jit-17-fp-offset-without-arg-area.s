; witness for jit-17-fp-offset-without-arg-area: an r10 load in a function with an outgoing area (a
; 9-argument call) forgets the area and reads 16 bytes too low
.func main
    r1 = 0x55
    *(u64 *)(r10 - 8) = r1
    r1 = 1
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    *(u64 *)(r11 - 8) = 6
    *(u64 *)(r11 - 16) = 7
    *(u64 *)(r11 - 24) = 8
    *(u64 *)(r11 - 32) = 9
    call f9
    r0 = *(u64 *)(r10 - 8)
    exit

.func f9, 9
    r0 = *(u64 *)(r11 + 32)
    exit

; witness for jit-20-prologue-spin-7args: the prologue of a 7-argument function branches to
; itself (TIMEOUT)
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
    r0 = *(u64 *)(r11 + 16)
    exit

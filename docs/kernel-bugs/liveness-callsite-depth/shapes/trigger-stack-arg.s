; triggers: repro.s with the pointer passed as stack argument 6 (r11) on every call
.func main
    call f1
    exit
.func f1
    *(u64 *)(r10 - 8) = 1
    *(u64 *)(r10 - 16) = 2
    *(u64 *)(r11 - 8) = r10
    call f3
    r1 = r10
    r1 += -8
    *(u64 *)(r11 - 8) = r1
    call f2
    exit
.func f2, 6
    r1 = *(u64 *)(r11 + 8)
    *(u64 *)(r11 - 8) = r1
    call f3
    exit
.func f3, 6
    r1 = *(u64 *)(r11 + 8)
    *(u64 *)(r11 - 8) = r1
    call f4
    exit
.func f4, 6
    r1 = *(u64 *)(r11 + 8)
    r0 = *(u64 *)(r1 - 8)
    exit

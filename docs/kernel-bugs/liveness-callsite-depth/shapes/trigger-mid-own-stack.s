; triggers: f2 passes a pointer to its own stack to f3 (the seed-474 shape)
.func main
    r1 = 0
    call f1
    exit
.func f1, 1
    *(u64 *)(r10 - 8) = 1
    r1 = r10
    r1 += -8
    call f3
    r1 = r10
    call f2
    exit
.func f2, 1
    *(u64 *)(r10 - 16) = 2
    r1 = r10
    r1 += -16
    call f3
    exit
.func f3, 1
    call f4
    exit
.func f4, 1
    r0 = *(u64 *)(r1 + 0)
    exit

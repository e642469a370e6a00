; loads: f3 has one call site (f1 -> f2 -> f3): one instance per callsite
.func main
    call f1
    exit
.func f1, 1
    *(u64 *)(r10 - 8) = 1
    r1 = r10
    r1 += -8
    call f2
    exit
.func f2, 1
    call f3
    exit
.func f3, 1
    call f4
    exit
.func f4, 1
    r0 = *(u64 *)(r1 + 0)
    exit

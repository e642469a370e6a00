; loads: main is where the analysis starts (no frame offset: depth = frame)
.func main
    *(u64 *)(r10 - 8) = 1
    r1 = r10
    r1 += -8
    call f3
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

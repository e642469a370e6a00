; imported by `callfuzz import` from deepchain.bpf.o (program deepchain)
.func deepchain
    r6 = r1
    r5 = *(u64 *)(r6 + 32)
    r4 = *(u64 *)(r6 + 24)
    r3 = *(u64 *)(r6 + 16)
    r2 = *(u64 *)(r6 + 8)
    r1 = *(u64 *)(r6 + 0)
    call d2
    r7 = r0
    call d1
    *(u64 *)(r6 + 136) = r0
    *(u64 *)(r6 + 128) = r7
    w0 += w7
    exit

.func d2, 5, global
    r6 = r4
    r7 = r3
    r8 = r2
    r5 ^= r1
    r1 = r5
    call d3
    r9 = r0
    r7 += r8
    r1 = r7
    call d3
    r9 -= r6
    r9 += r0
    r0 = r9
    exit

.func d3, 1
    r3 = r1
    r3 >>= 7
    r2 = r1
    r2 *= 3
    r4 = r1
    r4 ^= -1
    call d4
    exit

.func d4, 4, global
    r6 = r4
    r7 = r3
    r8 = r2
    r9 = r1
    r2 = r7
    r3 = r6
    call d5
    *(u64 *)(r10 - 8) = r0
    r6 ^= r7
    w1 = w8
    w1 *= w9
    r2 = r8
    r3 = r6
    call d5
    r1 = *(u64 *)(r10 - 8)
    r0 += r1
    exit

.func d5, 3
    r6 = r2
    r2 = r6
    r2 ^= r1
    r1 = r2
    w2 = w3
    call d6
    r0 -= r6
    exit

.func d6, 2, global
    w4 = w2
    r6 = r1
    w7 = w4
    w4 <<= 2
    r5 = r7
    r5 ^= r6
    r3 = r6
    r3 >>= 3
    r2 = r7
    call d7
    r8 = r0
    r1 = r7
    r2 = r6
    r3 = 7
    r4 = 9
    r5 = 11
    call d7
    r0 += r8
    exit

.func d7, 5
    r0 = r3
    r2 += r1
    r0 -= r4
    r0 ^= r2
    r5 |= 1
    r0 *= r5
    exit

.func d1
    r1 = 4660
    r3 = r1
    r3 += 22136
    r4 = r1
    r4 *= 22136
    r2 = 22136
    r5 = 5
    call d2
    exit

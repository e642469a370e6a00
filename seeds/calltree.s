; imported by `callfuzz import` from calltree.bpf.o (program calltree)
.func calltree
    r6 = r1
    r8 = *(u64 *)(r6 + 32)
    r7 = *(u64 *)(r6 + 24)
    r9 = *(u64 *)(r6 + 16)
    r2 = *(u64 *)(r6 + 8)
    *(u64 *)(r10 - 32) = r2
    r1 = *(u64 *)(r6 + 0)
    *(u64 *)(r10 - 16) = r1
    r3 = r9
    r4 = r7
    *(u64 *)(r10 - 24) = r7
    r5 = r8
    call mix5
    *(u64 *)(r10 - 8) = r0
    r1 = *(u64 *)(r10 - 32)
    r2 = r9
    r3 = r7
    r4 = r8
    r5 = *(u64 *)(r10 - 16)
    call glob_b
    r7 = r0
    r1 = r9
    r2 = *(u64 *)(r10 - 24)
    w3 = w8
    call glob_a
    *(u64 *)(r6 + 136) = r7
    r1 = *(u64 *)(r10 - 8)
    *(u64 *)(r6 + 128) = r1
    r7 ^= r1
    *(u64 *)(r6 + 144) = r0
    r7 ^= r0
    *(u64 *)(r6 + 152) = r7
    w0 = w7
    exit

.func mix5, 5
    w0 = w2
    w0 += w1
    w6 = w3
    w6 <<= 5
    w6 ^= w0
    r0 = r4
    r0 ^= r3
    w4 |= 3
    w6 /= w4
    r2 -= r5
    r3 = r6
    r3 += r1
    r5 += 1
    r1 = r3
    r3 = r0
    r4 = r5
    call fold4
    r6 <<= 32
    r6 ^= r0
    r0 = r6
    exit

.func fold4, 4
    r6 = r4
    r7 = r3
    r8 = r1
    if r2 s> -1 goto l10
    r1 = r2
    r2 = r7
    w3 = w6
    call rot3
    r0 += r8
    goto l16
l10:
    w3 = w6
    w3 >>= 2
    r1 = r7
    call rot3
    r8 -= r0
    r0 = r8
l16:
    r7 |= 1
    r6 %= r7
    r0 *= 3
    r0 += r6
    exit

.func rot3, 3
    w6 = w3
    r4 = r6
    r4 &= 63
    r3 = r1
    r3 <<= r4
    w4 = w6
    w4 = -w4
    r4 &= 63
    r1 >>= r4
    r3 |= r1
    r3 ^= r2
    w2 = w6
    w2 |= 1
    r1 = r3
    call sq2
    w1 = w6
    r1 = (s32)r1
    r0 += r1
    exit

.func sq2, 2
    w6 = w2
    w2 = w1
    w2 *= w6
    w2 += 40503
    r1 *= r1
    r1 += r2
    call half1
    w6 >>= 3
    r0 -= r6
    exit

.func half1, 1
    r0 = r1
    r1 <<= 7
    r0 >>= 1
    r0 ^= r1
    exit

.func glob_b, 5, global
    r6 = r3
    r7 = r2
    r8 = r1
    r1 = r5
    r2 = r4
    r4 = r7
    r5 = r8
    call mix5
    r9 = r0
    r1 = r8
    r2 = r7
    w3 = w6
    call glob_a
    r0 += r9
    exit

.func glob_a, 3, global
    r6 = r1
    r2 &= 32766
    r2 |= 1
    w1 = w3
    r1 += r6
    r6 s/= r2
    call half1
    r0 += r6
    exit

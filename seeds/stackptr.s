; imported by `callfuzz import` from stackptr.bpf.o (program stackptr)
.func stackptr
    r6 = r1
    r7 = *(u64 *)(r6 + 8)
    r1 = *(u64 *)(r6 + 0)
    r4 = *(u64 *)(r6 + 24)
    r3 = *(u64 *)(r6 + 16)
    r2 = r7
    call owner
    r8 = r0
    r3 = r10
    r3 += -8
    r1 = r8
    r2 = r7
    call divmod
    *(u64 *)(r6 + 128) = r8
    w1 = w0
    r2 = *(u64 *)(r10 - 8)
    *(u64 *)(r6 + 144) = r1
    *(u64 *)(r6 + 136) = r2
    w2 *= 3
    w2 += w8
    w0 += w2
    exit

.func owner, 4
    w7 = w4
    *(u32 *)(r10 - 72) = r7
    *(u32 *)(r10 - 80) = r3
    r8 = r2
    r2 = r1
    *(u64 *)(r10 - 88) = r2
    w3 |= 1
    r6 = r10
    r6 += -32
    r1 = r6
    call fill4
    *(u64 *)(r10 - 96) = r0
    w3 = w7
    w3 |= 1
    r7 = r10
    r7 += -64
    r1 = r7
    r2 = r8
    call fill4
    r9 = r0
    r1 = *(u64 *)(r10 - 96)
    r9 ^= r1
    r1 = r6
    r6 = *(u64 *)(r10 - 88)
    r2 = r6
    r3 = r8
    r4 = *(u32 *)(r10 - 80)
    call middle
    r9 += r0
    r1 = r7
    r2 = r8
    r3 = r6
    r4 = *(u32 *)(r10 - 72)
    call middle
    r9 += r0
    r1 = *(u64 *)(r10 - 32)
    r2 = *(u64 *)(r10 - 64)
    r2 ^= r1
    r9 *= 31
    r2 += r9
    r1 = *(u64 *)(r10 - 24)
    r3 = *(u64 *)(r10 - 56)
    r3 ^= r1
    r2 *= 31
    r3 += r2
    r1 = *(u64 *)(r10 - 16)
    r2 = *(u64 *)(r10 - 48)
    r2 ^= r1
    r3 *= 31
    r2 += r3
    r1 = *(u64 *)(r10 - 8)
    r0 = *(u64 *)(r10 - 40)
    r0 ^= r1
    r2 *= 31
    r0 += r2
    exit

.func fill4, 3
    r0 = r2
    *(u64 *)(r1 + 0) = r0
    r2 = 0x5851f42d4c957f2d ll
    r0 *= r2
    w3 = w3
    r0 += r3
    *(u64 *)(r1 + 8) = r0
    r0 *= r2
    r0 += r3
    *(u64 *)(r1 + 16) = r0
    r0 *= r2
    r0 += r3
    *(u64 *)(r1 + 24) = r0
    r0 *= r2
    r0 += r3
    exit

.func middle, 4
    w5 = w4
    r4 = r3
    r3 += r2
    r4 ^= r2
    r2 = r10
    r2 += -8
    call twist
    r2 = *(u32 *)(r10 - 8)
    r1 = *(u32 *)(r10 - 4)
    r1 <<= 32
    r1 |= r2
    r1 ^= r0
    r0 = r1
    exit

.func twist, 5
    w0 = w5
    w0 &= 31
    r4 >>= r0
    r0 = *(u64 *)(r1 + 16)
    r0 ^= r4
    r4 = *(u64 *)(r1 + 8)
    r4 += r3
    *(u64 *)(r1 + 8) = r4
    *(u64 *)(r1 + 16) = r0
    r4 = *(u64 *)(r1 + 0)
    r0 = *(u64 *)(r1 + 24)
    r0 ^= r4
    r1 = r0
    r1 >>= 32
    w1 -= w3
    *(u32 *)(r2 + 4) = r1
    w1 = w0
    w1 += w5
    *(u32 *)(r2 + 0) = r1
    r0 += r1
    exit

.func divmod, 3
    r2 |= 1
    r0 = r1
    r0 /= r2
    r4 = r0
    r4 *= r2
    r1 -= r4
    *(u64 *)(r3 + 0) = r1
    exit

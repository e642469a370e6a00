; imported by `callfuzz import` from ctxwalk.bpf.o (program ctxwalk)
.func ctxwalk
    r6 = r1
    r3 = *(u32 *)(r6 + 72)
    r2 = *(u64 *)(r6 + 0)
    call walk
    r2 = *(u32 *)(r6 + 76)
    r4 = *(u8 *)(r6 + 113)
    r3 = *(u16 *)(r6 + 100)
    r1 = r0
    call mix_global
    r1 = *(u8 *)(r6 + 120)
    r2 = *(u16 *)(r6 + 104)
    r2 <<= 8
    r2 |= r1
    r1 = *(u32 *)(r6 + 80)
    r1 <<= 24
    r2 |= r1
    *(u64 *)(r6 + 160) = r2
    *(u64 *)(r6 + 152) = r0
    r0 >>= 7
    exit

.func walk, 3
    w7 = w3
    r8 = r2
    r6 = r1
    r5 = *(u16 *)(r6 + 98)
    r3 = *(u64 *)(r6 + 24)
    w4 = w7
    call branchy
    r1 = *(u32 *)(r6 + 68)
    r2 = r0
    r2 += r1
    *(u64 *)(r6 + 136) = r2
    w7 >>= 3
    w5 = w8
    w5 &= 65535
    r1 = r6
    r2 = r0
    r3 = r8
    w4 = w7
    call branchy
    *(u64 *)(r6 + 144) = r0
    r1 = *(u64 *)(r6 + 136)
    r1 ^= r0
    r0 = r1
    exit

.func branchy, 5
    r0 = r2
    r6 = r1
    w1 = w4
    w1 &= 1
    if w1 == 0 goto l8
    r7 = *(u64 *)(r6 + 8)
    r7 += r0
    goto l11
l8:
    r1 = *(u64 *)(r6 + 16)
    r7 = r3
    r7 -= r1
l11:
    w1 = w4
    w1 &= 6
    if w1 != 4 goto l21
    r1 = r6
    w2 = w4
    r3 = r0
    call leaf
    w1 = w0
    r7 ^= r1
    goto l26
l21:
    r1 = r6
    w2 = w5
    call leaf
    w1 = w0
    r7 += r1
l26:
    *(u64 *)(r6 + 128) = r7
    r7 *= 5
    r0 = r7
    exit

.func leaf, 3
    r4 = r3
    r4 >>= 8
    *(u16 *)(r1 + 104) = r4
    r4 = *(u32 *)(r1 + 64)
    w4 ^= w3
    *(u32 *)(r1 + 80) = r4
    w4 = w2
    w4 += w3
    *(u8 *)(r1 + 120) = r4
    r0 = *(u8 *)(r1 + 112)
    w0 += w2
    r1 = *(u16 *)(r1 + 96)
    w0 += w1
    exit

.func mix_global, 4, global
    r5 = 0x9e3779b97f4a7c15 ll
    r1 *= r5
    w0 = w2
    r0 <<= 16
    r0 ^= r1
    w1 = w3
    r1 <<= 8
    r0 ^= r1
    w1 = w4
    r0 ^= r1
    exit

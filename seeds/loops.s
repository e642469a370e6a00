; imported by `callfuzz import` from loops.bpf.o (program loops)
.func loops
    r6 = r1
    r1 = *(u16 *)(r6 + 2)
    *(u64 *)(r10 - 8) = r1
    r8 = (s16)r1
    r9 = *(s8 *)(r6 + 0)
    r1 = *(u32 *)(r6 + 4)
    *(u32 *)(r10 - 24) = r1
    r1 = *(u64 *)(r6 + 16)
    *(u64 *)(r10 - 32) = r1
    r7 = *(u64 *)(r6 + 8)
    w2 = w7
    call collatz
    *(u64 *)(r10 - 16) = r0
    *(u64 *)(r10 - 40) = r9
    w1 = w9
    r1 = (s32)r1
    r8 += r1
    r1 = *(u64 *)(r10 - 32)
    r2 = r8
    r9 = *(u32 *)(r10 - 24)
    w3 = w9
    call sdivs
    *(u64 *)(r10 - 32) = r0
    w1 = w7
    w1 >>= 4
    w7 >>= 8
    r3 = r0
    r8 = *(u64 *)(r10 - 16)
    r3 ^= r8
    w2 = w7
    call nested
    r7 = r0
    r1 = r7
    w2 = w9
    r3 = *(u64 *)(r10 - 8)
    call swaps
    *(u64 *)(r6 + 144) = r7
    r1 = *(u64 *)(r10 - 32)
    *(u64 *)(r6 + 136) = r1
    *(u64 *)(r6 + 128) = r8
    *(u64 *)(r6 + 152) = r0
    r1 = r0
    r1 >>= 33
    if r0 s< 0 goto l47
    r1 = *(u64 *)(r10 - 40)
    w0 += w1
    w1 = w0
l47:
    w0 = w1
    exit

.func collatz, 2
    r0 = 0
    w2 &= 15
    if w2 == 0 goto l14
    if r1 < 2 goto l14
    w3 = 1
    r4 = 0x100000000 ll
    r5 = r1
    goto l18
l9:
    r0 += r4
    if w2 <= w3 goto l14
    w3 += 1
    r5 = r1
    if r1 > 1 goto l18
l14:
    r1 <<= 32
    r1 >>= 32
    r0 |= r1
    exit
l18:
    r1 >>= 1
    r6 = r5
    r6 &= 1
    if r6 == 0 goto l9
    r5 *= 3
    r5 += 1
    r1 = r5
    goto l9

.func sdivs, 3
    r0 = r1
    r2 &= 255
    r2 += -128
    r1 = -1
    if r2 == 0 goto l6
    r1 = r2
l6:
    r2 = r0
    r2 s/= r1
    r4 = r2
    r4 *= r1
    r0 -= r4
    r0 += r2
    w1 = w3
    w1 s%= 7
    w1 += -3
    w2 = 5
    if w1 == 0 goto l18
    w2 = w1
l18:
    w3 s/= w2
    r1 = (s32)r3
    r0 += r1
    exit

.func nested, 3
    r0 = r3
    w1 &= 3
    if w1 == 0 goto l22
    r3 = 0
    w2 &= 3
    r4 = 0x100000001b3 ll
    r5 = 0
    goto l13
l9:
    r3 += 8
    r5 += 1
    if r5 < r1 goto l13
    goto l22
l13:
    if w2 == 0 goto l9
    r6 = 0
l15:
    r7 = r3
    r7 += r6
    r0 ^= r7
    r0 *= r4
    r6 += 1
    if r6 < r2 goto l15
    goto l9
l22:
    exit

.func swaps, 3
    r0 = r1
    r2 = bswap32 r2
    r0 = bswap64 r0
    r0 ^= r2
    r3 = bswap16 r3
    r0 ^= r3
    exit

/* seeds/c/loops.bpf.c: small bounded loops (trip counts from ctx, masked
 * so the verifier sees the bound), nested loops, signed and unsigned
 * compares, signed division (ISA v4 sdiv/smod), sign-extending moves and
 * loads, byte swaps. */
#include "seed.h"

struct loop_in {
	s8 b;
	u8 pad;
	s16 h;
	s32 w;
	u64 trips;
	u64 seed;
} __attribute__((may_alias)); /* it overlays ctx->in */

static __noinline u64 collatz(u64 x, u32 limit)
{
	u64 steps = 0;

	for (u32 i = 0; i < (limit & 15); i++) {
		if (x <= 1)
			break;
		x = (x & 1) ? 3 * x + 1 : x >> 1;
		steps++;
	}
	return steps << 32 | (u32)x;
}

static __noinline s64 sdivs(s64 a, s64 b, s32 c)
{
	s64 d = (b & 0xff) - 128;
	s32 e = c % 7 - 3;

	if (d == 0)
		d = -1;
	if (e == 0)
		e = 5;
	return a / d + a % d + (s64)(c / e);
}

static __noinline u64 nested(u32 n, u32 m, u64 v)
{
	u64 acc = v;

	for (u32 i = 0; i < (n & 3); i++)
		for (u32 j = 0; j < (m & 3); j++)
			acc = (acc ^ (i * 8 + j)) * 0x100000001b3ull;
	return acc;
}

static __noinline u64 swaps(u64 a, u32 b, u16 c)
{
	return __builtin_bswap64(a) ^ __builtin_bswap32(b) ^ __builtin_bswap16(c);
}

SEC("syscall")
int loops(struct seed_ctx *ctx)
{
	struct loop_in *in = (struct loop_in *)ctx->in;
	s64 b = in->b, h = in->h, w = in->w; /* sign-extending loads */
	u64 r0, r1, r2, r3;

	r0 = collatz(in->seed, (u32)in->trips);
	r1 = (u64)sdivs((s64)in->seed, b + h, (s32)w);
	r2 = nested((u32)in->trips >> 4, (u32)in->trips >> 8, r0 ^ r1);
	r3 = swaps(r2, (u32)w, (u16)h);
	ctx->out[0] = r0;
	ctx->out[1] = r1;
	ctx->out[2] = r2;
	ctx->out[3] = r3;
	if ((s64)r3 < 0)
		return (int)(r3 >> 33);
	return (int)((u32)r3 + (u32)(s32)b);
}

char LICENSE[] SEC("license") = "GPL";

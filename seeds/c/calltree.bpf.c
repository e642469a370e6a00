/* seeds/c/calltree.bpf.c: a deep call tree of static and global functions
 * with 1..5 arguments, mixing 32-bit and 64-bit arithmetic. main -> mix5 ->
 * fold4 -> rot3 -> sq2 -> half1 is 6 frames deep; the global functions
 * glob_a/glob_b start their own verification (scalars only). */
#include "seed.h"

static __noinline u64 half1(u64 a)
{
	return (a >> 1) ^ (a << 7);
}

static __noinline u64 sq2(u64 a, u32 b)
{
	u32 lo = (u32)a * b + 0x9e37u;

	return half1(a * a + lo) - (b >> 3);
}

static __noinline u64 rot3(u64 a, u64 b, u32 c)
{
	u32 r = c & 63;
	u64 x = (a << r) | (a >> ((64 - r) & 63));

	return sq2(x ^ b, c | 1) + (s64)(s32)c;
}

static __noinline u64 fold4(u64 a, u64 b, u64 c, u64 d)
{
	u64 acc = a;

	if ((s64)b < 0)
		acc += rot3(b, c, (u32)d);
	else
		acc -= rot3(c, b, (u32)d >> 2);
	return acc * 3 + (d % (c | 1));
}

static __noinline u64 mix5(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	u32 w = (u32)a + (u32)b;

	w ^= (u32)c << 5;
	w = w / ((u32)d | 3);
	return fold4(a + w, b - e, c ^ d, e + 1) ^ ((u64)w << 32);
}

__global u64 glob_a(u64 x, u64 y, u32 z)
{
	s64 s = (s64)x / (((s64)y | 1) & 0x7fff);

	return (u64)s + half1(x + z);
}

__global u64 glob_b(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	return mix5(e, d, c, b, a) + glob_a(a, b, (u32)c);
}

SEC("syscall")
int calltree(struct seed_ctx *ctx)
{
	u64 a = ctx->in[0], b = ctx->in[1], c = ctx->in[2], d = ctx->in[3], e = ctx->in[4];
	u64 r1, r2, r3;

	r1 = mix5(a, b, c, d, e);
	r2 = glob_b(b, c, d, e, a);
	r3 = glob_a(c, d, (u32)e);
	ctx->out[0] = r1;
	ctx->out[1] = r2;
	ctx->out[2] = r3;
	ctx->out[3] = r1 ^ r2 ^ r3;
	return (int)(r1 ^ r2 ^ r3);
}

char LICENSE[] SEC("license") = "GPL";

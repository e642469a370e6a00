/* seeds/c/deepchain.bpf.c: the deepest chain the verifier allows, 8
 * frames (main + 7), alternating global and static functions with 0..5
 * arguments, each with a little stack of its own (the chain's total stays
 * under 512 bytes), and a fan-out of calls at every level. */
#include "seed.h"

static __noinline u64 d7(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	return ((a + b) ^ (c - d)) * (e | 1);
}

__global u64 d6(u64 a, u32 b)
{
	u64 s[2];

	s[0] = a;
	s[1] = b;
	seed_opaque(s[0]);
	return d7(s[0], s[1], a >> 3, b << 2, a ^ b) + d7(b, a, 7, 9, 11);
}

static __noinline u64 d5(u64 a, u64 b, u64 c)
{
	u64 s[3];

	s[0] = a;
	s[1] = b;
	s[2] = c;
	seed_opaque(s[1]);
	return d6(s[0] ^ s[1], (u32)s[2]) - s[1];
}

__global u64 d4(u64 a, u64 b, u64 c, u64 d)
{
	u32 w = (u32)a * (u32)b;

	return d5(a, c, d) + d5(w, b, c ^ d);
}

static __noinline u64 d3(u64 a)
{
	u64 s[4];

	s[0] = a;
	s[1] = a * 3;
	s[2] = a >> 7;
	s[3] = ~a;
	seed_opaque(s[2]);
	return d4(s[0], s[1], s[2], s[3]);
}

__global u64 d2(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	return d3(a ^ e) + d3(b + c) - d;
}

static __noinline u64 d1(void)
{
	u64 s[2] = { 0x1234, 0x5678 };

	seed_opaque(s[0]);
	return d2(s[0], s[1], s[0] + s[1], s[0] * s[1], 5);
}

SEC("syscall")
int deepchain(struct seed_ctx *ctx)
{
	u64 r = d2(ctx->in[0], ctx->in[1], ctx->in[2], ctx->in[3], ctx->in[4]);
	u64 k = d1();

	ctx->out[0] = r;
	ctx->out[1] = k;
	return (int)(r + k);
}

char LICENSE[] SEC("license") = "GPL";

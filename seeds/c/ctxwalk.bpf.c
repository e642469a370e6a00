/* seeds/c/ctxwalk.bpf.c: the ctx pointer passed down to static callees
 * (one of up to five arguments), which read and write ctx fields of every
 * width (u8 .. u64) at several depths; results in ctx and in r0. */
#include "seed.h"

struct walk_ctx {
	u64 q[8];
	u32 d[8];
	u16 h[8];
	u8 b[16];
	u64 out[16];
};

_Static_assert(sizeof(struct walk_ctx) == 256, "ctx is 256 bytes");

static __noinline u32 leaf(struct walk_ctx *c, u32 i, u64 v)
{
	c->b[8] = (u8)(v + i);
	c->h[4] = (u16)(v >> 8);
	c->d[4] = (u32)v ^ c->d[0];
	return c->b[0] + c->h[0] + i;
}

static __noinline u64 branchy(struct walk_ctx *c, u64 x, u64 y, u32 sel, u16 z)
{
	u64 r;

	if (sel & 1)
		r = x + c->q[1];
	else
		r = y - c->q[2];
	if ((sel & 6) == 4)
		r ^= leaf(c, sel, x);
	else
		r += leaf(c, z, y);
	c->out[0] = r;
	return r * 5;
}

static __noinline u64 walk(struct walk_ctx *c, u64 a, u32 b)
{
	u64 r = branchy(c, a, c->q[3], b, c->h[1]);

	c->out[1] = r + c->d[1];
	c->out[2] = branchy(c, r, a, b >> 3, (u16)a);
	return c->out[1] ^ c->out[2];
}

__global u64 mix_global(u64 a, u32 b, u16 c, u8 d)
{
	return (a * 0x9e3779b97f4a7c15ull) ^ ((u64)b << 16) ^ ((u64)c << 8) ^ d;
}

SEC("syscall")
int ctxwalk(struct walk_ctx *c)
{
	u64 r = walk(c, c->q[0], c->d[2]);

	c->out[3] = mix_global(r, c->d[3], c->h[2], c->b[1]);
	c->out[4] = c->b[8] | (u64)c->h[4] << 8 | (u64)c->d[4] << 24;
	return (int)(c->out[3] >> 7);
}

char LICENSE[] SEC("license") = "GPL";

/* seeds/c/stackptr.bpf.c: static callees that take pointers into their
 * callers' stacks (and their callers' callers': a pointer travels down
 * two calls), fill and update small arrays through them, and return
 * scalars. Global functions take scalars only, so only static ones get
 * pointers (stack-args.md 2.8). */
#include "seed.h"

/* Writes all four slots: the caller reads them back. Returns the next
 * value (a void function leaves r0 unset, which our checker refuses at the
 * exit: bpf/check.c "R0 !read_ok"). */
static __noinline u64 fill4(u64 *arr, u64 seed, u32 step)
{
SEED_UNROLL
	for (int i = 0; i < 4; i++) {
		arr[i] = seed;
		seed = seed * 6364136223846793005ull + step;
	}
	return seed;
}

/* Reads and rewrites a grandparent's array through the pointer it got. */
static __noinline u64 twist(u64 *arr, u32 *small, u64 k, u64 m, u32 n)
{
	u64 x = arr[0] ^ arr[3];

	arr[1] += k;
	arr[2] ^= m >> (n & 31);
	small[0] = (u32)x + n;
	small[1] = (u32)(x >> 32) - (u32)k;
	return x + small[0];
}

static __noinline u64 middle(u64 *arr, u64 a, u64 b, u32 c)
{
	u32 small[2];
	u64 r;

	r = twist(arr, small, a + b, a ^ b, c);
	return r ^ ((u64)small[1] << 32 | small[0]);
}

/* Two arrays of its own, one pointer to each passed down. */
static __noinline u64 owner(u64 a, u64 b, u32 c, u32 d)
{
	u64 left[4], right[4];
	u64 r;

	r = fill4(left, a, c | 1);
	r ^= fill4(right, b, d | 1);
	r += middle(left, a, b, c);
	r += middle(right, b, a, d);
SEED_UNROLL
	for (int i = 0; i < 4; i++)
		r = r * 31 + (left[i] ^ right[i]);
	return r;
}

/* A pointer to one u64 of the caller: an out-parameter. */
static __noinline u32 divmod(u64 num, u64 den, u64 *rem)
{
	den |= 1;
	*rem = num % den;
	return (u32)(num / den);
}

SEC("syscall")
int stackptr(struct seed_ctx *ctx)
{
	u64 a = ctx->in[0], b = ctx->in[1];
	u32 c = (u32)ctx->in[2], d = (u32)ctx->in[3];
	u64 rem, r;
	u32 q;

	r = owner(a, b, c, d);
	q = divmod(r, b, &rem);
	ctx->out[0] = r;
	ctx->out[1] = rem;
	ctx->out[2] = q;
	return (int)(r + rem * 3 + q); /* r ^ rem is 0 when r < b */
}

char LICENSE[] SEC("license") = "GPL";

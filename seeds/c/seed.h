/* seeds/c/seed.h: what the BPF C seeds need, without kernel headers beyond
 * the compiler (libbpf's <bpf/bpf_helpers.h> would do as well; these few
 * macros keep the seeds independent of its version).
 *
 * Every seed is one SEC("syscall") program whose ctx is struct seed_ctx,
 * 256 bytes (CF_CTX_SIZE, the ctx of the model and kernel targets): inputs
 * in in[], results in out[], the result also in r0. Seeds call no helpers:
 * the model's helpers are not kernel helpers.
 *
 * Writing C that survives clang -O2 as a call tree (checked by
 * `callfuzz import`, which compares each function's register use with its
 * BTF argument count):
 *  - __noinline on every callee; every argument used, and derived from ctx,
 *    so that interprocedural constant propagation and dead-argument
 *    elimination keep the signature;
 *  - a static callee that gets a pointer writes through it (a read-only
 *    pointer argument may be promoted to a value);
 *  - array indices constant after unrolling: the checker accepts pointer
 *    arithmetic with constants only (project rule, bpf/check.c). */
#ifndef CALLFUZZ_SEED_H
#define CALLFUZZ_SEED_H



/* SEED_HOST: the same C compiled natively (tests/import/import_seeds.c),
 * an oracle independent of clang's BPF backend, libbpf and our tools. */
#ifdef SEED_HOST
#define SEC(name)
#define SEED_UNROLL
#else
#define SEC(name) __attribute__((section(name), used))
#define SEED_UNROLL _Pragma("unroll")
#endif
#define __noinline __attribute__((noinline))
#define __global __attribute__((noinline)) /* global: scalars only, at most 5 */

typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
typedef int s32;
typedef unsigned short u16;
typedef short s16;
typedef unsigned char u8;
typedef signed char s8;

struct seed_ctx {
	u64 in[16];
	u64 out[16];
};

_Static_assert(sizeof(struct seed_ctx) == 256, "ctx is CF_CTX_SIZE bytes");

/* Keep a value opaque to the optimizer (no code: an empty asm). */
#define seed_opaque(x) asm volatile("" : "+r"(x))

#endif

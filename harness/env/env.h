/* harness/env/env.h: the helpers and kfuncs of the model target, the
 * "environment" a program runs in. The interpreter calls these on the host;
 * the executor calls the very same code natively on aarch64 from JIT code,
 * so the two sides record the same trace for the same calls.
 *
 * Plain C with no libc beyond <stdint.h>/<stddef.h>/<string.h>: env.c is
 * also built with `aarch64-linux-gnu-gcc -static -ffreestanding`. No
 * allocation, no global state: every function records into the trace it is
 * given (which may be NULL: then nothing is recorded).
 *
 * The return values below are the environment, not BPF semantics: both the
 * interpreter and the JIT side may call cf_env_mix to predict them.
 *
 *   cf_env_mix(seed, n, a):
 *       h = seed
 *       for i in 0..n-1:  h = (h ^ a[i]) * 0x100000001b3        (FNV-1a step on words)
 *                         h = h ^ (h >> 29)
 *       return splitmix64_finalize(h + n)
 *   splitmix64_finalize(z):
 *       z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
 *       z = (z ^ (z >> 27)) * 0x94d049bb133111eb
 *       return z ^ (z >> 31)
 *
 *   trace(a1..a5)        records {CF_HELPER_TRACE, 5, a1..a5},
 *                        returns cf_env_mix(CF_HELPER_TRACE, 5, a)
 *   stack_hash(ptr, len) records {CF_HELPER_STACK_HASH, 2, {len, h}} where
 *                        h = FNV-1a 64 of the len bytes (offset basis
 *                        0xcbf29ce484222325, prime 0x100000001b3), returns h
 *   kf_argsN(a1..aN)     records {CF_KFUNC_ARGS_BASE + N, N, a1..aN},
 *                        returns cf_env_mix(CF_KFUNC_ARGS_BASE + N, N, a)
 *
 * An event past CF_TRACE_MAX is not stored; it increments t->dropped. */
#ifndef CALLFUZZ_HARNESS_ENV_H
#define CALLFUZZ_HARNESS_ENV_H

#include <stdint.h>

#include "bpf/bpf.h"

#define CF_FNV64_BASIS 0xcbf29ce484222325ULL
#define CF_FNV64_PRIME 0x100000001b3ULL

uint64_t cf_env_mix(uint64_t seed, int n, const uint64_t *a);
/* FNV-1a 64 of len bytes. */
uint64_t cf_env_fnv1a64(const void *mem, uint64_t len);

uint64_t cf_env_trace(struct cf_trace *t, const uint64_t a[5]);
uint64_t cf_env_stack_hash(struct cf_trace *t, const void *mem, uint64_t len);
/* kf_argsN, N = 6..12 (any 0..12 is accepted and recorded with its N). */
uint64_t cf_env_kfunc_args(struct cf_trace *t, int nargs, const uint64_t *a);

/* Dispatch a call of the call table. For stack_hash, args[0] is a host
 * pointer (the caller translated its own address) and args[1] the length.
 * An entry the environment does not know records nothing and returns 0. */
uint64_t cf_env_call(struct cf_trace *t, const struct cf_callee *c, const uint64_t args[CF_MAX_ARGS]);

#endif

/* harness/env/env.c: helpers and kfuncs of the model target (see env.h for the
 * exact formulas). Built for the host and, freestanding, for aarch64. */
#include "harness/env/env.h"

static uint64_t splitmix64_finalize(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t cf_env_mix(uint64_t seed, int n, const uint64_t *a)
{
	uint64_t h = seed;

	for (int i = 0; i < n; i++) {
		h = (h ^ a[i]) * CF_FNV64_PRIME;
		h ^= h >> 29;
	}
	return splitmix64_finalize(h + (uint64_t)n);
}

uint64_t cf_env_fnv1a64(const void *mem, uint64_t len)
{
	const uint8_t *p = mem;
	uint64_t h = CF_FNV64_BASIS;

	for (uint64_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= CF_FNV64_PRIME;
	}
	return h;
}

static void record(struct cf_trace *t, uint32_t id, int nargs, const uint64_t *a)
{
	struct cf_event *ev;

	if (!t)
		return;
	if (t->nevents >= CF_TRACE_MAX) {
		t->dropped++;
		return;
	}
	ev = &t->ev[t->nevents++];
	ev->id = id;
	ev->nargs = (uint32_t)nargs;
	for (int i = 0; i < CF_MAX_ARGS; i++)
		ev->args[i] = i < nargs ? a[i] : 0;
}

uint64_t cf_env_trace(struct cf_trace *t, const uint64_t a[5])
{
	record(t, CF_HELPER_TRACE, 5, a);
	return cf_env_mix(CF_HELPER_TRACE, 5, a);
}

uint64_t cf_env_stack_hash(struct cf_trace *t, const void *mem, uint64_t len)
{
	uint64_t ev[2];

	ev[0] = len;
	ev[1] = cf_env_fnv1a64(mem, len);
	record(t, CF_HELPER_STACK_HASH, 2, ev);
	return ev[1];
}

uint64_t cf_env_kfunc_args(struct cf_trace *t, int nargs, const uint64_t *a)
{
	if (nargs < 0)
		nargs = 0;
	if (nargs > CF_MAX_ARGS)
		nargs = CF_MAX_ARGS;
	record(t, (uint32_t)(CF_KFUNC_ARGS_BASE + nargs), nargs, a);
	return cf_env_mix((uint64_t)(CF_KFUNC_ARGS_BASE + nargs), nargs, a);
}

uint64_t cf_env_call(struct cf_trace *t, const struct cf_callee *c, const uint64_t args[CF_MAX_ARGS])
{
	if (!c)
		return 0;
	if (!c->kfunc && c->id == CF_HELPER_TRACE)
		return cf_env_trace(t, args);
	if (!c->kfunc && c->id == CF_HELPER_STACK_HASH)
		return cf_env_stack_hash(t, (const void *)(uintptr_t)args[0], args[1]);
	if (c->kfunc && c->id > CF_KFUNC_ARGS_BASE && c->id <= CF_KFUNC_ARGS_BASE + CF_MAX_ARGS)
		return cf_env_kfunc_args(t, c->id - CF_KFUNC_ARGS_BASE, args);
	return 0;
}

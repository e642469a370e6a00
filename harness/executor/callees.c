/* harness/executor/callees.c: the native entry points JIT code calls for
 * helpers and kfuncs, reached through the SP-alignment stubs of entry.S
 * (the addresses the handshake gives). Each is an ordinary AAPCS64 function (args 1..8 in
 * x0..x7, 9..12 at [SP], [SP+8], ... on entry, as the C compiler arranges)
 * that forwards to harness/env/env.c with the trace of the current run, so the
 * JIT side records exactly what the interpreter records. */
#include "harness/executor/callees.h"

#include "harness/env/env.h"

struct cf_trace *ex_cur_trace;

uint64_t ex_trace(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	const uint64_t a[5] = { a1, a2, a3, a4, a5 };

	return cf_env_trace(ex_cur_trace, a);
}

uint64_t ex_stack_hash(uint64_t ptr, uint64_t len)
{
	return cf_env_stack_hash(ex_cur_trace, (const void *)(uintptr_t)ptr, len);
}

#define U uint64_t
uint64_t ex_kf_args6(U a1, U a2, U a3, U a4, U a5, U a6)
{
	const U a[] = { a1, a2, a3, a4, a5, a6 };

	return cf_env_kfunc_args(ex_cur_trace, 6, a);
}

uint64_t ex_kf_args7(U a1, U a2, U a3, U a4, U a5, U a6, U a7)
{
	const U a[] = { a1, a2, a3, a4, a5, a6, a7 };

	return cf_env_kfunc_args(ex_cur_trace, 7, a);
}

uint64_t ex_kf_args8(U a1, U a2, U a3, U a4, U a5, U a6, U a7, U a8)
{
	const U a[] = { a1, a2, a3, a4, a5, a6, a7, a8 };

	return cf_env_kfunc_args(ex_cur_trace, 8, a);
}

uint64_t ex_kf_args9(U a1, U a2, U a3, U a4, U a5, U a6, U a7, U a8, U a9)
{
	const U a[] = { a1, a2, a3, a4, a5, a6, a7, a8, a9 };

	return cf_env_kfunc_args(ex_cur_trace, 9, a);
}

uint64_t ex_kf_args10(U a1, U a2, U a3, U a4, U a5, U a6, U a7, U a8, U a9, U a10)
{
	const U a[] = { a1, a2, a3, a4, a5, a6, a7, a8, a9, a10 };

	return cf_env_kfunc_args(ex_cur_trace, 10, a);
}

uint64_t ex_kf_args11(U a1, U a2, U a3, U a4, U a5, U a6, U a7, U a8, U a9, U a10, U a11)
{
	const U a[] = { a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 };

	return cf_env_kfunc_args(ex_cur_trace, 11, a);
}

uint64_t ex_kf_args12(U a1, U a2, U a3, U a4, U a5, U a6, U a7, U a8, U a9, U a10, U a11, U a12)
{
	const U a[] = { a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12 };

	return cf_env_kfunc_args(ex_cur_trace, 12, a);
}
#undef U

/* The stubs of entry.S, one per function above: not C functions (they
 * tail-branch), only their addresses matter. */
extern const char ex_trace_entry[], ex_stack_hash_entry[], ex_kf_args6_entry[], ex_kf_args7_entry[],
	ex_kf_args8_entry[], ex_kf_args9_entry[], ex_kf_args10_entry[], ex_kf_args11_entry[],
	ex_kf_args12_entry[];

const struct ex_callee ex_callees[] = {
	{ CF_HELPER_TRACE, 0, (uintptr_t)ex_trace_entry },
	{ CF_HELPER_STACK_HASH, 0, (uintptr_t)ex_stack_hash_entry },
	{ CF_KFUNC_ARGS_BASE + 6, 1, (uintptr_t)ex_kf_args6_entry },
	{ CF_KFUNC_ARGS_BASE + 7, 1, (uintptr_t)ex_kf_args7_entry },
	{ CF_KFUNC_ARGS_BASE + 8, 1, (uintptr_t)ex_kf_args8_entry },
	{ CF_KFUNC_ARGS_BASE + 9, 1, (uintptr_t)ex_kf_args9_entry },
	{ CF_KFUNC_ARGS_BASE + 10, 1, (uintptr_t)ex_kf_args10_entry },
	{ CF_KFUNC_ARGS_BASE + 11, 1, (uintptr_t)ex_kf_args11_entry },
	{ CF_KFUNC_ARGS_BASE + 12, 1, (uintptr_t)ex_kf_args12_entry },
};
const int ex_ncallees = sizeof(ex_callees) / sizeof(ex_callees[0]);

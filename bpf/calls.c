/* bpf/calls.c: the one table of helpers and kfuncs the checker, the
 * interpreter, the JIT and the executor agree on. The functions themselves
 * live in harness/env/env.c (plain C, built for the host and for aarch64). */
#include "bpf/bpf.h"

#include <string.h>

#define S CF_ARG_SCALAR
#define KF(n) { "kf_args" #n, CF_KFUNC_ARGS_BASE + n, true, n, { S, S, S, S, S, S, S, S, S, S, S, S }, CF_RET_SCALAR }

const struct cf_callee cf_callees[] = {
	{ "trace", CF_HELPER_TRACE, false, 5, { S, S, S, S, S }, CF_RET_SCALAR },
	{ "stack_hash", CF_HELPER_STACK_HASH, false, 2, { CF_ARG_PTR_MEM, CF_ARG_CONST_LEN }, CF_RET_SCALAR },
	KF(6), KF(7), KF(8), KF(9), KF(10), KF(11), KF(12),
	/* kernel helpers (kernel/bpf/helpers.c: bpf_map_{lookup,update,delete}_elem_proto);
	 * kernel targets only (cf_check_opts.maps) */
	{ "bpf_map_lookup_elem", BPF_FUNC_map_lookup_elem, false, 2, { CF_ARG_MAP_PTR, CF_ARG_MAP_KEY },
	  CF_RET_MAP_VALUE_OR_NULL },
	{ "bpf_map_update_elem", BPF_FUNC_map_update_elem, false, 4,
	  { CF_ARG_MAP_PTR, CF_ARG_MAP_KEY, CF_ARG_MAP_VALUE, S }, CF_RET_SCALAR },
	{ "bpf_map_delete_elem", BPF_FUNC_map_delete_elem, false, 2, { CF_ARG_MAP_PTR, CF_ARG_MAP_KEY },
	  CF_RET_SCALAR },
	/* kernel helpers (docs/kernel-paths.md "Helpers"): argument kinds from
	 * their bpf_func_proto in kernel/bpf/helpers.c */
	{ "bpf_get_smp_processor_id", CF_KHELPER_GET_SMP_PROCESSOR_ID, false, 0, { 0 }, CF_RET_SCALAR, true },
	{ "bpf_strtol", CF_KHELPER_STRTOL, false, 4, { CF_ARG_PTR_MEM, CF_ARG_CONST_LEN, S, CF_ARG_PTR_OUT8 },
	  CF_RET_SCALAR, true },
	{ "bpf_strtoul", CF_KHELPER_STRTOUL, false, 4, { CF_ARG_PTR_MEM, CF_ARG_CONST_LEN, S, CF_ARG_PTR_OUT8 },
	  CF_RET_SCALAR, true },
	/* kernel/bpf/bpf_iter.c: bpf_loop(nr_loops, callback_fn, callback_ctx, flags) */
	{ "bpf_loop", CF_KHELPER_LOOP, false, 4, { S, CF_ARG_FUNC, CF_ARG_PTR_STACK_OR_NULL, S }, CF_RET_SCALAR,
	  true },
	/* kernel/bpf/helpers.c: bpf_strncmp_proto, bpf_snprintf_proto
	 * (docs/kernel-paths.md "Strings") */
	{ "bpf_strncmp", CF_KHELPER_STRNCMP, false, 3, { CF_ARG_PTR_MEM, CF_ARG_CONST_LEN, CF_ARG_CONST_STR },
	  CF_RET_SCALAR, true },
	{ "bpf_snprintf", CF_KHELPER_SNPRINTF, false, 5,
	  { CF_ARG_PTR_OUT_OR_NULL, CF_ARG_CONST_SIZE_OR_ZERO, CF_ARG_CONST_STR, CF_ARG_PTR_MEM_OR_NULL,
	    CF_ARG_CONST_SIZE_OR_ZERO },
	  CF_RET_SCALAR, true },
	/* kernel kfuncs (kernel/bpf/bpf_iter.c, registered for every program
	 * type in kernel/bpf/helpers.c common_btf_ids; docs/kernel-paths.md
	 * "Kfuncs") */
	{ "bpf_iter_num_new", CF_KKFUNC_ITER_NUM_NEW, true, 3, { CF_ARG_ITER_NEW, S, S }, CF_RET_INT32, true },
	{ "bpf_iter_num_next", CF_KKFUNC_ITER_NUM_NEXT, true, 1, { CF_ARG_ITER }, CF_RET_ITER_INT_OR_NULL, true },
	{ "bpf_iter_num_destroy", CF_KKFUNC_ITER_NUM_DESTROY, true, 1, { CF_ARG_ITER }, CF_RET_VOID, true },
	/* kernel/bpf/core.c bpf_tail_call_proto: (ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR
	 * of a prog array, ARG_ANYTHING), RET_VOID (docs/kernel-paths.md "Tail calls") */
	{ "bpf_tail_call", CF_KHELPER_TAIL_CALL, false, 3, { CF_ARG_CTX, CF_ARG_MAP_PTR, S }, CF_RET_VOID, true },
};

#undef KF
#undef S

const int cf_ncallees = sizeof(cf_callees) / sizeof(cf_callees[0]);

const struct cf_callee *cf_callee_find(bool kfunc, int32_t id)
{
	for (int i = 0; i < cf_ncallees; i++)
		if (cf_callees[i].kfunc == kfunc && cf_callees[i].id == id)
			return &cf_callees[i];
	return NULL;
}

const struct cf_callee *cf_callee_by_name(const char *name)
{
	for (int i = 0; i < cf_ncallees; i++)
		if (strcmp(cf_callees[i].name, name) == 0)
			return &cf_callees[i];
	return NULL;
}

int cf_callee_index(const struct cf_callee *c)
{
	return (int)(c - cf_callees);
}

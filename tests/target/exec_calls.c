/* tests/target/exec_calls.c: code calls the executor's helper and kfunc
 * entry points at the addresses of the handshake, with AAPCS64 arguments
 * (9..12 at [SP] on entry), and the trace records what was passed. */
#include "tests/target/exec_test.h"

/* The environment's return value (harness/env/env.h), written out again here
 * from its definition so that the test does not trust env.c. */
static uint64_t mix_ref(uint64_t seed, int n, const uint64_t *a)
{
	uint64_t h = seed, z;

	for (int i = 0; i < n; i++) {
		h = (h ^ a[i]) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	z = h + (uint64_t)n;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t callee_addr(struct exec *ex, bool kfunc, int32_t id)
{
	uint64_t addr[32];
	const struct cf_callee *c = cf_callee_find(kfunc, id);

	exec_callee_addrs(ex, addr, 32);
	return c ? addr[cf_callee_index(c)] : 0;
}

TEST(exec_trace_and_kfunc12_args)
{
	uint64_t a[12], t[5];
	uint32_t code[128];
	int n = 0;
	struct exec_result res;
	uint64_t trace_addr, kf12_addr;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	trace_addr = callee_addr(ex, false, CF_HELPER_TRACE);
	kf12_addr = callee_addr(ex, true, CF_KFUNC_ARGS_BASE + 12);
	REQUIRE(trace_addr && kf12_addr);
	for (int i = 0; i < 5; i++)
		t[i] = 0x1000 + (uint64_t)i;
	/* every 16-bit chunk differs, so a swapped or truncated arg shows */
	for (int i = 0; i < 12; i++)
		a[i] = (0xa0ull + (uint64_t)i) << 56 | (uint64_t)(i + 1) << 32 | 0xbeef0000ull | (uint64_t)i;

	code[n++] = A64_PUSH_FP_LR;
	code[n++] = A64_MOV_FP_SP;
	for (int i = 0; i < 5; i++)
		code[n++] = a64_movz(i, (uint32_t)t[i], 0);
	n = a64_mov64(code, n, 9, trace_addr);
	code[n++] = a64_blr(9);
	/* kf_args12: 1..8 in x0..x7, 9..12 at [sp], [sp+8], [sp+16], [sp+24] */
	code[n++] = a64_sub_imm(A64_SP, A64_SP, 32);
	for (int i = 8; i < 12; i++) {
		n = a64_mov64(code, n, 9, a[i]);
		code[n++] = a64_str(9, A64_SP, (uint32_t)(i - 8) * 8);
	}
	for (int i = 0; i < 8; i++)
		n = a64_mov64(code, n, i, a[i]);
	n = a64_mov64(code, n, 16, kf12_addr);
	code[n++] = a64_blr(16);
	code[n++] = a64_add_imm(A64_SP, A64_SP, 32);
	code[n++] = A64_POP_FP_LR;
	code[n++] = A64_RET;
	REQUIRE(n <= 128);

	if (!exec_test_run(ex, code, n, 0, NULL, &res)) {
		REQUIRE_MSG(res.status == EXEC_OK, "status %s: %s", exec_status_name(res.status), res.detail);
		CHECK_EQ(res.r0, mix_ref(CF_KFUNC_ARGS_BASE + 12, 12, a));
		REQUIRE(res.trace.nevents == 2);
		CHECK_EQ(res.trace.ev[0].id, CF_HELPER_TRACE);
		CHECK_EQ(res.trace.ev[0].nargs, 5);
		for (int i = 0; i < 5; i++)
			CHECK_EQ(res.trace.ev[0].args[i], t[i]);
		CHECK_EQ(res.trace.ev[1].id, CF_KFUNC_ARGS_BASE + 12);
		CHECK_EQ(res.trace.ev[1].nargs, 12);
		for (int i = 0; i < 12; i++)
			CHECK_MSG(res.trace.ev[1].args[i] == a[i], "arg %d: 0x%" PRIx64 " != 0x%" PRIx64, i + 1,
				  res.trace.ev[1].args[i], a[i]);
	}
	exec_stop(ex);
}

TEST(exec_trace_returns_to_code)
{
	/* r0 = trace(7, 0, 0, 0, 0): the helper's value reaches the code. */
	uint32_t code[32];
	int n = 0;
	const uint64_t t[5] = { 7, 0, 0, 0, 0 };
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	code[n++] = A64_PUSH_FP_LR;
	code[n++] = A64_MOV_FP_SP;
	for (int i = 0; i < 5; i++)
		code[n++] = a64_movz(i, (uint32_t)t[i], 0);
	n = a64_mov64(code, n, 9, callee_addr(ex, false, CF_HELPER_TRACE));
	code[n++] = a64_blr(9);
	code[n++] = A64_POP_FP_LR;
	code[n++] = A64_RET;
	for (int round = 0; round < 2; round++) { /* the trace restarts each run */
		if (exec_test_run(ex, code, n, 0, NULL, &res))
			break;
		CHECK_EQ(res.r0, mix_ref(CF_HELPER_TRACE, 5, t));
		CHECK_EQ(res.trace.nevents, 1);
	}
	exec_stop(ex);
}

TEST(exec_handshake_gives_every_callee)
{
	uint64_t addr[32];
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	exec_callee_addrs(ex, addr, 32);
	/* the model environment's callees; the kernel's helpers
	 * (docs/kernel-paths.md) run only on a kernel */
	for (int i = 0; i < cf_ncallees; i++)
		if (cf_callees[i].kernel || cf_callee_is_map_helper(cf_callees[i].kfunc, cf_callees[i].id))
			CHECK_MSG(addr[i] == 0, "%s runs only on a kernel, yet it has an address", cf_callees[i].name);
		else
			CHECK_MSG(addr[i] != 0, "no address for %s", cf_callees[i].name);
	for (int i = cf_ncallees; i < 32; i++)
		CHECK_EQ(addr[i], 0);
	exec_stop(ex);
}

/* AAPCS64 5.2.2.1: SP is 16-byte aligned at every call (arm64 Linux faults
 * on an SP-relative access otherwise; qemu-user does not, so the entry stubs
 * check). Code: push fp/lr (aligned), SP -= pad, trace(1..5), then
 * kf_args9(1..9) with arg 9 at [SP] (12 more bytes of room), SP += pad. */
static int misaligned_calls_code(struct exec *ex, uint32_t pad, uint32_t *code)
{
	int n = 0;

	code[n++] = A64_PUSH_FP_LR;
	code[n++] = A64_MOV_FP_SP;
	code[n++] = a64_sub_imm(A64_SP, A64_SP, pad);
	for (int i = 0; i < 5; i++)
		code[n++] = a64_movz(i, (uint32_t)i + 1, 0);
	n = a64_mov64(code, n, 9, callee_addr(ex, false, CF_HELPER_TRACE));
	code[n++] = a64_blr(9);
	code[n++] = a64_sub_imm(A64_SP, A64_SP, 16);
	code[n++] = a64_movz(9, 9, 0);
	code[n++] = a64_str(9, A64_SP, 0);
	for (int i = 0; i < 8; i++)
		code[n++] = a64_movz(i, (uint32_t)i + 1, 0);
	n = a64_mov64(code, n, 16, callee_addr(ex, true, CF_KFUNC_ARGS_BASE + 9));
	code[n++] = a64_blr(16);
	code[n++] = a64_add_imm(A64_SP, A64_SP, pad + 16);
	code[n++] = A64_POP_FP_LR;
	code[n++] = A64_RET;
	return n;
}

TEST(exec_sp_misaligned_at_helper_call_is_abi)
{
	const uint64_t t[5] = { 1, 2, 3, 4, 5 }, k[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	uint32_t code[64];
	struct exec_result res;
	struct exec *ex = exec_test_start(0);
	int n;

	if (!ex)
		return;
	/* SP at the calls: stack_top - 16 - 8 (then - 16 more) */
	n = misaligned_calls_code(ex, 8, code);
	if (!exec_test_run(ex, code, n, 0, NULL, &res)) {
		REQUIRE_MSG(res.status == EXEC_ABI, "status %s: %s", exec_status_name(res.status), res.detail);
		CHECK_EQ(res.abi, EXEC_ABI_SP_ALIGN);
		CHECK_EQ(res.abi_actual, exec_info(ex)->stack_top - 24);
		CHECK_EQ(res.abi_expected, exec_info(ex)->stack_top - 32);
		REQUIRE(res.abi_callee != NULL);
		CHECK_STR(res.abi_callee, "trace"); /* the first of the two */
		CHECK_EQ(res.abi_calls, 2);
		CHECK_CONTAINS(res.detail, "trace");
		CHECK_STR(exec_abi_name(res.abi), "sp alignment");
		/* the calls went on: both events, arg 9 read from the caller's [SP] */
		REQUIRE(res.trace.nevents == 2);
		for (int i = 0; i < 5; i++)
			CHECK_EQ(res.trace.ev[0].args[i], t[i]);
		CHECK_EQ(res.trace.ev[1].nargs, 9);
		for (int i = 0; i < 9; i++)
			CHECK_MSG(res.trace.ev[1].args[i] == k[i], "kf_args9 arg %d: 0x%" PRIx64, i + 1,
				  res.trace.ev[1].args[i]);
		CHECK_EQ(res.r0, mix_ref(CF_KFUNC_ARGS_BASE + 9, 9, k));
	}
	/* the same calls with SP aligned: OK, and the check restarts each run */
	n = misaligned_calls_code(ex, 16, code);
	if (!exec_test_run(ex, code, n, 0, NULL, &res)) {
		CHECK_MSG(res.status == EXEC_OK, "status %s: %s", exec_status_name(res.status), res.detail);
		CHECK_EQ(res.abi, EXEC_ABI_NONE);
		CHECK_EQ(res.trace.nevents, 2);
		CHECK_EQ(res.r0, mix_ref(CF_KFUNC_ARGS_BASE + 9, 9, k));
	}
	exec_stop(ex);
}

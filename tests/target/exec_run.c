/* tests/target/exec_run.c: the executor runs code and hands back r0 and
 * ctx; code replaced between runs is the code that runs. */
#define _GNU_SOURCE
#include "tests/target/exec_test.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

TEST(exec_returns_value)
{
	static const uint32_t code[] = { 0xd2800540 /* mov x0, #42 */, A64_RET };
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	if (!exec_test_run(ex, code, 2, 0, NULL, &res)) {
		CHECK_MSG(res.status == EXEC_OK, "status %s: %s", exec_status_name(res.status), res.detail);
		CHECK_EQ(res.r0, 42);
		CHECK_EQ(res.trace.nevents, 0);
	}
	exec_stop(ex);
}

TEST(exec_returns_64bit_value_from_entry_offset)
{
	uint32_t code[16];
	int n = 0;
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	code[n++] = A64_UDF0; /* entry is past these: never executed */
	code[n++] = A64_UDF0;
	n = a64_mov64(code, n, 0, 0x8877665544332211ull);
	code[n++] = A64_RET;
	if (!exec_test_run(ex, code, n, 8, NULL, &res)) {
		CHECK_MSG(res.status == EXEC_OK, "status %s: %s", exec_status_name(res.status), res.detail);
		CHECK_EQ(res.r0, 0x8877665544332211ull);
	}
	exec_stop(ex);
}

TEST(exec_ctx_in_and_out)
{
	/* x0 is the ctx pointer (jit.h): ctx[255] = ctx[3] + 1 and the
	 * 8 bytes at ctx+8 are copied to ctx+16; returns the ctx pointer. */
	uint32_t code[] = {
		a64_ldrb(1, 0, 3),
		a64_add_imm(1, 1, 1),
		a64_strb(1, 0, 255),
		a64_ldr(2, 0, 8),
		a64_str(2, 0, 16),
		A64_RET,
	};
	uint8_t in[CF_CTX_SIZE], want[CF_CTX_SIZE];
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	for (int i = 0; i < CF_CTX_SIZE; i++)
		in[i] = (uint8_t)(i * 7 + 1);
	memcpy(want, in, sizeof(want));
	want[255] = (uint8_t)(in[3] + 1);
	memcpy(want + 16, in + 8, 8);
	if (!exec_test_run(ex, code, 6, 0, in, &res)) {
		CHECK_MSG(res.status == EXEC_OK, "status %s: %s", exec_status_name(res.status), res.detail);
		CHECK(memcmp(res.ctx, want, CF_CTX_SIZE) == 0);
		CHECK_EQ(res.r0, exec_info(ex)->ctx_addr);
	}
	exec_stop(ex);
}

TEST(exec_new_code_at_same_place_runs)
{
	/* qemu runs stale translations if code changes behind its back: two
	 * codes alternating at the same address must each return their own
	 * value, and so must a rerun of identical code. */
	static const uint32_t code_a[] = { 0xd2800020 /* mov x0, #1 */, A64_RET };
	static const uint32_t code_b[] = { 0xd2800040 /* mov x0, #2 */, A64_RET };
	uint32_t code_c[] = { A64_NOP, A64_NOP, 0xd2800060 /* mov x0, #3 */, A64_RET };
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	for (int i = 0; i < 6; i++) {
		const uint32_t *code = i % 2 ? code_b : code_a;

		if (exec_test_run(ex, code, 2, 0, NULL, &res))
			break;
		CHECK_EQ(res.r0, (uint64_t)(i % 2 ? 2 : 1));
		if (exec_test_run(ex, code, 2, 0, NULL, &res))
			break;
		CHECK_EQ(res.r0, (uint64_t)(i % 2 ? 2 : 1));
	}
	/* Longer code, then a change in its middle only. */
	if (!exec_test_run(ex, code_c, 4, 0, NULL, &res))
		CHECK_EQ(res.r0, 3);
	code_c[2] = 0xd2800080; /* mov x0, #4 */
	if (!exec_test_run(ex, code_c, 4, 0, NULL, &res))
		CHECK_EQ(res.r0, 4);
	/* Shorter code after longer: the tail must not linger (udf). */
	if (!exec_test_run(ex, code_a, 2, 0, NULL, &res))
		CHECK_EQ(res.r0, 1);
	CHECK_EQ(exec_restarts(ex), 1);
	exec_stop(ex);
}

/* Runs code_a and code_b (returning 1 and 2) alternately, twice each time,
 * n times on ex: every run must return its own code's value. */
static void alternate_codes(struct exec *ex, int n)
{
	static const uint32_t code_a[] = { 0xd2800020 /* mov x0, #1 */, A64_RET };
	static const uint32_t code_b[] = { A64_NOP, 0xd2800040 /* mov x0, #2 */, A64_RET };
	struct exec_result res;

	for (int i = 0; i < n; i++) {
		const uint32_t *code = i % 2 ? code_b : code_a;

		for (int again = 0; again < 2; again++) {
			if (exec_test_run(ex, code, i % 2 ? 3 : 2, 0, NULL, &res))
				return;
			CHECK_MSG(res.status == EXEC_OK && res.r0 == (uint64_t)(i % 2 ? 2 : 1),
				  "run %d.%d: %s r0=%llu", i, again, exec_status_name(res.status),
				  (unsigned long long)res.r0);
		}
	}
}

TEST(exec_code_ring_recycles_without_stale_code)
{
	/* The smallest ring holds one code (a page of zeros, the code's page,
	 * a page of zeros): every new code recycles it. 64 KiB holds five. */
	static const int kib[] = { 16, 64 };

	for (size_t k = 0; k < sizeof(kib) / sizeof(kib[0]); k++) {
		struct exec *ex = exec_test_start_opts((struct exec_opts){ .ring_kib = kib[k] });
		struct exec_result res;
		uint64_t first;

		if (!ex)
			return;
		alternate_codes(ex, 40);
		/* Repeated code stays where it is; new code moves. */
		if (!exec_test_run(ex, (const uint32_t[]){ 0xd2800060, A64_RET }, 2, 0, NULL, &res)) {
			first = res.code_addr;
			if (!exec_test_run(ex, (const uint32_t[]){ 0xd2800060, A64_RET }, 2, 0, NULL, &res))
				CHECK_EQ(res.code_addr, first);
		}
		CHECK_EQ(exec_restarts(ex), 1);
		exec_stop(ex);
	}
}

TEST(exec_fixed_region_without_ring)
{
	/* ring_kib -1: every code in the fixed region, as for code too
	 * large for the ring. */
	struct exec *ex = exec_test_start_opts((struct exec_opts){ .ring_kib = -1 });
	struct exec_result res;

	if (!ex)
		return;
	alternate_codes(ex, 6);
	if (!exec_test_run(ex, (const uint32_t[]){ A64_RET }, 1, 0, NULL, &res))
		CHECK_EQ(res.code_addr, exec_info(ex)->code_addr);
	exec_stop(ex);
}

TEST(exec_code_too_large_for_the_ring_runs)
{
	/* 80,000 instructions (320 KiB, over EXP_RING_CODE_MAX): the fixed
	 * region; then small code goes back to the ring. */
	enum { N = 80000 };
	uint32_t *code = malloc(N * sizeof(*code));
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex || !code) {
		free(code);
		exec_stop(ex);
		return;
	}
	code[0] = 0xd2800000; /* mov x0, #0 */
	for (int i = 1; i < N - 1; i++)
		code[i] = 0x91000400; /* add x0, x0, #1 */
	code[N - 1] = A64_RET;
	if (!exec_test_run(ex, code, N, 0, NULL, &res)) {
		CHECK_MSG(res.status == EXEC_OK, "%s: %s", exec_status_name(res.status), res.detail);
		CHECK_EQ(res.r0, (uint64_t)(N - 2));
		CHECK_EQ(res.code_addr, exec_info(ex)->code_addr);
	}
	alternate_codes(ex, 4);
	exec_stop(ex);
	free(code);
}

TEST(exec_wild_branch_lands_in_zeros)
{
	/* Code is surrounded by zeros (udf #0) wherever it lands, whatever
	 * ran before: a branch a page backwards or forwards out of the code
	 * faults with SIGILL at the same offset from the code each time, the
	 * same in a fresh executor (`callfuzz run`) as in a long fuzzing
	 * session. Between the probes runs 8 KiB of code that is all movs; in
	 * the 16 KiB ring every code starts at the same place, so the forward
	 * probe lands where that code was before the ring was recycled. */
	static const uint32_t back[] = { 0x17fffc01 /* b .-4092 */, A64_RET };
	static const uint32_t fwd[] = { 0x14000400 /* b .+4096 */, A64_RET };
	static const int kib[] = { 0, 16 };
	uint32_t filler[2048];

	for (int i = 0; i < 2047; i++)
		filler[i] = 0xd2800020; /* mov x0, #1 */
	filler[2047] = A64_RET;
	for (size_t k = 0; k < sizeof(kib) / sizeof(kib[0]); k++) {
		struct exec *ex = exec_test_start_opts((struct exec_opts){ .ring_kib = kib[k] });
		struct exec_result res;

		if (!ex)
			return;
		if (!exec_info(ex)->runner_path[0]) {
			/* Natively the code goes to the fixed region, which
			 * nothing is mapped before: no ring to test. */
			exec_stop(ex);
			test_skip("native executor: the code ring is for qemu only");
			return;
		}
		for (int round = 0; round < 3; round++) {
			if (exec_test_run(ex, filler, 2048, 0, NULL, &res) ||
			    exec_test_run(ex, back, 2, 0, NULL, &res))
				break;
			CHECK_MSG(res.status == EXEC_CRASH && res.signal == SIGILL, "ring %d KiB, back: %s %s",
				  kib[k], exec_status_name(res.status), res.detail);
			CHECK_EQ(res.fault_pc, res.code_addr - 4092);
			CHECK_EQ(res.fault_pc_off, -1);
			if (exec_test_run(ex, filler, 2048, 0, NULL, &res) ||
			    exec_test_run(ex, fwd, 2, 0, NULL, &res))
				break;
			CHECK_MSG(res.status == EXEC_CRASH && res.signal == SIGILL, "ring %d KiB, forward: %s %s",
				  kib[k], exec_status_name(res.status), res.detail);
			CHECK_EQ(res.fault_pc, res.code_addr + 4096);
		}
		exec_stop(ex);
	}
}

TEST(exec_rejects_oversized_code)
{
	static const uint32_t code[] = { A64_RET };
	struct exec_result res;
	struct cf_err err = { { 0 } };
	uint8_t ctx[CF_CTX_SIZE] = { 0 };
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	CHECK(exec_run(ex, code, 1, 4, ctx, &res, &err) == -1); /* entry past the end */
	CHECK_CONTAINS(err.msg, "does not fit");
	CHECK(exec_run(ex, code, 1 << 30, 0, ctx, &res, &err) == -1);
	exec_stop(ex);
}

TEST(exec_start_names_missing_pieces)
{
	struct exec_opts o = { .exec_path = "/nonexistent/callfuzz-exec" };
	struct cf_err err = { { 0 } };

	CHECK(exec_start(&o, &err) == NULL);
#if defined(__aarch64__)
	CHECK_CONTAINS(err.msg, "make");
#else
	if (access("/usr/bin/qemu-aarch64-static", X_OK) == 0 || access("/usr/bin/qemu-aarch64", X_OK) == 0)
		CHECK_CONTAINS(err.msg, "make");
	o.exec_path = NULL;
	o.qemu = "/nonexistent/qemu-aarch64";
	CHECK(exec_start(&o, &err) == NULL);
	CHECK_CONTAINS(err.msg, "qemu-user-static");
#endif
}

/* Writes a pattern at SP - depth in one run and reads it back in the next:
 * what the second run sees there (0 when the executor zeroed it). depth is
 * 4000 or a multiple of 4096 up to 0xfff000. */
static uint64_t stack_left_over(struct exec *ex, uint32_t depth)
{
	uint32_t write[12], read[6], sub;
	int nw = 0, nr = 0;
	struct exec_result res;

	sub = depth % 4096 ? a64_sub_imm(9, A64_SP, depth) : a64_sub_imm(9, A64_SP, depth >> 12) | 1u << 22;
	nw = a64_mov64(write, nw, 10, 0x1122334455667788ull);
	write[nw++] = sub;
	write[nw++] = a64_str(10, 9, 0);
	write[nw++] = 0xd2800000; /* mov x0, #0 */
	write[nw++] = A64_RET;
	read[nr++] = sub;
	read[nr++] = a64_ldr(0, 9, 0);
	read[nr++] = A64_RET;
	if (exec_test_run(ex, write, nw, 0, NULL, &res))
		return UINT64_MAX;
	CHECK_MSG(res.status == EXEC_OK, "status %s: %s", exec_status_name(res.status), res.detail);
	if (exec_test_run(ex, read, nr, 0, NULL, &res))
		return UINT64_MAX;
	CHECK_MSG(res.status == EXEC_OK, "status %s: %s", exec_status_name(res.status), res.detail);
	return res.r0;
}

/* A run never sees what an earlier run left below SP: the executor zeroes
 * the stack first, so a JIT bug that reads unwritten stack gives the same
 * answer in the fuzzer, in `callfuzz run` and in the minimizer. 8 KiB by
 * default (8 frames reach about 5 KiB down); 32 KiB for `callfuzz run` and
 * the minimizer (exec_opts.stack_zero_kib), which rely on it between
 * candidates. */
TEST(exec_each_run_starts_on_a_zeroed_stack)
{
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	CHECK_EQ(stack_left_over(ex, 4000), 0);
	/* 28 KiB down the default does not reach: the option below matters */
	CHECK_EQ(stack_left_over(ex, 7 << 12), 0x1122334455667788ull);
	exec_stop(ex);
	ex = exec_test_start_opts((struct exec_opts){ .stack_zero_kib = 32 });
	if (!ex)
		return;
	CHECK_EQ(stack_left_over(ex, 4000), 0);
	CHECK_EQ(stack_left_over(ex, 7 << 12), 0);
	exec_stop(ex);
}

TEST(exec_auto_spin_follows_jobs)
{
	/* Spinning only when each job and its executor can have a CPU:
	 * more jobs than half the CPUs means never. ($CALLFUZZ_JOBS and
	 * $CALLFUZZ_SPIN_US reach exec_opts through the entry points:
	 * tests/e2e/bench_smoke.sh checks them on `callfuzz bench exec`.) */
	cpu_set_t cpus;

	CHECK_EQ(exec_auto_spin_us(100000), 0);
	if (!sched_getaffinity(0, sizeof(cpus), &cpus)) {
		int want = CPU_COUNT(&cpus) >= 2 ? EXEC_SPIN_US_AUTO : 0;

		CHECK_EQ(exec_auto_spin_us(1), want);
		CHECK_EQ(exec_auto_spin_us(0), want); /* unset counts as one job */
		CHECK_EQ(exec_auto_spin_us(CPU_COUNT(&cpus) / 2 + 1), 0);
	}
}

TEST(exec_results_do_not_depend_on_spinning)
{
	/* The same codes with spinning off, fixed and adaptive. */
	static const int spin[] = { -1, 50, 0 };

	for (size_t i = 0; i < sizeof(spin) / sizeof(spin[0]); i++) {
		struct exec *ex = exec_test_start_opts((struct exec_opts){ .spin_us = spin[i] });

		if (!ex)
			return;
		alternate_codes(ex, 10);
		CHECK_EQ(exec_restarts(ex), 1);
		exec_stop(ex);
	}
}

/* tests/harness/exec_run.c: the executor runs code and hands back r0 and
 * ctx; code replaced between runs is the code that runs. */
#include "tests/harness/exec_test.h"

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

/* A run never sees what an earlier run left below SP: the executor zeroes
 * the stack first, so a JIT bug that reads unwritten stack gives the same
 * answer in the fuzzer, in `callfuzz run` and in the minimizer. */
TEST(exec_each_run_starts_on_a_zeroed_stack)
{
	uint32_t write[16], read[8];
	int nw = 0, nr = 0;
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	nw = a64_mov64(write, nw, 10, 0x1122334455667788ull);
	write[nw++] = a64_sub_imm(9, A64_SP, 4000); /* deep below SP, where 8 frames reach */
	write[nw++] = a64_str(10, 9, 0);
	write[nw++] = a64_sub_imm(9, A64_SP, 64);
	write[nw++] = a64_str(10, 9, 0);
	write[nw++] = 0xd2800000; /* mov x0, #0 */
	write[nw++] = A64_RET;
	read[nr++] = a64_sub_imm(9, A64_SP, 4000);
	read[nr++] = a64_ldr(0, 9, 0);
	read[nr++] = a64_sub_imm(9, A64_SP, 64);
	read[nr++] = a64_ldr(10, 9, 0);
	read[nr++] = 0xaa0a0000; /* orr x0, x0, x10 */
	read[nr++] = A64_RET;
	if (!exec_test_run(ex, write, nw, 0, NULL, &res))
		CHECK_MSG(res.status == EXEC_OK, "status %s: %s", exec_status_name(res.status), res.detail);
	if (!exec_test_run(ex, read, nr, 0, NULL, &res)) {
		CHECK_MSG(res.status == EXEC_OK, "status %s: %s", exec_status_name(res.status), res.detail);
		CHECK_EQ(res.r0, 0);
	}
	exec_stop(ex);
}

/* tests/target/exec_faults.c: what goes wrong in the code becomes a
 * result (ABI, CRASH, TIMEOUT), and the next run works. */
#include <signal.h>

#include "tests/target/exec_test.h"

static const uint32_t ret42[] = { 0xd2800540 /* mov x0, #42 */, A64_RET };

static void check_next_run_works(struct exec *ex)
{
	struct exec_result res;

	if (!exec_test_run(ex, ret42, 2, 0, NULL, &res)) {
		CHECK_MSG(res.status == EXEC_OK, "status %s: %s", exec_status_name(res.status), res.detail);
		CHECK_EQ(res.r0, 42);
	}
}

TEST(exec_abi_names_clobbered_callee_saved_register)
{
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	for (int r = 19; r <= 28; r++) {
		uint32_t code[] = { a64_movz(r, 1, 0), 0xd2800000 /* mov x0, #0 */, A64_RET };

		if (exec_test_run(ex, code, 3, 0, NULL, &res))
			break;
		CHECK_MSG(res.status == EXEC_ABI, "x%d: status %s", r, exec_status_name(res.status));
		CHECK_EQ(res.abi, r);
		CHECK_EQ(res.abi_actual, 1);
		char name[8];

		snprintf(name, sizeof(name), "x%d", r);
		CHECK_STR(exec_abi_name(res.abi), name);
		CHECK_CONTAINS(res.detail, exec_abi_name(res.abi));
	}
	check_next_run_works(ex);
	CHECK_EQ(exec_restarts(ex), 1);
	exec_stop(ex);
}

TEST(exec_abi_fp_and_sp)
{
	static const uint32_t fp_code[] = { 0xd28000bd /* mov x29, #5 */, A64_RET };
	static const uint32_t sp_code[] = { 0xd10043ff /* sub sp, sp, #16 */, A64_RET };
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	if (!exec_test_run(ex, fp_code, 2, 0, NULL, &res)) {
		CHECK(res.status == EXEC_ABI);
		CHECK_EQ(res.abi, EXEC_ABI_FP);
	}
	if (!exec_test_run(ex, sp_code, 2, 0, NULL, &res)) {
		CHECK(res.status == EXEC_ABI);
		CHECK_EQ(res.abi, EXEC_ABI_SP);
		CHECK_EQ(res.abi_expected - res.abi_actual, 16);
		CHECK_EQ(res.abi_expected, exec_info(ex)->stack_top);
	}
	check_next_run_works(ex);
	exec_stop(ex);
}

TEST(exec_abi_canary_above_entry_sp)
{
	/* str x0, [sp, #8]: into the caller's frame, which is the canary. */
	static const uint32_t code[] = { 0xf90007e0, A64_RET };
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	if (!exec_test_run(ex, code, 2, 0, NULL, &res)) {
		CHECK(res.status == EXEC_ABI);
		CHECK_EQ(res.abi, EXEC_ABI_CANARY);
		CHECK_EQ(res.abi_actual, 8); /* first damaged byte */
	}
	check_next_run_works(ex); /* the canary is repaired */
	exec_stop(ex);
}

TEST(exec_null_load_is_crash_with_pc_offset)
{
	/* entry at byte 8: mov x1, #0 (8); ldr x0, [x1, #16] (12) faults */
	static const uint32_t code[] = { A64_UDF0, A64_UDF0, 0xd2800001, 0xf9400820, A64_RET };
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	if (!exec_test_run(ex, code, 5, 8, NULL, &res)) {
		CHECK_MSG(res.status == EXEC_CRASH, "status %s", exec_status_name(res.status));
		CHECK_EQ(res.signal, SIGSEGV);
		CHECK_EQ(res.fault_addr, 16);
		CHECK_EQ(res.fault_pc_off, 12);
		CHECK_EQ(res.fault_pc, res.code_addr + 12);
		CHECK_CONTAINS(res.detail, "code+0xc");
	}
	check_next_run_works(ex);
	CHECK_EQ(exec_restarts(ex), 1); /* survived without a restart */
	exec_stop(ex);
}

TEST(exec_udf_and_brk_are_crashes)
{
	static const uint32_t udf[] = { A64_NOP, A64_UDF0 };
	static const uint32_t brk[] = { A64_BRK0 };
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	if (!exec_test_run(ex, udf, 2, 0, NULL, &res)) {
		CHECK(res.status == EXEC_CRASH);
		CHECK_EQ(res.signal, SIGILL);
		CHECK_EQ(res.fault_pc_off, 4);
	}
	if (!exec_test_run(ex, brk, 1, 0, NULL, &res)) {
		CHECK(res.status == EXEC_CRASH);
		CHECK_EQ(res.signal, SIGTRAP);
		CHECK_EQ(res.fault_pc_off, 0);
	}
	check_next_run_works(ex);
	exec_stop(ex);
}

TEST(exec_stack_overflow_hits_guard_page)
{
	/* loop: sub sp, sp, #4096; str x0, [sp]; b loop */
	static const uint32_t code[] = { 0xd14007ff /* sub sp, sp, #1, lsl #12 */, 0xf90003e0,
					 0x17fffffe /* b -8 */ };
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	if (!exec_test_run(ex, code, 3, 0, NULL, &res)) {
		CHECK_MSG(res.status == EXEC_CRASH, "status %s: %s", exec_status_name(res.status), res.detail);
		CHECK_EQ(res.signal, SIGSEGV);
		CHECK_EQ(res.fault_pc_off, 4);
		CHECK(res.fault_addr < exec_info(ex)->stack_lo);
	}
	check_next_run_works(ex);
	CHECK_EQ(exec_restarts(ex), 1);
	exec_stop(ex);
}

TEST(exec_crash_inside_helper)
{
	/* stack_hash(NULL, 8): the helper faults, outside the code region. */
	uint32_t code[32];
	int n = 0;
	uint64_t addr[32];
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	exec_callee_addrs(ex, addr, 32);
	code[n++] = A64_PUSH_FP_LR;
	code[n++] = A64_MOV_FP_SP;
	code[n++] = a64_movz(0, 0, 0);
	code[n++] = a64_movz(1, 8, 0);
	n = a64_mov64(code, n, 9, addr[cf_callee_index(cf_callee_find(false, CF_HELPER_STACK_HASH))]);
	code[n++] = a64_blr(9);
	code[n++] = A64_POP_FP_LR;
	code[n++] = A64_RET;
	if (!exec_test_run(ex, code, n, 0, NULL, &res)) {
		CHECK(res.status == EXEC_CRASH);
		CHECK_EQ(res.signal, SIGSEGV);
		CHECK_EQ(res.fault_addr, 0);
		CHECK_EQ((uint64_t)res.fault_pc_off, (uint64_t)-1);
	}
	check_next_run_works(ex);
	exec_stop(ex);
}

TEST(exec_infinite_loop_times_out_then_recovers)
{
	static const uint32_t code[] = { A64_B_SELF };
	struct exec_result res;
	struct exec *ex = exec_test_start(200);

	if (!ex)
		return;
	if (!exec_test_run(ex, code, 1, 0, NULL, &res)) {
		CHECK_MSG(res.status == EXEC_TIMEOUT, "status %s", exec_status_name(res.status));
		CHECK(res.wall_ns >= 200000000ull);
		CHECK_CONTAINS(res.detail, "200 ms");
	}
	CHECK_EQ(exec_restarts(ex), 2);
	check_next_run_works(ex);
	exec_stop(ex);
}

TEST(exec_executor_death_is_crash_then_recovers)
{
	/* exit_group(7) from the code: the executor itself goes away. */
	static const uint32_t code[] = { 0xd2800bc8 /* mov x8, #94 */, 0xd28000e0 /* mov x0, #7 */, A64_SVC0 };
	struct exec_result res;
	struct exec *ex = exec_test_start(0);

	if (!ex)
		return;
	if (!exec_test_run(ex, code, 3, 0, NULL, &res)) {
		CHECK_MSG(res.status == EXEC_CRASH, "status %s", exec_status_name(res.status));
		CHECK_CONTAINS(res.detail, "exited with status 7");
	}
	CHECK_EQ(exec_restarts(ex), 2);
	check_next_run_works(ex);
	exec_stop(ex);
}

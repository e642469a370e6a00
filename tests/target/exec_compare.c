/* tests/target/exec_compare.c: compare_results names the first divergence
 * in design.md's order (CRASH/TIMEOUT, TRACE, STACK, OUTBUF, RETVAL, ABI). */
#include <stdlib.h>
#include <sys/wait.h>

#include "tests/target/exec_test.h"

static struct interp_result ir;
static struct exec_result xr;

static void equal_pair(void)
{
	memset(&ir, 0, sizeof(ir));
	memset(&xr, 0, sizeof(xr));
	ir.status = INTERP_OK;
	xr.status = EXEC_OK;
	xr.fault_pc_off = -1;
	ir.r0 = xr.r0 = 5;
	for (int t = 0; t < 2; t++) {
		struct cf_trace *tr = t ? &xr.trace : &ir.trace;

		tr->nevents = 3;
		tr->ev[0] = (struct cf_event){ CF_HELPER_TRACE, 5, { 1, 2, 3, 4, 5 } };
		tr->ev[1] = (struct cf_event){ CF_HELPER_STACK_HASH, 2, { 8, 0x1234 } };
		tr->ev[2] = (struct cf_event){ CF_KFUNC_ARGS_BASE + 12, 12, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 } };
	}
	ir.ctx[7] = xr.ctx[7] = 9;
}

TEST(exec_compare_equal)
{
	struct mismatch m;

	equal_pair();
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_NONE);
}

TEST(exec_compare_names_first_divergence_in_order)
{
	struct mismatch m;

	/* Everything differs: TRACE wins (kf_args12 arg 10). */
	equal_pair();
	xr.trace.ev[2].args[9] = 99;
	xr.trace.ev[1].args[1] = 0x4321;
	xr.ctx[3] = 1;
	xr.r0 = 6;
	xr.status = EXEC_ABI;
	xr.abi = EXEC_ABI_X19;
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_TRACE);
	CHECK_EQ(m.event, 2);
	CHECK_EQ(m.arg, 9);
	CHECK_EQ(m.want, 10);
	CHECK_EQ(m.got, 99);
	CHECK_CONTAINS(m.place, "(kf_args12) arg 10");
	/* then STACK (the hash), even though it came earlier in time */
	xr.trace.ev[2].args[9] = 10;
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_STACK);
	CHECK_EQ(m.arg, 1);
	CHECK_EQ(m.got, 0x4321);
	/* then OUTBUF, RETVAL, ABI */
	xr.trace.ev[1].args[1] = 0x1234;
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_OUTBUF);
	CHECK_EQ(m.offset, 3);
	CHECK_STR(m.place, "ctx[3]");
	xr.ctx[3] = 0;
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_RETVAL);
	CHECK_EQ(m.want, 5);
	CHECK_EQ(m.got, 6);
	xr.r0 = 5;
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_ABI);
	CHECK_STR(m.place, "x19");
	/* a run that did not finish comes first */
	xr.status = EXEC_CRASH;
	snprintf(xr.detail, sizeof(xr.detail), "signal 11");
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_CRASH);
	xr.status = EXEC_TIMEOUT;
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_TIMEOUT);
}

TEST(exec_compare_missing_and_extra_events)
{
	struct mismatch m;

	equal_pair();
	xr.trace.nevents = 2; /* the JIT never made the kf_args12 call */
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_TRACE);
	CHECK_CONTAINS(m.place, "missing from the JIT");
	equal_pair();
	xr.trace.ev[3] = (struct cf_event){ CF_HELPER_STACK_HASH, 2, { 8, 1 } };
	xr.trace.nevents = 4;
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_STACK);
	CHECK_CONTAINS(m.place, "only by the JIT");
	equal_pair();
	xr.trace.ev[0].id = CF_KFUNC_ARGS_BASE + 6;
	CHECK_EQ(compare_results(&ir, &xr, NULL, NULL, &m), MISMATCH_TRACE);
	CHECK_CONTAINS(m.place, "kf_args6");
}

TEST(exec_run_cli_jit_side_by_side)
{
	/* `callfuzz run` on a 12-argument kfunc call plus a stack snapshot. */
	char cmd[1024], path[] = "/tmp/callfuzz-exec-run-XXXXXX";
	const char *prog = ".func main\n    r1 = 1\n    r2 = 2\n    r3 = 3\n    r4 = 4\n    r5 = 5\n"
			   "    *(u64 *)(r11 - 8) = 6\n    *(u64 *)(r11 - 16) = 7\n    *(u64 *)(r11 - 24) = 8\n"
			   "    *(u64 *)(r11 - 32) = 9\n    *(u64 *)(r11 - 40) = 10\n    *(u64 *)(r11 - 48) = 11\n"
			   "    *(u64 *)(r11 - 56) = 12\n    call kfunc kf_args12\n    *(u64 *)(r10 - 8) = r0\n"
			   "    r1 = r10\n    r1 += -8\n    r2 = 8\n    call stack_hash\n    r0 = 3\n    exit\n";
	struct exec *ex = exec_test_start(0);
	int fd, rc;

	if (!ex)
		return;
	exec_stop(ex);
	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, prog, strlen(prog)) == (ssize_t)strlen(prog));
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s/callfuzz run %s >/dev/null 2>&1", test_build_dir(), path);
	rc = system(cmd);
	unlink(path);
	CHECK_MSG(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "`callfuzz run` exit status 0x%x", rc);
}

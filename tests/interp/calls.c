/* tests/interp/calls.c: BPF-to-BPF calls: 16 frames (7.2's MAX_CALL_FRAMES), each with its own
 * stack, r6..r9 and r10 preserved per frame, r1..r5 clobbered, frame
 * limits, pointers into a caller's frame, the instruction budget. */
#include "tests/interp/util.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>

/* main -> f1 -> ... -> f(depth-1). Each fi (1..depth-2) sets r6 = 10 i,
 * stores 100 i at its r10-8, calls the next, then adds r6 and its stack
 * value to r0; the last returns 1. */
static void chain_program(int depth, char *buf, size_t size)
{
	int len = snprintf(buf, size,
			   ".func main\n    r6 = 1000\n    call f1\n    r0 += r6\n    exit\n");

	for (int i = 1; i < depth - 1; i++)
		len += snprintf(buf + len, size - len,
				".func f%d\n    r6 = %d\n    *(u64 *)(r10 - 8) = %d\n    call f%d\n"
				"    r0 += r6\n    r1 = *(u64 *)(r10 - 8)\n    r0 += r1\n    exit\n",
				i, 10 * i, 100 * i, i + 1);
	snprintf(buf + len, size - len, ".func f%d\n    r0 = 1\n    exit\n", depth - 1);
}

TEST(calls_sixteen_frames_preserve_r6_and_stacks)
{
	char text[4096];
	struct interp_result res;
	uint64_t want = 1000 + 1;

	for (int i = 1; i <= 14; i++)
		want += 10 * (uint64_t)i + 100 * (uint64_t)i;
	chain_program(CF_MAX_FRAMES, text, sizeof(text));
	t_run_text(text, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, want);
}

TEST(calls_seventeenth_frame_faults)
{
	char text[4096];
	struct interp_result res;

	chain_program(CF_MAX_FRAMES + 1, text, sizeof(text));
	t_run_text_unchecked(text, NULL, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func f15 insn 2: call f16: more than 16 call frames");
}

TEST(calls_clobber_r1_to_r5_and_poison_callee_regs)
{
	struct interp_result res;

	/* after the call, r1 holds the poison value, not 5 */
	t_run_text_unchecked(".func main\n    r1 = 5\n    call f\n    r0 = r1\n    exit\n"
			     ".func f\n    r0 = 0\n    exit\n", NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, INTERP_POISON);
	/* the callee does not see the caller's r6 */
	t_run_text_unchecked(".func main\n    r6 = 5\n    call f\n    exit\n"
			     ".func f\n    r0 = r6\n    exit\n", NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, INTERP_POISON);
}

TEST(calls_each_frame_has_its_own_stack)
{
	struct interp_result res;

	/* the callee's r10-8 is not the caller's: it was never written */
	t_run_text_unchecked(".func main\n    *(u64 *)(r10 - 8) = 5\n    call f\n    exit\n"
			     ".func f\n    r0 = *(u64 *)(r10 - 8)\n    exit\n", NULL, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func f insn 0: load of 8 bytes at r10-8 of frame 1 reads stack bytes never written");
	/* a second call gets a fresh stack too */
	t_run_text_unchecked(".func main\n    call f\n    call g\n    exit\n"
			     ".func f\n    *(u64 *)(r10 - 8) = 5\n    r0 = 0\n    exit\n"
			     ".func g\n    r0 = *(u64 *)(r10 - 8)\n    exit\n", NULL, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func g insn 0:");
}

TEST(calls_callee_writes_caller_stack_through_pointer)
{
	struct interp_result res;

	t_run_text(".func main\n    *(u64 *)(r10 - 16) = 3\n    r1 = r10\n    r1 += -16\n    call f\n"
		   "    r0 = *(u64 *)(r10 - 16)\n    exit\n"
		   ".func f, 1\n    r2 = *(u64 *)(r1 + 0)\n    r2 *= 7\n    *(u64 *)(r1 + 0) = r2\n    r0 = 0\n    exit\n",
		   NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 21);
}

TEST(calls_pointer_into_a_returned_frame_faults)
{
	struct interp_result res;

	t_run_text_unchecked(".func main\n    call f\n    *(u64 *)(r0 + 0) = 1\n    exit\n"
			     ".func f\n    r0 = r10\n    r0 += -8\n    exit\n", NULL, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func main insn 1: store of 8 bytes at frame 1's r10-8: that frame is not live");
}

TEST(calls_budget_gives_timeout)
{
	struct interp_opts o;
	struct interp_result res;
	struct cf_prog p;

	REQUIRE(t_parse(".func main\n    r0 = 0\nloop:\n    r0 += 1\n    goto loop\n", &p));
	interp_opts_default(&o);
	CHECK_EQ(o.insn_budget, 1000000);
	o.insn_budget = 1000;
	CHECK_EQ(interp_run(&p, &o, NULL, NULL, &res), 0);
	CHECK_EQ(res.status, INTERP_TIMEOUT);
	CHECK_EQ(res.insns_executed, 1000);
	CHECK_EQ(res.r0, 500); /* 1 + 999 insns of the 2-insn loop, 500 adds */
	cf_prog_free(&p);
}

TEST(calls_budget_counts_exactly)
{
	struct interp_opts o;
	struct interp_result res;
	struct cf_prog p;

	/* 4 insns in main + 2 in f = 6: a budget of 6 suffices, 5 does not */
	REQUIRE(t_parse(".func main\n    r1 = 2\n    call f\n    r0 += 1\n    exit\n"
			".func f, 1\n    r0 = r1\n    exit\n", &p));
	interp_opts_default(&o);
	o.insn_budget = 6;
	interp_run(&p, &o, NULL, NULL, &res);
	CHECK_EQ(res.status, INTERP_OK);
	CHECK_EQ(res.r0, 3);
	CHECK_EQ(res.insns_executed, 6);
	o.insn_budget = 5;
	interp_run(&p, &o, NULL, NULL, &res);
	CHECK_EQ(res.status, INTERP_TIMEOUT);
	cf_prog_free(&p);
}

TEST(calls_prepared_image_runs_repeatedly)
{
	struct interp_image *img;
	struct interp_result res;
	struct cf_prog p;
	struct cf_err err;
	uint8_t ctx[CF_CTX_SIZE] = { 0 };

	REQUIRE(t_parse(".func main\n    r0 = *(u8 *)(r1 + 0)\n    r0 *= 3\n    exit\n", &p));
	img = interp_prepare(&p, &err);
	REQUIRE_MSG(img, "%s", err.msg);
	for (int i = 0; i < 3; i++) {
		ctx[0] = (uint8_t)i;
		interp_exec(img, NULL, NULL, ctx, &res);
		CHECK_EQ(res.status, INTERP_OK);
		CHECK_EQ(res.r0, 3 * (uint64_t)i);
	}
	interp_image_free(img);
	cf_prog_free(&p);
}

TEST(calls_bad_arguments_are_refused)
{
	struct interp_result res;
	struct cf_prog p;

	cf_prog_init(&p);
	CHECK_EQ(interp_run(&p, NULL, NULL, NULL, &res), -1);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "no functions");
}

TEST(calls_insn_trace_prints_insns_and_changed_regs)
{
	struct interp_opts o;
	struct interp_result res;
	struct cf_prog p;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	REQUIRE(out);
	REQUIRE(t_parse(".func main\n    r0 = 7\n    r0 += 1\n    exit\n", &p));
	interp_opts_default(&o);
	o.insn_trace = out;
	interp_run(&p, &o, NULL, NULL, &res);
	fclose(out);
	CHECK_EQ(res.status, INTERP_OK);
	CHECK_CONTAINS(buf, "main:0: r0 = 7");
	CHECK_CONTAINS(buf, "r0=0x7\n");
	CHECK_CONTAINS(buf, "main:1: r0 += 1");
	CHECK_CONTAINS(buf, "r0=0x8\n");
	CHECK_CONTAINS(buf, "main:2: exit");
	free(buf);
	cf_prog_free(&p);
}

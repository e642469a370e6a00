/* tests/interp/tail_calls.c: bpf_tail_call in the interpreter against the
 * documented semantics (include/uapi/linux/bpf.h bpf_tail_call; the rules
 * and their 7.2 sources in docs/kernel-paths.md "Tail calls"): the index is
 * a u32, out of range or empty falls through, at most 33 taken tail calls
 * per run, one count across BPF-to-BPF calls, and a target replaces the
 * frame it was called from. Expected values worked out by hand; the same
 * programs ran equal on Debian's 7.2.13 kernels, arm64 and x86-64
 * (tests/e2e/vm_verdicts.sh runs them in the kernel). */
#include "interp/interp.h"
#include "tests/interp/util.h"
#include "tests/test.h"

#include <stdlib.h>
#include <string.h>

static uint64_t ctx_u64(const struct interp_result *r, int off)
{
	uint64_t v;

	memcpy(&v, r->ctx + off, 8);
	return v;
}

#define JT ".map jt, prog_array, entries=4\n"
/* t0 returns 42 */
#define T42 "\n.prog jt[1]\n.func t0\n  r0 = 42\n  exit\n"
#define MAIN_INDEX(index) \
	".func main\n  r2 = map[jt] ll\n  r3 = " index "\n  call bpf_tail_call\n  r0 = 7\n  exit\n"

static uint64_t run_r0(const char *text, uint32_t *tail_calls)
{
	struct interp_result *res = malloc(sizeof(*res));
	uint64_t r0 = 0;

	if (!res)
		return 0;
	if (t_run_text(text, NULL, res) && res->status == INTERP_OK) {
		r0 = res->r0;
		*tail_calls = res->tail_calls;
	} else {
		test_fail(__FILE__, __LINE__, "run: %s", res->fault);
	}
	free(res);
	return r0;
}

TEST(tail_call_index_range_and_empty_entries)
{
	uint32_t n = 99;

	/* taken: the target's r0 is the result, the rest of main never runs */
	CHECK_EQ(run_r0(JT MAIN_INDEX("1") T42, &n), 42);
	CHECK_EQ(n, 1);
	/* an empty entry, an index at max_entries and far past it fall through */
	CHECK_EQ(run_r0(JT MAIN_INDEX("0") T42, &n), 7);
	CHECK_EQ(n, 0);
	CHECK_EQ(run_r0(JT MAIN_INDEX("4") T42, &n), 7);
	CHECK_EQ(run_r0(JT MAIN_INDEX("-1") T42, &n), 7);
	/* the index is r3's low 32 bits (kernel/bpf/core.c: u32 index = BPF_R3) */
	CHECK_EQ(run_r0(JT MAIN_INDEX("0x100000001 ll") T42, &n), 42);
	CHECK_EQ(n, 1);
}

/* t0 adds 1 to ctx[8] and tail calls itself through jt[1] */
#define SELF_LOOP                                                                                   \
	"\n.prog jt[1]\n.func t0\n  r6 = r1\n  r2 = *(u64 *)(r6 + 8)\n  r2 += 1\n  *(u64 *)(r6 + 8) = r2\n" \
	"  r1 = r6\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = *(u64 *)(r6 + 8)\n  exit\n"

TEST(tail_call_count_stops_at_33)
{
	struct interp_result *res = malloc(sizeof(*res));

	CHECK(res != NULL);
	if (!res)
		return;
	/* main's tail call and 32 of t0's are taken: t0 runs 33 times, its
	 * 34th call falls through */
	CHECK(t_run_text(JT MAIN_INDEX("1") SELF_LOOP, NULL, res));
	CHECK_EQ(res->status, INTERP_OK);
	CHECK_EQ(res->r0, 33);
	CHECK_EQ(ctx_u64(res, 8), 33);
	CHECK_EQ(res->tail_calls, CF_MAX_TAIL_CALL_CNT);
	free(res);
}

TEST(tail_call_count_survives_bpf_to_bpf_calls)
{
	struct interp_result *res = malloc(sizeof(*res));

	CHECK(res != NULL);
	if (!res)
		return;
	/* the first call of f spends the run's 33 tail calls; the second
	 * falls through (f returns 99): one count per run, kept across the
	 * calls and returns (the JITs pass a pointer to main's count) */
	CHECK(t_run_text(JT ".func main, 1, stack=8\n  *(u64 *)(r10 - 8) = r1\n  r1 = *(u64 *)(r10 - 8)\n  call f\n"
			  "  r6 = r0\n  r1 = *(u64 *)(r10 - 8)\n  call f\n  r0 <<= 8\n  r0 += r6\n  exit\n"
			  ".func f, 1\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 99\n  exit\n" SELF_LOOP,
		       NULL, res));
	CHECK_EQ(res->status, INTERP_OK);
	CHECK_EQ(res->r0, (99 << 8) + 33);
	CHECK_EQ(ctx_u64(res, 8), 33);
	CHECK_EQ(res->tail_calls, 33);
	free(res);
}

TEST(tail_call_from_a_subprogram_returns_to_its_caller)
{
	uint32_t n = 0;

	/* f's frame becomes t0's: t0's r0 goes back to main, main's r6 and
	 * stack are as main left them */
	CHECK_EQ(run_r0(JT ".func main, 1, stack=8\n  *(u64 *)(r10 - 8) = 1000\n  r6 = 5\n  call f\n"
			   "  r1 = *(u64 *)(r10 - 8)\n  r0 += r1\n  r0 += r6\n  exit\n"
			   ".func f, 1, stack=8\n  *(u64 *)(r10 - 8) = 3\n  r6 = 7\n  r2 = map[jt] ll\n  r3 = 1\n"
			   "  call bpf_tail_call\n  r0 = r6\n  exit\n" T42,
			&n),
		 1047);
	CHECK_EQ(n, 1);
}

TEST(tail_call_targets_share_the_maps)
{
	struct interp_result *res = malloc(sizeof(*res));

	CHECK(res != NULL);
	if (!res)
		return;
	/* t0 writes m0[0]; main reads it after f returns */
	CHECK(t_run_text(".map m0, array, key=4, value=8, entries=1\n" JT
		       ".func main\n  call f\n  r1 = map[m0][0]+0 ll\n  r0 = *(u64 *)(r1 + 0)\n  exit\n"
		       ".func f, 1\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 0\n  exit\n"
		       "\n.prog jt[1]\n.func t0\n  r1 = map[m0][0]+0 ll\n  *(u64 *)(r1 + 0) = 0x1234\n  r0 = 0\n  exit\n",
		       NULL, res));
	CHECK_EQ(res->status, INTERP_OK);
	CHECK_EQ(res->r0, 0x1234);
	free(res);
}

TEST(tail_calls_through_subprograms_nest_past_16_frames)
{
	struct interp_result *res = malloc(sizeof(*res));

	CHECK(res != NULL);
	if (!res)
		return;
	/* t0 calls g, g tail calls t0: every hop leaves t0's frame below the
	 * next, 34 frames deep at the end (the kernel's bound is its stack) */
	CHECK(t_run_text(JT MAIN_INDEX("1")
		       "\n.prog jt[1]\n.func t0\n  call g\n  r0 += 1\n  exit\n"
		       ".func g, 1\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 0\n  exit\n",
		       NULL, res));
	CHECK_EQ(res->status, INTERP_OK);
	/* 33 tail calls: 33 runs of t0 each add 1 on the way back */
	CHECK_EQ(res->r0, 33);
	free(res);
}

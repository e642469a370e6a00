/* tests/repro/min_passes.c: the minimizer's passes on hand-written
 * programs, with fake "signatures" (predicates on the program or on the
 * interpreter's result), so that no buggy JIT is needed. Whatever the
 * predicate, every kept program must pass the checker and run in the
 * interpreter: the tests check that again on the result. */
#include "harness/repro/repro.h"
#include "tests/test.h"

#include <stdlib.h>

static bool parse(const char *text, struct cf_prog *p)
{
	struct cf_err err;

	if (cf_asm_parse(text, strlen(text), "test.s", p, &err)) {
		test_fail(__FILE__, __LINE__, "parse: %s", err.msg);
		return false;
	}
	return true;
}

static bool still_valid(const struct cf_prog *p)
{
	struct cf_check_opts o;
	struct cf_err err;
	static struct interp_result ir;

	cf_check_opts_default(&o);
	if (cf_check(p, &o, &err))
		return false;
	interp_run(p, NULL, NULL, NULL, &ir);
	return ir.status == INTERP_OK;
}

static int call_nargs_sites(const struct cf_prog *p, int nargs)
{
	int n = 0;

	for (int fi = 0; fi < p->nfuncs; fi++)
		for (int pc = 0; pc < p->funcs[fi].ninsns; pc++) {
			const struct bpf_insn *i = &p->funcs[fi].insns[pc];

			if (cf_insn_is_pseudo_call(i) && p->funcs[i->imm].nargs == nargs)
				n++;
		}
	return n;
}

/* fake signature: "a call of a 9-argument subprogram" */
static bool keep_call9(void *opaque, const struct cf_prog *p)
{
	(void)opaque;
	return call_nargs_sites(p, 9) > 0;
}

static int r11_ops(const struct cf_func *f, bool store)
{
	int n = 0;

	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];

		if (store ? (BPF_CLASS(i->code) == BPF_ST || BPF_CLASS(i->code) == BPF_STX) && i->dst_reg == 11
			  : BPF_CLASS(i->code) == BPF_LDX && i->src_reg == 11)
			n++;
	}
	return n;
}

static const char big_prog[] =
	".func main\n"
	"    r6 = r1\n"
	"    r7 = 100\n"
	"    r1 = 1\n"
	"    r2 = 2\n"
	"    r3 = 3\n"
	"    call add3\n"
	"    r7 += r0\n"
	"    if r7 > 1000 goto skip\n"
	"    r1 = 1\n"
	"    r2 = 2\n"
	"    r3 = 3\n"
	"    r4 = 4\n"
	"    r5 = 5\n"
	"    *(u64 *)(r11 - 8) = 6\n"
	"    *(u64 *)(r11 - 16) = r7\n"
	"    r8 = 0x123456789 ll\n"
	"    *(u64 *)(r11 - 24) = r8\n"
	"    *(u64 *)(r11 - 32) = 9\n"
	"    call sum9\n"
	"    r7 += r0\n"
	"skip:\n"
	"    *(u64 *)(r10 - 8) = r7\n"
	"    r0 = *(u64 *)(r10 - 8)\n"
	"    exit\n"
	"\n"
	".func add3, 3\n"
	"    r0 = r1\n"
	"    r0 += r2\n"
	"    r0 += r3\n"
	"    exit\n"
	"\n"
	".func sum9, 9\n"
	"    r6 = *(u64 *)(r11 + 8)\n"
	"    r7 = *(u64 *)(r11 + 16)\n"
	"    r8 = *(u64 *)(r11 + 24)\n"
	"    r9 = *(u64 *)(r11 + 32)\n"
	"    r0 = r1\n"
	"    r0 += r6\n"
	"    r0 += r7\n"
	"    r0 += r8\n"
	"    r0 += r9\n"
	"    if r0 == 77 goto odd\n"
	"    exit\n"
	"odd:\n"
	"    r0 = 1\n"
	"    exit\n";

TEST(min_keeps_call_of_9_args_and_drops_the_rest)
{
	struct cf_prog p;
	struct min_opts o;
	struct min_stats st;
	struct cf_err err;
	int sum9;

	REQUIRE(parse(big_prog, &p));
	min_opts_default(&o);
	REQUIRE_MSG(min_reduce(&p, keep_call9, NULL, &o, &st, &err) == 0, "%s", err.msg);
	CHECK(still_valid(&p));
	CHECK(keep_call9(NULL, &p));
	/* add3 is gone; main keeps the 4 stores rule 2.1 needs, the call and
	 * exit; sum9 needs r0 defined before exit: at most 6 + 2 */
	CHECK_EQ(p.nfuncs, 2);
	sum9 = cf_prog_find_func(&p, "sum9");
	REQUIRE(sum9 == 1);
	CHECK_EQ(p.funcs[1].nargs, 9);
	CHECK_EQ(r11_ops(&p.funcs[0], true), 4);
	CHECK_EQ(r11_ops(&p.funcs[1], false), 0);
	CHECK_MSG(min_insn_count(&p) <= 8, "%d insns left:\n%s", min_insn_count(&p), cf_asm_print(&p));
	CHECK(st.insns_before > st.insns_after);
	CHECK(st.kept > 0 && st.kept <= st.valid && st.valid <= st.candidates);
	CHECK(!st.out_of_time);
	cf_prog_free(&p);
}

/* fake signature: "the callee still reads incoming slot 1 (arg 6)" */
static bool keep_reads_arg6(void *opaque, const struct cf_prog *p)
{
	(void)opaque;
	for (int fi = 1; fi < p->nfuncs; fi++)
		for (int pc = 0; pc < p->funcs[fi].ninsns; pc++) {
			const struct bpf_insn *i = &p->funcs[fi].insns[pc];

			if (BPF_CLASS(i->code) == BPF_LDX && i->src_reg == 11 && i->off == 8)
				return true;
		}
	return false;
}

TEST(min_lowers_argument_count_of_callee_and_callers)
{
	struct cf_prog p;
	struct min_opts o;
	struct min_stats st;
	struct cf_err err;

	REQUIRE(parse(big_prog, &p));
	min_opts_default(&o);
	REQUIRE_MSG(min_reduce(&p, keep_reads_arg6, NULL, &o, &st, &err) == 0, "%s", err.msg);
	CHECK(still_valid(&p));
	REQUIRE(p.nfuncs == 2);
	/* 9 -> 6: slots 2..4 went from the callee (loads) and the caller
	 * (stores); slot 1 must stay on both sides */
	CHECK_EQ(p.funcs[1].nargs, 6);
	CHECK_EQ(r11_ops(&p.funcs[0], true), 1);
	CHECK_EQ(r11_ops(&p.funcs[1], false), 1);
	CHECK(st.kept_by_pass[MIN_PASS_LOWER_NARGS] > 0);
	cf_prog_free(&p);
}

struct want_r0 {
	uint64_t r0;
};

/* fake signature on the interpreter: "returns this r0" */
static bool keep_r0(void *opaque, const struct cf_prog *p)
{
	static struct interp_result ir;
	const struct want_r0 *w = opaque;

	interp_run(p, NULL, NULL, NULL, &ir);
	return ir.status == INTERP_OK && ir.r0 == w->r0;
}

TEST(min_straightens_branches_and_drops_ld_imm64)
{
	static const char text[] =
		".func main\n"
		"    r2 = 3\n"
		"    r3 = 0x1122334455667788 ll\n"
		"    if r2 > 1 goto big\n"
		"    r0 = 1\n"
		"    exit\n"
		"big:\n"
		"    r4 = 0x1122334455667788 ll\n"
		"    r0 = 5\n"
		"    r0 += r2\n"
		"    exit\n";
	struct want_r0 w = { 8 };
	struct cf_prog p;
	struct min_opts o;
	struct min_stats st;
	struct cf_err err;

	REQUIRE(parse(text, &p));
	min_opts_default(&o);
	REQUIRE_MSG(min_reduce(&p, keep_r0, &w, &o, &st, &err) == 0, "%s", err.msg);
	CHECK(still_valid(&p));
	CHECK(keep_r0(&w, &p));
	/* `r2 = 3; r0 = 5; r0 += r2; exit`: r0 = 8 is out of shrink-const's
	 * reach from 5 and 3; no branch, no LD_IMM64, no stale label */
	CHECK_MSG(min_insn_count(&p) <= 4, "%d insns left:\n%s", min_insn_count(&p), cf_asm_print(&p));
	CHECK_EQ(p.funcs[0].nlabels, 0);
	for (int pc = 0; pc < p.funcs[0].ninsns; pc++) {
		CHECK(!cf_insn_is_ldimm64(&p.funcs[0].insns[pc]));
		CHECK(BPF_CLASS(p.funcs[0].insns[pc].code) != BPF_JMP || BPF_OP(p.funcs[0].insns[pc].code) == BPF_EXIT);
	}
	cf_prog_free(&p);
}

/* fake signature: "r0 is not 0" */
static bool keep_r0_nonzero(void *opaque, const struct cf_prog *p)
{
	static struct interp_result ir;

	(void)opaque;
	interp_run(p, NULL, NULL, NULL, &ir);
	return ir.status == INTERP_OK && ir.r0 != 0;
}

TEST(min_shrinks_constants_toward_one)
{
	struct cf_prog p;
	struct min_opts o;
	struct min_stats st;
	struct cf_err err;

	REQUIRE(parse(".func main\n    r0 = 0x12345678\n    exit\n", &p));
	min_opts_default(&o);
	REQUIRE_MSG(min_reduce(&p, keep_r0_nonzero, NULL, &o, &st, &err) == 0, "%s", err.msg);
	REQUIRE(p.funcs[0].ninsns == 2);
	CHECK_EQ(p.funcs[0].insns[0].imm, 1);
	cf_prog_free(&p);
}

TEST(min_is_deterministic)
{
	struct cf_prog a, b;
	struct min_opts o;
	struct min_stats sa, sb;
	struct cf_err err;

	REQUIRE(parse(big_prog, &a));
	REQUIRE(parse(big_prog, &b));
	min_opts_default(&o);
	REQUIRE(min_reduce(&a, keep_call9, NULL, &o, &sa, &err) == 0);
	REQUIRE(min_reduce(&b, keep_call9, NULL, &o, &sb, &err) == 0);
	CHECK(cf_prog_equal(&a, &b));
	CHECK_EQ(sa.candidates, sb.candidates);
	cf_prog_free(&a);
	cf_prog_free(&b);
}

/* keep_call9 over a batch, counting calls and candidates seen */
struct batch_count {
	int calls, seen;
};

static int keep_call9_batch(void *opaque, const struct cf_prog *const *cands, int n)
{
	struct batch_count *bc = opaque;

	bc->calls++;
	for (int i = 0; i < n; i++) {
		bc->seen++;
		if (keep_call9(NULL, cands[i]))
			return i;
	}
	return -1;
}

/* A batch predicate (a kernel target: one round trip for many candidates)
 * must not change the result: the first kept candidate of a batch is the
 * one the loop would have kept one by one. */
TEST(min_batched_candidates_give_the_sequential_result)
{
	struct cf_prog a, b;
	struct min_opts o;
	struct min_stats sa, sb;
	struct batch_count bc = { 0 };
	struct cf_err err;

	REQUIRE(parse(big_prog, &a));
	REQUIRE(parse(big_prog, &b));
	min_opts_default(&o);
	REQUIRE(min_reduce(&a, keep_call9, NULL, &o, &sa, &err) == 0);
	o.keep_batch = keep_call9_batch;
	o.batch = 16;
	REQUIRE(min_reduce(&b, keep_call9, &bc, &o, &sb, &err) == 0);
	CHECK(cf_prog_equal(&a, &b));
	CHECK_EQ(sa.kept, sb.kept);
	CHECK_EQ(sa.insns_after, sb.insns_after);
	/* fewer calls than candidates: they did travel together */
	CHECK(bc.calls > 0);
	CHECK(bc.calls < bc.seen);
	cf_prog_free(&a);
	cf_prog_free(&b);
}

static bool keep_never(void *opaque, const struct cf_prog *p)
{
	(void)opaque;
	(void)p;
	return false;
}

TEST(min_refuses_a_program_without_the_mismatch)
{
	struct cf_prog p;
	struct min_opts o;
	struct min_stats st;
	struct cf_err err;

	REQUIRE(parse(big_prog, &p));
	min_opts_default(&o);
	CHECK(min_reduce(&p, keep_never, NULL, &o, &st, &err) == -1);
	CHECK_CONTAINS(err.msg, "does not show the mismatch");
	cf_prog_free(&p);
	REQUIRE(parse(".func main\n    exit\n", &p));
	CHECK(min_reduce(&p, keep_call9, NULL, &o, &st, &err) == -1);
	CHECK_CONTAINS(err.msg, "not valid");
	cf_prog_free(&p);
}

/* fake signature: "r0 is 42 and comes from a subprogram" */
static bool keep_42_from_call(void *opaque, const struct cf_prog *p)
{
	static struct interp_result ir;

	(void)opaque;
	interp_run(p, NULL, NULL, NULL, &ir);
	return ir.status == INTERP_OK && ir.r0 == 42 && p->nfuncs > 1;
}

TEST(min_bypasses_wrapper_functions)
{
	static const char text[] =
		".func main\n    call wrap1\n    exit\n\n"
		".func wrap1\n    call wrap2\n    exit\n\n"
		".func wrap2\n    call leaf\n    exit\n\n"
		".func leaf, 2\n    r0 = 42\n    exit\n";
	struct cf_prog p;
	struct min_opts o;
	struct min_stats st;
	struct cf_err err;

	REQUIRE(parse(text, &p));
	min_opts_default(&o);
	REQUIRE_MSG(min_reduce(&p, keep_42_from_call, NULL, &o, &st, &err) == 0, "%s", err.msg);
	/* main calls leaf directly; leaf's unused arguments went too */
	REQUIRE_MSG(p.nfuncs == 2, "%s", cf_asm_print(&p));
	CHECK_STR(p.funcs[1].name, "leaf");
	CHECK_EQ(p.funcs[1].nargs, 0);
	CHECK_EQ(min_insn_count(&p), 4);
	CHECK(st.kept_by_pass[MIN_PASS_BYPASS_WRAPPER] >= 2);
	cf_prog_free(&p);
}

/* fake signature: "r0 is 99 and comes from a subprogram" */
static bool keep_99_from_call(void *opaque, const struct cf_prog *p)
{
	static struct interp_result ir;

	(void)opaque;
	interp_run(p, NULL, NULL, NULL, &ir);
	return ir.status == INTERP_OK && ir.r0 == 99 && p->nfuncs > 1;
}

TEST(min_drops_unused_stack_args_and_renumbers_the_rest)
{
	static const char text[] =
		".func main\n"
		"    *(u64 *)(r11 - 8) = 6\n"
		"    *(u64 *)(r11 - 16) = 7\n"
		"    *(u64 *)(r11 - 24) = 8\n"
		"    *(u64 *)(r11 - 32) = 99\n"
		"    *(u64 *)(r11 - 40) = 10\n"
		"    call f\n"
		"    exit\n\n"
		".func f, 10\n"
		"    r0 = *(u64 *)(r11 + 32)\n"
		"    exit\n";
	struct cf_prog p;
	struct min_opts o;
	struct min_stats st;
	struct cf_err err;

	REQUIRE(parse(text, &p));
	min_opts_default(&o);
	REQUIRE_MSG(min_reduce(&p, keep_99_from_call, NULL, &o, &st, &err) == 0, "%s", err.msg);
	REQUIRE(p.nfuncs == 2);
	/* arg 9 (slot 4) became arg 6 (slot 1) on both sides */
	CHECK_EQ(p.funcs[1].nargs, 6);
	CHECK_EQ(p.funcs[1].insns[0].off, 8);
	REQUIRE(p.funcs[0].ninsns == 3);
	CHECK_EQ(p.funcs[0].insns[0].off, -8);
	CHECK_EQ(p.funcs[0].insns[0].imm, 99);
	CHECK(st.kept_by_pass[MIN_PASS_DROP_STACK_ARG] >= 3);
	cf_prog_free(&p);
}

/* fake signature: "the run takes 33 tail calls" (what a JIT that allows one
 * too many would change) */
static bool keep_33_tail_calls(void *opaque, const struct cf_prog *p)
{
	static struct interp_result ir;

	(void)opaque;
	interp_run(p, NULL, NULL, NULL, &ir);
	return ir.status == INTERP_OK && ir.tail_calls == CF_MAX_TAIL_CALL_CNT;
}

/* docs/kernel-paths.md "Tail calls": the passes work inside the targets
 * too, drop the targets and prog array entries the signature does not
 * need, and a target no entry holds goes with them. */
TEST(min_shrinks_tail_call_targets)
{
	static const char text[] =
		".map m0, array, key=4, value=8, entries=1\n"
		".map jt, prog_array, entries=4\n"
		"\n"
		".func main, 1, stack=8\n"
		"    *(u64 *)(r10 - 8) = r1\n"
		"    r6 = 3\n"
		"    r6 *= 7\n"
		"    r1 = *(u64 *)(r10 - 8)\n"
		"    r2 = map[jt] ll\n"
		"    r3 = 2\n"
		"    call bpf_tail_call\n"
		"    r0 = r6\n"
		"    exit\n"
		"\n"
		".prog jt[0]\n"
		".func t0\n"
		"    r0 = 5\n"
		"    exit\n"
		"\n"
		".prog jt[2], jt[3]\n"
		".func t1\n"
		"    r6 = r1\n"
		"    r7 = 11\n"
		"    r7 += 4\n"
		"    call t1f\n"
		"    r1 = r6\n"
		"    r2 = map[jt] ll\n"
		"    r3 = 2\n"
		"    call bpf_tail_call\n"
		"    r0 = r7\n"
		"    exit\n"
		"\n"
		".func t1f\n"
		"    r0 = 1\n"
		"    exit\n";
	struct cf_prog p;
	struct min_opts o;
	struct min_stats st;
	struct cf_err err;

	REQUIRE(parse(text, &p));
	min_opts_default(&o);
	o.check.maps = o.check.kernel_paths = true;
	o.check.model_callees = false;
	REQUIRE(keep_33_tail_calls(NULL, &p));
	REQUIRE_MSG(min_reduce(&p, keep_33_tail_calls, NULL, &o, &st, &err) == 0, "%s", err.msg);
	CHECK(keep_33_tail_calls(NULL, &p));
	/* t0 and jt[3] are not needed; t1 keeps its own tail call only */
	REQUIRE(p.ntails == 1);
	CHECK_EQ(p.maps[1].tail_slot[2], 1);
	CHECK_EQ(p.maps[1].tail_slot[0], 0);
	CHECK_EQ(p.maps[1].tail_slot[3], 0);
	CHECK_EQ(p.tails[0].nfuncs, 1);
	CHECK(p.tails[0].funcs[0].ninsns <= 6); /* ld_imm64, r3, call, r0, exit */
	CHECK(st.kept_by_pass[MIN_PASS_DROP_TAIL_PROG] + st.kept_by_pass[MIN_PASS_DROP_TAIL_ENTRY] >= 2);
	{
		char *t = cf_asm_print(&p);

		CHECK_MSG(p.funcs[0].ninsns <= 6, "%s", t);
		free(t);
	}
	cf_prog_free(&p);
}

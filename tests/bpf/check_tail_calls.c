/* tests/bpf/check_tail_calls.c: tail calls through a prog array in the text
 * format and the checker (docs/kernel-paths.md "Tail calls"; the rules and
 * messages are 7.2's kernel/bpf/verifier.c: check_helper_call,
 * check_map_func_compatibility, check_max_stack_depth_subprog). Every
 * program here meets the real verifier in tests/e2e/vm_verdicts.sh, the
 * main cases in tests/e2e/vm_tail_calls.sh too. */
#include "tests/bpf/check_util.h"

#include <stdlib.h>

static void tail_opts(struct cf_check_opts *o)
{
	cf_check_opts_default(o);
	o->kernel_paths = true;
	o->maps = true;
	o->model_callees = false;
	o->max_frames = CF_MAX_FRAMES;
}

#define JT ".map jt, prog_array, entries=4\n"
#define TARGET "\n.prog jt[1]\n.func t0\n  r0 = 42\n  exit\n"
/* main tail calls jt[INDEX] with ctx in r1 */
#define TAIL_MAIN(index) ".func main\n  r2 = map[jt] ll\n  r3 = " index "\n  call bpf_tail_call\n"

TEST(tail_call_text_round_trip)
{
	const char *text = ".map m0, array, key=4, value=8, entries=2\n"
			   ".map jt, prog_array, entries=4\n"
			   "\n"
			   ".func main\n"
			   "    r2 = map[jt] ll\n"
			   "    r3 = 1\n"
			   "    call 12\n"
			   "    r0 = 7\n"
			   "    exit\n"
			   "\n"
			   ".prog jt[1], jt[3]\n"
			   ".func t0\n"
			   "    r0 = 42\n"
			   "    exit\n"
			   "\n"
			   ".prog\n"
			   ".func t1\n"
			   "    call t1f\n"
			   "    exit\n"
			   "\n"
			   ".func t1f\n"
			   "    r0 = 3\n"
			   "    exit\n";
	struct cf_prog p, q;
	struct cf_err err;
	char *out;

	CHECK(cf_asm_parse(text, strlen(text), "t.s", &p, &err) == 0);
	CHECK_EQ(p.ntails, 2);
	CHECK_EQ(p.maps[1].tail_slot[1], 1);
	CHECK_EQ(p.maps[1].tail_slot[3], 1);
	CHECK_EQ(p.maps[1].tail_slot[0], 0);
	/* a target is a program of its own: its calls name its functions */
	CHECK_EQ(p.tails[1].nfuncs, 2);
	CHECK(cf_insn_is_pseudo_call(&p.tails[1].funcs[0].insns[0]));
	CHECK_EQ(p.tails[1].funcs[0].insns[0].imm, 1);
	/* with the program's maps and type */
	CHECK_EQ(p.tails[0].nmaps, 2);
	CHECK_EQ(p.tails[0].maps[1].tail_slot[3], 1);
	out = cf_asm_print(&p);
	CHECK_STR(out, text);
	CHECK(cf_asm_parse(out, strlen(out), "t2.s", &q, &err) == 0);
	CHECK(cf_prog_equal(&p, &q));
	/* a copy is equal, an emptied entry is not */
	cf_prog_free(&q);
	CHECK(cf_prog_copy(&q, &p) == 0);
	CHECK(cf_prog_equal(&p, &q));
	q.maps[1].tail_slot[3] = 0;
	CHECK(!cf_prog_equal(&p, &q));
	cf_prog_free(&q);
	free(out);
	cf_prog_free(&p);
}

TEST(tail_call_text_errors)
{
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ ".prog\n.func t\n  r0 = 0\n  exit\n", ".prog comes after the functions of the main program" },
		{ JT ".func main\n  r0 = 0\n  exit\n.prog nope[0]\n", "'nope' is not a prog array" },
		{ ".map a, array, key=4, value=8, entries=2\n.func main\n  r0 = 0\n  exit\n.prog a[0]\n",
		  "'a' is not a prog array" },
		{ JT ".func main\n  r0 = 0\n  exit\n.prog jt[4]\n", "prog array index" },
		{ JT ".func main\n  r0 = 0\n  exit\n.prog jt[1]\n.func t\n  r0 = 0\n  exit\n.prog jt[1]\n",
		  "jt[1] is filled twice" },
		{ JT ".func main\n  r0 = 0\n  exit\n.prog jt[1]\n", "the last .prog has no .func" },
		{ JT ".func main\n  r0 = 0\n  exit\n.prog jt[1]\n  r0 = 1\n", "instruction outside a .func" },
		{ JT ".func main\n  r0 = 0\n  exit\n.prog jt[1]\n.map b, array, key=4, value=8, entries=1\n",
		  ".map comes before the first .func" },
		{ ".map jt, prog_array, key=4, value=4, entries=2\n", "expected 'entries'" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cf_prog p;
		struct cf_err err;

		CHECK_MSG(cf_asm_parse(bad[i].text, strlen(bad[i].text), "bad.s", &p, &err) != 0,
			  "case %zu parsed", i);
		CHECK_CONTAINS(err.msg, bad[i].needle);
	}
}

TEST(tail_call_needs_the_vm_target_on_7_2)
{
	struct cf_check_opts k;
	const char *p = JT TAIL_MAIN("1") "  r0 = 0\n  exit\n" TARGET;

	tail_opts(&k);
	ACCEPT_OPTS(p, &k);
	/* no maps (our JIT, the host kernel): no targets, no prog array */
	REJECT(p, "tail-call targets are for the vm target");
	REJECT(JT TAIL_MAIN("1") "  r0 = 0\n  exit\n", "maps are for kernel targets");
	k.kernel_paths = false;
	REJECT_OPTS(p, &k, "tail-call targets are for the vm target");
	REJECT_OPTS(JT TAIL_MAIN("1") "  r0 = 0\n  exit\n", &k, "invalid func unknown#12");
}

TEST(tail_call_arguments)
{
	struct cf_check_opts k;

	tail_opts(&k);
	/* ARG_PTR_TO_CTX: the ctx itself, not moved (even in a SYSCALL program) */
	REJECT_OPTS(JT ".func main\n  r1 = 0\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 0\n  exit\n",
		    &k, "R1 type=scalar expected=ctx");
	REJECT_OPTS(JT ".func main\n  r1 += 8\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 0\n  exit\n",
		    &k, "dereference of modified ctx ptr R1 off=8 disallowed");
	/* check_map_func_compatibility, both ways */
	REJECT_OPTS(".map a, array, key=4, value=8, entries=2\n"
		    ".func main\n  r2 = map[a] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 0\n  exit\n",
		    &k, "cannot pass map_type 2 into func bpf_tail_call#12");
	REJECT_OPTS(JT ".func main, 1, stack=8\n  *(u32 *)(r10 - 4) = 0\n  r1 = map[jt] ll\n  r2 = r10\n  r2 += -4\n"
		       "  call bpf_map_lookup_elem\n  r0 = 0\n  exit\n",
		    &k, "cannot pass map_type 3 into func bpf_map_lookup_elem#1");
	/* the index is any scalar (a u32 at run time), never an address */
	ACCEPT_OPTS(JT ".func main\n  r2 = map[jt] ll\n  r3 = 0x100000001 ll\n  call bpf_tail_call\n  r0 = 0\n  exit\n",
		    &k);
	REJECT_OPTS(JT ".func main\n  r2 = map[jt] ll\n  r3 = r10\n  call bpf_tail_call\n  r0 = 0\n  exit\n", &k,
		    "R3 leaks addr");
	/* RET_VOID: neither r0 nor r1..r5 can be read after it */
	REJECT_OPTS(JT TAIL_MAIN("1") "  exit\n", &k, "R0 !read_ok");
	REJECT_OPTS(JT TAIL_MAIN("1") "  r0 = r1\n  exit\n", &k, "R1 !read_ok");
}

/* f returns 2 when the tail call falls through; a taken tail call returns
 * the target's r0, which the verifier knows nothing of: as bpf_strtol's
 * length it must be a known constant. */
#define SUBPROG_TAIL(target_len_use)                                                                   \
	JT ".func main, 1, stack=16\n  *(u64 *)(r10 - 8) = 0x31\n  call f\n" target_len_use               \
	   "  r1 = r10\n  r1 += -8\n  r3 = 0\n  r4 = r10\n  r4 += -16\n  call bpf_strtol\n  exit\n"        \
	   ".func f, 1\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 2\n  exit\n" TARGET

TEST(tail_call_in_a_subprogram_returns_from_it)
{
	struct cf_check_opts k;

	tail_opts(&k);
	REJECT_OPTS(SUBPROG_TAIL("  r2 = r0\n"), &k, "R2 is not a known constant");
	ACCEPT_OPTS(SUBPROG_TAIL("  r2 = 2\n"), &k);
	/* the caller's r6..r9 and stack survive the taken path too */
	ACCEPT_OPTS(JT ".func main\n  r6 = 5\n  call f\n  r0 += r6\n  exit\n"
		       ".func f, 1\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 2\n  exit\n" TARGET,
		    &k);
	/* the fall-through is walked as well */
	REJECT_OPTS(JT ".func main\n  call f\n  exit\n"
		       ".func f, 1\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  exit\n" TARGET,
		    &k, "R0 !read_ok");
}

TEST(tail_call_not_in_a_callback)
{
	struct cf_check_opts k;

	tail_opts(&k);
	/* the callback's second argument is 8 bytes of main's stack, not ctx:
	 * main passes ctx through a slot there */
	REJECT_OPTS(JT ".func main, 1, stack=8\n  *(u64 *)(r10 - 8) = r1\n  r1 = 1\n  r2 = cb ll\n  r3 = r10\n"
		       "  r3 += -8\n  r4 = 0\n  call bpf_loop\n  r0 = 0\n  exit\n"
		       ".func cb, 2\n  r1 = *(u64 *)(r2 + 0)\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n"
		       "  r0 = 0\n  exit\n" TARGET,
		    &k, "cannot tail call within callback");
}

TEST(tail_call_and_stack_arguments)
{
	struct cf_check_opts k;

	tail_opts(&k);
	/* a function with stack arguments on the chain to a tail call */
	REJECT_OPTS(JT ".func main\n  *(u64 *)(r11 - 8) = 6\n  call f\n  exit\n"
		       ".func f, 6\n  r6 = *(u64 *)(r11 + 8)\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n"
		       "  r0 = r6\n  exit\n" TARGET,
		    &k, "tail_calls are not allowed in programs with stack args");
	/* main with outgoing stack arguments and a tail call of its own */
	REJECT_OPTS(JT ".func main\n  r6 = r1\n  *(u64 *)(r11 - 8) = 6\n  call g\n  r1 = r6\n  r2 = map[jt] ll\n"
		       "  r3 = 1\n  call bpf_tail_call\n  r0 = 0\n  exit\n"
		       ".func g, 6\n  r0 = *(u64 *)(r11 + 8)\n  exit\n" TARGET,
		    &k, "tail_calls are not allowed in programs with stack args");
	/* not on a chain to a tail call: h passes stack arguments to g, main
	 * reaches the tail call through f only */
	ACCEPT_OPTS(JT ".func main\n  r6 = r1\n  call h\n  r1 = r6\n  call f\n  exit\n"
		       ".func f, 1\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 2\n  exit\n"
		       ".func h\n  *(u64 *)(r11 - 8) = 6\n  call g\n  exit\n"
		       ".func g, 6\n  r0 = *(u64 *)(r11 + 8)\n  exit\n" TARGET,
		    &k);
	/* a target has its own rules: its stack arguments are its business */
	ACCEPT_OPTS(JT TAIL_MAIN("1") "  r0 = 0\n  exit\n"
		       "\n.prog jt[1]\n.func t0\n  *(u64 *)(r11 - 8) = 6\n  call g\n  exit\n"
		       ".func g, 6\n  r0 = *(u64 *)(r11 + 8)\n  exit\n",
		    &k);
}

/* f (the tail caller) below main's frame of STACK bytes (the kernel sizes
 * a frame by its deepest access: main writes its last word) */
#define DEEP(stack)                                                                                  \
	JT ".func main, 1, stack=" stack "\n  *(u64 *)(r10 - " stack ") = 0\n  call f\n  exit\n"       \
	   ".func f, 1\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 2\n  exit\n" TARGET

TEST(tail_call_below_256_bytes_of_callers)
{
	struct cf_check_opts k;

	tail_opts(&k);
	ACCEPT_OPTS(DEEP("240"), &k);
	/* frames count rounded up to 16 (round_up_stack_depth with the JIT) */
	REJECT_OPTS(DEEP("248"), &k,
		    "tail_calls are not allowed when call stack of previous frames is 256 bytes. Too large");
	REJECT_OPTS(DEEP("256"), &k,
		    "tail_calls are not allowed when call stack of previous frames is 256 bytes. Too large");
	/* main itself may tail call under any frame */
	ACCEPT_OPTS(JT ".func main, 1, stack=512\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 0\n"
		       "  exit\n" TARGET,
		    &k);
	/* callers' frames add up along the chain */
	REJECT_OPTS(JT ".func main, 1, stack=128\n  *(u64 *)(r10 - 128) = 0\n  call g\n  exit\n"
		       ".func g, 1, stack=128\n  *(u64 *)(r10 - 128) = 0\n  call f\n  exit\n"
		       ".func f, 1\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n  r0 = 2\n  exit\n" TARGET,
		    &k, "call stack of previous frames is 256 bytes");
}

TEST(tail_call_targets_are_checked_on_their_own)
{
	struct cf_check_opts k;

	tail_opts(&k);
	REJECT_OPTS(JT TAIL_MAIN("1") "  r0 = 0\n  exit\n\n.prog jt[1]\n.func t0\n  r0 = r2\n  exit\n", &k,
		    "tail program 0 (t0): func t0 insn 0: R2 !read_ok");
	/* a target may tail call, back into the array and itself */
	ACCEPT_OPTS(JT TAIL_MAIN("1") "  r0 = 0\n  exit\n\n.prog jt[1]\n.func t0\n  r6 = r1\n  r2 = map[jt] ll\n"
		       "  r3 = 1\n  call bpf_tail_call\n  r0 = 1\n  exit\n",
		    &k);
}

/* check_helper_call, BPF_FUNC_tail_call: check_resource_leak(env, false,
 * true, "tail_call"): a live number iterator holds a reference, so no tail
 * call while one lives; destroyed first, the tail call is fine. */
TEST(tail_call_with_a_live_iterator_is_refused)
{
	struct cf_check_opts k;
#define IT_NEW "  r1 = r10\n  r1 += -8\n  r2 = 0\n  r3 = 3\n  call kfunc bpf_iter_num_new\n"
#define IT_DESTROY "  r1 = r10\n  r1 += -8\n  call kfunc bpf_iter_num_destroy\n"
#define IT_TAIL "  r1 = r6\n  r2 = map[jt] ll\n  r3 = 1\n  call bpf_tail_call\n"

	tail_opts(&k);
	k.kfuncs = true;
	REJECT_OPTS(JT ".func main, 1, stack=8\n  r6 = r1\n" IT_NEW IT_TAIL IT_DESTROY "  r0 = 0\n  exit\n" TARGET, &k,
		    "tail_call would lead to reference leak");
	ACCEPT_OPTS(JT ".func main, 1, stack=8\n  r6 = r1\n" IT_NEW IT_DESTROY IT_TAIL "  r0 = 0\n  exit\n" TARGET, &k);
#undef IT_NEW
#undef IT_DESTROY
#undef IT_TAIL
}

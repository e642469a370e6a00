/* tests/bpf/check_stack_args.c: stack-argument rules (stack-args.md 1-2).
 * The first group transcribes tools/testing/selftests/bpf/progs/
 * verifier_stack_arg.c and verifier_stack_arg_order.c (the programs that
 * need no maps, sockets or packets), keeping their __success / __msg
 * expectations; bpf_get_prandom_u32 becomes the model's trace helper (an
 * unknown scalar result). */
#include "tests/bpf/check_util.h"

#define SUBPROG_6ARGS                                                         \
	".func subprog_6args, 6\n"                                            \
	"  r6 = *(u64 *)(r11 + 8)\n"                                          \
	"  r0 = r1\n  r0 += r2\n  r0 += r3\n  r0 += r4\n  r0 += r5\n"         \
	"  r0 += r6\n  exit\n"
#define SUBPROG_7ARGS                                                         \
	".func subprog_7args, 7\n"                                            \
	"  r6 = *(u64 *)(r11 + 8)\n"                                          \
	"  r7 = *(u64 *)(r11 + 16)\n"                                         \
	"  r0 = r1\n  r0 += r2\n  r0 += r3\n  r0 += r4\n  r0 += r5\n"         \
	"  r0 += r6\n  r0 += r7\n  exit\n"
#define SUBPROG_DEREF_ARG6                                                    \
	".func subprog_deref_arg6, 6\n"                                       \
	"  r1 = *(u64 *)(r11 + 8)\n"                                          \
	"  r0 = *(u64 *)(r1 + 0)\n  exit\n"
#define ARGS_1_5 "  r1 = 1\n  r2 = 2\n  r3 = 3\n  r4 = 4\n  r5 = 5\n"
/* bpf_get_prandom_u32 stand-in: trace needs its 5 arguments */
#define RANDOM ARGS_1_5 "  call trace\n"

TEST(selftest_stack_arg_6args)
{
	ACCEPT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  call subprog_6args\n  exit\n"
	       SUBPROG_6ARGS);
}

TEST(selftest_stack_arg_two_subprogs)
{
	ACCEPT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 10\n  call subprog_6args\n  r6 = r0\n"
	       ARGS_1_5 "  *(u64 *)(r11 - 16) = 30\n  *(u64 *)(r11 - 8) = 20\n  call subprog_7args\n"
	       "  r0 += r6\n  exit\n" SUBPROG_6ARGS SUBPROG_7ARGS);
}

TEST(selftest_stack_arg_read_uninitialized)
{
	REJECT(".func main\n  r0 = *(u64 *)(r11 + 8)\n  r0 = 0\n  exit\n",
	       "invalid read from stack arg off 8 depth 0");
}

TEST(selftest_stack_arg_gap_at_minus8)
{
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 16) = 30\n  call subprog_7args\n  exit\n"
	       SUBPROG_7ARGS, "callee expects 7 args, stack arg1 is not initialized");
}

TEST(selftest_stack_arg_pruning_type_mismatch)
{
	REJECT(".func main, 1, stack=8\n" RANDOM "  r6 = r0\n  r7 = 0\n  *(u64 *)(r10 - 8) = r7\n"
	       "  if r6 s> 3 goto l0\n  r1 = r10\n  r1 += -8\n  *(u64 *)(r11 - 8) = r1\n  goto l1\n"
	       "l0:\n  *(u64 *)(r11 - 8) = 42\n"
	       "l1:\n  r1 = r6\n  r2 = 0\n  r3 = 0\n  r4 = 0\n  r5 = 0\n  call subprog_deref_arg6\n"
	       "  exit\n" SUBPROG_DEREF_ARG6, "invalid mem access 'scalar'");
}

TEST(selftest_stack_arg_missing_store_one_branch)
{
	REJECT(".func main\n" RANDOM ARGS_1_5 "  *(u64 *)(r11 - 16) = 20\n  if r0 > 0 goto l0\n"
	       "  *(u64 *)(r11 - 8) = 10\n" ARGS_1_5 "  call subprog_7args\n  goto l1\n"
	       "l0:\n" ARGS_1_5 "  call subprog_7args\nl1:\n  r0 = 0\n  exit\n" SUBPROG_7ARGS,
	       "callee expects 7 args, stack arg1 is not initialized");
}

TEST(selftest_stack_arg_shared_store)
{
	ACCEPT(".func main\n" RANDOM ARGS_1_5 "  *(u64 *)(r11 - 16) = 20\n  if r0 > 0 goto l0\n"
	       "  *(u64 *)(r11 - 8) = 10\n" ARGS_1_5 "  call subprog_7args\n  goto l1\n"
	       "l0:\n  *(u64 *)(r11 - 8) = 30\n" ARGS_1_5 "  call subprog_7args\n"
	       "l1:\n  r0 = 0\n  exit\n" SUBPROG_7ARGS);
}

TEST(selftest_stack_arg_write_beyond_max)
{
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 80) = 99\n  *(u64 *)(r11 - 16) = 20\n"
	       "  *(u64 *)(r11 - 8) = 10\n  call subprog_7args\n  r0 = 0\n  exit\n" SUBPROG_7ARGS,
	       "stack arg write offset -80 exceeds max 7 stack args");
}

TEST(selftest_stack_arg_write_unused_slot)
{
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 40) = 99\n  *(u64 *)(r11 - 16) = 20\n"
	       "  *(u64 *)(r11 - 8) = 10\n  call subprog_7args\n  r0 = 0\n  exit\n" SUBPROG_7ARGS,
	       "func#0 writes 5 stack arg slots, but calls only require 2");
}

TEST(selftest_stack_arg_sequential_calls)
{
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  *(u64 *)(r11 - 16) = 7\n"
	       "  call subprog_7args\n  r6 = r0\n" ARGS_1_5 "  call subprog_7args\n  r0 += r6\n"
	       "  exit\n" SUBPROG_7ARGS, "callee expects 7 args, stack arg1 is not initialized");
}

/* verifier_stack_arg_order.c */
TEST(selftest_stack_arg_load_after_store)
{
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  call bad_order\n  exit\n"
	       ".func bad_order, 6\n  *(u64 *)(r11 - 8) = r1\n  r0 = *(u64 *)(r11 + 8)\n  exit\n",
	       "r11 load must be before any r11 store or call insn");
}

TEST(selftest_stack_arg_load_after_call)
{
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  call call_before_load\n  exit\n"
	       ".func call_before_load, 6\n" RANDOM "  r0 = *(u64 *)(r11 + 8)\n  exit\n",
	       "r11 load must be before any r11 store or call insn");
}

TEST(selftest_stack_arg_pruning_load_after_call)
{
	REJECT(".func main\n" RANDOM "  r1 = r0\n  r2 = 2\n  r3 = 3\n  r4 = 4\n  r5 = 5\n"
	       "  *(u64 *)(r11 - 8) = 6\n  call pruning\n  exit\n"
	       ".func pruning, 6\n  if r1 s> 0 goto l0\n  goto l1\nl0:\n" RANDOM
	       "l1:\n  r0 = *(u64 *)(r11 + 8)\n  exit\n",
	       "r11 load must be before any r11 store or call insn");
}

#define BAD_PTR_7ARGS                                                         \
	".func bad_ptr_7args, 7\n  r0 = *(u64 *)(r11 + 8)\n"                  \
	"  r1 = *(u64 *)(r11 + 16)\n  exit\n"

TEST(selftest_stack_arg_read_without_write)
{
	REJECT(".func main\n  r1 = 0\n  r2 = 0\n  r3 = 0\n  r4 = 0\n  r5 = 0\n  call bad_ptr_7args\n"
	       "  exit\n" BAD_PTR_7ARGS, "callee expects 7 args, stack arg1 is not initialized");
	/* Upstream expects "R0 !read_ok" here: its callee's BTF is unreliable
	 * (a 'long *' first argument), so the call-time slot check is skipped
	 * and the callee reads an invalidated slot. Our functions always have
	 * a reliable count, so the call itself is refused. */
	REJECT(".func main\n  r1 = 0\n  r2 = 0\n  r3 = 0\n  r4 = 0\n  r5 = 0\n"
	       "  *(u64 *)(r11 - 8) = 0\n  *(u64 *)(r11 - 16) = 0\n  call bad_ptr_7args\n"
	       "  call bad_ptr_7args\n  exit\n" BAD_PTR_7ARGS,
	       "callee expects 7 args, stack arg1 is not initialized");
}

/* ---- the project's own cases, one accepted and one rejected per rule ---- */

/* stack-args.md 1: the three accepted r11 forms, everything else invalid. */
static void check_r11_insn(struct bpf_insn insn, bool valid)
{
	struct cf_prog p;
	struct cf_func *main_fn, *callee;
	struct cf_check_opts o;
	struct cf_err err;
	int r;

	cf_prog_init(&p);
	main_fn = cf_prog_add_func(&p, "main", 1, false);
	callee = cf_prog_add_func(&p, "f8", 8, false);
	/* main: r1..r5, slots 1..3, call f8 */
	for (int k = 1; k <= 5; k++)
		cf_func_emit(main_fn, cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, k, 0, 0, k), 0);
	for (int k = 1; k <= 3; k++)
		cf_func_emit(main_fn, cf_insn(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_PARAMS, 0, -8 * k, k), 0);
	cf_func_emit(main_fn, cf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1), 0);
	cf_func_emit(main_fn, cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0), 0);
	/* f8: r1 = 0; <insn>; r0 = 0; exit */
	cf_func_emit(callee, cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 0), 0);
	cf_func_emit(callee, insn, 0);
	cf_func_emit(callee, cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0), 0);
	cf_func_emit(callee, cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0), 0);
	cf_prog_derive_stack(&p);
	cf_check_opts_default(&o);
	r = cf_check(&p, &o, &err);
	if (valid)
		CHECK_MSG(r == 0, "insn %02x dst %d src %d off %d: %s", insn.code, insn.dst_reg,
			  insn.src_reg, insn.off, err.msg);
	else if (r == 0)
		CHECK_MSG(false, "insn %02x dst %d src %d off %d accepted", insn.code, insn.dst_reg,
			  insn.src_reg, insn.off);
	else
		CHECK_CONTAINS(err.msg, "func f8 insn 1: R11 is invalid");
	cf_prog_free(&p);
}

TEST(r11_only_three_forms)
{
	const uint8_t P = BPF_REG_PARAMS;

	check_r11_insn(cf_insn(BPF_LDX | BPF_MEM | BPF_DW, 2, P, 8, 0), true);
	check_r11_insn(cf_insn(BPF_LDX | BPF_MEM | BPF_DW, 2, P, 24, 0), true);
	/* loads: sizes, offsets <= 0 or unaligned, MEMSX, r11 as destination */
	check_r11_insn(cf_insn(BPF_LDX | BPF_MEM | BPF_W, 2, P, 8, 0), false);
	check_r11_insn(cf_insn(BPF_LDX | BPF_MEM | BPF_H, 2, P, 8, 0), false);
	check_r11_insn(cf_insn(BPF_LDX | BPF_MEM | BPF_B, 2, P, 8, 0), false);
	check_r11_insn(cf_insn(BPF_LDX | BPF_MEM | BPF_DW, 2, P, 0, 0), false);
	check_r11_insn(cf_insn(BPF_LDX | BPF_MEM | BPF_DW, 2, P, -8, 0), false);
	check_r11_insn(cf_insn(BPF_LDX | BPF_MEM | BPF_DW, 2, P, 12, 0), false);
	check_r11_insn(cf_insn(BPF_LDX | BPF_MEMSX | BPF_W, 2, P, 8, 0), false);
	check_r11_insn(cf_insn(BPF_LDX | BPF_MEM | BPF_DW, P, 10, -8, 0), false);
	/* stores: sizes, offsets >= 0 or unaligned, r11 as source, atomics */
	check_r11_insn(cf_insn(BPF_STX | BPF_MEM | BPF_W, P, 1, -8, 0), false);
	check_r11_insn(cf_insn(BPF_ST | BPF_MEM | BPF_B, P, 0, -8, 1), false);
	check_r11_insn(cf_insn(BPF_STX | BPF_MEM | BPF_DW, P, 1, 0, 0), false);
	check_r11_insn(cf_insn(BPF_STX | BPF_MEM | BPF_DW, P, 1, 8, 0), false);
	check_r11_insn(cf_insn(BPF_ST | BPF_MEM | BPF_DW, P, 0, -12, 1), false);
	check_r11_insn(cf_insn(BPF_STX | BPF_MEM | BPF_DW, 10, P, -8, 0), false);
	check_r11_insn(cf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, P, 1, -8, BPF_ADD), false);
	/* ALU and jumps on r11 */
	check_r11_insn(cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, P, 0, 0, 8), false);
	check_r11_insn(cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, P, 0, 0), false);
	check_r11_insn(cf_insn(BPF_JMP | BPF_JEQ | BPF_K, P, 0, 0, 0), false);
}

TEST(r11_invalid_without_stack_args)
{
	struct cf_check_opts o;

	cf_check_opts_default(&o);
	o.max_args = 5;
	REJECT_OPTS(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  call subprog_6args\n  exit\n"
		    SUBPROG_6ARGS, &o, "func main insn 5: R11 is invalid");
	ACCEPT_OPTS(".func main\n" ARGS_1_5 "  call f5\n  exit\n.func f5, 5\n  r0 = r5\n  exit\n", &o);
	/* a kernel taking 8 arguments: 3 slots */
	o.max_args = 8;
	REJECT_OPTS(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 32) = 6\n  call subprog_6args\n  exit\n"
		    SUBPROG_6ARGS, &o, "stack arg write offset -32 exceeds max 3 stack args");
}

TEST(incoming_slot_beyond_count)
{
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  call f\n  exit\n"
	       ".func f, 6\n  r0 = *(u64 *)(r11 + 16)\n  exit\n",
	       "func f insn 0: invalid read from stack arg off 16 depth 8");
	/* 12 args: slot 7 is the last one */
	ACCEPT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  *(u64 *)(r11 - 16) = 7\n"
	       "  *(u64 *)(r11 - 24) = 8\n  *(u64 *)(r11 - 32) = 9\n  *(u64 *)(r11 - 40) = 10\n"
	       "  *(u64 *)(r11 - 48) = 11\n  *(u64 *)(r11 - 56) = 12\n  call f\n  exit\n"
	       ".func f, 12\n  r0 = *(u64 *)(r11 + 56)\n  r6 = *(u64 *)(r11 + 8)\n  r0 += r6\n  exit\n");
}

TEST(slots_invalidated_by_helper_call)
{
	REJECT(".func main\n  *(u64 *)(r11 - 8) = 6\n" ARGS_1_5 "  call trace\n" ARGS_1_5
	       "  call subprog_6args\n  exit\n" SUBPROG_6ARGS,
	       "func main insn 12: callee expects 6 args, stack arg1 is not initialized");
	ACCEPT(".func main\n" ARGS_1_5 "  call trace\n  *(u64 *)(r11 - 8) = 6\n" ARGS_1_5
	       "  call subprog_6args\n  exit\n" SUBPROG_6ARGS);
}

TEST(slots_invalidated_by_kfunc_call)
{
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  call kfunc kf_args6\n"
	       ARGS_1_5 "  call kfunc kf_args6\n  exit\n", "callee expects 6 args, stack arg1 is not initialized");
	ACCEPT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  *(u64 *)(r11 - 16) = 7\n"
	       "  call kfunc kf_args7\n  exit\n");
}

TEST(kfunc_stack_arg_pointer_leak)
{
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = r10\n  call kfunc kf_args6\n  exit\n",
	       "stack arg1 leaks addr into kernel function");
	REJECT(".func main\n  r1 = r10\n  r2 = 2\n  r3 = 3\n  r4 = 4\n  r5 = 5\n"
	       "  *(u64 *)(r11 - 8) = 6\n  call kfunc kf_args6\n  exit\n",
	       "R1 leaks addr into kernel function");
}

/* stack-args.md 2.6: a pointer in a slot is still a pointer in the callee */
TEST(pointer_through_stack_arg)
{
	ACCEPT(".func main, 1, stack=8\n" ARGS_1_5 "  r6 = r10\n  r6 += -8\n  *(u64 *)(r11 - 8) = r6\n"
	       "  call store_through\n  r0 = *(u64 *)(r10 - 8)\n  exit\n"
	       ".func store_through, 6\n  r6 = *(u64 *)(r11 + 8)\n  *(u64 *)(r6 + 0) = r1\n"
	       "  r0 = 0\n  exit\n");
	/* the callee writes below the caller's 8-byte frame */
	REJECT(".func main, 1, stack=8\n" ARGS_1_5 "  r6 = r10\n  r6 += -8\n  *(u64 *)(r11 - 8) = r6\n"
	       "  call store_through\n  r0 = *(u64 *)(r10 - 8)\n  exit\n"
	       ".func store_through, 6\n  r6 = *(u64 *)(r11 + 8)\n  *(u64 *)(r6 - 8) = r1\n"
	       "  r0 = 0\n  exit\n", "func store_through insn 1: invalid write to stack R6 off=-16");
	/* a scalar in the slot cannot be dereferenced */
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 0\n  call store_through\n  exit\n"
	       ".func store_through, 6\n  r6 = *(u64 *)(r11 + 8)\n  *(u64 *)(r6 + 0) = r1\n"
	       "  r0 = 0\n  exit\n", "R6 invalid mem access 'scalar'");
}

/* stack-args.md 2.3 is per function, not per path (bpf_fixup_call_args) */
TEST(outgoing_writes_beyond_need_per_function)
{
	REJECT(".func main\n" RANDOM "  if r0 == 0 goto other\n" ARGS_1_5
	       "  *(u64 *)(r11 - 8) = 6\n  *(u64 *)(r11 - 16) = 7\n  *(u64 *)(r11 - 24) = 8\n"
	       "  call subprog_6args\n  exit\nother:\n" ARGS_1_5
	       "  *(u64 *)(r11 - 8) = 6\n  *(u64 *)(r11 - 16) = 7\n  call subprog_7args\n  exit\n"
	       SUBPROG_6ARGS SUBPROG_7ARGS, "func#0 writes 3 stack arg slots, but calls only require 2");
	ACCEPT(".func main\n" RANDOM "  if r0 == 0 goto other\n" ARGS_1_5
	       "  *(u64 *)(r11 - 8) = 6\n  *(u64 *)(r11 - 16) = 7\n"
	       "  call subprog_7args\n  exit\nother:\n" ARGS_1_5
	       "  *(u64 *)(r11 - 8) = 6\n  call subprog_6args\n  exit\n" SUBPROG_6ARGS SUBPROG_7ARGS);
}

/* stack-args.md 2.4: loads first, path-sensitively */
TEST(loads_before_store_path_sensitive)
{
	ACCEPT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  *(u64 *)(r11 - 16) = 7\n"
	       "  call f\n  exit\n"
	       ".func f, 7\n  if r1 == 0 goto second\n  r6 = *(u64 *)(r11 + 8)\n  r7 = *(u64 *)(r11 + 16)\n"
	       "  goto out\nsecond:\n  r7 = *(u64 *)(r11 + 16)\n  r6 = *(u64 *)(r11 + 8)\nout:\n"
	       "  r0 = r6\n  r0 += r7\n  exit\n");
	REJECT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  *(u64 *)(r11 - 16) = 7\n"
	       "  call f\n  exit\n"
	       ".func f, 7\n  r6 = *(u64 *)(r11 + 8)\n  if r1 != 1 goto skip\n" RANDOM
	       "skip:\n  r7 = *(u64 *)(r11 + 16)\n  r0 = r7\n  exit\n",
	       "func f insn 8: r11 load must be before any r11 store or call insn");
}

TEST(global_function_arg_limit)
{
	const char *text = ".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  call g\n  exit\n"
			   ".func g, 5, global\n  r0 = r1\n  exit\n";
	struct cf_prog p;
	struct cf_err err;

	/* the parser refuses a 6-argument global: build it by hand */
	REQUIRE(cf_asm_parse(text, strlen(text), "t.s", &p, &err) == 0);
	p.funcs[1].nargs = 6;
	CHECK(cf_check(&p, NULL, &err) != 0);
	CHECK_CONTAINS(err.msg, "func g insn 0: Function g has 6 > 5 args");
	cf_prog_free(&p);
	ACCEPT(".func main\n" ARGS_1_5 "  call g\n  exit\n.func g, 5, global\n  r0 = r5\n  exit\n");
}

/* stack_arg.c-like shapes: 10 and 12 arguments, nested callers */
TEST(ten_and_twelve_args_nested)
{
	ACCEPT(".func main\n" ARGS_1_5 "  *(u64 *)(r11 - 8) = 6\n  *(u64 *)(r11 - 16) = 7\n"
	       "  *(u64 *)(r11 - 24) = 8\n  *(u64 *)(r11 - 32) = 9\n  *(u64 *)(r11 - 40) = 10\n"
	       "  call sum10\n  exit\n"
	       ".func sum10, 10\n  r6 = *(u64 *)(r11 + 8)\n  r7 = *(u64 *)(r11 + 16)\n"
	       "  r8 = *(u64 *)(r11 + 24)\n  r9 = *(u64 *)(r11 + 32)\n  r0 = *(u64 *)(r11 + 40)\n"
	       "  r0 += r6\n  r0 += r7\n  r0 += r8\n  r0 += r9\n  r0 += r1\n  r0 += r2\n  r0 += r3\n"
	       "  r0 += r4\n  r0 += r5\n  r6 = r0\n" ARGS_1_5
	       "  *(u64 *)(r11 - 8) = r6\n  call subprog_6args\n  exit\n" SUBPROG_6ARGS);
}

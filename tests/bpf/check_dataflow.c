/* tests/bpf/check_dataflow.c: the path-sensitive rules of the checker:
 * initialized reads, pointer tracking and leaks, bounds, loops. */
#include "tests/bpf/check_util.h"

#define ARGS_1_5 "  r1 = 1\n  r2 = 2\n  r3 = 3\n  r4 = 4\n  r5 = 5\n"

TEST(uninitialized_register)
{
	REJECT(".func main\n  r0 = r3\n  exit\n", "func main insn 0: R3 !read_ok");
	REJECT(".func main\n  r2 = 1\n  exit\n", "func main insn 1: R0 !read_ok");
	/* written on one path only */
	REJECT(".func main\n  r0 = 0\n  if r0 == 0 goto skip\n  r4 = 1\nskip:\n  r0 = r4\n  exit\n",
	       "R4 !read_ok");
	ACCEPT(".func main\n  r4 = 2\n  r0 = 0\n  if r0 == 0 goto skip\n  r4 = 1\nskip:\n  r0 = r4\n  exit\n");
}

TEST(caller_saved_registers_die_at_calls)
{
	REJECT(".func main\n" ARGS_1_5 "  call trace\n  r0 = r1\n  exit\n", "func main insn 6: R1 !read_ok");
	ACCEPT(".func main\n" ARGS_1_5 "  r6 = 7\n  call trace\n  r0 += r6\n  exit\n");
	REJECT(".func main\n  r1 = 1\n  call f\n  r0 = r1\n  exit\n.func f, 1\n  r0 = r1\n  exit\n",
	       "func main insn 2: R1 !read_ok");
	/* a callee's return value in r0 */
	ACCEPT(".func main\n  r1 = 1\n  call f\n  exit\n.func f, 1\n  r0 = r1\n  exit\n");
}

TEST(uninitialized_stack)
{
	REJECT(".func main, 1, stack=16\n  r0 = *(u64 *)(r10 - 16)\n  exit\n",
	       "invalid read from stack off -16+0 size 8");
	REJECT(".func main, 1, stack=8\n  *(u32 *)(r10 - 8) = 1\n  r0 = *(u64 *)(r10 - 8)\n  exit\n",
	       "invalid read from stack off -8+4 size 8");
	ACCEPT(".func main, 1, stack=8\n  *(u32 *)(r10 - 8) = 1\n  *(u32 *)(r10 - 4) = 2\n"
	       "  r0 = *(u64 *)(r10 - 8)\n  exit\n");
	/* the callee reads its caller's uninitialized stack through a pointer */
	REJECT(".func main, 1, stack=8\n  r1 = r10\n  r1 += -8\n  call f\n  exit\n"
	       ".func f, 1\n  r0 = *(u64 *)(r1 + 0)\n  exit\n",
	       "func f insn 0: invalid read from stack off -8+0 size 8");
}

TEST(stack_bounds)
{
	REJECT(".func main\n  r0 = 0\n  *(u64 *)(r10 + 0) = r0\n  exit\n", "invalid write to stack R10 off=0 size=8");
	REJECT(".func main, 1, stack=16\n  r0 = 0\n  *(u64 *)(r10 - 24) = r0\n  exit\n",
	       "invalid write to stack R10 off=-24 size=8");
	REJECT(".func main\n  r0 = 0\n  *(u64 *)(r10 - 520) = r0\n  exit\n", "off=-520");
	REJECT(".func main, 1, stack=16\n  r0 = 0\n  *(u64 *)(r10 - 12) = r0\n  exit\n",
	       "misaligned stack access off -12 size 8");
	ACCEPT(".func main, 1, stack=512\n  r0 = 0\n  *(u64 *)(r10 - 512) = r0\n  exit\n");
}

TEST(ctx_bounds)
{
	ACCEPT(".func main\n  r0 = *(u64 *)(r1 + 248)\n  *(u8 *)(r1 + 0) = 1\n  exit\n");
	REJECT(".func main\n  r0 = *(u64 *)(r1 + 256)\n  exit\n", "invalid bpf_context access off=256 size=8");
	REJECT(".func main\n  r0 = *(u32 *)(r1 - 4)\n  exit\n", "invalid bpf_context access off=-4 size=4");
	REJECT(".func main\n  r1 += 250\n  r0 = *(u64 *)(r1 + 0)\n  exit\n", "invalid bpf_context access off=250 size=8");
}

/* 7.2, SYSCALL programs: check_ctx_access lets a ctx pointer moved by a
 * constant be dereferenced (check_mem_region_access), the register's offset
 * may not be negative. 7.2.13 (vm target, x86_64) loads the accepted ones. */
TEST(moved_ctx_pointer_7_2)
{
	ACCEPT(".func main\n  r1 += 16\n  r0 = *(u64 *)(r1 + 0)\n  exit\n");
	ACCEPT(".func main\n  r1 += 8\n  r0 = *(u64 *)(r1 - 8)\n  exit\n");
	ACCEPT(".func main\n  r1 += 16\n  call f\n  exit\n.func f, 1\n  r0 = *(u64 *)(r1 + 0)\n  exit\n");
	ACCEPT(".func main\n  r1 += 8\n  *(u64 *)(r1 + 0) = 1\n  r0 = 0\n  exit\n");
	REJECT(".func main\n  r1 += 250\n  r0 = *(u64 *)(r1 + 0)\n  exit\n",
	       "invalid bpf_context access off=250 size=8");
	REJECT(".func main\n  r1 += -8\n  r0 = *(u64 *)(r1 + 0)\n  exit\n",
	       "func main insn 1: R1 min value is negative");
	REJECT(".func main\n  r1 += -8\n  r0 = *(u64 *)(r1 + 8)\n  exit\n",
	       "func main insn 1: R1 unbounded memory access");
	/* the same rule for helper memory (check_helper_mem_access) */
	ACCEPT(".func main\n  r1 += 64\n  r2 = 64\n  call stack_hash\n  exit\n");
	REJECT(".func main\n  r1 += -8\n  r2 = 64\n  call stack_hash\n  exit\n",
	       "func main insn 2: R1 min value is negative");
}

/* Before 7.2 (6.18 here): ctx is accessed only through its unmodified
 * pointer (__check_ptr_off_reg); holding, spilling and passing a moved one
 * is fine. The host kernel (6.18) gives these verdicts and messages. */
TEST(moved_ctx_pointer_before_7_2)
{
	struct cf_check_opts o;

	cf_check_opts_default(&o);
	o.ctx_moved_ok = false;
	REJECT_OPTS(".func main\n  r1 += 16\n  r0 = *(u64 *)(r1 + 0)\n  exit\n", &o,
		    "func main insn 1: dereference of modified ctx ptr R1 off=16 disallowed");
	REJECT_OPTS(".func main\n  r1 += 8\n  r0 = *(u64 *)(r1 - 8)\n  exit\n", &o,
		    "func main insn 1: dereference of modified ctx ptr R1 off=8 disallowed");
	REJECT_OPTS(".func main\n  r1 += 16\n  call f\n  exit\n.func f, 1\n  r0 = *(u64 *)(r1 + 0)\n  exit\n",
		    &o, "func f insn 0: dereference of modified ctx ptr R1 off=16 disallowed");
	REJECT_OPTS(".func main\n  r1 += 8\n  *(u64 *)(r1 + 0) = 1\n  r0 = 0\n  exit\n", &o,
		    "func main insn 1: dereference of modified ctx ptr R1 off=8 disallowed");
	REJECT_OPTS(".func main\n  r1 += -8\n  r0 = *(u64 *)(r1 + 8)\n  exit\n", &o,
		    "func main insn 1: negative offset ctx ptr R1 off=-8 disallowed");
	/* a moved ctx in a callee's return value */
	REJECT_OPTS(".func main\n  call f\n  r0 = *(u64 *)(r0 + 0)\n  exit\n.func f, 1\n  r0 = r1\n"
		    "  r0 += 8\n  exit\n", &o, "func main insn 1: dereference of modified ctx ptr R0 off=8");
	/* holding, passing, spilling, moving back */
	ACCEPT_OPTS(".func main\n  r1 += 16\n  call f\n  exit\n.func f, 1\n  r0 = 0\n  exit\n", &o);
	ACCEPT_OPTS(".func main\n  r1 += 16\n  r1 += -16\n  r0 = *(u64 *)(r1 + 8)\n  exit\n", &o);
	ACCEPT_OPTS(".func main, 1, stack=8\n  r1 += 16\n  *(u64 *)(r10 - 8) = r1\n  r2 = *(u64 *)(r10 - 8)\n"
		    "  r2 += -16\n  r0 = *(u64 *)(r2 + 0)\n  exit\n", &o);
	/* stack_hash follows the same rule (__check_func_arg_reg_off) */
	ACCEPT_OPTS(".func main\n  r2 = 64\n  call stack_hash\n  exit\n", &o);
	REJECT_OPTS(".func main\n  r1 += 64\n  r2 = 64\n  call stack_hash\n  exit\n", &o,
		    "func main insn 2: dereference of modified ctx ptr R1 off=64 disallowed");
}

TEST(pointer_leaks)
{
	REJECT(".func main\n  r0 = r10\n  exit\n", "R0 leaks addr as return value");
	REJECT(".func main\n  r0 = r1\n  exit\n", "R0 leaks addr as return value");
	REJECT(".func main\n  r2 = r10\n  *(u64 *)(r1 + 0) = r2\n  r0 = 0\n  exit\n", "R2 leaks addr into ctx");
	REJECT(".func main\n  r1 = r10\n  r2 = 2\n  r3 = 3\n  r4 = 4\n  r5 = 5\n  call trace\n  exit\n",
	       "R1 leaks addr into helper function");
	REJECT(".func main\n  r0 = r10\n  if r0 > 5 goto +0\n  r0 = 0\n  exit\n", "R0 pointer comparison prohibited");
	REJECT(".func main\n  w0 = w10\n  exit\n", "R10 partial copy of pointer");
	REJECT(".func main\n  r0 = r10\n  w0 += 1\n  exit\n", "R0 32-bit pointer arithmetic prohibited");
	REJECT(".func main\n  r0 = r10\n  r0 &= 7\n  exit\n", "R0 bitwise operator on pointer prohibited");
	REJECT(".func main\n  r0 = r10\n  r0 -= r1\n  exit\n", "R0 pointer -= pointer prohibited");
	REJECT(".func main\n  r0 = *(u8 *)(r1 + 0)\n  r2 = r10\n  r2 += r0\n  r0 = 0\n  exit\n",
	       "R2 pointer arithmetic with a non-constant scalar");
	/* constant pointer arithmetic is fine; the value read back is a scalar */
	ACCEPT(".func main, 1, stack=16\n  r2 = r10\n  r2 += -16\n  r3 = 8\n  r2 += r3\n"
	       "  *(u64 *)(r2 + 0) = 5\n  r0 = *(u64 *)(r10 - 8)\n  exit\n");
}

TEST(spilled_pointers)
{
	/* an 8-byte spill keeps the type */
	ACCEPT(".func main, 1, stack=16\n  *(u64 *)(r10 - 8) = r10\n  r2 = *(u64 *)(r10 - 8)\n"
	       "  r2 += -16\n  *(u64 *)(r2 + 0) = 5\n  r0 = *(u64 *)(r10 - 16)\n  exit\n");
	ACCEPT(".func main, 1, stack=8\n  *(u64 *)(r10 - 8) = r1\n  r2 = *(u64 *)(r10 - 8)\n"
	       "  r0 = *(u32 *)(r2 + 4)\n  exit\n");
	/* a partial overwrite makes the rest unusable */
	REJECT(".func main, 1, stack=8\n  *(u64 *)(r10 - 8) = r1\n  *(u32 *)(r10 - 8) = 0\n"
	       "  r0 = *(u64 *)(r10 - 8)\n  exit\n", "invalid read from stack off -8+4 size 8");
	REJECT(".func main, 1, stack=8\n  *(u64 *)(r10 - 8) = r1\n  r0 = *(u32 *)(r10 - 8)\n  exit\n",
	       "invalid size of register fill");
	REJECT(".func main, 1, stack=8\n  *(u32 *)(r10 - 8) = r10\n  r0 = 0\n  exit\n",
	       "invalid size of register spill");
	/* a spilled constant stays a constant (bounds a later access) */
	ACCEPT(".func main, 1, stack=16\n  r2 = -16\n  *(u64 *)(r10 - 8) = r2\n  r3 = *(u64 *)(r10 - 8)\n"
	       "  r4 = r10\n  r4 += r3\n  *(u64 *)(r4 + 0) = 1\n  r0 = *(u64 *)(r10 - 16)\n  exit\n");
}

TEST(frames_and_stack_pointers)
{
	/* the callee writes into its caller's frame */
	ACCEPT(".func main, 1, stack=8\n  r1 = r10\n  r1 += -8\n  call f\n  r0 = *(u64 *)(r10 - 8)\n  exit\n"
	       ".func f, 1\n  *(u64 *)(r1 + 0) = 3\n  r0 = 0\n  exit\n");
	REJECT(".func main, 1, stack=8\n  r1 = r10\n  r1 += -8\n  call f\n  exit\n"
	       ".func f, 1, stack=8\n  r0 = r10\n  r0 += -8\n  exit\n",
	       "func f insn 2: cannot return stack pointer to the caller");
	REJECT(".func main, 1, stack=8\n  r1 = r10\n  r1 += -8\n  call f\n  r0 = 0\n  exit\n"
	       ".func f, 1, stack=8\n  *(u64 *)(r1 + 0) = r10\n  r0 = 0\n  exit\n",
	       "cannot spill pointers to stack into stack frame of the caller");
}

/* prepare_func_exit: a subprogram may not return any stack pointer, even one
 * into its caller's (or an older) frame that stays valid; ctx may be
 * returned (7.2.13 and 6.18 load both programs below). */
TEST(subprogram_returns_pointer)
{
	REJECT(".func main, 1, stack=8\n  r1 = r10\n  r1 += -8\n  call f\n  *(u64 *)(r0 + 0) = 1\n"
	       "  r0 = *(u64 *)(r10 - 8)\n  exit\n.func f, 1\n  r0 = r1\n  exit\n",
	       "func f insn 1: cannot return stack pointer to the caller");
	/* main's frame, returned two frames up */
	REJECT(".func main, 1, stack=8\n  r1 = r10\n  r1 += -8\n  call f\n  r0 = 0\n  exit\n"
	       ".func f, 1\n  call g\n  r0 = 0\n  exit\n.func g, 1\n  r0 = r1\n  exit\n",
	       "func g insn 1: cannot return stack pointer to the caller");
	/* a stack pointer left in r0 on one path only */
	REJECT(".func main\n  r1 = *(u8 *)(r1 + 0)\n  call f\n  exit\n.func f, 1, stack=8\n"
	       "  r0 = 0\n  if r1 == 0 goto out\n  r0 = r10\nout:\n  exit\n",
	       "func f insn 3: cannot return stack pointer to the caller");
	ACCEPT(".func main\n  call f\n  r0 = *(u64 *)(r0 + 0)\n  exit\n.func f, 1\n  r0 = r1\n  exit\n");
}

TEST(global_functions)
{
	ACCEPT(".func main\n  r1 = 5\n  call g\n  exit\n.func g, 1, global\n  r0 = r1\n  r0 += 1\n  exit\n");
	REJECT(".func main, 1, stack=8\n  r1 = r10\n  call g\n  exit\n.func g, 1, global\n  r0 = r1\n  exit\n",
	       "R1 is not a scalar");
	/* verified on its own: r2 is not an argument */
	REJECT(".func main\n  r1 = 5\n  r2 = 1\n  call g\n  exit\n.func g, 1, global\n  r0 = r2\n  exit\n",
	       "func g insn 0: R2 !read_ok");
	/* arguments are unknown scalars inside it */
	REJECT(".func main\n  r1 = 5\n  call g\n  exit\n.func g, 1, global, stack=8\n  r2 = r10\n"
	       "  r2 += r1\n  r0 = 0\n  exit\n", "pointer arithmetic with a non-constant scalar");
}

TEST(helper_memory_arguments)
{
	ACCEPT(".func main, 1, stack=16\n  *(u64 *)(r10 - 16) = 1\n  *(u64 *)(r10 - 8) = 2\n"
	       "  r1 = r10\n  r1 += -16\n  r2 = 16\n  call stack_hash\n  exit\n");
	REJECT(".func main, 1, stack=16\n  *(u64 *)(r10 - 16) = 1\n"
	       "  r1 = r10\n  r1 += -16\n  r2 = 16\n  call stack_hash\n  exit\n",
	       "invalid indirect read from stack R1 off -16+8 size 16");
	REJECT(".func main, 1, stack=16\n  *(u64 *)(r10 - 16) = 1\n  *(u64 *)(r10 - 8) = 2\n"
	       "  r1 = r10\n  r1 += -16\n  r2 = *(u8 *)(r10 - 8)\n  call stack_hash\n  exit\n",
	       "R2 is not a known constant");
	REJECT(".func main, 1, stack=16\n  *(u64 *)(r10 - 16) = r10\n  *(u64 *)(r10 - 8) = 2\n"
	       "  r1 = r10\n  r1 += -16\n  r2 = 16\n  call stack_hash\n  exit\n", "holds a pointer");
	ACCEPT(".func main\n  r2 = 64\n  call stack_hash\n  exit\n");
	REJECT(".func main\n  r1 += 200\n  r2 = 64\n  call stack_hash\n  exit\n",
	       "invalid bpf_context access off=200 size=64");
}

TEST(bounded_loops)
{
	/* constant trip count */
	ACCEPT(".func main\n  r0 = 0\n  r6 = 0\nloop:\n  r0 += r6\n  r6 += 1\n  if r6 < 100 goto loop\n  exit\n");
	/* trip count from an unknown value bounded by a mask */
	ACCEPT(".func main\n  r6 = *(u8 *)(r1 + 0)\n  r6 &= 15\n  r0 = 0\nloop:\n  if r6 == 0 goto out\n"
	       "  r6 -= 1\n  r0 += 2\n  goto loop\nout:\n  exit\n");
	/* counter in a callee, bound passed by the caller; loop on the stack */
	ACCEPT(".func main\n  r1 = 10\n  call f\n  exit\n.func f, 1, stack=8\n  *(u64 *)(r10 - 8) = 0\n"
	       "loop:\n  r2 = *(u64 *)(r10 - 8)\n  r2 += 1\n  *(u64 *)(r10 - 8) = r2\n"
	       "  if r2 < r1 goto loop\n  r0 = r2\n  exit\n");
	/* 32-bit counter */
	ACCEPT(".func main\n  w6 = 0\nloop:\n  w6 += 3\n  if w6 < 30 goto loop\n  r0 = r6\n  exit\n");
}

TEST(infinite_loops)
{
	REJECT(".func main\n  r0 = 0\nloop:\n  goto loop\n", "infinite loop detected at insn 1");
	REJECT(".func main\n  r0 = 0\nloop:\n  r0 = 0\n  if r0 == 0 goto loop\n  exit\n",
	       "infinite loop detected at insn 1");
	/* the kernel also refuses a loop whose abstract state does not change */
	REJECT(".func main\nloop:\n  r0 = *(u8 *)(r1 + 0)\n  if r0 != 5 goto loop\n  exit\n",
	       "infinite loop detected");
}

TEST(processed_insn_budget)
{
	struct cf_check_opts o;

	cf_check_opts_default(&o);
	o.insn_budget = 5000;
	REJECT_OPTS(".func main\n  r0 = 0\nloop:\n  r0 += 1\n  if r0 < 100000 goto loop\n  exit\n", &o,
		    "BPF program is too large. Processed 5001 insn");
	ACCEPT_OPTS(".func main\n  r0 = 0\nloop:\n  r0 += 1\n  if r0 < 1000 goto loop\n  exit\n", &o);
}

/* Pruning: a ladder of independent diamonds, 2^30 paths, must stay fast. */
TEST(pruning_branchy_program)
{
	char text[16384];
	int len = snprintf(text, sizeof(text), ".func main\n  r6 = *(u32 *)(r1 + 0)\n  r0 = 0\n");

	for (int k = 0; k < 30; k++)
		len += snprintf(text + len, sizeof(text) - len,
				"  if r6 == %d goto a%d\n  r7 = 1\n  goto b%d\na%d:\n  r7 = 1\nb%d:\n", k, k, k, k, k);
	snprintf(text + len, sizeof(text) - len, "  r0 += r7\n  exit\n");
	ACCEPT(text);
}

TEST(atomics)
{
	ACCEPT(".func main, 1, stack=8\n  *(u64 *)(r10 - 8) = 1\n  r1 = 2\n"
	       "  r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\n  r0 = r1\n  exit\n");
	REJECT(".func main, 1, stack=8\n  r1 = 2\n  lock *(u64 *)(r10 - 8) += r1\n  r0 = 0\n  exit\n",
	       "invalid read from stack off -8+0 size 8");
	REJECT(".func main, 1, stack=8\n  *(u64 *)(r10 - 8) = 1\n  r2 = r10\n  lock *(u64 *)(r10 - 8) += r2\n"
	       "  r0 = 0\n  exit\n", "R2 leaks addr into mem");
	REJECT(".func main\n  r2 = 1\n  lock *(u64 *)(r1 + 0) += r2\n  r0 = 0\n  exit\n",
	       "BPF_ATOMIC stores into R1 ctx is not allowed");
}

TEST(branch_refinement_bounds_access)
{
	/* the range check makes the access safe on the path that reaches it */
	ACCEPT(".func main, 1, stack=64\n  r6 = *(u8 *)(r1 + 0)\n  if r6 > 7 goto out\n"
	       "  r6 <<= 3\n  r2 = r6\n  r0 = 0\n  exit\nout:\n  r0 = 1\n  exit\n");
	/* dead branch is not walked */
	ACCEPT(".func main\n  r6 = 5\n  if r6 > 7 goto bad\n  r0 = 0\n  exit\nbad:\n  r0 = r9\n  exit\n");
	REJECT(".func main\n  r6 = *(u8 *)(r1 + 0)\n  if r6 > 7 goto bad\n  r0 = 0\n  exit\nbad:\n  r0 = r9\n  exit\n",
	       "R9 !read_ok");
}

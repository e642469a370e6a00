/* tests/interp/selftests_stack_arg.c: the upstream selftests of
 * tools/testing/selftests/bpf/progs/stack_arg.c (bpf-next, 2026),
 * transcribed by hand into our text format from their C sources, with the
 * results upstream asserts: 55, 75, 66, 84, 133. (test_bpf2bpf_dynptr_stack_arg
 * needs a real skb and test_async_cb_many_args a timer: kernel-only.) Each
 * program must also pass our checker. */
#include "tests/interp/util.h"
#include "tests/test.h"

/* global_calls_many_args(1, 2, 3) calls
 * static_func_many_args(a, b, c, a+3, ..., a+9): 1+2+...+10 = 55 */
TEST(selftest_global_many_args_55)
{
	static const char text[] =
		".func main\n"
		"    r1 = 1\n"
		"    r2 = 2\n"
		"    r3 = 3\n"
		"    call global_calls_many_args\n"
		"    exit\n"
		".func global_calls_many_args, 3, global\n"
		"    r4 = r1\n"
		"    r4 += 3\n"
		"    r5 = r1\n"
		"    r5 += 4\n"
		"    r0 = r1\n"
		"    r0 += 5\n"
		"    *(u64 *)(r11 - 8) = r0\n"
		"    r0 = r1\n"
		"    r0 += 6\n"
		"    *(u64 *)(r11 - 16) = r0\n"
		"    r0 = r1\n"
		"    r0 += 7\n"
		"    *(u64 *)(r11 - 24) = r0\n"
		"    r0 = r1\n"
		"    r0 += 8\n"
		"    *(u64 *)(r11 - 32) = r0\n"
		"    r0 = r1\n"
		"    r0 += 9\n"
		"    *(u64 *)(r11 - 40) = r0\n"
		"    call static_func_many_args\n"
		"    exit\n"
		".func static_func_many_args, 10\n"
		"    r6 = *(u64 *)(r11 + 8)\n"
		"    r7 = *(u64 *)(r11 + 16)\n"
		"    r8 = *(u64 *)(r11 + 24)\n"
		"    r9 = *(u64 *)(r11 + 32)\n"
		"    r0 = *(u64 *)(r11 + 40)\n"
		"    w0 += w1\n"
		"    w0 += w2\n"
		"    w0 += w3\n"
		"    w0 += w4\n"
		"    w0 += w5\n"
		"    w0 += w6\n"
		"    w0 += w7\n"
		"    w0 += w8\n"
		"    w0 += w9\n"
		"    exit\n";
	struct interp_result res;

	t_run_text(text, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 55);
}

/* func_with_ptr_stack_arg(a..e, a+5, a+6, a+7, a+8, &data) with
 * data = {10, 20} on the caller's stack: 1+...+9 + 10 + 20 = 75 */
TEST(selftest_bpf2bpf_ptr_stack_arg_75)
{
	static const char text[] =
		".func main\n"
		"    r1 = 1\n"
		"    r2 = 2\n"
		"    r3 = 3\n"
		"    r4 = 4\n"
		"    r5 = 5\n"
		"    call global_ptr_stack_arg\n"
		"    exit\n"
		".func global_ptr_stack_arg, 5, global\n"
		"    *(u64 *)(r10 - 16) = 10\n"
		"    *(u64 *)(r10 - 8) = 20\n"
		"    r0 = r1\n"
		"    r0 += 5\n"
		"    *(u64 *)(r11 - 8) = r0\n"
		"    r0 = r1\n"
		"    r0 += 6\n"
		"    *(u64 *)(r11 - 16) = r0\n"
		"    r0 = r1\n"
		"    r0 += 7\n"
		"    *(u64 *)(r11 - 24) = r0\n"
		"    r0 = r1\n"
		"    r0 += 8\n"
		"    *(u64 *)(r11 - 32) = r0\n"
		"    r0 = r10\n"
		"    r0 += -16\n"
		"    *(u64 *)(r11 - 40) = r0\n"
		"    call func_with_ptr_stack_arg\n"
		"    exit\n"
		".func func_with_ptr_stack_arg, 10\n"
		"    r6 = *(u64 *)(r11 + 8)\n"
		"    r7 = *(u64 *)(r11 + 16)\n"
		"    r8 = *(u64 *)(r11 + 24)\n"
		"    r9 = *(u64 *)(r11 + 32)\n"
		"    r0 = *(u64 *)(r11 + 40)\n"
		"    r1 += r2\n"
		"    r1 += r3\n"
		"    r1 += r4\n"
		"    r1 += r5\n"
		"    r1 += r6\n"
		"    r1 += r7\n"
		"    r1 += r8\n"
		"    r1 += r9\n"
		"    r2 = *(u64 *)(r0 + 0)\n"
		"    r1 += r2\n"
		"    r2 = *(u64 *)(r0 + 8)\n"
		"    r1 += r2\n"
		"    r0 = r1\n"
		"    exit\n";
	struct interp_result res;

	t_run_text(text, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 75);
}

/* func_with_mix_stack_args(a..e, e+1, e+2, &p, e+3, &q), p = {10, 0},
 * q = {0, 20}: 1+2+3+4+5+6+7 + p->x + 8 + q->y = 66 */
TEST(selftest_bpf2bpf_mix_stack_args_66)
{
	static const char text[] =
		".func main\n"
		"    r1 = 1\n"
		"    r2 = 2\n"
		"    r3 = 3\n"
		"    r4 = 4\n"
		"    r5 = 5\n"
		"    call global_mix_stack_args\n"
		"    exit\n"
		".func global_mix_stack_args, 5, global\n"
		"    *(u64 *)(r10 - 16) = 10\n" /* p.x */
		"    *(u64 *)(r10 - 8) = 0\n"   /* p.y */
		"    *(u64 *)(r10 - 32) = 0\n"  /* q.x */
		"    *(u64 *)(r10 - 24) = 20\n" /* q.y */
		"    r0 = r5\n"
		"    r0 += 1\n"
		"    *(u64 *)(r11 - 8) = r0\n"
		"    r0 = r5\n"
		"    r0 += 2\n"
		"    *(u64 *)(r11 - 16) = r0\n"
		"    r0 = r10\n"
		"    r0 += -16\n"
		"    *(u64 *)(r11 - 24) = r0\n"
		"    r0 = r5\n"
		"    r0 += 3\n"
		"    *(u64 *)(r11 - 32) = r0\n"
		"    r0 = r10\n"
		"    r0 += -32\n"
		"    *(u64 *)(r11 - 40) = r0\n"
		"    call func_with_mix_stack_args\n"
		"    exit\n"
		".func func_with_mix_stack_args, 10\n"
		"    r6 = *(u64 *)(r11 + 8)\n"  /* f */
		"    r7 = *(u64 *)(r11 + 16)\n" /* g */
		"    r8 = *(u64 *)(r11 + 24)\n" /* p */
		"    r9 = *(u64 *)(r11 + 32)\n" /* h */
		"    r0 = *(u64 *)(r11 + 40)\n" /* q */
		"    r1 += r2\n"
		"    r1 += r3\n"
		"    r1 += r4\n"
		"    r1 += r5\n"
		"    r1 += r6\n"
		"    r1 += r7\n"
		"    r2 = *(u64 *)(r8 + 0)\n"
		"    r1 += r2\n"
		"    r1 += r9\n"
		"    r2 = *(u64 *)(r0 + 8)\n"
		"    r1 += r2\n"
		"    r0 = r1\n"
		"    exit\n";
	struct interp_result res;

	t_run_text(text, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 66);
}

/* func_outer_ptr(a..e, a+5, a+6, a+7, a+8, &data) calls
 * func_inner_ptr(a+1, ..., i+1, p): 2+...+10 + 10 + 20 = 84. The outer
 * function is both a callee and a caller with stack arguments, and passes
 * its incoming pointer on through its outgoing slots. */
TEST(selftest_bpf2bpf_nesting_stack_arg_84)
{
	static const char text[] =
		".func main\n"
		"    r1 = 1\n"
		"    r2 = 2\n"
		"    r3 = 3\n"
		"    r4 = 4\n"
		"    r5 = 5\n"
		"    call global_nesting_ptr\n"
		"    exit\n"
		".func global_nesting_ptr, 5, global\n"
		"    *(u64 *)(r10 - 16) = 10\n"
		"    *(u64 *)(r10 - 8) = 20\n"
		"    r0 = r1\n"
		"    r0 += 5\n"
		"    *(u64 *)(r11 - 8) = r0\n"
		"    r0 = r1\n"
		"    r0 += 6\n"
		"    *(u64 *)(r11 - 16) = r0\n"
		"    r0 = r1\n"
		"    r0 += 7\n"
		"    *(u64 *)(r11 - 24) = r0\n"
		"    r0 = r1\n"
		"    r0 += 8\n"
		"    *(u64 *)(r11 - 32) = r0\n"
		"    r0 = r10\n"
		"    r0 += -16\n"
		"    *(u64 *)(r11 - 40) = r0\n"
		"    call func_outer_ptr\n"
		"    exit\n"
		".func func_outer_ptr, 10\n"
		"    r6 = *(u64 *)(r11 + 8)\n"
		"    r7 = *(u64 *)(r11 + 16)\n"
		"    r8 = *(u64 *)(r11 + 24)\n"
		"    r9 = *(u64 *)(r11 + 32)\n"
		"    r0 = *(u64 *)(r11 + 40)\n"
		"    r1 += 1\n"
		"    r2 += 1\n"
		"    r3 += 1\n"
		"    r4 += 1\n"
		"    r5 += 1\n"
		"    r6 += 1\n"
		"    *(u64 *)(r11 - 8) = r6\n"
		"    r7 += 1\n"
		"    *(u64 *)(r11 - 16) = r7\n"
		"    r8 += 1\n"
		"    *(u64 *)(r11 - 24) = r8\n"
		"    r9 += 1\n"
		"    *(u64 *)(r11 - 32) = r9\n"
		"    *(u64 *)(r11 - 40) = r0\n"
		"    call func_inner_ptr\n"
		"    exit\n"
		".func func_inner_ptr, 10\n"
		"    r6 = *(u64 *)(r11 + 8)\n"
		"    r7 = *(u64 *)(r11 + 16)\n"
		"    r8 = *(u64 *)(r11 + 24)\n"
		"    r9 = *(u64 *)(r11 + 32)\n"
		"    r0 = *(u64 *)(r11 + 40)\n"
		"    r1 += r2\n"
		"    r1 += r3\n"
		"    r1 += r4\n"
		"    r1 += r5\n"
		"    r1 += r6\n"
		"    r1 += r7\n"
		"    r1 += r8\n"
		"    r1 += r9\n"
		"    r2 = *(u64 *)(r0 + 0)\n"
		"    r1 += r2\n"
		"    r2 = *(u64 *)(r0 + 8)\n"
		"    r1 += r2\n"
		"    r0 = r1\n"
		"    exit\n";
	struct interp_result res;

	t_run_text(text, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 84);
}

/* global_two_callees(1..5): foo1(a..e, a+5..a+9) + foo2(a..e, a+5..a+11):
 * 55 + 78 = 133. The second call needs fresh stores for all its slots:
 * the first call poisoned them. */
TEST(selftest_two_callees_133)
{
	static const char text[] =
		".func main\n"
		"    r1 = 1\n"
		"    r2 = 2\n"
		"    r3 = 3\n"
		"    r4 = 4\n"
		"    r5 = 5\n"
		"    call global_two_callees\n"
		"    exit\n"
		".func global_two_callees, 5, global\n"
		"    r6 = r1\n"
		"    r7 = r2\n"
		"    r8 = r3\n"
		"    r9 = r4\n"
		"    *(u64 *)(r10 - 8) = r5\n"
		"    r0 = r6\n"
		"    r0 += 5\n"
		"    *(u64 *)(r11 - 8) = r0\n"
		"    r0 = r6\n"
		"    r0 += 6\n"
		"    *(u64 *)(r11 - 16) = r0\n"
		"    r0 = r6\n"
		"    r0 += 7\n"
		"    *(u64 *)(r11 - 24) = r0\n"
		"    r0 = r6\n"
		"    r0 += 8\n"
		"    *(u64 *)(r11 - 32) = r0\n"
		"    r0 = r6\n"
		"    r0 += 9\n"
		"    *(u64 *)(r11 - 40) = r0\n"
		"    call foo1\n"
		"    *(u64 *)(r10 - 16) = r0\n"
		"    r1 = r6\n"
		"    r2 = r7\n"
		"    r3 = r8\n"
		"    r4 = r9\n"
		"    r5 = *(u64 *)(r10 - 8)\n"
		"    r0 = r6\n"
		"    r0 += 5\n"
		"    *(u64 *)(r11 - 8) = r0\n"
		"    r0 = r6\n"
		"    r0 += 6\n"
		"    *(u64 *)(r11 - 16) = r0\n"
		"    r0 = r6\n"
		"    r0 += 7\n"
		"    *(u64 *)(r11 - 24) = r0\n"
		"    r0 = r6\n"
		"    r0 += 8\n"
		"    *(u64 *)(r11 - 32) = r0\n"
		"    r0 = r6\n"
		"    r0 += 9\n"
		"    *(u64 *)(r11 - 40) = r0\n"
		"    r0 = r6\n"
		"    r0 += 10\n"
		"    *(u64 *)(r11 - 48) = r0\n"
		"    r0 = r6\n"
		"    r0 += 11\n"
		"    *(u64 *)(r11 - 56) = r0\n"
		"    call foo2\n"
		"    r1 = *(u64 *)(r10 - 16)\n"
		"    w0 += w1\n"
		"    exit\n"
		".func foo1, 10\n"
		"    r6 = *(u64 *)(r11 + 8)\n"
		"    r7 = *(u64 *)(r11 + 16)\n"
		"    r8 = *(u64 *)(r11 + 24)\n"
		"    r9 = *(u64 *)(r11 + 32)\n"
		"    r0 = *(u64 *)(r11 + 40)\n"
		"    w0 += w1\n"
		"    w0 += w2\n"
		"    w0 += w3\n"
		"    w0 += w4\n"
		"    w0 += w5\n"
		"    w0 += w6\n"
		"    w0 += w7\n"
		"    w0 += w8\n"
		"    w0 += w9\n"
		"    exit\n"
		".func foo2, 12\n"
		"    r6 = *(u64 *)(r11 + 8)\n"
		"    r7 = *(u64 *)(r11 + 16)\n"
		"    r8 = *(u64 *)(r11 + 24)\n"
		"    r9 = *(u64 *)(r11 + 32)\n"
		"    r0 = *(u64 *)(r11 + 40)\n"
		"    w0 += w1\n"
		"    w0 += w2\n"
		"    w0 += w3\n"
		"    w0 += w4\n"
		"    w0 += w5\n"
		"    w0 += w6\n"
		"    w0 += w7\n"
		"    w0 += w8\n"
		"    w0 += w9\n"
		"    r1 = *(u64 *)(r11 + 48)\n"
		"    w0 += w1\n"
		"    r1 = *(u64 *)(r11 + 56)\n"
		"    w0 += w1\n"
		"    exit\n";
	struct interp_result res;

	t_run_text(text, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 133);
}

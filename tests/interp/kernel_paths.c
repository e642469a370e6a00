/* tests/interp/kernel_paths.c: the kernel profile's paths in the
 * interpreter (docs/kernel-paths.md): bpf_strtol/bpf_strtoul against values
 * worked out by hand from include/uapi/linux/bpf.h's documentation and
 * lib/kstrtox.c's rules, bpf_get_smp_processor_id on one CPU, may_goto's
 * timed counter (kernel/bpf/fixups.c, kernel/bpf/core.c), through the
 * running interpreter where a program can show it. */
#include "tests/interp/util.h"
#include "tests/test.h"

#include <string.h>

#define EINVAL_R ((uint64_t)(int64_t)-22)
#define ERANGE_R ((uint64_t)(int64_t)-34)

static uint64_t strto(int32_t id, const char *s, uint64_t flags, uint64_t *res)
{
	const struct cf_callee *c = cf_callee_find(false, id);
	uint64_t args[CF_MAX_ARGS] = { (uint64_t)(uintptr_t)s, strlen(s), flags, (uint64_t)(uintptr_t)res };

	*res = 0x5555;
	return interp_kernel_helper(c, args);
}

TEST(strtol_documented_cases)
{
	uint64_t res;

	/* spaces and sign count as consumed; base 0 sees "0x" + hex digit */
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "  -0x1f", 0, &res), 7);
	CHECK_EQ(res, (uint64_t)-31);
	/* a leading 0 is octal */
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "077", 0, &res), 3);
	CHECK_EQ(res, 63);
	/* "0x" without a hex digit: octal "0", the x stops it */
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "0xg", 0, &res), 1);
	CHECK_EQ(res, 0);
	/* base 16 skips the prefix itself */
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "0XfF", 16, &res), 4);
	CHECK_EQ(res, 255);
	/* the first non-digit of the base ends the number */
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "12a", 10, &res), 2);
	CHECK_EQ(res, 12);
	/* s64 range: -2^63 fits, 2^63 does not */
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "-9223372036854775808", 10, &res), 20);
	CHECK_EQ(res, 0x8000000000000000ULL);
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "9223372036854775808", 10, &res), ERANGE_R);
	CHECK_EQ(res, 0); /* *res = 0 first, whatever follows */
	/* errors: bad base, flags past the base bits, nothing after the
	 * spaces, no digit */
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "10", 2, &res), EINVAL_R);
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "10", 0x20, &res), EINVAL_R);
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "   ", 0, &res), EINVAL_R);
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "-", 0, &res), EINVAL_R);
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "xyz", 0, &res), EINVAL_R);
	CHECK_EQ(res, 0);
	/* lib/ctype.c: 0xa0 and \v are spaces too */
	CHECK_EQ(strto(CF_KHELPER_STRTOL, "\xa0\v5", 0, &res), 3);
	CHECK_EQ(res, 5);
}

TEST(strtoul_documented_cases)
{
	uint64_t res;

	CHECK_EQ(strto(CF_KHELPER_STRTOUL, "18446744073709551615", 10, &res), 20);
	CHECK_EQ(res, UINT64_MAX);
	CHECK_EQ(strto(CF_KHELPER_STRTOUL, "18446744073709551616", 10, &res), ERANGE_R);
	CHECK_EQ(res, 0);
	/* a minus sign is refused once the digits parse */
	CHECK_EQ(strto(CF_KHELPER_STRTOUL, "-1", 0, &res), EINVAL_R);
	CHECK_EQ(res, 0);
	/* only 63 bytes after the spaces and sign are looked at */
	char longbuf[80];

	memset(longbuf, '0', 70);
	longbuf[70] = '7';
	longbuf[71] = '\0';
	CHECK_EQ(strto(CF_KHELPER_STRTOUL, longbuf, 10, &res), 63);
	CHECK_EQ(res, 0);
}

TEST(strtol_in_a_program)
{
	struct interp_result res;

	/* "10x -" at r10-16: base 0 is decimal, 2 bytes consumed, res 10;
	 * the CPU number is 0 */
	t_run_text(".func main, 1, stack=32\n  r2 = 0x2d20783031 ll\n  *(u64 *)(r10 - 16) = r2\n"
		   "  r1 = r10\n  r1 += -16\n  r2 = 5\n  r3 = 0\n  r4 = r10\n  r4 += -24\n  call bpf_strtol\n"
		   "  r6 = r0\n  r7 = *(u64 *)(r10 - 24)\n  call bpf_get_smp_processor_id\n  r0 <<= 32\n"
		   "  r0 += r6\n  r0 ^= r7\n  exit\n",
		   NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 2 ^ 10);
}

/* A loop of n iterations, each through a may_goto that would set r0 to
 * 99 and leave; r0 counts the iterations. */
static void may_goto_loop(long n, struct interp_result *res)
{
	char text[512];
	struct interp_opts o;
	struct cf_prog p;

	snprintf(text, sizeof(text),
		 ".func main\n  r0 = 0\n  r6 = 0\nhead:\n  may_goto out\n  r0 += 1\n  r6 += 1\n"
		 "  if r6 < %ld goto head\n  exit\nout:\n  r0 = 99\n  exit\n", n);
	REQUIRE(t_parse(text, &p));
	interp_opts_default(&o);
	o.insn_budget = 10 * n + 100;
	interp_run(&p, &o, NULL, NULL, res);
	cf_prog_free(&p);
}

TEST(may_goto_timed_counter)
{
	struct interp_result res;

	/* 7.2 arm64/x86-64: the count starts at 0xffff; when it runs out the
	 * first time, bpf_check_timed_may_goto stamps the time and refills:
	 * 0xffff + 1 iterations never take the jump */
	may_goto_loop(0x10000, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 0x10000);
	/* the second time the clock decides: not modelled, a fault */
	may_goto_loop(2 * 0xffff + 1, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "the kernel's clock decides");
}

TEST(may_goto_counter_per_frame)
{
	struct interp_result res;

	/* each call starts its own count: 50,000 may_gotos in each of three
	 * calls (150,000 in all, past 2 x 0xffff) never reach a second refill */
	t_run_text_unchecked(".func main\n  call f\n  r6 = r0\n  call f\n  r6 += r0\n  call f\n  r0 += r6\n  exit\n"
			     ".func f, 0\n  r0 = 0\n  r6 = 0\nhead:\n  may_goto out\n  r0 += 1\n  r6 += 1\n"
			     "  if r6 < 50000 goto head\n  exit\nout:\n  r0 = 99\n  exit\n",
			     NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 150000);
}

TEST(bpf_loop_runs_the_callback_until_it_returns_1)
{
	struct interp_result res;
	const char *prog =
		".func main, 1, stack=16\n  *(u64 *)(r10 - 8) = 100\n  r1 = %d\n  r2 = cb ll\n  r3 = r10\n  r3 += -8\n"
		"  r4 = %d\n  call 181\n  r1 = *(u64 *)(r10 - 8)\n  r0 <<= 16\n  r0 += r1\n  exit\n"
		".func cb, 2, stack=8\n  r3 = *(u64 *)(r2 + 0)\n  r3 *= 3\n  r3 += r1\n  *(u64 *)(r2 + 0) = r3\n"
		"  r0 = 0\n  if r1 != 1 goto l\n  r0 = 1\nl:\n  exit\n";
	char text[600];

	/* kernel/bpf/bpf_iter.c: callback(i, ctx) for i = 0, 1, ...; a
	 * nonzero return stops the loop and bpf_loop returns i + 1: here
	 * i = 0 (100 * 3 + 0 = 300, go on), i = 1 (900 + 1 = 901, stop): 2 */
	snprintf(text, sizeof(text), prog, 3, 0);
	t_run_text(text, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, (2ULL << 16) + 901);
	/* one loop: the callback never says stop, bpf_loop returns 1 */
	snprintf(text, sizeof(text), prog, 1, 0);
	t_run_text(text, NULL, &res);
	CHECK_EQ(res.r0, (1ULL << 16) + 300);
	/* zero loops: no call, 0 */
	snprintf(text, sizeof(text), prog, 0, 0);
	t_run_text(text, NULL, &res);
	CHECK_EQ(res.r0, 100);
	/* flags other than 0: -EINVAL (-22) before any call */
	snprintf(text, sizeof(text), prog, 3, 1);
	t_run_text(text, NULL, &res);
	CHECK_EQ(res.r0, ((uint64_t)-22 << 16) + 100);
}

TEST(bpf_loop_callback_calls_a_function_with_stack_arguments)
{
	struct interp_result res;

	/* the callback's own frame calls sum7(i, 1, 2, 3, 4, 5, 6): 21 + i;
	 * three loops add 21, 22, 23 into ctx-backed stack: 66 */
	t_run_text(".func main, 1, stack=16\n  *(u64 *)(r10 - 8) = 0\n  r1 = 3\n  r2 = cb ll\n  r3 = r10\n  r3 += -8\n"
		   "  r4 = 0\n  call 181\n  r0 = *(u64 *)(r10 - 8)\n  exit\n"
		   ".func cb, 2, stack=16\n  *(u64 *)(r10 - 8) = r2\n  r2 = 1\n  r3 = 2\n  r4 = 3\n  r5 = 4\n"
		   "  *(u64 *)(r11 - 8) = 5\n  *(u64 *)(r11 - 16) = 6\n  call sum7\n  r2 = *(u64 *)(r10 - 8)\n"
		   "  r1 = *(u64 *)(r2 + 0)\n  r1 += r0\n  *(u64 *)(r2 + 0) = r1\n  r0 = 0\n  exit\n"
		   ".func sum7, 7\n  r0 = *(u64 *)(r11 + 8)\n  r6 = *(u64 *)(r11 + 16)\n  r0 += r6\n  r0 += r1\n"
		   "  r0 += r2\n  r0 += r3\n  r0 += r4\n  r0 += r5\n  exit\n",
		   NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 66);
}

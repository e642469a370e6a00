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
	return interp_kernel_helper(c, args, NULL, NULL);
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

/* ---- bpf_strncmp, bpf_snprintf (docs/kernel-paths.md "Strings") ---------- */

static int64_t strncmp_call(const char *s1, uint64_t n, const char *s2)
{
	const struct cf_callee *c = cf_callee_find(false, CF_KHELPER_STRNCMP);
	uint64_t args[CF_MAX_ARGS] = { (uint64_t)(uintptr_t)s1, n, (uint64_t)(uintptr_t)s2 };

	return (int64_t)interp_kernel_helper(c, args, NULL, NULL);
}

TEST(strncmp_sign_as_lib_string)
{
	/* lib/string.c strncmp: unsigned bytes, up to n or the first NUL */
	CHECK_EQ(strncmp_call("abd", 3, "abc"), 1);
	CHECK_EQ(strncmp_call("abb", 3, "abc"), -1);
	CHECK_EQ(strncmp_call("abd", 2, "abc"), 0);  /* the difference is past n */
	CHECK_EQ(strncmp_call("ab\0x", 4, "ab"), 0); /* both end at the NUL */
	CHECK_EQ(strncmp_call("abc", 3, "ab"), 1);   /* s2 ends first: 'c' > NUL */
	CHECK_EQ(strncmp_call("\x80", 1, "a"), 1);   /* 0x80 > 'a' as unsigned char */
	CHECK_EQ(strncmp_call("", 8, ""), 0);
}

/* "%s" arguments point at fake addresses 0x1000 + k: strings[k] */
static const char *fake_strings[] = { "abc", "", "xyz!" };

static const char *fake_str_at(void *opaque, uint64_t addr)
{
	(void)opaque;
	return addr - 0x1000 < 3 ? fake_strings[addr - 0x1000] : NULL;
}

static int64_t snprintf_call(char *str, uint32_t size, const char *fmt, const uint64_t *data, uint32_t data_len)
{
	const struct cf_callee *c = cf_callee_find(false, CF_KHELPER_SNPRINTF);
	uint64_t args[CF_MAX_ARGS] = { (uint64_t)(uintptr_t)str, size, (uint64_t)(uintptr_t)fmt,
				       (uint64_t)(uintptr_t)data, data_len };

	return (int64_t)interp_kernel_helper(c, args, fake_str_at, NULL);
}

TEST(snprintf_as_bstr_printf)
{
	char out[64];
	uint64_t d[13] = { 7, 7, (uint64_t)-42, 3 };

	/* lib/vsprintf.c number(): '+' and ' ' give a sign to signed
	 * conversions, '0' pads between sign and digits, '-' pads on the
	 * right; the return counts the whole text and the NUL */
	memset(out, 'Q', sizeof(out));
	CHECK_EQ(snprintf_call(out, sizeof(out), "%+d,% d,%05d,%-5d|", d, 32), 19);
	CHECK_STR(out, "+7, 7,-0042,3    |");
	/* an int is its low 32 bits (%u of -1, %i of 0x80000000); l/ll take 64 */
	uint64_t d2[5] = { 255, 255, 0x100000000ull, (uint64_t)-1, 0x80000000ull };

	CHECK_EQ(snprintf_call(out, sizeof(out), "%x %X %lx %u %i", d2, 40), 39);
	CHECK_STR(out, "ff FF 100000000 4294967295 -2147483648");
	/* %c: the low byte, spaces before unless '-' (no zero padding) */
	uint64_t d3[3] = { 'A', 0x141, 'z' };

	/* four conversions, three arguments: bpf_bprintf_prepare's -EINVAL
	 * (the verifier refuses it first) */
	CHECK_EQ(snprintf_call(out, sizeof(out), "%c%c%03c|%-2c|", d3, 24), -22);
	uint64_t d4[4] = { 'A', 0x141, 'z', 'q' };

	CHECK_EQ(snprintf_call(out, sizeof(out), "%c%c%03c|%-2c|", d4, 32), 10);
	CHECK_STR(out, "AA  z|q |");
	/* %s: the string at the address, padded with spaces; "" where the
	 * address is not a string (bpf_trace_copy_string failing) */
	uint64_t d5[3] = { 0x1000, 0x1002, 0x9999 };

	CHECK_EQ(snprintf_call(out, sizeof(out), "%5s|%-6s|%s.", d5, 24), 15);
	CHECK_STR(out, "  abc|xyz!  |.");
	/* %% and text pass through */
	CHECK_EQ(snprintf_call(out, sizeof(out), "100%% sure", NULL, 0), 10);
	CHECK_STR(out, "100% sure");
}

TEST(snprintf_truncation_and_errors)
{
	char out[16];
	uint64_t d[13] = { 255 };

	/* str_size 4: three bytes and a NUL; the rest untouched; the return
	 * is still the whole length + 1 */
	memset(out, 'Q', sizeof(out));
	CHECK_EQ(snprintf_call(out, 4, "ff=%x!", d, 8), 7);
	CHECK(memcmp(out, "ff=\0QQ", 6) == 0);
	/* size 0 (and NULL): nothing written, the length still returned */
	CHECK_EQ(snprintf_call(NULL, 0, "ff=%x!", d, 8), 7);
	/* data_len: a multiple of 8, at most 12 * 8, data not NULL */
	CHECK_EQ(snprintf_call(out, 16, "%x", d, 12), -22);
	CHECK_EQ(snprintf_call(out, 16, "%x", d, 13 * 8), -22);
	CHECK_EQ(snprintf_call(out, 16, "%x", NULL, 8), -22);
}

/* ---- the number iterator (docs/kernel-paths.md "Kfuncs") ------------------ */

static uint64_t iter_call(int32_t id, uint8_t *it, int64_t a, int64_t b)
{
	const struct cf_callee *c = cf_callee_find(true, id);
	uint64_t args[CF_MAX_ARGS] = { (uint64_t)(uintptr_t)it, (uint64_t)a, (uint64_t)b };

	return interp_kernel_helper(c, args, NULL, NULL);
}

static int32_t iter_cur(const uint8_t *it)
{
	int32_t v;

	memcpy(&v, it, 4);
	return v;
}

TEST(iter_num_as_bpf_iter_c)
{
	uint8_t it[8];

	/* [0, 3): 0, 1, 2, then NULL for good; new's int zero-extended */
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEW, it, 0, 3), 0);
	for (int32_t v = 0; v < 3; v++) {
		CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 1);
		CHECK_EQ(iter_cur(it), v);
	}
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 0);
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 0);
	/* start > end: -EINVAL (0xffffffea: an int in w0), an empty iterator */
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEW, it, 5, 4), 0xffffffeaull);
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 0);
	/* start == end: empty, no error */
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEW, it, 9, 9), 0);
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 0);
	/* more than BPF_MAX_LOOPS: -E2BIG (-7) */
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEW, it, INT32_MIN, INT32_MAX), 0xfffffff9ull);
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 0);
	/* only the low halves of the arguments count (ints) */
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEW, it, 0x500000001ll, 0x700000002ll), 0);
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 1);
	CHECK_EQ(iter_cur(it), 1);
	/* INT_MIN: cur = start - 1 wraps to INT_MAX, cur + 1 wraps back */
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEW, it, INT32_MIN, INT32_MIN + 1), 0);
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 1);
	CHECK_EQ(iter_cur(it), INT32_MIN);
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 0);
	/* up to INT_MAX: no overflow at the end */
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEW, it, INT32_MAX - 1, INT32_MAX), 0);
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 1);
	CHECK_EQ(iter_cur(it), INT32_MAX - 1);
	CHECK_EQ(iter_call(CF_KKFUNC_ITER_NUM_NEXT, it, 0, 0), 0);
}

TEST(iter_num_and_strings_in_a_program)
{
	struct interp_result res;

	/* a loop over [-2, 2): -2 + -1 + 0 + 1 = -2, the int read through
	 * next's pointer; then snprintf("%d/%s", r6, "ok") of the read-only
	 * map ("%d/%s\0ok\0": the string at 6) into fp-24: "-2/ok", 6 */
	t_run_text(".map s, array, key=4, value=16, entries=1, rdonly=25642f2573006f6b00\n"
		   ".func main, 1, stack=40\n  r6 = 0\n"
		   "  r1 = r10\n  r1 += -8\n  r2 = -2\n  r3 = 2\n  call kfunc bpf_iter_num_new\n"
		   "head:\n  r1 = r10\n  r1 += -8\n  call kfunc bpf_iter_num_next\n  if r0 == 0 goto out\n"
		   "  r1 = *(s32 *)(r0 + 0)\n  r6 += r1\n  goto head\n"
		   "out:\n  r1 = r10\n  r1 += -8\n  call kfunc bpf_iter_num_destroy\n"
		   "  *(u64 *)(r10 - 40) = r6\n  r1 = map[s][0]+6 ll\n  *(u64 *)(r10 - 32) = r1\n"
		   "  *(u64 *)(r10 - 24) = 0\n  *(u64 *)(r10 - 16) = 0\n"
		   "  r1 = r10\n  r1 += -24\n  r2 = 16\n  r3 = map[s][0]+0 ll\n  r4 = r10\n  r4 += -40\n  r5 = 16\n"
		   "  call bpf_snprintf\n  r7 = r0\n  r0 = *(u64 *)(r10 - 24)\n  r0 ^= r7\n  exit\n",
		   NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	/* "-2/ok\0\0\0" little-endian, xor 6 */
	CHECK_EQ(res.r0, 0x6b6f2f322dull ^ 6);
}

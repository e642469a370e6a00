/* tests/interp/stack_args.c: stack arguments per docs/stack-args.md:
 * 0..12 arguments with distinct weights (a swapped slot changes the sum),
 * nested callers that are themselves callees with stack args, pointers
 * passed through slots, and the faults for slots that were poisoned by a
 * call, never written, read after a store or call, or beyond the count. */
#include "tests/interp/util.h"
#include "tests/test.h"

#include <stdio.h>

static uint64_t arg_value(int i) { return 100 + (uint64_t)i; }
static uint64_t arg_weight(int i) { return (uint64_t)(i * i + 1); }

/* main passes args 1..n (value 100+i), f returns sum of weight(i) * arg i.
 * Odd slots use the ST-immediate form, even slots the STX form. */
static void sum_program(int n, char *buf, size_t size)
{
	int len = snprintf(buf, size, ".func main\n");

	for (int i = 1; i <= n && i <= 5; i++)
		len += snprintf(buf + len, size - len, "    r%d = %d\n", i, (int)arg_value(i));
	for (int k = 1; k <= n - 5; k++) {
		if (k % 2)
			len += snprintf(buf + len, size - len, "    *(u64 *)(r11 - %d) = %d\n", 8 * k,
					(int)arg_value(5 + k));
		else
			len += snprintf(buf + len, size - len, "    r0 = %d\n    *(u64 *)(r11 - %d) = r0\n",
					(int)arg_value(5 + k), 8 * k);
	}
	len += snprintf(buf + len, size - len, "    call f\n    exit\n.func f, %d\n    r0 = 0\n", n);
	for (int k = 1; k <= n - 5; k++)
		len += snprintf(buf + len, size - len, "    r6 = *(u64 *)(r11 + %d)\n    r6 *= %d\n    r0 += r6\n",
				8 * k, (int)arg_weight(5 + k));
	for (int i = 1; i <= n && i <= 5; i++)
		len += snprintf(buf + len, size - len, "    r%d *= %d\n    r0 += r%d\n", i, (int)arg_weight(i), i);
	snprintf(buf + len, size - len, "    exit\n");
}

TEST(stack_args_0_to_12_weighted_sums)
{
	char text[4096];

	for (int n = 0; n <= CF_MAX_ARGS; n++) {
		struct interp_result res;
		uint64_t want = 0;

		for (int i = 1; i <= n; i++)
			want += arg_weight(i) * arg_value(i);
		sum_program(n, text, sizeof(text));
		t_run_text(text, NULL, &res);
		CHECK_MSG(res.status == INTERP_OK && res.r0 == want, "%d args: r0 %" PRIu64 " want %" PRIu64 " (%s)", n,
			  res.r0, want, res.fault);
	}
}

/* c(x1..x6) = sum (i*i+1) x_i
 * b(y1..y9) = 3 c(y1..y5, y9) + 5 y6 + 7 y7 + 11 y8
 * a(z1..z12) = b(z12, z11, z10, z9, z8, z7, z6, z5, z4) + 13 z1 + 17 z2 + 19 z3 */
static uint64_t c6(const uint64_t *x)
{
	uint64_t s = 0;

	for (int i = 1; i <= 6; i++)
		s += arg_weight(i) * x[i - 1];
	return s;
}

static uint64_t b9(const uint64_t *y)
{
	uint64_t x[6] = { y[0], y[1], y[2], y[3], y[4], y[8] };

	return 3 * c6(x) + 5 * y[5] + 7 * y[6] + 11 * y[7];
}

static uint64_t a12(const uint64_t *z)
{
	uint64_t y[9] = { z[11], z[10], z[9], z[8], z[7], z[6], z[5], z[4], z[3] };

	return b9(y) + 13 * z[0] + 17 * z[1] + 19 * z[2];
}

TEST(stack_args_nested_callers_12_9_6)
{
	static const char text[] =
		".func main\n"
		"    r1 = 1037\n    r2 = 1074\n    r3 = 1111\n    r4 = 1148\n    r5 = 1185\n"
		"    *(u64 *)(r11 - 8) = 1222\n"
		"    *(u64 *)(r11 - 16) = 1259\n"
		"    *(u64 *)(r11 - 24) = 1296\n"
		"    *(u64 *)(r11 - 32) = 1333\n"
		"    *(u64 *)(r11 - 40) = 1370\n"
		"    *(u64 *)(r11 - 48) = 1407\n"
		"    *(u64 *)(r11 - 56) = 1444\n"
		"    call a\n"
		"    exit\n"
		".func a, 12\n"
		"    r6 = *(u64 *)(r11 + 8)\n"   /* z6 */
		"    r7 = *(u64 *)(r11 + 16)\n"  /* z7 */
		"    r8 = *(u64 *)(r11 + 24)\n"  /* z8 */
		"    r9 = *(u64 *)(r11 + 32)\n"  /* z9 */
		"    r0 = *(u64 *)(r11 + 40)\n"  /* z10 */
		"    *(u64 *)(r10 - 8) = r0\n"
		"    r0 = *(u64 *)(r11 + 48)\n"  /* z11 */
		"    *(u64 *)(r10 - 16) = r0\n"
		"    r0 = *(u64 *)(r11 + 56)\n"  /* z12 */
		"    *(u64 *)(r10 - 24) = r0\n"
		"    *(u64 *)(r11 - 8) = r7\n"   /* y6 = z7 */
		"    *(u64 *)(r11 - 16) = r6\n"  /* y7 = z6 */
		"    *(u64 *)(r11 - 24) = r5\n"  /* y8 = z5 */
		"    *(u64 *)(r11 - 32) = r4\n"  /* y9 = z4 */
		"    *(u64 *)(r10 - 32) = r1\n"
		"    *(u64 *)(r10 - 40) = r2\n"
		"    *(u64 *)(r10 - 48) = r3\n"
		"    r1 = *(u64 *)(r10 - 24)\n"  /* y1 = z12 */
		"    r2 = *(u64 *)(r10 - 16)\n"  /* y2 = z11 */
		"    r3 = *(u64 *)(r10 - 8)\n"   /* y3 = z10 */
		"    r4 = r9\n"                  /* y4 = z9 */
		"    r5 = r8\n"                  /* y5 = z8 */
		"    call b\n"
		"    r1 = *(u64 *)(r10 - 32)\n"
		"    r1 *= 13\n    r0 += r1\n"
		"    r1 = *(u64 *)(r10 - 40)\n"
		"    r1 *= 17\n    r0 += r1\n"
		"    r1 = *(u64 *)(r10 - 48)\n"
		"    r1 *= 19\n    r0 += r1\n"
		"    exit\n"
		".func b, 9\n"
		"    r6 = *(u64 *)(r11 + 8)\n"
		"    r7 = *(u64 *)(r11 + 16)\n"
		"    r8 = *(u64 *)(r11 + 24)\n"
		"    r9 = *(u64 *)(r11 + 32)\n"
		"    *(u64 *)(r11 - 8) = r9\n"
		"    call c\n"
		"    r0 *= 3\n"
		"    r6 *= 5\n    r0 += r6\n"
		"    r7 *= 7\n    r0 += r7\n"
		"    r8 *= 11\n    r0 += r8\n"
		"    exit\n"
		".func c, 6\n"
		"    r0 = *(u64 *)(r11 + 8)\n"
		"    r0 *= 37\n"
		"    r1 *= 2\n    r0 += r1\n"
		"    r2 *= 5\n    r0 += r2\n"
		"    r3 *= 10\n    r0 += r3\n"
		"    r4 *= 17\n    r0 += r4\n"
		"    r5 *= 26\n    r0 += r5\n"
		"    exit\n";
	uint64_t z[12];
	struct interp_result res;

	for (int i = 1; i <= 12; i++)
		z[i - 1] = 1000 + 37 * (uint64_t)i;
	t_run_text(text, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, a12(z));
}

/* A pointer to the caller's stack and the ctx pointer go through slots;
 * the callee writes through both, the caller reads back. */
TEST(stack_args_pointers_through_slots)
{
	static const char text[] =
		".func main\n"
		"    r6 = r1\n"
		"    *(u64 *)(r10 - 8) = 1\n"
		"    r1 = 0\n    r2 = 0\n    r3 = 0\n    r4 = 0\n    r5 = 0\n"
		"    r0 = r10\n"
		"    r0 += -8\n"
		"    *(u64 *)(r11 - 8) = r0\n"
		"    *(u64 *)(r11 - 16) = r6\n"
		"    call f\n"
		"    r0 = *(u64 *)(r10 - 8)\n"
		"    exit\n"
		".func f, 7\n"
		"    r6 = *(u64 *)(r11 + 8)\n"
		"    r7 = *(u64 *)(r11 + 16)\n"
		"    *(u64 *)(r6 + 0) = 42\n"
		"    *(u32 *)(r7 + 4) = 0x55\n"
		"    r0 = 0\n"
		"    exit\n";
	struct interp_result res;

	t_run_text(text, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 42);
	CHECK_EQ(res.ctx[4], 0x55);
	CHECK_EQ(res.ctx[5], 0);
}

struct bad_prog {
	const char *what;
	const char *text;
	const char *msg;
};

/* Programs that break a stack-argument rule: the interpreter faults
 * loudly at the offending instruction (the checker rejects them too). */
TEST(stack_args_rule_violations_fault)
{
	static const struct bad_prog cases[] = {
		{ "slot poisoned by the first call",
		  ".func main\n    *(u64 *)(r11 - 8) = 7\n    call f\n    call f\n    exit\n"
		  ".func f, 6\n    r0 = *(u64 *)(r11 + 8)\n    exit\n",
		  "func main insn 2: call f: arg 6 (*(u64 *)(r11 - 8)) was not written since the last call" },
		{ "slot poisoned by a helper call",
		  ".func main\n    *(u64 *)(r11 - 8) = 7\n    r1 = 1\n    r2 = 2\n    r3 = 3\n    r4 = 4\n    r5 = 5\n"
		  "    call trace\n    call f\n    exit\n"
		  ".func f, 6\n    r0 = *(u64 *)(r11 + 8)\n    exit\n",
		  "func main insn 7: call f: arg 6 (*(u64 *)(r11 - 8))" },
		{ "slot 1 never written",
		  ".func main\n    *(u64 *)(r11 - 16) = 7\n    call f\n    exit\n"
		  ".func f, 7\n    r0 = *(u64 *)(r11 + 16)\n    exit\n",
		  "func main insn 1: call f: arg 6 (*(u64 *)(r11 - 8)) was not written" },
		{ "incoming read after a call",
		  ".func main\n    *(u64 *)(r11 - 8) = 7\n    call f\n    exit\n"
		  ".func f, 6\n    call g\n    r0 = *(u64 *)(r11 + 8)\n    exit\n"
		  ".func g\n    r0 = 0\n    exit\n",
		  "func f insn 1: r0 = *(u64 *)(r11 + 8): incoming slot read after an r11 store or a call" },
		{ "incoming read after an outgoing store",
		  ".func main\n    *(u64 *)(r11 - 8) = 7\n    call f\n    exit\n"
		  ".func f, 6\n    *(u64 *)(r11 - 8) = 1\n    r0 = *(u64 *)(r11 + 8)\n    exit\n",
		  "func f insn 1: r0 = *(u64 *)(r11 + 8): incoming slot read after an r11 store" },
		{ "incoming slot beyond the count",
		  ".func main\n    *(u64 *)(r11 - 8) = 7\n    call f\n    exit\n"
		  ".func f, 6\n    r0 = *(u64 *)(r11 + 16)\n    exit\n",
		  "func f insn 0: r0 = *(u64 *)(r11 + 16): arg 7, but f takes 6 args" },
		{ "main has no incoming slots",
		  ".func main\n    r0 = *(u64 *)(r11 + 8)\n    exit\n",
		  "func main insn 0: r0 = *(u64 *)(r11 + 8): arg 6, but main takes 1 args" },
		{ "kfunc slot not written",
		  ".func main\n    call kfunc kf_args6\n    exit\n",
		  "func main insn 0: call kf_args6: arg 6 (*(u64 *)(r11 - 8)) was not written" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct interp_result res;

		t_run_text_unchecked(cases[i].text, NULL, &res);
		CHECK_MSG(res.status == INTERP_FAULT, "%s: status %d", cases[i].what, res.status);
		CHECK_CONTAINS(res.fault, cases[i].msg);
	}
}

TEST(stack_args_invalid_r11_forms_fault)
{
	static const struct bpf_insn bad[] = {
		STX(BPF_W, BPF_REG_PARAMS, BPF_REG_1, -8),  /* only DW */
		STX(BPF_DW, BPF_REG_PARAMS, BPF_REG_1, 8),  /* stores use negative offsets */
		STX(BPF_DW, BPF_REG_PARAMS, BPF_REG_1, -12), /* multiple of 8 */
		ST(BPF_DW, BPF_REG_PARAMS, -64, 1),         /* beyond slot 7 */
		LDX(BPF_DW, BPF_REG_0, BPF_REG_PARAMS, -8), /* loads use positive offsets */
		LDX(BPF_W, BPF_REG_0, BPF_REG_PARAMS, 8),   /* only DW */
		ALU64_IMM(BPF_ADD, BPF_REG_PARAMS, 8),      /* no ALU on r11 */
		MOV64_REG(BPF_REG_0, BPF_REG_PARAMS),       /* r11 is not a value */
		STX(BPF_DW, BPF_REG_10, BPF_REG_PARAMS, -8), /* nor a source */
		ATOMIC(BPF_DW, BPF_ADD, BPF_REG_PARAMS, BPF_REG_1, -8),
		MOV64_REG(BPF_REG_0, 12),                   /* no r12 */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bpf_insn insns[] = { MOV64_IMM(BPF_REG_0, 0), bad[i], EXIT() };
		struct interp_result res;

		t_run_insns(insns, 3, &res);
		CHECK_MSG(res.status == INTERP_FAULT, "case %zu: status %d", i, res.status);
		CHECK_CONTAINS(res.fault, i + 1 < sizeof(bad) / sizeof(bad[0]) ? "func main insn 1: R11 is invalid"
									  : "func main insn 1: invalid register");
	}
}

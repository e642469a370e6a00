/* tests/interp/jmp.c: conditional jumps (JMP and JMP32, signed and
 * unsigned, K and X), JA and gotol, against C comparisons written here. */
#include "tests/interp/util.h"
#include "tests/test.h"

#include <stdlib.h>

static const uint64_t edge_values[] = {
	0, 1, ~0ULL, 0x8000000000000000ULL, 0x7fffffffffffffffULL, 0x80000000, 0x7fffffff,
	0xffffffff, 0x100000000ULL, 0xffffffff00000001ULL, 0x00000001ffffffffULL,
};
#define NVAL (int)(sizeof(edge_values) / sizeof(edge_values[0]))

static const uint8_t jmp_ops[] = {
	BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE,
	BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET,
};

/* The definition, one line per op. */
static bool expect64(uint8_t op, uint64_t a, uint64_t b)
{
	switch (op) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JLT: return a < b;
	case BPF_JLE: return a <= b;
	case BPF_JSGT: return (int64_t)a > (int64_t)b;
	case BPF_JSGE: return (int64_t)a >= (int64_t)b;
	case BPF_JSLT: return (int64_t)a < (int64_t)b;
	case BPF_JSLE: return (int64_t)a <= (int64_t)b;
	case BPF_JSET: return (a & b) != 0;
	}
	return false;
}

/* r0 = 1 if `if r1 op (r2 | imm) goto taken` jumps, else 0. */
static uint64_t jump_taken(uint8_t code, uint64_t a, uint64_t b, bool *ok)
{
	struct interp_result *res = malloc(sizeof(*res));
	struct cf_prog p;
	struct cf_func *f;
	uint64_t r0;

	cf_prog_init(&p);
	f = t_func(&p, "main", 1);
	t_ld64(f, BPF_REG_1, a);
	t_ld64(f, BPF_REG_2, b);
	t_emit(f, MOV64_IMM(BPF_REG_0, 1));
	t_emit(f, BPF_SRC(code) == BPF_X ? cf_insn(code, BPF_REG_1, BPF_REG_2, 1, 0)
					 : cf_insn(code, BPF_REG_1, 0, 1, (int32_t)b));
	t_emit(f, MOV64_IMM(BPF_REG_0, 0));
	t_emit(f, EXIT());
	t_run(&p, NULL, res);
	*ok = res->status == INTERP_OK;
	r0 = res->r0;
	free(res);
	cf_prog_free(&p);
	return r0;
}

TEST(jmp_conditions_all_ops_both_widths)
{
	int checked = 0;

	for (size_t o = 0; o < sizeof(jmp_ops); o++) {
		for (int i = 0; i < NVAL; i++) {
			for (int j = 0; j < NVAL; j++) {
				uint64_t a = edge_values[i], b = edge_values[j];
				uint64_t bk = (uint64_t)(int64_t)(int32_t)b; /* imm is sign-extended */
				uint8_t op = jmp_ops[o];
				bool ok;

				CHECK_MSG(jump_taken(BPF_JMP | op | BPF_X, a, b, &ok) == expect64(op, a, b) && ok,
					  "jmp op 0x%02x X: 0x%" PRIx64 " vs 0x%" PRIx64, op, a, b);
				CHECK_MSG(jump_taken(BPF_JMP | op | BPF_K, a, b, &ok) == expect64(op, a, bk) && ok,
					  "jmp op 0x%02x K: 0x%" PRIx64 " vs imm 0x%" PRIx64, op, a, bk);
				/* JMP32: the low halves, signed as s32 */
				CHECK_MSG(jump_taken(BPF_JMP32 | op | BPF_X, a, b, &ok) ==
						  expect64(op, (uint64_t)(int64_t)(int32_t)a, (uint64_t)(int64_t)(int32_t)b) &&
					  ok, "jmp32 op 0x%02x X: 0x%" PRIx64 " vs 0x%" PRIx64, op, a, b);
				CHECK_MSG(jump_taken(BPF_JMP32 | op | BPF_K, a, b, &ok) ==
						  expect64(op, (uint64_t)(int64_t)(int32_t)a, (uint64_t)(int64_t)(int32_t)b) &&
					  ok, "jmp32 op 0x%02x K: 0x%" PRIx64 " vs imm 0x%" PRIx64, op, a, b);
				checked += 4;
			}
		}
	}
	CHECK_EQ(checked, 4 * 11 * NVAL * NVAL);
}

/* Unsigned 32-bit compares are not signed ones: spot checks by hand. */
TEST(jmp32_hand_cases)
{
	bool ok;

	/* low halves 0xffffffff vs 1: unsigned greater, signed less */
	CHECK_EQ(jump_taken(BPF_JMP32 | BPF_JGT | BPF_X, 0x00000000ffffffffULL, 0xff00000000000001ULL, &ok), 1);
	CHECK_EQ(jump_taken(BPF_JMP32 | BPF_JSGT | BPF_X, 0x00000000ffffffffULL, 0xff00000000000001ULL, &ok), 0);
	/* equal low halves, different high halves */
	CHECK_EQ(jump_taken(BPF_JMP32 | BPF_JEQ | BPF_X, 0x1111111122222222ULL, 0x3333333322222222ULL, &ok), 1);
	CHECK_EQ(jump_taken(BPF_JMP | BPF_JEQ | BPF_X, 0x1111111122222222ULL, 0x3333333322222222ULL, &ok), 0);
	/* JSET on bits only in the high half */
	CHECK_EQ(jump_taken(BPF_JMP32 | BPF_JSET | BPF_X, 0x100000000ULL, 0x100000000ULL, &ok), 0);
	CHECK_EQ(jump_taken(BPF_JMP | BPF_JSET | BPF_X, 0x100000000ULL, 0x100000000ULL, &ok), 1);
	/* K compare with imm -1 against 0xffffffff: JMP sign-extends imm */
	CHECK_EQ(jump_taken(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, ~0ULL, &ok), 0);
	CHECK_EQ(jump_taken(BPF_JMP32 | BPF_JEQ | BPF_K, 0xffffffff, ~0ULL, &ok), 1);
}

TEST(jmp_ja_and_gotol_backward_and_forward)
{
	/* r0 counts loop iterations: 0: r0 = 0; 1: r1 = 3; 2: goto +2 (to 5);
	 * 3: r0 += 10 (skipped); 4: exit (skipped);
	 * 5: r0 += 1; 6: r1 -= 1; 7: if r1 == 0 gotol +1 (to 9); 8: gotol -4 (to 5)
	 * 9: exit */
	struct bpf_insn insns[] = {
		MOV64_IMM(BPF_REG_0, 0),
		MOV64_IMM(BPF_REG_1, 3),
		JA(2),
		ALU64_IMM(BPF_ADD, BPF_REG_0, 10),
		EXIT(),
		ALU64_IMM(BPF_ADD, BPF_REG_0, 1),
		ALU64_IMM(BPF_SUB, BPF_REG_1, 1),
		JMP_IMM(BPF_JEQ, BPF_REG_1, 0, 1),
		cf_insn(BPF_JMP32 | BPF_JA, 0, 0, 0, -4),
		EXIT(),
	};
	struct interp_result res;

	t_run_insns(insns, 10, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 3);
	/* 3 + 3 iterations of 4 (5..8, the last leaves at 7) = 3 + 4 + 4 + 3, then exit */
	CHECK_EQ(res.insns_executed, 3 + 4 + 4 + 3 + 1);
}

TEST(jmp_out_of_function_faults)
{
	struct bpf_insn insns[] = { JA(5), EXIT() };
	struct interp_result res;

	t_run_insns(insns, 2, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func main insn 0: jump out of the function");
}

TEST(jmp_falling_off_the_end_faults)
{
	struct bpf_insn insns[] = { MOV64_IMM(BPF_REG_0, 0) };
	struct interp_result res;

	t_run_insns(insns, 1, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func main insn 1: execution ran past the last instruction");
}

TEST(jmp_into_ldimm64_second_half_faults)
{
	struct cf_prog p;
	struct cf_func *f;
	struct interp_result res;

	cf_prog_init(&p);
	f = t_func(&p, "main", 1);
	t_emit(f, JA(1));
	t_ld64(f, BPF_REG_0, 0x1122334455667788ULL);
	t_emit(f, EXIT());
	t_run(&p, NULL, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func main insn 2: jump into the middle of ld_imm64");
	cf_prog_free(&p);
}

TEST(ldimm64_full_value)
{
	struct cf_prog p;
	struct cf_func *f;
	struct interp_result res;

	cf_prog_init(&p);
	f = t_func(&p, "main", 1);
	t_ld64(f, BPF_REG_0, 0x80000000ffffffffULL);
	t_emit(f, EXIT());
	t_run(&p, NULL, &res);
	CHECK_EQ(res.status, INTERP_OK);
	CHECK_EQ(res.r0, 0x80000000ffffffffULL);
	CHECK_EQ(res.insns_executed, 2); /* LD_IMM64 counts once */
	cf_prog_free(&p);
}

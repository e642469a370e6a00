/* tests/interp/alu.c: ALU and ALU64 semantics, both widths, with the edges
 * of the ISA: 32-bit zero extension, shift masking, division and modulo by
 * zero, signed division overflow, MOVSX, NEG, END/BSWAP. Expected values are
 * worked out by hand (tables) or by a formula written here (sweeps). */
#include "tests/interp/util.h"
#include "tests/test.h"

#define A64(op, src) (BPF_ALU64 | (op) | (src))
#define A32(op, src) (BPF_ALU | (op) | (src))
#define X BPF_X
#define K BPF_K
#define SMIN 0x8000000000000000ULL

struct alu_case {
	const char *what;
	uint8_t code;
	int16_t off;
	int32_t imm;
	uint64_t dst, src, want;
};

static const struct alu_case alu_cases[] = {
	/* 64-bit */
	{ "add wraps", A64(BPF_ADD, X), 0, 0, ~0ULL, 2, 1 },
	{ "add imm sign-extends", A64(BPF_ADD, K), 0, -1, 0x100000000ULL, 0, 0xffffffffULL },
	{ "sub wraps", A64(BPF_SUB, X), 0, 0, 0, 1, ~0ULL },
	{ "sub imm", A64(BPF_SUB, K), 0, -3, 4, 0, 7 },
	{ "mul wraps", A64(BPF_MUL, X), 0, 0, 0x100000001ULL, 0x100000001ULL, 0x200000001ULL },
	{ "mul imm negative", A64(BPF_MUL, K), 0, -2, 3, 0, 0xfffffffffffffffaULL },
	{ "or imm sign-extends", A64(BPF_OR, K), 0, INT32_MIN, 0, 0, 0xffffffff80000000ULL },
	{ "and imm", A64(BPF_AND, K), 0, 0xffff, 0x12345678, 0, 0x5678 },
	{ "xor", A64(BPF_XOR, X), 0, 0, 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL, 0xf0f0f0f0f0f0f0f0ULL },
	{ "lsh masks 65 to 1", A64(BPF_LSH, X), 0, 0, 1, 65, 2 },
	{ "lsh 63", A64(BPF_LSH, K), 0, 63, 1, 0, SMIN },
	{ "rsh masks 64 to 0", A64(BPF_RSH, X), 0, 0, SMIN, 64, SMIN },
	{ "rsh imm", A64(BPF_RSH, K), 0, 4, 0xf0, 0, 0xf },
	{ "arsh imm", A64(BPF_ARSH, K), 0, 4, SMIN, 0, 0xf800000000000000ULL },
	{ "arsh masks 127 to 63", A64(BPF_ARSH, X), 0, 0, SMIN, 127, ~0ULL },
	{ "arsh positive", A64(BPF_ARSH, X), 0, 0, 0x7000000000000000ULL, 60, 7 },
	{ "neg 1", A64(BPF_NEG, K), 0, 0, 1, 0, ~0ULL },
	{ "neg INT64_MIN", A64(BPF_NEG, K), 0, 0, SMIN, 0, SMIN },
	{ "mov imm sign-extends", A64(BPF_MOV, K), 0, -1, 5, 0, ~0ULL },
	{ "mov reg", A64(BPF_MOV, X), 0, 0, 5, 0x1122334455667788ULL, 0x1122334455667788ULL },
	{ "movsx8 negative", A64(BPF_MOV, X), 8, 0, 0, 0x80, 0xffffffffffffff80ULL },
	{ "movsx8 keeps low byte", A64(BPF_MOV, X), 8, 0, 0, 0x17f, 0x7f },
	{ "movsx16 negative", A64(BPF_MOV, X), 16, 0, 0, 0x12348000, 0xffffffffffff8000ULL },
	{ "movsx32 negative", A64(BPF_MOV, X), 32, 0, 0, 0x80000000, 0xffffffff80000000ULL },
	{ "movsx32 positive", A64(BPF_MOV, X), 32, 0, 0, 0x17fffffffULL, 0x7fffffff },
	{ "div", A64(BPF_DIV, X), 0, 0, 7, 2, 3 },
	{ "div by zero is 0", A64(BPF_DIV, X), 0, 0, 7, 0, 0 },
	{ "div is unsigned", A64(BPF_DIV, X), 0, 0, ~0ULL, 2, 0x7fffffffffffffffULL },
	{ "div imm -1 is unsigned", A64(BPF_DIV, K), 0, -1, ~0ULL, 0, 1 },
	{ "div imm -1 small", A64(BPF_DIV, K), 0, -1, 5, 0, 0 },
	{ "mod", A64(BPF_MOD, X), 0, 0, 7, 3, 1 },
	{ "mod by zero keeps dst", A64(BPF_MOD, X), 0, 0, 0xffffffff00000007ULL, 0, 0xffffffff00000007ULL },
	{ "mod is unsigned", A64(BPF_MOD, X), 0, 0, ~0ULL, 10, 5 },
	{ "sdiv rounds to zero", A64(BPF_DIV, X), 1, 0, (uint64_t)-7, 2, (uint64_t)-3 },
	{ "sdiv neg/neg", A64(BPF_DIV, X), 1, 0, (uint64_t)-7, (uint64_t)-2, 3 },
	{ "sdiv INT64_MIN / -1", A64(BPF_DIV, X), 1, 0, SMIN, ~0ULL, SMIN },
	{ "sdiv imm INT64_MIN / -1", A64(BPF_DIV, K), 1, -1, SMIN, 0, SMIN },
	{ "sdiv by zero is 0", A64(BPF_DIV, X), 1, 0, (uint64_t)-5, 0, 0 },
	{ "smod sign of dividend", A64(BPF_MOD, X), 1, 0, (uint64_t)-7, 2, ~0ULL },
	{ "smod negative divisor", A64(BPF_MOD, X), 1, 0, 7, (uint64_t)-2, 1 },
	{ "smod INT64_MIN % -1", A64(BPF_MOD, X), 1, 0, SMIN, ~0ULL, 0 },
	{ "smod by zero keeps dst", A64(BPF_MOD, X), 1, 0, (uint64_t)-7, 0, (uint64_t)-7 },
	{ "smod imm", A64(BPF_MOD, K), 1, -3, (uint64_t)-8, 0, (uint64_t)-2 },

	/* 32-bit: operate on the low halves, zero-extend the result */
	{ "add32 wraps and zero-extends", A32(BPF_ADD, X), 0, 0, 0x12345678ffffffffULL, 2, 1 },
	{ "add32 imm -1", A32(BPF_ADD, K), 0, -1, 0x100000000ULL, 0, 0xffffffff },
	{ "sub32", A32(BPF_SUB, X), 0, 0, 0xaaaaaaaa00000000ULL, 1, 0xffffffff },
	{ "mul32 wraps", A32(BPF_MUL, X), 0, 0, 0x10000, 0x10000, 0 },
	{ "mul32 -1*-1", A32(BPF_MUL, X), 0, 0, 0xffffffff, 0xffffffff, 1 },
	{ "or32 imm -1", A32(BPF_OR, K), 0, -1, 0, 0, 0xffffffff },
	{ "and32 clears high", A32(BPF_AND, K), 0, 0xff, ~0ULL, 0, 0xff },
	{ "xor32", A32(BPF_XOR, X), 0, 0, 0xffffffff0000ffffULL, 0xffffffffffffffffULL, 0xffff0000 },
	{ "lsh32 masks 33 to 1", A32(BPF_LSH, X), 0, 0, 1, 33, 2 },
	{ "lsh32 drops bit 31", A32(BPF_LSH, K), 0, 1, 0x80000000, 0, 0 },
	{ "rsh32 ignores high", A32(BPF_RSH, K), 0, 31, 0xffffffff80000000ULL, 0, 1 },
	{ "arsh32 imm", A32(BPF_ARSH, K), 0, 31, 0x80000000, 0, 0xffffffff },
	{ "arsh32 masks 36 to 4", A32(BPF_ARSH, X), 0, 0, 0x0000000f80000000ULL, 36, 0xf8000000 },
	{ "neg32 1", A32(BPF_NEG, K), 0, 0, 1, 0, 0xffffffff },
	{ "neg32 of 2^32", A32(BPF_NEG, K), 0, 0, 0x100000000ULL, 0, 0 },
	{ "mov32 imm -1", A32(BPF_MOV, K), 0, -1, 7, 0, 0xffffffff },
	{ "mov32 reg truncates", A32(BPF_MOV, X), 0, 0, 0, 0xdeadbeef12345678ULL, 0x12345678 },
	{ "movsx32 8", A32(BPF_MOV, X), 8, 0, 0, 0x80, 0xffffff80 },
	{ "movsx32 16", A32(BPF_MOV, X), 16, 0, 0, 0xffff8000, 0xffff8000 },
	{ "movsx32 16 positive", A32(BPF_MOV, X), 16, 0, 0, 0xffff7fff, 0x7fff },
	{ "div32", A32(BPF_DIV, X), 0, 0, 0xffffffff00000007ULL, 2, 3 },
	{ "div32 by zero is 0", A32(BPF_DIV, X), 0, 0, 7, 0, 0 },
	{ "div32 by 2^32 is by zero", A32(BPF_DIV, X), 0, 0, 7, 0x100000000ULL, 0 },
	{ "div32 unsigned", A32(BPF_DIV, K), 0, -1, 0xffffffff, 0, 1 },
	{ "mod32 by zero zero-extends dst", A32(BPF_MOD, X), 0, 0, 0xffffffff00000007ULL, 0, 7 },
	{ "mod32 by 2^32 is by zero", A32(BPF_MOD, X), 0, 0, 0x1200000009ULL, 0x100000000ULL, 9 },
	{ "mod32", A32(BPF_MOD, K), 0, 10, 0xffffffff, 0, 5 },
	{ "sdiv32", A32(BPF_DIV, X), 1, 0, 0xfffffff9, 2, 0xfffffffd },
	{ "sdiv32 INT32_MIN / -1", A32(BPF_DIV, X), 1, 0, 0x80000000, 0xffffffff, 0x80000000 },
	{ "sdiv32 imm -1", A32(BPF_DIV, K), 1, -1, 5, 0, 0xfffffffb },
	{ "sdiv32 by zero is 0", A32(BPF_DIV, X), 1, 0, 0xfffffff9, 0, 0 },
	{ "smod32", A32(BPF_MOD, X), 1, 0, 0xfffffff9, 2, 0xffffffff },
	{ "smod32 INT32_MIN % -1", A32(BPF_MOD, X), 1, 0, 0x80000000, 0xffffffff, 0 },
	{ "smod32 by zero zero-extends", A32(BPF_MOD, X), 1, 0, 0xfffffffffffffff9ULL, 0, 0xfffffff9 },
	{ "smod32 imm", A32(BPF_MOD, K), 1, 3, 0xfffffff8, 0, 0xfffffffe },

	/* END: bytes of 0x1122334455667788 are 88 77 66 55 44 33 22 11 in memory */
	{ "le16 truncates", A32(BPF_END, BPF_TO_LE), 0, 16, 0x1122334455667788ULL, 0, 0x7788 },
	{ "le32 truncates", A32(BPF_END, BPF_TO_LE), 0, 32, 0x1122334455667788ULL, 0, 0x55667788 },
	{ "le64 is identity", A32(BPF_END, BPF_TO_LE), 0, 64, 0x1122334455667788ULL, 0, 0x1122334455667788ULL },
	{ "be16 swaps", A32(BPF_END, BPF_TO_BE), 0, 16, 0x1122334455667788ULL, 0, 0x8877 },
	{ "be32 swaps", A32(BPF_END, BPF_TO_BE), 0, 32, 0x1122334455667788ULL, 0, 0x88776655 },
	{ "be64 swaps", A32(BPF_END, BPF_TO_BE), 0, 64, 0x1122334455667788ULL, 0, 0x8877665544332211ULL },
	{ "bswap16", A64(BPF_END, BPF_TO_LE), 0, 16, 0x1122334455667788ULL, 0, 0x8877 },
	{ "bswap32", A64(BPF_END, BPF_TO_LE), 0, 32, 0x1122334455667788ULL, 0, 0x88776655 },
	{ "bswap64", A64(BPF_END, BPF_TO_LE), 0, 64, 0x1122334455667788ULL, 0, 0x8877665544332211ULL },
	{ "bswap16 high byte set", A64(BPF_END, BPF_TO_LE), 0, 16, 0xff00, 0, 0x00ff },
};

TEST(alu_table_both_widths)
{
	for (size_t i = 0; i < sizeof(alu_cases) / sizeof(alu_cases[0]); i++) {
		const struct alu_case *c = &alu_cases[i];
		bool ok;
		uint64_t got = t_alu(c->code, c->off, c->imm, c->dst, c->src, &ok);

		CHECK_MSG(ok && got == c->want, "%s: got 0x%" PRIx64 " want 0x%" PRIx64 "%s", c->what, got, c->want,
			  ok ? "" : " (did not exit)");
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Sweeps over pseudo-random operands against formulas written here. */
TEST(alu_shifts_sweep)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	bool ok;

	for (int i = 0; i < 64; i++) {
		uint64_t x = xorshift(&seed), s = xorshift(&seed) & 0xff;

		CHECK_EQ(t_alu(A64(BPF_LSH, X), 0, 0, x, s, &ok), x << (s & 63));
		CHECK_EQ(t_alu(A64(BPF_RSH, X), 0, 0, x, s, &ok), x >> (s & 63));
		CHECK_EQ(t_alu(A64(BPF_ARSH, X), 0, 0, x, s, &ok), (uint64_t)((int64_t)x >> (s & 63)));
		CHECK_EQ(t_alu(A32(BPF_LSH, X), 0, 0, x, s, &ok), (uint32_t)((uint32_t)x << (s & 31)));
		CHECK_EQ(t_alu(A32(BPF_RSH, X), 0, 0, x, s, &ok), (uint32_t)x >> (s & 31));
		CHECK_EQ(t_alu(A32(BPF_ARSH, X), 0, 0, x, s, &ok), (uint32_t)((int32_t)x >> (s & 31)));
		CHECK_EQ(t_alu(A64(BPF_LSH, K), 0, (int32_t)(s & 63), x, 0, &ok), x << (s & 63));
		CHECK_EQ(t_alu(A32(BPF_ARSH, K), 0, (int32_t)(s & 31), x, 0, &ok), (uint32_t)((int32_t)x >> (s & 31)));
	}
}

TEST(alu_arith_sweep)
{
	uint64_t seed = 0x1234567887654321ULL;
	bool ok;

	for (int i = 0; i < 64; i++) {
		uint64_t x = xorshift(&seed), y = xorshift(&seed);
		int32_t imm = (int32_t)xorshift(&seed);

		if (i % 4 == 0)
			y &= 0xff; /* small divisors too */
		CHECK_EQ(t_alu(A64(BPF_ADD, X), 0, 0, x, y, &ok), x + y);
		CHECK_EQ(t_alu(A64(BPF_SUB, K), 0, imm, x, 0, &ok), x - (uint64_t)(int64_t)imm);
		CHECK_EQ(t_alu(A64(BPF_MUL, X), 0, 0, x, y, &ok), x * y);
		CHECK_EQ(t_alu(A64(BPF_DIV, X), 0, 0, x, y, &ok), y ? x / y : 0);
		CHECK_EQ(t_alu(A64(BPF_MOD, X), 0, 0, x, y, &ok), y ? x % y : x);
		CHECK_EQ(t_alu(A32(BPF_ADD, X), 0, 0, x, y, &ok), (uint32_t)(x + y));
		CHECK_EQ(t_alu(A32(BPF_MUL, K), 0, imm, x, 0, &ok), (uint32_t)((uint32_t)x * (uint32_t)imm));
		CHECK_EQ(t_alu(A32(BPF_DIV, X), 0, 0, x, y, &ok), (uint32_t)y ? (uint32_t)x / (uint32_t)y : 0);
		CHECK_EQ(t_alu(A32(BPF_MOD, X), 0, 0, x, y, &ok), (uint32_t)y ? (uint32_t)x % (uint32_t)y : (uint32_t)x);
		CHECK_EQ(t_alu(A64(BPF_DIV, X), 1, 0, x, y, &ok),
			 (int64_t)y == 0 ? 0 : (int64_t)y == -1 ? -x : (uint64_t)((int64_t)x / (int64_t)y));
		CHECK_EQ(t_alu(A64(BPF_MOD, X), 1, 0, x, y, &ok),
			 (int64_t)y == 0 ? x : (int64_t)y == -1 ? 0 : (uint64_t)((int64_t)x % (int64_t)y));
	}
}

/* Encodings the kernel rejects get no meaning: the run faults naming the
 * instruction. */
TEST(alu_invalid_encodings_fault)
{
	static const struct {
		uint8_t code;
		int16_t off;
		int32_t imm;
	} bad[] = {
		{ A32(BPF_MOV, X), 32, 0 },        /* MOVSX32 exists only in ALU64 */
		{ A64(BPF_MOV, X), 24, 0 },        /* no MOVSX24 */
		{ A64(BPF_DIV, X), 2, 0 },         /* off is 0 or 1 */
		{ A64(BPF_NEG, X), 0, 0 },         /* NEG has no X form */
		{ A64(BPF_END, BPF_TO_BE), 0, 16 }, /* BSWAP has only the to_le encoding */
		{ A32(BPF_END, BPF_TO_LE), 0, 8 },  /* widths 16/32/64 */
		{ A64(BPF_ADD, X), 1, 0 },         /* off must be 0 */
		{ BPF_ALU64 | 0xe0 | BPF_X, 0, 0 }, /* no such op */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bpf_insn insns[] = {
			MOV64_IMM(BPF_REG_1, 1),
			MOV64_IMM(BPF_REG_2, 1),
			cf_insn(bad[i].code, BPF_REG_1, BPF_OP(bad[i].code) == BPF_END ? 0 : BPF_REG_2, bad[i].off,
				bad[i].imm),
			EXIT(),
		};
		struct interp_result res;

		t_run_insns(insns, 4, &res);
		CHECK_MSG(res.status == INTERP_FAULT, "code 0x%02x off %d: status %d", bad[i].code, bad[i].off,
			  res.status);
		CHECK_CONTAINS(res.fault, "func main insn 2:");
	}
}

TEST(alu_r10_is_read_only)
{
	struct bpf_insn insns[] = { ALU64_IMM(BPF_ADD, BPF_REG_10, 8), EXIT() };
	struct interp_result res;

	t_run_insns(insns, 2, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func main insn 0: frame pointer is read only");
}

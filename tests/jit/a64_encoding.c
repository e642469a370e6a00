/* tests/jit/a64_encoding.c: every instruction form of jit/a64.h that the
 * JIT emits, over its operand classes, disassembled by LLVM and compared
 * with the text written here by hand from the Arm ARM. */
#include "jit/a64.h"
#include "tests/jit/llvm_disasm.h"
#include "tests/test.h"

#include <stdlib.h>

struct enc_case {
	uint32_t insn;
	const char *want;
	const char *form;
};

/* built at run time: the forms are inline functions */
static int build_cases(struct enc_case *cases)
{
	int n = 0;
#undef C
#define C(insn, want) cases[n++] = (struct enc_case){ insn, want, #insn }

	/* branches: offsets in instructions, printed in bytes */
	C(A64_B(1), "b #4");
	C(A64_B(-1), "b #-4");
	C(A64_B(0x1ffffff), "b #134217724");
	C(A64_B(-0x2000000), "b #-134217728");
	C(A64_BL(2), "bl #8");
	C(A64_BL(-100), "bl #-400");
	C(A64_B_(A64_COND_EQ, 3), "b.eq #12");
	C(A64_B_(A64_COND_NE, -3), "b.ne #-12");
	C(A64_B_(A64_COND_CS, 1), "b.hs #4");
	C(A64_B_(A64_COND_CC, 1), "b.lo #4");
	C(A64_B_(A64_COND_HI, 1), "b.hi #4");
	C(A64_B_(A64_COND_LS, 1), "b.ls #4");
	C(A64_B_(A64_COND_GE, 1), "b.ge #4");
	C(A64_B_(A64_COND_LT, 1), "b.lt #4");
	C(A64_B_(A64_COND_GT, 1), "b.gt #4");
	C(A64_B_(A64_COND_LE, 0x3ffff), "b.le #1048572");
	C(A64_B_(A64_COND_LE, -0x40000), "b.le #-1048576");
	C(A64_CBZ(1, 12, -3), "cbz x12, #-12");
	C(A64_CBNZ(0, 12, -3), "cbnz w12, #-12");
	C(A64_CBNZ(1, 12, 4), "cbnz x12, #16");
	C(A64_BR(10), "br x10");
	C(A64_BLR(10), "blr x10");
	C(A64_BLR(0), "blr x0");
	C(A64_RET(A64_LR), "ret");

	/* load/store, register offset */
	C(A64_LDRB(8, 0, 10), "ldrb w8, [x0, x10]");
	C(A64_LDRSB(8, 0, 10), "ldrsb x8, [x0, x10]");
	C(A64_STRB(8, 25, 10), "strb w8, [x25, x10]");
	C(A64_LDRH(8, 0, 10), "ldrh w8, [x0, x10]");
	C(A64_LDRSH(8, 0, 10), "ldrsh x8, [x0, x10]");
	C(A64_STRH(10, 1, 11), "strh w10, [x1, x11]");
	C(A64_LDR32(0, 1, 10), "ldr w0, [x1, x10]");
	C(A64_LDRSW(0, 1, 10), "ldrsw x0, [x1, x10]");
	C(A64_STR32(30, 1, 10), "str w30, [x1, x10]");
	C(A64_LDR64(22, 25, 10), "ldr x22, [x25, x10]");
	C(A64_STR64(19, 4, 11), "str x19, [x4, x11]");

	/* load/store, unsigned scaled offset: 0, the largest, SP and FP bases */
	C(A64_LDRBI(8, 25, 0), "ldrb w8, [x25]");
	C(A64_LDRBI(8, 25, 4095), "ldrb w8, [x25, #4095]");
	C(A64_LDRSBI(8, 31, 7), "ldrsb x8, [sp, #7]");
	C(A64_STRBI(10, 31, 1), "strb w10, [sp, #1]");
	C(A64_LDRHI(8, 0, 8190), "ldrh w8, [x0, #8190]");
	C(A64_LDRSHI(8, 0, 2), "ldrsh x8, [x0, #2]");
	C(A64_STRHI(1, 2, 6), "strh w1, [x2, #6]");
	C(A64_LDR32I(8, 0, 16380), "ldr w8, [x0, #16380]");
	C(A64_LDRSWI(8, 0, 4), "ldrsw x8, [x0, #4]");
	C(A64_STR32I(10, 31, 12), "str w10, [sp, #12]");
	C(A64_LDR64I(8, 31, 32760), "ldr x8, [sp, #32760]");
	C(A64_LDR64I(0, A64_FP, 16), "ldr x0, [x29, #16]");
	C(A64_LDR64I(30, 0, 8), "ldr x30, [x0, #8]");
	C(A64_STR64I(5, A64_SP, 0), "str x5, [sp]");
	C(A64_STR64I(10, A64_SP, 24), "str x10, [sp, #24]");

	/* pairs */
	C(A64_PUSH(A64_FP, A64_LR, A64_SP), "stp x29, x30, [sp, #-16]!");
	C(A64_POP(A64_FP, A64_LR, A64_SP), "ldp x29, x30, [sp], #16");
	C(A64_PUSH(19, 20, A64_SP), "stp x19, x20, [sp, #-16]!");
	C(A64_PUSH(25, A64_ZR, A64_SP), "stp x25, xzr, [sp, #-16]!");
	C(A64_POP(25, A64_ZR, A64_SP), "ldp x25, xzr, [sp], #16");

	/* exclusives */
	C(A64_LDXR(1, 11, 10), "ldxr x11, [x10]");
	C(A64_LDXR(0, 1, 0), "ldxr w1, [x0]");
	C(A64_STXR(1, 11, 10, 12), "stxr w12, x11, [x10]");
	C(A64_STXR(0, 11, 10, 12), "stxr w12, w11, [x10]");
	C(A64_STLXR(1, 11, 10, 12), "stlxr w12, x11, [x10]");
	C(A64_STLXR(0, 1, 0, 12), "stlxr w12, w1, [x0]");

	/* LSE */
	C(A64_STADD(1, 10, 1), "stadd x1, [x10]");
	C(A64_STADD(0, 0, 1), "stadd w1, [x0]");
	C(A64_STCLR(1, 0, 11), "stclr x11, [x0]");
	C(A64_STSET(0, 0, 2), "stset w2, [x0]");
	C(A64_STEOR(1, 25, 3), "steor x3, [x25]");
	C(A64_LDADDAL(1, 1, 10, 1), "ldaddal x1, x1, [x10]");
	C(A64_LDADDAL(0, 2, 0, 2), "ldaddal w2, w2, [x0]");
	C(A64_LDCLRAL(1, 1, 0, 11), "ldclral x11, x1, [x0]");
	C(A64_LDSETAL(0, 1, 0, 1), "ldsetal w1, w1, [x0]");
	C(A64_LDEORAL(1, 19, 0, 19), "ldeoral x19, x19, [x0]");
	C(A64_SWPAL(1, 1, 0, 1), "swpal x1, x1, [x0]");
	C(A64_SWPAL(0, 1, 10, 1), "swpal w1, w1, [x10]");
	C(A64_CASAL(1, 1, 0, 8), "casal x8, x1, [x0]");
	C(A64_CASAL(0, 2, 10, 8), "casal w8, w2, [x10]");

	/* add/sub immediate: imm12, shifted imm12, SP forms, flags forms */
	C(A64_ADD_I(1, 0, 1, 4095), "add x0, x1, #4095");
	C(A64_ADD_I(0, 0, 1, 0x1000), "add w0, w1, #1, lsl #12");
	C(A64_ADD_I(1, 8, 8, 0xfff000), "add x8, x8, #4095, lsl #12");
	C(A64_SUB_I(1, 10, 25, 8), "sub x10, x25, #8");
	C(A64_SUB_I(1, A64_SP, A64_SP, 544), "sub sp, sp, #544");
	C(A64_ADD_I(1, A64_SP, A64_SP, 16), "add sp, sp, #16");
	C(A64_ADD_I(1, A64_SP, 0, 1), "add sp, x0, #1");
	C(A64_CMP_I(1, 8, 0), "cmp x8, #0");
	C(A64_CMP_I(0, 8, 4095), "cmp w8, #4095");
	C(A64_CMN_I(0, 8, 5), "cmn w8, #5");
	C(A64_CMN_I(1, 22, 0x7000), "cmn x22, #7, lsl #12");
	C(A64_MOV_SP(1, A64_FP, A64_SP), "mov x29, sp");
	C(A64_MOV_SP(1, 25, A64_SP), "mov x25, sp");

	/* bitfield: shifts at both ends, extensions */
	C(A64_LSL(1, 0, 0, 1), "lsl x0, x0, #1");
	C(A64_LSL(1, 0, 0, 63), "lsl x0, x0, #63");
	C(A64_LSL(0, 0, 0, 31), "lsl w0, w0, #31");
	/* LSL #0 is UBFM #0, #63, which LLVM spells as its LSR alias */
	C(A64_LSL(1, 19, 19, 0), "lsr x19, x19, #0");
	C(A64_LSR(1, 0, 0, 63), "lsr x0, x0, #63");
	C(A64_LSR(0, 8, 8, 1), "lsr w8, w8, #1");
	C(A64_ASR(1, 0, 0, 5), "asr x0, x0, #5");
	C(A64_ASR(0, 0, 0, 31), "asr w0, w0, #31");
	C(A64_UXTH(0, 8, 8), "uxth w8, w8");
	C(A64_UXTH(1, 8, 8), "ubfx x8, x8, #0, #16");
	C(A64_UXTW(0, 8, 8), "lsr w8, w8, #0");
	C(A64_UXTW(1, 8, 8), "ubfx x8, x8, #0, #32");
	C(A64_SXTB(1, 0, 1), "sxtb x0, w1");
	C(A64_SXTB(0, 0, 1), "sxtb w0, w1");
	C(A64_SXTH(1, 8, 22), "sxth x8, w22");
	C(A64_SXTH(0, 8, 22), "sxth w8, w22");
	C(A64_SXTW(1, 25, 4), "sxtw x25, w4");

	/* move wide */
	C(A64_MOVZ(1, 10, 0x1234, 0), "mov x10, #4660");
	C(A64_MOVZ(1, 10, 0xffff, 48), "mov x10, #-281474976710656");
	C(A64_MOVZ(0, 5, 0, 0), "mov w5, #0");
	C(A64_MOVZ(1, 5, 0, 16), "movz x5, #0, lsl #16");
	C(A64_MOVN(0, 0, 0, 0), "mov w0, #-1");
	C(A64_MOVN(1, 7, 0x1, 16), "mov x7, #-65537");
	C(A64_MOVN(1, 7, 0xffff, 0), "mov x7, #-65536");
	C(A64_MOVK(1, 10, 0x1234, 16), "movk x10, #4660, lsl #16");
	C(A64_MOVK(1, 10, 0xffff, 48), "movk x10, #65535, lsl #48");
	C(A64_MOVK(0, 6, 0x8000, 0), "movk w6, #32768");

	/* add/sub register; register 31 is XZR here */
	C(A64_ADD(1, 8, 8, 1), "add x8, x8, x1");
	C(A64_ADD(1, A64_ZR, 0, 1), "add xzr, x0, x1");
	C(A64_SUB(0, 8, 8, 1), "sub w8, w8, w1");
	C(A64_CMP(1, 0, 1), "cmp x0, x1");
	C(A64_CMP(0, 25, 30), "cmp w25, w30");
	C(A64_NEG(1, 8, 8), "neg x8, x8");
	C(A64_NEG(0, 0, 0), "neg w0, w0");

	/* 1 source */
	C(A64_REV16(0, 0, 0), "rev16 w0, w0");
	C(A64_REV16(1, 0, 0), "rev16 x0, x0");
	C(A64_REV32(0, 8, 8), "rev w8, w8");
	C(A64_REV32(1, 8, 8), "rev32 x8, x8");
	C(A64_REV64(22, 22), "rev x22, x22");

	/* 2 source */
	C(A64_UDIV(1, 8, 8, 1), "udiv x8, x8, x1");
	C(A64_UDIV(0, 10, 8, 11), "udiv w10, w8, w11");
	C(A64_SDIV(1, 10, 8, 11), "sdiv x10, x8, x11");
	C(A64_SDIV(0, 8, 8, 1), "sdiv w8, w8, w1");
	C(A64_LSLV(1, 8, 8, 1), "lsl x8, x8, x1");
	C(A64_LSRV(0, 8, 8, 1), "lsr w8, w8, w1");
	C(A64_ASRV(1, 0, 0, 30), "asr x0, x0, x30");

	/* 3 source */
	C(A64_MSUB(1, 8, 8, 10, 1), "msub x8, x10, x1, x8");
	C(A64_MSUB(0, 0, 0, 10, 11), "msub w0, w10, w11, w0");
	C(A64_MADD(1, 8, 2, 10, 1), "madd x8, x10, x1, x2");
	C(A64_MUL(1, 8, 8, 10), "mul x8, x8, x10");
	C(A64_MUL(0, 8, 8, 10), "mul w8, w8, w10");

	/* logical register; MOV is ORR with XZR */
	C(A64_AND(1, 8, 8, 1), "and x8, x8, x1");
	C(A64_ORR(0, 8, 8, 1), "orr w8, w8, w1");
	C(A64_EOR(1, 12, 8, 11), "eor x12, x8, x11");
	C(A64_TST(1, 8, 1), "tst x8, x1");
	C(A64_TST(0, 8, 10), "tst w8, w10");
	C(A64_MVN(1, 11, 1), "mvn x11, x1");
	C(A64_MVN(0, 11, 1), "mvn w11, w1");
	C(A64_MOV(1, 0, 8), "mov x0, x8");
	C(A64_MOV(1, 8, 0), "mov x8, x0");
	C(A64_MOV(0, 8, 1), "mov w8, w1");
	C(A64_MOV(1, 5, 0), "mov x5, x0");
	C(A64_MOV(1, 7, 30), "mov x7, x30");
	C(A64_MOV(1, 0, A64_ZR), "mov x0, xzr");

	/* logical immediate */
	C(A64_AND_I(1, 0, 0, 0xff), "and x0, x0, #0xff");
	C(A64_AND_I(0, 0, 0, 0xfffffffe), "and w0, w0, #0xfffffffe");
	C(A64_AND_I(1, 0, 0, (int64_t)-16), "and x0, x0, #0xfffffffffffffff0");
	C(A64_AND_I(1, 0, 0, 0xffffffff), "and x0, x0, #0xffffffff");
	C(A64_ORR_I(1, 8, 8, 0x5555555555555555ull), "orr x8, x8, #0x5555555555555555");
	C(A64_ORR_I(0, 8, 8, 0x80000001), "orr w8, w8, #0x80000001");
	C(A64_EOR_I(1, 0, 0, 0x8000000000000000ull), "eor x0, x0, #0x8000000000000000");
	C(A64_EOR_I(0, 0, 0, 0x0f0f0f0f), "eor w0, w0, #0xf0f0f0f");
	C(A64_TST_I(1, 0, 1), "tst x0, #0x1");
	C(A64_TST_I(0, 22, 0x7ffffffe), "tst w22, #0x7ffffffe");

	/* barriers */
	C(A64_DMB_ISH, "dmb ish");
	C(A64_NOP, "nop");
	return n;
}

TEST(a64_forms_match_llvm_disassembly)
{
	struct enc_case cases[256];
	uint32_t words[256];
	const int n = build_cases(cases);
	char **got;

	if (!llvm_mc_available())
		SKIP(LLVM_MC " not found (Debian package llvm-19)");
	for (int k = 0; k < n; k++) {
		words[k] = cases[k].insn;
		CHECK_MSG(words[k] != A64_BREAK_FAULT, "%s: encoder refused its operands", cases[k].form);
	}
	got = llvm_disasm(words, n);
	REQUIRE_MSG(got, "could not run " LLVM_MC);
	for (int k = 0; k < n; k++)
		CHECK_MSG(!strcmp(got[k], cases[k].want), "%s = 0x%08x:\n  llvm: %s\n  want: %s", cases[k].form,
			  words[k], got[k], cases[k].want);
	llvm_disasm_free(got, n);
}

/* Operands a form cannot take come back as A64_BREAK_FAULT, never as a
 * different instruction. */
TEST(a64_forms_refuse_unencodable_operands)
{
	CHECK_EQ(A64_B(0x2000000), A64_BREAK_FAULT);
	CHECK_EQ(A64_B_(A64_COND_EQ, 0x40000), A64_BREAK_FAULT);
	CHECK_EQ(A64_CBNZ(0, 12, -0x40001), A64_BREAK_FAULT);
	CHECK_EQ(A64_ADD_I(1, 0, 0, 0x1001), A64_BREAK_FAULT);
	CHECK_EQ(A64_ADD_I(1, 0, 0, 0x1000000), A64_BREAK_FAULT);
	CHECK_EQ(A64_LDR64I(0, 1, 4), A64_BREAK_FAULT);      /* not a multiple of 8 */
	CHECK_EQ(A64_LDR64I(0, 1, -8), A64_BREAK_FAULT);     /* negative */
	CHECK_EQ(A64_LDR64I(0, 1, 32768), A64_BREAK_FAULT);  /* 4096 * 8 */
	CHECK_EQ(A64_LDRHI(0, 1, 3), A64_BREAK_FAULT);
	CHECK_EQ(A64_LDRBI(0, 1, 4096), A64_BREAK_FAULT);
	CHECK_EQ(A64_AND_I(1, 0, 0, 0), A64_BREAK_FAULT);
	CHECK_EQ(A64_AND_I(1, 0, 0, ~0ull), A64_BREAK_FAULT);
	CHECK_EQ(A64_AND_I(0, 0, 0, 0xffffffffu), A64_BREAK_FAULT);
	CHECK_EQ(A64_ORR_I(1, 0, 0, 0x1234), A64_BREAK_FAULT);
	CHECK_EQ(A64_EOR_I(1, 0, 0, 5), A64_BREAK_FAULT);    /* 101: two runs */
	CHECK_EQ(A64_MOVZ(0, 0, 1, 32), A64_BREAK_FAULT);    /* W has two halves */
	CHECK_EQ(A64_MOVK(1, 0, 1, 8), A64_BREAK_FAULT);
	CHECK_EQ(A64_LSL(1, 0, 0, 64), A64_BREAK_FAULT);
}

/* DecodeBitMasks (Arm ARM, shared pseudocode), written from the manual: the
 * value a logical-immediate (N, immr, imms) stands for, or false if the
 * fields are reserved. */
static bool decode_bit_masks(int sf, unsigned n, unsigned immr, unsigned imms, uint64_t *value)
{
	unsigned combined = (n << 6) | (~imms & 0x3f);
	int len = -1, esize, levels, s, r;
	uint64_t welem, elem;

	for (int bit = 6; bit >= 0; bit--)
		if (combined & (1u << bit)) {
			len = bit;
			break;
		}
	if (len < 1 || (!sf && n))
		return false;
	esize = 1 << len;
	levels = esize - 1;
	s = imms & levels;
	r = immr & levels;
	if (s == levels)
		return false;
	welem = (s + 1 == 64) ? ~0ull : ((1ull << (s + 1)) - 1);
	elem = r ? ((welem >> r) | (welem << (esize - r))) : welem;
	if (esize < 64)
		elem &= (1ull << esize) - 1;
	*value = 0;
	for (int pos = 0; pos < 64; pos += esize)
		*value |= elem << pos;
	if (!sf)
		*value &= 0xffffffffu;
	return true;
}

/* Every encodable bitmask immediate (5334 for X, 1302 for W) is accepted and
 * round-trips through the manual's decoder; values next to them that the
 * decoder never produces are refused. */
TEST(a64_bitmask_immediates_round_trip_through_decodebitmasks)
{
	int accepted[2] = { 0, 0 };

	for (int sf = 0; sf <= 1; sf++) {
		for (unsigned n = 0; n <= 1; n++)
			for (unsigned immr = 0; immr < 64; immr++)
				for (unsigned imms = 0; imms < 64; imms++) {
					uint64_t value, again;
					uint32_t insn;

					if (!decode_bit_masks(sf, n, immr, imms, &value))
						continue;
					/* only the canonical immr (< esize) is a distinct value */
					insn = A64_AND_I(sf, 0, 0, value);
					if (insn == A64_BREAK_FAULT) {
						CHECK_MSG(0, "sf=%d value 0x%" PRIx64 " refused", sf, value);
						continue;
					}
					CHECK(decode_bit_masks(sf, (insn >> 22) & 1, (insn >> 16) & 0x3f,
							       (insn >> 10) & 0x3f, &again));
					CHECK_MSG(again == value, "sf=%d 0x%" PRIx64 " -> 0x%" PRIx64, sf, value,
						  again);
				}
		/* count distinct encodable values by asking the encoder for
		 * every decoded value once (duplicates come from immr >= esize) */
		for (unsigned n = 0; n <= 1; n++)
			for (unsigned immr = 0; immr < 64; immr++)
				for (unsigned imms = 0; imms < 64; imms++) {
					uint64_t value;
					uint32_t insn;

					if (!decode_bit_masks(sf, n, immr, imms, &value))
						continue;
					insn = A64_AND_I(sf, 0, 0, value);
					if (((insn >> 22) & 1) == n && ((insn >> 16) & 0x3f) == immr &&
					    ((insn >> 10) & 0x3f) == imms)
						accepted[sf]++;
				}
	}
	CHECK_EQ(accepted[1], 5334);
	CHECK_EQ(accepted[0], 1302);

	/* a few values with two runs of ones or an uneven period */
	static const uint64_t refused[] = { 0x5, 0x1234, 0xff00ff01ull, 0x0101010101010103ull };
	for (unsigned k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
		CHECK_EQ(A64_ORR_I(1, 0, 0, refused[k]), A64_BREAK_FAULT);
}

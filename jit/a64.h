/* jit/a64.h: arm64 instruction forms for the JIT.
 *
 * A few encoders, one per instruction class of the Arm ARM (C4.1), and over
 * them one named form per instruction the JIT emits (A64_ADD_I, A64_LDR64I,
 * A64_MOVZ, ...), so that the translation of a BPF opcode reads like the
 * manual. The shape follows the kernel's arch/arm64/net/bpf_jit.h; the
 * encoders are our own. Every form is checked against LLVM's disassembler by
 * tests/jit/a64_encoding.c.
 *
 * Register numbers are 0..30; 31 means SP or XZR depending on the class
 * (A64_SP and A64_ZR below only name the same number for readability).
 * `sf` is 1 for the 64-bit (X) form, 0 for the 32-bit (W) form, whose
 * result is zero-extended into the X register.
 *
 * A form whose operand cannot be encoded (an immediate out of range, a
 * logical immediate that is not a bitmask) returns A64_BREAK_FAULT; the JIT
 * checks for it where it can happen and a whole image is scanned for it
 * before it is handed out, as the kernel's validate_code() does.
 */
#ifndef CALLFUZZ_JIT_A64_H
#define CALLFUZZ_JIT_A64_H

#include <stdbool.h>
#include <stdint.h>

#define A64_R(x) (x)
#define A64_FP 29
#define A64_LR 30
#define A64_ZR 31
#define A64_SP 31

/* brk #0x100: the kernel's AARCH64_BREAK_FAULT, also our "cannot encode". */
#define A64_BREAK_FAULT 0xd4202000u

/* Condition codes (C1.2.4). */
enum a64_cond {
	A64_COND_EQ = 0x0, /* == */
	A64_COND_NE = 0x1, /* != */
	A64_COND_CS = 0x2, /* unsigned >= */
	A64_COND_CC = 0x3, /* unsigned < */
	A64_COND_HI = 0x8, /* unsigned > */
	A64_COND_LS = 0x9, /* unsigned <= */
	A64_COND_GE = 0xa, /* signed >= */
	A64_COND_LT = 0xb, /* signed < */
	A64_COND_GT = 0xc, /* signed > */
	A64_COND_LE = 0xd, /* signed <= */
};

static inline bool a64_fits_signed(int64_t v, int bits)
{
	return v >= -((int64_t)1 << (bits - 1)) && v < ((int64_t)1 << (bits - 1));
}

/* ---- encoders: one per instruction class ------------------------------ */

/* Unconditional branch (immediate): B, BL. imm26 counts instructions. */
static inline uint32_t a64_branch_imm(bool link, int32_t imm26)
{
	if (!a64_fits_signed(imm26, 26))
		return A64_BREAK_FAULT;
	return (link ? 0x94000000u : 0x14000000u) | ((uint32_t)imm26 & 0x3ffffff);
}

/* Conditional branch: B.cond, offset in instructions. */
static inline uint32_t a64_cond_branch(enum a64_cond cond, int32_t imm19)
{
	if (!a64_fits_signed(imm19, 19))
		return A64_BREAK_FAULT;
	return 0x54000000u | (((uint32_t)imm19 & 0x7ffff) << 5) | cond;
}

/* Compare and branch: CBZ, CBNZ. */
static inline uint32_t a64_comp_branch(int sf, bool nonzero, int rt, int32_t imm19)
{
	if (!a64_fits_signed(imm19, 19))
		return A64_BREAK_FAULT;
	return ((uint32_t)sf << 31) | (nonzero ? 0x35000000u : 0x34000000u) |
	       (((uint32_t)imm19 & 0x7ffff) << 5) | (uint32_t)rt;
}

/* Unconditional branch (register): BR, BLR, RET. */
enum a64_branch_reg { A64_BRANCH_BR = 0xd61f0000u, A64_BRANCH_BLR = 0xd63f0000u, A64_BRANCH_RET = 0xd65f0000u };

static inline uint32_t a64_branch_reg(enum a64_branch_reg type, int rn)
{
	return (uint32_t)type | ((uint32_t)rn << 5);
}

/* Add/subtract (immediate). imm is 0..4095, or a multiple of 4096 up to
 * 4095 << 12 (the shifted form). Register 31 is SP for Rn, and for Rd unless
 * the flags are set (then XZR: CMP, CMN). */
static inline uint32_t a64_addsub_imm(int sf, bool sub, bool setflags, int rd, int rn, uint32_t imm)
{
	uint32_t shift = 0;

	if (imm & ~0xfffu) {
		if (imm & ~0xfff000u)
			return A64_BREAK_FAULT;
		imm >>= 12;
		shift = 1;
	}
	return ((uint32_t)sf << 31) | ((uint32_t)sub << 30) | ((uint32_t)setflags << 29) | 0x11000000u |
	       (shift << 22) | (imm << 10) | ((uint32_t)rn << 5) | (uint32_t)rd;
}

/* Add/subtract (shifted register), shift LSL #0. Register 31 is XZR. */
static inline uint32_t a64_addsub_reg(int sf, bool sub, bool setflags, int rd, int rn, int rm)
{
	return ((uint32_t)sf << 31) | ((uint32_t)sub << 30) | ((uint32_t)setflags << 29) | 0x0b000000u |
	       ((uint32_t)rm << 16) | ((uint32_t)rn << 5) | (uint32_t)rd;
}

/* Logical (shifted register), shift LSL #0; `invert` is the N bit (BIC,
 * ORN, EON). */
enum a64_logic { A64_LOGIC_AND = 0, A64_LOGIC_ORR = 1, A64_LOGIC_EOR = 2, A64_LOGIC_ANDS = 3 };

static inline uint32_t a64_logic_reg(int sf, enum a64_logic opc, bool invert, int rd, int rn, int rm)
{
	return ((uint32_t)sf << 31) | ((uint32_t)opc << 29) | 0x0a000000u | ((uint32_t)invert << 21) |
	       ((uint32_t)rm << 16) | ((uint32_t)rn << 5) | (uint32_t)rd;
}

/* The bitmask-immediate encoding (C4.1.4, DecodeBitMasks): a value is
 * encodable if it repeats an element of e = 2..64 bits that is a rotated run
 * of s+1 ones (not all ones). Returns false if it is not. */
static inline bool a64_bitmask_imm(int sf, uint64_t value, uint32_t *n, uint32_t *immr, uint32_t *imms)
{
	int width = sf ? 64 : 32;

	if (!sf)
		value = (value & 0xffffffffu) | (value << 32);
	for (int e = 2; e <= width; e *= 2) {
		uint64_t emask = e == 64 ? ~0ull : ((1ull << e) - 1);
		uint64_t elem = value & emask;
		bool repeats = true;

		for (int pos = e; pos < 64; pos += e)
			if (((value >> pos) & emask) != elem)
				repeats = false;
		if (!repeats)
			continue;
		int ones = __builtin_popcountll(elem);
		if (ones == 0 || ones == e)
			return false; /* all zeros or all ones: not encodable */
		uint64_t run = ones == 64 ? ~0ull : ((1ull << ones) - 1);
		for (int r = 0; r < e; r++) {
			/* rotate the run right by r inside the element */
			uint64_t rot = r ? (((run >> r) | (run << (e - r))) & emask) : run;
			if (rot == elem) {
				*n = e == 64;
				*immr = (uint32_t)r;
				*imms = ((~(uint32_t)(e - 1) << 1) & 0x3f) | (uint32_t)(ones - 1);
				return true;
			}
		}
		return false; /* repeats but the ones are not one run */
	}
	return false;
}

/* Logical (immediate): AND, ORR, EOR, ANDS with a bitmask immediate. */
static inline uint32_t a64_logic_imm(int sf, enum a64_logic opc, int rd, int rn, uint64_t value)
{
	uint32_t n, immr, imms;

	if (!a64_bitmask_imm(sf, value, &n, &immr, &imms))
		return A64_BREAK_FAULT;
	return ((uint32_t)sf << 31) | ((uint32_t)opc << 29) | 0x12000000u | (n << 22) | (immr << 16) |
	       (imms << 10) | ((uint32_t)rn << 5) | (uint32_t)rd;
}

/* Move wide (immediate): MOVN, MOVZ, MOVK; shift is 0, 16 (32 and 48 for X). */
enum a64_movewide { A64_MOVEWIDE_N = 0, A64_MOVEWIDE_Z = 2, A64_MOVEWIDE_K = 3 };

static inline uint32_t a64_movewide(int sf, enum a64_movewide opc, int rd, uint16_t imm16, int shift)
{
	if (shift % 16 || shift < 0 || shift > (sf ? 48 : 16))
		return A64_BREAK_FAULT;
	return ((uint32_t)sf << 31) | ((uint32_t)opc << 29) | 0x12800000u | ((uint32_t)(shift / 16) << 21) |
	       ((uint32_t)imm16 << 5) | (uint32_t)rd;
}

/* Bitfield: SBFM, BFM, UBFM (N = sf). */
enum a64_bitfield { A64_BITFIELD_SBFM = 0, A64_BITFIELD_BFM = 1, A64_BITFIELD_UBFM = 2 };

static inline uint32_t a64_bitfield(int sf, enum a64_bitfield opc, int rd, int rn, int immr, int imms)
{
	int width = sf ? 64 : 32;

	if (immr < 0 || immr >= width || imms < 0 || imms >= width)
		return A64_BREAK_FAULT;
	return ((uint32_t)sf << 31) | ((uint32_t)opc << 29) | 0x13000000u | ((uint32_t)sf << 22) |
	       ((uint32_t)immr << 16) | ((uint32_t)imms << 10) | ((uint32_t)rn << 5) | (uint32_t)rd;
}

/* Data-processing (1 source): REV16, REV (W) / REV32 (X), REV (X). */
enum a64_dp1 { A64_DP1_REV16 = 1, A64_DP1_REV32 = 2, A64_DP1_REV64 = 3 };

static inline uint32_t a64_dp1(int sf, enum a64_dp1 opcode, int rd, int rn)
{
	return ((uint32_t)sf << 31) | 0x5ac00000u | ((uint32_t)opcode << 10) | ((uint32_t)rn << 5) | (uint32_t)rd;
}

/* Data-processing (2 source): UDIV, SDIV, LSLV, LSRV, ASRV. */
enum a64_dp2 { A64_DP2_UDIV = 2, A64_DP2_SDIV = 3, A64_DP2_LSLV = 8, A64_DP2_LSRV = 9, A64_DP2_ASRV = 10 };

static inline uint32_t a64_dp2(int sf, enum a64_dp2 opcode, int rd, int rn, int rm)
{
	return ((uint32_t)sf << 31) | 0x1ac00000u | ((uint32_t)rm << 16) | ((uint32_t)opcode << 10) |
	       ((uint32_t)rn << 5) | (uint32_t)rd;
}

/* Data-processing (3 source): MADD (Rd = Ra + Rn*Rm), MSUB (Rd = Ra - Rn*Rm). */
static inline uint32_t a64_dp3(int sf, bool sub, int rd, int ra, int rn, int rm)
{
	return ((uint32_t)sf << 31) | 0x1b000000u | ((uint32_t)rm << 16) | ((uint32_t)sub << 15) |
	       ((uint32_t)ra << 10) | ((uint32_t)rn << 5) | (uint32_t)rd;
}

/* Load/store register: size 0..3 is log2 of the access in bytes; opc 0
 * store, 1 load (zero-extend), 2 load signed into X. */
enum a64_ldst_opc { A64_LDST_STORE = 0, A64_LDST_LOAD = 1, A64_LDST_LOAD_SIGNED_X = 2 };

/* ... (unsigned immediate): offset is a multiple of the size, 0..4095*size. */
static inline uint32_t a64_ldst_uimm(int size, enum a64_ldst_opc opc, int rt, int rn, int offset)
{
	if (offset < 0 || offset & ((1 << size) - 1) || (offset >> size) > 0xfff)
		return A64_BREAK_FAULT;
	return ((uint32_t)size << 30) | 0x39000000u | ((uint32_t)opc << 22) | ((uint32_t)(offset >> size) << 10) |
	       ((uint32_t)rn << 5) | (uint32_t)rt;
}

/* ... (register offset): [Xn, Xm] (option LSL, no scaling). */
static inline uint32_t a64_ldst_reg(int size, enum a64_ldst_opc opc, int rt, int rn, int rm)
{
	return ((uint32_t)size << 30) | 0x38206800u | ((uint32_t)opc << 22) | ((uint32_t)rm << 16) |
	       ((uint32_t)rn << 5) | (uint32_t)rt;
}

/* Load/store pair of X registers; offset a multiple of 8 in -512..504. */
enum a64_pair_mode { A64_PAIR_POST_INDEX = 1, A64_PAIR_OFFSET = 2, A64_PAIR_PRE_INDEX = 3 };

static inline uint32_t a64_ldst_pair64(bool load, enum a64_pair_mode mode, int rt, int rt2, int rn, int offset)
{
	if (offset % 8 || offset < -512 || offset > 504)
		return A64_BREAK_FAULT;
	return 0xa8000000u | ((uint32_t)mode << 23) | ((uint32_t)load << 22) |
	       (((uint32_t)(offset / 8) & 0x7f) << 15) | ((uint32_t)rt2 << 10) | ((uint32_t)rn << 5) | (uint32_t)rt;
}

/* Load/store exclusive: LDXR, STXR (status in Rs), STLXR (release). */
static inline uint32_t a64_ldst_excl(int sf, bool load, bool ordered, int rs, int rt, int rn)
{
	return ((uint32_t)(sf ? 3 : 2) << 30) | 0x08000000u | ((uint32_t)load << 22) | ((uint32_t)rs << 16) |
	       ((uint32_t)ordered << 15) | (0x1fu << 10) | ((uint32_t)rn << 5) | (uint32_t)rt;
}

/* LSE atomic memory operations (ARMv8.1): LDADD, LDCLR, LDEOR, LDSET, SWP;
 * acquire (A) and release (R) bits; Rs is the operand, Rt receives the old
 * value (XZR: the ST<op> alias). */
enum a64_atomic_op {
	A64_ATOMIC_ADD = 0x0, /* o3 = 0, opc = 000 */
	A64_ATOMIC_CLR = 0x1,
	A64_ATOMIC_EOR = 0x2,
	A64_ATOMIC_SET = 0x3,
	A64_ATOMIC_SWP = 0x8, /* o3 = 1, opc = 000 */
};

static inline uint32_t a64_lse_atomic(int sf, enum a64_atomic_op op, bool acquire, bool release, int rs, int rt, int rn)
{
	return ((uint32_t)(sf ? 3 : 2) << 30) | 0x38200000u | ((uint32_t)acquire << 23) | ((uint32_t)release << 22) |
	       ((uint32_t)rs << 16) | ((uint32_t)op << 12) | ((uint32_t)rn << 5) | (uint32_t)rt;
}

/* Compare and swap (LSE): Rs holds the expected value and receives the old
 * one; Rt is stored if they were equal. */
static inline uint32_t a64_cas(int sf, bool acquire, bool release, int rs, int rt, int rn)
{
	return ((uint32_t)(sf ? 3 : 2) << 30) | 0x08a07c00u | ((uint32_t)acquire << 22) | ((uint32_t)rs << 16) |
	       ((uint32_t)release << 15) | ((uint32_t)rn << 5) | (uint32_t)rt;
}

/* ---- named instruction forms ----------------------------------------- */

/* Branches (offsets in instructions, from the branch itself) */
#define A64_B(imm26) a64_branch_imm(false, imm26)
#define A64_BL(imm26) a64_branch_imm(true, imm26)
#define A64_B_(cond, imm19) a64_cond_branch(cond, imm19)
#define A64_CBZ(sf, Rt, imm19) a64_comp_branch(sf, false, Rt, imm19)
#define A64_CBNZ(sf, Rt, imm19) a64_comp_branch(sf, true, Rt, imm19)
#define A64_BR(Rn) a64_branch_reg(A64_BRANCH_BR, Rn)
#define A64_BLR(Rn) a64_branch_reg(A64_BRANCH_BLR, Rn)
#define A64_RET(Rn) a64_branch_reg(A64_BRANCH_RET, Rn)

/* Load/store register (register offset): Rt = *(Rn + Rm) */
#define A64_LDRB(Wt, Xn, Xm) a64_ldst_reg(0, A64_LDST_LOAD, Wt, Xn, Xm)
#define A64_LDRSB(Xt, Xn, Xm) a64_ldst_reg(0, A64_LDST_LOAD_SIGNED_X, Xt, Xn, Xm)
#define A64_STRB(Wt, Xn, Xm) a64_ldst_reg(0, A64_LDST_STORE, Wt, Xn, Xm)
#define A64_LDRH(Wt, Xn, Xm) a64_ldst_reg(1, A64_LDST_LOAD, Wt, Xn, Xm)
#define A64_LDRSH(Xt, Xn, Xm) a64_ldst_reg(1, A64_LDST_LOAD_SIGNED_X, Xt, Xn, Xm)
#define A64_STRH(Wt, Xn, Xm) a64_ldst_reg(1, A64_LDST_STORE, Wt, Xn, Xm)
#define A64_LDR32(Wt, Xn, Xm) a64_ldst_reg(2, A64_LDST_LOAD, Wt, Xn, Xm)
#define A64_LDRSW(Xt, Xn, Xm) a64_ldst_reg(2, A64_LDST_LOAD_SIGNED_X, Xt, Xn, Xm)
#define A64_STR32(Wt, Xn, Xm) a64_ldst_reg(2, A64_LDST_STORE, Wt, Xn, Xm)
#define A64_LDR64(Xt, Xn, Xm) a64_ldst_reg(3, A64_LDST_LOAD, Xt, Xn, Xm)
#define A64_STR64(Xt, Xn, Xm) a64_ldst_reg(3, A64_LDST_STORE, Xt, Xn, Xm)

/* Load/store register (unsigned immediate offset, scaled by the size) */
#define A64_LDRBI(Wt, Xn, imm) a64_ldst_uimm(0, A64_LDST_LOAD, Wt, Xn, imm)
#define A64_LDRSBI(Xt, Xn, imm) a64_ldst_uimm(0, A64_LDST_LOAD_SIGNED_X, Xt, Xn, imm)
#define A64_STRBI(Wt, Xn, imm) a64_ldst_uimm(0, A64_LDST_STORE, Wt, Xn, imm)
#define A64_LDRHI(Wt, Xn, imm) a64_ldst_uimm(1, A64_LDST_LOAD, Wt, Xn, imm)
#define A64_LDRSHI(Xt, Xn, imm) a64_ldst_uimm(1, A64_LDST_LOAD_SIGNED_X, Xt, Xn, imm)
#define A64_STRHI(Wt, Xn, imm) a64_ldst_uimm(1, A64_LDST_STORE, Wt, Xn, imm)
#define A64_LDR32I(Wt, Xn, imm) a64_ldst_uimm(2, A64_LDST_LOAD, Wt, Xn, imm)
#define A64_LDRSWI(Xt, Xn, imm) a64_ldst_uimm(2, A64_LDST_LOAD_SIGNED_X, Xt, Xn, imm)
#define A64_STR32I(Wt, Xn, imm) a64_ldst_uimm(2, A64_LDST_STORE, Wt, Xn, imm)
#define A64_LDR64I(Xt, Xn, imm) a64_ldst_uimm(3, A64_LDST_LOAD, Xt, Xn, imm)
#define A64_STR64I(Xt, Xn, imm) a64_ldst_uimm(3, A64_LDST_STORE, Xt, Xn, imm)

/* Load/store pair: push and pop of a 16-byte frame slot */
#define A64_PUSH(Rt, Rt2, Rn) a64_ldst_pair64(false, A64_PAIR_PRE_INDEX, Rt, Rt2, Rn, -16)
#define A64_POP(Rt, Rt2, Rn) a64_ldst_pair64(true, A64_PAIR_POST_INDEX, Rt, Rt2, Rn, 16)

/* Load/store exclusive */
#define A64_LDXR(sf, Rt, Rn) a64_ldst_excl(sf, true, false, A64_ZR, Rt, Rn)
#define A64_STXR(sf, Rt, Rn, Rs) a64_ldst_excl(sf, false, false, Rs, Rt, Rn)
#define A64_STLXR(sf, Rt, Rn, Rs) a64_ldst_excl(sf, false, true, Rs, Rt, Rn)

/* LSE atomics: *Rn op= Rs, without (ST<op>) or with (LD<op>AL) the old
 * value in Rt and full ordering */
#define A64_STADD(sf, Rn, Rs) a64_lse_atomic(sf, A64_ATOMIC_ADD, false, false, Rs, A64_ZR, Rn)
#define A64_STCLR(sf, Rn, Rs) a64_lse_atomic(sf, A64_ATOMIC_CLR, false, false, Rs, A64_ZR, Rn)
#define A64_STSET(sf, Rn, Rs) a64_lse_atomic(sf, A64_ATOMIC_SET, false, false, Rs, A64_ZR, Rn)
#define A64_STEOR(sf, Rn, Rs) a64_lse_atomic(sf, A64_ATOMIC_EOR, false, false, Rs, A64_ZR, Rn)
#define A64_LDADDAL(sf, Rt, Rn, Rs) a64_lse_atomic(sf, A64_ATOMIC_ADD, true, true, Rs, Rt, Rn)
#define A64_LDCLRAL(sf, Rt, Rn, Rs) a64_lse_atomic(sf, A64_ATOMIC_CLR, true, true, Rs, Rt, Rn)
#define A64_LDSETAL(sf, Rt, Rn, Rs) a64_lse_atomic(sf, A64_ATOMIC_SET, true, true, Rs, Rt, Rn)
#define A64_LDEORAL(sf, Rt, Rn, Rs) a64_lse_atomic(sf, A64_ATOMIC_EOR, true, true, Rs, Rt, Rn)
#define A64_SWPAL(sf, Rt, Rn, Rs) a64_lse_atomic(sf, A64_ATOMIC_SWP, true, true, Rs, Rt, Rn)
/* Rs = casal(Rn, expected Rs, new Rt) */
#define A64_CASAL(sf, Rt, Rn, Rs) a64_cas(sf, true, true, Rs, Rt, Rn)

/* Add/subtract (immediate) */
#define A64_ADD_I(sf, Rd, Rn, imm12) a64_addsub_imm(sf, false, false, Rd, Rn, imm12)
#define A64_SUB_I(sf, Rd, Rn, imm12) a64_addsub_imm(sf, true, false, Rd, Rn, imm12)
#define A64_ADDS_I(sf, Rd, Rn, imm12) a64_addsub_imm(sf, false, true, Rd, Rn, imm12)
#define A64_SUBS_I(sf, Rd, Rn, imm12) a64_addsub_imm(sf, true, true, Rd, Rn, imm12)
/* Rn + imm12; set condition flags */
#define A64_CMN_I(sf, Rn, imm12) A64_ADDS_I(sf, A64_ZR, Rn, imm12)
/* Rn - imm12; set condition flags */
#define A64_CMP_I(sf, Rn, imm12) A64_SUBS_I(sf, A64_ZR, Rn, imm12)
/* Rd = Rn, where one of them is SP: MOV (to/from SP) is ADD #0 */
#define A64_MOV_SP(sf, Rd, Rn) A64_ADD_I(sf, Rd, Rn, 0)

/* Bitfield move */
#define A64_SBFM(sf, Rd, Rn, ir, is) a64_bitfield(sf, A64_BITFIELD_SBFM, Rd, Rn, ir, is)
#define A64_UBFM(sf, Rd, Rn, ir, is) a64_bitfield(sf, A64_BITFIELD_UBFM, Rd, Rn, ir, is)
/* Rd = Rn >> shift; signed */
#define A64_ASR(sf, Rd, Rn, shift) A64_SBFM(sf, Rd, Rn, shift, (sf) ? 63 : 31)
/* Rd = Rn << shift */
#define A64_LSL(sf, Rd, Rn, shift) \
	A64_UBFM(sf, Rd, Rn, ((sf) ? 64 - (shift) : 32 - (shift)) % ((sf) ? 64 : 32), ((sf) ? 63 : 31) - (shift))
/* Rd = Rn >> shift */
#define A64_LSR(sf, Rd, Rn, shift) A64_UBFM(sf, Rd, Rn, shift, (sf) ? 63 : 31)
/* Rd = zero-extended low 16 / 32 bits of Rn */
#define A64_UXTH(sf, Rd, Rn) A64_UBFM(sf, Rd, Rn, 0, 15)
#define A64_UXTW(sf, Rd, Rn) A64_UBFM(sf, Rd, Rn, 0, 31)
/* Rd = sign-extended low 8 / 16 / 32 bits of Rn */
#define A64_SXTB(sf, Rd, Rn) A64_SBFM(sf, Rd, Rn, 0, 7)
#define A64_SXTH(sf, Rd, Rn) A64_SBFM(sf, Rd, Rn, 0, 15)
#define A64_SXTW(sf, Rd, Rn) A64_SBFM(sf, Rd, Rn, 0, 31)

/* Move wide (immediate) */
#define A64_MOVN(sf, Rd, imm16, shift) a64_movewide(sf, A64_MOVEWIDE_N, Rd, imm16, shift)
#define A64_MOVZ(sf, Rd, imm16, shift) a64_movewide(sf, A64_MOVEWIDE_Z, Rd, imm16, shift)
#define A64_MOVK(sf, Rd, imm16, shift) a64_movewide(sf, A64_MOVEWIDE_K, Rd, imm16, shift)

/* Add/subtract (shifted register) */
#define A64_ADD(sf, Rd, Rn, Rm) a64_addsub_reg(sf, false, false, Rd, Rn, Rm)
#define A64_SUB(sf, Rd, Rn, Rm) a64_addsub_reg(sf, true, false, Rd, Rn, Rm)
#define A64_SUBS(sf, Rd, Rn, Rm) a64_addsub_reg(sf, true, true, Rd, Rn, Rm)
/* Rd = -Rm */
#define A64_NEG(sf, Rd, Rm) A64_SUB(sf, Rd, A64_ZR, Rm)
/* Rn - Rm; set condition flags */
#define A64_CMP(sf, Rn, Rm) A64_SUBS(sf, A64_ZR, Rn, Rm)

/* Data-processing (1 source): byte reversal */
#define A64_REV16(sf, Rd, Rn) a64_dp1(sf, A64_DP1_REV16, Rd, Rn)
/* sf 0: REV Wd (the 32-bit swap); sf 1: REV32 Xd (each word swapped) */
#define A64_REV32(sf, Rd, Rn) a64_dp1(sf, A64_DP1_REV32, Rd, Rn)
#define A64_REV64(Rd, Rn) a64_dp1(1, A64_DP1_REV64, Rd, Rn)

/* Data-processing (2 source) */
#define A64_UDIV(sf, Rd, Rn, Rm) a64_dp2(sf, A64_DP2_UDIV, Rd, Rn, Rm)
#define A64_SDIV(sf, Rd, Rn, Rm) a64_dp2(sf, A64_DP2_SDIV, Rd, Rn, Rm)
/* Rd = Rn OP Rm, shift amount taken modulo the width */
#define A64_LSLV(sf, Rd, Rn, Rm) a64_dp2(sf, A64_DP2_LSLV, Rd, Rn, Rm)
#define A64_LSRV(sf, Rd, Rn, Rm) a64_dp2(sf, A64_DP2_LSRV, Rd, Rn, Rm)
#define A64_ASRV(sf, Rd, Rn, Rm) a64_dp2(sf, A64_DP2_ASRV, Rd, Rn, Rm)

/* Data-processing (3 source) */
/* Rd = Ra + Rn * Rm */
#define A64_MADD(sf, Rd, Ra, Rn, Rm) a64_dp3(sf, false, Rd, Ra, Rn, Rm)
/* Rd = Ra - Rn * Rm */
#define A64_MSUB(sf, Rd, Ra, Rn, Rm) a64_dp3(sf, true, Rd, Ra, Rn, Rm)
/* Rd = Rn * Rm */
#define A64_MUL(sf, Rd, Rn, Rm) A64_MADD(sf, Rd, A64_ZR, Rn, Rm)

/* Logical (shifted register) */
#define A64_AND(sf, Rd, Rn, Rm) a64_logic_reg(sf, A64_LOGIC_AND, false, Rd, Rn, Rm)
#define A64_ORR(sf, Rd, Rn, Rm) a64_logic_reg(sf, A64_LOGIC_ORR, false, Rd, Rn, Rm)
#define A64_EOR(sf, Rd, Rn, Rm) a64_logic_reg(sf, A64_LOGIC_EOR, false, Rd, Rn, Rm)
#define A64_ANDS(sf, Rd, Rn, Rm) a64_logic_reg(sf, A64_LOGIC_ANDS, false, Rd, Rn, Rm)
/* Rn & Rm; set condition flags */
#define A64_TST(sf, Rn, Rm) A64_ANDS(sf, A64_ZR, Rn, Rm)
/* Rd = ~Rm (ORN with XZR) */
#define A64_MVN(sf, Rd, Rm) a64_logic_reg(sf, A64_LOGIC_ORR, true, Rd, A64_ZR, Rm)
/* Rd = Rm: MOV (register) is ORR with XZR; never with SP (see A64_MOV_SP) */
#define A64_MOV(sf, Rd, Rm) A64_ORR(sf, Rd, A64_ZR, Rm)

/* Logical (immediate); A64_BREAK_FAULT if imm is not a bitmask immediate */
#define A64_AND_I(sf, Rd, Rn, imm) a64_logic_imm(sf, A64_LOGIC_AND, Rd, Rn, (uint64_t)(imm))
#define A64_ORR_I(sf, Rd, Rn, imm) a64_logic_imm(sf, A64_LOGIC_ORR, Rd, Rn, (uint64_t)(imm))
#define A64_EOR_I(sf, Rd, Rn, imm) a64_logic_imm(sf, A64_LOGIC_EOR, Rd, Rn, (uint64_t)(imm))
#define A64_ANDS_I(sf, Rd, Rn, imm) a64_logic_imm(sf, A64_LOGIC_ANDS, Rd, Rn, (uint64_t)(imm))
/* Rn & imm; set condition flags */
#define A64_TST_I(sf, Rn, imm) A64_ANDS_I(sf, A64_ZR, Rn, imm)

/* Barriers and hints */
#define A64_NOP 0xd503201fu
#define A64_DMB_ISH 0xd5033bbfu

#endif

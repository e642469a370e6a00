/* tests/jit/every_opcode.c: one program holding every opcode form of ISA v4
 * (with immediates and offsets on both sides of each code-shape choice)
 * compiles with LSE and with LL/SC atomics, jit_locate maps every byte of
 * the code back to its slot, LLVM decodes every word; and what the JIT
 * cannot compile is a -1 with a reason, never a crash. */
#include "jit/jit.h"
#include "tests/jit/llvm_disasm.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>

#define E(f, code, dst, src, off, imm) cf_func_emit(f, cf_insn(code, dst, src, off, imm), 0)

static void test_opts(struct jit_opts *o, bool lse)
{
	memset(o, 0, sizeof(*o));
	o->lse_atomics = lse;
	for (int k = 0; k < cf_ncallees && k < 32; k++)
		o->callee_addr[k] = 0xffff000000001000ull + (uint64_t)k * 16;
}

/* Immediates around each shape boundary: add/sub imm12 and shifted imm12
 * (and their negations), bitmask or not, one or two mov halves, negative. */
static const int32_t imms[] = { 0, 1, 4095, 4096, 0x1000000, -1, -4095, -4097, 0xff, 0x1234, 0x7fffffff,
				INT32_MIN, 0x10001 };
#define NIMMS ((int)(sizeof(imms) / sizeof(imms[0])))

static void emit_alu(struct cf_func *f)
{
	static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_XOR,
				       BPF_MOD, BPF_MOV };
	static const uint8_t shifts[] = { BPF_LSH, BPF_RSH, BPF_ARSH };

	for (int cls = 0; cls < 2; cls++) {
		uint8_t c = cls ? BPF_ALU64 : BPF_ALU;

		for (unsigned k = 0; k < sizeof(ops); k++) {
			E(f, c | ops[k] | BPF_X, BPF_REG_0, BPF_REG_2, 0, 0);
			for (int m = 0; m < NIMMS; m++)
				E(f, c | ops[k] | BPF_K, BPF_REG_3, 0, 0, imms[m]);
		}
		/* SDIV, SMOD (off 1) */
		E(f, c | BPF_DIV | BPF_X, BPF_REG_6, BPF_REG_7, 1, 0);
		E(f, c | BPF_MOD | BPF_X, BPF_REG_6, BPF_REG_7, 1, 0);
		E(f, c | BPF_DIV | BPF_K, BPF_REG_6, 0, 1, -3);
		E(f, c | BPF_MOD | BPF_K, BPF_REG_6, 0, 1, -3);
		for (unsigned k = 0; k < sizeof(shifts); k++) {
			E(f, c | shifts[k] | BPF_X, BPF_REG_8, BPF_REG_9, 0, 0);
			E(f, c | shifts[k] | BPF_K, BPF_REG_8, 0, 0, 0);
			E(f, c | shifts[k] | BPF_K, BPF_REG_8, 0, 0, cls ? 63 : 31);
		}
		E(f, c | BPF_NEG | BPF_K, BPF_REG_9, 0, 0, 0);
		/* MOVSX */
		E(f, c | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_2, 8, 0);
		E(f, c | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_2, 16, 0);
		if (cls)
			E(f, c | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_2, 32, 0);
	}
	/* END: to_le / to_be (ALU), bswap (ALU64 | TO_LE) */
	for (int bits = 16; bits <= 64; bits *= 2) {
		E(f, BPF_ALU | BPF_END | BPF_TO_LE, BPF_REG_4, 0, 0, bits);
		E(f, BPF_ALU | BPF_END | BPF_TO_BE, BPF_REG_4, 0, 0, bits);
		E(f, BPF_ALU64 | BPF_END | BPF_TO_LE, BPF_REG_4, 0, 0, bits);
	}
}

static void emit_jumps(struct cf_func *f)
{
	static const uint8_t ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE,
				       BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE };

	for (int cls = 0; cls < 2; cls++) {
		uint8_t c = cls ? BPF_JMP : BPF_JMP32;

		for (unsigned k = 0; k < sizeof(ops); k++) {
			E(f, c | ops[k] | BPF_X, BPF_REG_1, BPF_REG_2, 0, 0);
			for (int m = 0; m < NIMMS; m++)
				E(f, c | ops[k] | BPF_K, BPF_REG_1, 0, 0, imms[m]);
		}
	}
	E(f, BPF_JMP | BPF_JA, 0, 0, 1, 0);   /* goto +1 (over the next) */
	E(f, BPF_JMP32 | BPF_JA, 0, 0, 0, 0); /* gotol +0 */
	E(f, BPF_JMP | BPF_JA, 0, 0, -2, 0);  /* backward: to the gotol */
}

static void emit_memory(struct cf_func *f)
{
	static const uint8_t sizes[] = { BPF_B, BPF_H, BPF_W, BPF_DW };
	/* r10: aligned (SP-relative unsigned form) and misaligned (register
	 * offset); ctx: 0, positive, negative, large */
	static const struct { uint8_t reg; int16_t off; } addrs[] = {
		{ BPF_REG_10, -8 }, { BPF_REG_10, -3 }, { BPF_REG_10, -64 },
		{ BPF_REG_1, 0 }, { BPF_REG_1, 6 }, { BPF_REG_1, -8 }, { BPF_REG_1, 32760 }, { BPF_REG_1, -32768 },
	};

	for (unsigned s = 0; s < sizeof(sizes); s++)
		for (unsigned a = 0; a < sizeof(addrs) / sizeof(addrs[0]); a++) {
			E(f, BPF_LDX | BPF_MEM | sizes[s], BPF_REG_0, addrs[a].reg, addrs[a].off, 0);
			if (sizes[s] != BPF_DW)
				E(f, BPF_LDX | BPF_MEMSX | sizes[s], BPF_REG_0, addrs[a].reg, addrs[a].off, 0);
			E(f, BPF_ST | BPF_MEM | sizes[s], addrs[a].reg, 0, addrs[a].off, -5);
			E(f, BPF_STX | BPF_MEM | sizes[s], addrs[a].reg, BPF_REG_6, addrs[a].off, 0);
		}
	/* atomics: every op, W and DW, with and without an offset */
	static const int32_t aops[] = { BPF_ADD, BPF_AND, BPF_OR, BPF_XOR, BPF_ADD | BPF_FETCH,
					BPF_AND | BPF_FETCH, BPF_OR | BPF_FETCH, BPF_XOR | BPF_FETCH, BPF_XCHG,
					BPF_CMPXCHG };
	for (unsigned k = 0; k < sizeof(aops) / sizeof(aops[0]); k++) {
		E(f, BPF_STX | BPF_ATOMIC | BPF_W, BPF_REG_10, BPF_REG_2, -16, aops[k]);
		E(f, BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_1, BPF_REG_2, 0, aops[k]);
		E(f, BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_1, BPF_REG_2, -5000, aops[k]);
	}
	/* LD_IMM64: zero-extended, movz-based, movn-based */
	static const uint64_t imm64s[] = { 0, 0x12345678, 0x1122334455667788ull, 0xffffffff00000001ull,
					   0x8000000000000000ull };
	for (unsigned k = 0; k < sizeof(imm64s) / sizeof(imm64s[0]); k++) {
		E(f, BPF_LD | BPF_IMM | BPF_DW, BPF_REG_7, 0, 0, (int32_t)(uint32_t)imm64s[k]);
		E(f, 0, 0, 0, 0, (int32_t)(uint32_t)(imm64s[k] >> 32));
	}
}

/* main: everything, then calls (helper, kfunc with 12 args, BPF function
 * with 12 args through all 7 slots, ST and STX forms); callee: reads all
 * 7 incoming slots, exits from the middle and at the end. */
static void build_every_opcode_prog(struct cf_prog *p)
{
	const struct cf_callee *trace = cf_callee_by_name("trace");
	const struct cf_callee *kf = cf_callee_by_name("kf_args12");
	struct cf_func *m, *c;

	cf_prog_init(p);
	cf_prog_add_func(p, "main", 1, false);
	cf_prog_add_func(p, "callee12", 12, false);
	m = &p->funcs[0];
	c = &p->funcs[1];
	m->stack_size = 64;
	emit_alu(m);
	emit_jumps(m);
	emit_memory(m);
	E(m, BPF_JMP | BPF_CALL, 0, 0, 0, trace->id);
	for (int k = 1; k <= 7; k++)
		E(m, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_PARAMS, BPF_REG_6, -8 * k, 0);
	E(m, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, kf->id);
	for (int k = 1; k <= 7; k++)
		E(m, BPF_ST | BPF_MEM | BPF_DW, BPF_REG_PARAMS, 0, -8 * k, k % 2 ? -k : 0x12345);
	E(m, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1);
	E(m, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	for (int k = 1; k <= 7; k++)
		E(c, BPF_LDX | BPF_MEM | BPF_DW, k <= 4 ? BPF_REG_5 + k : BPF_REG_0, BPF_REG_PARAMS, 8 * k, 0);
	E(c, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, 1, 0);
	E(c, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	E(c, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
	E(c, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static void check_locate_covers_every_slot(const struct jit_image *img, const struct cf_prog *p)
{
	int fi, slot;

	for (int f = 0; f < img->nfuncs; f++) {
		const struct jit_func *jf = &img->funcs[f];

		CHECK_EQ(jf->ninsns, p->funcs[f].ninsns);
		CHECK(jf->start < jf->insn_off[0]);
		CHECK(jf->insn_off[jf->ninsns] < jf->end);
		for (int i = 0; i < jf->ninsns; i++) {
			CHECK(jf->insn_off[i] <= jf->insn_off[i + 1]);
			/* every word of slot i's code locates to slot i */
			for (uint32_t at = jf->insn_off[i]; at < jf->insn_off[i + 1]; at += 4) {
				CHECK_EQ(jit_locate(img, at, &fi, &slot), 0);
				CHECK_MSG(fi == f && slot == i, "0x%x: func %d slot %d, want %d %d", at, fi, slot, f, i);
			}
			/* only the 2nd half of LD_IMM64 and a final exit emit nothing
			 * (no le64 in this program's tail) */
			if (jf->insn_off[i] == jf->insn_off[i + 1]) {
				bool second_half = i > 0 && p->funcs[f].insns[i - 1].code == (BPF_LD | BPF_IMM | BPF_DW);
				bool final_exit = i == jf->ninsns - 1;
				bool le64 = p->funcs[f].insns[i].code == (BPF_ALU | BPF_END | BPF_TO_LE) &&
					    p->funcs[f].insns[i].imm == 64;

				CHECK_MSG(second_half || final_exit || le64, "func %d slot %d emits nothing", f, i);
			}
		}
		CHECK_EQ(jit_locate(img, jf->start, &fi, &slot), 0);
		CHECK(fi == f && slot == -1);
		CHECK_EQ(jit_locate(img, jf->end - 4, &fi, &slot), 0);
		CHECK(fi == f && slot == jf->ninsns);
		if (f + 1 < img->nfuncs)
			CHECK_EQ(jf->end, img->funcs[f + 1].start);
	}
	CHECK_EQ(img->funcs[img->nfuncs - 1].end, img->ncode * 4);
	CHECK_EQ(jit_locate(img, img->ncode * 4, &fi, &slot), -1);
	CHECK_EQ(img->entry, img->funcs[0].start);
}

static void compile_every_opcode(bool lse)
{
	struct cf_prog p;
	struct jit_opts o;
	struct jit_image img;
	struct cf_err err = { "" };

	build_every_opcode_prog(&p);
	test_opts(&o, lse);
	REQUIRE_MSG(jit_compile(&p, &o, &img, &err) == 0, "%s", err.msg);
	check_locate_covers_every_slot(&img, &p);
	if (llvm_mc_available()) {
		char **got = llvm_disasm(img.code, (int)img.ncode);

		REQUIRE(got);
		for (uint32_t k = 0; k < img.ncode; k++)
			CHECK_MSG(got[k][0] != '<', "0x%x: 0x%08x is not an arm64 instruction (%s)", k * 4,
				  img.code[k], got[k]);
		llvm_disasm_free(got, (int)img.ncode);
	}
	jit_image_free(&img);
	cf_prog_free(&p);
}

TEST(every_opcode_compiles_with_lse_and_locates)
{
	compile_every_opcode(true);
}

TEST(every_opcode_compiles_with_ll_sc_and_locates)
{
	compile_every_opcode(false);
}

/* ---- rejections -------------------------------------------------------- */

static void expect_reject(struct cf_prog *p, const struct jit_opts *o, const char *why)
{
	struct jit_image img;
	struct cf_err err = { "" };

	CHECK_EQ(jit_compile(p, o, &img, &err), -1);
	CHECK_CONTAINS(err.msg, why);
	CHECK(img.code == NULL && img.funcs == NULL && img.ncode == 0);
	jit_image_free(&img);
	cf_prog_free(p);
}

/* one function: the given slots, then exit */
static struct cf_prog *one_func(struct cf_prog *p, struct bpf_insn a, struct bpf_insn b)
{
	struct cf_func *f;

	cf_prog_init(p);
	f = cf_prog_add_func(p, "main", 1, false);
	cf_func_emit(f, a, 0);
	if (b.code)
		cf_func_emit(f, b, 0);
	E(f, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return p;
}

TEST(what_cannot_be_compiled_is_rejected_with_a_reason)
{
	const struct cf_callee *trace = cf_callee_by_name("trace");
	struct bpf_insn none = { 0 };
	struct jit_opts o;
	struct cf_prog p;

	test_opts(&o, true);
	expect_reject(one_func(&p, cf_insn(0xff, 0, 0, 0, 0), none), &o, "func main insn 0: unknown opcode 0xff");
	expect_reject(one_func(&p, cf_insn(BPF_JMP | 0xf0, 0, 0, 0, 0), none), &o, "unknown opcode 0xf5");
	expect_reject(one_func(&p, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_PARAMS, 0, 0, 1), none), &o,
		      "R11 is invalid");
	expect_reject(one_func(&p, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_PARAMS, 0, 0), none), &o,
		      "R11 is invalid");
	expect_reject(one_func(&p, cf_insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_0, BPF_REG_PARAMS, 8, 0), none), &o,
		      "R11 is invalid");
	expect_reject(one_func(&p, cf_insn(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_PARAMS, -8, 0), none), &o,
		      "load from r11-8");
	expect_reject(one_func(&p, cf_insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_PARAMS, BPF_REG_1, 8, 0), none), &o,
		      "store to r11+8");
	expect_reject(one_func(&p, cf_insn(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_PARAMS, 0, -64, 0), none), &o,
		      "store to r11-64");
	expect_reject(one_func(&p, cf_insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_PARAMS, BPF_REG_1, -12, 0), none), &o,
		      "R11 is invalid");
	expect_reject(one_func(&p, cf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_PARAMS, BPF_REG_1, -8, BPF_ADD),
			       none), &o, "R11 is invalid");
	expect_reject(one_func(&p, cf_insn(BPF_ALU64 | BPF_ADD | BPF_X, 12, BPF_REG_1, 0, 0), none), &o,
		      "dst register is invalid");
	expect_reject(one_func(&p, cf_insn(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_1, 1, 0, 3), cf_insn(0, 0, 0, 0, 0)),
		      &o, "LD_IMM64 with src_reg 1");
	expect_reject(one_func(&p, cf_insn(BPF_JMP | BPF_JA, 0, 0, 5, 0), none), &o, "jump to slot 6");
	expect_reject(one_func(&p, cf_insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, -3, 0), none), &o,
		      "jump to slot -2");
	expect_reject(one_func(&p, cf_insn(BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_1, 0, 0, 64), none), &o,
		      "invalid shift 64");
	expect_reject(one_func(&p, cf_insn(BPF_ALU | BPF_END | BPF_TO_BE, BPF_REG_1, 0, 0, 8), none), &o,
		      "byte swap of 8 bits");
	expect_reject(one_func(&p, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_2, 4, 0), none), &o,
		      "MOVSX with off 4");
	expect_reject(one_func(&p, cf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_1, BPF_REG_2, 0, 0x100), none), &o,
		      "unknown atomic op code");
	expect_reject(one_func(&p, cf_insn(BPF_STX | BPF_ATOMIC | BPF_B, BPF_REG_1, BPF_REG_2, 0, BPF_ADD), none),
		      &o, "unknown opcode 0xd3");
	expect_reject(one_func(&p, cf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 7), none), &o,
		      "call to function #7");
	expect_reject(one_func(&p, cf_insn(BPF_JMP | BPF_CALL, 0, 0, 0, 12345), none), &o, "unknown helper 12345");
	expect_reject(one_func(&p, cf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1), none), &o,
		      "unknown kfunc 1");

	/* a callee whose native address the executor did not give */
	o.callee_addr[cf_callee_index(trace)] = 0;
	expect_reject(one_func(&p, cf_insn(BPF_JMP | BPF_CALL, 0, 0, 0, trace->id), none), &o,
		      "no native address for helper trace");

	/* LD_IMM64 cut in half at the end of a function */
	test_opts(&o, true);
	cf_prog_init(&p);
	E(cf_prog_add_func(&p, "main", 1, false), BPF_LD | BPF_IMM | BPF_DW, BPF_REG_1, 0, 0, 3);
	expect_reject(&p, &o, "LD_IMM64 without its second slot");

	/* an empty function, an oversized stack */
	cf_prog_init(&p);
	cf_prog_add_func(&p, "main", 1, false);
	expect_reject(&p, &o, "func main: function has no instructions");
	one_func(&p, cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0), none);
	p.funcs[0].stack_size = 4096;
	expect_reject(&p, &o, "stack size 4096");

	/* no function at all */
	cf_prog_init(&p);
	expect_reject(&p, &o, "0 functions");
}

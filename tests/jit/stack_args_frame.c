/* tests/jit/stack_args_frame.c: the frame of callers and callees with
 * stack arguments (stack-args.md 4): the size of the outgoing area, where
 * each slot goes, where a callee finds it, prologue and epilogue shape.
 * Expected words are written with the a64.h forms, which
 * a64_encoding.c pins to LLVM's disassembly. */
#include "jit/a64.h"
#include "jit/jit.h"
#include "tests/jit/llvm_disasm.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>

#define E(f, code, dst, src, off, imm) cf_func_emit(f, cf_insn(code, dst, src, off, imm), 0)

/* Placeholder callee addresses, one per call-table entry. */
static void test_opts(struct jit_opts *o, bool lse)
{
	memset(o, 0, sizeof(*o));
	o->lse_atomics = lse;
	for (int k = 0; k < cf_ncallees && k < 32; k++)
		o->callee_addr[k] = 0xffff000000001000ull + (uint64_t)k * 16;
}

/* main: r1..r5 = 1..5, slots 1..n-5 stored (odd slots as STX of r0 = 100+k,
 * even ones as ST imm 100+k), call callee; callee(n) sums its stack args. */
static void build_call_prog(struct cf_prog *p, int nargs)
{
	struct cf_func *m, *c;

	cf_prog_init(p);
	cf_prog_add_func(p, "main", 1, false);
	cf_prog_add_func(p, "callee", nargs, false);
	m = &p->funcs[0];
	c = &p->funcs[1];
	for (int r = 1; r <= 5; r++)
		E(m, BPF_ALU64 | BPF_MOV | BPF_K, r, 0, 0, r);
	for (int k = 1; k <= nargs - 5; k++) {
		if (k % 2) {
			E(m, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 100 + k);
			E(m, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_PARAMS, BPF_REG_0, -8 * k, 0);
		} else {
			E(m, BPF_ST | BPF_MEM | BPF_DW, BPF_REG_PARAMS, 0, -8 * k, 100 + k);
		}
	}
	E(m, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1);
	E(m, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	E(c, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0);
	for (int k = 1; k <= nargs - 5; k++) {
		E(c, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_PARAMS, 8 * k, 0);
		E(c, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_0, BPF_REG_2, 0, 0);
	}
	E(c, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static uint32_t word_at(const struct jit_image *img, uint32_t byte_off)
{
	return byte_off / 4 < img->ncode ? img->code[byte_off / 4] : 0;
}

/* Slot of the store of stack arg k in main, from build_call_prog: five
 * movs, then per slot 2 (STX after a mov) or 1 (ST) instructions. */
static int store_slot(int k)
{
	int slot = 5;

	for (int j = 1; j < k; j++)
		slot += j % 2 ? 2 : 1;
	return slot + (k % 2 ? 1 : 0);
}

TEST(outgoing_area_size_for_5_to_12_args)
{
	/* round_up(max(0, slots - 3) * 8, 16), computed by hand: 11 args put
	 * args 9, 10, 11 at SP+0, +8, +16, so 24 bytes round up to 32 */
	static const struct { int nargs, area; } want[] = {
		{ 5, 0 }, { 6, 0 }, { 8, 0 }, { 9, 16 }, { 10, 16 }, { 11, 32 }, { 12, 32 },
	};

	for (unsigned t = 0; t < sizeof(want) / sizeof(want[0]); t++) {
		struct cf_prog p;
		struct jit_opts o;
		struct jit_image img;
		struct cf_err err = { "" };
		const struct jit_func *mf;
		uint32_t at;

		build_call_prog(&p, want[t].nargs);
		test_opts(&o, true);
		REQUIRE_MSG(jit_compile(&p, &o, &img, &err) == 0, "%d args: %s", want[t].nargs, err.msg);
		mf = &img.funcs[0];
		/* main uses no r6..r10: frame record, then the area (if any) */
		at = mf->start;
		CHECK_EQ(word_at(&img, at), A64_PUSH(A64_FP, A64_LR, A64_SP));
		CHECK_EQ(word_at(&img, at + 4), A64_MOV_SP(1, A64_FP, A64_SP));
		if (want[t].area) {
			CHECK_EQ(word_at(&img, at + 8), A64_SUB_I(1, A64_SP, A64_SP, want[t].area));
			CHECK_EQ(mf->insn_off[0], at + 12);
		} else {
			CHECK_EQ(mf->insn_off[0], at + 8);
		}
		/* epilogue: release the area, frame record, x8 -> x0, ret */
		at = mf->insn_off[mf->ninsns];
		if (want[t].area) {
			CHECK_EQ(word_at(&img, at), A64_ADD_I(1, A64_SP, A64_SP, want[t].area));
			at += 4;
		}
		CHECK_EQ(word_at(&img, at), A64_POP(A64_FP, A64_LR, A64_SP));
		CHECK_EQ(word_at(&img, at + 4), A64_MOV(1, A64_R(0), A64_R(8)));
		CHECK_EQ(word_at(&img, at + 8), A64_RET(A64_LR));
		CHECK_EQ(at + 12, mf->end);
		jit_image_free(&img);
		cf_prog_free(&p);
	}
}

TEST(stack_arg_slots_go_to_x5_x7_then_sp_0_8_16_24)
{
	/* slot k (arg 5+k): register for 1..3, [SP + off] for 4..7 */
	static const int reg_of_slot[] = { 0, 5, 6, 7 };
	static const int sp_off_of_slot[] = { 0, 0, 0, 0, 0, 8, 16, 24 };
	struct cf_prog p;
	struct jit_opts o;
	struct jit_image img;
	struct cf_err err = { "" };

	build_call_prog(&p, 12);
	test_opts(&o, true);
	REQUIRE_MSG(jit_compile(&p, &o, &img, &err) == 0, "%s", err.msg);
	for (int k = 1; k <= 7; k++) {
		const struct jit_func *mf = &img.funcs[0];
		int slot = store_slot(k);
		uint32_t at = mf->insn_off[slot];

		if (k % 2) { /* STX from r0 (x8) */
			if (k <= 3)
				CHECK_EQ(word_at(&img, at), A64_MOV(1, reg_of_slot[k], A64_R(8)));
			else
				CHECK_EQ(word_at(&img, at), A64_STR64I(A64_R(8), A64_SP, sp_off_of_slot[k]));
		} else { /* ST imm 100+k: movz, then str from x10 for memory slots */
			if (k <= 3) {
				CHECK_EQ(word_at(&img, at), A64_MOVZ(1, reg_of_slot[k], 100 + k, 0));
			} else {
				CHECK_EQ(word_at(&img, at), A64_MOVZ(1, A64_R(10), 100 + k, 0));
				CHECK_EQ(word_at(&img, at + 4), A64_STR64I(A64_R(10), A64_SP, sp_off_of_slot[k]));
			}
		}
	}
	/* callee: arg 5+k from x5..x7, or from the caller's area above the
	 * frame record: [FP+16], [FP+24], ... */
	for (int k = 1; k <= 7; k++) {
		const struct jit_func *cf = &img.funcs[1];
		uint32_t at = cf->insn_off[1 + 2 * (k - 1)];

		if (k <= 3)
			CHECK_EQ(word_at(&img, at), A64_MOV(1, A64_R(1), reg_of_slot[k]));
		else
			CHECK_EQ(word_at(&img, at), A64_LDR64I(A64_R(1), A64_FP, 16 + 8 * (k - 4)));
	}
	/* the call: BL from main to callee's first instruction, then x0 -> x8 */
	{
		const struct jit_func *mf = &img.funcs[0];
		uint32_t at = mf->insn_off[mf->ninsns - 2];

		CHECK_EQ(word_at(&img, at), A64_BL((int32_t)(img.funcs[1].start - at) / 4));
		CHECK_EQ(word_at(&img, at + 4), A64_MOV(1, A64_R(8), A64_R(0)));
	}
	jit_image_free(&img);
	cf_prog_free(&p);
}

/* A BPF stack and an outgoing area together: r10 = SP + stack + area, so an
 * r10-8 store is at [SP + 16 + 16 - 8] with one callee-saved pair (x25). */
TEST(bpf_stack_sits_above_the_outgoing_area)
{
	struct cf_prog p;
	struct jit_opts o;
	struct jit_image img;
	struct cf_err err = { "" };
	struct cf_func *m;
	uint32_t at;

	cf_prog_init(&p);
	cf_prog_add_func(&p, "main", 1, false);
	cf_prog_add_func(&p, "callee", 9, false);
	m = &p.funcs[0];
	m->stack_size = 8;
	E(m, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_1, -8, 0);      /* slot 0 */
	E(m, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_10, -8, 0);      /* slot 1 */
	E(m, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_PARAMS, BPF_REG_2, -32, 0); /* slot 2: arg 9 */
	E(m, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1);
	E(m, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	E(&p.funcs[1], BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	E(&p.funcs[1], BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	test_opts(&o, true);
	REQUIRE_MSG(jit_compile(&p, &o, &img, &err) == 0, "%s", err.msg);
	at = img.funcs[0].start;
	CHECK_EQ(word_at(&img, at), A64_PUSH(A64_FP, A64_LR, A64_SP));
	CHECK_EQ(word_at(&img, at + 4), A64_MOV_SP(1, A64_FP, A64_SP));
	CHECK_EQ(word_at(&img, at + 8), A64_PUSH(A64_R(25), A64_ZR, A64_SP));
	CHECK_EQ(word_at(&img, at + 12), A64_MOV_SP(1, A64_R(25), A64_SP));
	CHECK_EQ(word_at(&img, at + 16), A64_SUB_I(1, A64_SP, A64_SP, 16 + 16));
	CHECK_EQ(word_at(&img, img.funcs[0].insn_off[0]), A64_STR64I(A64_R(0), A64_SP, 24));
	CHECK_EQ(word_at(&img, img.funcs[0].insn_off[1]), A64_LDR64I(A64_R(1), A64_SP, 24));
	CHECK_EQ(word_at(&img, img.funcs[0].insn_off[2]), A64_STR64I(A64_R(1), A64_SP, 0));
	at = img.funcs[0].insn_off[img.funcs[0].ninsns];
	CHECK_EQ(word_at(&img, at), A64_ADD_I(1, A64_SP, A64_SP, 32));
	CHECK_EQ(word_at(&img, at + 4), A64_POP(A64_R(25), A64_ZR, A64_SP));
	CHECK_EQ(word_at(&img, at + 8), A64_POP(A64_FP, A64_LR, A64_SP));
	jit_image_free(&img);
	cf_prog_free(&p);
}

/* A callee that is itself a caller: it reads its incoming arg 6 out of x5
 * before it writes its outgoing arg 6 into x5 (stack-args.md 2.4), and its
 * r6..r9 are saved in pairs. */
TEST(nested_caller_reads_x5_before_reusing_it)
{
	struct cf_prog p;
	struct jit_opts o;
	struct jit_image img;
	struct cf_err err = { "" };
	struct cf_func *mid;
	uint32_t at;

	cf_prog_init(&p);
	cf_prog_add_func(&p, "main", 1, false);
	cf_prog_add_func(&p, "mid", 6, false);
	cf_prog_add_func(&p, "leaf", 6, false);
	E(&p.funcs[0], BPF_ST | BPF_MEM | BPF_DW, BPF_REG_PARAMS, 0, -8, -1);
	E(&p.funcs[0], BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1);
	E(&p.funcs[0], BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	mid = &p.funcs[1];
	E(mid, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_6, BPF_REG_PARAMS, 8, 0);      /* 0 */
	E(mid, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_6, 0, 0, 1);                  /* 1 */
	E(mid, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_PARAMS, BPF_REG_6, -8, 0);     /* 2 */
	E(mid, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 2);                     /* 3 */
	E(mid, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	E(&p.funcs[2], BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_PARAMS, 8, 0);
	E(&p.funcs[2], BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	test_opts(&o, true);
	REQUIRE_MSG(jit_compile(&p, &o, &img, &err) == 0, "%s", err.msg);
	/* main: ST imm -1 into x5 is a single movn */
	CHECK_EQ(word_at(&img, img.funcs[0].insn_off[0]), A64_MOVN(1, A64_R(5), 0, 0));
	at = img.funcs[1].start;
	CHECK_EQ(word_at(&img, at + 8), A64_PUSH(A64_R(19), A64_ZR, A64_SP));
	CHECK_EQ(img.funcs[1].insn_off[0], at + 12);
	CHECK_EQ(word_at(&img, img.funcs[1].insn_off[0]), A64_MOV(1, A64_R(19), A64_R(5)));
	CHECK_EQ(word_at(&img, img.funcs[1].insn_off[1]), A64_ADD_I(1, A64_R(19), A64_R(19), 1));
	CHECK_EQ(word_at(&img, img.funcs[1].insn_off[2]), A64_MOV(1, A64_R(5), A64_R(19)));
	at = img.funcs[1].insn_off[3];
	CHECK_EQ(word_at(&img, at), A64_BL((int32_t)(img.funcs[2].start - at) / 4));
	/* leaf returns its arg 6: x5 -> x8 -> x0 */
	CHECK_EQ(word_at(&img, img.funcs[2].insn_off[0]), A64_MOV(1, A64_R(8), A64_R(5)));
	jit_image_free(&img);
	cf_prog_free(&p);
}

/* A 12-argument kfunc: args 9..12 at [SP+0..24] as AAPCS64 wants, then the
 * placeholder address 0xffff000000001000 + index * 16 in x10, blr, x0 -> x8. */
TEST(kfunc_with_12_args_uses_the_same_outgoing_area)
{
	const struct cf_callee *kf = cf_callee_by_name("kf_args12");
	struct cf_prog p;
	struct jit_opts o;
	struct jit_image img;
	struct cf_err err = { "" };
	struct cf_func *m;
	uint32_t at;
	int index;

	REQUIRE(kf);
	index = cf_callee_index(kf);
	cf_prog_init(&p);
	m = cf_prog_add_func(&p, "main", 1, false);
	for (int k = 1; k <= 7; k++)
		E(m, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_PARAMS, BPF_REG_1, -8 * k, 0);
	E(m, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, kf->id);
	E(m, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	test_opts(&o, false);
	REQUIRE_MSG(jit_compile(&p, &o, &img, &err) == 0, "%s", err.msg);
	CHECK_EQ(word_at(&img, img.funcs[0].start + 8), A64_SUB_I(1, A64_SP, A64_SP, 32));
	for (int k = 4; k <= 7; k++)
		CHECK_EQ(word_at(&img, img.funcs[0].insn_off[k - 1]), A64_STR64I(A64_R(0), A64_SP, 8 * (k - 4)));
	at = img.funcs[0].insn_off[7];
	CHECK_EQ(word_at(&img, at), A64_MOVZ(1, A64_R(10), 0xffff, 48));
	CHECK_EQ(word_at(&img, at + 4), A64_MOVK(1, A64_R(10), 0x1000 + index * 16, 0));
	CHECK_EQ(word_at(&img, at + 8), A64_BLR(A64_R(10)));
	CHECK_EQ(word_at(&img, at + 12), A64_MOV(1, A64_R(8), A64_R(0)));
	jit_image_free(&img);
	cf_prog_free(&p);
}

/* The whole listing of a 9-argument call, as LLVM prints it. */
TEST(listing_of_a_9_arg_call_reads_like_the_kernel_layout)
{
	static const char *const want[] = {
		/* main */
		"stp x29, x30, [sp, #-16]!",
		"mov x29, sp",
		"sub sp, sp, #16",
		"mov x0, #1", "mov x1, #2", "mov x2, #3", "mov x3, #4", "mov x4, #5",
		"mov x8, #101", "mov x5, x8",  /* arg 6: STX r0 */
		"mov x6, #102",                /* arg 7: ST imm */
		"mov x8, #103", "mov x7, x8",  /* arg 8 */
		"mov x10, #104", "str x10, [sp]", /* arg 9 */
		"bl #24",
		"mov x8, x0",
		"add sp, sp, #16",
		"ldp x29, x30, [sp], #16",
		"mov x0, x8",
		"ret",
		/* callee */
		"stp x29, x30, [sp, #-16]!",
		"mov x29, sp",
		"mov x8, x0",
		"mov x1, x5", "add x8, x8, x1",
		"mov x1, x6", "add x8, x8, x1",
		"mov x1, x7", "add x8, x8, x1",
		"ldr x1, [x29, #16]", "add x8, x8, x1",
		"ldp x29, x30, [sp], #16",
		"mov x0, x8",
		"ret",
	};
	const int nwant = sizeof(want) / sizeof(want[0]);
	struct cf_prog p;
	struct jit_opts o;
	struct jit_image img;
	struct cf_err err = { "" };
	char **got;

	if (!llvm_mc_available())
		SKIP(LLVM_MC " not found (Debian package llvm-19)");
	build_call_prog(&p, 9);
	test_opts(&o, true);
	REQUIRE_MSG(jit_compile(&p, &o, &img, &err) == 0, "%s", err.msg);
	REQUIRE_MSG((int)img.ncode == nwant, "%u instructions, want %d", img.ncode, nwant);
	got = llvm_disasm(img.code, (int)img.ncode);
	REQUIRE(got);
	for (int k = 0; k < nwant; k++)
		CHECK_MSG(!strcmp(got[k], want[k]), "0x%x: %s, want %s", k * 4, got[k], want[k]);
	llvm_disasm_free(got, (int)img.ncode);
	jit_image_free(&img);
	cf_prog_free(&p);
}

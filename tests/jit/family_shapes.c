/* tests/jit/family_shapes.c: what each BPF family compiles to, slot by
 * slot, as LLVM prints it: the kernel's code-shape choices (immediate forms
 * vs a mov into a temporary, scaled offsets vs a register offset, div/mod
 * with MSUB, byte swaps, atomics with LSE and LL/SC). Expected text written
 * by hand from the kernel JIT's shapes and the register map (r0 = x8,
 * r1..r5 = x0..x4, r6 = x19, r10 = x25, temporaries x9..x12). */
#include "jit/jit.h"
#include "tests/jit/llvm_disasm.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>

struct shape {
	struct bpf_insn insn;
	const char *want; /* the slot's code, instructions joined by "; " */
};

#define S(code, dst, src, off, imm, want) { { code, dst, src, off, imm }, want }

static const struct shape shapes[] = {
	/* ALU immediates: add/sub imm12, negated, shifted, else mov + op */
	S(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 4095, "add x0, x0, #4095"),
	S(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8, "sub x0, x0, #8"),
	S(BPF_ALU | BPF_ADD | BPF_K, 1, 0, 0, 0x3000, "add w0, w0, #3, lsl #12"),
	S(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 4097, "mov x10, #4097; add x0, x0, x10"),
	S(BPF_ALU64 | BPF_SUB | BPF_K, 1, 0, 0, -1, "add x0, x0, #1"),
	S(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, 0xff, "and x0, x0, #0xff"),
	S(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, 0x1234, "mov x10, #4660; and x0, x0, x10"),
	S(BPF_ALU64 | BPF_OR | BPF_K, 1, 0, 0, -2, "orr x0, x0, #0xfffffffffffffffe"),
	S(BPF_ALU | BPF_XOR | BPF_K, 1, 0, 0, -2, "eor w0, w0, #0xfffffffe"),
	S(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, -1, "mov x8, #-1"),
	S(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, -1, "mov w8, #-1"),
	S(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0x12345678, "mov x8, #22136; movk x8, #4660, lsl #16"),
	S(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, (int32_t)0x8765ffff, "mov x8, #-2023358465"),
	S(BPF_ALU64 | BPF_MUL | BPF_K, 6, 0, 0, 3, "mov x10, #3; mul x19, x19, x10"),
	/* div/mod: udiv, sdiv (off 1), msub for the remainder; no zero check */
	S(BPF_ALU64 | BPF_DIV | BPF_X, 0, 2, 0, 0, "udiv x8, x8, x1"),
	S(BPF_ALU | BPF_DIV | BPF_X, 0, 2, 1, 0, "sdiv w8, w8, w1"),
	S(BPF_ALU64 | BPF_MOD | BPF_X, 0, 2, 0, 0, "udiv x10, x8, x1; msub x8, x10, x1, x8"),
	S(BPF_ALU | BPF_MOD | BPF_X, 0, 2, 1, 0, "sdiv w10, w8, w1; msub w8, w10, w1, w8"),
	S(BPF_ALU64 | BPF_MOD | BPF_K, 0, 0, 0, 7, "mov x11, #7; udiv x10, x8, x11; msub x8, x10, x11, x8"),
	S(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 1, -7, "mov x10, #-7; sdiv x8, x8, x10"),
	/* shifts, neg, movsx */
	S(BPF_ALU64 | BPF_LSH | BPF_X, 0, 2, 0, 0, "lsl x8, x8, x1"),
	S(BPF_ALU | BPF_ARSH | BPF_X, 0, 2, 0, 0, "asr w8, w8, w1"),
	S(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 3, "lsr x8, x8, #3"),
	S(BPF_ALU | BPF_LSH | BPF_K, 0, 0, 0, 31, "lsl w8, w8, #31"),
	S(BPF_ALU64 | BPF_NEG, 0, 0, 0, 0, "neg x8, x8"),
	S(BPF_ALU | BPF_NEG, 0, 0, 0, 0, "neg w8, w8"),
	S(BPF_ALU64 | BPF_MOV | BPF_X, 0, 2, 8, 0, "sxtb x8, w1"),
	S(BPF_ALU | BPF_MOV | BPF_X, 0, 2, 16, 0, "sxth w8, w1"),
	S(BPF_ALU64 | BPF_MOV | BPF_X, 0, 2, 32, 0, "sxtw x8, w1"),
	S(BPF_ALU | BPF_MOV | BPF_X, 0, 2, 0, 0, "mov w8, w1"),
	/* byte order: le truncates, be/bswap reverse */
	S(BPF_ALU | BPF_END | BPF_TO_LE, 0, 0, 0, 16, "uxth w8, w8"),
	S(BPF_ALU | BPF_END | BPF_TO_LE, 0, 0, 0, 32, "lsr w8, w8, #0"),
	S(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 16, "rev16 w8, w8; uxth w8, w8"),
	S(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 32, "rev w8, w8"),
	S(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 64, "rev x8, x8"),
	S(BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 0, 0, 16, "rev16 x8, x8; ubfx x8, x8, #0, #16"),
	S(BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 0, 0, 32, "rev w8, w8"),
	/* jumps (target: the next slot) */
	S(BPF_JMP | BPF_JSGT | BPF_K, 1, 0, 0, -5, "cmn x0, #5; b.gt #4"),
	S(BPF_JMP32 | BPF_JLT | BPF_K, 1, 0, 0, 100, "cmp w0, #100; b.lo #4"),
	S(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0, 0x12345, "mov x10, #9029; movk x10, #1, lsl #16; cmp x0, x10; b.eq #4"),
	S(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 0, 8, "tst x0, #0x8; b.ne #4"),
	S(BPF_JMP32 | BPF_JSET | BPF_X, 1, 2, 0, 0, "tst w0, w1; b.ne #4"),
	S(BPF_JMP | BPF_JLE | BPF_X, 1, 2, 0, 0, "cmp x0, x1; b.ls #4"),
	/* memory: r10 via SP (frame: stack 16, no outgoing area), scaled
	 * offsets, else a register offset from the original base */
	S(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, -8, 0, "ldr x8, [sp, #8]"),
	S(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, -12, 0, "mov x10, #-12; ldr x8, [x25, x10]"),
	S(BPF_LDX | BPF_MEMSX | BPF_H, 0, 1, 6, 0, "ldrsh x8, [x0, #6]"),
	S(BPF_LDX | BPF_MEMSX | BPF_W, 0, 1, -4, 0, "mov x10, #-4; ldrsw x8, [x0, x10]"),
	S(BPF_LDX | BPF_MEM | BPF_B, 0, 1, 4095, 0, "ldrb w8, [x0, #4095]"),
	S(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, -1, "mov x10, #-1; str w10, [sp, #12]"),
	S(BPF_ST | BPF_MEM | BPF_H, 1, 0, -2, 7, "mov x10, #7; mov x11, #-2; strh w10, [x0, x11]"),
	S(BPF_STX | BPF_MEM | BPF_B, 10, 6, -1, 0, "strb w19, [sp, #15]"),
	/* LD_IMM64 */
	S(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 5, "mov w8, #5"),
};

/* atomics on *(u64 *)(r1 + 8) with r2, LSE then LL/SC */
static const struct {
	int32_t op;
	const char *lse, *llsc;
} atomics[] = {
	{ BPF_ADD, "add x10, x0, #8; stadd x1, [x10]",
	  "add x10, x0, #8; ldxr x11, [x10]; add x11, x11, x1; stxr w12, x11, [x10]; cbnz w12, #-12" },
	{ BPF_AND, "add x10, x0, #8; mvn x11, x1; stclr x11, [x10]",
	  "add x10, x0, #8; ldxr x11, [x10]; and x11, x11, x1; stxr w12, x11, [x10]; cbnz w12, #-12" },
	{ BPF_OR | BPF_FETCH, "add x10, x0, #8; ldsetal x1, x1, [x10]",
	  "add x10, x0, #8; mov x9, x1; ldxr x1, [x10]; orr x11, x1, x9; stlxr w12, x11, [x10]; cbnz w12, #-12; dmb ish" },
	{ BPF_XOR | BPF_FETCH, "add x10, x0, #8; ldeoral x1, x1, [x10]",
	  "add x10, x0, #8; mov x9, x1; ldxr x1, [x10]; eor x11, x1, x9; stlxr w12, x11, [x10]; cbnz w12, #-12; dmb ish" },
	{ BPF_XCHG, "add x10, x0, #8; swpal x1, x1, [x10]",
	  "add x10, x0, #8; mov x11, x1; ldxr x1, [x10]; stlxr w12, x11, [x10]; cbnz w12, #-8; dmb ish" },
	{ BPF_CMPXCHG, "add x10, x0, #8; casal x8, x1, [x10]",
	  "add x10, x0, #8; mov x11, x8; ldxr x8, [x10]; eor x12, x8, x11; cbnz x12, #16; stlxr w12, x1, [x10]; "
	  "cbnz w12, #-16; dmb ish" },
};

/* All the slot-0 code of the cases, disassembled in one llvm-mc run. */
struct batch {
	uint32_t words[4096];
	int nwords;
	int first[128], end[128]; /* word range of each case */
	char errors[128][256];    /* jit_compile failure of a case */
	int ncases;
	char **dis;
};

/* Compile main: insn (+ second LD_IMM64 slot), exit; stack 16; append the
 * code of slot 0 to the batch. */
static void batch_add(struct batch *b, struct bpf_insn insn, bool lse)
{
	struct cf_prog p;
	struct cf_func *f;
	struct jit_opts o = { .lse_atomics = lse };
	struct jit_image img;
	struct cf_err err = { "" };
	int c = b->ncases++;

	b->first[c] = b->end[c] = b->nwords;
	b->errors[c][0] = 0;
	cf_prog_init(&p);
	f = cf_prog_add_func(&p, "main", 1, false);
	f->stack_size = 16;
	cf_func_emit(f, insn, 0);
	if (insn.code == (BPF_LD | BPF_IMM | BPF_DW))
		cf_func_emit(f, cf_insn(0, 0, 0, 0, 0), 0);
	cf_func_emit(f, cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0), 0);
	if (jit_compile(&p, &o, &img, &err) == 0) {
		for (uint32_t at = img.funcs[0].insn_off[0]; at < img.funcs[0].insn_off[1]; at += 4)
			b->words[b->nwords++] = img.code[at / 4];
		b->end[c] = b->nwords;
		jit_image_free(&img);
	} else {
		snprintf(b->errors[c], sizeof(b->errors[c]), "%s", err.msg);
	}
	cf_prog_free(&p);
}

/* The code of case c joined with "; " (malloc'd). */
static char *batch_text(const struct batch *b, int c)
{
	char *text = calloc(1, 2048);

	if (b->errors[c][0])
		return strcpy(text, b->errors[c]);
	for (int k = b->first[c]; b->dis && k < b->end[c]; k++) {
		if (k > b->first[c])
			strcat(text, "; ");
		strncat(text, b->dis[k], 2048 - strlen(text) - 3);
	}
	return text;
}

TEST(each_bpf_family_compiles_to_the_kernel_shapes)
{
	static struct batch b;
	const int n = sizeof(shapes) / sizeof(shapes[0]);

	if (!llvm_mc_available())
		SKIP(LLVM_MC " not found (Debian package llvm-19)");
	memset(&b, 0, sizeof(b));
	for (int k = 0; k < n; k++)
		batch_add(&b, shapes[k].insn, true);
	b.dis = llvm_disasm(b.words, b.nwords);
	REQUIRE(b.dis);
	for (int k = 0; k < n; k++) {
		char *got = batch_text(&b, k);

		CHECK_MSG(!strcmp(got, shapes[k].want), "code 0x%02x dst %d src %d off %d imm %d:\n  got:  %s\n  want: %s",
			  shapes[k].insn.code, shapes[k].insn.dst_reg, shapes[k].insn.src_reg, shapes[k].insn.off,
			  shapes[k].insn.imm, got, shapes[k].want);
		free(got);
	}
	llvm_disasm_free(b.dis, b.nwords);
}

TEST(atomics_compile_to_lse_or_ll_sc_loops)
{
	static struct batch b;
	const int n = sizeof(atomics) / sizeof(atomics[0]);

	if (!llvm_mc_available())
		SKIP(LLVM_MC " not found (Debian package llvm-19)");
	memset(&b, 0, sizeof(b));
	for (int k = 0; k < n; k++) {
		struct bpf_insn insn = cf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_1, BPF_REG_2, 8, atomics[k].op);

		batch_add(&b, insn, true);
		batch_add(&b, insn, false);
	}
	b.dis = llvm_disasm(b.words, b.nwords);
	REQUIRE(b.dis);
	for (int k = 0; k < n; k++) {
		char *lse = batch_text(&b, 2 * k), *llsc = batch_text(&b, 2 * k + 1);

		CHECK_MSG(!strcmp(lse, atomics[k].lse), "op 0x%x LSE:\n  got:  %s\n  want: %s", atomics[k].op, lse,
			  atomics[k].lse);
		CHECK_MSG(!strcmp(llsc, atomics[k].llsc), "op 0x%x LL/SC:\n  got:  %s\n  want: %s", atomics[k].op,
			  llsc, atomics[k].llsc);
		free(lse);
		free(llsc);
	}
	llvm_disasm_free(b.dis, b.nwords);
}

/* jit/jit.h: the arm64 JIT, the model system under test.
 *
 * It follows the Linux kernel's arm64 BPF JIT (arch/arm64/net/bpf_jit_comp.c)
 * with the stack-argument series (docs: stack-args.md section 4): BPF R0 in
 * x8, R1..R5 in x0..x4, stack arguments 6..8 in x5..x7 and 9..12 in an
 * outgoing area at the bottom of the caller's frame.
 *
 * The image holds every function of the program, entry first, and is
 * position independent: BPF-to-BPF calls are BL with relative offsets;
 * helper and kfunc calls build the callee's absolute address (from
 * jit_opts.callee_addr) with MOVZ/MOVK and BLR.
 *
 * Entry convention: call code + entry with x0 = ctx (BPF r1); the BPF return
 * value comes back in x0; x19..x28, FP, LR and SP are preserved (AAPCS64).
 */
#ifndef CALLFUZZ_JIT_H
#define CALLFUZZ_JIT_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/bpf.h"

struct jit_opts {
	bool lse_atomics;          /* LSE (ARMv8.1) atomics, or the LL/SC fallback */
	uint64_t callee_addr[32];  /* native address of each cf_callees[] entry, indexed by
	                              cf_callee_index(); 0 = unavailable: a call to it is rejected */
};

struct jit_func {
	char name[CF_NAME_MAX];
	uint32_t start, end; /* byte offsets in code: [start, end) is the whole function */
	uint32_t *insn_off;  /* ninsns + 1 entries: insn_off[i] is the byte offset (in code) of
	                        the first arm64 instruction of BPF slot i; insn_off[ninsns] is
	                        the end of the body (the epilogue's first instruction). A slot
	                        that emits nothing (2nd half of LD_IMM64, a final exit, le64)
	                        has the offset of the next one. */
	int ninsns;
};

struct jit_image {
	uint32_t *code;  /* arm64 instructions, little-endian words */
	uint32_t ncode;  /* number of instructions */
	uint32_t entry;  /* byte offset of funcs[0] */
	struct jit_func *funcs;
	int nfuncs;
};

/* Compile p into img (which the caller later frees with jit_image_free).
 * Returns 0, or -1 when the program cannot be compiled (JIT_REJECT: an
 * unsupported opcode, a missing callee address, an invalid use of r11, ...)
 * with a message in err naming the function and the slot. Never crashes on
 * a malformed program; on -1, img is left empty. */
int jit_compile(const struct cf_prog *p, const struct jit_opts *o, struct jit_image *img, struct cf_err *err);
void jit_image_free(struct jit_image *img);

/* Which function and BPF slot a byte offset of the code belongs to.
 * Returns 0 and sets *func, *insn when code_off is inside a function:
 * *insn is the slot, -1 in the prologue, ninsns in the epilogue.
 * Returns -1 outside every function. */
int jit_locate(const struct jit_image *img, uint32_t code_off, int *func, int *insn);

#endif

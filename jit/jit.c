/* jit/jit.c: the arm64 JIT (model of arch/arm64/net/bpf_jit_comp.c with the
 * stack-argument series; stack-args.md section 4).
 *
 * Shape, as in the kernel: build_prologue, build_body (one build_insn switch
 * on the opcode), build_epilogue, all emitting through emit(), which writes
 * only when there is an image. Pass 1 runs with no image and records, for
 * every BPF slot, the index of its first arm64 instruction (offset[]);
 * pass 2 runs the same code with an image and takes branch targets from
 * pass 1. Code size never depends on a branch distance, so the two passes
 * must agree; that is checked.
 *
 * Unlike the kernel, which JITs each subprog on its own and patches call
 * addresses in an extra pass, one image holds every function (entry first)
 * and BPF-to-BPF calls are BL to the callee's prologue, so the image is
 * position independent.
 */
#include "jit/jit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit/a64.h"

/* JIT-internal registers, numbered after BPF_REG_PARAMS (r11) as in the
 * kernel after the stack-argument series (BPF_REG_AX moved to 12). */
#define BPF_REG_AX (BPF_REG_PARAMS + 1)
#define TMP_REG_1 (BPF_REG_AX + 1)
#define TMP_REG_2 (BPF_REG_AX + 2)
#define TMP_REG_3 (BPF_REG_AX + 3)
#define NO_REG (-1)

/* Map BPF registers to A64 registers */
static const int bpf2a64[] = {
	/* return value from in-kernel function, and exit value from eBPF
	 * ("bpf, arm64: Map BPF_REG_0 to x8 instead of x7": x7 carries arg 8) */
	[BPF_REG_0] = A64_R(8),
	/* arguments from eBPF program to in-kernel function */
	[BPF_REG_1] = A64_R(0),
	[BPF_REG_2] = A64_R(1),
	[BPF_REG_3] = A64_R(2),
	[BPF_REG_4] = A64_R(3),
	[BPF_REG_5] = A64_R(4),
	/* callee saved registers that in-kernel function will preserve */
	[BPF_REG_6] = A64_R(19),
	[BPF_REG_7] = A64_R(20),
	[BPF_REG_8] = A64_R(21),
	[BPF_REG_9] = A64_R(22),
	/* read-only frame pointer to access stack */
	[BPF_REG_10] = A64_R(25),
	/* r11 has no register: its only forms (stack-args.md 1) become moves
	 * to and from x5..x7 or memory at SP / FP, see emit_stack_arg_*() */
	[BPF_REG_PARAMS] = NO_REG,
	/* temporary register for blinding constants (here: LL/SC fetch ops) */
	[BPF_REG_AX] = A64_R(9),
	/* temporary registers for BPF JIT */
	[TMP_REG_1] = A64_R(10),
	[TMP_REG_2] = A64_R(11),
	[TMP_REG_3] = A64_R(12),
};

/* Stack argument k (1..3, BPF arg 5+k) travels in x5..x7 (AAPCS64 args
 * 6..8); k = 4..7 (args 9..12) in memory (stack-args.md 4). */
#define STACK_ARG_NREGS 3
static const int stack_arg_reg[STACK_ARG_NREGS + 1] = {
	[1] = A64_R(5),
	[2] = A64_R(6),
	[3] = A64_R(7),
};

struct jit_ctx {
	const struct cf_prog *prog;
	const struct jit_opts *opts;
	const struct cf_func *func; /* the function being built */
	int fi;
	uint32_t *image;            /* NULL in the sizing pass */
	int idx;                    /* next instruction, counted from the image start */
	int *offset;                /* slot -> index of its first instruction (ninsns + 1) */
	int epilogue_offset;        /* index of this function's epilogue, from pass 1 */
	const int *func_entry;      /* index of each function's prologue, from pass 1 */
	int used_callee_reg[6];     /* r6..r9, fp, and xzr to pad an odd count */
	int nr_used_callee_reg;
	bool fp_used;
	int stack_size;             /* BPF stack, rounded up to 16 */
	int stack_arg_size;         /* outgoing stack-argument area below it */
	struct cf_err *err;
};

static inline void emit(const uint32_t insn, struct jit_ctx *ctx)
{
	if (ctx->image != NULL)
		ctx->image[ctx->idx] = insn;

	ctx->idx++;
}

__attribute__((format(printf, 3, 4)))
static int reject(struct jit_ctx *ctx, int i, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (i >= 0)
		cf_err_set(ctx->err, "jit: func %s insn %d: %s", ctx->func->name, i, why);
	else
		cf_err_set(ctx->err, "jit: func %s: %s", ctx->func->name, why);
	return -1;
}

/* The kernel's check_imm: a branch offset must fit its field. */
#define check_imm(bits, imm)                                                            \
	do {                                                                            \
		if (!a64_fits_signed(imm, bits))                                        \
			return reject(ctx, i, "branch offset %d does not fit imm%d", imm, bits); \
	} while (0)
#define check_imm19(imm) check_imm(19, imm)
#define check_imm26(imm) check_imm(26, imm)

/* Rd = sign-extended (is64) or zero-extended 32-bit val, in one or two
 * instructions: MOVN when the upper half is all ones, else MOVZ; then MOVK
 * for a half that the first did not produce. */
static void emit_a64_mov_i(const int is64, const int reg, const int32_t val, struct jit_ctx *ctx)
{
	uint16_t hi = (uint32_t)val >> 16;
	uint16_t lo = (uint32_t)val & 0xffff;

	if (hi & 0x8000) {
		if (hi == 0xffff) {
			emit(A64_MOVN(is64, reg, (uint16_t)~lo, 0), ctx);
		} else {
			emit(A64_MOVN(is64, reg, (uint16_t)~hi, 16), ctx);
			if (lo != 0xffff)
				emit(A64_MOVK(is64, reg, lo, 0), ctx);
		}
	} else {
		emit(A64_MOVZ(is64, reg, lo, 0), ctx);
		if (hi)
			emit(A64_MOVK(is64, reg, hi, 16), ctx);
	}
}

static uint16_t chunk16(uint64_t val, int n)
{
	return (uint16_t)(val >> (16 * n));
}

/* Rd = 64-bit val: start from all zeros (MOVZ) or all ones (MOVN),
 * whichever leaves fewer 16-bit chunks to patch with MOVK, at the highest
 * chunk that differs from that background. */
static void emit_a64_mov_i64(const int reg, const uint64_t val, struct jit_ctx *ctx)
{
	int zero_chunks = 0, ones_chunks = 0, top = 0;
	bool inverse;
	uint16_t background;

	if (!(val >> 32)) {
		emit_a64_mov_i(0, reg, (int32_t)(uint32_t)val, ctx);
		return;
	}
	for (int n = 0; n < 4; n++) {
		zero_chunks += chunk16(val, n) == 0x0000;
		ones_chunks += chunk16(val, n) == 0xffff;
	}
	inverse = ones_chunks > zero_chunks;
	background = inverse ? 0xffff : 0x0000;
	for (int n = 0; n < 4; n++)
		if (chunk16(val, n) != background)
			top = n;
	if (inverse)
		emit(A64_MOVN(1, reg, (uint16_t)~chunk16(val, top), 16 * top), ctx);
	else
		emit(A64_MOVZ(1, reg, chunk16(val, top), 16 * top), ctx);
	for (int n = top - 1; n >= 0; n--)
		if (chunk16(val, n) != background)
			emit(A64_MOVK(1, reg, chunk16(val, n), 16 * n), ctx);
}

/* Helper and kfunc calls: the callee's absolute address, then BLR. The
 * kernel's emit_addr_mov_i64 assumes a kernel address (top 16 bits set);
 * the executor's functions live anywhere, so the shortest sequence for the
 * actual value is used. */
static void emit_call(uint64_t target, struct jit_ctx *ctx)
{
	const int tmp = bpf2a64[TMP_REG_1];

	emit_a64_mov_i64(tmp, target, ctx);
	emit(A64_BLR(tmp), ctx);
}

static inline int bpf2a64_offset(int bpf_insn, int off, const struct jit_ctx *ctx)
{
	/* BPF JMP offset is relative to the next instruction */
	bpf_insn++;
	/*
	 * Whereas arm64 branch instructions encode the offset from the branch
	 * itself, which is the last instruction emitted for the BPF one.
	 */
	return ctx->offset[bpf_insn + off] - (ctx->offset[bpf_insn] - 1);
}

static inline int epilogue_offset(const struct jit_ctx *ctx)
{
	return ctx->epilogue_offset - ctx->idx;
}

static bool is_addsub_imm(uint32_t imm)
{
	/* Either imm12 or shifted imm12. */
	return !(imm & ~0xfffu) || !(imm & ~0xfff000u);
}

static void emit_a64_add_i(const bool is64, const int dst, const int src, const int tmp, const int32_t imm,
			   struct jit_ctx *ctx)
{
	if (is_addsub_imm((uint32_t)imm)) {
		emit(A64_ADD_I(is64, dst, src, (uint32_t)imm), ctx);
	} else if (is_addsub_imm(-(uint32_t)imm)) {
		emit(A64_SUB_I(is64, dst, src, -(uint32_t)imm), ctx);
	} else {
		emit_a64_mov_i(is64, tmp, imm, ctx);
		emit(A64_ADD(is64, dst, src, tmp), ctx);
	}
}

/*
 * LDR/STR (immediate), "unsigned offset" form: the offset is imm12 << scale,
 * so it must be non-negative, a multiple of the access size and at most
 * 4095 accesses away. Anything else goes through a register offset.
 */
static bool is_lsi_offset(int offset, int scale)
{
	if (offset < 0)
		return false;

	if (offset > (0xfff << scale))
		return false;

	if (offset & ((1 << scale) - 1))
		return false;

	return true;
}

/* ---- frame ------------------------------------------------------------ */

static void find_used_callee_regs(struct jit_ctx *ctx)
{
	const struct cf_func *f = ctx->func;
	int reg_used = 0;
	int i;

	for (i = 0; i < f->ninsns; i++) {
		const struct bpf_insn *insn = &f->insns[i];

		for (int r = BPF_REG_6; r <= BPF_REG_10; r++)
			if (insn->dst_reg == r || insn->src_reg == r)
				reg_used |= 1 << (r - BPF_REG_6);
	}

	ctx->fp_used = reg_used & (1 << (BPF_REG_10 - BPF_REG_6));
	i = 0;
	for (int r = BPF_REG_6; r <= BPF_REG_10; r++)
		if (reg_used & (1 << (r - BPF_REG_6)))
			ctx->used_callee_reg[i++] = bpf2a64[r];
	ctx->nr_used_callee_reg = i;
}

/* Save callee-saved registers, two per 16-byte slot */
static void push_callee_regs(struct jit_ctx *ctx)
{
	int i;

	for (i = 0; i + 1 < ctx->nr_used_callee_reg; i += 2)
		emit(A64_PUSH(ctx->used_callee_reg[i], ctx->used_callee_reg[i + 1], A64_SP), ctx);
	if (i < ctx->nr_used_callee_reg)
		/* keep SP 16-byte aligned */
		emit(A64_PUSH(ctx->used_callee_reg[i], A64_ZR, A64_SP), ctx);
}

/* Restore callee-saved registers, in the reverse order */
static void pop_callee_regs(struct jit_ctx *ctx)
{
	int i = ctx->nr_used_callee_reg - 1;

	if (ctx->nr_used_callee_reg % 2 != 0) {
		emit(A64_POP(ctx->used_callee_reg[i], A64_ZR, A64_SP), ctx);
		i--;
	}
	while (i > 0) {
		emit(A64_POP(ctx->used_callee_reg[i - 1], ctx->used_callee_reg[i], A64_SP), ctx);
		i -= 2;
	}
}

/* Stack slots (args 6..) that a call at insn passes, from the callee's
 * argument count (BTF FUNC_PROTO in the kernel). */
static int call_stack_slots(const struct cf_prog *p, const struct bpf_insn *insn)
{
	int nargs = 0;

	if (insn->src_reg == BPF_PSEUDO_CALL) {
		if (insn->imm >= 0 && insn->imm < p->nfuncs)
			nargs = p->funcs[insn->imm].nargs;
	} else {
		const struct cf_callee *c = cf_callee_find(insn->src_reg == BPF_PSEUDO_KFUNC_CALL, insn->imm);

		if (c)
			nargs = c->nargs;
	}
	return nargs > CF_MAX_REG_ARGS ? nargs - CF_MAX_REG_ARGS : 0;
}

/*
 * Size of the outgoing stack-argument area (stack-args.md 4):
 * round_up(max(0, out - 3) * 8, 16), out being the most stack slots any call
 * of this function passes (BPF-to-BPF and kfunc calls alike). Slots the
 * function stores count too, so that even a program the verifier would
 * refuse ("writes N stack arg slots, but calls only require M") cannot make
 * the JIT write below SP.
 */
static int compute_stack_arg_size(const struct jit_ctx *ctx)
{
	const struct cf_func *f = ctx->func;
	int out = 0;

	for (int i = 0; i < f->ninsns; i++) {
		const struct bpf_insn *insn = &f->insns[i];
		int slots = 0;

		if (insn->code == (BPF_JMP | BPF_CALL))
			slots = call_stack_slots(ctx->prog, insn);
		else if ((BPF_CLASS(insn->code) == BPF_ST || BPF_CLASS(insn->code) == BPF_STX) &&
			 insn->dst_reg == BPF_REG_PARAMS && insn->off < 0 && insn->off >= -8 * CF_MAX_STACK_ARGS)
			slots = -insn->off / 8;
		if (slots > out)
			out = slots;
	}
	if (out <= STACK_ARG_NREGS)
		return 0;
	return ((out - STACK_ARG_NREGS) * 8 + 15) / 16 * 16;
}

static int prepare_frame(struct jit_ctx *ctx)
{
	const struct cf_func *f = ctx->func;

	if (f->ninsns <= 0)
		return reject(ctx, -1, "function has no instructions");
	if (f->stack_size < 0 || f->stack_size > CF_STACK_MAX)
		return reject(ctx, -1, "stack size %d is outside 0..%d", f->stack_size, CF_STACK_MAX);
	find_used_callee_regs(ctx);
	/* Stack must be multiples of 16B */
	ctx->stack_size = (f->stack_size + 15) / 16 * 16;
	ctx->stack_arg_size = compute_stack_arg_size(ctx);
	return 0;
}

static void build_prologue(struct jit_ctx *ctx)
{
	const int fp = bpf2a64[BPF_REG_10];
	const int frame = ctx->stack_size + ctx->stack_arg_size;

	/*
	 * BPF function frame (stack-args.md 4)
	 *
	 *                             high
	 *                          +-----------+
	 *                          | arg 12    |  the caller's outgoing area:
	 *                          | ...       |  incoming args 9..12 at
	 *                          | arg 9     |  [FP+16], [FP+24], ...
	 * original A64_SP =>    0: +-----------+ BPF prologue
	 *                          |  FP / LR  |
	 * current A64_FP  =>  -16: +-----------+
	 *                          | x19..x22, |  callee-saved registers in use,
	 *                          | x25       |  in pairs (xzr pads an odd count)
	 * BPF fp register =>       +-----------+ <= (BPF_FP)
	 *                          |           |
	 *                          | BPF stack |  stack_size: func stack_size
	 *                          |           |  rounded up to 16
	 *                          +-----------+ <= (BPF_FP - stack_size)
	 *                          | arg 12    |
	 *                          | ...       |  outgoing area: stack_arg_size =
	 *                          | arg 9     |  round_up((out - 3) * 8, 16)
	 * current A64_SP  =>       +-----------+ <= (BPF_FP - stack_size - stack_arg_size)
	 *                             low
	 *
	 * Args 6..8, in and out, live in x5..x7 and never touch the frame.
	 */

	/* Save FP and LR registers to stay align with ARM64 AAPCS */
	emit(A64_PUSH(A64_FP, A64_LR, A64_SP), ctx);
	emit(A64_MOV_SP(1, A64_FP, A64_SP), ctx);

	push_callee_regs(ctx);

	/* Set up BPF prog stack base register */
	if (ctx->fp_used)
		emit(A64_MOV_SP(1, fp, A64_SP), ctx);

	/* Set up function call stack: BPF stack and outgoing area in one go */
	if (frame)
		emit(A64_SUB_I(1, A64_SP, A64_SP, frame), ctx);
}

static void build_epilogue(struct jit_ctx *ctx)
{
	const int r0 = bpf2a64[BPF_REG_0];
	const int frame = ctx->stack_size + ctx->stack_arg_size;

	/* We're done with BPF stack and the outgoing area */
	if (frame)
		emit(A64_ADD_I(1, A64_SP, A64_SP, frame), ctx);

	pop_callee_regs(ctx);

	/* Restore FP/LR registers */
	emit(A64_POP(A64_FP, A64_LR, A64_SP), ctx);

	/* Move the return value from bpf:r0 (aka x8) to x0 */
	emit(A64_MOV(1, A64_R(0), r0), ctx);

	emit(A64_RET(A64_LR), ctx);
}

/* ---- stack arguments (r11) -------------------------------------------- */

/* The only accepted r11 forms (include/linux/filter.h is_stack_arg_*). */
static bool is_stack_arg_ldx(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LDX | BPF_MEM | BPF_DW) && insn->src_reg == BPF_REG_PARAMS;
}

static bool is_stack_arg_st(const struct bpf_insn *insn)
{
	return insn->code == (BPF_ST | BPF_MEM | BPF_DW) && insn->dst_reg == BPF_REG_PARAMS;
}

static bool is_stack_arg_stx(const struct bpf_insn *insn)
{
	return insn->code == (BPF_STX | BPF_MEM | BPF_DW) && insn->dst_reg == BPF_REG_PARAMS;
}

/* dst = incoming arg 5+k, from *(u64 *)(r11 + 8k). x5..x7 still hold
 * incoming args 6..8 here: the verifier puts every r11 load before any r11
 * store or call (stack-args.md 2.4). Args 9.. sit in the caller's outgoing
 * area, just above our frame record. */
static void emit_stack_arg_load(const int dst, const int slot, struct jit_ctx *ctx)
{
	if (slot <= STACK_ARG_NREGS)
		emit(A64_MOV(1, dst, stack_arg_reg[slot]), ctx);
	else
		emit(A64_LDR64I(dst, A64_FP, 16 + (slot - STACK_ARG_NREGS - 1) * 8), ctx);
}

/* Outgoing arg 5+k, *(u64 *)(r11 - 8k) = src: x5..x7, or [SP + 8 * (k - 4)] */
static void emit_stack_arg_store(const int src, const int slot, struct jit_ctx *ctx)
{
	if (slot <= STACK_ARG_NREGS)
		emit(A64_MOV(1, stack_arg_reg[slot], src), ctx);
	else
		emit(A64_STR64I(src, A64_SP, (slot - STACK_ARG_NREGS - 1) * 8), ctx);
}

/* Outgoing arg 5+k, *(u64 *)(r11 - 8k) = imm (sign-extended to 64 bits) */
static void emit_stack_arg_store_imm(const int32_t imm, const int slot, struct jit_ctx *ctx)
{
	const int tmp = bpf2a64[TMP_REG_1];

	if (slot <= STACK_ARG_NREGS) {
		emit_a64_mov_i(1, stack_arg_reg[slot], imm, ctx);
	} else {
		emit_a64_mov_i(1, tmp, imm, ctx);
		emit(A64_STR64I(tmp, A64_SP, (slot - STACK_ARG_NREGS - 1) * 8), ctx);
	}
}

/* ---- atomics ----------------------------------------------------------- */

static int emit_lse_atomic(const struct bpf_insn *insn, struct jit_ctx *ctx, int i)
{
	const uint8_t code = insn->code;
	const int dst = bpf2a64[insn->dst_reg];
	const int src = bpf2a64[insn->src_reg];
	const int tmp = bpf2a64[TMP_REG_1];
	const int tmp2 = bpf2a64[TMP_REG_2];
	const bool isdw = BPF_SIZE(code) == BPF_DW;
	const int16_t off = insn->off;
	int reg = dst;

	if (off) {
		emit_a64_add_i(1, tmp, reg, tmp, off, ctx);
		reg = tmp;
	}

	switch (insn->imm) {
	/* lock *(u32/u64 *)(dst_reg + off) <op>= src_reg */
	case BPF_ADD:
		emit(A64_STADD(isdw, reg, src), ctx);
		break;
	case BPF_AND:
		emit(A64_MVN(isdw, tmp2, src), ctx);
		emit(A64_STCLR(isdw, reg, tmp2), ctx);
		break;
	case BPF_OR:
		emit(A64_STSET(isdw, reg, src), ctx);
		break;
	case BPF_XOR:
		emit(A64_STEOR(isdw, reg, src), ctx);
		break;
	/* src_reg = atomic_fetch_<op>(dst_reg + off, src_reg) */
	case BPF_ADD | BPF_FETCH:
		emit(A64_LDADDAL(isdw, src, reg, src), ctx);
		break;
	case BPF_AND | BPF_FETCH:
		emit(A64_MVN(isdw, tmp2, src), ctx);
		emit(A64_LDCLRAL(isdw, src, reg, tmp2), ctx);
		break;
	case BPF_OR | BPF_FETCH:
		emit(A64_LDSETAL(isdw, src, reg, src), ctx);
		break;
	case BPF_XOR | BPF_FETCH:
		emit(A64_LDEORAL(isdw, src, reg, src), ctx);
		break;
	/* src_reg = atomic_xchg(dst_reg + off, src_reg); */
	case BPF_XCHG:
		emit(A64_SWPAL(isdw, src, reg, src), ctx);
		break;
	/* r0 = atomic_cmpxchg(dst_reg + off, r0, src_reg); */
	case BPF_CMPXCHG:
		emit(A64_CASAL(isdw, src, reg, bpf2a64[BPF_REG_0]), ctx);
		break;
	default:
		return reject(ctx, i, "unknown atomic op code 0x%02x", insn->imm);
	}

	return 0;
}

static int emit_ll_sc_atomic(const struct bpf_insn *insn, struct jit_ctx *ctx, int i)
{
	const uint8_t code = insn->code;
	const int dst = bpf2a64[insn->dst_reg];
	const int src = bpf2a64[insn->src_reg];
	const int tmp = bpf2a64[TMP_REG_1];
	const int tmp2 = bpf2a64[TMP_REG_2];
	const int tmp3 = bpf2a64[TMP_REG_3];
	const int32_t imm = insn->imm;
	const int16_t off = insn->off;
	const bool isdw = BPF_SIZE(code) == BPF_DW;
	int reg = dst;
	int32_t jmp_offset;

	if (off) {
		emit_a64_add_i(1, tmp, reg, tmp, off, ctx);
		reg = tmp;
	}

	if (imm == BPF_ADD || imm == BPF_AND || imm == BPF_OR || imm == BPF_XOR) {
		/* lock *(u32/u64 *)(dst_reg + off) <op>= src_reg */
		emit(A64_LDXR(isdw, tmp2, reg), ctx);
		if (imm == BPF_ADD)
			emit(A64_ADD(isdw, tmp2, tmp2, src), ctx);
		else if (imm == BPF_AND)
			emit(A64_AND(isdw, tmp2, tmp2, src), ctx);
		else if (imm == BPF_OR)
			emit(A64_ORR(isdw, tmp2, tmp2, src), ctx);
		else
			emit(A64_EOR(isdw, tmp2, tmp2, src), ctx);
		emit(A64_STXR(isdw, tmp2, reg, tmp3), ctx);
		jmp_offset = -3;
		check_imm19(jmp_offset);
		emit(A64_CBNZ(0, tmp3, jmp_offset), ctx);
	} else if (imm == (BPF_ADD | BPF_FETCH) || imm == (BPF_AND | BPF_FETCH) ||
		   imm == (BPF_OR | BPF_FETCH) || imm == (BPF_XOR | BPF_FETCH)) {
		/* src_reg = atomic_fetch_<op>(dst_reg + off, src_reg) */
		const int ax = bpf2a64[BPF_REG_AX];

		emit(A64_MOV(isdw, ax, src), ctx);
		emit(A64_LDXR(isdw, src, reg), ctx);
		if (imm == (BPF_ADD | BPF_FETCH))
			emit(A64_ADD(isdw, tmp2, src, ax), ctx);
		else if (imm == (BPF_AND | BPF_FETCH))
			emit(A64_AND(isdw, tmp2, src, ax), ctx);
		else if (imm == (BPF_OR | BPF_FETCH))
			emit(A64_ORR(isdw, tmp2, src, ax), ctx);
		else
			emit(A64_EOR(isdw, tmp2, src, ax), ctx);
		emit(A64_STLXR(isdw, tmp2, reg, tmp3), ctx);
		jmp_offset = -3;
		check_imm19(jmp_offset);
		emit(A64_CBNZ(0, tmp3, jmp_offset), ctx);
		emit(A64_DMB_ISH, ctx);
	} else if (imm == BPF_XCHG) {
		/* src_reg = atomic_xchg(dst_reg + off, src_reg); */
		emit(A64_MOV(isdw, tmp2, src), ctx);
		emit(A64_LDXR(isdw, src, reg), ctx);
		emit(A64_STLXR(isdw, tmp2, reg, tmp3), ctx);
		jmp_offset = -2;
		check_imm19(jmp_offset);
		emit(A64_CBNZ(0, tmp3, jmp_offset), ctx);
		emit(A64_DMB_ISH, ctx);
	} else if (imm == BPF_CMPXCHG) {
		/* r0 = atomic_cmpxchg(dst_reg + off, r0, src_reg); */
		const int r0 = bpf2a64[BPF_REG_0];

		emit(A64_MOV(isdw, tmp2, r0), ctx);
		emit(A64_LDXR(isdw, r0, reg), ctx);
		emit(A64_EOR(isdw, tmp3, r0, tmp2), ctx);
		jmp_offset = 4;
		check_imm19(jmp_offset);
		emit(A64_CBNZ(isdw, tmp3, jmp_offset), ctx);
		emit(A64_STLXR(isdw, src, reg, tmp3), ctx);
		jmp_offset = -4;
		check_imm19(jmp_offset);
		emit(A64_CBNZ(0, tmp3, jmp_offset), ctx);
		emit(A64_DMB_ISH, ctx);
	} else {
		return reject(ctx, i, "unknown atomic op code 0x%02x", imm);
	}

	return 0;
}

/* ---- one BPF instruction ------------------------------------------------ */

/* Does this opcode read src_reg as a register? */
static bool uses_src_reg(const struct bpf_insn *insn)
{
	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		return BPF_SRC(insn->code) == BPF_X && BPF_OP(insn->code) != BPF_NEG &&
		       BPF_OP(insn->code) != BPF_END;
	case BPF_JMP:
	case BPF_JMP32:
		return BPF_SRC(insn->code) == BPF_X && BPF_OP(insn->code) != BPF_CALL &&
		       BPF_OP(insn->code) != BPF_EXIT && BPF_OP(insn->code) != BPF_JA;
	case BPF_LDX:
	case BPF_STX:
		return true;
	default:
		return false;
	}
}

/* Registers are r0..r10, and r11 only in its stack-argument forms
 * (stack-args.md 1: anything else is "R11 is invalid"). */
static int check_regs(const struct bpf_insn *insn, struct jit_ctx *ctx, int i)
{
	if (is_stack_arg_ldx(insn)) {
		if (insn->off <= 0 || insn->off % 8 || insn->off > 8 * CF_MAX_STACK_ARGS)
			return reject(ctx, i, "R11 is invalid: load from r11%+d is not an incoming stack arg slot",
				      insn->off);
		return insn->dst_reg > BPF_REG_10 ? reject(ctx, i, "R11 is invalid: r%d as load destination",
							  insn->dst_reg) : 0;
	}
	if (is_stack_arg_st(insn) || is_stack_arg_stx(insn)) {
		if (insn->off >= 0 || insn->off % 8 || insn->off < -8 * CF_MAX_STACK_ARGS)
			return reject(ctx, i, "R11 is invalid: store to r11%+d is not an outgoing stack arg slot",
				      insn->off);
		if (is_stack_arg_stx(insn) && insn->src_reg > BPF_REG_10)
			return reject(ctx, i, "R11 is invalid: r%d as store source", insn->src_reg);
		return 0;
	}
	if (insn->dst_reg > BPF_REG_10)
		return reject(ctx, i, "%s is invalid", insn->dst_reg == BPF_REG_PARAMS ? "R11" : "dst register");
	if (uses_src_reg(insn) && insn->src_reg > BPF_REG_10)
		return reject(ctx, i, "%s is invalid", insn->src_reg == BPF_REG_PARAMS ? "R11" : "src register");
	return 0;
}

/* A jump from slot i by off must land on a slot of the same function. */
static int check_jump_target(struct jit_ctx *ctx, int i, int off)
{
	const int target = i + 1 + off;

	if (target < 0 || target >= ctx->func->ninsns)
		return reject(ctx, i, "jump to slot %d is outside the function (0..%d)", target,
			      ctx->func->ninsns - 1);
	return 0;
}

/* JITs an eBPF instruction.
 * Returns:
 * 0  - successfully JITed an 8-byte eBPF instruction.
 * >0 - successfully JITed a 16-byte eBPF instruction.
 * <0 - failed to JIT (err says why).
 */
static int build_insn(const struct bpf_insn *insn, struct jit_ctx *ctx, const int i)
{
	const uint8_t code = insn->code;
	const int dst = bpf2a64[insn->dst_reg < BPF_REG_PARAMS ? insn->dst_reg : BPF_REG_PARAMS];
	const int src = bpf2a64[insn->src_reg < BPF_REG_PARAMS ? insn->src_reg : BPF_REG_PARAMS];
	const int tmp = bpf2a64[TMP_REG_1];
	const int tmp2 = bpf2a64[TMP_REG_2];
	const int fp = bpf2a64[BPF_REG_10];
	const int16_t off = insn->off;
	const int32_t imm = insn->imm;
	const bool is64 = BPF_CLASS(code) == BPF_ALU64 || BPF_CLASS(code) == BPF_JMP;
	enum a64_cond jmp_cond;
	int32_t jmp_offset;
	uint32_t a64_insn;
	int src_adj, dst_adj;
	int off_adj;
	bool sign_extend;

	if (check_regs(insn, ctx, i))
		return -1;

	switch (code) {
	/* dst = src */
	case BPF_ALU | BPF_MOV | BPF_X:
	case BPF_ALU64 | BPF_MOV | BPF_X:
		switch (off) {
		case 0:
			emit(A64_MOV(is64, dst, src), ctx);
			break;
		/* MOVSX: dst = (s8/s16/s32)src, zero-extended from 32 bits for ALU */
		case 8:
			emit(A64_SXTB(is64, dst, src), ctx);
			break;
		case 16:
			emit(A64_SXTH(is64, dst, src), ctx);
			break;
		case 32:
			if (!is64)
				return reject(ctx, i, "w%d = (s32)w%d is not an instruction", insn->dst_reg,
					      insn->src_reg);
			emit(A64_SXTW(is64, dst, src), ctx);
			break;
		default:
			return reject(ctx, i, "MOVSX with off %d (want 8, 16 or 32)", off);
		}
		break;
	/* dst = dst OP src */
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU64 | BPF_ADD | BPF_X:
		emit(A64_ADD(is64, dst, dst, src), ctx);
		break;
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU64 | BPF_SUB | BPF_X:
		emit(A64_SUB(is64, dst, dst, src), ctx);
		break;
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU64 | BPF_AND | BPF_X:
		emit(A64_AND(is64, dst, dst, src), ctx);
		break;
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU64 | BPF_OR | BPF_X:
		emit(A64_ORR(is64, dst, dst, src), ctx);
		break;
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU64 | BPF_XOR | BPF_X:
		emit(A64_EOR(is64, dst, dst, src), ctx);
		break;
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU64 | BPF_MUL | BPF_X:
		emit(A64_MUL(is64, dst, dst, src), ctx);
		break;
	/*
	 * Division by zero needs no check: arm64 UDIV/SDIV by 0 give 0, which
	 * is BPF's DIV result, and MOD's MSUB then gives dst - 0 * 0 = dst (the
	 * W form zero-extends it, as BPF MOD32 does). SDIV of INT_MIN by -1
	 * gives INT_MIN and SMOD 0, as in BPF.
	 */
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU64 | BPF_DIV | BPF_X:
		if (!off)
			emit(A64_UDIV(is64, dst, dst, src), ctx);
		else
			emit(A64_SDIV(is64, dst, dst, src), ctx);
		break;
	case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU64 | BPF_MOD | BPF_X:
		if (!off)
			emit(A64_UDIV(is64, tmp, dst, src), ctx);
		else
			emit(A64_SDIV(is64, tmp, dst, src), ctx);
		emit(A64_MSUB(is64, dst, dst, tmp, src), ctx);
		break;
	/* shift by register: LSLV & co. take the amount modulo 32/64, as BPF */
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU64 | BPF_LSH | BPF_X:
		emit(A64_LSLV(is64, dst, dst, src), ctx);
		break;
	case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU64 | BPF_RSH | BPF_X:
		emit(A64_LSRV(is64, dst, dst, src), ctx);
		break;
	case BPF_ALU | BPF_ARSH | BPF_X:
	case BPF_ALU64 | BPF_ARSH | BPF_X:
		emit(A64_ASRV(is64, dst, dst, src), ctx);
		break;
	/* dst = -dst */
	case BPF_ALU | BPF_NEG:
	case BPF_ALU64 | BPF_NEG:
		emit(A64_NEG(is64, dst, dst), ctx);
		break;
	/* dst = BSWAP##imm(dst) */
	case BPF_ALU | BPF_END | BPF_FROM_LE:
	case BPF_ALU | BPF_END | BPF_FROM_BE:
	case BPF_ALU64 | BPF_END | BPF_FROM_LE:
		if (imm != 16 && imm != 32 && imm != 64)
			return reject(ctx, i, "byte swap of %d bits (want 16, 32 or 64)", imm);
		/* arm64 is little-endian: to_le only truncates */
		if (BPF_CLASS(code) == BPF_ALU && BPF_SRC(code) == BPF_FROM_LE)
			goto emit_bswap_uxt;
		switch (imm) {
		case 16:
			emit(A64_REV16(is64, dst, dst), ctx);
			/* zero-extend 16 bits into 64 bits */
			emit(A64_UXTH(is64, dst, dst), ctx);
			break;
		case 32:
			emit(A64_REV32(0, dst, dst), ctx);
			/* upper 32 bits already cleared */
			break;
		case 64:
			emit(A64_REV64(dst, dst), ctx);
			break;
		}
		break;
emit_bswap_uxt:
		switch (imm) {
		case 16:
			/* zero-extend 16 bits into 64 bits */
			emit(A64_UXTH(is64, dst, dst), ctx);
			break;
		case 32:
			/* zero-extend 32 bits into 64 bits */
			emit(A64_UXTW(is64, dst, dst), ctx);
			break;
		case 64:
			/* nop */
			break;
		}
		break;
	/* dst = imm */
	case BPF_ALU | BPF_MOV | BPF_K:
	case BPF_ALU64 | BPF_MOV | BPF_K:
		emit_a64_mov_i(is64, dst, imm, ctx);
		break;
	/* dst = dst OP imm */
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU64 | BPF_ADD | BPF_K:
		emit_a64_add_i(is64, dst, dst, tmp, imm, ctx);
		break;
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU64 | BPF_SUB | BPF_K:
		if (is_addsub_imm((uint32_t)imm)) {
			emit(A64_SUB_I(is64, dst, dst, (uint32_t)imm), ctx);
		} else if (is_addsub_imm(-(uint32_t)imm)) {
			emit(A64_ADD_I(is64, dst, dst, -(uint32_t)imm), ctx);
		} else {
			emit_a64_mov_i(is64, tmp, imm, ctx);
			emit(A64_SUB(is64, dst, dst, tmp), ctx);
		}
		break;
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU64 | BPF_AND | BPF_K:
		a64_insn = A64_AND_I(is64, dst, dst, (int64_t)imm);
		if (a64_insn != A64_BREAK_FAULT) {
			emit(a64_insn, ctx);
		} else {
			emit_a64_mov_i(is64, tmp, imm, ctx);
			emit(A64_AND(is64, dst, dst, tmp), ctx);
		}
		break;
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU64 | BPF_OR | BPF_K:
		a64_insn = A64_ORR_I(is64, dst, dst, (int64_t)imm);
		if (a64_insn != A64_BREAK_FAULT) {
			emit(a64_insn, ctx);
		} else {
			emit_a64_mov_i(is64, tmp, imm, ctx);
			emit(A64_ORR(is64, dst, dst, tmp), ctx);
		}
		break;
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU64 | BPF_XOR | BPF_K:
		a64_insn = A64_EOR_I(is64, dst, dst, (int64_t)imm);
		if (a64_insn != A64_BREAK_FAULT) {
			emit(a64_insn, ctx);
		} else {
			emit_a64_mov_i(is64, tmp, imm, ctx);
			emit(A64_EOR(is64, dst, dst, tmp), ctx);
		}
		break;
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU64 | BPF_MUL | BPF_K:
		emit_a64_mov_i(is64, tmp, imm, ctx);
		emit(A64_MUL(is64, dst, dst, tmp), ctx);
		break;
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU64 | BPF_DIV | BPF_K:
		emit_a64_mov_i(is64, tmp, imm, ctx);
		if (!off)
			emit(A64_UDIV(is64, dst, dst, tmp), ctx);
		else
			emit(A64_SDIV(is64, dst, dst, tmp), ctx);
		break;
	case BPF_ALU | BPF_MOD | BPF_K:
	case BPF_ALU64 | BPF_MOD | BPF_K:
		emit_a64_mov_i(is64, tmp2, imm, ctx);
		if (!off)
			emit(A64_UDIV(is64, tmp, dst, tmp2), ctx);
		else
			emit(A64_SDIV(is64, tmp, dst, tmp2), ctx);
		emit(A64_MSUB(is64, dst, dst, tmp, tmp2), ctx);
		break;
	/* shift by immediate: the verifier keeps it below the width */
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU64 | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
	case BPF_ALU64 | BPF_RSH | BPF_K:
	case BPF_ALU | BPF_ARSH | BPF_K:
	case BPF_ALU64 | BPF_ARSH | BPF_K:
		if (imm < 0 || imm >= (is64 ? 64 : 32))
			return reject(ctx, i, "invalid shift %d", imm);
		if (BPF_OP(code) == BPF_LSH)
			emit(A64_LSL(is64, dst, dst, imm), ctx);
		else if (BPF_OP(code) == BPF_RSH)
			emit(A64_LSR(is64, dst, dst, imm), ctx);
		else
			emit(A64_ASR(is64, dst, dst, imm), ctx);
		break;

	/* JUMP off */
	case BPF_JMP | BPF_JA:
	case BPF_JMP32 | BPF_JA:
		/* gotol (JMP32 JA) takes its offset from imm */
		if (check_jump_target(ctx, i, BPF_CLASS(code) == BPF_JMP ? off : imm))
			return -1;
		if (BPF_CLASS(code) == BPF_JMP)
			jmp_offset = bpf2a64_offset(i, off, ctx);
		else
			jmp_offset = bpf2a64_offset(i, imm, ctx);
		check_imm26(jmp_offset);
		emit(A64_B(jmp_offset), ctx);
		break;
	/* IF (dst COND src) JUMP off */
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JLT | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JLE | BPF_X:
	case BPF_JMP | BPF_JNE | BPF_X:
	case BPF_JMP | BPF_JSGT | BPF_X:
	case BPF_JMP | BPF_JSLT | BPF_X:
	case BPF_JMP | BPF_JSGE | BPF_X:
	case BPF_JMP | BPF_JSLE | BPF_X:
	case BPF_JMP32 | BPF_JEQ | BPF_X:
	case BPF_JMP32 | BPF_JGT | BPF_X:
	case BPF_JMP32 | BPF_JLT | BPF_X:
	case BPF_JMP32 | BPF_JGE | BPF_X:
	case BPF_JMP32 | BPF_JLE | BPF_X:
	case BPF_JMP32 | BPF_JNE | BPF_X:
	case BPF_JMP32 | BPF_JSGT | BPF_X:
	case BPF_JMP32 | BPF_JSLT | BPF_X:
	case BPF_JMP32 | BPF_JSGE | BPF_X:
	case BPF_JMP32 | BPF_JSLE | BPF_X:
		emit(A64_CMP(is64, dst, src), ctx);
emit_cond_jmp:
		if (check_jump_target(ctx, i, off))
			return -1;
		jmp_offset = bpf2a64_offset(i, off, ctx);
		check_imm19(jmp_offset);
		switch (BPF_OP(code)) {
		case BPF_JEQ:
			jmp_cond = A64_COND_EQ;
			break;
		case BPF_JGT:
			jmp_cond = A64_COND_HI;
			break;
		case BPF_JLT:
			jmp_cond = A64_COND_CC;
			break;
		case BPF_JGE:
			jmp_cond = A64_COND_CS;
			break;
		case BPF_JLE:
			jmp_cond = A64_COND_LS;
			break;
		case BPF_JSET:
		case BPF_JNE:
			jmp_cond = A64_COND_NE;
			break;
		case BPF_JSGT:
			jmp_cond = A64_COND_GT;
			break;
		case BPF_JSLT:
			jmp_cond = A64_COND_LT;
			break;
		case BPF_JSGE:
			jmp_cond = A64_COND_GE;
			break;
		case BPF_JSLE:
			jmp_cond = A64_COND_LE;
			break;
		default:
			return reject(ctx, i, "unknown jump op 0x%02x", BPF_OP(code));
		}
		emit(A64_B_(jmp_cond, jmp_offset), ctx);
		break;
	case BPF_JMP | BPF_JSET | BPF_X:
	case BPF_JMP32 | BPF_JSET | BPF_X:
		emit(A64_TST(is64, dst, src), ctx);
		goto emit_cond_jmp;
	/* IF (dst COND imm) JUMP off */
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JLT | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JLE | BPF_K:
	case BPF_JMP | BPF_JNE | BPF_K:
	case BPF_JMP | BPF_JSGT | BPF_K:
	case BPF_JMP | BPF_JSLT | BPF_K:
	case BPF_JMP | BPF_JSGE | BPF_K:
	case BPF_JMP | BPF_JSLE | BPF_K:
	case BPF_JMP32 | BPF_JEQ | BPF_K:
	case BPF_JMP32 | BPF_JGT | BPF_K:
	case BPF_JMP32 | BPF_JLT | BPF_K:
	case BPF_JMP32 | BPF_JGE | BPF_K:
	case BPF_JMP32 | BPF_JLE | BPF_K:
	case BPF_JMP32 | BPF_JNE | BPF_K:
	case BPF_JMP32 | BPF_JSGT | BPF_K:
	case BPF_JMP32 | BPF_JSLT | BPF_K:
	case BPF_JMP32 | BPF_JSGE | BPF_K:
	case BPF_JMP32 | BPF_JSLE | BPF_K:
		if (is_addsub_imm((uint32_t)imm)) {
			emit(A64_CMP_I(is64, dst, (uint32_t)imm), ctx);
		} else if (is_addsub_imm(-(uint32_t)imm)) {
			emit(A64_CMN_I(is64, dst, -(uint32_t)imm), ctx);
		} else {
			emit_a64_mov_i(is64, tmp, imm, ctx);
			emit(A64_CMP(is64, dst, tmp), ctx);
		}
		goto emit_cond_jmp;
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP32 | BPF_JSET | BPF_K:
		a64_insn = A64_TST_I(is64, dst, (int64_t)imm);
		if (a64_insn != A64_BREAK_FAULT) {
			emit(a64_insn, ctx);
		} else {
			emit_a64_mov_i(is64, tmp, imm, ctx);
			emit(A64_TST(is64, dst, tmp), ctx);
		}
		goto emit_cond_jmp;
	/* function call */
	case BPF_JMP | BPF_CALL:
	{
		const int r0 = bpf2a64[BPF_REG_0];

		if (insn->src_reg == BPF_PSEUDO_CALL) {
			/* BPF-to-BPF: BL to the callee's prologue. Args 1..5
			 * are in x0..x4, 6..8 in x5..x7, 9.. at [SP] already. */
			if (imm < 0 || imm >= ctx->prog->nfuncs)
				return reject(ctx, i, "call to function #%d, the program has %d", imm,
					      ctx->prog->nfuncs);
			jmp_offset = ctx->func_entry[imm] - ctx->idx;
			check_imm26(jmp_offset);
			emit(A64_BL(jmp_offset), ctx);
		} else if (insn->src_reg == 0 || insn->src_reg == BPF_PSEUDO_KFUNC_CALL) {
			const bool kfunc = insn->src_reg == BPF_PSEUDO_KFUNC_CALL;
			const struct cf_callee *callee = cf_callee_find(kfunc, imm);
			int index;

			if (!callee)
				return reject(ctx, i, "unknown %s %d", kfunc ? "kfunc" : "helper", imm);
			index = cf_callee_index(callee);
			if (index < 0 || index >= (int)(sizeof(ctx->opts->callee_addr) / sizeof(uint64_t)) ||
			    !ctx->opts->callee_addr[index])
				return reject(ctx, i, "no native address for %s %s (jit_opts.callee_addr[%d])",
					      kfunc ? "kfunc" : "helper", callee->name, index);
			emit_call(ctx->opts->callee_addr[index], ctx);
		} else {
			return reject(ctx, i, "call with src_reg %d is not supported", insn->src_reg);
		}
		/* return value from x0 into bpf:r0 (aka x8) */
		emit(A64_MOV(1, r0, A64_R(0)), ctx);
		break;
	}
	/* function return */
	case BPF_JMP | BPF_EXIT:
		/* Optimization: when last instruction is EXIT,
		   simply fallthrough to epilogue. */
		if (i == ctx->func->ninsns - 1)
			break;
		jmp_offset = epilogue_offset(ctx);
		check_imm26(jmp_offset);
		emit(A64_B(jmp_offset), ctx);
		break;

	/* dst = imm64 */
	case BPF_LD | BPF_IMM | BPF_DW:
	{
		uint64_t imm64;

		if (i + 1 >= ctx->func->ninsns)
			return reject(ctx, i, "LD_IMM64 without its second slot");
		if (insn->src_reg != 0)
			return reject(ctx, i, "LD_IMM64 with src_reg %d (map or function pointer) is not supported",
				      insn->src_reg);
		imm64 = (uint64_t)(uint32_t)insn[1].imm << 32 | (uint32_t)imm;
		emit_a64_mov_i64(dst, imm64, ctx);

		return 1;
	}

	/* LDX: dst = (u64)*(unsigned size *)(src + off) */
	case BPF_LDX | BPF_MEM | BPF_W:
	case BPF_LDX | BPF_MEM | BPF_H:
	case BPF_LDX | BPF_MEM | BPF_B:
	case BPF_LDX | BPF_MEM | BPF_DW:
	/* LDXS: dst_reg = (s64)*(signed size *)(src_reg + off) */
	case BPF_LDX | BPF_MEMSX | BPF_B:
	case BPF_LDX | BPF_MEMSX | BPF_H:
	case BPF_LDX | BPF_MEMSX | BPF_W:
		if (is_stack_arg_ldx(insn)) {
			emit_stack_arg_load(dst, off / 8, ctx);
			break;
		}
		/* r10 = SP + BPF stack + outgoing area: use SP as the base so
		 * that the negative r10 offsets become unsigned ones */
		if (src == fp) {
			src_adj = A64_SP;
			off_adj = off + ctx->stack_size + ctx->stack_arg_size;
		} else {
			src_adj = src;
			off_adj = off;
		}
		sign_extend = BPF_MODE(insn->code) == BPF_MEMSX;
		switch (BPF_SIZE(code)) {
		case BPF_W:
			if (is_lsi_offset(off_adj, 2)) {
				if (sign_extend)
					emit(A64_LDRSWI(dst, src_adj, off_adj), ctx);
				else
					emit(A64_LDR32I(dst, src_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp, off, ctx);
				if (sign_extend)
					emit(A64_LDRSW(dst, src, tmp), ctx);
				else
					emit(A64_LDR32(dst, src, tmp), ctx);
			}
			break;
		case BPF_H:
			if (is_lsi_offset(off_adj, 1)) {
				if (sign_extend)
					emit(A64_LDRSHI(dst, src_adj, off_adj), ctx);
				else
					emit(A64_LDRHI(dst, src_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp, off, ctx);
				if (sign_extend)
					emit(A64_LDRSH(dst, src, tmp), ctx);
				else
					emit(A64_LDRH(dst, src, tmp), ctx);
			}
			break;
		case BPF_B:
			if (is_lsi_offset(off_adj, 0)) {
				if (sign_extend)
					emit(A64_LDRSBI(dst, src_adj, off_adj), ctx);
				else
					emit(A64_LDRBI(dst, src_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp, off, ctx);
				if (sign_extend)
					emit(A64_LDRSB(dst, src, tmp), ctx);
				else
					emit(A64_LDRB(dst, src, tmp), ctx);
			}
			break;
		case BPF_DW:
			if (is_lsi_offset(off_adj, 3)) {
				emit(A64_LDR64I(dst, src_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp, off, ctx);
				emit(A64_LDR64(dst, src, tmp), ctx);
			}
			break;
		}
		break;

	/* ST: *(size *)(dst + off) = imm */
	case BPF_ST | BPF_MEM | BPF_W:
	case BPF_ST | BPF_MEM | BPF_H:
	case BPF_ST | BPF_MEM | BPF_B:
	case BPF_ST | BPF_MEM | BPF_DW:
		if (is_stack_arg_st(insn)) {
			emit_stack_arg_store_imm(imm, -off / 8, ctx);
			break;
		}
		if (dst == fp) {
			dst_adj = A64_SP;
			off_adj = off + ctx->stack_size + ctx->stack_arg_size;
		} else {
			dst_adj = dst;
			off_adj = off;
		}
		/* Load imm to a register then store it */
		emit_a64_mov_i(1, tmp, imm, ctx);
		switch (BPF_SIZE(code)) {
		case BPF_W:
			if (is_lsi_offset(off_adj, 2)) {
				emit(A64_STR32I(tmp, dst_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp2, off, ctx);
				emit(A64_STR32(tmp, dst, tmp2), ctx);
			}
			break;
		case BPF_H:
			if (is_lsi_offset(off_adj, 1)) {
				emit(A64_STRHI(tmp, dst_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp2, off, ctx);
				emit(A64_STRH(tmp, dst, tmp2), ctx);
			}
			break;
		case BPF_B:
			if (is_lsi_offset(off_adj, 0)) {
				emit(A64_STRBI(tmp, dst_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp2, off, ctx);
				emit(A64_STRB(tmp, dst, tmp2), ctx);
			}
			break;
		case BPF_DW:
			if (is_lsi_offset(off_adj, 3)) {
				emit(A64_STR64I(tmp, dst_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp2, off, ctx);
				emit(A64_STR64(tmp, dst, tmp2), ctx);
			}
			break;
		}
		break;

	/* STX: *(size *)(dst + off) = src */
	case BPF_STX | BPF_MEM | BPF_W:
	case BPF_STX | BPF_MEM | BPF_H:
	case BPF_STX | BPF_MEM | BPF_B:
	case BPF_STX | BPF_MEM | BPF_DW:
		if (is_stack_arg_stx(insn)) {
			emit_stack_arg_store(src, -off / 8, ctx);
			break;
		}
		if (dst == fp) {
			dst_adj = A64_SP;
			off_adj = off + ctx->stack_size + ctx->stack_arg_size;
		} else {
			dst_adj = dst;
			off_adj = off;
		}
		switch (BPF_SIZE(code)) {
		case BPF_W:
			if (is_lsi_offset(off_adj, 2)) {
				emit(A64_STR32I(src, dst_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp, off, ctx);
				emit(A64_STR32(src, dst, tmp), ctx);
			}
			break;
		case BPF_H:
			if (is_lsi_offset(off_adj, 1)) {
				emit(A64_STRHI(src, dst_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp, off, ctx);
				emit(A64_STRH(src, dst, tmp), ctx);
			}
			break;
		case BPF_B:
			if (is_lsi_offset(off_adj, 0)) {
				emit(A64_STRBI(src, dst_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp, off, ctx);
				emit(A64_STRB(src, dst, tmp), ctx);
			}
			break;
		case BPF_DW:
			if (is_lsi_offset(off_adj, 3)) {
				emit(A64_STR64I(src, dst_adj, off_adj), ctx);
			} else {
				emit_a64_mov_i(1, tmp, off, ctx);
				emit(A64_STR64(src, dst, tmp), ctx);
			}
			break;
		}
		break;

	case BPF_STX | BPF_ATOMIC | BPF_W:
	case BPF_STX | BPF_ATOMIC | BPF_DW:
		if (ctx->opts->lse_atomics)
			return emit_lse_atomic(insn, ctx, i);
		return emit_ll_sc_atomic(insn, ctx, i);

	default:
		return reject(ctx, i, "unknown opcode 0x%02x", code);
	}

	return 0;
}

static int build_body(struct jit_ctx *ctx)
{
	const struct cf_func *f = ctx->func;
	int i;

	/*
	 * - offset[0] offset of the end of prologue,
	 *   start of the 1st instruction.
	 * - offset[1] - offset of the end of 1st instruction,
	 *   start of the 2nd instruction
	 * [....]
	 * - offset[ninsns] - end of the body, start of the epilogue
	 */
	for (i = 0; i < f->ninsns; i++) {
		const struct bpf_insn *insn = &f->insns[i];
		int ret;

		ctx->offset[i] = ctx->idx;
		ret = build_insn(insn, ctx, i);
		if (ret > 0) {
			i++;
			ctx->offset[i] = ctx->idx;
			continue;
		}
		if (ret)
			return ret;
	}
	ctx->offset[i] = ctx->idx;

	return 0;
}

/* ---- the whole program ------------------------------------------------- */

struct jit_layout {
	int *func_entry;    /* nfuncs: index of each prologue */
	int *func_epilogue; /* nfuncs: index of each epilogue */
	int *func_end;      /* nfuncs: index after each epilogue */
	int **offset;       /* nfuncs arrays of ninsns + 1 */
};

/* One pass over every function, entry first. Pass 1 (no image) records
 * the layout; pass 2 (image) takes branch targets from it and must land on
 * the same offsets. */
static int build_program(struct jit_ctx *ctx, struct jit_layout *lay)
{
	const bool sizing = ctx->image == NULL;

	ctx->idx = 0;
	ctx->func_entry = lay->func_entry;
	for (int fi = 0; fi < ctx->prog->nfuncs; fi++) {
		ctx->fi = fi;
		ctx->func = &ctx->prog->funcs[fi];
		ctx->offset = lay->offset[fi];
		if (prepare_frame(ctx))
			return -1;
		if (sizing)
			lay->func_entry[fi] = ctx->idx;
		else if (lay->func_entry[fi] != ctx->idx)
			return reject(ctx, -1, "internal: entry moved between passes (%d, %d)",
				      lay->func_entry[fi], ctx->idx);
		ctx->epilogue_offset = lay->func_epilogue[fi];

		build_prologue(ctx);
		if (build_body(ctx))
			return -1;

		if (sizing)
			lay->func_epilogue[fi] = ctx->idx;
		else if (lay->func_epilogue[fi] != ctx->idx)
			return reject(ctx, -1, "internal: epilogue moved between passes (%d, %d)",
				      lay->func_epilogue[fi], ctx->idx);
		build_epilogue(ctx);
		lay->func_end[fi] = ctx->idx;
	}
	return 0;
}

/* Extra pass to validate JITed code: an instruction that could not be
 * encoded came out as A64_BREAK_FAULT. */
static int validate_code(struct jit_ctx *ctx, const struct jit_image *img)
{
	for (uint32_t n = 0; n < img->ncode; n++) {
		int fi, slot;

		if (img->code[n] != A64_BREAK_FAULT)
			continue;
		if (jit_locate(img, n * 4, &fi, &slot) == 0) {
			ctx->func = &ctx->prog->funcs[fi];
			return reject(ctx, slot, "internal: an operand could not be encoded (code offset 0x%x)",
				      n * 4);
		}
		cf_err_set(ctx->err, "jit: internal: an operand could not be encoded (code offset 0x%x)", n * 4);
		return -1;
	}
	return 0;
}

static void layout_free(struct jit_layout *lay, int nfuncs)
{
	if (lay->offset)
		for (int fi = 0; fi < nfuncs; fi++)
			free(lay->offset[fi]);
	free(lay->offset);
	free(lay->func_entry);
	free(lay->func_epilogue);
	free(lay->func_end);
}

void jit_image_free(struct jit_image *img)
{
	if (!img)
		return;
	for (int fi = 0; fi < img->nfuncs; fi++)
		free(img->funcs[fi].insn_off);
	free(img->funcs);
	free(img->code);
	memset(img, 0, sizeof(*img));
}

int jit_compile(const struct cf_prog *p, const struct jit_opts *o, struct jit_image *img, struct cf_err *err)
{
	struct jit_layout lay = { 0 };
	struct jit_ctx ctx = { .prog = p, .opts = o, .err = err };
	int nfuncs = p->nfuncs;
	int total;

	memset(img, 0, sizeof(*img));
	if (nfuncs <= 0 || nfuncs > CF_MAX_FUNCS) {
		cf_err_set(err, "jit: the program has %d functions (1..%d)", nfuncs, CF_MAX_FUNCS);
		return -1;
	}
	lay.func_entry = calloc(nfuncs, sizeof(int));
	lay.func_epilogue = calloc(nfuncs, sizeof(int));
	lay.func_end = calloc(nfuncs, sizeof(int));
	lay.offset = calloc(nfuncs, sizeof(int *));
	if (!lay.func_entry || !lay.func_epilogue || !lay.func_end || !lay.offset)
		goto out_nomem;
	for (int fi = 0; fi < nfuncs; fi++) {
		int n = p->funcs[fi].ninsns;

		if (n < 0 || n > CF_MAX_INSNS) {
			cf_err_set(err, "jit: func %s has %d slots (0..%d)", p->funcs[fi].name, n, CF_MAX_INSNS);
			goto out_fail;
		}
		lay.offset[fi] = calloc(n + 1, sizeof(int));
		if (!lay.offset[fi])
			goto out_nomem;
	}

	/* Pass 1: sizes and offsets */
	if (build_program(&ctx, &lay))
		goto out_fail;
	total = ctx.idx;

	/* Pass 2: the same code, writing, with branch targets from pass 1 */
	img->code = calloc(total ? total : 1, sizeof(uint32_t));
	img->funcs = calloc(nfuncs, sizeof(struct jit_func));
	if (!img->code || !img->funcs)
		goto out_nomem;
	img->nfuncs = nfuncs;
	for (int fi = 0; fi < nfuncs; fi++) {
		img->funcs[fi].insn_off = calloc(p->funcs[fi].ninsns + 1, sizeof(uint32_t));
		if (!img->funcs[fi].insn_off)
			goto out_nomem;
	}
	ctx.image = img->code;
	if (build_program(&ctx, &lay))
		goto out_fail;
	if (ctx.idx != total) {
		cf_err_set(err, "jit: internal: pass 2 emitted %d instructions, pass 1 %d", ctx.idx, total);
		goto out_fail;
	}

	img->ncode = (uint32_t)total;
	img->entry = (uint32_t)lay.func_entry[0] * 4;
	for (int fi = 0; fi < nfuncs; fi++) {
		struct jit_func *jf = &img->funcs[fi];

		snprintf(jf->name, sizeof(jf->name), "%s", p->funcs[fi].name);
		jf->start = (uint32_t)lay.func_entry[fi] * 4;
		jf->end = (uint32_t)lay.func_end[fi] * 4;
		jf->ninsns = p->funcs[fi].ninsns;
		for (int i = 0; i <= jf->ninsns; i++)
			jf->insn_off[i] = (uint32_t)lay.offset[fi][i] * 4;
	}
	if (validate_code(&ctx, img))
		goto out_fail;

	layout_free(&lay, nfuncs);
	return 0;

out_nomem:
	cf_err_set(err, "jit: out of memory");
out_fail:
	layout_free(&lay, nfuncs);
	jit_image_free(img);
	return -1;
}

int jit_locate(const struct jit_image *img, uint32_t code_off, int *func, int *insn)
{
	for (int fi = 0; fi < img->nfuncs; fi++) {
		const struct jit_func *jf = &img->funcs[fi];
		int lo, hi;

		if (code_off < jf->start || code_off >= jf->end)
			continue;
		*func = fi;
		if (code_off < jf->insn_off[0]) {
			*insn = -1; /* prologue */
			return 0;
		}
		if (code_off >= jf->insn_off[jf->ninsns]) {
			*insn = jf->ninsns; /* epilogue */
			return 0;
		}
		/* the last slot starting at or before code_off: slots that
		 * emit nothing share their offset with the next one */
		lo = 0;
		hi = jf->ninsns - 1;
		while (lo < hi) {
			int mid = (lo + hi + 1) / 2;

			if (jf->insn_off[mid] <= code_off)
				lo = mid;
			else
				hi = mid - 1;
		}
		*insn = lo;
		return 0;
	}
	return -1;
}

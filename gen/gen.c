/* gen/gen.c: the structured generator (gen/gen.h).
 *
 * Shape of one run:
 *   plan        how many functions, their call levels (main 0, at most
 *               max_frames - 1), the call tree (each function has a
 *               parent that must call it), signatures (argument counts and
 *               kinds), frame sizes from per-level stack budgets;
 *   bodies      generated from the last function to main, so that a caller
 *               knows the cost of every callee it may call;
 *   per body    prologue (register args saved, accumulator, canary, then
 *               the incoming r11 loads in a chosen order with straight-line
 *               statements between them, entry trace), statements (ALU,
 *               memory, atomics, branches, loops, calls; a call's r11
 *               stores may have statements between them and the call),
 *               epilogue (stack hash, r0).
 *
 * Validity is tracked, never checked afterwards: every register and stack
 * byte is written before it is read (struct frame_state), pointers live only
 * in scratch registers r0..r5 for the few instructions that use them and in
 * dedicated pointer slots, so no pointer reaches r0 at exit, ctx, a trace, a
 * hash, a 32-bit op or a compare. Each construct names the rule it keeps.
 */
#include "gen/gen.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- choice API ------------------------------------------------------ */

uint64_t gen_choose(struct gen_src *s, uint64_t n)
{
	uint64_t v = 0;
	size_t nbytes;

	if (n <= 1)
		return 0;
	nbytes = n <= 1ull << 8 ? 1 : n <= 1ull << 16 ? 2 : n <= 1ull << 32 ? 4 : 8;
	if (s->len - s->pos < nbytes) {
		s->pos = s->len; /* out of bytes: the simplest choice from now on */
		return 0;
	}
	for (size_t i = 0; i < nbytes; i++)
		v |= (uint64_t)s->data[s->pos++] << (8 * i);
	return v % n;
}

bool gen_coin(struct gen_src *s)
{
	return gen_choose(s, 256) & 1;
}

int gen_weighted(struct gen_src *s, const unsigned *weights, int n)
{
	uint64_t total = 0, r;

	for (int i = 0; i < n; i++)
		total += weights[i];
	r = gen_choose(s, total);
	for (int i = 0; i < n; i++) {
		if (r < weights[i])
			return i;
		r -= weights[i];
	}
	return 0;
}

#define WEIGHTED(s, table) gen_weighted(s, table, (int)(sizeof(table) / sizeof(table[0])))
#define ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- tables ---------------------------------------------------------- */

/* Argument counts 0..12, heavy on the boundaries: 0, 5 (last register
 * argument), 6 (first stack slot, x5), 8 (last register slot, x7), 9 (first
 * memory slot), 12 (full area); stack-args.md 4. */
static const unsigned nargs_weights[CF_MAX_ARGS + 1] = {
	6, 3, 2, 2, 2, 6, 7, 3, 6, 7, 3, 3, 7,
};

/* 32-bit immediates near boundaries (sign-extended to 64 by most uses). */
static const int32_t imm32_pool[] = {
	0, 1, -1, INT32_MIN, INT32_MAX, 2, 7, 8, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x100,
	0x7fff, 0x8000, 0xffff, 0x10000, -2, -128, -32768, 0x12345678, (int32_t)0x80000001,
	0x55555555, (int32_t)0xaaaaaaaa, (int32_t)0xfffffffe,
};

/* 64-bit constants whose halves matter: 0x80000000 (not sign-extended),
 * 1 << 63, high halves that 32-bit operations must drop. */
static const uint64_t imm64_pool[] = {
	0x80000000ull, 1ull << 63, 0x7fffffffffffffffull, 0xffffffff00000000ull, 0x100000000ull,
	0xffffffffull, 0xdeadbeef00000001ull, 0x00000001ffffffffull, 0x8000000080000000ull,
	0xffffffff7fffffffull, 0x123456789abcdef0ull, 0xfffffffffffffffeull,
	0x0000ffff0000ffffull, 0xcafebabe80000000ull, 0xffffffff80000000ull, 0x00000000ffff8000ull,
};

#define FOLD_PRIME 0x01000193 /* 32-bit FNV prime: a multiplier that mixes */
#define CANARY_BASE 0x5a5a0000
/* Estimated instructions a checker processes for one call of a function,
 * callees included. cf_check, like the kernel, walks every path and prunes
 * only states it has seen, so each branch may double what follows it and
 * a loop repeats its body's paths per iteration: the estimate assumes no
 * pruning at all. */
#define COST_CAP 40000
#define PATHS_MAX 16          /* paths through one function */
#define MAX_NEST 2            /* branch/loop nesting */
#define MAX_PTR_PARAMS 3      /* acc + 3 pointer slots fit the smallest frame (32) */

/* ---- plan ------------------------------------------------------------- */

enum param_kind {
	PARAM_SCALAR,
	PARAM_PTR_STACK, /* pointer to ptr_len initialized bytes of a caller's stack */
	PARAM_PTR_CTX,   /* the ctx pointer itself (ctx cannot be offset) */
};

struct func_plan {
	int nargs;
	bool global;
	bool callback;  /* bpf_loop's callback (index, ctx): only its parent calls it, through bpf_loop */
	uint8_t kind[CF_MAX_ARGS];
	uint8_t ptr_len[CF_MAX_ARGS];
	int nptr;
	int level;      /* frames above it: main 0 */
	int parent;     /* the caller that must call it: the call tree */
	int frame_size; /* r10 bytes, multiple of 8, <= its level's budget */
	long cost;      /* estimated insns a checker processes per call, once generated */
	long exits;     /* paths reaching its exit: each one continues in the caller */
	int fixed;      /* estimated slots of prologue, epilogue, required calls */
	bool tail_ok;   /* may call bpf_tail_call (docs/kernel-paths.md "Tail calls"): see plan_tail_calls */
	bool end_tail;  /* and does so last, when it holds the ctx */
};

struct gen {
	struct gen_src src;
	const struct gen_opts *o;
	struct cf_prog *prog;
	int nfuncs;
	struct func_plan plan[GEN_MAX_FUNCS];
	int level_budget[CF_MAX_FRAMES];
	int work_share; /* optional slots per function */
	unsigned canary;
	/* tail calls (docs/kernel-paths.md "Tail calls"): a tail-call program
	 * has no stack arguments and no callbacks; jt is its prog array's map
	 * index (-1: no tail calls); a target is one of the programs the
	 * prog array holds */
	bool tail_prog, target;
	int jt;
	int tail_sites; /* tail calls emitted so far in the program: their tags */
};

/* ---- per-function state ---------------------------------------------- */

enum reg_state {
	REG_UNINIT, /* never read: also what a register holding a dead pointer is */
	REG_SCALAR,
};

struct frame_state {
	uint8_t reg[11];
	uint8_t init[CF_STACK_MAX]; /* init[k]: byte r10 - 1 - k holds a written scalar */
};

struct fgen {
	struct gen *g;
	struct gen_src *s;
	int fi;
	struct cf_func *f;
	const struct func_plan *pl;
	struct frame_state st;
	bool reserved[11];          /* loop counters: the body may read, never write */
	int ptr_slot[CF_MAX_ARGS];  /* r10 offset of saved pointer param, 0 if none */
	int save_slot[CF_MAX_ARGS]; /* r10 offset of saved scalar param, 0 if none */
	int ctx_slot;               /* r10 offset of a saved ctx pointer, 0 if none */
	int data_top;               /* data area: [-frame_size, data_top) */
	int canary_off;             /* 0 if the frame has no room for one */
	int nest, nlabel;
	long loop_mult;             /* iterations of the enclosing loop */
	long paths;                 /* paths reaching this point (no pruning assumed) */
	long loop_paths0;           /* paths at the head of the enclosing loop */
	int loop_bound;             /* its bound, 0 outside loops */
	long required_left;         /* cost of the required calls not emitted yet */
	long cost;
	int work;
	int ctx_obs;                /* kernel profile: next ctx observation slot */
	int iter_off;               /* r10 offset of a live number iterator, 0 if none:
				       no store may touch it (gen_iter) */
	long tail_exits;            /* paths that leave through a taken tail call (a subprogram's) */
};

#define ACC_OFF (-8) /* the accumulator: every frame has it, folded into r0 at exit */

static void emit(struct fgen *fg, struct bpf_insn insn)
{
	cf_func_emit(fg->f, insn, 0);
	fg->cost += fg->loop_mult * fg->paths;
	fg->work++;
}

static void emit_ldimm64(struct fgen *fg, int dst, uint64_t v)
{
	emit(fg, cf_insn(BPF_LD | BPF_IMM | BPF_DW, dst, 0, 0, (int32_t)(uint32_t)v));
	emit(fg, cf_insn(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)));
}

static void emit_mov_imm(struct fgen *fg, int dst, int32_t imm)
{
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm));
}

static void emit_ldx(struct fgen *fg, int size, int dst, int src, int off)
{
	emit(fg, cf_insn(BPF_LDX | BPF_MEM | size, dst, src, off, 0));
}

static void emit_stx(struct fgen *fg, int size, int dst, int src, int off)
{
	emit(fg, cf_insn(BPF_STX | BPF_MEM | size, dst, src, off, 0));
}

static void emit_st(struct fgen *fg, int size, int dst, int off, int32_t imm)
{
	emit(fg, cf_insn(BPF_ST | BPF_MEM | size, dst, 0, off, imm));
}

static void emit_call(struct fgen *fg, int src_reg, int32_t imm)
{
	emit(fg, cf_insn(BPF_JMP | BPF_CALL, 0, src_reg, 0, imm));
	/* Any call: r0 is the scalar result, r1..r5 are dead. */
	fg->st.reg[BPF_REG_0] = REG_SCALAR;
	for (int r = BPF_REG_1; r <= BPF_REG_5; r++)
		fg->st.reg[r] = REG_UNINIT;
}

static int size_bytes(int size)
{
	switch (size) {
	case BPF_B: return 1;
	case BPF_H: return 2;
	case BPF_W: return 4;
	default: return 8;
	}
}

static const int mem_sizes[4] = { BPF_DW, BPF_W, BPF_H, BPF_B };

static int32_t pick_imm32(struct fgen *fg)
{
	if (gen_choose(fg->s, 8) == 7)
		return (int32_t)(uint32_t)gen_choose(fg->s, 1ull << 32);
	return imm32_pool[gen_choose(fg->s, ARRAY_LEN(imm32_pool))];
}

static uint64_t pick_imm64(struct fgen *fg)
{
	if (gen_choose(fg->s, 8) == 7)
		return gen_choose(fg->s, UINT64_MAX);
	return imm64_pool[gen_choose(fg->s, ARRAY_LEN(imm64_pool))];
}

/* ---- registers -------------------------------------------------------- */

#define REGS_ALL 0x3ff      /* r0..r9 */
#define REGS_SCRATCH 0x03f  /* r0..r5: the only registers that ever hold pointers */
#define REGS_SAVED 0x3c0    /* r6..r9 */

static int pick_reg(struct fgen *fg, unsigned mask, bool want_scalar)
{
	int cand[11], n = 0;

	for (int r = 0; r <= 9; r++) {
		if (!(mask & (1u << r)))
			continue;
		if (want_scalar && fg->st.reg[r] != REG_SCALAR)
			continue;
		cand[n++] = r;
	}
	if (!n)
		return -1;
	return cand[gen_choose(fg->s, n)];
}

/* A register the statement may write: not a loop counter. */
static int pick_dst(struct fgen *fg, unsigned mask)
{
	for (int r = 0; r <= 9; r++)
		if (fg->reserved[r])
			mask &= ~(1u << r);
	return pick_reg(fg, mask, false);
}

/* ---- stack ------------------------------------------------------------ */

static bool stack_is_init(const struct fgen *fg, int off, int size)
{
	for (int b = 0; b < size; b++)
		if (!fg->st.init[-(off + b) - 1])
			return false;
	return true;
}

static void stack_mark(struct fgen *fg, int off, int size)
{
	for (int b = 0; b < size; b++)
		fg->st.init[-(off + b) - 1] = 1;
}

/* Bytes no statement may read any more: an iterator's (STACK_ITER, then
 * STACK_INVALID once destroyed), or a spilled pointer's. */
static void stack_unmark(struct fgen *fg, int off, int size)
{
	for (int b = 0; b < size; b++)
		fg->st.init[-(off + b) - 1] = 0;
}

static int data_bytes(const struct fgen *fg)
{
	return fg->data_top + fg->pl->frame_size;
}

/* An aligned offset of size bytes inside the data area, or 0. */
static int pick_store_off(struct fgen *fg, int size)
{
	int n = data_bytes(fg) / size;

	int off;

	if (n <= 0)
		return 0;
	off = -fg->pl->frame_size + (int)gen_choose(fg->s, n) * size;
	/* a live iterator's slot takes no store (the kernel would scrub it) */
	if (fg->iter_off && off < fg->iter_off + 8 && off + size > fg->iter_off)
		return 0;
	return off;
}

/* An aligned offset of size initialized bytes anywhere in the frame (data
 * area, saved scalars, accumulator; pointer slots are never marked), or 0. */
static int pick_load_off(struct fgen *fg, int size)
{
	int cand[CF_STACK_MAX / 1], n = 0;

	for (int off = -fg->pl->frame_size; off + size <= 0; off += size)
		if (stack_is_init(fg, off, size))
			cand[n++] = off;
	if (!n)
		return 0;
	return cand[gen_choose(fg->s, n)];
}

/* ---- values ----------------------------------------------------------- */

static void alu_imm(struct fgen *fg, bool is64, int op, int dst, int32_t imm);

/* Write a scalar into dst (only dst is written). */
static void gen_value(struct fgen *fg, int dst)
{
	static const unsigned w[] = { 6, 3, 2, 4, 4, 2 };
	int src, off;

	switch (WEIGHTED(fg->s, w)) {
	case 0:
		emit_mov_imm(fg, dst, pick_imm32(fg));
		break;
	case 1:
		emit_ldimm64(fg, dst, pick_imm64(fg));
		break;
	case 2: /* w = imm: zero-extends, 0x80000000 stays positive */
		emit(fg, cf_insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, pick_imm32(fg)));
		break;
	case 3:
		src = pick_reg(fg, REGS_ALL & ~(1u << dst), true);
		if (src < 0) {
			emit_mov_imm(fg, dst, pick_imm32(fg));
			break;
		}
		emit(fg, cf_insn((gen_choose(fg->s, 4) ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X, dst, src, 0, 0));
		break;
	case 4:
		off = pick_load_off(fg, 8);
		if (!off) {
			emit_mov_imm(fg, dst, pick_imm32(fg));
			break;
		}
		emit_ldx(fg, BPF_DW, dst, BPF_REG_10, off);
		break;
	default:
		src = pick_reg(fg, REGS_ALL & ~(1u << dst), true);
		if (src < 0) {
			emit_ldimm64(fg, dst, pick_imm64(fg));
			break;
		}
		emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0));
		alu_imm(fg, true, gen_coin(fg->s) ? BPF_ADD : BPF_XOR, dst, pick_imm32(fg));
		break;
	}
	fg->st.reg[dst] = REG_SCALAR;
}

/* A scalar register from mask, creating one if none is initialized. */
static int need_scalar(struct fgen *fg, unsigned mask)
{
	int r = pick_reg(fg, mask, true);

	if (r >= 0)
		return r;
	r = pick_dst(fg, mask);
	if (r < 0)
		return -1;
	gen_value(fg, r);
	return r;
}

/* ---- ALU ---------------------------------------------------------------- */

static void alu_imm(struct fgen *fg, bool is64, int op, int dst, int32_t imm)
{
	int16_t off = 0;

	if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
		imm &= is64 ? 63 : 31; /* verifier: "invalid shift" past the width */
	if ((op == BPF_DIV || op == BPF_MOD) && imm == 0)
		imm = 3; /* verifier: "div by zero" for the K form */
	emit(fg, cf_insn((is64 ? BPF_ALU64 : BPF_ALU) | op | BPF_K, dst, 0, off, imm));
}

/* One ALU instruction on a scalar destination. */
static void stmt_alu(struct fgen *fg)
{
	static const int ops[] = {
		BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH,
		BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH,
	};
	/* extra forms: 13 SDIV, 14 SMOD, 15 MOVSX, 16 END, 17 BSWAP */
	static const unsigned w[] = { 5, 3, 3, 2, 2, 2, 2, 2, 1, 2, 3, 3, 2, 2, 2, 3, 2, 2 };
	int form = WEIGHTED(fg->s, w);
	bool is64 = gen_choose(fg->s, 3) != 0;
	uint8_t cls = is64 ? BPF_ALU64 : BPF_ALU;
	int dst = pick_dst(fg, REGS_ALL), src;

	if (dst < 0)
		return;
	if (form == 11) { /* MOV writes only dst */
		src = gen_coin(fg->s) ? pick_reg(fg, REGS_ALL, true) : -1;
		if (src >= 0)
			emit(fg, cf_insn(cls | BPF_MOV | BPF_X, dst, src, 0, 0));
		else
			emit(fg, cf_insn(cls | BPF_MOV | BPF_K, dst, 0, 0, pick_imm32(fg)));
		fg->st.reg[dst] = REG_SCALAR;
		return;
	}
	if (form == 15) { /* MOVSX: r = (s8/s16/s32)src; w = (s8/s16)src */
		static const int16_t widths[] = { 8, 16, 32 };
		int16_t width = widths[gen_choose(fg->s, is64 ? 3 : 2)];

		src = need_scalar(fg, REGS_ALL);
		emit(fg, cf_insn(cls | BPF_MOV | BPF_X, dst, src, width, 0));
		fg->st.reg[dst] = REG_SCALAR;
		return;
	}
	if (fg->st.reg[dst] != REG_SCALAR)
		gen_value(fg, dst); /* the other forms read dst */
	if (form == 8) { /* NEG: K form with all-zero operands */
		emit(fg, cf_insn(cls | BPF_NEG | BPF_K, dst, 0, 0, 0));
		return;
	}
	if (form == 16) { /* le16/32/64, be16/32/64 */
		static const int32_t widths[] = { 16, 32, 64 };

		emit(fg, cf_insn(BPF_ALU | BPF_END | (gen_coin(fg->s) ? BPF_TO_BE : BPF_TO_LE), dst, 0, 0,
				 widths[gen_choose(fg->s, 3)]));
		return;
	}
	if (form == 17) { /* bswap16/32/64: ALU64 END with TO_LE */
		static const int32_t widths[] = { 16, 32, 64 };

		emit(fg, cf_insn(BPF_ALU64 | BPF_END | BPF_TO_LE, dst, 0, 0, widths[gen_choose(fg->s, 3)]));
		return;
	}
	int op = form < 13 ? ops[form] : form == 13 ? BPF_DIV : BPF_MOD;
	int16_t off = form == 13 || form == 14; /* sdiv/smod: off 1 */

	if (gen_coin(fg->s)) {
		/* X form: a zero divisor at run time is defined (ISA: 0 / dst kept). */
		src = need_scalar(fg, REGS_ALL);
		emit(fg, cf_insn(cls | op | BPF_X, dst, src, off, 0));
	} else {
		int32_t imm = pick_imm32(fg);

		if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
			imm &= is64 ? 63 : 31; /* verifier: "invalid shift" */
		if ((op == BPF_DIV || op == BPF_MOD) && imm == 0)
			imm = -1; /* verifier: "div by zero" for K; -1 is the signed corner */
		emit(fg, cf_insn(cls | op | BPF_K, dst, 0, off, imm));
	}
}

static void stmt_ldimm64(struct fgen *fg)
{
	int dst = pick_dst(fg, REGS_ALL);

	if (dst < 0)
		return;
	emit_ldimm64(fg, dst, pick_imm64(fg));
	fg->st.reg[dst] = REG_SCALAR;
}

/* ---- memory --------------------------------------------------------- */

/* Own stack, through r10 or through a pointer computed from r10 (a stack
 * pointer in a scratch register; aligned as the verifier demands of
 * PTR_TO_STACK, bytes read were written). */
static int stack_base(struct fgen *fg, int *off, int size)
{
	int p, mode = (int)gen_choose(fg->s, 8), base;

	if (mode < 5)
		return BPF_REG_10;
	p = pick_dst(fg, REGS_SCRATCH);
	if (p < 0)
		return BPF_REG_10;
	if (mode == 7 && *off <= -8) {
		/* a base above the access: a negative offset, which arm64 can
		 * only encode with the offset in a temporary register */
		base = *off + 8 * (1 + (int)gen_choose(fg->s, -*off / 8));
		base &= ~7;
		if (base > 0)
			base = 0;
	} else {
		base = *off - 8 * (int)gen_choose(fg->s, 3);
		base &= ~7;
		if (base < -fg->pl->frame_size)
			base = *off & ~7;
	}
	(void)size;
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, p, BPF_REG_10, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, p, 0, 0, base));
	fg->st.reg[p] = REG_UNINIT; /* holds a pointer: never read as a scalar */
	*off -= base;
	return p;
}

static void stmt_store(struct fgen *fg)
{
	int size = mem_sizes[gen_choose(fg->s, 4)], nb = size_bytes(size);
	int off = pick_store_off(fg, nb), base, src = -1;

	if (!off)
		return;
	bool imm_form = gen_coin(fg->s);

	if (!imm_form)
		src = need_scalar(fg, REGS_ALL);
	int moff = off;

	base = stack_base(fg, &moff, nb);
	if (src == base)
		src = -1;
	if (src < 0)
		emit_st(fg, size, base, moff, pick_imm32(fg));
	else
		emit_stx(fg, size, base, src, moff);
	stack_mark(fg, off, nb);
}

static void stmt_load(struct fgen *fg)
{
	int size = mem_sizes[gen_choose(fg->s, 4)], nb = size_bytes(size);
	int off = pick_load_off(fg, nb), dst, base, moff = off;
	bool sx = size != BPF_DW && gen_choose(fg->s, 3) == 0;

	if (!off)
		return;
	dst = pick_dst(fg, REGS_ALL);
	if (dst < 0)
		return;
	base = stack_base(fg, &moff, nb);
	emit(fg, cf_insn(BPF_LDX | (sx ? BPF_MEMSX : BPF_MEM) | size, dst, base, moff, 0));
	fg->st.reg[dst] = REG_SCALAR;
}

static const int32_t atomic_ops[] = {
	BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | BPF_FETCH, BPF_OR | BPF_FETCH,
	BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG,
};

/* An atomic on initialized stack memory at base+off (never ctx: the
 * verifier refuses atomics there). */
static void emit_atomic(struct fgen *fg, int base, int off, int size)
{
	int32_t op = atomic_ops[gen_choose(fg->s, ARRAY_LEN(atomic_ops))];
	unsigned mask = REGS_ALL & ~(1u << base);
	int src;

	if (op == BPF_CMPXCHG) {
		/* r0 is compared and receives the old value */
		if (base == BPF_REG_0 || fg->reserved[0]) {
			op = BPF_ADD;
		} else if (fg->st.reg[BPF_REG_0] != REG_SCALAR) {
			gen_value(fg, BPF_REG_0);
		}
	}
	/* fetch forms write src: never a loop counter */
	for (int r = 0; r <= 9; r++)
		if (fg->reserved[r])
			mask &= ~(1u << r);
	src = need_scalar(fg, mask);
	if (src < 0)
		return;
	emit(fg, cf_insn(BPF_STX | BPF_ATOMIC | size, base, src, off, op));
	if (op & BPF_FETCH)
		fg->st.reg[op == BPF_CMPXCHG ? BPF_REG_0 : src] = REG_SCALAR;
}

static void stmt_atomic(struct fgen *fg)
{
	int size = gen_coin(fg->s) ? BPF_W : BPF_DW;
	int off = pick_load_off(fg, size_bytes(size));

	/* keep the accumulator for folds: atomics go to the data area */
	if (!off || off >= fg->data_top)
		return;
	int moff = off, base = stack_base(fg, &moff, size_bytes(size));

	emit_atomic(fg, base, moff, size);
}

/* Memory reached through a pointer: a pointer parameter (caller's stack or
 * ctx) or main's ctx, reloaded from its slot into a scratch register. */
static void stmt_ptr_access(struct fgen *fg)
{
	int src_slot[CF_MAX_ARGS + 1], src_len[CF_MAX_ARGS + 1];
	bool src_ctx[CF_MAX_ARGS + 1];
	int n = 0;

	if (fg->ctx_slot) {
		src_slot[n] = fg->ctx_slot, src_len[n] = cf_prog_ctx_size(fg->g->prog), src_ctx[n++] = true;
	}
	for (int a = 0; a < fg->pl->nargs; a++) {
		if (!fg->ptr_slot[a] || fg->pl->kind[a] != PARAM_PTR_STACK)
			continue;
		src_slot[n] = fg->ptr_slot[a], src_len[n] = fg->pl->ptr_len[a], src_ctx[n++] = false;
	}
	if (!n)
		return;
	int k = (int)gen_choose(fg->s, n);
	bool ctx = src_ctx[k];
	int p = pick_dst(fg, REGS_SCRATCH);

	if (p < 0)
		return;
	int size = mem_sizes[gen_choose(fg->s, 4)], nb = size_bytes(size);
	int off = (int)gen_choose(fg->s, src_len[k] / nb) * nb;
	/* ctx: loads and STX only (the verifier refuses ST and atomics into
	 * ctx, and sign-extending ctx loads); a stack region also takes those */
	static const unsigned w_stack[] = { 4, 3, 2, 2, 2 }; /* LDX, STX, ST, LDSX, atomic */
	static const unsigned w_ctx[] = { 4, 4 };
	int what = ctx ? WEIGHTED(fg->s, w_ctx) : WEIGHTED(fg->s, w_stack);

	if (ctx && fg->g->prog->prog_type == CF_PROG_RAW_TP)
		what = 0; /* bpf_tracing_ctx_access: reads only */

	if (what == 1 || what == 4) {
		/* the value written is a scalar created before p is loaded */
		int src = need_scalar(fg, REGS_ALL & ~(1u << p));

		if (src < 0)
			return;
		if (what == 4 && nb < 4) {
			size = BPF_W, nb = 4;
			off &= ~3;
		}
		emit_ldx(fg, BPF_DW, p, BPF_REG_10, src_slot[k]);
		fg->st.reg[p] = REG_UNINIT;
		if (what == 1)
			emit_stx(fg, size, p, src, off);
		else
			emit_atomic(fg, p, off, size);
		return;
	}
	emit_ldx(fg, BPF_DW, p, BPF_REG_10, src_slot[k]);
	fg->st.reg[p] = REG_UNINIT;
	if (what == 2) {
		emit_st(fg, size, p, off, pick_imm32(fg));
		return;
	}
	int dst = pick_dst(fg, REGS_ALL);

	if (dst < 0)
		return;
	if (what == 3 && size == BPF_DW)
		size = BPF_W, off &= ~3, nb = 4;
	emit(fg, cf_insn(BPF_LDX | (what == 3 ? BPF_MEMSX : BPF_MEM) | size, dst, p, off, 0));
	fg->st.reg[dst] = REG_SCALAR;
}

/* Fold a scalar into the accumulator. */
static void fold_reg_into_acc(struct fgen *fg, int val)
{
	int t;

	if (gen_choose(fg->s, 4) == 3) {
		/* one instruction: the atomic add keeps the fold in memory */
		emit(fg, cf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_10, val, ACC_OFF, BPF_ADD));
		return;
	}
	t = pick_dst(fg, REGS_ALL & ~(1u << val));
	if (t < 0)
		return;
	emit_ldx(fg, BPF_DW, t, BPF_REG_10, ACC_OFF);
	emit(fg, cf_insn(BPF_ALU64 | BPF_MUL | BPF_K, t, 0, 0, FOLD_PRIME));
	emit(fg, cf_insn(BPF_ALU64 | BPF_XOR | BPF_X, t, val, 0, 0));
	emit_stx(fg, BPF_DW, BPF_REG_10, t, ACC_OFF);
	fg->st.reg[t] = REG_SCALAR;
}

static void stmt_fold(struct fgen *fg)
{
	int r = pick_reg(fg, REGS_ALL, true);

	if (r >= 0)
		fold_reg_into_acc(fg, r);
}

/* ---- calls -------------------------------------------------------------- */

static void stack_hash_region(struct fgen *fg);
static void gen_gap(struct fgen *fg);

/* Slots 1..n in an order the bytes choose (Fisher-Yates); out of bytes:
 * 1..n. */
static void slot_order(struct fgen *fg, int *order, int n)
{
	for (int i = 0; i < n; i++)
		order[i] = i + 1;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)gen_choose(fg->s, (uint64_t)i + 1), t = order[i];

		order[i] = order[j], order[j] = t;
	}
}

/* stack-args.md 2.1: slots 1..n-5 written before the call, every one of
 * them, in a chosen order with only straight-line gap statements (no
 * call, no branch) up to the call, so the store of each call is complete
 * on every path;
 * 2.2: stored again for every call, since any call invalidates them;
 * 2.3: never more slots than this call needs (so never more than the
 * largest need of the function's calls). Forms: ST imm, STX of any scalar,
 * STX of a value or pointer made in r0 (r0 is not an argument register). */
static void store_stack_args(struct fgen *fg, int n, const struct func_plan *callee,
			     void (*ptr_into)(struct fgen *, int, const struct func_plan *, int))
{
	int order[CF_MAX_STACK_ARGS], nslots = n - CF_MAX_REG_ARGS;

	slot_order(fg, order, nslots);
	for (int i = 0; i < nslots; i++) {
		int k = order[i]; /* slot k: arg 5 + k */
		int a = CF_MAX_REG_ARGS + k - 1;                     /* 0-based argument */
		int16_t off = (int16_t)(-8 * k);

		if (callee && callee->kind[a] != PARAM_SCALAR) {
			ptr_into(fg, BPF_REG_0, callee, a);
			fg->st.reg[BPF_REG_0] = REG_UNINIT;
			emit_stx(fg, BPF_DW, BPF_REG_PARAMS, BPF_REG_0, off);
			gen_gap(fg);
			continue;
		}
		static const unsigned w[] = { 3, 3, 2 };
		int r;

		switch (WEIGHTED(fg->s, w)) {
		case 0:
			emit_st(fg, BPF_DW, BPF_REG_PARAMS, off, pick_imm32(fg));
			break;
		case 1:
			r = pick_reg(fg, REGS_ALL, true);
			if (r >= 0) {
				emit_stx(fg, BPF_DW, BPF_REG_PARAMS, r, off);
				break;
			}
			/* fall through */
		default:
			if (fg->reserved[BPF_REG_0]) {
				emit_st(fg, BPF_DW, BPF_REG_PARAMS, off, pick_imm32(fg));
				break;
			}
			gen_value(fg, BPF_REG_0);
			emit_stx(fg, BPF_DW, BPF_REG_PARAMS, BPF_REG_0, off);
			break;
		}
		gen_gap(fg); /* the slot waits in x5..x7 or memory meanwhile */
	}
}

/* Can this frame pass what callee parameter a needs? */
static bool can_supply(const struct fgen *fg, const struct func_plan *callee, int a)
{
	if (callee->kind[a] == PARAM_SCALAR)
		return true;
	if (callee->kind[a] == PARAM_PTR_CTX)
		return fg->ctx_slot != 0;
	if (data_bytes(fg) >= callee->ptr_len[a])
		return true;
	for (int b = 0; b < fg->pl->nargs; b++)
		if (fg->ptr_slot[b] && fg->pl->kind[b] == PARAM_PTR_STACK &&
		    fg->pl->ptr_len[b] >= callee->ptr_len[a])
			return true;
	return false;
}

/* A pointer argument into dst (a scratch register). PTR_CTX: the saved ctx
 * pointer itself. PTR_STACK: a region of this frame's data area, written
 * first if needed (the callee reads it: stack-args.md 2.6, pointers through
 * slots keep their type), or a region inside one of our own stack-pointer
 * parameters (a pointer forwarded down the chain). */
static void ptr_arg_into(struct fgen *fg, int dst, const struct func_plan *callee, int a)
{
	int len = callee->ptr_len[a];

	if (callee->kind[a] == PARAM_PTR_CTX) {
		emit_ldx(fg, BPF_DW, dst, BPF_REG_10, fg->ctx_slot);
		return;
	}
	int fwd[CF_MAX_ARGS], nfwd = 0;

	for (int b = 0; b < fg->pl->nargs; b++)
		if (fg->ptr_slot[b] && fg->pl->kind[b] == PARAM_PTR_STACK && fg->pl->ptr_len[b] >= len)
			fwd[nfwd++] = b;
	bool own = data_bytes(fg) >= len;

	if (nfwd && (!own || gen_choose(fg->s, 3) == 0)) {
		int b = fwd[gen_choose(fg->s, nfwd)];
		int room = (fg->pl->ptr_len[b] - len) / 8;

		emit_ldx(fg, BPF_DW, dst, BPF_REG_10, fg->ptr_slot[b]);
		if (room)
			emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, 8 * (int)gen_choose(fg->s, room + 1)));
		return;
	}
	int start = -fg->pl->frame_size + 8 * (int)gen_choose(fg->s, (data_bytes(fg) - len) / 8 + 1);

	for (int off = start; off < start + len; off += 8)
		if (!stack_is_init(fg, off, 8)) {
			emit_st(fg, BPF_DW, BPF_REG_10, off, pick_imm32(fg));
			stack_mark(fg, off, 8);
		}
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, BPF_REG_10, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, start));
}

/* After any subprog or kfunc call: the callee's result and the canary go
 * into the accumulator (a callee that returns a wrong value or writes into
 * our frame shows in r0); the model target also hashes our stack. */
static void after_call(struct fgen *fg, bool hash)
{
	int t = BPF_REG_1, c = BPF_REG_2; /* dead after the call: free scratch */

	emit_ldx(fg, BPF_DW, t, BPF_REG_10, ACC_OFF);
	emit(fg, cf_insn(BPF_ALU64 | BPF_MUL | BPF_K, t, 0, 0, FOLD_PRIME));
	emit(fg, cf_insn(BPF_ALU64 | (gen_coin(fg->s) ? BPF_ADD : BPF_XOR) | BPF_X, t, BPF_REG_0, 0, 0));
	if (fg->canary_off) {
		emit_ldx(fg, BPF_DW, c, BPF_REG_10, fg->canary_off);
		emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_X, t, c, 0, 0));
		fg->st.reg[c] = REG_SCALAR;
	}
	emit_stx(fg, BPF_DW, BPF_REG_10, t, ACC_OFF);
	fg->st.reg[t] = REG_SCALAR;
	if (hash && fg->g->o->profile == GEN_PROFILE_MODEL && gen_choose(fg->s, 3) != 2)
		stack_hash_region(fg);
}

static void write_canary(struct fgen *fg)
{
	/* design.md "The oracle": the bottom of the frame sits next to the
	 * arm64 outgoing area; a callee or a slot store that hits it shows. */
	if (fg->canary_off)
		emit_st(fg, BPF_DW, BPF_REG_10, fg->canary_off, (int32_t)(CANARY_BASE + (fg->g->canary++ & 0xffff)));
}

static long projected_paths(const struct fgen *fg, long factor);

static bool call_fits(const struct fgen *fg, int j)
{
	const struct func_plan *c = &fg->g->plan[j];

	if (c->level <= fg->pl->level) /* levels strictly grow along a chain */
		return false;
	if (c->callback) /* its parent's bpf_loop is its only caller */
		return false;
	if (fg->cost + fg->loop_mult * fg->paths * c->cost + fg->paths * c->exits * fg->required_left > COST_CAP)
		return false;
	if (projected_paths(fg, c->exits) > PATHS_MAX)
		return false;
	for (int a = 0; a < c->nargs; a++)
		if (!can_supply(fg, c, a))
			return false;
	return true;
}

/* A BPF-to-BPF call of function j with its arguments. */
static void gen_subprog_call(struct fgen *fg, int j)
{
	const struct func_plan *c = &fg->g->plan[j];
	int nreg = c->nargs < CF_MAX_REG_ARGS ? c->nargs : CF_MAX_REG_ARGS;
	bool saved_reserved[11];

	write_canary(fg);
	memcpy(saved_reserved, fg->reserved, sizeof(saved_reserved));
	for (int a = 0; a < nreg; a++) {
		int r = BPF_REG_1 + a;

		if (c->kind[a] != PARAM_SCALAR) {
			ptr_arg_into(fg, r, c, a);
			fg->st.reg[r] = REG_UNINIT;
		} else {
			gen_value(fg, r);
		}
		fg->reserved[r] = true; /* set: later arguments must not overwrite it */
	}
	store_stack_args(fg, c->nargs, c, ptr_arg_into);
	memcpy(fg->reserved, saved_reserved, sizeof(saved_reserved));
	fg->cost += fg->loop_mult * fg->paths * c->cost;
	/* a checker continues here once per path through the callee */
	fg->paths = fg->paths * c->exits > (1L << 20) ? 1L << 20 : fg->paths * c->exits;
	emit_call(fg, BPF_PSEUDO_CALL, j);
	after_call(fg, true);
}

/* trace(a1..a5): five scalars; r1 tags the event with the function and a
 * sequence number so that a report reads well. */
static void gen_trace_values(struct fgen *fg, const int *save_offs, int nvals, int tag)
{
	for (int i = 0; i < nvals || i == 0; i += 4) {
		emit_mov_imm(fg, BPF_REG_1, (fg->fi << 16) | (tag << 8) | (i / 4));
		for (int k = 0; k < 4; k++) {
			int r = BPF_REG_2 + k;

			if (i + k < nvals)
				emit_ldx(fg, BPF_DW, r, BPF_REG_10, save_offs[i + k]);
			else
				emit_mov_imm(fg, r, 0);
			fg->st.reg[r] = REG_SCALAR;
		}
		emit_call(fg, 0, CF_HELPER_TRACE);
	}
}

/* kf_argsN: all N scalars reach native code (stack-args.md 4: kfuncs use
 * AAPCS64 too, args 9..12 at [SP] on entry). */
static void gen_kfunc(struct fgen *fg, int nargs, const int *save_offs, int nvals)
{
	bool saved_reserved[11];

	memcpy(saved_reserved, fg->reserved, sizeof(saved_reserved));
	for (int a = 0; a < CF_MAX_REG_ARGS; a++) {
		int r = BPF_REG_1 + a;

		if (a < nvals) {
			emit_ldx(fg, BPF_DW, r, BPF_REG_10, save_offs[a]);
			fg->st.reg[r] = REG_SCALAR;
		} else {
			gen_value(fg, r);
		}
		fg->reserved[r] = true;
	}
	/* args past r5: stack-args.md 2.1, all of slots 1..N-5 right before
	 * the call, as for subprogs (a kfunc is a call like any other) */
	for (int a = CF_MAX_REG_ARGS; a < nargs; a++) {
		int16_t off = (int16_t)(-8 * (a - CF_MAX_REG_ARGS + 1));
		int r;

		if (a < nvals) {
			emit_ldx(fg, BPF_DW, BPF_REG_0, BPF_REG_10, save_offs[a]);
			fg->st.reg[BPF_REG_0] = REG_SCALAR;
			emit_stx(fg, BPF_DW, BPF_REG_PARAMS, BPF_REG_0, off);
		} else if (gen_coin(fg->s) && (r = pick_reg(fg, REGS_ALL, true)) >= 0) {
			emit_stx(fg, BPF_DW, BPF_REG_PARAMS, r, off);
		} else {
			emit_st(fg, BPF_DW, BPF_REG_PARAMS, off, pick_imm32(fg));
		}
		gen_gap(fg);
	}
	memcpy(fg->reserved, saved_reserved, sizeof(saved_reserved));
	emit_call(fg, BPF_PSEUDO_KFUNC_CALL, CF_KFUNC_ARGS_BASE + nargs);
	after_call(fg, false);
}

/* stack_hash(ptr, len) over a run of initialized scalar bytes of our own
 * frame (never a pointer slot: addresses differ between the two sides). */
static void stack_hash_region(struct fgen *fg)
{
	int runs_lo[CF_STACK_MAX / 8 + 1], runs_len[CF_STACK_MAX / 8 + 1], n = 0;
	int size = fg->pl->frame_size;

	for (int off = -size; off < 0;) {
		if (!stack_is_init(fg, off, 1)) {
			off++;
			continue;
		}
		int lo = off;

		while (off < 0 && stack_is_init(fg, off, 1))
			off++;
		runs_lo[n] = lo, runs_len[n++] = off - lo;
	}
	if (!n)
		return;
	int k = (int)gen_choose(fg->s, n), len = runs_len[k];

	if (len > 1 && gen_choose(fg->s, 4) == 3)
		len = 1 + (int)gen_choose(fg->s, len);
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, runs_lo[k]));
	emit_mov_imm(fg, BPF_REG_2, len);
	emit_call(fg, 0, CF_HELPER_STACK_HASH);
}

/* Saved scalar values of this frame (offsets), for traces and kfuncs. */
static int saved_values(const struct fgen *fg, int *offs)
{
	int n = 0;

	for (int a = 0; a < fg->pl->nargs; a++)
		if (fg->save_slot[a])
			offs[n++] = fg->save_slot[a];
	return n;
}

static void stmt_kernel_helper(struct fgen *fg);

static void stmt_helper(struct fgen *fg)
{
	static const unsigned w[] = { 3, 3, 4 }; /* trace, stack_hash, kfunc */
	int offs[CF_MAX_STACK_ARGS + CF_MAX_REG_ARGS], n = 0;
	int kind;

	if (fg->g->o->profile == GEN_PROFILE_KERNEL) {
		stmt_kernel_helper(fg);
		return;
	}
	kind = WEIGHTED(fg->s, w);

	if (kind == 2 && fg->g->o->max_args < 6)
		kind = 0;
	for (int off = -fg->pl->frame_size; off < 0 && n < CF_MAX_ARGS; off += 8)
		if (stack_is_init(fg, off, 8) && gen_choose(fg->s, 3) == 0)
			offs[n++] = off;
	switch (kind) {
	case 0:
		gen_trace_values(fg, offs, n < 4 ? n : 4, 1);
		break;
	case 1:
		stack_hash_region(fg);
		break;
	default: {
		int nargs = 6 + (int)gen_choose(fg->s, fg->g->o->max_args - 5);

		if (fg->cost + fg->loop_mult * fg->paths * 16 > COST_CAP)
			return;
		write_canary(fg);
		gen_kfunc(fg, nargs, offs, n < nargs ? n : nargs);
	}
	}
}

/* ---- kernel helpers (kernel profile, kernel_paths) ---------------------- */

/* Bytes of a strtol buffer: digits of every base, the radix prefix, sign,
 * spaces (lib/ctype.c's), and now and then any byte. */
static uint8_t strtox_byte(struct fgen *fg)
{
	static const char alphabet[] = "0123456789abcdefABCDEFxX -\t\v0000111999";

	if (gen_choose(fg->s, 16) == 15)
		return (uint8_t)gen_choose(fg->s, 256);
	return (uint8_t)alphabet[gen_choose(fg->s, sizeof(alphabet) - 1)];
}

/* bpf_strtol/bpf_strtoul(buf, len, flags, res): buf is 8 bytes of our data
 * area the program writes first (ARG_PTR_TO_MEM | MEM_RDONLY: initialized),
 * len a constant 1..8 (ARG_CONST_SIZE), res another aligned 8 bytes
 * (ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED): both
 * the count in r0 and *res go into the accumulator. */
static void gen_strtox(struct fgen *fg, int32_t id)
{
	static const int32_t flags[] = { 0, 10, 16, 8, 0, 2, 0x10a };
	int nslots = data_bytes(fg) / 8, buf_off, res_off;
	uint64_t text = 0;

	if (nslots < 2)
		return;
	buf_off = -fg->pl->frame_size + 8 * (int)gen_choose(fg->s, nslots);
	res_off = -fg->pl->frame_size + 8 * (int)gen_choose(fg->s, nslots - 1);
	if (res_off >= buf_off)
		res_off += 8;
	for (int b = 0; b < 8; b++)
		text |= (uint64_t)strtox_byte(fg) << (8 * b);
	emit_ldimm64(fg, BPF_REG_1, text);
	emit_stx(fg, BPF_DW, BPF_REG_10, BPF_REG_1, buf_off);
	stack_mark(fg, buf_off, 8);
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, buf_off));
	emit_mov_imm(fg, BPF_REG_2, 1 + (int)gen_choose(fg->s, 8));
	emit_mov_imm(fg, BPF_REG_3, gen_choose(fg->s, 8) == 7 ? pick_imm32(fg)
							      : flags[gen_choose(fg->s, ARRAY_LEN(flags))]);
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_10, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, res_off));
	emit_call(fg, 0, id);
	stack_mark(fg, res_off, 8);
	fold_reg_into_acc(fg, BPF_REG_0);
	emit_ldx(fg, BPF_DW, BPF_REG_1, BPF_REG_10, res_off);
	fg->st.reg[BPF_REG_1] = REG_SCALAR;
	fold_reg_into_acc(fg, BPF_REG_1);
}

/* ---- strings (kernel_paths with maps; docs/kernel-paths.md "Strings") ------ */

static void emit_map_ldimm64(struct fgen *fg, int dst, int m, bool value, int32_t off);
static bool branch_fits(const struct fgen *fg);
static int new_label(struct fgen *fg, int pos);
static void patch_jump(struct fgen *fg, int pos, int target);
static void meet(struct frame_state *a, const struct frame_state *b);

/* The program's read-only string map (plan_string_map), or -1. */
static int string_map(const struct fgen *fg)
{
	for (int m = 0; m < fg->g->prog->nmaps; m++)
		if (fg->g->prog->maps[m].rdonly)
			return m;
	return -1;
}

/* A data-area slot that neither holds a saved argument nor the canary
 * (something later reads those as scalars), or 0. */
static bool plain_data_slot(const struct fgen *fg, int off)
{
	if (off < -fg->pl->frame_size || off + 8 > fg->data_top || off == fg->canary_off)
		return false;
	for (int a = 0; a < fg->pl->nargs; a++)
		if (fg->save_slot[a] == off)
			return false;
	return true;
}

/* bpf_strncmp(s1, s1_sz, s2): s1 8 or 16 bytes of our data area written
 * just before (ARG_PTR_TO_MEM | MEM_RDONLY), most often a copy of s2 with
 * a byte changed or cut short, s1_sz a constant 1..16 (ARG_CONST_SIZE), s2
 * the string map's value at any offset (ARG_PTR_TO_CONST_STR: `ld_imm64`
 * of a read-only map value). Only the sign of r0 is the kernel's contract
 * (lib/string.c returns -1/1, arm64's strncmp.S other values): it
 * is folded as -1, 0 or 1. */
static void gen_strncmp(struct fgen *fg, int sm)
{
	const struct cf_map *m = &fg->g->prog->maps[sm];
	int words = 1 + gen_coin(fg->s), nslots = data_bytes(fg) / 8, soff, buf_off;
	uint8_t text[16];

	if (nslots < words)
		return;
	soff = (int)gen_choose(fg->s, m->value_size);
	/* most often where a string starts */
	if (gen_coin(fg->s))
		while (soff > 0 && m->init[soff - 1])
			soff--;
	buf_off = -fg->pl->frame_size + 8 * (int)gen_choose(fg->s, (uint64_t)(nslots - words + 1));
	/* s2 and what follows it in the value, then one change */
	for (int b = 0; b < 16; b++)
		text[b] = (uint32_t)(soff + b) < m->value_size ? m->init[soff + b] : 0;
	switch (gen_choose(fg->s, 4)) {
	case 0: /* equal up to the NUL */
		break;
	case 1: /* a byte differs: above or below, 0x80.. compare as unsigned */
		text[gen_choose(fg->s, 8 * words)] ^= (uint8_t)(1 + gen_choose(fg->s, 255));
		break;
	case 2: /* cut short: a NUL early */
		text[gen_choose(fg->s, 8 * words)] = 0;
		break;
	default: /* anything */
		for (int b = 0; b < 8 * words; b++)
			text[b] = strtox_byte(fg);
		break;
	}
	for (int w = 0; w < words; w++) {
		uint64_t v;

		memcpy(&v, text + 8 * w, 8);
		emit_ldimm64(fg, BPF_REG_1, v);
		emit_stx(fg, BPF_DW, BPF_REG_10, BPF_REG_1, buf_off + 8 * w);
	}
	stack_mark(fg, buf_off, 8 * words);
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, buf_off));
	emit_mov_imm(fg, BPF_REG_2, 1 + (int)gen_choose(fg->s, 8 * words));
	emit_map_ldimm64(fg, BPF_REG_3, sm, true, soff);
	emit_call(fg, 0, CF_KHELPER_STRNCMP);
	/* sign(r0) = (r0 s>> 63) | ((-r0) >> 63) */
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ARSH | BPF_K, BPF_REG_1, 0, 0, 63));
	emit(fg, cf_insn(BPF_ALU64 | BPF_NEG | BPF_K, BPF_REG_0, 0, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 63));
	emit(fg, cf_insn(BPF_ALU64 | BPF_OR | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0));
	fg->st.reg[BPF_REG_1] = REG_SCALAR;
	fold_reg_into_acc(fg, BPF_REG_0);
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): fmt the string map's
 * value at an offset where bpf_bprintf_prepare takes it (cf_bprintf_parse),
 * data one u64 per conversion and now and then a few more (data_len up to
 * 12 * 8; now and then 13 * 8, which the verifier takes and the helper
 * refuses with -EINVAL): a %s gets the address of a string of the map
 * (`ld_imm64` of a read-only map value, stored on the stack), the others
 * scalars of ours; str 8..32 bytes of our stack, written first, its size
 * all of it, less, or 0 (then now and then NULL); data NULL when there is
 * none. r0 (the whole length + 1) and every word of str go into the
 * accumulator. */
static void gen_snprintf(struct fgen *fg, int sm)
{
	const struct cf_map *m = &fg->g->prog->maps[sm];
	int offs[4 * CF_MAP_MAX_VALUE], noffs = 0, fmt_off, nargs, data_off = 0, str_off, str_words, str_size, data_len;
	struct cf_bprintf fmt;
	bool str_null = false;

	/* any offset bpf_bprintf_prepare takes; a piece's first byte, not
	 * its NUL, four times as often */
	for (int off = 0; (uint32_t)off < m->value_size; off++) {
		if (cf_bprintf_parse(m->init + off, m->value_size - (uint32_t)off, CF_BPRINTF_MAX_ARGS, &fmt, NULL, 0))
			continue;
		offs[noffs++] = off;
		if ((off == 0 || !m->init[off - 1]) && m->init[off])
			for (int k = 0; k < 3; k++)
				offs[noffs++] = off;
	}
	if (!noffs)
		return;
	fmt_off = offs[gen_choose(fg->s, noffs)];
	cf_bprintf_parse(m->init + fmt_off, m->value_size - (uint32_t)fmt_off, CF_BPRINTF_MAX_ARGS, &fmt, NULL, 0);
	for (int k = 0; k < fmt.nconv; k++)
		if (fmt.conv[k] == CF_BPRINTF_PTR)
			return; /* never made by plan_string_map: addresses would print */
	nargs = fmt.nconv + (gen_choose(fg->s, 4) == 0 ? (int)gen_choose(fg->s, 3) : 0);
	if (nargs > CF_BPRINTF_MAX_ARGS)
		nargs = CF_BPRINTF_MAX_ARGS;
	data_len = 8 * nargs;
	if (gen_choose(fg->s, 16) == 15) {
		nargs = CF_BPRINTF_MAX_ARGS + 1; /* the verifier takes it, the helper says -EINVAL */
		data_len = 8 * nargs;
	}
	/* data: nargs slots of the data area, those of a %s plain ones (a
	 * saved argument's slot is read as a scalar later: no address there) */
	if (nargs) {
		int cand[CF_STACK_MAX / 8], nc = 0;

		for (int off = -fg->pl->frame_size; off + 8 * nargs <= fg->data_top; off += 8) {
			bool ok = true;

			for (int k = 0; k < fmt.nconv && k < nargs && ok; k++)
				ok = fmt.conv[k] != CF_BPRINTF_STR || plain_data_slot(fg, off + 8 * k);
			if (ok)
				cand[nc++] = off;
		}
		if (!nc)
			return;
		data_off = cand[gen_choose(fg->s, nc)];
	}
	/* str: anywhere in the data area but over the arguments (it would
	 * overwrite a %s address before the call reads it) */
	str_words = 1 + (int)gen_choose(fg->s, 4);
	{
		int cand[CF_STACK_MAX / 8], nc = 0;

		for (int off = -fg->pl->frame_size; off + 8 * str_words <= fg->data_top; off += 8)
			if (!nargs || off + 8 * str_words <= data_off || off >= data_off + 8 * nargs)
				cand[nc++] = off;
		if (!nc)
			return;
		str_off = cand[gen_choose(fg->s, nc)];
	}
	switch (gen_choose(fg->s, 8)) {
	case 0:
	case 1:
		str_size = 1 + (int)gen_choose(fg->s, 8 * str_words);
		break;
	case 2:
		str_size = 0;
		str_null = gen_coin(fg->s);
		break;
	default:
		str_size = 8 * str_words;
		break;
	}
	/* the arguments: a %s one the address of a string of the map, the
	 * others a value of ours (an argument's, a register's, a constant) */
	for (int k = 0; k < nargs; k++) {
		int at = data_off + 8 * k;

		if (k < fmt.nconv && fmt.conv[k] == CF_BPRINTF_STR) {
			emit_map_ldimm64(fg, BPF_REG_1, sm, true, (int32_t)gen_choose(fg->s, m->value_size));
			emit_stx(fg, BPF_DW, BPF_REG_10, BPF_REG_1, at);
			fg->st.reg[BPF_REG_1] = REG_UNINIT;
			stack_unmark(fg, at, 8); /* a spilled pointer: never read as a scalar */
			continue;
		}
		if (gen_choose(fg->s, 3) == 0) {
			emit_st(fg, BPF_DW, BPF_REG_10, at, pick_imm32(fg));
		} else {
			gen_value(fg, BPF_REG_1);
			emit_stx(fg, BPF_DW, BPF_REG_10, BPF_REG_1, at);
		}
		stack_mark(fg, at, 8);
	}
	/* str: initialized before (project rule), then the helper writes it */
	for (int w = 0; w < str_words; w++)
		if (!stack_is_init(fg, str_off + 8 * w, 8)) {
			emit_st(fg, BPF_DW, BPF_REG_10, str_off + 8 * w, pick_imm32(fg));
			stack_mark(fg, str_off + 8 * w, 8);
		}
	if (str_null) {
		emit_mov_imm(fg, BPF_REG_1, 0);
	} else {
		emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0));
		emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, str_off));
	}
	emit_mov_imm(fg, BPF_REG_2, str_size);
	emit_map_ldimm64(fg, BPF_REG_3, sm, true, fmt_off);
	if (nargs) {
		emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_10, 0, 0));
		emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, data_off));
	} else {
		emit_mov_imm(fg, BPF_REG_4, 0);
	}
	emit_mov_imm(fg, BPF_REG_5, data_len);
	emit_call(fg, 0, CF_KHELPER_SNPRINTF);
	fold_reg_into_acc(fg, BPF_REG_0);
	/* str overwrote any pointer it covered; the text is the observation */
	for (int w = 0; w < str_words; w++) {
		if (!stack_is_init(fg, str_off + 8 * w, 8))
			continue;
		emit_ldx(fg, BPF_DW, BPF_REG_1, BPF_REG_10, str_off + 8 * w);
		fg->st.reg[BPF_REG_1] = REG_SCALAR;
		fold_reg_into_acc(fg, BPF_REG_1);
	}
}

/* ---- the number iterator (kfuncs; docs/kernel-paths.md "Kfuncs") ---------- */

/* r = r10 + off */
static void emit_fp_ptr(struct fgen *fg, int r, int off)
{
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, r, BPF_REG_10, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, r, 0, 0, off));
}

/* Straight-line statements while an iterator lives: none writes its slot
 * (pick_store_off keeps off it, the others write registers or read
 * initialized bytes), none branches or calls, so an iterator loop's states
 * converge in the kernel (kernel/bpf/states.c: what differs between two
 * iterations is imprecise and gets widened). */
static void gen_iter_body(struct fgen *fg)
{
	static const unsigned w[] = { 5, 2, 3, 3, 2 }; /* alu, ldimm64, store, load, fold */
	int n = (int)gen_choose(fg->s, 4);

	for (int i = 0; i < n; i++) {
		switch (WEIGHTED(fg->s, w)) {
		case 0: stmt_alu(fg); break;
		case 1: stmt_ldimm64(fg); break;
		case 2: stmt_store(fg); break;
		case 3: stmt_load(fg); break;
		default: stmt_fold(fg); break;
		}
	}
}

/* After bpf_iter_num_next: `if r0 == 0 goto out` (it returned NULL), else
 * read the int it points to (1, 2 or 4 bytes of it; PTR_TO_MEM |
 * MEM_RDONLY, mem_size 4) into the accumulator. Returns the jump's slot. */
static int iter_use_value(struct fgen *fg)
{
	static const int sizes[] = { BPF_W, BPF_H, BPF_B };
	int pos = cf_func_emit(fg->f, cf_insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0), 0);
	int size = sizes[gen_choose(fg->s, 3)], nb = size_bytes(size);
	int off = (int)gen_choose(fg->s, (uint64_t)(4 / nb)) * nb, dst = pick_dst(fg, REGS_ALL & ~1u);

	fg->cost += fg->loop_mult * fg->paths, fg->work++;
	if (dst < 0)
		dst = BPF_REG_1;
	emit(fg, cf_insn(BPF_LDX | (gen_choose(fg->s, 4) == 0 && nb < 4 ? BPF_MEMSX : BPF_MEM) | size, dst, BPF_REG_0, off,
			 0));
	fg->st.reg[dst] = REG_SCALAR;
	fg->st.reg[BPF_REG_0] = REG_UNINIT; /* the pointer: never a scalar */
	fold_reg_into_acc(fg, dst);
	return pos;
}

/* bpf_iter_num_new(&it, start, end), then either a loop
 *     head: next(&it); if r0 == 0 goto out; use *r0; body; goto head
 * or one to three unrolled next calls, each used if not NULL, then
 * bpf_iter_num_destroy(&it) on every path (KF_ITER_DESTROY: the kernel
 * refuses an exit with the iterator alive). `it` is a plain slot of our
 * data area (8 aligned bytes: iter_get_spi), start..end 0..4 apart near
 * int boundaries, now and then reversed (-EINVAL) or wider than
 * BPF_MAX_LOOPS (-E2BIG, no iteration); new's result and every value the
 * iterator gives go into the accumulator. Kfunc calls in a function with
 * stack arguments: the point (the JITs' kfunc call path). */
static void gen_iter(struct fgen *fg)
{
	static const int32_t starts[] = { 0, 1, -1, 5, -3, INT32_MAX - 2, INT32_MIN, INT32_MIN + 1, 100 };
	int cand[CF_STACK_MAX / 8], nc = 0, it;
	int32_t start, end;
	bool loop = gen_choose(fg->s, 3) != 0;

	if (fg->loop_mult > 1 || !branch_fits(fg) || fg->cost + fg->loop_mult * fg->paths * 80 > COST_CAP)
		return;
	for (int off = -fg->pl->frame_size; off + 8 <= fg->data_top; off += 8)
		if (plain_data_slot(fg, off))
			cand[nc++] = off;
	if (!nc)
		return;
	it = cand[gen_choose(fg->s, nc)];
	start = starts[gen_choose(fg->s, ARRAY_LEN(starts))];
	switch (gen_choose(fg->s, 16)) {
	case 0: /* start > end: -EINVAL */
		if (start < INT32_MIN + 3)
			start = 7;
		end = start - 1 - (int32_t)gen_choose(fg->s, 3);
		break;
	case 1: /* more than BPF_MAX_LOOPS: -E2BIG */
		start = INT32_MIN + (int32_t)gen_choose(fg->s, 4), end = INT32_MAX - (int32_t)gen_choose(fg->s, 4);
		break;
	default: {
		int64_t e = (int64_t)start + (int64_t)gen_choose(fg->s, 5);

		end = e > INT32_MAX ? INT32_MAX : (int32_t)e;
	}
	}
	fg->iter_off = it;
	stack_unmark(fg, it, 8);
	emit_fp_ptr(fg, BPF_REG_1, it);
	/* ints: only the low halves count; w = imm or r = imm */
	emit(fg, cf_insn((gen_coin(fg->s) ? BPF_ALU : BPF_ALU64) | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, start));
	emit(fg, cf_insn((gen_coin(fg->s) ? BPF_ALU : BPF_ALU64) | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, end));
	emit_call(fg, BPF_PSEUDO_KFUNC_CALL, CF_KKFUNC_ITER_NUM_NEW);
	fold_reg_into_acc(fg, BPF_REG_0);
	if (loop) {
		struct frame_state before = fg->st;
		int head = new_label(fg, fg->f->ninsns), pos, jpos;

		emit_fp_ptr(fg, BPF_REG_1, it);
		emit_call(fg, BPF_PSEUDO_KFUNC_CALL, CF_KKFUNC_ITER_NUM_NEXT);
		pos = iter_use_value(fg);
		gen_iter_body(fg);
		jpos = cf_func_emit(fg->f, cf_insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), 0);
		fg->cost += fg->loop_mult * fg->paths, fg->work++;
		patch_jump(fg, jpos, head);
		/* out: from the head's first visit or after a pass of the body */
		meet(&fg->st, &before);
		patch_jump(fg, pos, new_label(fg, fg->f->ninsns));
		fg->paths *= 2;
	} else {
		int k = 1 + (int)gen_choose(fg->s, 3);

		for (int i = 0; i < k && (i == 0 || branch_fits(fg)); i++) {
			struct frame_state before;
			int pos;

			emit_fp_ptr(fg, BPF_REG_1, it);
			emit_call(fg, BPF_PSEUDO_KFUNC_CALL, CF_KKFUNC_ITER_NUM_NEXT);
			before = fg->st;
			pos = iter_use_value(fg);
			gen_iter_body(fg);
			meet(&fg->st, &before);
			patch_jump(fg, pos, new_label(fg, fg->f->ninsns));
			fg->paths *= 2;
		}
	}
	fg->st.reg[BPF_REG_0] = REG_UNINIT;
	emit_fp_ptr(fg, BPF_REG_1, it);
	emit_call(fg, BPF_PSEUDO_KFUNC_CALL, CF_KKFUNC_ITER_NUM_DESTROY);
	fg->st.reg[BPF_REG_0] = REG_UNINIT; /* void */
	fg->iter_off = 0;
}

/* docs/kernel-paths.md "Helpers", "Strings", "Kfuncs": deterministic
 * helpers a SYSCALL or RAW_TRACEPOINT program may call
 * (bpf_base_func_proto), and the number iterator's kfuncs where the
 * kernel's BTF has them, in any function, those with stack arguments
 * included: the JIT's register moves around a helper or kfunc call meet
 * the argument registers there. */
static void stmt_kernel_helper(struct fgen *fg)
{
	int sm = string_map(fg);
	/* smp_processor_id, strtol, strtoul, strncmp, snprintf, iterator */
	unsigned w[] = { 2, 3, 2, sm >= 0 ? 4 : 0, sm >= 0 ? 4 : 0, fg->g->o->kfuncs ? 5 : 0 };

	if (fg->cost + fg->loop_mult * fg->paths * 24 > COST_CAP)
		return;
	switch (WEIGHTED(fg->s, w)) {
	case 0:
		emit_call(fg, 0, CF_KHELPER_GET_SMP_PROCESSOR_ID);
		fold_reg_into_acc(fg, BPF_REG_0); /* 0: the guest has one CPU */
		break;
	case 1:
		gen_strtox(fg, CF_KHELPER_STRTOL);
		break;
	case 2:
		gen_strtox(fg, CF_KHELPER_STRTOUL);
		break;
	case 3:
		gen_strncmp(fg, sm);
		break;
	case 4:
		if (fg->cost + fg->loop_mult * fg->paths * 64 <= COST_CAP)
			gen_snprintf(fg, sm);
		break;
	default:
		gen_iter(fg);
		break;
	}
}

static void stmt_call(struct fgen *fg)
{
	int cand[GEN_MAX_FUNCS], n = 0;

	for (int j = fg->fi + 1; j < fg->g->nfuncs; j++)
		if (call_fits(fg, j))
			cand[n++] = j;
	if (n)
		gen_subprog_call(fg, cand[gen_choose(fg->s, n)]);
}

/* ---- control flow ----------------------------------------------------- */

static void gen_stmts(struct fgen *fg, bool at_least_one);

static long ipow(long base, int exp)
{
	long r = 1;

	while (exp-- > 0)
		r *= base;
	return r;
}


static int new_label(struct fgen *fg, int pos)
{
	char name[16];

	snprintf(name, sizeof(name), "l%d", fg->nlabel++);
	cf_func_add_label(fg->f, name, pos);
	return pos;
}

static void meet(struct frame_state *a, const struct frame_state *b)
{
	for (int r = 0; r < 11; r++)
		if (a->reg[r] != b->reg[r])
			a->reg[r] = REG_UNINIT;
	for (int i = 0; i < CF_STACK_MAX; i++)
		a->init[i] &= b->init[i];
}

static void patch_jump(struct fgen *fg, int pos, int target)
{
	struct bpf_insn *j = &fg->f->insns[pos];

	if (BPF_CLASS(j->code) == BPF_JMP32 && BPF_OP(j->code) == BPF_JA)
		j->imm = target - (pos + 1); /* gotol: 32-bit offset in imm */
	else
		j->off = (int16_t)(target - (pos + 1));
}

static const int cond_ops[] = {
	BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE, BPF_JSET,
	BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE,
};

/* if (cond) skip { then } [else { ... }]: forward jumps only; after the
 * join a register or stack byte counts as written only if both paths wrote
 * it. Compares read scalars only (never a pointer). */
static void stmt_branch(struct fgen *fg)
{
	int a = need_scalar(fg, REGS_ALL), b = -1, pos, jpos = -1;
	bool jmp32 = gen_choose(fg->s, 3) == 0;
	int op = cond_ops[gen_choose(fg->s, ARRAY_LEN(cond_ops))];
	struct frame_state before, then_state;

	if (a < 0)
		return;
	if (gen_coin(fg->s))
		b = pick_reg(fg, REGS_ALL, true);
	if (fg->g->o->kernel_paths && gen_choose(fg->s, 3) == 0)
		/* docs/kernel-paths.md "may_goto": the checker walks both
		 * ways; at run time it never jumps (a frame runs far fewer
		 * than 0xffff of them) */
		pos = cf_func_emit(fg->f, cf_insn(CF_MAY_GOTO, 0, 0, 0, 0), 0);
	else if (b >= 0)
		pos = cf_func_emit(fg->f, cf_insn((jmp32 ? BPF_JMP32 : BPF_JMP) | op | BPF_X, a, b, 0, 0), 0);
	else
		pos = cf_func_emit(fg->f, cf_insn((jmp32 ? BPF_JMP32 : BPF_JMP) | op | BPF_K, a, 0, 0,
						  pick_imm32(fg)), 0);
	fg->cost += fg->loop_mult * fg->paths, fg->work++;
	before = fg->st;
	fg->nest++;
	gen_stmts(fg, true);
	if (gen_choose(fg->s, 3) == 2) {
		bool gotol = gen_choose(fg->s, 4) == 0;

		jpos = cf_func_emit(fg->f, gotol ? cf_insn(BPF_JMP32 | BPF_JA, 0, 0, 0, 0) :
					  cf_insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), 0);
		fg->cost += fg->loop_mult * fg->paths, fg->work++;
		then_state = fg->st;
		fg->st = before;
		patch_jump(fg, pos, new_label(fg, fg->f->ninsns));
		gen_stmts(fg, true);
		meet(&fg->st, &then_state);
		patch_jump(fg, jpos, new_label(fg, fg->f->ninsns));
	} else {
		meet(&fg->st, &before);
		patch_jump(fg, pos, new_label(fg, fg->f->ninsns));
	}
	fg->nest--;
	fg->paths *= 2; /* both ways continue: a checker may walk the rest twice */
}

/* A bounded loop: counter = 0; head: body; counter += 1; if counter < K
 * goto head. The counter is a callee-saved register (calls in the body keep
 * it) that the body never writes, K is 1..4, so the verifier walks at most
 * K iterations. The body starts with r0..r5 unknown (they may hold pointers
 * or be dead after a call at the end of the previous iteration); r6..r9 and
 * the stack only gain written state in the body, so what held at the first
 * iteration holds at every later one. */
static void stmt_loop(struct fgen *fg)
{
	int c = pick_dst(fg, REGS_SAVED), head, pos;
	int bound = 1 + (int)gen_choose(fg->s, 4);
	bool jmp32 = gen_choose(fg->s, 3) == 0, ne = gen_choose(fg->s, 3) == 0;

	if (c < 0 || fg->loop_mult > 1 || fg->cost + bound * fg->paths * 64 > COST_CAP)
		return;
	emit(fg, cf_insn((jmp32 ? BPF_ALU : BPF_ALU64) | BPF_MOV | BPF_K, c, 0, 0, 0));
	fg->st.reg[c] = REG_SCALAR;
	fg->reserved[c] = true;
	for (int r = BPF_REG_0; r <= BPF_REG_5; r++)
		fg->st.reg[r] = REG_UNINIT;
	head = new_label(fg, fg->f->ninsns);
	fg->nest++;
	fg->loop_mult *= bound;
	fg->loop_paths0 = fg->paths;
	fg->loop_bound = bound;
	gen_stmts(fg, true);
	emit(fg, cf_insn((jmp32 ? BPF_ALU : BPF_ALU64) | BPF_ADD | BPF_K, c, 0, 0, 1));
	pos = cf_func_emit(fg->f, cf_insn((jmp32 ? BPF_JMP32 : BPF_JMP) | (ne ? BPF_JNE : BPF_JLT) | BPF_K,
					  c, 0, 0, bound), 0);
	fg->cost += fg->loop_mult * fg->paths, fg->work++;
	patch_jump(fg, pos, head);
	fg->paths = fg->loop_paths0 * ipow(fg->paths / fg->loop_paths0, bound);
	fg->loop_bound = 0;
	fg->loop_mult /= bound;
	fg->nest--;
	fg->reserved[c] = false;
}

enum stmt_kind {
	STMT_ALU, STMT_LDIMM64, STMT_STORE, STMT_LOAD, STMT_ATOMIC, STMT_PTR,
	STMT_FOLD, STMT_BRANCH, STMT_LOOP, STMT_CALL, STMT_HELPER, STMT_MAP, STMT_TAIL, STMT_NKINDS,
};

static void stmt_tail_call(struct fgen *fg);

static bool branch_fits(const struct fgen *fg);

/* ---- maps (kernel profile with maps; docs/kernel-paths.md "Maps") ------- */

/* Emit `dst = map[m] ll` (value: `map[m][0]+off`). */
static void emit_map_ldimm64(struct fgen *fg, int dst, int m, bool value, int32_t off)
{
	emit(fg, cf_insn(BPF_LD | BPF_IMM | BPF_DW, dst, value ? BPF_PSEUDO_MAP_IDX_VALUE : BPF_PSEUDO_MAP_IDX, 0, m));
	emit(fg, cf_insn(0, 0, 0, 0, value ? off : 0));
}

/* A key of map m into r1 and then to the stack at off: a scalar of ours
 * (an argument's saved value most often) masked to 0..7, so that keys
 * collide, miss, and (arrays) fall out of range. */
static void map_key(struct fgen *fg, const struct cf_map *m, int off)
{
	int offs[CF_MAX_ARGS], n = saved_values(fg, offs), src;

	if (n && gen_choose(fg->s, 3)) {
		emit_ldx(fg, BPF_DW, BPF_REG_1, BPF_REG_10, offs[gen_choose(fg->s, n)]);
	} else if ((src = pick_reg(fg, REGS_ALL & ~(1u << BPF_REG_1), true)) >= 0 && gen_coin(fg->s)) {
		emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, src, 0, 0));
	} else {
		emit_mov_imm(fg, BPF_REG_1, (int32_t)gen_choose(fg->s, 8));
	}
	if (gen_choose(fg->s, 8))
		emit(fg, cf_insn(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_1, 0, 0, 7));
	fg->st.reg[BPF_REG_1] = REG_SCALAR;
	emit_stx(fg, m->key_size == 8 ? BPF_DW : BPF_W, BPF_REG_10, BPF_REG_1, off);
	stack_mark(fg, off, (int)m->key_size);
}

/* After a lookup: `if r0 == 0 goto skip` (check_cond_jmp_op marks the
 * other side a map value), then a load from the value folded into the
 * accumulator and maybe a store into it, before any other call: a hash
 * element may be replaced by an update (kernel/bpf/hashtab.c takes a new
 * element), so its pointer is used at once and dropped. */
static void map_value_use(struct fgen *fg, int ptr, const struct cf_map *m, int base_off)
{
	int room = (int)m->value_size - base_off, k = (int)gen_choose(fg->s, 4), size, nb, off, dst, src;
	bool was_reserved;

	while (size_bytes(mem_sizes[k]) > room) /* room >= 8: base_off < value_size, both multiples of 8 */
		k++;
	size = mem_sizes[k];
	nb = size_bytes(size);
	was_reserved = fg->reserved[ptr];
	fg->reserved[ptr] = true; /* the fold's temporary must not take it */
	off = (int)gen_choose(fg->s, (uint64_t)(room / nb)) * nb;
	dst = pick_dst(fg, REGS_ALL & ~(1u << ptr));
	if (dst >= 0) {
		emit_ldx(fg, size, dst, ptr, off);
		fg->st.reg[dst] = REG_SCALAR;
		fold_reg_into_acc(fg, dst);
	}
	if (!m->rdonly && gen_coin(fg->s)) { /* BPF_F_RDONLY_PROG: "write into map forbidden" */
		off = (int)gen_choose(fg->s, (uint64_t)(room / nb)) * nb;
		src = pick_reg(fg, REGS_ALL & ~(1u << ptr), true);
		if (src >= 0 && gen_coin(fg->s))
			emit_stx(fg, size, ptr, src, off);
		else
			emit_st(fg, size, ptr, off, pick_imm32(fg));
	}
	fg->reserved[ptr] = was_reserved;
}

static void stmt_map(struct fgen *fg)
{
	const struct cf_prog *p = fg->g->prog;
	int mi = (int)gen_choose(fg->s, (uint64_t)p->nmaps);
	const struct cf_map *m;

	/* a prog array is bpf_tail_call's only (check_map_func_compatibility) */
	for (int k = 0; k < p->nmaps && p->maps[mi].type == BPF_MAP_TYPE_PROG_ARRAY; k++)
		mi = (mi + 1) % p->nmaps;
	m = &p->maps[mi];
	if (m->type == BPF_MAP_TYPE_PROG_ARRAY)
		return;
	static const unsigned w[] = { 4, 4, 2, 2 }; /* lookup, update, delete, direct value */
	int op = WEIGHTED(fg->s, w), nslots = data_bytes(fg) / 8, need, off;

	if (fg->cost + fg->loop_mult * fg->paths * 32 > COST_CAP)
		return;
	/* a read-only map (the string map) is only read: lookups and direct
	 * loads, which 7.2's verifier reads as constants (bpf_map_direct_read) */
	if (m->rdonly && (op == 1 || op == 2))
		op = 3;
	if (op == 3 && m->type == BPF_MAP_TYPE_ARRAY && m->max_entries == 1) {
		/* kernel/bpf/arraymap.c array_map_direct_value_addr: one entry */
		int r = pick_dst(fg, REGS_SCRATCH & ~1u), voff = (int)gen_choose(fg->s, m->value_size / 8) * 8;

		if (r < 0)
			return;
		emit_map_ldimm64(fg, r, mi, true, voff);
		fg->st.reg[r] = REG_UNINIT; /* a pointer: never a scalar source */
		map_value_use(fg, r, m, voff);
		return;
	}
	if (op == 3)
		op = 0;
	if (op == 0 && !branch_fits(fg)) {
		if (m->rdonly)
			return;
		op = 1;
	}
	/* key (8 bytes) and, for an update, the value right above it */
	need = 1 + (op == 1 ? (int)m->value_size / 8 : 0);
	if (nslots < need)
		return;
	off = -fg->pl->frame_size + 8 * (int)gen_choose(fg->s, (uint64_t)(nslots - need + 1));
	map_key(fg, m, off);
	if (op == 1) {
		for (int k = 0; k < (int)m->value_size / 8; k++) {
			int src = pick_reg(fg, REGS_ALL, true);

			if (src >= 0 && gen_coin(fg->s))
				emit_stx(fg, BPF_DW, BPF_REG_10, src, off + 8 + 8 * k);
			else
				emit_st(fg, BPF_DW, BPF_REG_10, off + 8 + 8 * k, pick_imm32(fg));
		}
		stack_mark(fg, off + 8, (int)m->value_size);
	}
	emit_map_ldimm64(fg, BPF_REG_1, mi, false, 0);
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, off));
	if (op == 1) {
		static const unsigned fw[] = { 5, 2, 2, 1, 1 };
		static const int32_t flags[] = { 0, 1, 2, 4, 3 }; /* ANY, NOEXIST, EXIST, F_LOCK, unknown */

		emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0));
		emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, off + 8));
		emit_mov_imm(fg, BPF_REG_4, flags[WEIGHTED(fg->s, fw)]);
	}
	emit_call(fg, 0, op == 0 ? BPF_FUNC_map_lookup_elem : op == 1 ? BPF_FUNC_map_update_elem
								 : BPF_FUNC_map_delete_elem);
	if (op) {
		/* 0 or a negative errno: the result is an observation */
		fold_reg_into_acc(fg, BPF_REG_0);
		return;
	}
	fg->st.reg[BPF_REG_0] = REG_UNINIT; /* a map value or NULL: a pointer */
	{
		struct frame_state before = fg->st;
		int pos = cf_func_emit(fg->f, cf_insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0), 0);

		fg->cost += fg->loop_mult * fg->paths, fg->work++;
		map_value_use(fg, BPF_REG_0, m, 0);
		meet(&fg->st, &before);
		patch_jump(fg, pos, new_label(fg, fg->f->ninsns));
		fg->paths *= 2;
	}
}

/* Paths after multiplying the current ones by factor: within a loop body
 * the body's factor repeats per iteration. */
static long projected_paths(const struct fgen *fg, long factor)
{
	long projected = fg->paths * factor;

	if (fg->loop_bound)
		projected = fg->loop_paths0 * ipow(projected / fg->loop_paths0, fg->loop_bound);
	return projected;
}

/* May one more branch follow? It doubles the paths of what follows, the
 * required calls too. */
static bool branch_fits(const struct fgen *fg)
{
	long projected = projected_paths(fg, 2);

	return projected <= PATHS_MAX && fg->cost + projected * (fg->required_left + 64) <= COST_CAP;
}

static void gen_stmt(struct fgen *fg)
{
	unsigned w[STMT_NKINDS] = {
		[STMT_ALU] = 12, [STMT_LDIMM64] = 2, [STMT_STORE] = 6, [STMT_LOAD] = 5,
		[STMT_ATOMIC] = 2, [STMT_PTR] = 3, [STMT_FOLD] = 2, [STMT_BRANCH] = 3,
		[STMT_LOOP] = 1, [STMT_CALL] = 3, [STMT_HELPER] = 2,
	};

	if (fg->nest >= MAX_NEST || !branch_fits(fg))
		w[STMT_BRANCH] = 0;
	if (fg->nest >= MAX_NEST || fg->loop_mult > 1)
		w[STMT_LOOP] = 0;
	if (fg->g->o->profile != GEN_PROFILE_MODEL && !fg->g->o->kernel_paths)
		w[STMT_HELPER] = 0;
	else if (fg->g->o->profile != GEN_PROFILE_MODEL && (string_map(fg) >= 0 || fg->g->o->kfuncs))
		w[STMT_HELPER] = 4; /* more helpers to choose from (stmt_kernel_helper) */
	if (fg->g->prog->nmaps)
		w[STMT_MAP] = 4;
	if (fg->g->jt >= 0 && fg->pl->tail_ok && fg->ctx_slot)
		w[STMT_TAIL] = 4;
	switch (WEIGHTED(fg->s, w)) {
	case STMT_ALU: stmt_alu(fg); break;
	case STMT_LDIMM64: stmt_ldimm64(fg); break;
	case STMT_STORE: stmt_store(fg); break;
	case STMT_LOAD: stmt_load(fg); break;
	case STMT_ATOMIC: stmt_atomic(fg); break;
	case STMT_PTR: stmt_ptr_access(fg); break;
	case STMT_FOLD: stmt_fold(fg); break;
	case STMT_BRANCH: stmt_branch(fg); break;
	case STMT_LOOP: stmt_loop(fg); break;
	case STMT_CALL: stmt_call(fg); break;
	case STMT_MAP: stmt_map(fg); break;
	case STMT_TAIL: stmt_tail_call(fg); break;
	default: stmt_helper(fg); break;
	}
}

/* Straight-line statements that neither call nor touch r11, for the gaps
 * between incoming r11 loads (stack-args.md 2.4: they stay before any
 * call or r11 store) and between outgoing r11 stores and their call (2.1,
 * 2.2: no call may come between). While args 6..8 wait in x5..x7 on arm64
 * (not loaded yet, or stored already), these are the instructions a JIT
 * must not lower through a temporary that aliases x5..x7: MOD/DIV by an
 * immediate, atomics, stores whose offset needs a register, LD_IMM64. */
static void gen_gap_stmt(struct fgen *fg)
{
	static const unsigned w[] = { 5, 2, 3, 2, 3, 1 };

	switch (WEIGHTED(fg->s, w)) {
	case 0: stmt_alu(fg); break;
	case 1: stmt_ldimm64(fg); break;
	case 2: stmt_store(fg); break;
	case 3: stmt_load(fg); break;
	case 4: stmt_atomic(fg); break;
	default: stmt_fold(fg); break;
	}
}

/* 0..3 gap statements, none once the bytes run out (the simplest program
 * keeps its loads and stores together). */
static void gen_gap(struct fgen *fg)
{
	static const int gap_len[8] = { 0, 0, 0, 0, 1, 1, 2, 3 };
	int n = gap_len[gen_choose(fg->s, 8)];

	for (int i = 0; i < n; i++)
		gen_gap_stmt(fg);
}

/* Statements while the bytes say so and the share of slots lasts. */
static void gen_stmts(struct fgen *fg, bool at_least_one)
{
	int limit = fg->g->work_share;

	if (at_least_one)
		gen_stmt(fg);
	while (fg->work < limit && gen_choose(fg->s, 16) != 0)
		gen_stmt(fg);
}

/* ---- prologue and epilogue ---------------------------------------------- */

/* Frame layout, high to low address:
 *   r10 -  8            accumulator (folded into r0 at exit)
 *   r10 - 16 ..         pointer slots: saved pointer params, main's ctx
 *   ...                 saved scalar params (stack args first), then data
 *   r10 - frame_size    canary (bottom of the frame, next to the arm64
 *                       outgoing area) */
static void layout(struct fgen *fg)
{
	const struct func_plan *pl = fg->pl;
	int next = -16, size = pl->frame_size;

	if (fg->fi == 0) {
		fg->ctx_slot = next;
		next -= 8;
	}
	for (int a = 0; a < pl->nargs; a++) {
		if (pl->kind[a] == PARAM_SCALAR || next < -size)
			continue;
		fg->ptr_slot[a] = next;
		if (pl->kind[a] == PARAM_PTR_CTX && !fg->ctx_slot)
			fg->ctx_slot = next;
		next -= 8;
	}
	fg->data_top = next + 8;
	/* saved scalars: highest arguments first, they travel in slots
	 * (main's only parameter is ctx) */
	for (int a = pl->nargs - 1; a >= 0 && fg->fi; a--) {
		if (pl->kind[a] != PARAM_SCALAR || next < -size)
			continue;
		fg->save_slot[a] = next;
		next -= 8;
	}
	if (next >= -size && size >= 24)
		fg->canary_off = -size;
}

/* The incoming r11 slots, in an order the bytes choose, each saved and
 * folded into the accumulator, with gap statements before each load.
 * stack-args.md 2.4: every r11 load comes before any r11 store and any
 * call; this straight-line run is the function's first part with any of
 * those, and gaps never call or store to r11. 2.5: only slots
 * 1..nargs-5, never in main. Until its load, slot k of 1..3 waits in
 * x5..x7 on arm64: the gaps are what a JIT must not clobber them with. */
static void incoming_slots(struct fgen *fg)
{
	const struct func_plan *pl = fg->pl;
	int nslots = pl->nargs > CF_MAX_REG_ARGS ? pl->nargs - CF_MAX_REG_ARGS : 0;
	int order[CF_MAX_STACK_ARGS];

	slot_order(fg, order, nslots);
	for (int i = 0; i < nslots; i++) {
		int k = order[i], a = CF_MAX_REG_ARGS + k - 1;
		int r;

		gen_gap(fg);
		r = pick_dst(fg, REGS_ALL);
		emit_ldx(fg, BPF_DW, r, BPF_REG_PARAMS, 8 * k);
		fg->st.reg[r] = REG_UNINIT;
		if (pl->kind[a] != PARAM_SCALAR) {
			if (fg->ptr_slot[a])
				emit_stx(fg, BPF_DW, BPF_REG_10, r, fg->ptr_slot[a]);
			/* the first 8 bytes behind the pointer stand for it */
			emit_ldx(fg, BPF_DW, r, r, 0);
		} else if (fg->save_slot[a]) {
			emit_stx(fg, BPF_DW, BPF_REG_10, r, fg->save_slot[a]);
			stack_mark(fg, fg->save_slot[a], 8);
		}
		fg->st.reg[r] = REG_SCALAR;
		fold_reg_into_acc(fg, r);
	}
}

/* Register arguments first (saved and folded while r1..r5 still hold
 * them), then the accumulator and canary, then the r11 slots with gaps
 * (incoming_slots), then the entry observation. */
static void prologue(struct fgen *fg)
{
	const struct func_plan *pl = fg->pl;

	/* The accumulator starts as the function's tag in r0 and takes every
	 * argument: a wrong argument anywhere shows in r0 at the end. */
	emit_mov_imm(fg, BPF_REG_0, 0x1000 + fg->fi);
	fg->st.reg[BPF_REG_0] = REG_SCALAR;

	if (fg->fi == 0) {
		/* main: r1 is ctx; keep it in its slot, fold its first word */
		emit_stx(fg, BPF_DW, BPF_REG_10, BPF_REG_1, fg->ctx_slot);
		emit_ldx(fg, BPF_DW, BPF_REG_1, BPF_REG_1, 0);
		emit(fg, cf_insn(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0));
		fg->st.reg[BPF_REG_1] = REG_SCALAR;
	}
	for (int a = 0; fg->fi && a < pl->nargs && a < CF_MAX_REG_ARGS; a++) {
		int r = BPF_REG_1 + a;

		if (pl->kind[a] != PARAM_SCALAR) {
			if (fg->ptr_slot[a])
				emit_stx(fg, BPF_DW, BPF_REG_10, r, fg->ptr_slot[a]);
			emit_ldx(fg, BPF_DW, r, r, 0);
		} else if (fg->save_slot[a]) {
			emit_stx(fg, BPF_DW, BPF_REG_10, r, fg->save_slot[a]);
			stack_mark(fg, fg->save_slot[a], 8);
		}
		emit(fg, cf_insn(BPF_ALU64 | BPF_MUL | BPF_K, BPF_REG_0, 0, 0, FOLD_PRIME));
		emit(fg, cf_insn(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_0, r, 0, 0));
		fg->st.reg[r] = REG_SCALAR;
	}
	emit_stx(fg, BPF_DW, BPF_REG_10, BPF_REG_0, ACC_OFF);
	stack_mark(fg, ACC_OFF, 8);
	if (fg->canary_off) {
		emit_st(fg, BPF_DW, BPF_REG_10, fg->canary_off, CANARY_BASE);
		stack_mark(fg, fg->canary_off, 8);
	}
	incoming_slots(fg);

	/* design.md "The oracle": argument values at function entry. */
	int offs[CF_MAX_ARGS], n = saved_values(fg, offs);

	if (!n)
		return;
	if (fg->g->o->profile == GEN_PROFILE_MODEL) {
		if (n >= 5 && fg->g->o->max_args >= 6 && gen_coin(fg->s)) {
			int nargs = n < 6 ? 6 : n;

			gen_kfunc(fg, nargs, offs, n);
		} else {
			gen_trace_values(fg, offs, n, 0);
		}
	} else if (fg->g->prog->prog_type == CF_PROG_RAW_TP) {
		/* a raw tracepoint's ctx is read-only: the values go to the
		 * value of the one-entry array `obs` (its last map) */
		int p = BPF_REG_1, v = BPF_REG_2;

		emit_map_ldimm64(fg, p, fg->g->prog->nmaps - 1, true, 0);
		for (int i = 0; i < n; i++) {
			emit_ldx(fg, BPF_DW, v, BPF_REG_10, offs[i]);
			emit_stx(fg, BPF_DW, p, v, 8 * ((fg->ctx_obs++ + fg->fi) % (CF_MAP_MAX_VALUE / 8)));
		}
		fg->st.reg[p] = REG_UNINIT;
		fg->st.reg[v] = REG_SCALAR;
	} else if (fg->ctx_slot) {
		/* kernel profile: no helpers, the values go to ctx */
		int p = BPF_REG_1, v = BPF_REG_2;

		emit_ldx(fg, BPF_DW, p, BPF_REG_10, fg->ctx_slot);
		for (int i = 0; i < n; i++) {
			emit_ldx(fg, BPF_DW, v, BPF_REG_10, offs[i]);
			emit_stx(fg, BPF_DW, p, v, 8 * ((fg->ctx_obs++ + 4 * fg->fi) % (CF_CTX_SIZE / 8)));
		}
		fg->st.reg[p] = REG_UNINIT;
		fg->st.reg[v] = REG_SCALAR;
	}
}

static void callback_epilogue(struct fgen *fg);

static void epilogue(struct fgen *fg)
{
	if (fg->pl->callback) {
		callback_epilogue(fg);
		return;
	}
	if (fg->g->o->profile == GEN_PROFILE_MODEL) {
		stack_hash_region(fg);
	} else if (fg->g->prog->prog_type == CF_PROG_RAW_TP) {
		emit_map_ldimm64(fg, BPF_REG_1, fg->g->prog->nmaps - 1, true, 0);
		emit_ldx(fg, BPF_DW, BPF_REG_2, BPF_REG_10, ACC_OFF);
		emit_stx(fg, BPF_DW, BPF_REG_1, BPF_REG_2, 8 * ((fg->fi * 5 + 3) % (CF_MAP_MAX_VALUE / 8)));
	} else if (fg->ctx_slot) {
		emit_ldx(fg, BPF_DW, BPF_REG_1, BPF_REG_10, fg->ctx_slot);
		emit_ldx(fg, BPF_DW, BPF_REG_2, BPF_REG_10, ACC_OFF);
		emit_stx(fg, BPF_DW, BPF_REG_1, BPF_REG_2, 8 * ((fg->fi * 5 + 3) % (CF_CTX_SIZE / 8)));
	}
	/* r0 is the accumulator, plus the callee-saved registers that hold
	 * scalars: a JIT that loses r6..r9 across a call shows here. */
	emit_ldx(fg, BPF_DW, BPF_REG_0, BPF_REG_10, ACC_OFF);
	for (int r = BPF_REG_6; r <= BPF_REG_9; r++)
		if (fg->st.reg[r] == REG_SCALAR && gen_coin(fg->s))
			emit(fg, cf_insn(BPF_ALU64 | (gen_coin(fg->s) ? BPF_ADD : BPF_XOR) | BPF_X, BPF_REG_0, r, 0, 0));
	emit(fg, cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static void gen_loop_call(struct fgen *fg, int j);

/* ---- bpf_loop (kernel profile, kernel_paths) ------------------------------ */

/* bpf_loop(nr_loops, callback, ctx, flags): ctx is 8 bytes of our data
 * area, its value folded into the accumulator afterwards (the callback
 * writes its own accumulator there), r0 (the iterations run) too. nr_loops
 * 1..4, now and then 0; now and then flags 1 (-EINVAL, no call). */
static void gen_loop_call(struct fgen *fg, int j)
{
	const struct func_plan *c = &fg->g->plan[j];
	int off = -fg->pl->frame_size + 8 * (int)gen_choose(fg->s, data_bytes(fg) / 8);

	write_canary(fg);
	if (!stack_is_init(fg, off, 8)) {
		emit_st(fg, BPF_DW, BPF_REG_10, off, pick_imm32(fg));
		stack_mark(fg, off, 8);
	}
	/* 0 loops now and then: 7.2.13 then refuses some programs with
	 * "verifier bug: No program to jit" (docs/kernel-bugs/loop-zero-no-jit) */
	emit_mov_imm(fg, BPF_REG_1, gen_choose(fg->s, 16) == 15 ? 0 : 1 + (int)gen_choose(fg->s, 4));
	emit(fg, cf_insn(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_2, BPF_PSEUDO_FUNC, 0, j));
	emit(fg, cf_insn(0, 0, 0, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, off));
	emit_mov_imm(fg, BPF_REG_4, gen_choose(fg->s, 16) == 15);
	/* the checker walks the callback once and skips it once (4 calls
	 * at most at run time) */
	fg->cost += fg->loop_mult * fg->paths * c->cost;
	fg->paths = fg->paths * (c->exits + 1) > (1L << 20) ? 1L << 20 : fg->paths * (c->exits + 1);
	emit_call(fg, 0, CF_KHELPER_LOOP);
	after_call(fg, false);
	emit_ldx(fg, BPF_DW, BPF_REG_1, BPF_REG_10, off);
	fg->st.reg[BPF_REG_1] = REG_SCALAR;
	fold_reg_into_acc(fg, BPF_REG_1);
}

/* A callback ends with its accumulator (and r6..r9) written through ctx
 * into its parent's frame, and r0 in [0, 1] as callback_ret_range asks:
 * 0 (go on) or the accumulator's low bit (stop now and then). */
static void callback_epilogue(struct fgen *fg)
{
	emit_ldx(fg, BPF_DW, BPF_REG_0, BPF_REG_10, ACC_OFF);
	for (int r = BPF_REG_6; r <= BPF_REG_9; r++)
		if (fg->st.reg[r] == REG_SCALAR && gen_coin(fg->s))
			emit(fg, cf_insn(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_0, r, 0, 0));
	if (fg->ptr_slot[1]) {
		emit_ldx(fg, BPF_DW, BPF_REG_1, BPF_REG_10, fg->ptr_slot[1]);
		emit_stx(fg, BPF_DW, BPF_REG_1, BPF_REG_0, 0);
	}
	if (gen_choose(fg->s, 3) == 0)
		emit(fg, cf_insn(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, 1));
	else
		emit_mov_imm(fg, BPF_REG_0, 0);
	emit(fg, cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static void required_call(struct fgen *fg, int j)
{
	fg->required_left -= fg->g->plan[j].cost;
	if (fg->g->plan[j].callback)
		gen_loop_call(fg, j);
	else
		gen_subprog_call(fg, j);
}

static void gen_func(struct gen *g, int fi)
{
	struct fgen fg;
	int children[GEN_MAX_FUNCS], nchildren = 0, next_child = 0;

	memset(&fg, 0, sizeof(fg));
	fg.g = g;
	fg.s = &g->src;
	fg.fi = fi;
	fg.f = &g->prog->funcs[fi];
	fg.pl = &g->plan[fi];
	fg.loop_mult = 1;
	fg.paths = 1;
	fg.f->stack_size = fg.pl->frame_size;
	fg.f->stack_declared = true;
	for (int j = fi + 1; j < g->nfuncs; j++)
		if (g->plan[j].parent == fi) {
			children[nchildren++] = j;
			fg.required_left += g->plan[j].cost;
		}
	for (int a = 0; a < fg.pl->nargs && a < CF_MAX_REG_ARGS; a++)
		fg.st.reg[BPF_REG_1 + a] = REG_SCALAR; /* pointers are fixed up in the prologue */
	if (fi == 0)
		fg.st.reg[BPF_REG_1] = REG_SCALAR;
	layout(&fg);
	prologue(&fg);
	fg.work = 0;
	/* Required calls (the call tree) at the top level, spread among the
	 * statements; every function is called, none is unreachable. */
	while (fg.work < g->work_share && gen_choose(fg.s, 16) != 0) {
		if (next_child < nchildren && gen_choose(fg.s, 3) == 0)
			required_call(&fg, children[next_child++]);
		else
			gen_stmt(&fg);
	}
	while (next_child < nchildren)
		required_call(&fg, children[next_child++]);
	/* a function that tail calls last: taken in an entry, its target's r0
	 * is the run's (a target into itself: a chain up to the count limit);
	 * in a subprogram, its caller's r0 */
	if (fg.pl->end_tail && g->jt >= 0 && fg.ctx_slot)
		stmt_tail_call(&fg);
	epilogue(&fg);
	g->plan[fi].cost = fg.cost;
	g->plan[fi].exits = fg.paths + fg.tail_exits;
}

/* ---- plan ------------------------------------------------------------- */

/* 1..3 maps, each an array, a hash or a one-entry array (direct value
 * access); sizes inside bpf.h's bounds, values a multiple of 8 (the
 * generator's stores are u64). Names m0, m1, m2. */
static void plan_maps(struct gen *g)
{
	struct gen_src *s = &g->src;
	int n = 1 + (int)gen_choose(s, g->tail_prog ? 2 : 3); /* the prog array and `obs` may follow */

	for (int i = 0; i < n; i++) {
		static const unsigned w[] = { 3, 3, 2 }; /* array, hash, one-entry array */
		int kind = WEIGHTED(s, w);
		uint32_t value = 8 * (1 + (uint32_t)gen_choose(s, CF_MAP_MAX_VALUE / 8));
		char name[16];
		struct cf_err err;

		snprintf(name, sizeof(name), "m%d", i);
		if (kind == 1)
			cf_prog_add_map(g->prog, name, BPF_MAP_TYPE_HASH, gen_coin(s) ? 8 : 4, value,
					1 + (uint32_t)gen_choose(s, 4), &err);
		else
			cf_prog_add_map(g->prog, name, BPF_MAP_TYPE_ARRAY, 4, value,
					kind == 2 ? 1 : 1 + (uint32_t)gen_choose(s, CF_MAP_MAX_ENTRIES), &err);
	}
}

/* A byte of plain text in a string or a format: letters, digits, spaces,
 * punctuation, now and then white space other than ' ' or a byte >= 0x80
 * (bpf_bprintf_prepare lets both through; strncmp compares it unsigned). */
static uint8_t text_byte(struct gen_src *s)
{
	static const char alphabet[] = "abcxyzABXYZ0189 -_.:=/,()[]";

	switch (gen_choose(s, 16)) {
	case 15:
		return (uint8_t)(0x80 + gen_choose(s, 0x80));
	case 14:
		return gen_coin(s) ? '\t' : '\n';
	default:
		return (uint8_t)alphabet[gen_choose(s, sizeof(alphabet) - 1)];
	}
}

/* One conversion bpf_bprintf_prepare takes (kernel/bpf/helpers.c):
 * "%[0 +-]*[width][l|ll](d|i|u|x|X)", "%[...]c", "%[...]s" (the byte
 * after it white space, punctuation or the end), or "%%"; never %p. */
static size_t gen_conversion(struct gen_src *s, char *out, bool *is_str)
{
	static const char flags[] = "0+- ", convs[] = "diuxX";
	static const unsigned w[] = { 6, 1, 2, 1 }; /* number, char, string, %% */
	size_t n = 0;
	int kind = WEIGHTED(s, w), nflags = (int)gen_choose(s, 3);

	*is_str = false;
	out[n++] = '%';
	if (kind == 3) {
		out[n++] = '%';
		return n;
	}
	for (int f = 0; f < nflags; f++)
		out[n++] = flags[gen_choose(s, 4)];
	if (gen_coin(s))
		n += (size_t)snprintf(out + n, 4, "%d", 1 + (int)gen_choose(s, 24));
	if (kind == 1) {
		out[n++] = 'c';
	} else if (kind == 2) {
		out[n++] = 's';
		*is_str = true;
	} else {
		int len = (int)gen_choose(s, 3); /* int, long, long long */

		for (int l = 0; l < len; l++)
			out[n++] = 'l';
		out[n++] = convs[gen_choose(s, 5)];
	}
	return n;
}

/* The read-only string map "s" (docs/kernel-paths.md "Strings"): a
 * one-entry array of 16..32 bytes holding NUL-terminated pieces, formats
 * (text and conversions) and plain strings, its last byte a NUL so that
 * any offset is a constant string for bpf_strncmp and a %s; the formats
 * for bpf_snprintf are the offsets bpf_bprintf_prepare takes. */
static void plan_string_map(struct gen *g)
{
	static const unsigned sizes_w[] = { 1, 1, 3 };
	struct gen_src *s = &g->src;
	uint32_t value = 16 + 8 * (uint32_t)WEIGHTED(s, sizes_w);
	uint8_t v[CF_MAP_MAX_VALUE];
	size_t at = 0;
	struct cf_err err;
	struct cf_map *m;

	memset(v, 0, sizeof(v));
	while (at + 1 < value) {
		size_t room = value - 1 - at; /* the piece's NUL has its byte */
		bool format = gen_choose(s, 5) < 3, after_str = false;
		int pieces = 1 + (int)gen_choose(s, 4);

		for (int p = 0; p < pieces; p++) {
			char conv[16];
			bool is_str;
			size_t n;

			if (format && gen_coin(s)) {
				n = gen_conversion(s, conv, &is_str);
				if (n > room)
					break;
				memcpy(v + at, conv, n);
				at += n, room -= n;
				after_str = is_str;
				continue;
			}
			n = 1 + gen_choose(s, 4);
			for (size_t k = 0; k < n && room; k++, room--) {
				uint8_t c = text_byte(s);

				/* after %s: white space or punctuation (prepare's rule) */
				if (after_str && !(c == ' ' || c == '.' || c == ':' || c == '-' || c == ','))
					c = ' ';
				after_str = false;
				v[at++] = c;
			}
		}
		at++; /* the NUL */
		if (gen_choose(s, 8) == 7)
			break;
	}
	m = cf_prog_add_map(g->prog, "s", BPF_MAP_TYPE_ARRAY, 4, value, 1, &err);
	if (m)
		cf_map_set_rdonly(m, v, value, &err);
}

/* ---- tail calls (docs/kernel-paths.md "Tail calls") --------------------- */

/* Which functions may tail call. kernel/bpf/verifier.c
 * check_max_stack_depth_subprog: a subprogram below callers whose frames
 * sum to 256 bytes or more may not (each frame is at most its level's
 * budget, and a chain visits each level once, so the budgets of the levels
 * above bound it); bpf_tail_call_proto's ARG_PTR_TO_CTX: the function
 * holds the ctx (main, or a ctx parameter; checked where it is emitted).
 * In a target, a subprogram tail calls only from level 1 under an entry
 * frame of at most 128 bytes: each of the 33 tail calls of a run may
 * leave the frames above the subprogram on the kernel stack (the
 * kernel's own bound, 33 x 256 bytes, leaves out the JIT's frame
 * overhead), so the generator keeps that growth small. */
static void plan_tail_calls(struct gen *g)
{
	for (int i = 0; i < g->nfuncs; i++) {
		struct func_plan *pl = &g->plan[i];
		int above = 0;

		for (int l = 0; l < pl->level; l++)
			above += g->level_budget[l];
		pl->tail_ok = g->tail_prog && !pl->callback && !pl->global && above < 256;
		if (g->target && pl->level > 0)
			pl->tail_ok = pl->tail_ok && pl->level == 1 && g->level_budget[0] <= 128;
	}
	/* decided here, where bytes may be left: the entry (3 in 4, and
	 * always once the bytes run out: a tail-call program tail calls) or a
	 * subprogram (1 in 2) ends with a tail call (out of bytes, its index
	 * is the first filled entry) */
	for (int i = 0; i < g->nfuncs; i++)
		g->plan[i].end_tail = g->plan[i].tail_ok && (i ? gen_coin(&g->src) : gen_choose(&g->src, 4) != 3);
}

/* The prog array `jt` (1..8 entries) and 1..3 targets: each entry holds a
 * target (now and then the same one twice) or stays empty. */
static void plan_prog_array(struct gen *g)
{
	struct gen_src *s = &g->src;
	int entries = 1 + (int)gen_choose(s, CF_MAP_MAX_ENTRIES), ntails = 1 + (int)gen_choose(s, 3);
	struct cf_map *m;
	struct cf_err err;

	m = cf_prog_add_map(g->prog, "jt", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, (uint32_t)entries, &err);
	if (!m)
		return; /* cannot happen: plan_maps leaves room */
	g->jt = g->prog->nmaps - 1;
	for (int e = 0; e < entries; e++)
		m->tail_slot[e] = gen_choose(s, 4) == 3 ? 0 : (uint8_t)(1 + gen_choose(s, (uint64_t)ntails));
	m->tail_slot[gen_choose(s, (uint64_t)entries)] = 1; /* target 0 is in the array */
	for (int k = 0; k < ntails; k++)
		cf_prog_add_tail(g->prog);
}

/* bpf_tail_call(ctx, &jt, index), the attempt counted first: a u64 of
 * ctx (a raw tracepoint: of `obs`) becomes x * prime + tag ^ accumulator,
 * so that the number and order of the runs of each function along a chain
 * of tail calls shows (a JIT that allows one tail call too many, or
 * restarts the count in a subprogram, runs a target once more). The index:
 * mostly a constant entry (a direct tail call on x86-64, poked into the
 * code), now and then an index past max_entries, one whose u32 is an
 * entry but whose u64 is not, or a scalar of the function masked to 0..7
 * (the indirect tail call). After it r0..r5 are dead (RET_VOID); a taken
 * tail call in a subprogram returns the target's r0 to the caller, one
 * more way out of the function for the checker to walk. */
static void stmt_tail_call(struct fgen *fg)
{
	const struct cf_prog *p = fg->g->prog;
	const struct cf_map *jt = &p->maps[fg->g->jt];
	static const unsigned w[] = { 6, 2, 1, 1, 3 }; /* filled entry, any entry, past the end, u32 wrap, scalar */
	int tag = (fg->fi << 8) | (fg->g->tail_sites++ & 0xff), kind, src, off;
	uint32_t e;

	if (fg->cost + fg->loop_mult * fg->paths * 16 > COST_CAP)
		return;
	/* the count of attempts */
	if (p->prog_type == CF_PROG_RAW_TP) {
		off = 8 * (int)gen_choose(fg->s, CF_MAP_MAX_VALUE / 8);
		emit_map_ldimm64(fg, BPF_REG_1, p->nmaps - 1, true, 0);
	} else {
		off = 8 * (int)gen_choose(fg->s, CF_CTX_SIZE / 8);
		emit_ldx(fg, BPF_DW, BPF_REG_1, BPF_REG_10, fg->ctx_slot);
	}
	emit_ldx(fg, BPF_DW, BPF_REG_2, BPF_REG_1, off);
	emit(fg, cf_insn(BPF_ALU64 | BPF_MUL | BPF_K, BPF_REG_2, 0, 0, FOLD_PRIME));
	emit(fg, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, tag));
	emit_ldx(fg, BPF_DW, BPF_REG_3, BPF_REG_10, ACC_OFF);
	emit(fg, cf_insn(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_2, BPF_REG_3, 0, 0));
	emit_stx(fg, BPF_DW, BPF_REG_1, BPF_REG_2, off);
	fg->st.reg[BPF_REG_1] = REG_UNINIT;
	fg->st.reg[BPF_REG_2] = fg->st.reg[BPF_REG_3] = REG_SCALAR;
	/* r3: the index, before r1 and r2 are set */
	kind = WEIGHTED(fg->s, w);
	e = (uint32_t)gen_choose(fg->s, jt->max_entries);
	if (kind == 0) {
		for (uint32_t k = 0; k < jt->max_entries && !jt->tail_slot[e]; k++)
			e = (e + 1) % jt->max_entries;
	}
	switch (kind) {
	case 0:
	case 1:
		emit_mov_imm(fg, BPF_REG_3, (int32_t)e);
		break;
	case 2:
		emit_mov_imm(fg, BPF_REG_3, gen_coin(fg->s) ? (int32_t)jt->max_entries : -1);
		break;
	case 3:
		emit_ldimm64(fg, BPF_REG_3, (uint64_t)(1 + gen_choose(fg->s, 3)) << 32 | e);
		break;
	default:
		src = pick_reg(fg, REGS_ALL, true);
		if (src < 0) {
			emit_mov_imm(fg, BPF_REG_3, (int32_t)e);
			break;
		}
		if (src != BPF_REG_3)
			emit(fg, cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, src, 0, 0));
		if (gen_choose(fg->s, 4))
			emit(fg, cf_insn(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_3, 0, 0, 7));
		break;
	}
	emit_ldx(fg, BPF_DW, BPF_REG_1, BPF_REG_10, fg->ctx_slot);
	emit_map_ldimm64(fg, BPF_REG_2, fg->g->jt, false, 0);
	emit_call(fg, 0, CF_KHELPER_TAIL_CALL);
	fg->st.reg[BPF_REG_0] = REG_UNINIT; /* RET_VOID */
	if (fg->fi)
		fg->tail_exits += fg->paths;
}

static void plan_program(struct gen *g)
{
	struct gen_src *s = &g->src;
	const struct gen_opts *o = g->o;
	int maxlevel = 0, fixed = 0;

	/* docs/kernel-paths.md "Tail calls": one kernel-profile program in
	 * four with maps on a 7.2 kernel tail calls; its targets too */
	g->tail_prog = g->target || (o->maps && o->kernel_paths && o->profile == GEN_PROFILE_KERNEL &&
				     gen_choose(s, 4) == 3);
	g->nfuncs = 1 + (int)gen_choose(s, o->max_funcs);
	/* Call tree: a parent at a lower level. Favouring the previous function
	 * makes chains, hence depth (max_frames frames: levels 0..max_frames-1). */
	for (int i = 1; i < g->nfuncs; i++) {
		struct func_plan *pl = &g->plan[i];
		int cand[GEN_MAX_FUNCS], n = 0, parent;

		for (int k = 0; k < i; k++)
			if (g->plan[k].level < o->max_frames - 1)
				cand[n++] = k;
		if (g->plan[i - 1].level < o->max_frames - 1 && gen_choose(s, 4) != 3)
			parent = i - 1;
		else
			parent = cand[gen_choose(s, n)];
		pl->parent = parent;
		pl->level = g->plan[parent].level + 1;
		if (pl->level > maxlevel)
			maxlevel = pl->level;
	}
	/* Stack: one budget per level, multiples of 32 (the kernel rounds each
	 * frame of a chain up to 32 at most), summing to at most 512; a chain
	 * visits each level once, so any chain fits CF_STACK_MAX. Units not
	 * handed out leave the chain below the limit. */
	int units = CF_STACK_MAX / 32 - (maxlevel + 1);

	for (int l = 0; l <= maxlevel; l++)
		g->level_budget[l] = 32;
	for (int u = 0; u < units; u++) {
		if (gen_choose(s, 8) == 7)
			continue; /* left unused */
		g->level_budget[gen_choose(s, maxlevel + 1)] += 32;
	}
	for (int i = 0; i < g->nfuncs; i++) {
		struct func_plan *pl = &g->plan[i];
		int budget = g->level_budget[pl->level];
		static const unsigned w[] = { 3, 2, 1 }; /* full budget, any, small */

		switch (WEIGHTED(s, w)) {
		case 0: pl->frame_size = budget; break;
		case 1: pl->frame_size = 8 * (1 + (int)gen_choose(s, budget / 8)); break;
		default: pl->frame_size = 8 * (1 + (int)gen_choose(s, 4)); break;
		}
		if (i == 0 && pl->frame_size < 16)
			pl->frame_size = 16; /* accumulator and ctx slot */
	}
	/* Signatures. */
	g->plan[0].nargs = 1; /* main(ctx) */
	for (int i = 1; i < g->nfuncs; i++) {
		struct func_plan *pl = &g->plan[i], *par = &g->plan[pl->parent];
		unsigned w[CF_MAX_ARGS + 1];
		int par_data = par->frame_size - 8 * (1 + par->nptr + (pl->parent == 0));
		int par_fwd = 0;
		bool par_ctx = pl->parent == 0;

		for (int a = 0; a < par->nargs && pl->parent; a++) {
			if (par->kind[a] == PARAM_PTR_CTX)
				par_ctx = true;
			if (par->kind[a] == PARAM_PTR_STACK && par->ptr_len[a] > par_fwd)
				par_fwd = par->ptr_len[a];
		}
		/* kernel/bpf/verifier.c check_max_stack_depth_subprog: "tail_calls
		 * are not allowed in programs with stack args" (a tail-call
		 * program keeps to 5 arguments everywhere) */
		for (int n = 0; n <= CF_MAX_ARGS; n++)
			w[n] = n <= o->max_args && (!g->tail_prog || n <= CF_MAX_REG_ARGS) ? nargs_weights[n] : 0;
		pl->nargs = gen_weighted(s, w, CF_MAX_ARGS + 1);
		/* docs/kernel-paths.md "Callbacks": bpf_loop's callback takes
		 * (index, ctx), ctx 8 bytes of its parent's data area (not in a
		 * tail-call program: "cannot tail call within callback") */
		if (o->kernel_paths && !g->tail_prog && par_data >= 8 && gen_choose(s, 5) == 0) {
			pl->callback = true;
			pl->nargs = 2;
			pl->kind[0] = PARAM_SCALAR;
			pl->kind[1] = PARAM_PTR_STACK;
			pl->ptr_len[1] = 8;
			pl->nptr = 1;
			continue;
		}
		/* stack-args.md 2.8: global functions keep the 5-argument limit;
		 * they take scalars only (the BTF of a global func types them). */
		pl->global = pl->nargs <= CF_MAX_REG_ARGS && gen_choose(s, 8) == 7;
		for (int a = 0; a < pl->nargs; a++) {
			static const unsigned kw[] = { 10, 2, 1 };
			int kind = pl->global ? PARAM_SCALAR : WEIGHTED(s, kw);
			int avail = par_data > par_fwd ? par_data : par_fwd;

			if (pl->nptr >= MAX_PTR_PARAMS || 16 + 8 * pl->nptr > pl->frame_size)
				kind = PARAM_SCALAR;
			/* a tail call needs the ctx (ARG_PTR_TO_CTX): a
			 * tail-call program hands it down more often */
			if (g->tail_prog && a == 0 && !pl->global && par_ctx && pl->frame_size >= 16 && gen_coin(s))
				kind = PARAM_PTR_CTX;
			if (kind == PARAM_PTR_CTX && !par_ctx)
				kind = PARAM_PTR_STACK;
			if (kind == PARAM_PTR_STACK) {
				static const int lens[] = { 8, 16, 24, 32, 48, 64 };
				int n = 0;

				while (n < ARRAY_LEN(lens) && lens[n] <= avail)
					n++;
				if (!n)
					kind = PARAM_SCALAR;
				else
					pl->ptr_len[a] = (uint8_t)lens[gen_choose(s, n)];
			}
			pl->kind[a] = (uint8_t)kind;
			if (kind != PARAM_SCALAR)
				pl->nptr++;
		}
	}
	/* The work share: what is left of max_insns after the fixed parts
	 * (prologue folds, entry traces, epilogue, the required calls). */
	for (int i = 0; i < g->nfuncs; i++) {
		const struct func_plan *pl = &g->plan[i];

		fixed += 8 + 3 * pl->nargs + 4 * ((pl->nargs + 3) / 4);
		if (i)
			fixed += 10 + pl->nargs + pl->nargs / 2;
	}
	g->work_share = (o->max_insns - fixed) / g->nfuncs;
	if (g->work_share < 24)
		g->work_share = 24;
	plan_tail_calls(g);
	if (g->target)
		return; /* a target has its program's maps and type */
	if (o->maps && o->profile == GEN_PROFILE_KERNEL)
		plan_maps(g);
	/* 7.2's string helpers take a read-only map's string: room for it, for
	 * a tail-call program's prog array and for a raw tracepoint's `obs` */
	if (o->maps && o->kernel_paths && o->profile == GEN_PROFILE_KERNEL &&
	    g->prog->nmaps < CF_MAX_MAPS - 1 - (g->tail_prog ? 1 : 0) && gen_choose(&g->src, 4) != 0)
		plan_string_map(g);
	if (g->tail_prog)
		plan_prog_array(g);
	if (o->raw_tp && o->maps && o->profile == GEN_PROFILE_KERNEL && gen_choose(&g->src, 3) == 2) {
		/* a RAW_TRACEPOINT program: its observations go to `obs`, the
		 * last map; frames of 64 bytes or more get 7.2's private stack */
		struct cf_err err;

		g->prog->prog_type = CF_PROG_RAW_TP;
		cf_prog_add_map(g->prog, "obs", BPF_MAP_TYPE_ARRAY, 4, CF_MAP_MAX_VALUE, 1, &err);
	}
}

void gen_opts_default(struct gen_opts *o)
{
	o->profile = GEN_PROFILE_MODEL;
	o->max_args = CF_MAX_ARGS;
	o->max_funcs = 10;
	o->max_insns = 400;
	o->maps = false;
	o->raw_tp = false;
	o->max_frames = CF_MODEL_MAX_FRAMES;
	o->kernel_paths = false;
	o->kfuncs = false;
}

/* The functions of g's program, named main, f1, f2... (a target: t0,
 * t0f1...), generated callees first: a caller knows what each call costs. */
static void gen_bodies(struct gen *g, const char *prefix)
{
	for (int i = 0; i < g->nfuncs; i++) {
		char name[CF_NAME_MAX];

		if (i)
			snprintf(name, sizeof(name), "%sf%d", prefix, i);
		else
			snprintf(name, sizeof(name), "%s", prefix[0] ? prefix : "main");
		cf_prog_add_func(g->prog, name, g->plan[i].nargs, g->plan[i].global);
	}
	for (int i = g->nfuncs - 1; i >= 0; i--)
		gen_func(g, i);
}

int gen_program(const uint8_t *data, size_t len, const struct gen_opts *o, struct cf_prog *out,
		struct cf_err *err)
{
	struct gen *g;
	struct gen_opts def;

	cf_prog_init(out);
	if (!o) {
		gen_opts_default(&def);
		o = &def;
	}
	if (o->max_args < 0 || o->max_args > CF_MAX_ARGS) {
		cf_err_set(err, "max_args %d: a function takes 0..%d arguments", o->max_args, CF_MAX_ARGS);
		return -1;
	}
	if (o->max_funcs < 1 || o->max_funcs > GEN_MAX_FUNCS) {
		cf_err_set(err, "max_funcs %d: expected 1..%d", o->max_funcs, GEN_MAX_FUNCS);
		return -1;
	}
	if (o->max_insns < 16 || o->max_insns > CF_MAX_INSNS / 4) {
		cf_err_set(err, "max_insns %d: expected 16..%d", o->max_insns, CF_MAX_INSNS / 4);
		return -1;
	}
	if (o->max_frames < 1 || o->max_frames > CF_MAX_FRAMES) {
		cf_err_set(err, "max_frames %d: expected 1..%d", o->max_frames, CF_MAX_FRAMES);
		return -1;
	}
	if (o->profile != GEN_PROFILE_MODEL && o->profile != GEN_PROFILE_KERNEL) {
		cf_err_set(err, "unknown generator profile %d", (int)o->profile);
		return -1;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		cf_err_set(err, "out of memory");
		return -1;
	}
	g->src.data = data;
	g->src.len = data ? len : 0;
	g->o = o;
	g->prog = out;
	g->jt = -1;
	plan_program(g);
	/* the tail-call targets (docs/kernel-paths.md "Tail calls"): programs
	 * of their own from the same bytes, smaller, with the program's maps
	 * and type, which may tail call back into the array; made before the
	 * program's bodies, so that a short input still gives them some */
	for (int k = 0; k < out->ntails; k++) {
		struct gen *t = calloc(1, sizeof(*t));
		struct gen_opts to = *o;
		char prefix[16];

		if (!t) {
			free(g);
			cf_prog_free(out);
			cf_err_set(err, "out of memory");
			return -1;
		}
		to.max_funcs = o->max_funcs < 4 ? o->max_funcs : 4;
		to.max_insns = o->max_insns / 2 < 16 ? 16 : o->max_insns / 2;
		cf_prog_sync_tails(out);
		t->src = g->src;
		t->o = &to;
		t->prog = &out->tails[k];
		t->target = true;
		t->jt = g->jt;
		t->canary = g->canary;
		t->tail_sites = g->tail_sites;
		plan_program(t);
		snprintf(prefix, sizeof(prefix), "t%d", k);
		gen_bodies(t, prefix);
		g->src = t->src;
		g->canary = t->canary;
		g->tail_sites = t->tail_sites;
		free(t);
	}
	gen_bodies(g, "");
	cf_prog_sync_tails(out);
	free(g);
	return 0;
}

/* ---- bytes of a seed ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

size_t gen_bytes_from_seed(uint64_t seed, long fixed_len, uint8_t *buf, size_t cap)
{
	uint64_t state = seed * 0x100000001b3ull;
	size_t len;

	splitmix64(&state);
	if (fixed_len >= 0) {
		len = (size_t)fixed_len;
	} else {
		/* log-uniform: 2^0..2^13 equally likely scales (GEN_SEED_MAX_LEN) */
		unsigned bits = (unsigned)(splitmix64(&state) % 14);

		len = (size_t)(splitmix64(&state) % ((uint64_t)1 << bits));
	}
	if (len > cap)
		len = cap;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(&state);

		for (size_t k = 0; k < 8 && i + k < len; k++)
			buf[i + k] = (uint8_t)(v >> (8 * k));
	}
	return len;
}

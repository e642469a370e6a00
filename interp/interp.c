/* interp/interp.c: the reference interpreter (see interp.h).
 *
 * Two stages. interp_prepare() flattens the program into one array of
 * decoded instructions (jump targets as absolute indices, calls resolved,
 * stack-argument forms and invalid encodings turned into internal opcodes),
 * so that execution is one loop and one switch on the opcode byte, with the
 * semantics of each opcode on a line or two and every edge case (division by
 * zero, shift masking, 32-bit zero extension, ...) visible where it happens.
 *
 * Sources of the semantics: the kernel's instruction-set document
 * (Documentation/bpf/standardization/instruction-set.rst), the kernel
 * interpreter's definitions (kernel/bpf/core.c), and docs/stack-args.md for
 * r11. Written independently of jit/ (the oracle must not agree with itself).
 */
#include "interp/interp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "harness/env/env.h"

/* ISA constants newer than Debian 12's uapi header. */
#ifndef BPF_LOAD_ACQ
#define BPF_LOAD_ACQ 0x100
#endif
#ifndef BPF_STORE_REL
#define BPF_STORE_REL 0x110
#endif

/* Internal opcodes. They reuse byte values of the classic LD_ABS / LD_IND
 * encodings and of LD_IMM with sizes other than DW, which no program of
 * this project contains (prepare rewrites any such input to OP_INVALID), so
 * the execution loop still switches on one opcode byte. */
enum {
	OP_INVALID = BPF_LD | BPF_IMM | BPF_W,    /* 0x00: fault, reason in arg */
	OP_ARG_LOAD = BPF_LD | BPF_ABS | BPF_W,    /* 0x20: dst = incoming slot arg */
	OP_ARG_STORE_X = BPF_LD | BPF_ABS | BPF_H, /* 0x28: outgoing slot arg = src */
	OP_ARG_STORE_K = BPF_LD | BPF_ABS | BPF_B, /* 0x30: outgoing slot arg = imm */
	OP_CALL_FUNC = BPF_LD | BPF_IND | BPF_W,   /* 0x40: BPF-to-BPF call of func arg */
	OP_CALL_ENV = BPF_LD | BPF_IND | BPF_H,    /* 0x48: helper/kfunc cf_callees[imm] */
	OP_FELL_OFF = BPF_LD | BPF_IND | BPF_B,    /* 0x50: past the end of a function */
};

/* A decoded slot. `arg` depends on the opcode: the memory offset of loads,
 * stores and atomics; the absolute target index of jumps; the stack-argument
 * slot number (1..7) of the r11 forms; the callee function of OP_CALL_FUNC;
 * the width of MOV/MOVSX (64 or 8/16/32; 32 or 8/16 for ALU32); 1 for
 * SDIV/SMOD; the reason index of OP_INVALID. */
struct pinsn {
	uint8_t code;
	uint8_t dst;
	uint8_t src;
	uint8_t pad;
	int32_t arg;
	uint64_t imm; /* imm sign-extended to 64 bits; the LD_IMM64 value; the callee index */
};

/* The program and its tail-call targets (docs/kernel-paths.md "Tail
 * calls") are flattened together: function indexes here are the image's,
 * the program's functions first, then each target's. */
struct interp_image {
	const struct cf_prog *prog; /* the program: maps, type, ctx */
	struct pinsn *insns;
	int ninsns;
	int nfuncs;
	int *func_start; /* index of each function's slot 0; [nfuncs] = ninsns */
	const struct cf_func **funcs;   /* each function, for names */
	const struct cf_prog **func_prog; /* and the program it belongs to */
	int *func_local;                /* its index there */
	int tail_entry[CF_MAX_TAILS];   /* image index of each target's entry */
};

/* Reasons of OP_INVALID, indexed by pinsn.arg. */
enum {
	BAD_OPCODE,
	BAD_REG,
	BAD_R11,
	BAD_R10_WRITE,
	BAD_JUMP,
	BAD_LDIMM64_HALF,
	BAD_LDIMM64_SRC,
	BAD_CALL_FUNC,
	BAD_CALLEE,
	BAD_ATOMIC,
	BAD_OFF,
	BAD_END_IMM,
};

static const char *const invalid_reason[] = {
	[BAD_OPCODE] = "unknown opcode",
	[BAD_REG] = "invalid register (r0..r10, and r11 only in stack-argument forms)",
	[BAD_R11] = ("R11 is invalid (stack-args.md 1: only *(u64 *)(r11 - 8k) = r/imm and "
		     "r = *(u64 *)(r11 + 8k), k = 1..7)"),
	[BAD_R10_WRITE] = "frame pointer is read only",
	[BAD_JUMP] = "jump out of the function",
	[BAD_LDIMM64_HALF] = "jump into the middle of ld_imm64, or ld_imm64 lacks its second half",
	[BAD_LDIMM64_SRC] = "ld_imm64 with a pseudo source other than a declared map (or its value) or a function is not supported",
	[BAD_CALL_FUNC] = "call of a function that does not exist",
	[BAD_CALLEE] = "call of a helper or kfunc that is not in the call table",
	[BAD_ATOMIC] = "invalid atomic operation",
	[BAD_OFF] = "reserved field (off/imm/src) not zero, or invalid for this opcode",
	[BAD_END_IMM] = "byte swap width must be 16, 32 or 64",
};

/* ---- maps: addresses ------------------------------------------------- */

/* Map m's window: entry e's value at + e * INTERP_MAP_ENTRY_STRIDE, the
 * handle (what `r1 = map[m] ll` loads) at the window's end. */
static uint64_t map_value_addr(int m, int e)
{
	return INTERP_MAP_ADDR + (uint64_t)m * INTERP_MAP_STRIDE + (uint64_t)e * INTERP_MAP_ENTRY_STRIDE;
}

static uint64_t map_handle_addr(int m)
{
	return INTERP_MAP_ADDR + (uint64_t)(m + 1) * INTERP_MAP_STRIDE - 8;
}

/* ---- prepare ---------------------------------------------------------- */

static struct pinsn invalid(int reason)
{
	struct pinsn pi = { .code = OP_INVALID, .arg = reason };
	return pi;
}

static bool alu_valid(const struct bpf_insn *in)
{
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
	bool x = BPF_SRC(in->code) == BPF_X;

	switch (BPF_OP(in->code)) {
	case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_OR: case BPF_AND:
	case BPF_LSH: case BPF_RSH: case BPF_XOR: case BPF_ARSH:
		return in->off == 0 && (!x || in->imm == 0);
	case BPF_DIV: case BPF_MOD:
		/* off 1: SDIV/SMOD (ISA v4) */
		return (in->off == 0 || in->off == 1) && (!x || in->imm == 0);
	case BPF_NEG:
		return !x && in->off == 0 && in->imm == 0 && in->src_reg == 0;
	case BPF_MOV:
		if (!x)
			return in->off == 0 && in->src_reg == 0;
		/* MOVSX: off 8/16 (ALU32) or 8/16/32 (ALU64) */
		return in->imm == 0 && (in->off == 0 || in->off == 8 || in->off == 16 || (is64 && in->off == 32));
	case BPF_END:
		/* ALU64|END is BSWAP and has only the TO_LE encoding */
		return in->off == 0 && in->src_reg == 0 && (!is64 || !x);
	default:
		return false;
	}
}

static bool atomic_op_valid(int32_t imm, int size)
{
	switch (imm) {
	case BPF_ADD: case BPF_AND: case BPF_OR: case BPF_XOR:
	case BPF_ADD | BPF_FETCH: case BPF_AND | BPF_FETCH: case BPF_OR | BPF_FETCH:
	case BPF_XOR | BPF_FETCH: case BPF_XCHG: case BPF_CMPXCHG:
		return size == BPF_W || size == BPF_DW;
	case BPF_LOAD_ACQ: case BPF_STORE_REL:
		return true;
	default:
		return false;
	}
}

/* Decode slot pc of function fi of p (whose slot 0 is at image index base;
 * p's function 0 is the image's function func_base). */
static struct pinsn decode(const struct cf_prog *p, int fi, int pc, int base, int func_base)
{
	const struct cf_func *f = &p->funcs[fi];
	const struct bpf_insn *in = &f->insns[pc];
	struct pinsn pi = { .code = in->code, .dst = in->dst_reg, .src = in->src_reg,
			    .arg = in->off, .imm = (uint64_t)(int64_t)in->imm };
	uint8_t cls = BPF_CLASS(in->code);
	bool uses_r11 = in->dst_reg == BPF_REG_PARAMS || in->src_reg == BPF_REG_PARAMS;

	if (in->dst_reg > BPF_REG_PARAMS || in->src_reg > BPF_REG_PARAMS)
		return invalid(BAD_REG);

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (uses_r11)
			return invalid(BAD_R11);
		if (!alu_valid(in))
			return invalid(BAD_OFF);
		if (in->dst_reg == BPF_REG_10)
			return invalid(BAD_R10_WRITE);
		if (BPF_OP(in->code) == BPF_END && in->imm != 16 && in->imm != 32 && in->imm != 64)
			return invalid(BAD_END_IMM);
		if (BPF_OP(in->code) == BPF_MOV && BPF_SRC(in->code) == BPF_X)
			pi.arg = in->off ? in->off : (cls == BPF_ALU64 ? 64 : 32);
		return pi;

	case BPF_JMP:
	case BPF_JMP32: {
		uint8_t op = BPF_OP(in->code);
		long target;

		if (op == BPF_CALL || op == BPF_EXIT) {
			if (cls == BPF_JMP32 || BPF_SRC(in->code) != BPF_K || in->dst_reg || in->off)
				return invalid(BAD_OFF);
			if (op == BPF_EXIT)
				return in->src_reg || in->imm ? invalid(BAD_OFF) : pi;
			if (in->src_reg == BPF_PSEUDO_CALL) {
				if (in->imm < 0 || in->imm >= p->nfuncs)
					return invalid(BAD_CALL_FUNC);
				pi.code = OP_CALL_FUNC;
				pi.arg = func_base + in->imm;
				return pi;
			}
			if (in->src_reg == 0 || in->src_reg == BPF_PSEUDO_KFUNC_CALL) {
				const struct cf_callee *c = cf_callee_find(in->src_reg != 0, in->imm);

				if (!c)
					return invalid(BAD_CALLEE);
				pi.code = OP_CALL_ENV;
				pi.imm = (uint64_t)cf_callee_index(c);
				return pi;
			}
			return invalid(BAD_CALLEE);
		}
		if (uses_r11)
			return invalid(BAD_R11);
		if (in->code == CF_MAY_GOTO) {
			if (in->src_reg || in->dst_reg || in->imm)
				return invalid(BAD_OFF);
			target = pc + 1 + in->off;
		} else if (op == BPF_JA) {
			/* gotol: JMP32|JA takes its offset from imm */
			if (BPF_SRC(in->code) != BPF_K || in->dst_reg || in->src_reg ||
			    (cls == BPF_JMP ? in->imm != 0 : in->off != 0))
				return invalid(BAD_OFF);
			target = pc + 1 + (cls == BPF_JMP32 ? (long)in->imm : (long)in->off);
		} else {
			if (op > BPF_JSLE || (BPF_SRC(in->code) == BPF_X && in->imm))
				return invalid(BAD_OFF);
			target = pc + 1 + in->off;
		}
		/* a target inside an ld_imm64 lands on its second half, which
		 * prepare turns into OP_INVALID */
		if (target < 0 || target >= f->ninsns)
			return invalid(BAD_JUMP);
		pi.arg = (int32_t)(base + target);
		return pi;
	}

	case BPF_LD:
		if (!cf_insn_is_ldimm64(in))
			return invalid(BAD_OPCODE);
		if (pc + 1 >= f->ninsns)
			return invalid(BAD_LDIMM64_HALF);
		if (in->dst_reg >= BPF_REG_10)
			return invalid(in->dst_reg == BPF_REG_10 ? BAD_R10_WRITE : BAD_REG);
		if (in->src_reg == BPF_PSEUDO_MAP_IDX || in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
			/* a map is the address of its handle; a direct value
			 * (one-entry array) the address of entry 0 plus off */
			int32_t off = f->insns[pc + 1].imm;

			if (in->imm < 0 || in->imm >= p->nmaps || off < 0 ||
			    (in->src_reg == BPF_PSEUDO_MAP_IDX && off) ||
			    (in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE && (uint32_t)off >= p->maps[in->imm].value_size))
				return invalid(BAD_LDIMM64_SRC);
			pi.imm = in->src_reg == BPF_PSEUDO_MAP_IDX ? map_handle_addr(in->imm)
								   : map_value_addr(in->imm, 0) + (uint64_t)off;
			return pi;
		}
		if (in->src_reg != 0 && (in->src_reg != BPF_PSEUDO_FUNC || in->imm < 0 || in->imm >= p->nfuncs))
			return invalid(BAD_LDIMM64_SRC);
		pi.imm = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)f->insns[pc + 1].imm << 32;
		if (in->src_reg == BPF_PSEUDO_FUNC)
			pi.imm = INTERP_FUNC_ADDR(func_base + in->imm);
		return pi;

	case BPF_LDX:
		if (in->dst_reg == BPF_REG_10)
			return invalid(BAD_R10_WRITE);
		if (in->src_reg == BPF_REG_PARAMS) {
			/* stack-args.md 1: incoming slot k at r11 + 8k */
			if (in->code != (BPF_LDX | BPF_MEM | BPF_DW) || in->dst_reg == BPF_REG_PARAMS ||
			    in->off <= 0 || in->off % 8 || in->off / 8 > CF_MAX_STACK_ARGS)
				return invalid(BAD_R11);
			pi.code = OP_ARG_LOAD;
			pi.arg = in->off / 8;
			return pi;
		}
		if (in->dst_reg == BPF_REG_PARAMS)
			return invalid(BAD_R11);
		if (in->imm)
			return invalid(BAD_OFF);
		if (BPF_MODE(in->code) == BPF_MEM || (BPF_MODE(in->code) == BPF_MEMSX && BPF_SIZE(in->code) != BPF_DW))
			return pi;
		return invalid(BAD_OPCODE);

	case BPF_ST:
	case BPF_STX:
		if (in->dst_reg == BPF_REG_PARAMS) {
			/* stack-args.md 1: outgoing slot k at r11 - 8k */
			if (BPF_MODE(in->code) != BPF_MEM || BPF_SIZE(in->code) != BPF_DW ||
			    in->src_reg == BPF_REG_PARAMS || in->off >= 0 || in->off % 8 ||
			    -in->off / 8 > CF_MAX_STACK_ARGS)
				return invalid(BAD_R11);
			pi.code = cls == BPF_ST ? OP_ARG_STORE_K : OP_ARG_STORE_X;
			pi.arg = -in->off / 8;
			return pi;
		}
		if (in->src_reg == BPF_REG_PARAMS)
			return invalid(BAD_R11);
		if (cls == BPF_ST)
			return BPF_MODE(in->code) == BPF_MEM && in->src_reg == 0 ? pi : invalid(BAD_OPCODE);
		if (BPF_MODE(in->code) == BPF_MEM)
			return in->imm ? invalid(BAD_OFF) : pi;
		if (BPF_MODE(in->code) != BPF_ATOMIC)
			return invalid(BAD_OPCODE);
		if (!atomic_op_valid(in->imm, BPF_SIZE(in->code)))
			return invalid(BAD_ATOMIC);
		/* the fetch forms and load-acquire write a register */
		if ((in->imm & BPF_FETCH || in->imm == BPF_LOAD_ACQ) &&
		    (in->imm == BPF_LOAD_ACQ ? in->dst_reg : in->src_reg) == BPF_REG_10)
			return invalid(BAD_R10_WRITE);
		return pi;
	}
	return invalid(BAD_OPCODE);
}

/* Program q of the image: p itself (0), then its tail-call targets. */
static const struct cf_prog *image_prog(const struct cf_prog *p, int q)
{
	return q ? &p->tails[q - 1] : p;
}

struct interp_image *interp_prepare(const struct cf_prog *p, struct cf_err *err)
{
	struct interp_image *img;
	long total = 0;
	int nfuncs = 0;

	if (!p || p->nfuncs < 1) {
		cf_err_set(err, "program has no functions");
		return NULL;
	}
	if (p->ntails < 0 || p->ntails > CF_MAX_TAILS) {
		cf_err_set(err, "%d tail-call targets (at most %d)", p->ntails, CF_MAX_TAILS);
		return NULL;
	}
	for (int q = 0; q <= p->ntails; q++) {
		const struct cf_prog *pq = image_prog(p, q);

		if (pq->nfuncs < 1) {
			cf_err_set(err, "tail program %d has no functions", q - 1);
			return NULL;
		}
		for (int fi = 0; fi < pq->nfuncs; fi++) {
			if (pq->funcs[fi].nargs < 0 || pq->funcs[fi].nargs > CF_MAX_ARGS) {
				cf_err_set(err, "func %s takes %d args (expected 0..%d)", pq->funcs[fi].name,
					   pq->funcs[fi].nargs, CF_MAX_ARGS);
				return NULL;
			}
			total += pq->funcs[fi].ninsns + 1; /* + OP_FELL_OFF sentinel */
		}
		nfuncs += pq->nfuncs;
	}
	if (total > (long)(CF_MAX_INSNS + CF_MAX_FUNCS) * (1 + p->ntails)) {
		cf_err_set(err, "program has %ld instructions (at most %d)", total, CF_MAX_INSNS);
		return NULL;
	}
	img = calloc(1, sizeof(*img));
	if (!img)
		goto oom;
	img->prog = p;
	img->nfuncs = nfuncs;
	img->ninsns = (int)total;
	img->insns = calloc((size_t)total, sizeof(*img->insns));
	img->func_start = calloc((size_t)nfuncs + 1, sizeof(int));
	img->funcs = calloc((size_t)nfuncs, sizeof(*img->funcs));
	img->func_prog = calloc((size_t)nfuncs, sizeof(*img->func_prog));
	img->func_local = calloc((size_t)nfuncs, sizeof(*img->func_local));
	if (!img->insns || !img->func_start || !img->funcs || !img->func_prog || !img->func_local)
		goto oom;
	for (int q = 0, g = 0, at = 0; q <= p->ntails; q++) {
		const struct cf_prog *pq = image_prog(p, q);

		if (q)
			img->tail_entry[q - 1] = g;
		for (int fi = 0; fi < pq->nfuncs; fi++, g++) {
			img->func_start[g] = at;
			img->funcs[g] = &pq->funcs[fi];
			img->func_prog[g] = pq;
			img->func_local[g] = fi;
			at += pq->funcs[fi].ninsns + 1;
		}
		img->func_start[nfuncs] = at;
	}
	for (int g = 0; g < nfuncs; g++) {
		const struct cf_func *f = img->funcs[g];
		int base = img->func_start[g];

		for (int pc = 0; pc < f->ninsns; pc++) {
			img->insns[base + pc] =
				decode(img->func_prog[g], img->func_local[g], pc, base, g - img->func_local[g]);
			if (cf_insn_is_ldimm64(&f->insns[pc]) && pc + 1 < f->ninsns)
				img->insns[base + ++pc] = invalid(BAD_LDIMM64_HALF);
		}
		img->insns[base + f->ninsns].code = OP_FELL_OFF;
	}
	return img;
oom:
	interp_image_free(img);
	cf_err_set(err, "out of memory");
	return NULL;
}

void interp_image_free(struct interp_image *img)
{
	if (!img)
		return;
	free(img->insns);
	free(img->func_start);
	free(img->funcs);
	free(img->func_prog);
	free(img->func_local);
	free(img);
}

void interp_opts_default(struct interp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->insn_budget = 1000000;
}

/* ---- execution state -------------------------------------------------- */

#define MAY_GOTO_TIMED_LOOPS 0xffff /* BPF_MAX_TIMED_LOOPS, include/linux/bpf.h */

struct frame {
	int func;
	long ret_pc;              /* where the caller resumes */
	uint64_t caller_regs[5];  /* the caller's r6..r10, restored at exit */
	/* stack-args.md 3: slot k (1..7) is argument 5 + k; bit k-1 of a mask
	 * says the slot holds a value that may be read */
	uint64_t in_slot[CF_MAX_STACK_ARGS];
	uint64_t out_slot[CF_MAX_STACK_ARGS];
	unsigned in_valid, out_valid;
	/* may_goto (kernel/bpf/fixups.c, timed variant of arm64 and x86-64):
	 * the frame's count starts at BPF_MAX_TIMED_LOOPS; the first time it
	 * runs out the kernel stamps the time and refills it */
	uint32_t may_goto_count;
	bool may_goto_stamped;
	/* a bpf_loop callback (kernel/bpf/bpf_iter.c): its index, the loop's
	 * count and callback_ctx, re-entered from the helper until done */
	bool is_callback;
	uint32_t cb_index, cb_count;
	uint64_t cb_ctx;
	uint8_t stack[CF_STACK_MAX];
	uint8_t written[CF_STACK_MAX]; /* 1 for each byte stored since the frame began */
};

/* One entry of a map: an array's entries are all used, key = index; a
 * hash's used entries hold its elements, in no order. */
struct map_entry {
	bool used;
	uint8_t key[CF_MAP_MAX_KEY];
	uint8_t value[CF_MAP_MAX_VALUE];
};

struct vm_map {
	struct map_entry e[CF_MAP_MAX_ENTRIES];
};

struct vm {
	const struct interp_image *img;
	struct interp_result *res;
	struct vm_map maps[CF_MAX_MAPS];
	struct frame *frames; /* frames_cap of them, grown as calls nest */
	int frames_cap;
	int depth; /* index of the running frame */
	uint32_t tail_calls; /* taken tail calls so far (the kernel's tail_call_cnt) */
};

/* Frames the running program may nest: CF_MAX_FRAMES per program, and a
 * tail call from a subprogram runs its target above the subprogram's
 * callers, so each taken tail call may add as many (docs/kernel-paths.md
 * "Tail calls": the kernel's own bound is its stack). */
static int frame_limit(const struct vm *vm)
{
	return CF_MAX_FRAMES * (1 + (int)vm->tail_calls);
}

#define INTERP_MAX_FRAMES (CF_MAX_FRAMES * (1 + CF_MAX_TAIL_CALL_CNT))

/* Room for frame index depth; false when memory runs out. */
static bool frames_reserve(struct vm *vm, int depth)
{
	struct frame *nf;
	int cap = vm->frames_cap;

	if (depth < cap)
		return true;
	while (cap <= depth)
		cap *= 2;
	nf = realloc(vm->frames, sizeof(*nf) * (size_t)cap);
	if (!nf)
		return false;
	memset(nf + vm->frames_cap, 0, sizeof(*nf) * (size_t)(cap - vm->frames_cap));
	vm->frames = nf;
	vm->frames_cap = cap;
	return true;
}

static void func_and_slot(const struct interp_image *img, long pc, int *fi, int *slot)
{
	int lo = 0, hi = img->nfuncs - 1;

	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;

		if (img->func_start[mid] <= pc)
			lo = mid;
		else
			hi = mid - 1;
	}
	*fi = lo;
	*slot = (int)(pc - img->func_start[lo]);
}

static void fault(struct vm *vm, long pc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fault(struct vm *vm, long pc, const char *fmt, ...)
{
	struct interp_result *res = vm->res;
	char why[200];
	va_list ap;
	int fi, slot;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	func_and_slot(vm->img, pc, &fi, &slot);
	res->status = INTERP_FAULT;
	snprintf(res->fault, sizeof(res->fault), "func %.48s insn %d: %.190s", vm->img->funcs[fi]->name, slot,
		 why);
}

static uint64_t frame_top(int k)
{
	return INTERP_STACK_ADDR + (uint64_t)(k + 1) * INTERP_STACK_STRIDE;
}

static bool all_written(const uint8_t *w, uint64_t size)
{
	for (uint64_t i = 0; i < size; i++)
		if (!w[i])
			return false;
	return true;
}

/* [addr, addr + size) inside the value of a map entry in use, or NULL (an
 * element deleted from a hash map is gone: a program that still uses its
 * pointer depends on the kernel's reuse of elements; a read-only map,
 * BPF_F_RDONLY_PROG, takes no write). */
static uint8_t *map_mem_at(struct vm *vm, uint64_t addr, uint64_t size, bool write)
{
	uint64_t off = addr - INTERP_MAP_ADDR, m = off / INTERP_MAP_STRIDE;
	uint64_t e = off % INTERP_MAP_STRIDE / INTERP_MAP_ENTRY_STRIDE, in = off % INTERP_MAP_ENTRY_STRIDE;
	const struct cf_prog *p = vm->img->prog;

	if (m >= (uint64_t)p->nmaps || e >= p->maps[m].max_entries || in >= p->maps[m].value_size ||
	    size > p->maps[m].value_size - in || !vm->maps[m].e[e].used || (write && p->maps[m].rdonly))
		return NULL;
	return vm->maps[m].e[e].value + in;
}

/* The map helpers (include/uapi/linux/bpf.h's descriptions;
 * kernel-paths.md "Maps" lists the rules and where 7.2 keeps them).
 * Returns false after a fault (a map handle or key/value that the checker
 * should have refused). */
static inline uint8_t *mem_at(struct vm *vm, uint64_t addr, uint64_t size, bool write);

#define MAP_FLAG_EXIST 2   /* BPF_EXIST */
#define MAP_FLAG_NOEXIST 1 /* BPF_NOEXIST */
#define MAP_FLAG_LOCK 4    /* BPF_F_LOCK: our maps hold no bpf_spin_lock */

static bool map_helper(struct vm *vm, long pc, const struct cf_callee *c, const uint64_t *r, uint64_t *ret)
{
	const struct cf_prog *p = vm->img->prog;
	const struct cf_map *cm;
	struct vm_map *vmm;
	const uint8_t *key, *value = NULL;
	uint64_t flags = r[BPF_REG_4];
	int m = -1, found = -1;

	for (int k = 0; k < p->nmaps; k++)
		if (r[BPF_REG_1] == map_handle_addr(k))
			m = k;
	if (m < 0) {
		fault(vm, pc, "call %s: r1 0x%" PRIx64 " is not a map", c->name, r[BPF_REG_1]);
		return false;
	}
	cm = &p->maps[m];
	vmm = &vm->maps[m];
	key = mem_at(vm, r[BPF_REG_2], cm->key_size, false);
	if (c->id == BPF_FUNC_map_update_elem)
		value = mem_at(vm, r[BPF_REG_3], cm->value_size, false);
	if (!key || (c->id == BPF_FUNC_map_update_elem && !value)) {
		fault(vm, pc, "call %s: the %s is not %u readable bytes", c->name, key ? "value" : "key",
		      key ? cm->value_size : cm->key_size);
		return false;
	}
	if (cm->type == BPF_MAP_TYPE_ARRAY) {
		uint32_t idx;

		memcpy(&idx, key, 4);
		switch (c->id) {
		case BPF_FUNC_map_lookup_elem: /* out of range: NULL */
			*ret = idx < cm->max_entries ? map_value_addr(m, (int)idx) : 0;
			return true;
		case BPF_FUNC_map_delete_elem: /* array entries cannot be deleted */
			*ret = (uint64_t)-EINVAL;
			return true;
		}
		/* update: unknown flags, then the index, then NOEXIST (every
		 * entry exists), then a lock flag without a lock */
		if ((flags & ~(uint64_t)MAP_FLAG_LOCK) > MAP_FLAG_EXIST)
			*ret = (uint64_t)-EINVAL;
		else if (idx >= cm->max_entries)
			*ret = (uint64_t)-E2BIG;
		else if (flags & MAP_FLAG_NOEXIST)
			*ret = (uint64_t)-EEXIST;
		else if (flags & MAP_FLAG_LOCK)
			*ret = (uint64_t)-EINVAL;
		else {
			memcpy(vmm->e[idx].value, value, cm->value_size);
			*ret = 0;
		}
		return true;
	}
	for (uint32_t e = 0; e < cm->max_entries; e++)
		if (vmm->e[e].used && memcmp(vmm->e[e].key, key, cm->key_size) == 0)
			found = (int)e;
	switch (c->id) {
	case BPF_FUNC_map_lookup_elem:
		*ret = found >= 0 ? map_value_addr(m, found) : 0;
		return true;
	case BPF_FUNC_map_delete_elem:
		if (found < 0) {
			*ret = (uint64_t)-ENOENT;
		} else {
			vmm->e[found].used = false;
			*ret = 0;
		}
		return true;
	}
	/* update: unknown flags, a lock flag without a lock, then the
	 * element's presence against NOEXIST/EXIST, then room for a new one */
	if ((flags & ~(uint64_t)MAP_FLAG_LOCK) > MAP_FLAG_EXIST || (flags & MAP_FLAG_LOCK)) {
		*ret = (uint64_t)-EINVAL;
		return true;
	}
	if (found >= 0 && flags == MAP_FLAG_NOEXIST) {
		*ret = (uint64_t)-EEXIST;
		return true;
	}
	if (found < 0 && flags == MAP_FLAG_EXIST) {
		*ret = (uint64_t)-ENOENT;
		return true;
	}
	if (found < 0) {
		for (uint32_t e = 0; e < cm->max_entries && found < 0; e++)
			if (!vmm->e[e].used)
				found = (int)e;
		if (found < 0) { /* max_entries elements already */
			*ret = (uint64_t)-E2BIG;
			return true;
		}
		vmm->e[found].used = true;
		memcpy(vmm->e[found].key, key, cm->key_size);
	}
	memcpy(vmm->e[found].value, value, cm->value_size);
	*ret = 0;
	return true;
}

/* Host address of [addr, addr + size) in the ctx buffer or a live frame's
 * stack, or NULL. A read of stack bytes never written is refused too (the
 * checker's rule: every stack slot read was written). */
static inline uint8_t *mem_at(struct vm *vm, uint64_t addr, uint64_t size, bool write)
{
	uint64_t off = addr - INTERP_CTX_ADDR, ctx_size = (uint64_t)cf_prog_ctx_size(vm->img->prog);

	/* a raw tracepoint's ctx: 96 bytes, read-only (bpf_tracing_ctx_access) */
	if (off < ctx_size && size <= ctx_size - off)
		return write && vm->img->prog->prog_type == CF_PROG_RAW_TP ? NULL : vm->res->ctx + off;
	/* frame k's stack is the top CF_STACK_MAX bytes of window k of the
	 * stack area; the rest of the window is a gap that catches overruns */
	off = addr - INTERP_STACK_ADDR;
	uint64_t k = off / INTERP_STACK_STRIDE;
	uint64_t in = off % INTERP_STACK_STRIDE - (INTERP_STACK_STRIDE - CF_STACK_MAX);

	if (k <= (uint64_t)vm->depth && in < CF_STACK_MAX && size <= CF_STACK_MAX - in) {
		struct frame *fr = &vm->frames[k];

		if (write)
			memset(fr->written + in, 1, size);
		else if (!all_written(fr->written + in, size))
			return NULL;
		return fr->stack + in;
	}
	return map_mem_at(vm, addr, size, write);
}

/* The NUL-terminated string at addr inside a map's value (what
 * ARG_PTR_TO_CONST_STR and bpf_snprintf's %s name), or NULL. */
static const char *str_at(void *opaque, uint64_t addr)
{
	struct vm *vm = opaque;
	const struct cf_prog *p = vm->img->prog;
	uint64_t off = addr - INTERP_MAP_ADDR, m = off / INTERP_MAP_STRIDE, in = off % INTERP_MAP_ENTRY_STRIDE;
	const uint8_t *at;

	if (m >= (uint64_t)p->nmaps || in >= p->maps[m].value_size)
		return NULL;
	at = map_mem_at(vm, addr, 1, false);
	return at && memchr(at, 0, p->maps[m].value_size - in) ? (const char *)at : NULL;
}

/* Why mem_at refused: for the fault message. */
static void describe_access(struct vm *vm, uint64_t addr, uint64_t size, bool write, char *buf, size_t len)
{
	const char *what = write ? "store" : "load";
	uint64_t off = addr - INTERP_STACK_ADDR;
	uint64_t k = (off + INTERP_STACK_STRIDE / 2) / INTERP_STACK_STRIDE - 1; /* frame with the nearest r10 */

	if (addr - INTERP_CTX_ADDR < CF_CTX_SIZE + 4096 || INTERP_CTX_ADDR - addr < 4096) {
		snprintf(buf, len, "%s of %" PRIu64 " bytes at ctx%+" PRId64 " is outside the %d-byte ctx", what,
			 size, (int64_t)(addr - INTERP_CTX_ADDR), CF_CTX_SIZE);
		return;
	}
	if (off >= INTERP_STACK_STRIDE / 2 && off < (INTERP_MAX_FRAMES + 1) * INTERP_STACK_STRIDE) {
		int64_t rel = (int64_t)(addr - frame_top((int)k));

		if (k > (uint64_t)vm->depth)
			snprintf(buf, len, "%s of %" PRIu64 " bytes at frame %d's r10%+" PRId64
				 ": that frame is not live (running frame %d)", what, size, (int)k, rel, vm->depth);
		else if (rel < -CF_STACK_MAX || rel + (int64_t)size > 0)
			snprintf(buf, len, "%s of %" PRIu64 " bytes at r10%+" PRId64 " of frame %d is outside its %d-byte stack",
				 what, size, rel, (int)k, CF_STACK_MAX);
		else
			snprintf(buf, len, "load of %" PRIu64 " bytes at r10%+" PRId64 " of frame %d reads stack bytes never written",
				 size, rel, (int)k);
		return;
	}
	snprintf(buf, len, "%s of %" PRIu64 " bytes at 0x%" PRIx64 ": not the ctx or a live stack", what, size, addr);
}

static void trace_insn(struct vm *vm, FILE *out, long pc, const uint64_t *before, const uint64_t *after)
{
	char text[160];
	int fi, slot;

	func_and_slot(vm->img, pc, &fi, &slot);
	if (slot >= vm->img->funcs[fi]->ninsns)
		snprintf(text, sizeof(text), "<end of function>");
	else
		cf_asm_print_insn(text, sizeof(text), vm->img->func_prog[fi], vm->img->func_local[fi], slot);
	fprintf(out, "%s:%d: %-40s", vm->img->funcs[fi]->name, slot, text);
	for (int i = 0; i <= BPF_REG_10; i++)
		if (before[i] != after[i])
			fprintf(out, " r%d=0x%" PRIx64, i, after[i]);
	fputc('\n', out);
}

/* Byte swaps written out so that they read like the definition. */
static uint64_t swap16(uint64_t v)
{
	return (v & 0xff) << 8 | (v >> 8 & 0xff);
}

static uint64_t swap32(uint64_t v)
{
	return swap16(v & 0xffff) << 16 | swap16(v >> 16 & 0xffff);
}

static uint64_t swap64(uint64_t v)
{
	return swap32(v & 0xffffffff) << 32 | swap32(v >> 32);
}

/* Low `bits` bits of v, sign-extended to 64 (bits = 64: v itself). */
static inline uint64_t sext(uint64_t v, int bits)
{
	return (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

/* The other memory arguments of a kernel helper or kfunc as host
 * pointers: CF_ARG_PTR_OUT8 and the iterators (8 aligned bytes of a live
 * stack; bpf_iter_num_new writes them first, next and destroy read them),
 * a constant string (CF_ARG_CONST_STR), and the memory-or-NULL pairs of
 * bpf_snprintf (0 stays 0 with size 0). False after a fault. */
static bool kernel_helper_args(struct vm *vm, long pc, const struct cf_callee *c, uint64_t args[CF_MAX_ARGS])
{
	for (int i = 0; i < c->nargs; i++) {
		uint8_t *m = NULL;
		const char *why = NULL;

		switch (c->args[i]) {
		case CF_ARG_PTR_OUT8:
		case CF_ARG_ITER_NEW:
		case CF_ARG_ITER:
			if (args[i] % 8 == 0 && args[i] - INTERP_CTX_ADDR >= CF_CTX_SIZE) {
				/* read before written: the iterator's state */
				if (c->args[i] == CF_ARG_ITER)
					m = mem_at(vm, args[i], 8, false);
				if (c->args[i] != CF_ARG_ITER || m)
					m = mem_at(vm, args[i], 8, true);
			}
			why = "is not 8 aligned bytes of a live stack";
			break;
		case CF_ARG_CONST_STR:
			m = (uint8_t *)str_at(vm, args[i]);
			why = "is not a NUL-terminated string in a map's value";
			break;
		case CF_ARG_PTR_OUT_OR_NULL:
		case CF_ARG_PTR_MEM_OR_NULL:
			if (!args[i] && !args[i + 1])
				continue;
			m = args[i + 1] <= CF_STACK_MAX
				    ? mem_at(vm, args[i], args[i + 1], c->args[i] == CF_ARG_PTR_OUT_OR_NULL)
				    : NULL;
			why = "is not that many readable (or writable) bytes, nor NULL with size 0";
			break;
		default:
			continue;
		}
		if (!m) {
			fault(vm, pc, "call %s: arg %d: 0x%" PRIx64 " %s", c->name, i + 1, args[i], why);
			return false;
		}
		args[i] = (uint64_t)(uintptr_t)m;
	}
	return true;
}

/* ---- bpf_loop ------------------------------------------------------------ */

/* Enter the callback's frame for iteration i (kernel/bpf/bpf_iter.c:
 * callback(i, callback_ctx, 0, 0, 0); the verifier lets it read r1, r2). */
static void loop_enter(struct vm *vm, struct frame *fr, uint64_t *r, long *next)
{
	memset(fr->written, 0, sizeof(fr->written));
	fr->in_valid = fr->out_valid = 0;
	fr->may_goto_count = MAY_GOTO_TIMED_LOOPS;
	fr->may_goto_stamped = false;
	for (int i = BPF_REG_0; i <= BPF_REG_9; i++)
		r[i] = INTERP_POISON;
	r[BPF_REG_1] = fr->cb_index;
	r[BPF_REG_2] = fr->cb_ctx;
	r[BPF_REG_10] = frame_top(vm->depth);
	*next = vm->img->func_start[fr->func];
}

/* bpf_loop(nr_loops, callback_fn, callback_ctx, flags): flags other than 0
 * are -EINVAL, nr_loops (a u32) above BPF_MAX_LOOPS -E2BIG, 0 loops 0;
 * else the callback's frame opens (false after a fault). */
static bool loop_start(struct vm *vm, long pc, uint64_t *r, long *next)
{
	struct frame *caller = &vm->frames[vm->depth], *fr;
	uint32_t n = (uint32_t)r[BPF_REG_1];
	uint64_t fn = r[BPF_REG_2] - INTERP_FUNC_ADDR(0);
	int cb = (int)(fn / 0x100);

	caller->out_valid = caller->in_valid = 0; /* stack-args.md 2.2, 2.4 */
	if (r[BPF_REG_4] != 0 || n == 0 || n > CF_LOOP_MAX) {
		r[BPF_REG_0] = r[BPF_REG_4] ? (uint64_t)-EINVAL : n ? (uint64_t)-E2BIG : 0;
		for (int i = BPF_REG_1; i <= BPF_REG_5; i++)
			r[i] = INTERP_POISON;
		return true;
	}
	if (fn % 0x100 || cb <= 0 || cb >= vm->img->nfuncs) {
		fault(vm, pc, "call bpf_loop: r2 0x%" PRIx64 " is not a function's address", r[BPF_REG_2]);
		return false;
	}
	if (vm->depth + 1 >= frame_limit(vm)) {
		fault(vm, pc, "call bpf_loop: callback %s: more than %d call frames", vm->img->funcs[cb]->name,
		      frame_limit(vm));
		return false;
	}
	if (!frames_reserve(vm, vm->depth + 1)) {
		fault(vm, pc, "out of memory");
		return false;
	}
	caller = &vm->frames[vm->depth];
	fr = &vm->frames[++vm->depth];
	fr->func = cb;
	fr->ret_pc = pc + 1;
	memcpy(fr->caller_regs, &r[BPF_REG_6], sizeof(fr->caller_regs));
	fr->is_callback = true;
	fr->cb_index = 0;
	fr->cb_count = n;
	fr->cb_ctx = r[BPF_REG_3];
	loop_enter(vm, fr, r, next);
	return true;
}

/* At the callback's exit: 0 continues with the next index, anything else
 * stops and bpf_loop returns i + 1; after the last index it returns
 * nr_loops. True if the callback runs again; false: the frame closes as
 * any other, with r0 = bpf_loop's result. */
static bool loop_again(struct vm *vm, uint64_t *r, long *next)
{
	struct frame *fr = &vm->frames[vm->depth];

	if (r[BPF_REG_0] == 0 && fr->cb_index + 1 < fr->cb_count) {
		fr->cb_index++;
		loop_enter(vm, fr, r, next);
		return true;
	}
	r[BPF_REG_0] = r[BPF_REG_0] ? fr->cb_index + 1 : fr->cb_count;
	fr->is_callback = false;
	return false;
}

/* ---- bpf_tail_call ---------------------------------------------------------- */

/* bpf_tail_call(ctx, prog_array, index), as kernel/bpf/core.c's
 * interpreter (JMP_TAIL_CALL) and the JITs do it: index is the low 32 bits
 * of r3; an index at or past max_entries, a count of taken tail calls
 * already at MAX_TAIL_CALL_CNT (33), or an empty entry falls through to
 * the next instruction (r0..r5 then unreadable: RET_VOID). Else the count
 * grows and the target replaces the running frame: it starts at its entry
 * with r1 = ctx and a fresh stack, and its exit is the frame's exit (the
 * end of the run, or a return to the caller of the subprogram that tail
 * called). The count is one per run: it survives BPF-to-BPF calls and
 * returns (the JITs keep a pointer to the entry's count). False after a
 * fault. */
static bool tail_call(struct vm *vm, long pc, uint64_t *r, long *next)
{
	const struct cf_prog *p = vm->img->prog;
	struct frame *fr = &vm->frames[vm->depth];
	uint64_t ctx = r[BPF_REG_1];
	uint32_t index = (uint32_t)r[BPF_REG_3];
	int m = -1, slot;

	for (int k = 0; k < p->nmaps; k++)
		if (r[BPF_REG_2] == map_handle_addr(k))
			m = k;
	if (m < 0 || p->maps[m].type != BPF_MAP_TYPE_PROG_ARRAY) {
		fault(vm, pc, "call bpf_tail_call: r2 0x%" PRIx64 " is not a prog array", r[BPF_REG_2]);
		return false;
	}
	if (ctx != INTERP_CTX_ADDR) {
		fault(vm, pc, "call bpf_tail_call: r1 0x%" PRIx64 " is not the ctx", ctx);
		return false;
	}
	if (fr->is_callback) {
		fault(vm, pc, "call bpf_tail_call: in a bpf_loop callback");
		return false;
	}
	fr->out_valid = fr->in_valid = 0; /* stack-args.md 2.2, 2.4: a call */
	for (int i = BPF_REG_0; i <= BPF_REG_5; i++)
		r[i] = INTERP_POISON;
	if (index >= p->maps[m].max_entries || vm->tail_calls >= CF_MAX_TAIL_CALL_CNT)
		return true;
	slot = p->maps[m].tail_slot[index];
	if (!slot)
		return true;
	if (slot > p->ntails) {
		fault(vm, pc, "call bpf_tail_call: %s[%u] names target %d of %d", p->maps[m].name, index, slot - 1,
		      p->ntails);
		return false;
	}
	vm->tail_calls++;
	/* the frame keeps where it returns to and its caller's r6..r9 */
	fr->func = vm->img->tail_entry[slot - 1];
	fr->may_goto_count = MAY_GOTO_TIMED_LOOPS;
	fr->may_goto_stamped = false;
	memset(fr->written, 0, sizeof(fr->written));
	for (int i = BPF_REG_0; i <= BPF_REG_9; i++)
		r[i] = INTERP_POISON;
	r[BPF_REG_1] = ctx;
	r[BPF_REG_10] = frame_top(vm->depth);
	*next = vm->img->func_start[fr->func];
	return true;
}

/* ---- the loop ----------------------------------------------------------- */

static inline __attribute__((always_inline)) void run(struct vm *vm, uint64_t *r, long budget,
						      const struct interp_env *env, FILE *tr)
{
	const struct pinsn *code = vm->img->insns;
	struct interp_result *res = vm->res;
	uint64_t executed = 0;
	uint64_t before[BPF_REG_10 + 1];
	uint64_t addr = 0, size = 0;
	bool write = false;
	long pc = 0, next;
	uint8_t *m;

/* Register operands and the immediate of the current insn. */
#define DST r[in->dst]
#define SRC r[in->src]
#define IMM in->imm
#define OFF in->arg
/* Memory access with bounds check; on failure leave through bad_access. */
#define MEM(base, sz, wr)                                                       \
	do {                                                                    \
		addr = (base) + (uint64_t)(int64_t)OFF;                         \
		size = (sz);                                                    \
		write = (wr);                                                   \
		m = mem_at(vm, addr, size, write);                              \
		if (!m)                                                         \
			goto bad_access;                                        \
	} while (0)
#define LOAD(type) ({ type v_; memcpy(&v_, m, sizeof(v_)); v_; })
#define STORE(type, val) do { type v_ = (type)(val); memcpy(m, &v_, sizeof(v_)); } while (0)
#define JMP64(op, cmp, type)                                                    \
	case BPF_JMP | op | BPF_X:                                              \
		if ((type)DST cmp (type)SRC)                                    \
			next = OFF;                                             \
		break;                                                          \
	case BPF_JMP | op | BPF_K:                                              \
		if ((type)DST cmp (type)IMM)                                    \
			next = OFF;                                             \
		break;
#define JMP32(op, cmp, type)                                                    \
	case BPF_JMP32 | op | BPF_X:                                            \
		if ((type)DST cmp (type)SRC)                                    \
			next = OFF;                                             \
		break;                                                          \
	case BPF_JMP32 | op | BPF_K:                                            \
		if ((type)DST cmp (type)IMM)                                    \
			next = OFF;                                             \
		break;

	for (;;) {
		const struct pinsn *in = &code[pc];

		if (executed >= (uint64_t)budget) {
			res->status = INTERP_TIMEOUT;
			snprintf(res->fault, sizeof(res->fault), "instruction budget of %ld exhausted", budget);
			goto out;
		}
		executed++;
		if (tr)
			memcpy(before, r, sizeof(before));
		next = pc + 1;

		switch (in->code) {
		/* ALU64: 64-bit arithmetic, wrapping */
		case BPF_ALU64 | BPF_ADD | BPF_X: DST += SRC; break;
		case BPF_ALU64 | BPF_ADD | BPF_K: DST += IMM; break;
		case BPF_ALU64 | BPF_SUB | BPF_X: DST -= SRC; break;
		case BPF_ALU64 | BPF_SUB | BPF_K: DST -= IMM; break;
		case BPF_ALU64 | BPF_MUL | BPF_X: DST *= SRC; break;
		case BPF_ALU64 | BPF_MUL | BPF_K: DST *= IMM; break;
		case BPF_ALU64 | BPF_OR | BPF_X: DST |= SRC; break;
		case BPF_ALU64 | BPF_OR | BPF_K: DST |= IMM; break;
		case BPF_ALU64 | BPF_AND | BPF_X: DST &= SRC; break;
		case BPF_ALU64 | BPF_AND | BPF_K: DST &= IMM; break;
		case BPF_ALU64 | BPF_XOR | BPF_X: DST ^= SRC; break;
		case BPF_ALU64 | BPF_XOR | BPF_K: DST ^= IMM; break;
		/* shift amounts are masked to the operand width */
		case BPF_ALU64 | BPF_LSH | BPF_X: DST <<= SRC & 63; break;
		case BPF_ALU64 | BPF_LSH | BPF_K: DST <<= IMM & 63; break;
		case BPF_ALU64 | BPF_RSH | BPF_X: DST >>= SRC & 63; break;
		case BPF_ALU64 | BPF_RSH | BPF_K: DST >>= IMM & 63; break;
		case BPF_ALU64 | BPF_ARSH | BPF_X: DST = (uint64_t)((int64_t)DST >> (SRC & 63)); break;
		case BPF_ALU64 | BPF_ARSH | BPF_K: DST = (uint64_t)((int64_t)DST >> (IMM & 63)); break;
		case BPF_ALU64 | BPF_NEG | BPF_K: DST = -DST; break;
		/* MOVSX: width OFF is 8/16/32 (sign-extend that many low bits) or 64 (plain MOV) */
		case BPF_ALU64 | BPF_MOV | BPF_X: DST = sext(SRC, OFF); break;
		case BPF_ALU64 | BPF_MOV | BPF_K: DST = IMM; break;
		case BPF_ALU64 | BPF_DIV | BPF_X:
		case BPF_ALU64 | BPF_DIV | BPF_K: {
			uint64_t d = BPF_SRC(in->code) == BPF_X ? SRC : IMM;

			if (OFF == 0)      /* DIV: division by zero gives 0 */
				DST = d ? DST / d : 0;
			else if (d == 0)   /* SDIV by zero gives 0 */
				DST = 0;
			else if ((int64_t)d == -1) /* SDIV by -1 is negation: INT64_MIN / -1 = INT64_MIN */
				DST = -DST;
			else
				DST = (uint64_t)((int64_t)DST / (int64_t)d);
			break;
		}
		case BPF_ALU64 | BPF_MOD | BPF_X:
		case BPF_ALU64 | BPF_MOD | BPF_K: {
			uint64_t d = BPF_SRC(in->code) == BPF_X ? SRC : IMM;

			if (d == 0)        /* MOD/SMOD by zero leaves dst unchanged */
				break;
			if (OFF == 0)
				DST %= d;
			else if ((int64_t)d == -1) /* SMOD by -1 is 0 (INT64_MIN % -1 too) */
				DST = 0;
			else               /* SMOD: sign of the dividend, as C's % */
				DST = (uint64_t)((int64_t)DST % (int64_t)d);
			break;
		}

		/* ALU32: 32-bit operation, result zero-extended into 64 bits */
		case BPF_ALU | BPF_ADD | BPF_X: DST = (uint32_t)(DST + SRC); break;
		case BPF_ALU | BPF_ADD | BPF_K: DST = (uint32_t)(DST + IMM); break;
		case BPF_ALU | BPF_SUB | BPF_X: DST = (uint32_t)(DST - SRC); break;
		case BPF_ALU | BPF_SUB | BPF_K: DST = (uint32_t)(DST - IMM); break;
		case BPF_ALU | BPF_MUL | BPF_X: DST = (uint32_t)((uint32_t)DST * (uint32_t)SRC); break;
		case BPF_ALU | BPF_MUL | BPF_K: DST = (uint32_t)((uint32_t)DST * (uint32_t)IMM); break;
		case BPF_ALU | BPF_OR | BPF_X: DST = (uint32_t)(DST | SRC); break;
		case BPF_ALU | BPF_OR | BPF_K: DST = (uint32_t)(DST | IMM); break;
		case BPF_ALU | BPF_AND | BPF_X: DST = (uint32_t)(DST & SRC); break;
		case BPF_ALU | BPF_AND | BPF_K: DST = (uint32_t)(DST & IMM); break;
		case BPF_ALU | BPF_XOR | BPF_X: DST = (uint32_t)(DST ^ SRC); break;
		case BPF_ALU | BPF_XOR | BPF_K: DST = (uint32_t)(DST ^ IMM); break;
		case BPF_ALU | BPF_LSH | BPF_X: DST = (uint32_t)((uint32_t)DST << (SRC & 31)); break;
		case BPF_ALU | BPF_LSH | BPF_K: DST = (uint32_t)((uint32_t)DST << (IMM & 31)); break;
		case BPF_ALU | BPF_RSH | BPF_X: DST = (uint32_t)DST >> (SRC & 31); break;
		case BPF_ALU | BPF_RSH | BPF_K: DST = (uint32_t)DST >> (IMM & 31); break;
		case BPF_ALU | BPF_ARSH | BPF_X: DST = (uint32_t)((int32_t)DST >> (SRC & 31)); break;
		case BPF_ALU | BPF_ARSH | BPF_K: DST = (uint32_t)((int32_t)DST >> (IMM & 31)); break;
		case BPF_ALU | BPF_NEG | BPF_K: DST = (uint32_t)-DST; break;
		/* MOVSX (ALU32): sign-extend 8/16 bits into 32, then zero-extend */
		case BPF_ALU | BPF_MOV | BPF_X: DST = (uint32_t)sext(SRC, OFF); break;
		case BPF_ALU | BPF_MOV | BPF_K: DST = (uint32_t)IMM; break;
		case BPF_ALU | BPF_DIV | BPF_X:
		case BPF_ALU | BPF_DIV | BPF_K: {
			uint32_t d = (uint32_t)(BPF_SRC(in->code) == BPF_X ? SRC : IMM);

			if (OFF == 0)      /* DIV: division by zero gives 0 */
				DST = d ? (uint32_t)DST / d : 0;
			else if (d == 0)   /* SDIV by zero gives 0 */
				DST = 0;
			else if ((int32_t)d == -1) /* INT32_MIN / -1 = INT32_MIN */
				DST = (uint32_t)-(uint32_t)DST;
			else
				DST = (uint32_t)((int32_t)DST / (int32_t)d);
			break;
		}
		case BPF_ALU | BPF_MOD | BPF_X:
		case BPF_ALU | BPF_MOD | BPF_K: {
			uint32_t d = (uint32_t)(BPF_SRC(in->code) == BPF_X ? SRC : IMM);

			if (d == 0)        /* MOD by zero: dst unchanged, but zero-extended */
				DST = (uint32_t)DST;
			else if (OFF == 0)
				DST = (uint32_t)DST % d;
			else if ((int32_t)d == -1) /* SMOD by -1 is 0 */
				DST = 0;
			else
				DST = (uint32_t)((int32_t)DST % (int32_t)d);
			break;
		}

		/* END: to_le on a little-endian machine truncates to imm bits (and
		 * zero-extends); to_be swaps; ALU64 (BSWAP) swaps unconditionally */
		case BPF_ALU | BPF_END | BPF_TO_LE:
			DST = IMM == 16 ? (uint16_t)DST : IMM == 32 ? (uint32_t)DST : DST;
			break;
		case BPF_ALU | BPF_END | BPF_TO_BE:
		case BPF_ALU64 | BPF_END | BPF_TO_LE:
			DST = IMM == 16 ? swap16(DST) : IMM == 32 ? swap32(DST) : swap64(DST);
			break;

		/* JMP: 64-bit compares; JMP32: the low 32 bits */
		case BPF_JMP | BPF_JA: next = OFF; break;
		case BPF_JMP32 | BPF_JA: next = OFF; break; /* gotol: target from imm */
		JMP64(BPF_JEQ, ==, uint64_t)
		JMP64(BPF_JNE, !=, uint64_t)
		JMP64(BPF_JGT, >, uint64_t)
		JMP64(BPF_JGE, >=, uint64_t)
		JMP64(BPF_JLT, <, uint64_t)
		JMP64(BPF_JLE, <=, uint64_t)
		JMP64(BPF_JSGT, >, int64_t)
		JMP64(BPF_JSGE, >=, int64_t)
		JMP64(BPF_JSLT, <, int64_t)
		JMP64(BPF_JSLE, <=, int64_t)
		case BPF_JMP | BPF_JSET | BPF_X: if (DST & SRC) next = OFF; break;
		case BPF_JMP | BPF_JSET | BPF_K: if (DST & IMM) next = OFF; break;
		JMP32(BPF_JEQ, ==, uint32_t)
		JMP32(BPF_JNE, !=, uint32_t)
		JMP32(BPF_JGT, >, uint32_t)
		JMP32(BPF_JGE, >=, uint32_t)
		JMP32(BPF_JLT, <, uint32_t)
		JMP32(BPF_JLE, <=, uint32_t)
		JMP32(BPF_JSGT, >, int32_t)
		JMP32(BPF_JSGE, >=, int32_t)
		JMP32(BPF_JSLT, <, int32_t)
		JMP32(BPF_JSLE, <=, int32_t)
		case BPF_JMP32 | BPF_JSET | BPF_X: if ((uint32_t)(DST & SRC)) next = OFF; break;
		case BPF_JMP32 | BPF_JSET | BPF_K: if ((uint32_t)(DST & IMM)) next = OFF; break;

		case BPF_LD | BPF_IMM | BPF_DW: DST = IMM; next = pc + 2; break;

		/* LDX: zero-extending loads; LDSX: sign-extending */
		case BPF_LDX | BPF_MEM | BPF_B: MEM(SRC, 1, false); DST = LOAD(uint8_t); break;
		case BPF_LDX | BPF_MEM | BPF_H: MEM(SRC, 2, false); DST = LOAD(uint16_t); break;
		case BPF_LDX | BPF_MEM | BPF_W: MEM(SRC, 4, false); DST = LOAD(uint32_t); break;
		case BPF_LDX | BPF_MEM | BPF_DW: MEM(SRC, 8, false); DST = LOAD(uint64_t); break;
		case BPF_LDX | BPF_MEMSX | BPF_B: MEM(SRC, 1, false); DST = (uint64_t)(int64_t)LOAD(int8_t); break;
		case BPF_LDX | BPF_MEMSX | BPF_H: MEM(SRC, 2, false); DST = (uint64_t)(int64_t)LOAD(int16_t); break;
		case BPF_LDX | BPF_MEMSX | BPF_W: MEM(SRC, 4, false); DST = (uint64_t)(int64_t)LOAD(int32_t); break;
		case BPF_ST | BPF_MEM | BPF_B: MEM(DST, 1, true); STORE(uint8_t, IMM); break;
		case BPF_ST | BPF_MEM | BPF_H: MEM(DST, 2, true); STORE(uint16_t, IMM); break;
		case BPF_ST | BPF_MEM | BPF_W: MEM(DST, 4, true); STORE(uint32_t, IMM); break;
		case BPF_ST | BPF_MEM | BPF_DW: MEM(DST, 8, true); STORE(uint64_t, IMM); break;
		case BPF_STX | BPF_MEM | BPF_B: MEM(DST, 1, true); STORE(uint8_t, SRC); break;
		case BPF_STX | BPF_MEM | BPF_H: MEM(DST, 2, true); STORE(uint16_t, SRC); break;
		case BPF_STX | BPF_MEM | BPF_W: MEM(DST, 4, true); STORE(uint32_t, SRC); break;
		case BPF_STX | BPF_MEM | BPF_DW: MEM(DST, 8, true); STORE(uint64_t, SRC); break;

		/* Atomics: the fetch forms return the old value in src (32-bit:
		 * zero-extended); cmpxchg compares with r0 and returns the old
		 * value in r0 */
		case BPF_STX | BPF_ATOMIC | BPF_DW: {
			uint64_t old, val;

			if (IMM == BPF_LOAD_ACQ) {
				MEM(SRC, 8, false);
				DST = LOAD(uint64_t);
				break;
			}
			if (IMM == BPF_STORE_REL) {
				MEM(DST, 8, true);
				STORE(uint64_t, SRC);
				break;
			}
			MEM(DST, 8, false); /* read-modify-write: must be initialized */
			m = mem_at(vm, addr, 8, true);
			old = LOAD(uint64_t);
			switch (IMM) {
			case BPF_ADD: case BPF_ADD | BPF_FETCH: STORE(uint64_t, old + SRC); break;
			case BPF_AND: case BPF_AND | BPF_FETCH: STORE(uint64_t, old & SRC); break;
			case BPF_OR: case BPF_OR | BPF_FETCH: STORE(uint64_t, old | SRC); break;
			case BPF_XOR: case BPF_XOR | BPF_FETCH: STORE(uint64_t, old ^ SRC); break;
			case BPF_XCHG: STORE(uint64_t, SRC); break;
			case BPF_CMPXCHG:
				val = old == r[BPF_REG_0] ? SRC : old;
				STORE(uint64_t, val);
				r[BPF_REG_0] = old;
				break;
			}
			if (IMM & BPF_FETCH && IMM != BPF_CMPXCHG)
				SRC = old;
			break;
		}
		case BPF_STX | BPF_ATOMIC | BPF_W: {
			uint32_t old, val;

			if (IMM == BPF_LOAD_ACQ) {
				MEM(SRC, 4, false);
				DST = LOAD(uint32_t);
				break;
			}
			if (IMM == BPF_STORE_REL) {
				MEM(DST, 4, true);
				STORE(uint32_t, SRC);
				break;
			}
			MEM(DST, 4, false);
			m = mem_at(vm, addr, 4, true);
			old = LOAD(uint32_t);
			switch (IMM) {
			case BPF_ADD: case BPF_ADD | BPF_FETCH: STORE(uint32_t, old + SRC); break;
			case BPF_AND: case BPF_AND | BPF_FETCH: STORE(uint32_t, old & SRC); break;
			case BPF_OR: case BPF_OR | BPF_FETCH: STORE(uint32_t, old | SRC); break;
			case BPF_XOR: case BPF_XOR | BPF_FETCH: STORE(uint32_t, old ^ SRC); break;
			case BPF_XCHG: STORE(uint32_t, SRC); break;
			case BPF_CMPXCHG: /* compares the low 32 bits of r0 */
				val = old == (uint32_t)r[BPF_REG_0] ? (uint32_t)SRC : old;
				STORE(uint32_t, val);
				r[BPF_REG_0] = old;
				break;
			}
			if (IMM & BPF_FETCH && IMM != BPF_CMPXCHG)
				SRC = old;
			break;
		}
		/* only load-acquire and store-release come in B and H sizes */
		case BPF_STX | BPF_ATOMIC | BPF_H:
			if (IMM == BPF_LOAD_ACQ) {
				MEM(SRC, 2, false);
				DST = LOAD(uint16_t);
			} else {
				MEM(DST, 2, true);
				STORE(uint16_t, SRC);
			}
			break;
		case BPF_STX | BPF_ATOMIC | BPF_B:
			if (IMM == BPF_LOAD_ACQ) {
				MEM(SRC, 1, false);
				DST = LOAD(uint8_t);
			} else {
				MEM(DST, 1, true);
				STORE(uint8_t, SRC);
			}
			break;

		/* stack-args.md 1 and 3: r11 forms */
		case OP_ARG_STORE_X:
		case OP_ARG_STORE_K: {
			struct frame *fr = &vm->frames[vm->depth];

			fr->out_slot[OFF - 1] = in->code == OP_ARG_STORE_X ? SRC : IMM;
			fr->out_valid |= 1u << (OFF - 1);
			fr->in_valid = 0; /* stack-args.md 2.4: no r11 load after an r11 store */
			break;
		}
		case OP_ARG_LOAD: {
			struct frame *fr = &vm->frames[vm->depth];
			int nargs = vm->img->funcs[fr->func]->nargs;

			if (OFF + CF_MAX_REG_ARGS > nargs) {
				fault(vm, pc, "r%d = *(u64 *)(r11 + %d): arg %d, but %s takes %d args (stack-args.md 2.5)",
				      in->dst, OFF * 8, OFF + CF_MAX_REG_ARGS, vm->img->funcs[fr->func]->name, nargs);
				goto out;
			}
			if (!(fr->in_valid & 1u << (OFF - 1))) {
				fault(vm, pc, "r%d = *(u64 *)(r11 + %d): incoming slot read after an r11 store or a call "
				      "(stack-args.md 2.4: loads come first)", in->dst, OFF * 8);
				goto out;
			}
			DST = fr->in_slot[OFF - 1];
			break;
		}

		case OP_CALL_FUNC: {
			const struct cf_func *callee = vm->img->funcs[OFF];
			struct frame *caller, *fr;
			int nslots = callee->nargs > CF_MAX_REG_ARGS ? callee->nargs - CF_MAX_REG_ARGS : 0;
			unsigned need = (1u << nslots) - 1;

			if (vm->depth + 1 >= frame_limit(vm)) {
				fault(vm, pc, "call %s: more than %d call frames", callee->name, frame_limit(vm));
				goto out;
			}
			if (!frames_reserve(vm, vm->depth + 1)) {
				fault(vm, pc, "out of memory");
				goto out;
			}
			caller = &vm->frames[vm->depth];
			if ((caller->out_valid & need) != need) {
				int k = __builtin_ctz(~caller->out_valid & need) + 1;

				fault(vm, pc, "call %s: arg %d (*(u64 *)(r11 - %d)) was not written since the last call "
				      "(stack-args.md 2.1, 2.2)", callee->name, k + CF_MAX_REG_ARGS, k * 8);
				goto out;
			}
			fr = &vm->frames[++vm->depth];
			fr->func = OFF;
			fr->may_goto_count = MAY_GOTO_TIMED_LOOPS;
			fr->may_goto_stamped = false;
			fr->is_callback = false;
			fr->ret_pc = pc + 1;
			memcpy(fr->caller_regs, &r[BPF_REG_6], sizeof(fr->caller_regs));
			/* stack-args.md 3: copy the caller's outgoing slots 1..n-5 into
			 * the callee's incoming slots, then poison the caller's */
			memcpy(fr->in_slot, caller->out_slot, sizeof(uint64_t) * (size_t)nslots);
			fr->in_valid = need;
			fr->out_valid = 0;
			caller->out_valid = 0;
			caller->in_valid = 0; /* stack-args.md 2.4: no r11 load after a call */
			memset(fr->written, 0, sizeof(fr->written));
			r[BPF_REG_0] = INTERP_POISON;
			for (int i = BPF_REG_6; i <= BPF_REG_9; i++)
				r[i] = INTERP_POISON;
			r[BPF_REG_10] = frame_top(vm->depth);
			next = vm->img->func_start[OFF];
			break;
		}
		case OP_CALL_ENV: {
			const struct cf_callee *c = &cf_callees[IMM];
			struct frame *fr = &vm->frames[vm->depth];
			uint64_t args[CF_MAX_ARGS] = { 0 };

			if (c->kernel && c->id == CF_KHELPER_LOOP) {
				if (!loop_start(vm, pc, r, &next))
					goto out;
				break;
			}
			if (c->kernel && c->id == CF_KHELPER_TAIL_CALL) {
				if (!tail_call(vm, pc, r, &next))
					goto out;
				break;
			}

			if (cf_callee_is_map_helper(c->kfunc, c->id)) {
				if (!map_helper(vm, pc, c, r, &r[BPF_REG_0]))
					goto out;
				for (int i = BPF_REG_1; i <= BPF_REG_5; i++)
					r[i] = INTERP_POISON;
				fr->out_valid = 0; /* stack-args.md 2.2 */
				fr->in_valid = 0;  /* stack-args.md 2.4 */
				break;
			}

			for (int i = 0; i < c->nargs; i++) {
				int k = i + 1 - CF_MAX_REG_ARGS;

				if (i < CF_MAX_REG_ARGS) {
					args[i] = r[BPF_REG_1 + i];
				} else if (fr->out_valid & 1u << (k - 1)) {
					args[i] = fr->out_slot[k - 1]; /* stack-args.md 4: kfuncs too */
				} else {
					fault(vm, pc, "call %s: arg %d (*(u64 *)(r11 - %d)) was not written since the last call "
					      "(stack-args.md 2.1, 2.2)", c->name, i + 1, k * 8);
					goto out;
				}
			}
			for (int i = 0; i < c->nargs; i++) {
				uint64_t len;

				if (c->args[i] != CF_ARG_PTR_MEM)
					continue;
				len = i + 1 < c->nargs && c->args[i + 1] == CF_ARG_CONST_LEN ? args[i + 1] : 0;
				if (len < 1 || len > CF_STACK_MAX) {
					fault(vm, pc, "call %s: arg %d: length %" PRIu64 " (expected 1..%d)", c->name, i + 2,
					      len, CF_STACK_MAX);
					goto out;
				}
				m = mem_at(vm, args[i], len, false);
				if (!m) {
					char why[160];

					describe_access(vm, args[i], len, false, why, sizeof(why));
					fault(vm, pc, "call %s: arg %d: %s", c->name, i + 1, why);
					goto out;
				}
				args[i] = (uint64_t)(uintptr_t)m;
			}
			uint64_t iter_addr = args[0]; /* bpf_iter_num_next returns &it->cur */

			if (c->kernel && !kernel_helper_args(vm, pc, c, args))
				goto out;
			if (c->kernel)
				r[BPF_REG_0] = interp_kernel_helper(c, args, str_at, vm);
			if (c->kernel && c->ret == CF_RET_ITER_INT_OR_NULL)
				r[BPF_REG_0] = r[BPF_REG_0] ? iter_addr : 0;
			else if (!c->kernel)
				r[BPF_REG_0] = env && env->call ? env->call(env->opaque, c, args, &res->trace)
								: cf_env_call(&res->trace, c, args);
			for (int i = BPF_REG_1; i <= BPF_REG_5; i++)
				r[i] = INTERP_POISON; /* caller-saved registers are clobbered */
			fr->out_valid = 0;            /* stack-args.md 2.2: any call invalidates the slots */
			fr->in_valid = 0;             /* stack-args.md 2.4 */
			break;
		}
		case CF_MAY_GOTO: {
			struct frame *fr = &vm->frames[vm->depth];

			if (fr->may_goto_count == 0) {
				next = OFF; /* the budget is spent: take the jump */
				break;
			}
			if (--fr->may_goto_count == 0) {
				/* bpf_check_timed_may_goto: the first call stamps
				 * the time and refills; a later one depends on
				 * the clock (250 ms), which no model can tell */
				if (fr->may_goto_stamped) {
					fault(vm, pc, "may_goto: %d more iterations in one frame, the kernel's "
					      "clock decides what follows", 2 * MAY_GOTO_TIMED_LOOPS);
					goto out;
				}
				fr->may_goto_stamped = true;
				fr->may_goto_count = MAY_GOTO_TIMED_LOOPS;
			}
			break;
		}
		case BPF_JMP | BPF_EXIT: {
			struct frame *fr = &vm->frames[vm->depth];

			if (fr->is_callback && loop_again(vm, r, &next))
				break;
			if (vm->depth == 0) {
				if (tr)
					trace_insn(vm, tr, pc, before, r);
				res->status = INTERP_OK;
				goto out;
			}
			memcpy(&r[BPF_REG_6], fr->caller_regs, sizeof(fr->caller_regs));
			for (int i = BPF_REG_1; i <= BPF_REG_5; i++)
				r[i] = INTERP_POISON; /* caller-saved registers are clobbered */
			next = fr->ret_pc;
			vm->depth--;
			break;
		}

		case OP_FELL_OFF:
			fault(vm, pc, "execution ran past the last instruction of the function");
			goto out;
		case OP_INVALID:
			fault(vm, pc, "%s", invalid_reason[OFF]);
			goto out;
		default:
			fault(vm, pc, "invalid opcode 0x%02x", in->code);
			goto out;
		}
		if (tr)
			trace_insn(vm, tr, pc, before, r);
		pc = next;
	}

bad_access: {
		char why[200];

		describe_access(vm, addr, size, write, why, sizeof(why));
		fault(vm, pc, "%s", why);
	}
out:
	res->insns_executed = executed;
	res->r0 = r[BPF_REG_0];
#undef DST
#undef SRC
#undef IMM
#undef OFF
#undef MEM
#undef LOAD
#undef STORE
#undef JMP64
#undef JMP32
}

/* Two instances of the loop: the fast one knows at compile time that no
 * instruction trace is wanted. */
static void run_fast(struct vm *vm, uint64_t *r, long budget, const struct interp_env *env)
{
	run(vm, r, budget, env, NULL);
}

static void run_traced(struct vm *vm, uint64_t *r, long budget, const struct interp_env *env, FILE *tr)
{
	run(vm, r, budget, env, tr);
}

/* A run starts with every array entry zeroed and every hash map empty,
 * as the vm target's agent leaves them before each test run. */
static void maps_reset(struct vm *vm)
{
	const struct cf_prog *p = vm->img->prog;

	for (int m = 0; m < p->nmaps; m++)
		for (uint32_t e = 0; e < p->maps[m].max_entries; e++) {
			struct map_entry *en = &vm->maps[m].e[e];

			memset(en, 0, sizeof(*en));
			if (p->maps[m].type == BPF_MAP_TYPE_ARRAY) {
				en->used = true;
				memcpy(en->key, &e, 4); /* little-endian u32 index */
			}
			/* a read-only map keeps what it was frozen with */
			if (p->maps[m].rdonly)
				memcpy(en->value, p->maps[m].init, p->maps[m].value_size);
		}
}

static void maps_dump(struct vm *vm)
{
	const struct cf_prog *p = vm->img->prog;

	vm->res->maps.len = 0;
	for (int m = 0; m < p->nmaps; m++) {
		const struct cf_map *cm = &p->maps[m];
		uint8_t buf[CF_MAP_MAX_ENTRIES * (CF_MAP_MAX_KEY + CF_MAP_MAX_VALUE)];
		uint32_t n = 0, esize = cm->key_size + cm->value_size;

		for (uint32_t e = 0; e < cm->max_entries; e++) {
			const struct map_entry *en = &vm->maps[m].e[e];

			if (!en->used)
				continue;
			memcpy(buf + n * esize, en->key, cm->key_size);
			memcpy(buf + n * esize + cm->key_size, en->value, cm->value_size);
			n++;
		}
		cf_map_dump_add(&vm->res->maps, cm, n, buf); /* fits: the sizes are bounded in bpf.h */
	}
}

int interp_exec(const struct interp_image *img, const struct interp_opts *o, const struct interp_env *env,
		const uint8_t ctx_in[CF_CTX_SIZE], struct interp_result *res)
{
	struct interp_opts defaults;
	struct vm *vm;
	uint64_t r[16];

	if (!res)
		return -1;
	memset(res, 0, sizeof(*res));
	if (!img) {
		res->status = INTERP_FAULT;
		snprintf(res->fault, sizeof(res->fault), "no program");
		return -1;
	}
	if (!o) {
		interp_opts_default(&defaults);
		o = &defaults;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		res->status = INTERP_FAULT;
		snprintf(res->fault, sizeof(res->fault), "out of memory");
		return -1;
	}
	vm->img = img;
	vm->res = res;
	vm->frames_cap = CF_MAX_FRAMES;
	vm->frames = calloc((size_t)vm->frames_cap, sizeof(*vm->frames));
	if (!vm->frames) {
		free(vm);
		res->status = INTERP_FAULT;
		snprintf(res->fault, sizeof(res->fault), "out of memory");
		return -1;
	}
	if (ctx_in)
		memcpy(res->ctx, ctx_in, CF_CTX_SIZE);
	/* entry: r1 = ctx, r10 = top of frame 0; nothing else may be read */
	for (int i = 0; i < 16; i++)
		r[i] = INTERP_POISON;
	r[BPF_REG_1] = INTERP_CTX_ADDR;
	r[BPF_REG_10] = frame_top(0);
	maps_reset(vm);
	vm->frames[0].may_goto_count = MAY_GOTO_TIMED_LOOPS;
	if (o->insn_trace)
		run_traced(vm, r, o->insn_budget, env, o->insn_trace);
	else
		run_fast(vm, r, o->insn_budget, env);
	maps_dump(vm);
	res->tail_calls = vm->tail_calls;
	free(vm->frames);
	free(vm);
	return 0;
}

int interp_run(const struct cf_prog *p, const struct interp_opts *o, const struct interp_env *env,
	       const uint8_t ctx_in[CF_CTX_SIZE], struct interp_result *res)
{
	struct interp_image *img;
	struct cf_err err;
	int ret;

	if (!res)
		return -1;
	img = interp_prepare(p, &err);
	if (!img) {
		memset(res, 0, sizeof(*res));
		res->status = INTERP_FAULT;
		snprintf(res->fault, sizeof(res->fault), "%.255s", err.msg);
		return -1;
	}
	ret = interp_exec(img, o, env, ctx_in, res);
	interp_image_free(img);
	return ret;
}

/* bpf/check.c: the validity checker (cf_check).
 *
 * Accepts the programs the kernel verifier (7.2, privileged, JIT on) accepts
 * within the subset callfuzz generates, plus the project rules that keep the
 * interpreter and the JIT comparable (docs/stack-args.md 2, design.md "The
 * oracle"): no uninitialized reads even where a privileged kernel would
 * allow them, and no value derived from an address may become observable.
 *
 * Two phases, as in the kernel:
 *  1. structure (check_subprogs/check_cfg/check_max_stack_depth): opcodes and
 *     reserved fields, the only accepted r11 forms, jumps, reachability,
 *     call graph (recursion, 8 frames, 512 bytes per chain);
 *  2. data flow (do_check): a depth-first walk over abstract states
 *     (registers and stack bytes of every live frame, incoming and outgoing
 *     stack-argument slots), with pruning of states equal to one already
 *     explored at the same instruction and the kernel's loop detection
 *     (an equal state on the current path is an infinite loop).
 * Messages: "func NAME insn PC: <kernel wording>".
 */
#include "bpf/bpf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U32_MAX_V 0xffffffffULL
#define S64_MIN_V INT64_MIN
#define S64_MAX_V INT64_MAX
#define MAX_SLOTS (CF_STACK_MAX / 8)
/* Memory kept for explored states; past it new states are not remembered
 * (pruning and loop detection lose precision, the budget still ends). */
#define STATE_MEM_CAP ((size_t)128 << 20)

void cf_check_opts_default(struct cf_check_opts *o)
{
	o->max_args = CF_MAX_ARGS;
	o->insn_budget = 1000000;
	o->ctx_size = CF_CTX_SIZE;
	o->model_callees = true;
	o->ctx_moved_ok = true;
	o->maps = false;
	o->raw_tp = false;
	o->max_frames = CF_MODEL_MAX_FRAMES;
	o->kernel_paths = false;
	o->kfuncs = false;
}

/* ---- abstract values --------------------------------------------------- */

enum reg_type {
	NOT_INIT = 0,
	SCALAR,
	PTR_STACK, /* frame, off from that frame's r10 */
	PTR_CTX,   /* off from the start of ctx */
	/* maps (kernel-paths.md "Maps"): map is the index in prog->maps */
	PTR_MAP,               /* CONST_PTR_TO_MAP */
	PTR_MAP_VALUE,         /* off from the start of a value of size value_size */
	PTR_MAP_VALUE_OR_NULL, /* a lookup's result; off is its id (mark_ptr_or_null_regs) */
	PTR_FUNC,  /* a callback's address: off is the function (BPF_PSEUDO_FUNC) */
	/* bpf_iter_num_next's int * (PTR_TO_MEM | MEM_RDONLY, mem_size 4): the
	 * iterator's `cur` in frame `frame`, stack slot `map`; off into the 4 bytes */
	PTR_ITER_INT,
	/* not a register: the state of an iterator, kept in its stack slot's
	 * spill (off: ITER_ACTIVE or ITER_DRAINED; umin: the next call that
	 * made it active on this path, func << 32 | pc + 1, or 0) */
	ITER_STATE,
};

enum { ITER_ACTIVE = 1, ITER_DRAINED = 2 };

/* No implicit padding: states are compared with memcmp. */
struct reg {
	uint8_t type;
	uint8_t frame;
	uint16_t map; /* PTR_MAP*: the map's index */
	int32_t off;
	uint64_t umin, umax;
	int64_t smin, smax;
};

enum stack_byte {
	SB_INVALID = 0, /* never written (or what is left of a clobbered pointer) */
	SB_MISC,        /* written, value unknown */
	SB_SPILL,       /* covered by the slot's spilled register */
	SB_ITER,        /* an iterator (STACK_ITER): its state is the slot's spill */
};

struct slot {
	uint8_t bytes[8];   /* enum stack_byte, byte 0 = lowest address */
	uint8_t spill_off;  /* first byte of the spill */
	uint8_t spill_size; /* 0: no spill */
	uint8_t pad[6];
	struct reg spill;
};

struct frame {
	int32_t func;
	int32_t callsite;   /* pc of the call in the caller */
	int32_t slot_base;  /* first slot in state.slots */
	int32_t nslots;
	uint8_t no_arg_loads; /* stack-args.md 2.4: an r11 store or a call happened */
	uint8_t is_callback;  /* entered from bpf_loop: r0 in [0, 1] at exit */
	uint8_t pad[6];
	struct reg regs[11];
	struct reg in_args[CF_MAX_STACK_ARGS];
	struct reg out_args[CF_MAX_STACK_ARGS];
};

struct state {
	int32_t nframes;
	int32_t pc;
	int32_t nslots; /* used in slots[] */
	int32_t id_gen; /* ids of lookup results (not part of a state's blob) */
	struct visited *parent; /* last checkpoint on this path */
	struct frame fr[CF_MAX_FRAMES];
	struct slot slots[MAX_SLOTS];
};

/* An explored state at a checkpoint. branches counts the paths still being
 * explored below it: non-zero means it is on the current path. */
struct visited {
	struct visited *next;   /* hash chain */
	struct visited *parent;
	uint32_t branches;
	uint32_t hash;
	int32_t func, pc;
	size_t size;
	unsigned char blob[];
};

struct checker {
	const struct cf_prog *p;
	struct cf_check_opts o;
	struct cf_err *err;
	int *stack;          /* effective stack size per func */
	int *out_need;       /* largest stack-slot need of any call, per func */
	int *out_written;    /* largest outgoing slot written, per func */
	int *out_written_pc;
	uint8_t **checkpoint; /* per func, per pc */
	long processed;
	struct visited **table;
	size_t table_size;
	size_t state_mem;
	struct state *pending;
	int npending, pending_cap;
	/* a state's blob: counts, every frame, every slot */
	unsigned char scratch[8 + sizeof(struct frame) * CF_MAX_FRAMES + sizeof(struct slot) * MAX_SLOTS];
};

static int fail(struct checker *c, int fi, int pc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct checker *c, int fi, int pc, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_err_set(c->err, "func %s insn %d: %s", c->p->funcs[fi].name, pc, msg);
	return -1;
}

static struct reg reg_not_init(void)
{
	struct reg r;

	memset(&r, 0, sizeof(r));
	return r;
}

static struct reg scalar_const(uint64_t v)
{
	struct reg r = reg_not_init();

	r.type = SCALAR;
	r.umin = r.umax = v;
	r.smin = r.smax = (int64_t)v;
	return r;
}

static struct reg scalar_unknown(void)
{
	struct reg r = reg_not_init();

	r.type = SCALAR;
	r.umin = 0;
	r.umax = UINT64_MAX;
	r.smin = S64_MIN_V;
	r.smax = S64_MAX_V;
	return r;
}

static struct reg scalar_urange(uint64_t lo, uint64_t hi)
{
	struct reg r = scalar_unknown();

	r.umin = lo;
	r.umax = hi;
	if (hi <= (uint64_t)S64_MAX_V) {
		r.smin = (int64_t)lo;
		r.smax = (int64_t)hi;
	}
	return r;
}

static struct reg scalar_srange(int64_t lo, int64_t hi)
{
	struct reg r = scalar_unknown();

	r.smin = lo;
	r.smax = hi;
	if (lo >= 0 || hi < 0) {
		r.umin = (uint64_t)lo;
		r.umax = (uint64_t)hi;
	}
	return r;
}

static struct reg ptr_stack(int frame, int off)
{
	struct reg r = reg_not_init();

	r.type = PTR_STACK;
	r.frame = (uint8_t)frame;
	r.off = off;
	return r;
}

static bool is_const(const struct reg *r)
{
	return r->type == SCALAR && r->umin == r->umax;
}

static bool is_ptr(const struct reg *r)
{
	return r->type == PTR_STACK || r->type == PTR_CTX || r->type == PTR_MAP || r->type == PTR_MAP_VALUE ||
	       r->type == PTR_MAP_VALUE_OR_NULL || r->type == PTR_FUNC || r->type == PTR_ITER_INT;
}

static struct reg ptr_map(int type, int map, int off)
{
	struct reg r = reg_not_init();

	r.type = (uint8_t)type;
	r.map = (uint16_t)map;
	r.off = off;
	return r;
}

/* Make the signed and unsigned bounds agree; false if the range is empty
 * (an infeasible branch). */
static bool scalar_sync(struct reg *r)
{
	for (int round = 0; round < 2; round++) {
		if (r->smin >= 0 || r->smax < 0) {
			if ((uint64_t)r->smin > r->umin)
				r->umin = (uint64_t)r->smin;
			if ((uint64_t)r->smax < r->umax)
				r->umax = (uint64_t)r->smax;
		}
		if (r->umin > r->umax || r->smin > r->smax)
			return false;
		if ((r->umin ^ r->umax) >> 63 == 0) {
			if ((int64_t)r->umin > r->smin)
				r->smin = (int64_t)r->umin;
			if ((int64_t)r->umax < r->smax)
				r->smax = (int64_t)r->umax;
		}
		if (r->umin > r->umax || r->smin > r->smax)
			return false;
	}
	return true;
}

static const char *reg_type_name(const struct reg *r)
{
	switch (r->type) {
	case SCALAR:
		return "scalar";
	case PTR_STACK:
		return "fp";
	case PTR_CTX:
		return "ctx";
	case PTR_MAP:
		return "map_ptr";
	case PTR_MAP_VALUE:
		return "map_value";
	case PTR_MAP_VALUE_OR_NULL:
		return "map_value_or_null";
	case PTR_FUNC:
		return "func";
	case PTR_ITER_INT:
		return "rdonly_mem";
	default:
		return "?";
	}
}

/* ---- concrete ALU semantics (used when both operands are constants) ---- */

static uint64_t alu_const(uint8_t op, bool is64, int16_t off, uint64_t a, uint64_t b)
{
	if (!is64) {
		uint32_t x = (uint32_t)a, y = (uint32_t)b;

		switch (op) {
		case BPF_ADD: return (uint32_t)(x + y);
		case BPF_SUB: return (uint32_t)(x - y);
		case BPF_MUL: return (uint32_t)(x * y);
		case BPF_OR: return x | y;
		case BPF_AND: return x & y;
		case BPF_XOR: return x ^ y;
		case BPF_LSH: return (uint32_t)(x << (y & 31));
		case BPF_RSH: return x >> (y & 31);
		case BPF_ARSH: return (uint32_t)((int32_t)x >> (y & 31));
		case BPF_NEG: return (uint32_t)(-x);
		case BPF_DIV:
			if (off == 1) { /* sdiv: x / 0 = 0, x / -1 = -x */
				if (y == 0)
					return 0;
				if ((int32_t)y == -1)
					return (uint32_t)(-x);
				return (uint32_t)((int32_t)x / (int32_t)y);
			}
			return y ? x / y : 0;
		case BPF_MOD:
			if (off == 1) { /* smod: x % 0 = x, x % -1 = 0 */
				if (y == 0)
					return x;
				if ((int32_t)y == -1)
					return 0;
				return (uint32_t)((int32_t)x % (int32_t)y);
			}
			return y ? x % y : x;
		}
		return 0;
	}
	switch (op) {
	case BPF_ADD: return a + b;
	case BPF_SUB: return a - b;
	case BPF_MUL: return a * b;
	case BPF_OR: return a | b;
	case BPF_AND: return a & b;
	case BPF_XOR: return a ^ b;
	case BPF_LSH: return a << (b & 63);
	case BPF_RSH: return a >> (b & 63);
	case BPF_ARSH: return (uint64_t)((int64_t)a >> (b & 63));
	case BPF_NEG: return -a;
	case BPF_DIV:
		if (off == 1) {
			if (b == 0)
				return 0;
			if ((int64_t)b == -1)
				return -a;
			return (uint64_t)((int64_t)a / (int64_t)b);
		}
		return b ? a / b : 0;
	case BPF_MOD:
		if (off == 1) {
			if (b == 0)
				return a;
			if ((int64_t)b == -1)
				return 0;
			return (uint64_t)((int64_t)a % (int64_t)b);
		}
		return b ? a % b : a;
	}
	return 0;
}

static unsigned bits_needed(uint64_t v)
{
	return v ? 64 - (unsigned)__builtin_clzll(v) : 0;
}

/* Range arithmetic on 64-bit values, sound over-approximation. */
static struct reg alu_range(uint8_t op, struct reg a, struct reg b)
{
	struct reg r = scalar_unknown();
	uint64_t lo, hi;
	int64_t slo, shi;

	switch (op) {
	case BPF_ADD:
		if (!__builtin_add_overflow(a.umax, b.umax, &hi)) {
			r.umin = a.umin + b.umin;
			r.umax = hi;
		}
		if (!__builtin_add_overflow(a.smin, b.smin, &slo) &&
		    !__builtin_add_overflow(a.smax, b.smax, &shi)) {
			r.smin = slo;
			r.smax = shi;
		}
		break;
	case BPF_SUB:
		if (a.umin >= b.umax) {
			r.umin = a.umin - b.umax;
			r.umax = a.umax - b.umin;
		}
		if (!__builtin_sub_overflow(a.smin, b.smax, &slo) &&
		    !__builtin_sub_overflow(a.smax, b.smin, &shi)) {
			r.smin = slo;
			r.smax = shi;
		}
		break;
	case BPF_MUL:
		if (!__builtin_mul_overflow(a.umax, b.umax, &hi) && hi <= (uint64_t)S64_MAX_V)
			r = scalar_urange(a.umin * b.umin, hi);
		break;
	case BPF_AND:
		hi = a.umax < b.umax ? a.umax : b.umax;
		r = scalar_urange(0, hi);
		if (a.smin >= 0 || b.smin >= 0)
			break;
		r = scalar_unknown(); /* both may be negative: no useful bound */
		r.umax = hi;
		break;
	case BPF_OR:
	case BPF_XOR: {
		unsigned n = bits_needed(a.umax > b.umax ? a.umax : b.umax);

		hi = n >= 64 ? UINT64_MAX : (1ULL << n) - 1;
		lo = op == BPF_OR ? (a.umin > b.umin ? a.umin : b.umin) : 0;
		r = scalar_urange(lo, hi);
		break;
	}
	case BPF_LSH:
		if (is_const(&b) && b.umin < 64 && a.umax <= (UINT64_MAX >> b.umin))
			r = scalar_urange(a.umin << b.umin, a.umax << b.umin);
		break;
	case BPF_RSH:
		if (is_const(&b) && b.umin < 64)
			r = scalar_urange(a.umin >> b.umin, a.umax >> b.umin);
		else
			r = scalar_urange(0, a.umax);
		break;
	case BPF_ARSH:
		if (is_const(&b) && b.umin < 64)
			r = scalar_srange(a.smin >> b.umin, a.smax >> b.umin);
		break;
	case BPF_DIV:
		if (is_const(&b) && b.umin > 0)
			r = scalar_urange(a.umin / b.umin, a.umax / b.umin);
		else
			r = scalar_urange(0, a.umax);
		break;
	case BPF_MOD:
		if (b.umin > 0)
			r = scalar_urange(0, a.umax < b.umax - 1 ? a.umax : b.umax - 1);
		else
			r = scalar_urange(0, a.umax > b.umax ? a.umax : b.umax);
		break;
	case BPF_NEG:
		if (a.smin != S64_MIN_V)
			r = scalar_srange(-a.smax, -a.smin);
		break;
	}
	if (!scalar_sync(&r))
		r = scalar_unknown();
	return r;
}

/* The value of a 32-bit subregister, as a range over 0..U32_MAX. */
static struct reg trunc32(struct reg a)
{
	if (is_const(&a))
		return scalar_const((uint32_t)a.umin);
	if (a.umax <= U32_MAX_V)
		return a;
	return scalar_urange(0, U32_MAX_V);
}

static struct reg alu_scalar(uint8_t op, bool is64, int16_t off, struct reg a, struct reg b)
{
	struct reg r;

	if (!is64) {
		a = trunc32(a);
		b = trunc32(b);
	}
	if (op == BPF_MOV)
		return b;
	if (is_const(&a) && (is_const(&b) || op == BPF_NEG))
		return scalar_const(alu_const(op, is64, off, a.umin, b.umin));
	if ((op == BPF_DIV || op == BPF_MOD) && off == 1)
		return is64 ? scalar_unknown() : scalar_urange(0, U32_MAX_V);
	if (!is64 && (op == BPF_ARSH || op == BPF_NEG))
		return scalar_urange(0, U32_MAX_V);
	if (!is64 && (op == BPF_LSH || op == BPF_RSH) && !(is_const(&b) && b.umin < 32))
		return scalar_urange(0, U32_MAX_V);
	r = alu_range(op, a, b);
	if (!is64 && r.umax > U32_MAX_V)
		r = scalar_urange(0, U32_MAX_V);
	return r;
}

/* ---- structure --------------------------------------------------------- */

static bool is_jump(const struct bpf_insn *i)
{
	uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

static int jump_target(const struct bpf_insn *i, int pc)
{
	if (BPF_CLASS(i->code) == BPF_JMP32 && BPF_OP(i->code) == BPF_JA)
		return pc + 1 + i->imm; /* gotol */
	return pc + 1 + i->off;
}

static bool is_r11_stack_arg_form(const struct bpf_insn *i)
{
	/* include/linux/filter.h is_stack_arg_{stx,st,ldx}: the only uses of r11 */
	if (i->code == (BPF_STX | BPF_MEM | BPF_DW) && i->dst_reg == BPF_REG_PARAMS)
		return i->src_reg != BPF_REG_PARAMS && i->off < 0 && i->off % 8 == 0;
	if (i->code == (BPF_ST | BPF_MEM | BPF_DW) && i->dst_reg == BPF_REG_PARAMS)
		return i->src_reg == 0 && i->off < 0 && i->off % 8 == 0;
	if (i->code == (BPF_LDX | BPF_MEM | BPF_DW) && i->src_reg == BPF_REG_PARAMS)
		return i->dst_reg != BPF_REG_PARAMS && i->off > 0 && i->off % 8 == 0;
	return false;
}

static bool is_alu_op(uint8_t op)
{
	switch (op) {
	case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_DIV: case BPF_OR: case BPF_AND:
	case BPF_LSH: case BPF_RSH: case BPF_NEG: case BPF_MOD: case BPF_XOR: case BPF_MOV:
	case BPF_ARSH: case BPF_END:
		return true;
	}
	return false;
}

static bool is_cond_op(uint8_t op)
{
	switch (op) {
	case BPF_JEQ: case BPF_JGT: case BPF_JGE: case BPF_JSET: case BPF_JNE: case BPF_JSGT:
	case BPF_JSGE: case BPF_JLT: case BPF_JLE: case BPF_JSLT: case BPF_JSLE:
		return true;
	}
	return false;
}

static bool is_atomic_op(int32_t imm)
{
	switch (imm) {
	case BPF_ADD: case BPF_ADD | BPF_FETCH: case BPF_OR: case BPF_OR | BPF_FETCH:
	case BPF_AND: case BPF_AND | BPF_FETCH: case BPF_XOR: case BPF_XOR | BPF_FETCH:
	case BPF_XCHG: case BPF_CMPXCHG:
		return true;
	}
	return false;
}

/* Opcode, reserved fields and register numbers of one instruction, with
 * the kernel's wording (do_check, check_alu_op, check_mem_access...). The
 * kernel only looks at instructions a path reaches; we look at all of them
 * (stricter for dead code, which the kernel would patch away). */
/* kernel/bpf/verifier.c resolve_pseudo_ldimm64: the map by its index in
 * fd_array; a direct value (kernel/bpf/arraymap.c
 * array_map_direct_value_addr) only of a one-entry array, inside the value;
 * a map pointer's second imm must be 0. */
static int check_map_ldimm64(struct checker *c, int fi, int pc, const struct bpf_insn *i)
{
	const struct cf_map *m;
	int32_t off = i[1].imm;

	if (!c->o.maps)
		return fail(c, fi, pc, "maps are for kernel targets (the vm target creates them)");
	if (i->imm < 0 || i->imm >= c->p->nmaps)
		return fail(c, fi, pc, "fd_idx %d: the program has %d maps", i->imm, c->p->nmaps);
	m = &c->p->maps[i->imm];
	if (i->src_reg == BPF_PSEUDO_MAP_IDX) {
		if (off)
			return fail(c, fi, pc, "unrecognized bpf_ld_imm64 insn");
		return 0;
	}
	if (m->type != BPF_MAP_TYPE_ARRAY || m->max_entries != 1 || off < 0 || (uint32_t)off >= m->value_size)
		return fail(c, fi, pc, "invalid access to map value pointer, value_size=%u off=%u", m->value_size,
			    (uint32_t)off);
	return 0;
}

static int check_insn_fields(struct checker *c, int fi, int pc, const struct bpf_insn *i)
{
	uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code), mode = BPF_MODE(i->code);
	bool x = BPF_SRC(i->code) == BPF_X;
	const char *cname = cls == BPF_ALU64 || cls == BPF_ALU ? "BPF_ALU" : "";

	if (i->dst_reg == BPF_REG_PARAMS || i->src_reg == BPF_REG_PARAMS) {
		if (c->o.max_args <= CF_MAX_REG_ARGS || !is_r11_stack_arg_form(i))
			return fail(c, fi, pc, "R11 is invalid");
	}
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (!is_alu_op(op))
			return fail(c, fi, pc, "invalid BPF_ALU opcode %x", op);
		if (op == BPF_NEG) {
			if (x || i->src_reg || i->off || i->imm)
				return fail(c, fi, pc, "BPF_NEG uses reserved fields");
		} else if (op == BPF_END) {
			if (i->src_reg || i->off || (i->imm != 16 && i->imm != 32 && i->imm != 64) ||
			    (cls == BPF_ALU64 && x))
				return fail(c, fi, pc, "BPF_END uses reserved fields");
		} else if (op == BPF_MOV) {
			if (x) {
				bool sx_ok = cls == BPF_ALU64 ? (i->off == 0 || i->off == 8 || i->off == 16 ||
								i->off == 32)
							      : (i->off == 0 || i->off == 8 || i->off == 16);
				if (i->imm || !sx_ok)
					return fail(c, fi, pc, "BPF_MOV uses reserved fields");
			} else if (i->src_reg || i->off) {
				return fail(c, fi, pc, "BPF_MOV uses reserved fields");
			}
		} else {
			bool off_ok = i->off == 0 || ((op == BPF_DIV || op == BPF_MOD) && i->off == 1);

			if ((x && (i->imm || !off_ok)) || (!x && (i->src_reg || !off_ok)))
				return fail(c, fi, pc, "%s uses reserved fields", cname);
			if (!x && (op == BPF_DIV || op == BPF_MOD) && i->imm == 0)
				return fail(c, fi, pc, "div by zero");
			if (!x && (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) &&
			    (i->imm < 0 || i->imm >= (cls == BPF_ALU64 ? 64 : 32)))
				return fail(c, fi, pc, "invalid shift %d", i->imm);
		}
		if (i->dst_reg == BPF_REG_10)
			return fail(c, fi, pc, "frame pointer is read only");
		break;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_CALL) {
			if (cls != BPF_JMP || x || i->off || i->dst_reg ||
			    (i->src_reg != 0 && i->src_reg != BPF_PSEUDO_CALL &&
			     i->src_reg != BPF_PSEUDO_KFUNC_CALL))
				return fail(c, fi, pc, "BPF_CALL uses reserved fields");
		} else if (op == BPF_EXIT) {
			if (cls != BPF_JMP || x || i->src_reg || i->dst_reg || i->off || i->imm)
				return fail(c, fi, pc, "BPF_EXIT uses reserved fields");
		} else if (op == BPF_JA) {
			if (x || i->src_reg || i->dst_reg || (cls == BPF_JMP ? i->imm : i->off))
				return fail(c, fi, pc, "BPF_JA uses reserved fields");
		} else if (op == BPF_JCOND && cls == BPF_JMP && c->o.kernel_paths) {
			/* check_cond_jmp_op: src_reg BPF_MAY_GOTO, the rest zero */
			if (x || i->src_reg || i->dst_reg)
				return fail(c, fi, pc, "invalid may_goto");
			if (i->imm)
				return fail(c, fi, pc, "invalid may_goto imm %d", i->imm);
		} else if (is_cond_op(op)) {
			if ((x && i->imm) || (!x && i->src_reg))
				return fail(c, fi, pc, "BPF_JMP/JMP32 uses reserved fields");
		} else {
			return fail(c, fi, pc, "unknown opcode %02x", i->code);
		}
		break;
	case BPF_LD:
		if (!cf_insn_is_ldimm64(i))
			return fail(c, fi, pc, "unknown opcode %02x", i->code);
		if (pc + 1 >= c->p->funcs[fi].ninsns)
			return fail(c, fi, pc, "invalid BPF_LD_IMM insn");
		{
			const struct bpf_insn *n = i + 1;

			if (n->code || n->dst_reg || n->src_reg || n->off || i->off)
				return fail(c, fi, pc, "invalid BPF_LD_IMM insn");
			if (i->src_reg == BPF_PSEUDO_MAP_IDX || i->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
				if (check_map_ldimm64(c, fi, pc, i))
					return -1;
			} else if (i->src_reg == BPF_PSEUDO_FUNC && c->o.kernel_paths) {
				/* a callback: a static function other than main */
				if (n->imm || i->imm <= 0 || i->imm >= c->p->nfuncs)
					return fail(c, fi, pc, "invalid BPF_PSEUDO_FUNC: function #%d", i->imm);
				if (c->p->funcs[i->imm].global ||
				    c->p->funcs[i->imm].nargs > CF_MAX_REG_ARGS)
					return fail(c, fi, pc,
						    "callback %s: a static function of at most 5 arguments",
						    c->p->funcs[i->imm].name);
			} else if (i->src_reg) {
				return fail(c, fi, pc, "unrecognized bpf_ld_imm64 insn");
			}
		}
		if (i->dst_reg == BPF_REG_10)
			return fail(c, fi, pc, "frame pointer is read only");
		break;
	case BPF_LDX:
		if ((mode != BPF_MEM && mode != BPF_MEMSX) ||
		    (mode == BPF_MEMSX && BPF_SIZE(i->code) == BPF_DW))
			return fail(c, fi, pc, "unknown opcode %02x", i->code);
		if (i->imm)
			return fail(c, fi, pc, "BPF_LDX uses reserved fields");
		if (i->dst_reg == BPF_REG_10)
			return fail(c, fi, pc, "frame pointer is read only");
		break;
	case BPF_ST:
		if (mode != BPF_MEM)
			return fail(c, fi, pc, "unknown opcode %02x", i->code);
		if (i->src_reg)
			return fail(c, fi, pc, "BPF_ST uses reserved fields");
		break;
	case BPF_STX:
		if (mode == BPF_MEM) {
			if (i->imm)
				return fail(c, fi, pc, "BPF_STX uses reserved fields");
		} else if (mode == BPF_ATOMIC) {
			if (BPF_SIZE(i->code) != BPF_W && BPF_SIZE(i->code) != BPF_DW)
				return fail(c, fi, pc, "invalid atomic operand size");
			if (!is_atomic_op(i->imm))
				return fail(c, fi, pc, "BPF_ATOMIC uses invalid atomic opcode %02x", i->imm);
		} else {
			return fail(c, fi, pc, "unknown opcode %02x", i->code);
		}
		break;
	default:
		return fail(c, fi, pc, "unknown opcode %02x", i->code);
	}
	if (i->dst_reg > BPF_REG_PARAMS)
		return fail(c, fi, pc, "R%d is invalid", i->dst_reg);
	if (cls != BPF_JMP && cls != BPF_LD && i->src_reg > BPF_REG_PARAMS)
		return fail(c, fi, pc, "R%d is invalid", i->src_reg);
	if (is_cond_op(op) && (cls == BPF_JMP || cls == BPF_JMP32) && i->src_reg > BPF_REG_PARAMS)
		return fail(c, fi, pc, "R%d is invalid", i->src_reg);
	return 0;
}

static int stack_slots_of_call(const struct checker *c, const struct bpf_insn *i)
{
	int n = 0;

	if (cf_insn_is_pseudo_call(i)) {
		n = c->p->funcs[i->imm].nargs;
	} else {
		const struct cf_callee *ce = cf_callee_find(i->src_reg == BPF_PSEUDO_KFUNC_CALL, i->imm);

		n = ce ? ce->nargs : 0;
	}
	return n > CF_MAX_REG_ARGS ? n - CF_MAX_REG_ARGS : 0;
}

static int check_call_target(struct checker *c, int fi, int pc, const struct bpf_insn *i)
{
	const struct cf_callee *ce;

	if (i->src_reg == BPF_PSEUDO_CALL) {
		if (i->imm < 0 || i->imm >= c->p->nfuncs)
			return fail(c, fi, pc, "invalid call target: function #%d does not exist", i->imm);
		return 0;
	}
	if (i->src_reg == BPF_PSEUDO_KFUNC_CALL) {
		ce = cf_callee_find(true, i->imm);
		if (!ce)
			return fail(c, fi, pc, "kernel btf_id %d is not a function", i->imm);
		/* the model's kf_argsN, or the kernel's kfuncs where its BTF
		 * names them (docs/kernel-paths.md "Kfuncs") */
		if (ce->kernel ? !c->o.kfuncs : !c->o.model_callees)
			return fail(c, fi, pc, "calling kernel function %s is not allowed%s", ce->name,
				    ce->kernel ? " (this kernel's BTF has no such kfunc, or the target has none)" : "");
		if (ce->nargs > c->o.max_args)
			return fail(c, fi, pc, "Function %s has %d > %d args", ce->name, ce->nargs,
				    c->o.max_args);
		return 0;
	}
	ce = cf_callee_find(false, i->imm);
	if (ce && (cf_callee_is_map_helper(false, i->imm) || (ce->kernel && ce->id == CF_KHELPER_TAIL_CALL))) {
		if (ce->kernel && !c->o.kernel_paths)
			return fail(c, fi, pc, "invalid func unknown#%d", i->imm);
		if (!c->o.maps)
			return fail(c, fi, pc, "%s: maps are for kernel targets (the vm target creates them)",
				    ce->name);
		return 0;
	}
	if (!ce || !(ce->kernel ? c->o.kernel_paths : c->o.model_callees))
		return fail(c, fi, pc, "invalid func unknown#%d", i->imm);
	return 0;
}

/* Per function: fields, jumps, last insn, reachability (check_subprogs and
 * check_cfg). Fills out_need and the checkpoints. */
static int check_func_structure(struct checker *c, int fi)
{
	const struct cf_func *f = &c->p->funcs[fi];
	int n = f->ninsns;
	uint8_t *second = calloc(n + 1, 1), *seen = calloc(n + 1, 1);
	int *work = malloc(sizeof(int) * (n + 1)), nwork = 0, ret = -1;

	if (!second || !seen || !work) {
		cf_err_set(c->err, "out of memory");
		goto out;
	}
	if (n == 0) {
		fail(c, fi, 0, "function has no instructions");
		goto out;
	}
	for (int pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &f->insns[pc];

		if (check_insn_fields(c, fi, pc, i))
			goto out;
		if (cf_insn_is_ldimm64(i)) {
			second[++pc] = 1;
			continue;
		}
		if (i->code == (BPF_JMP | BPF_CALL)) {
			int need;

			if (check_call_target(c, fi, pc, i))
				goto out;
			need = stack_slots_of_call(c, i);
			if (need > c->out_need[fi])
				c->out_need[fi] = need;
			c->checkpoint[fi][pc + 1 < n ? pc + 1 : pc] = 1;
		}
	}
	for (int pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &f->insns[pc];

		if (second[pc] || !is_jump(i))
			continue;
		int t = jump_target(i, pc);

		if (t < 0 || t >= n) {
			fail(c, fi, pc, "jump out of range from insn %d to %d", pc, t);
			goto out;
		}
		if (second[t]) {
			fail(c, fi, pc, "jump into the middle of ldimm64 insn %d", t - 1);
			goto out;
		}
		c->checkpoint[fi][t] = 1;
		if (BPF_OP(i->code) != BPF_JA && pc + 1 < n)
			c->checkpoint[fi][pc + 1] = 1;
	}
	{
		int last = n - 1;
		const struct bpf_insn *i = &f->insns[last];

		if (second[last] || (i->code != (BPF_JMP | BPF_EXIT) && i->code != (BPF_JMP | BPF_JA) &&
				     i->code != (BPF_JMP32 | BPF_JA))) {
			fail(c, fi, last, "last insn is not an exit or jmp");
			goto out;
		}
	}
	/* check_cfg: every instruction reachable from the function's start. */
	work[nwork++] = 0;
	seen[0] = 1;
	while (nwork) {
		int pc = work[--nwork], succ[2], ns = 0;
		const struct bpf_insn *i = &f->insns[pc];

		if (i->code == (BPF_JMP | BPF_EXIT)) {
			ns = 0;
		} else if (is_jump(i)) {
			succ[ns++] = jump_target(i, pc);
			if (BPF_OP(i->code) != BPF_JA)
				succ[ns++] = pc + 1;
		} else {
			succ[ns++] = pc + (cf_insn_is_ldimm64(i) ? 2 : 1);
		}
		for (int k = 0; k < ns; k++) {
			if (succ[k] >= n) { /* cannot happen: last insn checked */
				fail(c, fi, pc, "jump out of range from insn %d to %d", pc, succ[k]);
				goto out;
			}
			if (!seen[succ[k]]) {
				seen[succ[k]] = 1;
				work[nwork++] = succ[k];
			}
		}
	}
	for (int pc = 0; pc < n; pc++) {
		if (!seen[pc] && !second[pc]) {
			fail(c, fi, pc, "unreachable insn %d", pc);
			goto out;
		}
	}
	ret = 0;
out:
	free(second);
	free(seen);
	free(work);
	return ret;
}

static int round16(int v)
{
	return (v + 15) & ~15;
}

/* check_max_stack_depth: the kernel walks every call chain (not paths) and
 * adds round_up(stack_depth, 16) per frame when the program is JITed
 * (round_up_stack_depth; stack-argument programs are always JITed). */
struct graph {
	int *color;   /* 0 new, 1 on the DFS path, 2 done */
	int *depth;   /* frames in the deepest chain starting here */
	int *bytes;   /* bytes of the heaviest chain starting here */
};

static int flat_start(const struct checker *c, int fi)
{
	int s = 0;

	for (int k = 0; k < fi; k++)
		s += c->p->funcs[k].ninsns;
	return s;
}

static int graph_dfs(struct checker *c, struct graph *g, int fi)
{
	const struct cf_func *f = &c->p->funcs[fi];

	g->color[fi] = 1;
	g->depth[fi] = 1;
	g->bytes[fi] = round16(c->stack[fi]);
	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];
		int callee;

		/* check_max_stack_depth: a callback's address counts as a call */
		if (cf_insn_is_ldimm64(i) && !cf_insn_is_pseudo_func(i)) {
			pc++;
			continue;
		}
		if (!cf_insn_refs_func(i))
			continue;
		if (cf_insn_is_ldimm64(i))
			pc++;
		callee = i->imm;
		if (g->color[callee] == 1)
			return fail(c, fi, pc, "recursive call to %s: back-edge from insn %d to %d",
				    c->p->funcs[callee].name, flat_start(c, fi) + pc,
				    flat_start(c, callee));
		if (g->color[callee] == 0 && graph_dfs(c, g, callee))
			return -1;
		if (1 + g->depth[callee] > g->depth[fi])
			g->depth[fi] = 1 + g->depth[callee];
		if (round16(c->stack[fi]) + g->bytes[callee] > g->bytes[fi])
			g->bytes[fi] = round16(c->stack[fi]) + g->bytes[callee];
	}
	g->color[fi] = 2;
	return 0;
}

/* Follow the offending chain from fi to name the call that crosses a limit. */
static int report_chain(struct checker *c, struct graph *g, int fi, int frames, int bytes)
{
	const struct cf_func *f = &c->p->funcs[fi];

	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];
		int callee, nf, nb;

		if (cf_insn_is_ldimm64(i) && !cf_insn_is_pseudo_func(i)) {
			pc++;
			continue;
		}
		if (!cf_insn_refs_func(i))
			continue;
		if (cf_insn_is_ldimm64(i))
			pc++;
		callee = i->imm;
		nf = frames + 1;
		nb = bytes + round16(c->stack[callee]);
		if (nf > c->o.max_frames)
			return fail(c, fi, pc, "the call stack of %d frames is too deep !", nf);
		if (nb > CF_STACK_MAX)
			return fail(c, fi, pc, "combined stack size of %d calls is %d. Too large", nf, nb);
		if (frames + g->depth[callee] > c->o.max_frames ||
		    bytes + g->bytes[callee] > CF_STACK_MAX)
			return report_chain(c, g, callee, nf, nb);
	}
	return fail(c, fi, 0, "internal error: call chain limit not found");
}

static int check_call_graph(struct checker *c)
{
	int n = c->p->nfuncs, ret = -1;
	struct graph g = { calloc(n, sizeof(int)), calloc(n, sizeof(int)), calloc(n, sizeof(int)) };

	if (!g.color || !g.depth || !g.bytes) {
		cf_err_set(c->err, "out of memory");
		goto out;
	}
	if (graph_dfs(c, &g, 0))
		goto out;
	for (int fi = 1; fi < n; fi++) {
		if (g.color[fi] == 0) {
			fail(c, fi, 0, "unreachable insn %d (%s is never called)", flat_start(c, fi),
			     c->p->funcs[fi].name);
			goto out;
		}
	}
	/* A global function is verified on its own but still runs inside the
	 * chains of its callers: the limits apply to chains from main. */
	if (g.depth[0] > c->o.max_frames || g.bytes[0] > CF_STACK_MAX) {
		if (round16(c->stack[0]) > CF_STACK_MAX)
			fail(c, 0, 0, "combined stack size of 1 calls is %d. Too large", round16(c->stack[0]));
		else
			report_chain(c, &g, 0, 1, round16(c->stack[0]));
		goto out;
	}
	ret = 0;
out:
	free(g.color);
	free(g.depth);
	free(g.bytes);
	return ret;
}

static int check_structure(struct checker *c)
{
	const struct cf_prog *p = c->p;

	if (p->nfuncs < 1) {
		cf_err_set(c->err, "program has no functions");
		return -1;
	}
	for (int fi = 0; fi < p->nfuncs; fi++) {
		const struct cf_func *f = &p->funcs[fi];
		int limit = f->global ? CF_MAX_REG_ARGS : c->o.max_args;

		if (f->nargs < 0 || f->nargs > CF_MAX_ARGS) {
			fail(c, fi, 0, "Function %s has %d args (0..%d)", f->name, f->nargs, CF_MAX_ARGS);
			return -1;
		}
		/* stack-args.md 2.8: global functions keep the 5-argument limit.
		 * A kernel without stack arguments only marks a static function
		 * with more than 5 args unreliable (btf_prepare_func_args) and
		 * answers "R11 is invalid" at the first r11 access instead. */
		if (!f->global && c->o.max_args <= CF_MAX_REG_ARGS)
			limit = CF_MAX_ARGS;
		if (f->nargs > limit && fi != 0) {
			fail(c, fi, 0, "Function %s has %d > %d args", f->name, f->nargs, limit);
			return -1;
		}
		c->stack[fi] = f->stack_declared ? f->stack_size : cf_func_derived_stack(f);
		if (!f->stack_declared && f->stack_size > c->stack[fi])
			c->stack[fi] = f->stack_size;
		/* a derived size past 512 comes from an access the walk reports
		 * in the kernel's words ("invalid write to stack ...") */
		if (!f->stack_declared && c->stack[fi] > CF_STACK_MAX)
			c->stack[fi] = CF_STACK_MAX;
		if (c->stack[fi] < 0 || c->stack[fi] > CF_STACK_MAX) {
			fail(c, fi, 0, "stack size %d exceeds %d", c->stack[fi], CF_STACK_MAX);
			return -1;
		}
		c->checkpoint[fi] = calloc(f->ninsns + 1, 1);
		if (!c->checkpoint[fi]) {
			cf_err_set(c->err, "out of memory");
			return -1;
		}
	}
	for (int fi = 0; fi < p->nfuncs; fi++)
		if (check_func_structure(c, fi))
			return -1;
	return check_call_graph(c);
}

/* ---- explored states ---------------------------------------------------- */

static size_t state_blob_size(const struct state *s)
{
	return sizeof(int32_t) * 2 + sizeof(struct frame) * s->nframes +
	       sizeof(struct slot) * s->nslots;
}

static void state_blob(const struct state *s, unsigned char *out)
{
	memcpy(out, &s->nframes, sizeof(int32_t));
	memcpy(out + 4, &s->nslots, sizeof(int32_t));
	out += 8;
	memcpy(out, s->fr, sizeof(struct frame) * s->nframes);
	out += sizeof(struct frame) * s->nframes;
	memcpy(out, s->slots, sizeof(struct slot) * s->nslots);
}

static uint32_t hash_bytes(const unsigned char *b, size_t n, uint32_t seed)
{
	uint64_t h = seed, w;
	size_t k = 0;

	for (; k + 8 <= n; k += 8) {
		memcpy(&w, b + k, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; k < n; k++)
		h = (h ^ b[k]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/* A path ended (exit of the entry, pruned, or rejected): its checkpoints
 * leave the current path once none of their branches is still open. */
static void path_done(struct visited *v)
{
	while (v) {
		if (--v->branches)
			break;
		v = v->parent;
	}
}

/* is_state_visited: 1 pruned, 0 continue, -1 infinite loop / error. */
static int visit_checkpoint(struct checker *c, struct state *s, int fi)
{
	size_t size = state_blob_size(s);
	unsigned char *blob = c->scratch;
	uint32_t h;
	size_t bucket;
	struct visited *v;

	state_blob(s, blob);
	h = hash_bytes(blob, size, 2166136261u ^ (uint32_t)(fi * 65599 + s->pc));
	bucket = h & (c->table_size - 1);
	for (v = c->table[bucket]; v; v = v->next) {
		if (v->hash != h || v->func != fi || v->pc != s->pc || v->size != size ||
		    memcmp(v->blob, blob, size))
			continue;
		if (v->branches)
			return fail(c, fi, s->pc, "infinite loop detected at insn %d", s->pc);
		return 1;
	}
	if (c->state_mem + size + sizeof(*v) > STATE_MEM_CAP)
		return 0;
	v = malloc(sizeof(*v) + size);
	if (!v) {
		cf_err_set(c->err, "out of memory");
		return -1;
	}
	memcpy(v->blob, blob, size);
	v->size = size;
	v->hash = h;
	v->func = fi;
	v->pc = s->pc;
	v->branches = 1;
	v->parent = s->parent;
	v->next = c->table[bucket];
	c->table[bucket] = v;
	c->state_mem += size + sizeof(*v);
	s->parent = v;
	return 0;
}

static void free_visited(struct checker *c)
{
	for (size_t b = 0; b < c->table_size; b++) {
		struct visited *v = c->table[b];

		while (v) {
			struct visited *n = v->next;

			free(v);
			v = n;
		}
		c->table[b] = NULL;
	}
	c->state_mem = 0;
}

static int push_state(struct checker *c, const struct state *s)
{
	if (c->npending == c->pending_cap) {
		int ncap = c->pending_cap ? c->pending_cap * 2 : 16;
		struct state *np = realloc(c->pending, sizeof(*np) * ncap);

		if (!np) {
			cf_err_set(c->err, "out of memory");
			return -1;
		}
		c->pending = np;
		c->pending_cap = ncap;
	}
	c->pending[c->npending++] = *s;
	if (s->parent)
		s->parent->branches++;
	return 0;
}

/* ---- data flow ---------------------------------------------------------- */

static struct frame *cur(struct state *s)
{
	return &s->fr[s->nframes - 1];
}

static int frame_func(struct state *s)
{
	return cur(s)->func;
}

static int check_reg_read(struct checker *c, struct state *s, int regno)
{
	if (cur(s)->regs[regno].type == NOT_INIT)
		return fail(c, frame_func(s), s->pc, "R%d !read_ok", regno);
	return 0;
}

/* A stack address in frame fr: the slot and the byte inside it. */
static struct slot *stack_slot(struct state *s, int frame, int addr, int *byte)
{
	int k = (-addr - 1) / 8;

	*byte = addr + 8 * (k + 1);
	return &s->slots[s->fr[frame].slot_base + k];
}

/* check_stack_access_within_bounds plus the frame's own size (project rule:
 * the interpreter and the JIT allocate exactly stack_size bytes). */
static int check_stack_bounds(struct checker *c, struct state *s, int regno, const struct reg *ptr,
			      int addr, int size, const char *what)
{
	int fi = frame_func(s), target = ptr->frame, limit;

	if (target >= s->nframes)
		return fail(c, fi, s->pc, "R%d points to a frame that returned", regno);
	limit = c->stack[s->fr[target].func];
	if (addr < -CF_STACK_MAX || addr + size > 0 || addr >= 0)
		return fail(c, fi, s->pc, "invalid %s stack R%d off=%d size=%d", what, regno, addr, size);
	if (addr % size)
		return fail(c, fi, s->pc, "misaligned stack access off %d size %d", addr, size);
	if (addr < -limit)
		return fail(c, fi, s->pc,
			    "invalid %s stack R%d off=%d size=%d: beyond the %d-byte stack of %s", what,
			    regno, addr, size, limit, c->p->funcs[s->fr[target].func].name);
	return 0;
}

static int check_ctx_bounds(struct checker *c, struct state *s, int addr, int size)
{
	/* include/linux/bpf.h bpf_tracing_ctx_access (raw_tp_prog_is_valid_access):
	 * an offset that is a multiple of the size */
	if (c->p->prog_type == CF_PROG_RAW_TP && size && addr % size)
		return fail(c, frame_func(s), s->pc, "invalid bpf_context access off=%d size=%d", addr, size);
	if (addr < 0 || addr + size > c->o.ctx_size)
		return fail(c, frame_func(s), s->pc, "invalid bpf_context access off=%d size=%d", addr,
			    size);
	return 0;
}

/* The register part of a ctx access through ptr (regno), before the bounds
 * of the accessed bytes; insn_off is the instruction's offset (0 for
 * helper memory). */
static int check_ctx_ptr(struct checker *c, struct state *s, int regno, const struct reg *ptr,
			 int insn_off)
{
	int fi = frame_func(s);

	if (!c->o.ctx_moved_ok) {
		/* before 7.2: __check_ptr_off_reg with fixed_off_ok false */
		if (ptr->off < 0)
			return fail(c, fi, s->pc, "negative offset ctx ptr R%d off=%d disallowed", regno,
				    ptr->off);
		if (ptr->off)
			return fail(c, fi, s->pc, "dereference of modified ctx ptr R%d off=%d disallowed",
				    regno, ptr->off);
		return 0;
	}
	/* 7.2 SYSCALL: check_ctx_access -> check_mem_region_access; a negative
	 * register offset is a huge umax */
	if (ptr->off < 0 && ptr->off + insn_off < 0)
		return fail(c, fi, s->pc,
			    "R%d min value is negative, either use unsigned index or do a if (index >=0) check.",
			    regno);
	if (ptr->off < 0)
		return fail(c, fi, s->pc, "R%d unbounded memory access, make sure to bounds check any such access",
			    regno);
	return 0;
}

/* Forget the slot's spill: what was a pointer becomes unusable, what was a
 * scalar becomes plain written bytes. */
static void slot_drop_spill(struct slot *sl)
{
	if (!sl->spill_size)
		return;
	for (int b = 0; b < 8; b++)
		if (sl->bytes[b] == SB_SPILL)
			sl->bytes[b] = is_ptr(&sl->spill) ? SB_INVALID : SB_MISC;
	sl->spill_off = 0;
	sl->spill_size = 0;
	sl->spill = reg_not_init();
}

static struct reg truncate_value(struct reg v, int size)
{
	uint64_t mask;

	if (size == 8)
		return v;
	mask = (1ULL << (size * 8)) - 1;
	if (is_const(&v))
		return scalar_const(v.umin & mask);
	if (v.umax <= mask)
		return v;
	return scalar_urange(0, mask);
}

static int stack_write(struct checker *c, struct state *s, int regno, const struct reg *ptr,
		       int addr, int size, struct reg val)
{
	int fi = frame_func(s), byte;
	struct slot *sl;

	if (check_stack_bounds(c, s, regno, ptr, addr, size, "write to"))
		return -1;
	if (is_ptr(&val) && size != 8)
		return fail(c, fi, s->pc, "invalid size of register spill");
	if (val.type == PTR_STACK && val.frame > ptr->frame)
		return fail(c, fi, s->pc, "cannot spill pointers to stack into stack frame of the caller");
	sl = stack_slot(s, ptr->frame, addr, &byte);
	if (sl->bytes[0] == SB_ITER)
		/* the kernel scrubs the iterator (scrub_special_slot), which then
		 * leaks its reference: never generated */
		return fail(c, fi, s->pc, "write to stack off %d overwrites an iterator (project rule)", addr);
	if (size == 8) {
		memset(sl->bytes, SB_SPILL, 8);
		sl->spill_off = 0;
		sl->spill_size = 8;
		sl->spill = val;
		return 0;
	}
	slot_drop_spill(sl);
	memset(sl->bytes + byte, SB_MISC, size);
	if (is_const(&val)) {
		memset(sl->bytes + byte, SB_SPILL, size);
		sl->spill_off = (uint8_t)byte;
		sl->spill_size = (uint8_t)size;
		sl->spill = truncate_value(val, size);
	}
	return 0;
}

static struct reg sign_extend(struct reg v, int size)
{
	int bits = size * 8;

	if (is_const(&v)) {
		uint64_t x = v.umin;

		return scalar_const((uint64_t)(((int64_t)(x << (64 - bits))) >> (64 - bits)));
	}
	if (v.umax < (1ULL << (bits - 1)))
		return v; /* sign bit clear */
	return scalar_srange(-(int64_t)(1ULL << (bits - 1)), (int64_t)((1ULL << (bits - 1)) - 1));
}

static int stack_read(struct checker *c, struct state *s, int regno, const struct reg *ptr, int addr,
		      int size, bool sx, struct reg *out)
{
	int fi = frame_func(s), byte;
	struct slot *sl;

	if (check_stack_bounds(c, s, regno, ptr, addr, size, "read from"))
		return -1;
	sl = stack_slot(s, ptr->frame, addr, &byte);
	for (int b = byte; b < byte + size; b++)
		if (sl->bytes[b] == SB_INVALID || sl->bytes[b] == SB_ITER) /* STACK_ITER is no data */
			return fail(c, fi, s->pc, "invalid read from stack off %d+%d size %d", addr,
				    b - byte, size);
	if (sl->spill_size && byte < sl->spill_off + sl->spill_size &&
	    sl->spill_off < byte + size) {
		if (byte == sl->spill_off && size == sl->spill_size) {
			*out = sl->spill;
			if (sx && size < 8)
				*out = sign_extend(*out, size);
			return 0;
		}
		if (is_ptr(&sl->spill))
			return fail(c, fi, s->pc, "invalid size of register fill");
	}
	if (size == 8)
		*out = scalar_unknown();
	else if (sx)
		*out = sign_extend(scalar_urange(0, (1ULL << (size * 8)) - 1), size);
	else
		*out = scalar_urange(0, (1ULL << (size * 8)) - 1);
	return 0;
}

static int mem_ptr_check(struct checker *c, struct state *s, int regno)
{
	struct reg *p = &cur(s)->regs[regno];

	if (p->type == NOT_INIT)
		return fail(c, frame_func(s), s->pc, "R%d !read_ok", regno);
	if (p->type == SCALAR)
		return fail(c, frame_func(s), s->pc, "R%d invalid mem access 'scalar'", regno);
	return 0;
}

static const int size_bytes[4] = { 4, 2, 1, 8 };

/* check_map_access: inside [0, value_size) of a non-NULL map value. */
static int check_map_value_access(struct checker *c, struct state *s, int regno, const struct reg *ptr, int off,
				  int size)
{
	int fi = frame_func(s);
	int64_t at;

	if (ptr->type != PTR_MAP_VALUE)
		return fail(c, fi, s->pc, "R%d invalid mem access '%s'", regno, reg_type_name(ptr));
	at = (int64_t)ptr->off + off;
	if (at < 0 || at + size > (int64_t)c->p->maps[ptr->map].value_size)
		return fail(c, fi, s->pc, "invalid access to map value, value_size=%u off=%" PRId64 " size=%d",
			    c->p->maps[ptr->map].value_size, at, size);
	return 0;
}

static int do_ldx(struct checker *c, struct state *s, const struct bpf_insn *i)
{
	struct frame *f = cur(s);
	int size = size_bytes[BPF_SIZE(i->code) >> 3], fi = f->func;
	bool sx = BPF_MODE(i->code) == BPF_MEMSX;
	struct reg val, ptr;

	if (i->src_reg == BPF_REG_PARAMS) {
		/* stack-args.md 2.5 and 2.4: incoming slot k = arg 5+k */
		const struct cf_func *fn = &c->p->funcs[fi];
		int k = i->off / 8;
		int incoming = (fi == 0 || fn->global || fn->nargs <= CF_MAX_REG_ARGS)
				       ? 0 : fn->nargs - CF_MAX_REG_ARGS;

		if (k > incoming)
			return fail(c, fi, s->pc, "invalid read from stack arg off %d depth %d", i->off,
				    incoming * 8);
		if (f->no_arg_loads)
			return fail(c, fi, s->pc, "r11 load must be before any r11 store or call insn");
		f->regs[i->dst_reg] = f->in_args[k - 1];
		return 0;
	}
	if (mem_ptr_check(c, s, i->src_reg))
		return -1;
	ptr = f->regs[i->src_reg];
	if (ptr.type == PTR_STACK) {
		if (stack_read(c, s, i->src_reg, &ptr, ptr.off + i->off, size, sx, &val))
			return -1;
	} else if (ptr.type == PTR_ITER_INT) {
		/* check_mem_region_access: inside the int the iterator returned */
		int at = ptr.off + i->off;

		if (at < 0 || at + size > 4)
			return fail(c, fi, s->pc, "invalid access to memory, mem_size=4 off=%d size=%d", at, size);
		val = scalar_urange(0, size == 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1);
		if (sx)
			val = sign_extend(val, size);
	} else if (ptr.type != PTR_CTX) {
		if (check_map_value_access(c, s, i->src_reg, &ptr, i->off, size))
			return -1;
		val = scalar_urange(0, size == 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1);
		if (sx)
			val = sign_extend(val, size);
	} else {
		if (check_ctx_ptr(c, s, i->src_reg, &ptr, i->off) ||
		    check_ctx_bounds(c, s, ptr.off + i->off, size))
			return -1;
		val = scalar_urange(0, size == 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1);
		if (sx)
			val = sign_extend(val, size);
	}
	f->regs[i->dst_reg] = val;
	return 0;
}

static int do_store(struct checker *c, struct state *s, const struct bpf_insn *i)
{
	struct frame *f = cur(s);
	int size = size_bytes[BPF_SIZE(i->code) >> 3], fi = f->func;
	bool imm = BPF_CLASS(i->code) == BPF_ST;
	struct reg val, ptr;

	if (!imm && check_reg_read(c, s, i->src_reg))
		return -1;
	val = imm ? scalar_const((uint64_t)(int64_t)i->imm) : f->regs[i->src_reg];
	if (i->dst_reg == BPF_REG_PARAMS) {
		/* check_stack_arg_write: outgoing slot k = arg 5+k */
		int k = -i->off / 8;
		int max_slots = c->o.max_args - CF_MAX_REG_ARGS;

		if (k > max_slots)
			return fail(c, fi, s->pc, "stack arg write offset %d exceeds max %d stack args",
				    i->off, max_slots);
		f->out_args[k - 1] = val;
		f->no_arg_loads = 1;
		if (k > c->out_written[fi]) {
			c->out_written[fi] = k;
			c->out_written_pc[fi] = s->pc;
		}
		return 0;
	}
	if (mem_ptr_check(c, s, i->dst_reg))
		return -1;
	ptr = f->regs[i->dst_reg];
	if (ptr.type == PTR_ITER_INT)
		return fail(c, fi, s->pc, "R%d cannot write into rdonly_mem", i->dst_reg);
	if (ptr.type != PTR_CTX && ptr.type != PTR_STACK) {
		/* check_mem_access: "leaks addr into map" (a project rule for
		 * privileged programs too: addresses are never observed) */
		if (is_ptr(&val))
			return fail(c, fi, s->pc, "R%d leaks addr into map", i->src_reg);
		if (check_map_value_access(c, s, i->dst_reg, &ptr, i->off, size))
			return -1;
		/* check_map_access_type: a BPF_F_RDONLY_PROG map */
		if (c->p->maps[ptr.map].rdonly)
			return fail(c, fi, s->pc, "write into map forbidden, value_size=%u off=%d size=%d",
				    c->p->maps[ptr.map].value_size, ptr.off + i->off, size);
		return 0;
	}
	if (ptr.type == PTR_CTX) {
		if (is_ptr(&val))
			return fail(c, fi, s->pc, "R%d leaks addr into ctx", i->src_reg);
		/* bpf_tracing_ctx_access: a raw tracepoint's ctx is read-only */
		if (c->p->prog_type == CF_PROG_RAW_TP)
			return fail(c, fi, s->pc, "invalid bpf_context access off=%d size=%d", ptr.off + i->off,
				    size);
		if (check_ctx_ptr(c, s, i->dst_reg, &ptr, i->off))
			return -1;
		return check_ctx_bounds(c, s, ptr.off + i->off, size);
	}
	if (!imm && size < 8 && is_ptr(&val))
		return fail(c, fi, s->pc, "invalid size of register spill");
	return stack_write(c, s, i->dst_reg, &ptr, ptr.off + i->off, size, truncate_value(val, size));
}

static int do_atomic(struct checker *c, struct state *s, const struct bpf_insn *i)
{
	struct frame *f = cur(s);
	int size = size_bytes[BPF_SIZE(i->code) >> 3], fi = f->func, byte;
	struct reg ptr, old;
	struct slot *sl;

	if (check_reg_read(c, s, i->src_reg) || mem_ptr_check(c, s, i->dst_reg))
		return -1;
	if (is_ptr(&f->regs[i->src_reg]))
		return fail(c, fi, s->pc, "R%d leaks addr into mem", i->src_reg);
	if (i->imm == BPF_CMPXCHG) {
		if (check_reg_read(c, s, BPF_REG_0))
			return -1;
		if (is_ptr(&f->regs[0]))
			return fail(c, fi, s->pc, "R0 leaks addr into mem");
	}
	ptr = f->regs[i->dst_reg];
	if (ptr.type == PTR_CTX)
		return fail(c, fi, s->pc, "BPF_ATOMIC stores into R%d ctx is not allowed", i->dst_reg);
	if (ptr.type != PTR_STACK)
		return fail(c, fi, s->pc, "R%d atomics on %s: not modelled (project rule)", i->dst_reg,
			    reg_type_name(&ptr));
	if (stack_read(c, s, i->dst_reg, &ptr, ptr.off + i->off, size, false, &old))
		return -1;
	sl = stack_slot(s, ptr.frame, ptr.off + i->off, &byte);
	if (sl->spill_size && is_ptr(&sl->spill))
		return fail(c, fi, s->pc, "invalid size of register fill");
	slot_drop_spill(sl);
	memset(sl->bytes + byte, SB_MISC, size);
	old = size == 8 ? scalar_unknown() : scalar_urange(0, U32_MAX_V);
	if (i->imm == BPF_CMPXCHG)
		f->regs[0] = old;
	else if (i->imm & BPF_FETCH)
		f->regs[i->src_reg] = old;
	return 0;
}

static int do_alu(struct checker *c, struct state *s, const struct bpf_insn *i)
{
	struct frame *f = cur(s);
	int fi = f->func;
	bool is64 = BPF_CLASS(i->code) == BPF_ALU64, x = BPF_SRC(i->code) == BPF_X;
	uint8_t op = BPF_OP(i->code);
	struct reg *dst = &f->regs[i->dst_reg], src;

	if (op == BPF_END) {
		uint64_t mask = i->imm == 64 ? UINT64_MAX : (1ULL << i->imm) - 1;
		bool swap = is64 || BPF_SRC(i->code) == BPF_TO_BE; /* host is little endian */

		if (check_reg_read(c, s, i->dst_reg))
			return -1;
		if (is_ptr(dst))
			return fail(c, fi, s->pc, "R%d pointer arithmetic prohibited", i->dst_reg);
		if (is_const(dst)) {
			uint64_t v = dst->umin & mask;

			if (swap)
				v = i->imm == 16 ? __builtin_bswap16((uint16_t)v)
				    : i->imm == 32 ? __builtin_bswap32((uint32_t)v)
						   : __builtin_bswap64(v);
			*dst = scalar_const(v);
		} else if (swap) {
			*dst = i->imm == 64 ? scalar_unknown() : scalar_urange(0, mask);
		} else if (dst->umax > mask) {
			*dst = scalar_urange(0, mask);
		}
		return 0;
	}
	if (x) {
		if (check_reg_read(c, s, i->src_reg))
			return -1;
		src = f->regs[i->src_reg];
	} else {
		src = scalar_const(is64 ? (uint64_t)(int64_t)i->imm : (uint32_t)i->imm);
	}
	if (op == BPF_MOV) {
		if (is_ptr(&src)) {
			if (!is64)
				return fail(c, fi, s->pc, "R%d partial copy of pointer", i->src_reg);
			if (i->off)
				return fail(c, fi, s->pc, "R%d sign-extension of pointer prohibited",
					    i->src_reg);
			*dst = src;
			return 0;
		}
		if (i->off) { /* MOVSX */
			src = sign_extend(truncate_value(src, i->off / 8), i->off / 8);
			if (!is64)
				src = trunc32(src);
		} else if (!is64) {
			src = trunc32(src);
		}
		*dst = src;
		return 0;
	}
	if (check_reg_read(c, s, i->dst_reg))
		return -1;
	if (is_ptr(dst) || is_ptr(&src)) {
		/* adjust_ptr_min_max_vals, with the project rule that no value
		 * derived from an address may become a scalar */
		if (!is64)
			return fail(c, fi, s->pc, "R%d 32-bit pointer arithmetic prohibited", i->dst_reg);
		if (op != BPF_ADD && op != BPF_SUB) {
			const char *what = op == BPF_AND || op == BPF_OR || op == BPF_XOR ? "bitwise operator"
					   : "pointer arithmetic with operator";
			return fail(c, fi, s->pc, "R%d %s on pointer prohibited", i->dst_reg, what);
		}
		if (is_ptr(dst) && is_ptr(&src))
			return fail(c, fi, s->pc, "R%d pointer %s pointer prohibited", i->dst_reg,
				    op == BPF_ADD ? "+=" : "-=");
		if (op == BPF_SUB && is_ptr(&src))
			return fail(c, fi, s->pc, "R%d tried to subtract pointer from scalar", i->dst_reg);
		struct reg ptr = is_ptr(dst) ? *dst : src, k = is_ptr(dst) ? src : *dst;

		if (ptr.type == PTR_MAP || ptr.type == PTR_MAP_VALUE_OR_NULL)
			return fail(c, fi, s->pc, "R%d pointer arithmetic on %s prohibited", i->dst_reg,
				    reg_type_name(&ptr));

		if (!is_const(&k))
			return fail(c, fi, s->pc,
				    "R%d pointer arithmetic with a non-constant scalar (project rule)",
				    i->dst_reg);
		int64_t delta = (int64_t)k.umin, noff;

		if (op == BPF_SUB)
			delta = -delta;
		noff = (int64_t)ptr.off + delta;
		if (noff < -(1 << 29) || noff > (1 << 29))
			return fail(c, fi, s->pc, "value %" PRId64 " makes %s pointer be out of bounds",
				    delta, reg_type_name(&ptr));
		ptr.off = (int32_t)noff;
		*dst = ptr;
		return 0;
	}
	*dst = alu_scalar(op, is64, i->off, *dst, src);
	return 0;
}

/* Branch decision and refinement on ranges: returns a bitmask of feasible
 * outcomes (1 = taken, 2 = fall through) and refines the registers of each. */
static bool refine(uint8_t op, struct reg *a, struct reg *b, bool taken)
{
	/* express everything as a taken/not-taken pair of the basic relations */
	switch (op) {
	case BPF_JEQ:
	case BPF_JNE:
		if ((op == BPF_JEQ) == taken) {
			uint64_t lo = a->umin > b->umin ? a->umin : b->umin;
			uint64_t hi = a->umax < b->umax ? a->umax : b->umax;
			int64_t slo = a->smin > b->smin ? a->smin : b->smin;
			int64_t shi = a->smax < b->smax ? a->smax : b->smax;

			a->umin = b->umin = lo;
			a->umax = b->umax = hi;
			a->smin = b->smin = slo;
			a->smax = b->smax = shi;
		} else {
			if (is_const(a) && is_const(b) && a->umin == b->umin)
				return false;
			if (is_const(b)) {
				if (a->umin == b->umin)
					a->umin++;
				else if (a->umax == b->umin)
					a->umax--;
				if (a->smin == (int64_t)b->umin)
					a->smin++;
				else if (a->smax == (int64_t)b->umin)
					a->smax--;
			}
		}
		break;
	case BPF_JGT: case BPF_JLE: { /* a > b */
		if ((op == BPF_JGT) == taken) {
			if (b->umin == UINT64_MAX || a->umax == 0)
				return false;
			if (a->umin < b->umin + 1)
				a->umin = b->umin + 1;
			if (b->umax > a->umax - 1)
				b->umax = a->umax - 1;
		} else {
			if (a->umax > b->umax)
				a->umax = b->umax;
			if (b->umin < a->umin)
				b->umin = a->umin;
		}
		break;
	}
	case BPF_JGE: case BPF_JLT: { /* a >= b */
		if ((op == BPF_JGE) == taken) {
			if (a->umin < b->umin)
				a->umin = b->umin;
			if (b->umax > a->umax)
				b->umax = a->umax;
		} else {
			if (b->umax == 0 || a->umin == UINT64_MAX)
				return false;
			if (a->umax > b->umax - 1)
				a->umax = b->umax - 1;
			if (b->umin < a->umin + 1)
				b->umin = a->umin + 1;
		}
		break;
	}
	case BPF_JSGT: case BPF_JSLE: {
		if ((op == BPF_JSGT) == taken) {
			if (b->smin == S64_MAX_V || a->smax == S64_MIN_V)
				return false;
			if (a->smin < b->smin + 1)
				a->smin = b->smin + 1;
			if (b->smax > a->smax - 1)
				b->smax = a->smax - 1;
		} else {
			if (a->smax > b->smax)
				a->smax = b->smax;
			if (b->smin < a->smin)
				b->smin = a->smin;
		}
		break;
	}
	case BPF_JSGE: case BPF_JSLT: {
		if ((op == BPF_JSGE) == taken) {
			if (a->smin < b->smin)
				a->smin = b->smin;
			if (b->smax > a->smax)
				b->smax = a->smax;
		} else {
			if (b->smax == S64_MIN_V || a->smin == S64_MAX_V)
				return false;
			if (a->smax > b->smax - 1)
				a->smax = b->smax - 1;
			if (b->smin < a->smin + 1)
				b->smin = a->smin + 1;
		}
		break;
	}
	case BPF_JSET:
		if (is_const(a) && is_const(b))
			return ((a->umin & b->umin) != 0) == taken;
		if (taken && is_const(b) && bits_needed(a->umax) <= (unsigned)__builtin_ctzll(b->umin | (1ULL << 63)))
			return false; /* no bit of b can be set in a */
		if (taken && b->umin == 0 && is_const(b))
			return false;
		return true;
	}
	return scalar_sync(a) && scalar_sync(b);
}

/* mark_ptr_or_null_regs: every copy of lookup result id, in registers and
 * spills of every frame, becomes the scalar 0 (is_null) or the map value. */
static void mark_one(struct reg *r, int32_t id, bool is_null)
{
	if (r->type != PTR_MAP_VALUE_OR_NULL || r->off != id)
		return;
	if (is_null) {
		*r = scalar_const(0);
	} else {
		r->type = PTR_MAP_VALUE;
		r->off = 0;
	}
}

static void mark_ptr_or_null(struct state *s, int32_t id, bool is_null)
{
	for (int k = 0; k < s->nframes; k++) {
		for (int r = 0; r < 11; r++)
			mark_one(&s->fr[k].regs[r], id, is_null);
		for (int a = 0; a < CF_MAX_STACK_ARGS; a++) {
			mark_one(&s->fr[k].in_args[a], id, is_null);
			mark_one(&s->fr[k].out_args[a], id, is_null);
		}
	}
	for (int k = 0; k < s->nslots; k++)
		if (s->slots[k].spill_size)
			mark_one(&s->slots[k].spill, id, is_null);
}

static int do_cond_jump(struct checker *c, struct state *s, const struct bpf_insn *i, int *next)
{
	struct frame *f = cur(s);
	int fi = f->func, target = jump_target(i, s->pc);
	bool x = BPF_SRC(i->code) == BPF_X, is32 = BPF_CLASS(i->code) == BPF_JMP32;
	uint8_t op = BPF_OP(i->code);
	struct reg a, b, ta, tb, fa, fb;
	bool can_take, can_fall, exact;

	if (check_reg_read(c, s, i->dst_reg) || (x && check_reg_read(c, s, i->src_reg)))
		return -1;
	a = f->regs[i->dst_reg];
	b = x ? f->regs[i->src_reg] : scalar_const(is32 ? (uint32_t)i->imm : (uint64_t)(int64_t)i->imm);
	/* check_cond_jmp_op: `if rX ==/!= 0` (64-bit, immediate) on a lookup's
	 * result: NULL on one side, a map value on the other */
	if (a.type == PTR_MAP_VALUE_OR_NULL && !x && !is32 && i->imm == 0 && (op == BPF_JEQ || op == BPF_JNE)) {
		struct state t = *s;

		mark_ptr_or_null(&t, a.off, op == BPF_JEQ);
		mark_ptr_or_null(s, a.off, op != BPF_JEQ);
		t.pc = target;
		if (push_state(c, &t))
			return -1;
		*next = s->pc + 1;
		return 0;
	}
	/* is_branch_taken: a pointer known not to be NULL (bpf_iter_num_next's
	 * result on its active branch) against 0 */
	if (a.type == PTR_ITER_INT && !x && !is32 && i->imm == 0 && (op == BPF_JEQ || op == BPF_JNE)) {
		*next = op == BPF_JNE ? target : s->pc + 1;
		return 0;
	}
	if (is_ptr(&a))
		return fail(c, fi, s->pc, "R%d pointer comparison prohibited", i->dst_reg);
	if (is_ptr(&b))
		return fail(c, fi, s->pc, "R%d pointer comparison prohibited", i->src_reg);
	/* JMP32 on values that fit their low half behaves like JMP; otherwise
	 * decide only constants and refine nothing. */
	exact = true; /* refined ranges are the registers' own */
	if (is32) {
		bool is_signed = op == BPF_JSGT || op == BPF_JSGE || op == BPF_JSLT || op == BPF_JSLE;
		uint64_t lim = is_signed ? 0x7fffffffULL : U32_MAX_V;

		if (is_const(&a) && is_const(&b)) {
			/* decide on the low halves; the registers keep their values */
			struct reg a32 = scalar_const(is_signed ? (uint64_t)(int64_t)(int32_t)a.umin
								: (uint32_t)a.umin);
			struct reg b32 = scalar_const(is_signed ? (uint64_t)(int64_t)(int32_t)b.umin
								: (uint32_t)b.umin);
			struct reg t1 = a32, t2 = b32;

			can_take = refine(op, &t1, &t2, true);
			*next = can_take ? target : s->pc + 1;
			return 0;
		} else if (!(a.umax <= lim && b.umax <= lim)) {
			exact = false;
		}
	}
	ta = a, tb = b, fa = a, fb = b;
	can_take = !exact || refine(op, &ta, &tb, true);
	can_fall = !exact || refine(op, &fa, &fb, false);
	if (can_take && can_fall) {
		struct state t = *s;

		if (exact) {
			t.fr[t.nframes - 1].regs[i->dst_reg] = ta;
			if (x && i->src_reg != i->dst_reg)
				t.fr[t.nframes - 1].regs[i->src_reg] = tb;
			f->regs[i->dst_reg] = fa;
			if (x && i->src_reg != i->dst_reg)
				f->regs[i->src_reg] = fb;
		}
		t.pc = target;
		if (push_state(c, &t))
			return -1;
		*next = s->pc + 1;
	} else if (can_take) {
		if (exact) {
			f->regs[i->dst_reg] = ta;
			if (x && i->src_reg != i->dst_reg)
				f->regs[i->src_reg] = tb;
		}
		*next = target;
	} else {
		if (exact && can_fall) {
			f->regs[i->dst_reg] = fa;
			if (x && i->src_reg != i->dst_reg)
				f->regs[i->src_reg] = fb;
		}
		*next = s->pc + 1;
	}
	return 0;
}

/* may_goto: both ways, nothing refined (check_cond_jmp_op queues the jump
 * with may_goto_depth + 1 and falls through). Stricter than the kernel:
 * a loop whose only exit is may_goto is an infinite loop here, since the
 * state does not count may_goto depth (docs/kernel-paths.md "may_goto"). */
static int do_may_goto(struct checker *c, struct state *s, const struct bpf_insn *i, int *next)
{
	struct state t = *s;

	t.pc = jump_target(i, s->pc);
	if (push_state(c, &t))
		return -1;
	*next = s->pc + 1;
	return 0;
}

static void clear_caller_saved(struct frame *f)
{
	for (int r = 1; r <= 5; r++)
		f->regs[r] = reg_not_init();
	/* stack-args.md 2.2: any call invalidates every outgoing slot */
	for (int k = 0; k < CF_MAX_STACK_ARGS; k++)
		f->out_args[k] = reg_not_init();
	f->no_arg_loads = 1;
}

/* The value of argument n (1-based) at a call: r1..r5, then outgoing slots. */
static int call_arg(struct checker *c, struct state *s, int nargs, int n, struct reg *out)
{
	struct frame *f = cur(s);

	if (n <= CF_MAX_REG_ARGS) {
		if (check_reg_read(c, s, n))
			return -1;
		*out = f->regs[n];
		return 0;
	}
	*out = f->out_args[n - CF_MAX_REG_ARGS - 1];
	if (out->type == NOT_INIT)
		return fail(c, f->func, s->pc, "callee expects %d args, stack arg%d is not initialized",
			    nargs, n - CF_MAX_REG_ARGS);
	return 0;
}

static int check_mem_arg(struct checker *c, struct state *s, int regno, struct reg ptr, struct reg len)
{
	int fi = frame_func(s);
	int64_t n;

	if (!is_const(&len))
		return fail(c, fi, s->pc, "R%d is not a known constant (helper memory size)", regno + 1);
	n = (int64_t)len.umin;
	if (n < 1 || n > CF_STACK_MAX)
		return fail(c, fi, s->pc, "R%d invalid memory size %" PRId64 " (1..%d)", regno + 1, n,
			    CF_STACK_MAX);
	if (ptr.type == PTR_CTX && c->p->prog_type == CF_PROG_RAW_TP)
		/* 7.2 check_helper_mem_access: ctx memory for helpers is
		 * is_var_ctx_off_allowed's, SYSCALL programs' only */
		return fail(c, fi, s->pc, "R%d type=ctx expected=fp (a RAW_TRACEPOINT program's ctx is no helper memory)",
			    regno);
	if (ptr.type == PTR_CTX) {
		/* 7.2: check_helper_mem_access, the load's rule at offset 0;
		 * before: __check_func_arg_reg_off (a model-only helper: no
		 * kernel checks it, we keep one rule for every ctx access) */
		if (check_ctx_ptr(c, s, regno, &ptr, 0))
			return -1;
		return check_ctx_bounds(c, s, ptr.off, (int)n);
	}
	if (ptr.type != PTR_STACK)
		return fail(c, fi, s->pc, "R%d type=%s expected=fp, ctx", regno, reg_type_name(&ptr));
	if (ptr.frame >= s->nframes)
		return fail(c, fi, s->pc, "R%d points to a frame that returned", regno);
	if (ptr.off < -CF_STACK_MAX || ptr.off + n > 0 || ptr.off < -c->stack[s->fr[ptr.frame].func])
		return fail(c, fi, s->pc, "invalid indirect access to stack R%d off=%d size=%" PRId64,
			    regno, ptr.off, n);
	for (int64_t k = 0; k < n; k++) {
		int byte;
		struct slot *sl = stack_slot(s, ptr.frame, ptr.off + (int)k, &byte);

		if (sl->bytes[byte] == SB_INVALID || sl->bytes[byte] == SB_ITER)
			return fail(c, fi, s->pc, "invalid indirect read from stack R%d off %d+%d size %" PRId64,
				    regno, ptr.off, (int)k, n);
		/* project rule: hashing a spilled pointer would observe an address */
		if (sl->bytes[byte] == SB_SPILL && is_ptr(&sl->spill))
			return fail(c, fi, s->pc,
				    "R%d memory at off %d holds a pointer: its bytes would be observable",
				    regno, ptr.off + (int)k);
	}
	return 0;
}

/* ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED, size 8
 * (bpf_strtol's res): 8 aligned bytes of a live stack, written by the
 * helper, so they hold an unknown scalar afterwards. The kernel also takes
 * map values and other memory; we take the stack only. */
static int check_out8_arg(struct checker *c, struct state *s, int regno, struct reg ptr)
{
	int fi = frame_func(s), byte;
	struct slot *sl;

	if (ptr.type != PTR_STACK)
		return fail(c, fi, s->pc, "R%d type=%s expected=fp", regno, reg_type_name(&ptr));
	if (check_stack_bounds(c, s, regno, &ptr, ptr.off, 8, "write to"))
		return -1;
	sl = stack_slot(s, ptr.frame, ptr.off, &byte);
	if (sl->bytes[0] == SB_ITER)
		return fail(c, fi, s->pc, "R%d overwrites an iterator (project rule)", regno);
	slot_drop_spill(sl);
	memset(sl->bytes, SB_MISC, 8);
	return 0;
}

/* bpf_loop's callback (set_loop_callback_state): r1 the index, r2 the
 * caller's r3, r3..r5 not readable; r0 in [0, 1] at its exit. Walked for
 * zero calls (a pushed state continues after the helper) and for one; the
 * kernel iterates to a fixed point, we do not (docs/kernel-paths.md
 * "Callbacks": generated callbacks write only values nothing branches on). */
static int enter_loop_callback(struct checker *c, struct state *s, int cb, struct reg cb_ctx)
{
	struct frame *f = cur(s), *nf;
	struct state t;

	if (s->nframes >= c->o.max_frames)
		return fail(c, f->func, s->pc, "the call stack of %d frames is too deep", s->nframes + 1);
	clear_caller_saved(f);
	f->regs[0] = scalar_unknown();
	t = *s;
	t.pc = s->pc + 1;
	if (push_state(c, &t))
		return -1;
	nf = &s->fr[s->nframes];
	memset(nf, 0, sizeof(*nf));
	nf->func = cb;
	nf->callsite = s->pc;
	nf->is_callback = 1;
	nf->slot_base = f->slot_base + f->nslots;
	nf->nslots = (c->stack[cb] + 7) / 8;
	if (nf->slot_base + nf->nslots > MAX_SLOTS)
		return fail(c, f->func, s->pc, "combined stack size is too large");
	memset(&s->slots[nf->slot_base], 0, sizeof(struct slot) * nf->nslots);
	s->nslots = nf->slot_base + nf->nslots;
	nf->regs[1] = scalar_unknown();
	nf->regs[2] = cb_ctx;
	nf->regs[BPF_REG_10] = ptr_stack(s->nframes, 0);
	f->regs[0] = reg_not_init();
	s->nframes++;
	s->pc = -1; /* the caller's main loop adds 1 */
	return 0;
}

/* ---- strings (docs/kernel-paths.md "Strings") ---------------------------- */

/* ARG_PTR_TO_CONST_STR (kernel/bpf/verifier.c check_arg_const_str): a
 * value of a read-only, frozen map (bpf_map_is_rdonly) at a constant
 * offset, with a NUL between it and the value's end. Our maps are frozen
 * by the target before the load: rdonly is the whole condition here. */
static int check_const_str_arg(struct checker *c, struct state *s, int regno, struct reg ptr)
{
	int fi = frame_func(s);
	const struct cf_map *m;

	if (ptr.type != PTR_MAP_VALUE)
		return fail(c, fi, s->pc, "R%d type=%s expected=map_value", regno, reg_type_name(&ptr));
	m = &c->p->maps[ptr.map];
	if (!m->rdonly)
		return fail(c, fi, s->pc, "R%d does not point to a readonly map'", regno);
	if (ptr.off < 0 || (uint32_t)ptr.off >= m->value_size)
		return fail(c, fi, s->pc, "invalid access to map value, value_size=%u off=%d size=%d", m->value_size,
			    ptr.off, (int)m->value_size - ptr.off);
	if (!memchr(m->init + ptr.off, 0, m->value_size - (uint32_t)ptr.off))
		return fail(c, fi, s->pc, "string is not zero-terminated");
	return 0;
}

/* A memory argument that may be NULL (ARG_PTR_TO_MEM_OR_NULL,
 * ARG_PTR_TO_MEM | PTR_MAYBE_NULL) with its ARG_CONST_SIZE_OR_ZERO: the
 * scalar 0 with size 0, or size bytes of a live stack. Stricter than the
 * kernel: NULL only with size 0, stack memory only (bpf_snprintf's str
 * and data). Returns the size in *n. */
static int check_mem_or_null_arg(struct checker *c, struct state *s, int regno, struct reg ptr, struct reg len,
				 int64_t *n)
{
	int fi = frame_func(s);

	if (!is_const(&len))
		return fail(c, fi, s->pc, "R%d is not a known constant'", regno + 1);
	*n = (int64_t)len.umin;
	if (*n < 0 || *n > CF_STACK_MAX)
		return fail(c, fi, s->pc, "R%d invalid memory size %" PRId64 " (0..%d)", regno + 1, *n, CF_STACK_MAX);
	if (is_const(&ptr) && ptr.umin == 0) {
		if (*n)
			return fail(c, fi, s->pc, "R%d is NULL with size %" PRId64 " (project rule: NULL with size 0 only)",
				    regno, *n);
		return 0;
	}
	if (ptr.type != PTR_STACK)
		return fail(c, fi, s->pc, "R%d type=%s expected=fp, scalar 0 (project rule: the stack only)", regno,
			    reg_type_name(&ptr));
	if (ptr.frame >= s->nframes)
		return fail(c, fi, s->pc, "R%d points to a frame that returned", regno);
	if (ptr.off < -c->stack[s->fr[ptr.frame].func] || ptr.off + *n > 0 || (!*n && ptr.off >= 0))
		return fail(c, fi, s->pc, "invalid indirect access to stack R%d off=%d size=%" PRId64, regno, ptr.off,
			    *n);
	for (int64_t k = 0; k < *n; k++) {
		int byte;
		struct slot *sl = stack_slot(s, ptr.frame, ptr.off + (int)k, &byte);

		if (sl->bytes[byte] == SB_INVALID || sl->bytes[byte] == SB_ITER)
			return fail(c, fi, s->pc, "invalid indirect read from stack R%d off %d+%d size %" PRId64, regno,
				    ptr.off, (int)k, *n);
	}
	return 0;
}

/* The string a %s argument names: a read-only map's value (project rule:
 * the interpreter knows no other memory the kernel would copy). */
static bool is_const_str(const struct checker *c, const struct reg *r)
{
	const struct cf_map *m;

	if (r->type != PTR_MAP_VALUE)
		return false;
	m = &c->p->maps[r->map];
	return m->rdonly && r->off >= 0 && (uint32_t)r->off < m->value_size &&
	       memchr(m->init + r->off, 0, m->value_size - (uint32_t)r->off);
}

/* bpf_snprintf (kernel/bpf/verifier.c check_bpf_snprintf_call): data_len
 * a multiple of 8, the format valid for data_len / 8 arguments
 * (bpf_bprintf_prepare, bpf/bprintf.c); and what each argument holds,
 * since the result is compared: a %s one the address of a read-only
 * map's string, every other one a scalar (an address would be printed),
 * and no %p (project rules). */
static int check_snprintf(struct checker *c, struct state *s, const struct reg *args, int64_t data_len)
{
	int fi = frame_func(s);
	const struct cf_map *m = &c->p->maps[args[2].map];
	const struct reg *data = &args[3];
	struct cf_bprintf fmt;
	char why[160];

	if (data_len % 8)
		return fail(c, fi, s->pc, "R5 data_len %" PRId64 " is not a multiple of 8 (check_bpf_snprintf_call)",
			    data_len);
	if (cf_bprintf_parse(m->init + args[2].off, m->value_size - (uint32_t)args[2].off, (int)(data_len / 8), &fmt,
			     why, sizeof(why)))
		return fail(c, fi, s->pc, "Invalid format string (%s)", why);
	for (int k = 0; k < fmt.nconv; k++) {
		int off = data->off + 8 * k, byte;
		struct slot *sl = stack_slot(s, data->frame, off, &byte);
		bool has_ptr = false;

		if (fmt.conv[k] == CF_BPRINTF_PTR)
			return fail(c, fi, s->pc, "bpf_snprintf: conversion %d is a %%p: it prints or reads an address "
				    "(project rule)", k + 1);
		for (int b = 0; b < 8; b++) {
			struct slot *bs = stack_slot(s, data->frame, off + b, &byte);

			if (bs->bytes[byte] == SB_SPILL && is_ptr(&bs->spill))
				has_ptr = true;
		}
		if (fmt.conv[k] == CF_BPRINTF_STR) {
			if (off % 8 || sl->spill_size != 8 || !is_const_str(c, &sl->spill))
				return fail(c, fi, s->pc, "bpf_snprintf: argument %d (%%s) is not the address of a "
					    "read-only map's string (project rule)", k + 1);
		} else if (has_ptr) {
			return fail(c, fi, s->pc, "bpf_snprintf: argument %d holds a pointer: its value would be "
				    "printed (project rule)", k + 1);
		}
	}
	return 0;
}

/* Bytes a helper wrote (MEM_WRITE): written, value unknown. */
static void mark_stack_written(struct state *s, const struct reg *ptr, int64_t n)
{
	for (int64_t k = 0; k < n; k++) {
		int byte;
		struct slot *sl = stack_slot(s, ptr->frame, ptr->off + (int)k, &byte);

		slot_drop_spill(sl);
		sl->bytes[byte] = SB_MISC;
	}
}

/* ---- the number iterator (docs/kernel-paths.md "Kfuncs") ------------------- */

/* process_iter_arg: a pointer to 8 aligned bytes of a live stack at a
 * constant offset (iter_get_spi); bpf_iter_num_new wants no iterator
 * there (is_iter_reg_valid_uninit), next and destroy one
 * (is_iter_reg_valid_init). */
static int check_iter_arg(struct checker *c, struct state *s, int regno, struct reg ptr, bool is_new,
			  struct slot **out)
{
	int fi = frame_func(s), byte;
	struct slot *sl;

	if (ptr.type != PTR_STACK)
		return fail(c, fi, s->pc, "R%d expected pointer to an iterator on stack", regno);
	if (ptr.frame >= s->nframes)
		return fail(c, fi, s->pc, "R%d points to a frame that returned", regno);
	if (ptr.off >= 0 || ptr.off % 8)
		return fail(c, fi, s->pc, "cannot pass in iter at an offset=%d", ptr.off);
	if (check_stack_bounds(c, s, regno, &ptr, ptr.off, 8, "write to"))
		return -1;
	sl = stack_slot(s, ptr.frame, ptr.off, &byte);
	if (is_new && sl->bytes[0] == SB_ITER)
		return fail(c, fi, s->pc, "expected uninitialized iter_num as R%d", regno);
	if (!is_new && sl->bytes[0] != SB_ITER)
		return fail(c, fi, s->pc, "expected an initialized iter_num as R%d", regno);
	*out = sl;
	return 0;
}

static void forget_iter_int(struct reg *r, int frame, int slot)
{
	if (r->type == PTR_ITER_INT && r->frame == frame && r->map == slot)
		*r = reg_not_init();
}

/* bpf_iter_num_new, _next, _destroy on the iterator in slot sl of frame
 * `frame`. new: ACTIVE (mark_stack_slots_iter). next
 * (process_iter_next_call): on an ACTIVE iterator a second state goes
 * on with r0 the iterator's int (depth + 1), this one with the iterator
 * DRAINED and r0 = 0. We walk one iteration of a loop: back at the next
 * call that made it active on this path, only the drained side goes on
 * (the kernel goes on until the loop's states converge;
 * docs/kernel-paths.md "Kfuncs" says what the generator keeps to so that
 * they do); unrolled next calls, each at its own instruction, are walked
 * both ways. destroy: the slot holds nothing (unmark_stack_slots_iter),
 * and the int pointers into it die with it (release_reference). */
static int do_iter_call(struct checker *c, struct state *s, const struct cf_callee *ce, struct slot *sl, int frame)
{
	struct frame *f = cur(s);
	int slot = (int)(sl - s->slots);

	clear_caller_saved(f);
	switch (ce->id) {
	case CF_KKFUNC_ITER_NUM_NEW:
		slot_drop_spill(sl);
		memset(sl->bytes, SB_ITER, 8);
		sl->spill = reg_not_init();
		sl->spill.type = ITER_STATE;
		sl->spill.off = ITER_ACTIVE;
		f->regs[0] = scalar_unknown();
		return 0;
	case CF_KKFUNC_ITER_NUM_NEXT: {
		uint64_t site = (uint64_t)f->func << 32 | (uint32_t)(s->pc + 1);

		if (sl->spill.off == ITER_ACTIVE && sl->spill.umin != site) {
			struct state t = *s;
			struct reg *r0 = &t.fr[t.nframes - 1].regs[0];

			t.slots[slot].spill.umin = site;
			*r0 = reg_not_init();
			r0->type = PTR_ITER_INT;
			r0->frame = (uint8_t)frame;
			r0->map = (uint16_t)slot;
			t.pc = s->pc + 1;
			if (push_state(c, &t))
				return -1;
		}
		sl->spill.off = ITER_DRAINED;
		sl->spill.umin = 0;
		f->regs[0] = scalar_const(0);
		return 0;
	}
	default: /* destroy */
		for (int k = 0; k < s->nframes; k++) {
			for (int r = 0; r < 11; r++)
				forget_iter_int(&s->fr[k].regs[r], frame, slot);
			for (int a = 0; a < CF_MAX_STACK_ARGS; a++) {
				forget_iter_int(&s->fr[k].in_args[a], frame, slot);
				forget_iter_int(&s->fr[k].out_args[a], frame, slot);
			}
		}
		for (int k = 0; k < s->nslots; k++)
			if (s->slots[k].spill_size && s->slots[k].spill.type == PTR_ITER_INT &&
			    s->slots[k].spill.frame == frame && s->slots[k].spill.map == slot)
				slot_drop_spill(&s->slots[k]);
		memset(sl->bytes, SB_INVALID, 8);
		sl->spill = reg_not_init();
		sl->spill_size = 0;
		f->regs[0] = reg_not_init(); /* void */
		return 0;
	}
}

static int do_exit(struct checker *c, struct state *s, bool entry_is_global);

/* bpf_tail_call (kernel/bpf/verifier.c check_helper_call, BPF_FUNC_tail_call;
 * docs/kernel-paths.md "Tail calls"): RET_VOID, so r0 and r1..r5 are not
 * readable after it. In the entry frame a taken tail call ends the
 * program (the target's r0 is the result: the target is verified on its
 * own), so only the fall-through goes on. In a subprogram it is modelled
 * as a return from the current frame with an unknown r0, walked first,
 * the fall-through pushed for later; never in a bpf_loop callback. */
static int do_tail_call(struct checker *c, struct state *s)
{
	struct frame *f = cur(s);
	struct state t;

	if (s->nframes > 1 && f->is_callback)
		return fail(c, f->func, s->pc, "cannot tail call within callback");
	/* check_resource_leak(env, false, true, "tail_call"): a live
	 * iterator (in any frame) holds a reference */
	for (int k = 0; k < s->nslots; k++)
		if (s->slots[k].bytes[0] == SB_ITER)
			return fail(c, f->func, s->pc, "tail_call would lead to reference leak (a live iterator)");
	clear_caller_saved(f);
	f->regs[0] = reg_not_init();
	if (s->nframes == 1)
		return 0;
	t = *s;
	t.pc = s->pc + 1;
	if (push_state(c, &t))
		return -1;
	f->regs[0] = scalar_unknown();
	return do_exit(c, s, false) < 0 ? -1 : 0; /* s->pc: the call site; step adds 1 */
}

static int do_helper_call(struct checker *c, struct state *s, const struct bpf_insn *i)
{
	struct frame *f = cur(s);
	bool kfunc = i->src_reg == BPF_PSEUDO_KFUNC_CALL;
	const struct cf_callee *ce = cf_callee_find(kfunc, i->imm);
	struct reg args[CF_MAX_ARGS];
	struct slot *iter = NULL;
	int64_t out_len = 0, data_len = 0;

	for (int n = 1; n <= ce->nargs; n++)
		if (call_arg(c, s, ce->nargs, n, &args[n - 1]))
			return -1;
	for (int n = 1; n <= ce->nargs; n++) {
		switch (ce->args[n - 1]) {
		case CF_ARG_MAP_PTR:
			if (args[n - 1].type != PTR_MAP)
				return fail(c, f->func, s->pc, "R%d type=%s expected=map_ptr", n,
					    reg_type_name(&args[n - 1]));
			/* check_map_func_compatibility's read-only rule */
			if (c->p->maps[args[n - 1].map].rdonly && (ce->id == BPF_FUNC_map_update_elem ||
								   ce->id == BPF_FUNC_map_delete_elem))
				return fail(c, f->func, s->pc, "write into map forbidden");
			break;
		case CF_ARG_MAP_KEY:
		case CF_ARG_MAP_VALUE: {
			/* check_helper_mem_access on the map's key_size or
			 * value_size; stack only here (the kernel also takes map
			 * values and packets: the generator uses the stack) */
			const struct cf_map *m = &c->p->maps[args[0].map];
			uint32_t len = ce->args[n - 1] == CF_ARG_MAP_KEY ? m->key_size : m->value_size;

			if (args[n - 1].type != PTR_STACK)
				return fail(c, f->func, s->pc, "R%d type=%s expected=fp", n,
					    reg_type_name(&args[n - 1]));
			if (check_mem_arg(c, s, n, args[n - 1], scalar_const(len)))
				return -1;
			break;
		}
		case CF_ARG_SCALAR:
			if (!is_ptr(&args[n - 1]))
				break;
			if (n <= CF_MAX_REG_ARGS)
				return fail(c, f->func, s->pc, "R%d leaks addr into %s function", n,
					    kfunc ? "kernel" : "helper");
			return fail(c, f->func, s->pc, "stack arg%d leaks addr into kernel function",
				    n - CF_MAX_REG_ARGS);
		case CF_ARG_PTR_MEM:
			if (n >= ce->nargs || ce->args[n] != CF_ARG_CONST_LEN)
				return fail(c, f->func, s->pc, "internal error: %s arg %d has no length",
					    ce->name, n);
			if (check_mem_arg(c, s, n, args[n - 1], args[n]))
				return -1;
			break;
		case CF_ARG_CONST_LEN:
			break;
		case CF_ARG_PTR_OUT8:
			if (check_out8_arg(c, s, n, args[n - 1]))
				return -1;
			break;
		case CF_ARG_FUNC:
			if (args[n - 1].type != PTR_FUNC)
				return fail(c, f->func, s->pc, "R%d type=%s expected=func", n,
					    reg_type_name(&args[n - 1]));
			break;
		case CF_ARG_PTR_STACK_OR_NULL:
			if (args[n - 1].type == PTR_STACK || (is_const(&args[n - 1]) && args[n - 1].umin == 0))
				break;
			return fail(c, f->func, s->pc, "R%d type=%s expected=fp, scalar 0", n,
				    reg_type_name(&args[n - 1]));
		case CF_ARG_CONST_STR:
			if (check_const_str_arg(c, s, n, args[n - 1]))
				return -1;
			break;
		case CF_ARG_PTR_OUT_OR_NULL:
		case CF_ARG_PTR_MEM_OR_NULL:
			if (n >= ce->nargs || ce->args[n] != CF_ARG_CONST_SIZE_OR_ZERO)
				return fail(c, f->func, s->pc, "internal error: %s arg %d has no size", ce->name, n);
			if (check_mem_or_null_arg(c, s, n, args[n - 1], args[n],
						  ce->args[n - 1] == CF_ARG_PTR_OUT_OR_NULL ? &out_len : &data_len))
				return -1;
			break;
		case CF_ARG_CONST_SIZE_OR_ZERO:
			break;
		case CF_ARG_ITER_NEW:
		case CF_ARG_ITER:
			if (check_iter_arg(c, s, n, args[n - 1], ce->args[n - 1] == CF_ARG_ITER_NEW, &iter))
				return -1;
			break;
		case CF_ARG_CTX:
			/* ARG_PTR_TO_CTX: __check_func_arg_reg_off takes only
			 * the unmoved ctx, even in a SYSCALL program */
			if (args[n - 1].type != PTR_CTX)
				return fail(c, f->func, s->pc, "R%d type=%s expected=ctx", n,
					    reg_type_name(&args[n - 1]));
			if (args[n - 1].off < 0)
				return fail(c, f->func, s->pc, "negative offset ctx ptr R%d off=%d disallowed", n,
					    args[n - 1].off);
			if (args[n - 1].off)
				return fail(c, f->func, s->pc, "dereference of modified ctx ptr R%d off=%d disallowed",
					    n, args[n - 1].off);
			break;
		}
	}
	/* check_map_func_compatibility: a prog array goes to bpf_tail_call
	 * only, and bpf_tail_call takes nothing else */
	for (int n = 1; n <= ce->nargs; n++) {
		const struct cf_map *m;

		if (ce->args[n - 1] != CF_ARG_MAP_PTR)
			continue;
		m = &c->p->maps[args[n - 1].map];
		if ((m->type == BPF_MAP_TYPE_PROG_ARRAY) != (ce->kernel && ce->id == CF_KHELPER_TAIL_CALL))
			return fail(c, f->func, s->pc, "cannot pass map_type %u into func %s#%d", m->type, ce->name,
				    ce->id);
	}
	if (ce->kernel && !kfunc && ce->id == CF_KHELPER_SNPRINTF && check_snprintf(c, s, args, data_len))
		return -1;
	if (cf_callee_is_kernel_kfunc(ce))
		return do_iter_call(c, s, ce, iter, args[0].frame);
	if (ce->kernel && !kfunc && ce->id == CF_KHELPER_SNPRINTF && args[0].type == PTR_STACK)
		mark_stack_written(s, &args[0], out_len);
	if (ce->kernel && ce->id == CF_KHELPER_TAIL_CALL)
		return do_tail_call(c, s);
	if (ce->kernel && ce->id == CF_KHELPER_LOOP)
		return enter_loop_callback(c, s, args[1].off, args[2]);
	clear_caller_saved(f);
	f->regs[0] = scalar_unknown();
	if (ce->ret == CF_RET_MAP_VALUE_OR_NULL)
		f->regs[0] = ptr_map(PTR_MAP_VALUE_OR_NULL, args[0].map, ++s->id_gen);
	return 0;
}

static int do_subprog_call(struct checker *c, struct state *s, const struct bpf_insn *i)
{
	struct frame *f = cur(s), *nf;
	const struct cf_func *callee = &c->p->funcs[i->imm];
	struct reg stack_args[CF_MAX_STACK_ARGS];
	int nstack = callee->nargs > CF_MAX_REG_ARGS ? callee->nargs - CF_MAX_REG_ARGS : 0;

	if (c->o.max_args <= CF_MAX_REG_ARGS)
		nstack = 0; /* no stack arguments on this kernel */

	if (callee->global) {
		/* Verified on its own with scalar arguments (do_check_subprogs);
		 * project rule: pointers cannot be passed to it. */
		for (int n = 1; n <= callee->nargs; n++) {
			if (check_reg_read(c, s, n))
				return -1;
			if (is_ptr(&f->regs[n]))
				return fail(c, f->func, s->pc, "R%d is not a scalar (argument %d of global function %s)",
					    n, n, callee->name);
		}
		clear_caller_saved(f);
		f->regs[0] = scalar_unknown();
		return 0;
	}
	/* stack-args.md 2.1: slots 1..n-5 written on every path to the call */
	for (int k = 0; k < nstack; k++) {
		if (f->out_args[k].type == NOT_INIT)
			return fail(c, f->func, s->pc, "callee expects %d args, stack arg%d is not initialized",
				    callee->nargs, k + 1);
		stack_args[k] = f->out_args[k];
	}
	if (s->nframes >= c->o.max_frames)
		return fail(c, f->func, s->pc, "the call stack of %d frames is too deep", s->nframes + 1);
	nf = &s->fr[s->nframes];
	memset(nf, 0, sizeof(*nf));
	nf->func = i->imm;
	nf->callsite = s->pc;
	nf->slot_base = f->slot_base + f->nslots;
	nf->nslots = (c->stack[i->imm] + 7) / 8;
	if (nf->slot_base + nf->nslots > MAX_SLOTS)
		return fail(c, f->func, s->pc, "combined stack size is too large");
	memset(&s->slots[nf->slot_base], 0, sizeof(struct slot) * nf->nslots);
	s->nslots = nf->slot_base + nf->nslots;
	/* set_callee_state: r1..r5 are copied whatever the callee's count */
	for (int r = 1; r <= 5; r++)
		nf->regs[r] = f->regs[r];
	nf->regs[BPF_REG_10] = ptr_stack(s->nframes, 0);
	/* stack-args.md 2.6: slots carry full register state */
	for (int k = 0; k < nstack; k++)
		nf->in_args[k] = stack_args[k];
	clear_caller_saved(f);
	f->regs[0] = reg_not_init();
	s->nframes++;
	s->pc = -1; /* the caller's main loop adds 1 */
	return 0;
}

/* Return 1 if the path ended (exit of the walk's entry). */
static int do_exit(struct checker *c, struct state *s, bool entry_is_global)
{
	struct frame *f = cur(s), *caller;
	struct reg r0 = f->regs[0];
	int fi = f->func;

	if (r0.type == NOT_INIT)
		return fail(c, fi, s->pc, "R0 !read_ok");
	/* an iterator holds a reference (mark_stack_slots_iter): the kernel
	 * refuses the program's exit while one is alive (check_reference_leak,
	 * "Unreleased reference"); stricter, we refuse any function's exit
	 * with one alive in its frame */
	for (int k = 0; k < f->nslots; k++)
		if (s->slots[f->slot_base + k].bytes[0] == SB_ITER)
			return fail(c, fi, s->pc, "Unreleased reference: the iterator at fp%d is not destroyed "
				    "(bpf_iter_num_destroy) before the exit", -8 * (k + 1));
	if (s->nframes == 1) {
		if (entry_is_global && r0.type != SCALAR)
			return fail(c, fi, s->pc,
				    "At subprogram exit the register R0 is not a scalar value (%s)",
				    reg_type_name(&r0));
		if (r0.type != SCALAR)
			return fail(c, fi, s->pc, "R0 leaks addr as return value");
		return 1;
	}
	/* prepare_func_exit refuses every stack pointer, even one into a frame
	 * that outlives the callee; ctx goes back to the caller unchanged. */
	if (r0.type == PTR_STACK)
		return fail(c, fi, s->pc, "cannot return stack pointer to the caller");
	if (f->is_callback) {
		/* callback_ret_range: bpf_loop's callbacks return 0 or 1 */
		if (r0.type != SCALAR || r0.umax > 1)
			return fail(c, fi, s->pc, "At callback return the register R0 has unknown scalar value "
				    "should have been in [0, 1]");
		r0 = scalar_unknown(); /* bpf_loop's own result */
	}
	s->nframes--;
	s->nslots = f->slot_base;
	caller = cur(s);
	caller->regs[0] = r0;
	s->pc = f->callsite;
	memset(f, 0, sizeof(*f));
	return 0;
}

static int step(struct checker *c, struct state *s, bool entry_is_global, bool *path_end)
{
	struct frame *f = cur(s);
	const struct cf_func *fn = &c->p->funcs[f->func];
	const struct bpf_insn *i = &fn->insns[s->pc];
	uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);
	int next = s->pc + 1, r;

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (do_alu(c, s, i))
			return -1;
		break;
	case BPF_LD: {
		uint64_t v = (uint32_t)i->imm | ((uint64_t)(uint32_t)i[1].imm << 32);

		if (i->src_reg == BPF_PSEUDO_MAP_IDX) {
			f->regs[i->dst_reg] = ptr_map(PTR_MAP, i->imm, 0);
		} else if (i->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
			f->regs[i->dst_reg] = ptr_map(PTR_MAP_VALUE, i->imm, i[1].imm);
		} else if (cf_insn_is_pseudo_func(i)) {
			f->regs[i->dst_reg] = reg_not_init();
			f->regs[i->dst_reg].type = PTR_FUNC;
			f->regs[i->dst_reg].off = i->imm;
		} else {
			f->regs[i->dst_reg] = scalar_const(v);
		}
		next = s->pc + 2;
		break;
	}
	case BPF_LDX:
		if (do_ldx(c, s, i))
			return -1;
		break;
	case BPF_ST:
		if (do_store(c, s, i))
			return -1;
		break;
	case BPF_STX:
		if (BPF_MODE(i->code) == BPF_ATOMIC ? do_atomic(c, s, i) : do_store(c, s, i))
			return -1;
		break;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_JA) {
			next = jump_target(i, s->pc);
		} else if (op == BPF_CALL) {
			if (cf_insn_is_pseudo_call(i)) {
				if (do_subprog_call(c, s, i))
					return -1;
				next = s->pc + 1;
			} else if (do_helper_call(c, s, i)) {
				return -1;
			} else {
				next = s->pc + 1; /* -1 + 1 when a callback was entered */
			}
		} else if (op == BPF_EXIT) {
			r = do_exit(c, s, entry_is_global);
			if (r < 0)
				return -1;
			if (r == 1) {
				*path_end = true;
				return 0;
			}
			next = s->pc + 1;
		} else if (cf_insn_is_may_goto(i)) {
			if (do_may_goto(c, s, i, &next))
				return -1;
		} else if (do_cond_jump(c, s, i, &next)) {
			return -1;
		}
		break;
	}
	s->pc = next;
	return 0;
}

/* do_check from one entry: main (r1 = ctx) or a global function (scalar
 * arguments, verified on its own as the kernel does). */
static int walk(struct checker *c, int entry)
{
	struct state *s = calloc(1, sizeof(*s));
	const struct cf_func *fn = &c->p->funcs[entry];
	int ret = -1;

	if (!s) {
		cf_err_set(c->err, "out of memory");
		return -1;
	}
	s->nframes = 1;
	s->fr[0].func = entry;
	s->fr[0].callsite = -1;
	s->fr[0].nslots = (c->stack[entry] + 7) / 8;
	s->nslots = s->fr[0].nslots;
	s->fr[0].regs[BPF_REG_10] = ptr_stack(0, 0);
	if (entry == 0) {
		s->fr[0].regs[1] = reg_not_init();
		s->fr[0].regs[1].type = PTR_CTX;
	} else {
		for (int r = 1; r <= fn->nargs && r <= 5; r++)
			s->fr[0].regs[r] = scalar_unknown();
	}
	c->npending = 0;
	if (push_state(c, s))
		goto out;
	while (c->npending) {
		*s = c->pending[--c->npending];
		for (;;) {
			bool path_end = false;
			int fi = frame_func(s);

			if (++c->processed > c->o.insn_budget) {
				fail(c, fi, s->pc, "BPF program is too large. Processed %ld insn",
				     c->processed);
				goto out;
			}
			if (c->checkpoint[fi][s->pc]) {
				int v = visit_checkpoint(c, s, fi);

				if (v < 0)
					goto out;
				if (v == 1) {
					path_done(s->parent);
					break;
				}
			}
			if (step(c, s, c->p->funcs[entry].global, &path_end))
				goto out;
			if (path_end) {
				path_done(s->parent);
				break;
			}
		}
	}
	ret = 0;
out:
	free(s);
	free_visited(c);
	return ret;
}

/* ---- tail calls (docs/kernel-paths.md "Tail calls") ----------------------
 * kernel/bpf/verifier.c check_max_stack_depth_subprog walks every call
 * chain from main (a callback's address counts as a call): a subprog with
 * a tail call (has_tail_call: any `call bpf_tail_call` in it) makes every
 * function of the chains that reach it tail_call_reachable, and none of
 * those may have stack arguments (subprog_info.stack_arg_cnt: incoming
 * ones, or outgoing ones for a call of a function or kfunc of more than 5
 * arguments); main with a tail call likewise. A subprog other than main
 * with a tail call may not sit below callers whose frames (each rounded
 * up to 16 with the JIT) sum to 256 bytes or more. */

/* tc_reach[fi]: a tail call is reachable from fi (fi included). */
static bool tc_reach_of(const struct checker *c, int fi, int8_t *tc_reach)
{
	const struct cf_func *f = &c->p->funcs[fi];

	if (tc_reach[fi] >= 0)
		return tc_reach[fi];
	tc_reach[fi] = cf_func_has_tail_call(f);
	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];

		if (cf_insn_refs_func(i) && tc_reach_of(c, i->imm, tc_reach))
			tc_reach[fi] = 1;
		if (cf_insn_is_ldimm64(i))
			pc++;
	}
	return tc_reach[fi];
}

/* The first chain, in the kernel's walk order, that reaches a subprog with
 * a tail call below depth bytes of callers' frames >= 256; its depth, or
 * -1. Chains are explored only under functions that reach a tail call,
 * and a function again only from a deeper chain than before (seen[fi]:
 * the deepest so far; a shallower one cannot cross the limit there). */
static int tc_deep_chain(const struct checker *c, int fi, int depth, const int8_t *tc_reach, int *seen, int *at)
{
	const struct cf_func *f = &c->p->funcs[fi];

	if (fi && cf_func_has_tail_call(f) && depth >= 256) {
		*at = fi;
		return depth;
	}
	if (depth <= seen[fi])
		return -1;
	seen[fi] = depth;
	depth += round16(c->stack[fi]);
	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];
		int d;

		if (cf_insn_refs_func(i) && tc_reach[i->imm] > 0 &&
		    (d = tc_deep_chain(c, i->imm, depth, tc_reach, seen, at)) >= 0)
			return d;
		if (cf_insn_is_ldimm64(i))
			pc++;
	}
	return -1;
}

static int check_tail_calls(struct checker *c)
{
	int n = c->p->nfuncs, ret = -1, at = 0, depth;
	int8_t *tc_reach = malloc((size_t)n);
	int *seen = malloc(sizeof(int) * (size_t)n);
	bool any = false;

	if (!tc_reach || !seen) {
		cf_err_set(c->err, "out of memory");
		goto out;
	}
	memset(tc_reach, -1, (size_t)n);
	for (int fi = 0; fi < n; fi++) {
		any |= tc_reach_of(c, fi, tc_reach);
		seen[fi] = -1;
	}
	if (!any) {
		ret = 0;
		goto out;
	}
	for (int fi = 0; fi < n; fi++) {
		const struct cf_func *f = &c->p->funcs[fi];
		bool stack_args = (f->nargs > CF_MAX_REG_ARGS && fi) || c->out_need[fi] > 0;

		if (tc_reach[fi] && stack_args) {
			fail(c, fi, 0, "tail_calls are not allowed in programs with stack args");
			goto out;
		}
	}
	depth = tc_deep_chain(c, 0, 0, tc_reach, seen, &at);
	if (depth >= 0) {
		fail(c, at, 0, "tail_calls are not allowed when call stack of previous frames is %d bytes. Too large",
		     depth);
		goto out;
	}
	ret = 0;
out:
	free(tc_reach);
	free(seen);
	return ret;
}

/* bpf_fixup_call_args: a function may not write more outgoing slots than
 * the largest need of its calls (stack-args.md 2.3). */
static int check_outgoing_slots(struct checker *c)
{
	for (int fi = 0; fi < c->p->nfuncs; fi++) {
		if (c->out_written[fi] > c->out_need[fi])
			return fail(c, fi, c->out_written_pc[fi],
				    "func#%d writes %d stack arg slots, but calls only require %d", fi,
				    c->out_written[fi], c->out_need[fi]);
	}
	return 0;
}

/* The tail-call targets and the prog arrays that name them: each target is
 * a program the kernel verifies on its own (the vm target loads them
 * before the program), of the program's type (kernel/bpf/core.c
 * __bpf_prog_map_compatible: one owner type per prog array), with the
 * program's maps. */
static int check_prog(const struct cf_prog *p, const struct cf_check_opts *opts, struct cf_err *err,
		      bool is_tail);

static int check_tail_targets(const struct cf_prog *p, const struct cf_check_opts *o, struct cf_err *err,
			      bool is_tail)
{
	for (int mi = 0; mi < p->nmaps; mi++) {
		const struct cf_map *m = &p->maps[mi];

		/* a target's copy of the maps names its program's targets */
		for (uint32_t e = 0; e < CF_MAP_MAX_ENTRIES; e++)
			if (m->tail_slot[e] && (m->type != BPF_MAP_TYPE_PROG_ARRAY || e >= m->max_entries ||
						(!is_tail && m->tail_slot[e] > p->ntails))) {
				cf_err_set(err, "map %s entry %u: no tail-call target #%d there", m->name, e,
					   m->tail_slot[e] - 1);
				return -1;
			}
	}
	if (!p->ntails)
		return 0;
	if (!o->maps || !o->kernel_paths) {
		cf_err_set(err, "tail-call targets are for the vm target on a 7.2 kernel (the agent loads them into a prog array)");
		return -1;
	}
	if (p->ntails > CF_MAX_TAILS) {
		cf_err_set(err, "%d tail-call targets (at most %d)", p->ntails, CF_MAX_TAILS);
		return -1;
	}
	for (int k = 0; k < p->ntails; k++) {
		const struct cf_prog *t = &p->tails[k];
		struct cf_err e;

		if (t->ntails) {
			cf_err_set(err, "tail program %d: a target has no targets of its own", k);
			return -1;
		}
		if (t->prog_type != p->prog_type || t->nmaps != p->nmaps ||
		    memcmp(t->maps, p->maps, sizeof(p->maps))) {
			cf_err_set(err, "tail program %d: not of the program's type and maps (a prog array holds one type)",
				   k);
			return -1;
		}
		if (check_prog(t, o, &e, true)) {
			cf_err_set(err, "tail program %d (%s): %s", k, t->nfuncs ? t->funcs[0].name : "?", e.msg);
			return -1;
		}
	}
	return 0;
}

int cf_check(const struct cf_prog *p, const struct cf_check_opts *opts, struct cf_err *err)
{
	return check_prog(p, opts, err, false);
}

static int check_prog(const struct cf_prog *p, const struct cf_check_opts *opts, struct cf_err *err,
		      bool is_tail)
{
	struct checker c;
	int n = p->nfuncs > 0 ? p->nfuncs : 1, ret = -1;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.err = err;
	if (opts)
		c.o = *opts;
	else
		cf_check_opts_default(&c.o);
	if (c.o.insn_budget <= 0)
		c.o.insn_budget = 1000000;
	if (c.o.max_args < 0 || c.o.max_args > CF_MAX_ARGS)
		c.o.max_args = CF_MAX_ARGS;
	if (p->prog_type == CF_PROG_RAW_TP) {
		if (!c.o.raw_tp) {
			cf_err_set(err, "raw_tracepoint programs are for the vm target (BPF_PROG_TEST_RUN of a "
					"RAW_TRACEPOINT program)");
			return -1;
		}
		if (c.o.ctx_size > CF_RAW_TP_CTX_SIZE)
			c.o.ctx_size = CF_RAW_TP_CTX_SIZE;
	} else if (p->prog_type != CF_PROG_SYSCALL) {
		cf_err_set(err, "unknown program type %d", p->prog_type);
		return -1;
	}
	if (c.o.max_frames < 1 || c.o.max_frames > CF_MAX_FRAMES)
		c.o.max_frames = CF_MODEL_MAX_FRAMES;
	if (check_tail_targets(p, &c.o, err, is_tail))
		return -1;
	c.stack = calloc(n, sizeof(int));
	c.out_need = calloc(n, sizeof(int));
	c.out_written = calloc(n, sizeof(int));
	c.out_written_pc = calloc(n, sizeof(int));
	c.checkpoint = calloc(n, sizeof(*c.checkpoint));
	c.table_size = 1 << 16;
	c.table = calloc(c.table_size, sizeof(*c.table));
	if (!c.stack || !c.out_need || !c.out_written || !c.out_written_pc || !c.checkpoint || !c.table) {
		cf_err_set(err, "out of memory");
		goto out;
	}
	if (check_structure(&c))
		goto out;
	if (walk(&c, 0))
		goto out;
	for (int fi = 1; fi < p->nfuncs; fi++)
		if (p->funcs[fi].global && walk(&c, fi))
			goto out;
	if (check_outgoing_slots(&c) || check_tail_calls(&c))
		goto out;
	ret = 0;
out:
	if (c.checkpoint)
		for (int fi = 0; fi < p->nfuncs; fi++)
			free(c.checkpoint[fi]);
	free(c.checkpoint);
	free(c.stack);
	free(c.out_need);
	free(c.out_written);
	free(c.out_written_pc);
	free(c.table);
	free(c.pending);
	return ret;
}

/* bpf/bpf.h: the program model every other module stands on.
 *
 * Instructions are the kernel's `struct bpf_insn`; a program is an ordered
 * list of functions (entry first), each with its argument count, linkage,
 * stack size, instructions and labels. This header also declares the text
 * format (docs/asm.md), the conversion to and from flat bytecode, the call
 * table of helpers and kfuncs, and the validity checker.
 *
 * Conventions inside a `struct cf_func`:
 *  - `insns` are slots: LD_IMM64 takes two, as in the kernel.
 *  - jump offsets are relative to the next slot, as in the kernel, and never
 *    leave the function.
 *  - a BPF-to-BPF call has src_reg = BPF_PSEUDO_CALL and imm = the callee's
 *    index in prog->funcs (only the flat form uses relative offsets);
 *    a kfunc call has src_reg = BPF_PSEUDO_KFUNC_CALL and imm = its id in the
 *    call table; a helper call has src_reg = 0 and imm = its id;
 *  - an ldimm64 with src_reg = BPF_PSEUDO_FUNC (a callback's address) has
 *    imm = the function's index too.
 */
#ifndef CALLFUZZ_BPF_H
#define CALLFUZZ_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

/* ISA v4 constants that older uapi headers (Debian 12: 6.1) lack. */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif
/* may_goto (6.9): BPF_JMP | BPF_JCOND with src_reg BPF_MAY_GOTO (0). */
#ifndef BPF_JCOND
#define BPF_JCOND 0xe0
#endif
#define CF_MAY_GOTO (BPF_JMP | BPF_JCOND)

/* stack-args.md 1: r11 is the stack-argument base register. */
#define BPF_REG_PARAMS 11

#define CF_MAX_ARGS 12       /* MAX_BPF_FUNC_ARGS */
#define CF_MAX_REG_ARGS 5    /* MAX_BPF_FUNC_REG_ARGS */
#define CF_MAX_STACK_ARGS 7  /* slots r11-8 .. r11-56 */
#define CF_MAX_FRAMES 16     /* MAX_CALL_FRAMES of 7.2 (include/linux/bpf_verifier.h) */
#define CF_MODEL_MAX_FRAMES 8 /* the model profile's limit (kernels before 7.2 had 8) */
#define CF_STACK_MAX 512     /* MAX_BPF_STACK, per call chain */
#define CF_CTX_SIZE 256      /* the ctx buffer of the model target */
#define CF_MAX_FUNCS 256
#define CF_MAX_INSNS 65536   /* slots per program; larger input is refused */
#define CF_NAME_MAX 64

/* ---- errors ---------------------------------------------------------- */

/* An error is a value with a message the user can act on, e.g.
 * "seeds/x.s:12: store to r11+8: outgoing stack arguments use negative offsets". */
struct cf_err {
	char msg[512];
};

void cf_err_set(struct cf_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- program container ----------------------------------------------- */

struct cf_label {
	char name[CF_NAME_MAX];
	int pos; /* slot index inside the function */
};

struct cf_func {
	char name[CF_NAME_MAX];
	int nargs;           /* 0..12 (from BTF FUNC_PROTO in the kernel) */
	bool global;         /* BTF_FUNC_GLOBAL: at most 5 args */
	int stack_size;      /* bytes of r10 stack, declared or derived */
	bool stack_declared; /* `.func f, 3, stack=64` */
	struct bpf_insn *insns;
	int ninsns, insns_cap;
	int *lines;          /* source line of each slot, 0 if none (parallel to insns) */
	struct cf_label *labels;
	int nlabels, labels_cap;
};

/* Maps the program uses (docs/asm.md `.map`; docs/kernel-paths.md "Maps").
 * A kernel target creates them fresh for each load, empty (hash) or zeroed
 * (array), and empties them again before every test run, so that a run's
 * map contents depend on the program alone. The program names map i with
 * `ld_imm64` src_reg BPF_PSEUDO_MAP_IDX (imm = i: a CONST_PTR_TO_MAP) or
 * BPF_PSEUDO_MAP_IDX_VALUE (imm = i, the second slot's imm = an offset into
 * the value of a one-entry array: a PTR_TO_MAP_VALUE); BPF_PROG_LOAD's
 * fd_array[i] is the map's fd, so the bytecode holds no fd. */
#define CF_MAX_MAPS 4
#define CF_MAP_MAX_KEY 8      /* bytes */
#define CF_MAP_MAX_VALUE 32   /* bytes */
#define CF_MAP_MAX_ENTRIES 8

struct cf_map {
	char name[CF_NAME_MAX];
	uint32_t type;        /* BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH or BPF_MAP_TYPE_PROG_ARRAY */
	uint32_t key_size;    /* array, prog array: 4 (kernel/bpf/arraymap.c); hash: 1..CF_MAP_MAX_KEY */
	uint32_t value_size;  /* 1..CF_MAP_MAX_VALUE; a prog array: 4 (a program's fd) */
	uint32_t max_entries; /* 1..CF_MAP_MAX_ENTRIES */
	/* A read-only map (docs/kernel-paths.md "Strings"): created with
	 * BPF_F_RDONLY_PROG, its one value set to `init` and frozen
	 * (BPF_MAP_FREEZE) before the load, never emptied between runs: what
	 * bpf_strncmp and bpf_snprintf take as a constant string. Only a
	 * one-entry array may be one (cf_map_set_rdonly). */
	bool rdonly;
	uint8_t init[CF_MAP_MAX_VALUE]; /* its value (value_size bytes); zeros for other maps */
	/* BPF_MAP_TYPE_PROG_ARRAY (docs/kernel-paths.md "Tail calls"): what
	 * the target fills entry i with before it loads the program: 0 none,
	 * k + 1 the tail-call target prog->tails[k] */
	uint8_t tail_slot[CF_MAP_MAX_ENTRIES];
};

/* Program types (docs/asm.md `.type`; docs/kernel-paths.md "Raw
 * tracepoints and the private stack"). SYSCALL is what every target runs;
 * RAW_TRACEPOINT only the vm target (BPF_PROG_TEST_RUN runs it,
 * net/bpf/test_run.c bpf_prog_test_run_raw_tp): its ctx is CF_RAW_TP_CTX_SIZE
 * bytes of u64 arguments, read-only, and 7.2 gives its frames of 64 bytes or
 * more the private stack. */
enum cf_prog_type {
	CF_PROG_SYSCALL = 0,
	CF_PROG_RAW_TP = 1,
};
#define CF_RAW_TP_CTX_SIZE 96 /* MAX_BPF_FUNC_ARGS * sizeof(u64) */

/* Tail calls (docs/kernel-paths.md "Tail calls"): a program may come with
 * up to CF_MAX_TAILS target programs, each a whole program of its own (its
 * funcs[0] is its entry, its calls name its own functions), of the same
 * type and with a copy of the same maps (cf_prog_sync_tails), so that it
 * checks, loads and prints like any program. The program's prog arrays
 * (cf_map.tail_slot) name them; a target may tail call back into the
 * array, itself included. Targets have no targets of their own. */
#define CF_MAX_TAILS 4
#define CF_MAX_TAIL_CALL_CNT 33 /* MAX_TAIL_CALL_CNT, include/linux/bpf.h: tail calls per run */

struct cf_prog {
	struct cf_func *funcs; /* funcs[0] is the entry */
	int nfuncs, funcs_cap;
	struct cf_map maps[CF_MAX_MAPS];
	int nmaps;
	int prog_type; /* enum cf_prog_type */
	struct cf_prog *tails; /* tail-call targets (malloc'd, ntails of them) */
	int ntails;
};

/* Bytes of ctx the program gets (and a test run passes). */
static inline int cf_prog_ctx_size(const struct cf_prog *p)
{
	return p->prog_type == CF_PROG_RAW_TP ? CF_RAW_TP_CTX_SIZE : CF_CTX_SIZE;
}

void cf_prog_init(struct cf_prog *p);
void cf_prog_free(struct cf_prog *p);
int cf_prog_copy(struct cf_prog *dst, const struct cf_prog *src);
/* Returns the new function (owned by p), NULL past CF_MAX_FUNCS. */
struct cf_func *cf_prog_add_func(struct cf_prog *p, const char *name, int nargs, bool global);
int cf_prog_find_func(const struct cf_prog *p, const char *name); /* index or -1 */
/* Append one slot; line is the source line or 0. Returns its position. */
int cf_func_emit(struct cf_func *f, struct bpf_insn insn, int line);
void cf_func_add_label(struct cf_func *f, const char *name, int pos);
/* Deepest r10 access of f, rounded up to 8 (what `stack=` defaults to). */
int cf_func_derived_stack(const struct cf_func *f);
/* Fill stack_size of every function that did not declare it. */
void cf_prog_derive_stack(struct cf_prog *p);
/* Same functions, names, nargs, linkage, stack sizes and slots; labels and
 * line numbers are not compared. */
bool cf_prog_equal(const struct cf_prog *a, const struct cf_prog *b);
int cf_prog_total_insns(const struct cf_prog *p);
/* Appends a map; NULL with err when the table is full or a size is out of
 * the ranges above (the message names the bound). */
struct cf_map *cf_prog_add_map(struct cf_prog *p, const char *name, uint32_t type, uint32_t key_size,
			       uint32_t value_size, uint32_t max_entries, struct cf_err *err);
int cf_prog_find_map(const struct cf_prog *p, const char *name); /* index or -1 */
/* Makes m read-only with value bytes (len <= value_size, the rest zeros);
 * -1 with err unless m is a one-entry array (the kernel's direct value
 * access, kernel/bpf/arraymap.c array_map_direct_value_addr). */
int cf_map_set_rdonly(struct cf_map *m, const uint8_t *value, size_t len, struct cf_err *err);
/* Appends an empty tail-call target (NULL past CF_MAX_TAILS), of p's type
 * and with p's maps; p->tails may move. */
struct cf_prog *cf_prog_add_tail(struct cf_prog *p);
/* Give every target p's maps and program type again (after they changed). */
void cf_prog_sync_tails(struct cf_prog *p);
/* Does f call bpf_tail_call? (kernel/bpf/verifier.c marks has_tail_call
 * the same way: any such call instruction of the subprog) */
bool cf_func_has_tail_call(const struct cf_func *f);

/* Instruction helpers shared by every reader of the model. */
static inline bool cf_insn_is_ldimm64(const struct bpf_insn *i)
{
	return i->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static inline bool cf_insn_is_pseudo_call(const struct bpf_insn *i)
{
	return i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_CALL;
}

/* ldimm64 of a function's address (a callback, BPF_PSEUDO_FUNC): imm is
 * the function's index in prog->funcs, as for a pseudo call (the flat form
 * uses the relative offset). */
static inline bool cf_insn_is_pseudo_func(const struct bpf_insn *i)
{
	return cf_insn_is_ldimm64(i) && i->src_reg == BPF_PSEUDO_FUNC;
}

/* An instruction that names a function of the program by index. */
static inline bool cf_insn_refs_func(const struct bpf_insn *i)
{
	return cf_insn_is_pseudo_call(i) || cf_insn_is_pseudo_func(i);
}

/* may_goto: a forward or backward jump by off that the kernel takes only
 * when the frame's loop budget is spent (docs/kernel-paths.md "may_goto"). */
static inline bool cf_insn_is_may_goto(const struct bpf_insn *i)
{
	return i->code == CF_MAY_GOTO && i->src_reg == 0;
}

static inline struct bpf_insn cf_insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
	return i;
}

/* ---- flat bytecode --------------------------------------------------- */

/* The kernel's view: one insn array (pseudo-call imm = target - (pc + 1)),
 * plus per function what BTF func_info gives the kernel. */
struct cf_raw_func {
	char name[CF_NAME_MAX];
	int start;      /* first slot in insns */
	int nargs;
	bool global;
	int stack_size;
};

struct cf_raw {
	struct bpf_insn *insns;
	int ninsns;
	struct cf_raw_func *funcs;
	int nfuncs;
};

int cf_prog_to_raw(const struct cf_prog *p, struct cf_raw *out, struct cf_err *err);
/* Splits at func starts; rejects calls that do not land on a func start,
 * jumps that leave their function, and sizes beyond the limits. */
int cf_prog_from_raw(struct cf_prog *out, const struct cf_raw *raw, struct cf_err *err);
void cf_raw_free(struct cf_raw *raw);

/* The `.bin` file of `callfuzz asm -o` (bpf/raw_file.c documents the
 * layout): magic "CFBPF1\0\0", the functions, then the insns, little-endian.
 * encode: *out is malloc'd. decode: rejects truncated or absurd input. */
int cf_raw_encode(const struct cf_raw *raw, uint8_t **out, size_t *len, struct cf_err *err);
int cf_raw_decode(const uint8_t *buf, size_t len, struct cf_raw *out, struct cf_err *err);
/* Bare `struct bpf_insn` bytes (a multiple of 8, no magic): functions split
 * at pseudo-call targets, entry first (nargs 1); a subprogram's nargs is
 * 5 + the deepest incoming r11 slot it loads, else 5. Names left empty. */
int cf_raw_from_insns(const uint8_t *buf, size_t len, struct cf_raw *out, struct cf_err *err);

/* ---- text format (docs/asm.md) ---------------------------------------- */

/* Parse a whole program. filename is used in messages ("x.s:12: ..."). */
int cf_asm_parse(const char *text, size_t len, const char *filename, struct cf_prog *out,
		 struct cf_err *err);
/* Print a whole program in the canonical form; malloc'd, caller frees. */
char *cf_asm_print(const struct cf_prog *p);
/* Print one instruction (slot pc of function fi) without label or newline;
 * jumps print as `goto +N` / `if ... goto -N`, calls by name. Returns the
 * length written (snprintf semantics). */
int cf_asm_print_insn(char *buf, size_t size, const struct cf_prog *p, int fi, int pc);

/* ---- helpers and kfuncs: the one call table --------------------------- */

enum cf_arg_kind {
	CF_ARG_SCALAR,    /* any initialized scalar */
	CF_ARG_PTR_MEM,   /* pointer to initialized stack or ctx memory; the next
	                     argument is its length */
	CF_ARG_CONST_LEN, /* known constant 1..512, length of the previous arg */
	/* the map helpers (include/uapi/linux/bpf.h; kernel/bpf/helpers.c's
	 * protos: ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE) */
	CF_ARG_MAP_PTR,   /* a map (ld_imm64 BPF_PSEUDO_MAP_IDX) */
	CF_ARG_MAP_KEY,   /* stack: key_size initialized bytes of that map's key */
	CF_ARG_MAP_VALUE, /* stack: value_size initialized bytes */
	CF_ARG_FUNC,      /* a callback: ldimm64 of a static function (ARG_PTR_TO_FUNC) */
	CF_ARG_PTR_STACK_OR_NULL, /* a stack pointer or 0 (ARG_PTR_TO_STACK_OR_NULL) */
	CF_ARG_PTR_OUT8,  /* pointer to 8 aligned stack bytes the callee writes (may be
			     uninitialized before): ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT |
			     MEM_WRITE | MEM_ALIGNED, size 8 */
	/* bpf_strncmp, bpf_snprintf (docs/kernel-paths.md "Strings") */
	CF_ARG_CONST_STR, /* ARG_PTR_TO_CONST_STR: a value of a read-only map at a
			     constant offset, NUL-terminated inside the value */
	CF_ARG_PTR_OUT_OR_NULL, /* ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE: bytes the helper
				   writes, or 0; the next argument is its size */
	CF_ARG_PTR_MEM_OR_NULL, /* ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY: bytes the
				   helper reads, or 0; the next argument is its size */
	CF_ARG_CONST_SIZE_OR_ZERO, /* ARG_CONST_SIZE_OR_ZERO: known constant 0..512 */
	/* the open-coded number iterator (docs/kernel-paths.md "Kfuncs") */
	CF_ARG_ITER_NEW,  /* struct bpf_iter_num * on the stack, not an iterator yet (KF_ITER_NEW) */
	CF_ARG_ITER,      /* struct bpf_iter_num * made by bpf_iter_num_new (KF_ITER_NEXT/DESTROY) */
	CF_ARG_CTX,       /* the program's ctx, not moved (ARG_PTR_TO_CTX) */
};

enum cf_ret_kind {
	CF_RET_SCALAR,
	CF_RET_MAP_VALUE_OR_NULL, /* RET_PTR_TO_MAP_VALUE_OR_NULL: test against 0 before use */
	CF_RET_ITER_INT_OR_NULL,  /* bpf_iter_num_next's int *: 4 read-only bytes or NULL */
	CF_RET_VOID,              /* r0 is not readable after the call */
	CF_RET_INT32,             /* a kfunc's int: r0's low 32 bits (kernel/bpf/verifier.c
				     mark_btf_func_reg_size: a 32-bit definition) */
};

struct cf_callee {
	const char *name;
	int32_t id;  /* helper id (src_reg 0) or kfunc id (BPF_PSEUDO_KFUNC_CALL) */
	bool kfunc;
	int nargs;
	enum cf_arg_kind args[CF_MAX_ARGS];
	enum cf_ret_kind ret;
	bool kernel; /* a kernel helper (id = BPF_FUNC_*) or, with kfunc, a kernel kfunc
			(CF_KKFUNC_*), modelled by interp/ from the kernel's documented
			behaviour; allowed by cf_check_opts.kernel_paths (helpers) and
			cf_check_opts.kfuncs (kfuncs) */
};

/* The environment of the model target (implemented in harness/env/env.c). */
enum {
	CF_HELPER_TRACE = 1000,      /* trace(a1..a5): records an event of 5 scalars */
	CF_HELPER_STACK_HASH = 1001, /* stack_hash(ptr, len): records a hash of len bytes */
	CF_KFUNC_ARGS_BASE = 2000,   /* kf_argsN, N = 6..12: id 2000 + N, records N scalars */
};

/* Kernel helpers every program type has (kernel/bpf/helpers.c
 * bpf_base_func_proto): only kernel targets run them. */
static inline bool cf_callee_is_map_helper(bool kfunc, int32_t id)
{
	return !kfunc && (id == BPF_FUNC_map_lookup_elem || id == BPF_FUNC_map_update_elem ||
			  id == BPF_FUNC_map_delete_elem);
}
/* Kernel helpers of the kernel profile (include/uapi/linux/bpf.h ids;
 * docs/kernel-paths.md "Helpers"). */
enum {
	CF_KHELPER_GET_SMP_PROCESSOR_ID = 8, /* BPF_FUNC_get_smp_processor_id */
	CF_KHELPER_STRTOL = 105,             /* BPF_FUNC_strtol */
	CF_KHELPER_STRTOUL = 106,            /* BPF_FUNC_strtoul */
	CF_KHELPER_LOOP = 181,               /* BPF_FUNC_loop: callback(index, ctx) */
	CF_KHELPER_SNPRINTF = 165,           /* BPF_FUNC_snprintf */
	CF_KHELPER_STRNCMP = 182,            /* BPF_FUNC_strncmp */
	CF_KHELPER_TAIL_CALL = 12,           /* BPF_FUNC_tail_call(ctx, prog_array, index) */
};
#define CF_LOOP_MAX 8388608 /* BPF_MAX_LOOPS: nr_loops above it is -E2BIG */
#define CF_BPRINTF_MAX_ARGS 12 /* MAX_BPRINTF_VARARGS (include/linux/bpf.h) */

/* The kernel's kfuncs of the call table (cf_callee.kernel && kfunc): ids
 * of our own; a kernel target turns them into the BTF ids of its
 * vmlinux (the vm target's agent reads /sys/kernel/btf/vmlinux). */
enum {
	CF_KKFUNC_ITER_NUM_NEW = 3001,     /* int bpf_iter_num_new(it, int start, int end) */
	CF_KKFUNC_ITER_NUM_NEXT = 3002,    /* int *bpf_iter_num_next(it) */
	CF_KKFUNC_ITER_NUM_DESTROY = 3003, /* void bpf_iter_num_destroy(it) */
};
static inline bool cf_callee_is_kernel_kfunc(const struct cf_callee *c)
{
	return c && c->kernel && c->kfunc;
}

/* bpf_bprintf_prepare's pass over a format string (kernel/bpf/helpers.c,
 * docs/kernel-paths.md "Strings"), for the checker and the generator (the
 * interpreter formats on its own): the conversions of fmt[0..len) (up to
 * its NUL) given num_args u64 arguments. */
enum cf_bprintf_conv {
	CF_BPRINTF_NUM32, /* %d %i %u %x %X: an int */
	CF_BPRINTF_NUM64, /* the same with l or ll */
	CF_BPRINTF_CHAR,  /* %c */
	CF_BPRINTF_STR,   /* %s: the argument is the address of a string */
	CF_BPRINTF_PTR,   /* %p and its variants: an address is printed or read */
};
struct cf_bprintf {
	int nconv;                                 /* conversions (arguments used) */
	uint8_t conv[CF_BPRINTF_MAX_ARGS + 1];     /* enum cf_bprintf_conv of each */
};
/* 0 and out filled, or -1 (the kernel's -EINVAL) with why set: a control
 * byte, a conversion it refuses, more conversions than num_args, no NUL. */
int cf_bprintf_parse(const uint8_t *fmt, size_t len, int num_args, struct cf_bprintf *out, char *why,
		     size_t whylen);

extern const struct cf_callee cf_callees[];
extern const int cf_ncallees;
const struct cf_callee *cf_callee_find(bool kfunc, int32_t id);
const struct cf_callee *cf_callee_by_name(const char *name);
int cf_callee_index(const struct cf_callee *c); /* position in cf_callees */

/* ---- observations: the trace both sides record ------------------------ */

#define CF_TRACE_MAX 256

struct cf_event {
	uint32_t id;    /* callee id (helper or kfunc) */
	uint32_t nargs; /* values used in args[] */
	uint64_t args[CF_MAX_ARGS]; /* stack_hash: {len, hash} */
};

/* Fixed size so that it can live in shared memory with the executor. */
struct cf_trace {
	uint32_t nevents;
	uint32_t dropped; /* events past CF_TRACE_MAX */
	struct cf_event ev[CF_TRACE_MAX];
};

/* ---- observations: map contents after a run --------------------------- */

/* Canonical form, the same on every side: per map of the program, in
 * order, u32 count (little-endian) then count entries of key_size key
 * bytes and value_size value bytes, sorted by key bytes (an array's key
 * is its u32 index: every index is an entry). */
#define CF_MAP_DUMP_MAX (CF_MAX_MAPS * (4 + CF_MAP_MAX_ENTRIES * (CF_MAP_MAX_KEY + CF_MAP_MAX_VALUE)))

struct cf_map_dump {
	uint32_t len;
	uint8_t data[CF_MAP_DUMP_MAX];
};

/* Appends map m's entries (count of them, each key then value, any order;
 * sorted here). -1 when they do not fit or count > max_entries. */
int cf_map_dump_add(struct cf_map_dump *d, const struct cf_map *m, uint32_t count, const uint8_t *entries);
/* Map mi's part of d (p's maps in order: a u32 count, then the entries,
 * key then value): the count in *count and the first entry, or NULL when
 * d stops short of them. */
const uint8_t *cf_map_dump_entries(const struct cf_prog *p, const struct cf_map_dump *d, int mi, uint32_t *count);
/* 0 when equal; else 1 and place says where, in program terms:
 * "map 0 (counts) entries 2 != 3", "map 1 (h) key 03000000 value[4]". */
int cf_map_dump_diff(const struct cf_prog *p, const struct cf_map_dump *want, const struct cf_map_dump *got,
		     char *place, size_t size);

/* ---- validity checker ------------------------------------------------- */

struct cf_check_opts {
	int max_args;         /* 12, or 5 for kernels without stack arguments */
	long insn_budget;     /* processed-instruction limit, default 1,000,000 */
	int ctx_size;         /* bytes of ctx the program may touch, default CF_CTX_SIZE */
	bool model_callees;   /* allow the model target's helpers/kfuncs (default true) */
	bool ctx_moved_ok;    /* ctx may be accessed through a moved pointer: 7.2 SYSCALL
				 programs (default true); false for older kernels (6.18:
				 "dereference of modified ctx ptr") */
	bool maps;            /* maps and the map helpers: kernel targets that create
				 them (the vm target); default false (our JIT and the
				 executor have no maps) */
	bool raw_tp;          /* RAW_TRACEPOINT programs: the vm target; default false */
	int max_frames;       /* call frames per chain: CF_MODEL_MAX_FRAMES (default), or
				 CF_MAX_FRAMES for a 7.2 kernel */
	bool kernel_paths;    /* the kernel profile's extra paths: kernel helpers
				 (cf_callee.kernel) and may_goto (default false) */
	bool kfuncs;          /* the kernel's kfuncs of the call table (bpf_iter_num_*):
				 a kernel whose vmlinux BTF names them (default false) */
};

void cf_check_opts_default(struct cf_check_opts *o);
/* 0: accepted. -1: rejected, err says why, naming function and instruction
 * ("func sum7 insn 3: R11 is invalid"), with the kernel's wording where it
 * has one. */
int cf_check(const struct cf_prog *p, const struct cf_check_opts *opts, struct cf_err *err);

/* Read a whole file ("-" is stdin). Returns malloc'd bytes (NUL-terminated)
 * or NULL with a message in err (size 256). */
char *cf_read_file(const char *path, size_t *len, char *err, size_t errlen);

/* The value of a hex digit (either case), or -1: the text format's
 * `rdonly=` bytes and the CLI's `--ctx` share it. */
int cf_hex_digit(int c);

#endif

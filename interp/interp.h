/* interp/interp.h: the reference interpreter, the oracle of callfuzz.
 *
 * Runs a struct cf_prog with the kernel's semantics (ISA v4, may_goto with
 * 7.2's timed counter, BPF-to-BPF calls of up to CF_MAX_FRAMES frames, stack arguments per
 * docs/stack-args.md section 3, helpers and kfuncs of the call table through
 * an environment, bpf_tail_call into the program's tail-call targets:
 * docs/kernel-paths.md "Tail calls"). It is written independently of jit/ on purpose.
 *
 * Addresses are the interpreter's own: the ctx buffer lives at
 * INTERP_CTX_ADDR; r10 of frame k (0 = entry) is
 * INTERP_STACK_ADDR + (k + 1) * INTERP_STACK_STRIDE (k may pass CF_MAX_FRAMES
 * when tail calls from subprograms nest targets), and its 512-byte stack
 * lies just below, with unmapped gaps between frames. Every load, store and atomic is checked against
 * the ctx buffer and the stacks of the live frames; anything else, a read of
 * stack bytes never written, a stack-argument slot not written since the last
 * call, or an invalid encoding is an INTERP_FAULT whose message names the
 * function and instruction ("func f insn 17: ..."): for a program the checker
 * accepted that is a bug of the generator or of the checker, never undefined
 * behaviour.
 *
 * Registers nobody may read hold a poison value (INTERP_POISON): r0 and
 * r2..r9 at entry, r1..r5 after every call, r0 and r6..r9 in a callee at
 * entry; misuse then shows loudly as a wrong value.
 */
#ifndef CALLFUZZ_INTERP_H
#define CALLFUZZ_INTERP_H

#include <stdint.h>
#include <stdio.h>

#include "bpf/bpf.h"

#define INTERP_CTX_ADDR 0x10000000ULL
#define INTERP_STACK_ADDR 0x20000000ULL
#define INTERP_STACK_STRIDE 0x1000ULL /* gaps between frames catch overruns */
#define INTERP_POISON 0xbad0c0debad0c0deULL
/* Map m's entries at INTERP_MAP_ADDR + m * INTERP_MAP_STRIDE + entry *
 * INTERP_MAP_ENTRY_STRIDE (only value_size bytes of each are mapped); the
 * map itself (`r1 = map[m] ll`) is the last word of its window. */
#define INTERP_MAP_ADDR 0x30000000ULL
#define INTERP_MAP_STRIDE 0x1000ULL
#define INTERP_MAP_ENTRY_STRIDE 0x40ULL
/* What ldimm64 of function k's address (BPF_PSEUDO_FUNC) gives: the checker
 * keeps it from becoming observable. */
#define INTERP_FUNC_ADDR(k) (0x40000000ULL + (uint64_t)(k) * 0x100)

struct interp_opts {
	long insn_budget; /* default 1,000,000 instructions */
	FILE *insn_trace; /* NULL, or where each executed insn and the registers it changed go */
};

void interp_opts_default(struct interp_opts *o);

enum interp_status {
	INTERP_OK,      /* the entry function ran to exit */
	INTERP_TIMEOUT, /* insn_budget exhausted */
	INTERP_FAULT,   /* fault[] says where and why */
};

struct interp_result {
	enum interp_status status;
	uint64_t r0;
	uint8_t ctx[CF_CTX_SIZE]; /* ctx buffer after the run */
	struct cf_map_dump maps;  /* the program's maps after the run (canonical form, bpf.h);
				     each run starts from zeroed arrays and empty hashes */
	struct cf_trace trace;
	uint64_t insns_executed;
	uint32_t tail_calls;      /* bpf_tail_call that jumped (at most CF_MAX_TAIL_CALL_CNT) */
	char fault[256]; /* "func f insn 17: ..." */
};

/* A helper/kfunc call. Arguments of kind CF_ARG_PTR_MEM arrive as host
 * pointers (already bounds-checked against the CONST_LEN argument that
 * follows them); the callee records into trace. */
typedef uint64_t interp_call_fn(void *opaque, const struct cf_callee *c, const uint64_t args[CF_MAX_ARGS],
				struct cf_trace *trace);

struct interp_env {
	interp_call_fn *call; /* NULL: cf_env_call (harness/env/env.h) */
	void *opaque;
};

/* The host address of the NUL-terminated string at the interpreter's
 * address addr (a read-only map's value), or NULL: how a helper model
 * follows a pointer found inside its memory arguments (bpf_snprintf's %s). */
typedef const char *interp_str_at_fn(void *opaque, uint64_t addr);

/* A kernel helper or kfunc of the call table (cf_callee.kernel), as the
 * kernel documents it (interp/helpers.c, docs/kernel-paths.md "Helpers",
 * "Strings", "Kfuncs"): memory arguments arrive as host pointers, as for
 * interp_call_fn (a CF_ARG_PTR_OUT8 argument points to the 8 bytes the
 * helper writes, CF_ARG_CONST_STR to the string, CF_ARG_ITER* to the
 * iterator's 8 bytes, a NULL CF_ARG_PTR_*_OR_NULL is 0); str_at (may be
 * NULL: every %s string is then "", as for an address that faults)
 * resolves bpf_snprintf's %s arguments. Returns r0; for
 * bpf_iter_num_next, 1 for "a pointer to the iterator's int" and 0 for
 * NULL. */
uint64_t interp_kernel_helper(const struct cf_callee *c, const uint64_t args[CF_MAX_ARGS], interp_str_at_fn *str_at,
			      void *opaque);

/* Run p on ctx_in (CF_CTX_SIZE bytes; NULL means zeros). o and env may be
 * NULL (defaults). Returns 0, or -1 on bad arguments (res->fault says why,
 * status INTERP_FAULT). */
int interp_run(const struct cf_prog *p, const struct interp_opts *o, const struct interp_env *env,
	       const uint8_t ctx_in[CF_CTX_SIZE], struct interp_result *res);

/* Prepared form for running one program many times: the functions
 * flattened into one array with decoded jump and call targets. The image
 * keeps a pointer to p (names, for messages): p must outlive it. */
struct interp_image;

/* NULL with a message in err on bad input (no functions, too large). */
struct interp_image *interp_prepare(const struct cf_prog *p, struct cf_err *err);
int interp_exec(const struct interp_image *img, const struct interp_opts *o, const struct interp_env *env,
		const uint8_t ctx_in[CF_CTX_SIZE], struct interp_result *res);
void interp_image_free(struct interp_image *img);

#endif

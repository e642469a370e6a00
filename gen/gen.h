/* gen/gen.h: the structured generator of callfuzz (docs design.md
 * "Generator"; style.md "structure-aware fuzzing").
 *
 * The fuzzer's bytes are read as a sequence of decisions through a tiny
 * choice API; whatever the bytes, gen_program builds a struct cf_prog that
 * is valid by construction (it passes cf_check and runs to exit in the
 * interpreter). Running out of bytes means "take the simplest choice", so a
 * shorter input gives a smaller program and byte-level shrinking shrinks
 * programs.
 *
 * What a generated program looks like:
 *  - a call DAG rooted at `main` (whose r1 is the 256-byte ctx), at most
 *    max_frames frames deep (8; 16 for a 7.2 kernel), no recursion, the combined stack of any call
 *    chain at most CF_STACK_MAX bytes (each frame counted rounded up to 32,
 *    the granularity the kernel's check_max_stack_depth uses);
 *  - functions of 0..max_args arguments, weighted to the boundaries 0, 5, 6,
 *    8, 9 and 12; static ones may take pointers (to a caller's stack or to
 *    ctx) in registers and in stack slots, global ones take at most 5
 *    scalars;
 *  - the whole ISA v4 in the bodies, forward branches, small bounded loops,
 *    calls of subprogs, helpers and kfuncs (model profile);
 *  - args 6..12 loaded in a chosen order with straight-line code between
 *    the loads, and stored for a call with straight-line code between the
 *    stores and the call (stack-args.md 2.1-2.4 hold by construction): a
 *    JIT must keep x5..x7 intact while args 6..8 wait there;
 *  - observation points for the oracle: argument values traced at function
 *    entries, stack hashes after calls and at exits, canaries at the bottom
 *    of each frame written before calls and folded in after, callee results
 *    folded into an accumulator that becomes r0. The kernel profile, which
 *    has none of the model's helpers, writes observations into ctx and r0
 *    instead; with kernel_paths it also calls 7.2's deterministic helpers
 *    (bpf_get_smp_processor_id, bpf_strtol, bpf_strtoul on a stack buffer
 *    the program writes; with maps bpf_strncmp and bpf_snprintf on a
 *    read-only string map; with kfuncs the number iterator's
 *    bpf_iter_num_new/next/destroy, in a loop or unrolled), their results
 *    folded into the accumulator, passes
 *    static functions to bpf_loop as callbacks, and uses may_goto for
 *    branches (never taken at run time);
 *  - with maps (kernel profile): arrays and hash maps, lookups (checked
 *    against NULL, the value read and written at once), updates and
 *    deletes with keys and values on the stack, derived from the
 *    function's arguments so that keys collide, and direct value access to
 *    a one-entry array; the maps' contents are one more observation. Maps
 *    and kernel_paths mix in one program (map helpers in a function that
 *    also calls bpf_strtol, in a bpf_loop callback, in a RAW_TRACEPOINT
 *    program: 7.2 gives all of them to both program types);
 *  - with maps and kernel_paths (the vm profile), one program in four
 *    tail calls (docs/kernel-paths.md "Tail calls"): a prog array `jt`
 *    with 1..3 target programs (generated like the program, smaller, of
 *    the same type and maps, themselves tail calling back into `jt`),
 *    bpf_tail_call from main, from subprograms that hold the ctx and from
 *    targets, each attempt counted into ctx (or `obs`), indices inside,
 *    past and (as a u32) wrapping around the array; such a program and
 *    its targets keep to 5 arguments and have no callbacks.
 *
 * No global state: everything lives in the caller's objects. */
#ifndef CALLFUZZ_GEN_H
#define CALLFUZZ_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpf/bpf.h"

/* ---- choice API ------------------------------------------------------ */

struct gen_src {
	const uint8_t *data;
	size_t len, pos;
};

/* 0..n-1 from the next bytes (1 byte when n <= 256); 0 once the bytes run out. */
uint64_t gen_choose(struct gen_src *s, uint64_t n);
/* One byte: true when it is odd; false once the bytes run out. */
bool gen_coin(struct gen_src *s);
/* Index i with probability weights[i] / sum; out of bytes: the first index
 * with a nonzero weight (tables list the simplest choice first). */
int gen_weighted(struct gen_src *s, const unsigned *weights, int n);

/* ---- programs -------------------------------------------------------- */

enum gen_profile {
	GEN_PROFILE_MODEL,  /* helpers trace/stack_hash and kfuncs kf_args6..12 */
	GEN_PROFILE_KERNEL, /* no helpers: observations go to ctx and r0 */
};

#define GEN_MAX_FUNCS 32
/* Functions of a vm-target program on a 7.2 kernel: room for a chain of
 * CF_MAX_FRAMES frames. */
#define GEN_VM_MAX_FUNCS 18

struct gen_opts {
	enum gen_profile profile;
	int max_args;  /* 12, or 5 for kernels without stack arguments */
	int max_funcs; /* 1..GEN_MAX_FUNCS, main included */
	int max_insns; /* soft cap on slots per program: optional work stops here */
	bool maps;     /* kernel profile: declare 1..3 maps and call the map helpers
			  (targets that create maps: cf_check_opts.maps, the vm
			  target); false gives the same programs as before maps */
	bool raw_tp;   /* with maps: some programs are RAW_TRACEPOINT programs
			  (one in eight; short inputs stay SYSCALL), whose ctx
			  is read-only and whose observations go to a map
			  (cf_check_opts.raw_tp: the vm target) */
	int max_frames; /* deepest call chain, 1..CF_MAX_FRAMES (default CF_MODEL_MAX_FRAMES) */
	bool kernel_paths; /* kernel profile: 7.2's helpers and may_goto
			      (docs/kernel-paths.md; default false); with maps,
			      also a read-only string map for bpf_strncmp and
			      bpf_snprintf */
	bool kfuncs;       /* kernel profile: the number iterator's kfuncs
			      (bpf_iter_num_*), for a kernel whose BTF has them
			      (cf_check_opts.kfuncs; default false) */
};

/* Model profile, 12 args, 10 functions, 400 slots, 8 frames. */
void gen_opts_default(struct gen_opts *o);

/* Build a program from the bytes. out is initialized here (free it with
 * cf_prog_free). Returns 0, or -1 with a message when the options are out
 * of range (then out is empty). */
int gen_program(const uint8_t *data, size_t len, const struct gen_opts *o, struct cf_prog *out,
		struct cf_err *err);

/* Largest length gen_bytes_from_seed draws, plus one. */
#define GEN_SEED_MAX_LEN 8192

/* The generator bytes of one seed, as `callfuzz gen --seed S` and
 * `callfuzz kernel-agree` name programs: splitmix64 seeded from seed, the
 * length drawn log-uniformly in 0..GEN_SEED_MAX_LEN-1 (fixed_len < 0) or
 * fixed_len. Independent of any other seed, so `--seed S --count N` and
 * `--seed S+i` give the same program. Writes at most cap bytes to buf;
 * returns the length, cut to cap. The sequence is part of every report
 * that names a seed: never change it. */
size_t gen_bytes_from_seed(uint64_t seed, long fixed_len, uint8_t *buf, size_t cap);

/* ---- distribution ------------------------------------------------------ */

/* Gathered from the programs themselves (not from generator internals), so
 * the same counts describe seeds and minimized programs too. Pointer-ness
 * is followed by a linear pass over each function, enough for straight-line
 * argument set-up. */
struct gen_stats {
	long programs, funcs, insns, max_prog_insns;
	long callee_nargs[CF_MAX_ARGS + 1]; /* BPF-to-BPF call sites by callee argument count */
	long funcs_nargs[CF_MAX_ARGS + 1];  /* functions (main excluded) by argument count */
	long depth[CF_MAX_FRAMES + 1];      /* programs by deepest call chain, in frames */
	long chain_stack[5];                /* programs by largest chain stack: <=128, <=256, <=384, <512, =512 */
	long classes[8];                    /* instructions by BPF class (LD, LDX, ST, STX, ALU, JMP, JMP32, ALU64) */
	long ldimm64, ldsx, atomics, atomic_fetch, movsx, sdiv_smod, end_bswap, neg;
	long cond_jumps, back_jumps, gotol, may_goto;
	long global_funcs, helper_calls, kfunc_calls, pseudo_calls;
	long slot_args_reg;   /* r11 stores of args 6..8 (x5..x7 on arm64) */
	long slot_args_mem;   /* r11 stores of args 9..12 (memory on arm64) */
	long slot_st_imm, slot_stx; /* r11 stores by form */
	long slot_loads;      /* incoming r11 loads */
	long ptr_args_reg, ptr_args_slot; /* pointer arguments in r1..r5 / in r11 slots */
	/* tail calls (docs/kernel-paths.md "Tail calls"): programs with
	 * targets, targets, bpf_tail_call sites in programs and in targets,
	 * and of those in subprograms */
	long tail_progs, tail_targets, tail_sites_main, tail_sites_target, tail_sites_subprog;
};

void gen_stats_add(struct gen_stats *st, const struct cf_prog *p);
void gen_stats_print(FILE *f, const struct gen_stats *st);

#endif

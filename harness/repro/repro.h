/* harness/repro/repro.h: the reproduction pipeline: the minimizer, bucket
 * reports, kernel-selftest export, triage of an artifacts directory and the
 * artifacts themselves. Programs are rerun through the target interface
 * (harness/target/target.h); nothing here knows how a target runs one.
 *
 * design.md "Minimizer and triage"; style.md "From C-Reduce and Csmith":
 * the minimizer is a list of small passes over the program (never over the
 * generator's bytes), driven by one loop that keeps a candidate only if the
 * checker accepts it, the interpreter runs it to exit, and the caller's
 * predicate (for a real mismatch: "the signature is unchanged") holds. */
#ifndef CALLFUZZ_REPRO_H
#define CALLFUZZ_REPRO_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/target/target.h"

/* ---- the reduction loop (harness/repro/minimize.c) -------------------------- */

/* The "still interesting" test of a candidate that is already valid
 * (accepted by cf_check, INTERP_OK). */
typedef bool min_keep_fn(void *opaque, const struct cf_prog *cand);

enum min_pass {
	MIN_PASS_DROP_FUNC,      /* a subprogram and every call of it */
	MIN_PASS_DROP_CALL,      /* a call and the stores of its stack arguments */
	MIN_PASS_BYPASS_WRAPPER, /* callers of `f: call g; exit` call g */
	MIN_PASS_LOWER_NARGS,    /* a subprogram's argument count, callee and callers */
	MIN_PASS_DROP_STACK_ARG, /* a stack argument the callee never loads; the rest move down */
	MIN_PASS_DROP_BLOCK32,   /* 32 consecutive slots */
	MIN_PASS_DROP_BLOCK,     /* 8 consecutive slots */
	MIN_PASS_DROP_PAIR,      /* 2 consecutive slots */
	MIN_PASS_DROP_INSN,      /* one instruction */
	MIN_PASS_STRAIGHTEN,     /* a conditional branch: never / always taken */
	MIN_PASS_OPERAND_CONST,  /* a register operand or a load becomes a constant */
	MIN_PASS_SHRINK_CONST,   /* an immediate toward 0 / 1 / half */
	MIN_PASS_SHRINK_STACK,   /* declared stack size down to what is used */
	MIN_PASS_DROP_TAIL_PROG, /* a tail-call target and the prog array entries that hold it */
	MIN_PASS_DROP_TAIL_ENTRY, /* one prog array entry emptied */
	MIN_NPASSES,
};

const char *min_pass_name(enum min_pass k);

/* The batch form of the test: the index of the first of n candidates that
 * is still interesting, or -1 when none is. */
typedef int min_keep_batch_fn(void *opaque, const struct cf_prog *const *cands, int n);

#define MIN_BATCH_MAX 16

struct min_opts {
	double time_limit_s;        /* <= 0: no limit */
	min_keep_batch_fn *keep_batch; /* non-NULL: test candidates of consecutive
					  sites in one call; the result is the same as one
					  by one (the first kept wins, the rest were made
					  from the program before it and are dropped), only
					  cheaper where a call costs a round trip (a kernel
					  target). The batch doubles while nothing is kept,
					  up to `batch`, and falls back to 1 at a keep */
	int batch;                  /* with keep_batch: the largest, 1..MIN_BATCH_MAX */
	FILE *progress;             /* NULL: quiet; else one line per round */
	struct cf_check_opts check; /* what "valid" means */
};

void min_opts_default(struct min_opts *o); /* 60 s, quiet, cf_check defaults */

struct min_stats {
	int insns_before, insns_after; /* slots (cf_prog_total_insns) */
	int funcs_before, funcs_after;
	int rounds;
	long candidates;  /* built */
	long valid;       /* of those, accepted by the checker and the interpreter */
	long kept;        /* of those, kept */
	long kept_by_pass[MIN_NPASSES];
	double seconds;
	bool out_of_time; /* stopped by the time limit before a fixpoint */
};

/* Reduce p in place. Deterministic: the same p and predicate give the same
 * result (unless the time limit stops it). Returns 0, or -1 with err set
 * when p itself is invalid or not interesting (nothing to minimize). */
int min_reduce(struct cf_prog *p, min_keep_fn *keep, void *opaque, const struct min_opts *o,
	       struct min_stats *st, struct cf_err *err);

/* Number of instructions (an LD_IMM64 counts once): the size we report. */
int min_insn_count(const struct cf_prog *p);

/* ---- reports (harness/repro/report.c) ---------------------------------------- */

/* The arm64 listing of `callfuzz jit`: each function of img (only those
 * with shown[fi] when shown is not NULL), disassembled by llvm-mc-19 and
 * annotated with BPF slots and branch targets. Returns 0, or -1 when
 * llvm-mc-19 is missing (a note saying so is printed, code words still are). */
int report_jit_listing(FILE *out, const struct cf_prog *p, const struct jit_image *img, const bool *shown);

/* report.txt of a bucket, the one writer for every target: the signature,
 * the mismatch with the differing voice, who ran it (target_id: kind,
 * arch, kernel image and release), the commands that replay and shrink
 * it on the same target, both sides at the first divergence (our JIT:
 * events, ctx, crash site; a kernel: every voice, the verifier log, the
 * console, the kernel's JIT code), and with show_program the program and
 * its arm64 code (model). */
struct report_info {
	const char *signature;
	bool known;                  /* a known kernel bug (VERIFIER-known-*) */
	const struct target *t;      /* who ran it (open) */
	const struct target_case *c; /* the case target_run filled */
	const char *dir;             /* the bucket directory, for the replay lines; NULL: none */
	const char *prog_file;       /* the program's file in dir: "prog.s" (NULL) or "min.s" */
	const char *replay_cmd;      /* how callfuzz is run: "build/callfuzz" (NULL: "callfuzz") */
	size_t input_len;            /* the fuzzer's bytes in dir/input; 0: none */
	bool show_program;           /* the program text and its arm64 code */
};

void report_write(FILE *out, const struct report_info *ri);

/* `run`'s options that select the target of id again ("--target vm --arch
 * arm64 --kernel PATH", "--target model --no-lse"). */
void report_target_args(const struct target_id *id, bool llsc, char *buf, size_t size);

/* For a VERIFIER mismatch: the kernel's reason cut before its first digit,
 * a text that survives shrinking (the minimizer's verdict predicate). */
void report_verifier_match(const struct mismatch *m, char *buf, size_t size);

/* ---- kernel selftest export (harness/repro/selftest.c) ----------------------- */

/* p as a test in the shape of tools/testing/selftests/bpf/progs/
 * verifier_*.c: __naked functions with inline assembly, the entry marked
 * __success __retval(retval), subprograms declared with their argument
 * counts. name: the test's C identifier stem. The model flavour of
 * selftest_write_opts (below); it never refuses (a bad name or description
 * gives a one-line comment saying why instead of a test). */
void selftest_write(FILE *out, const struct cf_prog *p, const char *name, uint64_t retval, const char *comment);

struct selftest_opts {
	const char *name;    /* C identifier: the entry is NAME, subprogram f is NAME_f */
	const char *comment; /* __description and first line; NULL: name. No '"', '\\', star-slash */
	uint64_t retval;     /* the reference interpreter's r0 (the low 32 bits become __retval) */
	bool kernel;         /* false: for our model JIT (SEC("tc"), model helpers/kfuncs kept);
				true: for a real kernel, see selftest_write_opts */
	/* kernel flavour only: */
	const uint8_t *ctx_in;  /* the CF_CTX_SIZE bytes the finding ran on (NULL: zeros) */
	const uint8_t *ctx_out; /* the interpreter's ctx after the run, or NULL */
	const struct cf_map_dump *maps_out; /* the interpreter's maps after the run, or NULL */
	FILE *btf_out;          /* the btf__ companion file, when one is needed */
	const char *btf_object; /* its object as __btf_func_path names it; NULL: "btf__NAME.bpf.o" */
};

/* Write p as a selftest to out. Returns 0, or -1 with err set and nothing
 * written to out or btf_out.
 *
 * The kernel flavour is for a finding against a real kernel (KERNEL-*: r0
 * or ctx differ; VERIFIER: a false rejection), shaped like upstream's
 * verifier_stack_arg.c / verifier_stack_arg_order.c:
 *  - refused (-1): a call of a helper or kfunc only the model environment
 *    has (harness/env/env.h); a program cf_check rejects under 7.2's rules;
 *    a subprogram with arguments and no btf_out; a map libbpf cannot give
 *    the program the way it uses it (loaded both as a map and by its
 *    value's address, or read-only with contents and loaded as a map);
 *  - SEC("syscall") (the vm and kernel targets' BPF_PROG_TYPE_SYSCALL),
 *    __success __retval((int32_t)retval); test_loader compares r0's low 32
 *    bits as an int; a raw tracepoint is SEC("raw_tp") with __success only
 *    (test_loader's run sets data_in, data_out and repeat, which
 *    bpf_prog_test_run_raw_tp refuses);
 *  - a program that touches its ctx (or a raw tracepoint) gets __success
 *    only (test_loader runs SYSCALL programs without ctx_in, and the kernel
 *    refuses such a run) and a comment at the end with the prog_tests/ run
 *    that shows the finding: ctx_in, the expected retval, the ctx bytes
 *    ctx_out changes, the maps after the run (maps_out); a program with
 *    writable maps and __retval gets that comment too, for its maps;
 *  - maps: one the program loads as a map in SEC(".maps") and `%[NAME] ll`
 *    with __imm_addr(NAME); one whose value it addresses a global variable
 *    in .data.NAME (.rodata.NAME, const volatile with the contents, for a
 *    read-only map), `%[NAME] + OFF ll`; a name BPF assembly would read as
 *    something else (s, u64, r1, exit, ...) is written map_NAME;
 *  - tail calls: each target a SEC(...) __auxiliary program NAME_ENTRY
 *    (its subprograms NAME_ENTRY_f), the prog array filled by its static
 *    initializer (.values = { [I] = (void *)&NAME_ENTRY });
 *  - the kernel's kfuncs (bpf_iter_num_*): `call %[k]` with __imm(k),
 *    declared by libbpf's bpf_helpers.h, and a SEC("?raw_tp") test calling
 *    bpf_repeat(0) so that clang emits their BTF (iters_state_safety.c);
 *  - with a subprogram of more than 5 arguments, everything under upstream's
 *    guard (x86 or arm64 and __BPF_FEATURE_STACK_ARGUMENT), with a dummy
 *    SEC("socket") test in the #else branch;
 *  - with a subprogram that takes arguments (selftest_needs_btf_companion),
 *    __btf_func_path(btf_object) on the entry, and the companion written to
 *    btf_out: non-naked functions of the same names and parameters (clang
 *    drops a __naked function's parameter names from BTF, and the kernel
 *    refuses unnamed ones). Save it as btf__<file>.c beside <file>.c. */
int selftest_write_opts(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, struct cf_err *err);

/* Kernel flavour: does p need the btf__ companion file (a subprogram takes
 * arguments)? */
bool selftest_needs_btf_companion(const struct cf_prog *p);

/* ---- triage (harness/repro/triage.c) ----------------------------------------- */

struct triage_bucket {
	char signature[128];
	char dir[1024];
	char kind[32];
	long hits;
	long long first_seen, last_seen; /* unix seconds */
	char repro[32];                  /* "min.s" or "prog.s" */
	int repro_insns;                 /* -1: unreadable */
	char rerun[160];                 /* --rerun: "reproduces", "fixed", "flaky (2 of 3)",
					    "now SIG" */
	char rerun_on[200];              /* --rerun: the target it ran on ("vm arm64 7.2.13+deb14-cloud-arm64") */
	struct target_id id;             /* the target that found it (bucket_target) */
};

/* The target that found the bucket in dir: its `target` file, or for a
 * bucket written before buckets recorded one, what its signature and its
 * report's replay line say (a kernel signature: vm, "--arch A --kernel K");
 * otherwise the model. */
void bucket_target(const char *dir, struct target_id *id);

/* Read every bucket under dir, sorted by hits (most first), then name.
 * *out is malloc'd. Returns the count, or -1 with err set. */
int triage_scan(const char *dir, struct triage_bucket **out, struct cf_err *err);

/* ---- artifacts (harness/repro/artifact.c) -------------------------------------
 * <dir>/<signature>/ holds input (the fuzzer bytes), prog.s, report.txt,
 * console.txt (vm targets: a lost guest's console), target (who found it:
 * kind, arch, kernel image and release) and hits (one line per
 * occurrence). The bucket is built in a temporary
 * directory next to it and renamed into place; when it exists, the new one
 * replaces it only if its input is smaller (renameat2 RENAME_EXCHANGE, with
 * hits carried over as a hard link), otherwise only a line is appended to
 * hits (O_APPEND). Processes sharing dir serialize on <dir>/.lock. A
 * process killed at any point leaves the previous bucket or the new one,
 * never neither (a stray .tmp-* directory at worst). */
struct artifact {
	const char *signature;
	const uint8_t *input;
	size_t input_len;
	const char *prog_text;
	const char *report;
	const char *hit_line; /* without newline */
	const char *console;  /* NULL, or the guest console's text (an oops) for console.txt */
	const char *target;   /* NULL, or the target that found it (target_id_write's
				 lines) for `target`: what min and triage --rerun
				 run it on again */
};

enum artifact_action {
	ARTIFACT_CREATED,
	ARTIFACT_REPLACED, /* the new input was smaller */
	ARTIFACT_KEPT,     /* the old input was not larger: hits only */
};

/* Returns the action, or -1 with err set. path (size >= 512) receives the
 * bucket directory. */
int artifact_write(const char *dir, const struct artifact *a, char *path, size_t pathlen, struct cf_err *err);

#endif

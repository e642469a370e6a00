/* fuzz/loop/loop.h: the differential fuzzing loop, one for every target
 * (the fuzz targets in fuzz/, the CLI's bench and fuzz-seeds, the tests).
 *
 * One iteration (design.md, "Data flow"): fuzzer bytes -> gen_program ->
 * one case through the target interface (harness/target/target.h: the
 * checker, the reference interpreter, every voice of the target, the
 * comparison) -> on a mismatch, an artifact under <artifacts>/<signature>/
 * with the one report writer of harness/repro/.
 *
 * A checker rejection or an interpreter fault on a generated program is a
 * bug of the generator (or of the checker/interpreter), never of the JIT:
 * the loop returns LOOP_GEN_BUG with the program text and the reason, and
 * the fuzz target aborts on it so that the fuzzer keeps the input.
 *
 * On a vm target (docs/vm-target.md) the generator follows the guest's
 * probe (kernel profile, max_args), the ctx comes from the input's hash,
 * and a lost guest (oops, hang) is a CRASH/TIMEOUT result whose console
 * text goes beside the artifact. */
#ifndef CALLFUZZ_FUZZ_LOOP_H
#define CALLFUZZ_FUZZ_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen/gen.h"
#include "harness/repro/repro.h"
#include "harness/target/target.h"

/* Per-stage wall time. The interpreter runs on its own thread at the same
 * time as LOOP_STAGE_EXEC, so the stages add up to more than the wall time;
 * LOOP_STAGE_WAIT is how long the main thread still waited for the
 * interpreter after the executor answered (what the overlap did not hide). */
enum loop_stage {
	LOOP_STAGE_GEN,      /* gen_program */
	LOOP_STAGE_CHECK,    /* cf_check */
	LOOP_STAGE_INTERP,   /* interp_run (worker thread) */
	LOOP_STAGE_JIT,      /* jit_compile */
	LOOP_STAGE_EXEC,     /* exec_run: transfer + execute under qemu */
	LOOP_STAGE_WAIT,     /* main thread waiting for the interpreter */
	LOOP_STAGE_COMPARE,  /* compare_results + signature */
	LOOP_STAGE_ARTIFACT, /* writing artifacts */
	LOOP_NSTAGES,
};

const char *loop_stage_name(enum loop_stage s);

/* Atomics: LSE or the LL/SC fallback. ALTERNATE picks per input from a
 * hash of its bytes, so that replaying an input picks the same again. */
enum loop_lse {
	LOOP_LSE_ALTERNATE,
	LOOP_LSE_ON,
	LOOP_LSE_OFF,
};

struct loop_opts {
	struct target_opts target; /* who runs the other side (target.h); vm targets:
				      listing is set by loop_start */
	struct gen_opts gen;       /* kernel targets: loop_start sets the kernel profile
				      and caps max_args at what the kernel takes */
	enum loop_lse lse;         /* the model voice's atomics */
	const char *artifacts_dir; /* NULL: no artifacts are written */
	const char *replay_cmd;    /* how report.txt names callfuzz: "build/callfuzz" */
	int check_every;           /* model target: run the checker on 1 input in N
				      (chosen by the input's hash, so a replay decides
				      the same), and always before a mismatch is
				      reported; 1: every input. The checker costs as
				      much as qemu here, and the interpreter still
				      guards every program. Kernel targets check every
				      input (the verdicts are compared). */
};

/* Defaults: gen_opts_default, alternate LSE, artifacts/ , build/callfuzz,
 * check_every 8. */
void loop_opts_default(struct loop_opts *o);

struct loop_stats {
	uint64_t programs;        /* compared (equal + mismatch) */
	uint64_t mismatches;      /* not counting known_bugs */
	uint64_t known_bugs;      /* vm targets: differences that are known kernel bugs */
	uint64_t gen_bugs;
	uint64_t checked;         /* programs the checker ran on (loop_opts.check_every) */
	uint64_t lse_programs;    /* programs JIT-compiled with LSE atomics */
	uint64_t insns;           /* BPF slots over all programs */
	uint64_t interp_insns;    /* instructions the interpreter executed */
	uint64_t exec_restarts;   /* executor restarts (vm targets: guest boots) beyond the first */
	uint64_t vm_interp_voice; /* vm targets: programs the kernel's interpreter also ran */
	/* tail calls (docs/kernel-paths.md "Tail calls"), of the programs a
	 * kernel ran with results equal to the interpreter's: programs with
	 * targets, runs that took a tail call, tail calls taken */
	uint64_t tail_programs, tail_runs, tail_calls;
	uint64_t call_nargs[CF_MAX_ARGS + 1]; /* BPF-to-BPF call sites by callee argument count */
	uint64_t stage_ns[LOOP_NSTAGES];
	uint64_t wall_ns;         /* whole iterations */
	/* vm targets: the kernel's own cost (target_stats), measured in the
	 * guest around its syscalls, and the round trips that carried it */
	uint64_t guest_load_ns;   /* BPF_BTF_LOAD + BPF_PROG_LOAD, every kernel voice */
	uint64_t guest_run_ns;    /* BPF_PROG_TEST_RUN, every kernel voice */
	uint64_t round_trips;
	uint64_t fuzz_ns;         /* set by the caller (fuzz/diff.c): wall time since
				     the target was up (the guest booted), the
				     fuzzing engine's own time included */
	uint64_t engine_ns;       /* set by the caller: the engine's own time between
				     two inputs (mutation, corpus, coverage) */
};

enum loop_verdict {
	LOOP_EQUAL,
	LOOP_MISMATCH, /* outcome.m, outcome.signature; an artifact was written */
	LOOP_GEN_BUG,  /* outcome.msg and outcome.prog_text say what */
	LOOP_ERROR,    /* the loop could not go on (executor cannot restart,
			  artifacts not writable): outcome.msg */
	LOOP_QUEUED,   /* loop_queue_input: checked and interpreted, waiting for
			  loop_flush */
};

struct loop_outcome {
	enum loop_verdict verdict;
	struct mismatch m;
	bool lse;
	bool known;             /* MISMATCH: a known bug of the target (target_signature's
				   VERIFIER-known-* buckets), counted in known_bugs only */
	char signature[96];
	char artifact_dir[512]; /* MISMATCH: where the artifact lives */
	char msg[768];
	const char *prog_text;  /* cf_asm_print of the program (owned by the loop,
				   valid until the next call); NULL for EQUAL */
};

/* The most inputs loop_run_batch takes at once. */
#define LOOP_MAX_BATCH 64

struct loop;

/* Start the executor and the interpreter thread. NULL with err set. */
struct loop *loop_start(const struct loop_opts *o, struct cf_err *err);
void loop_stop(struct loop *l);
/* One iteration on the fuzzer's bytes. Returns out->verdict. */
enum loop_verdict loop_run_input(struct loop *l, const uint8_t *data, size_t len, struct loop_outcome *out);
/* n inputs (1..LOOP_MAX_BATCH) at once: their programs travel through the
 * target together (a kernel target: one round trip per voice for all of
 * them). out[i] is input i's outcome; the outcomes' prog_text stay valid
 * until the next call.
 * Returns n, or -1 when n is out of range. */
int loop_run_batch(struct loop *l, const uint8_t *const *data, const size_t *len, int n, struct loop_outcome *out);
/* Deferred runs, for a fuzzer that hands over one input at a time
 * (libFuzzer) on a target whose round trip is dear (vm: fuzz/diff.c's
 * CALLFUZZ_VM_BATCH). loop_queue_input generates the program and runs the
 * host's side now (target_prepare: the checker, the interpreter), so that
 * the fuzzer's coverage of that code is this input's and a generator bug
 * is LOOP_GEN_BUG on this input; otherwise it keeps a copy of the bytes
 * and returns LOOP_QUEUED (LOOP_ERROR when LOOP_MAX_BATCH wait already).
 * On a target whose interpreter runs beside the model voice (model,
 * vm,model) the interpreter waits for the flush: use loop_run_input there.
 * loop_flush runs every queued case through the target at once (a kernel
 * voice: one round trip) and fills out[0..n) in queue order, each
 * mismatch's artifact written with its own input's bytes; returns n (0:
 * nothing waited). loop_stop drops what still waits. */
enum loop_verdict loop_queue_input(struct loop *l, const uint8_t *data, size_t len, struct loop_outcome *out);
int loop_queued(const struct loop *l);
int loop_flush(struct loop *l, struct loop_outcome *out /* [LOOP_MAX_BATCH] */);
/* loop_flush in two halves, the pipeline of fuzz/diff.c: loop_send hands
 * the queued cases to the target (target_run_send: the guest starts on
 * them) and empties the queue, so that the next inputs are generated,
 * checked and interpreted while the guest runs the batch; loop_receive
 * waits for that batch and fills out[0..n) as loop_flush does. One batch
 * at most is in flight: loop_send with one in flight, and loop_flush, are
 * errors until loop_receive took it. loop_send: 0 (also when nothing
 * waited), or -1 with msg (the queue is dropped). loop_receive: n, 0 when
 * nothing was in flight. loop_stop drops a batch in flight. */
int loop_send(struct loop *l, char *msg, size_t size);
int loop_receive(struct loop *l, struct loop_outcome *out /* [LOOP_MAX_BATCH] */);
bool loop_in_flight(const struct loop *l);
const struct loop_stats *loop_get_stats(const struct loop *l);
/* With target_opts.kcov on a guest with KCOV: the kernel PCs that the cases
 * of the last loop_run_input, loop_run_batch, loop_flush or loop_receive reached (each
 * case's distinct PCs, concatenated) and how often KCOV recorded each (in
 * *hits); valid until the next call. */
const uint64_t *loop_kcov_pcs(const struct loop *l, const uint32_t **hits, size_t *n);
/* The target the loop runs on (its id: kind, arch, kernel, release). */
const struct target *loop_target(const struct loop *l);
/* One line for the user: the target, the kernel (vm: release, stack
 * arguments, interpreter voice, boot time) and the generator's profile. */
void loop_describe(const struct loop *l, char *buf, size_t size);
/* The generator's options in use (vm targets: kernel profile, max_args of
 * the guest). */
const struct gen_opts *loop_gen_opts(const struct loop *l);

/* Write stats as "key value" lines to path, atomically (temporary file in
 * the same directory, then rename). 0 or -1 with errno. */
int loop_stats_write(const struct loop_stats *s, const char *path);

#endif

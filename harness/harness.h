/* harness/harness.h: the public interface of the harness module (the
 * executor client, the comparison, and what later parts add). */
#ifndef CALLFUZZ_HARNESS_H
#define CALLFUZZ_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bpf/bpf.h"
#include "interp/interp.h"
#include "jit/jit.h"

/* ---- executor: running arm64 code (harness/exec.c) --------------------
 *
 * One persistent aarch64 process (build/callfuzz-exec, under qemu-aarch64
 * on non-arm64 hosts) runs code for us; docs/executor-protocol.md. A crash
 * or hang of the code is a result, never the caller's death: the executor
 * is restarted behind the scenes. */

#define EXEC_TIMEOUT_MS_DEFAULT 1000

struct exec_opts {
	const char *exec_path; /* NULL: $CALLFUZZ_EXEC, else callfuzz-exec next
				  to the running binary (cli_self_dir()) */
	const char *qemu;      /* NULL: qemu-aarch64-static, then qemu-aarch64
				  from PATH ($CALLFUZZ_QEMU overrides); ignored
				  on arm64 hosts, which run the executor directly */
	int timeout_ms;        /* watchdog per run; 0: EXEC_TIMEOUT_MS_DEFAULT */
	int ring_kib;          /* under qemu: size of the executor's code ring
				  (docs/executor-protocol.md, "Code placement");
				  0: the executor's default (2 MiB), -1: no
				  ring (every code in the fixed region) */
	int stack_zero_kib;    /* stack zeroed below SP before each run; 0: the
				  executor's 8 KiB; at most 64. repro_start()
				  and `callfuzz run` ask for 32: a JIT bug that
				  reads unwritten stack deep down then answers
				  the same in every replay */
	int spin_us;           /* each side spins this long for the other before
				  sleeping on the doorbell; -1: never spin;
				  0: exec_auto_spin_us(), adaptive */
};

enum exec_status {
	EXEC_OK,      /* returned; every native check held */
	EXEC_CRASH,   /* a signal in the code, or the executor died */
	EXEC_TIMEOUT, /* no answer within the watchdog */
	EXEC_ABI,     /* returned, but a callee-saved register, SP, or the
			 stack canary zone was not preserved */
};

/* Which native invariant an EXEC_ABI result broke (exec_abi_name()). */
enum exec_abi {
	EXEC_ABI_NONE = 0,
	EXEC_ABI_X19 = 19, /* .. EXEC_ABI_X28 = 28 */
	EXEC_ABI_X28 = 28,
	EXEC_ABI_FP = 29,
	EXEC_ABI_SP = 31,
	EXEC_ABI_CANARY = 32, /* the zone above the entry SP was written */
	EXEC_ABI_SP_ALIGN = 33, /* a helper/kfunc was entered with SP not 16-byte
				   aligned (AAPCS64; arm64 Linux faults on an
				   SP-relative access then, qemu-user does not) */
};

struct exec_result {
	enum exec_status status;
	uint64_t r0;
	uint8_t ctx[CF_CTX_SIZE];
	struct cf_trace trace;   /* events [0, trace.nevents) are valid */
	int signal;              /* CRASH: signal number (0: executor died) */
	uint64_t fault_addr;     /* CRASH: si_addr */
	uint64_t fault_pc;       /* CRASH: native pc */
	int64_t fault_pc_off;    /* CRASH: byte offset of fault_pc in the code
				    (for jit_locate), -1 if outside */
	enum exec_abi abi;       /* ABI: what was not preserved */
	uint64_t abi_expected, abi_actual; /* CANARY: actual = byte offset;
					      SP_ALIGN: actual = the SP, expected =
					      it rounded down to 16 */
	const char *abi_callee;  /* SP_ALIGN: cf_callees name of the first
				    misaligned call, NULL if unknown */
	uint32_t abi_calls;      /* SP_ALIGN: misaligned calls in the run */
	uint64_t code_addr;      /* native address the code ran at (it moves
				    from run to run under qemu: the code ring) */
	uint64_t run_ns;         /* time in the code, measured by the executor */
	uint64_t busy_ns;        /* the executor's time from seeing the request
				    to replying: placing the code, qemu
				    translating it, the run, the checks. The
				    rest of wall_ns is the transfer */
	uint64_t wall_ns;        /* exec_run's own wall time */
	char detail[160];        /* a sentence for reports ("executor died: ...") */
};

/* Native facts from the handshake. */
struct exec_info {
	uint64_t code_addr, code_size;
	uint64_t stack_lo, stack_top, ctx_addr;
	const char *runner; /* "qemu-aarch64-static", ..., or "native" */
	const char *runner_path; /* the qemu binary, "" when native */
	const char *exec_path;   /* the executor binary */
};

struct exec;

/* Spawn the executor and shake hands. NULL with err set (naming the
 * Debian package when qemu-aarch64 is missing). */
struct exec *exec_start(const struct exec_opts *opts, struct cf_err *err);

/* What exec_opts.spin_us 0 stands for: $CALLFUZZ_SPIN_US if set (a fixed
 * budget; 0: never spin), else, when this process and its executor can
 * each have a CPU of their own -- the CPUs this process may run on are at
 * least twice $CALLFUZZ_JOBS (fuzz/run sets it; 1 if unset) -- an adaptive
 * budget: each side spins twice the mean of its recent waits, between
 * EXP_SPIN_MIN_US (200 us) and EXEC_SPIN_US_AUTO; otherwise 0: spinning
 * for a peer that waits for the same CPU only delays it
 * (docs/executor-protocol.md, "Synchronisation"). Returns the budget or
 * its cap. */
#define EXEC_SPIN_US_AUTO 5000
int exec_auto_spin_us(void);
void exec_stop(struct exec *ex);

/* Native addresses of the call table's entry points, indexed like
 * cf_callees (cf_callee_index()): what jit_opts.callee_addr wants. Entries
 * past cf_ncallees, or callees the executor does not provide, are 0.
 * n is the array's length (32 for jit_opts). */
void exec_callee_addrs(const struct exec *ex, uint64_t *addr, int n);
const struct exec_info *exec_info(const struct exec *ex);

/* Run code (ncode arm64 instructions, entry = byte offset) with ctx_in as
 * the CF_CTX_SIZE-byte context. Returns 0 with *res filled (OK, CRASH,
 * TIMEOUT or ABI), or -1 with err set when the executor could not be
 * restarted or the request is malformed (code larger than the region). */
int exec_run(struct exec *ex, const uint32_t *code, uint32_t ncode, uint32_t entry,
	     const uint8_t ctx_in[CF_CTX_SIZE], struct exec_result *res, struct cf_err *err);

/* A run comes soon (say, before JIT-compiling it): if the executor has
 * given up spinning and sleeps, wake it now, so that it spins again when
 * the request arrives instead of paying the wake-up then (~200 us when its
 * CPU has gone idle on the development VM). Nothing when spinning is off. */
void exec_prepare(struct exec *ex);

/* Number of executor (re)starts so far (1 after exec_start). */
int exec_restarts(const struct exec *ex);

const char *exec_status_name(enum exec_status s);
/* "x19", "fp", "sp", "stack canary", "sp alignment" */
const char *exec_abi_name(enum exec_abi a);

/* ---- comparison: interpreter (the oracle) against JIT+executor ------
 * (harness/compare.c). design.md, "The oracle": the first divergence in
 * this order names the mismatch. */

enum mismatch_kind {
	MISMATCH_NONE,
	MISMATCH_TRACE,      /* helper/kfunc events (ids, counts, arguments) */
	MISMATCH_STACK,      /* stack_hash events (CF_HELPER_STACK_HASH) */
	MISMATCH_OUTBUF,     /* ctx bytes after the run */
	MISMATCH_RETVAL,     /* r0 */
	MISMATCH_ABI,        /* native invariant (exec_result.abi) */
	MISMATCH_CRASH,      /* the JIT code faulted / the executor died */
	MISMATCH_TIMEOUT,    /* the JIT code did not return within the watchdog */
	MISMATCH_JIT_REJECT, /* the JIT refused a valid program */
	MISMATCH_VERIFIER,   /* kernel targets: the checker's and the kernel verifier's
				verdicts differ (place: the kernel's log line) */
	MISMATCH_KERNEL,     /* kernel targets: r0 (low 32 bits) or ctx after a kernel
				run differ (place names the voice) */
};

struct mismatch {
	enum mismatch_kind kind;
	int event;  /* TRACE, STACK: index in the interpreter's trace (or the
		       JIT's if it has more), -1 if not applicable */
	int arg;    /* TRACE: 0-based argument index, -1: the event itself
		       (id, count, missing); STACK: 0 len, 1 hash */
	int offset; /* OUTBUF: first differing ctx byte; -1 otherwise */
	uint64_t want, got; /* interpreter's value, JIT's value (when one) */
	int func, insn;     /* CRASH in code: jit_locate's answer, else -1 */
	char place[160];    /* "event 2 (kf_args12) arg 9", "ctx[17]", "x19" */
};

const char *mismatch_kind_name(enum mismatch_kind k);

/* Compare one program's results. ir must be INTERP_OK (an interpreter
 * fault on a valid program is a generator/checker bug, not a JIT one: the
 * caller reports it). img and p may be NULL; with them a CRASH names the
 * function and BPF slot. Returns m->kind (MISMATCH_NONE when equal). */
enum mismatch_kind compare_results(const struct interp_result *ir, const struct exec_result *xr,
				   const struct jit_image *img, const struct cf_prog *p, struct mismatch *m);

/* A JIT_REJECT mismatch carrying the JIT's message. */
void mismatch_jit_reject(struct mismatch *m, const char *jit_msg);

/* Name of a trace event id: "trace", "stack_hash", "kf_args12", "id 77". */
const char *compare_event_name(uint32_t id, char *buf, size_t size);

/* ==== kernel targets under qemu: the vm oracle (harness/target_vm.c) ====
 * (section owned by the vm target; docs/vm-target.md)
 *
 * A program checked by cf_check (max_args from the guest's probe, no model
 * helpers) runs in a real kernel booted under qemu-system (harness/vm.h)
 * through up to three voices, each compared with the reference interpreter:
 *  - the kernel's JIT (always);
 *  - the kernel's interpreter (bpf_jit_enable 0), when every function takes
 *    at most 5 arguments (it refuses stack arguments) and the JIT is
 *    switchable;
 *  - our arm64 JIT on the executor (tvm_opts.model: `--target vm,model`).
 * Differences, in this order: the checker's verdict against the kernel
 * verifier's (VERIFIER, with the kernel's log line), then per voice a lost
 * guest (CRASH/TIMEOUT, with the console's oops), the ctx bytes and r0's low
 * 32 bits (KERNEL: BPF_PROG_TEST_RUN keeps only those), the voice named in
 * mvoice_name ("kernel JIT arm64 7.2.13", "kernel interpreter"). The model
 * voice is compared by compare_results. Cases are batched: one round trip
 * per voice for all of them. */

enum tvm_voice_kind {
	TVM_KERNEL_JIT,
	TVM_KERNEL_INTERP,
	TVM_MODEL_JIT,
};

struct tvm_opts {
	const char *arch;        /* "arm64"/"x86_64"; NULL: the kernel image's own, else arm64 */
	const char *kernel;      /* NULL: $CALLFUZZ_KERNEL, then build/kernels/ARCH/vmlinuz */
	const char *console_log; /* NULL: a temporary file */
	int req_timeout_ms;      /* per round trip; 0: 10000 */
	bool no_kernel_interp;   /* never use the kernel's interpreter */
	bool model;              /* our JIT on the executor as a further voice */
	bool listing;            /* a KERNEL or CRASH of the JIT voice fetches the kernel's
				    JIT code, disassembled and annotated (tvm_case.listing) */
};

struct tvm_voice {
	enum tvm_voice_kind kind;
	bool loaded, ran;
	int load_err, run_err;  /* 0 or the kernel's errno */
	uint32_t retval;        /* r0, low 32 bits (model voice: too, for printing) */
	uint64_t r0;            /* model voice: the full r0 */
	uint8_t ctx[CF_CTX_SIZE];
	uint64_t load_ns, run_ns; /* inside the guest (model: run only) */
};

struct tvm_case {
	/* in */
	const struct cf_prog *prog;
	uint8_t ctx_in[CF_CTX_SIZE];
	/* out */
	bool checker_ok;
	char checker_msg[512];
	bool interp_fault;        /* checker_ok, but our interpreter faulted or timed out:
				     a checker/interpreter bug (ir.fault says where) */
	struct interp_result ir;  /* when checker_ok */
	int nvoices;
	struct tvm_voice voice[3];
	char *kernel_log;         /* a kernel voice's load failed: its verifier log (the JIT voice's first) */
	struct mismatch m;        /* the first difference; kind NONE when all agree */
	int mvoice;               /* index in voice[] of the differing voice, -1 if none */
	char mvoice_name[64];
	char *crash;              /* CRASH/TIMEOUT: the console's text */
	char *listing;            /* see tvm_opts.listing */
};

/* Where the time goes (tests/bench/vm_speed.sh). */
struct tvm_stats {
	long programs, round_trips, boots;
	double boot_ms;           /* the first boot */
	uint64_t load_ns, run_ns; /* the kernel's syscalls, measured in the guest */
	uint64_t rt_ns;           /* wall time of the round trips (includes load_ns, run_ns) */
	uint64_t encode_ns;       /* host: BTF and frames (inside rt_ns) */
	uint64_t host_ns;         /* host: checker, interpreter, comparison */
};

struct tvm;

/* Boots the guest; NULL with err (no kernel, no qemu, boot failure). */
struct tvm *tvm_start(const struct tvm_opts *o, struct cf_err *err);
void tvm_stop(struct tvm *t);
/* 12 when the kernel passes stack arguments, else 5. */
int tvm_max_args(const struct tvm *t);
/* The checker's options for this kernel (max_args, no model callees). */
void tvm_check_opts(const struct tvm *t, struct cf_check_opts *o);
/* "kernel JIT arm64 7.2.13", "kernel interpreter", "callfuzz JIT (executor)" */
const char *tvm_voice_name(const struct tvm *t, enum tvm_voice_kind k);
/* One line: release, machine, stack arguments, JIT switchable, boot time. */
void tvm_describe(const struct tvm *t, char *buf, size_t size);
const struct tvm_stats *tvm_get_stats(const struct tvm *t);

/* Runs n cases: checker and interpreter on the host, then every voice.
 * A guest lost during a batch is booted again and the batch's cases are
 * run one by one to name the culprit. 0, or -1 with err when the guest
 * cannot be brought back (the cases' results are then incomplete). */
int tvm_run(struct tvm *t, struct tvm_case *cases, int n, struct cf_err *err);
void tvm_case_release(struct tvm_case *c);
/* The case's verdict and, on a difference, both sides (callfuzz run's
 * format). */
void tvm_print_case(const struct tvm *t, const struct tvm_case *c, FILE *out);

/* harness/kernel-tree.sh SRC for arch: rebuilds incrementally and returns
 * the image's path in image (size >= 4096). -1 with err (the build log's
 * errors) on failure. */
int tvm_build_kernel_tree(const char *src, const char *arch, char *image, size_t size, struct cf_err *err);

/* `callfuzz run --target vm[,model] ...` (harness/cli_vm.c): argv as
 * given to `run`. Returns a cli.h exit code. */
int vm_cli_run(int argc, char **argv);

#endif

/* harness/target/target.h: the targets module's one header: who runs a
 * program on the other side of the oracle (docs/design.md, "Targets").
 * The executor client (model), the comparison, the vm oracle (real
 * kernels under qemu-system), the host kernel through bpf(). */
#ifndef CALLFUZZ_TARGET_H
#define CALLFUZZ_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/bpf.h>

#include "bpf/bpf.h"
#include "interp/interp.h"
#include "jit/jit.h"

/* Directory holding the running binary: the executor, the agent's
 * initramfs and the fetched kernels are found beside it. */
const char *target_self_dir(void);

/* ---- executor: running arm64 code (harness/target/exec.c) --------------------
 *
 * One persistent aarch64 process (build/callfuzz-exec, under qemu-aarch64
 * on non-arm64 hosts) runs code for us; docs/executor-protocol.md. A crash
 * or hang of the code is a result, never the caller's death: the executor
 * is restarted behind the scenes. */

#define EXEC_TIMEOUT_MS_DEFAULT 1000

struct exec_opts {
	/* Filled by the entry points (the CLI, fuzz/diff.c) from the options
	 * and the environment ($CALLFUZZ_EXEC, $CALLFUZZ_QEMU,
	 * $CALLFUZZ_SPIN_US, $CALLFUZZ_JOBS); this module reads neither. */
	const char *exec_path; /* NULL: callfuzz-exec next to the running
				  binary (target_self_dir()) */
	const char *qemu;      /* NULL: qemu-aarch64-static beside the running
				  binary, then qemu-aarch64-static, then
				  qemu-aarch64 from PATH; ignored on arm64
				  hosts, which run the executor directly */
	int timeout_ms;        /* watchdog per run; 0: EXEC_TIMEOUT_MS_DEFAULT */
	int ring_kib;          /* under qemu: size of the executor's code ring
				  (docs/executor-protocol.md, "Code placement");
				  0: the executor's default (2 MiB), -1: no
				  ring (every code in the fixed region) */
	int stack_zero_kib;    /* stack zeroed below SP before each run; 0: the
				  executor's 8 KiB; at most 64. the minimizer
				  and `callfuzz run` ask for 32: a JIT bug that
				  reads unwritten stack deep down then answers
				  the same in every replay */
	int spin_us;           /* each side spins this long for the other before
				  sleeping on the doorbell (a fixed budget);
				  -1: never spin; 0: exec_auto_spin_us(jobs),
				  adaptive */
	int jobs;              /* fuzzing processes sharing this machine's CPUs,
				  each with its executor (fuzz/run's --jobs);
				  0: 1. Only spin_us 0 looks at it */
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

/* What exec_opts.spin_us 0 stands for: when this process and its
 * executor can each have a CPU of their own -- the CPUs this process may
 * run on are at least twice jobs (exec_opts.jobs; < 1 counts as 1) -- an
 * adaptive budget: each side spins twice the mean of its recent waits,
 * between EXP_SPIN_MIN_US (200 us) and EXEC_SPIN_US_AUTO; otherwise 0:
 * spinning for a peer that waits for the same CPU only delays it
 * (docs/executor-protocol.md, "Synchronisation"). Returns the budget's
 * cap, or 0. */
#define EXEC_SPIN_US_AUTO 5000
int exec_auto_spin_us(int jobs);
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
 * (harness/target/compare.c). design.md, "The oracle": the first divergence in
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
	MISMATCH_REPORT,     /* kernel targets: the kernel reported a bug of its own while
				loading or running the program (WARNING, KASAN, UBSAN, lockdep,
				a watchdog: target_case.report); place: the report's first line */
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

/* ==== kernel reports (harness/target/kreport.c) ===========================
 *
 * What the guest kernel printed about itself while it loaded or ran a
 * program (the agent's KMSG after each program, docs/vm-protocol.md): a
 * WARNING, BUG, KASAN, UBSAN, lockdep or watchdog report, an oops the
 * kernel survived, the BPF private stack guard. Bucketed by its kind, its
 * detail and the function it points at, like syzkaller's titles. */
struct kreport {
	char kind[32];     /* "KASAN", "WARNING", "UBSAN", "LOCKDEP-circular", "SOFTLOCKUP", "PRIVSTACK", ... */
	char detail[80];   /* "slab-out-of-bounds", "array-index-out-of-bounds", "" */
	char func[96];     /* the function it points at: the title's, else the first frame */
	char frames[256];  /* the first frames of its stack (reporting machinery skipped) */
	char title[256];   /* its first line */
	char name[200];    /* "KASAN-slab-out-of-bounds-check_stack_write" (target_signature
			      makes it a directory name) */
	char *text;        /* from its first line to the end of the log (malloc'd; NULL: none) */
};

/* The first report in a kernel log (records one per line). False when
 * there is none; r is then empty. */
bool kreport_find(const char *log, struct kreport *r);
void kreport_release(struct kreport *r);

/* ==== the target interface (harness/target/target.c) =====================
 *
 * The one way to run programs against the reference interpreter, whatever
 * runs the other side (docs/design.md, "Targets"; docs/vm-target.md, "The
 * oracle"). Open a target, run a batch of cases, read one result per voice
 * in one vocabulary (struct target_voice, struct mismatch), close. Every
 * caller -- the fuzz loop, run, min, triage --rerun, bench, the selftest
 * export -- goes through here; nothing else knows how a target runs a
 * program. Batching is the target's business: kernel voices send all cases
 * of a call in one round trip per voice.
 *
 * For each case: the checker (the target's rules: target_check_opts), the
 * reference interpreter, then every voice of the target, each compared
 * with the interpreter; the first difference wins:
 *  - the checker's verdict against a kernel verifier's (VERIFIER, with the
 *    kernel's log line);
 *  - per kernel voice a lost guest (CRASH/TIMEOUT, with the console's oops),
 *    a failed test run, the ctx bytes and r0's low 32 bits (KERNEL:
 *    BPF_PROG_TEST_RUN keeps only those);
 *  - our JIT (the model voice): compare_results' TRACE, STACK, OUTBUF,
 *    RETVAL, ABI, CRASH, TIMEOUT, JIT_REJECT.
 * Voices: the kernel's JIT (always, on vm targets), the kernel's
 * interpreter (bpf_jit_enable 0; only when every function takes at most 5
 * arguments: it refuses stack arguments), our arm64 JIT on the executor
 * (model targets, and `vm,model`), the host kernel (bpf() on this machine). */

enum target_kind {
	TARGET_MODEL,    /* our arm64 JIT on the executor (model profile) */
	TARGET_VM,       /* a real kernel under qemu-system: its JIT and interpreter */
	TARGET_VM_MODEL, /* the same, with our JIT as a further voice */
	TARGET_HOST,     /* the running host kernel through bpf() (root) */
};

/* "model", "vm", "vm,model" (also "model,vm"), "kernel" (the host); -1 if
 * none of them. */
int target_kind_parse(const char *name, enum target_kind *out);
const char *target_kind_name(enum target_kind k);
/* Does this kind boot a guest? */
bool target_kind_vm(enum target_kind k);

enum target_voice_kind {
	TARGET_VOICE_KERNEL_JIT,
	TARGET_VOICE_KERNEL_INTERP,
	TARGET_VOICE_MODEL_JIT,
	TARGET_VOICE_HOST,
	TARGET_NVOICE_KINDS,
};

/* How a guest's CPU is run (docs/vm-target.md, "KVM or TCG"). */
enum vm_accel {
	VM_ACCEL_AUTO, /* KVM when the guest's arch is the host's and /dev/kvm works
			  (KVM_GET_API_VERSION 12, KVM_CREATE_VM), else TCG; a KVM
			  boot that fails falls back to TCG, and the failure is
			  remembered (this process, and vm_opts.accel_cache) */
	VM_ACCEL_TCG,  /* TCG, always */
	VM_ACCEL_KVM,  /* KVM, or vm_start fails saying why */
};

/* "auto", "tcg", "kvm"; -1 if none of them. */
int vm_accel_parse(const char *name, enum vm_accel *out);
const char *vm_accel_name(enum vm_accel a);

struct target_opts {
	enum target_kind kind;
	/* vm targets */
	const char *arch;        /* "arm64"/"x86_64"; NULL: the kernel image's own, else arm64 */
	enum vm_accel accel;     /* KVM or TCG (the CLI reads $CALLFUZZ_ACCEL) */
	bool pauth;              /* vm_opts.pauth (the CLI reads $CALLFUZZ_VM_PAUTH) */
	const char *kernel;      /* NULL: build/kernels/ARCH/vmlinuz (the CLI resolves
				    $CALLFUZZ_KERNEL and --kernel-tree before) */
	const char *console_log; /* NULL: a temporary file */
	int req_timeout_ms;      /* per round trip; 0: 10000 */
	bool no_kernel_interp;   /* never use the kernel's interpreter */
	const char *known_bugs_dir; /* kernel targets: the catalogue of known kernel
				       bugs (docs/kernel-bugs/), probed at open;
				       NULL: none is known */
	bool kcov;               /* vm: when the guest has KCOV (vm_info.kcov), each case
				    gets the kernel PCs its load and run reached
				    (target_case.kcov_pcs): one more op in the same
				    round trip */
	bool listing;            /* a KERNEL or CRASH of the kernel JIT voice fetches the
				    kernel's JIT code, disassembled and annotated
				    (target_case.listing) */
	/* the model voice */
	struct exec_opts exec;
	bool serial;             /* model target: interpret before running the JIT code
				    instead of at the same time (measures the overlap) */
	bool keep_image;         /* keep the model voice's JIT image and executor
				    result in the case (reports, jit listings) */
};

/* The model target; everything else zero. */
void target_opts_default(struct target_opts *o);

struct target_voice {
	enum target_voice_kind kind;
	bool loaded, ran;
	int load_err, run_err;  /* 0 or the kernel's errno (model: EINVAL the JIT
				   refused, EIO the executor failed) */
	uint32_t retval;        /* r0, low 32 bits (model voice: too, for printing) */
	uint64_t r0;            /* model voice: the full r0 */
	uint8_t ctx[CF_CTX_SIZE];
	struct cf_map_dump maps;  /* kernel voices: the program's maps after the run */
	uint64_t load_ns, run_ns; /* kernel: inside the guest; model: JIT and run */
};

/* Where a case's host time went (the fuzz loop's stages). */
struct target_case_times {
	uint64_t check_ns, interp_ns, jit_ns, exec_ns, wait_ns, compare_ns;
};

#define TARGET_MAX_VOICES 4

struct target_case {
	/* in */
	const struct cf_prog *prog;
	uint8_t ctx_in[CF_CTX_SIZE];
	bool llsc;                /* model voice: LL/SC atomics instead of LSE (--no-lse) */
	bool skip_check;          /* run the checker only if a mismatch is found
				     (the fuzz loop's check_every); a program it
				     then rejects is reported as !checker_ok */
	bool prepared;            /* target_prepare did the host's side: target_run
				     keeps its checker and interpreter results
				     (and clears this) */
	/* out */
	bool checked;             /* the checker ran on it */
	bool checker_ok;
	char checker_msg[512];
	bool interp_fault;        /* checker_ok, but our interpreter faulted or timed out:
				     a checker/interpreter bug (ir.fault says where) */
	struct interp_result ir;  /* when checker_ok */
	int nvoices;
	struct target_voice voice[TARGET_MAX_VOICES];
	char *kernel_log;         /* a kernel voice's load failed: its verifier log (the JIT voice's first) */
	struct mismatch m;        /* the first difference; kind NONE when all agree */
	int mvoice;               /* index in voice[] of the differing voice, -1 if none */
	char mvoice_name[64];
	char *crash;              /* CRASH/TIMEOUT of a kernel voice: the console's text */
	char *listing;            /* see target_opts.listing */
	const char *known_bug;    /* the signature of the known kernel bug this case is
				     an instance of (docs/kernel-bugs/), NULL if none */
	struct kreport report;    /* what the kernel reported about itself during this
				     program (report.text NULL: nothing), and the voice */
	int report_voice;         /* index in voice[] */
	struct exec_result *xr;   /* model voice with keep_image, or on a model mismatch */
	struct jit_image *img;    /* the same */
	struct target_case_times times;
	uint64_t *kcov_pcs;       /* target_opts.kcov: the distinct kernel PCs (KCOV return
				     addresses) of its loads and runs, every kernel voice's
				     after the other */
	uint32_t *kcov_hits;      /* how often KCOV recorded each */
	uint32_t nkcov_pcs;
	uint32_t kcov_lost;       /* traces that overflowed the agent's buffer (PCs missing) */
};

/* Where the time goes (tests/bench/vm_speed.sh). */
struct target_stats {
	long programs, round_trips, boots;
	double boot_ms;           /* the first boot */
	uint64_t load_ns, run_ns; /* the kernel's syscalls, measured in the guest */
	uint64_t rt_ns;           /* wall time of the round trips (includes load_ns, run_ns) */
	uint64_t encode_ns;       /* host: BTF and frames (inside rt_ns) */
	uint64_t host_ns;         /* host: checker, interpreter, comparison */
	long exec_restarts;       /* model voice: executor restarts beyond the first */
};

/* Who ran the other side, as a bucket records it (file `target` of an
 * artifact; docs/triage.md): enough to run it there again. */
struct target_id {
	char kind[16];      /* target_kind_name() */
	char arch[16];      /* "arm64", "x86_64"; model: "arm64" */
	char kernel[512];   /* vm: the image's path; "" otherwise */
	char release[128];  /* vm and host: uname -r of the kernel; model: "" */
	char runner[64];    /* model: "qemu-aarch64-static", "native"; vm: "qemu-system" */
	char cmdline[160];  /* vm: the guest kernel's command line (vm_info.cmdline): says
			       whether arm64 ran with arm64.nopauth; "" otherwise and in
			       buckets written before it was recorded */
};

struct target;

/* Starts the target (boots the guest, starts the executor, probes the host
 * kernel). NULL with err (no kernel, no qemu, boot failure, bpf() refused). */
struct target *target_open(const struct target_opts *o, struct cf_err *err);
void target_close(struct target *t);
enum target_kind target_get_kind(const struct target *t);
/* The largest argument count this target takes (12 with stack arguments, else 5). */
int target_max_args(const struct target *t);
/* What "valid" means on this target (max_args, model callees or not, ...). */
void target_check_opts(const struct target *t, struct cf_check_opts *o);
/* "kernel JIT arm64 7.2.13", "kernel interpreter 7.2.13", "callfuzz JIT arm64 (executor)",
 * "host kernel 6.18.x" */
const char *target_voice_name(const struct target *t, enum target_voice_kind k);
/* One line: release, machine, KVM or TCG and why (vm_info.accel), boot
 * time, stack arguments, JIT switchable. */
void target_describe(const struct target *t, char *buf, size_t size);
void target_get_id(const struct target *t, struct target_id *id);
const struct target_stats *target_get_stats(const struct target *t);
/* The guest has KCOV and target_opts.kcov asked for it: cases get kcov_pcs. */
bool target_kcov(const struct target *t);
/* The model voice's executor (runner, binary, addresses); NULL when the
 * target has none. `bench run` starts the executor's --floor-code mode
 * with the same runner and binary, to measure qemu alone on the code the
 * target ran (c->img with keep_image). */
const struct exec_info *target_exec_info(const struct target *t);

/* Runs n cases: checker and interpreter on the host, then every voice.
 * A guest lost during a batch is booted again and the batch's cases are
 * run one by one to name the culprit. 0, or -1 with err when the target
 * cannot go on (the cases' results are then incomplete). */
int target_run(struct target *t, struct target_case *cases, int n, struct cf_err *err);
/* target_run in two halves, so that the host works while the guest runs
 * the batch (the fuzz loop's pipeline, loop_send): send prepares what is
 * not prepared and sends every kernel voice's requests in one round trip;
 * recv waits for the answers, then does the rest of target_run. The cases
 * must stay put in between, and the target may do nothing else: a second
 * send before the recv is an error. */
int target_run_send(struct target *t, struct target_case *cases, int n, struct cf_err *err);
int target_run_recv(struct target *t, struct target_case *cases, int n, struct cf_err *err);
/* The host's side of one case now (checker, interpreter, the voices to
 * ask), the rest at a later target_run with other cases: the fuzz loop's
 * deferred runs (loop_queue_input), where the checker and the interpreter
 * run while the fuzzer's coverage is still this input's, and the guest
 * sees the cases of many inputs in one round trip. On a target whose
 * interpreter runs beside the model voice (model, vm,model) the
 * interpreter still waits for target_run. */
void target_prepare(struct target *t, struct target_case *c);
/* A kernel voice (its verdict, test run, ctx, r0) against the checker's
 * verdict and the interpreter's results in c, in the oracle's order:
 * VERIFIER when the verdicts differ (the place quotes the kernel's log
 * line, c->kernel_log), else KERNEL for a failed test run, the first
 * differing ctx byte (want/got: the u64 around it), then the maps'
 * contents (place "map I (NAME) ..."), then r0's low 32 bits
 * (BPF_PROG_TEST_RUN keeps only those). m->kind NONE when they agree. */
enum mismatch_kind target_compare_kernel_voice(const struct target_case *c, const struct target_voice *v,
					       struct mismatch *m);
/* Frees what target_run allocated in c (logs, listings, xr, img). */
void target_case_release(struct target_case *c);
/* The case's verdict and, on a difference, both sides (callfuzz run's
 * format). */
void target_print_case(const struct target *t, const struct target_case *c, FILE *out);

/* The events of a trace, one line each ("  WHO event I: NAME(args)"), the
 * one at index mark flagged as the first divergence (-1: none). */
void target_print_trace(FILE *out, const char *who, const struct cf_trace *tr, int mark);

/* harness/target/kernel-tree.sh SRC for arch: rebuilds incrementally and
 * returns the image's path in image (size >= 4096). -1 with err (the build
 * log's errors) on failure. */
int target_build_kernel_tree(const char *src, const char *arch, char *image, size_t size, struct cf_err *err);

/* target_id as "key value" lines, and back (unknown keys are ignored).
 * read: 0, or -1 with err when the file cannot be read. */
int target_id_write(const struct target_id *id, FILE *out);
int target_id_read(const char *path, struct target_id *id, struct cf_err *err);
/* The id is of an arm64 guest that ran with pointer authentication: its
 * recorded command line lacks arm64.nopauth (--pauth, or KVM, where it
 * makes no difference). Replays (min, triage --rerun) boot it the same
 * way; ids from before the command line was recorded say false. */
bool target_id_pauth(const struct target_id *id);

/* ==== qemu-system guests (harness/target/vm.c, btf.c) ==================== */
/* harness/target/target.h: real kernels under qemu-system as a callfuzz target
 * (internal to harness/).
 *
 * A `struct vm` is one guest (arm64 or x86-64, under KVM or TCG:
 * vm_opts.accel) running the agent of harness/agent/ as /init; requests
 * travel over virtio-serial in the protocol of docs/vm-protocol.md. Every
 * request has a watchdog: a guest that does not answer in time is
 * VM_TIMEOUT, a guest whose kernel oopses or panics is VM_CRASH with the
 * console text (vm_crash_text); in both cases the VM has been booted again
 * before the call returns, and every handle of the old guest is gone.
 *
 * Typical use (one round trip per program):
 *
 *	struct vm_opts o;
 *	vm_opts_default(&o, VM_ARCH_ARM64);
 *	struct vm *vm = vm_start(&o, &err);
 *	struct vm_req r[3] = {
 *		{ .kind = VM_REQ_LOAD, .prog = &prog },
 *		{ .kind = VM_REQ_RUN, .handle = VM_HANDLE_LAST, .ctx = ctx, .ctx_len = 256, .ctx_out = ctx },
 *		{ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST },
 *	};
 *	st = vm_batch(vm, r, 3, &err);   // r[0].err, r[0].log: verdict; r[1].retval
 *	vm_req_release(r, 3);
 *	vm_stop(vm);
 */


enum vm_arch {
	VM_ARCH_ARM64,
	VM_ARCH_X86_64,
};

/* "arm64"/"aarch64", "x86_64"/"amd64"/"x86-64"; -1 if unknown. */
int vm_arch_parse(const char *name, enum vm_arch *out);
const char *vm_arch_name(enum vm_arch arch);
/* The architecture of a kernel image from its header (arm64 Image magic,
 * x86 bzImage "HdrS"); -1 with a message if neither. */
int vm_image_arch(const char *path, enum vm_arch *out, struct cf_err *err);

struct vm_opts {
	enum vm_arch arch;
	const char *kernel;      /* NULL: vm_default_kernel() */
	const char *initrd;      /* NULL: <dir of callfuzz>/agent/<arch>/initramfs.cpio.gz */
	const char *qemu;        /* NULL: qemu-system-aarch64 / qemu-system-x86_64 from PATH */
	const char *console_log; /* NULL: console.log in the VM's temporary directory,
	                            removed by vm_stop; given: kept, every boot appended */
	int mem_mb;              /* guest memory, default 512 */
	int boot_timeout_ms;     /* boot to HELLO, default 60000 */
	int req_timeout_ms;      /* one request or batch, default 10000 */
	const char *local_agent; /* testing: run this agent binary with --stdio on the host
	                            kernel instead of booting (kernel/initrd unused) */
	enum vm_accel accel;     /* default VM_ACCEL_AUTO */
	bool pauth;              /* arm64 under TCG: leave the kernel's pointer authentication
				    on; false (default) boots with arm64.nopauth (docs/vm-target.md,
				    "Why the cloud kernel is slower") */
	const char *accel_cache; /* auto: where a KVM failure at boot is remembered across
				    processes, keyed by qemu binary, host kernel release and
				    arch; NULL: <dir of callfuzz>/vm-accel.cache, "": nowhere */
};

void vm_opts_default(struct vm_opts *o, enum vm_arch arch);
/* <dir of callfuzz>/kernels/<arch>/vmlinuz, else cache/kernels/<arch>/vmlinuz
 * beside build/ (harness/target/fetch-kernels.sh puts them there). Returns a
 * static path that exists, or NULL. $CALLFUZZ_KERNEL is the entry points'
 * business: they pass it as vm_opts.kernel / target_opts.kernel. */
const char *vm_default_kernel(enum vm_arch arch);

/* What the agent found when the guest came up (HELLO). */
struct vm_info {
	int proto_version;
	char release[128];     /* uname -r of the guest */
	char machine[32];      /* uname -m */
	bool stack_args;       /* a 6-argument subprog call loads and returns right */
	bool jit_switchable;   /* bpf_jit_enable can be set to 0 (interpreter) */
	bool jit_on;           /* programs are JITed now */
	bool kcov;             /* the kernel has KCOV (kernel-tree.sh --kcov): VM_REQ_KCOV answers */
	bool kmsg;             /* the agent reads the kernel log (KMSG) */
	int jit_enable;        /* bpf_jit_enable at boot, -1 if unreadable */
	char probe_log[2048];  /* why the stack-argument probe failed ("R11 is invalid") */
	bool kfuncs;           /* the kernel's kfuncs of the call table resolve in its BTF
				  and a program calling them runs right (docs/kernel-paths.md
				  "Kfuncs"): kfunc calls carry these BTF ids */
	int nkfuncs;
	struct vm_kfunc {
		char name[32];
		int32_t btf_id;    /* 0: not in this kernel's BTF */
	} kfunc[8];
	char kfunc_note[512];  /* why kfuncs are off ("no /sys/kernel/btf/vmlinux: ...") */
	double boot_ms;        /* last boot: qemu start to HELLO */
	int boots;             /* 1 + restarts */
	bool kvm;              /* the guest runs under KVM (else TCG) */
	char cmdline[160];     /* the kernel command line of the last boot (-append) */
	char accel[320];       /* which and why, one line: "accel kvm", "accel tcg (arm64
				  guest on an x86_64 host)", "accel tcg: KVM failed at
				  boot after 0.1 s (qemu: ...), fell back" */
};

enum vm_status {
	VM_OK = 0,
	VM_REJECTED, /* vm_load: the kernel refused the program (verdict in log) */
	VM_TIMEOUT,  /* the guest did not answer in req_timeout_ms; restarted */
	VM_CRASH,    /* the guest kernel oopsed/panicked; vm_crash_text; restarted */
	VM_ERROR,    /* transport or host failure; err says what */
};

const char *vm_status_name(enum vm_status st);

#define VM_HANDLE_NONE 0xffffffffu
#define VM_HANDLE_LAST 0xfffffffeu /* the program loaded last in this guest */

/* The JIT image of a loaded program. Addresses in the guest are mapped to
 * offsets in `image` (all functions back to back, in ksym order). */
struct vm_jit_line {
	int slot;          /* flat instruction index (cf_raw) the line_info was given for */
	uint32_t xlated;   /* its offset in the verifier's rewritten program */
	int64_t image_off; /* offset in image, -1 if the address is outside it */
};

struct vm_jit {
	uint8_t *image;
	uint32_t len;
	int nfuncs;
	uint64_t *ksyms;      /* guest address of each function */
	uint32_t *func_lens;  /* bytes of each function; image is their concatenation */
	uint32_t *func_offs;  /* offset of each function in image */
	int nlines;           /* only when loaded with line_info */
	struct vm_jit_line *lines;
	uint32_t xlated_len;  /* bytes of the rewritten bytecode */
};

void vm_jit_free(struct vm_jit *j);
/* The image disassembled by llvm-objdump-19, each function under its name
 * and each BPF instruction (jited_line_info) above its first native
 * instruction (harness/target/target_vm.c). */
void vm_print_jit(FILE *out, const struct vm_jit *j, const struct cf_prog *p, enum vm_arch arch);

enum vm_req_kind {
	VM_REQ_LOAD,     /* in: prog, line_info; out: err, log, handle, guest_ns */
	VM_REQ_RUN,      /* in: handle, ctx, ctx_len, ctx_out; out: err, retval, ctx_out, guest_ns */
	VM_REQ_JIT_INFO, /* in: handle; out: err, jit */
	VM_REQ_CLOSE,    /* in: handle; out: err */
	VM_REQ_SET_JIT,  /* in: jit_enable; out: err, prev_jit */
	VM_REQ_ECHO,     /* in: ctx, ctx_len (payload); out: err (round-trip measurement) */
	VM_REQ_KCOV,     /* out: err (EOPNOTSUPP without KCOV), pcs, pc_hits, npcs, pcs_lost:
			    the distinct kernel PCs of the LOADs and RUNs since the last
			    KCOV, and how often each was recorded */
	VM_REQ_KMSG,     /* in: settle_ms; out: err, log (the kernel log since the last
			    KMSG, NULL if empty; EOPNOTSUPP: vm_info.kmsg is false) */
};

struct vm_req {
	enum vm_req_kind kind;
	/* inputs */
	const struct cf_prog *prog;
	bool line_info;          /* LOAD: one line_info per insn, so that vm_jit maps insns */
	bool log_level2;         /* LOAD: the failure's log at log_level 2 (callfuzz vm --log2) */
	uint32_t handle;         /* a LOAD's handle or VM_HANDLE_LAST */
	const uint8_t *ctx;      /* RUN: ctx_in bytes (kernels.md: ctx_in only) */
	uint32_t ctx_len;
	uint8_t *ctx_out;        /* RUN: ctx_len bytes for the ctx after the run, or NULL */
	struct cf_map_dump *maps_out; /* RUN: the program's maps after the run (canonical), or NULL */
	int jit_enable;          /* SET_JIT: 0 interpreter, 1 JIT */
	uint32_t settle_ms;      /* KMSG: wait this long first (reports printed later, by
				    a deferred free: the private stack guard) */
	/* outputs */
	int err;                 /* 0 or the kernel's errno */
	char *log;               /* LOAD failure: the verifier log (malloc'd, vm_req_release) */
	uint32_t new_handle;     /* LOAD: VM_HANDLE_NONE on failure */
	uint64_t guest_ns;       /* LOAD/RUN: time of the syscall inside the guest */
	uint32_t retval;         /* RUN: r0 (BPF_PROG_TEST_RUN keeps its low 32 bits) */
	int prev_jit;            /* SET_JIT */
	struct vm_jit jit;       /* JIT_INFO */
	uint64_t *pcs;           /* KCOV (malloc'd, vm_req_release) */
	uint32_t *pc_hits;
	uint32_t npcs, pcs_lost;
};

void vm_req_release(struct vm_req *reqs, int n);

struct vm;

/* Boots a guest and waits for its HELLO. NULL with err on failure: missing
 * kernel or initramfs, qemu not installed, boot timeout (with the console's
 * last lines). */
struct vm *vm_start(const struct vm_opts *o, struct cf_err *err);
void vm_stop(struct vm *vm); /* powers off (kills after 2 s); NULL is fine */
int vm_restart(struct vm *vm, struct cf_err *err);
const struct vm_info *vm_get_info(const struct vm *vm);
/* The oops/panic text of the last VM_CRASH (or the console tail of the
 * last VM_TIMEOUT); "" if none. */
const char *vm_crash_text(const struct vm *vm);
const char *vm_console_path(const struct vm *vm);

/* Sends all requests in one message (one round trip, ~0.4 ms under TCG)
 * and fills their outputs. VM_OK when the guest answered, whatever each
 * request's err; VM_TIMEOUT/VM_CRASH/VM_ERROR otherwise (outputs then
 * unset). A LOAD that cannot be converted (cf_prog_to_raw, BTF) makes the
 * whole batch VM_ERROR before anything is sent. */
enum vm_status vm_batch(struct vm *vm, struct vm_req *reqs, int n, struct cf_err *err);
/* vm_batch in two halves, so that the host works while the guest runs the
 * batch: send, then receive into the same requests (which must stay put in
 * between; nothing else may use the guest). The timeout counts from the
 * send, but the receiver always gets VM_RECV_GRACE_MS (vm.c) to read. A
 * second send before the receive is VM_ERROR. */
enum vm_status vm_batch_send(struct vm *vm, struct vm_req *reqs, int n, struct cf_err *err);
enum vm_status vm_batch_recv(struct vm *vm, struct vm_req *reqs, int n, struct cf_err *err);
bool vm_batch_pending(const struct vm *vm);

/* One-request conveniences over vm_batch. */
enum vm_status vm_load(struct vm *vm, const struct cf_prog *p, bool line_info, uint32_t *handle,
		       char **log, struct cf_err *err);
/* ctx is ctx_in and receives the ctx after the run (may be NULL if ctx_len 0). */
enum vm_status vm_test_run(struct vm *vm, uint32_t handle, uint8_t *ctx, uint32_t ctx_len,
			   uint32_t *retval, struct cf_err *err);
enum vm_status vm_jit_image(struct vm *vm, uint32_t handle, struct vm_jit *out, struct cf_err *err);
enum vm_status vm_close(struct vm *vm, uint32_t handle, struct cf_err *err);
enum vm_status vm_set_jit(struct vm *vm, int jit_enable, int *prev, struct cf_err *err);

/* ---- BTF and func_info for the kernel (harness/target/btf.c, libbpf) ---------- */

/* What BPF_PROG_LOAD needs beside the insns (kernels.md "In the guest"):
 * BTF with one INT, one FUNC_PROTO per function with its real parameter
 * count and one FUNC per function (entry global, others as declared), and
 * one func_info record per function. With line_info, one bpf_line_info per
 * instruction (not the second slot of LD_IMM64), whose line number is the
 * flat slot index + 1 so that jited_line_info maps back to it. */
struct vm_btf {
	void *data; /* raw BTF (btf__raw_data) */
	uint32_t len;
	struct bpf_func_info *func_info;
	int nfunc_info;
	struct bpf_line_info *line_info;
	int nline_info;
};

int vm_btf_build(const struct cf_raw *raw, bool line_info, struct vm_btf *out, struct cf_err *err);
void vm_btf_free(struct vm_btf *b);

/* ==== the host kernel (harness/target/kernel.c) ==========================
 *
 * The target's host voice (TARGET_HOST): a program is loaded through bpf()
 * as BPF_PROG_TYPE_SYSCALL (sleepable) with BTF and func_info from
 * vm_btf_build, and test-run on a 256-byte ctx (kernels.md "In the guest":
 * the same rules hold on the host); target_run compares it like any kernel
 * voice (target_compare_kernel_voice).
 *
 * Typical use:
 *
 *	struct kernel_probe kp;
 *	if (kernel_probe(&kp) || !kp.bpf_allowed) -> kp.msg says why
 *	kernel_run(&prog, ctx, &kr, &err);      // verdict, log, retval, ctx
 *	kernel_result_release(&kr);
 */

struct kernel_probe {
	bool bpf_allowed;  /* a 2-insn SYSCALL program loads and runs */
	bool stack_args;   /* a 6-argument subprog call loads and returns 21 */
	int max_args;      /* 12 with stack arguments, else 5 (cf_check_opts.max_args) */
	bool ctx_moved_ok; /* a ctx load through a moved pointer loads (7.2; 6.18 refuses:
			      cf_check_opts.ctx_moved_ok) */
	char release[128]; /* uname -r */
	char msg[2048];    /* why bpf() is refused, or the stack-argument probe's
			      verifier log ("R11 is invalid") */
};

/* Probes the host kernel (three loads and test runs). Returns 0 with *out
 * filled whatever the answers, -1 only on a host failure (msg says it). */
int kernel_probe(struct kernel_probe *out);

struct kernel_result {
	int load_err;      /* 0 loaded, else the errno of BPF_PROG_LOAD (or BTF_LOAD) */
	char *log;         /* load_err: the verifier log (log_level 1), malloc'd */
	int run_err;       /* errno of BPF_PROG_TEST_RUN, 0 if it ran */
	uint32_t retval;   /* r0, low 32 bits */
	uint8_t ctx[CF_CTX_SIZE]; /* the ctx after the run (the kernel writes ctx_in back) */
	uint64_t load_ns; /* wall time of the first load (not the log retry) */
};

/* Load p, run it once on ctx_in (NULL: zeros), close it. Returns 0 with
 * *res filled (a rejection is a result: load_err, log), or -1 with err set
 * when the program cannot be converted (cf_prog_to_raw, BTF). */
int kernel_run(const struct cf_prog *p, const uint8_t ctx_in[CF_CTX_SIZE], struct kernel_result *res,
	       struct cf_err *err);
void kernel_result_release(struct kernel_result *res);

/* ---- signatures -------------------------------------------------------
 * A stable bucket name for a mismatch: kind and place in program terms, no
 * addresses, values or hashes, coarse enough that one JIT bug gives one or a
 * few buckets. Characters are [A-Za-z0-9_-]. Examples:
 *   RETVAL, OUTBUF, TIMEOUT, JIT_REJECT,
 *   TRACE-kf_args12-arg9   (argument 9 of a kf_args12 event differs)
 *   TRACE-trace-missing    (the JIT made fewer trace events) / -extra / -id
 *   TRACE-dropped, STACK-hash, STACK-len, STACK-missing, STACK-extra,
 *   ABI-x19, ABI-sp, ABI-canary,
 *   CRASH-SEGV-LDX-DW-r11  (signal, BPF insn shape of the faulting slot)
 *   CRASH-SEGV-prologue, CRASH-ILL-outside, CRASH-executor.
 * ir and xr are the results compare_results saw (xr: for CRASH signal and
 * the JIT-only events; p for the faulting instruction; each may be NULL). */
void mismatch_signature(const struct mismatch *m, const struct interp_result *ir, const struct exec_result *xr,
		    const struct cf_prog *p, char *buf, size_t size);

/* The bucket of a case (target_case.m set), by voice:
 *   VERIFIER               the kernel verifier rejects what the checker accepts
 *                          (VERIFIER-interp: only with bpf_jit_enable 0)
 *   KERNEL-jit-retval, KERNEL-jit-ctx, KERNEL-jit-run (BPF_PROG_TEST_RUN failed),
 *   KERNEL-interp-retval, -ctx, -run   (the kernel's interpreter)
 *   CRASH-kernel-jit, TIMEOUT-kernel-interp   (the guest was lost)
 *   the signature of a docs/kernel-bugs/ entry (VERIFIER-known-stack-liveness)
 *                          for a case target_run matched to a known kernel bug the
 *                          booted kernel shows (target_case.known_bug); *known set
 *   VM-<mismatch_signature>    our JIT as the model voice beside a kernel (VM-RETVAL,
 *                          VM-TRACE-...): apart from the model target's buckets,
 *                          whose inputs make other programs (model profile)
 *   <mismatch_signature>   our JIT on the model target (no kernel voice)
 *   KERNEL-host-retval, -ctx, -run, VERIFIER-host   the host kernel voice */
void target_signature(const struct target_case *c, char *buf, size_t size, bool *known);

/* ---- known kernel bugs, as data (harness/target/known_bugs.c) ------------
 *
 * The catalogue is docs/kernel-bugs/: one folder per bug, each with a
 * known.conf (format in docs/kernel-bugs/README.md). A bug is known to a
 * run only if the booted kernel shows it: target_open (target_opts.
 * known_bugs_dir) runs each reproducer on the kernel it opened
 * (known_bugs_probe), and target_run files a case under a known bug
 * (target_case.known_bug) only if that bug was shown. A bug known by its
 * shape is probed later, before the first batch holding a program of its
 * shape (known_bugs_probe_for): such reproducers crash the guest, and a
 * run without such programs need not pay the reboot. */

struct known_bug {
	char name[64];          /* the folder's name */
	char signature[64];     /* the bucket its cases go to (artifacts/<signature>/) */
	unsigned kinds;             /* 1 << each mismatch kind it shows as (VERIFIER, and
				       REPORT where the kernel also WARNs) */
	char pattern[160];      /* text of the difference (the verifier log's reason);
				   "" when the shape alone decides */
	char shape[64];         /* a named predicate on the case (known_bugs.c shapes[]),
				   "" if none */
	char seen[256];         /* kernels it was seen on (free text, for reports) */
	char reproducer[4096];  /* path of the reproducer (.s) */
	bool probed;            /* its reproducer ran on this kernel */
	bool shown;             /* known_bugs_probe: the booted kernel shows it */
	char probe[256];        /* known_bugs_probe: what the reproducer gave */
};

struct known_bugs {
	struct known_bug *bugs;
	int n;
};

/* docs/kernel-bugs of the running binary's tree (build/callfuzz ->
 * docs/kernel-bugs). */
const char *known_bugs_default_dir(char *buf, size_t size);
/* Reads every DIR/<name>/known.conf (none shown yet). A missing DIR is an
 * empty catalogue; a malformed known.conf is an error naming its line. */
int known_bugs_load(struct known_bugs *kb, const char *dir, struct cf_err *err);
/* Runs each reproducer on t, those of bugs known by a shape excepted;
 * shown = its difference matches. */
int known_bugs_probe(struct known_bugs *kb, struct target *t, struct cf_err *err);
/* Runs the reproducer of each bug not probed yet whose shape some program
 * of cases[0..n) has (target_run_send, before the batch goes out). */
int known_bugs_probe_for(struct known_bugs *kb, struct target *t, const struct target_case *cases, int n,
			 struct cf_err *err);
/* Does the named shape (known.conf `shape`) hold for c? false for an
 * unknown name. */
bool known_bugs_shape_holds(const char *shape, const struct target_case *c);
/* The shown bug a case is an instance of (kernel voices only), or NULL. */
const struct known_bug *known_bugs_match(const struct known_bugs *kb, const struct target_case *c);
/* c's kernel report is a known bug's (kind REPORT among its kinds) whose
 * pattern is in c's own verifier log or report: the program that printed
 * it is c, with no need to run it alone (target.c, name_report_culprit). */
bool known_bugs_own_report(const struct known_bugs *kb, const struct target_case *c);
/* "known kernel bugs: NAME (shown by this kernel), ..." ("(probed at the
 * first program of its shape)" for one not probed yet) */
void known_bugs_describe(const struct known_bugs *kb, char *buf, size_t size);
void known_bugs_free(struct known_bugs *kb);

#endif

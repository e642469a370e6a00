/* fuzz/diff.c: the differential fuzz target: the fuzzer's bytes become a
 * program (gen/), which runs through the reference interpreter and through
 * the arm64 JIT on the executor; every disagreement becomes an artifact
 * under $CALLFUZZ_ARTIFACTS/<signature>/ (fuzz/loop/loop.h).
 *
 * A mismatch is a finding, not a crash of the target: it is written down
 * and fuzzing goes on (return 0). A generated program that the checker
 * rejects, or on which the interpreter faults, is a generator bug: the
 * program and the reason go to stderr and the target aborts, so that the
 * fuzzer keeps the input.
 *
 * Environment (fuzz/run sets these):
 *   CALLFUZZ_ARTIFACTS        artifacts directory (default artifacts)
 *   CALLFUZZ_LSE              on, off or alt (default: alt, chosen per input)
 *   CALLFUZZ_STOP_ON_MISMATCH 1: exit (status 3) after the first mismatch
 *   CALLFUZZ_STATS_DIR        where this process's stats file <pid> goes
 *                             (default <artifacts>/.stats), rewritten every
 *                             second and at exit; fuzz/run sums them
 *   CALLFUZZ_REPLAY           how reports name callfuzz (default build/callfuzz)
 *   CALLFUZZ_SERIAL           1: interpret before the JIT run, not during it
 *   CALLFUZZ_CHECK_EVERY      run the checker on 1 input in N (default 8;
 *                             1: all); mismatches are always checked
 *                             (tests/bench/fuzz_clean.sh measures the overlap)
 *   CALLFUZZ_EXEC, CALLFUZZ_QEMU: the executor and its runner (harness.h)
 *   CALLFUZZ_TARGET           model (default; vm for fuzz-diff_vm), vm or
 *                             vm,model (loop.h): with vm, one guest per
 *                             process, booted at start
 *   CALLFUZZ_ARCH             vm: arm64 or x86_64 (default: the image's own)
 *   CALLFUZZ_KERNEL           vm: the kernel image (default
 *                             build/kernels/ARCH/vmlinuz beside this binary)
 *   CALLFUZZ_ACCEL            vm: auto (default: KVM where the host can run
 *                             the guest, else TCG), kvm or tcg
 *   CALLFUZZ_VM_CONSOLE       vm: keep the guest console in this file
 *   CALLFUZZ_VM_BATCH         vm: inputs per round trip (default
 *                             DIFF_VM_BATCH_DEFAULT, at most LOOP_MAX_BATCH;
 *                             1: each input waits for its own; under AFL++
 *                             the default is 1; 1 too with KCOV feedback).
 *                             See "Batches" below.
 *   CALLFUZZ_KCOV_FEEDBACK    vm on a KCOV kernel (kernel-tree.sh --kcov):
 *                             1 (default) folds the kernel PCs of each input
 *                             into libFuzzer's extra counters, 0 only counts
 *                             them (the progress line's kernel coverage)
 *   CALLFUZZ_KCOV_DIR         where this process appends the distinct kernel
 *                             PCs it has seen (<dir>/<pid>.pcs, hex, one a
 *                             line): fuzz/run's kernel coverage
 *
 * Under AFL++ (libAFLDriver) the executor and the guest start at the first
 * input, in the forked child, not in the fork server: the driver defers the
 * fork server past LLVMFuzzerInitialize and runs each child persistently
 * (INT_MAX inputs), so one guest serves an AFL++ instance until its child
 * crashes or times out (docs/vm-target.md, "AFL++").
 *
 * Batches (vm target): libFuzzer hands over one input at a time, and one
 * round trip to the guest per input put fuzz/run at 11-22% over the
 * kernel's own time (docs/benchmarks.md). So each input is generated,
 * checked and interpreted at once (loop_queue_input: the coverage
 * libFuzzer sees for it is its own, and a generator bug aborts on it),
 * then waits with a copy of its bytes until CALLFUZZ_VM_BATCH inputs wait
 * or the oldest has waited DIFF_VM_BATCH_MAX_WAIT_MS; then they go to the
 * guest together (loop_send), and the guest runs them while libFuzzer
 * hands over the next batch's inputs, whose host side (generator,
 * checker, interpreter, and libFuzzer's own time between inputs) so costs
 * no wall time; the batch in flight is received (loop_receive) and acted
 * on when the next one is ready to go, so a mismatch is announced, and its
 * artifact written with the bytes of the input that made it, one batch
 * later. What waits and what is in flight goes at exit (atexit:
 * -max_total_time, -runs), at SIGINT (fuzz/run's stop: our handler lets
 * the current input finish, flushes, then hands the signal to libFuzzer's),
 * and before a generator bug's abort. A lost guest in a batch is named by
 * target_run_recv (it reruns the batch one by one). vm,model keeps one
 * input per call: its interpreter runs beside our JIT at the flush.
 *
 * Kernel coverage (vm target, a KCOV kernel): every case brings back the
 * kernel PCs that its load and test run reached (target_opts.kcov, one
 * more op in the same round trip). They are folded into
 * __libfuzzer_extra_counters (harness/cover/cover.h: a hash of each PC,
 * its hit count, libFuzzer buckets the counts), which libFuzzer clears
 * before each input and reads after it: an input that reaches new kernel
 * code (verifier, JIT, interpreter: kernel/bpf/ and arch/ARCH/net/) is
 * kept. The counters belong to the input whose call ran the round trip,
 * so with KCOV feedback an input goes to the guest alone (batch 1) unless
 * CALLFUZZ_VM_BATCH says otherwise. */
#include "fuzz/loop/loop.h"
#include "harness/cover/cover.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* fuzz/diff_vm.c includes this file with "vm" */
#ifndef DIFF_DEFAULT_TARGET
#define DIFF_DEFAULT_TARGET "model"
#endif

/* tests/bench/vm_overhead.sh, docs/benchmarks.md */
#define DIFF_VM_BATCH_DEFAULT 16
#define DIFF_VM_BATCH_MAX_WAIT_MS 2000

static struct loop *the_loop;
static int batch_size = 1;          /* inputs per flush; 1: loop_run_input */
static uint64_t first_queued_ns;  /* when the oldest waiting input came */
static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t in_input; /* inside LLVMFuzzerTestOneInput */
static struct sigaction engine_sigint; /* libFuzzer's handler */
static char stats_path[1024];
static time_t stats_written;
static bool stop_on_mismatch;
static char seen[64][96]; /* signatures announced on stderr by this process */
static int nseen;

static uint64_t up_ns; /* when the target was up (after the guest's boot) */

/* libFuzzer's extra counters (FuzzerExtraCounters.cpp finds the section by
 * its __start_/__stop_ symbols); harmless for other engines */
__attribute__((section("__libfuzzer_extra_counters"), used)) static uint8_t kcov_counters[COVER_FOLD_SLOTS];
static bool kcov_feedback;
/* the distinct kernel PCs this process has seen: open addressing, 0 empty */
static uint64_t *kcov_seen;
static size_t kcov_seen_cap, kcov_nseen;
static FILE *kcov_out;
static uint64_t engine_ns, input_done_ns; /* the engine's time between inputs */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void write_stats(void)
{
	struct loop_stats st;

	if (!the_loop || !stats_path[0])
		return;
	/* fuzz/run's "over the kernel": everything but the boot, the
	 * engine's own time included */
	st = *loop_get_stats(the_loop);
	st.fuzz_ns = now_ns() - up_ns;
	st.engine_ns = engine_ns;
	loop_stats_write(&st, stats_path);
}

/* New PCs into the seen set and the PCs file; false when out of memory. */
static bool kcov_seen_add(uint64_t pc)
{
	size_t h;

	if (!pc)
		return true;
	if (2 * (kcov_nseen + 1) > kcov_seen_cap) {
		size_t cap = kcov_seen_cap ? 2 * kcov_seen_cap : 1 << 16;
		uint64_t *n = calloc(cap, sizeof(*n));

		if (!n)
			return false;
		for (size_t i = 0; i < kcov_seen_cap; i++) {
			if (!kcov_seen[i])
				continue;
			h = cover_slot(kcov_seen[i], cap);
			while (n[h])
				h = (h + 1) & (cap - 1);
			n[h] = kcov_seen[i];
		}
		free(kcov_seen);
		kcov_seen = n;
		kcov_seen_cap = cap;
	}
	h = cover_slot(pc, kcov_seen_cap);
	while (kcov_seen[h] && kcov_seen[h] != pc)
		h = (h + 1) & (kcov_seen_cap - 1);
	if (kcov_seen[h])
		return true;
	kcov_seen[h] = pc;
	kcov_nseen++;
	if (kcov_out)
		fprintf(kcov_out, "%" PRIx64 "\n", pc);
	return true;
}

/* The kernel PCs of the cases the last loop call ran: into libFuzzer's
 * counters (this input's: libFuzzer cleared them before the call) and the
 * seen set. */
static void take_kcov(void)
{
	const uint32_t *hits;
	size_t n;
	const uint64_t *pcs = the_loop ? loop_kcov_pcs(the_loop, &hits, &n) : NULL;

	if (!pcs || !n)
		return;
	if (kcov_feedback)
		cover_fold(pcs, hits, n, kcov_counters, COVER_FOLD_SLOTS);
	for (size_t i = 0; i < n; i++)
		if (!kcov_seen_add(pcs[i]))
			break;
	if (kcov_out)
		fflush(kcov_out);
}

static void flush_queue(void);

static void at_exit(void)
{
	flush_queue();
	write_stats();
}

static void start_loop(void)
{
	static char known_bugs[4096];
	struct loop_opts o;
	struct cf_err err;
	const char *lse = getenv("CALLFUZZ_LSE");
	const char *env, *spin, *jobs;

	/* libAFLDriver's AFL_DRIVER_STDERR_DUPLICATE_FILENAME (fuzz/run sets
	 * it: afl-fuzz sends our stderr to /dev/null) freopens stderr, which
	 * leaves it fully buffered, and AFL++ ends a persistent child with
	 * SIGKILL: our lines would die in the buffer. */
	setvbuf(stderr, NULL, _IONBF, 0);
	loop_opts_default(&o);
	if ((env = getenv("CALLFUZZ_ARTIFACTS")) && *env)
		o.artifacts_dir = env;
	if ((env = getenv("CALLFUZZ_REPLAY")) && *env)
		o.replay_cmd = env;
	if (lse && !strcmp(lse, "on"))
		o.lse = LOOP_LSE_ON;
	else if (lse && !strcmp(lse, "off"))
		o.lse = LOOP_LSE_OFF;
	o.target.serial = (env = getenv("CALLFUZZ_SERIAL")) && *env && strcmp(env, "0");
	if ((env = getenv("CALLFUZZ_CHECK_EVERY")) && *env)
		o.check_every = atoi(env) > 0 ? atoi(env) : 1;
	stop_on_mismatch = (env = getenv("CALLFUZZ_STOP_ON_MISMATCH")) && *env && strcmp(env, "0");
	if (!(env = getenv("CALLFUZZ_TARGET")) || !*env)
		env = DIFF_DEFAULT_TARGET;
	if (target_kind_parse(env, &o.target.kind) < 0) {
		fprintf(stderr, "fuzz-diff: CALLFUZZ_TARGET=%s: model, vm, vm,model or kernel\n", env);
		exit(2);
	}
	if ((env = getenv("CALLFUZZ_ARCH")) && *env)
		o.target.arch = env;
	if ((env = getenv("CALLFUZZ_KERNEL")) && *env)
		o.target.kernel = env;
	/* known kernel bugs: $CALLFUZZ_KNOWN_BUGS, else the tree's catalogue
	 * (docs/kernel-bugs/README.md); each is probed on the booted kernel */
	if ((env = getenv("CALLFUZZ_KNOWN_BUGS")) && *env)
		snprintf(known_bugs, sizeof(known_bugs), "%s", env);
	else
		known_bugs_default_dir(known_bugs, sizeof(known_bugs));
	o.target.known_bugs_dir = known_bugs;
	if ((env = getenv("CALLFUZZ_ACCEL")) && *env && vm_accel_parse(env, &o.target.accel) < 0) {
		fprintf(stderr, "fuzz-diff: CALLFUZZ_ACCEL=%s: auto, kvm or tcg\n", env);
		exit(2);
	}
	/* arm64 under TCG: boot with arm64.nopauth unless this is set */
	o.target.pauth = (env = getenv("CALLFUZZ_VM_PAUTH")) && *env && strcmp(env, "0");
	if ((env = getenv("CALLFUZZ_VM_CONSOLE")) && *env)
		o.target.console_log = env;
	/* kernel PCs per case when the guest has KCOV (target_kcov) */
	o.target.kcov = target_kind_vm(o.target.kind);
	kcov_feedback = !((env = getenv("CALLFUZZ_KCOV_FEEDBACK")) && !strcmp(env, "0"));
	if (o.target.kind == TARGET_VM) {
		env = getenv("CALLFUZZ_VM_BATCH");
		/* AFL++ ends a persistent child with SIGKILL: nothing would
		 * flush what waits */
		batch_size = getenv("__AFL_SHM_ID") ? 1 : DIFF_VM_BATCH_DEFAULT;
		if (env && *env) {
			batch_size = atoi(env);
			if (batch_size < 1 || batch_size > LOOP_MAX_BATCH) {
				fprintf(stderr, "fuzz-diff: CALLFUZZ_VM_BATCH=%s: 1..%d\n", env, LOOP_MAX_BATCH);
				exit(2);
			}
		}
	}
	/* The executor: its binary and runner (fuzz/run --help), and how long
	 * it and this job spin for each other. Spinning pays only when nobody
	 * else wants the CPUs: fuzz/run says how many jobs share them
	 * (CALLFUZZ_JOBS). Run by another engine or service (OSS-Fuzz,
	 * libFuzzer -jobs=N), the job count is unknown: sleep, unless
	 * CALLFUZZ_SPIN_US says more (a fixed budget; 0: never). */
	if ((env = getenv("CALLFUZZ_EXEC")) && *env)
		o.target.exec.exec_path = env;
	if ((env = getenv("CALLFUZZ_QEMU")) && *env)
		o.target.exec.qemu = env;
	spin = getenv("CALLFUZZ_SPIN_US");
	jobs = getenv("CALLFUZZ_JOBS");
	if (spin && *spin) {
		long us = strtol(spin, NULL, 10);

		o.target.exec.spin_us = us > 0 && us < 1000000 ? (int)us : -1;
	} else if (!spin && !jobs) {
		o.target.exec.spin_us = -1;
	} else if (jobs && *jobs) {
		long n = strtol(jobs, NULL, 10);

		o.target.exec.jobs = n > 0 && n < 1000000 ? (int)n : 1;
	}

	the_loop = loop_start(&o, &err);
	if (!the_loop) {
		fprintf(stderr, "fuzz-diff: %s\n", err.msg);
		exit(2);
	}
	up_ns = now_ns();
	if (!target_kcov(loop_target(the_loop))) {
		kcov_feedback = false;
	} else {
		/* the counters are the input's whose call ran the round trip:
		 * each input alone, unless CALLFUZZ_VM_BATCH says otherwise */
		if (kcov_feedback && !getenv("CALLFUZZ_VM_BATCH"))
			batch_size = 1;
		if ((env = getenv("CALLFUZZ_KCOV_DIR")) && *env) {
			char path[1024];

			mkdir(env, 0777);
			snprintf(path, sizeof(path), "%s/%d.pcs", env, (int)getpid());
			kcov_out = fopen(path, "a");
		}
	}
	{
		char dir[900];

		if ((env = getenv("CALLFUZZ_STATS_DIR")) && *env) {
			snprintf(dir, sizeof(dir), "%s", env);
		} else {
			snprintf(dir, sizeof(dir), "%s/.stats", o.artifacts_dir);
			mkdir(o.artifacts_dir, 0777);
		}
		mkdir(dir, 0777);
		snprintf(stats_path, sizeof(stats_path), "%s/%d", dir, (int)getpid());
	}
	{
		char desc[1024];

		/* fuzz/run prints this line (the kernel's release, the profile) */
		loop_describe(the_loop, desc, sizeof(desc));
		if (o.target.kind == TARGET_VM)
			fprintf(stderr, "fuzz-diff: %s; %d input%s per round trip%s; artifacts in %s/\n", desc, batch_size,
				batch_size == 1 ? "" : "s",
				!target_kcov(loop_target(the_loop)) ? "" :
				kcov_feedback ? "; kernel coverage is feedback" : "; kernel coverage counted, not feedback",
				o.artifacts_dir);
		else
			fprintf(stderr, "fuzz-diff: %s; artifacts in %s/\n", desc, o.artifacts_dir);
		if (target_kind_vm(o.target.kind)) {
			struct target_id id;

			target_get_id(loop_target(the_loop), &id);
			fprintf(stderr, "fuzz-diff: kernel image %s\n", id.kernel);
		}
	}
	atexit(at_exit);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* AFL++'s fork server forks after this: an executor or a guest started
	 * here would belong to the server, not to the child that runs the
	 * inputs (and a guest's socket cannot be shared by children). */
	if (!getenv("__AFL_SHM_ID"))
		start_loop();
	return 0;
}

static void announce(const struct loop_outcome *out)
{
	for (int i = 0; i < nseen; i++)
		if (!strcmp(seen[i], out->signature))
			return;
	if (nseen < (int)(sizeof(seen) / sizeof(seen[0])))
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", out->signature);
	fprintf(stderr, "fuzz-diff: %s %s at %s -> %s/\n", out->known ? "KNOWN kernel bug" : "MISMATCH",
		mismatch_kind_name(out->m.kind), out->m.place, out->artifact_dir);
}

/* What an input's outcome asks of this process: announce a mismatch, stop
 * at the first one (CALLFUZZ_STOP_ON_MISMATCH), abort on a generator bug
 * or when the loop cannot go on. */
static void act_on(const struct loop_outcome *out)
{
	switch (out->verdict) {
	case LOOP_EQUAL:
	case LOOP_QUEUED:
		break;
	case LOOP_MISMATCH:
		announce(out);
		if (stop_on_mismatch && !out->known) {
			write_stats();
			fprintf(stderr, "fuzz-diff: stopping at the first mismatch (CALLFUZZ_STOP_ON_MISMATCH)\n");
			loop_stop(the_loop);
			the_loop = NULL;
			_exit(3);
		}
		break;
	case LOOP_GEN_BUG:
		write_stats();
		fprintf(stderr, "fuzz-diff: %s\n--- program ---\n%s--- end ---\n", out->msg,
			out->prog_text ? out->prog_text : "(none)\n");
		abort();
	case LOOP_ERROR:
		write_stats();
		fprintf(stderr, "fuzz-diff: %s\n", out->msg);
		abort();
	}
}

/* Each outcome of a batch acted on (a mismatch of a later one is still
 * written before a stop). */
static void act_on_batch(const struct loop_outcome *outs, int n)
{
	int stop = -1;

	take_kcov();
	for (int i = 0; i < n; i++) {
		if (outs[i].verdict == LOOP_MISMATCH && stop_on_mismatch && !outs[i].known) {
			announce(&outs[i]);
			if (stop < 0)
				stop = i;
			continue;
		}
		act_on(&outs[i]);
	}
	if (stop >= 0)
		act_on(&outs[stop]);
}

/* A full queue: the batch in flight comes back and is acted on, then the
 * queue goes to the guest, which runs it while libFuzzer hands over the
 * next inputs (see "Batches"). */
static void send_queue(void)
{
	static struct loop_outcome outs[LOOP_MAX_BATCH];
	struct loop_outcome err = { .verdict = LOOP_ERROR };

	act_on_batch(outs, loop_receive(the_loop, outs));
	if (loop_send(the_loop, err.msg, sizeof(err.msg)) < 0)
		act_on(&err);
}

/* Everything to the guest and back: the batch in flight, then what waits
 * (at exit, at SIGINT, before a generator bug's abort). */
static void flush_queue(void)
{
	static struct loop_outcome outs[LOOP_MAX_BATCH];

	if (!the_loop)
		return;
	act_on_batch(outs, loop_receive(the_loop, outs));
	if (the_loop && loop_queued(the_loop))
		act_on_batch(outs, loop_flush(the_loop, outs));
}

/* fuzz/run stops a job with SIGINT, and libFuzzer's handler _Exits: the
 * inputs that wait would never reach the guest. Ours lets the input at
 * hand finish and the queue go first (a second SIGINT does not wait). */
static void on_sigint(int sig)
{
	if (interrupted || (!in_input && !(the_loop && (loop_queued(the_loop) || loop_in_flight(the_loop))))) {
		sigaction(SIGINT, &engine_sigint, NULL);
		raise(sig); /* delivered when this handler returns */
		return;
	}
	interrupted = 1;
}

static void pass_on_sigint(void)
{
	flush_queue();
	write_stats();
	sigaction(SIGINT, &engine_sigint, NULL);
	raise(SIGINT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loop_outcome out;
	time_t now;

	if (!the_loop)
		start_loop();
	if (input_done_ns)
		engine_ns += now_ns() - input_done_ns;
	if (batch_size <= 1) {
		loop_run_input(the_loop, data, size, &out);
		take_kcov();
		act_on(&out);
	} else {
		static bool sigint_set;

		/* libFuzzer installs its handlers after LLVMFuzzerInitialize */
		if (!sigint_set) {
			struct sigaction sa = { .sa_handler = on_sigint };

			sigemptyset(&sa.sa_mask);
			sigint_set = sigaction(SIGINT, &sa, &engine_sigint) == 0;
		}
		/* a SIGINT that came between two inputs is passed on after
		 * this one: libFuzzer has counted it already (it counts a unit
		 * before its call), so it must reach the guest too */
		in_input = 1;
		if (loop_queue_input(the_loop, data, size, &out) != LOOP_QUEUED) {
			/* a generator bug aborts on this input: what waits goes
			 * first (the flush frees the loop's program texts) */
			char *text = out.prog_text ? strdup(out.prog_text) : NULL;

			flush_queue();
			out.prog_text = text;
			act_on(&out);
			free(text);
		} else {
			if (loop_queued(the_loop) == 1)
				first_queued_ns = now_ns();
			if (loop_queued(the_loop) >= batch_size ||
			    now_ns() - first_queued_ns >= DIFF_VM_BATCH_MAX_WAIT_MS * 1000000ull)
				send_queue();
		}
		if (interrupted)
			pass_on_sigint();
		in_input = 0;
	}
	now = time(NULL);
	if (now != stats_written) {
		stats_written = now;
		write_stats();
	}
	input_done_ns = now_ns();
	return 0;
}

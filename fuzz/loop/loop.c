/* fuzz/loop/loop.c: the differential loop of callfuzz (fuzz/loop/loop.h):
 * generate, check, JIT, run on the executor while the interpreter runs on
 * a worker thread (design.md: "the host sends the code, interprets while
 * the executor runs, then compares"), compare, and write an artifact for
 * every mismatch. */
#define _GNU_SOURCE
#include "fuzz/loop/loop.h"
#include "harness/target/target.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const stage_names[LOOP_NSTAGES] = {
	[LOOP_STAGE_GEN] = "generate",
	[LOOP_STAGE_CHECK] = "check",
	[LOOP_STAGE_INTERP] = "interpret",
	[LOOP_STAGE_JIT] = "jit",
	[LOOP_STAGE_EXEC] = "execute",
	[LOOP_STAGE_WAIT] = "wait_interp",
	[LOOP_STAGE_COMPARE] = "compare",
	[LOOP_STAGE_ARTIFACT] = "artifact",
};

const char *loop_stage_name(enum loop_stage s)
{
	return s < LOOP_NSTAGES ? stage_names[s] : "?";
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void loop_opts_default(struct loop_opts *o)
{
	memset(o, 0, sizeof(*o));
	gen_opts_default(&o->gen);
	o->lse = LOOP_LSE_ALTERNATE;
	o->artifacts_dir = "artifacts";
	o->replay_cmd = "build/callfuzz";
	o->check_every = 8;
}

int loop_target_parse(const char *name, enum loop_target *out)
{
	if (!strcmp(name, "model"))
		*out = LOOP_TARGET_MODEL;
	else if (!strcmp(name, "vm"))
		*out = LOOP_TARGET_VM;
	else if (!strcmp(name, "vm,model") || !strcmp(name, "model,vm"))
		*out = LOOP_TARGET_VM_MODEL;
	else
		return -1;
	return 0;
}

const char *loop_target_name(enum loop_target t)
{
	switch (t) {
	case LOOP_TARGET_MODEL: return "model";
	case LOOP_TARGET_VM: return "vm";
	case LOOP_TARGET_VM_MODEL: return "vm,model";
	}
	return "?";
}

/* ---- the interpreter thread ---------------------------------------------
 * One job at a time: the main thread posts a checked program, JIT-compiles
 * and runs it on the executor, then waits for the job. */

enum job_state { JOB_IDLE, JOB_POSTED, JOB_RUNNING, JOB_DONE, JOB_QUIT };

struct interp_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum job_state state;
	const struct cf_prog *prog;
	const uint8_t *ctx;
	struct interp_result *res;
	uint64_t ns;
};

static void *worker_main(void *arg)
{
	struct interp_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->state != JOB_POSTED && w->state != JOB_QUIT)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->state == JOB_QUIT)
			break;
		w->state = JOB_RUNNING;
		pthread_mutex_unlock(&w->lock);

		uint64_t t0 = now_ns();

		interp_run(w->prog, NULL, NULL, w->ctx, w->res);
		w->ns = now_ns() - t0;

		pthread_mutex_lock(&w->lock);
		w->state = JOB_DONE;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void worker_post(struct interp_worker *w, const struct cf_prog *p, const uint8_t *ctx,
			struct interp_result *res)
{
	pthread_mutex_lock(&w->lock);
	w->prog = p;
	w->ctx = ctx;
	w->res = res;
	w->state = JOB_POSTED;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* The job's interpreter time. A job the worker has not picked up yet (on
 * a loaded machine it may not have been scheduled while the executor ran)
 * is taken back and run here: waiting for a wakeup would cost more. */
static uint64_t worker_wait(struct interp_worker *w)
{
	pthread_mutex_lock(&w->lock);
	if (w->state == JOB_POSTED) {
		uint64_t t0;

		w->state = JOB_IDLE;
		pthread_mutex_unlock(&w->lock);
		t0 = now_ns();
		interp_run(w->prog, NULL, NULL, w->ctx, w->res);
		return now_ns() - t0;
	}
	while (w->state != JOB_DONE)
		pthread_cond_wait(&w->cond, &w->lock);
	w->state = JOB_IDLE;
	pthread_mutex_unlock(&w->lock);
	return w->ns;
}

/* ---- the loop ------------------------------------------------------------ */

struct loop {
	struct loop_opts opts;
	char artifacts_dir[512];
	char replay_cmd[256];
	struct exec *ex;
	uint64_t callee_addr[32];
	struct interp_worker worker;
	bool worker_running;
	struct loop_stats stats;
	struct interp_result ir;
	struct exec_result xr;
	char *prog_text;
	/* vm targets */
	struct tvm *vm;
	struct known_bugs known; /* docs/kernel-bugs/, those this kernel shows */
	char vm_arch[16], vm_kernel[512], vm_console[512];
	char desc[1024];
};

static void copy_opt(const char **dst, char *buf, size_t size)
{
	if (*dst) {
		snprintf(buf, size, "%s", *dst);
		*dst = buf;
	}
}

/* One guest for the loop's life; the generator follows what it can load
 * (docs/vm-target.md: 12 arguments with stack arguments, else 5). The
 * oracle runs the checker and the interpreter itself: no executor and no
 * worker thread here. */
static struct loop *vm_loop_start(struct loop *l, struct cf_err *err)
{
	struct tvm_opts *to = &l->opts.vm;
	char what[512];

	const char *kernel = to->kernel ? to->kernel : getenv("CALLFUZZ_KERNEL");
	enum vm_arch arch = VM_ARCH_ARM64;

	/* the arch tvm_start picks (for the replay lines): given, else the
	 * image's own, else arm64 */
	if (to->arch) {
		if (vm_arch_parse(to->arch, &arch) < 0) {
			cf_err_set(err, "unknown arch '%s' (arm64 or x86_64)", to->arch);
			free(l);
			return NULL;
		}
	} else if (kernel && *kernel && vm_image_arch(kernel, &arch, err) < 0) {
		free(l);
		return NULL;
	}
	snprintf(l->vm_arch, sizeof(l->vm_arch), "%s", vm_arch_name(arch));
	to->arch = l->vm_arch;
	copy_opt(&to->kernel, l->vm_kernel, sizeof(l->vm_kernel));
	copy_opt(&to->console_log, l->vm_console, sizeof(l->vm_console));
	to->model = l->opts.target == LOOP_TARGET_VM_MODEL;
	to->listing = true; /* a kernel JIT mismatch's report carries the JIT code */
	l->vm = tvm_start(to, err);
	if (!l->vm) {
		free(l);
		return NULL;
	}
	/* known kernel bugs: only those this kernel shows (known_bugs.c) */
	char kdir[4096], known[300];
	if (known_bugs_load(&l->known, known_bugs_dir(kdir, sizeof(kdir)), err) < 0 ||
	    known_bugs_probe(&l->known, l->vm, err) < 0) {
		known_bugs_free(&l->known);
		tvm_stop(l->vm);
	known_bugs_free(&l->known);
		free(l);
		return NULL;
	}
	known_bugs_describe(&l->known, known, sizeof(known));
	l->opts.gen.profile = GEN_PROFILE_KERNEL;
	l->opts.gen.max_args = tvm_max_args(l->vm);
	tvm_describe(l->vm, what, sizeof(what));
	snprintf(l->desc, sizeof(l->desc), "target %s: %s; profile kernel, 0..%d arguments%s; %s",
		 loop_target_name(l->opts.target), what, l->opts.gen.max_args,
		 to->model ? "; our arm64 JIT on the executor as a further voice" : "", known);
	return l;
}

struct loop *loop_start(const struct loop_opts *o, struct cf_err *err)
{
	struct loop *l = calloc(1, sizeof(*l));
	sigset_t all, old;

	if (!l) {
		cf_err_set(err, "out of memory");
		return NULL;
	}
	l->opts = *o;
	if (o->artifacts_dir) {
		snprintf(l->artifacts_dir, sizeof(l->artifacts_dir), "%s", o->artifacts_dir);
		l->opts.artifacts_dir = l->artifacts_dir;
	}
	snprintf(l->replay_cmd, sizeof(l->replay_cmd), "%s", o->replay_cmd ? o->replay_cmd : "callfuzz");
	l->opts.replay_cmd = l->replay_cmd;
	if (o->target != LOOP_TARGET_MODEL)
		return vm_loop_start(l, err);

	l->ex = exec_start(&o->exec, err);
	if (!l->ex) {
		free(l);
		return NULL;
	}
	exec_callee_addrs(l->ex, l->callee_addr, 32);

	pthread_mutex_init(&l->worker.lock, NULL);
	pthread_cond_init(&l->worker.cond, NULL);
	/* Signals (the fuzzer's SIGINT, SIGALRM, the executor's SIGCHLD) stay
	 * with the main thread: the worker blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&l->worker.thread, NULL, worker_main, &l->worker)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		cf_err_set(err, "cannot start the interpreter thread: %s", strerror(errno));
		exec_stop(l->ex);
		free(l);
		return NULL;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	l->worker_running = true;
	return l;
}

void loop_stop(struct loop *l)
{
	if (!l)
		return;
	if (l->worker_running) {
		pthread_mutex_lock(&l->worker.lock);
		l->worker.state = JOB_QUIT;
		pthread_cond_broadcast(&l->worker.cond);
		pthread_mutex_unlock(&l->worker.lock);
		pthread_join(l->worker.thread, NULL);
	}
	if (!l->vm) {
		pthread_mutex_destroy(&l->worker.lock);
		pthread_cond_destroy(&l->worker.cond);
		exec_stop(l->ex);
	}
	tvm_stop(l->vm);
	free(l->prog_text);
	free(l);
}

const struct loop_stats *loop_get_stats(const struct loop *l)
{
	return &l->stats;
}

const char *loop_runner(const struct loop *l)
{
	const struct exec_info *info;

	if (l->vm)
		return "qemu-system";
	info = exec_info(l->ex);
	return info && info->runner ? info->runner : "?";
}

void loop_describe(const struct loop *l, char *buf, size_t size)
{
	const char *lse = l->opts.lse == LOOP_LSE_ON ? "LSE" : l->opts.lse == LOOP_LSE_OFF ? "LL/SC" :
										"LSE or LL/SC per input";

	if (l->vm)
		snprintf(buf, size, "%s", l->desc);
	else
		snprintf(buf, size, "target model: our arm64 JIT on %s; profile model, 0..%d arguments; atomics %s",
			 loop_runner(l), l->opts.gen.max_args, lse);
}

const struct gen_opts *loop_gen_opts(const struct loop *l)
{
	return &l->opts.gen;
}

static uint64_t input_hash(const uint8_t *data, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 offset basis */

	for (size_t i = 0; i < len; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	return h;
}

/* Both choices come from the input's hash, so a replay makes the same. */
static bool pick_lse(enum loop_lse mode, uint64_t h)
{
	if (mode != LOOP_LSE_ALTERNATE)
		return mode == LOOP_LSE_ON;
	return !(h >> 63);
}

static bool pick_check(int check_every, uint64_t h)
{
	return check_every <= 1 || (h & 0xffffffff) % (uint64_t)check_every == 0;
}

static void count_program(struct loop_stats *st, const struct cf_prog *p)
{
	for (int f = 0; f < p->nfuncs; f++) {
		const struct cf_func *fn = &p->funcs[f];

		st->insns += (uint64_t)fn->ninsns;
		for (int i = 0; i < fn->ninsns; i++) {
			const struct bpf_insn *in = &fn->insns[i];

			if (cf_insn_is_pseudo_call(in) && in->imm >= 0 && in->imm < p->nfuncs) {
				int n = p->funcs[in->imm].nargs;

				if (n >= 0 && n <= CF_MAX_ARGS)
					st->call_nargs[n]++;
			}
		}
	}
}

/* ---- reports ---------------------------------------------------------------- */

static void print_event(FILE *f, const char *who, const struct cf_trace *t, uint32_t i, bool mark)
{
	const struct cf_event *e = &t->ev[i];
	char name[32];

	fprintf(f, "  %s event %u: %s(", who, i, compare_event_name(e->id, name, sizeof(name)));
	for (uint32_t a = 0; a < e->nargs && a < CF_MAX_ARGS; a++)
		fprintf(f, "%s0x%" PRIx64, a ? ", " : "", e->args[a]);
	fprintf(f, ")%s\n", mark ? "   <-- first divergence" : "");
}

static void print_trace(FILE *f, const char *who, const struct cf_trace *t, int mark)
{
	for (uint32_t i = 0; i < t->nevents && i < CF_TRACE_MAX; i++)
		print_event(f, who, t, i, (int)i == mark);
	if (t->dropped)
		fprintf(f, "  %s: %u events dropped past %d\n", who, t->dropped, CF_TRACE_MAX);
}

static void print_ctx(FILE *f, const char *who, const uint8_t *ctx)
{
	bool any = false;

	for (int i = 0; i < CF_CTX_SIZE; i++) {
		if (!ctx[i])
			continue;
		fprintf(f, "  %s ctx[%d] = 0x%02x\n", who, i, ctx[i]);
		any = true;
	}
	if (!any)
		fprintf(f, "  %s ctx: all zero\n", who);
}

/* Index in `to` of the event that has, among its class (stack snapshots or
 * the rest), the rank that event idx of `from` has: compare.c walks the
 * two classes separately. -1 if `to` has no such event. */
static int same_rank_event(const struct cf_trace *from, const struct cf_trace *to, int idx)
{
	bool stack;
	int rank = 0;

	if (idx < 0 || (uint32_t)idx >= from->nevents || idx >= CF_TRACE_MAX)
		return -1;
	stack = from->ev[idx].id == CF_HELPER_STACK_HASH;
	for (int i = 0; i < idx; i++)
		rank += (from->ev[i].id == CF_HELPER_STACK_HASH) == stack;
	for (uint32_t i = 0; i < to->nevents && i < CF_TRACE_MAX; i++)
		if ((to->ev[i].id == CF_HELPER_STACK_HASH) == stack && rank-- == 0)
			return (int)i;
	return -1;
}

static char *build_report(const struct loop *l, const struct loop_outcome *out, size_t input_len,
			  const struct cf_prog *p, const struct exec_result *xr, bool have_xr)
{
	const struct mismatch *m = &out->m;
	const struct interp_result *ir = &l->ir;
	const char *nolse = out->lse ? "" : " --no-lse";
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	bool jit_only = strstr(m->place, "only by the JIT") != NULL;
	int interp_mark = jit_only ? -1 : m->event;
	int jit_mark = jit_only ? m->event : have_xr ? same_rank_event(&ir->trace, &xr->trace, m->event) : -1;

	if (!f)
		return NULL;
	fprintf(f, "signature: %s\n", out->signature);
	fprintf(f, "mismatch: %s at %s", mismatch_kind_name(m->kind), m->place);
	if (m->kind == MISMATCH_TRACE || m->kind == MISMATCH_STACK || m->kind == MISMATCH_OUTBUF ||
	    m->kind == MISMATCH_RETVAL || m->kind == MISMATCH_ABI)
		fprintf(f, ": interpreter 0x%" PRIx64 ", jit 0x%" PRIx64, m->want, m->got);
	fprintf(f, "\n");
	fprintf(f, "target: model arm64 JIT on %s, atomics %s\n", loop_runner(l),
		out->lse ? "LSE" : "LL/SC (--no-lse)");
	fprintf(f, "program: %d functions, %d slots; input %zu bytes\n", p->nfuncs, cf_prog_total_insns(p),
		input_len);
	fprintf(f, "\nreplay:\n  %s run %s/prog.s%s\n", l->replay_cmd, out->artifact_dir, nolse);
	fprintf(f, "  %s jit %s/prog.s%s   (the arm64 listing)\n", l->replay_cmd, out->artifact_dir, nolse);
	fprintf(f, "  CALLFUZZ_LSE=%s build-fuzz/fuzz-diff %s/input   (the fuzz target on the bytes)\n",
		out->lse ? "on" : "off", out->artifact_dir);

	fprintf(f, "\ninterpreter: r0=0x%" PRIx64 ", %u events, %" PRIu64 " insns executed\n", ir->r0,
		ir->trace.nevents, ir->insns_executed);
	if (have_xr) {
		fprintf(f, "jit: %s, r0=0x%" PRIx64 ", %u events%s%s\n", exec_status_name(xr->status), xr->r0,
			xr->trace.nevents, xr->detail[0] ? ": " : "", xr->detail);
		if (m->kind == MISMATCH_TRACE || m->kind == MISMATCH_STACK) {
			/* The first divergence, both sides (JIT index: same class, same rank). */
			fprintf(f, "\nat the first divergence:\n");
			if (interp_mark >= 0 && (uint32_t)interp_mark < ir->trace.nevents)
				print_event(f, "interp", &ir->trace, (uint32_t)interp_mark, false);
			else
				fprintf(f, "  interp: no such event\n");
			if (jit_mark >= 0 && (uint32_t)jit_mark < xr->trace.nevents)
				print_event(f, "jit", &xr->trace, (uint32_t)jit_mark, false);
			else
				fprintf(f, "  jit: no such event\n");
		}
		fprintf(f, "\ninterpreter trace:\n");
		print_trace(f, "interp", &ir->trace, interp_mark);
		fprintf(f, "jit trace:\n");
		print_trace(f, "jit", &xr->trace, jit_mark);
		if (m->kind == MISMATCH_OUTBUF) {
			fprintf(f, "\nctx after the run (nonzero bytes; the input ctx is all zero):\n");
			print_ctx(f, "interp", ir->ctx);
			print_ctx(f, "jit", xr->ctx);
		}
		if (xr->status == EXEC_CRASH && xr->signal)
			fprintf(f, "\ncrash: signal %d, fault address 0x%" PRIx64 ", pc offset %" PRId64 " (func %d insn %d)\n",
				xr->signal, xr->fault_addr, xr->fault_pc_off, m->func, m->insn);
	}
	fclose(f);
	return text;
}

/* ---- one iteration ------------------------------------------------------------ */

static void add_ns(struct loop_stats *st, enum loop_stage s, uint64_t t0, uint64_t *t)
{
	uint64_t t1 = now_ns();

	st->stage_ns[s] += t1 - t0;
	if (t)
		*t = t1;
}

static void set_prog_text(struct loop *l, struct loop_outcome *out, const struct cf_prog *p)
{
	free(l->prog_text);
	l->prog_text = cf_asm_print(p);
	out->prog_text = l->prog_text;
}

static enum loop_verdict record_mismatch(struct loop *l, const uint8_t *data, size_t len, const struct cf_prog *p,
					 bool have_xr, struct loop_outcome *out)
{
	struct loop_stats *st = &l->stats;
	struct artifact a;
	struct cf_err err;
	char hit[400], *report;
	int rc;

	st->mismatches++;
	out->verdict = LOOP_MISMATCH;
	set_prog_text(l, out, p);
	if (!l->opts.artifacts_dir) {
		snprintf(out->artifact_dir, sizeof(out->artifact_dir), "(none)");
		return out->verdict;
	}
	snprintf(out->artifact_dir, sizeof(out->artifact_dir), "%s/%s", l->opts.artifacts_dir, out->signature);
	report = build_report(l, out, len, p, &l->xr, have_xr);
	snprintf(hit, sizeof(hit), "%ld pid=%d bytes=%zu lse=%d %s: %.200s", (long)time(NULL), (int)getpid(), len,
		 out->lse, mismatch_kind_name(out->m.kind), out->m.place);
	a = (struct artifact){ .signature = out->signature, .input = data, .input_len = len,
			       .prog_text = out->prog_text, .report = report, .hit_line = hit };
	rc = artifact_write(l->opts.artifacts_dir, &a, out->artifact_dir, sizeof(out->artifact_dir), &err);
	free(report);
	if (rc < 0) {
		snprintf(out->msg, sizeof(out->msg), "cannot write the artifact of %s: %s", out->signature, err.msg);
		out->verdict = LOOP_ERROR;
	}
	return out->verdict;
}

/* The checker's verdict on a generated program; a rejection is a generator
 * (or checker) bug, never a JIT bug (design.md "The oracle"). */
static bool checked_ok(struct loop *l, struct cf_prog *prog, struct loop_outcome *out, uint64_t *t)
{
	struct cf_check_opts copts;
	struct cf_err err;
	bool ok;

	cf_check_opts_default(&copts);
	copts.max_args = l->opts.gen.max_args;
	ok = cf_check(prog, &copts, &err) == 0;
	add_ns(&l->stats, LOOP_STAGE_CHECK, *t, t);
	l->stats.checked++;
	if (!ok) {
		l->stats.gen_bugs++;
		set_prog_text(l, out, prog);
		snprintf(out->msg, sizeof(out->msg), "generator bug: the checker rejected a generated program: %s",
			 err.msg);
		out->verdict = LOOP_GEN_BUG;
	}
	return ok;
}

/* ---- vm targets -------------------------------------------------------------- */

/* prog.s for a vm case: the ctx the case ran with as a `; ctx:` line, which
 * `callfuzz run --target vm` reads back (docs/vm-target.md), then the text. */
static void set_vm_prog_text(struct loop *l, struct loop_outcome *out, const struct tvm_case *c)
{
	char *text = cf_asm_print(c->prog), *both = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&both, &len);

	free(l->prog_text);
	l->prog_text = NULL;
	if (f) {
		fprintf(f, "; callfuzz fuzz-diff, target %s, profile kernel, max args %d\n; ctx: ",
			loop_target_name(l->opts.target), l->opts.gen.max_args);
		for (int i = 0; i < CF_CTX_SIZE; i++)
			fprintf(f, "%02x", c->ctx_in[i]);
		fprintf(f, "\n%s", text ? text : "");
		if (fclose(f)) {
			free(both);
			both = NULL;
		}
	}
	free(text);
	l->prog_text = both;
	out->prog_text = l->prog_text;
}

/* The shell-quoted --match text for vm-min: the kernel log's reason (after
 * "rejects (errno): "), cut before its first digit so that it survives
 * shrinking (offsets and registers change). */
static void vm_min_match(const struct tvm_case *c, char *buf, size_t size)
{
	const char *r = strstr(c->m.place, "): ");
	size_t n = 0;

	r = r ? r + 3 : c->m.place;
	while (r[n] && !isdigit((unsigned char)r[n]) && r[n] != '\'' && n + 1 < size && n < 40)
		n++;
	while (n && (r[n - 1] == ' ' || r[n - 1] == '-' || r[n - 1] == '('))
		n--;
	snprintf(buf, size, "%.*s", (int)n, r);
}

static char *build_vm_report(const struct loop *l, const struct loop_outcome *out, const struct tvm_case *c,
			     size_t input_len)
{
	const struct tvm_opts *to = &l->opts.vm;
	char *text = NULL, kopt[600] = "", match[64];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	if (to->kernel)
		snprintf(kopt, sizeof(kopt), " --kernel %s", to->kernel);
	fprintf(f, "signature: %s\n", out->signature);
	fprintf(f, "mismatch: %s (%s) at %s\n", mismatch_kind_name(c->m.kind), c->mvoice_name, c->m.place);
	const struct known_bug *kb = known_bugs_match(&l->known, c);
	if (kb)
		fprintf(f, "known: a known kernel bug, docs/kernel-bugs/%s (seen on %s; this kernel's reproducer: %s); "
			   "not counted as a mismatch\n", kb->name, kb->seen, kb->probe);
	fprintf(f, "%s\n", l->desc);
	fprintf(f, "program: %d functions, %d slots; input %zu bytes\n", c->prog->nfuncs,
		cf_prog_total_insns(c->prog), input_len);
	fprintf(f, "\nreplay:\n  %s run --target %s --arch %s%s %s/prog.s\n", l->replay_cmd,
		loop_target_name(l->opts.target), l->vm_arch, kopt, out->artifact_dir);
	if (c->m.kind == MISMATCH_VERIFIER) {
		vm_min_match(c, match, sizeof(match));
		fprintf(f, "  %s vm-min --arch %s%s --match '%s' -o %s/min.s %s/prog.s   (shrink)\n", l->replay_cmd,
			l->vm_arch, kopt, match, out->artifact_dir, out->artifact_dir);
	}
	fprintf(f, "  CALLFUZZ_TARGET=%s CALLFUZZ_ARCH=%s build-fuzz/fuzz-diff %s/input   (the fuzz target on the bytes)\n",
		loop_target_name(l->opts.target), l->vm_arch, out->artifact_dir);
	if (c->crash && c->crash[0])
		fprintf(f, "  (the guest console's text is in %s/console.txt)\n", out->artifact_dir);
	fprintf(f, "\n");
	tvm_print_case(l->vm, c, f);
	fclose(f);
	return text;
}

static enum loop_verdict vm_record_mismatch(struct loop *l, const uint8_t *data, size_t len,
					    const struct tvm_case *c, struct loop_outcome *out)
{
	struct artifact a;
	struct cf_err err;
	char hit[400], *report;

	out->verdict = LOOP_MISMATCH;
	out->m = c->m;
	const struct known_bug *kb = known_bugs_match(&l->known, c);
	if (kb)
		snprintf(out->signature, sizeof(out->signature), "%s", kb->signature);
	else
		tvm_signature(c, out->signature, sizeof(out->signature), &out->known);
	out->known = kb != NULL;
	if (out->known)
		l->stats.known_bugs++;
	else
		l->stats.mismatches++;
	set_vm_prog_text(l, out, c);
	if (!l->opts.artifacts_dir) {
		snprintf(out->artifact_dir, sizeof(out->artifact_dir), "(none)");
		return out->verdict;
	}
	snprintf(out->artifact_dir, sizeof(out->artifact_dir), "%s/%s", l->opts.artifacts_dir, out->signature);
	report = build_vm_report(l, out, c, len);
	snprintf(hit, sizeof(hit), "%ld pid=%d bytes=%zu lse=1 %s (%s): %.200s", (long)time(NULL), (int)getpid(),
		 len, mismatch_kind_name(c->m.kind), c->mvoice_name, c->m.place);
	a = (struct artifact){ .signature = out->signature, .input = data, .input_len = len,
			       .prog_text = out->prog_text, .report = report, .hit_line = hit,
			       .console = c->crash && c->crash[0] ? c->crash : NULL };
	if (artifact_write(l->opts.artifacts_dir, &a, out->artifact_dir, sizeof(out->artifact_dir), &err) < 0) {
		snprintf(out->msg, sizeof(out->msg), "cannot write the artifact of %s: %s", out->signature, err.msg);
		out->verdict = LOOP_ERROR;
	}
	free(report);
	return out->verdict;
}

/* One input through the vm oracle, as one case (docs/vm-target.md "The
 * oracle"). The ctx comes from the input's hash, like vm-fuzz's from its
 * seed: nonzero, so that the kernel profile's ctx reads see data. */
static enum loop_verdict vm_run_input(struct loop *l, const uint8_t *data, size_t len, struct loop_outcome *out)
{
	struct loop_stats *st = &l->stats;
	struct tvm_case c;
	struct cf_prog prog;
	struct cf_err err;
	uint64_t t_start = now_ns(), t = t_start, h = input_hash(data, len);

	out->lse = true; /* the model voice of target_vm.c uses LSE */
	if (gen_program(data, len, &l->opts.gen, &prog, &err)) {
		snprintf(out->msg, sizeof(out->msg), "gen_program: %s", err.msg);
		out->verdict = LOOP_ERROR;
		return out->verdict;
	}
	add_ns(st, LOOP_STAGE_GEN, t, &t);
	memset(&c, 0, sizeof(c));
	c.prog = &prog;
	for (int k = 0; k < CF_CTX_SIZE; k++)
		c.ctx_in[k] = (uint8_t)(k * 37 + (h >> (8 * (k & 7))));
	if (tvm_run(l->vm, &c, 1, &err) < 0) {
		snprintf(out->msg, sizeof(out->msg), "vm: %s", err.msg);
		out->verdict = LOOP_ERROR;
		goto out;
	}
	add_ns(st, LOOP_STAGE_EXEC, t, &t);
	st->checked++;
	st->exec_restarts = (uint64_t)(tvm_get_stats(l->vm)->boots > 1 ? tvm_get_stats(l->vm)->boots - 1 : 0);
	count_program(st, &prog);
	/* design.md "The oracle": the checker (with the kernel's options)
	 * rejecting a generated program, or the interpreter faulting on one it
	 * accepts, is a generator (or checker/interpreter) bug. */
	if (!c.checker_ok || c.interp_fault) {
		st->gen_bugs++;
		set_vm_prog_text(l, out, &c);
		if (!c.checker_ok)
			snprintf(out->msg, sizeof(out->msg),
				 "generator bug: the checker (kernel options) rejected a generated program: %s",
				 c.checker_msg);
		else
			snprintf(out->msg, sizeof(out->msg),
				 "generator bug: the interpreter %s on a program the checker accepted: %s",
				 c.ir.status == INTERP_TIMEOUT ? "ran out of instructions" : "faulted", c.ir.fault);
		out->verdict = LOOP_GEN_BUG;
		goto out;
	}
	st->programs++;
	st->interp_insns += c.ir.insns_executed;
	for (int i = 0; i < c.nvoices; i++)
		st->vm_interp_voice += c.voice[i].kind == TVM_KERNEL_INTERP && c.voice[i].ran;
	if (c.m.kind != MISMATCH_NONE) {
		vm_record_mismatch(l, data, len, &c, out);
		add_ns(st, LOOP_STAGE_ARTIFACT, t, &t);
	}
out:
	st->wall_ns += now_ns() - t_start;
	tvm_case_release(&c);
	cf_prog_free(&prog);
	return out->verdict;
}

enum loop_verdict loop_run_input(struct loop *l, const uint8_t *data, size_t len, struct loop_outcome *out)
{
	static const uint8_t zero_ctx[CF_CTX_SIZE];
	struct loop_stats *st = &l->stats;
	struct jit_opts jopts = { 0 };
	struct jit_image img = { 0 };
	struct cf_prog prog;
	struct cf_err err;
	uint64_t t_start = now_ns(), t = t_start, h = input_hash(data, len);
	bool jit_ok, have_xr = false, checked = pick_check(l->opts.check_every, h);
	int restarts;

	memset(&out->m, 0, sizeof(out->m));
	out->known = false;
	out->verdict = LOOP_EQUAL;
	out->signature[0] = out->artifact_dir[0] = out->msg[0] = 0;
	out->prog_text = NULL;
	out->lse = pick_lse(l->opts.lse, h);
	if (l->vm)
		return vm_run_input(l, data, len, out);
	restarts = exec_restarts(l->ex);

	if (gen_program(data, len, &l->opts.gen, &prog, &err)) {
		snprintf(out->msg, sizeof(out->msg), "gen_program: %s", err.msg);
		out->verdict = LOOP_ERROR;
		return out->verdict;
	}
	add_ns(st, LOOP_STAGE_GEN, t, &t);

	if (checked && !checked_ok(l, &prog, out, &t)) {
		cf_prog_free(&prog);
		return out->verdict;
	}
	count_program(st, &prog);

	jopts.lse_atomics = out->lse;
	memcpy(jopts.callee_addr, l->callee_addr, sizeof(jopts.callee_addr));
	exec_prepare(l->ex); /* wakes it during the JIT if it gave up spinning */
	jit_ok = jit_compile(&prog, &jopts, &img, &err) == 0;
	add_ns(st, LOOP_STAGE_JIT, t, &t);

	/* The interpreter runs while the executor runs. Posted after the JIT:
	 * waking the worker can preempt this thread, which costs nothing once
	 * it sleeps in exec_run. */
	if (l->opts.serial) {
		interp_run(&prog, NULL, NULL, zero_ctx, &l->ir);
		add_ns(st, LOOP_STAGE_INTERP, t, &t);
	} else {
		worker_post(&l->worker, &prog, zero_ctx, &l->ir);
	}
	if (jit_ok) {
		if (exec_run(l->ex, img.code, img.ncode, img.entry, zero_ctx, &l->xr, &err)) {
			if (!l->opts.serial)
				st->stage_ns[LOOP_STAGE_INTERP] += worker_wait(&l->worker);
			snprintf(out->msg, sizeof(out->msg), "executor: %s", err.msg);
			out->verdict = LOOP_ERROR;
			goto out;
		}
		have_xr = true;
		st->lse_programs += out->lse;
		add_ns(st, LOOP_STAGE_EXEC, t, &t);
	}
	if (!l->opts.serial) {
		st->stage_ns[LOOP_STAGE_INTERP] += worker_wait(&l->worker);
		add_ns(st, LOOP_STAGE_WAIT, t, &t);
	}
	st->interp_insns += l->ir.insns_executed;
	st->exec_restarts += (uint64_t)(exec_restarts(l->ex) - restarts);

	/* design.md "The oracle": an interpreter that does not reach exit on
	 * a checked program is a generator (or checker/interpreter) bug. */
	if (l->ir.status != INTERP_OK) {
		st->gen_bugs++;
		set_prog_text(l, out, &prog);
		snprintf(out->msg, sizeof(out->msg),
			 "generator bug: the interpreter %s on a program the checker accepted: %s",
			 l->ir.status == INTERP_TIMEOUT ? "ran out of instructions" : "faulted", l->ir.fault);
		out->verdict = LOOP_GEN_BUG;
		goto out;
	}

	st->programs++;
	if (!jit_ok)
		mismatch_jit_reject(&out->m, err.msg);
	else
		compare_results(&l->ir, &l->xr, &img, &prog, &out->m);
	if (out->m.kind != MISMATCH_NONE)
		mismatch_signature(&out->m, &l->ir, have_xr ? &l->xr : NULL, &prog, out->signature,
			       sizeof(out->signature));
	add_ns(st, LOOP_STAGE_COMPARE, t, &t);
	/* A mismatch is reported only on a program the checker accepts. */
	if (out->m.kind != MISMATCH_NONE && !checked && !checked_ok(l, &prog, out, &t))
		goto out;
	if (out->m.kind != MISMATCH_NONE) {
		record_mismatch(l, data, len, &prog, have_xr, out);
		add_ns(st, LOOP_STAGE_ARTIFACT, t, &t);
	}
out:
	st->wall_ns += now_ns() - t_start;
	jit_image_free(&img);
	cf_prog_free(&prog);
	return out->verdict;
}

/* ---- stats file ----------------------------------------------------------------- */

int loop_stats_write(const struct loop_stats *s, const char *path)
{
	char tmp[1024];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	fprintf(f, "programs %" PRIu64 "\n", s->programs);
	fprintf(f, "mismatches %" PRIu64 "\n", s->mismatches);
	fprintf(f, "known_bugs %" PRIu64 "\n", s->known_bugs);
	fprintf(f, "gen_bugs %" PRIu64 "\n", s->gen_bugs);
	fprintf(f, "checked %" PRIu64 "\n", s->checked);
	fprintf(f, "lse_programs %" PRIu64 "\n", s->lse_programs);
	fprintf(f, "insns %" PRIu64 "\n", s->insns);
	fprintf(f, "interp_insns %" PRIu64 "\n", s->interp_insns);
	fprintf(f, "exec_restarts %" PRIu64 "\n", s->exec_restarts);
	fprintf(f, "vm_interp_voice %" PRIu64 "\n", s->vm_interp_voice);
	fprintf(f, "wall_ns %" PRIu64 "\n", s->wall_ns);
	for (int i = 0; i < LOOP_NSTAGES; i++)
		fprintf(f, "ns_%s %" PRIu64 "\n", loop_stage_name(i), s->stage_ns[i]);
	for (int n = 0; n <= CF_MAX_ARGS; n++)
		fprintf(f, "calls_nargs%d %" PRIu64 "\n", n, s->call_nargs[n]);
	if (fclose(f)) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* harness/target/target.c: the target interface (target.h, "the target
 * interface"): a batch of programs through the checker and the reference
 * interpreter on the host, then through every voice of the target -- a
 * real kernel's JIT and interpreter under qemu-system, our JIT on the
 * executor, the host kernel through bpf() -- each compared with the
 * interpreter in one vocabulary.
 *
 * Costs (kernels.md: load 1-6 ms, run 0.1-0.3 ms, round trip 0.4 ms): all
 * cases of a call travel in one BATCH per kernel voice, LOAD/RUN/CLOSE
 * each; the interpreter voice wraps its loads in SET_JIT 0 ... SET_JIT 1
 * inside its batch, so switching costs no extra round trip. On the model
 * target the interpreter runs on a worker thread while the executor runs
 * the JIT code (the two take about as long). */
#define _GNU_SOURCE
#include "harness/target/target.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the interpreter thread (model target) ---------------------------------
 * One job at a time: target_run posts a program, JIT-compiles it and runs it
 * on the executor, then waits for the job. */

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

/* A batch between target_run_send and target_run_recv: its cases, the
 * cases of each kernel voice (idx: JIT's at 0, the interpreter's at n), the
 * requests in t->reqs, and how the send went. */
struct target_flight {
	bool on;
	struct target_case *cases;
	int n;
	int *idx;
	int m[2];
	int nr;
	enum vm_status st;
};

struct target {
	struct target_opts opts;
	enum vm_arch arch;
	struct vm *vm;             /* vm targets */
	struct exec *ex;           /* model voice */
	uint64_t callee_addr[32];  /* model voice: the executor's callees */
	int exec_restarts0;
	struct interp_worker worker; /* model target: the interpreter's thread */
	bool worker_running;
	struct kernel_probe host;  /* host target */
	struct known_bugs known;   /* kernel targets: the catalogue, probed at open */
	char names[TARGET_NVOICE_KINDS][64];
	char kernel_path[512];
	struct target_stats stats;
	struct vm_req *reqs;       /* reused between batches */
	int reqs_cap;
	struct target_flight flight; /* target_run_send's batch */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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

static int worker_start(struct interp_worker *w, struct cf_err *err)
{
	sigset_t all, old;
	int rc;

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	/* Signals (the fuzzer's SIGINT, SIGALRM, the executor's SIGCHLD) stay
	 * with the calling thread: the worker blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		cf_err_set(err, "cannot start the interpreter thread: %s", strerror(rc));
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		return -1;
	}
	return 0;
}

static void worker_stop(struct interp_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->state = JOB_QUIT;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
}

/* ---- kinds --------------------------------------------------------------- */

int target_kind_parse(const char *name, enum target_kind *out)
{
	if (!strcmp(name, "model"))
		*out = TARGET_MODEL;
	else if (!strcmp(name, "vm"))
		*out = TARGET_VM;
	else if (!strcmp(name, "vm,model") || !strcmp(name, "model,vm"))
		*out = TARGET_VM_MODEL;
	else if (!strcmp(name, "kernel") || !strcmp(name, "host"))
		*out = TARGET_HOST;
	else
		return -1;
	return 0;
}

const char *target_kind_name(enum target_kind k)
{
	switch (k) {
	case TARGET_MODEL: return "model";
	case TARGET_VM: return "vm";
	case TARGET_VM_MODEL: return "vm,model";
	case TARGET_HOST: return "kernel";
	}
	return "?";
}

bool target_kind_vm(enum target_kind k)
{
	return k == TARGET_VM || k == TARGET_VM_MODEL;
}

void target_opts_default(struct target_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = TARGET_MODEL;
}

/* ---- open / close -------------------------------------------------------- */

static int open_vm(struct target *t, struct cf_err *err)
{
	const struct target_opts *o = &t->opts;
	const struct vm_info *in;
	struct vm_opts vo;
	char rel[32];

	if (o->arch) {
		if (vm_arch_parse(o->arch, &t->arch) < 0) {
			cf_err_set(err, "unknown arch '%s' (arm64 or x86_64)", o->arch);
			return -1;
		}
	} else if (o->kernel && vm_image_arch(o->kernel, &t->arch, err) < 0) {
		return -1;
	}
	vm_opts_default(&vo, t->arch);
	vo.kernel = o->kernel;
	vo.console_log = o->console_log;
	vo.accel = o->accel;
	vo.pauth = o->pauth;
	if (o->req_timeout_ms > 0)
		vo.req_timeout_ms = o->req_timeout_ms;
	{
		/* absolute: a bucket's `target` file is read from anywhere */
		const char *k = o->kernel ? o->kernel : vm_default_kernel(t->arch);
		char abs[PATH_MAX];

		snprintf(t->kernel_path, sizeof(t->kernel_path), "%.500s", !k ? "" : realpath(k, abs) ? abs : k);
	}
	t->vm = vm_start(&vo, err);
	if (!t->vm)
		return -1;
	in = vm_get_info(t->vm);
	t->stats.boot_ms = in->boot_ms;
	/* "7.2.13+deb14-cloud-arm64" -> "7.2.13" */
	snprintf(rel, sizeof(rel), "%.*s", (int)strcspn(in->release, "+-"), in->release);
	snprintf(t->names[TARGET_VOICE_KERNEL_JIT], sizeof(t->names[0]), "kernel JIT %s %s", vm_arch_name(t->arch),
		 rel);
	snprintf(t->names[TARGET_VOICE_KERNEL_INTERP], sizeof(t->names[0]), "kernel interpreter %s", rel);
	return 0;
}

static int open_model(struct target *t, struct cf_err *err)
{
	t->ex = exec_start(&t->opts.exec, err);
	if (!t->ex)
		return -1;
	t->exec_restarts0 = exec_restarts(t->ex);
	exec_callee_addrs(t->ex, t->callee_addr, 32);
	/* Without a kernel voice the interpreter has the host to itself while
	 * the executor runs: overlap them. */
	if (t->opts.kind == TARGET_MODEL && !t->opts.serial) {
		if (worker_start(&t->worker, err) < 0)
			return -1;
		t->worker_running = true;
	}
	return 0;
}

static int open_host(struct target *t, struct cf_err *err)
{
	if (kernel_probe(&t->host) < 0) {
		cf_err_set(err, "host kernel probe: %s", t->host.msg);
		return -1;
	}
	if (!t->host.bpf_allowed) {
		cf_err_set(err, "the host kernel refuses bpf(): %.400s (run as root, or with CAP_BPF and "
				"CAP_PERFMON)", t->host.msg);
		return -1;
	}
	snprintf(t->names[TARGET_VOICE_HOST], sizeof(t->names[0]), "host kernel %.40s", t->host.release);
	return 0;
}

struct target *target_open(const struct target_opts *o, struct cf_err *err)
{
	struct target *t = calloc(1, sizeof(*t));

	if (!t) {
		cf_err_set(err, "out of memory");
		return NULL;
	}
	t->opts = *o;
	t->arch = VM_ARCH_ARM64;
	snprintf(t->names[TARGET_VOICE_MODEL_JIT], sizeof(t->names[0]), "callfuzz JIT arm64 (executor)");
	if (target_kind_vm(o->kind) && open_vm(t, err) < 0)
		goto fail;
	if ((o->kind == TARGET_MODEL || o->kind == TARGET_VM_MODEL) && open_model(t, err) < 0)
		goto fail;
	if (o->kind == TARGET_HOST && open_host(t, err) < 0)
		goto fail;
	/* A bug is known to this run only if this kernel shows it: its
	 * reproducer runs now (docs/kernel-bugs/README.md). */
	if (o->kind != TARGET_MODEL && o->known_bugs_dir &&
	    (known_bugs_load(&t->known, o->known_bugs_dir, err) < 0 || known_bugs_probe(&t->known, t, err) < 0))
		goto fail;
	t->opts.known_bugs_dir = NULL;
	/* the paths in opts are the caller's: keep only our copy */
	t->opts.kernel = t->kernel_path[0] ? t->kernel_path : NULL;
	t->opts.arch = NULL;
	t->opts.console_log = NULL;
	return t;
fail:
	target_close(t);
	return NULL;
}

void target_close(struct target *t)
{
	if (!t)
		return;
	if (t->worker_running)
		worker_stop(&t->worker);
	known_bugs_free(&t->known);
	vm_stop(t->vm);
	if (t->ex)
		exec_stop(t->ex);
	free(t->reqs);
	free(t->flight.idx); /* a batch never received */
	free(t);
}

enum target_kind target_get_kind(const struct target *t)
{
	return t->opts.kind;
}

int target_max_args(const struct target *t)
{
	if (t->vm)
		return vm_get_info(t->vm)->stack_args ? CF_MAX_ARGS : CF_MAX_REG_ARGS;
	if (t->opts.kind == TARGET_HOST)
		return t->host.max_args;
	return CF_MAX_ARGS;
}

void target_check_opts(const struct target *t, struct cf_check_opts *o)
{
	cf_check_opts_default(o);
	o->max_args = target_max_args(t);
	if (t->opts.kind == TARGET_MODEL)
		return;
	o->model_callees = false; /* a kernel has none of the model's helpers */
	o->maps = t->opts.kind == TARGET_VM; /* the agent creates them; our JIT has none */
	o->raw_tp = t->opts.kind == TARGET_VM; /* test runs of RAW_TRACEPOINT programs */
	if (t->opts.kind == TARGET_HOST)
		o->ctx_moved_ok = t->host.ctx_moved_ok;
	/* a kernel with stack arguments is 7.2: its helpers, may_goto and 16
	 * call frames (docs/kernel-paths.md); the host target keeps the
	 * subset every kernel since 6.1 takes */
	if (t->vm && vm_get_info(t->vm)->stack_args) {
		o->kernel_paths = true;
		o->max_frames = CF_MAX_FRAMES;
		/* kfuncs where the kernel's BTF names them (the agent's probe) */
		o->kfuncs = vm_get_info(t->vm)->kfuncs;
	}
}

const char *target_voice_name(const struct target *t, enum target_voice_kind k)
{
	return t->names[k];
}

void target_describe(const struct target *t, char *buf, size_t size)
{
	if (t->vm) {
		const struct vm_info *in = vm_get_info(t->vm);

		snprintf(buf, size, "kernel %s (%s), command line \"%s\", %s, boot %.1f s, stack arguments: %s, JIT: %s%s",
			 in->release, in->machine, in->cmdline, in->accel, in->boot_ms / 1000, in->stack_args ? "yes" : "no",
			 in->jit_on ? "on" : "off",
			 in->jit_switchable ? " (switchable: the kernel's interpreter is a second voice)" : "");
		if (in->kcov) {
			size_t len = strlen(buf);

			snprintf(buf + len, size - len, ", KCOV: yes%s", t->opts.kcov ? " (PCs per program)" : "");
		}
		if (in->stack_args) {
			size_t len = strlen(buf);

			if (in->kfuncs)
				snprintf(buf + len, size - len, ", kfuncs: bpf_iter_num_* (BTF ids %d, %d, %d)",
					 in->kfunc[0].btf_id, in->kfunc[1].btf_id, in->kfunc[2].btf_id);
			else
				snprintf(buf + len, size - len, ", kfuncs: off (%.300s)",
					 in->kfunc_note[0] ? in->kfunc_note : "the agent found none");
		}
	} else if (t->opts.kind == TARGET_HOST) {
		snprintf(buf, size, "host kernel %s, stack arguments: %s", t->host.release,
			 t->host.stack_args ? "yes" : "no");
	} else {
		const struct exec_info *info = exec_info(t->ex);

		snprintf(buf, size, "our arm64 JIT on %s", info && info->runner ? info->runner : "?");
	}
	if (t->known.n) {
		size_t len = strlen(buf);
		char known[512];

		known_bugs_describe(&t->known, known, sizeof(known));
		snprintf(buf + len, size - len, "; %s", known);
	}
}

bool target_kcov(const struct target *t)
{
	return t->vm && t->opts.kcov && vm_get_info(t->vm)->kcov;
}

/* The PCs of a KCOV answer onto the case's (a second kernel voice adds its own). */
static void add_kcov_pcs(struct target_case *c, const struct vm_req *r)
{
	size_t total;
	uint64_t *pcs;
	uint32_t *hits;

	if (r->err)
		return;
	c->kcov_lost += r->pcs_lost;
	if (!r->npcs)
		return;
	total = (size_t)c->nkcov_pcs + r->npcs;
	pcs = realloc(c->kcov_pcs, total * sizeof(*pcs));
	if (pcs)
		c->kcov_pcs = pcs;
	hits = realloc(c->kcov_hits, total * sizeof(*hits));
	if (hits)
		c->kcov_hits = hits;
	if (!pcs || !hits)
		return;
	memcpy(pcs + c->nkcov_pcs, r->pcs, (size_t)r->npcs * sizeof(*pcs));
	memcpy(hits + c->nkcov_pcs, r->pc_hits, (size_t)r->npcs * sizeof(*hits));
	c->nkcov_pcs = (uint32_t)total;
}

void target_get_id(const struct target *t, struct target_id *id)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->kind, sizeof(id->kind), "%s", target_kind_name(t->opts.kind));
	if (t->vm) {
		snprintf(id->arch, sizeof(id->arch), "%s", vm_arch_name(t->arch));
		snprintf(id->kernel, sizeof(id->kernel), "%s", t->kernel_path);
		snprintf(id->release, sizeof(id->release), "%s", vm_get_info(t->vm)->release);
		snprintf(id->runner, sizeof(id->runner), "qemu-system");
		snprintf(id->cmdline, sizeof(id->cmdline), "%s", vm_get_info(t->vm)->cmdline);
	} else if (t->opts.kind == TARGET_HOST) {
		struct utsname u;

		snprintf(id->arch, sizeof(id->arch), "%.15s", uname(&u) == 0 ? u.machine : "?");
		snprintf(id->release, sizeof(id->release), "%s", t->host.release);
		snprintf(id->runner, sizeof(id->runner), "bpf()");
	} else {
		const struct exec_info *info = exec_info(t->ex);

		snprintf(id->arch, sizeof(id->arch), "arm64");
		snprintf(id->runner, sizeof(id->runner), "%s", info && info->runner ? info->runner : "?");
	}
}

const struct target_stats *target_get_stats(const struct target *t)
{
	return &t->stats;
}

const struct exec_info *target_exec_info(const struct target *t)
{
	return t->ex ? exec_info(t->ex) : NULL;
}

void target_case_release(struct target_case *c)
{
	free(c->kernel_log);
	free(c->crash);
	free(c->listing);
	if (c->img)
		jit_image_free(c->img);
	free(c->img);
	free(c->xr);
	free(c->kcov_pcs);
	free(c->kcov_hits);
	c->kcov_pcs = NULL;
	c->kcov_hits = NULL;
	c->kcov_lost = 0;
	c->nkcov_pcs = 0;
	kreport_release(&c->report);
	memset(&c->report, 0, sizeof(c->report));
	c->kernel_log = c->crash = c->listing = NULL;
	c->img = NULL;
	c->xr = NULL;
}

/* ---- target ids -------------------------------------------------------------- */

int target_id_write(const struct target_id *id, FILE *out)
{
	fprintf(out, "target %s\narch %s\n", id->kind, id->arch);
	if (id->kernel[0])
		fprintf(out, "kernel %s\n", id->kernel);
	if (id->release[0])
		fprintf(out, "release %s\n", id->release);
	if (id->runner[0])
		fprintf(out, "runner %s\n", id->runner);
	if (id->cmdline[0])
		fprintf(out, "cmdline %s\n", id->cmdline);
	return ferror(out) ? -1 : 0;
}

int target_id_read(const char *path, struct target_id *id, struct cf_err *err)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	memset(id, 0, sizeof(*id));
	if (!f) {
		cf_err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ' ');

		line[strcspn(line, "\n")] = 0;
		if (!v)
			continue;
		*v++ = 0;
		if (!strcmp(line, "target"))
			snprintf(id->kind, sizeof(id->kind), "%s", v);
		else if (!strcmp(line, "arch"))
			snprintf(id->arch, sizeof(id->arch), "%s", v);
		else if (!strcmp(line, "kernel"))
			snprintf(id->kernel, sizeof(id->kernel), "%s", v);
		else if (!strcmp(line, "release"))
			snprintf(id->release, sizeof(id->release), "%s", v);
		else if (!strcmp(line, "runner"))
			snprintf(id->runner, sizeof(id->runner), "%s", v);
		else if (!strcmp(line, "cmdline"))
			snprintf(id->cmdline, sizeof(id->cmdline), "%s", v);
	}
	fclose(f);
	return 0;
}

bool target_id_pauth(const struct target_id *id)
{
	return !strcmp(id->arch, "arm64") && id->cmdline[0] && !strstr(id->cmdline, "arm64.nopauth");
}

/* ---- the kernel's JIT code, annotated ------------------------------------ */

/* The BPF instruction at flat slot `slot`, in our text format. */
static void bpf_text(const struct cf_prog *p, int slot, char *buf, size_t size)
{
	int start = 0;

	buf[0] = 0;
	for (int fi = 0; fi < p->nfuncs; fi++) {
		if (slot < start + p->funcs[fi].ninsns) {
			cf_asm_print_insn(buf, size, p, fi, slot - start);
			return;
		}
		start += p->funcs[fi].ninsns;
	}
}

void vm_print_jit(FILE *out, const struct vm_jit *j, const struct cf_prog *p, enum vm_arch arch)
{
	char dir[] = "/tmp/callfuzz-jit.XXXXXX", bin[64], obj[64], cmd[512], line[512];
	FILE *f;

	fprintf(out, "jit: %u bytes, %d function(s), %u bytes of rewritten bytecode\n", j->len, j->nfuncs,
		j->xlated_len);
	if (!j->len || !mkdtemp(dir))
		return;
	snprintf(bin, sizeof(bin), "%s/image", dir);
	snprintf(obj, sizeof(obj), "%s/image.o", dir);
	f = fopen(bin, "wb");
	if (f) {
		fwrite(j->image, 1, j->len, f);
		fclose(f);
	}
	/* llvm-objdump reads no raw binaries: wrap the bytes in an ELF .text */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && llvm-objcopy-19 -I binary -O %s --rename-section=.data=.text,alloc,code,contents "
		 "image image.o 2>&1 && llvm-objdump-19 -d --no-show-raw-insn %s image.o 2>&1",
		 dir, arch == VM_ARCH_ARM64 ? "elf64-littleaarch64" : "elf64-x86-64",
		 arch == VM_ARCH_X86_64 ? "-M intel" : "");
	f = popen(cmd, "r");
	if (!f) {
		fprintf(out, "jit: cannot run llvm-objdump-19 (install llvm-19)\n");
	} else {
		int fn = 0, li = 0;
		bool any = false;

		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');
			char *end;
			unsigned long off = strtoul(line, &end, 16);

			if (!colon || end != colon || end == line || !isspace((unsigned char)line[0])) {
				if (strstr(line, "not found") || strstr(line, "No such file"))
					fprintf(out, "jit: %s", line);
				continue;
			}
			any = true;
			while (fn < j->nfuncs && off >= j->func_offs[fn]) {
				fprintf(out, "%s%s:\n", fn ? "\n" : "", fn < p->nfuncs ? p->funcs[fn].name : "?");
				fn++;
			}
			/* jited_line_info: the first native insn of each BPF insn */
			while (li < j->nlines && j->lines[li].image_off >= 0 &&
			       (unsigned long)j->lines[li].image_off <= off) {
				char text[160];

				bpf_text(p, j->lines[li].slot, text, sizeof(text));
				fprintf(out, "    ; %d: %s\n", j->lines[li].slot, text);
				li++;
			}
			fprintf(out, "%s", line);
		}
		if (pclose(f) != 0 && !any)
			fprintf(out, "jit: llvm-objcopy-19/llvm-objdump-19 failed (install llvm-19)\n");
	}
	unlink(obj);
	unlink(bin);
	rmdir(dir);
}

/* Loads p again with line_info, fetches the JIT image and disassembles it. */
static char *jit_listing(struct target *t, const struct cf_prog *p)
{
	/* the PCs (KCOV) and the kernel log (KMSG) of this load are taken and
	 * dropped: they are no case's, and a report the load prints again
	 * must not land on the next program */
	struct vm_req r[5] = {
		{ .kind = VM_REQ_LOAD, .prog = p, .line_info = true },
		{ .kind = VM_REQ_JIT_INFO, .handle = VM_HANDLE_LAST },
		{ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST },
	};
	int nr = 3;
	struct cf_err err;
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	if (target_kcov(t))
		r[nr++] = (struct vm_req){ .kind = VM_REQ_KCOV };
	if (vm_get_info(t->vm)->kmsg)
		r[nr++] = (struct vm_req){ .kind = VM_REQ_KMSG };
	if (vm_batch(t->vm, r, nr, &err) != VM_OK)
		fprintf(out, "jit: guest lost while fetching the JIT image: %s\n", err.msg);
	else if (r[0].err)
		fprintf(out, "jit: the load with line_info failed (%s)\n", strerror(r[0].err));
	else if (r[1].err)
		fprintf(out, "jit: BPF_OBJ_GET_INFO_BY_FD failed (%s)\n", strerror(r[1].err));
	else
		vm_print_jit(out, &r[1].jit, p, t->arch);
	vm_req_release(r, nr);
	fclose(out);
	return text;
}

/* ---- batches ------------------------------------------------------------- */

static bool all_reg_args(const struct cf_prog *p)
{
	for (int i = 0; i < p->nfuncs; i++)
		if (p->funcs[i].nargs > CF_MAX_REG_ARGS)
			return false;
	for (int k = 0; k < p->ntails; k++)
		if (!all_reg_args(&p->tails[k]))
			return false;
	return true;
}

/* Programs 7.2 runs only JITed, so the kernel's interpreter is no voice for
 * them (docs/kernel-paths.md): a kfunc call (kernel/bpf/verifier.c
 * add_kfunc_call); a may_goto in a frame that its count pushes past 512
 * bytes; arm64's bpf_jit_inlines_helper_call
 * (arch/arm64/net/bpf_jit_comp.c) claims bpf_get_smp_processor_id whether
 * or not the JIT is on, and do_misc_fixups then marks the program
 * jit_required ("program requires BPF JIT compiler but it is not
 * available"); a callback's address (BPF_PSEUDO_FUNC) is refused without
 * the JIT (kernel/bpf/fixups.c: "callbacks are not allowed in non-JITed
 * programs"), and so is a frame of more than 496 bytes with a may_goto. */
static bool needs_jit(const struct cf_prog *p)
{
	/* tail calls (docs/kernel-paths.md "Tail calls"): without the JIT a
	 * program with a tail call and more than one function is refused
	 * (kernel/bpf/verifier.c "mixing of tail_calls and bpf-to-bpf calls
	 * is not supported": bpf_allow_tail_call_in_subprogs wants
	 * jit_requested); the targets load beside the program */
	for (int k = 0; k < p->ntails; k++)
		if (needs_jit(&p->tails[k]))
			return true;
	if (p->nfuncs > 1)
		for (int fi = 0; fi < p->nfuncs; fi++)
			if (cf_func_has_tail_call(&p->funcs[fi]))
				return true;
	for (int fi = 0; fi < p->nfuncs; fi++)
		for (int pc = 0; pc < p->funcs[fi].ninsns; pc++) {
			const struct bpf_insn *i = &p->funcs[fi].insns[pc];

			/* fixups.c bpf_do_misc_fixups: may_goto's count takes 16
			 * bytes more of the frame (the timed variant, which both
			 * JITs support), and without the JIT a frame past 512
			 * is "stack size %d(extra %d) is too large" */
			if (cf_insn_is_may_goto(i) && p->funcs[fi].stack_size + 16 > CF_STACK_MAX)
				return true;

			if (cf_insn_is_pseudo_func(i))
				return true;
			/* add_kfunc_call: "JIT is required for calling kernel function" */
			if (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_KFUNC_CALL)
				return true;
			if (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == 0 &&
			    i->imm == CF_KHELPER_GET_SMP_PROCESSOR_ID)
				return true;
		}
	return false;
}

/* Does case c take part in voice k? */
static bool wants_voice(const struct target *t, const struct target_case *c, enum target_voice_kind k)
{
	if (c->interp_fault)
		return false;
	switch (k) {
	case TARGET_VOICE_KERNEL_JIT:
		return t->vm; /* even a program the checker rejects: the verdicts are compared */
	case TARGET_VOICE_KERNEL_INTERP:
		return t->vm && c->checker_ok && !t->opts.no_kernel_interp && vm_get_info(t->vm)->jit_switchable &&
		       all_reg_args(c->prog) && !needs_jit(c->prog);
	case TARGET_VOICE_MODEL_JIT:
		return t->ex && (c->checker_ok || !c->checked);
	case TARGET_VOICE_HOST:
		return t->opts.kind == TARGET_HOST;
	case TARGET_NVOICE_KINDS:
		break;
	}
	return false;
}

static struct target_voice *voice_of(struct target_case *c, enum target_voice_kind k)
{
	for (int i = 0; i < c->nvoices; i++)
		if (c->voice[i].kind == k)
			return &c->voice[i];
	return NULL;
}

static struct vm_req *reqs_grow(struct target *t, int n)
{
	if (n > t->reqs_cap) {
		struct vm_req *nr = realloc(t->reqs, (size_t)n * sizeof(*nr));

		if (!nr)
			return NULL;
		t->reqs = nr;
		t->reqs_cap = n;
	}
	memset(t->reqs, 0, (size_t)n * sizeof(*t->reqs));
	return t->reqs;
}

static void set_lost(struct target *t, struct target_case *c, enum target_voice_kind k, enum vm_status st,
		     const char *msg)
{
	if (c->m.kind != MISMATCH_NONE)
		return;
	memset(&c->m, 0, sizeof(c->m));
	c->m.kind = st == VM_TIMEOUT ? MISMATCH_TIMEOUT : MISMATCH_CRASH;
	c->m.event = c->m.arg = c->m.offset = c->m.func = c->m.insn = -1;
	snprintf(c->m.place, sizeof(c->m.place), "%.150s", msg);
	c->mvoice = (int)(voice_of(c, k) - c->voice);
	snprintf(c->mvoice_name, sizeof(c->mvoice_name), "%s", t->names[k]);
	free(c->crash);
	c->crash = strdup(vm_crash_text(t->vm));
}

/* Requests per case of a kernel voice: LOAD, RUN or CLOSE, CLOSE; with
 * KCOV the PCs of the program, and where the agent reads the kernel log,
 * what the kernel printed. The interpreter voice is framed by two
 * SET_JITs. */
static int voice_per_case(const struct target *t)
{
	return 3 + target_kcov(t) + vm_get_info(t->vm)->kmsg;
}

static int voice_nreqs(const struct target *t, int n, enum target_voice_kind k)
{
	return voice_per_case(t) * n + (k == TARGET_VOICE_KERNEL_INTERP ? 2 : 0);
}

/* Voice k's requests for cases[idx[0..n)] into r; returns how many. Where
 * the agent reads the kernel log, each program's load, run and close is
 * followed by a KMSG (after settle_ms). */
static int voice_reqs(struct target *t, struct target_case *cases, const int *idx, int n, enum target_voice_kind k,
		      uint32_t settle_ms, struct vm_req *r)
{
	bool interp = k == TARGET_VOICE_KERNEL_INTERP;
	bool kcov = target_kcov(t), kmsg = vm_get_info(t->vm)->kmsg;
	int q = 0;

	if (interp)
		r[q++] = (struct vm_req){ .kind = VM_REQ_SET_JIT, .jit_enable = 0 };
	for (int i = 0; i < n; i++) {
		struct target_case *c = &cases[idx[i]];
		struct target_voice *v = voice_of(c, k);

		memcpy(v->ctx, c->ctx_in, CF_CTX_SIZE);
		r[q++] = (struct vm_req){ .kind = VM_REQ_LOAD, .prog = c->prog };
		/* a program the checker rejects is only loaded: its verdict is
		 * what counts, and running it could only mislead */
		r[q++] = (struct vm_req){ .kind = c->checker_ok ? VM_REQ_RUN : VM_REQ_CLOSE,
					  .handle = VM_HANDLE_LAST, .ctx = c->ctx_in,
					  .ctx_len = (uint32_t)cf_prog_ctx_size(c->prog),
					  .ctx_out = v->ctx, .maps_out = &v->maps };
		r[q++] = (struct vm_req){ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST };
		if (kcov)
			r[q++] = (struct vm_req){ .kind = VM_REQ_KCOV };
		if (kmsg)
			r[q++] = (struct vm_req){ .kind = VM_REQ_KMSG, .settle_ms = settle_ms };
	}
	if (interp)
		r[q++] = (struct vm_req){ .kind = VM_REQ_SET_JIT, .jit_enable = 1 };
	return q;
}

/* The answers to voice_reqs (the guest answered) into each case's voice k.
 * -1 with err when bpf_jit_enable could not be set back. */
static int voice_resps(struct target *t, struct target_case *cases, const int *idx, int n, enum target_voice_kind k,
		       struct vm_req *r, struct cf_err *err)
{
	bool interp = k == TARGET_VOICE_KERNEL_INTERP;
	bool kcov = target_kcov(t), kmsg = vm_get_info(t->vm)->kmsg;
	int per = voice_per_case(t), q = interp ? 1 : 0;

	for (int i = 0; i < n; i++, q += per) {
		struct target_case *c = &cases[idx[i]];
		struct target_voice *v = voice_of(c, k);

		v->load_err = r[q].err;
		v->loaded = !r[q].err;
		v->load_ns = r[q].guest_ns;
		t->stats.load_ns += r[q].guest_ns;
		/* the JIT voice's log, else the interpreter voice's (when only
		 * it rejects) */
		if (r[q].err && r[q].log && !c->kernel_log) {
			c->kernel_log = r[q].log;
			r[q].log = NULL;
		}
		if (v->loaded && c->checker_ok) {
			v->run_err = r[q + 1].err;
			v->ran = !r[q + 1].err;
			v->retval = r[q + 1].retval;
			v->run_ns = r[q + 1].guest_ns;
			t->stats.run_ns += r[q + 1].guest_ns;
		}
		if (kcov)
			add_kcov_pcs(c, &r[q + 3]);
		if (kmsg && !c->report.text && r[q + 3 + kcov].log && kreport_find(r[q + 3 + kcov].log, &c->report))
			c->report_voice = (int)(v - c->voice);
	}
	if (interp && r[q].err) {
		cf_err_set(err, "bpf_jit_enable back to 1: %s", strerror(r[q].err));
		return -1;
	}
	return 0;
}

/* One round trip: cases[idx[0..n)] through kernel voice k. Returns the
 * batch's status; on VM_OK every voice is filled. */
static enum vm_status kernel_voice_batch(struct target *t, struct target_case *cases, const int *idx, int n,
					 enum target_voice_kind k, uint32_t settle_ms, struct cf_err *err)
{
	int nr = voice_nreqs(t, n, k), q;
	struct vm_req *r = reqs_grow(t, nr);
	uint64_t t0;
	enum vm_status st;

	if (!r) {
		cf_err_set(err, "out of memory");
		return VM_ERROR;
	}
	q = voice_reqs(t, cases, idx, n, k, settle_ms, r);
	t0 = now_ns();
	st = vm_batch(t->vm, r, q, err);
	t->stats.rt_ns += now_ns() - t0;
	t->stats.round_trips++;
	if (st == VM_OK)
		voice_resps(t, cases, idx, n, k, r, err);
	vm_req_release(r, nr);
	return st;
}

/* A report may be printed after the program that caused it (the private
 * stack guard is checked when the program is freed, after an RCU grace
 * period): the programs of a batch that gave one run again one at a time,
 * each given REPORT_SETTLE_MS to show it, and the report goes to those
 * that give it again; if none does, it stays where it appeared. */
#define REPORT_SETTLE_MS 200

static int name_report_culprit(struct target *t, struct target_case *cases, const int *idx, int m,
			       enum target_voice_kind k, struct cf_err *err)
{
	struct kreport *seen = calloc((size_t)m, sizeof(*seen));
	int *owner = malloc((size_t)m * sizeof(*owner));
	bool any = false, again = false;

	if (!seen || !owner) {
		free(seen);
		free(owner);
		cf_err_set(err, "out of memory");
		return -1;
	}
	for (int i = 0; i < m; i++) {
		struct target_case *c = &cases[idx[i]];

		owner[i] = c->report_voice;
		if (c->report.text && c->voice[c->report_voice].kind == k) {
			seen[i] = c->report;
			memset(&c->report, 0, sizeof(c->report));
			any = true;
		}
	}
	for (int i = 0; any && i < m; i++) {
		enum vm_status st = kernel_voice_batch(t, cases, &idx[i], 1, k, REPORT_SETTLE_MS, err);

		if (st == VM_ERROR) {
			for (int j = 0; j < m; j++)
				kreport_release(&seen[j]);
			free(seen);
			free(owner);
			return -1;
		}
		if (st != VM_OK)
			set_lost(t, &cases[idx[i]], k, st, err->msg);
		if (cases[idx[i]].report.text)
			again = true;
	}
	for (int i = 0; i < m; i++) {
		struct target_case *c = &cases[idx[i]];

		if (!seen[i].text)
			continue;
		if (again) {
			kreport_release(&seen[i]);
		} else {
			c->report = seen[i];
			c->report_voice = owner[i];
		}
	}
	free(seen);
	free(owner);
	return 0;
}

/* After voice k's batch over cases[idx[0..m)] came back with status st:
 * a report in a batch of several is put on the program that gives it
 * again alone; a lost guest makes every case of the batch run alone, so
 * that the one that loses it is named. */
static int voice_after_batch(struct target *t, struct target_case *cases, const int *idx, int m,
			     enum target_voice_kind k, enum vm_status st, struct cf_err *err)
{
	if (st == VM_OK) {
		bool reported = false;

		/* a known bug's report whose pattern is in the same program's
		 * verifier log (loop-zero-no-jit's WARN) is that program's:
		 * Debian's kernels show it in one batch in a few, and 200 ms a
		 * program to name it would cost more than the batch */
		for (int i = 0; i < m; i++)
			reported |= cases[idx[i]].report.text && cases[idx[i]].voice[cases[idx[i]].report_voice].kind == k &&
				    !known_bugs_own_report(&t->known, &cases[idx[i]]);
		return reported && m > 1 ? name_report_culprit(t, cases, idx, m, k, err) : 0;
	}
	if (m == 1) {
		set_lost(t, &cases[idx[0]], k, st, err->msg);
		return 0;
	}
	for (int i = 0; i < m; i++) {
		st = kernel_voice_batch(t, cases, &idx[i], 1, k, 0, err);
		if (st == VM_ERROR)
			return -1;
		if (st != VM_OK)
			set_lost(t, &cases[idx[i]], k, st, err->msg);
	}
	return 0;
}

/* The cases of cases[0..n) that want voice k, into idx; how many. */
static int voice_cases(struct target_case *cases, int n, enum target_voice_kind k, int *idx)
{
	int m = 0;

	for (int i = 0; i < n; i++)
		if (voice_of(&cases[i], k))
			idx[m++] = i;
	return m;
}

/* Voice k for all cases that want it, in one round trip. */
static int run_kernel_voice(struct target *t, struct target_case *cases, int n, enum target_voice_kind k,
			    struct cf_err *err)
{
	int *idx = malloc((size_t)(n + 1) * sizeof(*idx)), m, ret = 0;
	enum vm_status st;

	if (!idx) {
		cf_err_set(err, "out of memory");
		return -1;
	}
	m = voice_cases(cases, n, k, idx);
	if (m) {
		st = kernel_voice_batch(t, cases, idx, m, k, 0, err);
		ret = st == VM_ERROR ? -1 : voice_after_batch(t, cases, idx, m, k, st, err);
	}
	free(idx);
	return ret;
}

static void set_model_mismatch(struct target *t, struct target_case *c, struct target_voice *v,
			       const struct mismatch *m)
{
	if (c->m.kind != MISMATCH_NONE)
		return;
	c->m = *m;
	c->mvoice = (int)(v - c->voice);
	snprintf(c->mvoice_name, sizeof(c->mvoice_name), "%s", t->names[TARGET_VOICE_MODEL_JIT]);
}

/* Our JIT on the executor. On the model target the interpreter has not run
 * yet (target_run leaves it to us): it runs on the worker thread while the
 * executor runs the code. Returns -1 with err when the executor cannot go
 * on. */
static int run_model_voice(struct target *t, struct target_case *c, struct cf_err *err)
{
	struct target_voice *v = voice_of(c, TARGET_VOICE_MODEL_JIT);
	struct jit_opts jopts = { 0 };
	struct jit_image *img = calloc(1, sizeof(*img));
	struct exec_result *xr = malloc(sizeof(*xr));
	bool overlap = t->worker_running, jit_ok;
	struct cf_err jerr;
	struct mismatch m;
	uint64_t t0 = now_ns(), t1;
	int ret = 0;

	if (!img || !xr) {
		free(img);
		free(xr);
		cf_err_set(err, "out of memory");
		return -1;
	}
	jopts.lse_atomics = !c->llsc;
	memcpy(jopts.callee_addr, t->callee_addr, sizeof(jopts.callee_addr));
	exec_prepare(t->ex); /* wakes it during the JIT if it gave up spinning */
	jit_ok = jit_compile(c->prog, &jopts, img, &jerr) == 0;
	t1 = now_ns();
	c->times.jit_ns += t1 - t0;
	v->load_ns = t1 - t0;
	/* Posted after the JIT: waking the worker can preempt this thread,
	 * which costs nothing once it sleeps in exec_run. */
	if (overlap)
		worker_post(&t->worker, c->prog, c->ctx_in, &c->ir);
	if (jit_ok) {
		v->loaded = true;
		if (exec_run(t->ex, img->code, img->ncode, img->entry, c->ctx_in, xr, err)) {
			v->run_err = EIO;
			ret = -1;
		} else {
			v->ran = xr->status == EXEC_OK || xr->status == EXEC_ABI;
			v->r0 = xr->r0;
			v->retval = (uint32_t)xr->r0;
			v->run_ns = xr->run_ns;
			memcpy(v->ctx, xr->ctx, CF_CTX_SIZE);
		}
		t0 = now_ns();
		c->times.exec_ns += t0 - t1;
	} else {
		v->load_err = EINVAL;
		t0 = t1;
	}
	if (overlap) {
		c->times.interp_ns += worker_wait(&t->worker);
		t1 = now_ns();
		c->times.wait_ns += t1 - t0;
		t0 = t1;
		c->interp_fault = c->ir.status != INTERP_OK;
	}
	if (ret == 0 && !c->interp_fault) {
		if (!jit_ok) {
			mismatch_jit_reject(&m, jerr.msg);
			set_model_mismatch(t, c, v, &m);
		} else if (compare_results(&c->ir, xr, img, c->prog, &m) != MISMATCH_NONE) {
			set_model_mismatch(t, c, v, &m);
		}
	}
	c->times.compare_ns += now_ns() - t0;
	if (t->opts.keep_image || (c->mvoice >= 0 && c->voice[c->mvoice].kind == TARGET_VOICE_MODEL_JIT)) {
		c->img = img;
		c->xr = jit_ok ? xr : NULL;
		if (!jit_ok)
			free(xr);
	} else {
		jit_image_free(img);
		free(img);
		free(xr);
	}
	return ret;
}

/* The host kernel through bpf(): load, run once, close. */
static int run_host_voice(struct target *t, struct target_case *c, struct cf_err *err)
{
	struct target_voice *v = voice_of(c, TARGET_VOICE_HOST);
	struct kernel_result kr;

	(void)t;
	if (kernel_run(c->prog, c->ctx_in, &kr, err) < 0)
		return -1;
	v->load_err = kr.load_err;
	v->loaded = !kr.load_err;
	v->load_ns = kr.load_ns;
	if (kr.load_err && kr.log && !c->kernel_log) {
		c->kernel_log = kr.log;
		kr.log = NULL;
	}
	if (v->loaded && c->checker_ok) {
		v->run_err = kr.run_err;
		v->ran = !kr.run_err;
		v->retval = kr.retval;
		memcpy(v->ctx, kr.ctx, CF_CTX_SIZE);
	}
	kernel_result_release(&kr);
	return 0;
}

/* The verifier's reason: the last non-empty line of its log. */
static void log_reason(const char *log, char *buf, size_t size)
{
	const char *end, *start;

	buf[0] = 0;
	if (!log)
		return;
	end = log + strlen(log);
	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > log && start[-1] != '\n')
		start--;
	/* "processed N insns" follows the reason in some logs: skip it */
	if (!strncmp(start, "processed ", 10) && start > log) {
		end = start - 1;
		start = end;
		while (start > log && start[-1] != '\n')
			start--;
	}
	snprintf(buf, size, "%.*s", (int)(end - start), start);
}

static uint64_t ctx_word(const uint8_t *ctx, int off)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | ctx[(off & ~7) + i];
	return v;
}

static enum mismatch_kind set_kind(struct mismatch *m, enum mismatch_kind kind)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->event = m->arg = m->offset = m->func = m->insn = -1;
	return kind;
}

enum mismatch_kind target_compare_kernel_voice(const struct target_case *c, const struct target_voice *v,
					       struct mismatch *m)
{
	char reason[200];

	set_kind(m, MISMATCH_NONE);
	if (v->loaded != c->checker_ok) {
		set_kind(m, MISMATCH_VERIFIER);
		log_reason(c->kernel_log, reason, sizeof(reason));
		if (c->checker_ok)
			snprintf(m->place, sizeof(m->place), "the checker accepts, the kernel rejects (%s): %.100s",
				 strerror(v->load_err), reason[0] ? reason : "no log");
		else
			snprintf(m->place, sizeof(m->place), "the kernel accepts, the checker rejects: %.100s",
				 c->checker_msg);
		return m->kind;
	}
	if (!c->checker_ok)
		return m->kind; /* both reject: the verdicts agree */
	if (!v->ran) {
		set_kind(m, MISMATCH_KERNEL);
		snprintf(m->place, sizeof(m->place), "BPF_PROG_TEST_RUN failed: %s", strerror(v->run_err));
		return m->kind;
	}
	for (int i = 0; i < CF_CTX_SIZE; i++) {
		if (c->ir.ctx[i] == v->ctx[i])
			continue;
		set_kind(m, MISMATCH_KERNEL);
		m->offset = i;
		m->want = ctx_word(c->ir.ctx, i);
		m->got = ctx_word(v->ctx, i);
		snprintf(m->place, sizeof(m->place), "ctx[%d] (u64 at ctx[%d])", i, i & ~7);
		return m->kind;
	}
	/* a new observation, after ctx: what the program left in its maps */
	if (c->prog && c->prog->nmaps && cf_map_dump_diff(c->prog, &c->ir.maps, &v->maps, reason, sizeof(reason))) {
		set_kind(m, MISMATCH_KERNEL);
		snprintf(m->place, sizeof(m->place), "%.150s", reason);
		return m->kind;
	}
	/* BPF_PROG_TEST_RUN keeps only r0's low 32 bits */
	if ((uint32_t)c->ir.r0 != v->retval) {
		set_kind(m, MISMATCH_KERNEL);
		m->want = (uint32_t)c->ir.r0;
		m->got = v->retval;
		snprintf(m->place, sizeof(m->place), "r0 (low 32 bits)");
	}
	return m->kind;
}

/* A kernel voice against the interpreter: the first difference is the case's. */
static void compare_kernel_voice(struct target *t, struct target_case *c, enum target_voice_kind k)
{
	struct target_voice *v = voice_of(c, k);

	if (!v || c->m.kind != MISMATCH_NONE)
		return;
	if (c->report.text && &c->voice[c->report_voice] == v) {
		/* the kernel's own verdict on itself comes first: a KASAN report
		 * in the verifier explains whatever differs after it */
		set_kind(&c->m, MISMATCH_REPORT);
		snprintf(c->m.place, sizeof(c->m.place), "%.150s", c->report.title);
	} else if (target_compare_kernel_voice(c, v, &c->m) == MISMATCH_NONE) {
		return;
	}
	c->mvoice = (int)(v - c->voice);
	snprintf(c->mvoice_name, sizeof(c->mvoice_name), "%s", t->names[k]);
}

static void case_reset(struct target_case *c)
{
	target_case_release(c);
	memset(&c->m, 0, sizeof(c->m));
	c->m.kind = MISMATCH_NONE;
	c->mvoice = -1;
	c->mvoice_name[0] = 0;
	c->nvoices = 0;
	c->checked = c->checker_ok = c->interp_fault = false;
	c->checker_msg[0] = 0;
	memset(&c->times, 0, sizeof(c->times));
}

static void check_case(const struct cf_check_opts *co, struct target_case *c)
{
	struct cf_err cerr;
	uint64_t t0 = now_ns();

	c->checked = true;
	c->checker_ok = cf_check(c->prog, co, &cerr) == 0;
	snprintf(c->checker_msg, sizeof(c->checker_msg), "%s", c->checker_ok ? "" : cerr.msg);
	c->times.check_ns += now_ns() - t0;
}

/* The host's side of a case, before any voice runs: the checker, the
 * interpreter (unless the worker thread runs it beside the model voice),
 * the voices to ask. */
static void prepare_case(struct target *t, const struct cf_check_opts *co, struct target_case *c)
{
	case_reset(c);
	/* skip_check only where a rejection cannot change what runs:
	 * a kernel voice's verdict is compared with the checker's */
	if (!c->skip_check || t->vm || t->opts.kind == TARGET_HOST)
		check_case(co, c);
	else
		c->checker_ok = true; /* until a mismatch asks (target_run) */
	if (c->checker_ok && !t->worker_running) {
		uint64_t ti = now_ns();

		interp_run(c->prog, NULL, NULL, c->ctx_in, &c->ir);
		c->interp_fault = c->ir.status != INTERP_OK;
		c->times.interp_ns += now_ns() - ti;
	}
	for (int k = 0; k < TARGET_NVOICE_KINDS; k++) {
		if (!wants_voice(t, c, (enum target_voice_kind)k))
			continue;
		memset(&c->voice[c->nvoices], 0, sizeof(c->voice[0]));
		c->voice[c->nvoices++].kind = (enum target_voice_kind)k;
	}
	c->prepared = true;
}

void target_prepare(struct target *t, struct target_case *c)
{
	struct cf_check_opts co;
	uint64_t t0 = now_ns();

	target_check_opts(t, &co);
	prepare_case(t, &co, c);
	t->stats.host_ns += now_ns() - t0;
}

/* Both kernel voices of a batch travel in one round trip (the
 * interpreter's between its two SET_JITs), sent by target_run_send and
 * received by target_run_recv. */
int target_run_send(struct target *t, struct target_case *cases, int n, struct cf_err *err)
{
	struct target_flight *f = &t->flight;
	struct cf_check_opts co;
	uint64_t t0 = now_ns();
	struct vm_req *r;
	int q;

	if (f->on) {
		cf_err_set(err, "target_run_send: the previous batch was not received");
		return -1;
	}
	/* nothing is in flight: a reproducer can run first */
	if (known_bugs_probe_for(&t->known, t, cases, n, err) < 0)
		return -1;
	target_check_opts(t, &co);
	for (int i = 0; i < n; i++) {
		if (!cases[i].prepared)
			prepare_case(t, &co, &cases[i]);
		cases[i].prepared = false; /* a rerun starts over */
	}
	t->stats.host_ns += now_ns() - t0;
	memset(f, 0, sizeof(*f));
	f->cases = cases;
	f->n = n;
	f->st = VM_OK;
	if (!t->vm) {
		f->on = true;
		return 0;
	}
	f->idx = malloc((size_t)(2 * n + 1) * sizeof(*f->idx));
	if (!f->idx) {
		cf_err_set(err, "out of memory");
		return -1;
	}
	f->m[0] = voice_cases(cases, n, TARGET_VOICE_KERNEL_JIT, f->idx);
	f->m[1] = voice_cases(cases, n, TARGET_VOICE_KERNEL_INTERP, f->idx + n);
	f->nr = (f->m[0] ? voice_nreqs(t, f->m[0], TARGET_VOICE_KERNEL_JIT) : 0) +
		(f->m[1] ? voice_nreqs(t, f->m[1], TARGET_VOICE_KERNEL_INTERP) : 0);
	r = reqs_grow(t, f->nr + 1); /* + 1: never a NULL array */
	if (!r) {
		free(f->idx);
		cf_err_set(err, "out of memory");
		return -1;
	}
	q = f->m[0] ? voice_reqs(t, cases, f->idx, f->m[0], TARGET_VOICE_KERNEL_JIT, 0, r) : 0;
	if (f->m[1])
		voice_reqs(t, cases, f->idx + n, f->m[1], TARGET_VOICE_KERNEL_INTERP, 0, r + q);
	t0 = now_ns();
	f->st = vm_batch_send(t->vm, r, f->nr, err);
	t->stats.rt_ns += now_ns() - t0;
	if (f->st == VM_ERROR) {
		vm_req_release(r, f->nr);
		free(f->idx);
		return -1;
	}
	f->on = true;
	return 0;
}

static int recv_kernel_voices(struct target *t, struct cf_err *err)
{
	struct target_flight *f = &t->flight;
	struct vm_req *r = t->reqs;
	int q = f->m[0] ? voice_nreqs(t, f->m[0], TARGET_VOICE_KERNEL_JIT) : 0;
	enum vm_status st = f->st;
	uint64_t t0 = now_ns();
	int ret = 0;

	if (st == VM_OK && f->nr) {
		st = vm_batch_recv(t->vm, r, f->nr, err);
		t->stats.rt_ns += now_ns() - t0;
		t->stats.round_trips++;
	}
	if (st == VM_OK) {
		if (f->m[0])
			voice_resps(t, f->cases, f->idx, f->m[0], TARGET_VOICE_KERNEL_JIT, r, err);
		if (f->m[1])
			voice_resps(t, f->cases, f->idx + f->n, f->m[1], TARGET_VOICE_KERNEL_INTERP, r + q, err);
	}
	vm_req_release(r, f->nr);
	if (st == VM_ERROR) {
		ret = -1;
	} else if (st == VM_OK) {
		if (voice_after_batch(t, f->cases, f->idx, f->m[0], TARGET_VOICE_KERNEL_JIT, st, err) < 0 ||
		    voice_after_batch(t, f->cases, f->idx + f->n, f->m[1], TARGET_VOICE_KERNEL_INTERP, st, err) < 0)
			ret = -1;
	} else {
		/* the guest was lost somewhere in the batch, in a voice we
		 * cannot tell: each voice's batch again (a guest lost there
		 * runs its cases one by one) */
		if (run_kernel_voice(t, f->cases, f->n, TARGET_VOICE_KERNEL_JIT, err) < 0 ||
		    run_kernel_voice(t, f->cases, f->n, TARGET_VOICE_KERNEL_INTERP, err) < 0)
			ret = -1;
	}
	free(f->idx);
	f->idx = NULL;
	t->stats.boots = vm_get_info(t->vm)->boots;
	return ret;
}

int target_run_recv(struct target *t, struct target_case *cases, int n, struct cf_err *err)
{
	struct target_flight *f = &t->flight;
	struct cf_check_opts co;
	uint64_t t0;

	if (!f->on || f->cases != cases || f->n != n) {
		cf_err_set(err, "target_run_recv: these %d cases were not sent", n);
		return -1;
	}
	f->on = false;
	if (t->vm && recv_kernel_voices(t, err) < 0)
		return -1;
	target_check_opts(t, &co);
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		struct target_case *c = &cases[i];

		compare_kernel_voice(t, c, TARGET_VOICE_KERNEL_JIT);
		compare_kernel_voice(t, c, TARGET_VOICE_KERNEL_INTERP);
		if (voice_of(c, TARGET_VOICE_HOST)) {
			if (run_host_voice(t, c, err) < 0)
				return -1;
			compare_kernel_voice(t, c, TARGET_VOICE_HOST);
		}
		if (voice_of(c, TARGET_VOICE_MODEL_JIT) && run_model_voice(t, c, err) < 0)
			return -1;
		/* A mismatch is reported only on a program the checker accepts
		 * (design.md "The oracle"): a skipped check runs now. A kernel
		 * report needs no oracle. */
		if (c->m.kind != MISMATCH_NONE && c->m.kind != MISMATCH_REPORT && !c->checked) {
			check_case(&co, c);
			if (!c->checker_ok) {
				memset(&c->m, 0, sizeof(c->m));
				c->mvoice = -1;
			}
		}
		t->stats.programs++;
	}
	if (t->ex)
		t->stats.exec_restarts = exec_restarts(t->ex) - t->exec_restarts0;
	t->stats.host_ns += now_ns() - t0;
	for (int i = 0; i < n; i++) {
		struct target_case *c = &cases[i];
		const struct known_bug *kb = c->m.kind != MISMATCH_NONE ? known_bugs_match(&t->known, c) : NULL;

		c->known_bug = kb ? kb->signature : NULL;
		if (t->opts.listing && t->vm && c->mvoice >= 0 &&
		    c->voice[c->mvoice].kind == TARGET_VOICE_KERNEL_JIT &&
		    (c->m.kind == MISMATCH_KERNEL || c->m.kind == MISMATCH_CRASH || c->m.kind == MISMATCH_TIMEOUT))
			c->listing = jit_listing(t, c->prog);
	}
	return 0;
}

int target_run(struct target *t, struct target_case *cases, int n, struct cf_err *err)
{
	if (target_run_send(t, cases, n, err) < 0)
		return -1;
	return target_run_recv(t, cases, n, err);
}

/* ---- printing ------------------------------------------------------------ */

void target_print_trace(FILE *out, const char *who, const struct cf_trace *tr, int mark)
{
	char name[32];

	for (uint32_t i = 0; i < tr->nevents && i < CF_TRACE_MAX; i++) {
		const struct cf_event *e = &tr->ev[i];

		fprintf(out, "  %s event %u: %s(", who, i, compare_event_name(e->id, name, sizeof(name)));
		for (uint32_t k = 0; k < e->nargs && k < CF_MAX_ARGS; k++)
			fprintf(out, "%s0x%" PRIx64, k ? ", " : "", e->args[k]);
		fprintf(out, ")%s\n", (int)i == mark ? "   <-- first divergence" : "");
	}
	if (tr->dropped)
		fprintf(out, "  %s: %u events dropped past %d\n", who, tr->dropped, CF_TRACE_MAX);
}


static void print_ctx_changes(FILE *out, const char *who, const uint8_t *in, const uint8_t *after)
{
	for (int i = 0; i < CF_CTX_SIZE; i += 8) {
		if (!memcmp(in + i, after + i, 8))
			continue;
		fprintf(out, "  %s ctx[%d..%d]: 0x%016" PRIx64 " -> 0x%016" PRIx64 "\n", who, i, i + 7,
			ctx_word(in, i), ctx_word(after, i));
	}
}

/* A program's maps after a run, one line per map: "  WHO map NAME: KEY=VALUE ..." (hex bytes). */
static void print_maps(FILE *out, const char *who, const struct cf_prog *p, const struct cf_map_dump *d)
{
	for (int mi = 0; p && mi < p->nmaps; mi++) {
		const struct cf_map *m = &p->maps[mi];
		uint32_t n;
		const uint8_t *kv = cf_map_dump_entries(p, d, mi, &n);

		if (!kv)
			break;
		fprintf(out, "  %s map %s:%s", who, m->name, n ? "" : " (empty)");
		for (uint32_t e = 0; e < n; e++) {
			fprintf(out, " ");
			for (uint32_t b = 0; b < m->key_size; b++)
				fprintf(out, "%02x", *kv++);
			fprintf(out, "=");
			for (uint32_t b = 0; b < m->value_size; b++)
				fprintf(out, "%02x", *kv++);
		}
		fprintf(out, "\n");
	}
}

void target_print_case(const struct target *t, const struct target_case *c, FILE *out)
{
	if (c->interp_fault) {
		fprintf(out, "interpreter %s: %s\n(the checker accepted this program: a checker or interpreter bug)\n",
			c->ir.status == INTERP_TIMEOUT ? "ran out of instructions" : "fault", c->ir.fault);
		return;
	}
	if (c->m.kind == MISMATCH_NONE) {
		if (!c->checker_ok) {
			char reason[200];

			log_reason(c->kernel_log, reason, sizeof(reason));
			fprintf(out, "equal: rejected by both\n  checker: %s\n  kernel: %s\n", c->checker_msg,
				reason[0] ? reason : "(no log)");
			return;
		}
		fprintf(out, "equal: r0=0x%" PRIx64 " (low 32 bits 0x%x), ctx %s; voices:", c->ir.r0, (uint32_t)c->ir.r0,
			memcmp(c->ctx_in, c->ir.ctx, CF_CTX_SIZE) ? "written" : "unchanged");
		for (int i = 0; i < c->nvoices; i++)
			fprintf(out, "%s %s", i ? "," : "", t->names[c->voice[i].kind]);
		fprintf(out, "\n");
		print_maps(out, "interp", c->prog, &c->ir.maps);
		return;
	}
	fprintf(out, "mismatch: %s (%s) at %s", mismatch_kind_name(c->m.kind), c->mvoice_name, c->m.place);
	if (c->m.kind == MISMATCH_KERNEL && (c->m.offset >= 0 || !strncmp(c->m.place, "r0", 2)))
		fprintf(out, ": interpreter 0x%" PRIx64 ", kernel 0x%" PRIx64, c->m.want, c->m.got);
	else if (c->m.kind == MISMATCH_OUTBUF || c->m.kind == MISMATCH_RETVAL || c->m.kind == MISMATCH_TRACE)
		fprintf(out, ": interpreter 0x%" PRIx64 ", jit 0x%" PRIx64, c->m.want, c->m.got);
	fprintf(out, "\n");
	if (c->known_bug) /* docs/kernel-bugs/: the booted kernel showed it */
		fprintf(out, "known kernel bug: %s\n", c->known_bug);
	/* a report during a load that failed: the verifier's own word too */
	if ((c->m.kind == MISMATCH_VERIFIER || c->m.kind == MISMATCH_REPORT) && c->kernel_log)
		fprintf(out, "kernel verifier log:\n%s%s", c->kernel_log,
			c->kernel_log[0] && c->kernel_log[strlen(c->kernel_log) - 1] != '\n' ? "\n" : "");
	if (c->checker_ok) {
		fprintf(out, "interpreter: r0=0x%" PRIx64 " (low 32 bits 0x%x), %u events, %" PRIu64 " insns\n",
			c->ir.r0, (uint32_t)c->ir.r0, c->ir.trace.nevents, c->ir.insns_executed);
		if (c->xr)
			target_print_trace(out, "interp", &c->ir.trace, -1);
		print_ctx_changes(out, "interp", c->ctx_in, c->ir.ctx);
		print_maps(out, "interp", c->prog, &c->ir.maps);
	}
	for (int i = 0; i < c->nvoices; i++) {
		const struct target_voice *v = &c->voice[i];

		fprintf(out, "%s: ", t->names[v->kind]);
		if (!v->loaded && v->kind == TARGET_VOICE_MODEL_JIT) {
			fprintf(out, "%s\n", v->load_err ? "the JIT refused the program" : "not run");
			continue;
		}
		if (!v->loaded) {
			fprintf(out, "%s\n", v->load_err ? strerror(v->load_err) : "not run");
			continue;
		}
		if (!c->checker_ok) {
			fprintf(out, "loaded (not run: the checker rejects it)\n");
			continue;
		}
		if (!v->ran) {
			fprintf(out, "loaded, run failed (%s)\n", v->run_err ? strerror(v->run_err) : "lost");
			continue;
		}
		if (v->kind == TARGET_VOICE_MODEL_JIT && c->xr) {
			fprintf(out, "%s, r0=0x%" PRIx64 ", %u events%s%s\n", exec_status_name(c->xr->status), v->r0,
				c->xr->trace.nevents, c->xr->detail[0] ? ": " : "", c->xr->detail);
			target_print_trace(out, "jit", &c->xr->trace, -1);
		} else if (v->kind == TARGET_VOICE_MODEL_JIT)
			fprintf(out, "r0=0x%" PRIx64 "\n", v->r0);
		else if (v->kind == TARGET_VOICE_HOST)
			fprintf(out, "r0=0x%x (low 32 bits)\n", v->retval);
		else
			fprintf(out, "r0=0x%x (low 32 bits; load %.2f ms, run %.3f ms)\n", v->retval, v->load_ns / 1e6,
				v->run_ns / 1e6);
		print_ctx_changes(out, v->kind == TARGET_VOICE_MODEL_JIT ? "jit" : "kernel", c->ctx_in, v->ctx);
		if (v->kind == TARGET_VOICE_KERNEL_JIT || v->kind == TARGET_VOICE_KERNEL_INTERP)
			print_maps(out, "kernel", c->prog, &v->maps);
	}
	if (c->crash && c->crash[0])
		fprintf(out, "guest console:\n%s\n", c->crash);
	if (c->report.text) {
		/* the first 60 lines; the whole report is the artifact's console.txt */
		const char *e = c->report.text;

		for (int lines = 0; *e && lines < 60; lines++)
			e += strcspn(e, "\n") + (e[strcspn(e, "\n")] != 0);
		fprintf(out, "kernel report (%s, during %s): %s\n  stack: %s\n%.*s%s", c->report.kind,
			t->names[c->voice[c->report_voice].kind], c->report.title, c->report.frames,
			(int)(e - c->report.text), c->report.text, *e ? "  ...\n" : "");
	}
	if (c->listing)
		fprintf(out, "kernel JIT code (%s):\n%s", c->mvoice_name, c->listing);
}

/* ---- kernel trees -------------------------------------------------------- */

int target_build_kernel_tree(const char *src, const char *arch, char *image, size_t size, struct cf_err *err)
{
	char script[PATH_MAX], cmd[PATH_MAX * 2 + 64], line[PATH_MAX];
	struct stat st;
	FILE *f;
	int rc;

	snprintf(script, sizeof(script), "%s/../harness/target/kernel-tree.sh", target_self_dir());
	if (stat(script, &st) < 0) {
		cf_err_set(err, "%s: not found (--kernel-tree runs harness/target/kernel-tree.sh of the source checkout)",
			   script);
		return -1;
	}
	if (strchr(src, '\'') || strchr(arch, '\'')) {
		cf_err_set(err, "--kernel-tree: a path with a quote is not supported");
		return -1;
	}
	/* the script's progress goes to our stderr, the image path to stdout */
	snprintf(cmd, sizeof(cmd), "'%s' --arch '%s' '%s'", script, arch, src);
	f = popen(cmd, "r");
	if (!f) {
		cf_err_set(err, "cannot run %s: %s", script, strerror(errno));
		return -1;
	}
	image[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			snprintf(image, size, "%s", line);
	}
	rc = pclose(f);
	if (rc != 0 || !image[0]) {
		cf_err_set(err, "harness/target/kernel-tree.sh %s failed (exit %d): see its messages above", src,
			   WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
		return -1;
	}
	return 0;
}

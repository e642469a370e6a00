/* harness/target/target_vm.c: the oracle for kernel targets under qemu (harness.h,
 * "kernel targets under qemu"): a program through the checker and the
 * reference interpreter on the host, then through the kernel's JIT, its
 * interpreter and optionally our JIT, each voice compared with the
 * interpreter.
 *
 * Costs (kernels.md: load 1-6 ms, run 0.1-0.3 ms, round trip 0.4 ms): all
 * cases of a call travel in one BATCH per voice, LOAD/RUN/CLOSE each; the
 * interpreter voice wraps its loads in SET_JIT 0 ... SET_JIT 1 inside its
 * batch, so switching costs no extra round trip. */
#define _GNU_SOURCE
#include "harness/target/target.h"
#include "harness/target/target.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tvm {
	struct tvm_opts opts;
	enum vm_arch arch;
	struct vm *vm;
	struct exec *ex;           /* model voice */
	struct jit_opts jopts;
	char names[3][64];
	struct tvm_stats stats;
	struct vm_req *reqs;       /* reused between batches */
	int reqs_cap;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- start / stop ------------------------------------------------------ */

struct tvm *tvm_start(const struct tvm_opts *o, struct cf_err *err)
{
	struct tvm *t = calloc(1, sizeof(*t));
	struct vm_opts vo;
	const struct vm_info *in;
	const char *kernel = o->kernel;
	char rel[32];

	if (!t) {
		cf_err_set(err, "out of memory");
		return NULL;
	}
	t->opts = *o;
	t->arch = VM_ARCH_ARM64;
	if (!kernel && getenv("CALLFUZZ_KERNEL") && *getenv("CALLFUZZ_KERNEL"))
		kernel = getenv("CALLFUZZ_KERNEL");
	if (o->arch) {
		if (vm_arch_parse(o->arch, &t->arch) < 0) {
			cf_err_set(err, "unknown arch '%s' (arm64 or x86_64)", o->arch);
			goto fail;
		}
	} else if (kernel && vm_image_arch(kernel, &t->arch, err) < 0) {
		goto fail;
	}
	vm_opts_default(&vo, t->arch);
	vo.kernel = kernel;
	vo.console_log = o->console_log;
	if (o->req_timeout_ms > 0)
		vo.req_timeout_ms = o->req_timeout_ms;
	t->vm = vm_start(&vo, err);
	if (!t->vm)
		goto fail;
	in = vm_get_info(t->vm);
	t->stats.boot_ms = in->boot_ms;
	/* "7.2.13+deb14-cloud-arm64" -> "7.2.13" */
	snprintf(rel, sizeof(rel), "%.*s", (int)strcspn(in->release, "+-"), in->release);
	snprintf(t->names[TVM_KERNEL_JIT], sizeof(t->names[0]), "kernel JIT %s %s", vm_arch_name(t->arch), rel);
	snprintf(t->names[TVM_KERNEL_INTERP], sizeof(t->names[0]), "kernel interpreter %s", rel);
	snprintf(t->names[TVM_MODEL_JIT], sizeof(t->names[0]), "callfuzz JIT arm64 (executor)");
	if (o->model) {
		struct exec_opts eo = { 0 };

		t->ex = exec_start(&eo, err);
		if (!t->ex)
			goto fail;
		t->jopts.lse_atomics = true;
		exec_callee_addrs(t->ex, t->jopts.callee_addr, 32);
	}
	return t;
fail:
	tvm_stop(t);
	return NULL;
}

void tvm_stop(struct tvm *t)
{
	if (!t)
		return;
	vm_stop(t->vm);
	if (t->ex)
		exec_stop(t->ex);
	free(t->reqs);
	free(t);
}

int tvm_max_args(const struct tvm *t)
{
	return vm_get_info(t->vm)->stack_args ? CF_MAX_ARGS : CF_MAX_REG_ARGS;
}

void tvm_check_opts(const struct tvm *t, struct cf_check_opts *o)
{
	cf_check_opts_default(o);
	o->max_args = tvm_max_args(t);
	o->model_callees = false; /* the guest has none of the model's helpers */
}

const char *tvm_voice_name(const struct tvm *t, enum tvm_voice_kind k)
{
	return t->names[k];
}

void tvm_describe(const struct tvm *t, char *buf, size_t size)
{
	const struct vm_info *in = vm_get_info(t->vm);

	snprintf(buf, size, "kernel %s (%s), boot %.1f s, stack arguments: %s, JIT: %s%s", in->release,
		 in->machine, in->boot_ms / 1000, in->stack_args ? "yes" : "no", in->jit_on ? "on" : "off",
		 in->jit_switchable ? " (switchable: the kernel's interpreter is a second voice)" : "");
}

const struct tvm_stats *tvm_get_stats(const struct tvm *t)
{
	return &t->stats;
}

void tvm_case_release(struct tvm_case *c)
{
	free(c->kernel_log);
	free(c->crash);
	free(c->listing);
	c->kernel_log = c->crash = c->listing = NULL;
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
static char *jit_listing(struct tvm *t, const struct cf_prog *p)
{
	struct vm_req r[3] = {
		{ .kind = VM_REQ_LOAD, .prog = p, .line_info = true },
		{ .kind = VM_REQ_JIT_INFO, .handle = VM_HANDLE_LAST },
		{ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST },
	};
	struct cf_err err;
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	if (vm_batch(t->vm, r, 3, &err) != VM_OK)
		fprintf(out, "jit: guest lost while fetching the JIT image: %s\n", err.msg);
	else if (r[0].err)
		fprintf(out, "jit: the load with line_info failed (%s)\n", strerror(r[0].err));
	else if (r[1].err)
		fprintf(out, "jit: BPF_OBJ_GET_INFO_BY_FD failed (%s)\n", strerror(r[1].err));
	else
		vm_print_jit(out, &r[1].jit, p, t->arch);
	vm_req_release(r, 3);
	fclose(out);
	return text;
}

/* ---- batches ------------------------------------------------------------- */

static bool all_reg_args(const struct cf_prog *p)
{
	for (int i = 0; i < p->nfuncs; i++)
		if (p->funcs[i].nargs > CF_MAX_REG_ARGS)
			return false;
	return true;
}

/* Does case c take part in voice k? */
static bool wants_voice(const struct tvm *t, const struct tvm_case *c, enum tvm_voice_kind k)
{
	const struct vm_info *in = vm_get_info(t->vm);

	if (c->interp_fault)
		return false;
	switch (k) {
	case TVM_KERNEL_JIT:
		return true; /* even a program the checker rejects: the verdicts are compared */
	case TVM_KERNEL_INTERP:
		return c->checker_ok && !t->opts.no_kernel_interp && in->jit_switchable && all_reg_args(c->prog);
	case TVM_MODEL_JIT:
		return c->checker_ok && t->ex;
	}
	return false;
}

static struct tvm_voice *voice_of(struct tvm_case *c, enum tvm_voice_kind k)
{
	for (int i = 0; i < c->nvoices; i++)
		if (c->voice[i].kind == k)
			return &c->voice[i];
	return NULL;
}

static struct vm_req *reqs_grow(struct tvm *t, int n)
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

static void set_lost(struct tvm *t, struct tvm_case *c, enum tvm_voice_kind k, enum vm_status st,
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

/* One round trip: cases[idx[0..n)] through kernel voice k. Returns the
 * batch's status; on VM_OK every voice is filled. */
static enum vm_status kernel_voice_batch(struct tvm *t, struct tvm_case *cases, const int *idx, int n,
					 enum tvm_voice_kind k, struct cf_err *err)
{
	bool interp = k == TVM_KERNEL_INTERP;
	int nr = 3 * n + (interp ? 2 : 0), q = 0;
	struct vm_req *r = reqs_grow(t, nr);
	uint64_t t0;
	enum vm_status st;

	if (!r) {
		cf_err_set(err, "out of memory");
		return VM_ERROR;
	}
	if (interp)
		r[q++] = (struct vm_req){ .kind = VM_REQ_SET_JIT, .jit_enable = 0 };
	for (int i = 0; i < n; i++) {
		struct tvm_case *c = &cases[idx[i]];
		struct tvm_voice *v = voice_of(c, k);

		memcpy(v->ctx, c->ctx_in, CF_CTX_SIZE);
		r[q++] = (struct vm_req){ .kind = VM_REQ_LOAD, .prog = c->prog };
		/* a program the checker rejects is only loaded: its verdict is
		 * what counts, and running it could only mislead */
		r[q++] = (struct vm_req){ .kind = c->checker_ok ? VM_REQ_RUN : VM_REQ_CLOSE,
					  .handle = VM_HANDLE_LAST, .ctx = c->ctx_in, .ctx_len = CF_CTX_SIZE,
					  .ctx_out = v->ctx };
		r[q++] = (struct vm_req){ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST };
	}
	if (interp)
		r[q++] = (struct vm_req){ .kind = VM_REQ_SET_JIT, .jit_enable = 1 };
	t0 = now_ns();
	st = vm_batch(t->vm, r, q, err);
	t->stats.rt_ns += now_ns() - t0;
	t->stats.round_trips++;
	if (st != VM_OK) {
		vm_req_release(r, q);
		return st;
	}
	q = interp ? 1 : 0;
	for (int i = 0; i < n; i++, q += 3) {
		struct tvm_case *c = &cases[idx[i]];
		struct tvm_voice *v = voice_of(c, k);

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
	}
	if (interp && r[q].err)
		cf_err_set(err, "bpf_jit_enable back to 1: %s", strerror(r[q].err));
	vm_req_release(r, nr);
	return VM_OK;
}

/* Voice k for all cases that want it; a lost guest makes every case of the
 * batch run alone, so that the one that loses it is named. */
static int run_kernel_voice(struct tvm *t, struct tvm_case *cases, int n, enum tvm_voice_kind k,
			    struct cf_err *err)
{
	int *idx = malloc((size_t)(n + 1) * sizeof(*idx)), m = 0;
	enum vm_status st;
	int ret = 0;

	if (!idx) {
		cf_err_set(err, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (voice_of(&cases[i], k))
			idx[m++] = i;
	if (!m)
		goto out;
	st = kernel_voice_batch(t, cases, idx, m, k, err);
	if (st == VM_ERROR) {
		ret = -1;
		goto out;
	}
	if (st == VM_OK)
		goto out;
	if (m == 1) {
		set_lost(t, &cases[idx[0]], k, st, err->msg);
		goto out;
	}
	for (int i = 0; i < m; i++) {
		st = kernel_voice_batch(t, cases, &idx[i], 1, k, err);
		if (st == VM_ERROR) {
			ret = -1;
			goto out;
		}
		if (st != VM_OK) {
			set_lost(t, &cases[idx[i]], k, st, err->msg);
		}
	}
out:
	free(idx);
	return ret;
}

static void run_model_voice(struct tvm *t, struct tvm_case *c)
{
	static struct exec_result xr;
	struct tvm_voice *v = voice_of(c, TVM_MODEL_JIT);
	struct jit_image img = { 0 };
	struct cf_err err;
	struct mismatch m;

	if (jit_compile(c->prog, &t->jopts, &img, &err)) {
		v->load_err = EINVAL;
		if (c->m.kind == MISMATCH_NONE) {
			mismatch_jit_reject(&c->m, err.msg);
			c->mvoice = (int)(v - c->voice);
			snprintf(c->mvoice_name, sizeof(c->mvoice_name), "%s", t->names[TVM_MODEL_JIT]);
		}
		return;
	}
	v->loaded = true;
	if (exec_run(t->ex, img.code, img.ncode, img.entry, c->ctx_in, &xr, &err)) {
		v->run_err = EIO;
	} else {
		v->ran = xr.status == EXEC_OK || xr.status == EXEC_ABI;
		v->r0 = xr.r0;
		v->retval = (uint32_t)xr.r0;
		v->run_ns = xr.run_ns;
		memcpy(v->ctx, xr.ctx, CF_CTX_SIZE);
		if (compare_results(&c->ir, &xr, &img, c->prog, &m) != MISMATCH_NONE && c->m.kind == MISMATCH_NONE) {
			c->m = m;
			c->mvoice = (int)(v - c->voice);
			snprintf(c->mvoice_name, sizeof(c->mvoice_name), "%s", t->names[TVM_MODEL_JIT]);
		}
	}
	jit_image_free(&img);
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

static void set_mismatch(struct tvm *t, struct tvm_case *c, enum tvm_voice_kind k, enum mismatch_kind kind)
{
	memset(&c->m, 0, sizeof(c->m));
	c->m.kind = kind;
	c->m.event = c->m.arg = c->m.offset = c->m.func = c->m.insn = -1;
	c->mvoice = (int)(voice_of(c, k) - c->voice);
	snprintf(c->mvoice_name, sizeof(c->mvoice_name), "%s", t->names[k]);
}

static uint64_t ctx_word(const uint8_t *ctx, int off)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | ctx[(off & ~7) + i];
	return v;
}

/* A kernel voice against the interpreter, in the oracle's order. */
static void compare_kernel_voice(struct tvm *t, struct tvm_case *c, enum tvm_voice_kind k)
{
	struct tvm_voice *v = voice_of(c, k);
	char reason[200];

	if (!v || c->m.kind != MISMATCH_NONE)
		return;
	if (v->loaded != c->checker_ok) {
		set_mismatch(t, c, k, MISMATCH_VERIFIER);
		log_reason(c->kernel_log, reason, sizeof(reason));
		if (c->checker_ok)
			snprintf(c->m.place, sizeof(c->m.place), "the checker accepts, the kernel rejects (%s): %.100s",
				 strerror(v->load_err), reason[0] ? reason : "no log");
		else
			snprintf(c->m.place, sizeof(c->m.place), "the kernel accepts, the checker rejects: %.100s",
				 c->checker_msg);
		return;
	}
	if (!c->checker_ok)
		return; /* both reject: the verdicts agree */
	if (!v->ran) {
		set_mismatch(t, c, k, MISMATCH_KERNEL);
		snprintf(c->m.place, sizeof(c->m.place), "BPF_PROG_TEST_RUN failed: %s", strerror(v->run_err));
		return;
	}
	for (int i = 0; i < CF_CTX_SIZE; i++) {
		if (c->ir.ctx[i] == v->ctx[i])
			continue;
		set_mismatch(t, c, k, MISMATCH_KERNEL);
		c->m.offset = i;
		c->m.want = ctx_word(c->ir.ctx, i);
		c->m.got = ctx_word(v->ctx, i);
		snprintf(c->m.place, sizeof(c->m.place), "ctx[%d] (u64 at ctx[%d])", i, i & ~7);
		return;
	}
	if ((uint32_t)c->ir.r0 != v->retval) {
		set_mismatch(t, c, k, MISMATCH_KERNEL);
		c->m.want = (uint32_t)c->ir.r0;
		c->m.got = v->retval;
		snprintf(c->m.place, sizeof(c->m.place), "r0 (low 32 bits)");
	}
}

int tvm_run(struct tvm *t, struct tvm_case *cases, int n, struct cf_err *err)
{
	struct cf_check_opts co;
	uint64_t t0 = now_ns();

	tvm_check_opts(t, &co);
	for (int i = 0; i < n; i++) {
		struct tvm_case *c = &cases[i];
		struct cf_err cerr;

		tvm_case_release(c);
		memset(&c->m, 0, sizeof(c->m));
		c->m.kind = MISMATCH_NONE;
		c->mvoice = -1;
		c->mvoice_name[0] = 0;
		c->nvoices = 0;
		c->interp_fault = false;
		c->checker_ok = cf_check(c->prog, &co, &cerr) == 0;
		snprintf(c->checker_msg, sizeof(c->checker_msg), "%s", c->checker_ok ? "" : cerr.msg);
		if (c->checker_ok) {
			interp_run(c->prog, NULL, NULL, c->ctx_in, &c->ir);
			c->interp_fault = c->ir.status != INTERP_OK;
		}
		for (int k = TVM_KERNEL_JIT; k <= TVM_MODEL_JIT; k++) {
			if (!wants_voice(t, c, (enum tvm_voice_kind)k))
				continue;
			memset(&c->voice[c->nvoices], 0, sizeof(c->voice[0]));
			c->voice[c->nvoices++].kind = (enum tvm_voice_kind)k;
		}
	}
	t->stats.host_ns += now_ns() - t0;
	if (run_kernel_voice(t, cases, n, TVM_KERNEL_JIT, err) < 0 ||
	    run_kernel_voice(t, cases, n, TVM_KERNEL_INTERP, err) < 0)
		return -1;
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		struct tvm_case *c = &cases[i];

		compare_kernel_voice(t, c, TVM_KERNEL_JIT);
		compare_kernel_voice(t, c, TVM_KERNEL_INTERP);
		if (voice_of(c, TVM_MODEL_JIT))
			run_model_voice(t, c);
		t->stats.programs++;
	}
	t->stats.host_ns += now_ns() - t0;
	t->stats.boots = vm_get_info(t->vm)->boots;
	for (int i = 0; i < n; i++) {
		struct tvm_case *c = &cases[i];

		if (t->opts.listing && c->mvoice >= 0 && c->voice[c->mvoice].kind == TVM_KERNEL_JIT &&
		    (c->m.kind == MISMATCH_KERNEL || c->m.kind == MISMATCH_CRASH || c->m.kind == MISMATCH_TIMEOUT))
			c->listing = jit_listing(t, c->prog);
	}
	return 0;
}

/* ---- printing ------------------------------------------------------------ */

static void print_ctx_changes(FILE *out, const char *who, const uint8_t *in, const uint8_t *after)
{
	for (int i = 0; i < CF_CTX_SIZE; i += 8) {
		if (!memcmp(in + i, after + i, 8))
			continue;
		fprintf(out, "  %s ctx[%d..%d]: 0x%016" PRIx64 " -> 0x%016" PRIx64 "\n", who, i, i + 7,
			ctx_word(in, i), ctx_word(after, i));
	}
}

void tvm_print_case(const struct tvm *t, const struct tvm_case *c, FILE *out)
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
		return;
	}
	fprintf(out, "mismatch: %s (%s) at %s", mismatch_kind_name(c->m.kind), c->mvoice_name, c->m.place);
	if (c->m.kind == MISMATCH_KERNEL && (c->m.offset >= 0 || !strncmp(c->m.place, "r0", 2)))
		fprintf(out, ": interpreter 0x%" PRIx64 ", kernel 0x%" PRIx64, c->m.want, c->m.got);
	else if (c->m.kind == MISMATCH_OUTBUF || c->m.kind == MISMATCH_RETVAL || c->m.kind == MISMATCH_TRACE)
		fprintf(out, ": interpreter 0x%" PRIx64 ", jit 0x%" PRIx64, c->m.want, c->m.got);
	fprintf(out, "\n");
	if (c->m.kind == MISMATCH_VERIFIER && c->kernel_log)
		fprintf(out, "kernel verifier log:\n%s%s", c->kernel_log,
			c->kernel_log[0] && c->kernel_log[strlen(c->kernel_log) - 1] != '\n' ? "\n" : "");
	if (c->checker_ok) {
		fprintf(out, "interpreter: r0=0x%" PRIx64 " (low 32 bits 0x%x), %" PRIu64 " insns\n", c->ir.r0,
			(uint32_t)c->ir.r0, c->ir.insns_executed);
		print_ctx_changes(out, "interp", c->ctx_in, c->ir.ctx);
	}
	for (int i = 0; i < c->nvoices; i++) {
		const struct tvm_voice *v = &c->voice[i];

		fprintf(out, "%s: ", t->names[v->kind]);
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
		if (v->kind == TVM_MODEL_JIT)
			fprintf(out, "r0=0x%" PRIx64 "\n", v->r0);
		else
			fprintf(out, "r0=0x%x (low 32 bits; load %.2f ms, run %.3f ms)\n", v->retval, v->load_ns / 1e6,
				v->run_ns / 1e6);
		print_ctx_changes(out, v->kind == TVM_MODEL_JIT ? "jit" : "kernel", c->ctx_in, v->ctx);
	}
	if (c->crash && c->crash[0])
		fprintf(out, "guest console:\n%s\n", c->crash);
	if (c->listing)
		fprintf(out, "kernel JIT code (%s):\n%s", c->mvoice_name, c->listing);
}

/* ---- kernel trees -------------------------------------------------------- */

int tvm_build_kernel_tree(const char *src, const char *arch, char *image, size_t size, struct cf_err *err)
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
		return -2;
	}
	return 0;
}

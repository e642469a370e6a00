/* fuzz/loop/loop.c: the differential loop of callfuzz (fuzz/loop/loop.h):
 * generate, run one case through the target (harness/target/target.h),
 * and write an artifact for every mismatch with the report writer of
 * harness/repro/. */
#define _GNU_SOURCE
#include "fuzz/loop/loop.h"

#include <inttypes.h>
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
	target_opts_default(&o->target);
	gen_opts_default(&o->gen);
	o->lse = LOOP_LSE_ALTERNATE;
	o->artifacts_dir = "artifacts";
	o->replay_cmd = "build/callfuzz";
	o->check_every = 8;
}

/* ---- the loop ------------------------------------------------------------ */

struct loop {
	struct loop_opts opts;
	char artifacts_dir[512];
	char replay_cmd[256];
	struct target *t;
	struct target_id id;
	char id_text[1024];        /* `target` of every artifact */
	struct loop_stats stats;
	char *texts[LOOP_MAX_BATCH]; /* the outcomes' prog_text of the last call */
	int ntexts;
	char desc[1280];
	/* loop_queue_input: cases prepared (checked, interpreted) and waiting
	 * for the target, each with a copy of its input's bytes; the other
	 * batch is the one loop_send sent, while it is in flight */
	struct loop_batch {
		struct target_case cases[LOOP_MAX_BATCH];
		struct cf_prog progs[LOOP_MAX_BATCH];
		uint8_t *data[LOOP_MAX_BATCH];
		size_t len[LOOP_MAX_BATCH];
		int n;
	} batch[2];
	int cur;                   /* batch[cur] takes new inputs */
	bool flying;               /* batch[!cur] is with the target */
	/* target_opts.kcov: the kernel PCs of the cases of the last call */
	uint64_t *kcov_pcs;
	uint32_t *kcov_hits;
	size_t nkcov_pcs, kcov_cap;
};

struct loop *loop_start(const struct loop_opts *o, struct cf_err *err)
{
	struct loop *l = calloc(1, sizeof(*l));
	struct target_opts to;
	char what[900];
	FILE *f;

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
	to = o->target;
	to.listing = target_kind_vm(to.kind); /* a kernel JIT mismatch's report carries the JIT code */
	l->t = target_open(&to, err);
	if (!l->t) {
		free(l);
		return NULL;
	}
	l->opts.target.kernel = l->opts.target.arch = l->opts.target.console_log = NULL;
	target_get_id(l->t, &l->id);
	f = fmemopen(l->id_text, sizeof(l->id_text) - 1, "w");
	if (f) {
		target_id_write(&l->id, f);
		fclose(f);
	}
	target_describe(l->t, what, sizeof(what));
	if (o->target.kind == TARGET_MODEL) {
		const char *lse = o->lse == LOOP_LSE_ON ? "LSE" : o->lse == LOOP_LSE_OFF ? "LL/SC" :
											  "LSE or LL/SC per input";

		snprintf(l->desc, sizeof(l->desc), "target model: %s; profile model, 0..%d arguments; atomics %s", what,
			 l->opts.gen.max_args, lse);
		return l;
	}
	/* A kernel: the generator follows what it can load (docs/vm-target.md:
	 * 12 arguments with stack arguments, else 5), with none of the model's
	 * helpers. */
	l->opts.gen.profile = GEN_PROFILE_KERNEL;
	if (l->opts.gen.max_args > target_max_args(l->t))
		l->opts.gen.max_args = target_max_args(l->t);
	{
		/* a 7.2 kernel: its helpers, may_goto and 16 frames
		 * (docs/kernel-paths.md), with functions enough for the chain;
		 * maps and raw tracepoints where the target creates them */
		struct cf_check_opts co;

		target_check_opts(l->t, &co);
		l->opts.gen.maps = co.maps; /* the vm target creates maps */
		l->opts.gen.raw_tp = co.raw_tp;
		l->opts.gen.kernel_paths = co.kernel_paths;
		l->opts.gen.kfuncs = co.kfuncs;
		l->opts.gen.max_frames = co.max_frames;
		if (co.max_frames > CF_MODEL_MAX_FRAMES && l->opts.gen.max_funcs < GEN_VM_MAX_FUNCS)
			l->opts.gen.max_funcs = GEN_VM_MAX_FUNCS;
	}
	snprintf(l->desc, sizeof(l->desc), "target %s: %s; profile kernel, 0..%d arguments, %d frames%s%s%s%s",
		 target_kind_name(o->target.kind), what, l->opts.gen.max_args, l->opts.gen.max_frames,
		 l->opts.gen.kernel_paths ? ", helpers and may_goto" : "",
		 l->opts.gen.kfuncs ? ", kfuncs" : l->opts.gen.kernel_paths ? " (kfuncs off: see above)" : "",
		 l->opts.gen.raw_tp ? ", maps, raw tracepoints" : l->opts.gen.maps ? ", maps" : "",
		 o->target.kind == TARGET_VM_MODEL ? "; our arm64 JIT on the executor as a further voice" : "");
	return l;
}

static void drop_batch(struct loop_batch *b)
{
	for (int i = 0; i < b->n; i++) {
		target_case_release(&b->cases[i]);
		cf_prog_free(&b->progs[i]);
		free(b->data[i]);
	}
	b->n = 0;
}

void loop_stop(struct loop *l)
{
	if (!l)
		return;
	target_close(l->t); /* a batch in flight dies with the guest */
	drop_batch(&l->batch[0]);
	drop_batch(&l->batch[1]);
	for (int i = 0; i < l->ntexts; i++)
		free(l->texts[i]);
	free(l->kcov_pcs);
	free(l->kcov_hits);
	free(l);
}

const uint64_t *loop_kcov_pcs(const struct loop *l, const uint32_t **hits, size_t *n)
{
	*n = l->nkcov_pcs;
	*hits = l->kcov_hits;
	return l->kcov_pcs;
}

static void add_kcov(struct loop *l, const struct target_case *c)
{
	if (!c->nkcov_pcs)
		return;
	if (l->nkcov_pcs + c->nkcov_pcs > l->kcov_cap) {
		size_t cap = (l->nkcov_pcs + c->nkcov_pcs) * 2;
		uint64_t *n = realloc(l->kcov_pcs, cap * sizeof(*n));
		uint32_t *h;

		if (!n)
			return;
		l->kcov_pcs = n;
		h = realloc(l->kcov_hits, cap * sizeof(*h));
		if (!h)
			return;
		l->kcov_hits = h;
		l->kcov_cap = cap;
	}
	memcpy(l->kcov_pcs + l->nkcov_pcs, c->kcov_pcs, c->nkcov_pcs * sizeof(*c->kcov_pcs));
	memcpy(l->kcov_hits + l->nkcov_pcs, c->kcov_hits, c->nkcov_pcs * sizeof(*c->kcov_hits));
	l->nkcov_pcs += c->nkcov_pcs;
}

const struct loop_stats *loop_get_stats(const struct loop *l)
{
	return &l->stats;
}

const struct target *loop_target(const struct loop *l)
{
	return l->t;
}

void loop_describe(const struct loop *l, char *buf, size_t size)
{
	snprintf(buf, size, "%s", l->desc);
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

/* ---- one iteration ------------------------------------------------------------ */

/* prog.s: on a kernel target the ctx the case ran with as a `; ctx:` line,
 * which `callfuzz run` reads back (docs/vm-target.md), then the text. */
static void set_prog_text(struct loop *l, struct loop_outcome *out, const struct target_case *c)
{
	char *text = cf_asm_print(c->prog), *both = NULL;
	size_t len = 0;
	FILE *f;

	out->prog_text = NULL;
	if (l->ntexts == LOOP_MAX_BATCH) {
		free(text);
		return;
	}
	if (l->opts.target.kind == TARGET_MODEL) {
		l->texts[l->ntexts++] = text;
		out->prog_text = text;
		return;
	}
	f = open_memstream(&both, &len);
	if (f) {
		fprintf(f, "; callfuzz fuzz-diff, target %s, profile kernel, max args %d\n; ctx: ",
			target_kind_name(l->opts.target.kind), l->opts.gen.max_args);
		for (int i = 0; i < CF_CTX_SIZE; i++)
			fprintf(f, "%02x", c->ctx_in[i]);
		fprintf(f, "\n%s", text ? text : "");
		if (fclose(f)) {
			free(both);
			both = NULL;
		}
	}
	free(text);
	l->texts[l->ntexts++] = both;
	out->prog_text = both;
}

static enum loop_verdict record_mismatch(struct loop *l, const uint8_t *data, size_t len,
					 const struct target_case *c, struct loop_outcome *out)
{
	struct report_info ri;
	struct artifact a;
	struct cf_err err;
	char hit[400], *report = NULL;
	size_t report_len = 0;
	FILE *f;

	out->verdict = LOOP_MISMATCH;
	out->m = c->m;
	target_signature(c, out->signature, sizeof(out->signature), &out->known);
	if (out->known)
		l->stats.known_bugs++;
	else
		l->stats.mismatches++;
	set_prog_text(l, out, c);
	if (!l->opts.artifacts_dir) {
		snprintf(out->artifact_dir, sizeof(out->artifact_dir), "(none)");
		return out->verdict;
	}
	snprintf(out->artifact_dir, sizeof(out->artifact_dir), "%s/%s", l->opts.artifacts_dir, out->signature);
	ri = (struct report_info){ .signature = out->signature, .known = out->known, .t = l->t, .c = c,
				   .dir = out->artifact_dir, .replay_cmd = l->replay_cmd, .input_len = len };
	f = open_memstream(&report, &report_len);
	if (f) {
		report_write(f, &ri);
		fclose(f);
	}
	snprintf(hit, sizeof(hit), "%ld pid=%d bytes=%zu lse=%d %s (%s): %.200s", (long)time(NULL), (int)getpid(),
		 len, !c->llsc, mismatch_kind_name(c->m.kind), c->mvoice_name, c->m.place);
	a = (struct artifact){ .signature = out->signature, .input = data, .input_len = len,
			       .prog_text = out->prog_text, .report = report, .hit_line = hit,
			       .console = c->crash && c->crash[0] ? c->crash : c->report.text, .target = l->id_text };
	if (artifact_write(l->opts.artifacts_dir, &a, out->artifact_dir, sizeof(out->artifact_dir), &err) < 0) {
		snprintf(out->msg, sizeof(out->msg), "cannot write the artifact of %s: %s", out->signature, err.msg);
		out->verdict = LOOP_ERROR;
	}
	free(report);
	return out->verdict;
}

static void add_case_times(struct loop_stats *st, const struct target_case *c, uint64_t run_ns)
{
	const struct target_case_times *tt = &c->times;
	uint64_t host = tt->check_ns + tt->jit_ns + tt->wait_ns + tt->compare_ns;

	st->stage_ns[LOOP_STAGE_CHECK] += tt->check_ns;
	st->stage_ns[LOOP_STAGE_INTERP] += tt->interp_ns;
	st->stage_ns[LOOP_STAGE_JIT] += tt->jit_ns;
	st->stage_ns[LOOP_STAGE_WAIT] += tt->wait_ns;
	st->stage_ns[LOOP_STAGE_COMPARE] += tt->compare_ns;
	/* the rest of the target's time: the executor, or the guest's round
	 * trips (the interpreter runs on the calling thread except on the
	 * model target, where it overlaps the executor) */
	if (!tt->wait_ns)
		host += tt->interp_ns;
	st->stage_ns[LOOP_STAGE_EXEC] += run_ns > host ? run_ns - host : 0;
}

/* After target_run: the outcome of case c (gen bug, equal, mismatch). */
static enum loop_verdict finish_case(struct loop *l, const uint8_t *data, size_t len, const struct target_case *c,
				     struct loop_outcome *out)
{
	struct loop_stats *st = &l->stats;
	bool model = l->opts.target.kind == TARGET_MODEL;
	uint64_t t = now_ns();

	add_kcov(l, c);
	st->checked += c->checked;
	/* design.md "The oracle": the checker (with the target's options)
	 * rejecting a generated program, or the interpreter faulting on one it
	 * accepts, is a generator (or checker/interpreter) bug. */
	if (!c->checker_ok || c->interp_fault) {
		st->gen_bugs++;
		set_prog_text(l, out, c);
		if (!c->checker_ok)
			snprintf(out->msg, sizeof(out->msg), "generator bug: the checker%s rejected a generated program: %s",
				 model ? "" : " (kernel options)", c->checker_msg);
		else
			snprintf(out->msg, sizeof(out->msg),
				 "generator bug: the interpreter %s on a program the checker accepted: %s",
				 c->ir.status == INTERP_TIMEOUT ? "ran out of instructions" : "faulted", c->ir.fault);
		out->verdict = LOOP_GEN_BUG;
		return out->verdict;
	}
	st->programs++;
	st->interp_insns += c->ir.insns_executed;
	for (int i = 0; i < c->nvoices; i++) {
		st->vm_interp_voice += c->voice[i].kind == TARGET_VOICE_KERNEL_INTERP && c->voice[i].ran;
		st->lse_programs += c->voice[i].kind == TARGET_VOICE_MODEL_JIT && c->voice[i].loaded && !c->llsc;
		if (c->voice[i].kind == TARGET_VOICE_KERNEL_JIT && c->voice[i].ran && c->m.kind == MISMATCH_NONE &&
		    c->prog->ntails) {
			st->tail_programs++;
			st->tail_runs += c->ir.tail_calls > 0;
			st->tail_calls += c->ir.tail_calls;
		}
	}
	if (c->m.kind != MISMATCH_NONE) {
		record_mismatch(l, data, len, c, out);
		st->stage_ns[LOOP_STAGE_ARTIFACT] += now_ns() - t;
	}
	return out->verdict;
}

/* The target's totals the loop reports as its own. */
static void copy_target_stats(struct loop_stats *st, const struct target_stats *ts, bool model)
{
	st->exec_restarts = (uint64_t)(model ? ts->exec_restarts : ts->boots > 1 ? ts->boots - 1 : 0);
	st->guest_load_ns = ts->load_ns;
	st->guest_run_ns = ts->run_ns;
	st->round_trips = (uint64_t)ts->round_trips;
}

static void outcome_reset(struct loop_outcome *out)
{
	memset(&out->m, 0, sizeof(out->m));
	out->known = false;
	out->verdict = LOOP_EQUAL;
	out->signature[0] = out->artifact_dir[0] = out->msg[0] = 0;
	out->prog_text = NULL;
}

/* The fuzzer's bytes as a case for the target: program, atomics, check or
 * not, ctx. 0, or -1 with out (LOOP_ERROR) saying why. */
static int make_case(struct loop *l, const uint8_t *data, size_t len, struct cf_prog *prog, struct target_case *c,
		     struct loop_outcome *out)
{
	bool model = l->opts.target.kind == TARGET_MODEL;
	uint64_t h = input_hash(data, len);
	struct cf_err err;

	/* the model voice of a kernel target uses LSE */
	out->lse = model ? pick_lse(l->opts.lse, h) : true;
	if (gen_program(data, len, &l->opts.gen, prog, &err)) {
		snprintf(out->msg, sizeof(out->msg), "gen_program: %s", err.msg);
		out->verdict = LOOP_ERROR;
		return -1;
	}
	count_program(&l->stats, prog);
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->llsc = !out->lse;
	c->skip_check = model && !pick_check(l->opts.check_every, h);
	/* A kernel target's ctx comes from the input's hash: nonzero, so
	 * that the kernel profile's ctx reads see data. The model
	 * target's programs start from a zero ctx. */
	if (!model)
		for (int k = 0; k < CF_CTX_SIZE; k++)
			c->ctx_in[k] = (uint8_t)(k * 37 + (h >> (8 * (k & 7))));
	return 0;
}

static void free_texts(struct loop *l)
{
	for (int i = 0; i < l->ntexts; i++)
		free(l->texts[i]);
	l->ntexts = 0;
	l->nkcov_pcs = 0;
}

int loop_run_batch(struct loop *l, const uint8_t *const *data, const size_t *len, int n, struct loop_outcome *out)
{
	struct loop_stats *st = &l->stats;
	struct target_case *cases;
	struct cf_prog *progs;
	int *which, m = 0;
	struct cf_err err;
	uint64_t t_start = now_ns(), t = t_start, t1;
	bool model = l->opts.target.kind == TARGET_MODEL;

	if (n < 1 || n > LOOP_MAX_BATCH)
		return -1;
	free_texts(l);
	cases = calloc((size_t)n, sizeof(*cases));
	progs = calloc((size_t)n, sizeof(*progs));
	which = calloc((size_t)n, sizeof(*which));
	if (!cases || !progs || !which) {
		free(cases);
		free(progs);
		free(which);
		for (int i = 0; i < n; i++) {
			outcome_reset(&out[i]);
			out[i].verdict = LOOP_ERROR;
			snprintf(out[i].msg, sizeof(out[i].msg), "out of memory");
		}
		return n;
	}
	for (int i = 0; i < n; i++) {
		outcome_reset(&out[i]);
		if (make_case(l, data[i], len[i], &progs[m], &cases[m], &out[i]) == 0)
			which[m++] = i;
	}
	t1 = now_ns();
	st->stage_ns[LOOP_STAGE_GEN] += t1 - t;
	t = t1;
	if (m && target_run(l->t, cases, m, &err) < 0) {
		for (int j = 0; j < m; j++) {
			out[which[j]].verdict = LOOP_ERROR;
			snprintf(out[which[j]].msg, sizeof(out[which[j]].msg), "%s: %s", model ? "executor" : "target",
				 err.msg);
		}
		m = -m; /* release only */
	} else if (m) {
		t1 = now_ns();
		for (int j = 0; j < m; j++)
			add_case_times(st, &cases[j], (t1 - t) / (uint64_t)m);
		copy_target_stats(st, target_get_stats(l->t), model);
		for (int j = 0; j < m; j++)
			finish_case(l, data[which[j]], len[which[j]], &cases[j], &out[which[j]]);
	}
	if (m < 0)
		m = -m;
	for (int j = 0; j < m; j++) {
		target_case_release(&cases[j]);
		cf_prog_free(&progs[j]);
	}
	st->wall_ns += now_ns() - t_start;
	free(cases);
	free(progs);
	free(which);
	return n;
}

enum loop_verdict loop_queue_input(struct loop *l, const uint8_t *data, size_t len, struct loop_outcome *out)
{
	struct loop_batch *b = &l->batch[l->cur];
	struct target_case *c = &b->cases[b->n];
	struct cf_prog *prog = &b->progs[b->n];
	uint64_t t_start = now_ns(), t;

	free_texts(l);
	outcome_reset(out);
	if (b->n == LOOP_MAX_BATCH) {
		snprintf(out->msg, sizeof(out->msg), "loop_queue_input: %d inputs wait already (loop_flush)",
			 LOOP_MAX_BATCH);
		out->verdict = LOOP_ERROR;
		return out->verdict;
	}
	if (make_case(l, data, len, prog, c, out) < 0)
		return out->verdict;
	t = now_ns();
	l->stats.stage_ns[LOOP_STAGE_GEN] += t - t_start;
	target_prepare(l->t, c);
	l->stats.stage_ns[LOOP_STAGE_CHECK] += c->times.check_ns;
	l->stats.stage_ns[LOOP_STAGE_INTERP] += c->times.interp_ns;
	c->times.check_ns = c->times.interp_ns = 0; /* counted here, not again at the flush */
	if (!c->checker_ok || c->interp_fault) {
		/* a generator bug: now, on the input that made it */
		finish_case(l, data, len, c, out);
	} else {
		b->data[b->n] = malloc(len ? len : 1);
		if (!b->data[b->n]) {
			snprintf(out->msg, sizeof(out->msg), "out of memory");
			out->verdict = LOOP_ERROR;
		} else {
			memcpy(b->data[b->n], data, len);
			b->len[b->n++] = len;
			out->verdict = LOOP_QUEUED;
		}
	}
	if (out->verdict != LOOP_QUEUED) {
		target_case_release(c);
		cf_prog_free(prog);
	}
	l->stats.wall_ns += now_ns() - t_start;
	return out->verdict;
}

int loop_queued(const struct loop *l)
{
	return l->batch[l->cur].n;
}

bool loop_in_flight(const struct loop *l)
{
	return l->flying;
}

int loop_send(struct loop *l, char *msg, size_t size)
{
	struct loop_batch *b = &l->batch[l->cur];
	uint64_t t_start = now_ns();
	struct cf_err err;

	if (l->flying) {
		snprintf(msg, size, "loop_send: a batch is in flight (loop_receive)");
		return -1;
	}
	if (!b->n)
		return 0;
	if (target_run_send(l->t, b->cases, b->n, &err) < 0) {
		snprintf(msg, size, "target: %s", err.msg);
		drop_batch(b);
		l->stats.wall_ns += now_ns() - t_start;
		return -1;
	}
	l->flying = true;
	l->cur ^= 1;
	l->stats.wall_ns += now_ns() - t_start;
	return 0;
}

int loop_receive(struct loop *l, struct loop_outcome *out)
{
	struct loop_stats *st = &l->stats;
	struct loop_batch *b = &l->batch[l->cur ^ 1];
	int m = b->n;
	uint64_t t_start = now_ns(), t1;
	struct cf_err err;

	free_texts(l);
	if (!l->flying)
		return 0;
	l->flying = false;
	for (int j = 0; j < m; j++) {
		outcome_reset(&out[j]);
		out[j].lse = !b->cases[j].llsc;
	}
	if (target_run_recv(l->t, b->cases, m, &err) < 0) {
		for (int j = 0; j < m; j++) {
			out[j].verdict = LOOP_ERROR;
			snprintf(out[j].msg, sizeof(out[j].msg), "target: %s", err.msg);
		}
	} else {
		/* the target's part of each case: the time the host waited
		 * for it, not the time since the send (the host worked on
		 * the next inputs meanwhile) */
		t1 = now_ns();
		for (int j = 0; j < m; j++)
			add_case_times(st, &b->cases[j], (t1 - t_start) / (uint64_t)m);
		copy_target_stats(st, target_get_stats(l->t), l->opts.target.kind == TARGET_MODEL);
		/* each mismatch's artifact with its own input's bytes */
		for (int j = 0; j < m; j++)
			finish_case(l, b->data[j], b->len[j], &b->cases[j], &out[j]);
	}
	drop_batch(b);
	st->wall_ns += now_ns() - t_start;
	return m;
}

int loop_flush(struct loop *l, struct loop_outcome *out)
{
	int m = loop_queued(l);
	char msg[sizeof(out->msg)];

	free_texts(l);
	if (!m)
		return 0;
	/* refused with a batch in flight: the queue stays */
	if (loop_send(l, msg, sizeof(msg)) < 0) {
		for (int j = 0; j < m; j++) {
			outcome_reset(&out[j]);
			out[j].verdict = LOOP_ERROR;
			snprintf(out[j].msg, sizeof(out[j].msg), "%s", msg);
		}
		return m;
	}
	return loop_receive(l, out);
}

enum loop_verdict loop_run_input(struct loop *l, const uint8_t *data, size_t len, struct loop_outcome *out)
{
	loop_run_batch(l, &data, &len, 1, out);
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
	fprintf(f, "tail_programs %" PRIu64 "\n", s->tail_programs);
	fprintf(f, "tail_runs %" PRIu64 "\n", s->tail_runs);
	fprintf(f, "tail_calls %" PRIu64 "\n", s->tail_calls);
	fprintf(f, "wall_ns %" PRIu64 "\n", s->wall_ns);
	fprintf(f, "guest_load_ns %" PRIu64 "\n", s->guest_load_ns);
	fprintf(f, "guest_run_ns %" PRIu64 "\n", s->guest_run_ns);
	fprintf(f, "round_trips %" PRIu64 "\n", s->round_trips);
	fprintf(f, "fuzz_ns %" PRIu64 "\n", s->fuzz_ns);
	fprintf(f, "engine_ns %" PRIu64 "\n", s->engine_ns);
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

/* harness/cli/cli_agree.c: `callfuzz agree`: generated programs of fixed
 * seeds through the fuzz loop (fuzz/loop/loop.h) on any target, B inputs
 * per batch (a kernel target: one round trip per voice for all of them),
 * with the share the target accepts and agrees with. The loop writes the
 * buckets; this command only counts. `vm-fuzz` and `kernel-agree` are its
 * old names, with --target vm and --target kernel as defaults. */
#include "fuzz/loop/loop.h"
#include "gen/gen.h"
#include "harness/cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void agree_usage(FILE *out, const char *name)
{
	fprintf(out,
		"usage: callfuzz %s [--target T] [target options] [--count N] [--seed S] [--batch B]\n"
		"                 [--max-args N] [--artifacts DIR] [--stop-after K] [--stop-on KIND,...]\n\n"
		"Generates N programs from seeds S..S+N-1 (the bytes of `callfuzz gen --seed S+i`;\n"
		"on a kernel target the kernel profile with the kernel's --max-args) and runs them\n"
		"through the fuzz loop on the target, B per batch (default 16: one round trip\n"
		"per kernel voice for all of them). Prints the share the checker accepts, the\n"
		"share the target's verifier accepts (VERIFIER buckets: by reason), the share\n"
		"equal to the interpreter, and where the time went. Mismatches are written as\n"
		"buckets to DIR (default: none) like fuzz/run's.\n"
		"--stop-after K ends the run after the batch with the K-th mismatch (of the\n"
		"kinds in --stop-on, e.g. KERNEL,CRASH).\n\n",
		name);
	cli_target_usage(out);
	fprintf(out, "\nExit codes: 0 no mismatch (known kernel bugs aside), 1 mismatches, 2 bad usage,\n"
		     "no kernel or no executor, 125 --kernel-tree does not build.\n");
}

#define MAX_REASONS 32

struct reason {
	char text[128];
	long count, first_seed;
};

struct agree_tally {
	long programs, gen_bugs, verifier, known, mismatches, errors;
	long by_kind[MISMATCH_KERNEL + 1];
	long first_seed, first_programs;
	double first_s;
	struct reason reasons[MAX_REASONS];
	int nreasons;
	long loaded_with[64]; /* programs the kernel loaded that call cf_callees[i] */
};

/* Which helpers and kfuncs a program the kernel loaded calls: the new
 * paths are reached only if programs that call them load (the program is
 * generated again from its bytes, as the loop did). */
static void tally_calls(struct agree_tally *t, const struct gen_opts *go, const uint8_t *data, size_t len)
{
	struct cf_prog p;
	struct cf_err err;
	bool seen[64] = { false };

	if (gen_program(data, len, go, &p, &err))
		return;
	for (int fi = 0; fi < p.nfuncs; fi++)
		for (int pc = 0; pc < p.funcs[fi].ninsns; pc++) {
			const struct bpf_insn *i = &p.funcs[fi].insns[pc];
			const struct cf_callee *c;

			if (i->code != (BPF_JMP | BPF_CALL) || cf_insn_is_pseudo_call(i))
				continue;
			c = cf_callee_find(i->src_reg == BPF_PSEUDO_KFUNC_CALL, i->imm);
			if (c && cf_callee_index(c) < 64)
				seen[cf_callee_index(c)] = true;
		}
	for (int k = 0; k < 64; k++)
		t->loaded_with[k] += seen[k];
	cf_prog_free(&p);
}

/* VERIFIER mismatches grouped by the kernel's reason (digits dropped, so
 * that offsets and registers do not split a class). */
static void tally_reason(struct agree_tally *t, const struct mismatch *m, long seed)
{
	char text[128];
	size_t n = 0;
	const char *r = strstr(m->place, "): ");

	r = r ? r + 3 : m->place;
	for (; *r && n + 1 < sizeof(text); r++)
		if (*r < '0' || *r > '9')
			text[n++] = *r;
	text[n] = 0;
	for (int i = 0; i < t->nreasons; i++) {
		if (!strcmp(t->reasons[i].text, text)) {
			t->reasons[i].count++;
			return;
		}
	}
	if (t->nreasons < MAX_REASONS) {
		snprintf(t->reasons[t->nreasons].text, sizeof(t->reasons[0].text), "%s", text);
		t->reasons[t->nreasons].count = 1;
		t->reasons[t->nreasons++].first_seed = seed;
	}
}

static double pct(long a, long b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

static int cmd_agree_as(int argc, char **argv, enum target_kind default_kind)
{
	struct loop_opts lo;
	struct cli_target a;
	struct loop *l;
	struct cf_err err;
	struct agree_tally ft = { .first_seed = -1 };
	struct loop_outcome *out = NULL;
	uint8_t *bufs = NULL;
	const uint8_t *data[LOOP_MAX_BATCH];
	size_t lens[LOOP_MAX_BATCH];
	long count = 100, seed = 1, batch = 16, max_args = -1, stop_after = 0, stop_count = 0, done = 0;
	const char *stop_on = NULL, *artifacts = NULL, *name = argv[0];
	char desc[1024];
	int rc;
	uint64_t t0;

	if (cli_wants_help(argc, argv)) {
		agree_usage(stdout, name);
		return EXIT_OK;
	}
	cli_target_init(&a);
	a.to.kind = default_kind;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int r = cli_target_option(&a, argc, argv, &i, name);

		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if (!v) {
			agree_usage(stderr, name);
			return EXIT_USAGE;
		}
		i++;
		if ((!strcmp(o, "--count") && cli_parse_long(v, 1, 100000000, &count)) ||
		    (!strcmp(o, "--seed") && cli_parse_long(v, 0, 1L << 62, &seed)) ||
		    (!strcmp(o, "--batch") && cli_parse_long(v, 1, LOOP_MAX_BATCH, &batch)) ||
		    (!strcmp(o, "--max-args") && cli_parse_long(v, 0, CF_MAX_ARGS, &max_args)) ||
		    (!strcmp(o, "--stop-after") && cli_parse_long(v, 1, 1L << 30, &stop_after)))
			continue;
		if (!strcmp(o, "--artifacts") || !strcmp(o, "--out")) {
			artifacts = v;
		} else if (!strcmp(o, "--stop-on")) {
			stop_on = v;
		} else {
			fprintf(stderr, "callfuzz %s: bad option or value: %s %s\n", name, o, v);
			return EXIT_USAGE;
		}
	}
	rc = cli_target_prepare(&a, name);
	if (rc != EXIT_OK)
		return rc;
	loop_opts_default(&lo);
	lo.target = a.to;
	lo.artifacts_dir = artifacts;
	lo.check_every = 1;
	lo.lse = a.lse_given ? (a.llsc ? LOOP_LSE_OFF : LOOP_LSE_ON) : LOOP_LSE_ALTERNATE;
	/* at most what the target takes (loop_start): fewer shows, say, the
	 * 5-argument share */
	if (max_args >= 0)
		lo.gen.max_args = (int)max_args;
	l = loop_start(&lo, &err);
	if (!l) {
		fprintf(stderr, "callfuzz %s: %s\n", name, err.msg);
		return EXIT_USAGE;
	}
	loop_describe(l, desc, sizeof(desc));
	printf("%s: %s\n", name, desc);
	fflush(stdout);
	out = calloc((size_t)batch, sizeof(*out));
	bufs = malloc((size_t)batch * GEN_SEED_MAX_LEN);
	if (!out || !bufs) {
		fprintf(stderr, "callfuzz %s: out of memory\n", name);
		rc = EXIT_USAGE;
		goto done;
	}
	t0 = cli_now_ns();
	while (done < count) {
		int n = count - done < batch ? (int)(count - done) : (int)batch;

		for (int i = 0; i < n; i++) {
			uint8_t *buf = bufs + (size_t)i * GEN_SEED_MAX_LEN;

			lens[i] = gen_bytes_from_seed((uint64_t)(seed + done + i), -1, buf, GEN_SEED_MAX_LEN);
			data[i] = buf;
		}
		loop_run_batch(l, data, lens, n, out);
		for (int i = 0; i < n; i++) {
			const struct loop_outcome *o = &out[i];
			long s = seed + done + i;

			ft.programs++;
			if (lo.target.kind != TARGET_MODEL && o->verdict != LOOP_GEN_BUG && o->verdict != LOOP_ERROR &&
			    !(o->verdict == LOOP_MISMATCH && o->m.kind == MISMATCH_VERIFIER))
				tally_calls(&ft, loop_gen_opts(l), data[i], lens[i]);
			switch (o->verdict) {
			case LOOP_EQUAL:
			case LOOP_QUEUED: /* loop_queue_input's only */
				break;
			case LOOP_GEN_BUG:
				ft.gen_bugs++;
				printf("generator bug at seed %ld: %s\n", s, o->msg);
				break;
			case LOOP_ERROR:
				ft.errors++;
				fprintf(stderr, "callfuzz %s: seed %ld: %s\n", name, s, o->msg);
				break;
			case LOOP_MISMATCH:
				if (o->m.kind == MISMATCH_VERIFIER) {
					ft.verifier++;
					tally_reason(&ft, &o->m, s);
				}
				if (o->known) {
					ft.known++;
					break;
				}
				ft.mismatches++;
				if (o->m.kind <= MISMATCH_KERNEL)
					ft.by_kind[o->m.kind]++;
				if (ft.first_seed < 0) {
					ft.first_seed = s;
					ft.first_s = (double)(cli_now_ns() - t0) / 1e9;
					ft.first_programs = ft.programs;
					printf("first mismatch: seed %ld, %s at %s, after %.1f s and %ld programs\n", s,
					       o->signature, o->m.place, ft.first_s, ft.programs);
					fflush(stdout);
				}
				if (!stop_on || strstr(stop_on, mismatch_kind_name(o->m.kind)))
					stop_count++;
				break;
			}
		}
		done += n;
		if (ft.errors) {
			rc = EXIT_USAGE;
			break;
		}
		if (stop_after > 0 && stop_count >= stop_after)
			break;
	}
	{
		double total = (double)(cli_now_ns() - t0) / 1e9;
		const struct loop_stats *st = loop_get_stats(l);
		const struct target_stats *ts = target_get_stats(loop_target(l));
		long p = ft.programs ? ft.programs : 1;
		long checker_ok = ft.programs - ft.gen_bugs - ft.errors;

		printf("%s: %ld programs (seeds %ld..%ld, max args %d) in %.1f s = %.1f programs/s\n", name,
		       ft.programs, seed, seed + ft.programs - 1, loop_gen_opts(l)->max_args, total,
		       ft.programs / (total > 0 ? total : 1));
		printf("  checker accepted:        %ld (%.2f%%)\n", checker_ok, pct(checker_ok, p));
		if (lo.target.kind != TARGET_MODEL)
			printf("  kernel verifier accepted: %ld (%.2f%%)\n", checker_ok - ft.verifier,
			       pct(checker_ok - ft.verifier, p));
		printf("  equal to the interpreter: %ld (%.2f%%)\n", (long)st->programs - ft.mismatches - ft.known,
		       pct((long)st->programs - ft.mismatches - ft.known, p));
		if (target_kind_vm(lo.target.kind))
			printf("  kernel interpreter voice: %lu programs (every function <= 5 args)\n",
			       (unsigned long)st->vm_interp_voice);
		if (st->tail_programs)
			printf("  tail calls: %lu programs with targets ran equal on the kernel's JIT, %lu of them "
			       "taking %lu tail calls\n",
			       (unsigned long)st->tail_programs, (unsigned long)st->tail_runs,
			       (unsigned long)st->tail_calls);
		printf("  mismatches: %ld", ft.mismatches);
		for (int k = 1; k <= MISMATCH_KERNEL; k++)
			if (ft.by_kind[k])
				printf(", %s %ld", mismatch_kind_name((enum mismatch_kind)k), ft.by_kind[k]);
		if (ft.known)
			printf("; known kernel bugs: %ld", ft.known);
		if (ft.gen_bugs)
			printf("; generator bugs: %ld", ft.gen_bugs);
		printf("\n");
		for (int i = 0; i < ft.nreasons; i++)
			printf("  rejected by the kernel: %ld x \"%s\" (first seed %ld)\n", ft.reasons[i].count,
			       ft.reasons[i].text, ft.reasons[i].first_seed);
		if (lo.target.kind != TARGET_MODEL) {
			bool any = false;

			for (int k = 0; k < cf_ncallees && k < 64; k++) {
				if (!ft.loaded_with[k])
					continue;
				printf("%s%s %ld", any ? ", " : "  loaded by the kernel, programs calling: ", cf_callees[k].name,
				       ft.loaded_with[k]);
				any = true;
			}
			if (any)
				printf("\n");
		}
		if (ft.first_seed >= 0)
			printf("  first mismatch: seed %ld after %.1f s (%ld programs)\n", ft.first_seed, ft.first_s,
			       ft.first_programs);
		if (target_kind_vm(lo.target.kind))
			printf("  time: boot %.2f s; per program: kernel load %.3f ms, kernel run %.3f ms, "
			       "protocol+agent %.3f ms, host (checker, interpreter, compare) %.3f ms; %ld round trips, "
			       "%ld boots\n",
			       ts->boot_ms / 1000, ts->load_ns / 1e6 / p, ts->run_ns / 1e6 / p,
			       (double)(ts->rt_ns - ts->load_ns - ts->run_ns) / 1e6 / p, ts->host_ns / 1e6 / p,
			       ts->round_trips, ts->boots);
		if (artifacts)
			printf("  buckets in %s/ (callfuzz triage %s)\n", artifacts, artifacts);
	}
	if (rc == EXIT_OK && (ft.mismatches || ft.gen_bugs))
		rc = EXIT_REJECT;
done:
	free(out);
	free(bufs);
	loop_stop(l);
	return rc;
}

static int cmd_agree(int argc, char **argv)
{
	return cmd_agree_as(argc, argv, TARGET_MODEL);
}

static int cmd_vm_fuzz(int argc, char **argv)
{
	return cmd_agree_as(argc, argv, TARGET_VM);
}

static int cmd_kernel_agree(int argc, char **argv)
{
	return cmd_agree_as(argc, argv, TARGET_HOST);
}

CLI_COMMAND(agree, "agree", "generated programs of fixed seeds through the loop on a target, in batches; shares",
	    cmd_agree)
CLI_COMMAND(vm_fuzz, "vm-fuzz", "`agree` with --target vm as the default", cmd_vm_fuzz)
CLI_COMMAND(kernel_agree, "kernel-agree", "`agree` with --target kernel (the host) as the default",
	    cmd_kernel_agree)

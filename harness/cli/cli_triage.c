/* harness/cli/cli_triage.c: `callfuzz triage DIR [--json] [--rerun]`: one row
 * per bucket of an artifacts directory (harness/repro/triage.c); --rerun replays
 * each bucket's smallest reproducer on the target that found it (or the one
 * the command line names) and says whether it still reproduces. */
#include "harness/cli/cli.h"
#include "harness/repro/repro.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void triage_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz triage DIR [--json] [--rerun [--repeat N] [target options]]\n\n"
		"Folds the artifacts under DIR (artifacts/<signature>/ from fuzz/run) into one\n"
		"row per bucket: the signature, how often it was hit (lines of hits), first\n"
		"and last seen, the smallest reproducer (min.s once `callfuzz min` ran, else\n"
		"prog.s) with its instruction count, and the mismatch kind. Most hits first.\n\n"
		"options:\n"
		"  --json     one JSON object per bucket, in an array\n"
		"  --rerun    replay each reproducer N times on the target that found it (the\n"
		"             bucket's `target` file: our JIT, or the same kernel image under\n"
		"             qemu-system, one boot per kernel, 16 programs per round trip) and\n"
		"             say: reproduces, fixed, flaky (K of N), or now SIG (differs\n"
		"             otherwise). Target options override the bucket's target for every\n"
		"             bucket: `--rerun --kernel-tree ~/linux` answers \"is it fixed in my\n"
		"             tree\"\n"
		"  --repeat N with --rerun: runs per reproducer (default 3)\n"
		"  --no-lse   with --rerun: LL/SC atomics for every bucket (default: what the\n"
		"             bucket's hits recorded, else LSE)\n\n");
	cli_target_usage(out);
	fprintf(out, "\nExit codes: 0 listed, 2 bad usage, unreadable DIR, or no executor or kernel for\n"
		     "--rerun, 125 --kernel-tree does not build.\n");
}

static void time_text(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "-");
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* "lse=0" in the bucket's hits (fuzz/loop/loop.c): the atomics it ran with. */
static bool bucket_lse(const struct triage_bucket *b)
{
	char path[1100], line[512];
	bool lse = true;
	FILE *f;

	snprintf(path, sizeof(path), "%s/hits", b->dir);
	f = fopen(path, "r");
	if (!f)
		return true;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " lse="))
			lse = !strstr(line, " lse=0");
	fclose(f);
	return lse;
}

#define RERUN_BATCH 16

struct rerun_prog {
	struct triage_bucket *b;
	struct cf_prog prog;
	uint8_t ctx[CF_CTX_SIZE];
	bool llsc;
	int same, other;
	char other_sig[128];
};

static int load_rerun(struct rerun_prog *rp, struct triage_bucket *b, bool force_nolse)
{
	char path[1100], rerr[256];
	struct cf_err err;
	size_t len;
	char *text;

	memset(rp, 0, sizeof(*rp));
	rp->b = b;
	snprintf(path, sizeof(path), "%s/%s", b->dir, b->repro);
	text = cf_read_file(path, &len, rerr, sizeof(rerr));
	if (!text) {
		snprintf(b->rerun, sizeof(b->rerun), "unreadable");
		return -1;
	}
	cf_prog_init(&rp->prog);
	if (cf_asm_parse(text, len, path, &rp->prog, &err)) {
		snprintf(b->rerun, sizeof(b->rerun), "unparsable");
		free(text);
		return -1;
	}
	cli_ctx_from_header(text, rp->ctx);
	free(text);
	cf_prog_derive_stack(&rp->prog);
	rp->llsc = force_nolse || !bucket_lse(b);
	return 0;
}

/* The buckets in idx[0..n), all of one target, `repeat` times each on one
 * target_open: 16 programs per round trip. */
static int rerun_group(struct triage_bucket *b, const int *idx, int n, const struct cli_target *base, int repeat)
{
	struct rerun_prog *rp = calloc((size_t)n, sizeof(*rp));
	struct target_case *cases = calloc(RERUN_BATCH, sizeof(*cases));
	int *live = calloc((size_t)n, sizeof(*live)), nlive = 0, rc = EXIT_OK;
	struct cli_target a = *base;
	struct target *t = NULL;
	struct target_id id;
	struct cf_err err;
	char on[200];

	if (!rp || !cases || !live) {
		fprintf(stderr, "callfuzz triage: out of memory\n");
		rc = EXIT_USAGE;
		goto out;
	}
	cli_target_from_id(&a, &b[idx[0]].id);
	rc = cli_target_prepare(&a, "triage");
	if (rc != EXIT_OK)
		goto out;
	t = target_open(&a.to, &err);
	if (!t) {
		fprintf(stderr, "callfuzz triage: %s: %s\n", b[idx[0]].signature, err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	target_get_id(t, &id);
	snprintf(on, sizeof(on), "%s %s%s%.120s", id.kind, id.arch, id.release[0] ? " " : "", id.release);
	for (int i = 0; i < n; i++) {
		snprintf(b[idx[i]].rerun_on, sizeof(b[idx[i]].rerun_on), "%s", on);
		if (load_rerun(&rp[i], &b[idx[i]], a.lse_given && a.llsc) == 0)
			live[nlive++] = i;
	}
	for (int r = 0; r < repeat && rc == EXIT_OK; r++) {
		for (int base_i = 0; base_i < nlive; base_i += RERUN_BATCH) {
			int k = nlive - base_i < RERUN_BATCH ? nlive - base_i : RERUN_BATCH;

			for (int j = 0; j < k; j++) {
				struct rerun_prog *p = &rp[live[base_i + j]];

				memset(&cases[j], 0, sizeof(cases[j]));
				cases[j].prog = &p->prog;
				cases[j].llsc = p->llsc;
				memcpy(cases[j].ctx_in, p->ctx, CF_CTX_SIZE);
			}
			if (target_run(t, cases, k, &err) < 0) {
				fprintf(stderr, "callfuzz triage: %s\n", err.msg);
				rc = EXIT_USAGE;
				break;
			}
			for (int j = 0; j < k; j++) {
				struct rerun_prog *p = &rp[live[base_i + j]];
				char sig[128] = "";
				bool known;

				if (!cases[j].checker_ok)
					snprintf(sig, sizeof(sig), "rejected by the checker");
				else if (cases[j].interp_fault)
					snprintf(sig, sizeof(sig), "interpreter fault");
				else if (cases[j].m.kind != MISMATCH_NONE)
					target_signature(&cases[j], sig, sizeof(sig), &known);
				if (!strcmp(sig, p->b->signature))
					p->same++;
				else if (sig[0]) {
					p->other++;
					snprintf(p->other_sig, sizeof(p->other_sig), "%s", sig);
				}
				target_case_release(&cases[j]);
			}
		}
	}
	for (int i = 0; i < nlive && rc == EXIT_OK; i++) {
		struct rerun_prog *p = &rp[live[i]];
		struct triage_bucket *bk = p->b;

		if (p->same == repeat)
			snprintf(bk->rerun, sizeof(bk->rerun), "reproduces");
		else if (!p->same && !p->other)
			snprintf(bk->rerun, sizeof(bk->rerun), "fixed");
		else if (!p->same && p->other == repeat)
			snprintf(bk->rerun, sizeof(bk->rerun), "now %.120s", p->other_sig);
		else
			snprintf(bk->rerun, sizeof(bk->rerun), "flaky (%d of %d)", p->same, repeat);
	}
out:
	for (int i = 0; rp && i < n; i++)
		cf_prog_free(&rp[i].prog);
	target_close(t);
	free(rp);
	free(cases);
	free(live);
	return rc;
}

/* Same effective target (after the command line's overrides)? */
static bool same_target(const struct triage_bucket *x, const struct triage_bucket *y, const struct cli_target *a)
{
	bool vm_x, vm_y;
	enum target_kind kx = TARGET_MODEL, ky = TARGET_MODEL;

	if (a->kind_given) {
		kx = ky = a->to.kind;
	} else {
		target_kind_parse(x->id.kind, &kx);
		target_kind_parse(y->id.kind, &ky);
	}
	if (kx != ky)
		return false;
	vm_x = target_kind_vm(kx);
	vm_y = target_kind_vm(ky);
	if (!vm_x || !vm_y)
		return vm_x == vm_y;
	return (a->arch_given || !strcmp(x->id.arch, y->id.arch)) &&
	       (a->kernel_given || !strcmp(x->id.kernel, y->id.kernel)) &&
	       target_id_pauth(&x->id) == target_id_pauth(&y->id);
}

/* Every bucket on its own target: one group (one boot) per distinct one. */
static int rerun_all(struct triage_bucket *b, int n, const struct cli_target *a, int repeat)
{
	int *idx = malloc((size_t)n * sizeof(*idx));
	bool *done = calloc((size_t)n, sizeof(*done));
	int rc = EXIT_OK;

	if (!idx || !done) {
		free(idx);
		free(done);
		fprintf(stderr, "callfuzz triage: out of memory\n");
		return EXIT_USAGE;
	}
	for (int i = 0; i < n && rc == EXIT_OK; i++) {
		int m = 0;

		if (done[i])
			continue;
		for (int j = i; j < n; j++) {
			if (!done[j] && same_target(&b[i], &b[j], a)) {
				idx[m++] = j;
				done[j] = true;
			}
		}
		rc = rerun_group(b, idx, m, a, repeat);
	}
	free(idx);
	free(done);
	return rc;
}

static int cmd_triage(int argc, char **argv)
{
	bool json = false, do_rerun = false;
	struct cli_target a;
	int repeat = 3;
	struct triage_bucket *b = NULL;
	const char *dir = NULL;
	struct cf_err err;
	int n, rc = EXIT_OK;

	if (cli_wants_help(argc, argv)) {
		triage_usage(stdout);
		return EXIT_OK;
	}
	cli_target_init(&a);
	for (int i = 1; i < argc; i++) {
		int r = cli_target_option(&a, argc, argv, &i, "triage");

		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--rerun")) {
			do_rerun = true;
		} else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
			repeat = atoi(argv[++i]);
			if (repeat < 1 || repeat > 1000) {
				fprintf(stderr, "callfuzz triage: --repeat takes 1..1000\n");
				return EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' || dir) {
			triage_usage(stderr);
			return EXIT_USAGE;
		} else {
			dir = argv[i];
		}
	}
	if (!dir) {
		triage_usage(stderr);
		return EXIT_USAGE;
	}
	n = triage_scan(dir, &b, &err);
	if (n < 0) {
		fprintf(stderr, "callfuzz triage: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (do_rerun && n > 0) {
		rc = rerun_all(b, n, &a, repeat);
		if (rc != EXIT_OK) {
			free(b);
			return rc;
		}
	}
	if (json) {
		printf("[");
		for (int i = 0; i < n; i++) {
			printf("%s\n  {\"bucket\": ", i ? "," : "");
			json_string(stdout, b[i].signature);
			printf(", \"kind\": ");
			json_string(stdout, b[i].kind);
			printf(", \"count\": %ld, \"first_seen\": %lld, \"last_seen\": %lld, \"reproducer\": ", b[i].hits,
			       b[i].first_seen, b[i].last_seen);
			json_string(stdout, b[i].repro);
			printf(", \"insns\": %d, \"dir\": ", b[i].repro_insns);
			json_string(stdout, b[i].dir);
			printf(", \"target\": ");
			json_string(stdout, b[i].id.kind);
			if (do_rerun) {
				printf(", \"rerun\": ");
				json_string(stdout, b[i].rerun);
				printf(", \"rerun_on\": ");
				json_string(stdout, b[i].rerun_on);
			}
			printf("}");
		}
		printf("%s]\n", n ? "\n" : "");
	} else {
		long total = 0;

		printf("%-32s %7s  %-19s  %-19s  %-7s %5s  %-10s%s\n", "bucket", "count", "first seen", "last seen",
		       "repro", "insns", "kind", do_rerun ? "  rerun" : "");
		for (int i = 0; i < n; i++) {
			char first[32], last[32];

			time_text(b[i].first_seen, first, sizeof(first));
			time_text(b[i].last_seen, last, sizeof(last));
			printf("%-32s %7ld  %-19s  %-19s  %-7s %5d  %-10s%s%s%s%s%s\n", b[i].signature, b[i].hits, first,
			       last, b[i].repro, b[i].repro_insns, b[i].kind, do_rerun ? "  " : "", do_rerun ? b[i].rerun : "",
			       do_rerun ? " (on " : "", do_rerun ? b[i].rerun_on : "", do_rerun ? ")" : "");
			total += b[i].hits;
		}
		printf("%d bucket%s, %ld hit%s in %s\n", n, n == 1 ? "" : "s", total, total == 1 ? "" : "s", dir);
	}
	free(b);
	return rc;
}

CLI_COMMAND(triage, "triage", "group artifacts by signature: counts, times, smallest reproducer (--rerun)",
	    cmd_triage);

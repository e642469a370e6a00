/* harness/cli/cli_triage.c: `callfuzz triage DIR [--json] [--rerun]`: one row
 * per bucket of an artifacts directory (harness/repro/triage.c); --rerun replays
 * each bucket's smallest reproducer with the current build. */
#include "harness/cli/cli.h"
#include "harness/repro/repro.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void triage_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz triage DIR [--json] [--rerun] [--no-lse]\n\n"
		"Folds the artifacts under DIR (artifacts/<signature>/ from fuzz/run) into one\n"
		"row per bucket: the signature, how often it was hit (lines of hits), first\n"
		"and last seen, the smallest reproducer (min.s once `callfuzz min` ran, else\n"
		"prog.s) with its instruction count, and the mismatch kind. Most hits first.\n\n"
		"options:\n"
		"  --json     one JSON object per bucket, in an array\n"
		"  --rerun    replay each reproducer with this build (interpreter vs JIT) and\n"
		"             say whether it still reproduces, is fixed, or now differs otherwise\n"
		"  --no-lse   with --rerun: LL/SC atomics for every bucket (default: what the\n"
		"             bucket's hits recorded, else LSE)\n\n"
		"Exit codes: 0 listed, 2 bad usage, unreadable DIR, or no executor for --rerun.\n");
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

static int rerun(struct triage_bucket *b, struct repro *r, struct repro_result *res, bool force_nolse,
		 struct cf_err *err)
{
	char path[1100], rerr[256];
	struct cf_prog p;
	size_t len;
	char *text;

	snprintf(path, sizeof(path), "%s/%s", b->dir, b->repro);
	text = cf_read_file(path, &len, rerr, sizeof(rerr));
	if (!text) {
		snprintf(b->rerun, sizeof(b->rerun), "unreadable");
		return 0;
	}
	cf_prog_init(&p);
	if (cf_asm_parse(text, len, path, &p, err)) {
		snprintf(b->rerun, sizeof(b->rerun), "unparsable");
		free(text);
		return 0;
	}
	free(text);
	r->jit.lse_atomics = !force_nolse && bucket_lse(b);
	if (repro_run(r, &p, res, err)) {
		cf_prog_free(&p);
		return -1;
	}
	switch (res->verdict) {
	case REPRO_INVALID:
		snprintf(b->rerun, sizeof(b->rerun), "rejected by the checker");
		break;
	case REPRO_INTERP_FAIL:
		snprintf(b->rerun, sizeof(b->rerun), "interpreter fault");
		break;
	case REPRO_EQUAL:
		snprintf(b->rerun, sizeof(b->rerun), "fixed");
		break;
	case REPRO_MISMATCH:
		if (!strcmp(res->signature, b->signature))
			snprintf(b->rerun, sizeof(b->rerun), "reproduces");
		else
			snprintf(b->rerun, sizeof(b->rerun), "now %s", res->signature);
		break;
	}
	cf_prog_free(&p);
	return 0;
}

static int cmd_triage(int argc, char **argv)
{
	bool json = false, do_rerun = false, nolse = false;
	struct triage_bucket *b = NULL;
	const char *dir = NULL;
	struct cf_err err;
	int n, rc = EXIT_OK;

	if (cli_wants_help(argc, argv)) {
		triage_usage(stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--rerun"))
			do_rerun = true;
		else if (!strcmp(argv[i], "--no-lse"))
			nolse = true;
		else if (argv[i][0] == '-' || dir) {
			triage_usage(stderr);
			return EXIT_USAGE;
		} else
			dir = argv[i];
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
		struct exec_opts eo = { 0 };
		struct repro_result *res = malloc(sizeof(*res));
		struct repro r;

		if (!res || repro_start(&r, &eo, true, &err)) {
			fprintf(stderr, "callfuzz triage: %s\n", res ? err.msg : "out of memory");
			free(res);
			free(b);
			return EXIT_USAGE;
		}
		for (int i = 0; i < n && rc == EXIT_OK; i++)
			if (rerun(&b[i], &r, res, nolse, &err)) {
				fprintf(stderr, "callfuzz triage: %s\n", err.msg);
				rc = EXIT_USAGE;
			}
		repro_stop(&r);
		free(res);
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
			if (do_rerun) {
				printf(", \"rerun\": ");
				json_string(stdout, b[i].rerun);
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
			printf("%-32s %7ld  %-19s  %-19s  %-7s %5d  %-10s%s%s\n", b[i].signature, b[i].hits, first, last,
			       b[i].repro, b[i].repro_insns, b[i].kind, do_rerun ? "  " : "", do_rerun ? b[i].rerun : "");
			total += b[i].hits;
		}
		printf("%d bucket%s, %ld hit%s in %s\n", n, n == 1 ? "" : "s", total, total == 1 ? "" : "s", dir);
	}
	free(b);
	return rc;
}

CLI_COMMAND(triage, "triage", "group artifacts by signature: counts, times, smallest reproducer (--rerun)",
	    cmd_triage);

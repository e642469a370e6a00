/* harness/cli/cli_min.c: `callfuzz min ARTIFACT_DIR|FILE.s`: shrink a
 * mismatching program to the smallest one with the same signature
 * (harness/repro/minimize.c), then write min.s, report.txt and selftest.c. */
#include "harness/cli/cli.h"
#include "harness/repro/repro.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each candidate that still hangs costs the whole watchdog. */
#define MIN_TIMEOUT_MS_DEFAULT 100

static void min_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz min ARTIFACT_DIR|FILE.s [--time S] [--no-lse|--lse] [--timeout-ms N] [-q]\n\n"
		"Shrinks a program on which the interpreter and the arm64 JIT disagree to the\n"
		"smallest program with the same mismatch signature (the fuzz loop's bucket\n"
		"name): drops functions, calls, arguments, instructions and branches, turns\n"
		"operands into constants and shrinks constants, keeping only candidates that\n"
		"the checker accepts, the interpreter runs, and the JIT still gets wrong in the\n"
		"same way. Deterministic; stops at a fixpoint or after --time seconds.\n\n"
		"ARTIFACT_DIR (artifacts/<signature>/ of fuzz/run): reads prog.s and writes\n"
		"min.s, report.txt and selftest.c there. FILE.s: writes FILE.min.s,\n"
		"FILE.report.txt and FILE.selftest.c beside it. Files are replaced atomically.\n\n"
		"options:\n"
		"  --time S        time limit in seconds (default 60)\n"
		"  --no-lse        JIT atomics as LL/SC loops; --lse: as LSE. Default: what the\n"
		"                  artifact's hits say, else LSE, else LL/SC if only that mismatches\n"
		"  --timeout-ms N  watchdog per candidate (default 100: a TIMEOUT candidate costs\n"
		"                  this much, the programs run in microseconds otherwise); the\n"
		"                  result is confirmed on a fresh executor with the usual 1000\n"
		"  -q              no progress lines\n\n"
		"Exit codes: 0 minimized, 1 the program does not mismatch (or is rejected), or\n"
		"the result did not reproduce on a fresh executor (files still written),\n"
		"2 bad usage, unreadable input, or no executor.\n");
}

/* Write text to path through a temporary file in the same directory and
 * rename(2): a reader sees the old file or the new one, never half. */
static int write_atomic(const char *path, const char *text, size_t len)
{
	char tmp[4200];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	ok = fwrite(text, 1, len, f) == len;
	ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The artifact's LSE choice: "lse=0" / "lse=1" in its last hits line
 * (fuzz/loop/loop.c). -1 when unknown. */
static int hits_lse(const char *dir)
{
	char path[4200], line[512];
	int lse = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/hits", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *s = strstr(line, " lse=");

		if (s)
			lse = s[5] == '1';
	}
	fclose(f);
	return lse;
}

struct keep_ctx {
	struct repro *r;
	struct repro_result *res;
	const char *signature;
	struct cf_err err;
	bool failed; /* the executor could not be restarted */
};

/* Kept only with the same signature (design.md "Minimizer and triage"). */
static bool keep_same_signature(void *opaque, const struct cf_prog *cand)
{
	struct keep_ctx *k = opaque;

	if (k->failed)
		return false;
	if (repro_run(k->r, cand, k->res, &k->err)) {
		k->failed = true;
		return false;
	}
	return k->res->verdict == REPRO_MISMATCH && !strcmp(k->res->signature, k->signature);
}

static char *report_text(const struct cf_prog *p, struct repro *r, const struct repro_result *res,
			 const char *replay)
{
	struct jit_image img = { 0 };
	struct cf_err err;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	if (jit_compile(p, &r->jit, &img, &err))
		memset(&img, 0, sizeof(img));
	report_write(f, p, img.ncode ? &img : NULL, res, replay);
	jit_image_free(&img);
	fclose(f);
	return text;
}

static char *selftest_text(const struct cf_prog *p, const struct repro_result *res)
{
	char *text = NULL, comment[160];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	snprintf(comment, sizeof(comment), "%s: %d instructions", res->signature, min_insn_count(p));
	selftest_write(f, p, "callfuzz_repro", res->ir.r0, comment);
	fclose(f);
	return text;
}

static int cmd_min(int argc, char **argv)
{
	const char *input = NULL;
	struct exec_opts eo = { 0 };
	struct min_opts mo;
	struct min_stats st;
	struct repro r;
	struct repro_result *res = NULL;
	struct keep_ctx kc = { 0 };
	struct cf_prog prog;
	struct cf_err err;
	char prog_path[4200], out_min[4200], out_report[4200], out_selftest[4200], replay[4400];
	char rerr[256], signature[96];
	int lse = -1, rc = EXIT_USAGE;
	bool quiet = false, is_dir, confirmed;
	struct stat sb;
	size_t len;
	char *text;

	if (cli_wants_help(argc, argv)) {
		min_usage(stdout);
		return EXIT_OK;
	}
	min_opts_default(&mo);
	eo.timeout_ms = MIN_TIMEOUT_MS_DEFAULT;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--time") && i + 1 < argc) {
			mo.time_limit_s = atof(argv[++i]);
			if (mo.time_limit_s <= 0) {
				fprintf(stderr, "callfuzz min: --time takes a positive number of seconds\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) {
			eo.timeout_ms = atoi(argv[++i]);
			if (eo.timeout_ms <= 0) {
				fprintf(stderr, "callfuzz min: --timeout-ms takes a positive number\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--no-lse")) {
			lse = 0;
		} else if (!strcmp(argv[i], "--lse")) {
			lse = 1;
		} else if (!strcmp(argv[i], "-q")) {
			quiet = true;
		} else if (argv[i][0] == '-' || input) {
			min_usage(stderr);
			return EXIT_USAGE;
		} else {
			input = argv[i];
		}
	}
	if (!input) {
		min_usage(stderr);
		return EXIT_USAGE;
	}
	is_dir = stat(input, &sb) == 0 && S_ISDIR(sb.st_mode);
	if (is_dir) {
		snprintf(prog_path, sizeof(prog_path), "%s/prog.s", input);
		snprintf(out_min, sizeof(out_min), "%s/min.s", input);
		snprintf(out_report, sizeof(out_report), "%s/report.txt", input);
		snprintf(out_selftest, sizeof(out_selftest), "%s/selftest.c", input);
		if (lse < 0)
			lse = hits_lse(input);
	} else {
		size_t n = strlen(input);

		if (n > 2 && !strcmp(input + n - 2, ".s"))
			n -= 2;
		snprintf(prog_path, sizeof(prog_path), "%s", input);
		snprintf(out_min, sizeof(out_min), "%.*s.min.s", (int)n, input);
		snprintf(out_report, sizeof(out_report), "%.*s.report.txt", (int)n, input);
		snprintf(out_selftest, sizeof(out_selftest), "%.*s.selftest.c", (int)n, input);
	}

	text = cf_read_file(prog_path, &len, rerr, sizeof(rerr));
	if (!text) {
		fprintf(stderr, "callfuzz min: %s\n", rerr);
		return EXIT_USAGE;
	}
	cf_prog_init(&prog);
	if (cf_asm_parse(text, len, prog_path, &prog, &err)) {
		fprintf(stderr, "callfuzz min: %s\n", err.msg);
		free(text);
		return EXIT_USAGE;
	}
	free(text);
	res = malloc(sizeof(*res));
	if (!res || repro_start(&r, &eo, lse != 0, &err)) {
		fprintf(stderr, "callfuzz min: %s\n", res ? err.msg : "out of memory");
		free(res);
		cf_prog_free(&prog);
		return EXIT_USAGE;
	}
	if (repro_run(&r, &prog, res, &err))
		goto exec_failed;
	if (res->verdict == REPRO_EQUAL && lse < 0) {
		/* unknown atomics flavour: LSE agreed, try LL/SC */
		r.jit.lse_atomics = false;
		if (repro_run(&r, &prog, res, &err))
			goto exec_failed;
	}
	if (res->verdict != REPRO_MISMATCH) {
		printf("min: %s: no mismatch to minimize (%s%s%s)\n", prog_path,
		       res->verdict == REPRO_EQUAL ? "interpreter and JIT agree" :
		       res->verdict == REPRO_INVALID ? "rejected by the checker" : "the interpreter fails",
		       res->why[0] ? ": " : "", res->why);
		rc = EXIT_REJECT;
		goto out;
	}
	snprintf(signature, sizeof(signature), "%s", res->signature);
	if (is_dir) {
		char copy[4200];

		snprintf(copy, sizeof(copy), "%s", input);
		if (strcmp(basename(copy), signature))
			fprintf(stderr, "min: note: %s reproduces as %s (the bucket's name differs); keeping %s\n",
				input, signature, signature);
	}
	if (!quiet)
		fprintf(stderr, "min: %s: %s, %d insns, %d funcs, %s atomics; minimizing (at most %.0f s)\n", prog_path,
			signature, min_insn_count(&prog), prog.nfuncs, r.jit.lse_atomics ? "LSE" : "LL/SC",
			mo.time_limit_s);
	mo.progress = quiet ? NULL : stderr;
	kc.r = &r;
	kc.res = res;
	kc.signature = signature;
	if (min_reduce(&prog, keep_same_signature, &kc, &mo, &st, &err)) {
		fprintf(stderr, "callfuzz min: %s\n", err.msg);
		rc = EXIT_REJECT;
		goto out;
	}
	if (kc.failed) {
		err = kc.err;
		goto exec_failed;
	}
	printf("min: %s: %d -> %d insns, %d -> %d funcs, %d rounds, %ld candidates (%ld valid, %ld kept), %.1f s%s\n",
	       signature, st.insns_before, st.insns_after, st.funcs_before, st.funcs_after, st.rounds, st.candidates,
	       st.valid, st.kept, st.seconds, st.out_of_time ? " (time limit reached)" : "");

	/* The results the report shows are those of the minimized program,
	 * on a fresh executor with the usual watchdog: what `callfuzz run
	 * min.s` will see (and a short watchdog's false TIMEOUT shows). */
	repro_stop(&r);
	{
		struct exec_opts fresh = eo;
		bool lse_used = r.jit.lse_atomics;

		fresh.timeout_ms = 0;
		if (repro_start(&r, &fresh, lse_used, &err))
			goto exec_failed;
	}
	if (repro_run(&r, &prog, res, &err))
		goto exec_failed;
	confirmed = res->verdict == REPRO_MISMATCH && !strcmp(res->signature, signature);
	if (!confirmed)
		fprintf(stderr, "min: warning: on a fresh executor the result %s (%s)\n",
			res->verdict == REPRO_MISMATCH ? "mismatches differently" : "does not mismatch",
			res->verdict == REPRO_MISMATCH ? res->signature : res->why);
	{
		char *min_text = cf_asm_print(&prog), *report, *selftest;
		char *rel = is_dir ? "min.s" : out_min;

		snprintf(replay, sizeof(replay), "callfuzz run %s%s", rel, r.jit.lse_atomics ? "" : " --no-lse");
		report = report_text(&prog, &r, res, replay);
		selftest = selftest_text(&prog, res);
		rc = confirmed ? EXIT_OK : EXIT_REJECT;
		if (write_atomic(out_min, min_text, strlen(min_text)) ||
		    (report && write_atomic(out_report, report, strlen(report))) ||
		    (selftest && write_atomic(out_selftest, selftest, strlen(selftest)))) {
			fprintf(stderr, "callfuzz min: cannot write beside %s: %s\n", prog_path, strerror(errno));
			rc = EXIT_USAGE;
		} else {
			printf("min: wrote %s, %s, %s\n", out_min, out_report, out_selftest);
		}
		free(min_text);
		free(report);
		free(selftest);
	}
	goto out;
exec_failed:
	fprintf(stderr, "callfuzz min: %s\n", err.msg);
	rc = EXIT_USAGE;
out:
	repro_stop(&r);
	free(res);
	cf_prog_free(&prog);
	return rc;
}

CLI_COMMAND(min, "min", "minimize a mismatching program (artifact or .s); write min.s, report.txt, selftest.c",
	    cmd_min);

/* harness/cli/cli_min.c: `callfuzz min ARTIFACT_DIR|FILE.s`: shrink a
 * mismatching program to the smallest one with the same signature
 * (harness/repro/minimize.c) on the target that found it (the bucket's
 * `target` file: our JIT, or the very kernel image under qemu-system),
 * then write min.s, report.txt and selftest.c. */
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
		"usage: callfuzz min ARTIFACT_DIR|FILE.s [--time S] [--timeout-ms N] [-q] [target options]\n\n"
		"Shrinks a program on which the interpreter and a target disagree to the\n"
		"smallest program with the same mismatch signature (the fuzz loop's bucket\n"
		"name; for a verdict mismatch also the kernel's reason): drops functions, calls,\n"
		"arguments, instructions and branches, turns operands into constants and\n"
		"shrinks constants, keeping only candidates that the checker accepts, the\n"
		"interpreter runs, and the target still gets wrong in the same way.\n"
		"Deterministic; stops at a fixpoint or after --time seconds.\n\n"
		"ARTIFACT_DIR (artifacts/<signature>/ of fuzz/run): runs on the target that\n"
		"found it (its `target` file: our JIT, or the same kernel image booted under\n"
		"qemu-system) unless the target options say otherwise; reads prog.s and its\n"
		"`; ctx:` line, writes min.s, report.txt and selftest.c there (for a kernel\n"
		"finding the kernel flavour, and btf__selftest.c when subprograms take\n"
		"arguments). FILE.s: the target options choose (default: model); writes\n"
		"FILE.min.s, FILE.report.txt and FILE.selftest.c beside it. Files are replaced\n"
		"atomically.\n\n"
		"options:\n"
		"  --time S        time limit in seconds (default 60)\n"
		"  --timeout-ms N  model: watchdog per candidate (default 100: a TIMEOUT candidate\n"
		"                  costs this much, the programs run in microseconds otherwise);\n"
		"                  the result is confirmed on a fresh executor with the usual 1000\n"
		"  --batch N       up to N candidates per call of the target (a kernel: one\n"
		"                  round trip), growing while none is kept (default 1: each\n"
		"                  dropped candidate costs a kernel load, which measured more\n"
		"                  than the round trips saved); the result is the same\n"
		"  -q              no progress lines\n"
		"  --no-lse, --lse model: the JIT's atomics. Default: what the artifact's hits say,\n"
		"                  else LSE, else LL/SC if only that mismatches\n\n");
	cli_target_usage(out);
	fprintf(out, "\nExit codes: 0 minimized, 1 the program does not mismatch (or is rejected), or\n"
		     "the result did not reproduce when run again (files still written), 2 bad usage,\n"
		     "unreadable input, no executor or no kernel, 125 --kernel-tree does not build.\n");
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
	struct target *t;
	const uint8_t *ctx;
	bool llsc;
	const char *signature;
	char match[64];         /* VERIFIER: the kernel's reason, digits cut */
	struct cf_err err;
	bool failed;            /* the target could not go on */
	long runs;
};

/* The bucket a case's result goes to: its signature, "" when the case
 * shows no mismatch (equal, rejected by the checker, an interpreter fault). */
static void case_signature(const struct target_case *c, char *sig, size_t size)
{
	bool known;

	sig[0] = 0;
	/* a kernel report needs no oracle: it counts on a rejected program too */
	if (c->m.kind == MISMATCH_REPORT || (c->checker_ok && !c->interp_fault && c->m.kind != MISMATCH_NONE))
		target_signature(c, sig, size, &known);
}

/* One run of p on the target; its signature in sig ("" when equal). */
static int run_once(struct keep_ctx *k, const struct cf_prog *p, struct target_case *c, char *sig, size_t size)
{
	memset(c, 0, sizeof(*c));
	c->prog = p;
	c->llsc = k->llsc;
	memcpy(c->ctx_in, k->ctx, CF_CTX_SIZE);
	k->runs++;
	if (target_run(k->t, c, 1, &k->err) < 0)
		return -1;
	case_signature(c, sig, size);
	return 0;
}

/* The first of n candidates still interesting, -1 if none: the same
 * signature (design.md "Minimizer and triage"), and for a verdict mismatch
 * the kernel's reason, not just "VERIFIER". One target_run for all of them
 * (a kernel target: one round trip per voice). */
static int keep_same_signature_batch(void *opaque, const struct cf_prog *const *cands, int n)
{
	struct keep_ctx *k = opaque;
	struct target_case *c;
	int first = -1;

	if (k->failed)
		return -1;
	c = calloc((size_t)n, sizeof(*c));
	if (!c) {
		cf_err_set(&k->err, "out of memory");
		k->failed = true;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		c[i].prog = cands[i];
		c[i].llsc = k->llsc;
		memcpy(c[i].ctx_in, k->ctx, CF_CTX_SIZE);
	}
	k->runs += n;
	if (target_run(k->t, c, n, &k->err) < 0)
		k->failed = true;
	for (int i = 0; i < n && first < 0 && !k->failed; i++) {
		char sig[128];

		case_signature(&c[i], sig, sizeof(sig));
		if (!strcmp(sig, k->signature) && (!k->match[0] || strstr(c[i].m.place, k->match)))
			first = i;
	}
	for (int i = 0; i < n; i++)
		target_case_release(&c[i]);
	free(c);
	return first;
}

static bool keep_same_signature(void *opaque, const struct cf_prog *cand)
{
	return keep_same_signature_batch(opaque, &cand, 1) == 0;
}

static char *report_text(const struct target *t, const struct target_case *c, const char *signature,
			 const char *dir, const char *file)
{
	struct report_info ri = { .signature = signature, .t = t, .c = c, .dir = dir, .prog_file = file,
				  .show_program = true };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	report_write(f, &ri);
	fclose(f);
	return text;
}

/* selftest.c (and for a kernel, btf__selftest.c when subprograms take
 * arguments: harness/repro/repro.h). NULL with why set when the export
 * refuses the program (a kernel flavour with a model helper, say). */
static char *selftest_text(const struct cf_prog *p, const struct target_case *c, const char *signature, bool kernel,
			   char **btf_text, char *why, size_t why_size)
{
	char *text = NULL, comment[160];
	size_t len = 0, blen = 0;
	FILE *f = open_memstream(&text, &len), *bf = NULL;
	struct selftest_opts o = { .name = "callfuzz_repro", .comment = comment, .retval = c->ir.r0,
				   .kernel = kernel, .ctx_in = c->ctx_in, .ctx_out = c->ir.ctx, .maps_out = &c->ir.maps,
				   .btf_object = "btf__selftest.bpf.o" };
	struct cf_err err;
	int rc;

	*btf_text = NULL;
	if (!f)
		return NULL;
	snprintf(comment, sizeof(comment), "%s: %d instructions", signature, min_insn_count(p));
	if (kernel && selftest_needs_btf_companion(p)) {
		bf = open_memstream(btf_text, &blen);
		o.btf_out = bf;
	}
	rc = selftest_write_opts(f, p, &o, &err);
	fclose(f);
	if (bf)
		fclose(bf);
	if (rc < 0) {
		snprintf(why, why_size, "%s", err.msg);
		free(text);
		free(*btf_text);
		*btf_text = NULL;
		return NULL;
	}
	return text;
}

/* min.s: on a kernel target the ctx the program runs with, as `run` reads
 * it back, then the program. */
static char *min_text(const struct cf_prog *p, const struct target_id *id, const uint8_t *ctx, bool kernel)
{
	char *text = cf_asm_print(p), *both = NULL;
	size_t len = 0;
	FILE *f;

	if (!kernel || !text)
		return text;
	f = open_memstream(&both, &len);
	if (!f)
		return text;
	fprintf(f, "; callfuzz min, target %s %s%s%s\n; ctx: ", id->kind, id->arch, id->release[0] ? ", kernel " : "",
		id->release);
	for (int i = 0; i < CF_CTX_SIZE; i++)
		fprintf(f, "%02x", ctx[i]);
	fprintf(f, "\n%s", text);
	fclose(f);
	free(text);
	return both;
}

static int cmd_min(int argc, char **argv)
{
	const char *input = NULL;
	struct cli_target a;
	struct min_opts mo;
	struct min_stats st;
	struct target *t = NULL;
	struct target_case c = { 0 };
	struct keep_ctx kc = { 0 };
	struct target_id id;
	struct cf_prog prog;
	struct cf_err err;
	char prog_path[4200], out_min[4200], out_report[4200], out_selftest[4200];
	char rerr[256], signature[128];
	uint8_t ctx[CF_CTX_SIZE] = { 0 };
	int lse = -1, rc = EXIT_USAGE, batch = 0;
	bool quiet = false, is_dir, confirmed, kernel;
	struct stat sb;
	size_t len;
	char *text;

	if (cli_wants_help(argc, argv)) {
		min_usage(stdout);
		return EXIT_OK;
	}
	min_opts_default(&mo);
	cli_target_init(&a);
	a.to.exec.timeout_ms = MIN_TIMEOUT_MS_DEFAULT;
	a.to.exec.stack_zero_kib = 32;
	a.to.listing = true;
	for (int i = 1; i < argc; i++) {
		int r = cli_target_option(&a, argc, argv, &i, "min");

		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(argv[i], "--time") && i + 1 < argc) {
			mo.time_limit_s = atof(argv[++i]);
			if (mo.time_limit_s <= 0) {
				fprintf(stderr, "callfuzz min: --time takes a positive number of seconds\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) {
			a.to.exec.timeout_ms = atoi(argv[++i]);
			if (a.to.exec.timeout_ms <= 0) {
				fprintf(stderr, "callfuzz min: --timeout-ms takes a positive number\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
			batch = atoi(argv[++i]);
			if (batch < 1 || batch > MIN_BATCH_MAX) {
				fprintf(stderr, "callfuzz min: --batch takes 1..%d\n", MIN_BATCH_MAX);
				return EXIT_USAGE;
			}
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
	if (a.lse_given)
		lse = !a.llsc;
	is_dir = stat(input, &sb) == 0 && S_ISDIR(sb.st_mode);
	if (is_dir) {
		snprintf(prog_path, sizeof(prog_path), "%s/prog.s", input);
		snprintf(out_min, sizeof(out_min), "%s/min.s", input);
		snprintf(out_report, sizeof(out_report), "%s/report.txt", input);
		snprintf(out_selftest, sizeof(out_selftest), "%s/selftest.c", input);
		if (lse < 0)
			lse = hits_lse(input);
		/* the target that found it, unless the command line says otherwise */
		bucket_target(input, &id);
		cli_target_from_id(&a, &id);
	} else {
		size_t n = strlen(input);

		if (n > 2 && !strcmp(input + n - 2, ".s"))
			n -= 2;
		snprintf(prog_path, sizeof(prog_path), "%s", input);
		snprintf(out_min, sizeof(out_min), "%.*s.min.s", (int)n, input);
		snprintf(out_report, sizeof(out_report), "%.*s.report.txt", (int)n, input);
		snprintf(out_selftest, sizeof(out_selftest), "%.*s.selftest.c", (int)n, input);
	}
	rc = cli_target_prepare(&a, "min");
	if (rc != EXIT_OK)
		return rc;
	rc = EXIT_USAGE;

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
	cli_ctx_from_header(text, ctx);
	free(text);
	cf_prog_derive_stack(&prog);
	kernel = a.to.kind != TARGET_MODEL;
	t = target_open(&a.to, &err);
	if (!t) {
		fprintf(stderr, "callfuzz min: %s\n", err.msg);
		cf_prog_free(&prog);
		return EXIT_USAGE;
	}
	target_get_id(t, &id);
	kc.t = t;
	kc.ctx = ctx;
	kc.llsc = lse == 0;
	if (run_once(&kc, &prog, &c, signature, sizeof(signature)) < 0)
		goto target_failed;
	if (!signature[0] && lse < 0 && a.to.kind == TARGET_MODEL) {
		/* unknown atomics flavour: LSE agreed, try LL/SC */
		target_case_release(&c);
		kc.llsc = true;
		if (run_once(&kc, &prog, &c, signature, sizeof(signature)) < 0)
			goto target_failed;
	}
	if (!signature[0]) {
		printf("min: %s: no mismatch to minimize on %s %s%s%s (%s)\n", prog_path, id.kind, id.arch,
		       id.release[0] ? " " : "", id.release,
		       !c.checker_ok ? "rejected by the checker" :
		       c.interp_fault ? "the interpreter fails" :
		       "the interpreter and the target agree");
		rc = EXIT_REJECT;
		goto out;
	}
	if (c.m.kind == MISMATCH_VERIFIER)
		report_verifier_match(&c.m, kc.match, sizeof(kc.match));
	target_case_release(&c);
	if (is_dir) {
		char copy[4200];

		snprintf(copy, sizeof(copy), "%s", input);
		if (strcmp(basename(copy), signature))
			fprintf(stderr, "min: note: %s reproduces as %s (the bucket's name differs); keeping %s\n",
				input, signature, signature);
	}
	if (!quiet)
		fprintf(stderr, "min: %s: %s%s%s%s, %d insns, %d funcs, on %s %s%s%s; minimizing (at most %.0f s)\n",
			prog_path, signature, kc.match[0] ? " (\"" : "", kc.match, kc.match[0] ? "\")" : "",
			min_insn_count(&prog), prog.nfuncs, id.kind, id.arch, id.release[0] ? " " : "", id.release,
			mo.time_limit_s);
	mo.progress = quiet ? NULL : stderr;
	target_check_opts(t, &mo.check);
	/* One candidate per call unless asked: on the kernel-stack-arg-imm32
	 * mutant (docs/vm-target.md) batches of up to 16 took 19-22 s against
	 * 13-18 s one by one. Half the valid candidates are kept there, and
	 * every candidate a keep drops cost the kernel a load (1-8 ms), more
	 * than the round trip (0.4-0.7 ms) a batch saves. */
	if (batch > 1) {
		mo.keep_batch = keep_same_signature_batch;
		mo.batch = batch;
	}
	kc.signature = signature;
	if (min_reduce(&prog, keep_same_signature, &kc, &mo, &st, &err)) {
		fprintf(stderr, "callfuzz min: %s\n", err.msg);
		rc = EXIT_REJECT;
		goto out;
	}
	if (kc.failed) {
		err = kc.err;
		goto target_failed;
	}
	printf("min: %s: %d -> %d insns, %d -> %d funcs, %d rounds, %ld candidates (%ld valid, %ld kept, %ld runs on "
	       "%s), %.1f s%s\n",
	       signature, st.insns_before, st.insns_after, st.funcs_before, st.funcs_after, st.rounds, st.candidates,
	       st.valid, st.kept, kc.runs, id.kind, st.seconds, st.out_of_time ? " (time limit reached)" : "");

	/* The results the report shows are those of the minimized program
	 * with the usual watchdog: what `callfuzz run min.s` will see (and a
	 * short watchdog's false TIMEOUT shows). A kernel target keeps its
	 * guest. */
	if (a.to.kind == TARGET_MODEL) {
		target_close(t);
		a.to.exec.timeout_ms = 0;
		a.to.keep_image = true;
		t = kc.t = target_open(&a.to, &err);
		if (!t) {
			fprintf(stderr, "callfuzz min: %s\n", err.msg);
			goto out;
		}
	}
	{
		char sig2[128];

		if (run_once(&kc, &prog, &c, sig2, sizeof(sig2)) < 0)
			goto target_failed;
		confirmed = !strcmp(sig2, signature);
		if (!confirmed)
			fprintf(stderr, "min: warning: run again the result %s (%s)\n",
				sig2[0] ? "mismatches differently" : "does not mismatch", sig2[0] ? sig2 : "equal");
	}
	{
		char *mtext = min_text(&prog, &id, ctx, kernel), *report, *selftest, *btf = NULL, why[512] = "";
		char out_btf[4200];

		report = report_text(t, &c, signature, is_dir ? input : NULL, is_dir ? "min.s" : out_min);
		selftest = selftest_text(&prog, &c, signature, kernel, &btf, why, sizeof(why));
		snprintf(out_btf, sizeof(out_btf), "%.*sbtf__selftest.c", (int)(strlen(out_selftest) - strlen("selftest.c")),
			 out_selftest);
		rc = confirmed ? EXIT_OK : EXIT_REJECT;
		if (!mtext || write_atomic(out_min, mtext, strlen(mtext)) ||
		    (report && write_atomic(out_report, report, strlen(report))) ||
		    (selftest && write_atomic(out_selftest, selftest, strlen(selftest))) ||
		    (btf && write_atomic(out_btf, btf, strlen(btf)))) {
			fprintf(stderr, "callfuzz min: cannot write beside %s: %s\n", prog_path, strerror(errno));
			rc = EXIT_USAGE;
		} else {
			printf("min: wrote %s, %s%s%s%s%s\n", out_min, out_report, selftest ? ", " : "",
			       selftest ? out_selftest : "", btf ? ", " : "", btf ? out_btf : "");
			if (!selftest)
				printf("min: no selftest.c: %s\n", why);
		}
		free(mtext);
		free(report);
		free(selftest);
		free(btf);
	}
	goto out;
target_failed:
	fprintf(stderr, "callfuzz min: %s\n", err.msg);
	rc = EXIT_USAGE;
out:
	target_case_release(&c);
	target_close(t);
	cf_prog_free(&prog);
	return rc;
}

CLI_COMMAND(min, "min", "minimize a mismatching program (artifact or .s) on its target; write min.s, report.txt, selftest.c",
	    cmd_min);

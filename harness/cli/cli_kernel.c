/* harness/cli/cli_kernel.c: the host kernel target from the command line.
 *
 *   callfuzz kernel-probe          what bpf() allows here (harness/target/target.h)
 *   callfuzz kernel-agree ...      generated programs through checker,
 *                                  interpreter and host kernel: the shares
 *                                  the kernel accepts and agrees with
 *
 * One program on the kernel is `callfuzz run --target kernel FILE.s`. */
#include "gen/gen.h"
#include "harness/cli/cli.h"
#include "harness/target/target.h"
#include "interp/interp.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int cmd_kernel_probe(int argc, char **argv)
{
	struct kernel_probe kp;

	if (cli_wants_help(argc, argv) || argc > 1) {
		printf("usage: callfuzz kernel-probe\n\n"
		       "Probes the running kernel: may this process load BPF_PROG_TYPE_SYSCALL\n"
		       "programs, and does it take stack arguments (a 6-argument subprog call)?\n"
		       "Exit codes: 0 bpf() works, 1 refused (the message says why).\n");
		return argc > 1 && !cli_wants_help(argc, argv) ? EXIT_USAGE : EXIT_OK;
	}
	if (kernel_probe(&kp)) {
		fprintf(stderr, "callfuzz kernel-probe: %s\n", kp.msg);
		return EXIT_USAGE;
	}
	printf("kernel %s\n", kp.release);
	if (!kp.bpf_allowed) {
		printf("bpf: refused: %s\n", kp.msg);
		return EXIT_REJECT;
	}
	printf("bpf: allowed\nstack arguments: %s (max args %d)\n", kp.stack_args ? "yes" : "no", kp.max_args);
	if (!kp.stack_args)
		printf("6-argument probe: %s\n", kp.msg);
	printf("ctx through a moved pointer: %s\n", kp.ctx_moved_ok ? "yes (7.2)" : "no (before 7.2)");
	return EXIT_OK;
}

CLI_COMMAND(kernel_probe, "kernel-probe", "what the host kernel's bpf() allows (stack arguments?)",
	    cmd_kernel_probe)

/* ---- kernel-agree ------------------------------------------------------- */

/* Rejections grouped by the verifier's reason: the last non-empty log line
 * with numbers folded to N ("off=N size=N"); register names stay. */
#define AGREE_REASONS 64

struct reason {
	char text[160];
	long count;
	long first_seed;
};

struct agree_tally {
	long programs, gen_fail, check_reject, interp_fail, loaded, agree, diff, run_err, reject;
	long ctx_written, r0_nonzero; /* among the agreeing: the agreement is not vacuous */
	uint64_t load_ns;
	struct reason reasons[AGREE_REASONS];
	int nreasons;
};

static void reason_of(const char *log, char *out, size_t size)
{
	const char *end, *start;
	size_t n = 0;

	out[0] = 0;
	if (!log)
		return;
	end = log + strlen(log);
	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	/* "processed N insns ..." and "verification time" trail the reason */
	for (int tries = 0; tries < 4 && end > log; tries++) {
		start = end;
		while (start > log && start[-1] != '\n')
			start--;
		if (strncmp(start, "processed ", 10) && strncmp(start, "verification time", 17) &&
		    strncmp(start, "stack depth", 11) && strncmp(start, "(BTF_LOAD", 9)) {
			for (const char *c = start; c < end && n + 1 < size; c++) {
				/* numbers fold, register names (R11) stay */
				if (isdigit((unsigned char)*c) && (c == start || !isalnum((unsigned char)c[-1]) ||
								   out[n - 1] == 'N')) {
					if (n == 0 || out[n - 1] != 'N')
						out[n++] = 'N';
				} else {
					out[n++] = *c;
				}
			}
			out[n] = 0;
			return;
		}
		end = start;
		while (end > log && end[-1] == '\n')
			end--;
	}
}

static void tally_reason(struct agree_tally *t, const char *log, long seed)
{
	char text[160];

	reason_of(log, text, sizeof(text));
	for (int i = 0; i < t->nreasons; i++) {
		if (!strcmp(t->reasons[i].text, text)) {
			t->reasons[i].count++;
			return;
		}
	}
	if (t->nreasons < AGREE_REASONS) {
		struct reason *r = &t->reasons[t->nreasons++];

		snprintf(r->text, sizeof(r->text), "%s", text);
		r->count = 1;
		r->first_seed = seed;
	}
}

static int save_case(const char *dir, const char *kind, long seed, int max_args, const struct cf_prog *p,
		     const char *what)
{
	char path[PATH_MAX];
	char *text;
	FILE *f;

	if (!dir)
		return 0;
	text = cf_asm_print(p);
	snprintf(path, sizeof(path), "%s/%s-%ld.s", dir, kind, seed);
	f = fopen(path, "w");
	if (!f || !text) {
		free(text);
		if (f)
			fclose(f);
		return -1;
	}
	fprintf(f, "; callfuzz gen --seed %ld --profile kernel --max-args %d: %s\n%s", seed, max_args, kind, text);
	free(text);
	if (fclose(f))
		return -1;
	if (!what)
		return 0;
	snprintf(path, sizeof(path), "%s/%s-%ld.log", dir, kind, seed);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(what, f);
	return fclose(f) ? -1 : 0;
}

static int cmp_reason(const void *a, const void *b)
{
	const struct reason *x = a, *y = b;

	return (y->count > x->count) - (y->count < x->count);
}

static double pct(long a, long b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void agree_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz kernel-agree [--count N] [--seed S] [--out DIR] [--max-funcs N]\n"
		"                             [--max-insns N] [--max-args N]\n\n"
		"Generates N programs (gen/gen.h, kernel profile, the argument limit the\n"
		"host kernel takes: 5 without stack arguments) from seeds S..S+N-1 as\n"
		"`callfuzz gen` does, and runs each through the checker, the interpreter and\n"
		"the host kernel (load + test run). Prints the share the kernel's verifier\n"
		"accepts and the share whose r0 (low 32 bits) and ctx agree with the\n"
		"interpreter, and the rejections grouped by the verifier's reason.\n\n"
		"options:\n"
		"  --count N      programs (default 10000)\n"
		"  --seed S       first seed (default 1)\n"
		"  --out DIR      save every rejection (DIR/reject-S.s and its verifier log\n"
		"                 DIR/reject-S.log) and every difference (DIR/diff-S.s, .log)\n"
		"  --max-funcs N  generator option (default 10)\n"
		"  --max-insns N  generator option (default 400)\n"
		"  --max-args N   generate (and check) up to N arguments instead of what the\n"
		"                 kernel takes: beyond 5 on a kernel without stack arguments,\n"
		"                 the rejections show the kernel's answer (\"R11 is invalid\")\n\n"
		"Exit codes: 0 every program accepted and agreeing, 1 otherwise, 2 bad usage,\n"
		"or bpf() refused.\n");
}

static int parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* One program: generate, check, interpret, load and run, compare. */
static void agree_one(struct agree_tally *t, long seed, const struct gen_opts *go, const struct cf_check_opts *co,
		      const char *outdir)
{
	static uint8_t bytes[GEN_SEED_MAX_LEN];
	static struct interp_result ir;
	struct kernel_result kr;
	struct kernel_mismatch m;
	uint8_t ctx[CF_CTX_SIZE];
	struct cf_prog p;
	struct cf_err err;
	/* the bytes `callfuzz gen --seed S` uses: reports name seeds */
	size_t len = gen_bytes_from_seed((uint64_t)seed, -1, bytes, sizeof(bytes));

	t->programs++;
	if (gen_program(bytes, len, go, &p, &err)) {
		t->gen_fail++;
		fprintf(stderr, "seed %ld: generator: %s\n", seed, err.msg);
		return;
	}
	if (cf_check(&p, co, &err)) {
		t->check_reject++;
		fprintf(stderr, "seed %ld: the checker rejects a generated program (generator bug): %s\n", seed,
			err.msg);
		save_case(outdir, "checker", seed, go->max_args, &p, err.msg);
		cf_prog_free(&p);
		return;
	}
	for (int i = 0; i < CF_CTX_SIZE; i++)
		ctx[i] = (uint8_t)(i * 37 + seed); /* as `callfuzz gen --verify` */
	interp_run(&p, NULL, NULL, ctx, &ir);
	if (ir.status != INTERP_OK) {
		t->interp_fail++;
		fprintf(stderr, "seed %ld: the interpreter faults on a checked program: %s\n", seed, ir.fault);
		save_case(outdir, "interp", seed, go->max_args, &p, ir.fault);
		cf_prog_free(&p);
		return;
	}
	if (kernel_run(&p, ctx, &kr, &err)) {
		t->run_err++;
		fprintf(stderr, "seed %ld: %s\n", seed, err.msg);
		cf_prog_free(&p);
		return;
	}
	t->load_ns += kr.load_ns;
	switch (kernel_compare(&ir, &kr, &m)) {
	case KERNEL_AGREE:
		t->loaded++;
		t->agree++;
		t->ctx_written += memcmp(ctx, kr.ctx, CF_CTX_SIZE) != 0;
		t->r0_nonzero += kr.retval != 0;
		break;
	case KERNEL_VERIFIER:
		t->reject++;
		tally_reason(t, kr.log, seed);
		save_case(outdir, "reject", seed, go->max_args, &p, kr.log ? kr.log : m.place);
		break;
	case KERNEL_RUN_ERROR:
		t->loaded++;
		t->run_err++;
		save_case(outdir, "runerr", seed, go->max_args, &p, m.place);
		break;
	case KERNEL_DIFF: {
		char what[512];

		t->loaded++;
		t->diff++;
		snprintf(what, sizeof(what),
			 "KERNEL at %s: interpreter 0x%" PRIx64 ", kernel 0x%" PRIx64
			 "\ninterpreter r0 0x%016" PRIx64 ", kernel retval 0x%08" PRIx32 "\n",
			 m.place, m.want, m.got, ir.r0, kr.retval);
		fprintf(stderr, "seed %ld: %s", seed, what);
		save_case(outdir, "diff", seed, go->max_args, &p, what);
		break;
	}
	}
	kernel_result_release(&kr);
	cf_prog_free(&p);
}

static int cmd_kernel_agree(int argc, char **argv)
{
	static struct agree_tally t;
	long count = 10000, seed = 1, max_args = -1, v;
	const char *outdir = NULL;
	struct kernel_probe kp;
	struct cf_check_opts co;
	struct gen_opts go;
	struct timespec t0, t1;
	double secs;

	if (cli_wants_help(argc, argv)) {
		agree_usage(stdout);
		return EXIT_OK;
	}
	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	for (int i = 1; i < argc; i += 2) { /* every option takes a value */
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--count") && val && !parse_num(val, 1, LONG_MAX, &v)) {
			count = v;
		} else if (!strcmp(a, "--seed") && val && !parse_num(val, 0, LONG_MAX / 2, &v)) {
			seed = v;
		} else if (!strcmp(a, "--max-funcs") && val && !parse_num(val, 1, GEN_MAX_FUNCS, &v)) {
			go.max_funcs = (int)v;
		} else if (!strcmp(a, "--max-insns") && val && !parse_num(val, 1, CF_MAX_INSNS, &v)) {
			go.max_insns = (int)v;
		} else if (!strcmp(a, "--max-args") && val && !parse_num(val, 0, CF_MAX_ARGS, &v)) {
			max_args = v;
		} else if (!strcmp(a, "--out") && val) {
			outdir = val;
		} else {
			agree_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (outdir && mkdir(outdir, 0777) && errno != EEXIST) {
		fprintf(stderr, "callfuzz kernel-agree: cannot create %s: %s\n", outdir, strerror(errno));
		return EXIT_USAGE;
	}
	if (kernel_probe(&kp) || !kp.bpf_allowed) {
		fprintf(stderr, "callfuzz kernel-agree: %s\n", kp.msg);
		return EXIT_USAGE;
	}
	go.max_args = max_args >= 0 ? (int)max_args : kp.max_args;
	cf_check_opts_default(&co);
	co.max_args = go.max_args;
	co.ctx_moved_ok = kp.ctx_moved_ok;
	co.model_callees = false; /* kernel profile: no model helpers */
	printf("kernel %s, stack arguments %s: generating with --max-args %d, seeds %ld..%ld\n", kp.release,
	       kp.stack_args ? "yes" : "no", go.max_args, seed, seed + count - 1);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++)
		agree_one(&t, seed + i, &go, &co, outdir);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	long checked = t.programs - t.gen_fail - t.check_reject - t.interp_fail;

	printf("programs: %ld (generator failures %ld, checker rejections %ld, interpreter faults %ld)\n",
	       t.programs, t.gen_fail, t.check_reject, t.interp_fail);
	printf("kernel verifier accepted: %ld of %ld (%.2f%%), rejected %ld (%.2f%%)\n", t.loaded, checked,
	       pct(t.loaded, checked), t.reject, pct(t.reject, checked));
	printf("results agree: %ld of %ld (%.2f%% of all, %.2f%% of loaded); differ %ld; run errors %ld\n",
	       t.agree, checked, pct(t.agree, checked), pct(t.agree, t.loaded), t.diff, t.run_err);
	printf("agreeing programs that wrote ctx: %ld, with r0 != 0 (low 32 bits): %ld\n", t.ctx_written,
	       t.r0_nonzero);
	printf("time: %.1f s (%.0f programs/s, kernel load %.2f ms per program)\n", secs,
	       (double)t.programs / (secs > 0 ? secs : 1), t.programs ? t.load_ns / 1e6 / (double)t.programs : 0);
	if (t.nreasons) {
		qsort(t.reasons, (size_t)t.nreasons, sizeof(t.reasons[0]), cmp_reason);
		printf("rejections by verifier reason (count, first seed, reason):\n");
		for (int i = 0; i < t.nreasons; i++)
			printf("  %6ld  seed %-8ld %s\n", t.reasons[i].count, t.reasons[i].first_seed,
			       t.reasons[i].text);
	}
	if (outdir && (t.reject || t.diff || t.check_reject || t.interp_fail))
		printf("cases saved in %s/\n", outdir);
	return t.programs == t.agree ? EXIT_OK : EXIT_REJECT;
}

CLI_COMMAND(kernel_agree, "kernel-agree",
	    "generated programs through checker, interpreter and host kernel: acceptance and agreement",
	    cmd_kernel_agree)

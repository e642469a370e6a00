/* harness/cli_bench.c: `callfuzz bench exec`: runs per second of the
 * executor protocol for fixed code sizes, to hold against the floor of
 * qemu itself (`callfuzz-exec --floor`, tests/bench/exec_speed.sh). */
#include "harness/cli.h"
#include "harness/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void bench_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz bench exec [--insns N]... [--runs N] [--batches N] [--same] [--spin-us N]\n\n"
		"Runs generated arm64 code (mov x0, #i; N-2 x add x0, x0, #1; ret) through the\n"
		"executor (docs/executor-protocol.md) and prints runs/s for each size, best of\n"
		"the batches. Each run changes the first instruction, so qemu translates the\n"
		"code again, as it must for a fuzzer's fresh programs; --same keeps the code\n"
		"fixed (only the ctx changes) to show the cost of the protocol alone.\n\n"
		"options:\n"
		"  --insns N     code size in instructions (repeatable; default 64 and 1024)\n"
		"  --runs N      runs per batch (default 5000)\n"
		"  --batches N   batches per size; the best is reported (default 3)\n"
		"  --same        identical code in every run\n"
		"  --spin-us N   spin budget of both sides before sleeping (0: never spin)\n");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One batch; returns ns per run, 0 on failure (message printed). */
static double bench_batch(struct exec *ex, uint32_t *code, uint32_t ninsns, int runs, bool same)
{
	static struct exec_result res;
	uint8_t ctx[CF_CTX_SIZE] = { 0 };
	struct cf_err err;
	uint64_t t0 = now_ns();

	for (int r = 0; r < runs; r++) {
		uint64_t want = (same ? 0 : (uint64_t)(r & 0xffff)) + ninsns - 2;

		if (!same)
			code[0] = 0xd2800000u | (uint32_t)(r & 0xffff) << 5; /* mov x0, #r */
		ctx[0] = (uint8_t)r;
		if (exec_run(ex, code, ninsns, 0, ctx, &res, &err)) {
			fprintf(stderr, "callfuzz bench: %s\n", err.msg);
			return 0;
		}
		if (res.status != EXEC_OK || res.r0 != want) {
			fprintf(stderr, "callfuzz bench: run %d: %s r0=%llu, want %llu: %s\n", r,
				exec_status_name(res.status), (unsigned long long)res.r0,
				(unsigned long long)want, res.detail);
			return 0;
		}
	}
	return (double)(now_ns() - t0) / runs;
}

static int bench_exec(int argc, char **argv)
{
	uint32_t sizes[16];
	int nsizes = 0, runs = 5000, batches = 3;
	bool same = false;
	struct exec_opts opts = { 0 };
	struct cf_err err;
	struct exec *ex;
	int rc = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--same")) {
			same = true;
			continue;
		}
		if (!v || (strcmp(a, "--insns") && strcmp(a, "--runs") && strcmp(a, "--batches") &&
			   strcmp(a, "--spin-us"))) {
			bench_usage(stderr);
			return EXIT_USAGE;
		}
		i++;
		long n = strtol(v, NULL, 10);
		if (!strcmp(a, "--spin-us")) {
			opts.spin_us = n > 0 ? (int)n : 0;
			continue;
		}
		if (!strcmp(a, "--insns")) {
			if (n < 2 || n > 65536 || nsizes == 16) {
				fprintf(stderr, "callfuzz bench: --insns takes 2..65536 (at most 16 sizes)\n");
				return EXIT_USAGE;
			}
			sizes[nsizes++] = (uint32_t)n;
		} else if (n < 1 || n > 10000000) {
			fprintf(stderr, "callfuzz bench: %s takes 1..10000000\n", a);
			return EXIT_USAGE;
		} else if (!strcmp(a, "--runs")) {
			runs = (int)n;
		} else {
			batches = (int)n;
		}
	}
	if (!nsizes) {
		sizes[nsizes++] = 64;
		sizes[nsizes++] = 1024;
	}
	ex = exec_start(&opts, &err);
	if (!ex) {
		fprintf(stderr, "callfuzz bench: %s\n", err.msg);
		return EXIT_REJECT;
	}
	printf("executor: %s\n", exec_info(ex)->runner);
	for (int s = 0; s < nsizes && rc == EXIT_OK; s++) {
		uint32_t n = sizes[s];
		uint32_t *code = malloc(n * sizeof(*code));
		double best = 0;

		if (!code) {
			rc = EXIT_REJECT;
			break;
		}
		code[0] = 0xd2800000u; /* mov x0, #0 */
		for (uint32_t i = 1; i + 1 < n; i++)
			code[i] = 0x91000400u; /* add x0, x0, #1 */
		code[n - 1] = 0xd65f03c0u; /* ret */
		for (int b = 0; b < batches; b++) {
			double ns = bench_batch(ex, code, n, runs, same);

			if (ns == 0) {
				rc = EXIT_REJECT;
				break;
			}
			if (best == 0 || ns < best)
				best = ns;
		}
		if (rc == EXIT_OK)
			printf("exec %u insns%s: %.0f runs/s (%.2f us/run, best of %d x %d)\n", n,
			       same ? " (same code)" : "", 1e9 / best, best / 1e3, batches, runs);
		free(code);
	}
	exec_stop(ex);
	return rc;
}

static int cmd_bench(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		bench_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "exec"))
		return bench_exec(argc - 1, argv + 1);
	fprintf(stderr, "callfuzz bench: unknown benchmark '%s'\n", argv[1]);
	bench_usage(stderr);
	return EXIT_USAGE;
}

CLI_COMMAND(bench, "bench", "measure speed (bench exec: executor runs/s)", cmd_bench);

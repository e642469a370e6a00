/* harness/cli/cli_bench.c: `callfuzz bench exec`: runs per second of the
 * executor protocol for fixed code sizes, to hold against the floor of
 * qemu itself (`callfuzz-exec --floor`, tests/bench/exec_speed.sh). */
#include "harness/cli/cli.h"
#include "harness/target/target.h"
#include "fuzz/loop/loop.h"
#include "jit/jit.h"

#include <dirent.h>
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
		"  --spin-us N   fixed spin budget of both sides before sleeping, in us (0:\n"
		"                never spin; default: exec_auto_spin_us(), twice the recent\n"
		"                mean wait up to %d us when this process and the executor\n"
		"                can each have a CPU)\n", EXEC_SPIN_US_AUTO);
}

const char *bench_spin_desc(const struct exec_opts *eo, bool spin_given)
{
	static char buf[64];
	int auto_us = exec_auto_spin_us(eo->jobs);

	if (eo->spin_us > 0)
		snprintf(buf, sizeof(buf), "spin %d us%s", eo->spin_us,
			 !spin_given && getenv("CALLFUZZ_SPIN_US") ? " ($CALLFUZZ_SPIN_US)" : "");
	else if (eo->spin_us < 0 || auto_us == 0)
		snprintf(buf, sizeof(buf), "no spinning");
	else
		snprintf(buf, sizeof(buf), "adaptive spin up to %d us", auto_us);
	return buf;
}

/* One batch; returns ns per run, 0 on failure (message printed). *busy:
 * the executor's own share per run (exec_result.busy_ns). */
static double bench_batch(struct exec *ex, uint32_t *code, uint32_t ninsns, int runs, bool same, double *busy)
{
	uint64_t busy_sum = 0;
	static struct exec_result res;
	uint8_t ctx[CF_CTX_SIZE] = { 0 };
	struct cf_err err;
	uint64_t t0 = cli_now_ns();

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
		busy_sum += res.busy_ns;
	}
	*busy = (double)busy_sum / runs;
	return (double)(cli_now_ns() - t0) / runs;
}

static int bench_exec(int argc, char **argv)
{
	uint32_t sizes[16];
	int nsizes = 0, runs = 5000, batches = 3;
	bool same = false, spin_given = false;
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
			opts.spin_us = n > 0 ? (int)n : -1;
			spin_given = true;
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
	cli_exec_env(&opts); /* after the options: --spin-us wins */
	/* The executor directly, not a target: this measures the executor's
	 * protocol itself, the layer under the model target (bench run
	 * measures the target). */
	ex = exec_start(&opts, &err);
	if (!ex) {
		fprintf(stderr, "callfuzz bench: %s\n", err.msg);
		return EXIT_REJECT;
	}
	printf("executor: %s, %s\n", exec_info(ex)->runner, bench_spin_desc(&opts, spin_given));
	for (int s = 0; s < nsizes && rc == EXIT_OK; s++) {
		uint32_t n = sizes[s];
		uint32_t *code = malloc(n * sizeof(*code));
		double best = 0, best_busy = 0;

		if (!code) {
			rc = EXIT_REJECT;
			break;
		}
		code[0] = 0xd2800000u; /* mov x0, #0 */
		for (uint32_t i = 1; i + 1 < n; i++)
			code[i] = 0x91000400u; /* add x0, x0, #1 */
		code[n - 1] = 0xd65f03c0u; /* ret */
		for (int b = 0; b < batches; b++) {
			double busy, ns = bench_batch(ex, code, n, runs, same, &busy);

			if (ns == 0) {
				rc = EXIT_REJECT;
				break;
			}
			if (best == 0 || ns < best) {
				best = ns;
				best_busy = busy;
			}
		}
		if (rc == EXIT_OK)
			printf("exec %u insns%s: %.0f runs/s (%.2f us/run, best of %d x %d; executor busy %.2f us, "
			       "transfer %.2f us)\n", n, same ? " (same code)" : "", 1e9 / best, best / 1e3, batches,
			       runs, best_busy / 1e3, (best - best_busy) / 1e3);
		free(code);
	}
	exec_stop(ex);
	return rc;
}

/* ---- bench loop ----------------------------------------------------------
 * The fuzz loop itself (fuzz/loop/loop.h) on the generator bytes of seeds
 * (gen_bytes_from_seed, as `callfuzz gen --seed`), without artifacts: its
 * stage counters give the split of a program's cost; tests/bench/
 * throughput.sh holds them against the executor's floors. */

static void bench_loop_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz bench loop [--count N] [--seed S] [--max-insns N] [--max-funcs N]\n"
		"                           [--max-args N] [--serial] [--lse on|off]\n\n"
		"Runs N generated programs (seeds S..S+N-1, as `callfuzz gen`) through the fuzz\n"
		"loop (generate, check, JIT, executor, interpreter on a second thread, compare)\n"
		"without writing artifacts, and prints programs/s, the time per program of each\n"
		"stage, program sizes (BPF slots, arm64 instructions, interpreted instructions)\n"
		"and the resident memory of this process and of the executor (qemu).\n\n"
		"options:\n"
		"  --count N      programs (default 500)\n"
		"  --seed S       first seed (default 1)\n"
		"  --max-insns N  generator's soft cap on slots per program (default 400)\n"
		"  --max-funcs N  functions per program, main included (default 10)\n"
		"  --max-args N   0..12 (default 12)\n"
		"  --serial       interpret before the executor runs instead of during\n"
		"  --lse on|off   atomics as LSE or LL/SC (default: per input)\n");
}

/* VmRSS of a process in KiB, 0 if unknown. */
static long rss_kib(const char *pid)
{
	char path[64], line[256];
	long kib = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Sum of VmRSS of this process's children (the executor, under qemu). */
static long children_rss_kib(void)
{
	DIR *tasks = opendir("/proc/self/task");
	struct dirent *t;
	long sum = 0;

	if (!tasks)
		return 0;
	while ((t = readdir(tasks))) {
		char path[300], pid[32];
		FILE *f;

		if (t->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", t->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fscanf(f, "%31s", pid) == 1)
			sum += rss_kib(pid);
		fclose(f);
	}
	closedir(tasks);
	return sum;
}

static int bench_loop(int argc, char **argv)
{
	static uint8_t buf[GEN_SEED_MAX_LEN];
	struct loop_opts o;
	struct loop *l;
	struct cf_err err;
	uint64_t seed = 1, arm64_insns = 0;
	long count = 500, mismatches = 0, gen_bugs = 0;
	uint64_t t0, wall;
	struct loop_stats stats;
	const struct loop_stats *st = &stats;

	loop_opts_default(&o);
	cli_exec_env(&o.target.exec);
	o.artifacts_dir = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--serial")) {
			o.target.serial = true;
			continue;
		}
		if (!v) {
			bench_loop_usage(stderr);
			return EXIT_USAGE;
		}
		i++;
		if (!strcmp(a, "--count"))
			count = strtol(v, NULL, 0);
		else if (!strcmp(a, "--seed"))
			seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--max-insns"))
			o.gen.max_insns = atoi(v);
		else if (!strcmp(a, "--max-funcs"))
			o.gen.max_funcs = atoi(v);
		else if (!strcmp(a, "--max-args"))
			o.gen.max_args = atoi(v);
		else if (!strcmp(a, "--lse") && (!strcmp(v, "on") || !strcmp(v, "off")))
			o.lse = !strcmp(v, "on") ? LOOP_LSE_ON : LOOP_LSE_OFF;
		else {
			bench_loop_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (count < 1) {
		fprintf(stderr, "callfuzz bench loop: --count takes a positive number\n");
		return EXIT_USAGE;
	}
	l = loop_start(&o, &err);
	if (!l) {
		fprintf(stderr, "callfuzz bench loop: %s\n", err.msg);
		return EXIT_USAGE;
	}
	t0 = cli_now_ns();
	for (long i = 0; i < count; i++) {
		size_t len = gen_bytes_from_seed(seed + (uint64_t)i, -1, buf, sizeof(buf));
		struct loop_outcome out;

		switch (loop_run_input(l, buf, len, &out)) {
		case LOOP_EQUAL:
		case LOOP_QUEUED: /* loop_queue_input's only */
			break;
		case LOOP_MISMATCH:
			mismatches++;
			break;
		case LOOP_GEN_BUG:
			gen_bugs++;
			fprintf(stderr, "callfuzz bench loop: seed %llu: %s\n", (unsigned long long)(seed + i), out.msg);
			break;
		case LOOP_ERROR:
			fprintf(stderr, "callfuzz bench loop: seed %llu: %s\n", (unsigned long long)(seed + i), out.msg);
			loop_stop(l);
			return EXIT_REJECT;
		}
	}
	wall = cli_now_ns() - t0;
	stats = *loop_get_stats(l);
	printf("loop: %ld programs in %.2f s: %.1f programs/s (max-insns %d, max-funcs %d, max-args %d, %s; "
	       "%ld mismatches, %ld generator bugs)\n",
	       count, wall / 1e9, count / (wall / 1e9), o.gen.max_insns, o.gen.max_funcs, o.gen.max_args,
	       o.target.serial ? "serial" : "interpreter during execute", mismatches, gen_bugs);
	printf("rss: host %.1f MiB, executor %.1f MiB\n", rss_kib("self") / 1024.0, children_rss_kib() / 1024.0);
	printf("stage us/program:");
	for (int s = 0; s < LOOP_NSTAGES; s++)
		printf(" %s %.1f", loop_stage_name(s), st->programs ? st->stage_ns[s] / 1e3 / st->programs : 0.0);
	printf(" wall %.1f\n", st->programs ? st->wall_ns / 1e3 / st->programs : 0.0);
	loop_stop(l);

	/* arm64 code size: the same programs JIT-compiled again, untimed (the
	 * callee addresses only change the length of the call sequences). */
	for (long i = 0; i < count; i++) {
		size_t len = gen_bytes_from_seed(seed + (uint64_t)i, -1, buf, sizeof(buf));
		struct jit_opts jopts = { .lse_atomics = true };
		struct jit_image img;
		struct cf_prog prog;

		for (int c = 0; c < (int)(sizeof(jopts.callee_addr) / sizeof(jopts.callee_addr[0])); c++)
			jopts.callee_addr[c] = 0x400000 + 0x100 * (uint64_t)c;
		if (gen_program(buf, len, &o.gen, &prog, &err))
			continue;
		if (jit_compile(&prog, &jopts, &img, &err) == 0) {
			arm64_insns += img.ncode;
			jit_image_free(&img);
		}
		cf_prog_free(&prog);
	}
	printf("per program: %.1f BPF slots, %.1f arm64 insns, %.1f interpreted insns, %llu executor restarts\n",
	       st->programs ? (double)st->insns / st->programs : 0.0, (double)arm64_insns / count,
	       st->programs ? (double)st->interp_insns / st->programs : 0.0,
	       (unsigned long long)st->exec_restarts);
	return gen_bugs ? EXIT_REJECT : EXIT_OK;
}

static int cmd_bench(int argc, char **argv)
{
	/* `bench run --help`, `bench loop --help`: the subcommand's own text */
	if (argc < 2 || cli_wants_help(2, argv)) {
		bench_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "exec")) {
		if (cli_wants_help(argc - 1, argv + 1)) {
			bench_usage(stdout);
			return EXIT_OK;
		}
		return bench_exec(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "run"))
		return bench_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "loop")) {
		if (cli_wants_help(argc - 1, argv + 1)) {
			bench_loop_usage(stdout);
			return EXIT_OK;
		}
		return bench_loop(argc - 1, argv + 1);
	}
	fprintf(stderr, "callfuzz bench: unknown benchmark '%s'\n", argv[1]);
	bench_usage(stderr);
	return EXIT_USAGE;
}

CLI_COMMAND(bench, "bench",
	    "measure speed (bench exec: executor runs/s; bench run: callfuzz run's engine against qemu's "
	    "floor; bench loop: the fuzz loop's split)",
	    cmd_bench);

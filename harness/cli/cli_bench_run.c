/* harness/cli/cli_bench_run.c: `callfuzz bench run FILE.s...`: programs per
 * second through `callfuzz run`'s engine (check, interpreter, JIT,
 * executor, compare) on a fixed set of programs, split by stage, next to
 * the floor of qemu itself for the same arm64 code (`callfuzz-exec
 * --floor-code`). tests/bench/run_speed.sh runs it on tests/bench/progs/. */
#define _GNU_SOURCE
#include "harness/cli/cli.h"
#include "harness/target/target.h"
#include "harness/executor/protocol.h"
#include "jit/jit.h"

#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { ST_CHECK, ST_INTERP, ST_JIT, ST_TRANSFER, ST_EXEC, ST_COMPARE, NST };
static const char *const stage_name[NST] = {
	"check", "interpret", "jit", "transfer", "execution", "compare",
};

struct bench_prog {
	const char *path;
	struct cf_prog prog;
	uint32_t ncode; /* arm64 instructions */
	uint64_t r0;    /* of the first run: every run must give it again */
};

static void bench_run_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz bench run [--runs N] [--batches N] [--spin-us N] FILE.s...\n\n"
		"Runs the programs in turn, as `callfuzz run` does (checker, interpreter, JIT,\n"
		"executor, compare; zero ctx), N runs in all, and prints programs/s and the\n"
		"time per program of each stage: check, interpret, jit, transfer (the round\n"
		"trip to the executor minus the executor's own time), execution (the\n"
		"executor placing the code, qemu translating and running it, the checks),\n"
		"compare. Next to it, the floor: callfuzz-exec --floor-code placing and\n"
		"running the same arm64 code in turn inside one process, no host involved\n"
		"(docs/executor-protocol.md, \"Performance\"). Consecutive runs are\n"
		"different programs, so every run's code is fresh to qemu, as in fuzzing.\n"
		"The engine/floor ratio counts jit + transfer + execution + compare (the\n"
		"target is 1.5); check and interpret are shown beside it.\n\n"
		"options:\n"
		"  --runs N      runs per batch (default 2000)\n"
		"  --batches N   batches, alternating engine and floor; best of each (default 3)\n"
		"  --spin-us N   as for bench exec (0: never spin; default adaptive)\n");
}

/* One batch through the engine: per-stage ns summed into st[]. The r0 sum
 * is what the floor must reproduce. 0 on success. */
static int engine_batch(struct exec *ex, struct bench_prog *bp, int n, int runs, uint64_t st[NST],
			uint64_t *r0_sum)
{
	static struct interp_result ir;
	static struct exec_result xr;
	uint8_t ctx[CF_CTX_SIZE];
	struct cf_check_opts copts;
	struct jit_opts jopts = { .lse_atomics = true };
	struct cf_err err;

	cf_check_opts_default(&copts);
	exec_callee_addrs(ex, jopts.callee_addr, 32);
	*r0_sum = 0;
	for (int r = 0; r < runs; r++) {
		struct bench_prog *b = &bp[r % n];
		struct jit_image img = { 0 };
		struct mismatch m;
		uint64_t t0, t1;

		memset(ctx, 0, sizeof(ctx));
		t0 = cli_now_ns();
		if (cf_check(&b->prog, &copts, &err)) {
			fprintf(stderr, "callfuzz bench run: %s: rejected: %s\n", b->path, err.msg);
			return -1;
		}
		t1 = cli_now_ns();
		st[ST_CHECK] += t1 - t0;
		exec_prepare(ex); /* as callfuzz run and the fuzz loop do: part of the transfer */
		t0 = cli_now_ns();
		st[ST_TRANSFER] += t0 - t1;
		interp_run(&b->prog, NULL, NULL, ctx, &ir);
		t1 = cli_now_ns();
		st[ST_INTERP] += t1 - t0;
		t0 = t1;
		if (jit_compile(&b->prog, &jopts, &img, &err)) {
			fprintf(stderr, "callfuzz bench run: %s: JIT_REJECT: %s\n", b->path, err.msg);
			return -1;
		}
		t1 = cli_now_ns();
		st[ST_JIT] += t1 - t0;
		if (exec_run(ex, img.code, img.ncode, img.entry, ctx, &xr, &err)) {
			fprintf(stderr, "callfuzz bench run: %s: %s\n", b->path, err.msg);
			jit_image_free(&img);
			return -1;
		}
		t0 = cli_now_ns();
		st[ST_EXEC] += xr.busy_ns < t0 - t1 ? xr.busy_ns : t0 - t1;
		st[ST_TRANSFER] += xr.busy_ns < t0 - t1 ? t0 - t1 - xr.busy_ns : 0;
		if (compare_results(&ir, &xr, &img, &b->prog, &m) != MISMATCH_NONE) {
			fprintf(stderr, "callfuzz bench run: %s: mismatch %s at %s: the benchmark wants agreeing "
					"programs\n", b->path, mismatch_kind_name(m.kind), m.place);
			jit_image_free(&img);
			return -1;
		}
		st[ST_COMPARE] += cli_now_ns() - t0;
		b->ncode = img.ncode;
		*r0_sum += xr.r0;
		jit_image_free(&img);
	}
	return 0;
}

/* The programs' arm64 code as a --floor-code file; 0 on success. */
static int write_floor_file(struct exec *ex, struct bench_prog *bp, int n, const char *path)
{
	struct jit_opts jopts = { .lse_atomics = true };
	struct exp_floor_header h = { .ncodes = (uint32_t)n };
	struct cf_err err;
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -1;
	memcpy(h.magic, EXP_FLOOR_MAGIC, 8);
	exec_callee_addrs(ex, jopts.callee_addr, 32);
	if (fwrite(&h, sizeof(h), 1, f) != 1)
		rc = -1;
	for (int i = 0; i < n && !rc; i++) {
		struct jit_image img = { 0 };
		struct exp_floor_code d;

		if (jit_compile(&bp[i].prog, &jopts, &img, &err)) {
			rc = -1;
			break;
		}
		d.code_len = img.ncode * 4;
		d.entry = img.entry;
		if (fwrite(&d, sizeof(d), 1, f) != 1 || fwrite(img.code, 4, img.ncode, f) != img.ncode)
			rc = -1;
		jit_image_free(&img);
	}
	if (fclose(f))
		rc = -1;
	return rc;
}

/* Runs callfuzz-exec --floor-code under the executor's runner; fills the
 * ns per run and the r0 checksum. 0 on success. */
static int floor_batch(const struct exec_info *info, const char *file, int runs, double *ns_per_run,
		       uint64_t *sum)
{
	char runs_s[16], line[256] = "";
	char *argv[8];
	int argc = 0, fds[2], st;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	FILE *out;
	double us;
	unsigned long long chk;

	snprintf(runs_s, sizeof(runs_s), "%d", runs);
	if (info->runner_path[0])
		argv[argc++] = (char *)info->runner_path;
	argv[argc++] = (char *)info->exec_path;
	if (info->runner_path[0])
		argv[argc++] = "--code-ring"; /* what exec_start passes under qemu */
	argv[argc++] = "--floor-code";
	argv[argc++] = (char *)file;
	argv[argc++] = runs_s;
	argv[argc] = NULL;
	if (pipe(fds))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	out = fdopen(fds[0], "r");
	if (!out || !fgets(line, sizeof(line), out))
		line[0] = 0;
	if (out)
		fclose(out);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) ||
	    sscanf(line, "floor: %*u codes, %*u runs, %lf us/run, %*f runs/s (checksum %llu)", &us, &chk) != 2) {
		fprintf(stderr, "callfuzz bench run: the floor run failed: %s", line[0] ? line : "no output\n");
		return -1;
	}
	*ns_per_run = us * 1e3;
	*sum = chk;
	return 0;
}

int bench_run(int argc, char **argv)
{
	int runs = 2000, batches = 3, n = 0, rc = EXIT_REJECT;
	struct exec_opts eo = { 0 };
	struct bench_prog *bp;
	char floor_path[] = "/tmp/callfuzz-floor-XXXXXX";
	double best_engine[NST] = { 0 }, best_total = 0, best_floor = 0;
	uint64_t slots = 0, arm64 = 0;
	struct cf_err err;
	struct exec *ex = NULL;
	int fd;

	if (cli_wants_help(argc, argv)) {
		bench_run_usage(stdout);
		return EXIT_OK;
	}
	bp = calloc((size_t)argc, sizeof(*bp));
	if (!bp)
		return EXIT_REJECT;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") || !strcmp(argv[i], "--batches") || !strcmp(argv[i], "--spin-us")) {
			long v = i + 1 < argc ? strtol(argv[i + 1], NULL, 10) : -1;

			if (v < 0 || v > 10000000 || (v == 0 && strcmp(argv[i], "--spin-us"))) {
				fprintf(stderr, "callfuzz bench run: %s takes a positive number\n", argv[i]);
				goto usage;
			}
			if (!strcmp(argv[i], "--runs"))
				runs = (int)v;
			else if (!strcmp(argv[i], "--batches"))
				batches = (int)v;
			else
				eo.spin_us = v > 0 ? (int)v : -1;
			i++;
		} else if (argv[i][0] == '-') {
			goto usage;
		} else {
			bp[n].path = argv[i];
			if (cli_load_prog("bench run", argv[i], &bp[n].prog))
				goto out;
			for (int f = 0; f < bp[n].prog.nfuncs; f++)
				slots += (uint64_t)bp[n].prog.funcs[f].ninsns;
			n++;
		}
	}
	if (n == 0)
		goto usage;
	if (n < 2)
		fprintf(stderr, "callfuzz bench run: one program: its code is placed anew every run, but "
				"the same code runs again (give several)\n");
	ex = exec_start(&eo, &err);
	if (!ex) {
		fprintf(stderr, "callfuzz bench run: %s\n", err.msg);
		goto out;
	}
	fd = mkstemp(floor_path);
	if (fd < 0) {
		fprintf(stderr, "callfuzz bench run: mkstemp: %s\n", strerror(errno));
		goto out;
	}
	close(fd);
	if (write_floor_file(ex, bp, n, floor_path)) {
		fprintf(stderr, "callfuzz bench run: cannot write %s\n", floor_path);
		goto out_file;
	}
	for (int b = 0; b < batches; b++) {
		uint64_t st[NST] = { 0 }, sum = 0, floor_sum = 0;
		double total = 0, floor_ns;

		if (engine_batch(ex, bp, n, runs, st, &sum) ||
		    floor_batch(exec_info(ex), floor_path, runs, &floor_ns, &floor_sum))
			goto out_file;
		if (sum != floor_sum) {
			fprintf(stderr, "callfuzz bench run: the floor's r0 checksum %" PRIu64 " is not the "
					"engine's %" PRIu64 ": it did not run the same code\n", floor_sum, sum);
			goto out_file;
		}
		for (int s = ST_JIT; s < NST; s++)
			total += (double)st[s] / runs;
		if (best_total == 0 || total < best_total) {
			best_total = total;
			for (int s = 0; s < NST; s++)
				best_engine[s] = (double)st[s] / runs;
		}
		if (best_floor == 0 || floor_ns < best_floor)
			best_floor = floor_ns;
	}
	for (int i = 0; i < n; i++)
		arm64 += bp[i].ncode;
	printf("run engine: %d programs (%.1f BPF slots, %.1f arm64 insns on average), %d runs x %d batches, "
	       "%s, %s\n", n, (double)slots / n, (double)arm64 / n, runs, batches, exec_info(ex)->runner,
	       bench_spin_desc(eo.spin_us));
	printf("  us/program:");
	for (int s = 0; s < NST; s++)
		printf(" %s %.1f", stage_name[s], best_engine[s] / 1e3);
	printf("\n");
	printf("  engine (jit + transfer + execution + compare): %.1f us = %.0f programs/s; with check and "
	       "interpret: %.1f us = %.0f programs/s\n", best_total / 1e3, 1e9 / best_total,
	       (best_total + best_engine[ST_CHECK] + best_engine[ST_INTERP]) / 1e3,
	       1e9 / (best_total + best_engine[ST_CHECK] + best_engine[ST_INTERP]));
	printf("  floor (callfuzz-exec --floor-code, same code): %.1f us/run = %.0f runs/s\n", best_floor / 1e3,
	       1e9 / best_floor);
	printf("  engine/floor %.2f (target 1.5); execution/floor %.2f; with check and interpret %.2f\n",
	       best_total / best_floor, best_engine[ST_EXEC] / best_floor,
	       (best_total + best_engine[ST_CHECK] + best_engine[ST_INTERP]) / best_floor);
	rc = EXIT_OK;
out_file:
	unlink(floor_path);
out:
	exec_stop(ex);
	for (int i = 0; i < n; i++)
		cf_prog_free(&bp[i].prog);
	free(bp);
	return rc;
usage:
	bench_run_usage(stderr);
	rc = EXIT_USAGE;
	goto out;
}

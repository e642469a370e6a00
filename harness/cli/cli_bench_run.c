/* harness/cli/cli_bench_run.c: `callfuzz bench run FILE.s...`: programs per
 * second through `callfuzz run`'s engine -- the model target of the target
 * interface (harness/target/target.h): check, interpreter, JIT, executor,
 * compare -- on a fixed set of programs, split by stage, next to the floor
 * of qemu itself for the same arm64 code (`callfuzz-exec --floor-code`).
 * The engine part knows nothing of how the target runs a program: it reads
 * the case's times (c->times) and, with keep_image, the executor's own
 * share of the round trip (c->xr->busy_ns). The floor is a direct run of
 * the executor binary: it measures qemu alone, not a target.
 * tests/bench/run_speed.sh runs it on tests/bench/progs/. */
#define _GNU_SOURCE
#include "harness/cli/cli.h"
#include "harness/target/target.h"
#include "harness/executor/protocol.h"

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
};

static void bench_run_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz bench run [--runs N] [--batches N] [--spin-us N] FILE.s...\n\n"
		"Runs the programs in turn on the model target, as `callfuzz run` does\n"
		"(checker, interpreter, JIT, executor, compare; zero ctx), N runs in all, and\n"
		"prints programs/s and the time per program of each stage: check, interpret\n"
		"(on the target's worker thread, while the executor runs), jit, transfer\n"
		"(the round trip to the executor minus the executor's own time), execution\n"
		"(the executor placing the code, qemu translating and running it, the\n"
		"checks), compare (with the wait for the interpreter, if it is not done when\n"
		"the executor answers). Next to it, the floor: callfuzz-exec --floor-code\n"
		"placing and running the same arm64 code in turn inside one process, no host\n"
		"involved (docs/executor-protocol.md, \"Performance\"). Consecutive runs are\n"
		"different programs, so every run's code is fresh to qemu, as in fuzzing.\n"
		"The engine/floor ratio counts jit + transfer + execution + compare (the\n"
		"target is 1.5); check and interpret are shown beside it (\"with check and\n"
		"interpret\": the check added; the interpreter overlaps the execution).\n\n"
		"options:\n"
		"  --runs N      runs per batch (default 2000)\n"
		"  --batches N   batches, alternating engine and floor; best of each (default 3)\n"
		"  --spin-us N   as for bench exec (0: never spin; default adaptive)\n");
}

/* One program through the target: the case's results and times, with its
 * JIT image and executor result kept (keep_image). 0, or -1 with a message
 * printed when the program cannot be measured: the benchmark wants
 * programs the checker accepts and on which both sides agree. */
static int engine_case(struct target *t, struct bench_prog *b, struct target_case *c)
{
	struct cf_err err;

	c->prog = &b->prog;
	memset(c->ctx_in, 0, sizeof(c->ctx_in));
	if (target_run(t, c, 1, &err)) {
		fprintf(stderr, "callfuzz bench run: %s: %s\n", b->path, err.msg);
		return -1;
	}
	if (!c->checker_ok) {
		fprintf(stderr, "callfuzz bench run: %s: rejected: %s\n", b->path, c->checker_msg);
		return -1;
	}
	if (c->interp_fault) {
		fprintf(stderr, "callfuzz bench run: %s: the interpreter faulted: %s\n", b->path,
			c->ir.fault);
		return -1;
	}
	if (c->m.kind != MISMATCH_NONE) {
		fprintf(stderr, "callfuzz bench run: %s: mismatch %s at %s: the benchmark wants agreeing "
				"programs\n", b->path, mismatch_kind_name(c->m.kind), c->m.place);
		return -1;
	}
	if (!c->xr || !c->img) {
		fprintf(stderr, "callfuzz bench run: %s: the target kept no executor result\n", b->path);
		return -1;
	}
	return 0;
}

/* One batch through the engine: per-stage ns summed into st[]. The r0 sum
 * is what the floor must reproduce. 0 on success. */
static int engine_batch(struct target *t, struct bench_prog *bp, int n, int runs, uint64_t st[NST],
			uint64_t *r0_sum)
{
	struct target_case c;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	*r0_sum = 0;
	for (int r = 0; r < runs; r++) {
		struct bench_prog *b = &bp[r % n];
		const struct target_case_times *tt = &c.times;
		uint64_t busy;

		if (engine_case(t, b, &c)) {
			rc = -1;
			break;
		}
		/* the round trip (exec_ns) is the executor's own time
		 * (busy_ns: placing, translating, running, checking) and the
		 * transfer around it */
		busy = c.xr->busy_ns < tt->exec_ns ? c.xr->busy_ns : tt->exec_ns;
		st[ST_CHECK] += tt->check_ns;
		st[ST_INTERP] += tt->interp_ns;
		st[ST_JIT] += tt->jit_ns;
		st[ST_TRANSFER] += tt->exec_ns - busy;
		st[ST_EXEC] += busy;
		st[ST_COMPARE] += tt->compare_ns + tt->wait_ns;
		b->ncode = c.img->ncode;
		*r0_sum += c.xr->r0;
	}
	target_case_release(&c);
	return rc;
}

/* Each program once through the target (which also refuses, before any
 * measurement, a program the checker rejects or on which the sides
 * disagree), and the arm64 code it ran as a --floor-code file. 0 on
 * success. */
static int write_floor_file(struct target *t, struct bench_prog *bp, int n, const char *path)
{
	struct exp_floor_header h = { .ncodes = (uint32_t)n };
	struct target_case c;
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f) {
		fprintf(stderr, "callfuzz bench run: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	memset(&c, 0, sizeof(c));
	memcpy(h.magic, EXP_FLOOR_MAGIC, 8);
	if (fwrite(&h, sizeof(h), 1, f) != 1)
		rc = -1;
	for (int i = 0; i < n && !rc; i++) {
		struct exp_floor_code d;

		if (engine_case(t, &bp[i], &c)) {
			rc = -2;
			break;
		}
		d.code_len = c.img->ncode * 4;
		d.entry = c.img->entry;
		if (fwrite(&d, sizeof(d), 1, f) != 1 || fwrite(c.img->code, 4, c.img->ncode, f) != c.img->ncode)
			rc = -1;
	}
	target_case_release(&c);
	if (fclose(f) && !rc)
		rc = -1;
	if (rc == -1)
		fprintf(stderr, "callfuzz bench run: cannot write %s\n", path);
	return rc ? -1 : 0;
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
	struct target_opts to;
	struct bench_prog *bp;
	char floor_path[] = "/tmp/callfuzz-floor-XXXXXX";
	double best_engine[NST] = { 0 }, best_total = 0, best_floor = 0, best_check;
	uint64_t slots = 0, arm64 = 0;
	bool spin_given = false;
	struct cf_err err;
	struct target *t = NULL;
	const struct exec_info *info;
	int fd;

	if (cli_wants_help(argc, argv)) {
		bench_run_usage(stdout);
		return EXIT_OK;
	}
	bp = calloc((size_t)argc, sizeof(*bp));
	if (!bp)
		return EXIT_REJECT;
	/* the model target as `callfuzz run` opens it (the environment's
	 * executor, runner and spinning; --spin-us overrides), but with the
	 * executor's default stack zeroing: the figures compare with the
	 * fuzz loop's */
	target_opts_default(&to);
	cli_exec_env(&to.exec);
	to.keep_image = true; /* c->xr: the executor's share of the round trip; c->img: the floor's code */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") || !strcmp(argv[i], "--batches") || !strcmp(argv[i], "--spin-us")) {
			long v = i + 1 < argc ? strtol(argv[i + 1], NULL, 10) : -1;

			if (v < 0 || v > 10000000 || (v == 0 && strcmp(argv[i], "--spin-us"))) {
				fprintf(stderr, "callfuzz bench run: %s takes a positive number\n", argv[i]);
				goto usage;
			}
			if (!strcmp(argv[i], "--runs")) {
				runs = (int)v;
			} else if (!strcmp(argv[i], "--batches")) {
				batches = (int)v;
			} else {
				to.exec.spin_us = v > 0 ? (int)v : -1;
				spin_given = true;
			}
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
	t = target_open(&to, &err);
	if (!t) {
		fprintf(stderr, "callfuzz bench run: %s\n", err.msg);
		goto out;
	}
	info = target_exec_info(t);
	fd = mkstemp(floor_path);
	if (fd < 0) {
		fprintf(stderr, "callfuzz bench run: mkstemp: %s\n", strerror(errno));
		goto out;
	}
	close(fd);
	if (write_floor_file(t, bp, n, floor_path))
		goto out_file;
	for (int b = 0; b < batches; b++) {
		uint64_t st[NST] = { 0 }, sum = 0, floor_sum = 0;
		double total = 0, floor_ns;

		if (engine_batch(t, bp, n, runs, st, &sum) ||
		    floor_batch(info, floor_path, runs, &floor_ns, &floor_sum))
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
	/* the interpreter ran on the target's worker thread during the
	 * execution; what it did not hide is in compare (the wait) */
	best_check = best_total + best_engine[ST_CHECK];
	printf("run engine: %d programs (%.1f BPF slots, %.1f arm64 insns on average), %d runs x %d batches, "
	       "%s, %s\n", n, (double)slots / n, (double)arm64 / n, runs, batches, info->runner,
	       bench_spin_desc(&to.exec, spin_given));
	printf("  us/program:");
	for (int s = 0; s < NST; s++)
		printf(" %s %.1f", stage_name[s], best_engine[s] / 1e3);
	printf("\n");
	printf("  engine (jit + transfer + execution + compare): %.1f us = %.0f programs/s; with check and "
	       "interpret: %.1f us = %.0f programs/s\n", best_total / 1e3, 1e9 / best_total, best_check / 1e3,
	       1e9 / best_check);
	printf("  floor (callfuzz-exec --floor-code, same code): %.1f us/run = %.0f runs/s\n", best_floor / 1e3,
	       1e9 / best_floor);
	printf("  engine/floor %.2f (target 1.5); execution/floor %.2f; with check and interpret %.2f\n",
	       best_total / best_floor, best_engine[ST_EXEC] / best_floor, best_check / best_floor);
	rc = EXIT_OK;
out_file:
	unlink(floor_path);
out:
	target_close(t);
	for (int i = 0; i < n; i++)
		cf_prog_free(&bp[i].prog);
	free(bp);
	return rc;
usage:
	bench_run_usage(stderr);
	rc = EXIT_USAGE;
	goto out;
}

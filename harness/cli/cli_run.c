/* harness/cli/cli_run.c: `callfuzz run FILE.s...`: programs through the
 * reference interpreter and through a target (harness/target/target.h:
 * our arm64 JIT on the executor, a real kernel under qemu-system, the host
 * kernel), compared in design.md's oracle order. */
#include "harness/cli/cli.h"
#include "harness/target/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz run [--target model|vm|vm,model|kernel] [target options]\n"
		"                    [--ctx HEX|@FILE] [--timeout-ms N] FILE.s...\n\n"
		"Runs each program (docs/asm.md) through the checker (the target's rules),\n"
		"the reference interpreter and the target, and prints the verdict; on a\n"
		"mismatch, both sides and the first divergence.\n"
		"  model: our arm64 JIT on the executor (qemu-aarch64 on non-arm64 hosts):\n"
		"         trace events, stack snapshots (STACK), ctx (OUTBUF), r0 (RETVAL), the\n"
		"         native ABI checks;\n"
		"  vm:    a real kernel under qemu-system: the verifier's verdict (VERIFIER,\n"
		"         with its log), then ctx and r0's low 32 bits (KERNEL, naming the\n"
		"         voice: its JIT, and its interpreter when every function takes at most\n"
		"         5 arguments); a KERNEL or CRASH of its JIT shows the JIT's code;\n"
		"         vm,model adds our JIT; several files share one boot, 16 programs per\n"
		"         round trip;\n"
		"  kernel: the host kernel through bpf() (root), the same comparisons.\n"
		"A `; ctx: HEX` line among a file's leading comments gives its ctx (the\n"
		"fuzz loop writes one into a kernel target's prog.s).\n\n"
		"options:\n"
		"  --ctx HEX       the 256-byte ctx buffer as hex digits (shorter: zero-filled)\n"
		"  --ctx @FILE     the ctx buffer from the first 256 bytes of FILE\n"
		"  --timeout-ms N  model: watchdog for the JIT run (default 1000)\n");
	cli_target_usage(out);
	fprintf(out, "\nExit codes: 0 equal (a program both the checker and a kernel reject is equal),\n"
		     "1 a mismatch (or the checker rejected the program), 2 bad usage, unreadable\n"
		     "input, no executor, no kernel or no qemu, 125 --kernel-tree does not build.\n");
}

#define RUN_MAX_FILES 4096
#define RUN_BATCH 16

/* Reads and parses one file into *p and its ctx into c; -1 with a message
 * (and with many files, "== FILE" and the reason on stdout). */
static int load_case(const char *path, const uint8_t *ctx, struct cf_prog *p, struct target_case *c, bool many)
{
	char rerr[256];
	size_t len;
	struct cf_err err;
	char *text = cf_read_file(path, &len, rerr, sizeof(rerr));

	if (!text) {
		if (many)
			printf("== %s\nunreadable: %s\n", path, rerr);
		fprintf(stderr, "callfuzz run: %s\n", rerr);
		return -1;
	}
	cf_prog_init(p);
	if (cf_asm_parse(text, len, path, p, &err)) {
		if (many)
			printf("== %s\nunparseable: %s\n", path, err.msg);
		fprintf(stderr, "callfuzz run: %s\n", err.msg);
		cf_prog_free(p);
		free(text);
		return -1;
	}
	cf_prog_derive_stack(p);
	memset(c, 0, sizeof(*c));
	memcpy(c->ctx_in, ctx, CF_CTX_SIZE);
	cli_ctx_from_header(text, c->ctx_in);
	free(text);
	c->prog = p;
	return 0;
}

/* What `run` prints for a case; returns whether it is a mismatch (or a
 * checker rejection on a target without a kernel verdict to compare). */
static bool print_case(const struct target *t, const struct target_case *c)
{
	if (!c->checker_ok && target_get_kind(t) == TARGET_MODEL) {
		printf("rejected: %s\n", c->checker_msg);
		return true;
	}
	target_print_case(t, c, stdout);
	return c->m.kind != MISMATCH_NONE || c->interp_fault;
}

static int cmd_run(int argc, char **argv)
{
	const char **paths = calloc(RUN_MAX_FILES, sizeof(*paths));
	struct target_case *cases = calloc(RUN_BATCH, sizeof(*cases));
	struct cf_prog *progs = calloc(RUN_BATCH, sizeof(*progs));
	const char *ctx_arg = NULL;
	struct cli_target a;
	struct target *t = NULL;
	uint8_t ctx[CF_CTX_SIZE];
	int npaths = 0, rc = EXIT_OK;
	long nequal = 0, nmismatch = 0;
	struct cf_err err;
	char rerr[256], desc[900];

	if (!paths || !cases || !progs) {
		fprintf(stderr, "callfuzz run: out of memory\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (cli_wants_help(argc, argv)) {
		run_usage(stdout);
		goto out;
	}
	cli_target_init(&a);
	a.to.listing = true;
	/* a JIT bug that reads unwritten stack deep down then answers the same
	 * in every replay (as the minimizer) */
	a.to.exec.stack_zero_kib = 32;
	for (int i = 1; i < argc; i++) {
		int r = cli_target_option(&a, argc, argv, &i, "run");

		if (r < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
		if (r)
			continue;
		if (!strcmp(argv[i], "--ctx") && i + 1 < argc) {
			ctx_arg = argv[++i];
		} else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) {
			a.to.exec.timeout_ms = atoi(argv[++i]);
			if (a.to.exec.timeout_ms <= 0) {
				fprintf(stderr, "callfuzz run: --timeout-ms takes a positive number\n");
				rc = EXIT_USAGE;
				goto out;
			}
		} else if ((argv[i][0] == '-' && argv[i][1]) || npaths == RUN_MAX_FILES) {
			run_usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		} else {
			paths[npaths++] = argv[i];
		}
	}
	if (!npaths) {
		run_usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (cli_parse_ctx(ctx_arg ? ctx_arg : "", ctx, rerr, sizeof(rerr))) {
		fprintf(stderr, "callfuzz run: %s\n", rerr);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_target_prepare(&a, "run");
	if (rc != EXIT_OK)
		goto out;
	t = target_open(&a.to, &err);
	if (!t) {
		fprintf(stderr, "callfuzz run: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (target_kind_vm(a.to.kind) || npaths > 1) {
		target_describe(t, desc, sizeof(desc));
		printf("%s\n", desc);
	}
	/* one boot for every file, RUN_BATCH programs per round trip */
	for (int base = 0; base < npaths; base += RUN_BATCH) {
		int n = npaths - base < RUN_BATCH ? npaths - base : RUN_BATCH, k = 0;
		const char *names[RUN_BATCH];

		for (int i = 0; i < n; i++) {
			if (load_case(paths[base + i], ctx, &progs[k], &cases[k], npaths > 1) < 0) {
				rc = EXIT_USAGE;
				continue;
			}
			cases[k].llsc = a.llsc;
			names[k++] = paths[base + i];
		}
		if (k && target_run(t, cases, k, &err) < 0) {
			fprintf(stderr, "callfuzz run: %s\n", err.msg);
			rc = EXIT_USAGE;
			k = 0;
		}
		for (int i = 0; i < k; i++) {
			bool differs;

			if (npaths > 1)
				printf("== %s\n", names[i]);
			differs = print_case(t, &cases[i]);
			nequal += !differs;
			nmismatch += differs;
			if (differs && rc == EXIT_OK)
				rc = EXIT_REJECT;
		}
		for (int i = 0; i < k; i++) {
			target_case_release(&cases[i]);
			cf_prog_free(&progs[i]);
		}
	}
	if (npaths > 1)
		printf("run: %d files, %ld equal, %ld mismatches\n", npaths, nequal, nmismatch);
out:
	target_close(t);
	free(paths);
	free(cases);
	free(progs);
	return rc;
}

CLI_COMMAND(run, "run", "run programs through the interpreter and a target (model JIT, real kernel), compare",
	    cmd_run);

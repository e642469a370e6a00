/* harness/cli/cli_verify.c: `callfuzz verify FILE.s`: run the validity checker
 * (cf_check) on one program and say whether the kernel verifier would
 * accept it, and if not, why. */
#include "bpf/bpf.h"
#include "harness/cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void verify_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz verify [--max-args N] [--kernel] FILE.s\n\n"
		"Checks the program in FILE.s (text format, docs/asm.md; '-' reads stdin)\n"
		"against the kernel verifier's rules for this project's subset (stack\n"
		"arguments included) and prints \"accepted\" or \"rejected: <reason>\".\n\n"
		"options:\n"
		"  --max-args N   largest argument count the target kernel takes: 12 with\n"
		"                 stack arguments (default), 5 for kernels without them\n"
		"  --kernel       the rules of a 7.2 kernel (the vm target): its helpers,\n"
		"                 may_goto, 16 call frames, maps, raw tracepoints, none\n"
		"                 of the model's callees\n"
		"                 (docs/kernel-paths.md)\n"
		"  -h, --help     this help\n\n"
		"Exit codes: 0 accepted, 1 rejected, 2 bad usage or unreadable/unparsable input.\n");
}

static int parse_max_args(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > CF_MAX_ARGS)
		return -1;
	*out = (int)v;
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	struct cf_check_opts opts;
	const char *path = NULL;
	struct cf_err err;
	struct cf_prog prog;
	int ret;

	if (cli_wants_help(argc, argv)) {
		verify_usage(stdout);
		return EXIT_OK;
	}
	cf_check_opts_default(&opts);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--max-args") || !strncmp(a, "--max-args=", 11)) {
			const char *v = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);

			if (!v || parse_max_args(v, &opts.max_args)) {
				fprintf(stderr, "callfuzz verify: --max-args takes a number 0..%d\n",
					CF_MAX_ARGS);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--kernel")) {
			/* a 7.2 kernel as the vm target sees it (docs/kernel-paths.md) */
			opts.kernel_paths = true;
			opts.kfuncs = true; /* a kernel whose BTF names bpf_iter_num_* */
			opts.maps = opts.raw_tp = true; /* the vm target creates them */
			opts.max_frames = CF_MAX_FRAMES;
			opts.model_callees = false;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "callfuzz verify: unknown option '%s'\n", a);
			verify_usage(stderr);
			return EXIT_USAGE;
		} else if (path) {
			fprintf(stderr, "callfuzz verify: one FILE only ('%s' and '%s')\n", path, a);
			return EXIT_USAGE;
		} else {
			path = a;
		}
	}
	if (!path) {
		verify_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_load_prog("verify", path, &prog))
		return EXIT_USAGE;
	if (cf_check(&prog, &opts, &err)) {
		printf("rejected: %s\n", err.msg);
		ret = EXIT_REJECT;
	} else {
		printf("accepted\n");
		ret = EXIT_OK;
	}
	cf_prog_free(&prog);
	return ret;
}

CLI_COMMAND(verify, "verify", "say whether the kernel verifier would accept a program, and why not",
	    cmd_verify)

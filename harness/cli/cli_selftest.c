/* harness/cli/cli_selftest.c: `callfuzz selftest FILE.s`: one program as a
 * kernel selftest (harness/repro/selftest.c), for the model JIT or, with
 * --kernel, for a real kernel (a finding of the vm or kernel target).
 * `callfuzz min` writes the model flavour itself; this command is the way
 * to the kernel flavour until min learns the targets. Both files are
 * built in memory first, so a refusal writes nothing. */
#include "bpf/bpf.h"
#include "harness/cli/cli.h"
#include "harness/repro/repro.h"
#include "interp/interp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void selftest_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz selftest FILE.s [--kernel] [--retval N] [--ctx HEX|@FILE]\n"
		"                         [--name NAME] [--description TEXT] [-o OUT.c]\n\n"
		"Writes the program in FILE.s as a test in the shape of the kernel's\n"
		"tools/testing/selftests/bpf/progs/verifier_*.c (docs/triage.md \"selftest.c\").\n\n"
		"options:\n"
		"  --kernel          for a finding against a real kernel (vm or kernel target):\n"
		"                    SEC(\"syscall\"), the stack-argument guard and dummy test of\n"
		"                    verifier_stack_arg.c, no model helpers or kfuncs (refused)\n"
		"  --retval N        the expected r0 (default: the reference interpreter's)\n"
		"  --ctx HEX|@FILE   the ctx the finding ran on (as for `callfuzz interp`)\n"
		"  --name NAME       the test's C name (default callfuzz_repro)\n"
		"  --description T   its __description (default: FILE and its size)\n"
		"  -o OUT.c          write there (default: stdout). With --kernel and a\n"
		"                    subprogram that takes arguments, the BTF companion goes\n"
		"                    to btf__OUT.c beside it, and -o is required\n"
		"  -h, --help        this help\n\n"
		"Exit codes: 0 written, 1 refused (model helpers, rejected by the checker,\n"
		"the interpreter does not run it to exit), 2 bad usage or unreadable input.\n");
}

static int parse_retval(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (s[0] == '-') {
		long long v = strtoll(s, &end, 0);

		*out = (uint64_t)v;
	} else {
		*out = strtoull(s, &end, 0);
	}
	return errno || end == s || *end ? -1 : 0;
}

/* The companion's path (btf__BASE.c beside OUT) and its object's name as
 * the selftests' Makefile builds it (btf__BASE.bpf.o). */
static int companion_names(const char *out_path, char *path, size_t path_size, char *object, size_t object_size)
{
	const char *base = strrchr(out_path, '/');
	size_t dir_len = base ? (size_t)(base - out_path + 1) : 0;
	size_t stem_len;

	base = base ? base + 1 : out_path;
	stem_len = strlen(base);
	if (stem_len > 2 && !strcmp(base + stem_len - 2, ".c"))
		stem_len -= 2;
	if ((size_t)snprintf(path, path_size, "%.*sbtf__%s", (int)dir_len, out_path, base) >= path_size ||
	    (size_t)snprintf(object, object_size, "btf__%.*s.bpf.o", (int)stem_len, base) >= object_size)
		return -1;
	return 0;
}

static int write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "callfuzz selftest: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_selftest(int argc, char **argv)
{
	const char *path = NULL, *ctx_arg = NULL, *retval_arg = NULL, *out_path = NULL;
	struct selftest_opts o = { .name = "callfuzz_repro" };
	struct interp_result *ir = NULL;
	char description[256], btf_path[4200], btf_object[256], rerr[256];
	char *text = NULL, *btf_text = NULL;
	size_t len = 0, btf_len = 0;
	uint8_t ctx[CF_CTX_SIZE] = { 0 };
	FILE *f = NULL, *btf_f = NULL;
	struct cf_prog prog;
	struct cf_err err;
	int rc = EXIT_USAGE;

	if (cli_wants_help(argc, argv)) {
		selftest_usage(stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--kernel")) {
			o.kernel = true;
		} else if (!strcmp(a, "--retval") && v) {
			retval_arg = v;
			i++;
		} else if (!strcmp(a, "--ctx") && v) {
			ctx_arg = v;
			i++;
		} else if (!strcmp(a, "--name") && v) {
			o.name = v;
			i++;
		} else if (!strcmp(a, "--description") && v) {
			o.comment = v;
			i++;
		} else if (!strcmp(a, "-o") && v) {
			out_path = v;
			i++;
		} else if ((a[0] != '-' || !strcmp(a, "-")) && !path) {
			path = a;
		} else {
			fprintf(stderr, "callfuzz selftest: unexpected argument '%s'\n", a);
			selftest_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!path) {
		selftest_usage(stderr);
		return EXIT_USAGE;
	}
	if (retval_arg && parse_retval(retval_arg, &o.retval)) {
		fprintf(stderr, "callfuzz selftest: --retval: expected a number, got '%s'\n", retval_arg);
		return EXIT_USAGE;
	}
	if (ctx_arg && cli_parse_ctx(ctx_arg, ctx, rerr, sizeof(rerr))) {
		fprintf(stderr, "callfuzz selftest: %s\n", rerr);
		return EXIT_USAGE;
	}
	if (cli_load_prog("selftest", path, &prog))
		return EXIT_USAGE;
	if (!o.comment) {
		const char *base = strrchr(path, '/');

		snprintf(description, sizeof(description), "%s: %d instructions", base ? base + 1 : path,
			 cf_prog_total_insns(&prog));
		o.comment = description;
	}
	o.ctx_in = ctx;

	/* the expected value, and the ctx after the run, from the interpreter */
	if (!retval_arg || o.kernel) {
		struct interp_opts io;

		ir = malloc(sizeof(*ir));
		if (!ir) {
			fprintf(stderr, "callfuzz selftest: out of memory\n");
			goto out;
		}
		interp_opts_default(&io);
		if (interp_run(&prog, &io, NULL, ctx, ir) || ir->status != INTERP_OK) {
			fprintf(stderr, "callfuzz selftest: the interpreter does not run it to exit: %s\n", ir->fault);
			rc = EXIT_REJECT;
			goto out;
		}
		if (!retval_arg)
			o.retval = ir->r0;
		o.ctx_out = ir->ctx;
		o.maps_out = &ir->maps;
	}

	if (o.kernel && selftest_needs_btf_companion(&prog)) {
		if (!out_path || !strcmp(out_path, "-")) {
			fprintf(stderr, "callfuzz selftest: a subprogram takes arguments, so the test has a BTF "
					"companion file (btf__OUT.c): give -o OUT.c\n");
			goto out;
		}
		if (companion_names(out_path, btf_path, sizeof(btf_path), btf_object, sizeof(btf_object))) {
			fprintf(stderr, "callfuzz selftest: -o %s: name too long\n", out_path);
			goto out;
		}
		o.btf_object = btf_object;
		btf_f = open_memstream(&btf_text, &btf_len);
		if (!btf_f) {
			fprintf(stderr, "callfuzz selftest: out of memory\n");
			goto out;
		}
		o.btf_out = btf_f;
	}
	f = open_memstream(&text, &len);
	if (!f) {
		fprintf(stderr, "callfuzz selftest: out of memory\n");
		goto out;
	}
	if (selftest_write_opts(f, &prog, &o, &err)) {
		fprintf(stderr, "callfuzz selftest: refused: %s\n", err.msg);
		rc = EXIT_REJECT;
		goto out;
	}
	fclose(f);
	f = NULL;
	if (btf_f) {
		fclose(btf_f);
		btf_f = NULL;
	}
	if (!out_path || !strcmp(out_path, "-")) {
		fwrite(text, 1, len, stdout);
	} else {
		if (write_file(out_path, text, len))
			goto out;
		if (btf_text && write_file(btf_path, btf_text, btf_len))
			goto out;
		fprintf(stderr, "callfuzz selftest: wrote %s%s%s\n", out_path, btf_text ? " and " : "",
			btf_text ? btf_path : "");
	}
	rc = EXIT_OK;
out:
	if (f)
		fclose(f);
	if (btf_f)
		fclose(btf_f);
	free(text);
	free(btf_text);
	free(ir);
	cf_prog_free(&prog);
	return rc;
}

CLI_COMMAND(selftest, "selftest", "write a program (.s) as a kernel selftest (verifier_*.c shape)", cmd_selftest)

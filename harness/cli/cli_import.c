/* harness/cli/cli_import.c: `callfuzz import FILE.bpf.o`: a program of a
 * clang-built BPF object in the text format (harness/import/import.c), checked. */
#include "bpf/bpf.h"
#include "harness/cli/cli.h"
#include "harness/import/import.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void import_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz import FILE.bpf.o [--prog NAME] [-o OUT.s]\n\n"
		"Reads one program of a BPF object built by clang (-target bpf -g), resolves\n"
		"its subprogram calls with libbpf (no kernel needed), takes each function's\n"
		"argument count and linkage from the object's BTF, and prints the program in\n"
		"the text format (docs/asm.md). The result goes through the checker: a program\n"
		"it rejects is still written, with the reason on stderr.\n\n"
		"options:\n"
		"  --prog NAME   the program (C function name) when the object holds several\n"
		"  -o OUT.s      write there instead of stdout\n"
		"  -h, --help    this help\n\n"
		"Exit codes: 0 imported and accepted by the checker, 1 imported but rejected,\n"
		"2 bad usage or an object that cannot be imported (the message says why).\n");
}

static int cmd_import(int argc, char **argv)
{
	const char *path = NULL, *prog_name = NULL, *out_path = NULL;
	struct cf_check_opts copts;
	struct cf_prog prog;
	struct cf_err err;
	char *text, *base_copy;
	FILE *out;
	int rc;

	if (cli_wants_help(argc, argv)) {
		import_usage(stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--prog") && i + 1 < argc) {
			prog_name = argv[++i];
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out_path = argv[++i];
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "callfuzz import: unknown option '%s'\n", argv[i]);
			import_usage(stderr);
			return EXIT_USAGE;
		} else if (path) {
			fprintf(stderr, "callfuzz import: one FILE only ('%s' and '%s')\n", path, argv[i]);
			return EXIT_USAGE;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		import_usage(stderr);
		return EXIT_USAGE;
	}
	if (import_bpf_object(path, prog_name, &prog, &err)) {
		fprintf(stderr, "callfuzz import: %s\n", err.msg);
		return EXIT_USAGE;
	}
	text = cf_asm_print(&prog);
	out = out_path ? fopen(out_path, "w") : stdout;
	if (!text || !out) {
		fprintf(stderr, "callfuzz import: cannot write %s\n", out_path ? out_path : "stdout");
		free(text);
		cf_prog_free(&prog);
		return EXIT_USAGE;
	}
	/* The basename keeps the output the same wherever the build put the object. */
	base_copy = strdup(path);
	fprintf(out, "; imported by `callfuzz import` from %s (program %s)\n", base_copy ? basename(base_copy) : path,
		prog.funcs[0].name);
	fputs(text, out);
	free(base_copy);
	free(text);
	if (out != stdout && fclose(out)) {
		fprintf(stderr, "callfuzz import: cannot write %s\n", out_path);
		cf_prog_free(&prog);
		return EXIT_USAGE;
	}
	cf_check_opts_default(&copts);
	rc = EXIT_OK;
	if (cf_check(&prog, &copts, &err)) {
		fprintf(stderr, "callfuzz import: the checker rejects the program: %s\n", err.msg);
		rc = EXIT_REJECT;
	}
	cf_prog_free(&prog);
	return rc;
}

CLI_COMMAND(import, "import", "a program of a clang-built BPF object (.bpf.o) in the text format", cmd_import)

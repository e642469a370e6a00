/* harness/cli/cli_jit.c: `callfuzz jit FILE.s [--no-lse]`: compile one program
 * with the model arm64 JIT (jit/jit.h) and print the code of each function,
 * disassembled by LLVM (llvm-mc-19) and annotated with the BPF instruction
 * each block comes from. */
#include "bpf/bpf.h"
#include "harness/cli/cli.h"
#include "jit/jit.h"
#include "harness/repro/repro.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JIT_LLVM_MC "llvm-mc-19"
/* Placeholder helper/kfunc addresses: the real ones are the executor's. */
#define JIT_PLACEHOLDER_BASE 0xffff000000001000ull
#define JIT_PLACEHOLDER_STEP 16

static void jit_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz jit [--no-lse] FILE.s\n\n"
		"Compiles the program in FILE.s (text format, docs/asm.md; '-' reads stdin)\n"
		"with the model arm64 JIT and prints each function's code, disassembled by\n"
		"LLVM (" JIT_LLVM_MC ", Debian package llvm-19) and annotated with the BPF\n"
		"instruction each block comes from. Helper and kfunc addresses are\n"
		"placeholders (0x%llx + 16 * call-table index); the executor supplies the\n"
		"real ones.\n\n"
		"options:\n"
		"  --no-lse     LL/SC loops (LDXR/STXR) for atomics instead of ARMv8.1 LSE\n"
		"  -h, --help   this help\n\n"
		"Exit codes: 0 compiled, 1 rejected by the JIT (JIT_REJECT), 2 bad usage or\n"
		"unreadable/unparsable input.\n",
		(unsigned long long)JIT_PLACEHOLDER_BASE);
}

/* The listing itself: report_jit_listing (harness/repro/report.c), shared with
 * the bucket reports. */

static int cmd_jit(int argc, char **argv)
{
	struct jit_opts opts;
	struct jit_image img;
	const char *path = NULL;
	struct cf_err err;
	struct cf_prog prog;

	if (cli_wants_help(argc, argv)) {
		jit_usage(stdout);
		return EXIT_OK;
	}
	memset(&opts, 0, sizeof(opts));
	opts.lse_atomics = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--no-lse")) {
			opts.lse_atomics = false;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "callfuzz jit: unknown option '%s'\n", a);
			jit_usage(stderr);
			return EXIT_USAGE;
		} else if (path) {
			fprintf(stderr, "callfuzz jit: one FILE only ('%s' and '%s')\n", path, a);
			return EXIT_USAGE;
		} else {
			path = a;
		}
	}
	if (!path) {
		jit_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_load_prog("jit", path, &prog))
		return EXIT_USAGE;
	for (int k = 0; k < cf_ncallees && k < 32; k++)
		opts.callee_addr[k] = JIT_PLACEHOLDER_BASE + (uint64_t)k * JIT_PLACEHOLDER_STEP;
	if (jit_compile(&prog, &opts, &img, &err)) {
		printf("rejected: %s\n", err.msg);
		cf_prog_free(&prog);
		return EXIT_REJECT;
	}

	printf("; callfuzz jit %s: %u arm64 instructions, %s atomics, entry at 0x%04x\n", path, img.ncode,
	       opts.lse_atomics ? "LSE" : "LL/SC", img.entry);
	printf("; helper/kfunc addresses are placeholders (0x%llx + 16 * index):",
	       (unsigned long long)JIT_PLACEHOLDER_BASE);
	for (int k = 0; k < cf_ncallees && k < 32; k++)
		printf(" %s=0x%llx", cf_callees[k].name, (unsigned long long)opts.callee_addr[k]);
	printf("\n");
	report_jit_listing(stdout, &prog, &img, NULL);
	jit_image_free(&img);
	cf_prog_free(&prog);
	return EXIT_OK;
}

CLI_COMMAND(jit, "jit", "compile a program with the model arm64 JIT and print the disassembly", cmd_jit)

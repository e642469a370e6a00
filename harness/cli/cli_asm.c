/* harness/cli/cli_asm.c: `callfuzz asm` (text -> canonical text or bytecode)
 * and `callfuzz disasm` (bytecode -> text), docs/asm.md. */
#include "harness/cli/cli.h"
#include "bpf/bpf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void asm_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz asm FILE.s [-o OUT.bin] [--raw]\n\n"
		"Assembles a program in the text format of docs/asm.md. Without -o, prints\n"
		"the program back in the canonical form (labels for every jump target,\n"
		"`.insn` for slots with no other spelling). With -o, writes the bytecode file\n"
		"(magic \"CFBPF1\", functions with name/start/nargs/linkage/stack, then the\n"
		"insns; layout in bpf/raw_file.c) that `callfuzz disasm` reads.\n\n"
		"options:\n"
		"  -o FILE   write bytecode to FILE ('-' is stdout)\n"
		"  --raw     write bare struct bpf_insn bytes (the kernel's flat program,\n"
		"            pseudo calls relative) instead of the CFBPF1 container\n\n"
		"FILE.s may be '-' (stdin). Exit codes: 0 ok, 2 bad usage, unreadable file or\n"
		"malformed program (the message names FILE:LINE).\n");
}

static void disasm_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz disasm FILE.bin\n\n"
		"Prints a bytecode file in the text format of docs/asm.md. FILE.bin is either\n"
		"what `callfuzz asm -o` writes, or bare struct bpf_insn bytes (a multiple of 8,\n"
		"e.g. `callfuzz asm --raw` or `bpftool prog dump xlated file`): functions are\n"
		"then split at pseudo-call targets, the entry is `main`, and each subprogram's\n"
		"argument count is inferred from the deepest incoming r11 load (5 + slot), else 5.\n\n"
		"FILE.bin may be '-' (stdin). Exit codes: 0 ok, 2 bad usage or unreadable or\n"
		"malformed input.\n");
}

static int write_bytes(const char *cmd, const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	bool ok;

	if (!f) {
		fprintf(stderr, "callfuzz %s: %s: %s\n", cmd, path, strerror(errno));
		return EXIT_USAGE;
	}
	ok = fwrite(buf, 1, len, f) == len;
	ok &= (f == stdout ? fflush(f) : fclose(f)) == 0;
	if (!ok) {
		fprintf(stderr, "callfuzz %s: %s: write failed: %s\n", cmd, path, strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* The kernel's encoding of each slot, little-endian. */
static uint8_t *bare_insns(const struct cf_raw *raw, size_t *len)
{
	uint8_t *buf = malloc((size_t)raw->ninsns * 8 + 1);

	if (!buf)
		return NULL;
	for (int k = 0; k < raw->ninsns; k++) {
		const struct bpf_insn *i = &raw->insns[k];
		uint8_t *p = buf + 8 * k;
		uint16_t off = (uint16_t)i->off;
		uint32_t imm = (uint32_t)i->imm;

		p[0] = i->code;
		p[1] = (uint8_t)(i->dst_reg | i->src_reg << 4);
		p[2] = (uint8_t)off;
		p[3] = (uint8_t)(off >> 8);
		for (int b = 0; b < 4; b++)
			p[4 + b] = (uint8_t)(imm >> (8 * b));
	}
	*len = (size_t)raw->ninsns * 8;
	return buf;
}

static int cmd_asm(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	bool raw_insns = false;
	char rerr[256];
	struct cf_err err;
	struct cf_prog prog;
	struct cf_raw raw;
	uint8_t *bytes = NULL;
	size_t len, nbytes = 0;
	char *text;
	int rc;

	if (cli_wants_help(argc, argv)) {
		asm_usage(stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--raw")) {
			raw_insns = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "callfuzz asm: unknown option '%s'\n", argv[i]);
			asm_usage(stderr);
			return EXIT_USAGE;
		} else if (!in) {
			in = argv[i];
		} else {
			fprintf(stderr, "callfuzz asm: one input file, got '%s' and '%s'\n", in, argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!in) {
		asm_usage(stderr);
		return EXIT_USAGE;
	}
	if (raw_insns && !out) {
		fprintf(stderr, "callfuzz asm: --raw writes bytes: give -o FILE\n");
		return EXIT_USAGE;
	}
	text = cf_read_file(in, &len, rerr, sizeof(rerr));
	if (!text) {
		fprintf(stderr, "callfuzz asm: %s\n", rerr);
		return EXIT_USAGE;
	}
	rc = cf_asm_parse(text, len, in, &prog, &err);
	free(text);
	if (rc) {
		fprintf(stderr, "callfuzz asm: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (!out) {
		char *printed = cf_asm_print(&prog);

		fputs(printed, stdout);
		free(printed);
		cf_prog_free(&prog);
		return EXIT_OK;
	}
	rc = cf_prog_to_raw(&prog, &raw, &err);
	cf_prog_free(&prog);
	if (rc) {
		fprintf(stderr, "callfuzz asm: %s: %s\n", in, err.msg);
		return EXIT_USAGE;
	}
	if (raw_insns)
		bytes = bare_insns(&raw, &nbytes);
	else if (cf_raw_encode(&raw, &bytes, &nbytes, &err))
		fprintf(stderr, "callfuzz asm: %s: %s\n", in, err.msg);
	cf_raw_free(&raw);
	if (!bytes) {
		if (raw_insns)
			fprintf(stderr, "callfuzz asm: out of memory\n");
		return EXIT_USAGE;
	}
	rc = write_bytes("asm", out, bytes, nbytes);
	free(bytes);
	return rc;
}

static int cmd_disasm(int argc, char **argv)
{
	const char *in = NULL;
	char rerr[256];
	struct cf_err err;
	struct cf_raw raw;
	struct cf_prog prog;
	size_t len;
	uint8_t *bytes;
	bool bare;
	char *printed;
	int rc;

	if (cli_wants_help(argc, argv)) {
		disasm_usage(stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "callfuzz disasm: unknown option '%s'\n", argv[i]);
			disasm_usage(stderr);
			return EXIT_USAGE;
		}
		if (in) {
			fprintf(stderr, "callfuzz disasm: one input file, got '%s' and '%s'\n", in, argv[i]);
			return EXIT_USAGE;
		}
		in = argv[i];
	}
	if (!in) {
		disasm_usage(stderr);
		return EXIT_USAGE;
	}
	bytes = (uint8_t *)cf_read_file(in, &len, rerr, sizeof(rerr));
	if (!bytes) {
		fprintf(stderr, "callfuzz disasm: %s\n", rerr);
		return EXIT_USAGE;
	}
	bare = !(len >= 6 && !memcmp(bytes, "CFBPF1", 6)) && len % 8 == 0 && len > 0;
	if (bare)
		rc = cf_raw_from_insns(bytes, len, &raw, &err);
	else
		rc = cf_raw_decode(bytes, len, &raw, &err);
	free(bytes);
	if (rc) {
		fprintf(stderr, "callfuzz disasm: %s: %s\n", in, err.msg);
		return EXIT_USAGE;
	}
	rc = cf_prog_from_raw(&prog, &raw, &err);
	cf_raw_free(&raw);
	if (rc) {
		fprintf(stderr, "callfuzz disasm: %s: %s\n", in, err.msg);
		return EXIT_USAGE;
	}
	/* The container does not say whether a stack size was declared: show
	 * `stack=` only where it differs from what the code derives. */
	for (int i = 0; i < prog.nfuncs; i++) {
		struct cf_func *f = &prog.funcs[i];
		int derived = cf_func_derived_stack(f);

		if (bare || f->stack_size == derived) {
			f->stack_size = derived;
			f->stack_declared = false;
		}
	}
	if (bare)
		printf("; %s: bare instructions: functions split at call targets; argument counts\n"
		       "; inferred from the deepest incoming r11 load (5 + slot), else 5\n",
		       in);
	printed = cf_asm_print(&prog);
	fputs(printed, stdout);
	free(printed);
	cf_prog_free(&prog);
	return EXIT_OK;
}

CLI_COMMAND(asm, "asm", "assemble a .s program (canonical text, or bytecode with -o)", cmd_asm)
CLI_COMMAND(disasm, "disasm", "print a bytecode file (ours or bare bpf_insn) as text", cmd_disasm)

/* harness/cli_jit.c: `callfuzz jit FILE.s [--no-lse]`: compile one program
 * with the model arm64 JIT (jit/jit.h) and print the code of each function,
 * disassembled by LLVM (llvm-mc-19) and annotated with the BPF instruction
 * each block comes from. */
#include "bpf/bpf.h"
#include "harness/cli.h"
#include "jit/jit.h"

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

/* "\tb.ne\t#-12 // x" -> "b.ne #-12" */
static void normalize_line(char *line)
{
	char *comment = strstr(line, "//");
	size_t o = 0;
	int space = 0;

	if (comment)
		*comment = 0;
	for (size_t k = 0; line[k]; k++) {
		if (isspace((unsigned char)line[k])) {
			space = o > 0;
			continue;
		}
		if (space)
			line[o++] = ' ';
		space = 0;
		line[o++] = line[k];
	}
	line[o] = 0;
}

/* Disassemble the whole image in one llvm-mc run. Each word is followed by
 * a marker word (brk #0x7777) so that a word LLVM cannot decode still
 * keeps the lines aligned. Returns n strings or NULL (llvm-mc missing). */
#define MARKER_WORD 0xd42eeee0u
#define MARKER_TEXT "brk #0x7777"

static char **disassemble(const uint32_t *words, uint32_t n)
{
	char in_path[] = "/tmp/callfuzz-jit-in-XXXXXX";
	char out_path[] = "/tmp/callfuzz-jit-out-XXXXXX";
	char cmd[256], line[512];
	char **lines = NULL;
	int fd_in, fd_out;
	FILE *in, *out;
	uint32_t cur = 0;

	if (system("command -v " JIT_LLVM_MC " >/dev/null 2>&1") != 0)
		return NULL;
	fd_in = mkstemp(in_path);
	fd_out = mkstemp(out_path);
	if (fd_in < 0 || fd_out < 0)
		goto fail;
	in = fdopen(fd_in, "w");
	for (uint32_t k = 0; k < n; k++) {
		uint32_t pair[2] = { words[k], MARKER_WORD };

		for (int w = 0; w < 2; w++)
			fprintf(in, "0x%02x 0x%02x 0x%02x 0x%02x\n", pair[w] & 0xff, (pair[w] >> 8) & 0xff,
				(pair[w] >> 16) & 0xff, pair[w] >> 24);
	}
	fclose(in);
	snprintf(cmd, sizeof(cmd), JIT_LLVM_MC " --disassemble -triple=aarch64 -mattr=+lse <%s >%s 2>/dev/null",
		 in_path, out_path);
	if (system(cmd) != 0)
		goto fail_files;
	out = fdopen(fd_out, "r");
	lines = calloc(n ? n : 1, sizeof(char *));
	while (lines && fgets(line, sizeof(line), out) && cur < n) {
		normalize_line(line);
		if (!line[0] || line[0] == '.')
			continue;
		if (!strcmp(line, MARKER_TEXT)) {
			if (!lines[cur])
				lines[cur] = strdup("<not an instruction>");
			cur++;
			continue;
		}
		free(lines[cur]);
		lines[cur] = strdup(line);
	}
	fclose(out);
	for (; lines && cur < n; cur++)
		if (!lines[cur])
			lines[cur] = strdup("<not an instruction>");
	unlink(in_path);
	unlink(out_path);
	return lines;
fail_files:
	close(fd_out);
fail:
	unlink(in_path);
	unlink(out_path);
	return NULL;
}

/* For a PC-relative branch ("bl #24", "b.ne #-12", "cbnz w12, #-12"),
 * the code offset it lands on, or -1. */
static long branch_target(const char *text, uint32_t at)
{
	const char *hash = strrchr(text, '#');

	if (!(text[0] == 'b' || !strncmp(text, "cbz", 3) || !strncmp(text, "cbnz", 4)) || !hash ||
	    strchr(text, '['))
		return -1;
	if (!strncmp(text, "br ", 3) || !strncmp(text, "blr ", 4))
		return -1;
	return (long)at + strtol(hash + 1, NULL, 0);
}

static void print_func(const struct cf_prog *p, const struct jit_image *img, int fi, char **dis)
{
	const struct jit_func *jf = &img->funcs[fi];
	const struct cf_func *f = &p->funcs[fi];
	int slot = -2;

	printf("\nfunc %s%s: %d arg%s, stack %d, code 0x%04x..0x%04x (%u instructions)\n", jf->name,
	       fi == 0 ? " (entry)" : "", f->nargs, f->nargs == 1 ? "" : "s", f->stack_size, jf->start, jf->end,
	       (jf->end - jf->start) / 4);
	for (uint32_t at = jf->start; at < jf->end; at += 4) {
		int where, s;
		long target;

		if (jit_locate(img, at, &where, &s) == 0 && s != slot) {
			/* a header for every slot that starts here, including
			 * slots that emit nothing (LD_IMM64 2nd half, le64) */
			for (int k = slot + 1; k <= s; k++) {
				char buf[256];

				if (k == -1) {
					printf("  ; prologue\n");
				} else if (k == jf->ninsns) {
					printf("  ; epilogue\n");
				} else if (k >= 0 && !(k > 0 && f->insns[k - 1].code == (BPF_LD | BPF_IMM | BPF_DW))) {
					cf_asm_print_insn(buf, sizeof(buf), p, fi, k);
					printf("  ; %d: %s%s\n", k, buf, k < s ? "   (no code)" : "");
				}
			}
			slot = s;
		}
		printf("  0x%04x: %08x  %s", at, img->code[at / 4], dis ? dis[at / 4] : "");
		target = dis ? branch_target(dis[at / 4], at) : -1;
		if (target >= 0) {
			int tf, ts;

			if (jit_locate(img, (uint32_t)target, &tf, &ts) == 0) {
				if (ts == -1)
					printf("   -> %s", img->funcs[tf].name);
				else if (ts == img->funcs[tf].ninsns)
					printf("   -> %s epilogue", img->funcs[tf].name);
				else
					printf("   -> %s insn %d", img->funcs[tf].name, ts);
			}
		}
		printf("\n");
	}
	/* a final exit emits nothing: it falls into the epilogue */
}

static int cmd_jit(int argc, char **argv)
{
	struct jit_opts opts;
	struct jit_image img;
	const char *path = NULL;
	char rerr[256];
	struct cf_err err;
	struct cf_prog prog;
	char **dis;
	size_t len;
	char *text;

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
	text = cli_read_file(path, &len, rerr, sizeof(rerr));
	if (!text) {
		fprintf(stderr, "callfuzz jit: %s\n", rerr);
		return EXIT_USAGE;
	}
	if (cf_asm_parse(text, len, path, &prog, &err)) {
		fprintf(stderr, "callfuzz jit: %s\n", err.msg);
		free(text);
		return EXIT_USAGE;
	}
	free(text);
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
	dis = disassemble(img.code, img.ncode);
	if (!dis)
		printf("; " JIT_LLVM_MC " not found: no disassembly (install Debian package llvm-19)\n");
	for (int fi = 0; fi < img.nfuncs; fi++)
		print_func(&prog, &img, fi, dis);
	if (dis)
		for (uint32_t k = 0; k < img.ncode; k++)
			free(dis[k]);
	free(dis);
	jit_image_free(&img);
	cf_prog_free(&prog);
	return EXIT_OK;
}

CLI_COMMAND(jit, "jit", "compile a program with the model arm64 JIT and print the disassembly", cmd_jit)

/* harness/cli/cli_cover.c: `callfuzz cover CORPUS...`: which lines of the
 * real JIT (arch/ARCH/net/bpf_jit_comp.c) and of the verifier a corpus
 * reaches, on a KCOV kernel (harness/target/kernel-tree.sh --kcov), from
 * the PCs of each program's load and test run (harness/cover/cover.h). */
#define _GNU_SOURCE
#include "fuzz/loop/loop.h"
#include "harness/cli/cli.h"
#include "harness/cover/cover.h"
#include "harness/target/target.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void cover_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz cover --kernel IMAGE [--arch ARCH] [--vmlinux FILE] [--pcs FILE]...\n"
		"                      [--save-pcs FILE] [--file SUFFIX]... [--listing] [--src DIR]\n"
		"                      [--summary] [--accel A] [CORPUS...]\n\n"
		"Runs each program of CORPUS (files or directories: .s programs, any other\n"
		"file a libFuzzer input of fuzz-diff, generated with the kernel profile)\n"
		"on a KCOV kernel (harness/target/kernel-tree.sh --kcov), collects the\n"
		"kernel PCs of its load (verifier, JIT) and test run, and maps them to\n"
		"lines with the image's vmlinux (objdump for the __sanitizer_cov_trace_pc\n"
		"call sites, one addr2line for all). Reports, for the arch's JIT\n"
		"(arch/arm64/net/bpf_jit_comp.c or arch/x86/net/bpf_jit_comp.c), lines\n"
		"reached / instrumented overall and per function, and a summary line for\n"
		"kernel/bpf/verifier.c and kernel/bpf/core.c.\n\n"
		"options:\n"
		"  --kernel IMAGE   the KCOV kernel (OUT/arch/ARCH/boot/Image of a kernel-tree\n"
		"                   build; its vmlinux is OUT/vmlinux)\n"
		"  --arch ARCH      arm64 or x86_64 (default: the image's own)\n"
		"  --vmlinux FILE   the image's vmlinux (default: beside the image's arch/)\n"
		"  --pcs FILE       PCs (hex, one a line) to count as reached too; with no\n"
		"                   CORPUS nothing runs (fuzz/run's kernel coverage)\n"
		"  --save-pcs FILE  write the distinct PCs reached\n"
		"  --file SUFFIX    report this source file (repeatable) instead of the JIT\n"
		"  --listing        the source of every function never reached, its\n"
		"                   instrumented lines marked '-'\n"
		"  --src DIR        the kernel tree, when the line table's paths are gone\n"
		"  --summary        one line: PCs, JIT lines reached/instrumented\n"
		"  --accel A        auto, kvm or tcg ($CALLFUZZ_ACCEL)\n\n"
		"Exit codes: 0 report printed, 2 bad usage, no KCOV in the kernel, no vmlinux.\n");
}

#define COVER_BATCH 16

struct corpus {
	char **path;
	int n, cap;
};

static int corpus_add(struct corpus *c, const char *path)
{
	if (c->n == c->cap) {
		int cap = c->cap ? 2 * c->cap : 256;
		char **n = realloc(c->path, (size_t)cap * sizeof(*n));

		if (!n)
			return -1;
		c->path = n;
		c->cap = cap;
	}
	c->path[c->n] = strdup(path);
	return c->path[c->n] ? (c->n++, 0) : -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or the regular files of a directory (not recursive), sorted. */
static int corpus_collect(struct corpus *c, const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int first = c->n;

	if (stat(path, &st)) {
		fprintf(stderr, "callfuzz cover: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return corpus_add(c, path);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "callfuzz cover: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char p[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && corpus_add(c, p) < 0)
			break;
	}
	closedir(d);
	qsort(c->path + first, (size_t)(c->n - first), sizeof(*c->path), cmp_str);
	return 0;
}

static bool is_asm(const char *path)
{
	size_t n = strlen(path);

	return n > 2 && !strcmp(path + n - 2, ".s");
}

static long traces_lost;

static void add_case_pcs(struct cover_pcs *pcs, const struct target_case *c)
{
	traces_lost += c->kcov_lost != 0;
	if (c->nkcov_pcs)
		cover_pcs_add(pcs, c->kcov_pcs, c->nkcov_pcs);
}

/* .s files through the target, RUN_BATCH at a time. Returns programs run. */
static long run_asm(struct target *t, struct corpus *c, struct cover_pcs *pcs)
{
	struct target_case cases[COVER_BATCH];
	struct cf_prog progs[COVER_BATCH];
	long done = 0;
	int k = 0;
	struct cf_err err;

	for (int i = 0; i <= c->n; i++) {
		if (i < c->n) {
			char rerr[256];
			size_t len;
			char *text;

			if (!is_asm(c->path[i]))
				continue;
			text = cf_read_file(c->path[i], &len, rerr, sizeof(rerr));
			if (!text) {
				fprintf(stderr, "callfuzz cover: %s\n", rerr);
				continue;
			}
			cf_prog_init(&progs[k]);
			if (cf_asm_parse(text, len, c->path[i], &progs[k], &err)) {
				fprintf(stderr, "callfuzz cover: %s (skipped)\n", err.msg);
				cf_prog_free(&progs[k]);
				free(text);
				continue;
			}
			cf_prog_derive_stack(&progs[k]);
			memset(&cases[k], 0, sizeof(cases[k]));
			cli_ctx_from_header(text, cases[k].ctx_in);
			free(text);
			cases[k].prog = &progs[k];
			k++;
		}
		if (k == COVER_BATCH || (i == c->n && k)) {
			if (target_run(t, cases, k, &err) < 0)
				fprintf(stderr, "callfuzz cover: %s\n", err.msg);
			for (int j = 0; j < k; j++) {
				add_case_pcs(pcs, &cases[j]);
				target_case_release(&cases[j]);
				cf_prog_free(&progs[j]);
			}
			done += k;
			k = 0;
		}
	}
	return done;
}

/* libFuzzer inputs through the fuzz loop (the program fuzz-diff made of
 * them, the same ctx), without artifacts. Returns inputs run. */
static long run_inputs(struct loop *l, struct corpus *c, struct cover_pcs *pcs)
{
	const uint8_t *data[COVER_BATCH];
	size_t len[COVER_BATCH];
	static struct loop_outcome out[COVER_BATCH];
	char *bufs[COVER_BATCH];
	long done = 0;
	int k = 0;

	for (int i = 0; i <= c->n; i++) {
		if (i < c->n) {
			char rerr[256];

			if (is_asm(c->path[i]))
				continue;
			bufs[k] = cf_read_file(c->path[i], &len[k], rerr, sizeof(rerr));
			if (!bufs[k]) {
				fprintf(stderr, "callfuzz cover: %s\n", rerr);
				continue;
			}
			data[k] = (const uint8_t *)bufs[k];
			k++;
		}
		if (k == COVER_BATCH || (i == c->n && k)) {
			const uint32_t *hits;
			size_t n;
			const uint64_t *p;

			loop_run_batch(l, data, len, k, out);
			p = loop_kcov_pcs(l, &hits, &n);
			if (p && n)
				cover_pcs_add(pcs, p, n);
			for (int j = 0; j < k; j++)
				free(bufs[j]);
			done += k;
			k = 0;
		}
	}
	return done;
}

static int cmd_cover(int argc, char **argv)
{
	struct cli_target a;
	struct corpus corpus = { 0 };
	struct cover_pcs pcs = { 0 };
	struct cover_sites sites = { 0 };
	const char *vmlinux = NULL, *save = NULL, *src = NULL, *files[16];
	const char *pcs_files[64];
	int nfiles = 0, npcs_files = 0, rc = EXIT_OK;
	bool listing = false, summary = false;
	char vbuf[4096], arch[16] = "";
	struct cf_err err;
	long nasm = 0, ninputs = 0;
	struct target *t = NULL;
	struct loop *l = NULL;

	if (cli_wants_help(argc, argv)) {
		cover_usage(stdout);
		return EXIT_OK;
	}
	cli_target_init(&a);
	a.to.kind = TARGET_VM;
	a.to.kcov = true;
	for (int i = 1; i < argc; i++) {
		int r = cli_target_option(&a, argc, argv, &i, "cover");

		if (r < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
		if (r)
			continue;
		if (!strcmp(argv[i], "--vmlinux") && i + 1 < argc) {
			vmlinux = argv[++i];
		} else if (!strcmp(argv[i], "--pcs") && i + 1 < argc && npcs_files < 64) {
			pcs_files[npcs_files++] = argv[++i];
		} else if (!strcmp(argv[i], "--save-pcs") && i + 1 < argc) {
			save = argv[++i];
		} else if (!strcmp(argv[i], "--file") && i + 1 < argc && nfiles < 16) {
			files[nfiles++] = argv[++i];
		} else if (!strcmp(argv[i], "--src") && i + 1 < argc) {
			src = argv[++i];
		} else if (!strcmp(argv[i], "--listing")) {
			listing = true;
		} else if (!strcmp(argv[i], "--summary")) {
			summary = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cover_usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		} else if (corpus_collect(&corpus, argv[i]) < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!corpus.n && !npcs_files) {
		cover_usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_target_prepare(&a, "cover");
	if (rc != EXIT_OK)
		goto out;
	for (int i = 0; i < npcs_files; i++)
		if (cover_pcs_read(&pcs, pcs_files[i], &err) < 0) {
			fprintf(stderr, "callfuzz cover: %s\n", err.msg);
			rc = EXIT_USAGE;
			goto out;
		}
	if (a.to.arch)
		snprintf(arch, sizeof(arch), "%s", a.to.arch);
	if (corpus.n) {
		bool any_asm = false, any_input = false;
		struct target_id id;
		char desc[900];

		for (int i = 0; i < corpus.n; i++) {
			any_asm |= is_asm(corpus.path[i]);
			any_input |= !is_asm(corpus.path[i]);
		}
		if (any_asm) {
			t = target_open(&a.to, &err);
			if (!t) {
				fprintf(stderr, "callfuzz cover: %s\n", err.msg);
				rc = EXIT_USAGE;
				goto out;
			}
			if (!target_kcov(t)) {
				fprintf(stderr, "callfuzz cover: the kernel %s has no KCOV (build one with "
						"harness/target/kernel-tree.sh --kcov)\n", a.to.kernel ? a.to.kernel : "");
				rc = EXIT_USAGE;
				goto out;
			}
			target_describe(t, desc, sizeof(desc));
			fprintf(stderr, "callfuzz cover: %s\n", desc);
			target_get_id(t, &id);
			snprintf(arch, sizeof(arch), "%s", id.arch);
			nasm = run_asm(t, &corpus, &pcs);
			target_close(t);
			t = NULL;
		}
		if (any_input) {
			struct loop_opts lo;

			loop_opts_default(&lo);
			lo.target = a.to;
			lo.artifacts_dir = NULL;
			l = loop_start(&lo, &err);
			if (!l) {
				fprintf(stderr, "callfuzz cover: %s\n", err.msg);
				rc = EXIT_USAGE;
				goto out;
			}
			if (!target_kcov(loop_target(l))) {
				fprintf(stderr, "callfuzz cover: the kernel has no KCOV (build one with "
						"harness/target/kernel-tree.sh --kcov)\n");
				rc = EXIT_USAGE;
				goto out;
			}
			target_get_id(loop_target(l), &id);
			snprintf(arch, sizeof(arch), "%s", id.arch);
			ninputs = run_inputs(l, &corpus, &pcs);
			loop_stop(l);
			l = NULL;
		}
	}
	if (!arch[0]) {
		enum vm_arch va;

		snprintf(arch, sizeof(arch), "arm64");
		if (a.to.kernel && vm_image_arch(a.to.kernel, &va, &err) == 0)
			snprintf(arch, sizeof(arch), "%s", vm_arch_name(va));
	}
	cover_pcs_sort(&pcs);
	if (save) {
		FILE *f = fopen(save, "w");

		if (!f || cover_pcs_write(&pcs, f) < 0) {
			fprintf(stderr, "callfuzz cover: %s: %s\n", save, strerror(errno));
			if (f)
				fclose(f);
			rc = EXIT_USAGE;
			goto out;
		}
		fclose(f);
	}
	if (!vmlinux)
		vmlinux = cover_vmlinux_of(a.to.kernel, vbuf, sizeof(vbuf));
	if (!vmlinux) {
		fprintf(stderr, "callfuzz cover: no vmlinux beside %s: give --vmlinux\n",
			a.to.kernel ? a.to.kernel : "the image");
		rc = EXIT_USAGE;
		goto out;
	}
	if (cover_sites_load(vmlinux, arch, &sites, &err) < 0) {
		fprintf(stderr, "callfuzz cover: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!nfiles)
		files[nfiles++] = cover_jit_file(arch);
	if (summary) {
		struct cover_file_stats st;

		cover_file_stats(&sites, &pcs, files[0], &st);
		printf("%zu PCs; %s %d/%d lines\n", pcs.n, files[0], st.lines_reached, st.lines);
		goto out;
	}
	{
		size_t known = 0;

		for (size_t i = 0; i < pcs.n; i++)
			known += cover_site_find(&sites, pcs.pc[i]) != NULL;
		printf("cover: %ld .s programs, %ld libFuzzer inputs; %zu distinct kernel PCs (%zu of the %zu "
		       "call sites of %s)\n\n",
		       nasm, ninputs, pcs.n, known, sites.n, vmlinux);
		if (traces_lost)
			printf("cover: the KCOV trace of %ld .s programs overflowed the agent's buffer: their "
			       "late PCs (the JIT after the verifier) are missing\n\n",
			       traces_lost);
		/* a site that tail-calls __sanitizer_cov_trace_pc (x86-64 gcc:
		 * jmp) records its caller's return address */
		if (known < pcs.n)
			printf("cover: %zu PCs are no call site of this vmlinux (tail calls of "
			       "__sanitizer_cov_trace_pc record their caller's return address; many: another "
			       "build's PCs?)\n\n",
			       pcs.n - known);
	}
	for (int i = 0; i < nfiles; i++) {
		cover_report_file(stdout, &sites, &pcs, files[i], true, listing, src);
		printf("\n");
	}
	{
		static const char *const others[] = { "kernel/bpf/verifier.c", "kernel/bpf/core.c",
						       "kernel/bpf/syscall.c" };

		for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
			cover_report_file(stdout, &sites, &pcs, others[i], false, false, src);
	}
out:
	loop_stop(l);
	target_close(t);
	cover_sites_free(&sites);
	cover_pcs_free(&pcs);
	for (int i = 0; i < corpus.n; i++)
		free(corpus.path[i]);
	free(corpus.path);
	return rc;
}

CLI_COMMAND(cover, "cover", "kernel coverage of a corpus on a KCOV kernel: lines of the real JIT reached", cmd_cover);

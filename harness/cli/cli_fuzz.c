/* harness/cli/cli_fuzz.c: `callfuzz fuzz-seeds`: the starting corpus of
 * fuzz-diff (seeds/corpus/), made by a deterministic search over generator
 * inputs: for every argument count N = 0..12, inputs whose program calls a
 * BPF function of N arguments, and a few whose call chain is deep or whose
 * stack reaches the 512-byte chain limit. The same binary always writes the
 * same files (the search uses a fixed xorshift sequence); they depend on
 * the generator, so regenerate them after a change to gen/. */
#include "harness/cli/cli.h"
#include "fuzz/loop/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void seeds_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz fuzz-seeds [--out DIR] [--per-count K] [--tries N]\n\n"
		"Writes generator inputs for fuzz-diff's starting corpus: for each argument\n"
		"count N = 0..12, K inputs (default 2) whose program calls a function of N\n"
		"arguments (nargs-NN-K), and K whose call chain has the most frames\n"
		"(deep-K). DIR defaults to seeds/corpus. Deterministic.\n");
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Deepest chain of BPF-to-BPF calls from function fi, in frames. */
static int chain_depth(const struct cf_prog *p, int fi, int level)
{
	const struct cf_func *f = &p->funcs[fi];
	int best = 1;

	if (level > CF_MAX_FRAMES)
		return level;
	for (int i = 0; i < f->ninsns; i++) {
		const struct bpf_insn *in = &f->insns[i];

		if (cf_insn_is_pseudo_call(in) && in->imm >= 0 && in->imm < p->nfuncs) {
			int d = 1 + chain_depth(p, in->imm, level + 1);

			if (d > best)
				best = d;
		}
	}
	return best;
}

/* Bit N set when some call site calls a function of N arguments. */
static uint32_t called_nargs(const struct cf_prog *p)
{
	uint32_t mask = 0;

	for (int f = 0; f < p->nfuncs; f++)
		for (int i = 0; i < p->funcs[f].ninsns; i++) {
			const struct bpf_insn *in = &p->funcs[f].insns[i];

			if (cf_insn_is_pseudo_call(in) && in->imm >= 0 && in->imm < p->nfuncs)
				mask |= 1u << p->funcs[in->imm].nargs;
		}
	return mask;
}

static int write_seed(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "callfuzz fuzz-seeds: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_fuzz_seeds(int argc, char **argv)
{
	const char *out = "seeds/corpus";
	int per = 2;
	long tries = 200000;
	int found[CF_MAX_ARGS + 1] = { 0 }, deep = 0;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	struct cf_check_opts copts;
	struct gen_opts gopts;

	if (cli_wants_help(argc, argv)) {
		seeds_usage(stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--per-count") && i + 1 < argc)
			per = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--tries") && i + 1 < argc)
			tries = atol(argv[++i]);
		else {
			seeds_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (per < 1 || tries < 1) {
		seeds_usage(stderr);
		return EXIT_USAGE;
	}
	if (mkdir(out, 0777) && errno != EEXIST) {
		fprintf(stderr, "callfuzz fuzz-seeds: %s: %s\n", out, strerror(errno));
		return EXIT_USAGE;
	}
	gen_opts_default(&gopts);
	cf_check_opts_default(&copts);

	for (long t = 0; t < tries; t++) {
		uint8_t buf[1024];
		/* Lengths 32..1023: short inputs give small programs, which keep
		 * the corpus fast; long ones fill the call DAG. */
		size_t len = 32 + xorshift64(&rng) % (sizeof(buf) - 32);
		struct cf_prog prog;
		struct cf_err err;
		uint32_t mask;
		char name[64];
		bool done = deep >= per;

		for (int n = 0; n <= CF_MAX_ARGS; n++)
			done &= found[n] >= per;
		if (done)
			break;
		for (size_t i = 0; i < len; i += 8) {
			uint64_t r = xorshift64(&rng);

			memcpy(buf + i, &r, len - i < 8 ? len - i : 8);
		}
		if (gen_program(buf, len, &gopts, &prog, &err))
			continue;
		if (cf_check(&prog, &copts, &err)) {
			cf_prog_free(&prog);
			continue;
		}
		mask = called_nargs(&prog);
		for (int n = 0; n <= CF_MAX_ARGS; n++) {
			if (!(mask & 1u << n) || found[n] >= per)
				continue;
			snprintf(name, sizeof(name), "nargs-%02d-%d", n, found[n]++);
			if (write_seed(out, name, buf, len)) {
				cf_prog_free(&prog);
				return EXIT_USAGE;
			}
			break; /* one file per input */
		}
		if (deep < per && chain_depth(&prog, 0, 1) >= gopts.max_frames - 1) {
			snprintf(name, sizeof(name), "deep-%d", deep++);
			if (write_seed(out, name, buf, len)) {
				cf_prog_free(&prog);
				return EXIT_USAGE;
			}
		}
		cf_prog_free(&prog);
	}
	for (int n = 0; n <= CF_MAX_ARGS; n++)
		if (found[n] < per)
			printf("callfuzz fuzz-seeds: only %d input(s) calling a %d-argument function\n", found[n], n);
	if (deep < per)
		printf("callfuzz fuzz-seeds: only %d input(s) with a call chain of %d frames\n", deep,
		       gopts.max_frames - 1);
	printf("callfuzz fuzz-seeds: wrote %s/\n", out);
	return EXIT_OK;
}

CLI_COMMAND(fuzz_seeds, "fuzz-seeds", "write fuzz-diff's starting corpus (seeds/corpus/)", cmd_fuzz_seeds);

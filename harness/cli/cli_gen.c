/* harness/cli/cli_gen.c: `callfuzz gen`: programs from the structured
 * generator (gen/gen.h), in text, as files, or as a distribution. */
#include "harness/cli/cli.h"
#include "gen/gen.h"
#include "interp/interp.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void gen_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz gen --seed N [--count K] [--stats] [--profile model|kernel|vm] [--maps] [--raw-tp]\n"
		"                    [--no-kfuncs]\n"
		"                    [--max-args N] [--max-funcs N] [--max-insns N] [--len N] [-o DIR]\n"
		"                    [--verify]\n"
		"       callfuzz gen --input FILE [options]\n\n"
		"Builds programs with the structured generator: the bytes a fuzzer would give\n"
		"come from splitmix64 seeded with N (+ the program's index), their length drawn\n"
		"log-uniformly in 0..8191 (or fixed with --len). Prints the programs in text\n"
		"(docs/asm.md), or writes DIR/gen-S.s (S = seed + index) with -o, or with --stats\n"
		"prints the distribution over the K programs (argument counts, call depth, stack,\n"
		"instruction classes, stack-argument slots, pointer arguments).\n"
		"--input reads the generator's bytes from FILE (a fuzzer's input).\n"
		"--verify runs each program through the checker and the interpreter instead,\n"
		"prints any program that fails (a generator bug) and a summary with the time\n"
		"per program of each step; exit 1 if one failed.\n\n"
		"options:\n"
		"  --seed N          first seed (default 1)\n"
		"  --count K         number of programs (default 1)\n"
		"  --profile P       model (helpers, kfuncs; default), kernel (none: ctx and r0),\n"
		"                    or vm (kernel + 7.2's helpers, string helpers on a read-only\n"
		"                    map, the number iterator's kfuncs, may_goto, 16 frames, 12\n"
		"                    args: what the vm target generates; docs/kernel-paths.md)\n"
		"  --no-kfuncs       with vm: no kfuncs (a kernel without BTF, tinyconfig's)\n"
		"  --maps            kernel profile: maps and the map helpers (vm implies it)\n"
		"  --raw-tp          with --maps, a third RAW_TRACEPOINT programs (vm implies it)\n"
		"  --max-args N      0..12 (default 12; 5 with --profile kernel)\n"
		"  --max-funcs N     1..%d functions, main included (default 10)\n"
		"  --max-insns N     soft cap on slots per program (default 400)\n"
		"  --len N           byte length instead of a drawn one\n",
		GEN_MAX_FUNCS);
}

struct verify_tally {
	enum gen_profile profile;
	int max_args, max_frames;
	bool maps, raw_tp, kernel_paths, kfuncs;
	long programs, accepted, ran_ok, timeouts, faults, shown;
	uint64_t gen_ns, check_ns, interp_ns, insns_executed;
	long tail_runs, tail_calls; /* runs with a taken tail call, taken tail calls */
	struct interp_result res;
};

/* A generated program the checker rejects or the interpreter cannot run is
 * a generator bug (design.md "The oracle"): show it, loudly. */
static void verify_one(struct verify_tally *vt, const struct cf_prog *p, long seed, size_t len)
{
	struct cf_check_opts co;
	struct cf_err err;
	uint8_t ctx[CF_CTX_SIZE];
	uint64_t t0 = cli_now_ns();
	const char *why = NULL;

	cf_check_opts_default(&co);
	co.max_args = vt->max_args;
	co.model_callees = vt->profile == GEN_PROFILE_MODEL;
	co.maps = vt->maps;
	co.raw_tp = vt->raw_tp;
	co.max_frames = vt->max_frames;
	co.kernel_paths = vt->kernel_paths;
	co.kfuncs = vt->kfuncs;
	int rc = cf_check(p, &co, &err);

	vt->check_ns += cli_now_ns() - t0;
	if (rc) {
		why = err.msg;
	} else {
		vt->accepted++;
		for (int i = 0; i < CF_CTX_SIZE; i++)
			ctx[i] = (uint8_t)(i * 37 + seed);
		t0 = cli_now_ns();
		interp_run(p, NULL, NULL, ctx, &vt->res);
		vt->interp_ns += cli_now_ns() - t0;
		vt->insns_executed += vt->res.insns_executed;
		vt->tail_runs += vt->res.tail_calls > 0;
		vt->tail_calls += vt->res.tail_calls;
		if (vt->res.status == INTERP_OK)
			vt->ran_ok++;
		else
			why = vt->res.fault[0] ? vt->res.fault : "interpreter timeout";
		vt->timeouts += vt->res.status == INTERP_TIMEOUT;
		vt->faults += vt->res.status == INTERP_FAULT;
	}
	if (why && vt->shown++ < 3) {
		char *text = cf_asm_print(p);

		printf("; callfuzz gen --seed %ld (%zu bytes): %s: %s\n%s\n", seed, len,
		       rc ? "rejected by cf_check" : "interpreter", why, text ? text : "");
		free(text);
	}
}

static int cmd_gen(int argc, char **argv)
{
	struct gen_opts go;
	long seed = 1, count = 1, max_args = -1, fixed_len = -1, v;
	const char *outdir = NULL, *input = NULL;
	bool stats = false, verify = false, no_kfuncs = false;
	struct gen_stats st;
	struct verify_tally vt;
	uint8_t *buf = NULL;
	int rc = EXIT_OK;

	if (cli_wants_help(argc, argv)) {
		gen_usage(stdout);
		return EXIT_OK;
	}
	gen_opts_default(&go);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--stats") || !strcmp(a, "--verify")) {
			stats |= !strcmp(a, "--stats");
			verify |= !strcmp(a, "--verify");
			continue;
		}
		if (!strcmp(a, "--maps")) {
			go.maps = true;
			continue;
		}
		if (!strcmp(a, "--raw-tp")) {
			go.maps = go.raw_tp = true;
			continue;
		}
		if (!strcmp(a, "--no-kfuncs")) {
			no_kfuncs = true;
			go.kfuncs = false;
			continue;
		}
		if (!val) {
			fprintf(stderr, "callfuzz gen: %s: unknown option or missing value\n", a);
			gen_usage(stderr);
			return EXIT_USAGE;
		}
		i++;
		if (!strcmp(a, "--seed") && cli_parse_long(val, 0, LONG_MAX, &v)) {
			seed = v;
		} else if (!strcmp(a, "--count") && cli_parse_long(val, 1, 100000000, &v)) {
			count = v;
		} else if (!strcmp(a, "--max-args") && cli_parse_long(val, 0, CF_MAX_ARGS, &v)) {
			max_args = v;
		} else if (!strcmp(a, "--max-funcs") && cli_parse_long(val, 1, GEN_MAX_FUNCS, &v)) {
			go.max_funcs = (int)v;
		} else if (!strcmp(a, "--max-insns") && cli_parse_long(val, 16, CF_MAX_INSNS / 4, &v)) {
			go.max_insns = (int)v;
		} else if (!strcmp(a, "--len") && cli_parse_long(val, 0, GEN_SEED_MAX_LEN, &v)) {
			fixed_len = v;
		} else if (!strcmp(a, "--profile") &&
			   (!strcmp(val, "model") || !strcmp(val, "kernel") || !strcmp(val, "vm"))) {
			go.profile = strcmp(val, "model") ? GEN_PROFILE_KERNEL : GEN_PROFILE_MODEL;
			if (!strcmp(val, "vm")) {
				/* what the vm target generates for a 7.2 kernel */
				go.kernel_paths = true;
				go.kfuncs = !no_kfuncs;
				go.maps = go.raw_tp = true;
				go.max_frames = CF_MAX_FRAMES;
				go.max_funcs = GEN_VM_MAX_FUNCS;
				if (max_args < 0)
					max_args = CF_MAX_ARGS;
			}
		} else if (!strcmp(a, "-o")) {
			outdir = val;
		} else if (!strcmp(a, "--input")) {
			input = val;
		} else {
			fprintf(stderr, "callfuzz gen: %s %s: unknown option or value out of range\n", a, val);
			gen_usage(stderr);
			return EXIT_USAGE;
		}
	}
	go.max_args = max_args >= 0 ? (int)max_args : go.profile == GEN_PROFILE_KERNEL ? CF_MAX_REG_ARGS : CF_MAX_ARGS;
	if (outdir && mkdir(outdir, 0777) && errno != EEXIST) {
		fprintf(stderr, "callfuzz gen: %s: %s\n", outdir, strerror(errno));
		return EXIT_USAGE;
	}
	memset(&st, 0, sizeof(st));
	memset(&vt, 0, sizeof(vt));
	vt.profile = go.profile;
	vt.max_args = go.max_args;
	vt.maps = go.maps;
	vt.raw_tp = go.raw_tp;
	vt.max_frames = go.max_frames;
	vt.kernel_paths = go.kernel_paths;
	vt.kfuncs = go.kfuncs;
	if (input) {
		char err[256];
		size_t len;

		buf = (uint8_t *)cf_read_file(input, &len, err, sizeof(err));
		if (!buf) {
			fprintf(stderr, "callfuzz gen: %s\n", err);
			return EXIT_USAGE;
		}
		fixed_len = (long)len;
		count = 1;
	} else {
		buf = malloc(GEN_SEED_MAX_LEN);
		if (!buf) {
			fprintf(stderr, "callfuzz gen: out of memory\n");
			return EXIT_USAGE;
		}
	}
	for (long i = 0; i < count && rc == EXIT_OK; i++) {
		size_t len = input ? (size_t)fixed_len
				   : gen_bytes_from_seed((uint64_t)(seed + i), fixed_len, buf, GEN_SEED_MAX_LEN);
		struct cf_prog p;
		struct cf_err err;
		char *text;
		uint64_t t0 = cli_now_ns();

		if (gen_program(buf, len, &go, &p, &err)) {
			fprintf(stderr, "callfuzz gen: %s\n", err.msg);
			rc = EXIT_USAGE;
			break;
		}
		vt.gen_ns += cli_now_ns() - t0;
		vt.programs++;
		if (verify) {
			verify_one(&vt, &p, seed + i, len);
			if (stats)
				gen_stats_add(&st, &p);
			cf_prog_free(&p);
			continue;
		}
		if (stats) {
			gen_stats_add(&st, &p);
			cf_prog_free(&p);
			continue;
		}
		text = cf_asm_print(&p);
		cf_prog_free(&p);
		if (!text) {
			fprintf(stderr, "callfuzz gen: printing program %ld failed\n", i);
			rc = EXIT_USAGE;
			break;
		}
		if (outdir) {
			char path[4096];
			FILE *f;

			snprintf(path, sizeof(path), "%s/gen-%ld.s", outdir, seed + i);
			f = fopen(path, "w");
			if (!f || fprintf(f, "; callfuzz gen --seed %ld (%zu bytes)\n%s", seed + i, len, text) < 0 ||
			    fclose(f)) {
				fprintf(stderr, "callfuzz gen: %s: %s\n", path, strerror(errno));
				rc = EXIT_USAGE;
			}
		} else {
			if (input)
				printf("; callfuzz gen --input %s (%zu bytes)\n%s", input, len, text);
			else
				printf("; callfuzz gen --seed %ld (%zu bytes)\n%s", seed + i, len, text);
			if (i + 1 < count)
				printf("\n");
		}
		free(text);
	}
	if (stats && rc == EXIT_OK)
		gen_stats_print(stdout, &st);
	if ((stats || verify) && vt.programs)
		printf("generation                   %.2f us/program\n", vt.gen_ns / 1e3 / vt.programs);
	if (verify && rc == EXIT_OK) {
		printf("verified                     %ld programs: %ld accepted by cf_check, %ld ran to exit "
		       "(%.2f%%); %ld timeouts, %ld faults\n",
		       vt.programs, vt.accepted, vt.ran_ok, 100.0 * vt.ran_ok / vt.programs, vt.timeouts, vt.faults);
		printf("checker                      %.2f us/program\n", vt.check_ns / 1e3 / vt.programs);
		printf("interpreter                  %.2f us/program (%.0f insns executed on average)\n",
		       vt.interp_ns / 1e3 / (vt.accepted ? vt.accepted : 1),
		       (double)vt.insns_executed / (vt.accepted ? vt.accepted : 1));
		if (vt.tail_runs)
			printf("tail calls                   %ld runs took %ld tail calls\n", vt.tail_runs, vt.tail_calls);
		if (vt.ran_ok != vt.programs)
			rc = EXIT_REJECT;
	}
	free(buf);
	return rc;
}

CLI_COMMAND(gen, "gen", "generate programs from seeds (text, files, or --stats)", cmd_gen)

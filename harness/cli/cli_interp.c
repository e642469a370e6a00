/* harness/cli/cli_interp.c: `callfuzz interp FILE.s`: run one program through
 * the reference interpreter and show what the oracle sees: r0, the trace
 * events, the ctx bytes that changed, the instruction count; `--trace`
 * shows every executed instruction with the registers it changed. */
#include "bpf/bpf.h"
#include "harness/cli/cli.h"
#include "interp/interp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void interp_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz interp FILE.s [--ctx HEX|@FILE] [--trace] [--budget N] [--no-check]\n"
		"                              [--repeat N]\n\n"
		"Runs the program in FILE.s (text format, docs/asm.md; '-' reads stdin) through\n"
		"the reference interpreter and prints r0 (hex and decimal), the helper and\n"
		"kfunc events, the ctx bytes that changed and the instructions executed.\n"
		"The checker (cf_check) runs first: an invalid program is refused.\n\n"
		"options:\n"
		"  --ctx HEX      the 256-byte ctx buffer as hex digits (shorter: zero-filled)\n"
		"  --ctx @FILE    the ctx buffer from the first 256 bytes of FILE\n"
		"  --trace        print each executed instruction and the registers it changed\n"
		"  --budget N     instruction budget (default 1000000); beyond it: timeout\n"
		"  --no-check     run even what the checker rejects (faults show the misuse)\n"
		"  --repeat N     run N times and print instructions per second (a benchmark)\n"
		"  -h, --help     this help\n\n"
		"Exit codes: 0 the program ran to exit, 1 fault, timeout or rejected by the\n"
		"checker, 2 bad usage or unreadable/unparsable input.\n");
}

static int parse_long(const char *s, long lo, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < lo)
		return -1;
	*out = v;
	return 0;
}

static const char *event_name(uint32_t id, char *buf, size_t size)
{
	for (int i = 0; i < cf_ncallees; i++)
		if ((uint32_t)cf_callees[i].id == id)
			return cf_callees[i].name;
	snprintf(buf, size, "#%u", id);
	return buf;
}

static void print_result(const struct interp_result *res, const uint8_t ctx_in[CF_CTX_SIZE])
{
	char name[32];

	switch (res->status) {
	case INTERP_OK:
		printf("r0 = 0x%" PRIx64 " (%" PRIu64 ", %" PRId64 ")\n", res->r0, res->r0, (int64_t)res->r0);
		break;
	case INTERP_TIMEOUT:
		printf("timeout: %s\n", res->fault);
		break;
	case INTERP_FAULT:
		printf("fault: %s\n", res->fault);
		break;
	}
	for (uint32_t i = 0; i < res->trace.nevents; i++) {
		const struct cf_event *ev = &res->trace.ev[i];

		printf("event %u: %s(", i, event_name(ev->id, name, sizeof(name)));
		if (ev->id == CF_HELPER_STACK_HASH && ev->nargs == 2)
			printf("len=%" PRIu64 ", hash=0x%016" PRIx64, ev->args[0], ev->args[1]);
		else
			for (uint32_t a = 0; a < ev->nargs && a < CF_MAX_ARGS; a++)
				printf("%s0x%" PRIx64, a ? ", " : "", ev->args[a]);
		printf(")\n");
	}
	if (res->trace.dropped)
		printf("events dropped past %d: %u\n", CF_TRACE_MAX, res->trace.dropped);
	for (int i = 0; i < CF_CTX_SIZE; i++)
		if (res->ctx[i] != ctx_in[i])
			printf("ctx[%d]: 0x%02x -> 0x%02x\n", i, ctx_in[i], res->ctx[i]);
	printf("insns executed: %" PRIu64 "\n", res->insns_executed);
	if (res->tail_calls)
		printf("tail calls taken: %u\n", res->tail_calls);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --repeat: run the prepared image n times; print the rate. */
static int bench(const struct cf_prog *prog, const struct interp_opts *opts, const uint8_t *ctx, long n,
		 struct interp_result *res)
{
	struct cf_err err;
	struct interp_image *img = interp_prepare(prog, &err);
	uint64_t total = 0;
	double t0, dt;

	if (!img) {
		fprintf(stderr, "callfuzz interp: %s\n", err.msg);
		return EXIT_USAGE;
	}
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		interp_exec(img, opts, NULL, ctx, res);
		total += res->insns_executed;
		if (res->status != INTERP_OK)
			break;
	}
	dt = now_s() - t0;
	interp_image_free(img);
	printf("runs: %ld, insns: %" PRIu64 ", seconds: %.3f, insns/s: %.0f\n", n, total, dt,
	       dt > 0 ? (double)total / dt : 0.0);
	return EXIT_OK;
}

static int cmd_interp(int argc, char **argv)
{
	struct interp_opts opts;
	struct interp_result *res = NULL;
	const char *path = NULL, *ctx_arg = NULL;
	bool check = true, trace = false;
	long repeat = 0;
	uint8_t ctx[CF_CTX_SIZE];
	char rerr[256];
	struct cf_err err;
	struct cf_prog prog;
	int ret;

	if (cli_wants_help(argc, argv)) {
		interp_usage(stdout);
		return EXIT_OK;
	}
	interp_opts_default(&opts);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--trace")) {
			trace = true;
		} else if (!strcmp(a, "--no-check")) {
			check = false;
		} else if (!strcmp(a, "--ctx") && v) {
			ctx_arg = v;
			i++;
		} else if (!strcmp(a, "--budget") && v) {
			if (parse_long(v, 1, &opts.insn_budget)) {
				fprintf(stderr, "callfuzz interp: --budget: expected a positive number, got '%s'\n", v);
				return EXIT_USAGE;
			}
			i++;
		} else if (!strcmp(a, "--repeat") && v) {
			if (parse_long(v, 1, &repeat)) {
				fprintf(stderr, "callfuzz interp: --repeat: expected a positive number, got '%s'\n", v);
				return EXIT_USAGE;
			}
			i++;
		} else if ((a[0] != '-' || !strcmp(a, "-")) && !path) {
			path = a;
		} else {
			fprintf(stderr, "callfuzz interp: unexpected argument '%s'\n", a);
			interp_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!path) {
		interp_usage(stderr);
		return EXIT_USAGE;
	}
	memset(ctx, 0, sizeof(ctx));
	if (ctx_arg && cli_parse_ctx(ctx_arg, ctx, rerr, sizeof(rerr))) {
		fprintf(stderr, "callfuzz interp: %s\n", rerr);
		return EXIT_USAGE;
	}
	if (cli_load_prog("interp", path, &prog))
		return EXIT_USAGE;
	if (check) {
		struct cf_check_opts copts;

		cf_check_opts_default(&copts);
		copts.maps = true; /* the interpreter models them (the vm target's maps) */
		copts.raw_tp = true;
		/* the interpreter runs the kernel profile's paths too */
		copts.kernel_paths = true;
		copts.kfuncs = true;
		copts.max_frames = CF_MAX_FRAMES;
		if (cf_check(&prog, &copts, &err)) {
			printf("rejected: %s\n(run anyway with --no-check)\n", err.msg);
			cf_prog_free(&prog);
			return EXIT_REJECT;
		}
	}
	res = malloc(sizeof(*res));
	if (!res) {
		fprintf(stderr, "callfuzz interp: out of memory\n");
		cf_prog_free(&prog);
		return EXIT_USAGE;
	}
	if (repeat) {
		ret = bench(&prog, &opts, ctx, repeat, res);
	} else {
		if (trace)
			opts.insn_trace = stdout;
		if (interp_run(&prog, &opts, NULL, ctx, res)) {
			fprintf(stderr, "callfuzz interp: %s\n", res->fault);
			ret = EXIT_USAGE;
		} else {
			print_result(res, ctx);
			ret = res->status == INTERP_OK ? EXIT_OK : EXIT_REJECT;
		}
	}
	free(res);
	cf_prog_free(&prog);
	return ret;
}

CLI_COMMAND(interp, "interp", "run a program (.s) through the reference interpreter", cmd_interp)

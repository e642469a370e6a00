/* harness/cli/cli_run.c: `callfuzz run FILE.s`: one program through the
 * reference interpreter and through the arm64 JIT + executor, compared in
 * design.md's oracle order (harness/target/compare.c). */
#include "harness/cli/cli.h"
#include "harness/target/target.h"
#include "harness/target/target.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz run FILE.s [--ctx HEX|@FILE] [--no-lse] [--timeout-ms N]\n"
		"                          [--target model|kernel|vm|vm,model]\n\n"
		"Runs the program in FILE.s (docs/asm.md) through the reference interpreter\n"
		"and through the arm64 JIT on the executor (qemu-aarch64 on non-arm64 hosts),\n"
		"compares trace events, stack snapshots (STACK), ctx (OUTBUF), r0 (RETVAL) and\n"
		"the native ABI checks, and prints the verdict; on a mismatch, both results\n"
		"and the first divergence.\n\n"
		"options:\n"
		"  --ctx HEX       the 256-byte ctx buffer as hex digits (shorter: zero-filled)\n"
		"  --ctx @FILE     the ctx buffer from the first 256 bytes of FILE\n"
		"  --no-lse        JIT atomics with LL/SC loops instead of LSE\n"
		"  --timeout-ms N  watchdog for the JIT run (default 1000)\n"
		"  --target T      model: our arm64 JIT on the executor (default); kernel: the\n"
		"                  host kernel through bpf() (harness/target/target.h): its verifier's\n"
		"                  verdict (VERIFIER) and its r0, low 32 bits, and ctx (KERNEL);\n"
		"                  vm, vm,model: a kernel under qemu-system (--arch, --kernel,\n"
		"                  --kernel-tree: see `callfuzz run --target vm --help`)\n\n"
		"Exit codes: 0 equal, 1 mismatch (or the checker rejected the program),\n"
		"2 bad usage, unreadable input, or no executor, 125 (vm) the --kernel-tree\n"
		"did not build: `git bisect run` skips that commit.\n");
}

static void print_trace(const char *who, const struct cf_trace *t)
{
	char name[32];

	for (uint32_t i = 0; i < t->nevents && i < CF_TRACE_MAX; i++) {
		const struct cf_event *e = &t->ev[i];

		printf("  %s event %u: %s(", who, i, compare_event_name(e->id, name, sizeof(name)));
		for (uint32_t a = 0; a < e->nargs && a < CF_MAX_ARGS; a++)
			printf("%s0x%" PRIx64, a ? ", " : "", e->args[a]);
		printf(")\n");
	}
	if (t->dropped)
		printf("  %s: %u events dropped past %d\n", who, t->dropped, CF_TRACE_MAX);
}

static void print_ctx_changes(const char *who, const uint8_t *in, const uint8_t *out)
{
	for (int i = 0; i < CF_CTX_SIZE; i++)
		if (in[i] != out[i])
			printf("  %s ctx[%d]: 0x%02x -> 0x%02x\n", who, i, in[i], out[i]);
}

static void print_both(const struct interp_result *ir, const struct exec_result *xr, const uint8_t *ctx_in)
{
	printf("interpreter: r0=0x%" PRIx64 ", %u events, %" PRIu64 " insns\n", ir->r0, ir->trace.nevents,
	       ir->insns_executed);
	print_trace("interp", &ir->trace);
	print_ctx_changes("interp", ctx_in, ir->ctx);
	printf("jit: %s, r0=0x%" PRIx64 ", %u events%s%s\n", exec_status_name(xr->status), xr->r0,
	       xr->trace.nevents, xr->detail[0] ? ": " : "", xr->detail);
	print_trace("jit", &xr->trace);
	if (xr->status != EXEC_TIMEOUT)
		print_ctx_changes("jit", ctx_in, xr->ctx);
}

static int cmd_run(int argc, char **argv)
{
	static struct interp_result ir;
	static struct exec_result xr;
	const char *path = NULL, *ctx_arg = NULL;
	struct exec_opts eopts = { 0 };
	struct jit_opts jopts = { .lse_atomics = true };
	struct jit_image img = { 0 };
	struct cf_check_opts copts;
	bool target_kernel = false;
	uint8_t ctx[CF_CTX_SIZE];
	struct cf_prog prog;
	struct mismatch m;
	struct cf_err err;
	struct exec *ex;
	char rerr[256];
	int rc;

	/* --target vm[,model]: a kernel under qemu, its own options
	 * (harness/cli/cli_vm.c, `callfuzz run --target vm --help`) */
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--target") && !strncmp(argv[i + 1], "vm", 2))
			return vm_cli_run(argc, argv);
	if (cli_wants_help(argc, argv)) {
		run_usage(stdout);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-lse")) {
			jopts.lse_atomics = false;
		} else if (!strcmp(argv[i], "--ctx") && i + 1 < argc) {
			ctx_arg = argv[++i];
		} else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) {
			eopts.timeout_ms = atoi(argv[++i]);
			if (eopts.timeout_ms <= 0) {
				fprintf(stderr, "callfuzz run: --timeout-ms takes a positive number\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--target") && i + 1 < argc) {
			const char *t = argv[++i];

			if (strcmp(t, "model") && strcmp(t, "kernel")) {
				fprintf(stderr, "callfuzz run: --target takes model or kernel\n");
				return EXIT_USAGE;
			}
			target_kernel = !strcmp(t, "kernel");
		} else if (argv[i][0] == '-' && argv[i][1]) {
			run_usage(stderr);
			return EXIT_USAGE;
		} else if (!path) {
			path = argv[i];
		} else {
			run_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!path) {
		run_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_parse_ctx(ctx_arg ? ctx_arg : "", ctx, rerr, sizeof(rerr))) {
		fprintf(stderr, "callfuzz run: %s\n", rerr);
		return EXIT_USAGE;
	}
	if (cli_load_prog("run", path, &prog))
		return EXIT_USAGE;
	cf_check_opts_default(&copts);
	if (target_kernel && kernel_cli_check_opts(&copts)) {
		cf_prog_free(&prog);
		return EXIT_USAGE;
	}
	if (cf_check(&prog, &copts, &err)) {
		printf("rejected: %s\n", err.msg);
		cf_prog_free(&prog);
		return EXIT_REJECT;
	}

	/* The interpreter's address space is its own: no executor needed. */
	interp_run(&prog, NULL, NULL, ctx, &ir);
	if (ir.status != INTERP_OK) {
		printf("interpreter %s: %s\n(the checker accepted this program: a checker or interpreter bug)\n",
		       ir.status == INTERP_TIMEOUT ? "ran out of instructions" : "fault", ir.fault);
		cf_prog_free(&prog);
		return EXIT_REJECT;
	}
	if (target_kernel) {
		rc = kernel_cli_run(&prog, &ir, ctx);
		cf_prog_free(&prog);
		return rc;
	}

	eopts.stack_zero_kib = 32; /* as the minimizer (repro_start) */
	ex = exec_start(&eopts, &err);
	if (!ex) {
		fprintf(stderr, "callfuzz run: %s\n", err.msg);
		cf_prog_free(&prog);
		return EXIT_USAGE;
	}
	exec_callee_addrs(ex, jopts.callee_addr, 32);
	if (jit_compile(&prog, &jopts, &img, &err)) {
		mismatch_jit_reject(&m, err.msg);
		printf("mismatch: JIT_REJECT: %s\n", m.place);
		exec_stop(ex);
		cf_prog_free(&prog);
		return EXIT_REJECT;
	}
	if (exec_run(ex, img.code, img.ncode, img.entry, ctx, &xr, &err)) {
		fprintf(stderr, "callfuzz run: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (compare_results(&ir, &xr, &img, &prog, &m) == MISMATCH_NONE) {
		printf("equal: r0=0x%" PRIx64 ", %u events, ctx %s (jit %u arm64 insns, %.1f us native)\n", ir.r0,
		       ir.trace.nevents, memcmp(ctx, ir.ctx, CF_CTX_SIZE) ? "written" : "unchanged", img.ncode,
		       xr.run_ns / 1e3);
		rc = EXIT_OK;
		goto out;
	}
	printf("mismatch: %s at %s", mismatch_kind_name(m.kind), m.place);
	if (m.kind == MISMATCH_TRACE || m.kind == MISMATCH_STACK || m.kind == MISMATCH_OUTBUF ||
	    m.kind == MISMATCH_RETVAL)
		printf(": interpreter 0x%" PRIx64 ", jit 0x%" PRIx64, m.want, m.got);
	printf("\n");
	print_both(&ir, &xr, ctx);
	rc = EXIT_REJECT;
out:
	jit_image_free(&img);
	exec_stop(ex);
	cf_prog_free(&prog);
	return rc;
}

CLI_COMMAND(run, "run", "run a .s through the interpreter and the arm64 JIT, compare", cmd_run);

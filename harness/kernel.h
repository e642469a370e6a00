/* harness/kernel.h: the running host kernel as a callfuzz target
 * (internal to harness/; harness/kernel.c).
 *
 * A program is loaded through bpf() as BPF_PROG_TYPE_SYSCALL (sleepable)
 * with BTF and func_info from vm_btf_build, and test-run on a 256-byte ctx
 * (kernels.md "In the guest": the same rules hold on the host). The kernel's
 * verdict and result are then compared with the reference interpreter:
 *  - a rejection of a program our checker accepts is KERNEL_VERIFIER (a
 *    checker or generator bug, reported with the verifier log);
 *  - a different r0 (low 32 bits: BPF_PROG_TEST_RUN keeps only those) or
 *    ctx is KERNEL_DIFF, reported with both sides.
 *
 * Typical use:
 *
 *	struct kernel_probe kp;
 *	if (kernel_probe(&kp) || !kp.bpf_allowed) -> kp.msg says why
 *	kernel_run(&prog, ctx, &kr, &err);      // verdict, log, retval, ctx
 *	kernel_compare(&ir, &kr, &m);
 *	kernel_result_release(&kr);
 */
#ifndef CALLFUZZ_HARNESS_KERNEL_H
#define CALLFUZZ_HARNESS_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/bpf.h"
#include "interp/interp.h"

struct kernel_probe {
	bool bpf_allowed;  /* a 2-insn SYSCALL program loads and runs */
	bool stack_args;   /* a 6-argument subprog call loads and returns 21 */
	int max_args;      /* 12 with stack arguments, else 5 (cf_check_opts.max_args) */
	bool ctx_moved_ok; /* a ctx load through a moved pointer loads (7.2; 6.18 refuses:
			      cf_check_opts.ctx_moved_ok) */
	char release[128]; /* uname -r */
	char msg[2048];    /* why bpf() is refused, or the stack-argument probe's
			      verifier log ("R11 is invalid") */
};

/* Probes the host kernel (three loads and test runs). Returns 0 with *out
 * filled whatever the answers, -1 only on a host failure (msg says it). */
int kernel_probe(struct kernel_probe *out);

struct kernel_result {
	int load_err;      /* 0 loaded, else the errno of BPF_PROG_LOAD (or BTF_LOAD) */
	char *log;         /* load_err: the verifier log (log_level 1), malloc'd */
	int run_err;       /* errno of BPF_PROG_TEST_RUN, 0 if it ran */
	uint32_t retval;   /* r0, low 32 bits */
	uint8_t ctx[CF_CTX_SIZE]; /* the ctx after the run (the kernel writes ctx_in back) */
	uint64_t load_ns; /* wall time of the first load (not the log retry) */
};

/* Load p, run it once on ctx_in (NULL: zeros), close it. Returns 0 with
 * *res filled (a rejection is a result: load_err, log), or -1 with err set
 * when the program cannot be converted (cf_prog_to_raw, BTF). */
int kernel_run(const struct cf_prog *p, const uint8_t ctx_in[CF_CTX_SIZE], struct kernel_result *res,
	       struct cf_err *err);
void kernel_result_release(struct kernel_result *res);

enum kernel_verdict {
	KERNEL_AGREE,     /* same r0 (low 32 bits) and ctx */
	KERNEL_VERIFIER,  /* the kernel's verifier rejected the program */
	KERNEL_DIFF,      /* ran, but r0 or ctx differ ("KERNEL") */
	KERNEL_RUN_ERROR, /* loaded, but BPF_PROG_TEST_RUN failed */
};

struct kernel_mismatch {
	enum kernel_verdict verdict;
	int offset;            /* DIFF in ctx: first differing byte, -1 for r0 */
	uint64_t want, got;    /* interpreter's value, kernel's value */
	char place[160];       /* "r0 (low 32 bits)", "ctx[17]", the load errno */
};

/* "AGREE", "VERIFIER", "KERNEL", "RUN_ERROR" */
const char *kernel_verdict_name(enum kernel_verdict v);

/* ir must be INTERP_OK. Returns m->verdict. */
enum kernel_verdict kernel_compare(const struct interp_result *ir, const struct kernel_result *kr,
				   struct kernel_mismatch *m);

/* `callfuzz run --target kernel`, before the checker: probes the kernel
 * and sets o->max_args to what it takes (5 without stack arguments),
 * o->ctx_moved_ok to its answer and o->model_callees to false (kernel helpers are not the model's). Returns
 * -1 with the reason on stderr when bpf() is refused. */
int kernel_cli_check_opts(struct cf_check_opts *o);

/* `callfuzz run --target kernel`: checked program p (already run through
 * the interpreter: ir) on the host kernel, verdict printed to stdout.
 * Returns a cli.h exit code. */
int kernel_cli_run(const struct cf_prog *p, const struct interp_result *ir, const uint8_t ctx_in[CF_CTX_SIZE]);

#endif

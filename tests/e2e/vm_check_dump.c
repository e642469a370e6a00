/* tests/e2e/vm_check_dump.c: dumps every program the checker's unit tests
 * give cf_check, for tests/e2e/vm_verdicts.sh, which compares the checker's
 * verdicts with the real verifier's.
 *
 * Built by that script, not by the Makefile: the test files of tests/bpf/
 * are compiled with -Dcf_check=dump_cf_check, so each of their calls lands
 * here; this file (compiled without it) writes the program (cf_asm_print)
 * with the checker's verdict and options to $VM_CHECK_DUMP_DIR/NNNN.s,
 * prints "DUMP NNNN" (tests/test_main.c prints the test's name after its
 * programs), and answers with the real cf_check.
 *
 * Likewise the interpreter's tests (tests/interp/, -Dinterp_run=
 * dump_interp_run): every program the interpreter runs to exit is written
 * to $VM_INTERP_DUMP_DIR/iNNNN.s with its ctx in a `; ctx: HEX` line, for
 * `callfuzz run --target vm` to compare the kernel with the interpreter. */
#include "bpf/bpf.h"
#include "interp/interp.h"

#include <stdio.h>
#include <stdlib.h>

int dump_cf_check(const struct cf_prog *p, const struct cf_check_opts *opts, struct cf_err *err);

int dump_cf_check(const struct cf_prog *p, const struct cf_check_opts *opts, struct cf_err *err)
{
	static int n;
	struct cf_check_opts def;
	const char *dir = getenv("VM_CHECK_DUMP_DIR");
	int r = cf_check(p, opts, err);
	char path[4096], *text;
	FILE *f;

	if (!opts) {
		cf_check_opts_default(&def);
		opts = &def;
	}
	if (!dir)
		return r;
	text = cf_asm_print(p);
	snprintf(path, sizeof(path), "%s/%04d.s", dir, n);
	f = fopen(path, "w");
	if (f && text) {
		fprintf(f, "; checker: %s%s%s\n; opts: max_args=%d ctx_size=%d model_callees=%d insn_budget=%ld\n%s",
			r ? "reject: " : "accept", r ? err->msg : "", "", opts->max_args, opts->ctx_size,
			(int)opts->model_callees, opts->insn_budget, text);
	}
	if (f)
		fclose(f);
	printf("DUMP %04d %s\n", n, r ? "reject" : "accept");
	n++;
	free(text);
	return r;
}

int dump_interp_run(const struct cf_prog *p, const struct interp_opts *o, const struct interp_env *env,
		    const uint8_t ctx_in[CF_CTX_SIZE], struct interp_result *res);

int dump_interp_run(const struct cf_prog *p, const struct interp_opts *o, const struct interp_env *env,
		    const uint8_t ctx_in[CF_CTX_SIZE], struct interp_result *res)
{
	static int n;
	const char *dir = getenv("VM_INTERP_DUMP_DIR");
	int r = interp_run(p, o, env, ctx_in, res);
	char path[4096], *text;
	FILE *f;

	if (!dir || r || res->status != INTERP_OK)
		return r;
	text = cf_asm_print(p);
	snprintf(path, sizeof(path), "%s/i%04d.s", dir, n);
	f = fopen(path, "w");
	if (f && text) {
		fprintf(f, "; interpreter: r0=0x%llx\n; ctx: ", (unsigned long long)res->r0);
		for (int i = 0; i < CF_CTX_SIZE; i++)
			fprintf(f, "%02x", ctx_in ? ctx_in[i] : 0);
		fprintf(f, "\n%s", text);
	}
	if (f)
		fclose(f);
	printf("DUMP i%04d\n", n);
	n++;
	free(text);
	return r;
}

/* tests/target/signature.c: mismatch signatures (fuzz/loop/loop.h) on
 * hand-made results: stable (no values or addresses), one name per kind
 * and place, made of directory-safe characters. The mismatches come from
 * compare_results on results built here, so the test follows the oracle's
 * own wording; CRASH places are hand-made struct mismatch values. */
#include "fuzz/loop/loop.h"
#include "tests/test.h"

#include <signal.h>
#include <stdlib.h>

static struct interp_result ir;
static struct exec_result xr;

static void reset(void)
{
	memset(&ir, 0, sizeof(ir));
	memset(&xr, 0, sizeof(xr));
	ir.status = INTERP_OK;
	xr.status = EXEC_OK;
	xr.fault_pc_off = -1;
}

static void add_event(struct cf_trace *t, uint32_t id, uint32_t nargs, uint64_t base)
{
	struct cf_event *e = &t->ev[t->nevents++];

	e->id = id;
	e->nargs = nargs;
	for (uint32_t a = 0; a < nargs; a++)
		e->args[a] = base + a;
}

static bool safe_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

/* compare_results, then the signature of what it found. */
static const char *sig_of(void)
{
	static char buf[96];
	struct mismatch m;

	if (compare_results(&ir, &xr, NULL, NULL, &m) == MISMATCH_NONE)
		return "NONE";
	mismatch_signature(&m, &ir, &xr, NULL, buf, sizeof(buf));
	CHECK_MSG(safe_name(buf), "signature \"%s\" has characters a directory name should not", buf);
	return buf;
}

TEST(loop_signature_retval_ignores_values)
{
	reset();
	ir.r0 = 1;
	xr.r0 = 2;
	CHECK_STR(sig_of(), "RETVAL");
	ir.r0 = 0xdeadbeef;
	xr.r0 = 0;
	CHECK_STR(sig_of(), "RETVAL");
}

TEST(loop_signature_outbuf)
{
	reset();
	xr.ctx[17] = 5;
	CHECK_STR(sig_of(), "OUTBUF");
	reset();
	ir.ctx[200] = 1;
	CHECK_STR(sig_of(), "OUTBUF");
}

TEST(loop_signature_kfunc_argument_is_one_based)
{
	reset();
	add_event(&ir.trace, CF_KFUNC_ARGS_BASE + 12, 12, 100);
	add_event(&xr.trace, CF_KFUNC_ARGS_BASE + 12, 12, 100);
	xr.trace.ev[0].args[8] = 7; /* the 9th argument, x... [SP] on arm64 */
	CHECK_STR(sig_of(), "TRACE-kf_args12-arg9");
	/* Another event before it and other values: same bucket. */
	reset();
	add_event(&ir.trace, CF_HELPER_TRACE, 5, 1);
	add_event(&xr.trace, CF_HELPER_TRACE, 5, 1);
	add_event(&ir.trace, CF_KFUNC_ARGS_BASE + 12, 12, 555);
	add_event(&xr.trace, CF_KFUNC_ARGS_BASE + 12, 12, 555);
	xr.trace.ev[1].args[8] = 0;
	CHECK_STR(sig_of(), "TRACE-kf_args12-arg9");
	reset();
	add_event(&ir.trace, CF_KFUNC_ARGS_BASE + 6, 6, 1);
	add_event(&xr.trace, CF_KFUNC_ARGS_BASE + 6, 6, 1);
	xr.trace.ev[0].args[0] = 9;
	CHECK_STR(sig_of(), "TRACE-kf_args6-arg1");
}

TEST(loop_signature_trace_missing_extra_and_id)
{
	reset();
	add_event(&ir.trace, CF_HELPER_TRACE, 5, 1);
	add_event(&ir.trace, CF_HELPER_TRACE, 5, 2);
	add_event(&xr.trace, CF_HELPER_TRACE, 5, 1);
	CHECK_STR(sig_of(), "TRACE-trace-missing");

	reset();
	add_event(&ir.trace, CF_HELPER_TRACE, 5, 1);
	add_event(&xr.trace, CF_HELPER_TRACE, 5, 1);
	add_event(&xr.trace, CF_KFUNC_ARGS_BASE + 7, 7, 1);
	CHECK_STR(sig_of(), "TRACE-kf_args7-extra");

	reset();
	add_event(&ir.trace, CF_KFUNC_ARGS_BASE + 9, 9, 1);
	add_event(&xr.trace, CF_KFUNC_ARGS_BASE + 10, 10, 1);
	CHECK_STR(sig_of(), "TRACE-kf_args9-id");

	reset();
	ir.trace.dropped = 3;
	CHECK_STR(sig_of(), "TRACE-dropped");
}

TEST(loop_signature_stack_snapshots)
{
	reset();
	add_event(&ir.trace, CF_HELPER_STACK_HASH, 2, 64);
	add_event(&xr.trace, CF_HELPER_STACK_HASH, 2, 64);
	xr.trace.ev[0].args[1] = 0x1234;
	CHECK_STR(sig_of(), "STACK-hash");

	reset();
	add_event(&ir.trace, CF_HELPER_STACK_HASH, 2, 64);
	add_event(&xr.trace, CF_HELPER_STACK_HASH, 2, 32);
	CHECK_STR(sig_of(), "STACK-len");

	reset();
	add_event(&ir.trace, CF_HELPER_STACK_HASH, 2, 64);
	CHECK_STR(sig_of(), "STACK-missing");

	reset();
	add_event(&xr.trace, CF_HELPER_STACK_HASH, 2, 64);
	CHECK_STR(sig_of(), "STACK-extra");
}

TEST(loop_signature_abi)
{
	reset();
	xr.status = EXEC_ABI;
	xr.abi = EXEC_ABI_X19 + 2;
	xr.abi_expected = 1;
	xr.abi_actual = 2;
	CHECK_STR(sig_of(), "ABI-x21");
	xr.abi = EXEC_ABI_CANARY; /* "stack canary": no space in a directory name */
	CHECK_STR(sig_of(), "ABI-canary");
	xr.abi = EXEC_ABI_SP;
	CHECK_STR(sig_of(), "ABI-sp");
}

TEST(loop_signature_abi_sp_align)
{
	struct mismatch m;

	reset();
	xr.status = EXEC_ABI;
	xr.abi = EXEC_ABI_SP_ALIGN;
	xr.abi_actual = 0xcf10040fc8ull;
	xr.abi_expected = 0xcf10040fc0ull;
	xr.abi_callee = "kf_args9";
	xr.abi_calls = 1;
	/* one bucket whatever the callee and the SP value */
	CHECK_STR(sig_of(), "ABI-sp-align");
	xr.abi_callee = "trace";
	xr.abi_actual = 0xcf10040ff8ull;
	CHECK_STR(sig_of(), "ABI-sp-align");
	/* the place names the callee */
	REQUIRE(compare_results(&ir, &xr, NULL, NULL, &m) == MISMATCH_ABI);
	CHECK_STR(m.place, "sp alignment at a call to trace");
	CHECK_EQ(m.got, 0xcf10040ff8ull);
}

TEST(loop_signature_timeout_and_reject)
{
	struct mismatch m;
	char buf[96];

	reset();
	xr.status = EXEC_TIMEOUT;
	snprintf(xr.detail, sizeof(xr.detail), "no answer within 1000 ms: executor killed");
	CHECK_STR(sig_of(), "TIMEOUT");

	mismatch_jit_reject(&m, "func f insn 3: unsupported opcode 0xff");
	mismatch_signature(&m, &ir, NULL, NULL, buf, sizeof(buf));
	CHECK_STR(buf, "JIT_REJECT");
}

/* A program with an r11 load at slot 2 of function 1, an atomic at slot 0
 * of function 0. */
static void crash_prog(struct cf_prog *p)
{
	struct cf_func *f0, *f1;

	cf_prog_init(p);
	f0 = cf_prog_add_func(p, "main", 1, false);
	cf_func_emit(f0, cf_insn(BPF_STX | BPF_ATOMIC | BPF_W, BPF_REG_10, BPF_REG_1, -8, BPF_CMPXCHG), 0);
	cf_func_emit(f0, cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0), 0);
	f1 = cf_prog_add_func(p, "f9", 9, false);
	cf_func_emit(f1, cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0), 0);
	cf_func_emit(f1, cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0), 0);
	cf_func_emit(f1, cf_insn(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_PARAMS, 32, 0), 0);
	cf_func_emit(f1, cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0), 0);
}

static const char *crash_sig(const struct cf_prog *p, int sig, int64_t pc_off, int func, int insn)
{
	static char buf[96];
	struct mismatch m;

	memset(&m, 0, sizeof(m));
	m.kind = MISMATCH_CRASH;
	m.event = m.arg = m.offset = -1;
	m.func = func;
	m.insn = insn;
	snprintf(m.place, sizeof(m.place), "func %d insn %d: signal %d at pc code+0x%llx address 0x1234", func,
		 insn, sig, (unsigned long long)pc_off);
	reset();
	xr.status = EXEC_CRASH;
	xr.signal = sig;
	xr.fault_pc_off = pc_off;
	xr.fault_addr = 0x1234;
	mismatch_signature(&m, &ir, &xr, p, buf, sizeof(buf));
	CHECK_MSG(safe_name(buf), "signature \"%s\"", buf);
	return buf;
}

TEST(loop_signature_crash_names_the_instruction_shape)
{
	struct cf_prog p;

	crash_prog(&p);
	CHECK_STR(crash_sig(&p, SIGSEGV, 0x40, 1, 2), "CRASH-SEGV-LDX-DW-r11");
	/* Another address, another pc: the same bucket. */
	CHECK_STR(crash_sig(&p, SIGSEGV, 0x88, 1, 2), "CRASH-SEGV-LDX-DW-r11");
	CHECK_STR(crash_sig(&p, SIGBUS, 0x4, 0, 0), "CRASH-BUS-ATOMIC-W-CMPXCHG");
	CHECK_STR(crash_sig(&p, SIGILL, 0x10, 1, -1), "CRASH-ILL-prologue");
	CHECK_STR(crash_sig(&p, SIGSEGV, 0x10, 1, 4), "CRASH-SEGV-epilogue");
	CHECK_STR(crash_sig(&p, SIGSEGV, -1, -1, -1), "CRASH-SEGV-outside");
	CHECK_STR(crash_sig(&p, 0, -1, -1, -1), "CRASH-executor");
	cf_prog_free(&p);
}

TEST(loop_signature_equal_results_have_no_mismatch)
{
	reset();
	add_event(&ir.trace, CF_KFUNC_ARGS_BASE + 12, 12, 100);
	add_event(&xr.trace, CF_KFUNC_ARGS_BASE + 12, 12, 100);
	ir.r0 = xr.r0 = 42;
	CHECK_STR(sig_of(), "NONE");
}

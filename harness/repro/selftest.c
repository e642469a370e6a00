/* harness/repro/selftest.c: a reproducer as a kernel BPF selftest, in the shape
 * of tools/testing/selftests/bpf/progs/verifier_*.c: each function is a
 * __naked C function whose body is the BPF text as inline assembly; the
 * entry carries __success __retval(N) with the interpreter's r0; static
 * subprograms are declared with one `long` parameter per argument, so that
 * BTF gives the kernel each one's count (stack-args.md 1: the callee's
 * count comes from BTF FUNC_PROTO).
 *
 * Two flavours, one writer (repro.h: selftest_write_opts): the model's
 * (SEC("tc"), the model environment's helpers and kfuncs kept as they are)
 * and the kernel's, for findings against a real kernel, shaped like
 * upstream's verifier_stack_arg.c and verifier_stack_arg_order.c: the
 * feature guard with its dummy test, SEC("syscall"), and a btf__ companion
 * for __btf_func_path because clang drops the parameter names of __naked
 * functions from BTF.
 *
 * clang-19 accepts r11 in BPF inline assembly (`r1 = *(u64 *)(r11 + 8)`,
 * `*(u64 *)(r11 - 8) = 6`) and emits the 0x79/0x7b/0x7a encodings of
 * stack-args.md 1, so the instructions are written as text, never as raw
 * encodings (tests/e2e/min_mutant.sh compiles one with clang-19). */
#include "harness/repro/repro.h"

#include <inttypes.h>
#include <string.h>

/* One instruction as an inline-asm string. Calls name the C functions
 * (`call NAME_sub`), helpers their number, kfuncs an __imm operand. */
static void asm_line(FILE *out, const struct cf_prog *p, int fi, int pc, const char *stem)
{
	const struct bpf_insn *i = &p->funcs[fi].insns[pc];
	char text[256];

	if (cf_insn_is_pseudo_call(i)) {
		snprintf(text, sizeof(text), "call %s_%s", stem, p->funcs[i->imm].name);
	} else if (cf_insn_is_pseudo_func(i)) {
		/* libbpf turns an ld_imm64 of a subprogram into BPF_PSEUDO_FUNC */
		snprintf(text, sizeof(text), "r%d = %s_%s ll", i->dst_reg, stem, p->funcs[i->imm].name);
	} else if (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_KFUNC_CALL) {
		const struct cf_callee *c = cf_callee_find(true, i->imm);

		snprintf(text, sizeof(text), "call %%[%s]", c ? c->name : "unknown_kfunc");
	} else if (i->code == (BPF_JMP | BPF_CALL)) {
		const struct cf_callee *c = cf_callee_find(false, i->imm);

		if (c && c->kernel)
			fprintf(out, "\t\"call %d;\"\t/* %s */\n", i->imm, c->name);
		else
			fprintf(out, "\t\"call %d;\"\t/* %s: a helper of callfuzz's model environment */\n",
				i->imm, c ? c->name : "helper");
		return;
	} else {
		cf_asm_print_insn(text, sizeof(text), p, fi, pc);
		/* '%' starts an operand in an asm template: `r1 %= r2` */
		for (char *s = strchr(text, '%'); s; s = strchr(s + 2, '%')) {
			if (strlen(text) + 2 > sizeof(text))
				break;
			memmove(s + 1, s, strlen(s) + 1);
		}
	}
	fprintf(out, "\t\"%s;\"\n", text);
}

static void func_body(FILE *out, const struct cf_prog *p, int fi, const char *stem)
{
	const struct cf_func *f = &p->funcs[fi];
	bool kf[64] = { false }; /* kfuncs used, by call-table index */
	bool any = false;

	fprintf(out, "{\n\tasm volatile (\n");
	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];

		asm_line(out, p, fi, pc, stem);
		if (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_KFUNC_CALL) {
			const struct cf_callee *c = cf_callee_find(true, i->imm);
			int k = c ? cf_callee_index(c) : -1;

			if (k >= 0 && k < 64)
				kf[k] = true;
		}
		if (cf_insn_is_ldimm64(i))
			pc++;
	}
	/* asm (template : outputs : inputs : clobbers) */
	fprintf(out, "\t: :");
	for (int k = 0; k < cf_ncallees && k < 64; k++) {
		if (!kf[k])
			continue;
		fprintf(out, "%s __imm(%s)", any ? "," : "", cf_callees[k].name);
		any = true;
	}
	fprintf(out, " : __clobber_all);\n}\n");
}


/* ---- the kernel flavour's checks, all made before a byte is written ---- */

/* The upstream guard of tests with stack arguments (verifier_stack_arg.c):
 * a compiler that passes them (__BPF_FEATURE_STACK_ARGUMENT) and an arch
 * whose JIT takes them. */
static const char stack_arg_guard[] =
	"#if (defined(__TARGET_ARCH_x86) || defined(__TARGET_ARCH_arm64)) && \\\n"
	"\tdefined(__BPF_FEATURE_STACK_ARGUMENT)\n";

/* test_loader.c's POINTER_VALUE: a __retval it does not compare. */
#define TEST_LOADER_POINTER_VALUE 0xbadcafe

static bool is_c_identifier(const char *s)
{
	if (!s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static bool uses_stack_args(const struct cf_prog *p)
{
	for (int fi = 1; fi < p->nfuncs; fi++)
		if (p->funcs[fi].nargs > CF_MAX_REG_ARGS)
			return true;
	return false;
}

bool selftest_needs_btf_companion(const struct cf_prog *p)
{
	for (int fi = 1; fi < p->nfuncs; fi++)
		if (p->funcs[fi].nargs > 0)
			return true;
	return false;
}

/* Every helper and kfunc callfuzz knows is its model environment's
 * (bpf/calls.c, harness/env/env.h), a kernel has none of them, except the
 * kernel's own helpers (cf_callee.kernel: `call N` assembles as is). */
static int refuse_model_callees(const struct cf_prog *p, struct cf_err *err)
{
	if (p->prog_type != CF_PROG_SYSCALL) {
		/* the export writes SEC("syscall") programs only */
		cf_err_set(err, "a raw_tracepoint program: the selftest export writes SYSCALL programs only; "
				"reproduce it with `callfuzz run --target vm`");
		return -1;
	}
	if (p->nmaps) {
		/* the map definitions and their __imm_addr operands are not
		 * written yet: say so rather than export a test that cannot load */
		cf_err_set(err, "the program uses %d map(s) (%s...): the selftest export does not write map "
			   "definitions yet; reproduce it with `callfuzz run --target vm`", p->nmaps, p->maps[0].name);
		return -1;
	}
	for (int fi = 0; fi < p->nfuncs; fi++)
		for (int pc = 0; pc < p->funcs[fi].ninsns; pc++) {
			const struct bpf_insn *i = &p->funcs[fi].insns[pc];
			bool kfunc = i->src_reg == BPF_PSEUDO_KFUNC_CALL;
			const struct cf_callee *c;

			if (i->code != (BPF_JMP | BPF_CALL) || cf_insn_is_pseudo_call(i))
				continue;
			c = cf_callee_find(kfunc, i->imm);
			if (c && c->kernel && kfunc) {
				/* the __ksym declarations are not written yet */
				cf_err_set(err, "func %s insn %d: calls kfunc %s: the selftest export does not declare "
					   "kfuncs yet; reproduce it with `callfuzz run --target vm`",
					   p->funcs[fi].name, pc, c->name);
				return -1;
			}
			if (c && c->kernel)
				continue;
			cf_err_set(err,
				   "func %s insn %d: calls %s %s, which only callfuzz's model environment has "
				   "(harness/env/env.h): a kernel selftest cannot call it",
				   p->funcs[fi].name, pc, kfunc ? "kfunc" : "helper",
				   c ? c->name : "(unknown)");
			return -1;
		}
	return 0;
}

/* A SYSCALL program that touches its ctx needs ctx_size_in >= the deepest
 * offset it touches (bpf_prog_test_run_syscall). The checker with a ctx of
 * 0 bytes rejects exactly the programs that touch it. */
static bool touches_ctx(const struct cf_prog *p)
{
	struct cf_check_opts o;
	struct cf_err err;

	cf_check_opts_default(&o);
	o.ctx_size = 0;
	o.kernel_paths = true;
	o.max_frames = CF_MAX_FRAMES;
	return cf_check(p, &o, &err) != 0;
}

static int kernel_checks(const struct cf_prog *p, const struct selftest_opts *o, struct cf_err *err)
{
	struct cf_check_opts co;

	if (refuse_model_callees(p, err))
		return -1;
	/* The defaults are 7.2's rules: 12 arguments, ctx through a moved pointer. */
	cf_check_opts_default(&co);
	co.model_callees = false;
	co.kernel_paths = true; /* 7.2's helpers and may_goto: LLVM 19 assembles both */
	co.max_frames = CF_MAX_FRAMES;
	if (cf_check(p, &co, err)) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		cf_err_set(err, "the checker rejects the program (%s): a test expecting __success would not show a kernel bug",
			   why);
		return -1;
	}
	if (selftest_needs_btf_companion(p) && !o->btf_out) {
		cf_err_set(err, "a subprogram takes arguments: clang drops the parameter names of a __naked "
				"function from BTF and the kernel refuses such BTF (btf_func_check: \"Invalid arg#1\"), "
				"so the test needs its btf__ companion file (selftest_opts.btf_out)");
		return -1;
	}
	return 0;
}

/* ---- writing ---------------------------------------------------------- */

static void header(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, const char *comment,
		   bool ctx, const char *btf_object)
{
	fprintf(out, "// SPDX-License-Identifier: GPL-2.0\n");
	if (!o->kernel) {
		fprintf(out, "/* %s\n *\n * Generated by callfuzz from a minimized reproducer. The program takes\n"
			     " * no input; the expected value is the reference interpreter's r0. */\n\n",
			comment);
		return;
	}
	fprintf(out,
		"/* %s\n"
		" *\n"
		" * Generated by callfuzz from a reproducer found against a kernel; the\n"
		" * expected value is callfuzz's reference interpreter's r0.\n"
		" *\n"
		" * SEC(\"syscall\"): callfuzz's vm and kernel targets load the program as\n"
		" * BPF_PROG_TYPE_SYSCALL, and upstream's verifier tests use that type with\n"
		" * __retval too (verifier_arena.c). test_loader test-runs a SYSCALL\n"
		" * program with empty options (do_prog_test_run's empty_opts), so\n"
		" * __retval works as for \"tc\"; a \"tc\" or \"socket\" program would read\n"
		" * its ctx as a __sk_buff with rewritten accesses, another program.\n",
		comment);
	if (ctx)
		fprintf(out,
			" *\n"
			" * LIMITATION: the program touches its ctx. test_loader gives a SYSCALL\n"
			" * program no ctx_in, and BPF_PROG_TEST_RUN refuses a SYSCALL program\n"
			" * whose ctx_size_in is below the deepest ctx offset it touches (EINVAL),\n"
			" * so this test only checks that the verifier accepts it; the run on\n"
			" * the finding's ctx, with its expected r0, is at the end of this file.\n");
	if (btf_object)
		fprintf(out,
			" *\n"
			" * clang drops the parameter names of __naked functions from BTF, and\n"
			" * the kernel refuses BTF whose function arguments have no names. As in\n"
			" * verifier_stack_arg_order.c, test_loader takes the subprograms'\n"
			" * parameter names (types and counts stay this file's) from the object\n"
			" * of the companion file written with this one:\n"
			" *\t__btf_func_path(\"%s\")\n",
			btf_object);
	if (uses_stack_args(p))
		fprintf(out,
			" *\n"
			" * Stack arguments need a compiler with __BPF_FEATURE_STACK_ARGUMENT and\n"
			" * an x86-64 or arm64 JIT; elsewhere a dummy test stands in, as in\n"
			" * verifier_stack_arg.c.\n");
	fprintf(out, " */\n\n");
}

static void subprog(FILE *out, const struct cf_prog *p, int fi, const char *name)
{
	const struct cf_func *f = &p->funcs[fi];

	fprintf(out, "/* %s: %d argument%s%s */\n", f->name, f->nargs, f->nargs == 1 ? "" : "s",
		f->global ? ", global" : f->nargs > CF_MAX_REG_ARGS ? ", 6.. through r11" : "");
	fprintf(out, "__noinline __used __naked\n%slong %s_%s(", f->global ? "" : "static ", name, f->name);
	for (int a = 1; a <= f->nargs; a++)
		fprintf(out, "%slong a%d", a > 1 ? ", " : "", a);
	fprintf(out, "%s)\n", f->nargs ? "" : "void");
	func_body(out, p, fi, name);
	fprintf(out, "\n");
}

static void entry(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, const char *comment,
		  bool ctx, const char *btf_object)
{
	uint32_t low = (uint32_t)o->retval;

	fprintf(out, "SEC(\"%s\")\n__description(\"callfuzz: %s\")\n", o->kernel ? "syscall" : "tc", comment);
	/* BPF_PROG_TEST_RUN returns r0's low 32 bits; test_loader compares
	 * them as an int with the int that __retval parses */
	if (ctx)
		fprintf(out, "__success\t/* no __retval: see the LIMITATION above */\n");
	else
		fprintf(out, "__success __retval(%d)\n", (int32_t)low);
	if (o->retval >> 32)
		fprintf(out, "/* the interpreter's full r0 is 0x%016" PRIx64 " */\n", o->retval);
	if (o->kernel && !ctx && low == TEST_LOADER_POINTER_VALUE)
		fprintf(out, "/* 0x%x is test_loader's POINTER_VALUE: it does not compare this __retval */\n", low);
	if (btf_object)
		fprintf(out, "__btf_func_path(\"%s\")\n", btf_object);
	fprintf(out, "__naked void %s(void)\n", o->name);
	func_body(out, p, 0, o->name);
}

static void dummy(FILE *out, const char *name)
{
	fprintf(out,
		"#else\n\n"
		"SEC(\"socket\")\n"
		"__description(\"callfuzz: stack arguments are not supported by the compiler or the JIT, a dummy test\")\n"
		"__success\n"
		"int %s_dummy(void)\n"
		"{\n\treturn 0;\n}\n\n"
		"#endif\n",
		name);
}

static void hex_rows(FILE *out, const uint8_t *b, int n)
{
	for (int i = 0; i < n; i += 16) {
		fprintf(out, " *\t\t");
		for (int j = i; j < n && j < i + 16; j++)
			fprintf(out, "0x%02x,%s", b[j], j + 1 < n && j + 1 < i + 16 ? " " : "");
		fprintf(out, "\n");
	}
}

/* The run test_loader cannot make, as a prog_tests/ fragment. */
static void ctx_run(FILE *out, const struct selftest_opts *o)
{
	static const uint8_t zeros[CF_CTX_SIZE];
	const uint8_t *in = o->ctx_in ? o->ctx_in : zeros;
	int used = CF_CTX_SIZE;

	fprintf(out,
		"\n/* The run that shows the finding (prog_tests/, libbpf): the kernel copies\n"
		" * the ctx back into ctx_in after the run (ctx_out must stay NULL).\n"
		" *\n"
		" *\t__u8 ctx[%d] = {\n",
		CF_CTX_SIZE);
	while (used > 0 && !in[used - 1])
		used--;
	hex_rows(out, in, used);
	/* a comment inside this comment would end it */
	fprintf(out, " *\t};%s\n", used < CF_CTX_SIZE ? "\t// the rest: zeros" : "");
	fprintf(out,
		" *\tLIBBPF_OPTS(bpf_test_run_opts, topts, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));\n"
		" *\n"
		" *\tASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.%s), &topts), \"run\");\n"
		" *\tASSERT_EQ(topts.retval, %u, \"retval\");\n",
		o->name, (uint32_t)o->retval);
	if (o->ctx_out) {
		int diff = 0;

		for (int i = 0; i < CF_CTX_SIZE; i++)
			diff += o->ctx_out[i] != in[i];
		fprintf(out, " *\n * and the ctx after the run, by the reference interpreter: %s\n",
			diff ? "these bytes differ from ctx_in" : "as it was");
		for (int i = 0; i < CF_CTX_SIZE; i++)
			if (o->ctx_out[i] != in[i])
				fprintf(out, " *\t\tctx[%d] == 0x%02x\n", i, o->ctx_out[i]);
	}
	fprintf(out, " *\n * callfuzz replays it with `callfuzz run --target vm FILE.s` and a\n"
		     " * `; ctx: HEX` line among the file's leading comments.\n */\n");
}

static void btf_companion(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, const char *btf_object)
{
	bool guard = uses_stack_args(p);

	fprintf(out,
		"// SPDX-License-Identifier: GPL-2.0\n"
		"/* BTF for the __naked subprograms of the callfuzz test %s:\n"
		" * test_loader's __btf_func_path(\"%s\") copies their\n"
		" * parameter names from this file's object (never loaded, only its BTF\n"
		" * is read). Under the guard, a compiler with stack arguments. */\n\n"
		"#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n\n",
		o->name, btf_object);
	if (guard)
		fprintf(out, "%s\n", stack_arg_guard);
	for (int pass = 0; pass < (guard ? 2 : 1); pass++) {
		for (int fi = 1; fi < p->nfuncs; fi++) {
			const struct cf_func *f = &p->funcs[fi];

			if (!f->nargs)
				continue;
			fprintf(out, "long %s_%s(", o->name, f->name);
			if (pass == 0)
				for (int a = 1; a <= f->nargs; a++)
					fprintf(out, "%slong a%d", a > 1 ? ", " : "", a);
			else
				fprintf(out, "void");
			fprintf(out, ")\n{\n\treturn 0;\n}\n\n");
		}
		if (guard && pass == 0)
			fprintf(out, "#else\n\n");
	}
	if (guard)
		fprintf(out, "#endif\n");
}

int selftest_write_opts(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, struct cf_err *err)
{
	const char *comment = o->comment ? o->comment : o->name;
	char btf_object[256] = "";
	bool kf[64] = { false }, ctx = false, guard = false;

	if (!is_c_identifier(o->name)) {
		cf_err_set(err, "test name '%s' is not a C identifier", o->name ? o->name : "(null)");
		return -1;
	}
	if (strchr(comment, '"') || strchr(comment, '\\') || strstr(comment, "*/")) {
		cf_err_set(err, "the description may not contain '\"', '\\' or '*/'");
		return -1;
	}
	if (o->kernel) {
		if (kernel_checks(p, o, err))
			return -1;
		ctx = touches_ctx(p);
		guard = uses_stack_args(p);
		if (selftest_needs_btf_companion(p)) {
			if (o->btf_object)
				snprintf(btf_object, sizeof(btf_object), "%s", o->btf_object);
			else
				snprintf(btf_object, sizeof(btf_object), "btf__%s.bpf.o", o->name);
		}
	}

	header(out, p, o, comment, ctx, btf_object[0] ? btf_object : NULL);
	fprintf(out, "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n#include \"bpf_misc.h\"\n\n");
	if (guard)
		fprintf(out, "%s\n", stack_arg_guard);

	/* kfuncs: only the model flavour gets here with any */
	for (int fi = 0; fi < p->nfuncs; fi++)
		for (int pc = 0; pc < p->funcs[fi].ninsns; pc++) {
			const struct bpf_insn *i = &p->funcs[fi].insns[pc];
			const struct cf_callee *c;

			if (i->code != (BPF_JMP | BPF_CALL) || i->src_reg != BPF_PSEUDO_KFUNC_CALL)
				continue;
			c = cf_callee_find(true, i->imm);
			if (c && cf_callee_index(c) < 64)
				kf[cf_callee_index(c)] = true;
		}
	for (int k = 0; k < cf_ncallees && k < 64; k++) {
		if (!kf[k])
			continue;
		fprintf(out, "/* a kfunc of callfuzz's model environment */\nextern long %s(", cf_callees[k].name);
		for (int a = 0; a < cf_callees[k].nargs; a++)
			fprintf(out, "%slong", a ? ", " : "");
		fprintf(out, "%s) __ksym;\n\n", cf_callees[k].nargs ? "" : "void");
	}

	/* subprograms first: the entry's asm names them */
	for (int fi = 1; fi < p->nfuncs; fi++)
		subprog(out, p, fi, o->name);
	entry(out, p, o, comment, ctx, btf_object[0] ? btf_object : NULL);
	if (guard) {
		fprintf(out, "\n");
		dummy(out, o->name);
	}
	fprintf(out, "\nchar _license[] SEC(\"license\") = \"GPL\";\n");
	if (ctx)
		ctx_run(out, o);
	if (btf_object[0])
		btf_companion(o->btf_out, p, o, btf_object);
	return 0;
}

void selftest_write(FILE *out, const struct cf_prog *p, const char *name, uint64_t retval, const char *comment)
{
	struct selftest_opts o = { .name = name, .comment = comment, .retval = retval };
	struct cf_err err;

	if (selftest_write_opts(out, p, &o, &err))
		fprintf(out, "/* callfuzz: no selftest: %s */\n", err.msg);
}

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

/* How a map of the program is written (selftest_write_opts). libbpf turns
 * an ld_imm64 of a symbol into BPF_PSEUDO_MAP_FD when the symbol is a map
 * of SEC(".maps") and into BPF_PSEUDO_MAP_VALUE when it is a global
 * variable (bpf_program__record_reloc, RELO_LD64 / RELO_DATA): a map the
 * program loads as a map is a .maps definition, a map whose value it
 * addresses is a global variable in a section of its own, which libbpf
 * makes a one-entry array (.data.NAME; .rodata.NAME for a read-only map:
 * created with BPF_F_RDONLY_PROG, its contents set and frozen before the
 * load, as callfuzz's targets do). */
enum map_kind {
	MAP_DEF,    /* struct { ... } NAME SEC(".maps") */
	MAP_DATA,   /* unsigned char NAME[V] SEC(".data.NAME") */
	MAP_RODATA, /* const volatile unsigned char NAME[V] SEC(".rodata.NAME") = { ... } */
};

#define ST_MAX_PROGS (1 + CF_MAX_TAILS)

/* What the writer names: each program's entry (the test, then its
 * tail-call targets) and each map. */
struct names {
	int nprogs;
	const struct cf_prog *progs[ST_MAX_PROGS];
	char stem[ST_MAX_PROGS][160]; /* the entry's C name; its subprogram f is STEM_f */
	char map[CF_MAX_MAPS][CF_NAME_MAX + 8];
	enum map_kind kind[CF_MAX_MAPS];
};

/* A kernel helper: 7.2's helpers of the call table and the map helpers
 * (bpf/calls.c: the map helpers are kernel targets' through
 * cf_check_opts.maps rather than cf_callee.kernel). */
static bool is_kernel_helper(const struct cf_callee *c)
{
	return c && !c->kfunc &&
	       (c->kernel || c->id == BPF_FUNC_map_lookup_elem || c->id == BPF_FUNC_map_update_elem ||
		c->id == BPF_FUNC_map_delete_elem);
}

/* One instruction as an inline-asm string. Calls name the C functions
 * (`call NAME_sub`), helpers their number, kfuncs an __imm operand, maps
 * an __imm_addr operand. */
static void asm_line(FILE *out, const struct names *nm, const struct cf_prog *p, int fi, int pc, const char *stem)
{
	const struct bpf_insn *i = &p->funcs[fi].insns[pc];
	char text[256];

	if (cf_insn_is_pseudo_call(i)) {
		snprintf(text, sizeof(text), "call %s_%s", stem, p->funcs[i->imm].name);
	} else if (cf_insn_is_pseudo_func(i)) {
		/* libbpf turns an ld_imm64 of a subprogram into BPF_PSEUDO_FUNC */
		snprintf(text, sizeof(text), "r%d = %s_%s ll", i->dst_reg, stem, p->funcs[i->imm].name);
	} else if (cf_insn_is_ldimm64(i) && i->src_reg == BPF_PSEUDO_MAP_IDX && i->imm >= 0 && i->imm < p->nmaps) {
		snprintf(text, sizeof(text), "r%d = %%[%s] ll", i->dst_reg, nm->map[i->imm]);
	} else if (cf_insn_is_ldimm64(i) && i->src_reg == BPF_PSEUDO_MAP_IDX_VALUE && i->imm >= 0 &&
		   i->imm < p->nmaps) {
		/* the offset is the relocation's addend */
		if (i[1].imm)
			snprintf(text, sizeof(text), "r%d = %%[%s] + %d ll", i->dst_reg, nm->map[i->imm], i[1].imm);
		else
			snprintf(text, sizeof(text), "r%d = %%[%s] ll", i->dst_reg, nm->map[i->imm]);
	} else if (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_KFUNC_CALL) {
		const struct cf_callee *c = cf_callee_find(true, i->imm);

		snprintf(text, sizeof(text), "call %%[%s]", c ? c->name : "unknown_kfunc");
	} else if (i->code == (BPF_JMP | BPF_CALL)) {
		const struct cf_callee *c = cf_callee_find(false, i->imm);

		if (is_kernel_helper(c))
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

static void func_body(FILE *out, const struct names *nm, const struct cf_prog *p, int fi, const char *stem)
{
	const struct cf_func *f = &p->funcs[fi];
	bool kf[64] = { false }; /* kfuncs used, by call-table index */
	bool mp[CF_MAX_MAPS] = { false };
	bool any = false;

	fprintf(out, "{\n\tasm volatile (\n");
	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];

		asm_line(out, nm, p, fi, pc, stem);
		if (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_KFUNC_CALL) {
			const struct cf_callee *c = cf_callee_find(true, i->imm);
			int k = c ? cf_callee_index(c) : -1;

			if (k >= 0 && k < 64)
				kf[k] = true;
		}
		if (cf_insn_is_ldimm64(i) && (i->src_reg == BPF_PSEUDO_MAP_IDX || i->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) &&
		    i->imm >= 0 && i->imm < p->nmaps)
			mp[i->imm] = true;
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
	for (int m = 0; m < p->nmaps; m++) {
		if (!mp[m])
			continue;
		fprintf(out, "%s __imm_addr(%s)", any ? "," : "", nm->map[m]);
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

/* The test and its tail-call targets: every program the file holds. */
static int prog_count(const struct cf_prog *p)
{
	return 1 + (p->ntails > 0 ? p->ntails : 0);
}

static const struct cf_prog *prog_at(const struct cf_prog *p, int k)
{
	return k ? &p->tails[k - 1] : p;
}

static bool uses_stack_args(const struct cf_prog *p)
{
	for (int k = 0; k < prog_count(p); k++)
		for (int fi = 1; fi < prog_at(p, k)->nfuncs; fi++)
			if (prog_at(p, k)->funcs[fi].nargs > CF_MAX_REG_ARGS)
				return true;
	return false;
}

bool selftest_needs_btf_companion(const struct cf_prog *p)
{
	for (int k = 0; k < prog_count(p); k++)
		for (int fi = 1; fi < prog_at(p, k)->nfuncs; fi++)
			if (prog_at(p, k)->funcs[fi].nargs > 0)
				return true;
	return false;
}

/* Every helper and kfunc callfuzz knows is its model environment's
 * (bpf/calls.c, harness/env/env.h), a kernel has none of them, except the
 * kernel's own helpers (cf_callee.kernel: `call N` assembles as is) and
 * kfuncs (the number iterator's: `call %[bpf_iter_num_new]`). */
static int refuse_model_callees(const struct cf_prog *p, struct cf_err *err)
{
	for (int k = 0; k < prog_count(p); k++) {
		const struct cf_prog *q = prog_at(p, k);

		for (int fi = 0; fi < q->nfuncs; fi++)
			for (int pc = 0; pc < q->funcs[fi].ninsns; pc++) {
				const struct bpf_insn *i = &q->funcs[fi].insns[pc];
				bool kfunc = i->src_reg == BPF_PSEUDO_KFUNC_CALL;
				const struct cf_callee *c;

				if (i->code != (BPF_JMP | BPF_CALL) || cf_insn_is_pseudo_call(i))
					continue;
				c = cf_callee_find(kfunc, i->imm);
				if (c && c->kernel && kfunc)
					continue; /* declared by libbpf's bpf_helpers.h (__weak __ksym) */
				if (is_kernel_helper(c))
					continue;
				cf_err_set(err,
					   "func %s insn %d: calls %s %s, which only callfuzz's model environment has "
					   "(harness/env/env.h): a kernel selftest cannot call it",
					   q->funcs[fi].name, pc, kfunc ? "kfunc" : "helper", c ? c->name : "(unknown)");
				return -1;
			}
	}
	return 0;
}

/* Names BPF assembly reads as something else (clang-19 refuses `r1 = s ll`,
 * `r1 = u64 ll`, `r1 = exit ll`, ...), that C reserves or that the headers
 * declare: such a map's variable is written map_NAME. */
static bool map_name_unsafe(const char *s)
{
	static const char *const words[] = {
		"ll", "exit", "goto", "gotol", "if", "be16", "be32", "be64", "le16", "le32", "le64", "bswap16",
		"bswap32", "bswap64", "xchg_64", "xchg32_32", "cmpxchg_64", "cmpxchg32_32", "lock", "call", "callx",
		"may_goto", "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
		"enum", "extern", "float", "for", "inline", "int", "long", "register", "restrict", "return", "short",
		"signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile",
		"while", "main", "_license",
	};
	const char *d = s + 1;

	if (!s[0] || !s[1] || !strncmp(s, "bpf_", 4))
		return true; /* bpf_*: bpf_helper_defs.h's helpers, bpf_helpers.h's kfuncs */
	if (strchr("rwsu", s[0])) {
		while (*d >= '0' && *d <= '9')
			d++;
		if (!*d)
			return true; /* r1, w10, s32, u64 */
	}
	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (!strcmp(s, words[k]))
			return true;
	return false;
}

/* Names every program and map, and says how each map is written (enum
 * map_kind); -1 with err set for a map libbpf cannot give the program in
 * the way it uses it. */
static int name_all(const struct cf_prog *p, const char *name, struct names *nm, struct cf_err *err)
{
	int as_map[CF_MAX_MAPS][3], as_value[CF_MAX_MAPS][3];

	memset(nm, 0, sizeof(*nm));
	nm->nprogs = prog_count(p);
	if (nm->nprogs > ST_MAX_PROGS) {
		cf_err_set(err, "%d tail-call targets (at most %d)", p->ntails, CF_MAX_TAILS);
		return -1;
	}
	for (int k = 0; k < nm->nprogs; k++) {
		const struct cf_prog *q = prog_at(p, k);

		nm->progs[k] = q;
		if (k == 0)
			snprintf(nm->stem[k], sizeof(nm->stem[k]), "%s", name);
		else
			snprintf(nm->stem[k], sizeof(nm->stem[k]), "%s_%s", name, q->nfuncs ? q->funcs[0].name : "tail");
	}
	/* every C function name once: STEM, STEM_f */
	for (int k = 0; k < nm->nprogs; k++)
		for (int fi = 0; fi < nm->progs[k]->nfuncs; fi++)
			for (int k2 = 0; k2 < nm->nprogs; k2++)
				for (int f2 = 0; f2 < nm->progs[k2]->nfuncs; f2++) {
					char a[256], b[256];

					if (k2 < k || (k2 == k && f2 <= fi))
						continue;
					snprintf(a, sizeof(a), "%s%s%s", nm->stem[k], fi ? "_" : "",
						 fi ? nm->progs[k]->funcs[fi].name : "");
					snprintf(b, sizeof(b), "%s%s%s", nm->stem[k2], f2 ? "_" : "",
						 f2 ? nm->progs[k2]->funcs[f2].name : "");
					if (!strcmp(a, b)) {
						cf_err_set(err, "two functions would both be written %s: rename one", a);
						return -1;
					}
				}

	for (int m = 0; m < p->nmaps; m++) {
		const char *n = p->maps[m].name;

		snprintf(nm->map[m], sizeof(nm->map[m]), "%s%s", map_name_unsafe(n) ? "map_" : "", n);
		if (!strncmp(nm->map[m], name, strlen(name))) {
			cf_err_set(err, "map %s: its name starts with the test's name %s, which the functions use", n,
				   name);
			return -1;
		}
		for (int m2 = 0; m2 < m; m2++)
			if (!strcmp(nm->map[m], nm->map[m2])) {
				cf_err_set(err, "maps %s and %s would both be written %s: rename one", p->maps[m2].name,
					   n, nm->map[m]);
				return -1;
			}
		as_map[m][0] = as_value[m][0] = -1;
	}
	/* how each map is loaded, first place of each kind */
	for (int k = 0; k < nm->nprogs; k++)
		for (int fi = 0; fi < nm->progs[k]->nfuncs; fi++) {
			const struct cf_func *f = &nm->progs[k]->funcs[fi];

			for (int pc = 0; pc < f->ninsns; pc++) {
				const struct bpf_insn *i = &f->insns[pc];
				int(*first)[3];

				if (!cf_insn_is_ldimm64(i))
					continue;
				first = i->src_reg == BPF_PSEUDO_MAP_IDX	     ? as_map
					: i->src_reg == BPF_PSEUDO_MAP_IDX_VALUE ? as_value
										 : NULL;
				if (first && i->imm >= 0 && i->imm < p->nmaps && first[i->imm][0] < 0) {
					first[i->imm][0] = k;
					first[i->imm][1] = fi;
					first[i->imm][2] = pc;
				}
				pc++;
			}
		}
	for (int m = 0; m < p->nmaps; m++) {
		const struct cf_map *mp = &p->maps[m];

		if (mp->type == BPF_MAP_TYPE_PROG_ARRAY || (as_value[m][0] < 0 && !mp->rdonly)) {
			nm->kind[m] = MAP_DEF;
			continue;
		}
		if (as_map[m][0] >= 0) {
			const struct cf_prog *q = nm->progs[as_map[m][0]];

			if (as_value[m][0] >= 0)
				cf_err_set(err,
					   "map %s: func %s insn %d loads it as a map (map[%s]) and func %s insn %d by its "
					   "value's address (map[%s][0]+OFF): libbpf gives a SEC(\".maps\") map only the "
					   "first (BPF_PSEUDO_MAP_FD) and a global-data map only the second "
					   "(BPF_PSEUDO_MAP_VALUE); reproduce it with `callfuzz run --target vm`",
					   mp->name, q->funcs[as_map[m][1]].name, as_map[m][2], mp->name,
					   nm->progs[as_value[m][0]]->funcs[as_value[m][1]].name, as_value[m][2], mp->name);
			else
				cf_err_set(err,
					   "map %s: read-only with contents, and func %s insn %d loads it as a map "
					   "(map[%s]): libbpf sets contents and freezes only a global-data map (.rodata), "
					   "which a program gets by its value's address only (BPF_PSEUDO_MAP_VALUE); "
					   "reproduce it with `callfuzz run --target vm`",
					   mp->name, q->funcs[as_map[m][1]].name, as_map[m][2], mp->name);
			return -1;
		}
		nm->kind[m] = mp->rdonly ? MAP_RODATA : MAP_DATA;
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
	o.maps = true;
	o.raw_tp = true;
	o.kfuncs = true;
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
	co.maps = true;         /* the vm target's maps, prog arrays and raw tracepoints */
	co.raw_tp = true;
	co.kfuncs = true; /* libbpf resolves __ksym through the kernel's BTF: a kernel with it */
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

static bool has_maps_beyond_prog_arrays(const struct cf_prog *p)
{
	for (int m = 0; m < p->nmaps; m++)
		if (p->maps[m].type != BPF_MAP_TYPE_PROG_ARRAY)
			return true;
	return false;
}

/* Why test_loader cannot run the test itself (the run is the prog_tests/
 * fragment at the end of the file), or NULL. */
static const char *no_run_reason(const struct cf_prog *p, bool ctx)
{
	if (p->prog_type == CF_PROG_RAW_TP)
		return " * LIMITATION: test_loader test-runs a program that is not SYSCALL with\n"
		       " * data_in, data_out and repeat set, and bpf_prog_test_run_raw_tp\n"
		       " * refuses all three (EINVAL); it also needs a ctx_in of at least the\n"
		       " * deepest ctx offset the program reads. So this test only checks that\n"
		       " * the verifier accepts it; the run on the finding's ctx, with its\n"
		       " * expected r0, is at the end of this file.\n";
	if (ctx)
		return " * LIMITATION: the program touches its ctx. test_loader gives a SYSCALL\n"
		       " * program no ctx_in, and BPF_PROG_TEST_RUN refuses a SYSCALL program\n"
		       " * whose ctx_size_in is below the deepest ctx offset it touches (EINVAL),\n"
		       " * so this test only checks that the verifier accepts it; the run on\n"
		       " * the finding's ctx, with its expected r0, is at the end of this file.\n";
	return NULL;
}

static void header(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, const char *comment, bool ctx,
		   const char *btf_object)
{
	const char *limitation = no_run_reason(p, ctx);

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
		" *\n",
		comment);
	if (p->prog_type == CF_PROG_RAW_TP)
		fprintf(out,
			" * SEC(\"raw_tp\"): callfuzz's vm target loads the program as\n"
			" * BPF_PROG_TYPE_RAW_TRACEPOINT (not sleepable, no attach name) and\n"
			" * test-runs it on a ctx of 12 u64 arguments (bpf_prog_test_run_raw_tp).\n");
	else
		fprintf(out,
			" * SEC(\"syscall\"): callfuzz's vm and kernel targets load the program as\n"
			" * BPF_PROG_TYPE_SYSCALL, and upstream's verifier tests use that type with\n"
			" * __retval too (verifier_arena.c). test_loader test-runs a SYSCALL\n"
			" * program with empty options (do_prog_test_run's empty_opts), so\n"
			" * __retval works as for \"tc\"; a \"tc\" or \"socket\" program would read\n"
			" * its ctx as a __sk_buff with rewritten accesses, another program.\n");
	if (has_maps_beyond_prog_arrays(p))
		fprintf(out,
			" *\n"
			" * Maps: a map the program loads as a map (`r1 = %%[m] ll`, which libbpf\n"
			" * makes BPF_PSEUDO_MAP_FD) is defined in SEC(\".maps\"); a map whose value\n"
			" * it addresses (BPF_PSEUDO_MAP_VALUE) is a global variable in a section\n"
			" * of its own, which libbpf makes a one-entry array: .rodata.NAME for a\n"
			" * read-only one (BPF_F_RDONLY_PROG, contents set and frozen before the\n"
			" * load), .data.NAME for a writable one (libbpf adds BPF_F_MMAPABLE).\n");
	if (p->ntails)
		fprintf(out,
			" *\n"
			" * Tail calls: each target is a program of its own, __auxiliary (test_loader\n"
			" * loads it with the test), and its prog array names it in its static\n"
			" * initializer (.values), which libbpf fills after loading the programs.\n");
	if (limitation)
		fprintf(out, " *\n%s", limitation);
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

static void hex_bytes(FILE *out, const uint8_t *b, int n)
{
	for (int i = 0; i < n; i++)
		fprintf(out, "%s0x%02x", i ? ", " : "", b[i]);
}

/* The maps, before the functions that name them. */
static void map_defs(FILE *out, const struct cf_prog *p, const struct names *nm)
{
	for (int m = 0; m < p->nmaps; m++) {
		const struct cf_map *mp = &p->maps[m];
		const char *c = nm->map[m];

		switch (nm->kind[m]) {
		case MAP_RODATA: {
			int used = (int)mp->value_size;

			while (used > 0 && !mp->init[used - 1])
				used--;
			fprintf(out, "/* map %s: read-only, one value of %u bytes */\n", mp->name, mp->value_size);
			fprintf(out, "const volatile unsigned char %s[%u] SEC(\".rodata.%s\") = {", c, mp->value_size, c);
			if (used) {
				fprintf(out, "\n\t");
				hex_bytes(out, mp->init, used);
				fprintf(out, ",\n");
			} else {
				fprintf(out, " 0 ");
			}
			fprintf(out, "};\n\n");
			break;
		}
		case MAP_DATA:
			fprintf(out, "/* map %s: an array of one value of %u bytes, addressed by the program */\n",
				mp->name, mp->value_size);
			fprintf(out, "unsigned char %s[%u] SEC(\".data.%s\");\n\n", c, mp->value_size, c);
			break;
		case MAP_DEF:
			if (mp->type == BPF_MAP_TYPE_PROG_ARRAY) {
				bool any = false;

				for (uint32_t e = 0; e < mp->max_entries && e < CF_MAP_MAX_ENTRIES; e++)
					if (mp->tail_slot[e] && mp->tail_slot[e] <= p->ntails)
						any = true;
				fprintf(out, "/* map %s: a prog array, filled as the finding's was */\n", mp->name);
				fprintf(out,
					"struct {\n\t__uint(type, BPF_MAP_TYPE_PROG_ARRAY);\n\t__uint(max_entries, %u);\n"
					"\t__uint(key_size, sizeof(__u32));\n\t__array(values, void (void));\n} %s SEC(\".maps\")",
					mp->max_entries, c);
				if (any) {
					fprintf(out, " = {\n\t.values = {\n");
					for (uint32_t e = 0; e < mp->max_entries && e < CF_MAP_MAX_ENTRIES; e++)
						if (mp->tail_slot[e] && mp->tail_slot[e] <= p->ntails)
							fprintf(out, "\t\t[%u] = (void *)&%s,\n", e, nm->stem[mp->tail_slot[e]]);
					fprintf(out, "\t},\n}");
				}
				fprintf(out, ";\n\n");
				break;
			}
			fprintf(out, "/* map %s */\n", mp->name);
			fprintf(out,
				"struct {\n\t__uint(type, %s);\n\t__uint(max_entries, %u);\n\t__uint(key_size, %u);\n"
				"\t__uint(value_size, %u);\n} %s SEC(\".maps\");\n\n",
				mp->type == BPF_MAP_TYPE_HASH ? "BPF_MAP_TYPE_HASH" : "BPF_MAP_TYPE_ARRAY", mp->max_entries,
				mp->key_size, mp->value_size, c);
			break;
		}
	}
}

static void subprog(FILE *out, const struct names *nm, const struct cf_prog *p, int fi, const char *stem)
{
	const struct cf_func *f = &p->funcs[fi];

	fprintf(out, "/* %s: %d argument%s%s */\n", f->name, f->nargs, f->nargs == 1 ? "" : "s",
		f->global ? ", global" : f->nargs > CF_MAX_REG_ARGS ? ", 6.. through r11" : "");
	fprintf(out, "__noinline __used __naked\n%slong %s_%s(", f->global ? "" : "static ", stem, f->name);
	for (int a = 1; a <= f->nargs; a++)
		fprintf(out, "%slong a%d", a > 1 ? ", " : "", a);
	fprintf(out, "%s)\n", f->nargs ? "" : "void");
	func_body(out, nm, p, fi, stem);
	fprintf(out, "\n");
}

static const char *section(const struct cf_prog *p, const struct selftest_opts *o)
{
	if (!o->kernel)
		return "tc";
	return p->prog_type == CF_PROG_RAW_TP ? "raw_tp" : "syscall";
}

/* A tail-call target: a program of its own that test_loader loads with
 * the test and does not run by itself. */
static void target(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, const struct names *nm, int k)
{
	const struct cf_prog *t = nm->progs[k];

	for (int fi = 1; fi < t->nfuncs; fi++)
		subprog(out, nm, t, fi, nm->stem[k]);
	fprintf(out, "/* tail-call target %s", t->funcs[0].name);
	for (int m = 0; m < p->nmaps; m++)
		for (uint32_t e = 0; e < p->maps[m].max_entries && e < CF_MAP_MAX_ENTRIES; e++)
			if (p->maps[m].tail_slot[e] == k)
				fprintf(out, ", %s[%u]", p->maps[m].name, e);
	/* test_loader copies the parameter names of every function of the
	 * object from the entry's __btf_func_path */
	fprintf(out, " */\nSEC(\"%s\")\n__auxiliary\n", section(p, o));
	fprintf(out, "__naked void %s(void)\n", nm->stem[k]);
	func_body(out, nm, t, 0, nm->stem[k]);
	fprintf(out, "\n");
}

static void entry(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, const struct names *nm,
		  const char *comment, bool no_run, const char *btf_object)
{
	uint32_t low = (uint32_t)o->retval;

	fprintf(out, "SEC(\"%s\")\n__description(\"callfuzz: %s\")\n", section(p, o), comment);
	/* BPF_PROG_TEST_RUN returns r0's low 32 bits; test_loader compares
	 * them as an int with the int that __retval parses */
	if (no_run)
		fprintf(out, "__success\t/* no __retval: see the LIMITATION above */\n");
	else
		fprintf(out, "__success __retval(%d)\n", (int32_t)low);
	if (o->retval >> 32)
		fprintf(out, "/* the interpreter's full r0 is 0x%016" PRIx64 " */\n", o->retval);
	if (o->kernel && !no_run && low == TEST_LOADER_POINTER_VALUE)
		fprintf(out, "/* 0x%x is test_loader's POINTER_VALUE: it does not compare this __retval */\n", low);
	if (btf_object)
		fprintf(out, "__btf_func_path(\"%s\")\n", btf_object);
	fprintf(out, "__naked void %s(void)\n", o->name);
	func_body(out, nm, p, 0, o->name);
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

/* The maps after the interpreter's run (bpf.h cf_map_dump: per map a u32
 * count, then the entries sorted by key, each key then value). */
static void maps_after(FILE *out, const struct cf_prog *p, const struct names *nm, const struct cf_map_dump *d)
{
	fprintf(out, " *\n * and the maps after the run, by the reference interpreter\n"
		     " * (bpf_map_lookup_elem on bpf_map__fd(skel->maps.NAME), or the\n"
		     " * skeleton's global for a map written as a global variable):\n");
	for (int m = 0; m < p->nmaps; m++) {
		const struct cf_map *mp = &p->maps[m];
		uint32_t esize = mp->key_size + mp->value_size, n;
		const uint8_t *entries = cf_map_dump_entries(p, d, m, &n);

		if (!entries)
			return;
		if (mp->type != BPF_MAP_TYPE_PROG_ARRAY && !mp->rdonly) {
			fprintf(out, " *\t%s: %u entr%s%s\n", nm->map[m], n, n == 1 ? "y" : "ies",
				mp->type == BPF_MAP_TYPE_ARRAY ? " (an array: every index; those not listed are zeros)"
							       : "");
			for (uint32_t e = 0; e < n; e++) {
				const uint8_t *kv = entries + e * esize;
				bool zero = true;

				for (uint32_t b = 0; b < mp->value_size; b++)
					zero &= !kv[mp->key_size + b];
				if (zero && mp->type == BPF_MAP_TYPE_ARRAY)
					continue;
				fprintf(out, " *\t\tkey {");
				for (uint32_t b = 0; b < mp->key_size; b++)
					fprintf(out, "%s0x%02x", b ? ", " : " ", kv[b]);
				fprintf(out, " } value {");
				for (uint32_t b = 0; b < mp->value_size; b++)
					fprintf(out, "%s0x%02x", b ? ", " : " ", kv[mp->key_size + b]);
				fprintf(out, " }\n");
			}
		}
	}
}

static bool has_writable_maps(const struct cf_prog *p)
{
	for (int m = 0; m < p->nmaps; m++)
		if (p->maps[m].type != BPF_MAP_TYPE_PROG_ARRAY && !p->maps[m].rdonly)
			return true;
	return false;
}

/* The run test_loader cannot make, as a prog_tests/ fragment: with the
 * finding's ctx when test_loader cannot run the test (no_run), and the
 * maps after the run, which test_loader never reads (a KERNEL-jit-map
 * finding shows only there). */
static void ctx_run(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, const struct names *nm,
		    bool no_run)
{
	static const uint8_t zeros[CF_CTX_SIZE];
	const uint8_t *in = o->ctx_in ? o->ctx_in : zeros;
	bool raw_tp = p->prog_type == CF_PROG_RAW_TP;
	int size = raw_tp ? CF_RAW_TP_CTX_SIZE : CF_CTX_SIZE, used = size;

	if (!no_run) {
		fprintf(out,
			"\n/* test_loader compares r0 only. The maps after its run (empty options),\n"
			" * for a prog_tests/ test (libbpf):\n"
			" *\n"
			" *\tLIBBPF_OPTS(bpf_test_run_opts, topts);\n"
			" *\n"
			" *\tASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.%s), &topts), \"run\");\n"
			" *\tASSERT_EQ(topts.retval, %u, \"retval\");\n",
			o->name, (uint32_t)o->retval);
		maps_after(out, p, nm, o->maps_out);
		fprintf(out, " */\n");
		return;
	}
	fprintf(out, "\n/* The run that shows the finding (prog_tests/, libbpf): %s\n *\n *\t__u8 ctx[%d] = {\n",
		raw_tp ? "a raw tracepoint's\n * ctx is read-only, the kernel gives nothing back but r0 (data_in,\n"
			 " * data_out, ctx_out and repeat must stay 0)."
		       : "the kernel copies\n * the ctx back into ctx_in after the run (ctx_out must stay NULL).",
		size);
	while (used > 0 && !in[used - 1])
		used--;
	hex_rows(out, in, used);
	/* a comment inside this comment would end it */
	fprintf(out, " *\t};%s\n", used < size ? "\t// the rest: zeros" : "");
	fprintf(out,
		" *\tLIBBPF_OPTS(bpf_test_run_opts, topts, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));\n"
		" *\n"
		" *\tASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.%s), &topts), \"run\");\n"
		" *\tASSERT_EQ(topts.retval, %u, \"retval\");\n",
		o->name, (uint32_t)o->retval);
	if (o->ctx_out && !raw_tp) {
		int diff = 0;

		for (int i = 0; i < CF_CTX_SIZE; i++)
			diff += o->ctx_out[i] != in[i];
		fprintf(out, " *\n * and the ctx after the run, by the reference interpreter: %s\n",
			diff ? "these bytes differ from ctx_in" : "as it was");
		for (int i = 0; i < CF_CTX_SIZE; i++)
			if (o->ctx_out[i] != in[i])
				fprintf(out, " *\t\tctx[%d] == 0x%02x\n", i, o->ctx_out[i]);
	}
	if (o->maps_out && has_writable_maps(p))
		maps_after(out, p, nm, o->maps_out);
	fprintf(out, " *\n * callfuzz replays it with `callfuzz run --target vm FILE.s` and a\n"
		     " * `; ctx: HEX` line among the file's leading comments.\n */\n");
}

static void btf_companion(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, const struct names *nm,
			  const char *btf_object)
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
		for (int k = 0; k < nm->nprogs; k++)
			for (int fi = 1; fi < nm->progs[k]->nfuncs; fi++) {
				const struct cf_func *f = &nm->progs[k]->funcs[fi];

				if (!f->nargs)
					continue;
				fprintf(out, "long %s_%s(", nm->stem[k], f->name);
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

/* clang emits no BTF for a kfunc only the inline assembly calls, and
 * libbpf resolves a __ksym extern through its BTF: upstream's
 * iters_state_safety.c calls them once from C for that, in a test of its
 * own (bpf_repeat: bpf_iter_num_new, _next and _destroy). */
static void kfunc_btf(FILE *out, const char *name)
{
	fprintf(out,
		"/* clang emits BTF for the kfuncs (bpf_iter_num_*, declared __ksym by\n"
		" * bpf_helpers.h) only when C calls them, and libbpf needs it to resolve\n"
		" * them: as in iters_state_safety.c */\n"
		"SEC(\"?raw_tp\")\n"
		"__success\n"
		"int %s_btf_for_kfuncs(void *ctx)\n"
		"{\n"
		"\tbpf_repeat(0);\n"
		"\treturn 0;\n"
		"}\n\n",
		name);
}

int selftest_write_opts(FILE *out, const struct cf_prog *p, const struct selftest_opts *o, struct cf_err *err)
{
	const char *comment = o->comment ? o->comment : o->name;
	char btf_object[256] = "";
	bool kf[64] = { false }, ctx = false, guard = false, no_run = false, kernel_kfuncs = false;
	struct names nm;

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
		no_run = ctx || p->prog_type == CF_PROG_RAW_TP;
		guard = uses_stack_args(p);
		if (selftest_needs_btf_companion(p)) {
			if (o->btf_object)
				snprintf(btf_object, sizeof(btf_object), "%s", o->btf_object);
			else
				snprintf(btf_object, sizeof(btf_object), "btf__%s.bpf.o", o->name);
		}
	}
	if (name_all(p, o->name, &nm, err))
		return -1;

	header(out, p, o, comment, ctx, btf_object[0] ? btf_object : NULL);
	fprintf(out, "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n#include \"bpf_misc.h\"\n\n");

	/* kfuncs: the model environment's are declared here; the kernel's
	 * (the number iterator's) by libbpf's bpf_helpers.h */
	for (int k = 0; k < nm.nprogs; k++)
		for (int fi = 0; fi < nm.progs[k]->nfuncs; fi++)
			for (int pc = 0; pc < nm.progs[k]->funcs[fi].ninsns; pc++) {
				const struct bpf_insn *i = &nm.progs[k]->funcs[fi].insns[pc];
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
		if (cf_callees[k].kernel) {
			kernel_kfuncs = true;
			continue;
		}
		fprintf(out, "/* a kfunc of callfuzz's model environment */\nextern long %s(", cf_callees[k].name);
		for (int a = 0; a < cf_callees[k].nargs; a++)
			fprintf(out, "%slong", a ? ", " : "");
		fprintf(out, "%s) __ksym;\n\n", cf_callees[k].nargs ? "" : "void");
	}

	if (kernel_kfuncs)
		kfunc_btf(out, o->name);
	if (guard)
		fprintf(out, "%s\n", stack_arg_guard);

	/* the targets' declarations, for the prog arrays' initializers */
	if (nm.nprogs > 1) {
		fprintf(out, "/* the tail-call targets (below) */\n");
		for (int k = 1; k < nm.nprogs; k++)
			fprintf(out, "__naked void %s(void);\n", nm.stem[k]);
		fprintf(out, "\n");
	}
	map_defs(out, p, &nm);
	/* subprograms first: the entries' asm names them */
	for (int k = 1; k < nm.nprogs; k++)
		target(out, p, o, &nm, k);
	for (int fi = 1; fi < p->nfuncs; fi++)
		subprog(out, &nm, p, fi, o->name);
	entry(out, p, o, &nm, comment, no_run, btf_object[0] ? btf_object : NULL);
	if (guard) {
		fprintf(out, "\n");
		dummy(out, o->name);
	}
	fprintf(out, "\nchar _license[] SEC(\"license\") = \"GPL\";\n");
	if (no_run || (o->kernel && o->maps_out && has_writable_maps(p)))
		ctx_run(out, p, o, &nm, no_run);
	if (btf_object[0])
		btf_companion(o->btf_out, p, o, &nm, btf_object);
	return 0;
}

void selftest_write(FILE *out, const struct cf_prog *p, const char *name, uint64_t retval, const char *comment)
{
	struct selftest_opts o = { .name = name, .comment = comment, .retval = retval };
	struct cf_err err;

	if (selftest_write_opts(out, p, &o, &err))
		fprintf(out, "/* callfuzz: no selftest: %s */\n", err.msg);
}

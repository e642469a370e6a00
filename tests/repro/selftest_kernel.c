/* tests/repro/selftest_kernel.c: the kernel flavour of the selftest
 * export (selftest_write_opts with .kernel): upstream's stack-argument
 * guard and dummy test, SEC("syscall"), __retval from r0's low 32 bits,
 * the btf__ companion for __btf_func_path, the ctx limitation, and
 * refusals that write nothing. tests/e2e/selftest_kernel_compile.sh
 * compiles the output against the kernel tree's own bpf_misc.h. */
#include "harness/repro/repro.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char sum9_text[] =
	".func main\n"
	"    r1 = 1\n"
	"    r2 = 2\n"
	"    r3 = 3\n"
	"    r4 = 4\n"
	"    r5 = 5\n"
	"    *(u64 *)(r11 - 8) = 6\n"
	"    r0 = 7\n"
	"    *(u64 *)(r11 - 16) = r0\n"
	"    *(u64 *)(r11 - 24) = 8\n"
	"    *(u64 *)(r11 - 32) = -9\n"
	"    call sum9\n"
	"    exit\n"
	"\n"
	".func sum9, 9\n"
	"    r6 = *(u64 *)(r11 + 8)\n"
	"    r9 = *(u64 *)(r11 + 32)\n"
	"    r0 = r1\n"
	"    r0 += r6\n"
	"    r0 += r9\n"
	"    exit\n";

static const char guard[] = "#if (defined(__TARGET_ARCH_x86) || defined(__TARGET_ARCH_arm64)) && \\\n"
			    "\tdefined(__BPF_FEATURE_STACK_ARGUMENT)\n";

/* The writer's outputs as strings (malloc'd; NULL when it refused). */
struct written {
	int rc;
	char *text, *btf;
	size_t len, btf_len;
	struct cf_err err;
};

static void write_kernel(const char *src, struct selftest_opts *o, bool with_btf, struct written *w)
{
	struct cf_prog p;
	FILE *f, *b = NULL;

	memset(w, 0, sizeof(*w));
	if (cf_asm_parse(src, strlen(src), "t.s", &p, &w->err)) {
		w->rc = -2;
		return;
	}
	f = open_memstream(&w->text, &w->len);
	if (with_btf)
		b = open_memstream(&w->btf, &w->btf_len);
	o->kernel = true;
	o->btf_out = b;
	w->rc = selftest_write_opts(f, &p, o, &w->err);
	fclose(f);
	if (b)
		fclose(b);
	cf_prog_free(&p);
}

static void written_free(struct written *w)
{
	free(w->text);
	free(w->btf);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

TEST(selftest_kernel_stack_args_guarded_like_verifier_stack_arg)
{
	struct selftest_opts o = { .name = "stack_arg_repro", .comment = "KERNEL-jit-retval: t", .retval = 76,
				   .btf_object = "btf__verifier_t.bpf.o" };
	struct written w;

	write_kernel(sum9_text, &o, true, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	/* the guard opens the file's body, the dummy test closes it */
	CHECK_CONTAINS(w.text, guard);
	CHECK(strstr(w.text, guard) < strstr(w.text, "stack_arg_repro_sum9("));
	CHECK_CONTAINS(w.text, "#else\n\nSEC(\"socket\")\n");
	CHECK_CONTAINS(w.text, "__success\nint stack_arg_repro_dummy(void)\n{\n\treturn 0;\n}\n\n#endif\n");
	CHECK(strstr(w.text, "#endif") < strstr(w.text, "char _license[]"));
	/* the program type of the vm/kernel targets */
	CHECK_CONTAINS(w.text, "SEC(\"syscall\")\n__description(\"callfuzz: KERNEL-jit-retval: t\")\n");
	CHECK(!strstr(w.text, "SEC(\"tc\")"));
	CHECK_CONTAINS(w.text, "__success __retval(76)\n__btf_func_path(\"btf__verifier_t.bpf.o\")\n"
			       "__naked void stack_arg_repro(void)\n");
	/* subprograms declared like verifier_stack_arg_order.c's */
	CHECK_CONTAINS(w.text, "__noinline __used __naked\nstatic long stack_arg_repro_sum9(long a1, long a2, long a3, "
			       "long a4, long a5, long a6, long a7, long a8, long a9)\n");
	CHECK_CONTAINS(w.text, "\"r6 = *(u64 *)(r11 + 8);\"");
	CHECK_CONTAINS(w.text, "\"call stack_arg_repro_sum9;\"");
	/* nothing of the model environment */
	CHECK(!strstr(w.text, "model environment"));
	CHECK(!strstr(w.text, "__ksym"));
	CHECK(!strstr(w.text, "__imm("));
	CHECK(!strstr(w.text, "LIMITATION"));

	/* the companion: named parameters under the same guard, argument-less
	 * definitions in its #else branch */
	REQUIRE(w.btf);
	CHECK_CONTAINS(w.btf, guard);
	CHECK_CONTAINS(w.btf, "long stack_arg_repro_sum9(long a1, long a2, long a3, long a4, long a5, long a6, "
			      "long a7, long a8, long a9)\n{\n\treturn 0;\n}\n");
	CHECK_CONTAINS(w.btf, "#else\n\nlong stack_arg_repro_sum9(void)\n");
	CHECK(!strstr(w.btf, "__naked\n"));
	written_free(&w);
}

TEST(selftest_kernel_five_args_no_guard_but_companion)
{
	static const char src[] = ".func main\n    r1 = 2\n    call inc\n    exit\n"
				  ".func inc, 1\n    r0 = r1\n    r0 += 1\n    exit\n";
	struct selftest_opts o = { .name = "t", .retval = 3 };
	struct written w;

	write_kernel(src, &o, true, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	CHECK(!strstr(w.text, "__BPF_FEATURE_STACK_ARGUMENT"));
	CHECK(!strstr(w.text, "dummy"));
	/* the default object name */
	CHECK_CONTAINS(w.text, "__success __retval(3)\n__btf_func_path(\"btf__t.bpf.o\")\n");
	REQUIRE(w.btf);
	CHECK(!strstr(w.btf, "#if"));
	CHECK_CONTAINS(w.btf, "long t_inc(long a1)\n");
	written_free(&w);
}

TEST(selftest_kernel_no_arguments_no_companion)
{
	static const char src[] = ".func main\n    call g\n    exit\n.func g\n    r0 = 5\n    exit\n";
	struct selftest_opts o = { .name = "t", .retval = 5 };
	struct written w;

	write_kernel(src, &o, false, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	CHECK(!strstr(w.text, "__btf_func_path"));
	CHECK_CONTAINS(w.text, "static long t_g(void)\n");
	written_free(&w);
}

/* BPF_PROG_TEST_RUN keeps r0's low 32 bits; test_loader compares them as
 * an int with the int __retval parses. */
TEST(selftest_kernel_retval_is_low_32_bits_as_int)
{
	static const char src[] = ".func main\n    r0 = 0\n    exit\n";
	struct selftest_opts o = { .name = "t", .retval = 0x00000001fffffffeull };
	struct written w;

	write_kernel(src, &o, false, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	CHECK_CONTAINS(w.text, "__success __retval(-2)\n");
	CHECK_CONTAINS(w.text, "the interpreter's full r0 is 0x00000001fffffffe");
	written_free(&w);

	o.retval = 0x80000000u;
	write_kernel(src, &o, false, &w);
	CHECK_CONTAINS(w.text, "__retval(-2147483648)\n");
	CHECK(!strstr(w.text, "full r0"));
	written_free(&w);

	/* test_loader's POINTER_VALUE is never compared: say so */
	o.retval = 0xbadcafe;
	write_kernel(src, &o, false, &w);
	CHECK_CONTAINS(w.text, "__retval(195939070)\n");
	CHECK_CONTAINS(w.text, "POINTER_VALUE");
	written_free(&w);
}

TEST(selftest_kernel_refuses_model_helpers_and_kfuncs_writing_nothing)
{
	static const char helper[] = ".func main\n    r1 = 1\n    r2 = 2\n    r3 = 3\n    r4 = 4\n    r5 = 5\n"
				     "    call trace\n    r0 = 0\n    exit\n";
	static const char kfunc[] = ".func main\n    r1 = 1\n    r2 = 2\n    r3 = 3\n    r4 = 4\n    r5 = 5\n"
				    "    *(u64 *)(r11 - 8) = 6\n    call kfunc kf_args6\n    r0 = 0\n    exit\n";
	struct selftest_opts o = { .name = "t" };
	struct written w;

	write_kernel(helper, &o, true, &w);
	CHECK_EQ(w.rc, -1);
	CHECK_CONTAINS(w.err.msg, "helper trace");
	CHECK_CONTAINS(w.err.msg, "model environment");
	CHECK_EQ(w.len, 0);
	CHECK_EQ(w.btf_len, 0);
	written_free(&w);

	write_kernel(kfunc, &o, true, &w);
	CHECK_EQ(w.rc, -1);
	CHECK_CONTAINS(w.err.msg, "kfunc kf_args6");
	CHECK_EQ(w.len, 0);
	written_free(&w);

	/* the model flavour keeps them */
	{
		struct cf_prog p;
		struct cf_err err;
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		REQUIRE(cf_asm_parse(kfunc, strlen(kfunc), "t.s", &p, &err) == 0);
		selftest_write(f, &p, "t", 0, NULL);
		fclose(f);
		CHECK_CONTAINS(text, "call %[kf_args6]");
		CHECK_CONTAINS(text, "SEC(\"tc\")");
		free(text);
		cf_prog_free(&p);
	}
}

TEST(selftest_kernel_refuses_what_the_checker_rejects_and_a_missing_companion)
{
	/* r0 is never written: the verifier says "R0 !read_ok" */
	static const char bad[] = ".func main\n    exit\n";
	static const char args[] = ".func main\n    r1 = 2\n    call inc\n    exit\n"
				   ".func inc, 1\n    r0 = r1\n    exit\n";
	struct selftest_opts o = { .name = "t" };
	struct written w;

	write_kernel(bad, &o, true, &w);
	CHECK_EQ(w.rc, -1);
	CHECK_CONTAINS(w.err.msg, "checker rejects");
	CHECK_EQ(w.len, 0);
	written_free(&w);

	write_kernel(args, &o, false, &w);
	CHECK_EQ(w.rc, -1);
	CHECK_CONTAINS(w.err.msg, "btf_out");
	CHECK_EQ(w.len, 0);
	written_free(&w);

	o.name = "not an identifier";
	write_kernel(args, &o, true, &w);
	CHECK_EQ(w.rc, -1);
	CHECK_EQ(w.len, 0);
	written_free(&w);
}

/* test_loader runs SYSCALL programs without ctx_in: a program that touches
 * its ctx can only be checked for loading there. */
TEST(selftest_kernel_ctx_limitation_documented_in_the_file)
{
	static const char src[] = ".func main\n    r0 = *(u64 *)(r1 + 8)\n    *(u64 *)(r1 + 16) = r0\n    exit\n";
	uint8_t ctx_in[CF_CTX_SIZE] = { 0 }, ctx_out[CF_CTX_SIZE] = { 0 };
	struct selftest_opts o = { .name = "t", .retval = 0x1ff, .ctx_in = ctx_in, .ctx_out = ctx_out };
	struct written w;

	ctx_in[8] = 0xff;
	ctx_in[9] = 0x01;
	memcpy(ctx_out, ctx_in, sizeof(ctx_in));
	ctx_out[16] = 0xff;
	ctx_out[17] = 0x01;
	write_kernel(src, &o, false, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	CHECK_CONTAINS(w.text, "LIMITATION");
	CHECK_CONTAINS(w.text, "__success\t/* no __retval");
	CHECK(!strstr(w.text, "__retval(511)"));
	CHECK_CONTAINS(w.text, "0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x01,\n");
	CHECK_CONTAINS(w.text, ".ctx_in = ctx, .ctx_size_in = sizeof(ctx)");
	CHECK_CONTAINS(w.text, "ASSERT_EQ(topts.retval, 511, \"retval\")");
	CHECK_CONTAINS(w.text, "ctx[16] == 0xff");
	CHECK_CONTAINS(w.text, "ctx[17] == 0x01");
	/* one comment each, none nested */
	CHECK_EQ(count(w.text, "/*"), count(w.text, "*/"));
	written_free(&w);

	/* a program that never touches ctx keeps its __retval */
	write_kernel(".func main\n    r6 = r1\n    r0 = 1\n    exit\n", &o, false, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	CHECK_CONTAINS(w.text, "__success __retval(511)\n");
	CHECK(!strstr(w.text, "LIMITATION"));
	written_free(&w);
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Both halves of the guard compile with clang-19 against the stand-in
 * bpf_misc.h (clang-19 has no __BPF_FEATURE_STACK_ARGUMENT: -D makes it
 * take the guarded half). The e2e test does this against the kernel
 * tree's own header. */
TEST(selftest_kernel_compiles_with_clang19_both_sides_of_the_guard)
{
	char dir[] = "/tmp/callfuzz-selftest-kernel-XXXXXX", cmd[2048], cwd[1024];
	struct selftest_opts o = { .name = "stack_arg_repro", .retval = 76, .btf_object = "btf__t.bpf.o" };
	struct written w;
	FILE *f;

	if (sh("command -v clang-19 >/dev/null 2>&1"))
		SKIP("clang-19 not installed (Debian package clang-19)");
	REQUIRE(getcwd(cwd, sizeof(cwd)));
	write_kernel(sum9_text, &o, true, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	REQUIRE(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/t.c", dir);
	f = fopen(cmd, "w");
	REQUIRE(f);
	fwrite(w.text, 1, w.len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/btf__t.c", dir);
	f = fopen(cmd, "w");
	REQUIRE(f);
	fwrite(w.btf, 1, w.btf_len, f);
	fclose(f);
	written_free(&w);

	for (int feature = 0; feature < 2; feature++) {
		snprintf(cmd, sizeof(cmd),
			 "cd %s && clang-19 -g -O2 -target bpf -Wall -Werror -D__TARGET_ARCH_arm64 %s "
			 "-I/usr/include/$(gcc -dumpmachine) -I%s/tests/selftest -c t.c -o t%d.o >cc%d.log 2>&1",
			 dir, feature ? "-D__BPF_FEATURE_STACK_ARGUMENT" : "", cwd, feature, feature);
		CHECK_MSG(sh(cmd) == 0, "clang-19 failed: see %s/cc%d.log", dir, feature);
	}
	/* the companion's guarded half needs a compiler with stack arguments
	 * for code, but must at least parse */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && clang-19 -target bpf -Wall -Werror -D__TARGET_ARCH_arm64 -I/usr/include/$(gcc -dumpmachine) "
		 "-c btf__t.c -o btf__t.o >cc-btf.log 2>&1 && clang-19 -target bpf -Wall -Werror -fsyntax-only "
		 "-D__TARGET_ARCH_arm64 -D__BPF_FEATURE_STACK_ARGUMENT -I/usr/include/$(gcc -dumpmachine) btf__t.c "
		 ">>cc-btf.log 2>&1",
		 dir);
	CHECK_MSG(sh(cmd) == 0, "clang-19 failed on the companion: see %s/cc-btf.log", dir);
	/* the guarded half holds the r11 store (0x7a, dst 11), the other not */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && llvm-objdump-19 -d t1.o | grep -q '7a 0b f8 ff 06 00 00 00' && "
		 "! llvm-objdump-19 -d t0.o | grep -q 'r11'",
		 dir);
	if (!sh("command -v llvm-objdump-19 >/dev/null 2>&1"))
		CHECK_MSG(sh(cmd) == 0, "guard halves: see %s", dir);
	if (!test_failed()) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		sh(cmd);
	}
}

/* Maps as upstream's verifier_*.c write them (verifier_array_access.c:
 * a map in SEC(".maps"), `r1 = %[map_hash_48b] ll` with
 * __imm_addr(map_hash_48b)); a map whose value the program addresses is a
 * global variable in a section of its own, which libbpf makes a one-entry
 * array and loads as BPF_PSEUDO_MAP_VALUE with the addend as offset. The
 * expected text is written by hand, not copied from the writer. */
static const char map_prog[] = ".map hm, hash, key=8, value=16, entries=2\n"
			       ".map obs, array, key=4, value=8, entries=1\n"
			       ".func main\n"
			       "    r1 = 0\n"
			       "    *(u64 *)(r10 - 8) = r1\n"
			       "    r2 = r10\n"
			       "    r2 += -8\n"
			       "    r1 = map[hm] ll\n"
			       "    call bpf_map_lookup_elem\n"
			       "    r1 = map[obs][0]+4 ll\n"
			       "    r0 = 7\n"
			       "    exit\n";

TEST(selftest_kernel_maps_like_upstream)
{
	struct selftest_opts o = { .name = "t", .comment = "maps", .retval = 7 };
	struct written w;

	write_kernel(map_prog, &o, false, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	CHECK_CONTAINS(w.text, "struct {\n"
			       "\t__uint(type, BPF_MAP_TYPE_HASH);\n"
			       "\t__uint(max_entries, 2);\n"
			       "\t__uint(key_size, 8);\n"
			       "\t__uint(value_size, 16);\n"
			       "} hm SEC(\".maps\");\n");
	CHECK_CONTAINS(w.text, "unsigned char obs[8] SEC(\".data.obs\");\n");
	CHECK_CONTAINS(w.text, "SEC(\"syscall\")\n"
			       "__description(\"callfuzz: maps\")\n"
			       "__success __retval(7)\n"
			       "__naked void t(void)\n"
			       "{\n"
			       "\tasm volatile (\n"
			       "\t\"r1 = 0;\"\n"
			       "\t\"*(u64 *)(r10 - 8) = r1;\"\n"
			       "\t\"r2 = r10;\"\n"
			       "\t\"r2 += -8;\"\n"
			       "\t\"r1 = %[hm] ll;\"\n"
			       "\t\"call 1;\"\t/* bpf_map_lookup_elem */\n"
			       "\t\"r1 = %[obs] + 4 ll;\"\n"
			       "\t\"r0 = 7;\"\n"
			       "\t\"exit;\"\n"
			       "\t: : __imm_addr(hm), __imm_addr(obs) : __clobber_all);\n"
			       "}\n");
	/* the maps are defined before the function that names them */
	CHECK(strstr(w.text, "} hm SEC(") < strstr(w.text, "__naked void t(void)"));
	CHECK(!strstr(w.text, "map["));
	written_free(&w);
}

/* A read-only map with contents: libbpf creates a .rodata section's map
 * with BPF_F_RDONLY_PROG, sets its value and freezes it before the load,
 * what the vm target does with `rdonly=`. A name BPF assembly would read
 * as something else (`r3 = s ll` does not assemble) gets a prefix. A raw
 * tracepoint is SEC("raw_tp") and cannot be run by test_loader. */
TEST(selftest_kernel_rodata_map_and_raw_tracepoint)
{
	static const char src[] = ".type raw_tracepoint\n"
				  ".map s, array, key=4, value=16, entries=1, rdonly=25640000616263\n"
				  ".func main\n"
				  "    r6 = *(u64 *)(r1 + 8)\n"
				  "    *(u64 *)(r10 - 8) = r6\n"
				  "    r1 = r10\n"
				  "    r1 += -8\n"
				  "    r2 = 3\n"
				  "    r3 = map[s][0]+4 ll\n"
				  "    call bpf_strncmp\n"
				  "    exit\n";
	uint8_t ctx_in[CF_CTX_SIZE] = { 0 };
	struct selftest_opts o = { .name = "t", .comment = "rt", .retval = 0, .ctx_in = ctx_in };
	struct written w;

	ctx_in[8] = 0x61;
	write_kernel(src, &o, false, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	CHECK_CONTAINS(w.text, "const volatile unsigned char map_s[16] SEC(\".rodata.map_s\") = {\n"
			       "\t0x25, 0x64, 0x00, 0x00, 0x61, 0x62, 0x63,\n"
			       "};\n");
	CHECK_CONTAINS(w.text, "SEC(\"raw_tp\")\n__description(\"callfuzz: rt\")\n"
			       "__success\t/* no __retval: see the LIMITATION above */\n__naked void t(void)\n");
	CHECK_CONTAINS(w.text, "\t\"r3 = %[map_s] + 4 ll;\"\n\t\"call 182;\"\t/* bpf_strncmp */\n");
	CHECK_CONTAINS(w.text, ": : __imm_addr(map_s) : __clobber_all);");
	CHECK_CONTAINS(w.text, "bpf_prog_test_run_raw_tp");
	/* the fragment: 12 u64 arguments, nothing copied back */
	CHECK_CONTAINS(w.text, "__u8 ctx[96] = {\n");
	CHECK_CONTAINS(w.text, "0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x61,\n");
	CHECK(!strstr(w.text, "copies\n * the ctx back"));
	CHECK(!strstr(w.text, "SEC(\"syscall\")"));
	CHECK_EQ(count(w.text, "/*"), count(w.text, "*/"));
	written_free(&w);
}

/* Tail calls as upstream's verifier_tailcall_jit.c writes its jmp_table:
 * the prog array filled by its static initializer, each target a program
 * of its own that test_loader loads with the test (__auxiliary). */
TEST(selftest_kernel_prog_array_and_tail_call_target)
{
	static const char src[] = ".map jt, prog_array, entries=2\n"
				  ".func main\n"
				  "    r2 = map[jt] ll\n"
				  "    r3 = 1\n"
				  "    call bpf_tail_call\n"
				  "    r0 = 7\n"
				  "    exit\n"
				  ".prog jt[1]\n"
				  ".func t0\n"
				  "    call g\n"
				  "    exit\n"
				  ".func g\n"
				  "    r0 = 42\n"
				  "    exit\n";
	struct selftest_opts o = { .name = "t", .comment = "tail", .retval = 42 };
	struct written w;

	write_kernel(src, &o, false, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	CHECK_CONTAINS(w.text, "__naked void t_t0(void);\n");
	CHECK_CONTAINS(w.text, "struct {\n"
			       "\t__uint(type, BPF_MAP_TYPE_PROG_ARRAY);\n"
			       "\t__uint(max_entries, 2);\n"
			       "\t__uint(key_size, sizeof(__u32));\n"
			       "\t__array(values, void (void));\n"
			       "} jt SEC(\".maps\") = {\n"
			       "\t.values = {\n"
			       "\t\t[1] = (void *)&t_t0,\n"
			       "\t},\n"
			       "};\n");
	/* the target's subprogram carries its entry's name */
	CHECK_CONTAINS(w.text, "static long t_t0_g(void)\n");
	CHECK_CONTAINS(w.text, "SEC(\"syscall\")\n__auxiliary\n__naked void t_t0(void)\n{\n\tasm volatile (\n"
			       "\t\"call t_t0_g;\"\n\t\"exit;\"\n\t: : : __clobber_all);\n}\n");
	CHECK_CONTAINS(w.text, "__success __retval(42)\n__naked void t(void)\n");
	CHECK_CONTAINS(w.text, "\t\"r2 = %[jt] ll;\"\n\t\"r3 = 1;\"\n\t\"call 12;\"\t/* bpf_tail_call */\n");
	/* declared before the prog array that names it, defined before the entry */
	CHECK(strstr(w.text, "__naked void t_t0(void);") < strstr(w.text, "} jt SEC("));
	CHECK(strstr(w.text, "__naked void t_t0(void)\n") < strstr(w.text, "__naked void t(void)\n"));
	CHECK_EQ(count(w.text, "\n__auxiliary\n"), 1); /* the test itself is no auxiliary */
	written_free(&w);
}

/* The three shapes compile with clang-19 against the stand-in bpf_misc.h
 * and libbpf's bpf_helpers.h, and the relocations are the ones libbpf
 * turns into map loads: against the .maps symbol, the .data / .rodata
 * variable with the offset as addend, and the prog array filled from a
 * relocation against the target. tests/e2e/selftest_kernel_compile.sh does
 * this against the kernel tree's own header, and selftest_kernel_load.sh
 * loads them on the host kernel when it can. */
TEST(selftest_kernel_maps_tail_calls_raw_tp_compile_with_clang19)
{
	static const char tail[] = ".map jt, prog_array, entries=2\n.map m0, array, key=4, value=8, entries=2\n"
				   ".func main\n    r2 = map[jt] ll\n    r3 = 1\n    call bpf_tail_call\n"
				   "    r0 = 7\n    exit\n.prog jt[1]\n.func t0\n    r0 = 42\n    exit\n";
	static const char rodata[] = ".type raw_tracepoint\n.map s, array, key=4, value=16, entries=1, rdonly=25640000616263\n"
				     ".func main\n    r1 = r10\n    r1 += -8\n    *(u64 *)(r10 - 8) = 0\n    r2 = 3\n"
				     "    r3 = map[s][0]+4 ll\n    call bpf_strncmp\n    exit\n";
	const char *srcs[] = { map_prog, tail, rodata };
	char dir[] = "/tmp/callfuzz-selftest-maps-XXXXXX", cmd[2048], cwd[1024];

	if (sh("command -v clang-19 >/dev/null 2>&1"))
		SKIP("clang-19 not installed (Debian package clang-19)");
	if (sh("test -f /usr/include/bpf/bpf_helpers.h"))
		SKIP("no /usr/include/bpf/bpf_helpers.h (Debian package libbpf-dev)");
	REQUIRE(getcwd(cwd, sizeof(cwd)));
	REQUIRE(mkdtemp(dir));
	for (int k = 0; k < 3; k++) {
		struct selftest_opts o = { .name = "t", .retval = 7 };
		struct written w;
		FILE *f;

		write_kernel(srcs[k], &o, false, &w);
		REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
		snprintf(cmd, sizeof(cmd), "%s/t%d.c", dir, k);
		f = fopen(cmd, "w");
		REQUIRE(f);
		fwrite(w.text, 1, w.len, f);
		fclose(f);
		written_free(&w);
		snprintf(cmd, sizeof(cmd),
			 "cd %s && clang-19 -g -O2 -target bpf -Wall -Werror -D__TARGET_ARCH_arm64 "
			 "-I/usr/include/$(gcc -dumpmachine) -I%s/tests/selftest -c t%d.c -o t%d.o >cc%d.log 2>&1",
			 dir, cwd, k, k, k);
		CHECK_MSG(sh(cmd) == 0, "clang-19 failed: see %s/cc%d.log", dir, k);
	}
	if (!sh("command -v llvm-objdump-19 >/dev/null 2>&1")) {
		/* R_BPF_64_64 against hm, against obs with the addend 4 in the
		 * instruction, against the prog array's target in .rel.maps */
		snprintf(cmd, sizeof(cmd),
			 "cd %s && llvm-objdump-19 -dr t0.o | grep -A1 '18 01 00 00 04 00 00 00' | grep -q 'R_BPF_64_64.*obs' && "
			 "llvm-objdump-19 -dr t0.o | grep -q 'R_BPF_64_64.*hm' && "
			 "llvm-objdump-19 -r t1.o | grep -A3 'RELOCATION RECORDS FOR \\[.maps\\]' | grep -q 't_t0' && "
			 "llvm-objdump-19 -h t2.o | grep -q '.rodata.map_s' && llvm-objdump-19 -h t0.o | grep -q '.data.obs'",
			 dir);
		CHECK_MSG(sh(cmd) == 0, "relocations or sections: see %s", dir);
	}
	if (!test_failed()) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		sh(cmd);
	}
}

/* What libbpf cannot give a program still says exactly what and why,
 * and writes nothing. */
TEST(selftest_kernel_refuses_maps_libbpf_cannot_load)
{
	struct selftest_opts o = { .name = "t", .retval = 0 };
	struct written w;

	/* one map loaded both as a map and by its value's address */
	write_kernel(".map obs, array, key=4, value=8, entries=1\n.func main\n    r1 = map[obs] ll\n"
		     "    r1 = map[obs][0]+0 ll\n    r0 = 0\n    exit\n",
		     &o, false, &w);
	CHECK_EQ(w.rc, -1);
	CHECK_CONTAINS(w.err.msg, "map obs: func main insn 0 loads it as a map (map[obs]) and func main insn 2 by its "
				  "value's address");
	CHECK_CONTAINS(w.err.msg, "BPF_PSEUDO_MAP_FD");
	CHECK_EQ(w.len, 0);
	written_free(&w);

	/* a read-only map loaded as a map */
	write_kernel(".map s, array, key=4, value=16, entries=1, rdonly=61\n.func main\n    r1 = map[s] ll\n"
		     "    r0 = 0\n    exit\n",
		     &o, false, &w);
	CHECK_EQ(w.rc, -1);
	CHECK_CONTAINS(w.err.msg, "map s: read-only with contents, and func main insn 0 loads it as a map");
	CHECK_EQ(w.len, 0);
	written_free(&w);

}

/* Map names the assembler or the headers would read as something else get
 * a prefix; the others stay as the program names them. */
TEST(selftest_kernel_map_names_bpf_assembly_would_misread)
{
	static const char src[] = ".map u64, array, key=4, value=8, entries=1\n"
				  ".map bpf_loop, array, key=4, value=8, entries=1\n"
				  ".map r1, array, key=4, value=8, entries=1\n"
				  ".map m1, array, key=4, value=8, entries=1\n"
				  ".func main\n    r1 = map[u64] ll\n    r1 = map[bpf_loop] ll\n    r1 = map[r1] ll\n"
				  "    r1 = map[m1] ll\n    r0 = 0\n    exit\n";
	struct selftest_opts o = { .name = "t", .retval = 0 };
	struct written w;

	write_kernel(src, &o, false, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	CHECK_CONTAINS(w.text, "} map_u64 SEC(\".maps\");\n");
	CHECK_CONTAINS(w.text, "} map_bpf_loop SEC(\".maps\");\n");
	CHECK_CONTAINS(w.text, "} map_r1 SEC(\".maps\");\n");
	CHECK_CONTAINS(w.text, "} m1 SEC(\".maps\");\n");
	CHECK_CONTAINS(w.text, "\t\"r1 = %[map_u64] ll;\"\n\t\"r1 = %[map_bpf_loop] ll;\"\n\t\"r1 = %[map_r1] ll;\"\n"
			       "\t\"r1 = %[m1] ll;\"\n");
	CHECK_CONTAINS(w.text, ": : __imm_addr(map_u64), __imm_addr(map_bpf_loop), __imm_addr(map_r1), __imm_addr(m1) :");
	written_free(&w);
}

/* The number iterator's kfuncs as upstream's iters_state_safety.c calls
 * them from inline assembly: `call %[bpf_iter_num_new]` with
 * __imm(bpf_iter_num_new), declared by libbpf's bpf_helpers.h, and a C
 * function calling bpf_repeat so that clang emits their BTF. */
TEST(selftest_kernel_iterator_kfuncs_like_iters_state_safety)
{
	static const char src[] = ".func main\n    *(u64 *)(r10 - 8) = 0\n    r1 = r10\n    r1 += -8\n    r2 = 0\n"
				  "    r3 = 1\n    call kfunc bpf_iter_num_new\n    r1 = r10\n    r1 += -8\n"
				  "    call kfunc bpf_iter_num_destroy\n    r0 = 0\n    exit\n";
	struct selftest_opts o = { .name = "t", .retval = 0 };
	struct written w;

	write_kernel(src, &o, false, &w);
	REQUIRE_MSG(w.rc == 0, "%s", w.err.msg);
	CHECK_CONTAINS(w.text, "\t\"call %[bpf_iter_num_new];\"\n");
	CHECK_CONTAINS(w.text, "\t\"call %[bpf_iter_num_destroy];\"\n");
	CHECK_CONTAINS(w.text, "\t: : __imm(bpf_iter_num_new), __imm(bpf_iter_num_destroy) : __clobber_all);\n");
	CHECK_CONTAINS(w.text, "SEC(\"?raw_tp\")\n__success\nint t_btf_for_kfuncs(void *ctx)\n{\n\tbpf_repeat(0);\n"
			       "\treturn 0;\n}\n");
	/* bpf_helpers.h declares them: a second declaration would conflict */
	CHECK(!strstr(w.text, "__ksym;"));
	CHECK(!strstr(w.text, "model environment"));
	written_free(&w);
}

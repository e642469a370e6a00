/* tests/cover/report.c: the coverage report's parsers (objdump's call
 * sites, addr2line's answers) and the whole chain on a real binary: a
 * program compiled here with -fsanitize-coverage=trace-pc (gcc's KCOV
 * instrumentation, the same the kernel's build uses) records its own
 * return addresses the way kernel/kcov.c does, and the report must name
 * the lines it ran and the function it never called, known from the
 * source written below, not from the code under test. */
#define _GNU_SOURCE
#include "harness/cover/cover.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The formats as binutils 2.40 (aarch64-linux-gnu-objdump -d
 * --no-show-raw-insn) and llvm-objdump 19 print them. */
TEST(objdump_call_sites_and_return_addresses)
{
	static const char text[] =
		"\n"
		"vmlinux:     file format elf64-littleaarch64\n"
		"\n"
		"Disassembly of section .text:\n"
		"\n"
		"ffff800080010000 <build_insn>:\n"
		"ffff800080010000:\tpaciasp\n"
		"ffff800080010004:\tbl\tffff8000800f0000 <__sanitizer_cov_trace_pc>\n"
		"ffff800080010008:\tmov\tx0, x19\n"
		"ffff80008001000c:\tbl\tffff8000800f1000 <emit_a64_mov_i>\n"
		"ffff800080010010:\tbl\tffff8000800f0000 <__sanitizer_cov_trace_pc>\n"
		"\n"
		"ffff800080010014 <next>:\n"
		"ffff800080010014:\tret\n"
		"ffffffff81000010:\tcall\tffffffff81200000 <__sanitizer_cov_trace_pc>\n"
		"ffffffff81000015:\tmov\t%rbx,%rdi\n"
		"ffffffff81000018:\tjmp\tffffffff81200000 <__sanitizer_cov_trace_pc+0x10>\n"
		"  ffffffff81000020: \tcallq\t0xffffffff81200000 <__sanitizer_cov_trace_pc>\n"
		"  ffffffff81000025: \tnop\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	struct cover_sites s = { 0 };
	struct cf_err err;

	REQUIRE(f);
	REQUIRE(cover_parse_objdump(f, &s, &err) == 0);
	fclose(f);
	REQUIRE(s.n == 4);
	CHECK_EQ(s.s[0].call, 0xffff800080010004ull);
	CHECK_EQ(s.s[0].pc, 0xffff800080010008ull);
	/* the call before a function's header: the next instruction line */
	CHECK_EQ(s.s[1].call, 0xffff800080010010ull);
	CHECK_EQ(s.s[1].pc, 0xffff800080010014ull);
	CHECK_EQ(s.s[2].call, 0xffffffff81000010ull);
	CHECK_EQ(s.s[2].pc, 0xffffffff81000015ull);
	/* a jmp into the function is no call; llvm-objdump's indented form */
	CHECK_EQ(s.s[3].call, 0xffffffff81000020ull);
	CHECK_EQ(s.s[3].pc, 0xffffffff81000025ull);
	cover_sites_free(&s);
}

/* addr2line -f: "FUNC\nFILE:LINE", with a discriminator, and the unknowns */
TEST(addr2line_pairs)
{
	static const char text[] =
		"build_insn\n"
		"/src/linux/arch/arm64/net/bpf_jit_comp.c:1203\n"
		"emit_a64_mov_i\n"
		"/src/linux/arch/arm64/net/bpf_jit_comp.c:245 (discriminator 3)\n"
		"??\n"
		"??:0\n"
		"do_check\n"
		"/src/linux/kernel/bpf/verifier.c:?\n";
	struct cover_sites s = { 0 };
	struct cf_err err;

	s.s = calloc(4, sizeof(*s.s));
	REQUIRE(s.s);
	s.n = s.cap = 4;
	REQUIRE(cover_parse_addr2line(text, &s, &err) == 0);
	CHECK_STR(s.s[0].func, "build_insn");
	CHECK_STR(s.s[0].file, "/src/linux/arch/arm64/net/bpf_jit_comp.c");
	CHECK_EQ(s.s[0].line, 1203);
	CHECK_STR(s.s[1].func, "emit_a64_mov_i");
	CHECK_EQ(s.s[1].line, 245);
	CHECK_STR(s.s[2].file, "??");
	CHECK_EQ(s.s[2].line, 0);
	CHECK_STR(s.s[3].file, "/src/linux/kernel/bpf/verifier.c");
	CHECK_EQ(s.s[3].line, 0);
	cover_sites_free(&s);

	/* fewer answers than addresses: an error, not a guess */
	s.s = calloc(2, sizeof(*s.s));
	REQUIRE(s.s);
	s.n = s.cap = 2;
	CHECK(cover_parse_addr2line("f\n/a.c:1\n", &s, &err) == -1);
	CHECK_CONTAINS(err.msg, "1 of 2");
	cover_sites_free(&s);
}

TEST(vmlinux_beside_a_tree_build)
{
	char buf[512];

	CHECK(cover_vmlinux_of("/nonexistent/out/arch/arm64/boot/Image", buf, sizeof(buf)) == NULL);
	CHECK(cover_vmlinux_of("build/kernels/arm64/vmlinuz", buf, sizeof(buf)) == NULL);
	CHECK_STR(cover_jit_file("x86_64"), "arch/x86/net/bpf_jit_comp.c");
	CHECK_STR(cover_jit_file("arm64"), "arch/arm64/net/bpf_jit_comp.c");
}

/* Line numbers below are those of the file as written (1-based). */
static const char prog_src[] =
	"int g;\n"                                /* 1 */
	"static void record(void);\n"             /* 2 */
	"__attribute__((noinline)) int taken(int x)\n" /* 3 */
	"{\n"                                     /* 4 */
	"\tif (x > 5)\n"                          /* 5 */
	"\t\tg += 2;\n"                           /* 6 */
	"\telse\n"                                /* 7 */
	"\t\tg -= 1;\n"                           /* 8 */
	"\treturn g;\n"                           /* 9 */
	"}\n"                                     /* 10 */
	"__attribute__((noinline)) int untaken(int x)\n" /* 11 */
	"{\n"                                     /* 12 */
	"\tif (x)\n"                              /* 13 */
	"\t\tg *= 3;\n"                           /* 14 */
	"\treturn g;\n"                           /* 15 */
	"}\n"                                     /* 16 */
	"int main(int argc, char **argv)\n"       /* 17 */
	"{\n"                                     /* 18 */
	"\t(void)argv;\n"                         /* 19 */
	"\ttaken(argc + 10);\n"                   /* 20 */
	"\tif (argc > 100)\n"                     /* 21 */
	"\t\tuntaken(argc);\n"                    /* 22 */
	"\trecord();\n"                           /* 23 */
	"\treturn 0;\n"                           /* 24 */
	"}\n";                                    /* 25 */

/* kernel/kcov.c's __sanitizer_cov_trace_pc in user space: the caller's
 * return address, one a line (not instrumented itself) */
static const char rt_src[] =
	"#include <stdio.h>\n"
	"#include <stdint.h>\n"
	"static uintptr_t pcs[4096]; static int n;\n"
	"void __sanitizer_cov_trace_pc(void) { if (n < 4096) pcs[n++] = (uintptr_t)__builtin_return_address(0); }\n"
	"void record(void) { FILE *f = fopen(\"pcs.txt\", \"w\"); for (int i = 0; i < n; i++) fprintf(f, \"%lx\\n\", (unsigned long)pcs[i]); fclose(f); }\n";

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

TEST(report_of_a_trace_pc_binary)
{
	char dir[] = "/tmp/callfuzz-cover-test.XXXXXX", cmd[1024], path[600], *text = NULL;
	struct cover_sites s = { 0 };
	struct cover_pcs pcs = { 0 };
	struct cover_file_stats st;
	struct cf_err err;
	struct utsname u;
	const char *arch;
	size_t len;
	FILE *out;

	uname(&u);
	if (!strcmp(u.machine, "x86_64"))
		arch = "x86_64";
	else if (!strcmp(u.machine, "aarch64"))
		arch = "arm64";
	else
		SKIP("host %s is neither x86_64 nor aarch64", u.machine);
	REQUIRE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/prog.c", dir);
	REQUIRE(write_file(path, prog_src) == 0);
	snprintf(path, sizeof(path), "%s/rt.c", dir);
	REQUIRE(write_file(path, rt_src) == 0);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && cc -O0 -g -fno-pie -fsanitize-coverage=trace-pc -c prog.c -o prog.o 2>err.txt && "
		 "cc -O0 -fno-pie -c rt.c -o rt.o 2>>err.txt && cc -no-pie prog.o rt.o -o prog 2>>err.txt",
		 dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		system(cmd);
		SKIP("cc -fsanitize-coverage=trace-pc -no-pie does not build here");
	}
	snprintf(cmd, sizeof(cmd), "cd %s && ./prog", dir);
	REQUIRE(system(cmd) == 0);
	snprintf(path, sizeof(path), "%s/pcs.txt", dir);
	REQUIRE_MSG(cover_pcs_read(&pcs, path, &err) == 0, "%s", err.msg);
	cover_pcs_sort(&pcs);
	snprintf(path, sizeof(path), "%s/prog", dir);
	REQUIRE_MSG(cover_sites_load(path, arch, &s, &err) == 0, "%s", err.msg);

	/* every recorded PC is a call site's return address */
	for (size_t i = 0; i < pcs.n; i++)
		CHECK_MSG(cover_site_find(&s, pcs.pc[i]), "PC 0x%" PRIx64 " is no call site", pcs.pc[i]);
	cover_file_stats(&s, &pcs, "prog.c", &st);
	CHECK_EQ(st.funcs, 3);         /* taken, untaken, main */
	CHECK_EQ(st.funcs_reached, 2); /* untaken never ran */
	/* taken(x > 5): the g -= 1 branch (line 8) never ran; main's
	 * untaken(argc) call (line 22) neither */
	bool l6 = false, l8 = false, l8_reached = false, l22 = false, l22_reached = false, l14 = false;

	for (size_t i = 0; i < s.n; i++) {
		const struct cover_site *c = &s.s[i];
		bool r = cover_pcs_has(&pcs, c->pc);

		if (!c->file || !strstr(c->file, "prog.c"))
			continue;
		if (c->line == 6)
			l6 |= r;
		if (c->line == 8) {
			l8 = true;
			l8_reached |= r;
		}
		if (c->line == 22) {
			l22 = true;
			l22_reached |= r;
		}
		if (c->line >= 11 && c->line <= 16 && r)
			l14 = true;
	}
	CHECK_MSG(l6, "line 6 (g += 2) ran: its site is reached");
	CHECK_MSG(l8 && !l8_reached, "line 8 is instrumented, never reached");
	CHECK_MSG(l22 && !l22_reached, "line 22 is instrumented, never reached");
	CHECK_MSG(!l14, "nothing of untaken() was reached");

	out = open_memstream(&text, &len);
	REQUIRE(out);
	cover_report_file(out, &s, &pcs, "prog.c", true, true, NULL);
	fclose(out);
	CHECK_CONTAINS(text, "2/3 functions");
	CHECK_CONTAINS(text, "--- untaken, never reached");
	CHECK_CONTAINS(text, "   14 | \t\tg *= 3;");
	CHECK(!strstr(text, "--- taken,"));
	free(text);
	cover_sites_free(&s);
	cover_pcs_free(&pcs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

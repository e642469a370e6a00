/* tests/repro/report_selftest.c: the selftest export compiles with
 * clang-19 -target bpf against tests/selftest/bpf_misc.h, keeps r11 as
 * text that clang assembles to the stack-argument encodings of
 * stack-args.md 1, and carries the expectations test_loader reads. */
#include "harness/repro/repro.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char prog_text[] =
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
	"    r6 = r0\n"
	"    r1 = 1\n"
	"    r2 = 2\n"
	"    r3 = 3\n"
	"    r4 = 4\n"
	"    r5 = 5\n"
	"    *(u64 *)(r11 - 8) = 6\n"
	"    *(u64 *)(r11 - 16) = 7\n"
	"    *(u64 *)(r11 - 24) = 8\n"
	"    *(u64 *)(r11 - 32) = 9\n"
	"    *(u64 *)(r11 - 40) = 10\n"
	"    *(u64 *)(r11 - 48) = 11\n"
	"    *(u64 *)(r11 - 56) = 12\n"
	"    call kfunc kf_args12\n"
	"    r0 %= 1000\n"
	"    r0 += r6\n"
	"    exit\n"
	"\n"
	".func sum9, 9\n"
	"    r6 = *(u64 *)(r11 + 8)\n"
	"    r9 = *(u64 *)(r11 + 32)\n"
	"    r0 = r1\n"
	"    r0 += r6\n"
	"    r0 += r9\n"
	"    exit\n";

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(report_selftest_compiles_with_clang19_and_keeps_r11)
{
	char dir[] = "/tmp/callfuzz-selftest-XXXXXX", path[128], cmd[1024], errbuf[256], *text;
	struct cf_prog p;
	struct cf_err err;
	size_t len;
	FILE *f;

	if (sh("command -v clang-19 >/dev/null 2>&1 && command -v llvm-objdump-19 >/dev/null 2>&1"))
		SKIP("clang-19 / llvm-objdump-19 not installed (Debian packages clang-19, llvm-19)");
	REQUIRE(cf_asm_parse(prog_text, strlen(prog_text), "t.s", &p, &err) == 0);
	REQUIRE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.c", dir);
	f = fopen(path, "w");
	REQUIRE(f);
	/* 1 + 6 + -9 = -2, plus 78 % 1000: the value is only copied through */
	selftest_write(f, &p, "stack_arg_repro", (uint64_t)-2 + 78, "TRACE-kf_args12-arg9: test");
	fclose(f);
	text = cf_read_file(path, &len, errbuf, sizeof(errbuf));
	REQUIRE(text);
	CHECK_CONTAINS(text, "__success __retval(76)");
	CHECK_CONTAINS(text, "static long stack_arg_repro_sum9(long a1, long a2, long a3, long a4, long a5, long a6, "
			     "long a7, long a8, long a9)");
	CHECK_CONTAINS(text, "\"r6 = *(u64 *)(r11 + 8);\"");
	CHECK_CONTAINS(text, "\"call stack_arg_repro_sum9;\"");
	CHECK_CONTAINS(text, "\"call %[kf_args12];\"");
	CHECK_CONTAINS(text, ": : __imm(kf_args12) : __clobber_all");
	CHECK_CONTAINS(text, "\"r0 %%= 1000;\"");
	free(text);

	snprintf(cmd, sizeof(cmd),
		 "clang-19 -g -target bpf -O2 -I/usr/include/$(gcc -dumpmachine) -Itests/selftest -c %s/t.c -o %s/t.o "
		 ">%s/cc.log 2>&1",
		 dir, dir, dir);
	CHECK_MSG(sh(cmd) == 0, "clang-19 failed: see %s/cc.log", dir);
	/* stack-args.md 1: LDX r11 (0x79, src 11), ST r11 (0x7a, dst 11),
	 * STX r11 (0x7b, dst 11) */
	snprintf(cmd, sizeof(cmd),
		 "llvm-objdump-19 -d %s/t.o >%s/dis.txt && grep -q '79 b6 08 00 00 00 00 00' %s/dis.txt && "
		 "grep -q '7a 0b f8 ff 06 00 00 00' %s/dis.txt && grep -q '7b 0b f0 ff 00 00 00 00' %s/dis.txt",
		 dir, dir, dir, dir, dir);
	CHECK_MSG(sh(cmd) == 0, "r11 encodings missing from %s/dis.txt", dir);
	if (!test_failed()) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		sh(cmd);
	}
	cf_prog_free(&p);
}

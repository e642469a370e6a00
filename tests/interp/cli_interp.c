/* tests/interp/cli_interp.c: `callfuzz interp` end to end: output lines and
 * exit codes 0 (ran to exit), 1 (fault, timeout, rejected), 2 (usage). */
#include "tests/interp/util.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run `callfuzz interp FILE ARGS` on text; output in out (size n). */
static int run_cli(const char *text, const char *args, char *out, size_t n)
{
	char path[] = "/tmp/cf-interp-test.XXXXXX";
	char cmd[512];
	int fd = mkstemp(path), status;
	size_t got = 0;
	FILE *p;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s/callfuzz interp %s %s 2>&1", test_build_dir(), path, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (got + 1 < n && fgets(out + got, (int)(n - got), p))
		got += strlen(out + got);
	out[got] = 0;
	status = pclose(p);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(cli_interp_prints_r0_events_ctx)
{
	char out[4096], bin[256];

	snprintf(bin, sizeof(bin), "%s/callfuzz", test_build_dir());
	if (access(bin, X_OK))
		SKIP("%s not built", bin);
	CHECK_EQ(run_cli(".func main\n    r1 = 1\n    r2 = 2\n    r3 = 3\n    r4 = 4\n    r5 = 5\n    call trace\n"
			 "    r1 = 0x11 ll\n    r6 = r1\n    r0 = -2\n    exit\n",
			 "--ctx 00ff", out, sizeof(out)), 0);
	CHECK_CONTAINS(out, "r0 = 0xfffffffffffffffe (18446744073709551614, -2)");
	CHECK_CONTAINS(out, "event 0: trace(0x1, 0x2, 0x3, 0x4, 0x5)");
	CHECK_CONTAINS(out, "insns executed: 10");

	CHECK_EQ(run_cli(".func main\n    *(u8 *)(r1 + 1) = 7\n    r0 = 0\n    exit\n", "--ctx 00ff", out, sizeof(out)), 0);
	CHECK_CONTAINS(out, "ctx[1]: 0xff -> 0x07");

	CHECK_EQ(run_cli(".func main\n    r0 = 1\n    exit\n", "--trace", out, sizeof(out)), 0);
	CHECK_CONTAINS(out, "main:0: r0 = 1");
}

TEST(cli_interp_exit_codes)
{
	char out[4096], bin[256];

	snprintf(bin, sizeof(bin), "%s/callfuzz", test_build_dir());
	if (access(bin, X_OK))
		SKIP("%s not built", bin);
	/* fault: only with --no-check, the checker refuses it first */
	CHECK_EQ(run_cli(".func main\n    r0 = *(u64 *)(r10 - 8)\n    exit\n", "", out, sizeof(out)), 1);
	CHECK_CONTAINS(out, "rejected:");
	CHECK_EQ(run_cli(".func main\n    r0 = *(u64 *)(r10 - 8)\n    exit\n", "--no-check", out, sizeof(out)), 1);
	CHECK_CONTAINS(out, "fault: func main insn 0: load of 8 bytes at r10-8 of frame 0 reads stack bytes never written");
	/* timeout (the checker would refuse the endless loop) */
	CHECK_EQ(run_cli(".func main\n    r0 = 0\nl:\n    r0 += 1\n    if r0 != 0 goto l\n    exit\n",
			 "--no-check --budget 100",
			 out, sizeof(out)), 1);
	CHECK_CONTAINS(out, "timeout: instruction budget of 100 exhausted");
	/* usage */
	CHECK_EQ(run_cli(".func main\n    r0 = 0\n    exit\n", "--ctx xyz", out, sizeof(out)), 2);
	CHECK_EQ(run_cli(".func main\n    r0 = \n", "", out, sizeof(out)), 2);
}

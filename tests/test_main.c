/* tests/test_main.c: runs the registered tests and prints one line each,
 * then "<binary>: N passed, N failed, N skipped". Exit 1 if any failed. */
#include "tests/test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TESTS 4096
#define MAX_REPORTED 10

struct test_case {
	const char *file;
	const char *name;
	test_fn *fn;
};

static struct test_case tests[MAX_TESTS];
static int ntests;
static int cur_failures;
static bool cur_skipped;
static char skip_reason[512];

void test_register(const char *file, const char *name, test_fn *fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	tests[ntests++] = (struct test_case){ file, name, fn };
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (++cur_failures > MAX_REPORTED)
		return;
	fprintf(stdout, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	cur_skipped = true;
	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
}

bool test_failed(void)
{
	return cur_failures > 0;
}

const char *test_build_dir(void)
{
	const char *b = getenv("CALLFUZZ_BUILD");

	return b && *b ? b : "build";
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		struct timespec t0, t1;
		double ms;

		if (filter && !strstr(tests[i].name, filter) && !strstr(tests[i].file, filter))
			continue;
		cur_failures = 0;
		cur_skipped = false;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		tests[i].fn();
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (cur_failures) {
			failed++;
			printf("FAIL %s (%s, %.0f ms, %d failed checks)\n", tests[i].name, tests[i].file, ms,
			       cur_failures);
		} else if (cur_skipped) {
			skipped++;
			printf("SKIP %s: %s\n", tests[i].name, skip_reason);
		} else {
			passed++;
			printf("PASS %s (%.0f ms)\n", tests[i].name, ms);
		}
	}
	printf("%s: %d passed, %d failed, %d skipped\n", self, passed, failed, skipped);
	return failed ? 1 : 0;
}

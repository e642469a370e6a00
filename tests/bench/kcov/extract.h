/* tests/bench/kcov/extract.h: stands in for tests/test.h,
 * tests/bpf/check_util.h and tests/interp/util.h when
 * tests/bench/kcov_cover.sh compiles the transcribed upstream selftests
 * (tests/bpf/check_stack_args.c, tests/interp/selftests_stack_arg.c) into
 * a program that writes each selftest's program text to NAME[-N].s instead
 * of checking it. Only TEST(selftest_*) are upstream's. */
#ifndef CALLFUZZ_BENCH_KCOV_EXTRACT_H
#define CALLFUZZ_BENCH_KCOV_EXTRACT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bpf/bpf.h"
#include "interp/interp.h"

void extract_write(const char *text);
bool extract_begin(const char *name); /* false: not upstream's */

#define TEST(name)                                                    \
	static void name(void);                                       \
	__attribute__((constructor)) static void extract_##name(void) \
	{                                                             \
		if (extract_begin(#name))                             \
			name();                                       \
	}                                                             \
	static void name(void)

#define CHECK(...) do { } while (0)
#define CHECK_MSG(...) do { } while (0)
#define CHECK_EQ(...) do { } while (0)
#define CHECK_STR(...) do { } while (0)
#define CHECK_CONTAINS(...) do { } while (0)
#define REQUIRE(...) do { } while (0)
#define REQUIRE_MSG(...) do { } while (0)
#define SKIP(...) return

#define ACCEPT_OPTS(text, opts) extract_write(text)
#define REJECT_OPTS(text, opts, needle) extract_write(text)
#define ACCEPT(text) extract_write(text)
#define REJECT(text, needle) extract_write(text)

static inline bool t_run_text(const char *text, const uint8_t *ctx, struct interp_result *res)
{
	(void)ctx;
	memset(res, 0, sizeof(*res));
	extract_write(text);
	return true;
}

#endif

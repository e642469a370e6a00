/* tests/test.h: a tiny test framework. Each test file under tests/<module>/
 * defines TEST(name) functions; they register themselves and
 * tests/test_main.c runs them (all, or those whose name contains argv[1]).
 *
 * CHECK* record a failure and go on (so one run shows every broken case);
 * REQUIRE* record a failure and leave the test. SKIP leaves with a reason. */
#ifndef CALLFUZZ_TEST_H
#define CALLFUZZ_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef void test_fn(void);

void test_register(const char *file, const char *name, test_fn *fn);
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool test_failed(void);

#define TEST(name)                                                            \
	static void name(void);                                               \
	__attribute__((constructor)) static void test_reg_##name(void)        \
	{                                                                     \
		test_register(__FILE__, #name, name);                         \
	}                                                                     \
	static void name(void)

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond))                                                  \
			test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);    \
	} while (0)

#define CHECK_MSG(cond, ...)                                                  \
	do {                                                                  \
		if (!(cond))                                                  \
			test_fail(__FILE__, __LINE__, __VA_ARGS__);           \
	} while (0)

#define CHECK_EQ(a, b)                                                        \
	do {                                                                  \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);              \
		if (a_ != b_)                                                 \
			test_fail(__FILE__, __LINE__,                         \
				  "%s == %s: 0x%" PRIx64 " != 0x%" PRIx64,    \
				  #a, #b, a_, b_);                            \
	} while (0)

#define CHECK_STR(a, b)                                                       \
	do {                                                                  \
		const char *a_ = (a), *b_ = (b);                              \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                        \
			test_fail(__FILE__, __LINE__, "%s == %s:\n  got:  %s\n  want: %s", \
				  #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} while (0)

/* The failure message must contain the expected substring. */
#define CHECK_CONTAINS(hay, needle)                                           \
	do {                                                                  \
		const char *h_ = (hay), *n_ = (needle);                       \
		if (!h_ || !strstr(h_, n_))                                   \
			test_fail(__FILE__, __LINE__, "%s contains \"%s\":\n  got: %s", \
				  #hay, n_, h_ ? h_ : "(null)");              \
	} while (0)

#define REQUIRE(cond)                                                         \
	do {                                                                  \
		if (!(cond)) {                                                \
			test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);  \
			return;                                               \
		}                                                             \
	} while (0)

#define REQUIRE_MSG(cond, ...)                                                \
	do {                                                                  \
		if (!(cond)) {                                                \
			test_fail(__FILE__, __LINE__, __VA_ARGS__);           \
			return;                                               \
		}                                                             \
	} while (0)

#define SKIP(...)                                                             \
	do {                                                                  \
		test_skip(__VA_ARGS__);                                       \
		return;                                                       \
	} while (0)

/* Where the build put its binaries (build/ or build-san/): for tests that
 * run `callfuzz` or the executor. Set from CALLFUZZ_BUILD, else "build". */
const char *test_build_dir(void);

#endif

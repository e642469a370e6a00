/* tests/gen/gen_determinism.c: the choice API and what byte-level
 * shrinking relies on: the same bytes give the same program, running out
 * of bytes takes the simplest choice, a prefix gives a program no larger
 * on average. */
#include "tests/test.h"
#include "gen/gen.h"

#include <stdlib.h>
#include <string.h>

#include "tests/gen/util.h"

TEST(gen_choose_reads_bytes_and_gives_zero_when_out)
{
	const uint8_t bytes[] = { 7, 200, 0x34, 0x12, 9 };
	struct gen_src s = { bytes, sizeof(bytes), 0 };

	CHECK_EQ(gen_choose(&s, 10), 7);          /* 7 % 10 */
	CHECK_EQ(gen_choose(&s, 3), 200 % 3);     /* one byte for n <= 256 */
	CHECK_EQ(gen_choose(&s, 1000), 0x1234 % 1000); /* two bytes, little endian */
	CHECK_EQ(s.pos, 4);
	CHECK_EQ(gen_choose(&s, 1), 0);           /* no choice: no byte */
	CHECK_EQ(s.pos, 4);
	CHECK_EQ(gen_choose(&s, 70000), 0);       /* needs 4 bytes, 1 left: simplest */
	CHECK_EQ(s.pos, 5);
	CHECK_EQ(gen_choose(&s, 256), 0);
	CHECK(!gen_coin(&s));
}

TEST(gen_choose_results_are_in_range)
{
	uint8_t bytes[256];
	struct gen_src s = { bytes, sizeof(bytes), 0 };

	for (int i = 0; i < 256; i++)
		bytes[i] = (uint8_t)(255 - i);
	for (uint64_t n = 1; s.pos < s.len; n++)
		CHECK(gen_choose(&s, n) < n);
}

TEST(gen_weighted_follows_weights_and_defaults_to_first_nonzero)
{
	const unsigned w[] = { 0, 3, 1 };
	const uint8_t bytes[] = { 0, 1, 2, 3, 4 };
	struct gen_src s = { bytes, sizeof(bytes), 0 };

	/* total 4: r = byte % 4; r 0..2 -> index 1, r 3 -> index 2 */
	CHECK_EQ(gen_weighted(&s, w, 3), 1);
	CHECK_EQ(gen_weighted(&s, w, 3), 1);
	CHECK_EQ(gen_weighted(&s, w, 3), 1);
	CHECK_EQ(gen_weighted(&s, w, 3), 2);
	CHECK_EQ(gen_weighted(&s, w, 3), 1);
	CHECK_EQ(gen_weighted(&s, w, 3), 1); /* out of bytes */
}

TEST(gen_same_bytes_give_the_same_program)
{
	struct gen_opts go;
	uint8_t *buf = malloc(8192);
	uint64_t seed = 7;

	gen_opts_default(&go);
	for (int i = 0; i < 300; i++) {
		size_t len = gen_test_bytes(&seed, buf, 8192);
		struct cf_prog a, b;
		struct cf_err err;

		REQUIRE(gen_program(buf, len, &go, &a, &err) == 0);
		REQUIRE(gen_program(buf, len, &go, &b, &err) == 0);
		CHECK_MSG(cf_prog_equal(&a, &b), "input %d (%zu bytes) gave two programs", i, len);
		cf_prog_free(&a);
		cf_prog_free(&b);
	}
	free(buf);
}

TEST(gen_empty_input_gives_the_smallest_program)
{
	struct gen_opts go;
	struct cf_prog p;
	struct cf_err err;

	gen_opts_default(&go);
	REQUIRE(gen_program(NULL, 0, &go, &p, &err) == 0);
	CHECK_EQ(p.nfuncs, 1);
	CHECK_STR(p.funcs[0].name, "main");
	CHECK(p.funcs[0].ninsns > 0 && p.funcs[0].ninsns < 30);
	CHECK_EQ(p.funcs[0].insns[p.funcs[0].ninsns - 1].code, BPF_JMP | BPF_EXIT);
	cf_prog_free(&p);
}

/* Shrinking bytes shrinks programs: over many inputs, the program of the
 * first half of the bytes is no larger on average than the whole one, and
 * the first quarter no larger than the half. Per input it may go either
 * way (a choice reads differently once the bytes end). */
TEST(gen_prefix_of_bytes_gives_smaller_programs_on_average)
{
	struct gen_opts go;
	uint8_t *buf = malloc(8192);
	uint64_t seed = 99;
	long whole = 0, half = 0, quarter = 0;
	int larger = 0, n = 1000;

	gen_opts_default(&go);
	for (int i = 0; i < n; i++) {
		size_t len = gen_test_bytes(&seed, buf, 8192);
		struct cf_prog p;
		struct cf_err err;
		int sz[3];

		for (int k = 0; k < 3; k++) {
			REQUIRE(gen_program(buf, len >> k, &go, &p, &err) == 0);
			sz[k] = cf_prog_total_insns(&p);
			cf_prog_free(&p);
		}
		whole += sz[0], half += sz[1], quarter += sz[2];
		larger += sz[1] > sz[0];
	}
	CHECK_MSG(half <= whole, "half-prefixes: %ld slots, whole inputs: %ld", half, whole);
	CHECK_MSG(quarter <= half, "quarter-prefixes: %ld slots, half: %ld", quarter, half);
	CHECK_MSG(larger < n / 4, "%d of %d half-prefixes gave a larger program", larger, n);
	free(buf);
}

TEST(gen_rejects_options_out_of_range)
{
	struct gen_opts go;
	struct cf_prog p;
	struct cf_err err;

	gen_opts_default(&go);
	go.max_args = 13;
	CHECK(gen_program(NULL, 0, &go, &p, &err) == -1);
	CHECK_CONTAINS(err.msg, "max_args 13");
	gen_opts_default(&go);
	go.max_funcs = 0;
	CHECK(gen_program(NULL, 0, &go, &p, &err) == -1);
	CHECK_CONTAINS(err.msg, "max_funcs 0");
}

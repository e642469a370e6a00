/* tests/cover/fold.c: cover_fold, the KCOV PCs -> libFuzzer extra counters
 * (fuzz/diff.c). The properties libFuzzer relies on: a PC always lands in
 * the same slot, hit counts add up and saturate at 255 (its buckets end at
 * 128+), and the call sites of one kernel function, 4 bytes apart on arm64,
 * spread over the slots instead of piling into a few. */
#include "harness/cover/cover.h"
#include "tests/test.h"

#include <stdlib.h>

TEST(fold_counts_hits_per_pc_and_saturates)
{
	static uint8_t c[COVER_FOLD_SLOTS];
	uint64_t pcs[2] = { 0xffff800080123454ull, 0xffff8000801234a0ull };
	uint32_t hits[2] = { 3, 200 };
	size_t s0 = cover_slot(pcs[0], COVER_FOLD_SLOTS), s1 = cover_slot(pcs[1], COVER_FOLD_SLOTS);

	REQUIRE(s0 != s1);
	cover_fold(pcs, hits, 2, c, COVER_FOLD_SLOTS);
	CHECK_EQ(c[s0], 3);
	CHECK_EQ(c[s1], 200);
	/* a second program through the same PCs in the same input: 203, then 255 */
	cover_fold(pcs, hits, 2, c, COVER_FOLD_SLOTS);
	CHECK_EQ(c[s0], 6);
	CHECK_EQ(c[s1], 255);
	/* no hits: each PC counts once */
	cover_fold(pcs, NULL, 1, c, COVER_FOLD_SLOTS);
	CHECK_EQ(c[s0], 7);
	int nonzero = 0;

	for (size_t i = 0; i < COVER_FOLD_SLOTS; i++)
		nonzero += c[i] != 0;
	CHECK_EQ(nonzero, 2);
}

TEST(fold_slot_is_stable_and_in_range)
{
	for (uint64_t pc = 0xffffffff81000000ull; pc < 0xffffffff81000000ull + 5000; pc += 7) {
		size_t s = cover_slot(pc, 1024);

		CHECK(s < 1024);
		CHECK_EQ(s, cover_slot(pc, 1024));
	}
}

/* 20000 call sites 4 bytes apart (the size of verifier.c's instrumented
 * code on arm64) in 65536 slots: a uniform hash leaves 65536 * (1 -
 * e^(-20000/65536)) = 17,236 slots used (a hash of the product's middle
 * bits left 7,536); allow 5% less */
TEST(fold_spreads_neighbouring_call_sites)
{
	static uint8_t c[COVER_FOLD_SLOTS];
	uint64_t *pcs = malloc(20000 * sizeof(*pcs));
	int used = 0;

	REQUIRE(pcs);
	for (int i = 0; i < 20000; i++)
		pcs[i] = 0xffff800080200000ull + 4 * (uint64_t)i;
	cover_fold(pcs, NULL, 20000, c, COVER_FOLD_SLOTS);
	for (size_t i = 0; i < COVER_FOLD_SLOTS; i++)
		used += c[i] != 0;
	CHECK_MSG(used > 16376, "%d slots used of 65536 by 20000 neighbouring PCs", used);
	free(pcs);
}

TEST(pcs_sort_drops_duplicates_and_finds)
{
	struct cover_pcs s = { 0 };
	uint64_t a[] = { 9, 3, 9, 1, 3, 0xffff800080000000ull };

	REQUIRE(cover_pcs_add(&s, a, 6) == 0);
	cover_pcs_sort(&s);
	CHECK_EQ(s.n, 4);
	CHECK(cover_pcs_has(&s, 1));
	CHECK(cover_pcs_has(&s, 9));
	CHECK(cover_pcs_has(&s, 0xffff800080000000ull));
	CHECK(!cover_pcs_has(&s, 2));
	CHECK(!cover_pcs_has(&s, 10));
	cover_pcs_free(&s);
}

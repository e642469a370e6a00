/* tests/gen/gen_seed_bytes.c: gen_bytes_from_seed keeps the byte sequence
 * that reports name seeds by. Expected values from an independent
 * splitmix64 (Python, integers mod 2^64): seed * 0x100000001b3, one value
 * skipped, bits = next % 14, len = next % 2^bits, bytes little-endian. */
#include "gen/gen.h"
#include "tests/test.h"

#include <string.h>

TEST(seed_bytes_are_the_reported_sequence)
{
	static const uint8_t seed1[8] = { 0x63, 0xab, 0xaa, 0xf9, 0xd7, 0x80, 0xde, 0x65 };
	static const uint8_t seed1_fixed5[5] = { 0xa4, 0x01, 0x00, 0x94, 0x8f };
	uint8_t buf[GEN_SEED_MAX_LEN];

	CHECK_EQ(gen_bytes_from_seed(1, -1, buf, sizeof(buf)), 107);
	CHECK(memcmp(buf, seed1, sizeof(seed1)) == 0);
	CHECK_EQ(gen_bytes_from_seed(2, -1, buf, sizeof(buf)), 7);
	CHECK_EQ(gen_bytes_from_seed(3, -1, buf, sizeof(buf)), 0);
	CHECK_EQ(gen_bytes_from_seed(4, -1, buf, sizeof(buf)), 13);
	/* a fixed length skips the two draws */
	CHECK_EQ(gen_bytes_from_seed(1, 5, buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, seed1_fixed5, sizeof(seed1_fixed5)) == 0);
	/* cut to the buffer, same prefix */
	memset(buf, 0xee, 8);
	CHECK_EQ(gen_bytes_from_seed(1, -1, buf, 3), 3);
	CHECK(memcmp(buf, seed1, 3) == 0 && buf[3] == 0xee);
}

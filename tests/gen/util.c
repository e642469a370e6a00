/* tests/gen/util.c: shared by the generator's tests. */
#include "tests/gen/util.h"

#include <stdio.h>
#include <stdlib.h>

uint64_t gen_test_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

size_t gen_test_bytes(uint64_t *state, uint8_t *buf, size_t cap)
{
	unsigned bits = (unsigned)(gen_test_next(state) % 14); /* lengths up to 8191 */
	size_t len = (size_t)(gen_test_next(state) % ((size_t)1 << bits));

	if (len > cap)
		len = cap;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = gen_test_next(state);

		for (size_t k = 0; k < 8 && i + k < len; k++)
			buf[i + k] = (uint8_t)(v >> (8 * k));
	}
	return len;
}

void gen_test_dump(const struct cf_prog *p)
{
	char *text = cf_asm_print(p);

	fprintf(stderr, "---- program ----\n%s-----------------\n", text ? text : "(print failed)\n");
	free(text);
}

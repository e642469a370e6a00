/* tests/gen/util.h: shared by the generator's tests. */
#ifndef CALLFUZZ_TESTS_GEN_UTIL_H
#define CALLFUZZ_TESTS_GEN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/bpf.h"

/* splitmix64: the reference sequence (Steele, Lea, Flood 2014). */
uint64_t gen_test_next(uint64_t *state);
/* Random bytes into buf of a length drawn log-uniformly in 0..cap. */
size_t gen_test_bytes(uint64_t *state, uint8_t *buf, size_t cap);
/* The program in text on stderr (for failure messages). */
void gen_test_dump(const struct cf_prog *p);

#endif

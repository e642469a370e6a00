/* tests/gen/gen_text.c: what `callfuzz gen` prints is the program: the
 * canonical text of a generated program parses back to the same program
 * (labels included in the text, stack sizes declared). */
#include "tests/test.h"
#include "gen/gen.h"

#include <stdlib.h>
#include <string.h>

#include "tests/gen/util.h"

TEST(gen_programs_survive_print_and_parse)
{
	struct gen_opts go;
	uint8_t *buf = malloc(8192);
	uint64_t seed = 3;

	gen_opts_default(&go);
	for (int i = 0; i < 500; i++) {
		size_t len = gen_test_bytes(&seed, buf, 8192);
		struct cf_prog p, q;
		struct cf_err err;
		char *text;

		REQUIRE(gen_program(buf, len, &go, &p, &err) == 0);
		text = cf_asm_print(&p);
		REQUIRE(text);
		if (cf_asm_parse(text, strlen(text), "gen.s", &q, &err)) {
			test_fail(__FILE__, __LINE__, "program %d does not parse back: %s", i, err.msg);
			gen_test_dump(&p);
		} else {
			CHECK_MSG(cf_prog_equal(&p, &q), "program %d changed through print/parse", i);
			cf_prog_free(&q);
		}
		free(text);
		cf_prog_free(&p);
	}
	free(buf);
}

/* fuzz/parse_check.c: arbitrary bytes into the parser and the checker.
 *
 * The first byte picks the reading: text (cf_asm_parse), the raw container
 * or bare instructions (cf_raw_decode, then cf_prog_from_raw). Whatever
 * parses is checked, printed and, when the checker accepts it, printed and
 * parsed again: print(parse(x)) must be stable. Any crash, sanitizer report
 * or broken round trip is a bug of bpf/. */
#include "bpf/bpf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void round_trip(const struct cf_prog *prog)
{
	struct cf_prog again;
	struct cf_err err;
	char *text = cf_asm_print(prog);
	char *text2;

	if (!text)
		return;
	if (cf_asm_parse(text, strlen(text), "printed", &again, &err) != 0) {
		fprintf(stderr, "printed program does not parse: %s\n%s\n", err.msg, text);
		abort();
	}
	text2 = cf_asm_print(&again);
	if (!text2 || strcmp(text, text2) != 0) {
		fprintf(stderr, "print(parse(print(p))) differs:\n%s\n---\n%s\n", text, text2 ? text2 : "");
		abort();
	}
	free(text2);
	free(text);
	cf_prog_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cf_check_opts opts;
	struct cf_prog prog;
	struct cf_err err;
	int rc;

	if (size < 1)
		return 0;
	cf_check_opts_default(&opts);
	opts.insn_budget = 20000; /* keep each input fast; loops still get walked */
	if (data[0] & 1) {
		struct cf_raw raw;

		if (cf_raw_decode(data + 1, size - 1, &raw, &err) != 0)
			return 0;
		rc = cf_prog_from_raw(&prog, &raw, &err);
		cf_raw_free(&raw);
		if (rc != 0)
			return 0;
		cf_prog_derive_stack(&prog);
	} else {
		if (cf_asm_parse((const char *)data + 1, size - 1, "input", &prog, &err) != 0)
			return 0;
	}
	cf_check(&prog, &opts, &err);
	round_trip(&prog);
	cf_prog_free(&prog);
	return 0;
}

/* tests/bpf/raw_file.c: the `.bin` container (bpf/raw_file.c), bare
 * instruction bytes, and the flat form of bpf/prog.c. */
#include "bpf/bpf.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>

static const char example[] = ".func main\n"
			      "    r6 = r1\n"
			      "    r1 = 1\n"
			      "    r2 = 2\n"
			      "    r3 = 3\n"
			      "    r4 = 4\n"
			      "    r5 = 5\n"
			      "    *(u64 *)(r11 - 8) = 6\n"
			      "    r0 = 7\n"
			      "    *(u64 *)(r11 - 16) = r0\n"
			      "    call sum7\n" /* slot 9 */
			      "    if r0 != 28 goto bad\n"
			      "    r0 = 0\n"
			      "    exit\n"
			      "bad:\n"
			      "    r0 = 1\n"
			      "    exit\n"
			      ".func sum7, 7, stack=32\n" /* starts at slot 15 */
			      "    r6 = *(u64 *)(r11 + 8)\n"
			      "    r7 = *(u64 *)(r11 + 16)\n"
			      "    r0 = r1\n"
			      "    r0 += r6\n"
			      "    r0 += r7\n"
			      "    exit\n";

static void parse_example(struct cf_prog *p)
{
	struct cf_err err;

	if (cf_asm_parse(example, strlen(example), "ex.s", p, &err))
		test_fail(__FILE__, __LINE__, "%s", err.msg);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

TEST(raw_prog_to_raw_relocates_calls)
{
	struct cf_prog p, q;
	struct cf_raw raw;
	struct cf_err err;

	parse_example(&p);
	REQUIRE(p.nfuncs == 2);
	REQUIRE_MSG(!cf_prog_to_raw(&p, &raw, &err), "%s", err.msg);
	CHECK_EQ(raw.ninsns, 21);
	CHECK_EQ(raw.nfuncs, 2);
	CHECK_EQ(raw.funcs[1].start, 15);
	CHECK_EQ(raw.funcs[1].nargs, 7);
	CHECK_EQ(raw.funcs[1].stack_size, 32);
	/* flat pseudo call: imm = target - (pc + 1) = 15 - 10 */
	CHECK_EQ(raw.insns[9].src_reg, BPF_PSEUDO_CALL);
	CHECK_EQ(raw.insns[9].imm, 5);
	REQUIRE_MSG(!cf_prog_from_raw(&q, &raw, &err), "%s", err.msg);
	CHECK(cf_prog_equal(&p, &q));
	CHECK_EQ(q.funcs[1].insns[0].code, 0x79);
	cf_prog_free(&q);
	cf_raw_free(&raw);
	cf_prog_free(&p);
}

TEST(raw_encode_layout)
{
	struct bpf_insn insns[2] = { cf_insn(0x07, 1, 0, 0, 5), cf_insn(0x7b, 10, 1, -8, 0) };
	struct cf_raw_func funcs[2] = { { "main", 0, 1, false, 0 }, { "g", 1, 3, true, 16 } };
	struct cf_raw raw = { insns, 2, funcs, 2 };
	struct cf_err err;
	uint8_t *buf;
	size_t len;

	REQUIRE_MSG(!cf_raw_encode(&raw, &buf, &len, &err), "%s", err.msg);
	REQUIRE(len == 16 + 2 * 80 + 2 * 8);
	CHECK(!memcmp(buf, "CFBPF1\0\0", 8));
	CHECK_EQ(le32(buf + 8), 2);
	CHECK_EQ(le32(buf + 12), 2);
	CHECK_STR((const char *)buf + 16, "main");
	CHECK_STR((const char *)buf + 96, "g");
	CHECK_EQ(le32(buf + 96 + 64), 1);  /* start */
	CHECK_EQ(le32(buf + 96 + 68), 3);  /* nargs */
	CHECK_EQ(le32(buf + 96 + 72), 1);  /* global */
	CHECK_EQ(le32(buf + 96 + 76), 16); /* stack */
	/* r1 += 5: 07 01 00 00 05 00 00 00 */
	static const uint8_t add[8] = { 0x07, 0x01, 0, 0, 5, 0, 0, 0 };
	/* *(u64 *)(r10 - 8) = r1: 7b 1a f8 ff 00 00 00 00 */
	static const uint8_t stx[8] = { 0x7b, 0x1a, 0xf8, 0xff, 0, 0, 0, 0 };
	CHECK(!memcmp(buf + 176, add, 8));
	CHECK(!memcmp(buf + 184, stx, 8));

	struct cf_raw back;
	REQUIRE_MSG(!cf_raw_decode(buf, len, &back, &err), "%s", err.msg);
	CHECK_EQ(back.nfuncs, 2);
	CHECK_EQ(back.ninsns, 2);
	CHECK_STR(back.funcs[1].name, "g");
	CHECK(back.funcs[1].global);
	CHECK_EQ(back.funcs[1].stack_size, 16);
	CHECK(!memcmp(back.insns, insns, sizeof(insns)));
	cf_raw_free(&back);
	free(buf);
}

TEST(raw_file_roundtrip_through_text)
{
	struct cf_prog p, q;
	struct cf_raw raw, back;
	struct cf_err err;
	uint8_t *buf;
	size_t len;

	parse_example(&p);
	REQUIRE_MSG(!cf_prog_to_raw(&p, &raw, &err), "%s", err.msg);
	REQUIRE_MSG(!cf_raw_encode(&raw, &buf, &len, &err), "%s", err.msg);
	REQUIRE_MSG(!cf_raw_decode(buf, len, &back, &err), "%s", err.msg);
	REQUIRE_MSG(!cf_prog_from_raw(&q, &back, &err), "%s", err.msg);
	CHECK(cf_prog_equal(&p, &q));
	cf_prog_free(&q);
	cf_raw_free(&back);
	cf_raw_free(&raw);
	free(buf);
	cf_prog_free(&p);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

TEST(raw_decode_rejects_bad_files)
{
	struct cf_prog p;
	struct cf_raw raw, back;
	struct cf_err err;
	uint8_t *buf, *copy;
	size_t len;

	parse_example(&p);
	REQUIRE_MSG(!cf_prog_to_raw(&p, &raw, &err), "%s", err.msg);
	REQUIRE_MSG(!cf_raw_encode(&raw, &buf, &len, &err), "%s", err.msg);
	copy = malloc(len + 1);

	/* every proper prefix is refused */
	for (size_t n = 0; n < len; n++) {
		memcpy(copy, buf, n);
		CHECK_MSG(cf_raw_decode(copy, n, &back, &err) == -1, "prefix of %zu bytes accepted", n);
	}
	CHECK(cf_raw_decode(buf, 20, &back, &err) == -1);
	CHECK_CONTAINS(err.msg, "bytecode file truncated: 20 bytes");
	CHECK(cf_raw_decode(buf, 5, &back, &err) == -1);
	CHECK_CONTAINS(err.msg, "not a callfuzz bytecode file");

	memcpy(copy, buf, len);
	copy[len] = 0;
	CHECK(cf_raw_decode(copy, len + 1, &back, &err) == -1);
	CHECK_CONTAINS(err.msg, "1 trailing bytes");

#define MUTATE(off, val, want)                                                   \
	do {                                                                    \
		memcpy(copy, buf, len);                                         \
		put32(copy + (off), (val));                                     \
		CHECK(cf_raw_decode(copy, len, &back, &err) == -1);             \
		CHECK_CONTAINS(err.msg, want);                                  \
	} while (0)

	MUTATE(0, 0x46504243, "no \"CFBPF1\" magic");
	MUTATE(8, 0, "0 functions (expected 1..256)");
	MUTATE(8, 0xffffffff, "4294967295 functions");
	MUTATE(12, 0xffffffff, "4294967295 instructions (expected 1..65536)");
	MUTATE(12, 22, "truncated");
	MUTATE(16 + 64, 3, "function 0 starts at slot 3 (expected 0)");
	MUTATE(96 + 64, 0, "function 1 starts at slot 0");
	MUTATE(96 + 64, 21, "function 1 starts at slot 21");
	MUTATE(96 + 68, 13, "function 1 takes 13 arguments (expected 0..12)");
	MUTATE(96 + 72, 2, "function 1 has unknown flags 0x2");
	MUTATE(96 + 76, 1u << 30, "function 1 uses 1073741824 bytes of stack");
	memcpy(copy, buf, len);
	memset(copy + 16, 'a', 64);
	CHECK(cf_raw_decode(copy, len, &back, &err) == -1);
	CHECK_CONTAINS(err.msg, "function 0: name is not NUL-terminated");
	/* names the text format could not print back */
	static const char *const bad_names[] = { "a b", "1x", ".L", "r1", "w11", "x\n", "\x80" };
	for (size_t k = 0; k < sizeof(bad_names) / sizeof(bad_names[0]); k++) {
		memcpy(copy, buf, len);
		memset(copy + 96, 0, 64);
		memcpy(copy + 96, bad_names[k], strlen(bad_names[k]));
		CHECK_MSG(cf_raw_decode(copy, len, &back, &err) == -1, "name '%s' accepted", bad_names[k]);
		CHECK_CONTAINS(err.msg, "function 1: name is not an identifier");
	}
	memcpy(copy, buf, len);
	memcpy(copy + 96, "main", 5);
	CHECK(cf_raw_decode(copy, len, &back, &err) == -1);
	CHECK_CONTAINS(err.msg, "functions 0 and 1 are both named 'main'");
	memcpy(copy, buf, len);
	put32(copy + 96 + 72, 1); /* sum7 takes 7 arguments */
	CHECK(cf_raw_decode(copy, len, &back, &err) == -1);
	CHECK_CONTAINS(err.msg, "global function 1 takes 7 arguments (at most 5)");
	memcpy(copy, buf, len);
	memcpy(copy + 96, "r12x_$.y", 9); /* an identifier, not a register */
	CHECK(cf_raw_decode(copy, len, &back, &err) == 0);
	cf_raw_free(&back);
#undef MUTATE

	free(copy);
	free(buf);
	cf_raw_free(&raw);
	cf_prog_free(&p);
}

/* Random headers and bytes never crash decode or from_raw (the ASan build
 * runs this too); what decode accepts is well-formed for from_raw. */
TEST(raw_decode_garbage_never_crashes)
{
	uint64_t s = 0xb1a5ed;
	uint8_t buf[16 + 3 * 80 + 8 * 8];
	int accepted = 0;

	for (int n = 0; n < 20000; n++) {
		struct cf_raw raw;
		struct cf_prog p;
		struct cf_err err;
		size_t len = 0;

		for (size_t k = 0; k < sizeof(buf); k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			buf[k] = (uint8_t)(s >> 56);
		}
		memcpy(buf, "CFBPF1\0\0", 8);
		put32(buf + 8, 1 + (uint32_t)(s % 3));
		put32(buf + 12, 1 + (uint32_t)((s >> 8) % 8));
		if (n % 2) { /* make the records plausible half of the time */
			for (int f = 0; f < 3; f++) {
				buf[16 + 80 * f] = 'f';
				buf[16 + 80 * f + 1] = 0;
				buf[16 + 80 * f + 63] = 0;
				put32(buf + 16 + 80 * f + 64, (uint32_t)f * (uint32_t)((s >> 20) % 3));
				put32(buf + 16 + 80 * f + 68, (uint32_t)(s >> 24) % 14);
				put32(buf + 16 + 80 * f + 72, 0);
				put32(buf + 16 + 80 * f + 76, 0);
			}
		}
		len = 16 + 80 * (size_t)(1 + s % 3) + 8 * (size_t)(1 + (s >> 8) % 8);
		if (n % 2) { /* and the instructions: `r0 = imm` ... `exit`, so no jump leaves its function */
			uint8_t *insns = buf + 16 + 80 * (1 + s % 3);

			for (uint8_t *i = insns; i + 8 <= buf + len; i += 8) {
				i[0] = i + 16 <= buf + len ? 0xb7 : 0x95;
				i[1] = 0;
			}
		}
		if (n % 5 == 0)
			len -= (size_t)(s >> 40) % 20;
		if (cf_raw_decode(buf, len, &raw, &err) == 0) {
			if (cf_prog_from_raw(&p, &raw, &err) == 0) {
				char *text = cf_asm_print(&p);
				struct cf_prog q;

				accepted++;
				if (cf_asm_parse(text, strlen(text), "g.s", &q, &err)) {
					test_fail(__FILE__, __LINE__, "input %d: printout does not parse: %s\n%s", n,
						  err.msg, text);
				} else {
					CHECK_MSG(cf_prog_equal(&p, &q), "input %d: parse(print(p)) != p\n%s", n, text);
					cf_prog_free(&q);
				}
				free(text);
				cf_prog_free(&p);
			}
			cf_raw_free(&raw);
		}
		if (cf_raw_from_insns(buf, (len / 8) * 8 - 8 * (size_t)(n % 2), &raw, &err) == 0) {
			if (cf_prog_from_raw(&p, &raw, &err) == 0)
				cf_prog_free(&p);
			cf_raw_free(&raw);
		}
	}
	CHECK_MSG(accepted > 100, "only %d accepted", accepted); /* the plausible half must get through */
}

static uint8_t *bare_bytes(const struct cf_raw *raw)
{
	uint8_t *b = malloc((size_t)raw->ninsns * 8);

	for (int k = 0; k < raw->ninsns; k++) {
		const struct bpf_insn *i = &raw->insns[k];

		b[8 * k] = i->code;
		b[8 * k + 1] = (uint8_t)(i->dst_reg | i->src_reg << 4);
		b[8 * k + 2] = (uint8_t)(uint16_t)i->off;
		b[8 * k + 3] = (uint8_t)((uint16_t)i->off >> 8);
		put32(b + 8 * k + 4, (uint32_t)i->imm);
	}
	return b;
}

TEST(raw_bare_insns_split_at_call_targets)
{
	static const char text[] = ".func main\n"
				   "    call a\n"
				   "    call b\n"
				   "    r1 = 0x100000000 ll\n"
				   "    exit\n"
				   ".func a, 9\n"
				   "    r1 = *(u64 *)(r11 + 32)\n" /* incoming arg 9: slot 4 */
				   "    r2 = *(u64 *)(r11 + 8)\n"
				   "    *(u64 *)(r11 - 48) = r1\n"  /* outgoing: does not count */
				   "    exit\n"
				   ".func b, 2\n"
				   "    exit\n";
	struct cf_prog p;
	struct cf_raw raw, bare;
	struct cf_err err;
	uint8_t *bytes;

	REQUIRE_MSG(!cf_asm_parse(text, strlen(text), "b.s", &p, &err), "%s", err.msg);
	REQUIRE_MSG(!cf_prog_to_raw(&p, &raw, &err), "%s", err.msg);
	bytes = bare_bytes(&raw);
	REQUIRE_MSG(!cf_raw_from_insns(bytes, (size_t)raw.ninsns * 8, &bare, &err), "%s", err.msg);
	REQUIRE(bare.nfuncs == 3);
	CHECK_EQ(bare.funcs[0].start, 0);
	CHECK_EQ(bare.funcs[0].nargs, 1);
	CHECK_EQ(bare.funcs[1].start, 5);
	CHECK_EQ(bare.funcs[1].nargs, 9); /* 5 + slot 4 */
	CHECK_EQ(bare.funcs[2].start, 9);
	CHECK_EQ(bare.funcs[2].nargs, 5); /* no r11 load: 5 */
	CHECK(!memcmp(bare.insns, raw.insns, (size_t)raw.ninsns * sizeof(*raw.insns)));
	cf_raw_free(&bare);

	CHECK(cf_raw_from_insns(bytes, 7, &bare, &err) == -1);
	CHECK_CONTAINS(err.msg, "7 bytes is not a positive multiple of 8");
	CHECK(cf_raw_from_insns(bytes, 0, &bare, &err) == -1);

	/* a call that lands outside the program */
	put32(bytes + 4, 1000);
	CHECK(cf_raw_from_insns(bytes, (size_t)raw.ninsns * 8, &bare, &err) == -1);
	CHECK_CONTAINS(err.msg, "bare bytecode insn 0: call target 1001 is outside the program");
	free(bytes);
	cf_raw_free(&raw);
	cf_prog_free(&p);
}

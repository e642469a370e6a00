/* tests/bpf/asm_table.c: one text line per instruction family and the
 * struct bpf_insn the ISA defines for it, computed by hand:
 * code = class | op | source (or class | size | mode), regs, off, imm. */
#include "bpf/bpf.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>

struct insn_case {
	const char *text;
	uint8_t code, dst, src;
	int16_t off;
	int32_t imm;
};

static const struct insn_case cases[] = {
	/* ALU64 / ALU: class 0x07 / 0x04, op high nibble, BPF_X = 0x08 */
	{ "r1 += 5", 0x07, 1, 0, 0, 5 },
	{ "r1 += r2", 0x0f, 1, 2, 0, 0 },
	{ "w1 += 5", 0x04, 1, 0, 0, 5 },
	{ "w1 += w2", 0x0c, 1, 2, 0, 0 },
	{ "r3 -= -7", 0x17, 3, 0, 0, -7 },
	{ "w3 -= w4", 0x1c, 3, 4, 0, 0 },
	{ "r1 *= 0x10", 0x27, 1, 0, 0, 16 },
	{ "r1 /= r2", 0x3f, 1, 2, 0, 0 },
	{ "r1 s/= r2", 0x3f, 1, 2, 1, 0 },
	{ "w1 s/= 3", 0x34, 1, 0, 1, 3 },
	{ "r1 |= r9", 0x4f, 1, 9, 0, 0 },
	{ "r1 &= 255", 0x57, 1, 0, 0, 255 },
	{ "r1 <<= 63", 0x67, 1, 0, 0, 63 },
	{ "w1 >>= w2", 0x7c, 1, 2, 0, 0 },
	{ "r1 = -r1", 0x87, 1, 0, 0, 0 },
	{ "w5 = -w5", 0x84, 5, 0, 0, 0 },
	{ "r1 %= r2", 0x9f, 1, 2, 0, 0 },
	{ "r1 s%= r2", 0x9f, 1, 2, 1, 0 },
	{ "w1 s%= -2", 0x94, 1, 0, 1, -2 },
	{ "r1 ^= -1", 0xa7, 1, 0, 0, -1 },
	{ "r1 = r2", 0xbf, 1, 2, 0, 0 },
	{ "w1 = w2", 0xbc, 1, 2, 0, 0 },
	{ "r1 = 5", 0xb7, 1, 0, 0, 5 },
	{ "r1 = 0xffffffff", 0xb7, 1, 0, 0, -1 },
	{ "w0 = -2147483648", 0xb4, 0, 0, 0, INT32_MIN },
	{ "r1 s>>= 3", 0xc7, 1, 0, 0, 3 },
	{ "w1 s>>= w2", 0xcc, 1, 2, 0, 0 },
	/* MOVSX: MOV | X with off = source width */
	{ "r1 = (s8)r2", 0xbf, 1, 2, 8, 0 },
	{ "r1 = (s16)r2", 0xbf, 1, 2, 16, 0 },
	{ "r1 = (s32)r2", 0xbf, 1, 2, 32, 0 },
	{ "w1 = (s8)w2", 0xbc, 1, 2, 8, 0 },
	{ "w1 = (s16)w2", 0xbc, 1, 2, 16, 0 },
	/* END: ALU | END (0xd4 le, 0xdc be), ALU64 | END (0xd7 bswap) */
	{ "r0 = be16 r0", 0xdc, 0, 0, 0, 16 },
	{ "r0 = be32 r0", 0xdc, 0, 0, 0, 32 },
	{ "r3 = le64 r3", 0xd4, 3, 0, 0, 64 },
	{ "r0 = bswap16 r0", 0xd7, 0, 0, 0, 16 },
	{ "r0 = bswap32 r0", 0xd7, 0, 0, 0, 32 },
	{ "r9 = bswap64 r9", 0xd7, 9, 0, 0, 64 },
	/* LDX: class 0x01 | size (W 0, H 8, B 0x10, DW 0x18) | MEM 0x60 / MEMSX 0x80 */
	{ "r1 = *(u32 *)(r2 + 4)", 0x61, 1, 2, 4, 0 },
	{ "w1 = *(u32 *)(r2 + 4)", 0x61, 1, 2, 4, 0 },
	{ "r1 = *(u16 *)(r2 + 0)", 0x69, 1, 2, 0, 0 },
	{ "r1 = *(u8 *)(r2 - 1)", 0x71, 1, 2, -1, 0 },
	{ "r1 = *(u64 *)(r10 - 0x8)", 0x79, 1, 10, -8, 0 },
	{ "r1 = *(s32 *)(r2 - 4)", 0x81, 1, 2, -4, 0 },
	{ "r1 = *(s16 *)(r2 - 4)", 0x89, 1, 2, -4, 0 },
	{ "r1 = *(s8 *)(r2 + 32767)", 0x91, 1, 2, 32767, 0 },
	{ "r1 = *(u8 *)(r2 - 32768)", 0x71, 1, 2, -32768, 0 },
	{ "r1 = *(u32 *)(r2 +4)", 0x61, 1, 2, 4, 0 }, /* verifier-log spacing */
	/* ST: class 0x02 | size | MEM; STX: class 0x03 | size | MEM */
	{ "*(u64 *)(r10 - 8) = 5", 0x7a, 10, 0, -8, 5 },
	{ "*(u32 *)(r1 + 2) = -1", 0x62, 1, 0, 2, -1 },
	{ "*(u16 *)(r1 + 0) = 7", 0x6a, 1, 0, 0, 7 },
	{ "*(u8 *)(r1 + 0) = 255", 0x72, 1, 0, 0, 255 },
	{ "*(u64 *)(r10 - 8) = r1", 0x7b, 10, 1, -8, 0 },
	{ "*(u32 *)(r10 - 8) = w1", 0x63, 10, 1, -8, 0 },
	{ "*(u16 *)(r3 + 6) = r4", 0x6b, 3, 4, 6, 0 },
	{ "*(u8 *)(r3 + 6) = r4", 0x73, 3, 4, 6, 0 },
	/* JMP: class 0x05 | op | source; JMP32: class 0x06 */
	{ "goto +2", 0x05, 0, 0, 2, 0 },
	{ "goto -1", 0x05, 0, 0, -1, 0 },
	{ "goto +0", 0x05, 0, 0, 0, 0 },
	{ "gotol +2", 0x06, 0, 0, 0, 2 },
	{ "if r1 == 3 goto +1", 0x15, 1, 0, 1, 3 },
	{ "if r1 == r2 goto +1", 0x1d, 1, 2, 1, 0 },
	{ "if r1 > 3 goto +1", 0x25, 1, 0, 1, 3 },
	{ "if r1 >= r3 goto +1", 0x3d, 1, 3, 1, 0 },
	{ "if r1 & r2 goto +1", 0x4d, 1, 2, 1, 0 },
	{ "if w1 & 5 goto +1", 0x46, 1, 0, 1, 5 },
	{ "if r1 != 0 goto +1", 0x55, 1, 0, 1, 0 },
	{ "if r1 s> r2 goto +1", 0x6d, 1, 2, 1, 0 },
	{ "if r1 s>= 1 goto +1", 0x75, 1, 0, 1, 1 },
	{ "if r1 < 9 goto +1", 0xa5, 1, 0, 1, 9 },
	{ "if w1 <= w2 goto +1", 0xbe, 1, 2, 1, 0 },
	{ "if w1 s< -3 goto +1", 0xc6, 1, 0, 1, -3 },
	{ "if r1 s<= r0 goto +1", 0xdd, 1, 0, 1, 0 },
	{ "if r1 > 0x3 goto pc+1", 0x25, 1, 0, 1, 3 }, /* verifier-log form */
	{ "exit", 0x95, 0, 0, 0, 0 },
	{ "call 1000", 0x85, 0, 0, 0, 1000 },
	{ "call trace", 0x85, 0, 0, 0, CF_HELPER_TRACE },
	{ "call stack_hash", 0x85, 0, 0, 0, CF_HELPER_STACK_HASH },
	{ "call -1", 0x85, 0, 0, 0, -1 },
	{ "call kfunc kf_args7", 0x85, 0, BPF_PSEUDO_KFUNC_CALL, 0, CF_KFUNC_ARGS_BASE + 7 },
	{ "call kfunc 2012", 0x85, 0, BPF_PSEUDO_KFUNC_CALL, 0, 2012 },
	/* atomics: STX | size | ATOMIC (0xc0) = 0xdb (DW), 0xc3 (W); imm = op [| FETCH] */
	{ "lock *(u64 *)(r10 - 8) += r1", 0xdb, 10, 1, -8, 0x00 },
	{ "lock *(u32 *)(r1 + 0) &= w2", 0xc3, 1, 2, 0, 0x50 },
	{ "lock *(u32 *)(r1 + 0) |= w2", 0xc3, 1, 2, 0, 0x40 },
	{ "lock *(u64 *)(r1 + 16) ^= r2", 0xdb, 1, 2, 16, 0xa0 },
	{ "r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)", 0xdb, 10, 1, -8, 0x01 },
	{ "w1 = atomic_fetch_and((u32 *)(r10 - 8), w1)", 0xc3, 10, 1, -8, 0x51 },
	{ "r3 = atomic_fetch_or((u64 *)(r2 + 8), r3)", 0xdb, 2, 3, 8, 0x41 },
	{ "w3 = atomic_fetch_xor((u32 *)(r2 + 8), w3)", 0xc3, 2, 3, 8, 0xa1 },
	{ "r1 = xchg_64(r10 - 8, r1)", 0xdb, 10, 1, -8, 0xe1 },
	{ "w1 = xchg32_32(r10 - 8, w1)", 0xc3, 10, 1, -8, 0xe1 },
	{ "r0 = cmpxchg_64(r10 - 8, r0, r1)", 0xdb, 10, 1, -8, 0xf1 },
	{ "w0 = cmpxchg32_32(r10 - 8, w0, w1)", 0xc3, 10, 1, -8, 0xf1 },
	/* r11 stack-argument forms (stack-args.md 1) */
	{ "*(u64 *)(r11 - 8) = r1", 0x7b, 11, 1, -8, 0 },
	{ "*(u64 *)(r11 - 16) = 6", 0x7a, 11, 0, -16, 6 },
	{ "r6 = *(u64 *)(r11 + 8)", 0x79, 6, 11, 8, 0 },
	/* r11 in ALU is syntax the checker rejects, not the parser */
	{ "r11 = 1", 0xb7, 11, 0, 0, 1 },
	/* raw slots */
	{ ".insn 0x07, 1, 0, 3, 5", 0x07, 1, 0, 3, 5 },
	{ ".insn 0xff, 15, 15, -32768, -1", 0xff, 15, 15, -32768, -1 },
};

/* Parse `text` as the first statement of an implicit main, followed by
 * three `exit` so that short forward jumps stay inside the function. */
static int parse_one(const char *text, struct cf_prog *p, struct cf_err *err)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s\nexit\nexit\nexit\n", text);
	return cf_asm_parse(buf, strlen(buf), "t.s", p, err);
}

TEST(asm_table_every_family)
{
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct insn_case *c = &cases[k];
		struct cf_prog p;
		struct cf_err err = { "" };
		const struct bpf_insn *i;

		if (parse_one(c->text, &p, &err)) {
			CHECK_MSG(0, "'%s': %s", c->text, err.msg);
			continue;
		}
		CHECK_EQ(p.nfuncs, 1);
		CHECK_STR(p.funcs[0].name, "main");
		CHECK_EQ(p.funcs[0].nargs, 1);
		CHECK_EQ(p.funcs[0].ninsns, 4);
		i = &p.funcs[0].insns[0];
		CHECK_MSG(i->code == c->code && i->dst_reg == c->dst && i->src_reg == c->src && i->off == c->off &&
				  i->imm == c->imm,
			  "'%s': got {0x%02x,%d,%d,%d,%d} want {0x%02x,%d,%d,%d,%d}", c->text, i->code, i->dst_reg,
			  i->src_reg, i->off, i->imm, c->code, c->dst, c->src, c->off, c->imm);
		cf_prog_free(&p);
	}
}

TEST(asm_table_ld_imm64_two_slots)
{
	static const struct {
		const char *text;
		uint8_t dst;
		uint64_t v;
	} lds[] = {
		{ "r1 = 0x1122334455667788 ll", 1, 0x1122334455667788ull },
		{ "r2 = -1 ll", 2, ~0ull },
		{ "r3 = 0xffffffffffffffff ll", 3, ~0ull },
		{ "r0 = -9223372036854775808 ll", 0, 0x8000000000000000ull },
		{ "r9 = 5 ll", 9, 5 },
	};

	for (size_t k = 0; k < sizeof(lds) / sizeof(lds[0]); k++) {
		struct cf_prog p;
		struct cf_err err;

		REQUIRE_MSG(!parse_one(lds[k].text, &p, &err), "%s", err.msg);
		REQUIRE(p.funcs[0].ninsns == 5);
		const struct bpf_insn *a = &p.funcs[0].insns[0], *b = &p.funcs[0].insns[1];
		CHECK_EQ(a->code, 0x18);
		CHECK_EQ(a->dst_reg, lds[k].dst);
		CHECK_EQ(a->src_reg, 0);
		CHECK_EQ((uint32_t)a->imm, (uint32_t)lds[k].v);
		CHECK_EQ(b->code, 0);
		CHECK_EQ(b->dst_reg, 0);
		CHECK_EQ((uint32_t)b->imm, (uint32_t)(lds[k].v >> 32));
		cf_prog_free(&p);
	}
}

static const char example[] =
	"; a comment runs to the end of the line ('#' and '//' also start one)\n"
	".func main                  ; the first function is the entry; it receives r1 = ctx\n"
	"    r6 = r1\n"
	"    r1 = 1\n"
	"    r2 = 2\n"
	"    r3 = 3\n"
	"    r4 = 4\n"
	"    r5 = 5\n"
	"    *(u64 *)(r11 - 8) = 6   ; arg 6 (ST imm form)\n"
	"    r0 = 7\n"
	"    *(u64 *)(r11 - 16) = r0 ; arg 7 (STX form)\n"
	"    call sum7\n"
	"    if r0 != 28 goto bad\n"
	"    r0 = 0\n"
	"    exit\n"
	"bad:\n"
	"    r0 = 1\n"
	"    exit\n"
	"\n"
	".func sum7, 7               ; name, argument count (0..12); static linkage\n"
	"    r6 = *(u64 *)(r11 + 8)  ; incoming arg 6\n"
	"    r7 = *(u64 *)(r11 + 16) ; incoming arg 7\n"
	"    r0 = r1\n"
	"    r0 += r2\n"
	"    r0 += r3\n"
	"    r0 += r4\n"
	"    r0 += r5\n"
	"    r0 += r6\n"
	"    r0 += r7\n"
	"    exit\n";

TEST(asm_doc_example)
{
	struct cf_prog p;
	struct cf_err err;
	const struct cf_func *m, *s;

	REQUIRE_MSG(!cf_asm_parse(example, strlen(example), "ex.s", &p, &err), "%s", err.msg);
	REQUIRE(p.nfuncs == 2);
	m = &p.funcs[0];
	s = &p.funcs[1];
	CHECK_STR(m->name, "main");
	CHECK_EQ(m->nargs, 1);
	CHECK_STR(s->name, "sum7");
	CHECK_EQ(s->nargs, 7);
	CHECK(!s->global);
	CHECK_EQ(m->ninsns, 15);
	CHECK_EQ(s->ninsns, 10);
	/* call sum7: BPF_PSEUDO_CALL, imm = callee index */
	CHECK_EQ(m->insns[9].code, 0x85);
	CHECK_EQ(m->insns[9].src_reg, BPF_PSEUDO_CALL);
	CHECK_EQ(m->insns[9].imm, 1);
	/* if r0 != 28 goto bad: JNE|K, bad is slot 13, so off = 13 - 11 */
	CHECK_EQ(m->insns[10].code, 0x55);
	CHECK_EQ(m->insns[10].off, 2);
	CHECK_EQ(m->insns[10].imm, 28);
	/* source lines are kept */
	CHECK_EQ(m->lines[0], 3);
	CHECK_EQ(s->lines[0], 21);
	/* no r10 access: derived stack 0 */
	CHECK_EQ(m->stack_size, 0);
	cf_prog_free(&p);
}

TEST(asm_labels_forward_backward)
{
	static const char text[] = ".func f, 2\n"
				   "top:\n"
				   "    r0 = 0\n"       /* 0 */
				   "loop: r0 += 1\n"    /* 1 */
				   "    if r0 < 10 goto loop\n" /* 2: off = 1 - 3 = -2 */
				   "    if w0 == 10 goto out\n" /* 3: off = 6 - 4 = 2 */
				   "    r1 = 2 ll\n"    /* 4, 5 */
				   "out:\n"
				   "    gotol next\n"   /* 6: imm = 7 - 7 = 0 */
				   "next:\n"
				   "    goto top\n"     /* 7: off = 0 - 8 = -8 */
				   "    exit\n";
	struct cf_prog p;
	struct cf_err err;
	const struct cf_func *f;

	REQUIRE_MSG(!cf_asm_parse(text, strlen(text), "l.s", &p, &err), "%s", err.msg);
	f = &p.funcs[0];
	CHECK_EQ(f->nargs, 2); /* explicit NARGS wins over the entry default */
	REQUIRE(f->ninsns == 9);
	CHECK_EQ(f->insns[2].code, 0xa5);
	CHECK_EQ(f->insns[2].off, -2);
	CHECK_EQ(f->insns[3].code, 0x16);
	CHECK_EQ(f->insns[3].off, 2);
	CHECK_EQ(f->insns[6].code, 0x06);
	CHECK_EQ(f->insns[6].imm, 0);
	CHECK_EQ(f->insns[7].off, -8);
	CHECK_EQ(f->nlabels, 4);
	cf_prog_free(&p);
}

TEST(asm_calls_by_name_forward_and_helpers)
{
	static const char text[] = ".func main\n"
				   "    call later\n"
				   "    call trace\n"
				   "    call self\n"
				   "    exit\n"
				   ".func self, 0\n"
				   "    call main\n"
				   "    exit\n"
				   ".func later, 5, global, stack=64\n"
				   "    call kfunc kf_args12\n"
				   "    exit\n"
				   ".func trace\n" /* a function shadows the helper of the same name */
				   "    exit\n";
	struct cf_prog p;
	struct cf_err err;

	REQUIRE_MSG(!cf_asm_parse(text, strlen(text), "c.s", &p, &err), "%s", err.msg);
	REQUIRE(p.nfuncs == 4);
	CHECK_EQ(p.funcs[0].insns[0].src_reg, BPF_PSEUDO_CALL);
	CHECK_EQ(p.funcs[0].insns[0].imm, 2);
	CHECK_EQ(p.funcs[0].insns[1].src_reg, BPF_PSEUDO_CALL);
	CHECK_EQ(p.funcs[0].insns[1].imm, 3);
	CHECK_EQ(p.funcs[0].insns[2].imm, 1);
	CHECK_EQ(p.funcs[1].insns[0].imm, 0);
	CHECK(p.funcs[2].global);
	CHECK_EQ(p.funcs[2].nargs, 5);
	CHECK(p.funcs[2].stack_declared);
	CHECK_EQ(p.funcs[2].stack_size, 64);
	CHECK_EQ(p.funcs[2].insns[0].src_reg, BPF_PSEUDO_KFUNC_CALL);
	CHECK_EQ(p.funcs[2].insns[0].imm, CF_KFUNC_ARGS_BASE + 12);
	CHECK_EQ(p.funcs[3].nargs, 0);

	/* the printer must not print the helper by a name the program took */
	char *out = cf_asm_print(&p);
	struct cf_prog q;
	REQUIRE_MSG(!cf_asm_parse(out, strlen(out), "c2.s", &q, &err), "%s\n%s", err.msg, out);
	CHECK(cf_prog_equal(&p, &q));
	cf_prog_free(&q);
	free(out);
	cf_prog_free(&p);
}

TEST(asm_stack_derived_and_declared)
{
	static const char text[] = ".func main\n"
				   "    *(u32 *)(r10 - 12) = 1\n"
				   "    r1 = *(u8 *)(r10 - 3)\n"
				   "    exit\n"
				   ".func g, 1, stack=256\n"
				   "    exit\n";
	struct cf_prog p;
	struct cf_err err;

	REQUIRE_MSG(!cf_asm_parse(text, strlen(text), "s.s", &p, &err), "%s", err.msg);
	CHECK_EQ(p.funcs[0].stack_size, 16); /* deepest access 12, rounded up to 8 */
	CHECK(!p.funcs[0].stack_declared);
	CHECK_EQ(p.funcs[1].stack_size, 256);
	cf_prog_free(&p);
}

TEST(asm_print_canonical_text)
{
	static const char text[] = "; comment\n"
				   ".func main // entry\n"
				   "  r1 = 0x10   # hex\n"
				   "  if r1 > 3 goto +1\n"
				   "  r0 = r1\n"
				   "  call f\n"
				   "  exit\n"
				   ".func f, 6, stack=16\n"
				   "  r0 = *(u64 *)(r11 + 8)\n"
				   "  exit\n"
				   ".func g, 2, global\n"
				   "  exit\n";
	static const char want[] = ".func main\n"
				   "    r1 = 16\n"
				   "    if r1 > 3 goto l3\n"
				   "    r0 = r1\n"
				   "l3:\n"
				   "    call f\n"
				   "    exit\n"
				   "\n"
				   ".func f, 6, stack=16\n"
				   "    r0 = *(u64 *)(r11 + 8)\n"
				   "    exit\n"
				   "\n"
				   ".func g, 2, global\n"
				   "    exit\n";
	struct cf_prog p;
	struct cf_err err;
	char *out;

	REQUIRE_MSG(!cf_asm_parse(text, strlen(text), "p.s", &p, &err), "%s", err.msg);
	out = cf_asm_print(&p);
	CHECK_STR(out, want);
	free(out);
	cf_prog_free(&p);
}

TEST(asm_print_generated_labels_do_not_collide)
{
	/* user label `l3` sits at slot 1; the generated name for slot 3 must
	 * differ from it */
	static const char text[] = ".func main\n"
				   "    goto +2\n"
				   "l3:\n"
				   "    r0 = 0\n"
				   "    goto l3\n"
				   "    exit\n";
	struct cf_prog p, q;
	struct cf_err err;
	char *out, *again;

	REQUIRE_MSG(!cf_asm_parse(text, strlen(text), "g.s", &p, &err), "%s", err.msg);
	out = cf_asm_print(&p);
	CHECK_CONTAINS(out, "l3_:\n    exit\n");
	CHECK_CONTAINS(out, "    goto l3_\n");
	CHECK_CONTAINS(out, "l3:\n    r0 = 0\n    goto l3\n");
	REQUIRE_MSG(!cf_asm_parse(out, strlen(out), "g2.s", &q, &err), "%s", err.msg);
	CHECK(cf_prog_equal(&p, &q));
	again = cf_asm_print(&q);
	CHECK_STR(again, out);
	free(out);
	free(again);
	cf_prog_free(&p);
	cf_prog_free(&q);
}

TEST(asm_print_insn_relative)
{
	static const char text[] = ".func main\n"
				   "    if r1 == 0 goto out\n"
				   "    r0 = 1 ll\n"
				   "    goto -4\n"
				   "out:\n"
				   "    call main\n"
				   "    exit\n";
	struct cf_prog p;
	struct cf_err err;
	char buf[128];
	int n;

	REQUIRE_MSG(!cf_asm_parse(text, strlen(text), "i.s", &p, &err), "%s", err.msg);
	n = cf_asm_print_insn(buf, sizeof(buf), &p, 0, 0);
	CHECK_STR(buf, "if r1 == 0 goto +3");
	CHECK_EQ(n, strlen("if r1 == 0 goto +3"));
	cf_asm_print_insn(buf, sizeof(buf), &p, 0, 1);
	CHECK_STR(buf, "r0 = 1 ll");
	cf_asm_print_insn(buf, sizeof(buf), &p, 0, 3);
	CHECK_STR(buf, "goto -4");
	cf_asm_print_insn(buf, sizeof(buf), &p, 0, 4);
	CHECK_STR(buf, "call main");
	/* snprintf semantics: truncated output, full length returned */
	n = cf_asm_print_insn(buf, 5, &p, 0, 0);
	CHECK_STR(buf, "if r");
	CHECK_EQ(n, strlen("if r1 == 0 goto +3"));
	cf_prog_free(&p);
}

TEST(asm_print_raw_fallback)
{
	struct cf_prog p, q;
	struct cf_func *f;
	struct cf_err err;
	char *out;

	cf_prog_init(&p);
	f = cf_prog_add_func(&p, "main", 1, false);
	cf_func_emit(f, cf_insn(0x07, 1, 0, 3, 5), 0);      /* ALU with off: no spelling */
	cf_func_emit(f, cf_insn(0xbf, 12, 1, 0, 0), 0);     /* r12 */
	cf_func_emit(f, cf_insn(0x18, 1, BPF_PSEUDO_MAP_FD, 0, 3), 0); /* pseudo ld_imm64 */
	cf_func_emit(f, cf_insn(0, 0, 0, 0, 0), 0);
	cf_func_emit(f, cf_insn(0x05, 0, 0, 40, 0), 0);     /* leaves the function */
	cf_func_emit(f, cf_insn(0x95, 0, 0, 0, 0), 0);
	out = cf_asm_print(&p);
	CHECK_CONTAINS(out, "    .insn 0x07, 1, 0, 3, 5\n");
	CHECK_CONTAINS(out, "    .insn 0xbf, 12, 1, 0, 0\n");
	CHECK_CONTAINS(out, "    .insn 0x18, 1, 1, 0, 3\n    .insn 0x00, 0, 0, 0, 0\n");
	CHECK_CONTAINS(out, "    .insn 0x05, 0, 0, 40, 0\n");
	REQUIRE_MSG(!cf_asm_parse(out, strlen(out), "r.s", &q, &err), "%s\n%s", err.msg, out);
	CHECK(cf_prog_equal(&p, &q));
	free(out);
	cf_prog_free(&p);
	cf_prog_free(&q);
}

/* ---- errors ------------------------------------------------------------ */

struct err_case {
	const char *text;
	const char *msg; /* substring of the message, with file and line */
};

static const struct err_case err_cases[] = {
	{ ".func main\n  r0 = 0\n  goto out\n  exit\n", "x.s:3: unknown label 'out'" },
	{ ".func main\n\n  r99 = 1\n", "x.s:3: expected a register, got 'r99'" },
	{ ".func main\n  r12 = 1\n", "x.s:2: expected a register, got 'r12': no register r12" },
	{ ".func main\n  r1 = *(u64 *)(r12 + 8)\n", "x.s:2: expected a register, got 'r12'" },
	{ ".func main\n  r1 += r16\n", "no register r16" },
	{ ".func main\n  call foo\n  exit\n", "x.s:2: call to unknown function 'foo'" },
	{ ".func main\n  call kfunc foo\n", "x.s:2: unknown kfunc 'foo'" },
	{ ".func main\n  call kf_args6\n", "x.s:2: 'kf_args6' is a kfunc: write 'call kfunc kf_args6'" },
	{ ".func main\n  goto +40\n  exit\n", "x.s:2: 'goto +40' leaves function main" },
	{ ".func main\n  if r1 > 2 goto -3\n", "x.s:2: 'if r1 > 2 goto -3' leaves function main" },
	{ ".func main\n  goto end\n  exit\nend:\n", "x.s:2: 'goto end' leaves function main" },
	{ ".func main\n  exit\n.func f, 13\n", "x.s:3: function f takes 13 arguments; expected 0..12" },
	{ ".func main\n  exit\n.func f, -1\n", "x.s:3: function f takes -1 arguments; expected 0..12" },
	{ ".func main\n  exit\n.func f, 6, global\n", "x.s:3: global function f takes at most 5 arguments" },
	{ ".func main\n  exit\n.func main\n", "x.s:3: function 'main' defined twice" },
	{ ".func main\nx:\nx:\n", "x.s:3: label 'x' defined twice in function main" },
	{ ".func main\n  r1 = 4294967296\n", "x.s:2: immediate 4294967296 does not fit in 32 bits" },
	{ ".func main\n  r1 = -2147483649\n", "x.s:2: immediate -2147483649 does not fit in 32 bits" },
	{ ".func main\n  r1 = 18446744073709551616 ll\n", "x.s:2: number '18446744073709551616' does not fit in 64 bits" },
	{ ".func main\n  r1 = *(u32 *)(r2 + 32768)\n", "x.s:2: offset 32768 is out of range" },
	{ ".func main\n  goto +32768\n", "x.s:2: jump offset 32768 is out of range" },
	{ ".func main\n  r1 = *(u64 *)(r2 + 4\n", "x.s:2: expected ')', got end of line" },
	{ ".func main\n  r1 += w2\n", "x.s:2: expected a 64-bit (r) register, got 'w2'" },
	{ ".func main\n  w1 = r2\n", "x.s:2: expected a 32-bit (w) register, got 'r2'" },
	{ ".func main\n  r1 = -r2\n", "x.s:2: neg: the result register must be" },
	{ ".func main\n  r1 = 5 ll extra\n", "x.s:2: expected end of statement, got 'extra'" },
	{ ".func main\n  frobnicate r1\n", "x.s:2: expected an instruction, got 'frobnicate'" },
	{ ".func main\n  r1 = 1 @\n", "x.s:2: unexpected character '@'" },
	{ ".section .text\n", "x.s:1: unknown directive '.section'" },
	{ "", "x.s:1: empty program" },
	{ ".func main\n  *(s32 *)(r1 + 0) = 1\n", "x.s:2: stores take an unsigned size" },
	{ ".func main\n  w1 = *(u64 *)(r1 + 0)\n", "x.s:2: a u64 load needs an r destination register" },
	{ ".func main\n  r1 = xchg_64(r10 - 8, r2)\n", "x.s:2: xchg: the result register must be" },
	{ ".func main\n  r1 = cmpxchg_64(r10 - 8, r0, r1)\n", "x.s:2: cmpxchg compares with and returns in r0" },
	{ ".func main\n  lock *(u16 *)(r1 + 0) += r1\n", "x.s:2: atomic operations take u32 or u64" },
	{ ".func main\n  .insn 256, 0, 0, 0, 0\n", "x.s:2: opcode 256 is out of range" },
	{ ".func main, 1, stack=-8\n", "x.s:1: stack size -8 is out of range" },
	{ "  exit\n.func main\n", "x.s:2: function 'main' defined twice" },
	{ ".func r1\n", "x.s:1: 'r1' cannot name a function" },
};

TEST(asm_error_messages)
{
	for (size_t k = 0; k < sizeof(err_cases) / sizeof(err_cases[0]); k++) {
		struct cf_prog p;
		struct cf_err err = { "" };
		int rc = cf_asm_parse(err_cases[k].text, strlen(err_cases[k].text), "x.s", &p, &err);

		CHECK_MSG(rc == -1, "accepted: %s", err_cases[k].text);
		CHECK_CONTAINS(err.msg, err_cases[k].msg);
		CHECK_EQ(p.nfuncs, 0); /* freed on failure */
	}
}

TEST(asm_error_name_too_long)
{
	char text[256];
	struct cf_prog p;
	struct cf_err err;

	snprintf(text, sizeof(text), ".func %0*d\n", 70, 0);
	memcpy(text + 6, "f", 1); /* an identifier of 70 characters */
	CHECK(cf_asm_parse(text, strlen(text), "x.s", &p, &err) == -1);
	CHECK_CONTAINS(err.msg, "x.s:1: name 'f000");
	CHECK_CONTAINS(err.msg, "is longer than 63 characters");
}

TEST(asm_error_too_many_functions)
{
	size_t cap = (CF_MAX_FUNCS + 2) * 32, len = 0;
	char *text = malloc(cap);
	struct cf_prog p;
	struct cf_err err;

	for (int i = 0; i <= CF_MAX_FUNCS; i++)
		len += (size_t)snprintf(text + len, cap - len, ".func f%d\n exit\n", i);
	CHECK(cf_asm_parse(text, len, "x.s", &p, &err) == -1);
	CHECK_CONTAINS(err.msg, "x.s:513: too many functions (a program has at most 256)");
	free(text);
}

TEST(asm_error_too_many_insns)
{
	size_t cap = (CF_MAX_INSNS + 8) * 8, len = 0;
	char *text = malloc(cap);
	struct cf_prog p;
	struct cf_err err;
	char want[64];

	len += (size_t)snprintf(text + len, cap - len, ".func main\n");
	for (int i = 0; i <= CF_MAX_INSNS; i++)
		len += (size_t)snprintf(text + len, cap - len, "exit\n");
	CHECK(cf_asm_parse(text, len, "x.s", &p, &err) == -1);
	snprintf(want, sizeof(want), "x.s:%d: too many instructions", CF_MAX_INSNS + 2);
	CHECK_CONTAINS(err.msg, want);
	free(text);
}

TEST(asm_error_nul_byte_and_no_filename)
{
	static const char text[] = ".func main\n exit\0\n";
	struct cf_prog p;
	struct cf_err err;

	CHECK(cf_asm_parse(text, sizeof(text) - 1, "x.s", &p, &err) == -1);
	CHECK_CONTAINS(err.msg, "x.s:2: NUL byte");
	CHECK(cf_asm_parse("bogus", 5, NULL, &p, &err) == -1);
	CHECK_CONTAINS(err.msg, "<input>:1: expected an instruction, got 'bogus'");
}

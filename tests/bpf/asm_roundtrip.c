/* tests/bpf/asm_roundtrip.c: print/parse round trip over random programs.
 *
 * The builder below makes programs straight from struct bpf_insn (every
 * ISA family, r11 forms, ld_imm64, jumps and labels, calls to functions,
 * helpers and kfuncs, and some arbitrary slots with no spelling), then
 * checks parse(print(p)) == p and that printing again gives the same text. */
#include "bpf/bpf.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>

#define NPROGS 3000

struct rng {
	uint64_t s;
};

static uint64_t next_u64(struct rng *r) /* splitmix64 */
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int below(struct rng *r, int n)
{
	return (int)(next_u64(r) % (uint64_t)n);
}

static int32_t any_imm(struct rng *r)
{
	static const int32_t edge[] = { 0, 1, -1, 2, 63, 64, INT32_MAX, INT32_MIN, 0xffff, -32768, 28 };

	if (below(r, 2))
		return edge[below(r, sizeof(edge) / sizeof(edge[0]))];
	return (int32_t)(uint32_t)next_u64(r) >> below(r, 32);
}

static int16_t any_off(struct rng *r)
{
	static const int16_t edge[] = { 0, -8, 8, -16, 16, -56, 56, -512, 32767, -32768, 1, -1 };

	if (below(r, 2))
		return edge[below(r, sizeof(edge) / sizeof(edge[0]))];
	return (int16_t)next_u64(r);
}

static uint8_t reg(struct rng *r)
{
	return (uint8_t)below(r, 12); /* r0..r11: r11 only matters to the checker */
}

static const uint8_t alu_ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH,
				   BPF_RSH, BPF_MOD, BPF_XOR, BPF_ARSH };
static const uint8_t jmp_conds[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
				     BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE };
static const uint8_t sizes[] = { BPF_B, BPF_H, BPF_W, BPF_DW };
static const int32_t atomic_imms[] = { BPF_ADD, BPF_AND, BPF_OR, BPF_XOR,
				       BPF_ADD | BPF_FETCH, BPF_AND | BPF_FETCH, BPF_OR | BPF_FETCH,
				       BPF_XOR | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG };

#define PICK(r, a) ((a)[below(r, (int)(sizeof(a) / sizeof((a)[0])))])

/* One slot (or an ld_imm64 pair); jumps get their offset later. Returns
 * the number of slots written; *is_jump marks a slot needing a target. */
static int random_insn(struct rng *r, int nfuncs, struct bpf_insn *out, bool *is_jump)
{
	uint8_t cls;

	*is_jump = false;
	switch (below(r, 16)) {
	case 0: /* ALU / ALU64 */
	case 1:
		cls = below(r, 2) ? BPF_ALU64 : BPF_ALU;
		if (below(r, 2))
			out[0] = cf_insn(cls | PICK(r, alu_ops) | BPF_X, reg(r), reg(r), 0, 0);
		else
			out[0] = cf_insn(cls | PICK(r, alu_ops) | BPF_K, reg(r), 0, 0, any_imm(r));
		if ((BPF_OP(out[0].code) == BPF_DIV || BPF_OP(out[0].code) == BPF_MOD) && below(r, 2))
			out[0].off = 1; /* signed division */
		return 1;
	case 2: /* MOV, MOVSX, NEG */
		cls = below(r, 2) ? BPF_ALU64 : BPF_ALU;
		switch (below(r, 4)) {
		case 0:
			out[0] = cf_insn(cls | BPF_MOV | BPF_K, reg(r), 0, 0, any_imm(r));
			break;
		case 1:
			out[0] = cf_insn(cls | BPF_MOV | BPF_X, reg(r), reg(r), 0, 0);
			break;
		case 2:
			out[0] = cf_insn(cls | BPF_MOV | BPF_X, reg(r), reg(r),
					 (int16_t)(8 << below(r, cls == BPF_ALU64 ? 3 : 2)), 0);
			break;
		default:
			out[0] = cf_insn(cls | BPF_NEG | BPF_K, reg(r), 0, 0, 0);
		}
		return 1;
	case 3: /* END */
		out[0] = cf_insn(below(r, 3) == 0 ? (BPF_ALU64 | BPF_END) :
				 (BPF_ALU | BPF_END | (below(r, 2) ? BPF_TO_BE : BPF_TO_LE)),
				 reg(r), 0, 0, 16 << below(r, 3));
		return 1;
	case 4: /* LDX / LDSX */
		if (below(r, 3))
			out[0] = cf_insn(BPF_LDX | BPF_MEM | PICK(r, sizes), reg(r), reg(r), any_off(r), 0);
		else
			out[0] = cf_insn(BPF_LDX | BPF_MEMSX | sizes[below(r, 3)], reg(r), reg(r), any_off(r), 0);
		return 1;
	case 5: /* ST / STX, with the r11 outgoing forms */
		if (below(r, 2))
			out[0] = cf_insn(BPF_ST | BPF_MEM | PICK(r, sizes), reg(r), 0, any_off(r), any_imm(r));
		else
			out[0] = cf_insn(BPF_STX | BPF_MEM | PICK(r, sizes), reg(r), reg(r), any_off(r), 0);
		if (below(r, 4) == 0) {
			out[0].code = (out[0].code & ~0x18) | BPF_DW;
			out[0].dst_reg = BPF_REG_PARAMS;
			out[0].off = (int16_t)(-8 * (1 + below(r, 7)));
		}
		return 1;
	case 6: /* atomics */
		out[0] = cf_insn(BPF_STX | BPF_ATOMIC | (below(r, 2) ? BPF_W : BPF_DW), reg(r), reg(r), any_off(r),
				 PICK(r, atomic_imms));
		return 1;
	case 7: /* conditional jumps */
	case 8:
		cls = below(r, 2) ? BPF_JMP : BPF_JMP32;
		if (below(r, 2))
			out[0] = cf_insn(cls | PICK(r, jmp_conds) | BPF_X, reg(r), reg(r), 0, 0);
		else
			out[0] = cf_insn(cls | PICK(r, jmp_conds) | BPF_K, reg(r), 0, 0, any_imm(r));
		*is_jump = true;
		return 1;
	case 9: /* goto / gotol */
		out[0] = cf_insn(below(r, 3) ? (BPF_JMP | BPF_JA) : (BPF_JMP32 | BPF_JA), 0, 0, 0, 0);
		*is_jump = true;
		return 1;
	case 10: /* calls */
		switch (below(r, 4)) {
		case 0:
			out[0] = cf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, below(r, nfuncs));
			break;
		case 1:
			out[0] = cf_insn(BPF_JMP | BPF_CALL, 0, 0, 0, below(r, 2) ? PICK(r, ((int32_t[]){ CF_HELPER_TRACE, CF_HELPER_STACK_HASH })) : any_imm(r));
			break;
		case 2:
			out[0] = cf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0,
					 below(r, 2) ? CF_KFUNC_ARGS_BASE + 6 + below(r, 7) : any_imm(r));
			break;
		default:
			out[0] = cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		}
		return 1;
	case 11: /* ld_imm64 */
		out[0] = cf_insn(BPF_LD | BPF_IMM | BPF_DW, reg(r), 0, 0, any_imm(r));
		out[1] = cf_insn(0, 0, 0, 0, any_imm(r));
		return 2;
	case 12: /* an arbitrary slot: most have no spelling but `.insn` */
		out[0] = cf_insn((uint8_t)next_u64(r), (uint8_t)below(r, 16), (uint8_t)below(r, 16), any_off(r),
				 any_imm(r));
		return 1;
	default: /* the common simple forms */
		out[0] = below(r, 2) ? cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, reg(r), 0, 0, below(r, 100)) :
				       cf_insn(BPF_ALU64 | BPF_ADD | BPF_X, reg(r), reg(r), 0, 0);
		return 1;
	}
}

static void random_name(struct rng *r, char *name, size_t size, int idx)
{
	static const char *const pool[] = { "main", "trace", "kfunc", "l1", "sum7", "f", "_x.y$", "stack" };

	if (below(r, 3) == 0)
		snprintf(name, size, "%s%s", PICK(r, pool), idx ? "" : "");
	else
		snprintf(name, size, "fn%d_%d", idx, below(r, 1000));
}

static void random_prog(struct rng *r, struct cf_prog *p)
{
	int nfuncs = 1 + below(r, 5);

	cf_prog_init(p);
	for (int fi = 0; fi < nfuncs; fi++) {
		char name[CF_NAME_MAX];
		int nargs = below(r, CF_MAX_ARGS + 1);
		bool global = nargs <= CF_MAX_REG_ARGS && below(r, 4) == 0;
		struct cf_func *f;

		do
			random_name(r, name, sizeof(name), fi);
		while (cf_prog_find_func(p, name) >= 0);
		f = cf_prog_add_func(p, name, nargs, global);

		int target_len = 1 + below(r, 40);
		bool jump[128] = { false };

		while (f->ninsns < target_len) {
			struct bpf_insn two[2];
			bool is_jump;
			int n = random_insn(r, nfuncs, two, &is_jump);

			jump[f->ninsns] = is_jump;
			for (int k = 0; k < n; k++)
				cf_func_emit(f, two[k], 0);
		}
		/* jump targets: anywhere in the function (second halves of
		 * ld_imm64 included), rarely outside it */
		for (int pc = 0; pc < f->ninsns; pc++) {
			int rel;

			if (!jump[pc])
				continue;
			if (below(r, 20) == 0)
				rel = below(r, 2) ? f->ninsns - pc + below(r, 5) : -pc - 2 - below(r, 5);
			else
				rel = below(r, f->ninsns) - (pc + 1);
			if (f->insns[pc].code == (BPF_JMP32 | BPF_JA))
				f->insns[pc].imm = rel;
			else
				f->insns[pc].off = (int16_t)rel;
		}
		/* labels: names that may look like generated ones, duplicates,
		 * positions inside pairs and at the end */
		for (int k = below(r, 4); k > 0; k--) {
			char lname[CF_NAME_MAX];
			int pos = below(r, f->ninsns + 1);

			if (below(r, 2))
				snprintf(lname, sizeof(lname), "l%d", below(r, f->ninsns + 1));
			else
				snprintf(lname, sizeof(lname), "L%d_%d", fi, below(r, 4));
			cf_func_add_label(f, lname, pos);
		}
		if (below(r, 3) == 0) {
			f->stack_declared = true;
			f->stack_size = 8 * below(r, 65);
		} else {
			f->stack_size = cf_func_derived_stack(f);
		}
	}
}

TEST(asm_roundtrip_random_programs)
{
	struct rng r = { 0x5eed0a5e };
	int raw_lines = 0, labels = 0;

	for (int n = 0; n < NPROGS; n++) {
		struct cf_prog p, q;
		struct cf_err err;
		char *text, *again;

		random_prog(&r, &p);
		text = cf_asm_print(&p);
		REQUIRE(text);
		if (cf_asm_parse(text, strlen(text), "rt.s", &q, &err)) {
			test_fail(__FILE__, __LINE__, "program %d: %s\n%s", n, err.msg, text);
			free(text);
			cf_prog_free(&p);
			return;
		}
		if (!cf_prog_equal(&p, &q)) {
			test_fail(__FILE__, __LINE__, "program %d: parse(print(p)) != p\n%s", n, text);
			free(text);
			cf_prog_free(&p);
			cf_prog_free(&q);
			return;
		}
		again = cf_asm_print(&q);
		if (strcmp(text, again)) {
			test_fail(__FILE__, __LINE__, "program %d: printing is not stable\n--- first\n%s--- second\n%s", n,
				  text, again);
			n = NPROGS;
		}
		for (const char *s = text; (s = strstr(s, ".insn")); s++)
			raw_lines++;
		for (const char *s = text; (s = strstr(s, ":\n")); s++)
			labels++;
		free(text);
		free(again);
		cf_prog_free(&p);
		cf_prog_free(&q);
	}
	/* the builder must reach the fallback and the labels */
	CHECK(raw_lines > NPROGS / 2);
	CHECK(labels > NPROGS);
}

/* Text that came from a user (spacing, hex, comments, aliases) prints to
 * the canonical form, and that form is a fixed point. */
TEST(asm_roundtrip_user_text_is_stable)
{
	static const char text[] = "r1=0x10\n"
				   "w2 = *(u8 *)(r1 +0)   // alu32 load spelling\n"
				   "if r1 > 0x3 goto pc+1 # verifier-log target\n"
				   "ja +0\n"
				   "*(u32 *)(r10 -4) = w2\n"
				   "lock *(u32 *)(r10 - 4) += r2\n"
				   "out: exit\n";
	static const char want[] = ".func main\n"
				   "    r1 = 16\n"
				   "    r2 = *(u8 *)(r1 + 0)\n"
				   "    if r1 > 3 goto l4\n"
				   "    goto l4\n"
				   "l4:\n"
				   "    *(u32 *)(r10 - 4) = r2\n"
				   "    lock *(u32 *)(r10 - 4) += w2\n"
				   "out:\n"
				   "    exit\n";
	struct cf_prog p, q;
	struct cf_err err;
	char *out, *again;

	REQUIRE_MSG(!cf_asm_parse(text, strlen(text), "u.s", &p, &err), "%s", err.msg);
	out = cf_asm_print(&p);
	CHECK_STR(out, want);
	REQUIRE_MSG(!cf_asm_parse(out, strlen(out), "u2.s", &q, &err), "%s", err.msg);
	again = cf_asm_print(&q);
	CHECK_STR(again, out);
	CHECK(cf_prog_equal(&p, &q));
	free(out);
	free(again);
	cf_prog_free(&p);
	cf_prog_free(&q);
}

/* `.map ..., rdonly=HEX` (docs/asm.md): a read-only one-entry array with
 * its contents, printed back with the text as a comment; only a one-entry
 * array may be one. */
TEST(asm_read_only_map_roundtrip)
{
	static const char text[] = ".map s, array, key=4, value=16, entries=1, rdonly=25642200\n"
				   ".func main\n  r1 = map[s][0]+0 ll\n  r0 = *(u8 *)(r1 + 1)\n  exit\n";
	struct cf_prog p, q;
	struct cf_err err;
	char *out;

	REQUIRE_MSG(cf_asm_parse(text, sizeof(text) - 1, "t.s", &p, &err) == 0, "%s", err.msg);
	CHECK(p.maps[0].rdonly);
	CHECK(memcmp(p.maps[0].init, "%d\"\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
	out = cf_asm_print(&p);
	REQUIRE(out != NULL);
	CHECK_CONTAINS(out, ".map s, array, key=4, value=16, entries=1, rdonly=256422  ; \"%d\\\"\\0\"\n");
	REQUIRE_MSG(cf_asm_parse(out, strlen(out), "out.s", &q, &err) == 0, "%s", err.msg);
	CHECK(cf_prog_equal(&p, &q));
	free(out);
	cf_prog_free(&q);
	/* the contents are part of the program */
	p.maps[0].init[0] = 'x';
	out = cf_asm_print(&p);
	REQUIRE_MSG(cf_asm_parse(out, strlen(out), "out.s", &q, &err) == 0, "%s", err.msg);
	CHECK(cf_prog_equal(&p, &q));
	p.maps[0].init[0] = '%';
	CHECK(!cf_prog_equal(&p, &q));
	free(out);
	cf_prog_free(&q);
	cf_prog_free(&p);
	static const char hash[] = ".map h, hash, key=4, value=8, entries=1, rdonly=00\n.func main\n  r0 = 0\n  exit\n";

	CHECK(cf_asm_parse(hash, sizeof(hash) - 1, "t.s", &p, &err) != 0);
	CHECK_CONTAINS(err.msg, "only a one-entry array may be read-only");
	static const char big[] = ".map s, array, key=4, value=2, entries=1, rdonly=616263\n.func main\n  r0 = 0\n  exit\n";

	CHECK(cf_asm_parse(big, sizeof(big) - 1, "t.s", &p, &err) != 0);
	CHECK_CONTAINS(err.msg, "3 bytes of contents, its value has 2");
	static const char odd[] = ".map s, array, key=4, value=2, entries=1, rdonly=616\n.func main\n  r0 = 0\n  exit\n";

	CHECK(cf_asm_parse(odd, sizeof(odd) - 1, "t.s", &p, &err) != 0);
	CHECK_CONTAINS(err.msg, "in hex");
}

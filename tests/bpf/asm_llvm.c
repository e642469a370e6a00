/* tests/bpf/asm_llvm.c: our assembler and printer against LLVM 19.
 *
 * Random plain-ISA programs (no r11, no .func, no calls to functions,
 * relative jumps) go through cf_asm_parse and through
 * `llvm-mc-19 -triple bpfel -mcpu=v4 -filetype=obj`; the .text bytes must be
 * the same. The text is written here, with the spellings llvm-mc accepts
 * (hex and decimal, w-register loads and stores, no spaces), not by our
 * printer. A second part prints random instructions with cf_asm_print_insn
 * and checks that llvm-mc encodes the printed text back to them.
 *
 * The programs are batched into a few llvm-mc runs. */
#include "bpf/bpf.h"
#include "tests/test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NPROGS 600
#define BATCHES 3
#define NPRINTED 500

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

static bool have_llvm(void)
{
	return system("command -v llvm-mc-19 >/dev/null 2>&1 && command -v llvm-objcopy-19 >/dev/null 2>&1") == 0;
}

/* Assemble `path` with llvm-mc and return the .text bytes. */
static uint8_t *llvm_text(const char *dir, const char *path, size_t *len, char *why, size_t whylen)
{
	char cmd[4096], obj[300], bin[300];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(obj, sizeof(obj), "%s/out.o", dir);
	snprintf(bin, sizeof(bin), "%s/out.bin", dir);
	snprintf(cmd, sizeof(cmd),
		 "llvm-mc-19 -triple bpfel -mcpu=v4 -filetype=obj '%s' -o '%s' 2>'%s/mc.err' && "
		 "llvm-objcopy-19 -O binary --only-section=.text '%s' '%s'",
		 path, obj, dir, obj, bin);
	if (system(cmd) != 0) {
		char errpath[300];
		FILE *e;
		size_t got = 0;

		snprintf(errpath, sizeof(errpath), "%s/mc.err", dir);
		e = fopen(errpath, "r");
		if (e) {
			got = fread(why, 1, whylen - 1, e);
			fclose(e);
		}
		why[got] = 0;
		return NULL;
	}
	f = fopen(bin, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	*len = fread(buf, 1, (size_t)(n > 0 ? n : 0), f);
	fclose(f);
	return buf;
}

/* The kernel's little-endian encoding of one slot, written out by hand. */
static void encode(const struct bpf_insn *i, uint8_t out[8])
{
	uint16_t off = (uint16_t)i->off;
	uint32_t imm = (uint32_t)i->imm;

	out[0] = i->code;
	out[1] = (uint8_t)(i->dst_reg | i->src_reg << 4);
	out[2] = (uint8_t)off;
	out[3] = (uint8_t)(off >> 8);
	for (int k = 0; k < 4; k++)
		out[4 + k] = (uint8_t)(imm >> (8 * k));
}

/* ---- random text ------------------------------------------------------ */

struct text {
	char *s;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		/* no pointer arithmetic on a NULL buffer (UBSan: pointer-overflow) */
		n = vsnprintf(t->s ? t->s + t->len : NULL, t->cap - t->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap * 2 + (size_t)n + 4096;
		t->s = realloc(t->s, t->cap);
	}
	t->len += (size_t)n;
}

static const char *sp(struct rng *r) /* optional space */
{
	return below(r, 4) ? " " : "";
}

static void imm_text(struct rng *r, char *buf, size_t size)
{
	int64_t v;

	switch (below(r, 5)) {
	case 0:
		v = below(r, 64);
		break;
	case 1:
		v = -(int64_t)below(r, 1000);
		break;
	case 2:
		v = (int32_t)(uint32_t)next_u64(r);
		break;
	case 3:
		snprintf(buf, size, "0x%x", (uint32_t)next_u64(r)); /* up to 0xffffffff */
		return;
	default:
		v = below(r, 2) ? INT32_MIN : INT32_MAX;
	}
	snprintf(buf, size, "%" PRId64, v);
}

static void off_text(struct rng *r, char *buf, size_t size)
{
	int v = below(r, 3) ? below(r, 64) * 8 : below(r, 32769);

	snprintf(buf, size, below(r, 2) ? "%s%s%d" : "%s%s0x%x", below(r, 2) ? "+" : "-", below(r, 2) ? " " : "", v);
	if (buf[0] == '+' && v == 32768)
		snprintf(buf, size, "+ 0");
}

/* One line of a program; returns the slots it takes. *jump: it ends with
 * a relative target to fill in ("%JUMP" placeholder, long for gotol). */
static int random_line(struct rng *r, char *line, size_t size, int *jump)
{
	static const char *const alu[] = { "+=", "-=", "*=", "/=", "%=", "|=", "&=", "<<=", ">>=", "^=",
					   "s>>=", "s/=", "s%=" };
	static const char *const cmp[] = { "==", "!=", ">", ">=", "<", "<=", "s>", "s>=", "s<", "s<=", "&" };
	static const char *const usz[] = { "u8", "u16", "u32", "u64" };
	static const char *const ssz[] = { "s8", "s16", "s32" };
	static const char *const lockop[] = { "+=", "&=", "|=", "^=" };
	static const char *const fetch[] = { "add", "and", "or", "xor" };
	static const char *const endop[] = { "be16", "be32", "be64", "le16", "le32", "le64", "bswap16", "bswap32",
					     "bswap64" };
	char imm[32], off[32];
	char c = below(r, 2) ? 'r' : 'w';
	int d = below(r, 11), s = below(r, 11), b = below(r, 11);

	*jump = 0;
	imm_text(r, imm, sizeof(imm));
	off_text(r, off, sizeof(off));
	switch (below(r, 17)) {
	case 0:
		snprintf(line, size, "%c%d %s%s%c%d", c, d, alu[below(r, 13)], sp(r), c, s);
		return 1;
	case 1:
		snprintf(line, size, "%c%d %s %s", c, d, alu[below(r, 13)], imm);
		return 1;
	case 2:
		switch (below(r, 4)) {
		case 0:
			snprintf(line, size, "%c%d = %c%d", c, d, c, s);
			break;
		case 1:
			snprintf(line, size, "%c%d = %s", c, d, imm);
			break;
		case 2:
			snprintf(line, size, "%c%d = -%c%d", c, d, c, d);
			break;
		default:
			snprintf(line, size, "%c%d = (%s)%s%c%d", c, d, ssz[below(r, c == 'r' ? 3 : 2)], sp(r), c, s);
		}
		return 1;
	case 3: {
		int k = below(r, 9);

		snprintf(line, size, "r%d = %s r%d", d, endop[k], d);
		return 1;
	}
	case 4: {
		int k = below(r, 4);

		/* alu32 spelling of sub-64-bit loads: `w1 = *(u8 *)...` */
		snprintf(line, size, "%c%d = *(%s *)(r%d %s)", k < 3 ? c : 'r', d, usz[k], s, off);
		return 1;
	}
	case 5:
		snprintf(line, size, "r%d = *(%s *)(r%d%s)", d, ssz[below(r, 3)], s, off);
		return 1;
	case 6:
		snprintf(line, size, "*(%s *)(r%d %s) = %s", usz[below(r, 4)], b, off, imm);
		return 1;
	case 7: {
		int k = below(r, 4);

		snprintf(line, size, "*(%s *)(r%d %s) = %c%d", usz[k], b, off, k < 3 ? c : 'r', s);
		return 1;
	}
	case 8: {
		bool w64 = below(r, 2);

		switch (below(r, 4)) {
		case 0:
			snprintf(line, size, "lock *(%s *)(r%d %s) %s %c%d", w64 ? "u64" : "u32", b, off,
				 lockop[below(r, 4)], w64 ? 'r' : 'w', s);
			break;
		case 1:
			snprintf(line, size, "%c%d = atomic_fetch_%s((%s *)(r%d %s), %c%d)", w64 ? 'r' : 'w', s,
				 fetch[below(r, 4)], w64 ? "u64" : "u32", b, off, w64 ? 'r' : 'w', s);
			break;
		case 2:
			snprintf(line, size, "%c%d = %s(r%d %s, %c%d)", w64 ? 'r' : 'w', s, w64 ? "xchg_64" : "xchg32_32",
				 b, off, w64 ? 'r' : 'w', s);
			break;
		default:
			snprintf(line, size, "%c0 = %s(r%d %s, %c0, %c%d)", w64 ? 'r' : 'w',
				 w64 ? "cmpxchg_64" : "cmpxchg32_32", b, off, w64 ? 'r' : 'w', w64 ? 'r' : 'w', s);
		}
		return 1;
	}
	case 9:
	case 10:
		if (below(r, 2))
			snprintf(line, size, "if %c%d %s %c%d goto ", c, d, cmp[below(r, 11)], c, s);
		else
			snprintf(line, size, "if %c%d %s %s goto ", c, d, cmp[below(r, 11)], imm);
		*jump = 1;
		return 1;
	case 11:
		snprintf(line, size, "goto ");
		*jump = 1;
		return 1;
	case 12:
		snprintf(line, size, "gotol ");
		*jump = 2;
		return 1;
	case 13: {
		uint64_t v = next_u64(r) >> below(r, 64);

		if (below(r, 2))
			snprintf(line, size, "r%d = 0x%" PRIx64 " ll", d, v);
		else
			snprintf(line, size, "r%d = %s%" PRIu64 " ll", d, below(r, 2) ? "-" : "", v >> 1);
		return 2;
	}
	case 14:
		snprintf(line, size, "call %d", below(r, 2) ? below(r, 212) : (int)(int32_t)(uint32_t)next_u64(r));
		return 1;
	case 15:
		snprintf(line, size, "exit");
		return 1;
	default:
		snprintf(line, size, "%c%d += %d", c, d, below(r, 10));
		return 1;
	}
}

/* One program into `t`; our encoding appended to `ours`. Returns false
 * (with a message) if our parser refused it. */
static bool random_program(struct rng *r, int idx, struct text *t, struct bpf_insn **ours, int *nours, int *cap)
{
	char lines[40][160];
	int slot_of[40], jump[40], nlines = 2 + below(r, 38), nslots = 0;
	struct text one = { 0 };
	struct cf_prog p;
	struct cf_err err;
	char name[32];

	for (int k = 0; k < nlines; k++) {
		slot_of[k] = nslots;
		nslots += random_line(r, lines[k], sizeof(lines[k]), &jump[k]);
	}
	for (int k = 0; k < nlines; k++) {
		if (jump[k]) {
			int rel = below(r, nslots) - (slot_of[k] + 1);
			size_t n = strlen(lines[k]);

			if (below(r, 3))
				snprintf(lines[k] + n, sizeof(lines[k]) - n, "%+d", rel);
			else
				snprintf(lines[k] + n, sizeof(lines[k]) - n, "%s0x%x", rel < 0 ? "-" : "+",
					 rel < 0 ? -rel : rel);
		}
		put(&one, "%s%s\n", below(r, 2) ? "\t" : "", lines[k]);
	}
	snprintf(name, sizeof(name), "p%d.s", idx);
	if (cf_asm_parse(one.s, one.len, name, &p, &err)) {
		test_fail(__FILE__, __LINE__, "our parser refused program %d: %s\n%s", idx, err.msg, one.s);
		free(one.s);
		return false;
	}
	if (p.nfuncs != 1 || p.funcs[0].ninsns != nslots) {
		test_fail(__FILE__, __LINE__, "program %d: %d slots, expected %d\n%s", idx, p.funcs[0].ninsns, nslots,
			  one.s);
		cf_prog_free(&p);
		free(one.s);
		return false;
	}
	if (*nours + nslots > *cap) {
		*cap = (*nours + nslots) * 2;
		*ours = realloc(*ours, (size_t)*cap * sizeof(**ours));
	}
	memcpy(*ours + *nours, p.funcs[0].insns, (size_t)nslots * sizeof(**ours));
	*nours += nslots;
	put(t, "%s", one.s);
	cf_prog_free(&p);
	free(one.s);
	return true;
}

static bool compare(const char *what, const struct bpf_insn *want, int n, const uint8_t *got, size_t len,
		    const char *listing)
{
	if (len != (size_t)n * 8) {
		test_fail(__FILE__, __LINE__, "%s: llvm-mc gave %zu bytes, we have %d slots", what, len, n);
		return false;
	}
	for (int k = 0; k < n; k++) {
		uint8_t enc[8];

		encode(&want[k], enc);
		if (memcmp(enc, got + 8 * k, 8)) {
			const char *line = listing;

			test_fail(__FILE__, __LINE__,
				  "%s: slot %d differs: ours %02x %02x %02x %02x %02x %02x %02x %02x, llvm-mc "
				  "%02x %02x %02x %02x %02x %02x %02x %02x (%.60s...)",
				  what, k, enc[0], enc[1], enc[2], enc[3], enc[4], enc[5], enc[6], enc[7], got[8 * k],
				  got[8 * k + 1], got[8 * k + 2], got[8 * k + 3], got[8 * k + 4], got[8 * k + 5],
				  got[8 * k + 6], got[8 * k + 7], line);
			return false;
		}
	}
	return true;
}

static bool write_file(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(s, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

TEST(asm_llvm_mc_same_bytes)
{
	char dir[] = "/tmp/callfuzz-asm-llvm.XXXXXX", path[256], why[2048];
	struct rng r = { 0x11f3c0de };
	int per_batch = NPROGS / BATCHES, checked = 0;

	if (!have_llvm())
		SKIP("llvm-mc-19 / llvm-objcopy-19 not found: install llvm-19");
	REQUIRE(mkdtemp(dir));
	for (int b = 0; b < BATCHES; b++) {
		struct text t = { 0 };
		struct bpf_insn *ours = NULL;
		int nours = 0, cap = 0;
		uint8_t *got;
		size_t len = 0;

		for (int k = 0; k < per_batch; k++)
			if (!random_program(&r, b * per_batch + k, &t, &ours, &nours, &cap))
				goto next;
		snprintf(path, sizeof(path), "%s/batch%d.s", dir, b);
		REQUIRE(write_file(path, t.s, t.len));
		got = llvm_text(dir, path, &len, why, sizeof(why));
		if (!got) {
			test_fail(__FILE__, __LINE__, "llvm-mc refused %s: %s", path, why);
		} else {
			if (compare("parse", ours, nours, got, len, path))
				checked += per_batch;
			free(got);
		}
next:
		free(t.s);
		free(ours);
	}
	CHECK_EQ(checked, NPROGS);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK(system(path) == 0);
}

/* Canonical instructions with a spelling in LLVM's syntax (r0..r10). */
static struct bpf_insn random_plain_insn(struct rng *r, struct bpf_insn *second)
{
	static const uint8_t alu[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH,
				       BPF_RSH, BPF_MOD, BPF_XOR, BPF_ARSH };
	static const uint8_t conds[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
					 BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE };
	static const uint8_t sizes[] = { BPF_B, BPF_H, BPF_W, BPF_DW };
	static const int32_t atomics[] = { BPF_ADD, BPF_AND, BPF_OR, BPF_XOR, BPF_ADD | BPF_FETCH,
					   BPF_AND | BPF_FETCH, BPF_OR | BPF_FETCH, BPF_XOR | BPF_FETCH,
					   BPF_XCHG, BPF_CMPXCHG };
	uint8_t d = (uint8_t)below(r, 11), s = (uint8_t)below(r, 11);
	uint8_t cls = below(r, 2) ? BPF_ALU64 : BPF_ALU, jcls = below(r, 2) ? BPF_JMP : BPF_JMP32;
	int32_t imm = (int32_t)(uint32_t)next_u64(r) >> below(r, 32);
	int16_t off = (int16_t)next_u64(r);
	uint8_t op = alu[below(r, 11)];
	int16_t sdiv = (op == BPF_DIV || op == BPF_MOD) ? (int16_t)below(r, 2) : 0;

	second->code = 0xff; /* no second slot */
	switch (below(r, 14)) {
	case 0:
		return cf_insn(cls | op | BPF_X, d, s, sdiv, 0);
	case 1:
		return cf_insn(cls | op | BPF_K, d, 0, sdiv, imm);
	case 2:
		return below(r, 2) ? cf_insn(cls | BPF_MOV | BPF_X, d, s, 0, 0) : cf_insn(cls | BPF_MOV | BPF_K, d, 0, 0, imm);
	case 3:
		return cf_insn(cls | BPF_MOV | BPF_X, d, s, (int16_t)(8 << below(r, cls == BPF_ALU64 ? 3 : 2)), 0);
	case 4:
		return cf_insn(cls | BPF_NEG, d, 0, 0, 0);
	case 5:
		return cf_insn(below(r, 3) ? (BPF_ALU | BPF_END | (below(r, 2) ? BPF_TO_BE : BPF_TO_LE)) :
			       (BPF_ALU64 | BPF_END), d, 0, 0, 16 << below(r, 3));
	case 6:
		return below(r, 2) ? cf_insn(BPF_LDX | BPF_MEM | sizes[below(r, 4)], d, s, off, 0) :
				     cf_insn(BPF_LDX | BPF_MEMSX | sizes[below(r, 3)], d, s, off, 0);
	case 7:
		return below(r, 2) ? cf_insn(BPF_ST | BPF_MEM | sizes[below(r, 4)], d, 0, off, imm) :
				     cf_insn(BPF_STX | BPF_MEM | sizes[below(r, 4)], d, s, off, 0);
	case 8: {
		int32_t a = atomics[below(r, 10)];

		return cf_insn(BPF_STX | BPF_ATOMIC | (below(r, 2) ? BPF_W : BPF_DW), d, s, off, a);
	}
	case 9:
		return below(r, 2) ? cf_insn(jcls | conds[below(r, 11)] | BPF_X, d, s, off, 0) :
				     cf_insn(jcls | conds[below(r, 11)] | BPF_K, d, 0, off, imm);
	case 10:
		/* llvm-mc 19 takes `gotol` numbers only in 16 bits (labels go further) */
		return below(r, 2) ? cf_insn(BPF_JMP | BPF_JA, 0, 0, off, 0) : cf_insn(BPF_JMP32 | BPF_JA, 0, 0, 0, off);
	case 11:
		/* a helper of the call table prints by name (`call bpf_map_lookup_elem`),
		 * which llvm-mc reads as a symbol: numbered helpers only */
		while (cf_callee_find(false, imm))
			imm++;
		return below(r, 2) ? cf_insn(BPF_JMP | BPF_CALL, 0, 0, 0, imm) : cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	case 12:
		*second = cf_insn(0, 0, 0, 0, (int32_t)(uint32_t)next_u64(r));
		return cf_insn(BPF_LD | BPF_IMM | BPF_DW, d, 0, 0, imm);
	default:
		return cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, below(r, 100));
	}
}

TEST(asm_llvm_mc_encodes_our_printout)
{
	char dir[] = "/tmp/callfuzz-asm-print.XXXXXX", path[256], why[2048], buf[256];
	struct rng r = { 0x9a1c0ffe };
	struct cf_prog p;
	struct cf_func *f;
	struct text t = { 0 };
	uint8_t *got;
	size_t len = 0;

	if (!have_llvm())
		SKIP("llvm-mc-19 / llvm-objcopy-19 not found: install llvm-19");
	REQUIRE(mkdtemp(dir));
	cf_prog_init(&p);
	f = cf_prog_add_func(&p, "main", 1, false);
	for (int k = 0; k < NPRINTED * 20; k++) {
		struct bpf_insn second, first = random_plain_insn(&r, &second);

		cf_func_emit(f, first, 0);
		if (second.code != 0xff)
			cf_func_emit(f, second, 0);
	}
	for (int pc = 0; pc < f->ninsns; pc++) {
		cf_asm_print_insn(buf, sizeof(buf), &p, 0, pc);
		CHECK_MSG(strncmp(buf, ".insn", 5) != 0, "slot %d printed as %s", pc, buf);
		put(&t, "%s\n", buf);
		if (cf_insn_is_ldimm64(&f->insns[pc]))
			pc++;
	}
	snprintf(path, sizeof(path), "%s/printed.s", dir);
	REQUIRE(write_file(path, t.s, t.len));
	got = llvm_text(dir, path, &len, why, sizeof(why));
	if (!got)
		test_fail(__FILE__, __LINE__, "llvm-mc refused our printout %s: %s", path, why);
	else
		compare("print", f->insns, f->ninsns, got, len, path);
	free(got);
	free(t.s);
	cf_prog_free(&p);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK(system(path) == 0);
}

/* bpf/asm.c: the program text format (docs/asm.md).
 *
 * Instruction syntax is LLVM 19's BPF assembly (what `llvm-objdump-19 -d`
 * prints and `llvm-mc-19 -triple bpfel -mcpu=v4` accepts), plus `.func`
 * directives, function-local labels, `call NAME` / `call kfunc NAME`, and
 * `.insn CODE, DST, SRC, OFF, IMM` for slots that have no other spelling
 * (non-canonical encodings, registers r12..r15, pseudo ld_imm64, ...), so
 * that every program prints and parses back to itself.
 *
 * Parsing works a line at a time: a small lexer cuts the statement into
 * tokens, parse_stmt() turns the tokens into one or two slots plus, for
 * jumps and calls by name, what is left to resolve (labels at the end of
 * the function, function names at the end of the file).
 *
 * The printer checks each pretty form by parsing it back (the same
 * parse_stmt) and falls back to `.insn` when the text would not give the
 * same slot, so print/parse is lossless by construction.
 */
#include "bpf/bpf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lexer ------------------------------------------------------------ */

#define MAX_TOKENS 48

enum tok_kind { TOK_END, TOK_WORD, TOK_NUM, TOK_OP };

struct token {
	enum tok_kind kind;
	const char *s;
	int len;
};

struct line_toks {
	struct token t[MAX_TOKENS + 1]; /* t[n] is TOK_END */
	int n;
	int pos; /* next token to consume */
};

/* Longest first. The `s`-prefixed ones are LLVM's signed operators
 * (`r1 s>>= 3`, `if w1 s< -3`): lexed before words, so `s` is never a word
 * when one of these follows it. */
static const char *const signed_ops[] = { "s>>=", "s/=", "s%=", "s>=", "s<=", "s>", "s<", NULL };
static const char *const plain_ops[] = {
	">>=", "<<=", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "==", "!=", ">=", "<=",
	">", "<", "=", "(", ")", "*", "+", "-", ",", ":", "&", "[", "]", NULL,
};

static bool is_word_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '$';
}

static bool is_word_char(char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- parser state ----------------------------------------------------- */

/* What a statement still needs once its function or the file is complete. */
enum target_kind { TARGET_NONE, TARGET_REL, TARGET_LABEL };

struct stmt {
	struct bpf_insn insn[2];
	int nslots;
	/* jumps: offset field (off or, for gotol, imm) still to be filled */
	enum target_kind target;
	bool long_jump;       /* gotol: offset in imm */
	long rel;             /* TARGET_REL */
	char label[CF_NAME_MAX];
	/* `call NAME`: a function of the program or a helper by name */
	bool call_by_name;
	char callee[CF_NAME_MAX];
};

struct jump_fixup {
	int pc;
	int line;
	bool long_jump;
	bool by_label;
	long rel;
	char label[CF_NAME_MAX];
	char text[96]; /* the statement as written, for messages */
};

struct call_fixup {
	int func, pc, line;
	char name[CF_NAME_MAX];
};

struct parser {
	const char *filename;
	int line;
	struct cf_err *err;
	bool failed;
	struct line_toks lt;
	const struct cf_prog *prog; /* the maps declared so far (`map[NAME]`) */
};

static void fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct parser *ps, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	if (!ps->err)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	cf_err_set(ps->err, "%s:%d: %s", ps->filename, ps->line, what);
}

/* Token text for messages, shortened and with control bytes escaped. */
static const char *tok_text(const struct token *t, char *buf, size_t size)
{
	size_t n = 0;

	if (t->kind == TOK_END)
		return "end of line";
	buf[n++] = '\'';
	for (int i = 0; i < t->len && n + 8 < size; i++) {
		unsigned char c = (unsigned char)t->s[i];

		if (i >= 40) {
			n += (size_t)snprintf(buf + n, size - n, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n++] = '\'';
	buf[n] = 0;
	return buf;
}

static int lex_line(struct parser *ps, const char *s)
{
	struct line_toks *lt = &ps->lt;

	lt->n = 0;
	lt->pos = 0;
	for (;;) {
		struct token *t;
		int len = 0;

		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' || *s == '\v')
			s++;
		if (!*s)
			break;
		if (lt->n >= MAX_TOKENS) {
			fail(ps, "statement too long (more than %d tokens)", MAX_TOKENS);
			return -1;
		}
		t = &lt->t[lt->n];
		t->s = s;
		for (int i = 0; signed_ops[i] && !len; i++)
			if (starts_with(s, signed_ops[i]))
				len = (int)strlen(signed_ops[i]), t->kind = TOK_OP;
		if (!len && is_word_start(*s)) {
			while (is_word_char(s[len]))
				len++;
			t->kind = TOK_WORD;
		} else if (!len && is_digit(*s)) {
			while (is_word_char(s[len]))
				len++;
			t->kind = TOK_NUM;
		}
		for (int i = 0; plain_ops[i] && !len; i++)
			if (starts_with(s, plain_ops[i]))
				len = (int)strlen(plain_ops[i]), t->kind = TOK_OP;
		if (!len) {
			unsigned char c = (unsigned char)*s;

			if (c >= 0x20 && c < 0x7f)
				fail(ps, "unexpected character '%c'", c);
			else
				fail(ps, "unexpected byte 0x%02x", c);
			return -1;
		}
		t->len = len;
		s += len;
		lt->n++;
	}
	lt->t[lt->n].kind = TOK_END;
	lt->t[lt->n].s = s;
	lt->t[lt->n].len = 0;
	return 0;
}

static const struct token *peek_at(struct parser *ps, int ahead)
{
	int i = ps->lt.pos + ahead;

	return &ps->lt.t[i < ps->lt.n ? i : ps->lt.n];
}

static const struct token *peek(struct parser *ps)
{
	return peek_at(ps, 0);
}

static bool tok_is(const struct token *t, const char *text)
{
	return t->kind != TOK_END && (int)strlen(text) == t->len && memcmp(t->s, text, (size_t)t->len) == 0;
}

/* Consume the next token if it is `text`. */
static bool accept(struct parser *ps, const char *text)
{
	if (!tok_is(peek(ps), text))
		return false;
	ps->lt.pos++;
	return true;
}

static void fail_expected(struct parser *ps, const char *what)
{
	char buf[200];

	fail(ps, "expected %s, got %s", what, tok_text(peek(ps), buf, sizeof(buf)));
}

static int expect(struct parser *ps, const char *text)
{
	char what[32];

	if (accept(ps, text))
		return 0;
	snprintf(what, sizeof(what), "'%s'", text);
	fail_expected(ps, what);
	return -1;
}

static int expect_end(struct parser *ps)
{
	if (peek(ps)->kind == TOK_END)
		return 0;
	fail_expected(ps, "end of statement");
	return -1;
}

/* Copy a word token into a name buffer; refuses names that do not fit. */
static int take_name(struct parser *ps, char *name, const char *what)
{
	const struct token *t = peek(ps);
	char buf[200];

	if (t->kind != TOK_WORD) {
		fail_expected(ps, what);
		return -1;
	}
	if (t->len >= CF_NAME_MAX) {
		fail(ps, "name %s is longer than %d characters", tok_text(t, buf, sizeof(buf)), CF_NAME_MAX - 1);
		return -1;
	}
	memcpy(name, t->s, (size_t)t->len);
	name[t->len] = 0;
	ps->lt.pos++;
	return 0;
}

/* ---- operands --------------------------------------------------------- */

/* Is the token a register name (r0.., w0..)? Out-of-range numbers count:
 * the caller reports them. */
static bool tok_is_reg(const struct token *t)
{
	if (t->kind != TOK_WORD || t->len < 2 || t->len > 12 || (t->s[0] != 'r' && t->s[0] != 'w'))
		return false;
	for (int i = 1; i < t->len; i++)
		if (!is_digit(t->s[i]))
			return false;
	return true;
}

/* Registers r0..r11 are accepted anywhere: the checker, not the parser,
 * rejects r11 outside memory operands (stack-args.md 1). */
static int take_reg(struct parser *ps, int *reg, bool *wide)
{
	const struct token *t = peek(ps);
	char buf[200];
	long n;

	if (!tok_is_reg(t)) {
		fail_expected(ps, "a register");
		return -1;
	}
	n = strtol(t->s + 1, NULL, 10);
	if (n > BPF_REG_PARAMS || (t->len > 2 && t->s[1] == '0')) {
		fail(ps, "expected a register, got %s: no register %.*s (registers are r0..r11, w0..w11)",
		     tok_text(t, buf, sizeof(buf)), t->len, t->s);
		return -1;
	}
	*reg = (int)n;
	*wide = t->s[0] == 'r';
	ps->lt.pos++;
	return 0;
}

/* A register of a given width: `w` for 32-bit operations, `r` for 64-bit. */
static int take_reg_width(struct parser *ps, int *reg, bool wide)
{
	const struct token *t = peek(ps);
	bool got_wide;
	char buf[200];

	if (tok_is_reg(t) && (t->s[0] == 'r') != wide) {
		fail(ps, "expected a %s register, got %s", wide ? "64-bit (r)" : "32-bit (w)",
		     tok_text(t, buf, sizeof(buf)));
		return -1;
	}
	return take_reg(ps, reg, &got_wide);
}

/* A number: decimal or 0x hex, optional sign. *mag is the magnitude. */
static int take_number(struct parser *ps, bool *neg, uint64_t *mag)
{
	const struct token *t;
	char buf[200];
	uint64_t v = 0;
	int base = 10, i = 0;

	*neg = false;
	if (accept(ps, "-"))
		*neg = true;
	else
		accept(ps, "+");
	t = peek(ps);
	if (t->kind != TOK_NUM) {
		fail_expected(ps, "a number");
		return -1;
	}
	if (t->len > 2 && t->s[0] == '0' && (t->s[1] == 'x' || t->s[1] == 'X'))
		base = 16, i = 2;
	for (; i < t->len; i++) {
		char c = t->s[i];
		int d;

		if (is_digit(c))
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else {
			fail(ps, "expected a number, got %s", tok_text(t, buf, sizeof(buf)));
			return -1;
		}
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) {
			fail(ps, "number %s does not fit in 64 bits", tok_text(t, buf, sizeof(buf)));
			return -1;
		}
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*mag = v;
	ps->lt.pos++;
	return 0;
}

/* A 32-bit immediate: -2^31..2^32-1, as llvm-mc (0xffffffff is -1). */
static int take_imm32(struct parser *ps, int32_t *imm)
{
	bool neg;
	uint64_t mag;

	if (take_number(ps, &neg, &mag))
		return -1;
	if ((neg && mag > 0x80000000ull) || (!neg && mag > 0xffffffffull)) {
		fail(ps, "immediate %s%" PRIu64 " does not fit in 32 bits", neg ? "-" : "", mag);
		return -1;
	}
	*imm = (int32_t)(uint32_t)(neg ? 0 - mag : mag);
	return 0;
}

static int take_imm64(struct parser *ps, uint64_t *imm)
{
	bool neg;
	uint64_t mag;

	if (take_number(ps, &neg, &mag))
		return -1;
	if (neg && mag > 0x8000000000000000ull) {
		fail(ps, "immediate -%" PRIu64 " does not fit in 64 bits", mag);
		return -1;
	}
	*imm = neg ? 0 - mag : mag;
	return 0;
}

/* A signed value in [lo, hi]. */
static int take_signed(struct parser *ps, long lo, long hi, const char *what, long *out)
{
	bool neg;
	uint64_t mag;

	if (take_number(ps, &neg, &mag))
		return -1;
	if ((neg && mag > (uint64_t)-lo) || (!neg && mag > (uint64_t)hi)) {
		fail(ps, "%s %s%" PRIu64 " is out of range (%ld..%ld)", what, neg ? "-" : "", mag, lo, hi);
		return -1;
	}
	*out = neg ? -(long)mag : (long)mag;
	return 0;
}

/* `(` REG [+|- OFF] `)` and the bare `REG +|- OFF` of xchg/cmpxchg. */
static int take_reg_off(struct parser *ps, int *reg, int16_t *off)
{
	bool wide;
	long v = 0;

	if (take_reg(ps, reg, &wide))
		return -1;
	if (!wide) {
		fail(ps, "memory operands take a 64-bit (r) base register");
		return -1;
	}
	if (tok_is(peek(ps), "+") || tok_is(peek(ps), "-")) {
		bool minus = tok_is(peek(ps), "-");

		ps->lt.pos++;
		if (take_signed(ps, minus ? 0 : -32768, minus ? 32768 : 32767, "offset", &v))
			return -1;
		v = minus ? -v : v;
	}
	*off = (int16_t)v;
	return 0;
}

static int take_mem(struct parser *ps, int *reg, int16_t *off)
{
	if (expect(ps, "(") || take_reg_off(ps, reg, off) || expect(ps, ")"))
		return -1;
	return 0;
}

/* `(u32 *)`: size code and signedness. */
static int take_size_cast(struct parser *ps, int *size, bool *sign)
{
	static const struct {
		const char *name;
		int size;
		bool sign;
	} sizes[] = {
		{ "u8", BPF_B, false },  { "u16", BPF_H, false }, { "u32", BPF_W, false },
		{ "u64", BPF_DW, false }, { "s8", BPF_B, true },  { "s16", BPF_H, true },
		{ "s32", BPF_W, true },
	};

	if (expect(ps, "("))
		return -1;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (accept(ps, sizes[i].name)) {
			*size = sizes[i].size;
			*sign = sizes[i].sign;
			if (expect(ps, "*") || expect(ps, ")"))
				return -1;
			return 0;
		}
	}
	fail_expected(ps, "a size (u8, u16, u32, u64, s8, s16, s32)");
	return -1;
}

/* ---- statements ------------------------------------------------------- */

static const struct {
	const char *op;
	uint8_t code;
	int16_t off; /* 1: signed division (ISA v4) */
} alu_ops[] = {
	{ "+=", BPF_ADD, 0 },  { "-=", BPF_SUB, 0 },   { "*=", BPF_MUL, 0 },  { "/=", BPF_DIV, 0 },
	{ "%=", BPF_MOD, 0 },  { "|=", BPF_OR, 0 },    { "&=", BPF_AND, 0 },  { "<<=", BPF_LSH, 0 },
	{ ">>=", BPF_RSH, 0 }, { "^=", BPF_XOR, 0 },   { "s>>=", BPF_ARSH, 0 }, { "s/=", BPF_DIV, 1 },
	{ "s%=", BPF_MOD, 1 },
};

static const struct {
	const char *op;
	uint8_t code;
} jmp_ops[] = {
	{ "==", BPF_JEQ }, { "!=", BPF_JNE },   { ">", BPF_JGT },    { ">=", BPF_JGE },
	{ "<", BPF_JLT },  { "<=", BPF_JLE },   { "s>", BPF_JSGT },  { "s>=", BPF_JSGE },
	{ "s<", BPF_JSLT }, { "s<=", BPF_JSLE }, { "&", BPF_JSET },
};

static const struct {
	const char *op;
	int32_t imm;
} lock_ops[] = {
	{ "+=", BPF_ADD }, { "&=", BPF_AND }, { "|=", BPF_OR }, { "^=", BPF_XOR },
};

static const struct {
	const char *name;
	int32_t imm;
} fetch_ops[] = {
	{ "atomic_fetch_add", BPF_ADD | BPF_FETCH },
	{ "atomic_fetch_and", BPF_AND | BPF_FETCH },
	{ "atomic_fetch_or", BPF_OR | BPF_FETCH },
	{ "atomic_fetch_xor", BPF_XOR | BPF_FETCH },
};

static const struct {
	const char *name;
	uint8_t code; /* BPF_TO_LE / BPF_TO_BE on ALU, 0 on ALU64 (bswap) */
	uint8_t cls;
	int32_t bits;
} end_ops[] = {
	{ "le16", BPF_TO_LE, BPF_ALU, 16 },   { "le32", BPF_TO_LE, BPF_ALU, 32 },
	{ "le64", BPF_TO_LE, BPF_ALU, 64 },   { "be16", BPF_TO_BE, BPF_ALU, 16 },
	{ "be32", BPF_TO_BE, BPF_ALU, 32 },   { "be64", BPF_TO_BE, BPF_ALU, 64 },
	{ "bswap16", 0, BPF_ALU64, 16 },      { "bswap32", 0, BPF_ALU64, 32 },
	{ "bswap64", 0, BPF_ALU64, 64 },
};

#define ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void stmt_one(struct stmt *st, struct bpf_insn insn)
{
	st->insn[0] = insn;
	st->nslots = 1;
}

/* `goto` / `if` target: a label, `+N`, `-N`, `N` or the verifier log's
 * `pc+N`. */
static int take_target(struct parser *ps, struct stmt *st)
{
	const struct token *t = peek(ps);
	long lim = st->long_jump ? 2147483647L : 32767;

	if (tok_is(t, "pc") && (tok_is(peek_at(ps, 1), "+") || tok_is(peek_at(ps, 1), "-")))
		ps->lt.pos++;
	else if (t->kind == TOK_WORD) {
		st->target = TARGET_LABEL;
		return take_name(ps, st->label, "a label");
	}
	st->target = TARGET_REL;
	return take_signed(ps, -lim - 1, lim, "jump offset", &st->rel);
}

static int parse_if(struct parser *ps, struct stmt *st)
{
	int dst, src, i;
	bool wide;
	int32_t imm = 0;
	uint8_t cls, srcbit = BPF_K;

	if (take_reg(ps, &dst, &wide))
		return -1;
	cls = wide ? BPF_JMP : BPF_JMP32;
	for (i = 0; i < ARRAY_LEN(jmp_ops); i++)
		if (accept(ps, jmp_ops[i].op))
			break;
	if (i == ARRAY_LEN(jmp_ops)) {
		fail_expected(ps, "a comparison (==, !=, >, >=, <, <=, s>, s>=, s<, s<=, &)");
		return -1;
	}
	if (tok_is_reg(peek(ps))) {
		if (take_reg_width(ps, &src, wide))
			return -1;
		srcbit = BPF_X;
	} else {
		src = 0;
		if (take_imm32(ps, &imm))
			return -1;
	}
	if (expect(ps, "goto") || take_target(ps, st))
		return -1;
	stmt_one(st, cf_insn(cls | jmp_ops[i].code | srcbit, (uint8_t)dst, (uint8_t)src, 0, imm));
	return 0;
}

static int parse_call(struct parser *ps, struct stmt *st)
{
	const struct token *t = peek(ps);
	const struct cf_callee *c;
	int32_t id;

	if (t->kind == TOK_NUM || tok_is(t, "-") || tok_is(t, "+")) {
		if (take_imm32(ps, &id))
			return -1;
		stmt_one(st, cf_insn(BPF_JMP | BPF_CALL, 0, 0, 0, id));
		return 0;
	}
	/* `call kfunc NAME`; a lone `call kfunc` calls a function named kfunc */
	if (tok_is(t, "kfunc") && peek_at(ps, 1)->kind != TOK_END) {
		char name[CF_NAME_MAX];

		ps->lt.pos++;
		t = peek(ps);
		if (t->kind == TOK_NUM || tok_is(t, "-") || tok_is(t, "+")) {
			if (take_imm32(ps, &id))
				return -1;
		} else {
			if (take_name(ps, name, "a kfunc name or id"))
				return -1;
			c = cf_callee_by_name(name);
			if (!c || !c->kfunc) {
				fail(ps, "unknown kfunc '%s'", name);
				return -1;
			}
			id = c->id;
		}
		stmt_one(st, cf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, id));
		return 0;
	}
	if (take_name(ps, st->callee, "a function name, helper name or helper id"))
		return -1;
	st->call_by_name = true;
	stmt_one(st, cf_insn(BPF_JMP | BPF_CALL, 0, 0, 0, 0));
	return 0;
}

/* `*(u64 *)(r10 - 8) = r1` / `= 5` */
static int parse_store(struct parser *ps, struct stmt *st)
{
	int size, dst, src;
	bool sign, wide;
	int16_t off;
	int32_t imm;

	if (take_size_cast(ps, &size, &sign) || take_mem(ps, &dst, &off) || expect(ps, "="))
		return -1;
	if (sign) {
		fail(ps, "stores take an unsigned size (u8, u16, u32, u64)");
		return -1;
	}
	if (tok_is_reg(peek(ps))) {
		if (take_reg(ps, &src, &wide))
			return -1;
		stmt_one(st, cf_insn(BPF_STX | BPF_MEM | (uint8_t)size, (uint8_t)dst, (uint8_t)src, off, 0));
		return 0;
	}
	if (take_imm32(ps, &imm))
		return -1;
	stmt_one(st, cf_insn(BPF_ST | BPF_MEM | (uint8_t)size, (uint8_t)dst, 0, off, imm));
	return 0;
}

/* `lock *(u64 *)(r10 - 8) += r1` */
static int parse_lock(struct parser *ps, struct stmt *st)
{
	int size, dst, src, i;
	bool sign, wide;
	int16_t off;

	if (expect(ps, "*") || take_size_cast(ps, &size, &sign) || take_mem(ps, &dst, &off))
		return -1;
	if (sign || (size != BPF_W && size != BPF_DW)) {
		fail(ps, "atomic operations take u32 or u64");
		return -1;
	}
	for (i = 0; i < ARRAY_LEN(lock_ops); i++)
		if (accept(ps, lock_ops[i].op))
			break;
	if (i == ARRAY_LEN(lock_ops)) {
		fail_expected(ps, "an atomic operation (+=, &=, |=, ^=)");
		return -1;
	}
	/* llvm-mc takes r or w for the u32 form, r for u64 */
	if (size == BPF_DW ? take_reg_width(ps, &src, true) : take_reg(ps, &src, &wide))
		return -1;
	stmt_one(st, cf_insn(BPF_STX | BPF_ATOMIC | (uint8_t)size, (uint8_t)dst, (uint8_t)src, off,
			     lock_ops[i].imm));
	return 0;
}

static int check_same_reg(struct parser *ps, int want, bool want_wide, int got, bool got_wide,
			  const char *form)
{
	if (want == got && want_wide == got_wide)
		return 0;
	fail(ps, "%s: the result register must be the %s one (%c%d), got %c%d", form,
	     strcmp(form, "cmpxchg") ? "operand" : "r0/w0", want_wide ? 'r' : 'w', want, got_wide ? 'r' : 'w',
	     got);
	return -1;
}

/* `rD = atomic_fetch_OP((u64 *)(rB + off), rD)` */
static int parse_fetch(struct parser *ps, struct stmt *st, int dst, bool wide, int32_t op)
{
	int size, base, src;
	bool sign, src_wide;
	int16_t off;

	if (expect(ps, "(") || take_size_cast(ps, &size, &sign) || take_mem(ps, &base, &off) ||
	    expect(ps, ","))
		return -1;
	if (sign || (size != BPF_W && size != BPF_DW)) {
		fail(ps, "atomic operations take u32 or u64");
		return -1;
	}
	if (take_reg(ps, &src, &src_wide) || expect(ps, ")"))
		return -1;
	if (wide != (size == BPF_DW)) {
		fail(ps, "a %s atomic_fetch needs a %s result register", size == BPF_DW ? "u64" : "u32",
		     size == BPF_DW ? "r" : "w");
		return -1;
	}
	if (check_same_reg(ps, src, wide, dst, src_wide, "atomic_fetch"))
		return -1;
	stmt_one(st, cf_insn(BPF_STX | BPF_ATOMIC | (uint8_t)size, (uint8_t)base, (uint8_t)src, off, op));
	return 0;
}

/* `r1 = xchg_64(r10 - 8, r1)`, `r0 = cmpxchg_64(r10 - 8, r0, r1)` and the
 * 32-bit `xchg32_32` / `cmpxchg32_32` with w registers. */
static int parse_xchg(struct parser *ps, struct stmt *st, int dst, bool wide, bool cmp, bool size64)
{
	int base, src, r0;
	int16_t off;

	if (wide != size64) {
		fail(ps, "%s needs a %s result register", cmp ? (size64 ? "cmpxchg_64" : "cmpxchg32_32") :
		     (size64 ? "xchg_64" : "xchg32_32"), size64 ? "r" : "w");
		return -1;
	}
	if (expect(ps, "(") || take_reg_off(ps, &base, &off) || expect(ps, ","))
		return -1;
	if (cmp) {
		if (take_reg_width(ps, &r0, wide) || expect(ps, ","))
			return -1;
		if (r0 != 0 || dst != 0) {
			fail(ps, "cmpxchg compares with and returns in %c0", wide ? 'r' : 'w');
			return -1;
		}
	}
	if (take_reg_width(ps, &src, wide) || expect(ps, ")"))
		return -1;
	if (!cmp && check_same_reg(ps, src, wide, dst, wide, "xchg"))
		return -1;
	stmt_one(st, cf_insn(BPF_STX | BPF_ATOMIC | (size64 ? BPF_DW : BPF_W), (uint8_t)base, (uint8_t)src,
			     off, cmp ? BPF_CMPXCHG : BPF_XCHG));
	return 0;
}

/* `rD = *(u32 *)(rS + off)`, `rD = *(s16 *)(rS - 4)` */
static int parse_load(struct parser *ps, struct stmt *st, int dst, bool wide)
{
	int size, src;
	bool sign;
	int16_t off;

	if (take_size_cast(ps, &size, &sign) || take_mem(ps, &src, &off))
		return -1;
	/* llvm-mc's alu32 spelling `w1 = *(u32 *)...` is the same instruction */
	if (!wide && (sign || size == BPF_DW)) {
		fail(ps, "a %s load needs an r destination register", sign ? "sign-extending" : "u64");
		return -1;
	}
	stmt_one(st, cf_insn(BPF_LDX | (sign ? BPF_MEMSX : BPF_MEM) | (uint8_t)size, (uint8_t)dst,
			     (uint8_t)src, off, 0));
	return 0;
}

/* Everything that starts with a register. */
static int parse_assign(struct parser *ps, struct stmt *st)
{
	int dst, src, i;
	bool wide, src_wide;
	uint8_t cls;
	int32_t imm;
	const struct token *t;

	if (take_reg(ps, &dst, &wide))
		return -1;
	cls = wide ? BPF_ALU64 : BPF_ALU;
	for (i = 0; i < ARRAY_LEN(alu_ops); i++) {
		if (!accept(ps, alu_ops[i].op))
			continue;
		if (tok_is_reg(peek(ps))) {
			if (take_reg_width(ps, &src, wide))
				return -1;
			stmt_one(st, cf_insn(cls | alu_ops[i].code | BPF_X, (uint8_t)dst, (uint8_t)src,
					     alu_ops[i].off, 0));
		} else {
			if (take_imm32(ps, &imm))
				return -1;
			stmt_one(st, cf_insn(cls | alu_ops[i].code | BPF_K, (uint8_t)dst, 0, alu_ops[i].off, imm));
		}
		return 0;
	}
	if (expect(ps, "="))
		return -1;
	t = peek(ps);
	/* `r1 = map[NAME] ll`, `r1 = map[NAME][0]+OFF ll` (the verifier log's
	 * `map[id:N]` and `map[id:N][0]+OFF`, with the map's name) */
	if (tok_is(t, "map") && tok_is(peek_at(ps, 1), "[")) {
		char name[CF_NAME_MAX];
		int mi;
		long off = 0;
		bool value = false;

		ps->lt.pos += 2;
		if (take_name(ps, name, "a map name") || expect(ps, "]"))
			return -1;
		mi = ps->prog ? cf_prog_find_map(ps->prog, name) : -1;
		if (mi < 0) {
			fail(ps, "unknown map '%s' (declare it with .map before its use)", name);
			return -1;
		}
		if (accept(ps, "[")) {
			long idx;

			if (take_signed(ps, 0, 0, "array index (direct value access is to entry 0)", &idx) ||
			    expect(ps, "]") || expect(ps, "+") || take_signed(ps, 0, INT32_MAX, "value offset", &off))
				return -1;
			value = true;
		}
		if (expect(ps, "ll"))
			return -1;
		if (!wide) {
			fail(ps, "ld_imm64 ('ll') needs an r register");
			return -1;
		}
		st->insn[0] = cf_insn(BPF_LD | BPF_IMM | BPF_DW, (uint8_t)dst,
				      value ? BPF_PSEUDO_MAP_IDX_VALUE : BPF_PSEUDO_MAP_IDX, 0, mi);
		st->insn[1] = cf_insn(0, 0, 0, 0, (int32_t)off);
		st->nslots = 2;
		return 0;
	}
	/* `r1 = -r1` */
	if (tok_is(t, "-") && tok_is_reg(peek_at(ps, 1))) {
		ps->lt.pos++;
		if (take_reg_width(ps, &src, wide) || check_same_reg(ps, dst, wide, src, wide, "neg"))
			return -1;
		stmt_one(st, cf_insn(cls | BPF_NEG | BPF_K, (uint8_t)dst, 0, 0, 0));
		return 0;
	}
	/* `r1 = (s8)r2` (MOVSX) */
	if (tok_is(t, "(")) {
		static const struct {
			const char *name;
			int16_t bits;
		} casts[] = { { "s8", 8 }, { "s16", 16 }, { "s32", 32 } };

		ps->lt.pos++;
		for (i = 0; i < ARRAY_LEN(casts); i++)
			if (accept(ps, casts[i].name))
				break;
		if (i == ARRAY_LEN(casts)) {
			fail_expected(ps, "a sign-extension cast (s8, s16, s32)");
			return -1;
		}
		if (!wide && casts[i].bits == 32) {
			fail(ps, "w registers sign-extend from s8 or s16 only");
			return -1;
		}
		if (expect(ps, ")") || take_reg_width(ps, &src, wide))
			return -1;
		stmt_one(st, cf_insn(cls | BPF_MOV | BPF_X, (uint8_t)dst, (uint8_t)src, casts[i].bits, 0));
		return 0;
	}
	if (tok_is(t, "*")) {
		ps->lt.pos++;
		return parse_load(ps, st, dst, wide);
	}
	if (t->kind == TOK_WORD && !tok_is_reg(t)) {
		for (i = 0; i < ARRAY_LEN(end_ops); i++) {
			if (!accept(ps, end_ops[i].name))
				continue;
			if (!wide) {
				fail(ps, "%s takes r registers", end_ops[i].name);
				return -1;
			}
			if (take_reg_width(ps, &src, true) || check_same_reg(ps, dst, true, src, true, end_ops[i].name))
				return -1;
			stmt_one(st, cf_insn(end_ops[i].cls | BPF_END | end_ops[i].code, (uint8_t)dst, 0, 0,
					     end_ops[i].bits));
			return 0;
		}
		for (i = 0; i < ARRAY_LEN(fetch_ops); i++)
			if (accept(ps, fetch_ops[i].name))
				return parse_fetch(ps, st, dst, wide, fetch_ops[i].imm);
		if (accept(ps, "xchg_64"))
			return parse_xchg(ps, st, dst, wide, false, true);
		if (accept(ps, "xchg32_32"))
			return parse_xchg(ps, st, dst, wide, false, false);
		if (accept(ps, "cmpxchg_64"))
			return parse_xchg(ps, st, dst, wide, true, true);
		if (accept(ps, "cmpxchg32_32"))
			return parse_xchg(ps, st, dst, wide, true, false);
		/* `r2 = NAME ll`: a function's address (BPF_PSEUDO_FUNC),
		 * resolved with the calls at the end of the file */
		if (tok_is(peek_at(ps, 1), "ll") && t->len < CF_NAME_MAX) {
			if (!wide) {
				fail(ps, "a function's address needs an r register");
				return -1;
			}
			snprintf(st->callee, sizeof(st->callee), "%.*s", t->len, t->s);
			ps->lt.pos += 2;
			st->insn[0] = cf_insn(BPF_LD | BPF_IMM | BPF_DW, (uint8_t)dst, BPF_PSEUDO_FUNC, 0, 0);
			st->insn[1] = cf_insn(0, 0, 0, 0, 0);
			st->nslots = 2;
			st->call_by_name = true;
			return 0;
		}
		fail_expected(ps, "a register, a number, a load or an operation");
		return -1;
	}
	if (tok_is_reg(t)) {
		if (take_reg(ps, &src, &src_wide))
			return -1;
		if (src_wide != wide) {
			char buf[200];

			fail(ps, "expected a %s register, got %s", wide ? "64-bit (r)" : "32-bit (w)",
			     tok_text(&ps->lt.t[ps->lt.pos - 1], buf, sizeof(buf)));
			return -1;
		}
		stmt_one(st, cf_insn(cls | BPF_MOV | BPF_X, (uint8_t)dst, (uint8_t)src, 0, 0));
		return 0;
	}
	/* `r1 = 5` or `r1 = 0x1122334455667788 ll` */
	{
		int save = ps->lt.pos;
		uint64_t v;

		if (take_imm64(ps, &v))
			return -1;
		if (accept(ps, "ll")) {
			if (!wide) {
				fail(ps, "ld_imm64 ('ll') needs an r register");
				return -1;
			}
			st->insn[0] = cf_insn(BPF_LD | BPF_IMM | BPF_DW, (uint8_t)dst, 0, 0, (int32_t)(uint32_t)v);
			st->insn[1] = cf_insn(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
			st->nslots = 2;
			return 0;
		}
		ps->lt.pos = save;
		if (take_imm32(ps, &imm))
			return -1;
		stmt_one(st, cf_insn(cls | BPF_MOV | BPF_K, (uint8_t)dst, 0, 0, imm));
		return 0;
	}
}

/* `.insn CODE, DST, SRC, OFF, IMM`: one raw slot. */
static int parse_raw_insn(struct parser *ps, struct stmt *st)
{
	long code, dst, src, off;
	int32_t imm;

	if (take_signed(ps, 0, 255, "opcode", &code) || expect(ps, ",") ||
	    take_signed(ps, 0, 15, "dst_reg", &dst) || expect(ps, ",") ||
	    take_signed(ps, 0, 15, "src_reg", &src) || expect(ps, ",") ||
	    take_signed(ps, -32768, 32767, "offset", &off) || expect(ps, ",") || take_imm32(ps, &imm))
		return -1;
	stmt_one(st, cf_insn((uint8_t)code, (uint8_t)dst, (uint8_t)src, (int16_t)off, imm));
	return 0;
}

/* One instruction (labels and `.func` are handled by the caller). */
static int parse_stmt(struct parser *ps, struct stmt *st)
{
	const struct token *t = peek(ps);
	char buf[200];
	int rc;

	memset(st, 0, sizeof(*st));
	if (accept(ps, "exit")) {
		stmt_one(st, cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
		rc = 0;
	} else if (accept(ps, "call")) {
		rc = parse_call(ps, st);
	} else if (accept(ps, "goto") || accept(ps, "ja")) {
		stmt_one(st, cf_insn(BPF_JMP | BPF_JA, 0, 0, 0, 0));
		rc = take_target(ps, st);
	} else if (accept(ps, "may_goto")) {
		stmt_one(st, cf_insn(CF_MAY_GOTO, 0, 0, 0, 0));
		rc = take_target(ps, st);
	} else if (accept(ps, "gotol")) {
		stmt_one(st, cf_insn(BPF_JMP32 | BPF_JA, 0, 0, 0, 0));
		st->long_jump = true;
		rc = take_target(ps, st);
	} else if (accept(ps, "if")) {
		rc = parse_if(ps, st);
	} else if (accept(ps, "lock")) {
		rc = parse_lock(ps, st);
	} else if (accept(ps, "*")) {
		rc = parse_store(ps, st);
	} else if (accept(ps, ".insn")) {
		rc = parse_raw_insn(ps, st);
	} else if (tok_is_reg(t)) {
		rc = parse_assign(ps, st);
	} else {
		fail(ps, "expected an instruction, got %s", tok_text(t, buf, sizeof(buf)));
		return -1;
	}
	if (rc || expect_end(ps))
		return -1;
	return 0;
}

/* ---- whole programs ---------------------------------------------------- */

struct asm_state {
	struct parser ps;
	struct cf_prog *prog; /* the program being filled: root, or one of its tails */
	struct cf_prog *root; /* the whole file's program */
	int total_slots;
	struct cf_func *cur; /* function being filled */
	int cur_line;        /* its .func line */
	struct jump_fixup *jumps;
	int njumps, jumps_cap;
	struct call_fixup *calls;
	int ncalls, calls_cap;
	/* labels of the current function by name: open addressing, entries
	 * are label index + 1, 0 is empty; a power-of-two size */
	int *label_hash;
	int label_hash_cap, label_hash_used;
};

static void *grow_array(void *ptr, int *cap, int need, size_t elem)
{
	int ncap;
	void *np;

	if (need <= *cap)
		return ptr;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	np = realloc(ptr, (size_t)ncap * elem);
	if (!np) {
		free(ptr);
		return NULL;
	}
	*cap = ncap;
	return np;
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static const struct cf_label *find_label(const struct asm_state *as, const char *name)
{
	const struct cf_func *f = as->cur;
	uint32_t mask = (uint32_t)as->label_hash_cap - 1;

	if (!as->label_hash_cap)
		return NULL;
	for (uint32_t h = name_hash(name) & mask;; h = (h + 1) & mask) {
		int idx = as->label_hash[h];

		if (!idx)
			return NULL;
		if (!strcmp(f->labels[idx - 1].name, name))
			return &f->labels[idx - 1];
	}
}

/* Index label `idx` of the current function (kept under half full). */
static int hash_label(struct asm_state *as, int idx)
{
	const struct cf_func *f = as->cur;
	uint32_t mask;

	if (2 * (as->label_hash_used + 1) > as->label_hash_cap) {
		int ncap = as->label_hash_cap ? 2 * as->label_hash_cap : 64;
		int *nh = calloc((size_t)ncap, sizeof(*nh));

		if (!nh)
			return -1;
		free(as->label_hash);
		as->label_hash = nh;
		as->label_hash_cap = ncap;
		as->label_hash_used = 0;
		for (int k = 0; k < f->nlabels; k++)
			if (k != idx && hash_label(as, k))
				return -1;
	}
	mask = (uint32_t)as->label_hash_cap - 1;
	for (uint32_t h = name_hash(f->labels[idx].name) & mask;; h = (h + 1) & mask) {
		if (!as->label_hash[h]) {
			as->label_hash[h] = idx + 1;
			as->label_hash_used++;
			return 0;
		}
	}
}

/* Labels are local to a function: resolve its jumps when it ends. */
static int finish_func(struct asm_state *as)
{
	struct cf_func *f = as->cur;
	struct parser *ps = &as->ps;
	int line = ps->line;

	if (!f)
		return 0;
	for (int i = 0; i < as->njumps; i++) {
		struct jump_fixup *j = &as->jumps[i];
		struct bpf_insn *insn = &f->insns[j->pc];
		long target, rel;

		ps->line = j->line;
		if (j->by_label) {
			const struct cf_label *l = find_label(as, j->label);

			if (!l) {
				fail(ps, "unknown label '%s'", j->label);
				return -1;
			}
			target = l->pos;
		} else {
			target = j->pc + 1 + j->rel;
		}
		if (target < 0 || target >= f->ninsns) {
			fail(ps, "'%s' leaves function %s", j->text, f->name);
			return -1;
		}
		rel = target - (j->pc + 1);
		if (j->long_jump) {
			insn->imm = (int32_t)rel;
		} else if (rel < -32768 || rel > 32767) {
			fail(ps, "'%s' jumps %ld slots, more than a 16-bit offset holds (use gotol)", j->text, rel);
			return -1;
		} else {
			insn->off = (int16_t)rel;
		}
	}
	as->njumps = 0;
	as->cur = NULL;
	if (as->label_hash_used)
		memset(as->label_hash, 0, (size_t)as->label_hash_cap * sizeof(*as->label_hash));
	as->label_hash_used = 0;
	ps->line = line;
	return 0;
}

static bool valid_ident(const char *s)
{
	if (!is_word_start(*s))
		return false;
	for (s++; *s; s++)
		if (!is_word_char(*s))
			return false;
	return true;
}

/* `.type syscall|raw_tracepoint`: before the first `.func`. */
static int parse_type_directive(struct asm_state *as)
{
	struct parser *ps = &as->ps;

	if (as->root->nfuncs) {
		fail(ps, ".type comes before the first .func");
		return -1;
	}
	if (accept(ps, "syscall")) {
		as->root->prog_type = CF_PROG_SYSCALL;
	} else if (accept(ps, "raw_tracepoint")) {
		as->root->prog_type = CF_PROG_RAW_TP;
	} else {
		fail_expected(ps, "a program type (syscall, raw_tracepoint)");
		return -1;
	}
	return expect_end(ps);
}

/* `rdonly=HEX`: the value's bytes in hex, two digits each (trailing zero
 * bytes may be left out). Returns the byte count or -1. */
static int take_hex_bytes(struct parser *ps, uint8_t *out, int cap)
{
	const struct token *t = peek(ps);
	char buf[200];
	int n = 0;

	if ((t->kind != TOK_NUM && t->kind != TOK_WORD) || t->len % 2) {
		fail_expected(ps, "the value's bytes in hex (two digits each)");
		return -1;
	}
	for (int i = 0; i < t->len; i += 2) {
		int hi = cf_hex_digit(t->s[i]), lo = cf_hex_digit(t->s[i + 1]);

		if (hi < 0 || lo < 0) {
			fail(ps, "rdonly=%s: not hex", tok_text(t, buf, sizeof(buf)));
			return -1;
		}
		if (n >= cap) {
			fail(ps, "rdonly: more than %d bytes", cap);
			return -1;
		}
		out[n++] = (uint8_t)(hi << 4 | lo);
	}
	ps->lt.pos++;
	return n;
}

/* `.map NAME, array|hash, key=K, value=V, entries=N[, rdonly=HEX]`:
 * before the first `.func` (maps belong to the program, not to a
 * function). rdonly: a read-only one-entry array holding HEX, frozen
 * before the load (docs/kernel-paths.md "Strings"). */
static int parse_map_directive(struct asm_state *as)
{
	struct parser *ps = &as->ps;
	char name[CF_NAME_MAX];
	long key = 0, value = 0, entries = 0;
	uint32_t type;
	struct cf_err merr;
	struct cf_map *m;
	uint8_t init[CF_MAP_MAX_VALUE];
	int ninit = -1;

	if (as->root->nfuncs) {
		fail(ps, ".map comes before the first .func");
		return -1;
	}
	if (take_name(ps, name, "a map name") || expect(ps, ","))
		return -1;
	if (accept(ps, "array")) {
		type = BPF_MAP_TYPE_ARRAY;
	} else if (accept(ps, "hash")) {
		type = BPF_MAP_TYPE_HASH;
	} else if (accept(ps, "prog_array")) {
		/* `.map NAME, prog_array, entries=N`: u32 keys, program fds */
		type = BPF_MAP_TYPE_PROG_ARRAY;
		key = value = 4;
		if (expect(ps, ",") || expect(ps, "entries") || expect(ps, "=") ||
		    take_signed(ps, 1, CF_MAP_MAX_ENTRIES, "max entries", &entries) || expect_end(ps))
			return -1;
		goto add;
	} else {
		fail_expected(ps, "a map type (array, hash, prog_array)");
		return -1;
	}
	if (expect(ps, ",") || expect(ps, "key") || expect(ps, "=") ||
	    take_signed(ps, 1, CF_MAP_MAX_KEY, "key size", &key) || expect(ps, ",") || expect(ps, "value") ||
	    expect(ps, "=") || take_signed(ps, 1, CF_MAP_MAX_VALUE, "value size", &value) || expect(ps, ",") ||
	    expect(ps, "entries") || expect(ps, "=") ||
	    take_signed(ps, 1, CF_MAP_MAX_ENTRIES, "max entries", &entries))
		return -1;
	if (accept(ps, ",")) {
		if (expect(ps, "rdonly") || expect(ps, "=") || (ninit = take_hex_bytes(ps, init, CF_MAP_MAX_VALUE)) < 0)
			return -1;
	}
	if (expect_end(ps))
		return -1;
add:
	m = cf_prog_add_map(as->root, name, type, (uint32_t)key, (uint32_t)value, (uint32_t)entries, &merr);
	if (!m || (ninit >= 0 && cf_map_set_rdonly(m, init, (size_t)ninit, &merr))) {
		fail(ps, "%s", merr.msg);
		return -1;
	}
	return 0;
}

static int resolve_calls(struct asm_state *as);

/* `.prog [MAP[I], ...]`: the functions up to the next `.prog` form a
 * tail-call target, a program of its own whose first function is its
 * entry; the list names the prog array entries it fills
 * (docs/kernel-paths.md "Tail calls"). */
static int parse_prog_directive(struct asm_state *as)
{
	struct parser *ps = &as->ps;
	struct cf_prog *root = as->root;
	int k = root->ntails;

	if (!root->nfuncs) {
		fail(ps, ".prog comes after the functions of the main program");
		return -1;
	}
	if (as->prog != root && !as->prog->nfuncs) {
		fail(ps, "the previous .prog has no .func");
		return -1;
	}
	if (finish_func(as) || resolve_calls(as))
		return -1;
	as->ncalls = 0;
	if (!cf_prog_add_tail(root)) {
		fail(ps, "too many tail-call targets (at most %d)", CF_MAX_TAILS);
		return -1;
	}
	as->prog = &root->tails[k];
	as->ps.prog = as->prog;
	while (peek(ps)->kind != TOK_END) {
		char name[CF_NAME_MAX];
		long idx;
		int mi;
		struct cf_map *m;

		if (take_name(ps, name, "a prog array") || expect(ps, "["))
			return -1;
		mi = cf_prog_find_map(root, name);
		if (mi < 0 || root->maps[mi].type != BPF_MAP_TYPE_PROG_ARRAY) {
			fail(ps, "'%s' is not a prog array (declare it with .map %s, prog_array, entries=N)", name,
			     name);
			return -1;
		}
		m = &root->maps[mi];
		if (take_signed(ps, 0, (long)m->max_entries - 1, "prog array index", &idx) || expect(ps, "]"))
			return -1;
		if (m->tail_slot[idx]) {
			fail(ps, "%s[%ld] is filled twice", name, idx);
			return -1;
		}
		m->tail_slot[idx] = (uint8_t)(k + 1);
		if (peek(ps)->kind != TOK_END && expect(ps, ","))
			return -1;
	}
	return 0;
}

/* `.func NAME[, NARGS[, global]][, stack=N]` */
static int parse_func_directive(struct asm_state *as)
{
	struct parser *ps = &as->ps;
	char name[CF_NAME_MAX];
	bool entry = as->prog->nfuncs == 0, global = false, have_nargs = false, declared = false;
	long nargs = entry ? 1 : 0, stack = 0;
	struct cf_func *f;

	if (finish_func(as) || take_name(ps, name, "a function name"))
		return -1;
	if (name[0] == '.' || tok_is_reg(&ps->lt.t[ps->lt.pos - 1])) {
		fail(ps, "'%s' cannot name a function", name);
		return -1;
	}
	while (accept(ps, ",")) {
		const struct token *t = peek(ps);

		if (t->kind == TOK_NUM || tok_is(t, "-") || tok_is(t, "+")) {
			bool neg;
			uint64_t mag;

			if (have_nargs || global || declared) {
				fail(ps, "the argument count comes right after the function name");
				return -1;
			}
			if (take_number(ps, &neg, &mag))
				return -1;
			if (neg || mag > CF_MAX_ARGS) {
				fail(ps, "function %s takes %s%" PRIu64 " arguments; expected 0..%d", name,
				     neg && mag ? "-" : "", mag, CF_MAX_ARGS);
				return -1;
			}
			nargs = (long)mag;
			have_nargs = true;
		} else if (accept(ps, "global")) {
			global = true;
		} else if (accept(ps, "static")) {
			global = false;
		} else if (accept(ps, "stack")) {
			if (expect(ps, "=") || take_signed(ps, 0, 1 << 20, "stack size", &stack))
				return -1;
			declared = true;
		} else {
			fail_expected(ps, "NARGS, 'global' or 'stack=N'");
			return -1;
		}
	}
	if (expect_end(ps))
		return -1;
	/* stack-args.md: global functions keep the 5-register ABI */
	if (global && nargs > CF_MAX_REG_ARGS) {
		fail(ps, "global function %s takes at most %d arguments, not %ld", name, CF_MAX_REG_ARGS, nargs);
		return -1;
	}
	if (cf_prog_find_func(as->prog, name) >= 0) {
		fail(ps, "function '%s' defined twice", name);
		return -1;
	}
	f = cf_prog_add_func(as->prog, name, (int)nargs, global);
	if (!f) {
		fail(ps, "too many functions (a program has at most %d)", CF_MAX_FUNCS);
		return -1;
	}
	f->stack_declared = declared;
	f->stack_size = (int)stack;
	as->cur = f;
	as->cur_line = ps->line;
	return 0;
}

static int add_label(struct asm_state *as, const char *name)
{
	const struct cf_label *l;

	if (!as->cur) {
		if (as->prog->nfuncs > 0 || as->prog != as->root) {
			fail(&as->ps, "label outside a .func");
			return -1;
		}
		as->cur = cf_prog_add_func(as->prog, "main", 1, false);
		as->cur_line = as->ps.line;
	}
	l = find_label(as, name);
	if (l) {
		fail(&as->ps, "label '%s' defined twice in function %s", name, as->cur->name);
		return -1;
	}
	cf_func_add_label(as->cur, name, as->cur->ninsns);
	if (hash_label(as, as->cur->nlabels - 1)) {
		fail(&as->ps, "out of memory");
		return -1;
	}
	return 0;
}

/* The statement as written (from its first to its last token), for messages. */
static void stmt_text(char *out, size_t size, const struct line_toks *lt)
{
	const struct token *first, *last;

	if (lt->pos >= lt->n) {
		out[0] = 0;
		return;
	}
	first = &lt->t[lt->pos];
	last = &lt->t[lt->n - 1];
	snprintf(out, size, "%.*s", (int)(last->s + last->len - first->s), first->s);
}

static int add_stmt(struct asm_state *as)
{
	struct parser *ps = &as->ps;
	struct stmt st;
	char text[96];
	int start = ps->lt.pos;

	if (parse_stmt(ps, &st))
		return -1;
	/* llvm-style plain programs (no .func) are one entry function `main` */
	if (!as->cur) {
		if (as->prog->nfuncs > 0 || as->prog != as->root) {
			fail(ps, "instruction outside a .func");
			return -1;
		}
		as->cur = cf_prog_add_func(as->prog, "main", 1, false);
		as->cur_line = ps->line;
	}
	if (as->total_slots + st.nslots > CF_MAX_INSNS) {
		fail(ps, "too many instructions (a program has at most %d slots)", CF_MAX_INSNS);
		return -1;
	}
	as->total_slots += st.nslots;
	int pc = as->cur->ninsns;

	for (int i = 0; i < st.nslots; i++)
		cf_func_emit(as->cur, st.insn[i], ps->line);
	if (st.target != TARGET_NONE) {
		struct jump_fixup *j;

		as->jumps = grow_array(as->jumps, &as->jumps_cap, as->njumps + 1, sizeof(*as->jumps));
		if (!as->jumps) {
			as->njumps = as->jumps_cap = 0;
			fail(ps, "out of memory");
			return -1;
		}
		j = &as->jumps[as->njumps++];
		memset(j, 0, sizeof(*j));
		j->pc = pc;
		j->line = ps->line;
		j->long_jump = st.long_jump;
		j->by_label = st.target == TARGET_LABEL;
		j->rel = st.rel;
		memcpy(j->label, st.label, sizeof(j->label));
		ps->lt.pos = start;
		stmt_text(text, sizeof(text), &ps->lt);
		snprintf(j->text, sizeof(j->text), "%s", text);
	}
	if (st.call_by_name) {
		struct call_fixup *c;

		as->calls = grow_array(as->calls, &as->calls_cap, as->ncalls + 1, sizeof(*as->calls));
		if (!as->calls) {
			as->ncalls = as->calls_cap = 0;
			fail(ps, "out of memory");
			return -1;
		}
		c = &as->calls[as->ncalls++];
		c->func = (int)(as->cur - as->prog->funcs);
		c->pc = pc;
		c->line = ps->line;
		memcpy(c->name, st.callee, sizeof(c->name));
	}
	return 0;
}

/* Calls may name functions defined later: resolve at the end of the file.
 * A function of the program wins over a helper of the same name. */
static int resolve_calls(struct asm_state *as)
{
	struct parser *ps = &as->ps;

	for (int i = 0; i < as->ncalls; i++) {
		struct call_fixup *c = &as->calls[i];
		struct bpf_insn *insn = &as->prog->funcs[c->func].insns[c->pc];
		int callee = cf_prog_find_func(as->prog, c->name);
		const struct cf_callee *h;

		ps->line = c->line;
		if (cf_insn_is_ldimm64(insn)) {
			if (callee < 0) {
				fail(ps, "address of unknown function '%s'", c->name);
				return -1;
			}
			insn->imm = callee;
			continue;
		}
		if (callee >= 0) {
			insn->src_reg = BPF_PSEUDO_CALL;
			insn->imm = callee;
			continue;
		}
		h = cf_callee_by_name(c->name);
		if (h && h->kfunc) {
			fail(ps, "'%s' is a kfunc: write 'call kfunc %s'", c->name, c->name);
			return -1;
		}
		if (!h) {
			fail(ps, "call to unknown function '%s'", c->name);
			return -1;
		}
		insn->imm = h->id;
	}
	return 0;
}

/* Cut comments (`;`, `#`, `//`) off a line, in place. */
static void strip_comment(char *s)
{
	for (; *s; s++) {
		if (*s == ';' || *s == '#' || (s[0] == '/' && s[1] == '/')) {
			*s = 0;
			return;
		}
	}
}

static int parse_line(struct asm_state *as, char *line)
{
	struct parser *ps = &as->ps;
	const struct token *t;
	char name[CF_NAME_MAX];

	strip_comment(line);
	if (lex_line(ps, line))
		return -1;
	/* `name:` (possibly followed by an instruction, as llvm-mc allows) */
	while (peek(ps)->kind == TOK_WORD && tok_is(peek_at(ps, 1), ":")) {
		if (tok_is_reg(peek(ps))) {
			fail(ps, "a register name cannot be a label");
			return -1;
		}
		if (take_name(ps, name, "a label") || add_label(as, name))
			return -1;
		ps->lt.pos++;
	}
	t = peek(ps);
	if (t->kind == TOK_END)
		return 0;
	if (accept(ps, ".func"))
		return parse_func_directive(as);
	if (accept(ps, ".map"))
		return parse_map_directive(as);
	if (accept(ps, ".type"))
		return parse_type_directive(as);
	if (accept(ps, ".prog"))
		return parse_prog_directive(as);
	if (t->kind == TOK_WORD && t->s[0] == '.' && !tok_is(t, ".insn")) {
		char buf[200];

		fail(ps, "unknown directive %s (expected .func, .map, .type, .prog or .insn)",
		     tok_text(t, buf, sizeof(buf)));
		return -1;
	}
	return add_stmt(as);
}

int cf_asm_parse(const char *text, size_t len, const char *filename, struct cf_prog *out,
		 struct cf_err *err)
{
	struct asm_state as;
	char *copy, *line, *next;
	int rc = -1;

	memset(&as, 0, sizeof(as));
	as.ps.filename = filename ? filename : "<input>";
	as.ps.err = err;
	as.prog = out;
	as.root = out;
	as.ps.prog = out;
	cf_prog_init(out);
	copy = malloc(len + 1);
	if (!copy) {
		cf_err_set(err, "%s: out of memory", as.ps.filename);
		return -1;
	}
	if (len)
		memcpy(copy, text, len);
	copy[len] = 0;
	as.ps.line = 0;
	for (line = copy; line && line <= copy + len; line = next) {
		char *nl = memchr(line, '\n', (size_t)(copy + len - line));

		as.ps.line++;
		if (nl)
			*nl = 0;
		next = nl ? nl + 1 : NULL;
		if (strlen(line) != (size_t)((nl ? nl : copy + len) - line)) {
			fail(&as.ps, "NUL byte in the text");
			goto out;
		}
		if (parse_line(&as, line))
			goto out;
	}
	if (as.prog != out && !as.prog->nfuncs) {
		fail(&as.ps, "the last .prog has no .func");
		goto out;
	}
	if (finish_func(&as) || resolve_calls(&as))
		goto out;
	if (out->nfuncs == 0) {
		as.ps.line = as.ps.line ? as.ps.line : 1;
		fail(&as.ps, "empty program: expected a .func or an instruction");
		goto out;
	}
	cf_prog_derive_stack(out);
	cf_prog_sync_tails(out); /* the prog arrays' slots, filled by the .prog lines */
	for (int k = 0; k < out->ntails; k++)
		cf_prog_derive_stack(&out->tails[k]);
	rc = 0;
out:
	free(copy);
	free(as.jumps);
	free(as.calls);
	free(as.label_hash);
	if (rc)
		cf_prog_free(out);
	return rc;
}

/* ---- printer ---------------------------------------------------------- */

static const char *size_name(int size, bool sign)
{
	switch (size) {
	case BPF_B:
		return sign ? "s8" : "u8";
	case BPF_H:
		return sign ? "s16" : "u16";
	case BPF_W:
		return sign ? "s32" : "u32";
	default:
		return sign ? "s64" : "u64";
	}
}

static int fmt_mem(char *buf, size_t size, int reg, int off)
{
	return snprintf(buf, size, "(r%d %c %d)", reg, off < 0 ? '-' : '+', off < 0 ? -off : off);
}

static const char *alu_op_text(const struct bpf_insn *i)
{
	uint8_t op = BPF_OP(i->code);

	for (int k = 0; k < ARRAY_LEN(alu_ops); k++)
		if (alu_ops[k].code == op && alu_ops[k].off == (i->off == 1 ? 1 : 0))
			return alu_ops[k].op;
	return NULL;
}

/* Name used for a helper in `call NAME`, or NULL to print the number: a
 * function of the program with the same name would take the call. */
static const char *helper_name(const struct cf_prog *p, int32_t id)
{
	const struct cf_callee *c = cf_callee_find(false, id);

	if (!c || (p && cf_prog_find_func(p, c->name) >= 0))
		return NULL;
	return c->name;
}

/* The pretty text of the instruction at slot insns[0] (insns[1] is the next
 * slot or NULL), jumps as relative offsets or `label`. Returns the slots it
 * covers (1 or 2), 0 if there is no pretty form. */
static int pretty_insn(char *buf, size_t size, const struct cf_prog *p, const struct bpf_insn *i,
		       const struct bpf_insn *next, const char *label)
{
	uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);
	char rc = (cls == BPF_ALU || cls == BPF_JMP32) ? 'w' : 'r';
	char mem[48], target[CF_NAME_MAX + 16];
	int k;

	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (op == BPF_END) {
			const char *kind = cls == BPF_ALU64 ? "bswap" : (BPF_SRC(i->code) == BPF_TO_BE ? "be" : "le");

			snprintf(buf, size, "r%d = %s%d r%d", i->dst_reg, kind, i->imm, i->dst_reg);
			return 1;
		}
		if (op == BPF_NEG) {
			snprintf(buf, size, "%c%d = -%c%d", rc, i->dst_reg, rc, i->dst_reg);
			return 1;
		}
		if (op == BPF_MOV) {
			if (BPF_SRC(i->code) == BPF_K)
				snprintf(buf, size, "%c%d = %d", rc, i->dst_reg, i->imm);
			else if (i->off)
				snprintf(buf, size, "%c%d = (s%d)%c%d", rc, i->dst_reg, i->off, rc, i->src_reg);
			else
				snprintf(buf, size, "%c%d = %c%d", rc, i->dst_reg, rc, i->src_reg);
			return 1;
		}
		if (!alu_op_text(i))
			return 0;
		if (BPF_SRC(i->code) == BPF_X)
			snprintf(buf, size, "%c%d %s %c%d", rc, i->dst_reg, alu_op_text(i), rc, i->src_reg);
		else
			snprintf(buf, size, "%c%d %s %d", rc, i->dst_reg, alu_op_text(i), i->imm);
		return 1;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_EXIT) {
			snprintf(buf, size, "exit");
			return 1;
		}
		if (op == BPF_CALL) {
			if (i->src_reg == BPF_PSEUDO_CALL) {
				if (!p || i->imm < 0 || i->imm >= p->nfuncs)
					return 0;
				snprintf(buf, size, "call %s", p->funcs[i->imm].name);
			} else if (i->src_reg == BPF_PSEUDO_KFUNC_CALL) {
				const struct cf_callee *c = cf_callee_find(true, i->imm);

				if (c)
					snprintf(buf, size, "call kfunc %s", c->name);
				else
					snprintf(buf, size, "call kfunc %d", i->imm);
			} else if (helper_name(p, i->imm) && cf_callee_find(false, i->imm)->kernel) {
				/* by number, as LLVM assembles it (a name would be a
				 * symbol to relocate); `call bpf_strtol` parses too */
				snprintf(buf, size, "call %d", i->imm);
			} else if (helper_name(p, i->imm)) {
				snprintf(buf, size, "call %s", helper_name(p, i->imm));
			} else {
				snprintf(buf, size, "call %d", i->imm);
			}
			return 1;
		}
		if (op == BPF_JA) {
			int32_t rel = cls == BPF_JMP ? i->off : i->imm;

			if (label)
				snprintf(target, sizeof(target), "%s", label);
			else
				snprintf(target, sizeof(target), "%+d", rel);
			snprintf(buf, size, "%s %s", cls == BPF_JMP ? "goto" : "gotol", target);
			return 1;
		}
		if (cf_insn_is_may_goto(i)) {
			if (i->dst_reg || i->imm)
				return 0; /* reserved fields set: print as .insn */
			if (label)
				snprintf(target, sizeof(target), "%s", label);
			else
				snprintf(target, sizeof(target), "%+d", i->off);
			snprintf(buf, size, "may_goto %s", target);
			return 1;
		}
		for (k = 0; k < ARRAY_LEN(jmp_ops); k++)
			if (jmp_ops[k].code == op)
				break;
		if (k == ARRAY_LEN(jmp_ops))
			return 0;
		if (label)
			snprintf(target, sizeof(target), "%s", label);
		else
			snprintf(target, sizeof(target), "%+d", i->off);
		if (BPF_SRC(i->code) == BPF_X)
			snprintf(buf, size, "if %c%d %s %c%d goto %s", rc, i->dst_reg, jmp_ops[k].op, rc, i->src_reg,
				 target);
		else
			snprintf(buf, size, "if %c%d %s %d goto %s", rc, i->dst_reg, jmp_ops[k].op, i->imm, target);
		return 1;
	case BPF_LDX:
		fmt_mem(mem, sizeof(mem), i->src_reg, i->off);
		snprintf(buf, size, "r%d = *(%s *)%s", i->dst_reg,
			 size_name(BPF_SIZE(i->code), BPF_MODE(i->code) == BPF_MEMSX), mem);
		return 1;
	case BPF_ST:
		fmt_mem(mem, sizeof(mem), i->dst_reg, i->off);
		snprintf(buf, size, "*(%s *)%s = %d", size_name(BPF_SIZE(i->code), false), mem, i->imm);
		return 1;
	case BPF_STX: {
		bool w64 = BPF_SIZE(i->code) == BPF_DW;
		char vr = w64 ? 'r' : 'w';

		if (BPF_MODE(i->code) == BPF_MEM) {
			fmt_mem(mem, sizeof(mem), i->dst_reg, i->off);
			snprintf(buf, size, "*(%s *)%s = r%d", size_name(BPF_SIZE(i->code), false), mem, i->src_reg);
			return 1;
		}
		if (BPF_MODE(i->code) != BPF_ATOMIC)
			return 0;
		fmt_mem(mem, sizeof(mem), i->dst_reg, i->off);
		for (k = 0; k < ARRAY_LEN(lock_ops); k++) {
			if (i->imm == lock_ops[k].imm) {
				snprintf(buf, size, "lock *(%s *)%s %s %c%d", size_name(BPF_SIZE(i->code), false), mem,
					 lock_ops[k].op, vr, i->src_reg);
				return 1;
			}
		}
		for (k = 0; k < ARRAY_LEN(fetch_ops); k++) {
			if (i->imm == fetch_ops[k].imm) {
				snprintf(buf, size, "%c%d = %s((%s *)%s, %c%d)", vr, i->src_reg, fetch_ops[k].name,
					 size_name(BPF_SIZE(i->code), false), mem, vr, i->src_reg);
				return 1;
			}
		}
		/* xchg/cmpxchg take `rB - 8` without parentheses */
		snprintf(mem, sizeof(mem), "r%d %c %d", i->dst_reg, i->off < 0 ? '-' : '+',
			 i->off < 0 ? -i->off : i->off);
		if (i->imm == BPF_XCHG) {
			snprintf(buf, size, "%c%d = %s(%s, %c%d)", vr, i->src_reg, w64 ? "xchg_64" : "xchg32_32", mem,
				 vr, i->src_reg);
			return 1;
		}
		if (i->imm == BPF_CMPXCHG) {
			snprintf(buf, size, "%c0 = %s(%s, %c0, %c%d)", vr, w64 ? "cmpxchg_64" : "cmpxchg32_32", mem, vr,
				 vr, i->src_reg);
			return 1;
		}
		return 0;
	}
	case BPF_LD:
		if (i->code != (BPF_LD | BPF_IMM | BPF_DW) || !next)
			return 0;
		if (i->src_reg == BPF_PSEUDO_MAP_IDX || i->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
			bool value = i->src_reg == BPF_PSEUDO_MAP_IDX_VALUE;

			/* anything the parser cannot give back prints as .insn */
			if (!p || i->imm < 0 || i->imm >= p->nmaps || (!value && next->imm) || next->imm < 0)
				return 0;
			if (value)
				snprintf(buf, size, "r%d = map[%s][0]+%d ll", i->dst_reg, p->maps[i->imm].name,
					 next->imm);
			else
				snprintf(buf, size, "r%d = map[%s] ll", i->dst_reg, p->maps[i->imm].name);
			return 2;
		}
		{
			uint64_t v = (uint64_t)(uint32_t)i->imm | (uint64_t)(uint32_t)next->imm << 32;
			int64_t sv = (int64_t)v;

			if (i->src_reg == BPF_PSEUDO_FUNC) {
				if (!p || i->imm < 0 || i->imm >= p->nfuncs || next->imm)
					return 0;
				snprintf(buf, size, "r%d = %s ll", i->dst_reg, p->funcs[i->imm].name);
			} else if (i->src_reg) {
				return 0;
			} else if (sv > -65536 && sv < 65536)
				snprintf(buf, size, "r%d = %" PRId64 " ll", i->dst_reg, sv);
			else
				snprintf(buf, size, "r%d = 0x%" PRIx64 " ll", i->dst_reg, v);
		}
		return 2;
	}
	return 0;
}

static bool same_insn(const struct bpf_insn *a, const struct bpf_insn *b)
{
	return a->code == b->code && a->dst_reg == b->dst_reg && a->src_reg == b->src_reg && a->off == b->off &&
	       a->imm == b->imm;
}

/* Does `text` parse back to exactly these slots? Jumps are checked in
 * their relative form, calls by name against p. */
static bool reparses_to(const char *text, const struct cf_prog *p, const struct bpf_insn *slots, int nslots)
{
	struct parser ps;
	struct stmt st;
	char line[256];

	memset(&ps, 0, sizeof(ps));
	ps.filename = "";
	ps.prog = p;
	snprintf(line, sizeof(line), "%s", text);
	if (lex_line(&ps, line) || parse_stmt(&ps, &st) || st.nslots != nslots)
		return false;
	if (st.target == TARGET_LABEL)
		return false;
	if (st.target == TARGET_REL) {
		if (st.long_jump)
			st.insn[0].imm = (int32_t)st.rel;
		else
			st.insn[0].off = (int16_t)st.rel;
	}
	if (st.call_by_name) {
		int callee = p ? cf_prog_find_func(p, st.callee) : -1;
		const struct cf_callee *h = cf_callee_by_name(st.callee);

		if (cf_insn_is_ldimm64(&st.insn[0])) {
			if (callee < 0)
				return false;
			st.insn[0].imm = callee;
		} else if (callee >= 0) {
			st.insn[0].src_reg = BPF_PSEUDO_CALL;
			st.insn[0].imm = callee;
		} else if (h && !h->kfunc) {
			st.insn[0].imm = h->id;
		} else {
			return false;
		}
	}
	for (int k = 0; k < nslots; k++)
		if (!same_insn(&st.insn[k], &slots[k]))
			return false;
	return true;
}

/* The canonical text of the instruction at pc (no label): its pretty form
 * if that parses back to the same slots, else `.insn`. *nslots is 1 or 2. */
static int canonical_insn(char *buf, size_t size, const struct cf_prog *p, const struct cf_func *f, int pc,
			  int *nslots)
{
	const struct bpf_insn *i = &f->insns[pc];
	const struct bpf_insn *next = pc + 1 < f->ninsns ? &f->insns[pc + 1] : NULL;
	char text[200];
	int n = pretty_insn(text, sizeof(text), p, i, next, NULL);

	if (n > 0 && reparses_to(text, p, i, n)) {
		*nslots = n;
		return snprintf(buf, size, "%s", text);
	}
	*nslots = 1;
	return snprintf(buf, size, ".insn 0x%02x, %d, %d, %d, %d", i->code, i->dst_reg, i->src_reg, i->off,
			i->imm);
}

int cf_asm_print_insn(char *buf, size_t size, const struct cf_prog *p, int fi, int pc)
{
	int nslots;

	if (!p || fi < 0 || fi >= p->nfuncs || pc < 0 || pc >= p->funcs[fi].ninsns)
		return snprintf(buf, size, "<no instruction>");
	return canonical_insn(buf, size, p, &p->funcs[fi], pc, &nslots);
}

/* A growing output string; aborts on out-of-memory like the rest of the
 * model (bpf/prog.c). */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(sb->s + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < sb->cap - sb->len) {
			sb->len += (size_t)n;
			return;
		}
		sb->cap = sb->cap * 2 + (n > 0 ? (size_t)n : 0) + 256;
		sb->s = realloc(sb->s, sb->cap);
		if (!sb->s) {
			fprintf(stderr, "callfuzz: out of memory\n");
			abort();
		}
	}
}

/* Is this a jump whose target stays in the function? Returns the target. */
static bool jump_target(const struct cf_func *f, int pc, int *target)
{
	const struct bpf_insn *i = &f->insns[pc];
	uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);
	long t;

	if ((cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_CALL || op == BPF_EXIT)
		return false;
	t = (long)pc + 1 + (cls == BPF_JMP32 && op == BPF_JA ? i->imm : i->off);
	if (t < 0 || t >= f->ninsns)
		return false;
	*target = (int)t;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct named {
	const char *name;
	int idx;
};

/* By name, then by position in the list: the first of equal names wins. */
static int cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static bool is_cond_or_ja(const struct bpf_insn *i)
{
	uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

static void raw_slot(char *buf, size_t size, const struct bpf_insn *i)
{
	snprintf(buf, size, ".insn 0x%02x, %d, %d, %d, %d", i->code, i->dst_reg, i->src_reg, i->off, i->imm);
}

static void *xcalloc(size_t n, size_t size)
{
	void *ptr = calloc(n ? n : 1, size);

	if (!ptr) {
		fprintf(stderr, "callfuzz: out of memory\n");
		abort();
	}
	return ptr;
}

static void print_func(struct sbuf *sb, const struct cf_prog *p, int fi)
{
	const struct cf_func *f = &p->funcs[fi];
	int n = f->ninsns, entry_nargs = fi == 0 ? 1 : 0, nuser = 0;
	int *slots = xcalloc((size_t)n + 1, sizeof(*slots));
	bool *is_target = xcalloc((size_t)n + 1, sizeof(*is_target));
	bool *printable = xcalloc((size_t)f->nlabels + 1, sizeof(*printable));
	const char **label = xcalloc((size_t)n + 1, sizeof(*label));
	const char **user = xcalloc((size_t)f->nlabels + 1, sizeof(*user));
	char(*gen)[CF_NAME_MAX + 8] = xcalloc((size_t)n + 1, sizeof(*gen));
	struct named *by_name = xcalloc((size_t)f->nlabels + 1, sizeof(*by_name));
	int *first_at = xcalloc((size_t)n + 1, sizeof(*first_at));
	int *next_at = xcalloc((size_t)f->nlabels + 1, sizeof(*next_at));
	char text[256];

	for (int pc = 0; pc <= n; pc++)
		first_at[pc] = -1;

	/* .func line: NARGS when not the default or when `global` follows;
	 * stack= when declared or when it differs from the derived size (so
	 * that parsing gives the same stack_size back). */
	sb_printf(sb, ".func %s", f->name);
	if (f->nargs != entry_nargs || f->global)
		sb_printf(sb, ", %d", f->nargs);
	if (f->global)
		sb_printf(sb, ", global");
	if (f->stack_declared || f->stack_size != cf_func_derived_stack(f))
		sb_printf(sb, ", stack=%d", f->stack_size);
	sb_printf(sb, "\n");

	/* Layout: slots[pc] = slots of the line starting at pc, 0 inside an
	 * ld_imm64 pair. A jump into the second half of a pair splits it
	 * into two `.insn` lines so that the target gets a label. */
	for (int pc = 0; pc < n;) {
		canonical_insn(text, sizeof(text), p, f, pc, &slots[pc]);
		pc += slots[pc];
	}
	for (int pc = 0; pc < n; pc++) {
		int t;

		if (slots[pc] && jump_target(f, pc, &t)) {
			is_target[t] = true;
			if (!slots[t])
				slots[t - 1] = slots[t] = 1;
		}
	}
	/* User labels with parseable names at line starts (or at the end);
	 * of labels sharing a name, the first. Sorted by name to find those. */
	for (int k = 0; k < f->nlabels; k++) {
		by_name[k].name = f->labels[k].name;
		by_name[k].idx = k;
	}
	qsort(by_name, (size_t)f->nlabels, sizeof(*by_name), cmp_named);
	for (int k = 0; k < f->nlabels; k++) {
		const struct cf_label *l = &f->labels[by_name[k].idx];

		if ((k > 0 && !strcmp(by_name[k - 1].name, l->name)) || !valid_ident(l->name) ||
		    tok_is_reg(&(struct token){ TOK_WORD, l->name, (int)strlen(l->name) }) || l->pos < 0 ||
		    l->pos > n || (l->pos < n && !slots[l->pos]))
			continue;
		printable[by_name[k].idx] = true;
	}
	for (int k = f->nlabels - 1; k >= 0; k--) {
		const struct cf_label *l = &f->labels[k];

		if (!printable[k])
			continue;
		user[nuser++] = l->name;
		next_at[k] = first_at[l->pos];
		first_at[l->pos] = k;
	}
	for (int pc = 0; pc < n; pc++)
		if (first_at[pc] >= 0)
			label[pc] = f->labels[first_at[pc]].name;
	qsort(user, (size_t)nuser, sizeof(*user), cmp_str);
	/* Generated labels `l<pc>`, lengthened with '_' past any user label:
	 * two generated names differ in their digits. */
	for (int pc = 0; pc < n; pc++) {
		const char *key = gen[pc];
		int len;

		if (!is_target[pc] || label[pc])
			continue;
		len = snprintf(gen[pc], sizeof(gen[pc]), "l%d", pc);
		while (bsearch(&key, user, (size_t)nuser, sizeof(*user), cmp_str) && len + 1 < (int)sizeof(gen[pc])) {
			gen[pc][len++] = '_';
			gen[pc][len] = 0;
		}
		label[pc] = gen[pc];
	}

	for (int pc = 0; pc <= n; pc++) {
		const struct bpf_insn *i;
		int t, ns;

		for (int k = first_at[pc]; k >= 0; k = next_at[k])
			sb_printf(sb, "%s:\n", f->labels[k].name);
		if (pc < n && label[pc] == gen[pc])
			sb_printf(sb, "%s:\n", gen[pc]);
		if (pc == n || !slots[pc])
			continue;
		i = &f->insns[pc];
		if (jump_target(f, pc, &t) && pretty_insn(text, sizeof(text), p, i, NULL, NULL) == 1 &&
		    reparses_to(text, p, i, 1))
			pretty_insn(text, sizeof(text), p, i, NULL, label[t]);
		else if (is_cond_or_ja(i) || (slots[pc] == 1 && cf_insn_is_ldimm64(i)))
			raw_slot(text, sizeof(text), i); /* leaves the function / split pair */
		else
			canonical_insn(text, sizeof(text), p, f, pc, &ns);
		sb_printf(sb, "    %s\n", text);
	}
	free(slots);
	free(is_target);
	free(printable);
	free(label);
	free(user);
	free(gen);
	free(by_name);
	free(first_at);
	free(next_at);
}

char *cf_asm_print(const struct cf_prog *p)
{
	struct sbuf sb = { malloc(4096), 0, 4096 };

	if (!sb.s) {
		fprintf(stderr, "callfuzz: out of memory\n");
		abort();
	}
	sb.s[0] = 0;
	if (p->prog_type == CF_PROG_RAW_TP)
		sb_printf(&sb, ".type raw_tracepoint\n%s", p->nmaps ? "" : "\n");
	for (int mi = 0; mi < p->nmaps; mi++) {
		const struct cf_map *m = &p->maps[mi];

		if (m->type == BPF_MAP_TYPE_PROG_ARRAY)
			sb_printf(&sb, ".map %s, prog_array, entries=%u", m->name, m->max_entries);
		else
			sb_printf(&sb, ".map %s, %s, key=%u, value=%u, entries=%u", m->name,
				  m->type == BPF_MAP_TYPE_HASH ? "hash" : "array", m->key_size, m->value_size,
				  m->max_entries);
		if (m->rdonly) {
			/* the bytes up to the last nonzero one, then as text */
			int n = (int)m->value_size;

			while (n > 1 && !m->init[n - 1])
				n--;
			sb_printf(&sb, ", rdonly=");
			for (int b = 0; b < n; b++)
				sb_printf(&sb, "%02x", m->init[b]);
			sb_printf(&sb, "  ; \"");
			for (int b = 0; b < n || (b == n && (uint32_t)n < m->value_size); b++) {
				uint8_t c = m->init[b];

				if (c == '"' || c == '\\')
					sb_printf(&sb, "\\%c", c);
				else if (c >= 0x20 && c < 0x7f)
					sb_printf(&sb, "%c", c);
				else if (c == 0)
					sb_printf(&sb, "\\0");
				else
					sb_printf(&sb, "\\x%02x", c);
			}
			sb_printf(&sb, "\"");
		}
		sb_printf(&sb, "\n");
	}
	if (p->nmaps)
		sb_printf(&sb, "\n");
	for (int fi = 0; fi < p->nfuncs; fi++) {
		if (fi)
			sb_printf(&sb, "\n");
		print_func(&sb, p, fi);
	}
	/* tail-call targets: `.prog` and the prog array entries each fills */
	for (int k = 0; k < p->ntails; k++) {
		const char *sep = " ";

		sb_printf(&sb, "\n.prog");
		for (int mi = 0; mi < p->nmaps; mi++)
			for (uint32_t e = 0; e < p->maps[mi].max_entries; e++)
				if (p->maps[mi].type == BPF_MAP_TYPE_PROG_ARRAY && p->maps[mi].tail_slot[e] == k + 1) {
					sb_printf(&sb, "%s%s[%u]", sep, p->maps[mi].name, e);
					sep = ", ";
				}
		sb_printf(&sb, "\n");
		for (int fi = 0; fi < p->tails[k].nfuncs; fi++) {
			if (fi)
				sb_printf(&sb, "\n");
			print_func(&sb, &p->tails[k], fi);
		}
	}
	return sb.s;
}

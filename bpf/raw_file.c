/* bpf/raw_file.c: the flat program on disk (`callfuzz asm -o FILE.bin`).
 *
 * Layout, every integer little-endian:
 *
 *   offset  size            field
 *   0       8               magic "CFBPF1\0\0"
 *   8       4               nfuncs (1..CF_MAX_FUNCS)
 *   12      4               ninsns (1..CF_MAX_INSNS), slots
 *   16      80 * nfuncs     one record per function, entry first:
 *             +0   64         name, NUL-padded: empty, or an identifier of at
 *                             most 63 bytes ([A-Za-z_$][A-Za-z0-9_.$]*, not a
 *                             register name), unique
 *             +64  4          start: first slot, 0 for the entry, increasing
 *             +68  4          nargs (0..12)
 *             +72  4          flags: bit 0 = BTF_FUNC_GLOBAL (nargs <= 5),
 *                             others zero
 *             +76  4          stack_size in bytes (at most 1 MiB)
 *   ...     8 * ninsns      the insns in the kernel's layout: code, then
 *                           dst_reg in the low and src_reg in the high
 *                           nibble, off (s16), imm (s32); pseudo calls
 *                           relative as in struct cf_raw
 *
 * The file is exactly that long: shorter is "truncated", longer has
 * "trailing bytes". Bare insns (no magic) are read by cf_raw_from_insns.
 */
#include "bpf/bpf.h"

#include <errno.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#define RAW_MAGIC "CFBPF1\0\0"
#define RAW_MAGIC_LEN 8
#define RAW_HEADER 16
#define RAW_FUNC_RECORD 80
#define RAW_FLAG_GLOBAL 1u
#define RAW_STACK_LIMIT (1 << 20)

/* The names the text format can print back (bpf/asm.c, `.func NAME`). */
static bool printable_name(const char *s)
{
	bool reg = (s[0] == 'r' || s[0] == 'w') && s[1];

	if (!s[0])
		return true;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_' || s[0] == '$'))
		return false;
	for (int k = 1; s[k]; k++) {
		char c = s[k];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '$'))
			return false;
		reg &= c >= '0' && c <= '9';
	}
	return !reg;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_insn(uint8_t *p, const struct bpf_insn *i)
{
	p[0] = i->code;
	p[1] = (uint8_t)(i->dst_reg | i->src_reg << 4);
	p[2] = (uint8_t)((uint16_t)i->off);
	p[3] = (uint8_t)((uint16_t)i->off >> 8);
	put_u32(p + 4, (uint32_t)i->imm);
}

static struct bpf_insn get_insn(const uint8_t *p)
{
	return cf_insn(p[0], p[1] & 0xf, p[1] >> 4, (int16_t)(uint16_t)(p[2] | p[3] << 8), (int32_t)get_u32(p + 4));
}

int cf_raw_encode(const struct cf_raw *raw, uint8_t **out, size_t *len, struct cf_err *err)
{
	size_t size;
	uint8_t *buf, *p;

	*out = NULL;
	*len = 0;
	if (raw->nfuncs < 1 || raw->nfuncs > CF_MAX_FUNCS || raw->ninsns < 1 || raw->ninsns > CF_MAX_INSNS) {
		cf_err_set(err, "bytecode: %d functions and %d instructions (expected 1..%d and 1..%d)", raw->nfuncs,
			   raw->ninsns, CF_MAX_FUNCS, CF_MAX_INSNS);
		return -1;
	}
	size = RAW_HEADER + (size_t)raw->nfuncs * RAW_FUNC_RECORD + (size_t)raw->ninsns * 8;
	buf = calloc(1, size);
	if (!buf) {
		cf_err_set(err, "bytecode: out of memory");
		return -1;
	}
	memcpy(buf, RAW_MAGIC, RAW_MAGIC_LEN);
	put_u32(buf + 8, (uint32_t)raw->nfuncs);
	put_u32(buf + 12, (uint32_t)raw->ninsns);
	p = buf + RAW_HEADER;
	for (int i = 0; i < raw->nfuncs; i++, p += RAW_FUNC_RECORD) {
		const struct cf_raw_func *rf = &raw->funcs[i];

		strncpy((char *)p, rf->name, CF_NAME_MAX - 1);
		put_u32(p + 64, (uint32_t)rf->start);
		put_u32(p + 68, (uint32_t)rf->nargs);
		put_u32(p + 72, rf->global ? RAW_FLAG_GLOBAL : 0);
		put_u32(p + 76, (uint32_t)rf->stack_size);
	}
	for (int k = 0; k < raw->ninsns; k++, p += 8)
		put_insn(p, &raw->insns[k]);
	*out = buf;
	*len = size;
	return 0;
}

int cf_raw_decode(const uint8_t *buf, size_t len, struct cf_raw *out, struct cf_err *err)
{
	uint32_t nfuncs, ninsns;
	size_t want;
	const uint8_t *p;

	memset(out, 0, sizeof(*out));
	if (len < RAW_HEADER) {
		if (len >= RAW_MAGIC_LEN && !memcmp(buf, RAW_MAGIC, RAW_MAGIC_LEN))
			cf_err_set(err, "bytecode file truncated: %zu bytes, the header alone takes %d", len, RAW_HEADER);
		else
			cf_err_set(err, "not a callfuzz bytecode file (no \"CFBPF1\" magic; %zu bytes)", len);
		return -1;
	}
	if (memcmp(buf, RAW_MAGIC, RAW_MAGIC_LEN)) {
		cf_err_set(err, "not a callfuzz bytecode file (no \"CFBPF1\" magic)");
		return -1;
	}
	nfuncs = get_u32(buf + 8);
	ninsns = get_u32(buf + 12);
	if (nfuncs < 1 || nfuncs > CF_MAX_FUNCS) {
		cf_err_set(err, "bytecode file: %u functions (expected 1..%d)", nfuncs, CF_MAX_FUNCS);
		return -1;
	}
	if (ninsns < 1 || ninsns > CF_MAX_INSNS) {
		cf_err_set(err, "bytecode file: %u instructions (expected 1..%d)", ninsns, CF_MAX_INSNS);
		return -1;
	}
	want = RAW_HEADER + (size_t)nfuncs * RAW_FUNC_RECORD + (size_t)ninsns * 8;
	if (len < want) {
		cf_err_set(err, "bytecode file truncated: %zu bytes, %u functions and %u instructions need %zu", len,
			   nfuncs, ninsns, want);
		return -1;
	}
	if (len > want) {
		cf_err_set(err, "bytecode file has %zu trailing bytes after %u instructions", len - want, ninsns);
		return -1;
	}
	out->funcs = calloc(nfuncs, sizeof(*out->funcs));
	out->insns = calloc(ninsns, sizeof(*out->insns));
	if (!out->funcs || !out->insns) {
		cf_raw_free(out);
		cf_err_set(err, "bytecode file: out of memory");
		return -1;
	}
	out->nfuncs = (int)nfuncs;
	out->ninsns = (int)ninsns;
	p = buf + RAW_HEADER;
	for (uint32_t i = 0; i < nfuncs; i++, p += RAW_FUNC_RECORD) {
		struct cf_raw_func *rf = &out->funcs[i];
		uint32_t start = get_u32(p + 64), nargs = get_u32(p + 68), flags = get_u32(p + 72);
		uint32_t stack = get_u32(p + 76);

		if (memchr(p, 0, CF_NAME_MAX) == NULL) {
			cf_err_set(err, "bytecode file: function %u: name is not NUL-terminated", i);
			goto fail;
		}
		memcpy(rf->name, p, CF_NAME_MAX);
		if (!printable_name(rf->name)) {
			cf_err_set(err, "bytecode file: function %u: name is not an identifier", i);
			goto fail;
		}
		for (uint32_t j = 0; j < i && rf->name[0]; j++) {
			if (!strcmp(out->funcs[j].name, rf->name)) {
				cf_err_set(err, "bytecode file: functions %u and %u are both named '%s'", j, i, rf->name);
				goto fail;
			}
		}
		if (i == 0 ? start != 0 : (start <= (uint32_t)out->funcs[i - 1].start || start >= ninsns)) {
			cf_err_set(err, "bytecode file: function %u starts at slot %u (expected %s)", i, start,
				   i == 0 ? "0" : "after the previous function, inside the program");
			goto fail;
		}
		if (nargs > CF_MAX_ARGS) {
			cf_err_set(err, "bytecode file: function %u takes %u arguments (expected 0..%d)", i, nargs,
				   CF_MAX_ARGS);
			goto fail;
		}
		if (flags & ~RAW_FLAG_GLOBAL) {
			cf_err_set(err, "bytecode file: function %u has unknown flags 0x%x", i, flags);
			goto fail;
		}
		/* stack-args.md: global functions keep the 5-register ABI */
		if ((flags & RAW_FLAG_GLOBAL) && nargs > CF_MAX_REG_ARGS) {
			cf_err_set(err, "bytecode file: global function %u takes %u arguments (at most %d)", i, nargs,
				   CF_MAX_REG_ARGS);
			goto fail;
		}
		if (stack > RAW_STACK_LIMIT) {
			cf_err_set(err, "bytecode file: function %u uses %u bytes of stack (at most %d)", i, stack,
				   RAW_STACK_LIMIT);
			goto fail;
		}
		rf->start = (int)start;
		rf->nargs = (int)nargs;
		rf->global = flags & RAW_FLAG_GLOBAL;
		rf->stack_size = (int)stack;
	}
	for (uint32_t k = 0; k < ninsns; k++, p += 8)
		out->insns[k] = get_insn(p);
	return 0;
fail:
	cf_raw_free(out);
	return -1;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int cf_raw_from_insns(const uint8_t *buf, size_t len, struct cf_raw *out, struct cf_err *err)
{
	int n, nstarts = 1, *starts;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len % 8) {
		cf_err_set(err, "bare bytecode: %zu bytes is not a positive multiple of 8 (struct bpf_insn)", len);
		return -1;
	}
	if (len / 8 > CF_MAX_INSNS) {
		cf_err_set(err, "bare bytecode: %zu instructions (at most %d)", len / 8, CF_MAX_INSNS);
		return -1;
	}
	n = (int)(len / 8);
	out->insns = calloc((size_t)n, sizeof(*out->insns));
	starts = calloc((size_t)n + 1, sizeof(*starts));
	if (!out->insns || !starts) {
		free(starts);
		cf_raw_free(out);
		cf_err_set(err, "bare bytecode: out of memory");
		return -1;
	}
	out->ninsns = n;
	for (int k = 0; k < n; k++)
		out->insns[k] = get_insn(buf + 8 * k);
	/* functions start at 0, at every pseudo-call target and at every
	 * function whose address an ldimm64 takes (BPF_PSEUDO_FUNC) */
	starts[0] = 0;
	for (int pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &out->insns[pc];

		if (cf_insn_is_ldimm64(i) && !cf_insn_is_pseudo_func(i)) {
			pc++;
			continue;
		}
		if (cf_insn_refs_func(i)) {
			long target = (long)pc + 1 + i->imm;

			if (target < 0 || target >= n) {
				cf_err_set(err, "bare bytecode insn %d: call target %ld is outside the program (0..%d)", pc,
					   target, n - 1);
				goto fail;
			}
			starts[nstarts++] = (int)target;
		}
		if (cf_insn_is_ldimm64(i))
			pc++;
	}
	qsort(starts, (size_t)nstarts, sizeof(*starts), cmp_int);
	{
		int u = 0;

		for (int k = 0; k < nstarts; k++)
			if (k == 0 || starts[k] != starts[u - 1])
				starts[u++] = starts[k];
		nstarts = u;
	}
	if (nstarts > CF_MAX_FUNCS) {
		cf_err_set(err, "bare bytecode: %d functions (at most %d)", nstarts, CF_MAX_FUNCS);
		goto fail;
	}
	out->funcs = calloc((size_t)nstarts, sizeof(*out->funcs));
	if (!out->funcs) {
		cf_err_set(err, "bare bytecode: out of memory");
		goto fail;
	}
	out->nfuncs = nstarts;
	for (int f = 0; f < nstarts; f++) {
		int end = f + 1 < nstarts ? starts[f + 1] : n, deepest = 0;

		/* stack-args.md: incoming arg 6 + k is read at r11 + 8 * (k + 1) */
		for (int pc = starts[f]; pc < end; pc++) {
			const struct bpf_insn *i = &out->insns[pc];

			if (cf_insn_is_ldimm64(i)) {
				pc++;
				continue;
			}
			if (BPF_CLASS(i->code) == BPF_LDX && i->src_reg == BPF_REG_PARAMS && i->off > 0 &&
			    i->off / 8 > deepest)
				deepest = i->off / 8;
		}
		out->funcs[f].start = starts[f];
		if (deepest)
			out->funcs[f].nargs = CF_MAX_REG_ARGS + deepest > CF_MAX_ARGS ? CF_MAX_ARGS :
											   CF_MAX_REG_ARGS + deepest;
		else
			out->funcs[f].nargs = f == 0 ? 1 : CF_MAX_REG_ARGS;
	}
	free(starts);
	return 0;
fail:
	free(starts);
	cf_raw_free(out);
	return -1;
}

char *cf_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > (size_t)256 << 20) {
				snprintf(err, errlen, "%s: larger than 256 MiB", path);
				free(buf);
				buf = NULL;
				break;
			}
			char *nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = 0;
		if (len)
			*len = n;
	}
	return buf;
}

int cf_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

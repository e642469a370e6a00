/* harness/cover/cover.c: KCOV PCs -> libFuzzer counters, and -> lines of
 * the kernel's source (cover.h). */
#define _GNU_SOURCE
#include "harness/cover/cover.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- feedback ------------------------------------------------------------ */

size_t cover_slot(uint64_t pc, size_t nslots)
{
	/* Fibonacci hashing: the top bits of pc * 2^64/phi. Call sites are 4
	 * (arm64) or ~5-10 (x86) bytes apart; the top bits of the product
	 * spread them (its middle bits do not: tests/cover/fold.c). */
	uint64_t h = pc * 0x9e3779b97f4a7c15ull;
	int bits = nslots > 1 ? __builtin_ctzll((unsigned long long)nslots) : 0;

	return bits ? (size_t)(h >> (64 - bits)) : 0;
}

void cover_fold(const uint64_t *pcs, const uint32_t *hits, size_t n, uint8_t *counters, size_t nslots)
{
	for (size_t i = 0; i < n; i++) {
		size_t s = cover_slot(pcs[i], nslots);
		uint32_t v = counters[s] + (hits ? hits[i] : 1);

		counters[s] = (uint8_t)(v > 255 ? 255 : v);
	}
}

/* ---- PC sets ---------------------------------------------------------------- */

int cover_pcs_add(struct cover_pcs *s, const uint64_t *pcs, size_t n)
{
	if (s->n + n > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;
		uint64_t *p;

		while (cap < s->n + n)
			cap *= 2;
		p = realloc(s->pc, cap * sizeof(*p));
		if (!p)
			return -1;
		s->pc = p;
		s->cap = cap;
	}
	memcpy(s->pc + s->n, pcs, n * sizeof(*pcs));
	s->n += n;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void cover_pcs_sort(struct cover_pcs *s)
{
	size_t j = 0;

	if (!s->n)
		return;
	qsort(s->pc, s->n, sizeof(*s->pc), cmp_u64);
	for (size_t i = 1; i < s->n; i++)
		if (s->pc[i] != s->pc[j])
			s->pc[++j] = s->pc[i];
	s->n = j + 1;
}

bool cover_pcs_has(const struct cover_pcs *s, uint64_t pc)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->pc[mid] < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->pc[lo] == pc;
}

void cover_pcs_free(struct cover_pcs *s)
{
	free(s->pc);
	memset(s, 0, sizeof(*s));
}

int cover_pcs_read(struct cover_pcs *s, const char *path, struct cf_err *err)
{
	FILE *f = fopen(path, "r");
	char line[128];
	int lineno = 0;

	if (!f) {
		cf_err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		uint64_t pc;

		lineno++;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		errno = 0;
		pc = strtoull(p, &end, 16);
		if (errno || end == p || (*end && !isspace((unsigned char)*end))) {
			cf_err_set(err, "%s:%d: not a hex PC: %.40s", path, lineno, p);
			fclose(f);
			return -1;
		}
		if (cover_pcs_add(s, &pc, 1) < 0) {
			cf_err_set(err, "out of memory");
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int cover_pcs_write(const struct cover_pcs *s, FILE *out)
{
	for (size_t i = 0; i < s->n; i++)
		fprintf(out, "0x%016" PRIx64 "\n", s->pc[i]);
	return ferror(out) ? -1 : 0;
}

/* ---- call sites ---------------------------------------------------------------- */

static int sites_push(struct cover_sites *s, uint64_t call, uint64_t pc)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		struct cover_site *n = realloc(s->s, cap * sizeof(*n));

		if (!n)
			return -1;
		s->s = n;
		s->cap = cap;
	}
	s->s[s->n++] = (struct cover_site){ .pc = pc, .call = call };
	return 0;
}

/* "  ffff800080012345:\tbl\t..." -> address and the text after the colon;
 * false for anything else (headers "ADDR <sym>:", blank lines, titles). */
static bool insn_line(const char *line, uint64_t *addr, const char **rest)
{
	const char *p = line;
	char *end;

	while (*p == ' ')
		p++;
	if (!isxdigit((unsigned char)*p))
		return false;
	*addr = strtoull(p, &end, 16);
	if (*end != ':' || (end[1] != '\t' && end[1] != ' '))
		return false;
	*rest = end + 1;
	return true;
}

int cover_parse_objdump(FILE *in, struct cover_sites *out, struct cf_err *err)
{
	char *line = NULL;
	size_t cap = 0;
	bool pending = false;
	uint64_t call = 0;

	while (getline(&line, &cap, in) > 0) {
		uint64_t addr;
		const char *rest, *m;

		if (!insn_line(line, &addr, &rest))
			continue;
		if (pending) {
			/* the instruction after the call: its address is the
			 * return address that KCOV records */
			if (sites_push(out, call, addr) < 0)
				goto oom;
			pending = false;
		}
		if (!strstr(rest, "<__sanitizer_cov_trace_pc>"))
			continue;
		for (m = rest; *m == ' ' || *m == '\t'; m++)
			;
		/* arm64 bl; x86-64 call (callq in older binutils) */
		if (!strncmp(m, "bl", 2) && (m[2] == '\t' || m[2] == ' '))
			pending = true;
		else if (!strncmp(m, "call", 4))
			pending = true;
		call = addr;
	}
	free(line);
	return 0;
oom:
	free(line);
	cf_err_set(err, "out of memory");
	return -1;
}

static char *take_line(const char **p)
{
	const char *s = *p, *e;

	if (!*s)
		return NULL;
	e = strchr(s, '\n');
	if (!e)
		e = s + strlen(s);
	*p = *e ? e + 1 : e;
	return strndup(s, (size_t)(e - s));
}

int cover_parse_addr2line(const char *text, struct cover_sites *sites, struct cf_err *err)
{
	const char *p = text;

	for (size_t i = 0; i < sites->n; i++) {
		struct cover_site *s = &sites->s[i];
		char *func = take_line(&p), *loc = take_line(&p), *colon, *disc;

		if (!func || !loc) {
			free(func);
			free(loc);
			cf_err_set(err, "addr2line answered %zu of %zu addresses", i, sites->n);
			return -1;
		}
		disc = strstr(loc, " (discriminator");
		if (disc)
			*disc = 0;
		colon = strrchr(loc, ':');
		s->line = 0;
		if (colon) {
			*colon = 0;
			s->line = isdigit((unsigned char)colon[1]) ? atoi(colon + 1) : 0;
		}
		free(s->func);
		free(s->file);
		s->func = func;
		s->file = loc;
	}
	return 0;
}

static const char *triple(const char *arch)
{
	return !strcmp(arch, "x86_64") ? "x86_64-linux-gnu" : "aarch64-linux-gnu";
}

/* The first of the candidates found in PATH, in buf. */
static const char *tool(char *buf, size_t size, const char *a, const char *b)
{
	const char *cand[2] = { a, b };
	const char *path = getenv("PATH");

	for (int i = 0; i < 2; i++) {
		const char *p = path ? path : "/usr/bin:/bin";

		while (*p) {
			const char *e = strchr(p, ':');
			size_t n = e ? (size_t)(e - p) : strlen(p);

			snprintf(buf, size, "%.*s/%s", (int)n, p, cand[i]);
			if (access(buf, X_OK) == 0)
				return buf;
			p += n + (e ? 1 : 0);
		}
	}
	return NULL;
}

/* 'path' with ' escaped, for sh -c */
static void shell_quote(char *buf, size_t size, const char *s)
{
	size_t o = 0;

	if (size < 3)
		return;
	buf[o++] = '\'';
	for (; *s && o + 6 < size; s++) {
		if (*s == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o++] = '\'';
	buf[o] = 0;
}

static int cmp_site(const void *a, const void *b)
{
	const struct cover_site *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

int cover_sites_load(const char *vmlinux, const char *arch, struct cover_sites *out, struct cf_err *err)
{
	char objdump[512], addr2line[512], a[128], b[128], qv[1200], qt[600], cmd[3000];
	char tmp[] = "/tmp/callfuzz-cover.XXXXXX";
	FILE *f;
	char *text = NULL;
	size_t len = 0, got;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->arch, sizeof(out->arch), "%s", arch);
	if (access(vmlinux, R_OK)) {
		cf_err_set(err, "%s: %s (a kernel-tree.sh build has it beside arch/)", vmlinux, strerror(errno));
		return -1;
	}
	snprintf(a, sizeof(a), "%s-objdump", triple(arch));
	if (!tool(objdump, sizeof(objdump), a, "llvm-objdump")) {
		cf_err_set(err, "no %s or llvm-objdump in PATH (binutils-%s or llvm)", a, triple(arch));
		return -1;
	}
	snprintf(a, sizeof(a), "%s-addr2line", triple(arch));
	snprintf(b, sizeof(b), "llvm-addr2line");
	if (!tool(addr2line, sizeof(addr2line), a, b)) {
		cf_err_set(err, "no %s or llvm-addr2line in PATH", a);
		return -1;
	}
	shell_quote(qv, sizeof(qv), vmlinux);
	snprintf(cmd, sizeof(cmd), "%s -d --no-show-raw-insn %s", objdump, qv);
	f = popen(cmd, "r");
	if (!f) {
		cf_err_set(err, "%s: %s", cmd, strerror(errno));
		return -1;
	}
	rc = cover_parse_objdump(f, out, err);
	if (pclose(f) != 0 && rc == 0) {
		cf_err_set(err, "%s failed", cmd);
		rc = -1;
	}
	if (rc < 0)
		goto fail;
	if (!out->n) {
		cf_err_set(err, "%s has no call of __sanitizer_cov_trace_pc: not a KCOV kernel "
				"(harness/target/kernel-tree.sh --kcov)", vmlinux);
		goto fail;
	}
	qsort(out->s, out->n, sizeof(*out->s), cmp_site);
	/* one addr2line for every site: the addresses in a file on stdin */
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		cf_err_set(err, "temporary file: %s", strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < out->n; i++)
		fprintf(f, "0x%" PRIx64 "\n", out->s[i].call);
	fclose(f);
	shell_quote(qt, sizeof(qt), tmp);
	snprintf(cmd, sizeof(cmd), "%s -f -e %s < %s", addr2line, qv, qt);
	f = popen(cmd, "r");
	if (!f) {
		cf_err_set(err, "%s: %s", cmd, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	{
		size_t cap = 1 << 20;

		text = malloc(cap + 1);
		while (text && (got = fread(text + len, 1, cap - len, f)) > 0) {
			len += got;
			if (len == cap) {
				char *n = realloc(text, cap * 2 + 1);

				if (!n) {
					free(text);
					text = NULL;
					break;
				}
				text = n;
				cap *= 2;
			}
		}
	}
	rc = pclose(f);
	unlink(tmp);
	if (!text) {
		cf_err_set(err, "out of memory");
		goto fail;
	}
	text[len] = 0;
	if (rc != 0) {
		cf_err_set(err, "%s failed", cmd);
		goto fail;
	}
	if (cover_parse_addr2line(text, out, err) < 0)
		goto fail;
	free(text);
	return 0;
fail:
	free(text);
	cover_sites_free(out);
	return -1;
}

void cover_sites_free(struct cover_sites *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->s[i].func);
		free(s->s[i].file);
	}
	free(s->s);
	memset(s, 0, sizeof(*s));
}

const struct cover_site *cover_site_find(const struct cover_sites *s, uint64_t pc)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->s[mid].pc < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->s[lo].pc == pc ? &s->s[lo] : NULL;
}

/* ---- reports ------------------------------------------------------------------ */

static bool path_ends_with(const char *path, const char *suffix)
{
	size_t n, m = strlen(suffix);

	if (!path)
		return false;
	n = strlen(path);
	if (n < m || strcmp(path + n - m, suffix))
		return false;
	return n == m || path[n - m - 1] == '/';
}

struct line_site {
	const char *func;
	int line;
	bool reached;
};

static int cmp_line_site(const void *a, const void *b)
{
	const struct line_site *x = a, *y = b;
	int c = strcmp(x->func, y->func);

	return c ? c : x->line - y->line;
}

static int cmp_line_only(const void *a, const void *b)
{
	const struct line_site *x = a, *y = b;

	return x->line - y->line;
}

/* The file's sites as (func, line, reached), sorted by func then line. */
static struct line_site *file_sites(const struct cover_sites *s, const struct cover_pcs *reached, const char *suffix,
				    size_t *n, const char **path)
{
	struct line_site *ls = malloc((s->n + 1) * sizeof(*ls));
	size_t k = 0;

	*path = NULL;
	if (!ls)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->s[i].file || !path_ends_with(s->s[i].file, suffix) || !s->s[i].line)
			continue;
		*path = s->s[i].file;
		ls[k++] = (struct line_site){ s->s[i].func ? s->s[i].func : "??", s->s[i].line,
					      reached && cover_pcs_has(reached, s->s[i].pc) };
	}
	qsort(ls, k, sizeof(*ls), cmp_line_site);
	*n = k;
	return ls;
}

/* Distinct lines of ls[0..n) (any order) and how many were reached. */
static void count_lines(struct line_site *ls, size_t n, int *lines, int *reached)
{
	struct line_site *c = malloc((n + 1) * sizeof(*c));

	*lines = *reached = 0;
	if (!c)
		return;
	memcpy(c, ls, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_line_only);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		bool r = false;

		while (j < n && c[j].line == c[i].line)
			r |= c[j++].reached;
		(*lines)++;
		*reached += r;
		i = j;
	}
	free(c);
}

void cover_file_stats(const struct cover_sites *s, const struct cover_pcs *reached, const char *suffix,
		      struct cover_file_stats *st)
{
	const char *path;
	size_t n;
	struct line_site *ls = file_sites(s, reached, suffix, &n, &path);

	memset(st, 0, sizeof(*st));
	if (!ls)
		return;
	st->sites = (int)n;
	for (size_t i = 0; i < n; i++)
		st->sites_reached += ls[i].reached;
	count_lines(ls, n, &st->lines, &st->lines_reached);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		bool r = false;

		while (j < n && !strcmp(ls[j].func, ls[i].func))
			r |= ls[j++].reached;
		st->funcs++;
		st->funcs_reached += r;
		i = j;
	}
	free(ls);
}

static FILE *open_source(const char *path, const char *suffix, const char *src_root)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	char buf[4096];

	if (!f && src_root) {
		snprintf(buf, sizeof(buf), "%s/%s", src_root, suffix);
		f = fopen(buf, "r");
	}
	return f;
}

/* Source lines [from, to] of f, each marked: '+' an instrumented line
 * reached, '-' one never reached, ' ' none. */
static void print_listing(FILE *out, FILE *src, const struct line_site *ls, size_t n, int from, int to)
{
	char *line = NULL;
	size_t cap = 0;
	int no = 0;
	size_t k = 0;

	rewind(src);
	while (getline(&line, &cap, src) > 0 && ++no <= to) {
		char mark = ' ';

		if (no < from)
			continue;
		while (k < n && ls[k].line < no)
			k++;
		for (size_t j = k; j < n && ls[j].line == no; j++)
			mark = ls[j].reached ? '+' : (mark == '+' ? '+' : '-');
		fprintf(out, "  %c %5d | %s", mark, no, line);
		if (!strchr(line, '\n'))
			fputc('\n', out);
	}
	free(line);
}

void cover_report_file(FILE *out, const struct cover_sites *s, const struct cover_pcs *reached, const char *suffix,
		       bool functions, bool listing, const char *src_root)
{
	const char *path;
	size_t n;
	struct line_site *ls = file_sites(s, reached, suffix, &n, &path);
	struct cover_file_stats st;
	FILE *src = NULL;

	cover_file_stats(s, reached, suffix, &st);
	if (!ls || !n) {
		fprintf(out, "%s: no instrumented line in this vmlinux\n", suffix);
		free(ls);
		return;
	}
	fprintf(out, "%s: %d/%d lines reached (%.1f%%), %d/%d functions, %d/%d call sites\n", suffix,
		st.lines_reached, st.lines, st.lines ? 100.0 * st.lines_reached / st.lines : 0.0, st.funcs_reached,
		st.funcs, st.sites_reached, st.sites);
	if (functions) {
		fprintf(out, "  %-40s %s\n", "function", "lines reached/instrumented");
		for (size_t i = 0; i < n;) {
			size_t j = i;
			int lines, r;

			while (j < n && !strcmp(ls[j].func, ls[i].func))
				j++;
			count_lines(&ls[i], j - i, &lines, &r);
			fprintf(out, "  %-40s %4d/%-4d%s\n", ls[i].func, r, lines, r ? "" : "  never");
			i = j;
		}
	}
	if (listing) {
		src = open_source(path, suffix, src_root);
		if (!src)
			fprintf(out, "(no source at %s%s%s: no listing)\n", path, src_root ? " or under " : "",
				src_root ? src_root : "");
	}
	if (src) {
		/* sorted by line for the listing of one function */
		for (size_t i = 0; i < n;) {
			size_t j = i;
			bool r = false;

			while (j < n && !strcmp(ls[j].func, ls[i].func))
				r |= ls[j++].reached;
			if (!r) {
				fprintf(out, "\n--- %s, never reached (lines %d-%d; - instrumented) ---\n", ls[i].func,
					ls[i].line, ls[j - 1].line);
				print_listing(out, src, &ls[i], j - i, ls[i].line, ls[j - 1].line);
			}
			i = j;
		}
		fclose(src);
	}
	free(ls);
}

const char *cover_jit_file(const char *arch)
{
	return arch && !strcmp(arch, "x86_64") ? "arch/x86/net/bpf_jit_comp.c" : "arch/arm64/net/bpf_jit_comp.c";
}

const char *cover_vmlinux_of(const char *image, char *buf, size_t size)
{
	const char *arch = image ? strstr(image, "/arch/") : NULL;
	const char *last = NULL;

	/* the last "/arch/" of the path: OUT/arch/ARCH/boot/IMAGE */
	while (arch) {
		last = arch;
		arch = strstr(arch + 1, "/arch/");
	}
	if (!last || !strstr(last, "/boot/"))
		return NULL;
	snprintf(buf, size, "%.*s/vmlinux", (int)(last - image), image);
	return access(buf, R_OK) == 0 ? buf : NULL;
}

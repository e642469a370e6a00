/* harness/target/known_bugs.c: known kernel bugs as data.
 *
 * Every folder of docs/kernel-bugs/ is one bug, written down once: its
 * report (README.md), its reproducer, its fix, and a known.conf that this
 * file reads (docs/kernel-bugs/README.md gives the format):
 *
 *   signature  = VERIFIER-known-stack-liveness   the bucket its cases go to
 *   kind       = VERIFIER                        mismatch_kind_name(); several,
 *                                                comma-separated (VERIFIER, REPORT:
 *                                                a bug that also WARNs where the
 *                                                kernel has CONFIG_BUG)
 *   pattern    = slot poisoned by dead code elimination
 *   seen       = 7.2.13 arm64, 7.2.13 x86_64     free text, for reports
 *   reproducer = repro.s                         relative to the folder
 *   shape      = interp-tail-call-deeper-frame   optional: a predicate on the
 *                                                case's program and voice
 *                                                (shapes[] below), for a bug
 *                                                whose difference has no text
 *                                                of its own (a crash anywhere, a
 *                                                wrong result); pattern is then
 *                                                optional, and both must hold
 *
 * A bug is known to a run only when the booted kernel shows it: at boot
 * known_bugs_probe() runs every reproducer through the oracle, and only
 * the bugs whose reproducer gives the pattern count. A fixed kernel thus
 * gets no suppression, and a bug coming back in a kernel that had it fixed
 * is reported as new only if its reproducer no longer shows it there. */
#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "harness/target/target.h"

const char *known_bugs_default_dir(char *buf, size_t size)
{
	/* build/callfuzz -> docs/kernel-bugs of the same tree */
	snprintf(buf, size, "%s/../docs/kernel-bugs", target_self_dir());
	return buf;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* ---- shapes: what a program must look like to be an instance of a bug -- */

/* The kernel interpreter's frame for a program whose stack depth is depth:
 * bpf_prog_select_interpreter (kernel/bpf/core.c) picks __bpf_prog_run<N>
 * with N = round_up(max(depth, 1), 32). */
static int interp_frame(int depth)
{
	if (depth < 1)
		depth = 1;
	return (depth + 31) & ~31;
}

/* docs/kernel-bugs/interp-tail-call-frame: the kernel's interpreter runs
 * every tail call target in the frame of the program that tail called
 * (___bpf_prog_run, JMP_TAIL_CALL), sized for that program only. The case
 * is the interpreter's, its program tail calls, and some target reaches
 * below that frame: its deepest direct r10 access (a lower bound of the
 * kernel's stack_depth for it) is past the frame of main's stack size
 * (declared, which is at least the kernel's; else derived the same way).
 * Targets tail call each other in the same frame: every target counts. */
static bool prog_interp_tail_call_deeper_frame(const struct cf_prog *p)
{
	bool tail_calls = false;
	int frame, deepest = 0;

	if (!p || !p->nfuncs)
		return false;
	for (int i = 0; i < p->nfuncs && !tail_calls; i++)
		tail_calls = cf_func_has_tail_call(&p->funcs[i]);
	if (!tail_calls)
		return false;
	frame = interp_frame(p->funcs[0].stack_size);
	for (int k = 0; k < p->ntails; k++)
		for (int i = 0; i < p->tails[k].nfuncs; i++) {
			int d = cf_func_derived_stack(&p->tails[k].funcs[i]);

			if (d > deepest)
				deepest = d;
		}
	return deepest > frame;
}

static bool shape_interp_tail_call_deeper_frame(const struct target_case *c)
{
	return c->mvoice >= 0 && c->voice[c->mvoice].kind == TARGET_VOICE_KERNEL_INTERP &&
	       prog_interp_tail_call_deeper_frame(c->prog);
}

/* holds: the case is an instance; prog_holds: the program alone could be
 * one (whatever the voices say), which decides when to probe */
static const struct {
	const char *name;
	bool (*holds)(const struct target_case *c);
	bool (*prog_holds)(const struct cf_prog *p);
} shapes[] = {
	{ "interp-tail-call-deeper-frame", shape_interp_tail_call_deeper_frame, prog_interp_tail_call_deeper_frame },
};

static int find_shape(const char *name)
{
	for (int i = 0; i < (int)(sizeof(shapes) / sizeof(shapes[0])); i++)
		if (!strcmp(shapes[i].name, name))
			return i;
	return -1;
}

bool known_bugs_shape_holds(const char *shape, const struct target_case *c)
{
	int i = find_shape(shape);

	return i >= 0 && shapes[i].holds(c);
}

static int parse_kind(const char *name, enum mismatch_kind *kind)
{
	for (int k = MISMATCH_NONE + 1; k <= MISMATCH_REPORT; k++) {
		if (!strcmp(name, mismatch_kind_name((enum mismatch_kind)k))) {
			*kind = (enum mismatch_kind)k;
			return 0;
		}
	}
	return -1;
}

/* "VERIFIER" or "VERIFIER, REPORT" into b->kinds. */
static int parse_kinds(char *list, struct known_bug *b)
{
	char *save = NULL;

	b->kinds = 0;
	for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		enum mismatch_kind kind;

		if (parse_kind(trim(k), &kind) < 0)
			return -1;
		b->kinds |= 1u << kind;
	}
	return b->kinds ? 0 : -1;
}

/* One known.conf: `key = value` lines, `#` comments, every key once. */
static int parse_conf(const char *path, const char *folder, struct known_bug *b, struct cf_err *err)
{
	char rerr[256];
	size_t len;
	char *text = cf_read_file(path, &len, rerr, sizeof(rerr));
	char *line, *save = NULL;
	int lineno = 0;
	bool have_kind = false;

	if (!text) {
		cf_err_set(err, "%s", rerr);
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq, *key, *val, *dst = NULL;
		size_t dsize = 0;

		lineno++;
		key = trim(line);
		if (!*key || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			cf_err_set(err, "%s:%d: expected `key = value`", path, lineno);
			goto fail;
		}
		*eq = 0;
		key = trim(key);
		val = trim(eq + 1);
		if (!strcmp(key, "signature")) {
			dst = b->signature, dsize = sizeof(b->signature);
		} else if (!strcmp(key, "pattern")) {
			dst = b->pattern, dsize = sizeof(b->pattern);
		} else if (!strcmp(key, "seen")) {
			dst = b->seen, dsize = sizeof(b->seen);
		} else if (!strcmp(key, "shape")) {
			if (find_shape(val) < 0) {
				cf_err_set(err, "%s:%d: unknown shape '%s' (harness/target/known_bugs.c shapes[])",
					   path, lineno, val);
				goto fail;
			}
			dst = b->shape, dsize = sizeof(b->shape);
		} else if (!strcmp(key, "reproducer")) {
			if (snprintf(b->reproducer, sizeof(b->reproducer), "%s/%s", folder, val) >=
			    (int)sizeof(b->reproducer)) {
				cf_err_set(err, "%s:%d: reproducer path too long", path, lineno);
				goto fail;
			}
			continue;
		} else if (!strcmp(key, "kind")) {
			char kinds[128];

			snprintf(kinds, sizeof(kinds), "%s", val);
			if (parse_kinds(kinds, b) < 0) {
				cf_err_set(err, "%s:%d: kind '%s' is not a mismatch kind (VERIFIER, KERNEL, ...)",
					   path, lineno, val);
				goto fail;
			}
			have_kind = true;
			continue;
		} else {
			cf_err_set(err, "%s:%d: unknown key '%s' (signature, kind, pattern, shape, seen, reproducer)",
				   path, lineno, key);
			goto fail;
		}
		if (snprintf(dst, dsize, "%s", val) >= (int)dsize) {
			cf_err_set(err, "%s:%d: %s longer than %zu bytes", path, lineno, key, dsize - 1);
			goto fail;
		}
	}
	free(text);
	if (!b->signature[0] || (!b->pattern[0] && !b->shape[0]) || !b->reproducer[0] || !have_kind) {
		cf_err_set(err, "%s: signature, kind, pattern (or shape) and reproducer are required", path);
		return -1;
	}
	return 0;
fail:
	free(text);
	return -1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct known_bug *)a)->name, ((const struct known_bug *)b)->name);
}

int known_bugs_load(struct known_bugs *kb, const char *dir, struct cf_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	memset(kb, 0, sizeof(*kb));
	if (!d) /* no catalogue (an installed binary without the tree): nothing known */
		return errno == ENOENT ? 0 : (cf_err_set(err, "%s: %s", dir, strerror(errno)), -1);
	while ((e = readdir(d))) {
		char folder[PATH_MAX], conf[PATH_MAX + 16];
		struct known_bug *b, *grown;

		if (e->d_name[0] == '.')
			continue;
		snprintf(folder, sizeof(folder), "%s/%s", dir, e->d_name);
		snprintf(conf, sizeof(conf), "%s/known.conf", folder);
		if (access(conf, F_OK) < 0)
			continue; /* a folder without known.conf is not (yet) in the catalogue */
		grown = realloc(kb->bugs, (size_t)(kb->n + 1) * sizeof(*kb->bugs));
		if (!grown) {
			cf_err_set(err, "out of memory");
			goto fail;
		}
		kb->bugs = grown;
		b = &kb->bugs[kb->n];
		memset(b, 0, sizeof(*b));
		if (strlen(e->d_name) >= sizeof(b->name)) {
			cf_err_set(err, "%s: folder name longer than %zu bytes", folder, sizeof(b->name) - 1);
			goto fail;
		}
		memcpy(b->name, e->d_name, strlen(e->d_name) + 1);
		if (parse_conf(conf, folder, b, err) < 0)
			goto fail;
		kb->n++;
	}
	closedir(d);
	qsort(kb->bugs, (size_t)kb->n, sizeof(*kb->bugs), cmp_names);
	return 0;
fail:
	closedir(d);
	known_bugs_free(kb);
	return -1;
}

/* The pattern is in the case's texts. */
static bool case_has_pattern(const struct known_bug *b, const struct target_case *c)
{
	/* the place holds the log's reason line; 7.3 puts a listing and a
	 * "Suggestion:" after the message, so the whole log is searched too;
	 * a REPORT's place is the kernel's report, its verifier log may hold
	 * the pattern */
	return strstr(c->m.place, b->pattern) || (c->kernel_log && strstr(c->kernel_log, b->pattern)) ||
	       (c->report.text && strstr(c->report.text, b->pattern));
}

/* The kernel voices' differences only: the model voice is our JIT. */
static bool case_shows(const struct known_bug *b, const struct target_case *c)
{
	if (!(b->kinds & (1u << c->m.kind)) || (c->mvoice >= 0 && c->voice[c->mvoice].kind == TARGET_VOICE_MODEL_JIT))
		return false;
	if (b->shape[0] && !known_bugs_shape_holds(b->shape, c))
		return false;
	if (!b->pattern[0])
		return true; /* the shape alone (parse_conf wants one of them) */
	return case_has_pattern(b, c);
}

/* Runs b's reproducer on t: probed, shown and what it gave. -1 only for
 * a reproducer that does not parse (the catalogue's bug) or a target
 * error. */
static int probe_one(struct known_bug *b, struct target *t, struct cf_err *err)
{
	char rerr[256];
	struct cf_prog prog;
	struct target_case c;
	size_t len;
	char *text;

	b->probed = true; /* first: target_run_send must not probe it again */
	b->shown = false;
	b->probe[0] = 0;
	text = cf_read_file(b->reproducer, &len, rerr, sizeof(rerr));
	if (!text) {
		snprintf(b->probe, sizeof(b->probe), "reproducer unreadable: %.200s", rerr);
		return 0;
	}
	if (cf_asm_parse(text, len, b->reproducer, &prog, err) < 0) {
		free(text);
		return -1; /* a catalogue entry that does not parse is our bug */
	}
	free(text);
	cf_prog_derive_stack(&prog);
	memset(&c, 0, sizeof(c));
	c.prog = &prog;
	if (target_run(t, &c, 1, err) < 0) {
		cf_prog_free(&prog);
		return -1;
	}
	b->shown = case_shows(b, &c);
	snprintf(b->probe, sizeof(b->probe), "%s", c.m.kind == MISMATCH_NONE ? "no difference" : c.m.place);
	target_case_release(&c);
	cf_prog_free(&prog);
	return 0;
}

int known_bugs_probe(struct known_bugs *kb, struct target *t, struct cf_err *err)
{
	for (int i = 0; i < kb->n; i++) {
		struct known_bug *b = &kb->bugs[i];

		b->probed = b->shown = false;
		b->probe[0] = 0;
		if (b->shape[0])
			continue; /* known_bugs_probe_for, when a program has its shape */
		if (probe_one(b, t, err) < 0)
			return -1;
	}
	return 0;
}

int known_bugs_probe_for(struct known_bugs *kb, struct target *t, const struct target_case *cases, int n,
			 struct cf_err *err)
{
	for (int i = 0; i < kb->n; i++) {
		struct known_bug *b = &kb->bugs[i];
		int s = b->shape[0] ? find_shape(b->shape) : -1;

		if (b->probed || s < 0)
			continue;
		for (int k = 0; k < n; k++)
			if (shapes[s].prog_holds(cases[k].prog)) {
				if (probe_one(b, t, err) < 0)
					return -1;
				break;
			}
	}
	return 0;
}

const struct known_bug *known_bugs_match(const struct known_bugs *kb, const struct target_case *c)
{
	for (int i = 0; i < kb->n; i++)
		if (kb->bugs[i].shown && case_shows(&kb->bugs[i], c))
			return &kb->bugs[i];
	return NULL;
}

bool known_bugs_own_report(const struct known_bugs *kb, const struct target_case *c)
{
	if (!c->report.text)
		return false;
	for (int i = 0; i < kb->n; i++) {
		const struct known_bug *b = &kb->bugs[i];

		/* a bug known by its shape alone has no text to find in a
		 * report: its reports stay the oracle's to attribute */
		if (b->shown && (b->kinds & (1u << MISMATCH_REPORT)) && b->pattern[0] &&
		    ((c->kernel_log && strstr(c->kernel_log, b->pattern)) || strstr(c->report.text, b->pattern)))
			return true;
	}
	return false;
}

void known_bugs_describe(const struct known_bugs *kb, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = 0;
	if (!kb->n) {
		snprintf(buf, size, "no known kernel bugs (no catalogue)");
		return;
	}
	for (int i = 0; i < kb->n && off < size; i++) {
		int w = snprintf(buf + off, size - off, "%s%s %s", i ? ", " : "known kernel bugs: ",
				 kb->bugs[i].name,
				 kb->bugs[i].shown    ? "(shown by this kernel)"
				 : kb->bugs[i].probed ? "(not shown: not known in this run)"
						      : "(probed at the first program of its shape)");

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

void known_bugs_free(struct known_bugs *kb)
{
	free(kb->bugs);
	memset(kb, 0, sizeof(*kb));
}

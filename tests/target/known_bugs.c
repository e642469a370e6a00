/* tests/target/known_bugs.c: the catalogue of known kernel bugs
 * (harness/target/known_bugs.c, docs/kernel-bugs/): the tree's own
 * entries parse; a malformed known.conf is an error naming its line; a
 * case is filed under a known bug only when the booted kernel showed that
 * bug (shown), only for a kernel voice, and only with the bug's kind and
 * pattern; target_signature files a case under a bug only through target_case.known_bug. */
#include "harness/target/target.h"
#include "tests/test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char poisoned[] =
	"the checker accepts, the kernel rejects (Permission denied): reading from stack off -8+0 size 8, "
	"slot poisoned by dead code elimination";

static void make_case(struct target_case *c, enum target_voice_kind kind, enum mismatch_kind mk, const char *place)
{
	memset(c, 0, sizeof(*c));
	c->checker_ok = true;
	c->nvoices = 1;
	c->voice[0].kind = kind;
	c->mvoice = 0;
	c->m.kind = mk;
	c->m.event = c->m.arg = c->m.func = c->m.insn = c->m.offset = -1;
	snprintf(c->m.place, sizeof(c->m.place), "%s", place);
}

static const struct known_bug *find(const struct known_bugs *kb, const char *name)
{
	for (int i = 0; i < kb->n; i++)
		if (!strcmp(kb->bugs[i].name, name))
			return &kb->bugs[i];
	return NULL;
}

TEST(known_bugs_tree_catalogue_parses)
{
	struct known_bugs kb;
	struct cf_err err = { "" };
	const struct known_bug *b;

	CHECK_MSG(known_bugs_load(&kb, "docs/kernel-bugs", &err) == 0, "%s", err.msg);
	b = find(&kb, "liveness-callsite-depth");
	CHECK(b != NULL);
	if (b) {
		CHECK_STR(b->signature, "VERIFIER-known-stack-liveness");
		CHECK_EQ(b->kinds, 1u << MISMATCH_VERIFIER);
		CHECK_STR(b->pattern, "slot poisoned by dead code elimination");
		CHECK_STR(b->reproducer, "docs/kernel-bugs/liveness-callsite-depth/repro.s");
		CHECK(access(b->reproducer, R_OK) == 0);
		CHECK(!b->shown);
	}
	known_bugs_free(&kb);
}

TEST(known_bugs_missing_dir_is_empty)
{
	struct known_bugs kb;
	struct cf_err err = { "" };

	CHECK(known_bugs_load(&kb, "/nonexistent/kernel-bugs", &err) == 0);
	CHECK_EQ(kb.n, 0);
	known_bugs_free(&kb);
}

TEST(known_bugs_malformed_conf_names_line)
{
	char dir[64] = "/tmp/callfuzz-known-XXXXXX", sub[128], conf[160];
	struct known_bugs kb;
	struct cf_err err = { "" };
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/bug", dir);
	CHECK(mkdir(sub, 0755) == 0);
	snprintf(conf, sizeof(conf), "%s/known.conf", sub);
	f = fopen(conf, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "# a comment\nsignature = X\nkind = NOT_A_KIND\n");
	fclose(f);
	CHECK(known_bugs_load(&kb, dir, &err) < 0);
	CHECK_MSG(strstr(err.msg, "known.conf:3: kind 'NOT_A_KIND'") != NULL, "%s", err.msg);
	f = fopen(conf, "w");
	fprintf(f, "signature = X\nkind = VERIFIER\nreproducer = r.s\n");
	fclose(f);
	CHECK(known_bugs_load(&kb, dir, &err) < 0);
	CHECK_MSG(strstr(err.msg, "required") != NULL, "%s", err.msg);
	unlink(conf);
	rmdir(sub);
	rmdir(dir);
}

TEST(known_bugs_match_only_when_shown)
{
	struct known_bugs kb;
	struct cf_err err = { "" };
	struct target_case c;
	struct known_bug *b;
	char buf[96];
	bool known = true;

	CHECK_MSG(known_bugs_load(&kb, "docs/kernel-bugs", &err) == 0, "%s", err.msg);
	b = (struct known_bug *)find(&kb, "liveness-callsite-depth");
	if (!b) {
		CHECK(b != NULL);
		known_bugs_free(&kb);
		return;
	}
	make_case(&c, TARGET_VOICE_KERNEL_JIT, MISMATCH_VERIFIER, poisoned);
	/* not shown by the booted kernel (a fixed one): not known */
	CHECK(known_bugs_match(&kb, &c) == NULL);
	b->shown = true;
	CHECK(known_bugs_match(&kb, &c) == b);
	make_case(&c, TARGET_VOICE_KERNEL_INTERP, MISMATCH_VERIFIER, poisoned);
	CHECK(known_bugs_match(&kb, &c) == b);
	/* our JIT as a voice, another kind, another reason: not this bug */
	make_case(&c, TARGET_VOICE_MODEL_JIT, MISMATCH_VERIFIER, poisoned);
	CHECK(known_bugs_match(&kb, &c) == NULL);
	make_case(&c, TARGET_VOICE_KERNEL_JIT, MISMATCH_KERNEL, poisoned);
	CHECK(known_bugs_match(&kb, &c) == NULL);
	make_case(&c, TARGET_VOICE_KERNEL_JIT, MISMATCH_VERIFIER,
		  "the checker accepts, the kernel rejects (Permission denied): R1 invalid mem access");
	CHECK(known_bugs_match(&kb, &c) == NULL);
	/* the log, when the reason line is not the message (7.3's listing) */
	c.kernel_log = (char *)"1: (79) r0 = *(u64 *)(r1 -8)\nreading from stack off -8+0 size 8, "
			       "slot poisoned by dead code elimination\n  Suggestion: ...\n";
	CHECK(known_bugs_match(&kb, &c) == b);
	c.kernel_log = NULL;
	/* the oracle's own buckets know no bug: the catalogue decides */
	make_case(&c, TARGET_VOICE_KERNEL_JIT, MISMATCH_VERIFIER, poisoned);
	target_signature(&c, buf, sizeof(buf), &known);
	CHECK_STR(buf, "VERIFIER");
	CHECK(!known);
	known_bugs_free(&kb);
}

/* A bug that WARNs where the kernel has CONFIG_BUG shows as a REPORT there
 * and as VERIFIER elsewhere: `kind = VERIFIER, REPORT` files both under
 * its signature, and nothing else. */
TEST(known_bugs_several_kinds)
{
	struct known_bugs kb;
	struct cf_err err = { "" };
	struct target_case c;
	struct known_bug *b;
	char log[] = "verifier bug: No program to jit at insn 328 (subprog < 0)\n";

	CHECK_MSG(known_bugs_load(&kb, "docs/kernel-bugs", &err) == 0, "%s", err.msg);
	b = (struct known_bug *)find(&kb, "loop-zero-no-jit");
	if (!b) {
		CHECK(b != NULL);
		known_bugs_free(&kb);
		return;
	}
	CHECK_EQ(b->kinds, (1u << MISMATCH_VERIFIER) | (1u << MISMATCH_REPORT));
	b->shown = true;
	make_case(&c, TARGET_VOICE_KERNEL_JIT, MISMATCH_REPORT,
		  "WARNING: kernel/bpf/fixups.c:1062 at bpf_jit_subprogs+0xa90/0xec8, CPU#0: init/1");
	c.kernel_log = log;
	CHECK(known_bugs_match(&kb, &c) == b);
	c.m.kind = MISMATCH_VERIFIER;
	CHECK(known_bugs_match(&kb, &c) == b);
	c.m.kind = MISMATCH_KERNEL;
	CHECK(known_bugs_match(&kb, &c) == NULL);
	c.m.kind = MISMATCH_REPORT;
	c.kernel_log = NULL;
	CHECK(known_bugs_match(&kb, &c) == NULL); /* the pattern is nowhere */
	known_bugs_free(&kb);
}

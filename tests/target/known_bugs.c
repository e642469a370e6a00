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

/* A catalogue of one folder, DIR/bug, in a new temporary DIR; conf gets
 * DIR/bug/known.conf (written by write_conf). false if it cannot be made. */
static bool temp_catalogue(char dir[64], char conf[160])
{
	char sub[128];

	snprintf(dir, 64, "/tmp/callfuzz-known-XXXXXX");
	if (!mkdtemp(dir))
		return false;
	snprintf(sub, sizeof(sub), "%s/bug", dir);
	if (mkdir(sub, 0755))
		return false;
	snprintf(conf, 160, "%s/known.conf", sub);
	return true;
}

static bool write_conf(const char *conf, const char *text)
{
	FILE *f = fopen(conf, "w");

	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

static void remove_catalogue(const char *dir, const char *conf)
{
	char sub[128];

	snprintf(sub, sizeof(sub), "%s/bug", dir);
	unlink(conf);
	rmdir(sub);
	rmdir(dir);
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
	char dir[64], conf[160];
	struct known_bugs kb;
	struct cf_err err = { "" };

	CHECK(temp_catalogue(dir, conf));
	CHECK(write_conf(conf, "# a comment\nsignature = X\nkind = NOT_A_KIND\n"));
	CHECK(known_bugs_load(&kb, dir, &err) < 0);
	CHECK_MSG(strstr(err.msg, "known.conf:3: kind 'NOT_A_KIND'") != NULL, "%s", err.msg);
	CHECK(write_conf(conf, "signature = X\nkind = VERIFIER\nreproducer = r.s\n"));
	CHECK(known_bugs_load(&kb, dir, &err) < 0);
	CHECK_MSG(strstr(err.msg, "required") != NULL, "%s", err.msg);
	remove_catalogue(dir, conf);
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

/* docs/kernel-bugs/interp-tail-call-frame: no text of its own (a crash, a
 * wrong result, EFAULT, a KASAN report), so the shape decides: the case is
 * the kernel interpreter's and its program tail calls into a target that
 * reaches below main's interpreter frame (round_up(max(stack, 1), 32)). */
static const char tail_frame_fmt[] = ".map jt, prog_array, entries=2\n"
				     "\n"
				     ".func main, stack=%d\n"
				     "    *(u64 *)(r10 - 8) = 0\n"
				     "    r2 = map[jt] ll\n"
				     "    r3 = %s\n"
				     "    %s\n"
				     "    r0 = 0\n"
				     "    exit\n"
				     "\n"
				     ".prog jt[0]\n"
				     ".func t0\n"
				     "    *(u64 *)(r10 - %d) = 1\n"
				     "    r0 = 1\n"
				     "    exit\n"
				     "\n"
				     ".prog jt[1]\n"
				     ".func t1\n"
				     "    *(u64 *)(r10 - %d) = 1\n"
				     "    r0 = 2\n"
				     "    exit\n";

/* main with stack main_stack tail calls (or, tail_call false, calls
 * bpf_get_smp_processor_id) targets whose deepest slots are -t0 and -t1. */
static bool parse_tail_frame(struct cf_prog *p, int main_stack, bool tail_call, int t0, int t1)
{
	char text[1024];
	struct cf_err err = { "" };
	int n = snprintf(text, sizeof(text), tail_frame_fmt, main_stack, tail_call ? "0" : "r1",
			 tail_call ? "call bpf_tail_call" : "call bpf_get_smp_processor_id", t0, t1);

	if (cf_asm_parse(text, (size_t)n, "tail-frame.s", p, &err) < 0) {
		CHECK_MSG(0, "%s", err.msg);
		return false;
	}
	return true;
}

static bool tail_frame_shape(int main_stack, bool tail_call, int t0, int t1, enum target_voice_kind voice)
{
	struct cf_prog p;
	struct target_case c;
	bool holds;

	if (!parse_tail_frame(&p, main_stack, tail_call, t0, t1))
		return false;
	make_case(&c, voice, MISMATCH_CRASH, "guest kernel crashed");
	c.prog = &p;
	holds = known_bugs_shape_holds("interp-tail-call-deeper-frame", &c);
	cf_prog_free(&p);
	return holds;
}

TEST(known_bugs_shape_interp_tail_call_deeper_frame)
{
	/* main's 8 bytes get a 32-byte frame: a target at -40 is below it */
	CHECK(tail_frame_shape(8, true, 40, 8, TARGET_VOICE_KERNEL_INTERP));
	CHECK(tail_frame_shape(8, true, 512, 8, TARGET_VOICE_KERNEL_INTERP));
	/* ... at -32 it is not (the frame is 32 bytes, not 8) */
	CHECK(!tail_frame_shape(8, true, 32, 32, TARGET_VOICE_KERNEL_INTERP));
	/* a target frame no deeper than the caller's: not this bug */
	CHECK(!tail_frame_shape(352, true, 352, 16, TARGET_VOICE_KERNEL_INTERP));
	CHECK(!tail_frame_shape(330, true, 352, 16, TARGET_VOICE_KERNEL_INTERP)); /* 330 -> 352 */
	CHECK(tail_frame_shape(352, true, 360, 16, TARGET_VOICE_KERNEL_INTERP));
	/* every target counts: they tail call each other in the same frame */
	CHECK(tail_frame_shape(64, true, 16, 72, TARGET_VOICE_KERNEL_INTERP));
	/* the JIT gives each target its own frame; no tail call, no target run */
	CHECK(!tail_frame_shape(8, true, 512, 8, TARGET_VOICE_KERNEL_JIT));
	CHECK(!tail_frame_shape(8, false, 512, 8, TARGET_VOICE_KERNEL_INTERP));
	/* an unknown shape never holds */
	{
		struct target_case c;

		make_case(&c, TARGET_VOICE_KERNEL_INTERP, MISMATCH_CRASH, "guest kernel crashed");
		CHECK(!known_bugs_shape_holds("no-such-shape", &c));
	}
}

TEST(known_bugs_interp_tail_call_frame_by_shape)
{
	struct known_bugs kb;
	struct cf_err err = { "" };
	struct target_case c;
	struct known_bug *b;
	struct cf_prog deep, fits;

	CHECK_MSG(known_bugs_load(&kb, "docs/kernel-bugs", &err) == 0, "%s", err.msg);
	b = (struct known_bug *)find(&kb, "interp-tail-call-frame");
	if (!b || !parse_tail_frame(&deep, 0, true, 88, 8)) {
		CHECK(b != NULL);
		known_bugs_free(&kb);
		return;
	}
	if (!parse_tail_frame(&fits, 96, true, 88, 8)) {
		cf_prog_free(&deep);
		known_bugs_free(&kb);
		return;
	}
	CHECK_STR(b->signature, "CRASH-known-interp-tail-call-frame");
	CHECK_STR(b->shape, "interp-tail-call-deeper-frame");
	CHECK_STR(b->pattern, "");
	CHECK_EQ(b->kinds, (1u << MISMATCH_CRASH) | (1u << MISMATCH_KERNEL) | (1u << MISMATCH_REPORT));
	CHECK(access(b->reproducer, R_OK) == 0);
	make_case(&c, TARGET_VOICE_KERNEL_INTERP, MISMATCH_CRASH, "guest kernel crashed");
	c.prog = &deep;
	CHECK(known_bugs_match(&kb, &c) == NULL); /* not shown by the booted kernel */
	b->shown = true;
	CHECK(known_bugs_match(&kb, &c) == b);
	make_case(&c, TARGET_VOICE_KERNEL_INTERP, MISMATCH_KERNEL, "BPF_PROG_TEST_RUN failed: Bad address");
	c.prog = &deep;
	CHECK(known_bugs_match(&kb, &c) == b);
	make_case(&c, TARGET_VOICE_KERNEL_INTERP, MISMATCH_REPORT,
		  "BUG: KASAN: stack-out-of-bounds in ___bpf_prog_run+0x6ac1/0x927e");
	c.prog = &deep;
	c.report.text = (char *)"BUG: KASAN: stack-out-of-bounds in ___bpf_prog_run+0x6ac1/0x927e\n";
	CHECK(known_bugs_match(&kb, &c) == b);
	/* the report is the oracle's to attribute: the shape has no text */
	CHECK(!known_bugs_own_report(&kb, &c));
	c.report.text = NULL;
	/* another kind, the JIT's voice, no program, a target that fits: not this bug */
	make_case(&c, TARGET_VOICE_KERNEL_INTERP, MISMATCH_VERIFIER, "the checker accepts, the kernel rejects");
	c.prog = &deep;
	CHECK(known_bugs_match(&kb, &c) == NULL);
	make_case(&c, TARGET_VOICE_KERNEL_JIT, MISMATCH_CRASH, "guest kernel crashed");
	c.prog = &deep;
	CHECK(known_bugs_match(&kb, &c) == NULL);
	make_case(&c, TARGET_VOICE_KERNEL_INTERP, MISMATCH_CRASH, "guest kernel crashed");
	CHECK(known_bugs_match(&kb, &c) == NULL);
	c.prog = &fits;
	CHECK(known_bugs_match(&kb, &c) == NULL);
	cf_prog_free(&deep);
	cf_prog_free(&fits);
	known_bugs_free(&kb);
}

TEST(known_bugs_shape_conf)
{
	char dir[64], conf[160];
	struct known_bugs kb;
	struct cf_err err = { "" };

	CHECK(temp_catalogue(dir, conf));
	CHECK(write_conf(conf, "signature = X\nkind = CRASH\nshape = no-such-shape\nreproducer = r.s\n"));
	CHECK(known_bugs_load(&kb, dir, &err) < 0);
	CHECK_MSG(strstr(err.msg, "known.conf:3: unknown shape 'no-such-shape'") != NULL, "%s", err.msg);
	CHECK(write_conf(conf, "signature = X\nkind = CRASH\nshape = interp-tail-call-deeper-frame\nreproducer = r.s\n"));
	CHECK_MSG(known_bugs_load(&kb, dir, &err) == 0, "%s", err.msg);
	CHECK_EQ(kb.n, 1);
	if (kb.n == 1) {
		CHECK_STR(kb.bugs[0].shape, "interp-tail-call-deeper-frame");
		CHECK_STR(kb.bugs[0].pattern, "");
	}
	known_bugs_free(&kb);
	remove_catalogue(dir, conf);
}

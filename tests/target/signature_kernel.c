/* tests/target/signature_kernel.c: the buckets of kernel cases
 * (target_signature) on hand-made target_case values: the voice and the
 * kind of difference name the bucket, never the values; a case target_run
 * matched to a known kernel bug goes to that bug's bucket (the matching
 * itself: tests/target/known_bugs.c); a difference of our JIT as a voice is kept apart from the model target's
 * buckets (VM- prefix). The places are written as target.c's
 * compare_kernel_voice words them. */
#include "fuzz/loop/loop.h"
#include "tests/test.h"

#include <stdlib.h>

static struct target_case c;

/* One case whose voice `kind` (the only one) differs with `mk` at `place`. */
static void make_case(enum target_voice_kind kind, enum mismatch_kind mk, const char *place, int offset)
{
	memset(&c, 0, sizeof(c));
	c.checker_ok = true;
	c.nvoices = 2;
	c.voice[0].kind = TARGET_VOICE_KERNEL_JIT;
	c.voice[1].kind = kind == TARGET_VOICE_KERNEL_JIT ? TARGET_VOICE_KERNEL_INTERP : kind;
	c.mvoice = kind == TARGET_VOICE_KERNEL_JIT ? 0 : 1;
	c.m.kind = mk;
	c.m.event = c.m.arg = c.m.func = c.m.insn = -1;
	c.m.offset = offset;
	snprintf(c.m.place, sizeof(c.m.place), "%s", place);
}

static const char *sig(bool *known)
{
	static char buf[96];
	bool k;

	target_signature(&c, buf, sizeof(buf), known ? known : &k);
	return buf;
}

TEST(target_signature_kernel_voices)
{
	make_case(TARGET_VOICE_KERNEL_JIT, MISMATCH_KERNEL, "r0 (low 32 bits)", -1);
	CHECK_STR(sig(NULL), "KERNEL-jit-retval");
	make_case(TARGET_VOICE_KERNEL_JIT, MISMATCH_KERNEL, "ctx[17] (u64 at ctx[16])", 17);
	CHECK_STR(sig(NULL), "KERNEL-jit-ctx");
	make_case(TARGET_VOICE_KERNEL_JIT, MISMATCH_KERNEL, "map 1 (h) key 02000000 value[3]", -1);
	CHECK_STR(sig(NULL), "KERNEL-jit-map");
	make_case(TARGET_VOICE_KERNEL_INTERP, MISMATCH_KERNEL, "ctx[200] (u64 at ctx[200])", 200);
	CHECK_STR(sig(NULL), "KERNEL-interp-ctx");
	make_case(TARGET_VOICE_KERNEL_INTERP, MISMATCH_KERNEL, "BPF_PROG_TEST_RUN failed: Invalid argument", -1);
	CHECK_STR(sig(NULL), "KERNEL-interp-run");
}

TEST(target_signature_verifier_and_lost_guest)
{
	bool known = true;

	make_case(TARGET_VOICE_KERNEL_JIT, MISMATCH_VERIFIER,
		  "the checker accepts, the kernel rejects (Permission denied): R3 !read_ok", -1);
	CHECK_STR(sig(&known), "VERIFIER");
	CHECK(!known);
	make_case(TARGET_VOICE_KERNEL_INTERP, MISMATCH_VERIFIER, "the checker accepts, the kernel rejects (Invalid argument): x", -1);
	CHECK_STR(sig(NULL), "VERIFIER-interp");
	make_case(TARGET_VOICE_KERNEL_JIT, MISMATCH_CRASH, "guest crashed", -1);
	CHECK_STR(sig(NULL), "CRASH-kernel-jit");
	make_case(TARGET_VOICE_KERNEL_INTERP, MISMATCH_TIMEOUT, "no answer in 10000 ms", -1);
	CHECK_STR(sig(NULL), "TIMEOUT-kernel-interp");
}

TEST(target_signature_known_kernel_bug)
{
	bool known = false;

	make_case(TARGET_VOICE_KERNEL_JIT, MISMATCH_VERIFIER,
		  "the checker accepts, the kernel rejects (Permission denied): reading from stack off -64+0 size 8, "
		  "slot poisoned by dead code elimination", -1);
	/* the log line alone makes no known bug: only target_run's match does */
	CHECK_STR(sig(&known), "VERIFIER");
	CHECK(!known);
	c.known_bug = "VERIFIER-known-stack-liveness";
	CHECK_STR(sig(&known), "VERIFIER-known-stack-liveness");
	CHECK(known);
	c.known_bug = NULL;
}

TEST(target_signature_model_voice_is_apart)
{
	make_case(TARGET_VOICE_MODEL_JIT, MISMATCH_RETVAL, "r0", -1);
	CHECK_STR(sig(NULL), "VM-RETVAL");
	make_case(TARGET_VOICE_MODEL_JIT, MISMATCH_JIT_REJECT, "jit_compile", -1);
	CHECK_STR(sig(NULL), "VM-JIT_REJECT");
}

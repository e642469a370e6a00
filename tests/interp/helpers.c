/* tests/interp/helpers.c: helper and kfunc calls through the environment:
 * trace and kf_argsN events carry the right values (args 6..12 from the
 * outgoing slots), stack_hash hashes the right bytes (FNV-1a computed here),
 * pointer arguments are bounds- and init-checked, a custom environment gets
 * host pointers, events past CF_TRACE_MAX are counted as dropped. */
#include "harness/env/env.h"
#include "tests/interp/util.h"
#include "tests/test.h"

#include <stdio.h>

/* env.h's documented formula, written again here so that env.c is held to
 * its documentation. */
static uint64_t doc_mix(uint64_t seed, int n, const uint64_t *a)
{
	uint64_t h = seed, z;

	for (int i = 0; i < n; i++) {
		h = (h ^ a[i]) * 0x100000001b3ULL;
		h = h ^ (h >> 29);
	}
	z = h + (uint64_t)n;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t doc_fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

TEST(helpers_fnv1a_known_vectors)
{
	/* published FNV-1a 64 test vectors */
	CHECK_EQ(cf_env_fnv1a64("", 0), 0xcbf29ce484222325ULL);
	CHECK_EQ(cf_env_fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
	CHECK_EQ(cf_env_fnv1a64("foobar", 6), 0x85944171f73967e8ULL);
}

TEST(helpers_trace_event_and_return)
{
	static const uint64_t want[5] = { 1, 0xffffffffffffffffULL, 3, 0x8000000000000000ULL, 5 };
	struct interp_result res;

	t_run_text(".func main\n    r1 = 1\n    r2 = -1\n    r3 = 3\n    r4 = 1\n    r4 <<= 63\n    r5 = 5\n"
		   "    call trace\n    exit\n", NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	REQUIRE(res.trace.nevents == 1);
	CHECK_EQ(res.trace.ev[0].id, CF_HELPER_TRACE);
	CHECK_EQ(res.trace.ev[0].nargs, 5);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(res.trace.ev[0].args[i], want[i]);
	CHECK_EQ(res.r0, doc_mix(CF_HELPER_TRACE, 5, want));
}

TEST(helpers_kfunc_12_args_through_slots)
{
	char text[2048];
	int len;
	uint64_t want[12];
	struct interp_result res;

	len = snprintf(text, sizeof(text), ".func main\n");
	for (int i = 1; i <= 5; i++)
		len += snprintf(text + len, sizeof(text) - len, "    r%d = %d\n", i, 11 * i);
	for (int k = 1; k <= 7; k++)
		len += snprintf(text + len, sizeof(text) - len, "    *(u64 *)(r11 - %d) = %d\n", 8 * k, 11 * (5 + k));
	snprintf(text + len, sizeof(text) - len, "    call kfunc kf_args12\n    exit\n");
	for (int i = 1; i <= 12; i++)
		want[i - 1] = 11 * (uint64_t)i;
	t_run_text(text, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	REQUIRE(res.trace.nevents == 1);
	CHECK_EQ(res.trace.ev[0].id, CF_KFUNC_ARGS_BASE + 12);
	CHECK_EQ(res.trace.ev[0].nargs, 12);
	for (int i = 0; i < 12; i++)
		CHECK_EQ(res.trace.ev[0].args[i], want[i]);
	CHECK_EQ(res.r0, doc_mix(CF_KFUNC_ARGS_BASE + 12, 12, want));
}

TEST(helpers_kfunc_6_then_slot_is_poisoned)
{
	struct interp_result res;

	t_run_text(".func main\n    r1 = 1\n    r2 = 2\n    r3 = 3\n    r4 = 4\n    r5 = 5\n"
		   "    *(u64 *)(r11 - 8) = 66\n    call kfunc kf_args6\n"
		   "    r1 = 1\n    r2 = 2\n    r3 = 3\n    r4 = 4\n    r5 = 5\n"
		   "    *(u64 *)(r11 - 8) = 77\n    call kfunc kf_args6\n    exit\n", NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	REQUIRE(res.trace.nevents == 2);
	CHECK_EQ(res.trace.ev[0].args[5], 66);
	CHECK_EQ(res.trace.ev[1].args[5], 77);
	CHECK_EQ(res.trace.ev[1].id, CF_KFUNC_ARGS_BASE + 6);
}

TEST(helpers_stack_hash_of_known_bytes)
{
	uint8_t bytes[16];
	struct interp_result res;

	/* r10-16 .. r10-1 hold 0x10, 0x11, ..., 0x1f (two DW stores, little-endian) */
	for (int i = 0; i < 16; i++)
		bytes[i] = (uint8_t)(0x10 + i);
	t_run_text(".func main\n"
		   "    r1 = 0x1716151413121110 ll\n    *(u64 *)(r10 - 16) = r1\n"
		   "    r1 = 0x1f1e1d1c1b1a1918 ll\n    *(u64 *)(r10 - 8) = r1\n"
		   "    r1 = r10\n    r1 += -16\n    r2 = 16\n    call stack_hash\n    exit\n", NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	REQUIRE(res.trace.nevents == 1);
	CHECK_EQ(res.trace.ev[0].id, CF_HELPER_STACK_HASH);
	CHECK_EQ(res.trace.ev[0].nargs, 2);
	CHECK_EQ(res.trace.ev[0].args[0], 16);
	CHECK_EQ(res.trace.ev[0].args[1], doc_fnv(bytes, 16));
	CHECK_EQ(res.r0, doc_fnv(bytes, 16));
}

TEST(helpers_stack_hash_of_ctx_and_of_caller_frame)
{
	uint8_t ctx[CF_CTX_SIZE];
	struct interp_result res;
	uint8_t want[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };

	for (int i = 0; i < CF_CTX_SIZE; i++)
		ctx[i] = (uint8_t)(i * 7);
	t_run_text(".func main\n    r1 += 200\n    r2 = 56\n    call stack_hash\n    exit\n", ctx, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, doc_fnv(ctx + 200, 56));

	/* a callee hashes its caller's frame through a pointer argument */
	t_run_text(".func main\n    r1 = 0x0909090909090909 ll\n    *(u64 *)(r10 - 8) = r1\n"
		   "    r1 = r10\n    r1 += -8\n    call f\n    exit\n"
		   ".func f, 1\n    r2 = 8\n    call stack_hash\n    exit\n", NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, doc_fnv(want, 8));
}

TEST(helpers_bad_pointer_args_fault)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ ".func main\n    *(u32 *)(r10 - 8) = 1\n    r1 = r10\n    r1 += -8\n    r2 = 8\n    call stack_hash\n    exit\n",
		  "func main insn 4: call stack_hash: arg 1: load of 8 bytes at r10-8 of frame 0 reads stack bytes never written" },
		{ ".func main\n    r1 = r10\n    r1 += -8\n    r2 = 16\n    call stack_hash\n    exit\n",
		  "func main insn 3: call stack_hash: arg 1: load of 16 bytes at r10-8 of frame 0 is outside its 512-byte stack" },
		{ ".func main\n    r2 = 0\n    call stack_hash\n    exit\n",
		  "func main insn 1: call stack_hash: arg 2: length 0 (expected 1..512)" },
		{ ".func main\n    r1 += 250\n    r2 = 8\n    call stack_hash\n    exit\n",
		  "func main insn 2: call stack_hash: arg 1: load of 8 bytes at ctx+250 is outside the 256-byte ctx" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct interp_result res;

		t_run_text_unchecked(cases[i].text, NULL, &res);
		CHECK_MSG(res.status == INTERP_FAULT, "case %zu: status %d", i, res.status);
		CHECK_CONTAINS(res.fault, cases[i].msg);
		CHECK_EQ(res.trace.nevents, 0);
	}
}

TEST(helpers_clobber_r1_to_r5)
{
	struct interp_result res;

	t_run_text_unchecked(".func main\n    r1 = 1\n    r2 = 2\n    r3 = 3\n    r4 = 4\n    r5 = 5\n"
			     "    call trace\n    r0 = r5\n    exit\n", NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, INTERP_POISON);
}

struct recorder {
	int calls;
	uint64_t first_byte;
	const struct cf_callee *last;
};

static uint64_t record_call(void *opaque, const struct cf_callee *c, const uint64_t args[CF_MAX_ARGS],
			    struct cf_trace *trace)
{
	struct recorder *r = opaque;

	r->calls++;
	r->last = c;
	if (c->args[0] == CF_ARG_PTR_MEM)
		r->first_byte = *(const uint8_t *)(uintptr_t)args[0]; /* a host pointer */
	(void)trace;
	return 1234;
}

TEST(helpers_custom_environment_gets_host_pointers)
{
	struct recorder rec = { 0 };
	struct interp_env env = { record_call, &rec };
	struct interp_result res;
	struct cf_prog p;

	REQUIRE(t_parse(".func main\n    *(u64 *)(r10 - 8) = 0xab\n    r1 = r10\n    r1 += -8\n    r2 = 8\n"
			"    call stack_hash\n    exit\n", &p));
	CHECK_EQ(interp_run(&p, NULL, &env, NULL, &res), 0);
	CHECK_EQ(res.status, INTERP_OK);
	CHECK_EQ(res.r0, 1234);
	CHECK_EQ(rec.calls, 1);
	CHECK_EQ(rec.first_byte, 0xab);
	CHECK(rec.last == cf_callee_by_name("stack_hash"));
	CHECK_EQ(res.trace.nevents, 0); /* recording is the environment's job */
	cf_prog_free(&p);
}

TEST(helpers_events_past_the_trace_limit_are_dropped)
{
	struct interp_result res;

	t_run_text(".func main\n    r6 = 300\nloop:\n    r1 = r6\n    r2 = 0\n    r3 = 0\n    r4 = 0\n    r5 = 0\n"
		   "    call trace\n    r6 -= 1\n    if r6 != 0 goto loop\n    r0 = 0\n    exit\n", NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.trace.nevents, CF_TRACE_MAX);
	CHECK_EQ(res.trace.dropped, 300 - CF_TRACE_MAX);
	CHECK_EQ(res.trace.ev[0].args[0], 300);
	CHECK_EQ(res.trace.ev[CF_TRACE_MAX - 1].args[0], 300 - CF_TRACE_MAX + 1);
}

/* tests/gen/gen_valid.c: every generated program is valid by construction:
 * cf_check accepts it and the reference interpreter runs it to exit.
 *
 * 10,000 programs in the plain build (random bytes of varied lengths, plus
 * the empty input, all-zero and all-0xff inputs); fewer under the sanitizer
 * build (CALLFUZZ_BUILD=build-san) to stay well under a minute there.
 * GEN_VALID_COUNT overrides the count. A failure prints the program and the
 * checker's or interpreter's message. */
#include "tests/test.h"
#include "gen/gen.h"
#include "interp/interp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/gen/util.h"

static int valid_count(void)
{
	const char *env = getenv("GEN_VALID_COUNT");
	const char *build = getenv("CALLFUZZ_BUILD");

	if (env && atoi(env) > 0)
		return atoi(env);
	if (build && strstr(build, "san"))
		return 1500;
	return 10000;
}

/* Check and run one input; on failure print what happened. Returns 0 ok. */
static int check_and_run(const uint8_t *bytes, size_t len, const struct gen_opts *go, const char *what)
{
	struct cf_prog p;
	struct cf_err err = { "" };
	struct cf_check_opts co;
	struct interp_result *res;
	uint8_t ctx[CF_CTX_SIZE];
	int rc = 0;

	if (gen_program(bytes, len, go, &p, &err)) {
		test_fail(__FILE__, __LINE__, "%s: gen_program: %s", what, err.msg);
		return -1;
	}
	cf_check_opts_default(&co);
	co.max_args = go->max_args;
	co.model_callees = go->profile == GEN_PROFILE_MODEL;
	co.max_frames = go->max_frames;
	co.kernel_paths = go->kernel_paths;
	if (cf_check(&p, &co, &err)) {
		test_fail(__FILE__, __LINE__, "%s (%zu bytes): checker rejected: %s", what, len, err.msg);
		gen_test_dump(&p);
		cf_prog_free(&p);
		return -1;
	}
	for (int i = 0; i < CF_CTX_SIZE; i++)
		ctx[i] = (uint8_t)(i * 37 + 11);
	res = calloc(1, sizeof(*res));
	if (interp_run(&p, NULL, NULL, ctx, res) || res->status != INTERP_OK) {
		test_fail(__FILE__, __LINE__, "%s (%zu bytes): interpreter status %d: %s", what, len,
			  (int)res->status, res->fault);
		gen_test_dump(&p);
		rc = -1;
	}
	free(res);
	cf_prog_free(&p);
	return rc;
}

static void run_valid_opts(const struct gen_opts *opts, int count)
{
	struct gen_opts go = *opts;
	enum gen_profile profile = go.profile;
	uint8_t *buf = malloc(8192);
	int failures = 0;

	/* the fixed corners: nothing, all simplest choices, all largest */
	memset(buf, 0, 8192);
	failures += check_and_run(buf, 0, &go, "empty input") != 0;
	failures += check_and_run(buf, 8192, &go, "all-zero input") != 0;
	memset(buf, 0xff, 8192);
	failures += check_and_run(buf, 8192, &go, "all-0xff input") != 0;
	for (int i = 0; i < count && failures < 3; i++) {
		uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1) + (uint64_t)profile;
		size_t len = gen_test_bytes(&seed, buf, 8192);
		char what[64];

		snprintf(what, sizeof(what), "program %d", i);
		failures += check_and_run(buf, len, &go, what) != 0;
	}
	free(buf);
}

static void run_valid(enum gen_profile profile, int max_args, int count)
{
	struct gen_opts go;

	gen_opts_default(&go);
	go.profile = profile;
	go.max_args = max_args;
	run_valid_opts(&go, count);
}

TEST(gen_model_programs_pass_checker_and_interpreter)
{
	run_valid(GEN_PROFILE_MODEL, CF_MAX_ARGS, valid_count());
}

TEST(gen_kernel_profile_5_args_pass_checker_and_interpreter)
{
	run_valid(GEN_PROFILE_KERNEL, CF_MAX_REG_ARGS, valid_count() / 4);
}

TEST(gen_kernel_profile_12_args_pass_checker_and_interpreter)
{
	run_valid(GEN_PROFILE_KERNEL, CF_MAX_ARGS, valid_count() / 4);
}

/* The vm target on a 7.2 kernel: helpers, may_goto, 16 frames
 * (docs/kernel-paths.md), checked with the same rules. */
TEST(gen_vm_profile_kernel_paths_pass_checker_and_interpreter)
{
	struct gen_opts go;

	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	go.max_args = CF_MAX_ARGS;
	go.kernel_paths = true;
	go.max_frames = CF_MAX_FRAMES;
	go.max_funcs = GEN_VM_MAX_FUNCS;
	run_valid_opts(&go, valid_count() / 4);
}

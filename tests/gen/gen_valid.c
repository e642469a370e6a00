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
	co.maps = go->maps;
	co.raw_tp = go->raw_tp;
	co.max_frames = go->max_frames;
	co.kernel_paths = go->kernel_paths;
	co.kfuncs = go->kfuncs;
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

TEST(gen_kernel_profile_with_maps_pass_checker_and_interpreter)
{
	struct gen_opts go;

	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	go.maps = true;
	run_valid_opts(&go, valid_count() / 4);
}

TEST(gen_kernel_profile_with_raw_tp_pass_checker_and_interpreter)
{
	struct gen_opts go;

	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	go.maps = go.raw_tp = true;
	run_valid_opts(&go, valid_count() / 4);
}

/* With raw_tp, some programs are RAW_TRACEPOINT programs: they never write
 * their ctx (read-only) and keep an `obs` map; some of their functions
 * have frames of 64 bytes or more (7.2's private stack) and take stack
 * arguments. */
TEST(gen_raw_tp_programs_read_only_ctx_and_big_frames)
{
	struct gen_opts go;
	uint8_t buf[4096];
	int raw = 0, big_stack_arg_frames = 0;

	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	go.maps = go.raw_tp = true;
	for (int i = 0; i < 300; i++) {
		uint64_t seed = 0x7a770000ull + (uint64_t)i;
		size_t len = gen_test_bytes(&seed, buf, sizeof(buf));
		struct cf_prog p;
		struct cf_err err;
		struct cf_check_opts co;

		REQUIRE(gen_program(buf, len, &go, &p, &err) == 0);
		if (p.prog_type == CF_PROG_RAW_TP) {
			raw++;
			CHECK(p.nmaps >= 1 && !strcmp(p.maps[p.nmaps - 1].name, "obs"));
			/* the checker with a ctx of 0 bytes would refuse any ctx
			 * store; with 96 read-only bytes it accepts: so no store */
			cf_check_opts_default(&co);
			co.model_callees = false;
			co.maps = co.raw_tp = true;
			CHECK_MSG(cf_check(&p, &co, &err) == 0, "%s", err.msg);
			for (int fi = 1; fi < p.nfuncs; fi++)
				if (p.funcs[fi].stack_size >= 64 && p.funcs[fi].nargs > CF_MAX_REG_ARGS)
					big_stack_arg_frames++;
		}
		cf_prog_free(&p);
	}
	CHECK_MSG(raw > 20, "raw tracepoint programs: %d of 300", raw);
	CHECK_MSG(big_stack_arg_frames > 10, "frames >= 64 bytes with stack arguments: %d", big_stack_arg_frames);
}

/* Maps on: every program declares 1..3 maps, and over a few hundred
 * programs each map operation appears, also in functions that take stack
 * arguments (counted from the programs themselves: ld_imm64 forms and
 * helper ids). Maps off: no program has any. */
TEST(gen_maps_declared_and_used_only_when_asked)
{
	struct gen_opts go;
	uint8_t buf[4096];
	long lookups = 0, updates = 0, deletes = 0, direct = 0, in_stack_arg_funcs = 0, without = 0;

	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	for (int pass = 0; pass < 2; pass++) {
		go.maps = pass == 0;
		for (int i = 0; i < 300; i++) {
			uint64_t seed = 0x5eed0000ull + (uint64_t)i;
			size_t len = gen_test_bytes(&seed, buf, sizeof(buf));
			struct cf_prog p;
			struct cf_err err;

			REQUIRE(gen_program(buf, len, &go, &p, &err) == 0);
			if (!go.maps) {
				without += p.nmaps;
				cf_prog_free(&p);
				continue;
			}
			CHECK(p.nmaps >= 1 && p.nmaps <= 3);
			for (int fi = 0; fi < p.nfuncs; fi++) {
				const struct cf_func *f = &p.funcs[fi];

				for (int pc = 0; pc < f->ninsns; pc++) {
					const struct bpf_insn *in = &f->insns[pc];
					bool call = in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0;

					if (cf_insn_is_ldimm64(in) && in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE)
						direct++;
					if (call && in->imm == BPF_FUNC_map_lookup_elem)
						lookups++;
					if (call && in->imm == BPF_FUNC_map_update_elem)
						updates++;
					if (call && in->imm == BPF_FUNC_map_delete_elem)
						deletes++;
					if (call && f->nargs > CF_MAX_REG_ARGS && cf_callee_is_map_helper(false, in->imm))
						in_stack_arg_funcs++;
				}
			}
			cf_prog_free(&p);
		}
	}
	CHECK_EQ(without, 0);
	CHECK_MSG(lookups > 50 && updates > 50 && deletes > 20 && direct > 10,
		  "lookups %ld updates %ld deletes %ld direct %ld", lookups, updates, deletes, direct);
	CHECK_MSG(in_stack_arg_funcs > 20, "map helper calls in functions with stack arguments: %ld", in_stack_arg_funcs);
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

/* The vm target's whole generator: 7.2's helpers, bpf_loop, may_goto and
 * 16 frames together with maps and raw tracepoints in the same programs
 * (what `gen --profile vm` and the vm target's fuzz loop make). */
TEST(gen_vm_profile_with_maps_and_raw_tp_pass_checker_and_interpreter)
{
	struct gen_opts go;

	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	go.max_args = CF_MAX_ARGS;
	go.kernel_paths = true;
	go.maps = go.raw_tp = true;
	go.kfuncs = true;
	go.max_frames = CF_MAX_FRAMES;
	go.max_funcs = GEN_VM_MAX_FUNCS;
	run_valid_opts(&go, valid_count() / 4);
}

/* docs/kernel-paths.md "Strings", "Kfuncs": over 600 vm-profile
 * programs, functions with stack arguments call bpf_strncmp, bpf_snprintf
 * and the number iterator (in a loop: a back jump to its next call), some
 * formats have a %s, raw tracepoints call them too; the string map is
 * read-only and ends in a NUL. Without kfuncs there is no kfunc call,
 * without kernel_paths no string map. */
TEST(gen_vm_profile_calls_strings_and_the_iterator)
{
	struct gen_opts go;
	uint8_t buf[4096];
	int strncmp_sa = 0, snprintf_sa = 0, iter_sa = 0, iter_loops = 0, raw_tp_calls = 0, str_args = 0;
	int kfuncs_without = 0, string_maps_without = 0, with_tails = 0;

	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	go.kernel_paths = go.maps = go.raw_tp = go.kfuncs = true;
	go.max_frames = CF_MAX_FRAMES;
	go.max_funcs = GEN_VM_MAX_FUNCS;
	/* 1000: a tail-call program (one in four) keeps to 5 arguments, so
	 * fewer functions have stack arguments than before tail calls */
	for (int i = 0; i < 1000; i++) {
		uint64_t seed = 0x57a10000ull + (uint64_t)i;
		size_t len = gen_test_bytes(&seed, buf, sizeof(buf));
		struct cf_prog p;
		struct cf_err err;
		struct gen_opts plain = go;

		REQUIRE(gen_program(buf, len, &go, &p, &err) == 0);
		for (int m = 0; m < p.nmaps; m++)
			if (p.maps[m].rdonly) {
				CHECK(p.maps[m].max_entries == 1 && p.maps[m].type == BPF_MAP_TYPE_ARRAY);
				CHECK_EQ(p.maps[m].init[p.maps[m].value_size - 1], 0);
				str_args += memchr(p.maps[m].init, 's', p.maps[m].value_size) != NULL;
			}
		for (int fi = 0; fi < p.nfuncs; fi++) {
			const struct cf_func *f = &p.funcs[fi];
			bool sa = f->nargs > CF_MAX_REG_ARGS, any = false;
			int next_pc = -1;

			for (int pc = 0; pc < f->ninsns; pc++) {
				const struct bpf_insn *in = &f->insns[pc];
				bool kf = in->src_reg == BPF_PSEUDO_KFUNC_CALL;

				if (in->code == (BPF_JMP | BPF_JA) && next_pc >= 0 && pc + 1 + in->off < next_pc)
					iter_loops++;
				if (in->code != (BPF_JMP | BPF_CALL) || cf_insn_is_pseudo_call(in))
					continue;
				strncmp_sa += sa && !kf && in->imm == CF_KHELPER_STRNCMP;
				snprintf_sa += sa && !kf && in->imm == CF_KHELPER_SNPRINTF;
				iter_sa += sa && kf && in->imm == CF_KKFUNC_ITER_NUM_NEW;
				if (kf && in->imm == CF_KKFUNC_ITER_NUM_NEXT)
					next_pc = pc;
				any |= (!kf && (in->imm == CF_KHELPER_STRNCMP || in->imm == CF_KHELPER_SNPRINTF)) || kf;
			}
			raw_tp_calls += any && p.prog_type == CF_PROG_RAW_TP;
		}
		/* a program with tail-call targets and a string helper or an
		 * iterator in it or in a target: both features at once */
		for (int k = -1; p.ntails && k < p.ntails; k++) {
			const struct cf_prog *q = k < 0 ? &p : &p.tails[k];
			bool hit = false;

			for (int fi = 0; fi < q->nfuncs && !hit; fi++)
				for (int pc = 0; pc < q->funcs[fi].ninsns && !hit; pc++) {
					const struct bpf_insn *in = &q->funcs[fi].insns[pc];

					hit = in->code == (BPF_JMP | BPF_CALL) && !cf_insn_is_pseudo_call(in) &&
					      (in->src_reg == BPF_PSEUDO_KFUNC_CALL || in->imm == CF_KHELPER_STRNCMP ||
					       in->imm == CF_KHELPER_SNPRINTF);
				}
			if (hit) {
				with_tails++;
				break;
			}
		}
		cf_prog_free(&p);
		plain.kfuncs = false;
		REQUIRE(gen_program(buf, len, &plain, &p, &err) == 0);
		for (int fi = 0; fi < p.nfuncs; fi++)
			for (int pc = 0; pc < p.funcs[fi].ninsns; pc++)
				kfuncs_without += p.funcs[fi].insns[pc].code == (BPF_JMP | BPF_CALL) &&
						  p.funcs[fi].insns[pc].src_reg == BPF_PSEUDO_KFUNC_CALL;
		cf_prog_free(&p);
		plain.kernel_paths = false;
		REQUIRE(gen_program(buf, len, &plain, &p, &err) == 0);
		for (int m = 0; m < p.nmaps; m++)
			string_maps_without += p.maps[m].rdonly;
		cf_prog_free(&p);
	}
	CHECK_MSG(strncmp_sa > 5 && snprintf_sa > 3 && iter_sa > 5 && iter_loops > 5 && raw_tp_calls > 2 &&
			  str_args > 5,
		  "in functions with stack arguments: strncmp %d, snprintf %d, iterators %d; iterator loops %d; "
		  "raw tracepoint functions calling them %d; string maps with an 's' %d",
		  strncmp_sa, snprintf_sa, iter_sa, iter_loops, raw_tp_calls, str_args);
	CHECK_MSG(with_tails > 20, "programs with tail-call targets and string helpers or iterators: %d",
		  with_tails);
	CHECK_EQ(kfuncs_without, 0);
	CHECK_EQ(string_maps_without, 0);
}

/* Both halves of the vm profile live in the same programs: over a few
 * hundred, some call bpf_strtol/bpf_strtoul and a map helper in one
 * function, some look a map up in a bpf_loop callback, and some raw
 * tracepoints call 7.2's helpers and bpf_loop (7.2 gives all of them to
 * both program types: docs/kernel-paths.md "Helpers"). */
TEST(gen_vm_profile_mixes_helpers_callbacks_and_maps)
{
	struct gen_opts go;
	uint8_t buf[4096];
	int strtox_and_map = 0, map_in_callback = 0, raw_tp_helper = 0, raw_tp_loop = 0;

	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	go.kernel_paths = go.maps = go.raw_tp = true;
	go.max_frames = CF_MAX_FRAMES;
	go.max_funcs = GEN_VM_MAX_FUNCS;
	for (int i = 0; i < 300; i++) {
		uint64_t seed = 0x313a0000ull + (uint64_t)i;
		size_t len = gen_test_bytes(&seed, buf, sizeof(buf));
		struct cf_prog p;
		struct cf_err err;
		bool callback[GEN_MAX_FUNCS + 1] = { false };

		REQUIRE(gen_program(buf, len, &go, &p, &err) == 0);
		for (int fi = 0; fi < p.nfuncs; fi++)
			for (int pc = 0; pc < p.funcs[fi].ninsns; pc++) {
				const struct bpf_insn *in = &p.funcs[fi].insns[pc];

				if (cf_insn_is_pseudo_func(in) && in->imm > 0 && in->imm <= GEN_MAX_FUNCS)
					callback[in->imm] = true;
			}
		for (int fi = 0; fi < p.nfuncs; fi++) {
			bool strtox = false, map = false, helper = false, loop = false;

			for (int pc = 0; pc < p.funcs[fi].ninsns; pc++) {
				const struct bpf_insn *in = &p.funcs[fi].insns[pc];

				if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg)
					continue;
				strtox |= in->imm == CF_KHELPER_STRTOL || in->imm == CF_KHELPER_STRTOUL;
				helper |= in->imm == CF_KHELPER_STRTOL || in->imm == CF_KHELPER_STRTOUL ||
					  in->imm == CF_KHELPER_GET_SMP_PROCESSOR_ID;
				loop |= in->imm == CF_KHELPER_LOOP;
				map |= cf_callee_is_map_helper(false, in->imm);
			}
			strtox_and_map += strtox && map;
			map_in_callback += map && fi <= GEN_MAX_FUNCS && callback[fi];
			raw_tp_helper += helper && p.prog_type == CF_PROG_RAW_TP;
			raw_tp_loop += loop && p.prog_type == CF_PROG_RAW_TP;
		}
		cf_prog_free(&p);
	}
	CHECK_MSG(strtox_and_map > 5 && map_in_callback > 5 && raw_tp_helper > 5 && raw_tp_loop > 5,
		  "functions with strtol and a map helper %d, callbacks with a map helper %d, raw tracepoint "
		  "functions with a helper %d, with bpf_loop %d",
		  strtox_and_map, map_in_callback, raw_tp_helper, raw_tp_loop);
}

/* tests/gen/gen_tail_calls.c: the vm profile's tail calls
 * (docs/kernel-paths.md "Tail calls"). Over a few hundred programs: some
 * come with a prog array and targets, every one passes the checker and
 * runs to exit in the interpreter; runs take tail calls, some reach the
 * count limit of 33, some tail call from a subprogram and some from a
 * target; a program with targets never has stack arguments (nor do its
 * targets: 7.2 refuses them on a chain to a tail call), and no callback. */
#include "tests/test.h"
#include "gen/gen.h"
#include "interp/interp.h"

#include <stdlib.h>
#include <string.h>

#include "tests/gen/util.h"

static bool no_stack_args_nor_callbacks(const struct cf_prog *p)
{
	for (int fi = 0; fi < p->nfuncs; fi++) {
		const struct cf_func *f = &p->funcs[fi];

		if (f->nargs > CF_MAX_REG_ARGS)
			return false;
		for (int pc = 0; pc < f->ninsns; pc++)
			if (cf_insn_is_pseudo_func(&f->insns[pc]))
				return false;
	}
	return true;
}

TEST(gen_vm_profile_tail_calls)
{
	struct gen_opts go;
	struct cf_check_opts co;
	struct interp_result *res = malloc(sizeof(*res));
	uint8_t buf[4096];
	int with_targets = 0, taken = 0, at_limit = 0, from_subprog = 0, from_target = 0;

	REQUIRE(res != NULL);
	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	go.kernel_paths = go.maps = go.raw_tp = true;
	go.max_frames = CF_MAX_FRAMES;
	go.max_funcs = GEN_VM_MAX_FUNCS;
	cf_check_opts_default(&co);
	co.model_callees = false;
	co.kernel_paths = co.maps = co.raw_tp = true;
	co.max_frames = CF_MAX_FRAMES;
	for (int i = 0; i < 400; i++) {
		uint64_t seed = 0x7a11ca11ull + (uint64_t)i;
		size_t len = gen_test_bytes(&seed, buf, sizeof(buf));
		struct cf_prog p;
		struct cf_err err;

		REQUIRE(gen_program(buf, len, &go, &p, &err) == 0);
		if (cf_check(&p, &co, &err)) {
			char *text = cf_asm_print(&p);

			CHECK_MSG(false, "the checker rejects a generated program: %s\n%s", err.msg, text);
			free(text);
			cf_prog_free(&p);
			break;
		}
		interp_run(&p, NULL, NULL, NULL, res);
		CHECK_MSG(res->status == INTERP_OK, "program %d: %s", i, res->fault);
		if (p.ntails) {
			with_targets++;
			CHECK(no_stack_args_nor_callbacks(&p));
			for (int k = 0; k < p.ntails; k++) {
				CHECK(no_stack_args_nor_callbacks(&p.tails[k]));
				for (int fi = 0; fi < p.tails[k].nfuncs; fi++)
					from_target += cf_func_has_tail_call(&p.tails[k].funcs[fi]);
			}
			for (int fi = 1; fi < p.nfuncs; fi++)
				from_subprog += cf_func_has_tail_call(&p.funcs[fi]);
		}
		taken += res->tail_calls > 0;
		at_limit += res->tail_calls == CF_MAX_TAIL_CALL_CNT;
		cf_prog_free(&p);
	}
	CHECK_MSG(with_targets > 50 && taken > 30 && at_limit > 5 && from_subprog > 5 && from_target > 30,
		  "programs with targets %d, runs that tail call %d, runs at the limit %d, subprograms with a tail "
		  "call %d, target functions with one %d",
		  with_targets, taken, at_limit, from_subprog, from_target);
	free(res);
}

/* tests/gen/gen_distribution.c: the generator reaches the corners it is
 * for. Over 2,000 programs of random bytes: every callee argument count
 * 0..12, a call chain of CF_MAX_FRAMES frames, a chain using the whole
 * 512-byte stack, every instruction class and the ISA v4 forms, stack-arg
 * slots in registers (args 6..8) and in memory (9..12) in both store forms,
 * pointer arguments in registers and in stack slots. The counts come from
 * gen_stats_add, which reads the programs; the pointer and slot counts are
 * cross-checked here by an independent scan of the instructions. */
#include "tests/test.h"
#include "gen/gen.h"

#include <stdlib.h>
#include <string.h>

#include "tests/gen/util.h"

#define NPROGS 2000

struct scan {
	long r11_stores_by_slot[CF_MAX_STACK_ARGS + 1];
	long calls_by_nargs[CF_MAX_ARGS + 1];
	long classes[8];
};

/* The test's own reading: r11 stores by slot (offset -8k), call sites by
 * the callee's declared count, instructions by class. */
static void scan_prog(struct scan *sc, const struct cf_prog *p)
{
	for (int fi = 0; fi < p->nfuncs; fi++) {
		const struct cf_func *f = &p->funcs[fi];

		for (int pc = 0; pc < f->ninsns; pc++) {
			const struct bpf_insn *i = &f->insns[pc];

			sc->classes[i->code & 7]++;
			if (i->code == (BPF_LD | BPF_IMM | BPF_DW)) {
				pc++;
				continue;
			}
			if ((i->code == (BPF_STX | BPF_MEM | BPF_DW) || i->code == (BPF_ST | BPF_MEM | BPF_DW)) &&
			    i->dst_reg == 11 && i->off < 0 && -i->off / 8 <= CF_MAX_STACK_ARGS)
				sc->r11_stores_by_slot[-i->off / 8]++;
			if (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_CALL)
				sc->calls_by_nargs[p->funcs[i->imm].nargs]++;
		}
	}
}

static void gather(enum gen_profile profile, int max_args, struct gen_stats *st, struct scan *sc)
{
	struct gen_opts go;
	uint8_t *buf = malloc(8192);
	uint64_t seed = 42;

	gen_opts_default(&go);
	go.profile = profile;
	go.max_args = max_args;
	memset(st, 0, sizeof(*st));
	memset(sc, 0, sizeof(*sc));
	for (int i = 0; i < NPROGS; i++) {
		size_t len = gen_test_bytes(&seed, buf, 8192);
		struct cf_prog p;
		struct cf_err err;

		if (gen_program(buf, len, &go, &p, &err)) {
			test_fail(__FILE__, __LINE__, "gen_program: %s", err.msg);
			break;
		}
		gen_stats_add(st, &p);
		scan_prog(sc, &p);
		cf_prog_free(&p);
	}
	free(buf);
}

TEST(gen_distribution_reaches_every_arg_count_depth_and_form)
{
	struct gen_stats st;
	struct scan sc;

	gather(GEN_PROFILE_MODEL, CF_MAX_ARGS, &st, &sc);
	CHECK_EQ(st.programs, NPROGS);
	for (int n = 0; n <= CF_MAX_ARGS; n++) {
		CHECK_MSG(sc.calls_by_nargs[n] > 0, "no call site of a %d-argument callee", n);
		CHECK_EQ(st.callee_nargs[n], sc.calls_by_nargs[n]);
	}
	CHECK_MSG(st.depth[CF_MAX_FRAMES] > 0, "no call chain of %d frames", CF_MAX_FRAMES);
	CHECK_MSG(st.chain_stack[4] > 0, "no call chain using all 512 bytes of stack");
	for (int c = 0; c < 8; c++) {
		CHECK_MSG(sc.classes[c] > 0, "instruction class %d never generated", c);
		CHECK_EQ(st.classes[c], sc.classes[c]);
	}
	for (int k = 1; k <= CF_MAX_STACK_ARGS; k++)
		CHECK_MSG(sc.r11_stores_by_slot[k] > 0, "no store to stack-arg slot %d (arg %d)", k, 5 + k);
	CHECK(st.slot_args_reg > 0);  /* args 6..8: x5..x7 */
	CHECK(st.slot_args_mem > 0);  /* args 9..12: memory */
	CHECK(st.slot_st_imm > 0);
	CHECK(st.slot_stx > 0);
	CHECK(st.slot_loads > 0);
	CHECK(st.ptr_args_reg > 0);
	CHECK(st.ptr_args_slot > 0);
	CHECK(st.ldimm64 > 0);
	CHECK(st.ldsx > 0);
	CHECK(st.atomics > 0);
	CHECK(st.atomic_fetch > 0);
	CHECK(st.movsx > 0);
	CHECK(st.sdiv_smod > 0);
	CHECK(st.end_bswap > 0);
	CHECK(st.neg > 0);
	CHECK(st.back_jumps > 0);
	CHECK(st.gotol > 0);
	CHECK(st.global_funcs > 0);
	CHECK(st.helper_calls > 0);
	CHECK(st.kfunc_calls > 0);
}

TEST(gen_kernel_profile_has_no_helpers_and_respects_max_args)
{
	struct gen_stats st;
	struct scan sc;

	gather(GEN_PROFILE_KERNEL, CF_MAX_REG_ARGS, &st, &sc);
	CHECK_EQ(st.helper_calls, 0);
	CHECK_EQ(st.kfunc_calls, 0);
	for (int k = 1; k <= CF_MAX_STACK_ARGS; k++)
		CHECK_EQ(sc.r11_stores_by_slot[k], 0);
	CHECK_EQ(st.slot_loads, 0);
	for (int n = CF_MAX_REG_ARGS + 1; n <= CF_MAX_ARGS; n++)
		CHECK_EQ(st.funcs_nargs[n], 0);
	for (int n = 0; n <= CF_MAX_REG_ARGS; n++)
		CHECK_MSG(sc.calls_by_nargs[n] > 0, "no call site of a %d-argument callee", n);
	CHECK(st.ptr_args_reg > 0);
	CHECK(st.depth[CF_MAX_FRAMES] > 0);
}

/* tests/gen/gen_distribution.c: the generator reaches the corners it is
 * for. Over 2,000 programs of random bytes: every callee argument count
 * 0..12, a call chain of CF_MAX_FRAMES frames, a chain using the whole
 * 512-byte stack, every instruction class and the ISA v4 forms, stack-arg
 * slots in registers (args 6..8) and in memory (9..12) in both store forms,
 * pointer arguments in registers and in stack slots, other instructions
 * between incoming r11 loads and between outgoing r11 stores and their
 * call. The counts come from gen_stats_add, which reads the programs; the
 * pointer and slot counts are cross-checked here by an independent scan
 * of the instructions, which alone counts the gaps. */
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
	long load_gaps;  /* non-r11 insns between two incoming r11 loads of a function */
	long store_gaps; /* non-r11 insns between an outgoing r11 store and its call */
	/* of those, the ones an arm64 JIT lowers through a temporary register:
	 * MOD/DIV by an immediate, atomics, stores through a base other than
	 * r10 (argument set-up that only saves, folds and makes values has
	 * none of them) */
	long load_gaps_tmp, store_gaps_tmp;
};

static bool uses_jit_temp(const struct bpf_insn *i)
{
	int cls = i->code & 7, op = i->code & 0xf0;

	if ((cls == BPF_ALU || cls == BPF_ALU64) && (i->code & BPF_X) == 0 && (op == BPF_MOD || op == BPF_DIV))
		return true;
	if (cls == BPF_STX && (i->code & 0xe0) == BPF_ATOMIC)
		return true;
	return (cls == BPF_ST || cls == BPF_STX) && i->dst_reg != BPF_REG_10;
}

static bool is_r11_load(const struct bpf_insn *i)
{
	return i->code == (BPF_LDX | BPF_MEM | BPF_DW) && i->src_reg == BPF_REG_PARAMS;
}

static bool is_r11_store(const struct bpf_insn *i)
{
	return (i->code == (BPF_STX | BPF_MEM | BPF_DW) || i->code == (BPF_ST | BPF_MEM | BPF_DW)) &&
	       i->dst_reg == BPF_REG_PARAMS;
}

/* Gaps in one function, in instruction order: instructions after the
 * first incoming load that precede a later one (pending until that load
 * comes), and instructions after an outgoing store that reach a call
 * with no jump or exit in between (straight-line, so they do sit
 * between the store and the call on the path). */
static void scan_gaps(struct scan *sc, const struct cf_func *f)
{
	long since_load = -1, since_store = -1, tmp_load = 0, tmp_store = 0;

	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];
		int cls = i->code & 7;

		if (is_r11_load(i)) {
			if (since_load > 0)
				sc->load_gaps += since_load, sc->load_gaps_tmp += tmp_load;
			since_load = 0, tmp_load = 0;
			continue;
		}
		if (is_r11_store(i)) {
			if (since_store < 0)
				since_store = 0, tmp_store = 0;
			continue;
		}
		if (i->code == (BPF_JMP | BPF_CALL)) {
			if (since_store > 0)
				sc->store_gaps += since_store, sc->store_gaps_tmp += tmp_store;
			since_store = -1;
			since_load = -1; /* stack-args.md 2.4: no load after a call */
			continue;
		}
		if (cls == BPF_JMP || cls == BPF_JMP32) {
			since_store = -1;
			since_load = -1;
			continue;
		}
		if (since_load >= 0)
			since_load++, tmp_load += uses_jit_temp(i);
		if (since_store >= 0)
			since_store++, tmp_store += uses_jit_temp(i);
		if (i->code == (BPF_LD | BPF_IMM | BPF_DW))
			pc++;
	}
}

/* The test's own reading: r11 stores by slot (offset -8k), call sites by
 * the callee's declared count, instructions by class. */
static void scan_prog(struct scan *sc, const struct cf_prog *p)
{
	for (int fi = 0; fi < p->nfuncs; fi++) {
		const struct cf_func *f = &p->funcs[fi];

		scan_gaps(sc, f);
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
	CHECK_MSG(st.depth[CF_MODEL_MAX_FRAMES] > 0, "no call chain of %d frames", CF_MODEL_MAX_FRAMES);
	for (int d = CF_MODEL_MAX_FRAMES + 1; d <= CF_MAX_FRAMES; d++)
		CHECK_EQ(st.depth[d], 0);
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
	/* args 6..8 wait in x5..x7 while other code runs: before their load
	 * in the callee, after their store in the caller */
	CHECK_MSG(sc.load_gaps > 0, "no instruction between two incoming r11 loads");
	CHECK_MSG(sc.store_gaps > 0, "no instruction between an outgoing r11 store and its call");
	CHECK_MSG(sc.load_gaps_tmp > 0, "no MOD/DIV imm, atomic or non-r10 store between incoming r11 loads");
	CHECK_MSG(sc.store_gaps_tmp > 0, "no MOD/DIV imm, atomic or non-r10 store between an r11 store and its call");
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
	CHECK(st.depth[CF_MODEL_MAX_FRAMES] > 0);
	CHECK_EQ(st.may_goto, 0);
}

/* The vm target on a 7.2 kernel (docs/kernel-paths.md): each kernel
 * helper (bpf_loop with callbacks that call functions with stack
 * arguments), in functions with stack arguments too, may_goto in straight code
 * and in loops, chains of all 16 frames; none of the model's callees. */
TEST(gen_vm_profile_reaches_helpers_may_goto_and_16_frames)
{
	struct gen_opts go;
	struct gen_stats st;
	uint8_t *buf = malloc(GEN_SEED_MAX_LEN);
	long by_id[4] = { 0 }, in_stack_arg_funcs = 0, may_goto_in_loops = 0, callbacks_with_stack_arg_calls = 0;

	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	go.kernel_paths = true;
	go.max_frames = CF_MAX_FRAMES;
	go.max_funcs = GEN_VM_MAX_FUNCS;
	memset(&st, 0, sizeof(st));
	for (int i = 0; i < NPROGS; i++) {
		size_t len = gen_bytes_from_seed((uint64_t)i + 7000, -1, buf, GEN_SEED_MAX_LEN);
		struct cf_prog p;
		struct cf_err err;

		REQUIRE(gen_program(buf, len, &go, &p, &err) == 0);
		gen_stats_add(&st, &p);
		for (int fi = 0; fi < p.nfuncs; fi++) {
			const struct cf_func *f = &p.funcs[fi];
			int last_back_target = -1, last_back = -1;

			for (int pc = 0; pc < f->ninsns; pc++) {
				const struct bpf_insn *in = &f->insns[pc];

				if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) != BPF_CALL &&
				    BPF_OP(in->code) != BPF_EXIT && in->off < 0) {
					last_back_target = pc + 1 + in->off;
					last_back = pc;
				}
			}
			for (int pc = 0; pc < f->ninsns; pc++) {
				const struct bpf_insn *in = &f->insns[pc];

				if (cf_insn_is_may_goto(in) && pc > last_back_target && pc < last_back)
					may_goto_in_loops++;
				if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg)
					continue;
				CHECK(cf_callee_find(false, in->imm) && cf_callee_find(false, in->imm)->kernel);
				by_id[in->imm == CF_KHELPER_GET_SMP_PROCESSOR_ID ? 0 : in->imm == CF_KHELPER_STRTOL ? 1 :
				      in->imm == CF_KHELPER_STRTOUL ? 2 : 3]++;
				if (f->nargs > CF_MAX_REG_ARGS)
					in_stack_arg_funcs++;
			}
		}
		/* a callback (named by an ldimm64) that calls a function with
		 * stack arguments: the JIT's stack-argument code entered from C */
		for (int fi = 0; fi < p.nfuncs; fi++)
			for (int pc = 0; pc < p.funcs[fi].ninsns; pc++) {
				const struct cf_func *cb;

				if (!cf_insn_is_pseudo_func(&p.funcs[fi].insns[pc]))
					continue;
				cb = &p.funcs[p.funcs[fi].insns[pc].imm];
				for (int k = 0; k < cb->ninsns; k++)
					if (cf_insn_is_pseudo_call(&cb->insns[k]) &&
					    p.funcs[cb->insns[k].imm].nargs > CF_MAX_REG_ARGS)
						callbacks_with_stack_arg_calls++;
			}
		cf_prog_free(&p);
	}
	free(buf);
	CHECK_EQ(st.kfunc_calls, 0);
	CHECK_MSG(callbacks_with_stack_arg_calls > 0, "no callback calls a function with stack arguments");
	for (int k = 0; k < 4; k++)
		CHECK_MSG(by_id[k] > 0, "kernel helper %d never called", k);
	CHECK_MSG(in_stack_arg_funcs > 0, "no helper call in a function with stack arguments");
	CHECK_MSG(st.may_goto > 0, "no may_goto");
	CHECK_MSG(may_goto_in_loops > 0, "no may_goto inside a loop");
	CHECK_MSG(st.depth[CF_MAX_FRAMES] > 0, "no call chain of %d frames", CF_MAX_FRAMES);
}

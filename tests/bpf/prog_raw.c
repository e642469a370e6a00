/* The flat form: what cf_prog_from_raw refuses, and how calls map. */
#include "bpf/bpf.h"
#include "tests/test.h"

#include <stdlib.h>

/* Two functions: main (slots 0..2) and f (slots 3..4). */
static void two_funcs(struct bpf_insn *insns, struct cf_raw_func *funcs, struct cf_raw *raw)
{
	insns[0] = cf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 2); /* 0 + 1 + 2 = 3: f */
	insns[1] = cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	insns[2] = cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	insns[3] = cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 7);
	insns[4] = cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	funcs[0] = (struct cf_raw_func){ .name = "main", .start = 0, .nargs = 1 };
	funcs[1] = (struct cf_raw_func){ .name = "f", .start = 3, .nargs = 0 };
	*raw = (struct cf_raw){ .insns = insns, .ninsns = 5, .funcs = funcs, .nfuncs = 2 };
}

TEST(prog_from_raw_maps_calls_to_function_indices)
{
	struct bpf_insn insns[5];
	struct cf_raw_func funcs[2];
	struct cf_raw raw, back;
	struct cf_prog p;
	struct cf_err err;

	two_funcs(insns, funcs, &raw);
	REQUIRE_MSG(cf_prog_from_raw(&p, &raw, &err) == 0, "%s", err.msg);
	CHECK_EQ(p.nfuncs, 2);
	CHECK_EQ(p.funcs[0].insns[0].imm, 1); /* callee index of f */
	REQUIRE(cf_prog_to_raw(&p, &back, &err) == 0);
	CHECK_EQ(back.insns[0].imm, 2);       /* relative again */
	cf_raw_free(&back);
	cf_prog_free(&p);
}

TEST(prog_from_raw_refuses_jumps_out_of_a_function)
{
	struct bpf_insn insns[5];
	struct cf_raw_func funcs[2];
	struct cf_raw raw;
	struct cf_prog p;
	struct cf_err err;

	two_funcs(insns, funcs, &raw);
	insns[1] = cf_insn(BPF_JMP | BPF_JA, 0, 0, 1, 0); /* 1 + 1 + 1 = 3: into f */
	CHECK(cf_prog_from_raw(&p, &raw, &err) != 0);
	CHECK_CONTAINS(err.msg, "jump to 3 leaves function 0");

	two_funcs(insns, funcs, &raw);
	insns[3] = cf_insn(BPF_JMP32 | BPF_JA, 0, 0, 0, -3); /* gotol: 3 + 1 - 3 = 1: into main */
	CHECK(cf_prog_from_raw(&p, &raw, &err) != 0);
	CHECK_CONTAINS(err.msg, "jump to 1 leaves function 1");
}

TEST(prog_from_raw_refuses_global_functions_over_five_args)
{
	struct bpf_insn insns[5];
	struct cf_raw_func funcs[2];
	struct cf_raw raw;
	struct cf_prog p;
	struct cf_err err;

	two_funcs(insns, funcs, &raw);
	funcs[1].global = true;
	funcs[1].nargs = 6;
	CHECK(cf_prog_from_raw(&p, &raw, &err) != 0);
	CHECK_CONTAINS(err.msg, "global function 1 takes 6 args");
}

/* A second half of LD_IMM64 whose bytes look like a pseudo call must not
 * be read as one, nor make the next call be skipped. */
TEST(prog_raw_ldimm64_second_half_is_data)
{
	struct bpf_insn insns[7];
	struct cf_raw_func funcs[2];
	struct cf_raw raw, back;
	struct cf_prog p;
	struct cf_err err;

	insns[0] = cf_insn(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1);
	insns[1] = cf_insn(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 0); /* second half, code 0x18 */
	insns[2] = cf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 2); /* 2 + 1 + 2 = 5: f */
	insns[3] = cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	insns[4] = cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	insns[5] = cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 7);
	insns[6] = cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	funcs[0] = (struct cf_raw_func){ .name = "main", .start = 0, .nargs = 1 };
	funcs[1] = (struct cf_raw_func){ .name = "f", .start = 5 };
	raw = (struct cf_raw){ .insns = insns, .ninsns = 7, .funcs = funcs, .nfuncs = 2 };
	REQUIRE_MSG(cf_prog_from_raw(&p, &raw, &err) == 0, "%s", err.msg);
	CHECK_EQ(p.funcs[0].insns[2].imm, 1); /* callee index, not the relative 2 */
	REQUIRE(cf_prog_to_raw(&p, &back, &err) == 0);
	CHECK_EQ(back.insns[2].imm, 2);
	cf_raw_free(&back);
	cf_prog_free(&p);
}

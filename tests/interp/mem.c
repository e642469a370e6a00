/* tests/interp/mem.c: loads and stores of every size on the stack and the
 * ctx buffer, little-endian byte layout, sign extension, and the bounds and
 * initialization checks that turn bad accesses into faults naming the insn. */
#include "tests/interp/util.h"
#include "tests/test.h"

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define FP BPF_REG_10

/* Store 0x1122334455667788 at r10-8 (bytes 88 77 66 55 44 33 22 11), then
 * one load: r0 = that load. */
static uint64_t load_after_dw_store(struct bpf_insn load, bool *ok)
{
	struct cf_prog p;
	struct cf_func *f;
	struct interp_result res;

	cf_prog_init(&p);
	f = t_func(&p, "main", 1);
	t_ld64(f, R2, 0x1122334455667788ULL);
	t_emit(f, STX(BPF_DW, FP, R2, -8));
	t_emit(f, load);
	t_emit(f, EXIT());
	t_run(&p, NULL, &res);
	cf_prog_free(&p);
	*ok = res.status == INTERP_OK;
	return res.r0;
}

TEST(mem_loads_little_endian_zero_and_sign_extend)
{
	static const struct {
		struct bpf_insn load;
		uint64_t want;
	} cases[] = {
		{ LDX(BPF_B, R0, FP, -8), 0x88 },
		{ LDX(BPF_B, R0, FP, -1), 0x11 },
		{ LDX(BPF_H, R0, FP, -6), 0x5566 },
		{ LDX(BPF_W, R0, FP, -4), 0x11223344 },
		{ LDX(BPF_W, R0, FP, -8), 0x55667788 },
		{ LDX(BPF_DW, R0, FP, -8), 0x1122334455667788ULL },
		{ LDSX(BPF_B, R0, FP, -8), 0xffffffffffffff88ULL },
		{ LDSX(BPF_B, R0, FP, -5), 0x55 },
		{ LDSX(BPF_H, R0, FP, -8), 0x7788 },
		{ LDSX(BPF_H, R0, FP, -7), 0x6677 },
		{ LDSX(BPF_W, R0, FP, -8), 0x55667788 },
		{ LDSX(BPF_W, R0, FP, -7), 0x44556677 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok;
		uint64_t got = load_after_dw_store(cases[i].load, &ok);

		CHECK_MSG(ok && got == cases[i].want, "case %zu: got 0x%" PRIx64 " want 0x%" PRIx64, i, got,
			  cases[i].want);
	}
}

TEST(mem_ldsx_negative_halves)
{
	/* bytes at r10-8: 00 80 00 00 00 80 ff ff */
	struct bpf_insn insns[] = {
		ST(BPF_DW, FP, -8, 0),
		ST(BPF_H, FP, -7, 0x80),       /* byte -7 = 0x80, byte -6 = 0 */
		ST(BPF_W, FP, -4, (int32_t)0xffff8000),
		LDSX(BPF_H, R1, FP, -4),       /* 0x8000 -> -32768 */
		LDSX(BPF_W, R2, FP, -4),       /* 0xffff8000 -> -32768 */
		LDSX(BPF_B, R0, FP, -7),       /* 0x80 -> -128 */
		ALU64_REG(BPF_ADD, R0, R1),
		ALU64_REG(BPF_ADD, R0, R2),
		EXIT(),
	};
	struct interp_result res;

	t_run_insns(insns, 9, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, (uint64_t)(-128 - 32768 - 32768));
}

TEST(mem_stores_truncate_and_imm_sign_extends)
{
	struct cf_prog p;
	struct cf_func *f;
	struct interp_result res;

	cf_prog_init(&p);
	f = t_func(&p, "main", 1);
	t_emit(f, ST(BPF_DW, FP, -8, -1));        /* ff x8 */
	t_emit(f, ST(BPF_DW, FP, -16, 0));
	t_emit(f, ST(BPF_W, FP, -16, -1));        /* ff ff ff ff 00 00 00 00 */
	t_ld64(f, R2, 0xa1a2a3a4a5a6a7a8ULL);
	t_emit(f, STX(BPF_B, FP, R2, -12));       /* byte -12 = a8 */
	t_emit(f, STX(BPF_H, FP, R2, -10));       /* bytes -10,-9 = a8 a7 */
	t_emit(f, LDX(BPF_DW, R0, FP, -16));
	t_emit(f, LDX(BPF_DW, R1, FP, -8));
	t_emit(f, ALU64_REG(BPF_XOR, R0, R1));
	t_emit(f, EXIT());
	t_run(&p, NULL, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	/* memory at -16: ff ff ff ff a8 00 a8 a7 -> 0xa7a800a8ffffffff; xor all-ones */
	CHECK_EQ(res.r0, ~0xa7a800a8ffffffffULL);
	cf_prog_free(&p);
}

TEST(mem_ctx_read_write)
{
	uint8_t ctx[CF_CTX_SIZE];
	struct bpf_insn insns[] = {
		LDX(BPF_W, R0, R1, 252),         /* last 4 bytes */
		ST(BPF_B, R1, 0, 0x5a),
		STX(BPF_DW, R1, R0, 8),
		LDX(BPF_H, R2, R1, 0),           /* 0x5a and ctx[1] */
		ALU64_REG(BPF_ADD, R0, R2),
		EXIT(),
	};
	struct cf_prog p;
	struct interp_result res;

	for (int i = 0; i < CF_CTX_SIZE; i++)
		ctx[i] = (uint8_t)i;
	cf_prog_init(&p);
	t_emitn(t_func(&p, "main", 1), insns, 6);
	t_run(&p, ctx, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	/* bytes 252..255 = fc fd fe ff; ctx[1] = 1 */
	CHECK_EQ(res.r0, 0xfffefdfcULL + 0x015a);
	CHECK_EQ(res.ctx[0], 0x5a);
	CHECK_EQ(res.ctx[8], 0xfc);
	CHECK_EQ(res.ctx[11], 0xff);
	CHECK_EQ(res.ctx[12], 0);
	CHECK_EQ(res.ctx[16], 16);
	cf_prog_free(&p);
}

struct bad_access {
	const char *what;
	struct bpf_insn insns[4];
	int n;
	const char *msg; /* substring of the fault */
};

TEST(mem_out_of_bounds_and_uninitialized_fault)
{
	static const struct bad_access cases[] = {
		{ "ctx end", { LDX(BPF_B, R0, R1, 256), EXIT() }, 2,
		  "func main insn 0: load of 1 bytes at ctx+256 is outside the 256-byte ctx" },
		{ "ctx straddle", { STX(BPF_DW, R1, R1, 252), EXIT() }, 2,
		  "func main insn 0: store of 8 bytes at ctx+252" },
		{ "ctx below", { LDX(BPF_W, R0, R1, -4), EXIT() }, 2, "func main insn 0: load of 4 bytes at ctx-4" },
		{ "above r10", { ST(BPF_W, FP, 0, 1), EXIT() }, 2,
		  "func main insn 0: store of 4 bytes at r10+0 of frame 0 is outside its 512-byte stack" },
		{ "below the stack", { MOV64_IMM(R0, 0), ST(BPF_B, FP, -513, 1), EXIT() }, 3,
		  "func main insn 1: store of 1 bytes at r10-513 of frame 0" },
		{ "uninitialized", { ST(BPF_W, FP, -8, 1), LDX(BPF_DW, R0, FP, -8), EXIT() }, 3,
		  "func main insn 1: load of 8 bytes at r10-8 of frame 0 reads stack bytes never written" },
		{ "wild pointer", { MOV64_IMM(R1, 4096), LDX(BPF_DW, R0, R1, 0), EXIT() }, 3,
		  "func main insn 1: load of 8 bytes at 0x1000: not the ctx or a live stack" },
		{ "frame not live", { MOV64_REG(R1, FP), ALU64_IMM(BPF_ADD, R1, 0x1000), ST(BPF_DW, R1, -8, 0), EXIT() },
		  4, "func main insn 2: store of 8 bytes at frame 1's r10-8: that frame is not live" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct interp_result res;

		t_run_insns(cases[i].insns, cases[i].n, &res);
		CHECK_MSG(res.status == INTERP_FAULT, "%s: status %d", cases[i].what, res.status);
		CHECK_CONTAINS(res.fault, cases[i].msg);
	}
}

TEST(mem_r10_points_at_512_byte_stack)
{
	/* the whole stack is usable: r10-512 .. r10-1 */
	struct bpf_insn insns[] = {
		ST(BPF_DW, FP, -512, 7),
		ST(BPF_B, FP, -1, 9),
		LDX(BPF_DW, R0, FP, -512),
		LDX(BPF_B, R1, FP, -1),
		ALU64_REG(BPF_ADD, R0, R1),
		EXIT(),
	};
	struct interp_result res;

	t_run_insns(insns, 6, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 16);
}

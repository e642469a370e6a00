/* tests/interp/atomic.c: every atomic, W and DW, with and without
 * BPF_FETCH; xchg; cmpxchg success and failure; load-acquire and
 * store-release. Expected values by hand. */
#include "tests/interp/util.h"
#include "tests/test.h"

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define FP BPF_REG_10

/* mem = m (DW at r10-8); r0 = r0_in; r1 = s; <atomic size op at r10-8 with src
 * r1>; results: memory (DW at r10-8), r1 and r0 after, one run each. */
struct atomic_out {
	bool ok;
	uint64_t mem, src, r0;
};

static struct atomic_out run_atomic(int size, int32_t op, uint64_t m, uint64_t s, uint64_t r0_in)
{
	struct cf_prog p;
	struct cf_func *f;
	struct interp_result res;
	struct atomic_out out;

	cf_prog_init(&p);
	f = t_func(&p, "main", 1);
	t_ld64(f, R2, m);
	t_emit(f, STX(BPF_DW, FP, R2, -8));
	t_ld64(f, R1, s);
	t_ld64(f, R0, r0_in);
	t_emit(f, ATOMIC(size, op, FP, R1, -8));
	t_emit(f, LDX(BPF_DW, R0, FP, -8));
	t_emit(f, EXIT());
	t_run(&p, NULL, &res);
	out.ok = res.status == INTERP_OK;
	out.mem = res.r0;
	cf_prog_free(&p);

	cf_prog_init(&p);
	f = t_func(&p, "main", 1);
	t_ld64(f, R2, m);
	t_emit(f, STX(BPF_DW, FP, R2, -8));
	t_ld64(f, R1, s);
	t_ld64(f, R0, r0_in);
	t_emit(f, ATOMIC(size, op, FP, R1, -8));
	t_emit(f, MOV64_REG(R0, R1));
	t_emit(f, EXIT());
	t_run(&p, NULL, &res);
	out.ok &= res.status == INTERP_OK;
	out.src = res.r0;
	cf_prog_free(&p);

	cf_prog_init(&p);
	f = t_func(&p, "main", 1);
	t_ld64(f, R2, m);
	t_emit(f, STX(BPF_DW, FP, R2, -8));
	t_ld64(f, R1, s);
	t_ld64(f, R0, r0_in);
	t_emit(f, ATOMIC(size, op, FP, R1, -8));
	t_emit(f, EXIT());
	t_run(&p, NULL, &res);
	out.ok &= res.status == INTERP_OK;
	out.r0 = res.r0;
	cf_prog_free(&p);
	return out;
}

#define M 0xf0f0f0f0f0f0f0f0ULL
#define S 0x0ff00ff00ff00ff1ULL
#define Z 0x5555555555555555ULL /* r0 before, when not compared */

TEST(atomic_all_ops_both_widths)
{
	static const struct {
		const char *what;
		int size;
		int32_t op;
		uint64_t m, s, r0_in;
		uint64_t mem, src, r0;
	} cases[] = {
		/* DW: memory = m op s; fetch forms return the old value in src */
		{ "add", BPF_DW, BPF_ADD, M, S, Z, M + S, S, Z },
		{ "add fetch", BPF_DW, BPF_ADD | BPF_FETCH, M, S, Z, M + S, M, Z },
		{ "and", BPF_DW, BPF_AND, M, S, Z, 0x00f000f000f000f0ULL, S, Z },
		{ "and fetch", BPF_DW, BPF_AND | BPF_FETCH, M, S, Z, 0x00f000f000f000f0ULL, M, Z },
		{ "or", BPF_DW, BPF_OR, M, S, Z, 0xfff0fff0fff0fff1ULL, S, Z },
		{ "or fetch", BPF_DW, BPF_OR | BPF_FETCH, M, S, Z, 0xfff0fff0fff0fff1ULL, M, Z },
		{ "xor", BPF_DW, BPF_XOR, M, S, Z, 0xff00ff00ff00ff01ULL, S, Z },
		{ "xor fetch", BPF_DW, BPF_XOR | BPF_FETCH, M, S, Z, 0xff00ff00ff00ff01ULL, M, Z },
		{ "xchg", BPF_DW, BPF_XCHG, M, S, Z, S, M, Z },
		{ "cmpxchg hit", BPF_DW, BPF_CMPXCHG, M, S, M, S, S, M },
		{ "cmpxchg miss", BPF_DW, BPF_CMPXCHG, M, S, M + 1, M, S, M },
		/* W: only the low 4 bytes of memory change; fetched values are
		 * zero-extended */
		{ "add32", BPF_W, BPF_ADD, M, S, Z, 0xf0f0f0f000e100e1ULL, S, Z },
		{ "add32 fetch", BPF_W, BPF_ADD | BPF_FETCH, M, S, Z, 0xf0f0f0f000e100e1ULL, 0xf0f0f0f0, Z },
		{ "and32 fetch", BPF_W, BPF_AND | BPF_FETCH, M, S, Z, 0xf0f0f0f000f000f0ULL, 0xf0f0f0f0, Z },
		{ "or32", BPF_W, BPF_OR, M, S, Z, 0xf0f0f0f0fff0fff1ULL, S, Z },
		{ "xor32 fetch", BPF_W, BPF_XOR | BPF_FETCH, M, S, Z, 0xf0f0f0f0ff00ff01ULL, 0xf0f0f0f0, Z },
		{ "xchg32", BPF_W, BPF_XCHG, M, S, Z, 0xf0f0f0f00ff00ff1ULL, 0xf0f0f0f0, Z },
		/* cmpxchg32 compares the low half of r0 only; r0 = zero-extended old */
		{ "cmpxchg32 hit", BPF_W, BPF_CMPXCHG, M, S, 0x12345678f0f0f0f0ULL, 0xf0f0f0f00ff00ff1ULL, S, 0xf0f0f0f0 },
		{ "cmpxchg32 miss", BPF_W, BPF_CMPXCHG, M, S, 0xf0f0f0f1, M, S, 0xf0f0f0f0 },
		/* load-acquire (dst = *src) and store-release (*dst = src) */
		{ "store-release DW", BPF_DW, 0x110, M, S, Z, S, S, Z },
		{ "store-release W", BPF_W, 0x110, M, S, Z, 0xf0f0f0f00ff00ff1ULL, S, Z },
		{ "store-release H", BPF_H, 0x110, M, S, Z, 0xf0f0f0f0f0f00ff1ULL, S, Z },
		{ "store-release B", BPF_B, 0x110, M, S, Z, 0xf0f0f0f0f0f0f0f1ULL, S, Z },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct atomic_out o = run_atomic(cases[i].size, cases[i].op, cases[i].m, cases[i].s, cases[i].r0_in);

		CHECK_MSG(o.ok, "%s: did not exit", cases[i].what);
		CHECK_MSG(o.mem == cases[i].mem, "%s: memory 0x%" PRIx64 " want 0x%" PRIx64, cases[i].what, o.mem,
			  cases[i].mem);
		CHECK_MSG(o.src == cases[i].src, "%s: src 0x%" PRIx64 " want 0x%" PRIx64, cases[i].what, o.src,
			  cases[i].src);
		CHECK_MSG(o.r0 == cases[i].r0, "%s: r0 0x%" PRIx64 " want 0x%" PRIx64, cases[i].what, o.r0,
			  cases[i].r0);
	}
}

TEST(atomic_load_acquire_sizes)
{
	static const struct {
		int size;
		uint64_t want;
	} cases[] = { { BPF_B, 0x88 }, { BPF_H, 0x7788 }, { BPF_W, 0x55667788 }, { BPF_DW, 0x1122334455667788ULL } };

	for (size_t i = 0; i < 4; i++) {
		struct cf_prog p;
		struct cf_func *f;
		struct interp_result res;

		cf_prog_init(&p);
		f = t_func(&p, "main", 1);
		t_ld64(f, R2, 0x1122334455667788ULL);
		t_emit(f, STX(BPF_DW, FP, R2, -8));
		t_emit(f, ATOMIC(cases[i].size, 0x100, R0, FP, -8)); /* r0 = load_acquire(r10 - 8) */
		t_emit(f, EXIT());
		t_run(&p, NULL, &res);
		CHECK_MSG(res.status == INTERP_OK && res.r0 == cases[i].want, "size 0x%x: 0x%" PRIx64 " (%s)",
			  cases[i].size, res.r0, res.fault);
		cf_prog_free(&p);
	}
}

TEST(atomic_on_ctx_and_uninitialized_stack)
{
	uint8_t ctx[CF_CTX_SIZE] = { 0 };
	struct bpf_insn on_ctx[] = {
		MOV64_IMM(R2, 5),
		ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, R1, R2, 16),
		MOV64_REG(R0, R2),
		EXIT(),
	};
	struct bpf_insn on_uninit[] = {
		MOV64_IMM(R2, 5),
		ATOMIC(BPF_DW, BPF_ADD, FP, R2, -16),
		EXIT(),
	};
	struct cf_prog p;
	struct interp_result res;

	ctx[16] = 0x10;
	cf_prog_init(&p);
	t_emitn(t_func(&p, "main", 1), on_ctx, 4);
	t_run(&p, ctx, &res);
	REQUIRE_MSG(res.status == INTERP_OK, "%s", res.fault);
	CHECK_EQ(res.r0, 0x10);
	CHECK_EQ(res.ctx[16], 0x15);
	cf_prog_free(&p);

	t_run_insns(on_uninit, 3, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func main insn 1: load of 8 bytes at r10-16 of frame 0 reads stack bytes never written");
}

TEST(atomic_invalid_ops_fault)
{
	struct bpf_insn insns[] = {
		ST(BPF_DW, FP, -8, 0),
		MOV64_IMM(R2, 1),
		ATOMIC(BPF_DW, BPF_SUB, FP, R2, -8), /* no atomic sub */
		EXIT(),
	};
	struct bpf_insn add8[] = {
		ST(BPF_DW, FP, -8, 0),
		MOV64_IMM(R2, 1),
		ATOMIC(BPF_B, BPF_ADD, FP, R2, -8), /* add comes in W and DW only */
		EXIT(),
	};
	struct interp_result res;

	t_run_insns(insns, 4, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func main insn 2: invalid atomic operation");
	t_run_insns(add8, 4, &res);
	CHECK_EQ(res.status, INTERP_FAULT);
	CHECK_CONTAINS(res.fault, "func main insn 2: invalid atomic operation");
}

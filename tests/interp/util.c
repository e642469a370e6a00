/* tests/interp/util.c: see util.h. */
#include "tests/interp/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test.h"

struct cf_func *t_func(struct cf_prog *p, const char *name, int nargs)
{
	struct cf_func *f = cf_prog_add_func(p, name, nargs, false);

	f->stack_size = CF_STACK_MAX;
	f->stack_declared = true;
	return f;
}

void t_emit(struct cf_func *f, struct bpf_insn i)
{
	cf_func_emit(f, i, 0);
}

void t_emitn(struct cf_func *f, const struct bpf_insn *insns, int n)
{
	for (int i = 0; i < n; i++)
		cf_func_emit(f, insns[i], 0);
}

void t_ld64(struct cf_func *f, int dst, uint64_t v)
{
	t_emit(f, cf_insn(BPF_LD | BPF_IMM | BPF_DW, (uint8_t)dst, 0, 0, (int32_t)(uint32_t)v));
	t_emit(f, cf_insn(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)));
}

void t_run(const struct cf_prog *p, const uint8_t *ctx, struct interp_result *res)
{
	struct interp_opts o;

	interp_opts_default(&o);
	if (interp_run(p, &o, NULL, ctx, res) != 0)
		test_fail(__FILE__, __LINE__, "interp_run refused the program: %s", res->fault);
}

void t_run_insns(const struct bpf_insn *insns, int n, struct interp_result *res)
{
	struct cf_prog p;

	cf_prog_init(&p);
	t_emitn(t_func(&p, "main", 1), insns, n);
	t_run(&p, NULL, res);
	cf_prog_free(&p);
}

uint64_t t_alu(uint8_t code, int16_t off, int32_t imm, uint64_t dst, uint64_t src, bool *ok)
{
	struct interp_result *res = malloc(sizeof(*res));
	struct cf_prog p;
	struct cf_func *f;
	uint64_t r0;

	cf_prog_init(&p);
	f = t_func(&p, "main", 1);
	t_ld64(f, BPF_REG_1, dst);
	t_ld64(f, BPF_REG_2, src);
	/* END and BSWAP use the X bit for to_be and have no source register */
	t_emit(f, cf_insn(code, BPF_REG_1, BPF_SRC(code) == BPF_X && BPF_OP(code) != BPF_END ? BPF_REG_2 : 0,
			  off, imm));
	t_emit(f, MOV64_REG(BPF_REG_0, BPF_REG_1));
	t_emit(f, EXIT());
	t_run(&p, NULL, res);
	*ok = res->status == INTERP_OK;
	if (!*ok)
		fprintf(stderr, "  t_alu(0x%02x): %s\n", code, res->fault);
	r0 = res->r0;
	free(res);
	cf_prog_free(&p);
	return r0;
}

bool t_parse(const char *text, struct cf_prog *p)
{
	struct cf_err err;

	cf_prog_init(p);
	if (cf_asm_parse(text, strlen(text), "test.s", p, &err) != 0) {
		test_fail(__FILE__, __LINE__, "parse: %s", err.msg);
		return false;
	}
	return true;
}

bool t_valid(const struct cf_prog *p, struct cf_err *err)
{
	struct cf_check_opts o;

	cf_check_opts_default(&o);
	/* the interpreter's whole scope: the kernel profile's paths too */
	o.kernel_paths = true;
	o.kfuncs = true;
	o.maps = true;
	o.max_frames = CF_MAX_FRAMES;
	return cf_check(p, &o, err) == 0;
}

static bool run_text(const char *text, const uint8_t *ctx, struct interp_result *res, bool check)
{
	struct cf_prog p;
	struct cf_err err;
	bool ok = true;

	memset(res, 0, sizeof(*res));
	res->status = INTERP_FAULT;
	if (!t_parse(text, &p))
		return false;
	if (check && !t_valid(&p, &err)) {
		test_fail(__FILE__, __LINE__, "the checker rejects a program this test means to be valid: %s", err.msg);
		ok = false;
	}
	t_run(&p, ctx, res);
	cf_prog_free(&p);
	return ok;
}

bool t_run_text(const char *text, const uint8_t *ctx, struct interp_result *res)
{
	return run_text(text, ctx, res, true);
}

bool t_run_text_unchecked(const char *text, const uint8_t *ctx, struct interp_result *res)
{
	return run_text(text, ctx, res, false);
}

/* tests/interp/util.h: building small programs instruction by instruction
 * (struct bpf_insn via cf_insn) and running them through the interpreter. */
#ifndef CALLFUZZ_TESTS_INTERP_UTIL_H
#define CALLFUZZ_TESTS_INTERP_UTIL_H

#include "bpf/bpf.h"
#include "interp/interp.h"

/* A compound literal, so that it also works in static tables. */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define ALU64_IMM(op, dst, imm) INSN(BPF_ALU64 | (op) | BPF_K, dst, 0, 0, imm)
#define ALU64_REG(op, dst, src) INSN(BPF_ALU64 | (op) | BPF_X, dst, src, 0, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define ALU32_REG(op, dst, src) INSN(BPF_ALU | (op) | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) ALU64_IMM(BPF_MOV, dst, imm)
#define MOV64_REG(dst, src) ALU64_REG(BPF_MOV, dst, src)
#define JMP_IMM(op, dst, imm, off) INSN(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define JMP_REG(op, dst, src, off) INSN(BPF_JMP | (op) | BPF_X, dst, src, off, 0)
#define JA(off) INSN(BPF_JMP | BPF_JA, 0, 0, off, 0)
#define LDX(size, dst, src, off) INSN(BPF_LDX | BPF_MEM | (size), dst, src, off, 0)
#define LDSX(size, dst, src, off) INSN(BPF_LDX | BPF_MEMSX | (size), dst, src, off, 0)
#define STX(size, dst, src, off) INSN(BPF_STX | BPF_MEM | (size), dst, src, off, 0)
#define ST(size, dst, off, imm) INSN(BPF_ST | BPF_MEM | (size), dst, 0, off, imm)
#define ATOMIC(size, op, dst, src, off) INSN(BPF_STX | BPF_ATOMIC | (size), dst, src, off, op)
#define CALL_FUNC(idx) INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, idx)
#define CALL_HELPER(id) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define CALL_KFUNC(id) INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, id)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* stack-args.md 1: outgoing slot k (arg 5+k) and incoming slot k */
#define ARG_OUT_REG(k, src) STX(BPF_DW, BPF_REG_PARAMS, src, -8 * (k))
#define ARG_OUT_IMM(k, imm) ST(BPF_DW, BPF_REG_PARAMS, -8 * (k), imm)
#define ARG_IN(dst, k) LDX(BPF_DW, dst, BPF_REG_PARAMS, 8 * (k))

/* Add a function; the entry is the first one added. */
struct cf_func *t_func(struct cf_prog *p, const char *name, int nargs);
void t_emit(struct cf_func *f, struct bpf_insn i);
void t_emitn(struct cf_func *f, const struct bpf_insn *insns, int n);
/* dst = v as LD_IMM64 (two slots). */
void t_ld64(struct cf_func *f, int dst, uint64_t v);

/* Run p with default options; ctx may be NULL (zeros). */
void t_run(const struct cf_prog *p, const uint8_t *ctx, struct interp_result *res);
/* One function made of insns[0..n-1]. */
void t_run_insns(const struct bpf_insn *insns, int n, struct interp_result *res);

/* r1 = dst; r2 = src (LD_IMM64 each); <code with dst r1, src r2, off, imm>;
 * r0 = r1; exit. Returns r0; *ok says whether the run ended at exit. */
uint64_t t_alu(uint8_t code, int16_t off, int32_t imm, uint64_t dst, uint64_t src, bool *ok);



/* Parse asm text (docs/asm.md) into p; false with a test failure if it
 * does not parse. */
bool t_parse(const char *text, struct cf_prog *p);
/* The checker's verdict on p (message in err when rejected). */
bool t_valid(const struct cf_prog *p, struct cf_err *err);
/* Parse, require the checker to accept, run with default options. */
bool t_run_text(const char *text, const uint8_t *ctx, struct interp_result *res);
/* Parse and run without asking the checker (for programs that break a rule
 * on purpose). */
bool t_run_text_unchecked(const char *text, const uint8_t *ctx, struct interp_result *res);
#endif

/* tests/target/exec_test.h: hand encodings of the few arm64 instructions
 * the executor tests need (Arm ARM, base instructions; each checked with
 * `llvm-mc-19 -triple=aarch64 -show-encoding`), and a way to start the
 * executor or skip. */
#ifndef CALLFUZZ_TESTS_EXEC_TEST_H
#define CALLFUZZ_TESTS_EXEC_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness/target/target.h"
#include "tests/test.h"

#define A64_RET 0xd65f03c0u
#define A64_NOP 0xd503201fu
#define A64_B_SELF 0x14000000u  /* b . */
#define A64_SVC0 0xd4000001u
#define A64_UDF0 0x00000000u
#define A64_BRK0 0xd4200000u
#define A64_PUSH_FP_LR 0xa9bf7bfdu /* stp x29, x30, [sp, #-16]! */
#define A64_POP_FP_LR 0xa8c17bfdu  /* ldp x29, x30, [sp], #16 */
#define A64_MOV_FP_SP 0x910003fdu  /* mov x29, sp */
#define A64_SP 31

/* movz xd, #imm16, lsl #(16 * hw) */
static inline uint32_t a64_movz(int d, uint32_t imm16, int hw)
{
	return 0xd2800000u | (uint32_t)hw << 21 | (imm16 & 0xffff) << 5 | (uint32_t)d;
}

/* movk xd, #imm16, lsl #(16 * hw) */
static inline uint32_t a64_movk(int d, uint32_t imm16, int hw)
{
	return 0xf2800000u | (uint32_t)hw << 21 | (imm16 & 0xffff) << 5 | (uint32_t)d;
}

/* blr xn */
static inline uint32_t a64_blr(int n)
{
	return 0xd63f0000u | (uint32_t)n << 5;
}

/* str xt, [xn|sp, #off] (off a multiple of 8, 0..32760) */
static inline uint32_t a64_str(int t, int n, uint32_t off)
{
	return 0xf9000000u | (off / 8) << 10 | (uint32_t)n << 5 | (uint32_t)t;
}

/* ldr xt, [xn|sp, #off] */
static inline uint32_t a64_ldr(int t, int n, uint32_t off)
{
	return 0xf9400000u | (off / 8) << 10 | (uint32_t)n << 5 | (uint32_t)t;
}

/* ldrb / strb wt, [xn, #off] (0..4095) */
static inline uint32_t a64_ldrb(int t, int n, uint32_t off)
{
	return 0x39400000u | off << 10 | (uint32_t)n << 5 | (uint32_t)t;
}

static inline uint32_t a64_strb(int t, int n, uint32_t off)
{
	return 0x39000000u | off << 10 | (uint32_t)n << 5 | (uint32_t)t;
}

/* add / sub xd|sp, xn|sp, #imm12 */
static inline uint32_t a64_add_imm(int d, int n, uint32_t imm12)
{
	return 0x91000000u | imm12 << 10 | (uint32_t)n << 5 | (uint32_t)d;
}

static inline uint32_t a64_sub_imm(int d, int n, uint32_t imm12)
{
	return 0xd1000000u | imm12 << 10 | (uint32_t)n << 5 | (uint32_t)d;
}

/* Appends movz + 3 movk loading a 64-bit value; returns the new length. */
static inline int a64_mov64(uint32_t *code, int n, int d, uint64_t v)
{
	code[n++] = a64_movz(d, (uint32_t)(v & 0xffff), 0);
	for (int hw = 1; hw < 4; hw++)
		code[n++] = a64_movk(d, (uint32_t)(v >> (16 * hw) & 0xffff), hw);
	return n;
}

/* The executor of this build with options o (exec_path is filled in), or
 * NULL after SKIP's message is set: the caller returns. */
static inline struct exec *exec_test_start_opts(struct exec_opts o)
{
	char path[512];
	struct cf_err err = { { 0 } };
	struct exec *ex;

	snprintf(path, sizeof(path), "%s/callfuzz-exec", test_build_dir());
	if (access(path, R_OK)) {
		test_skip("%s missing: install gcc-aarch64-linux-gnu and libc6-dev-arm64-cross, then make",
			  path);
		return NULL;
	}
#if !defined(__aarch64__)
	/* the test binary is an entry point: it passes $CALLFUZZ_QEMU on as
	 * the CLI does (exec_opts.qemu) */
	if (!o.qemu && getenv("CALLFUZZ_QEMU") && *getenv("CALLFUZZ_QEMU"))
		o.qemu = getenv("CALLFUZZ_QEMU");
	if (access("/usr/bin/qemu-aarch64-static", X_OK) && access("/usr/bin/qemu-aarch64", X_OK) && !o.qemu) {
		test_skip("qemu-aarch64 missing: install the Debian package qemu-user-static");
		return NULL;
	}
#endif
	o.exec_path = path;
	ex = exec_start(&o, &err);
	if (!ex)
		test_fail(__FILE__, __LINE__, "exec_start: %s", err.msg);
	return ex;
}

static inline struct exec *exec_test_start(int timeout_ms)
{
	return exec_test_start_opts((struct exec_opts){ .timeout_ms = timeout_ms });
}

static inline int exec_test_run(struct exec *ex, const uint32_t *code, int n, uint32_t entry,
				const uint8_t *ctx, struct exec_result *res)
{
	struct cf_err err = { { 0 } };
	uint8_t zero[CF_CTX_SIZE] = { 0 };
	int rc = exec_run(ex, code, (uint32_t)n, entry, ctx ? ctx : zero, res, &err);

	if (rc)
		test_fail(__FILE__, __LINE__, "exec_run: %s", err.msg);
	return rc;
}

#endif

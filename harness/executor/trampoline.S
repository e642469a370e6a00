/* harness/executor/trampoline.S: the only way into JIT code.
 *
 * The code is called like a C function (AAPCS64: x0 = ctx, result in x0,
 * x19..x28, FP and SP preserved), but we trust none of that: the C caller's
 * registers are kept in ex_tramp_state rather than on a stack the code
 * could overwrite, the code runs on its own stack with a guard page below
 * and a canary zone above, and the registers it must preserve hold known
 * patterns so that the C side can name the one it did not restore. */
#include "harness/executor/executor.h"

	.text
	.p2align 4
	.global ex_tramp_call
	.type ex_tramp_call, %function
ex_tramp_call:
	adrp	x16, ex_tramp_state
	add	x16, x16, :lo12:ex_tramp_state
	stp	x19, x20, [x16, #TS_HOST + 0]
	stp	x21, x22, [x16, #TS_HOST + 16]
	stp	x23, x24, [x16, #TS_HOST + 32]
	stp	x25, x26, [x16, #TS_HOST + 48]
	stp	x27, x28, [x16, #TS_HOST + 64]
	stp	x29, x30, [x16, #TS_HOST + 80]
	mov	x17, sp
	str	x17, [x16, #TS_HOST + 96]

	ldr	x17, [x16, #TS_STACK_TOP]
	mov	sp, x17
	ldp	x19, x20, [x16, #TS_PATTERN + 0]
	ldp	x21, x22, [x16, #TS_PATTERN + 16]
	ldp	x23, x24, [x16, #TS_PATTERN + 32]
	ldp	x25, x26, [x16, #TS_PATTERN + 48]
	ldp	x27, x28, [x16, #TS_PATTERN + 64]
	ldr	x29, [x16, #TS_PATTERN + 80]
	ldr	x0, [x16, #TS_CTX]
	ldr	x9, [x16, #TS_ENTRY]
	blr	x9

	/* Back from the code: x0 is r0; everything else is suspect. */
	adrp	x16, ex_tramp_state
	add	x16, x16, :lo12:ex_tramp_state
	stp	x19, x20, [x16, #TS_AFTER + 0]
	stp	x21, x22, [x16, #TS_AFTER + 16]
	stp	x23, x24, [x16, #TS_AFTER + 32]
	stp	x25, x26, [x16, #TS_AFTER + 48]
	stp	x27, x28, [x16, #TS_AFTER + 64]
	mov	x17, sp
	stp	x29, x17, [x16, #TS_AFTER + 80]
	b	restore_host
	.size ex_tramp_call, . - ex_tramp_call

	/* The fault handler rewrites the interrupted pc to this label. */
	.p2align 4
	.global ex_tramp_fault
	.type ex_tramp_fault, %function
ex_tramp_fault:
	adrp	x16, ex_tramp_state
	add	x16, x16, :lo12:ex_tramp_state
	mov	x0, #0
restore_host:
	ldp	x19, x20, [x16, #TS_HOST + 0]
	ldp	x21, x22, [x16, #TS_HOST + 16]
	ldp	x23, x24, [x16, #TS_HOST + 32]
	ldp	x25, x26, [x16, #TS_HOST + 48]
	ldp	x27, x28, [x16, #TS_HOST + 64]
	ldp	x29, x30, [x16, #TS_HOST + 80]
	ldr	x17, [x16, #TS_HOST + 96]
	mov	sp, x17
	ret
	.size ex_tramp_fault, . - ex_tramp_fault

	.section .note.GNU-stack, "", %progbits

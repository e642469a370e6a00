/* harness/executor/entry.S: the addresses the handshake gives for helpers
 * and kfuncs. Each stub checks that SP is 16-byte aligned where the JIT
 * code hands control to native code (AAPCS64 5.2.2.1; arm64 Linux sets
 * SCTLR_EL1.SA0, so any SP-relative access with a misaligned SP faults
 * there, while qemu-user runs on), then tail-branches to the C entry point
 * in callees.c with x0..x7, SP and LR untouched.
 *
 * Only x9..x17 are used: at a call boundary they are the callee's to
 * corrupt (AAPCS64 6.1.1), so the JIT code cannot rely on them. A C
 * function cannot see its caller's SP (its own prologue moves it), hence
 * assembly. */
#include "harness/executor/executor.h"

	.text

/* ENTRY name, target: the stub `name` in front of the C function `target`. */
	.macro ENTRY name, target
	.p2align 3
	.global \name
	.type \name, %function
\name:
	mov	x16, sp
	tst	x16, #15
	b.ne	1f
	b	\target
1:	adrp	x16, \target
	add	x16, x16, :lo12:\target
	adr	x17, \name
	b	sp_misaligned
	.size \name, . - \name
	.endm

	ENTRY ex_trace_entry, ex_trace
	ENTRY ex_stack_hash_entry, ex_stack_hash
	ENTRY ex_kf_args6_entry, ex_kf_args6
	ENTRY ex_kf_args7_entry, ex_kf_args7
	ENTRY ex_kf_args8_entry, ex_kf_args8
	ENTRY ex_kf_args9_entry, ex_kf_args9
	ENTRY ex_kf_args10_entry, ex_kf_args10
	ENTRY ex_kf_args11_entry, ex_kf_args11
	ENTRY ex_kf_args12_entry, ex_kf_args12

/* x16 = the C entry point, x17 = the stub entered (ex_callees[].addr). Record the
 * first misaligned SP, then finish the call on an aligned copy of the
 * stack-argument slots (args 9..12 at [SP] .. [SP+24], stack-args.md 4),
 * so that the run completes the same way under qemu and on hardware (where
 * the C function's own pushes would fault) and the other checks still run. */
	.p2align 3
	.type sp_misaligned, %function
sp_misaligned:
	adrp	x9, ex_sp_check
	add	x9, x9, :lo12:ex_sp_check
	ldr	x10, [x9, #SC_CALLS]
	cbnz	x10, 2f
	mov	x11, sp
	str	x11, [x9, #SC_SP]
	str	x17, [x9, #SC_CALLEE]
2:	add	x10, x10, #1
	str	x10, [x9, #SC_CALLS]

	mov	x9, sp			/* the caller's (misaligned) SP */
	sub	x10, x9, #48
	and	x10, x10, #~15		/* 4 slots + saved SP and LR, aligned */
	ldp	x11, x12, [x9]
	stp	x11, x12, [x10]
	ldp	x11, x12, [x9, #16]
	stp	x11, x12, [x10, #16]
	stp	x9, x30, [x10, #32]
	mov	sp, x10
	blr	x16
	ldp	x9, x30, [sp, #32]
	mov	sp, x9
	ret
	.size sp_misaligned, . - sp_misaligned

	.section .note.GNU-stack, "", %progbits

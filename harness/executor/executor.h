/* harness/executor/executor.h: what the executor's C code and its assembly
 * trampoline share. The offsets below are used by trampoline.S and checked
 * against the struct with _Static_assert in main.c. */
#ifndef CALLFUZZ_EXECUTOR_H
#define CALLFUZZ_EXECUTOR_H

/* struct ex_tramp_state offsets (bytes) */
#define TS_HOST 0      /* x19..x30, sp of the C caller: 13 * 8 */
#define TS_PATTERN 104 /* x19..x29 loaded before the call: 11 * 8 */
#define TS_AFTER 192   /* x19..x29, sp seen after the return: 12 * 8 */
#define TS_ENTRY 288   /* native entry address */
#define TS_CTX 296     /* x0 at entry */
#define TS_STACK_TOP 304
#define TS_SIZE 312

/* struct ex_sp_check offsets (bytes), used by entry.S */
#define SC_CALLS 0  /* calls entered with SP not 16-byte aligned */
#define SC_SP 8     /* SP at the first of them */
#define SC_CALLEE 16 /* the stub it entered (an ex_callees[].addr) */
#define SC_SIZE 24

#ifndef __ASSEMBLER__
#include <stdint.h>

struct ex_tramp_state {
	uint64_t host[13];
	uint64_t pattern[11];
	uint64_t after[12];
	uint64_t entry;
	uint64_t ctx;
	uint64_t stack_top;
};

extern struct ex_tramp_state ex_tramp_state;

/* What the helper/kfunc entry stubs (entry.S) saw during the current run:
 * AAPCS64 (and arm64 Linux, SCTLR_EL1.SA0) wants SP 16-byte aligned at
 * every call, but qemu-user does not fault on a misaligned SP, so the
 * stubs look themselves. Reset before each run. */
struct ex_sp_check {
	uint64_t calls;
	uint64_t sp;
	uint64_t callee;
};

extern struct ex_sp_check ex_sp_check;

/* Calls ex_tramp_state.entry with x0 = ctx on the dedicated stack, x19..x29
 * set to the patterns; records x19..x29 and SP after the return in after[].
 * Returns the code's x0. */
uint64_t ex_tramp_call(void);
/* Where the fault handler sends a faulting run: restores the C caller's
 * registers and returns 0 from ex_tramp_call. */
void ex_tramp_fault(void);
#endif

#endif

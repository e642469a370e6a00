/* harness/executor/protocol.h: the wire format between callfuzz (host) and
 * callfuzz-exec (the aarch64 executor); docs/executor-protocol.md describes
 * it in prose. Included by both sides, so only fixed-width types with
 * explicit padding: the layout must be the same on x86-64 and aarch64
 * (little-endian, 8-byte alignment of uint64_t on both).
 *
 * Transport: one shared memory object (struct exp_shm, fd 3 in the executor)
 * and one stream socket as doorbell (fd 4). A request or reply is published
 * by bumping a sequence number in struct exp_sync; the other side spins on
 * it for a while and then sleeps in a blocking read of the socket after
 * raising its *_sleeping flag, and the publisher rings (sends one byte) only
 * if that flag is up (store seq; full fence; load flag -- and the mirror
 * image on the sleeper's side -- so a wakeup is never lost). Doorbell bytes
 * carry no meaning beyond "look at the sequence numbers": a stale one only
 * causes a spurious wakeup. Bump EXP_VERSION on any layout change. */
#ifndef CALLFUZZ_EXECUTOR_PROTOCOL_H
#define CALLFUZZ_EXECUTOR_PROTOCOL_H

#include <stdint.h>

#include "bpf/bpf.h"

#define EXP_MAGIC 0x45584643u /* "CFXE" little-endian */
#define EXP_VERSION 3

#define EXP_FD_SHM 3      /* the shared memory object */
#define EXP_FD_DOORBELL 4 /* one end of a socketpair */

/* Doorbell bytes (for strace readers; the receiver ignores the value). */
#define EXP_BELL_HELLO 'H' /* executor -> host: hello is filled in */
#define EXP_BELL_RUN 'R'   /* host -> executor: look at req_seq */
#define EXP_BELL_WAKE 'W'  /* host -> executor: a request comes soon: spin */
#define EXP_BELL_DONE 'D'  /* executor -> host: look at rep_seq */

/* Native memory of the executor, at fixed addresses so that fault addresses
 * are the same from one run (and one executor) to the next. */
#define EXP_CODE_ADDR 0xcf00000000ull
#define EXP_CODE_MAX (4u << 20) /* bytes: 1 Mi arm64 instructions */
#define EXP_STACK_SIZE (256u << 10)
#define EXP_STACK_ZEROED (8u << 10) /* zeroed below the entry SP before each run */
#define EXP_STACK_ZEROED_MAX (64u << 10) /* the most a request may ask for */
#define EXP_CANARY_SIZE 256 /* above the entry SP, checked after each run */

/* The code ring (--code-ring, what the host asks for under qemu; see
 * docs/executor-protocol.md, "Code placement"): each new code goes to the
 * next free place of a ring that qemu has not translated since the ring was
 * last recycled, so no run pays for invalidating translations or for a page
 * fault (host mprotect calls and page faults cost 6-25 us each on the
 * development VM). Every code starts on a page boundary with at least one
 * page of zeros (udf #0) before it and after it. Code larger than
 * EXP_RING_CODE_MAX goes to the fixed region. */
#define EXP_RING_ADDR (EXP_CODE_ADDR + 0x40000000ull)
#define EXP_RING_GAP 4096u
#define EXP_RING_KIB_DEFAULT (2u << 10) /* 2 MiB */
#define EXP_RING_KIB_MIN 16u
#define EXP_RING_KIB_MAX (256u << 10)
#define EXP_RING_CODE_MAX (256u << 10)

/* `callfuzz-exec --floor-code FILE RUNS` reads codes from FILE: this
 * header, then per code a struct exp_floor_code and code_len bytes of code
 * (callfuzz bench run writes it; docs/executor-protocol.md, "Performance"). */
#define EXP_FLOOR_MAGIC "CFFLOOR1"
struct exp_floor_header {
	char magic[8];
	uint32_t ncodes;
	uint32_t pad;
};
struct exp_floor_code {
	uint32_t code_len; /* bytes, a multiple of 4 */
	uint32_t entry;    /* byte offset of the entry point */
};

#define EXP_MAX_CALLEES 32 /* like jit_opts.callee_addr */

/* Executor -> host, once, before EXP_BELL_HELLO. */
struct exp_callee_addr {
	int32_t id;     /* helper id or kfunc id (bpf/bpf.h call table) */
	uint32_t kfunc; /* 1: kfunc, 0: helper */
	uint64_t addr;  /* native address of the AAPCS64 entry point */
};

struct exp_hello {
	uint32_t magic;   /* EXP_MAGIC */
	uint32_t version; /* EXP_VERSION */
	uint32_t hello_size, request_size, reply_size, shm_size; /* layout check */
	uint64_t code_addr;  /* the fixed executable region */
	uint64_t code_size;  /* its size in bytes: the largest code accepted */
	uint64_t ring_addr;  /* the code ring (0: not in use) */
	uint64_t ring_size;  /* its size in bytes */
	uint64_t stack_lo;   /* native stack: guard page below stack_lo */
	uint64_t stack_top;  /* SP at entry; EXP_CANARY_SIZE canary bytes above */
	uint64_t ctx_addr;   /* x0 at entry; a PROT_NONE page follows ctx */
	uint64_t counter_hz; /* frequency of the run-time counter (CNTFRQ_EL0) */
	uint32_t ncallees;
	uint32_t pad;
	struct exp_callee_addr callees[EXP_MAX_CALLEES];
};

/* Request flags. */
#define EXP_REQ_SAME_CODE 1u /* code[] is unchanged since the last request:
				the executor may skip the copy and the icache
				flush (it still verifies the bytes) */

struct exp_request {
	uint32_t seq;      /* echoed in the reply */
	uint32_t flags;    /* EXP_REQ_* */
	uint32_t code_len; /* bytes in exp_shm.code, a multiple of 4 */
	uint32_t entry;    /* byte offset of the entry point in the code */
	uint32_t zero_bytes; /* stack zeroed below the entry SP before the run:
				0 means EXP_STACK_ZEROED; at most
				EXP_STACK_ZEROED_MAX, a multiple of 16 */
	uint32_t pad;
	uint8_t ctx[CF_CTX_SIZE];
};

/* Reply status (what the executor saw; the host adds TIMEOUT and a dead
 * executor itself). */
enum exp_status {
	EXP_OK = 0,
	EXP_FAULT = 1,       /* a signal during the run: sig, fault_* */
	EXP_ABI = 2,         /* returned, but abi_what was not restored */
	EXP_BAD_REQUEST = 3, /* the request made no sense: msg says why */
};

/* What the trampoline found not restored (reply.abi_what). */
enum exp_abi_what {
	EXP_ABI_NONE = 0,
	EXP_ABI_X19 = 19, /* ... EXP_ABI_X28 = 28: that register */
	EXP_ABI_X28 = 28,
	EXP_ABI_FP = 29,
	EXP_ABI_SP = 31,
	EXP_ABI_CANARY = 32, /* the canary zone above the entry SP was written */
	EXP_ABI_SP_ALIGN = 33, /* a helper/kfunc was entered with SP not 16-byte
				  aligned: abi_actual = that SP, abi_callee */
};

struct exp_reply {
	uint32_t seq;
	uint32_t status;   /* enum exp_status */
	uint64_t r0;       /* x0 on return */
	uint32_t sig;      /* EXP_FAULT: signal number */
	uint32_t abi_what; /* enum exp_abi_what */
	uint64_t fault_addr;  /* si_addr */
	uint64_t fault_pc;    /* native pc of the faulting instruction */
	uint64_t abi_expected, abi_actual; /* EXP_ABI: canary: byte offset in actual */
	uint32_t abi_callee; /* SP_ALIGN: index in hello.callees[] of the first
				misaligned call */
	uint32_t abi_calls;  /* SP_ALIGN: how many calls were misaligned */
	uint64_t run_ticks;   /* counter ticks spent in the code (counter_hz) */
	uint64_t code_addr;   /* where this run's code was: fault_pc - code_addr
				 is the offset in the code */
	uint64_t busy_ticks;  /* counter ticks from seeing the request to
				 publishing the reply: placing the code, qemu
				 translating it, the run and the checks */
	char msg[128];        /* EXP_BAD_REQUEST */
	uint8_t ctx[CF_CTX_SIZE];
	struct cf_trace trace; /* written in place by the helpers */
};

/* Adaptive spinning (exp_sync.exec_spin_adapt, and the host's own wait):
 * each side keeps a running mean of how long it waited for the other
 * (each wait counted up to the cap, weight 1/8) and spins twice that, at
 * least EXP_SPIN_MIN_US, before sleeping. */
#define EXP_SPIN_MIN_US 200
#define EXP_SPIN_MEAN0_US 250 /* the mean before the first wait */

/* Both sides' rule, in their own time unit (host: ns, executor: counter
 * ticks): lo is EXP_SPIN_MIN_US and cap the configured budget in that unit. */
static inline uint64_t exp_spin_budget(uint64_t mean, uint64_t lo, uint64_t cap)
{
	uint64_t spin = 2 * mean;

	return spin < lo ? lo : spin > cap ? cap : spin;
}

/* The running mean after a wait of waited (counted up to cap), weight 1/8. */
static inline uint64_t exp_spin_mean(uint64_t mean, uint64_t waited, uint64_t cap)
{
	if (waited > cap)
		waited = cap;
	return (uint64_t)((int64_t)mean + ((int64_t)waited - (int64_t)mean) / 8);
}

/* Each word in its own cache line: the two sides spin on them. */
struct exp_sync {
	uint32_t req_seq; /* host: request req_seq is ready */
	uint32_t pad0[15];
	uint32_t rep_seq; /* executor: the reply to request rep_seq is ready */
	uint32_t pad1[15];
	uint32_t exec_sleeping; /* executor blocks (or is about to) in read() */
	uint32_t pad2[15];
	uint32_t host_sleeping; /* host blocks (or is about to) in poll() */
	uint32_t pad3[15];
	uint32_t exec_spin_us; /* set by the host before spawning: the longest
				  the executor spins for the next request */
	uint32_t exec_spin_adapt; /* 1: spin twice the recent mean wait, at
				     least EXP_SPIN_MIN_US, at most exec_spin_us
				     (docs/executor-protocol.md) */
	uint32_t pad4[14];
};

struct exp_shm {
	struct exp_sync sync;
	struct exp_hello hello;
	struct exp_request req;
	struct exp_reply rep;
	uint8_t code[EXP_CODE_MAX];
};

#endif

/* harness/executor/main.c: callfuzz-exec, the aarch64 executor.
 *
 * Started once per fuzzing process by harness/target/exec.c (under qemu-aarch64 on
 * x86 hosts), it maps its code region, native stack and ctx at fixed
 * addresses, says hello (docs/executor-protocol.md), then loops: wait for
 * the doorbell, copy the code into its own executable region (qemu only
 * notices code changes the guest itself makes: a second mapping of the same
 * pages would run stale translations), flush the icache, run the code
 * through trampoline.S, reply.
 *
 * Under qemu new code goes instead to a ring of addresses qemu has not
 * translated since the ring was last recycled, written through a second,
 * writable view of the same pages: nothing is stale there, so nothing needs
 * invalidating (--code-ring; "Code placement" in docs/executor-protocol.md).
 *
 * A synchronous signal inside a run (SIGSEGV, SIGBUS, SIGILL, SIGTRAP,
 * SIGFPE) becomes an EXP_FAULT reply: the handler, on its own alternate
 * stack, records the signal and sends the interrupted context to
 * ex_tramp_fault, which restores the C caller. Outside a run the signal
 * keeps its default action and the host restarts us. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <unistd.h>

#include "harness/executor/callees.h"
#include "harness/executor/executor.h"
#include "harness/executor/protocol.h"

_Static_assert(offsetof(struct ex_tramp_state, host) == TS_HOST, "TS_HOST");
_Static_assert(offsetof(struct ex_tramp_state, pattern) == TS_PATTERN, "TS_PATTERN");
_Static_assert(offsetof(struct ex_tramp_state, after) == TS_AFTER, "TS_AFTER");
_Static_assert(offsetof(struct ex_tramp_state, entry) == TS_ENTRY, "TS_ENTRY");
_Static_assert(offsetof(struct ex_tramp_state, ctx) == TS_CTX, "TS_CTX");
_Static_assert(offsetof(struct ex_tramp_state, stack_top) == TS_STACK_TOP, "TS_STACK_TOP");
_Static_assert(sizeof(struct ex_tramp_state) == TS_SIZE, "TS_SIZE");
_Static_assert(offsetof(struct ex_sp_check, calls) == SC_CALLS, "SC_CALLS");
_Static_assert(offsetof(struct ex_sp_check, sp) == SC_SP, "SC_SP");
_Static_assert(offsetof(struct ex_sp_check, callee) == SC_CALLEE, "SC_CALLEE");
_Static_assert(sizeof(struct ex_sp_check) == SC_SIZE, "SC_SIZE");
/* The entry SP is aligned, so "SP restored" at the return also means "SP
 * aligned" there. */
_Static_assert((EXP_STACK_SIZE - EXP_CANARY_SIZE) % 16 == 0, "stack_top 16-byte aligned");

#define PAGE 4096ull
#define STACK_ADDR (EXP_CODE_ADDR + 0x10000000ull)
#define CTX_ADDR (EXP_CODE_ADDR + 0x20000000ull)
#define CANARY_BYTE 0xc5

struct ex_tramp_state ex_tramp_state;
struct ex_sp_check ex_sp_check;

/* Set by the run loop around ex_tramp_call; read by the signal handler. */
static volatile sig_atomic_t in_run;
static volatile uint32_t fault_sig;
static volatile uint64_t fault_addr, fault_pc;

static uint8_t *code_region;
static uint32_t code_len_last; /* bytes of real code left in the region */
static int code_wx;            /* --code-wx: region RX, RW only to copy */

/* --code-ring: ring_x is the ring as the code sees it (RX), ring_w the same
 * memfd pages mapped RW to write them. ring_pos: the next free byte; used[]
 * the extents of the codes written since the last recycling. */
static uint8_t *ring_x, *ring_w;
static size_t ring_size, ring_pos;
static struct {
	uint32_t off, len;
} *ring_used;
static uint32_t ring_nused, ring_maxused;

/* The code of the last run: where it is and how long. */
static const uint8_t *cur_code;
static uint32_t cur_len;
static uint8_t *stack_lo, *stack_top;
static uint8_t *ctx_buf;
static uint8_t altstack[64 << 10] __attribute__((aligned(16)));

static void die(const char *msg)
{
	static const char prefix[] = "callfuzz-exec: ";

	if (write(2, prefix, sizeof(prefix) - 1) < 0 || write(2, msg, strlen(msg)) < 0 ||
	    write(2, "\n", 1) < 0)
		_exit(3);
	_exit(3);
}

static uint64_t abi_pattern(int reg)
{
	/* x19 -> 0xcfcf0013cfcf0013: easy to spot in a report. */
	return 0xcfcf0000cfcf0000ull | (uint64_t)reg << 32 | (uint64_t)reg;
}

static inline uint64_t counter(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static uint64_t counter_hz(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	if (!in_run) {
		/* Our own bug: die of it (default action) once we return and
		 * the instruction faults again. */
		signal(sig, SIG_DFL);
		return;
	}
	in_run = 0;
	fault_sig = (uint32_t)sig;
	fault_addr = (uint64_t)(uintptr_t)si->si_addr;
	fault_pc = uc->uc_mcontext.pc;
	uc->uc_mcontext.pc = (uint64_t)(uintptr_t)ex_tramp_fault;
}

static void *map_fixed(uint64_t addr, uint64_t len, int prot)
{
	void *p = mmap((void *)(uintptr_t)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);

	if (p == MAP_FAILED) /* taken, or MAP_FIXED_NOREPLACE unknown: anywhere */
		p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("cannot map memory");
	return p;
}

static void setup_memory(void)
{
	uint8_t *s, *c;

	code_region = map_fixed(EXP_CODE_ADDR, EXP_CODE_MAX,
				PROT_READ | PROT_EXEC | (code_wx ? 0 : PROT_WRITE));

	/* [guard page][stack ... | canary][guard page] */
	s = map_fixed(STACK_ADDR, PAGE + EXP_STACK_SIZE + PAGE, PROT_READ | PROT_WRITE);
	if (mprotect(s, PAGE, PROT_NONE) || mprotect(s + PAGE + EXP_STACK_SIZE, PAGE, PROT_NONE))
		die("cannot protect stack guard pages");
	stack_lo = s + PAGE;
	stack_top = stack_lo + EXP_STACK_SIZE - EXP_CANARY_SIZE;
	memset(stack_top, CANARY_BYTE, EXP_CANARY_SIZE);

	/* ctx at the end of its page, a guard page after it. */
	c = map_fixed(CTX_ADDR, 2 * PAGE, PROT_READ | PROT_WRITE);
	if (mprotect(c + PAGE, PAGE, PROT_NONE))
		die("cannot protect ctx guard page");
	ctx_buf = c + PAGE - CF_CTX_SIZE;
}

static void setup_ring(void)
{
	int fd = memfd_create("callfuzz-code-ring", MFD_CLOEXEC);
	void *x;

	if (fd < 0 || ftruncate(fd, (off_t)ring_size))
		die("cannot create the code ring (memfd_create, ftruncate)");
	x = mmap((void *)(uintptr_t)EXP_RING_ADDR, ring_size, PROT_READ | PROT_EXEC,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	if (x == MAP_FAILED)
		x = mmap(NULL, ring_size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	ring_w = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (x == MAP_FAILED || ring_w == MAP_FAILED)
		die("cannot map the code ring");
	close(fd);
	ring_x = x;
	/* Pages are faulted in as codes first reach them, one fault per view,
	 * once per executor (recycling zeroes them in place, it does not give
	 * them back). Faulting all 2 x 2048 in here instead cost 56 ms at every
	 * start (a fault costs 6-25 us on the development VM; MAP_POPULATE is
	 * not passed on by qemu 7.2), paid again at every restart after a hang. */
	ring_maxused = (uint32_t)(ring_size / (2 * PAGE));
	ring_used = mmap(NULL, ring_maxused * sizeof(*ring_used), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ring_used == MAP_FAILED)
		die("cannot map the code ring's bookkeeping");
	ring_pos = EXP_RING_GAP;
}

/* The ring is full: zero what the codes since the last recycling wrote,
 * then make the executable view writable for a moment, which is what makes
 * qemu drop every translation it made from the ring (it invalidates a
 * page's translations when the guest makes the page writable). Two
 * mprotects per ring-full of codes. */
static void ring_recycle(void)
{
	for (uint32_t i = 0; i < ring_nused; i++)
		memset(ring_w + ring_used[i].off, 0, ring_used[i].len);
	ring_nused = 0;
	if (mprotect(ring_x, ring_size, PROT_READ | PROT_WRITE) ||
	    mprotect(ring_x, ring_size, PROT_READ | PROT_EXEC))
		die("mprotect(code ring) failed");
	ring_pos = EXP_RING_GAP;
}

/* Where new code of len bytes goes in the ring: a page boundary with a
 * page of zeros before it, and room for a page of zeros after it. */
static const uint8_t *ring_place(const uint8_t *code, uint32_t len)
{
	size_t room = ((size_t)len + PAGE - 1) & ~(size_t)(PAGE - 1);
	size_t off;

	if (ring_pos + room + EXP_RING_GAP > ring_size || ring_nused == ring_maxused)
		ring_recycle();
	off = ring_pos;
	ring_pos += room + EXP_RING_GAP;
	memcpy(ring_w + off, code, len);
	ring_used[ring_nused].off = (uint32_t)off;
	ring_used[ring_nused].len = len;
	ring_nused++;
	__builtin___clear_cache((char *)ring_x + off, (char *)ring_x + off + len);
	return ring_x + off;
}

static void setup_signals(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;

	if (sigaltstack(&ss, NULL))
		die("sigaltstack failed");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	/* SA_NODEFER: we leave the handler by sigreturn to ex_tramp_fault, so
	 * the mask would be restored anyway; this keeps a fault inside the
	 * handler itself fatal rather than blocked. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			die("sigaction failed");
}

static void say_hello(struct exp_shm *shm)
{
	struct exp_hello *h = &shm->hello;

	memset(h, 0, sizeof(*h));
	h->version = EXP_VERSION;
	h->hello_size = sizeof(struct exp_hello);
	h->request_size = sizeof(struct exp_request);
	h->reply_size = sizeof(struct exp_reply);
	h->shm_size = sizeof(struct exp_shm);
	h->code_addr = (uint64_t)(uintptr_t)code_region;
	h->code_size = EXP_CODE_MAX;
	h->ring_addr = (uint64_t)(uintptr_t)ring_x;
	h->ring_size = ring_size;
	h->stack_lo = (uint64_t)(uintptr_t)stack_lo;
	h->stack_top = (uint64_t)(uintptr_t)stack_top;
	h->ctx_addr = (uint64_t)(uintptr_t)ctx_buf;
	h->counter_hz = counter_hz();
	for (int i = 0; i < ex_ncallees && i < EXP_MAX_CALLEES; i++) {
		h->callees[i].id = ex_callees[i].id;
		h->callees[i].kfunc = ex_callees[i].kfunc;
		h->callees[i].addr = ex_callees[i].addr;
	}
	h->ncallees = (uint32_t)ex_ncallees;
	__atomic_store_n(&h->magic, EXP_MAGIC, __ATOMIC_RELEASE);
}

/* Put the code in place and return its address. SAME_CODE still compares:
 * a run that wrote into its own code must not leave the next run executing
 * the damage.
 *
 * With --code-ring, new code up to EXP_RING_CODE_MAX bytes goes to the next
 * free place in the ring, whose addresses qemu has not translated since the
 * last recycling: nothing to invalidate, no syscall, no page fault. Larger
 * code, and every code without the ring, goes to the fixed region. There, with
 * --code-wx (what the host asks for under qemu) the region is RX and opened
 * RW only around the copy: qemu then invalidates its translations at the
 * mprotect instead of taking a host SIGSEGV on the first write to a page it
 * had write-protected (docs/executor-protocol.md, "Performance"). Natively
 * RWX costs nothing. */
static const uint8_t *install_code(const struct exp_request *req, const uint8_t *code)
{
	uint32_t len = req->code_len;
	uint32_t span = code_len_last > len ? code_len_last : len;
	size_t pages = ((size_t)span + PAGE - 1) & ~(size_t)(PAGE - 1);

	if ((req->flags & EXP_REQ_SAME_CODE) && cur_code && len == cur_len && !memcmp(cur_code, code, len))
		return cur_code;
	cur_len = len;
	if (ring_size && len <= EXP_RING_CODE_MAX && len + 2 * EXP_RING_GAP <= ring_size) {
		cur_code = ring_place(code, len);
		return cur_code;
	}
	if (code_wx && mprotect(code_region, pages, PROT_READ | PROT_WRITE))
		die("mprotect(code, RW) failed");
	memcpy(code_region, code, len);
	/* Leftovers of a longer previous code become udf #0 (SIGILL), so a
	 * wild branch past the end faults the same way every time. */
	if (code_len_last > len)
		memset(code_region + len, 0, code_len_last - len);
	if (code_wx && mprotect(code_region, pages, PROT_READ | PROT_EXEC))
		die("mprotect(code, RX) failed");
	__builtin___clear_cache((char *)code_region, (char *)code_region + span);
	code_len_last = len;
	cur_code = code_region;
	return cur_code;
}

/* canary_damage: canary_first_damage() after the run. */
static void check_abi(struct exp_reply *rep, int canary_damage)
{
	const struct ex_tramp_state *ts = &ex_tramp_state;

	/* First: in time it came before the return, and on hardware it is
	 * where the run would have faulted. */
	if (ex_sp_check.calls) {
		rep->status = EXP_ABI;
		rep->abi_what = EXP_ABI_SP_ALIGN;
		rep->abi_expected = ex_sp_check.sp & ~15ull;
		rep->abi_actual = ex_sp_check.sp;
		rep->abi_callee = UINT32_MAX;
		for (int i = 0; i < ex_ncallees; i++)
			if (ex_callees[i].addr == ex_sp_check.callee)
				rep->abi_callee = (uint32_t)i;
		rep->abi_calls = ex_sp_check.calls > UINT32_MAX ? UINT32_MAX : (uint32_t)ex_sp_check.calls;
		return;
	}
	for (int r = 19; r <= 29; r++) {
		if (ts->after[r - 19] != ts->pattern[r - 19]) {
			rep->status = EXP_ABI;
			rep->abi_what = (uint32_t)r;
			rep->abi_expected = ts->pattern[r - 19];
			rep->abi_actual = ts->after[r - 19];
			return;
		}
	}
	if (ts->after[11] != ts->stack_top) {
		rep->status = EXP_ABI;
		rep->abi_what = EXP_ABI_SP;
		rep->abi_expected = ts->stack_top;
		rep->abi_actual = ts->after[11];
		return;
	}
	if (canary_damage >= 0) {
		rep->status = EXP_ABI;
		rep->abi_what = EXP_ABI_CANARY;
		rep->abi_expected = CANARY_BYTE;
		rep->abi_actual = (uint64_t)canary_damage;
	}
}

/* The first canary byte the run changed, -1 if none. A word at a time:
 * this runs after every run, under qemu. */
static int canary_first_damage(void)
{
	const uint64_t want = 0x0101010101010101ull * CANARY_BYTE;
	const uint64_t *w = (const uint64_t *)(const void *)stack_top;

	for (int i = 0; i < EXP_CANARY_SIZE / 8; i++)
		if (w[i] != want)
			for (int b = 8 * i;; b++)
				if (stack_top[b] != CANARY_BYTE)
					return b;
	return -1;
}

static void run_one(struct exp_shm *shm)
{
	const struct exp_request *req = &shm->req;
	struct exp_reply *rep = &shm->rep;
	const uint8_t *code;
	uint64_t t0, t1, r0;
	uint32_t zero;
	int damage;

	rep->seq = req->seq;
	rep->status = EXP_OK;
	rep->r0 = 0;
	rep->sig = 0;
	rep->abi_what = EXP_ABI_NONE;
	rep->fault_addr = rep->fault_pc = 0;
	rep->abi_expected = rep->abi_actual = 0;
	rep->abi_callee = rep->abi_calls = 0;
	rep->run_ticks = 0;
	rep->code_addr = 0;
	rep->msg[0] = 0;
	rep->trace.nevents = 0;
	rep->trace.dropped = 0;

	if (req->code_len > EXP_CODE_MAX || req->code_len % 4 || req->entry % 4 ||
	    req->entry >= req->code_len) {
		rep->status = EXP_BAD_REQUEST;
		strcpy(rep->msg, "code_len or entry out of range or not a multiple of 4");
		return;
	}
	code = install_code(req, shm->code);
	rep->code_addr = (uint64_t)(uintptr_t)code;
	memcpy(ctx_buf, req->ctx, CF_CTX_SIZE);
	ex_cur_trace = &rep->trace;
	ex_tramp_state.entry = (uint64_t)(uintptr_t)(code + req->entry);
	ex_tramp_state.ctx = (uint64_t)(uintptr_t)ctx_buf;
	ex_tramp_state.stack_top = (uint64_t)(uintptr_t)stack_top;
	memset(&ex_sp_check, 0, sizeof(ex_sp_check));
	/* Every run starts on a zeroed stack, so that code reading memory
	 * nobody wrote (a JIT bug) sees the same bytes in the fuzzer, in
	 * `callfuzz run` and in the minimizer: reproducers stay reproducible.
	 * 8 KiB by default covers 8 frames of 512 bytes plus their saves and
	 * outgoing areas (under 5 KiB) and the helpers; the minimizer and
	 * `callfuzz run` ask for 32 KiB, which costs the fuzz loop's small
	 * programs ~1.3 us more per run under qemu (cache lines the translator
	 * wanted), hence not the default. */
	zero = req->zero_bytes ? req->zero_bytes : EXP_STACK_ZEROED;
	if (zero > EXP_STACK_ZEROED_MAX)
		zero = EXP_STACK_ZEROED_MAX;
	memset(stack_top - (zero & ~15u), 0, zero & ~15u);

	fault_sig = 0;
	t0 = counter();
	in_run = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	r0 = ex_tramp_call();
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	in_run = 0;
	t1 = counter();
	ex_cur_trace = NULL;

	rep->run_ticks = t1 - t0;
	memcpy(rep->ctx, ctx_buf, CF_CTX_SIZE);
	damage = canary_first_damage();
	if (fault_sig) {
		rep->status = EXP_FAULT;
		rep->sig = fault_sig;
		rep->fault_addr = fault_addr;
		rep->fault_pc = fault_pc;
	} else {
		rep->r0 = r0;
		check_abi(rep, damage);
	}
	if (damage >= 0)
		memset(stack_top, CANARY_BYTE, EXP_CANARY_SIZE);
}

static uint32_t parse_u32(const char *s)
{
	uint32_t v = 0;

	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint32_t)(*s - '0');
	return v;
}

/* `callfuzz-exec [--code-wx|--code-ring] --floor NINSNS RUNS`: the bare
 * cost of placing and running NINSNS instructions in this process, no host
 * involved: the floor that tests/bench/exec_speed.sh compares the protocol
 * against. Each run changes the first instruction, as a fuzzer changes its
 * programs. */
static int floor_bench(uint32_t ninsns, uint32_t runs)
{
	static uint32_t code[EXP_CODE_MAX / 4];
	struct exp_request req = { 0 };
	uint64_t t0, t1, sum = 0;
	char line[160];
	int len;

	if (ninsns < 2 || ninsns > EXP_CODE_MAX / 4 || runs == 0)
		die("usage: callfuzz-exec [--code-wx|--code-ring] --floor NINSNS(2..) RUNS(1..)");
	for (uint32_t i = 1; i + 1 < ninsns; i++)
		code[i] = 0x91000400; /* add x0, x0, #1 */
	code[ninsns - 1] = 0xd65f03c0; /* ret */
	req.code_len = ninsns * 4;
	ex_tramp_state.ctx = (uint64_t)(uintptr_t)ctx_buf;
	ex_tramp_state.stack_top = (uint64_t)(uintptr_t)stack_top;
	t0 = counter();
	for (uint32_t r = 0; r < runs; r++) {
		code[0] = 0xd2800000 | (r & 0xffff) << 5; /* mov x0, #r */
		ex_tramp_state.entry = (uint64_t)(uintptr_t)install_code(&req, (const uint8_t *)code);
		in_run = 1;
		sum += ex_tramp_call();
		in_run = 0;
	}
	t1 = counter();
	len = snprintf(line, sizeof(line), "floor: %u insns, %u runs, %.2f us/run, %.0f runs/s (checksum %llu)\n",
		       ninsns, runs, (double)(t1 - t0) * 1e6 / (double)counter_hz() / runs,
		       (double)runs * (double)counter_hz() / (double)(t1 - t0), (unsigned long long)sum);
	if (write(1, line, (size_t)len) != len)
		return 1;
	return 0;
}

/* Reads all of fd into memory from mmap; NULL on failure. */
static uint8_t *read_all(int fd, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	for (;;) {
		ssize_t got;

		if (n == cap) {
			uint8_t *bigger = mremap(buf, cap, 2 * cap, MREMAP_MAYMOVE);

			if (bigger == MAP_FAILED)
				return NULL;
			buf = bigger;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return NULL;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*len = n;
	return buf;
}

/* `callfuzz-exec [--code-wx|--code-ring] --floor-code FILE RUNS`: the floor
 * for real code (callfuzz bench run): the codes in FILE (struct
 * exp_floor_header) placed and run in turn, RUNS runs in all, each on a
 * zeroed ctx, with no host involved. Prints the time per run and the sum
 * of the r0s, which the host checks against its own runs of the same code:
 * the floor ran what the protocol ran. */
static int floor_code_bench(const char *path, uint32_t runs)
{
	static struct cf_trace trace;
	struct exp_request req = { 0 };
	const struct exp_floor_header *h;
	const uint8_t **code;
	const struct exp_floor_code **desc;
	uint64_t t0, t1, sum = 0;
	size_t len, off;
	uint8_t *file;
	char line[200];
	int fd, n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("--floor-code: cannot open the code file");
	file = read_all(fd, &len);
	close(fd);
	h = (const void *)file;
	if (!file || len < sizeof(*h) || memcmp(h->magic, EXP_FLOOR_MAGIC, 8) || h->ncodes == 0 ||
	    h->ncodes > 65536 || runs == 0)
		die("--floor-code: not a code file (" EXP_FLOOR_MAGIC "), or no codes, or RUNS 0");
	code = mmap(NULL, h->ncodes * (sizeof(*code) + sizeof(*desc)), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED)
		die("--floor-code: out of memory");
	desc = (const struct exp_floor_code **)(code + h->ncodes);
	off = sizeof(*h);
	for (uint32_t i = 0; i < h->ncodes; i++) {
		const struct exp_floor_code *d = (const void *)(file + off);

		if (len - off < sizeof(*d) || d->code_len % 4 || d->code_len == 0 || d->code_len > EXP_CODE_MAX ||
		    d->entry % 4 || d->entry >= d->code_len || len - off - sizeof(*d) < d->code_len)
			die("--floor-code: a code entry is truncated or out of range");
		desc[i] = d;
		code[i] = file + off + sizeof(*d);
		off += sizeof(*d) + d->code_len;
	}
	ex_tramp_state.stack_top = (uint64_t)(uintptr_t)stack_top;
	ex_tramp_state.ctx = (uint64_t)(uintptr_t)ctx_buf;
	ex_cur_trace = &trace;
	t0 = counter();
	for (uint32_t r = 0; r < runs; r++) {
		uint32_t i = r % h->ncodes;

		req.code_len = desc[i]->code_len;
		ex_tramp_state.entry = (uint64_t)(uintptr_t)(install_code(&req, code[i]) + desc[i]->entry);
		memset(ctx_buf, 0, CF_CTX_SIZE);
		trace.nevents = trace.dropped = 0;
		in_run = 1;
		sum += ex_tramp_call();
		in_run = 0;
	}
	t1 = counter();
	n = snprintf(line, sizeof(line), "floor: %u codes, %u runs, %.2f us/run, %.0f runs/s (checksum %llu)\n",
		     h->ncodes, runs, (double)(t1 - t0) * 1e6 / (double)counter_hz() / runs,
		     (double)runs * (double)counter_hz() / (double)(t1 - t0), (unsigned long long)sum);
	return write(1, line, (size_t)n) == n ? 0 : 1;
}


/* Spin for the next request (the host usually sends it within
 * microseconds), then sleep on the doorbell (protocol.h). The budget is
 * exec_spin_us, or with exec_spin_adapt twice the mean of the recent
 * waits within [EXP_SPIN_MIN_US, exec_spin_us]: a host that checks large
 * programs for milliseconds between runs finds the executor still
 * spinning. Woken without a request (EXP_BELL_WAKE: the host will send one
 * soon), spin again. */
static void wait_request(struct exp_sync *sync, uint32_t last)
{
	static uint64_t mean_ticks; /* the mean wait, counter ticks */
	uint64_t hz = counter_hz(), cap = (uint64_t)sync->exec_spin_us * hz / 1000000;
	uint64_t spin = cap, t0 = counter(), start = t0;
	char buf[64];

	if (!mean_ticks)
		mean_ticks = (uint64_t)EXP_SPIN_MEAN0_US * hz / 1000000;
	if (sync->exec_spin_adapt && cap)
		spin = exp_spin_budget(mean_ticks, (uint64_t)EXP_SPIN_MIN_US * hz / 1000000, cap);
	while (__atomic_load_n(&sync->req_seq, __ATOMIC_ACQUIRE) == last) {
		if (counter() - t0 < spin)
			continue;
		__atomic_store_n(&sync->exec_sleeping, 1, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sync->req_seq, __ATOMIC_SEQ_CST) == last) {
			ssize_t n = read(EXP_FD_DOORBELL, buf, sizeof(buf));

			if (n == 0)
				_exit(0); /* the host closed: we are done */
			if (n < 0 && errno != EINTR)
				die("doorbell read failed");
		}
		__atomic_store_n(&sync->exec_sleeping, 0, __ATOMIC_SEQ_CST);
		t0 = counter();
	}
	mean_ticks = exp_spin_mean(mean_ticks, counter() - start, cap);
}

static void reply_ready(struct exp_sync *sync, uint32_t seq)
{
	char bell = EXP_BELL_DONE;

	__atomic_store_n(&sync->rep_seq, seq, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sync->host_sleeping, __ATOMIC_SEQ_CST) &&
	    write(EXP_FD_DOORBELL, &bell, 1) != 1)
		_exit(0); /* the host is gone */
}

int main(int argc, char **argv)
{
	struct exp_shm *shm;
	char bell;

	/* Placement options first (the host passes them, docs/executor-protocol.md). */
	while (argc > 1 && !strncmp(argv[1], "--code-", 7)) {
		if (!strcmp(argv[1], "--code-wx")) {
			code_wx = 1;
		} else if (!strcmp(argv[1], "--code-ring")) {
			code_wx = 1; /* for code too large for the ring */
			ring_size = (size_t)EXP_RING_KIB_DEFAULT << 10;
		} else if (!strncmp(argv[1], "--code-ring=", 12)) {
			uint32_t kib = parse_u32(argv[1] + 12);

			if (kib < EXP_RING_KIB_MIN || kib > EXP_RING_KIB_MAX || kib % 4)
				die("--code-ring=KIB takes 16..262144, a multiple of 4");
			code_wx = 1;
			ring_size = (size_t)kib << 10;
		} else {
			die("unknown option (--code-wx, --code-ring[=KIB])");
		}
		argc--;
		argv++;
	}
	if (argc == 4 && (!strcmp(argv[1], "--floor") || !strcmp(argv[1], "--floor-code"))) {
		setup_memory();
		if (ring_size)
			setup_ring();
		setup_signals();
		for (int r = 19; r <= 29; r++)
			ex_tramp_state.pattern[r - 19] = abi_pattern(r);
		if (!strcmp(argv[1], "--floor-code"))
			return floor_code_bench(argv[2], parse_u32(argv[3]));
		return floor_bench(parse_u32(argv[2]), parse_u32(argv[3]));
	}

	/* Do not outlive the host (a hung run would spin forever). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 0;

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, EXP_FD_SHM, 0);
	if (shm == MAP_FAILED)
		die("cannot map the shared memory on fd 3 (start me through callfuzz)");
	setup_memory();
	if (ring_size)
		setup_ring();
	setup_signals();
	for (int r = 19; r <= 29; r++)
		ex_tramp_state.pattern[r - 19] = abi_pattern(r);

	say_hello(shm);
	bell = EXP_BELL_HELLO;
	if (write(EXP_FD_DOORBELL, &bell, 1) != 1)
		die("cannot ring the doorbell on fd 4");
	for (uint32_t last = 0;;) {
		uint64_t seen;

		wait_request(&shm->sync, last);
		seen = counter();
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		last = shm->sync.req_seq;
		run_one(shm);
		shm->rep.busy_ticks = counter() - seen;
		reply_ready(&shm->sync, last);
	}
}

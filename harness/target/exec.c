/* harness/target/exec.c: the host side of the executor (harness.h, "executor";
 * the wire format is harness/executor/protocol.h and
 * docs/executor-protocol.md).
 *
 * The host owns robustness (design.md, "Execution under qemu-aarch64"):
 * every run has a watchdog; a hang is killed and becomes TIMEOUT, a dead
 * executor becomes CRASH, and in both cases a fresh executor is started
 * before exec_run returns, so the caller just goes on. */
#define _GNU_SOURCE
#include "harness/target/target.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/executor/protocol.h"

extern char **environ;

#define HELLO_TIMEOUT_MS 20000 /* qemu starts in ~10 ms; leave room for a loaded CI */

struct exec {
	char exec_path[PATH_MAX];
	char runner[PATH_MAX]; /* qemu binary, or "" to run natively */
	int timeout_ms;
	int spin_us; /* how long exec_run spins for the reply before sleeping
			(with spin_adapt: at most) */
	bool spin_adapt;       /* exec_auto_spin_us: spin twice the mean wait */
	uint64_t wait_mean_ns; /* the mean of the recent waits for a reply */
	int ring_kib; /* exec_opts.ring_kib */
	uint32_t zero_bytes; /* exec_opts.stack_zero_kib in bytes, 0: default */

	pid_t pid;
	int shm_fd;
	int bell; /* our end of the socketpair */
	struct exp_shm *shm;
	uint32_t seq;
	uint32_t last_code_len; /* bytes of shm->code the executor has seen */
	bool code_valid;        /* shm->code[0, last_code_len) is installed */
	int starts;

	struct exp_hello hello; /* copy of the handshake */
	struct exec_info info;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *exec_status_name(enum exec_status s)
{
	switch (s) {
	case EXEC_OK: return "OK";
	case EXEC_CRASH: return "CRASH";
	case EXEC_TIMEOUT: return "TIMEOUT";
	case EXEC_ABI: return "ABI";
	}
	return "?";
}

const char *exec_abi_name(enum exec_abi a)
{
	static const char *const xregs[] = { "x19", "x20", "x21", "x22", "x23",
					     "x24", "x25", "x26", "x27", "x28" };

	if (a >= EXEC_ABI_X19 && a <= EXEC_ABI_X28)
		return xregs[a - EXEC_ABI_X19];
	switch (a) {
	case EXEC_ABI_NONE: return "none";
	case EXEC_ABI_FP: return "fp (x29)";
	case EXEC_ABI_SP: return "sp";
	case EXEC_ABI_CANARY: return "stack canary";
	case EXEC_ABI_SP_ALIGN: return "sp alignment";
	default: return "?";
	}
}

/* ---- finding the programs -------------------------------------------- */

static bool find_in_path(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s", name);
		return access(out, X_OK) == 0;
	}
	snprintf(dirs, sizeof(dirs), "%s:/usr/bin:/usr/local/bin", path && *path ? path : "");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(out, outlen, "%s/%s", *d ? d : ".", name) >= outlen)
			continue;
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

static int find_runner(const struct exec_opts *o, char *out, size_t outlen, struct cf_err *err)
{
#if defined(__aarch64__)
	(void)o;
	(void)err;
	(void)outlen;
	out[0] = 0; /* arm64 host: run the executor directly */
	return 0;
#else
	const char *want = o ? o->qemu : NULL;

	if (want && *want) {
		if (find_in_path(want, out, outlen))
			return 0;
		cf_err_set(err, "qemu '%s' not found or not executable (qemu-aarch64 comes with the "
				"Debian package qemu-user-static)", want);
		return -1;
	}
	/* OSS-Fuzz and ClusterFuzzLite runners have no qemu: build.sh (OSS-Fuzz
	 * mode) ships qemu-aarch64-static next to the fuzz targets. */
	if ((size_t)snprintf(out, outlen, "%s/qemu-aarch64-static", target_self_dir()) < outlen && access(out, X_OK) == 0)
		return 0;
	if (find_in_path("qemu-aarch64-static", out, outlen) || find_in_path("qemu-aarch64", out, outlen))
		return 0;
	cf_err_set(err, "qemu-aarch64 not found: the arm64 executor needs qemu user mode on this "
			"host; install the Debian package qemu-user-static (apt-get install qemu-user-static)");
	return -1;
#endif
}

static int find_executor(const struct exec_opts *o, char *out, size_t outlen, struct cf_err *err)
{
	const char *p = o ? o->exec_path : NULL;

	if (p && *p)
		snprintf(out, outlen, "%s", p);
	else
		snprintf(out, outlen, "%s/callfuzz-exec", target_self_dir());
	if (access(out, R_OK) == 0)
		return 0;
	cf_err_set(err, "%s: %s; build it with `make` (needs aarch64-linux-gnu-gcc: Debian packages "
			"gcc-aarch64-linux-gnu and libc6-dev-arm64-cross)", out, strerror(errno));
	return -1;
}

/* ---- process lifecycle ------------------------------------------------ */

static void reap(struct exec *ex, int *status)
{
	int st = 0;

	if (ex->pid > 0) {
		kill(ex->pid, SIGKILL);
		while (waitpid(ex->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	if (status)
		*status = st;
	ex->pid = -1;
	if (ex->bell >= 0)
		close(ex->bell);
	ex->bell = -1;
}

/* Wait up to timeout_ms for one doorbell byte. 1: got it (in *byte),
 * 0: timeout, -1: the executor is gone (EOF or error). */
static int wait_bell(struct exec *ex, int timeout_ms, char *byte)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		struct pollfd pfd = { .fd = ex->bell, .events = POLLIN };
		uint64_t now = now_ns();
		int left = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
		int n = poll(&pfd, 1, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		ssize_t got = recv(ex->bell, byte, 1, 0);
		if (got == 1)
			return 1;
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return -1;
	}
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* Wait for the reply to request seq (protocol.h: spin, then raise
 * host_sleeping and sleep on the doorbell). 1: ready, 0: timeout, -1: the
 * executor is gone. */
static int wait_reply(struct exec *ex, uint32_t seq)
{
	struct exp_sync *sync = &ex->shm->sync;
	uint64_t start = now_ns(), cap = (uint64_t)ex->spin_us * 1000, spin = cap;
	uint64_t deadline = start + (uint64_t)ex->timeout_ms * 1000000ull, spin_end;
	int rc = 1;

	if (ex->spin_adapt && cap)
		spin = exp_spin_budget(ex->wait_mean_ns, EXP_SPIN_MIN_US * 1000ull, cap);
	spin_end = start + spin;

	for (unsigned i = 1; __atomic_load_n(&sync->rep_seq, __ATOMIC_ACQUIRE) != seq; i++) {
		cpu_relax();
		if (i % 64 == 0 && now_ns() >= spin_end)
			break;
	}
	while (__atomic_load_n(&sync->rep_seq, __ATOMIC_ACQUIRE) != seq) {
		char buf[64];
		uint64_t now = now_ns();
		struct pollfd pfd = { .fd = ex->bell, .events = POLLIN };
		int n;

		__atomic_store_n(&sync->host_sleeping, 1, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sync->rep_seq, __ATOMIC_SEQ_CST) == seq)
			break;
		if (now >= deadline) {
			rc = 0;
			break;
		}
		n = poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000));
		if (n < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		if (n > 0) {
			ssize_t got = recv(ex->bell, buf, sizeof(buf), MSG_DONTWAIT);

			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
				rc = -1; /* EOF: the executor died */
				break;
			}
		}
	}
	__atomic_store_n(&sync->host_sleeping, 0, __ATOMIC_RELAXED);
	if (rc == -1 && __atomic_load_n(&sync->rep_seq, __ATOMIC_ACQUIRE) == seq)
		rc = 1; /* replied, then died: the reply stands */
	if (rc == 1 && ex->spin_adapt)
		ex->wait_mean_ns = exp_spin_mean(ex->wait_mean_ns, now_ns() - start, cap);
	return rc;
}

static void describe_exit(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "stopped (status 0x%x)", status);
}

static int spawn(struct exec *ex, struct cf_err *err)
{
	int sv[2], shm_hi = -1, bell_hi = -1, rc;
	posix_spawn_file_actions_t fa;
	char *argv[5], ring[32];
	char byte = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		cf_err_set(err, "socketpair: %s", strerror(errno));
		return -1;
	}
	/* Move the child's fds out of the way of 3 and 4 before dup2. */
	shm_hi = fcntl(ex->shm_fd, F_DUPFD_CLOEXEC, 64);
	bell_hi = fcntl(sv[1], F_DUPFD_CLOEXEC, 64);
	close(sv[1]);
	if (shm_hi < 0 || bell_hi < 0) {
		cf_err_set(err, "fcntl(F_DUPFD): %s", strerror(errno));
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, shm_hi, EXP_FD_SHM);
	posix_spawn_file_actions_adddup2(&fa, bell_hi, EXP_FD_DOORBELL);
	if (ex->runner[0]) {
		/* Under qemu new code goes to a ring of untranslated addresses,
		 * and code too large for it into an RX region opened only to
		 * copy (docs/executor-protocol.md, "Code placement"). */
		argv[0] = ex->runner;
		argv[1] = ex->exec_path;
		if (ex->ring_kib > 0)
			snprintf(ring, sizeof(ring), "--code-ring=%d", ex->ring_kib);
		else
			snprintf(ring, sizeof(ring), "%s", ex->ring_kib < 0 ? "--code-wx" : "--code-ring");
		argv[2] = ring;
		argv[3] = NULL;
	} else {
		argv[0] = ex->exec_path;
		argv[1] = NULL;
	}
	memset(&ex->shm->sync, 0, sizeof(ex->shm->sync));
	/* Cleared before the spawn: a quick executor writes its hello and
	 * rings before this thread runs again on a loaded machine, and a
	 * clear after the spawn wiped it ("speaks executor protocol 0"). */
	memset(&ex->shm->hello, 0, sizeof(ex->shm->hello));
	ex->shm->sync.exec_spin_us = (uint32_t)ex->spin_us;
	ex->shm->sync.exec_spin_adapt = ex->spin_adapt;
	ex->seq = 0;
	rc = posix_spawn(&ex->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(shm_hi);
	close(bell_hi);
	shm_hi = bell_hi = -1;
	if (rc) {
		ex->pid = -1;
		cf_err_set(err, "cannot start %s: %s", argv[0], strerror(rc));
		goto fail;
	}
	ex->bell = sv[0];
	ex->starts++;
	ex->code_valid = false;

	rc = wait_bell(ex, HELLO_TIMEOUT_MS, &byte);
	if (rc <= 0 || byte != EXP_BELL_HELLO) {
		int st;
		char why[96];

		reap(ex, &st);
		if (rc == 0)
			snprintf(why, sizeof(why), "no hello within %d ms", HELLO_TIMEOUT_MS);
		else
			describe_exit(st, why, sizeof(why));
		cf_err_set(err, "executor %s%s%s did not start: %s", ex->runner, ex->runner[0] ? " " : "",
			   ex->exec_path, why);
		return -1;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	ex->hello = ex->shm->hello;
	if (ex->hello.magic != EXP_MAGIC || ex->hello.version != EXP_VERSION ||
	    ex->hello.hello_size != sizeof(struct exp_hello) ||
	    ex->hello.request_size != sizeof(struct exp_request) ||
	    ex->hello.reply_size != sizeof(struct exp_reply) || ex->hello.shm_size != sizeof(struct exp_shm)) {
		cf_err_set(err, "%s speaks executor protocol %u (layout %u/%u/%u), callfuzz speaks %u "
				"(layout %zu/%zu/%zu): rebuild both with `make`", ex->exec_path,
			   ex->hello.version, ex->hello.hello_size, ex->hello.request_size,
			   ex->hello.reply_size, EXP_VERSION, sizeof(struct exp_hello),
			   sizeof(struct exp_request), sizeof(struct exp_reply));
		reap(ex, NULL);
		return -1;
	}
	if (ex->hello.code_size > EXP_CODE_MAX)
		ex->hello.code_size = EXP_CODE_MAX;
	ex->info.code_addr = ex->hello.code_addr;
	ex->info.code_size = ex->hello.code_size;
	ex->info.stack_lo = ex->hello.stack_lo;
	ex->info.stack_top = ex->hello.stack_top;
	ex->info.ctx_addr = ex->hello.ctx_addr;
	return 0;
fail:
	if (shm_hi >= 0)
		close(shm_hi);
	if (bell_hi >= 0)
		close(bell_hi);
	close(sv[0]);
	return -1;
}

int exec_auto_spin_us(int jobs)
{
	cpu_set_t cpus;

	if (sched_getaffinity(0, sizeof(cpus), &cpus))
		return 0;
	if (jobs < 1)
		jobs = 1;
	return CPU_COUNT(&cpus) >= 2 * jobs ? EXEC_SPIN_US_AUTO : 0;
}

struct exec *exec_start(const struct exec_opts *opts, struct cf_err *err)
{
	struct exec *ex = calloc(1, sizeof(*ex));

	if (!ex) {
		cf_err_set(err, "out of memory");
		return NULL;
	}
	ex->pid = -1;
	ex->bell = -1;
	ex->shm_fd = -1;
	ex->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : EXEC_TIMEOUT_MS_DEFAULT;
	if (!opts || opts->spin_us == 0) {
		ex->spin_us = exec_auto_spin_us(opts ? opts->jobs : 1);
		ex->spin_adapt = true;
	} else {
		ex->spin_us = opts->spin_us > 0 ? opts->spin_us : 0;
	}
	ex->wait_mean_ns = EXP_SPIN_MEAN0_US * 1000ull;
	ex->ring_kib = opts ? opts->ring_kib : 0;
	if (opts && opts->stack_zero_kib > 0)
		ex->zero_bytes = (uint32_t)(opts->stack_zero_kib < 64 ? opts->stack_zero_kib : 64) << 10;
	if (find_runner(opts, ex->runner, sizeof(ex->runner), err) ||
	    find_executor(opts, ex->exec_path, sizeof(ex->exec_path), err))
		goto fail;
	ex->info.runner_path = ex->runner;
	ex->info.exec_path = ex->exec_path;
	ex->info.runner = ex->runner[0] ? strrchr(ex->runner, '/') ? strrchr(ex->runner, '/') + 1 : ex->runner
					: "native";

	ex->shm_fd = memfd_create("callfuzz-exec", MFD_CLOEXEC);
	if (ex->shm_fd < 0) {
		cf_err_set(err, "memfd_create: %s", strerror(errno));
		goto fail;
	}
	if (ftruncate(ex->shm_fd, sizeof(struct exp_shm))) {
		cf_err_set(err, "ftruncate shared memory: %s", strerror(errno));
		goto fail;
	}
	ex->shm = mmap(NULL, sizeof(struct exp_shm), PROT_READ | PROT_WRITE, MAP_SHARED, ex->shm_fd, 0);
	if (ex->shm == MAP_FAILED) {
		ex->shm = NULL;
		cf_err_set(err, "mmap shared memory: %s", strerror(errno));
		goto fail;
	}
	if (spawn(ex, err))
		goto fail;
	return ex;
fail:
	exec_stop(ex);
	return NULL;
}

void exec_stop(struct exec *ex)
{
	if (!ex)
		return;
	reap(ex, NULL);
	if (ex->shm)
		munmap(ex->shm, sizeof(struct exp_shm));
	if (ex->shm_fd >= 0)
		close(ex->shm_fd);
	free(ex);
}

void exec_callee_addrs(const struct exec *ex, uint64_t *addr, int n)
{
	for (int i = 0; i < n; i++)
		addr[i] = 0;
	for (uint32_t i = 0; i < ex->hello.ncallees && i < EXP_MAX_CALLEES; i++) {
		const struct exp_callee_addr *c = &ex->hello.callees[i];
		const struct cf_callee *k = cf_callee_find(c->kfunc != 0, c->id);
		int idx = k ? cf_callee_index(k) : -1;

		if (idx >= 0 && idx < n)
			addr[idx] = c->addr;
	}
}

const struct exec_info *exec_info(const struct exec *ex)
{
	return &ex->info;
}

int exec_restarts(const struct exec *ex)
{
	return ex->starts;
}

/* ---- one run ---------------------------------------------------------- */

/* The call table's name for hello.callees[i], NULL if there is none. */
static const char *callee_name(const struct exec *ex, uint32_t i)
{
	const struct cf_callee *c;

	if (i >= ex->hello.ncallees || i >= EXP_MAX_CALLEES)
		return NULL;
	c = cf_callee_find(ex->hello.callees[i].kfunc != 0, ex->hello.callees[i].id);
	return c ? c->name : NULL;
}

static void fill_from_reply(struct exec *ex, const struct exp_reply *rep, uint32_t code_bytes,
			    struct exec_result *res)
{
	uint32_t nev = rep->trace.nevents;

	res->r0 = rep->r0;
	memcpy(res->ctx, rep->ctx, CF_CTX_SIZE);
	if (nev > CF_TRACE_MAX)
		nev = CF_TRACE_MAX; /* the code scribbled over the reply */
	res->trace.nevents = nev;
	res->trace.dropped = rep->trace.dropped;
	memcpy(res->trace.ev, rep->trace.ev, nev * sizeof(rep->trace.ev[0]));
	res->code_addr = rep->code_addr;
	if (ex->hello.counter_hz) {
		res->run_ns = (uint64_t)((double)rep->run_ticks * 1e9 / (double)ex->hello.counter_hz);
		res->busy_ns = (uint64_t)((double)rep->busy_ticks * 1e9 / (double)ex->hello.counter_hz);
	}

	switch (rep->status) {
	case EXP_OK:
		res->status = EXEC_OK;
		break;
	case EXP_FAULT:
		res->status = EXEC_CRASH;
		res->signal = (int)rep->sig;
		res->fault_addr = rep->fault_addr;
		res->fault_pc = rep->fault_pc;
		if (rep->fault_pc >= rep->code_addr && rep->fault_pc - rep->code_addr < code_bytes)
			res->fault_pc_off = (int64_t)(rep->fault_pc - rep->code_addr);
		snprintf(res->detail, sizeof(res->detail), "signal %d (%s) at pc %s0x%" PRIx64 ", address 0x%" PRIx64,
			 res->signal, strsignal(res->signal), res->fault_pc_off >= 0 ? "code+" : "",
			 res->fault_pc_off >= 0 ? (uint64_t)res->fault_pc_off : res->fault_pc, res->fault_addr);
		break;
	case EXP_ABI:
		res->status = EXEC_ABI;
		res->abi = (enum exec_abi)rep->abi_what;
		res->abi_expected = rep->abi_expected;
		res->abi_actual = rep->abi_actual;
		if (res->abi == EXEC_ABI_SP_ALIGN) {
			res->abi_callee = callee_name(ex, rep->abi_callee);
			res->abi_calls = rep->abi_calls;
			snprintf(res->detail, sizeof(res->detail),
				 "SP 0x%" PRIx64 " not 16-byte aligned at the call of %s (%u misaligned call%s)",
				 res->abi_actual, res->abi_callee ? res->abi_callee : "a helper or kfunc",
				 res->abi_calls, res->abi_calls == 1 ? "" : "s");
		} else if (res->abi == EXEC_ABI_CANARY)
			snprintf(res->detail, sizeof(res->detail),
				 "the stack canary zone above the entry SP was written (byte %" PRIu64 ")",
				 res->abi_actual);
		else
			snprintf(res->detail, sizeof(res->detail),
				 "%s not restored: 0x%" PRIx64 " on return, 0x%" PRIx64 " at entry",
				 exec_abi_name(res->abi), res->abi_actual, res->abi_expected);
		break;
	default:
		res->status = EXEC_CRASH;
		snprintf(res->detail, sizeof(res->detail), "executor refused the request: %.100s", rep->msg);
		break;
	}
}

/* Publish request ex->seq; ring if the executor sleeps. -1: it is gone. */
static int ring_request(struct exec *ex)
{
	struct exp_sync *sync = &ex->shm->sync;
	char byte = EXP_BELL_RUN;

	__atomic_store_n(&sync->req_seq, ex->seq, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sync->exec_sleeping, __ATOMIC_SEQ_CST) &&
	    send(ex->bell, &byte, 1, MSG_NOSIGNAL) != 1)
		return -1;
	return 0;
}

void exec_prepare(struct exec *ex)
{
	char byte = EXP_BELL_WAKE;

	if (ex->pid > 0 && ex->spin_us > 0 && __atomic_load_n(&ex->shm->sync.exec_sleeping, __ATOMIC_SEQ_CST) &&
	    send(ex->bell, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
		/* Gone or full: exec_run finds out and copes. */
	}
}

int exec_run(struct exec *ex, const uint32_t *code, uint32_t ncode, uint32_t entry,
	     const uint8_t ctx_in[CF_CTX_SIZE], struct exec_result *res, struct cf_err *err)
{
	uint64_t t0 = now_ns();
	uint32_t bytes = ncode * 4;
	struct exp_request *req;
	int rc, st;

	res->status = EXEC_CRASH;
	res->r0 = 0;
	res->trace.nevents = res->trace.dropped = 0;
	res->signal = 0;
	res->fault_addr = res->fault_pc = 0;
	res->fault_pc_off = -1;
	res->abi = EXEC_ABI_NONE;
	res->abi_expected = res->abi_actual = 0;
	res->abi_callee = NULL;
	res->abi_calls = 0;
	res->code_addr = 0;
	res->run_ns = res->busy_ns = res->wall_ns = 0;
	res->detail[0] = 0;
	memcpy(res->ctx, ctx_in, CF_CTX_SIZE);

	if (ncode > ex->hello.code_size / 4 || entry >= bytes || entry % 4) {
		cf_err_set(err, "code of %u instructions (entry at byte %u) does not fit the executor's "
				"%" PRIu64 "-byte code region", ncode, entry, ex->hello.code_size);
		return -1;
	}
	if (ex->pid < 0 && spawn(ex, err))
		return -1;

	req = &ex->shm->req;
	req->flags = 0;
	if (ex->code_valid && bytes == ex->last_code_len && !memcmp(ex->shm->code, code, bytes)) {
		req->flags |= EXP_REQ_SAME_CODE;
	} else {
		memcpy(ex->shm->code, code, bytes);
		ex->last_code_len = bytes;
		ex->code_valid = true;
	}
	req->seq = ++ex->seq;
	req->code_len = bytes;
	req->entry = entry;
	req->zero_bytes = ex->zero_bytes;
	memcpy(req->ctx, ctx_in, CF_CTX_SIZE);
	if (ring_request(ex)) {
		/* Died between runs (killed from outside?): one fresh try. */
		reap(ex, NULL);
		if (spawn(ex, err))
			return -1;
		memcpy(ex->shm->code, code, bytes);
		ex->last_code_len = bytes;
		ex->code_valid = true;
		req->flags &= ~EXP_REQ_SAME_CODE;
		req->seq = ++ex->seq;
		if (ring_request(ex)) {
			cf_err_set(err, "executor does not accept requests: %s", strerror(errno));
			reap(ex, NULL);
			return -1;
		}
	}
	rc = wait_reply(ex, ex->seq);
	if (rc == 1) {
		if (ex->shm->rep.seq == ex->seq) {
			fill_from_reply(ex, &ex->shm->rep, bytes, res);
			res->wall_ns = now_ns() - t0;
			return 0;
		}
		snprintf(res->detail, sizeof(res->detail),
			 "executor answered request %u to request %u (shared memory overwritten?)",
			 ex->shm->rep.seq, ex->seq);
		rc = -1;
	}
	if (rc == 0) {
		res->status = EXEC_TIMEOUT;
		snprintf(res->detail, sizeof(res->detail), "no answer within %d ms: executor killed",
			 ex->timeout_ms);
		reap(ex, NULL);
	} else {
		char why[96];

		reap(ex, &st);
		describe_exit(st, why, sizeof(why));
		res->status = EXEC_CRASH;
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
			res->signal = WTERMSIG(st);
		if (!res->detail[0])
			snprintf(res->detail, sizeof(res->detail), "executor died during the run: %s", why);
	}
	/* The caller goes on with a fresh executor. */
	if (spawn(ex, err))
		return -1;
	res->wall_ns = now_ns() - t0;
	return 0;
}

const char *target_self_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		snprintf(dir, sizeof(dir), ".");
		return dir;
	}
	dir[n] = 0;
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	return dir;
}

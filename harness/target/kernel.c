/* harness/target/kernel.c: the host kernel as a target (harness/target/target.h).
 *
 * Rules followed (kernels.md "In the guest", measured on the host's 6.18
 * as well):
 *  - BPF_PROG_TYPE_SYSCALL with BPF_F_SLEEPABLE; BTF with one FUNC_PROTO per
 *    function and func_info (vm_btf_build), or the kernel cannot know the
 *    argument counts;
 *  - no log on the first load: a log buffer with log_level 0 is EINVAL, and
 *    the log costs time; a rejected program is loaded again with log_level 1
 *    for the verdict's text;
 *  - bpf() is called directly, as harness/agent does: with -I. the name
 *    <bpf/bpf.h> is our own bpf/bpf.h, not libbpf's, and the wrappers would
 *    add nothing here;
 *  - BPF_PROG_TEST_RUN with ctx_in only (ctx_out is EINVAL for SYSCALL
 *    programs): the kernel copies the ctx back into ctx_in; retval keeps the
 *    low 32 bits of r0.
 */
#include "harness/target/target.h"
#include "harness/target/target.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* The verifier's log is rotating: when it overflows, the tail (where the
 * reason is) survives. */
#define KERNEL_LOG_SIZE (1u << 20)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int sys_bpf(enum bpf_cmd cmd, union bpf_attr *attr)
{
	int ret = (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));

	return ret < 0 ? -errno : ret;
}

static int btf_load(const struct vm_btf *btf, char *log, uint32_t log_size)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.btf = (uintptr_t)btf->data;
	a.btf_size = btf->len;
	if (log) {
		a.btf_log_buf = (uintptr_t)log;
		a.btf_log_size = log_size;
		a.btf_log_level = 1;
	}
	return sys_bpf(BPF_BTF_LOAD, &a);
}

static int prog_load(const struct cf_raw *raw, const struct vm_btf *btf, int btf_fd, char *log, uint32_t log_size)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SYSCALL;
	a.prog_flags = BPF_F_SLEEPABLE;
	a.insns = (uintptr_t)raw->insns;
	a.insn_cnt = (uint32_t)raw->ninsns;
	a.license = (uintptr_t)"GPL";
	memcpy(a.prog_name, "callfuzz", sizeof("callfuzz"));
	a.prog_btf_fd = (uint32_t)btf_fd;
	a.func_info = (uintptr_t)btf->func_info;
	a.func_info_cnt = (uint32_t)btf->nfunc_info;
	a.func_info_rec_size = sizeof(struct bpf_func_info);
	if (log) {
		a.log_buf = (uintptr_t)log;
		a.log_size = log_size;
		a.log_level = 1;
	}
	return sys_bpf(BPF_PROG_LOAD, &a);
}

/* Load raw + BTF. Returns the fd, or -errno with *log set (malloc'd) when
 * log_on_fail. */
static int load_raw(const struct cf_raw *raw, const struct vm_btf *btf, bool log_on_fail, char **log,
		    uint64_t *load_ns)
{
	uint64_t t0;
	int btf_fd, fd;

	*log = NULL;
	btf_fd = btf_load(btf, NULL, 0);
	if (btf_fd < 0) {
		if (log_on_fail && (*log = calloc(1, KERNEL_LOG_SIZE))) {
			int again = btf_load(btf, *log, KERNEL_LOG_SIZE);
			size_t n;

			if (again >= 0)
				close(again);
			n = strlen(*log);
			snprintf(*log + n, KERNEL_LOG_SIZE - n, "(BTF_LOAD: %s)\n", strerror(-btf_fd));
		}
		return btf_fd;
	}
	t0 = now_ns();
	fd = prog_load(raw, btf, btf_fd, NULL, 0);
	if (load_ns)
		*load_ns = now_ns() - t0;
	if (fd < 0 && log_on_fail && (*log = calloc(1, KERNEL_LOG_SIZE))) {
		int again = prog_load(raw, btf, btf_fd, *log, KERNEL_LOG_SIZE);

		if (again >= 0) {
			close(again);
			snprintf(*log, KERNEL_LOG_SIZE, "load failed (%s), then passed with log_level 1\n",
				 strerror(-fd));
		}
	}
	close(btf_fd);
	return fd;
}

/* ctx_in only: the kernel writes the ctx back into it (ctx_out is EINVAL
 * for SYSCALL programs). */
static int run_fd(int fd, uint8_t ctx[CF_CTX_SIZE], uint32_t *retval)
{
	union bpf_attr a;
	int err;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.ctx_in = (uintptr_t)ctx;
	a.test.ctx_size_in = CF_CTX_SIZE;
	err = sys_bpf(BPF_PROG_TEST_RUN, &a);
	*retval = a.test.retval;
	return err < 0 ? -err : 0;
}

static int convert(const struct cf_prog *p, struct cf_raw *raw, struct vm_btf *btf, struct cf_err *err)
{
	if (cf_prog_to_raw(p, raw, err))
		return -1;
	if (vm_btf_build(raw, false, btf, err)) {
		cf_raw_free(raw);
		return -1;
	}
	return 0;
}

int kernel_run(const struct cf_prog *p, const uint8_t ctx_in[CF_CTX_SIZE], struct kernel_result *res,
	       struct cf_err *err)
{
	struct cf_raw raw;
	struct vm_btf btf;
	int fd;

	memset(res, 0, sizeof(*res));
	if (ctx_in)
		memcpy(res->ctx, ctx_in, CF_CTX_SIZE);
	if (convert(p, &raw, &btf, err))
		return -1;
	fd = load_raw(&raw, &btf, true, &res->log, &res->load_ns);
	if (fd < 0) {
		res->load_err = -fd;
	} else {
		res->run_err = run_fd(fd, res->ctx, &res->retval);
		close(fd);
	}
	vm_btf_free(&btf);
	cf_raw_free(&raw);
	return 0;
}

void kernel_result_release(struct kernel_result *res)
{
	free(res->log);
	res->log = NULL;
}

/* main: r1..r5 = 1..5, arg 6 = 6 through r11-8, call f6; f6 adds them: 21
 * (stack-args.md 1). */
static const char stack_arg_probe[] =
	".func main\n"
	"    r1 = 1\n    r2 = 2\n    r3 = 3\n    r4 = 4\n    r5 = 5\n"
	"    *(u64 *)(r11 - 8) = 6\n"
	"    call f6\n"
	"    exit\n"
	".func f6, 6\n"
	"    r0 = *(u64 *)(r11 + 8)\n"
	"    r0 += r1\n    r0 += r2\n    r0 += r3\n    r0 += r4\n    r0 += r5\n"
	"    exit\n";

static const char trivial_probe[] = ".func main\n    r0 = 0\n    exit\n";

/* A ctx load through a moved pointer: 7.2 loads it (SYSCALL programs,
 * check_ctx_access), 6.18 says "dereference of modified ctx ptr". */
static const char ctx_moved_probe[] = ".func main\n    r1 += 8\n    r0 = *(u8 *)(r1 - 8)\n    exit\n";

/* Load and run one probe program: 0 with retval, or -errno with the log. */
static int probe_one(const char *text, uint32_t *retval, char *msg, size_t msglen)
{
	struct kernel_result kr;
	struct cf_prog p;
	struct cf_err err;
	int ret;

	if (cf_asm_parse(text, strlen(text), "probe", &p, &err) || kernel_run(&p, NULL, &kr, &err)) {
		snprintf(msg, msglen, "probe program: %s", err.msg);
		cf_prog_free(&p);
		return -EINVAL;
	}
	cf_prog_free(&p);
	if (kr.load_err) {
		snprintf(msg, msglen, "%s", kr.log && kr.log[0] ? kr.log : strerror(kr.load_err));
		ret = -kr.load_err;
	} else if (kr.run_err) {
		snprintf(msg, msglen, "loads, but BPF_PROG_TEST_RUN fails: %s", strerror(kr.run_err));
		ret = -kr.run_err;
	} else {
		*retval = kr.retval;
		ret = 0;
	}
	kernel_result_release(&kr);
	return ret;
}

int kernel_probe(struct kernel_probe *out)
{
	struct utsname u;
	uint32_t retval = 0;
	char msg[sizeof(out->msg)];
	int ret;

	memset(out, 0, sizeof(*out));
	out->max_args = CF_MAX_REG_ARGS;
	if (uname(&u) == 0)
		snprintf(out->release, sizeof(out->release), "%s", u.release);
	ret = probe_one(trivial_probe, &retval, msg, sizeof(msg));
	if (ret == -EPERM || ret == -EACCES) {
		snprintf(out->msg, sizeof(out->msg),
			 "bpf() refused (%s): loading BPF_PROG_TYPE_SYSCALL programs needs root "
			 "(CAP_SYS_ADMIN + CAP_BPF) and a kernel that allows bpf() here "
			 "(containers often filter it with seccomp)",
			 strerror(-ret));
		return 0;
	}
	if (ret == -ENOSYS) {
		snprintf(out->msg, sizeof(out->msg), "bpf() is not implemented (CONFIG_BPF_SYSCALL is off)");
		return 0;
	}
	if (ret) {
		snprintf(out->msg, sizeof(out->msg), "a 2-insn SYSCALL program does not load: %.1900s", msg);
		return 0;
	}
	out->bpf_allowed = true;
	out->ctx_moved_ok = probe_one(ctx_moved_probe, &retval, msg, sizeof(msg)) == 0;
	ret = probe_one(stack_arg_probe, &retval, msg, sizeof(msg));
	if (ret == 0 && retval == 21) {
		out->stack_args = true;
		out->max_args = CF_MAX_ARGS;
	} else if (ret == 0) {
		snprintf(out->msg, sizeof(out->msg), "the 6-argument probe returns %" PRIu32 ", not 21", retval);
	} else {
		snprintf(out->msg, sizeof(out->msg), "%s", msg);
	}
	return 0;
}

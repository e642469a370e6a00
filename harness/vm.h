/* harness/vm.h: real kernels under qemu-system as a callfuzz target
 * (internal to harness/).
 *
 * A `struct vm` is one guest (arm64 or x86-64, TCG) running the agent of
 * harness/agent/ as /init; requests travel over virtio-serial in the
 * protocol of docs/vm-protocol.md. Every request has a watchdog: a guest
 * that does not answer in time is VM_TIMEOUT, a guest whose kernel oopses or
 * panics is VM_CRASH with the console text (vm_crash_text); in both cases
 * the VM has been booted again before the call returns, and every handle of
 * the old guest is gone.
 *
 * Typical use (one round trip per program):
 *
 *	struct vm_opts o;
 *	vm_opts_default(&o, VM_ARCH_ARM64);
 *	struct vm *vm = vm_start(&o, &err);
 *	struct vm_req r[3] = {
 *		{ .kind = VM_REQ_LOAD, .prog = &prog },
 *		{ .kind = VM_REQ_RUN, .handle = VM_HANDLE_LAST, .ctx = ctx, .ctx_len = 256, .ctx_out = ctx },
 *		{ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST },
 *	};
 *	st = vm_batch(vm, r, 3, &err);   // r[0].err, r[0].log: verdict; r[1].retval
 *	vm_req_release(r, 3);
 *	vm_stop(vm);
 */
#ifndef CALLFUZZ_HARNESS_VM_H
#define CALLFUZZ_HARNESS_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/bpf.h>

#include "bpf/bpf.h"

enum vm_arch {
	VM_ARCH_ARM64,
	VM_ARCH_X86_64,
};

/* "arm64"/"aarch64", "x86_64"/"amd64"/"x86-64"; -1 if unknown. */
int vm_arch_parse(const char *name, enum vm_arch *out);
const char *vm_arch_name(enum vm_arch arch);
/* The architecture of a kernel image from its header (arm64 Image magic,
 * x86 bzImage "HdrS"); -1 with a message if neither. */
int vm_image_arch(const char *path, enum vm_arch *out, struct cf_err *err);

struct vm_opts {
	enum vm_arch arch;
	const char *kernel;      /* NULL: vm_default_kernel() */
	const char *initrd;      /* NULL: <dir of callfuzz>/agent/<arch>/initramfs.cpio.gz */
	const char *qemu;        /* NULL: qemu-system-aarch64 / qemu-system-x86_64 from PATH */
	const char *console_log; /* NULL: console.log in the VM's temporary directory,
	                            removed by vm_stop; given: kept, every boot appended */
	int mem_mb;              /* guest memory, default 512 */
	int boot_timeout_ms;     /* boot to HELLO, default 60000 */
	int req_timeout_ms;      /* one request or batch, default 10000 */
	const char *local_agent; /* testing: run this agent binary with --stdio on the host
	                            kernel instead of booting (kernel/initrd unused) */
};

void vm_opts_default(struct vm_opts *o, enum vm_arch arch);
/* $CALLFUZZ_KERNEL, else <dir of callfuzz>/kernels/<arch>/vmlinuz, else
 * cache/kernels/<arch>/vmlinuz beside build/ (harness/fetch-kernels.sh puts
 * them there). Returns a static path that exists, or NULL. */
const char *vm_default_kernel(enum vm_arch arch);

/* What the agent found when the guest came up (HELLO). */
struct vm_info {
	int proto_version;
	char release[128];     /* uname -r of the guest */
	char machine[32];      /* uname -m */
	bool stack_args;       /* a 6-argument subprog call loads and returns right */
	bool jit_switchable;   /* bpf_jit_enable can be set to 0 (interpreter) */
	bool jit_on;           /* programs are JITed now */
	int jit_enable;        /* bpf_jit_enable at boot, -1 if unreadable */
	char probe_log[2048];  /* why the stack-argument probe failed ("R11 is invalid") */
	double boot_ms;        /* last boot: qemu start to HELLO */
	int boots;             /* 1 + restarts */
};

enum vm_status {
	VM_OK = 0,
	VM_REJECTED, /* vm_load: the kernel refused the program (verdict in log) */
	VM_TIMEOUT,  /* the guest did not answer in req_timeout_ms; restarted */
	VM_CRASH,    /* the guest kernel oopsed/panicked; vm_crash_text; restarted */
	VM_ERROR,    /* transport or host failure; err says what */
};

const char *vm_status_name(enum vm_status st);

#define VM_HANDLE_NONE 0xffffffffu
#define VM_HANDLE_LAST 0xfffffffeu /* the program loaded last in this guest */

/* The JIT image of a loaded program. Addresses in the guest are mapped to
 * offsets in `image` (all functions back to back, in ksym order). */
struct vm_jit_line {
	int slot;          /* flat instruction index (cf_raw) the line_info was given for */
	uint32_t xlated;   /* its offset in the verifier's rewritten program */
	int64_t image_off; /* offset in image, -1 if the address is outside it */
};

struct vm_jit {
	uint8_t *image;
	uint32_t len;
	int nfuncs;
	uint64_t *ksyms;      /* guest address of each function */
	uint32_t *func_lens;  /* bytes of each function; image is their concatenation */
	uint32_t *func_offs;  /* offset of each function in image */
	int nlines;           /* only when loaded with line_info */
	struct vm_jit_line *lines;
	uint32_t xlated_len;  /* bytes of the rewritten bytecode */
};

void vm_jit_free(struct vm_jit *j);
/* The image disassembled by llvm-objdump-19, each function under its name
 * and each BPF instruction (jited_line_info) above its first native
 * instruction (harness/target_vm.c). */
void vm_print_jit(FILE *out, const struct vm_jit *j, const struct cf_prog *p, enum vm_arch arch);

enum vm_req_kind {
	VM_REQ_LOAD,     /* in: prog, line_info; out: err, log, handle, guest_ns */
	VM_REQ_RUN,      /* in: handle, ctx, ctx_len, ctx_out; out: err, retval, ctx_out, guest_ns */
	VM_REQ_JIT_INFO, /* in: handle; out: err, jit */
	VM_REQ_CLOSE,    /* in: handle; out: err */
	VM_REQ_SET_JIT,  /* in: jit_enable; out: err, prev_jit */
	VM_REQ_ECHO,     /* in: ctx, ctx_len (payload); out: err (round-trip measurement) */
};

struct vm_req {
	enum vm_req_kind kind;
	/* inputs */
	const struct cf_prog *prog;
	bool line_info;          /* LOAD: one line_info per insn, so that vm_jit maps insns */
	uint32_t handle;         /* a LOAD's handle or VM_HANDLE_LAST */
	const uint8_t *ctx;      /* RUN: ctx_in bytes (kernels.md: ctx_in only) */
	uint32_t ctx_len;
	uint8_t *ctx_out;        /* RUN: ctx_len bytes for the ctx after the run, or NULL */
	int jit_enable;          /* SET_JIT: 0 interpreter, 1 JIT */
	/* outputs */
	int err;                 /* 0 or the kernel's errno */
	char *log;               /* LOAD failure: the verifier log (malloc'd, vm_req_release) */
	uint32_t new_handle;     /* LOAD: VM_HANDLE_NONE on failure */
	uint64_t guest_ns;       /* LOAD/RUN: time of the syscall inside the guest */
	uint32_t retval;         /* RUN: r0 (BPF_PROG_TEST_RUN keeps its low 32 bits) */
	int prev_jit;            /* SET_JIT */
	struct vm_jit jit;       /* JIT_INFO */
};

void vm_req_release(struct vm_req *reqs, int n);

struct vm;

/* Boots a guest and waits for its HELLO. NULL with err on failure: missing
 * kernel or initramfs, qemu not installed, boot timeout (with the console's
 * last lines). */
struct vm *vm_start(const struct vm_opts *o, struct cf_err *err);
void vm_stop(struct vm *vm); /* powers off (kills after 2 s); NULL is fine */
int vm_restart(struct vm *vm, struct cf_err *err);
const struct vm_info *vm_get_info(const struct vm *vm);
/* The oops/panic text of the last VM_CRASH (or the console tail of the
 * last VM_TIMEOUT); "" if none. */
const char *vm_crash_text(const struct vm *vm);
const char *vm_console_path(const struct vm *vm);

/* Sends all requests in one message (one round trip, ~0.4 ms under TCG)
 * and fills their outputs. VM_OK when the guest answered, whatever each
 * request's err; VM_TIMEOUT/VM_CRASH/VM_ERROR otherwise (outputs then
 * unset). A LOAD that cannot be converted (cf_prog_to_raw, BTF) makes the
 * whole batch VM_ERROR before anything is sent. */
enum vm_status vm_batch(struct vm *vm, struct vm_req *reqs, int n, struct cf_err *err);

/* One-request conveniences over vm_batch. */
enum vm_status vm_load(struct vm *vm, const struct cf_prog *p, bool line_info, uint32_t *handle,
		       char **log, struct cf_err *err);
/* ctx is ctx_in and receives the ctx after the run (may be NULL if ctx_len 0). */
enum vm_status vm_test_run(struct vm *vm, uint32_t handle, uint8_t *ctx, uint32_t ctx_len,
			   uint32_t *retval, struct cf_err *err);
enum vm_status vm_jit_image(struct vm *vm, uint32_t handle, struct vm_jit *out, struct cf_err *err);
enum vm_status vm_close(struct vm *vm, uint32_t handle, struct cf_err *err);
enum vm_status vm_set_jit(struct vm *vm, int jit_enable, int *prev, struct cf_err *err);

/* ---- BTF and func_info for the kernel (harness/btf.c, libbpf) ---------- */

/* What BPF_PROG_LOAD needs beside the insns (kernels.md "In the guest"):
 * BTF with one INT, one FUNC_PROTO per function with its real parameter
 * count and one FUNC per function (entry global, others as declared), and
 * one func_info record per function. With line_info, one bpf_line_info per
 * instruction (not the second slot of LD_IMM64), whose line number is the
 * flat slot index + 1 so that jited_line_info maps back to it. */
struct vm_btf {
	void *data; /* raw BTF (btf__raw_data) */
	uint32_t len;
	struct bpf_func_info *func_info;
	int nfunc_info;
	struct bpf_line_info *line_info;
	int nline_info;
};

int vm_btf_build(const struct cf_raw *raw, bool line_info, struct vm_btf *out, struct cf_err *err);
void vm_btf_free(struct vm_btf *b);

#endif

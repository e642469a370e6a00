/* tests/target/vm_kmsg.c: the agent reads the guest kernel's log after
 * each program (KMSG, docs/vm-protocol.md), on Debian's arm64 kernel booted
 * under qemu-system. The kernel itself writes the line looked for: setting
 * net.core.bpf_jit_enable to 2 makes net/core/sysctl_net_core.c warn
 * "bpf_jit_enable = 2 was set!". Skips without the kernel image or qemu. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/target/target.h"
#include "tests/test.h"

static bool have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

TEST(vm_kmsg_carries_what_the_kernel_printed_and_only_once)
{
	const char *kernel = vm_default_kernel(VM_ARCH_ARM64);
	struct vm_opts o;
	struct vm *vm;
	struct cf_err err;
	struct cf_prog p;
	struct cf_func *m;
	struct vm_req r[8];
	uint8_t ctx[CF_CTX_SIZE] = { 0 };
	struct kreport rep;

	if (!kernel)
		SKIP("no arm64 kernel image (harness/target/fetch-kernels.sh fetches Debian's)");
	if (!have("qemu-system-aarch64"))
		SKIP("qemu-system-aarch64 not installed (apt-get install qemu-system-arm)");
	vm_opts_default(&o, VM_ARCH_ARM64);
	o.kernel = kernel;
	vm = vm_start(&o, &err);
	REQUIRE_MSG(vm, "vm_start: %s", err.msg);
	CHECK(vm_get_info(vm)->kmsg);

	/* the kernel warns when bpf_jit_enable becomes 2; the next KMSG has
	 * the line, the one after it does not */
	memset(r, 0, sizeof(r));
	r[0] = (struct vm_req){ .kind = VM_REQ_SET_JIT, .jit_enable = 2 };
	r[1] = (struct vm_req){ .kind = VM_REQ_KMSG };
	r[2] = (struct vm_req){ .kind = VM_REQ_SET_JIT, .jit_enable = 1 };
	r[3] = (struct vm_req){ .kind = VM_REQ_KMSG };
	REQUIRE(vm_batch(vm, r, 4, &err) == VM_OK);
	CHECK_EQ(r[0].err, 0);
	CHECK_EQ(r[1].err, 0);
	CHECK_MSG(r[1].log && strstr(r[1].log, "bpf_jit_enable = 2 was set!"), "KMSG after the sysctl: %s",
		  r[1].log ? r[1].log : "(nothing)");
	/* records come without their "prio,seq,usec,flags;" header */
	CHECK_MSG(r[1].log && !strchr(r[1].log, ';'), "header left in: %s", r[1].log ? r[1].log : "");
	CHECK_MSG(!r[3].log || !strstr(r[3].log, "bpf_jit_enable = 2"), "the line came twice: %s", r[3].log);
	/* a warning that is not a report */
	CHECK(!kreport_find(r[1].log, &rep));
	vm_req_release(r, 4);

	/* a program that loads and runs cleanly leaves no report */
	cf_prog_init(&p);
	m = cf_prog_add_func(&p, "main", 1, false);
	cf_func_emit(m, cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 7), 0);
	cf_func_emit(m, cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0), 0);
	memset(r, 0, sizeof(r));
	r[0] = (struct vm_req){ .kind = VM_REQ_LOAD, .prog = &p };
	r[1] = (struct vm_req){ .kind = VM_REQ_RUN, .handle = VM_HANDLE_LAST, .ctx = ctx, .ctx_len = sizeof(ctx) };
	r[2] = (struct vm_req){ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST };
	r[3] = (struct vm_req){ .kind = VM_REQ_KMSG, .settle_ms = 50 };
	REQUIRE(vm_batch(vm, r, 4, &err) == VM_OK);
	CHECK_EQ(r[0].err, 0);
	CHECK_EQ(r[1].retval, 7);
	CHECK_EQ(r[3].err, 0);
	CHECK_MSG(!kreport_find(r[3].log, &rep), "a report after a clean program: %s", rep.title);
	kreport_release(&rep);
	vm_req_release(r, 4);
	cf_prog_free(&p);
	vm_stop(vm);
}

/* tests/target/kreport.c: the kernel's own reports in a guest's log
 * (kreport_find) and the buckets they make (target_signature). The logs
 * are written here by hand in the layout /dev/kmsg gives (one record per
 * line, no time stamps), after reports printed by 6.x/7.x kernels on arm64
 * and x86-64; the expected names follow the kernel developer's reading of
 * them ("KASAN: slab-out-of-bounds in check_stack_write"). */
#include "harness/target/target.h"
#include "tests/test.h"

#include <stdlib.h>

static const char kasan_arm64[] =
	"bpf: some unrelated line\n"
	"==================================================================\n"
	"BUG: KASAN: slab-out-of-bounds in check_stack_arg_write+0x1e4/0x2a0\n"
	"Write of size 8 at addr ffff000003f1e6b8 by task init/1\n"
	"\n"
	"CPU: 0 UID: 0 PID: 1 Comm: init Not tainted 7.2.13 #1\n"
	"Hardware name: linux,dummy-virt (DT)\n"
	"Call trace:\n"
	" show_stack+0x20/0x38 (C)\n"
	" dump_stack_lvl+0x8c/0xd0\n"
	" print_report+0x118/0x5e0\n"
	" kasan_report+0xa0/0xf0\n"
	" __asan_store8+0x9c/0xc0\n"
	" check_stack_arg_write+0x1e4/0x2a0\n"
	" do_check+0x1a34/0x3b10\n"
	" do_check_common+0x3f0/0x9a8\n"
	" bpf_check+0x2d9c/0x3a48\n"
	"\n"
	"Allocated by task 1:\n";

TEST(kreport_kasan_is_named_by_its_type_and_function)
{
	struct kreport r;

	REQUIRE(kreport_find(kasan_arm64, &r));
	CHECK_STR(r.kind, "KASAN");
	CHECK_STR(r.detail, "slab-out-of-bounds");
	CHECK_STR(r.func, "check_stack_arg_write");
	CHECK_STR(r.name, "KASAN-slab-out-of-bounds-check_stack_arg_write");
	CHECK_STR(r.title, "BUG: KASAN: slab-out-of-bounds in check_stack_arg_write+0x1e4/0x2a0");
	/* the stack after the reporting machinery */
	CHECK(!strncmp(r.frames, "check_stack_arg_write do_check do_check_common", 46));
	/* the text starts at the report, not at the lines before it */
	REQUIRE(r.text);
	CHECK(!strncmp(r.text, "BUG: KASAN:", 11));
	CHECK(strstr(r.text, "Allocated by task 1:") != NULL);
	kreport_release(&r);
	CHECK(r.text == NULL);
}

static const char warn_x86[] =
	"------------[ cut here ]------------\n"
	"verifier bug: stack arg slot out of range\n"
	"WARNING: CPU: 0 PID: 1 at kernel/bpf/verifier.c:20831 do_misc_fixups.isra.0+0x5a1/0x1c30\n"
	"Modules linked in:\n"
	"CPU: 0 UID: 0 PID: 1 Comm: init Not tainted 7.2.13 #1 PREEMPT(voluntary)\n"
	"RIP: 0010:do_misc_fixups.isra.0+0x5a1/0x1c30\n"
	"Call Trace:\n"
	" <TASK>\n"
	" ? __warn+0x89/0x130\n"
	" ? report_bug+0x164/0x190\n"
	" bpf_check+0x1f2b/0x2c80\n"
	" bpf_prog_load+0x6a8/0xd20\n"
	" __sys_bpf+0xc4b/0x2130\n"
	" </TASK>\n"
	"---[ end trace 0000000000000000 ]---\n";

TEST(kreport_warning_is_named_by_the_function_that_warned)
{
	struct kreport r;

	REQUIRE(kreport_find(warn_x86, &r));
	CHECK_STR(r.kind, "WARNING");
	CHECK_STR(r.func, "do_misc_fixups"); /* .isra.0 is the compiler's, not the kernel's */
	CHECK_STR(r.name, "WARNING-do_misc_fixups");
	/* RIP first, then the stack: "? " frames are unreliable and skipped */
	CHECK_STR(r.frames, "do_misc_fixups bpf_check bpf_prog_load __sys_bpf");
	kreport_release(&r);
}

TEST(kreport_warning_of_7_2_names_the_function_after_at)
{
	struct kreport r;

	/* 7.2 moved the place to the front: file:line, then " at " the function */
	REQUIRE(kreport_find("WARNING: kernel/bpf/fixups.c:1062 at bpf_jit_subprogs+0xa90/0xec8, CPU#0: init/1\n"
			     "Modules linked in:\n"
			     "pc : bpf_jit_subprogs+0xa90/0xec8\n"
			     "lr : bpf_jit_subprogs+0xa90/0xec8\n"
			     "Call trace:\n"
			     " bpf_jit_subprogs+0xa90/0xec8 (P)\n"
			     " bpf_check+0x2470/0x2f50\n",
			     &r));
	CHECK_STR(r.kind, "WARNING");
	CHECK_STR(r.func, "bpf_jit_subprogs");
	CHECK_STR(r.name, "WARNING-bpf_jit_subprogs");
	kreport_release(&r);
}

static const char ubsan[] =
	"UBSAN: array-index-out-of-bounds in kernel/bpf/verifier.c:4567:23\n"
	"index 7 is out of range for type 'bpf_reg_state [7]'\n"
	"CPU: 0 UID: 0 PID: 1 Comm: init Not tainted 7.2.13 #1\n"
	"Call trace:\n"
	" dump_backtrace+0x9c/0x100\n"
	" __ubsan_handle_out_of_bounds+0xc8/0x100\n"
	" check_outgoing_stack_args+0x2f0/0x340\n"
	" check_func_call+0x1c8/0x680\n";

TEST(kreport_ubsan_is_named_by_its_check_and_first_frame)
{
	struct kreport r;

	REQUIRE(kreport_find(ubsan, &r));
	CHECK_STR(r.kind, "UBSAN");
	CHECK_STR(r.detail, "array-index-out-of-bounds");
	CHECK_STR(r.func, "check_outgoing_stack_args");
	CHECK_STR(r.name, "UBSAN-array-index-out-of-bounds-check_outgoing_stack_args");
	kreport_release(&r);
}

TEST(kreport_lockdep_watchdog_and_private_stack_have_kinds_of_their_own)
{
	struct kreport r;

	REQUIRE(kreport_find("\n======================================================\n"
			     "WARNING: possible circular locking dependency detected\n"
			     "7.2.13 #1 Not tainted\n"
			     "------------------------------------------------------\n"
			     "init/1 is trying to acquire lock:\n"
			     "Call trace:\n"
			     " print_circular_bug+0x2a8/0x360\n"
			     " check_noncircular+0x168/0x188\n"
			     " __lock_acquire+0x1364/0x2040\n"
			     " lock_acquire+0x1c8/0x354\n"
			     " bpf_map_update_value+0x3c/0x1a0\n",
			     &r));
	CHECK_STR(r.kind, "LOCKDEP-circular");
	CHECK_STR(r.func, "bpf_map_update_value");
	kreport_release(&r);

	REQUIRE(kreport_find("watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [init:1]\n"
			     "CPU: 0 UID: 0 PID: 1 Comm: init Not tainted 7.2.13 #1\n"
			     "pc : bpf_prog_3b185187f1855c4c_main+0x54/0x60\n"
			     "Call trace:\n"
			     " bpf_prog_3b185187f1855c4c_main+0x54/0x60 (P)\n"
			     " bpf_prog_test_run_syscall+0xe8/0x1a0\n",
			     &r));
	CHECK_STR(r.kind, "SOFTLOCKUP");
	CHECK_STR(r.name, "SOFTLOCKUP-bpf_prog_3b185187f1855c4c_main");
	kreport_release(&r);

	REQUIRE(kreport_find("BPF private stack overflow/underflow detected for prog bpf_prog_0123456789abcdef_mainx\n",
			     &r));
	CHECK_STR(r.kind, "PRIVSTACK");
	CHECK_STR(r.name, "PRIVSTACK");
	kreport_release(&r);
}

TEST(kreport_ordinary_kernel_lines_are_no_report)
{
	struct kreport r;

	CHECK(!kreport_find("", &r));
	CHECK(!kreport_find(NULL, &r));
	CHECK(!kreport_find("random: crng init done\n"
			    "bpf: Unprivileged eBPF is enabled, data leaks possible via Spectre v2 BHB attacks!\n"
			    "callfuzz agent: kernel log records were lost\n"
			    "  WARNING: is only a report at the start of a line\n",
			    &r));
	CHECK(r.text == NULL);
}

TEST(kreport_makes_a_bucket_of_its_own)
{
	struct target_case c;
	char sig[256];
	bool known = true;

	memset(&c, 0, sizeof(c));
	c.checker_ok = true;
	c.nvoices = 1;
	c.voice[0].kind = TARGET_VOICE_KERNEL_JIT;
	c.mvoice = 0;
	c.m.kind = MISMATCH_REPORT;
	REQUIRE(kreport_find(kasan_arm64, &c.report));
	target_signature(&c, sig, sizeof(sig), &known);
	CHECK_STR(sig, "REPORT-KASAN-slab-out-of-bounds-check_stack_arg_write");
	CHECK(!known);
	CHECK_STR(mismatch_kind_name(MISMATCH_REPORT), "REPORT");
	kreport_release(&c.report);
}

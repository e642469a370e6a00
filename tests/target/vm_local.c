/* tests/target/vm_local.c: the vm target without booting: BTF building,
 * kernel image detection, and the agent protocol end to end with the agent
 * run on the host kernel (vm_opts.local_agent). The booted guests are
 * covered by tests/e2e/vm_*.sh. */
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness/target/target.h"
#include "tests/test.h"

#define MOV_K(d, imm) cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, imm)
#define EXIT() cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static void emit(struct cf_func *f, struct bpf_insn i)
{
	cf_func_emit(f, i, 0);
}

/* main: r0 = 0x1122334455667788 ll; call f12... only its BTF matters here */
static void three_funcs(struct cf_prog *p)
{
	struct cf_func *m, *f12, *g;

	cf_prog_init(p);
	m = cf_prog_add_func(p, "main", 1, false);
	emit(m, cf_insn(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 0x55667788));
	emit(m, cf_insn(0, 0, 0, 0, 0x11223344));
	emit(m, EXIT());
	f12 = cf_prog_add_func(p, "f12", 12, false);
	emit(f12, MOV_K(0, 12));
	emit(f12, EXIT());
	g = cf_prog_add_func(p, "g3", 3, true);
	emit(g, MOV_K(0, 3));
	emit(g, EXIT());
}

static const struct btf_type *func_proto(const struct btf *btf, uint32_t func_id, const char **name,
					  int *linkage)
{
	const struct btf_type *f = btf__type_by_id(btf, func_id);

	if (!f || !btf_is_func(f))
		return NULL;
	*name = btf__name_by_offset(btf, f->name_off);
	*linkage = btf_vlen(f);
	return btf__type_by_id(btf, f->type);
}

TEST(vm_btf_one_proto_per_function_with_its_argument_count)
{
	struct cf_prog p;
	struct cf_raw raw;
	struct vm_btf b;
	struct cf_err err;
	static const struct {
		const char *name;
		int nargs, linkage, start;
	} want[] = {
		{ "main", 1, BTF_FUNC_GLOBAL, 0 }, /* the entry is global (kernels.md) */
		{ "f12", 12, BTF_FUNC_STATIC, 3 },
		{ "g3", 3, BTF_FUNC_GLOBAL, 5 },
	};

	three_funcs(&p);
	REQUIRE(cf_prog_to_raw(&p, &raw, &err) == 0);
	REQUIRE_MSG(vm_btf_build(&raw, true, &b, &err) == 0, "%s", err.msg);
	struct btf *btf = btf__new(b.data, b.len);

	REQUIRE(btf != NULL);
	CHECK_EQ(b.nfunc_info, 3);
	for (int i = 0; i < 3 && i < b.nfunc_info; i++) {
		const char *name = NULL;
		int linkage = -1;
		const struct btf_type *proto = func_proto(btf, b.func_info[i].type_id, &name, &linkage);

		REQUIRE(proto && btf_is_func_proto(proto));
		CHECK_STR(name, want[i].name);
		CHECK_EQ(linkage, want[i].linkage);
		CHECK_EQ((int)btf_vlen(proto), want[i].nargs);
		CHECK_EQ((int)b.func_info[i].insn_off, want[i].start);
	}
	/* 7 slots, the LD_IMM64's second one has no line_info */
	CHECK_EQ(b.nline_info, 6);
	static const int slots[] = { 0, 2, 3, 4, 5, 6 };

	for (int i = 0; i < 6 && i < b.nline_info; i++) {
		CHECK_EQ((int)b.line_info[i].insn_off, slots[i]);
		CHECK_EQ((int)(b.line_info[i].line_col >> 10), slots[i] + 1);
	}
	btf__free(btf);
	vm_btf_free(&b);
	cf_raw_free(&raw);
	cf_prog_free(&p);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	fwrite(data, 1, len, f);
	fclose(f);
}

TEST(vm_image_arch_from_the_boot_header)
{
	char path[] = "/tmp/callfuzz-vmtest.XXXXXX";
	int fd = mkstemp(path);
	uint8_t h[0x300];
	enum vm_arch a = (enum vm_arch)-1;
	struct cf_err err;

	REQUIRE(fd >= 0);
	close(fd);
	memset(h, 0, sizeof(h));
	memcpy(h + 56, "ARM\x64", 4); /* arm64 booting.rst: magic at 56 */
	write_file(path, h, sizeof(h));
	CHECK(vm_image_arch(path, &a, &err) == 0 && a == VM_ARCH_ARM64);
	memset(h, 0, sizeof(h));
	memcpy(h + 0x202, "HdrS", 4); /* x86 boot.rst: header magic at 0x202 */
	write_file(path, h, sizeof(h));
	CHECK(vm_image_arch(path, &a, &err) == 0 && a == VM_ARCH_X86_64);
	memset(h, 0x7f, sizeof(h));
	write_file(path, h, sizeof(h));
	CHECK(vm_image_arch(path, &a, &err) < 0);
	CHECK_CONTAINS(err.msg, "neither an arm64 Image nor an x86 bzImage");
	unlink(path);
	CHECK(vm_arch_parse("aarch64", &a) == 0 && a == VM_ARCH_ARM64);
	CHECK(vm_arch_parse("amd64", &a) == 0 && a == VM_ARCH_X86_64);
	CHECK(vm_arch_parse("riscv64", &a) < 0);
}

/* The x86-64 agent runs on this (x86-64) host's kernel over a socketpair. */
static struct vm *local_vm(char *why, size_t why_len)
{
	static char agent[512];
	struct vm_opts o;
	struct cf_err err;
	struct utsname u;
	struct vm *vm;

	uname(&u);
	if (strcmp(u.machine, "x86_64")) {
		snprintf(why, why_len, "the local agent is the x86-64 build; host is %s", u.machine);
		return NULL;
	}
	snprintf(agent, sizeof(agent), "%s/agent/x86_64/init", test_build_dir());
	if (access(agent, X_OK)) {
		snprintf(why, why_len, "%s not built (make agent)", agent);
		return NULL;
	}
	vm_opts_default(&o, VM_ARCH_X86_64);
	o.local_agent = agent;
	o.req_timeout_ms = 5000;
	vm = vm_start(&o, &err);
	if (!vm)
		snprintf(why, why_len, "local agent: %s", err.msg);
	else if (vm_get_info(vm)->release[0] == 0)
		snprintf(why, why_len, "no HELLO");
	return vm;
}

static bool host_bpf_works(struct vm *vm)
{
	/* the agent's probe loads "r0 = 0; exit" first and says so if it fails */
	return !strstr(vm_get_info(vm)->probe_log, "does not load");
}

TEST(vm_local_agent_hello_names_the_kernel)
{
	char why[600];
	struct vm *vm = local_vm(why, sizeof(why));
	struct utsname u;

	if (!vm)
		SKIP("%s", why);
	uname(&u);
	CHECK_EQ(vm_get_info(vm)->proto_version, 4); /* 4: read-only maps, kfunc ids and tail-call targets */
	CHECK_STR(vm_get_info(vm)->release, u.release);
	CHECK_STR(vm_get_info(vm)->machine, "x86_64");
	CHECK_EQ(vm_get_info(vm)->boots, 1);
	vm_stop(vm);
}

TEST(vm_local_agent_load_run_ctx_and_batch)
{
	char why[600];
	struct vm *vm = local_vm(why, sizeof(why));
	struct cf_prog p;
	struct cf_func *m;
	struct cf_err err;
	uint8_t ctx[CF_CTX_SIZE], out[CF_CTX_SIZE];

	if (!vm)
		SKIP("%s", why);
	if (!host_bpf_works(vm)) {
		vm_stop(vm);
		SKIP("bpf() refused on this host: %s", vm_get_info(vm)->probe_log);
	}
	/* *(u32 *)(r1 + 4) = 0x01020304; r0 = *(u8 *)(r1 + 9); r0 += 100; exit */
	cf_prog_init(&p);
	m = cf_prog_add_func(&p, "main", 1, false);
	emit(m, cf_insn(BPF_ST | BPF_MEM | BPF_W, 1, 0, 4, 0x01020304));
	emit(m, cf_insn(BPF_LDX | BPF_MEM | BPF_B, 0, 1, 9, 0));
	emit(m, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 100));
	emit(m, EXIT());
	memset(ctx, 0, sizeof(ctx));
	ctx[9] = 23;

	struct vm_req r[4] = {
		{ .kind = VM_REQ_LOAD, .prog = &p, .line_info = true },
		{ .kind = VM_REQ_RUN, .handle = VM_HANDLE_LAST, .ctx = ctx, .ctx_len = sizeof(ctx), .ctx_out = out },
		{ .kind = VM_REQ_JIT_INFO, .handle = VM_HANDLE_LAST },
		{ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST },
	};
	enum vm_status st = vm_batch(vm, r, 4, &err);

	REQUIRE_MSG(st == VM_OK, "%s: %s", vm_status_name(st), err.msg);
	CHECK_MSG(r[0].err == 0, "load: %s\n%s", strerror(r[0].err), r[0].log ? r[0].log : "");
	CHECK(r[0].new_handle != VM_HANDLE_NONE);
	CHECK_EQ(r[1].err, 0);
	CHECK_EQ(r[1].retval, 123u);
	/* little-endian u32 store at offset 4, the rest untouched */
	CHECK_EQ(out[4], 0x04);
	CHECK_EQ(out[5], 0x03);
	CHECK_EQ(out[6], 0x02);
	CHECK_EQ(out[7], 0x01);
	CHECK_EQ(out[9], 23);
	CHECK_EQ(out[0], 0);
	CHECK_EQ(r[2].err, 0);
	if (vm_get_info(vm)->jit_on && r[2].err == 0) {
		CHECK(r[2].jit.len > 0);
		CHECK_EQ(r[2].jit.nfuncs, 1);
		CHECK_EQ(r[2].jit.nlines, 4);
		for (int i = 0; i < r[2].jit.nlines; i++) {
			CHECK_EQ(r[2].jit.lines[i].slot, i);
			CHECK(r[2].jit.lines[i].image_off >= 0 && r[2].jit.lines[i].image_off < r[2].jit.len);
			if (i)
				CHECK(r[2].jit.lines[i].image_off > r[2].jit.lines[i - 1].image_off);
		}
	}
	CHECK_EQ(r[3].err, 0);
	vm_req_release(r, 4);

	/* the program is closed: LAST names nothing any more */
	uint32_t retval = 0;

	st = vm_test_run(vm, VM_HANDLE_LAST, ctx, sizeof(ctx), &retval, &err);
	CHECK(st == VM_ERROR);
	CHECK_CONTAINS(err.msg, "BPF_PROG_TEST_RUN");
	cf_prog_free(&p);
	vm_stop(vm);
}

/* The agent creates the maps of each load (fd_array), empties them before
 * every test run and returns their contents: a hash map of 2 entries
 * takes two new keys and refuses a third (-E2BIG, kernel/bpf/hashtab.c),
 * and a second run of the same load starts empty again, so BPF_NOEXIST
 * succeeds twice. Expected values by hand. */
TEST(vm_local_agent_maps_fresh_per_run_and_returned)
{
	static const char text[] = ".map h, hash, key=4, value=4, entries=2\n"
				   ".map a, array, key=4, value=8, entries=2\n"
				   ".func main\n"
				   "    r7 = 0\n"
				   "    *(u32 *)(r10 - 4) = 9\n"
				   "    *(u32 *)(r10 - 8) = 0x77\n"
				   "    r1 = map[h] ll\n"
				   "    r2 = r10\n"
				   "    r2 += -4\n"
				   "    r3 = r10\n"
				   "    r3 += -8\n"
				   "    r4 = 1\n"
				   "    call bpf_map_update_elem\n"
				   "    r7 += r0\n"
				   "    *(u32 *)(r10 - 4) = 2\n"
				   "    r1 = map[h] ll\n"
				   "    r2 = r10\n"
				   "    r2 += -4\n"
				   "    r3 = r10\n"
				   "    r3 += -8\n"
				   "    r4 = 0\n"
				   "    call bpf_map_update_elem\n"
				   "    r7 += r0\n"
				   "    *(u32 *)(r10 - 4) = 5\n"
				   "    r1 = map[h] ll\n"
				   "    r2 = r10\n"
				   "    r2 += -4\n"
				   "    r3 = r10\n"
				   "    r3 += -8\n"
				   "    r4 = 0\n"
				   "    call bpf_map_update_elem\n"
				   "    r7 += r0\n"
				   "    *(u32 *)(r10 - 4) = 1\n"
				   "    r1 = map[a] ll\n"
				   "    r2 = r10\n"
				   "    r2 += -4\n"
				   "    call bpf_map_lookup_elem\n"
				   "    if r0 == 0 goto out\n"
				   "    *(u64 *)(r0 + 0) = 0x1234\n"
				   "out:\n"
				   "    r0 = r7\n"
				   "    exit\n";
	char why[600];
	struct vm *vm = local_vm(why, sizeof(why));
	struct cf_prog p;
	struct cf_err err;
	struct cf_map_dump d1, d2;
	uint8_t ctx[CF_CTX_SIZE];

	if (!vm)
		SKIP("%s", why);
	if (!host_bpf_works(vm)) {
		vm_stop(vm);
		SKIP("bpf() refused on this host: %s", vm_get_info(vm)->probe_log);
	}
	REQUIRE_MSG(cf_asm_parse(text, strlen(text), "maps.s", &p, &err) == 0, "%s", err.msg);
	memset(ctx, 0, sizeof(ctx));
	struct vm_req r[4] = {
		{ .kind = VM_REQ_LOAD, .prog = &p },
		{ .kind = VM_REQ_RUN, .handle = VM_HANDLE_LAST, .ctx = ctx, .ctx_len = sizeof(ctx), .maps_out = &d1 },
		{ .kind = VM_REQ_RUN, .handle = VM_HANDLE_LAST, .ctx = ctx, .ctx_len = sizeof(ctx), .maps_out = &d2 },
		{ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST },
	};
	enum vm_status st = vm_batch(vm, r, 4, &err);

	REQUIRE_MSG(st == VM_OK, "%s: %s", vm_status_name(st), err.msg);
	if (r[0].err) {
		/* a kernel without SYSCALL programs or fd_array says so in its log */
		vm_req_release(r, 4);
		cf_prog_free(&p);
		vm_stop(vm);
		SKIP("the host kernel refuses the map program: %s", r[0].log ? r[0].log : strerror(r[0].err));
	}
	/* 0 + 0 - E2BIG, low 32 bits */
	CHECK_EQ(r[1].err, 0);
	CHECK_EQ(r[1].retval, (uint32_t)-E2BIG);
	CHECK_EQ(r[2].retval, (uint32_t)-E2BIG);
	static const uint8_t want[] = {
		2, 0, 0, 0,                           /* h: keys 2 and 9, sorted */
		2, 0, 0, 0, 0x77, 0, 0, 0,
		9, 0, 0, 0, 0x77, 0, 0, 0,
		2, 0, 0, 0,                           /* a: entries 0 and 1 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0x34, 0x12, 0, 0, 0, 0, 0, 0,
	};
	CHECK_EQ(d1.len, sizeof(want));
	CHECK(memcmp(d1.data, want, sizeof(want)) == 0);
	CHECK_EQ(d2.len, sizeof(want));
	CHECK(memcmp(d2.data, want, sizeof(want)) == 0);
	CHECK_EQ(r[3].err, 0);
	vm_req_release(r, 4);
	cf_prog_free(&p);
	vm_stop(vm);
}

/* A RAW_TRACEPOINT program: PROG_LOAD's prog_type, a 96-byte ctx_in
 * (bpf_prog_test_run_raw_tp takes at most MAX_BPF_FUNC_ARGS u64s), the
 * result in r0 and in a map since the ctx is read-only. */
TEST(vm_local_agent_raw_tracepoint_reads_its_args)
{
	static const char text[] = ".type raw_tracepoint\n"
				   ".map obs, array, key=4, value=8, entries=1\n"
				   ".func main\n"
				   "    r6 = *(u64 *)(r1 + 88)\n"
				   "    r0 = *(u64 *)(r1 + 0)\n"
				   "    r0 += r6\n"
				   "    r1 = map[obs][0]+0 ll\n"
				   "    *(u64 *)(r1 + 0) = r6\n"
				   "    exit\n";
	char why[600];
	struct vm *vm = local_vm(why, sizeof(why));
	struct cf_prog p;
	struct cf_err err;
	struct cf_map_dump d;
	uint8_t ctx[CF_RAW_TP_CTX_SIZE] = { 0 };

	if (!vm)
		SKIP("%s", why);
	if (!host_bpf_works(vm)) {
		vm_stop(vm);
		SKIP("bpf() refused on this host: %s", vm_get_info(vm)->probe_log);
	}
	REQUIRE_MSG(cf_asm_parse(text, strlen(text), "rt.s", &p, &err) == 0, "%s", err.msg);
	ctx[0] = 3;
	ctx[88] = 0x40;
	struct vm_req r[3] = {
		{ .kind = VM_REQ_LOAD, .prog = &p },
		{ .kind = VM_REQ_RUN, .handle = VM_HANDLE_LAST, .ctx = ctx, .ctx_len = sizeof(ctx), .maps_out = &d },
		{ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST },
	};
	enum vm_status st = vm_batch(vm, r, 3, &err);

	REQUIRE_MSG(st == VM_OK, "%s: %s", vm_status_name(st), err.msg);
	if (r[0].err) {
		vm_req_release(r, 3);
		cf_prog_free(&p);
		vm_stop(vm);
		SKIP("the host kernel refuses the raw tracepoint program: %s",
		     r[0].log ? r[0].log : strerror(r[0].err));
	}
	CHECK_EQ(r[1].err, 0);
	CHECK_EQ(r[1].retval, 0x43u);
	static const uint8_t want[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0 };
	CHECK_EQ(d.len, sizeof(want));
	CHECK(memcmp(d.data, want, sizeof(want)) == 0);
	vm_req_release(r, 3);
	cf_prog_free(&p);
	vm_stop(vm);
}

TEST(vm_local_agent_rejection_carries_the_verifier_log)
{
	char why[600];
	struct vm *vm = local_vm(why, sizeof(why));
	struct cf_prog p;
	struct cf_func *m;
	struct cf_err err;
	uint32_t h = 0;
	char *log = NULL;

	if (!vm)
		SKIP("%s", why);
	if (!host_bpf_works(vm)) {
		vm_stop(vm);
		SKIP("bpf() refused on this host");
	}
	/* stack-args.md 1: ALU on r11 is rejected on every kernel */
	cf_prog_init(&p);
	m = cf_prog_add_func(&p, "main", 1, false);
	emit(m, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_PARAMS, 0, 0, 1));
	emit(m, MOV_K(0, 0));
	emit(m, EXIT());
	enum vm_status st = vm_load(vm, &p, false, &h, &log, &err);

	CHECK_EQ(st, VM_REJECTED);
	CHECK_EQ(h, VM_HANDLE_NONE);
	CHECK_CONTAINS(err.msg, "Invalid argument");
	REQUIRE(log != NULL);
	CHECK(strstr(log, "R11 is invalid") != NULL);
	free(log);
	cf_prog_free(&p);

	/* the agent still serves after a rejection */
	struct vm_req echo = { .kind = VM_REQ_ECHO, .ctx = (const uint8_t *)"ping", .ctx_len = 4 };

	CHECK_EQ(vm_batch(vm, &echo, 1, &err), VM_OK);
	CHECK_EQ(echo.err, 0);
	vm_stop(vm);
}

/* The host kernel has no KCOV (Debian's kernels build without it): HELLO
 * says so, and the KCOV op is EOPNOTSUPP at its place in a batch while
 * the ops around it answer as before (docs/vm-protocol.md). With KCOV the
 * agent would answer, which tests/e2e/vm_kcov.sh checks on a KCOV kernel. */
TEST(vm_local_agent_without_kcov_says_so)
{
	char why[600];
	struct vm *vm = local_vm(why, sizeof(why));
	uint8_t payload[4] = { 1, 2, 3, 4 };
	struct cf_err err;

	if (!vm)
		SKIP("%s", why);
	if (access("/sys/kernel/debug/kcov", F_OK) == 0) {
		vm_stop(vm);
		SKIP("this host has /sys/kernel/debug/kcov: the no-KCOV answer cannot be seen here");
	}
	CHECK(!vm_get_info(vm)->kcov);
	struct vm_req r[3] = {
		{ .kind = VM_REQ_ECHO, .ctx = payload, .ctx_len = 4 },
		{ .kind = VM_REQ_KCOV },
		{ .kind = VM_REQ_ECHO, .ctx = payload, .ctx_len = 4 },
	};

	REQUIRE(vm_batch(vm, r, 3, &err) == VM_OK);
	CHECK_EQ(r[0].err, 0);
	CHECK_EQ(r[1].err, EOPNOTSUPP);
	CHECK_EQ(r[1].npcs, 0);
	CHECK(r[1].pcs == NULL);
	CHECK_EQ(r[2].err, 0);
	vm_req_release(r, 3);
	vm_stop(vm);
}

/* HELLO's kfuncs (docs/kernel-paths.md "Kfuncs"): the agent finds
 * bpf_iter_num_new/next/destroy among the BTF_KIND_FUNCs of
 * /sys/kernel/btf/vmlinux and loads its probe (new(0, 3), a next loop
 * that sums 0 + 1 + 2, destroy; not run). The host kernel has BTF; a
 * kernel without it gets a note instead, which tests/e2e/vm_arm64.sh sees
 * on tinyconfig. */
TEST(vm_local_agent_kfuncs_from_the_kernels_btf)
{
	char why[600];
	struct vm *vm = local_vm(why, sizeof(why));
	const struct vm_info *in;

	if (!vm)
		SKIP("%s", why);
	in = vm_get_info(vm);
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		CHECK(!in->kfuncs);
		CHECK_CONTAINS(in->kfunc_note, "/sys/kernel/btf/vmlinux");
		vm_stop(vm);
		SKIP("this host has no /sys/kernel/btf/vmlinux: only the note is checked");
	}
	if (!host_bpf_works(vm)) {
		vm_stop(vm);
		SKIP("bpf() refused on this host");
	}
	CHECK_MSG(in->kfuncs, "kfuncs off: %s", in->kfunc_note);
	CHECK_EQ(in->nkfuncs, 3);
	CHECK_STR(in->kfunc[0].name, "bpf_iter_num_new");
	CHECK_STR(in->kfunc[1].name, "bpf_iter_num_next");
	CHECK_STR(in->kfunc[2].name, "bpf_iter_num_destroy");
	for (int k = 0; k < 3; k++)
		CHECK(in->kfunc[k].btf_id > 0);
	CHECK_STR(in->kfunc_note, "");
	vm_stop(vm);
}

/* bpf_strncmp, bpf_snprintf on a read-only map's strings and the number
 * iterator, on the host kernel through the agent (read-only map created
 * with BPF_F_RDONLY_PROG, written and frozen before the load; kfunc calls
 * carrying HELLO's BTF ids) and in the interpreter, with the values worked
 * out by hand from kernel/bpf/helpers.c, lib/vsprintf.c and
 * kernel/bpf/bpf_iter.c (docs/kernel-paths.md "Strings", "Kfuncs"). */
TEST(vm_local_agent_strings_and_iterator_as_worked_out)
{
	static const char text[] =
		/* "%d|%5x|%-3c|%s.\0abc\0" */
		".map s, array, key=4, value=32, entries=1, rdonly=25647c2535787c252d33637c25732e0061626300\n"
		".func main, stack=88\n"
		"    r6 = r1\n"
		/* strncmp("abd", "abc", 3): 'd' > 'c'; x86-64's lib/string.c says 1 */
		"    *(u64 *)(r10 - 8) = 6578785\n"
		"    r1 = r10\n"
		"    r1 += -8\n"
		"    r2 = 3\n"
		"    r3 = map[s][0]+16 ll\n"
		"    call bpf_strncmp\n"
		"    *(u64 *)(r6 + 0) = r0\n"
		/* snprintf(str, 24, "%d|%5x|%-3c|%s.", -42, 0x1f, 'Z', "abc") */
		"    *(u64 *)(r10 - 48) = -42\n"
		"    *(u64 *)(r10 - 40) = 31\n"
		"    *(u64 *)(r10 - 32) = 90\n"
		"    r1 = map[s][0]+16 ll\n"
		"    *(u64 *)(r10 - 24) = r1\n"
		"    *(u64 *)(r10 - 88) = 0\n"
		"    *(u64 *)(r10 - 80) = 0\n"
		"    *(u64 *)(r10 - 72) = 0\n"
		"    r1 = r10\n"
		"    r1 += -88\n"
		"    r2 = 24\n"
		"    r3 = map[s][0]+0 ll\n"
		"    r4 = r10\n"
		"    r4 += -48\n"
		"    r5 = 32\n"
		"    call bpf_snprintf\n"
		"    *(u64 *)(r6 + 8) = r0\n"
		"    r1 = *(u64 *)(r10 - 88)\n"
		"    *(u64 *)(r6 + 16) = r1\n"
		"    r1 = *(u64 *)(r10 - 80)\n"
		"    *(u64 *)(r6 + 24) = r1\n"
		"    r1 = *(u64 *)(r10 - 72)\n"
		"    *(u64 *)(r6 + 32) = r1\n"
		/* the iterator over [2, 5): 2 + 3 + 4 */
		"    r7 = 0\n"
		"    r1 = r10\n"
		"    r1 += -56\n"
		"    r2 = 2\n"
		"    r3 = 5\n"
		"    call kfunc bpf_iter_num_new\n"
		"head:\n"
		"    r1 = r10\n"
		"    r1 += -56\n"
		"    call kfunc bpf_iter_num_next\n"
		"    if r0 == 0 goto done\n"
		"    r1 = *(u32 *)(r0 + 0)\n"
		"    r7 += r1\n"
		"    goto head\n"
		"done:\n"
		"    r1 = r10\n"
		"    r1 += -56\n"
		"    call kfunc bpf_iter_num_destroy\n"
		"    *(u64 *)(r6 + 40) = r7\n"
		/* start > end: -EINVAL in an int, the upper half zero */
		"    r1 = r10\n"
		"    r1 += -56\n"
		"    r2 = 7\n"
		"    r3 = 6\n"
		"    call kfunc bpf_iter_num_new\n"
		"    *(u64 *)(r6 + 48) = r0\n"
		"    r1 = r10\n"
		"    r1 += -56\n"
		"    call kfunc bpf_iter_num_destroy\n"
		"    r0 = 0\n"
		"    exit\n";
	static const char want_text[24] = "-42|   1f|Z  |abc.";
	char why[600];
	struct vm *vm;
	struct cf_prog p;
	struct cf_err err;
	struct cf_check_opts co;
	struct interp_result *ir = calloc(1, sizeof(*ir));
	uint8_t ctx[CF_CTX_SIZE], out[CF_CTX_SIZE];
	uint64_t v;

	REQUIRE(ir != NULL);
	REQUIRE_MSG(cf_asm_parse(text, strlen(text), "strings.s", &p, &err) == 0, "%s", err.msg);
	cf_check_opts_default(&co);
	co.model_callees = false;
	co.kernel_paths = co.kfuncs = co.maps = true;
	co.max_args = CF_MAX_REG_ARGS; /* the host has no stack arguments */
	REQUIRE_MSG(cf_check(&p, &co, &err) == 0, "%s", err.msg);
	memset(ctx, 0, sizeof(ctx));
	REQUIRE(interp_run(&p, NULL, NULL, ctx, ir) == 0);
	REQUIRE_MSG(ir->status == INTERP_OK, "%s", ir->fault);
	memcpy(&v, ir->ctx + 0, 8);
	CHECK_EQ(v, 1u);
	memcpy(&v, ir->ctx + 8, 8);
	CHECK_EQ(v, 19u); /* 18 bytes and the NUL */
	CHECK(memcmp(ir->ctx + 16, want_text, sizeof(want_text)) == 0);
	memcpy(&v, ir->ctx + 40, 8);
	CHECK_EQ(v, 9u);
	memcpy(&v, ir->ctx + 48, 8);
	CHECK_EQ(v, 0xffffffeau);

	vm = local_vm(why, sizeof(why));
	if (!vm) {
		cf_prog_free(&p);
		free(ir);
		SKIP("%s", why);
	}
	if (!host_bpf_works(vm) || !vm_get_info(vm)->kfuncs) {
		snprintf(why, sizeof(why), "host: %s", vm_get_info(vm)->kfunc_note);
		vm_stop(vm);
		cf_prog_free(&p);
		free(ir);
		SKIP("%s", why);
	}
	struct vm_req r[3] = {
		{ .kind = VM_REQ_LOAD, .prog = &p },
		{ .kind = VM_REQ_RUN, .handle = VM_HANDLE_LAST, .ctx = ctx, .ctx_len = sizeof(ctx), .ctx_out = out },
		{ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST },
	};
	enum vm_status st = vm_batch(vm, r, 3, &err);

	REQUIRE_MSG(st == VM_OK, "%s: %s", vm_status_name(st), err.msg);
	CHECK_MSG(r[0].err == 0, "load: %s\n%s", strerror(r[0].err), r[0].log ? r[0].log : "");
	CHECK_EQ(r[1].err, 0);
	CHECK_EQ(r[1].retval, 0u);
	CHECK(memcmp(out, ir->ctx, sizeof(out)) == 0);
	for (int i = 0; i < 56; i++)
		if (out[i] != ir->ctx[i]) {
			CHECK_MSG(false, "ctx[%d]: kernel 0x%02x, interpreter 0x%02x", i, out[i], ir->ctx[i]);
			break;
		}
	vm_req_release(r, 3);
	vm_stop(vm);
	cf_prog_free(&p);
	free(ir);
}

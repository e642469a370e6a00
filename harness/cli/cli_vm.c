/* harness/cli/cli_vm.c: `callfuzz vm FILE.s...`: raw access to a real
 * kernel booted under qemu-system: load programs and run them once, no
 * oracle (harness/target/target.h, "qemu-system guests"). Comparing with
 * the interpreter is `callfuzz run --target vm` (cli_run.c). */
#include "bpf/bpf.h"
#include "gen/gen.h"
#include "harness/cli/cli.h"
#include "harness/target/target.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void vm_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz vm [OPTIONS] FILE.s...\n\n"
		"Boots a real kernel under qemu-system (KVM or TCG) with the callfuzz agent, loads\n"
		"each program (text format, docs/asm.md) as a sleepable SYSCALL program with\n"
		"BTF giving each function its argument count, runs it once with a 256-byte\n"
		"zero ctx, and prints the verdict (the verifier log on rejection), r0 and the\n"
		"ctx bytes the program changed.\n\n"
		"options:\n"
		"  --arch ARCH      arm64 (default) or x86_64; with --kernel, the image's own\n"
		"  --kernel IMAGE   arm64 Image or x86 bzImage (default: $CALLFUZZ_KERNEL, then\n"
		"                   build/kernels/ARCH/vmlinuz from harness/target/fetch-kernels.sh)\n"
		"  --ctx HEX        ctx bytes to start from (up to 256; the rest zero)\n"
		"  --jit            print the JIT image, disassembled (llvm-objdump-19),\n"
		"                   each BPF instruction above its native code\n"
		"  --interp         set bpf_jit_enable to 0 first (the kernel's interpreter;\n"
		"                   it refuses stack-argument programs)\n"
		"  --accel A        auto (default: KVM where the host can, else TCG), kvm or tcg\n"
		"                   ($CALLFUZZ_ACCEL)\n"
		"  --pauth          arm64 under TCG: keep the kernel's pointer authentication\n"
		"                   (default: boot with arm64.nopauth; $CALLFUZZ_VM_PAUTH=1)\n"
		"  --log2           on rejection, print the verifier log at log_level 2\n"
		"                   (every instruction's state; the static stack liveness)\n"
		"  --timeout MS     watchdog per request (default 10000)\n"
		"  --console FILE   keep the guest's console log in FILE\n"
		"  --repeat N       benchmark: load+run+close each program N times, BATCH\n"
		"                   programs per round trip, and print the time split\n"
		"  --batch BATCH    programs per round trip with --repeat (default 8)\n"
		"  -h, --help       this help\n\n"
		"Exit codes: 0 every program loaded and ran, 1 a program was rejected or the\n"
		"guest crashed/hung, 2 bad usage, unreadable input or no kernel.\n");
}

static int parse_hex(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = 0;

	if (!strncmp(s, "0x", 2))
		s += 2;
	while (*s) {
		if (*s == ' ' || *s == ':' || *s == '_') {
			s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) || n >= max)
			return -1;
		char byte[3] = { s[0], s[1], 0 };

		out[n++] = (uint8_t)strtoul(byte, NULL, 16);
		s += 2;
	}
	*len = n;
	return 0;
}

static void print_ctx_changes(const uint8_t *before, const uint8_t *after, size_t len)
{
	bool any = false;

	for (size_t i = 0; i < len;) {
		if (before[i] == after[i]) {
			i++;
			continue;
		}
		size_t end = i;

		while (end < len && before[end] != after[end])
			end++;
		printf("ctx[%zu..%zu]:", i, end - 1);
		for (size_t k = i; k < end; k++)
			printf(" %02x", before[k]);
		printf(" ->");
		for (size_t k = i; k < end; k++)
			printf(" %02x", after[k]);
		printf("\n");
		any = true;
		i = end;
	}
	if (!any)
		printf("ctx: unchanged\n");
}

struct vm_cli {
	enum vm_arch arch;
	bool arch_given, jit, interp, accel_given, log2, pauth;
	enum vm_accel accel;  /* --accel, $CALLFUZZ_ACCEL */
	const char *kernel, *console;
	int timeout_ms;
	int repeat, batch;
	uint8_t ctx[CF_CTX_SIZE];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --repeat: programs/s and where the time goes. guest load/run are the
 * syscalls timed inside the guest; the rest of a round trip is transfer,
 * encoding and the agent's own work. */
static int bench_file(struct vm *vm, const struct vm_cli *c, const struct cf_prog *prog, const char *path)
{
	int per = c->batch > 0 ? c->batch : 8;
	struct vm_req *r = calloc((size_t)per * 3, sizeof(*r));
	uint8_t (*out)[CF_CTX_SIZE] = calloc((size_t)per, CF_CTX_SIZE);
	double load_s = 0, run_s = 0, t0, rt_s = 0, echo_s;
	int done = 0, rounds = 0, ret = EXIT_OK;
	struct cf_err err;

	if (!r || !out) {
		free(r);
		free(out);
		return EXIT_USAGE;
	}
	t0 = now_s();
	while (done < c->repeat) {
		int k = c->repeat - done < per ? c->repeat - done : per;

		for (int i = 0; i < k; i++) {
			r[3 * i] = (struct vm_req){ .kind = VM_REQ_LOAD, .prog = prog };
			r[3 * i + 1] = (struct vm_req){ .kind = VM_REQ_RUN, .handle = VM_HANDLE_LAST,
							.ctx = c->ctx, .ctx_len = CF_CTX_SIZE, .ctx_out = out[i] };
			r[3 * i + 2] = (struct vm_req){ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST };
		}
		double t = now_s();
		enum vm_status st = vm_batch(vm, r, 3 * k, &err);

		rt_s += now_s() - t;
		rounds++;
		if (st != VM_OK || r[0].err) {
			printf("bench %s: %s %s\n", path, vm_status_name(st), st == VM_OK ? strerror(r[0].err) : err.msg);
			vm_req_release(r, 3 * k);
			ret = EXIT_REJECT;
			break;
		}
		for (int i = 0; i < k; i++) {
			load_s += r[3 * i].guest_ns / 1e9;
			run_s += r[3 * i + 1].guest_ns / 1e9;
		}
		vm_req_release(r, 3 * k);
		done += k;
	}
	double total = now_s() - t0;

	/* the bare round trip: an empty ECHO */
	struct vm_req echo = { .kind = VM_REQ_ECHO };

	t0 = now_s();
	for (int i = 0; i < 50; i++)
		vm_batch(vm, &echo, 1, &err);
	echo_s = (now_s() - t0) / 50;
	if (done) {
		printf("bench %s: %d programs in %.2f s = %.0f programs/s (%d per round trip)\n", path, done,
		       total, done / total, per);
		printf("  per program: load %.3f ms, test run %.3f ms (inside the guest), "
		       "rest %.3f ms (transfer, BTF build, close)\n",
		       load_s * 1e3 / done, run_s * 1e3 / done, (rt_s - load_s - run_s) * 1e3 / done);
		printf("  round trip: %.3f ms per batch, %.3f ms empty\n", rt_s * 1e3 / rounds, echo_s * 1e3);
	}
	free(r);
	free(out);
	return ret;
}

/* 0 ran, 1 rejected or lost guest, 2 unreadable */
static int run_file(struct vm *vm, const struct vm_cli *c, const char *path)
{
	char rerr[256];
	struct cf_err err;
	struct cf_prog prog;
	size_t len;
	char *text = cf_read_file(path, &len, rerr, sizeof(rerr));
	uint8_t ctx_out[CF_CTX_SIZE];
	int ret = EXIT_OK;

	printf("== %s\n", path);
	if (!text) {
		fprintf(stderr, "callfuzz vm: %s\n", rerr);
		return EXIT_USAGE;
	}
	if (cf_asm_parse(text, len, path, &prog, &err) < 0) {
		fprintf(stderr, "callfuzz vm: %s\n", err.msg);
		free(text);
		return EXIT_USAGE;
	}
	free(text);
	cf_prog_derive_stack(&prog);
	if (c->repeat > 0) {
		ret = bench_file(vm, c, &prog, path);
		cf_prog_free(&prog);
		return ret;
	}
	memcpy(ctx_out, c->ctx, sizeof(ctx_out));

	struct vm_req r[4] = {
		{ .kind = VM_REQ_LOAD, .prog = &prog, .line_info = c->jit, .log_level2 = c->log2 },
		{ .kind = VM_REQ_RUN, .handle = VM_HANDLE_LAST, .ctx = c->ctx, .ctx_len = CF_CTX_SIZE,
		  .ctx_out = ctx_out },
		{ .kind = c->jit ? VM_REQ_JIT_INFO : VM_REQ_CLOSE, .handle = VM_HANDLE_LAST },
		{ .kind = VM_REQ_CLOSE, .handle = VM_HANDLE_LAST },
	};
	int n = c->jit ? 4 : 3;
	enum vm_status st = vm_batch(vm, r, n, &err);

	if (st == VM_ERROR) {
		fprintf(stderr, "callfuzz vm: %s\n", err.msg);
		ret = err.msg[0] && strstr(err.msg, "BTF") ? EXIT_USAGE : EXIT_REJECT;
	} else if (st != VM_OK) {
		printf("verdict: %s: %s\n%s\n", vm_status_name(st), err.msg, vm_crash_text(vm));
		ret = EXIT_REJECT;
	} else if (r[0].err) {
		printf("verdict: rejected (%s)\n%s", strerror(r[0].err), r[0].log ? r[0].log : "");
		if (r[0].log && r[0].log[strlen(r[0].log) - 1] != '\n')
			printf("\n");
		ret = EXIT_REJECT;
	} else {
		printf("verdict: accepted (load %.2f ms)\n", r[0].guest_ns / 1e6);
		if (r[1].err) {
			printf("run: failed (%s)\n", strerror(r[1].err));
			ret = EXIT_REJECT;
		} else {
			printf("r0 = %u (0x%x)  [BPF_PROG_TEST_RUN keeps r0's low 32 bits; run %.3f ms]\n",
			       r[1].retval, r[1].retval, r[1].guest_ns / 1e6);
			print_ctx_changes(c->ctx, ctx_out, CF_CTX_SIZE);
		}
		if (c->jit) {
			if (r[2].err)
				printf("jit: BPF_OBJ_GET_INFO_BY_FD failed (%s)\n", strerror(r[2].err));
			else
				vm_print_jit(stdout, &r[2].jit, &prog, c->arch);
		}
	}
	vm_req_release(r, n);
	cf_prog_free(&prog);
	return ret;
}

static int cmd_vm(int argc, char **argv)
{
	struct vm_cli c;
	struct vm_opts o;
	struct cf_err err;
	const char *files[256];
	int nfiles = 0, ret = EXIT_OK;
	struct vm *vm;

	if (cli_wants_help(argc, argv)) {
		vm_usage(stdout);
		return EXIT_OK;
	}
	memset(&c, 0, sizeof(c));
	c.arch = VM_ARCH_ARM64;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--jit")) {
			c.jit = true;
		} else if (!strcmp(a, "--interp")) {
			c.interp = true;
		} else if (!strcmp(a, "--log2")) {
			c.log2 = true;
		} else if (!strcmp(a, "--pauth")) {
			c.pauth = true;
		} else if (a[0] == '-' && a[1] && strcmp(a, "-")) {
			if (!v) {
				fprintf(stderr, "callfuzz vm: %s needs a value\n", a);
				return EXIT_USAGE;
			}
			i++;
			if (!strcmp(a, "--arch")) {
				if (vm_arch_parse(v, &c.arch) < 0) {
					fprintf(stderr, "callfuzz vm: unknown arch '%s' (arm64 or x86_64)\n", v);
					return EXIT_USAGE;
				}
				c.arch_given = true;
			} else if (!strcmp(a, "--kernel")) {
				c.kernel = v;
			} else if (!strcmp(a, "--console")) {
				c.console = v;
			} else if (!strcmp(a, "--accel")) {
				if (cli_accel_parse(v, &c.accel, "vm") < 0)
					return EXIT_USAGE;
				c.accel_given = true;
			} else if (!strcmp(a, "--timeout")) {
				c.timeout_ms = atoi(v);
			} else if (!strcmp(a, "--repeat")) {
				c.repeat = atoi(v);
			} else if (!strcmp(a, "--batch")) {
				c.batch = atoi(v);
			} else if (!strcmp(a, "--ctx")) {
				size_t n;

				if (parse_hex(v, c.ctx, sizeof(c.ctx), &n) < 0) {
					fprintf(stderr, "callfuzz vm: --ctx wants up to %d hex bytes\n", CF_CTX_SIZE);
					return EXIT_USAGE;
				}
			} else {
				fprintf(stderr, "callfuzz vm: unknown option %s\n", a);
				vm_usage(stderr);
				return EXIT_USAGE;
			}
		} else if (nfiles < (int)(sizeof(files) / sizeof(files[0]))) {
			files[nfiles++] = a;
		}
	}
	if (!nfiles) {
		vm_usage(stderr);
		return EXIT_USAGE;
	}
	/* $CALLFUZZ_KERNEL stands for --kernel (with --arch too: the image
	 * is taken as it is) */
	if (!c.kernel && getenv("CALLFUZZ_KERNEL") && *getenv("CALLFUZZ_KERNEL"))
		c.kernel = getenv("CALLFUZZ_KERNEL");
	if (c.kernel && !c.arch_given && vm_image_arch(c.kernel, &c.arch, &err) < 0) {
		fprintf(stderr, "callfuzz vm: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (!c.accel_given && cli_accel_from_env(&c.accel, "vm") < 0)
		return EXIT_USAGE;
	vm_opts_default(&o, c.arch);
	o.accel = c.accel;
	o.pauth = c.pauth || cli_pauth_from_env();
	o.kernel = c.kernel;
	o.console_log = c.console;
	if (c.timeout_ms > 0)
		o.req_timeout_ms = c.timeout_ms;
	vm = vm_start(&o, &err);
	if (!vm) {
		fprintf(stderr, "callfuzz vm: %s\n", err.msg);
		return EXIT_USAGE;
	}
	const struct vm_info *in = vm_get_info(vm);

	printf("kernel %s (%s), command line \"%s\", %s, boot %.1f s, stack arguments: %s, JIT: %s\n", in->release,
	       in->machine, in->cmdline, in->accel, in->boot_ms / 1000, in->stack_args ? "yes" : "no", in->jit_on ? "on" : "off");
	if (!in->stack_args && in->probe_log[0]) {
		const char *why = strstr(in->probe_log, "R11 is invalid") ? "R11 is invalid" : in->probe_log;

		printf("  (6-argument probe rejected: %s)\n", why);
	}
	if (c.interp) {
		int prev;

		if (vm_set_jit(vm, 0, &prev, &err) != VM_OK) {
			fprintf(stderr, "callfuzz vm: --interp: %s\n", err.msg);
			vm_stop(vm);
			return EXIT_USAGE;
		}
		printf("bpf_jit_enable: %d -> 0 (interpreter)\n", prev);
	}
	for (int i = 0; i < nfiles; i++) {
		int r = run_file(vm, &c, files[i]);

		if (r > ret)
			ret = r;
	}
	vm_stop(vm);
	return ret;
}

CLI_COMMAND(vm, "vm", "load and run programs in a real kernel under qemu-system", cmd_vm)


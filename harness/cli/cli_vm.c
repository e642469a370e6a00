/* harness/cli/cli_vm.c: the vm target's commands:
 *  - `callfuzz vm FILE.s...`: load programs into a real kernel booted under
 *    qemu-system and run them once (harness/target/target.h);
 *  - `callfuzz run --target vm[,model] FILE.s` (vm_cli_run, called by
 *    harness/cli/cli_run.c): one program through the vm oracle
 *    (harness/target/target_vm.c);
 *  - `callfuzz vm-fuzz`: generated programs (kernel profile) through the vm
 *    oracle in batches, mismatches written as report files: the driver loop
 *    until the fuzz loop knows kernel targets. */
#include "bpf/bpf.h"
#include "gen/gen.h"
#include "harness/cli/cli.h"
#include "harness/target/target.h"
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
		"Boots a real kernel under qemu-system (TCG) with the callfuzz agent, loads\n"
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
	bool arch_given, jit, interp, log2;
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
	if (!c.kernel && !c.arch_given && getenv("CALLFUZZ_KERNEL") && *getenv("CALLFUZZ_KERNEL"))
		c.kernel = getenv("CALLFUZZ_KERNEL");
	if (c.kernel && !c.arch_given && vm_image_arch(c.kernel, &c.arch, &err) < 0) {
		fprintf(stderr, "callfuzz vm: %s\n", err.msg);
		return EXIT_USAGE;
	}
	vm_opts_default(&o, c.arch);
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

	printf("kernel %s (%s), boot %.1f s, stack arguments: %s, JIT: %s\n", in->release, in->machine,
	       in->boot_ms / 1000, in->stack_args ? "yes" : "no", in->jit_on ? "on" : "off");
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

/* ---- callfuzz run --target vm ------------------------------------------- */

static void run_vm_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz run --target vm[,model] [--arch ARCH] [--kernel IMAGE | --kernel-tree DIR]\n"
		"                    [--ctx HEX] [--no-kernel-interp] [--timeout MS] [--console FILE]\n"
		"                    FILE.s...\n\n"
		"Runs the program in FILE.s through the checker (max args from the kernel's\n"
		"probe) and the reference interpreter, and in a real kernel under qemu-system:\n"
		"its JIT, and its interpreter (bpf_jit_enable 0) when every function takes at\n"
		"most 5 arguments; `vm,model` adds our arm64 JIT on the executor. Compares the\n"
		"verdicts (VERIFIER, with the kernel's log), then ctx and r0's low 32 bits\n"
		"(KERNEL, naming the voice); a KERNEL or CRASH of the kernel's JIT shows its JIT\n"
		"code, disassembled by LLVM, each BPF instruction above its native code.\n"
		"Several files share one boot (16 programs per round trip); a `; ctx: HEX` line\n"
		"among a file's leading comments gives its ctx (vm-fuzz reports have one).\n\n"
		"options:\n"
		"  --arch ARCH        arm64 (default) or x86_64; with --kernel, the image's own\n"
		"  --kernel IMAGE     arm64 Image or x86 bzImage (default: $CALLFUZZ_KERNEL, then\n"
		"                     build/kernels/ARCH/vmlinuz from harness/target/fetch-kernels.sh)\n"
		"  --kernel-tree DIR  rebuild DIR (a kernel source tree; `debian`: Debian's\n"
		"                     linux-source-7.2) with harness/target/kernel-tree.sh, boot that\n"
		"  --ctx HEX          ctx bytes to start from (up to 256; the rest zero)\n"
		"  --no-kernel-interp never use the kernel's interpreter\n"
		"  --timeout MS       watchdog per round trip (default 10000)\n"
		"  --console FILE     keep the guest's console log in FILE\n\n"
		"Exit codes: 0 equal (a program both the checker and the kernel reject is equal),\n"
		"1 a mismatch, 2 bad usage, unreadable input, no kernel or no qemu.\n");
}

struct vm_target_args {
	struct tvm_opts to;
	const char *kernel_tree;
	char image[4096];
	uint8_t ctx[CF_CTX_SIZE];
};

/* Options shared by `run --target vm` and `vm-fuzz`: 1 consumed (value in
 * argv[*i]), 0 not ours, -1 bad. */
static int target_option(struct vm_target_args *a, int argc, char **argv, int *i, const char *cmd)
{
	const char *o = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;

	if (!strcmp(o, "--no-kernel-interp")) {
		a->to.no_kernel_interp = true;
		return 1;
	}
	if (strcmp(o, "--arch") && strcmp(o, "--kernel") && strcmp(o, "--kernel-tree") && strcmp(o, "--ctx") &&
	    strcmp(o, "--timeout") && strcmp(o, "--console"))
		return 0;
	if (!v) {
		fprintf(stderr, "callfuzz %s: %s needs a value\n", cmd, o);
		return -1;
	}
	(*i)++;
	if (!strcmp(o, "--arch")) {
		enum vm_arch arch;

		if (vm_arch_parse(v, &arch) < 0) {
			fprintf(stderr, "callfuzz %s: unknown arch '%s' (arm64 or x86_64)\n", cmd, v);
			return -1;
		}
		a->to.arch = v;
	} else if (!strcmp(o, "--kernel")) {
		a->to.kernel = v;
	} else if (!strcmp(o, "--kernel-tree")) {
		a->kernel_tree = v;
	} else if (!strcmp(o, "--timeout")) {
		a->to.req_timeout_ms = atoi(v);
	} else if (!strcmp(o, "--console")) {
		a->to.console_log = v;
	} else {
		size_t n;

		if (parse_hex(v, a->ctx, sizeof(a->ctx), &n) < 0) {
			fprintf(stderr, "callfuzz %s: --ctx wants up to %d hex bytes\n", cmd, CF_CTX_SIZE);
			return -1;
		}
	}
	return 1;
}

/* --kernel-tree: rebuild, then boot the result. */
static int target_prepare(struct vm_target_args *a, const char *cmd)
{
	struct cf_err err;

	if (!a->kernel_tree)
		return 0;
	if (a->to.kernel) {
		fprintf(stderr, "callfuzz %s: --kernel and --kernel-tree exclude each other\n", cmd);
		return -1;
	}
	if (tvm_build_kernel_tree(a->kernel_tree, a->to.arch ? a->to.arch : "arm64", a->image, sizeof(a->image),
				  &err) < 0) {
		fprintf(stderr, "callfuzz %s: %s\n", cmd, err.msg);
		return -1;
	}
	a->to.kernel = a->image;
	return 0;
}

/* A `; ctx: HEX` line among the comments at the top of a file gives its
 * ctx (vm-fuzz writes one, so that a report runs as it is). */
static void ctx_from_header(const char *text, uint8_t *ctx)
{
	const char *p = text;

	while (*p == ';' || *p == '\n' || *p == ' ' || *p == '\t') {
		if (!strncmp(p, "; ctx: ", 7)) {
			char hex[2 * CF_CTX_SIZE + 1];
			size_t n = strcspn(p + 7, "\n"), got;

			if (n < sizeof(hex)) {
				memcpy(hex, p + 7, n);
				hex[n] = 0;
				memset(ctx, 0, CF_CTX_SIZE);
				parse_hex(hex, ctx, CF_CTX_SIZE, &got);
			}
			return;
		}
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
}

#define RUN_MAX_FILES 4096
#define RUN_BATCH 16

int vm_cli_run(int argc, char **argv)
{
	struct vm_target_args a;
	const char **paths = calloc(RUN_MAX_FILES, sizeof(*paths));
	struct tvm_case *cases = calloc(RUN_BATCH, sizeof(*cases));
	struct cf_prog *progs = calloc(RUN_BATCH, sizeof(*progs));
	int npaths = 0, rc = EXIT_OK;
	long nequal = 0, nmismatch = 0;
	struct cf_err err;
	char desc[512];
	struct tvm *t = NULL;

	if (!paths || !cases || !progs) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (cli_wants_help(argc, argv)) {
		run_vm_usage(stdout);
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.to.listing = true;
	for (int i = 1; i < argc; i++) {
		int r;

		if (!strcmp(argv[i], "--target") && i + 1 < argc) {
			const char *v = argv[++i];

			if (!strcmp(v, "vm,model") || !strcmp(v, "model,vm")) {
				a.to.model = true;
			} else if (strcmp(v, "vm")) {
				fprintf(stderr, "callfuzz run: --target %s: vm or vm,model here\n", v);
				rc = EXIT_USAGE;
				goto out;
			}
			continue;
		}
		r = target_option(&a, argc, argv, &i, "run");
		if (r < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
		if (r)
			continue;
		if ((argv[i][0] == '-' && argv[i][1]) || npaths == RUN_MAX_FILES) {
			run_vm_usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
		paths[npaths++] = argv[i];
	}
	if (!npaths) {
		run_vm_usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (target_prepare(&a, "run") < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	t = tvm_start(&a.to, &err);
	if (!t) {
		fprintf(stderr, "callfuzz run: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	tvm_describe(t, desc, sizeof(desc));
	printf("%s\n", desc);
	/* one boot for every file, RUN_BATCH programs per round trip */
	for (int base = 0; base < npaths; base += RUN_BATCH) {
		int n = npaths - base < RUN_BATCH ? npaths - base : RUN_BATCH, k = 0;
		const char *names[RUN_BATCH];

		for (int i = 0; i < n; i++) {
			const char *path = paths[base + i];
			char rerr[256];
			size_t len;
			char *text = cf_read_file(path, &len, rerr, sizeof(rerr));

			if (!text) {
				fprintf(stderr, "callfuzz run: %s\n", rerr);
				rc = EXIT_USAGE;
				continue;
			}
			cf_prog_init(&progs[k]);
			if (cf_asm_parse(text, len, path, &progs[k], &err)) {
				if (npaths > 1)
					printf("== %s\nunparseable: %s\n", path, err.msg);
				fprintf(stderr, "callfuzz run: %s\n", err.msg);
				cf_prog_free(&progs[k]);
				free(text);
				rc = EXIT_USAGE;
				continue;
			}
			cf_prog_derive_stack(&progs[k]);
			memcpy(cases[k].ctx_in, a.ctx, CF_CTX_SIZE);
			ctx_from_header(text, cases[k].ctx_in);
			free(text);
			cases[k].prog = &progs[k];
			names[k++] = path;
		}
		if (k && tvm_run(t, cases, k, &err) < 0) {
			fprintf(stderr, "callfuzz run: %s\n", err.msg);
			rc = EXIT_USAGE;
		}
		for (int i = 0; i < k; i++) {
			bool same = cases[i].m.kind == MISMATCH_NONE && !cases[i].interp_fault;

			if (npaths > 1)
				printf("== %s\n", names[i]);
			tvm_print_case(t, &cases[i], stdout);
			if (same)
				nequal++;
			else
				nmismatch++;
			if (!same && rc == EXIT_OK)
				rc = EXIT_REJECT;
			tvm_case_release(&cases[i]);
			cf_prog_free(&progs[i]);
		}
	}
	if (npaths > 1)
		printf("run: %d files, %ld equal, %ld mismatches\n", npaths, nequal, nmismatch);
out:
	tvm_stop(t);
	free(paths);
	free(cases);
	free(progs);
	return rc;
}

/* ---- callfuzz vm-fuzz ------------------------------------------------------ */

static void vm_fuzz_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz vm-fuzz [--count N] [--seed S] [--batch B] [--out DIR] [--stop-after K]\n"
		"                        [--stop-on KIND,...]\n"
		"                        [--max-args N] [--max-funcs N] [--max-insns N] [--model]\n"
		"                        [--arch ARCH] [--kernel IMAGE | --kernel-tree DIR]\n"
		"                        [--no-kernel-interp] [--timeout MS] [--console FILE] [-v]\n\n"
		"Generates N programs with the kernel profile (seeds S..S+N-1: the programs of\n"
		"`callfuzz gen --profile kernel --seed S+i`, with --max-args of the kernel's probe),\n"
		"runs them through the vm oracle B per round trip (ctx byte k = k * 37 + seed),\n"
		"and counts: the checker's verdict, the kernel verifier's, and the programs whose\n"
		"kernel results equal the interpreter's. Every mismatch is written to DIR as\n"
		"vm-<kind>-<seed>.s (the program) and .txt (the report); printed with -v.\n"
		"--model adds our JIT on the executor as a voice. --stop-after K ends the run after\n"
		"the batch with the K-th mismatch (of the kinds in --stop-on, e.g. KERNEL,CRASH).\n\n"
		"Exit codes: 0 no mismatch, 1 mismatches, 2 bad usage or no kernel.\n");
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#define FUZZ_MAX_LEN 8192

/* The generator's bytes for seed: those of `callfuzz gen --seed` (harness/
 * cli_gen.c), so that a report's seed reproduces there too. */
static size_t fuzz_bytes(uint64_t seed, uint8_t *buf)
{
	uint64_t state = seed * 0x100000001b3ull;
	unsigned bits;
	size_t len;

	splitmix64(&state);
	bits = (unsigned)(splitmix64(&state) % 14);
	len = (size_t)(splitmix64(&state) % ((uint64_t)1 << bits));
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(&state);

		for (size_t k = 0; k < 8 && i + k < len; k++)
			buf[i + k] = (uint8_t)(v >> (8 * k));
	}
	return len;
}

struct fuzz_tally {
	long programs, checker_ok, kernel_ok, equal, interp_voice, interp_faults, mismatches;
	long by_kind[MISMATCH_KERNEL + 1];
	long first_seed;
	double first_s;
	long first_programs;
};

static void write_report(const char *dir, const struct tvm *t, const struct tvm_case *c, long seed,
			 const struct gen_opts *go, bool verbose)
{
	char path[PATH_MAX], *text = cf_asm_print(c->prog);
	const char *kind = c->interp_fault ? "INTERP" : mismatch_kind_name(c->m.kind);
	FILE *f;

	if (verbose) {
		printf("== seed %ld: %s\n", seed, kind);
		tvm_print_case(t, c, stdout);
	}
	if (!dir) {
		free(text);
		return;
	}
	snprintf(path, sizeof(path), "%s/vm-%s-%ld.s", dir, kind, seed);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "; callfuzz vm-fuzz seed %ld (callfuzz gen --profile kernel --max-args %d --seed %ld)\n"
			   "; %s at %s (%s)\n; ctx: ",
			seed, go->max_args, seed, kind, c->m.place, c->mvoice_name);
		for (int i = 0; i < CF_CTX_SIZE; i++)
			fprintf(f, "%02x", c->ctx_in[i]);
		fprintf(f, "\n%s", text ? text : "");
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/vm-%s-%ld.txt", dir, kind, seed);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "seed %ld; reproduce: callfuzz run --target vm %s/vm-%s-%ld.s\n\n", seed, dir, kind, seed);
		tvm_print_case(t, c, f);
		fprintf(f, "\nprogram:\n%s", text ? text : "");
		fclose(f);
	}
	free(text);
}

static int cmd_vm_fuzz(int argc, char **argv)
{
	struct vm_target_args a;
	struct gen_opts go;
	struct fuzz_tally ft;
	long count = 1000, seed = 1, batch = 16, stop_after = 0, max_args = -1;
	const char *outdir = NULL, *stop_on = NULL;
	long stop_count = 0;
	bool verbose = false;
	struct tvm_case *cases = NULL;
	struct cf_prog *progs = NULL;
	uint8_t *buf = NULL;
	struct cf_err err;
	char desc[512];
	struct tvm *t;
	double t0;
	int rc = EXIT_OK;

	if (cli_wants_help(argc, argv)) {
		vm_fuzz_usage(stdout);
		return EXIT_OK;
	}
	memset(&a, 0, sizeof(a));
	a.to.listing = true;
	gen_opts_default(&go);
	go.profile = GEN_PROFILE_KERNEL;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long *dst = NULL;
		int r = target_option(&a, argc, argv, &i, "vm-fuzz");

		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(o, "--model")) {
			a.to.model = true;
			continue;
		}
		if (!strcmp(o, "-v")) {
			verbose = true;
			continue;
		}
		if (!strcmp(o, "--out") && v) {
			outdir = v;
			i++;
			continue;
		}
		if (!strcmp(o, "--stop-on") && v) {
			stop_on = v;
			i++;
			continue;
		}
		if (!strcmp(o, "--count"))
			dst = &count;
		else if (!strcmp(o, "--seed"))
			dst = &seed;
		else if (!strcmp(o, "--batch"))
			dst = &batch;
		else if (!strcmp(o, "--stop-after"))
			dst = &stop_after;
		else if (!strcmp(o, "--max-args"))
			dst = &max_args;
		else if (!strcmp(o, "--max-funcs") && v)
			go.max_funcs = atoi(v);
		else if (!strcmp(o, "--max-insns") && v)
			go.max_insns = atoi(v);
		else {
			vm_fuzz_usage(stderr);
			return EXIT_USAGE;
		}
		if (!v) {
			vm_fuzz_usage(stderr);
			return EXIT_USAGE;
		}
		if (dst)
			*dst = strtol(v, NULL, 0);
		i++;
	}
	if (count < 0 || batch < 1 || batch > 256 || max_args > CF_MAX_ARGS) {
		vm_fuzz_usage(stderr);
		return EXIT_USAGE;
	}
	if (outdir && mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "callfuzz vm-fuzz: %s: %s\n", outdir, strerror(errno));
		return EXIT_USAGE;
	}
	if (target_prepare(&a, "vm-fuzz") < 0)
		return EXIT_USAGE;
	t = tvm_start(&a.to, &err);
	if (!t) {
		fprintf(stderr, "callfuzz vm-fuzz: %s\n", err.msg);
		return EXIT_USAGE;
	}
	tvm_describe(t, desc, sizeof(desc));
	printf("%s\n", desc);
	go.max_args = max_args >= 0 ? (int)max_args : tvm_max_args(t);
	if (go.max_args > tvm_max_args(t))
		printf("note: --max-args %d above the kernel's %d: expect VERIFIER mismatches\n", go.max_args,
		       tvm_max_args(t));
	cases = calloc((size_t)batch, sizeof(*cases));
	progs = calloc((size_t)batch, sizeof(*progs));
	buf = malloc(FUZZ_MAX_LEN);
	if (!cases || !progs || !buf) {
		fprintf(stderr, "callfuzz vm-fuzz: out of memory\n");
		rc = EXIT_USAGE;
		goto out;
	}
	memset(&ft, 0, sizeof(ft));
	ft.first_seed = -1;
	t0 = now_s();
	for (long done = 0; done < count;) {
		int n = (int)(count - done < batch ? count - done : batch);

		for (int i = 0; i < n; i++) {
			long s = seed + done + i;
			size_t len = fuzz_bytes((uint64_t)s, buf);

			if (gen_program(buf, len, &go, &progs[i], &err) < 0) {
				fprintf(stderr, "callfuzz vm-fuzz: %s\n", err.msg);
				rc = EXIT_USAGE;
				goto out;
			}
			cases[i].prog = &progs[i];
			for (int k = 0; k < CF_CTX_SIZE; k++)
				cases[i].ctx_in[k] = (uint8_t)(k * 37 + s);
		}
		if (tvm_run(t, cases, n, &err) < 0) {
			fprintf(stderr, "callfuzz vm-fuzz: %s\n", err.msg);
			rc = EXIT_USAGE;
			goto out;
		}
		for (int i = 0; i < n; i++) {
			struct tvm_case *c = &cases[i];
			long s = seed + done + i;
			bool bad = c->interp_fault || c->m.kind != MISMATCH_NONE;

			ft.programs++;
			ft.checker_ok += c->checker_ok;
			ft.kernel_ok += c->nvoices && c->voice[0].loaded;
			ft.interp_voice += c->nvoices > 1 && c->voice[1].kind == TVM_KERNEL_INTERP && c->voice[1].ran;
			ft.interp_faults += c->interp_fault;
			if (!bad && c->checker_ok)
				ft.equal++;
			if (bad) {
				ft.mismatches++;
				if (!c->interp_fault)
					ft.by_kind[c->m.kind]++;
				if (ft.first_seed < 0) {
					ft.first_seed = s;
					ft.first_s = now_s() - t0;
					ft.first_programs = ft.programs;
					printf("first mismatch: seed %ld, %s (%s) at %s, after %.1f s and %ld programs\n", s,
					       c->interp_fault ? "INTERP" : mismatch_kind_name(c->m.kind), c->mvoice_name,
					       c->m.place, ft.first_s, ft.programs);
					fflush(stdout);
				}
				write_report(outdir, t, c, s, &go, verbose);
				if (!stop_on || (!c->interp_fault && strstr(stop_on, mismatch_kind_name(c->m.kind))))
					stop_count++;
			}
			tvm_case_release(c);
			cf_prog_free(&progs[i]);
		}
		done += n;
		if (stop_after > 0 && stop_count >= stop_after)
			break;
	}
	double total = now_s() - t0;
	const struct tvm_stats *st = tvm_get_stats(t);
	long p = ft.programs ? ft.programs : 1;

	printf("vm-fuzz: %ld programs (seeds %ld..%ld, max args %d) in %.1f s = %.1f programs/s, %s\n", ft.programs,
	       seed, seed + ft.programs - 1, go.max_args, total, ft.programs / (total > 0 ? total : 1),
	       tvm_voice_name(t, TVM_KERNEL_JIT));
	printf("  checker accepted:        %ld (%.2f%%)\n", ft.checker_ok, 100.0 * ft.checker_ok / p);
	printf("  kernel verifier accepted: %ld (%.2f%%)\n", ft.kernel_ok, 100.0 * ft.kernel_ok / p);
	printf("  equal to the interpreter: %ld (%.2f%%)\n", ft.equal, 100.0 * ft.equal / p);
	printf("  kernel interpreter voice: %ld programs (every function <= 5 args)\n", ft.interp_voice);
	printf("  mismatches: %ld", ft.mismatches);
	for (int k = 1; k <= MISMATCH_KERNEL; k++)
		if (ft.by_kind[k])
			printf(", %s %ld", mismatch_kind_name((enum mismatch_kind)k), ft.by_kind[k]);
	if (ft.interp_faults)
		printf(", INTERP (our interpreter faulted) %ld", ft.interp_faults);
	printf("\n");
	if (ft.first_seed >= 0)
		printf("  first mismatch: seed %ld after %.1f s (%ld programs)\n", ft.first_seed, ft.first_s,
		       ft.first_programs);
	printf("  time: boot %.2f s; per program: kernel load %.3f ms, kernel run %.3f ms, "
	       "protocol+agent %.3f ms, host (checker, interpreter, compare) %.3f ms; %ld round trips, %ld boots\n",
	       st->boot_ms / 1000, st->load_ns / 1e6 / p, st->run_ns / 1e6 / p,
	       (double)(st->rt_ns - st->load_ns - st->run_ns) / 1e6 / p, st->host_ns / 1e6 / p, st->round_trips,
	       st->boots);
	if (ft.mismatches)
		rc = EXIT_REJECT;
out:
	free(cases);
	free(progs);
	free(buf);
	tvm_stop(t);
	return rc;
}

CLI_COMMAND(vm_fuzz, "vm-fuzz", "generated programs through the vm oracle (kernel JIT, interpreter)", cmd_vm_fuzz)

/* ---- callfuzz vm-min -------------------------------------------------------- */

static void vm_min_usage(FILE *out)
{
	fprintf(out,
		"usage: callfuzz vm-min --match TEXT [-o OUT.s] [--arch ARCH] [--kernel IMAGE |\n"
		"                       --kernel-tree DIR] [--timeout MS] FILE.s\n\n"
		"Shrinks a program that the checker accepts and the kernel verifier rejects\n"
		"with a log containing TEXT: deletes instruction lines of the text (labels keep\n"
		"the jumps), chunks first, then single lines, keeping each deletion after which\n"
		"the checker still accepts and the kernel still rejects with TEXT. Candidates\n"
		"travel 16 per round trip. Prints the smallest program (or writes OUT.s).\n\n"
		"Exit codes: 0 shrunk (or already minimal), 1 FILE.s does not show TEXT, 2 usage.\n");
}

/* Instruction lines: not empty, not a comment, label or directive. */
static bool is_insn_line(const char *l)
{
	size_t n = strlen(l);

	while (*l == ' ' || *l == '\t')
		l++;
	if (!*l || *l == ';' || *l == '.' || !strcmp(l, ""))
		return false;
	return n && l[strlen(l) - 1] != ':';
}

struct min_state {
	char **lines;
	int nlines;
	bool *keep;
};

static char *min_text(const struct min_state *ms, int from, int len)
{
	size_t cap = 1, at = 0;
	char *t;

	for (int i = 0; i < ms->nlines; i++)
		cap += strlen(ms->lines[i]) + 1;
	t = malloc(cap);
	if (!t)
		return NULL;
	for (int i = 0; i < ms->nlines; i++) {
		if (!ms->keep[i] || (i >= from && i < from + len && is_insn_line(ms->lines[i])))
			continue;
		at += (size_t)sprintf(t + at, "%s\n", ms->lines[i]);
	}
	t[at] = 0;
	return t;
}

/* Which of the n candidate texts still show the rejection. */
static int min_try(struct tvm *t, char **texts, int n, const char *match, bool *still, struct cf_err *err)
{
	struct tvm_case *cases = calloc((size_t)n, sizeof(*cases));
	struct cf_prog *progs = calloc((size_t)n, sizeof(*progs));
	int *map = calloc((size_t)n, sizeof(*map)), k = 0, rc = 0;

	if (!cases || !progs || !map) {
		free(cases);
		free(progs);
		free(map);
		cf_err_set(err, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		still[i] = false;
		cf_prog_init(&progs[k]);
		if (!texts[i] || cf_asm_parse(texts[i], strlen(texts[i]), "min.s", &progs[k], err)) {
			cf_prog_free(&progs[k]);
			continue;
		}
		cf_prog_derive_stack(&progs[k]);
		cases[k].prog = &progs[k];
		map[k++] = i;
	}
	if (k && tvm_run(t, cases, k, err) < 0)
		rc = -1;
	for (int i = 0; i < k; i++) {
		const struct tvm_case *c = &cases[i];

		still[map[i]] = rc == 0 && c->checker_ok && c->nvoices && !c->voice[0].loaded && c->kernel_log &&
				strstr(c->kernel_log, match);
		tvm_case_release(&cases[i]);
		cf_prog_free(&progs[i]);
	}
	free(cases);
	free(progs);
	free(map);
	return rc;
}

static int cmd_vm_min(int argc, char **argv)
{
	struct vm_target_args a;
	const char *path = NULL, *match = NULL, *outpath = NULL;
	struct min_state ms = { 0 };
	struct cf_err err;
	char rerr[256];
	struct tvm *t = NULL;
	char *text, *save = NULL;
	size_t len;
	int rc = EXIT_OK, before = 0, after = 0;

	if (cli_wants_help(argc, argv)) {
		vm_min_usage(stdout);
		return EXIT_OK;
	}
	memset(&a, 0, sizeof(a));
	a.to.no_kernel_interp = true;
	for (int i = 1; i < argc; i++) {
		int r = target_option(&a, argc, argv, &i, "vm-min");

		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(argv[i], "--match") && i + 1 < argc)
			match = argv[++i];
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			outpath = argv[++i];
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else {
			vm_min_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!path || !match) {
		vm_min_usage(stderr);
		return EXIT_USAGE;
	}
	text = cf_read_file(path, &len, rerr, sizeof(rerr));
	if (!text) {
		fprintf(stderr, "callfuzz vm-min: %s\n", rerr);
		return EXIT_USAGE;
	}
	ms.lines = calloc(len + 2, sizeof(*ms.lines));
	ms.keep = calloc(len + 2, sizeof(*ms.keep));
	for (char *l = strtok_r(text, "\n", &save); l && ms.lines; l = strtok_r(NULL, "\n", &save)) {
		ms.keep[ms.nlines] = true;
		ms.lines[ms.nlines++] = l;
	}
	if (target_prepare(&a, "vm-min") < 0 || !(t = tvm_start(&a.to, &err))) {
		if (!a.kernel_tree || t)
			fprintf(stderr, "callfuzz vm-min: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	for (int i = 0; i < ms.nlines; i++)
		before += is_insn_line(ms.lines[i]);
	{
		char *whole = min_text(&ms, 0, 0);
		bool ok;

		if (min_try(t, &whole, 1, match, &ok, &err) < 0 || !ok) {
			printf("%s does not show it: the checker must accept it and the kernel reject it with \"%s\"\n",
			       path, match);
			free(whole);
			rc = EXIT_REJECT;
			goto out;
		}
		free(whole);
	}
	/* chunks of lines, halving, until single lines change nothing */
	for (int chunk = ms.nlines / 2 > 0 ? ms.nlines / 2 : 1;; chunk = chunk > 1 ? chunk / 2 : 1) {
		bool progress = false;

		for (int from = 0; from < ms.nlines;) {
			enum { PER = 16 };
			char *texts[PER];
			int starts[PER], n = 0;
			bool still[PER];

			for (; from < ms.nlines && n < PER; from += chunk) {
				bool any = false;

				for (int i = from; i < from + chunk && i < ms.nlines; i++)
					any |= ms.keep[i] && is_insn_line(ms.lines[i]);
				if (!any)
					continue;
				starts[n] = from;
				texts[n++] = min_text(&ms, from, chunk);
			}
			if (min_try(t, texts, n, match, still, &err) < 0) {
				fprintf(stderr, "callfuzz vm-min: %s\n", err.msg);
				rc = EXIT_USAGE;
				for (int i = 0; i < n; i++)
					free(texts[i]);
				goto out;
			}
			/* take the first success of the batch: later ones were
			 * tried against the old text */
			bool taken = false;

			for (int i = 0; i < n; i++) {
				if (still[i] && !taken) {
					for (int k = starts[i]; k < starts[i] + chunk && k < ms.nlines; k++)
						if (is_insn_line(ms.lines[k]))
							ms.keep[k] = false;
					progress = taken = true;
					from = starts[i] + chunk; /* the rest: again, against the new text */
				}
				free(texts[i]);
			}
		}
		fprintf(stderr, "vm-min: chunk %d, %s\n", chunk, progress ? "shrunk" : "no change");
		if (!progress && chunk == 1)
			break;
		if (progress)
			chunk *= 2; /* the same size again (the loop halves it) */
	}
	for (int i = 0; i < ms.nlines; i++)
		after += ms.keep[i] && is_insn_line(ms.lines[i]);
	{
		char *small = min_text(&ms, 0, 0);
		FILE *f = outpath ? fopen(outpath, "w") : stdout;

		if (f && small)
			fprintf(f, "; callfuzz vm-min --match \"%s\" %s: %d -> %d instruction lines\n%s", match, path,
				before, after, small);
		if (f && outpath)
			fclose(f);
		free(small);
	}
out:
	tvm_stop(t);
	free(ms.lines);
	free(ms.keep);
	free(text);
	return rc;
}

CLI_COMMAND(vm_min, "vm-min", "shrink a program the kernel verifier rejects and the checker accepts", cmd_vm_min)

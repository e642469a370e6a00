/* harness/cli/cli.c: the registry of subcommands and small shared helpers. */
#include "harness/cli/cli.h"

#include <ctype.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_COMMANDS 64

const struct cli_command *cli_commands[MAX_COMMANDS];
int cli_ncommands;

void cli_register(const struct cli_command *cmd)
{
	if (cli_ncommands < MAX_COMMANDS)
		cli_commands[cli_ncommands++] = cmd;
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

uint64_t cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}




int cli_load_prog(const char *cmd, const char *path, struct cf_prog *prog)
{
	struct cf_err err;
	char rerr[256];
	size_t len;
	char *text = cf_read_file(path, &len, rerr, sizeof(rerr));
	int rc;

	cf_prog_init(prog);
	if (!text) {
		fprintf(stderr, "callfuzz %s: %s\n", cmd, rerr);
		return -1;
	}
	rc = cf_asm_parse(text, len, path, prog, &err);
	free(text);
	if (rc) {
		fprintf(stderr, "callfuzz %s: %s\n", cmd, err.msg);
		return -1;
	}
	return 0;
}

int cli_parse_ctx(const char *arg, uint8_t ctx[CF_CTX_SIZE], char *err, size_t errlen)
{
	size_t n = 0;

	memset(ctx, 0, CF_CTX_SIZE);
	if (arg[0] == '@') {
		size_t len;
		char *data = cf_read_file(arg + 1, &len, err, errlen);

		if (!data)
			return -1;
		memcpy(ctx, data, len < CF_CTX_SIZE ? len : CF_CTX_SIZE);
		free(data);
		return 0;
	}
	if (!strncmp(arg, "0x", 2) || !strncmp(arg, "0X", 2))
		arg += 2;
	for (const char *s = arg; *s; s += 2) {
		int hi = cf_hex_digit(s[0]), lo = s[1] ? cf_hex_digit(s[1]) : -1;

		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "--ctx: expected pairs of hex digits, got '%s'", arg);
			return -1;
		}
		if (n >= CF_CTX_SIZE) {
			snprintf(err, errlen, "--ctx: more than %d bytes", CF_CTX_SIZE);
			return -1;
		}
		ctx[n++] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* ---- choosing a target ------------------------------------------------------ */

void cli_exec_env(struct exec_opts *eo)
{
	const char *exec_path = getenv("CALLFUZZ_EXEC"), *qemu = getenv("CALLFUZZ_QEMU");
	const char *spin = getenv("CALLFUZZ_SPIN_US"), *jobs = getenv("CALLFUZZ_JOBS");

	if (!eo->exec_path && exec_path && *exec_path)
		eo->exec_path = exec_path;
	if (!eo->qemu && qemu && *qemu)
		eo->qemu = qemu;
	if (eo->spin_us == 0 && spin && *spin) {
		long v = strtol(spin, NULL, 10);

		eo->spin_us = v > 0 && v < 1000000 ? (int)v : -1; /* a fixed budget; 0: never */
	}
	if (eo->jobs == 0 && jobs && *jobs) {
		long v = strtol(jobs, NULL, 10);

		eo->jobs = v > 0 && v < 1000000 ? (int)v : 1;
	}
}

void cli_target_init(struct cli_target *a)
{
	const char *env = getenv("CALLFUZZ_KNOWN_BUGS");

	memset(a, 0, sizeof(*a));
	target_opts_default(&a->to);
	cli_exec_env(&a->to.exec);
	if (env && *env)
		snprintf(a->known_bugs, sizeof(a->known_bugs), "%s", env);
	else
		known_bugs_default_dir(a->known_bugs, sizeof(a->known_bugs));
	a->to.known_bugs_dir = a->known_bugs;
}

int cli_accel_parse(const char *v, enum vm_accel *out, const char *cmd)
{
	if (vm_accel_parse(v, out) < 0) {
		fprintf(stderr, "callfuzz %s: accel '%s': auto, kvm or tcg\n", cmd, v);
		return -1;
	}
	return 0;
}

int cli_accel_from_env(enum vm_accel *out, const char *cmd)
{
	const char *env = getenv("CALLFUZZ_ACCEL");

	if (!env || !*env)
		return 0;
	return cli_accel_parse(env, out, cmd);
}

bool cli_pauth_from_env(void)
{
	const char *env = getenv("CALLFUZZ_VM_PAUTH");

	return env && *env && strcmp(env, "0");
}

int cli_target_option(struct cli_target *a, int argc, char **argv, int *i, const char *cmd)
{
	const char *o = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;

	if (!strcmp(o, "--no-kernel-interp")) {
		a->to.no_kernel_interp = true;
		return 1;
	}
	if (!strcmp(o, "--pauth")) {
		a->to.pauth = true;
		return 1;
	}
	if (!strcmp(o, "--no-lse") || !strcmp(o, "--lse")) {
		a->llsc = !strcmp(o, "--no-lse");
		a->lse_given = true;
		return 1;
	}
	if (strcmp(o, "--target") && strcmp(o, "--arch") && strcmp(o, "--kernel") && strcmp(o, "--kernel-tree") &&
	    strcmp(o, "--timeout") && strcmp(o, "--console") && strcmp(o, "--accel"))
		return 0;
	if (!v) {
		fprintf(stderr, "callfuzz %s: %s needs a value\n", cmd, o);
		return -1;
	}
	(*i)++;
	if (!strcmp(o, "--target")) {
		if (target_kind_parse(v, &a->to.kind) < 0) {
			fprintf(stderr, "callfuzz %s: --target %s: model, vm, vm,model or kernel\n", cmd, v);
			return -1;
		}
		a->kind_given = true;
	} else if (!strcmp(o, "--arch")) {
		enum vm_arch arch;

		if (vm_arch_parse(v, &arch) < 0) {
			fprintf(stderr, "callfuzz %s: unknown arch '%s' (arm64 or x86_64)\n", cmd, v);
			return -1;
		}
		snprintf(a->arch, sizeof(a->arch), "%s", vm_arch_name(arch));
		a->to.arch = a->arch;
		a->arch_given = true;
	} else if (!strcmp(o, "--accel")) {
		if (cli_accel_parse(v, &a->to.accel, cmd) < 0)
			return -1;
		a->accel_given = true;
	} else if (!strcmp(o, "--kernel")) {
		a->to.kernel = v;
		a->kernel_given = true;
	} else if (!strcmp(o, "--kernel-tree")) {
		a->kernel_tree = v;
		a->kernel_given = true;
	} else if (!strcmp(o, "--timeout")) {
		a->to.req_timeout_ms = atoi(v);
		if (a->to.req_timeout_ms <= 0) {
			fprintf(stderr, "callfuzz %s: --timeout takes a positive number of ms\n", cmd);
			return -1;
		}
	} else {
		a->to.console_log = v;
	}
	return 1;
}

void cli_target_from_id(struct cli_target *a, const struct target_id *id)
{
	if (!a->kind_given && id->kind[0])
		target_kind_parse(id->kind, &a->to.kind);
	if (!a->arch_given && id->arch[0] && target_kind_vm(a->to.kind)) {
		snprintf(a->arch, sizeof(a->arch), "%s", id->arch);
		a->to.arch = a->arch;
	}
	if (!a->kernel_given && id->kernel[0] && target_kind_vm(a->to.kind)) {
		snprintf(a->image, sizeof(a->image), "%s", id->kernel);
		a->to.kernel = a->image;
	}
	if (target_kind_vm(a->to.kind) && target_id_pauth(id))
		a->to.pauth = true;
}

int cli_target_prepare(struct cli_target *a, const char *cmd)
{
	const char *env = getenv("CALLFUZZ_KERNEL");
	struct cf_err err;

	if (a->kernel_tree && a->to.kernel) {
		fprintf(stderr, "callfuzz %s: --kernel and --kernel-tree exclude each other\n", cmd);
		return EXIT_USAGE;
	}
	if (!a->to.kernel && !a->kernel_tree && env && *env)
		a->to.kernel = env;
	if (!a->accel_given && cli_accel_from_env(&a->to.accel, cmd) < 0)
		return EXIT_USAGE;
	if (cli_pauth_from_env())
		a->to.pauth = true;
	if (a->kernel_tree && !target_kind_vm(a->to.kind)) {
		if (a->kind_given) {
			fprintf(stderr, "callfuzz %s: --kernel-tree boots a kernel: --target vm or vm,model\n", cmd);
			return EXIT_USAGE;
		}
		a->to.kind = TARGET_VM;
	}
	if (a->to.kernel && !target_kind_vm(a->to.kind) && a->kernel_given) {
		if (a->kind_given) {
			fprintf(stderr, "callfuzz %s: --kernel boots a kernel: --target vm or vm,model\n", cmd);
			return EXIT_USAGE;
		}
		a->to.kind = TARGET_VM;
	}
	if (a->kernel_tree) {
		struct stat st;

		/* a typo is bad usage, not a commit that does not build */
		if (strcmp(a->kernel_tree, "debian") && (stat(a->kernel_tree, &st) || !S_ISDIR(st.st_mode))) {
			fprintf(stderr, "callfuzz %s: --kernel-tree %s: not a directory\n", cmd, a->kernel_tree);
			return EXIT_USAGE;
		}
		if (target_build_kernel_tree(a->kernel_tree, a->to.arch ? a->to.arch : "arm64", a->image,
					     sizeof(a->image), &err) < 0) {
			fprintf(stderr, "callfuzz %s: %s\n", cmd, err.msg);
			return EXIT_BUILD;
		}
		a->to.kernel = a->image;
	}
	if (target_kind_vm(a->to.kind) && a->to.kernel && access(a->to.kernel, R_OK)) {
		fprintf(stderr, "callfuzz %s: kernel image %s: %s\n", cmd, a->to.kernel, strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

void cli_target_usage(FILE *out)
{
	fprintf(out,
		"target options:\n"
		"  --target T         model (our arm64 JIT on the executor), vm (a real kernel\n"
		"                     under qemu-system: its JIT, and its interpreter for <= 5\n"
		"                     arguments), vm,model (both), kernel (the host kernel, bpf())\n"
		"  --arch ARCH        vm: arm64 (default) or x86_64; with --kernel, the image's own\n"
		"  --kernel IMAGE     vm: arm64 Image or x86 bzImage (default: $CALLFUZZ_KERNEL,\n"
		"                     then build/kernels/ARCH/vmlinuz of harness/target/fetch-kernels.sh)\n"
		"  --kernel-tree DIR  vm: rebuild DIR (a kernel source tree; `debian`: Debian's\n"
		"                     linux-source-7.2) with harness/target/kernel-tree.sh, boot that;\n"
		"                     exit 125 when it does not build (git bisect run skips it)\n"
		"  --no-kernel-interp vm: never use the kernel's interpreter\n"
		"  --accel A          vm: auto (default: KVM when the host can run the guest\n"
		"                     there, else TCG), kvm or tcg ($CALLFUZZ_ACCEL)\n"
		"  --pauth            vm, arm64 under TCG: keep the kernel's pointer authentication\n"
		"                     (default: boot with arm64.nopauth, 1.6x faster for\n"
		"                     Debian's kernel; same code; $CALLFUZZ_VM_PAUTH=1)\n"
		"  --timeout MS       vm: watchdog per round trip (default 10000)\n"
		"  --console FILE     vm: keep the guest's console log in FILE\n"
		"  --no-lse, --lse    model voice: JIT atomics as LL/SC loops, or LSE (default)\n");
}

int cli_ctx_from_header(const char *text, uint8_t ctx[CF_CTX_SIZE])
{
	const char *p = text;

	while (*p == ';' || *p == '\n' || *p == ' ' || *p == '\t') {
		if (!strncmp(p, "; ctx: ", 7)) {
			char hex[2 * CF_CTX_SIZE + 1], err[256];
			size_t n = strcspn(p + 7, "\n");

			if (n >= sizeof(hex))
				return 0;
			memcpy(hex, p + 7, n);
			hex[n] = 0;
			return cli_parse_ctx(hex, ctx, err, sizeof(err)) == 0;
		}
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	return 0;
}

bool cli_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* harness/target/vm.c: boots a real kernel under qemu-system (KVM or TCG) with the agent
 * of harness/agent/ as /init and talks to it over virtio-serial
 * (docs/vm-protocol.md). kernels.md gives the boot lines measured here.
 *
 * The host listens on a unix socket and qemu connects to it as the
 * virtserialport's chardev, so there is no race on the socket's creation.
 * Every read and write has a deadline: a guest that stops answering is
 * killed and booted again (VM_TIMEOUT); a guest that goes away is read for
 * an oops on its console (VM_CRASH).
 *
 * KVM where the host allows it (same arch, /dev/kvm usable), TCG otherwise;
 * a KVM boot that fails (nested KVM here: qemu aborts on MSR 0x10a, or
 * stops on "KVM internal error") is booted again under TCG, and the
 * failure is remembered (docs/vm-target.md, "KVM or TCG"). */
#define _GNU_SOURCE
#include "harness/target/target.h"

#include "harness/agent/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CRASH_TEXT_MAX (32 << 10)
/* A KVM guest reaches HELLO in a few seconds; one that has not by then is
 * stuck (a paused "KVM internal error" leaves qemu running) and is booted
 * again under TCG. */
#define KVM_BOOT_TIMEOUT_MS 20000

struct vm {
	struct vm_opts opts;
	char kernel[PATH_MAX], initrd[PATH_MAX], console[PATH_MAX];
	char dir[64];          /* temporary directory: socket, console, qemu output */
	char sock_path[108];
	bool own_console;      /* console.log is ours to remove */
	pid_t qemu;
	int listen_fd, fd;
	off_t console_start;   /* where this boot's console output begins */
	struct vm_info info;
	char *crash;           /* text of the last CRASH/TIMEOUT */
	struct vmp_buf out;
	uint8_t *in;           /* last response frame body */
	size_t in_cap;
	char qemu_key[PATH_MAX + 256]; /* qemu binary, its mtime, host release, arch:
					  what a remembered KVM failure is keyed by */
	/* a batch sent and not yet received (vm_batch_send) */
	bool pending;
	int pending_n;
	int64_t pending_deadline;
};

static const char *const arch_names[] = { "arm64", "x86_64" };

const char *vm_arch_name(enum vm_arch arch)
{
	return arch_names[arch];
}

int vm_arch_parse(const char *name, enum vm_arch *out)
{
	if (!strcmp(name, "arm64") || !strcmp(name, "aarch64")) {
		*out = VM_ARCH_ARM64;
		return 0;
	}
	if (!strcmp(name, "x86_64") || !strcmp(name, "amd64") || !strcmp(name, "x86-64")) {
		*out = VM_ARCH_X86_64;
		return 0;
	}
	return -1;
}

const char *vm_status_name(enum vm_status st)
{
	switch (st) {
	case VM_OK: return "OK";
	case VM_REJECTED: return "REJECTED";
	case VM_TIMEOUT: return "TIMEOUT";
	case VM_CRASH: return "CRASH";
	case VM_ERROR: return "ERROR";
	}
	return "?";
}

static const char *const accel_names[] = { "auto", "tcg", "kvm" };

const char *vm_accel_name(enum vm_accel a)
{
	return (unsigned)a < 3 ? accel_names[a] : "?";
}

int vm_accel_parse(const char *name, enum vm_accel *out)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, accel_names[i])) {
			*out = (enum vm_accel)i;
			return 0;
		}
	return -1;
}

int vm_image_arch(const char *path, enum vm_arch *out, struct cf_err *err)
{
	uint8_t h[0x210];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		cf_err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(h, 1, sizeof(h), f);
	fclose(f);
	/* arm64 Image header: "ARM\x64" at offset 56 (Documentation/arch/arm64/booting.rst) */
	if (n >= 60 && !memcmp(h + 56, "ARM\x64", 4)) {
		*out = VM_ARCH_ARM64;
		return 0;
	}
	/* x86 boot protocol: "HdrS" at 0x202 */
	if (n >= 0x206 && !memcmp(h + 0x202, "HdrS", 4)) {
		*out = VM_ARCH_X86_64;
		return 0;
	}
	cf_err_set(err, "%s: neither an arm64 Image nor an x86 bzImage (a compressed vmlinuz.efi "
			"or an ELF vmlinux is not bootable with -kernel here)", path);
	return -1;
}

void vm_opts_default(struct vm_opts *o, enum vm_arch arch)
{
	memset(o, 0, sizeof(*o));
	o->arch = arch;
	o->mem_mb = 512;
	o->boot_timeout_ms = 60000;
	o->req_timeout_ms = 10000;
	o->accel = VM_ACCEL_AUTO;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

const char *vm_default_kernel(enum vm_arch arch)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kernels/%s/vmlinuz", target_self_dir(), vm_arch_name(arch));
	if (is_file(path))
		return path;
	snprintf(path, sizeof(path), "%s/../cache/kernels/%s/vmlinuz", target_self_dir(), vm_arch_name(arch));
	if (is_file(path))
		return path;
	return NULL;
}

const struct vm_info *vm_get_info(const struct vm *vm)
{
	return &vm->info;
}

const char *vm_crash_text(const struct vm *vm)
{
	return vm->crash ? vm->crash : "";
}

const char *vm_console_path(const struct vm *vm)
{
	return vm->console;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- console --------------------------------------------------------- */

static char *read_console(const struct vm *vm, size_t *len)
{
	int fd = open(vm->console, O_RDONLY);
	struct stat st;
	char *buf;
	ssize_t n;

	*len = 0;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < vm->console_start) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	size_t size = (size_t)(st.st_size - vm->console_start);

	buf = malloc(size + 1);
	n = buf ? pread(fd, buf, size, vm->console_start) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

/* The oops in this boot's console output, from the first line that starts
 * one to the end; NULL if there is none. */
static char *find_oops(const char *con)
{
	static const char *const markers[] = {
		"Internal error:", "Unable to handle kernel", "BUG:", "Oops", "general protection fault",
		"Kernel panic", "WARNING:", "kernel BUG", "Call trace:", "Call Trace:",
	};
	const char *first = NULL;

	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		const char *m = strstr(con, markers[i]);

		if (m && (!first || m < first))
			first = m;
	}
	if (!first)
		return NULL;
	while (first > con && first[-1] != '\n')
		first--;
	return strndup(first, CRASH_TEXT_MAX);
}

static char *console_tail(const char *con, size_t len, size_t max)
{
	return strdup(len > max ? con + len - max : con);
}

/* ---- KVM or TCG --------------------------------------------------------- */

static const char *qemu_name(const struct vm *vm)
{
	if (vm->opts.qemu)
		return vm->opts.qemu;
	return vm->opts.arch == VM_ARCH_ARM64 ? "qemu-system-aarch64" : "qemu-system-x86_64";
}

/* NAME as execvp would find it (for the key of a remembered failure). */
static void which(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");

	snprintf(out, size, "%s", name);
	if (strchr(name, '/') || !path)
		return;
	while (*path) {
		size_t n = strcspn(path, ":");
		char cand[PATH_MAX];

		snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, path, name);
		if (access(cand, X_OK) == 0) {
			snprintf(out, size, "%s", cand);
			return;
		}
		path += n + (path[n] == ':');
	}
}

/* Can this process run a KVM guest at all? 1, or 0 with why. */
static int kvm_usable(char *why, size_t size)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), v, vmfd;

	if (fd < 0) {
		snprintf(why, size, "/dev/kvm: %s", strerror(errno));
		return 0;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		snprintf(why, size, "/dev/kvm: KVM_GET_API_VERSION %d, not %d", v, KVM_API_VERSION);
		close(fd);
		return 0;
	}
	vmfd = ioctl(fd, KVM_CREATE_VM, 0);
	if (vmfd < 0) {
		snprintf(why, size, "/dev/kvm: KVM_CREATE_VM: %s", strerror(errno));
		close(fd);
		return 0;
	}
	close(vmfd);
	close(fd);
	return 1;
}

/* KVM failures at boot seen by this process, so that a restart, another
 * guest of the same qemu and arch, or the minimizer's guest does not pay
 * the failed attempt again. The one piece of mutable state of this module,
 * on purpose: it describes the machine, not a guest. Guests are booted
 * from the main thread only (die_with_owner), so it needs no lock. */
static struct {
	char key[PATH_MAX + 256];
	char why[160];
} kvm_failed[4];
static int nkvm_failed;

static const char *accel_cache_path(const struct vm *vm, char *buf, size_t size)
{
	if (vm->opts.accel_cache)
		return vm->opts.accel_cache[0] ? vm->opts.accel_cache : NULL;
	snprintf(buf, size, "%s/vm-accel.cache", target_self_dir());
	return buf;
}

/* The cache file: one line per remembered failure,
 *   kvm-failed <TAB> key <TAB> why
 * where key is "qemu-binary mtime host-release arch". */
static bool kvm_failed_before(const struct vm *vm, char *why, size_t size, bool *from_file)
{
	char path[PATH_MAX], line[PATH_MAX + 512];
	const char *p = accel_cache_path(vm, path, sizeof(path));
	size_t klen = strlen(vm->qemu_key);
	FILE *f;

	for (int i = 0; i < nkvm_failed; i++)
		if (!strcmp(kvm_failed[i].key, vm->qemu_key)) {
			snprintf(why, size, "%s", kvm_failed[i].why);
			*from_file = false;
			return true;
		}
	if (!p || !(f = fopen(p, "r")))
		return false;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "kvm-failed\t", 11) || strncmp(line + 11, vm->qemu_key, klen) ||
		    line[11 + klen] != '\t')
			continue;
		snprintf(why, size, "%s", line + 12 + klen);
		fclose(f);
		*from_file = true;
		return true;
	}
	fclose(f);
	return false;
}

static void remember_kvm_failure(const struct vm *vm, const char *why)
{
	char path[PATH_MAX], line[PATH_MAX + 512];
	const char *p = accel_cache_path(vm, path, sizeof(path));
	int fd, n;

	if (nkvm_failed < (int)(sizeof(kvm_failed) / sizeof(kvm_failed[0]))) {
		snprintf(kvm_failed[nkvm_failed].key, sizeof(kvm_failed[0].key), "%s", vm->qemu_key);
		snprintf(kvm_failed[nkvm_failed].why, sizeof(kvm_failed[0].why), "%.159s", why);
		nkvm_failed++;
	}
	if (!p)
		return;
	/* one append of one line: concurrent jobs may write it at once */
	n = snprintf(line, sizeof(line), "kvm-failed\t%s\t%s\n", vm->qemu_key, why);
	fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0) {
			/* a read-only build dir: remembered for this process only */
		}
		close(fd);
	}
}

/* Decide before the first boot; vm->info.kvm and vm->info.accel say the
 * outcome. -1 with err only when KVM was asked for and cannot be had. */
static int choose_accel(struct vm *vm, struct cf_err *err)
{
	struct utsname u;
	enum vm_arch host;
	char why[200], qemu[PATH_MAX];
	struct stat st;
	bool from_file;
	int have_host = uname(&u) == 0 && vm_arch_parse(u.machine, &host) == 0;

	which(qemu_name(vm), qemu, sizeof(qemu));
	snprintf(vm->qemu_key, sizeof(vm->qemu_key), "%s %lld %s %s", qemu,
		 stat(qemu, &st) == 0 ? (long long)st.st_mtime : 0LL, have_host ? u.release : "?",
		 vm_arch_name(vm->opts.arch));
	vm->info.kvm = false;
	if (vm->opts.local_agent) {
		snprintf(vm->info.accel, sizeof(vm->info.accel), "no guest (the agent runs on the host)");
		return 0;
	}
	if (vm->opts.accel == VM_ACCEL_TCG) {
		snprintf(vm->info.accel, sizeof(vm->info.accel), "accel tcg (asked for)");
		return 0;
	}
	if (!have_host || host != vm->opts.arch) {
		snprintf(why, sizeof(why), "%s guest on an %s host", vm_arch_name(vm->opts.arch),
			 have_host ? u.machine : "unknown");
		goto tcg;
	}
	if (!kvm_usable(why, sizeof(why)))
		goto tcg;
	if (vm->opts.accel == VM_ACCEL_AUTO && kvm_failed_before(vm, why, sizeof(why), &from_file)) {
		char again[200];

		snprintf(again, sizeof(again), "%s", why);
		snprintf(why, sizeof(why), "KVM failed at boot %s (%.120s), not tried again",
			 from_file ? "in an earlier run" : "earlier", again);
		if (from_file) {
			char path[PATH_MAX];

			snprintf(vm->info.accel, sizeof(vm->info.accel), "accel tcg: %.150s; remembered in %.80s", why,
				 accel_cache_path(vm, path, sizeof(path)));
			return 0;
		}
		goto tcg_colon;
	}
	vm->info.kvm = true;
	snprintf(vm->info.accel, sizeof(vm->info.accel), "accel kvm");
	return 0;
tcg:
	if (vm->opts.accel == VM_ACCEL_KVM) {
		cf_err_set(err, "KVM asked for, but it cannot run this guest: %s", why);
		return -1;
	}
	snprintf(vm->info.accel, sizeof(vm->info.accel), "accel tcg (%s)", why);
	return 0;
tcg_colon:
	snprintf(vm->info.accel, sizeof(vm->info.accel), "accel tcg: %s", why);
	return 0;
}

/* What a failed KVM boot left in qemu's output: its first line that names
 * KVM or an error ("qemu-system-x86_64: error: failed to set MSR 0x10a to
 * 0x69", "KVM internal error. Suberror: 1"), without qemu's name. */
static void kvm_failure_text(const struct vm *vm, char *out, size_t size)
{
	char path[128], line[512];
	FILE *f;

	out[0] = 0;
	snprintf(path, sizeof(path), "%s/qemu.log", vm->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *l = line;

		line[strcspn(line, "\n")] = 0;
		if (!strncmp(l, "qemu-system-", 12) && strstr(l, ": "))
			l = strstr(l, ": ") + 2;
		if (strstr(l, "KVM") || strstr(l, "kvm") || strstr(l, "error")) {
			snprintf(out, size, "%.*s", (int)(size - 1), l);
			break;
		}
	}
	fclose(f);
}

/* A KVM guest that has stopped for good before HELLO: qemu exited, or it
 * printed "KVM internal error" and paused the guest. */
static bool kvm_boot_dead(struct vm *vm)
{
	char text[200];

	if (vm->qemu > 0 && waitpid(vm->qemu, NULL, WNOHANG) == vm->qemu) {
		vm->qemu = 0;
		return true;
	}
	kvm_failure_text(vm, text, sizeof(text));
	return strstr(text, "KVM internal error") != NULL;
}

/* ---- qemu ------------------------------------------------------------ */

static void kill_qemu(struct vm *vm, int grace_ms)
{
	vm->pending = false; /* a batch in flight dies with the guest */
	if (vm->fd >= 0) {
		close(vm->fd);
		vm->fd = -1;
	}
	if (vm->qemu <= 0)
		return;
	for (int64_t end = now_ms() + grace_ms;;) {
		if (waitpid(vm->qemu, NULL, WNOHANG) == vm->qemu)
			goto done;
		if (now_ms() >= end)
			break;
		usleep(10000);
	}
	kill(vm->qemu, SIGKILL);
	waitpid(vm->qemu, NULL, 0);
done:
	vm->qemu = 0;
}

/* In a child of spawn_qemu/spawn_local_agent, before exec: the guest must
 * not outlive its owner, however the owner ends. vm_stop() is skipped by
 * SIGKILL, a crash, or libFuzzer's _Exit() on SIGINT and -max_total_time
 * (fuzz/run's jobs end that way), and qemu sits in a process group of its
 * own, so neither the terminal's ^C nor a kill of the owner's group
 * reaches it. PR_SET_PDEATHSIG survives exec (qemu is not setuid) and the
 * kernel sends it whatever ends the owner. It fires when the *thread* that
 * forked exits: every boot (vm_start, vm_restart, a batch's reboot) must
 * come from a thread that lives as long as the guest should, in callfuzz
 * and fuzz-diff the main thread (fuzz/loop's interpreter thread never
 * boots). An owner that died before the prctl left us reparented: then
 * getppid() is no longer owner and we go without starting anything. */
static void die_with_owner(pid_t owner)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		fprintf(stderr, "prctl(PR_SET_PDEATHSIG): %s\n", strerror(errno));
		_exit(127);
	}
	if (getppid() != owner)
		_exit(127);
}

static pid_t spawn_qemu(struct vm *vm, struct cf_err *err)
{
	char mem[16], serial[PATH_MAX + 64], chardev[256], qemu_log[128];
	const char *argv[48];
	int n = 0;
	bool arm = vm->opts.arch == VM_ARCH_ARM64;
	const char *qemu = qemu_name(vm);
	pid_t pid, owner = getpid();

	snprintf(mem, sizeof(mem), "%d", vm->opts.mem_mb > 0 ? vm->opts.mem_mb : 512);
	snprintf(serial, sizeof(serial), "file,id=con,path=%s,append=on", vm->console);
	snprintf(chardev, sizeof(chardev), "socket,id=port,path=%s", vm->sock_path);
	snprintf(qemu_log, sizeof(qemu_log), "%s/qemu.log", vm->dir);
	argv[n++] = qemu;
	if (vm->info.kvm) {
		/* the host's CPU as it is; arm64: its GIC version too */
		argv[n++] = "-accel";
		argv[n++] = "kvm";
		if (arm) {
			argv[n++] = "-M";
			argv[n++] = "virt,gic-version=host";
		}
		argv[n++] = "-cpu";
		argv[n++] = "host";
	} else if (arm) {
		/* kernels.md: plain -cpu max emulates QARMA and runs BPF ~8x slower */
		argv[n++] = "-accel";
		argv[n++] = "tcg";
		argv[n++] = "-M";
		argv[n++] = "virt";
		argv[n++] = "-cpu";
		argv[n++] = "max,pauth-impdef=on";
	} else {
		argv[n++] = "-accel";
		argv[n++] = "tcg";
		argv[n++] = "-cpu";
		argv[n++] = "max";
	}
	argv[n++] = "-smp";
	argv[n++] = "1";
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-no-reboot";
	argv[n++] = "-chardev";
	argv[n++] = serial;
	argv[n++] = "-serial";
	argv[n++] = "chardev:con";
	argv[n++] = "-kernel";
	argv[n++] = vm->kernel;
	argv[n++] = "-initrd";
	argv[n++] = vm->initrd;
	/* TCG on a loaded host: the IO-APIC timer check fails and panics (x86).
	 * arm64.nopauth under TCG: a kernel built with ARM64_PTR_AUTH_KERNEL
	 * (Debian's) signs and authenticates the return address in nearly every
	 * function, each a helper call under TCG: the verifier runs 1.6x slower.
	 * The kernel's code, the JIT's output included, is the same bytes; the
	 * PAC instructions it contains are hints and execute as NOPs. */
	/* kasan_multi_shot: KASAN reports every bad access, not only the
	 * boot's first (the minimizer needs each candidate's); ignored by a
	 * kernel without KASAN */
	snprintf(vm->info.cmdline, sizeof(vm->info.cmdline), "%s kasan_multi_shot%s",
		 arm ? "console=ttyAMA0 quiet panic=-1" : "console=ttyS0 quiet panic=-1 no_timer_check",
		 arm && !vm->info.kvm && !vm->opts.pauth ? " arm64.nopauth" : "");
	argv[n++] = "-append";
	argv[n++] = vm->info.cmdline;
	argv[n++] = "-device";
	argv[n++] = "virtio-serial-pci";
	argv[n++] = "-chardev";
	argv[n++] = chardev;
	argv[n++] = "-device";
	argv[n++] = "virtserialport,chardev=port,name=" VMP_PORT_NAME;
	argv[n] = NULL;

	pid = fork();
	if (pid < 0) {
		cf_err_set(err, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		int logfd = open(qemu_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (devnull >= 0)
			dup2(devnull, 0);
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		setpgid(0, 0); /* a ^C to callfuzz is handled by callfuzz */
		die_with_owner(owner);
		execvp(qemu, (char **)argv);
		fprintf(stderr, "exec %s: %s\n", qemu, strerror(errno));
		_exit(127);
	}
	return pid;
}

/* The agent on the host kernel, over a socketpair (vm_opts.local_agent). */
static int spawn_local_agent(struct vm *vm, struct cf_err *err)
{
	int sv[2];
	pid_t owner = getpid();

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		cf_err_set(err, "socketpair: %s", strerror(errno));
		return -1;
	}
	vm->qemu = fork();
	if (vm->qemu < 0) {
		cf_err_set(err, "fork: %s", strerror(errno));
		vm->qemu = 0;
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (vm->qemu == 0) {
		dup2(sv[1], 0);
		dup2(sv[1], 1);
		die_with_owner(owner);
		execl(vm->opts.local_agent, vm->opts.local_agent, "--stdio", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	vm->fd = sv[0];
	fcntl(vm->fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static void qemu_failure(struct vm *vm, const char *what, struct cf_err *err)
{
	char path[128], buf[400] = "";
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/qemu.log", vm->dir);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	cf_err_set(err, "%s: %s%s", what, buf[0] ? buf : "qemu exited",
		   strstr(buf, "exec ") ? " (install qemu-system-arm / qemu-system-x86)" : "");
}

/* ---- framed I/O with deadlines ----------------------------------------- */

enum io_result { IO_OK, IO_TIMEOUT, IO_EOF };

static enum io_result io_wait(int fd, short ev, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = ev };
		int r;

		if (left <= 0)
			return IO_TIMEOUT;
		r = poll(&p, 1, (int)(left > INT_MAX ? INT_MAX : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return IO_EOF;
		if (r == 0)
			return IO_TIMEOUT;
		if (p.revents & ev)
			return IO_OK;
		return IO_EOF; /* HUP or ERR without data */
	}
}

static enum io_result io_write(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			enum io_result r = io_wait(fd, POLLOUT, deadline);

			if (r != IO_OK)
				return r;
			continue;
		}
		return IO_EOF;
	}
	return IO_OK;
}

static enum io_result io_read(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t r = recv(fd, p, n, 0);

		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return IO_EOF;
		if (errno == EAGAIN || errno == EINTR) {
			enum io_result w = io_wait(fd, POLLIN, deadline);

			if (w != IO_OK)
				return w;
			continue;
		}
		return IO_EOF;
	}
	return IO_OK;
}

/* Reads one frame into vm->in; *op and *len (body bytes after op). */
static enum io_result read_frame(struct vm *vm, uint16_t *op, uint32_t *len, int64_t deadline)
{
	uint8_t hdr[8];
	enum io_result r = io_read(vm->fd, hdr, sizeof(hdr), deadline);
	uint32_t flen;

	if (r != IO_OK)
		return r;
	flen = (uint32_t)hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	*op = (uint16_t)(hdr[4] | hdr[5] << 8);
	if (flen < 4 || flen > VMP_MAX_FRAME)
		return IO_EOF;
	*len = flen - 4;
	if (*len + 1 > vm->in_cap) {
		uint8_t *nb = realloc(vm->in, *len + 1);

		if (!nb)
			return IO_EOF;
		vm->in = nb;
		vm->in_cap = *len + 1;
	}
	return io_read(vm->fd, vm->in, *len, deadline);
}

static void copy_str(struct vmp_cur *c, char *dst, size_t size)
{
	uint32_t n;
	const uint8_t *p = vmp_get_bytes(c, &n);

	if (n >= size)
		n = (uint32_t)size - 1;
	if (p)
		memcpy(dst, p, n);
	dst[p ? n : 0] = 0;
}

static int parse_hello(struct vm *vm, uint32_t len, struct cf_err *err)
{
	struct vmp_cur c = { vm->in, len, false };
	struct vm_info *in = &vm->info;
	uint32_t features;

	vmp_get_u32(&c); /* err */
	in->proto_version = (int)vmp_get_u32(&c);
	features = vmp_get_u32(&c);
	in->jit_enable = (int)vmp_get_u32(&c);
	copy_str(&c, in->release, sizeof(in->release));
	copy_str(&c, in->machine, sizeof(in->machine));
	copy_str(&c, in->probe_log, sizeof(in->probe_log));
	in->nkfuncs = 0;
	if (!c.bad && in->proto_version == VMP_VERSION) {
		uint32_t n = vmp_get_u32(&c);

		for (uint32_t k = 0; k < n && !c.bad; k++) {
			struct vm_kfunc kf;

			copy_str(&c, kf.name, sizeof(kf.name));
			kf.btf_id = (int32_t)vmp_get_u32(&c);
			if (in->nkfuncs < (int)(sizeof(in->kfunc) / sizeof(in->kfunc[0])))
				in->kfunc[in->nkfuncs++] = kf;
		}
		copy_str(&c, in->kfunc_note, sizeof(in->kfunc_note));
	}
	if (c.bad || in->proto_version != VMP_VERSION) {
		cf_err_set(err, "agent speaks protocol %d, callfuzz %d: rebuild the initramfs (make agent)",
			   in->proto_version, VMP_VERSION);
		return -1;
	}
	in->stack_args = features & VMP_FEAT_STACK_ARGS;
	in->jit_switchable = features & VMP_FEAT_JIT_SWITCH;
	in->jit_on = features & VMP_FEAT_JIT_ON;
	in->kcov = features & VMP_FEAT_KCOV;
	in->kmsg = features & VMP_FEAT_KMSG;
	in->kfuncs = features & VMP_FEAT_KFUNCS;
	return 0;
}

/* A kfunc call of the program names a callee of our call table; the
 * kernel wants its BTF id in vmlinux (off 0), which HELLO gave. Calls of
 * kfuncs this kernel lacks keep our id: the verifier refuses them. */
static void resolve_kfuncs(const struct vm_info *in, struct cf_raw *raw)
{
	for (int k = 0; k < raw->ninsns; k++) {
		struct bpf_insn *i = &raw->insns[k];
		const struct cf_callee *c;

		if (i->code != (BPF_JMP | BPF_CALL) || i->src_reg != BPF_PSEUDO_KFUNC_CALL)
			continue;
		c = cf_callee_find(true, i->imm);
		for (int f = 0; c && f < in->nkfuncs; f++)
			if (in->kfunc[f].btf_id && !strcmp(in->kfunc[f].name, c->name))
				i->imm = in->kfunc[f].btf_id;
	}
}

static int boot_once(struct vm *vm, struct cf_err *err)
{
	int64_t t0 = now_ms(), deadline = t0 + (vm->opts.boot_timeout_ms > 0 ? vm->opts.boot_timeout_ms : 60000);
	struct stat st;
	uint16_t op;
	uint32_t len;
	enum io_result r;

	vm->console_start = stat(vm->console, &st) == 0 ? st.st_size : 0;
	if (vm->opts.local_agent) {
		if (spawn_local_agent(vm, err) < 0)
			return -1;
		goto hello;
	}
	vm->qemu = spawn_qemu(vm, err);
	if (vm->qemu < 0) {
		vm->qemu = 0;
		return -1;
	}
	/* qemu connects to our socket once it has set up the device */
	for (;;) {
		r = io_wait(vm->listen_fd, POLLIN, now_ms() + 50 < deadline ? now_ms() + 50 : deadline);
		if (r == IO_OK) {
			vm->fd = accept4(vm->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (vm->fd >= 0)
				break;
		}
		if (waitpid(vm->qemu, NULL, WNOHANG) == vm->qemu) {
			vm->qemu = 0;
			qemu_failure(vm, "qemu did not start", err);
			return -1;
		}
		if (now_ms() >= deadline) {
			kill_qemu(vm, 0);
			cf_err_set(err, "qemu did not connect to the virtio-serial socket in time");
			return -1;
		}
	}
hello:
	if (vm->info.kvm) {
		/* KVM fails fast or not at all: watch qemu while waiting */
		int64_t kvm_deadline = t0 + KVM_BOOT_TIMEOUT_MS;

		if (kvm_deadline < deadline)
			deadline = kvm_deadline;
		do
			r = io_wait(vm->fd, POLLIN, now_ms() + 100 < deadline ? now_ms() + 100 : deadline);
		while (r == IO_TIMEOUT && now_ms() < deadline && !kvm_boot_dead(vm));
		if (r == IO_TIMEOUT)
			deadline = now_ms(); /* dead, or out of time: no HELLO is coming */
	}
	r = read_frame(vm, &op, &len, deadline);
	if (r != IO_OK || op != VMP_HELLO) {
		size_t clen;
		char *con;

		kill_qemu(vm, 0);
		con = read_console(vm, &clen);
		cf_err_set(err, "%s booting %s (%s); console ends with:\n%s",
			   r == IO_TIMEOUT ? "no HELLO from the agent in time" : "the guest went away",
			   vm->kernel, vm->console, con ? con + (clen > 1500 ? clen - 1500 : 0) : "(empty)");
		free(con);
		return -1;
	}
	if (parse_hello(vm, len, err) < 0) {
		kill_qemu(vm, 0);
		return -1;
	}
	vm->info.boot_ms = (double)(now_ms() - t0);
	vm->info.boots++;
	return 0;
}

/* Boots the guest; under VM_ACCEL_AUTO a KVM boot that fails is tried
 * again under TCG, and the failure is remembered when TCG then boots (a
 * kernel that fails under both was not KVM's fault). */
static int boot(struct vm *vm, struct cf_err *err)
{
	int64_t t0 = now_ms();
	struct cf_err kvm_err;
	char text[200], why[200];

	if (!vm->info.kvm)
		return boot_once(vm, err);
	if (boot_once(vm, &kvm_err) == 0)
		return 0;
	kvm_failure_text(vm, text, sizeof(text));
	if (vm->opts.accel == VM_ACCEL_KVM) {
		if (text[0])
			cf_err_set(err, "KVM asked for, but the guest did not boot under it (qemu: %s)", text);
		else
			cf_err_set(err, "KVM asked for, but the guest did not boot under it: %s", kvm_err.msg);
		return -1;
	}
	snprintf(why, sizeof(why), "%.150s", text[0] ? text : "no HELLO, no qemu message");
	vm->info.kvm = false;
	snprintf(vm->info.accel, sizeof(vm->info.accel), "accel tcg: KVM failed at boot after %.1f s (%s), fell back",
		 (double)(now_ms() - t0) / 1000, why);
	if (boot_once(vm, err) < 0)
		return -1;
	remember_kvm_failure(vm, why);
	return 0;
}

void vm_stop(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->fd >= 0) {
		uint8_t poweroff[8] = { 4, 0, 0, 0, VMP_POWEROFF, 0, 0, 0 };
		int64_t deadline = now_ms() + 1000;
		uint16_t op;
		uint32_t len;

		if (io_write(vm->fd, poweroff, sizeof(poweroff), deadline) == IO_OK)
			read_frame(vm, &op, &len, deadline);
	}
	kill_qemu(vm, 2000);
	if (vm->listen_fd >= 0)
		close(vm->listen_fd);
	unlink(vm->sock_path);
	if (vm->own_console)
		unlink(vm->console);
	char path[128];

	snprintf(path, sizeof(path), "%s/qemu.log", vm->dir);
	unlink(path);
	rmdir(vm->dir);
	free(vm->crash);
	free(vm->out.data);
	free(vm->in);
	free(vm);
}

struct vm *vm_start(const struct vm_opts *o, struct cf_err *err)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *kernel = o->kernel ? o->kernel : vm_default_kernel(o->arch);
	enum vm_arch image_arch;

	if (!vm) {
		cf_err_set(err, "out of memory");
		return NULL;
	}
	vm->opts = *o;
	vm->fd = vm->listen_fd = -1;
	if (o->local_agent) {
		kernel = NULL;
		goto dirs;
	}
	if (!kernel) {
		cf_err_set(err, "no %s kernel image: run harness/target/fetch-kernels.sh, or give one with "
				"--kernel IMAGE or CALLFUZZ_KERNEL=IMAGE", vm_arch_name(o->arch));
		goto fail;
	}
	if (vm_image_arch(kernel, &image_arch, err) < 0)
		goto fail;
	if (image_arch != o->arch) {
		cf_err_set(err, "%s is an %s kernel, not %s", kernel, vm_arch_name(image_arch),
			   vm_arch_name(o->arch));
		goto fail;
	}
	snprintf(vm->kernel, sizeof(vm->kernel), "%s", kernel);
	if (o->initrd)
		snprintf(vm->initrd, sizeof(vm->initrd), "%s", o->initrd);
	else
		snprintf(vm->initrd, sizeof(vm->initrd), "%s/agent/%s/initramfs.cpio.gz", target_self_dir(),
			 vm_arch_name(o->arch));
	if (!is_file(vm->initrd)) {
		cf_err_set(err, "%s: no agent initramfs (make agent builds it)", vm->initrd);
		goto fail;
	}
dirs:
	snprintf(vm->dir, sizeof(vm->dir), "/tmp/callfuzz-vm.XXXXXX");
	if (!mkdtemp(vm->dir)) {
		cf_err_set(err, "mkdtemp: %s", strerror(errno));
		vm->dir[0] = 0;
		goto fail;
	}
	snprintf(vm->sock_path, sizeof(vm->sock_path), "%s/port", vm->dir);
	if (o->console_log) {
		snprintf(vm->console, sizeof(vm->console), "%s", o->console_log);
	} else {
		snprintf(vm->console, sizeof(vm->console), "%s/console.log", vm->dir);
		vm->own_console = true;
	}
	memcpy(addr.sun_path, vm->sock_path, strlen(vm->sock_path) + 1);
	vm->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (vm->listen_fd < 0 || bind(vm->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(vm->listen_fd, 1) < 0) {
		cf_err_set(err, "unix socket %s: %s", vm->sock_path, strerror(errno));
		goto fail;
	}
	if (choose_accel(vm, err) < 0 || boot(vm, err) < 0)
		goto fail;
	return vm;
fail:
	if (vm->dir[0]) {
		vm_stop(vm);
	} else {
		free(vm);
	}
	return NULL;
}

int vm_restart(struct vm *vm, struct cf_err *err)
{
	kill_qemu(vm, 0);
	return boot(vm, err);
}

/* After the guest stopped answering or went away: keep what the console
 * says, boot again, and name the outcome. */
static enum vm_status guest_lost(struct vm *vm, enum io_result why, struct cf_err *err)
{
	size_t len;
	char *con, *oops;
	enum vm_status st;
	struct cf_err boot_err;

	/* a dying guest prints its oops before qemu exits: let it finish */
	kill_qemu(vm, why == IO_EOF ? 2000 : 0);
	con = read_console(vm, &len);
	oops = con ? find_oops(con) : NULL;
	free(vm->crash);
	if (oops) {
		vm->crash = oops;
		st = VM_CRASH;
		cf_err_set(err, "guest kernel crashed (console: %s)", vm->console);
	} else if (why == IO_TIMEOUT) {
		vm->crash = con ? console_tail(con, len, 4096) : NULL;
		st = VM_TIMEOUT;
		cf_err_set(err, "guest did not answer within %d ms", vm->opts.req_timeout_ms);
	} else {
		vm->crash = con ? console_tail(con, len, 4096) : NULL;
		st = VM_CRASH;
		cf_err_set(err, "guest went away without an oops (console: %s)", vm->console);
	}
	free(con);
	if (boot(vm, &boot_err) < 0) {
		cf_err_set(err, "%s; restart failed: %s", err->msg, boot_err.msg);
		return VM_ERROR;
	}
	return st;
}

/* ---- requests -------------------------------------------------------- */

void vm_jit_free(struct vm_jit *j)
{
	free(j->image);
	free(j->ksyms);
	free(j->func_lens);
	free(j->func_offs);
	free(j->lines);
	memset(j, 0, sizeof(*j));
}

void vm_req_release(struct vm_req *reqs, int n)
{
	for (int i = 0; i < n; i++) {
		free(reqs[i].log);
		reqs[i].log = NULL;
		vm_jit_free(&reqs[i].jit);
		free(reqs[i].pcs);
		free(reqs[i].pc_hits);
		reqs[i].pcs = NULL;
		reqs[i].pc_hits = NULL;
		reqs[i].npcs = 0;
	}
}

/* Version 4 (3 of main's tail calls): after the map specs, the tail-call
 * targets (each with its own BTF and func_info, no line_info, their kfunc
 * calls resolved like the program's), then the prog array entries they fill
 * (docs/vm-protocol.md, docs/kernel-paths.md "Tail calls"). */
static int encode_tails(const struct vm *vm, struct vmp_buf *b, const struct cf_prog *p, struct cf_err *err)
{
	uint32_t nslots = 0;

	vmp_put_u32(b, (uint32_t)p->ntails);
	for (int k = 0; k < p->ntails; k++) {
		struct cf_raw raw;
		struct vm_btf btf;

		if (cf_prog_to_raw(&p->tails[k], &raw, err) < 0)
			return -1;
		if (vm_btf_build(&raw, false, &btf, err) < 0) {
			cf_raw_free(&raw);
			return -1;
		}
		resolve_kfuncs(&vm->info, &raw);
		vmp_put_bytes(b, btf.data, btf.len);
		vmp_put_bytes(b, raw.insns, (size_t)raw.ninsns * sizeof(*raw.insns));
		vmp_put_bytes(b, btf.func_info, (size_t)btf.nfunc_info * sizeof(*btf.func_info));
		vm_btf_free(&btf);
		cf_raw_free(&raw);
	}
	for (int mi = 0; mi < p->nmaps; mi++)
		for (uint32_t e = 0; e < p->maps[mi].max_entries; e++)
			nslots += p->maps[mi].tail_slot[e] != 0;
	vmp_put_u32(b, nslots);
	for (int mi = 0; mi < p->nmaps; mi++)
		for (uint32_t e = 0; e < p->maps[mi].max_entries; e++)
			if (p->maps[mi].tail_slot[e]) {
				vmp_put_u32(b, (uint32_t)mi);
				vmp_put_u32(b, e);
				vmp_put_u32(b, p->maps[mi].tail_slot[e] - 1u);
			}
	return 0;
}

static int encode_load(const struct vm *vm, struct vmp_buf *b, const struct vm_req *r, struct cf_err *err)
{
	struct cf_raw raw;
	struct vm_btf btf;

	if (!r->prog) {
		cf_err_set(err, "VM_REQ_LOAD without a program");
		return -1;
	}
	if (cf_prog_to_raw(r->prog, &raw, err) < 0)
		return -1;
	if (vm_btf_build(&raw, r->line_info, &btf, err) < 0) {
		cf_raw_free(&raw);
		return -1;
	}
	resolve_kfuncs(&vm->info, &raw);
	/* prog_type: 0 is SYSCALL, sleepable (kernels.md); a raw tracepoint
	 * is not sleepable and has no flags */
	vmp_put_u32(b, r->prog->prog_type == CF_PROG_RAW_TP ? BPF_PROG_TYPE_RAW_TRACEPOINT : 0);
	vmp_put_u32(b, 0);
	vmp_put_u32(b, VMP_LOAD_LOG_ON_FAIL | (r->log_level2 ? VMP_LOAD_LOG_LEVEL2 : 0));
	vmp_put_u32(b, VMP_HANDLE_NONE);
	vmp_put_bytes(b, btf.data, btf.len);
	vmp_put_bytes(b, raw.insns, (size_t)raw.ninsns * sizeof(*raw.insns));
	vmp_put_bytes(b, btf.func_info, (size_t)btf.nfunc_info * sizeof(*btf.func_info));
	vmp_put_bytes(b, btf.line_info, (size_t)btf.nline_info * sizeof(*btf.line_info));
	/* the maps the agent creates for this load (fd_array[i] = map i) */
	vmp_put_u32(b, (uint32_t)r->prog->nmaps);
	for (int i = 0; i < r->prog->nmaps; i++) {
		const struct cf_map *m = &r->prog->maps[i];

		vmp_put_u32(b, m->type);
		vmp_put_u32(b, m->key_size);
		vmp_put_u32(b, m->value_size);
		vmp_put_u32(b, m->max_entries);
		/* a read-only map: its contents, frozen before the load */
		vmp_put_u32(b, m->rdonly ? VMP_MAP_RDONLY_PROG : 0);
		vmp_put_bytes(b, m->init, m->rdonly ? m->value_size : 0);
	}
	vm_btf_free(&btf);
	cf_raw_free(&raw);
	return encode_tails(vm, b, r->prog, err);
}

static int encode_req(const struct vm *vm, struct vmp_buf *b, const struct vm_req *r, struct cf_err *err)
{
	static const uint16_t ops[] = {
		[VM_REQ_LOAD] = VMP_PROG_LOAD, [VM_REQ_RUN] = VMP_TEST_RUN,
		[VM_REQ_JIT_INFO] = VMP_JIT_INFO, [VM_REQ_CLOSE] = VMP_CLOSE,
		[VM_REQ_SET_JIT] = VMP_SET_JIT, [VM_REQ_ECHO] = VMP_ECHO,
		[VM_REQ_KCOV] = VMP_KCOV,
		[VM_REQ_KMSG] = VMP_KMSG,
	};
	size_t at;

	if ((unsigned)r->kind >= sizeof(ops) / sizeof(ops[0])) {
		cf_err_set(err, "unknown request kind %d", r->kind);
		return -1;
	}
	at = vmp_begin_frame(b, ops[r->kind]);
	switch (r->kind) {
	case VM_REQ_LOAD:
		if (encode_load(vm, b, r, err) < 0)
			return -1;
		break;
	case VM_REQ_RUN:
		vmp_put_u32(b, r->handle);
		vmp_put_bytes(b, r->ctx, r->ctx ? r->ctx_len : 0);
		break;
	case VM_REQ_JIT_INFO:
	case VM_REQ_CLOSE:
		vmp_put_u32(b, r->handle);
		break;
	case VM_REQ_SET_JIT:
		vmp_put_u32(b, (uint32_t)r->jit_enable);
		break;
	case VM_REQ_ECHO:
		vmp_put_bytes(b, r->ctx, r->ctx ? r->ctx_len : 0);
		break;
	case VM_REQ_KCOV:
		break;
	case VM_REQ_KMSG:
		vmp_put_u32(b, r->settle_ms);
		break;
	}
	vmp_end_frame(b, at);
	return 0;
}

static int64_t image_offset(const struct vm_jit *j, uint64_t addr)
{
	for (int f = 0; f < j->nfuncs; f++)
		if (addr >= j->ksyms[f] && addr < j->ksyms[f] + j->func_lens[f])
			return j->func_offs[f] + (int64_t)(addr - j->ksyms[f]);
	return -1;
}

static void decode_jit(struct vmp_cur *c, struct vm_jit *j)
{
	uint32_t n;
	const uint8_t *img;

	memset(j, 0, sizeof(*j));
	vmp_get_u32(c); /* jited_prog_len, also the image's length */
	img = vmp_get_bytes(c, &n);
	j->nfuncs = (int)vmp_get_u32(c);
	if (c->bad || j->nfuncs < 0 || (size_t)j->nfuncs > c->left / 12) {
		c->bad = true;
		j->nfuncs = 0;
		return;
	}
	j->image = malloc(n + 1);
	j->ksyms = calloc((size_t)j->nfuncs + 1, sizeof(*j->ksyms));
	j->func_lens = calloc((size_t)j->nfuncs + 1, sizeof(*j->func_lens));
	j->func_offs = calloc((size_t)j->nfuncs + 1, sizeof(*j->func_offs));
	if (!j->image || !j->ksyms || !j->func_lens || !j->func_offs) {
		c->bad = true;
		return;
	}
	memcpy(j->image, img, n);
	j->len = n;
	uint32_t off = 0;

	for (int f = 0; f < j->nfuncs; f++) {
		j->ksyms[f] = vmp_get_u64(c);
		j->func_lens[f] = vmp_get_u32(c);
		j->func_offs[f] = off;
		off += j->func_lens[f];
	}
	j->nlines = (int)vmp_get_u32(c);
	if (c->bad || j->nlines < 0 || (size_t)j->nlines > c->left / 16) {
		c->bad = true;
		j->nlines = 0;
		return;
	}
	j->lines = calloc((size_t)j->nlines + 1, sizeof(*j->lines));
	if (!j->lines) {
		c->bad = true;
		return;
	}
	for (int i = 0; i < j->nlines; i++) {
		struct vm_jit_line *l = &j->lines[i];

		l->xlated = vmp_get_u32(c);
		l->slot = (int)(vmp_get_u32(c) >> 10) - 1; /* vm_btf_build: line = slot + 1 */
		l->image_off = image_offset(j, vmp_get_u64(c));
	}
	j->xlated_len = vmp_get_u32(c);
}

/* TEST_RUN's map contents into the canonical form (bpf.h): the kernel
 * lists a hash map's keys in its own order. */
static void decode_maps(struct vmp_cur *c, struct cf_map_dump *out)
{
	uint32_t nmaps = vmp_get_u32(c);

	if (out)
		out->len = 0;
	for (uint32_t i = 0; i < nmaps && !c->bad; i++) {
		struct cf_map m = { .type = BPF_MAP_TYPE_HASH, .max_entries = CF_MAP_MAX_ENTRIES };
		uint32_t n;
		const uint8_t *entries;

		m.key_size = vmp_get_u32(c);
		m.value_size = vmp_get_u32(c);
		n = vmp_get_u32(c);
		if (m.key_size > CF_MAP_MAX_KEY || m.value_size > CF_MAP_MAX_VALUE || n > CF_MAP_MAX_ENTRIES) {
			c->bad = true;
			return;
		}
		entries = vmp_take(c, (size_t)n * (m.key_size + m.value_size));
		if (out && entries && cf_map_dump_add(out, &m, n, entries) < 0)
			c->bad = true;
	}
}

static void decode_pcs(struct vmp_cur *c, struct vm_req *r)
{
	uint32_t n = vmp_get_u32(c);

	r->pcs_lost = vmp_get_u32(c);
	if (c->bad || n > c->left / 12) {
		c->bad = true;
		return;
	}
	r->pcs = malloc(((size_t)n + 1) * sizeof(*r->pcs));
	r->pc_hits = malloc(((size_t)n + 1) * sizeof(*r->pc_hits));
	if (!r->pcs || !r->pc_hits) {
		c->bad = true;
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		r->pcs[i] = vmp_get_u64(c);
		r->pc_hits[i] = vmp_get_u32(c);
	}
	r->npcs = n;
}

static int decode_resp(struct vmp_cur *c, uint16_t op, struct vm_req *r)
{
	r->err = (int)vmp_get_u32(c);
	switch (r->kind) {
	case VM_REQ_LOAD: {
		uint32_t n;
		const uint8_t *log;

		r->new_handle = vmp_get_u32(c);
		r->guest_ns = vmp_get_u64(c);
		log = vmp_get_bytes(c, &n);
		if (r->err) {
			r->log = strndup(log ? (const char *)log : "", n);
			if (r->log && !r->log[0]) {
				free(r->log);
				r->log = NULL;
			}
		}
		break;
	}
	case VM_REQ_RUN: {
		uint32_t n;
		const uint8_t *ctx;

		r->retval = vmp_get_u32(c);
		r->guest_ns = vmp_get_u64(c);
		ctx = vmp_get_bytes(c, &n);
		if (!r->err && r->ctx_out && ctx)
			memcpy(r->ctx_out, ctx, n < r->ctx_len ? n : r->ctx_len);
		decode_maps(c, r->maps_out);
		break;
	}
	case VM_REQ_JIT_INFO:
		if (!r->err)
			decode_jit(c, &r->jit);
		break;
	case VM_REQ_SET_JIT:
		r->prev_jit = (int)vmp_get_u32(c);
		break;
	case VM_REQ_KCOV:
		if (!r->err)
			decode_pcs(c, r);
		break;
	case VM_REQ_KMSG:
		if (!r->err) {
			uint32_t n;
			const uint8_t *text = vmp_get_bytes(c, &n);

			r->log = n && text ? strndup((const char *)text, n) : NULL;
		}
		break;
	case VM_REQ_CLOSE:
	case VM_REQ_ECHO:
		break;
	}
	return c->bad || op == 0 ? -1 : 0;
}

/* A response read after the host did other work since the send: the
 * guest's time ran without us watching, so the reader gets at least this
 * long from the moment it starts reading (a response already there takes
 * microseconds; a guest that is really stuck still times out). */
#define VM_RECV_GRACE_MS 1000

enum vm_status vm_batch_send(struct vm *vm, struct vm_req *reqs, int n, struct cf_err *err)
{
	struct vmp_buf *b = &vm->out;
	bool single = n == 1;
	size_t at = 0;
	enum io_result r;

	if (vm->pending) {
		cf_err_set(err, "vm_batch_send: the previous batch was not received");
		return VM_ERROR;
	}
	if (n <= 0)
		return VM_OK;
	b->len = 0;
	b->oom = false;
	if (!single) {
		at = vmp_begin_frame(b, VMP_BATCH);
		vmp_put_u32(b, (uint32_t)n);
	}
	for (int i = 0; i < n; i++) {
		reqs[i].err = 0;
		reqs[i].log = NULL;
		reqs[i].new_handle = VM_HANDLE_NONE;
		memset(&reqs[i].jit, 0, sizeof(reqs[i].jit));
		if (encode_req(vm, b, &reqs[i], err) < 0)
			return VM_ERROR;
	}
	if (!single)
		vmp_end_frame(b, at);
	if (b->oom || b->len > VMP_MAX_FRAME) {
		cf_err_set(err, "request of %zu bytes: larger than the protocol's %u", b->len, VMP_MAX_FRAME);
		return VM_ERROR;
	}
	if (vm->fd < 0 && boot(vm, err) < 0)
		return VM_ERROR;
	vm->pending_deadline = now_ms() + (vm->opts.req_timeout_ms > 0 ? vm->opts.req_timeout_ms : 10000);
	r = io_write(vm->fd, b->data, b->len, vm->pending_deadline);
	if (r != IO_OK)
		return guest_lost(vm, r, err);
	vm->pending = true;
	vm->pending_n = n;
	return VM_OK;
}

bool vm_batch_pending(const struct vm *vm)
{
	return vm->pending;
}

enum vm_status vm_batch_recv(struct vm *vm, struct vm_req *reqs, int n, struct cf_err *err)
{
	int64_t deadline;
	uint16_t op;
	uint32_t len;
	enum io_result r;

	if (n <= 0)
		return VM_OK;
	if (!vm->pending || vm->pending_n != n) {
		cf_err_set(err, "vm_batch_recv: %d requests were not sent as one batch", n);
		return VM_ERROR;
	}
	vm->pending = false;
	deadline = vm->pending_deadline;
	if (deadline < now_ms() + VM_RECV_GRACE_MS)
		deadline = now_ms() + VM_RECV_GRACE_MS;
	r = read_frame(vm, &op, &len, deadline);
	if (r != IO_OK)
		return guest_lost(vm, r, err);

	struct vmp_cur c = { vm->in, len, false };

	if (n == 1)
		return decode_resp(&c, op, &reqs[0]) < 0 ? VM_ERROR : VM_OK;
	if (vmp_get_u32(&c) != 0 || vmp_get_u32(&c) != (uint32_t)n) {
		cf_err_set(err, "agent refused the batch");
		return VM_ERROR;
	}
	for (int i = 0; i < n; i++) {
		uint32_t flen = vmp_get_u32(&c);
		uint16_t sub = vmp_get_u16(&c);

		vmp_get_u16(&c);
		const uint8_t *body = vmp_take(&c, flen >= 4 ? flen - 4 : 0);
		struct vmp_cur sc = { body, flen >= 4 ? flen - 4 : 0, !body };

		if (c.bad || decode_resp(&sc, sub, &reqs[i]) < 0) {
			cf_err_set(err, "malformed response to request %d of the batch", i);
			return VM_ERROR;
		}
	}
	return VM_OK;
}

enum vm_status vm_batch(struct vm *vm, struct vm_req *reqs, int n, struct cf_err *err)
{
	enum vm_status st = vm_batch_send(vm, reqs, n, err);

	return st == VM_OK ? vm_batch_recv(vm, reqs, n, err) : st;
}

enum vm_status vm_load(struct vm *vm, const struct cf_prog *p, bool line_info, uint32_t *handle,
		       char **log, struct cf_err *err)
{
	struct vm_req r = { .kind = VM_REQ_LOAD, .prog = p, .line_info = line_info };
	enum vm_status st = vm_batch(vm, &r, 1, err);

	*handle = r.new_handle;
	if (log)
		*log = NULL;
	if (st != VM_OK)
		return st;
	if (r.err) {
		cf_err_set(err, "BPF_PROG_LOAD: %s", strerror(r.err));
		if (log)
			*log = r.log;
		else
			free(r.log);
		return VM_REJECTED;
	}
	return VM_OK;
}

static enum vm_status one(struct vm *vm, struct vm_req *r, const char *what, struct cf_err *err)
{
	enum vm_status st = vm_batch(vm, r, 1, err);

	if (st == VM_OK && r->err) {
		cf_err_set(err, "%s: %s", what, strerror(r->err));
		return VM_ERROR;
	}
	return st;
}

enum vm_status vm_test_run(struct vm *vm, uint32_t handle, uint8_t *ctx, uint32_t ctx_len,
			   uint32_t *retval, struct cf_err *err)
{
	struct vm_req r = { .kind = VM_REQ_RUN, .handle = handle, .ctx = ctx, .ctx_len = ctx_len,
			    .ctx_out = ctx };
	enum vm_status st = one(vm, &r, "BPF_PROG_TEST_RUN", err);

	*retval = r.retval;
	return st;
}

enum vm_status vm_jit_image(struct vm *vm, uint32_t handle, struct vm_jit *out, struct cf_err *err)
{
	struct vm_req r = { .kind = VM_REQ_JIT_INFO, .handle = handle };
	enum vm_status st = one(vm, &r, "BPF_OBJ_GET_INFO_BY_FD", err);

	*out = r.jit;
	return st;
}

enum vm_status vm_close(struct vm *vm, uint32_t handle, struct cf_err *err)
{
	struct vm_req r = { .kind = VM_REQ_CLOSE, .handle = handle };

	return one(vm, &r, "close", err);
}

enum vm_status vm_set_jit(struct vm *vm, int jit_enable, int *prev, struct cf_err *err)
{
	struct vm_req r = { .kind = VM_REQ_SET_JIT, .jit_enable = jit_enable };
	enum vm_status st = one(vm, &r, "bpf_jit_enable", err);

	if (prev)
		*prev = r.prev_jit;
	return st;
}

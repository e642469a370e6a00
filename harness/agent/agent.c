/* harness/agent/agent.c: the agent inside a callfuzz VM.
 *
 * The /init of the initramfs (a static program, built for aarch64 and
 * x86-64). It mounts proc and devtmpfs, probes the kernel (release, whether
 * a 6-argument subprog call loads, whether bpf_jit_enable can be switched),
 * announces itself with a HELLO frame on the virtio-serial port named
 * "callfuzz", and then serves requests of docs/vm-protocol.md until the host
 * asks it to power off or goes away.
 *
 * `agent --stdio` serves on stdin/stdout instead (host-side testing: the
 * host kernel answers the same syscalls).
 *
 * bpf() is called through syscall(2) with the uapi structs of the cross
 * headers (6.1): every field the agent needs is there. */
#define _GNU_SOURCE
#include "harness/agent/proto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/kcov.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef BPF_F_SLEEPABLE
#define BPF_F_SLEEPABLE (1U << 4)
#endif

#define LOG_SIZE (1u << 20)
#define JIT_ENABLE_PATH "/proc/sys/net/core/bpf_jit_enable"

struct map_spec {
	uint32_t type, key_size, value_size, max_entries, flags;
	uint8_t init[VMP_MAX_MAP_VALUE]; /* VMP_MAP_RDONLY_PROG: entry 0's value, frozen */
};

/* The maps of a loaded program, found by its fd. */
struct prog_maps {
	int prog_fd;
	uint32_t nmaps;
	struct map_spec spec[VMP_MAX_MAPS];
	int fd[VMP_MAX_MAPS];
};

#define MAX_PROGS_WITH_MAPS 64

/* KCOV (Documentation/dev-tools/kcov.rst in the 7.2 source): this thread's
 * trace buffer, u64 count then the PCs; enabled once for the agent's only
 * thread, reset before each PROG_LOAD and TEST_RUN and read after it. Only
 * the directories that the kernel build instruments (kernel/bpf/,
 * arch/ARCH/net/ with kernel-tree.sh --kcov) put PCs there. */
#define KCOV_WORDS (1u << 23)  /* 64 MiB of the guest's 512: the verifier of a 1000-insn program records millions */
#define KCOV_SET_SIZE (1u << 17) /* distinct PCs kept between two VMP_KCOV */

struct kcov {
	int fd;               /* -1: no KCOV */
	uint64_t *area;       /* KCOV_WORDS words */
	uint64_t *set;        /* open addressing on the PC, 0 = empty */
	uint32_t *slot;       /* set[h]'s index in pcs[] and hits[] */
	uint64_t *pcs;        /* the distinct PCs in arrival order */
	uint32_t *hits;       /* how often KCOV recorded each */
	uint32_t n;
	uint32_t lost;        /* traces that overflowed the area or the set since the last take */
};

struct agent {
	int in, out;        /* the port (the same fd) or stdin/stdout */
	int last_prog;      /* fd of the program loaded last, -1 if none */
	char *log;          /* LOG_SIZE bytes, reused by every load */
	struct prog_maps progs[MAX_PROGS_WITH_MAPS]; /* loaded programs with maps (nmaps 0: free) */
	struct vmp_buf hello;
	struct kcov kcov;
	int kmsg;           /* /dev/kmsg, non-blocking, at the end of the boot's records; -1 */
	int32_t kfunc_id[VMP_NKFUNCS]; /* vmp_kfunc_names' BTF ids in vmlinux, 0: not found */
	char kfunc_note[512];          /* why there are none, or "" */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long sys_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

static int write_full(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* 1 read, 0 clean end of input, -1 error */
static int read_full(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return got ? -1 : 0;
		got += (size_t)r;
	}
	return 1;
}

static void console(const char *fmt, const char *arg)
{
	fprintf(stderr, "callfuzz-agent: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
}

static int read_int_file(const char *path, int *val)
{
	char buf[32] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	*val = atoi(buf);
	return 0;
}

static int write_int_file(const char *path, int val)
{
	char buf[32];
	int fd = open(path, O_WRONLY);
	int n = snprintf(buf, sizeof(buf), "%d\n", val);
	int ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, buf, (size_t)n) == n ? 0 : -errno;
	close(fd);
	return ok;
}

/* ---- KCOV ------------------------------------------------------------ */

/* k->fd >= 0 when KCOV traces this thread: /debug/kcov (the guest's
 * debugfs), else /sys/kernel/debug/kcov (agent --stdio on a host that
 * mounts debugfs there). NULL, or why a kernel that has
 * KCOV does not let us use it (no KCOV is no error: HELLO says so). */
static const char *kcov_open(struct kcov *k)
{
	k->fd = open("/debug/kcov", O_RDWR);
	if (k->fd < 0)
		k->fd = open("/sys/kernel/debug/kcov", O_RDWR);
	if (k->fd < 0)
		return NULL;
	if (ioctl(k->fd, KCOV_INIT_TRACE, (unsigned long)KCOV_WORDS))
		goto fail;
	k->area = mmap(NULL, KCOV_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, 0);
	if (k->area == MAP_FAILED)
		goto fail;
	k->set = calloc(KCOV_SET_SIZE, sizeof(*k->set));
	k->slot = calloc(KCOV_SET_SIZE, sizeof(*k->slot));
	k->pcs = calloc(KCOV_SET_SIZE, sizeof(*k->pcs));
	k->hits = calloc(KCOV_SET_SIZE, sizeof(*k->hits));
	if (!k->set || !k->slot || !k->pcs || !k->hits || ioctl(k->fd, KCOV_ENABLE, KCOV_TRACE_PC))
		goto fail;
	return NULL;
fail:
	close(k->fd);
	k->fd = -1;
	return "/sys/kernel/debug/kcov is there but does not trace (init, mmap or enable failed)";
}

static void kcov_clear(struct kcov *k)
{
	memset(k->set, 0, KCOV_SET_SIZE * sizeof(*k->set));
	k->n = 0;
	k->lost = 0;
}

static void kcov_begin(struct kcov *k)
{
	if (k->fd >= 0)
		__atomic_store_n(&k->area[0], 0, __ATOMIC_RELAXED);
}

/* The PCs of the syscall since kcov_begin into the set. */
static void kcov_end(struct kcov *k)
{
	uint64_t n;

	if (k->fd < 0)
		return;
	n = __atomic_load_n(&k->area[0], __ATOMIC_RELAXED);
	if (n >= KCOV_WORDS - 1) { /* full: kcov.c drops what does not fit */
		n = KCOV_WORDS - 1;
		k->lost++;
	}
	for (uint64_t i = 1; i <= n; i++) {
		uint64_t pc = k->area[i];
		uint32_t h = (uint32_t)((pc * 0x9e3779b97f4a7c15ull) >> 47) & (KCOV_SET_SIZE - 1);

		while (k->set[h] && k->set[h] != pc)
			h = (h + 1) & (KCOV_SET_SIZE - 1);
		if (k->set[h]) {
			if (k->hits[k->slot[h]] != UINT32_MAX)
				k->hits[k->slot[h]]++;
			continue;
		}
		if (k->n >= KCOV_SET_SIZE / 2) { /* keep the table half empty */
			k->lost++;
			continue;
		}
		k->set[h] = pc;
		k->slot[h] = k->n;
		k->pcs[k->n] = pc;
		k->hits[k->n++] = 1;
	}
}

/* VMP_KCOV's body; empties the set. */
static int kcov_take(struct kcov *k, struct vmp_buf *out)
{
	if (k->fd < 0)
		return -EOPNOTSUPP;
	vmp_put_u32(out, k->n);
	vmp_put_u32(out, k->lost);
	for (uint32_t i = 0; i < k->n; i++) {
		vmp_put_u64(out, k->pcs[i]);
		vmp_put_u32(out, k->hits[i]);
	}
	kcov_clear(k);
	return 0;
}

/* ---- bpf operations -------------------------------------------------- */

static int btf_load(const void *data, uint32_t len, char *log, uint32_t log_size)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.btf = (uintptr_t)data;
	a.btf_size = len;
	fd = (int)sys_bpf(BPF_BTF_LOAD, &a, sizeof(a));
	if (fd >= 0 || !log)
		return fd < 0 ? -errno : fd;
	/* kernels.md: a log buffer with level 0 is EINVAL; log only on failure */
	int first = errno;

	log[0] = 0;
	a.btf_log_buf = (uintptr_t)log;
	a.btf_log_size = log_size;
	a.btf_log_level = 1;
	fd = (int)sys_bpf(BPF_BTF_LOAD, &a, sizeof(a));
	if (fd >= 0) { /* accepted the second time: report the first failure */
		close(fd);
		snprintf(log, log_size, "BTF load failed (%s), then passed with a log", strerror(first));
	}
	return -first;
}

/* ---- maps: created for each load, emptied before each test run --------- */

static struct prog_maps *maps_of(struct agent *ag, int prog_fd)
{
	for (int i = 0; i < MAX_PROGS_WITH_MAPS; i++)
		if (ag->progs[i].nmaps && ag->progs[i].prog_fd == prog_fd)
			return &ag->progs[i];
	return NULL;
}

static void maps_close(int n, const int *fd)
{
	for (int i = 0; i < n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

static int map_elem(int cmd, int fd, const void *key, void *value, uint64_t flags);

/* 0, or -errno with the maps created so far closed. A read-only map
 * (BPF_F_RDONLY_PROG) gets its contents in entry 0 and is frozen
 * (BPF_MAP_FREEZE) before the program loads: what makes it a constant
 * string to the verifier (kernel/bpf/verifier.c bpf_map_is_rdonly). */
static int maps_create(uint32_t n, const struct map_spec *spec, int *fd)
{
	for (uint32_t i = 0; i < n; i++) {
		union bpf_attr a;
		int err = 0;

		memset(&a, 0, sizeof(a));
		a.map_type = spec[i].type;
		a.key_size = spec[i].key_size;
		a.value_size = spec[i].value_size;
		a.max_entries = spec[i].max_entries;
		a.map_flags = spec[i].flags;
		fd[i] = (int)sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
		if (fd[i] < 0)
			err = -errno;
		if (!err && (spec[i].flags & VMP_MAP_RDONLY_PROG)) {
			uint32_t key = 0;

			err = map_elem(BPF_MAP_UPDATE_ELEM, fd[i], &key, (void *)spec[i].init, BPF_ANY);
			if (!err) {
				memset(&a, 0, sizeof(a));
				a.map_fd = (uint32_t)fd[i];
				if (sys_bpf(BPF_MAP_FREEZE, &a, sizeof(a)) < 0)
					err = -errno;
			}
			if (err)
				close(fd[i]);
		}
		if (err) {
			maps_close((int)i, fd);
			return err;
		}
	}
	return 0;
}

static int map_elem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uintptr_t)key;
	a.value = (uintptr_t)value;
	a.flags = flags;
	return sys_bpf(cmd, &a, sizeof(a)) < 0 ? -errno : 0;
}

/* Next key after key (NULL: the first); -ENOENT at the end. */
static int map_next_key(int fd, const void *key, void *next)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uintptr_t)key;
	a.next_key = (uintptr_t)next;
	return sys_bpf(BPF_MAP_GET_NEXT_KEY, &a, sizeof(a)) < 0 ? -errno : 0;
}

/* Every run starts from zeroed array entries and empty hash maps, so that
 * it depends on the program alone (the interpreter starts the same way). */
static int maps_reset(const struct prog_maps *pm)
{
	uint8_t key[VMP_MAX_MAP_KEY], zero[VMP_MAX_MAP_VALUE];
	int err;

	memset(zero, 0, sizeof(zero));
	for (uint32_t m = 0; m < pm->nmaps; m++) {
		if (pm->spec[m].flags & VMP_MAP_RDONLY_PROG)
			continue; /* frozen with its contents: no program changes them */
		if (pm->spec[m].type == BPF_MAP_TYPE_PROG_ARRAY)
			continue; /* the tail-call targets stay for every run */
		if (pm->spec[m].type == BPF_MAP_TYPE_ARRAY) {
			for (uint32_t i = 0; i < pm->spec[m].max_entries; i++)
				if ((err = map_elem(BPF_MAP_UPDATE_ELEM, pm->fd[m], &i, zero, BPF_ANY)))
					return err;
			continue;
		}
		/* delete the first key until none is left */
		while (map_next_key(pm->fd[m], NULL, key) == 0)
			if ((err = map_elem(BPF_MAP_DELETE_ELEM, pm->fd[m], key, NULL, 0)))
				return err;
	}
	return 0;
}

/* u32 nmaps, then per map u32 key_size, u32 value_size, u32 count and
 * count (key, value) pairs, in the kernel's order. */
static void maps_dump(const struct prog_maps *pm, struct vmp_buf *out)
{
	vmp_put_u32(out, pm ? pm->nmaps : 0);
	for (uint32_t m = 0; pm && m < pm->nmaps; m++) {
		const struct map_spec *sp = &pm->spec[m];
		uint8_t keys[VMP_MAX_MAP_ENTRIES][VMP_MAX_MAP_KEY], vals[VMP_MAX_MAP_ENTRIES][VMP_MAX_MAP_VALUE];
		uint8_t key[VMP_MAX_MAP_KEY];
		uint32_t n = 0;
		bool first = true;

		/* a prog array holds programs, not data: no entries */
		while (n < VMP_MAX_MAP_ENTRIES && sp->type != BPF_MAP_TYPE_PROG_ARRAY) {
			if (sp->type == BPF_MAP_TYPE_ARRAY) {
				if (n >= sp->max_entries)
					break;
				memcpy(keys[n], &n, 4);
			} else {
				if (map_next_key(pm->fd[m], first ? NULL : key, keys[n]))
					break;
				memcpy(key, keys[n], sp->key_size);
				first = false;
			}
			if (map_elem(BPF_MAP_LOOKUP_ELEM, pm->fd[m], keys[n], vals[n], 0) == 0)
				n++;
			else if (sp->type == BPF_MAP_TYPE_ARRAY)
				break;
		}
		vmp_put_u32(out, sp->key_size);
		vmp_put_u32(out, sp->value_size);
		vmp_put_u32(out, n);
		for (uint32_t i = 0; i < n; i++) {
			vmp_put(out, keys[i], sp->key_size);
			vmp_put(out, vals[i], sp->value_size);
		}
	}
}

/* One program's code: the program's own, or a tail-call target's. */
struct load_code {
	const uint8_t *btf;
	uint32_t btf_len;
	const uint8_t *insns;
	uint32_t insns_len;
	const uint8_t *func_info;
	uint32_t nfunc_info;
	const uint8_t *line_info;
	uint32_t nline_info;
};

/* A prog array entry to fill with a target before the program loads. */
struct tail_slot {
	uint32_t map, key, tail;
};

struct load_req {
	uint32_t prog_type, prog_flags, flags, btf_handle;
	struct load_code code;
	uint32_t nmaps;
	struct map_spec maps[VMP_MAX_MAPS];
	uint32_t ntails; /* tail-call targets, loaded first (docs/vm-protocol.md, version 4) */
	struct load_code tails[VMP_MAX_TAILS];
	uint32_t nslots;
	struct tail_slot slots[VMP_MAX_MAPS * VMP_MAX_MAP_ENTRIES];
};

static int load_code(struct agent *ag, const struct load_req *r, const struct load_code *lc, const int *map_fd);

/* The tail-call targets into their prog arrays (kernel/bpf/arraymap.c
 * prog_fd_array_get_ptr: the map holds its own reference, so the target's
 * fd closes here); 0 or -errno with the log saying which failed. */
static int load_tails(struct agent *ag, const struct load_req *r, const int *map_fd)
{
	int fd[VMP_MAX_TAILS], err = 0;
	uint32_t k;

	for (k = 0; k < r->ntails; k++) {
		fd[k] = load_code(ag, r, &r->tails[k], map_fd);
		if (fd[k] < 0) {
			size_t n = strlen(ag->log);
			char head[48];
			int hn = snprintf(head, sizeof(head), "tail program %u: ", k);

			/* the log keeps its last line: the kernel's reason */
			if (n + (size_t)hn < LOG_SIZE) {
				memmove(ag->log + hn, ag->log, n + 1);
				memcpy(ag->log, head, (size_t)hn);
			}
			err = fd[k];
			break;
		}
	}
	for (uint32_t i = 0; i < r->nslots && !err; i++) {
		const struct tail_slot *ts = &r->slots[i];

		err = map_elem(BPF_MAP_UPDATE_ELEM, map_fd[ts->map], &ts->key, &fd[ts->tail], BPF_ANY);
		if (err)
			snprintf(ag->log, LOG_SIZE, "agent: filling prog array %u entry %u with tail program %u: %s",
				 ts->map, ts->key, ts->tail, strerror(-err));
	}
	while (k-- > 0)
		close(fd[k]);
	return err;
}

/* Returns the fd or -errno; on failure with LOG_ON_FAIL the verifier log is
 * in agent->log. */
static int prog_load(struct agent *ag, const struct load_req *r)
{
	int fd, err;
	int map_fd[VMP_MAX_MAPS];
	struct prog_maps *slot = NULL;

	ag->log[0] = 0;
	if (r->nmaps) {
		for (int i = 0; i < MAX_PROGS_WITH_MAPS && !slot; i++)
			if (!ag->progs[i].nmaps)
				slot = &ag->progs[i];
		if (!slot) {
			snprintf(ag->log, LOG_SIZE, "agent: more than %d loaded programs with maps", MAX_PROGS_WITH_MAPS);
			return -EMFILE;
		}
		err = maps_create(r->nmaps, r->maps, map_fd);
		if (err) {
			snprintf(ag->log, LOG_SIZE, "agent: BPF_MAP_CREATE failed: %s", strerror(-err));
			return err;
		}
	}
	/* the targets first, into their prog arrays, then the program */
	err = r->ntails ? load_tails(ag, r, map_fd) : 0;
	fd = err ? err : load_code(ag, r, &r->code, map_fd);
	if (fd >= 0 && r->nmaps) {
		slot->prog_fd = fd;
		slot->nmaps = r->nmaps;
		memcpy(slot->spec, r->maps, sizeof(slot->spec));
		memcpy(slot->fd, map_fd, sizeof(slot->fd));
	} else if (r->nmaps) {
		maps_close((int)r->nmaps, map_fd);
	}
	if (fd >= 0)
		ag->last_prog = fd;
	return fd;
}

/* BPF_BTF_LOAD and BPF_PROG_LOAD of one program with the maps as fd_array:
 * the fd or -errno. */
static int load_code(struct agent *ag, const struct load_req *r, const struct load_code *lc, const int *map_fd)
{
	union bpf_attr a;
	int btf_fd = -1, fd, err;

	if (lc->btf_len) {
		btf_fd = btf_load(lc->btf, lc->btf_len, (r->flags & VMP_LOAD_LOG_ON_FAIL) ? ag->log : NULL,
				  LOG_SIZE);
		if (btf_fd < 0)
			return btf_fd;
	} else if (r->btf_handle != VMP_HANDLE_NONE) {
		btf_fd = (int)r->btf_handle;
	}
	memset(&a, 0, sizeof(a));
	if (r->nmaps) /* ld_imm64 BPF_PSEUDO_MAP_IDX(_VALUE) imm i names fd_array[i] */
		a.fd_array = (uintptr_t)map_fd;
	a.prog_type = r->prog_type ? r->prog_type : BPF_PROG_TYPE_SYSCALL;
	a.prog_flags = r->prog_type ? r->prog_flags : (r->prog_flags | BPF_F_SLEEPABLE);
	a.insns = (uintptr_t)lc->insns;
	a.insn_cnt = lc->insns_len / sizeof(struct bpf_insn);
	a.license = (uintptr_t)"GPL";
	memcpy(a.prog_name, "callfuzz", 9);
	if (btf_fd >= 0) {
		a.prog_btf_fd = (uint32_t)btf_fd;
		if (lc->nfunc_info) {
			a.func_info = (uintptr_t)lc->func_info;
			a.func_info_cnt = lc->nfunc_info;
			a.func_info_rec_size = sizeof(struct bpf_func_info);
		}
		if (lc->nline_info) {
			a.line_info = (uintptr_t)lc->line_info;
			a.line_info_cnt = lc->nline_info;
			a.line_info_rec_size = sizeof(struct bpf_line_info);
		}
	}
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
	err = fd < 0 ? errno : 0;
	if (fd < 0 && (r->flags & VMP_LOAD_LOG_ON_FAIL)) {
		a.log_buf = (uintptr_t)ag->log;
		a.log_size = LOG_SIZE;
		a.log_level = (r->flags & VMP_LOAD_LOG_LEVEL2) ? 2 : 1;
		int again = (int)sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));

		if (again >= 0) {
			close(again);
			snprintf(ag->log, LOG_SIZE, "load failed (%s), then passed with log_level 1",
				 strerror(err));
		}
	}
	if (lc->btf_len)
		close(btf_fd);
	return fd >= 0 ? fd : -err;
}

static int resolve(struct agent *ag, uint32_t handle)
{
	return handle == VMP_HANDLE_LAST ? ag->last_prog : (int)handle;
}

static int test_run(int fd, uint8_t *ctx, uint32_t ctx_len, uint32_t *retval)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	/* kernels.md: SYSCALL programs take ctx_in only; it is copied back */
	if (ctx_len) {
		a.test.ctx_in = (uintptr_t)ctx;
		a.test.ctx_size_in = ctx_len;
	}
	if (sys_bpf(BPF_PROG_TEST_RUN, &a, sizeof(a)) < 0)
		return -errno;
	*retval = a.test.retval;
	return 0;
}

static int prog_info(int fd, struct bpf_prog_info *info)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(*info);
	a.info.info = (uintptr_t)info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) < 0 ? -errno : 0;
}

/* Body of a JIT_INFO response (after err): u32 jited_len, bytes image,
 * u32 nfuncs, nfuncs x (u64 ksym, u32 len), u32 nlines,
 * nlines x (u32 insn_off, u32 line_col, u64 addr), u32 xlated_len. */
static int jit_info(int fd, struct vmp_buf *out)
{
	struct bpf_prog_info info;
	uint8_t *image = NULL;
	uint64_t *ksyms = NULL, *laddr = NULL;
	uint32_t *lens = NULL;
	struct bpf_line_info *lines = NULL;
	uint32_t nk, nl, nli, njl;
	int err;

	memset(&info, 0, sizeof(info));
	err = prog_info(fd, &info);
	if (err)
		return err;
	nk = info.nr_jited_ksyms;
	nl = info.nr_jited_func_lens;
	nli = info.nr_line_info;
	njl = info.nr_jited_line_info;
	uint32_t jlen = info.jited_prog_len, xlen = info.xlated_prog_len;

	image = calloc(1, jlen + 1);
	ksyms = calloc(nk + 1, sizeof(*ksyms));
	lens = calloc(nl + 1, sizeof(*lens));
	lines = calloc(nli + 1, sizeof(*lines));
	laddr = calloc(njl + 1, sizeof(*laddr));
	if (!image || !ksyms || !lens || !lines || !laddr) {
		err = -ENOMEM;
		goto out;
	}
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = jlen;
	info.jited_prog_insns = (uintptr_t)image;
	info.nr_jited_ksyms = nk;
	info.jited_ksyms = (uintptr_t)ksyms;
	info.nr_jited_func_lens = nl;
	info.jited_func_lens = (uintptr_t)lens;
	info.nr_line_info = nli;
	info.line_info_rec_size = sizeof(struct bpf_line_info);
	info.line_info = (uintptr_t)lines;
	info.nr_jited_line_info = njl;
	info.jited_line_info_rec_size = sizeof(uint64_t);
	info.jited_line_info = (uintptr_t)laddr;
	err = prog_info(fd, &info);
	if (err)
		goto out;
	vmp_put_u32(out, info.jited_prog_len);
	vmp_put_bytes(out, image, info.jited_prog_len < jlen ? info.jited_prog_len : jlen);
	uint32_t nf = nk < nl ? nk : nl;

	vmp_put_u32(out, nf);
	for (uint32_t i = 0; i < nf; i++) {
		vmp_put_u64(out, ksyms[i]);
		vmp_put_u32(out, lens[i]);
	}
	uint32_t nlm = nli < njl ? nli : njl;

	vmp_put_u32(out, nlm);
	for (uint32_t i = 0; i < nlm; i++) {
		vmp_put_u32(out, lines[i].insn_off);
		vmp_put_u32(out, lines[i].line_col);
		vmp_put_u64(out, laddr[i]);
	}
	vmp_put_u32(out, xlen);
out:
	free(image);
	free(ksyms);
	free(lens);
	free(lines);
	free(laddr);
	return err;
}

/* ---- probes ---------------------------------------------------------- */

/* BTF for the probe: [1] int, [2] proto(int a), [3] FUNC main global,
 * [4] proto(int a x6), [5] FUNC f6 static. Written by hand: no libbpf in
 * the guest. */
static size_t probe_btf(uint8_t *buf)
{
	static const char strs[] = "\0int\0main\0f6\0a";
	enum { S_INT = 1, S_MAIN = 5, S_F6 = 10, S_A = 13 };
	uint32_t types[64];
	int n = 0;
	struct btf_header h;

	types[n++] = S_INT;
	types[n++] = BTF_KIND_INT << 24;
	types[n++] = 4;
	types[n++] = (BTF_INT_SIGNED << 24) | 32;
	types[n++] = 0;
	types[n++] = BTF_KIND_FUNC_PROTO << 24 | 1;
	types[n++] = 1;
	types[n++] = S_A;
	types[n++] = 1;
	types[n++] = S_MAIN;
	types[n++] = BTF_KIND_FUNC << 24 | BTF_FUNC_GLOBAL;
	types[n++] = 2;
	types[n++] = 0;
	types[n++] = BTF_KIND_FUNC_PROTO << 24 | 6;
	types[n++] = 1;
	for (int i = 0; i < 6; i++) {
		types[n++] = S_A;
		types[n++] = 1;
	}
	types[n++] = S_F6;
	types[n++] = BTF_KIND_FUNC << 24 | BTF_FUNC_STATIC;
	types[n++] = 4;
	memset(&h, 0, sizeof(h));
	h.magic = BTF_MAGIC;
	h.version = BTF_VERSION;
	h.hdr_len = sizeof(h);
	h.type_off = 0;
	h.type_len = (uint32_t)n * 4;
	h.str_off = h.type_len;
	h.str_len = sizeof(strs);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), types, h.type_len);
	memcpy(buf + sizeof(h) + h.type_len, strs, sizeof(strs));
	return sizeof(h) + h.type_len + sizeof(strs);
}

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }

static void find_kfuncs(struct agent *ag);
static bool probe_kfuncs(struct agent *ag);

static void probe(struct agent *ag)
{
	/* main: r1..r5 = 1..5, arg 6 = 6 through r11-8, call f6, exit;
	 * f6: r0 = arg 6 + r1 + ... + r5 (stack-args.md 1) -> 21 */
	static const struct bpf_insn insns[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 2),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 3),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 4),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 5, 0, 0, 5),
		INSN(BPF_ST | BPF_MEM | BPF_DW, 11, 0, -8, 6),
		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 0, 11, 8, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 1, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 2, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 3, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 4, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 5, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	static const struct bpf_insn trivial[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct bpf_func_info finfo[2] = { { 0, 3 }, { 8, 5 } };
	uint8_t btf[512];
	struct utsname u;
	uint32_t features = ag->kmsg >= 0 ? VMP_FEAT_KMSG : 0, retval = 0;
	int jit = -1, fd;
	char msg[2048] = "";

	memset(&u, 0, sizeof(u));
	uname(&u);
	if (read_int_file(JIT_ENABLE_PATH, &jit) == 0) {
		/* ALWAYS_ON kernels refuse 0 */
		if (write_int_file(JIT_ENABLE_PATH, 0) == 0 && write_int_file(JIT_ENABLE_PATH, jit) == 0)
			features |= VMP_FEAT_JIT_SWITCH;
	}
	struct load_req r = { .code = { .insns = (const uint8_t *)trivial, .insns_len = sizeof(trivial) },
			      .btf_handle = VMP_HANDLE_NONE, .flags = VMP_LOAD_LOG_ON_FAIL };

	fd = prog_load(ag, &r);
	if (fd >= 0) {
		struct bpf_prog_info info;

		memset(&info, 0, sizeof(info));
		if (prog_info(fd, &info) == 0 && info.jited_prog_len)
			features |= VMP_FEAT_JIT_ON;
		close(fd);
	} else {
		snprintf(msg, sizeof(msg), "a 2-insn SYSCALL program does not load (%s): %.1900s",
			 strerror(-fd), ag->log);
	}
	r.code.insns = (const uint8_t *)insns;
	r.code.insns_len = sizeof(insns);
	r.code.btf = btf;
	r.code.btf_len = (uint32_t)probe_btf(btf);
	r.code.func_info = (const uint8_t *)finfo;
	r.code.nfunc_info = 2;
	fd = prog_load(ag, &r);
	if (fd >= 0) {
		int err = test_run(fd, NULL, 0, &retval);

		if (err == 0 && retval == 21)
			features |= VMP_FEAT_STACK_ARGS;
		else if (err)
			snprintf(msg, sizeof(msg), "6-arg probe loads, test run fails: %s", strerror(-err));
		else
			snprintf(msg, sizeof(msg), "6-arg probe returns %u, not 21", retval);
		close(fd);
	} else if (!msg[0]) {
		snprintf(msg, sizeof(msg), "%.2000s", ag->log[0] ? ag->log : strerror(-fd));
	}
	ag->last_prog = -1;
	if (ag->kcov.fd >= 0)
		features |= VMP_FEAT_KCOV;
	find_kfuncs(ag);
	if (probe_kfuncs(ag))
		features |= VMP_FEAT_KFUNCS;
	vmp_put_u32(&ag->hello, VMP_VERSION);
	vmp_put_u32(&ag->hello, features);
	vmp_put_u32(&ag->hello, (uint32_t)jit);
	vmp_put_str(&ag->hello, u.release);
	vmp_put_str(&ag->hello, u.machine);
	vmp_put_str(&ag->hello, msg);
	vmp_put_u32(&ag->hello, VMP_NKFUNCS);
	for (int k = 0; k < VMP_NKFUNCS; k++) {
		vmp_put_str(&ag->hello, vmp_kfunc_names[k]);
		vmp_put_u32(&ag->hello, (uint32_t)ag->kfunc_id[k]);
	}
	vmp_put_str(&ag->hello, ag->kfunc_note);
}

/* ---- kfuncs: their ids in the kernel's BTF -------------------------------- */

#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

/* The whole of a file whose size stat may not know (sysfs); NULL. */
static uint8_t *read_whole(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 1u << 20, n = 0;
	uint8_t *buf = NULL;

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t r;

		if (!buf || n == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

/* Bytes after a struct btf_type of each kind (include/uapi/linux/btf.h of
 * 7.2: kind in bits 24-30 of info, vlen in bits 0-23); -1: unknown. */
static long btf_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case 1: case 14: case 17: return 4;           /* INT, VAR, DECL_TAG */
	case 3: return 12;                            /* ARRAY */
	case 4: case 5: case 15: case 19: return 12L * vlen; /* STRUCT, UNION, DATASEC, ENUM64 */
	case 6: case 13: return 8L * vlen;            /* ENUM, FUNC_PROTO */
	case 2: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 18:
		return 0; /* PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG */
	default: return -1;
	}
}

/* vmp_kfunc_names' ids: the BTF_KIND_FUNC types of that name in
 * /sys/kernel/btf/vmlinux (type ids count from 1). ag->kfunc_note says
 * why when one is missing. A kind this walk does not know is sized
 * through the BTF's layout section where it has one. */
static void find_kfuncs(struct agent *ag)
{
	size_t len = 0, pos, end;
	uint8_t *btf = read_whole(BTF_VMLINUX, &len);
	uint32_t hdr_len, type_off, type_len, str_off, str_len, layout_off = 0, layout_len = 0, id = 1;

	memset(ag->kfunc_id, 0, sizeof(ag->kfunc_id));
	if (!btf) {
		snprintf(ag->kfunc_note, sizeof(ag->kfunc_note),
			 "no %s: the kernel has no CONFIG_DEBUG_INFO_BTF (tinyconfig builds have none) or no sysfs",
			 BTF_VMLINUX);
		return;
	}
#define U32_AT(o) ((uint32_t)btf[o] | (uint32_t)btf[(o) + 1] << 8 | (uint32_t)btf[(o) + 2] << 16 | \
		   (uint32_t)btf[(o) + 3] << 24)
	if (len < 24 || btf[0] != 0x9f || btf[1] != 0xeb) {
		snprintf(ag->kfunc_note, sizeof(ag->kfunc_note), "%s is not BTF (%zu bytes)", BTF_VMLINUX, len);
		goto out;
	}
	hdr_len = U32_AT(4), type_off = U32_AT(8), type_len = U32_AT(12), str_off = U32_AT(16), str_len = U32_AT(20);
	if (hdr_len >= 32 && len >= 32)
		layout_off = U32_AT(24), layout_len = U32_AT(28);
	if ((uint64_t)hdr_len + type_off + type_len > len || (uint64_t)hdr_len + str_off + str_len > len ||
	    (uint64_t)hdr_len + layout_off + layout_len > len) {
		snprintf(ag->kfunc_note, sizeof(ag->kfunc_note), "%s: sections past its end", BTF_VMLINUX);
		goto out;
	}
	pos = hdr_len + type_off;
	end = pos + type_len;
	for (; pos + 12 <= end; id++) {
		uint32_t name_off = U32_AT(pos), info = U32_AT(pos + 4);
		uint32_t kind = (info >> 24) & 0x7f, vlen = info & 0xffffff;
		long extra = btf_extra(kind, vlen);

		if (extra < 0 && (uint64_t)kind * 4 + 4 <= layout_len) {
			size_t l = hdr_len + layout_off + kind * 4; /* struct btf_layout: u8 info_sz, u8 elem_sz */

			extra = btf[l] + (long)btf[l + 1] * vlen;
		}
		if (extra < 0) {
			snprintf(ag->kfunc_note, sizeof(ag->kfunc_note), "%s: BTF kind %u unknown to the agent",
				 BTF_VMLINUX, kind);
			goto out;
		}
		if (kind == 12 && name_off < str_len) { /* BTF_KIND_FUNC */
			const char *name = (const char *)btf + hdr_len + str_off + name_off;
			size_t room = str_len - name_off;

			for (int k = 0; k < VMP_NKFUNCS; k++)
				if (!ag->kfunc_id[k] && strnlen(name, room) == strlen(vmp_kfunc_names[k]) &&
				    !strcmp(name, vmp_kfunc_names[k]))
					ag->kfunc_id[k] = (int32_t)id;
		}
		pos += 12 + (size_t)extra;
	}
#undef U32_AT
	for (int k = 0; k < VMP_NKFUNCS; k++)
		if (!ag->kfunc_id[k]) {
			snprintf(ag->kfunc_note, sizeof(ag->kfunc_note), "the kernel's BTF has no function %s",
				 vmp_kfunc_names[k]);
			break;
		}
out:
	free(btf);
}

/* The kfunc probe: does the verifier take a SYSCALL program calling
 * bpf_iter_num_new(&it, 0, 3), a loop of bpf_iter_num_next summing what it
 * gives, and bpf_iter_num_destroy? Kfuncs are off when it does not (no
 * such kfuncs for SYSCALL programs, a kernel without them). The probe is
 * loaded, never run: whether the kfuncs work is what the generated
 * programs test, as findings with a program to minimize. A run here
 * would turn a kernel bug into a guest that does not boot
 * (tests/mutants/kernel-kfunc-ret-mov32.patch oopses in it) or, by a
 * wrong sum, into kfuncs turned off (kernel-iter-num-next-one-more). */
static bool probe_kfuncs(struct agent *ag)
{
	struct bpf_insn insns[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 3),
		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, ag->kfunc_id[0]),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 6, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0), /* head */
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8),
		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, ag->kfunc_id[1]),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_X, 6, 0, 0, 0),
		INSN(BPF_JMP | BPF_JA, 0, 0, -7, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8),
		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, ag->kfunc_id[2]),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 0, 6, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct load_req r = { .code = { .insns = (const uint8_t *)insns, .insns_len = sizeof(insns) },
			      .btf_handle = VMP_HANDLE_NONE, .flags = VMP_LOAD_LOG_ON_FAIL };
	int fd;

	for (int k = 0; k < VMP_NKFUNCS; k++)
		if (!ag->kfunc_id[k])
			return false;
	fd = prog_load(ag, &r);
	if (fd < 0) {
		snprintf(ag->kfunc_note, sizeof(ag->kfunc_note), "a program calling bpf_iter_num_* does not load: %.400s",
			 ag->log[0] ? ag->log : strerror(-fd));
		return false;
	}
	close(fd);
	ag->last_prog = -1;
	return true;
}

/* ---- request dispatch ------------------------------------------------ */

static int serve_one(struct agent *ag, uint16_t op, struct vmp_cur *c, struct vmp_buf *out, bool nested);
static void take_kmsg(struct agent *ag, struct vmp_buf *out);

static void handle_frame(struct agent *ag, uint16_t op, const uint8_t *body, uint32_t len,
			 struct vmp_buf *out, bool nested)
{
	struct vmp_cur c = { body, len, false };
	size_t at = vmp_begin_frame(out, op);
	size_t err_at = out->len;
	int err;

	vmp_put_u32(out, 0);
	err = serve_one(ag, op, &c, out, nested);
	if (!err && c.bad)
		err = -EBADMSG;
	if (err) {
		/* keep the body written by a failing op (a rejected load's log) */
		uint32_t e = (uint32_t)-err;

		if (!out->oom)
			for (int i = 0; i < 4; i++)
				out->data[err_at + i] = (uint8_t)(e >> (8 * i));
	}
	vmp_end_frame(out, at);
}

/* Returns 0 or -errno; writes the response body after err. */
static int serve_one(struct agent *ag, uint16_t op, struct vmp_cur *c, struct vmp_buf *out, bool nested)
{
	switch (op) {
	case VMP_HELLO:
		vmp_put(out, ag->hello.data, ag->hello.len);
		return 0;
	case VMP_ECHO: {
		uint32_t n;
		const uint8_t *p = vmp_get_bytes(c, &n);

		vmp_put_bytes(out, p, n);
		return 0;
	}
	case VMP_PROG_LOAD: {
		struct load_req r;
		uint32_t n;

		memset(&r, 0, sizeof(r));
		r.prog_type = vmp_get_u32(c);
		r.prog_flags = vmp_get_u32(c);
		r.flags = vmp_get_u32(c);
		r.btf_handle = vmp_get_u32(c);
		r.code.btf = vmp_get_bytes(c, &r.code.btf_len);
		r.code.insns = vmp_get_bytes(c, &r.code.insns_len);
		r.code.func_info = vmp_get_bytes(c, &n);
		r.code.nfunc_info = n / sizeof(struct bpf_func_info);
		r.code.line_info = vmp_get_bytes(c, &n);
		r.code.nline_info = n / sizeof(struct bpf_line_info);
		r.nmaps = vmp_get_u32(c);
		if (r.nmaps > VMP_MAX_MAPS)
			return -EBADMSG;
		for (uint32_t i = 0; i < r.nmaps; i++) {
			const uint8_t *init;

			r.maps[i].type = vmp_get_u32(c);
			r.maps[i].key_size = vmp_get_u32(c);
			r.maps[i].value_size = vmp_get_u32(c);
			r.maps[i].max_entries = vmp_get_u32(c);
			r.maps[i].flags = vmp_get_u32(c);
			init = vmp_get_bytes(c, &n);
			if (r.maps[i].key_size > VMP_MAX_MAP_KEY || r.maps[i].value_size > VMP_MAX_MAP_VALUE ||
			    n > r.maps[i].value_size)
				return -EBADMSG;
			memset(r.maps[i].init, 0, sizeof(r.maps[i].init));
			if (init)
				memcpy(r.maps[i].init, init, n);
		}
		r.ntails = vmp_get_u32(c);
		if (r.ntails > VMP_MAX_TAILS)
			return -EBADMSG;
		for (uint32_t k = 0; k < r.ntails; k++) {
			struct load_code *lc = &r.tails[k];

			lc->btf = vmp_get_bytes(c, &lc->btf_len);
			lc->insns = vmp_get_bytes(c, &lc->insns_len);
			lc->func_info = vmp_get_bytes(c, &n);
			lc->nfunc_info = n / sizeof(struct bpf_func_info);
		}
		r.nslots = vmp_get_u32(c);
		if (r.nslots > VMP_MAX_MAPS * VMP_MAX_MAP_ENTRIES)
			return -EBADMSG;
		for (uint32_t i = 0; i < r.nslots; i++) {
			r.slots[i].map = vmp_get_u32(c);
			r.slots[i].key = vmp_get_u32(c);
			r.slots[i].tail = vmp_get_u32(c);
			if (r.slots[i].map >= r.nmaps || r.slots[i].tail >= r.ntails)
				return -EBADMSG;
		}
		if (c->bad)
			return -EBADMSG;
		uint64_t t0 = now_ns();
		kcov_begin(&ag->kcov);
		int fd = prog_load(ag, &r);
		kcov_end(&ag->kcov);
		uint64_t t1 = now_ns();

		vmp_put_u32(out, fd >= 0 ? (uint32_t)fd : VMP_HANDLE_NONE);
		vmp_put_u64(out, t1 - t0);
		vmp_put_str(out, fd >= 0 ? "" : ag->log);
		return fd >= 0 ? 0 : fd;
	}
	case VMP_TEST_RUN: {
		int fd = resolve(ag, vmp_get_u32(c));
		uint32_t n, retval = 0;
		const uint8_t *ctx = vmp_get_bytes(c, &n);
		uint8_t *copy;
		int err;

		if (c->bad)
			return -EBADMSG;
		copy = malloc(n + 1);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, ctx, n);
		const struct prog_maps *pm = fd >= 0 ? maps_of(ag, fd) : NULL;

		err = pm ? maps_reset(pm) : 0;
		uint64_t t0 = now_ns();

		if (!err) {
			kcov_begin(&ag->kcov);
			err = test_run(fd, copy, n, &retval);
			kcov_end(&ag->kcov);
		}
		uint64_t t1 = now_ns();

		vmp_put_u32(out, retval);
		vmp_put_u64(out, t1 - t0);
		vmp_put_bytes(out, copy, err ? 0 : n);
		maps_dump(err ? NULL : pm, out);
		free(copy);
		return err;
	}
	case VMP_JIT_INFO:
		return jit_info(resolve(ag, vmp_get_u32(c)), out);
	case VMP_CLOSE: {
		uint32_t h = vmp_get_u32(c);
		int fd = resolve(ag, h);

		if (c->bad)
			return -EBADMSG;
		struct prog_maps *pm = fd >= 0 ? maps_of(ag, fd) : NULL;

		if (fd < 0 || close(fd) < 0)
			return -EBADF;
		if (pm) {
			maps_close((int)pm->nmaps, pm->fd);
			pm->nmaps = 0;
		}
		if (fd == ag->last_prog)
			ag->last_prog = -1;
		return 0;
	}
	case VMP_SET_JIT: {
		int v = (int)vmp_get_u32(c), prev = -1;

		read_int_file(JIT_ENABLE_PATH, &prev);
		vmp_put_u32(out, (uint32_t)prev);
		return write_int_file(JIT_ENABLE_PATH, v);
	}
	case VMP_BATCH: {
		uint32_t count = vmp_get_u32(c);

		if (nested)
			return -EINVAL;
		vmp_put_u32(out, count);
		for (uint32_t i = 0; i < count && !c->bad; i++) {
			uint32_t len = vmp_get_u32(c);
			uint16_t sub = vmp_get_u16(c);

			vmp_get_u16(c);
			const uint8_t *body = vmp_take(c, len >= 4 ? len - 4 : 0);

			if (c->bad || len < 4)
				return -EBADMSG;
			handle_frame(ag, sub, body, len - 4, out, true);
		}
		return c->bad ? -EBADMSG : 0;
	}
	case VMP_KCOV:
		return kcov_take(&ag->kcov, out);
	case VMP_KMSG: {
		uint32_t settle_ms = vmp_get_u32(c);

		if (c->bad)
			return -EBADMSG;
		if (ag->kmsg < 0)
			return -EOPNOTSUPP;
		if (settle_ms)
			usleep((settle_ms < 10000 ? settle_ms : 10000) * 1000);
		take_kmsg(ag, out);
		return 0;
	}
	case VMP_POWEROFF:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* The records of /dev/kmsg since the last call, one per line: the text
 * after the header ("prio,seq,usec,flags;"), without the KEY=value lines
 * that follow. At most KMSG_MAX bytes (the first records are kept: a
 * report's first lines name it). */
#define KMSG_MAX (256u << 10)

static void take_kmsg(struct agent *ag, struct vmp_buf *out)
{
	static char rec[8192];
	struct vmp_buf text = { 0 };
	bool lost = false;

	for (;;) {
		ssize_t n = read(ag->kmsg, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE) {
			lost = true; /* overwritten before we read them */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EAGAIN: nothing more */
		rec[n] = 0;
		char *msg = strchr(rec, ';');

		if (!msg)
			continue;
		msg++;
		size_t len = strcspn(msg, "\n");

		if (text.len + len + 1 <= KMSG_MAX) {
			vmp_put(&text, msg, len);
			vmp_put(&text, "\n", 1);
		}
	}
	/* WARN_ON_ONCE warns once per boot: clear its marks, so that the
	 * next program that reaches the same place (a minimizer's candidate)
	 * warns again (debugfs, CONFIG_DEBUG_FS; kernel/panic.c) */
	if (text.len)
		write_int_file("/debug/clear_warn_once", 1);
	if (lost && text.len + 40 <= KMSG_MAX) {
		static const char note[] = "callfuzz agent: kernel log records were lost\n";

		vmp_put(&text, note, sizeof(note) - 1);
	}
	vmp_put_bytes(out, text.data, (uint32_t)text.len);
	free(text.data);
}

static int send_buf(struct agent *ag, struct vmp_buf *b)
{
	if (b->oom)
		return -1;
	return write_full(ag->out, b->data, b->len);
}

static int serve(struct agent *ag)
{
	struct vmp_buf out = { 0 };
	uint8_t *body = NULL;
	size_t at;

	at = vmp_begin_frame(&out, VMP_HELLO);
	vmp_put_u32(&out, 0);
	vmp_put(&out, ag->hello.data, ag->hello.len);
	vmp_end_frame(&out, at);
	if (send_buf(ag, &out) < 0)
		return -1;
	for (;;) {
		uint8_t hdr[8];
		int r = read_full(ag->in, hdr, sizeof(hdr));

		if (r <= 0)
			break;
		uint32_t len = (uint32_t)hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24;
		uint16_t op = (uint16_t)(hdr[4] | hdr[5] << 8);

		if (len < 4 || len > VMP_MAX_FRAME)
			break; /* the stream is out of step: nothing sane to do */
		body = realloc(body, len);
		if (!body || (len > 4 && read_full(ag->in, body, len - 4) <= 0))
			break;
		out.len = 0;
		handle_frame(ag, op, body, len - 4, &out, false);
		if (send_buf(ag, &out) < 0)
			break;
		if (op == VMP_POWEROFF)
			break;
	}
	free(body);
	free(out.data);
	return 0;
}

/* /dev/vport<N>p<M> whose sysfs name is "callfuzz"; the first vport if
 * sysfs is not mounted. */
static int open_port(void)
{
	for (int tries = 0; tries < 500; tries++) {
		DIR *d = opendir("/dev");
		struct dirent *e;
		char path[300];
		int fd = -1;

		while (d && (e = readdir(d))) {
			if (strncmp(e->d_name, "vport", 5))
				continue;
			snprintf(path, sizeof(path), "/dev/%s", e->d_name);
			fd = open(path, O_RDWR);
			if (fd >= 0)
				break;
		}
		if (d)
			closedir(d);
		if (fd >= 0)
			return fd;
		usleep(10000);
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct agent ag = { .in = -1, .out = -1, .last_prog = -1, .kcov.fd = -1, .kmsg = -1 };
	const char *no_kcov;
	bool stdio_mode = argc > 1 && !strcmp(argv[1], "--stdio");

	ag.log = malloc(LOG_SIZE);
	if (!ag.log)
		return 1;
	if (!stdio_mode) {
		mkdir("/proc", 0555);
		mkdir("/dev", 0755);
		mount("proc", "/proc", "proc", 0, NULL);
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
		/* KCOV lives in debugfs (a kernel-tree.sh --kcov kernel);
		 * tinyconfig has no SYSFS, so no /sys/kernel/debug: a
		 * directory of our own */
		mkdir("/debug", 0700);
		mount("debugfs", "/debug", "debugfs", 0, NULL);
		/* /sys/kernel/btf/vmlinux names the kfuncs (find_kfuncs);
		 * tinyconfig has no sysfs, and no BTF either */
		mkdir("/sys", 0555);
		mount("sysfs", "/sys", "sysfs", 0, NULL);
		/* boot quietly, but print a whole oops on the console: the host
		 * reads it as the CRASH text */
		write_int_file("/proc/sys/kernel/printk", 8);
		/* jited_prog_insns and jited_line_info need raw addresses */
		write_int_file("/proc/sys/kernel/kptr_restrict", 0);
		int fd = open_port();

		if (fd < 0) {
			console("%s", "no virtio-serial port (/dev/vport*) appeared: the kernel needs "
				"CONFIG_VIRTIO_PCI=y and CONFIG_VIRTIO_CONSOLE=y (built in, not modules)");
			reboot(RB_POWER_OFF);
			return 1;
		}
		ag.in = ag.out = fd;
		/* the kernel's own reports (WARNING:, KASAN:, ...) of each
		 * program: the host asks after every one (KMSG); the boot's
		 * records are not ours */
		ag.kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	} else {
		ag.in = 0;
		ag.out = 1;
	}
	/* the probe's loads are not the host's: the set starts empty after it */
	no_kcov = kcov_open(&ag.kcov);
	if (no_kcov)
		console("%s", no_kcov);
	probe(&ag);
	if (ag.kcov.fd >= 0)
		kcov_clear(&ag.kcov);
	if (ag.kmsg >= 0)
		lseek(ag.kmsg, 0, SEEK_END); /* from here on, every record is a program's */
	serve(&ag);
	if (!stdio_mode) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}

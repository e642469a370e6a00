/* harness/agent/proto.h: the wire protocol between callfuzz (harness/target/vm.c)
 * and the agent inside the VM (harness/agent/agent.c), version 4.
 * docs/vm-protocol.md describes it; keep the two in step.
 *
 * Every message is a frame: u32 len (bytes after this word), u16 op,
 * u16 reserved (0), then the body. A response repeats the request's op and
 * starts its body with i32 err (0, or a positive errno). Integers are
 * little-endian; `bytes` is u32 length + data; `str` is bytes holding text
 * without a terminating NUL.
 *
 * The encode/decode helpers are static inline so that the agent (a static
 * program for the guest) and the host share one definition of the layout. */
#ifndef CALLFUZZ_AGENT_PROTO_H
#define CALLFUZZ_AGENT_PROTO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VMP_VERSION 4 /* 2: PROG_LOAD's map specs, TEST_RUN's map contents; 3: read-only
			 maps (map_flags, contents), HELLO's kfunc BTF ids (branch strkfunc) or
			 PROG_LOAD's tail-call targets and prog array entries (branch tailcall);
			 4: both */
#define VMP_MAX_FRAME (16u << 20) /* larger frames are refused */
#define VMP_PORT_NAME "callfuzz"  /* virtserialport name=... */

enum vmp_op {
	VMP_HELLO = 1,     /* -> u32 version, u32 features, i32 jit_enable, str release,
	                      str machine, str probe_log, u32 nkfuncs, nkfuncs x (str name,
	                      u32 btf_id), str kfunc_note; sent once unsolicited at start */
	VMP_PROG_LOAD = 2, /* see struct layout in docs/vm-protocol.md */
	VMP_TEST_RUN = 3,  /* u32 handle, bytes ctx -> u32 retval, u64 run_ns, bytes ctx_out,
			      map contents (docs/vm-protocol.md) */
	VMP_JIT_INFO = 4,  /* u32 handle -> jit image, func lens, ksyms, line map */
	VMP_CLOSE = 5,     /* u32 handle -> (nothing) */
	VMP_SET_JIT = 6,   /* i32 value -> i32 previous */
	VMP_BATCH = 7,     /* u32 count, count frames -> u32 count, count frames */
	VMP_POWEROFF = 8,  /* -> (nothing), then the VM powers off */
	VMP_ECHO = 9,      /* bytes -> bytes (round-trip measurement) */
	VMP_KCOV = 10,     /* -> u32 npcs, u32 lost, npcs x (u64 pc, u32 hits): the distinct
			      kernel PCs of the PROG_LOADs and TEST_RUNs since the last
			      KCOV (an agent without KCOV, or an older one: EOPNOTSUPP) */
	VMP_KMSG = 20,     /* u32 settle_ms -> str: the kernel log written since the
	                      last KMSG (or HELLO), one record per line, headers
	                      stripped, read after waiting settle_ms */
};

/* HELLO features */
#define VMP_FEAT_STACK_ARGS (1u << 0) /* a 6-argument subprog call loads and runs */
#define VMP_FEAT_JIT_SWITCH (1u << 1) /* bpf_jit_enable can be written */
#define VMP_FEAT_JIT_ON (1u << 2)     /* the probe program was JITed */
#define VMP_FEAT_KCOV (1u << 3)       /* /sys/kernel/debug/kcov traces PCs: VMP_KCOV answers */
#define VMP_FEAT_KFUNCS (1u << 4)     /* HELLO's kfuncs resolved in /sys/kernel/btf/vmlinux and a
					 program calling them loads and runs right */
#define VMP_FEAT_KMSG (1u << 8)       /* KMSG: /dev/kmsg is readable (not in --stdio mode,
					 where the log is the host's, not ours to judge) */

/* PROG_LOAD flags */
#define VMP_LOAD_LOG_ON_FAIL (1u << 0) /* retry with log_level 1 on failure */
#define VMP_LOAD_LOG_LEVEL2 (1u << 1)  /* with LOG_ON_FAIL: log_level 2 (every insn's state) */

/* Maps of a PROG_LOAD (created by the agent, fd_array[i] = map i). */
#define VMP_MAX_MAPS 4
#define VMP_MAP_RDONLY_PROG (1u << 7) /* BPF_F_RDONLY_PROG: the agent writes the
					 contents into entry 0 and freezes the map */
#define VMP_MAX_MAP_ENTRIES 8 /* contents past this are not returned */
#define VMP_MAX_MAP_KEY 8
#define VMP_MAX_MAP_VALUE 32
/* Tail-call targets of a PROG_LOAD: loaded first, each into the prog array
 * entries the request names, then closed (the prog array keeps them). */
#define VMP_MAX_TAILS 4

/* The kfuncs the agent looks up in the kernel's BTF (HELLO), by name: the
 * host's call table names its kernel kfuncs the same way (bpf/calls.c). */
static const char *const vmp_kfunc_names[] __attribute__((unused)) = {
	"bpf_iter_num_new", "bpf_iter_num_next", "bpf_iter_num_destroy",
};
#define VMP_NKFUNCS (int)(sizeof(vmp_kfunc_names) / sizeof(vmp_kfunc_names[0]))

/* Handles name kernel objects (they are the agent's fds). */
#define VMP_HANDLE_NONE 0xffffffffu
#define VMP_HANDLE_LAST 0xfffffffeu /* the program loaded last by this agent */

/* ---- encoding -------------------------------------------------------- */

struct vmp_buf {
	uint8_t *data;
	size_t len, cap;
	bool oom;
};

static inline void vmp_put(struct vmp_buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		uint8_t *nd;

		while (ncap < b->len + n)
			ncap *= 2;
		nd = realloc(b->data, ncap);
		if (!nd) {
			b->oom = true;
			return;
		}
		b->data = nd;
		b->cap = ncap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void vmp_put_u16(struct vmp_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	vmp_put(b, x, 2);
}

static inline void vmp_put_u32(struct vmp_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	vmp_put(b, x, 4);
}

static inline void vmp_put_u64(struct vmp_buf *b, uint64_t v)
{
	vmp_put_u32(b, (uint32_t)v);
	vmp_put_u32(b, (uint32_t)(v >> 32));
}

static inline void vmp_put_bytes(struct vmp_buf *b, const void *p, size_t n)
{
	vmp_put_u32(b, (uint32_t)n);
	vmp_put(b, p, n);
}

static inline void vmp_put_str(struct vmp_buf *b, const char *s)
{
	vmp_put_bytes(b, s, s ? strlen(s) : 0);
}

/* Starts a frame; returns its offset for vmp_end_frame. */
static inline size_t vmp_begin_frame(struct vmp_buf *b, uint16_t op)
{
	size_t at = b->len;

	vmp_put_u32(b, 0);
	vmp_put_u16(b, op);
	vmp_put_u16(b, 0);
	return at;
}

static inline void vmp_end_frame(struct vmp_buf *b, size_t at)
{
	uint32_t n = (uint32_t)(b->len - at - 4);

	if (b->oom)
		return;
	b->data[at] = (uint8_t)n;
	b->data[at + 1] = (uint8_t)(n >> 8);
	b->data[at + 2] = (uint8_t)(n >> 16);
	b->data[at + 3] = (uint8_t)(n >> 24);
}

/* ---- decoding: a cursor that turns every overrun into `bad` ---------- */

struct vmp_cur {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static inline const uint8_t *vmp_take(struct vmp_cur *c, size_t n)
{
	const uint8_t *p = c->p;

	if (c->bad || n > c->left) {
		c->bad = true;
		return NULL;
	}
	c->p += n;
	c->left -= n;
	return p;
}

static inline uint16_t vmp_get_u16(struct vmp_cur *c)
{
	const uint8_t *p = vmp_take(c, 2);

	return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

static inline uint32_t vmp_get_u32(struct vmp_cur *c)
{
	const uint8_t *p = vmp_take(c, 4);

	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}

static inline uint64_t vmp_get_u64(struct vmp_cur *c)
{
	uint64_t lo = vmp_get_u32(c);

	return lo | (uint64_t)vmp_get_u32(c) << 32;
}

/* Returns a pointer into the message (not copied) and its length. */
static inline const uint8_t *vmp_get_bytes(struct vmp_cur *c, uint32_t *len)
{
	uint32_t n = vmp_get_u32(c);
	const uint8_t *p = vmp_take(c, n);

	*len = p ? n : 0;
	return p;
}

#endif

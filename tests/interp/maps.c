/* tests/interp/maps.c: the interpreter's array and hash maps against the
 * documented semantics (include/uapi/linux/bpf.h; the rules and their 7.2
 * sources are in docs/kernel-paths.md "Maps"). Every helper result goes to
 * ctx so that one run checks a sequence; expected values are the errnos
 * and contents worked out by hand. */
#include "interp/interp.h"
#include "tests/interp/util.h"
#include "tests/test.h"

#include <errno.h>
#include <string.h>

static int64_t ctx_u64(const struct interp_result *r, int k)
{
	int64_t v;

	memcpy(&v, r->ctx + 8 * k, 8);
	return v;
}

/* update MAP key at r10-8 (u64 KEY), value at r10-16 (u64 VAL), FLAGS; result to ctx at off */
#define UPD(map, key, val, flags, off)                 \
	"    *(u64 *)(r10 - 8) = " #key "\n"      \
	"    *(u64 *)(r10 - 16) = " #val "\n"     \
	"    r1 = map[" #map "] ll\n"             \
	"    r2 = r10\n"                          \
	"    r2 += -8\n"                          \
	"    r3 = r10\n"                          \
	"    r3 += -16\n"                         \
	"    r4 = " #flags "\n"                   \
	"    call bpf_map_update_elem\n"          \
	"    r6 = *(u64 *)(r10 - 24)\n"           \
	"    *(u64 *)(r6 + " #off ") = r0\n"
#define DEL(map, key, off)                             \
	"    *(u64 *)(r10 - 8) = " #key "\n"      \
	"    r1 = map[" #map "] ll\n"             \
	"    r2 = r10\n"                          \
	"    r2 += -8\n"                          \
	"    call bpf_map_delete_elem\n"          \
	"    r6 = *(u64 *)(r10 - 24)\n"           \
	"    *(u64 *)(r6 + " #off ") = r0\n"

TEST(interp_maps_array_update_flags_and_bounds)
{
	/* key is u32: the low half of the u64 at r10-8 (little-endian) */
	const char *text = ".map a, array, key=4, value=8, entries=4\n"
			   ".func main\n"
			   "    *(u64 *)(r10 - 24) = r1\n"
			   UPD(a, 1, 0x1122, 0, 0)     /* BPF_ANY: 0 */
			   UPD(a, 1, 0x3344, 1, 8)     /* BPF_NOEXIST: every entry exists, -EEXIST */
			   UPD(a, 2, 0x5566, 2, 16)     /* BPF_EXIST: 0 */
			   UPD(a, 4, 0x7788, 0, 24)     /* index 4 of 4: -E2BIG */
			   UPD(a, 3, 0x99, 3, 32)       /* unknown flags: -EINVAL */
			   UPD(a, 3, 0x99, 4, 40)       /* BPF_F_LOCK without a lock: -EINVAL */
			   UPD(a, 9, 0x99, 5, 48)       /* NOEXIST|F_LOCK: the index first, -E2BIG */
			   DEL(a, 1, 56)                /* arrays cannot delete: -EINVAL */
			   "    r0 = 0\n"
			   "    exit\n";
	struct interp_result r;

	REQUIRE(t_run_text(text, NULL, &r));
	REQUIRE_MSG(r.status == INTERP_OK, "%s", r.fault);
	CHECK_EQ(ctx_u64(&r, 0), 0);
	CHECK_EQ(ctx_u64(&r, 1), -EEXIST);
	CHECK_EQ(ctx_u64(&r, 2), 0);
	CHECK_EQ(ctx_u64(&r, 3), -E2BIG);
	CHECK_EQ(ctx_u64(&r, 4), -EINVAL);
	CHECK_EQ(ctx_u64(&r, 5), -EINVAL);
	CHECK_EQ(ctx_u64(&r, 6), -E2BIG);
	CHECK_EQ(ctx_u64(&r, 7), -EINVAL);
	/* all four entries, keys 0..3, values 0, 0x1122, 0x5566, 0 */
	static const uint8_t want[] = {
		4, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0x22, 0x11, 0, 0, 0, 0, 0, 0,
		2, 0, 0, 0, 0x66, 0x55, 0, 0, 0, 0, 0, 0,
		3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	CHECK_EQ(r.maps.len, sizeof(want));
	CHECK(memcmp(r.maps.data, want, sizeof(want)) == 0);
}

TEST(interp_maps_hash_presence_capacity_and_delete)
{
	const char *text = ".map h, hash, key=8, value=8, entries=2\n"
			   ".func main\n"
			   "    *(u64 *)(r10 - 24) = r1\n"
			   UPD(h, 1, 10, 0, 0)   /* new: 0 */
			   UPD(h, 1, 11, 1, 8)   /* NOEXIST on present: -EEXIST */
			   UPD(h, 3, 12, 2, 16)   /* EXIST on absent: -ENOENT */
			   UPD(h, 1, 13, 2, 24)   /* EXIST on present: 0, value 13 */
			   UPD(h, 2, 14, 0, 32)   /* second element: 0 */
			   UPD(h, 3, 15, 0, 40)   /* full: -E2BIG */
			   UPD(h, 2, 16, 0, 48)   /* full, but present: replaced, 0 */
			   DEL(h, 1, 56)          /* 0 */
			   DEL(h, 1, 64)          /* gone: -ENOENT */
			   UPD(h, 3, 17, 0, 72)   /* room again: 0 */
			   UPD(h, 3, 18, 4, 80)  /* BPF_F_LOCK without a lock: -EINVAL */
			   UPD(h, 3, 18, 3, 88)  /* unknown flags: -EINVAL */
			   "    r0 = 0\n"
			   "    exit\n";
	struct interp_result r;
	static const int64_t want_ret[] = { 0, -EEXIST, -ENOENT, 0, 0, -E2BIG, 0, 0, -ENOENT, 0, -EINVAL, -EINVAL };

	REQUIRE(t_run_text(text, NULL, &r));
	REQUIRE_MSG(r.status == INTERP_OK, "%s", r.fault);
	for (int k = 0; k < 12; k++)
		CHECK_MSG(ctx_u64(&r, k) == want_ret[k], "result %d: %lld, want %lld", k, (long long)ctx_u64(&r, k),
			  (long long)want_ret[k]);
	/* {2: 16, 3: 17}, sorted by key bytes */
	static const uint8_t want[] = {
		2, 0, 0, 0,
		2, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0,
		3, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0,
	};
	CHECK_EQ(r.maps.len, sizeof(want));
	CHECK(memcmp(r.maps.data, want, sizeof(want)) == 0);
}

TEST(interp_maps_lookup_pointer_and_direct_value)
{
	/* lookup of a present key gives a pointer into its value, of an absent
	 * one NULL; a write through it is the map's contents; the direct value
	 * of a one-entry array is entry 0 */
	const char *text = ".map h, hash, key=4, value=8, entries=2\n"
			   ".map one, array, key=4, value=16, entries=1\n"
			   ".func main\n"
			   "    *(u64 *)(r10 - 24) = r1\n"
			   UPD(h, 5, 40, 0, 0)
			   "    *(u32 *)(r10 - 4) = 5\n"
			   "    r1 = map[h] ll\n"
			   "    r2 = r10\n"
			   "    r2 += -4\n"
			   "    call bpf_map_lookup_elem\n"
			   "    if r0 == 0 goto out\n"
			   "    r1 = *(u64 *)(r0 + 0)\n"
			   "    r1 += 2\n"
			   "    *(u64 *)(r0 + 0) = r1\n"
			   "    r7 = r1\n"
			   "    *(u32 *)(r10 - 4) = 6\n"
			   "    r1 = map[h] ll\n"
			   "    r2 = r10\n"
			   "    r2 += -4\n"
			   "    call bpf_map_lookup_elem\n"
			   "    r6 = 1\n"
			   "    if r0 != 0 goto found\n"
			   "    r6 = 0\n"
			   "found:\n"
			   "    r1 = map[one][0]+8 ll\n"
			   "    *(u64 *)(r1 + 0) = r7\n"
			   "    r0 = r6\n"
			   "    r0 += r7\n"
			   "out:\n"
			   "    exit\n";
	struct interp_result r;

	REQUIRE(t_run_text(text, NULL, &r));
	REQUIRE_MSG(r.status == INTERP_OK, "%s", r.fault);
	CHECK_EQ(r.r0, 42); /* 40 + 2, key 6 absent */
	/* key 5 (the update wrote 8 bytes of key; the key is its first 4) */
	static const uint8_t want[] = {
		1, 0, 0, 0,
		5, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0,
	};
	CHECK_EQ(r.maps.len, sizeof(want));
	CHECK(memcmp(r.maps.data, want, sizeof(want)) == 0);
}

TEST(interp_maps_each_run_starts_fresh)
{
	/* the same image run twice: the second run sees no element of the first */
	const char *text = ".map h, hash, key=8, value=8, entries=1\n"
			   ".func main\n"
			   "    *(u64 *)(r10 - 24) = r1\n"
			   UPD(h, 1, 10, 1, 0)
			   "    r0 = 0\n"
			   "    exit\n";
	struct cf_prog p;
	struct cf_err err;
	struct interp_image *img;
	struct interp_result a, b;

	REQUIRE(cf_asm_parse(text, strlen(text), "fresh.s", &p, &err) == 0);
	img = interp_prepare(&p, &err);
	REQUIRE(img);
	interp_exec(img, NULL, NULL, NULL, &a);
	interp_exec(img, NULL, NULL, NULL, &b);
	CHECK_EQ(a.status, INTERP_OK);
	CHECK_EQ(ctx_u64(&a, 0), 0);
	CHECK_EQ(ctx_u64(&b, 0), 0); /* BPF_NOEXIST succeeds again */
	CHECK_EQ(a.maps.len, b.maps.len);
	CHECK(memcmp(a.maps.data, b.maps.data, a.maps.len) == 0);
	interp_image_free(img);
	cf_prog_free(&p);
}

TEST(interp_raw_tp_ctx_reads_96_bytes_and_faults_on_a_write)
{
	const char *ok = ".type raw_tracepoint\n.func main\n    r0 = *(u64 *)(r1 + 88)\n    exit\n";
	struct cf_prog p;
	struct cf_err err;
	struct interp_result r;
	uint8_t ctx[CF_CTX_SIZE] = { 0 };

	ctx[88] = 0x2a;
	ctx[96] = 0x99; /* past the ctx: never visible */
	REQUIRE(cf_asm_parse(ok, strlen(ok), "rt.s", &p, &err) == 0);
	CHECK_EQ(p.prog_type, CF_PROG_RAW_TP);
	REQUIRE(interp_run(&p, NULL, NULL, ctx, &r) == 0);
	CHECK_EQ(r.status, INTERP_OK);
	CHECK_EQ(r.r0, 0x2a);
	cf_prog_free(&p);
	/* unchecked programs: a store into ctx, a load past 96 bytes */
	const char *bad[] = {
		".type raw_tracepoint\n.func main\n    *(u64 *)(r1 + 0) = 1\n    r0 = 0\n    exit\n",
		".type raw_tracepoint\n.func main\n    r0 = *(u64 *)(r1 + 96)\n    exit\n",
	};
	for (int i = 0; i < 2; i++) {
		REQUIRE(cf_asm_parse(bad[i], strlen(bad[i]), "rt.s", &p, &err) == 0);
		interp_run(&p, NULL, NULL, ctx, &r);
		CHECK_EQ(r.status, INTERP_FAULT);
		cf_prog_free(&p);
	}
}

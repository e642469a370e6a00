/* tests/bpf/check_maps.c: the checker's rules for maps (docs/kernel-paths.md
 * "Maps"), each with the kernel's wording (kernel/bpf/verifier.c). */
#include "tests/bpf/check_util.h"

#include <stdlib.h>

static struct cf_check_opts maps_opts(void)
{
	struct cf_check_opts o;

	cf_check_opts_default(&o);
	o.model_callees = false;
	o.maps = true;
	return o;
}

#define DECL ".map a, array, key=4, value=16, entries=4\n" \
	     ".map h, hash, key=8, value=8, entries=2\n"     \
	     ".map one, array, key=4, value=8, entries=1\n"

/* a lookup in a, its result checked, then the value used */
#define LOOKUP_A "    *(u32 *)(r10 - 4) = 1\n" \
		 "    r1 = map[a] ll\n"        \
		 "    r2 = r10\n"              \
		 "    r2 += -4\n"              \
		 "    call bpf_map_lookup_elem\n"

TEST(check_maps_lookup_checked_then_used)
{
	struct cf_check_opts o = maps_opts();

	ACCEPT_OPTS(DECL ".func main\n" LOOKUP_A
		    "    if r0 == 0 goto out\n"
		    "    r1 = *(u64 *)(r0 + 8)\n"
		    "    *(u64 *)(r0 + 0) = r1\n"
		    "out:\n"
		    "    r0 = 0\n"
		    "    exit\n", &o);
	/* a copy made before the test is marked too (mark_ptr_or_null_regs) */
	ACCEPT_OPTS(DECL ".func main\n" LOOKUP_A
		    "    r6 = r0\n"
		    "    if r0 != 0 goto use\n"
		    "    r0 = 0\n"
		    "    exit\n"
		    "use:\n"
		    "    *(u64 *)(r6 + 8) = 3\n"
		    "    r0 = 0\n"
		    "    exit\n", &o);
}

TEST(check_maps_lookup_result_needs_a_null_check)
{
	struct cf_check_opts o = maps_opts();

	REJECT_OPTS(DECL ".func main\n" LOOKUP_A
		    "    r1 = *(u64 *)(r0 + 0)\n"
		    "    r0 = 0\n"
		    "    exit\n", &o, "invalid mem access 'map_value_or_null'");
	/* the NULL side is the scalar 0: no access there either */
	REJECT_OPTS(DECL ".func main\n" LOOKUP_A
		    "    if r0 != 0 goto out\n"
		    "    r1 = *(u64 *)(r0 + 0)\n"
		    "out:\n"
		    "    r0 = 0\n"
		    "    exit\n", &o, "invalid mem access 'scalar'");
	REJECT_OPTS(DECL ".func main\n" LOOKUP_A
		    "    r0 += 8\n"
		    "    r0 = 0\n"
		    "    exit\n", &o, "pointer arithmetic on map_value_or_null prohibited");
}

TEST(check_maps_value_bounds)
{
	struct cf_check_opts o = maps_opts();

	/* value_size 16: bytes 8..15 fit, 9..16 do not */
	REJECT_OPTS(DECL ".func main\n" LOOKUP_A
		    "    if r0 == 0 goto out\n"
		    "    r1 = *(u64 *)(r0 + 9)\n"
		    "out:\n"
		    "    r0 = 0\n"
		    "    exit\n", &o, "invalid access to map value, value_size=16 off=9 size=8");
	REJECT_OPTS(DECL ".func main\n" LOOKUP_A
		    "    if r0 == 0 goto out\n"
		    "    r0 += -1\n"
		    "    r1 = *(u8 *)(r0 + 0)\n"
		    "out:\n"
		    "    r0 = 0\n"
		    "    exit\n", &o, "invalid access to map value, value_size=16 off=-1 size=1");
	/* project rule: no address goes into a map */
	REJECT_OPTS(DECL ".func main\n" LOOKUP_A
		    "    if r0 == 0 goto out\n"
		    "    *(u64 *)(r0 + 0) = r10\n"
		    "out:\n"
		    "    r0 = 0\n"
		    "    exit\n", &o, "leaks addr into map");
}

TEST(check_maps_helper_arguments)
{
	struct cf_check_opts o = maps_opts();

	/* the key: key_size initialized stack bytes (8 for h) */
	REJECT_OPTS(DECL ".func main\n"
		    "    *(u32 *)(r10 - 8) = 1\n"
		    "    r1 = map[h] ll\n"
		    "    r2 = r10\n"
		    "    r2 += -8\n"
		    "    call bpf_map_delete_elem\n"
		    "    exit\n", &o, "invalid indirect read from stack R2 off -8+4 size 8");
	REJECT_OPTS(DECL ".func main\n"
		    "    *(u64 *)(r10 - 8) = 1\n"
		    "    r1 = 0\n"
		    "    r2 = r10\n"
		    "    r2 += -8\n"
		    "    call bpf_map_delete_elem\n"
		    "    exit\n", &o, "R1 type=scalar expected=map_ptr");
	/* update: the value is value_size bytes too, flags any scalar */
	ACCEPT_OPTS(DECL ".func main\n"
		    "    *(u64 *)(r10 - 8) = 1\n"
		    "    *(u64 *)(r10 - 16) = 2\n"
		    "    r1 = map[h] ll\n"
		    "    r2 = r10\n"
		    "    r2 += -8\n"
		    "    r3 = r10\n"
		    "    r3 += -16\n"
		    "    r4 = 0\n"
		    "    call bpf_map_update_elem\n"
		    "    exit\n", &o);
	REJECT_OPTS(DECL ".func main\n"
		    "    *(u64 *)(r10 - 8) = 1\n"
		    "    r1 = map[a] ll\n"
		    "    r2 = r10\n"
		    "    r2 += -8\n"
		    "    r3 = r10\n"
		    "    r3 += -8\n"
		    "    r4 = 0\n"
		    "    call bpf_map_update_elem\n"
		    "    exit\n", &o, "invalid indirect access to stack R3 off=-8 size=16");
}

TEST(check_maps_direct_value_of_a_one_entry_array)
{
	struct cf_check_opts o = maps_opts();

	ACCEPT_OPTS(DECL ".func main\n"
		    "    r1 = map[one][0]+4 ll\n"
		    "    *(u32 *)(r1 + 0) = 7\n"
		    "    r0 = *(u32 *)(r1 + 0)\n"
		    "    exit\n", &o);
	/* kernel/bpf/arraymap.c array_map_direct_value_addr: max_entries 1, off < value_size */
	REJECT_OPTS(DECL ".func main\n"
		    "    r1 = map[a][0]+0 ll\n"
		    "    r0 = 0\n"
		    "    exit\n", &o, "invalid access to map value pointer, value_size=16 off=0");
	REJECT_OPTS(DECL ".func main\n"
		    "    r1 = map[one][0]+8 ll\n"
		    "    r0 = 0\n"
		    "    exit\n", &o, "invalid access to map value pointer, value_size=8 off=8");
	REJECT_OPTS(DECL ".func main\n"
		    "    r1 = map[one][0]+4 ll\n"
		    "    r0 = *(u64 *)(r1 + 0)\n"
		    "    exit\n", &o, "invalid access to map value, value_size=8 off=4 size=8");
}

TEST(check_maps_only_where_a_target_creates_them)
{
	ACCEPT(".func main\n    r0 = 0\n    exit\n");
	REJECT(DECL ".func main\n    r1 = map[a] ll\n    r0 = 0\n    exit\n",
	       "maps are for kernel targets");
	REJECT(".func main\n"
	       "    *(u32 *)(r10 - 4) = 1\n"
	       "    r2 = r10\n"
	       "    r2 += -4\n"
	       "    call bpf_map_lookup_elem\n"
	       "    r0 = 0\n"
	       "    exit\n", "maps are for kernel targets");
}

TEST(asm_maps_parse_print_and_errors)
{
	const char *text = DECL ".func main\n"
			   "    r1 = map[h] ll\n"
			   "    r2 = map[one][0]+4 ll\n"
			   "    r0 = 0\n"
			   "    exit\n";
	struct cf_prog p, q;
	struct cf_err err;
	char *out;

	REQUIRE_MSG(cf_asm_parse(text, strlen(text), "m.s", &p, &err) == 0, "%s", err.msg);
	CHECK_EQ(p.nmaps, 3);
	CHECK_EQ(p.maps[1].type, BPF_MAP_TYPE_HASH);
	CHECK_EQ(p.maps[1].key_size, 8);
	CHECK_EQ(p.funcs[0].insns[0].src_reg, BPF_PSEUDO_MAP_IDX);
	CHECK_EQ(p.funcs[0].insns[0].imm, 1);
	CHECK_EQ(p.funcs[0].insns[2].src_reg, BPF_PSEUDO_MAP_IDX_VALUE);
	CHECK_EQ(p.funcs[0].insns[2].imm, 2);
	CHECK_EQ(p.funcs[0].insns[3].imm, 4);
	out = cf_asm_print(&p);
	CHECK_CONTAINS(out, ".map h, hash, key=8, value=8, entries=2\n");
	CHECK_CONTAINS(out, "r2 = map[one][0]+4 ll");
	REQUIRE_MSG(cf_asm_parse(out, strlen(out), "printed.s", &q, &err) == 0, "%s", err.msg);
	CHECK(cf_prog_equal(&p, &q));
	free(out);
	cf_prog_free(&p);
	cf_prog_free(&q);

	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ ".map a, array, key=8, value=8, entries=1\n", "an array's key is its u32 index" },
		{ ".map a, hash, key=4, value=33, entries=1\n", "value size 33 is out of range" },
		{ ".map a, ringbuf, key=4, value=8, entries=1\n", "a map type (array, hash, prog_array)" },
		{ ".map a, hash, key=4, value=8, entries=1\n.map a, hash, key=4, value=8, entries=1\n",
		  "declared twice" },
		{ ".func main\n    r1 = map[nope] ll\n    exit\n", "unknown map 'nope'" },
		{ ".func main\n    exit\n.map a, hash, key=4, value=8, entries=1\n", ".map comes before the first .func" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cf_asm_parse(bad[i].text, strlen(bad[i].text), "bad.s", &p, &err) == 0) {
			test_fail(__FILE__, __LINE__, "parsed: %s", bad[i].text);
			cf_prog_free(&p);
			continue;
		}
		CHECK_CONTAINS(err.msg, bad[i].needle);
	}
}

TEST(map_dump_is_sorted_by_key_and_diff_names_the_place)
{
	struct cf_prog p;
	struct cf_err err;
	struct cf_map_dump a = { 0 }, b = { 0 };
	/* two hash entries, key 4 bytes, value 2: given out of order */
	const uint8_t e1[] = { 9, 0, 0, 0, 0xaa, 0xbb, 2, 0, 0, 0, 0xcc, 0xdd };
	const uint8_t e2[] = { 2, 0, 0, 0, 0xcc, 0xdd, 9, 0, 0, 0, 0xaa, 0xbb };
	const uint8_t e3[] = { 2, 0, 0, 0, 0xcc, 0xdd, 9, 0, 0, 0, 0xaa, 0xbc };
	char place[160];

	cf_prog_init(&p);
	REQUIRE(cf_prog_add_map(&p, "h", BPF_MAP_TYPE_HASH, 4, 2, 4, &err));
	REQUIRE(cf_map_dump_add(&a, &p.maps[0], 2, e1) == 0);
	REQUIRE(cf_map_dump_add(&b, &p.maps[0], 2, e2) == 0);
	/* u32 count 2, then key 2 first */
	CHECK_EQ(a.len, 4 + 2 * 6);
	CHECK_EQ(a.data[0], 2);
	CHECK_EQ(a.data[4], 2);
	CHECK_EQ(a.data[8], 0xcc);
	CHECK_EQ(cf_map_dump_diff(&p, &a, &b, place, sizeof(place)), 0);
	b.len = 0;
	REQUIRE(cf_map_dump_add(&b, &p.maps[0], 2, e3) == 0);
	CHECK_EQ(cf_map_dump_diff(&p, &a, &b, place, sizeof(place)), 1);
	CHECK_STR(place, "map 0 (h) key 09000000 value[1]");
	b.len = 0;
	REQUIRE(cf_map_dump_add(&b, &p.maps[0], 1, e2) == 0);
	CHECK_EQ(cf_map_dump_diff(&p, &a, &b, place, sizeof(place)), 1);
	CHECK_STR(place, "map 0 (h) entries 2 != 1");
	/* more entries than the map holds: refused */
	CHECK(cf_map_dump_add(&b, &p.maps[0], 5, e1) < 0);
	cf_prog_free(&p);
}

TEST(map_dump_entries_finds_each_maps_part)
{
	struct cf_prog p;
	struct cf_err err;
	struct cf_map_dump d = { 0 };
	const uint8_t h[] = { 7, 0, 0, 0, 0x11, 0x22 };        /* key 4, value 2 */
	const uint8_t a[] = { 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0 }; /* key 4, value 8 */
	const uint8_t *kv;
	uint32_t n = 99;

	cf_prog_init(&p);
	REQUIRE(cf_prog_add_map(&p, "h", BPF_MAP_TYPE_HASH, 4, 2, 4, &err));
	REQUIRE(cf_prog_add_map(&p, "a", BPF_MAP_TYPE_ARRAY, 4, 8, 1, &err));
	REQUIRE(cf_map_dump_add(&d, &p.maps[0], 1, h) == 0);
	REQUIRE(cf_map_dump_add(&d, &p.maps[1], 1, a) == 0);
	/* map 1 starts after map 0's count (4 bytes) and its one 6-byte entry */
	kv = cf_map_dump_entries(&p, &d, 1, &n);
	REQUIRE(kv != NULL);
	CHECK_EQ(n, 1);
	CHECK_EQ(kv - d.data, 4 + 6 + 4);
	CHECK_EQ(kv[4], 5);
	kv = cf_map_dump_entries(&p, &d, 0, &n);
	REQUIRE(kv != NULL);
	CHECK_EQ(kv[4], 0x11);
	/* cut inside map 1's entry: map 0 is still there, map 1 is not */
	d.len -= 1;
	CHECK(cf_map_dump_entries(&p, &d, 0, &n) != NULL);
	CHECK(cf_map_dump_entries(&p, &d, 1, &n) == NULL);
	cf_prog_free(&p);
}

/* RAW_TRACEPOINT programs (docs/kernel-paths.md "Raw tracepoints and the
 * private stack"): the ctx is 96 bytes of u64 arguments, read-only, each
 * access at a multiple of its size (include/linux/bpf.h
 * bpf_tracing_ctx_access); the vm target only. */
TEST(check_raw_tp_ctx_is_read_only_and_96_bytes)
{
	struct cf_check_opts o = maps_opts();

	o.raw_tp = true;
	ACCEPT_OPTS(".type raw_tracepoint\n.func main\n    r0 = *(u64 *)(r1 + 88)\n    r2 = *(u32 *)(r1 + 4)\n    exit\n", &o);
	REJECT_OPTS(".type raw_tracepoint\n.func main\n    r0 = *(u64 *)(r1 + 96)\n    exit\n", &o,
		    "invalid bpf_context access off=96 size=8");
	REJECT_OPTS(".type raw_tracepoint\n.func main\n    r0 = *(u64 *)(r1 + 4)\n    exit\n", &o,
		    "invalid bpf_context access off=4 size=8");
	REJECT_OPTS(".type raw_tracepoint\n.func main\n    *(u64 *)(r1 + 0) = 1\n    r0 = 0\n    exit\n", &o,
		    "invalid bpf_context access off=0 size=8");
	/* the same store is fine in a SYSCALL program */
	ACCEPT_OPTS(".func main\n    *(u64 *)(r1 + 0) = 1\n    r0 = 0\n    exit\n", &o);
	o.raw_tp = false;
	REJECT_OPTS(".type raw_tracepoint\n.func main\n    r0 = 0\n    exit\n", &o, "raw_tracepoint programs are for the vm target");
}

/* 7.2's helpers in a RAW_TRACEPOINT program (raw_tp_prog_func_proto falls
 * back to bpf_base_func_proto): allowed, but the ctx is no helper memory
 * there (check_helper_mem_access: PTR_TO_CTX only where
 * is_var_ctx_off_allowed, SYSCALL programs). */
TEST(check_raw_tp_helpers_but_ctx_is_no_helper_memory)
{
	struct cf_check_opts o = maps_opts();
	const char *ctx_buf = "  r6 = r1\n  r1 = r6\n  r2 = 8\n  r3 = 0\n  r4 = r10\n  r4 += -8\n  call bpf_strtol\n"
			      "  r0 = 0\n  exit\n";
	char p[512];

	o.raw_tp = o.kernel_paths = true;
	o.max_frames = CF_MAX_FRAMES;
	o.model_callees = false;
	ACCEPT_OPTS(".type raw_tracepoint\n.func main, 1, stack=16\n  *(u64 *)(r10 - 16) = 0x31\n  r1 = r10\n"
		    "  r1 += -16\n  r2 = 1\n  r3 = 0\n  r4 = r10\n  r4 += -8\n  call bpf_strtol\n"
		    "  call bpf_get_smp_processor_id\n  exit\n",
		    &o);
	snprintf(p, sizeof(p), ".func main, 1, stack=8\n%s", ctx_buf);
	ACCEPT_OPTS(p, &o);
	snprintf(p, sizeof(p), ".type raw_tracepoint\n.func main, 1, stack=8\n%s", ctx_buf);
	REJECT_OPTS(p, &o, "R1 type=ctx expected=fp");
}

/* tests/bpf/check_strings_kfuncs.c: bpf_strncmp and bpf_snprintf on a
 * read-only map's strings, and the number iterator's kfuncs, in the
 * checker (docs/kernel-paths.md "Strings", "Kfuncs"): the rules of
 * kernel/bpf/verifier.c check_arg_const_str, check_bpf_snprintf_call,
 * process_iter_arg, process_iter_next_call, check_reference_leak, with
 * their wording, and the project rules beside them. */
#include "tests/bpf/check_util.h"

static void kernel_opts(struct cf_check_opts *o)
{
	cf_check_opts_default(o);
	o->kernel_paths = true;
	o->model_callees = false;
	o->maps = true;
	o->kfuncs = true;
	o->max_frames = CF_MAX_FRAMES;
}

/* "abc\0%d%s\0": a string at 0, a format at 4 */
#define STR_MAP ".map s, array, key=4, value=16, entries=1, rdonly=616263002564257300\n"
#define RW_MAP ".map w, array, key=4, value=16, entries=1\n"
/* eight 'a', no NUL */
#define NONUL_MAP ".map n, array, key=4, value=8, entries=1, rdonly=6161616161616161\n"

/* r0 is folded to its sign, the only part of strncmp's result two
 * kernels agree on (tests/e2e/vm_verdicts.sh runs these programs) */
#define STRNCMP(map_ref)                                                                        \
	".func main, 1, stack=8\n  *(u64 *)(r10 - 8) = 0x646261\n  r1 = r10\n  r1 += -8\n  r2 = 3\n" \
	"  r3 = " map_ref "\n  call bpf_strncmp\n  r1 = r0\n  r1 s>>= 63\n  r0 = -r0\n  r0 >>= 63\n"  \
	"  r0 |= r1\n  exit\n"

TEST(strncmp_takes_a_read_only_maps_string)
{
	struct cf_check_opts k;

	kernel_opts(&k);
	ACCEPT_OPTS(STR_MAP STRNCMP("map[s][0]+0 ll"), &k);
	/* any offset with a NUL before the value's end */
	ACCEPT_OPTS(STR_MAP STRNCMP("map[s][0]+15 ll"), &k);
	/* check_arg_const_str: bpf_map_is_rdonly, the NUL, the type */
	REJECT_OPTS(RW_MAP STRNCMP("map[w][0]+0 ll"), &k, "R3 does not point to a readonly map'");
	REJECT_OPTS(NONUL_MAP STRNCMP("map[n][0]+2 ll"), &k, "string is not zero-terminated");
	REJECT_OPTS(".func main, 1, stack=16\n  *(u64 *)(r10 - 8) = 0x646261\n  *(u64 *)(r10 - 16) = 0\n"
		    "  r1 = r10\n  r1 += -8\n  r2 = 3\n  r3 = r10\n  r3 += -16\n  call bpf_strncmp\n  exit\n",
		    &k, "R3 type=fp expected=map_value");
	/* s1 is ARG_PTR_TO_MEM | MEM_RDONLY with ARG_CONST_SIZE: initialized, size >= 1 */
	REJECT_OPTS(STR_MAP ".func main, 1, stack=16\n  *(u64 *)(r10 - 8) = 1\n  r1 = r10\n  r1 += -16\n  r2 = 9\n"
			    "  r3 = map[s][0]+0 ll\n  call bpf_strncmp\n  exit\n",
		    &k, "invalid indirect read from stack");
	/* without kernel_paths there is no bpf_strncmp */
	k.kernel_paths = false;
	REJECT_OPTS(STR_MAP STRNCMP("map[s][0]+0 ll"), &k, "invalid func unknown#182");
}

TEST(read_only_map_takes_no_write)
{
	struct cf_check_opts k;

	kernel_opts(&k);
	/* reads are fine (the verifier even knows their values) */
	ACCEPT_OPTS(STR_MAP ".func main\n  r1 = map[s][0]+0 ll\n  r0 = *(u8 *)(r1 + 2)\n  exit\n", &k);
	REJECT_OPTS(STR_MAP ".func main\n  r1 = map[s][0]+0 ll\n  *(u8 *)(r1 + 2) = 0\n  r0 = 0\n  exit\n", &k,
		    "write into map forbidden, value_size=16 off=2 size=1");
	REJECT_OPTS(STR_MAP ".func main, 1, stack=24\n  *(u32 *)(r10 - 4) = 0\n  *(u64 *)(r10 - 24) = 0\n"
			    "  *(u64 *)(r10 - 16) = 0\n  r1 = map[s] ll\n  r2 = r10\n  r2 += -4\n  r3 = r10\n  r3 += -24\n"
			    "  r4 = 0\n  call bpf_map_update_elem\n  exit\n",
		    &k, "write into map forbidden");
	/* a lookup's value of a read-only map is read-only too */
	REJECT_OPTS(STR_MAP ".func main, 1, stack=8\n  *(u32 *)(r10 - 4) = 0\n  r1 = map[s] ll\n  r2 = r10\n"
			    "  r2 += -4\n  call bpf_map_lookup_elem\n  if r0 == 0 goto out\n  *(u8 *)(r0 + 0) = 1\n"
			    "out:\n  r0 = 0\n  exit\n",
		    &k, "write into map forbidden");
}

/* bpf_snprintf(str at fp-32, 16, "%d%s" at map offset 4, data at fp-16, 16) */
#define SNPRINTF_HEAD STR_MAP ".func main, 1, stack=32\n  *(u64 *)(r10 - 32) = 0\n  *(u64 *)(r10 - 24) = 0\n"
#define SNPRINTF_CALL(data_len)                                                                       \
	"  r1 = r10\n  r1 += -32\n  r2 = 16\n  r3 = map[s][0]+4 ll\n  r4 = r10\n  r4 += -16\n  r5 = " data_len \
	"\n  call bpf_snprintf\n  exit\n"
#define SNPRINTF_ARGS "  *(u64 *)(r10 - 16) = -5\n  r1 = map[s][0]+0 ll\n  *(u64 *)(r10 - 8) = r1\n"

TEST(snprintf_format_and_arguments)
{
	struct cf_check_opts k;

	kernel_opts(&k);
	ACCEPT_OPTS(SNPRINTF_HEAD SNPRINTF_ARGS SNPRINTF_CALL("16"), &k);
	/* check_bpf_snprintf_call: data_len a multiple of 8 */
	REJECT_OPTS(SNPRINTF_HEAD SNPRINTF_ARGS SNPRINTF_CALL("12"), &k, "is not a multiple of 8");
	/* bpf_bprintf_prepare: two conversions want two arguments */
	REJECT_OPTS(SNPRINTF_HEAD SNPRINTF_ARGS SNPRINTF_CALL("8"), &k, "Invalid format string");
	/* project rules: %s gets a read-only map's string, %d no address */
	REJECT_OPTS(SNPRINTF_HEAD "  *(u64 *)(r10 - 16) = -5\n  *(u64 *)(r10 - 8) = 7\n" SNPRINTF_CALL("16"), &k,
		    "argument 2 (%s) is not the address of a read-only map's string");
	REJECT_OPTS(SNPRINTF_HEAD "  r1 = map[s][0]+0 ll\n  *(u64 *)(r10 - 16) = r1\n  *(u64 *)(r10 - 8) = r1\n"
			    SNPRINTF_CALL("16"),
		    &k, "argument 1 holds a pointer");
	/* str must be initialized first (project rule; root may skip it) */
	REJECT_OPTS(STR_MAP ".func main, 1, stack=32\n" SNPRINTF_ARGS SNPRINTF_CALL("16"), &k,
		    "invalid indirect read from stack R1");
	/* NULL with size 0 is fine, NULL with a size is not */
	ACCEPT_OPTS(STR_MAP ".func main\n  r1 = 0\n  r2 = 0\n  r3 = map[s][0]+0 ll\n  r4 = 0\n  r5 = 0\n"
			    "  call bpf_snprintf\n  exit\n",
		    &k);
	REJECT_OPTS(STR_MAP ".func main\n  r1 = 0\n  r2 = 8\n  r3 = map[s][0]+0 ll\n  r4 = 0\n  r5 = 0\n"
			    "  call bpf_snprintf\n  exit\n",
		    &k, "R1 is NULL with size 8");
	/* %p prints an address: never */
	REJECT_OPTS(".map p, array, key=4, value=8, entries=1, rdonly=257000\n.func main, 1, stack=8\n"
		    "  *(u64 *)(r10 - 8) = 0\n  r1 = 0\n  r2 = 0\n  r3 = map[p][0]+0 ll\n  r4 = r10\n  r4 += -8\n"
		    "  r5 = 8\n  call bpf_snprintf\n  exit\n",
		    &k, "%p");
	/* the str bytes are written: readable afterwards */
	ACCEPT_OPTS(SNPRINTF_HEAD SNPRINTF_ARGS "  r1 = r10\n  r1 += -32\n  r2 = 16\n  r3 = map[s][0]+4 ll\n  r4 = r10\n"
					    "  r4 += -16\n  r5 = 16\n  call bpf_snprintf\n  r0 = *(u64 *)(r10 - 32)\n  exit\n",
		    &k);
}

/* what the kernel's prepare pass takes (bpf/bprintf.c) */
TEST(bprintf_parse_follows_bpf_bprintf_prepare)
{
	struct cf_bprintf f;
	char why[160];
#define P(s, n) cf_bprintf_parse((const uint8_t *)(s), sizeof(s), (n), &f, why, sizeof(why))

	CHECK_EQ(P("%d %i %u %x %X", 5), 0);
	CHECK_EQ(f.nconv, 5);
	CHECK_EQ(f.conv[4], CF_BPRINTF_NUM32);
	CHECK_EQ(P("%ld %lld %-08llx", 3), 0);
	CHECK_EQ(f.nconv, 3);
	CHECK_EQ(f.conv[0], CF_BPRINTF_NUM64);
	CHECK_EQ(f.conv[2], CF_BPRINTF_NUM64);
	CHECK_EQ(P("%5c%s.%%", 2), 0);
	CHECK_EQ(f.nconv, 2);
	CHECK_EQ(f.conv[0], CF_BPRINTF_CHAR);
	CHECK_EQ(f.conv[1], CF_BPRINTF_STR);
	CHECK_EQ(P("%pK %pi4 %ps", 3), 0);
	CHECK_EQ(f.conv[1], CF_BPRINTF_PTR);
	CHECK_EQ(P("caf\xc3\xa9", 0), 0); /* UTF-8 text passes */
	CHECK_EQ(P("%s\xa1", 1), 0);      /* 0xa1 is punctuation in lib/ctype.c */
	CHECK_EQ(P("%d", 0), -1);         /* more conversions than arguments */
	CHECK_CONTAINS(why, "more conversions");
	CHECK_EQ(P("%sa", 1), -1);        /* %s followed by a letter */
	CHECK_EQ(P("%s\xc0", 1), -1);     /* 0xc0 is a letter */
	CHECK_EQ(P("%.3d", 1), -1);       /* no precision */
	CHECK_EQ(P("%hd", 1), -1);        /* no h */
	CHECK_EQ(P("%llld", 1), -1);
	CHECK_EQ(P("%\xc3", 1), -1);      /* non-ASCII after % */
	CHECK_EQ(P("a\x01", 0), -1);      /* a control byte */
	CHECK_EQ(P("a\x7f", 0), -1);
	CHECK_EQ(P("a\tb\n", 0), 0);      /* white space is not */
	CHECK_EQ(P("%pX", 1), -1);
	CHECK_EQ(cf_bprintf_parse((const uint8_t *)"abcd", 4, 0, &f, why, sizeof(why)), -1); /* no NUL */
#undef P
}

/* bpf_iter_num over fp-8: new(0, 3), a loop of next, destroy */
#define ITER_NEW "  r1 = r10\n  r1 += -8\n  r2 = 0\n  r3 = 3\n  call kfunc bpf_iter_num_new\n"
#define ITER_NEXT "  r1 = r10\n  r1 += -8\n  call kfunc bpf_iter_num_next\n"
#define ITER_DESTROY "  r1 = r10\n  r1 += -8\n  call kfunc bpf_iter_num_destroy\n"
#define ITER_LOOP \
	"  r6 = 0\n" ITER_NEW "head:\n" ITER_NEXT "  if r0 == 0 goto out\n  r1 = *(u32 *)(r0 + 0)\n  r6 += r1\n" \
	"  goto head\nout:\n" ITER_DESTROY

TEST(number_iterator_rules)
{
	struct cf_check_opts k;

	kernel_opts(&k);
	ACCEPT_OPTS(".func main, 1, stack=8\n" ITER_LOOP "  r0 = r6\n  exit\n", &k);
	/* kfuncs only where the kernel's BTF has them */
	k.kfuncs = false;
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_LOOP "  r0 = r6\n  exit\n", &k,
		    "calling kernel function bpf_iter_num_new is not allowed");
	kernel_opts(&k);
	/* process_iter_arg: is_iter_reg_valid_init / _uninit, the slot */
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_NEXT "  r0 = 0\n  exit\n", &k,
		    "expected an initialized iter_num as R1");
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_NEW ITER_NEW ITER_DESTROY "  r0 = 0\n  exit\n", &k,
		    "expected uninitialized iter_num as R1");
	REJECT_OPTS(".func main, 1, stack=16\n  r1 = r10\n  r1 += -12\n  r2 = 0\n  r3 = 3\n"
		    "  call kfunc bpf_iter_num_new\n  r0 = 0\n  exit\n",
		    &k, "cannot pass in iter at an offset=-12");
	REJECT_OPTS(".func main\n  r2 = 0\n  r3 = 1\n  call kfunc bpf_iter_num_new\n  r0 = 0\n  exit\n", &k,
		    "R1 expected pointer to an iterator on stack");
	/* check_reference_leak: destroyed before the exit */
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_NEW "  r0 = 0\n  exit\n", &k, "Unreleased reference");
	REJECT_OPTS(".func main, 1, stack=8\n  call f\n  exit\n.func f, 0, stack=8\n" ITER_NEW "  r0 = 0\n  exit\n",
		    &k, "Unreleased reference");
	/* the iterator's slot is no data: not read, not written (project rule) */
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_NEW "  r0 = *(u64 *)(r10 - 8)\n" ITER_DESTROY "  r0 = 0\n  exit\n",
		    &k, "invalid read from stack off -8+0 size 8");
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_NEW "  *(u32 *)(r10 - 8) = 1\n" ITER_DESTROY "  r0 = 0\n  exit\n",
		    &k, "overwrites an iterator");
	/* next's int: 4 read-only bytes */
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_NEW ITER_NEXT "  if r0 == 0 goto out\n  *(u32 *)(r0 + 0) = 1\n"
		    "out:\n" ITER_DESTROY "  r0 = 0\n  exit\n",
		    &k, "R0 cannot write into rdonly_mem");
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_NEW ITER_NEXT "  if r0 == 0 goto out\n  r1 = *(u32 *)(r0 + 4)\n"
		    "out:\n" ITER_DESTROY "  r0 = 0\n  exit\n",
		    &k, "invalid access to memory, mem_size=4 off=4 size=4");
	/* KF_RET_NULL: used before the NULL test, the drained side faults */
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_NEW ITER_NEXT "  r1 = *(u32 *)(r0 + 0)\n" ITER_DESTROY
		    "  r0 = 0\n  exit\n",
		    &k, "R0 invalid mem access 'scalar'");
	/* unrolled: the second next is walked both ways too, so what only
	 * its non-NULL side reaches is checked */
	ACCEPT_OPTS(".func main, 1, stack=8\n" ITER_NEW ITER_NEXT "  if r0 == 0 goto out\n" ITER_NEXT
		    "  if r0 == 0 goto out\n  r1 = *(u32 *)(r0 + 0)\nout:\n" ITER_DESTROY "  r0 = 0\n  exit\n",
		    &k);
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_NEW ITER_NEXT "  if r0 == 0 goto out\n" ITER_NEXT
		    "  if r0 == 0 goto out\n  r1 = *(u32 *)(r0 + 2)\nout:\n" ITER_DESTROY "  r0 = 0\n  exit\n",
		    &k, "invalid access to memory, mem_size=4 off=2 size=4");
	/* a loop's body is walked (once): its faults show */
	REJECT_OPTS(".func main, 1, stack=8\n  r6 = 0\n" ITER_NEW "head:\n" ITER_NEXT "  if r0 == 0 goto out\n"
		    "  r1 = *(u64 *)(r0 + 0)\n  goto head\nout:\n" ITER_DESTROY "  r0 = 0\n  exit\n",
		    &k, "invalid access to memory, mem_size=4 off=0 size=8");
	/* destroy kills the pointers into the iterator */
	REJECT_OPTS(".func main, 1, stack=8\n" ITER_NEW ITER_NEXT "  if r0 == 0 goto out\n  r6 = r0\n" ITER_DESTROY
		    "  r0 = *(u32 *)(r6 + 0)\n  exit\nout:\n" ITER_DESTROY "  r0 = 0\n  exit\n",
		    &k, "R6 !read_ok");
}

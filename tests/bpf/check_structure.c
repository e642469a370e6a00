/* tests/bpf/check_structure.c: the structural rules of the checker
 * (check_subprogs, check_cfg, check_max_stack_depth, opcode fields). */
#include "tests/bpf/check_util.h"

#include <stdlib.h>

/* A one-function program built from raw instructions (for encodings the
 * text format cannot express). */
static int check_raw(const struct bpf_insn *insns, int n, const struct cf_check_opts *o,
		     struct cf_err *err)
{
	struct cf_prog p;
	struct cf_func *f;
	int r;

	cf_prog_init(&p);
	f = cf_prog_add_func(&p, "main", 1, false);
	for (int k = 0; k < n; k++)
		cf_func_emit(f, insns[k], 0);
	cf_prog_derive_stack(&p);
	r = cf_check(&p, o, err);
	cf_prog_free(&p);
	return r;
}

#define MOV0 cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0)
#define EXIT cf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static void raw_reject(struct bpf_insn bad, const char *needle)
{
	struct bpf_insn prog[3] = { MOV0, bad, EXIT };
	struct cf_err err;

	if (check_raw(prog, 3, NULL, &err) == 0)
		CHECK_MSG(false, "insn %02x accepted, expected %s", bad.code, needle);
	else
		CHECK_CONTAINS(err.msg, needle);
}

TEST(reserved_fields_and_unknown_opcodes)
{
	struct bpf_insn ok[3] = { MOV0, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 1), EXIT };
	struct cf_err err;

	CHECK_MSG(check_raw(ok, 3, NULL, &err) == 0, "%s", err.msg);
	raw_reject(cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, 0, 3, 0, 1), "BPF_ALU uses reserved fields");
	raw_reject(cf_insn(BPF_ALU64 | BPF_ADD | BPF_X, 0, 0, 0, 7), "BPF_ALU uses reserved fields");
	raw_reject(cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 2, 1), "BPF_ALU uses reserved fields");
	raw_reject(cf_insn(BPF_ALU64 | BPF_MOV | BPF_X, 0, 0, 4, 0), "BPF_MOV uses reserved fields");
	raw_reject(cf_insn(BPF_ALU64 | BPF_NEG, 0, 0, 0, 1), "BPF_NEG uses reserved fields");
	raw_reject(cf_insn(BPF_ALU | BPF_END | BPF_TO_BE, 0, 0, 0, 8), "BPF_END uses reserved fields");
	raw_reject(cf_insn(BPF_ALU64 | 0xe0 | BPF_K, 0, 0, 0, 1), "invalid BPF_ALU opcode e0");
	raw_reject(cf_insn(BPF_ALU64 | BPF_LSH | BPF_K, 0, 0, 0, 64), "invalid shift 64");
	raw_reject(cf_insn(BPF_ALU | BPF_LSH | BPF_K, 0, 0, 0, 32), "invalid shift 32");
	raw_reject(cf_insn(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 0, 0), "div by zero");
	raw_reject(cf_insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0, 0), "BPF_JMP/JMP32 uses reserved fields");
	raw_reject(cf_insn(BPF_JMP | 0xe0, 0, 0, 0, 0), "unknown opcode e5");
	raw_reject(cf_insn(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0), "unknown opcode 20");
	raw_reject(cf_insn(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, -8, 1), "BPF_LDX uses reserved fields");
	raw_reject(cf_insn(BPF_ST | BPF_MEM | BPF_DW, 10, 1, -8, 1), "BPF_ST uses reserved fields");
	raw_reject(cf_insn(BPF_STX | BPF_MEM | BPF_DW, 10, 0, -8, 1), "BPF_STX uses reserved fields");
	raw_reject(cf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, 10, 0, -8, 0x55), "invalid atomic opcode");
	raw_reject(cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, 12, 0, 0, 0), "R12 is invalid");
	raw_reject(cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, 10, 0, 0, 0), "frame pointer is read only");
	raw_reject(cf_insn(BPF_JMP | BPF_CALL, 0, 7, 0, 1000), "BPF_CALL uses reserved fields");
}

TEST(jumps_and_fallthrough)
{
	struct bpf_insn out_of_range[3] = { MOV0, cf_insn(BPF_JMP | BPF_JA, 0, 0, 3, 0), EXIT };
	struct cf_err err;

	ACCEPT(".func main\n  r0 = 0\n  if r0 == 0 goto +1\n  r0 = 1\n  exit\n");
	CHECK(check_raw(out_of_range, 3, NULL, &err) != 0);
	CHECK_CONTAINS(err.msg, "func main insn 1: jump out of range from insn 1 to 5");
	REJECT(".func main\n  r0 = 0\n  goto +1\n  r2 = 0x1122334455667788 ll\n  exit\n",
	       "jump into the middle of ldimm64 insn 2");
	REJECT(".func main\n  r0 = 0\n  exit\n  r0 = 1\n  exit\n", "func main insn 2: unreachable insn 2");
	ACCEPT(".func main\n  r0 = 0\n  call f\n  exit\n.func f, 0\n  r0 = 1\n  goto out\nout:\n  exit\n");
}

TEST(fall_through_off_the_end)
{
	struct bpf_insn prog[2] = { MOV0, cf_insn(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 1) };
	struct cf_err err;

	CHECK(check_raw(prog, 2, NULL, &err) != 0);
	CHECK_CONTAINS(err.msg, "func main insn 1: last insn is not an exit or jmp");
}

TEST(uncalled_function_is_unreachable)
{
	REJECT(".func main\n  r0 = 0\n  exit\n.func lonely, 0\n  r0 = 1\n  exit\n",
	       "func lonely insn 0: unreachable insn 2");
}

TEST(recursion)
{
	REJECT(".func main\n  call f\n  exit\n.func f, 0\n  call f\n  exit\n",
	       "func f insn 0: recursive call to f");
	REJECT(".func main\n  call a\n  exit\n.func a, 0\n  call b\n  exit\n.func b, 0\n"
	       "  r0 = 0\n  if r0 == 1 goto again\n  exit\nagain:\n  call a\n  exit\n",
	       "func b insn 3: recursive call to a");
}

/* A chain main -> f1 -> ... -> f(n-1): n frames. */
static char *chain_text(int frames)
{
	size_t cap = 4096;
	char *t = malloc(cap);
	int len = snprintf(t, cap, ".func main\n  call f1\n  exit\n");

	for (int k = 1; k < frames; k++) {
		if (k + 1 < frames)
			len += snprintf(t + len, cap - len, ".func f%d, 0\n  call f%d\n  exit\n", k, k + 1);
		else
			len += snprintf(t + len, cap - len, ".func f%d, 0\n  r0 = 1\n  exit\n", k);
	}
	return t;
}

TEST(call_depth_8_frames)
{
	char *ok = chain_text(8), *bad = chain_text(9);

	ACCEPT(ok);
	REJECT(bad, "func f7 insn 0: the call stack of 9 frames is too deep");
	free(ok);
	free(bad);
}

/* 7.2: MAX_CALL_FRAMES 16 (include/linux/bpf_verifier.h), for the vm
 * target's kernel profile. */
TEST(call_depth_16_frames_kernel)
{
	char *ok = chain_text(16), *bad = chain_text(17);
	struct cf_check_opts o;

	cf_check_opts_default(&o);
	o.max_frames = CF_MAX_FRAMES;
	ACCEPT_OPTS(ok, &o);
	REJECT_OPTS(bad, &o, "func f15 insn 0: the call stack of 17 frames is too deep");
	free(ok);
	free(bad);
}

/* check_max_stack_depth adds round_up(stack_depth, 16) per frame (JIT). */
TEST(combined_stack_512)
{
	ACCEPT(".func main, 1, stack=256\n  r0 = 0\n  *(u64 *)(r10 - 256) = r0\n  call f\n  exit\n"
	       ".func f, 0, stack=256\n  r0 = 0\n  *(u64 *)(r10 - 8) = r0\n  exit\n");
	REJECT(".func main, 1, stack=256\n  r0 = 0\n  call f\n  exit\n"
	       ".func f, 0, stack=272\n  r0 = 0\n  exit\n",
	       "func main insn 1: combined stack size of 2 calls is 528. Too large");
	/* 8 + 504 = 512 bytes, but 8 rounds up to 16 */
	REJECT(".func main, 1, stack=8\n  r0 = 0\n  call f\n  exit\n"
	       ".func f, 0, stack=504\n  r0 = 0\n  exit\n", "combined stack size of 2 calls is 528");
	/* eight frames of 64 bytes */
	{
		char *t = chain_text(8);
		char *d = malloc(strlen(t) + 256);
		const char *src = t;
		char *out = d;

		/* give every function stack=64 */
		while (*src) {
			const char *nl = strchr(src, '\n');
			size_t n = nl ? (size_t)(nl - src) : strlen(src);

			memcpy(out, src, n);
			out += n;
			if (!strncmp(src, ".func", 5))
				out += sprintf(out, "%s, stack=64", strncmp(src, ".func main", 10) ? "" : ", 1");
			*out++ = '\n';
			src += n + (nl ? 1 : 0);
		}
		*out = 0;
		ACCEPT(d);
		free(t);
		free(d);
	}
}

TEST(unknown_helpers_and_kfuncs)
{
	struct cf_check_opts o;
	struct bpf_insn kf[3] = { MOV0, cf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 77), EXIT };
	struct cf_err err;

	REJECT(".func main\n  call 99\n  exit\n", "func main insn 0: invalid func unknown#99");
	CHECK(check_raw(kf, 3, NULL, &err) != 0);
	CHECK_CONTAINS(err.msg, "kernel btf_id 77 is not a function");
	cf_check_opts_default(&o);
	o.model_callees = false;
	REJECT_OPTS(".func main\n  r1 = 1\n  r2 = 2\n  r3 = 3\n  r4 = 4\n  r5 = 5\n  call trace\n  exit\n",
		    &o, "invalid func unknown#1000");
	REJECT_OPTS(".func main\n  r1 = 1\n  r2 = 2\n  r3 = 3\n  r4 = 4\n  r5 = 5\n"
		    "  *(u64 *)(r11 - 8) = 6\n  call kfunc kf_args6\n  exit\n",
		    &o, "calling kernel function kf_args6 is not allowed");
	ACCEPT(".func main\n  r1 = 1\n  r2 = 2\n  r3 = 3\n  r4 = 4\n  r5 = 5\n  call trace\n  exit\n");
}

/* tests/bpf/check_kernel_paths.c: the kernel profile's paths in the checker
 * (docs/kernel-paths.md): kernel helpers and their argument rules
 * (bpf_func_proto in kernel/bpf/helpers.c), may_goto (check_cond_jmp_op),
 * all only with cf_check_opts.kernel_paths. */
#include "tests/bpf/check_util.h"

static void kernel_opts(struct cf_check_opts *o)
{
	cf_check_opts_default(o);
	o->kernel_paths = true;
	o->model_callees = false;
	o->max_frames = CF_MAX_FRAMES;
}

#define STRTOL_PROG(buf_off, len, res_off)                                                    \
	".func main, 1, stack=32\n  *(u64 *)(r10 - 16) = 0x2031\n  r1 = r10\n  r1 += " buf_off \
	"\n  r2 = " len "\n  r3 = 0\n  r4 = r10\n  r4 += " res_off "\n  call bpf_strtol\n"           \
	"  r1 = *(u64 *)(r10 - 24)\n  r0 += r1\n  exit\n"

TEST(kernel_helpers_only_with_kernel_paths)
{
	struct cf_check_opts k;

	kernel_opts(&k);
	ACCEPT_OPTS(".func main\n  call bpf_get_smp_processor_id\n  exit\n", &k);
	REJECT(".func main\n  call bpf_get_smp_processor_id\n  exit\n", "invalid func unknown#8");
	/* and the model's helpers are not the kernel's */
	REJECT_OPTS(".func main\n  r1 = 1\n  r2 = 2\n  r3 = 3\n  r4 = 4\n  r5 = 5\n  call trace\n  exit\n", &k,
		    "invalid func unknown#1000");
}

TEST(strtol_arguments)
{
	struct cf_check_opts k;

	kernel_opts(&k);
	/* res: 8 uninitialized aligned stack bytes become a scalar */
	ACCEPT_OPTS(STRTOL_PROG("-16", "2", "-24"), &k);
	/* buf must be initialized (ARG_PTR_TO_MEM | MEM_RDONLY) */
	REJECT_OPTS(STRTOL_PROG("-24", "8", "-32"), &k, "invalid indirect read from stack");
	/* ARG_CONST_SIZE: a known constant, at least 1 */
	REJECT_OPTS(STRTOL_PROG("-16", "0", "-24"), &k, "invalid memory size 0");
	/* MEM_ALIGNED */
	REJECT_OPTS(STRTOL_PROG("-16", "2", "-28"), &k, "misaligned stack access off -28 size 8");
	/* res points to the stack, not ctx (we take the stack only) */
	REJECT_OPTS(".func main, 1, stack=16\n  *(u64 *)(r10 - 16) = 0x31\n  r4 = r1\n  r1 = r10\n  r1 += -16\n"
		    "  r2 = 1\n  r3 = 0\n  call bpf_strtoul\n  exit\n",
		    &k, "R4 type=ctx expected=fp");
}

TEST(may_goto_both_ways)
{
	struct cf_check_opts k;
	const char *p = ".func main\n  r0 = 0\n  may_goto out\n  r0 = 1\nout:\n  exit\n";

	kernel_opts(&k);
	ACCEPT_OPTS(p, &k);
	REJECT(p, "unknown opcode e5");
	/* the jump path is walked too: r2 is uninitialized there */
	REJECT_OPTS(".func main\n  may_goto out\n  r2 = 1\nout:\n  r0 = r2\n  exit\n", &k, "R2 !read_ok");
	REJECT_OPTS(".func main\n  r0 = 0\n  .insn 0xe5, 0, 0, 1, 7\n  r0 = 1\n  exit\n", &k, "invalid may_goto imm 7");
	/* inside a bounded loop */
	ACCEPT_OPTS(".func main\n  r0 = 0\n  r6 = 0\nhead:\n  may_goto skip\n  r0 += 3\nskip:\n  r6 += 1\n"
		    "  if r6 < 4 goto head\n  exit\n", &k);
}

TEST(bpf_loop_callback_rules)
{
	struct cf_check_opts k;
	const char *head = ".func main, 1, stack=8\n  *(u64 *)(r10 - 8) = 0\n  r1 = 2\n  r2 = cb ll\n  r3 = r10\n"
			   "  r3 += -8\n  r4 = 0\n  call 181\n  exit\n";
	char text[512];

	kernel_opts(&k);
	snprintf(text, sizeof(text), "%s.func cb, 2\n  r0 = *(u64 *)(r2 + 0)\n  r0 &= 1\n  exit\n", head);
	ACCEPT_OPTS(text, &k);
	/* set_loop_callback_state: r3..r5 are not readable in the callback */
	snprintf(text, sizeof(text), "%s.func cb, 2\n  r0 = r3\n  r0 &= 1\n  exit\n", head);
	REJECT_OPTS(text, &k, "R3 !read_ok");
	/* callback_ret_range [0, 1] */
	snprintf(text, sizeof(text), "%s.func cb, 2\n  r0 = 2\n  exit\n", head);
	REJECT_OPTS(text, &k, "At callback return the register R0");
	/* the address of a function is a pointer: never observable */
	REJECT_OPTS(".func main\n  r0 = cb ll\n  exit\n.func cb, 2\n  r0 = 0\n  exit\n", &k, "R0 leaks addr");
	/* ARG_PTR_TO_FUNC */
	REJECT_OPTS(".func main\n  r1 = 1\n  r2 = 0\n  r3 = 0\n  r4 = 0\n  call 181\n  exit\n", &k,
		    "R2 type=scalar expected=func");
	/* without kernel_paths there is no callback */
	REJECT(".func main\n  r0 = cb ll\n  r0 = 0\n  exit\n.func cb, 2\n  r0 = 0\n  exit\n",
	       "unrecognized bpf_ld_imm64 insn");
}

// SPDX-License-Identifier: GPL-2.0
/*
 * A valid program that Linux 7.2.13 rejects with "slot poisoned by dead
 * code elimination": the static stack liveness (kernel/bpf/liveness.c)
 * takes the func_instance of another call chain for a frame whose
 * callsite is reached at two depths (README.md next to this file).
 * The same test is added to verifier_live_stack.c by
 * 0002-selftests-bpf-*.patch; this copy stands alone.
 */

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpf_misc.h"

char _license[] SEC("license") = "GPL";

/*
 * Subprog analysis starts at two_depths_root (it gets no stack pointer
 * from its caller), so two_depths_read has the instances (d2,cs) and
 * (d3,cs) for the same callsite in two_depths_shared: one through
 * root -> mid -> shared and one through root -> shared. The verifier
 * reaches the second at frame 3, which is the depth of the first. The
 * read must use the instance of its own call chain: fp-8 of the root's
 * frame is read there, so it must not be poisoned.
 */
SEC("socket")
__success
__retval(1)
__naked void stack_ptr_callsite_at_two_depths(void)
{
	asm volatile (
	"call two_depths_root;"
	"exit;"
	::: __clobber_all);
}

static __used __naked void two_depths_root(void)
{
	asm volatile (
	"*(u64 *)(r10 - 8) = 1;"
	"r1 = r10;"
	"call two_depths_mid;"
	"r1 = r10;"
	"call two_depths_shared;"
	"exit;"
	::: __clobber_all);
}

static __used __naked void two_depths_mid(void)
{
	asm volatile (
	"call two_depths_shared;"
	"exit;"
	::: __clobber_all);
}

static __used __naked void two_depths_shared(void)
{
	asm volatile (
	"call two_depths_read;"
	"exit;"
	::: __clobber_all);
}

static __used __naked void two_depths_read(void)
{
	asm volatile (
	"r0 = *(u64 *)(r1 - 8);"
	"exit;"
	::: __clobber_all);
}

/* tests/selftest/bpf_misc.h: a small stand-in for the kernel's
 * tools/testing/selftests/bpf/progs/bpf_misc.h, enough to compile the
 * selftest.c that `callfuzz min` writes (clang-19 -target bpf -O2 -g -c).
 * Our own definitions with the same meaning: test_loader reads the
 * expectations from BTF decl tags named "comment:...". In the kernel tree
 * the real header replaces this one. */
#ifndef CALLFUZZ_SELFTEST_BPF_MISC_H
#define CALLFUZZ_SELFTEST_BPF_MISC_H

#define __CALLFUZZ_STR(x) #x
#define __CALLFUZZ_XSTR(x) __CALLFUZZ_STR(x)

#define __description(desc) __attribute__((btf_decl_tag("comment:test_description=" desc)))
#define __success __attribute__((btf_decl_tag("comment:test_expect_success")))
#define __failure __attribute__((btf_decl_tag("comment:test_expect_failure")))
#define __retval(val) __attribute__((btf_decl_tag("comment:test_retval=" __CALLFUZZ_XSTR(val))))
/* the kernel flavour's: test_loader takes the parameter names of __naked
 * subprograms from this object's BTF */
#define __btf_func_path(path) __attribute__((btf_decl_tag("comment:test_btf_func_path=" path)))
/* a program test_loader loads with the test and does not test by itself
 * (the kernel flavour's tail-call targets) */
#define __auxiliary __attribute__((btf_decl_tag("comment:test_auxiliary")))

#define __naked __attribute__((naked))
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __used
#define __used __attribute__((used))
#endif

/* inline-asm operands and clobbers */
#define __imm(name) [name] "i"(name)
/* a map or global variable: its address, which libbpf relocates */
#define __imm_addr(name) [name] "i"(&name)
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"

#endif

/* tests/bpf/check_util.h: run the checker on a text program (docs/asm.md)
 * and assert its verdict. Expected messages are the kernel's wording
 * (kernel/bpf/verifier.c, selftests progs/verifier_stack_arg*.c). */
#ifndef CALLFUZZ_TESTS_BPF_CHECK_UTIL_H
#define CALLFUZZ_TESTS_BPF_CHECK_UTIL_H

#include "bpf/bpf.h"
#include "tests/test.h"

#include <stdio.h>

/* 0 accepted, 1 rejected, 2 the text does not parse; msg says why. */
static inline int check_text(const char *text, const struct cf_check_opts *opts, char *msg,
			     size_t msglen)
{
	struct cf_check_opts def;
	struct cf_prog prog;
	struct cf_err err;
	int ret;

	if (!opts) {
		cf_check_opts_default(&def);
		opts = &def;
	}
	if (cf_asm_parse(text, strlen(text), "test.s", &prog, &err)) {
		snprintf(msg, msglen, "parse error: %s", err.msg);
		return 2;
	}
	ret = cf_check(&prog, opts, &err) ? 1 : 0;
	snprintf(msg, msglen, "%s", ret ? err.msg : "accepted");
	cf_prog_free(&prog);
	return ret;
}

#define ACCEPT_OPTS(text, opts)                                                       \
	do {                                                                          \
		char m_[600];                                                         \
		int r_ = check_text((text), (opts), m_, sizeof(m_));                  \
		CHECK_MSG(r_ == 0, "expected accepted, got: %s", m_);                 \
	} while (0)

#define REJECT_OPTS(text, opts, needle)                                               \
	do {                                                                          \
		char m_[600];                                                         \
		int r_ = check_text((text), (opts), m_, sizeof(m_));                  \
		CHECK_MSG(r_ == 1, "expected rejected (%s), got: %s", (needle), m_);  \
		if (r_ == 1)                                                          \
			CHECK_CONTAINS(m_, (needle));                                 \
	} while (0)

#define ACCEPT(text) ACCEPT_OPTS(text, NULL)
#define REJECT(text, needle) REJECT_OPTS(text, NULL, needle)

#endif

/* harness/executor/callees.h: the helper/kfunc entry points of the executor
 * and the table the handshake sends to the host. */
#ifndef CALLFUZZ_EXECUTOR_CALLEES_H
#define CALLFUZZ_EXECUTOR_CALLEES_H

#include <stdint.h>

#include "bpf/bpf.h"

struct ex_callee {
	int32_t id;
	uint32_t kfunc;
	uintptr_t addr;
};

extern const struct ex_callee ex_callees[];
extern const int ex_ncallees;

/* The trace the entry points record into: the reply's, during a run. */
extern struct cf_trace *ex_cur_trace;

#endif

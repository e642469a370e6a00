/* harness/target/compare.c: one program's interpreter result against its
 * JIT+executor result, in design.md's oracle order: a run that did not
 * finish (CRASH, TIMEOUT) first, then trace events, stack snapshots, the
 * output buffer (ctx), r0, and the native ABI checks. */
#include "harness/target/target.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *mismatch_kind_name(enum mismatch_kind k)
{
	switch (k) {
	case MISMATCH_NONE: return "NONE";
	case MISMATCH_TRACE: return "TRACE";
	case MISMATCH_STACK: return "STACK";
	case MISMATCH_OUTBUF: return "OUTBUF";
	case MISMATCH_RETVAL: return "RETVAL";
	case MISMATCH_ABI: return "ABI";
	case MISMATCH_CRASH: return "CRASH";
	case MISMATCH_TIMEOUT: return "TIMEOUT";
	case MISMATCH_JIT_REJECT: return "JIT_REJECT";
	case MISMATCH_VERIFIER: return "VERIFIER";
	case MISMATCH_KERNEL: return "KERNEL";
	case MISMATCH_REPORT: return "REPORT";
	}
	return "?";
}

const char *compare_event_name(uint32_t id, char *buf, size_t size)
{
	const struct cf_callee *c = cf_callee_find(false, (int32_t)id);

	if (!c)
		c = cf_callee_find(true, (int32_t)id);
	if (c)
		snprintf(buf, size, "%s", c->name);
	else
		snprintf(buf, size, "id %u", id);
	return buf;
}

static void mismatch_init(struct mismatch *m, enum mismatch_kind kind)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->event = m->arg = m->offset = m->func = m->insn = -1;
}

void mismatch_jit_reject(struct mismatch *m, const char *jit_msg)
{
	mismatch_init(m, MISMATCH_JIT_REJECT);
	snprintf(m->place, sizeof(m->place), "%s", jit_msg);
}

static bool is_stack_event(const struct cf_event *e)
{
	return e->id == CF_HELPER_STACK_HASH;
}

/* Index of the k-th event (0-based) of the wanted class, or -1. */
static int nth_event(const struct cf_trace *t, bool stack, int k)
{
	for (uint32_t i = 0; i < t->nevents && i < CF_TRACE_MAX; i++)
		if (is_stack_event(&t->ev[i]) == stack && k-- == 0)
			return (int)i;
	return -1;
}

/* Walk the events of one class (stack snapshots or the rest) in order on
 * both sides; fill m at the first difference. */
static bool compare_events(const struct cf_trace *want, const struct cf_trace *got, bool stack,
			   struct mismatch *m)
{
	enum mismatch_kind kind = stack ? MISMATCH_STACK : MISMATCH_TRACE;
	char name[32];

	for (int k = 0;; k++) {
		int wi = nth_event(want, stack, k), gi = nth_event(got, stack, k);
		const struct cf_event *w, *g;

		if (wi < 0 && gi < 0)
			return false;
		mismatch_init(m, kind);
		if (wi < 0 || gi < 0) {
			const struct cf_event *e = wi < 0 ? &got->ev[gi] : &want->ev[wi];

			m->event = wi < 0 ? gi : wi;
			snprintf(m->place, sizeof(m->place), "%s #%d (%s) %s", stack ? "stack_hash" : "event", k,
				 compare_event_name(e->id, name, sizeof(name)),
				 wi < 0 ? "made only by the JIT" : "missing from the JIT");
			return true;
		}
		w = &want->ev[wi];
		g = &got->ev[gi];
		m->event = wi;
		if (w->id != g->id || w->nargs != g->nargs) {
			char gname[32];

			m->want = w->id;
			m->got = g->id;
			snprintf(m->place, sizeof(m->place), "event #%d: %s/%u args, JIT %s/%u args", k,
				 compare_event_name(w->id, name, sizeof(name)), w->nargs,
				 compare_event_name(g->id, gname, sizeof(gname)), g->nargs);
			return true;
		}
		for (uint32_t a = 0; a < w->nargs && a < CF_MAX_ARGS; a++) {
			if (w->args[a] == g->args[a])
				continue;
			m->arg = (int)a;
			m->want = w->args[a];
			m->got = g->args[a];
			if (stack)
				snprintf(m->place, sizeof(m->place), "stack_hash #%d %s", k, a ? "hash" : "len");
			else
				snprintf(m->place, sizeof(m->place), "event #%d (%s) arg %u", k,
					 compare_event_name(w->id, name, sizeof(name)), a + 1);
			return true;
		}
	}
}

enum mismatch_kind compare_results(const struct interp_result *ir, const struct exec_result *xr,
				   const struct jit_image *img, const struct cf_prog *p, struct mismatch *m)
{
	mismatch_init(m, MISMATCH_NONE);

	/* A run that did not finish has no comparable r0 or ctx. */
	if (xr->status == EXEC_TIMEOUT) {
		mismatch_init(m, MISMATCH_TIMEOUT);
		snprintf(m->place, sizeof(m->place), "%s", xr->detail);
		return m->kind;
	}
	if (xr->status == EXEC_CRASH) {
		mismatch_init(m, MISMATCH_CRASH);
		m->got = xr->fault_addr;
		if (img && xr->fault_pc_off >= 0 &&
		    !jit_locate(img, (uint32_t)xr->fault_pc_off, &m->func, &m->insn) && p &&
		    m->func >= 0 && m->func < p->nfuncs)
			snprintf(m->place, sizeof(m->place), "func %.40s insn %d: %.100s", p->funcs[m->func].name,
				 m->insn, xr->detail);
		else
			snprintf(m->place, sizeof(m->place), "%s", xr->detail);
		return m->kind;
	}
	if (compare_events(&ir->trace, &xr->trace, false, m) || compare_events(&ir->trace, &xr->trace, true, m))
		return m->kind;
	if (ir->trace.dropped != xr->trace.dropped) {
		mismatch_init(m, MISMATCH_TRACE);
		m->want = ir->trace.dropped;
		m->got = xr->trace.dropped;
		snprintf(m->place, sizeof(m->place), "events past the trace's %d", CF_TRACE_MAX);
		return m->kind;
	}
	mismatch_init(m, MISMATCH_NONE);
	for (int i = 0; i < CF_CTX_SIZE; i++) {
		if (ir->ctx[i] == xr->ctx[i])
			continue;
		mismatch_init(m, MISMATCH_OUTBUF);
		m->offset = i;
		m->want = ir->ctx[i];
		m->got = xr->ctx[i];
		snprintf(m->place, sizeof(m->place), "ctx[%d]", i);
		return m->kind;
	}
	if (ir->r0 != xr->r0) {
		mismatch_init(m, MISMATCH_RETVAL);
		m->want = ir->r0;
		m->got = xr->r0;
		snprintf(m->place, sizeof(m->place), "r0");
		return m->kind;
	}
	if (xr->status == EXEC_ABI) {
		mismatch_init(m, MISMATCH_ABI);
		m->want = xr->abi_expected;
		m->got = xr->abi_actual;
		if (xr->abi == EXEC_ABI_SP_ALIGN)
			snprintf(m->place, sizeof(m->place), "%s at a call to %s", exec_abi_name(xr->abi),
				 xr->abi_callee ? xr->abi_callee : "a helper or kfunc");
		else
			snprintf(m->place, sizeof(m->place), "%s", exec_abi_name(xr->abi));
		return m->kind;
	}
	return MISMATCH_NONE;
}

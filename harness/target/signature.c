/* harness/target/signature.c: bucket names for mismatches (target.h,
 * "signatures"): kind and place in program terms, stable across runs. */
#include "harness/target/target.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* ---- signatures ------------------------------------------------------------ */

static const char *size_name(int code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B: return "B";
	case BPF_H: return "H";
	case BPF_W: return "W";
	default: return "DW";
	}
}

static const char *alu_op_name(const struct bpf_insn *in)
{
	static const char *const ops[16] = { "ADD", "SUB", "MUL", "DIV", "OR", "AND", "LSH", "RSH",
					     "NEG", "MOD", "XOR", "MOV", "ARSH", "END", "OP14", "OP15" };
	int op = BPF_OP(in->code) >> 4;

	if ((BPF_OP(in->code) == BPF_DIV || BPF_OP(in->code) == BPF_MOD) && in->off == 1)
		return BPF_OP(in->code) == BPF_DIV ? "SDIV" : "SMOD";
	if (BPF_OP(in->code) == BPF_MOV && in->off)
		return "MOVSX";
	if (BPF_OP(in->code) == BPF_END && BPF_CLASS(in->code) == BPF_ALU64)
		return "BSWAP";
	return ops[op & 15];
}

static const char *jmp_op_name(int code)
{
	static const char *const ops[16] = { "JA", "JEQ", "JGT", "JGE", "JSET", "JNE", "JSGT", "JSGE",
					     "CALL", "EXIT", "JLT", "JLE", "JSLT", "JSLE", "OP14", "OP15" };

	return ops[(BPF_OP(code) >> 4) & 15];
}

static const char *atomic_op_name(int32_t imm)
{
	switch (imm & ~BPF_FETCH) {
	case BPF_ADD: return "ADD";
	case BPF_AND: return "AND";
	case BPF_OR: return "OR";
	case BPF_XOR: return "XOR";
	case BPF_XCHG & ~BPF_FETCH: return "XCHG";
	case BPF_CMPXCHG & ~BPF_FETCH: return "CMPXCHG";
	default: return "OP";
	}
}

/* "LDX-DW-r11", "ATOMIC-W-CMPXCHG", "CALL-kfunc", "ALU64-DIV" */
static void insn_shape(const struct bpf_insn *in, char *buf, size_t size)
{
	int cls = BPF_CLASS(in->code);

	switch (cls) {
	case BPF_LD:
		snprintf(buf, size, cf_insn_is_ldimm64(in) ? "LD-IMM64" : "LD");
		break;
	case BPF_LDX:
		snprintf(buf, size, "%s-%s%s", BPF_MODE(in->code) == BPF_MEMSX ? "LDSX" : "LDX", size_name(in->code),
			 in->src_reg == BPF_REG_PARAMS ? "-r11" : "");
		break;
	case BPF_ST:
		snprintf(buf, size, "ST-%s%s", size_name(in->code), in->dst_reg == BPF_REG_PARAMS ? "-r11" : "");
		break;
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC)
			snprintf(buf, size, "ATOMIC-%s-%s", size_name(in->code), atomic_op_name(in->imm));
		else
			snprintf(buf, size, "STX-%s%s", size_name(in->code),
				 in->dst_reg == BPF_REG_PARAMS ? "-r11" : "");
		break;
	case BPF_ALU:
	case BPF_ALU64:
		snprintf(buf, size, "%s-%s", cls == BPF_ALU ? "ALU" : "ALU64", alu_op_name(in));
		break;
	default: /* BPF_JMP, BPF_JMP32 */
		if (BPF_OP(in->code) == BPF_CALL)
			snprintf(buf, size, "CALL-%s",
				 in->src_reg == BPF_PSEUDO_CALL ? "subprog" :
				 in->src_reg == BPF_PSEUDO_KFUNC_CALL ? "kfunc" : "helper");
		else if (BPF_OP(in->code) == BPF_EXIT)
			snprintf(buf, size, "EXIT");
		else
			snprintf(buf, size, "%s-%s", cls == BPF_JMP ? "JMP" : "JMP32", jmp_op_name(in->code));
		break;
	}
}

static const char *signal_short_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SEGV";
	case SIGBUS: return "BUS";
	case SIGILL: return "ILL";
	case SIGTRAP: return "TRAP";
	case SIGFPE: return "FPE";
	case SIGKILL: return "KILL";
	case SIGABRT: return "ABRT";
	default: return "SIG";
	}
}

/* Keep [A-Za-z0-9_-]; anything else becomes '_' (a directory name). */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			*s = '_';
}

static const char *event_name_at(const struct cf_trace *t, int idx, char *buf, size_t size)
{
	if (!t || idx < 0 || (uint32_t)idx >= t->nevents || idx >= CF_TRACE_MAX)
		return "event";
	return compare_event_name(t->ev[idx].id, buf, size);
}

void mismatch_signature(const struct mismatch *m, const struct interp_result *ir, const struct exec_result *xr,
		    const struct cf_prog *p, char *buf, size_t size)
{
	const char *kind = mismatch_kind_name(m->kind);
	bool jit_only = strstr(m->place, "only by the JIT") != NULL;
	bool missing = strstr(m->place, "missing from the JIT") != NULL;
	char name[32], shape[48];

	switch (m->kind) {
	case MISMATCH_TRACE:
		if (strstr(m->place, "events past"))
			snprintf(buf, size, "TRACE-dropped");
		else if (jit_only)
			snprintf(buf, size, "TRACE-%s-extra",
				 event_name_at(xr ? &xr->trace : NULL, m->event, name, sizeof(name)));
		else if (missing)
			snprintf(buf, size, "TRACE-%s-missing",
				 event_name_at(ir ? &ir->trace : NULL, m->event, name, sizeof(name)));
		else if (m->arg >= 0)
			snprintf(buf, size, "TRACE-%s-arg%d",
				 event_name_at(ir ? &ir->trace : NULL, m->event, name, sizeof(name)), m->arg + 1);
		else
			snprintf(buf, size, "TRACE-%s-id",
				 event_name_at(ir ? &ir->trace : NULL, m->event, name, sizeof(name)));
		break;
	case MISMATCH_STACK:
		if (jit_only)
			snprintf(buf, size, "STACK-extra");
		else if (missing)
			snprintf(buf, size, "STACK-missing");
		else
			snprintf(buf, size, "STACK-%s", m->arg == 0 ? "len" : "hash");
		break;
	case MISMATCH_ABI:
		/* one word per place: a directory name, no spaces */
		snprintf(buf, size, "ABI-%s", xr && xr->abi == EXEC_ABI_CANARY ? "canary" :
			 xr && xr->abi == EXEC_ABI_SP_ALIGN ? "sp-align" :
			 xr ? exec_abi_name(xr->abi) : m->place);
		break;
	case MISMATCH_CRASH:
		if (!xr || !xr->signal) {
			snprintf(buf, size, "CRASH-executor");
		} else if (xr->fault_pc_off < 0) {
			snprintf(buf, size, "CRASH-%s-outside", signal_short_name(xr->signal));
		} else if (p && m->func >= 0 && m->func < p->nfuncs) {
			const struct cf_func *f = &p->funcs[m->func];

			if (m->insn < 0)
				snprintf(shape, sizeof(shape), "prologue");
			else if (m->insn >= f->ninsns)
				snprintf(shape, sizeof(shape), "epilogue");
			else
				insn_shape(&f->insns[m->insn], shape, sizeof(shape));
			snprintf(buf, size, "CRASH-%s-%s", signal_short_name(xr->signal), shape);
		} else {
			snprintf(buf, size, "CRASH-%s-code", signal_short_name(xr->signal));
		}
		break;
	default: /* RETVAL, OUTBUF, TIMEOUT, JIT_REJECT, NONE */
		snprintf(buf, size, "%s", kind);
		break;
	}
	sanitize(buf);
}

/* Does the case have a voice of kind k? */
static bool has_voice(const struct target_case *c, enum target_voice_kind k)
{
	for (int i = 0; i < c->nvoices; i++)
		if (c->voice[i].kind == k)
			return true;
	return false;
}

void target_signature(const struct target_case *c, char *buf, size_t size, bool *known)
{
	enum target_voice_kind k = c->mvoice >= 0 ? c->voice[c->mvoice].kind : TARGET_VOICE_KERNEL_JIT;
	const char *voice = k == TARGET_VOICE_KERNEL_INTERP ? "interp" : k == TARGET_VOICE_HOST ? "host" : "jit";
	char model[96];

	/* known kernel bugs are data: docs/kernel-bugs/ (known_bugs.c) */
	*known = false;
	if (c->known_bug && k != TARGET_VOICE_MODEL_JIT) {
		/* a known kernel bug the booted kernel shows (target_run) */
		snprintf(buf, size, "%s", c->known_bug);
		*known = true;
		return;
	}

	if (k == TARGET_VOICE_MODEL_JIT) {
		mismatch_signature(&c->m, &c->ir, c->xr, c->prog, model, sizeof(model));
		/* beside a kernel, apart from the model target's own buckets */
		if (has_voice(c, TARGET_VOICE_KERNEL_JIT))
			snprintf(buf, size, "VM-%s", model);
		else
			snprintf(buf, size, "%s", model);
		return;
	}
	switch (c->m.kind) {
	case MISMATCH_REPORT:
		/* the kernel's report names the bug: its kind, detail and function */
		snprintf(buf, size, "REPORT-%s", c->report.name[0] ? c->report.name : "kernel");
		sanitize(buf);
		break;
	case MISMATCH_VERIFIER:
		snprintf(buf, size, k == TARGET_VOICE_KERNEL_INTERP ? "VERIFIER-interp" :
				    k == TARGET_VOICE_HOST	    ? "VERIFIER-host" :
									"VERIFIER");
		break;
	case MISMATCH_KERNEL:
		/* target.c compare_kernel_voice: a failed run, then ctx, then r0 */
		snprintf(buf, size, "KERNEL-%s-%s", voice,
			 !strncmp(c->m.place, "BPF_PROG_TEST_RUN", 17) ? "run"
			 : !strncmp(c->m.place, "map ", 4)             ? "map"
			 : c->m.offset >= 0                            ? "ctx"
								       : "retval");
		break;
	case MISMATCH_CRASH:
	case MISMATCH_TIMEOUT:
		snprintf(buf, size, "%s-kernel-%s", c->m.kind == MISMATCH_CRASH ? "CRASH" : "TIMEOUT", voice);
		break;
	default:
		snprintf(buf, size, "KERNEL-%s-%s", voice, mismatch_kind_name(c->m.kind));
		break;
	}
}

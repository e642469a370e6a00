/* harness/repro/minimize.c: the program minimizer (design.md "Minimizer and
 * triage") and the rerun of one program that gives its mismatch signature.
 *
 * Shape (style.md, C-Reduce): each pass is one transformation applied at
 * one site, numbered 0, 1, 2...; the driver builds candidate `site` of each
 * pass in turn, keeps it when it is valid and still interesting (and then
 * tries the same site number again, since the program moved under it), and
 * repeats the whole list until a round keeps nothing. After every
 * transformation a cleanup removes what it made dead (unreachable slots,
 * `goto +0`, functions nobody calls), so that passes stay small. */
#include "harness/repro/repro.h"
#include "harness/repro/repro.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- instruction shapes ------------------------------------------------ */

static bool is_jump(const struct bpf_insn *i)
{
	uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

static bool is_gotol(const struct bpf_insn *i)
{
	return i->code == (BPF_JMP32 | BPF_JA);
}

static bool is_goto(const struct bpf_insn *i)
{
	return i->code == (BPF_JMP | BPF_JA) || is_gotol(i);
}

static bool is_call(const struct bpf_insn *i)
{
	return i->code == (BPF_JMP | BPF_CALL);
}

static bool is_exit(const struct bpf_insn *i)
{
	return i->code == (BPF_JMP | BPF_EXIT);
}

static int jump_offset(const struct bpf_insn *i)
{
	return is_gotol(i) ? i->imm : i->off;
}

static void set_jump_offset(struct bpf_insn *i, int off)
{
	if (is_gotol(i))
		i->imm = off;
	else
		i->off = (int16_t)off;
}

/* stack-args.md 1: the only stores to r11 are outgoing slots (off < 0). */
static bool is_stack_arg_store(const struct bpf_insn *i, int *slot)
{
	uint8_t cls = BPF_CLASS(i->code);

	if ((cls != BPF_ST && cls != BPF_STX) || BPF_MODE(i->code) != BPF_MEM || i->dst_reg != BPF_REG_PARAMS ||
	    i->off >= 0)
		return false;
	*slot = -i->off / 8;
	return true;
}

/* stack-args.md 1: incoming slot k is `rX = *(u64 *)(r11 + 8k)`. */
static bool is_stack_arg_load(const struct bpf_insn *i, int *slot)
{
	if (BPF_CLASS(i->code) != BPF_LDX || i->src_reg != BPF_REG_PARAMS || i->off <= 0)
		return false;
	*slot = i->off / 8;
	return true;
}

static struct bpf_insn mov64_imm(int dst, int32_t imm)
{
	return cf_insn(BPF_ALU64 | BPF_MOV | BPF_K, (uint8_t)dst, 0, 0, imm);
}

int min_insn_count(const struct cf_prog *p)
{
	int n = 0;

	for (int k = 0; k < p->ntails; k++)
		n += min_insn_count(&p->tails[k]);
	for (int fi = 0; fi < p->nfuncs; fi++) {
		const struct cf_func *f = &p->funcs[fi];

		for (int pc = 0; pc < f->ninsns; pc += cf_insn_is_ldimm64(&f->insns[pc]) ? 2 : 1)
			n++;
	}
	return n;
}

/* ---- editing a function ------------------------------------------------- */

/* Delete slots [pos, pos + n) of f. Jumps over the hole shrink; a jump into
 * it lands on the slot after it; labels and line numbers move along. */
static void func_delete(struct cf_func *f, int pos, int n)
{
	int end = pos + n;

	if (n <= 0 || pos < 0 || end > f->ninsns)
		return;
	for (int pc = 0; pc < f->ninsns; pc++) {
		struct bpf_insn *i = &f->insns[pc];
		int t, npc, nt;

		if (pc >= pos && pc < end)
			continue;
		if (!is_jump(i))
			continue;
		t = pc + 1 + jump_offset(i);
		npc = pc >= end ? pc - n : pc;
		nt = t >= end ? t - n : (t > pos ? pos : t);
		set_jump_offset(i, nt - npc - 1);
	}
	memmove(&f->insns[pos], &f->insns[end], sizeof(*f->insns) * (size_t)(f->ninsns - end));
	if (f->lines)
		memmove(&f->lines[pos], &f->lines[end], sizeof(*f->lines) * (size_t)(f->ninsns - end));
	f->ninsns -= n;
	for (int k = 0; k < f->nlabels; k++) {
		int *lp = &f->labels[k].pos;

		*lp = *lp >= end ? *lp - n : (*lp > pos ? pos : *lp);
	}
}

/* Slots of the instruction at pc (2 for LD_IMM64). */
static int insn_slots(const struct cf_func *f, int pc)
{
	return cf_insn_is_ldimm64(&f->insns[pc]) && pc + 1 < f->ninsns ? 2 : 1;
}

/* Is pc the second half of an LD_IMM64? */
static bool is_ldimm64_tail(const struct cf_func *f, int pc)
{
	int k = 0;

	while (k < pc)
		k += insn_slots(f, k);
	return k != pc;
}

/* The outgoing stores of the call at pc: r11 stores after the previous
 * call (stack-args.md 2.2: a call invalidates every slot, so earlier ones
 * belong to an earlier call). Fills at[] with their positions, ascending. */
static int call_arg_stores(const struct cf_func *f, int pc, int *at, int max)
{
	int n = 0, first = pc;

	for (int k = pc - 1; k >= 0; k--) {
		int slot;

		if (is_call(&f->insns[k]) && !is_ldimm64_tail(f, k))
			break;
		if (is_stack_arg_store(&f->insns[k], &slot) && !is_ldimm64_tail(f, k))
			first = k;
	}
	for (int k = first; k < pc && n < max; k++) {
		int slot;

		if (is_stack_arg_store(&f->insns[k], &slot) && !is_ldimm64_tail(f, k))
			at[n++] = k;
	}
	return n;
}

/* Replace the call at pc by `r0 = 0` and drop the stores of its stack
 * arguments (stack-args.md 2.3: a function may not write slots no call
 * needs). Returns the call's new position. */
static int call_to_const(struct cf_func *f, int pc)
{
	int at[64], n = call_arg_stores(f, pc, at, 64);

	f->insns[pc] = mov64_imm(BPF_REG_0, 0);
	for (int k = n - 1; k >= 0; k--) {
		func_delete(f, at[k], 1);
		pc--;
	}
	return pc;
}

/* Remove funcs[fi]; pseudo-calls to later functions are renumbered. Calls
 * to fi itself must be gone already. */
static void prog_remove_func(struct cf_prog *p, int fi)
{
	struct cf_func *f = &p->funcs[fi];

	free(f->insns);
	free(f->lines);
	free(f->labels);
	memmove(&p->funcs[fi], &p->funcs[fi + 1], sizeof(*p->funcs) * (size_t)(p->nfuncs - fi - 1));
	p->nfuncs--;
	for (int g = 0; g < p->nfuncs; g++) {
		struct cf_func *h = &p->funcs[g];

		for (int pc = 0; pc < h->ninsns; pc++)
			if (cf_insn_refs_func(&h->insns[pc]) && h->insns[pc].imm > fi)
				h->insns[pc].imm--;
	}
}

/* ---- cleanup: what a transformation made dead --------------------------- */

/* Delete the slots no path from the function's start reaches (the checker
 * rejects unreachable code), and `goto +0`. */
static void func_prune(struct cf_func *f)
{
	int n = f->ninsns;
	char *reach = calloc((size_t)n + 1, 1);
	int *work = malloc(sizeof(int) * ((size_t)n + 1));
	int nwork = 0;

	if (!reach || !work || !n)
		goto out;
	reach[0] = 1;
	if (cf_insn_is_ldimm64(&f->insns[0]) && n > 1)
		reach[1] = 1; /* a function that starts with an ld_imm64 keeps its second half */
	work[nwork++] = 0;
	while (nwork) {
		int pc = work[--nwork], succ[2], ns = 0;
		const struct bpf_insn *i = &f->insns[pc];

		if (is_exit(i)) {
			continue;
		} else if (is_goto(i)) {
			succ[ns++] = pc + 1 + jump_offset(i);
		} else if (is_jump(i)) {
			succ[ns++] = pc + 1;
			succ[ns++] = pc + 1 + jump_offset(i);
		} else {
			succ[ns++] = pc + insn_slots(f, pc);
		}
		for (int k = 0; k < ns; k++) {
			if (succ[k] < 0 || succ[k] >= n || reach[succ[k]])
				continue;
			reach[succ[k]] = 1;
			if (cf_insn_is_ldimm64(&f->insns[succ[k]]) && succ[k] + 1 < n)
				reach[succ[k] + 1] = 1;
			work[nwork++] = succ[k];
		}
	}
	for (int pc = n - 1; pc >= 0; pc--) {
		const struct bpf_insn *i = &f->insns[pc];

		if (!reach[pc]) {
			int end = pc + 1;

			while (pc > 0 && !reach[pc - 1])
				pc--;
			func_delete(f, pc, end - pc);
		} else if (is_goto(i) && jump_offset(i) == 0 && !is_ldimm64_tail(f, pc)) {
			func_delete(f, pc, 1);
		}
	}
out:
	free(reach);
	free(work);
}

/* Drop the functions no call chain from the entry reaches. */
static void prog_drop_uncalled(struct cf_prog *p)
{
	for (;;) {
		bool called[CF_MAX_FUNCS] = { true };
		int work[CF_MAX_FUNCS], nwork = 0, victim = -1;

		work[nwork++] = 0;
		while (nwork) {
			const struct cf_func *f = &p->funcs[work[--nwork]];

			for (int pc = 0; pc < f->ninsns; pc++) {
				int callee = f->insns[pc].imm;

				if (cf_insn_is_pseudo_call(&f->insns[pc]) && callee >= 0 && callee < p->nfuncs &&
				    !called[callee]) {
					called[callee] = true;
					work[nwork++] = callee;
				}
			}
		}
		for (int fi = p->nfuncs - 1; fi > 0 && victim < 0; fi--)
			if (!called[fi])
				victim = fi;
		if (victim < 0)
			return;
		prog_remove_func(p, victim);
	}
}

/* Keep the user's labels that still name a jump target (the printer makes
 * up names for the others). */
static void func_drop_stale_labels(struct cf_func *f)
{
	int kept = 0;

	for (int k = 0; k < f->nlabels; k++) {
		bool target = false;

		for (int pc = 0; pc < f->ninsns && !target; pc++)
			target = is_jump(&f->insns[pc]) && !is_ldimm64_tail(f, pc) &&
				 pc + 1 + jump_offset(&f->insns[pc]) == f->labels[k].pos;
		if (target)
			f->labels[kept++] = f->labels[k];
	}
	f->nlabels = kept;
}

/* Remove tail-call target k and the prog array entries that hold it; the
 * later targets move down. */
static void prog_remove_tail(struct cf_prog *p, int k)
{
	cf_prog_free(&p->tails[k]);
	memmove(&p->tails[k], &p->tails[k + 1], sizeof(*p->tails) * (size_t)(p->ntails - k - 1));
	p->ntails--;
	for (int mi = 0; mi < p->nmaps; mi++)
		for (int e = 0; e < CF_MAP_MAX_ENTRIES; e++) {
			uint8_t *slot = &p->maps[mi].tail_slot[e];

			if (*slot == k + 1)
				*slot = 0;
			else if (*slot > k + 1)
				(*slot)--;
		}
	cf_prog_sync_tails(p);
}

static void prog_cleanup(struct cf_prog *p)
{
	for (int fi = 0; fi < p->nfuncs; fi++) {
		func_prune(&p->funcs[fi]);
		func_drop_stale_labels(&p->funcs[fi]);
	}
	prog_drop_uncalled(p);
	cf_prog_derive_stack(p);
	/* a target no prog array entry holds is never run */
	for (int k = p->ntails - 1; k >= 0; k--) {
		bool held = false;

		for (int mi = 0; mi < p->nmaps; mi++)
			for (int e = 0; e < CF_MAP_MAX_ENTRIES; e++)
				held |= p->maps[mi].tail_slot[e] == k + 1;
		if (!held)
			prog_remove_tail(p, k);
	}
	for (int k = 0; k < p->ntails; k++)
		prog_cleanup(&p->tails[k]);
}

/* ---- passes -------------------------------------------------------------
 * pass(cand, site): cand is a copy of the current program; transform site
 * number `site` in place. SITE_DONE: no such site (the pass is over);
 * SITE_SKIP: nothing to do at this site; SITE_BUILT: cand is a candidate. */

enum site_result { SITE_DONE, SITE_SKIP, SITE_BUILT };

typedef enum site_result pass_fn(struct cf_prog *cand, int site);

/* Site -> (function, slot) over every slot of the program, entry first. */
static bool site_slot(const struct cf_prog *p, int site, int *fi, int *pc)
{
	for (int g = 0; g < p->nfuncs; g++) {
		if (site < p->funcs[g].ninsns) {
			*fi = g;
			*pc = site;
			return true;
		}
		site -= p->funcs[g].ninsns;
	}
	return false;
}

static enum site_result pass_drop_func(struct cf_prog *p, int site)
{
	int victim = site + 1; /* never the entry */

	if (victim >= p->nfuncs)
		return SITE_DONE;
	for (int g = 0; g < p->nfuncs; g++) {
		struct cf_func *f = &p->funcs[g];

		for (int pc = 0; pc < f->ninsns; pc++)
			if (cf_insn_is_pseudo_call(&f->insns[pc]) && f->insns[pc].imm == victim)
				pc = call_to_const(f, pc);
			else if (cf_insn_is_pseudo_func(&f->insns[pc]) && f->insns[pc].imm == victim)
				f->insns[pc].src_reg = 0, f->insns[pc].imm = 0; /* a callback no more: 0 */
	}
	prog_remove_func(p, victim);
	return SITE_BUILT;
}

/* Site k: function k+1, when its whole body is `call X; exit` and it takes
 * no stack arguments, is bypassed: its callers call X themselves (same
 * r1..r5, same r0 back). Chains of wrappers are what a generated call DAG
 * leaves behind once the work around the calls is gone. */
static enum site_result pass_bypass_wrapper(struct cf_prog *p, int site)
{
	int fi = site + 1;
	const struct cf_func *w;
	struct bpf_insn call;
	bool any = false;

	if (fi >= p->nfuncs)
		return SITE_DONE;
	w = &p->funcs[fi];
	if (w->ninsns != 2 || !is_call(&w->insns[0]) || !is_exit(&w->insns[1]) || w->nargs > CF_MAX_REG_ARGS)
		return SITE_SKIP;
	call = w->insns[0];
	if (cf_insn_is_pseudo_call(&call) && p->funcs[call.imm].nargs > CF_MAX_REG_ARGS)
		return SITE_SKIP; /* X's stack arguments come from the wrapper's own stores */
	for (int g = 0; g < p->nfuncs; g++) {
		struct cf_func *f = &p->funcs[g];

		for (int pc = 0; pc < f->ninsns; pc++)
			if (cf_insn_is_pseudo_call(&f->insns[pc]) && f->insns[pc].imm == fi) {
				f->insns[pc] = call;
				any = true;
			}
	}
	return any ? SITE_BUILT : SITE_SKIP;
}

static enum site_result pass_drop_call(struct cf_prog *p, int site)
{
	for (int g = 0; g < p->nfuncs; g++) {
		struct cf_func *f = &p->funcs[g];

		for (int pc = 0; pc < f->ninsns; pc++) {
			if (!is_call(&f->insns[pc]) || is_ldimm64_tail(f, pc))
				continue;
			if (site-- == 0) {
				call_to_const(f, pc);
				return SITE_BUILT;
			}
		}
	}
	return SITE_DONE;
}

/* Site 2k: function k+1 down to 5 arguments (when above 6), 2k+1: one
 * fewer. stack-args.md 2: the callee's loads of removed slots become
 * constants (2.5: reading beyond the count is rejected), and each caller's
 * stores of removed slots go (2.3: no more slots than the calls need). */
static enum site_result pass_lower_nargs(struct cf_prog *p, int site)
{
	int fi = site / 2 + 1, nargs, keep_slots;
	struct cf_func *callee;

	if (fi >= p->nfuncs)
		return SITE_DONE;
	callee = &p->funcs[fi];
	if (site % 2 == 0) {
		if (callee->nargs <= CF_MAX_REG_ARGS + 1)
			return SITE_SKIP;
		nargs = CF_MAX_REG_ARGS;
	} else {
		if (callee->nargs == 0)
			return SITE_SKIP;
		nargs = callee->nargs - 1;
	}
	callee->nargs = nargs;
	keep_slots = nargs > CF_MAX_REG_ARGS ? nargs - CF_MAX_REG_ARGS : 0;
	for (int pc = 0; pc < callee->ninsns; pc++) {
		int slot;

		if (is_stack_arg_load(&callee->insns[pc], &slot) && slot > keep_slots)
			callee->insns[pc] = mov64_imm(callee->insns[pc].dst_reg, 0);
	}
	for (int g = 0; g < p->nfuncs; g++) {
		struct cf_func *f = &p->funcs[g];

		for (int pc = 0; pc < f->ninsns; pc++) {
			int at[64], n;

			if (!cf_insn_is_pseudo_call(&f->insns[pc]) || f->insns[pc].imm != fi)
				continue;
			n = call_arg_stores(f, pc, at, 64);
			for (int k = n - 1; k >= 0; k--) {
				int slot = 0;

				is_stack_arg_store(&f->insns[at[k]], &slot);
				if (slot > keep_slots) {
					func_delete(f, at[k], 1);
					pc--;
				}
			}
		}
	}
	return SITE_BUILT;
}

/* Site 7(k-1) + (slot-1): subprogram k loses stack argument `slot`, which
 * it never loads; the slots above it move down one (stack-args.md 1: slot
 * k is argument 5+k on both sides), in the callee's loads and in every
 * caller's stores; the callers' stores of the removed slot go. */
static enum site_result pass_drop_stack_arg(struct cf_prog *p, int site)
{
	int fi = site / CF_MAX_STACK_ARGS + 1, victim = site % CF_MAX_STACK_ARGS + 1, slot = 0;
	struct cf_func *callee;

	if (fi >= p->nfuncs)
		return SITE_DONE;
	callee = &p->funcs[fi];
	if (callee->nargs - CF_MAX_REG_ARGS < victim || victim == callee->nargs - CF_MAX_REG_ARGS)
		return SITE_SKIP; /* no such slot; the last one is lower-nargs' job */
	for (int pc = 0; pc < callee->ninsns; pc++)
		if (is_stack_arg_load(&callee->insns[pc], &slot) && slot == victim)
			return SITE_SKIP;
	callee->nargs--;
	for (int pc = 0; pc < callee->ninsns; pc++)
		if (is_stack_arg_load(&callee->insns[pc], &slot) && slot > victim)
			callee->insns[pc].off -= 8;
	for (int g = 0; g < p->nfuncs; g++) {
		struct cf_func *f = &p->funcs[g];

		for (int pc = 0; pc < f->ninsns; pc++) {
			int at[64], n;

			if (!cf_insn_is_pseudo_call(&f->insns[pc]) || f->insns[pc].imm != fi)
				continue;
			n = call_arg_stores(f, pc, at, 64);
			for (int k = n - 1; k >= 0; k--) {
				is_stack_arg_store(&f->insns[at[k]], &slot);
				if (slot > victim) {
					f->insns[at[k]].off += 8;
				} else if (slot == victim) {
					func_delete(f, at[k], 1);
					pc--;
				}
			}
		}
	}
	return SITE_BUILT;
}

/* Sites are counted per function (ceil(ninsns / width) each). */
static enum site_result drop_width(struct cf_prog *p, int site, int width)
{
	int s = site;

	for (int fi = 0; fi < p->nfuncs; fi++) {
		int nsites = (p->funcs[fi].ninsns + width - 1) / width;

		if (s < nsites) {
			struct cf_func *f = &p->funcs[fi];
			int pc = s * width, n = width < f->ninsns - pc ? width : f->ninsns - pc;

			if (is_ldimm64_tail(f, pc))
				return SITE_SKIP;
			if (pc + n < f->ninsns && is_ldimm64_tail(f, pc + n))
				n++;
			func_delete(f, pc, n);
			return SITE_BUILT;
		}
		s -= nsites;
	}
	return SITE_DONE;
}

static enum site_result pass_drop_block32(struct cf_prog *p, int site)
{
	return drop_width(p, site, 32);
}

static enum site_result pass_drop_block(struct cf_prog *p, int site)
{
	return drop_width(p, site, 8);
}

static enum site_result pass_drop_pair(struct cf_prog *p, int site)
{
	return drop_width(p, site, 2);
}

static enum site_result pass_drop_insn(struct cf_prog *p, int site)
{
	return drop_width(p, site, 1);
}

/* Site 2k: branch k never taken (deleted), 2k+1: always taken (goto). */
static enum site_result pass_straighten(struct cf_prog *p, int site)
{
	int fi, pc;
	struct cf_func *f;
	struct bpf_insn *i;

	if (!site_slot(p, site / 2, &fi, &pc))
		return SITE_DONE;
	f = &p->funcs[fi];
	i = &f->insns[pc];
	if (!is_jump(i) || is_goto(i) || is_ldimm64_tail(f, pc))
		return SITE_SKIP;
	if (site % 2 == 0)
		func_delete(f, pc, 1);
	else
		*i = cf_insn(BPF_JMP | BPF_JA, 0, 0, i->off, 0);
	return SITE_BUILT;
}

static bool is_div_or_mod(const struct bpf_insn *i)
{
	return BPF_OP(i->code) == BPF_DIV || BPF_OP(i->code) == BPF_MOD;
}

/* Site 2k: a register source of slot k becomes an immediate (`r1 += r2`
 * -> `r1 += 0`, `if r1 > r2` -> `if r1 > 0`, STX -> ST), a load becomes
 * `rX = 0`. Site 2k+1: a load becomes `rX = -1` (all bits set: what a
 * truncation or extension bug needs to show, where 0 hides it). */
static enum site_result pass_operand_const(struct cf_prog *p, int site)
{
	int fi, pc;
	struct cf_func *f;
	struct bpf_insn *i;
	uint8_t cls;

	if (!site_slot(p, site / 2, &fi, &pc))
		return SITE_DONE;
	if (site % 2) {
		f = &p->funcs[fi];
		i = &f->insns[pc];
		if (BPF_CLASS(i->code) != BPF_LDX || is_ldimm64_tail(f, pc))
			return SITE_SKIP;
		*i = mov64_imm(i->dst_reg, -1);
		return SITE_BUILT;
	}
	f = &p->funcs[fi];
	i = &f->insns[pc];
	cls = BPF_CLASS(i->code);
	if (is_ldimm64_tail(f, pc))
		return SITE_SKIP;
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (BPF_SRC(i->code) != BPF_X || BPF_OP(i->code) == BPF_END)
			return SITE_SKIP;
		/* a divisor of 0 is legal at run time but not as an immediate */
		*i = cf_insn((uint8_t)(cls | BPF_OP(i->code) | BPF_K), i->dst_reg, 0,
			     BPF_OP(i->code) == BPF_MOV ? 0 : i->off, is_div_or_mod(i) ? 1 : 0);
		return SITE_BUILT;
	case BPF_JMP:
	case BPF_JMP32:
		if (!is_jump(i) || is_goto(i) || BPF_SRC(i->code) != BPF_X)
			return SITE_SKIP;
		*i = cf_insn((uint8_t)(cls | BPF_OP(i->code) | BPF_K), i->dst_reg, 0, i->off, 0);
		return SITE_BUILT;
	case BPF_STX:
		if (BPF_MODE(i->code) != BPF_MEM)
			return SITE_SKIP;
		*i = cf_insn((uint8_t)(BPF_ST | BPF_MEM | BPF_SIZE(i->code)), i->dst_reg, 0, i->off, 0);
		return SITE_BUILT;
	case BPF_LDX:
		*i = mov64_imm(i->dst_reg, 0);
		return SITE_BUILT;
	default:
		return SITE_SKIP;
	}
}

/* Site 3k+v: the immediate of slot k becomes 0 (v=0), 1 (v=1) or half
 * (v=2). An LD_IMM64 becomes a 32-bit move first (v=0: `rX = 0`). */
static enum site_result pass_shrink_const(struct cf_prog *p, int site)
{
	int fi, pc, v = site % 3;
	struct cf_func *f;
	struct bpf_insn *i;
	int32_t want;
	uint8_t cls;

	if (!site_slot(p, site / 3, &fi, &pc))
		return SITE_DONE;
	f = &p->funcs[fi];
	i = &f->insns[pc];
	cls = BPF_CLASS(i->code);
	if (is_ldimm64_tail(f, pc))
		return SITE_SKIP;
	if (cf_insn_is_ldimm64(i)) {
		if (i->src_reg != 0 || pc + 1 >= f->ninsns)
			return SITE_SKIP; /* map / pseudo values keep their form */
		*i = mov64_imm(i->dst_reg, v == 0 ? 0 : v == 1 ? 1 : i->imm);
		func_delete(f, pc + 1, 1);
		return SITE_BUILT;
	}
	if (cls == BPF_ALU || cls == BPF_ALU64) {
		if (BPF_SRC(i->code) != BPF_K || BPF_OP(i->code) == BPF_END || BPF_OP(i->code) == BPF_NEG)
			return SITE_SKIP;
	} else if (cls == BPF_JMP || cls == BPF_JMP32) {
		if (!is_jump(i) || is_goto(i) || BPF_SRC(i->code) != BPF_K)
			return SITE_SKIP;
	} else if (!(cls == BPF_ST && BPF_MODE(i->code) == BPF_MEM)) {
		return SITE_SKIP;
	}
	want = v == 0 ? 0 : v == 1 ? 1 : i->imm / 2;
	/* only toward 0, or the passes could swap 0 and 1 forever */
	if (llabs(want) >= llabs(i->imm) || (want == 0 && (cls == BPF_ALU || cls == BPF_ALU64) && is_div_or_mod(i)))
		return SITE_SKIP;
	if (v == 2 && (want == 0 || want == 1))
		return SITE_SKIP; /* v=0 and v=1 tried those */
	i->imm = want;
	return SITE_BUILT;
}

/* Site k: tail-call target k goes, with the entries that hold it. */
static enum site_result pass_drop_tail_prog(struct cf_prog *p, int site)
{
	if (site >= p->ntails)
		return SITE_DONE;
	prog_remove_tail(p, site);
	return SITE_BUILT;
}

/* Site k: the k-th filled prog array entry becomes empty. */
static enum site_result pass_drop_tail_entry(struct cf_prog *p, int site)
{
	for (int mi = 0; mi < p->nmaps; mi++)
		for (int e = 0; e < CF_MAP_MAX_ENTRIES; e++)
			if (p->maps[mi].tail_slot[e] && site-- == 0) {
				p->maps[mi].tail_slot[e] = 0;
				cf_prog_sync_tails(p);
				return SITE_BUILT;
			}
	return SITE_DONE;
}

static enum site_result pass_shrink_stack(struct cf_prog *p, int site)
{
	struct cf_func *f;

	if (site >= p->nfuncs)
		return SITE_DONE;
	f = &p->funcs[site];
	if (!f->stack_declared && f->stack_size == cf_func_derived_stack(f))
		return SITE_SKIP;
	f->stack_declared = false;
	f->stack_size = cf_func_derived_stack(f);
	return SITE_BUILT;
}

/* A pass works on the program and then on each tail-call target as a
 * program of its own (site q * TAIL_SITES + s: site s of program q, 0 the
 * program itself), except the passes on the targets themselves
 * (`whole`), which only the program has. */
#define TAIL_SITES (1 << 20)

static const struct {
	const char *name;
	pass_fn *fn;
	bool whole;
} passes[MIN_NPASSES] = {
	[MIN_PASS_DROP_FUNC] = { "drop-func", pass_drop_func },
	[MIN_PASS_DROP_CALL] = { "drop-call", pass_drop_call },
	[MIN_PASS_BYPASS_WRAPPER] = { "bypass-wrapper", pass_bypass_wrapper },
	[MIN_PASS_LOWER_NARGS] = { "lower-nargs", pass_lower_nargs },
	[MIN_PASS_DROP_STACK_ARG] = { "drop-stack-arg", pass_drop_stack_arg },
	[MIN_PASS_DROP_BLOCK32] = { "drop-block32", pass_drop_block32 },
	[MIN_PASS_DROP_BLOCK] = { "drop-block", pass_drop_block },
	[MIN_PASS_DROP_PAIR] = { "drop-pair", pass_drop_pair },
	[MIN_PASS_DROP_INSN] = { "drop-insn", pass_drop_insn },
	[MIN_PASS_STRAIGHTEN] = { "straighten", pass_straighten },
	[MIN_PASS_OPERAND_CONST] = { "operand-const", pass_operand_const },
	[MIN_PASS_SHRINK_CONST] = { "shrink-const", pass_shrink_const },
	[MIN_PASS_SHRINK_STACK] = { "shrink-stack", pass_shrink_stack },
	[MIN_PASS_DROP_TAIL_PROG] = { "drop-tail-prog", pass_drop_tail_prog, true },
	[MIN_PASS_DROP_TAIL_ENTRY] = { "drop-tail-entry", pass_drop_tail_entry, true },
};

/* Pass k at site of cand (see TAIL_SITES). SITE_DONE at the end of one
 * program but one: *next is the next program's first site, SITE_SKIP. */
static enum site_result run_pass(int k, struct cf_prog *cand, int site, int *next)
{
	int q = site / TAIL_SITES;
	enum site_result r;

	if (q > cand->ntails || (q && passes[k].whole))
		return SITE_DONE;
	r = passes[k].fn(q ? &cand->tails[q - 1] : cand, site % TAIL_SITES);
	if (r == SITE_DONE && !passes[k].whole && q < cand->ntails) {
		*next = (q + 1) * TAIL_SITES;
		return SITE_SKIP;
	}
	return r;
}

const char *min_pass_name(enum min_pass k)
{
	return k < MIN_NPASSES ? passes[k].name : "?";
}

/* ---- the driver ---------------------------------------------------------- */

void min_opts_default(struct min_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->time_limit_s = 60;
	cf_check_opts_default(&o->check);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Valid: the checker accepts it and the interpreter runs it to exit (a
 * candidate the interpreter faults on would report a "mismatch" that is
 * the oracle's, not the JIT's). */
static bool candidate_valid(const struct cf_prog *p, const struct cf_check_opts *check,
			    struct interp_result *ir, struct cf_err *err)
{
	if (cf_check(p, check, err))
		return false;
	interp_run(p, NULL, NULL, NULL, ir);
	if (ir->status != INTERP_OK) {
		cf_err_set(err, "interpreter: %s", ir->status == INTERP_TIMEOUT ? "out of instructions" : ir->fault);
		return false;
	}
	return true;
}

/* The index of the first candidate the caller keeps, or -1: one batch call
 * when the caller takes batches (a kernel target: one round trip for all of
 * them), else one call each until the first keep. */
static int keep_first(min_keep_fn *keep, const struct min_opts *o, void *opaque, struct cf_prog *cand, int n)
{
	if (o->keep_batch) {
		const struct cf_prog *list[MIN_BATCH_MAX];

		for (int i = 0; i < n; i++)
			list[i] = &cand[i];
		return o->keep_batch(opaque, list, n);
	}
	for (int i = 0; i < n; i++)
		if (keep(opaque, &cand[i]))
			return i;
	return -1;
}

int min_reduce(struct cf_prog *p, min_keep_fn *keep, void *opaque, const struct min_opts *o,
	       struct min_stats *st, struct cf_err *err)
{
	struct interp_result *ir = malloc(sizeof(*ir));
	double start = now_s();
	struct cf_err why;
	bool progress = true;
	int rc = -1, batch, cur = 1;

	memset(st, 0, sizeof(*st));
	st->insns_before = st->insns_after = min_insn_count(p);
	st->funcs_before = st->funcs_after = p->nfuncs;
	if (!ir) {
		cf_err_set(err, "out of memory");
		return -1;
	}
	if (!candidate_valid(p, &o->check, ir, &why)) {
		cf_err_set(err, "the program to minimize is not valid: %s", why.msg);
		goto out;
	}
	if (!keep(opaque, p)) {
		cf_err_set(err, "the program to minimize does not show the mismatch");
		goto out;
	}
	rc = 0;
	batch = o->keep_batch ? o->batch : 1;
	if (batch < 1)
		batch = 1;
	if (batch > MIN_BATCH_MAX)
		batch = MIN_BATCH_MAX;
	while (progress) {
		progress = false;
		st->rounds++;
		for (int k = 0; k < MIN_NPASSES; k++) {
			long kept_before = st->kept_by_pass[k];

			for (int site = 0;;) {
				struct cf_prog cand[MIN_BATCH_MAX];
				int cand_site[MIN_BATCH_MAX], n = 0, next = site, kept;
				bool done = false;

				/* Up to `batch` valid candidates of consecutive sites,
				 * all made from the same p: what the sequential loop
				 * would try, in its order, until its first keep. */
				while (n < cur) {
					enum site_result r;

					if (o->time_limit_s > 0 && now_s() - start > o->time_limit_s) {
						st->out_of_time = true;
						done = true;
						break;
					}
					if (cf_prog_copy(&cand[n], p)) {
						cf_err_set(err, "out of memory");
						rc = -1;
						done = true;
						break;
					}
					int jump = -1;

					r = run_pass(k, &cand[n], next, &jump);
					if (r == SITE_DONE) {
						cf_prog_free(&cand[n]);
						done = true;
						break;
					}
					if (r == SITE_SKIP) {
						cf_prog_free(&cand[n]);
						next = jump >= 0 ? jump : next + 1;
						continue;
					}
					prog_cleanup(&cand[n]);
					if (cf_prog_equal(&cand[n], p)) {
						/* no change (e.g. a label moved): not progress */
						cf_prog_free(&cand[n]);
						next++;
						continue;
					}
					st->candidates++;
					if (!candidate_valid(&cand[n], &o->check, ir, &why)) {
						cf_prog_free(&cand[n]);
						next++;
						continue;
					}
					st->valid++;
					cand_site[n++] = next++;
				}
				kept = n ? keep_first(keep, o, opaque, cand, n) : -1;
				for (int i = 0; i < n; i++)
					if (i != kept)
						cf_prog_free(&cand[i]);
				/* Speculation pays only in a run of rejections: a kept
				 * candidate drops the rest of its batch, each of which
				 * cost the target a load. Grow the batch while nothing
				 * is kept, back to one at a keep. */
				cur = kept >= 0 ? 1 : cur * 2 > batch ? batch : cur * 2;
				if (kept >= 0) {
					st->kept++;
					st->kept_by_pass[k]++;
					cf_prog_free(p);
					*p = cand[kept];
					site = cand_site[kept]; /* the same site again: the program moved */
					continue;
				}
				if (done)
					break;
				site = next;
			}
			if (rc < 0 || st->out_of_time)
				goto done;
			if (st->kept_by_pass[k] != kept_before)
				progress = true;
		}
		if (o->progress)
			fprintf(o->progress, "min: round %d: %d insns, %d funcs (%ld candidates, %ld kept, %.1f s)\n",
				st->rounds, min_insn_count(p), p->nfuncs, st->candidates, st->kept, now_s() - start);
	}
done:
	st->insns_after = min_insn_count(p);
	st->funcs_after = p->nfuncs;
	st->seconds = now_s() - start;
out:
	free(ir);
	return rc;
}

/* ---- rerunning one program ------------------------------------------------ */

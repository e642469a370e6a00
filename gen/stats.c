/* gen/stats.c: the distribution of a set of programs (gen/gen.h), read
 * from the programs alone so that seeds and reproducers can be described
 * the same way as generated programs. */
#include "gen/gen.h"

#include <string.h>

/* Deepest call chain from function fi, in frames, and its stack (each
 * frame rounded up to 32 bytes, as the kernel's check_max_stack_depth
 * counts it without a JIT). A cycle (not a valid program) stops at
 * CF_MAX_FRAMES + 1. */
static void chain(const struct cf_prog *p, int fi, int level, int *depth, int *stack, int above)
{
	const struct cf_func *f = &p->funcs[fi];
	int size = f->stack_size < 1 ? 1 : f->stack_size;

	above += (size + 31) & ~31;
	if (level > *depth)
		*depth = level;
	if (above > *stack)
		*stack = above;
	if (level > CF_MAX_FRAMES)
		return;
	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];

		/* a callback's address counts as a call, as in the kernel's
		 * check_max_stack_depth (docs/kernel-paths.md) */
		if (cf_insn_refs_func(i) && i->imm >= 0 && i->imm < p->nfuncs)
			chain(p, i->imm, level + 1, depth, stack, above);
		if (cf_insn_is_ldimm64(i))
			pc++;
	}
}

/* Which registers hold pointers, followed linearly through one function:
 * r10 and copies of it, main's r1, values loaded from a slot a pointer was
 * spilled to, parameters some earlier call site passed a pointer in. */
struct ptr_track {
	bool reg[11];
	bool slot[CF_STACK_MAX / 8];   /* r10 - 8 * (k + 1) holds a pointer */
	bool out[CF_MAX_STACK_ARGS];   /* outgoing r11 slot k + 1 holds a pointer */
};

static void count_func(struct gen_stats *st, const struct cf_prog *p, int fi,
		       bool param_ptr[][CF_MAX_ARGS])
{
	const struct cf_func *f = &p->funcs[fi];
	struct ptr_track t;

	memset(&t, 0, sizeof(t));
	t.reg[BPF_REG_10] = true;
	if (fi == 0)
		t.reg[BPF_REG_1] = true;
	else
		for (int a = 0; a < CF_MAX_REG_ARGS && a < f->nargs; a++)
			t.reg[BPF_REG_1 + a] = param_ptr[fi][a];
	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];
		uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code), mode = BPF_MODE(i->code);
		int dst = i->dst_reg & 15, src = i->src_reg & 15;

		st->insns++;
		st->classes[cls]++;
		if (dst > 10 && !(cls == BPF_ST || cls == BPF_STX))
			dst = 10;
		if (src > 10)
			src = 10;
		if (cf_insn_is_ldimm64(i)) {
			st->ldimm64++;
			t.reg[dst] = false;
			pc++;
			st->insns++;
			continue;
		}
		switch (cls) {
		case BPF_ALU:
		case BPF_ALU64:
			if (op == BPF_MOV && BPF_SRC(i->code) == BPF_X && i->off)
				st->movsx++;
			if ((op == BPF_DIV || op == BPF_MOD) && i->off == 1)
				st->sdiv_smod++;
			if (op == BPF_END)
				st->end_bswap++;
			if (op == BPF_NEG)
				st->neg++;
			if (op == BPF_MOV && BPF_SRC(i->code) == BPF_X && cls == BPF_ALU64 && !i->off)
				t.reg[dst] = t.reg[src];
			else if (!(cls == BPF_ALU64 && (op == BPF_ADD || op == BPF_SUB) && BPF_SRC(i->code) == BPF_K))
				t.reg[dst] = false;
			break;
		case BPF_LDX:
			if (mode == BPF_MEMSX)
				st->ldsx++;
			if (i->src_reg == BPF_REG_PARAMS) {
				int a = CF_MAX_REG_ARGS + i->off / 8 - 1;

				st->slot_loads++;
				t.reg[dst] = a >= 0 && a < CF_MAX_ARGS && param_ptr[fi][a];
			} else if (i->src_reg == BPF_REG_10 && BPF_SIZE(i->code) == BPF_DW && i->off < 0 &&
				   -i->off <= CF_STACK_MAX && i->off % 8 == 0) {
				t.reg[dst] = t.slot[-i->off / 8 - 1];
			} else {
				t.reg[dst] = false;
			}
			break;
		case BPF_ST:
		case BPF_STX:
			if (mode == BPF_ATOMIC) {
				st->atomics++;
				if (i->imm & BPF_FETCH)
					st->atomic_fetch++;
				if (i->imm == BPF_CMPXCHG)
					t.reg[BPF_REG_0] = false;
				else if (i->imm & BPF_FETCH)
					t.reg[src] = false;
				break;
			}
			if (i->dst_reg == BPF_REG_PARAMS) {
				int k = -i->off / 8; /* slot k: arg 5 + k */
				bool ptr = cls == BPF_STX && t.reg[src];

				if (k <= 3)
					st->slot_args_reg++;
				else
					st->slot_args_mem++;
				if (cls == BPF_ST)
					st->slot_st_imm++;
				else
					st->slot_stx++;
				if (k >= 1 && k <= CF_MAX_STACK_ARGS)
					t.out[k - 1] = ptr;
				if (ptr)
					st->ptr_args_slot++;
			} else if (i->dst_reg == BPF_REG_10 && BPF_SIZE(i->code) == BPF_DW && i->off < 0 &&
				   -i->off <= CF_STACK_MAX && i->off % 8 == 0) {
				t.slot[-i->off / 8 - 1] = cls == BPF_STX && t.reg[src];
			}
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (op == BPF_CALL) {
				if (i->src_reg == BPF_PSEUDO_CALL) {
					int j = i->imm;

					st->pseudo_calls++;
					if (j >= 0 && j < p->nfuncs) {
						int n = p->funcs[j].nargs;

						if (n >= 0 && n <= CF_MAX_ARGS)
							st->callee_nargs[n]++;
						for (int a = 0; a < n && a < CF_MAX_ARGS; a++) {
							bool ptr = a < CF_MAX_REG_ARGS ? t.reg[BPF_REG_1 + a]
										       : t.out[a - CF_MAX_REG_ARGS];

							if (ptr && a < CF_MAX_REG_ARGS)
								st->ptr_args_reg++;
							if (ptr)
								param_ptr[j][a] = true;
						}
					}
				} else if (i->src_reg == BPF_PSEUDO_KFUNC_CALL) {
					st->kfunc_calls++;
				} else {
					st->helper_calls++;
				}
				for (int r = BPF_REG_0; r <= BPF_REG_5; r++)
					t.reg[r] = false;
				memset(t.out, 0, sizeof(t.out));
			} else if (op == BPF_JA) {
				if (cls == BPF_JMP32)
					st->gotol++;
				if ((cls == BPF_JMP32 ? i->imm : i->off) < 0)
					st->back_jumps++;
			} else if (cf_insn_is_may_goto(i)) {
				st->may_goto++;
			} else if (op != BPF_EXIT) {
				st->cond_jumps++;
				if (i->off < 0)
					st->back_jumps++;
			}
			break;
		default:
			break;
		}
	}
}

void gen_stats_add(struct gen_stats *st, const struct cf_prog *p)
{
	bool table[CF_MAX_FUNCS][CF_MAX_ARGS];
	int depth = 0, stack = 0, total = cf_prog_total_insns(p);

	if (p->nfuncs == 0)
		return;
	memset(table, 0, sizeof(table));
	st->programs++;
	st->funcs += p->nfuncs;
	if (total > st->max_prog_insns)
		st->max_prog_insns = total;
	for (int fi = 0; fi < p->nfuncs && fi < CF_MAX_FUNCS; fi++) {
		const struct cf_func *f = &p->funcs[fi];

		if (fi && f->nargs >= 0 && f->nargs <= CF_MAX_ARGS)
			st->funcs_nargs[f->nargs]++;
		if (f->global)
			st->global_funcs++;
		count_func(st, p, fi, table);
	}
	chain(p, 0, 1, &depth, &stack, 0);
	st->depth[depth > CF_MAX_FRAMES ? CF_MAX_FRAMES : depth]++;
	/* tail calls: the targets' sites apart (their own instructions are
	 * not in the counts above) */
	st->tail_progs += p->ntails > 0;
	st->tail_targets += p->ntails;
	for (int k = -1; k < p->ntails; k++) {
		const struct cf_prog *q = k < 0 ? p : &p->tails[k];

		for (int fi = 0; fi < q->nfuncs; fi++) {
			const struct cf_func *f = &q->funcs[fi];

			for (int pc = 0; pc < f->ninsns; pc++) {
				const struct bpf_insn *i = &f->insns[pc];

				if (i->code != (BPF_JMP | BPF_CALL) || i->src_reg || i->imm != CF_KHELPER_TAIL_CALL)
					continue;
				*(k < 0 ? &st->tail_sites_main : &st->tail_sites_target) += 1;
				st->tail_sites_subprog += fi > 0;
			}
		}
	}
	st->chain_stack[stack <= 128 ? 0 : stack <= 256 ? 1 : stack <= 384 ? 2 : stack < 512 ? 3 : 4]++;
}

static void print_hist(FILE *f, const char *title, const long *h, int n, int first)
{
	fprintf(f, "%-28s", title);
	for (int i = first; i < n; i++)
		fprintf(f, " %d:%ld", i, h[i]);
	fprintf(f, "\n");
}

void gen_stats_print(FILE *f, const struct gen_stats *st)
{
	static const char *const class_names[8] = { "ld", "ldx", "st", "stx", "alu", "jmp", "jmp32", "alu64" };
	double n = st->programs ? (double)st->programs : 1.0;

	fprintf(f, "programs                     %ld (%.1f funcs, %.1f slots each; largest %ld)\n",
		st->programs, st->funcs / n, st->insns / n, st->max_prog_insns);
	print_hist(f, "callee arg counts (sites)", st->callee_nargs, CF_MAX_ARGS + 1, 0);
	print_hist(f, "function arg counts", st->funcs_nargs, CF_MAX_ARGS + 1, 0);
	print_hist(f, "deepest chain (frames)", st->depth, CF_MAX_FRAMES + 1, 1);
	fprintf(f, "%-28s <=128:%ld <=256:%ld <=384:%ld <512:%ld =512:%ld\n", "chain stack (bytes)",
		st->chain_stack[0], st->chain_stack[1], st->chain_stack[2], st->chain_stack[3],
		st->chain_stack[4]);
	fprintf(f, "%-28s", "insn classes");
	for (int c = 0; c < 8; c++)
		fprintf(f, " %s:%ld", class_names[c], st->classes[c]);
	fprintf(f, "\n");
	fprintf(f, "%-28s ld_imm64:%ld ldsx:%ld atomic:%ld (fetch %ld) movsx:%ld sdiv/smod:%ld end/bswap:%ld neg:%ld\n",
		"isa v4 forms", st->ldimm64, st->ldsx, st->atomics, st->atomic_fetch, st->movsx, st->sdiv_smod,
		st->end_bswap, st->neg);
	fprintf(f, "%-28s cond:%ld back(loops):%ld gotol:%ld may_goto:%ld\n", "jumps", st->cond_jumps,
		st->back_jumps, st->gotol, st->may_goto);
	fprintf(f, "%-28s subprog:%ld helper:%ld kfunc:%ld; global funcs:%ld\n", "calls", st->pseudo_calls,
		st->helper_calls, st->kfunc_calls, st->global_funcs);
	fprintf(f, "%-28s args 6..8 (x5..x7):%ld args 9..12 (memory):%ld; st imm:%ld stx:%ld; loads:%ld\n",
		"stack-arg slots", st->slot_args_reg, st->slot_args_mem, st->slot_st_imm, st->slot_stx,
		st->slot_loads);
	fprintf(f, "%-28s in r1..r5:%ld in r11 slots:%ld\n", "pointer args", st->ptr_args_reg, st->ptr_args_slot);
	if (st->tail_progs)
		fprintf(f, "%-28s programs:%ld targets:%ld; bpf_tail_call in programs:%ld in targets:%ld (in subprogs:%ld)\n",
			"tail calls", st->tail_progs, st->tail_targets, st->tail_sites_main, st->tail_sites_target,
			st->tail_sites_subprog);
}

/* bpf/prog.c: the program container and its flat (kernel) form. */
#include "bpf/bpf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cf_err_set(struct cf_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static void *grow(void *ptr, int *cap, int need, size_t elem)
{
	int ncap;

	if (need <= *cap)
		return ptr;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	ptr = realloc(ptr, (size_t)ncap * elem);
	if (!ptr) {
		fprintf(stderr, "callfuzz: out of memory\n");
		abort();
	}
	*cap = ncap;
	return ptr;
}

void cf_prog_init(struct cf_prog *p)
{
	memset(p, 0, sizeof(*p));
}

static void func_free(struct cf_func *f)
{
	free(f->insns);
	free(f->lines);
	free(f->labels);
}

void cf_prog_free(struct cf_prog *p)
{
	for (int i = 0; i < p->nfuncs; i++)
		func_free(&p->funcs[i]);
	free(p->funcs);
	for (int k = 0; k < p->ntails; k++)
		cf_prog_free(&p->tails[k]);
	free(p->tails);
	cf_prog_init(p);
}

struct cf_func *cf_prog_add_func(struct cf_prog *p, const char *name, int nargs, bool global)
{
	struct cf_func *f;

	if (p->nfuncs >= CF_MAX_FUNCS)
		return NULL;
	p->funcs = grow(p->funcs, &p->funcs_cap, p->nfuncs + 1, sizeof(*p->funcs));
	f = &p->funcs[p->nfuncs++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->nargs = nargs;
	f->global = global;
	return f;
}

int cf_prog_copy(struct cf_prog *dst, const struct cf_prog *src)
{
	cf_prog_init(dst);
	for (int i = 0; i < src->nfuncs; i++) {
		const struct cf_func *s = &src->funcs[i];
		struct cf_func *d = cf_prog_add_func(dst, s->name, s->nargs, s->global);

		if (!d) {
			cf_prog_free(dst);
			return -1;
		}
		d->stack_size = s->stack_size;
		d->stack_declared = s->stack_declared;
		for (int k = 0; k < s->ninsns; k++)
			cf_func_emit(d, s->insns[k], s->lines ? s->lines[k] : 0);
		for (int k = 0; k < s->nlabels; k++)
			cf_func_add_label(d, s->labels[k].name, s->labels[k].pos);
	}
	memcpy(dst->maps, src->maps, sizeof(dst->maps));
	dst->nmaps = src->nmaps;
	dst->prog_type = src->prog_type;
	for (int k = 0; k < src->ntails; k++) {
		struct cf_prog *t = cf_prog_add_tail(dst);

		if (!t || cf_prog_copy(t, &src->tails[k])) {
			cf_prog_free(dst);
			return -1;
		}
	}
	return 0;
}

struct cf_prog *cf_prog_add_tail(struct cf_prog *p)
{
	struct cf_prog *t;

	if (p->ntails >= CF_MAX_TAILS)
		return NULL;
	t = realloc(p->tails, sizeof(*p->tails) * (size_t)(p->ntails + 1));
	if (!t) {
		fprintf(stderr, "callfuzz: out of memory\n");
		abort();
	}
	p->tails = t;
	t = &p->tails[p->ntails++];
	cf_prog_init(t);
	memcpy(t->maps, p->maps, sizeof(t->maps));
	t->nmaps = p->nmaps;
	t->prog_type = p->prog_type;
	return t;
}

void cf_prog_sync_tails(struct cf_prog *p)
{
	for (int k = 0; k < p->ntails; k++) {
		memcpy(p->tails[k].maps, p->maps, sizeof(p->maps));
		p->tails[k].nmaps = p->nmaps;
		p->tails[k].prog_type = p->prog_type;
	}
}

bool cf_func_has_tail_call(const struct cf_func *f)
{
	for (int pc = 0; pc < f->ninsns; pc++) {
		const struct bpf_insn *i = &f->insns[pc];

		if (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == 0 && i->imm == CF_KHELPER_TAIL_CALL)
			return true;
		if (cf_insn_is_ldimm64(i))
			pc++;
	}
	return false;
}

int cf_prog_find_func(const struct cf_prog *p, const char *name)
{
	for (int i = 0; i < p->nfuncs; i++)
		if (strcmp(p->funcs[i].name, name) == 0)
			return i;
	return -1;
}

int cf_func_emit(struct cf_func *f, struct bpf_insn insn, int line)
{
	int cap = f->insns_cap;

	f->insns = grow(f->insns, &f->insns_cap, f->ninsns + 1, sizeof(*f->insns));
	f->lines = grow(f->lines, &cap, f->ninsns + 1, sizeof(*f->lines));
	f->insns[f->ninsns] = insn;
	f->lines[f->ninsns] = line;
	return f->ninsns++;
}

void cf_func_add_label(struct cf_func *f, const char *name, int pos)
{
	struct cf_label *l;

	f->labels = grow(f->labels, &f->labels_cap, f->nlabels + 1, sizeof(*f->labels));
	l = &f->labels[f->nlabels++];
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->pos = pos;
}

static bool is_r10_access(const struct bpf_insn *i, int *off, int *size)
{
	static const int sizes[4] = { 4, 2, 1, 8 }; /* BPF_W, BPF_H, BPF_B, BPF_DW */
	uint8_t cls = BPF_CLASS(i->code);
	uint8_t mode = BPF_MODE(i->code);
	int reg;

	if (cls == BPF_LDX && (mode == BPF_MEM || mode == BPF_MEMSX))
		reg = i->src_reg;
	else if ((cls == BPF_STX || cls == BPF_ST) && (mode == BPF_MEM || mode == BPF_ATOMIC))
		reg = i->dst_reg;
	else
		return false;
	if (reg != BPF_REG_10)
		return false;
	*off = i->off;
	*size = sizes[BPF_SIZE(i->code) >> 3];
	return true;
}

int cf_func_derived_stack(const struct cf_func *f)
{
	int depth = 0;

	for (int pc = 0; pc < f->ninsns; pc++) {
		int off, size;

		if (cf_insn_is_ldimm64(&f->insns[pc])) {
			pc++;
			continue;
		}
		if (is_r10_access(&f->insns[pc], &off, &size) && off < 0 && -off > depth)
			depth = -off;
	}
	return (depth + 7) & ~7;
}

void cf_prog_derive_stack(struct cf_prog *p)
{
	for (int i = 0; i < p->nfuncs; i++)
		if (!p->funcs[i].stack_declared)
			p->funcs[i].stack_size = cf_func_derived_stack(&p->funcs[i]);
}

bool cf_prog_equal(const struct cf_prog *a, const struct cf_prog *b)
{
	if (a->nfuncs != b->nfuncs || a->nmaps != b->nmaps || a->prog_type != b->prog_type ||
	    a->ntails != b->ntails)
		return false;
	for (int i = 0; i < a->nmaps; i++) {
		const struct cf_map *x = &a->maps[i], *y = &b->maps[i];

		if (strcmp(x->name, y->name) || x->type != y->type || x->key_size != y->key_size ||
		    x->value_size != y->value_size || x->max_entries != y->max_entries || x->rdonly != y->rdonly ||
		    memcmp(x->init, y->init, sizeof(x->init)) || memcmp(x->tail_slot, y->tail_slot, sizeof(x->tail_slot)))
			return false;
	}
	for (int k = 0; k < a->ntails; k++)
		if (!cf_prog_equal(&a->tails[k], &b->tails[k]))
			return false;
	for (int i = 0; i < a->nfuncs; i++) {
		const struct cf_func *x = &a->funcs[i], *y = &b->funcs[i];

		if (strcmp(x->name, y->name) || x->nargs != y->nargs || x->global != y->global ||
		    x->stack_size != y->stack_size || x->ninsns != y->ninsns)
			return false;
		for (int k = 0; k < x->ninsns; k++) {
			const struct bpf_insn *s = &x->insns[k], *t = &y->insns[k];

			if (s->code != t->code || s->dst_reg != t->dst_reg || s->src_reg != t->src_reg ||
			    s->off != t->off || s->imm != t->imm)
				return false;
		}
	}
	return true;
}

int cf_prog_total_insns(const struct cf_prog *p)
{
	int n = 0;

	for (int i = 0; i < p->nfuncs; i++)
		n += p->funcs[i].ninsns;
	return n;
}

/* ---- flat form ---- */

void cf_raw_free(struct cf_raw *raw)
{
	free(raw->insns);
	free(raw->funcs);
	memset(raw, 0, sizeof(*raw));
}

int cf_prog_to_raw(const struct cf_prog *p, struct cf_raw *out, struct cf_err *err)
{
	int total = cf_prog_total_insns(p), pos = 0;

	memset(out, 0, sizeof(*out));
	if (p->nfuncs == 0) {
		cf_err_set(err, "program has no functions");
		return -1;
	}
	out->insns = calloc(total ? total : 1, sizeof(*out->insns));
	out->funcs = calloc(p->nfuncs, sizeof(*out->funcs));
	if (!out->insns || !out->funcs) {
		cf_raw_free(out);
		cf_err_set(err, "out of memory");
		return -1;
	}
	out->ninsns = total;
	out->nfuncs = p->nfuncs;
	for (int i = 0; i < p->nfuncs; i++) {
		const struct cf_func *f = &p->funcs[i];
		struct cf_raw_func *rf = &out->funcs[i];

		snprintf(rf->name, sizeof(rf->name), "%s", f->name);
		rf->start = pos;
		rf->nargs = f->nargs;
		rf->global = f->global;
		rf->stack_size = f->stack_size;
		pos += f->ninsns;
	}
	for (int i = 0; i < p->nfuncs; i++) {
		const struct cf_func *f = &p->funcs[i];
		int start = out->funcs[i].start;

		for (int k = 0; k < f->ninsns; k++) {
			struct bpf_insn insn = f->insns[k];

			/* LD_IMM64 pairs are copied together below, so k is
			 * always the first slot of an instruction here. */
			if (cf_insn_refs_func(&insn)) {
				if (insn.imm < 0 || insn.imm >= p->nfuncs) {
					cf_err_set(err, "func %s insn %d: call to function #%d, which does not exist",
						   f->name, k, insn.imm);
					cf_raw_free(out);
					return -1;
				}
				insn.imm = out->funcs[insn.imm].start - (start + k + 1);
			}
			out->insns[start + k] = insn;
			if (cf_insn_is_ldimm64(&insn) && k + 1 < f->ninsns) {
				out->insns[start + k + 1] = f->insns[k + 1];
				k++;
			}
		}
	}
	return 0;
}

/* The absolute target of a jump (not calls or exit); false for others.
 * JMP32|JA is gotol, whose offset is in imm. */
static bool jump_target(const struct bpf_insn *i, int pc, long *target)
{
	uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);

	if (cls != BPF_JMP && cls != BPF_JMP32)
		return false;
	if (op == BPF_CALL || op == BPF_EXIT)
		return false;
	if (cls == BPF_JMP32 && op == BPF_JA)
		*target = (long)pc + 1 + i->imm;
	else
		*target = (long)pc + 1 + i->off;
	return true;
}

static int func_at(const struct cf_raw *raw, int pc)
{
	for (int i = 0; i < raw->nfuncs; i++)
		if (raw->funcs[i].start == pc)
			return i;
	return -1;
}

int cf_prog_from_raw(struct cf_prog *out, const struct cf_raw *raw, struct cf_err *err)
{
	cf_prog_init(out);
	if (raw->nfuncs < 1 || raw->nfuncs > CF_MAX_FUNCS) {
		cf_err_set(err, "bytecode: %d functions (expected 1..%d)", raw->nfuncs, CF_MAX_FUNCS);
		return -1;
	}
	if (raw->ninsns < 1 || raw->ninsns > CF_MAX_INSNS) {
		cf_err_set(err, "bytecode: %d instructions (expected 1..%d)", raw->ninsns, CF_MAX_INSNS);
		return -1;
	}
	if (raw->funcs[0].start != 0) {
		cf_err_set(err, "bytecode: the entry function must start at instruction 0");
		return -1;
	}
	for (int i = 0; i < raw->nfuncs; i++) {
		const struct cf_raw_func *rf = &raw->funcs[i];
		int end = i + 1 < raw->nfuncs ? raw->funcs[i + 1].start : raw->ninsns;
		struct cf_func *f;

		if (end <= rf->start || end > raw->ninsns) {
			cf_err_set(err, "bytecode: function %d starts at %d, not after the previous one", i,
				   rf->start);
			goto fail;
		}
		if (rf->nargs < 0 || rf->nargs > CF_MAX_ARGS) {
			cf_err_set(err, "bytecode: function %d takes %d args (expected 0..%d)", i, rf->nargs,
				   CF_MAX_ARGS);
			goto fail;
		}
		if (rf->global && rf->nargs > CF_MAX_REG_ARGS) {
			/* stack-args.md 2.8: global functions keep the 5-argument limit */
			cf_err_set(err, "bytecode: global function %d takes %d args (at most %d)", i,
				   rf->nargs, CF_MAX_REG_ARGS);
			goto fail;
		}
		char name[CF_NAME_MAX];
		if (rf->name[0])
			snprintf(name, sizeof(name), "%s", rf->name);
		else
			snprintf(name, sizeof(name), i == 0 ? "main" : "f%d", i);
		f = cf_prog_add_func(out, name, rf->nargs, rf->global);
		f->stack_size = rf->stack_size;
		f->stack_declared = rf->stack_size > 0;
		for (int pc = rf->start; pc < end; pc++) {
			struct bpf_insn insn = raw->insns[pc];
			long target;

			/* LD_IMM64 pairs are consumed together below, so pc is
			 * always the first slot of an instruction here. */
			if (jump_target(&insn, pc, &target) && (target < rf->start || target >= end)) {
				cf_err_set(err, "bytecode insn %d: jump to %ld leaves function %d (%d..%d)", pc,
					   target, i, rf->start, end - 1);
				goto fail;
			}
			if (cf_insn_refs_func(&insn)) {
				long target = (long)pc + 1 + insn.imm;
				int callee = target >= 0 && target < raw->ninsns ? func_at(raw, (int)target) : -1;

				if (callee < 0) {
					cf_err_set(err, "bytecode insn %d: call target %ld is not the start of a function",
						   pc, target);
					goto fail;
				}
				insn.imm = callee;
			}
			cf_func_emit(f, insn, 0);
			if (cf_insn_is_ldimm64(&insn)) {
				if (pc + 1 >= end) {
					cf_err_set(err, "bytecode insn %d: ld_imm64 lacks its second half", pc);
					goto fail;
				}
				cf_func_emit(f, raw->insns[++pc], 0);
			}
		}
	}
	return 0;
fail:
	cf_prog_free(out);
	return -1;
}

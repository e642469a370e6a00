/* harness/import/import.c: a program of a clang-built BPF object as a cf_prog.
 *
 * How (libbpf 1.1, measured here):
 *  - libbpf resolves BPF-to-BPF calls only while loading. With
 *    bpf_object__gen_loader set, bpf_object__load records the loads
 *    instead of making them (no kernel, no privileges), and
 *    bpf_program__insns then gives the final array: the program followed
 *    by copies of every subprogram it reaches, calls relative.
 *  - libbpf 1.1 keeps the relocated func_info private, so the function
 *    boundaries come from the array itself: the entry plus every call
 *    target. Each appended subprogram is a verbatim copy of its ELF symbol
 *    (st_value, st_size in its section) except for the call immediates, so
 *    the symbol is found by comparing the bytes with the call immediates
 *    masked.
 *  - each function's argument count and linkage come from the object's
 *    BTF: FUNC (vlen = linkage) -> FUNC_PROTO (vlen = parameters).
 */
#include "harness/import/import.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The last libbpf warning, for the error message. libbpf's print hook is
 * process-wide; this file sets it only for the duration of one import. */
static __thread char libbpf_last[256];

static int capture_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = 0;
	snprintf(libbpf_last, sizeof(libbpf_last), "%s", line);
	return 0;
}

/* One FUNC symbol of the object: where its code lies in the ELF file. */
struct elf_func {
	char name[CF_NAME_MAX];
	const struct bpf_insn *insns; /* inside the ELF section's data */
	int ninsns;
	bool used;
};

struct elf_funcs {
	Elf *elf;
	int fd;
	struct elf_func *f;
	int n;
};

static void elf_funcs_free(struct elf_funcs *ef)
{
	free(ef->f);
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
}

static int elf_funcs_read(const char *path, struct elf_funcs *ef, struct cf_err *err)
{
	Elf_Scn *scn = NULL;

	memset(ef, 0, sizeof(*ef));
	ef->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		cf_err_set(err, "%s: libelf: %s", path, elf_errmsg(-1));
		return -1;
	}
	ef->fd = open(path, O_RDONLY);
	if (ef->fd < 0) {
		cf_err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	ef->elf = elf_begin(ef->fd, ELF_C_READ, NULL);
	if (!ef->elf) {
		cf_err_set(err, "%s: not an ELF file: %s", path, elf_errmsg(-1));
		return -1;
	}
	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *syms;
		size_t nsyms;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		syms = elf_getdata(scn, NULL);
		nsyms = sh.sh_size / sh.sh_entsize;
		ef->f = calloc(nsyms + 1, sizeof(*ef->f));
		if (!syms || !ef->f) {
			cf_err_set(err, "%s: cannot read the symbol table", path);
			return -1;
		}
		for (size_t i = 0; i < nsyms; i++) {
			GElf_Sym sym;
			GElf_Shdr code_sh;
			Elf_Scn *code;
			Elf_Data *data;
			const char *name;

			if (!gelf_getsym(syms, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_size || sym.st_size % sizeof(struct bpf_insn))
				continue;
			code = elf_getscn(ef->elf, sym.st_shndx);
			data = code ? elf_getdata(code, NULL) : NULL;
			name = elf_strptr(ef->elf, sh.sh_link, sym.st_name);
			if (!data || !data->d_buf || !gelf_getshdr(code, &code_sh) || !name ||
			    sym.st_value + sym.st_size > data->d_size)
				continue;
			snprintf(ef->f[ef->n].name, CF_NAME_MAX, "%s", name);
			ef->f[ef->n].insns = (const struct bpf_insn *)((const char *)data->d_buf + sym.st_value);
			ef->f[ef->n].ninsns = (int)(sym.st_size / sizeof(struct bpf_insn));
			ef->n++;
		}
		return 0;
	}
	cf_err_set(err, "%s: no symbol table", path);
	return -1;
}

/* The ELF function whose code is `code` (n slots) up to call immediates,
 * which libbpf rewrote. */
static struct elf_func *match_func(struct elf_funcs *ef, const struct bpf_insn *code, int n)
{
	for (int i = 0; i < ef->n; i++) {
		struct elf_func *f = &ef->f[i];
		int pc;

		if (f->used || f->ninsns != n)
			continue;
		for (pc = 0; pc < n; pc++) {
			struct bpf_insn a = code[pc], b = f->insns[pc];

			if (cf_insn_is_pseudo_call(&a) && cf_insn_is_pseudo_call(&b))
				a.imm = b.imm = 0;
			if (memcmp(&a, &b, sizeof(a)))
				break;
		}
		if (pc == n)
			return f;
	}
	return NULL;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* What the relocated array may hold: subprogram calls and plain
 * instructions. Anything libbpf relocated otherwise refers to kernel
 * objects the model has no notion of. */
static int check_supported(const char *path, const struct bpf_insn *insns, int n, struct cf_err *err)
{
	for (int pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &insns[pc];

		if (cf_insn_is_ldimm64(i)) {
			if (i->src_reg) {
				cf_err_set(err,
					   "%s: insn %d: ld_imm64 with src_reg %d (a map, global data or callback "
					   "reference): only plain constants can be imported",
					   path, pc, i->src_reg);
				return -1;
			}
			pc++;
		} else if (i->code == (BPF_JMP | BPF_CALL) && !cf_insn_is_pseudo_call(i)) {
			cf_err_set(err,
				   "%s: insn %d: call of %s %d: seeds may not call kernel helpers or kfuncs "
				   "(the model's callees are not the kernel's)",
				   path, pc, i->src_reg == BPF_PSEUDO_KFUNC_CALL ? "kfunc" : "helper", i->imm);
			return -1;
		}
	}
	return 0;
}

/* nargs and linkage of function `name` from BTF. */
static int btf_func_sig(const struct btf *btf, const char *path, const char *name, int *nargs, bool *global,
			struct cf_err *err)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	const struct btf_type *fn, *proto;

	if (id < 0) {
		cf_err_set(err, "%s: function %s has no BTF FUNC (build with -g)", path, name);
		return -1;
	}
	fn = btf__type_by_id(btf, (uint32_t)id);
	proto = fn ? btf__type_by_id(btf, fn->type) : NULL;
	if (!proto || !btf_is_func_proto(proto)) {
		cf_err_set(err, "%s: BTF FUNC %s does not point at a FUNC_PROTO", path, name);
		return -1;
	}
	*nargs = btf_vlen(proto);
	*global = btf_vlen(fn) == BTF_FUNC_GLOBAL;
	return 0;
}

static struct bpf_program *pick_program(struct bpf_object *obj, const char *path, const char *prog_name,
					struct cf_err *err)
{
	struct bpf_program *p, *found = NULL;
	int count = 0;

	bpf_object__for_each_program(p, obj) {
		count++;
		if (prog_name ? !strcmp(bpf_program__name(p), prog_name) : !found)
			found = p;
	}
	if (!found) {
		cf_err_set(err, prog_name ? "%s: no program named %s" : "%s: no BPF program (no SEC(...) function)",
			   path, prog_name);
		return NULL;
	}
	if (!prog_name && count > 1) {
		cf_err_set(err, "%s: %d programs; name one (--prog NAME)", path, count);
		return NULL;
	}
	/* Only the chosen program is "loaded" (recorded). */
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == found);
	return found;
}

/* Split the relocated array into functions named from the ELF symbols and
 * typed from BTF. */
static int build_raw(const char *path, struct bpf_object *obj, struct bpf_program *prog, struct cf_raw *raw,
		     struct cf_err *err)
{
	const struct bpf_insn *insns = bpf_program__insns(prog);
	int n = (int)bpf_program__insn_cnt(prog), *starts = NULL, nstarts = 0;
	const struct btf *btf = bpf_object__btf(obj);
	struct elf_funcs ef;
	int ret = -1;

	memset(raw, 0, sizeof(*raw));
	if (!insns || n <= 0) {
		cf_err_set(err, "%s: libbpf gave no instructions for %s", path, bpf_program__name(prog));
		return -1;
	}
	if (!btf) {
		cf_err_set(err, "%s: no BTF (build with clang -g)", path);
		return -1;
	}
	if (check_supported(path, insns, n, err))
		return -1;
	if (elf_funcs_read(path, &ef, err))
		return -1;
	starts = calloc((size_t)n + 1, sizeof(*starts));
	raw->insns = calloc((size_t)n, sizeof(*raw->insns));
	if (!starts || !raw->insns) {
		cf_err_set(err, "out of memory");
		goto out;
	}
	memcpy(raw->insns, insns, (size_t)n * sizeof(*insns));
	raw->ninsns = n;
	starts[nstarts++] = 0;
	for (int pc = 0; pc < n; pc++) {
		if (cf_insn_is_ldimm64(&insns[pc])) {
			pc++;
			continue;
		}
		if (cf_insn_is_pseudo_call(&insns[pc])) {
			long target = (long)pc + 1 + insns[pc].imm;

			if (target <= 0 || target >= n) {
				cf_err_set(err, "%s: insn %d: call target %ld outside the program", path, pc, target);
				goto out;
			}
			starts[nstarts++] = (int)target;
		}
	}
	qsort(starts, (size_t)nstarts, sizeof(*starts), cmp_int);
	raw->funcs = calloc((size_t)nstarts, sizeof(*raw->funcs));
	if (!raw->funcs) {
		cf_err_set(err, "out of memory");
		goto out;
	}
	for (int i = 0; i < nstarts; i++) {
		int start = starts[i], end = n;
		struct cf_raw_func *rf;
		struct elf_func *ef_func;

		if (i && start == starts[i - 1])
			continue;
		for (int j = i + 1; j < nstarts; j++)
			if (starts[j] != start) {
				end = starts[j];
				break;
			}
		ef_func = match_func(&ef, insns + start, end - start);
		if (!ef_func) {
			cf_err_set(err, "%s: instructions %d..%d match no function symbol of the object", path,
				   start, end - 1);
			goto out;
		}
		ef_func->used = true;
		rf = &raw->funcs[raw->nfuncs++];
		rf->start = start;
		snprintf(rf->name, sizeof(rf->name), "%s", ef_func->name);
		if (btf_func_sig(btf, path, ef_func->name, &rf->nargs, &rf->global, err))
			goto out;
		if (start == 0) {
			if (rf->nargs > 1) {
				cf_err_set(err, "%s: program %s takes %d arguments; an entry takes only ctx", path,
					   rf->name, rf->nargs);
				goto out;
			}
			rf->nargs = 1; /* r1 = ctx, declared or not */
			rf->global = false;
		}
	}
	ret = 0;
out:
	free(starts);
	elf_funcs_free(&ef);
	if (ret)
		cf_raw_free(raw);
	return ret;
}

int import_bpf_object(const char *path, const char *prog_name, struct cf_prog *out, struct cf_err *err)
{
	LIBBPF_OPTS(gen_loader_opts, gen);
	libbpf_print_fn_t prev_print;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct cf_raw raw;
	int ret = -1;

	cf_prog_init(out);
	libbpf_last[0] = 0;
	prev_print = libbpf_set_print(capture_libbpf);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		cf_err_set(err, "%s: libbpf cannot open it (%s)%s%s", path, strerror(errno),
			   libbpf_last[0] ? ": " : "", libbpf_last);
		goto out;
	}
	prog = pick_program(obj, path, prog_name, err);
	if (!prog)
		goto out;
	/* Record instead of loading: resolves the calls without a kernel. */
	if (bpf_object__gen_loader(obj, &gen) || bpf_object__load(obj)) {
		cf_err_set(err, "%s: libbpf could not relocate %s%s%s", path, bpf_program__name(prog),
			   libbpf_last[0] ? ": " : "", libbpf_last);
		goto out;
	}
	if (build_raw(path, obj, prog, &raw, err))
		goto out;
	ret = cf_prog_from_raw(out, &raw, err);
	cf_raw_free(&raw);
	if (!ret)
		cf_prog_derive_stack(out);
out:
	bpf_object__close(obj);
	libbpf_set_print(prev_print);
	return ret;
}

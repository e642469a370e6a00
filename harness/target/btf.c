/* harness/target/btf.c: BTF, func_info and line_info for loading a program into a
 * real kernel, written with libbpf's BTF writer.
 *
 * stack-args.md 1: the kernel learns each subprog's argument count from the
 * FUNC_PROTO its func_info record points at, so every function gets its own
 * proto with exactly nargs parameters. */
#include "harness/target/target.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vm_btf_free(struct vm_btf *b)
{
	free(b->data);
	free(b->func_info);
	free(b->line_info);
	memset(b, 0, sizeof(*b));
}

static int add_func(struct btf *btf, int int_id, const struct cf_raw_func *f, bool entry,
		    struct cf_err *err)
{
	int proto = btf__add_func_proto(btf, int_id);
	int id;

	if (proto < 0) {
		cf_err_set(err, "BTF: FUNC_PROTO of %s: %s", f->name, strerror(-proto));
		return -1;
	}
	for (int a = 0; a < f->nargs; a++) {
		char name[16];

		snprintf(name, sizeof(name), "a%d", a + 1);
		if (btf__add_func_param(btf, name, int_id) < 0) {
			cf_err_set(err, "BTF: parameter %d of %s", a + 1, f->name);
			return -1;
		}
	}
	/* kernels.md: the entry is global, the others as declared */
	id = btf__add_func(btf, f->name, entry || f->global ? BTF_FUNC_GLOBAL : BTF_FUNC_STATIC, proto);
	if (id < 0) {
		cf_err_set(err, "BTF: FUNC %s: %s (names must be C identifiers)", f->name, strerror(-id));
		return -1;
	}
	return id;
}

int vm_btf_build(const struct cf_raw *raw, bool line_info, struct vm_btf *out, struct cf_err *err)
{
	struct btf *btf = btf__new_empty();
	const void *data;
	uint32_t len;
	int int_id, file_off;

	memset(out, 0, sizeof(*out));
	if (!btf) {
		cf_err_set(err, "BTF: out of memory");
		return -1;
	}
	int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	file_off = btf__add_str(btf, "callfuzz.s");
	out->func_info = calloc((size_t)raw->nfuncs + 1, sizeof(*out->func_info));
	if (int_id < 0 || file_off < 0 || !out->func_info) {
		cf_err_set(err, "BTF: out of memory");
		goto fail;
	}
	for (int i = 0; i < raw->nfuncs; i++) {
		int id = add_func(btf, int_id, &raw->funcs[i], i == 0, err);

		if (id < 0)
			goto fail;
		out->func_info[i].insn_off = (uint32_t)raw->funcs[i].start;
		out->func_info[i].type_id = (uint32_t)id;
	}
	out->nfunc_info = raw->nfuncs;
	if (line_info) {
		out->line_info = calloc((size_t)raw->ninsns + 1, sizeof(*out->line_info));
		if (!out->line_info) {
			cf_err_set(err, "BTF: out of memory");
			goto fail;
		}
		for (int pc = 0; pc < raw->ninsns; pc++) {
			struct bpf_line_info *l = &out->line_info[out->nline_info++];

			l->insn_off = (uint32_t)pc;
			l->file_name_off = (uint32_t)file_off;
			l->line_off = 0; /* "" */
			l->line_col = (uint32_t)(pc + 1) << 10; /* BPF_LINE_INFO_LINE_NUM */
			/* the kernel refuses line_info on the second slot of LD_IMM64 */
			if (cf_insn_is_ldimm64(&raw->insns[pc]))
				pc++;
		}
	}
	data = btf__raw_data(btf, &len);
	if (!data || !(out->data = malloc(len))) {
		cf_err_set(err, "BTF: cannot serialize");
		goto fail;
	}
	memcpy(out->data, data, len);
	out->len = len;
	btf__free(btf);
	return 0;
fail:
	btf__free(btf);
	vm_btf_free(out);
	return -1;
}

/* tests/e2e/selftest_kernel_load.c: loads an object compiled from a
 * `callfuzz selftest --kernel` file on the host kernel the way test_loader
 * and the file's prog_tests/ fragment would, and prints what the run gave,
 * for tests/e2e/selftest_kernel_load.sh to compare with the file:
 *
 *   selftest_kernel_load OBJ ENTRY [CTX_HEX [BTF_OBJ]]
 *
 * BTF_OBJ: the btf__ companion's object, as the test's __btf_func_path
 * names it: before the load, every function whose parameters have no
 * names gets a new FUNC_PROTO with the same types and the names of the
 * companion's function of the same name and count, what test_loader's
 * fixup_btf_from_path does (CTX_HEX "-": no ctx).
 *
 * bpf_object__load of every program (the entry and its __auxiliary
 * tail-call targets: libbpf then fills the prog arrays from their .values),
 * then one BPF_PROG_TEST_RUN of ENTRY: with CTX_HEX as ctx_in (256 bytes
 * for SYSCALL, 96 for RAW_TRACEPOINT, as the fragment's `__u8 ctx[N]`), or
 * with empty options (test_loader's run of a SYSCALL program). Prints
 *   retval N                      (BPF_PROG_TEST_RUN's u32)
 *   ctx[I] 0xBB                   (SYSCALL: the bytes the run changed)
 *   map NAME key {...} value {...} (every entry of every map that is not a
 *                                  prog array and not read-only; of an
 *                                  array, those whose value is not zeros)
 * Exit 0, 1 on a failure (with libbpf's log), 77 when bpf() is refused. */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void bytes(const unsigned char *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		printf("%s0x%02x", i ? ", " : " ", b[i]);
}

/* test_loader's __btf_func_path, in our words */
static int btf_names_from(struct bpf_object *obj, const char *path)
{
	struct btf *btf = bpf_object__btf(obj), *named;
	unsigned int n, nn;
	int err = 0;

	if (!btf)
		return 0;
	named = btf__parse(path, NULL);
	if (!named)
		return -errno;
	n = btf__type_cnt(btf);
	nn = btf__type_cnt(named);
	for (unsigned int id = 1; id < n && !err; id++) {
		const struct btf_type *f = btf__type_by_id(btf, id), *proto, *nf = NULL, *nproto;
		unsigned int types[64], vlen, ret;
		const char *name;
		int pid;

		if (!btf_is_func(f))
			continue;
		proto = btf__type_by_id(btf, f->type);
		vlen = btf_vlen(proto);
		if (!vlen || vlen > 64 || btf_params(proto)[0].name_off)
			continue;
		name = btf__name_by_offset(btf, f->name_off);
		for (unsigned int j = 1; j < nn && name; j++) {
			const struct btf_type *t = btf__type_by_id(named, j);

			if (btf_is_func(t) && !strcmp(name, btf__name_by_offset(named, t->name_off))) {
				nf = t;
				break;
			}
		}
		if (!nf)
			continue;
		nproto = btf__type_by_id(named, nf->type);
		if (!btf_is_func_proto(nproto) || btf_vlen(nproto) != vlen)
			continue;
		/* btf__add_* may move the data: copy what we need first */
		ret = proto->type;
		for (unsigned int a = 0; a < vlen; a++)
			types[a] = btf_params(proto)[a].type;
		pid = btf__add_func_proto(btf, ret);
		if (pid < 0) {
			err = pid;
			break;
		}
		for (unsigned int a = 0; a < vlen && !err; a++)
			err = btf__add_func_param(btf, btf__name_by_offset(named, btf_params(nproto)[a].name_off),
						  types[a]);
		((struct btf_type *)btf__type_by_id(btf, id))->type = (unsigned int)pid;
	}
	btf__free(named);
	return err;
}

int main(int argc, char **argv)
{
	unsigned char ctx[256] = { 0 }, before[256];
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	size_t ctx_size = 0;
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: selftest_kernel_load OBJ ENTRY [CTX_HEX]\n");
		return 2;
	}
	libbpf_set_print(print);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog) {
		fprintf(stderr, "no program %s\n", argv[2]);
		return 1;
	}
	if (argc > 4 && (err = btf_names_from(obj, argv[4]))) {
		fprintf(stderr, "BTF names from %s: %s\n", argv[4], strerror(-err));
		return 1;
	}
	if (argc > 3 && strcmp(argv[3], "-")) {
		const char *h = argv[3];

		ctx_size = bpf_program__type(prog) == BPF_PROG_TYPE_RAW_TRACEPOINT ? 96 : 256;
		for (size_t i = 0; h[0] && h[1] && i < ctx_size; i++, h += 2)
			sscanf(h, "%2hhx", &ctx[i]);
	}
	memcpy(before, ctx, sizeof(ctx));
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "load: %s\n", strerror(-err));
		return err == -EPERM ? 77 : 1;
	}
	{
		LIBBPF_OPTS(bpf_test_run_opts, topts);

		if (ctx_size) {
			topts.ctx_in = ctx;
			topts.ctx_size_in = (unsigned int)ctx_size;
		}
		err = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts);
		if (err) {
			fprintf(stderr, "test run: %s\n", strerror(errno));
			return 1;
		}
		printf("retval %u\n", topts.retval);
	}
	for (size_t i = 0; i < ctx_size && bpf_program__type(prog) != BPF_PROG_TYPE_RAW_TRACEPOINT; i++)
		if (ctx[i] != before[i])
			printf("ctx[%zu] 0x%02x\n", i, ctx[i]);
	bpf_object__for_each_map(map, obj) {
		unsigned char key[64], next[64], value[256];
		unsigned int ks = bpf_map__key_size(map), vs = bpf_map__value_size(map);
		int fd = bpf_map__fd(map);
		const char *name = bpf_map__name(map);
		void *prev = NULL;

		/* a global-data map's name is its section's: .data.NAME */
		if (!strncmp(name, ".data.", 6))
			name += 6;

		if (bpf_map__type(map) == BPF_MAP_TYPE_PROG_ARRAY || (bpf_map__map_flags(map) & BPF_F_RDONLY_PROG) ||
		    ks > sizeof(key) || vs > sizeof(value))
			continue;
		while (!bpf_map_get_next_key(fd, prev, next)) {
			memcpy(key, next, ks);
			prev = key;
			if (bpf_map_lookup_elem(fd, key, value))
				continue;
			if (bpf_map__type(map) == BPF_MAP_TYPE_ARRAY) {
				unsigned int b = 0;

				while (b < vs && !value[b])
					b++;
				if (b == vs)
					continue; /* the fragment lists no zero array value */
			}
			printf("map %s key {", name);
			bytes(key, ks);
			printf(" } value {");
			bytes(value, vs);
			printf(" }\n");
		}
	}
	bpf_object__close(obj);
	return 0;
}

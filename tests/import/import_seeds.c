/* tests/import/import_seeds.c: every C seed (seeds/c/) imported from its
 * clang-built object (build/seeds/NAME.bpf.o) gives a program that
 *  - has the functions, argument counts and linkage its C source declares
 *    (the tables below are read off the sources by hand);
 *  - passes the checker, with the 5-argument limit of kernels without
 *    stack arguments too;
 *  - computes, in the interpreter, in the host kernel (harness/target/target.h)
 *    and in our arm64 JIT under the executor, the r0 (low 32 bits: the
 *    entry returns int) and the ctx that the same C source computes when
 *    compiled natively (SEED_HOST): an oracle independent of clang's BPF
 *    backend, libbpf and every part of callfuzz. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/target/target.h"
#include "harness/import/import.h"
#include "harness/target/target.h"
#include "tests/target/exec_test.h"
#include "tests/test.h"

/* The seeds themselves, compiled for the host. Their function names do not
 * collide; LICENSE, defined by each, is renamed. */
#define SEED_HOST
#define LICENSE license_calltree
#include "seeds/c/calltree.bpf.c"
#undef LICENSE
#define LICENSE license_stackptr
#include "seeds/c/stackptr.bpf.c"
#undef LICENSE
#define LICENSE license_loops
#include "seeds/c/loops.bpf.c"
#undef LICENSE
#define LICENSE license_ctxwalk
#include "seeds/c/ctxwalk.bpf.c"
#undef LICENSE
#define LICENSE license_deepchain
#include "seeds/c/deepchain.bpf.c"
#undef LICENSE

struct seed_func {
	const char *name;
	int nargs;
	bool global;
};

struct seed {
	const char *name;
	int (*native)(void *ctx);
	struct seed_func funcs[12]; /* entry first; ends with a NULL name */
};

static int native_calltree(void *c) { return calltree(c); }
static int native_stackptr(void *c) { return stackptr(c); }
static int native_loops(void *c) { return loops(c); }
static int native_ctxwalk(void *c) { return ctxwalk(c); }
static int native_deepchain(void *c) { return deepchain(c); }

/* From the C sources: every __noinline function the entry reaches, with
 * its parameter count and static/global. The order of functions after the
 * entry is libbpf's and not checked. */
static const struct seed seeds[] = {
	{ "calltree", native_calltree,
	  { { "calltree", 1, false }, { "mix5", 5, false }, { "fold4", 4, false }, { "rot3", 3, false },
	    { "sq2", 2, false }, { "half1", 1, false }, { "glob_a", 3, true }, { "glob_b", 5, true } } },
	{ "stackptr", native_stackptr,
	  { { "stackptr", 1, false }, { "owner", 4, false }, { "fill4", 3, false }, { "middle", 4, false },
	    { "twist", 5, false }, { "divmod", 3, false } } },
	{ "loops", native_loops,
	  { { "loops", 1, false }, { "collatz", 2, false }, { "sdivs", 3, false }, { "nested", 3, false },
	    { "swaps", 3, false } } },
	{ "ctxwalk", native_ctxwalk,
	  { { "ctxwalk", 1, false }, { "walk", 3, false }, { "branchy", 5, false }, { "leaf", 3, false },
	    { "mix_global", 4, true } } },
	{ "deepchain", native_deepchain,
	  { { "deepchain", 1, false }, { "d1", 0, false }, { "d2", 5, true }, { "d3", 1, false },
	    { "d4", 4, true }, { "d5", 3, false }, { "d6", 2, true }, { "d7", 5, false } } },
};

#define NSEEDS (int)(sizeof(seeds) / sizeof(seeds[0]))

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Inputs: zeros, a byte pattern, and pseudo-random bytes. */
#define NINPUTS 6

static void make_ctx(int which, uint8_t ctx[CF_CTX_SIZE])
{
	uint64_t state = (uint64_t)which * 977;

	for (int i = 0; i < CF_CTX_SIZE; i++) {
		if (which == 0)
			ctx[i] = 0;
		else if (which == 1)
			ctx[i] = (uint8_t)(i * 37 + 1);
		else
			ctx[i] = (uint8_t)splitmix64(&state);
	}
}

/* The object of a seed, or NULL after SKIP's message is set. */
static int import_seed(const struct seed *s, struct cf_prog *p)
{
	char path[512];
	struct cf_err err;

	snprintf(path, sizeof(path), "%s/seeds/%s.bpf.o", test_build_dir(), s->name);
	if (access(path, R_OK)) {
		test_skip("%s missing: install clang-19 (or clang-14), then make", path);
		return -1;
	}
	if (import_bpf_object(path, NULL, p, &err)) {
		test_fail(__FILE__, __LINE__, "import %s: %s", path, err.msg);
		return -1;
	}
	return 0;
}

TEST(import_seeds_have_their_c_signatures)
{
	for (int k = 0; k < NSEEDS; k++) {
		const struct seed *s = &seeds[k];
		struct cf_prog p;
		int nfuncs = 0;

		if (import_seed(s, &p))
			return;
		for (; s->funcs[nfuncs].name; nfuncs++) {
			const struct seed_func *want = &s->funcs[nfuncs];
			int fi = cf_prog_find_func(&p, want->name);

			CHECK_MSG(fi >= 0, "%s: no function %s", s->name, want->name);
			if (fi < 0)
				continue;
			CHECK_MSG(p.funcs[fi].nargs == want->nargs, "%s: %s takes %d args, C says %d", s->name,
				  want->name, p.funcs[fi].nargs, want->nargs);
			CHECK_MSG(p.funcs[fi].global == want->global, "%s: %s linkage", s->name, want->name);
		}
		CHECK_MSG(p.nfuncs == nfuncs, "%s: %d functions, C has %d", s->name, p.nfuncs, nfuncs);
		CHECK_STR(p.funcs[0].name, s->name);
		cf_prog_free(&p);
	}
}

TEST(import_seeds_pass_the_checker)
{
	for (int k = 0; k < NSEEDS; k++) {
		struct cf_check_opts o;
		struct cf_prog p;
		struct cf_err err;

		if (import_seed(&seeds[k], &p))
			return;
		cf_check_opts_default(&o);
		CHECK_MSG(cf_check(&p, &o, &err) == 0, "%s: %s", seeds[k].name, err.msg);
		o.max_args = CF_MAX_REG_ARGS;
		o.model_callees = false;
		CHECK_MSG(cf_check(&p, &o, &err) == 0, "%s (5 args): %s", seeds[k].name, err.msg);
		cf_prog_free(&p);
	}
}

/* The imported text parses back to the same program (the seeds/NAME.s files). */
TEST(import_seeds_print_parse_round_trip)
{
	for (int k = 0; k < NSEEDS; k++) {
		struct cf_prog p, q;
		struct cf_err err;
		char *text;

		if (import_seed(&seeds[k], &p))
			return;
		text = cf_asm_print(&p);
		REQUIRE(text);
		CHECK_MSG(cf_asm_parse(text, strlen(text), seeds[k].name, &q, &err) == 0, "%s: %s", seeds[k].name,
			  err.msg);
		CHECK_MSG(cf_prog_equal(&p, &q), "%s: print/parse differs", seeds[k].name);
		free(text);
		cf_prog_free(&q);
		cf_prog_free(&p);
	}
}

/* Native run of seed k on input `which`: ctx after, and the int result. */
static uint32_t run_native(const struct seed *s, int which, uint8_t ctx[CF_CTX_SIZE])
{
	static union {
		uint64_t align;
		uint8_t bytes[CF_CTX_SIZE];
	} buf;

	make_ctx(which, buf.bytes);
	uint32_t r = (uint32_t)s->native(buf.bytes);

	memcpy(ctx, buf.bytes, CF_CTX_SIZE);
	return r;
}

TEST(import_seeds_interpreter_computes_what_c_computes)
{
	static struct interp_result ir;

	for (int k = 0; k < NSEEDS; k++) {
		struct cf_prog p;

		if (import_seed(&seeds[k], &p))
			return;
		for (int in = 0; in < NINPUTS; in++) {
			uint8_t ctx_in[CF_CTX_SIZE], want_ctx[CF_CTX_SIZE];
			uint32_t want = run_native(&seeds[k], in, want_ctx);

			make_ctx(in, ctx_in);
			interp_run(&p, NULL, NULL, ctx_in, &ir);
			CHECK_MSG(ir.status == INTERP_OK, "%s input %d: %s", seeds[k].name, in, ir.fault);
			CHECK_MSG((uint32_t)ir.r0 == want, "%s input %d: r0 0x%x, C 0x%x", seeds[k].name, in,
				  (uint32_t)ir.r0, want);
			CHECK_MSG(!memcmp(ir.ctx, want_ctx, CF_CTX_SIZE), "%s input %d: ctx differs from C",
				  seeds[k].name, in);
			/* zeros may map to zeros; other inputs must leave a mark */
			CHECK_MSG(in == 0 || memcmp(ir.ctx, ctx_in, CF_CTX_SIZE), "%s input %d: ctx not written",
				  seeds[k].name, in);
		}
		cf_prog_free(&p);
	}
}

TEST(import_seeds_host_kernel_computes_what_c_computes)
{
	struct kernel_probe kp;

	if (kernel_probe(&kp) || !kp.bpf_allowed)
		SKIP("host kernel target unavailable: %s", kp.msg);
	for (int k = 0; k < NSEEDS; k++) {
		struct cf_prog p;

		if (import_seed(&seeds[k], &p))
			return;
		for (int in = 0; in < NINPUTS; in++) {
			uint8_t ctx_in[CF_CTX_SIZE], want_ctx[CF_CTX_SIZE];
			uint32_t want = run_native(&seeds[k], in, want_ctx);
			struct kernel_result kr;
			struct cf_err err;

			make_ctx(in, ctx_in);
			REQUIRE_MSG(kernel_run(&p, ctx_in, &kr, &err) == 0, "%s: %s", seeds[k].name, err.msg);
			CHECK_MSG(kr.load_err == 0, "%s: the kernel rejects it: %s", seeds[k].name,
				  kr.log ? kr.log : "");
			if (!kr.load_err) {
				CHECK_MSG(kr.run_err == 0, "%s: test run: %s", seeds[k].name, strerror(kr.run_err));
				CHECK_MSG(kr.retval == want, "%s input %d: kernel r0 0x%x, C 0x%x", seeds[k].name, in,
					  kr.retval, want);
				CHECK_MSG(!memcmp(kr.ctx, want_ctx, CF_CTX_SIZE), "%s input %d: kernel ctx differs",
					  seeds[k].name, in);
			}
			kernel_result_release(&kr);
		}
		cf_prog_free(&p);
	}
}

TEST(import_seeds_jit_computes_what_c_computes)
{
	struct exec *ex = exec_test_start(2000);
	struct jit_opts jo = { .lse_atomics = true };

	if (!ex)
		return;
	exec_callee_addrs(ex, jo.callee_addr, 32);
	for (int k = 0; k < NSEEDS; k++) {
		static struct exec_result xr;
		struct jit_image img = { 0 };
		struct cf_prog p;
		struct cf_err err;

		if (import_seed(&seeds[k], &p))
			break;
		if (jit_compile(&p, &jo, &img, &err)) {
			CHECK_MSG(0, "%s: jit: %s", seeds[k].name, err.msg);
			cf_prog_free(&p);
			continue;
		}
		for (int in = 0; in < NINPUTS; in++) {
			uint8_t ctx_in[CF_CTX_SIZE], want_ctx[CF_CTX_SIZE];
			uint32_t want = run_native(&seeds[k], in, want_ctx);

			make_ctx(in, ctx_in);
			if (exec_test_run(ex, img.code, (int)img.ncode, img.entry, ctx_in, &xr))
				break;
			CHECK_MSG(xr.status == EXEC_OK, "%s input %d: %s %s", seeds[k].name, in,
				  exec_status_name(xr.status), xr.detail);
			CHECK_MSG((uint32_t)xr.r0 == want, "%s input %d: jit r0 0x%x, C 0x%x", seeds[k].name, in,
				  (uint32_t)xr.r0, want);
			CHECK_MSG(!memcmp(xr.ctx, want_ctx, CF_CTX_SIZE), "%s input %d: jit ctx differs",
				  seeds[k].name, in);
		}
		jit_image_free(&img);
		cf_prog_free(&p);
	}
	exec_stop(ex);
}

TEST(import_rejects_what_it_cannot_take)
{
	struct cf_prog p;
	struct cf_err err;
	char path[512];

	CHECK(import_bpf_object("/nonexistent.bpf.o", NULL, &p, &err) == -1);
	CHECK_CONTAINS(err.msg, "/nonexistent.bpf.o");
	snprintf(path, sizeof(path), "%s/seeds/calltree.bpf.o", test_build_dir());
	if (access(path, R_OK))
		SKIP("%s missing: install clang-19 (or clang-14), then make", path);
	CHECK(import_bpf_object(path, "no_such_prog", &p, &err) == -1);
	CHECK_CONTAINS(err.msg, "no program named no_such_prog");
	CHECK(import_bpf_object(path, "calltree", &p, &err) == 0);
	cf_prog_free(&p);
}

/* harness/repro/report.c: what a bucket tells its reader: report.txt (the
 * signature, both sides at the first divergence, the minimized program,
 * the arm64 code of the functions involved, the replay command), and the
 * annotated arm64 listing that `callfuzz jit` prints too. */
#include "harness/repro/repro.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JIT_LLVM_MC "llvm-mc-19"

/* ---- the annotated arm64 listing (from `callfuzz jit`) -------------------- */

/* "\tb.ne\t#-12 // x" -> "b.ne #-12" */
static void normalize_line(char *line)
{
	char *comment = strstr(line, "//");
	size_t o = 0;
	int space = 0;

	if (comment)
		*comment = 0;
	for (size_t k = 0; line[k]; k++) {
		if (isspace((unsigned char)line[k])) {
			space = o > 0;
			continue;
		}
		if (space)
			line[o++] = ' ';
		space = 0;
		line[o++] = line[k];
	}
	line[o] = 0;
}

/* Disassemble the whole image in one llvm-mc run. Each word is followed by
 * a marker word (brk #0x7777) so that a word LLVM cannot decode still
 * keeps the lines aligned. Returns n strings or NULL (llvm-mc missing). */
#define MARKER_WORD 0xd42eeee0u
#define MARKER_TEXT "brk #0x7777"

static char **disassemble(const uint32_t *words, uint32_t n)
{
	char in_path[] = "/tmp/callfuzz-jit-in-XXXXXX";
	char out_path[] = "/tmp/callfuzz-jit-out-XXXXXX";
	char cmd[256], line[512];
	char **lines = NULL;
	int fd_in, fd_out;
	FILE *in, *dis_out;
	uint32_t cur = 0;

	if (system("command -v " JIT_LLVM_MC " >/dev/null 2>&1") != 0)
		return NULL;
	fd_in = mkstemp(in_path);
	fd_out = mkstemp(out_path);
	if (fd_in < 0 || fd_out < 0)
		goto fail;
	in = fdopen(fd_in, "w");
	for (uint32_t k = 0; k < n; k++) {
		uint32_t pair[2] = { words[k], MARKER_WORD };

		for (int w = 0; w < 2; w++)
			fprintf(in, "0x%02x 0x%02x 0x%02x 0x%02x\n", pair[w] & 0xff, (pair[w] >> 8) & 0xff,
				(pair[w] >> 16) & 0xff, pair[w] >> 24);
	}
	fclose(in);
	snprintf(cmd, sizeof(cmd), JIT_LLVM_MC " --disassemble -triple=aarch64 -mattr=+lse <%s >%s 2>/dev/null",
		 in_path, out_path);
	if (system(cmd) != 0)
		goto fail_files;
	dis_out = fdopen(fd_out, "r");
	lines = calloc(n ? n : 1, sizeof(char *));
	while (lines && fgets(line, sizeof(line), dis_out) && cur < n) {
		normalize_line(line);
		if (!line[0] || line[0] == '.')
			continue;
		if (!strcmp(line, MARKER_TEXT)) {
			if (!lines[cur])
				lines[cur] = strdup("<not an instruction>");
			cur++;
			continue;
		}
		free(lines[cur]);
		lines[cur] = strdup(line);
	}
	fclose(dis_out);
	for (; lines && cur < n; cur++)
		if (!lines[cur])
			lines[cur] = strdup("<not an instruction>");
	unlink(in_path);
	unlink(out_path);
	return lines;
fail_files:
	close(fd_out);
fail:
	unlink(in_path);
	unlink(out_path);
	return NULL;
}

/* For a PC-relative branch ("bl #24", "b.ne #-12", "cbnz w12, #-12"),
 * the code offset it lands on, or -1. */
static long branch_target(const char *text, uint32_t at)
{
	const char *hash = strrchr(text, '#');

	if (!(text[0] == 'b' || !strncmp(text, "cbz", 3) || !strncmp(text, "cbnz", 4)) || !hash ||
	    strchr(text, '['))
		return -1;
	if (!strncmp(text, "br ", 3) || !strncmp(text, "blr ", 4))
		return -1;
	return (long)at + strtol(hash + 1, NULL, 0);
}

static void print_func(FILE *out, const struct cf_prog *p, const struct jit_image *img, int fi, char **dis)
{
	const struct jit_func *jf = &img->funcs[fi];
	const struct cf_func *f = &p->funcs[fi];
	int slot = -2;

	fprintf(out, "\nfunc %s%s: %d arg%s, stack %d, code 0x%04x..0x%04x (%u instructions)\n", jf->name,
	       fi == 0 ? " (entry)" : "", f->nargs, f->nargs == 1 ? "" : "s", f->stack_size, jf->start, jf->end,
	       (jf->end - jf->start) / 4);
	for (uint32_t at = jf->start; at < jf->end; at += 4) {
		int where, s;
		long target;

		if (jit_locate(img, at, &where, &s) == 0 && s != slot) {
			/* a header for every slot that starts here, including
			 * slots that emit nothing (LD_IMM64 2nd half, le64) */
			for (int k = slot + 1; k <= s; k++) {
				char buf[256];

				if (k == -1) {
					fprintf(out, "  ; prologue\n");
				} else if (k == jf->ninsns) {
					fprintf(out, "  ; epilogue\n");
				} else if (k >= 0 && !(k > 0 && f->insns[k - 1].code == (BPF_LD | BPF_IMM | BPF_DW))) {
					cf_asm_print_insn(buf, sizeof(buf), p, fi, k);
					fprintf(out, "  ; %d: %s%s\n", k, buf, k < s ? "   (no code)" : "");
				}
			}
			slot = s;
		}
		fprintf(out, "  0x%04x: %08x  %s", at, img->code[at / 4], dis ? dis[at / 4] : "");
		target = dis ? branch_target(dis[at / 4], at) : -1;
		if (target >= 0) {
			int tf, ts;

			if (jit_locate(img, (uint32_t)target, &tf, &ts) == 0) {
				if (ts == -1)
					fprintf(out, "   -> %s", img->funcs[tf].name);
				else if (ts == img->funcs[tf].ninsns)
					fprintf(out, "   -> %s epilogue", img->funcs[tf].name);
				else
					fprintf(out, "   -> %s insn %d", img->funcs[tf].name, ts);
			}
		}
		fprintf(out, "\n");
	}
	/* a final exit emits nothing: it falls into the epilogue */
}

int report_jit_listing(FILE *out, const struct cf_prog *p, const struct jit_image *img, const bool *shown)
{
	char **dis = disassemble(img->code, img->ncode);

	if (!dis)
		fprintf(out, "; " JIT_LLVM_MC " not found: no disassembly (install Debian package llvm-19)\n");
	for (int fi = 0; fi < img->nfuncs; fi++)
		if (!shown || shown[fi])
			print_func(out, p, img, fi, dis);
	if (dis)
		for (uint32_t k = 0; k < img->ncode; k++)
			free(dis[k]);
	free(dis);
	return dis ? 0 : -1;
}

/* ---- report.txt ------------------------------------------------------------ */

/* Index in `to` of the event that has, among its class (stack snapshots or
 * the rest), the rank that event idx of `from` has: compare.c walks the
 * two classes separately. -1 if `to` has no such event. */
static int same_rank_event(const struct cf_trace *from, const struct cf_trace *to, int idx)
{
	bool stack;
	int rank = 0;

	if (idx < 0 || (uint32_t)idx >= from->nevents || idx >= CF_TRACE_MAX)
		return -1;
	stack = from->ev[idx].id == CF_HELPER_STACK_HASH;
	for (int i = 0; i < idx; i++)
		rank += (from->ev[i].id == CF_HELPER_STACK_HASH) == stack;
	for (uint32_t i = 0; i < to->nevents && i < CF_TRACE_MAX; i++)
		if ((to->ev[i].id == CF_HELPER_STACK_HASH) == stack && rank-- == 0)
			return (int)i;
	return -1;
}

static void report_ctx(FILE *out, const char *who, const uint8_t *ctx)
{
	bool any = false;

	for (int i = 0; i < CF_CTX_SIZE; i++) {
		if (!ctx[i])
			continue;
		fprintf(out, "  %s ctx[%d] = 0x%02x\n", who, i, ctx[i]);
		any = true;
	}
	if (!any)
		fprintf(out, "  %s ctx: all zero\n", who);
}

/* design.md "The oracle": what our interpreter and our JIT saw where they
 * first differ (the model voice). */
static void report_divergence(FILE *out, const struct cf_prog *p, const struct target_case *c)
{
	const struct mismatch *m = &c->m;
	const struct interp_result *ir = &c->ir;
	const struct exec_result *xr = c->xr;
	bool jit_only = strstr(m->place, "only by the JIT") != NULL;
	int interp_mark = jit_only ? -1 : m->event;
	int jit_mark = jit_only ? m->event : xr ? same_rank_event(&ir->trace, &xr->trace, m->event) : -1;

	fprintf(out, "first divergence: %s at %s\n", mismatch_kind_name(m->kind), m->place);
	switch (m->kind) {
	case MISMATCH_TRACE:
	case MISMATCH_STACK:
		fprintf(out, "  interpreter 0x%016" PRIx64 "\n  jit         0x%016" PRIx64 "\n", m->want, m->got);
		break;
	case MISMATCH_OUTBUF:
		fprintf(out, "  interpreter ctx[%d] = 0x%02" PRIx64 "\n  jit         ctx[%d] = 0x%02" PRIx64 "\n",
			m->offset, m->want, m->offset, m->got);
		break;
	case MISMATCH_RETVAL:
		fprintf(out, "  interpreter r0 = 0x%016" PRIx64 " (%" PRId64 ")\n  jit         r0 = 0x%016" PRIx64
			" (%" PRId64 ")\n", m->want, (int64_t)m->want, m->got, (int64_t)m->got);
		break;
	case MISMATCH_ABI:
		if (xr)
			fprintf(out, "  %s: expected 0x%" PRIx64 ", found 0x%" PRIx64 "\n", exec_abi_name(xr->abi),
				xr->abi_expected, xr->abi_actual);
		break;
	case MISMATCH_CRASH:
		fprintf(out, "  interpreter: returned r0 = 0x%" PRIx64 "\n", ir->r0);
		if (xr)
			fprintf(out, "  jit: signal %d at native pc 0x%" PRIx64 " (code offset %" PRId64 "), address 0x%"
				PRIx64 "\n", xr->signal, xr->fault_pc, xr->fault_pc_off, xr->fault_addr);
		if (m->func >= 0 && m->func < p->nfuncs) {
			char text[256] = "";

			if (m->insn >= 0 && m->insn < p->funcs[m->func].ninsns)
				cf_asm_print_insn(text, sizeof(text), p, m->func, m->insn);
			fprintf(out, "  in func %s %s %d%s%s\n", p->funcs[m->func].name,
				m->insn < 0 ? "prologue" : m->insn >= p->funcs[m->func].ninsns ? "epilogue" : "insn",
				m->insn, text[0] ? ": " : "", text);
		}
		break;
	case MISMATCH_TIMEOUT:
		fprintf(out, "  interpreter: returned r0 = 0x%" PRIx64 " after %" PRIu64 " insns\n  jit: %s\n", ir->r0,
			ir->insns_executed, xr ? xr->detail : "");
		break;
	default:
		break;
	}
	fprintf(out, "both sides:\n  interpreter: r0 = 0x%" PRIx64 ", %u events, %" PRIu64 " insns executed\n", ir->r0,
		ir->trace.nevents, ir->insns_executed);
	if (m->kind == MISMATCH_JIT_REJECT || !xr)
		fprintf(out, "  jit: rejected the program\n");
	else
		fprintf(out, "  jit: %s, r0 = 0x%" PRIx64 ", %u events%s%s\n", exec_status_name(xr->status), xr->r0,
			xr->trace.nevents, xr->detail[0] ? ": " : "", xr->detail);
	if (xr && (ir->trace.nevents || xr->trace.nevents)) {
		fprintf(out, "events (interpreter, then JIT):\n");
		target_print_trace(out, "interp", &ir->trace, interp_mark);
		target_print_trace(out, "jit", &xr->trace, jit_mark);
	}
	if (xr && m->kind == MISMATCH_OUTBUF) {
		fprintf(out, "ctx after the run (nonzero bytes):\n");
		report_ctx(out, "interp", ir->ctx);
		report_ctx(out, "jit", xr->ctx);
	}
}

/* The shell-quoted --match text for a verdict mismatch: the kernel log's
 * reason (after "rejects (errno): "), cut before its first digit so that it
 * survives shrinking (offsets and registers change). */
void report_verifier_match(const struct mismatch *m, char *buf, size_t size)
{
	const char *r = strstr(m->place, "): ");
	size_t n = 0;

	r = r ? r + 3 : m->place;
	while (r[n] && !isdigit((unsigned char)r[n]) && r[n] != '\'' && n + 1 < size && n < 40)
		n++;
	while (n && (r[n - 1] == ' ' || r[n - 1] == '-' || r[n - 1] == '('))
		n--;
	snprintf(buf, size, "%.*s", (int)n, r);
}

/* `run`'s options that select the target of id again. */
void report_target_args(const struct target_id *id, bool llsc, char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "--target %s", id->kind);

	if (n < size && strcmp(id->kind, "model") && strcmp(id->kind, "kernel"))
		n += (size_t)snprintf(buf + n, size - n, " --arch %s", id->arch);
	if (n < size && id->kernel[0])
		n += (size_t)snprintf(buf + n, size - n, " --kernel %s", id->kernel);
	if (n < size && llsc)
		snprintf(buf + n, size - n, " --no-lse");
}

void report_write(FILE *out, const struct report_info *ri)
{
	const struct target_case *c = ri->c;
	const struct cf_prog *p = c->prog;
	struct target_id id;
	char args[700], desc[640];
	bool model = c->mvoice >= 0 && c->voice[c->mvoice].kind == TARGET_VOICE_MODEL_JIT;
	const char *file = ri->prog_file ? ri->prog_file : "prog.s";
	const char *cmd = ri->replay_cmd ? ri->replay_cmd : "callfuzz";

	target_get_id(ri->t, &id);
	target_describe(ri->t, desc, sizeof(desc));
	report_target_args(&id, c->llsc, args, sizeof(args));
	fprintf(out, "signature: %s\n", ri->signature && ri->signature[0] ? ri->signature :
								       "(none: the program does not mismatch)");
	/* a kernel's case prints its own mismatch line (target_print_case) */
	if (c->m.kind != MISMATCH_NONE && model) {
		fprintf(out, "mismatch: %s (%s) at %s", mismatch_kind_name(c->m.kind), c->mvoice_name, c->m.place);
		if (c->m.kind == MISMATCH_TRACE || c->m.kind == MISMATCH_STACK || c->m.kind == MISMATCH_OUTBUF ||
		    c->m.kind == MISMATCH_RETVAL || c->m.kind == MISMATCH_ABI ||
		    (c->m.kind == MISMATCH_KERNEL && (c->m.offset >= 0 || !strncmp(c->m.place, "r0", 2))))
			fprintf(out, ": interpreter 0x%" PRIx64 ", %s 0x%" PRIx64, c->m.want, model ? "jit" : "kernel",
				c->m.got);
		fprintf(out, "\n");
	}
	if (ri->known)
		fprintf(out, "known: a known kernel bug (docs/vm-target.md); not counted as a mismatch\n");
	fprintf(out, "target: %s: %s%s\n", id.kind, desc,
		!strcmp(id.kind, "model") ? (c->llsc ? ", atomics LL/SC (--no-lse)" : ", atomics LSE") : "");
	if (id.kernel[0])
		fprintf(out, "kernel: %s (%s)\n", id.kernel, id.release);
	fprintf(out, "program: %d functions, %d instructions", p->nfuncs, min_insn_count(p));
	if (ri->input_len)
		fprintf(out, "; input %zu bytes", ri->input_len);
	fprintf(out, "\n\nreplay:\n");
	if (ri->dir) {
		fprintf(out, "  %s run %s %s/%s\n", cmd, args, ri->dir, file);
		fprintf(out, "  %s min %s   (shrink on the same target: min.s, report.txt, selftest.c)\n", cmd,
			ri->dir);
		if (!strcmp(id.kind, "model"))
			fprintf(out, "  %s jit %s/%s%s   (the arm64 listing)\n", cmd, ri->dir, file,
				c->llsc ? " --no-lse" : "");
		if (ri->input_len)
			fprintf(out, "  CALLFUZZ_TARGET=%s%s%s%s%s%s build-fuzz/fuzz-diff %s/input   (the fuzz target on the "
				"bytes)\n", id.kind, strcmp(id.kind, "model") ? " CALLFUZZ_ARCH=" : "",
				strcmp(id.kind, "model") ? id.arch : "", id.kernel[0] ? " CALLFUZZ_KERNEL=" : "",
				id.kernel, !strcmp(id.kind, "model") ? (c->llsc ? " CALLFUZZ_LSE=off" : " CALLFUZZ_LSE=on") : "",
				ri->dir);
		if (c->crash && c->crash[0])
			fprintf(out, "  (the guest console's text is in %s/console.txt)\n", ri->dir);
		else if (c->report.text)
			fprintf(out, "  (the kernel's whole report is in %s/console.txt)\n", ri->dir);
	} else {
		fprintf(out, "  %s run %s %s\n", cmd, args, file);
	}
	fprintf(out, "\n");
	if (model && c->m.kind != MISMATCH_NONE)
		report_divergence(out, p, c);
	else
		target_print_case(ri->t, c, out);
	if (ri->show_program) {
		char *text = cf_asm_print(p);

		fprintf(out, "\nprogram (%d instructions, %d function%s):\n\n%s", min_insn_count(p), p->nfuncs,
			p->nfuncs == 1 ? "" : "s", text ? text : "");
		free(text);
		/* a minimized program keeps only functions the mismatch needs:
		 * show them all */
		if (c->img && c->img->ncode) {
			fprintf(out, "\narm64 code (model JIT; helper/kfunc addresses are the executor's):\n");
			report_jit_listing(out, p, c->img, NULL);
		}
	}
}

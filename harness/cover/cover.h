/* harness/cover/cover.h: kernel coverage from KCOV PCs.
 *
 * A KCOV kernel (harness/target/kernel-tree.sh --kcov) records, for each
 * instrumented basic block, the return address of its call to
 * __sanitizer_cov_trace_pc (kernel/kcov.c: _RET_IP_, canonicalized; no
 * KASLR in our tinyconfig builds, so it is the vmlinux address). The agent
 * hands them over per program (VMP_KCOV, docs/vm-protocol.md).
 *
 * Two uses:
 *  - feedback for libFuzzer: cover_fold hashes each PC into a fixed array
 *    of 8-bit counters (fuzz/diff.c puts it in the __libfuzzer_extra_counters
 *    section), so that an input that reaches new kernel code is kept;
 *  - a report (`callfuzz cover`): the call sites of __sanitizer_cov_trace_pc
 *    in vmlinux (objdump) mapped to file:line (addr2line, one process for
 *    all), then per file and per function the lines reached / instrumented,
 *    and an annotated listing of the functions never reached. */
#ifndef CALLFUZZ_HARNESS_COVER_H
#define CALLFUZZ_HARNESS_COVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpf/bpf.h"

/* ---- feedback ------------------------------------------------------------ */

#define COVER_FOLD_SLOTS (1u << 16)

/* Adds each PC's hit count to its slot (a hash of the PC), saturating at
 * 255. libFuzzer turns each nonzero byte into a feature per bucket of its
 * value (1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+: the AFL classes), so a
 * PC reached for the first time, or reached a new order of magnitude of
 * times, is new coverage. hits may be NULL (each PC counts once). nslots
 * must be a power of two. */
void cover_fold(const uint64_t *pcs, const uint32_t *hits, size_t n, uint8_t *counters, size_t nslots);
/* The slot of a PC in an array of nslots (a power of two). */
size_t cover_slot(uint64_t pc, size_t nslots);

/* ---- PC sets ---------------------------------------------------------------- */

struct cover_pcs {
	uint64_t *pc; /* sorted, distinct after cover_pcs_sort */
	size_t n, cap;
};

int cover_pcs_add(struct cover_pcs *s, const uint64_t *pcs, size_t n);
void cover_pcs_sort(struct cover_pcs *s); /* sorts and drops duplicates */
bool cover_pcs_has(const struct cover_pcs *s, uint64_t pc); /* after cover_pcs_sort */
void cover_pcs_free(struct cover_pcs *s);
/* A text file of PCs, one hex number a line ("0x" optional; # comments). */
int cover_pcs_read(struct cover_pcs *s, const char *path, struct cf_err *err);
int cover_pcs_write(const struct cover_pcs *s, FILE *out);

/* ---- call sites of vmlinux -------------------------------------------------- */

struct cover_site {
	uint64_t pc;    /* what KCOV records: the address after the call */
	uint64_t call;  /* the call instruction */
	char *func;     /* addr2line -f: the innermost (inlined) function, "??" if unknown */
	char *file;     /* as the DWARF line table names it, "??" if unknown */
	int line;       /* 0 if unknown */
};

struct cover_sites {
	struct cover_site *s; /* sorted by pc */
	size_t n, cap;
	char arch[16];
};

/* From `objdump -d --no-show-raw-insn` text: every call of
 * __sanitizer_cov_trace_pc (arm64 `bl`, x86 `call`) and the address of the
 * instruction after it. func/file/line are left unset. */
int cover_parse_objdump(FILE *in, struct cover_sites *out, struct cf_err *err);
/* Fills func/file/line of sites [0, n) from `addr2line -f -e vmlinux`
 * output for their call addresses in that order: two lines per address,
 * "FUNC" then "FILE:LINE" (optionally " (discriminator N)"; "??:0" or
 * "??:?" unknown). -1 if the text has fewer pairs. */
int cover_parse_addr2line(const char *text, struct cover_sites *sites, struct cf_err *err);
/* objdump and addr2line of the right arch on vmlinux (llvm-objdump /
 * llvm-addr2line, else ARCH-linux-gnu-objdump / -addr2line). */
int cover_sites_load(const char *vmlinux, const char *arch, struct cover_sites *out, struct cf_err *err);
void cover_sites_free(struct cover_sites *s);
/* The site whose pc it is, NULL if none. */
const struct cover_site *cover_site_find(const struct cover_sites *s, uint64_t pc);

/* ---- reports ------------------------------------------------------------------ */

struct cover_file_stats {
	int lines, lines_reached;   /* distinct source lines with a site; those reached */
	int sites, sites_reached;
	int funcs, funcs_reached;   /* functions (innermost, per addr2line) with a site */
};

/* Lines of the files whose path ends with suffix ("arch/arm64/net/bpf_jit_comp.c"). */
void cover_file_stats(const struct cover_sites *s, const struct cover_pcs *reached, const char *suffix,
		      struct cover_file_stats *st);
/* The report for one file: the summary line, a table of its functions
 * (lines reached / instrumented), and with listing, the source of every
 * function never reached with its instrumented lines marked; src_root
 * (may be NULL) replaces the directory part before suffix when the path of
 * the line table cannot be opened. */
void cover_report_file(FILE *out, const struct cover_sites *s, const struct cover_pcs *reached, const char *suffix,
		       bool functions, bool listing, const char *src_root);

/* The JIT of an arch: "arch/arm64/net/bpf_jit_comp.c", "arch/x86/net/bpf_jit_comp.c". */
const char *cover_jit_file(const char *arch);
/* vmlinux beside a kernel-tree build's image (OUT/arch/ARCH/boot/Image ->
 * OUT/vmlinux), in buf; NULL when it is not there. */
const char *cover_vmlinux_of(const char *image, char *buf, size_t size);

#endif

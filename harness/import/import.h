/* harness/import/import.h: BPF objects built by clang as callfuzz programs
 * (internal to harness/; harness/import/import.c).
 *
 * A `.bpf.o` holds one or more programs (ELF sections such as "syscall")
 * and their subprograms (".text"), with BTF giving each function's
 * prototype. Importing one program resolves its BPF-to-BPF calls the way
 * libbpf does for the kernel, without a kernel, and splits the result into
 * functions that carry their argument count and linkage from BTF. */
#ifndef CALLFUZZ_HARNESS_IMPORT_H
#define CALLFUZZ_HARNESS_IMPORT_H

#include "bpf/bpf.h"

/* Import the program named prog_name (its function name, as
 * bpf_program__name gives it), or the object's only program when
 * prog_name is NULL. out is initialized here (cf_prog_free). The entry
 * keeps the name of the C function and takes 1 argument (ctx). Returns 0,
 * or -1 with a message naming the file and what it lacks (no BTF, several
 * programs and no name given, callbacks, map or global-data relocations). */
int import_bpf_object(const char *path, const char *prog_name, struct cf_prog *out, struct cf_err *err);

#endif

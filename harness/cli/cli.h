/* harness/cli/cli.h: how subcommands of `callfuzz` register themselves
 * (internal to harness/). Each cli_*.c file adds its commands with
 * CLI_COMMAND; main.c dispatches.
 *
 * Exit codes of every command: 0 success, 1 rejected / mismatch,
 * 2 bad usage or unreadable input; 125 (run, min, triage --rerun with
 * --kernel-tree) the tree does not build, so that `git bisect run` skips
 * the commit. */
#ifndef CALLFUZZ_HARNESS_CLI_H
#define CALLFUZZ_HARNESS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/bpf.h"
#include "harness/target/target.h"

#define EXIT_OK 0
#define EXIT_REJECT 1
#define EXIT_USAGE 2
#define EXIT_BUILD 125 /* git bisect run: "cannot test this commit" */

struct cli_command {
	const char *name;
	const char *summary; /* one line for `callfuzz --help` */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

void cli_register(const struct cli_command *cmd);
extern const struct cli_command *cli_commands[];
extern int cli_ncommands;

#define CLI_COMMAND(ident, name, summary, fn)                                 \
	static const struct cli_command cli_cmd_##ident = { name, summary, fn }; \
	__attribute__((constructor)) static void cli_reg_##ident(void)        \
	{                                                                     \
		cli_register(&cli_cmd_##ident);                               \
	}

/* Read and parse a program (docs/asm.md; "-" is stdin). On failure prints
 * "callfuzz CMD: why" (naming FILE:LINE) and returns -1; prog is then empty. */
int cli_load_prog(const char *cmd, const char *path, struct cf_prog *prog);

/* --ctx HEX (pairs of hex digits, optional 0x, zero-filled to CF_CTX_SIZE)
 * or --ctx @FILE (its first CF_CTX_SIZE bytes). -1 with a message in err. */
int cli_parse_ctx(const char *arg, uint8_t ctx[CF_CTX_SIZE], char *err, size_t errlen);

/* ---- the environment ------------------------------------------------------
 * The CLI owns it (docs/design.md, "Modules"): the modules below take
 * everything through their option structs. */

/* The executor's settings from the environment, where eo does not say
 * otherwise: $CALLFUZZ_EXEC (exec_path), $CALLFUZZ_QEMU (qemu),
 * $CALLFUZZ_SPIN_US (spin_us: a fixed budget; 0: -1, never spin),
 * $CALLFUZZ_JOBS (jobs: fuzz/run exports its --jobs, which
 * exec_auto_spin_us weighs). Every command that starts an executor calls
 * it before parsing its own options, which then override it
 * (cli_target_init does). */
void cli_exec_env(struct exec_opts *eo);

/* ---- choosing a target: run, min, triage --rerun, agree ---------------------
 * --target model|vm|vm,model|kernel, --arch, --kernel IMAGE, --kernel-tree
 * DIR, --accel, --no-kernel-interp, --timeout MS, --console FILE,
 * --no-lse/--lse. The CLI owns the environment: $CALLFUZZ_KERNEL stands for
 * --kernel, $CALLFUZZ_ACCEL for --accel (cli_target_prepare); the
 * executor's variables are read by cli_target_init (cli_exec_env). */
struct cli_target {
	struct target_opts to;
	bool kind_given, arch_given, kernel_given, lse_given, accel_given;
	bool llsc;               /* --no-lse */
	const char *kernel_tree;
	char arch[16];
	char image[4096];
	char known_bugs[4096];   /* $CALLFUZZ_KNOWN_BUGS, else the tree's docs/kernel-bugs */
};

/* Defaults, the executor's environment (cli_exec_env) and the catalogue of
 * known kernel bugs ($CALLFUZZ_KNOWN_BUGS, else docs/kernel-bugs/ beside
 * build/: target_opts.known_bugs_dir). */
void cli_target_init(struct cli_target *a);
/* --accel's value, or $CALLFUZZ_ACCEL's when set (else *out is left as
 * it is): 0, or -1 with "callfuzz CMD: ..." printed. */
int cli_accel_parse(const char *v, enum vm_accel *out, const char *cmd);
int cli_accel_from_env(enum vm_accel *out, const char *cmd);
/* $CALLFUZZ_VM_PAUTH set and not "0": keep an arm64 guest's pointer
 * authentication under TCG (vm_opts.pauth) */
bool cli_pauth_from_env(void);
/* One option at argv[*i] (its value consumed): 1 taken, 0 not ours, -1 bad
 * (message printed as "callfuzz CMD: ..."). */
int cli_target_option(struct cli_target *a, int argc, char **argv, int *i, const char *cmd);
/* A bucket's recorded target (its `target` file) where the command line
 * did not say otherwise. */
void cli_target_from_id(struct cli_target *a, const struct target_id *id);
/* Before target_open: $CALLFUZZ_KERNEL, --kernel-tree (rebuilt now).
 * Returns EXIT_OK, EXIT_USAGE, or EXIT_BUILD when the tree does not build. */
int cli_target_prepare(struct cli_target *a, const char *cmd);
/* The usage lines of these options, for a command's --help. */
void cli_target_usage(FILE *out);

/* The `; ctx: HEX` line among the comments at the top of a program's text
 * (the fuzz loop writes one into a kernel target's prog.s): ctx set and 1,
 * or 0 when there is none. */
int cli_ctx_from_header(const char *text, uint8_t ctx[CF_CTX_SIZE]);

/* A whole number in [lo, hi] (decimal, 0x hex, 0 octal); false otherwise. */
bool cli_parse_long(const char *s, long lo, long hi, long *out);

/* True if argv contains -h or --help. */
int cli_wants_help(int argc, char **argv);

/* CLOCK_MONOTONIC in ns, for the commands' timings. */
uint64_t cli_now_ns(void);

/* `callfuzz bench run` (harness/cli/cli_bench_run.c), a subcommand of bench. */
int bench_run(int argc, char **argv);
/* "adaptive spin up to 5000 us", "spin 100 us", "no spinning": what
 * eo's spin_us and jobs amount to here; "($CALLFUZZ_SPIN_US)" after a
 * budget that came from the environment, not from --spin-us
 * (harness/cli/cli_bench.c). */
const char *bench_spin_desc(const struct exec_opts *eo, bool spin_given);


#endif

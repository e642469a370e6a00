/* harness/cli/cli.h: how subcommands of `callfuzz` register themselves
 * (internal to harness/). Each cli_*.c file adds its commands with
 * CLI_COMMAND; main.c dispatches.
 *
 * Exit codes of every command: 0 success, 1 rejected / mismatch,
 * 2 bad usage or unreadable input; with --kernel-tree also 125, the tree
 * did not build (what `git bisect run` takes as "skip this commit"). */
#ifndef CALLFUZZ_HARNESS_CLI_H
#define CALLFUZZ_HARNESS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/bpf.h"

#define EXIT_OK 0
#define EXIT_REJECT 1
#define EXIT_USAGE 2
#define EXIT_UNTESTABLE 125

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

/* True if argv contains -h or --help. */
int cli_wants_help(int argc, char **argv);

/* CLOCK_MONOTONIC in ns, for the commands' timings. */
uint64_t cli_now_ns(void);

/* `callfuzz bench run` (harness/cli/cli_bench_run.c), a subcommand of bench. */
int bench_run(int argc, char **argv);
/* "adaptive spin up to 5000 us", "spin 100 us", "no spinning": what
 * exec_opts.spin_us amounts to here (harness/cli/cli_bench.c). */
const char *bench_spin_desc(int spin_us);


#endif

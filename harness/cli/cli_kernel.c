/* harness/cli/cli_kernel.c: the host kernel target from the command line.
 *
 *   callfuzz kernel-probe          what bpf() allows here (harness/target/target.h)
 *
 * Programs on the kernel: `callfuzz run --target kernel FILE.s`; generated
 * ones: `callfuzz agree --target kernel` (cli_agree.c). */
#include "gen/gen.h"
#include "harness/cli/cli.h"
#include "harness/target/target.h"
#include "interp/interp.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int cmd_kernel_probe(int argc, char **argv)
{
	struct kernel_probe kp;

	if (cli_wants_help(argc, argv) || argc > 1) {
		printf("usage: callfuzz kernel-probe\n\n"
		       "Probes the running kernel: may this process load BPF_PROG_TYPE_SYSCALL\n"
		       "programs, and does it take stack arguments (a 6-argument subprog call)?\n"
		       "Exit codes: 0 bpf() works, 1 refused (the message says why).\n");
		return argc > 1 && !cli_wants_help(argc, argv) ? EXIT_USAGE : EXIT_OK;
	}
	if (kernel_probe(&kp)) {
		fprintf(stderr, "callfuzz kernel-probe: %s\n", kp.msg);
		return EXIT_USAGE;
	}
	printf("kernel %s\n", kp.release);
	if (!kp.bpf_allowed) {
		printf("bpf: refused: %s\n", kp.msg);
		return EXIT_REJECT;
	}
	printf("bpf: allowed\nstack arguments: %s (max args %d)\n", kp.stack_args ? "yes" : "no", kp.max_args);
	if (!kp.stack_args)
		printf("6-argument probe: %s\n", kp.msg);
	printf("ctx through a moved pointer: %s\n", kp.ctx_moved_ok ? "yes (7.2)" : "no (before 7.2)");
	return EXIT_OK;
}

CLI_COMMAND(kernel_probe, "kernel-probe", "what the host kernel's bpf() allows (stack arguments?)",
	    cmd_kernel_probe)

/* harness/cli/main.c: `callfuzz`, one command with subcommands. */
#include "harness/cli/cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: callfuzz COMMAND [ARGS...]\n\n"
		     "A differential fuzzer for multi-argument BPF subprogram calls.\n\ncommands:\n");
	int width = 0;

	for (int i = 0; i < cli_ncommands; i++)
		if ((int)strlen(cli_commands[i]->name) > width)
			width = (int)strlen(cli_commands[i]->name);
	for (int i = 0; i < cli_ncommands; i++)
		fprintf(out, "  %-*s  %s\n", width, cli_commands[i]->name, cli_commands[i]->summary);
	fprintf(out, "\n`callfuzz COMMAND --help` describes one command.\n"
		     "Exit codes: 0 success, 1 rejected or mismatch, 2 bad usage or unreadable input,\n"
		     "125 a --kernel-tree that does not build (git bisect run skips the commit).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (int i = 0; i < cli_ncommands; i++)
		if (!strcmp(cli_commands[i]->name, argv[1]))
			return cli_commands[i]->run(argc - 1, argv + 1);
	fprintf(stderr, "callfuzz: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}

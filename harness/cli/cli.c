/* harness/cli/cli.c: the registry of subcommands and small shared helpers. */
#include "harness/cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_COMMANDS 64

const struct cli_command *cli_commands[MAX_COMMANDS];
int cli_ncommands;

void cli_register(const struct cli_command *cmd)
{
	if (cli_ncommands < MAX_COMMANDS)
		cli_commands[cli_ncommands++] = cmd;
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

uint64_t cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}




int cli_load_prog(const char *cmd, const char *path, struct cf_prog *prog)
{
	struct cf_err err;
	char rerr[256];
	size_t len;
	char *text = cf_read_file(path, &len, rerr, sizeof(rerr));
	int rc;

	cf_prog_init(prog);
	if (!text) {
		fprintf(stderr, "callfuzz %s: %s\n", cmd, rerr);
		return -1;
	}
	rc = cf_asm_parse(text, len, path, prog, &err);
	free(text);
	if (rc) {
		fprintf(stderr, "callfuzz %s: %s\n", cmd, err.msg);
		return -1;
	}
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cli_parse_ctx(const char *arg, uint8_t ctx[CF_CTX_SIZE], char *err, size_t errlen)
{
	size_t n = 0;

	memset(ctx, 0, CF_CTX_SIZE);
	if (arg[0] == '@') {
		size_t len;
		char *data = cf_read_file(arg + 1, &len, err, errlen);

		if (!data)
			return -1;
		memcpy(ctx, data, len < CF_CTX_SIZE ? len : CF_CTX_SIZE);
		free(data);
		return 0;
	}
	if (!strncmp(arg, "0x", 2) || !strncmp(arg, "0X", 2))
		arg += 2;
	for (const char *s = arg; *s; s += 2) {
		int hi = hex_digit(s[0]), lo = s[1] ? hex_digit(s[1]) : -1;

		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "--ctx: expected pairs of hex digits, got '%s'", arg);
			return -1;
		}
		if (n >= CF_CTX_SIZE) {
			snprintf(err, errlen, "--ctx: more than %d bytes", CF_CTX_SIZE);
			return -1;
		}
		ctx[n++] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

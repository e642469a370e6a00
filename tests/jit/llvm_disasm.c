/* tests/jit/llvm_disasm.c: see llvm_disasm.h.
 *
 * llvm-mc prints one line per valid word and only a warning on stderr for an
 * invalid one; to keep lines aligned with words, each word is followed by a
 * marker word (brk #0x7777) and the text before a marker belongs to it. */
#include "tests/jit/llvm_disasm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARKER_WORD 0xd42eeee0u /* brk #0x7777 */
#define MARKER_TEXT "brk #0x7777"

bool llvm_mc_available(void)
{
	return system("command -v " LLVM_MC " >/dev/null 2>&1") == 0;
}

/* "\tadd\tx0, x1, #0  // =0x0" -> "add x0, x1, #0" */
static char *normalize(const char *line)
{
	char *out = malloc(strlen(line) + 1);
	const char *comment = strstr(line, "//");
	size_t len = comment ? (size_t)(comment - line) : strlen(line);
	size_t o = 0;
	bool space = false;

	for (size_t k = 0; k < len; k++) {
		if (isspace((unsigned char)line[k])) {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = line[k];
	}
	out[o] = 0;
	return out;
}

char **llvm_disasm(const uint32_t *words, int n)
{
	char in_path[] = "/tmp/callfuzz-llvm-in-XXXXXX";
	char out_path[] = "/tmp/callfuzz-llvm-out-XXXXXX";
	char cmd[256], line[512];
	char **lines = NULL;
	int fd_in = mkstemp(in_path), fd_out = mkstemp(out_path);
	FILE *in = NULL, *out = NULL;
	int cur = 0;

	if (fd_in < 0 || fd_out < 0)
		goto done;
	in = fdopen(fd_in, "w");
	fd_in = -1;
	for (int k = 0; k < n; k++) {
		uint32_t pair[2] = { words[k], MARKER_WORD };

		for (int w = 0; w < 2; w++)
			fprintf(in, "0x%02x 0x%02x 0x%02x 0x%02x\n", pair[w] & 0xff, (pair[w] >> 8) & 0xff,
				(pair[w] >> 16) & 0xff, pair[w] >> 24);
	}
	fclose(in);
	snprintf(cmd, sizeof(cmd), LLVM_MC " --disassemble -triple=aarch64 -mattr=+lse <%s >%s 2>/dev/null",
		 in_path, out_path);
	if (system(cmd) != 0)
		goto done;
	out = fdopen(fd_out, "r");
	fd_out = -1;
	lines = calloc(n, sizeof(char *));
	while (fgets(line, sizeof(line), out) && cur < n) {
		char *text = normalize(line);

		if (!text[0] || text[0] == '.') {
			free(text);
			continue;
		}
		if (!strcmp(text, MARKER_TEXT)) {
			if (!lines[cur])
				lines[cur] = strdup("<invalid>");
			cur++;
			free(text);
			continue;
		}
		free(lines[cur]);
		lines[cur] = text;
	}
	for (; cur < n; cur++)
		if (!lines[cur])
			lines[cur] = strdup("<missing>");
	fclose(out);
done:
	if (fd_in >= 0)
		close(fd_in);
	if (fd_out >= 0)
		close(fd_out);
	unlink(in_path);
	unlink(out_path);
	return lines;
}

void llvm_disasm_free(char **lines, int n)
{
	if (!lines)
		return;
	for (int k = 0; k < n; k++)
		free(lines[k]);
	free(lines);
}

/* bpf/bprintf.c: which format strings bpf_snprintf takes, and what each
 * conversion reads (cf_bprintf_parse, bpf.h).
 *
 * Written from kernel/bpf/helpers.c bpf_bprintf_prepare of Linux 7.2,
 * the pass the verifier runs on a constant format
 * (check_bpf_snprintf_call) and the helper runs again before formatting,
 * with lib/ctype.c's classes (docs/kernel-paths.md "Strings"). The
 * checker refuses what the kernel refuses here, and the generator asks it
 * how many arguments a format wants; the interpreter formats with its own
 * code (interp/helpers.c). */
#include "bpf/bpf.h"

#include <stdio.h>
#include <string.h>

/* lib/ctype.c, for the bytes the kernel reads as unsigned char
 * (-funsigned-char): white space 9..13, 32 and 160; punctuation the
 * ASCII ranges and Latin-1's 161..191, 215, 247; printable 32..126 and
 * 160..255. */
static bool k_isspace(uint8_t c)
{
	return (c >= 9 && c <= 13) || c == 32 || c == 160;
}

static bool k_ispunct(uint8_t c)
{
	return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) ||
	       (c >= 161 && c <= 191) || c == 215 || c == 247;
}

static bool k_isprint(uint8_t c)
{
	return (c >= 32 && c <= 126) || c >= 160;
}

static bool k_isascii(uint8_t c)
{
	return c <= 0x7f;
}

static int refuse(char *why, size_t whylen, const char *fmt, size_t at, const char *what)
{
	if (why && whylen)
		snprintf(why, whylen, "format byte %zu (0x%02x): %s", at, (uint8_t)fmt[at], what);
	return -1;
}

int cf_bprintf_parse(const uint8_t *fmt_bytes, size_t len, int num_args, struct cf_bprintf *out, char *why,
		     size_t whylen)
{
	/* the kernel's string is NUL-terminated; ours is that prefix plus a
	 * NUL, so that fmt[i + 1] and fmt[i + 2] are always readable */
	char fmt[CF_MAP_MAX_VALUE + 3];
	const void *nul = memchr(fmt_bytes, 0, len);
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!nul || len > CF_MAP_MAX_VALUE) {
		if (why && whylen)
			snprintf(why, whylen, "the format is not NUL-terminated within %zu bytes", len);
		return -1; /* strnchr finds no NUL: -EINVAL */
	}
	n = (size_t)((const uint8_t *)nul - fmt_bytes);
	memset(fmt, 0, sizeof(fmt));
	memcpy(fmt, fmt_bytes, n);
	if (num_args > CF_BPRINTF_MAX_ARGS)
		num_args = CF_BPRINTF_MAX_ARGS + 1; /* more never changes the verdict here */
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)fmt[i];
		enum cf_bprintf_conv conv;

		/* plain text: bytes >= 0x80 pass (UTF-8), ASCII control bytes
		 * other than white space do not */
		if (k_isascii(c) && !k_isprint(c) && !k_isspace(c))
			return refuse(why, whylen, fmt, i, "an ASCII control byte");
		if (fmt[i] != '%')
			continue;
		if (fmt[i + 1] == '%') {
			i++;
			continue;
		}
		if (out->nconv >= num_args)
			return refuse(why, whylen, fmt, i, "more conversions than data_len / 8 arguments");
		i++;
		if (!k_isascii((uint8_t)fmt[i]))
			return refuse(why, whylen, fmt, i, "a non-ASCII byte after '%'");
		/* optional "[0 +-][num]" width */
		while (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' || fmt[i] == ' ')
			i++;
		if (fmt[i] >= '1' && fmt[i] <= '9') {
			i++;
			while (fmt[i] >= '0' && fmt[i] <= '9')
				i++;
		}
		if (fmt[i] == 'p') {
			uint8_t next = (uint8_t)fmt[i + 1];

			conv = CF_BPRINTF_PTR;
			if (next == 0 || k_isspace(next) || k_ispunct(next)) {
				/* plain %p */
			} else if ((next == 'k' || next == 'u') && fmt[i + 2] == 's') {
				i += 2;
				if (fmt[i + 1] != 0 && !k_isspace((uint8_t)fmt[i + 1]) && !k_ispunct((uint8_t)fmt[i + 1]))
					return refuse(why, whylen, fmt, i + 1, "%pks/%pus followed by a letter or digit");
			} else if (next == 'K' || next == 'x' || next == 's' || next == 'S' || next == 'B') {
				i++;
			} else if ((next == 'i' || next == 'I') && (fmt[i + 2] == '4' || fmt[i + 2] == '6')) {
				i += 2;
			} else {
				return refuse(why, whylen, fmt, i, "a %p variant bpf_snprintf does not take");
			}
		} else if (fmt[i] == 's') {
			uint8_t next = (uint8_t)fmt[i + 1];

			conv = CF_BPRINTF_STR;
			if (next != 0 && !k_isspace(next) && !k_ispunct(next))
				return refuse(why, whylen, fmt, i + 1, "%s followed by a letter or digit");
		} else if (fmt[i] == 'c') {
			conv = CF_BPRINTF_CHAR;
		} else {
			conv = CF_BPRINTF_NUM32;
			if (fmt[i] == 'l') {
				conv = CF_BPRINTF_NUM64;
				i++;
			}
			if (fmt[i] == 'l')
				i++;
			if (fmt[i] != 'i' && fmt[i] != 'd' && fmt[i] != 'u' && fmt[i] != 'x' && fmt[i] != 'X')
				return refuse(why, whylen, fmt, i, "not a conversion bpf_snprintf takes");
		}
		out->conv[out->nconv++] = (uint8_t)conv;
	}
	return 0;
}

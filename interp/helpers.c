/* interp/helpers.c: the kernel helpers of the kernel profile, modelled from
 * their documentation (include/uapi/linux/bpf.h) and the behaviour of
 * kernel/bpf/helpers.c and lib/kstrtox.c in Linux 7.2, written for the
 * interpreter alone (docs/kernel-paths.md "Helpers"). Nothing here is
 * shared with a JIT or with the model environment. */
#include "interp/interp.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* lib/ctype.c: _S is set for 9..13, space and 160 (Latin-1 no-break space). */
static bool kernel_isspace(unsigned char c)
{
	return (c >= 9 && c <= 13) || c == ' ' || c == 160;
}

/* A digit's value in bases up to 16, or 16 for anything else. The kernel
 * reads the byte as a signed char, so bytes >= 0x80 are never digits. */
static unsigned digit_value(unsigned char c)
{
	unsigned char lc = c | 0x20; /* _tolower */

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c < 0x80 && lc >= 'a' && lc <= 'f')
		return lc - 'a' + 10;
	return 16;
}

/* bpf_strtoul/bpf_strtol's common part (__bpf_strtoull): skip white space,
 * an optional '-', then at most 63 bytes are parsed: base 0 guesses from a
 * "0x" prefix (followed by a hex digit) or a leading '0', base 16 skips a
 * "0x" prefix. Returns the bytes consumed (spaces and sign included) or a
 * negative errno: -EINVAL for a bad base or flags, nothing left after the
 * sign, or no digit; -ERANGE when the value passes 64 bits. */
static long parse_unsigned(const uint8_t *buf, uint64_t len, uint64_t flags, uint64_t *value, bool *negative)
{
	unsigned base = flags & 0x1f;
	uint64_t pos = 0, n, k = 0, res = 0;
	char str[64] = { 0 };
	bool overflow = false;
	long digits = 0;

	if (base != 0 && base != 8 && base != 10 && base != 16)
		return -EINVAL;
	if (flags & ~(uint64_t)0x1f)
		return -EINVAL;
	while (pos < len && kernel_isspace(buf[pos]))
		pos++;
	*negative = pos < len && buf[pos] == '-';
	if (*negative)
		pos++;
	if (pos == len)
		return -EINVAL;
	n = len - pos < sizeof(str) - 1 ? len - pos : sizeof(str) - 1;
	memcpy(str, buf + pos, n);
	str[n] = '\0';
	/* radix: "0x" + hex digit is hex, another leading 0 octal, else decimal */
	if (base == 0) {
		if (str[0] == '0')
			base = ((str[1] | 0x20) == 'x' && digit_value((unsigned char)str[2]) < 16) ? 16 : 8;
		else
			base = 10;
	}
	if (base == 16 && str[0] == '0' && (str[1] | 0x20) == 'x')
		k = 2;
	for (; str[k]; k++, digits++) {
		unsigned v = digit_value((unsigned char)str[k]);

		if (v >= base)
			break;
		if (res > (UINT64_MAX - v) / base)
			overflow = true;
		res = res * base + v;
	}
	if (overflow)
		return -ERANGE;
	if (!digits)
		return -EINVAL;
	*value = res;
	return (long)(pos + k);
}

/* bpf_strtol: the signed value must fit s64 (-2^63 included). */
static int64_t strtol_model(const uint8_t *buf, uint64_t len, uint64_t flags, uint64_t *out)
{
	uint64_t v = 0;
	bool neg;
	long n = parse_unsigned(buf, len, flags, &v, &neg);

	*out = 0; /* written first, whatever follows */
	if (n < 0)
		return n;
	if (neg ? v > (uint64_t)1 << 63 : v >= (uint64_t)1 << 63)
		return -ERANGE;
	*out = neg ? (uint64_t)0 - v : v;
	return n;
}

/* bpf_strtoul: a '-' is refused (-EINVAL) once the digits parse. */
static int64_t strtoul_model(const uint8_t *buf, uint64_t len, uint64_t flags, uint64_t *out)
{
	uint64_t v = 0;
	bool neg;
	long n = parse_unsigned(buf, len, flags, &v, &neg);

	*out = 0;
	if (n < 0)
		return n;
	if (neg)
		return -EINVAL;
	*out = v;
	return n;
}

uint64_t interp_kernel_helper(const struct cf_callee *c, const uint64_t args[CF_MAX_ARGS])
{
	uint64_t res;
	int64_t ret;

	switch (c->id) {
	case CF_KHELPER_GET_SMP_PROCESSOR_ID:
		return 0; /* the guest runs with one CPU (-smp 1) */
	case CF_KHELPER_STRTOL:
	case CF_KHELPER_STRTOUL:
		ret = (c->id == CF_KHELPER_STRTOL ? strtol_model : strtoul_model)(
			(const uint8_t *)(uintptr_t)args[0], args[1], args[2], &res);
		memcpy((void *)(uintptr_t)args[3], &res, sizeof(res));
		return (uint64_t)ret;
	default:
		return INTERP_POISON;
	}
}

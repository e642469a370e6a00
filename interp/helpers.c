/* interp/helpers.c: the kernel helpers of the kernel profile, modelled from
 * their documentation (include/uapi/linux/bpf.h) and the behaviour of
 * kernel/bpf/helpers.c and lib/kstrtox.c in Linux 7.2, written for the
 * interpreter alone (docs/kernel-paths.md "Helpers"). Nothing here is
 * shared with a JIT or with the model environment. */
#include "interp/interp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
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

/* ---- bpf_strncmp ---------------------------------------------------------- */

/* strncmp(s1, s2, s1_sz): bytes compared as unsigned char, up to s1_sz or
 * the first NUL. lib/string.c (x86-64) returns -1 or 1 at the first
 * difference, arm64's arch/arm64/lib/strncmp.S another value of that sign
 * (0x20 for "abd" against "abc" on Debian's 7.2.13): only the sign is the kernel's contract, and -1, 0, 1 is what we
 * return (docs/kernel-paths.md "Strings": the generator folds the sign). */
static int64_t strncmp_model(const uint8_t *s1, uint64_t n, const uint8_t *s2)
{
	for (uint64_t k = 0; k < n; k++) {
		if (s1[k] != s2[k])
			return s1[k] < s2[k] ? -1 : 1;
		if (!s1[k])
			break;
	}
	return 0;
}

/* ---- bpf_snprintf ---------------------------------------------------------- */

/* lib/vsprintf.c's flags of struct printf_spec that bpf_snprintf's formats
 * can set (bpf_bprintf_prepare takes "[0 +-]" and a width, no '#', no
 * precision). */
enum { F_ZEROPAD = 1, F_SIGN = 2, F_PLUS = 4, F_SPACE = 8, F_LEFT = 16, F_SMALL = 32 };

struct out {
	char *buf;  /* the whole text, whatever the helper's size */
	size_t len; /* bytes produced so far (the return value counts them all) */
	size_t cap;
};

static void put(struct out *o, char c)
{
	if (o->len < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

/* lib/vsprintf.c number(): sign, then padding, then digits; ZEROPAD pads
 * between the sign and the digits unless LEFT; no precision here. */
static void put_number(struct out *o, uint64_t num, int base, int flags, int width)
{
	static const char digits[] = "0123456789ABCDEF";
	char tmp[24], sign = 0;
	int n = 0;

	if (flags & F_LEFT)
		flags &= ~F_ZEROPAD;
	if (flags & F_SIGN) {
		if ((int64_t)num < 0) {
			sign = '-';
			num = (uint64_t)0 - num;
			width--;
		} else if (flags & F_PLUS) {
			sign = '+';
			width--;
		} else if (flags & F_SPACE) {
			sign = ' ';
			width--;
		}
	}
	do {
		char d = digits[num % (unsigned)base];

		tmp[n++] = (flags & F_SMALL) && d >= 'A' ? (char)(d | 0x20) : d;
		num /= (unsigned)base;
	} while (num);
	width -= n;
	if (!(flags & (F_ZEROPAD | F_LEFT)))
		while (width-- > 0)
			put(o, ' ');
	if (sign)
		put(o, sign);
	if (!(flags & F_LEFT))
		while (width-- > 0)
			put(o, (flags & F_ZEROPAD) ? '0' : ' ');
	while (n > 0)
		put(o, tmp[--n]);
	while (width-- > 0)
		put(o, ' ');
}

/* bpf_snprintf(str, str_size, fmt, data, data_len), as kernel/bpf/helpers.c
 * does it: -EINVAL for data_len not a multiple of 8, above 12 * 8, or with
 * no data; bpf_bprintf_prepare's pass (the format is valid: the verifier
 * ran it) copies each argument as its conversion wants (an int's low 32
 * bits, a char's low byte, the string at a %s address, "" where that
 * faults); bstr_printf formats into str (at most str_size - 1 bytes and a
 * NUL when str_size > 0) and the helper returns the whole length + 1.
 * %p is never generated (the checker refuses it); here it prints nothing
 * and returns -EINVAL, which no program the checker accepts reaches. */
static int64_t snprintf_model(uint8_t *str, uint64_t str_size, const char *fmt, const uint8_t *data,
			      uint64_t data_len, interp_str_at_fn *str_at, void *opaque)
{
	char text[4096];
	struct out o = { text, 0, sizeof(text) };
	uint64_t nargs = data_len / 8;
	int argi = 0;

	if (data_len % 8 || data_len > 12 * 8 || (data_len && !data))
		return -EINVAL;
	for (const char *p = fmt; *p; p++) {
		int flags = 0, width = 0;
		uint64_t v;

		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		if (p[1] == '%') {
			put(&o, '%');
			p++;
			continue;
		}
		if ((uint64_t)argi >= nargs)
			return -EINVAL; /* the verifier's pass refuses this */
		memcpy(&v, data + 8 * argi++, 8);
		for (p++;; p++) {
			if (*p == '0')
				flags |= F_ZEROPAD;
			else if (*p == '+')
				flags |= F_PLUS;
			else if (*p == '-')
				flags |= F_LEFT;
			else if (*p == ' ')
				flags |= F_SPACE;
			else
				break;
		}
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (*p++ - '0');
		if (*p == 'c') {
			/* bstr_printf: spaces before unless LEFT, the byte, spaces after */
			if (!(flags & F_LEFT))
				while (--width > 0)
					put(&o, ' ');
			put(&o, (char)(uint8_t)v);
			while (--width > 0)
				put(&o, ' ');
		} else if (*p == 's') {
			/* string(): the bytes up to the NUL, padded with spaces to
			 * the width (right-aligned unless LEFT; ZEROPAD ignored) */
			const char *sarg = str_at ? str_at(opaque, v) : NULL;
			int n = sarg ? (int)strlen(sarg) : 0;

			if (!(flags & F_LEFT))
				for (int k = n; k < width; k++)
					put(&o, ' ');
			for (int k = 0; k < n; k++)
				put(&o, sarg[k]);
			if (flags & F_LEFT)
				for (int k = n; k < width; k++)
					put(&o, ' ');
		} else {
			bool wide = *p == 'l';
			int base = 10;

			while (*p == 'l')
				p++;
			if (*p == 'd' || *p == 'i')
				flags |= F_SIGN;
			else if (*p == 'x')
				base = 16, flags |= F_SMALL;
			else if (*p == 'X')
				base = 16;
			else if (*p != 'u')
				return -EINVAL; /* %p or worse: never accepted by the checker */
			/* an int: the low 32 bits, sign-extended for %d/%i */
			if (!wide)
				v = (flags & F_SIGN) ? (uint64_t)(int64_t)(int32_t)v : (uint32_t)v;
			put_number(&o, v, base, flags, width);
		}
	}
	if (str_size) {
		uint64_t n = o.len < str_size - 1 ? o.len : str_size - 1;

		memcpy(str, text, n < sizeof(text) ? n : sizeof(text));
		str[n] = 0;
	}
	return (int64_t)o.len + 1;
}

/* ---- the number iterator ---------------------------------------------------- */

/* kernel/bpf/bpf_iter.c: struct bpf_iter_num_kern { int cur; int end; }
 * in the 8 bytes of struct bpf_iter_num (little-endian on both arches). */
static void iter_get(const uint8_t *it, int32_t *cur, int32_t *end)
{
	memcpy(cur, it, 4);
	memcpy(end, it + 4, 4);
}

static void iter_set(uint8_t *it, int32_t cur, int32_t end)
{
	memcpy(it, &cur, 4);
	memcpy(it + 4, &end, 4);
}

/* bpf_iter_num_new(it, start, end): start > end is -EINVAL, a range of
 * more than BPF_MAX_LOOPS -E2BIG (both leave an empty iterator); else cur
 * = start - 1 (wrapping: the kernel builds with -fno-strict-overflow). */
static int32_t iter_new_model(uint8_t *it, int32_t start, int32_t end)
{
	if (start > end) {
		iter_set(it, 0, 0);
		return -EINVAL;
	}
	if ((int64_t)end - (int64_t)start > CF_LOOP_MAX) {
		iter_set(it, 0, 0);
		return -E2BIG;
	}
	iter_set(it, (int32_t)((uint32_t)start - 1), end);
	return 0;
}

/* bpf_iter_num_next(it): once cur + 1 (wrapping, then widened) reaches
 * end the iterator empties and returns NULL, and does so ever after; else
 * cur advances and the result is &it->cur (1 here: the interpreter maps
 * it to the iterator's address). */
static bool iter_next_model(uint8_t *it)
{
	int32_t cur, end, next;

	iter_get(it, &cur, &end);
	next = (int32_t)((uint32_t)cur + 1);
	if ((int64_t)next >= end) {
		iter_set(it, 0, 0);
		return false;
	}
	iter_set(it, next, end);
	return true;
}

uint64_t interp_kernel_helper(const struct cf_callee *c, const uint64_t args[CF_MAX_ARGS], interp_str_at_fn *str_at,
			      void *opaque)
{
	uint64_t res;
	int64_t ret;

	if (c->kfunc) {
		uint8_t *it = (uint8_t *)(uintptr_t)args[0];

		switch (c->id) {
		case CF_KKFUNC_ITER_NUM_NEW:
			/* an int in w0/eax: the upper half is zero */
			return (uint32_t)iter_new_model(it, (int32_t)args[1], (int32_t)args[2]);
		case CF_KKFUNC_ITER_NUM_NEXT:
			return iter_next_model(it);
		case CF_KKFUNC_ITER_NUM_DESTROY:
			iter_set(it, 0, 0);
			return INTERP_POISON; /* void */
		default:
			return INTERP_POISON;
		}
	}
	switch (c->id) {
	case CF_KHELPER_GET_SMP_PROCESSOR_ID:
		return 0; /* the guest runs with one CPU (-smp 1) */
	case CF_KHELPER_STRTOL:
	case CF_KHELPER_STRTOUL:
		ret = (c->id == CF_KHELPER_STRTOL ? strtol_model : strtoul_model)(
			(const uint8_t *)(uintptr_t)args[0], args[1], args[2], &res);
		memcpy((void *)(uintptr_t)args[3], &res, sizeof(res));
		return (uint64_t)ret;
	case CF_KHELPER_STRNCMP:
		return (uint64_t)strncmp_model((const uint8_t *)(uintptr_t)args[0], args[1],
					       (const uint8_t *)(uintptr_t)args[2]);
	case CF_KHELPER_SNPRINTF:
		return (uint64_t)snprintf_model((uint8_t *)(uintptr_t)args[0], (uint32_t)args[1],
						(const char *)(uintptr_t)args[2], (const uint8_t *)(uintptr_t)args[3],
						(uint32_t)args[4], str_at, opaque);
	default:
		return INTERP_POISON;
	}
}

/* SPDX-License-Identifier: MIT */
#include <stdint.h>

#include "guest/format.h"

struct fmt_spec {
	int left;  /* '-' */
	int zero;  /* '0' */
	int width; /* minimum field width */
};

static int emit_pad(fmt_out_fn out, void *arg, char c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		out(c, arg);
	return n > 0 ? n : 0;
}

/* Emit a string s of length len inside the field described by spec. */
static int emit_field(fmt_out_fn out, void *arg, const struct fmt_spec *spec, const char *s,
		      int len, int negative)
{
	int pad = spec->width - len - negative;
	int n = 0, i;

	if (!spec->left && !spec->zero)
		n += emit_pad(out, arg, ' ', pad);
	if (negative) {
		out('-', arg);
		n++;
	}
	if (!spec->left && spec->zero)
		n += emit_pad(out, arg, '0', pad);
	for (i = 0; i < len; i++)
		out(s[i], arg);
	n += len;
	if (spec->left)
		n += emit_pad(out, arg, ' ', pad);
	return n;
}

static int emit_number(fmt_out_fn out, void *arg, const struct fmt_spec *spec, uint64_t v,
		       unsigned int base, int upper, int negative)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int len = 0;

	do {
		tmp[sizeof(tmp) - 1 - len] = digits[v % base];
		v /= base;
		len++;
	} while (v);
	return emit_field(out, arg, spec, &tmp[sizeof(tmp) - len], len, negative);
}

int fmt_vformat(fmt_out_fn out, void *arg, const char *fmt, va_list ap)
{
	int n = 0;

	while (*fmt) {
		struct fmt_spec spec = {0, 0, 0};
		const char *start = fmt;
		int lng = 0;
		uint64_t u;
		int64_t s;

		if (*fmt != '%') {
			out(*fmt++, arg);
			n++;
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				spec.left = 1;
			else if (*fmt == '0')
				spec.zero = 1;
			else
				break;
		}
		if (*fmt == '*') {
			spec.width = va_arg(ap, int);
			if (spec.width < 0) {
				spec.left = 1;
				spec.width = -spec.width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9' && spec.width < 1000)
				spec.width = spec.width * 10 + (*fmt++ - '0');
		}
		if (spec.width > 256)
			spec.width = 256;
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z')
				lng = 2;
			else if (*fmt != 'h')
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			s = lng ? va_arg(ap, long long) : va_arg(ap, int);
			u = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
			n += emit_number(out, arg, &spec, u, 10, 0, s < 0);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
			n += emit_number(out, arg, &spec, u, *fmt == 'u' ? 10 : 16, *fmt == 'X', 0);
			break;
		case 'p':
			out('0', arg);
			out('x', arg);
			n += 2;
			n += emit_number(out, arg, &spec, (uintptr_t)va_arg(ap, void *), 16, 0, 0);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			int len = 0;

			if (!str)
				str = "(null)";
			while (str[len] && len < 65536)
				len++;
			spec.zero = 0;
			n += emit_field(out, arg, &spec, str, len, 0);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);

			spec.zero = 0;
			n += emit_field(out, arg, &spec, &c, 1, 0);
			break;
		}
		case '%':
			out('%', arg);
			n++;
			break;
		default:
			/* Unknown conversion (or end of string): print it as written. */
			while (start < fmt) {
				out(*start++, arg);
				n++;
			}
			if (!*fmt)
				return n;
			out(*fmt, arg);
			n++;
			break;
		}
		fmt++;
	}
	return n;
}

struct snbuf {
	char *buf;
	size_t size;
	size_t pos;
};

static void sn_out(char c, void *arg)
{
	struct snbuf *b = arg;

	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	struct snbuf b = {buf, size, 0};
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vformat(sn_out, &b, fmt, ap);
	va_end(ap);
	if (size)
		buf[b.pos < size ? b.pos : size - 1] = '\0';
	return n;
}

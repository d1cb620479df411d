/* SPDX-License-Identifier: MIT */
#include "guest/cmdline.h"
#include "guest/errno.h"
#include "guest/lib.h"

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_get(const char *cl, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cl;

	if (size == 0 || klen == 0)
		return -EINVAL;
	while (*p) {
		const char *w;
		size_t wlen = 0;

		while (blank(*p))
			p++;
		w = p;
		while (*p && !blank(*p)) {
			p++;
			wlen++;
		}
		if (wlen >= klen && !memcmp(w, key, klen) && (wlen == klen || w[klen] == '=')) {
			const char *v = wlen == klen ? w + klen : w + klen + 1;
			size_t vlen = wlen == klen ? 0 : wlen - klen - 1;
			size_t n = vlen < size - 1 ? vlen : size - 1;

			memcpy(val, v, n);
			val[n] = '\0';
			return n == vlen ? 0 : -E2BIG;
		}
	}
	return -ENOENT;
}

int cmdline_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0, base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		uint64_t d;

		if (*s >= '0' && *s <= '9')
			d = (uint64_t)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (uint64_t)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (uint64_t)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int cmdline_get_u64(const char *cl, const char *key, uint64_t *out)
{
	char buf[32];
	int err = cmdline_get(cl, key, buf, sizeof(buf));

	if (err == -E2BIG)
		return -ERANGE;
	if (err)
		return err;
	return cmdline_parse_u64(buf, out);
}

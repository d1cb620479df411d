/* SPDX-License-Identifier: MIT */
#include "common/parse.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

static int parse_u64_prefix(const char *s, uint64_t *val, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
		p++;
	}
	*val = v;
	*end = p;
	return 0;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int ret;

	if (!s)
		return -EINVAL;
	ret = parse_u64_prefix(s, &v, &end);
	if (ret)
		return ret;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	static const struct {
		char c;
		unsigned shift;
	} units[] = {{'k', 10}, {'m', 20}, {'g', 30}, {'t', 40}};
	const char *end;
	unsigned shift = 0;
	uint64_t v;
	int ret;

	if (!s)
		return -EINVAL;
	ret = parse_u64_prefix(s, &v, &end);
	if (ret)
		return ret;
	if (*end) {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (tolower((unsigned char)*end) == units[i].c)
				break;
		if (i == sizeof(units) / sizeof(units[0])) {
			if (strcasecmp(end, "b"))
				return -EINVAL;
		} else {
			shift = units[i].shift;
			end++;
			if (*end && strcasecmp(end, "b") && strcasecmp(end, "ib"))
				return -EINVAL;
		}
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int parse_cpu_list(const char *s, int *cpus, size_t max, size_t *count)
{
	const char *p = s;
	size_t n = 0;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		uint64_t lo, hi;
		const char *end;
		int ret = parse_u64_prefix(p, &lo, &end);

		if (ret)
			return ret == -ERANGE ? -ERANGE : -EINVAL;
		hi = lo;
		p = end;
		if (*p == '-') {
			ret = parse_u64_prefix(p + 1, &hi, &end);
			if (ret)
				return ret == -ERANGE ? -ERANGE : -EINVAL;
			if (hi < lo)
				return -EINVAL;
			p = end;
		}
		if (hi >= CPUSET_MAX)
			return -ERANGE;
		for (uint64_t c = lo; c <= hi; c++) {
			if (n == max)
				return -E2BIG;
			cpus[n++] = (int)c;
		}
		if (!*p)
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
	*count = n;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t tmp[6];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < 5 && s[i * 3 + 2] != ':' && s[i * 3 + 2] != '-')
			return -EINVAL;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, tmp, 6);
	return 0;
}

void format_mac(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int parse_pci_bdf(const char *s, struct pci_bdf *out)
{
	unsigned dom = 0, bus, dev, fn;
	char tail;
	int n;

	if (!s)
		return -EINVAL;
	/* Every field is fixed-width hex; sscanf alone would accept "1:2.3". */
	if (strlen(s) == 12 && s[4] == ':' && s[7] == ':' && s[10] == '.')
		n = sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail);
	else if (strlen(s) == 7 && s[2] == ':' && s[5] == '.')
		n = sscanf(s, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) + 1;
	else
		return -EINVAL;
	if (n != 4)
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
			return -EINVAL;
	if (dev > 31 || fn > 7)
		return -ERANGE;
	out->domain = (uint16_t)dom;
	out->bus = (uint8_t)bus;
	out->dev = (uint8_t)dev;
	out->fn = (uint8_t)fn;
	return 0;
}

void format_pci_bdf(const struct pci_bdf *bdf, char out[13])
{
	snprintf(out, 13, "%04x:%02x:%02x.%x", bdf->domain, bdf->bus, bdf->dev & 0x1fu,
		 bdf->fn & 7u);
}

bool pci_bdf_equal(const struct pci_bdf *a, const struct pci_bdf *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev && a->fn == b->fn;
}

int parse_user(const char *name, unsigned *uid, unsigned *gid, int *lookup_err)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	*lookup_err = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (*lookup_err || !res)
		return -ENOENT;
	*uid = (unsigned)pw.pw_uid;
	*gid = (unsigned)pw.pw_gid;
	return *uid && *gid ? 0 : -EPERM;
}

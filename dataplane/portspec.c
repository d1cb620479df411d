/* SPDX-License-Identifier: MIT */
#include "dataplane/portspec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/parse.h"

static int spec_err(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int spec_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int set_u32(const char *key, const char *val, uint64_t max, uint32_t *out, char *err,
		   size_t errlen)
{
	uint64_t v;

	if (parse_uint(val, 0, max, &v))
		return spec_err(err, errlen, "bad %s=%s: expected a number", key, val);
	*out = (uint32_t)v;
	return 0;
}

int port_spec_parse(const char *s, struct port_spec *spec, char *err, size_t errlen)
{
	char buf[1024], extra[256] = "", *save = NULL, *tok;
	bool have_type = false, have_vlan = false;
	uint32_t q = 1;
	int ret;

	memset(spec, 0, sizeof(*spec));
	if (!s || strlen(s) >= sizeof(buf))
		return spec_err(err, errlen, "port spec %s%s: missing or longer than 1023 chars",
				s ? "" : "(null)", "");
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *key = tok, *val;

		if (!eq)
			return spec_err(err, errlen, "bad port option '%s'%s: expected key=value",
					tok, "");
		*eq = 0;
		val = eq + 1;
		if (!strcmp(key, "name")) {
			if (!*val || strlen(val) >= PORT_NAME_MAX || strpbrk(val, " \"\\/"))
				return spec_err(
				    err, errlen,
				    "bad name=%s%s: 1-31 chars, no space, quote or slash", val, "");
			strcpy(spec->name, val);
		} else if (!strcmp(key, "type")) {
			have_type = true;
			if (!strcmp(val, "vhost-user") || !strcmp(val, "vhost"))
				spec->type = PORT_VHOST;
			else if (!strcmp(val, "vdev"))
				spec->type = PORT_VDEV;
			else if (!strcmp(val, "pci"))
				spec->type = PORT_PCI;
			else
				return spec_err(err, errlen,
						"bad type=%s%s: use vhost-user, vdev or pci", val,
						"");
		} else if (!strcmp(key, "path")) {
			if (!*val || strlen(val) >= PORT_PATH_MAX)
				return spec_err(err, errlen,
						"bad path=%s%s: 1-107 chars (UNIX socket path)",
						val, "");
			strcpy(spec->path, val);
		} else if (!strcmp(key, "mode")) {
			if (!strcmp(val, "client"))
				spec->client = true;
			else if (strcmp(val, "server"))
				return spec_err(err, errlen, "bad mode=%s%s: use server or client",
						val, "");
		} else if (!strcmp(key, "dev")) {
			if (!*val || strlen(val) >= sizeof(spec->devname))
				return spec_err(err, errlen, "bad dev=%s%s: 1-63 chars", val, "");
			strcpy(spec->devname, val);
		} else if (!strcmp(key, "vlan")) {
			char v[512];
			size_t n = strlen(val);

			/* Allow '+' between VIDs; a trailing trunk list may also
			 * have been split at ',' by the tokenizer: take the rest. */
			if (n >= sizeof(v))
				return spec_err(err, errlen, "bad vlan=%s%s: too long", val, "");
			strcpy(v, val);
			for (char *p = v; *p; p++)
				if (*p == '+')
					*p = ',';
			while (save && *save) {
				size_t len = strcspn(save, ",");
				char *next;

				if (memchr(save, '=', len))
					break;
				next = strtok_r(NULL, ",", &save);

				if (!next || strlen(v) + strlen(next) + 2 >= sizeof(v))
					break;
				strcat(v, ",");
				strcat(v, next);
			}
			if (l2_parse_vlan(v, &spec->vlan))
				return spec_err(
				    err, errlen,
				    "bad vlan=%s%s: use access:VID or trunk:VID+VID+LO-HI "
				    "(VIDs 1-4094)",
				    v, "");
			have_vlan = true;
		} else if (!strcmp(key, "queues")) {
			ret = set_u32(key, val, PORT_MAX_Q, &q, err, errlen);
			if (ret)
				return ret;
			if (q == 0)
				return spec_err(err, errlen, "bad queues=%s%s: 1-8", val, "");
		} else if (!strcmp(key, "mac-limit")) {
			ret = set_u32(key, val, 1u << 24, &spec->mac_limit, err, errlen);
			if (ret)
				return ret;
		} else if (!strcmp(key, "flood-limit")) {
			ret = set_u32(key, val, 100000000, &spec->flood_limit, err, errlen);
			if (ret)
				return ret;
		} else {
			/* A driver devarg of a vdev/pci port (iface=, path=...). */
			size_t n = strlen(extra);

			if (n + strlen(key) + strlen(val) + 3 >= sizeof(extra))
				return spec_err(err, errlen, "too many device arguments at %s=%s",
						key, val);
			snprintf(extra + n, sizeof(extra) - n, ",%s=%s", key, val);
		}
	}
	spec->queues = q;
	if (!spec->name[0])
		return spec_err(err, errlen, "port spec '%s'%s: missing name=", s, "");
	if (!have_type)
		return spec_err(err, errlen, "port %s%s: missing type=vhost-user|vdev|pci",
				spec->name, "");
	if (!have_vlan)
		l2_parse_vlan("access:1", &spec->vlan);
	if (spec->type == PORT_VHOST) {
		if (!spec->path[0])
			return spec_err(err, errlen, "port %s%s: vhost-user needs path=SOCKET",
					spec->name, "");
		if (extra[0] || spec->devname[0])
			return spec_err(err, errlen, "port %s: unknown options '%s' for vhost-user",
					spec->name, extra[0] ? extra + 1 : "dev");
		return 0;
	}
	if (!spec->devname[0])
		return spec_err(err, errlen,
				"port %s%s: needs dev=NAME (vdev, e.g. net_tap0) or dev=BDF (pci)",
				spec->name, "");
	if (spec->path[0]) {
		/* path= belongs to the driver for ethdev ports (e.g. net_ring). */
		size_t n = strlen(extra);

		snprintf(extra + n, sizeof(extra) - n, ",path=%s", spec->path);
		spec->path[0] = 0;
	}
	if (spec->type == PORT_PCI) {
		struct pci_bdf bdf;
		char name[13];

		if (parse_pci_bdf(spec->devname, &bdf))
			return spec_err(err, errlen,
					"port %s: bad dev=%s: expected a PCI address 0000:01:00.1",
					spec->name, spec->devname);
		format_pci_bdf(&bdf, name);
		strcpy(spec->devname, name);
	} else if (strncmp(spec->devname, "net_", 4)) {
		return spec_err(err, errlen,
				"port %s: bad dev=%s: a vdev name starts with net_ (net_tap0, "
				"net_af_packet0, net_ring0)",
				spec->name, spec->devname);
	}
	snprintf(spec->dev, sizeof(spec->dev), "%s%s", spec->devname, extra);
	return 0;
}

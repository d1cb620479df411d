/* SPDX-License-Identifier: MIT */
/* YAML → struct appliance. libyaml's document API gives every node a start
 * mark, so each error points at the key or value it is about. Keys are looked
 * up in the tables below (config/schema.h); nothing here touches the host. */
#include "config/schema.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct loader {
	yaml_document_t doc;
	struct diag_list *d;
	struct appliance *app;
	struct cfg_vm *defaults;
	bool in_defaults;
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(VM__COUNT <= 32 && PORT__COUNT <= 32, "parse_map's seen[] is too small");
#define FIELD(k, kd, i, type, member, ...)                                                         \
	{                                                                                          \
		.key = k, .kind = kd, .idx = i, .off = offsetof(type, member), __VA_ARGS__         \
	}
#define TABLE(name, desc, type, atm, arr)                                                          \
	const struct table name = {desc, arr, ARRAY_SIZE(arr), offsetof(type, atm)}

static bool seq_ports(struct loader *l, void *n, void *obj, const char *path);
static bool seq_pfs(struct loader *l, void *n, void *obj, const char *path);
static bool seq_vms(struct loader *l, void *n, void *obj, const char *path);
static bool seq_nics(struct loader *l, void *n, void *obj, const char *path);
static bool seq_devices(struct loader *l, void *n, void *obj, const char *path);
static bool seq_trunk(struct loader *l, void *n, void *obj, const char *path);

const struct enum_name hp_names[] = {
    {"2M", CFG_HP_2M}, {"1G", CFG_HP_1G}, {"none", CFG_HP_NONE}, {NULL, 0}};
static const struct enum_name host_hp_names[] = {{"2M", CFG_HP_2M}, {"1G", CFG_HP_1G}, {NULL, 0}};
const struct enum_name port_type_names[] = {{"vhost-user", CFG_PORT_VHOST_USER},
					    {"vdev", CFG_PORT_VDEV},
					    {"pci", CFG_PORT_PCI},
					    {"vf", CFG_PORT_VF},
					    {NULL, 0}};
const struct enum_name vhost_mode_names[] = {
    {"server", CFG_VHOST_SERVER}, {"client", CFG_VHOST_CLIENT}, {NULL, 0}};
const struct enum_name restart_names[] = {{"on-failure", CFG_RESTART_ON_FAILURE},
					  {"always", CFG_RESTART_ALWAYS},
					  {"never", CFG_RESTART_NEVER},
					  {NULL, 0}};

static const struct field hp_fields[] = {
    FIELD("size", F_ENUM, HP_SIZE, struct cfg_host, hp_size, .names = host_hp_names,
	  .required = true),
    FIELD("count", F_UINT, HP_COUNT, struct cfg_host, hp_count, .min = 1, .max = 1u << 20,
	  .required = true),
};
TABLE(hp_table, "host.hugepages", struct cfg_host, hp_at, hp_fields);

static const struct field host_fields[] = {
    /* hugepages: and fdb: fill fields of the same struct (off 0). */
    {.key = "hugepages", .kind = F_MAP, .idx = HOST_HUGEPAGES, .sub = &hp_table},
    FIELD("dedicated_cores", F_CPUS, HOST_DEDICATED_CORES, struct cfg_host, dedicated),
};
TABLE(host_table, "host", struct cfg_host, at, host_fields);

static const struct field fdb_fields[] = {
    FIELD("aging", F_UINT, FDB_AGING, struct cfg_switch, fdb_aging, .min = 1, .max = 86400),
    FIELD("size", F_UINT, FDB_SIZE, struct cfg_switch, fdb_size, .min = 16, .max = 1u << 20),
};
TABLE(fdb_table, "switch.fdb", struct cfg_switch, fdb_at, fdb_fields);

static const struct field vlan_fields[] = {
    FIELD("access", F_UINT, VLAN_ACCESS, struct cfg_vlan, access, .min = 1, .max = 4094),
    FIELD("trunk", F_SEQ, VLAN_TRUNK, struct cfg_vlan, trunk, .seq = seq_trunk),
};
TABLE(vlan_table, "vlan", struct cfg_vlan, at, vlan_fields);

static const struct field port_fields[] = {
    FIELD("name", F_NAME, PORT_NAME, struct cfg_port, name, .required = true),
    FIELD("type", F_ENUM, PORT_TYPE, struct cfg_port, type, .names = port_type_names,
	  .required = true),
    FIELD("path", F_STR, PORT_PATH, struct cfg_port, path),
    FIELD("mode", F_ENUM, PORT_MODE, struct cfg_port, mode, .names = vhost_mode_names),
    FIELD("vlan", F_MAP, PORT_VLAN, struct cfg_port, vlan, .sub = &vlan_table),
    FIELD("queues", F_UINT, PORT_QUEUES, struct cfg_port, queues, .min = 1, .max = 8),
    FIELD("mac_limit", F_UINT, PORT_MAC_LIMIT, struct cfg_port, mac_limit, .min = 0,
	  .max = 1u << 20),
    FIELD("dev", F_STR, PORT_DEV, struct cfg_port, dev),
    FIELD("pci", F_BDF, PORT_PCI, struct cfg_port, pci),
    FIELD("pf", F_NAME, PORT_PF, struct cfg_port, pf),
    FIELD("index", F_UINT, PORT_INDEX, struct cfg_port, index, .min = 0, .max = 255),
};
TABLE(port_table, "a switch port", struct cfg_port, at, port_fields);

static const struct field switch_fields[] = {
    FIELD("pmd_cores", F_CPUS, SW_PMD_CORES, struct cfg_switch, pmd_cores, .required = true),
    FIELD("memory", F_SIZE, SW_MEMORY, struct cfg_switch, memory, .min = 16 << 20,
	  .max = 64ull << 30),
    {.key = "fdb", .kind = F_MAP, .idx = SW_FDB, .sub = &fdb_table},
    FIELD("ports", F_SEQ, SW_PORTS, struct cfg_switch, ports, .seq = seq_ports),
};
TABLE(switch_table, "switch", struct cfg_switch, at, switch_fields);

static const struct field pf_fields[] = {
    FIELD("name", F_NAME, PF_NAME, struct cfg_pf, name, .required = true),
    FIELD("pci", F_BDF, PF_PCI, struct cfg_pf, pci),
    FIELD("netdev", F_STR, PF_NETDEV, struct cfg_pf, netdev),
    FIELD("numvfs", F_UINT, PF_NUMVFS, struct cfg_pf, numvfs, .min = 1, .max = 256,
	  .required = true),
};
TABLE(pf_table, "a PF", struct cfg_pf, at, pf_fields);

static const struct field vf_fields[] = {
    FIELD("pf", F_NAME, VF_PF, struct cfg_vf, pf, .required = true),
    FIELD("index", F_UINT, VF_INDEX, struct cfg_vf, index, .min = 0, .max = 255, .required = true),
    FIELD("mac", F_MAC, VF_MAC, struct cfg_vf, mac),
    FIELD("vlan", F_UINT, VF_VLAN, struct cfg_vf, vlan, .min = 0, .max = 4094),
    FIELD("spoofchk", F_BOOL, VF_SPOOFCHK, struct cfg_vf, spoofchk),
    FIELD("trust", F_BOOL, VF_TRUST, struct cfg_vf, trust),
    FIELD("rate_mbps", F_UINT, VF_RATE, struct cfg_vf, rate_mbps, .min = 0, .max = 400000),
};
TABLE(vf_table, "vf", struct cfg_vf, at, vf_fields);

static const struct field nic_fields[] = {
    FIELD("name", F_NAME, NIC_NAME, struct cfg_nic, name),
    FIELD("switch_port", F_NAME, NIC_SWITCH_PORT, struct cfg_nic, switch_port),
    FIELD("mac", F_MAC, NIC_MAC, struct cfg_nic, mac),
    FIELD("vf", F_MAP, NIC_VF, struct cfg_nic, vf, .sub = &vf_table),
};
TABLE(nic_table, "a NIC", struct cfg_nic, at, nic_fields);

/* in_defaults: the keys may be written under defaults.jail too. */
static const struct field jail_fields[] = {
    FIELD("enabled", F_BOOL, JAIL_ENABLED, struct cfg_jail, enabled, .in_defaults = true),
    FIELD("user", F_STR, JAIL_USER, struct cfg_jail, user, .in_defaults = true),
    FIELD("uid", F_UINT, JAIL_UID, struct cfg_jail, uid, .min = 1, .max = 4294967294u,
	  .in_defaults = true),
    FIELD("gid", F_UINT, JAIL_GID, struct cfg_jail, gid, .min = 1, .max = 4294967294u,
	  .in_defaults = true),
    FIELD("dir", F_STR, JAIL_DIR, struct cfg_jail, dir, .in_defaults = true),
};
TABLE(jail_table, "jail", struct cfg_jail, at, jail_fields);

static const struct field vm_fields[] = {
    FIELD("name", F_NAME, VM_NAME, struct cfg_vm, name, .required = true),
    FIELD("kernel", F_STR, VM_KERNEL, struct cfg_vm, kernel, .in_defaults = true),
    FIELD("initrd", F_STR, VM_INITRD, struct cfg_vm, initrd, .in_defaults = true),
    FIELD("cmdline", F_STR, VM_CMDLINE, struct cfg_vm, cmdline, .in_defaults = true),
    FIELD("vcpus", F_UINT, VM_VCPUS, struct cfg_vm, vcpus, .min = 1, .max = CFG_MAX_VCPUS,
	  .in_defaults = true),
    FIELD("pin", F_CPUS, VM_PIN, struct cfg_vm, pin),
    FIELD("emulator_pin", F_CPUS, VM_EMULATOR_PIN, struct cfg_vm, emulator_pin,
	  .in_defaults = true),
    FIELD("memory", F_SIZE, VM_MEMORY, struct cfg_vm, memory, .min = 16 << 20, .max = 1ull << 40,
	  .in_defaults = true),
    FIELD("hugepages", F_ENUM, VM_HUGEPAGES, struct cfg_vm, hugepages, .names = hp_names,
	  .in_defaults = true),
    FIELD("numa_node", F_UINT, VM_NUMA_NODE, struct cfg_vm, numa_node, .min = 0,
	  .max = CFG_MAX_NUMA - 1, .in_defaults = true),
    FIELD("serial", F_STR, VM_SERIAL, struct cfg_vm, serial),
    FIELD("restart", F_ENUM, VM_RESTART, struct cfg_vm, restart, .names = restart_names,
	  .in_defaults = true),
    FIELD("max_restarts", F_UINT, VM_MAX_RESTARTS, struct cfg_vm, max_restarts, .min = 0,
	  .max = 1000, .in_defaults = true),
    FIELD("restart_window", F_UINT, VM_RESTART_WINDOW, struct cfg_vm, restart_window, .min = 1,
	  .max = 86400, .in_defaults = true),
    FIELD("jail", F_MAP, VM_JAIL, struct cfg_vm, jail, .sub = &jail_table, .in_defaults = true),
    FIELD("nics", F_SEQ, VM_NICS, struct cfg_vm, nics, .seq = seq_nics),
    FIELD("devices", F_SEQ, VM_DEVICES, struct cfg_vm, devices, .seq = seq_devices),
};
TABLE(vm_table, "a VM", struct cfg_vm, at, vm_fields);

static const struct field app_fields[] = {
    FIELD("name", F_NAME, APP_NAME, struct appliance, name, .required = true),
    FIELD("host", F_MAP, APP_HOST, struct appliance, host, .sub = &host_table),
    FIELD("switch", F_MAP, APP_SWITCH, struct appliance, sw, .sub = &switch_table),
    FIELD("pfs", F_SEQ, APP_PFS, struct appliance, pfs, .seq = seq_pfs),
    FIELD("vms", F_SEQ, APP_VMS, struct appliance, vms, .seq = seq_vms),
    /* defaults: is parsed separately (parse_defaults) with vm_table. */
    {.key = "defaults", .kind = F_MAP, .idx = APP_DEFAULTS},
};
TABLE(app_table, "the file", struct appliance, at, app_fields);

/* ---- node helpers ---- */

static struct cfg_mark node_mark(const yaml_node_t *n)
{
	return (struct cfg_mark){(unsigned)n->start_mark.line + 1,
				 (unsigned)n->start_mark.column + 1};
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static bool node_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp((const char *)n->data.scalar.value, nulls[i]))
			return true;
	return false;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* The value quoted for a message: non-printable bytes escaped, long values
 * shortened, so a hostile file cannot garble the terminal. */
static const char *quoted(const char *s, char buf[96])
{
	size_t o = 0;

	buf[o++] = '"';
	for (; *s && o < 80; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
		}
	}
	if (*s) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static yaml_node_t *node(struct loader *l, int id)
{
	return yaml_document_get_node(&l->doc, id);
}

static void join(char *out, size_t len, const char *path, const char *key)
{
	snprintf(out, len, "%s%s%s", path, *path ? "." : "", key);
}

/* ---- closest key, for "did you mean" ---- */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[40], cur[40];

	if (la >= 40 || lb >= 40)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
						    tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(size_t) * (lb + 1));
	}
	return prev[lb];
}

static void unknown_key(struct loader *l, const struct table *t, const yaml_node_t *k,
			const char *path)
{
	const char *key = scalar(k);
	const char *best = NULL;
	size_t bestd = (size_t)-1;
	char q[96], list[512] = "";
	size_t o = 0;

	for (size_t i = 0; i < t->n; i++) {
		size_t dist;

		if (l->in_defaults && !t->f[i].in_defaults)
			continue;
		dist = edit_distance(key, t->f[i].key);
		if (dist < bestd) {
			bestd = dist;
			best = t->f[i].key;
		}
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "",
				      t->f[i].key);
	}
	if (best && bestd <= (strlen(best) > 5 ? 2u : 1u))
		diag_err(l->d, node_mark(k), "unknown key %s in %s; did you mean \"%s\"?",
			 quoted(key, q), *path ? path : "the top level", best);
	else
		diag_err(l->d, node_mark(k), "unknown key %s in %s; valid keys: %s", quoted(key, q),
			 *path ? path : "the top level", list);
}

/* ---- scalar kinds ---- */

static const char *kind_desc(const struct field *f, char *buf, size_t len)
{
	size_t o;

	switch (f->kind) {
	case F_NAME:
		return "a name";
	case F_STR:
		return "a string";
	case F_UINT:
		return "a whole number";
	case F_SIZE:
		return "a size like 512M";
	case F_CPUS:
		return "a CPU list like \"2,4-7\"";
	case F_MAC:
		return "a MAC address like 52:54:00:12:34:56";
	case F_BDF:
		return "a PCI address like 0000:01:00.0";
	case F_BOOL:
		return "true or false";
	case F_ENUM:
		o = (size_t)snprintf(buf, len, "one of");
		for (const struct enum_name *e = f->names; e->name && o < len; e++)
			o += (size_t)snprintf(buf + o, len - o, "%s %s", e == f->names ? "" : ",",
					      e->name);
		return buf;
	case F_MAP:
		return "a mapping";
	case F_SEQ:
		return "a sequence";
	}
	return "?";
}

void cfg_format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CFG_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/* The column of each CPU of a valid CPU list S (scalar N) in the file: the
 * start of its number or range. Left 0 when the text cannot be mapped back
 * (a multi-line scalar, escapes, block styles). */
static void cpu_columns(const yaml_node_t *n, const char *s, unsigned *col, size_t cnt)
{
	unsigned base = (unsigned)n->start_mark.column + 1;
	size_t k = 0;
	const char *p = s;

	switch (n->data.scalar.style) {
	case YAML_PLAIN_SCALAR_STYLE:
		break;
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		base++; /* the opening quote */
		break;
	default:
		return;
	}
	/* The source must hold exactly S on one line (no escapes, no folding). */
	if (n->start_mark.line != n->end_mark.line ||
	    n->end_mark.index - n->start_mark.index !=
		strlen(s) + (base > n->start_mark.column + 1) * 2)
		return;
	while (*p && k < cnt) {
		unsigned long lo = strtoul(p, NULL, 10), hi = lo;
		const char *tok = p;

		p += strcspn(p, "-,");
		if (*p == '-')
			hi = strtoul(p + 1, NULL, 10);
		for (unsigned long c = lo; c <= hi && k < cnt; c++)
			col[k++] = base + (unsigned)(tok - s);
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
}

/* Parses scalar N into OBJ+f->off. Returns false (after reporting) when the
 * value is bad; the field then stays unset. */
static bool parse_scalar(struct loader *l, const struct field *f, yaml_node_t *n, void *obj,
			 const char *path)
{
	void *dst = (char *)obj + f->off;
	const char *s = scalar(n);
	struct cfg_mark m = node_mark(n);
	char q[96], q2[128], a[32], b[32];
	int cpus[CPUSET_MAX];
	uint64_t v;
	size_t cnt;
	int ret;

	if (strlen(s) != n->data.scalar.length) {
		diag_err(l->d, m, "%s: the value contains a NUL byte", path);
		return false;
	}
	switch (f->kind) {
	case F_NAME:
		if (!name_ok(s)) {
			diag_err(l->d, m,
				 "%s: %s is not a valid name; use 1 to 31 letters, digits, '-' or "
				 "'_', starting with a letter or digit",
				 path, quoted(s, q));
			return false;
		}
		strcpy(dst, s);
		return true;
	case F_STR: {
		char *copy;

		if (!*s) {
			diag_err(l->d, m, "%s: empty string; remove the key or give a value", path);
			return false;
		}
		copy = strdup(s);
		if (!copy) {
			l->d->oom = true;
			return false;
		}
		free(*(char **)dst);
		*(char **)dst = copy;
		return true;
	}
	case F_UINT:
		ret = parse_uint(s, 0, UINT64_MAX, &v);
		if (ret == -EINVAL) {
			diag_err(l->d, m,
				 "%s: %s is not a whole number; use an integer from %llu to %llu",
				 path, quoted(s, q), (unsigned long long)f->min,
				 (unsigned long long)f->max);
			return false;
		}
		if (ret || v < f->min || v > f->max) {
			diag_err(l->d, m,
				 "%s: %s is out of range; use an integer from %llu to %llu", path,
				 quoted(s, q), (unsigned long long)f->min,
				 (unsigned long long)f->max);
			return false;
		}
		*(unsigned *)dst = (unsigned)v;
		return true;
	case F_SIZE:
		ret = parse_size(s, &v);
		cfg_format_size(f->min, a, sizeof(a));
		cfg_format_size(f->max, b, sizeof(b));
		if (ret == -EINVAL) {
			diag_err(l->d, m,
				 "%s: %s is not a size; use a number with an optional K, M, G or T "
				 "suffix, e.g. 512M",
				 path, quoted(s, q));
			return false;
		}
		if (ret || v < f->min || v > f->max) {
			diag_err(l->d, m, "%s: %s is out of range; use a size from %s to %s", path,
				 quoted(s, q), a, b);
			return false;
		}
		*(uint64_t *)dst = v;
		return true;
	case F_CPUS: {
		struct cfg_cpus *c = dst;
		uint64_t seen[CPUSET_MAX / 64] = {0};

		ret = parse_cpu_list(s, cpus, CPUSET_MAX, &cnt);
		if (ret == -EINVAL) {
			diag_err(
			    l->d, m,
			    "%s: %s is not a CPU list; use CPU numbers and ranges like \"2,4-7\"",
			    path, quoted(s, q));
			return false;
		}
		if (ret) {
			diag_err(l->d, m, "%s: %s is out of range; CPU numbers must be below %d",
				 path, quoted(s, q), CPUSET_MAX);
			return false;
		}
		free(c->cpu);
		free(c->col);
		c->cpu = malloc(cnt * sizeof(int));
		c->col = calloc(cnt, sizeof(unsigned));
		c->n = 0;
		if (!c->cpu || !c->col) {
			l->d->oom = true;
			return false;
		}
		cpu_columns(n, s, c->col, cnt);
		for (size_t i = 0; i < cnt; i++) {
			if (seen[cpus[i] / 64] & (1ull << (cpus[i] % 64))) {
				diag_err(l->d, c->col[i] ? (struct cfg_mark){m.line, c->col[i]} : m,
					 "%s: %s lists CPU %d twice; list each CPU once", path,
					 quoted(s, q), cpus[i]);
				return false;
			}
			seen[cpus[i] / 64] |= 1ull << (cpus[i] % 64);
		}
		memcpy(c->cpu, cpus, cnt * sizeof(int));
		c->n = cnt;
		return true;
	}
	case F_MAC: {
		uint8_t *mac = dst, tmp[6];
		static const uint8_t zero[6];

		if (parse_mac(s, tmp)) {
			diag_err(l->d, m,
				 "%s: %s is not a MAC address; use six hex pairs like "
				 "52:54:00:12:34:56",
				 path, quoted(s, q));
			return false;
		}
		if (tmp[0] & 1) {
			diag_err(l->d, m,
				 "%s: %s is a multicast MAC address; use a unicast one (even first "
				 "octet), e.g. 52:54:00:12:34:56",
				 path, quoted(s, q));
			return false;
		}
		if (!memcmp(tmp, zero, 6)) {
			diag_err(l->d, m,
				 "%s: %s is not a usable MAC address; use e.g. 52:54:00:12:34:56",
				 path, quoted(s, q));
			return false;
		}
		memcpy(mac, tmp, 6);
		return true;
	}
	case F_BDF:
		ret = parse_pci_bdf(s, dst);
		if (ret == -EINVAL) {
			diag_err(l->d, m,
				 "%s: %s is not a PCI address; use DDDD:BB:DD.F like 0000:01:00.0",
				 path, quoted(s, q));
			return false;
		}
		if (ret) {
			diag_err(l->d, m,
				 "%s: %s is out of range; the device is 00-1f and the function 0-7",
				 path, quoted(s, q));
			return false;
		}
		return true;
	case F_BOOL:
		if (!strcasecmp(s, "true") || !strcasecmp(s, "false")) {
			*(bool *)dst = !strcasecmp(s, "true");
			return true;
		}
		diag_err(l->d, m, "%s: %s is not a boolean; use true or false", path, quoted(s, q));
		return false;
	case F_ENUM:
		for (const struct enum_name *e = f->names; e->name; e++) {
			if (!strcasecmp(s, e->name)) {
				*(int *)dst = e->value;
				return true;
			}
		}
		diag_err(l->d, m, "%s: %s is not valid; use %s", path, quoted(s, q),
			 kind_desc(f, q2, sizeof(q2)));
		return false;
	case F_MAP:
	case F_SEQ:
		break;
	}
	return false;
}

/* ---- mappings ---- */

static void parse_map(struct loader *l, yaml_node_t *n, const struct table *t, void *obj,
		      const char *path);

static bool parse_value(struct loader *l, const struct field *f, yaml_node_t *v, void *obj,
			const char *path)
{
	char desc[96];

	switch (f->kind) {
	case F_MAP:
		if (v->type != YAML_MAPPING_NODE) {
			diag_err(l->d, node_mark(v), "%s: expected a mapping, got %s", path,
				 node_kind(v));
			return false;
		}
		parse_map(l, v, f->sub, (char *)obj + f->off, path);
		return true;
	case F_SEQ:
		if (v->type != YAML_SEQUENCE_NODE) {
			diag_err(l->d, node_mark(v), "%s: expected a sequence, got %s", path,
				 node_kind(v));
			return false;
		}
		return f->seq(l, v, obj, path);
	default:
		if (v->type != YAML_SCALAR_NODE) {
			diag_err(l->d, node_mark(v), "%s: expected %s, got %s", path,
				 kind_desc(f, desc, sizeof(desc)), node_kind(v));
			return false;
		}
		return parse_scalar(l, f, v, obj, path);
	}
}

/* Parses mapping N with table T into OBJ; every key through the table. */
static void parse_map(struct loader *l, yaml_node_t *n, const struct table *t, void *obj,
		      const char *path)
{
	struct cfg_mark *at = (struct cfg_mark *)((char *)obj + t->at_off);
	struct cfg_mark seen[32] = {{0, 0}}; /* indexed by field idx: every *__COUNT fits */
	char sub[256], q[96], q2[128];

	if (n->type != YAML_MAPPING_NODE) {
		diag_err(l->d, node_mark(n), "%s: expected a mapping, got %s",
			 *path ? path : "file", node_kind(n));
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(l, p->key), *v = node(l, p->value);
		const struct field *f = NULL;

		if (!k || !v)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			diag_err(l->d, node_mark(k), "a key in %s must be a plain name, not %s",
				 *path ? path : "the top level", node_kind(k));
			continue;
		}
		for (size_t i = 0; i < t->n; i++)
			if (!strcmp(scalar(k), t->f[i].key))
				f = &t->f[i];
		if (!f) {
			unknown_key(l, t, k, path);
			continue;
		}
		if (l->in_defaults && t == &vm_table && !f->in_defaults) {
			diag_err(l->d, node_mark(k),
				 "key \"%s\" cannot be set in defaults; defaults may set kernel, "
				 "initrd, cmdline, vcpus, emulator_pin, memory, hugepages, "
				 "numa_node, restart, max_restarts, restart_window and jail",
				 f->key);
			continue;
		}
		if (seen[f->idx].line) {
			diag_err(l->d, node_mark(k), "duplicate key %s in %s (first at line %u)",
				 quoted(scalar(k), q), *path ? path : "the top level",
				 seen[f->idx].line);
			continue;
		}
		seen[f->idx] = node_mark(k);
		join(sub, sizeof(sub), path, f->key);
		if (node_is_null(v)) {
			/* "key:" or "key: ~" means not given, which a required key cannot be. */
			if (f->required && !l->in_defaults)
				diag_err(l->d, node_mark(v), "%s: no value; give %s", sub,
					 kind_desc(f, q2, sizeof(q2)));
			continue;
		}
		if (f->kind == F_MAP && !f->sub)
			continue; /* defaults:, parsed on its own */
		if (f->kind == F_SEQ && v->type == YAML_SEQUENCE_NODE &&
		    v->data.sequence.items.top == v->data.sequence.items.start)
			continue; /* "key: []" is the same as leaving it out */
		at[f->idx] = node_mark(v);
		if (!parse_value(l, f, v, obj, sub))
			at[f->idx].col = 0; /* written but invalid: later checks skip it */
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->f[i].required && !seen[t->f[i].idx].line && !l->in_defaults)
			diag_err(l->d, node_mark(n), "%s%smissing required key \"%s\"", path,
				 *path ? ": " : "", t->f[i].key);
}

/* ---- sequences ---- */

/* Allocates an array for sequence N (elements of SIZE) capped at MAX; returns
 * its length in *count, 0 when empty or over the cap (after reporting). */
static void *seq_alloc(struct loader *l, yaml_node_t *n, size_t size, size_t max, const char *what,
		       const char *path, size_t *count)
{
	size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	void *arr;

	*count = 0;
	if (!len)
		return NULL;
	if (len > max) {
		diag_err(l->d, node_mark(n), "%s: %zu %s; at most %zu are supported", path, len,
			 what, max);
		return NULL;
	}
	arr = calloc(len, size);
	if (!arr) {
		l->d->oom = true;
		return NULL;
	}
	*count = len;
	return arr;
}

static yaml_node_t *seq_item(struct loader *l, yaml_node_t *n, size_t i)
{
	return node(l, n->data.sequence.items.start[i]);
}

static bool seq_ports(struct loader *l, void *np, void *obj, const char *path)
{
	struct cfg_switch *sw = obj;
	yaml_node_t *n = np;
	char sub[256];

	sw->ports = seq_alloc(l, n, sizeof(*sw->ports), CFG_MAX_PORTS, "ports", path, &sw->nports);
	if (!sw->ports)
		return false;
	for (size_t i = 0; i < sw->nports; i++) {
		yaml_node_t *it = seq_item(l, n, i);

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		sw->ports[i].mark = node_mark(it);
		parse_map(l, it, &port_table, &sw->ports[i], sub);
	}
	return true;
}

static bool seq_pfs(struct loader *l, void *np, void *obj, const char *path)
{
	struct appliance *app = obj;
	yaml_node_t *n = np;
	char sub[256];

	app->pfs = seq_alloc(l, n, sizeof(*app->pfs), CFG_MAX_PFS, "PFs", path, &app->npfs);
	if (!app->pfs)
		return false;
	for (size_t i = 0; i < app->npfs; i++) {
		yaml_node_t *it = seq_item(l, n, i);

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		app->pfs[i].mark = node_mark(it);
		parse_map(l, it, &pf_table, &app->pfs[i], sub);
		if (it->type != YAML_MAPPING_NODE)
			app->pfs[i].mark.line = 0;
	}
	return true;
}

static bool seq_vms(struct loader *l, void *np, void *obj, const char *path)
{
	struct appliance *app = obj;
	yaml_node_t *n = np;
	char sub[256];

	app->vms = seq_alloc(l, n, sizeof(*app->vms), CFG_MAX_VMS, "VMs", path, &app->nvms);
	if (!app->vms)
		return false;
	for (size_t i = 0; i < app->nvms; i++) {
		yaml_node_t *it = seq_item(l, n, i);

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		app->vms[i].mark = node_mark(it);
		app->vms[i].numa_node = -1;
		parse_map(l, it, &vm_table, &app->vms[i], sub);
		if (it->type != YAML_MAPPING_NODE)
			app->vms[i].mark.line = 0; /* reported; skip its later checks */
	}
	return true;
}

static bool seq_nics(struct loader *l, void *np, void *obj, const char *path)
{
	struct cfg_vm *vm = obj;
	yaml_node_t *n = np;
	char sub[256], vsub[300];

	vm->nics = seq_alloc(l, n, sizeof(*vm->nics), CFG_MAX_NICS, "NICs", path, &vm->nnics);
	if (!vm->nics)
		return false;
	for (size_t i = 0; i < vm->nnics; i++) {
		struct cfg_nic *nic = &vm->nics[i];
		yaml_node_t *it = seq_item(l, n, i);

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		nic->mark = node_mark(it);
		nic->vf.spoofchk = true;
		parse_map(l, it, &nic_table, nic, sub);
		if (nic->at[NIC_VF].line) {
			nic->kind = CFG_NIC_VF;
			/* The effective MAC is the NIC's, wherever it was written. */
			if (nic->vf.at[VF_MAC].line) {
				snprintf(vsub, sizeof(vsub), "%s.vf.mac", sub);
				if (nic->at[NIC_MAC].line)
					diag_err(l->d, nic->vf.at[VF_MAC],
						 "%s: the MAC is already given at line %u; give it "
						 "once",
						 vsub, nic->at[NIC_MAC].line);
				else {
					nic->at[NIC_MAC] = nic->vf.at[VF_MAC];
					memcpy(nic->mac, nic->vf.mac, 6);
				}
			}
		}
		if (it->type == YAML_MAPPING_NODE && !nic->at[NIC_VF].line &&
		    !nic->at[NIC_SWITCH_PORT].line)
			diag_err(l->d, nic->mark,
				 "%s: a NIC needs switch_port: (a vhost-user port of the switch) "
				 "or vf: {pf: NAME, index: N}",
				 sub);
		if (nic->at[NIC_VF].line && nic->at[NIC_SWITCH_PORT].line)
			diag_err(l->d, nic->at[NIC_VF],
				 "%s: a NIC is either switch_port: or vf:, not both", sub);
	}
	return true;
}

static bool seq_devices(struct loader *l, void *np, void *obj, const char *path)
{
	static const struct enum_name kinds[] = {
	    {"pci", CFG_DEV_PCI}, {"nvme", CFG_DEV_NVME}, {NULL, 0}};
	static const struct field bdf = {.key = "pci", .kind = F_BDF};
	struct cfg_vm *vm = obj;
	yaml_node_t *n = np;
	char sub[256], q[96];

	vm->devices =
	    seq_alloc(l, n, sizeof(*vm->devices), CFG_MAX_DEVICES, "devices", path, &vm->ndevices);
	if (!vm->devices)
		return false;
	for (size_t i = 0; i < vm->ndevices; i++) {
		struct cfg_device *dev = &vm->devices[i];
		yaml_node_t *it = seq_item(l, n, i), *k, *v;
		const struct enum_name *e;

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		dev->mark = node_mark(it);
		if (it->type != YAML_MAPPING_NODE ||
		    it->data.mapping.pairs.top - it->data.mapping.pairs.start != 1) {
			diag_err(l->d, node_mark(it),
				 "%s: expected one key, pci: BDF or nvme: BDF (e.g. nvme: "
				 "0000:03:00.0)",
				 sub);
			dev->mark.line = 0;
			continue;
		}
		k = node(l, it->data.mapping.pairs.start->key);
		v = node(l, it->data.mapping.pairs.start->value);
		if (!k || !v || k->type != YAML_SCALAR_NODE) {
			dev->mark.line = 0;
			continue;
		}
		for (e = kinds; e->name; e++)
			if (!strcmp(scalar(k), e->name))
				break;
		if (!e->name) {
			diag_err(l->d, node_mark(k), "unknown key %s in %s; valid keys: pci, nvme",
				 quoted(scalar(k), q), sub);
			dev->mark.line = 0;
			continue;
		}
		dev->kind = (enum cfg_dev_kind)e->value;
		snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), ".%s", e->name);
		dev->mark = node_mark(v);
		if (!parse_value(l, &bdf, v, &dev->bdf, sub) || node_is_null(v))
			dev->mark.line = 0;
	}
	return true;
}

static bool seq_trunk(struct loader *l, void *np, void *obj, const char *path)
{
	static const struct field vid = {.key = "trunk", .kind = F_UINT, .min = 1, .max = 4094};
	struct cfg_vlan *vlan = obj;
	yaml_node_t *n = np;
	char sub[256];

	vlan->trunk =
	    seq_alloc(l, n, sizeof(unsigned), CFG_MAX_TRUNK, "VLANs", path, &vlan->ntrunk);
	if (!vlan->trunk)
		return false;
	for (size_t i = 0; i < vlan->ntrunk; i++) {
		yaml_node_t *it = seq_item(l, n, i);

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!parse_value(l, &vid, it, &vlan->trunk[i], sub))
			vlan->trunk[i] = 0;
		for (size_t j = 0; j < i && vlan->trunk[i]; j++)
			if (vlan->trunk[j] == vlan->trunk[i])
				diag_err(l->d, node_mark(it),
					 "%s: VLAN %u is listed twice; list each VLAN once", sub,
					 vlan->trunk[i]);
	}
	return true;
}

/* ---- top level ---- */

static void parse_defaults(struct loader *l, yaml_node_t *root)
{
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(l, p->key), *v = node(l, p->value);

		if (!k || !v || k->type != YAML_SCALAR_NODE || strcmp(scalar(k), "defaults"))
			continue;
		if (node_is_null(v))
			return;
		l->in_defaults = true;
		l->defaults->mark = node_mark(v);
		parse_map(l, v, &vm_table, l->defaults, "defaults");
		l->in_defaults = false;
		return; /* a duplicate defaults: key is reported by parse_map */
	}
}

static void parse_document(struct loader *l)
{
	yaml_node_t *root = yaml_document_get_root_node(&l->doc);

	if (!root || node_is_null(root)) {
		diag_err(l->d, (struct cfg_mark){1, 1},
			 "the file is empty; an appliance file is a mapping with name:, host:, "
			 "switch:, pfs: and vms: (see docs/appliance-file.md)");
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		diag_err(l->d, node_mark(root),
			 "expected a mapping with name:, host:, switch:, pfs: and vms: at the top "
			 "level, got %s",
			 node_kind(root));
		return;
	}
	parse_defaults(l, root);
	parse_map(l, root, &app_table, l->app, "");
	l->app->sw.present = l->app->at[APP_SWITCH].line != 0;
	l->app->sw.mark = l->app->at[APP_SWITCH];
}

static void syntax_error(struct loader *l, yaml_parser_t *p)
{
	yaml_mark_t m = p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR) {
		l->d->oom = true;
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		diag_err(l->d, (struct cfg_mark){1, 1}, "cannot read the file: %s at byte %zu",
			 p->problem ? p->problem : "invalid input", p->problem_offset);
		return;
	}
	diag_err(l->d, (struct cfg_mark){(unsigned)m.line + 1, (unsigned)m.column + 1},
		 "YAML syntax error: %s%s%s", p->problem ? p->problem : "invalid YAML",
		 p->context ? " " : "", p->context ? p->context : "");
}

int appliance_load(const char *path, struct diag_list *diags, struct appliance **out)
{
	struct cfg_vm defaults = {.numa_node = -1};
	struct loader l = {.d = diags, .defaults = &defaults};
	size_t errors_before = diags->nerrors;
	yaml_parser_t parser;
	yaml_document_t extra;
	struct appliance *app;
	FILE *f;
	int ret = 0;

	*out = NULL;
	app = calloc(1, sizeof(*app));
	if (!app)
		return -ENOMEM;
	app->file = strdup(path);
	if (!app->file) {
		ret = -ENOMEM;
		goto err_app;
	}
	l.app = app;
	f = fopen(path, "rb");
	if (!f) {
		ret = -errno;
		diag_err(diags, (struct cfg_mark){0, 0}, "cannot open: %s", strerror(-ret));
		ret = -EINVAL;
		goto err_app;
	}
	if (!yaml_parser_initialize(&parser)) {
		ret = -ENOMEM;
		goto err_file;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &l.doc)) {
		syntax_error(&l, &parser);
		ret = -EINVAL;
		goto err_parser;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		syntax_error(&l, &parser);
	} else {
		yaml_node_t *r = yaml_document_get_root_node(&extra);

		if (r)
			diag_err(diags, node_mark(r),
				 "a second YAML document; an appliance file holds exactly one "
				 "(remove the \"---\" separator)");
		yaml_document_delete(&extra);
	}
	parse_document(&l);
	yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	cfg_check(app, &defaults, diags);
	cfg_vm_release(&defaults);
	diag_sort(diags);
	if (diags->oom) {
		appliance_free(app);
		return -ENOMEM;
	}
	if (diags->nerrors != errors_before) {
		appliance_free(app);
		return -EINVAL;
	}
	*out = app;
	return 0;

err_parser:
	yaml_parser_delete(&parser);
err_file:
	fclose(f);
err_app:
	appliance_free(app);
	diag_sort(diags);
	return ret;
}

void cfg_vm_release(struct cfg_vm *vm)
{
	free(vm->kernel);
	free(vm->initrd);
	free(vm->cmdline);
	free(vm->serial);
	free(vm->pin.cpu);
	free(vm->pin.col);
	free(vm->emulator_pin.cpu);
	free(vm->emulator_pin.col);
	free(vm->nics);
	free(vm->devices);
	free(vm->jail.user);
	free(vm->jail.dir);
}

void appliance_free(struct appliance *app)
{
	if (!app)
		return;
	for (size_t i = 0; i < app->nvms; i++)
		cfg_vm_release(&app->vms[i]);
	free(app->vms);
	for (size_t i = 0; i < app->sw.nports; i++) {
		free(app->sw.ports[i].path);
		free(app->sw.ports[i].dev);
		free(app->sw.ports[i].vlan.trunk);
	}
	free(app->sw.ports);
	free(app->sw.pmd_cores.cpu);
	free(app->sw.pmd_cores.col);
	for (size_t i = 0; i < app->npfs; i++)
		free(app->pfs[i].netdev);
	free(app->pfs);
	free(app->host.dedicated.cpu);
	free(app->host.dedicated.col);
	free(app->file);
	free(app);
}

const char *cfg_hp_name(enum cfg_hp hp)
{
	return hp == CFG_HP_2M ? "2M" : hp == CFG_HP_1G ? "1G" : "none";
}

const char *cfg_port_type_name(enum cfg_port_type t)
{
	return port_type_names[t].name;
}

const char *cfg_vhost_mode_name(enum cfg_vhost_mode m)
{
	return vhost_mode_names[m].name;
}

const char *cfg_restart_name(enum cfg_restart r)
{
	return restart_names[r].name;
}

const char *cfg_dev_kind_name(enum cfg_dev_kind k)
{
	return k == CFG_DEV_NVME ? "nvme" : "pci";
}

uint64_t cfg_hp_bytes(enum cfg_hp hp)
{
	return hp == CFG_HP_NONE ? 4096 : 1ull << hp;
}

void cfg_jail_path(const struct cfg_vm *vm, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", vm->jail.dir ? vm->jail.dir : "", vm->name);
}

const struct cfg_port *cfg_find_port(const struct appliance *app, const char *name)
{
	for (size_t i = 0; i < app->sw.nports; i++)
		if (app->sw.ports[i].name[0] && !strcmp(app->sw.ports[i].name, name))
			return &app->sw.ports[i];
	return NULL;
}

const struct cfg_pf *cfg_find_pf(const struct appliance *app, const char *name)
{
	for (size_t i = 0; i < app->npfs; i++)
		if (app->pfs[i].name[0] && !strcmp(app->pfs[i].name, name))
			return &app->pfs[i];
	return NULL;
}

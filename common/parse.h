/* SPDX-License-Identifier: MIT */
/* Parsers for values users type: sizes, CPU lists, MACs, PCI addresses.
 * All return 0 or -EINVAL/-ERANGE and never print; callers name the value. */
#ifndef NFV_COMMON_PARSE_H
#define NFV_COMMON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPUSET_MAX 1024

/* "512M", "2G", "1048576", "64k", "1T" (binary units, optional "iB"/"B").
 * Rejects empty, negative, unknown suffixes ("12Q") and overflow. */
int parse_size(const char *s, uint64_t *out);

/* Decimal unsigned integer in [min, max], whole string. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* "0,2,4-7": CPU numbers in order of appearance, ranges expanded.
 * Fills at most max entries; -E2BIG if more, -EINVAL on syntax,
 * -ERANGE for a CPU >= CPUSET_MAX. Duplicates are kept (callers decide). */
int parse_cpu_list(const char *s, int *cpus, size_t max, size_t *count);

/* "52:54:00:12:34:56" (':' or '-' separators). */
int parse_mac(const char *s, uint8_t mac[6]);
void format_mac(const uint8_t mac[6], char out[18]);

struct pci_bdf {
	uint16_t domain;
	uint8_t bus, dev, fn;
};
/* "0000:01:00.1" or "01:00.1". */
int parse_pci_bdf(const char *s, struct pci_bdf *out);
void format_pci_bdf(const struct pci_bdf *bdf, char out[13]);
/* True when A and B name the same function (fields compared, not padding). */
bool pci_bdf_equal(const struct pci_bdf *a, const struct pci_bdf *b);

/* User NAME's uid and gid from the user database, for a process that must
 * run unprivileged: 0; -ENOENT when there is no such user (*lookup_err: the
 * lookup's own error number, 0 when the user is simply absent); -EPERM when
 * the uid or gid is 0 (*uid and *gid are set, for the message). */
int parse_user(const char *name, unsigned *uid, unsigned *gid, int *lookup_err);

#endif

/* SPDX-License-Identifier: MIT */
/* An appliance file (YAML) parsed into validated plain data.
 *
 * appliance_load() reads a file with no side effects on the host: it never
 * looks at sysfs, devices or the kernel/initrd files (config/plan.h does).
 * Every value keeps the position it came from (at[] arrays, 1-based
 * line/column; line 0 means "not written in the file"; column 0 with a line
 * means "written but invalid", which only failed loads see) so checks can
 * report FILE:LINE:COL for semantic errors too. After a successful load every
 * field holds its effective value: defaults: and built-in defaults applied,
 * MACs and vhost-user socket paths filled in. docs/appliance-file.md is the
 * user-facing description of the schema. */
#ifndef NFV_CONFIG_APPLIANCE_H
#define NFV_CONFIG_APPLIANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/parse.h"
#include "config/diag.h"

#define CFG_NAME_MAX		   32 /* including the NUL: names are 1..31 characters */
#define CFG_MAX_VMS		   64
#define CFG_MAX_PORTS		   64
#define CFG_MAX_PFS		   16
#define CFG_MAX_NICS		   8
#define CFG_MAX_DEVICES		   8
#define CFG_MAX_VCPUS		   64
#define CFG_MAX_TRUNK		   64
#define CFG_MAX_EMULATOR_PIN	   2 /* nfvisor-vmm --emulator-pin takes 1 or 2 CPUs */
#define CFG_MAX_NUMA		   64
#define CFG_RUN_DIR		   "/run/nfvisor"
#define CFG_DEFAULT_MAX_RESTARTS   5   /* per restart_window, for VMs and the switch */
#define CFG_DEFAULT_RESTART_WINDOW 60  /* seconds */
#define CFG_JAIL_DIR_MAX	   255 /* jail.dir; <dir>/<vm> fits a journal line */

/* Hugepage sizes; the enum value is the page shift (0 = normal 4K pages). */
enum cfg_hp { CFG_HP_NONE = 0, CFG_HP_2M = 21, CFG_HP_1G = 30 };

/* A CPU list in the order written ("3,4" pins vCPU0 to 3, vCPU1 to 4). */
struct cfg_cpus {
	int *cpu;
	unsigned *col; /* column of each CPU's number in the file, 0 if unknown */
	size_t n;
};

/* Where CPU I of CPUS was written: its own column when known, else the
 * list's position LIST. */
static inline struct cfg_mark cfg_cpu_mark(const struct cfg_cpus *cpus, size_t i,
					   struct cfg_mark list)
{
	if (cpus->col && i < cpus->n && cpus->col[i] && list.line)
		return (struct cfg_mark){list.line, cpus->col[i]};
	return list;
}

enum cfg_vlan_mode { CFG_VLAN_NONE, CFG_VLAN_ACCESS, CFG_VLAN_TRUNK };
enum vlan_field { VLAN_ACCESS, VLAN_TRUNK, VLAN__COUNT };
struct cfg_vlan {
	enum cfg_vlan_mode mode;
	unsigned access;
	unsigned *trunk;
	size_t ntrunk;
	struct cfg_mark at[VLAN__COUNT];
};

enum cfg_port_type { CFG_PORT_VHOST_USER, CFG_PORT_VDEV, CFG_PORT_PCI, CFG_PORT_VF };
/* vhost-user socket role of the switch: server creates the socket. */
enum cfg_vhost_mode { CFG_VHOST_SERVER, CFG_VHOST_CLIENT };

enum port_field {
	PORT_NAME,
	PORT_TYPE,
	PORT_PATH,
	PORT_MODE,
	PORT_VLAN,
	PORT_QUEUES,
	PORT_MAC_LIMIT,
	PORT_DEV,
	PORT_PCI,
	PORT_PF,
	PORT_INDEX,
	PORT__COUNT
};
struct cfg_port {
	char name[CFG_NAME_MAX];
	enum cfg_port_type type;
	char *path; /* vhost-user socket */
	enum cfg_vhost_mode mode;
	struct cfg_vlan vlan;
	unsigned queues;
	unsigned mac_limit;    /* 0 = unlimited */
	char *dev;	       /* vdev: DPDK --vdev string */
	struct pci_bdf pci;    /* pci */
	char pf[CFG_NAME_MAX]; /* vf: PF name and VF index */
	unsigned index;
	struct cfg_mark mark; /* the list item */
	struct cfg_mark at[PORT__COUNT];
};

enum fdb_field { FDB_AGING, FDB_SIZE, FDB__COUNT };
enum sw_field { SW_PMD_CORES, SW_MEMORY, SW_FDB, SW_PORTS, SW__COUNT };
struct cfg_switch {
	bool present;
	struct cfg_cpus pmd_cores;
	uint64_t memory; /* hugepage memory for the switch's own pools */
	unsigned fdb_aging;
	unsigned fdb_size;
	struct cfg_mark fdb_at[FDB__COUNT];
	struct cfg_port *ports;
	size_t nports;
	struct cfg_mark mark;
	struct cfg_mark at[SW__COUNT];
};

enum pf_field { PF_NAME, PF_PCI, PF_NETDEV, PF_NUMVFS, PF__COUNT };
struct cfg_pf {
	char name[CFG_NAME_MAX];
	struct pci_bdf pci;
	char *netdev; /* the PF by interface name instead of pci */
	unsigned numvfs;
	struct cfg_mark mark;
	struct cfg_mark at[PF__COUNT];
};

enum vf_field { VF_PF, VF_INDEX, VF_MAC, VF_VLAN, VF_SPOOFCHK, VF_TRUST, VF_RATE, VF__COUNT };
struct cfg_vf {
	char pf[CFG_NAME_MAX];
	unsigned index;
	uint8_t mac[6]; /* as written under vf:; the effective MAC is cfg_nic.mac */
	unsigned vlan;	/* 0 = untagged */
	bool spoofchk;
	bool trust;
	unsigned rate_mbps; /* 0 = unlimited */
	struct cfg_mark at[VF__COUNT];
};

enum cfg_nic_kind { CFG_NIC_PORT, CFG_NIC_VF };
enum nic_field { NIC_NAME, NIC_SWITCH_PORT, NIC_MAC, NIC_VF, NIC__COUNT };
struct cfg_nic {
	enum cfg_nic_kind kind;
	char name[CFG_NAME_MAX];
	char switch_port[CFG_NAME_MAX];
	uint8_t mac[6];
	struct cfg_vf vf;
	struct cfg_mark mark;
	struct cfg_mark at[NIC__COUNT];
};

enum cfg_dev_kind { CFG_DEV_PCI, CFG_DEV_NVME };
struct cfg_device {
	enum cfg_dev_kind kind;
	struct pci_bdf bdf;
	struct cfg_mark mark; /* the address value */
};

enum cfg_restart { CFG_RESTART_ON_FAILURE, CFG_RESTART_ALWAYS, CFG_RESTART_NEVER };

/* A VM's nfvisor-vmm run in the jailer (vmm/jail.h: own mount namespace
 * whose root is an empty tmpfs over the VM's jail directory, an
 * unprivileged uid/gid, no capabilities). Given under defaults: and/or per
 * VM; a VM's keys override the defaults' one by one, except that the
 * identity (user:, or uid: and gid:) is taken whole from one place. */
enum jail_field { JAIL_ENABLED, JAIL_USER, JAIL_UID, JAIL_GID, JAIL_DIR, JAIL__COUNT };
struct cfg_jail {
	bool enabled;	   /* default: true when jail: is given anywhere for the VM */
	char *user;	   /* user to run as (looked up by plan/up), or NULL: uid/gid */
	unsigned uid, gid; /* 1..4294967294 */
	char *dir;	   /* the VM's jail is <dir>/<vm>; default CFG_RUN_DIR/<app>/jail */
	struct cfg_mark at[JAIL__COUNT];
};

enum vm_field {
	VM_NAME,
	VM_KERNEL,
	VM_INITRD,
	VM_CMDLINE,
	VM_VCPUS,
	VM_PIN,
	VM_EMULATOR_PIN,
	VM_MEMORY,
	VM_HUGEPAGES,
	VM_NUMA_NODE,
	VM_SERIAL,
	VM_RESTART,
	VM_NICS,
	VM_DEVICES,
	VM_MAX_RESTARTS,
	VM_RESTART_WINDOW,
	VM_JAIL,
	VM__COUNT
};
struct cfg_vm {
	char name[CFG_NAME_MAX];
	char *kernel;
	char *initrd;  /* NULL: none */
	char *cmdline; /* NULL: empty */
	unsigned vcpus;
	struct cfg_cpus pin;	      /* n == 0: floating (shared mode only) */
	struct cfg_cpus emulator_pin; /* n == 0: not pinned */
	uint64_t memory;
	enum cfg_hp hugepages;
	int numa_node; /* -1: not set */
	char *serial;  /* log file of the guest's serial port */
	enum cfg_restart restart;
	unsigned max_restarts;	 /* restarts allowed within restart_window seconds */
	unsigned restart_window; /* seconds */
	struct cfg_nic *nics;
	size_t nnics;
	struct cfg_device *devices;
	size_t ndevices;
	struct cfg_jail jail; /* jail.enabled false: not jailed */
	struct cfg_mark mark;
	struct cfg_mark at[VM__COUNT];
};

enum hp_field { HP_SIZE, HP_COUNT, HP__COUNT };
enum host_field { HOST_HUGEPAGES, HOST_DEDICATED_CORES, HOST__COUNT };
struct cfg_host {
	enum cfg_hp hp_size; /* CFG_HP_NONE when host.hugepages is absent */
	unsigned hp_count;
	struct cfg_mark hp_at[HP__COUNT];
	struct cfg_cpus dedicated; /* n == 0: shared mode */
	struct cfg_mark at[HOST__COUNT];
};

enum app_field { APP_NAME, APP_HOST, APP_SWITCH, APP_PFS, APP_VMS, APP_DEFAULTS, APP__COUNT };
struct appliance {
	char *file; /* as given to appliance_load() */
	char name[CFG_NAME_MAX];
	struct cfg_host host;
	struct cfg_switch sw;
	struct cfg_pf *pfs;
	size_t npfs;
	struct cfg_vm *vms;
	size_t nvms;
	struct cfg_mark at[APP__COUNT];
};

/* Parses and validates PATH. Every problem found is appended to DIAGS (which
 * the caller initialised with diag_init); warnings do not make the load fail.
 * Returns 0 and *out (free with appliance_free) when DIAGS holds no errors,
 * -EINVAL when it does (then *out is NULL), -ENOMEM on allocation failure.
 * An unreadable file is a diagnostic at line 0, not a separate error code. */
int appliance_load(const char *path, struct diag_list *diags, struct appliance **out);

/* Frees everything appliance_load() allocated; NULL is fine. */
void appliance_free(struct appliance *app);

/* Writes APP as an appliance file with every effective value spelled out (no
 * defaults: section). Loading the output yields an equal appliance, and
 * dumping that again yields the same text. Returns 0 or -errno. */
int appliance_dump(const struct appliance *app, FILE *f);

/* Names for enum values as written in the file ("2M", "vhost-user", ...). */
const char *cfg_hp_name(enum cfg_hp hp);
const char *cfg_port_type_name(enum cfg_port_type t);
const char *cfg_vhost_mode_name(enum cfg_vhost_mode m);
const char *cfg_restart_name(enum cfg_restart r);
const char *cfg_dev_kind_name(enum cfg_dev_kind k);

/* "2-4,7": CPUS (in ascending runs as written) into OUT. */
void cfg_format_cpus(const struct cfg_cpus *cpus, char *out, size_t len);

/* "512M", "1G", "4096": V with the largest unit that divides it exactly. */
void cfg_format_size(uint64_t v, char *out, size_t len);

/* Bytes in one page of HP (4096 for CFG_HP_NONE). */
uint64_t cfg_hp_bytes(enum cfg_hp hp);

/* The jail directory of VM (jail.dir/<vm name>) into OUT. */
void cfg_jail_path(const struct cfg_vm *vm, char *out, size_t len);

/* The jailed VM whose NIC uses switch port PORT, or NULL. */
const struct cfg_vm *cfg_jailed_user(const struct appliance *app, const char *port);

/* Lookups by name; NULL when absent. */
const struct cfg_port *cfg_find_port(const struct appliance *app, const char *name);
const struct cfg_pf *cfg_find_pf(const struct appliance *app, const char *name);

#endif

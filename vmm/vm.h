/* SPDX-License-Identifier: MIT */
/* One VM: builds guest RAM, loads the kernel, sets up KVM (memslots,
 * irqchip, PIT), the buses and the platform devices (COM1, i8042, ACPI PM),
 * creates the vCPUs, and runs the emulation thread: an epoll loop over
 * SIGTERM/SIGINT (signalfd), the serial console input and the vCPUs' stop
 * reports. vm_destroy() undoes everything in reverse order. */
#ifndef NFV_VMM_VM_H
#define NFV_VMM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/jail.h"
#include "vmm/kvm.h"
#include "vmm/mem.h"
#include "vmm/seccomp.h"
#include "vmm/stop.h"

#define VM_MAX_VCPUS   64
#define VM_MAX_EMU_PIN 2
#define VM_MIN_MEMORY  (16ull << 20)

struct vm;

/* Device setup that lives outside vm.c (PCI, virtio, VFIO). setup runs at
 * the end of vm_create() (RAM, kernel, KVM irqchip, the platform devices
 * and the vCPUs exist; no vCPU runs yet); teardown runs in vm_destroy() after every vCPU
 * thread has been joined, before the platform devices, KVM and RAM go.
 * teardown is called only if setup returned 0. */
struct vm_hooks {
	int (*setup)(struct vm *vm, void *opaque);
	void (*teardown)(struct vm *vm, void *opaque);
	void *opaque;
};

/* Validated configuration (main.c checks the values before filling it). */
struct vm_config {
	const char *kernel;  /* required */
	const char *initrd;  /* NULL: none */
	const char *cmdline; /* NULL: "" */
	uint64_t mem_size;   /* >= VM_MIN_MEMORY, multiple of the page size */
	enum hugepage_kind hugepages;
	/* Another process maps guest RAM (vhost-user, vfio-user): plain RAM
	 * (HUGEPAGES_NONE) is then a shared memfd; otherwise it is private
	 * anonymous memory with transparent huge pages (vmm/mem.h). */
	bool ram_shared;
	unsigned vcpus;		     /* 1..VM_MAX_VCPUS */
	int pin[VM_MAX_VCPUS];	     /* host CPU per vCPU, when pinned */
	bool pinned;		     /* false: vCPU threads float */
	int emu_pin[VM_MAX_EMU_PIN]; /* host CPUs for the emulation thread */
	unsigned n_emu_pin;	     /* 0: floats */
	const char *serial_file;     /* NULL: COM1 on stdout/stdin */
	uint64_t serial_limit;	     /* serial_file is emptied at this size; 0: never */
	const char *kvm_dev;	     /* NULL: /dev/kvm */
	const void *dsdt_aml;	     /* extra DSDT AML, may be NULL */
	size_t dsdt_aml_len;
	/* The hooks build PCI bus 0 (vmm/pci_vm.h): describe it to the guest
	 * as an ACPI host bridge (\_SB.PCI0 with its windows, vmm/acpi.h), so
	 * Linux enumerates it through ACPI instead of legacy probing. */
	bool pci;
	struct vm_hooks hooks;
	enum vmm_seccomp_mode seccomp; /* sandbox entered in vm_run() (default on) */
	const struct vmm_jail *jail;   /* NULL or no dir: no jail; entered before the sandbox */
};

/* Build the VM up to (not including) starting the vCPUs. Every failure is
 * logged with the value at fault; nothing is left behind. */
int vm_create(const struct vm_config *cfg, struct vm **out);

/* Start the vCPUs and run the emulation loop on the calling thread until
 * the VM stops; join every vCPU thread. Returns the process exit status:
 * 0 for a guest poweroff/reset or SIGTERM/SIGINT, 1 for a guest or host
 * failure. Call once. */
int vm_run(struct vm *vm);

/* Tear down in reverse order of construction. */
void vm_destroy(struct vm *vm);

/* Ask the VM to stop (vm_stop_fn; the first reason wins). */
void vm_request_stop(void *vm, enum vm_stop_reason reason);
/* Whether a stop was requested (for any reason); any thread. */
bool vm_stopping(void *vm);
/* The two fds that turn readable when a stop is requested or SIGTERM/SIGINT
 * is pending, for a blocking wait outside the event loop to poll (never
 * read them: the event loop does). */
void vm_stop_fds(const struct vm *vm, int fds[2]);

/* Have the emulation thread call cb(opaque, events) when `fd` is ready
 * (epoll events, level-triggered). Before or during vm_run, from the
 * emulation thread or before vm_run only. -EEXIST if fd is watched. */
int vm_watch_fd(struct vm *vm, int fd, uint32_t events, void (*cb)(void *opaque, uint32_t events),
		void *opaque);
/* Stop watching fd (-ENOENT if it was not). */
int vm_unwatch_fd(struct vm *vm, int fd);

/* Parts other modules build on. Valid from vm_create() to vm_destroy(). */
struct kvm *vm_kvm(struct vm *vm);
struct guest_mem *vm_mem(struct vm *vm);
struct bus *vm_pio_bus(struct vm *vm);
struct bus *vm_mmio_bus(struct vm *vm);
unsigned vm_vcpu_count(const struct vm *vm);

#endif

/* SPDX-License-Identifier: MIT */
/* The only module that issues KVM ioctls: the system and VM fds, memslots,
 * the in-kernel irqchip and PIT, interrupt routing (irq line, GSI routing,
 * irqfd, ioeventfd, MSI) and the per-vCPU fd with its shared kvm_run page.
 * Every function returns 0 or -errno and logs what failed. */
#ifndef NFV_VMM_KVM_H
#define NFV_VMM_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm;
struct kvm_vcpu;

/* Open `dev` (NULL: /dev/kvm), check API version 12 and the capabilities the
 * VMM relies on (user memory, irqchip, IRQ routing, immediate_exit, ...), and
 * create one VM. -ENOENT with a message when there is no KVM device. */
int kvm_open(const char *dev, struct kvm **out);
/* Close the VM and system fds. vCPUs must have been destroyed first. */
void kvm_close(struct kvm *kvm);

/* Value of KVM_CHECK_EXTENSION(cap) on the VM fd (0 if absent). */
int kvm_check_cap(struct kvm *kvm, long cap);

/* Install or replace memslot `slot` mapping [gpa, gpa+size) to hva. size 0
 * deletes the slot. gpa, size and hva must be 4 KiB aligned. */
int kvm_set_memslot(struct kvm *kvm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva);

/* TSS + identity-map pages just below 4 GiB (outside RAM and the PCI
 * windows), then the in-kernel PIC/IOAPIC/LAPIC, the PIT, and the PC
 * interrupt routing (PIT on IOAPIC pin 2, matching the MP table/MADT
 * override). Once per VM, before any vCPU is created. */
int kvm_setup_irqchip(struct kvm *kvm);

/* Drive GSI `irq` (IOAPIC pin / PIC line) to `level`. Edge devices pulse. */
int kvm_irq_line(struct kvm *kvm, uint32_t irq, int level);

/* MSI routes. KVM_SET_GSI_ROUTING replaces the whole table, so kvm.c keeps
 * it: the PC irqchip routes (GSI 0-15 to PIC and IOAPIC with the PIT's GSI 0
 * on IOAPIC pin 2, 16-23 to the IOAPIC) plus every MSI route, resubmitted
 * on each change. Callable
 * from any thread (a mutex guards the table). */
#define KVM_FIRST_MSI_GSI  24
#define KVM_MAX_MSI_ROUTES 1024
/* Allocate a free GSI >= KVM_FIRST_MSI_GSI routed to the MSI (addr, data)
 * and commit the table. -ENOSPC when all KVM_MAX_MSI_ROUTES are in use. */
int kvm_msi_route_add(struct kvm *kvm, uint64_t addr, uint32_t data, uint32_t *gsi);
/* Re-point an allocated MSI GSI and commit. -ENOENT if gsi is not one. */
int kvm_msi_route_update(struct kvm *kvm, uint32_t gsi, uint64_t addr, uint32_t data);
/* Free an MSI GSI and commit. Unbind any irqfd from it first. */
int kvm_msi_route_del(struct kvm *kvm, uint32_t gsi);

/* Bind (assign) or unbind eventfd `fd` to GSI `gsi`: a write to fd injects it. */
int kvm_irqfd(struct kvm *kvm, int fd, uint32_t gsi, bool assign);
/* Bind or unbind eventfd `fd` to a guest write of `len` bytes at `addr`
 * (port space if pio, else MMIO; len 0 = a write of any width at addr,
 * MMIO only, no datamatch); the write completes in the kernel without a
 * userspace exit. If match is set, only writes of `datamatch` signal. */
int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, uint32_t len, bool pio, int fd, bool assign,
		  bool match, uint64_t datamatch);
/* Inject one MSI directly (1 delivered, 0 blocked by the guest) or -errno. */
int kvm_signal_msi(struct kvm *kvm, uint64_t addr, uint32_t data);

struct msi_router_ops;
/* The MSI routes, irqfds and direct MSIs above as vmm/msix.h's routing
 * backend; its opaque is the struct kvm *. */
extern const struct msi_router_ops kvm_msi_router;

/* Coalesced port writes (KVM_CAP_COALESCED_PIO): a guest write to
 * [port, port+len) completes in the kernel and is queued in a ring page all
 * vCPUs share, without a userspace exit; kvm_vcpu_flush_coalesced() replays
 * the queue. Only for a write-only latch whose value matters at the guest's
 * next access to another trapped port (the PCI 0xCF8 address register): the
 * vCPU loop replays before handling any port or MMIO exit, so the order the
 * guest sees is kept. 0, -EINVAL (empty or past port 0xffff), -ENOTSUP (no
 * capability: the writes keep exiting, nothing else changes) or -errno. */
int kvm_coalesce_pio(struct kvm *kvm, uint16_t port, uint32_t len);
/* Called for each replayed write: port (pio) or MMIO address, 1-8 bytes. */
typedef void (*kvm_coalesced_fn)(void *opaque, bool pio, uint64_t addr, const uint8_t *data,
				 uint32_t len);
/* Replay every queued coalesced write, oldest first, through fn; serialised
 * across vCPUs. No-op until kvm_coalesce_pio() succeeded. */
void kvm_vcpu_flush_coalesced(struct kvm_vcpu *vcpu, kvm_coalesced_fn fn, void *opaque);
/* The replay itself, on a ring of `max` entries (unit-tested): entries from
 * ring->first up to ring->last, at most max of them, each passed to fn and
 * then consumed (ring->first advanced; empty entries are consumed without a
 * call, lengths above 8 are cut to 8). Returns how many were consumed. */
unsigned kvm_coalesced_ring_drain(struct kvm_coalesced_mmio_ring *ring, unsigned max,
				  kvm_coalesced_fn fn, void *opaque);

/* KVM_GET_SUPPORTED_CPUID into a malloc'ed table (free()). */
int kvm_get_supported_cpuid(struct kvm *kvm, struct kvm_cpuid2 **out);

/* Create vCPU `id` (its APIC ID) and map its kvm_run page. */
int kvm_vcpu_create(struct kvm *kvm, unsigned id, struct kvm_vcpu **out);
void kvm_vcpu_destroy(struct kvm_vcpu *vcpu);
unsigned kvm_vcpu_id(const struct kvm_vcpu *vcpu);
/* The shared kvm_run page: exit reason and exit data after kvm_vcpu_run(). */
struct kvm_run *kvm_vcpu_run_data(struct kvm_vcpu *vcpu);

/* One KVM_RUN. 0 when an exit is ready in kvm_run, -EINTR when a signal or
 * immediate_exit stopped it (immediate_exit is cleared again), other -errno
 * on failure. */
int kvm_vcpu_run(struct kvm_vcpu *vcpu);
/* Make the next (or the current, together with a signal) KVM_RUN return
 * -EINTR. Safe from any thread. */
void kvm_vcpu_set_immediate_exit(struct kvm_vcpu *vcpu);

int kvm_vcpu_set_cpuid(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid);
int kvm_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
int kvm_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs);
int kvm_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
int kvm_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);
int kvm_vcpu_set_msrs(struct kvm_vcpu *vcpu, const struct kvm_msr_entry *entries, uint32_t n);
int kvm_vcpu_get_mp_state(struct kvm_vcpu *vcpu, uint32_t *state);
int kvm_vcpu_set_mp_state(struct kvm_vcpu *vcpu, uint32_t state);
/* Program the LAPIC's LINT0 as ExtINT and LINT1 as NMI (virtual wire), as
 * a PC BIOS leaves them. */
int kvm_vcpu_setup_lints(struct kvm_vcpu *vcpu);
/* Guest-virtual to guest-physical through the vCPU's current paging;
 * -EFAULT if unmapped. */
int kvm_vcpu_translate(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t *gpa);

/* Name of a KVM_EXIT_* reason ("IO", "MMIO", ...), "UNKNOWN" if not known. */
const char *kvm_exit_name(uint32_t reason);

#endif

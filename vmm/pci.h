/* SPDX-License-Identifier: MIT */
/* PCI bus 0: a host bridge at 00:00.0 and up to 31 single-function devices.
 * Config space is reached through ports 0xCF8/0xCFC (type 1) and through
 * ECAM at PCI_ECAM_BASE; every guest write is filtered by per-byte writable
 * and write-1-to-clear masks. BARs are preassigned (as firmware would) from
 * the bus windows and follow the guest when it relocates them; a BAR decodes
 * only while the command register enables it, it lies inside its window and
 * it overlaps no other decoding BAR. The bus dispatches BAR accesses inside
 * its windows to the owning device, so nothing is re-registered on a move;
 * devices that bind addresses elsewhere (ioeventfds, memslots) get a
 * bar_map callback on every change.
 *
 * Locking: one recursive mutex per bus serialises config space, BAR state
 * and device BAR handlers. Device callbacks run with it held and may call
 * back into this module. */
#ifndef NFV_VMM_PCI_H
#define NFV_VMM_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_DEVS_MAX	 32 /* slots on bus 0, slot 0 = host bridge */
#define PCI_BARS_MAX	 6
#define PCI_CFG_SIZE	 4096 /* ECAM reaches it all, CF8 the first 256 bytes */
#define PCI_CFG_STD_SIZE 256
#define PCI_MMIO64_SIZE	 (64ull << 30) /* 64-bit BAR window above RAM */
#define PCI_MMIO64_ALIGN (1ull << 30)
#define PCI_IO_BAR_BASE	 0xc000u
#define PCI_IO_BAR_END	 0x10000u

struct pci_bus;
struct pci_dev;

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_MEM32, PCI_BAR_MEM64, PCI_BAR_IO };

struct pci_bar_desc {
	enum pci_bar_type type;
	uint64_t size; /* power of two; >= 16 (memory) or >= 4 (I/O) */
	bool prefetchable;
};

/* Identity and BARs of a device. A 64-bit BAR takes two BAR slots: the
 * slot after it must be PCI_BAR_NONE. */
struct pci_dev_desc {
	const char *name; /* log prefix, e.g. "virtio-net0" */
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_id;
	uint8_t revision;
	uint32_t class_code; /* 24 bits: class, subclass, prog-if */
	struct pci_bar_desc bars[PCI_BARS_MAX];
};

/* Device callbacks; all optional, all called with the bus lock held.
 * Data is little-endian bytes as the guest sees them; len is 1, 2, 4 or 8. */
struct pci_dev_ops {
	void (*bar_read)(void *opaque, int bar, uint64_t off, void *data, unsigned len);
	void (*bar_write)(void *opaque, int bar, uint64_t off, const void *data, unsigned len);
	/* BAR `bar` starts (active) or stops decoding at gpa (I/O port for I/O
	 * BARs). A move is a stop at the old address then a start at the new. */
	void (*bar_map)(void *opaque, int bar, uint64_t gpa, bool active);
	/* After a guest config write (masks already applied). */
	void (*cfg_write)(void *opaque, uint32_t off, uint32_t val, unsigned len);
	/* May replace *val for a guest config read (passthrough devices). */
	void (*cfg_read)(void *opaque, uint32_t off, unsigned len, uint32_t *val);
};

struct pci_bus_config {
	uint64_t mmio32_base, mmio32_end; /* [base, end) for 32-bit BARs */
	uint64_t mmio64_base, mmio64_end; /* [base, end) for 64-bit BARs */
	uint32_t io_base, io_end;	  /* [base, end) for I/O BARs */
};

/* Default windows: 32-bit PCI_MMIO32_BASE..PCI_MMIO32_END, 64-bit at
 * pci_mmio64_base(ram_size) for PCI_MMIO64_SIZE, I/O 0xc000..0xffff. */
void pci_bus_default_config(uint64_t ram_size, struct pci_bus_config *cfg);
/* First byte of the 64-bit BAR window for `ram_size` bytes of guest RAM laid
 * out as layout.h says: the top of RAM (at least 4 GiB) rounded up to 1 GiB. */
uint64_t pci_mmio64_base(uint64_t ram_size);

/* Create bus 0 with its host bridge. -EINVAL if a window is empty,
 * unaligned or the 32-bit one crosses 4 GiB. */
int pci_bus_create(const struct pci_bus_config *cfg, struct pci_bus **out);
/* Unregisters any devices left, then frees. NULL is a no-op. */
void pci_bus_destroy(struct pci_bus *bus);

/* Plug a device into the next free slot, assign its BARs from the windows
 * (64-bit BARs from the 64-bit window) and leave decoding off (command 0).
 * -EINVAL for a bad BAR description, -ENOSPC if slots or a window are full. */
int pci_dev_register(struct pci_bus *bus, const struct pci_dev_desc *desc,
		     const struct pci_dev_ops *ops, void *opaque, struct pci_dev **out);
/* Stop decoding (bar_map(false) for active BARs) and free the slot. */
void pci_dev_unregister(struct pci_dev *dev);

uint8_t pci_dev_slot(const struct pci_dev *dev);
const char *pci_dev_name(const struct pci_dev *dev);
/* Current BAR address as programmed (whether or not it decodes), its size,
 * and whether it decodes now. */
uint64_t pci_dev_bar_addr(const struct pci_dev *dev, int bar);
uint64_t pci_dev_bar_size(const struct pci_dev *dev, int bar);
bool pci_dev_bar_active(const struct pci_dev *dev, int bar);
/* Config writes that were refused or BAR placements that were ignored
 * (outside the window, overlapping another BAR). */
uint64_t pci_dev_bad_bar_count(const struct pci_dev *dev);

/* Add a capability of `len` bytes (header included) to the standard-space
 * list; its ID and next pointer are filled, the rest is zero and read-only
 * until pci_cfg_set_wmask(). Stores the offset in *off. -ENOSPC if full. */
int pci_cap_add(struct pci_dev *dev, uint8_t cap_id, size_t len, uint8_t *off);
/* Raw config accessors for device code: no masks, no hooks. Out-of-range
 * offsets are ignored (reads give 0). */
void pci_cfg_set(struct pci_dev *dev, uint32_t off, uint32_t val, unsigned len);
uint32_t pci_cfg_get(const struct pci_dev *dev, uint32_t off, unsigned len);
/* Which bits of [off, off+len) the guest may write (mask, little-endian). */
void pci_cfg_set_wmask(struct pci_dev *dev, uint32_t off, uint32_t mask, unsigned len);

/* Guest accesses. Port 0xCF8..0xCFF (port is absolute): 0 or -EINVAL for an
 * access the hardware would ignore (reads then return all ones). */
int pci_pio_cfg_access(struct pci_bus *bus, uint16_t port, void *data, unsigned len, bool write);
/* ECAM at offset `off` from PCI_ECAM_BASE. Same contract. */
int pci_ecam_access(struct pci_bus *bus, uint64_t off, void *data, unsigned len, bool write);
/* An access inside a BAR window: dispatched to the decoding BAR at gpa, or
 * -ENOENT (reads return all ones, writes are dropped). `io` selects I/O
 * BARs (gpa is then a port). */
int pci_bar_access(struct pci_bus *bus, uint64_t gpa, void *data, unsigned len, bool write,
		   bool io);

#endif

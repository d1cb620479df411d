/* SPDX-License-Identifier: MIT */
/*
 * PCI: configuration access (ECAM from the ACPI MCFG when present, else
 * ports 0xCF8/0xCFC), enumeration of bus 0 and the buses behind bridges,
 * BAR sizing/mapping and capability walks. Nothing read from a device is
 * trusted: capability walks and bus recursion are bounded.
 */
#ifndef NFGUEST_PCI_H
#define NFGUEST_PCI_H

#include <stdint.h>

#define PCI_MAX_DEVS 64

#define PCI_CAP_MSIX   0x11
#define PCI_CAP_VENDOR 0x09

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint32_t class_code; /* class << 16 | subclass << 8 | prog-if */
	uint8_t header_type;
};

struct pci_bar {
	uint64_t addr; /* bus address == guest-physical */
	uint64_t size;
	int io;	  /* I/O-space BAR */
	int is64; /* takes two BAR slots */
};

/* pci_init: choose the access method (ECAM when the MCFG has one and it is
 * mapped, else CF8/CFC) and enumerate. Returns the number of functions. */
int pci_init(void);

/* pci_method: "ecam" or "cf8". */
const char *pci_method(void);

/* pci_devices: the enumerated functions (count in *n). */
const struct pci_dev *pci_devices(unsigned int *n);

uint32_t pci_read32(const struct pci_dev *d, uint32_t off);
uint16_t pci_read16(const struct pci_dev *d, uint32_t off);
uint8_t pci_read8(const struct pci_dev *d, uint32_t off);
void pci_write32(const struct pci_dev *d, uint32_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint32_t off, uint16_t v);

/* pci_bar_get: size and address of BAR i (0..5) by the standard sizing
 * writes (decoding is turned off meanwhile); an unassigned memory BAR is
 * given an address from nfguest's own 32-bit window. Memory BARs are
 * identity-mapped uncached. Returns 0, -ENOENT (no BAR there), -ENOMEM
 * (window full / cannot map) or -EINVAL (bad index). */
int pci_bar_get(const struct pci_dev *d, unsigned int i, struct pci_bar *bar);

/* pci_enable: set memory + I/O decoding and bus mastering. */
void pci_enable(const struct pci_dev *d);

/* pci_find_cap: config offset of the first capability with id after
 * offset 'from' (0 = from the start), 0 if none. */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t from);

#endif

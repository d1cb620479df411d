/* SPDX-License-Identifier: MIT */
/*
 * Hostile-guest modes: a guest that does, on purpose, what a broken or
 * malicious guest could do to its VMM and the switch behind it. Each runs for
 * ms= milliseconds (default 5000), prints "nfguest: MODE start" first (a
 * harness samples the VMM's memory and fds then) and one summary line at the
 * end, and returns to kmain, which powers off: a VMM that survived exits 0.
 *   serial_flood  rep outsb to COM1 without waiting for THRE
 *   notify_spin   virtio notify writes: own queues, garbage queue indices,
 *                 every width, every offset of the notify region
 *   msix_garbage  MSI-X table entries with bad addresses, reserved bits,
 *                 entries past the table, masked/unmasked and enable/
 *                 function-mask toggling, bad queue/config vectors
 *   pci_garbage   random config-space writes (command, BARs onto RAM, the
 *                 LAPIC and each other, capabilities), then random writes
 *                 into the device's BARs (common config, notify, ISR, cfg)
 * Garbage comes from a xorshift generator seeded by seed= (default 1), so a
 * run is reproducible. Interrupts stay disabled: a garbage MSI that the VMM
 * does route can only become pending, and MSI data never asks for NMI, INIT,
 * SMI or ExtINT delivery (that would stop the guest, not test the VMM).
 */
#include "guest/hostile.h"
#include "guest/io.h"
#include "guest/lib.h"
#include "guest/nfguest.h"
#include "guest/pci.h"
#include "guest/printk.h"
#include "guest/serial.h"
#include "guest/timer.h"
#include "guest/vnet.h"

#define COM1	       0x3f8
#define VIRTIO_VENDOR  0x1af4
#define LAPIC_BASE     0xfee00000u
#define FLOOD_CHUNK    4096
#define MSIX_CTRL_EN   0x8000
#define MSIX_CTRL_MASK 0x4000
/* virtio-pci common configuration offsets (virtio 1.x, 4.1.4.3) */
#define C_MSIX	   0x10
#define C_STATUS   0x14
#define C_Q_SELECT 0x16
#define C_Q_MSIX   0x1a
#define C_Q_ENABLE 0x1c

static struct vnet hnic;
static uint64_t rng_state;
static uint8_t flood_buf[FLOOD_CHUNK];

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* Common arguments: ms= and seed=. Returns 0 or -1 after the message. */
static int hostile_args(uint64_t *ms)
{
	uint64_t seed;

	if (mode_arg_u64("ms", 5000, 1, 600000, ms) || mode_arg_u64("seed", 1, 1, ~0ull, &seed))
		return -1;
	rng_state = seed;
	return 0;
}

void mode_serial_flood(void)
{
	uint64_t ms, sent = 0, end, start;
	uint32_t i;

	if (hostile_args(&ms))
		return;
	for (i = 0; i < FLOOD_CHUNK; i++)
		flood_buf[i] = (i % 64 == 63) ? '\n' : (uint8_t)('!' + (i * 7 + i / 64) % 94);
	printk("nfguest: serial_flood start\n");
	serial_flush();
	start = rdtsc();
	end = timer_deadline(ms * 1000);
	while (!timer_expired(end)) {
		const uint8_t *p = flood_buf;
		uint64_t n = FLOOD_CHUNK;

		/* One VM exit per chunk with count > 1: the VMM's string-I/O path. */
		__asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"((uint16_t)COM1) : "memory");
		sent += FLOOD_CHUNK;
	}
	/* Start the summary on its own line whatever the VMM kept. */
	printk("\nnfguest: serial_flood bytes=%lu ms=%lu\n", (unsigned long)sent,
	       (unsigned long)(timer_us_since(start) / 1000));
}

/* The first virtio-net NIC, set up as the net modes do (RX buffers posted,
 * DRIVER_OK). Returns 0, or -1 after a message. */
static int hostile_nic(const char *mode, int irq)
{
	if (vnet_probe(&hnic, 1, irq) != 1) {
		printk("nfguest: %s needs a virtio-net device (start the VMM with --net)\n", mode);
		return -1;
	}
	return 0;
}

void mode_notify_spin(void)
{
	struct virtio_dev *vd = &hnic.vd;
	uint64_t ms, writes = 0, end;

	if (hostile_args(&ms) || hostile_nic("notify_spin", 0))
		return;
	printk("nfguest: notify_spin start %s notify=0x%lx len=%u mult=%u\n", hnic.name,
	       (unsigned long)vd->notify_base, vd->notify_len, vd->notify_mult);
	end = timer_deadline(ms * 1000);
	while (!timer_expired(end)) {
		uint32_t k;

		/* Mostly the real doorbells (the ioeventfd fast path), then
		 * the rest: garbage queue numbers, other widths, odd offsets. */
		for (k = 0; k < 64; k++) {
			mmio_write16(hnic.tx.notify_addr, hnic.tx.index);
			mmio_write16(hnic.rx.notify_addr, hnic.rx.index);
		}
		writes += 128;
		for (k = 0; k < 16; k++) {
			uint64_t a =
			    vd->notify_base + rnd_below(vd->notify_len ? vd->notify_len : 1);

			switch (rnd_below(4)) {
			case 0:
				mmio_write16(a & ~1ull, (uint16_t)rnd());
				break;
			case 1:
				mmio_write32(a & ~3ull, (uint32_t)rnd());
				break;
			case 2:
				mmio_write8(a, (uint8_t)rnd());
				break;
			default:
				mmio_write16(hnic.tx.notify_addr, 0xffff);
				break;
			}
		}
		writes += 16;
	}
	printk("nfguest: notify_spin writes=%lu\n", (unsigned long)writes);
}

/* Garbage MSI-X address: not 0xFEEx_xxxx, reserved bits set, or a real
 * LAPIC address with odd destination/redirection bits. */
static uint64_t garbage_msi_addr(void)
{
	switch (rnd_below(6)) {
	case 0:
		return 0;
	case 1:
		return rnd();
	case 2:
		return LAPIC_BASE | (rnd() & 0xffff0u) | 0x3; /* reserved low bits */
	case 3:
		return (uint64_t)(LAPIC_BASE | (rnd() & 0xff000u)) | (rnd() << 32);
	case 4:
		return 0xfec00000u; /* the IOAPIC */
	default:
		return LAPIC_BASE | (rnd() & 0xff00cu); /* any destination, RH/DM */
	}
}

void mode_msix_garbage(void)
{
	struct virtio_dev *vd = &hnic.vd;
	const struct pci_dev *p;
	struct pci_bar bar;
	uint64_t ms, writes = 0, end, tbl_off, bar_end;
	uint32_t tbl;
	uint16_t ctl;

	if (hostile_args(&ms) || hostile_nic("msix_garbage", 1))
		return;
	p = vd->pci;
	if (!vd->msix_cap || !vd->msix_table) {
		printk("nfguest: msix_garbage: %s has no MSI-X table\n", hnic.name);
		return;
	}
	tbl = pci_read32(p, vd->msix_cap + 4);
	if (pci_bar_get(p, tbl & 7, &bar) || bar.io) {
		printk("nfguest: msix_garbage: cannot read the MSI-X BAR of %s\n", hnic.name);
		return;
	}
	tbl_off = vd->msix_table - bar.addr;
	bar_end = bar.addr + bar.size;
	__asm__ volatile("cli");
	printk("nfguest: msix_garbage start %s entries=%u table=0x%lx\n", hnic.name,
	       vd->msix_entries, (unsigned long)vd->msix_table);
	end = timer_deadline(ms * 1000);
	while (!timer_expired(end)) {
		/* Entries up to 8 past the table end (still inside the BAR). */
		uint32_t e = rnd_below(vd->msix_entries + 8u);
		uint64_t a = vd->msix_table + 16ull * e, addr = garbage_msi_addr();
		uint32_t data = (uint32_t)rnd() & ~0x700u; /* fixed delivery mode */

		if (tbl_off + 16ull * e + 16 > bar.size || a + 16 > bar_end)
			a = vd->msix_table; /* the BAR ends before: entry 0 instead */
		mmio_write32(a + 12, 1);    /* mask while rewriting, as a driver would */
		mmio_write32(a, (uint32_t)addr);
		mmio_write32(a + 4, (uint32_t)(addr >> 32));
		mmio_write32(a + 8, data);
		mmio_write32(a + 12, (uint32_t)rnd() & 0xfffffffeu); /* unmask, reserved bits */
		if (rnd_below(2))
			mmio_write32(a + 12, (uint32_t)rnd()); /* masked or not */
		(void)mmio_read32(a + 8);
		writes += 5;
		switch (rnd_below(8)) {
		case 0: /* enable / function mask toggling, table size bits */
			ctl = pci_read16(p, vd->msix_cap + 2);
			pci_write16(
			    p, vd->msix_cap + 2,
			    (uint16_t)((ctl & 0x3fff) | (rnd() & 0xc000) | (rnd() & 0x7ff)));
			writes++;
			break;
		case 1: /* a queue's vector: in range, past the table, NO_VECTOR */
			mmio_write16(vd->common + C_Q_SELECT, (uint16_t)rnd_below(4));
			mmio_write16(vd->common + C_Q_MSIX,
				     (uint16_t)rnd_below(vd->msix_entries + 4u));
			if (rnd_below(2))
				mmio_write16(vd->common + C_Q_MSIX, 0xffff);
			writes += 2;
			break;
		case 2:
			mmio_write16(vd->common + C_MSIX, (uint16_t)rnd());
			writes++;
			break;
		case 3: /* the PBA is read-only */
			if (vd->msix_table + 16ull * vd->msix_entries + 8 <= bar_end)
				mmio_write64(vd->msix_table + 16ull * vd->msix_entries, rnd());
			writes++;
			break;
		default:
			break;
		}
	}
	/* Leave nothing that could fire: everything masked and disabled. */
	ctl = pci_read16(p, vd->msix_cap + 2);
	pci_write16(p, vd->msix_cap + 2, (uint16_t)((ctl | MSIX_CTRL_MASK) & ~MSIX_CTRL_EN));
	printk("nfguest: msix_garbage writes=%lu\n", (unsigned long)writes);
}

/* A BAR value a buggy driver could write: onto RAM, the guest image, the
 * LAPIC/IOAPIC, another device, all ones (sizing), or anything. */
static uint32_t garbage_bar(const struct pci_bar *other)
{
	switch (rnd_below(7)) {
	case 0:
		return 0;
	case 1:
		return 0x200000; /* nfguest's own image */
	case 2:
		return LAPIC_BASE;
	case 3:
		return 0xfec00000u;
	case 4:
		return (uint32_t)other->addr;
	case 5:
		return 0xffffffffu;
	default:
		return (uint32_t)rnd();
	}
}

void mode_pci_garbage(void)
{
	const struct pci_dev *devs, *p = 0, *other = 0;
	struct pci_bar bars[6], other_bar = {0};
	unsigned int bar_idx[6];
	uint64_t ms, cfg_writes = 0, bar_writes = 0, end;
	unsigned int n, i, nbars = 0;
	uint32_t space;

	if (hostile_args(&ms))
		return;
	pci_init();
	devs = pci_devices(&n);
	for (i = 0; i < n; i++) {
		if (devs[i].vendor != VIRTIO_VENDOR)
			continue;
		if (!p)
			p = &devs[i];
		else if (!other)
			other = &devs[i];
	}
	if (!p) {
		printk("nfguest: pci_garbage needs a virtio device (start the VMM with --net)\n");
		return;
	}
	pci_enable(p);
	for (i = 0; i < 6; i++) {
		if (pci_bar_get(p, i, &bars[nbars]) || bars[nbars].io)
			continue;
		bar_idx[nbars++] = i;
		if (bars[nbars - 1].is64)
			i++;
	}
	if (other)
		(void)pci_bar_get(other, 0, &other_bar);
	space = !strcmp(pci_method(), "ecam") ? 4096 : 256;
	__asm__ volatile("cli");
	printk("nfguest: pci_garbage start %02x:%02x.%x bars=%u cfg=%u other=%s\n", p->bus, p->dev,
	       p->fn, nbars, space, other ? "yes" : "no");
	end = timer_deadline(ms * 1000);
	while (!timer_expired(end)) {
		uint32_t k, off;

		/* Config space: BARs, command, anywhere. */
		for (k = 0; k < 8; k++) {
			switch (rnd_below(4)) {
			case 0:
				off = 0x10 + 4 * rnd_below(6);
				pci_write32(p, off, garbage_bar(&other_bar));
				break;
			case 1:
				pci_write16(p, 0x04, (uint16_t)rnd());
				break;
			case 2:
				pci_write32(p, rnd_below(space) & ~3u, (uint32_t)rnd());
				break;
			default:
				pci_write16(p, rnd_below(space) & ~1u, (uint16_t)rnd());
				break;
			}
			(void)pci_read32(p, rnd_below(space) & ~3u);
			cfg_writes++;
		}
		/* Put the BARs back and decode them, then write into them:
		 * common config (status, queue enable, addresses), notify,
		 * ISR, device config and the MSI-X table alike. */
		for (i = 0; i < nbars; i++) {
			pci_write32(p, 0x10 + 4 * bar_idx[i], (uint32_t)bars[i].addr);
			if (bars[i].is64)
				pci_write32(p, 0x14 + 4 * bar_idx[i],
					    (uint32_t)(bars[i].addr >> 32));
		}
		pci_enable(p);
		for (k = 0; k < 32 && nbars; k++) {
			const struct pci_bar *b = &bars[rnd_below(nbars)];
			uint64_t a = b->addr + (rnd_below((uint32_t)b->size) & ~7u);

			if (rnd_below(2))
				mmio_write32(a, (uint32_t)rnd());
			else
				mmio_write8(a + rnd_below(4), (uint8_t)rnd());
			(void)mmio_read32(a);
			bar_writes++;
		}
	}
	/* Decoding off: nothing of the device is left reachable. */
	pci_write16(p, 0x04, 0);
	printk("nfguest: pci_garbage cfg_writes=%lu bar_writes=%lu\n", (unsigned long)cfg_writes,
	       (unsigned long)bar_writes);
}

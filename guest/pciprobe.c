/* SPDX-License-Identifier: MIT */
/*
 * mode=pci-probe: exercise a passthrough test function end to end — BAR
 * access, DMA into guest memory (both directions) and an MSI-X interrupt —
 * through the register block described in guest/README.md ("pci-probe
 * device contract"), then print
 *   nfguest: pci-probe bar=ok|fail dma=ok|fail msix=ok|fail
 * The device is the function named by vendor=/device= (hex), else the first
 * function that is not a bridge, not virtio and not a host bridge.
 */
#include "guest/bootinfo.h"
#include "guest/errno.h"
#include "guest/idt.h"
#include "guest/io.h"
#include "guest/lapic.h"
#include "guest/lib.h"
#include "guest/nfguest.h"
#include "guest/pci.h"
#include "guest/printk.h"
#include "guest/timer.h"
#include "guest/virtio.h"

#define TD_MAGIC      0x00
#define TD_VERSION    0x04
#define TD_SCRATCH    0x08
#define TD_DMA_ADDR   0x10
#define TD_DMA_LEN    0x18
#define TD_DMA_SEED   0x1c
#define TD_DMA_CMD    0x20
#define TD_DMA_STATUS 0x24
#define TD_DMA_RESULT 0x28
#define TD_IRQ_CMD    0x2c
#define TD_REGS_LEN   0x30
#define TD_MAGIC_VAL  0x4e465444u /* "DTFN" in memory: 'N' 'F' 'T' 'D' read as a u32 */
#define CMD_FILL      1
#define CMD_SUM	      2
#define ST_DONE	      1
#define ST_ERROR      2
#define DMA_LEN	      4096
#define PROBE_VECTOR  0x50
#define TIMER_VECTOR  0x31
#define WAIT_US	      2000000

static uint8_t dma_buf[DMA_LEN] __attribute__((aligned(4096)));
static volatile uint64_t probe_irqs;

static uint8_t fill_byte(uint32_t seed, uint32_t i)
{
	return (uint8_t)(seed + i * 31u);
}

static void probe_isr(unsigned int vector, void *arg)
{
	(void)vector;
	(void)arg;
	probe_irqs++;
	lapic_eoi();
}

static void tick_isr(unsigned int vector, void *arg)
{
	(void)vector;
	(void)arg;
	lapic_eoi();
}

static const struct pci_dev *find_device(void)
{
	const struct pci_dev *devs;
	uint64_t vendor, device;
	unsigned int i, n;

	if (mode_arg_u64("vendor", 0x10000, 0, 0x10000, &vendor) ||
	    mode_arg_u64("device", 0x10000, 0, 0x10000, &device))
		return 0;
	pci_init();
	devs = pci_devices(&n);
	for (i = 0; i < n; i++) {
		const struct pci_dev *d = &devs[i];
		uint32_t cls = d->class_code >> 16;

		if (vendor != 0x10000 || device != 0x10000) {
			if ((vendor == 0x10000 || d->vendor == vendor) &&
			    (device == 0x10000 || d->device == device))
				return d;
			continue;
		}
		if (cls != 0x06 && d->vendor != 0x1af4 && (d->header_type & 0x7f) == 0)
			return d;
	}
	printk("nfguest: pci-probe: no matching PCI function among %u (config access: %s); "
	       "select one with vendor=0xVVVV device=0xDDDD\n",
	       n, pci_method());
	return 0;
}

static int wait_dma(uint64_t regs)
{
	uint64_t end = timer_deadline(WAIT_US);
	uint32_t st;

	do {
		st = mmio_read32(regs + TD_DMA_STATUS);
		if (st & (ST_DONE | ST_ERROR))
			return st & ST_ERROR ? -EIO : 0;
		cpu_relax();
	} while (!timer_expired(end));
	return -ETIMEDOUT;
}

static int dma_cmd(uint64_t regs, uint32_t cmd, uint32_t seed)
{
	mmio_write64(regs + TD_DMA_ADDR, (uint64_t)dma_buf);
	mmio_write32(regs + TD_DMA_LEN, DMA_LEN);
	mmio_write32(regs + TD_DMA_SEED, seed);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	mmio_write32(regs + TD_DMA_CMD, cmd);
	return wait_dma(regs);
}

static int test_dma(uint64_t regs)
{
	uint32_t seed = (uint32_t)rdtsc(), sum = 0, i;

	/* device -> guest: the device fills the buffer */
	memset(dma_buf, 0, sizeof(dma_buf));
	if (dma_cmd(regs, CMD_FILL, seed))
		return -EIO;
	for (i = 0; i < DMA_LEN; i++)
		if (dma_buf[i] != fill_byte(seed, i))
			return -EIO;
	/* guest -> device: the device sums what we wrote */
	for (i = 0; i < DMA_LEN; i++) {
		dma_buf[i] = fill_byte(seed ^ 0x5a5a5a5au, i);
		sum += dma_buf[i];
	}
	if (dma_cmd(regs, CMD_SUM, 0))
		return -EIO;
	return mmio_read32(regs + TD_DMA_RESULT) == sum ? 0 : -EIO;
}

static int test_msix(const struct pci_dev *d, uint64_t regs)
{
	struct virtio_dev vd;
	uint64_t end;
	int err;

	err = lapic_init(0);
	if (err)
		return err;
	memset(&vd, 0, sizeof(vd));
	vd.pci = d;
	idt_set_handler(PROBE_VECTOR, probe_isr, 0);
	idt_set_handler(TIMER_VECTOR, tick_isr, 0);
	err = virtio_msix_setup(&vd, 0, PROBE_VECTOR, (uint8_t)lapic_id());
	if (err)
		return err;
	lapic_timer_periodic(TIMER_VECTOR, 10000000u);
	mmio_write32(regs + TD_IRQ_CMD, 0);
	end = timer_deadline(WAIT_US);
	while (!probe_irqs && !timer_expired(end))
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	lapic_timer_periodic(TIMER_VECTOR, 0);
	return probe_irqs ? 0 : -ETIMEDOUT;
}

void mode_pci_probe(void)
{
	const char *bar_r = "fail", *dma_r = "fail", *msix_r = "fail";
	const struct pci_dev *d = find_device();
	struct pci_bar bar;
	uint64_t regs;

	if (!d)
		return;
	if (pci_bar_get(d, 0, &bar) || bar.io || bar.size < TD_REGS_LEN) {
		printk("nfguest: pci-probe: %02x:%02x.%x (%04x:%04x) has no memory BAR0 of at "
		       "least %u bytes\n",
		       d->bus, d->dev, d->fn, d->vendor, d->device, TD_REGS_LEN);
	} else {
		uint32_t magic, v = (uint32_t)rdtsc() | 1;

		regs = bar.addr;
		pci_enable(d);
		magic = mmio_read32(regs + TD_MAGIC);
		if (magic != TD_MAGIC_VAL) {
			/* not our test function: do not poke its registers */
			printk("nfguest: pci-probe: %02x:%02x.%x (%04x:%04x) BAR0 magic is 0x%x, "
			       "expected 0x%x\n",
			       d->bus, d->dev, d->fn, d->vendor, d->device, magic, TD_MAGIC_VAL);
			goto out;
		}
		mmio_write32(regs + TD_SCRATCH, v);
		if (mmio_read32(regs + TD_SCRATCH) == v)
			bar_r = "ok";
		if (!test_dma(regs))
			dma_r = "ok";
		if (!test_msix(d, regs))
			msix_r = "ok";
	}
out:
	printk("nfguest: pci-probe bar=%s dma=%s msix=%s\n", bar_r, dma_r, msix_r);
}

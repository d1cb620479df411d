/* SPDX-License-Identifier: MIT */
#include "guest/bootinfo.h"
#include "guest/errno.h"
#include "guest/format.h"
#include "guest/idt.h"
#include "guest/io.h"
#include "guest/lapic.h"
#include "guest/lib.h"
#include "guest/printk.h"
#include "guest/vnet.h"

#define VIRTIO_NET_F_MAC     5
#define VIRTIO_NET_F_STATUS  16
#define VIRTIO_ID_NET_MODERN 0x1041
#define VIRTIO_ID_NET_TRANS  0x1000
#define VNET_VECTOR_BASE     0x40
#define TIMER_VECTOR	     0x30
#define TIMER_COUNT	     10000000u /* ~10 ms at the usual 1 GHz APIC timer */
#define RXQ		     0
#define TXQ		     1

extern char __noinit_start[], __noinit_end[];

static int timer_started;

static void vnet_isr(unsigned int vector, void *arg)
{
	struct vnet *n = arg;

	(void)vector;
	n->irqs++;
	lapic_eoi();
}

static void timer_isr(unsigned int vector, void *arg)
{
	(void)vector;
	(void)arg;
	lapic_eoi();
}

void vnet_mac_str(const uint8_t *mac, char *buf)
{
	fmt_snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		     mac[4], mac[5]);
}

static int setup_irq(struct vnet *n, unsigned int idx)
{
	int err;

	if (!timer_started) {
		err = lapic_init(0);
		if (err)
			return err;
		idt_set_handler(TIMER_VECTOR, timer_isr, 0);
		lapic_timer_periodic(TIMER_VECTOR, TIMER_COUNT);
		timer_started = 1;
	}
	n->vector = (uint8_t)(VNET_VECTOR_BASE + idx);
	idt_set_handler(n->vector, vnet_isr, n);
	err = virtio_msix_setup(&n->vd, 0, n->vector, (uint8_t)lapic_id());
	if (err)
		return err;
	/* Configuration changes (link up/down) share the RX vector. */
	return virtio_config_vector(&n->vd, 0);
}

static int init_one(struct vnet *n, const struct pci_dev *p, unsigned int idx, int irq_mode)
{
	const char *step;
	unsigned int i;
	int err;

	memset(n, 0, sizeof(*n));
	fmt_snprintf(n->name, sizeof(n->name), "net%u %02x:%02x.%x", idx, p->bus, p->dev, p->fn);
	n->irq_mode = irq_mode;
	step = "virtio init";
	err = virtio_init(&n->vd, p, 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS);
	if (err)
		goto fail;
	if (irq_mode) {
		step = "MSI-X setup";
		err = setup_irq(n, idx);
		if (err)
			goto fail;
	}
	step = "RX queue setup";
	err = virtq_setup(&n->vd, &n->rx, RXQ, idx * 2, 1, irq_mode ? 0 : 0xffff);
	if (err)
		goto fail;
	step = "TX queue setup";
	err = virtq_setup(&n->vd, &n->tx, TXQ, idx * 2 + 1, 0, 0xffff);
	if (err)
		goto fail;
	if (n->vd.features & (1ull << VIRTIO_NET_F_MAC)) {
		for (i = 0; i < 6; i++)
			n->mac[i] = virtio_cfg_read8(&n->vd, i);
	} else {
		static const uint8_t local[6] = {0x02, 0, 0, 0, 0, 0};

		memcpy(n->mac, local, 6);
		n->mac[5] = (uint8_t)(idx + 1);
	}
	step = "DRIVER_OK";
	err = virtio_driver_ok(&n->vd);
	if (err)
		goto fail;
	for (i = 0; i < n->rx.size; i++)
		virtq_post(&n->rx, (uint16_t)i, VQ_BUF_SIZE);
	virtq_interrupts(&n->rx, irq_mode);
	virtq_kick(&n->rx);
	return 0;
fail:
	printk("nfguest: %s: %s failed (error %d, device status 0x%x)\n", n->name, step, err,
	       n->vd.common ? virtio_status(&n->vd) : 0);
	return err;
}

int vnet_probe(struct vnet *nics, unsigned int max, int irq_mode)
{
	const struct pci_dev *devs;
	unsigned int i, n, found = 0;

	if (boot_info.e820_count &&
	    !e820_is_ram(boot_info.e820, boot_info.e820_count, (uint64_t)__noinit_start,
			 (uint64_t)(__noinit_end - __noinit_start))) {
		printk("nfguest: the virtqueue pool 0x%lx-0x%lx is not RAM in the E820 map; give "
		       "the VM at least 16 MiB\n",
		       (unsigned long)__noinit_start, (unsigned long)__noinit_end);
		return -ENOMEM;
	}
	pci_init();
	devs = pci_devices(&n);
	for (i = 0; i < n && found < max && found < VNET_MAX; i++) {
		if (devs[i].vendor != 0x1af4 || !(devs[i].device == VIRTIO_ID_NET_MODERN ||
						  devs[i].device == VIRTIO_ID_NET_TRANS))
			continue;
		if (init_one(&nics[found], &devs[i], found, irq_mode))
			return -EIO;
		found++;
	}
	return (int)found;
}

int vnet_recv(struct vnet *n, uint8_t **frame, uint32_t *len, uint16_t *id)
{
	uint32_t l;

	while (virtq_next_used(&n->rx, id, &l)) {
		if (l < VNET_HDR_LEN + 14) {
			n->rx_runts++;
			vnet_rx_done(n, *id);
			continue;
		}
		*frame = virtq_buf(&n->rx, *id) + VNET_HDR_LEN;
		*len = l - VNET_HDR_LEN;
		return 1;
	}
	return 0;
}

void vnet_rx_done(struct vnet *n, uint16_t id)
{
	virtq_post(&n->rx, id, VQ_BUF_SIZE);
}

void vnet_rx_flush(struct vnet *n)
{
	virtq_kick(&n->rx);
}

unsigned int vnet_tx_reclaim(struct vnet *n)
{
	unsigned int k = 0;
	uint16_t id;
	uint32_t len;

	while (virtq_next_used(&n->tx, &id, &len)) {
		virtq_free(&n->tx, id);
		k++;
	}
	return k;
}

uint8_t *vnet_tx_get(struct vnet *n, uint16_t *id)
{
	int i = virtq_get_free(&n->tx);
	uint8_t *b;

	if (i < 0) {
		vnet_tx_reclaim(n);
		i = virtq_get_free(&n->tx);
		if (i < 0) {
			n->tx_full++;
			return 0;
		}
	}
	*id = (uint16_t)i;
	b = virtq_buf(&n->tx, *id);
	memset(b, 0, VNET_HDR_LEN);
	return b + VNET_HDR_LEN;
}

void vnet_tx_put(struct vnet *n, uint16_t id, uint32_t len)
{
	virtq_post(&n->tx, id, len + VNET_HDR_LEN);
}

void vnet_tx_flush(struct vnet *n)
{
	virtq_kick(&n->tx);
}

int vnet_tx_idle(struct vnet *n)
{
	vnet_tx_reclaim(n);
	return n->tx.nfree == n->tx.size;
}

void vnet_wait(struct vnet *nics, unsigned int count)
{
	unsigned int i;

	if (!nics[0].irq_mode) {
		cpu_relax();
		return;
	}
	for (i = 0; i < count; i++)
		virtq_interrupts(&nics[i].rx, 1);
	for (i = 0; i < count; i++)
		if (virtq_has_used(&nics[i].rx))
			return;
	/* sti's one-instruction shadow makes "sti; hlt" race-free */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	for (i = 0; i < count; i++)
		virtq_interrupts(&nics[i].rx, 0);
}

// SPDX-License-Identifier: MIT
/* libFuzzer target: the virtio-pci modern transport (vmm/virtio_pci.c) on
 * arbitrary guest accesses: common config (feature select/negotiation,
 * queue select/size/addresses/enable, status incl. DRIVER_OK with bad
 * rings and reset), ISR, device config, notify, MSI-X table and the PCI
 * config space (capabilities, BAR moves), over real guest memory and a fake
 * MSI router. Input: 8-byte records
 *   op (bits 0-1: BAR 0 common/any region / ECAM of the device / CF8+CFC /
 *       common config only; bit 4: write; bits 5-6: length 1,2,4,8),
 *   flags, offset (LE16), value (LE32). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/mem.h"
#include "tests/fuzz/access_record.h"
#include "tests/fuzz/checked_router.h"
#include "vmm/msix.h"
#include "vmm/pci.h"
#include "vmm/virtio_pci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ioeventfd(void *o, uint64_t gpa, unsigned len, int fd, bool assign)
{
	return 0;
}

static uint8_t devcfg[12];
static bool fail_activate;

static uint64_t d_features(void *o)
{
	return 1ull << 32 | 1ull << 5 | 1ull << 16; /* VERSION_1, MAC, STATUS */
}

static void d_cfg_read(void *o, uint32_t off, void *d, unsigned len)
{
	if (off + len <= sizeof(devcfg))
		memcpy(d, devcfg + off, len);
}

static void d_cfg_write(void *o, uint32_t off, const void *d, unsigned len)
{
	if (off + len <= sizeof(devcfg))
		memcpy(devcfg + off, d, len);
}

static int d_activate(void *o, uint64_t features, const struct virtio_queue_info *q, unsigned nq)
{
	for (unsigned i = 0; i < nq; i++)
		if (q[i].enabled && (q[i].kick_fd < 0 || q[i].call_fd < 0))
			abort();
	return fail_activate ? -22 : 0;
}

static void d_reset(void *o)
{
}

static const struct virtio_dev_ops vops = {.features = d_features,
					   .cfg_read = d_cfg_read,
					   .cfg_write = d_cfg_write,
					   .activate = d_activate,
					   .reset = d_reset};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_mem *mem;
	const struct virtio_pci_desc desc = {.name = "fuzz-net0",
					     .device_type = 1,
					     .num_queues = 3,
					     .queue_size_max = 256,
					     .device_cfg_len = sizeof(devcfg),
					     .class_code = 0x020000};
	struct pci_bus_config bc;
	struct virtio_pci_host host;
	struct virtio_pci *vp;
	struct pci_bus *bus;
	struct pci_dev *dev;
	size_t i;

	if (!mem && guest_mem_create(32 << 20, HUGEPAGES_NONE, &mem))
		abort();
	pci_bus_default_config(32 << 20, &bc);
	if (pci_bus_create(&bc, &bus))
		abort();
	host = (struct virtio_pci_host){
	    .bus = bus, .mem = mem, .msi = &checked_msi_router, .ioeventfd = ioeventfd};
	if (virtio_pci_create(&host, &desc, &vops, NULL, &vp))
		abort();
	dev = virtio_pci_dev(vp);
	fail_activate = size && (data[0] & 0x80);
	for (i = 0; i + ACCESS_RECORD_SIZE <= size; i += ACCESS_RECORD_SIZE) {
		struct access_record a;
		uint32_t addr;

		access_record_decode(data + i, &a);
		switch (a.kind) {
		case 0:
			pci_bar_access(bus, pci_dev_bar_addr(dev, 0) + (a.off % VIRTIO_BAR_SIZE),
				       &a.val, a.len, a.write, false);
			break;
		case 1:
			pci_ecam_access(bus, ((uint64_t)pci_dev_slot(dev) << 15) | (a.off & 0xfff),
					&a.val, a.len, a.write);
			break;
		case 2:
			addr = 0x80000000u | (uint32_t)pci_dev_slot(dev) << 11 | (a.off & 0xfc);
			pci_pio_cfg_access(bus, 0xcf8, &addr, 4, true);
			pci_pio_cfg_access(bus, 0xcfc + (a.off & 3), &a.val, a.len, a.write);
			break;
		case 3:
			pci_bar_access(bus, pci_dev_bar_addr(dev, 0) + (a.off & 0x3f), &a.val,
				       a.len, a.write, false);
			if (a.flags == 0xff)
				virtio_pci_config_changed(vp);
			break;
		}
	}
	virtio_pci_destroy(vp);
	pci_bus_destroy(bus);
	checked_router_assert_idle();
	return 0;
}

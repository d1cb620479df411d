/* SPDX-License-Identifier: MIT */
/*
 * nfguest: boot sequence and mode dispatch. kmain runs on the BSP from
 * either entry path; it copies what the loader left (boot info), builds the
 * page tables, finds the CPUs, starts the APs and runs the mode named by
 * mode= on the command line (default hello), then powers off.
 */
#include "guest/acpi.h"
#include "guest/benchnet.h"
#include "guest/bootinfo.h"
#include "guest/cmdline.h"
#include "guest/errno.h"
#include "guest/hostile.h"
#include "guest/idt.h"
#include "guest/layout.h"
#include "guest/lib.h"
#include "guest/mptable.h"
#include "guest/netmodes.h"
#include "guest/nfguest.h"
#include "guest/paging.h"
#include "guest/pci.h"
#include "guest/power.h"
#include "guest/printk.h"
#include "guest/serial.h"
#include "guest/smp.h"
#include "guest/timer.h"

#define RAM_MAP_LIMIT (64ull << 30)
#define AP_TIMEOUT_MS 1000

struct sysinfo sysinfo;

void kmain(unsigned int kind, uint64_t info);

int mode_arg_u64(const char *key, uint64_t def, uint64_t min, uint64_t max, uint64_t *out)
{
	char raw[32];
	int err;

	err = cmdline_get_u64(boot_info.cmdline, key, out);
	if (err == -ENOENT) {
		*out = def;
		return 0;
	}
	if (!err && *out >= min && *out <= max)
		return 0;
	if (cmdline_get(boot_info.cmdline, key, raw, sizeof(raw)) == -E2BIG)
		memcpy(raw + sizeof(raw) - 4, "...", 4);
	printk("nfguest: bad %s=%s: expected a number (decimal or 0x hex) from %lu to %lu\n", key,
	       raw, (unsigned long)min, (unsigned long)max);
	return -EINVAL;
}

static void mode_hello(void)
{
	printk("nfguest: ready cpus=%u mem_mb=%lu\n", sysinfo.cpus_up,
	       (unsigned long)sysinfo.mem_mb);
}

static void print_gas(const char *name, const struct acpi_gas *g)
{
	printk(" %s=%s:0x%lx", name, g->space == ACPI_GAS_IO ? "io" : "mem",
	       (unsigned long)g->address);
}

static void mode_selftest(void)
{
	const struct acpi_state *a = acpi_get();
	const struct cpu_list *c = &sysinfo.cpus;
	unsigned int i, pool_total, pool_used, ndevs;
	const struct pci_dev *devs;

	printk("nfguest: selftest boot=%s info=0x%lx\n", bootinfo_kind_name(boot_info.kind),
	       (unsigned long)boot_info.info_paddr);
	printk("nfguest: cmdline \"%s\"\n", boot_info.cmdline);
	for (i = 0; i < boot_info.e820_count; i++)
		printk("nfguest: e820 0x%016lx-0x%016lx %s\n",
		       (unsigned long)boot_info.e820[i].addr,
		       (unsigned long)(boot_info.e820[i].addr + boot_info.e820[i].size - 1),
		       e820_type_name(boot_info.e820[i].type));
	printk("nfguest: e820 entries=%u dropped=%u ram_bytes=%lu top=0x%lx mem_mb=%lu\n",
	       boot_info.e820_count, boot_info.e820_dropped,
	       (unsigned long)e820_ram_bytes(boot_info.e820, boot_info.e820_count),
	       (unsigned long)e820_ram_top(boot_info.e820, boot_info.e820_count),
	       (unsigned long)sysinfo.mem_mb);
	printk("nfguest: tsc_khz=%lu source=%s\n", (unsigned long)timer_tsc_khz(), timer_source());
	if (sysinfo.acpi_err) {
		printk("nfguest: acpi none (no valid RSDP; hint 0x%lx)\n",
		       (unsigned long)boot_info.rsdp);
	} else {
		printk("nfguest: acpi rsdp=0x%lx xsdt=0x%lx rsdt=0x%lx tables=%u rejected=%u\n",
		       (unsigned long)a->rsdp, (unsigned long)a->xsdt, (unsigned long)a->rsdt,
		       a->tables, a->rejected);
		printk("nfguest: acpi fadt=0x%lx madt=0x%lx dsdt=0x%lx mcfg=0x%lx\n",
		       (unsigned long)a->fadt, (unsigned long)a->madt, (unsigned long)a->dsdt,
		       (unsigned long)a->mcfg);
		printk("nfguest: acpi hw_reduced=%d pm1a_cnt=0x%x pm1b_cnt=0x%x",
		       a->fadt_info.hw_reduced, a->fadt_info.pm1a_cnt, a->fadt_info.pm1b_cnt);
		print_gas("sleep_ctl", &a->fadt_info.sleep_ctl);
		printk(" s5_typ=%u (%s)\n", a->s5_typ, a->s5_source);
	}
	printk("nfguest: mptable fps=0x%lx\n", (unsigned long)sysinfo.mp_fps);
	printk("nfguest: cpus source=%s count=%u disabled=%u dropped=%u lapic=0x%lx ids=",
	       c->source, c->count, c->disabled, c->dropped, (unsigned long)c->lapic_base);
	for (i = 0; i < c->count; i++)
		printk(i ? ",%u" : "%u", c->apic_id[i]);
	printk("\n");
	printk("nfguest: smp bsp_apic=%u expected=%u online=%u ipi_errors=%u wait_us=%lu%s%s\n",
	       sysinfo.smp.bsp_apic_id, sysinfo.smp.expected, sysinfo.smp.online,
	       sysinfo.smp.ipi_errors, (unsigned long)sysinfo.smp.wait_us,
	       sysinfo.smp.skipped ? " skipped: " : "",
	       sysinfo.smp.skipped ? sysinfo.smp.skipped : "");
	pci_init();
	devs = pci_devices(&ndevs);
	for (i = 0; i < ndevs; i++)
		printk("nfguest: pci %02x:%02x.%x %04x:%04x class %06x (%s)\n", devs[i].bus,
		       devs[i].dev, devs[i].fn, devs[i].vendor, devs[i].device, devs[i].class_code,
		       pci_method());
	pool_used = paging_pool_used(&pool_total);
	printk("nfguest: paging pool=%u/%u spurious_irqs=%lu\n", pool_used, pool_total,
	       (unsigned long)idt_spurious());
	printk("nfguest: selftest ok cpus=%u mem_mb=%lu\n", sysinfo.cpus_up,
	       (unsigned long)sysinfo.mem_mb);
}

static const struct mode modes[] = {
    {"hello", "print the ready line", mode_hello},
    {"selftest", "print boot info, tables, CPUs", mode_selftest},
    {"ioport_spam", "access many unknown I/O ports", mode_ioport_spam},
    {"mmio_spam", "access unknown MMIO in the PCI hole", mode_mmio_spam},
    {"triple_fault", "load an empty IDT and fault", mode_triple_fault},
    {"reset", "reset instead of powering off", mode_reset},
    {"gen", "send count frames of size bytes on virtio-net", mode_gen},
    {"sink", "receive and verify count frames", mode_sink},
    {"reflect", "send every frame back with MACs swapped", mode_reflect},
    {"fwd", "forward between two virtio-net NICs", mode_fwd},
    {"benchgen", "RFC 2544 search against a benchsink VM", mode_benchgen},
    {"benchsink", "count and time benchgen's trials", mode_benchsink},
    {"pci-probe", "BAR, DMA and MSI-X on a passthrough test function", mode_pci_probe},
    {"memprobe", "write and read back pages of every RAM range", mode_memprobe},
    {"serial_flood", "hostile: flood COM1 for ms=", mode_serial_flood},
    {"notify_spin", "hostile: spin on virtio notify registers", mode_notify_spin},
    {"msix_garbage", "hostile: program MSI-X with garbage", mode_msix_garbage},
    {"pci_garbage", "hostile: garbage to PCI config space and BARs", mode_pci_garbage},
};

static const struct mode *find_mode(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return 0;
}

static void print_modes(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++)
		printk(i ? "|%s" : "%s", modes[i].name);
}

/* The CPUs to start: the MADT's, else the MP table's, else the BSP alone. */
static void find_cpus(void)
{
	struct cpu_list *c = &sysinfo.cpus;
	struct cpu_list mp;
	int mp_ok;

	memset(&mp, 0, sizeof(mp));
	mp_ok = !mptable_cpus(&mp, &sysinfo.mp_fps) && mp.count;
	memset(c, 0, sizeof(*c));
	if (!sysinfo.acpi_err && !acpi_cpus(c) && c->count)
		return;
	memset(c, 0, sizeof(*c));
	if (mp_ok) {
		*c = mp;
		return;
	}
	c->source = "none";
}

void kmain(unsigned int kind, uint64_t info)
{
	char mode_name[32];
	const struct mode *mode;
	uint64_t top, ap_timeout, smp_on;
	int err;

	serial_init();
	paging_init();
	idt_init();
	if (bootinfo_parse(kind, info))
		power_off();
	top = e820_ram_top(boot_info.e820, boot_info.e820_count);
	if (top > (4ull << 30)) {
		if (top > RAM_MAP_LIMIT)
			top = RAM_MAP_LIMIT;
		err = paging_map(4ull << 30, top - (4ull << 30), 0);
		if (err)
			printk("nfguest: cannot map RAM 4 GiB..0x%lx (error %d); it stays unused\n",
			       (unsigned long)top, err);
	}
	sysinfo.mem_mb = e820_mem_mb(boot_info.e820, boot_info.e820_count);
	timer_init();
	sysinfo.acpi_err = acpi_init(boot_info.rsdp);
	find_cpus();

	err = cmdline_get(boot_info.cmdline, "mode", mode_name, sizeof(mode_name));
	if (err == -ENOENT)
		memcpy(mode_name, "hello", 6);
	mode = err == -E2BIG ? 0 : find_mode(mode_name);
	if (!mode) {
		printk("nfguest: unknown mode=%s; expected one of ", mode_name);
		print_modes();
		printk("\n");
		power_off();
	}
	if (mode_arg_u64("ap_timeout_ms", AP_TIMEOUT_MS, 1, 600000, &ap_timeout) ||
	    mode_arg_u64("smp", 1, 0, 1, &smp_on))
		power_off();
	if (smp_on)
		smp_start(&sysinfo.cpus, (unsigned int)ap_timeout, &sysinfo.smp);
	sysinfo.cpus_up = 1 + sysinfo.smp.online;
	mode->run();
	power_off();
}

/* SPDX-License-Identifier: MIT */
#include "guest/acpi.h"
#include "guest/errno.h"
#include "guest/io.h"
#include "guest/lib.h"
#include "guest/paging.h"

#define TABLE_MAX	  (1u << 20) /* no table we read is bigger than 1 MiB */
#define SDT_ENTRIES_MAX	  256
#define S5_DEFAULT	  5
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN	  (1u << 13)
#define SLEEP_TYP_SHIFT	  2
#define SLEEP_EN	  (1u << 5)

static struct acpi_state acpi = {.s5_typ = S5_DEFAULT, .s5_source = "default"};

const struct acpi_state *acpi_get(void)
{
	return &acpi;
}

/* Length of the valid table at addr (mapped, length sane, checksum ok),
 * or 0. */
static uint32_t table_ok(uint64_t addr, uint32_t max)
{
	const uint8_t *p = phys_ptr(addr);
	uint32_t len;

	if (!addr || !paging_mapped(addr, ACPI_HDR_LEN))
		return 0;
	len = acpi_table_len(p, max);
	if (!len || !paging_mapped(addr, len) || !acpi_checksum_ok(p, len))
		return 0;
	return len;
}

static int rsdp_at(uint64_t addr, size_t avail)
{
	uint64_t rsdt, xsdt;

	if (!paging_mapped(addr, avail))
		return 0;
	if (acpi_rsdp_parse(phys_ptr(addr), avail, &rsdt, &xsdt))
		return 0;
	acpi.rsdp = addr;
	acpi.rsdt = rsdt;
	acpi.xsdt = xsdt;
	return 1;
}

static uint64_t scan_range(uint64_t start, uint64_t len)
{
	uint64_t a;

	for (a = start; a + ACPI_RSDP_V2 <= start + len; a += 16) {
		uint64_t rsdt, xsdt;

		if (!acpi_rsdp_parse(phys_ptr(a), ACPI_RSDP_V2, &rsdt, &xsdt))
			return a;
	}
	return 0;
}

uint64_t acpi_scan_rsdp(void)
{
	uint64_t ebda = (uint64_t) * (volatile uint16_t *)phys_ptr(0x40e) << 4;
	uint64_t a = 0;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		a = scan_range(ebda, 1024);
	if (!a)
		a = scan_range(0xe0000, 0x20000);
	return a;
}

static void record(uint64_t addr, uint32_t len)
{
	const char *sig = phys_ptr(addr);

	acpi.tables++;
	if (!memcmp(sig, "FACP", 4) && !acpi.fadt) {
		acpi.fadt = addr;
		acpi.have_fadt = !acpi_fadt_parse(phys_ptr(addr), len, &acpi.fadt_info);
	} else if (!memcmp(sig, "APIC", 4) && !acpi.madt) {
		acpi.madt = addr;
	} else if (!memcmp(sig, "MCFG", 4) && !acpi.mcfg) {
		acpi.mcfg = addr;
	}
}

static void find_s5(void)
{
	uint32_t len;
	uint8_t typ;

	if (!acpi.have_fadt)
		return;
	len = table_ok(acpi.fadt_info.dsdt, TABLE_MAX);
	if (!len)
		return;
	acpi.dsdt = acpi.fadt_info.dsdt;
	if (!acpi_aml_find_s5(phys_ptr(acpi.dsdt), len, &typ)) {
		acpi.s5_typ = typ & 7;
		acpi.s5_source = "dsdt";
	}
}

int acpi_init(uint64_t rsdp_hint)
{
	uint64_t sdt;
	uint32_t len, i;
	int x;

	if (!(rsdp_hint && rsdp_at(rsdp_hint, ACPI_RSDP_V2)) &&
	    !(rsdp_hint && rsdp_at(rsdp_hint, ACPI_RSDP_V1))) {
		uint64_t a = acpi_scan_rsdp();

		if (!a || !rsdp_at(a, ACPI_RSDP_V2))
			return -ENODEV;
	}
	x = acpi.xsdt && table_ok(acpi.xsdt, TABLE_MAX);
	sdt = x ? acpi.xsdt : acpi.rsdt;
	len = table_ok(sdt, TABLE_MAX);
	if (!len)
		return 0;
	for (i = 0; i < SDT_ENTRIES_MAX; i++) {
		uint64_t t = acpi_sdt_entry(phys_ptr(sdt), len, x, i);
		uint32_t tlen;

		if (!t)
			break;
		tlen = table_ok(t, TABLE_MAX);
		if (!tlen) {
			acpi.rejected++;
			continue;
		}
		record(t, tlen);
	}
	find_s5();
	return 0;
}

int acpi_cpus(struct cpu_list *out)
{
	uint32_t len;

	if (!acpi.madt)
		return -ENODEV;
	len = table_ok(acpi.madt, TABLE_MAX);
	if (!len || acpi_madt_parse(phys_ptr(acpi.madt), len, out))
		return -ENODEV;
	out->source = "madt";
	return 0;
}

static void gas_write8(const struct acpi_gas *g, uint8_t v)
{
	if (g->space == ACPI_GAS_IO && g->address < 0x10000)
		outb((uint16_t)g->address, v);
	else if (g->space == ACPI_GAS_MEMORY && paging_mapped(g->address, 1))
		mmio_write8(g->address, v);
}

int acpi_poweroff(void)
{
	const struct acpi_fadt_info *f = &acpi.fadt_info;
	uint16_t v;

	if (!acpi.have_fadt)
		return -ENODEV;
	if (f->pm1a_cnt) {
		v = inw((uint16_t)f->pm1a_cnt);
		v = (uint16_t)((v & ~(7u << PM1_SLP_TYP_SHIFT)) |
			       (uint32_t)acpi.s5_typ << PM1_SLP_TYP_SHIFT | PM1_SLP_EN);
		outw((uint16_t)f->pm1a_cnt, v);
		if (f->pm1b_cnt)
			outw((uint16_t)f->pm1b_cnt, v);
		return 0;
	}
	if (f->sleep_ctl.address) {
		gas_write8(&f->sleep_ctl, (uint8_t)((acpi.s5_typ << SLEEP_TYP_SHIFT) | SLEEP_EN));
		return 0;
	}
	return -ENODEV;
}

int acpi_reset(void)
{
	const struct acpi_fadt_info *f = &acpi.fadt_info;

	if (!acpi.have_fadt || !f->have_reset)
		return -ENODEV;
	gas_write8(&f->reset_reg, f->reset_value);
	return 0;
}

// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#define LOG_PREFIX "acpi"
#include "common/log.h"
#include "vmm/acpi.h"
#include "vmm/layout.h"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_revision;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6 is 276 bytes");

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");

struct madt_lapic {
	uint8_t type, length, processor_uid, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_iso {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length, processor_uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

struct mcfg_alloc {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __attribute__((packed));

enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4 };

#define ACPI_PM1_EVT_LEN    4 /* PM1a_STS (2) + PM1a_EN (2) */
#define ACPI_PM1_CNT_LEN    2
#define GAS_IO		    1
#define FADT_WBINVD	    (1u << 0)
#define FADT_PROC_C1	    (1u << 2)
#define FADT_PWR_BUTTON	    (1u << 4) /* no fixed-feature power button */
#define FADT_SLP_BUTTON	    (1u << 5) /* no fixed-feature sleep button */
#define FADT_FIX_RTC	    (1u << 6)
#define FADT_RESET_REG_SUP  (1u << 10)
#define BOOT_ARCH_8042	    (1u << 1)
#define BOOT_ARCH_NO_VGA    (1u << 2)
#define MADT_PCAT_COMPAT    1u
#define MADT_ENABLED	    1u
#define MPS_INTI_HIGH_LEVEL 0x000d   /* polarity active high (01), trigger level (11) */
#define KVM_SIGNATURE_ID    0x4d564b /* "KVM" */

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *b++);
	return (uint8_t)-sum;
}

size_t aml_pkglen(uint8_t out[4], size_t body_len)
{
	size_t total;
	unsigned n, i;

	/* The PkgLength value includes its own 1-4 bytes. */
	if (body_len + 1 <= 0x3f) {
		out[0] = (uint8_t)(body_len + 1);
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		total = body_len + n;
		if (total < (1ull << (4 + 8 * (n - 1)))) {
			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
			for (i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return 0;
}

/* Name(\_S5, Package(4) { 5, 5, 0, 0 }) */
static const uint8_t dsdt_s5[] = {
    0x08, '_',	'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP,
    0x00, 0x00,
};

static void header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "NFVSOR", 6);
	memcpy(h->oem_table_id, "NFVISOR ", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "NFVS", 4);
	h->creator_revision = 1;
}

static void finish(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
}

static struct acpi_gas io_gas(uint16_t port, uint8_t bytes)
{
	struct acpi_gas g = {
	    .space_id = GAS_IO,
	    .bit_width = (uint8_t)(bytes * 8),
	    .access_size = (uint8_t)(bytes == 1	  ? 1
				     : bytes == 2 ? 2
						  : 3),
	    .address = port,
	};
	return g;
}

static uint64_t align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void fill_fadt(struct acpi_fadt *f, uint64_t facs, uint64_t dsdt)
{
	header(&f->h, "FACP", sizeof(*f), 6);
	f->firmware_ctrl = (uint32_t)facs;
	f->dsdt = (uint32_t)dsdt;
	f->x_dsdt = dsdt;
	f->sci_int = IRQ_ACPI_SCI;
	/* SMI_CMD 0: no legacy mode, the OS finds SCI_EN already set. */
	f->pm1a_evt_blk = PORT_ACPI_PM1A_EVT;
	f->pm1a_cnt_blk = PORT_ACPI_PM1A_CNT;
	f->pm1_evt_len = ACPI_PM1_EVT_LEN;
	f->pm1_cnt_len = ACPI_PM1_CNT_LEN;
	f->x_pm1a_evt_blk = io_gas(PORT_ACPI_PM1A_EVT, ACPI_PM1_EVT_LEN);
	f->x_pm1a_cnt_blk = io_gas(PORT_ACPI_PM1A_CNT, ACPI_PM1_CNT_LEN);
	/* Latencies above 100/1000 us mean C2/C3 are not supported. */
	f->p_lvl2_lat = 101;
	f->p_lvl3_lat = 1001;
	f->iapc_boot_arch = BOOT_ARCH_8042 | BOOT_ARCH_NO_VGA;
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_FIX_RTC |
		   FADT_RESET_REG_SUP;
	f->reset_reg = io_gas(ACPI_RESET_PORT, 1);
	f->reset_value = ACPI_RESET_VALUE;
	f->minor_revision = 0;
	f->hypervisor_vendor_id = KVM_SIGNATURE_ID;
	finish(&f->h);
}

static size_t madt_len(unsigned ncpus)
{
	return sizeof(struct acpi_header) + 8 + ncpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_iso) +
	       sizeof(struct madt_lapic_nmi);
}

static void fill_madt(uint8_t *t, const struct acpi_config *cfg)
{
	struct acpi_header *h = (struct acpi_header *)t;
	uint8_t *p = t + sizeof(*h);
	uint32_t lapic = (uint32_t)LAPIC_ADDR, flags = MADT_PCAT_COMPAT;
	struct madt_ioapic io = {MADT_IOAPIC,		sizeof(io), (uint8_t)cfg->ioapic_id, 0,
				 (uint32_t)IOAPIC_ADDR, 0};
	struct madt_iso iso[2] = {
	    {MADT_ISO, sizeof(struct madt_iso), 0, 0, 2, 0},
	    {MADT_ISO, sizeof(struct madt_iso), 0, IRQ_ACPI_SCI, IRQ_ACPI_SCI, MPS_INTI_HIGH_LEVEL},
	};
	struct madt_lapic_nmi nmi = {MADT_LAPIC_NMI, sizeof(nmi), 0xff, 0, 1};
	unsigned i;

	header(h, "APIC", (uint32_t)madt_len(cfg->ncpus), 4);
	memcpy(p, &lapic, 4);
	memcpy(p + 4, &flags, 4);
	p += 8;
	for (i = 0; i < cfg->ncpus; i++) {
		struct madt_lapic l = {MADT_LAPIC, sizeof(l), (uint8_t)i, (uint8_t)i, MADT_ENABLED};

		memcpy(p, &l, sizeof(l));
		p += sizeof(l);
	}
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	memcpy(p, iso, sizeof(iso));
	p += sizeof(iso);
	memcpy(p, &nmi, sizeof(nmi));
	finish(h);
}

int acpi_write(struct guest_mem *mem, const struct acpi_config *cfg)
{
	uint64_t rsdt, xsdt, fadt, facs, dsdt, madt, mcfg, end;
	size_t dsdt_len, mcfg_len, n_tables = 3;
	struct acpi_rsdp *rsdp;
	struct acpi_header *h;
	uint8_t *area;
	uint64_t tables[3];
	uint32_t tables32[3];
	unsigned i;

	if (cfg->ncpus == 0 || cfg->ncpus > 255)
		return -EINVAL;
	if (cfg->dsdt_aml_len && !cfg->dsdt_aml)
		return -EINVAL;

	rsdt = ACPI_TABLES_ADDR;
	xsdt = align(rsdt + sizeof(*h) + 4 * n_tables, 16);
	fadt = align(xsdt + sizeof(*h) + 8 * n_tables, 16);
	facs = align(fadt + sizeof(struct acpi_fadt), 64);
	madt = align(facs + sizeof(struct acpi_facs), 16);
	mcfg_len = sizeof(*h) + 8 + sizeof(struct mcfg_alloc);
	mcfg = align(madt + madt_len(cfg->ncpus), 16);
	dsdt = align(mcfg + mcfg_len, 16);
	dsdt_len = sizeof(*h) + sizeof(dsdt_s5) + cfg->dsdt_aml_len;
	end = dsdt + dsdt_len;
	if (cfg->dsdt_aml_len > ACPI_AREA_END || end > ACPI_AREA_END) {
		pr_err("DSDT AML of %zu bytes does not fit: %llu bytes are free for it in "
		       "[0x%llx, 0x%llx)",
		       cfg->dsdt_aml_len,
		       (unsigned long long)(ACPI_AREA_END - dsdt - sizeof(*h) - sizeof(dsdt_s5)),
		       (unsigned long long)dsdt, (unsigned long long)ACPI_AREA_END);
		return -E2BIG;
	}
	area = guest_mem_ptr(mem, RSDP_ADDR, ACPI_AREA_END - RSDP_ADDR);
	if (!area)
		return -EFAULT;
	memset(area, 0, ACPI_AREA_END - RSDP_ADDR);
#define AT(gpa) (area + ((gpa)-RSDP_ADDR))

	/* DSDT: \_S5 then the caller's AML. */
	h = (struct acpi_header *)AT(dsdt);
	header(h, "DSDT", (uint32_t)dsdt_len, 2);
	memcpy(AT(dsdt) + sizeof(*h), dsdt_s5, sizeof(dsdt_s5));
	if (cfg->dsdt_aml_len)
		memcpy(AT(dsdt) + sizeof(*h) + sizeof(dsdt_s5), cfg->dsdt_aml, cfg->dsdt_aml_len);
	finish(h);

	{
		struct acpi_facs *f = (struct acpi_facs *)AT(facs);

		memcpy(f->signature, "FACS", 4);
		f->length = sizeof(*f);
		f->version = 2;
	}
	fill_fadt((struct acpi_fadt *)AT(fadt), facs, dsdt);
	fill_madt(AT(madt), cfg);

	h = (struct acpi_header *)AT(mcfg);
	header(h, "MCFG", (uint32_t)mcfg_len, 1);
	{
		struct mcfg_alloc a = {PCI_ECAM_BASE, 0, 0, (uint8_t)((PCI_ECAM_SIZE >> 20) - 1),
				       0};

		memcpy(AT(mcfg) + sizeof(*h) + 8, &a, sizeof(a));
	}
	finish(h);

	tables[0] = fadt;
	tables[1] = madt;
	tables[2] = mcfg;
	for (i = 0; i < n_tables; i++)
		tables32[i] = (uint32_t)tables[i];
	h = (struct acpi_header *)AT(rsdt);
	header(h, "RSDT", (uint32_t)(sizeof(*h) + 4 * n_tables), 1);
	memcpy(AT(rsdt) + sizeof(*h), tables32, sizeof(tables32));
	finish(h);
	h = (struct acpi_header *)AT(xsdt);
	header(h, "XSDT", (uint32_t)(sizeof(*h) + 8 * n_tables), 1);
	memcpy(AT(xsdt) + sizeof(*h), tables, sizeof(tables));
	finish(h);

	rsdp = (struct acpi_rsdp *)AT(RSDP_ADDR);
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "NFVSOR", 6);
	rsdp->revision = 2;
	rsdp->rsdt_address = (uint32_t)rsdt;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt;
	rsdp->checksum = acpi_checksum(rsdp, 20);
	rsdp->ext_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
#undef AT
	return 0;
}

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
	unsigned n, i;

	/* The PkgLength value includes its own 1-4 bytes. */
	if (body_len + 1 <= 0x3f) {
		out[0] = (uint8_t)(body_len + 1);
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		size_t total = body_len + n;

		if (total < (1ull << (4 + 8 * (n - 1)))) {
			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
			for (i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return 0;
}

/* ---- A small AML writer for the PCI0/MRES devices ---- */

#define AML_MAX_DEPTH 4

struct aml {
	uint8_t buf[1024];
	size_t len;
	size_t open[AML_MAX_DEPTH]; /* offsets where a PkgLength goes */
	unsigned depth;
	bool overflow;
};

static void aml_put(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > sizeof(a->buf) - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_put(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
	while (n--) {
		aml_byte(a, (uint8_t)v);
		v >>= 8;
	}
}

static void aml_integer(struct aml *a, uint64_t v)
{
	if (v <= 1) {
		aml_byte(a, (uint8_t)v); /* ZeroOp / OneOp */
	} else if (v <= 0xff) {
		aml_byte(a, 0x0a);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, 0x0b);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffffu) {
		aml_byte(a, 0x0c);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, 0x0e);
		aml_le(a, v, 8);
	}
}

/* Open a PkgLength-prefixed object: the opcode bytes, then a placeholder. */
static void aml_open(struct aml *a, const uint8_t *op, size_t oplen)
{
	aml_put(a, op, oplen);
	if (a->depth == AML_MAX_DEPTH) {
		a->overflow = true;
		return;
	}
	a->open[a->depth++] = a->len;
}

/* Close the innermost object: insert its PkgLength before the body. */
static void aml_close(struct aml *a)
{
	uint8_t pl[4];
	size_t start, body, n;

	if (a->overflow || a->depth == 0) {
		a->overflow = true;
		return;
	}
	start = a->open[--a->depth];
	body = a->len - start;
	n = aml_pkglen(pl, body);
	if (n == 0 || n > sizeof(a->buf) - a->len) {
		a->overflow = true;
		return;
	}
	memmove(a->buf + start + n, a->buf + start, body);
	memcpy(a->buf + start, pl, n);
	a->len += n;
}

static void aml_scope(struct aml *a, const char *name)
{
	static const uint8_t op = 0x10;

	aml_open(a, &op, 1);
	aml_put(a, name, strlen(name));
}

static void aml_device(struct aml *a, const char *seg)
{
	static const uint8_t op[] = {0x5b, 0x82}; /* ExtOpPrefix DeviceOp */

	aml_open(a, op, sizeof(op));
	aml_put(a, seg, 4);
}

static void aml_name_int(struct aml *a, const char *seg, uint64_t v)
{
	aml_byte(a, 0x08); /* NameOp */
	aml_put(a, seg, 4);
	aml_integer(a, v);
}

/* EISAID("PNP0A08"): three 5-bit letters and four hex digits, big endian. */
static uint32_t eisaid(const char *id)
{
	uint32_t v = (uint32_t)((id[0] - '@') & 0x1f) << 26 |
		     (uint32_t)((id[1] - '@') & 0x1f) << 21 |
		     (uint32_t)((id[2] - '@') & 0x1f) << 16;
	unsigned i;

	for (i = 3; i < 7; i++) {
		char c = id[i];

		v |= (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10) << (4 * (6 - i));
	}
	return __builtin_bswap32(v);
}

/* Resource descriptors (ACPI 6.4, 6.4.3). */
#define RES_PRODUCER_FIXED 0x0c /* producer, MinFixed, MaxFixed, positive decode */

static void res_word(struct aml *a, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
	aml_byte(a, 0x88);
	aml_le(a, 13, 2);
	aml_byte(a, type);
	aml_byte(a, RES_PRODUCER_FIXED);
	aml_byte(a, tflags);
	aml_le(a, 0, 2); /* granularity */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_le(a, 0, 2); /* translation */
	aml_le(a, (uint32_t)max - min + 1, 2);
}

static void res_dword_mem(struct aml *a, uint8_t tflags, uint32_t min, uint32_t max)
{
	aml_byte(a, 0x87);
	aml_le(a, 23, 2);
	aml_byte(a, 0); /* memory */
	aml_byte(a, RES_PRODUCER_FIXED);
	aml_byte(a, tflags);
	aml_le(a, 0, 4);
	aml_le(a, min, 4);
	aml_le(a, max, 4);
	aml_le(a, 0, 4);
	aml_le(a, (uint64_t)max - min + 1, 4);
}

static void res_qword_mem(struct aml *a, uint8_t tflags, uint64_t min, uint64_t len)
{
	aml_byte(a, 0x8a);
	aml_le(a, 43, 2);
	aml_byte(a, 0);
	aml_byte(a, RES_PRODUCER_FIXED);
	aml_byte(a, tflags);
	aml_le(a, 0, 8);
	aml_le(a, min, 8);
	aml_le(a, min + len - 1, 8);
	aml_le(a, 0, 8);
	aml_le(a, len, 8);
}

#define MEM_RW		0x01
#define MEM_PREFETCH_RW 0x07 /* prefetchable, read/write */
#define IO_ENTIRE_RANGE 0x03
#define RES_TYPE_MEM	0
#define RES_TYPE_IO	1
#define RES_TYPE_BUS	2

/* Name(_CRS, ResourceTemplate() { ... }) around the descriptors fn writes. */
static void aml_crs_open(struct aml *a)
{
	static const uint8_t op = 0x11; /* BufferOp */

	aml_byte(a, 0x08);
	aml_put(a, "_CRS", 4);
	aml_open(a, &op, 1);
	/* BufferSize: patched by aml_crs_close; a WordConst keeps it fixed-size. */
	aml_byte(a, 0x0b);
	aml_le(a, 0, 2);
}

static void aml_crs_close(struct aml *a)
{
	size_t start;

	aml_byte(a, 0x79); /* EndTag, checksum 0 = "assume correct" */
	aml_byte(a, 0x00);
	if (a->overflow || a->depth == 0)
		return;
	start = a->open[a->depth - 1];
	/* Bytes after the 3-byte WordConst: the descriptors and the EndTag. */
	a->buf[start + 1] = (uint8_t)(a->len - start - 3);
	a->buf[start + 2] = (uint8_t)((a->len - start - 3) >> 8);
	aml_close(a);
}

/* \_SB.PCI0 and \_SB.MRES. Returns the byte count, 0 if the buffer is short. */
static size_t build_pci_aml(struct aml *a, const struct acpi_config *cfg)
{
	memset(a, 0, sizeof(*a));
	aml_scope(a, "\\_SB_");

	aml_device(a, "PCI0");
	aml_byte(a, 0x08);
	aml_put(a, "_HID", 4);
	aml_integer(a, eisaid("PNP0A08"));
	aml_byte(a, 0x08);
	aml_put(a, "_CID", 4);
	aml_integer(a, eisaid("PNP0A03"));
	aml_name_int(a, "_ADR", 0);
	aml_name_int(a, "_UID", 0);
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_BBN", 0);
	aml_crs_open(a);
	res_word(a, RES_TYPE_BUS, 0, 0, PCI_LAST_BUS);
	/* IO(Decode16, 0xCF8, 0xCF8, 1, 8): the config mechanism itself. */
	aml_byte(a, 0x47);
	aml_byte(a, 0x01);
	aml_le(a, PORT_PCI_CONFIG, 2);
	aml_le(a, PORT_PCI_CONFIG, 2);
	aml_byte(a, 1);
	aml_byte(a, 8);
	res_word(a, RES_TYPE_IO, IO_ENTIRE_RANGE, 0, PORT_PCI_CONFIG - 1);
	res_word(a, RES_TYPE_IO, IO_ENTIRE_RANGE, PORT_PCI_CONFIG + 8, 0xffff);
	res_dword_mem(a, MEM_RW, (uint32_t)PCI_MMIO32_BASE, (uint32_t)(PCI_MMIO32_END - 1));
	if (cfg->pci_mmio64_size)
		res_qword_mem(a, MEM_PREFETCH_RW, cfg->pci_mmio64_base, cfg->pci_mmio64_size);
	aml_crs_close(a);
	aml_close(a); /* PCI0 */

	/* Motherboard resources: the ECAM, so MMCONFIG is trusted. */
	aml_device(a, "MRES");
	aml_byte(a, 0x08);
	aml_put(a, "_HID", 4);
	aml_integer(a, eisaid("PNP0C02"));
	aml_name_int(a, "_UID", 1);
	aml_crs_open(a);
	aml_byte(a, 0x86); /* Memory32Fixed(ReadWrite, base, length) */
	aml_le(a, 9, 2);
	aml_byte(a, 1);
	aml_le(a, PCI_ECAM_BASE, 4);
	aml_le(a, PCI_ECAM_SIZE, 4);
	aml_crs_close(a);
	aml_close(a); /* MRES */

	aml_close(a); /* \_SB */
	return a->overflow || a->depth ? 0 : a->len;
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
	size_t dsdt_len, mcfg_len, pci_len, n_tables = 3;
	struct aml pci_aml;
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
	pci_len = 0;
	if (cfg->pci) {
		pci_len = build_pci_aml(&pci_aml, cfg);
		if (!pci_len)
			return -E2BIG;
	}
	dsdt_len = sizeof(*h) + sizeof(dsdt_s5) + pci_len + cfg->dsdt_aml_len;
	end = dsdt + dsdt_len;
	if (cfg->dsdt_aml_len > ACPI_AREA_END || end > ACPI_AREA_END) {
		pr_err("DSDT AML of %zu bytes does not fit: %llu bytes are free for it in "
		       "[0x%llx, 0x%llx)",
		       cfg->dsdt_aml_len,
		       (unsigned long long)(ACPI_AREA_END - dsdt - sizeof(*h) - sizeof(dsdt_s5) -
					    pci_len),
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
	memcpy(AT(dsdt) + sizeof(*h) + sizeof(dsdt_s5), pci_aml.buf, pci_len);
	if (cfg->dsdt_aml_len)
		memcpy(AT(dsdt) + sizeof(*h) + sizeof(dsdt_s5) + pci_len, cfg->dsdt_aml,
		       cfg->dsdt_aml_len);
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
		struct mcfg_alloc a = {PCI_ECAM_BASE, 0, 0, PCI_LAST_BUS, 0};

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

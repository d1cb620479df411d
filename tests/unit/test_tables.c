// SPDX-License-Identifier: MIT
/* MP and ACPI tables: written into real guest memory, then parsed back the
 * way a guest would (signatures, checksums, entry counts, values). */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/acpi.h"
#include "vmm/layout.h"
#include "vmm/mem.h"
#include "vmm/mptable.h"

static struct guest_mem *mem;

static int setup(void **state)
{
	return guest_mem_create(4 << 20, HUGEPAGES_NONE, &mem);
}

static int teardown(void **state)
{
	guest_mem_destroy(mem);
	return 0;
}

static const uint8_t *gp(uint64_t gpa, uint64_t len)
{
	const uint8_t *p = guest_mem_ptr(mem, gpa, len);

	assert_non_null(p);
	return p;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint16_t u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t u32(const uint8_t *p)
{
	return u16(p) | (uint32_t)u16(p + 2) << 16;
}

static uint64_t u64(const uint8_t *p)
{
	return u32(p) | (uint64_t)u32(p + 4) << 32;
}

static void check_mptable(unsigned n)
{
	const uint8_t *mpf, *mpc, *p;
	unsigned i, count[5] = {0}, bsp = 0, irq_seen = 0;
	uint16_t len, entries;

	memset(guest_mem_ptr(mem, EBDA_ADDR, BIOS_AREA_START - EBDA_ADDR), 0xaa,
	       BIOS_AREA_START - EBDA_ADDR);
	assert_int_equal(mptable_write(mem, n), 0);
	mpf = gp(EBDA_ADDR, 16);
	assert_memory_equal(mpf, "_MP_", 4);
	assert_int_equal(sum(mpf, 16), 0);
	assert_int_equal(mpf[8], 1);  /* length in paragraphs */
	assert_int_equal(mpf[9], 4);  /* spec 1.4 */
	assert_int_equal(mpf[11], 0); /* feature 1: config table present */

	mpc = gp(u32(mpf + 4), 44);
	assert_memory_equal(mpc, "PCMP", 4);
	len = u16(mpc + 4);
	entries = u16(mpc + 34);
	assert_int_equal(len + 16, mptable_size(n));
	assert_true(u32(mpf + 4) + len <= BIOS_AREA_START);
	mpc = gp(u32(mpf + 4), len);
	assert_int_equal(sum(mpc, len), 0);
	assert_int_equal(u32(mpc + 36), LAPIC_ADDR);

	p = mpc + 44;
	for (i = 0; i < entries; i++) {
		assert_true(p < mpc + len);
		assert_true(p[0] <= 4);
		count[p[0]]++;
		switch (p[0]) {
		case 0:					      /* processor */
			assert_int_equal(p[1], count[0] - 1); /* APIC IDs 0..n-1 in order */
			assert_true(p[3] & 1);
			if (p[3] & 2) {
				bsp++;
				assert_int_equal(p[1], 0);
			}
			p += 20;
			break;
		case 1:
			assert_true(memcmp(p + 2, "ISA   ", 6) == 0 ||
				    memcmp(p + 2, "PCI   ", 6) == 0);
			p += 8;
			break;
		case 2:
			assert_int_equal(p[1], mptable_ioapic_id(n));
			assert_true(p[1] >= n); /* distinct from every LAPIC ID */
			assert_int_equal(p[3] & 1, 1);
			assert_int_equal(u32(p + 4), IOAPIC_ADDR);
			p += 8;
			break;
		case 3: /* I/O interrupt: ISA IRQ -> IOAPIC pin */
			assert_int_equal(p[4], MPTABLE_BUS_ISA);
			assert_int_equal(p[6], mptable_ioapic_id(n));
			assert_int_equal(p[7], p[5] == 0 ? 2 : p[5]);
			assert_int_not_equal(p[5], 2);
			irq_seen |= 1u << p[5];
			p += 8;
			break;
		case 4: /* local interrupt: ExtINT on LINT0, NMI on LINT1 */
			assert_int_equal(p[1], p[7] == 0 ? 3 : 1);
			assert_int_equal(p[6], 0xff);
			p += 8;
			break;
		}
	}
	assert_ptr_equal(p, mpc + len);
	assert_int_equal(count[0], n);
	assert_int_equal(bsp, 1);
	assert_int_equal(count[1], 2);
	assert_int_equal(count[2], 1);
	assert_int_equal(count[3], MPTABLE_ISA_IRQS);
	assert_int_equal(irq_seen, 0xfffb);
	assert_int_equal(count[4], 2);
}

static void test_mptable(void **state)
{
	static const unsigned counts[] = {1, 2, 3, 8, 64, 255};
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		check_mptable(counts[i]);
	assert_int_equal(mptable_write(mem, 0), -EINVAL);
	assert_int_equal(mptable_write(mem, 256), -EINVAL);
}

/* A valid ACPI table at gpa with signature sig; returns it and its length. */
static const uint8_t *table(uint64_t gpa, const char *sig, uint32_t *len)
{
	const uint8_t *t = gp(gpa, 36);

	assert_memory_equal(t, sig, 4);
	*len = u32(t + 4);
	assert_true(*len >= 36);
	t = gp(gpa, *len);
	assert_int_equal(sum(t, *len), 0);
	assert_true(gpa >= RSDP_ADDR && gpa + *len <= ACPI_AREA_END);
	return t;
}

static const uint8_t s5_aml[] = {0x08, '_',  'S', '5',	'_', 0x12, 0x08,
				 0x04, 0x0a, 5,	  0x0a, 5,   0x00, 0x00};

static void check_acpi(unsigned n, const uint8_t *aml, size_t aml_len)
{
	struct acpi_config cfg = {
	    .ncpus = n, .ioapic_id = n, .dsdt_aml = aml, .dsdt_aml_len = aml_len};
	const uint8_t *rsdp, *xsdt, *rsdt, *t, *p;
	uint32_t len, xlen, rlen, i;
	unsigned found = 0, lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	assert_int_equal(acpi_write(mem, &cfg), 0);
	rsdp = gp(RSDP_ADDR, 36);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(u32(rsdp + 20), 36);
	assert_int_equal(sum(rsdp, 36), 0);
	xsdt = table(u64(rsdp + 24), "XSDT", &xlen);
	rsdt = table(u32(rsdp + 16), "RSDT", &rlen);
	assert_int_equal((xlen - 36) / 8, (rlen - 36) / 4);

	for (i = 36; i < xlen; i += 8) {
		uint64_t gpa = u64(xsdt + i);

		assert_int_equal(gpa, u32(rsdt + 36 + (i - 36) / 2));
		t = gp(gpa, 4);
		if (!memcmp(t, "FACP", 4)) {
			const uint8_t *dsdt, *facs;
			uint32_t dlen;

			found |= 1;
			t = table(gpa, "FACP", &len);
			assert_int_equal(len, 276);
			assert_int_equal(t[8], 6); /* revision */
			assert_int_equal(u16(t + 46), IRQ_ACPI_SCI);
			assert_int_equal(u32(t + 48), 0); /* no SMI_CMD: ACPI mode only */
			assert_int_equal(u32(t + 56), PORT_ACPI_PM1A_EVT);
			assert_int_equal(u32(t + 64), PORT_ACPI_PM1A_CNT);
			assert_int_equal(t[88], 4);
			assert_int_equal(t[89], 2);
			assert_true(u16(t + 109) & 2);		 /* 8042 present */
			assert_true(u32(t + 112) & (1u << 10));	 /* RESET_REG_SUP */
			assert_false(u32(t + 112) & (1u << 20)); /* not HW-reduced */
			assert_int_equal(t[116], 1);		 /* reset reg in I/O space */
			assert_int_equal(t[117], 8);
			assert_int_equal(u64(t + 120), ACPI_RESET_PORT);
			assert_int_equal(t[128], ACPI_RESET_VALUE);
			/* X_ blocks agree with the 32-bit ones. */
			assert_int_equal(t[148], 1);
			assert_int_equal(u64(t + 152), PORT_ACPI_PM1A_EVT);
			assert_int_equal(t[172], 1);
			assert_int_equal(u64(t + 176), PORT_ACPI_PM1A_CNT);
			assert_int_equal(u64(t + 140), u32(t + 40));
			dsdt = table(u64(t + 140), "DSDT", &dlen);
			assert_int_equal(dlen, 36 + sizeof(s5_aml) + aml_len);
			assert_memory_equal(dsdt + 36, s5_aml, sizeof(s5_aml));
			if (aml_len)
				assert_memory_equal(dsdt + 36 + sizeof(s5_aml), aml, aml_len);
			assert_int_equal(u32(t + 36) % 64, 0);
			facs = gp(u32(t + 36), 64);
			assert_memory_equal(facs, "FACS", 4);
			assert_int_equal(u32(facs + 4), 64);
		} else if (!memcmp(t, "APIC", 4)) {
			found |= 2;
			t = table(gpa, "APIC", &len);
			assert_int_equal(u32(t + 36), LAPIC_ADDR);
			for (p = t + 44; p < t + len; p += p[1]) {
				assert_true(p[1] >= 2);
				switch (p[0]) {
				case 0:
					assert_int_equal(p[2], lapics);
					assert_int_equal(p[3], lapics);
					assert_int_equal(u32(p + 4), 1);
					lapics++;
					break;
				case 1:
					ioapics++;
					assert_int_equal(p[2], n);
					assert_int_equal(u32(p + 4), IOAPIC_ADDR);
					assert_int_equal(u32(p + 8), 0);
					break;
				case 2:
					isos++;
					if (p[3] == 0) {
						assert_int_equal(u32(p + 4), 2);
					} else {
						assert_int_equal(p[3], IRQ_ACPI_SCI);
						assert_int_equal(u32(p + 4), IRQ_ACPI_SCI);
						assert_int_equal(u16(p + 8), 0xd);
					}
					break;
				case 4:
					nmis++;
					assert_int_equal(p[5], 1);
					break;
				default:
					fail_msg("unexpected MADT entry type %u", p[0]);
				}
			}
			assert_ptr_equal(p, t + len);
		} else if (!memcmp(t, "MCFG", 4)) {
			found |= 4;
			t = table(gpa, "MCFG", &len);
			assert_int_equal(len, 36 + 8 + 16);
			assert_int_equal(u64(t + 44), PCI_ECAM_BASE);
			assert_int_equal(u16(t + 52), 0);
			assert_int_equal(t[54], 0);
			/* Bus 0 only: Linux then probes no empty peer buses. */
			assert_int_equal(t[55], PCI_LAST_BUS);
			assert_int_equal(t[55], 0);
		} else {
			fail_msg("unexpected table %.4s", (const char *)t);
		}
	}
	assert_int_equal(found, 7);
	assert_int_equal(lapics, n);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);
}

static void test_acpi(void **state)
{
	static const uint8_t extra[] = {0x10, 0x05, '_', 'S', 'B', '_'}; /* Scope(\_SB) {} */
	static uint8_t big[0x20000];
	struct acpi_config cfg = {.ncpus = 1, .ioapic_id = 1};

	check_acpi(1, NULL, 0);
	check_acpi(2, extra, sizeof(extra));
	check_acpi(255, extra, sizeof(extra));
	memset(big, 0xa3, 4096);
	check_acpi(4, big, 4096);

	cfg.dsdt_aml = big;
	cfg.dsdt_aml_len = sizeof(big);
	assert_int_equal(acpi_write(mem, &cfg), -E2BIG);
	cfg.dsdt_aml = NULL;
	cfg.dsdt_aml_len = 10;
	assert_int_equal(acpi_write(mem, &cfg), -EINVAL);
	cfg.dsdt_aml_len = 0;
	cfg.ncpus = 0;
	assert_int_equal(acpi_write(mem, &cfg), -EINVAL);
	cfg.ncpus = 256;
	assert_int_equal(acpi_write(mem, &cfg), -EINVAL);
}

static const uint8_t *find(const uint8_t *hay, size_t len, const void *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

/* The DSDT behind RSDP -> XSDT[0] (FADT) -> X_DSDT. */
static const uint8_t *dsdt_of(uint32_t *len)
{
	const uint8_t *rsdp = gp(RSDP_ADDR, 36), *xsdt, *fadt;
	uint32_t l;

	xsdt = table(u64(rsdp + 24), "XSDT", &l);
	fadt = table(u64(xsdt + 36), "FACP", &l);
	return table(u64(fadt + 140), "DSDT", len);
}

static void test_acpi_pci(void **state)
{
	static const uint8_t pnp0a08[] = {0x0c, 0x41, 0xd0, 0x0a, 0x08};
	static const uint8_t pnp0c02[] = {0x0c, 0x41, 0xd0, 0x0c, 0x02};
	/* WordBusNumber(ResourceProducer, MinFixed, MaxFixed, 0..0), length 1. */
	static const uint8_t busnum[] = {0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00,
					 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
	static const uint8_t ecam[] = {0x86, 0x09, 0x00, 0x01, 0x00, 0x00,
				       0x00, 0xe0, 0x00, 0x00, 0x00, 0x10};
	static const uint8_t extra[] = {0x10, 0x05, '_', 'S', 'B', '_'};
	struct acpi_config cfg = {.ncpus = 2,
				  .ioapic_id = 2,
				  .pci = true,
				  .pci_mmio64_base = 8ull << 30,
				  .pci_mmio64_size = 64ull << 30,
				  .dsdt_aml = extra,
				  .dsdt_aml_len = sizeof(extra)};
	uint64_t qmin = 8ull << 30;
	const uint8_t *d, *q;
	uint32_t len, len_no64;

	assert_int_equal(acpi_write(mem, &cfg), 0);
	d = dsdt_of(&len);
	assert_memory_equal(d + 36, s5_aml, sizeof(s5_aml));
	assert_non_null(find(d, len, "PCI0", 4));
	assert_non_null(find(d, len, "MRES", 4));
	assert_non_null(find(d, len, pnp0a08, sizeof(pnp0a08)));
	assert_non_null(find(d, len, pnp0c02, sizeof(pnp0c02)));
	assert_non_null(find(d, len, busnum, sizeof(busnum)));
	assert_non_null(find(d, len, ecam, sizeof(ecam)));
	q = find(d, len, "\x8a\x2b\x00", 3); /* QWordMemory */
	assert_non_null(q);
	assert_int_equal(u64(q + 14), qmin);
	assert_int_equal(u64(q + 22), qmin + (64ull << 30) - 1);
	/* The caller's AML comes last. */
	assert_memory_equal(d + len - sizeof(extra), extra, sizeof(extra));

	cfg.pci_mmio64_size = 0;
	assert_int_equal(acpi_write(mem, &cfg), 0);
	d = dsdt_of(&len_no64);
	assert_int_equal(len_no64, len - 46);
	assert_null(find(d, len_no64, "\x8a\x2b\x00", 3));
}

static void test_pkglen(void **state)
{
	uint8_t b[4];

	assert_int_equal(aml_pkglen(b, 0), 1);
	assert_int_equal(b[0], 1);
	assert_int_equal(aml_pkglen(b, 62), 1);
	assert_int_equal(b[0], 63);
	/* 63 + 2 = 65 = 0x41: lead 0x41 (1 follow byte, low nibble 1), then 0x04. */
	assert_int_equal(aml_pkglen(b, 63), 2);
	assert_int_equal(b[0], 0x41);
	assert_int_equal(b[1], 0x04);
	assert_int_equal(aml_pkglen(b, 0xffd), 2); /* 0xfff */
	assert_int_equal(aml_pkglen(b, 0xffe), 3); /* 0x1001 */
	assert_int_equal(b[0], 0x81);
	assert_int_equal(b[1], 0x00);
	assert_int_equal(b[2], 0x01);
	assert_int_equal(aml_pkglen(b, 0xffffc), 3);
	assert_int_equal(aml_pkglen(b, 0xffffd), 4);
	assert_int_equal(aml_pkglen(b, 0xfffffff), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mptable),
	    cmocka_unit_test(test_acpi),
	    cmocka_unit_test(test_acpi_pci),
	    cmocka_unit_test(test_pkglen),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

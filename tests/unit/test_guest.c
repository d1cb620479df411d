/* SPDX-License-Identifier: MIT */
/* Unit tests for nfguest's pure modules: printf engine, command line, E820
 * arithmetic, ACPI and MP table decoding (including malformed tables). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "guest/acpi_tables.h"
#include "guest/cmdline.h"
#include "guest/e820.h"
#include "guest/format.h"
#include "guest/mp_tables.h"
#include "guest/virtio.h"

static void test_format(void **state)
{
	char b[128];

	(void)state;
	assert_int_equal(fmt_snprintf(b, sizeof(b), "a%db%uc%xd", -12, 34u, 0xabu), 11);
	assert_string_equal(b, "a-12b34cabd");
	fmt_snprintf(b, sizeof(b), "[%5d][%-5d][%05d][%05d]", 42, 42, 42, -42);
	assert_string_equal(b, "[   42][42   ][00042][-0042]");
	fmt_snprintf(b, sizeof(b), "%lx %016lx %lu", 0xfee00000ul, 0x1234ul,
		     18446744073709551615ul);
	assert_string_equal(b, "fee00000 0000000000001234 18446744073709551615");
	fmt_snprintf(b, sizeof(b), "%s|%-4s|%4s|%c|%%|%X", "hi", "ab", "ab", 'z', 0xbeefu);
	assert_string_equal(b, "hi|ab  |  ab|z|%|BEEF");
	const char *volatile nul = NULL;

	fmt_snprintf(b, sizeof(b), "%s", nul);
	assert_string_equal(b, "(null)");
	fmt_snprintf(b, sizeof(b), "%*d|%lld|%zu", 4, 7, -9223372036854775807ll - 1, (size_t)5);
	assert_string_equal(b, "   7|-9223372036854775808|5");
	/* truncation keeps the return value of the full text */
	assert_int_equal(fmt_snprintf(b, 4, "%s", "abcdef"), 6);
	assert_string_equal(b, "abc");
}

static void test_cmdline(void **state)
{
	const char *cl =
	    "  mode=gen count=100 size=0x40 quiet dst=52:54:00:00:00:01\tlong=abcdefghij";
	char v[8];
	uint64_t n;

	(void)state;
	assert_int_equal(cmdline_get(cl, "mode", v, sizeof(v)), 0);
	assert_string_equal(v, "gen");
	assert_int_equal(cmdline_get(cl, "quiet", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	assert_int_equal(cmdline_get(cl, "mod", v, sizeof(v)), -ENOENT);
	assert_int_equal(cmdline_get(cl, "long", v, sizeof(v)), -E2BIG);
	assert_string_equal(v, "abcdefg");
	assert_int_equal(cmdline_get("", "mode", v, sizeof(v)), -ENOENT);
	assert_int_equal(cmdline_get_u64(cl, "count", &n), 0);
	assert_int_equal(n, 100);
	assert_int_equal(cmdline_get_u64(cl, "size", &n), 0);
	assert_int_equal(n, 64);
	assert_int_equal(cmdline_get_u64(cl, "dst", &n), -EINVAL);
	assert_int_equal(cmdline_get_u64(cl, "nope", &n), -ENOENT);
	assert_int_equal(cmdline_get_u64("x=18446744073709551615", "x", &n), 0);
	assert_true(n == UINT64_MAX);
	assert_int_equal(cmdline_get_u64("x=18446744073709551616", "x", &n), -ERANGE);
	assert_int_equal(cmdline_get_u64("x=0x", "x", &n), -EINVAL);
	assert_int_equal(cmdline_get_u64("x=", "x", &n), -EINVAL);
	assert_int_equal(cmdline_get_u64("x=12Q", "x", &n), -EINVAL);
}

static void test_e820(void **state)
{
	/* QEMU microvm -m 128: 0x9fc00 + 0x7f00000 bytes of RAM = 127.6 MiB */
	struct e820_entry m[] = {
	    {0, 0x9fc00, E820_RAM},
	    {0x9fc00, 0x400, 2},
	    {0x100000, 0x7f00000, E820_RAM},
	    {0xfeffc000, 0x4000, 2},
	};
	struct e820_entry half[] = {{0, 0x80000, E820_RAM}};	  /* 0.5 MiB -> 1 */
	struct e820_entry under[] = {{0, 0x7ffff, E820_RAM}};	  /* < 0.5 MiB -> 0 */
	struct e820_entry wrap[] = {{~0ull - 10, 100, E820_RAM}}; /* clamped */

	(void)state;
	assert_true(e820_ram_bytes(m, 4) == 0x9fc00 + 0x7f00000ull);
	assert_int_equal(e820_mem_mb(m, 4), 128);
	assert_int_equal(e820_mem_mb(half, 1), 1);
	assert_int_equal(e820_mem_mb(under, 1), 0);
	assert_true(e820_ram_top(m, 4) == 0x8000000);
	assert_true(e820_ram_bytes(wrap, 1) == 10);
	assert_true(e820_ram_top(wrap, 1) == UINT64_MAX);
	assert_true(e820_is_ram(m, 4, 0x8000, 0x1000));
	assert_false(e820_is_ram(m, 4, 0x9f000, 0x1000));
	assert_false(e820_is_ram(m, 4, ~0ull, 2));
	assert_int_equal(e820_mem_mb(m, 0), 0);
	assert_string_equal(e820_type_name(1), "ram");
	assert_string_equal(e820_type_name(99), "type?");
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void fix_sum(uint8_t *p, size_t len, size_t at)
{
	uint8_t s = 0;
	size_t i;

	p[at] = 0;
	for (i = 0; i < len; i++)
		s += p[i];
	p[at] = (uint8_t)(0 - s);
}

static void acpi_hdr(uint8_t *t, const char *sig, uint32_t len)
{
	memset(t, 0, ACPI_HDR_LEN);
	memcpy(t, sig, 4);
	put32(t + 4, len);
	fix_sum(t, len, 9);
}

static void test_rsdp(void **state)
{
	uint8_t r[36] = "RSD PTR ";
	uint64_t rsdt, xsdt;

	(void)state;
	r[15] = 2;
	put32(r + 16, 0x1000);
	put32(r + 20, 36);
	put32(r + 24, 0x2000);
	fix_sum(r, 20, 8);
	fix_sum(r, 36, 32);
	assert_int_equal(acpi_rsdp_parse(r, sizeof(r), &rsdt, &xsdt), 0);
	assert_true(rsdt == 0x1000 && xsdt == 0x2000);
	/* v2 with a lying length: XSDT ignored, RSDT still usable */
	put32(r + 20, 4096);
	fix_sum(r, 20, 8);
	assert_int_equal(acpi_rsdp_parse(r, sizeof(r), &rsdt, &xsdt), 0);
	assert_true(rsdt == 0x1000 && xsdt == 0);
	r[0] = 'X';
	assert_int_equal(acpi_rsdp_parse(r, sizeof(r), &rsdt, &xsdt), -EINVAL);
	assert_int_equal(acpi_rsdp_parse(r, 10, &rsdt, &xsdt), -EINVAL);
}

static void test_madt(void **state)
{
	uint8_t t[128];
	struct cpu_list l;
	uint32_t len = 44;

	(void)state;
	memset(t, 0, sizeof(t));
	put32(t + 36, 0xfee00000);
	/* enabled lapic id 0, disabled id 1, enabled id 3, duplicate id 3 */
	uint8_t e[][8] = {{0, 8, 0, 0, 1}, {0, 8, 1, 1, 0}, {0, 8, 2, 3, 1}, {0, 8, 3, 3, 1}};
	for (unsigned int i = 0; i < 4; i++, len += 8)
		memcpy(t + len, e[i], 8);
	/* x2APIC id 7 enabled (16 bytes), x2APIC id 300 (dropped) */
	uint8_t x[16] = {9, 16, 0, 0, 7, 0, 0, 0, 1};
	memcpy(t + len, x, 16);
	len += 16;
	x[4] = 300 & 0xff;
	x[5] = 300 >> 8;
	memcpy(t + len, x, 16);
	len += 16;
	acpi_hdr(t, "APIC", len);
	memset(&l, 0, sizeof(l));
	assert_int_equal(acpi_madt_parse(t, len, &l), 0);
	assert_int_equal(l.count, 3);
	assert_int_equal(l.apic_id[0], 0);
	assert_int_equal(l.apic_id[1], 3);
	assert_int_equal(l.apic_id[2], 7);
	assert_int_equal(l.disabled, 1);
	assert_int_equal(l.dropped, 1);
	assert_true(l.lapic_base == 0xfee00000);

	/* zero-length entry stops the walk; an entry running past the end too */
	memset(&l, 0, sizeof(l));
	t[44 + 1] = 0;
	assert_int_equal(acpi_madt_parse(t, len, &l), 0);
	assert_int_equal(l.count, 0);
	t[44 + 1] = 200;
	assert_int_equal(acpi_madt_parse(t, len, &l), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(acpi_madt_parse(t, 43, &l), -EINVAL);
}

static void test_madt_many(void **state)
{
	static uint8_t t[44 + 8 * 100];
	struct cpu_list l;
	unsigned int i;

	(void)state;
	memset(t, 0, sizeof(t));
	for (i = 0; i < 100; i++) {
		uint8_t *e = t + 44 + 8 * i;

		e[0] = 0;
		e[1] = 8;
		e[3] = (uint8_t)i;
		e[4] = 1;
	}
	memset(&l, 0, sizeof(l));
	assert_int_equal(acpi_madt_parse(t, sizeof(t), &l), 0);
	assert_int_equal(l.count, MAX_CPUS);
	assert_int_equal(l.dropped, 100 - MAX_CPUS);
}

static void test_fadt(void **state)
{
	uint8_t f[276];
	struct acpi_fadt_info fi;

	(void)state;
	memset(f, 0, sizeof(f));
	put32(f + 40, 0x1234);	  /* DSDT */
	put32(f + 64, 0x604);	  /* PM1a_CNT */
	put32(f + 112, 1u << 20); /* HW-reduced */
	f[244] = 0;		  /* sleep control: memory */
	put32(f + 248, 0xfea00200);
	assert_int_equal(acpi_fadt_parse(f, sizeof(f), &fi), 0);
	assert_true(fi.dsdt == 0x1234 && fi.pm1a_cnt == 0x604 && fi.hw_reduced);
	assert_true(fi.sleep_ctl.address == 0xfea00200 && fi.sleep_ctl.space == 0);
	/* a short (ACPI 1.0) FADT: fields beyond it are not read */
	assert_int_equal(acpi_fadt_parse(f, 116, &fi), 0);
	assert_true(fi.sleep_ctl.address == 0 && fi.hw_reduced);
	assert_int_equal(acpi_fadt_parse(f, 60, &fi), -EINVAL);
	/* X_PM1a_CNT used when PM1a_CNT is 0 and it is an I/O address */
	put32(f + 64, 0);
	f[172] = 1;
	put32(f + 176, 0xb004);
	assert_int_equal(acpi_fadt_parse(f, sizeof(f), &fi), 0);
	assert_int_equal(fi.pm1a_cnt, 0xb004);
}

static void test_s5(void **state)
{
	uint8_t d[64];
	uint8_t typ = 99;
	/* Name(_S5_, Package(4){0x05, 0, 0, 0}) as QEMU microvm writes it */
	const uint8_t microvm[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0a, 0x05, 0, 0};
	/* Name(\_S5_, Package(2){Zero, Zero}) */
	const uint8_t q35[] = {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x00};
	/* a method call mentioning _S5_ without NameOp is skipped */
	const uint8_t other[] = {0x70, '_', 'S', '5', '_', 0x60};

	(void)state;
	memset(d, 0, sizeof(d));
	memcpy(d + 36, microvm, sizeof(microvm));
	assert_int_equal(acpi_aml_find_s5(d, 36 + sizeof(microvm), &typ), 0);
	assert_int_equal(typ, 5);
	memset(d, 0, sizeof(d));
	memcpy(d + 36, q35, sizeof(q35));
	assert_int_equal(acpi_aml_find_s5(d, 36 + sizeof(q35), &typ), 0);
	assert_int_equal(typ, 0);
	/* truncated in the middle of the package */
	assert_int_equal(acpi_aml_find_s5(d, 36 + 8, &typ), -EINVAL);
	memset(d, 0, sizeof(d));
	memcpy(d + 36, other, sizeof(other));
	assert_int_equal(acpi_aml_find_s5(d, sizeof(d), &typ), -ENOENT);
	assert_int_equal(acpi_aml_find_s5(d, 10, &typ), -ENOENT);
}

static void test_sdt_entry(void **state)
{
	uint8_t t[36 + 12];

	(void)state;
	memset(t, 0, sizeof(t));
	put32(t + 36, 0x1000);
	put32(t + 40, 0x2000);
	put32(t + 44, 0x3000);
	assert_true(acpi_sdt_entry(t, sizeof(t), 0, 2) == 0x3000);
	assert_true(acpi_sdt_entry(t, sizeof(t), 0, 3) == 0);
	assert_true(acpi_sdt_entry(t, sizeof(t), 1, 0) == 0x200000001000ull);
	assert_true(acpi_sdt_entry(t, sizeof(t), 1, 1) == 0);
	assert_true(acpi_table_len(t, 1024) == 0); /* length 0 */
	put32(t + 4, 48);
	assert_int_equal(acpi_table_len(t, 1024), 48);
	assert_int_equal(acpi_table_len(t, 40), 0);
}

static void test_mptable(void **state)
{
	uint8_t fps[16] = "_MP_";
	uint8_t cfg[44 + 20 * 3 + 8];
	struct cpu_list l;
	uint64_t addr;

	(void)state;
	put32(fps + 4, 0x9fc10);
	fps[8] = 1;
	fps[9] = 4;
	fix_sum(fps, 16, 10);
	assert_int_equal(mp_fps_parse(fps, &addr), 0);
	assert_true(addr == 0x9fc10);
	fps[8] = 2;
	assert_int_equal(mp_fps_parse(fps, &addr), -EINVAL);

	memset(cfg, 0, sizeof(cfg));
	memcpy(cfg, "PCMP", 4);
	cfg[4] = sizeof(cfg);
	cfg[6] = 4;
	cfg[34] = 4; /* entries */
	put32(cfg + 36, 0xfee00000);
	uint8_t *e = cfg + 44;
	e[0] = 0, e[1] = 0, e[3] = 3; /* enabled BSP */
	e += 20;
	e[0] = 0, e[1] = 1, e[3] = 0; /* disabled */
	e += 20;
	e[0] = 0, e[1] = 2, e[3] = 1; /* enabled */
	e += 20;
	e[0] = 1; /* bus entry, 8 bytes */
	fix_sum(cfg, sizeof(cfg), 7);
	memset(&l, 0, sizeof(l));
	assert_int_equal(mp_cfg_parse(cfg, sizeof(cfg), &l), 0);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.apic_id[1], 2);
	assert_int_equal(l.disabled, 1);
	/* the entry count is ignored (qboot leaves it 0): bounded by length */
	cfg[34] = 0;
	fix_sum(cfg, sizeof(cfg), 7);
	memset(&l, 0, sizeof(l));
	assert_int_equal(mp_cfg_parse(cfg, sizeof(cfg), &l), 0);
	assert_int_equal(l.count, 2);
	/* bad checksum */
	cfg[40] ^= 1;
	assert_int_equal(mp_cfg_parse(cfg, sizeof(cfg), &l), -EINVAL);
	assert_int_equal(mp_cfg_len(cfg, 16), 0);
}

static void test_mcfg(void **state)
{
	uint8_t t[44 + 32];
	uint64_t base;
	uint8_t s, e;

	(void)state;
	memset(t, 0, sizeof(t));
	/* entry 0: segment 1 (skipped); entry 1: segment 0, buses 0-255 */
	put32(t + 44, 0xd0000000);
	t[44 + 8] = 1;
	put32(t + 60, 0xe0000000);
	t[60 + 11] = 255;
	assert_int_equal(acpi_mcfg_parse(t, sizeof(t), &base, &s, &e), 0);
	assert_true(base == 0xe0000000 && s == 0 && e == 255);
	assert_int_equal(acpi_mcfg_parse(t, 60, &base, &s, &e), -ENOENT);
	assert_int_equal(acpi_mcfg_parse(t, 40, &base, &s, &e), -EINVAL);
	t[60 + 10] = 9; /* start bus above end bus */
	t[60 + 11] = 3;
	assert_int_equal(acpi_mcfg_parse(t, sizeof(t), &base, &s, &e), -EINVAL);
	put32(t + 60, 0xe0001000); /* not 1 MiB aligned */
	t[60 + 10] = 0;
	assert_int_equal(acpi_mcfg_parse(t, sizeof(t), &base, &s, &e), -EINVAL);
}

static struct vring_desc vq_desc[VQ_MAX_SIZE];
static struct vring_avail vq_avail;
static struct vring_used vq_used;
static uint8_t vq_bufs[8 * VQ_BUF_SIZE];

/* device side: publish a used entry */
static void dev_used(uint32_t id, uint32_t len)
{
	vq_used.ring[vq_used.idx % 8] = (struct vring_used_elem){id, len};
	vq_used.idx++;
}

static void test_virtq(void **state)
{
	struct virtq q;
	uint16_t id, i;
	uint32_t len;
	int got;

	(void)state;
	virtq_init(&q, 0, 8, 1, vq_desc, &vq_avail, &vq_used, vq_bufs);
	assert_int_equal(q.nfree, 8);
	assert_true(vq_desc[3].addr == (uint64_t)(uintptr_t)(vq_bufs + 3 * VQ_BUF_SIZE));
	assert_int_equal(vq_desc[3].flags, 2); /* device-writable */
	for (i = 0; i < 4; i++)
		virtq_post(&q, i, VQ_BUF_SIZE);
	assert_int_equal(vq_avail.idx, 4);
	assert_int_equal(vq_avail.ring[2], 2);
	assert_false(virtq_has_used(&q));

	/* a good entry, then garbage: id out of range, id not in flight, length
	 * beyond the buffer, a duplicate of the good one, then a good one */
	dev_used(1, 100);
	dev_used(9, 10);
	dev_used(6, 10);
	dev_used(2, VQ_BUF_SIZE + 1);
	dev_used(1, 100);
	dev_used(3, 60);
	assert_true(virtq_has_used(&q));
	got = virtq_next_used(&q, &id, &len);
	assert_true(got == 1 && id == 1 && len == 100);
	got = virtq_next_used(&q, &id, &len);
	assert_true(got == 1 && id == 3 && len == 60);
	assert_int_equal(q.bad_used, 4);
	assert_int_equal(virtq_next_used(&q, &id, &len), 0);

	/* the device jumps used->idx far ahead: one call looks at no more than
	 * one ring's worth and never returns an id twice */
	vq_used.idx = (uint16_t)(vq_used.idx + 1000);
	for (i = 0; i < 200 && virtq_next_used(&q, &id, &len); i++)
		assert_true(id == 0 || id == 2); /* still in flight from the posts */
	assert_true(i <= 2);

	/* TX side: ids come from the free list and go back */
	virtq_init(&q, 1, 8, 0, vq_desc, &vq_avail, &vq_used, vq_bufs);
	for (i = 0; i < 8; i++)
		assert_true(virtq_get_free(&q) >= 0);
	assert_int_equal(virtq_get_free(&q), -1);
	virtq_free(&q, 5);
	virtq_free(&q, 99); /* out of range: ignored */
	assert_int_equal(q.nfree, 1);
	assert_int_equal(virtq_get_free(&q), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),    cmocka_unit_test(test_cmdline),
	    cmocka_unit_test(test_e820),      cmocka_unit_test(test_rsdp),
	    cmocka_unit_test(test_madt),      cmocka_unit_test(test_madt_many),
	    cmocka_unit_test(test_fadt),      cmocka_unit_test(test_s5),
	    cmocka_unit_test(test_sdt_entry), cmocka_unit_test(test_mptable),
	    cmocka_unit_test(test_mcfg),      cmocka_unit_test(test_virtq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

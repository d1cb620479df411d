/* SPDX-License-Identifier: MIT */
/* i8042 reset/probe answers and ACPI PM1a poweroff, driven through their
 * bus handlers with a recording stop callback. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/acpi_pm.h"
#include "vmm/i8042.h"

struct stops {
	int n;
	enum vm_stop_reason last;
};

static void on_stop(void *opaque, enum vm_stop_reason reason)
{
	struct stops *s = opaque;

	s->n++;
	s->last = reason;
}

static uint8_t kbd_rd(struct i8042 *d, bool cmd_port)
{
	uint8_t v = 0xee;

	(cmd_port ? i8042_cmd_io : i8042_data_io)(d, 0, &v, 1, false);
	return v;
}

static void kbd_wr(struct i8042 *d, bool cmd_port, uint8_t v)
{
	(cmd_port ? i8042_cmd_io : i8042_data_io)(d, 0, &v, 1, true);
}

static void test_i8042_probe(void **state)
{
	struct stops st = {0};
	struct i8042 *d;

	assert_int_equal(i8042_create(on_stop, &st, &d), 0);
	assert_int_equal(kbd_rd(d, true) & 0x11, 0x10); /* empty, keylock off */
	kbd_wr(d, true, 0x20);				/* read CTR */
	assert_int_equal(kbd_rd(d, true) & 0x01, 1);
	assert_int_equal(kbd_rd(d, false), 0x60);
	assert_int_equal(kbd_rd(d, true) & 0x01, 0);
	kbd_wr(d, true, 0x60); /* write CTR */
	kbd_wr(d, false, 0x45);
	kbd_wr(d, true, 0x20);
	assert_int_equal(kbd_rd(d, false), 0x45);
	kbd_wr(d, true, 0xaa);
	assert_int_equal(kbd_rd(d, false), 0x55);
	kbd_wr(d, true, 0xab);
	assert_int_equal(kbd_rd(d, false), 0x00);
	/* AUX loopback answers at once, as keyboard data (no AUX data bit
	 * 0x20), and the AUX interface test reports a stuck clock line. */
	kbd_wr(d, true, 0xd3);
	kbd_wr(d, false, 0x5a);
	assert_int_equal(kbd_rd(d, true) & 0x21, 0x01);
	assert_int_equal(kbd_rd(d, false), 0x5a);
	kbd_wr(d, true, 0xa9);
	assert_int_equal(kbd_rd(d, false), 0x01);
	kbd_wr(d, false, 0xff); /* keyboard reset: no keyboard, nothing happens */
	kbd_wr(d, true, 0x12);	/* unknown command ignored */
	assert_int_equal(st.n, 0);
	i8042_destroy(d);
}

static void test_i8042_reset(void **state)
{
	struct stops st = {0};
	struct i8042 *d;
	uint8_t v = 0xfe;

	assert_int_equal(i8042_create(on_stop, &st, &d), 0);
	/* A zero-length access carries no byte: 0xfe in the buffer is not a
	 * reset command, and a read leaves the buffer alone. */
	i8042_cmd_io(d, 0, &v, 0, true);
	i8042_data_io(d, 0, &v, 0, false);
	assert_int_equal(v, 0xfe);
	assert_int_equal(st.n, 0);
	kbd_wr(d, true, 0xfe);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.last, VM_STOP_RESET);
	/* Output port write with the reset line low also resets. */
	kbd_wr(d, true, 0xd1);
	kbd_wr(d, false, 0x02);
	assert_int_equal(st.n, 2);
	kbd_wr(d, true, 0xd1);
	kbd_wr(d, false, 0x03);
	assert_int_equal(st.n, 2);
	i8042_destroy(d);
}

static void pm_cnt_wr16(struct acpi_pm *pm, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	acpi_pm_cnt_io(pm, 0, b, 2, true);
}

static void test_acpi_poweroff(void **state)
{
	struct stops st = {0};
	struct acpi_pm *pm;
	uint8_t b[4];

	assert_int_equal(acpi_pm_create(on_stop, &st, &pm), 0);
	acpi_pm_cnt_io(pm, 0, b, 2, false);
	assert_int_equal(b[0] & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN);
	/* SLP_TYP without SLP_EN: stored, nothing happens. */
	pm_cnt_wr16(pm, ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT);
	assert_int_equal(st.n, 0);
	/* S3 is not supported: ignored. */
	pm_cnt_wr16(pm, (3 << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN);
	assert_int_equal(st.n, 0);
	/* SLP_EN is write-only and SCI_EN sticks. */
	acpi_pm_cnt_io(pm, 0, b, 2, false);
	assert_int_equal(b[1] & (ACPI_PM1_SLP_EN >> 8), 0);
	assert_int_equal(b[0] & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN);
	pm_cnt_wr16(pm, (ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.last, VM_STOP_POWEROFF);
	/* The same as a byte write to the high half (how AML often does it). */
	b[0] = (uint8_t)(((ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN) >> 8);
	acpi_pm_cnt_io(pm, 1, b, 1, true);
	assert_int_equal(st.n, 2);
	/* Out-of-range accesses are ignored. */
	acpi_pm_cnt_io(pm, 1, b, 2, true);
	acpi_pm_cnt_io(pm, 2, b, 1, true);
	assert_int_equal(st.n, 2);
	acpi_pm_destroy(pm);
}

static void test_acpi_evt(void **state)
{
	struct stops st = {0};
	struct acpi_pm *pm;
	uint8_t b[4] = {0, 0, 0x21, 0x01};

	assert_int_equal(acpi_pm_create(on_stop, &st, &pm), 0);
	acpi_pm_evt_io(pm, 0, b, 4, true); /* enable bits stick */
	b[2] = b[3] = 0;
	acpi_pm_evt_io(pm, 0, b, 4, false);
	assert_int_equal(b[2], 0x21);
	assert_int_equal(b[3], 0x01);
	assert_int_equal(b[0], 0);
	acpi_pm_evt_io(pm, 3, b, 2, false); /* crosses the end: ignored */
	assert_int_equal(st.n, 0);
	acpi_pm_destroy(pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_i8042_probe),
	    cmocka_unit_test(test_i8042_reset),
	    cmocka_unit_test(test_acpi_poweroff),
	    cmocka_unit_test(test_acpi_evt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

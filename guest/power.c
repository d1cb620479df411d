/* SPDX-License-Identifier: MIT */
#include "guest/acpi.h"
#include "guest/io.h"
#include "guest/power.h"
#include "guest/serial.h"
#include "guest/timer.h"

#define I8042_STATUS 0x64
#define I8042_IBF    0x02
#define I8042_RESET  0xfe
#define SETTLE_US    100000 /* a loader may act on a request asynchronously */

static void __attribute__((noreturn)) halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void i8042_reset(void)
{
	int i;

	for (i = 0; i < 10000 && (inb(I8042_STATUS) & I8042_IBF); i++)
		cpu_relax();
	outb(I8042_STATUS, I8042_RESET);
}

void power_reset(void)
{
	serial_flush();
	if (!acpi_reset())
		udelay(SETTLE_US);
	i8042_reset();
	udelay(SETTLE_US);
	halt_forever();
}

void power_off(void)
{
	serial_flush();
	if (!acpi_poweroff())
		udelay(SETTLE_US);
	i8042_reset();
	udelay(SETTLE_US);
	halt_forever();
}

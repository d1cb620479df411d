/* SPDX-License-Identifier: MIT */
#include "guest/format.h"
#include "guest/io.h"
#include "guest/printk.h"
#include "guest/serial.h"

static volatile int console_lock;

static void lock_console(void)
{
	/* Bounded: a CPU that died holding the lock must not silence the rest. */
	unsigned long spins = 0;

	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE)) {
		if (++spins > 100000000ul)
			return;
		cpu_relax();
	}
}

static void unlock_console(void)
{
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

static void out_serial(char c, void *arg)
{
	(void)arg;
	serial_putc(c);
}

void vprintk(const char *fmt, va_list ap)
{
	lock_console();
	fmt_vformat(out_serial, 0, fmt, ap);
	unlock_console();
}

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

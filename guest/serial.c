/* SPDX-License-Identifier: MIT */
#include "guest/io.h"
#include "guest/serial.h"

#define COM1	  0x3f8
#define UART_THR  0 /* transmit holding register (DLAB=0) */
#define UART_IER  1
#define UART_FCR  2
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define LCR_DLAB  0x80
#define UART_SPIN 100000

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + 0, 1); /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	outb(COM1 + UART_FCR, 0x07); /* FIFOs on and cleared */
	outb(COM1 + UART_MCR, 0x03); /* DTR | RTS */
}

static void wait_lsr(uint8_t bit)
{
	int i;

	for (i = 0; i < UART_SPIN; i++) {
		if (inb(COM1 + UART_LSR) & bit)
			return;
		cpu_relax();
	}
}

void serial_putc(char c)
{
	wait_lsr(LSR_THRE);
	outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_flush(void)
{
	wait_lsr(LSR_TEMT);
}

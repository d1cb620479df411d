/* SPDX-License-Identifier: MIT */
/* COM1 16550 UART, polled output. */
#ifndef NFGUEST_SERIAL_H
#define NFGUEST_SERIAL_H

/* serial_init: program COM1 for 115200 8N1, FIFOs on, interrupts off. */
void serial_init(void);

/* serial_putc: write one byte after THR-empty (bounded wait: a missing UART
 * never hangs the guest). "\n" is written as is (no CR). */
void serial_putc(char c);

/* serial_flush: wait (bounded) until the transmitter is empty. */
void serial_flush(void);

#endif

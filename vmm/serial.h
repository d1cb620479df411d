/* SPDX-License-Identifier: MIT */
/* 16550A UART (COM1): the eight registers with DLAB, 16-byte FIFOs,
 * loopback, and interrupts through a caller-supplied line callback.
 * Transmitted bytes go straight to an output fd; received bytes are pushed
 * in by the emulation thread. Thread-safe: vCPUs and the emulation thread
 * may call in concurrently. */
#ifndef NFV_VMM_SERIAL_H
#define NFV_VMM_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_NPORTS	8
#define SERIAL_FIFO_LEN 16

struct serial;

/* Drive the UART's interrupt line to `level` (0/1). Called with the UART's
 * lock held, only when the level changes. */
typedef void (*serial_irq_fn)(void *opaque, int level);

/* out_fd receives transmitted bytes (the UART does not close it). */
int serial_create(int out_fd, serial_irq_fn irq, void *irq_opaque, struct serial **out);
void serial_destroy(struct serial *s);

/* Bound what the guest can make the VMM write to out_fd, a regular file
 * the VMM owns: once it holds `limit` bytes it is emptied (ftruncate to 0,
 * offset 0, a one-line note) and output goes on from its start, so it never
 * exceeds `limit` bytes and always has the newest output. 0 = no limit
 * (stdout, pipes). If the file cannot be cut, further output is dropped. */
void serial_set_out_limit(struct serial *s, uint64_t limit);

/* bus_handler_fn for the 8 ports at the UART's base. */
void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/* Queue received bytes into the RX FIFO; returns how many fit (0..len).
 * When not all fit, the fd from serial_rx_wait_fd() becomes readable once
 * the guest has drained the FIFO. */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);
/* An eventfd: readable when the RX FIFO has room again after a short
 * serial_receive(). Read it (8 bytes) to re-arm. */
int serial_rx_wait_fd(const struct serial *s);

#endif

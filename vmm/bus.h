/* SPDX-License-Identifier: MIT */
/* Trap registry for one address space (port I/O or MMIO): devices register
 * (base, len, handler, opaque); vCPU exits are dispatched to the handler
 * that covers the address. Accesses nobody claims are counted and ignored
 * (reads return all ones). Lookups take a read lock, (un)registration a
 * write lock, so PCI can move a BAR while vCPUs run. Handlers run WITHOUT
 * the bus lock (a handler may re-register, e.g. a BAR write through CF8/CFC)
 * and lock their device themselves; a registered opaque must stay valid
 * until every vCPU thread has been joined. */
#ifndef NFV_VMM_BUS_H
#define NFV_VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct bus;

/* `offset` is relative to the registered base; `data` holds `len` bytes
 * (1, 2, 4 or 8; little-endian) to write, or receives them on a read. */
typedef void (*bus_handler_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			       bool is_write);

/* `name` ("pio", "mmio") prefixes log messages; it must outlive the bus. */
int bus_create(const char *name, struct bus **out);
void bus_destroy(struct bus *bus);

/* Claim [base, base+len). -EINVAL for len 0 or wrap, -EEXIST (with a
 * message naming both owners) if it overlaps a registered range. `owner`
 * names the device in messages and must outlive the registration. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_handler_fn fn, void *opaque,
		 const char *owner);
/* Release the range registered at exactly `base`; -ENOENT if none. */
int bus_unregister(struct bus *bus, uint64_t base);

/* Deliver one access. Returns true if a device handled it; false if it was
 * unclaimed (counted; a read fills data with 0xff) or crossed the end of
 * the range that holds its first byte (counted the same way). */
bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

/* Number of unclaimed accesses so far. */
uint64_t bus_unknown_count(struct bus *bus);

#endif

/* SPDX-License-Identifier: MIT */
/* The PS/2 controller, reduced to what a guest needs: command 0xFE on port
 * 0x64 (pulse reset line) asks the VM to stop with VM_STOP_RESET; the
 * controller configuration byte, self tests and output port commands are
 * answered so Linux's i8042 probe completes quickly. No keyboard or mouse
 * is attached and no interrupts are raised. */
#ifndef NFV_VMM_I8042_H
#define NFV_VMM_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/stop.h"

struct i8042;

int i8042_create(vm_stop_fn stop, void *stop_opaque, struct i8042 **out);
void i8042_destroy(struct i8042 *dev);

/* bus_handler_fn for port 0x60 (register with base PORT_I8042_DATA, len 1). */
void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* bus_handler_fn for port 0x64 (base PORT_I8042_CMD, len 1). */
void i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif

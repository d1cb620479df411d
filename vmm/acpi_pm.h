/* SPDX-License-Identifier: MIT */
/* ACPI PM1a event and control blocks (fixed hardware, see layout.h ports).
 * Writing SLP_EN with SLP_TYP == ACPI_SLP_TYP_S5 to PM1a_CNT powers the VM
 * off (VM_STOP_POWEROFF); the DSDT's _S5 package carries the same value.
 * SCI_EN always reads as set: the VM runs in ACPI mode from the start, so
 * the FADT needs no SMI command port. */
#ifndef NFV_VMM_ACPI_PM_H
#define NFV_VMM_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/stop.h"

#define ACPI_PM1_EVT_LEN       4 /* PM1a_STS (2) + PM1a_EN (2) */
#define ACPI_PM1_CNT_LEN       2
#define ACPI_SLP_TYP_S5	       5
#define ACPI_PM1_SCI_EN	       0x0001
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK  0x1c00
#define ACPI_PM1_SLP_EN	       0x2000

struct acpi_pm;

int acpi_pm_create(vm_stop_fn stop, void *stop_opaque, struct acpi_pm **out);
void acpi_pm_destroy(struct acpi_pm *pm);

/* bus_handler_fn for PORT_ACPI_PM1A_EVT, len ACPI_PM1_EVT_LEN. */
void acpi_pm_evt_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* bus_handler_fn for PORT_ACPI_PM1A_CNT, len ACPI_PM1_CNT_LEN. */
void acpi_pm_cnt_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif

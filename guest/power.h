/* SPDX-License-Identifier: MIT */
/* Ending the VM: ACPI S5, then i8042 reset, then cli;hlt forever. */
#ifndef NFGUEST_POWER_H
#define NFGUEST_POWER_H

/* power_off: flush the console and power off (see above). Prints nothing. */
void power_off(void) __attribute__((noreturn));

/* power_reset: FADT reset register, then i8042 reset, then cli;hlt. */
void power_reset(void) __attribute__((noreturn));

#endif

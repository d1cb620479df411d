/* SPDX-License-Identifier: MIT */
/* Hostile-guest modes (hostile.c): each runs ms= milliseconds against the
 * VMM, prints "nfguest: MODE start" and a summary line, then returns. */
#ifndef NFGUEST_HOSTILE_H
#define NFGUEST_HOSTILE_H

void mode_serial_flood(void);
void mode_notify_spin(void);
void mode_msix_garbage(void);
void mode_pci_garbage(void);

#endif

/* SPDX-License-Identifier: MIT */
/* Why a VM stops, and the callback devices and vCPUs use to ask for it.
 * Plain types shared by vm, vcpu and the devices that end a VM. */
#ifndef NFV_VMM_STOP_H
#define NFV_VMM_STOP_H

enum vm_stop_reason {
	VM_STOP_NONE,
	VM_STOP_POWEROFF, /* ACPI S5 or KVM system event: exit 0 */
	VM_STOP_RESET,	  /* i8042 0xFE, triple-fault-free reboot request: exit 0 */
	VM_STOP_SIGNAL,	  /* SIGTERM/SIGINT to the VMM: exit 0 */
	VM_STOP_HALT,	  /* a vCPU halted with no way to wake it: exit 0 */
	VM_STOP_ERROR,	  /* triple fault, failed KVM exit, host error: exit 1 */
};

/* Ask the VM to stop; the first reason wins. Callable from any thread,
 * including from inside a bus handler on a vCPU thread. */
typedef void (*vm_stop_fn)(void *opaque, enum vm_stop_reason reason);

#endif

/* SPDX-License-Identifier: MIT */
/* vCPU threads: one thread per vCPU, named "vcpu N", pinned to its host CPU
 * from inside the thread before the first KVM_RUN (failure stops the VM
 * with an error), running one switch over KVM exit reasons: port I/O and
 * MMIO go to the buses; guest power events, triple faults and failed runs
 * stop the VM (with a register dump for the failures). A vCPU is stopped
 * with vcpu_kick(): a flag, kvm_run.immediate_exit and VCPU_KICK_SIGNAL. */
#ifndef NFV_VMM_VCPU_H
#define NFV_VMM_VCPU_H

#include <signal.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/kvm.h"
#include "vmm/mem.h"
#include "vmm/stop.h"

/* Signal that interrupts KVM_RUN. vcpu_signals_init() installs a no-op
 * handler for it; only vCPU threads unblock it. */
#define VCPU_KICK_SIGNAL SIGUSR1

/* What every vCPU of a VM shares. Must outlive the vCPUs. */
struct vcpu_env {
	struct kvm *kvm;
	struct guest_mem *mem;
	struct bus *pio;
	struct bus *mmio;
	vm_stop_fn stop;
	void *stop_opaque;
};

struct vcpu;

/* Install the kick signal handler (process-wide, idempotent). */
int vcpu_signals_init(void);

/* Create KVM vCPU `id` and load `cpuid` into it; pin_cpu is the host CPU
 * for its thread or -1 to float. The thread does not run yet. */
int vcpu_create(const struct vcpu_env *env, unsigned id, int pin_cpu,
		const struct kvm_cpuid2 *cpuid, struct vcpu **out);
/* Destroy a vCPU whose thread was joined (or never started). */
void vcpu_destroy(struct vcpu *vcpu);

/* The KVM vCPU, for setting the BSP's entry registers before the start. */
struct kvm_vcpu *vcpu_kvm(struct vcpu *vcpu);

/* Start the thread. -errno if it could not be created. */
int vcpu_start(struct vcpu *vcpu);
/* Ask the thread to leave its run loop (any thread, any time, idempotent). */
void vcpu_kick(struct vcpu *vcpu);
/* Wait for the thread to end (no-op if it was never started). */
void vcpu_join(struct vcpu *vcpu);

/* Log the vCPU's registers, segments and the code bytes at RIP (pr_err).
 * Only on a vCPU that is not running (own thread or joined). */
void vcpu_dump(struct vcpu *vcpu);

#endif

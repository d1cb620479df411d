/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "vcpu"
#include "vmm/vcpu.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct vcpu {
	struct vcpu_env env;
	struct kvm_vcpu *kv;
	unsigned id;
	int pin_cpu;
	pthread_t thread;
	bool started;
	atomic_bool stop;
};

static void kick_handler(int sig)
{
	/* Nothing to do: the signal only has to interrupt KVM_RUN. */
	(void)sig;
}

int vcpu_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return -errno;
	return 0;
}

int vcpu_create(const struct vcpu_env *env, unsigned id, int pin_cpu,
		const struct kvm_cpuid2 *cpuid, struct vcpu **out)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	v->env = *env;
	v->id = id;
	v->pin_cpu = pin_cpu;
	ret = kvm_vcpu_create(env->kvm, id, &v->kv);
	if (ret)
		goto err_free;
	ret = kvm_vcpu_set_cpuid(v->kv, cpuid);
	if (ret)
		goto err_kv;
	ret = kvm_vcpu_setup_lints(v->kv);
	if (ret)
		goto err_kv;
	*out = v;
	return 0;

err_kv:
	kvm_vcpu_destroy(v->kv);
err_free:
	free(v);
	return ret;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	kvm_vcpu_destroy(vcpu->kv);
	free(vcpu);
}

struct kvm_vcpu *vcpu_kvm(struct vcpu *vcpu)
{
	return vcpu->kv;
}

static void dump_seg(const char *name, const struct kvm_segment *s)
{
	pr_err("  %-3s sel %04x base %016llx limit %08x type %x p %u dpl %u db %u s %u l %u g %u",
	       name, s->selector, (unsigned long long)s->base, s->limit, s->type, s->present,
	       s->dpl, s->db, s->s, s->l, s->g);
}

void vcpu_dump(struct vcpu *vcpu)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	uint8_t code[16];
	uint64_t gpa;
	char hex[3 * sizeof(code) + 1];
	size_t i;

	if (kvm_vcpu_get_regs(vcpu->kv, &r) || kvm_vcpu_get_sregs(vcpu->kv, &s))
		return;
	pr_err("vCPU %u state:", vcpu->id);
	pr_err("  rip %016llx rsp %016llx rflags %016llx", r.rip, r.rsp, r.rflags);
	pr_err("  rax %016llx rbx %016llx rcx %016llx rdx %016llx", r.rax, r.rbx, r.rcx, r.rdx);
	pr_err("  rsi %016llx rdi %016llx rbp %016llx r8  %016llx", r.rsi, r.rdi, r.rbp, r.r8);
	pr_err("  r9  %016llx r10 %016llx r11 %016llx r12 %016llx", r.r9, r.r10, r.r11, r.r12);
	pr_err("  r13 %016llx r14 %016llx r15 %016llx", r.r13, r.r14, r.r15);
	pr_err("  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx", s.cr0, s.cr2, s.cr3, s.cr4);
	pr_err("  cr8 %016llx efer %016llx apic_base %016llx", s.cr8, s.efer, s.apic_base);
	dump_seg("cs", &s.cs);
	dump_seg("ds", &s.ds);
	dump_seg("es", &s.es);
	dump_seg("ss", &s.ss);
	dump_seg("fs", &s.fs);
	dump_seg("gs", &s.gs);
	dump_seg("tr", &s.tr);
	pr_err("  gdt %016llx+%04x idt %016llx+%04x", (unsigned long long)s.gdt.base, s.gdt.limit,
	       (unsigned long long)s.idt.base, s.idt.limit);
	/* The code at RIP, found through the guest's own page tables. */
	if (kvm_vcpu_translate(vcpu->kv, s.cs.base + r.rip, &gpa) == 0 &&
	    guest_mem_read(vcpu->env.mem, gpa, code, sizeof(code)) == 0) {
		for (i = 0; i < sizeof(code); i++)
			snprintf(&hex[3 * i], 4, "%02x ", code[i]);
		pr_err("  code at rip (gpa %016" PRIx64 "): %s", gpa, hex);
	}
}

/* Port I/O: `count` repetitions (rep ins/outs) of `size` bytes each. */
static void handle_io(struct vcpu *v, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	for (i = 0; i < run->io.count; i++)
		bus_dispatch(v->env.pio, run->io.port, data + (size_t)i * run->io.size,
			     run->io.size, run->io.direction == KVM_EXIT_IO_OUT);
}

static enum vm_stop_reason handle_system_event(struct vcpu *v, struct kvm_run *run)
{
	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		pr_info("vCPU %u: guest shut down", v->id);
		return VM_STOP_POWEROFF;
	case KVM_SYSTEM_EVENT_RESET:
		pr_info("vCPU %u: guest reset", v->id);
		return VM_STOP_RESET;
	default:
		pr_err("vCPU %u: guest system event %u (crash)", v->id, run->system_event.type);
		return VM_STOP_ERROR;
	}
}

/* A coalesced write (vmm/kvm.h) replayed onto the bus it was meant for. */
static void replay_write(void *opaque, bool pio, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct vcpu *v = opaque;
	uint8_t buf[8];

	memcpy(buf, data, len);
	bus_dispatch(pio ? v->env.pio : v->env.mmio, addr, buf, len, true);
}

/* One exit. VM_STOP_NONE to keep running. */
static enum vm_stop_reason handle_exit(struct vcpu *v, struct kvm_run *run)
{
	uint32_t i;

	/* Writes queued without an exit happened before this access. */
	if (run->exit_reason == KVM_EXIT_IO || run->exit_reason == KVM_EXIT_MMIO)
		kvm_vcpu_flush_coalesced(v->kv, replay_write, v);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v, run);
		return VM_STOP_NONE;
	case KVM_EXIT_MMIO:
		bus_dispatch(v->env.mmio, run->mmio.phys_addr, run->mmio.data,
			     run->mmio.len > 8 ? 8 : run->mmio.len, run->mmio.is_write);
		return VM_STOP_NONE;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return VM_STOP_NONE;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; nothing could wake it. */
		pr_info("vCPU %u halted", v->id);
		return VM_STOP_HALT;
	case KVM_EXIT_SYSTEM_EVENT:
		return handle_system_event(v, run);
	case KVM_EXIT_SHUTDOWN:
		pr_err("vCPU %u: triple fault (KVM_EXIT_SHUTDOWN), stopping the VM", v->id);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		pr_err("vCPU %u: VM entry failed, hardware reason 0x%llx on host CPU %u", v->id,
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
		       run->fail_entry.cpu);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		pr_err("vCPU %u: KVM internal error, suberror %u (1: emulation failure, 2: "
		       "simultaneous exceptions, 3: delivery event)",
		       v->id, run->internal.suberror);
		for (i = 0; i < run->internal.ndata && i < 16; i++)
			pr_err("  data[%u] = 0x%llx", i, (unsigned long long)run->internal.data[i]);
		break;
	default:
		pr_err("vCPU %u: unexpected exit %s (%u)", v->id, kvm_exit_name(run->exit_reason),
		       run->exit_reason);
		break;
	}
	vcpu_dump(v);
	return VM_STOP_ERROR;
}

static int pin_self(struct vcpu *v)
{
	cpu_set_t set;
	int ret;

	if (v->pin_cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(v->pin_cpu, &set);
	ret = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (ret) {
		pr_err("cannot pin vCPU %u to host CPU %d: %s (check --pin and the cpuset this "
		       "process may use)",
		       v->id, v->pin_cpu, strerror(ret));
		return -ret;
	}
	return 0;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_run *run = kvm_vcpu_run_data(v->kv);
	enum vm_stop_reason why = VM_STOP_NONE;
	char name[16];
	sigset_t set;
	int ret;

	snprintf(name, sizeof(name), "vcpu %u", v->id);
	pthread_setname_np(pthread_self(), name);
	if (pin_self(v)) {
		v->env.stop(v->env.stop_opaque, VM_STOP_ERROR);
		return NULL;
	}
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (why == VM_STOP_NONE && !atomic_load(&v->stop)) {
		ret = kvm_vcpu_run(v->kv);
		if (ret == -EINTR)
			continue;
		if (ret) {
			pr_err("vCPU %u: KVM_RUN failed: %s", v->id, strerror(-ret));
			vcpu_dump(v);
			why = VM_STOP_ERROR;
			break;
		}
		why = handle_exit(v, run);
	}
	if (why != VM_STOP_NONE)
		v->env.stop(v->env.stop_opaque, why);
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

	if (ret) {
		pr_err("cannot start the thread of vCPU %u: %s", vcpu->id, strerror(ret));
		return -ret;
	}
	vcpu->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	/* Order matters: the flag first, so a run loop that sees EINTR (from
	 * immediate_exit or the signal) also sees why. */
	atomic_store(&vcpu->stop, true);
	kvm_vcpu_set_immediate_exit(vcpu->kv);
	if (vcpu->started)
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}

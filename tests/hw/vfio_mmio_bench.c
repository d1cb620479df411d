/* SPDX-License-Identifier: MIT */
/* vfio-mmio-bench: guest MMIO to a passed-through BAR that is a KVM memslot
 * (no exit) vs a trapped one, in exits per operation and time per
 * operation, as a ratio. A 64-bit guest (hand-assembled loop, long mode
 * with 2 MiB pages over the 64-bit BAR window) reads BAR0+0x8 (NVMe VS,
 * inside the memslot on the VFIO mmap) N1 times, then the MSI-X table entry
 * at BAR0+0x2000 (trapped: KVM_EXIT_MMIO → our PCI bus → vmm/msix) N2 times.
 *   vfio-mmio-bench --nvme BDF [N1 [N2]]
 * Prints TAP plus a "bench:" line; 77 without VFIO/KVM. */
#define LOG_PREFIX "vfio-mmio-bench"
#include <errno.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/hw/tap.h"
#include "vfio/pci_passthrough.h"
#include "vfio/vfio_vm.h"
#include "vmm/kvm.h"
#include "vmm/mem.h"
#include "vmm/pci.h"

#define RAM    (16ull << 20)
#define GDT    0x500
#define PML4   0x2000
#define PDPT   0x3000
#define PD0    0x4000
#define PD4    0x5000
#define CODE   0x8000
#define PORT_A 0x10
#define PORT_B 0x11

/* rdi = memslot address, rsi = trapped address, rcx = N1, rdx = N2. */
static const uint8_t guest_code[] = {
    0x8b, 0x07,		/* a: mov eax, [rdi] */
    0x48, 0xff,	  0xc9, /*    dec rcx */
    0x75, 0xf9,		/*    jnz a */
    0xe6, PORT_A,	/*    out PORT_A, al */
    0x48, 0x89,	  0xd1, /*    mov rcx, rdx */
    0x8b, 0x06,		/* b: mov eax, [rsi] */
    0x48, 0xff,	  0xc9, /*    dec rcx */
    0x75, 0xf9,		/*    jnz b */
    0xe6, PORT_B,	/*    out PORT_B, al */
    0xf4,		/*    hlt */
};

/* Watchdog: a stuck guest must not hang the test. */
static struct kvm_vcpu *wd_vcpu;
static volatile bool wd_fired;
static unsigned wd_seconds = 120;

static pthread_t wd_main;

static void wd_kick(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

static void *watchdog(void *arg)
{
	sleep(wd_seconds);
	wd_fired = true;
	kvm_vcpu_set_immediate_exit(wd_vcpu);
	pthread_kill(wd_main, SIGUSR1);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Identity-mapped long mode: first 2 MiB, and 4-5 GiB (the 64-bit BAR
 * window) uncached. */
static void setup_guest(struct guest_mem *mem)
{
	uint64_t *p;
	const uint64_t gdt[3] = {0, 0x00af9a000000ffffull, 0x00cf92000000ffffull};

	guest_mem_write(mem, GDT, gdt, sizeof(gdt));
	p = guest_mem_ptr(mem, PML4, 4096);
	p[0] = PDPT | 3;
	p = guest_mem_ptr(mem, PDPT, 4096);
	p[0] = PD0 | 3;
	p[4] = PD4 | 3;
	p = guest_mem_ptr(mem, PD0, 4096);
	p[0] = 0x83;
	p = guest_mem_ptr(mem, PD4, 4096);
	for (uint64_t i = 0; i < 512; i++)
		p[i] = (0x100000000ull + (i << 21)) | 0x83 | 0x18; /* PS|RW|P, PCD|PWT */
	guest_mem_write(mem, CODE, guest_code, sizeof(guest_code));
}

static int setup_vcpu(struct kvm *kvm, struct kvm_vcpu *vcpu, uint64_t a, uint64_t b, uint64_t n1,
		      uint64_t n2)
{
	struct kvm_segment cs = {.base = 0,
				 .limit = 0xffffffff,
				 .selector = 8,
				 .type = 11,
				 .present = 1,
				 .s = 1,
				 .l = 1,
				 .g = 1};
	struct kvm_segment ds = {.base = 0,
				 .limit = 0xffffffff,
				 .selector = 16,
				 .type = 3,
				 .present = 1,
				 .s = 1,
				 .db = 1,
				 .g = 1};
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs s;
	struct kvm_regs r = {0};
	int ret;

	ret = kvm_get_supported_cpuid(kvm, &cpuid);
	if (ret)
		return ret;
	ret = kvm_vcpu_set_cpuid(vcpu, cpuid);
	free(cpuid);
	if (ret)
		return ret;
	ret = kvm_vcpu_get_sregs(vcpu, &s);
	if (ret)
		return ret;
	s.cs = cs;
	s.ds = s.es = s.fs = s.gs = s.ss = ds;
	s.gdt.base = GDT;
	s.gdt.limit = 23;
	s.cr0 = 0x80000031; /* PG | NE | ET | PE */
	s.cr3 = PML4;
	s.cr4 = 0x20;	/* PAE */
	s.efer = 0x500; /* LME | LMA */
	ret = kvm_vcpu_set_sregs(vcpu, &s);
	if (ret)
		return ret;
	r.rip = CODE;
	r.rflags = 2;
	r.rsp = 0x7000;
	r.rdi = a;
	r.rsi = b;
	r.rcx = n1;
	r.rdx = n2;
	return kvm_vcpu_set_regs(vcpu, &r);
}

int main(int argc, char **argv)
{
	uint64_t n1 = 200000, n2 = 2000, bar0, mmio_a = 0, mmio_b = 0, other = 0;
	const struct mem_region *rg;
	struct pci_bus_config bc;
	struct guest_mem *mem = NULL;
	struct vfio_vm *vv = NULL;
	struct pci_bus *bus = NULL;
	struct kvm_vcpu *vcpu = NULL;
	struct kvm *kvm = NULL;
	struct pci_passthrough *pt;
	struct vfio_device_spec spec;
	char arg[40];
	double t0, ta = 0, tb = 0;
	bool in_b = false, done = false;
	unsigned slot;
	int ret;

	log_set_program("vfio-mmio-bench");
	if (argc < 3 || strcmp(argv[1], "--nvme")) {
		fprintf(stderr, "usage: vfio-mmio-bench --nvme BDF [N1 [N2]]\n");
		return 2;
	}
	if (argc > 3)
		n1 = strtoull(argv[3], NULL, 0);
	if (argc > 4)
		n2 = strtoull(argv[4], NULL, 0);
	if (getenv("BENCH_TIMEOUT"))
		wd_seconds = (unsigned)atoi(getenv("BENCH_TIMEOUT"));
	if (!n1 || !n2) {
		fprintf(stderr, "vfio-mmio-bench: N1 and N2 must be positive\n");
		return 2;
	}
	if (access("/dev/vfio/vfio", F_OK) || access("/dev/kvm", F_OK)) {
		printf("1..0 # SKIP needs /dev/vfio/vfio and /dev/kvm\n");
		return 77;
	}
	snprintf(arg, sizeof(arg), "vfio:%.20s", argv[2]);
	ret = vfio_device_arg_parse(arg, &spec) ?: kvm_open(NULL, &kvm) ?: kvm_setup_irqchip(kvm) ?:
	      guest_mem_create(RAM, HUGEPAGES_NONE, &mem);
	if (!ret) {
		size_t nr = guest_mem_regions(mem, &rg);

		for (size_t i = 0; i < nr && !ret; i++)
			ret = kvm_set_memslot(kvm, (uint32_t)i, rg[i].gpa, rg[i].size, rg[i].hva);
	}
	if (!ret) {
		pci_bus_default_config(RAM, &bc);
		ret = pci_bus_create(&bc, &bus) ?: vfio_vm_create(kvm, mem, bus, &kvm_msi_router, kvm, &vv) ?:
		      vfio_vm_add_device(vv, &spec);
	}
	tap(ret == 0, "VM with %s passed through", spec.bdf);
	if (ret)
		goto out;
	pt = vfio_vm_device(vv, 0);
	slot = pci_dev_slot(pci_passthrough_pci_dev(pt));
	{
		uint32_t cmd = PCI_COMMAND_MEMORY;

		pci_ecam_access(bus, (uint64_t)slot << 15 | PCI_COMMAND, &cmd, 2, true);
	}
	bar0 = pci_dev_bar_addr(pci_passthrough_pci_dev(pt), 0);
	tap(pci_passthrough_direct_mapped(pt) >= 1 && bar0 >= 0x100000000ull &&
		bar0 < 0x140000000ull,
	    "BAR0 at 0x%" PRIx64 " with its register pages as a memslot", bar0);
	setup_guest(mem);
	ret = kvm_vcpu_create(kvm, 0, &vcpu)
		  ?: setup_vcpu(kvm, vcpu, bar0 + 0x8, bar0 + 0x2000, n1, n2);
	tap(ret == 0, "64-bit vCPU set up");
	if (ret)
		goto out;
	wd_vcpu = vcpu;
	wd_main = pthread_self();
	{
		struct sigaction sa = {.sa_handler = wd_kick};
		pthread_t th;

		sigaction(SIGUSR1, &sa, NULL);
		pthread_create(&th, NULL, watchdog, NULL);
		pthread_detach(th);
	}
	t0 = now();
	while (!done) {
		struct kvm_run *run = kvm_vcpu_run_data(vcpu);

		ret = kvm_vcpu_run(vcpu);
		if (ret == -EINTR && wd_fired) {
			struct kvm_regs r;

			kvm_vcpu_get_regs(vcpu, &r);
			fprintf(
			    stderr,
			    "vfio-mmio-bench: guest still running after %u s: rip=0x%llx rcx=%llu "
			    "(%" PRIu64 "/%" PRIu64 " exits)\n",
			    wd_seconds, (unsigned long long)r.rip, (unsigned long long)r.rcx,
			    mmio_a, mmio_b);
			ret = -ETIMEDOUT;
			break;
		}
		if (ret == -EINTR)
			continue;
		if (ret)
			break;
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			pci_bar_access(bus, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
				       run->mmio.is_write, false);
			if (in_b)
				mmio_b++;
			else
				mmio_a++;
			break;
		case KVM_EXIT_IO:
			if (run->io.port == PORT_A) {
				ta = now() - t0;
				t0 = now();
				in_b = true;
			} else if (run->io.port == PORT_B) {
				/* The end (hlt would block in the in-kernel LAPIC). */
				tb = now() - t0;
				done = true;
			} else {
				other++;
			}
			break;
		case KVM_EXIT_HLT:
			done = true;
			break;
		default:
			fprintf(stderr, "vfio-mmio-bench: unexpected exit %s\n",
				kvm_exit_name(run->exit_reason));
			ret = -EIO;
			done = true;
		}
	}
	tap(ret == 0 && done && ta > 0 && tb > 0, "guest ran both loops");
	if (ret || !done)
		goto out;
	tap((double)mmio_a / (double)n1 < 0.01,
	    "memslot reads: %.4f exits/op (%" PRIu64 " over %" PRIu64 ")",
	    (double)mmio_a / (double)n1, mmio_a, n1);
	tap(mmio_b >= n2 && (double)mmio_b / (double)n2 < 1.01,
	    "trapped reads: %.4f exits/op (%" PRIu64 " over %" PRIu64 ")",
	    (double)mmio_b / (double)n2, mmio_b, n2);
	printf("bench: passthrough BAR read via memslot %.3f us/op (%.4f exits/op); trapped %.3f "
	       "us/op "
	       "(%.4f exits/op); trapped/memslot time ratio %.1f\n",
	       ta * 1e6 / (double)n1, (double)mmio_a / (double)n1, tb * 1e6 / (double)n2,
	       (double)mmio_b / (double)n2, (tb / (double)n2) / (ta / (double)n1));
out:
	kvm_vcpu_destroy(vcpu);
	vfio_vm_destroy(vv);
	pci_bus_destroy(bus);
	guest_mem_destroy(mem);
	kvm_close(kvm);
	tap_plan();
	return tap_failures() ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/* Boot: load a kernel (64-bit ELF or bzImage), initrd and command line into
 * guest memory, write the platform tables (zero page with E820, MP table,
 * ACPI, GDT, page tables) and produce the BSP's entry state. No ioctls. */
#ifndef NFV_VMM_BOOT_H
#define NFV_VMM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "vmm/mem.h"

/* MP table APIC IDs are 8 bit and 0xff is the broadcast ID. */
#define BOOT_MAX_CPUS 255

enum boot_kind { BOOT_KIND_ELF, BOOT_KIND_BZIMAGE };

struct boot_config {
	const char *kernel;  /* path, required */
	const char *initrd;  /* path or NULL */
	const char *cmdline; /* NULL means "" */
	unsigned ncpus;	     /* 1..BOOT_MAX_CPUS */
	/* PCI bus 0 in the DSDT (see struct acpi_config in vmm/acpi.h): set
	 * pci and the 64-bit BAR window (pci_mmio64_base(ram), PCI_MMIO64_SIZE;
	 * size 0 = no 64-bit window). */
	bool pci;
	uint64_t pci_mmio64_base, pci_mmio64_size;
	/* Extra AML appended to the DSDT body; NULL/0 for none. */
	const void *dsdt_aml;
	size_t dsdt_aml_len;
};

struct boot_result {
	enum boot_kind kind;
	uint64_t entry;			   /* 64-bit entry rip */
	uint64_t boot_params;		   /* zero page gpa, passed in rsi */
	uint64_t stack;			   /* initial rsp */
	uint64_t kernel_start, kernel_end; /* guest-physical range the kernel uses */
	uint64_t initrd_addr, initrd_size; /* 0/0 without initrd */
	bool has_pvh;			   /* ELF with a PVH note (informational) */
	uint32_t pvh_entry;
};

/* Load everything `cfg` names into `mem` and fill `out`. Every refusal is
 * printed (pr_err) with the file name and what is wrong: a missing,
 * unreadable or truncated file, a file that is neither an ELF64 x86-64 nor a
 * bzImage, an old boot protocol, ELF segments outside memory, an initrd that
 * does not fit, a command line longer than the kernel accepts, a bad ncpus.
 * Returns 0 or -errno (-ENOENT, -ENOEXEC, -ENOMEM, -E2BIG, -EINVAL, -EIO).
 * Guest memory may be partly written on failure. */
int boot_load(struct guest_mem *mem, const struct boot_config *cfg, struct boot_result *out);

/* BSP general registers for the result (rip, rsi = zero page, rsp, rflags). */
void boot_fill_regs(const struct boot_result *res, struct kvm_regs *regs);

/* BSP special registers: modify the KVM_GET_SREGS result in place to long
 * mode with the boot GDT and identity page tables. APs keep their reset
 * state and are started by the guest with INIT/SIPI. */
void boot_fill_sregs(struct kvm_sregs *sregs);

#endif

// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/x86.h"

#define PTE_PRESENT (1ull << 0)
#define PTE_RW	    (1ull << 1)
#define PTE_PS	    (1ull << 7)
#define PAGE_2M	    (2ull << 20)

/* Descriptor flags in the kvmtool/Firecracker GDT_ENTRY(flags, base, limit)
 * form: flags = G D/B L AVL (high nibble) | P DPL S TYPE (low byte). */
static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000u) << 32) | ((uint64_t)(flags & 0xf0ffu) << 40) |
	       ((uint64_t)(limit & 0x000f0000u) << 32) | ((uint64_t)(base & 0x00ffffffu) << 16) |
	       (uint64_t)(limit & 0x0000ffffu);
}

/* null, unused 0x08, BOOT_CS 0x10, BOOT_DS 0x18 */
#define BOOT_GDT_ENTRIES 4

int x86_setup_tables(struct guest_mem *mem)
{
	uint64_t gdt[BOOT_GDT_ENTRIES] = {0};
	uint64_t *pml4, *pdpt, *pd;
	unsigned i;

	gdt[BOOT_CS / 8] = gdt_entry(0xa09b, 0, 0xfffff); /* 64-bit code, present, R/X */
	gdt[BOOT_DS / 8] = gdt_entry(0xc093, 0, 0xfffff); /* 4 GiB data, present, R/W */
	if (guest_mem_write(mem, GDT_ADDR, gdt, sizeof(gdt)))
		return -EFAULT;

	pml4 = guest_mem_ptr(mem, PML4_ADDR, 4096);
	pdpt = guest_mem_ptr(mem, PDPT_ADDR, 4096);
	pd = guest_mem_ptr(mem, PD_ADDR, 4 * 4096);
	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PDPT_ADDR | PTE_PRESENT | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * 4096ull) | PTE_PRESENT | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = i * PAGE_2M | PTE_PRESENT | PTE_RW | PTE_PS;
	return 0;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t db, uint8_t l)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = db;
	s->s = 1;
	s->l = l;
	s->g = 1;
}

void x86_fill_sregs(struct kvm_sregs *sregs)
{
	set_seg(&sregs->cs, BOOT_CS, 0xb, 0, 1); /* execute/read, accessed; long mode */
	set_seg(&sregs->ds, BOOT_DS, 0x3, 1, 0); /* read/write, accessed */
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;

	sregs->gdt.base = GDT_ADDR;
	sregs->gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
	/* No IDT: the boot protocol enters with interrupts off, and the
	 * guest installs its own before enabling them. */
	sregs->idt.base = 0;
	sregs->idt.limit = 0;

	sregs->cr3 = PML4_ADDR;
	sregs->cr4 = X86_CR4_PAE;
	sregs->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	sregs->efer = X86_EFER_LME | X86_EFER_LMA;
}

void x86_fill_regs(struct kvm_regs *regs, uint64_t entry, uint64_t boot_params, uint64_t stack)
{
	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rsi = boot_params;
	regs->rsp = stack;
	regs->rbp = stack;
	regs->rflags = 2;
}

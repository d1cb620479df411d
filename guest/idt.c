/* SPDX-License-Identifier: MIT */
#include "guest/idt.h"
#include "guest/errno.h"
#include "guest/layout.h"
#include "guest/power.h"
#include "guest/printk.h"

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define ISR_STUB_SIZE  16

struct idt_gate {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off1;
	uint32_t off2;
	uint32_t reserved;
} __attribute__((packed));

struct idt_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern char isr_stubs[];
void isr_dispatch(struct isr_frame *f);

static struct idt_gate idt[256] __attribute__((aligned(16)));
static isr_handler_fn handlers[256];
static void *handler_args[256];
static uint64_t spurious;

static const char *const exc_names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization",
    "#CP control protection",
};

void idt_init(void)
{
	unsigned int i;

	for (i = 0; i < 256; i++) {
		uint64_t a = (uint64_t)(isr_stubs + i * ISR_STUB_SIZE);

		idt[i].off0 = (uint16_t)a;
		idt[i].sel = KERNEL_CS;
		idt[i].ist = 0;
		idt[i].type = GATE_INTERRUPT;
		idt[i].off1 = (uint16_t)(a >> 16);
		idt[i].off2 = (uint32_t)(a >> 32);
		idt[i].reserved = 0;
	}
	idt_load();
}

void idt_load(void)
{
	struct idt_desc d = {sizeof(idt) - 1, (uint64_t)idt};

	__asm__ volatile("lidt %0" : : "m"(d));
}

void idt_load_null(void)
{
	struct idt_desc d = {0, 0};

	__asm__ volatile("lidt %0" : : "m"(d));
}

int idt_set_handler(unsigned int vector, isr_handler_fn fn, void *arg)
{
	if (vector < 32 || vector > 255)
		return -EINVAL;
	handler_args[vector] = arg;
	__atomic_store_n(&handlers[vector], fn, __ATOMIC_RELEASE);
	return 0;
}

uint64_t idt_spurious(void)
{
	return spurious;
}

void isr_dispatch(struct isr_frame *f)
{
	unsigned int v = (unsigned int)f->vector & 255;
	isr_handler_fn fn;

	if (v < 32) {
		uint64_t cr2;

		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		printk("nfguest: exception %u (%s) rip=0x%lx err=0x%lx cr2=0x%lx rsp=0x%lx\n", v,
		       exc_names[v] ? exc_names[v] : "reserved", (unsigned long)f->rip,
		       (unsigned long)f->error, (unsigned long)cr2, (unsigned long)f->rsp);
		power_off();
	}
	fn = __atomic_load_n(&handlers[v], __ATOMIC_ACQUIRE);
	if (fn)
		fn(v, handler_args[v]);
	else
		__atomic_fetch_add(&spurious, 1, __ATOMIC_RELAXED);
}

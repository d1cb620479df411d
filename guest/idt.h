/* SPDX-License-Identifier: MIT */
/*
 * Interrupt descriptor table. Exceptions print what happened and power the
 * VM off (nfguest never relies on them: on hosts whose KVM does not reflect
 * exceptions they simply never arrive). Vectors >= 32 go to a handler
 * registered with idt_set_handler, else they are counted and acknowledged.
 */
#ifndef NFGUEST_IDT_H
#define NFGUEST_IDT_H

#include <stdint.h>

struct isr_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*isr_handler_fn)(unsigned int vector, void *arg);

/* idt_init: build the table and load it on this CPU. */
void idt_init(void);

/* idt_load: load the (already built) table on this CPU (APs). */
void idt_load(void);

/* idt_set_handler: route vector (32..255) to fn(vector, arg); the handler
 * runs with interrupts off and must acknowledge the LAPIC itself (lapic_eoi)
 * if the source needs it. Returns 0 or -EINVAL. */
int idt_set_handler(unsigned int vector, isr_handler_fn fn, void *arg);

/* idt_spurious: interrupts that arrived with no handler. */
uint64_t idt_spurious(void);

/* idt_load_null: load an empty IDT (limit 0): the next exception
 * escalates to a triple fault. */
void idt_load_null(void);

#endif

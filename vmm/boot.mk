# Boot layer of nfvisor-vmm (ELF/bzImage loaders, E820, MP/ACPI tables,
# CPUID shaping, x86 entry state). Included from vmm/module.mk, which links
# $(BOOT_OBJS) into nfvisor-vmm.
BOOT_SRCS := vmm/boot.c vmm/elf.c vmm/bzimage.c vmm/e820.c vmm/mptable.c vmm/acpi.c \
	     vmm/x86.c
BOOT_OBJS := $(BOOT_SRCS:%.c=$(BUILD)/obj/%.o)

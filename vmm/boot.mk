# Boot layer of nfvisor-vmm (ELF/bzImage loaders, E820, MP/ACPI tables,
# CPUID shaping, x86 entry state). Included from vmm/module.mk, which links
# $(BOOT_OBJS) into nfvisor-vmm.
BOOT_SRCS := vmm/boot.c vmm/elf.c vmm/bzimage.c vmm/e820.c vmm/mptable.c vmm/acpi.c \
	     vmm/cpuid.c vmm/x86.c
BOOT_OBJS := $(BOOT_SRCS:%.c=$(BUILD)/obj/%.o)
BOOT_TEST_MEM := $(BUILD)/obj/vmm/mem.o $(COMMON_OBJS)

$(eval $(call unit_test,test_e820,$(BUILD)/obj/vmm/e820.o))
$(eval $(call unit_test,test_cpuid,$(BUILD)/obj/vmm/cpuid.o))
$(eval $(call unit_test,test_tables,$(BUILD)/obj/vmm/mptable.o $(BUILD)/obj/vmm/acpi.o $(BOOT_TEST_MEM)))
$(eval $(call unit_test,test_loader,$(BOOT_OBJS) $(BOOT_TEST_MEM)))

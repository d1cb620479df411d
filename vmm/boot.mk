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

# libFuzzer targets for the loaders (clang; not part of `all`):
#   make fuzz-boot && build/fuzz/fuzz_elf -close_fd_mask=2 -max_total_time=60
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I.
.PHONY: fuzz-boot
fuzz-boot: $(BUILD)/fuzz/fuzz_bzimage $(BUILD)/fuzz/fuzz_elf
$(BUILD)/fuzz/fuzz_bzimage: tests/fuzz/fuzz_bzimage.c vmm/bzimage.c vmm/mem.c common/log.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
$(BUILD)/fuzz/fuzz_elf: tests/fuzz/fuzz_elf.c vmm/elf.c vmm/mem.c common/log.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^

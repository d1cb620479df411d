# guest/ — nfguest, the freestanding 64-bit test/NF guest (build/guest/nfguest.elf).
# It has its own compiler flags and rules: no libc, no SSE/x87, no red zone,
# linked at 2 MiB by guest/nfguest.ld. The pure decoding modules are also
# compiled for the host (shared rule) and unit-tested in tests/unit.
GUEST_C_SRCS := main.c diag.c bootinfo.c e820.c cmdline.c format.c printk.c serial.c lib.c \
	paging.c idt.c timer.c acpi.c acpi_tables.c mptable.c mp_tables.c lapic.c smp.c power.c \
	pci.c virtio.c virtq.c vnet.c netmodes.c pciprobe.c hostile.c
GUEST_C_SRCS += benchnet.c benchstat.c
GUEST_C_SRCS += memplan.c memprobe.c
GUEST_S_SRCS := entry.S trampoline.S
GUEST_OBJS := $(GUEST_C_SRCS:%.c=$(BUILD)/guest/%.o) $(GUEST_S_SRCS:%.S=$(BUILD)/guest/%.o)
GUEST_ELF := $(BUILD)/guest/nfguest.elf

GUEST_CFLAGS := -std=gnu11 $(WARN) -O2 -g -I. -MMD -MP \
	-ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie -mcmodel=small \
	-mno-red-zone -mgeneral-regs-only -mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-80387 \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fno-tree-loop-distribute-patterns -fcf-protection=none -fno-omit-frame-pointer
GUEST_ASFLAGS := -I. -MMD -MP -fno-pic -fno-pie -Wa,--fatal-warnings
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,guest/nfguest.ld -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments \
	-Wl,--fatal-warnings

PROGRAMS += $(GUEST_ELF)

$(BUILD)/guest/%.o: guest/%.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guest/%.o: guest/%.S
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_ASFLAGS) -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJS) guest/nfguest.ld
	$(CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

GUEST_HOST_OBJS := $(addprefix $(BUILD)/obj/guest/,format.o cmdline.o e820.o acpi_tables.o mp_tables.o \
	virtq.o)
$(eval $(call unit_test,test_guest,$(GUEST_HOST_OBJS)))
$(eval $(call unit_test,test_memplan,$(BUILD)/obj/guest/memplan.o))
$(eval $(call unit_test,test_benchstat,$(BUILD)/obj/guest/benchstat.o))

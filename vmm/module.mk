# nfvisor-vmm: the KVM monitor. Boot layer objects come from vmm/boot.mk
# (BOOT_OBJS), PCI/virtio objects from vmm/pci.mk (VMM_PCI_OBJS).
VMM_CORE_SRCS := vmm/kvm.c vmm/mem.c vmm/bus.c vmm/vcpu.c vmm/serial.c vmm/i8042.c \
		 vmm/acpi_pm.c vmm/rtc.c vmm/pin.c vmm/vm.c vmm/seccomp.c vmm/jail.c
VMM_CORE_OBJS := $(VMM_CORE_SRCS:%.c=$(BUILD)/obj/%.o)
VMM_MEM_OBJ := $(BUILD)/obj/vmm/mem.o

-include vmm/boot.mk
-include vmm/pci.mk

PROGRAMS += $(BUILD)/nfvisor-vmm
$(BUILD)/nfvisor-vmm: $(BUILD)/obj/vmm/main.o $(VMM_CORE_OBJS) $(BOOT_OBJS) $(VMM_PCI_OBJS) \
		      $(addprefix $(BUILD)/obj/vfio/,vfio_vm.o pci_passthrough.o container.o device.o \
		      sysfs.o bind.o vfio_user.o vfio_user_msg.o) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) -lpthread -lseccomp

$(eval $(call unit_test,test_mem,$(BUILD)/obj/vmm/mem.o $(COMMON_OBJS)))
$(eval $(call unit_test,test_bus,$(BUILD)/obj/vmm/bus.o $(COMMON_OBJS),-lpthread))
$(eval $(call unit_test,test_serial,$(BUILD)/obj/vmm/serial.o $(COMMON_OBJS),-lpthread))
$(eval $(call unit_test,test_vmm_devices,$(BUILD)/obj/vmm/i8042.o $(BUILD)/obj/vmm/acpi_pm.o \
	$(COMMON_OBJS),-lpthread))
$(eval $(call unit_test,test_pin,$(BUILD)/obj/vmm/pin.o $(COMMON_OBJS)))
$(eval $(call unit_test,test_rtc,$(BUILD)/obj/vmm/rtc.o,-lpthread))
$(eval $(call unit_test,test_jail,$(BUILD)/obj/vmm/jail.o $(STDERR_CAPTURE_OBJ) $(COMMON_OBJS)))
$(eval $(call unit_test,test_kvm_coalesced,$(BUILD)/obj/vmm/kvm.o $(BUILD)/obj/vmm/msix.o $(BUILD)/obj/vmm/pci.o \
	$(COMMON_OBJS),-lpthread))

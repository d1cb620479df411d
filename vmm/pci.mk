# PCI bus, MSI-X, virtio-pci, vhost-user frontend, virtio-net (issue 3).
# Included from vmm/module.mk; VMM_PCI_OBJS are linked into nfvisor-vmm.
VMM_PCI_SRCS := vmm/pci.c vmm/msix.c vmm/vhost_user.c vmm/virtio_pci.c vmm/virtio_net.c vmm/pci_vm.c
VMM_PCI_OBJS := $(VMM_PCI_SRCS:%.c=$(BUILD)/obj/%.o)

$(eval $(call unit_test,test_pci,$(BUILD)/obj/vmm/pci.o $(COMMON_OBJS),-lpthread))
$(eval $(call unit_test,test_msix,$(BUILD)/obj/vmm/msix.o $(BUILD)/obj/vmm/pci.o $(COMMON_OBJS),-lpthread))
$(eval $(call unit_test,test_vhost_user,$(BUILD)/obj/vmm/vhost_user.o $(COMMON_OBJS),-lpthread))
$(eval $(call unit_test,test_virtio_net,$(BUILD)/obj/vmm/virtio_net.o $(BUILD)/obj/vmm/virtio_pci.o \
	$(BUILD)/obj/vmm/vhost_user.o $(BUILD)/obj/vmm/msix.o $(BUILD)/obj/vmm/pci.o \
	$(BUILD)/obj/vmm/mem.o $(COMMON_OBJS),-lpthread))

# L2 initramfs for tests/kvm/virtio_net_*.sh (busybox + the host's virtio modules).
$(BUILD)/tests/kvm/net-initrd.gz: tests/kvm/net_initrd.bash
	@mkdir -p $(dir $@)
	bash $< $@
all: $(BUILD)/tests/kvm/net-initrd.gz

# vfio/: SR-IOV VF management (sysfs), VF settings (netlink), kernel VFIO.
VFIO_SYSFS_OBJS := $(addprefix $(BUILD)/obj/vfio/,sysfs.o bind.o sriov.o) $(COMMON_OBJS)
FAKE_SYSFS_OBJ := $(BUILD)/obj/tests/unit/fake_sysfs.o

$(eval $(call unit_test,test_sriov,$(FAKE_SYSFS_OBJ) $(VFIO_SYSFS_OBJS)))

NL_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0)
NL_LIBS := $(shell pkg-config --libs libnl-route-3.0)
$(BUILD)/obj/vfio/vf_netlink.o $(BUILD)/obj/tests/unit/test_vf_netlink.o: CFLAGS_EXTRA = $(NL_CFLAGS)
VFIO_NL_OBJS := $(BUILD)/obj/vfio/vf_netlink.o $(COMMON_OBJS)
STDERR_CAPTURE_OBJ := $(BUILD)/obj/tests/unit/stderr_capture.o
$(eval $(call unit_test,test_vf_netlink,$(VFIO_NL_OBJS) $(STDERR_CAPTURE_OBJ),$(NL_LIBS)))

# Kernel VFIO (container/group, device). Guest RAM comes from vmm/mem.
VFIO_KERNEL_OBJS := $(addprefix $(BUILD)/obj/vfio/,container.o device.o) $(BUILD)/obj/vmm/mem.o
$(eval $(call unit_test,test_vfio,$(VFIO_KERNEL_OBJS) $(VFIO_SYSFS_OBJS) $(STDERR_CAPTURE_OBJ)))

# Real-VFIO check program (nested tier / hardware): tests/hw/vfio_nvme_check.c.
HW_TAP_OBJ := $(BUILD)/obj/tests/hw/tap.o
PROGRAMS += $(BUILD)/tests/vfio-nvme-check
$(BUILD)/obj/tests/hw/vfio_nvme_check.o: CFLAGS_EXTRA = $(NL_CFLAGS)
$(BUILD)/tests/vfio-nvme-check: $(BUILD)/obj/tests/hw/vfio_nvme_check.o $(HW_TAP_OBJ) $(VFIO_KERNEL_OBJS) \
				$(BUILD)/obj/vfio/vf_netlink.o $(VFIO_SYSFS_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(NL_LIBS)

# PCI passthrough device model on the vmm PCI bus / MSI-X.
VFIO_PT_OBJS := $(BUILD)/obj/vfio/pci_passthrough.o $(BUILD)/obj/vmm/pci.o $(BUILD)/obj/vmm/msix.o
$(eval $(call unit_test,test_vfio_passthrough,$(VFIO_PT_OBJS) $(BUILD)/obj/vfio/vfio_vm.o \
	$(BUILD)/obj/vmm/kvm.o $(BUILD)/obj/vfio/vfio_user.o $(BUILD)/obj/vfio/vfio_user_msg.o \
	$(VFIO_KERNEL_OBJS) $(VFIO_SYSFS_OBJS),-lpthread))

# --device vfio:BDF for nfvisor-vmm: link $(VFIO_VM_OBJS) into the VMM and call
# vfio/vfio_vm.h from the PCI setup hook.
VFIO_VM_OBJS := $(addprefix $(BUILD)/obj/vfio/,vfio_vm.o pci_passthrough.o container.o device.o \
		  sysfs.o bind.o vfio_user.o vfio_user_msg.o)

# Passthrough model over real VFIO + KVM, no vCPU (nested tier / hardware).
PROGRAMS += $(BUILD)/tests/vfio-vm-check
$(BUILD)/tests/vfio-vm-check: $(BUILD)/obj/tests/hw/vfio_vm_check.o $(HW_TAP_OBJ) $(VFIO_VM_OBJS) \
			      $(BUILD)/obj/vmm/pci.o $(BUILD)/obj/vmm/msix.o $(BUILD)/obj/vmm/kvm.o \
			      $(BUILD)/obj/vmm/mem.o $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) -lpthread

# MMIO benchmark: memslot vs trapped passthrough BAR access (nested tier / hardware).
PROGRAMS += $(BUILD)/tests/vfio-mmio-bench
$(BUILD)/tests/vfio-mmio-bench: $(BUILD)/obj/tests/hw/vfio_mmio_bench.o $(HW_TAP_OBJ) $(VFIO_VM_OBJS) \
			      $(BUILD)/obj/vmm/pci.o $(BUILD)/obj/vmm/msix.o $(BUILD)/obj/vmm/kvm.o \
			      $(BUILD)/obj/vmm/mem.o $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) -lpthread

# vfio-user: client transport (vfio/vfio_user*) and the test device server.
VFIO_USER_OBJS := $(addprefix $(BUILD)/obj/vfio/,vfio_user.o vfio_user_msg.o)
TESTDEV_OBJS := $(BUILD)/obj/tests/vfio_user/testdev.o $(BUILD)/obj/vfio/vfio_user_msg.o
PROGRAMS += $(BUILD)/tests/vfio-user-testdev
$(BUILD)/tests/vfio-user-testdev: $(BUILD)/obj/tests/vfio_user/testdev_main.o $(TESTDEV_OBJS) \
				  $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL)
$(eval $(call unit_test,test_vfio_user,$(VFIO_USER_OBJS) $(BUILD)/obj/tests/vfio_user/testdev.o \
	$(VFIO_PT_OBJS) $(VFIO_KERNEL_OBJS) $(VFIO_SYSFS_OBJS),-lpthread))

# vfio/: SR-IOV VF management (sysfs), VF settings (netlink), kernel VFIO.
VFIO_SYSFS_OBJS := $(addprefix $(BUILD)/obj/vfio/,sysfs.o bind.o sriov.o) $(COMMON_OBJS)
FAKE_SYSFS_OBJ := $(BUILD)/obj/tests/unit/fake_sysfs.o

$(eval $(call unit_test,test_sriov,$(FAKE_SYSFS_OBJ) $(VFIO_SYSFS_OBJS)))

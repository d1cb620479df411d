# orch/: what `nfvisor up/down/status` do: state journal, host preparation,
# processes, supervisor. Linked into build/nfvisor (cli/module.mk).
ORCH_SRCS := orch/state.c orch/hostprep.c orch/jailprep.c orch/proc.c orch/swctl.c orch/orch.c \
	orch/supervisor.c
ORCH_OBJS := $(ORCH_SRCS:%.c=$(BUILD)/obj/%.o)
$(BUILD)/obj/orch/hostprep.o: CFLAGS_EXTRA = $(shell pkg-config --cflags libnl-route-3.0)
ORCH_LIBS := $(shell pkg-config --libs libnl-route-3.0) -ljson-c
ORCH_HOST_OBJS := $(addprefix $(BUILD)/obj/,orch/state.o orch/hostprep.o config/host.o \
	vfio/sysfs.o vfio/bind.o vfio/vf_netlink.o common/log.o common/parse.o)
$(eval $(call unit_test,test_orch_state,$(BUILD)/obj/orch/state.o $(BUILD)/obj/common/log.o))
$(eval $(call unit_test,test_orch_hostprep,$(ORCH_HOST_OBJS) \
	$(BUILD)/obj/tests/unit/fake_sysfs.o $(addprefix $(BUILD)/obj/config/,diag.o load.o \
	check.o jail.o dump.o),$(ORCH_LIBS) -lyaml))
$(eval $(call unit_test,test_orch_proc,$(addprefix $(BUILD)/obj/,orch/proc.o orch/swctl.o \
	common/log.o),-ljson-c))

# nfvisor-switch: DPDK vhost-user L2 switch. fdb and l2 are plain C (unit
# tests link them without EAL); the rest uses DPDK and json-c.
DP_PURE_SRCS := dataplane/fdb.c dataplane/l2.c dataplane/portspec.c
DP_PURE_OBJS := $(DP_PURE_SRCS:%.c=$(BUILD)/obj/%.o)

$(eval $(call unit_test,test_fdb,$(BUILD)/obj/dataplane/fdb.o,-lpthread))
$(eval $(call unit_test,test_fwd,$(DP_PURE_OBJS) $(COMMON_OBJS)))
$(eval $(call unit_test,test_fwd_portspec,$(DP_PURE_OBJS) $(COMMON_OBJS)))

DP_DPDK_SRCS := dataplane/port.c dataplane/pmd.c dataplane/ctl.c dataplane/main.c
DP_CTL_REQ_OBJ := $(BUILD)/obj/dataplane/ctl_req.o
$(eval $(call unit_test,test_ctl_req,$(DP_CTL_REQ_OBJ),-ljson-c))
DP_DPDK_OBJS := $(DP_DPDK_SRCS:%.c=$(BUILD)/obj/%.o)
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)
DPDK_LIBS := $(shell pkg-config --libs libdpdk 2>/dev/null)
# DPDK's headers are included as system headers so our warning flags apply
# to our code only (rte_*.h trip -Wpedantic-style and cast warnings).
$(DP_DPDK_OBJS): CFLAGS_EXTRA = $(patsubst -I%,-isystem %,$(DPDK_CFLAGS))

PROGRAMS += $(BUILD)/nfvisor-switch
$(BUILD)/nfvisor-switch: $(DP_DPDK_OBJS) $(DP_CTL_REQ_OBJ) $(DP_PURE_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(DPDK_LIBS) -ljson-c -lpthread

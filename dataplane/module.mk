# nfvisor-switch: DPDK vhost-user L2 switch. fdb and l2 are plain C (unit
# tests link them without EAL); the rest uses DPDK and json-c.
DP_PURE_SRCS := dataplane/fdb.c dataplane/l2.c
DP_PURE_OBJS := $(DP_PURE_SRCS:%.c=$(BUILD)/obj/%.o)

$(eval $(call unit_test,test_fdb,$(BUILD)/obj/dataplane/fdb.o,-lpthread))
$(eval $(call unit_test,test_fwd,$(DP_PURE_OBJS) $(COMMON_OBJS)))

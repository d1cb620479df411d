# nfvisor: the orchestrator CLI (validate, plan, up, down, status).
CLI_SRCS := cli/main.c cli/cmd_validate.c cli/cmd_plan.c cli/cmd_up.c cli/cmd_down.c \
	cli/cmd_status.c cli/cmd_bench.c
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
# Spelled out: cli/ sorts before common/ and config/, whose variables are not
# set yet when this fragment is read.
NFVISOR_DEP_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,config/diag.c config/load.c \
	config/check.c config/jail.c config/dump.c config/host.c config/plan.c config/plan_out.c config/conflict.c \
	config/launch.c \
	orch/state.c orch/hostprep.c orch/jailprep.c orch/proc.c orch/swctl.c orch/orch.c orch/supervisor.c \
	vfio/sysfs.c vfio/bind.c vfio/vf_netlink.c common/log.c common/parse.c)
PROGRAMS += $(BUILD)/nfvisor
$(BUILD)/nfvisor: $(CLI_OBJS) $(NFVISOR_DEP_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) -lyaml -ljson-c $(shell pkg-config --libs libnl-route-3.0)

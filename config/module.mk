# config/: appliance files → validated plain structs; host planning.
CONFIG_SRCS := config/diag.c config/load.c config/check.c config/jail.c config/dump.c config/host.c \
	config/plan.c config/plan_out.c config/launch.c config/conflict.c
CONFIG_OBJS := $(CONFIG_SRCS:%.c=$(BUILD)/obj/%.o)
CONFIG_LOAD_OBJS := $(addprefix $(BUILD)/obj/config/,diag.o load.o check.o jail.o dump.o)
$(eval $(call unit_test,test_config,$(CONFIG_LOAD_OBJS) $(COMMON_OBJS),-lyaml))
$(eval $(call unit_test,test_config_plan,$(CONFIG_OBJS) $(BUILD)/obj/vfio/sysfs.o \
	$(COMMON_OBJS),-lyaml -ljson-c))
$(eval $(call unit_test,test_config_jail,$(CONFIG_OBJS) $(BUILD)/obj/vfio/sysfs.o \
	$(COMMON_OBJS),-lyaml -ljson-c))

# config/: appliance files → validated plain structs; host planning.
CONFIG_SRCS := config/diag.c config/load.c config/check.c config/dump.c
CONFIG_OBJS := $(CONFIG_SRCS:%.c=$(BUILD)/obj/%.o)
CONFIG_LIBS := -lyaml
$(eval $(call unit_test,test_config,$(CONFIG_OBJS) $(COMMON_OBJS),$(CONFIG_LIBS)))

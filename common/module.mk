COMMON_SRCS := common/log.c common/parse.c
COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/obj/%.o)
$(eval $(call unit_test,test_parse,$(COMMON_OBJS)))

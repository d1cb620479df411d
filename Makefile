# nfvisor — plain GNU make. Each directory contributes a module.mk fragment
# that appends to PROGRAMS / UNIT_TESTS and defines its own link rules.
#   make            build everything into build/
#   make SAN=1      ASan+UBSan build into build-san/
#   make check      all tests that can run on this host (TAP, one summary line)
#   make check-san  unit tests under ASan+UBSan
#   make check-nested  KVM + stock-Linux + VFIO tests inside a pure-TCG QEMU L1
#   make check-hw   opt-in tests on real SR-IOV / NVMe hardware
SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -Wno-unused-parameter -Wpointer-arith -Wundef
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE -I. -MMD -MP
LDFLAGS_ALL = $(LDFLAGS) $(SANFLAGS)

PROGRAMS :=
UNIT_TESTS :=
COMMON_OBJS :=

.PHONY: all clean check check-unit check-san check-nested check-hw fmt fmt-check
all:

# Object rule shared by every host-side module. Per-directory extra flags come
# from target-specific CFLAGS_EXTRA set in the fragments.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CFLAGS_EXTRA) -c $< -o $@

# $(call unit_test,NAME,OBJS,LIBS): tests/unit/NAME.c linked with cmocka.
define unit_test
UNIT_TESTS += $(BUILD)/tests/unit/$(1)
$(BUILD)/tests/unit/$(1): $(BUILD)/obj/tests/unit/$(1).o $(2)
	@mkdir -p $$(dir $$@)
	$$(CC) -o $$@ $$^ $$(LDFLAGS_ALL) -lcmocka $(3)
endef

include $(sort $(wildcard */module.mk tests/*/module.mk))

all: $(PROGRAMS) $(UNIT_TESTS)

check: all
	tests/run.sh --build $(BUILD) all

check-unit: $(UNIT_TESTS)
	tests/run.sh --build $(BUILD) unit

check-san:
	$(MAKE) SAN=1 check-unit

check-nested: all
	tests/nested/run.sh --build $(BUILD)

check-hw: all
	tests/run.sh --build $(BUILD) hw

# Files fmt/fmt-check leave alone: guest/include/ (vendored-style headers).
FMT_FILES = $(shell git ls-files '*.c' '*.h' | grep -v '^guest/include/')

fmt:
	clang-format -i $(FMT_FILES)

fmt-check:
	clang-format --dry-run --Werror $(FMT_FILES)

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

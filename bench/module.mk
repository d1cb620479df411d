# bench/: nfv-trafgen, the paced DPDK generator/sink behind `nfvisor bench`.
BENCH_OBJS := $(BUILD)/obj/bench/nfv-trafgen.o
$(BENCH_OBJS): CFLAGS_EXTRA = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libdpdk 2>/dev/null))
PROGRAMS += $(BUILD)/bench/nfv-trafgen
$(BUILD)/bench/nfv-trafgen: $(BENCH_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(shell pkg-config --libs libdpdk 2>/dev/null) -lm

# bootmeter: time to a VMM's ready line and its RSS without guest RAM (bench/boot.sh).
PROGRAMS += $(BUILD)/bench/bootmeter
$(BUILD)/bench/bootmeter: $(BUILD)/obj/bench/bootmeter.o
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL)

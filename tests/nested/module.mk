# Nested tier helpers (run inside the TCG L1 by tests/nested/*.sh).
PROGRAMS += $(BUILD)/tests/nested/kvmcheck
$(BUILD)/tests/nested/kvmcheck: $(BUILD)/obj/tests/nested/kvmcheck.o
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS_ALL)

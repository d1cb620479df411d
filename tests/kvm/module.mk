# Tiny guests for tests/kvm/*.sh, kept beside the tests that use them.
KVM_TEST_GUESTS := $(BUILD)/tests/kvm/mini.elf

$(BUILD)/tests/kvm/%.elf: tests/kvm/%.S
	@mkdir -p $(dir $@)
	$(CC) -nostdlib -static -no-pie -fno-pic -Wa,--fatal-warnings -Wl,-N -Wl,-Ttext=0x200000 \
		-Wl,-e,_start -Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $@ $<

all: $(KVM_TEST_GUESTS)

# libFuzzer targets (clang, ASan+UBSan; not part of `all`), one per
# tests/fuzz/fuzz_NAME.c, built into $(BUILD)/fuzz/fuzz_NAME:
#   make fuzz                        build every target
#   make fuzz-run FUZZ_SECONDS=60    run each target for that long (one at a time),
#                                    logs and stats in $(BUILD)/obj/fuzz/logs/
#   make fuzz-run FUZZ_NAMES_RUN='l2 ctl'   only those targets
# Seeds: tests/fuzz/corpus/NAME/ (read-only here). New inputs, logs and
# crash artifacts go to $(FUZZ_WORK) (under obj/, so tests/nested/l1run.sh
# does not ship a corpus that changes while it packs the build dir). Crashers that were fixed: tests/fuzz/regress/NAME/,
# replayed by tests/integration/fuzz_replay.sh under `make check`.
# fuzz_bzimage and fuzz_elf are built by vmm/boot.mk (make fuzz-boot).
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I.
FUZZ_SECONDS ?= 60
FUZZ_NAMES_RUN ?= $(FUZZ_NAMES)
FUZZ_WORK := $(BUILD)/obj/fuzz
FUZZ_NAMES := bzimage elf config pci_msix virtio_pci vhost_user ctl l2
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

# $(call fuzz_target,NAME,SOURCES,LIBS)
define fuzz_target
$(BUILD)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(2)
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ $$^ $(3)
endef

$(eval $(call fuzz_target,config,config/diag.c config/load.c config/check.c config/jail.c config/dump.c \
	common/log.c common/parse.c,-lyaml))
$(eval $(call fuzz_target,pci_msix,vmm/pci.c vmm/msix.c common/log.c tests/fuzz/checked_router.c tests/fuzz/access_record.c,\
	-lpthread))
$(eval $(call fuzz_target,virtio_pci,vmm/virtio_pci.c vmm/pci.c vmm/msix.c vmm/mem.c \
	common/log.c tests/fuzz/checked_router.c tests/fuzz/access_record.c,-lpthread))
$(eval $(call fuzz_target,vhost_user,vmm/vhost_user.c common/log.c,-lpthread))
$(eval $(call fuzz_target,ctl,dataplane/ctl_req.c,-ljson-c))
$(eval $(call fuzz_target,l2,dataplane/l2.c dataplane/fdb.c common/log.c common/parse.c,-lpthread))

.PHONY: fuzz fuzz-run
fuzz: $(FUZZ_BINS)

fuzz-run: fuzz
	@mkdir -p $(FUZZ_WORK)/logs $(FUZZ_WORK)/artifacts
	@fail=; for n in $(FUZZ_NAMES_RUN); do \
		mkdir -p $(FUZZ_WORK)/corpus/$$n; \
		echo "== fuzz_$$n for $(FUZZ_SECONDS) s"; \
		if $(BUILD)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-close_fd_mask=3 -artifact_prefix=$(FUZZ_WORK)/artifacts/$$n- \
			$(FUZZ_WORK)/corpus/$$n $$(ls -d tests/fuzz/corpus/$$n 2>/dev/null) \
				>$(FUZZ_WORK)/logs/$$n.log 2>&1; then \
			grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' \
				$(FUZZ_WORK)/logs/$$n.log | tail -n 2; \
		else \
			echo "fuzz_$$n FAILED: see $(FUZZ_WORK)/logs/$$n.log"; tail -n 30 \
				$(FUZZ_WORK)/logs/$$n.log; fail="$$fail $$n"; \
		fi; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz-run: crashes in:$$fail"; exit 1; fi

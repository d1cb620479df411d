#!/usr/bin/env bash
# `nfvisor bench nvme --quick` end to end in the nested tier: boots its own
# L1 (l1run.sh --vfio --qemu: an emulated SR-IOV NVMe behind an emulated
# IOMMU, QEMU as the emulated path's VMM). Inside L1 ($L1RUN=1): the
# emulated run (QEMU virtio-blk on the PF's namespace), a VF with the
# namespace moved to it into a stock L2 under nfvisor-vmm, then checks the
# report, CSV, JSON and PNGs agree, IOPS > 0 on both paths at every queue
# depth, and the host is as found (namespace back on the PF, no VF).
# Opt-in (NESTED_SLOW=1): one L1 boot plus two L2 boots with an 85 MiB
# initramfs (fio and its libraries) take 4-8 minutes on a loaded machine.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/bench_check.bash
INITRD=$BUILD/nested/nvme-l2-initrd.cpio
if [ "${L1RUN:-0}" != 1 ]; then
	[ "${NESTED_SLOW:-0}" = 1 ] || skip_all "opt-in: NESTED_SLOW=1 (one L1 + two L2 boots, 4-8 minutes)"
	[ -x "$BUILD/nfvisor" ] && [ -x "$BUILD/nfvisor-vmm" ] || skip_all "$BUILD/nfvisor, nfvisor-vmm not built (run make)"
	need_cmd qemu-system-x86_64
	need_cmd nvme
	need_cmd fio
	need_cmd jq
	GP=$(command -v gnuplot || command -v gnuplot-nox) || skip_all "gnuplot missing (scripts/install-deps.sh)"
	bash bench/nvme.sh --build-initrd "$INITRD" || { echo "1..1"; tap_fail "guest initramfs built"; tap_done; }
	tests/nested/l1run.sh --build "$BUILD" --vfio --qemu --smp 1 --mem 2560 --hugepages 300 \
		--timeout "${NESTED_NVME_TIMEOUT:-1200}" --add "$GP" --add "$INITRD" --add "$INITRD.kver" \
		-- "tests/nested/bench_nvme.sh"
	exit $?
fi

# ---- inside L1 ----
need_kvm
[ -c /dev/vfio/vfio ] || skip_all "no /dev/vfio/vfio in this L1 (needs l1run.sh --vfio)"
[ -f "$INITRD" ] || skip_all "$INITRD missing"
echo "1..7"
PF=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/class")" = 0x010802 ] && [ -e "$d/sriov_totalvfs" ] && PF=${d##*/} && break
done
[ -n "$PF" ] || { tap_fail "SR-IOV NVMe PF present"; tap_done; }
CTRL=$(ls "/sys/bus/pci/devices/$PF/nvme" | head -n1)
flex() { nvme primary-ctrl-caps "/dev/$CTRL" 2>/dev/null | awk -F: '$1 ~ /^(vqrfap|virfap)/ {gsub(/ /, ""); printf "%s ", $0}'; }
before="$(ls /dev/nvme* | tr '\n' ' ')$(flex)"
echo "primary-ctrl-caps: $(nvme primary-ctrl-caps "/dev/$CTRL" 2>&1 | grep -iE 'vq|vi' | tr -s ' \n' ' ')" | tap_diag
out=$TEST_TMP/out
"$BUILD/nfvisor" bench --list 2>&1 | grep -A1 '^nvme ' | tap_diag
"$BUILD/nfvisor" bench --list 2>&1 | grep -q '^nvme  *yes' && tap_ok "bench --list: nvme runnable here" ||
	tap_fail "bench --list: nvme runnable" "$("$BUILD/nfvisor" bench --list 2>&1 | grep -A1 '^nvme ')"
"$BUILD/nfvisor" bench nvme --quick --out "$out" 2>&1 | tap_diag
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] && tap_ok "nfvisor bench nvme --quick exit 0" || tap_fail "nfvisor bench nvme --quick" "rc=$rc"
bench_nvme_check "$out"
after="$(ls /dev/nvme* | tr '\n' ' ')$(flex)"
drv=$(basename "$(readlink "/sys/bus/pci/devices/$PF/driver" 2>/dev/null)")
nvfs=$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")
[ "$before" = "$after" ] && [ "$drv" = nvme ] && [ "$nvfs" = 0 ] && grep -q 'Host restored: yes' "$out/report.md" &&
	tap_ok "host restored: $after, $PF on nvme, no VF" ||
	tap_fail "host restored" "before='$before' after='$after' driver=$drv numvfs=$nvfs"
tap_done

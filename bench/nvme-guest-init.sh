#!/bin/busybox sh
# /init of the `nfvisor bench nvme` guest (bench/nvme.sh builds the
# initramfs): loads the nvme and virtio-blk modules, takes the first NVMe
# namespace or virtio disk, runs fio 4 KiB random reads (libaio, direct,
# --readonly) once per queue depth in nvb.qds= for nvb.runtime= seconds
# after nvb.ramp= seconds, and prints per job one line
#   NVB-RESULT qd=N iops=X ios=N runtime_ms=N mean_ns=X p50_ns=N p90_ns=N p99_ns=N p999_ns=N
# after "NVB-DEV name=... model=... bytes=N", then NVB-DONE or NVB-FAIL
# REASON, and powers off.
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
echo "NVB-INIT"
qds=1 runtime=3 ramp=1
for w in $(cat /proc/cmdline); do
	case $w in
	nvb.qds=*) qds=${w#*=} ;;
	nvb.runtime=*) runtime=${w#*=} ;;
	nvb.ramp=*) ramp=${w#*=} ;;
	esac
done
for m in $(cat /mods); do insmod /m/$m.ko 2>/dev/null || echo "NVB insmod $m failed"; done
dev=
i=0
while [ $i -lt 120 ] && [ -z "$dev" ]; do
	for b in /sys/block/nvme*n* /sys/block/vd*; do
		[ -e "$b" ] && [ -b "/dev/${b##*/}" ] && dev=${b##*/} && break
	done
	[ -n "$dev" ] || sleep 0.5
	i=$((i + 1))
done
fail() {
	echo "NVB-FAIL $*"
	dmesg | grep -i 'nvme\|virtio\|blk' | tail -n 8 | sed 's/^/NVB dmesg /'
	poweroff -f
}
[ -n "$dev" ] || fail "no NVMe namespace or virtio disk appeared within 60 s"
model=$(cat /sys/block/$dev/device/model 2>/dev/null || cat /sys/block/$dev/device/device/model 2>/dev/null)
[ -n "$model" ] || model=virtio-blk
echo "NVB-DEV name=$dev model=$(echo $model | tr ' ' _) bytes=$(($(cat /sys/block/$dev/size) * 512))"
for qd in $(echo "$qds" | tr ',' ' '); do
	fio --name=qd$qd --filename=/dev/$dev --readonly --direct=1 --rw=randread --bs=4k \
		--ioengine=libaio --iodepth=$qd --time_based --runtime=$runtime --ramp_time=$ramp \
		--norandommap --randrepeat=0 --thread --output-format=json >/tmp/qd$qd.json 2>/tmp/qd$qd.err ||
		fail "fio at QD $qd: $(tail -n 2 /tmp/qd$qd.err | tr '\n' ' ')"
	line=$(jq -r '.jobs[0].read | "iops=\(.iops) ios=\(.total_ios) runtime_ms=\(.runtime) mean_ns=\(.clat_ns.mean) p50_ns=\(.clat_ns.percentile["50.000000"]) p90_ns=\(.clat_ns.percentile["90.000000"]) p99_ns=\(.clat_ns.percentile["99.000000"]) p999_ns=\(.clat_ns.percentile["99.900000"])"' /tmp/qd$qd.json) ||
		fail "fio's JSON at QD $qd unreadable: $(head -c 200 /tmp/qd$qd.json)"
	echo "NVB-RESULT qd=$qd $line"
done
echo "NVB-DONE"
poweroff -f

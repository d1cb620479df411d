#!/usr/bin/env bash
# nfvisor-vmm's jailer (vmm/jail.c) under real KVM (inside the nested tier's
# L1: tests/nested/l1run.sh -- 'bash tests/kvm/vmm_jail.sh'):
#  - a jailed VMM (--jail DIR --uid/--gid) boots nfguest hello to poweroff;
#  - a running jailed VMM: /proc/PID/status shows the uid/gid, no
#    capabilities (effective, permitted, bounding), no_new_privs and the
#    seccomp filter; it is in its own mount namespace whose only mount is
#    the jail's read-only tmpfs (its mountinfo), its root holds no file at
#    all (so no host file can be opened), the host's mount table and DIR are
#    unchanged; the directory of a vhost-user client socket is kept,
#    read-only; SIGTERM still stops it cleanly;
#  - bad jail dirs and ids are refused with exit 2 and a message naming the
#    value, with nothing left behind (mounts, hugepages, files in DIR).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_kvm
need_root
vmm_test_env
J=$TEST_TMP/jail
mkdir -p "$J"
chmod 755 "$TEST_TMP"
ID=64123 # no such user needs to exist
# LeakSanitizer's exit check cannot run inside the jail (no /proc, no ptrace
# of a process that changed its ids): a sanitizer build runs without it.
grep -qa __asan_init "$VMM" && export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
host_mounts() { sort /proc/self/mountinfo | md5sum; }
hp_free() { awk '/^HugePages_Free/{print $2}' /proc/meminfo; }
mounts0=$(host_mounts)

if [ -f "$NFGUEST" ]; then
	tap_expect "jailed nfguest hello runs to poweroff (2 vCPUs, hugepages)" 0 \
		'nfguest: ready cpus=2' "$VMM" --kernel "$NFGUEST" --memory 64M --vcpus 2 \
		--cmdline mode=hello --jail "$J" --uid $ID --gid $ID
	if grep -q "jailed in $J as uid $ID gid $ID" "$TEST_TMP/out" &&
		grep -q 'guest powered off' "$TEST_TMP/out"; then
		tap_ok "it entered the jail before the guest ran and the guest powered off"
	else
		tap_fail "it entered the jail and the guest powered off" "$(tail -c 600 "$TEST_TMP/out")"
	fi
else
	tap_skip "jailed nfguest hello" "$NFGUEST not built"
fi

# A halted guest, jailed, with a vhost-user client socket that has no
# backend yet (its directory must stay visible for the reconnect).
SOCKDIR=$TEST_TMP/sock
mkdir -p "$SOCKDIR"
ser=$TEST_TMP/serial.log
"$VMM" --kernel "$MINI" --memory 32M --hugepages none --cmdline h --serial "file:$ser" \
	--net "vhost-user:$SOCKDIR/vm.sock" --jail "$J" --uid $ID --gid $((ID + 1)) \
	>"$TEST_TMP/run.out" 2>&1 </dev/null &
pid=$!
track_pid $pid
wait_grep 300 'mini: hello' "$ser" ||
	tap_fail "jailed mini guest started" "$(cat "$TEST_TMP/run.out")"
st=/proc/$pid/status
want_ids() { grep -qE "^$1:[[:space:]]+$2[[:space:]]+$2[[:space:]]+$2[[:space:]]+$2\$" $st; }
if want_ids Uid $ID && want_ids Gid $((ID + 1)) && grep -qE '^Groups:[[:space:]]*$' $st; then
	tap_ok "running jailed VMM: uid $ID, gid $((ID + 1)) (real, effective, saved, fs), no groups"
else
	tap_fail "running jailed VMM: uid/gid" "$(grep -E 'Uid|Gid|Groups' $st 2>&1)"
fi
if grep -qE '^CapEff:[[:space:]]+0+$' $st && grep -qE '^CapPrm:[[:space:]]+0+$' $st &&
	grep -qE '^CapBnd:[[:space:]]+0+$' $st && grep -qE '^CapAmb:[[:space:]]+0+$' $st &&
	grep -qE '^NoNewPrivs:[[:space:]]+1' $st && grep -qE '^Seccomp:[[:space:]]+2' $st; then
	tap_ok "running jailed VMM: CapEff/CapPrm/CapBnd/CapAmb 0, NoNewPrivs 1, Seccomp 2"
else
	tap_fail "running jailed VMM: capabilities and filter" \
		"$(grep -E 'Cap|NoNewPrivs|Seccomp' $st 2>&1)"
fi
if [ "$(readlink /proc/$pid/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]; then
	tap_ok "jailed VMM has its own mount namespace"
else
	tap_fail "jailed VMM has its own mount namespace" "$(readlink /proc/$pid/ns/mnt)"
fi
# mountinfo fields: 5 = mount point, then after " - ": fstype source options
mi=$(cat /proc/$pid/mountinfo 2>&1)
root_line=$(awk '$5 == "/"' <<<"$mi")
others=$(awk -v d="$SOCKDIR" '$5 != "/" && $5 != d' <<<"$mi")
if grep -qE ' - tmpfs nfvisor-jail ro,' <<<"$root_line" && [ -z "$others" ]; then
	tap_ok "jailed VMM sees one read-only tmpfs as / and no host mount"
else
	tap_fail "jailed VMM sees one read-only tmpfs as / and no host mount" "mountinfo: $mi"
fi
if awk -v d="$SOCKDIR" '$5 == d' <<<"$mi" | grep -qE '^([^ ]+ ){5}ro,'; then
	tap_ok "the vhost-user client socket's directory is kept in the jail, read-only"
else
	tap_fail "the vhost-user client socket's directory is kept in the jail, read-only" \
		"mountinfo: $mi"
fi
# Its root, seen from outside: nothing but the path to the kept directory.
top=${SOCKDIR#/}
top=${top%%/*}
content=$(ls -A /proc/$pid/root/ 2>&1)
if [ "$content" = "$top" ] && [ -z "$(find /proc/$pid/root/ -type f 2>/dev/null)" ] &&
	[ -e /proc/$pid/root/$SOCKDIR ] && [ ! -e /proc/$pid/root/$(command -v bash) ]; then
	tap_ok "jailed VMM's root holds no host file (only the path to $SOCKDIR)"
else
	tap_fail "jailed VMM's root holds no host file" "ls: $content"
fi
if [ "$(host_mounts)" = "$mounts0" ] && [ -z "$(ls -A "$J")" ]; then
	tap_ok "host mount table and the jail directory are unchanged while it runs"
else
	tap_fail "host mount table and the jail directory are unchanged while it runs" \
		"$(grep -E 'nfvisor-jail' /proc/self/mountinfo; ls -A "$J")"
fi
tap_vmm_sigterm "SIGTERM stops the jailed VMM cleanly" $pid "$TEST_TMP/run.out"

# Bad input: refused before anything is built.
hp0=$(hp_free)
: >"$TEST_TMP/file"
run_bad() { tap_expect "$1" 2 "$2" "$VMM" --kernel "$MINI" --memory 32M --cmdline p "${@:3}"; }
run_bad "--jail to a missing directory is refused" "--jail '$J/missing': No such file" \
	--jail "$J/missing" --uid $ID --gid $ID
run_bad "--jail to a file is refused" "is not a directory" --jail "$TEST_TMP/file" --uid $ID --gid $ID
run_bad "--jail with a relative path is refused" "expected an absolute path" \
	--jail jail --uid $ID --gid $ID
run_bad "--jail / is refused" "other than /" --jail / --uid $ID --gid $ID
run_bad "--uid 0 is refused" "invalid --uid value '0'" --jail "$J" --uid 0 --gid $ID
run_bad "--gid abc is refused" "invalid --gid value 'abc'" --jail "$J" --uid $ID --gid abc
run_bad "--uid 4294967295 is refused" "invalid --uid value '4294967295'" \
	--jail "$J" --uid 4294967295 --gid $ID
run_bad "--jail without a user is refused" "needs the user to run as" --jail "$J"
run_bad "--uid without --jail is refused" "add --jail DIR" --uid $ID --gid $ID
run_bad "--user with an unknown name is refused" "--user 'no-such-user-nfv'" \
	--jail "$J" --user no-such-user-nfv
if [ "$(host_mounts)" = "$mounts0" ] && [ -z "$(ls -A "$J")" ] && [ "$(hp_free)" = "$hp0" ]; then
	tap_ok "nothing left behind: host mounts, jail directory and free hugepages unchanged"
else
	tap_fail "nothing left behind" "hugepages free $hp0 -> $(hp_free); jail: $(ls -A "$J")"
fi
tap_done

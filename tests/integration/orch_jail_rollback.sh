#!/usr/bin/env bash
# nfvisor up of an appliance with jailed VMs that fails (the hidden
# --test-hook fails the first step) removes every directory it made for the
# jails: each VM's jail dir, a jail.dir it created, the per-VM socket
# directories (a jail.dir someone else uses by then is kept); a jail dir
# that already exists makes plan refuse up with nothing changed. Needs root and the built programs (no KVM, no hugepages:
# no process is started). tests/kvm/appliance_jail.sh runs jailed VMs.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/integration/orch_common.bash
need_root
[ -x "$NFV" ] && [ -x "$BUILD/nfvisor-switch" ] && [ -x "$BUILD/nfvisor-vmm" ] ||
	skip_all "nfvisor, nfvisor-switch or nfvisor-vmm not built (make)"
NAME=orchjail$$ RUN=/run/nfvisor/orchjail$$
JDIR=$TEST_TMP/jails
orch_cleanup_on_exit $NAME
cat >"$TEST_TMP/app.yaml" <<EOF
name: $NAME
switch:
  pmd_cores: "1"
  ports:
    - {name: p1, type: vhost-user}
    - {name: p2, type: vhost-user, mode: client}
defaults:
  kernel: /dev/null
  memory: 16M
  jail: {uid: 64123, gid: 64124}
vms:
  - {name: vm1, jail: {dir: $JDIR}, nics: [{switch_port: p1}]}
  - {name: vm2, nics: [{switch_port: p2}]}
EOF
# The hook runs before the first step: everything for the jails exists then.
HOOK="[ \"\$NFV_STEP\" != hugepages ] || { find $JDIR $RUN/jail $RUN/vhost-vm1 $RUN/vhost-vm2 -printf '%p %m %G\n' >$TEST_TMP/during 2>&1; exit 1; }"
"$NFV" up --test-hook "$HOOK" "$TEST_TMP/app.yaml" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
tap_check "up exits 1 when its first step fails (got $rc)" [ $rc = 1 ]
printf '%s\n' "$JDIR 755 0" "$JDIR/vm1 755 0" "$RUN/jail 755 0" "$RUN/jail/vm2 755 0" \
	"$RUN/vhost-vm1 750 64124" "$RUN/vhost-vm2 750 64124" | sort >"$TEST_TMP/want"
sort "$TEST_TMP/during" 2>/dev/null >"$TEST_TMP/during.sorted"
if diff -q "$TEST_TMP/want" "$TEST_TMP/during.sorted" >/dev/null; then
	tap_ok "during up: jail dirs (root, 0755) and socket dirs (group 64124, 0750) made"; else
	tap_fail "during up: jail dirs (root, 0755) and socket dirs (group 64124, 0750) made" "$(tr '\n' ';' <"$TEST_TMP/during")"; fi
tap_check "rollback removed them (undo dir lines)" \
	bash -c "[ \$(grep -Ec '  undo (dir|shareddir) .* ok$' '$TEST_TMP/out') = 6 ] && grep -q '^rollback complete' '$TEST_TMP/out'"
tap_check "nothing left: $JDIR, $RUN" bash -c "[ ! -e '$JDIR' ] && [ ! -e '$RUN' ]"
orch_check_clean $NAME "$(cat $HP_NR)" "failed up"
tap_diag <"$TEST_TMP/out"

# A jail.dir up made but another appliance uses by the time of the
# rollback (a directory appears in it) is kept, and the rollback completes.
HOOK2="[ \"\$NFV_STEP\" != hugepages ] || { mkdir $JDIR/other; exit 1; }"
"$NFV" up --test-hook "$HOOK2" "$TEST_TMP/app.yaml" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
tap_check "a jail.dir in use by someone else is kept; rollback complete (exit $rc)" \
	bash -c "[ $rc = 1 ] && grep -q '^rollback complete' '$TEST_TMP/out' &&
		[ \"\$(ls -A '$JDIR')\" = other ] && [ ! -e '$RUN' ]"
rmdir "$JDIR/other" "$JDIR"

# A VM's jail dir that exists already: plan (up's preflight) refuses.
mkdir -p "$JDIR/vm1"
"$NFV" up "$TEST_TMP/app.yaml" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
tap_check "up refuses an existing jail dir $JDIR/vm1 (exit $rc), nothing changed" \
	bash -c "[ $rc = 1 ] && grep -q 'vms\[0\].jail.dir: \"$JDIR/vm1\" exists already' '$TEST_TMP/err' &&
		grep -q 'nothing was changed' '$TEST_TMP/err' && [ ! -e '$RUN' ] && [ -d '$JDIR/vm1' ]"
tap_done

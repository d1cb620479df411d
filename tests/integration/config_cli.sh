#!/usr/bin/env bash
# nfvisor validate / plan as a user runs them: exit codes (0 valid, 1
# invalid, 2 usage), FILE:LINE:COL output, --dump round trip, plan against a
# fake sysfs tree, --json that parses. Needs no privileges.
cd "$(dirname "$0")/../.."
. tests/lib.sh
NFV=$BUILD/nfvisor
# Plans must not see appliances that happen to run on this host.
export NFV_RUN_DIR=$TEST_TMP/run
[ -x "$NFV" ] || skip_all "$NFV not built (run make)"

expect_rc() { # NAME WANT CMD...
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	if [ "$rc" = "$want" ]; then tap_ok "$name"; else
		tap_fail "$name" "exit $rc, wanted $want: $(head -c 300 "$TEST_TMP/err")"; fi
}

for f in examples/*.yaml; do
	expect_rc "validate $f exits 0" 0 "$NFV" validate "$f"
	"$NFV" validate --dump "$f" >"$TEST_TMP/d1.yaml" 2>/dev/null
	"$NFV" validate --dump "$TEST_TMP/d1.yaml" >"$TEST_TMP/d2.yaml" 2>/dev/null
	if [ -s "$TEST_TMP/d1.yaml" ] && cmp -s "$TEST_TMP/d1.yaml" "$TEST_TMP/d2.yaml"; then
		tap_ok "validate --dump $f is a fixed point"
	else
		tap_fail "validate --dump $f is a fixed point"
	fi
done

awk '/^## A complete example/{f=1} f&&/^```yaml/{g=1;next} g&&/^```/{exit} g' \
	docs/appliance-file.md >"$TEST_TMP/doc.yaml"
expect_rc "the example in docs/appliance-file.md validates" 0 "$NFV" validate "$TEST_TMP/doc.yaml"

bad=tests/config/invalid/many-errors.yaml
expect_rc "validate of an invalid file exits 1" 1 "$NFV" validate $bad
want=$(sed "s|^|$bad:|" tests/config/invalid/many-errors.err)
if [ "$(cat "$TEST_TMP/err")" = "$want" ]; then tap_ok "every error printed as FILE:LINE:COL: message"
else tap_fail "every error printed as FILE:LINE:COL: message" "$(head -c 400 "$TEST_TMP/err")"; fi

expect_rc "validate without a file exits 2" 2 "$NFV" validate
expect_rc "validate with two files exits 2" 2 "$NFV" validate examples/demo.yaml examples/demo.yaml
expect_rc "unknown option exits 2" 2 "$NFV" validate --frobnicate examples/demo.yaml
expect_rc "unknown command exits 2" 2 "$NFV" frobnicate
expect_rc "no command exits 2" 2 "$NFV"
expect_rc "a missing file exits 1" 1 "$NFV" validate "$TEST_TMP/nope.yaml"
grep -q "^$TEST_TMP/nope.yaml: cannot open: No such file or directory$" "$TEST_TMP/err" &&
	tap_ok "a missing file is named" || tap_fail "a missing file is named" "$(cat "$TEST_TMP/err")"

expect_rc "plan ok on a fitting fake host" 0 "$NFV" plan --sysfs-root tests/config/sysfs-numa \
	tests/config/plan/ok.yaml
grep -q '^plan: ok (0 errors, 0 warnings)$' "$TEST_TMP/out" && tap_ok "plan says ok" ||
	tap_fail "plan says ok" "$(tail -3 "$TEST_TMP/out")"
expect_rc "plan with host problems exits 1" 1 env NFV_SYSFS_ROOT=tests/config/sysfs-small \
	"$NFV" plan tests/config/plan/hugepage-shortage.yaml
grep -q 'hugepage-shortage.yaml:5:32: host.hugepages: node 0 needs 182 more 2M pages' \
	"$TEST_TMP/err" && tap_ok "NFV_SYSFS_ROOT selects the fake tree" ||
	tap_fail "NFV_SYSFS_ROOT selects the fake tree" "$(cat "$TEST_TMP/err")"
expect_rc "plan of an invalid file exits 1" 1 "$NFV" plan $bad
expect_rc "plan with a missing sysfs root exits 2" 2 "$NFV" plan --sysfs-root "$TEST_TMP/none" \
	examples/demo.yaml
expect_rc "plan --json exits 0" 0 "$NFV" plan --json --sysfs-root tests/config/sysfs-numa \
	tests/config/plan/numa.yaml
if command -v python3 >/dev/null; then
	if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] and d["warnings"] == 6 and d["actions"][0]["action"] == "set_numvfs"' "$TEST_TMP/out"; then
		tap_ok "plan --json is JSON with the plan"
	else
		tap_fail "plan --json is JSON with the plan" "$(head -c 300 "$TEST_TMP/out")"
	fi
else
	tap_skip "plan --json is JSON with the plan" "python3 not installed"
fi
if [ -f build/guest/nfguest.elf ]; then
	expect_rc "plan of the demo on this host" 0 "$NFV" plan examples/demo.yaml
else
	tap_skip "plan of the demo on this host" "build/guest/nfguest.elf not built"
fi
echo "1..$TAP_N"
tap_done

#!/usr/bin/env bash
# Fuzz regression replay: every libFuzzer target (tests/fuzz/fuzz_*.c) runs
# once over its seed corpus (tests/fuzz/corpus/NAME/) and its fixed-crash
# inputs (tests/fuzz/regress/NAME/), under ASan+UBSan; libFuzzer given files
# runs each once and exits non-zero on any crash, leak or sanitizer report.
# Builds the targets with `make fuzz` (about a minute) when $BUILD/fuzz/ is
# missing one; skips when clang is not installed.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
names=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
missing=0
for n in $names; do [ -x "$BUILD/fuzz/fuzz_$n" ] || missing=1; done
if [ $missing = 1 ]; then
	command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1 ||
		skip_all "clang not installed (scripts/install-deps.sh installs it); fuzz targets not built"
	make -s -j2 BUILD="$BUILD" fuzz >"$TEST_TMP/build.log" 2>&1 ||
		skip_all "make fuzz failed: $(tail -c 400 "$TEST_TMP/build.log")"
fi
for n in $names; do
	files=()
	for d in tests/fuzz/corpus/$n tests/fuzz/regress/$n; do
		[ -d "$d" ] && while IFS= read -r f; do files+=("$f"); done < <(find "$d" -type f | sort)
	done
	if [ ${#files[@]} = 0 ]; then
		tap_skip "fuzz_$n replay" "no corpus or regression inputs"
		continue
	fi
	if timeout -k 5 120 "$BUILD/fuzz/fuzz_$n" "${files[@]}" >"$TEST_TMP/$n.log" 2>&1; then
		tap_ok "fuzz_$n: ${#files[@]} corpus/regression inputs replay cleanly"
	else
		tap_fail "fuzz_$n: ${#files[@]} corpus/regression inputs replay cleanly" \
			"$(grep -m1 -E 'ERROR|SUMMARY|runtime error' "$TEST_TMP/$n.log") (log: $BUILD/fuzz/fuzz_$n ${files[*]})"
	fi
done
tap_done

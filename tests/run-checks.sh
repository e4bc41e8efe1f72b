#!/usr/bin/env bash
# Run the unit tests and the bats suites against one build directory and end
# with a single closing line "check: N passed, N failed[, N skipped]".
#   tests/run-checks.sh BUILD_DIR      (build or build-asan)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 70
b=${1:-build}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# the unit tests beside the bats suites (their output shown after them)
(cd tests/unit && "../../$b/bin/unit-tests") > "$log/unit" 2>&1 &
unit_pid=$!
# The suites side by side (bats --jobs, GNU parallel), each suite's tests in
# order: the labs mostly wait on the network, so RKMP_TEST_JOBS (default 4)
# suites at once take about a third of the time on 2 cores.  The highest
# numbers (the labs, the longest) start first.  Without GNU parallel, one by one.
mapfile -t suites < <(printf '%s\n' tests/bats/*.bats | sort -r)
jobs=${RKMP_TEST_JOBS:-4}
if [ "$jobs" -gt 1 ] && command -v parallel >/dev/null; then
	par=(--jobs "$jobs" --no-parallelize-within-files)
else
	[ "$jobs" -le 1 ] || echo "run-checks: no GNU parallel (apt-get install parallel): the suites one by one"
	par=()
fi
RKMP_BIN=$PWD/$b/bin bats --tap "${par[@]}" "${suites[@]}" 2>&1 | tee "$log/bats"
bats_rc=${PIPESTATUS[0]}
wait "$unit_pid"
unit_rc=$?
cat "$log/unit"

read -r up uf < <(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log/unit" | tail -n 1)
up=${up:-0} uf=${uf:-1}
bp=$(grep -cE '^ok ' "$log/bats" | head -n 1)
bs=$(grep -cE '^ok .* # skip' "$log/bats" | head -n 1)
bf=$(grep -cE '^not ok ' "$log/bats" | head -n 1)
[ "$bats_rc" -eq 0 ] || [ "$bf" -gt 0 ] || bf=1
passed=$((up + bp - bs)) failed=$((uf + bf))
echo "build tested: $b"
if [ "$bs" -gt 0 ]; then
	echo "check: $passed passed, $failed failed, $bs skipped"
else
	echo "check: $passed passed, $failed failed"
fi
[ "$unit_rc" -eq 0 ] && [ "$bats_rc" -eq 0 ]

#!/usr/bin/env bash
# make fuzz-smoke: every target over its regression inputs
# (testdata/fuzz/regress/TARGET/), then SECONDS of fuzzing from its seed corpus
# (tests/fuzz/corpus.sh); fails when any target crashes, leaks or times out.
#   tests/fuzz/smoke.sh FUZZ_BUILD_DIR SECONDS TARGET...
# New inputs go to FUZZ_BUILD_DIR/smoke/TARGET/ (thrown away), crashes to
# FUZZ_BUILD_DIR/smoke/TARGET-crash-*; logs in FUZZ_BUILD_DIR/smoke/TARGET.log.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
fb=$1 secs=$2
shift 2
tests/fuzz/corpus.sh "$fb" || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
out=$fb/smoke
rm -rf "$out"
mkdir -p "$out"
fail=0
for t in "$@"; do
	bin=$fb/fuzz_$t
	reg=testdata/fuzz/regress/$t
	verdict=ok
	if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
		n=$(find "$reg" -type f | wc -l)
		if ! "$bin" -timeout=10 "$reg"/* > "$out/$t-regress.log" 2>&1; then
			verdict="FAIL (regression input; see $out/$t-regress.log)"
		fi
		echo "fuzz-smoke: $t: $n regression input(s): ${verdict}" >&2
	fi
	mkdir -p "$out/$t"
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$out/$t-" "$out/$t" "tests/fuzz/corpus/$t" > "$out/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$out/$t.log" | tail -1 | cut -d' ' -f2)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log" | tail -1)
	if [ $rc -ne 0 ]; then
		why=crash
		grep -q 'libFuzzer: timeout' "$out/$t.log" && why=timeout
		grep -q 'LeakSanitizer' "$out/$t.log" && why=leak
		grep -q 'out-of-memory' "$out/$t.log" && why=oom
		verdict="FAIL ($why, rc $rc; see $out/$t.log)"
	fi
	[ "$verdict" = ok ] || fail=1
	line=$(printf '%-9s execs %-10s exec/s %-7s cov %-6s ft %-7s %s' "$t" "${execs:-?}" \
	    "${rate:-?}" "${cov:-?}" "${ft:-?}" "$verdict")
	echo "fuzz-smoke: $line" >&2
done
echo "fuzz-smoke: ${secs} s per target: $([ $fail = 0 ] && echo passed || echo FAILED)" >&2
exit $fail

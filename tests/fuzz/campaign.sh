#!/usr/bin/env bash
# A long fuzzing campaign: each target in turn (one at a time: the machine's
# cores are shared), RUNS executions each, under nice -n 10, from its seeds
# (tests/fuzz/corpus.sh) and the regression inputs, keeping what it finds:
#   tests/fuzz/campaign.sh [RUNS [TARGET...]]     (default 10000000, every target)
# Corpora grow in $FUZZ_CAMPAIGN_DIR/TARGET/ (default build-fuzz/campaign), logs in
# $FUZZ_CAMPAIGN_DIR/TARGET.log, crashes as $FUZZ_CAMPAIGN_DIR/TARGET-crash-*;
# a summary line per target in $FUZZ_CAMPAIGN_DIR/summary.txt.  Build first: make fuzz.
# Run it in the background so that it outlives the shell:
#   nohup tests/fuzz/campaign.sh > build-fuzz/campaign.out 2>&1 &
# Each crash found belongs in testdata/fuzz/regress/TARGET/ once fixed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
runs=${1:-10000000}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(msg sk engine state keytable capture)
fb=build-fuzz
dir=${FUZZ_CAMPAIGN_DIR:-build-fuzz/campaign}
mkdir -p "$dir"
for t in "${targets[@]}"; do
	[ -x "$fb/fuzz_$t" ] || { echo "campaign: $fb/fuzz_$t missing: run make fuzz" >&2; exit 2; }
done
tests/fuzz/corpus.sh "$fb" || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "campaign: started $(date -u +%FT%TZ), $runs runs per target: ${targets[*]}" >> "$dir/summary.txt"
for t in "${targets[@]}"; do
	mkdir -p "$dir/$t"
	seeds=("tests/fuzz/corpus/$t")
	[ -d "testdata/fuzz/regress/$t" ] && seeds+=("testdata/fuzz/regress/$t")
	start=$(date +%s)
	nice -n 10 "$fb/fuzz_$t" -runs="$runs" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 \
	    -artifact_prefix="$dir/$t-" "$dir/$t" "${seeds[@]}" > "$dir/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$dir/$t.log" | tail -1 | cut -d' ' -f2)
	echo "campaign: $t: rc $rc, ${execs:-?} execs, cov ${cov:-?}, $(( $(date +%s) - start )) s," \
	    "corpus $(find "$dir/$t" -type f | wc -l) files, $(date -u +%FT%TZ)" >> "$dir/summary.txt"
done
echo "campaign: finished $(date -u +%FT%TZ)" >> "$dir/summary.txt"

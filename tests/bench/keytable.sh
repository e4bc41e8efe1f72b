#!/usr/bin/env bash
# The key table's cost per rkmp-keytable call: select, lookup and insert on
# tables of 1,000, 10,000 and 100,000 rows, in milliseconds per call (the
# whole process: start, read and check the table, answer; insert also writes
# and syncs the new table).  Target: 10,000 rows within 50 ms a call, and
# growth linear in the rows.
#   tests/bench/keytable.sh [BINDIR]   (env: BENCH_KT_SIZES="1000 10000 100000",
#                                       BENCH_KT_RUNS=9, BENCH_KT_DIR=bench-out/keytable)
# Each figure is the median of BENCH_KT_RUNS calls (min in brackets); the
# machines are shared and noisy, so compare within a run.  "start" is the
# process alone (--version): what every call pays before reading the table.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/bin}
kt=$bin/rkmp-keytable
sizes=${BENCH_KT_SIZES:-1000 10000 100000}
runs=${BENCH_KT_RUNS:-9}
out=${BENCH_KT_DIR:-bench-out/keytable}
[ -x "$kt" ] || { echo "bench: $kt is not built (run make)" >&2; exit 1; }
mkdir -p "$out"
umask 077

# rows N OCTET: N distinct TCP-AO rows, one per line, as insert takes them,
# for peers OCTET.x.y.z
rows() {
	awk -v n="$1" -v p="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			peer = sprintf("%s.%d.%d.%d", p, int(i / 62500), int(i / 250) % 250, i % 250 + 1)
			printf "{\"AdminKeyName\": \"rkmp/tcp-ao/%s/3d-54/%04d\", \"LocalKeyName\": \"54\", \"PeerKeyName\": \"3d\", \"Peers\": [\"%s\"], \"Interfaces\": [\"all\"], \"Protocol\": \"tcp-ao\", \"ProtocolSpecificInfo\": {\"send\":{\"tcp_option_flag\":\"include\"},\"recv\":{\"tcp_option_flag\":\"include\"},\"conn_id\":{\"peer_prefix\":\"%s/32\",\"local_port\":\"*\",\"remote_port\":\"*\"}}, \"KDF\": \"HMAC-SHA-1\", \"AlgID\": \"HMAC-SHA-1-96\", \"Key\": \"%040x\", \"Direction\": \"both\", \"SendLifetimeStart\": \"20260101000005Z\", \"SendLifetimeEnd\": \"20260101090000Z\", \"AcceptLifetimeStart\": \"20260101000000Z\", \"AcceptLifetimeEnd\": \"20260101090200Z\", \"x-rkmp\": {\"proto_id\": 201, \"child_spi_local\": \"3d\", \"child_spi_peer\": \"54\", \"rkmp_sa\": \"c0ffee00c0ffee00:%016x\", \"role\": \"initiator\", \"state\": \"active\"}}\n", peer, i, peer, peer, i + 1, i
		}
	}'
}

# ms CMD...: one call's wall time in milliseconds (bash's clock: no fork to read it)
ms() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>&1 || true
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
}

# stat FILE: "median (min)" of the numbers in FILE
stat_ms() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%8.1f (%6.1f)", m, v[1] }'
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: > "$out/start"
for _ in $(seq "$runs"); do ms "$kt" --version >> "$out/start"; done

{
	echo "rkmp-keytable bench  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  $(df --output=fstype "$out" | tail -n 1)"
	printf '%-8s %10s %20s %20s %20s\n' rows "file MiB" "select ms" "lookup ms" "insert ms"
} | tee "$out/bench.txt"
declare -A sel
for n in $sizes; do
	t=$out/t$n.json
	rm -f "$t" "$t.lock"
	rows "$n" 10 > "$out/rows$n.json"
	"$kt" -q -t "$t" insert "$out/rows$n.json"
	# the peer of a row in the middle
	mid=$((n / 2))
	peer="10.$((mid / 62500)).$((mid / 250 % 250)).$((mid % 250 + 1))"
	: > "$out/sel$n"; : > "$out/look$n"; : > "$out/ins$n"
	for _ in $(seq "$runs"); do
		ms "$kt" -t "$t" select --protocol tcp-ao --peer "$peer" --now 20260101010000Z >> "$out/sel$n"
		ms "$kt" -t "$t" lookup --protocol tcp-ao --peer "$peer" --key-name 54 --now 20260101010000Z >> "$out/look$n"
	done
	# a new row per call, into the same table
	rows "$runs" 172 > "$out/new$n.json"
	for i in $(seq "$runs"); do
		sed -n "${i}p" "$out/new$n.json" > "$out/one.json"
		ms "$kt" -q -t "$t" insert "$out/one.json" >> "$out/ins$n"
	done
	# one row per line
	[ "$(grep -c '^    {' "$t")" = "$((n + runs))" ] || echo "bench: the inserts did not all go in" >&2
	sel[$n]=$(median "$out/sel$n")
	printf '%-8s %10.1f %20s %20s %20s\n' "$n" "$(awk -v b="$(stat -c %s "$t")" 'BEGIN { print b / 1048576 }')" \
	    "$(stat_ms "$out/sel$n")" "$(stat_ms "$out/look$n")" "$(stat_ms "$out/ins$n")" | tee -a "$out/bench.txt"
	rm -f "$out/rows$n.json" "$out/new$n.json" "$t" "$t.lock" "$out/one.json"
done
{
	printf '%-8s %10s %20s   (the process alone: rkmp-keytable --version)\n' start "" "$(stat_ms "$out/start")"
	if [ -n "${sel[10000]:-}" ]; then
		awk -v s="${sel[10000]}" 'BEGIN { printf "select at 10,000 rows: %.1f ms a call: %s the 50 ms target\n", s, s <= 50 ? "within" : "over" }'
	fi
	if [ -n "${sel[10000]:-}" ] && [ -n "${sel[100000]:-}" ]; then
		awk -v a="${sel[10000]}" -v b="${sel[100000]}" 'BEGIN { printf "select growth 10,000 -> 100,000 rows: x%.1f (linear: x10)\n", b / a }'
	fi
} | tee -a "$out/bench.txt"

#!/usr/bin/env bash
# make bench: decode throughput of rkmp-decode side by side with tcpdump -vv
# and tshark -V on the same capture, and peak memory against capture size.
#   tests/bench/bench.sh [BINDIR]      (env: BENCH_MESSAGES, default 100000;
#                                       BENCH_SECONDS per negotiation case, default 3)
# The capture is built by repeating the real captures of testdata/decode/
# (mergecap -a doubling).  Figures are ratios measured in one run: the
# machines are shared and noisy, so compare only within a run.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/bin}
want=${BENCH_MESSAGES:-100000}
out=bench-out
mkdir -p "$out"
tests/install-deps.sh --bench
for t in mergecap tcpdump tshark; do command -v "$t" >/dev/null || { echo "bench: needs $t" >&2; exit 1; }; done

# 1. one capture of every real Ethernet capture, then double it until >= want messages
seed=$out/seed.pcap
mergecap -a -F pcap -w "$seed" testdata/decode/[a-r]*.pcap
per=$("$bin/rkmp-decode" -r "$seed" 2>&1 >/dev/null | sed -nE 's/^rkmp-decode: ([0-9]+) messages.*/\1/p')
cur=$seed n=$per
while [ "$n" -lt "$want" ]; do
	next=$out/x$((n * 2)).pcap
	mergecap -a -F pcap -w "$next" "$cur" "$cur"
	[ "$cur" = "$seed" ] || rm -f "$cur"
	cur=$next n=$((n * 2))
done
big=$out/big.pcap
mv "$cur" "$big"
half=$out/half.pcap
editcap -r "$big" "$half" 1-$(( $(capinfos -c -M "$big" | awk '/Number of packets/ {print $NF}') / 2 )) >/dev/null
small=$out/small.pcap
editcap -r "$big" "$small" 1-$(( $(capinfos -c -M "$big" | awk '/Number of packets/ {print $NF}') / 20 )) >/dev/null
msgs=$n
echo "bench: capture of $msgs IKE messages ($(du -h "$big" | cut -f1)), built from $per real ones"

# best wall time of 3 runs, in seconds
best() {
	local b="" t
	for _ in 1 2 3; do
		/usr/bin/time -o "$out/time" -f '%e' "$@" >/dev/null 2>&1 || true
		t=$(tail -n 1 "$out/time")
		if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN {exit !(a < b)}'; then b=$t; fi
	done
	echo "$b"
}
rss() { /usr/bin/time -o "$out/time" -f '%M' "$@" >/dev/null 2>&1 || true; tail -n 1 "$out/time"; }
rate() { awk -v m="$1" -v t="$2" 'BEGIN { if (t <= 0) t = 0.01; printf "%.0f", m / t }'; }

t_ours=$(best "$bin/rkmp-decode" -q -r "$big")
t_ours_v=$(best "$bin/rkmp-decode" -q -v -r "$big")
t_ours_j=$(best "$bin/rkmp-decode" -q --json -r "$big")
t_tcpdump=$(best tcpdump -vv -n -r "$big")
small_msgs=$("$bin/rkmp-decode" -r "$small" 2>&1 >/dev/null | sed -nE 's/^rkmp-decode: ([0-9]+) messages.*/\1/p')
/usr/bin/time -o "$out/time" -f '%e' tshark -V -r "$small" >/dev/null 2>&1 || true
t_tshark=$(tail -n 1 "$out/time")
t_ours_small_v=$(best "$bin/rkmp-decode" -q -v -r "$small")

r_ours=$(rate "$msgs" "$t_ours") r_ours_v=$(rate "$msgs" "$t_ours_v") r_ours_j=$(rate "$msgs" "$t_ours_j")
r_tcpdump=$(rate "$msgs" "$t_tcpdump") r_tshark=$(rate "$small_msgs" "$t_tshark")
m_half=$(rss "$bin/rkmp-decode" -q -v -r "$half")
m_big=$(rss "$bin/rkmp-decode" -q -v -r "$big")
# --json is written through a buffer flushed every 64 KiB: flat too
mj_small=$(rss "$bin/rkmp-decode" -q --json -r "$small")
mj_half=$(rss "$bin/rkmp-decode" -q --json -r "$half")
mj_big=$(rss "$bin/rkmp-decode" -q --json -r "$big")

{
	echo "rkmp-decode bench  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores"
	printf '%-34s %10s %12s %10s\n' "decoder" "seconds" "messages/s" "vs tcpdump"
	printf '%-34s %10s %12s %10s\n' "rkmp-decode (one line)" "$t_ours" "$r_ours" "$(awk -v a="$r_ours" -v b="$r_tcpdump" 'BEGIN{printf "%.2fx", a/b}')"
	printf '%-34s %10s %12s %10s\n' "rkmp-decode -v (payload tree)" "$t_ours_v" "$r_ours_v" "$(awk -v a="$r_ours_v" -v b="$r_tcpdump" 'BEGIN{printf "%.2fx", a/b}')"
	printf '%-34s %10s %12s %10s\n' "rkmp-decode --json" "$t_ours_j" "$r_ours_j" "$(awk -v a="$r_ours_j" -v b="$r_tcpdump" 'BEGIN{printf "%.2fx", a/b}')"
	printf '%-34s %10s %12s %10s\n' "tcpdump -vv -n -r" "$t_tcpdump" "$r_tcpdump" "1.00x"
	printf '%-34s %10s %12s %10s\n' "tshark -V -r ($small_msgs messages)" "$t_tshark" "$r_tshark" "$(awk -v a="$r_tshark" -v b="$r_tcpdump" 'BEGIN{printf "%.2fx", a/b}')"
	echo "rkmp-decode -v vs tshark -V: $(awk -v a="$r_ours_v" -v b="$r_tshark" 'BEGIN{printf "%.1fx", a/b}') (same $small_msgs-message file: $t_ours_small_v s vs $t_tshark s)"
	echo "rkmp-decode one line vs tshark -V: $(awk -v a="$r_ours" -v b="$r_tshark" 'BEGIN{printf "%.1fx", a/b}')"
	echo "rkmp-decode --json vs tcpdump -vv: $(awk -v a="$r_ours_j" -v b="$r_tcpdump" 'BEGIN{printf "%.2fx", a/b}') (target >= 1.00x: NDJSON as fast as tcpdump's text)"
	echo "peak RSS rkmp-decode -v: $m_half KiB at $((msgs / 2)) messages, $m_big KiB at $msgs messages"
	echo "peak RSS rkmp-decode --json: $mj_small KiB at $small_msgs messages, $mj_half KiB at $((msgs / 2)), $mj_big KiB at $msgs (target: flat)"
} | tee "$out/bench.txt"

# 2. RKMP_SA_INIT + RKMP_SA_AUTH negotiations per CPU second (both sides in
#    one process) side by side with their crypto floor: the DH, key schedule,
#    AUTH, SK protection and random octets of one negotiation in plain
#    OpenSSL EVP calls (rkmp-bench's first line lists it), one line per suite;
#    then the scripted six-step flow.
echo | tee -a "$out/bench.txt"
"$bin/rkmp-bench" "${BENCH_SECONDS:-3}" | tee -a "$out/bench.txt"
flow_time() {	# best of 5 wall times of the six steps, in ms, with the files in $1
	local flow=$1 best="" t0 t1 ms
	printf 'bench-psk\n' > "$flow/k.psk"; chmod 600 "$flow/k.psk"
	for _ in 1 2 3 4 5; do
		rm -f "$flow"/*.json "$flow"/*.bin
		t0=$(date +%s%N)
		"$bin/rkmp-init" -q -s "$flow/a.json" --id fqdn:a.example -o "$flow/1.bin" &&
		"$bin/rkmp-init" -q -s "$flow/b.json" --respond --id fqdn:b.example -i "$flow/1.bin" -o "$flow/2.bin" &&
		"$bin/rkmp-init" -q -s "$flow/a.json" -i "$flow/2.bin" &&
		"$bin/rkmp-auth" -q -s "$flow/a.json" --psk-file "$flow/k.psk" -o "$flow/3.bin" &&
		"$bin/rkmp-auth" -q -s "$flow/b.json" --respond --psk-file "$flow/k.psk" -i "$flow/3.bin" -o "$flow/4.bin" &&
		"$bin/rkmp-auth" -q -s "$flow/a.json" -i "$flow/4.bin"
		t1=$(date +%s%N)
		ms=$(( (t1 - t0) / 1000000 ))
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
	done
	rm -rf "$flow"
	echo "$best"
}
disk=$(flow_time "$(mktemp -d -p "$PWD/$out")")
echo "scripted six-step file flow (DESIGN.md §6, default suite), best of 5: ${disk} ms on $(df --output=fstype "$out" | tail -n 1) (12 fsyncs: state files are synced)" | tee -a "$out/bench.txt"
if [ -d /dev/shm ]; then
	shm=$(flow_time "$(mktemp -d -p /dev/shm)")
	echo "the same with the files on tmpfs (/dev/shm, fsync free): ${shm} ms" | tee -a "$out/bench.txt"
fi

#!/usr/bin/env bash
# Extract every IKE message of the captures in testdata/decode/ as raw message
# files (IKE header onwards, one datagram each) into testdata/msgs/, using
# tshark (an independent decoder), not our own code.  The non-ESP marker of
# port 4500 is stripped.  Usage: tests/extract-messages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/msgs
rm -rf "$out"; mkdir -p "$out"
for cap in testdata/decode/*.pcap; do
	name=$(basename "$cap" .pcap)
	tshark -r "$cap" -o ip.defragment:TRUE -d udp.port==5500,isakmp -d udp.port==50500,isakmp \
	    -Y 'isakmp' -T fields -E separator=' ' -e frame.number -e udp.srcport -e udp.dstport -e udp.payload 2>/dev/null |
	while read -r frame sport dport payload; do
		[ -n "$payload" ] || continue
		payload=${payload//:/}
		if [ "$sport" = 4500 ] || [ "$dport" = 4500 ]; then
			[ "${payload:0:8}" = 00000000 ] || continue   # ESP, not IKE
			payload=${payload:8}
		fi
		printf '%s' "$payload" | xxd -r -p > "$out/$name-$(printf %02d "$frame").bin"
	done
done
find "$out" -name "*.bin" | wc -l

#!/usr/bin/env bash
# Cross-check rkmp-decode against tshark, field by field, on one capture:
#   tests/tshark-crosscheck.sh BINDIR CAPTURE [rkmp-decode args...]
# For every IKE message both tools see: frame, SPIs, exchange, message ID,
# I/R flags, Length, cleartext payload types in order, notify types, proposal
# numbers and protocol IDs, transform types and IDs per type, KE groups,
# nonces, SKF fragment numbers.  Prints a diff and exits 1 on any difference.
set -euo pipefail
bin=$1 cap=$2
shift 2
ports=(-d "udp.port==50500,isakmp")
for ((i = 1; i <= $#; i++)); do
	if [ "${!i}" = --port ]; then j=$((i + 1)); ports+=(-d "udp.port==${!j},isakmp"); fi
done
ts() {
	tshark -r "$cap" -o ip.defragment:TRUE "${ports[@]}" -Y isakmp -T fields -E separator='|' \
	    -E aggregator=',' -E occurrence=a -e frame.number -e isakmp.ispi -e isakmp.rspi \
	    -e isakmp.exchangetype -e isakmp.messageid -e isakmp.flags -e isakmp.length \
	    -e isakmp.typepayload -e isakmp.notify.msgtype -e isakmp.prop.number -e isakmp.prop.protoid \
	    -e isakmp.tf.type -e isakmp.tf.id.encr -e isakmp.tf.id.prf -e isakmp.tf.id.integ \
	    -e isakmp.tf.id.dh -e isakmp.key_exchange.dh_group -e isakmp.nonce \
	    -e isakmp.frag.number -e isakmp.frag.total 2>/dev/null |
	while IFS='|' read -r fr si sr ex mid fl len pt nt pn pp tt te tp ti td kg no fn ftot; do
		# typepayload also lists proposal (2) and transform (3) substructures: drop them
		pt=$(tr ',' '\n' <<<"$pt" | grep -vxE '2|3' | paste -sd, -)
		printf '%s|%s|%s|%s|%d|%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$fr" "$si" "$sr" "$ex" \
		    "$mid" $((fl & 0x28)) "$len" "$pt" "$nt" "$pn" "$pp" "$tt" "$te" "$tp" "$ti" "$td" "$kg" \
		    "${no//:/}" "$fn" "$ftot"
	done
}
ours() {
	"$bin/rkmp-decode" -q --json -r "$cap" "$@" | jq -r '
	  def ids(t): [.payloads[] | select(.type == 33) | .proposals[].transforms[] | select(.type == t) | .id] | join(",");
	  [ .frame, .spi_i, .spi_r, .exchange_type, .msg_id,
	    ((if .flags.initiator then 8 else 0 end) + (if .flags.response then 32 else 0 end)),
	    .length,
	    ([.payloads[].type] | join(",")),
	    ([.payloads[] | select(.type == 41) | .notify_type] | join(",")),
	    ([.payloads[] | select(.type == 33) | .proposals[].num] | join(",")),
	    ([.payloads[] | select(.type == 33) | .proposals[].protocol_id] | join(",")),
	    ([.payloads[] | select(.type == 33) | .proposals[].transforms[].type] | join(",")),
	    ids(1), ids(2), ids(3), ids(4),
	    ([.payloads[] | select(.type == 34) | .group] | join(",")),
	    ([.payloads[] | select(.type == 40) | .data] | join(",")),
	    ([.payloads[] | select(.type == 53) | .fragment] | join(",")),
	    ([.payloads[] | select(.type == 53) | .total] | join(","))
	  ] | map(tostring) | join("|")'
}
diff -u --label tshark --label rkmp-decode <(ts) <(ours "$@")

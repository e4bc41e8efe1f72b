#!/usr/bin/env bash
# Cross-check rkmp-decode against tshark, field by field, on one capture:
#   tests/tshark-crosscheck.sh [--golden FILE] BINDIR CAPTURE [rkmp-decode args...]
# For every IKE message both tools see: frame, SPIs, exchange, message ID,
# I/R flags, Length, cleartext payload types in order, notify types, proposal
# numbers and protocol IDs, transform types and IDs per type, KE groups,
# nonces, SKF fragment numbers.  The tshark side is tshark run now
# (tests/tshark-goldens.sh --print fields), or with --golden the lines that
# tests/tshark-goldens.sh kept from tshark in FILE (testdata/tshark/NAME.fields).
# Prints a diff and exits 1 on any difference, and when either side has no
# message at all (nothing compared is no agreement).
set -euo pipefail
golden=
if [ "${1:-}" = --golden ]; then golden=$2; shift 2; fi
bin=$1 cap=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
ports=()
for ((i = 1; i <= $#; i++)); do
	if [ "${!i}" = --port ]; then j=$((i + 1)); ports+=("${!j}"); fi
done
ts() {
	if [ -n "$golden" ]; then
		sed '/^# /d' "$golden"
	else
		"$here/tshark-goldens.sh" --print fields "$cap" "${ports[@]}"
	fi
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
t=$(ts) || { echo "tshark-crosscheck: $cap: tshark failed" >&2; exit 1; }
o=$(ours "$@") || { echo "tshark-crosscheck: $cap: rkmp-decode --json | jq failed" >&2; exit 1; }
rc=0
[ -n "$t" ] || { echo "tshark-crosscheck: $cap: tshark shows no IKE message${golden:+ ($golden)}" >&2; rc=1; }
[ -n "$o" ] || { echo "tshark-crosscheck: $cap: rkmp-decode shows no IKE message" >&2; rc=1; }
diff -u --label "tshark${golden:+ ($golden)}" --label rkmp-decode <(printf '%s\n' "$t") <(printf '%s\n' "$o") || rc=1
exit $rc

#!/usr/bin/env bash
# make demo: decode a real strongSwan negotiation shipped in testdata/
# (IKE_SA_INIT with an INVALID_KE_PAYLOAD retry, IKE_AUTH, DELETE).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bin}
cap=testdata/decode/g-invalid-ke.pcap
export TZ=UTC
echo "== $bin/rkmp-decode -r $cap"
"$bin/rkmp-decode" -r "$cap"
echo
echo "== $bin/rkmp-decode -v -r $cap -c 2   (the payload tree of the first two messages)"
"$bin/rkmp-decode" -q -v -r "$cap" -c 2
echo
echo "== $bin/rkmp-decode --json -r $cap | jq ...   (NDJSON for scripts)"
if command -v jq >/dev/null; then
	"$bin/rkmp-decode" -q --json -r "$cap" |
	    jq -c '{frame, exchange: .exchange_type_name, mid: .msg_id, payloads: [.payloads[] | .notify_type_name // .type_name]}'
else
	"$bin/rkmp-decode" -q --json -r "$cap" -c 1
fi

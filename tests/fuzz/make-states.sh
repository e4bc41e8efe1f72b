#!/usr/bin/env bash
# The fixed states and messages the fuzz targets start from (testdata/fuzz/):
#   tests/fuzz/make-states.sh [BINDIR [OUTDIR]]      (defaults build/bin testdata/fuzz)
# Seeded negotiations (--seed, a PSK) run over files, so every state and every
# message is the same on each run.  For each message NN.bin the state of the
# side that consumes it is kept, as it was just before, in s-NN.json; engine.list
# names the engine function that consumes it ("FUNCTION FLOW/s-NN.json FLOW/NN.bin").
# Flows: g = rkmp profile, AES-GCM-256/x25519 (every exchange kind);
#        c = ikev2 profile, AES-CBC-128 + HMAC-SHA2-256-128/MODP-2048 (up to a child);
#        h = rkmp profile, ChaCha20-Poly1305/x25519 (up to RKMP_SA_AUTH).
# keys-FLOW.json is flow FLOW's established initiator (fuzz_sk takes its keys).
# Regenerate on purpose only: the seed corpora and regressions refer to these.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(cd "${1:-build/bin}" && pwd)
out=${2:-testdata/fuzz}
PSK='rkmp-fuzz-psk'
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
printf '%s\n' "$PSK" > "$w/k.psk"
chmod 600 "$w/k.psk"
rm -rf "$out/g" "$out/c" "$out/h"
mkdir -p "$out"
list=$out/engine.list
{
	echo "# FUNCTION STATE MESSAGE: made by tests/fuzz/make-states.sh (do not edit)"
} > "$list"

flow='' seed=''
run() {	# run TOOL ARGS... quietly in the flow's directory
	local t=$1
	shift
	(cd "$w/$flow" && "$bin/$t" -q "$@" 2>"$w/err") || { echo "make-states: $flow: $t $*: $(grep -v WARNING "$w/err")" >&2; exit 1; }
}
# feed SIDE NN FUNCTION: SIDE is about to consume NN.bin with FUNCTION
feed() {
	cp "$w/$flow/$1.json" "$out/$flow/s-$2.json"
	echo "$3 $flow/s-$2.json $flow/$2.bin" >> "$list"
}
keep() {	# keep NN.bin from the work directory
	cp "$w/$flow/$1.bin" "$out/$flow/$1.bin"
}
# A responder before its first message: phase new, as rkmp-init --respond makes it.
new_responder() {	# new_responder PROFILE PROPOSALS SEED ID
	jq -n --arg profile "$1" --arg prop "$2" --arg seed "$3" --arg id "$4" '{
		format: "rkmp-state", version: 1, phase: "new", role: "responder",
		profile: $profile, identities: {local: $id}, proposals: $prop,
		childless: false, seed: $seed,
		ike_sa: {spi_i: "0000000000000000", spi_r: "0000000000000000", mid_next: 0,
		    mid_peer: 0, ni: "", nr: "", init_retries: 0, iv_counter_out: 0},
		children: [], transcript: [], secrets: {children: []}}'
}
child_spi() {	# our SPI of child N of SIDE
	jq -r ".children[$2].spi_local" "$w/$flow/$1.json"
}

# establish PROFILE PROPOSALS: RKMP_SA_INIT and RKMP_SA_AUTH, messages 01..04
establish() {
	local profile=$1 prop=$2
	mkdir -p "$w/$flow" "$out/$flow"
	run rkmp-init -s a.json --profile "$profile" --proposal "$prop" --seed "a0$seed" \
	    --id "fqdn:a.$flow.fuzz.test" -o 01.bin
	new_responder "$profile" "$prop" "b0$seed" "fqdn:b.$flow.fuzz.test" > "$out/$flow/s-01.json"
	echo "init_respond $flow/s-01.json $flow/01.bin" >> "$list"
	keep 01
	run rkmp-init -s b.json --respond --profile "$profile" --proposal "$prop" --seed "b0$seed" \
	    --id "fqdn:b.$flow.fuzz.test" -i 01.bin -o 02.bin
	feed a 02 init_process; keep 02
	run rkmp-init -s a.json -i 02.bin
	run rkmp-auth -s a.json --psk-file ../k.psk -o 03.bin
	feed b 03 auth_respond; keep 03
	run rkmp-auth -s b.json --respond --psk-file ../k.psk -i 03.bin -o 04.bin
	feed a 04 auth_process; keep 04
	run rkmp-auth -s a.json -i 04.bin
	cp "$w/$flow/a.json" "$out/$flow/keys.json"
}

# exchange REQ RESP REQUESTER RESPONDER ARGS...: one child/informational exchange
exchange() {
	local q=$1 p=$2 rq=$3 rs=$4
	shift 4
	run rkmp-child -s "$rq.json" "$@" -o "$q.bin"
	feed "$rs" "$q" child_respond; keep "$q"
	run rkmp-child -s "$rs.json" --respond -i "$q.bin" -o "$p.bin"
	feed "$rq" "$p" child_process; keep "$p"
	run rkmp-child -s "$rq.json" -i "$p.bin"
}

flow=g seed=01
establish rkmp aes256gcm16-prfsha256-x25519,aes256gcm16-prfsha256-ecp256,aes256-sha256-modp2048
exchange 05 06 a b --create --protocol bfd
exchange 07 08 a b --rekey "$(child_spi a 0)" --pfs x25519
exchange 09 10 b a --liveness
exchange 11 12 a b --delete "$(child_spi a 1)"
# rekey of the RKMP SA: the answer continues with the Delete of the old SA
run rkmp-child -s a.json --rekey-ike -o 13.bin
feed b 13 child_respond; keep 13
run rkmp-child -s b.json --respond -i 13.bin -o 14.bin
feed a 14 child_process; keep 14
run rkmp-child -s a.json -i 14.bin -o 15.bin
feed b 15 child_respond; keep 15
run rkmp-child -s b.json --respond -i 15.bin -o 16.bin
feed a 16 child_process; keep 16
run rkmp-child -s a.json -i 16.bin
exchange 17 18 b a --delete-ike

flow=c seed=02
establish ikev2 aes128-sha256-modp2048
exchange 05 06 a b --create
exchange 07 08 b a --rekey "$(child_spi b 0)"

flow=h seed=03
establish rkmp chacha20poly1305-prfsha256-x25519

chmod 644 "$out"/*/*.json
echo "make-states: $(grep -vc '^#' "$list") engine entries in $list" >&2

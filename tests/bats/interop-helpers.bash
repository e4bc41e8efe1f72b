# Shared by the strongSwan interop suites (85, 94, 95, 96): charon in a network
# namespace of its own (tests/interop/strongswan-peer.sh), us in another
# (10.77.0.2), the peer at 10.77.0.1.  Skips without root; without strongSwan and
# the harness's plugins (tests/interop/install-strongswan.sh, which make check runs
# as root) it skips, or fails when RKMP_TEST_STRICT=1 (CI).
# The state file the helpers read is $STATE, default $W/a.json.  A test that runs
# one of our tools in the background keeps its pid in RPID: teardown kills it.
# shellcheck shell=bash

# each suite its own namespaces (NAME-94-peer, ...), so that run-checks.sh can
# run the suites side by side; RKMP_INTEROP_NAME (default rkmp) still sets NAME
RKMP_SUITE=${BATS_TEST_FILENAME##*/}
RKMP_SUITE=${RKMP_SUITE%%-*}
[[ ${RKMP_INTEROP_NAME:-} == *-"$RKMP_SUITE" ]] || export RKMP_INTEROP_NAME=${RKMP_INTEROP_NAME:-rkmp}-$RKMP_SUITE
SW=$TOP/tests/interop/strongswan-peer.sh
SW_INSTALL=$TOP/tests/interop/install-strongswan.sh
NS_US=$("$SW" path ns-us)

setup_file() {
	# once per file: what is missing, if anything (empty when ready)
	RKMP_SW_MISSING=$("$SW_INSTALL" --check 2>&1) || RKMP_SW_MISSING=${RKMP_SW_MISSING:-missing}
	export RKMP_SW_MISSING
}

setup() {
	[ "$(id -u)" = 0 ] || skip "interop needs root (network namespaces)"
	if [ -n "$RKMP_SW_MISSING" ]; then
		[ "${RKMP_TEST_STRICT:-0}" = 1 ] && fail "strongSwan for the interop suites (RKMP_TEST_STRICT=1): $RKMP_SW_MISSING"
		skip "strongSwan for the interop suites: $(sed -n '1s/^install-strongswan: //p' <<<"$RKMP_SW_MISSING"); install it with tests/interop/install-strongswan.sh as root (make check does)"
	fi
	SW_USED=1
	W=$BATS_TEST_TMPDIR
	printf 'rkmp-interop-psk-0123456789' > "$W/k.psk"
	chmod 600 "$W/k.psk"
}

teardown() {
	[ -n "${RPID:-}" ] && kill "$RPID" 2>/dev/null || true
	# only when setup did not skip: the namespaces may be another run's
	[ -z "${SW_USED:-}" ] || "$SW" down >/dev/null 2>&1 || true
}

us() { ip netns exec "$NS_US" "$@"; }

st() { jq -r "$1" "${STATE:-$W/a.json}"; }

negotiate() {	# negotiate INIT-OPTS... -- AUTH-OPTS...: our initiator against the peer
	local iopts=() aopts=() side=i
	for a in "$@"; do
		if [ "$a" = -- ]; then side=a; continue; fi
		if [ $side = i ]; then iopts+=("$a"); else aopts+=("$a"); fi
	done
	us "$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --id fqdn:us.rkmp.test --peer 10.77.0.1:500 \
	    --retransmit 1,1.5,3 "${iopts[@]}" || return
	us "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --peer-id fqdn:peer.rkmp.test \
	    --peer 10.77.0.1:500 --retransmit 1,1.5,3 "${aopts[@]}"
}

# our state's SK_* equal the keys charon logged for that IKE SA (by our SPIs;
# after a rekey the harness's rkmp-keylog logs the new SA's keys with its SPIs)
keys_match_charon() {
	local log line k i=2 theirs v
	log=$("$SW" path keylog)
	# our SPIs and SK_* in one jq ("-" for a key the suite has not)
	read -r -a v < <(jq -r '[.ike_sa.spi_i, .ike_sa.spi_r,
	    (.secrets | .sk_d, .sk_ai, .sk_ar, .sk_ei, .sk_er, .sk_pi, .sk_pr | . // "-")] | @tsv' "${STATE:-$W/a.json}")
	[ "${#v[@]}" = 9 ] || { echo "our state: ${v[*]}"; return 1; }
	line=$(grep "^IKE spi_i=${v[0]} spi_r=${v[1]} " "$log" | tail -n 1)
	[ -n "$line" ] || { echo "no keys logged for ${v[0]}:${v[1]}"; return 1; }
	for k in sk_d sk_ai sk_ar sk_ei sk_er sk_pi sk_pr; do
		theirs=
		[[ " $line" =~ \ $k=([0-9a-f-]+) ]] && theirs=${BASH_REMATCH[1]}
		[ "$theirs" = "${v[i]}" ] || { echo "$k: charon $theirs, ours ${v[i]}"; return 1; }
		i=$((i + 1))
	done
}

# swanctl shows the IKE SA with our state's two SPIs, ESTABLISHED
established_in_swanctl() {
	"$SW" swanctl --list-sas | grep -qE "ESTABLISHED, IKEv2, $(st .ike_sa.spi_i)_i\*? $(st .ike_sa.spi_r)_r"
}

# the last child's KEYMAT starts with charon's encr_i for its SPI (our inbound
# SPI: spi_i of charon's line when we initiated the exchange, spi_r when charon did)
child_keys_match_charon() {
	local spi log encr_i
	spi=$(st '.children[-1].spi_local')
	log=$("$SW" path keylog)
	encr_i=$(grep -E "^CHILD .* spi_[ir]=$spi " "$log" | sed -nE 's/.* encr_i=([0-9a-f]+).*/\1/p' | tail -n 1)
	[ -n "$encr_i" ] && [[ "$(st '.secrets.children[-1].keymat')" == "$encr_i"* ]]
}

child_state_in_swanctl() {	# child_state_in_swanctl SPI_PEER STATE
	"$SW" swanctl --list-sas | grep -B3 "in  $1" | grep -q "$2"
}

# sw_fragments sent|received EXCHANGE request|response: into how many fragments
# charon split (sent) or from how many it reassembled (received) the last such
# message it logged; 0 when none was fragmented (received: only when reassembled)
sw_fragments() {
	"$SW" fragments "$1" "$2" |
	    awk -v kind="$3" '$3 == kind && ($1 == "sent" || $8 == "reassembled") { n = $5 } END { print n + 0 }'
}

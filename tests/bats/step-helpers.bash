# Helpers for the step-binary suites: a scratch directory, a PSK file, and the
# six-step scripted negotiation of DESIGN.md §6.

setup_step() {
	W=$BATS_TEST_TMPDIR
	printf 'rkmp-test-psk-0123456789\n' > "$W/k.psk"
	chmod 600 "$W/k.psk"
	PORT=$((20000 + RANDOM % 20000))	# UDP on 127.0.0.1
}

# udp_bound PORT [NETNS]: wait (10 s at most) until a socket is bound to UDP PORT
# on this machine (in NETNS), as a background responder is once it listens
udp_bound() {
	local i ns=()
	[ -z "${2:-}" ] || ns=(ip netns exec "$2")
	for ((i = 0; i < 100; i++)); do
		"${ns[@]}" ss -Hlun "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing is bound to UDP port $1 after 10 s"
}

# a background responder ($RPID) never outlives its test
teardown_step() {
	[ -n "${RPID:-}" ] && kill "$RPID" 2>/dev/null || true
}

# init_pair [initiator options] -- [responder options]: RKMP_SA_INIT over files
init_pair() {
	local iopts=() ropts=() side=i
	for a in "$@"; do
		if [ "$a" = -- ]; then side=r; continue; fi
		if [ $side = i ]; then iopts+=("$a"); else ropts+=("$a"); fi
	done
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --id fqdn:a.rkmp.test "${iopts[@]}" -o "$W/1.bin" &&
	"$RKMP_BIN/rkmp-init" -q -s "$W/b.json" --respond --id fqdn:b.rkmp.test "${ropts[@]}" -i "$W/1.bin" -o "$W/2.bin" &&
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -i "$W/2.bin"
}

# auth_pair [options for both]: RKMP_SA_AUTH over files
auth_pair() {
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" "$@" -o "$W/3.bin" &&
	"$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --psk-file "$W/k.psk" "$@" -i "$W/3.bin" -o "$W/4.bin" &&
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" -i "$W/4.bin"
}

# both states hold the same IKE SA: SPIs and every SK_* (one jq for both
# files), each of them there, save SK_ai and SK_ar where the suite has no INTEG
# (AEAD) -- then neither side may have them
same_keys() {
	local bad
	bad=$(jq -rs 'def keys_of: [.ike_sa.spi_i, .ike_sa.spi_r, (.secrets | .skeyseed, .sk_d, .sk_ai, .sk_ar,
	        .sk_ei, .sk_er, .sk_pi, .sk_pr)];
	    [".ike_sa.spi_i", ".ike_sa.spi_r", ".secrets.skeyseed", ".secrets.sk_d", ".secrets.sk_ai",
	     ".secrets.sk_ar", ".secrets.sk_ei", ".secrets.sk_er", ".secrets.sk_pi", ".secrets.sk_pr"] as $name
	    | (.[0] | keys_of) as $a | (.[1] | keys_of) as $b | (.[0].suite.integ != null) as $integ
	    | range($name | length) as $i
	    | if $a[$i] != $b[$i] then "differs: \($name[$i])"
	      elif $a[$i] == null and ($integ or ($i != 4 and $i != 5)) then "missing: \($name[$i])"
	      elif $a[$i] != null and ($a[$i] | type != "string" or (test("^[0-9a-f]+$") | not)) then "not hex: \($name[$i])"
	      elif $a[$i] != null and ($integ | not) and ($i == 4 or $i == 5) then "AEAD suite with \($name[$i])"
	      else empty end' "$W/a.json" "$W/b.json") || { echo "jq could not read both states"; return 1; }
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

# pair_jq FILTER [JQ OPTIONS]: one jq over both states, the initiator's as $a
# and the responder's as $b (JQ OPTIONS may bind more, --argjson row "$row");
# its output lines in the array v (empty lines kept)
pair_jq() {
	local out f=$1
	shift
	out=$(jq -rs "$@" ".[0] as \$a | .[1] as \$b | $f" "$W/a.json" "$W/b.json") || return 1
	mapfile -t v <<<"$out"
}

# same_keymat INDEX: the child INDEX has the same KEYMAT on both sides, a hex string
same_keymat() {
	pair_jq "\$a.secrets.children[$1].keymat, \$b.secrets.children[$1].keymat" || return 1
	[[ "${v[0]}" =~ ^[0-9a-f]+$ ]] || { echo "child $1: KEYMAT ${v[0]}"; return 1; }
	[ "${v[0]}" = "${v[1]}" ] || { echo "child $1: KEYMATs differ"; return 1; }
}

established() {	# established [init options] -- [responder options]: the DESIGN.md §6 flow
	init_pair "$@" && auth_pair
}

# exchange FROM TO NAME [request options]: one child exchange over files
exchange() {
	local from=$1 to=$2 name=$3
	shift 3
	"$RKMP_BIN/rkmp-child" -q -s "$W/$from.json" "$@" -o "$W/$name.req" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/$to.json" --respond -i "$W/$name.req" -o "$W/$name.resp" &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/$from.json" -i "$W/$name.resp"
}

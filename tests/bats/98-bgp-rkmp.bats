#!/usr/bin/env bats
# The whole loop (DESIGN.md §7): two routers in network namespaces negotiate
# an RKMP SA over UDP with a tcp-md5 child, rkmp-hook writes the password into
# BIRD's or FRR's file, the BGP session comes up Established with that key on
# it; a child rekey makes the hooks install the new password on both routers
# and the session comes back with the new key, the old one no longer accepted.
# And a BFD child's keys, exported as BIRD password blocks, authenticate a BFD
# session between two BIRDs.  The lab is tests/routing/bgp-lab.sh; the same
# skips as 97-bgp-lab.bats.

load helpers
load bgp-helpers

setup() {
	bgp_lab_setup
	lab_paths
	printf 'rkmp-bgp-psk-0123456789abcdef\n' > "$W/k.psk"
	chmod 600 "$W/k.psk"
}

teardown() {
	[ -n "${RPID:-}" ] && kill "$RPID" 2>/dev/null || true
	bgp_lab_teardown
}

# hook SIDE KIND: the --rp-hook command of SIDE's router
hook() {
	local run=$LAB_DIR/$1
	if [ "$2" = bird ]; then
		echo "$RKMP_BIN/rkmp-hook bird --include $W/$1.inc --socket $run/bird.ctl"
	else
		echo "$RKMP_BIN/rkmp-hook frr --file $W/$1.inc --vty-socket $run/vty"
	fi
}

# negotiate KIND_A KIND_B [PROTOCOL]: the RKMP SA over UDP, a (10.78.0.1) the initiator,
# its first child tcp-md5 (or PROTOCOL, then without hooks); each side's hook
# writes its router's file
negotiate() {
	local ha hb proto=${3:-tcp-md5}
	ha=$(hook a "$1")
	hb=$(hook b "$2")
	[ "$proto" = tcp-md5 ] || ha=true hb=true
	in_ns b "$RKMP_BIN/rkmp-init" -q -s "$W/b.json" --respond --id fqdn:b.rkmp.test \
	    --listen 10.78.0.2 --wait 20 &
	RPID=$!
	in_ns a "$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --id fqdn:a.rkmp.test --peer 10.78.0.2 \
	    --retransmit 0.5,1.5,3 || return
	wait "$RPID" || return
	in_ns b "$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --listen 10.78.0.2 --wait 20 \
	    --psk-file "$W/k.psk" -t "$W/b.kt" --rp-hook "$hb" 2>"$W/b.hook" &
	RPID=$!
	in_ns a "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --protocol "$proto" \
	    --peer 10.78.0.2 --retransmit 0.5,1.5,3 -t "$W/a.kt" --rp-hook "$ha" \
	    2>"$W/a.hook" || return
	wait "$RPID"
	RPID=
}

# rekey KIND_A KIND_B: a rekeys the tcp-md5 child; both hooks run again
rekey() {
	in_ns b "$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond --listen 10.78.0.2 --wait 20 \
	    -t "$W/b.kt" --rp-hook "$(hook b "$2")" 2>"$W/b.hook" &
	RPID=$!
	in_ns a "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey "$(jq -r '.children[-1].spi_local' "$W/a.json")" \
	    --peer 10.78.0.2 --retransmit 0.5,1.5,3 -t "$W/a.kt" --rp-hook "$(hook a "$1")" \
	    2>"$W/a.hook" || return
	wait "$RPID"
	RPID=
}

# key SIDE: the Key of the newest tcp-md5 row in SIDE's table (its hex digits
# are the password, DESIGN.md §7)
key() {
	jq -r '[.rows[] | select(.Protocol == "tcp-md5")] | max_by(.SendLifetimeStart) | .Key' "$W/$1.kt"
}

# keys: key a in KA and key b in KB, with one jq
keys() {
	local out
	out=$(jq -r '[.rows[] | select(.Protocol == "tcp-md5")] | max_by(.SendLifetimeStart) | .Key' "$W/a.kt" "$W/b.kt") ||
		fail "jq: the tables $W/a.kt $W/b.kt"
	[[ $out == *$'\n'* ]] || fail "jq: not two keys: $out"
	KA=${out%%$'\n'*} KB=${out#*$'\n'}
}

# the whole loop with router KIND_A on a and KIND_B on b
loop() {
	local ka=$1 kb=$2 k1 k2
	run -0 negotiate "$ka" "$kb"
	keys
	k1=$KA
	[ "${#k1}" = 64 ] || fail "a tcp-md5 key of 32 octets, got '$k1'"
	assert_equal "$KB" "$k1"
	# the hooks wrote the files before the routers run: each starts with its key
	grep -q "not running: $W/a.inc written" "$W/a.hook" || fail "a's hook: $(cat "$W/a.hook")"
	grep -q "$k1" "$W/a.inc" && grep -q "$k1" "$W/b.inc" || fail "the key is not in the routers' files"
	"$LAB" "$ka" a "$W/a.inc"
	"$LAB" "$kb" b "$W/b.inc"
	established_with "$k1"

	# a child rekey: both hooks install the new password, the session follows
	run -0 rekey "$ka" "$kb"
	keys
	k2=$KA
	[ "$k2" != "$k1" ] || fail "the rekey gave the same key"
	assert_equal "$KB" "$k2"
	grep -q "$(jq -r '.children[-1].spi_local' "$W/a.json")" "$W/a.hook" ||
		fail "a's hook did not name the new child: $(cat "$W/a.hook")"
	run grep -c reloaded "$W/a.hook" "$W/b.hook"
	assert_output "$W/a.hook:1
$W/b.hook:1"
	established_with "$k2"
	run -1 "$LAB" md5-on-session a "$k1"
	assert_output --partial "not valid for the secret given"

	# a router left with the old key (it missed the rekey): not accepted any more
	if [ "$kb" = bird ]; then
		echo "password \"$k1\";" > "$W/b.inc"
	else
		printf 'router bgp\n neighbor 10.78.0.1 password %s\nexit\n' "$k1" > "$W/b.inc"
	fi
	reload b "$kb"
	run -0 "$LAB" stays-down a 6
	# the hook run by hand puts the table's key back
	run -0 in_ns b "$RKMP_BIN/rkmp-hook" ${kb} "$([ "$kb" = bird ] && echo --include || echo --file)" \
	    "$W/b.inc" --peer 10.78.0.1 -t "$W/b.kt" \
	    $([ "$kb" = bird ] && echo --socket "$LAB_DIR/b/bird.ctl" || echo --vty-socket "$LAB_DIR/b/vty")
	assert_output --partial "(by hand): $([ "$kb" = bird ] && echo BIRD || echo bgpd) reloaded"
	established_with "$k2"
}

@test "bgp: BIRD <-> BIRD: the RKMP key on the session, a rekey followed, the old key refused" {
	loop bird bird
}

@test "bgp: FRR <-> FRR: the RKMP key on the session, a rekey followed, the old key refused" {
	loop frr frr
}

@test "bgp: BIRD <-> FRR: the RKMP key on the session, a rekey followed, the old key refused" {
	loop bird frr
}

@test "bgp: a wrong key on one side: the session does not come up" {
	run -0 negotiate bird frr
	"$LAB" bird a "$W/a.inc"
	# b's table with the key changed (a router configured by hand, say)
	jq '(.rows[] | select(.Protocol == "tcp-md5") | .Key) |= ("ff" + .[2:])' "$W/b.kt" > "$W/b-wrong.kt"
	chmod 600 "$W/b-wrong.kt"
	run -0 in_ns b "$RKMP_BIN/rkmp-hook" frr --file "$W/b.inc" -t "$W/b-wrong.kt" --peer 10.78.0.1 \
	    --vty-socket "$LAB_DIR/b/vty"
	"$LAB" frr b "$W/b.inc"
	run -0 "$LAB" stays-down a 8
	run -0 "$LAB" md5-counters a
	assert_output --regexp 'TcpExtTCPMD5Failure [1-9]'
	# with the table's key: up
	run -0 in_ns b "$RKMP_BIN/rkmp-hook" frr --file "$W/b.inc" -t "$W/b.kt" --peer 10.78.0.1 \
	    --vty-socket "$LAB_DIR/b/vty"
	established_with "$(key a)"
}

@test "bfd: BIRD <-> BIRD: a BFD child's keys as BIRD password blocks (crossed key IDs) authenticate the session; a wrong key keeps it down" {
	run -0 negotiate bird bird bfd
	assert_equal "$(jq -r '.children[0].protocol' "$W/a.json")" BFD
	for side in a b; do
		"$RKMP_BIN/rkmp-keytable" -q -t "$W/$side.kt" export --format bird-keychain --protocol bfd > "$W/$side.inc"
	done
	# the authentication type the rows need, as the export says it
	auth=$(sed -n 's/^# BFD: the interface block needs "authentication \(.*\);"$/\1/p' "$W/a.inc" | head -n 1)
	assert_equal "$auth" "meticulous keyed sha1"
	# a's key IDs: its SPI sent, b's received (BIRD: one id per password block)
	grep -q "id $((16#$(jq -r '.children[0].spi_local' "$W/a.json")));" "$W/a.inc"
	grep -q "id $((16#$(jq -r '.children[0].spi_peer' "$W/a.json")));" "$W/a.inc"
	"$LAB" bird-bfd a "$auth" "$W/a.inc"
	"$LAB" bird-bfd b "$auth" "$W/b.inc"
	run -0 "$LAB" wait-established a 15
	assert_output --partial "Up after"
	run -0 "$LAB" wait-established b 5
	# b with another key: a's session goes down and stays down
	"$LAB" stop b
	sed -E 's/^password ([0-9a-f]{2})/password ff/' "$W/b.inc" > "$W/b-wrong.inc"
	run ! cmp -s "$W/b.inc" "$W/b-wrong.inc"
	"$LAB" bird-bfd b "$auth" "$W/b-wrong.inc"
	sleep 1
	run -0 "$LAB" stays-down a 4
}

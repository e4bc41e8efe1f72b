#!/usr/bin/env bats
# Interoperability over UDP where the transport itself is the point, with
# strongSwan (charon) in its own network namespace (tests/interop/strongswan-peer.sh):
# IKE fragmentation (RFC 7383) both ways at 576 octets with RSA-4096 chains
# (testdata/pki/rsa4096*.pem, the harness's rkmp-frag and rkmp-out-frag), and
# charon as the initiator with its MOBIKE, which moves to port 4500 after
# IKE_SA_INIT, against our responder doing IKE_SA_INIT and IKE_AUTH in one run
# (rkmp-init --respond --through auth).  Setup and skips as in
# 95-interop-strongswan.bats.  Needs root and strongSwan with the harness's
# plugins (tests/interop/install-strongswan.sh).

load helpers
load interop-helpers

# our credentials for rkmp-frag: the RSA-4096 chain (leaf us.rkmp.test, then its
# intermediate); the key copied to 0600 (a checkout makes it 0644)
rsa4096_creds() {
	install -m 600 testdata/pki/rsa4096.key "$W/rsa4096.key"
	CREDS=(--cert testdata/pki/rsa4096.pem --key "$W/rsa4096.key" --ca testdata/pki/rsa4096-ca.pem
	    --id fqdn:us.rkmp.test --peer-id fqdn:peer.rkmp.test)
}

# responder ARGS...: our rkmp-init in the background in our namespace (RPID), its
# stderr in $W/responder.err; back when it says it listens (fails when it exits
# before: a usage error, say)
responder() {
	local i
	us "$RKMP_BIN/rkmp-init" "$@" 2>"$W/responder.err" &
	RPID=$!
	for ((i = 0; i < 50; i++)); do
		grep -q "listening on" "$W/responder.err" && return 0
		kill -0 "$RPID" 2>/dev/null || wait_responder
		sleep 0.1
	done
}

# wait_responder: wait for our background responder (RPID); fail with its stderr
wait_responder() {
	local rc=0
	wait "$RPID" || rc=$?
	RPID=
	[ "$rc" = 0 ] || fail "our responder: exit $rc: $(cat "$W/responder.err")"
}

# initiate ARGS...: charon initiates ("$SW" initiate ARGS...); then our responder
# must end well, then charon's initiate
initiate() {
	local rc=0
	"$SW" initiate "$@" >"$W/initiate.out" 2>&1 || rc=$?
	wait_responder
	[ "$rc" = 0 ] || fail "charon's initiate $*: exit $rc: $(tail -n 5 "$W/initiate.out")"
}

@test "IKE fragmentation: charon with fragmentation=force and 576-octet fragments, RSA-4096 chains: our initiator completes; charon's IKE_AUTH response came as N>1 fragments; same keys as charon" {
	"$SW" up --fragmentation force --fragment-size 576 >/dev/null
	rsa4096_creds
	us "$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --profile ikev2 --id fqdn:us.rkmp.test --peer 10.77.0.1:500 \
	    --retransmit 1,1.5,3
	run --separate-stderr us "$RKMP_BIN/rkmp-auth" -s "$W/a.json" "${CREDS[@]}" --fragment-size 576 \
	    --peer 10.77.0.1:500 --retransmit 1,1.5,3
	[ "$status" = 0 ] || fail "rkmp-auth: exit $status: $stderr"
	assert_equal "$(st .phase)" established
	assert_equal "$(st .fragmentation)" true
	assert_equal "$(st .identities.peer_seen)" fqdn:peer.rkmp.test
	established_in_swanctl || fail "not ESTABLISHED in swanctl --list-sas"
	run -0 keys_match_charon
	# charon split its IKE_AUTH response, and reassembled our fragmented request
	sent=$(sw_fragments sent IKE_AUTH response)
	received=$(sw_fragments received IKE_AUTH request)
	[ "$sent" -gt 1 ] || fail "charon's IKE_AUTH response in $sent fragments: $("$SW" fragments)"
	[ "$received" -gt 1 ] || fail "our IKE_AUTH request reached charon in $received fragments: $("$SW" fragments)"
}

@test "our responder sends fragments charon reassembles: charon initiates rkmp-out-frag with fragmentation=force, 576 octets, RSA-4096 chains; both established" {
	"$SW" up --fragmentation force --fragment-size 576 >/dev/null
	rsa4096_creds
	STATE=$W/b.json
	responder -s "$STATE" --respond --through auth --listen 10.77.0.2 --profile ikev2 "${CREDS[@]}" \
	    --fragment-size 576 --wait 30
	initiate --frag --timeout 20
	assert_equal "$(st .phase)" established
	assert_equal "$(st .role)" responder
	assert_equal "$(st .fragmentation)" true
	assert_equal "$(st '.children[0].state')" established
	established_in_swanctl || fail "not ESTABLISHED in swanctl --list-sas"
	"$SW" swanctl --list-sas | grep -q "^rkmp-out-frag: .*ESTABLISHED" || fail "$("$SW" swanctl --list-sas)"
	run -0 keys_match_charon
	# our IKE_AUTH response came in fragments charon put together; its request to us too
	received=$(sw_fragments received IKE_AUTH response)
	sent=$(sw_fragments sent IKE_AUTH request)
	[ "$received" -gt 1 ] || fail "our IKE_AUTH response reassembled from $received fragments: $("$SW" fragments)"
	[ "$sent" -gt 1 ] || fail "charon's IKE_AUTH request in $sent fragments: $("$SW" fragments)"
}

@test "strongSwan initiator with its default MOBIKE against --through auth on 500/4500: both established on 4500, no IKE_AUTH retransmission" {
	"$SW" up --mobike yes >/dev/null
	responder -s "$W/a.json" --respond --through auth --listen 10.77.0.2 --profile ikev2 \
	    --id fqdn:us.rkmp.test --peer-id fqdn:peer.rkmp.test --psk-file "$W/k.psk" --wait 30
	initiate --timeout 20
	assert_equal "$(st .phase)" established
	assert_equal "$(st .role)" responder
	assert_equal "$(st '.children[0].state')" established
	# charon's MOBIKE moved the SA to 4500 after IKE_SA_INIT; so did we
	assert_equal "$(st .peer.port)" 4500
	assert_equal "$(st .local.port)" 4500
	"$SW" swanctl --list-sas | grep -q "remote 'us.rkmp.test' @ 10.77.0.2\[4500\]" ||
	    fail "$("$SW" swanctl --list-sas)"
	established_in_swanctl || fail "not ESTABLISHED in swanctl --list-sas"
	run -0 keys_match_charon
	run -0 child_keys_match_charon
	# we answered charon's first IKE_AUTH request: it never had to send it again
	assert_equal "$("$SW" retransmits 1)" 0
}

@test "rkmp-init --through: auth without credentials, or another phase, is a usage error (exit 2, one line and the usage hint)" {
	# (no namespace: a usage error comes before any socket)
	run -2 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" --respond --through auth \
	    --listen 127.0.0.1:50594 --profile ikev2 --id fqdn:us.rkmp.test --wait 1
	assert_equal "${stderr_lines[0]}" "rkmp-init: --through auth answers RKMP_SA_AUTH: give --psk-file FILE or --cert FILE --key FILE"
	assert_equal "${stderr_lines[1]}" "usage: rkmp-init -s STATE [--respond] [-i FILE | --listen ADDR] [-o FILE | --peer ADDR] [options]"
	[ ! -e "$W/a.json" ] || fail "a usage error wrote a state file"
	for phase in init child rekey ""; do
		run -2 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" --respond --through "$phase" \
		    --listen 127.0.0.1:50594 --profile ikev2 --id fqdn:us.rkmp.test --psk-file "$W/k.psk" --wait 1
		assert_equal "${stderr_lines[0]}" "rkmp-init: --through: '$phase': the one exchange a responder can go on to is auth (RKMP_SA_AUTH)"
	done
}

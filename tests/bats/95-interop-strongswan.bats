#!/usr/bin/env bats
# Interoperability with an independent IKEv2 stack: strongSwan (charon) as the
# responder in its own network namespace (tests/interop/strongswan-peer.sh), our
# rkmp-init and rkmp-auth as the initiator in another.  Needs root and strongSwan
# with the harness's plugins (tests/interop/install-strongswan.sh; make check
# installs them as root).

load helpers
load interop-helpers

@test "ikev2 profile with an ESP child, PSK, three suites: ESTABLISHED, same keys as charon" {
	"$SW" up >/dev/null
	for s in aes128-sha256-modp2048 aes256gcm16-prfsha256-ecp256 chacha20poly1305-prfsha256-x25519; do
		rm -f "$W/a.json"
		negotiate --profile ikev2 --proposal "$s" || fail "$s: negotiation failed"
		assert_equal "$(jq -r .phase "$W/a.json")" established
		assert_equal "$(jq -r '.children[0].state' "$W/a.json")" established
		established_in_swanctl || fail "$s: not ESTABLISHED in swanctl --list-sas"
		run -0 keys_match_charon
		# the child's first KEYMAT octets are the ESP key charon logged (encr_i)
		spi=$(jq -r '.children[0].spi_local' "$W/a.json")
		log=$("$SW" path keylog)
		encr_i=$(grep "^CHILD .* spi_i=$spi " "$log" | sed -nE 's/.* encr_i=([0-9a-f]+).*/\1/p' | tail -n 1)
		[ -n "$encr_i" ] && [[ "$(jq -r '.secrets.children[0].keymat' "$W/a.json")" == "$encr_i"* ]] ||
		    fail "$s: child KEYMAT does not start with charon's encr_i $encr_i"
	done
}

@test "ikev2 profile, childless (RFC 6023): ESTABLISHED without a child" {
	"$SW" up >/dev/null
	run -0 negotiate --profile ikev2 --proposal aes256gcm16-prfsha256-ecp256 -- --childless
	assert_equal "$(jq -r '.children | length' "$W/a.json")" 0
	established_in_swanctl
	run -0 keys_match_charon
}

@test "rkmp profile: strongSwan authenticates the RKMP SA and refuses only the child (TS_UNACCEPTABLE)" {
	"$SW" up >/dev/null
	run -1 --separate-stderr negotiate --profile rkmp --proposal aes128-sha256-modp2048
	[[ "$stderr" == *"child SA refused by the responder: TS_UNACCEPTABLE"*"RKMP SA is established"* ]]
	assert_equal "$(jq -r .phase "$W/a.json")" established
	assert_equal "$(jq -r '.children[0].state' "$W/a.json")" refused
	established_in_swanctl
	run -0 keys_match_charon
}

# The harness's connection rkmp-cert: charon's certificate is testdata/pki/p256.pem
# (b.rkmp.test), any certificate of ca.pem is accepted.
@test "certificates against strongSwan: RSA and ECDSA initiators, ECDSA responder, three suites" {
	"$SW" up >/dev/null
	for k in rsa p256; do
		install -m 600 "testdata/pki/$k.key" "$W/$k.key"
	done
	for cred in rsa p256; do
		for s in aes128-sha256-modp2048 aes256gcm16-prfsha256-ecp256 chacha20poly1305-prfsha256-x25519; do
			rm -f "$W/a.json"
			us "$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --profile ikev2 --proposal "$s" --peer 10.77.0.1 ||
			    fail "$cred $s: init"
			us "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --cert "testdata/pki/$cred.pem" --key "$W/$cred.key" \
			    --ca testdata/pki/ca.pem --peer 10.77.0.1 || fail "$cred $s: auth"
			assert_equal "$(jq -r .identities.peer_seen "$W/a.json")" fqdn:b.rkmp.test
			established_in_swanctl || fail "$cred $s: not ESTABLISHED"
			keys_match_charon || fail "$cred $s: keys differ"
		done
	done
}

@test "INVALID_KE_PAYLOAD: a first KE group strongSwan does not want, then the retry" {
	"$SW" up >/dev/null
	run -0 us "$RKMP_BIN/rkmp-init" -v -s "$W/a.json" --profile ikev2 \
	    --proposal aes128-sha256-ecp384-modp2048 --peer 10.77.0.1 --retransmit 2,1.5,4
	assert_output --partial "KE group MODP_2048"
	run -0 us "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --id fqdn:us.rkmp.test --psk-file "$W/k.psk" --peer 10.77.0.1
	established_in_swanctl
	run -0 keys_match_charon
}

@test "COOKIE: under cookie pressure strongSwan asks for one and our initiator repeats the request" {
	"$SW" --cookie-threshold 1 up >/dev/null
	# one half-open IKE SA: an IKE_SA_INIT request nobody finishes
	"$RKMP_BIN/rkmp-init" -q -s "$W/half.json" --profile ikev2 --proposal aes128-sha256-modp2048 -o "$W/half.bin"
	us bash -c "cat '$W/half.bin' > /dev/udp/10.77.0.1/500"
	sleep 0.5
	# -v and stderr in $output: a failure shows every answer and retransmission;
	# retransmissions as a loaded machine needs them (~26 s in all)
	run -0 us "$RKMP_BIN/rkmp-init" -v -s "$W/a.json" --profile ikev2 \
	    --proposal aes128-sha256-modp2048 --peer 10.77.0.1 --retransmit 2,1.5,4
	assert_output --partial "responder asked for a COOKIE"
	run -0 us "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --id fqdn:us.rkmp.test --psk-file "$W/k.psk" --peer 10.77.0.1
	established_in_swanctl
}

@test "wrong PSK: strongSwan answers AUTHENTICATION_FAILED, exit 1, recorded as failed" {
	"$SW" up >/dev/null
	printf 'not-the-psk' > "$W/bad.psk"; chmod 600 "$W/bad.psk"
	us "$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --profile ikev2 --proposal aes128-sha256-modp2048 --peer 10.77.0.1
	run -1 --separate-stderr us "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --id fqdn:us.rkmp.test --psk-file "$W/bad.psk" --peer 10.77.0.1
	[[ "$stderr" == *"AUTHENTICATION_FAILED"* ]]
	assert_equal "$(jq -r .phase "$W/a.json")" failed
}

@test "rkmp-decode -s decrypts a capture of our negotiation with strongSwan" {
	command -v tcpdump >/dev/null || skip "needs tcpdump"
	"$SW" up >/dev/null
	us tcpdump -i rkmp-u0 --immediate-mode -U -s0 -w "$W/cap.pcap" udp >/dev/null 2>&1 &
	tp=$!
	sleep 1
	negotiate --profile ikev2 --proposal aes256gcm16-prfsha256-ecp256
	sleep 0.5
	kill "$tp"; wait "$tp" 2>/dev/null || true
	run -0 "$RKMP_BIN/rkmp-decode" -q -s "$W/a.json" -r "$W/cap.pcap"
	assert_output --partial "IKE_AUTH initiator request mid 1"
	assert_output --partial "SK{IDi IDr AUTH SA TSi TSr}"
	assert_output --partial "SK{IDr AUTH SA TSi TSr}"
}


@test "rkmp-child against strongSwan: after a childless AUTH, create an ESP child, rekey it with PFS, liveness, delete" {
	"$SW" up >/dev/null
	run -0 negotiate --profile ikev2 --proposal aes256gcm16-prfsha256-ecp256 -- --childless
	run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --peer 10.77.0.1 --retransmit 1,1.5,3
	run -0 child_keys_match_charon
	first=$(jq -r '.children[0].spi_local' "$W/a.json")
	child_state_in_swanctl "$(jq -r '.children[0].spi_peer' "$W/a.json")" INSTALLED
	run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey "$first" --pfs ecp256 --peer 10.77.0.1 --retransmit 1,1.5,3
	run -0 child_keys_match_charon
	assert_equal "$(jq -r '.children[0].state' "$W/a.json")" rekeyed
	run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --delete "$first" --peer 10.77.0.1 --retransmit 1,1.5,3
	run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --liveness --peer 10.77.0.1 --retransmit 1,1.5,3
	child_state_in_swanctl "$(jq -r '.children[1].spi_peer' "$W/a.json")" INSTALLED
	# the deleted child: gone from charon's list, or listed as DELETED (charon keeps it a moment)
	sas=$("$SW" swanctl --list-sas)
	old=$(jq -r '.children[0].spi_peer' "$W/a.json")
	head=$(awk -v spi="in  $old," '/^ +rkmp-child: #/ { h = $0 } index($0, spi) { print h; exit }' <<<"$sas")
	[ -z "$head" ] || [[ "$head" == *", DELETED, "* ]] || fail "the deleted child $old is still in use: $sas"
	run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --delete-ike --peer 10.77.0.1 --retransmit 1,1.5,3
	assert_equal "$(jq -r .phase "$W/a.json")" deleted
	! established_in_swanctl
}

@test "rkmp-child --respond answers strongSwan's own requests: child rekey, liveness (DPD), delete" {
	"$SW" --dpd 2 up >/dev/null
	us "$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --profile ikev2 --proposal aes256gcm16-prfsha256-ecp256 \
	    --id fqdn:us.rkmp.test --peer 10.77.0.1 --local 10.77.0.2:500
	us "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --peer 10.77.0.1 --local 10.77.0.2:500
	# strongSwan's DPD: an empty INFORMATIONAL after 2 s of silence
	run -0 --separate-stderr us "$RKMP_BIN/rkmp-child" -s "$W/a.json" --respond --listen 10.77.0.2:500 --wait 15
	[[ "$stderr" == *"liveness check answered"* ]]
	# strongSwan rekeys the child (its KE may first be of a group we do not do: INVALID_KE, then again);
	# one of its DPDs may come first (a loaded machine): answered, and we listen again
	(
		for _ in 1 2 3 4; do
			us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --respond --listen 10.77.0.2:500 --wait 15 || exit
			[ "$(jq -r '.children[0].state' "$W/a.json")" != rekeyed ] || exit 0
		done
	) &
	RPID=$!
	sleep 0.3
	"$SW" rekey-child >/dev/null 2>&1 || true
	wait "$RPID"
	RPID=
	assert_equal "$(jq -r '.children[0].state' "$W/a.json")" rekeyed
	assert_equal "$(jq -r '.children[1].state' "$W/a.json")" established
	# strongSwan deletes the rekeyed child (its part of the rekey), then we answer its delete of the new one
	for _ in 1 2; do
		us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --respond --listen 10.77.0.2:500 --wait 5 || true
		[ "$(jq -r '.children[0].state' "$W/a.json")" = deleted ] && break
	done
	assert_equal "$(jq -r '.children[0].state' "$W/a.json")" deleted
}



#!/usr/bin/env bats
# Interoperability of the RKMP SA (IKE SA) rekey with strongSwan (charon) in
# its own network namespace (tests/interop/strongswan-peer.sh), setup and skips
# as in 95-interop-strongswan.bats: we rekey and strongSwan agrees (new SPIs in
# swanctl --list-sas, the child kept, the same keys as charon logged), and
# strongSwan rekeys while rkmp-child --respond listens.  Needs root and strongSwan
# with the harness's plugins (tests/interop/install-strongswan.sh).

load helpers
load interop-helpers

@test "we rekey the RKMP SA (--rekey-ike) after a childless AUTH and an ESP child: strongSwan agrees, same keys; a child rekey on the new SA" {
	"$SW" up >/dev/null
	for s in aes256gcm16-prfsha256-ecp256 aes128-sha256-modp2048; do
		rm -f "$W/a.json"
		negotiate --profile ikev2 --proposal "$s" -- --childless || fail "$s: negotiation"
		us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --peer 10.77.0.1 --retransmit 1,1.5,3 || fail "$s: child"
		child_keys_match_charon || fail "$s: child keys"
		old_i=$(st .ike_sa.spi_i) old_r=$(st .ike_sa.spi_r)
		run -0 --separate-stderr us "$RKMP_BIN/rkmp-child" -s "$W/a.json" --rekey-ike --peer 10.77.0.1 \
		    --retransmit 1,1.5,3
		[[ "$stderr" == *"RKMP SA rekeyed: new SPIs "*"deleting the old one ($old_i:$old_r)"* ]] || fail "$s: $stderr"
		[[ "$stderr" == *"the old RKMP SA $old_i:$old_r is deleted"* ]] || fail "$s: $stderr"
		[ "$(st .ike_sa.spi_i)" != "$old_i" ] || fail "$s: SPIi kept"
		[ "$(st .ike_sa.spi_r)" != "$old_r" ] || fail "$s: SPIr kept"
		assert_equal "$(st .role)" initiator
		assert_equal "$(st '.ike_sa.old // "none"')" none
		established_in_swanctl || fail "$s: the new SA is not ESTABLISHED in swanctl --list-sas"
		! "$SW" swanctl --list-sas | grep -q "${old_i}_i" || fail "$s: the old SA is still listed"
		child_state_in_swanctl "$(st '.children[0].spi_peer')" INSTALLED || fail "$s: child lost"
		run -0 keys_match_charon
		# a child rekey (with PFS) on the new SA, and liveness
		first=$(st '.children[0].spi_local')
		run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey "$first" --pfs "${s##*-}" --peer 10.77.0.1 \
		    --retransmit 1,1.5,3
		assert_equal "$(st '.children[0].state')" rekeyed
		run -0 child_keys_match_charon
		child_state_in_swanctl "$(st '.children[1].spi_peer')" INSTALLED
		run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --liveness --peer 10.77.0.1 --retransmit 1,1.5,3
		# and rekey once more: rekeys chain
		run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey-ike --peer 10.77.0.1 --retransmit 1,1.5,3
		established_in_swanctl || fail "$s: second rekey not ESTABLISHED"
		run -0 keys_match_charon
		run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --delete-ike --peer 10.77.0.1 --retransmit 1,1.5,3
	done
}

@test "strongSwan rekeys the RKMP SA while rkmp-child --respond listens: we answer it and its Delete of the old SA, same keys" {
	"$SW" up >/dev/null
	for s in aes256gcm16-prfsha256-ecp256 aes128-sha256-modp2048; do
		rm -f "$W/a.json"
		us "$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --profile ikev2 --proposal "$s" --id fqdn:us.rkmp.test \
		    --peer 10.77.0.1 --local 10.77.0.2:500 || fail "$s: init"
		us "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --peer 10.77.0.1 \
		    --local 10.77.0.2:500 || fail "$s: auth"
		old_i=$(st .ike_sa.spi_i) old_r=$(st .ike_sa.spi_r)
		child=$(st '.secrets.children[0].keymat')
		us "$RKMP_BIN/rkmp-child" -s "$W/a.json" --respond --listen 10.77.0.2:500 --wait 15 2>"$W/listen.err" &
		RPID=$!
		sleep 0.3
		"$SW" rekey-ike >/dev/null 2>&1 || true
		rc=0
		wait "$RPID" || rc=$?
		RPID=
		[ "$rc" = 0 ] || fail "$s: responder exit $rc: $(cat "$W/listen.err")"
		grep -q "RKMP SA rekeyed by the peer: new SPIs" "$W/listen.err"
		grep -q "the peer deleted the old RKMP SA $old_i:$old_r" "$W/listen.err"
		[ "$(st .ike_sa.spi_i)" != "$old_i" ]
		assert_equal "$(st .role)" responder
		assert_equal "$(st '.ike_sa.old // "none"')" none
		assert_equal "$(st '.secrets.children[0].keymat')" "$child"
		established_in_swanctl || fail "$s: the new SA is not ESTABLISHED"
		! "$SW" swanctl --list-sas | grep -q "${old_i}_i" || fail "$s: the old SA is still listed"
		run -0 keys_match_charon
		child_state_in_swanctl "$(st '.children[0].spi_peer')" INSTALLED
		# our request on the new SA, where we are now the responder (no I flag)
		first=$(st '.children[0].spi_local')
		run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rekey "$first" --peer 10.77.0.1 \
		    --local 10.77.0.2:500 --retransmit 1,1.5,3
		run -0 child_keys_match_charon
		run -0 us "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --delete-ike --peer 10.77.0.1 \
		    --local 10.77.0.2:500 --retransmit 1,1.5,3
	done
}

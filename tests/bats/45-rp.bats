#!/usr/bin/env bats
# The routing protocol's side of the step binaries: -t (children into the
# RFC 7210 key table), --events, --rp-hook, RP_revokeSA (rkmp-karp.md §8–§10).
# Two local parties A (192.0.2.1) and B (192.0.2.2) over files, or both on
# 127.0.0.1 over UDP; each keeps its own key table.

load helpers
load step-helpers

T0=20260101000000Z	# the fixed clock of the rows (--now)

setup() {
	setup_step
	# the hook records each event's environment, one line per event
	HOOK='printf "%s|%s|%s|%s|%s|%s\n" "$RKMP_EVENT" "$RKMP_PROTOCOL" "$RKMP_LOCAL_KEY_NAME" "$RKMP_CHILDREN" "$RKMP_ROWS" "$RKMP_REASON" >> "$HOOK_LOG"'
	export HOOK_LOG="$W/hook.log"
}

teardown() {
	teardown_step
}

# rp VAR SIDE [NOW]: the routing-protocol options of that side into the array
# VAR, --now NOW (default T0) (set here, not read from a process)
rp() {
	local -n rp_var=$1
	rp_var=(-t "$W/$2.kt" --events "$W/$2.ev" --rp-hook "$HOOK" --now "${3:-$T0}")
}

# the DESIGN.md §6 flow over files, A and B with key tables; rkmp profile: a TCP-AO child
established_rp() {
	local rpa rpb
	rp rpa a
	rp rpb b
	init_pair "$@" &&
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" "${rpa[@]}" --peer-address 192.0.2.2 -o "$W/3.bin" 2>/dev/null &&
	"$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --psk-file "$W/k.psk" "${rpb[@]}" --peer-address 192.0.2.1 \
	    -i "$W/3.bin" -o "$W/4.bin" 2>/dev/null &&
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" "${rpa[@]}" -i "$W/4.bin" 2>/dev/null
}

# exchange FROM TO NAME [request options]: one child exchange over files, both tables kept
exchange() {
	local from=$1 to=$2 name=$3 f t
	shift 3
	rp f "$from"
	rp t "$to"
	"$RKMP_BIN/rkmp-child" -q -s "$W/$from.json" "${f[@]}" "$@" -o "$W/$name.req" 2>/dev/null &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/$to.json" "${t[@]}" --respond -i "$W/$name.req" -o "$W/$name.resp" 2>/dev/null &&
	"$RKMP_BIN/rkmp-child" -q -s "$W/$from.json" "${f[@]}" -i "$W/$name.resp" 2>/dev/null
}

kt() {	# kt SIDE SUBCOMMAND [options]: rkmp-keytable on that side's table, JSON
	local side=$1
	shift
	"$RKMP_BIN/rkmp-keytable" -q -t "$W/$side.kt" --json "$@"
}

child() {	# child SIDE INDEX FIELD
	jq -r ".children[$2].$3" "$W/$1.json"
}

# rows_match PROTO AT [PEER_OF_A PEER_OF_B]: at time AT, the key A selects for
# sending to B is the key B looks up under the name A sends, and the other way
# round; the key names are crossed (and there); prints A's selected row
rows_match() {
	local proto=$1 at=$2 pa=${3:-192.0.2.2} pb=${4:-192.0.2.1} sa sb la lb na nb verdict
	sa=$(kt a select --protocol "$proto" --peer "$pa" --now "$at") || { echo "A selects no $proto key"; return 1; }
	sb=$(kt b select --protocol "$proto" --peer "$pb" --now "$at") || { echo "B selects no $proto key"; return 1; }
	# the names each sends under ("PeerKeyName":"HEX" in the one-line rows;
	# read in bash, the jq below checks them crossed)
	[[ $sa =~ \"PeerKeyName\":\"([0-9a-f]*)\" ]] && na=${BASH_REMATCH[1]} || { echo "A's row: $sa"; return 1; }
	[[ $sb =~ \"PeerKeyName\":\"([0-9a-f]*)\" ]] && nb=${BASH_REMATCH[1]} || { echo "B's row: $sb"; return 1; }
	lb=$(kt b lookup --protocol "$proto" --peer "$pb" --now "$at" --key-name "$na") ||
	    { echo "B cannot look up A's $proto key $na"; return 1; }
	la=$(kt a lookup --protocol "$proto" --peer "$pa" --now "$at" --key-name "$nb") ||
	    { echo "A cannot look up B's $proto key"; return 1; }
	verdict=$(jq -rs "$rows_jq" <<<"$sa"$'\n'"$sb"$'\n'"$la"$'\n'"$lb") || { echo "jq: $verdict"; return 1; }
	[ "$verdict" = ok ] || { echo "$verdict"; return 1; }
	echo "$sa"
}
# rows_match's checks in one jq, over A's and B's selected rows and looked-up rows
read -r -d '' rows_jq <<'EOF' || true
.[0] as $sa | .[1] as $sb | .[2] as $la | .[3] as $lb
| if $sa.Key != $lb.Key then "A's sending key is not B's receiving key"
  elif $sb.Key != $la.Key then "B's sending key is not A's receiving key"
  elif $sa.LocalKeyName != $sb.PeerKeyName or $sa.PeerKeyName != $sb.LocalKeyName
    or $sa.LocalKeyName == null or $sa.PeerKeyName == null then "names not crossed"
  elif ($sa.Key | type) != "string" or ($sa.Key | length) < 32 then "short key"
  else "ok" end
EOF

@test "RKMP_SA_AUTH's first child goes into both key tables: one row each, the same key, names crossed" {
	established_rp
	run -0 rows_match tcp-ao 20260101000010Z
	row=$output
	pair_jq '$row.Key, $a.secrets.children[0].keymat, $row.SendLifetimeStart, $row.AcceptLifetimeStart,
	    $row.SendLifetimeEnd, $row.AcceptLifetimeEnd, $row."x-rkmp".rkmp_sa, $a.ike_sa.spi_i + ":" + $a.ike_sa.spi_r' \
	    --argjson row "$row"
	assert_equal "${v[0]}" "${v[1]}"
	assert_equal "${v[2]}" 20260101000005Z
	assert_equal "${v[3]}" 20260101000000Z
	assert_equal "${v[4]}" 20260101090000Z
	assert_equal "${v[5]}" 20260101090200Z
	assert_equal "${v[6]}" "${v[7]}"
	assert_equal "$(stat -c %a "$W/a.kt")" 600
	# not yet sending inside the send delay, already accepting
	run -1 kt a select --protocol tcp-ao --peer 192.0.2.2 --now 20260101000003Z
	assert_equal "$(jq -r .event "$W/a.ev" "$W/b.ev")" $'insert\ninsert'
	assert_equal "$(cut -d'|' -f1,2 "$W/hook.log" | sort -u)" "insert|tcp-ao"
}

@test "files: TCP-AO, BFD and RSVP-TE with and without PFS: create, rekey (overlapping rows), delete; both tables agree" {
	established_rp
	for proto in tcp-ao bfd rsvp-te; do
		for pfs in "" x25519; do
			kt a delete --protocol "$proto" --peer 192.0.2.2 --spi 00 >/dev/null 2>&1 || true
			kt b delete --protocol "$proto" --peer 192.0.2.1 --spi 00 >/dev/null 2>&1 || true
			exchange a b "c$proto$pfs" --protocol "$proto" ${pfs:+--pfs "$pfs"} || fail "create $proto $pfs"
			run -0 rows_match "$proto" 20260101000010Z
			# the new child (index n): the name A sends under is its SPI
			pair_jq '($a.children | length - 1) as $n | $n, $a.children[$n].spi_local, $a.children[$n].spi_peer,
			    $row.PeerKeyName' --argjson row "$output"
			n=${v[0]} spi_l=${v[1]} spi_p=${v[2]} old=${v[3]}
			assert_equal "$old" "$spi_l"
			# rekey: the new row sends from T+5 s; the old one stops sending there, accepts 120 s longer
			exchange a b "r$proto$pfs" --rekey "$spi_l" ${pfs:+--pfs "$pfs"} || fail "rekey $proto $pfs"
			run -0 rows_match "$proto" 20260101000010Z
			row=$output
			oldrow=$(kt a get --protocol "$proto" --peer 192.0.2.2 --spi "$spi_p")
			pair_jq '$row.PeerKeyName, $old.SendLifetimeEnd, $old.AcceptLifetimeEnd, $old."x-rkmp".state,
			    $b.children['"$((n + 1))"'].spi_local' --argjson row "$row" --argjson old "$oldrow"
			new=${v[0]}
			[ "$new" != "$old" ] || fail "$proto $pfs: the rekey did not change the key name"
			assert_equal "${v[1]} ${v[2]} ${v[3]}" "20260101000005Z 20260101000205Z rekeyed"
			# inside the overlap B still accepts what A sent with the old key ...
			kt b lookup --protocol "$proto" --peer 192.0.2.1 --key-name "$old" --now 20260101000100Z >/dev/null
			# ... and no longer after the grace
			run -1 kt b lookup --protocol "$proto" --peer 192.0.2.1 --key-name "$old" --now 20260101000300Z
			# delete the new child: its rows go on both sides
			exchange b a "d$proto$pfs" --delete "${v[4]}" || fail "delete $proto $pfs"
			run -1 kt a select --protocol "$proto" --peer 192.0.2.2 --now 20260101000010Z
			run -1 kt b select --protocol "$proto" --peer 192.0.2.1 --now 20260101000010Z
		done
	done
	# every exchange told both routing protocols: the same events on both sides
	run -0 jq -rs --slurpfile b "$W/b.ev" '(map(.event) == ($b | map(.event))),
	    (map(.event) | group_by(.) | map("\(length) \(.[0]);") | join(" ")),
	    (map(select(.event == "rekey")) | length == 6 and all(.old_local_key_name and .local_key_name and .rows == 2))' "$W/a.ev"
	assert_output $'true\n6 delete; 7 insert; 6 rekey;\ntrue'
	run ! grep -qi '"key"' "$W/a.ev"	# keys are never in an event
}

@test "TCP-MD5 (rkmp-auth --protocol tcp-md5): one key both ways, sent from T; a rekey switches at once; the exports follow" {
	local rpa rpb
	rp rpa a
	rp rpb b
	init_pair
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --protocol tcp-md5 "${rpa[@]}" \
	    --peer-address 192.0.2.2 -o "$W/3.bin"
	# the responder takes the protocol the initiator proposes
	"$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --psk-file "$W/k.psk" "${rpb[@]}" \
	    --peer-address 192.0.2.1 -i "$W/3.bin" -o "$W/4.bin"
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" "${rpa[@]}" -i "$W/4.bin"
	# DESIGN.md §7: AlgID TCP-MD5, KDF none, a 32-octet key (the KEYMAT's first
	# 32 octets), one peer prefix; sent with from T (no send delay: one key)
	run -0 rows_match tcp-md5 20260101000000Z
	row=$output
	pair_jq '$a.child_protocol, $b.child_protocol, $b.children[0].protocol,
	    $row.AlgID + " " + $row.KDF + " " + $row.Protocol, $row.Key, $a.secrets.children[0].keymat,
	    ($row.Key | length), ($row.ProtocolSpecificInfo | tojson), $row.SendLifetimeStart,
	    $row."x-rkmp".proto_id, $a.children[0].spi_local' --argjson row "$row"
	assert_equal "${v[0]} ${v[1]} ${v[2]}" "TCP_MD5 null TCP_MD5"
	assert_equal "${v[3]}" "TCP-MD5 none tcp-md5"
	assert_equal "${v[4]}" "${v[5]}"
	assert_equal "${v[6]}" 64
	assert_equal "${v[7]}" '{"conn_id":{"peer_prefix":"192.0.2.2/32"}}'
	assert_equal "${v[8]}" 20260101000000Z
	assert_equal "${v[9]}" 207
	k1=${v[4]} spi=${v[10]}
	# the password the BGP exports carry is that key's hex digits
	run -0 "$RKMP_BIN/rkmp-keytable" -q -t "$W/a.kt" export --format bird-bgp --now 20260101000000Z
	assert_line "password \"$k1\";"
	# a rekey at T1 = T0 + 60 s: the new key is sent from T1, the old one not after T1
	rp rpa a 20260101000100Z
	rp rpb b 20260101000100Z
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" "${rpa[@]}" --rekey "$spi" -o "$W/5.bin"
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" "${rpb[@]}" --respond -i "$W/5.bin" -o "$W/6.bin"
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" "${rpa[@]}" -i "$W/6.bin"
	run -0 rows_match tcp-md5 20260101000100Z
	{ read -r k2; read -r start; } < <(jq -r '.Key, .SendLifetimeStart' <<<"$output")
	[ "$k2" != "$k1" ] || fail "the rekey kept the key"
	assert_equal "$start" 20260101000100Z
	run -0 rows_match tcp-md5 20260101000059Z
	assert_equal "$(jq -r .Key <<<"$output")" "$k1"
	for side in a b; do
		run -0 "$RKMP_BIN/rkmp-keytable" -q -t "$W/$side.kt" export --format frr-bgp --now 20260101000100Z
		assert_line " neighbor $([ $side = a ] && echo 192.0.2.2 || echo 192.0.2.1) password $k2"
	done
	run -0 "$RKMP_BIN/rkmp-keytable" -q -t "$W/a.kt" export --format bird-bgp --now 20260101000059Z
	assert_line "password \"$k1\";"
	assert_equal "$(cut -d'|' -f1,2 "$W/hook.log" | sort | uniq -c | tr -s ' ' | tr '\n' ';')" " 2 insert|tcp-md5; 2 rekey|tcp-md5;"
}

@test "over UDP: TCP-AO, BFD and RSVP-TE with PFS: create, rekey, delete; both tables agree" {
	established_rp
	rp A a
	rp B b
	udp() {	# udp [request options]: A asks B over UDP on loopback
		"$RKMP_BIN/rkmp-child" -s "$W/b.json" "${B[@]}" --respond --listen "127.0.0.1:$PORT" --wait 10 2>>"$W/udp.err" &
		RPID=$!
		sleep 0.2
		"$RKMP_BIN/rkmp-child" -v -s "$W/a.json" "${A[@]}" "$@" --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3 2>>"$W/udp.err" || { cat "$W/udp.err"; return 1; }
		wait "$RPID" || { echo "responder failed:"; cat "$W/udp.err"; return 1; }
		RPID=
	}
	for proto in tcp-ao bfd rsvp-te; do
		udp --protocol "$proto" --pfs ecp256 || fail "create $proto"
		run -0 rows_match "$proto" 20260101000010Z
		# the new child (index n), its SPIs
		pair_jq '($a.children | length - 1) as $n | $n, $a.children[$n].spi_local, $a.children[$n].spi_peer'
		n=${v[0]} spi_l=${v[1]} spi_p=${v[2]}
		udp --rekey "$spi_l" --pfs ecp256 || fail "rekey $proto"
		run -0 rows_match "$proto" 20260101000010Z
		# the rekeyed child (index n + 1): A sends under its SPI
		pair_jq '$row.PeerKeyName, $a.children['"$((n + 1))"'].spi_local, $a.children['"$((n + 1))"'].spi_peer' \
		    --argjson row "$output"
		assert_equal "${v[0]}" "${v[1]}"
		udp --delete "${v[1]}" || fail "delete $proto"
		run -1 kt a get --protocol "$proto" --peer 192.0.2.2 --spi "${v[2]}"
		run -1 kt b get --protocol "$proto" --peer 192.0.2.1 --spi "${v[1]}"
		# the rekeyed row stays until its shortened windows end
		run -0 kt a get --protocol "$proto" --peer 192.0.2.2 --spi "$spi_p"
	done
	assert_equal "$(jq -r .event "$W/b.ev" | tr '\n' ' ')" "insert insert rekey delete insert rekey delete insert rekey delete "
}

@test "ikev2 profile: the ESP child's row holds our outbound keys first; B's row is the mirror" {
	established_rp --profile ikev2 --proposal aes256gcm16-prfsha256-x25519 -- --profile ikev2
	ra=$(kt a list --protocol esp)
	rb=$(kt b list --protocol esp)
	pair_jq '$ra.LocalKeyName, $a.children[0].spi_local, $rb.LocalKeyName, $b.children[0].spi_local,
	    $ra.Key, $rb.Key, $a.secrets.children[0].keymat' --argjson ra "$ra" --argjson rb "$rb"
	assert_equal "${v[0]}" "${v[1]}"
	assert_equal "${v[2]}" "${v[3]}"
	ka=${v[4]} kb=${v[5]}
	h=$((${#ka} / 2))
	[ "$h" -ge 16 ] || fail "ESP key $ka"
	assert_equal "${ka:0:$h}" "${kb:$h}"
	assert_equal "${ka:$h}" "${kb:0:$h}"
	assert_equal "${ka:0:$h}" "${v[6]:0:$h}"
}

@test "RP_revokeSA: the peer stops answering (killed): rows gone, children revoked, hook and event log told" {
	established_rp
	rp A a
	exchange a b cb --protocol bfd
	assert_equal "$(kt a list | wc -l)" 2
	# B answers nothing: started, then killed before A asks
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 30 2>/dev/null &
	RPID=$!
	sleep 0.2
	kill -9 "$RPID"
	wait "$RPID" 2>/dev/null || true
	RPID=
	run -6 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" "${A[@]}" --protocol rsvp-te --peer "127.0.0.1:$PORT" --retransmit 0.2,1.5,2 --json
	output=$(head -n 1 <<<"$output")
	pair_jq '$out.phase, ($out.events | tojson), $a.phase, $a.reason,
	    ([$a.children[] | select(.state == "revoked")] | length),
	    ([$a.secrets.children[]? | select(.keymat != null)] | length),
	    $ev.event, $ev.rows, ($ev.children | length)' --argjson out "$output" --argjson ev "$(tail -n 1 "$W/a.ev")"
	assert_equal "${v[0]} ${v[1]} ${v[2]}" 'failed ["revoke"] failed'
	[[ "${v[3]}" == "no answer from 127.0.0.1:$PORT after 2 retransmissions"* ]] || fail "reason ${v[3]}"
	assert_equal "${v[4]} ${v[5]}" "2 0"
	assert_equal "$(kt a list | wc -l)" 0
	assert_equal "${v[6]} ${v[7]} ${v[8]}" "revoke 2 2"
	IFS='|' read -r event proto name children rows reason < <(tail -n 1 "$HOOK_LOG")
	assert_equal "$event" revoke
	assert_equal "$rows" 2
	[[ "$children" == "tcp-ao:"*" bfd:"* ]] || fail "children $children"
	[[ "$reason" == "no answer from 127.0.0.1:$PORT"* ]] || fail "reason $reason"
	# B's own rows are B's business: untouched
	assert_equal "$(kt b list | wc -l)" 2
	# the failed SA takes no more steps
	run -3 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --liveness -o "$W/x.bin"
}

@test "RP_revokeSA: a failed liveness check (no answer) revokes; an answered one changes nothing" {
	established_rp
	rp A a
	exchange a b live --liveness
	assert_equal "$(kt a list | wc -l)" 1
	before=$(wc -l < "$W/a.ev")
	assert_equal "$before" 1
	run -6 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" "${A[@]}" --liveness --peer "127.0.0.1:$PORT" --retransmit 0.2,1,1
	assert_equal "$(kt a list | wc -l)" 0
	assert_equal "$(tail -n 1 "$W/a.ev" | jq -r .event)" revoke
	assert_equal "$(tail -n 1 "$HOOK_LOG" | cut -d'|' -f1)" revoke
}

@test "RP_revokeSA: AUTHENTICATION_FAILED revokes on both sides (nothing to remove yet), hook and log told" {
	rp A a
	rp B b
	init_pair
	printf 'another-psk-0123456789\n' > "$W/wrong.psk"
	chmod 600 "$W/wrong.psk"
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/wrong.psk" "${A[@]}" --peer-address 192.0.2.2 -o "$W/3.bin" 2>/dev/null
	run -1 "$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --psk-file "$W/k.psk" "${B[@]}" --peer-address 192.0.2.1 -i "$W/3.bin" -o "$W/4.bin"
	run -1 "$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" "${A[@]}" -i "$W/4.bin"
	pair_jq '$a.phase, $b.phase'
	assert_equal "${v[*]}" "failed failed"
	run -0 jq -r '.event + " " + (.reason | test("AUTHENTICATION_FAILED") | tostring)' "$W/a.ev" "$W/b.ev"
	assert_output $'revoke true\nrevoke true'
	assert_equal "$(cut -d'|' -f1 "$HOOK_LOG" | tr '\n' ' ')" "revoke revoke "
	[ ! -e "$W/a.kt" ] || assert_equal "$(kt a list | wc -l)" 0
}

@test "an orderly delete of the RKMP SA is no failure: rows kept on both sides, a close event" {
	established_rp
	exchange a b cb --protocol bfd
	exchange b a del --delete-ike
	pair_jq '$a.phase, $b.phase'
	assert_equal "${v[*]}" "deleted deleted"
	for s in a b; do
		assert_equal "$(kt $s list | wc -l)" 2
		assert_equal "$(tail -n 1 "$W/$s.ev" | jq -r '.event + " " + (.rows | tostring)')" "close 0"
	done
	run -0 rows_match bfd 20260101000010Z
	run ! grep -q revoke "$HOOK_LOG"
}

@test "a peer deleting our child over UDP: the responder's row goes too" {
	established_rp
	rp A a
	rp B b
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" "${B[@]}" --respond --listen "127.0.0.1:$PORT" --wait 10 2>>"$W/udp.err" &
	RPID=$!
	sleep 0.2
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" "${A[@]}" --delete "$(child a 0 spi_local)" --peer "127.0.0.1:$PORT" --retransmit 0.5,1.5,3 2>/dev/null
	wait "$RPID"
	RPID=
	assert_equal "$(kt b list | wc -l)" 0
	assert_equal "$(tail -n 1 "$W/b.ev" | jq -r .event)" delete
}

@test "bad key table, address or clock: one error line, exit 3 or 2, state and table untouched, nothing sent" {
	established_rp
	cp "$W/a.json" "$W/a.before"
	# a corrupt table
	printf '{"format": "rkmp-keytable", "version": 1, "rows": [{"Protocol": "tcp-ao"' > "$W/bad.kt"
	chmod 600 "$W/bad.kt"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -t "$W/bad.kt" --protocol bfd -o "$W/x.bin"
	assert_equal "${#stderr_lines[@]}" 1
	[[ "$stderr" == "rkmp-child: $W/a.json: state: "*"bad.kt"* ]]
	[ ! -e "$W/x.bin" ]
	cmp "$W/a.json" "$W/a.before"
	# a table others may read
	cp "$W/a.kt" "$W/open.kt"
	chmod 644 "$W/open.kt"
	run -3 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -t "$W/open.kt" --protocol bfd -o "$W/x.bin"
	[ ! -e "$W/x.bin" ]
	cmp "$W/a.json" "$W/a.before"
	# a row edited by hand into something invalid
	jq -c '.rows[0].SendLifetimeEnd = "20261301000000Z"' "$W/a.kt" > "$W/edit.kt"
	chmod 600 "$W/edit.kt"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" -t "$W/edit.kt" --protocol bfd -o "$W/x.bin"
	[[ "$stderr" == *"month 13"* ]]
	cmp "$W/a.json" "$W/a.before"
	# usage
	run -2 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -t "$W/a.kt" --peer-address not-an-address --protocol bfd -o "$W/x.bin"
	run -2 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -t "$W/a.kt" --now 2026-13 --protocol bfd -o "$W/x.bin"
	run -2 "$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --rp-hook "" --protocol bfd -o "$W/x.bin"
	cmp "$W/a.json" "$W/a.before"
	# over files with no address known, -t is refused before anything happens
	"$RKMP_BIN/rkmp-init" -q -s "$W/c.json" --id fqdn:c.rkmp.test -o "$W/c1.bin"
	"$RKMP_BIN/rkmp-init" -q -s "$W/d.json" --respond --id fqdn:d.rkmp.test -i "$W/c1.bin" -o "$W/c2.bin"
	"$RKMP_BIN/rkmp-init" -q -s "$W/c.json" -i "$W/c2.bin"
	cp "$W/c.json" "$W/c.before"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/c.json" --psk-file "$W/k.psk" -t "$W/c.kt" -o "$W/x.bin"
	[[ "$stderr" == *"--peer-address"* ]]
	[ ! -e "$W/x.bin" ]
	cmp "$W/c.json" "$W/c.before"
}

@test "a failing hook is a warning, not a failure: the step and the table are done" {
	init_pair
	run -0 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" --psk-file "$W/k.psk" -t "$W/a.kt" --peer-address 192.0.2.2 -o "$W/3.bin"
	"$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --psk-file "$W/k.psk" -i "$W/3.bin" -o "$W/4.bin"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/a.json" -t "$W/a.kt" --rp-hook 'echo to-stdout; exit 3' -i "$W/4.bin" --json
	assert_equal "$(jq -r .phase <<<"$output")" established
	[[ "$stderr" == *"to-stdout"* ]]
	[[ "$stderr" == *"warning: --rp-hook exited 3 for the insert event"* ]]
	assert_equal "$(kt a list | wc -l)" 1
}

@test "a key table that cannot be written after a failed exchange: said, and the step's own error is the one reported" {
	established_rp
	rp A a
	assert_equal "$(kt a list | wc -l)" 1
	# the revoke must write the table; its lock cannot be taken
	rm -f "$W/a.kt.lock"
	mkdir "$W/a.kt.lock"
	run -6 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/a.json" "${A[@]}" --liveness \
	    --peer "127.0.0.1:$PORT" --retransmit 0.2,1,1
	assert_equal "$(jq -r .phase "$W/a.json")" failed
	[[ "$stderr" == *"rkmp-child: key table: $W/a.kt: lock file $W/a.kt.lock: Is a directory"* ]] || fail "$stderr"
	assert_equal "$(grep -c 'Is a directory' <<<"$stderr")" 1
	[[ "${stderr##*$'\n'}" == "rkmp-child: $W/a.json: transport: no answer from 127.0.0.1:$PORT after 1 retransmission"* ]] ||
	    fail "the last line is not the step's error: $stderr"
}

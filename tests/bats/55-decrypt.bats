#!/usr/bin/env bats
# rkmp-decode with keys: SK/SKF decryption checked against tshark (same key
# tables; tshark's decodes kept in testdata/tshark/) and, for ChaCha20-Poly1305 which tshark 4.0 cannot decrypt, against
# the peers' own AEAD check; ICV mismatches, key file errors, key export.

load helpers

D=testdata/decode
K=testdata/keys

# Extra ports a capture needs (m is on 5500).
ports_of() {
	case "$1" in *5500*) echo "--port 5500" ;; esac
}

# tshark's view of each capture decrypted with its key table is kept in
# testdata/tshark/NAME.inner (tests/tshark-goldens.sh, which 50-decode.bats
# checks against tshark): per IKE message, frame|payload types (outer then
# inner, proposal/transform dropped)|notify types.

# The same from rkmp-decode --json, a jq filter for one message: the inner
# payloads follow their SK/SKF payload.
inner_jq='[ .frame,
    ([.payloads[] | .type, ((.payloads // [])[] | .type)] | join(",")),
    ([.payloads[] | (select(.type == 41) | .notify_type),
      ((.payloads // [])[] | select(.type == 41) | .notify_type)] | join(","))
  ] | map(tostring) | join("|")'

@test "every key table: every SK/SKF message verified and decrypted, inner payloads as tshark shows them" {
	need jq
	local n=0 total=0 l ref got
	for table in "$K"/*.ikev2_decryption_table; do
		[ -s "$table" ] || continue
		name=${table##*/}
		name=${name%.ikev2_decryption_table}
		cap=$D/$name.pcap
		# (in the loops of this file, command substitutions rather than bats's
		# run: its work, under the trap before each command, cost more than
		# the decode)
		# shellcheck disable=SC2046
		out=$("$RKMP_BIN/rkmp-decode" -q --json --keys "$table" -r "$cap" $(ports_of "$cap") 2>"$BATS_TEST_TMPDIR/err") ||
		    fail "$name: rkmp-decode exit $?: $(<"$BATS_TEST_TMPDIR/err")"
		# one jq: encrypted messages; those verified and decrypted (SKF: verified); fragmented
		# messages; SKF fragments decrypted (exactly one per fragmented message, the one that
		# completes it); then the inner payloads per message
		output=$(jq -rs "([
		    ([.[] | select(.payloads[-1].type == 46 or .payloads[-1].type == 53)] | length),
		    ([.[] | .payloads[-1] | select((.type == 46 and .decrypted and .icv_ok) or (.type == 53 and .icv_ok))] | length),
		    ([.[] | select(.payloads[-1].type == 53) | [.spi_i, .msg_id, .flags.response]] | unique | length),
		    ([.[] | .payloads[-1] | select(.type == 53 and .decrypted)] | length)] | @tsv),
		    (.[] | $inner_jq)" <<<"$out" 2>"$BATS_TEST_TMPDIR/err") || fail "$name: jq exit $?: $(<"$BATS_TEST_TMPDIR/err")"
		read -r enc ok groups done_ <<<"${output%%$'\n'*}"
		[ "$enc" -gt 0 ] && [ "$enc" = "$ok" ] || fail "$name: $ok of $enc encrypted messages verified and decrypted"
		[ "$groups" = "$done_" ] || fail "$name: $done_ of $groups fragmented messages reassembled"
		# tshark's lines: the golden without its "# " header
		ref=$(grep -v '^# ' "testdata/tshark/$name.inner") || fail "$name: no tshark golden"
		got=${output#*$'\n'}
		if [ "$got" != "$ref" ]; then
			diff -u --label "tshark (testdata/tshark/$name.inner)" --label rkmp-decode <(printf '%s\n' "$ref") \
			    <(printf '%s\n' "$got")
			fail "$name: inner payloads differ from tshark"
		fi
		n=$((n + 1))
		total=$((total + enc))
	done
	[ "$n" = 16 ] || fail "$n key tables checked"
	[ "$total" = 89 ] || fail "$total encrypted messages"
}

@test "the strongSwan key logs decrypt the same messages as the tables" {
	local n=0 dec=0
	for log in "$K"/*.all_keys.log; do
		name=$(basename "$log" .all_keys.log)
		cap=$D/$name.pcap
		[ "$name" = c-chacha20poly1305-x25519 ] && continue	# its table is empty
		# shellcheck disable=SC2046
		a=$("$RKMP_BIN/rkmp-decode" -q --json --keys "$log" -r "$cap" $(ports_of "$cap"))
		# shellcheck disable=SC2046
		b=$("$RKMP_BIN/rkmp-decode" -q --json --keys "$K/$name.ikev2_decryption_table" -r "$cap" $(ports_of "$cap"))
		# the whole decode is the same, decrypted payloads and ICV verdicts included
		[ -n "$a" ] && [ "$a" = "$b" ] || fail "$name: key log and table disagree"
		[[ "$a" != *'"decrypted":true'* ]] || dec=$((dec + 1))
		n=$((n + 1))
	done
	[ "$n" = 15 ] || fail "$n key logs"
	[ "$dec" = 14 ] || fail "$dec key logs decrypted something (all but k-no-proposal-chosen should)"
}

@test "ChaCha20-Poly1305 (tshark cannot): decrypted with the key log, inner payloads as the peers' AEAD check saw them" {
	need jq
	local cap=$D/c-chacha20poly1305-x25519.pcap
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" --json --keys "$K/c-chacha20poly1305-x25519.all_keys.log" -r "$cap"
	assert_equal "$stderr" "rkmp-decode: 6 messages, 0 malformed, 0 ESP skipped, 0 keepalives, 0 reassembled from IP fragments, 0 other packets skipped
rkmp-decode: 4 decrypted, 0 ICV mismatches"
	ours=$(jq -r 'select(.payloads[-1].type == 46) | .payloads[-1] |
	    select(.decrypted and .icv_ok) | "#\(input_line_number) [ \([.payloads[].type_name] | join(" ")) ]"' <<<"$output" |
	    sed 's/\[  \]/[ ]/')
	ref=$(sed -nE 's/^(#[0-9]+) .* CHACHA20_POLY1305 ok (\[.*\])$/\1 \2/p' "$K/c-chacha20poly1305-x25519.aead-check.txt" |
	    sed 's/\[  \]/[ ]/')
	[ -n "$ref" ]
	assert_equal "$ours" "$ref"
	# the ChaCha20 scenario's Wireshark table is empty: nothing to decrypt, no ICV verdict
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q --json --keys "$K/c-chacha20poly1305-x25519.ikev2_decryption_table" -r "$cap"
	[ "$(jq -s '[.[] | .payloads[-1] | select(has("icv_ok"))] | length' <<<"$output")" = 0 ]
}

@test "SKF: h-fragmentation is reassembled, inner payloads on the fragment that completes each message" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$K/h-fragmentation.ikev2_decryption_table" -r "$D/h-fragmentation.pcap"
	assert_line --index 2 --partial "len 164 [SKF(1/3)]"
	assert_line --index 3 --partial "len 164 [SKF(2/3)]"
	assert_line --index 4 --partial "len 84 [SKF(3/3){IDi IDr AUTH SA TSi TSr N(MULTIPLE_AUTH_SUPPORTED) N(EAP_ONLY_AUTHENTICATION) N(IKEV2_MESSAGE_ID_SYNC_SUPPORTED)}]"
	assert_line --index 5 --partial "len 164 [SKF(1/2)]"
	assert_line --index 6 --partial "len 132 [SKF(2/2){IDr AUTH SA TSi TSr}]"
	assert_line --index 7 --partial "[SK{D(IKE)}]"
	assert_line --index 8 --partial "[SK{}]"
	[[ "$stderr" == *"rkmp-decode: 7 decrypted, 0 ICV mismatches"* ]]
	need jq
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q --json --keys "$K/h-fragmentation.all_keys.log" -r "$D/h-fragmentation.pcap"
	got=$(jq -c 'select(.payloads[-1].type == 53) | .payloads[-1] | [.fragment, .total, .decrypted, .icv_ok, ((.payloads // []) | length)]' <<<"$output" | paste -sd' ')
	assert_equal "$got" "[1,3,false,true,0] [2,3,false,true,0] [3,3,true,true,9] [1,2,false,true,0] [2,2,true,true,5]"
	# -v: the inner tree under the completing fragment
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -v --keys "$K/h-fragmentation.all_keys.log" -r "$D/h-fragmentation.pcap"
	assert_line "  SKF(53) length 56: fragment 3 of 3 next NONE(0) 48 octets encrypted iv 940c9a2519bbfb92a4ccf29e186719ef ciphertext 16 octets icv d5ec23c5296497e18d0b15d038c59466"
	assert_line "    IDi(35) length 20: ID_FQDN(2) us.rkmp.test"
}

@test "text, tree and JSON show the inner payloads of SK" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q --keys "$K/a-aes128-cbc-modp2048.ikev2_decryption_table" -r "$D/a-aes128-cbc-modp2048.pcap"
	assert_line --index 2 --partial "IKE_AUTH initiator request mid 1 852d553810da4e22:6d107497ac00c7e6 len 272 [SK{IDi IDr AUTH SA TSi TSr N(MULTIPLE_AUTH_SUPPORTED) N(EAP_ONLY_AUTHENTICATION) N(IKEV2_MESSAGE_ID_SYNC_SUPPORTED)}]"
	assert_line --index 3 --partial "[SK{IDr AUTH SA TSi TSr}]"
	assert_line --index 4 --partial "INFORMATIONAL initiator request mid 2 852d553810da4e22:6d107497ac00c7e6 len 80 [SK{D(IKE)}]"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q -v --keys "$K/b-aes256gcm-ecp256.ikev2_decryption_table" -r "$D/b-aes256gcm-ecp256.pcap"
	assert_line "    IDi(35) length 20: ID_FQDN(2) us.rkmp.test"
	assert_line "        transform ENCR(1) ENCR_AES_GCM_16(20) key_length 256"
	need jq
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q --json --keys "$K/b-aes256gcm-ecp256.all_keys.log" -r "$D/b-aes256gcm-ecp256.pcap"
	got=$(jq -c 'select(.frame == 3) | .payloads[-1] | {decrypted, icv_ok, first: .payloads[0].id, n: (.payloads | length)}' <<<"$output")
	assert_equal "$got" '{"decrypted":true,"icv_ok":true,"first":"us.rkmp.test","n":9}'
	# without keys: no verdict at all
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q --json -r "$D/b-aes256gcm-ecp256.pcap"
	[ "$(jq -s '[.[] | .payloads[-1] | select(has("icv_ok") or .decrypted)] | length' <<<"$output")" = 0 ]
}

@test "a rekeyed IKE SA (no IKE_SA_INIT in the capture) is decrypted from its keys alone" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q -v --keys "$K/d-rekey-child-and-ike.all_keys.log" -r "$D/d-rekey-child-and-ike.pcap"
	assert_line --partial "CREATE_CHILD_SA initiator request mid 0 07a639a783bcd564:2e8f8456fd91c8e3 len 480 [SK{N(REKEY_SA) SA Nonce KE TSi TSr}]"
	assert_line --partial "INFORMATIONAL initiator request mid 2 07a639a783bcd564:2e8f8456fd91c8e3 len 80 [SK{D(IKE)}]"
}

@test "raw message files decrypt too" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q --keys "$K/c-chacha20poly1305-x25519.all_keys.log" testdata/msgs/c-chacha20poly1305-x25519-0[3-6].bin
	assert_line --index 0 --partial "[SK{IDi IDr AUTH SA TSi TSr N(MULTIPLE_AUTH_SUPPORTED) N(EAP_ONLY_AUTHENTICATION) N(IKEV2_MESSAGE_ID_SYNC_SUPPORTED)}]"
	assert_line --index 3 --partial "[SK{}]"
}

# flip the first hex digit of the given CSV fields of every table line
flip() {	# flip TABLE OUT FIELD...
	local in=$1 out=$2
	shift 2
	awk -F, -v fields="$*" 'BEGIN { OFS = ","; n = split(fields, f, " ") }
	    { for (i = 1; i <= n; i++) { c = substr($f[i], 1, 1); $f[i] = (c == "0" ? "1" : "0") substr($f[i], 2) } print }' "$in" > "$out"
}

@test "one flipped key octet: [ICV mismatch] on the messages it protects, decoding goes on, exit 1" {
	local t=$BATS_TEST_TMPDIR/flipped
	# SK_ai: the initiator's messages fail, the responder's still decrypt
	flip "$K/a-aes128-cbc-modp2048.ikev2_decryption_table" "$t" 6
	run -1 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$t" -r "$D/a-aes128-cbc-modp2048.pcap"
	assert_line --index 2 --partial "IKE_AUTH initiator request mid 1 852d553810da4e22:6d107497ac00c7e6 len 272 [SK] [ICV mismatch]"
	assert_line --index 3 --partial "[SK{IDr AUTH SA TSi TSr}]"
	assert_line --index 4 --partial "[SK] [ICV mismatch]"
	assert_line --index 5 --partial "[SK{}]"
	[[ "$stderr" == *"rkmp-decode: 2 decrypted, 2 ICV mismatches"* ]]
	# SK_ai and SK_ar: every encrypted message of every CBC capture, fragments too
	for table in "$K"/*.ikev2_decryption_table; do
		[ -s "$table" ] || continue
		name=$(basename "$table" .ikev2_decryption_table)
		cap=$D/$name.pcap
		case "$name" in
		b-*) flip "$table" "$t" 3 4 ;;	# AES-GCM: the key | salt
		*) flip "$table" "$t" 6 7 ;;
		esac
		st=0
		# shellcheck disable=SC2046
		output=$("$RKMP_BIN/rkmp-decode" -q --keys "$t" -r "$cap" $(ports_of "$cap") 2>/dev/null) || st=$?
		[ "$st" = 1 ] || fail "$name: rkmp-decode exit $st, not 1"
		# the lines with an SK or SKF payload; those that end in [ICV mismatch]; none decrypted
		enc=$(grep -cE '\[(SK|SKF\([0-9]+/[0-9]+\))\]' <<<"$output") || true
		bad=$(grep -cE '\[(SK|SKF\([0-9]+/[0-9]+\))\] \[ICV mismatch\]$' <<<"$output") || true
		[ "$enc" -gt 0 ] && [ "$enc" = "$bad" ] || fail "$name: $bad of $enc messages say [ICV mismatch]"
		[[ "$output" != *"{"* ]] || fail "$name: something was decrypted"
	done
	need jq
	run -1 --separate-stderr "$RKMP_BIN/rkmp-decode" -q --json --keys "$t" -r "$D/r-ipv6.pcap"
	got=$(jq -c 'select(.payloads[-1].type == 46) | .payloads[-1] | [.decrypted, .icv_ok, has("payloads")]' <<<"$output" | sort -u)
	assert_equal "$got" "[false,false,false]"
}

@test "exit status: a malformed message (4) outranks an ICV mismatch (1)" {
	local t=$BATS_TEST_TMPDIR/flipped
	flip "$K/a-aes128-cbc-modp2048.ikev2_decryption_table" "$t" 6 7
	head -c 100 testdata/msgs/a-aes128-cbc-modp2048-03.bin > "$BATS_TEST_TMPDIR/cut.bin"
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" -q --keys "$t" testdata/msgs/a-aes128-cbc-modp2048-03.bin "$BATS_TEST_TMPDIR/cut.bin"
	assert_line --index 0 --partial "[SK] [ICV mismatch]"
	assert_line --index 1 --partial "[|truncated: IKE header: Length 272 > 100 octets received]"
	# a wrong SK_e under the right SK_a (CBC): the ICV verifies, the plaintext is noise
	flip "$K/a-aes128-cbc-modp2048.ikev2_decryption_table" "$t" 3
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" -q --keys "$t" testdata/msgs/a-aes128-cbc-modp2048-03.bin
	assert_output --partial "[SK] [invalid: "
}

@test "a key file that does not load: FILE:LINE and the reason, exit 2, nothing decoded" {
	local t=$BATS_TEST_TMPDIR/bad.table
	{ cat "$K/d-rekey-child-and-ike.ikev2_decryption_table"; echo '0011,2233,44,"AES-CBC-128 [RFC3602]"'; } > "$t"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$t" -r "$D/d-rekey-child-and-ike.pcap"
	assert_equal "$output" ""
	assert_equal "$stderr" "rkmp-decode: $t:3: usage: 4 fields, a Wireshark ikev2_decryption_table line has 8 (SPIi,SPIr,SK_ei,SK_er,\"ENCR\",SK_ai,SK_ar,\"INTEG\")"
	sed 's/"AES-CBC-128 \[RFC3602\]"/"AES-CBC-100 [RFC3602]"/' "$K/a-aes128-cbc-modp2048.ikev2_decryption_table" > "$t"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$K/a-aes128-cbc-modp2048.all_keys.log" --keys "$t" -r "$D/a-aes128-cbc-modp2048.pcap"
	assert_equal "$output" ""
	[[ "$stderr" == "rkmp-decode: $t:1: usage: encryption algorithm \"AES-CBC-100 [RFC3602]\" unknown"* ]]
	sed 's/ sk_ei=6a93/ sk_ei=6a9/' "$K/a-aes128-cbc-modp2048.all_keys.log" > "$t"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$t" -r "$D/a-aes128-cbc-modp2048.pcap"
	assert_equal "$stderr" "rkmp-decode: $t:1: usage: sk_ei is not hex"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$BATS_TEST_TMPDIR/missing" -r "$D/a-aes128-cbc-modp2048.pcap"
	assert_equal "$stderr" "rkmp-decode: $BATS_TEST_TMPDIR/missing: usage: No such file or directory"
	need jq
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --json --keys "$t" -r "$D/a-aes128-cbc-modp2048.pcap"
	assert_equal "$stderr" ""
	assert_equal "$output" "{\"error\":{\"class\":\"usage\",\"exit\":2,\"where\":\"$t:1\",\"detail\":\"sk_ei is not hex\"}}"
}

@test "-s: the keys of an rkmp state file; a state file without keys is exit 3" {
	local s=$BATS_TEST_TMPDIR/a.json
	IFS=, read -r si sr ei er _ ai ar _ < "$K/a-aes128-cbc-modp2048.ikev2_decryption_table"
	# failed: an SA's traffic keys and nothing more (an established state must be whole)
	cat > "$s" <<-EOF
	{"format": "rkmp-state", "version": 1, "phase": "failed", "role": "initiator",
	 "profile": "ikev2",
	 "suite": {"encr": "ENCR_AES_CBC", "encr_key_length": 128, "prf": "PRF_HMAC_SHA2_256",
	           "integ": "AUTH_HMAC_SHA2_256_128", "dh": "MODP_2048"},
	 "ike_sa": {"spi_i": "$si", "spi_r": "$sr"},
	 "secrets": {"sk_ai": "$ai", "sk_ar": "$ar", "sk_ei": "$ei", "sk_er": "$er"}}
	EOF
	chmod 600 "$s"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q -s "$s" -r "$D/a-aes128-cbc-modp2048.pcap"
	assert_line --index 2 --partial "[SK{IDi IDr AUTH SA TSi TSr N(MULTIPLE_AUTH_SUPPORTED) N(EAP_ONLY_AUTHENTICATION) N(IKEV2_MESSAGE_ID_SYNC_SUPPORTED)}]"
	assert_line --index 5 --partial "[SK{}]"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -s "$s" --export-keys wireshark
	assert_equal "$output" "$(<"$K/a-aes128-cbc-modp2048.ikev2_decryption_table")"
	cat > "$s" <<-EOF
	{"format": "rkmp-state", "version": 1, "phase": "new", "role": "initiator", "profile": "ikev2",
	 "proposals": "aes128-sha256-modp2048", "ike_sa": {"spi_i": "$si"}}
	EOF
	chmod 600 "$s"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-decode" --state "$s" -r "$D/a-aes128-cbc-modp2048.pcap"
	assert_equal "$output" ""
	assert_equal "$stderr" "rkmp-decode: $s: state: phase new: no IKE SA keys yet"
	chmod 644 "$s"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-decode" -s "$s" -r "$D/a-aes128-cbc-modp2048.pcap"
	[[ "$stderr" == "rkmp-decode: $s"*"0644"* ]]
}

@test "--export-keys wireshark gives back every table's lines, from the table or the key log" {
	for table in "$K"/*.ikev2_decryption_table; do
		output=$("$RKMP_BIN/rkmp-decode" --keys "$table" --export-keys wireshark 2>/dev/null) ||
		    fail "$table: rkmp-decode exit $?"
		assert_equal "$output" "$(<"$table")"
		log=${table%.ikev2_decryption_table}.all_keys.log
		[ -s "$table" ] && [ -f "$log" ] || continue
		output=$("$RKMP_BIN/rkmp-decode" --keys "$log" --export-keys wireshark 2>/dev/null) ||
		    fail "$log: rkmp-decode exit $?"
		assert_equal "$output" "$(<"$table")"
	done
	# ChaCha20-Poly1305 has no Wireshark name: left out, said so
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$K/c-chacha20poly1305-x25519.all_keys.log" --export-keys wireshark
	assert_equal "$output" ""
	assert_equal "$stderr" "rkmp-decode: 55d742931308725c:53942d5eb3c419e1: Wireshark: no IKEv2 decryption for ENCR_CHACHA20_POLY1305"
}

@test "--export-keys tcpdump: two lines per CBC SA in the documented form, and tcpdump decrypts with them" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$K/d-rekey-child-and-ike.ikev2_decryption_table" --keys "$K/b-aes256gcm-ecp256.ikev2_decryption_table" --export-keys tcpdump
	assert_equal "${#lines[@]}" 4
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^ikev2\ [IR]\ 0x[0-9a-f]{16}\ 0x[0-9a-f]{16}\ sha256:0x[0-9a-f]{64}\ aes128-cbc:0x[0-9a-f]{32}$ ]] || fail "bad line: $l"
	done
	IFS=, read -r si sr ei er _ ai ar _ < "$K/d-rekey-child-and-ike.ikev2_decryption_table"
	assert_line --index 0 "ikev2 I 0x$si 0x$sr sha256:0x$ai aes128-cbc:0x$ei"
	assert_line --index 1 "ikev2 R 0x$si 0x$sr sha256:0x$ar aes128-cbc:0x$er"
	assert_equal "$stderr" "rkmp-decode: c3c5c7458f52daaa:327c37b013443b52: tcpdump: no IKEv2 decryption for ENCR_AES_GCM_16 (tcpdump has no AEAD support)"
	need tcpdump
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$K/a2-aes256-cbc-modp2048.ikev2_decryption_table" --export-keys tcpdump
	assert_line --index 0 --regexp ' aes256-cbc:0x[0-9a-f]{64}$'
	secret=$(paste -sd, <<<"$output")
	run -0 tcpdump -n -vv -r "$D/a2-aes256-cbc-modp2048.pcap" -E "$secret"
	assert_output --partial "(v2IDi: len=16 fqdn:us.rkmp.test)"
	assert_output --partial "(v2IDr: len=18 fqdn:peer.rkmp.test)"
}

@test "--export-keys usage errors" {
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --export-keys wireshark
	[[ "$stderr" == *"--export-keys needs -s STATE or --keys FILE"* ]]
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$K/a-aes128-cbc-modp2048.all_keys.log" --export-keys pcap
	[[ "$stderr" == *"--export-keys: 'pcap' is not wireshark or tcpdump"* ]]
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$K/a-aes128-cbc-modp2048.all_keys.log" --export-keys tcpdump -r "$D/a-aes128-cbc-modp2048.pcap"
	[[ "$stderr" == *"--export-keys decodes nothing"* ]]
	# the options of a decode do not apply: refused, each named
	for opt in --json -v -q "-c 3" "--port 5000" "--rkmp-port 5000" "-f udp"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --keys "$K/a-aes128-cbc-modp2048.all_keys.log" \
		    --export-keys wireshark $opt
		# with --json the usage error is JSON on stdout too (DESIGN.md §8)
		if [ "$opt" = --json ]; then
			assert_equal "$(jq -c '.error | [.class, .exit]' <<<"$output")" '["usage",2]'
		else
			assert_equal "$output" ""
		fi
		[[ "$stderr" == "rkmp-decode: ${opt%% *} does not apply to --export-keys, which decodes nothing"$'\n'* ]] ||
		    fail "$opt: $stderr"
	done
}

@test "--help, the man page and the completion know the new options" {
	run -0 "$RKMP_BIN/rkmp-decode" --help
	assert_output --partial "-s, --state FILE"
	assert_output --partial "--keys FILE"
	assert_output --partial "--export-keys FORMAT"
	assert_output --partial "1 an ICV or AEAD tag did not verify"
	complete_words() {
		PATH=$RKMP_BIN:$PATH bash -c '
			source completions/rkmp.bash
			COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_rkmp "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
	}
	run -0 complete_words rkmp-decode --export-keys ""
	assert_output "wireshark
tcpdump"
	run -0 complete_words rkmp-decode --keys testdata/keys/a-aes128
	assert_line "testdata/keys/a-aes128-cbc-modp2048.all_keys.log"
	assert_line "testdata/keys/a-aes128-cbc-modp2048.ikev2_decryption_table"
	mkdir -p "$BATS_TEST_TMPDIR/st"
	touch "$BATS_TEST_TMPDIR/st/a.json" "$BATS_TEST_TMPDIR/st/a.bin"
	run -0 complete_words rkmp-decode -s "$BATS_TEST_TMPDIR/st/a"
	assert_output "$BATS_TEST_TMPDIR/st/a.json"
	need mandoc
	page=$(mandoc -Tutf8 man/rkmp-decode.1 | col -b)
	for w in DECRYPTION "--export-keys" "ikev2_decryption_table" "[ICV mismatch]"; do
		[[ "$page" == *"$w"* ]] || fail "rkmp-decode(1) lacks $w"
	done
	grep -qE '^ +1([[:space:]]|$)' <<<"$(sed -n '/^EXIT STATUS/,/^EXAMPLES/p' <<<"$page")" || fail "EXIT STATUS lacks 1"
}

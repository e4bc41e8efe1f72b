#!/usr/bin/env bats
# rkmp-decode: goldens checked against tshark, inputs, link types, malformed input.

load helpers

D=testdata/decode

@test "goldens: every case of testdata/decode/LIST gives its expected output, exit 0" {
	# the loop in a shell of its own: bats's trap before each command of a
	# test would cost more than the 54 decodes
	run bash -c '
		n=0
		while read -r name cap args; do
			case "$name" in "#"*|"") continue ;; esac
			# shellcheck disable=SC2086
			"$0/rkmp-decode" -q -r "$1/$cap" $args > "$2/out" || { echo "$name: exit $?"; exit 1; }
			if ! cmp -s "$2/out" "$1/$name.out"; then
				diff -u "$1/$name.out" "$2/out" | head -40
				echo "golden $name differs"
				exit 1
			fi
			n=$((n + 1))
		done < "$1/LIST"
		echo "$n goldens"' "$RKMP_BIN" "$D" "$BATS_TEST_TMPDIR"
	[ "$status" = 0 ] || fail "$output"
	[[ "$output" =~ ^([0-9]+)\ goldens$ ]] && [ "${BASH_REMATCH[1]}" -ge 54 ] || fail "$output"
}

# tshark's decodes are kept in testdata/tshark/ (tests/tshark-goldens.sh): the
# comparison needs no tshark; the test after it checks the goldens with tshark.
@test "every capture agrees with tshark field by field (tshark's goldens in testdata/tshark)" {
	need jq
	local n=0
	for cap in "$D"/*.pcap; do
		args=()
		case "$cap" in *5500*) args=(--port 5500) ;; esac
		run -0 tests/tshark-crosscheck.sh --golden "testdata/tshark/$(basename "$cap" .pcap).fields" \
		    "$RKMP_BIN" "$cap" "${args[@]}"
		n=$((n + 1))
	done
	[ "$n" = 18 ] || fail "$n captures"
}

@test "the tshark goldens are what tshark prints now (tests/tshark-goldens.sh --check); the cross-check with tshark live" {
	need tshark
	need mergecap
	need capinfos
	run -0 tests/tshark-goldens.sh --check
	assert_line --regexp '^tshark-goldens: all 34 goldens are what TShark '
	# the cross-check's live mode (tests/update-golden.sh uses it), on the capture with most kinds of payload
	need jq
	run -0 tests/tshark-crosscheck.sh "$RKMP_BIN" "$D/h-fragmentation.pcap"
}

@test "tshark-crosscheck.sh: a difference, or nothing on either side, is a failure" {
	need jq
	local g=$BATS_TEST_TMPDIR/g cap=$D/g-invalid-ke.pcap
	grep -v '^# ' testdata/tshark/g-invalid-ke.fields > "$g"
	run -0 tests/tshark-crosscheck.sh --golden "$g" "$RKMP_BIN" "$cap"
	# one field changed: the diff names it
	sed -i '1s/|34|0|8|/|34|0|32|/' "$g"
	run -1 tests/tshark-crosscheck.sh --golden "$g" "$RKMP_BIN" "$cap"
	assert_line --regexp '^-1\|[0-9a-f]{16}\|0{16}\|34\|0\|32\|'
	# both sides empty: not an agreement
	: > "$g"
	run -1 tests/tshark-crosscheck.sh --golden "$g" "$RKMP_BIN" "$cap" -f arp
	assert_output --partial "tshark shows no IKE message"
	assert_output --partial "rkmp-decode shows no IKE message"
	# either side empty
	run -1 tests/tshark-crosscheck.sh --golden "$g" "$RKMP_BIN" "$cap"
	assert_output --partial "tshark shows no IKE message"
	run -1 tests/tshark-crosscheck.sh --golden testdata/tshark/g-invalid-ke.fields "$RKMP_BIN" "$cap" -f arp
	assert_output --partial "rkmp-decode shows no IKE message"
	refute_output --partial "tshark shows no IKE message"
	run -1 tests/tshark-crosscheck.sh --golden "$BATS_TEST_TMPDIR/none" "$RKMP_BIN" "$cap"
}

@test "--json: one valid object per message, with the keys scripts rely on" {
	need jq
	local all=$BATS_TEST_TMPDIR/all.json n=0 objects=0
	: > "$all"
	for cap in "$D"/*.pcap; do
		run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q --json -r "$cap" --port 5500
		[ "${#lines[@]}" -gt 0 ] || fail "$cap: no object"
		printf '%s\n' "$output" >> "$all"
		objects=$((objects + ${#lines[@]}))
		n=$((n + 1))
	done
	[ "$n" = 18 ] || fail "$n captures"
	# one jq for all captures: the objects that lack a key (with their file and frame);
	# each line is parsed as JSON (jq fails on one that is not)
	run -0 --separate-stderr jq -c 'select(has("file") and has("frame") and has("time")
	    and has("src") and has("sport") and has("dst") and has("dport") and (.spi_i | test("^[0-9a-f]{16}$"))
	    and (.spi_r | test("^[0-9a-f]{16}$")) and has("exchange_type") and has("exchange_type_name")
	    and (.flags | has("initiator") and has("response")) and has("msg_id") and has("length")
	    and (.payloads | all(has("type") and has("type_name") and has("critical") and has("length"))) | not)
	    | [.file, .frame]' "$all"
	assert_output ""
	assert_equal "$(wc -l < "$all")" "$objects"
}

@test "--json carries the same facts as -v (payload names, notify names, transforms, groups)" {
	need jq
	for cap in "$D"/g-invalid-ke.pcap "$D"/d-rekey-child-and-ike.pcap "$D"/h-fragmentation.pcap; do
		from_json=$("$RKMP_BIN/rkmp-decode" -q --json -r "$cap" | jq -r '.payloads[] |
		    if .type == 41 then "N \(.notify_type_name)(\(.notify_type))"
		    elif .type == 34 then "KE \(.group_name)(\(.group))"
		    elif .type == 33 then ("P SA(33)", (.proposals[].transforms[] | "T \(.type_name)(\(.type)) \(.id_name)(\(.id))"))
		    elif .type == 53 then "SKF \(.fragment)/\(.total)"
		    else "P \(.type_name)(\(.type))" end')
		from_tree=$("$RKMP_BIN/rkmp-decode" -q -v -r "$cap" | sed -nE \
		    -e 's/^  N\(41\) length [0-9]+: ([A-Z0-9_]+\([0-9]+\)).*/N \1/p' \
		    -e 's/^  KE\(34\) length [0-9]+: group ([A-Z0-9_]+\([0-9]+\)).*/KE \1/p' \
		    -e 's/^      transform ([A-Z0-9_]+\([0-9]+\)) ([A-Z0-9_]+\([0-9]+\)).*/T \1 \2/p' \
		    -e 's/^  SKF\(53\) length [0-9]+: fragment ([0-9]+) of ([0-9]+).*/SKF \1\/\2/p' \
		    -e 's/^  (SA|Nonce|SK)(\([0-9]+\)) length.*/P \1\2/p')
		[ "$(wc -l <<<"$from_json")" -gt 20 ]
		assert_equal "$(sort <<<"$from_tree")" "$(sort <<<"$from_json")"
	done
}

@test "summary line on stderr counts messages, malformed, ESP and reassembled datagrams" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -r "$D/n-libipsec-esp-natt.pcap"
	assert_equal "$stderr" "rkmp-decode: 6 messages, 0 malformed, 6 ESP skipped, 0 keepalives, 0 reassembled from IP fragments, 0 other packets skipped"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -r "$D/q-ip-fragments-modp4096.pcap"
	[[ "$stderr" == *"6 messages, 0 malformed, 0 ESP skipped, 0 keepalives, 2 reassembled from IP fragments"* ]]
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -q -r "$D/n-libipsec-esp-natt.pcap"
	assert_equal "$stderr" ""
}

@test "port 4500: the non-ESP marker is stripped and said in -v" {
	run -0 "$RKMP_BIN/rkmp-decode" -q -v -r "$D/n-libipsec-esp-natt.pcap"
	assert_output --partial "10.77.0.2.4500 > 10.77.0.1.4500: IKE_AUTH initiator request mid 1"
	assert_output --partial "(after non-ESP marker)"
}

@test "IPv6 and IP fragments are decoded like the rest" {
	run -0 "$RKMP_BIN/rkmp-decode" -q -r "$D/r-ipv6.pcap"
	assert_line --index 0 --partial "fd77::2.500 > fd77::1.500: IKE_SA_INIT initiator request mid 0"
	run -0 "$RKMP_BIN/rkmp-decode" -q -r "$D/q-ip-fragments-modp4096.pcap"
	assert_line --index 0 --partial "len 712 [SA KE Nonce"
}

@test "RKMP port: exchanges get RKMP names in text and rkmp:true in JSON" {
	run -0 "$RKMP_BIN/rkmp-decode" -q -r "$D/f-cookie.pcap" -c 1
	assert_output --partial "10.77.0.2.50500 > 10.77.0.1.500: RKMP_SA_INIT initiator request"
	run -0 "$RKMP_BIN/rkmp-decode" -q --json -r "$D/f-cookie.pcap" -c 1
	assert_output --partial '"rkmp":true'
	assert_output --partial '"exchange_type":34,"exchange_type_name":"IKE_SA_INIT"'
	run -0 "$RKMP_BIN/rkmp-decode" -q -r "$D/a-aes128-cbc-modp2048.pcap" --rkmp-port 500 -c 1
	assert_output --partial "RKMP_SA_INIT initiator request"
}

@test "--port decodes another port; without it nothing is found there" {
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" -r testdata/capture/natt.pcap
	[[ "$stderr" == *"rkmp-decode: 3 messages,"* ]]
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" -r testdata/capture/natt.pcap --port 7000
	[[ "$stderr" == *"rkmp-decode: 5 messages,"* ]]
	assert_output --partial "192.0.2.1.40000 > 192.0.2.2.7000"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -r "$D/m-nondefault-port-5500.pcap" --port 5500
	[[ "$stderr" == *"rkmp-decode: 6 messages,"* ]]
}

@test "-f applies a BPF filter; -c stops after N messages; -r - reads stdin" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -r "$D/a-aes128-cbc-modp2048.pcap" -f 'src host 10.77.0.1'
	[[ "$stderr" == *"3 messages"* ]]
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -r "$D/d-rekey-child-and-ike.pcap" -c 2
	assert_equal "${#lines[@]}" 2
	run -0 --separate-stderr bash -c "'$RKMP_BIN/rkmp-decode' -q -r - < '$D/a-aes128-cbc-modp2048.pcap'"
	assert_equal "$output" "$(cat "$D/a-aes128-cbc-modp2048.out" | sed 's|testdata/decode/a-aes128-cbc-modp2048.pcap|-|')"
}

@test "link types and pcapng from the capture fixtures" {
	for f in eth sll sll2 null loop raw ipv4 ipv6 ike; do
		cap=testdata/capture/$f.pcap
		[ -f "$cap" ] || cap=testdata/capture/$f.pcapng
		[ -f "$cap" ] || continue
		run --separate-stderr "$RKMP_BIN/rkmp-decode" -r "$cap"
		[[ "$stderr" =~ rkmp-decode:\ [1-9][0-9]*\ message ]] || fail "$cap: $stderr"
	done
}

@test "raw message files: frame is the argument position, no time or endpoints" {
	need jq
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" --json testdata/msgs/g-invalid-ke-01.bin testdata/msgs/g-invalid-ke-02.bin
	assert_equal "$(jq -r '[.file, .frame, has("time"), has("src")] | @tsv' <<<"${lines[1]}")" \
	    "$(printf 'testdata/msgs/g-invalid-ke-02.bin\t2\tfalse\tfalse')"
	assert_equal "$(jq -r '.payloads[0].notify_type_name' <<<"${lines[1]}")" "INVALID_KE_PAYLOAD"
	run -0 "$RKMP_BIN/rkmp-decode" -q -v testdata/msgs/g-invalid-ke-02.bin
	assert_output --partial "INVALID_KE_PAYLOAD(17) protocol NONE(0) group MODP_2048(14)"
}

@test "raw file shorter than its Length: truncated, exit 4, decoding goes on" {
	tmp=$BATS_TEST_TMPDIR
	head -c 100 testdata/msgs/a-aes128-cbc-modp2048-01.bin > "$tmp/cut.bin"
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" "$tmp/cut.bin" testdata/msgs/a-aes128-cbc-modp2048-02.bin
	assert_line --index 0 --partial "[|truncated: IKE header: Length 464 > 100 octets received]"
	assert_line --index 1 --partial "IKE_SA_INIT responder response"
	[[ "$stderr" == *"2 messages, 1 malformed"* ]]
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" --json "$tmp/cut.bin"
	assert_output --partial '"error":{"kind":"truncated","where":"IKE header","detail":"Length 464 > 100 octets received"}'
}

@test "empty raw file and one over 65,535 octets are malformed (exit 4)" {
	tmp=$BATS_TEST_TMPDIR
	: > "$tmp/empty.bin"
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" "$tmp/empty.bin"
	assert_output --partial "[|truncated: IKE header: 0 octets < 28]"
	head -c 70000 /dev/zero > "$tmp/big.bin"
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" "$tmp/big.bin"
	assert_output --partial "[invalid: datagram: more than 65535 octets]"
}

@test "invalid message: names the payload, the check and the numbers; exit 4" {
	tmp=$BATS_TEST_TMPDIR
	# proposal length of the first IKE_SA_INIT set to 6 (offset 28 + 4 + 2)
	cp testdata/msgs/a-aes128-cbc-modp2048-01.bin "$tmp/bad.bin"
	printf '\x00\x06' | dd of="$tmp/bad.bin" bs=1 seek=34 conv=notrunc status=none
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" "$tmp/bad.bin"
	assert_output --partial "[invalid: SA payload: proposal 1: length 6 < 8]"
	[[ "$stderr" == *"1 message, 1 malformed"* ]]
}

@test "missing input file: one error line, exit 7, other inputs still decoded" {
	run -7 --separate-stderr "$RKMP_BIN/rkmp-decode" /nonexistent.bin testdata/msgs/a-aes128-cbc-modp2048-01.bin
	[[ "$stderr" == *"rkmp-decode: /nonexistent.bin: system: No such file or directory"* ]]
	assert_output --partial "IKE_SA_INIT initiator request"
	run -7 --separate-stderr "$RKMP_BIN/rkmp-decode" -r /nonexistent.pcap
	[[ "$stderr" == *"/nonexistent.pcap"* ]]
}

@test "a file that is not a capture is refused with a clear error" {
	run --separate-stderr "$RKMP_BIN/rkmp-decode" -r testdata/capture/not-a-capture.txt
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"not a pcap or pcapng file"* ]]
}

@test "a capture cut in the middle of a record: messages before it, then exit 4" {
	tmp=$BATS_TEST_TMPDIR
	size=$(stat -c %s "$D/a-aes128-cbc-modp2048.pcap")
	head -c $((size - 40)) "$D/a-aes128-cbc-modp2048.pcap" > "$tmp/cut.pcap"
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" -r "$tmp/cut.pcap"
	assert_equal "${#lines[@]}" 5
	[[ "$stderr" == *"capture truncated"*"cut short"* ]]
}

@test "non-IKE traffic only: nothing decoded, exit 0" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -r "$D/q-ip-fragments-modp4096.pcap" -f arp
	assert_output ""
	[[ "$stderr" == *"0 messages, 0 malformed"* ]]
}

@test "mutated messages through the CLI: each exit 0 or 4, never a crash" {
	tmp=$BATS_TEST_TMPDIR
	src=testdata/msgs/d-rekey-child-and-ike-01.bin
	# every 7th octet set to (offset * 37 + 11) & 255, one mutant file each (one python3)
	python3 - "$src" "$tmp" <<-'EOF'
	import sys
	src = open(sys.argv[1], "rb").read()
	for at in range(0, len(src), 7):
	    m = bytearray(src)
	    m[at] = (at * 37 + 11) & 255
	    open("%s/m%05d.bin" % (sys.argv[2], at), "wb").write(m)
	EOF
	# all in one run: a bad message never stops a decode, so each mutant has its
	# line and the summary counts them all; a crash would end it (exit > 128)
	n=$(( ($(stat -c %s "$src") + 6) / 7 ))
	[ "$n" -gt 50 ]
	run --separate-stderr "$RKMP_BIN/rkmp-decode" "$tmp"/m*.bin
	[ "$status" -eq 0 ] || [ "$status" -eq 4 ] || fail "exit $status: $stderr"
	[ "${#lines[@]}" = "$n" ] || fail "${#lines[@]} lines for $n mutants"
	[[ "$stderr" == *"rkmp-decode: $n messages, "* ]] || fail "summary: $stderr"
}

@test "live capture on loopback (-i lo with a filter as trailing words, -c 1)" {
	[ "$(id -u)" = 0 ] || skip "live capture needs root"
	out=$BATS_TEST_TMPDIR/live.out
	timeout -k 5 10 "$RKMP_BIN/rkmp-decode" -q -c 1 -i lo udp port 500 > "$out" 2>&1 &
	pid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.3
		cat testdata/msgs/a-aes128-cbc-modp2048-01.bin > /dev/udp/127.0.0.1/500 || true
		[ -s "$out" ] && break
	done
	wait "$pid"
	run cat "$out"
	assert_output --regexp '127\.0\.0\.1\.[0-9]+ > 127\.0\.0\.1\.500: IKE_SA_INIT initiator request mid 0 852d553810da4e22:0000000000000000 len 464'
}

@test "live capture on a missing interface: exactly one error line, exit 6, no summary (text and --json)" {
	run -6 --separate-stderr "$RKMP_BIN/rkmp-decode" -i rkmp-no-such-if0
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 1
	[[ "${stderr_lines[0]}" == "rkmp-decode: rkmp-no-such-if0: "* ]]
	[[ "$stderr" != *" messages, "* ]]
	[[ "$stderr" != *"listening on"* ]]
	run -6 --separate-stderr "$RKMP_BIN/rkmp-decode" --json -i rkmp-no-such-if0
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	run jq -ce '.error | [.class, .exit, .where]' <<< "$output"
	assert_output '["transport",6,"rkmp-no-such-if0"]'
}

@test "live capture says where it listens, with the filter and what stops it, on stderr (not with -q)" {
	[ "$(id -u)" = 0 ] || skip "live capture needs root"
	local head="rkmp-decode: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes"
	run --separate-stderr timeout -k 5 1 "$RKMP_BIN/rkmp-decode" -i lo
	assert_output ""
	assert_equal "${stderr_lines[0]}" "$head, capture filter \"udp or (ip[6:2] & 0x1fff != 0) or ip6\" (until Ctrl-C)"
	run --separate-stderr timeout -k 5 1 "$RKMP_BIN/rkmp-decode" -c 3 -i lo udp port 500
	assert_equal "${stderr_lines[0]}" "$head, capture filter \"udp port 500\" (until 3 messages, -c 3, or Ctrl-C)"
	run --separate-stderr timeout -k 5 1 "$RKMP_BIN/rkmp-decode" --json -c 1 -i lo -f $'udp\tport 4500'
	assert_output ""
	assert_equal "${stderr_lines[0]}" "$head, capture filter \"udp port 4500\" (until 1 message, -c 1, or Ctrl-C)"
	# stopped by a signal: the summary follows, as after files
	assert_equal "${stderr_lines[1]}" "rkmp-decode: 0 messages, 0 malformed, 0 ESP skipped, 0 keepalives, 0 reassembled from IP fragments, 0 other packets skipped"
}

@test "-q: no startup line and no summary for a live capture" {
	[ "$(id -u)" = 0 ] || skip "live capture needs root"
	run --separate-stderr timeout -k 5 1 "$RKMP_BIN/rkmp-decode" -q -i lo
	assert_equal "$stderr" ""
	run --separate-stderr timeout -k 5 1 "$RKMP_BIN/rkmp-decode" --json -q -c 2 -i lo udp
	assert_equal "$stderr" ""
}

@test "live capture stopped by -c: startup line, the message, then the summary" {
	[ "$(id -u)" = 0 ] || skip "live capture needs root"
	out=$BATS_TEST_TMPDIR/live.out err=$BATS_TEST_TMPDIR/live.err
	timeout -k 5 10 "$RKMP_BIN/rkmp-decode" -c 1 -i lo udp port 500 > "$out" 2> "$err" &
	pid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.3
		cat testdata/msgs/a-aes128-cbc-modp2048-01.bin > /dev/udp/127.0.0.1/500 || true
		[ -s "$out" ] && break
	done
	wait "$pid" || fail "rkmp-decode -c 1 -i lo: exit $?"
	mapfile -t e < "$err"
	assert_equal "${#e[@]}" 2
	assert_equal "${e[0]}" "rkmp-decode: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes, capture filter \"udp port 500\" (until 1 message, -c 1, or Ctrl-C)"
	assert_equal "${e[1]}" "rkmp-decode: 1 message, 0 malformed, 0 ESP skipped, 0 keepalives, 0 reassembled from IP fragments, 0 other packets skipped"
}

@test "an interface that goes away during the capture: its error line last, exit 7, no summary" {
	[ "$(id -u)" = 0 ] || skip "live capture needs root"
	command -v unshare > /dev/null && command -v ip > /dev/null || skip "needs unshare and ip"
	unshare -n ip link add rkmpt0 type veth peer name rkmpt1 2> /dev/null ||
		skip "no network namespace with a veth pair here"
	run --separate-stderr unshare -n bash -c '
		ip link add rkmpt0 type veth peer name rkmpt1 && ip link set rkmpt0 up || exit 99
		"$1" "$2" -i rkmpt0 & pid=$!
		sleep 1
		ip link del rkmpt0
		wait "$pid"' _ "$RKMP_BIN/rkmp-decode"
	assert_equal "$status" 7
	assert_equal "${#stderr_lines[@]}" 2
	[[ "${stderr_lines[0]}" == "rkmp-decode: listening on rkmpt0, "* ]]
	[[ "${stderr_lines[1]}" == "rkmp-decode: rkmpt0: "* ]]
}

@test "a fatal error ends the run on its one line: a filter that does not compile (exit 2), output that cannot be written (exit 7)" {
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" -r "$D/a-aes128-cbc-modp2048.pcap" -f 'bogus((' testdata/msgs/a-aes128-cbc-modp2048-01.bin
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 1
	[[ "$stderr" == *'filter "bogus((": '* ]]
	run -7 --separate-stderr bash -c '"$1" -r "$2" > /dev/full' _ "$RKMP_BIN/rkmp-decode" "$D/a-aes128-cbc-modp2048.pcap"
	assert_equal "$stderr" "rkmp-decode: system: standard output: No space left on device"
	# with --json the error object cannot go to stdout either: the text line says it
	run -7 --separate-stderr bash -c '"$1" --json -r "$2" > /dev/full' _ "$RKMP_BIN/rkmp-decode" "$D/a-aes128-cbc-modp2048.pcap"
	assert_equal "$stderr" "rkmp-decode: system: standard output: No space left on device"
}

#!/usr/bin/env bats
# rkmp-keytable: the RFC 7210 key table.  Every subcommand, its refusals
# (exit 3 for a malformed row or table, 2 for usage, 1 for no such row or a
# duplicate), concurrent and killed writers, modes, JSON, exports checked by
# the tools that read them, TCP-AO traffic keys against RFC 9235, the man
# page and the completion.

load helpers

KT=rkmp-keytable
D=testdata/keytable

setup() {
	W=$BATS_TEST_TMPDIR
	T=$W/kt.json
	umask 077
	# git keeps no modes: fixtures are copied 0600 before use
	cp "$D"/*.json "$W/"
	chmod 600 "$W"/*.json
}

kt() { "$RKMP_BIN/$KT" "$@"; }

# rows N PREFIX: N distinct TCP-AO rows, one per line (NDJSON), peers PREFIX.x.y
rows() {
	awk -v n="$1" -v p="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			peer = sprintf("%s.%d.%d", p, int(i / 250) % 250, i % 250 + 1)
			printf "{\"AdminKeyName\": \"rkmp/tcp-ao/%s/3d-54/%04d\", \"LocalKeyName\": \"54\", \"PeerKeyName\": \"3d\", \"Peers\": [\"%s\"], \"Interfaces\": [\"all\"], \"Protocol\": \"tcp-ao\", \"ProtocolSpecificInfo\": {\"send\":{\"tcp_option_flag\":\"include\"}}, \"KDF\": \"HMAC-SHA-1\", \"AlgID\": \"HMAC-SHA-1-96\", \"Key\": \"%040x\", \"Direction\": \"both\", \"SendLifetimeStart\": \"20260101000005Z\", \"SendLifetimeEnd\": \"20260101090000Z\", \"AcceptLifetimeStart\": \"20260101000000Z\", \"AcceptLifetimeEnd\": \"20260101090200Z\", \"x-rkmp\": {\"proto_id\": 201, \"rkmp_sa\": \"c0ffee00c0ffee00:%016x\"}}\n", peer, i, peer, i + 1, i
		}
	}'
}

# ------------------------------------------------------------------ insert, list, get

@test "insert creates the table 0600 with its lock; list shows the row, key hidden" {
	run -0 --separate-stderr kt -t "$T" insert "$W/row-tcpao.json"
	[[ "$stderr" == *"inserted 1 row (\"rkmp/tcp-ao/192.0.2.2/3d-54/0001\")"* ]]
	[ "$(stat -c %a "$T")" = 600 ]
	[ -e "$T.lock" ]
	run -0 jq -r '[.format, .version, (.rows | length), (.rows[0] | keys_unsorted | join(","))] | @tsv' "$T"
	assert_output "$(printf 'rkmp-keytable\t1\t1\tAdminKeyName,LocalKeyName,PeerKeyName,Peers,Interfaces,Protocol,ProtocolSpecificInfo,KDF,AlgID,Key,Direction,SendLifetimeStart,SendLifetimeEnd,AcceptLifetimeStart,AcceptLifetimeEnd,x-rkmp')"
	# the RFC's LifeTime spellings of the row file are written as Lifetime
	run ! grep -q LifeTime "$T"
	run -0 kt -t "$T" list --now 20260101000010Z
	assert_output "PROTO   PEER       RECV/SEND  ALGID          DIR   SEND         ACCEPT       STATE
tcp-ao  192.0.2.2  54/3d      HMAC-SHA-1-96  both  -5s..+8h59m  -10s..+9h1m  active"
	run -0 kt -t "$T" list --now 20260101000010Z --show-keys
	assert_output "rkmp/tcp-ao/192.0.2.2/3d-54/0001 tcp-ao peer 192.0.2.2 if all local-name 54 peer-name 3d HMAC-SHA-1-96 both send 2026-01-01T00:00:05Z..2026-01-01T09:00:00Z accept 2026-01-01T00:00:00Z..2026-01-01T09:02:00Z active key 00112233445566778899aabbccddeeff00112233"
}

# wide_table FILE: the rows of table-ok and rows as wide as a list can get: a long
# AdminKeyName, long IPv6 peers (one not in its shortest form), a long group name,
# several peers, RSVP-TE's 12-digit key names, the longest AlgID, a group key,
# windows of thousands of days, every direction and state
wide_table() {
	local long
	long=rkmp/lab/$(printf 'core-router-%02d/' $(seq 20))0001
	# (one jq for the six kinds of row, one a line)
	jq -c --arg n "$long" '
		(.rows[]),
		(.rows[0] | .AdminKeyName = $n | .LocalKeyName = "9f" | .PeerKeyName = "a0"
		    | .Peers = ["2001:db8:1234:5678:9abc:def0:1234:5678"] | .KDF = "AES-128-CMAC" | .AlgID = "AES-128-CMAC-96"
		    | .Key = "0f0e0d0c0b0a09080706050403020100"),
		(.rows[1] | .AdminKeyName = "bfd generic, IPv6" | .Peers = ["2001:0DB8:0000:0000:0000:0000:0000:0002"]
		    | .AlgID = "BFD-GENERIC-METICULOUS-HMAC-SHA-256" | .Direction = "in"
		    | .Key = "a1a2a3a4a5a6a7a8a9aaabacadaeaf"),
		(.rows[0] | .AdminKeyName = "rsvp-te, three peers, forever" | .Protocol = "rsvp-te"
		    | .Peers = ["fe80::1:2:3:4:5", "192.0.2.7", "192.0.2.8"] | .LocalKeyName = "0123456789ab"
		    | .PeerKeyName = "ba9876543210" | .KDF = "none" | .AlgID = "HMAC-MD5" | .ProtocolSpecificInfo = {}
		    | .Direction = "out" | .Key = "b1b2b3b4b5b6b7b8b9babbbcbdbebf"
		    | .SendLifetimeStart = "19700101000000Z" | .SendLifetimeEnd = "99991231235959Z"
		    | .AcceptLifetimeStart = "19700101000000Z" | .AcceptLifetimeEnd = "99991231235959Z"
		    | del(.["x-rkmp"])),
		(.rows[0] | .AdminKeyName = "group key" | .LocalKeyName = "77" | .PeerKeyName = ""
		    | .Peers = ["group:the-core-routers-of-the-lab-network-in-building-seven-room-twelve"]
		    | .Direction = "disabled" | .Key = "c1c2c3c4c5c6c7c8c9cacbcccdcecf"),
		(.rows[0] | .AdminKeyName = "next key" | .LocalKeyName = "55"
		    | .SendLifetimeStart = "20260102000005Z" | .SendLifetimeEnd = "20260102090000Z"
		    | .AcceptLifetimeStart = "20260102000000Z" | .AcceptLifetimeEnd = "20260102090200Z"
		    | .Key = "d1d2d3d4d5d6d7d8d9dadbdcdddedf")' "$W/table-ok.json" > "$W/wide-rows.json"
	kt -q -t "$1" insert "$W/wide-rows.json"
}

@test "list: a header and aligned columns within 100 characters, no keys; --show-keys has them" {
	wide_table "$T"
	n=$(jq '.rows | length' "$T")
	jq -r '.rows[].Key' "$T" > "$W/keys"
	for now in 20260101000001Z 20260101010000Z 20260101090100Z 20260102000003Z 20270101000000Z; do
		run -0 --separate-stderr kt -t "$T" list --now "$now"
		assert_equal "$stderr" ""
		[ "${#lines[@]}" = $((n + 1)) ] || fail "$now: ${#lines[@]} lines for $n rows"
		assert_equal "$(echo ${lines[0]})" "PROTO PEER RECV/SEND ALGID DIR SEND ACCEPT STATE"
		# every line within 100 characters, 8 cells, each starting where its
		# column of the header starts (one awk for the table)
		bad=$(awk 'function starts(l, o) { return substr(l, o, 1) != " " && (o == 1 || substr(l, o - 1, 1) == " ") }
			NR == 1 { for (i = 1; i <= length($0); i++) if (starts($0, i)) off[++n] = i
				if (n != 8) { print "header: " $0; exit } }
			length($0) > 100 { print length($0) " characters: " $0 }
			NF != 8 { print "not 8 cells: " $0 }
			{ for (k = 1; k <= n; k++) if (!starts($0, off[k])) print "a column does not start at " off[k] - 1 ": " $0 }' <<<"$output")
		[ -z "$bad" ] || fail "$now: $bad"
		# no key listed
		! grep -oFf "$W/keys" <<<"$output" || fail "$now: a key is listed"
	done
	# the widest table: long cells lose their middle to "~", a peer keeps its "+N"
	run -0 kt -t "$T" list --now 20260101010000Z
	assert_line --regexp '^rsvp-te fe80::1:2:3:4:5\+2 +[0-9a-f]+~[0-9a-f]*/[0-9a-f]*~[0-9a-f]+ +HMAC-MD5 +out '
	assert_line --regexp '^tcp-ao +group:[a-z-]+~[a-z-]+ +77/- +HMAC-SHA-1-96 +disabled +.* disabled$'
	assert_line --regexp '^tcp-ao +192\.0\.2\.2 +55/3d +HMAC-SHA-1-96 +both +\+23h\.\.\+1d8h +\+23h\.\.\+1d +pending$'
	# an ordinary table with one long IPv6 address and one long AlgID: only they give way
	head -n 5 "$W/wide-rows.json" | kt -q -t "$W/five.json" insert -
	run -0 kt -t "$W/five.json" list --now 20260101010000Z
	assert_output "PROTO  PEER                   RECV/SEND         ALGID            DIR  SEND         ACCEPT     STATE
tcp-ao 192.0.2.2              54/3d             HMAC-SHA-1-96    both -59m55s..+8h -1h..+8h2m active
bfd    192.0.2.2              54/3d             BFD-KEYED-SHA1   both -59m55s..+8h -1h..+8h2m active
esp    2001:db8::2            c1a2b3c4/c5d6e7f8 aes128-sha256    both -59m55s..+8h -1h..+8h2m active
tcp-ao 2001:db8:1~0:1234:5678 9f/a0             AES-128-CMAC-96  both -59m55s..+8h -1h..+8h2m active
bfd    2001:db8::2            54/3d             BFD-GEN~-SHA-256 in   -59m55s..+8h -1h..+8h2m active"
	# --show-keys: each row as get prints it, with its key
	run -0 kt -t "$T" list --now 20260101010000Z --show-keys
	[ "${#lines[@]}" = "$n" ]
	for key in $(jq -r '.rows[].Key' "$T"); do
		assert_output --partial " key $key"
	done
	assert_equal "${lines[0]}" "$(kt -t "$T" get --protocol tcp-ao --peer 192.0.2.2 --spi 54 --now 20260101010000Z --show-keys)"
	# filters: --protocol and --peer; nothing listed is no output at all
	run -0 kt -t "$T" list --protocol rsvp-te --now 20260101010000Z
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[1]}" == "rsvp-te fe80::1:2:3:4:5+2 "* ]]
	run -0 kt -t "$T" list --peer 192.0.2.8 --now 20260101010000Z
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[1]}" == rsvp-te* ]]
	run -0 kt -t "$T" list --peer 2001:db8::2
	[ "${#lines[@]}" = 3 ]
	run -0 --separate-stderr kt -t "$T" list --peer 192.0.2.99
	assert_output ""
	assert_equal "$stderr" ""
}

@test "list --json: the rows exactly as in the table, keys included; they go back into insert" {
	wide_table "$T"
	run -0 kt -t "$T" list --json
	[ "${#lines[@]}" = "$(jq '.rows | length' "$T")" ]
	diff <(jq -c '.rows[]' "$T") <(printf '%s\n' "${lines[@]}" | jq -c .)
	kt -t "$T" list --json | kt -q -t "$W/copy.json" insert -
	cmp "$T" "$W/copy.json"
	# --show-keys changes nothing in JSON, --now neither
	diff <(kt -t "$T" list --json) <(kt -t "$T" list --json --show-keys --now 20300101000000Z)
	run -0 kt -t "$T" list --json --protocol bfd
	assert_equal "$(jq -r .AlgID <<<"$output" | sort | tr '\n' ' ')" "BFD-GENERIC-METICULOUS-HMAC-SHA-256 BFD-KEYED-SHA1 "
}

@test "list of a missing, malformed or too open table: exit 3, one line on stderr, nothing on stdout" {
	for f in none table-bad-row table-truncated table-version2; do
		for o in "" --show-keys; do
			run -3 --separate-stderr kt -t "$W/$f.json" list $o
			assert_output ""
			[ "${#stderr_lines[@]}" = 1 ] || fail "$f: $stderr"
			[[ "$stderr" == "rkmp-keytable: $W/$f.json: state: "* ]] || fail "$f: $stderr"
		done
		run -3 --separate-stderr kt -t "$W/$f.json" list --json
		assert_equal "$stderr" ""
		[ "${#lines[@]}" = 1 ]
		assert_equal "$(jq -c '.error | [.class, .exit]' <<<"$output")" '["state",3]'
	done
	run -3 --separate-stderr kt -t "$W/none.json" list
	assert_equal "$stderr" "rkmp-keytable: $W/none.json: state: no such key table"
	chmod 644 "$W/table-ok.json"
	run -3 --separate-stderr kt -t "$W/table-ok.json" list
	assert_output ""
	[[ "$stderr" == *"mode 0644: readable by group or others"* ]]
}

@test "insert takes an array, NDJSON or stdin; all or nothing" {
	kt -q -t "$T" insert - < "$W/row-tcpao.json"
	jq -s '.' "$W/row-bfd.json" "$W/row-esp.json" > "$W/two.json"
	kt -q -t "$T" insert "$W/two.json"
	[ "$(jq '.rows | length' "$T")" = 3 ]
	cp "$T" "$W/before"
	# one new row and one duplicate: nothing goes in
	rows 1 10.1 > "$W/mixed.json"
	cat "$W/row-bfd.json" >> "$W/mixed.json"
	run -1 --separate-stderr kt -t "$T" insert "$W/mixed.json"
	[[ "$stderr" == *"refused: insert: row 1 of the input: bfd, peer \"192.0.2.2\", LocalKeyName 54: row 1 \"rkmp/bfd/192.0.2.2/3d-54/0002\" has them already"* ]]
	cmp "$T" "$W/before"
	# list --json rows go back into insert
	kt -t "$T" list --json | kt -q -t "$W/copy.json" insert -
	cmp "$T" "$W/copy.json"
}

@test "a duplicate (Protocol, peer, LocalKeyName) is refused with exit 1, the table unchanged" {
	kt -q -t "$T" insert "$W/row-tcpao.json"
	cp "$T" "$W/before"
	run -1 --separate-stderr kt -t "$T" insert "$W/row-tcpao.json"
	[[ "$stderr" == *"$T: refused: insert: tcp-ao, peer \"192.0.2.2\", LocalKeyName 54: row 0 \"rkmp/tcp-ao/192.0.2.2/3d-54/0001\" has them already"* ]]
	cmp "$T" "$W/before"
	# same name, another protocol: fine
	run -0 kt -q -t "$T" insert "$W/row-bfd.json"
}

@test "malformed row files: exit 3 naming the row, column and value; no table made" {
	run -3 --separate-stderr kt -t "$T" insert "$W/bad-month.json"
	assert_equal "$stderr" "rkmp-keytable: $W/bad-month.json: state: row 0: SendLifetimeEnd \"20261301000000Z\": month 13"
	run -3 --separate-stderr kt -t "$T" insert "$W/bad-key-odd.json"
	assert_equal "$stderr" "rkmp-keytable: $W/bad-key-odd.json: state: row 0: Key: odd number of hex digits (39)"
	run -3 --separate-stderr kt -t "$T" insert "$W/bad-lifetimes.json"
	[[ "$stderr" == *'row 0: AcceptLifetimeEnd "20251231000000Z" is before AcceptLifetimeStart "20260101000000Z"' ]]
	run -3 --separate-stderr kt -t "$T" insert "$W/bad-unknown-column.json"
	[[ "$stderr" == *'row 0: unknown column "Color"'* ]]
	run -3 --separate-stderr kt -t "$T" insert "$W/bad-protocol.json"
	[[ "$stderr" == *'row 0: Protocol "ospf": not tcp-ao, bfd, rsvp-te, tcp-md5 or esp' ]]
	run -3 --separate-stderr kt -t "$T" insert "$W/bad-truncated.json"
	[[ "$stderr" == *"not JSON: line "*" column "* ]]
	# a secret is never quoted
	run -3 --separate-stderr kt -t "$T" insert "$W/bad-key-odd.json"
	[[ "$stderr" != *0011223344* ]]
	run -3 --separate-stderr kt -t "$T" insert "$W/no-such-row.json"
	[ ! -e "$T" ]
}

@test "malformed, missing or too open tables: exit 3 for readers and writers; the file unchanged" {
	for f in table-bad-row table-dup table-truncated table-version2; do
		cp "$W/$f.json" "$W/before"
		run -3 --separate-stderr kt -t "$W/$f.json" list
		run -3 --separate-stderr kt -t "$W/$f.json" insert "$W/row-esp.json"
		run -3 --separate-stderr kt -t "$W/$f.json" select --protocol tcp-ao --peer 192.0.2.2
		cmp "$W/$f.json" "$W/before"
	done
	run -3 --separate-stderr kt -t "$W/table-bad-row.json" list
	[[ "$stderr" == *"table-bad-row.json: state: row 1: Key: odd number of hex digits (39)" ]]
	run -3 --separate-stderr kt -t "$W/table-dup.json" list
	[[ "$stderr" == *'row 1: tcp-ao, peer "192.0.2.2", LocalKeyName 54: already in row 0'* ]]
	run -3 --separate-stderr kt -t "$W/table-version2.json" list
	[[ "$stderr" == *"version 2: unknown"* ]]
	# missing: only insert creates
	run -3 --separate-stderr kt -t "$W/none.json" list
	[[ "$stderr" == *"none.json: state: no such key table" ]]
	run -3 kt -t "$W/none.json" expire
	run -3 kt -t "$W/none.json" delete --protocol tcp-ao --peer 192.0.2.2 --spi 00
	[ ! -e "$W/none.json" ]
	# readable by others
	chmod 644 "$W/table-ok.json"
	run -3 --separate-stderr kt -t "$W/table-ok.json" list
	[[ "$stderr" == *"mode 0644: readable by group or others (chmod 600 $W/table-ok.json)"* ]]
	run -3 kt -t "$W/table-ok.json" insert "$W/row-tcpao.json"
	[ "$(stat -c %a "$W/table-ok.json")" = 644 ]
}

@test "hand-edited tables: a member given twice (escaped) or an integer past 2^53-1 is exit 3, one line" {
	# jq and Python would read the second tcp_option_flag; jansson refuses 2^60 past its range
	sed 's/{"send":{"tcp_option_flag":"include"}/{"send":{"tcp_option_flag":"include","tcp_option_fl\\u0061g":"exclude"}/' \
	    "$W/table-ok.json" > "$W/t-dup.json"
	sed 's/"auth_type":4/"auth_type":1152921504606846976/' "$W/table-ok.json" > "$W/t-big.json"
	chmod 600 "$W/t-dup.json" "$W/t-big.json"
	run ! cmp -s "$W/t-dup.json" "$W/table-ok.json"
	run ! cmp -s "$W/t-big.json" "$W/table-ok.json"
	for f in t-dup t-big; do
		cp "$W/$f.json" "$W/before"
		run -3 --separate-stderr kt list -t "$W/$f.json"
		assert_output ""
		[ "${#stderr_lines[@]}" = 1 ]
		case $f in
		t-dup) assert_equal "$stderr" "rkmp-keytable: $W/t-dup.json: state: row 0: ProtocolSpecificInfo.send.tcp_option_flag given twice, once as \"tcp_option_fl\\u0061g\"" ;;
		t-big) assert_equal "$stderr" "rkmp-keytable: $W/t-big.json: state: row 1: ProtocolSpecificInfo.auth_type: integer 1152921504606846976 out of range: integers are within ±(2^53-1) (I-JSON, RFC 7493 §2.2)" ;;
		esac
		run -3 kt -t "$W/$f.json" insert "$W/row-esp.json"
		cmp "$W/$f.json" "$W/before"
	done
	# 2^53-1 is kept through a write, and jq reads it back exactly
	sed 's/"auth_type":4/"auth_type":9007199254740991/' "$W/table-ok.json" > "$T"
	run -0 kt -t "$T" list
	rows 1 10.1 | kt -q -t "$T" insert -
	[ "$(jq '.rows | length' "$T")" = 4 ]
	[ "$(jq '.rows[1].ProtocolSpecificInfo.auth_type' "$T")" = 9007199254740991 ]
}

@test "get: by protocol and peer, optionally the SPI; none is exit 1" {
	cp "$W/table-ok.json" "$T"
	run -0 kt -t "$T" get --protocol tcp-ao --peer 192.0.2.2 --json
	assert_equal "$(jq -r .AdminKeyName <<<"$output")" "rkmp/tcp-ao/192.0.2.2/3d-54/0001"
	run -0 kt -t "$T" get --protocol bfd --peer 192.0.2.2 --spi 0x54
	assert_output --partial "rkmp/bfd/192.0.2.2/3d-54/0002 bfd"
	run -0 kt -t "$T" get --protocol esp --peer 2001:DB8::2 --spi c1a2b3c4
	assert_output --partial "local-name c1a2b3c4 peer-name c5d6e7f8 aes128-sha256"
	run -1 --separate-stderr kt -t "$T" get --protocol tcp-ao --peer 192.0.2.2 --spi 55
	[[ "$stderr" == *"refused: no tcp-ao row for peer 192.0.2.2 with LocalKeyName 55" ]]
	run -1 kt -t "$T" get --protocol rsvp-te --peer 192.0.2.2
}

# ------------------------------------------------------------------ delete, rekey, expire, revoke

@test "delete: one row by SPI, or with SPI 00 every row of the protocol for the peer" {
	rows 3 10.7 > "$W/r.json"
	kt -q -t "$T" insert "$W/r.json"
	kt -q -t "$T" insert "$W/row-bfd.json"
	run -1 --separate-stderr kt -t "$T" delete --protocol tcp-ao --peer 10.7.0.1 --spi 55
	[[ "$stderr" == *"no tcp-ao row for peer 10.7.0.1 with LocalKeyName 55" ]]
	run -0 --separate-stderr kt -t "$T" delete --protocol tcp-ao --peer 10.7.0.1 --spi 54
	[[ "$stderr" == *'deleted 1 row ("rkmp/tcp-ao/10.7.0.1/3d-54/0000")' ]]
	[ "$(jq '.rows | length' "$T")" = 3 ]
	run -0 kt -t "$T" delete --protocol bfd --peer 192.0.2.2 --spi 00 --json
	assert_equal "$(jq -c . <<<"$output")" '{"subcommand":"delete","deleted":1,"rows":["rkmp/bfd/192.0.2.2/3d-54/0002"]}'
	[ "$(jq -r '[.rows[].Protocol] | unique | join(",")' "$T")" = tcp-ao ]
	[ "$(stat -c %a "$T")" = 600 ]
}

@test "rekey: the successor goes in; the old row sends until it starts, accepted for the grace" {
	kt -q -t "$T" insert "$W/row-tcpao.json"
	jq '.AdminKeyName = "next" | .LocalKeyName = "55" | .SendLifetimeStart = "20260101080005Z"
	    | .AcceptLifeTimeStart = "20260101080000Z" | .SendLifeTimeEnd = "20260101170000Z"
	    | .AcceptLifeTimeEnd = "20260101170200Z"' "$W/row-tcpao.json" > "$W/next.json"
	run -0 --separate-stderr kt -t "$T" rekey --old-spi 54 --grace 300 "$W/next.json"
	[[ "$stderr" == *"rekeyed: rkmp/tcp-ao/192.0.2.2/3d-54/0001: sends until 2026-01-01T08:00:05Z, accepted until 2026-01-01T08:05:05Z"* ]]
	run -0 jq -r '.rows[0] | [.SendLifetimeEnd, .AcceptLifetimeEnd, .["x-rkmp"].state] | @tsv' "$T"
	assert_output "$(printf '20260101080005Z\t20260101080505Z\trekeyed')"
	run -0 kt -t "$T" select --protocol tcp-ao --peer 192.0.2.2 --now 20260101080004Z --json
	assert_equal "$(jq -r .LocalKeyName <<<"$output")" 54
	run -0 kt -t "$T" select --protocol tcp-ao --peer 192.0.2.2 --now 20260101080005Z --json
	assert_equal "$(jq -r .LocalKeyName <<<"$output")" 55
	run -0 kt -t "$T" lookup --protocol tcp-ao --peer 192.0.2.2 --key-name 54 --now 20260101080505Z
	run -1 kt -t "$T" lookup --protocol tcp-ao --peer 192.0.2.2 --key-name 54 --now 20260101080506Z
	# no old row: exit 1, unchanged
	cp "$T" "$W/before"
	jq '.LocalKeyName = "56" | .AdminKeyName = "x"' "$W/next.json" > "$W/n2.json"
	run -1 kt -t "$T" rekey --old-spi 99 "$W/n2.json"
	cmp "$T" "$W/before"
	run -2 kt -t "$T" rekey "$W/n2.json"
	run -2 kt -t "$T" rekey --old-spi 0 "$W/n2.json"
}

@test "select and lookup follow RFC 7210 section 3 at --now" {
	cp "$W/table-ok.json" "$T"
	# before the send window: nothing to send with, but the key is accepted
	run -1 --separate-stderr kt -t "$T" select --protocol tcp-ao --peer 192.0.2.2 --now 20260101000004Z
	[[ "$stderr" == *"refused: select: no key to send tcp-ao to 192.0.2.2" ]]
	run -0 kt -t "$T" lookup --protocol tcp-ao --peer 192.0.2.2 --key-name 54 --now 20260101000004Z
	assert_output --partial " accept-only key (hidden)"
	# the BFD row is for eth0 only
	run -0 kt -t "$T" select --protocol bfd --peer 192.0.2.2 --interface eth0 --now 20260101010000Z
	run -1 kt -t "$T" select --protocol bfd --peer 192.0.2.2 --interface eth1 --now 20260101010000Z
	run -0 kt -t "$T" select --protocol bfd --peer 192.0.2.2 --now 20260101010000Z
	# the latest SendLifetimeStart wins; --prefer puts an algorithm first
	jq '.AdminKeyName = "newer" | .LocalKeyName = "55" | .SendLifetimeStart = "20260101010000Z"' \
	    "$W/row-tcpao.json" > "$W/newer.json"
	jq '.AdminKeyName = "cmac" | .LocalKeyName = "56" | .KDF = "AES-128-CMAC" | .AlgID = "AES-128-CMAC-96"' \
	    "$W/row-tcpao.json" > "$W/cmac.json"
	kt -q -t "$T" insert "$W/newer.json"
	run -0 kt -t "$T" select --protocol tcp-ao --peer 192.0.2.2 --now 20260101020000Z --json
	assert_equal "$(jq -r .AdminKeyName <<<"$output")" newer
	kt -q -t "$T" insert "$W/cmac.json"
	run -0 kt -t "$T" select --protocol tcp-ao --peer 192.0.2.2 --now 20260101020000Z --json
	assert_equal "$(jq -r .AdminKeyName <<<"$output")" cmac
	run -0 kt -t "$T" select --protocol tcp-ao --peer 192.0.2.2 --now 20260101020000Z --json --prefer HMAC-SHA-1-96
	assert_equal "$(jq -r .AdminKeyName <<<"$output")" newer
	# lookup: the key name in the message, in its accept window
	run -0 kt -t "$T" lookup --protocol tcp-ao --peer 192.0.2.2 --key-name 0x56 --now 20260101090200Z --json
	assert_equal "$(jq -r .AdminKeyName <<<"$output")" cmac
	run -1 kt -t "$T" lookup --protocol tcp-ao --peer 192.0.2.2 --key-name 56 --now 20260101090201Z
	run -1 kt -t "$T" lookup --protocol tcp-ao --peer 192.0.2.3 --key-name 56 --now 20260101010000Z
}

@test "expire removes rows whose accept lifetime has ended; revoke the rows of an RKMP SA" {
	cp "$W/table-ok.json" "$T"
	run -0 --separate-stderr kt -t "$T" expire --now 20260101090200Z
	[[ "$stderr" == *"expired 0 rows" ]]
	run -0 --separate-stderr kt -t "$T" revoke --rkmp-sa c0ffee00c0ffee00:1122334455667788
	[[ "$stderr" == *'revoked 2 rows ("rkmp/tcp-ao/192.0.2.2/3d-54/0001", "rkmp/bfd/192.0.2.2/3d-54/0002")' ]]
	run -0 kt -t "$T" revoke --rkmp-sa c0ffee00c0ffee00:1122334455667788 --json
	assert_equal "$(jq -c . <<<"$output")" '{"subcommand":"revoke","revoked":0,"rows":[]}'
	run -0 kt -t "$T" expire --now 20260101090201Z --json
	assert_equal "$(jq -r .expired <<<"$output")" 1
	[ "$(jq '.rows | length' "$T")" = 0 ]
}

# ------------------------------------------------------------------ usage, JSON

@test "usage errors: exit 2 with the reason" {
	cp "$W/table-ok.json" "$T"
	run -2 --separate-stderr kt -t "$T"
	[[ "$stderr" == *"no subcommand"* ]]
	run -2 --separate-stderr kt -t "$T" frobnicate
	[[ "$stderr" == *"unknown subcommand 'frobnicate'"* ]]
	run -2 --separate-stderr kt list
	[[ "$stderr" == *"-t FILE (the key table) is required"* ]]
	run -2 --separate-stderr kt -t "$T" get --peer 192.0.2.2
	[[ "$stderr" == *"get needs --protocol and --peer"* ]]
	run -2 --separate-stderr kt -t "$T" delete --protocol tcp-ao --peer 192.0.2.2
	[[ "$stderr" == *"delete needs --spi"* ]]
	run -2 --separate-stderr kt -t "$T" get --protocol ospf --peer 192.0.2.2
	[[ "$stderr" == *"--protocol: 'ospf' is not tcp-ao, bfd, rsvp-te, tcp-md5 or esp"* ]]
	run -2 --separate-stderr kt -t "$T" get --protocol tcp-ao --peer r2.example
	[[ "$stderr" == *"--peer: 'r2.example' is not an IPv4 or IPv6 address or group:NAME"* ]]
	run -2 --separate-stderr kt -t "$T" get --protocol tcp-ao --peer 192.0.2.2 --spi xyz
	[[ "$stderr" == *"--spi: 'xyz' is not 1 to 16 hex digits"* ]]
	run -2 --separate-stderr kt -t "$T" expire --now 20261301000000Z
	[[ "$stderr" == *"--now: '20261301000000Z': month 13"* ]]
	run -2 --separate-stderr kt -t "$T" select --protocol tcp-ao --peer 192.0.2.2 --key-name 54
	[[ "$stderr" == *"--key-name does not apply to select"* ]]
	run -2 --separate-stderr kt -t "$T" lookup --protocol tcp-ao --peer 192.0.2.2
	[[ "$stderr" == *"lookup needs --key-name"* ]]
	run -2 --separate-stderr kt -t "$T" export
	[[ "$stderr" == *"export needs --format"* ]]
	run -2 --separate-stderr kt -t "$T" export --format junos
	run -2 --separate-stderr kt -t "$T" revoke --rkmp-sa c0ffee00:11
	run -2 --separate-stderr kt -t "$T" list extra
	[[ "$stderr" == *"list takes no argument ('extra')"* ]]
	run -2 --separate-stderr kt -t "$T" rekey --old-spi 54 "$W/row-bfd.json" --grace -1
	run -2 --separate-stderr kt --frobnicate
	[[ "$stderr" == *"unknown option '--frobnicate'"* ]]
	[[ "$stderr" == *"usage: rkmp-keytable"* ]]
}

# options_apply T W: each subcommand takes the options its --list-options
# names, and refuses every other, naming it; the first failure on stdout, exit 1
# (in a shell of its own: the 250 runs under bats's trap before each command
# cost more than the runs themselves)
options_apply() {
	local all subs sub mine opt listed err st
	# a valid argument for each option, so that only where it applies decides
	declare -A arg=(
		[--keytable]=$1 [--protocol]=tcp-ao [--peer]=192.0.2.2 [--spi]=54 [--old-spi]=54
		[--interface]=eth0 [--key-name]=54 [--rkmp-sa]=0000000000000001:0000000000000002
		[--format]=frr [--now]=20260101000000Z [--grace]=10 [--prefer]=HMAC-SHA-1-96
		[--master-key-file]=$2/mk [--kdf]=hmac-sha1 [--src]=10.0.0.1 [--dst]=10.0.0.2
		[--sport]=1 [--dport]=2 [--src-isn]=1 [--dst-isn]=2
	)
	all=$(kt --list-options | grep -- '^--' | grep -vxE -- '--(help|version|list-options|list-commands)')
	[ -n "$all" ] || { echo "--list-options prints nothing"; return 1; }
	subs=$(kt --list-commands)
	[ -n "$subs" ] || { echo "--list-commands prints nothing"; return 1; }
	for sub in $subs; do
		mine=$(kt --list-options "$sub")
		[ -n "$mine" ] || { echo "--list-options $sub prints nothing"; return 1; }
		# what it lists, all in one run (the first option that did not apply would be named)
		listed=()
		for opt in $all; do
			[[ $'\n'$mine$'\n' == *$'\n'$opt$'\n'* ]] || continue
			listed+=("$opt" ${arg[$opt]:+"${arg[$opt]}"})
		done
		[ "${#listed[@]}" -gt 0 ] || { echo "$sub takes none of the options"; return 1; }
		err=$(kt "$sub" "${listed[@]}" 2>&1 </dev/null) || true	# (--json: errors on stdout)
		[[ "$err" != *"does not apply"* ]] || { echo "$sub refuses an option it lists: $err"; return 1; }
		# what it does not list, one run each: refused, naming it
		for opt in $all; do
			[[ $'\n'$mine$'\n' != *$'\n'$opt$'\n'* ]] || continue
			st=0
			err=$(kt "$sub" "$opt" ${arg[$opt]:+"${arg[$opt]}"} 2>&1 >/dev/null </dev/null) || st=$?
			[[ $st = 2 && ${err%%$'\n'*} = "rkmp-keytable: $opt does not apply to $sub" ]] ||
			    { echo "$sub $opt: exit $st: ${err%%$'\n'*}"; return 1; }
		done
	done
}

@test "each subcommand takes the options its --list-options names, and refuses every other, naming it" {
	run env RKMP_BIN="$RKMP_BIN" KT="$KT" bash -c "$(declare -f kt options_apply); options_apply \"\$@\"" _ "$T" "$W"
	assert_output ""	# (else the first failure)
	assert_success
	# what a subcommand does not take is not offered for it
	run -0 kt --list-options list
	refute_line -- --format
	assert_line -- --show-keys
	assert_line -- --now
	run -0 kt --list-options insert
	refute_line -- --now
	refute_line -- --show-keys
}

@test "options go before or after the subcommand" {
	cp "$W/table-ok.json" "$T"
	a=$(kt -t "$T" select --protocol tcp-ao --peer 192.0.2.2 --now 20260101010000Z)
	b=$(kt select --now 20260101010000Z --peer 192.0.2.2 -t "$T" --protocol tcp-ao)
	c=$(kt --protocol tcp-ao select -t "$T" --peer 192.0.2.2 --now 20260101010000Z)
	[ "$a" = "$b" ] && [ "$b" = "$c" ] && [ -n "$a" ]
}

@test "--json: rows one per line exactly as in the table; errors as JSON too" {
	cp "$W/table-ok.json" "$T"
	run -0 kt -t "$T" list --json
	[ "${#lines[@]}" = 3 ]
	for l in "${lines[@]}"; do jq -e . <<<"$l" >/dev/null; done
	# the JSON carries the key: it is the table's own form
	assert_equal "$(jq -r .Key <<<"${lines[0]}")" 00112233445566778899aabbccddeeff00112233
	diff <(jq -c '.rows[]' "$T") <(printf '%s\n' "${lines[@]}" | jq -c .)
	run -3 kt -t "$W/table-bad-row.json" list --json
	assert_equal "$(jq -c '.error | [.class, .exit]' <<<"$output")" '["state",3]'
	assert_equal "$(jq -r .error.detail <<<"$output")" "row 1: Key: odd number of hex digits (39)"
	run -1 kt -t "$T" select --protocol rsvp-te --peer 192.0.2.2 --json
	assert_equal "$(jq -r .error.class <<<"$output")" refused
}

@test "--help, --version, --list-options; help names every option" {
	run -0 kt --help
	assert_output --partial "usage: rkmp-keytable"
	assert_output --partial "exit status"
	while read -r opt; do
		[[ "$opt" == --* ]] || continue
		assert_output --partial -- "$opt"
	done < <(kt --list-options)
	run -0 kt --version
	assert_output --regexp '^rkmp-keytable [0-9a-z.-]+'
}

@test "--list-commands; --help lists each subcommand, SUB --help shows its usage and exactly its options" {
	run -0 --separate-stderr kt --list-commands
	assert_equal "$(echo $output)" "insert get delete rekey select lookup list expire revoke export traffic-keys"
	assert_equal "$stderr" ""
	subs=$output
	common='--(keytable|json|quiet|help|version|list-options|list-commands)'
	run -0 kt --help
	help=$output
	# the list of subcommands: each once, in the order --list-commands gives
	list=$(sed -n '/^subcommands/,/^$/p' <<<"$help")
	assert_equal "$(awk 'NF > 1 { print $1 }' <<<"$list" | sed 1d)" "$subs"
	for sub in $subs; do
		run -0 --separate-stderr kt "$sub" --help
		assert_equal "$stderr" ""
		assert_line --index 0 "usage: rkmp-keytable -t FILE SUBCOMMAND [ARG] [options]"
		assert_line --index 1 --regexp "^  $sub( |\$)"
		# the usage shows exactly the options the subcommand takes
		opts=$(kt --list-options "$sub" | grep -- '^--')
		want=$(grep -vxE -- "$common" <<<"$opts" | sort)
		got=$(sed -n '2,/^$/p' <<<"$output" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
		assert_equal "$got" "$want"
		# its line of the list, and its options: those it takes, no other
		line=$(grep -E "^  $sub +" <<<"$list") || fail "--help does not list $sub"
		[[ $line =~ ^"  $sub "+(.*)$ ]] || fail "--help: $line"
		assert_output --partial "$sub: ${BASH_REMATCH[1]}."
		assert_equal "$(sed -n '/^options:/,/^$/p' <<<"$output" | grep -oE -- '^ +(-[a-z], )?--[a-z-]+' |
		    sed -E 's/^ +(-[a-z], )?//')" "$opts"
		# the subcommand may come after --help too
		assert_equal "$(kt --help "$sub")" "$output"
	done
	# the whole tool's --help, for no subcommand; an unknown one is a usage error
	for opt in --help --list-options; do
		run -2 --separate-stderr kt "$opt" frobnicate
		assert_equal "$output" ""
		assert_equal "${stderr%%$'\n'*}" "rkmp-keytable: unknown subcommand 'frobnicate'"
	done
}

# ------------------------------------------------------------------ concurrency, crashes

@test "50 concurrent writers inserting distinct rows lose none" {
	rows 50 10.50 > "$W/all.json"
	# one row file each, W/row1.json ... (one awk, not a sed each)
	awk -v d="$W" '{ f = d "/row" NR ".json"; print > f; close(f) }' "$W/all.json"
	for i in $(seq 50); do kt -q -t "$T" insert "$W/row$i.json" & done
	wait
	[ "$(jq '.rows | length' "$T")" = 50 ]
	[ "$(jq -r '.rows[].AdminKeyName' "$T" | sort -u | wc -l)" = 50 ]
	[ "$(stat -c %a "$T")" = 600 ]
	# and concurrent deleters next to inserters
	rows 20 10.60 > "$W/more.json"
	awk -v d="$W" '{ f = d "/m" NR ".json"; print > f; close(f) }' "$W/more.json"
	for i in $(seq 20); do
		kt -q -t "$T" insert "$W/m$i.json" &
		kt -q -t "$T" delete --protocol tcp-ao --peer "10.50.0.$i" --spi 54 &
	done
	wait
	[ "$(jq '.rows | length' "$T")" = 50 ]
	[ "$(ls -a "$W" | grep -c '^\.kt\.json\.')" = 0 ]
}

@test "a writer killed with SIGKILL at any point leaves the old table or the new one" {
	rows 20000 10.20 > "$W/big.json"
	kt -q -t "$W/base.json" insert "$W/big.json"
	rows 1 10.250 > "$W/one.json"
	cp "$W/base.json" "$T"
	t0=$EPOCHREALTIME
	kt -q -t "$T" insert "$W/one.json"
	t1=$EPOCHREALTIME
	cp "$T" "$W/after"
	# the kills spread over one insert's duration (reading, parsing, writing,
	# renaming) and a little past it: at 1/10, 2/10, ... 12/10 of it
	d=$((10#${t1/./} - 10#${t0/./}))
	for i in $(seq 12); do
		cp "$W/base.json" "$T"
		kt -q -t "$T" insert "$W/one.json" &
		pid=$!
		us=$((i * d / 10))
		printf -v frac %06d $((us % 1000000))
		sleep "$((us / 1000000)).$frac"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		# either table is one that loads (both were written by kt)
		cmp -s "$T" "$W/base.json" || cmp -s "$T" "$W/after" ||
		    fail "round $i (killed after $us us of $d): the table is neither the old nor the new one"
	done
	kt -t "$T" list --peer 10.250.0.1 >/dev/null
	# the next writer sweeps what killed ones left
	kt -q -t "$T" delete --protocol tcp-ao --peer 10.250.0.1 --spi 54 || true
	[ "$(ls -a "$W" | grep -c '^\.kt\.json\.')" = 0 ]
}

# ------------------------------------------------------------------ exports

@test "export frr: key chains FRR's vtysh accepts" {
	cp "$W/table-ok.json" "$T"
	run -0 --separate-stderr env TZ=UTC "$RKMP_BIN/$KT" -t "$T" export --format frr
	# one ID per key: the row sends with key 61 (3d) and receives key 84 (54)
	assert_output --partial "key chain rkmp-tcp-ao-192.0.2.2
 key 61"
	assert_output --partial "  key-string 00112233445566778899aabbccddeeff00112233
  cryptographic-algorithm hmac-sha-1
  send-lifetime 00:00:05 1 January 2026 09:00:00 1 January 2026
  accept-lifetime 00:00:05 1 January 2026 00:00:05 1 January 2026
 exit
 key 84"
	assert_output --partial "  key-string 00112233445566778899aabbccddeeff00112233
  cryptographic-algorithm hmac-sha-1
  send-lifetime 00:00:00 1 January 2026 00:00:00 1 January 2026
  accept-lifetime 00:00:00 1 January 2026 09:02:00 1 January 2026"
	refute_output --partial "rkmp-esp"
	echo "$output" > "$W/frr.conf"
	# an end past 2035 is a duration; an in-only row an empty send window
	jq '.LocalKeyName = "55" | .PeerKeyName = "3e" | .AdminKeyName = "long" | .Direction = "in"
	    | .SendLifeTimeEnd = "20400101000000Z" | .AcceptLifeTimeEnd = "20400101000000Z"' \
	    "$W/row-tcpao.json" > "$W/long.json"
	kt -q -t "$T" insert "$W/long.json"
	TZ=UTC kt -q -t "$T" export --format frr --protocol tcp-ao > "$W/frr2.conf"
	grep -q "accept-lifetime 00:00:00 1 January 2026 duration 441763200" "$W/frr2.conf"
	grep -q "send-lifetime 00:00:00 1 January 2026 00:00:00 1 January 2026" "$W/frr2.conf"
	need vtysh
	run -0 vtysh --dryrun -f "$W/frr.conf"
	run -0 vtysh --dryrun -f "$W/frr2.conf"
}

@test "export bird: password blocks BIRD 2 accepts" {
	cp "$W/table-ok.json" "$T"
	run -0 env TZ=UTC "$RKMP_BIN/$KT" -t "$T" export --format bird --protocol tcp-ao
	assert_output --partial 'password 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33 {
	id 61;
	generate from "2026-01-01 00:00:05";
	generate to "2026-01-01 09:00:00";
	accept from "2026-01-01 00:00:05";
	accept to "2026-01-01 00:00:05";
	algorithm hmac sha1;
};'
	assert_output --partial 'password 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33 {
	id 84;
	generate from "2026-01-01 00:00:00";
	generate to "2026-01-01 00:00:00";
	accept from "2026-01-01 00:00:00";
	accept to "2026-01-01 09:02:00";
	algorithm hmac sha1;
};'
	echo "$output" > "$W/ospf.inc"
	run -0 env TZ=UTC "$RKMP_BIN/$KT" -t "$T" export --format bird --protocol bfd
	assert_output --partial '# BFD: the interface block needs "authentication keyed sha1;"'
	refute_output --partial "algorithm"
	echo "$output" > "$W/bfd.inc"
	need bird
	{
		echo 'router id 192.0.2.1;'
		echo 'protocol device {}'
		echo 'protocol ospf v2 { area 0 { interface "*" { authentication cryptographic;'
		cat "$W/ospf.inc"
		echo '}; }; }'
		echo 'protocol bfd { interface "*" { authentication keyed sha1;'
		cat "$W/bfd.inc"
		echo '}; neighbor 192.0.2.2; }'
	} > "$W/bird.conf"
	run -0 bird -p -c "$W/bird.conf"
}

@test "export bird-bgp, frr-bgp: the TCP-MD5 password at --now, in what BIRD's protocol bgp and bgpd take" {
	K=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
	kt -q -t "$T" insert "$W/row-tcpmd5.json"
	# BIRD 2.0: one neighbor, one password line, the Key's 64 hex digits (DESIGN.md §7)
	run -0 --separate-stderr kt -t "$T" export --format bird-bgp --now 20260101000010Z
	assert_equal "$(grep -v '^#' <<<"$output")" "password \"$K\";"
	echo "$output" > "$W/md5.inc"
	# FRR bgpd: the default instance, a neighbor password, one exit
	run -0 --separate-stderr kt -t "$T" export --format frr-bgp --now 20260101000010Z
	assert_equal "$(grep -v '^ *!' <<<"$output")" "router bgp
 neighbor 192.0.2.2 password $K
exit"
	echo "$output" > "$W/md5-frr.conf"
	# a second peer: BIRD's form needs --peer, FRR's carries both
	jq '.AdminKeyName = "p3" | .Peers = ["192.0.2.3"] | .Key = ("ff" + .Key[2:])' "$W/row-tcpmd5.json" > "$W/p3.json"
	kt -q -t "$T" insert "$W/p3.json"
	run -2 --separate-stderr kt -t "$T" export --format bird-bgp --now 20260101000010Z
	assert_equal "$stderr" "rkmp-keytable: $T: usage: bird-bgp: TCP-MD5 keys for 2 peers (192.0.2.2, 192.0.2.3): a protocol bgp has one neighbor, name it with --peer"
	assert_output ""
	run -0 kt -t "$T" export --format frr-bgp --now 20260101000010Z
	assert_line " neighbor 192.0.2.3 password ff${K:2}"
	# no key at --now, not the protocol the format carries, no row for the peer
	run -1 --separate-stderr kt -t "$T" export --format bird-bgp --peer 192.0.2.2 --now 20260102000000Z
	assert_equal "$stderr" "rkmp-keytable: $T: refused: bird-bgp: no tcp-md5 key to send to 192.0.2.2 at 2026-01-02T00:00:00Z"
	assert_output ""
	run -2 --separate-stderr kt -t "$T" export --format frr-bgp --protocol tcp-ao
	assert_equal "$stderr" "rkmp-keytable: $T: usage: frr-bgp: carries tcp-md5 keys, not tcp-ao"
	run -1 --separate-stderr kt -t "$T" export --format frr-bgp --peer 192.0.2.9
	assert_equal "$stderr" "rkmp-keytable: $T: refused: frr-bgp: no tcp-md5 rows for 192.0.2.9"
	# key chains leave TCP-MD5 out, pointing to the BGP forms
	run -0 --separate-stderr kt -t "$T" export --format frr-keychain --protocol tcp-md5
	assert_line "! left out: rkmp/tcp-md5/192.0.2.2/3d-54/0003: bgpd takes TCP-MD5 as a neighbor password: --format frr-bgp"
	refute_line --regexp "^key chain"
	assert_equal "$stderr" "rkmp-keytable: $T: 2 rows left out of the export (see its comments)"
	# a Key over Linux's 80-octet password (the hex of 41 octets) is refused
	jq '.AdminKeyName = "long" | .LocalKeyName = "55" | .Key = (.Key + .Key[0:18])' "$W/row-tcpmd5.json" > "$W/long.json"
	run -3 --separate-stderr kt -t "$T" insert "$W/long.json"
	[[ "$stderr" == *"Key: 41 octets; TCP-MD5 takes 1 to 40"* ]]
	need bird
	printf 'router id 192.0.2.1;\nprotocol device {}\nprotocol bgp p2 {\n local 192.0.2.1 as 65001;\n neighbor 192.0.2.2 as 65002;\n ipv4 { import all; export none; };\n include "md5.inc";\n}\n' > "$W/bird.conf"
	run -0 bird -p -c "$W/bird.conf"
	need vtysh
	{ printf 'router bgp 65001\n neighbor 192.0.2.2 remote-as 65002\nexit\n'; cat "$W/md5-frr.conf"; } > "$W/frr.conf"
	run -0 vtysh --dryrun -f "$W/frr.conf"
}

@test "export rfc8177: ietf-key-chain JSON (RFC 7951)" {
	cp "$W/table-ok.json" "$T"
	run -0 "$RKMP_BIN/$KT" -t "$T" export --format rfc8177
	js=$output
	jq -e . <<<"$js" >/dev/null
	run -0 jq -r '."ietf-key-chain:key-chains"."key-chain"[] | .name as $n | .key[] |
	    [$n, ."key-id", ."crypto-algorithm", .lifetime."send-lifetime"."start-date-time",
	     .lifetime."accept-lifetime"."end-date-time", ."key-string"."hexadecimal-string"] | @tsv' <<<"$js"
	# each row two keys: its ID sent (61) and its ID received (84)
	assert_line "$(printf 'rkmp-bfd-192.0.2.2\t61\tietf-key-chain:sha-1\t2026-01-01T00:00:05Z\t2026-01-01T00:00:05Z\t01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14')"
	assert_line "$(printf 'rkmp-bfd-192.0.2.2\t84\tietf-key-chain:sha-1\t2026-01-01T00:00:00Z\t2026-01-01T09:02:00Z\t01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14')"
	assert_line "$(printf 'rkmp-tcp-ao-192.0.2.2\t61\tietf-key-chain:hmac-sha-1-12\t2026-01-01T00:00:05Z\t2026-01-01T00:00:05Z\t00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33')"
	assert_line "$(printf 'rkmp-tcp-ao-192.0.2.2\t84\tietf-key-chain:hmac-sha-1-12\t2026-01-01T00:00:00Z\t2026-01-01T09:02:00Z\t00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33')"
	[ "${#lines[@]}" = 4 ]
	# yang:hex-string and yang:date-and-time, as a YANG validator would check
	run -0 jq -e '[."ietf-key-chain:key-chains"."key-chain"[].key[] |
	    (."key-string"."hexadecimal-string" | test("^([0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*)?$")) and
	    (.lifetime[][] | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))] | all' <<<"$js"
	# with the module at hand (not shipped with Debian's FRR 8.4), yanglint checks it all
	mod=$(find /usr/share/yang /usr/local/share/yang -name 'ietf-key-chain*.yang' 2>/dev/null | head -n 1)
	if command -v yanglint >/dev/null && [ -n "$mod" ]; then
		kt -t "$T" export --format rfc8177 > "$W/kc.json"
		run -0 yanglint -p "$(dirname "$mod")" -F 'ietf-key-chain:*' "$mod" "$W/kc.json"
	fi
}

@test "export wireshark-esp: esp_sa lines tshark accepts, ESP rows only" {
	cp "$W/table-ok.json" "$T"
	run -0 kt -t "$T" export --format wireshark-esp
	assert_line '"IPv6","2001:db8::1","2001:db8::2","0xc5d6e7f8","AES-CBC [RFC3602]","0x000102030405060708090a0b0c0d0e0f","HMAC-SHA-256-128 [RFC4868]","0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"'
	assert_line '"IPv6","2001:db8::2","2001:db8::1","0xc1a2b3c4","AES-CBC [RFC3602]","0x303132333435363738393a3b3c3d3e3f","HMAC-SHA-256-128 [RFC4868]","0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"'
	[ "$(grep -c '^"' <<<"$output")" = 2 ]
	need tshark
	while read -r line; do
		[[ "$line" == '"'* ]] || continue
		run -0 tshark -o esp.enable_encryption_decode:TRUE -o "uat:esp_sa:$line" \
		    -r testdata/decode/f-cookie.pcap -c 1
	done < <(kt -t "$T" export --format wireshark-esp)
}

# ------------------------------------------------------------------ traffic keys

@test "traffic-keys: RFC 9235's vectors from a master key file and from a row" {
	printf 'testvector' > "$W/mkt.key"
	run -0 kt -q traffic-keys --master-key-file "$W/mkt.key" --kdf hmac-sha1 --src 10.11.12.13 \
	    --dst 172.27.28.29 --sport 59863 --dport 179 --src-isn 0xfbfbab5a --dst-isn 0x11c14261
	assert_line "send_syn       6d63ef1b02fe1509d4b1402707fd7b0416abb74f"
	assert_line "send_other     d2e59c65ffc7b1a39347656463b70edc24a13d71"
	assert_line "receive_other  d9e217e4834a80ca2f3fd8de2e41b8e6797fea96"
	# RFC 9235 section 5 (IPv4, AES-128-CMAC-96): the client SYN's key
	run -0 kt traffic-keys --master-key-file "$W/mkt.key" --kdf aes-128-cmac --src 10.11.12.13 \
	    --dst 172.27.28.29 --sport 50426 --dport 179 --src-isn 0x787a1ddf --dst-isn 0 --json
	assert_equal "$(jq -r .send_syn <<<"$output")" f5b8b3d5f34fdbb6eb8d4ab9660e60e3
	# the same keys from a row whose Key is "testvector"
	jq '.Key = "74657374766563746f72" | .Peers = ["172.27.28.29"] | .AdminKeyName = "v"' \
	    "$W/row-tcpao.json" > "$W/v.json"
	kt -q -t "$T" insert "$W/v.json"
	run -0 kt -t "$T" traffic-keys --peer 172.27.28.29 --spi 54 --src 10.11.12.13 --dst 172.27.28.29 \
	    --sport 59863 --dport 179 --src-isn 4227574618 --dst-isn 0x11c14261 --json
	assert_equal "$(jq -r '[.kdf, .row, .send_syn, .receive_other] | join(" ")' <<<"$output")" \
	    "hmac-sha1 v 6d63ef1b02fe1509d4b1402707fd7b0416abb74f d9e217e4834a80ca2f3fd8de2e41b8e6797fea96"
	# without --spi: the row select picks at --now
	run -0 kt -q -t "$T" traffic-keys --peer 172.27.28.29 --now 20260101010000Z --src 10.11.12.13 \
	    --dst 172.27.28.29 --sport 59863 --dport 179 --src-isn 0xfbfbab5a --dst-isn 0x11c14261
	assert_line "send_syn       6d63ef1b02fe1509d4b1402707fd7b0416abb74f"
}

@test "traffic-keys refusals: key file mode, missing connection, not TCP-AO" {
	printf 'testvector' > "$W/mkt.key"
	chmod 644 "$W/mkt.key"
	run -2 --separate-stderr kt traffic-keys --master-key-file "$W/mkt.key" --kdf hmac-sha1 --src 10.0.0.1 \
	    --dst 10.0.0.2 --sport 1 --dport 179 --src-isn 1 --dst-isn 2
	[[ "$stderr" == *"mode 0644: a key file others may read"* ]]
	chmod 600 "$W/mkt.key"
	run -2 --separate-stderr kt traffic-keys --master-key-file "$W/mkt.key" --kdf hmac-sha1 --src 10.0.0.1 \
	    --dst 10.0.0.2 --sport 1 --dport 179 --src-isn 1
	[[ "$stderr" == *"traffic-keys needs --src, --dst, --sport, --dport, --src-isn and --dst-isn"* ]]
	run -2 --separate-stderr kt traffic-keys --master-key-file "$W/mkt.key" --kdf hmac-sha1 --src 10.0.0.1 \
	    --dst ::1 --sport 1 --dport 179 --src-isn 1 --dst-isn 2
	run -2 --separate-stderr kt traffic-keys --master-key-file "$W/mkt.key" --src 10.0.0.1 \
	    --dst 10.0.0.2 --sport 1 --dport 179 --src-isn 1 --dst-isn 2
	[[ "$stderr" == *"--master-key-file needs --kdf"* ]]
	run -2 --separate-stderr kt traffic-keys --master-key-file "$W/mkt.key" --kdf hmac-sha1 --src 10.0.0.1 \
	    --dst 10.0.0.2 --sport 1 --dport 179 --src-isn 0x100000000 --dst-isn 2
	cp "$W/table-ok.json" "$T"
	run -2 --separate-stderr kt -t "$T" traffic-keys --protocol bfd --peer 192.0.2.2 --src 10.0.0.1 \
	    --dst 10.0.0.2 --sport 1 --dport 179 --src-isn 1 --dst-isn 2
	[[ "$stderr" == *"only tcp-ao rows have traffic keys"* ]]
	run -1 kt -t "$T" traffic-keys --peer 192.0.2.9 --src 10.0.0.1 \
	    --dst 10.0.0.2 --sport 1 --dport 179 --src-isn 1 --dst-isn 2
	# a master key and a row: one or the other; a row named by --spi is not selected
	run -2 --separate-stderr kt -t "$T" traffic-keys --master-key-file "$W/mkt.key" --kdf hmac-sha1 \
	    --src 10.0.0.1 --dst 10.0.0.2 --sport 1 --dport 179 --src-isn 1 --dst-isn 2
	[[ "$stderr" == *"give either --master-key-file or a row (-t, --protocol, --peer, --spi), not both"* ]]
	for opt in "--interface eth0" "--prefer HMAC-SHA-1-96" "--now 20260101000000Z"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr kt -t "$T" traffic-keys --peer 192.0.2.2 --spi 54 $opt --src 10.0.0.1 \
		    --dst 10.0.0.2 --sport 1 --dport 179 --src-isn 1 --dst-isn 2
		[[ "$stderr" == *"--spi names the row: --interface, --prefer and --now select one without it"* ]]
	done
}

# ------------------------------------------------------------------ man page, completion

@test "rkmp-keytable(1): lint-clean, every option and exit status, and its example runs as shown" {
	need mandoc
	run -0 mandoc -Tlint -W warning man/rkmp-keytable.1
	assert_output ""
	page=$(mandoc -Tutf8 man/rkmp-keytable.1 | col -b)
	while read -r opt; do
		[[ "$opt" == --* ]] || continue
		[[ "$page" == *"$opt"* ]] || fail "rkmp-keytable(1) does not mention $opt"
	done < <(kt --list-options)
	subs=$(kt --list-commands)
	[ -n "$subs" ] || fail "--list-commands prints nothing"
	for s in $subs; do
		grep -qE "^ {5}$s( |$)" <<<"$page" || fail "rkmp-keytable(1) SUBCOMMANDS lacks $s"
	done
	exits=$(sed -n '/^EXIT STATUS/,/^EXAMPLES/p' <<<"$page")
	for s in 0 1 2 3 5 7; do
		grep -qE "^ +$s([[:space:]]|$)" <<<"$exits" || fail "EXIT STATUS lacks $s"
	done
	# the first example: "$ " lines are commands (a heredoc or lines indented by four
	# spaces continue them), every other line is the output expected
	sed -n '/^A table from scratch/,/^\.Ed/p' man/rkmp-keytable.1 | sed -n '/^\.Bd/,/^\.Ed/p' |
	    sed '1d;$d; s/\\e/\\/g' | awk -v dir="$W" '
		/^\$ / { cmd = substr($0, 3); inhere = (cmd ~ /<<EOF$/); print cmd > (dir "/commands"); next }
		inhere { print > (dir "/commands"); if ($0 == "EOF") inhere = 0; next }
		/^    / { print > (dir "/commands"); next }
		{ print > (dir "/expected") }'
	[ "$(grep -c rkmp-keytable "$W/commands")" -ge 6 ] || fail "no example found"
	bin=$(cd "$RKMP_BIN" && pwd)
	(cd "$W" && rm -f kt.json && PATH=$bin:$PATH bash -e commands 2>&1) > "$W/got" ||
	    fail "a command of the example failed: $(cat "$W/got")"
	diff -u "$W/expected" "$W/got"
}

@test "rkmp-keytable(1) OUTPUT: the list tables shown are what list prints" {
	page=man/rkmp-keytable.1
	cp "$W/table-ok.json" "$T"
	sed -n '/^\$ rkmp-keytable -t table-ok.json list --now 20260101010000Z$/,/^\.Ed/p' "$page" |
	    sed '1d;$d' > "$W/expected"
	[ "$(wc -l < "$W/expected")" = 4 ] || fail "no list example in OUTPUT"
	kt -t "$T" list --now 20260101010000Z | diff -u "$W/expected" -
	# the second: the same rows and the two after them in wide_table
	sed -n '/^The same rows and two more/,/^\.Ed/p' "$page" | sed '1,3d;$d' > "$W/expected"
	[ "$(wc -l < "$W/expected")" = 6 ] || fail "no second list example in OUTPUT"
	wide_table "$W/wide.json"
	head -n 5 "$W/wide-rows.json" | kt -q -t "$W/five.json" insert -
	kt -t "$W/five.json" list --now 20260101010000Z | diff -u "$W/expected" -
}

@test "rkmp(7) has the KEY TABLE section" {
	need mandoc
	page=$(mandoc -Tutf8 man/rkmp.7 | col -b | sed -n '/^KEY TABLE/,/^TESTING/p')
	[ -n "$page" ] || fail "rkmp(7) has no KEY TABLE section"
	for w in rkmp-keytable AdminKeyName x-rkmp SendLifeTimeEnd LocalKeyName .lock 0600; do
		[[ "$page" == *"$w"* ]] || fail "KEY TABLE does not mention $w"
	done
}

@test "completion: subcommands, every option, and the option arguments" {
	run -0 bash -c 'source completions/rkmp.bash; complete -p rkmp-keytable'
	assert_output --partial "_rkmp"
	run -0 complete_words rkmp-keytable -t kt.json ""
	assert_equal "$output" "$(kt --list-commands)"
	run -0 complete_words rkmp-keytable --protocol tcp-ao se
	assert_output "select"
	# before the subcommand every option; after it, exactly the subcommand's
	run -0 complete_words rkmp-keytable -t kt.json --
	assert_equal "$output" "$(kt --list-options | grep -- '^--')"
	run -0 complete_words rkmp-keytable -t kt.json select --
	assert_equal "$output" "$(kt --list-options select | grep -- '^--')"
	assert_line -- --prefer
	refute_line -- --format
	run -0 complete_words rkmp-keytable --protocol tcp-ao export --
	assert_line -- --format
	assert_line -- --now
	refute_line -- --prefer
	run -0 complete_words rkmp-keytable select --protocol ""
	assert_equal "$(echo $output)" "tcp-ao bfd rsvp-te tcp-md5 esp"
	run -0 complete_words rkmp-keytable export --format w
	assert_output "wireshark-esp"
	run -0 complete_words rkmp-keytable export --format ""
	assert_equal "$(echo $output)" "bird-bgp frr-bgp bird-keychain frr-keychain rfc8177 wireshark-esp"
	run -0 complete_words rkmp-keytable traffic-keys --kdf ""
	assert_equal "$(echo $output)" "hmac-sha1 aes-128-cmac"
	run -0 complete_words rkmp-keytable -t testdata/keytable/table-o
	assert_output "testdata/keytable/table-ok.json"
	run -0 complete_words rkmp-keytable -t kt.json insert testdata/keytable/row-b
	assert_output "testdata/keytable/row-bfd.json"
	run -0 complete_words rkmp-keytable -t kt.json list --now ""
	assert_output ""
}

#!/usr/bin/env bats
# The JSON contract of DESIGN.md §8, for every binary with --json: stdout is
# one compact JSON value per line; every key of every object printed is in
# the binary's man page; a run that ends in an error prints one error object,
# {"error":{"class","exit","where","detail"}}, as its last line (a step tool's
# summary carries it for the SA's outcomes, exit 1 and 6), with exit the
# process's status and class the §8 word for it.

load helpers
load step-helpers

setup() {
	need jq
	need mandoc
	setup_step
	M=testdata/msgs
	D=testdata/decode
}

teardown() {
	teardown_step
	# shellcheck disable=SC2086
	[ -z "${DPIDS:-}" ] || kill $DPIDS 2>/dev/null || true
}

# class STATUS: the §8 word for an exit status
class() {
	case $1 in
	1) echo refused ;; 2) echo usage ;; 3) echo state ;; 4) echo "malformed message" ;;
	5) echo crypto ;; 6) echo transport ;; 7) echo system ;; 70) echo "internal error" ;;
	*) echo "?" ;;
	esac
}

# page BINARY: the man page of BINARY as text
page() {
	local p
	for p in man/"$1".1 man/"$1".8; do
		[ -f "$p" ] && { mandoc -Tascii "$p" | col -b; return; }
	done
	fail "no man page for $1"
}

# json BINARY STATUS [ERROR] ARGS...: run BINARY ARGS (--json among them)
# expecting STATUS, then check the contract on its stdout; ERROR is "error"
# when the run ends in an error (its last line is the error object, or a
# step's summary carrying it), "none" when it prints no error object.
json() {
	local bin=$1 want=$2 kind=$3 facts f
	shift 3
	run --separate-stderr "$RKMP_BIN/$bin" "$@"
	[ "$status" = "$want" ] || fail "$bin $*: exit $status, not $want; stderr: $stderr"
	[ -n "$output" ] || [ "$kind" != error ] || fail "$bin $*: nothing on stdout"
	# one jq for all of it, its facts checked below, one per line: each line
	# of the output one compact JSON value (jq writes it back unchanged: a
	# value over two lines, or two on one line, does not parse alone); the
	# last fact lists the keys the page lacks (a key is a word of the page:
	# found with no letter, digit or _ on either side, as grep -w)
	facts=$(jq -R -s -r --arg status "$status" --arg page "$PAGE_TEXT" '
		def runerr: map(select(type == "object" and has("error") and (has("file") | not))) | length;
		def word: "(^|[^A-Za-z0-9_])" + gsub("(?<c>[.*+?^${}()|\\[\\]\\\\/-])"; "\\\(.c)") + "($|[^A-Za-z0-9_])";
		(rtrimstr("\n") | if . == "" then [] else split("\n") end) as $lines
		| ($lines | map(. as $l | try fromjson catch error("not one JSON value: \($l)"))) as $docs
		| $docs
		| ($docs | map(tojson)) == $lines,
		(.[:-1] | runerr),
		runerr,
		([.[] | select(type == "object" and has("file") and has("error")) | .error
		    | select((keys_unsorted != ["kind","where","detail"]) or
		        (.kind | IN("truncated","invalid") | not))] | length),
		(last // {} | if type == "object" then
			(if has("step") then (.exit | tostring) == $status else keys_unsorted == ["error"] end),
			((.error // {}) | keys_unsorted | tojson),
			(.error.exit | tostring), (.error.class // "")
		else false, "", "", "" end),
		([.. | objects | keys_unsorted[]] | unique | map(select(. as $k | $page | test($k | word) | not))
		    | join(" "))' <<<"$output" 2>&1) ||
	    fail "$bin $*: not JSON: $facts"
	mapfile -t f <<<"$facts"
	[ "${f[0]}" = true ] || fail "$bin $*: not one compact JSON value per line: $output"
	f=("${f[@]:1}")
	# every key of every object is documented
	[ -z "${f[7]}" ] || fail "$bin $*: key(s) not in $bin's man page: ${f[7]}"
	case $kind in
	error)
		# the run's error: the last line, the error object alone or a step's summary
		# (whose exit is the run's)
		[ "${f[3]}" = true ] || fail "$bin $*: last line: ${output##*$'\n'}"
		[ "${f[4]}" = '["class","exit","where","detail"]' ] || fail "$bin $*: error keys: ${output##*$'\n'}"
		[ "${f[5]}" = "$status" ] || fail "$bin $*: error exit: ${output##*$'\n'}"
		[ "${f[6]}" = "$(class "$status")" ] || fail "$bin $*: class: ${output##*$'\n'}"
		# exactly one: no line before the last has a run-level error
		[ "${f[0]}" = 0 ] || fail "$bin $*: more than one error object"
		;;
	none)
		[ "${f[1]}" = 0 ] || fail "$bin $*: an error object: $output"
		;;
	esac
	# rkmp-decode's per-message error keeps kind (truncated|invalid) and nothing else
	[ "${f[2]}" = 0 ] || fail "$bin $*: a message's error is not {kind, where, detail}"
}

@test "the step tools: summaries and errors, every key in the man page" {
	local t
	for t in rkmp-init rkmp-auth rkmp-child; do
		PAGE_TEXT=$(page "$t")
		# usage errors: JSON on stdout, the text and usage on stderr
		json "$t" 2 error --json -s "$W/x.json" --frobnicate
		[[ "$stderr" == "$t: unknown option '--frobnicate'"$'\n'"usage: "* ]]
		json "$t" 2 error -s "$W/x.json" --retransmit 1,2 --json
		json "$t" 2 error --json
		# an error alone: no state file (auth, child), a malformed message (init)
	done
	PAGE_TEXT=$(page rkmp-auth)
	json rkmp-auth 3 error --json -s "$W/none.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	PAGE_TEXT=$(page rkmp-child)
	json rkmp-child 3 error --json -s "$W/none.json" -o "$W/5.bin"

	PAGE_TEXT=$(page rkmp-init)
	json rkmp-init 4 error --json -s "$W/m.json" --respond -i testdata/capture/not-a-capture.txt -o "$W/m.bin"
	# a refused step: the summary carries the error, on both sides
	json rkmp-init 0 none --json -s "$W/r.json" --proposal aes128-sha256-modp2048 -o "$W/r1.bin"
	json rkmp-init 1 error --json -s "$W/rb.json" --respond --proposal aes256gcm16-prfsha256-x25519 \
	    -i "$W/r1.bin" -o "$W/r2.bin"
	json rkmp-init 1 error --json -s "$W/r.json" -i "$W/r2.bin"
	json rkmp-init 3 error --json -s "$W/r.json" -o "$W/r3.bin"
	# a failed transport step: no answer from a closed port (ICMP), exit 6
	json rkmp-init 6 error --json -s "$W/u.json" --peer "127.0.0.1:$PORT" --retransmit 0.1,1.5,1
	# seeded, and the whole negotiation with the key table and events
	json rkmp-init 0 none --json -s "$W/a.json" --id fqdn:a.rkmp.test --seed 01 -o "$W/1.bin"
	json rkmp-init 0 none --json -s "$W/b.json" --respond --id fqdn:b.rkmp.test -i "$W/1.bin" -o "$W/2.bin"
	json rkmp-init 0 none --json -s "$W/a.json" -i "$W/2.bin"
	PAGE_TEXT=$(page rkmp-auth)
	json rkmp-auth 0 none --json -s "$W/a.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	json rkmp-auth 0 none --json -s "$W/b.json" --respond --psk-file "$W/k.psk" -i "$W/3.bin" -o "$W/4.bin" \
	    -t "$W/kb.json" --peer-address 192.0.2.1 --events "$W/ev.json"
	json rkmp-auth 0 none --json -s "$W/a.json" -i "$W/4.bin" -t "$W/ka.json" --peer-address 192.0.2.2 \
	    --events "$W/ev.json"
	json rkmp-auth 3 error --json -s "$W/a.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	PAGE_TEXT=$(page rkmp-child)
	json rkmp-child 0 none --json -s "$W/a.json" --protocol bfd -o "$W/5.bin" -t "$W/ka.json" --events "$W/ev.json"
	json rkmp-child 0 none --json -s "$W/b.json" --respond -i "$W/5.bin" -o "$W/6.bin" -t "$W/kb.json" \
	    --events "$W/ev.json"
	json rkmp-child 0 none --json -s "$W/a.json" -i "$W/6.bin" -t "$W/ka.json" --events "$W/ev.json"
	json rkmp-child 0 none --json -s "$W/a.json" --liveness -o "$W/7.bin"
	json rkmp-child 4 error --json -s "$W/b.json" --respond -i "$W/1.bin" -o "$W/8.bin"
	# a listening responder counts what it ignored
	PAGE_TEXT=$(page rkmp-init)
	"$RKMP_BIN/rkmp-init" -q --json -s "$W/lb.json" --respond --listen "127.0.0.1:$PORT" --wait 10 \
	    > "$W/listen.out" &
	RPID=$!
	sleep 0.3
	json rkmp-init 0 none --json -s "$W/la.json" --peer "127.0.0.1:$PORT" --retransmit 1,1.5,3
	wait "$RPID"
	RPID=
	run cat "$W/listen.out"
	[ "$(jq -r .ignored <<<"$output")" = 0 ]
	grep -qw ignored <<<"$PAGE_TEXT"
}

@test "rkmp-keytable: rows, summaries, traffic keys and errors, every key in the man page" {
	local kt=$W/kt.json
	PAGE_TEXT=$(page rkmp-keytable)
	cp testdata/keytable/table-ok.json "$kt"
	chmod 600 "$kt"
	json rkmp-keytable 0 none --json -t "$kt" list
	json rkmp-keytable 0 none --json -t "$kt" get --protocol tcp-ao --peer 192.0.2.2
	json rkmp-keytable 0 none --json -t "$kt" select --protocol tcp-ao --peer 192.0.2.2 --now 20260101010000Z
	json rkmp-keytable 0 none --json -t "$kt" lookup --protocol tcp-ao --peer 192.0.2.2 --key-name 54 \
	    --now 20260101010000Z
	json rkmp-keytable 0 none --json -t "$kt" traffic-keys --peer 192.0.2.2 --spi 54 --src 192.0.2.1 \
	    --dst 192.0.2.2 --sport 40000 --dport 179 --src-isn 1 --dst-isn 0x10
	json rkmp-keytable 0 none --json -t "$kt" export --format rfc8177
	json rkmp-keytable 2 error --json -t "$kt" export --format bird-bgp
	json rkmp-keytable 0 none --json -t "$W/new.json" insert testdata/keytable/row-tcpmd5.json
	json rkmp-keytable 1 error --json -t "$W/new.json" insert testdata/keytable/row-tcpmd5.json
	json rkmp-keytable 0 none --json -t "$kt" revoke --rkmp-sa c0ffee00c0ffee00:1122334455667788
	cp testdata/keytable/table-ok.json "$kt"
	json rkmp-keytable 0 none --json -t "$kt" delete --protocol bfd --peer 192.0.2.2 --spi 54
	json rkmp-keytable 0 none --json -t "$kt" expire --now 20990101000000Z
	json rkmp-keytable 1 error --json -t "$kt" get --protocol tcp-ao --peer 192.0.2.9
	json rkmp-keytable 3 error --json -t testdata/keytable/bad-key-odd.json list
	json rkmp-keytable 2 error --json -t "$kt" get --protocol nope --peer 192.0.2.2
	json rkmp-keytable 2 error -t "$kt" --json bogus
	json rkmp-keytable 2 error --json
	[[ "$stderr" == "rkmp-keytable: no subcommand: "* ]]
	# rekey: the summary names the row replaced under "old"
	cp testdata/keytable/table-ok.json "$kt"
	jq '.rows[0] | .LocalKeyName = "55" | .AdminKeyName = "next"
	    | ."x-rkmp".child_spi_local = "55"' "$kt" > "$W/next.json"
	json rkmp-keytable 0 none --json -t "$kt" rekey --old-spi 54 --protocol tcp-ao --peer 192.0.2.2 \
	    "$W/next.json"
	[ "$(jq -r .old.AdminKeyName <<<"$output")" = "rkmp/tcp-ao/192.0.2.2/3d-54/0001" ]
}

@test "rkmp-decode: messages, decrypted ones, malformed ones and input errors, every key in the man page" {
	local f ok=() bad=()
	PAGE_TEXT=$(page rkmp-decode)
	# every capture of the goldens in one run (the contract is per line; each
	# capture's own exit status is 50-decode's)
	for f in "$D"/*.pcap; do
		ok+=(-r "$f")
	done
	json rkmp-decode 0 none --json -q "${ok[@]}"
	json rkmp-decode 0 none --json -q --keys testdata/keys/h-fragmentation.ikev2_decryption_table \
	    -r "$D/h-fragmentation.pcap"
	json rkmp-decode 0 none --json -q --keys testdata/keys/a-aes128-cbc-modp2048.all_keys.log \
	    -r "$D/a-aes128-cbc-modp2048.pcap"
	# an ICV mismatch (a wrong integrity key): the message says it, no error object
	sed -E 's/ sk_ai=(.)/ sk_ai=\1\1/; s/ sk_ai=(..)./ sk_ai=\1/' \
	    testdata/keys/a-aes128-cbc-modp2048.all_keys.log > "$W/wrong.log"
	json rkmp-decode 1 none --json -q --keys "$W/wrong.log" -r "$D/a-aes128-cbc-modp2048.pcap"
	# the damaged captures: those that decode whole, and those with malformed
	# messages (exit 4), each group in one run
	ok=()
	for f in testdata/capture/*.pcap; do
		"$RKMP_BIN/rkmp-decode" -q -r "$f" >/dev/null 2>&1 && ok+=(-r "$f") || bad+=(-r "$f")
	done
	[ "${#ok[@]}" -gt 0 ] && [ "${#bad[@]}" -gt 0 ] || fail "testdata/capture: ${#ok[@]} good, ${#bad[@]} bad"
	json rkmp-decode 0 none --json -q "${ok[@]}"
	json rkmp-decode 4 any --json -q "${bad[@]}"
	# malformed messages: the message's error, kind truncated or invalid
	: > "$W/empty.bin"
	head -c 40 "$M/a-aes128-cbc-modp2048-01.bin" > "$W/cut.bin"
	json rkmp-decode 4 none --json -q "$M/a-aes128-cbc-modp2048-01.bin" "$W/empty.bin" "$W/cut.bin"
	# input errors: the run goes on over the other inputs; one error object, last
	json rkmp-decode 7 error --json -q /nonexistent.bin "$M/a-aes128-cbc-modp2048-01.bin"
	json rkmp-decode 7 error --json -q -r testdata/capture/not-a-capture.txt "$W/empty.bin" /nonexistent.bin
	json rkmp-decode 4 error --json -q -r testdata/capture/not-a-capture.txt -r "$D/f-cookie.pcap"
	json rkmp-decode 4 error --json -q -r testdata/capture/cut.pcap
	json rkmp-decode 2 error --json -q -f 'bogus((' -r "$D/f-cookie.pcap"
	json rkmp-decode 2 error --json -q --keys /nonexistent "$M/a-aes128-cbc-modp2048-01.bin"
	json rkmp-decode 7 error --json -q -s "$W/none.json" "$M/a-aes128-cbc-modp2048-01.bin"
	printf '{"format": "rkmp-state", "version": 1, "phase": "new", "role": "initiator", "profile": "ikev2",
	 "proposals": "aes128-sha256-modp2048", "ike_sa": {"spi_i": "0102030405060708"}}\n' > "$W/new.json"
	chmod 600 "$W/new.json"
	json rkmp-decode 3 error --json -q -s "$W/new.json" "$M/a-aes128-cbc-modp2048-01.bin"
	json rkmp-decode 6 error --json -q -i rkmp-no-such-if0
	json rkmp-decode 2 error --json --frobnicate
	json rkmp-decode 2 error -c 0 --json
	json rkmp-decode 2 error --json
}

@test "the text form of a run's error is one line, PROG: [FILE: ]CLASS: [WHERE: ]DETAIL" {
	run -3 --separate-stderr "$RKMP_BIN/rkmp-auth" -s "$W/none.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	assert_output ""
	assert_equal "$stderr" "rkmp-auth: $W/none.json: state: no such state file: run rkmp-init first"
	run -7 --separate-stderr "$RKMP_BIN/rkmp-decode" -q /nonexistent.bin
	assert_equal "$stderr" "rkmp-decode: /nonexistent.bin: system: No such file or directory"
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" -q -r testdata/capture/cut.pcap
	assert_equal "$stderr" "rkmp-decode: testdata/capture/cut.pcap: malformed message: capture truncated: record 3 cut short"
	run -3 --separate-stderr "$RKMP_BIN/rkmp-keytable" -t testdata/keytable/table-ok.json get --protocol tcp-ao --peer 192.0.2.9
	[[ "$stderr" == "rkmp-keytable: testdata/keytable/table-ok.json: state: mode 0644: "* ]]
	# with --json nothing of it on stderr
	run -4 --separate-stderr "$RKMP_BIN/rkmp-decode" --json -q -r testdata/capture/cut.pcap
	assert_equal "$stderr" ""
}

@test "rkmpctl: status, rekey, generate, delete, down, up, reload and events answers and errors, every key in the man page" {
	local side other mine theirs start
	PAGE_TEXT=$(page rkmpctl)
	json rkmpctl 6 error --json -s "$W/none.sock" status
	json rkmpctl 2 error --json bogus
	json rkmpctl 2 error --json rekey b
	# two daemons, a initiating to b, so that status has children to show
	for side in a b; do
		mkdir -p "$W/$side"
		if [ $side = a ]; then other=b mine=$PORT theirs=$((PORT + 1)) start=always
		else other=a mine=$((PORT + 1)) theirs=$PORT start=respond; fi
		printf '{"format":"rkmpd-config","version":1,"listen":["127.0.0.1:%s"],"state_dir":"%s","control":"%s",
		  "peers":[{"name":"%s","address":"127.0.0.1","port":%s,"id":"fqdn:%s.test","psk_file":"%s","start":"%s",
		  "children":[{"protocol":"tcp-ao","lifetime":60,"rekey_margin":10}]}]}\n' "$mine" "$W/$side" \
		    "$W/$side/ctl.sock" "$other" "$theirs" "$side" "$W/k.psk" "$start" > "$W/$side/c.json"
	done
	"$RKMP_BIN/rkmpd" -f -c "$W/b/c.json" 2>"$W/b.log" &
	DPIDS="$!"
	sleep 0.3
	"$RKMP_BIN/rkmpd" -f -c "$W/a/c.json" 2>"$W/a.log" &
	DPIDS+=" $!"
	for _ in $(seq 50); do
		[ "$(jq -r .phase "$W/a/b.json" 2>/dev/null)" = established ] && break
		sleep 0.1
	done
	json rkmpctl 0 none --json -s "$W/a/ctl.sock" status
	jq -e '.peers[0].children | length == 1' <<<"$output" || fail "$output $(cat "$W/a.log")"
	json rkmpctl 0 none --json -s "$W/b/ctl.sock" status a
	spi=$(jq -r '.children[0].spi_local' "$W/a/b.json")
	json rkmpctl 0 none --json -s "$W/a/ctl.sock" rekey b "$spi"
	json rkmpctl 1 error --json -s "$W/a/ctl.sock" rekey b "$(free_spi "$W/a/b.json")"
	json rkmpctl 2 error --json -s "$W/a/ctl.sock" status nobody
	# generate, delete, down, up, reload, events: their answers and errors
	json rkmpctl 0 none --json -s "$W/a/ctl.sock" generate b --protocol tcp-ao
	spi=$(jq -r '.generate.children[0].spi' <<<"$output")
	json rkmpctl 0 none --json -s "$W/a/ctl.sock" delete b "$spi"
	json rkmpctl 1 error --json -s "$W/a/ctl.sock" delete b "$(free_spi "$W/a/b.json")"
	json rkmpctl 2 error --json -s "$W/a/ctl.sock" generate b --protocol esp
	json rkmpctl 0 none --json -s "$W/a/ctl.sock" reload
	json rkmpctl 0 none --json -s "$W/a/ctl.sock" down b
	json rkmpctl 0 none --json -s "$W/a/ctl.sock" up b
	json rkmpctl 0 none --json -s "$W/a/ctl.sock" status b
	json rkmpctl 0 none --json -s "$W/a/ctl.sock" events
	jq -s -e 'any(.[]; .event == "close")' <<<"$output" >/dev/null || fail "no close event: $output"
}

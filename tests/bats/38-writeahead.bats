#!/usr/bin/env bats
# Never reuse a nonce: the state that reserves a Message ID and an IV is on
# disk before any byte of the message leaves (write-ahead); one writer per
# state; symbolic links and temp files; responders that outlast garbage; an
# unauthenticated RKMP_SA_INIT refusal does not stop a UDP initiator.

load helpers
load step-helpers

setup() {
	setup_step
	OUT=$W/out
	mkdir -p "$OUT"
	N=0
}

teardown() {
	teardown_step
	[ -n "${HOLD:-}" ] && kill "$HOLD" 2>/dev/null
	[ -n "${FS:-}" ] && { umount "$FS" 2>/dev/null || umount -l "$FS" 2>/dev/null; }
	true
}

# A small tmpfs for the states, to fill or make read-only (root only).
small_fs() {
	[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs (a full or read-only file system)"
	FS=$W/fs
	mkdir -p "$FS"
	mount -t tmpfs -o size=1m,mode=0700 tmpfs "$FS" || skip "cannot mount a tmpfs here"
}
fill_fs() { dd if=/dev/zero of="$FS/fill" bs=4k 2>/dev/null || true; }
unfill_fs() { rm -f "$FS/fill"; }

# msg_facts FILE: "SPIi SPIr I-flag R-flag MID IV" of one raw message (IV: first 8
# octets after the SK payload's generic header; "-" when not protected)
msg_facts() {
	local h np next len off=56 iv=-
	h=$(xxd -p -c 100000 "$1")
	np=$((16#${h:32:2}))
	while [ "$np" -ne 0 ] && [ "$np" -ne 46 ] && [ "$np" -ne 53 ] && [ "$off" -lt ${#h} ]; do
		next=$((16#${h:off:2}))
		len=$((16#${h:off+4:4}))
		off=$((off + len * 2))
		np=$next
	done
	[ "$np" -eq 46 ] && iv=${h:off+8:16}
	echo "${h:0:16} ${h:16:16} $(((16#${h:38:2} >> 3) & 1)) $(((16#${h:38:2} >> 5) & 1)) ${h:40:8} $iv"
}

# no_reuse DIR: of every message that left a process (the files in DIR), two
# with the same SPIs, direction and Message ID are the same bytes, and no two
# different ones were protected with the same IV under the same keys (in a
# shell of its own: bats's trap before each command would cost more than it)
no_reuse() {
	bash -c "$(declare -f msg_facts no_reuse_in); no_reuse_in \"\$1\"" _ "$1"
}
no_reuse_in() {
	local f facts sum key ivkey
	declare -A by_mid by_iv
	for f in "$1"/*; do
		facts=$(msg_facts "$f")
		sum=$(sha256sum <"$f" | cut -c1-16)
		read -r si sr dir resp mid iv <<<"$facts"
		key="$si $sr $dir $resp $mid"
		if [ -n "${by_mid[$key]:-}" ] && [ "${by_mid[$key]}" != "$sum" ]; then
			echo "Message ID reused with different content: $key ($f)"
			return 1
		fi
		by_mid[$key]=$sum
		[ "$iv" = - ] && continue
		ivkey="$si $sr $dir $iv"
		if [ -n "${by_iv[$ivkey]:-}" ] && [ "${by_iv[$ivkey]}" != "$sum" ]; then
			echo "IV reused under the same keys for different messages: $ivkey ($f)"
			return 1
		fi
		by_iv[$ivkey]=$sum
	done
}

# step_twice TOOL STATE [args...] -- IN OUT: first on a full file system (exit
# 7, nothing written to OUT, the state byte for byte as it was), then on a
# read-only one (the same), then for real; OUT is kept among the messages sent
step_twice() {
	local tool=$1 state=$2 args=() in out
	shift 2
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	in=$2 out=$3
	local inopt=()
	[ "$in" != - ] && inopt=(-i "$in")
	[ -e "$state" ] && cp "$state" "$W/before"
	fill_fs
	run "$RKMP_BIN/$tool" -s "$state" "${args[@]}" "${inopt[@]}" -o "$out"
	unfill_fs
	[ "$status" -eq 7 ] || { echo "full: $tool exit $status: $output"; return 1; }
	[ ! -e "$out" ] || { echo "full: $tool wrote $out although the state was not saved"; return 1; }
	if [ -e "$W/before" ]; then cmp "$state" "$W/before" || return 1; else [ ! -e "$state" ] || return 1; fi
	mount -o remount,ro "$FS"
	run "$RKMP_BIN/$tool" -s "$state" "${args[@]}" "${inopt[@]}" -o "$out"
	mount -o remount,rw "$FS"
	[ "$status" -eq 7 ] || { echo "read-only: $tool exit $status: $output"; return 1; }
	[ ! -e "$out" ] || { echo "read-only: $tool wrote $out"; return 1; }
	if [ -e "$W/before" ]; then cmp "$state" "$W/before" || return 1; else [ ! -e "$state" ] || return 1; fi
	rm -f "$W/before"
	"$RKMP_BIN/$tool" -q -s "$state" "${args[@]}" "${inopt[@]}" -o "$out" || return 1
	N=$((N + 1))
	cp "$out" "$OUT/$N.bin"
}

@test "every cipher, both roles, over files: a state that cannot be written sends nothing; no Message ID or IV is ever reused" {
	need xxd
	small_fs
	for suite in aes256gcm16-prfsha256-x25519 aes128gcm16-prfsha256-ecp256 \
	    chacha20poly1305-prfsha256-x25519 aes256-sha256-x25519; do
		rm -f "$FS"/*.json "$W"/[0-9].bin
		a=$FS/a.json b=$FS/b.json
		step_twice rkmp-init "$a" --id fqdn:a.rkmp.test --proposal "$suite" -- - "$W/1.bin"
		step_twice rkmp-init "$b" --respond --id fqdn:b.rkmp.test --proposal "$suite" -- "$W/1.bin" "$W/2.bin"
		"$RKMP_BIN/rkmp-init" -q -s "$a" -i "$W/2.bin"
		step_twice rkmp-auth "$a" --psk-file "$W/k.psk" -- - "$W/3.bin"
		step_twice rkmp-auth "$b" --respond --psk-file "$W/k.psk" -- "$W/3.bin" "$W/4.bin"
		"$RKMP_BIN/rkmp-auth" -q -s "$a" -i "$W/4.bin"
		# children started by either side, answered by the other
		step_twice rkmp-child "$a" --create --protocol bfd -- - "$W/5.bin"
		step_twice rkmp-child "$b" --respond -- "$W/5.bin" "$W/6.bin"
		"$RKMP_BIN/rkmp-child" -q -s "$a" -i "$W/6.bin"
		step_twice rkmp-child "$b" --liveness -- - "$W/7.bin"
		step_twice rkmp-child "$a" --respond -- "$W/7.bin" "$W/8.bin"
		"$RKMP_BIN/rkmp-child" -q -s "$b" -i "$W/8.bin"
		assert_equal "$(jq -rs '[.[0].phase, .[1].phase, .[1].children[0].state] | join(" ")' "$a" "$b")" \
		    "established established established"
	done
	[ "$N" -eq 32 ]
	no_reuse "$OUT"
}

@test "the checker itself: a second request under the same Message ID and IV is caught" {
	need xxd
	established
	cp "$W/a.json" "$W/a.copy"
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --create --protocol bfd -o "$OUT/1.bin"
	cp "$W/a.copy" "$W/a.json"	# what the tools never do: forget a request that left
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --create --protocol tcp-ao -o "$OUT/2.bin"
	run no_reuse "$OUT"
	assert_failure
	assert_output --partial "Message ID reused with different content"
}

@test "kill -9 between commit and send: the state already reserves the request; --resend sends the same bytes" {
	established
	mkfifo "$W/fifo"
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --create --protocol tcp-ao -o "$W/fifo" &
	HOLD=$!
	# the state is on disk (the request pending) before the message is written
	for _ in $(seq 100); do
		[ "$(jq -r .ike_sa.pending.op "$W/a.json" 2>/dev/null)" != null ] && break
		sleep 0.05
	done
	kill -9 "$HOLD"
	wait "$HOLD" 2>/dev/null || true
	HOLD=
	mid=$(jq -r '.ike_sa.pending.msg_id' "$W/a.json")
	[ "$mid" = "$(jq -r '.ike_sa.mid_next - 1' "$W/a.json")" ]
	# a new request cannot take the same Message ID
	run "$RKMP_BIN/rkmp-child" -s "$W/a.json" --create --protocol bfd -o "$W/x.bin"
	assert_failure 3
	[ ! -e "$W/x.bin" ]
	# --resend writes the request as committed, twice the same bytes
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --resend -o "$W/5.bin"
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" --resend -o "$W/5b.bin"
	cmp "$W/5.bin" "$W/5b.bin"
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond -i "$W/5.bin" -o "$W/6.bin"
	"$RKMP_BIN/rkmp-child" -q -s "$W/a.json" -i "$W/6.bin"
	[ "$(jq -r .children[1].protocol "$W/a.json")" = "$(jq -r .children[1].protocol "$W/b.json")" ]
	run "$RKMP_BIN/rkmp-child" -s "$W/a.json" --resend -o "$W/y.bin"
	assert_failure 3
	assert_output --partial "no request of rkmp-child waits for an answer"
	# rkmp-init and rkmp-auth: the same after their request
	rm -f "$W"/[ab].json
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" -o "$W/1.bin"
	run "$RKMP_BIN/rkmp-init" -s "$W/a.json" -o "$W/1b.bin"
	assert_failure 3
	assert_output --partial "--resend"
	run -0 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/a.json" --resend -o "$W/1b.bin"
	# said once
	assert_equal "$stderr" "rkmp-init: request resent from the state: IKE_SA_INIT, Message ID 0, 238 octets (a retransmission)"
	cmp "$W/1.bin" "$W/1b.bin"
	run "$RKMP_BIN/rkmp-init" -s "$W/a.json" --resend --respond -o "$W/1c.bin"
	assert_failure 2
}

@test "over UDP: a requester or responder whose state cannot be written sends nothing" {
	small_fs
	a=$FS/a.json b=$FS/b.json
	"$RKMP_BIN/rkmp-init" -q -s "$a" -o "$W/1.bin"
	rm "$a"
	# the requester: nothing reaches the responder, which times out
	"$RKMP_BIN/rkmp-init" -q -s "$b" --respond --listen "127.0.0.1:$PORT" --wait 2 &
	RPID=$!
	sleep 0.3
	fill_fs
	run "$RKMP_BIN/rkmp-init" -s "$a" --peer "127.0.0.1:$PORT" --retransmit 0.3,1,1
	unfill_fs
	assert_failure 7
	[ ! -e "$a" ]
	rc=0
	wait "$RPID" || rc=$?
	RPID=
	[ "$rc" -eq 6 ]
	[ ! -e "$b" ]
	# the responder: it receives, cannot commit, answers nothing; the
	# initiator hears nothing (its state records that: exit 6)
	"$RKMP_BIN/rkmp-init" -q -s "$b" --respond --listen "127.0.0.1:$PORT" --wait 5 &
	RPID=$!
	sleep 0.3
	fill_fs
	run "$RKMP_BIN/rkmp-init" -s "$W/a2.json" --peer "127.0.0.1:$PORT" --retransmit 0.5,1,1
	unfill_fs
	assert_failure 6
	rc=0
	wait "$RPID" || rc=$?
	RPID=
	[ "$rc" -eq 7 ]
	[ ! -e "$b" ]
	# and over UDP, a run killed after its commit is taken up by --resend
	rm -f "$W/a2.json"
	"$RKMP_BIN/rkmp-init" -q -s "$b" --respond --listen "127.0.0.1:$PORT" --wait 10 &
	RPID=$!
	"$RKMP_BIN/rkmp-init" -q -s "$a" -o "$W/1.bin"
	"$RKMP_BIN/rkmp-init" -q -s "$a" --resend --peer "127.0.0.1:$PORT"
	wait "$RPID"
	RPID=
	assert_equal "$(jq -r .phase "$a" "$b")" $'init-done\ninit-done'
}

@test "one writer per state: a second one is refused at once (exit 3, naming the holder) or waits with --wait-lock" {
	established
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 3 &
	RPID=$!
	sleep 0.4
	cp "$W/b.json" "$W/b.before"
	run "$RKMP_BIN/rkmp-child" -s "$W/b.json" --liveness -o "$W/x.bin"
	assert_failure 3
	assert_output --regexp "locked by rkmp-child pid $RPID since [0-9T:-]+Z"
	[ ! -e "$W/x.bin" ]
	cmp "$W/b.json" "$W/b.before"
	run "$RKMP_BIN/rkmp-child" --json -s "$W/b.json" --liveness -o "$W/x.bin"
	assert_failure 3
	[ "$(jq -r .error.class <<<"$output")" = state ]
	# --wait-lock: waits for the listener to give up, then runs
	run "$RKMP_BIN/rkmp-child" -s "$W/b.json" --wait-lock 0.5 --liveness -o "$W/x.bin"
	assert_failure 3
	assert_output --regexp "still locked by rkmp-child pid $RPID since [0-9T:-]+Z after 0.5 s"
	"$RKMP_BIN/rkmp-child" -q -s "$W/b.json" --wait-lock 10 --liveness -o "$W/x.bin"
	RPID=
	[ -e "$W/x.bin" ]
	run "$RKMP_BIN/rkmp-child" -s "$W/b.json" --wait-lock soon --liveness -o "$W/x.bin"
	assert_failure 2
	# two writers at once, again and again: never two requests under one Message ID
	for i in $(seq 10); do
		rm -f "$W/p$i.1" "$W/p$i.2"
		cp "$W/a.json" "$W/a.$i"
		"$RKMP_BIN/rkmp-child" -q -s "$W/a.$i" --create --protocol bfd -o "$W/p$i.1" 2>/dev/null &
		"$RKMP_BIN/rkmp-child" -q -s "$W/a.$i" --create --protocol tcp-ao -o "$W/p$i.2" 2>/dev/null &
		wait
		n=$(ls "$W/p$i".* 2>/dev/null | wc -l)
		[ "$n" -eq 1 ] || { echo "try $i: $n requests"; false; }
	done
}

@test "a state through a symbolic link: the target is written, the link stays, one lock for both" {
	mkdir "$W/real"
	# the first step through a link to a file still to be made makes it
	ln -s real/a.json "$W/a.json"
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --id fqdn:a.rkmp.test -o "$W/1.bin"
	[ -L "$W/a.json" ]
	[ -f "$W/real/a.json" ]
	[ "$(jq -r .phase "$W/real/a.json")" = init-sent ]
	[ "$(stat -c %a "$W/real/a.json")" = 600 ]
	"$RKMP_BIN/rkmp-init" -q -s "$W/b.json" --respond --id fqdn:b.rkmp.test -i "$W/1.bin" -o "$W/2.bin"
	"$RKMP_BIN/rkmp-init" -q -s "$W/real/a.json" -i "$W/2.bin"
	[ -L "$W/a.json" ]
	[ "$(jq -r .phase "$W/a.json")" = init-done ]
	# a holder through the link excludes a writer through the target
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --peer "127.0.0.1:$PORT" \
	    --retransmit 3,1,1 2>/dev/null &
	RPID=$!
	sleep 0.4
	run "$RKMP_BIN/rkmp-auth" -s "$W/real/a.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	assert_failure 3
	assert_output --partial "locked by rkmp-auth pid $RPID"
	kill "$RPID"
	RPID=
	# a link to a loop: exit 7, nothing written
	ln -s d.json "$W/c.json"
	ln -s c.json "$W/d.json"
	run "$RKMP_BIN/rkmp-init" -s "$W/c.json" -o "$W/9.bin"
	assert_failure 7
	assert_output --partial "symbolic link: Too many levels of symbolic links"
	[ ! -e "$W/9.bin" ]
}

@test "temp files of an interrupted write are removed by the next writer" {
	established
	printf '{"a complete newer state": "with secrets"}' > "$W/.a.json.Xy12Zq"
	printf 'x' > "$W/.a.json.other-name"
	"$RKMP_BIN/rkmp-child" -v -s "$W/a.json" --liveness -o "$W/5.bin" 2>"$W/err"
	[ ! -e "$W/.a.json.Xy12Zq" ]
	[ -e "$W/.a.json.other-name" ]
	grep -q "removed 1 temp file of an interrupted write" "$W/err"
	# none of our own is left behind
	[ -z "$(find "$W" -name '.[ab].json.??????')" ]
}

@test "a listening responder outlasts any number of malformed and forged datagrams, and counts them" {
	"$RKMP_BIN/rkmp-init" --json -s "$W/b.json" --respond --id fqdn:b.rkmp.test \
	    --listen "127.0.0.1:$PORT" --wait 20 >"$W/b.out" &
	RPID=$!
	sleep 0.3
	for i in $(seq 40); do
		printf '\0\0\0\0garbage %d' "$i" >/dev/udp/127.0.0.1/$PORT
	done
	sleep 0.3
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --id fqdn:a.rkmp.test --peer "127.0.0.1:$PORT"
	wait "$RPID"
	RPID=
	[ "$(jq -r .ignored "$W/b.out")" -ge 40 ]
	[ "$(jq -r .phase "$W/b.out")" = init-done ]
	# RKMP_SA_AUTH: 20 copies of a real request with a broken ICV, then the request
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" -o "$W/3.bin"
	# the last octet (in the ICV) complemented
	last=$(tail -c 1 "$W/3.bin" | xxd -p)
	{ head -c -1 "$W/3.bin"; printf "\\x$(printf %02x $((0xff ^ 16#$last)))"; } >"$W/forged"
	run ! cmp -s "$W/3.bin" "$W/forged"
	"$RKMP_BIN/rkmp-auth" -v --json -s "$W/b.json" --respond --psk-file "$W/k.psk" \
	    --listen "127.0.0.1:$PORT" --wait 20 >"$W/b.out" 2>"$W/b.err" &
	RPID=$!
	sleep 0.3
	# one write, one datagram: the non-ESP marker (neither port is 500) and the message
	{ printf '\0\0\0\0'; cat "$W/forged"; } >"$W/forged.udp"
	for i in $(seq 20); do
		cat "$W/forged.udp" >/dev/udp/127.0.0.1/$PORT
	done
	sleep 0.3
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --resend --peer "127.0.0.1:$PORT"
	wait "$RPID"
	RPID=
	[ "$(jq -r .ignored "$W/b.out")" -eq 20 ]
	[ "$(jq -r .phase "$W/b.out")" = established ]
	[ "$(grep -c 'ignored a datagram from 127.0.0.1:[0-9]* ([0-9]* octets): .*ICV' "$W/b.err")" -eq 20 ]
	[ "$(jq -r .phase "$W/a.json")" = established ]
	# until --wait ends: exit 6, the count in the error, the state as it was
	cp "$W/b.json" "$W/b.before"
	"$RKMP_BIN/rkmp-child" -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 1.5 \
	    2>"$W/b.err" &
	RPID=$!
	sleep 0.3
	for i in 1 2 3; do printf '\0\0\0\0junk' >/dev/udp/127.0.0.1/$PORT; done
	rc=0
	wait "$RPID" || rc=$?
	RPID=
	[ "$rc" -eq 6 ]
	grep -q "within 1.5 s (3 datagrams ignored)" "$W/b.err"
	cmp "$W/b.json" "$W/b.before"
}

@test "an unauthenticated NO_PROPOSAL_CHOSEN to RKMP_SA_INIT: the initiator waits for a real answer" {
	# a first responder that refuses, answering once; the real one takes its port after it
	"$RKMP_BIN/rkmp-init" -q -s "$W/x.json" --respond --proposal aes128-sha256-modp2048 \
	    --listen "127.0.0.1:$PORT" --wait 10 2>/dev/null &
	RPID=$!
	sleep 0.3
	"$RKMP_BIN/rkmp-init" -s "$W/a.json" --peer "127.0.0.1:$PORT" --retransmit 1.5,1,3 2>"$W/a.err" &
	APID=$!
	wait "$RPID" || true
	"$RKMP_BIN/rkmp-init" -q -s "$W/b.json" --respond --listen "127.0.0.1:$PORT" --wait 10 &
	RPID=$!
	wait "$APID"
	wait "$RPID"
	RPID=
	grep -q "answered with NO_PROPOSAL_CHOSEN, which nothing authenticates" "$W/a.err"
	assert_equal "$(jq -r .phase "$W/a.json" "$W/b.json")" $'init-done\ninit-done'
	# with no other answer, the refusal decides: exit 1, recorded
	"$RKMP_BIN/rkmp-init" -q -s "$W/y.json" --respond --proposal aes128-sha256-modp2048 \
	    --listen "127.0.0.1:$PORT" --wait 10 2>/dev/null &
	RPID=$!
	sleep 0.3
	run "$RKMP_BIN/rkmp-init" -s "$W/c.json" --peer "127.0.0.1:$PORT" --retransmit 0.3,1,2
	RPID=
	assert_failure 1
	assert_output --partial "nothing authenticates"
	[ "$(jq -r .phase "$W/c.json")" = failed ]
	[ "$(jq -r .reason "$W/c.json")" = "responder refused: NO_PROPOSAL_CHOSEN" ]
}

@test "a peer that answers every retransmission with an unauthenticated refusal: said once, then it decides" {
	need python3
	# answers each request with N(NO_PROPOSAL_CHOSEN) alone, as strongSwan does
	python3 - "$PORT" "$W/bound" <<'PY' &
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()
s.settimeout(10)
try:
    while True:
        d, peer = s.recvfrom(65535)
        ike = d[4:]                                     # after the non-ESP marker
        n = struct.pack("!BBHBBH", 0, 0, 8, 0, 0, 14)   # N(NO_PROPOSAL_CHOSEN)
        hdr = ike[0:8] + bytes(8) + struct.pack("!BBBBII", 41, 0x20, 34, 0x20, 0, 28 + len(n))
        s.sendto(bytes(4) + hdr + n, peer)
except socket.timeout:
    pass
PY
	RPID=$!
	for _ in $(seq 100); do [ -e "$W/bound" ] && break; sleep 0.05; done
	run -1 --separate-stderr "$RKMP_BIN/rkmp-init" -v -s "$W/a.json" --peer "127.0.0.1:$PORT" --retransmit 0.3,1,3
	# every request was answered, the refusal said once
	assert_equal "$(grep -c 'retransmit [1-3]/3' <<<"$stderr")" 3
	assert_equal "$(grep -c 'request answered' <<<"$stderr")" 1
	assert_equal "$(grep -c 'answered with NO_PROPOSAL_CHOSEN, which nothing authenticates' <<<"$stderr")" 1
	assert_equal "$(grep -c 'NO_PROPOSAL_CHOSEN' <<<"$stderr")" 2	# and the error line
	[[ "$stderr" != *ICMP* ]] || fail "a request went unanswered: $stderr"
	assert_equal "${stderr##*$'\n'}" "rkmp-init: $W/a.json: refused: responder refused: NO_PROPOSAL_CHOSEN"
	assert_equal "$(jq -r .reason "$W/a.json")" "responder refused: NO_PROPOSAL_CHOSEN"
}

@test "with --cookie, a spoofed or replayed RKMP_SA_INIT does not use up a one-shot responder" {
	"$RKMP_BIN/rkmp-init" -q -s "$W/x.json" --id fqdn:x.rkmp.test -o "$W/x.bin"
	{ printf '\0\0\0\0'; cat "$W/x.bin"; } >"$W/x.udp"
	"$RKMP_BIN/rkmp-init" -s "$W/b.json" --respond --cookie --listen "127.0.0.1:$PORT" --wait 10 2>"$W/b.err" &
	RPID=$!
	sleep 0.3
	# from an address that never reads the answer (spoofed), twice (replayed)
	cat "$W/x.udp" >/dev/udp/127.0.0.1/$PORT
	cat "$W/x.udp" >/dev/udp/127.0.0.1/$PORT
	sleep 0.2
	"$RKMP_BIN/rkmp-init" -q -s "$W/a.json" --id fqdn:a.rkmp.test --peer "127.0.0.1:$PORT"
	wait "$RPID"
	RPID=
	[ "$(grep -c 'answered N(COOKIE)' "$W/b.err")" -ge 3 ]
	[ "$(jq -r .phase "$W/b.json")" = init-done ]
	[ "$(jq -r .ike_sa.spi_i "$W/b.json")" = "$(jq -r .ike_sa.spi_i "$W/a.json")" ]
}

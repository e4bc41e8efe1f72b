#!/usr/bin/env bats
# rkmpctl's operations on two rkmpd on 127.0.0.1 (random high ports, the rkmp
# profile, PSK, TCP-AO and BFD children of 60 s: no timed rekey during a test):
# generate (RKMP_generateSA of an on-demand peer), delete of a child and of the
# RKMP SA (rows gone from both key tables), down and up, events, reload and
# SIGHUP (peers added, removed, unchanged), --delete-on-stop; and each failing
# cleanly: unknown peer or SPI, no daemon, a socket that is not rkmpd's, an
# invalid configuration on reload.

load helpers
load rkmpd-helpers

setup() { rkmpd_setup; }
teardown() { rkmpd_teardown; }

# the children: 60 s, no timed rekey during a test
CHILDREN='[{"protocol": "tcp-ao", "lifetime": 60, "rekey_margin": 10},
           {"protocol": "bfd", "lifetime": 60, "rekey_margin": 10}]'

ctl() {
	"$RKMP_BIN/rkmpctl" -s "$W/$1/ctl.sock" "${@:2}"
}

# wait_established SIDE PEER: wait for SIDE's SA with PEER to be established with
# 2 children (exactly: the configured two, none made twice)
wait_established() {
	wait_for 10 "established SA with 2 children in $1's state of $2" \
	    jq -e '[.children[] | select(.state == "established")] | length == 2' "$W/$1/$2.json"
}

# rows SIDE: the key table's rows as "protocol SPI", SPI the side's own of the child (a
# routing protocol's SPI is its sender's ID: the row receives under the other's, PeerKeyName)
rows() {
	[ -s "$W/$1/kt.json" ] || return 0
	jq -r '.rows[] | "\(.Protocol) \(.PeerKeyName)"' "$W/$1/kt.json" | sort
}

@test "generate: an on-demand peer gets its RKMP SA and configured children; --protocol a new child; the SPIs are the state's and the key tables'" {
	need jq
	pair on-demand "$CHILDREN"
	sleep 0.3
	# on-demand: nothing happens until asked
	run -0 ctl a --json status b
	jq -e '.peers[0].phase == "new" and .peers[0].exchanges == 0' <<<"$output"
	run -0 --separate-stderr ctl a generate b
	assert_line --index 0 --regexp "^b: new tcp-ao child SA, SPI [0-9a-f]{2} \(peer's [0-9a-f]{2}\)$"
	assert_line --index 1 --regexp "^b: new bfd child SA, SPI [0-9a-f]{2} \(peer's [0-9a-f]{2}\)$"
	[ "$(jq -r .phase "$W/a/b.json")" = established ]
	[ "$(jq -r .phase "$W/b/a.json")" = established ]
	# again: nothing missing, the children there (not new)
	run -0 ctl a --json generate b
	jq -e '.generate.peer == "b" and (.generate.children | length == 2) and all(.generate.children[]; .new == false)' <<<"$output"
	# --protocol bfd: a second BFD child, its SPIs those of the two state files and key tables
	run -0 ctl a --json generate b --protocol bfd
	jq -e '(.generate.children | length == 1) and .generate.children[0].protocol == "bfd" and .generate.children[0].new' <<<"$output"
	spi=$(jq -r '.generate.children[0].spi' <<<"$output")
	peer=$(jq -r '.generate.children[0].spi_peer' <<<"$output")
	jq -e --arg s "$spi" --arg p "$peer" '[.children[] | select(.spi_local == $s and .spi_peer == $p and .state == "established")] | length == 1' "$W/a/b.json"
	jq -e --arg s "$spi" --arg p "$peer" '[.children[] | select(.spi_local == $p and .spi_peer == $s and .state == "established")] | length == 1' "$W/b/a.json"
	rows a | grep -qx "bfd $spi"
	for _ in $(seq 20); do rows b | grep -qx "bfd $peer" && break; sleep 0.1; done
	rows b | grep -qx "bfd $peer"
	# failing cleanly: unknown peer, a protocol the rkmp profile has not, an unknown one
	run -2 --separate-stderr ctl a generate nobody
	assert_equal "$stderr" "rkmpctl: usage: nobody: no such peer in $W/a/conf.json"
	run -2 --separate-stderr ctl a generate b --protocol esp
	[[ "$stderr" == "rkmpctl: usage: --protocol: the rkmp profile of peer b negotiates tcp-ao, "* ]] || fail "$stderr"
	run -2 --separate-stderr ctl a generate b --protocol nope
	[[ "$stderr" == "rkmpctl: usage: --protocol: \"nope\" is not tcp-ao, "* ]] || fail "$stderr"
	run -2 --separate-stderr ctl a status --protocol bfd
	assert_equal "${stderr_lines[0]}" "rkmpctl: --protocol is generate's, not status's"
}

@test "generate to a peer that does not answer: rkmpctl says it waits (where, until when) and gives up after --timeout, exit 6" {
	need jq
	conf a b "$PA" "$PB" on-demand "$CHILDREN"
	start a
	run -6 --separate-stderr ctl a --timeout 2.5 generate b
	[[ "${stderr_lines[0]}" =~ ^rkmpctl:\ waiting\ for\ rkmpd\'s\ answer\ on\ $W/a/ctl.sock\ until\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ \(--timeout\ 2.5\)$ ]] || fail "$stderr"
	assert_equal "${stderr_lines[1]}" "rkmpctl: $W/a/ctl.sock: transport: no answer within 2.5 s (--timeout; an exchange rkmpd started goes on: see rkmpctl status)"
	# the daemon retransmits, and a second operation waits its turn
	run -0 ctl a --json status b
	jq -e '.peers[0].phase == "init-sent" and .peers[0].pending != null' <<<"$output"
	run -3 --separate-stderr ctl a generate b
	assert_equal "$stderr" "rkmpctl: state: b: rkmpctl's generate of this peer is under way: try again once it is done"
	for _ in $(seq 30); do grep -q "retransmit 1/5 to 127.0.0.1:$PB" "$W/a/log" && break; sleep 0.1; done
	grep -q "retransmit 1/5 to 127.0.0.1:$PB" "$W/a/log"
}

@test "delete PEER SPI: one child, its rows gone from both key tables; delete PEER: the RKMP SA with its children; the errors" {
	need jq
	pair always "$CHILDREN"
	wait_established a b
	wait_established b a
	spi=$(jq -r '[.children[] | select(.state == "established" and .protocol == "BFD")][0].spi_local' "$W/a/b.json")
	peer=$(jq -r --arg s "$spi" '.children[] | select(.spi_local == $s) | .spi_peer' "$W/a/b.json")
	for _ in $(seq 20); do rows b | grep -qx "bfd $peer" && break; sleep 0.1; done
	rows b | grep -qx "bfd $peer"
	run -0 ctl a delete b "$spi"
	assert_output "b: deleted child SA bfd:$spi"
	[ "$(jq -r --arg s "$spi" '.children[] | select(.spi_local == $s) | .state' "$W/a/b.json")" = deleted ]
	! rows a | grep -qx "bfd $spi"
	for _ in $(seq 20); do rows b | grep -qx "bfd $peer" || break; sleep 0.1; done
	! rows b | grep -qx "bfd $peer" || fail "b still has the row: $(rows b)"
	grep -q '"event":"delete".*"protocol":"bfd"' "$W/b/events.json"
	# a deleted configured child is not created again at once (a is the initiator)
	sleep 1
	[ "$(jq -r '[.children[] | select(.protocol == "BFD" and .state == "established")] | length' "$W/a/b.json")" = 0 ]
	# the errors: an SPI no live child has (exit 1), not hex (2), an unknown peer (2)
	run -1 --separate-stderr ctl a delete b "$spi"
	assert_equal "$stderr" "rkmpctl: refused: b: no live child SA with our SPI $spi"
	run -1 --separate-stderr ctl a --json delete b "$(free_spi "$W/a/b.json")"
	jq -e '.error.class == "refused" and .error.exit == 1 and .error.where == "b"' <<<"$output"
	run -2 --separate-stderr ctl a delete b xyz
	assert_equal "$stderr" "rkmpctl: usage: xyz: not an SPI in hex"
	run -2 --separate-stderr ctl a delete nobody
	assert_equal "$stderr" "rkmpctl: usage: nobody: no such peer in $W/a/conf.json"
	# the whole RKMP SA: one Delete with its children, rows gone on both sides
	tcp=$(jq -r '[.children[] | select(.state == "established" and .protocol != "BFD")][0].spi_local' "$W/a/b.json")
	a_sa=$(jq -r .ike_sa.spi_i "$W/a/b.json")
	run -0 ctl a --json delete b
	jq -e --arg t "tcp-ao:$tcp" '.delete.peer == "b" and .delete.rkmp_sa and .delete.deleted == [$t]' <<<"$output" || fail "$output"
	for _ in $(seq 20); do [ "$(jq -r .phase "$W/b/a.json")" = deleted ] && break; sleep 0.1; done
	[ "$(jq -r .phase "$W/b/a.json")" = deleted ] || [ "$(jq -r .ike_sa.spi_i "$W/b/a.json")" != "$a_sa" ]
	grep -q "the peer deleted the RKMP SA with 1 child SA" "$W/b/log"
	grep -q '"event":"close".*"children_kept":false' "$W/b/events.json"
	! grep "$a_sa" <(jq -r '.rows[]."x-rkmp".rkmp_sa // empty' "$W/b/kt.json" 2>/dev/null) || fail "b kept rows of the deleted SA"
	# a is `always`: it initiates again at once, a new RKMP SA
	for _ in $(seq 50); do [ "$(jq -r .ike_sa.spi_i "$W/a/b.json")" != "$a_sa" ] && [ "$(jq -r .phase "$W/a/b.json")" = established ] && break; sleep 0.1; done
	[ "$(jq -r .ike_sa.spi_i "$W/a/b.json")" != "$a_sa" ] || fail "a did not initiate again"
}

@test "down: the RKMP SA deleted and no initiation until up; up: initiated now" {
	need jq
	pair always "$CHILDREN"
	wait_established a b
	run -0 ctl a down b
	[[ "$output" == "b: down, deleted the RKMP SA and its child SAs tcp-ao:"*" bfd:"* ]] || fail "$output"
	[ "$(jq -r .phase "$W/a/b.json")" = deleted ]
	[ -z "$(rows a)" ] || fail "rows left: $(rows a)"
	sleep 1.2	# an `always` peer would have initiated by now
	run -0 ctl a --json status b
	jq -e '.peers[0].phase == "deleted" and .peers[0].down == true' <<<"$output"
	run -0 ctl a status b
	assert_line "  down: no initiation and no new child SA until rkmpctl up"
	# down again: nothing to delete
	run -0 ctl a down b
	assert_output "b: down (no RKMP SA to delete)"
	run -0 ctl a --json up b
	jq -e '.up.peer == "b" and (.up.children | length == 2) and all(.up.children[]; .new)' <<<"$output" || fail "$output"
	[ "$(jq -r .phase "$W/a/b.json")" = established ]
	run -0 ctl a --json status b
	jq -e '.peers[0].down == false' <<<"$output"
	run -2 --separate-stderr ctl a up nobody
	run -2 --separate-stderr ctl a down
	assert_equal "${stderr_lines[0]}" "rkmpctl: down takes PEER"
}

@test "events: the daemon's last events, --json the events file's lines with the peer's name; --follow the new ones as they happen" {
	need jq
	pair on-demand "$CHILDREN"
	run -0 ctl a events
	assert_output ""
	ctl b --json events --follow > "$W/follow.json" &
	fpid=$!
	PID[follow]=$fpid
	sleep 0.2
	run -0 ctl a generate b
	for _ in $(seq 30); do [ "$(wc -l < "$W/follow.json")" -ge 2 ] && break; sleep 0.1; done
	kill "$fpid"
	run -0 jq -r '"\(.name) \(.event) \(.protocol)"' "$W/follow.json"
	assert_output "$(printf 'a insert tcp-ao\na insert bfd')"
	# the daemon's lines are its events file's, with the name first
	run -0 jq -c 'del(.name)' "$W/follow.json"
	assert_equal "$output" "$(jq -c . "$W/b/events.json")"
	run -0 ctl a events
	assert_line --index 0 --regexp "^[0-9]{14}Z b insert tcp-ao [0-9a-f]{2}/[0-9a-f]{2}, 1 row, RKMP SA [0-9a-f]{16}:[0-9a-f]{16}$"
	run -2 --separate-stderr ctl a events b
	assert_equal "${stderr_lines[0]}" "rkmpctl: events takes no argument ([--follow])"
}

@test "reload and SIGHUP: a peer added, one removed (its SA deleted, rows revoked, lock released), the unchanged one untouched; an invalid file keeps the running configuration" {
	need jq
	need flock
	conf a b "$PA" "$PB" always "$CHILDREN"
	conf b a "$PB" "$PA" respond "$CHILDREN"
	# a also has peer x (respond, nobody there)
	jq '.peers += [{"name": "x", "address": "127.0.0.1", "port": 9, "id": .peers[0].id,
	    "psk_file": .peers[0].psk_file, "start": "respond"}]' "$W/a/conf.json" > "$W/a/c2" && mv "$W/a/c2" "$W/a/conf.json"
	start b
	start a
	wait_established a b
	run -0 ctl a --json status b
	before=$(jq -c '.peers[0] | [.spi_i, .spi_r, .exchanges, [.children[].spi]]' <<<"$output")
	# an invalid file: said, refused (exit 2, the key named), nothing changes
	cp "$W/a/conf.json" "$W/a/good.json"
	jq '.peers[0].port = "x"' "$W/a/good.json" > "$W/a/conf.json"
	run -2 --separate-stderr ctl a reload
	[[ "$stderr" == "rkmpctl: usage: peers[0].port: "* ]] || fail "$stderr"
	grep -q "^rkmpd: reload: $W/a/conf.json: usage: peers\[0\].port: .*; the running configuration is kept$" "$W/a/log"
	kill -HUP "${PID[a]}"
	for _ in $(seq 20); do [ "$(grep -c 'the running configuration is kept' "$W/a/log")" = 2 ] && break; sleep 0.1; done
	[ "$(grep -c 'the running configuration is kept' "$W/a/log")" = 2 ]
	run -0 ctl a --json status
	jq -e '[.peers[].name] == ["b", "x"]' <<<"$output"
	# x removed, c added, b the same: SIGHUP
	jq '.peers = [.peers[0], {"name": "c", "address": "127.0.0.1", "port": 9, "id": .peers[0].id,
	    "psk_file": .peers[0].psk_file, "start": "respond"}]' "$W/a/good.json" > "$W/a/conf.json"
	kill -HUP "${PID[a]}"
	for _ in $(seq 30); do grep -q "reload: $W/a/conf.json: 2 peers: added c, removed x" "$W/a/log" && break; sleep 0.1; done
	grep -q "reload: $W/a/conf.json: 2 peers: added c, removed x, changed none, 1 unchanged" "$W/a/log" || fail "$(tail -5 "$W/a/log")"
	run -0 ctl a --json status
	jq -e '[.peers[].name] == ["b", "c"]' <<<"$output"
	assert_equal "$(jq -c '.peers[0] | [.spi_i, .spi_r, .exchanges, [.children[].spi]]' <<<"$output")" "$before"
	flock -n "$W/a/x.json.lock" true || fail "x's state file is still locked"
	# b removed (rkmpctl reload): a Delete with its children to daemon b, a's rows revoked
	jq '.peers = [.peers[1]]' "$W/a/conf.json" > "$W/a/c2" && mv "$W/a/c2" "$W/a/conf.json"
	run -0 ctl a --json reload
	jq -e '.reload.removed == ["b"] and .reload.added == [] and .reload.unchanged == 1 and .reload.peers == 1' <<<"$output" || fail "$output"
	run -0 ctl a reload
	assert_output "$W/a/conf.json: 1 peer: added none, removed none, changed none, 1 unchanged"
	[ "$(jq -r .phase "$W/a/b.json")" = failed ]
	[ "$(jq -r .reason "$W/a/b.json")" = "removed from the configuration (reload)" ]
	[ -z "$(rows a)" ] || fail "a kept rows: $(rows a)"
	grep -q '"event":"revoke"' "$W/a/events.json"
	flock -n "$W/a/b.json.lock" true || fail "b's state file is still locked"
	for _ in $(seq 20); do [ "$(jq -r .phase "$W/b/a.json")" = deleted ] && break; sleep 0.1; done
	[ "$(jq -r .phase "$W/b/a.json")" = deleted ]
	[ -z "$(rows b)" ] || fail "b kept rows: $(rows b)"
}

@test "rkmpd --delete-on-stop: the other daemon sees the Delete (its rows removed); without it both keep their rows" {
	need jq
	conf a b "$PA" "$PB" always "$CHILDREN"
	conf b a "$PB" "$PA" respond "$CHILDREN"
	start b
	start a --delete-on-stop
	wait_established a b
	wait_established b a
	for _ in $(seq 20); do [ "$(rows b | wc -l)" = 2 ] && break; sleep 0.1; done
	[ "$(rows b | wc -l)" = 2 ]
	kill -TERM "${PID[a]}"
	wait "${PID[a]}"
	grep -q "SIGTERM: stopping with --delete-on-stop" "$W/a/log"
	[ -z "$(rows a)" ] || fail "a kept rows: $(rows a)"
	for _ in $(seq 20); do [ -z "$(rows b)" ] && break; sleep 0.1; done
	[ -z "$(rows b)" ] || fail "b kept rows: $(rows b)"
	[ "$(jq -r .phase "$W/b/a.json")" = deleted ]
	# without it: b stops and both keep their rows (a started again, new SA)
	start a
	wait_established a b
	wait_established b a
	for _ in $(seq 20); do [ "$(rows b | wc -l)" = 2 ] && break; sleep 0.1; done
	kill -TERM "${PID[b]}"
	wait "${PID[b]}"
	[ "$(rows b | wc -l)" = 2 ]
	[ "$(rows a | wc -l)" = 2 ]
}

@test "rkmpctl without rkmpd: no socket, a stale socket, a file that is no socket, a socket that is not rkmpd's: exit 6, the path named" {
	need python3
	run -6 --separate-stderr "$RKMP_BIN/rkmpctl" -s "$W/none.sock" generate b
	assert_equal "$stderr" "rkmpctl: $W/none.sock: transport: no daemon listens (connect: No such file or directory)"
	# a daemon killed: its socket stays, nobody listens
	conf a b "$PA" "$PB" respond "$CHILDREN"
	start a
	kill -KILL "${PID[a]}"
	wait "${PID[a]}" || true
	run -6 --separate-stderr ctl a status
	assert_equal "$stderr" "rkmpctl: $W/a/ctl.sock: transport: no daemon listens (connect: Connection refused): the socket of an rkmpd that is gone?"
	: > "$W/file.sock"
	run -6 --separate-stderr "$RKMP_BIN/rkmpctl" -s "$W/file.sock" reload
	assert_equal "$stderr" "rkmpctl: $W/file.sock: transport: not a socket (a regular file): no rkmpd listens there; its control socket is the configuration's \"control\""
	# a socket of another program, answering something else
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
c, _ = s.accept()
c.recv(4096)
c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
c.close()' "$W/other.sock" &
	PID[other]=$!
	for _ in $(seq 50); do [ -S "$W/other.sock" ] && break; sleep 0.1; done
	run -6 --separate-stderr "$RKMP_BIN/rkmpctl" -s "$W/other.sock" --json status
	jq -e '.error.class == "transport" and (.error.detail | startswith("not an rkmpd answer (")) and (.error.detail | endswith("is '"$W"'/other.sock rkmpd'"'"'s control socket?"))' <<<"$output" || fail "$output"
	run -2 --separate-stderr "$RKMP_BIN/rkmpctl" --timeout 0 status
	assert_equal "${stderr_lines[0]}" "rkmpctl: --timeout '0': not a number of seconds in (0, 86400]"
}

@test "status of 1000 peers: one answer larger than the socket's buffer comes whole" {
	need jq
	# a's configuration with 1000 peers that only answer (ports 30000-30999)
	conf a b "$PA" "$PB" respond '[{"protocol": "tcp-ao"}]'
	jq '.peers = [range(1000) as $i | .peers[0] | .name = "p\($i)" | .port = 30000 + $i]' \
	    "$W/a/conf.json" > "$W/a/many.json"
	mv "$W/a/many.json" "$W/a/conf.json"
	start a
	run -0 --separate-stderr "$RKMP_BIN/rkmpctl" -s "$W/a/ctl.sock" --json status
	buf=$(cat /proc/sys/net/core/wmem_default 2>/dev/null || echo 212992)
	[ "${#output}" -gt "$buf" ] || fail "only ${#output} octets: not larger than the socket's buffer ($buf)"
	jq -e '.peers | length == 1000 and .[999].name == "p999" and all(.[]; .phase == "new")' <<<"$output"
	run -0 "$RKMP_BIN/rkmpctl" -s "$W/a/ctl.sock" status
	[ "$(grep -c '^p[0-9]*: new' <<<"$output")" = 1000 ] || fail "$(head -3 <<<"$output")"
}

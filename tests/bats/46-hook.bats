#!/usr/bin/env bats
# rkmp-hook (rkmp-hook(8)) without routers: what it writes, when it reloads,
# what it leaves alone; birdc and vtysh here are stand-ins on PATH that log
# their arguments and answer as the real ones do (98-bgp-rkmp runs the real
# daemons).

load helpers
load step-helpers

setup() {
	setup_step
	# a tcp-md5 child in a's table (peer 10.78.0.2), over files
	init_pair
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" --psk-file "$W/k.psk" --protocol tcp-md5 -o "$W/3.bin"
	"$RKMP_BIN/rkmp-auth" -q -s "$W/b.json" --respond --psk-file "$W/k.psk" -i "$W/3.bin" -o "$W/4.bin"
	"$RKMP_BIN/rkmp-auth" -q -s "$W/a.json" -i "$W/4.bin" -t "$W/a.kt" --peer-address 10.78.0.2
	KEY=$(jq -r '.rows[0].Key' "$W/a.kt")
	# stand-ins: ANSWER (a file) is what they print, STATUS their exit status
	mkdir "$W/fake"
	for t in birdc vtysh; do
		printf '#!/bin/sh\necho "$0 $*" >> "%s/calls"\ncat "%s/answer" 2>/dev/null\nexit "$(cat "%s/status" 2>/dev/null || echo 0)"\n' \
		    "$W" "$W" "$W" > "$W/fake/$t"
		chmod 755 "$W/fake/$t"
	done
	PATH=$W/fake:$PATH
}

hook() { "$RKMP_BIN/rkmp-hook" "$@"; }

@test "rkmp-hook bird: the table's password into the include, birdc configure, once" {
	echo "Reconfigured" > "$W/answer"
	run -0 hook bird --include "$W/bird.inc" -t "$W/a.kt" --peer 10.78.0.2 --socket "$W/bird.ctl"
	assert_output --regexp "^rkmp-hook: 10.78.0.2: rkmp/tcp-md5/10.78.0.2/[0-9a-f]{2}-[0-9a-f]{2}/0001 \(by hand\): BIRD reloaded$"
	# the password is the Key's 64 hex digits (DESIGN.md §7), the file 0600
	run -0 grep -v '^#' "$W/bird.inc"
	assert_output "password \"$KEY\";"
	assert_equal "$(stat -c %a "$W/bird.inc")" 600
	assert_equal "$(cat "$W/calls")" "$W/fake/birdc -s $W/bird.ctl configure"
	# at an event, the same password again: no reload; by hand: always applied
	RKMP_EVENT=delete RKMP_PEER=10.78.0.2 run -0 hook bird --include "$W/bird.inc" -t "$W/a.kt" --socket "$W/bird.ctl"
	assert_output "rkmp-hook: 10.78.0.2: password unchanged (the delete event): BIRD not reloaded"
	assert_equal "$(wc -l < "$W/calls")" 1
	run -0 hook bird --include "$W/bird.inc" -t "$W/a.kt" --peer 10.78.0.2 --socket "$W/bird.ctl"
	assert_output --partial "(by hand): BIRD reloaded"
	assert_equal "$(wc -l < "$W/calls")" 2
	# a symbolic link: the file it names is replaced, the link stays
	mv "$W/bird.inc" "$W/real.inc"
	ln -s real.inc "$W/bird.inc"
	run -0 hook bird --include "$W/bird.inc" -t "$W/a.kt" --peer 10.78.0.2
	[ -L "$W/bird.inc" ]
	grep -q "$KEY" "$W/real.inc"
	# -q: silent
	run -0 hook bird -q --include "$W/bird.inc" -t "$W/a.kt" --peer 10.78.0.2
	assert_output ""
}

@test "rkmp-hook: run as --rp-hook, it takes the event's peer, protocol and table" {
	echo "Reconfigured" > "$W/answer"
	RKMP_EVENT=insert RKMP_PEER=10.78.0.2 RKMP_PROTOCOL=tcp-md5 RKMP_KEYTABLE=$W/a.kt \
	    run -0 hook bird --include "$W/bird.inc"
	assert_output --partial "(the insert event): BIRD reloaded"
	# another protocol's event, another neighbor's: nothing done
	rm "$W/calls"
	RKMP_EVENT=insert RKMP_PEER=10.78.0.2 RKMP_PROTOCOL=tcp-ao RKMP_KEYTABLE=$W/a.kt \
	    run -0 hook bird --include "$W/other.inc"
	RKMP_EVENT=insert RKMP_PEER=10.78.0.9 RKMP_PROTOCOL=tcp-md5 RKMP_KEYTABLE=$W/a.kt \
	    run -0 hook bird --include "$W/other.inc" --peer 10.78.0.2
	assert_output ""
	[ ! -e "$W/other.inc" ] && [ ! -e "$W/calls" ]
}

@test "rkmp-hook: a daemon that refuses gets its old file back; one not running gets the file for its start" {
	echo 'password "old";' > "$W/bird.inc"
	chmod 640 "$W/bird.inc"
	printf '%s\n' "bird.conf:3:1 syntax error" > "$W/answer"
	run -1 hook bird --include "$W/bird.inc" -t "$W/a.kt" --peer 10.78.0.2
	assert_line --index 0 "bird.conf:3:1 syntax error"
	assert_line --index 1 "rkmp-hook: 10.78.0.2: BIRD (birdc configure) did not take the new password: $W/bird.inc put back as it was"
	assert_equal "$(cat "$W/bird.inc")" 'password "old";'
	assert_equal "$(stat -c %a "$W/bird.inc")" 640
	[ -z "$(find "$W" -name '.rkmp-hook*')" ] || fail "temporary files left: $(find "$W" -name '.rkmp-hook*')"
	# not running: written (with the old file's mode), exit 0
	echo "Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory" > "$W/answer"
	run -0 hook bird --include "$W/bird.inc" -t "$W/a.kt" --peer 10.78.0.2
	assert_output --partial "(by hand): BIRD not running: $W/bird.inc written for its start"
	run -0 grep -c "$KEY" "$W/bird.inc"
	assert_equal "$(stat -c %a "$W/bird.inc")" 640
}

@test "rkmp-hook frr: the frr-bgp lines applied with vtysh -f; refused lines put the file back" {
	run -0 hook frr --file "$W/frr.conf" -t "$W/a.kt" --vty-socket "$W/vty"
	assert_output --partial "(by hand): bgpd reloaded"
	assert_equal "$(cat "$W/calls")" "$W/fake/vtysh -d bgpd --vty_socket $W/vty -f $W/frr.conf"
	run -0 grep -v '^ *!' "$W/frr.conf"
	assert_output "router bgp
 neighbor 10.78.0.2 password $KEY
exit"
	rm "$W/frr.conf"
	echo "line 2: % Unknown command[25]: neighbor" > "$W/answer"
	echo 1 > "$W/status"
	run -1 hook frr --file "$W/frr.conf" -t "$W/a.kt" --pathspace x
	assert_line --index 1 "rkmp-hook: every peer: bgpd (vtysh -d bgpd -N x -f) did not take the new password: $W/frr.conf put back as it was"
	[ ! -e "$W/frr.conf" ]
	echo "Exiting: failed to connect to any daemons." > "$W/answer"
	run -0 hook frr --file "$W/frr.conf" -t "$W/a.kt"
	assert_output --partial "bgpd not running: $W/frr.conf written; run rkmp-hook frr by hand once it runs"
	# FRR's file holds every neighbor: the event's peer does not narrow it
	RKMP_EVENT=insert RKMP_PEER=10.78.0.2 run -0 hook frr --file "$W/frr.conf" -t "$W/a.kt"
	run -0 grep -c 'neighbor .* password' "$W/frr.conf"
}

@test "rkmp-hook: errors are one line with the documented status" {
	run -2 hook bird --file x
	assert_line --index 0 "rkmp-hook: --file is not a bird option"
	run -2 hook bird -t "$W/a.kt"
	assert_line --index 0 "rkmp-hook: bird needs --include FILE"
	run -2 hook frr --file x --socket s -t t
	assert_line --index 0 "rkmp-hook: --socket is not a frr option"
	run -2 hook bird --include "$W/x.inc" -t "$W/a.kt"
	assert_line --index 0 "rkmp-hook: bird: which neighbor: --peer ADDR (a protocol bgp has one)"
	run -2 hook
	assert_line --index 0 "rkmp-hook: which daemon: bird or frr"
	run -2 hook bird --include
	assert_line --index 0 "rkmp-hook: --include needs an argument"
	# no key for that peer: nothing written, exit 1
	run -1 hook bird --include "$W/x.inc" -t "$W/a.kt" --peer 10.78.0.9
	assert_line --index 0 "rkmp-keytable: $W/a.kt: refused: bird-bgp: no tcp-md5 rows for 10.78.0.9"
	assert_line --index 1 "rkmp-hook: 10.78.0.9: no password written (by hand): $W/x.inc and BIRD left as they were"
	[ ! -e "$W/x.inc" ]
	# after the key's lifetime: no key to send, the file stays as it is
	echo 'password "kept";' > "$W/x.inc"
	run -1 hook bird --include "$W/x.inc" -t "$W/a.kt" --peer 10.78.0.2 --now 20991231000000Z
	assert_line --index 0 --partial "no tcp-md5 key to send to 10.78.0.2 at 2099-12-31T00:00:00Z"
	assert_equal "$(cat "$W/x.inc")" 'password "kept";'
	run -0 hook --help
	assert_line --index 0 --partial "usage: rkmp-hook bird --include FILE"
	# each daemon's options, as the completion offers them
	run -0 hook --list-options bird
	assert_equal "$(echo $output)" "--include --peer --socket -t --keytable --now -q --quiet -h --help --list-options"
	run -0 hook frr --list-options
	assert_equal "$(echo $output)" "--file --peer --pathspace --vty-socket -t --keytable --now -q --quiet -h --help --list-options"
}

@test "rkmp-hook completion: the daemon first, then its own options and their arguments" {
	run -0 complete_words rkmp-hook ""
	assert_equal "$(echo $output)" "bird frr"
	run -0 complete_words rkmp-hook bird --
	assert_equal "$output" "$(hook --list-options bird | grep -- '^--')"
	refute_line -- --vty-socket
	run -0 complete_words rkmp-hook frr --vty
	assert_output "--vty-socket"
	run -0 complete_words rkmp-hook bird --peer ""
	assert_output ""
	run -0 complete_words rkmp-hook bird -t testdata/keytable/table-o
	assert_output "testdata/keytable/table-ok.json"
}

#!/usr/bin/env bats
# bash completion: options come from the tool itself; arguments by kind.

load helpers

@test "completion is registered for rkmp-decode" {
	run -0 bash -c 'source completions/rkmp.bash; complete -p rkmp-decode'
	assert_output --partial "_rkmp"
}

@test "every option rkmp-decode lists is offered after --" {
	run -0 complete_words rkmp-decode --
	missing=$("$RKMP_BIN/rkmp-decode" --list-options | grep -- '^--' | grep -Fxv -f <(echo "$output")) || true
	[ -z "$missing" ] || fail "not offered: ${missing//$'\n'/ }"
}

@test "a prefix narrows the options" {
	run -0 complete_words rkmp-decode --rk
	assert_output "--rkmp-port"
}

@test "-r offers capture files and directories, not other files" {
	run -0 complete_words rkmp-decode -r testdata/decode/a-aes
	assert_line "testdata/decode/a-aes128-cbc-modp2048.pcap"
	refute_line --partial ".out"
}

@test "-i offers interfaces" {
	run -0 complete_words rkmp-decode -i l
	assert_line "lo"
}

@test "a tool that is not installed gives no options and no error" {
	run -0 --separate-stderr complete_words rkmp-keytable-missing --
	assert_equal "$stderr" ""
}

@test "every option rkmp-child lists is offered, --rekey-ike and the key-table options among them" {
	run -0 complete_words rkmp-child -
	# each listed option offered (one grep for them all)
	missing=$("$RKMP_BIN/rkmp-child" --list-options | grep -- '^-' | grep -Fxv -f <(echo "$output")) || true
	[ -z "$missing" ] || fail "not offered: ${missing//$'\n'/ }"
	assert_line -- "--rekey-ike"
	assert_line -- "--keytable"
	assert_line -- "--rp-hook"
}

@test "each step tool offers its own options only" {
	for tool in rkmp-init rkmp-auth rkmp-child; do
		run -0 complete_words "$tool" --
		assert_equal "$output" "$("$RKMP_BIN/$tool" --list-options | grep -- '^--')"
	done
	run -0 complete_words rkmp-child --p
	refute_line -- --psk-file
	refute_line -- --profile
	refute_line -- --proposal
	assert_line -- --pfs
	run -0 complete_words rkmp-init --re
	refute_line -- --rekey-ike
	assert_line -- --respond
	run -0 complete_words rkmp-auth --c
	refute_line -- --cookie
	assert_line -- --cert
	run -0 complete_words rkmp-auth --th
	assert_output ""
}

@test "rkmp-init --through offers auth; --fragment-size offers nothing (a number)" {
	run -0 complete_words rkmp-init --respond --through ""
	assert_output "auth"
	run -0 complete_words rkmp-init --th
	assert_output -- "--through"
	for tool in rkmp-init rkmp-auth rkmp-child; do
		run -0 complete_words "$tool" --fragment-size ""
		assert_output ""
	done
}

@test "step tools: -t and --events offer files" {
	for tool in rkmp-init rkmp-auth rkmp-child; do
		run -0 complete_words "$tool" -s a.json --events testdata/decode/a-aes
		assert_line "testdata/decode/a-aes128-cbc-modp2048.pcap"
		run -0 complete_words "$tool" -t testdata/decode/a-aes
		assert_line "testdata/decode/a-aes128-cbc-modp2048.pcap"
		run -0 complete_words "$tool" --keytable = testdata/decode/a-aes
		assert_line "testdata/decode/a-aes128-cbc-modp2048.pcap"
	done
}

@test "--rp-hook offers commands, and files for a path" {
	run -0 complete_words rkmp-child --rp-hook rkmp-keyt
	assert_line "rkmp-keytable"
	run -0 complete_words rkmp-auth --rp-hook = rkmp-keyt
	assert_line "rkmp-keytable"
	run -0 complete_words rkmp-child --rp-hook testdata/decode/a-aes
	assert_line "testdata/decode/a-aes128-cbc-modp2048.pcap"
}

@test "--peer-address and --now offer nothing" {
	for opt in --peer-address --now; do
		run -0 complete_words rkmp-child -s a.json "$opt" ""
		assert_output ""
		run -0 complete_words rkmp-init "$opt" 1
		assert_output ""
	done
}

@test "--rekey-ike takes no argument: options come next" {
	run -0 complete_words rkmp-child -s a.json --rekey-ike --rp
	assert_line -- "--rp-hook"
	refute_line -- "--rekey-ike"
	run -0 complete_words rkmp-child --rekey-ike ""
	assert_line -- "--liveness"
}

@test "rkmp-keytable's subcommands come from the tool (--list-commands), and its options per subcommand" {
	run -0 complete_words rkmp-keytable ""
	assert_equal "$output" "$("$RKMP_BIN/rkmp-keytable" --list-commands)"
	run -0 complete_words rkmp-keytable -t kt.json --now 20260101000000Z ex
	assert_equal "$(echo $output)" "expire export"
	# a tool with other subcommands: the completion offers those, and their options
	W=$BATS_TEST_TMPDIR
	mkdir "$W/bin"
	cat > "$W/bin/rkmp-keytable" <<-'EOS'
	#!/bin/sh
	case "$*" in
	--list-commands) printf 'frob\nfrobnicate\n' ;;
	"--list-options frob") printf -- '--alpha\n--json\n' ;;
	--list-options*) exit 2 ;;
	esac
	EOS
	chmod +x "$W/bin/rkmp-keytable"
	RKMP_BIN=$W/bin run -0 complete_words rkmp-keytable -t kt.json fr
	assert_equal "$(echo $output)" "frob frobnicate"
	RKMP_BIN=$W/bin run -0 complete_words rkmp-keytable frob --
	assert_equal "$(echo $output)" "--alpha --json"
	# an unknown subcommand (the tool refuses it): no options, no error
	run -0 --separate-stderr complete_words rkmp-keytable -t kt.json frobnicate --
	assert_output ""
	assert_equal "$stderr" ""
}

@test "rkmpd: its options from the daemon, -c a JSON file; rkmpctl: its commands from the client, then nothing it cannot know" {
	run -0 complete_words rkmpd --c
	assert_output "$(printf '%s\n' --config --check)"
	run -0 complete_words rkmpctl ""
	assert_equal "$output" "$("$RKMP_BIN/rkmpctl" --list-commands)"
	assert_line status
	assert_line rekey
	run -0 complete_words rkmpctl -s /run/rkmpd.sock re
	assert_output "$(printf '%s\n' rekey reload)"
	run -0 complete_words rkmpctl --timeout 5 -s /run/rkmpd.sock ge
	assert_output generate
	run -0 complete_words rkmpctl generate b --protocol b
	assert_output bfd
	run -0 complete_words rkmpd --del
	assert_output --delete-on-stop
	run -0 complete_words rkmpctl --json status ""
	assert_output ""
	run -0 complete_words rkmpctl --js
	assert_output --json
}

#!/usr/bin/env bats
# Command-line conventions shared by every binary: help, version, usage errors.

load helpers

BINS=(rkmp-decode rkmp-init rkmp-auth rkmp-child rkmp-keytable rkmpd rkmpctl)

@test "--help prints usage, every option and the exit statuses, exit 0" {
	for b in "${BINS[@]}"; do
		run -0 "$RKMP_BIN/$b" --help
		assert_output --partial "usage: $b"
		assert_output --partial "exit status"
		# each option it lists, as a word of the help (one grep for them all)
		opts=$("$RKMP_BIN/$b" --list-options | grep -- '^--') || fail "$b --list-options lists nothing"
		missing=$(grep -oE -- '--[a-z0-9][a-z0-9-]*' <<<"$output" | grep -Fxv -f - <(echo "$opts")) || true
		[ -z "$missing" ] || fail "$b --help lacks: ${missing//$'\n'/ }"
	done
}

@test "-h is --help" {
	run -0 "$RKMP_BIN/rkmp-decode" -h
	assert_line --index 0 --partial "usage: rkmp-decode"
}

@test "--version: one line, the version of VERSION, the commit and the OpenSSL version (rkmp-decode: jansson, libpcap)" {
	version=$(cat VERSION)
	[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "VERSION holds '$version', not N.N.N"
	for b in "${BINS[@]}"; do
		run -0 --separate-stderr "$RKMP_BIN/$b" --version
		assert_equal "${#lines[@]}" 1
		assert_equal "$stderr" ""
		assert_output --regexp "^$b ${version//./\\.} \(commit ([0-9a-f]{7,40}(-dirty)?|unknown)\) OpenSSL [0-9]+\.[0-9]+\.[0-9]+"
	done
	run -0 "$RKMP_BIN/rkmp-decode" --version
	assert_output --regexp ', jansson [0-9]+\.[0-9]+(\.[0-9]+)?, libpcap version [0-9]+\.'
}

# Options each tool does not take, though another one does: (tool option
# [argument]) per line.
FOREIGN=(
	"rkmp-init --rekey-ike"
	"rkmp-auth --through auth"
	"rkmp-child --through auth"
	"rkmp-auth --profile ikev2"
	"rkmp-auth --proposal aes128-sha256-modp2048"
	"rkmp-auth --seed 00"
	"rkmp-auth --cookie"
	"rkmp-auth --liveness"
	"rkmp-child --psk-file k.psk"
	"rkmp-child --cert c.pem"
	"rkmp-child --ca ca.pem"
	"rkmp-child --id fqdn:a.example"
	"rkmp-child --peer-id fqdn:b.example"
	"rkmp-child --childless"
	"rkmp-child --cookie"
	"rkmp-child --profile rkmp"
	"rkmp-child --seed 00"
	"rkmp-decode --respond"
	"rkmp-decode --show-keys"
	"rkmp-keytable --export-keys wireshark"
)

@test "an option of another tool is unknown: exit 2, one line naming it, nothing done" {
	W=$BATS_TEST_TMPDIR
	local -A lists helps
	for entry in "${FOREIGN[@]}"; do
		read -r b opt arg <<<"$entry"
		if [ -z "${lists[$b]+x}" ]; then
			lists[$b]=$("$RKMP_BIN/$b" --list-options)
			helps[$b]=$("$RKMP_BIN/$b" --help)
			[ -n "${lists[$b]}" ] && [ -n "${helps[$b]}" ] || fail "$b: no --list-options or --help"
		fi
		first=(-s "$W/x.json")
		[ "$b" != rkmp-keytable ] || first=(-t "$W/x.json")
		run -2 --separate-stderr "$RKMP_BIN/$b" "${first[@]}" "$opt" ${arg:+"$arg"}
		assert_equal "$output" ""
		assert_equal "${stderr%%$'\n'*}" "$b: unknown option '$opt'"
		[[ "$stderr" == *"usage: $b"* ]] || fail "$b $opt: no usage hint"
		assert_equal "$(grep -c -- "$opt" <<<"$stderr")" 1
		[ ! -e "$W/x.json" ] || fail "$b $opt created the state file"
		# and neither its help nor its completion offers it
		if grep -qx -- "$opt" <<<"${lists[$b]}"; then
			fail "$b --list-options lists $opt"
		fi
		if grep -qE -- "^ +(-[a-zA-Z], )?$opt( |\$)" <<<"${helps[$b]}"; then
			fail "$b --help shows $opt"
		fi
	done
	# as --opt=value, in a cluster of short options, and a prefix of two options
	run -2 --separate-stderr "$RKMP_BIN/rkmp-child" -s "$W/x.json" --psk-file=k.psk
	assert_equal "${stderr%%$'\n'*}" "rkmp-child: unknown option '--psk-file'"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" -qz x.bin
	assert_equal "${stderr%%$'\n'*}" "rkmp-decode: unknown option '-z'"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/x.json" --child x
	assert_equal "${stderr%%$'\n'*}" "rkmp-init: option '--child' is ambiguous"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-init" -s "$W/x.json" --respond=yes
	assert_equal "${stderr%%$'\n'*}" "rkmp-init: option '--respond' takes no argument"
}

@test "each step tool lists the options that apply to it, and no other" {
	# the table of DESIGN.md §6 as the tools split it: O = every step tool
	declare -A want=(
		[rkmp-init]="--profile --proposal --seed --cookie --id --peer-id --cert --key --ca --childless --child-proposal
		    --through --psk-file --protocol"
		[rkmp-auth]="--psk-file --id --peer-id --cert --key --ca --childless --child-proposal --protocol"
		[rkmp-child]="--create --protocol --pfs --rekey --delete --rekey-ike --delete-ike --liveness --child-proposal"
	)
	every="--state --in --out --respond --resend --peer --listen --local --retransmit --wait --linger --fragment-size
	    --wait-lock --keytable --peer-address --events --rp-hook --json --now --verbose --quiet --help
	    --version --list-options"
	for b in rkmp-init rkmp-auth rkmp-child; do
		got=$("$RKMP_BIN/$b" --list-options | grep -- '^--' | sort)
		[ -n "$got" ] || fail "$b --list-options prints nothing"
		assert_equal "$got" "$(printf '%s\n' $every ${want[$b]} | sort)"
	done
}

@test "unknown option: one reason line, the synopsis, exit 2" {
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --frobnicate
	assert_equal "$output" ""
	[[ "$stderr" == *"rkmp-decode: unknown option '--frobnicate'"* ]]
	[[ "$stderr" == *"usage: rkmp-decode"* ]]
}

@test "missing option argument is a usage error" {
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" -r
	[[ "$stderr" == *"option '-r' needs an argument"* ]]
}

@test "nothing to decode is a usage error" {
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode"
	[[ "$stderr" == *"nothing to decode"* ]]
}

@test "bad numbers are usage errors naming the value" {
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --port 70000 -r testdata/decode/f-cookie.pcap
	[[ "$stderr" == *"--port: '70000' is not a port (1..65535)"* ]]
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" -c -3 -r testdata/decode/f-cookie.pcap
	[[ "$stderr" == *"-c: '-3' is not a positive count"* ]]
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" --rkmp-port x -r testdata/decode/f-cookie.pcap
	[[ "$stderr" == *"--rkmp-port: 'x' is not a port"* ]]
}

@test "-i and -r together is a usage error" {
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" -i lo -r testdata/decode/f-cookie.pcap
	[[ "$stderr" == *"-i and -r cannot be combined"* ]]
}

@test "rkmp-decode: -f, --port and --rkmp-port apply to captures, not to message files alone" {
	msg=testdata/msgs/a-aes128-cbc-modp2048-01.bin
	for opt in "-f udp" "--port 5000" "--rkmp-port 5000"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" $opt "$msg"
		assert_equal "$output" ""
		[[ "$stderr" == "rkmp-decode: ${opt%% *} applies to captures (-r, -i), not to message files"$'\n'* ]] ||
		    fail "$opt: $stderr"
		# with a capture too, it applies
		# shellcheck disable=SC2086
		run -0 "$RKMP_BIN/rkmp-decode" -q $opt -r testdata/decode/f-cookie.pcap "$msg"
	done
	run -0 "$RKMP_BIN/rkmp-decode" -q -c 1 --json "$msg"
}

@test "a bad BPF filter is a usage error with libpcap's reason" {
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" -f 'udp port banana' -r testdata/decode/f-cookie.pcap
	[[ "$stderr" == *"rkmp-decode: testdata/decode/f-cookie.pcap:"* ]]
}

@test "options are accepted after file arguments (GNU style)" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" testdata/msgs/a-aes128-cbc-modp2048-01.bin -q
	assert_output --partial "IKE_SA_INIT initiator request"
	assert_equal "$stderr" ""
}

@test "every list of protocols (--help, completion) is the descriptors' (lib/protocols.c), as the usage error names them" {
	# the library's list: "tcp-ao, bfd, rsvp-te, tcp-md5 or esp"
	run -2 --separate-stderr "$RKMP_BIN/rkmp-keytable" -t x.json get --protocol nope --peer 192.0.2.1
	all=$(sed -n "1s/.*' is not //p" <<<"$stderr" | sed 's/,//g; s/ or / /')
	run -2 --separate-stderr "$RKMP_BIN/rkmp-auth" -s x.json --protocol nope
	rp=$(sed -n "1s/.*' is not //p" <<<"$stderr" | sed 's/,//g; s/ or / /')
	[ -n "$rp" ] && [ "$all" = "$rp esp" ] || fail "library lists '$all' and '$rp'"
	# rkmp-keytable --help: the names, then their numbers
	run -0 "$RKMP_BIN/rkmp-keytable" --help
	line=$(grep -- '--protocol PROTO' <<<"$output" | sed 's/.*--protocol PROTO *//; s/ (or .*//; s/,//g; s/ or / /')
	assert_equal "$line" "$all"
	# the step tools: tcp-ao|bfd|...
	run -0 "$RKMP_BIN/rkmp-auth" --help
	line=$(grep -o -- '--protocol [a-z0-9|-]*' <<<"$output" | head -1 | sed 's/--protocol //; s/|/ /g')
	assert_equal "$line" "$rp"
	# completion: every --protocol word list
	assert_equal "$(grep -c "_rkmp_words $all\$" completions/rkmp.bash)" 1
	assert_equal "$(grep -c "_rkmp_words $rp\$" completions/rkmp.bash)" 1
}

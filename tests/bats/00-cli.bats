#!/usr/bin/env bats
# Command-line conventions shared by every binary: help, version, usage errors.

load helpers

BINS=(rkmp-decode rkmp-init rkmp-auth rkmp-child rkmp-keytable)

@test "--help prints usage, every option and the exit statuses, exit 0" {
	for b in "${BINS[@]}"; do
		run -0 "$RKMP_BIN/$b" --help
		assert_output --partial "usage: $b"
		assert_output --partial "exit status"
		while read -r opt; do
			[[ "$opt" == --* ]] || continue
			assert_output --partial -- "$opt"
		done < <("$RKMP_BIN/$b" --list-options)
	done
}

@test "-h is --help" {
	run -0 "$RKMP_BIN/rkmp-decode" -h
	assert_line --index 0 --partial "usage: rkmp-decode"
}

@test "--version prints name and version" {
	run -0 "$RKMP_BIN/rkmp-decode" --version
	assert_output --regexp '^rkmp-decode [0-9a-z.-]+'
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

@test "a bad BPF filter is a usage error with libpcap's reason" {
	run -2 --separate-stderr "$RKMP_BIN/rkmp-decode" -f 'udp port banana' -r testdata/decode/f-cookie.pcap
	[[ "$stderr" == *"rkmp-decode: testdata/decode/f-cookie.pcap:"* ]]
}

@test "options are accepted after file arguments (GNU style)" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" testdata/msgs/a-aes128-cbc-modp2048-01.bin -q
	assert_output --partial "IKE_SA_INIT initiator request"
	assert_equal "$stderr" ""
}

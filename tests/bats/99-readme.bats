#!/usr/bin/env bats
# The README's console examples run as shown: tests/readme.sh runs every
# ```console block of README.md in order and compares each command's output
# with the lines under it (what varies from run to run normalised).

load helpers

@test "every console block of README.md prints what the README shows" {
	need jq
	need xxd
	need tshark
	need dumpcap
	run tests/readme.sh
	[ "$status" -eq 0 ] || fail "$output"
	assert_output --partial "printed what it shows"
}

# the checker itself, on a small README of its own
@test "readme.sh fails on a line that differs, a failed command, and names them; skips marked blocks" {
	W=$BATS_TEST_TMPDIR
	cat > "$W/R.md" <<-'EOF'
	# a README
	## decode
	```console
	$ rkmp-decode -r testdata/decode/g-invalid-ke.pcap -c 1
	06:16:17.678938 10.77.0.2.500 > 10.77.0.1.500: IKE_SA_INIT initiator request mid 0 b6f9794780a0b3d4:0000000000000000 len 312 [SA KE Nonce]
	rkmp-decode: 1 message, 0 malformed, 0 ESP skipped, 0 keepalives, 0 reassembled from IP fragments, 0 other packets skipped
	$ rkmp-decode -q nosuch.bin
	$ rkmp-decode -q nosuch.bin
	rkmp-decode: nosuch.bin: system: No such file or directory
	$ echo $?
	7
	$ sleep 0.2; echo late &
	late
	$ wait
	```
	<!-- readme-test: skip (never runs) -->
	```console
	$ exit 1
	```
	EOF
	run -1 tests/readme.sh "$W/R.md"
	# the payload list was cut short in the README: its line is named, with a diff
	assert_output --partial "R.md:4: block 1 (## decode): output differs at README line 5"
	assert_output --partial "+<time> 10.77.0.2.500 > 10.77.0.1.500: IKE_SA_INIT initiator request mid 0 <hex>:<hex> len 312 [SA KE Nonce N(NAT_DETECTION_SOURCE_IP)"
	# a command that fails though the README shows no status
	assert_output --partial "R.md:7: block 1 (## decode): output differs"
	refute_output --partial "R.md:8:"
	refute_output --partial "R.md:11:"
	assert_output --partial "2 of 6 commands differ"
	assert_output --partial "skipped block 2 (line 17): never runs"
	# the same, mended: passes
	sed -i 's/ \[SA KE Nonce\]$/ [SA KE Nonce N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP) N(IKEV2_FRAGMENTATION_SUPPORTED) N(SIGNATURE_HASH_ALGORITHMS) N(REDIRECT_SUPPORTED)]/' "$W/R.md"
	sed -i '7d' "$W/R.md"
	run -0 tests/readme.sh "$W/R.md"
	assert_output --partial "all 5 commands"
}

@test "readme.sh: a command with no output that fails is named with its status" {
	W=$BATS_TEST_TMPDIR
	printf '## s\n```console\n$ rkmp-decode -q -r testdata/decode/g-invalid-ke.pcap >/dev/null\n$ false\n```\n' > "$W/R.md"
	run -1 tests/readme.sh "$W/R.md"
	assert_output --partial "R.md:4: block 1 (## s): exit status 1 (the README shows none)"
}

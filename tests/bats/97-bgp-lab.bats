#!/usr/bin/env bats
# The BGP lab itself (tests/routing/bgp-lab.sh): BIRD 2 and FRR bgpd in two
# network namespaces, a session protected by TCP-MD5 with hand-written
# passwords.  The same password: Established, the key on the live TCP
# connection and every captured segment's digest valid for it; different ones
# (or one side without): the session stays down.  Needs root, BIRD 2 (bird2)
# and FRR (frr); without them it skips, or fails when RKMP_TEST_STRICT=1 (CI).

load helpers
load bgp-helpers

P1=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
P2=ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100

setup() {
	bgp_lab_setup
}

teardown() {
	bgp_lab_teardown
}

# inc SIDE KIND [PASSWORD]: SIDE's include file for KIND (bird|frr), no
# password line without PASSWORD; prints its name
inc() {
	local f=$W/$1.inc peer=10.78.0.1
	[ "$1" = a ] && peer=10.78.0.2
	: > "$f"
	if [ -n "${3:-}" ]; then
		if [ "$2" = bird ]; then
			echo "password \"$3\";" > "$f"
		else
			printf 'router bgp\n neighbor %s password %s\nexit\n' "$peer" "$3" > "$f"
		fi
	fi
	echo "$f"
}

start() { "$LAB" "$2" "$1" "$(inc "$1" "$2" "${3:-}")"; }	# start SIDE KIND [PASSWORD]

@test "bgp-lab: BIRD <-> BIRD, the same password: Established, TCP-MD5 on the session" {
	start a bird "$P1"
	start b bird "$P1"
	established_with "$P1"
	run -0 "$LAB" state a
	assert_output Established
}

@test "bgp-lab: FRR <-> FRR, the same password: Established, TCP-MD5 on the session" {
	start a frr "$P1"
	start b frr "$P1"
	established_with "$P1"
	run -0 "$LAB" state b
	assert_output Established
}

@test "bgp-lab: BIRD <-> FRR, the same password: Established; a wrong secret is not valid" {
	start a bird "$P1"
	start b frr "$P1"
	established_with "$P1"
	run -1 "$LAB" md5-on-session a "$P2"
	assert_output --partial "not valid for the secret given"
}

@test "bgp-lab: FRR <-> BIRD over IPv6, the same password: Established" {
	export RKMP_BGP_LAB_AF=6
	echo "password \"$P1\";" > "$W/b.inc"
	printf 'router bgp\n neighbor fd78::2 password %s\nexit\n' "$P1" > "$W/a.inc"
	"$LAB" frr a "$W/a.inc"
	"$LAB" bird b "$W/b.inc"
	run -0 "$LAB" wait-established a 30
	run -0 "$LAB" md5-on-session b "$P1"
	assert_output --partial "md5keys:fd78::1/128="
}

@test "bgp-lab: different passwords: the session stays down, the kernel counts bad digests" {
	start a bird "$P1"
	start b frr "$P2"
	run -0 "$LAB" stays-down a 8
	run -0 "$LAB" stays-down b 1
	run -0 "$LAB" md5-counters b
	assert_output --regexp 'TcpExtTCPMD5Failure [1-9]'
	run -1 "$LAB" md5-on-session a
}

@test "bgp-lab: a password on one side only: the session stays down" {
	start a frr "$P1"
	start b bird
	run -0 "$LAB" stays-down a 8
	run -0 "$LAB" md5-counters a
	assert_output --regexp 'TcpExtTCPMD5NotFound [1-9]'
	run -0 "$LAB" md5-counters b
	assert_output --regexp 'TcpExtTCPMD5Unexpected [1-9]'
}

@test "bgp-lab: no password on either side: Established, and md5-on-session fails" {
	start a bird
	start b frr
	run -0 "$LAB" wait-established a 30
	run -1 "$LAB" md5-on-session a
	assert_output --partial "no TCP-MD5 key"
}

@test "bgp-lab: a new password on both sides (bird-reload, frr-apply): Established with the new key" {
	start a bird "$P1"
	start b frr "$P1"
	established_with "$P1"
	inc a bird "$P2" >/dev/null
	run -0 reload a bird
	# BIRD restarts the session on a changed password; now the two differ
	run -0 "$LAB" stays-down a 3
	inc b frr "$P2" >/dev/null
	run -0 reload b frr
	established_with "$P2"
}

@test "bgp-lab: errors are one line, exit non-zero" {
	run -1 "$LAB" bird c /dev/null
	assert_output "bgp-lab: SIDE must be a or b, not 'c'"
	echo 'password "unterminated' > "$W/bad.inc"
	run -1 "$LAB" bird a "$W/bad.inc"
	assert_output --partial "bgp-lab: BIRD rejects the config"
	printf 'router bgp\n neighbor 10.78.0.2 pasword x\nexit\n' > "$W/bad.inc"
	run -1 "$LAB" frr a "$W/bad.inc"
	assert_output --partial "bgp-lab: bgpd stopped: vtysh -f"
	run -0 "$LAB" state a
	assert_output NotRunning
	run -1 "$LAB" bird-reload a
	assert_output "bgp-lab: no bird runs on side a"
}

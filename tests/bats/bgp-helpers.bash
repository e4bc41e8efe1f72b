# Shared by the BGP suites (97-bgp-lab, 98-bgp-rkmp): the lab of
# tests/routing/bgp-lab.sh, two namespaces NAME-a (10.78.0.1) and NAME-b
# (10.78.0.2) with BIRD 2 or FRR bgpd.  Skips without root, bird2 or frr, or
# fails when RKMP_TEST_STRICT=1 (CI).
# shellcheck shell=bash

# each suite its own namespaces (NAME-97-a, ...), so that run-checks.sh can run
# the suites side by side; RKMP_BGP_LAB_NAME (default rkmp-bgp) still sets NAME
RKMP_SUITE=${BATS_TEST_FILENAME##*/}
RKMP_SUITE=${RKMP_SUITE%%-*}
[[ ${RKMP_BGP_LAB_NAME:-} == *-"$RKMP_SUITE" ]] || export RKMP_BGP_LAB_NAME=${RKMP_BGP_LAB_NAME:-rkmp-bgp}-$RKMP_SUITE
LAB=$TOP/tests/routing/bgp-lab.sh

bgp_lab_setup() {
	[ "$EUID" = 0 ] || skip "the BGP lab needs root (network namespaces)"
	local missing="" f
	for f in /usr/sbin/bird /usr/sbin/birdc /usr/lib/frr/bgpd /usr/bin/vtysh; do
		[ -x "$f" ] || missing="$missing $f"
	done
	for f in ip ss nstat tcpdump jq; do
		command -v "$f" >/dev/null || missing="$missing $f"
	done
	if [ -n "$missing" ]; then
		[ "${RKMP_TEST_STRICT:-0}" = 1 ] && fail "the BGP lab (RKMP_TEST_STRICT=1): missing$missing"
		skip "the BGP lab: missing$missing (apt-get install bird2 frr iproute2 tcpdump jq)"
	fi
	LAB_USED=1
	W=$BATS_TEST_TMPDIR
	"$LAB" up
}

lab_paths() {	# LAB_DIR, LAB_NS_a and LAB_NS_b: the lab's run directory and namespaces, asked once
	LAB_DIR=$("$LAB" path dir)
	LAB_NS_a=$("$LAB" path ns-a)
	LAB_NS_b=$("$LAB" path ns-b)
}

bgp_lab_teardown() {
	# only when setup did not skip: the namespaces may be another run's
	[ -z "${LAB_USED:-}" ] && return 0
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		echo "# log a:"; "$LAB" log a 40 || true
		echo "# log b:"; "$LAB" log b 40 || true
	fi
	"$LAB" down
}

in_ns() {	# in_ns SIDE CMD...: run CMD in SIDE's namespace (lab_paths first)
	local ns=LAB_NS_$1
	shift
	ip netns exec "${!ns}" "$@"
}

reload() {	# reload SIDE KIND: the daemon re-reads SIDE's file ($W/SIDE.inc)
	if [ "$2" = bird ]; then "$LAB" bird-reload "$1"; else "$LAB" frr-apply "$1" "$W/$1.inc"; fi
}

established_with() {	# established_with SECRET: both sides Established, the key on both connections
	run -0 "$LAB" wait-established a 30
	run -0 "$LAB" wait-established b 10
	run -0 "$LAB" md5-on-session a "$1"
	assert_output --partial "md5keys:10.78.0.2/32="
	assert_output --partial "TCP-MD5 valid for the secret given"
	refute_output --partial "$1"	# ss's copy of the key is left out
	run -0 "$LAB" md5-on-session b "$1"
	assert_output --partial "md5keys:10.78.0.1/32="
}

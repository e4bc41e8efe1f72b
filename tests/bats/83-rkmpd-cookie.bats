#!/usr/bin/env bats
# rkmpd answering behind COOKIEs (RFC 7296 §2.6; rkmpd(8) cookie_threshold): on
# 127.0.0.1, a responder whose threshold is 0 asks every new RKMP_SA_INIT for a
# COOKIE; an initiating rkmpd repeats its request with it and gets through.
# (Found by make bench: the responder wiped the cookie it had asked for when
# the repeat came, and asked again, and again.)

load helpers
load rkmpd-helpers

setup() { rkmpd_setup; }
teardown() { rkmpd_teardown; }

# one child: the profile's first with its defaults (what no "children" key means)
CHILDREN='[{}]'

@test "rkmpd with cookie_threshold 0: every new RKMP_SA_INIT is asked for a COOKIE, the repeat with it is answered, the SA is established" {
	need jq
	conf a b "$PA" "$PB" always "$CHILDREN" "" ', "cookie_threshold": 64'
	conf b a "$PB" "$PA" respond "$CHILDREN" "" ', "cookie_threshold": 0'
	start b
	start a
	for _ in $(seq 100); do
		[ "$(jq -r .phase "$W/a/b.json" 2>/dev/null)" = established ] && break
		sleep 0.1
	done
	[ "$(jq -r .phase "$W/a/b.json")" = established ] || { cat "$W/a/log" "$W/b/log"; fail "not established"; }
	[ "$(jq -r .phase "$W/b/a.json")" = established ]
	# one COOKIE asked for and answered with: no second round
	[ "$(grep -c 'answered N(COOKIE)' "$W/b/log")" = 1 ] || { cat "$W/b/log"; fail "not one COOKIE round"; }
	run grep -c 'its cookie was wrong' "$W/b/log"
	assert_output 0
	grep -q 'responder asked for a COOKIE' "$W/a/log"
}

@test "rkmpd with cookie_threshold 0: a new RKMP_SA_INIT without the COOKIE is answered with one, no SA is kept and nothing written" {
	conf b a "$PB" "$PA" respond "$CHILDREN" "" ', "cookie_threshold": 0'
	start b
	"$RKMP_BIN/rkmp-init" -q -s "$W/i.json" --id fqdn:a.rkmpd.test -o "$W/1.bin"
	# the non-ESP marker (RFC 3948 §2.2: neither port is 500), one write, one datagram
	{ printf '\0\0\0\0'; cat "$W/1.bin"; } > "$W/1.dgram"
	# twice, from a port of its own (rkmpd then matches the peer by its address)
	for n in 1 2; do
		cat "$W/1.dgram" > "/dev/udp/127.0.0.1/$PB"
		for _ in $(seq 50); do
			[ "$(grep -c 'answered N(COOKIE)' "$W/b/log")" = "$n" ] && break
			sleep 0.1
		done
		[ "$(grep -c 'answered N(COOKIE)' "$W/b/log")" = "$n" ] || { cat "$W/b/log"; fail "no COOKIE $n"; }
	done
	# a flood of them: each answered, nothing written (the cookies are
	# stateless, RFC 7296 §2.6): no state file, no temp file beside it
	for _ in $(seq 30); do cat "$W/1.dgram"; done > "/dev/udp/127.0.0.1/$PB"
	for _ in $(seq 50); do
		[ "$(grep -c 'answered N(COOKIE)' "$W/b/log")" -ge 32 ] && break
		sleep 0.1
	done
	[ "$(grep -c 'answered N(COOKIE)' "$W/b/log")" -ge 32 ] || { cat "$W/b/log"; fail "not 30 more COOKIEs"; }
	[ ! -e "$W/b/a.json" ] || fail "a state file written: $(cat "$W/b/a.json")"
	run ls -A "$W/b"
	refute_output --partial .a.json.	# a temp file of the atomic write
	run "$RKMP_BIN/rkmpctl" -s "$W/b/ctl.sock" --json status a
	assert_success
	echo "$output" | jq -e '.peers[0].phase == "new"'
}

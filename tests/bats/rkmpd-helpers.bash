# shellcheck shell=bash
# Shared by the rkmpd suites (80-rkmpd, 81-rkmpd-life, 82-rkmpctl,
# 83-rkmpd-cookie): two daemons on 127.0.0.1 with random high ports, their
# configurations, starting them (PID[SIDE]), waiting on files.

# rkmpd_setup [hook]: the test's directory W with a/ and b/, the PSK, the ports PA
# and PB; hook: the configurations name an rp_hook that logs each call to SIDE/hook.log
rkmpd_setup() {
	W=$BATS_TEST_TMPDIR
	printf 'rkmpd-test-psk-0123456789\n' > "$W/k.psk"
	chmod 600 "$W/k.psk"
	PA=$((20000 + RANDOM % 20000))
	# shellcheck disable=SC2034 # (the suites')
	PB=$((PA + 1))
	mkdir -p "$W/a" "$W/b"
	HOOK=${1:-}
	if [ -n "$HOOK" ]; then
		# the hook: one line per call, as the events file has one per event
		# shellcheck disable=SC2016 # (the hook's $ expands when it runs)
		printf '#!/bin/sh\nprintf "%%s %%s\\n" "$RKMP_EVENT" "$RKMP_PROTOCOL" >> "$1"\n' > "$W/hook.sh"
		chmod 755 "$W/hook.sh"
	fi
	# every process a test starts, by name (start: the side); teardown ends them
	declare -gA PID=()
}

rkmpd_teardown() {
	local p
	for p in "${PID[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null || true; done
	for p in "${PID[@]}"; do wait "$p" 2>/dev/null || true; done
	# RKMP_KEEP=DIR: the last test's files and logs kept there (debugging)
	if [ -n "${RKMP_KEEP:-}" ]; then rm -rf "$RKMP_KEEP"; cp -r "$W" "$RKMP_KEEP"; fi
}

# conf SIDE OTHER MYPORT PEERPORT START CHILDREN [PEER-EXTRA [TOP-EXTRA]]: SIDE's
# configuration, peer OTHER; CHILDREN the JSON array; the extras are ", "-led keys
conf() {
	local hook=
	[ -z "$HOOK" ] || hook=", \"rp_hook\": \"$W/hook.sh $W/$1/hook.log\""
	cat > "$W/$1/conf.json" <<-EOF2
	{"format": "rkmpd-config", "version": 1, "listen": ["127.0.0.1:$3"],
	 "state_dir": "$W/$1", "keytable": "$W/$1/kt.json", "events": "$W/$1/events.json",
	 "control": "$W/$1/ctl.sock"$hook${8:-},
	 "peers": [{"name": "$2", "address": "127.0.0.1", "port": $4, "profile": "rkmp",
	   "id": "fqdn:$1.rkmpd.test", "peer_id": "fqdn:$2.rkmpd.test", "psk_file": "$W/k.psk",
	   "start": "$5", "children": $6${7:-}}]}
	EOF2
}

# start SIDE [OPTION...]: rkmpd (with the options) in the foreground of a
# background job, logging to SIDE/log; PID[SIDE] its PID; back once it listens
start() {
	local side=$1
	shift
	"$RKMP_BIN/rkmpd" -f -v "$@" -c "$W/$side/conf.json" 2>>"$W/$side/log" &
	PID[$side]=$!
	wait_for 5 "rkmpd $side to listen" test -S "$W/$side/ctl.sock"
}

# pair START CHILDREN: b answers, a initiates (START: always or on-demand); both up
pair() {
	conf a b "$PA" "$PB" "$1" "$2"
	conf b a "$PB" "$PA" respond "$2"
	start b
	start a
}

# established_pair CHILDREN: pair always CHILDREN, both sides established with
# every child of their configuration live
established_pair() {
	pair always "$1"
	wait_for 10 "established SA" established a b
	wait_for 5 "b established" established b a
}

# wait_for SECONDS WHAT CMD...: CMD polled until it succeeds, every 0.1 s for
# the first second, then every 0.3 s (a poll is a few processes under bats's
# trap; the long waits, DPD's and back-offs, took most of a suite's CPU); a
# failure names WHAT and shows both logs
wait_for() {
	local secs=$1 end=$((SECONDS + $1)) what=$2 polls=0
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "--- a/log"; tail -n 30 "$W/a/log" 2>/dev/null || true
			echo "--- b/log"; tail -n 30 "$W/b/log" 2>/dev/null || true
			fail "no $what within $secs s"
		fi
		if [ "$((polls += 1))" -le 10 ]; then sleep 0.1; else sleep 0.3; fi
	done
}

# events SIDE KIND [PROTOCOL]: how many events of KIND (of PROTOCOL) SIDE's file has
events() {
	[ -s "$W/$1/events.json" ] || { echo 0; return; }
	# (0 while a line is half written)
	jq -s --arg k "$2" --arg p "${3:-}" '[.[] | select(.event == $k and ($p == "" or .protocol == $p))] | length' "$W/$1/events.json" 2>/dev/null || echo 0
}

# at_least N CMD...: CMD's output is a number >= N
at_least() {
	local n=$1
	shift
	[ "$("$@")" -ge "$n" ]
}

# established SIDE PEER: SIDE's state of PEER is established with every child
# of its configuration live (one jq for both files: the waits poll this)
established() {
	jq -en '(input.peers[0].children | length) as $n | input
	    | .phase == "established" and ([.children[] | select(.state == "established")] | length) >= $n' \
	    "$W/$1/conf.json" "$W/$1/$2.json" >/dev/null
}

# keys_of SIDE local|peer: the keys of SIDE's table as "protocol sender receiver key",
# sorted; a's LocalKeyName is b's PeerKeyName, so b's rows are read the other way
# round (jq's sort: the byte order, sort's under LC_ALL=C)
keys_jq_local='[.rows[] | "\(.Protocol) \(.LocalKeyName) \(.PeerKeyName) \(.Key)"] | sort'
keys_jq_peer='[.rows[] | "\(.Protocol) \(.PeerKeyName) \(.LocalKeyName) \(.Key)"] | sort'
keys_of() {
	if [ "$2" = local ]; then
		jq -r "$keys_jq_local | .[]" "$W/$1/kt.json"
	else
		jq -r "$keys_jq_peer | .[]" "$W/$1/kt.json"
	fi
}

# same_keys: a's and b's tables hold the same keys (read again for up to 1 s:
# an exchange half done has written one table and not yet the other); one jq
# for both tables, as keys_of reads them
same_keys() {
	local out
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		out=$(jq -rn "(input | $keys_jq_local) as \$a | (input | $keys_jq_peer) as \$b | $same_jq" \
		    "$W/a/kt.json" "$W/b/kt.json" 2>&1) && [ "$out" = same ] && return 0
		sleep 0.1
	done
	echo "$out"
	return 1
}
same_jq='if ($a | length) > 0 and $a == $b then "same"
    else "a: \($a | join("\n"))\nb: \($b | join("\n"))" end'

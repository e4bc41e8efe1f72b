#!/usr/bin/env bash
# make demo: the toolkit's main job in a few seconds, as a tutorial.
#   tests/demo.sh BINDIR
# Two sides, a and b, negotiate an RKMP SA over files, decode and decrypt that
# exchange with a's state file, negotiate another over UDP on 127.0.0.1 (the
# responder listens in the background), create a BFD SA into a key table on
# each side and check that both tables hold the same key; last, decode and
# decrypt a strongSwan capture shipped in testdata/.  Each step is printed as the
# command a user would type, followed by its output.  Any failed step fails
# the demo (exit 1, naming the step).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$top/build/bin}" && pwd) || { echo "demo: no binary directory ${1:-}" >&2; exit 2; }
for b in rkmp-init rkmp-auth rkmp-child rkmp-keytable rkmp-decode; do
	[ -x "$bin/$b" ] || { echo "demo: $bin/$b is not built (run make)" >&2; exit 2; }
done
export PATH="$bin:$PATH" TZ=UTC LC_ALL=C

w=$(mktemp -d "${TMPDIR:-/tmp}/rkmp-demo.XXXXXX") || exit 7
bg=()	# PIDs of background responders: killed if the demo stops early
cleanup() {
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$w"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$w" || exit 7
ln -s "$top/testdata" testdata

fail() {
	echo "demo: FAILED: $*" >&2
	exit 1
}

# show WORD...: a command line as typed (words quoted only where the shell needs it)
show() {
	local out='$' a
	for a in "$@"; do
		if [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
	done
	printf '%s\n' "$out"
}

# run WORD...: show the command, run it, fail the demo if it fails
run() {
	show "$@"
	"$@" 2>&1 || fail "'$*' exited $?"
}

# sh 'LINE': a shell line (pipes, redirections), shown and run as it is
sh() {
	printf '$ %s\n' "$1"
	bash -o pipefail -c "$1" 2>&1 || fail "'$1' exited $?"
}

# spawn WORD...: a responder in the background ("&"); waits until it listens
spawn() {
	local i
	printf '%s &\n' "$(show "$@")"
	"$@" >"$w/bg.log" 2>&1 &
	bg+=($!)
	for ((i = 0; i < 40; i++)); do
		grep -q 'listening on' "$w/bg.log" && break
		kill -0 "${bg[-1]}" 2>/dev/null || break
		sleep 0.05
	done
	cat "$w/bg.log"
	shown=$(wc -l < "$w/bg.log")
}

# reap: "wait" for the background responder; the rest of its output, its status
reap() {
	local st
	echo '$ wait'
	wait "${bg[-1]}"
	st=$?
	tail -n +"$((shown + 1))" "$w/bg.log"
	unset 'bg[-1]'
	[ "$st" = 0 ] || fail "the background responder exited $st"
}

section() {
	printf '\n== %s\n' "$*"
}

t0=$(date +%s%N)
echo "rkmp demo: two routers, a and b, agree on keys.  Working in $w"
echo "(PATH starts with $bin; after the build:  export PATH=\"\$PWD/build/bin:\$PATH\")"

section "1. An RKMP SA over files: every run is one half of an exchange"
sh "printf 'a long shared secret\n' > k.psk; chmod 600 k.psk"
run rkmp-init -s a.json --id fqdn:a.example -o 1.bin
run rkmp-init -s b.json --respond --id fqdn:b.example -i 1.bin -o 2.bin
run rkmp-init -s a.json -i 2.bin
run rkmp-auth -s a.json --psk-file k.psk -o 3.bin
run rkmp-auth -s b.json --respond --psk-file k.psk -i 3.bin -o 4.bin
run rkmp-auth -s a.json -i 4.bin
echo "# the four messages, decoded, and decrypted with a's keys (SK{...}: the payloads inside)"
run rkmp-decode -s a.json 1.bin 2.bin 3.bin 4.bin
for s in a b; do
	grep -q '"phase": *"established"' "$s.json" || fail "$s.json is not established"
done

section "2. The same over UDP on 127.0.0.1, each side with its RFC 7210 key table (-t)"
# a free port is likely among these; the rkmp profile's default is 50500
port=$((20000 + RANDOM % 20000))
echo "# the responder listens in the background for at most 10 s (--wait); port $port (default: 50500)"
spawn rkmp-init -s ub.json --respond --id fqdn:b.example --listen "127.0.0.1:$port" --wait 10
run rkmp-init -s ua.json --id fqdn:a.example --peer "127.0.0.1:$port"
reap
spawn rkmp-auth -s ub.json --respond --psk-file k.psk -t b.kt --listen "127.0.0.1:$port" --wait 10
run rkmp-auth -s ua.json --psk-file k.psk -t a.kt --peer "127.0.0.1:$port"
reap

section "3. A BFD SA (a routing-protocol SA) into both key tables"
spawn rkmp-child -s ub.json --respond -t b.kt --listen "127.0.0.1:$port" --wait 10
run rkmp-child -s ua.json -t a.kt --protocol bfd --peer "127.0.0.1:$port"
reap
# a new row is sent with from 5 s after it was installed: ask as of 10 s from now
now=$(date -u -d '+10 seconds' +%Y%m%d%H%M%SZ)
echo "# the key a sends to b with, as of $now (a row is sent with from 5 s after it is installed)"
sel=$(rkmp-keytable -t a.kt select --protocol bfd --peer 127.0.0.1 --now "$now" --json 2>&1) ||
    fail "rkmp-keytable select: $sel"
show rkmp-keytable -t a.kt select --protocol bfd --peer 127.0.0.1 --now "$now" --json
echo "$sel"
sent=$(sed -n 's/.*"PeerKeyName": *"\([0-9a-f]*\)".*/\1/p' <<<"$sel")
[ -n "$sent" ] || fail "no PeerKeyName in a's row"
echo "# the key b looks up under the KeyID $sent that a sends"
look=$(rkmp-keytable -t b.kt lookup --protocol bfd --peer 127.0.0.1 --key-name "$sent" --now "$now" --json 2>&1) ||
    fail "rkmp-keytable lookup: $look"
show rkmp-keytable -t b.kt lookup --protocol bfd --peer 127.0.0.1 --key-name "$sent" --now "$now" --json
echo "$look"
ka=$(sed -n 's/.*"Key": *"\([0-9a-f]*\)".*/\1/p' <<<"$sel")
kb=$(sed -n 's/.*"Key": *"\([0-9a-f]*\)".*/\1/p' <<<"$look")
if [ -z "$ka" ] || [ "$ka" != "$kb" ]; then
	fail "a sends with key '$ka', b receives with key '$kb'"
fi
echo "# the same key on both sides: $ka"

section "4. A strongSwan capture shipped in testdata/ (INVALID_KE_PAYLOAD retry, IKE_AUTH, DELETE)"
echo "# decoded, and decrypted with the keys strongSwan logged for Wireshark"
run rkmp-decode --keys testdata/keys/g-invalid-ke.ikev2_decryption_table -r testdata/decode/g-invalid-ke.pcap

ms=$((($(date +%s%N) - t0) / 1000000))
printf '\ndemo: done in %d.%02d s; more in README.md and the man pages (man -l man/rkmp.7)\n' \
    $((ms / 1000)) $((ms % 1000 / 10))

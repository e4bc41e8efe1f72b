#!/usr/bin/env bats
# Man pages: lint-clean, they document every option and exit status, and
# their scripted examples run as shown.

load helpers

@test "man pages are mandoc -Tlint clean" {
	need mandoc
	run -0 mandoc -Tlint -W warning man/rkmp-decode.1 man/rkmp-init.1 man/rkmp-auth.1 \
	    man/rkmp-child.1 man/rkmp-keytable.1 man/rkmp.7 man/rkmp-hook.8 \
	    man/rkmpd.8 man/rkmpctl.1
	assert_output ""
}

# listed BINARY: the options BINARY lists (--list-options), one per line, sorted
listed() {
	"$RKMP_BIN/$1" --list-options | sort
}

# items PAGE: the options (-s, --state) on the .It lines of PAGE's OPTIONS and
# TESTING OPTIONS sections, from the source, one per line, sorted
items() {
	awk '/^\.Sh / { on = ($0 == ".Sh OPTIONS" || $0 == ".Sh TESTING OPTIONS"); next }
	    on && /^\.It / {
		line = $0
		while (match(line, /Fl -?[A-Za-z0-9][A-Za-z0-9-]*/)) {
			print "-" substr(line, RSTART + 3, RLENGTH - 3)
			line = substr(line, RSTART + RLENGTH)
		}
	    }' "man/$1" | sort -u
}

# synopsis PAGE: the options of PAGE's SYNOPSIS, from the source, clusters
# (.Op Fl qv) split, one per line, sorted
synopsis() {
	awk '/^\.Sh / { on = ($0 == ".Sh SYNOPSIS"); next }
	    on {
		line = $0
		while (match(line, /Fl -?[A-Za-z0-9][A-Za-z0-9-]*/)) {
			w = substr(line, RSTART + 3, RLENGTH - 3)
			if (w ~ /^-/)
				print "-" w
			else
				for (i = 1; i <= length(w); i++)
					print "-" substr(w, i, 1)
			line = substr(line, RSTART + RLENGTH)
		}
	    }' "man/$1" | sort -u
}

# page_documents_options PAGE BINARY: PAGE's OPTIONS (and TESTING OPTIONS)
# hold an item for exactly the options BINARY lists, and its SYNOPSIS shows
# each of them (by its short or its long name) and no other
page_documents_options() {
	local opts syn short='' line bad=0
	opts=$(listed "$2")
	syn=$(synopsis "$1")
	[ -n "$opts" ] || fail "$2 --list-options prints nothing" || return
	[ -n "$(items "$1")" ] || fail "$1 has no option items" || return
	if ! diff -u <(echo "$opts") <(items "$1"); then
		echo "$1 OPTIONS and $2 --list-options differ (+: the page only)"
		bad=1
	fi
	# every option of the SYNOPSIS is the binary's
	if ! diff <(comm -23 <(echo "$syn") <(echo "$opts")) /dev/null; then
		echo "$1 SYNOPSIS shows options $2 does not take"
		bad=1
	fi
	# each option of the binary, short or long, is in the SYNOPSIS
	while read -r line; do
		if [[ "$line" == -? ]]; then
			short=$line
			continue
		fi
		if ! grep -qx -e "$line" ${short:+-e "$short"} <<<"$syn"; then
			echo "$1 SYNOPSIS lacks $line${short:+ ($short)}"
			bad=1
		fi
		short=
	done < <("$RKMP_BIN/$2" --list-options)
	[ "$bad" = 0 ] || fail "$1 does not document exactly the options of $2"
}

# page_documents_exits PAGE STATUS...: each STATUS is an item of PAGE's EXIT STATUS
page_documents_exits() {
	local page s name=$1
	shift
	page=$(mandoc -Tutf8 "man/$name" | col -b | sed -n '/^EXIT STATUS/,/^EXAMPLES/p')
	[ -n "$page" ] || fail "$name has no EXIT STATUS section followed by EXAMPLES"
	for s in "$@"; do
		grep -qE "^ +$s([[:space:]]|$)" <<<"$page" || fail "$name EXIT STATUS lacks $s"
	done
}

@test "each man page documents exactly the options its binary takes, in OPTIONS and in the SYNOPSIS" {
	for b in rkmp-decode rkmp-init rkmp-auth rkmp-child rkmp-keytable; do
		page_documents_options "$b.1" "$b"
	done
	# the script rkmp-hook, a section 8 page
	page_documents_options rkmp-hook.8 rkmp-hook
	# the daemon and its client
	page_documents_options rkmpd.8 rkmpd
	page_documents_options rkmpctl.1 rkmpctl
}

@test "rkmpd(8) and rkmpctl(1) document the exit statuses the binaries use; rkmpd(8) every configuration key" {
	need mandoc
	page_documents_exits rkmpd.8 0 2 3 6 7
	page_documents_exits rkmpctl.1 0 1 2 3 6 7
	page=$(mandoc -Tutf8 man/rkmpd.8 | col -b | sed -n '/^CONFIGURATION/,/^SIGNALS/p')
	# the keys the validator knows: its own "known here" lists
	W=$BATS_TEST_TMPDIR
	echo k > "$W/k.psk"
	chmod 600 "$W/k.psk"
	for obj in '{"format":"rkmpd-config","version":1,"x":1}' \
	    '{"format":"rkmpd-config","version":1,"state_dir":"/tmp","control":"/tmp/c.sock","peers":[{"x":1}]}' \
	    "{\"format\":\"rkmpd-config\",\"version\":1,\"state_dir\":\"/tmp\",\"control\":\"/tmp/c.sock\",\"peers\":[{\"name\":\"b\",\"address\":\"192.0.2.2\",\"id\":\"fqdn:a.test\",\"psk_file\":\"$W/k.psk\",\"children\":[{\"x\":1}]}]}"; do
		echo "$obj" > "$W/c.json"
		run -2 --separate-stderr "$RKMP_BIN/rkmpd" --check -c "$W/c.json"
		keys=$(sed -n 's/.*known here: \(.*\))$/\1/p' <<<"$stderr" | tr -d ' ' | tr , ' ')
		[ -n "$keys" ] || fail "no key list in: $stderr"
		for k in $keys; do
			grep -qw -- "$k" <<<"$page" || fail "rkmpd(8) CONFIGURATION lacks $k"
		done
	done
}

@test "the option check fails for another tool's page, and for a binary that lists nothing" {
	# rkmp-auth(1) against rkmp-child's options
	run page_documents_options rkmp-auth.1 rkmp-child
	assert_failure
	assert_output --partial "rkmp-auth.1 OPTIONS and rkmp-child --list-options differ"
	assert_output --partial "rkmp-auth.1 SYNOPSIS lacks --rekey-ike"
	# a binary whose --list-options prints nothing
	W=$BATS_TEST_TMPDIR
	mkdir "$W/bin"
	printf '#!/bin/sh\nexit 0\n' > "$W/bin/rkmp-auth"
	chmod +x "$W/bin/rkmp-auth"
	RKMP_BIN=$W/bin run page_documents_options rkmp-auth.1 rkmp-auth
	assert_failure
	assert_output --partial "rkmp-auth --list-options prints nothing"
}

@test "rkmp-keytable(1) SYNOPSIS: each subcommand with exactly the options it takes" {
	# the forms of each subcommand, from the source; every form also takes -q and --json
	forms=$(awk '/^\.Sh / { on = ($0 == ".Sh SYNOPSIS"); next }
	    on && $0 == ".Nm" { sub_ = ""; keep = 1; next }
	    on && /^\.Pp/ { keep = 0 }
	    on && keep && sub_ == "" && /^\.Cm / { sub_ = $2 }
	    on && keep && sub_ != "" {
		line = $0
		while (match(line, /Fl -[A-Za-z0-9][A-Za-z0-9-]*/)) {
			print sub_, "-" substr(line, RSTART + 3, RLENGTH - 3)
			line = substr(line, RSTART + RLENGTH)
		}
	    }' man/rkmp-keytable.1)
	[ -n "$forms" ] || fail "no subcommand forms in rkmp-keytable(1)"
	subs=$("$RKMP_BIN/rkmp-keytable" --list-commands)
	[ -n "$subs" ] || fail "rkmp-keytable --list-commands prints nothing"
	for sub in $subs; do
		run -0 "$RKMP_BIN/rkmp-keytable" --list-options "$sub"
		# every subcommand lists the options all of them take: nothing listed is no match
		[ -n "$output" ] || fail "rkmp-keytable --list-options $sub prints nothing"
		assert_line -- --keytable
		assert_line -- --json
		want=$(grep -- '^--' <<<"$output" |
		    grep -vxE -- '--(keytable|json|quiet|help|version|list-options|list-commands)' | sort)
		got=$(awk -v s="$sub" '$1 == s { print $2 }' <<<"$forms" | sort -u)
		assert_equal "$got" "$want"
	done
}

@test "rkmp-decode(1) documents every exit status the binary uses, and rkmp(7) the whole table" {
	need mandoc
	page_documents_exits rkmp-decode.1 0 2 4 6 7
	page=$(mandoc -Tutf8 man/rkmp.7 | col -b)
	for s in 0 1 2 3 4 5 6 7 70; do
		grep -qE "^ +$s([[:space:]]|$)" <<<"$page" || fail "rkmp(7) lacks exit status $s"
	done
}

@test "rkmp-init(1), rkmp-auth(1) and rkmp-child(1) document every exit status of the step tools" {
	need mandoc
	page_documents_exits rkmp-init.1 0 1 2 3 4 5 6 7 70
	page_documents_exits rkmp-auth.1 0 1 2 3 4 5 6 7 70
	page_documents_exits rkmp-child.1 0 1 2 3 4 5 6 7 70
}

@test "rkmp(7) documents every key of a state file" {
	need mandoc
	need jq
	W=$BATS_TEST_TMPDIR
	bin=$(cd "$RKMP_BIN" && pwd)
	printf 'k\n' > "$W/k.psk"; chmod 600 "$W/k.psk"
	(cd "$W" &&
	    "$bin/rkmp-init" -q -s a.json --id fqdn:a.example --peer-id fqdn:b.example -o 1.bin &&
	    "$bin/rkmp-init" -q -s b.json --respond --id fqdn:b.example -i 1.bin -o 2.bin &&
	    "$bin/rkmp-init" -q -s a.json -i 2.bin &&
	    "$bin/rkmp-auth" -q -s a.json --psk-file k.psk -o 3.bin &&
	    "$bin/rkmp-auth" -q -s b.json --respond --psk-file k.psk -i 3.bin -o 4.bin &&
	    "$bin/rkmp-auth" -q -s a.json -i 4.bin) || fail "the scripted negotiation failed"
	# a child with PFS, then a request left pending: ike_sa.pending and its keys
	(cd "$W" &&
	    "$bin/rkmp-child" -q -s a.json --protocol bfd --pfs x25519 -o 5.bin &&
	    "$bin/rkmp-child" -q -s b.json --respond -i 5.bin -o 6.bin &&
	    "$bin/rkmp-child" -q -s a.json -i 6.bin &&
	    "$bin/rkmp-child" -q -s a.json --rekey "$(jq -r '.children[1].spi_local' a.json)" \
	        --pfs x25519 -o 7.bin) || fail "the child exchanges failed"
	[ "$(jq -r '.ike_sa.pending.dh_group' "$W/a.json")" = CURVE25519 ] || fail "no pending request"
	page=$(mandoc -Tutf8 man/rkmp.7 | col -b | sed -n '/^STATE FILE/,/^TESTING/p')
	for k in $(jq -r '[paths | map(select(type == "string")) | last] | unique | .[]' "$W/a.json" "$W/b.json"); do
		[[ "$page" == *"$k"* ]] || fail "rkmp(7) STATE FILE does not mention the key $k"
	done
}

# The scripted negotiation of rkmp-auth(1) EXAMPLES: its commands, run in a
# scratch directory, print the decode shown (SPIs aside).
@test "the scripted negotiation in the EXAMPLES of rkmp-auth(1) runs as shown" {
	W=$BATS_TEST_TMPDIR
	sed -n '/^The scripted negotiation over files/,/^\.Ed/p' man/rkmp-auth.1 |
	    sed -n '/^\.Bd/,/^\.Ed/p' | sed '1d;$d; s/\\e/\\/g' > "$W/example"
	grep '^\$ ' "$W/example" | sed 's/^\$ //' > "$W/commands"
	grep -v '^\$ ' "$W/example" | sed -E 's/[0-9a-f]{16}/SPI/g' > "$W/expected"
	[ "$(wc -l < "$W/commands")" -ge 7 ] || fail "no scripted negotiation found in rkmp-auth(1)"
	bin=$(cd "$RKMP_BIN" && pwd)
	(cd "$W" && PATH=$bin:$PATH bash -e commands 2>/dev/null) > "$W/got" ||
	    fail "a command of the example failed: $(cat "$W/commands")"
	sed -E 's/[0-9a-f]{16}/SPI/g' "$W/got" | diff -u "$W/expected" - || fail "the decode differs from the man page"
}

# The child exchanges of rkmp-child(1) EXAMPLES: after the scripted
# negotiation, its commands print what is shown (SPIs aside).
@test "the child exchanges in the EXAMPLES of rkmp-child(1) run as shown" {
	need jq
	W=$BATS_TEST_TMPDIR
	sed -n '/^The child exchanges over files/,/^\.Ed/p' man/rkmp-child.1 |
	    sed -n '/^\.Bd/,/^\.Ed/p' | sed '1d;$d; s/\\e/\\/g' > "$W/example"
	grep '^\$ ' "$W/example" | sed 's/^\$ //' > "$W/commands"
	[ "$(wc -l < "$W/commands")" -ge 10 ] || fail "no child exchanges found in rkmp-child(1)"
	# SPIs differ from run to run: the RKMP SA's, and the children's in notes and JSON
	norm() {
		sed -E 's/[0-9a-f]{16}/SPI/g; s/SPI [0-9a-f]+/SPI X/g; s/"(spi_local|spi_peer)":"[0-9a-f]+"/"\1":"X"/g'
	}
	grep -v '^\$ ' "$W/example" | norm > "$W/expected"
	bin=$(cd "$RKMP_BIN" && pwd)
	printf 'a long shared secret\n' > "$W/k.psk"; chmod 600 "$W/k.psk"
	(cd "$W" &&
	    "$bin/rkmp-init" -q -s a.json --id fqdn:a.example -o 1.bin &&
	    "$bin/rkmp-init" -q -s b.json --respond --id fqdn:b.example -i 1.bin -o 2.bin &&
	    "$bin/rkmp-init" -q -s a.json -i 2.bin &&
	    "$bin/rkmp-auth" -q -s a.json --psk-file k.psk -o 3.bin &&
	    "$bin/rkmp-auth" -q -s b.json --respond --psk-file k.psk -i 3.bin -o 4.bin &&
	    "$bin/rkmp-auth" -q -s a.json -i 4.bin) || fail "the scripted negotiation failed"
	(cd "$W" && PATH=$bin:$PATH bash -e commands 2>&1) > "$W/got" ||
	    fail "a command of the example failed: $(cat "$W/got")"
	norm < "$W/got" | diff -u "$W/expected" - || fail "the output differs from the man page"
}

@test "the README's decode examples run as shown" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -r testdata/decode/g-invalid-ke.pcap
	grep -qF -- "${lines[1]}" README.md || fail "README does not show the current output line: ${lines[1]}"
}

# Two established state files in $W (a: initiator, b: responder), over files
negotiate() {
	bin=$(cd "$RKMP_BIN" && pwd)
	printf 'a long shared secret\n' > "$W/k.psk"; chmod 600 "$W/k.psk"
	(cd "$W" &&
	    "$bin/rkmp-init" -q -s a.json --id fqdn:a.example -o 1.bin &&
	    "$bin/rkmp-init" -q -s b.json --respond --id fqdn:b.example -i 1.bin -o 2.bin &&
	    "$bin/rkmp-init" -q -s a.json -i 2.bin &&
	    "$bin/rkmp-auth" -q -s a.json --psk-file k.psk -o 3.bin &&
	    "$bin/rkmp-auth" -q -s b.json --respond --psk-file k.psk -i 3.bin -o 4.bin &&
	    "$bin/rkmp-auth" -q -s a.json -i 4.bin)
}

@test "rkmp(7) documents the state keys of a rekey of the RKMP SA and of a revoke" {
	need mandoc
	need jq
	W=$BATS_TEST_TMPDIR
	negotiate || fail "the scripted negotiation failed"
	# a's rekey request pending (ike_sa.pending.ike_spi), then b holding the old SA
	(cd "$W" &&
	    "$bin/rkmp-child" -q -s a.json --rekey-ike -o r1.bin &&
	    cp a.json a.pending.json &&
	    "$bin/rkmp-child" -q -s b.json --respond -i r1.bin -o r2.bin) || fail "the rekey failed"
	[ "$(jq -r '.ike_sa.old.spi_i' "$W/b.json")" != null ] || fail "b keeps no old SA"
	# a liveness check with no answer: the children revoked
	cp "$W/b.json" "$W/c.json"
	run -6 "$bin/rkmp-child" -q -s "$W/c.json" -t "$W/c.kt" --liveness --peer 127.0.0.1:9 --retransmit 0.1,1,1
	[ "$(jq -r '.children[0].state' "$W/c.json")" = revoked ] || fail "no revoked child"
	page=$(mandoc -Tutf8 man/rkmp.7 | col -b | sed -n '/^STATE FILE/,/^TESTING/p')
	for k in $(jq -r '[paths | map(select(type == "string")) | last] | unique | .[]' \
	    "$W/a.pending.json" "$W/b.json" "$W/c.json"); do
		[[ "$page" == *"$k"* ]] || fail "rkmp(7) STATE FILE does not mention the key $k"
	done
	[[ "$page" == *revoked* ]] || fail "rkmp(7) STATE FILE does not mention the child state revoked"
}

@test "rkmp-child(1) documents every key of an event and every variable of the hook" {
	need mandoc
	need jq
	W=$BATS_TEST_TMPDIR
	hook='env | grep ^RKMP_ | cut -d= -f1 >> hook.vars'
	rp=(-t a.kt --peer-address 192.0.2.2 --events a.ev --rp-hook "$hook")
	rpb=(-t b.kt --peer-address 192.0.2.1 --events b.ev)
	negotiate || fail "the scripted negotiation failed"
	(cd "$W" &&
	    "$bin/rkmp-child" -q -s a.json "${rp[@]}" --protocol bfd -o 5.bin &&
	    "$bin/rkmp-child" -q -s b.json "${rpb[@]}" --respond -i 5.bin -o 6.bin &&
	    "$bin/rkmp-child" -q -s a.json "${rp[@]}" -i 6.bin &&
	    spi=$(jq -r '.children[1].spi_local' a.json) &&
	    "$bin/rkmp-child" -q -s a.json "${rp[@]}" --rekey "$spi" -o 7.bin &&
	    "$bin/rkmp-child" -q -s b.json "${rpb[@]}" --respond -i 7.bin -o 8.bin &&
	    "$bin/rkmp-child" -q -s a.json "${rp[@]}" -i 8.bin &&
	    "$bin/rkmp-child" -q -s a.json "${rp[@]}" --delete "$spi" -o 9.bin &&
	    "$bin/rkmp-child" -q -s b.json "${rpb[@]}" --respond -i 9.bin -o 10.bin &&
	    "$bin/rkmp-child" -q -s a.json "${rp[@]}" -i 10.bin &&
	    cp a.json c.json &&
	    "$bin/rkmp-child" -q -s a.json "${rp[@]}" --delete-ike -o 11.bin &&
	    "$bin/rkmp-child" -q -s b.json "${rpb[@]}" --respond -i 11.bin -o 12.bin &&
	    "$bin/rkmp-child" -q -s a.json "${rp[@]}" -i 12.bin) || fail "the child exchanges failed"
	cd "$W"
	run -6 "$bin/rkmp-child" -q -s c.json "${rp[@]}" --liveness --peer 127.0.0.1:9 --retransmit 0.1,1,1
	cd "$TOP"
	[ "$(jq -r .event "$W/a.ev" | sort -u | tr '\n' ' ')" = "close delete insert rekey revoke " ] ||
	    fail "not every event was logged: $(jq -r .event "$W/a.ev" | tr '\n' ' ')"
	page=$(mandoc -Tutf8 man/rkmp-child.1 | col -b)
	# the hook's RKMP_* variables, but those of the test's own environment (RKMP_BIN...)
	env | grep '^RKMP_' | cut -d= -f1 | sort -u > "$W/own.vars" || true
	for k in $(jq -r 'keys[]' "$W/a.ev" | sort -u) $(sort -u "$W/hook.vars" | comm -23 - "$W/own.vars"); do
		[[ "$page" == *"$k"* ]] || fail "rkmp-child(1) does not mention $k"
	done
}

# The BGP example of the README: its commands, after the three rkmp-init runs
# of the quick start, run (times, SPIs and keys differ from run to run).
@test "the README's TCP-AO key table example runs" {
	need jq
	W=$BATS_TEST_TMPDIR
	sed -n '/^## Keys for a BGP session/,/^## Protect a BGP session/p' README.md |
	    sed -n '/^```console/,/^```/p' | grep '^\$ ' | sed 's/^\$ //' > "$W/commands"
	[ "$(wc -l < "$W/commands")" -ge 15 ] || fail "no key table example found in the README"
	grep -q -- '--peer-address' "$W/commands" || fail "the example lost --peer-address"
	bin=$(cd "$RKMP_BIN" && pwd)
	printf 'a long shared secret\n' > "$W/k.psk"; chmod 600 "$W/k.psk"
	(cd "$W" &&
	    "$bin/rkmp-init" -q -s a.json --id fqdn:a.example -o 1.bin &&
	    "$bin/rkmp-init" -q -s b.json --respond --id fqdn:b.example -i 1.bin -o 2.bin &&
	    "$bin/rkmp-init" -q -s a.json -i 2.bin) || fail "RKMP_SA_INIT failed"
	(cd "$W" && PATH=$bin:$PATH bash -e commands) > "$W/got" 2>&1 ||
	    fail "a command of the example failed: $(tail -n 3 "$W/got")"
	[ "$(jq -s 'map(.event) | join(" ")' "$W/a.ev")" = '"insert rekey"' ] || fail "events: $(cat "$W/a.ev")"
	[ "$(jq '.rows | length' "$W/a.kt")" = 2 ] || fail "a.kt should hold the old and the new row"
	grep -q 'send_syn' "$W/got" || fail "no traffic keys"
}

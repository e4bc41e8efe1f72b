#!/usr/bin/env bats
# Man pages: lint-clean, they document every option and exit status, and
# their scripted examples run as shown.

load helpers

@test "man pages are mandoc -Tlint clean" {
	need mandoc
	run -0 mandoc -Tlint -W warning man/rkmp-decode.1 man/rkmp-init.1 man/rkmp-auth.1 \
	    man/rkmp-child.1 man/rkmp-keytable.1 man/rkmp.7
	assert_output ""
}

# page_documents_options PAGE BINARY: every long option BINARY lists is in PAGE
page_documents_options() {
	local page opt
	page=$(mandoc -Tutf8 "man/$1" | col -b)
	while read -r opt; do
		[[ "$opt" == --* ]] || continue
		[[ "$page" == *"$opt"* ]] || fail "$1 does not mention $opt"
	done < <("$RKMP_BIN/$2" --list-options)
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

@test "rkmp-decode(1) documents every option the binary has" {
	need mandoc
	page_documents_options rkmp-decode.1 rkmp-decode
}

@test "rkmp-init(1), rkmp-auth(1) and rkmp-child(1) document every option the binaries have" {
	need mandoc
	page_documents_options rkmp-init.1 rkmp-init
	page_documents_options rkmp-auth.1 rkmp-auth
	page_documents_options rkmp-child.1 rkmp-child
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

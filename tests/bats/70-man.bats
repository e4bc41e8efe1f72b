#!/usr/bin/env bats
# Man pages: lint-clean, and they document every option and exit status.

load helpers

@test "man pages are mandoc -Tlint clean" {
	need mandoc
	run -0 mandoc -Tlint -W warning man/rkmp-decode.1 man/rkmp.7
	assert_output ""
}

@test "rkmp-decode(1) documents every option the binary has" {
	need mandoc
	page=$(mandoc -Tutf8 man/rkmp-decode.1 | col -b)
	while read -r opt; do
		[[ "$opt" == --* ]] || continue
		[[ "$page" == *"$opt"* ]] || fail "rkmp-decode(1) does not mention $opt"
	done < <("$RKMP_BIN/rkmp-decode" --list-options)
}

@test "rkmp-decode(1) documents every exit status the binary uses, and rkmp(7) the whole table" {
	need mandoc
	page=$(mandoc -Tutf8 man/rkmp-decode.1 | col -b | sed -n '/^EXIT STATUS/,/^EXAMPLES/p')
	for s in 0 2 4 6 7; do
		grep -qE "^ +$s([[:space:]]|$)" <<<"$page" || fail "rkmp-decode(1) EXIT STATUS lacks $s"
	done
	page=$(mandoc -Tutf8 man/rkmp.7 | col -b)
	for s in 0 1 2 3 4 5 6 7 70; do
		grep -qE "^ +$s([[:space:]]|$)" <<<"$page" || fail "rkmp(7) lacks exit status $s"
	done
}

@test "the README's decode examples run as shown" {
	run -0 --separate-stderr "$RKMP_BIN/rkmp-decode" -r testdata/decode/g-invalid-ke.pcap
	grep -qF -- "${lines[1]}" README.md || fail "README does not show the current output line: ${lines[1]}"
}

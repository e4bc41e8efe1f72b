# Shared by every bats file: bats-support/bats-assert from Debian, the
# binaries under test ($RKMP_BIN, default build/bin), and the repo root as cwd.
bats_require_minimum_version 1.5.0
# their files sourced here rather than through their load.bash, which runs
# dirname once per file: bats sources this again for every test, and those
# forks were 60 % of an empty test's time (75 s of CPU over the suite)
if [ -d /usr/lib/bats/bats-support/src ] && [ -d /usr/lib/bats/bats-assert/src ]; then
	for f in /usr/lib/bats/bats-support/src/*.bash /usr/lib/bats/bats-assert/src/*.bash; do
		source "$f"
	done
	unset f
else
	load /usr/lib/bats/bats-support/load.bash
	load /usr/lib/bats/bats-assert/load.bash
fi

TOP=${BATS_TEST_DIRNAME%/tests/bats}
RKMP_BIN=${RKMP_BIN:-$TOP/build/bin}
export TZ=UTC LC_ALL=C
cd "$TOP" || exit 1

# skip, or fail when RKMP_TEST_STRICT=1 (CI), for a missing prerequisite
need() {
	command -v "$1" >/dev/null && return 0
	if [ "${RKMP_TEST_STRICT:-0}" = 1 ]; then
		fail "prerequisite '$1' missing and RKMP_TEST_STRICT=1"
	fi
	skip "needs $1"
}

# the bash completion of completions/rkmp.bash, as bash would run it
complete_words() {	# complete_words WORD... : COMPREPLY for the last word, one per line
	PATH=$RKMP_BIN:$PATH bash -c '
		source completions/rkmp.bash
		COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_rkmp "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}

# free_spi STATE: a one-octet SPI, in hex, that none of the state's children
# has as ours (TCP-AO's and BFD's SPIs are one octet: a fixed "ff" may be one)
free_spi() {
	jq -r '[.children[].spi_local] as $used | first(range(255; 0; -1)
	    | . as $n | "0123456789abcdef" | .[$n / 16 | floor:$n / 16 | floor + 1] + .[$n % 16:$n % 16 + 1]
	    | select(IN($used[]) | not))' "$1"
}

#!/usr/bin/env bash
# Regenerate decode goldens:  tests/update-golden.sh [BINDIR] [NAME...]
# (all names of testdata/decode/LIST when none is given).  A capture's goldens
# are only written after tests/tshark-crosscheck.sh agrees with tshark field by
# field on it.  Runs under TZ=UTC LC_ALL=C, as the tests do.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bin}
[ $# -gt 0 ] && shift
export TZ=UTC LC_ALL=C
want=" $* "
while read -r name cap args; do
	case "$name" in '#'*|'') continue ;; esac
	[ "$want" = "  " ] || [[ "$want" == *" $name "* ]] || continue
	# shellcheck disable=SC2086
	tests/tshark-crosscheck.sh "$bin" "testdata/decode/$cap" $args >/dev/null || {
		echo "update-golden: $name: rkmp-decode and tshark disagree; golden not written" >&2
		tests/tshark-crosscheck.sh "$bin" "testdata/decode/$cap" $args >&2 || true
		exit 1
	}
	# shellcheck disable=SC2086
	"$bin/rkmp-decode" -q -r "testdata/decode/$cap" $args > "testdata/decode/$name.out"
	echo "update-golden: $name"
done < testdata/decode/LIST

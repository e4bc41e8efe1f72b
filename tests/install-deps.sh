#!/usr/bin/env bash
# Install the Debian packages rkmp needs (idempotent; only what is missing).
#   tests/install-deps.sh          build dependencies
#   tests/install-deps.sh --test   build + test dependencies (bats, jq, tshark, clang for make fuzz,
#                                  ...), and strongSwan for the interop suites
#                                  (tests/interop/install-strongswan.sh, as root)
#   tests/install-deps.sh --bench  build + test + benchmark dependencies
#   tests/install-deps.sh --check  build dependencies: only say what is missing (make's check)
# Without root (or with --check), prints the missing packages and the apt-get line, and
# fails; strongSwan it only mentions (the interop suites need root and skip without it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=(gcc make pkg-config libssl-dev libjansson-dev libpcap-dev)
# bsdextrautils: col (the man page tests); tcpdump: --export-keys tcpdump and the
# capture in the interop suite; iproute2: ip netns (the interop suites); python3:
# a fake peer in 38-writeahead; parallel: GNU parallel, for bats --jobs (run-checks.sh)
TEST=(bats bats-assert parallel bats-support jq xxd tshark tcpdump mandoc bsdextrautils iproute2 python3 shellcheck
      bash-completion frr bird2
      clang libclang-rt-14-dev)	# clang + libFuzzer runtime: make fuzz
BENCH=(time)
want=("${BUILD[@]}")
check_only=0
case "${1:-}" in
--check) check_only=1 ;;
--test) want+=("${TEST[@]}") ;;
--bench) want+=("${TEST[@]}" "${BENCH[@]}") ;;
"") ;;
*) echo "usage: $0 [--test|--bench|--check]" >&2; exit 2 ;;
esac
# shellcheck source-path=SCRIPTDIR source=debian-packages.bash
. "$here/debian-packages.bash"
mapfile -t missing < <(deb_missing "${want[@]}")
if [ ${#missing[@]} -gt 0 ]; then
	if [ $check_only = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "install-deps: missing Debian packages: ${missing[*]}" >&2
		echo "install-deps: 'make deps' as root installs them, or: apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "install-deps: apt-get install ${missing[*]}" >&2
	# wireshark-common asks whether non-root users may capture: answer no
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	deb_install "${missing[@]}"
fi
case "${1:-}" in --test|--bench) ;; *) exit 0 ;; esac
# strongSwan, and the harness's charon plugins built against it, for the interop suites
if [ "$(id -u)" = 0 ]; then
	if ! "$here/interop/install-strongswan.sh"; then
		echo "install-deps: strongSwan could not be installed: the interop suites will skip" >&2
		[ "${RKMP_TEST_STRICT:-0}" != 1 ] || exit 1
	fi
elif ! "$here/interop/install-strongswan.sh" --check 2>/dev/null; then
	echo "install-deps: no strongSwan for the interop suites (they need root and skip without it);" \
	    "as root: tests/interop/install-strongswan.sh" >&2
fi

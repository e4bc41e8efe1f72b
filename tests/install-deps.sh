#!/usr/bin/env bash
# Install the Debian packages rkmp needs (idempotent; only what is missing).
#   tests/install-deps.sh          build dependencies
#   tests/install-deps.sh --test   build + test dependencies (bats, jq, tshark, clang for make fuzz, ...)
#   tests/install-deps.sh --bench  build + test + benchmark dependencies
#   tests/install-deps.sh --check  build dependencies: only say what is missing (make's check)
# Without root (or with --check), prints the missing packages and the apt-get line, and fails.
set -euo pipefail
BUILD=(gcc make pkg-config libssl-dev libjansson-dev libpcap-dev)
TEST=(bats bats-assert bats-support jq xxd tshark mandoc shellcheck bash-completion frr bird2
      clang libclang-rt-14-dev)	# clang + libFuzzer runtime: make fuzz
BENCH=(tcpdump time)
want=("${BUILD[@]}")
check_only=0
case "${1:-}" in
--check) check_only=1 ;;
--test) want+=("${TEST[@]}") ;;
--bench) want+=("${TEST[@]}" "${BENCH[@]}") ;;
"") ;;
*) echo "usage: $0 [--test|--bench|--check]" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ $check_only = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	echo "install-deps: missing Debian packages: ${missing[*]}" >&2
	echo "install-deps: 'make deps' as root installs them, or: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: apt-get install ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture: answer no
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

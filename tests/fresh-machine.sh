#!/usr/bin/env bash
# A newcomer's first minutes, on a clean Debian 12: build a minimal bookworm root
# file system with debootstrap from this machine's Debian mirror, clone this
# repository into it (its committed HEAD) as an ordinary user, and follow the
# README's quick start in a chroot:
#   1. as root: apt-get install git make            (the README's first line)
#   2. as the user: make demo  -> must stop before building, naming the missing
#      packages and the one apt-get line
#   3. as root: make demo                          (installs, builds, runs the demo)
#   4. as root: make check                         (installs the test dependencies,
#      strongSwan included, and runs every test; skipped with --demo-only)
#
#   tests/fresh-machine.sh [--demo-only] [--dir DIR]
#
# Needs root (debootstrap, chroot, mounts) and the network to the Debian mirror.
# The chroot runs in its own mount namespace, so every mount it makes goes away
# with it.  DIR (default build-fresh/) keeps a pristine tarball of the debootstrap
# result for a week, so later runs skip the download; each run starts from a fresh
# copy of it.  Exit 0 when every step did what the README says.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=full
dir=$top/build-fresh
while [ $# -gt 0 ]; do
	case $1 in
	--demo-only) mode=demo ;;
	--dir) dir=$2; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "fresh-machine: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
say() { printf 'fresh-machine: %s\n' "$*" >&2; }
now() { date +%s; }

if [ "$(id -u)" != 0 ]; then
	say "needs root (debootstrap, chroot, mounts); run it as root"
	exit 77
fi
if ! command -v debootstrap >/dev/null; then
	say "apt-get install debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# This machine's Debian mirror (deb822 or one-line sources).
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$dir"
root=$dir/root
base=$dir/bookworm-minbase.tar
rm -rf "$root"
mkdir -p "$root"
t0=$(now)
if [ -s "$base" ] && [ -n "$(find "$base" -mtime -7)" ]; then
	say "a fresh copy of $base (debootstrap of $(date -u -r "$base" +%F))"
	tar -C "$root" -xpf "$base"
else
	say "debootstrap --variant=minbase bookworm from $mirror into $root"
	debootstrap --variant=minbase bookworm "$root" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
		{ say "debootstrap failed; its log: $dir/debootstrap.log"; tail -n 5 "$dir/debootstrap.log" >&2; exit 1; }
	tar -C "$root" -cpf "$base.tmp" . && mv "$base.tmp" "$base"
fi
say "root file system ready in $(($(now) - t0)) s"

# The machine's apt sources (a new install has the same), its resolver, and no
# service started by a package's postinst inside the chroot.
if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
	rm -f "$root/etc/apt/sources.list"
	cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/"
fi
[ -s /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# what the installer writes and debootstrap does not: localhost in /etc/hosts
[ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

# The newcomer and the clone (committed HEAD of this checkout).
chroot "$root" useradd -m -s /bin/bash newcomer
git clone -q "$top" "$root/home/newcomer/rkmp"
chroot "$root" chown -R newcomer:newcomer /home/newcomer/rkmp
say "cloned $(git -C "$top" rev-parse --short HEAD) into /home/newcomer/rkmp"

cat >"$root/root/steps.sh" <<'STEPS'
#!/bin/bash
set -uo pipefail
mode=$1
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cd /home/newcomer/rkmp || exit 1
step() { printf '\nfresh-machine: == %s\n' "$*" >&2; }
fail() { printf 'fresh-machine: FAILED: %s\n' "$*" >&2; exit 1; }
t() { date +%s; }

step "root: apt-get install git make"
apt-get update -qq && apt-get install -y -qq --no-install-recommends git make ca-certificates >/dev/null ||
	fail "apt-get install git make"

step "newcomer (not root): make demo"
out=$(runuser -u newcomer -- make demo 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /' >&2
[ "$rc" != 0 ] || fail "make demo as a user without the packages exited 0"
grep -q 'apt-get install .*libssl-dev' <<<"$out" || fail "make demo as a user did not give the apt-get line"
grep -q ' CC ' <<<"$out" && fail "make demo as a user started compiling"

step "root: make demo"
t0=$(t)
make demo >/root/demo.log 2>&1; rc=$?
sed 's/^/  | /' /root/demo.log >&2
[ "$rc" = 0 ] || fail "make demo exited $rc"
echo "fresh-machine: make demo ok in $(($(t) - t0)) s (package installation and build included)" >&2

[ "$mode" = full ] || exit 0
step "root: make check"
t0=$(t)
make check >/root/check.log 2>&1; rc=$?
grep -E '^(not ok|check:|build tested:)|skip' /root/check.log | sed 's/^/  | /' >&2
echo "fresh-machine: make check exited $rc in $(($(t) - t0)) s; whole log: /root/check.log in the chroot" >&2
[ "$rc" = 0 ] || fail "make check exited $rc"
grep -q '^check: [0-9]* passed, 0 failed$' /root/check.log || fail "make check: skipped or failed tests (the closing line above)"
STEPS
chmod 0755 "$root/root/steps.sh"

# The chroot in a private mount namespace: its root a mount point (as on a
# real machine; ip netns exec needs it), proc, sys, dev and a /run of its own.
# (the inner script expands its own arguments)
rc=0
# shellcheck disable=SC2016
unshare --mount --propagation private bash -c '
	set -e
	r=$1
	mount --bind "$r" "$r"
	mount -t proc proc "$r/proc"
	mount -t sysfs sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs run "$r/run"
	mount -t tmpfs tmp "$r/tmp"
	exec chroot "$r" /root/steps.sh "$2"
' fresh "$root" "$mode" || rc=$?
if [ "$rc" = 0 ]; then
	say "every step as the README says ($mode) in $(($(now) - t0)) s"
else
	say "FAILED (exit $rc) after $(($(now) - t0)) s; the root file system stays in $root"
fi
exit "$rc"

#!/usr/bin/env bash
# Install strongSwan for the interop suites (tests/bats/94-interop-udp.bats,
# 95-interop-strongswan.bats, 96-interop-rekey-ike.bats) and build the harness's
# charon plugins; idempotent.
#
#   tests/interop/install-strongswan.sh           install what is missing (as root)
#   tests/interop/install-strongswan.sh --check   only say what is missing (exit 1 if anything)
#   tests/interop/install-strongswan.sh --plugin  print the path of the plugin object
#
# What it installs:
#  * Debian packages: charon-systemd (the daemon tests/interop/strongswan-peer.sh
#    runs), strongswan-swanctl, libstrongswan-standard-plugins (openssl, gcm) and
#    libstrongswan-extra-plugins (chapoly, curve25519), iproute2 (the namespaces);
#  * the plugins of tests/interop/plugins/ (rkmp-kernel-null: CHILD_SAs without a
#    kernel ESP; rkmp-keylog: every IKE and CHILD SA key, for the suites to compare
#    with ours), compiled into one object, $RKMP_INTEROP_DIR/rkmp-charon-plugins.so,
#    that the harness gives charon with LD_PRELOAD.
#
# Why a source package: Debian ships strongSwan without headers (there is no -dev
# package), and a charon plugin must be compiled against the structures of the charon
# it is loaded into.  So the headers, and the config.h that shapes them, come from
# Debian's strongswan *source* package of the installed version (apt-get source from
# a private deb-src list; nothing under /etc/apt changes), configured the way Debian
# built the installed libraries where that changes the structures: the IKEv2
# mediation extension (ME, in ike_sa_t and daemon_t) and the printf hooks (%P, %H)
# are read off the installed libcharon and libstrongswan.  Only configure runs;
# nothing of strongSwan is compiled, and only the headers are kept.
#
# When everything is there it only compares package states and a stamp (the
# installed strongSwan version and a hash of the plugin sources).  Without root it
# prints what is missing and how to install it, and exits 1.
#
# Env: RKMP_INTEROP_DIR   built plugins, their headers, private apt state
#                         (default /var/cache/rkmp-interop; never the repository)
#      RKMP_DEBIAN_MIRROR source package mirror (default http://deb.debian.org)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${RKMP_INTEROP_DIR:-/var/cache/rkmp-interop}
MIRROR=${RKMP_DEBIAN_MIRROR:-http://deb.debian.org}
SO=$DIR/rkmp-charon-plugins.so
STAMP=$DIR/rkmp-charon-plugins.stamp
HDR=$DIR/headers
PKGS=(charon-systemd strongswan-swanctl libstrongswan-standard-plugins
      libstrongswan-extra-plugins iproute2)
BUILD_PKGS=(gcc make dpkg-dev debian-archive-keyring)	# dpkg-source, nm; configure
SELF="tests/interop/install-strongswan.sh"

log() { echo "install-strongswan: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mode=install
case "${1:-}" in
--check) mode=check ;;
--plugin) echo "$SO"; exit 0 ;;
"") ;;
-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "usage: $0 [--check|--plugin]" >&2; exit 2 ;;
esac

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
# does shared object $1 define symbol $2 (no grep -q on a pipe: pipefail, SIGPIPE)
defines() { nm -D --defined-only "$1" | grep -cw "$2" >/dev/null; }
# shellcheck source-path=SCRIPTDIR source=../debian-packages.bash
. "$HERE/../debian-packages.bash"
sw_version() { dpkg-query -W -f='${Version}' strongswan-libcharon 2>/dev/null || true; }
want_stamp() {
	echo "strongswan=$(sw_version) plugins=$(cat "$HERE"/plugins/*.c | sha256sum | cut -c1-16)"
}
plugins_ready() { [ -f "$SO" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ]; }

# ------------------------------------------------------------------ state
mapfile -t missing < <(deb_missing "${PKGS[@]}")
plugins_ok=1
plugins_ready || plugins_ok=0
if [ ${#missing[@]} -eq 0 ] && [ "$plugins_ok" = 1 ]; then
	[ "$mode" = check ] || log "ready: strongSwan $(sw_version), plugins $SO"
	exit 0
fi
if [ "$mode" = check ] || [ "$(id -u)" != 0 ]; then
	[ ${#missing[@]} -eq 0 ] || log "missing Debian packages: ${missing[*]}"
	if [ "$plugins_ok" = 0 ]; then
		if [ -f "$STAMP" ]; then
			log "the test plugins are out of date ($(cat "$STAMP"); want $(want_stamp))"
		else
			log "the test plugins are not built ($SO)"
		fi
	fi
	log "install them, as root: $SELF"
	exit 1
fi
command -v apt-get >/dev/null || die "apt-get not found: this installer is for Debian 12"
export DEBIAN_FRONTEND=noninteractive
t0=$SECONDS

# ------------------------------------------------------------------ packages
fresh_charon=0
installed charon-systemd || fresh_charon=1
mapfile -t need < <(deb_missing "${PKGS[@]}")
[ "$plugins_ok" = 1 ] || mapfile -t -O "${#need[@]}" need < <(deb_missing "${BUILD_PKGS[@]}")
if [ ${#need[@]} -gt 0 ]; then
	log "apt-get install ${need[*]}"
	deb_install "${need[@]}" || die "apt-get install ${need[*]} failed"
fi
if [ "$fresh_charon" = 1 ] && command -v systemctl >/dev/null &&
    systemctl is-active -q strongswan.service 2>/dev/null; then
	log "note: the charon-systemd package enabled and started strongswan.service (a charon"
	log "      in the main network namespace, which the tests do not use); to stop it:"
	log "      systemctl disable --now strongswan.service"
fi

# ------------------------------------------------------------------ headers
APT=$DIR/apt
APTO=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$APT/sources.list.d"
      -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache"
      -o APT::Sandbox::User=root)

apt_src_update() {
	local codename
	# shellcheck source=/dev/null
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	mkdir -p "$APT/sources.list.d" "$APT/lists/partial" "$APT/cache/archives/partial"
	cat > "$APT/sources.list.d/rkmp-deb-src.sources" <<EOF
# written by $SELF: Debian source packages, for apt-get source only
Types: deb-src
URIs: $MIRROR/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: $MIRROR/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	apt-get "${APTO[@]}" update -qq
}

# Download the source package of strongSwan $1 into the current directory: that
# version, else (the security archive has lost sources before) the newest one of
# the same upstream version, whose headers are the same structures.
fetch_source() {
	local want=$1 v fresh=0
	if ! compgen -G "$APT/lists/*_Sources*" >/dev/null; then
		apt_src_update || return 1
		fresh=1
	fi
	get_source "$want" && return 0
	if [ "$fresh" = 0 ]; then	# the lists may be older than the installed package
		apt_src_update || return 1
		get_source "$want" && return 0
	fi
	for v in $(apt-cache "${APTO[@]}" showsrc strongswan | sed -n 's/^Version: //p' |
	    grep -F "${want%%-*}-" | sort -Vru); do
		[ "$v" = "$want" ] && continue
		log "the source of strongswan $want is not available: using $v (same upstream version)"
		get_source "$v" && return 0
	done
	die "no source package of strongSwan ${want%%-*} found at $MIRROR"
}
get_source() { apt-get "${APTO[@]}" source --download-only -qq "strongswan=$1" >/dev/null 2>&1; }

# configure options that shape the structures the plugins use, read off the
# installed libraries (see the top of this file)
abi_options() {
	local charon strongswan
	charon=$(dpkg -L strongswan-libcharon | grep -m1 '/libcharon\.so\.[0-9]*$')
	strongswan=$(dpkg -L libstrongswan | grep -m1 '/libstrongswan\.so\.[0-9]*$')
	if defines "$charon" mediation_manager_create; then
		echo --enable-mediation
	fi
	if defines "$strongswan" builtin_vsnprintf; then
		echo --with-printf-hooks=builtin
	else
		echo --with-printf-hooks=glibc
	fi
}

# Headers and config.h of strongSwan $1 into $HDR.  It runs where errexit does not
# (under ||), so every step says whether it failed.
build_headers() {
	local ver=$1 work=$DIR/src opts dsc
	rm -rf "$work" "$HDR.new" && mkdir -p "$work" || return 1
	(cd "$work" && fetch_source "$ver") || return 1
	dsc=$(cd "$work" && ls ./*.dsc) || return 1
	log "unpacking ${dsc#./} (with Debian's patches)"
	(cd "$work" && dpkg-source -x "$dsc" sw >"$work/dpkg-source.log" 2>&1) ||
	    { tail -n 20 "$work/dpkg-source.log" >&2; return 1; }
	mapfile -t opts < <(abi_options) || return 1
	# only config.h: no Makefiles (--no-create; they and their dependency files are
	# most of configure's time), nothing compiled
	log "configure --disable-defaults --enable-charon --enable-ikev2 ${opts[*]} (config.h only)"
	(cd "$work/sw" && ./configure --no-create --disable-dependency-tracking --disable-defaults \
	    --enable-charon --enable-ikev2 --disable-scripts "${opts[@]}" &&
	    ./config.status config.h) >"$work/configure.log" 2>&1 ||
	    { tail -n 20 "$work/configure.log" >&2; return 1; }
	mkdir -p "$HDR.new" && cp "$work/sw/config.h" "$HDR.new/" || return 1
	(cd "$work/sw/src" && find libstrongswan libcharon -name '*.h' -print0 |
	    xargs -0 cp --parents -t "$HDR.new/") || return 1
	printf 'installed=%s\nsource=%s\nconfigure=%s\n' "$ver" "${dsc#./}" "${opts[*]}" \
	    > "$HDR.new/BUILT_FOR" || return 1
	rm -rf "$HDR" "$work" && mv "$HDR.new" "$HDR"
}

build_plugins() {
	mkdir -p "$DIR"
	gcc -shared -fPIC -O2 -g -Wall -Wextra -Wno-unused-parameter \
	    -Wno-format `# strongSwan's %P and %H printf hooks` \
	    -include "$HDR/config.h" -I"$HDR/libstrongswan" -I"$HDR/libcharon" \
	    -o "$SO.new" "$HERE"/plugins/*.c
	for p in rkmp_kernel_null rkmp_keylog; do
		defines "$SO.new" "${p}_plugin_create" || die "${p}_plugin_create missing in $SO.new"
	done
	mv "$SO.new" "$SO"
	want_stamp > "$STAMP"
}

if [ "$plugins_ok" = 0 ]; then
	ver=$(sw_version)
	[ -n "$ver" ] || die "strongswan-libcharon is not installed"
	if [ "$(sed -n 's/^installed=//p' "$HDR/BUILT_FOR" 2>/dev/null)" != "$ver" ]; then
		# once more after a failure: a download or a configure run can fail on its own
		build_headers "$ver" || { log "failed; trying once more"; build_headers "$ver"; } ||
		    die "could not prepare the strongSwan $ver headers (logs above)"
	fi
	build_plugins
	log "built $SO for strongSwan $ver ($(sed -n 's/^source=//p' "$HDR/BUILT_FOR"))"
fi
log "ready: strongSwan $(sw_version), plugins $SO ($((SECONDS - t0)) s)"

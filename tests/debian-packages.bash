# Sourced by tests/install-deps.sh and tests/interop/install-strongswan.sh: which
# Debian packages are missing, and installing them.

# The packages of $@ that are not installed, one per line, in one dpkg-query
# (which fails for a package it has never heard of: the others still count).
deb_missing() {
	local ok
	ok=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null | sed -n 's/ install ok installed$//p') ||
	    true
	printf '%s\n' "$@" | grep -vxF -e "${ok:-/}" || true
}

# apt-get install $@ quietly, without recommends; once more after a failure (a
# mirror or a download can fail once).
deb_install() {
	local try
	export DEBIAN_FRONTEND=noninteractive
	for try in 1 2; do
		apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null && return 0
		[ "$try" = 2 ] || echo "apt-get install $*: failed; trying once more" >&2
	done
	return 1
}

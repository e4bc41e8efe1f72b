#!/usr/bin/env bats
# The Makefile on a machine without the build dependencies: nothing is checked
# while make reads the Makefile (so 'make deps', 'make demo' and 'make check' can
# install them first); a build stops at once with the package list.

load helpers

@test "make reads the Makefile without the build dependencies: deps, demo, check start" {
	for t in deps demo check clean; do
		run -0 make -n PKG_CONFIG=false "$t"
		refute_output --partial "missing build dependencies"
	done
	run -0 make -n PKG_CONFIG=false deps
	assert_line "tests/install-deps.sh"
}

@test "a build without the dependencies stops before compiling, saying what to install" {
	run ! make PKG_CONFIG=false build-deps
	assert_output --partial "the build needs OpenSSL >= 3, jansson and libpcap"
	refute_output --partial "CC "
	run ! make PKG_CONFIG=false -C "$TOP" all
	assert_output --partial "the build needs OpenSSL"
	refute_output --partial "  CC "
}

@test "install-deps --check names what is missing and never installs" {
	run -0 tests/install-deps.sh --check
	run -2 tests/install-deps.sh --bogus
	assert_output --partial "usage:"
}

@test "the step tools do not load libpcap; rkmp-decode does" {
	need ldd
	for b in rkmp-init rkmp-auth rkmp-child rkmp-keytable; do
		run -0 ldd "$RKMP_BIN/$b"
		refute_output --partial libpcap
		assert_output --partial libcrypto
	done
	run -0 ldd "$RKMP_BIN/rkmp-decode"
	assert_output --partial libpcap
}

@test "make install: every binary, rkmp-hook beside them (it finds rkmp-keytable there), man pages and completions; uninstall removes them" {
	D=$BATS_TEST_TMPDIR/stage
	# the tree under test (build/ or build-asan/), built already
	san=0
	[[ $RKMP_BIN == */build-asan/bin ]] && san=1
	run -0 make -s install SANITIZE=$san DESTDIR="$D" PREFIX=/usr/local
	for b in rkmp-init rkmp-auth rkmp-child rkmp-keytable rkmp-decode rkmp-hook rkmpd rkmpctl; do
		[ -x "$D/usr/local/bin/$b" ] || fail "$b not installed"
		[ -f "$D/usr/local/share/bash-completion/completions/$b" ] || fail "no completion for $b"
	done
	[ -f "$D/usr/local/share/man/man8/rkmp-hook.8" ]
	[ -f "$D/usr/local/share/man/man8/rkmpd.8" ]
	[ -f "$D/usr/local/share/man/man1/rkmpctl.1" ]
	# the systemd unit starts the installed daemon
	grep -qx 'ExecStart=/usr/local/bin/rkmpd -f -c /etc/rkmpd.json' "$D/usr/local/lib/systemd/system/rkmpd.service"
	run -0 "$D/usr/local/bin/rkmpd" --version
	[ -f "$D/usr/local/share/man/man7/rkmp.7" ]
	run -0 "$D/usr/local/bin/rkmp-hook" --list-options bird
	run -1 "$D/usr/local/bin/rkmp-hook" bird --include "$BATS_TEST_TMPDIR/x.inc" --peer 192.0.2.2 \
	    -t "$BATS_TEST_TMPDIR/none.json"
	assert_output --partial "rkmp-keytable: $BATS_TEST_TMPDIR/none.json"
	run -0 make -s uninstall SANITIZE=$san DESTDIR="$D" PREFIX=/usr/local
	[ -z "$(find "$D" -type f)" ] || fail "left: $(find "$D" -type f)"
}

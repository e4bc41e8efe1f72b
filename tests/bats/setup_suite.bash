# Once per run: fail fast when the binaries are not built (no silent skips).
setup_suite() {
	local top bin
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	bin=${RKMP_BIN:-$top/build/bin}
	for b in rkmp-decode; do
		[ -x "$bin/$b" ] || { echo "setup_suite: $bin/$b is not built (run make)" >&2; return 1; }
	done
}

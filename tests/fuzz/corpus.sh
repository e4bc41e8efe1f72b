#!/usr/bin/env bash
# Collect the seed corpora from testdata/ into tests/fuzz/corpus/TARGET/ (not in
# git: made afresh each run, so no input is kept twice):
#   tests/fuzz/corpus.sh [FUZZ_BUILD_DIR]     (default build-fuzz)
# fuzz_sk and fuzz_engine write their own seeds (RKMP_FUZZ_MAKE_SEEDS): each
# message with its control/selector octet, and also sealed (SK payload
# decrypted) where the keys are known, which only they can do.
set -euo pipefail
cd "$(dirname "$0")/../.."
fb=${1:-build-fuzz}
c=tests/fuzz/corpus
rm -rf "$c"
mkdir -p "$c"/{msg,sk,engine,state,keytable,capture}
msgs=(testdata/msgs/*.bin testdata/seeded/*.bin testdata/fuzz/[gch]/[0-9]*.bin)
for f in "${msgs[@]}"; do
	cp "$f" "$c/msg/$(basename "$(dirname "$f")")-$(basename "$f")"
done
RKMP_FUZZ_MAKE_SEEDS=$c/sk "$fb/fuzz_sk" testdata/msgs/*.bin >/dev/null 2>&1
for d in g c h; do	# the flows' messages share names: one directory each
	mkdir -p "$c/sk.$d"
	RKMP_FUZZ_MAKE_SEEDS=$c/sk.$d "$fb/fuzz_sk" testdata/fuzz/$d/[0-9]*.bin >/dev/null 2>&1
	for f in "$c/sk.$d"/*; do mv "$f" "$c/sk/$d-$(basename "$f")"; done
	rmdir "$c/sk.$d"
done
RKMP_FUZZ_MAKE_SEEDS=$c/engine "$fb/fuzz_engine" >/dev/null 2>&1
for f in testdata/state/*.json testdata/fuzz/[gch]/*.json; do
	cp "$f" "$c/state/$(basename "$(dirname "$f")")-$(basename "$f")"
done
cp testdata/keytable/*.json "$c/keytable/"
for f in testdata/capture/* testdata/decode/*.pcap; do
	case $f in *.pcap | *.pcapng | *.txt) cp "$f" "$c/capture/" ;; esac
done
for t in msg sk engine state keytable capture; do
	echo "corpus: $t: $(find "$c/$t" -type f | wc -l) seeds" >&2
done

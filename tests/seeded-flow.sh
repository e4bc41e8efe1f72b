#!/usr/bin/env bash
# The seeded negotiation whose four messages are kept in testdata/seeded/:
#   tests/seeded-flow.sh BINDIR OUTDIR
# Fixed seeds, identities, PSK and the default suite (rkmp profile), so every
# nonce, SPI, IV and DH key -- and so every message -- is the same each run.
# Regenerate the goldens only on purpose:  tests/seeded-flow.sh build/bin testdata/seeded
set -euo pipefail
bin=$1 out=$2
mkdir -p "$out"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
printf 'rkmp-seeded-golden-psk\n' > "$w/k.psk"
chmod 600 "$w/k.psk"
# stderr: each step's warning that --seed is for tests, and nothing else (shown)
show_err() { grep -v -- ': WARNING: --seed makes every nonce, SPI, IV and DH key predictable: for tests only$' "$w/err" >&2; }
if ! {
	"$bin/rkmp-init" -q -s "$w/a.json" --seed 0123456789abcdef --id fqdn:a.rkmp.test -o "$out/1.bin" &&
	"$bin/rkmp-init" -q -s "$w/b.json" --respond --seed fedcba9876543210 --id fqdn:b.rkmp.test -i "$out/1.bin" -o "$out/2.bin" &&
	"$bin/rkmp-init" -q -s "$w/a.json" -i "$out/2.bin" &&
	"$bin/rkmp-auth" -q -s "$w/a.json" --psk-file "$w/k.psk" -o "$out/3.bin" &&
	"$bin/rkmp-auth" -q -s "$w/b.json" --respond --psk-file "$w/k.psk" -i "$out/3.bin" -o "$out/4.bin" &&
	"$bin/rkmp-auth" -q -s "$w/a.json" -i "$out/4.bin"
} 2>"$w/err"; then
	show_err
	exit 1
fi
show_err || true
jq -r '.phase' "$w/a.json" "$w/b.json" | sort -u

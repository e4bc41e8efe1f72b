#!/usr/bin/env bash
# Regenerate the test PKI in testdata/pki/ with the openssl CLI:
#   tests/make-pki.sh [--only SET] [OUTDIR]   (default testdata/pki; the output is committed)
#
# The files come in two independent sets, each with its own root:
#   base      everything under ca.pem and rogue-ca.pem (the first table below)
#   rsa4096   the RSA-4096 chain (the second table)
# Without --only both are written; --only SET writes that set and leaves every
# other file in OUTDIR as it is.  Keys are random, so regenerating a set changes
# all of its files: add a set with --only (e.g. `tests/make-pki.sh --only rsa4096`)
# rather than rewriting the committed ones.
#
# Everything is valid from 2000-01-01 to 2049-12-31 (fixed dates through
# `openssl ca -startdate/-enddate`), so no test depends on today's date except
# expired.pem, which ended on 2002-01-01.
#
#   ca.pem         trusted root, RSA 2048            "CN=rkmp test CA"
#   rsa.pem        RSA 2048, by ca                    SAN DNS:a.rkmp.test, IP:192.0.2.1, IP:2001:db8::1
#   p256.pem       ECDSA P-256, by ca                 SAN DNS:b.rkmp.test
#   p384.pem       ECDSA P-384, by ca                 no SAN: identity is its subject DN
#   sub-ca.pem     intermediate CA, ECDSA P-384, by ca
#   p521.pem       ECDSA P-521, by sub-ca, then sub-ca's certificate (a chain)
#                                                     SAN email:d@rkmp.test
#   ed25519.pem    Ed25519, by ca                     SAN DNS:e.rkmp.test
#   rogue-ca.pem   a root nobody trusts, RSA 2048     "CN=rogue CA"
#   rogue.pem      RSA 2048, by rogue-ca              SAN DNS:a.rkmp.test (the same name as rsa.pem)
#   expired.pem    RSA 2048, by ca, 2001-01-01 to 2002-01-01, SAN DNS:x.rkmp.test
#   NAME.key       the private keys, PKCS#8 PEM, unencrypted, written with mode 0600
#                  (git keeps only 0644/0755: a checkout makes them 0644; they are test keys)
#   ca.spki.sha1, sub-ca.spki.sha1
#                  SHA-1 of the CA's SubjectPublicKeyInfo DER, as hex: the CERTREQ hash,
#                  computed here by the openssl CLI, independently of lib/auth.c
#
# rsa4096: certificates big enough that an IKE_AUTH message carrying a chain and an
# RSA-4096 signature (about 3.5 KB) must be split by IKE fragmentation (RFC 7383)
# at a small fragment size (576); the interop harness's rkmp-frag connections use them
# (tests/interop/strongswan-peer.sh).
#   rsa4096-ca.pem     trusted root, RSA 4096         "CN=rkmp test RSA-4096 CA"
#   rsa4096-sub.pem    intermediate CA, RSA 4096, by rsa4096-ca
#                                                     "CN=rkmp test RSA-4096 intermediate CA"
#   rsa4096.pem        RSA 4096, by rsa4096-sub, then rsa4096-sub's certificate (a chain)
#                                                     SAN DNS:us.rkmp.test (our side)
#   rsa4096-peer.pem   RSA 4096, by rsa4096-sub, then rsa4096-sub's certificate (a chain)
#                                                     SAN DNS:peer.rkmp.test (strongSwan's side)
#   NAME.key           their private keys, as above
set -euo pipefail
cd "$(dirname "$0")/.."
sets="base rsa4096"
if [ "${1:-}" = --only ]; then
	case "${2:-}" in
	base|rsa4096) sets=$2 ;;
	*) echo "make-pki: --only base|rsa4096" >&2; exit 2 ;;
	esac
	shift 2
fi
out=${1:-testdata/pki}
export LC_ALL=C TZ=UTC

START=20000101000000Z
END=20491231235959Z

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

cat > "$work/ca.cnf" <<'EOF'
[ ca ]
default_ca = ca_default

[ ca_default ]
dir = $ENV::CADIR
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none

[ policy_any ]
organizationName = optional
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = placeholder

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ ee_san ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $ENV::SAN

[ ee_nosan ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
export SAN=DNS:unused.invalid CADIR=/nonexistent

# key NAME ALG  (rsa | rsa4096 | p256 | p384 | p521 | ed25519) -> $work/NAME.key, mode 0600
key() {
	case $2 in
	rsa)	openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$1.key" ;;
	rsa4096) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$work/$1.key" ;;
	p256)	openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		    -pkeyopt ec_param_enc:named_curve -out "$work/$1.key" ;;
	p384)	openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
		    -pkeyopt ec_param_enc:named_curve -out "$work/$1.key" ;;
	p521)	openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-521 \
		    -pkeyopt ec_param_enc:named_curve -out "$work/$1.key" ;;
	ed25519) openssl genpkey -quiet -algorithm ED25519 -out "$work/$1.key" ;;
	esac
	chmod 0600 "$work/$1.key"
}

# cadb NAME: an empty `openssl ca` database for the CA NAME
cadb() {
	mkdir -p "$work/db-$1/new"
	: > "$work/db-$1/index.txt"
	echo 01 > "$work/db-$1/serial"
}

# csr NAME SUBJECT
csr() {
	openssl req -new -config "$work/ca.cnf" -key "$work/$1.key" -subj "$2" -out "$work/$1.csr"
}

# root NAME SUBJECT [ALG]: a self-signed CA (default RSA 2048)
root() {
	key "$1" "${3:-rsa}"
	csr "$1" "$2"
	cadb "$1"
	CADIR="$work/db-$1" openssl ca -batch -notext -config "$work/ca.cnf" -selfsign \
	    -keyfile "$work/$1.key" -in "$work/$1.csr" -out "$work/$1.pem" \
	    -startdate "$START" -enddate "$END" -extensions v3_ca 2>/dev/null
}

# issue NAME ISSUER EXTENSIONS [START END]: sign NAME's request with ISSUER
issue() {
	CADIR="$work/db-$2" openssl ca -batch -notext -config "$work/ca.cnf" \
	    -cert "$work/$2.pem" -keyfile "$work/$2.key" -in "$work/$1.csr" -out "$work/$1.pem" \
	    -startdate "${4:-$START}" -enddate "${5:-$END}" -extensions "$3" 2>/dev/null
}

# ee NAME ALG ISSUER CN SAN|- [START END]
ee() {
	key "$1" "$2"
	csr "$1" "/O=rkmp test/CN=$4"
	if [ "$5" = - ]; then
		issue "$1" "$3" ee_nosan "${6:-$START}" "${7:-$END}"
	else
		SAN=$5 issue "$1" "$3" ee_san "${6:-$START}" "${7:-$END}"
	fi
}

names=""
spki=""

gen_base() {
	root ca "/O=rkmp test/CN=rkmp test CA"
	root rogue-ca "/O=rogue/CN=rogue CA"

	key sub-ca p384
	csr sub-ca "/O=rkmp test/CN=rkmp test intermediate CA"
	issue sub-ca ca v3_ca
	cadb sub-ca

	ee rsa rsa ca a.rkmp.test "DNS:a.rkmp.test,IP:192.0.2.1,IP:2001:db8::1"
	ee p256 p256 ca b.rkmp.test "DNS:b.rkmp.test"
	ee p384 p384 ca c.rkmp.test -
	ee p521 p521 sub-ca d.rkmp.test "email:d@rkmp.test"
	cat "$work/sub-ca.pem" >> "$work/p521.pem"
	ee ed25519 ed25519 ca e.rkmp.test "DNS:e.rkmp.test"
	ee rogue rsa rogue-ca a.rkmp.test "DNS:a.rkmp.test"
	ee expired rsa ca x.rkmp.test "DNS:x.rkmp.test" 20010101000000Z 20020101000000Z

	for c in ca sub-ca; do
		openssl x509 -in "$work/$c.pem" -pubkey -noout | openssl pkey -pubin -outform DER |
		    sha1sum | cut -d' ' -f1 > "$work/$c.spki.sha1"
	done

	# Every end entity must chain to ca (except rogue and expired, by design).
	for c in rsa p256 p384 ed25519; do
		openssl verify -CAfile "$work/ca.pem" "$work/$c.pem" >/dev/null
	done
	openssl verify -CAfile "$work/ca.pem" -untrusted "$work/sub-ca.pem" "$work/p521.pem" >/dev/null
	if openssl verify -CAfile "$work/ca.pem" "$work/expired.pem" >/dev/null 2>&1; then
		echo "make-pki: expired.pem verifies" >&2
		exit 1
	fi
	names="$names ca rogue-ca sub-ca rsa p256 p384 p521 ed25519 rogue expired"
	spki="$spki ca sub-ca"
}

gen_rsa4096() {
	root rsa4096-ca "/O=rkmp test/CN=rkmp test RSA-4096 CA" rsa4096
	key rsa4096-sub rsa4096
	csr rsa4096-sub "/O=rkmp test/CN=rkmp test RSA-4096 intermediate CA"
	issue rsa4096-sub rsa4096-ca v3_ca
	cadb rsa4096-sub
	ee rsa4096 rsa4096 rsa4096-sub us.rkmp.test "DNS:us.rkmp.test"
	ee rsa4096-peer rsa4096 rsa4096-sub peer.rkmp.test "DNS:peer.rkmp.test"
	for c in rsa4096 rsa4096-peer; do
		cat "$work/rsa4096-sub.pem" >> "$work/$c.pem"
		# the leaf chains to the root through the intermediate the file carries
		openssl verify -CAfile "$work/rsa4096-ca.pem" -untrusted "$work/$c.pem" "$work/$c.pem" >/dev/null
	done
	names="$names rsa4096-ca rsa4096-sub rsa4096 rsa4096-peer"
}

for set in $sets; do
	"gen_$set"
done

install -d -m 0755 "$out"
for n in $names; do
	install -m 0644 "$work/$n.pem" "$out/$n.pem"
	install -m 0600 "$work/$n.key" "$out/$n.key"
done
for c in $spki; do
	install -m 0644 "$work/$c.spki.sha1" "$out/"
done
echo "make-pki: wrote $(echo "$names" | wc -w) certificates and keys ($sets) to $out"

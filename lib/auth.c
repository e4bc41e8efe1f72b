/* SPDX-License-Identifier: MIT */
/*
 * auth.c — the AUTH payload: PSK (method 2), RSA (1), ECDSA (9-11, RFC 4754)
 * and Digital Signature (14, RFC 7427), with X.509 certificates checked
 * against our CAs, CERTREQ hashes and PSK files.  OpenSSL 3 EVP only:
 * EVP_DigestSign/EVP_DigestVerify, X509_verify_cert, PEM/d2i/i2d; the ECDSA
 * r|s <-> DER conversion uses ECDSA_SIG, which OpenSSL 3 keeps undeprecated.
 *
 * The signed octets are RealMessage | NonceData | prf(SK_p, ID') (RFC 7296
 * §2.15).  They arrive as three pieces and are fed to the PRF or the digest
 * piece by piece; only EdDSA, which has no streaming interface, gets them
 * joined into one buffer.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "auth.h"
#include "err.h"
#include "hex.h"
#include "names.h"
#include "nitems.h"
#include "wire.h"


/* AUTH methods (RFC 7296 §3.8, RFC 4754, RFC 7427). */
#define AM_RSA		1
#define AM_PSK		2
#define AM_ECDSA_256	9
#define AM_ECDSA_384	10
#define AM_ECDSA_521	11
#define AM_DIGSIG	14

/* SIGNATURE_HASH_ALGORITHMS values (RFC 7427 §7, RFC 8420). */
#define HASH_SHA1	1
#define HASH_SHA256	2
#define HASH_SHA384	3
#define HASH_SHA512	4
#define HASH_IDENTITY	5

#define CHAIN_MAX	8	/* our certificate + chain; RFC 7296 asks for >= 4 */
#define PSK_READ_MAX	(1u << 20)
#define SHA1_LEN	20
#define ECDSA_DER_MAX	160	/* DER SEQUENCE { r, s } for P-521 is <= 139 */
#define DESC_MAX	256

/* Key types a signature algorithm fits. */
enum keykind {
	KK_NONE,
	KK_RSA,
	KK_EC,
	KK_ED25519,
	KK_ED448
};

static const char *const kind_name[] = {
	[KK_NONE] = "unsupported", [KK_RSA] = "RSA", [KK_EC] = "ECDSA",
	[KK_ED25519] = "Ed25519", [KK_ED448] = "Ed448"
};

struct rkmp_creds {
	EVP_PKEY	*key;
	X509		*cert[CHAIN_MAX];	/* [0] is the end entity */
	uint8_t		*der[CHAIN_MAX];
	size_t		 der_len[CHAIN_MAX];
	size_t		 ncert;
	X509_STORE	*store;
	STACK_OF(X509)	*cas;			/* the CA bundle, in file order */
};

/* ----------------------------------------------------- RFC 7427 algorithms */

/*
 * AlgorithmIdentifier DER, byte for byte from RFC 7427 Appendix A (and RFC
 * 8420 for EdDSA), as in testdata/vectors/rfc7427-algorithm-identifiers.txt.
 * We sign with the PKCS#1 v1.5, ECDSA and EdDSA rows and accept every row
 * for a key of the right type, RSASSA-PSS in both spellings (with the
 * DEFAULT trailerField, as RFC 7427's example has it, and without, as
 * strict DER has it).
 */
static const uint8_t der_sha1_rsa[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00
};
static const uint8_t der_sha256_rsa[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00
};
static const uint8_t der_sha384_rsa[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00
};
static const uint8_t der_sha512_rsa[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00
};
static const uint8_t der_ecdsa_sha256[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02
};
static const uint8_t der_ecdsa_sha384[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03
};
static const uint8_t der_ecdsa_sha512[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04
};
static const uint8_t der_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const uint8_t der_ed448[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71 };

/*
 * RSASSA-PSS { hash H, MGF1 with H, salt = |H| }: SEQUENCE { OID
 * 1.2.840.113549.1.1.10, SEQUENCE { [0] H, [1] MGF1(H), [2] salt [, [3] 1] } }.
 */
#define PSS_HEAD(outer, inner) \
	0x30, (outer), 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, \
	0x30, (inner)
#define PSS_BODY(h, salt) \
	0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, (h), \
	0x05, 0x00, \
	0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, \
	0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, (h), 0x05, 0x00, \
	0xa2, 0x03, 0x02, 0x01, (salt)
#define PSS_TRAILER	0xa3, 0x03, 0x02, 0x01, 0x01

static const uint8_t der_pss256[] = { PSS_HEAD(0x41, 0x34), PSS_BODY(0x01, 0x20) };
static const uint8_t der_pss384[] = { PSS_HEAD(0x41, 0x34), PSS_BODY(0x02, 0x30) };
static const uint8_t der_pss512[] = { PSS_HEAD(0x41, 0x34), PSS_BODY(0x03, 0x40) };
static const uint8_t der_pss256t[] = { PSS_HEAD(0x46, 0x39), PSS_BODY(0x01, 0x20), PSS_TRAILER };
static const uint8_t der_pss384t[] = { PSS_HEAD(0x46, 0x39), PSS_BODY(0x02, 0x30), PSS_TRAILER };
static const uint8_t der_pss512t[] = { PSS_HEAD(0x46, 0x39), PSS_BODY(0x03, 0x40), PSS_TRAILER };

struct sigalg {
	const char	*name;		/* for messages: "ecdsa-with-SHA256" */
	enum keykind	 kind;		/* the key type it needs */
	const char	*md;		/* OpenSSL digest; NULL = EdDSA (no prehash) */
	uint16_t	 hash;		/* SIGNATURE_HASH_ALGORITHMS value */
	int		 pss_salt;	/* RSASSA-PSS salt length; 0 = not PSS */
	int		 sign;		/* one we sign with */
	const uint8_t	*der;
	size_t		 der_len;
};

#define SA(name, kind, md, hash, salt, sign, der) \
	{ (name), (kind), (md), (hash), (salt), (sign), (der), sizeof(der) }
static const struct sigalg sigalgs[] = {
	SA("sha256WithRSAEncryption", KK_RSA, "SHA256", HASH_SHA256, 0, 1, der_sha256_rsa),
	SA("sha384WithRSAEncryption", KK_RSA, "SHA384", HASH_SHA384, 0, 1, der_sha384_rsa),
	SA("sha512WithRSAEncryption", KK_RSA, "SHA512", HASH_SHA512, 0, 1, der_sha512_rsa),
	SA("sha1WithRSAEncryption", KK_RSA, "SHA1", HASH_SHA1, 0, 0, der_sha1_rsa),
	SA("ecdsa-with-SHA256", KK_EC, "SHA256", HASH_SHA256, 0, 1, der_ecdsa_sha256),
	SA("ecdsa-with-SHA384", KK_EC, "SHA384", HASH_SHA384, 0, 1, der_ecdsa_sha384),
	SA("ecdsa-with-SHA512", KK_EC, "SHA512", HASH_SHA512, 0, 1, der_ecdsa_sha512),
	SA("Ed25519", KK_ED25519, NULL, HASH_IDENTITY, 0, 1, der_ed25519),
	SA("Ed448", KK_ED448, NULL, HASH_IDENTITY, 0, 1, der_ed448),
	SA("RSASSA-PSS SHA-256", KK_RSA, "SHA256", HASH_SHA256, 32, 0, der_pss256),
	SA("RSASSA-PSS SHA-384", KK_RSA, "SHA384", HASH_SHA384, 48, 0, der_pss384),
	SA("RSASSA-PSS SHA-512", KK_RSA, "SHA512", HASH_SHA512, 64, 0, der_pss512),
	SA("RSASSA-PSS SHA-256", KK_RSA, "SHA256", HASH_SHA256, 32, 0, der_pss256t),
	SA("RSASSA-PSS SHA-384", KK_RSA, "SHA384", HASH_SHA384, 48, 0, der_pss384t),
	SA("RSASSA-PSS SHA-512", KK_RSA, "SHA512", HASH_SHA512, 64, 0, der_pss512t),
};
#undef SA

/* Methods 1 and 9-11: algorithm fixed by the method (RFC 7296 §3.8, RFC 4754). */
struct fixedalg {
	int		 method;
	enum keykind	 kind;
	int		 nid;		/* curve; NID_undef for RSA */
	const char	*md;
	size_t		 rs_len;	/* r and s each, left-padded; 0 for RSA */
	const char	*name;
};

static const struct fixedalg fixedalgs[] = {
	{ AM_RSA, KK_RSA, NID_undef, "SHA1", 0, "RSA PKCS#1 v1.5 SHA-1" },
	{ AM_ECDSA_256, KK_EC, NID_X9_62_prime256v1, "SHA256", 32, "ECDSA P-256 SHA-256" },
	{ AM_ECDSA_384, KK_EC, NID_secp384r1, "SHA384", 48, "ECDSA P-384 SHA-384" },
	{ AM_ECDSA_521, KK_EC, NID_secp521r1, "SHA512", 66, "ECDSA P-521 SHA-512" },
};

static const struct fixedalg *
fixed_by_method(int method)
{
	for (size_t i = 0; i < nitems(fixedalgs); i++)
		if (fixedalgs[i].method == method)
			return &fixedalgs[i];
	return NULL;
}

static const struct sigalg *
sigalg_for(enum keykind kind, uint16_t hash)
{
	for (size_t i = 0; i < nitems(sigalgs); i++)
		if (sigalgs[i].kind == kind && sigalgs[i].hash == hash && sigalgs[i].sign)
			return &sigalgs[i];
	return NULL;
}

static const struct sigalg *
sigalg_by_der(const uint8_t *der, size_t len)
{
	for (size_t i = 0; i < nitems(sigalgs); i++)
		if (sigalgs[i].der_len == len && memcmp(sigalgs[i].der, der, len) == 0)
			return &sigalgs[i];
	return NULL;
}

/* ---------------------------------------------------------------- helpers */

/* Record an OpenSSL failure with the reason of the latest queued error. */
static int
ossl_fail(int code, const char *where, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
	int rc;

	rc = rkmp_err_set(code, where, "%s: %s", what, reason != NULL ? reason :
	    e != 0 ? "unknown OpenSSL error" : "failed");
	ERR_clear_error();
	return rc;
}

/* Printable ASCII as is, anything else \xNN; cut with "..." to fit. */
static void
escape(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char tmp[5];
		size_t tl;

		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			tmp[0] = (char)p[i];
			tmp[1] = '\0';
		} else
			snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
		tl = strlen(tmp);
		if (o + tl + 4 > outlen) {
			snprintf(out + o, outlen - o, "...");
			return;
		}
		memcpy(out + o, tmp, tl);
		o += tl;
	}
	out[o] = '\0';
}

static void
hexstr(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (o + 2 + 4 > outlen) {
			snprintf(out + o, outlen - o, "...");
			return;
		}
		o += (size_t)snprintf(out + o, outlen - o, "%02x", p[i]);
	}
}

/* ASCII case-insensitive comparison of exactly n octets (NULs included). */
static int
ascii_caseeq(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

/* A Name as an RFC 2253 string ("CN=a.example,O=Example"). */
static int
name_str(const X509_NAME *name, char *out, size_t outlen)
{
	BIO *b;
	char *p;
	long n;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "CERT", "out of memory");
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) < 0) {
		BIO_free(b);
		return ossl_fail(RKMP_E_CRYPTO, "CERT", "X509_NAME_print_ex");
	}
	n = BIO_get_mem_data(b, &p);
	if (n < 0 || (size_t)n >= outlen) {
		BIO_free(b);
		return rkmp_err_set(RKMP_E_USAGE, "CERT",
		    "subject DN of %ld characters, room for %zu", n, outlen > 0 ? outlen - 1 : 0);
	}
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return 0;
}

/* What a key is, for choosing and for messages ("RSA 2048", "ECDSA P-256"). */
struct keyinfo {
	enum keykind	 kind;
	int		 nid;		/* EC curve */
	int		 bits;
	char		 desc[80];
};

static void
key_info(EVP_PKEY *pk, struct keyinfo *ki)
{
	char group[64];

	memset(ki, 0, sizeof(*ki));
	ki->nid = NID_undef;
	ki->bits = EVP_PKEY_get_bits(pk);
	if (EVP_PKEY_is_a(pk, "RSA"))
		ki->kind = KK_RSA;
	else if (EVP_PKEY_is_a(pk, "EC"))
		ki->kind = KK_EC;
	else if (EVP_PKEY_is_a(pk, "ED25519"))
		ki->kind = KK_ED25519;
	else if (EVP_PKEY_is_a(pk, "ED448"))
		ki->kind = KK_ED448;
	else
		ki->kind = KK_NONE;
	switch (ki->kind) {
	case KK_RSA:
		snprintf(ki->desc, sizeof(ki->desc), "RSA %d", ki->bits);
		break;
	case KK_EC:
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) == 1) {
			if ((ki->nid = OBJ_sn2nid(group)) == NID_undef)
				ki->nid = EC_curve_nist2nid(group);
		} else {
			ERR_clear_error();
			snprintf(group, sizeof(group), "?");
		}
		if (ki->nid == NID_X9_62_prime256v1)
			snprintf(ki->desc, sizeof(ki->desc), "ECDSA P-256");
		else if (ki->nid == NID_secp384r1)
			snprintf(ki->desc, sizeof(ki->desc), "ECDSA P-384");
		else if (ki->nid == NID_secp521r1)
			snprintf(ki->desc, sizeof(ki->desc), "ECDSA P-521");
		else
			snprintf(ki->desc, sizeof(ki->desc), "ECDSA %s", group);
		break;
	case KK_ED25519:
	case KK_ED448:
		snprintf(ki->desc, sizeof(ki->desc), "%s", kind_name[ki->kind]);
		break;
	case KK_NONE:
		snprintf(ki->desc, sizeof(ki->desc), "%s", EVP_PKEY_get0_type_name(pk) != NULL ?
		    EVP_PKEY_get0_type_name(pk) : "unknown key");
		break;
	}
}

/* prf(SK_p, ID') -> maced[prf->out_len] */
static int
maced_id(const struct rkmp_prf_alg *prf, const struct rkmp_auth_octets *o, uint8_t *maced)
{
	if (prf == NULL || o == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "AUTH", "no prf or no octets");
	return rkmp_crypto_prf(prf, o->sk_p, o->sk_p_len, o->id, o->id_len, maced);
}

/* The signed octets as three pieces; the third is the caller's maced buffer. */
static void
octets_iov(const struct rkmp_auth_octets *o, const uint8_t *maced, size_t maced_len,
    struct rkmp_crypto_iov v[3])
{
	v[0] = (struct rkmp_crypto_iov){ o->msg, o->msg_len };
	v[1] = (struct rkmp_crypto_iov){ o->nonce, o->nonce_len };
	v[2] = (struct rkmp_crypto_iov){ maced, maced_len };
}

/* Join pieces into one malloc'd buffer (EdDSA signs in one shot). */
static uint8_t *
flatten(const struct rkmp_crypto_iov *v, size_t nv, size_t *len)
{
	uint8_t *p;
	size_t n = 0, o = 0;

	for (size_t i = 0; i < nv; i++)
		n += v[i].len;
	if ((p = malloc(n > 0 ? n : 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < nv; i++) {
		if (v[i].len > 0)
			memcpy(p + o, v[i].p, v[i].len);
		o += v[i].len;
	}
	*len = n;
	return p;
}

/* Set up a digest-sign/verify context's padding: PKCS#1 v1.5 or PSS. */
static int
set_rsa_padding(EVP_PKEY *pk, EVP_PKEY_CTX *pctx, const char *md, int pss_salt)
{
	if (!EVP_PKEY_is_a(pk, "RSA"))
		return 1;
	if (pss_salt == 0)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md, NULL) > 0 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) > 0;
}

/*
 * Sign the pieces: sig[cap] gets the signature (RSA PKCS#1 v1.5, ECDSA DER
 * or EdDSA), *siglen its length.  cap must be at least EVP_PKEY_get_size().
 */
static int
do_sign(EVP_PKEY *key, const char *md, const struct rkmp_crypto_iov *v, size_t nv,
    uint8_t *sig, size_t cap, size_t *siglen)
{
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *flat = NULL;
	size_t flen = 0, n = cap;
	int rc = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "AUTH", "out of memory");
	if (EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL) != 1 ||
	    !set_rsa_padding(key, pctx, md, 0)) {
		rc = ossl_fail(RKMP_E_CRYPTO, "AUTH", "EVP_DigestSignInit");
		goto out;
	}
	if (md == NULL) {
		if ((flat = flatten(v, nv, &flen)) == NULL) {
			rc = rkmp_err_set(RKMP_E_NOMEM, "AUTH", "out of memory");
			goto out;
		}
		if (EVP_DigestSign(ctx, sig, &n, flat, flen) != 1)
			rc = ossl_fail(RKMP_E_CRYPTO, "AUTH", "EVP_DigestSign");
	} else {
		for (size_t i = 0; i < nv && rc == 0; i++)
			if (v[i].len > 0 && EVP_DigestSignUpdate(ctx, v[i].p, v[i].len) != 1)
				rc = ossl_fail(RKMP_E_CRYPTO, "AUTH", "EVP_DigestSignUpdate");
		if (rc == 0 && EVP_DigestSignFinal(ctx, sig, &n) != 1)
			rc = ossl_fail(RKMP_E_CRYPTO, "AUTH", "EVP_DigestSignFinal");
	}
	if (rc == 0)
		*siglen = n;
out:
	free(flat);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* 1 when the signature is right, 0 when not, negative (set) on failure. */
static int
do_verify(EVP_PKEY *pk, const char *md, int pss_salt, const struct rkmp_crypto_iov *v,
    size_t nv, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *flat = NULL;
	size_t flen = 0;
	int rc = 1;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "AUTH", "out of memory");
	if (EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, pk, NULL) != 1 ||
	    !set_rsa_padding(pk, pctx, md, pss_salt)) {
		rc = ossl_fail(RKMP_E_CRYPTO, "AUTH", "EVP_DigestVerifyInit");
		goto out;
	}
	if (md == NULL) {
		if ((flat = flatten(v, nv, &flen)) == NULL) {
			rc = rkmp_err_set(RKMP_E_NOMEM, "AUTH", "out of memory");
			goto out;
		}
		rc = EVP_DigestVerify(ctx, sig, siglen, flat, flen) == 1;
	} else {
		for (size_t i = 0; i < nv && rc == 1; i++)
			if (v[i].len > 0 && EVP_DigestVerifyUpdate(ctx, v[i].p, v[i].len) != 1)
				rc = ossl_fail(RKMP_E_CRYPTO, "AUTH", "EVP_DigestVerifyUpdate");
		if (rc == 1)
			rc = EVP_DigestVerifyFinal(ctx, sig, siglen) == 1;
	}
	ERR_clear_error();	/* a bad signature queues decoding errors */
out:
	free(flat);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* ECDSA DER SEQUENCE { r, s } -> r | s, each left-padded to w octets (RFC 4754). */
static int
ecdsa_der_to_rs(const uint8_t *der, size_t der_len, uint8_t *out, size_t w)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig;
	int rc = 0;

	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL)
		return ossl_fail(RKMP_E_CRYPTO, "AUTH", "d2i_ECDSA_SIG");
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, out, (int)w) < 0 || BN_bn2binpad(s, out + w, (int)w) < 0)
		rc = rkmp_err_set(RKMP_E_CRYPTO, "AUTH", "ECDSA r or s longer than %zu octets", w);
	ECDSA_SIG_free(sig);
	return rc;
}

/* r | s (2w octets) -> malloc'd DER in *der (OPENSSL_free it). */
static int
ecdsa_rs_to_der(const uint8_t *rs, size_t w, uint8_t **der, size_t *der_len)
{
	ECDSA_SIG *sig;
	BIGNUM *r, *s;
	unsigned char *p = NULL;
	int n;

	r = BN_bin2bn(rs, (int)w, NULL);
	s = BN_bin2bn(rs + w, (int)w, NULL);
	if (r == NULL || s == NULL || (sig = ECDSA_SIG_new()) == NULL) {
		BN_free(r);
		BN_free(s);
		return rkmp_err_set(RKMP_E_NOMEM, "AUTH", "out of memory");
	}
	if (ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return ossl_fail(RKMP_E_CRYPTO, "AUTH", "ECDSA_SIG_set0");
	}
	n = i2d_ECDSA_SIG(sig, &p);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return ossl_fail(RKMP_E_CRYPTO, "AUTH", "i2d_ECDSA_SIG");
	*der = p;
	*der_len = (size_t)n;
	return 0;
}

/* ---------------------------------------------------------------- PSK */

/*
 * AUTH = prf(prf(PSK, "Key Pad for IKEv2"), RealMessage | NonceData |
 * prf(SK_p, ID')) (RFC 7296 §2.15); the pad is 17 octets, no NUL.
 */
int
rkmp_auth_psk_pad(const struct rkmp_prf_alg *prf, const uint8_t *psk, size_t psk_len, uint8_t *pad)
{
	static const char keypad[] = "Key Pad for IKEv2";

	if (prf == NULL || pad == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "AUTH", "PSK: no prf or output");
	if (psk == NULL || psk_len == 0)
		return rkmp_err_set(RKMP_E_USAGE, "AUTH", "empty pre-shared key");
	return rkmp_crypto_prf(prf, psk, psk_len, (const uint8_t *)keypad, sizeof(keypad) - 1, pad);
}

int
rkmp_auth_psk_padded(const struct rkmp_prf_alg *prf, const uint8_t *pad,
    const struct rkmp_auth_octets *o, uint8_t *out)
{
	uint8_t maced[RKMP_CRYPTO_PRF_MAX];
	struct rkmp_crypto_iov v[3];
	int rc;

	if (prf == NULL || pad == NULL || o == NULL || out == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "AUTH", "PSK: no prf, key, octets or output");
	if ((rc = maced_id(prf, o, maced)) == 0) {
		octets_iov(o, maced, prf->out_len, v);
		rc = rkmp_crypto_prfv(prf, pad, prf->out_len, v, nitems(v), out);
	}
	OPENSSL_cleanse(maced, sizeof(maced));
	return rc;
}

int
rkmp_auth_psk(const struct rkmp_prf_alg *prf, const uint8_t *psk, size_t psk_len,
    const struct rkmp_auth_octets *o, uint8_t *out)
{
	uint8_t k[RKMP_CRYPTO_PRF_MAX];
	int rc;

	if ((rc = rkmp_auth_psk_pad(prf, psk, psk_len, k)) == 0)
		rc = rkmp_auth_psk_padded(prf, k, o, out);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

int
rkmp_auth_psk_verify_padded(const struct rkmp_prf_alg *prf, const uint8_t *pad,
    const struct rkmp_auth_octets *o, const uint8_t *auth, size_t auth_len)
{
	uint8_t want[RKMP_CRYPTO_PRF_MAX];
	int rc;

	if ((rc = rkmp_auth_psk_padded(prf, pad, o, want)) != 0)
		return rc;
	if (auth == NULL || auth_len != prf->out_len)
		rc = rkmp_err_set(RKMP_E_REFUSED, "AUTH",
		    "AUTH mismatch (%zu octets, %s gives %zu)", auth_len, prf->name, prf->out_len);
	else if (CRYPTO_memcmp(want, auth, auth_len) != 0)
		rc = rkmp_err_set(RKMP_E_REFUSED, "AUTH", "AUTH mismatch (method 2, shared key)");
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

int
rkmp_auth_psk_verify(const struct rkmp_prf_alg *prf, const uint8_t *psk, size_t psk_len,
    const struct rkmp_auth_octets *o, const uint8_t *auth, size_t auth_len)
{
	uint8_t k[RKMP_CRYPTO_PRF_MAX];
	int rc;

	if ((rc = rkmp_auth_psk_pad(prf, psk, psk_len, k)) == 0)
		rc = rkmp_auth_psk_verify_padded(prf, k, o, auth, auth_len);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

/*
 * DESIGN.md §6: the content is the key, one trailing newline stripped;
 * content starting "0x" is hex.  Like ssh with private keys, a file that
 * group or others can read (or write) is refused before it is read.
 */
int
rkmp_auth_psk_load(const char *path, uint8_t *psk, size_t max, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t cap, n = 0, klen;
	int fd, rc = 0;

	if (path == NULL || psk == NULL || len == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "PSK", "no path or output");
	/* "0x" + 2 digits per octet + "\n": the longest acceptable file. */
	cap = max > PSK_READ_MAX / 2 ? PSK_READ_MAX : 2 * max + 3;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rkmp_err_set(RKMP_E_SYSTEM, path, "open: %s", strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = rkmp_err_set(RKMP_E_SYSTEM, path, "fstat: %s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = rkmp_err_set(RKMP_E_USAGE, path, "is a directory, not a key file");
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rc = rkmp_err_set(RKMP_E_USAGE, path,
		    "mode %04o: %s by group or others (chmod 600 %s)",
		    (unsigned)(st.st_mode & 07777),
		    (st.st_mode & (S_IRGRP | S_IROTH)) ? "readable" : "writable or executable",
		    path);
		goto out;
	}
	if ((buf = malloc(cap + 1)) == NULL) {
		rc = rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
		goto out;
	}
	while (n < cap + 1) {
		ssize_t r = read(fd, buf + n, cap + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = rkmp_err_set(RKMP_E_SYSTEM, path, "read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > cap) {
		rc = rkmp_err_set(RKMP_E_USAGE, path, "key longer than %zu octets", max);
		goto out;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n >= 2 && buf[0] == '0' && buf[1] == 'x') {
		for (size_t i = 2; i < n; i++)
			if (rkmp_hex_digit(buf[i]) < 0) {
				rc = rkmp_err_set(RKMP_E_USAGE, path,
				    "bad hex digit at offset %zu (after \"0x\", hex digits only)",
				    i);
				goto out;
			}
		if ((n - 2) % 2 != 0) {
			rc = rkmp_err_set(RKMP_E_USAGE, path,
			    "odd number of hex digits (%zu) ending at offset %zu", n - 2, n);
			goto out;
		}
		klen = (n - 2) / 2;
	} else
		klen = n;
	if (klen == 0) {
		rc = rkmp_err_set(RKMP_E_USAGE, path, "empty key");
		goto out;
	}
	if (klen > max) {
		rc = rkmp_err_set(RKMP_E_USAGE, path,
		    "key of %zu octets, longer than %zu", klen, max);
		goto out;
	}
	if (klen == n)
		memcpy(psk, buf, n);
	else
		for (size_t i = 0; i < klen; i++)
			psk[i] = (uint8_t)(rkmp_hex_digit(buf[2 + 2 * i]) << 4 | rkmp_hex_digit(buf[3 + 2 * i]));
	*len = klen;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, cap + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ credentials */

/* Reason of the latest OpenSSL error, queue cleared. */
static const char *
ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "unknown OpenSSL error";
}

/* Every certificate of a PEM file, in order; at least one. */
static int
read_certs(const char *path, STACK_OF(X509) **out)
{
	STACK_OF(X509) *sk;
	BIO *b;
	X509 *x;
	int rc = 0;

	ERR_clear_error();
	if ((b = BIO_new_file(path, "r")) == NULL) {
		int e = errno;

		ERR_clear_error();
		return rkmp_err_set(RKMP_E_USAGE, path, "cannot open: %s", strerror(e));
	}
	if ((sk = sk_X509_new_null()) == NULL) {
		BIO_free(b);
		return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	}
	for (;;) {
		unsigned long e;

		if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
			if (sk_X509_push(sk, x) <= 0) {
				X509_free(x);
				rc = rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
				break;
			}
			continue;
		}
		e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE &&
		    sk_X509_num(sk) > 0) {
			ERR_clear_error();	/* the end of the file */
			break;
		}
		rc = rkmp_err_set(RKMP_E_USAGE, path, "certificate %d: %s", sk_X509_num(sk) + 1,
		    sk_X509_num(sk) == 0 && ERR_GET_REASON(e) == PEM_R_NO_START_LINE ?
		    "no PEM certificate in the file" : ossl_reason());
		ERR_clear_error();
		break;
	}
	BIO_free(b);
	if (rc != 0) {
		sk_X509_pop_free(sk, X509_free);
		return rc;
	}
	*out = sk;
	return 0;
}

/* Refuse to prompt for a passphrase: the library never talks to a terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int
read_key(const char *path, EVP_PKEY **out)
{
	EVP_PKEY *pk;
	BIO *b;

	ERR_clear_error();
	if ((b = BIO_new_file(path, "r")) == NULL) {
		int e = errno;

		ERR_clear_error();
		return rkmp_err_set(RKMP_E_USAGE, path, "cannot open: %s", strerror(e));
	}
	pk = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (pk == NULL) {
		unsigned long e = ERR_peek_last_error();

		if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_BAD_PASSWORD_READ) {
			ERR_clear_error();
			return rkmp_err_set(RKMP_E_USAGE, path,
			    "encrypted private key: not supported, "
			    "store it unencrypted with mode 0600");
		}
		return rkmp_err_set(RKMP_E_USAGE, path, "no private key: %s", ossl_reason());
	}
	*out = pk;
	return 0;
}

void
rkmp_creds_free(struct rkmp_creds *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_free(c->key);	/* OpenSSL clears the private key */
	for (size_t i = 0; i < c->ncert; i++) {
		X509_free(c->cert[i]);
		OPENSSL_free(c->der[i]);
	}
	X509_STORE_free(c->store);
	sk_X509_pop_free(c->cas, X509_free);
	free(c);
}

int
rkmp_creds_load(struct rkmp_creds **cp, const char *cert, const char *key, const char *ca)
{
	struct rkmp_creds *c;
	STACK_OF(X509) *sk = NULL;
	int rc = 0;

	if (cp == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "CERT", "no output");
	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "CERT", "out of memory");
	if (cert != NULL) {
		if ((rc = read_certs(cert, &sk)) != 0)
			goto out;
		if (sk_X509_num(sk) > CHAIN_MAX) {
			rc = rkmp_err_set(RKMP_E_USAGE, cert, "%d certificates, at most %d",
			    sk_X509_num(sk), CHAIN_MAX);
			goto out;
		}
		while (sk_X509_num(sk) > 0) {
			X509 *x = sk_X509_shift(sk);
			unsigned char *der = NULL;
			int n;

			c->cert[c->ncert] = x;
			if ((n = i2d_X509(x, &der)) <= 0) {
				c->ncert++;
				rc = ossl_fail(RKMP_E_CRYPTO, cert, "i2d_X509");
				goto out;
			}
			c->der[c->ncert] = der;
			c->der_len[c->ncert++] = (size_t)n;
		}
	}
	if (key != NULL) {
		if ((rc = read_key(key, &c->key)) != 0)
			goto out;
		if (c->ncert > 0 && EVP_PKEY_eq(X509_get0_pubkey(c->cert[0]), c->key) != 1) {
			ERR_clear_error();
			rc = rkmp_err_set(RKMP_E_USAGE, key,
			    "private key does not match the certificate %s", cert);
			goto out;
		}
	}
	if (ca != NULL) {
		if ((rc = read_certs(ca, &c->cas)) != 0)
			goto out;
		if ((c->store = X509_STORE_new()) == NULL) {
			rc = rkmp_err_set(RKMP_E_NOMEM, ca, "out of memory");
			goto out;
		}
		for (int i = 0; i < sk_X509_num(c->cas); i++)
			if (X509_STORE_add_cert(c->store, sk_X509_value(c->cas, i)) != 1) {
				rc = rkmp_err_set(RKMP_E_USAGE, ca, "certificate %d: %s", i + 1,
				    ossl_reason());
				goto out;
			}
		/* Every certificate in the bundle is a trust anchor, root or not. */
		X509_STORE_set_flags(c->store, X509_V_FLAG_PARTIAL_CHAIN);
	}
out:
	sk_X509_pop_free(sk, X509_free);
	if (rc != 0) {
		rkmp_creds_free(c);
		return rc;
	}
	*cp = c;
	return 0;
}

const uint8_t *
rkmp_creds_cert_der(const struct rkmp_creds *c, size_t i, size_t *len)
{
	if (c == NULL || i >= c->ncert)
		return NULL;
	if (len != NULL)
		*len = c->der_len[i];
	return c->der[i];
}

/* Hash and URL / X.509 CERTREQ: SHA-1 of each CA's SubjectPublicKeyInfo (§3.7). */
int
rkmp_creds_certreq(const struct rkmp_creds *c, uint8_t *out, size_t max, size_t *len)
{
	size_t n = 0;
	int nca;

	if (c == NULL || len == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "CERTREQ", "no credentials or output");
	nca = c->cas != NULL ? sk_X509_num(c->cas) : 0;
	if ((size_t)nca * SHA1_LEN > max)
		return rkmp_err_set(RKMP_E_USAGE, "CERTREQ", "%d CAs need %zu octets, room for %zu",
		    nca, (size_t)nca * SHA1_LEN, max);
	for (int i = 0; i < nca; i++) {
		unsigned char *spki = NULL;
		unsigned int hl = 0;
		int sl;

		sl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(sk_X509_value(c->cas, i)), &spki);
		if (sl <= 0)
			return ossl_fail(RKMP_E_CRYPTO, "CERTREQ", "i2d_X509_PUBKEY");
		if (EVP_Digest(spki, (size_t)sl, out + n, &hl, EVP_sha1(), NULL) != 1 ||
		    hl != SHA1_LEN) {
			OPENSSL_free(spki);
			return ossl_fail(RKMP_E_CRYPTO, "CERTREQ", "SHA-1");
		}
		OPENSSL_free(spki);
		n += SHA1_LEN;
	}
	*len = n;
	return 0;
}

static int
put_identity(char *out, size_t outlen, const char *prefix, const char *s, size_t slen)
{
	size_t pl = strlen(prefix);

	if (pl + slen + 1 > outlen)
		return rkmp_err_set(RKMP_E_USAGE, "CERT",
		    "identity %s... of %zu characters, room for %zu",
		    prefix, pl + slen, outlen > 0 ? outlen - 1 : 0);
	memcpy(out, prefix, pl);
	memcpy(out + pl, s, slen);
	out[pl + slen] = '\0';
	return 0;
}

/* A SAN string usable as an identity: printable ASCII, no NUL, not empty. */
static int
san_printable(const ASN1_STRING *s)
{
	const uint8_t *p = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);

	if (p == NULL || n <= 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * Our identity: the first SAN DNS name, else the first SAN email address
 * (printable ASCII only), else the subject.  *type is the ID payload type;
 * *s is the SAN string (NULL for the subject).  *san must be freed.
 */
static int
pick_identity(const struct rkmp_creds *c, GENERAL_NAMES **san, uint8_t *type,
    const ASN1_STRING **s)
{
	static const struct { int gen; uint8_t type; } pref[] = {
		{ GEN_DNS, RKMP_ID_FQDN }, { GEN_EMAIL, RKMP_ID_RFC822_ADDR }
	};

	if (c == NULL || c->ncert == 0)
		return rkmp_err_set(RKMP_E_USAGE, "CERT",
		    "no certificate (--cert) to take an identity from");
	*s = NULL;
	*type = RKMP_ID_DER_ASN1_DN;
	*san = X509_get_ext_d2i(c->cert[0], NID_subject_alt_name, NULL, NULL);
	ERR_clear_error();
	for (size_t k = 0; *san != NULL && k < nitems(pref); k++)
		for (int i = 0; i < sk_GENERAL_NAME_num(*san); i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(*san, i);

			if (g->type != pref[k].gen)
				continue;
			if (san_printable(g->type == GEN_DNS ? g->d.dNSName : g->d.rfc822Name)) {
				*s = g->type == GEN_DNS ? g->d.dNSName : g->d.rfc822Name;
				*type = pref[k].type;
				return 0;
			}
		}
	return 0;
}

int
rkmp_creds_identity(const struct rkmp_creds *c, char *out, size_t outlen)
{
	const ASN1_STRING *s;
	GENERAL_NAMES *san = NULL;
	char dn[1024];
	uint8_t type;
	int rc;

	if (out == NULL || outlen == 0)
		return rkmp_err_set(RKMP_E_INTERNAL, "CERT", "no output");
	if ((rc = pick_identity(c, &san, &type, &s)) != 0)
		return rc;
	if (s != NULL)
		rc = put_identity(out, outlen, type == RKMP_ID_FQDN ? "fqdn:" : "email:",
		    (const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
	else if ((rc = name_str(X509_get_subject_name(c->cert[0]), dn, sizeof(dn))) == 0)
		rc = put_identity(out, outlen, "dn:", dn, strlen(dn));
	GENERAL_NAMES_free(san);
	return rc;
}

int
rkmp_creds_id(const struct rkmp_creds *c, uint8_t *type, uint8_t *data, size_t max,
    size_t *len)
{
	const ASN1_STRING *s;
	GENERAL_NAMES *san = NULL;
	unsigned char *der = NULL;
	size_t n;
	int rc, dl;

	if (type == NULL || data == NULL || len == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "CERT", "no output");
	if ((rc = pick_identity(c, &san, type, &s)) != 0)
		return rc;
	if (s != NULL) {
		n = (size_t)ASN1_STRING_length(s);
		if (n > max)
			rc = rkmp_err_set(RKMP_E_USAGE, "CERT", "identity of %zu octets, room for %zu",
			    n, max);
		else {
			memcpy(data, ASN1_STRING_get0_data(s), n);
			*len = n;
		}
	} else if ((dl = i2d_X509_NAME(X509_get_subject_name(c->cert[0]), &der)) <= 0)
		rc = ossl_fail(RKMP_E_CRYPTO, "CERT", "i2d_X509_NAME");
	else if ((size_t)dl > max)
		rc = rkmp_err_set(RKMP_E_USAGE, "CERT", "subject DN of %d octets, room for %zu", dl,
		    max);
	else {
		memcpy(data, der, (size_t)dl);
		*len = (size_t)dl;
	}
	OPENSSL_free(der);
	GENERAL_NAMES_free(san);
	return rc;
}

/* ------------------------------------------------------------ sign */

/*
 * Method 14's algorithm for our key: EdDSA has one; RSA and ECDSA take the
 * best hash the peer announced (SHA2-512, -384, -256), or SHA2-256 when it
 * announced none.  NULL when it announced some but none of those.
 */
static const struct sigalg *
pick_sigalg(enum keykind kind, const uint16_t *hashes, size_t nhashes)
{
	static const uint16_t pref[] = { HASH_SHA512, HASH_SHA384, HASH_SHA256 };

	if (kind == KK_ED25519 || kind == KK_ED448)
		return sigalg_for(kind, HASH_IDENTITY);
	if (nhashes == 0)
		return sigalg_for(kind, HASH_SHA256);
	for (size_t p = 0; p < nitems(pref); p++)
		for (size_t i = 0; i < nhashes; i++)
			if (hashes != NULL && hashes[i] == pref[p])
				return sigalg_for(kind, pref[p]);
	return NULL;
}

static void
hash_list(char *out, size_t outlen, const uint16_t *hashes, size_t nhashes)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < nhashes && o + 16 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s", i > 0 ? ", " : "",
		    rkmp_name_or(RKMP_REG_HASH, hashes[i]));
}

int
rkmp_auth_sign(const struct rkmp_creds *c, const struct rkmp_prf_alg *prf, int method,
    const uint16_t *hashes, size_t nhashes, const struct rkmp_auth_octets *o,
    uint8_t *out, size_t max, size_t *len, int *method_out)
{
	uint8_t maced[RKMP_CRYPTO_PRF_MAX], der[ECDSA_DER_MAX];
	struct rkmp_crypto_iov v[3];
	const struct fixedalg *fa = NULL;
	const struct sigalg *sa = NULL;
	struct keyinfo ki;
	size_t need, siglen = 0;
	int rc;

	if (out == NULL || len == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "AUTH", "no output");
	if (c == NULL || c->key == NULL)
		return rkmp_err_set(RKMP_E_USAGE, "AUTH", "no private key to sign with (--key)");
	key_info(c->key, &ki);
	if (ki.kind == KK_NONE)
		return rkmp_err_set(RKMP_E_CRYPTO, "AUTH", "cannot sign with a %s key", ki.desc);

	/* Which method: the caller's, or 14 when the peer announced hashes. */
	if (method == 0) {
		if ((nhashes > 0 || ki.kind == KK_ED25519 || ki.kind == KK_ED448) &&
		    (sa = pick_sigalg(ki.kind, hashes, nhashes)) != NULL)
			method = AM_DIGSIG;
		else if (ki.kind == KK_RSA)
			method = AM_RSA;
		else {
			for (size_t i = 0; i < nitems(fixedalgs); i++)
				if (fixedalgs[i].kind == KK_EC && fixedalgs[i].nid == ki.nid)
					method = fixedalgs[i].method;
			if (method == 0) {
				method = AM_DIGSIG;
				sa = sigalg_for(ki.kind, HASH_SHA256);
			}
		}
	}
	if (method == AM_DIGSIG) {
		if (sa == NULL && (sa = pick_sigalg(ki.kind, hashes, nhashes)) == NULL) {
			char hl[128];

			hash_list(hl, sizeof(hl), hashes, nhashes);
			return rkmp_err_set(RKMP_E_REFUSED, "AUTH",
			    "method 14: the peer's SIGNATURE_HASH_ALGORITHMS (%s) has none of "
			    "SHA2_512, SHA2_384, SHA2_256", hl);
		}
	} else if (method == AM_PSK)
		return rkmp_err_set(RKMP_E_INTERNAL, "AUTH",
		    "method 2 is the shared key MIC, not a signature");
	else if ((fa = fixed_by_method(method)) == NULL)
		return rkmp_err_set(RKMP_E_CRYPTO, "AUTH", "method %d (%s) not supported", method,
		    rkmp_name_or(RKMP_REG_AUTH, (unsigned)method));
	else if (fa->kind != ki.kind || (fa->nid != NID_undef && fa->nid != ki.nid))
		return rkmp_err_set(RKMP_E_USAGE, "AUTH", "method %d (%s) does not fit our %s key",
		    method, fa->name, ki.desc);

	/* How much room. */
	if (fa != NULL && fa->rs_len > 0)
		need = 2 * fa->rs_len;
	else
		need = (size_t)EVP_PKEY_get_size(c->key) + (sa != NULL ? 1 + sa->der_len : 0);
	if (need > max)
		return rkmp_err_set(RKMP_E_USAGE, "AUTH",
		    "method %d signature needs %zu octets, room for %zu", method, need, max);

	if ((rc = maced_id(prf, o, maced)) != 0)
		goto out;
	octets_iov(o, maced, prf->out_len, v);
	if (sa != NULL) {
		/* RFC 7427 §3: ASN.1 length (1) | AlgorithmIdentifier | signature. */
		out[0] = (uint8_t)sa->der_len;
		memcpy(out + 1, sa->der, sa->der_len);
		if ((rc = do_sign(c->key, sa->md, v, nitems(v), out + 1 + sa->der_len,
		    max - 1 - sa->der_len, &siglen)) != 0)
			goto out;
		*len = 1 + sa->der_len + siglen;
	} else if (fa->rs_len == 0) {
		if ((rc = do_sign(c->key, fa->md, v, nitems(v), out, max, &siglen)) != 0)
			goto out;
		*len = siglen;
	} else {
		if ((size_t)EVP_PKEY_get_size(c->key) > sizeof(der)) {
			rc = rkmp_err_set(RKMP_E_INTERNAL, "AUTH",
			    "ECDSA signature larger than %zu", sizeof(der));
			goto out;
		}
		if ((rc = do_sign(c->key, fa->md, v, nitems(v), der, sizeof(der), &siglen)) != 0 ||
		    (rc = ecdsa_der_to_rs(der, siglen, out, fa->rs_len)) != 0)
			goto out;
		*len = 2 * fa->rs_len;
	}
	if (method_out != NULL)
		*method_out = method;
out:
	OPENSSL_cleanse(maced, sizeof(maced));
	return rc;
}

/* ------------------------------------------------------------ verify */

/* The certificate's subjectAltName entries, for messages. */
static void
san_list(X509 *x, char *out, size_t outlen)
{
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t o = 0;
	int n = 0;

	out[0] = '\0';
	for (int i = 0; san != NULL && i < sk_GENERAL_NAME_num(san); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		char item[128] = "";

		if (g->type == GEN_DNS || g->type == GEN_EMAIL) {
			const ASN1_STRING *s = g->type == GEN_DNS ? g->d.dNSName : g->d.rfc822Name;

			escape(item, sizeof(item), ASN1_STRING_get0_data(s),
			    (size_t)ASN1_STRING_length(s));
		} else if (g->type == GEN_IPADD) {
			const uint8_t *p = ASN1_STRING_get0_data(g->d.iPAddress);
			int l = ASN1_STRING_length(g->d.iPAddress);

			if (l == 4 || l == 16)
				inet_ntop(l == 4 ? AF_INET : AF_INET6, p, item, sizeof(item));
		} else if (g->type == GEN_DIRNAME) {
			if (name_str(g->d.directoryName, item, sizeof(item)) != 0)
				snprintf(item, sizeof(item), "(a long DN)");
		} else
			continue;
		if (o + strlen(item) + 8 > outlen) {
			snprintf(out + o, outlen - o, "%s...", n > 0 ? ", " : "");
			break;
		}
		o += (size_t)snprintf(out + o, outlen - o, "%s%s", n++ > 0 ? ", " : "", item);
	}
	GENERAL_NAMES_free(san);
	ERR_clear_error();
}

/* Is the claimed identity in the certificate? */
static int
check_identity(X509 *ee, uint8_t id_type, const uint8_t *id, size_t id_len)
{
	GENERAL_NAMES *san = NULL;
	GENERAL_NAME *gn = NULL;
	X509_NAME *dn = NULL;
	char claim[DESC_MAX + 16], have[DESC_MAX], tmp[DESC_MAX];
	const unsigned char *p;
	int want_gen, found = 0;

	switch (id_type) {
	case RKMP_ID_IPV4_ADDR:
	case RKMP_ID_IPV6_ADDR:
		if (id_len != (id_type == RKMP_ID_IPV4_ADDR ? 4u : 16u))
			return rkmp_err_set(RKMP_E_INVALID, "AUTH", "%s of %zu octets",
			    rkmp_name_or(RKMP_REG_ID, id_type), id_len);
		inet_ntop(id_type == RKMP_ID_IPV4_ADDR ? AF_INET : AF_INET6, id, tmp, sizeof(tmp));
		snprintf(claim, sizeof(claim), "%s:%s",
		    id_type == RKMP_ID_IPV4_ADDR ? "ipv4" : "ipv6", tmp);
		want_gen = GEN_IPADD;
		break;
	case RKMP_ID_FQDN:
	case RKMP_ID_RFC822_ADDR:
		escape(tmp, sizeof(tmp), id, id_len);
		snprintf(claim, sizeof(claim), "%s:%s",
		    id_type == RKMP_ID_FQDN ? "fqdn" : "email", tmp);
		want_gen = id_type == RKMP_ID_FQDN ? GEN_DNS : GEN_EMAIL;
		break;
	case RKMP_ID_DER_ASN1_DN:
		p = id;
		if ((dn = d2i_X509_NAME(NULL, &p, (long)id_len)) == NULL || p != id + id_len) {
			X509_NAME_free(dn);
			ERR_clear_error();
			return rkmp_err_set(RKMP_E_INVALID, "AUTH",
			    "ID_DER_ASN1_DN is not one DER Name");
		}
		if (name_str(dn, tmp, sizeof(tmp)) != 0)
			snprintf(tmp, sizeof(tmp), "(a long DN)");
		snprintf(claim, sizeof(claim), "dn:%s", tmp);
		found = X509_NAME_cmp(dn, X509_get_subject_name(ee)) == 0;
		X509_NAME_free(dn);
		if (found)
			return 0;
		if (name_str(X509_get_subject_name(ee), have, sizeof(have)) != 0)
			snprintf(have, sizeof(have), "(a long DN)");
		return rkmp_err_set(RKMP_E_REFUSED, "AUTH",
		    "identity %s not in certificate (subject: %s)", claim, have);
	case RKMP_ID_DER_ASN1_GN:
		p = id;
		if ((gn = d2i_GENERAL_NAME(NULL, &p, (long)id_len)) == NULL || p != id + id_len) {
			GENERAL_NAME_free(gn);
			ERR_clear_error();
			return rkmp_err_set(RKMP_E_INVALID, "AUTH",
			    "ID_DER_ASN1_GN is not one DER GeneralName");
		}
		hexstr(tmp, 64, id, id_len);
		snprintf(claim, sizeof(claim), "gn:%s", tmp);
		want_gen = -1;
		break;
	default:
		return rkmp_err_set(RKMP_E_REFUSED, "AUTH",
		    "identity type %u (%s) cannot be matched to a certificate", id_type,
		    rkmp_name_or(RKMP_REG_ID, id_type));
	}

	san = X509_get_ext_d2i(ee, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; san != NULL && !found && i < sk_GENERAL_NAME_num(san); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		const ASN1_STRING *s;

		if (gn != NULL) {
			found = GENERAL_NAME_cmp(gn, g) == 0;
			continue;
		}
		if (g->type != want_gen)
			continue;
		s = g->type == GEN_DNS ? g->d.dNSName : g->type == GEN_EMAIL ? g->d.rfc822Name :
		    g->d.iPAddress;
		if ((size_t)ASN1_STRING_length(s) != id_len)
			continue;
		if (want_gen == GEN_IPADD)
			found = memcmp(ASN1_STRING_get0_data(s), id, id_len) == 0;
		else
			found = ascii_caseeq(ASN1_STRING_get0_data(s), id, id_len);
	}
	GENERAL_NAMES_free(san);
	GENERAL_NAME_free(gn);
	ERR_clear_error();
	if (found)
		return 0;
	san_list(ee, have, sizeof(have));
	if (have[0] != '\0')
		return rkmp_err_set(RKMP_E_REFUSED, "AUTH",
		    "identity %s not in certificate (SAN: %s)", claim, have);
	if (name_str(X509_get_subject_name(ee), tmp, sizeof(tmp)) != 0)
		snprintf(tmp, sizeof(tmp), "(a long DN)");
	return rkmp_err_set(RKMP_E_REFUSED, "AUTH",
	    "identity %s not in certificate (no subjectAltName; subject %s)", claim, tmp);
}

/* Chain the peer's certificates to one of our CAs; time is checked, purpose not. */
static int
check_chain(const struct rkmp_creds *c, X509 *ee, STACK_OF(X509) *untrusted)
{
	X509_STORE_CTX *ctx;
	char subj[DESC_MAX];
	X509 *bad;
	int rc = 0, err;

	if ((ctx = X509_STORE_CTX_new()) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "CERT", "out of memory");
	if (X509_STORE_CTX_init(ctx, c->store, ee, untrusted) != 1) {
		X509_STORE_CTX_free(ctx);
		return ossl_fail(RKMP_E_CRYPTO, "CERT", "X509_STORE_CTX_init");
	}
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		bad = X509_STORE_CTX_get_current_cert(ctx);
		if (bad == NULL || name_str(X509_get_subject_name(bad), subj, sizeof(subj)) != 0)
			snprintf(subj, sizeof(subj), "?");
		rc = rkmp_err_set(RKMP_E_REFUSED, "CERT",
		    "certificate not trusted: %s (depth %d: %s)",
		    X509_verify_cert_error_string(err), X509_STORE_CTX_get_error_depth(ctx), subj);
	}
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	return rc;
}

static int
check_signature(EVP_PKEY *pk, int method, const uint8_t *auth, size_t auth_len,
    const struct rkmp_prf_alg *prf, const struct rkmp_auth_octets *o)
{
	uint8_t maced[RKMP_CRYPTO_PRF_MAX], *der = NULL;
	struct rkmp_crypto_iov v[3];
	const struct fixedalg *fa = NULL;
	const struct sigalg *sa = NULL;
	const uint8_t *sig;
	const char *md, *name;
	struct keyinfo ki;
	size_t siglen, der_len = 0;
	int rc, ok, salt = 0;

	key_info(pk, &ki);
	if (auth == NULL)
		auth_len = 0;
	if (method == AM_DIGSIG) {
		char hex[80];
		size_t al;

		if (auth_len < 1)
			return rkmp_err_set(RKMP_E_TRUNCATED, "AUTH",
			    "method 14: no ASN.1 length octet");
		al = auth[0];
		if (1 + al > auth_len)
			return rkmp_err_set(RKMP_E_TRUNCATED, "AUTH",
			    "method 14: AlgorithmIdentifier length %zu > %zu octets left", al,
			    auth_len - 1);
		if ((sa = sigalg_by_der(auth + 1, al)) == NULL) {
			hexstr(hex, sizeof(hex), auth + 1, al);
			return rkmp_err_set(RKMP_E_REFUSED, "AUTH",
			    "method 14: unsupported AlgorithmIdentifier %s", hex);
		}
		if (sa->kind != ki.kind)
			return rkmp_err_set(RKMP_E_REFUSED, "AUTH",
			    "method 14: %s does not fit the certificate's %s key", sa->name,
			    ki.desc);
		sig = auth + 1 + al;
		siglen = auth_len - 1 - al;
		md = sa->md;
		salt = sa->pss_salt;
		name = sa->name;
	} else if (method == AM_PSK) {
		return rkmp_err_set(RKMP_E_INTERNAL, "AUTH",
		    "method 2 is the shared key MIC, not a signature");
	} else if ((fa = fixed_by_method(method)) == NULL) {
		return rkmp_err_set(RKMP_E_CRYPTO, "AUTH", "method %d (%s) not supported", method,
		    rkmp_name_or(RKMP_REG_AUTH, (unsigned)method));
	} else {
		if (fa->kind != ki.kind || (fa->nid != NID_undef && fa->nid != ki.nid))
			return rkmp_err_set(RKMP_E_REFUSED, "AUTH",
			    "method %d (%s) does not fit the certificate's %s key", method,
			    fa->name, ki.desc);
		md = fa->md;
		name = fa->name;
		sig = auth;
		siglen = auth_len;
		if (fa->rs_len > 0) {
			if (auth_len != 2 * fa->rs_len)
				return rkmp_err_set(RKMP_E_INVALID, "AUTH",
				    "method %d: %zu octets of r | s, want %zu", method, auth_len,
				    2 * fa->rs_len);
			if ((rc = ecdsa_rs_to_der(auth, fa->rs_len, &der, &der_len)) != 0)
				return rc;
			sig = der;
			siglen = der_len;
		}
	}

	if ((rc = maced_id(prf, o, maced)) != 0)
		goto out;
	octets_iov(o, maced, prf->out_len, v);
	if ((ok = do_verify(pk, md, salt, v, nitems(v), sig, siglen)) < 0)
		rc = ok;
	else if (ok == 0)
		rc = rkmp_err_set(RKMP_E_REFUSED, "AUTH", "AUTH signature mismatch (method %d, %s)",
		    method, name);
out:
	OPENSSL_free(der);
	OPENSSL_cleanse(maced, sizeof(maced));
	return rc;
}

int
rkmp_auth_verify(const struct rkmp_creds *c, const uint8_t *const *certs,
    const size_t *cert_lens, size_t ncerts, uint8_t id_type, const uint8_t *id,
    size_t id_len, int method, const uint8_t *auth, size_t auth_len,
    const struct rkmp_prf_alg *prf, const struct rkmp_auth_octets *o)
{
	STACK_OF(X509) *untrusted = NULL;
	X509 *ee = NULL;
	int rc = 0;

	if (prf == NULL || o == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "AUTH", "no prf or no octets");
	if (c == NULL || c->store == NULL)
		return rkmp_err_set(RKMP_E_USAGE, "AUTH",
		    "no CA (--ca) to check the peer's certificate against");
	if (ncerts == 0 || certs == NULL || cert_lens == NULL)
		return rkmp_err_set(RKMP_E_REFUSED, "CERT", "the peer sent no certificate");
	if ((untrusted = sk_X509_new_null()) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "CERT", "out of memory");
	for (size_t i = 0; i < ncerts; i++) {
		const unsigned char *p = certs[i];
		X509 *x;

		if (p == NULL || cert_lens[i] == 0) {
			rc = rkmp_err_set(RKMP_E_INVALID, "CERT", "certificate %zu of %zu: empty",
			    i + 1, ncerts);
			goto out;
		}
		if (cert_lens[i] > RKMP_MSG_MAX ||
		    (x = d2i_X509(NULL, &p, (long)cert_lens[i])) == NULL) {
			rc = rkmp_err_set(RKMP_E_INVALID, "CERT",
			    "certificate %zu of %zu: not DER X.509 (%s)",
			    i + 1, ncerts, ossl_reason());
			goto out;
		}
		if (p != certs[i] + cert_lens[i]) {
			X509_free(x);
			rc = rkmp_err_set(RKMP_E_INVALID, "CERT",
			    "certificate %zu of %zu: %zu octets after the DER", i + 1, ncerts,
			    (size_t)(certs[i] + cert_lens[i] - p));
			goto out;
		}
		if (i == 0)
			ee = x;
		else if (sk_X509_push(untrusted, x) <= 0) {
			X509_free(x);
			rc = rkmp_err_set(RKMP_E_NOMEM, "CERT", "out of memory");
			goto out;
		}
	}
	if ((rc = check_chain(c, ee, untrusted)) != 0 ||
	    (rc = check_identity(ee, id_type, id, id_len)) != 0)
		goto out;
	rc = check_signature(X509_get0_pubkey(ee), method, auth, auth_len, prf, o);
out:
	X509_free(ee);
	sk_X509_pop_free(untrusted, X509_free);
	ERR_clear_error();
	return rc;
}

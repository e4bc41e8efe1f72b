/* SPDX-License-Identifier: MIT */
/*
 * crypto.c — IKEv2 suites, prf/prf+, key schedule, INTEG, SK ciphers and DH
 * over OpenSSL 3 EVP (EVP_MAC, EVP_CIPHER, EVP_PKEY); nothing deprecated.
 * OpenSSL has no AES-XCBC and no IKEv2 KDF, so both are written here.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "err.h"
#include "names.h"
#include "nitems.h"

#define WHERE		"crypto"
#define AES_BLOCK	16
#define AEAD_TAG_FULL	16
#define PRFPLUS_MAXBLK	255	/* the counter is one octet (RFC 7296 §2.13) */
#define PRFPLUS_IOV_MAX	8

/* ------------------------------------------------------------- the tables */

/*
 * Sizes from RFC 7296 §3.3.2 / IANA, RFC 3602, RFC 5282 (GCM: 4-octet salt,
 * 8-octet IV), RFC 7634 (ChaCha20-Poly1305: no Key Length attribute).
 * AEAD ciphers frame with block size 1: only the Pad Length octet is needed.
 */
static const struct rkmp_encr_alg encr_table[] = {
	{ 12, 128, "ENCR_AES_CBC", "aes128", "AES-128-CBC", 16, 0, 16, 16, 0, 0 },
	{ 12, 192, "ENCR_AES_CBC", "aes192", "AES-192-CBC", 24, 0, 16, 16, 0, 0 },
	{ 12, 256, "ENCR_AES_CBC", "aes256", "AES-256-CBC", 32, 0, 16, 16, 0, 0 },
	{ 18, 128, "ENCR_AES_GCM_8", "aes128gcm8", "AES-128-GCM", 16, 4, 8, 1, 8, 1 },
	{ 18, 192, "ENCR_AES_GCM_8", "aes192gcm8", "AES-192-GCM", 24, 4, 8, 1, 8, 1 },
	{ 18, 256, "ENCR_AES_GCM_8", "aes256gcm8", "AES-256-GCM", 32, 4, 8, 1, 8, 1 },
	{ 19, 128, "ENCR_AES_GCM_12", "aes128gcm12", "AES-128-GCM", 16, 4, 8, 1, 12, 1 },
	{ 19, 192, "ENCR_AES_GCM_12", "aes192gcm12", "AES-192-GCM", 24, 4, 8, 1, 12, 1 },
	{ 19, 256, "ENCR_AES_GCM_12", "aes256gcm12", "AES-256-GCM", 32, 4, 8, 1, 12, 1 },
	{ 20, 128, "ENCR_AES_GCM_16", "aes128gcm16", "AES-128-GCM", 16, 4, 8, 1, 16, 1 },
	{ 20, 192, "ENCR_AES_GCM_16", "aes192gcm16", "AES-192-GCM", 24, 4, 8, 1, 16, 1 },
	{ 20, 256, "ENCR_AES_GCM_16", "aes256gcm16", "AES-256-GCM", 32, 4, 8, 1, 16, 1 },
	{ 28, 0, "ENCR_CHACHA20_POLY1305", "chacha20poly1305", "ChaCha20-Poly1305",
	    32, 4, 8, 1, 16, 1 },
};

/*
 * HMAC: preferred key size = output size (RFC 7296 §2.13, RFC 4868).
 * The AES PRFs are fixed-key: SKEYSEED takes 8 octets of each nonce (§2.14).
 */
static const struct rkmp_prf_alg prf_table[] = {
	{ 2, "PRF_HMAC_SHA1", "prfsha1", RKMP_MAC_HMAC, "SHA1", 20, 20, 0 },
	{ 4, "PRF_AES128_XCBC", "prfaesxcbc", RKMP_MAC_XCBC, "AES-128-ECB", 16, 16, 8 },
	{ 5, "PRF_HMAC_SHA2_256", "prfsha256", RKMP_MAC_HMAC, "SHA256", 32, 32, 0 },
	{ 6, "PRF_HMAC_SHA2_384", "prfsha384", RKMP_MAC_HMAC, "SHA384", 48, 48, 0 },
	{ 7, "PRF_HMAC_SHA2_512", "prfsha512", RKMP_MAC_HMAC, "SHA512", 64, 64, 0 },
	{ 8, "PRF_AES128_CMAC", "prfaescmac", RKMP_MAC_CMAC, "AES-128-CBC", 16, 16, 8 },
};

/* ICV = leftmost octets of the MAC (RFC 2404, 3566, 4494, 4868). */
static const struct rkmp_integ_alg integ_table[] = {
	{ 2, "AUTH_HMAC_SHA1_96", "sha1", RKMP_MAC_HMAC, "SHA1", 20, 12 },
	{ 5, "AUTH_AES_XCBC_96", "aesxcbc", RKMP_MAC_XCBC, "AES-128-ECB", 16, 12 },
	{ 8, "AUTH_AES_CMAC_96", "aescmac", RKMP_MAC_CMAC, "AES-128-CBC", 16, 12 },
	{ 12, "AUTH_HMAC_SHA2_256_128", "sha256", RKMP_MAC_HMAC, "SHA256", 32, 16 },
	{ 13, "AUTH_HMAC_SHA2_384_192", "sha384", RKMP_MAC_HMAC, "SHA384", 48, 24 },
	{ 14, "AUTH_HMAC_SHA2_512_256", "sha512", RKMP_MAC_HMAC, "SHA512", 64, 32 },
};

/*
 * RFC 3526 primes are OpenSSL's built-in "modp_*" groups; ECP public values
 * are x | y and g^ir is x (RFC 5903 §7); X25519/X448 as-is (RFC 8031).
 */
static const struct rkmp_dh_group dh_table[] = {
	{ 14, "MODP_2048", "modp2048", RKMP_DH_MODP, "modp_2048", 256, 256, 256 },
	{ 15, "MODP_3072", "modp3072", RKMP_DH_MODP, "modp_3072", 384, 384, 384 },
	{ 16, "MODP_4096", "modp4096", RKMP_DH_MODP, "modp_4096", 512, 512, 512 },
	{ 19, "ECP_256", "ecp256", RKMP_DH_ECP, "P-256", 64, 32, 32 },
	{ 20, "ECP_384", "ecp384", RKMP_DH_ECP, "P-384", 96, 48, 48 },
	{ 21, "ECP_521", "ecp521", RKMP_DH_ECP, "P-521", 132, 66, 66 },
	{ 31, "CURVE_25519", "curve25519", RKMP_DH_ECX, "X25519", 32, 32, 32 },
	{ 32, "CURVE_448", "curve448", RKMP_DH_ECX, "X448", 56, 56, 56 },
};

const struct rkmp_encr_alg *
rkmp_crypto_encr_lookup(uint16_t id, uint16_t key_bits)
{
	const char *name = NULL;

	for (size_t i = 0; i < nitems(encr_table); i++) {
		if (encr_table[i].id != id)
			continue;
		if (encr_table[i].key_bits == key_bits)
			return &encr_table[i];
		name = encr_table[i].name;
	}
	if (name != NULL)
		rkmp_err_set(RKMP_E_CRYPTO, WHERE, "ENCR %u (%s) with key length %u not supported",
		    id, name, key_bits);
	else
		rkmp_err_set(RKMP_E_CRYPTO, WHERE, "ENCR transform %u not supported", id);
	return NULL;
}

const struct rkmp_prf_alg *
rkmp_crypto_prf_lookup(uint16_t id)
{
	for (size_t i = 0; i < nitems(prf_table); i++)
		if (prf_table[i].id == id)
			return &prf_table[i];
	rkmp_err_set(RKMP_E_CRYPTO, WHERE, "PRF transform %u not supported", id);
	return NULL;
}

const struct rkmp_integ_alg *
rkmp_crypto_integ_lookup(uint16_t id)
{
	for (size_t i = 0; i < nitems(integ_table); i++)
		if (integ_table[i].id == id)
			return &integ_table[i];
	rkmp_err_set(RKMP_E_CRYPTO, WHERE, "INTEG transform %u not supported", id);
	return NULL;
}

const struct rkmp_dh_group *
rkmp_crypto_dh_lookup(uint16_t id)
{
	for (size_t i = 0; i < nitems(dh_table); i++)
		if (dh_table[i].id == id)
			return &dh_table[i];
	rkmp_err_set(RKMP_E_CRYPTO, WHERE, "DH group %u not supported", id);
	return NULL;
}

const struct rkmp_encr_alg *
rkmp_crypto_encr_table(size_t *n)
{
	*n = nitems(encr_table);
	return encr_table;
}

const struct rkmp_prf_alg *
rkmp_crypto_prf_table(size_t *n)
{
	*n = nitems(prf_table);
	return prf_table;
}

const struct rkmp_integ_alg *
rkmp_crypto_integ_table(size_t *n)
{
	*n = nitems(integ_table);
	return integ_table;
}

const struct rkmp_dh_group *
rkmp_crypto_dh_table(size_t *n)
{
	*n = nitems(dh_table);
	return dh_table;
}

bool
rkmp_crypto_dh_by_name(const char *kw, unsigned *g)
{
	static const struct { const char *alias, *kw; } aliases[] = {
		{ "x25519", "curve25519" }, { "x448", "curve448" },
	};

	if (kw == NULL)
		return false;
	if (rkmp_name_value(RKMP_REG_DH, kw, g))
		return true;
	for (size_t i = 0; i < nitems(aliases); i++)
		if (strcmp(kw, aliases[i].alias) == 0)
			kw = aliases[i].kw;
	for (size_t i = 0; i < nitems(dh_table); i++)
		if (strcmp(dh_table[i].keyword, kw) == 0) {
			*g = dh_table[i].id;
			return true;
		}
	return false;
}

/* ---------------------------------------------------------------- helpers */

/*
 * Turn the OpenSSL error queue into our one detail line, and empty the queue
 * so a stale reason never shows up in a later, unrelated failure.
 */
static int
ossl_fail(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	if (reason != NULL)
		return rkmp_err_set(RKMP_E_CRYPTO, WHERE, "%s failed: %s", what, reason);
	if (e != 0)
		return rkmp_err_set(RKMP_E_CRYPTO, WHERE, "%s failed: error %lx", what, e);
	return rkmp_err_set(RKMP_E_CRYPTO, WHERE, "%s failed", what);
}

/* A peer-supplied value was refused: RKMP_E_INVALID, queue emptied. */
static int
peer_invalid(const struct rkmp_dh_group *g, const char *why)
{
	ERR_clear_error();
	return rkmp_err_set(RKMP_E_INVALID, "KE payload", "%s (group %u) public value %s",
	    g->name, g->id, why);
}

/* EVP takes int lengths; a larger one is a caller bug, never a wire value. */
static int
int_len(size_t n, const char *what)
{
	if (n > INT_MAX)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "%s: length %zu too large", what, n);
	return 0;
}

int
rkmp_crypto_ct_eq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
rkmp_crypto_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;

		if (RAND_bytes(p, chunk) != 1)
			return ossl_fail("RAND_bytes");
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

void
rkmp_crypto_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

/* Join pieces into one malloc'd buffer (HMAC and CMAC keys are contiguous). */
static int
iov_join(const struct rkmp_crypto_iov *v, size_t nv, uint8_t **out, size_t *len)
{
	size_t n = 0, off = 0;

	for (size_t i = 0; i < nv; i++)
		n += v[i].len;
	/* malloc(0) may return NULL: always ask for at least one octet. */
	if ((*out = malloc(n ? n : 1)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, WHERE, "%zu octets", n);
	for (size_t i = 0; i < nv; i++) {
		if (v[i].len > 0)
			memcpy(*out + off, v[i].p, v[i].len);
		off += v[i].len;
	}
	*len = n;
	return 0;
}

static void
free_secret(uint8_t *p, size_t n)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, n);
		free(p);
	}
}

/* ------------------------------------------------------------------ MACs */

/*
 * Fetched algorithm objects are kept for the life of the process: an
 * EVP_*_fetch walks the provider tables under a lock, and a negotiation
 * makes dozens of MAC and cipher calls (measured: fetching each time cost
 * more than the X25519 operations themselves).  Single-threaded tools;
 * _Thread_local keeps it correct if that ever changes.
 */
#define FETCH_CACHE 16

static EVP_CIPHER *
cipher_fetch(const char *name)
{
	static _Thread_local struct {
		const char	*name;
		EVP_CIPHER	*c;
	} cache[FETCH_CACHE];
	size_t i;

	for (i = 0; i < FETCH_CACHE && cache[i].name != NULL; i++)
		if (strcmp(cache[i].name, name) == 0)
			return cache[i].c;
	if (i == FETCH_CACHE)
		return NULL;	/* more algorithms than the tables have: a bug */
	if ((cache[i].c = EVP_CIPHER_fetch(NULL, name, NULL)) != NULL)
		cache[i].name = name;
	return cache[i].c;
}

/*
 * HMAC contexts: one per digest and thread, made once and keyed again for
 * every MAC (EVP_MAC_init with the key; with no key, the last key once more,
 * as prf+ does block after block).  Duplicating a keyless template for each
 * MAC and freeing it cost 60 % more than keying a kept context (measured:
 * 770 against 475 ns for one HMAC-SHA2-256; a negotiation makes some 30).
 * A kept context holds the key state of its last MAC until the next one:
 * rkmp_crypto_forget() frees them (OpenSSL cleanses digest states as it
 * frees them), and rkmp_sa_wipe() calls it as the SA whose keys they were
 * goes.  The keyless template and the fetched EVP_MAC stay for the process:
 * fetching is the dear part, and they hold no key.
 */
static _Thread_local struct hmac_slot {
	const char	*alg;
	EVP_MAC_CTX	*tmpl;		/* digest set, never keyed */
	EVP_MAC_CTX	*ctx;		/* tmpl's copy in use: its last key, or NULL */
} hmacs[FETCH_CACHE];

static struct hmac_slot *
hmac_slot(const char *alg)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	char name[32];
	size_t i;

	for (i = 0; i < FETCH_CACHE && hmacs[i].alg != NULL; i++)
		if (strcmp(hmacs[i].alg, alg) == 0)
			return &hmacs[i];
	if (i == FETCH_CACHE)
		return NULL;	/* more digests than the tables have: a bug */
	/* OSSL_PARAM wants a mutable string; the table's are const. */
	snprintf(name, sizeof(name), "%s", alg);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	hmacs[i].tmpl = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context holds its own reference */
	if (hmacs[i].tmpl == NULL || EVP_MAC_CTX_set_params(hmacs[i].tmpl, params) != 1) {
		EVP_MAC_CTX_free(hmacs[i].tmpl);
		hmacs[i].tmpl = NULL;
		return NULL;
	}
	hmacs[i].alg = alg;
	return &hmacs[i];
}

/* The HMAC context of alg keyed with key, or (key NULL) with its last key again. */
static EVP_MAC_CTX *
hmac_keyed(const char *alg, const uint8_t *key, size_t key_len)
{
	struct hmac_slot *h = hmac_slot(alg);

	if (h == NULL || (h->ctx == NULL && (key == NULL ||
	    (h->ctx = EVP_MAC_CTX_dup(h->tmpl)) == NULL)))
		return NULL;
	if (EVP_MAC_init(h->ctx, key, key_len, NULL) != 1) {
		EVP_MAC_CTX_free(h->ctx);
		h->ctx = NULL;
		return NULL;
	}
	return h->ctx;
}

static void ciphers_forget(void);

void
rkmp_crypto_forget(void)
{
	for (size_t i = 0; i < FETCH_CACHE && hmacs[i].alg != NULL; i++) {
		EVP_MAC_CTX_free(hmacs[i].ctx);
		hmacs[i].ctx = NULL;
	}
	ciphers_forget();
}

/* One AES-128-ECB context, for the XCBC construction. */
static int
ecb_new(const uint8_t key[AES_BLOCK], EVP_CIPHER_CTX **ctxp)
{
	EVP_CIPHER *c;
	EVP_CIPHER_CTX *ctx = NULL;
	int ok;

	if ((c = cipher_fetch("AES-128-ECB")) == NULL)
		return ossl_fail("EVP_CIPHER_fetch AES-128-ECB");
	ok = (ctx = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_EncryptInit_ex2(ctx, c, key, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1;
	if (!ok) {
		EVP_CIPHER_CTX_free(ctx);
		return ossl_fail("AES-128-ECB init");
	}
	*ctxp = ctx;
	return 0;
}

static int
ecb_block(EVP_CIPHER_CTX *ctx, const uint8_t in[AES_BLOCK], uint8_t out[AES_BLOCK])
{
	int outl = 0;

	if (EVP_EncryptUpdate(ctx, out, &outl, in, AES_BLOCK) != 1 || outl != AES_BLOCK)
		return ossl_fail("AES-128-ECB");
	return 0;
}

/*
 * AES-XCBC-MAC (RFC 3566 §4) over a 16-octet key:
 *   K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..)
 *   E[i] = E(K1, M[i] ^ E[i-1]) for every block but the last;
 *   last block complete: E(K1, M[n] ^ E[n-1] ^ K2),
 *   else padded with 0x80 0x00..: E(K1, M[n]' ^ E[n-1] ^ K3).
 * The message arrives in pieces, so the last (possibly full) block is held
 * back until we know no more data follows.
 */
static int
xcbc_mac(const uint8_t key[AES_BLOCK], const struct rkmp_crypto_iov *v, size_t nv,
    uint8_t out[AES_BLOCK])
{
	EVP_CIPHER_CTX *kctx = NULL, *k1ctx = NULL;
	uint8_t k[3][AES_BLOCK], e[AES_BLOCK], blk[AES_BLOCK];
	size_t have = 0;
	int rc;

	memset(e, 0, sizeof(e));
	if ((rc = ecb_new(key, &kctx)) != 0)
		return rc;
	for (int i = 0; i < 3; i++) {
		memset(blk, i + 1, sizeof(blk));
		if ((rc = ecb_block(kctx, blk, k[i])) != 0)
			goto out;
	}
	if ((rc = ecb_new(k[0], &k1ctx)) != 0)
		goto out;
	for (size_t i = 0; i < nv; i++) {
		const uint8_t *p = v[i].p;
		size_t left = v[i].len;

		while (left > 0) {
			size_t n;

			if (have == AES_BLOCK) {
				/* More data follows, so the held block is not the last. */
				for (int j = 0; j < AES_BLOCK; j++)
					e[j] ^= blk[j];
				if ((rc = ecb_block(k1ctx, e, e)) != 0)
					goto out;
				have = 0;
			}
			n = AES_BLOCK - have < left ? AES_BLOCK - have : left;
			memcpy(blk + have, p, n);
			have += n;
			p += n;
			left -= n;
		}
	}
	if (have < AES_BLOCK) {
		blk[have] = 0x80;
		memset(blk + have + 1, 0, AES_BLOCK - have - 1);
	}
	for (int j = 0; j < AES_BLOCK; j++)
		e[j] ^= blk[j] ^ k[have == AES_BLOCK ? 1 : 2][j];
	rc = ecb_block(k1ctx, e, out);
out:
	EVP_CIPHER_CTX_free(kctx);
	EVP_CIPHER_CTX_free(k1ctx);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(e, sizeof(e));
	OPENSSL_cleanse(blk, sizeof(blk));
	return rc;
}

/*
 * The full MAC (digest size, or 16 for the AES MACs) into out[out_size];
 * *out_len says how much was written.  again: the same key as the last MAC
 * of this kind and algorithm (prf+ blocks), so an HMAC is not keyed anew.
 */
static int
mac_run(enum rkmp_mac_kind kind, const char *alg, const uint8_t *key, size_t key_len,
    bool again, const struct rkmp_crypto_iov *v, size_t nv, uint8_t *out, size_t out_size,
    size_t *out_len)
{
	static const uint8_t nokey[1];
	EVP_MAC_CTX *ctx = NULL, *cmac_ctx = NULL;
	int rc = 0;

	if (kind == RKMP_MAC_XCBC) {
		if (key_len != AES_BLOCK)
			return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "AES-XCBC key %zu octets, want 16",
			    key_len);
		if (out_size < AES_BLOCK)
			return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "AES-XCBC output buffer %zu < 16",
			    out_size);
		*out_len = AES_BLOCK;
		return xcbc_mac(key, v, nv, out);
	}
	/* An empty HMAC key is legal; a NULL key would mean "keep the old one". */
	if (key == NULL || key_len == 0)
		key = nokey;
	if (kind == RKMP_MAC_CMAC) {
		/* CMAC contexts cannot be duplicated before they have a key: set the
		 * cipher on a fresh context each time (CMAC PRFs are rare) */
		static _Thread_local EVP_MAC *cmac;
		OSSL_PARAM params[2];
		char name[32];

		snprintf(name, sizeof(name), "%s", alg);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, name, 0);
		params[1] = OSSL_PARAM_construct_end();
		if ((cmac == NULL && (cmac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL) ||
		    (ctx = cmac_ctx = EVP_MAC_CTX_new(cmac)) == NULL ||
		    EVP_MAC_init(ctx, key, key_len, params) != 1) {
			rc = ossl_fail("CMAC init");
			goto out;
		}
	} else if ((ctx = hmac_keyed(alg, again ? NULL : key, again ? 0 : key_len)) == NULL) {
		rc = ossl_fail("HMAC init");
		goto out;
	}
	for (size_t i = 0; i < nv; i++) {
		if (v[i].len > 0 && EVP_MAC_update(ctx, v[i].p, v[i].len) != 1) {
			rc = ossl_fail("EVP_MAC_update");
			goto out;
		}
	}
	if (EVP_MAC_final(ctx, out, out_len, out_size) != 1)
		rc = ossl_fail("EVP_MAC_final");
out:
	EVP_MAC_CTX_free(cmac_ctx);
	if (rc != 0 && ctx != NULL && ctx != cmac_ctx)
		rkmp_crypto_forget();	/* a context left mid-MAC is not used again */
	return rc;
}

/* ------------------------------------------------------------ prf, prf+ */

/*
 * Key adjustment for the fixed-key PRFs, so that they take keys of any length
 * (RFC 7296 §2.13; matters for a PSK):
 *   AES-XCBC-PRF-128 (RFC 4434): shorter than 16 -> zero-padded on the right;
 *     longer -> K' = AES-XCBC-MAC(0^128, K).
 *   AES-CMAC-PRF-128 (RFC 4615): any length but 16 -> K' = AES-CMAC(0^128, K).
 * HMAC keys go through as they are.  *k points at key or at adj.
 */
static int
prf_key(const struct rkmp_prf_alg *prf, const uint8_t *key, size_t key_len,
    uint8_t adj[AES_BLOCK], const uint8_t **k, size_t *kl)
{
	static const uint8_t zero[AES_BLOCK];
	struct rkmp_crypto_iov v = { key, key_len };
	size_t n;
	int rc;

	if (prf->mac == RKMP_MAC_HMAC || key_len == AES_BLOCK) {
		*k = key;
		*kl = key_len;
		return 0;
	}
	if (prf->mac == RKMP_MAC_XCBC && key_len < AES_BLOCK) {
		memset(adj, 0, AES_BLOCK);
		if (key_len > 0)
			memcpy(adj, key, key_len);
	} else if ((rc = mac_run(prf->mac, prf->ossl, zero, sizeof(zero), false, &v, 1, adj,
	    AES_BLOCK, &n)) != 0)
		return rc;
	*k = adj;
	*kl = AES_BLOCK;
	return 0;
}

/* prf with the key already adjusted; again: the key of the last prf of this PRF. */
static int
prf_raw(const struct rkmp_prf_alg *prf, const uint8_t *key, size_t key_len, bool again,
    const struct rkmp_crypto_iov *v, size_t nv, uint8_t *out)
{
	size_t n = 0;
	int rc;

	if ((rc = mac_run(prf->mac, prf->ossl, key, key_len, again, v, nv, out, prf->out_len,
	    &n)) != 0)
		return rc;
	if (n != prf->out_len)
		return rkmp_err_set(RKMP_E_CRYPTO, WHERE, "%s: output %zu octets, want %zu",
		    prf->name, n, prf->out_len);
	return 0;
}

int
rkmp_crypto_prfv(const struct rkmp_prf_alg *prf, const uint8_t *key, size_t key_len,
    const struct rkmp_crypto_iov *v, size_t nv, uint8_t *out)
{
	uint8_t adj[AES_BLOCK];
	const uint8_t *k;
	size_t kl;
	int rc;

	if ((rc = prf_key(prf, key, key_len, adj, &k, &kl)) == 0)
		rc = prf_raw(prf, k, kl, false, v, nv, out);
	OPENSSL_cleanse(adj, sizeof(adj));
	return rc;
}

int
rkmp_crypto_prf(const struct rkmp_prf_alg *prf, const uint8_t *key, size_t key_len,
    const uint8_t *data, size_t data_len, uint8_t *out)
{
	struct rkmp_crypto_iov v = { data, data_len };

	return rkmp_crypto_prfv(prf, key, key_len, &v, 1, out);
}

/*
 * prf+ (RFC 7296 §2.13):
 *   prf+ (K,S) = T1 | T2 | T3 | T4 | ...
 *   T1 = prf (K, S | 0x01)
 *   T2 = prf (K, T1 | S | 0x02)
 *   Tn = prf (K, Tn-1 | S | n)      n one octet, so at most 255 blocks
 * Keys are cut from the stream with no regard to block boundaries, so the
 * last block is truncated to what the caller asked for.
 */
int
rkmp_crypto_prf_plusv(const struct rkmp_prf_alg *prf, const uint8_t *key, size_t key_len,
    const struct rkmp_crypto_iov *v, size_t nv, uint8_t *out, size_t out_len)
{
	struct rkmp_crypto_iov seg[PRFPLUS_IOV_MAX + 2];
	uint8_t t[RKMP_CRYPTO_PRF_MAX], adj[AES_BLOCK], n = 0;
	const uint8_t *k;
	size_t kl, off = 0;
	int rc;

	if (nv > PRFPLUS_IOV_MAX)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "prf+: %zu seed pieces > %d", nv,
		    PRFPLUS_IOV_MAX);
	if (out_len > PRFPLUS_MAXBLK * prf->out_len)
		return rkmp_err_set(RKMP_E_CRYPTO, WHERE, "prf+: %zu octets > 255 blocks of %zu (%s)",
		    out_len, prf->out_len, prf->name);
	/* Adjust the key once, not per block. */
	if ((rc = prf_key(prf, key, key_len, adj, &k, &kl)) != 0)
		goto out;
	seg[0] = (struct rkmp_crypto_iov){ t, 0 };	/* T0 is empty */
	for (size_t i = 0; i < nv; i++)
		seg[i + 1] = v[i];
	seg[nv + 1] = (struct rkmp_crypto_iov){ &n, 1 };
	while (off < out_len) {
		size_t take = out_len - off < prf->out_len ? out_len - off : prf->out_len;

		n++;
		/* the same key block after block: keyed once (HMAC) */
		if ((rc = prf_raw(prf, k, kl, n > 1, seg, nv + 2, t)) != 0)
			goto out;
		memcpy(out + off, t, take);
		off += take;
		seg[0].len = prf->out_len;
	}
out:
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(adj, sizeof(adj));
	if (rc != 0)
		OPENSSL_cleanse(out, out_len);
	return rc;
}

int
rkmp_crypto_prf_plus(const struct rkmp_prf_alg *prf, const uint8_t *key, size_t key_len,
    const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
	struct rkmp_crypto_iov v = { seed, seed_len };

	return rkmp_crypto_prf_plusv(prf, key, key_len, &v, 1, out, out_len);
}

/* ------------------------------------------------------------------ INTEG */

static int
integ_full(const struct rkmp_integ_alg *integ, const uint8_t *key, size_t key_len,
    const uint8_t *data, size_t data_len, uint8_t full[EVP_MAX_MD_SIZE])
{
	struct rkmp_crypto_iov v = { data, data_len };
	size_t n = 0;
	int rc;

	/* INTEG keys come from the key schedule at exactly this size (§2.14). */
	if (key_len != integ->key_len)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "%s key %zu octets, want %zu",
		    integ->name, key_len, integ->key_len);
	if ((rc = mac_run(integ->mac, integ->ossl, key, key_len, false, &v, 1, full,
	    EVP_MAX_MD_SIZE, &n)) != 0)
		return rc;
	if (n < integ->icv_len)
		return rkmp_err_set(RKMP_E_CRYPTO, WHERE, "%s: MAC %zu octets < ICV %zu",
		    integ->name, n, integ->icv_len);
	return 0;
}

int
rkmp_crypto_integ(const struct rkmp_integ_alg *integ, const uint8_t *key, size_t key_len,
    const uint8_t *data, size_t data_len, uint8_t *icv)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	int rc;

	if ((rc = integ_full(integ, key, key_len, data, data_len, full)) == 0)
		memcpy(icv, full, integ->icv_len);
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

int
rkmp_crypto_integ_verify(const struct rkmp_integ_alg *integ, const uint8_t *key,
    size_t key_len, const uint8_t *data, size_t data_len, const uint8_t *icv)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	int rc;

	if ((rc = integ_full(integ, key, key_len, data, data_len, full)) == 0 &&
	    CRYPTO_memcmp(full, icv, integ->icv_len) != 0)
		rc = rkmp_err_set(RKMP_E_REFUSED, WHERE, "ICV mismatch");
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

/* ----------------------------------------------------------- key schedule */

/*
 * SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 §2.14).  The nonces are the key so
 * that fixed-key PRFs work: AES-XCBC-PRF and AES-CMAC-PRF take the first 64
 * bits of Ni and of Nr (16 octets), nothing else does.
 */
int
rkmp_crypto_skeyseed(const struct rkmp_prf_alg *prf, const uint8_t *ni, size_t ni_len,
    const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len, uint8_t *out)
{
	struct rkmp_crypto_iov nv[2] = { { ni, ni_len }, { nr, nr_len } };
	uint8_t *key = NULL;
	size_t key_len = 0;
	int rc;

	if (prf->nonce_cut > 0) {
		if (ni_len < prf->nonce_cut || nr_len < prf->nonce_cut)
			return rkmp_err_set(RKMP_E_INVALID, "SKEYSEED",
			    "%s needs nonces of at least %zu octets, have %zu and %zu",
			    prf->name, prf->nonce_cut, ni_len, nr_len);
		nv[0].len = nv[1].len = prf->nonce_cut;
	}
	if ((rc = iov_join(nv, 2, &key, &key_len)) != 0)
		return rc;
	rc = rkmp_crypto_prf(prf, key, key_len, gir, gir_len, out);
	free_secret(key, key_len);
	return rc;
}

/* {SK_d | SK_ai | ... | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
int
rkmp_crypto_ike_keymat(const struct rkmp_prf_alg *prf, const uint8_t *skeyseed,
    size_t skeyseed_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
    const uint8_t spii[8], const uint8_t spir[8], uint8_t *out, size_t out_len)
{
	struct rkmp_crypto_iov v[4] = {
		{ ni, ni_len }, { nr, nr_len }, { spii, 8 }, { spir, 8 }
	};

	return rkmp_crypto_prf_plusv(prf, skeyseed, skeyseed_len, v, 4, out, out_len);
}

int
rkmp_crypto_sk_lens(const struct rkmp_encr_alg *encr, const struct rkmp_integ_alg *integ,
    const struct rkmp_prf_alg *prf, struct rkmp_sk_lens *lens)
{
	/* AEAD brings its own ICV; CBC needs INTEG for it (RFC 5282 §8, 7296 §3.3.3). */
	if (encr->aead && integ != NULL)
		return rkmp_err_set(RKMP_E_CRYPTO, WHERE, "%s is AEAD: no INTEG transform (%s)",
		    encr->name, integ->name);
	if (!encr->aead && integ == NULL)
		return rkmp_err_set(RKMP_E_CRYPTO, WHERE, "%s needs an INTEG transform",
		    encr->name);
	lens->d = prf->key_len;
	lens->a = integ != NULL ? integ->key_len : 0;
	/* The AEAD salt is cut right after the key: SK_e = key | salt. */
	lens->e = encr->key_len + encr->salt_len;
	lens->p = prf->key_len;
	lens->total = lens->d + 2 * lens->a + 2 * lens->e + 2 * lens->p;
	return 0;
}

int
rkmp_crypto_ike_keys(const struct rkmp_prf_alg *prf, const struct rkmp_encr_alg *encr,
    const struct rkmp_integ_alg *integ, const uint8_t *skeyseed, size_t skeyseed_len,
    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
    const uint8_t spii[8], const uint8_t spir[8], struct rkmp_ike_keys *keys)
{
	uint8_t km[7 * RKMP_CRYPTO_KEY_MAX];
	size_t off = 0;
	int rc;

	memset(keys, 0, sizeof(*keys));
	if ((rc = rkmp_crypto_sk_lens(encr, integ, prf, &keys->len)) != 0)
		return rc;

	/* Order fixed by RFC 7296 §2.14. */
	struct {
		uint8_t	*dst;
		size_t	 len;
	} cut[7] = {
		{ keys->sk_d, keys->len.d },
		{ keys->sk_ai, keys->len.a }, { keys->sk_ar, keys->len.a },
		{ keys->sk_ei, keys->len.e }, { keys->sk_er, keys->len.e },
		{ keys->sk_pi, keys->len.p }, { keys->sk_pr, keys->len.p },
	};
	for (size_t i = 0; i < nitems(cut); i++)
		if (cut[i].len > RKMP_CRYPTO_KEY_MAX)
			return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "key %zu octets > %d",
			    cut[i].len, RKMP_CRYPTO_KEY_MAX);
	if ((rc = rkmp_crypto_ike_keymat(prf, skeyseed, skeyseed_len, ni, ni_len, nr, nr_len,
	    spii, spir, km, keys->len.total)) == 0) {
		for (size_t i = 0; i < nitems(cut); i++) {
			memcpy(cut[i].dst, km + off, cut[i].len);
			off += cut[i].len;
		}
	} else
		rkmp_crypto_ike_keys_wipe(keys);
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

void
rkmp_crypto_ike_keys_wipe(struct rkmp_ike_keys *keys)
{
	OPENSSL_cleanse(keys, sizeof(*keys));
}

/* KEYMAT = prf+(SK_d, Ni | Nr), or prf+(SK_d, g^ir (new) | Ni | Nr) (§2.17). */
int
rkmp_crypto_child_keymat(const struct rkmp_prf_alg *prf, const uint8_t *sk_d,
    size_t sk_d_len, const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
    const uint8_t *nr, size_t nr_len, uint8_t *out, size_t out_len)
{
	struct rkmp_crypto_iov v[3] = { { gir, gir_len }, { ni, ni_len }, { nr, nr_len } };

	return rkmp_crypto_prf_plusv(prf, sk_d, sk_d_len, v, 3, out, out_len);
}

/*
 * SKEYSEED = prf (SK_d (old), g^ir (new) | Ni | Nr) (§2.18), with the old SA's
 * PRF and the full nonces: no fixed-key truncation here.
 */
int
rkmp_crypto_skeyseed_rekey(const struct rkmp_prf_alg *prf_old, const uint8_t *sk_d_old,
    size_t sk_d_len, const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
    const uint8_t *nr, size_t nr_len, uint8_t *out)
{
	struct rkmp_crypto_iov v[3] = { { gir, gir_len }, { ni, ni_len }, { nr, nr_len } };

	return rkmp_crypto_prfv(prf_old, sk_d_old, sk_d_len, v, 3, out);
}

/* -------------------------------------------------------------------- DH */

struct rkmp_dh {
	const struct rkmp_dh_group *group;
	EVP_PKEY	*pkey;
	uint8_t		 pub[RKMP_CRYPTO_DH_MAX];	/* KE payload form */
};

/* EVP_PKEY from an OSSL_PARAM list built by the caller. */
static int
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection, EVP_PKEY **pkey)
{
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = NULL;
	int ok;

	*pkey = NULL;
	ok = (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, pkey, selection, params) == 1;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return ok ? 0 : -1;
}

/* Random key pair of a named group (OpenSSL picks a valid private value). */
static int
dh_generate(const struct rkmp_dh_group *g, EVP_PKEY **pkey)
{
	/*
	 * One key generation context per group and thread, kept: making one
	 * looks the key type up by name in the provider tables (a hash walk
	 * with string compares, 4 % of a negotiation).  It holds the group,
	 * never a key: each generated key is the caller's.
	 */
	static _Thread_local struct {
		const struct rkmp_dh_group	*g;
		EVP_PKEY_CTX			*ctx;
	} kept[FETCH_CACHE];
	const char *type = g->kind == RKMP_DH_MODP ? "DH" : g->kind == RKMP_DH_ECP ? "EC" : g->ossl;
	EVP_PKEY_CTX *ctx;
	size_t i;

	*pkey = NULL;
	for (i = 0; i < FETCH_CACHE && kept[i].g != NULL && kept[i].g != g; i++)
		;
	if (i == FETCH_CACHE)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "more than %d DH groups", FETCH_CACHE);
	if (kept[i].g == NULL) {
		if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
		    EVP_PKEY_keygen_init(ctx) != 1 ||
		    (g->kind != RKMP_DH_ECX && EVP_PKEY_CTX_set_group_name(ctx, g->ossl) != 1)) {
			EVP_PKEY_CTX_free(ctx);
			return ossl_fail("DH key generation");
		}
		kept[i].ctx = ctx;
		kept[i].g = g;
	}
	if (EVP_PKEY_generate(kept[i].ctx, pkey) != 1) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
		return ossl_fail("DH key generation");
	}
	return 0;
}

/* The group's modulus and generator, from OpenSSL's named-group table. */
static int
modp_params(const struct rkmp_dh_group *g, BIGNUM **p, BIGNUM **gen)
{
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *params = NULL;
	int ok;

	*p = *gen = NULL;
	ok = (bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->ossl, 0) == 1 &&
	    pkey_fromdata("DH", bld, EVP_PKEY_KEY_PARAMETERS, &params) == 0 &&
	    EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, p) == 1 &&
	    EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_G, gen) == 1;
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_free(params);
	if (!ok) {
		BN_free(*p);
		BN_free(*gen);
		*p = *gen = NULL;
		return ossl_fail("MODP group parameters");
	}
	return 0;
}

/*
 * MODP key pair from a given exponent x: y = g^x mod p.  OpenSSL 3.0 does not
 * derive the public half on import, so compute it (constant time in x).
 * 1 < x < q = (p-1)/2, the range OpenSSL's own key check enforces.
 */
static int
modp_import(const struct rkmp_dh_group *g, const uint8_t *priv, size_t priv_len,
    EVP_PKEY **pkey)
{
	BIGNUM *p = NULL, *gen = NULL, *x = NULL, *y = NULL, *q = NULL;
	BN_CTX *bnctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	int rc;

	if ((rc = modp_params(g, &p, &gen)) != 0)
		return rc;
	if ((x = BN_secure_new()) == NULL || BN_bin2bn(priv, (int)priv_len, x) == NULL ||
	    (q = BN_dup(p)) == NULL || !BN_rshift1(q, q)) {
		rc = ossl_fail("BIGNUM");
		goto out;
	}
	if (BN_cmp(x, BN_value_one()) <= 0 || BN_cmp(x, q) >= 0) {
		rc = rkmp_err_set(RKMP_E_INVALID, WHERE,
		    "%s private exponent out of range (need 1 < x < (p-1)/2)", g->name);
		goto out;
	}
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if ((y = BN_new()) == NULL || (bnctx = BN_CTX_new()) == NULL ||
	    !BN_mod_exp_mont_consttime(y, gen, x, p, bnctx, NULL) ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->ossl, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) ||
	    pkey_fromdata("DH", bld, EVP_PKEY_KEYPAIR, pkey) != 0)
		rc = ossl_fail("MODP key import");
out:
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bnctx);
	BN_clear_free(x);
	BN_free(y);
	BN_free(q);
	BN_free(p);
	BN_free(gen);
	return rc;
}

/*
 * ECP key pair from a given scalar d: Q = d·G by EC_POINT_mul (the EC_POINT
 * API is not deprecated; EC_KEY is), then imported with both halves.
 */
static int
ecp_import(const struct rkmp_dh_group *g, const uint8_t *priv, size_t priv_len,
    EVP_PKEY **pkey)
{
	EC_GROUP *grp = NULL;
	EC_POINT *pt = NULL;
	BIGNUM *d = NULL;
	BN_CTX *bnctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	uint8_t oct[1 + 2 * 66];
	size_t oct_len;
	int rc = 0;

	if ((bnctx = BN_CTX_new()) == NULL ||
	    (grp = EC_GROUP_new_by_curve_name_ex(NULL, NULL, EC_curve_nist2nid(g->ossl))) == NULL ||
	    (d = BN_secure_new()) == NULL || BN_bin2bn(priv, (int)priv_len, d) == NULL) {
		rc = ossl_fail("EC group");
		goto out;
	}
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(grp)) >= 0) {
		rc = rkmp_err_set(RKMP_E_INVALID, WHERE,
		    "%s private scalar out of range (need 0 < d < n)", g->name);
		goto out;
	}
	BN_set_flags(d, BN_FLG_CONSTTIME);
	if ((pt = EC_POINT_new(grp)) == NULL ||
	    !EC_POINT_mul(grp, pt, d, NULL, NULL, bnctx) ||
	    (oct_len = EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, oct,
	    sizeof(oct), bnctx)) == 0 ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->ossl, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct, oct_len) ||
	    pkey_fromdata("EC", bld, EVP_PKEY_KEYPAIR, pkey) != 0)
		rc = ossl_fail("EC key import");
out:
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	BN_clear_free(d);
	BN_CTX_free(bnctx);
	return rc;
}

/* A BIGNUM parameter of a key, big-endian, left-padded to len octets. */
static int
bn_param(const EVP_PKEY *pkey, const char *name, uint8_t *out, size_t len)
{
	BIGNUM *bn = NULL;
	int ok;

	ok = EVP_PKEY_get_bn_param(pkey, name, &bn) == 1 &&
	    BN_bn2binpad(bn, out, (int)len) == (int)len;
	BN_clear_free(bn);
	return ok ? 0 : ossl_fail(name);
}

/* Our public value in IKE wire form (RFC 7296 §3.4, RFC 5903 §7, RFC 8031). */
static int
dh_encode_public(struct rkmp_dh *dh)
{
	const struct rkmp_dh_group *g = dh->group;
	size_t n = g->pub_len;
	int rc;

	switch (g->kind) {
	case RKMP_DH_MODP:
		return bn_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY, dh->pub, g->pub_len);
	case RKMP_DH_ECP:
		/* x | y, each padded to the field size; no 0x04 prefix. */
		if ((rc = bn_param(dh->pkey, OSSL_PKEY_PARAM_EC_PUB_X, dh->pub, g->secret_len)) != 0)
			return rc;
		return bn_param(dh->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, dh->pub + g->secret_len,
		    g->secret_len);
	case RKMP_DH_ECX:
		if (EVP_PKEY_get_raw_public_key(dh->pkey, dh->pub, &n) != 1 || n != g->pub_len)
			return ossl_fail("raw public key");
		return 0;
	}
	return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "DH kind %d", (int)g->kind);
}

int
rkmp_crypto_dh_new(const struct rkmp_dh_group *group, const uint8_t *priv, size_t priv_len,
    struct rkmp_dh **dhp)
{
	struct rkmp_dh *dh;
	int rc = 0;

	*dhp = NULL;
	if (priv != NULL && (priv_len == 0 || priv_len > group->priv_len ||
	    (group->kind == RKMP_DH_ECX && priv_len != group->priv_len)))
		return rkmp_err_set(RKMP_E_INVALID, WHERE, "%s private value %zu octets, want %s%zu",
		    group->name, priv_len, group->kind == RKMP_DH_ECX ? "" : "1 to ",
		    group->priv_len);
	if ((dh = calloc(1, sizeof(*dh))) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, WHERE, "DH key");
	dh->group = group;
	if (priv == NULL)
		rc = dh_generate(group, &dh->pkey);
	else if (group->kind == RKMP_DH_MODP)
		rc = modp_import(group, priv, priv_len, &dh->pkey);
	else if (group->kind == RKMP_DH_ECP)
		rc = ecp_import(group, priv, priv_len, &dh->pkey);
	else if ((dh->pkey = EVP_PKEY_new_raw_private_key_ex(NULL, group->ossl, NULL, priv,
	    priv_len)) == NULL)
		rc = ossl_fail("raw private key");
	if (rc == 0)
		rc = dh_encode_public(dh);
	if (rc != 0) {
		rkmp_crypto_dh_free(dh);
		return rc;
	}
	*dhp = dh;
	return 0;
}

void
rkmp_crypto_dh_free(struct rkmp_dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->pkey);	/* OpenSSL clears private key material */
	OPENSSL_cleanse(dh, sizeof(*dh));
	free(dh);
}

const struct rkmp_dh_group *
rkmp_crypto_dh_group(const struct rkmp_dh *dh)
{
	return dh->group;
}

const uint8_t *
rkmp_crypto_dh_public(const struct rkmp_dh *dh, size_t *len)
{
	*len = dh->group->pub_len;
	return dh->pub;
}

int
rkmp_crypto_dh_private(const struct rkmp_dh *dh, uint8_t *out, size_t out_len)
{
	const struct rkmp_dh_group *g = dh->group;
	size_t n = g->priv_len;

	if (out_len < g->priv_len)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "%s private value buffer %zu < %zu",
		    g->name, out_len, g->priv_len);
	if (g->kind != RKMP_DH_ECX)
		return bn_param(dh->pkey, OSSL_PKEY_PARAM_PRIV_KEY, out, g->priv_len);
	if (EVP_PKEY_get_raw_private_key(dh->pkey, out, &n) != 1 || n != g->priv_len) {
		OPENSSL_cleanse(out, out_len);
		return ossl_fail("raw private key");
	}
	return 0;
}

/*
 * The peer's KE data as an EVP_PKEY of our group.  Checks per RFC 6989 and
 * RFC 8031: exact length; MODP 1 < y < p-1 (RFC 6989 §2.1: enough for the
 * safe-prime groups 14-16); ECP a point on the curve (OpenSSL refuses others
 * on import).
 */
static int
dh_peer_key(const struct rkmp_dh *dh, const uint8_t *peer, size_t peer_len, EVP_PKEY **pkey)
{
	const struct rkmp_dh_group *g = dh->group;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *y = NULL, *p = NULL, *pm1 = NULL;
	uint8_t oct[1 + 2 * 66];
	int rc = 0;

	*pkey = NULL;
	if (peer_len != g->pub_len)
		return rkmp_err_set(RKMP_E_INVALID, "KE payload",
		    "%s (group %u) public value %zu octets, want %zu", g->name, g->id, peer_len,
		    g->pub_len);
	if (g->kind == RKMP_DH_ECX) {
		if ((*pkey = EVP_PKEY_new_raw_public_key_ex(NULL, g->ossl, NULL, peer,
		    peer_len)) == NULL)
			return peer_invalid(g, "refused");
		return 0;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->ossl, 0)) {
		rc = ossl_fail("OSSL_PARAM_BLD");
		goto out;
	}
	if (g->kind == RKMP_DH_MODP) {
		if ((y = BN_bin2bn(peer, (int)peer_len, NULL)) == NULL ||
		    EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
		    (pm1 = BN_dup(p)) == NULL || !BN_sub_word(pm1, 1)) {
			rc = ossl_fail("BIGNUM");
			goto out;
		}
		if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, pm1) >= 0) {
			rc = peer_invalid(g, "out of range (need 1 < y < p-1)");
			goto out;
		}
		if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y)) {
			rc = ossl_fail("OSSL_PARAM_BLD");
			goto out;
		}
		if (pkey_fromdata("DH", bld, EVP_PKEY_PUBLIC_KEY, pkey) != 0)
			rc = peer_invalid(g, "refused");
	} else {
		/* IKE carries x | y; OpenSSL wants the SEC1 uncompressed point. */
		oct[0] = POINT_CONVERSION_UNCOMPRESSED;
		memcpy(oct + 1, peer, peer_len);
		if (!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct,
		    1 + peer_len)) {
			rc = ossl_fail("OSSL_PARAM_BLD");
			goto out;
		}
		if (pkey_fromdata("EC", bld, EVP_PKEY_PUBLIC_KEY, pkey) != 0)
			rc = peer_invalid(g, "is not a point on the curve");
	}
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(y);
	BN_free(p);
	BN_free(pm1);
	return rc;
}

int
rkmp_crypto_dh_shared(const struct rkmp_dh *dh, const uint8_t *peer, size_t peer_len,
    uint8_t *secret)
{
	const struct rkmp_dh_group *g = dh->group;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t buf[RKMP_CRYPTO_DH_MAX], zero = 0;
	size_t n = sizeof(buf);
	unsigned int pad = 1;
	OSSL_PARAM params[2];
	int rc;

	if ((rc = dh_peer_key(dh, peer, peer_len, &pk)) != 0)
		return rc;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1) {
		rc = ossl_fail("DH derive init");
		goto out;
	}
	if (g->kind == RKMP_DH_MODP) {
		/*
		 * Without "pad" OpenSSL strips leading zero octets from g^ir (about
		 * 1 in 256 secrets); IKEv2 wants the modulus size (RFC 7296 §3.4).
		 */
		params[0] = OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(ctx, params) != 1) {
			rc = ossl_fail("DH pad");
			goto out;
		}
	}
	/*
	 * Let OpenSSL validate ECP/ECX peers too.  For MODP the range check in
	 * dh_peer_key is the whole test for safe-prime groups (RFC 6989 §2.1;
	 * strongSwan does the same), and OpenSSL's extra y^q = 1 mod p costs a
	 * full-size exponentiation, about four times the derive itself.
	 */
	if (EVP_PKEY_derive_set_peer_ex(ctx, pk, g->kind != RKMP_DH_MODP) != 1) {
		rc = peer_invalid(g, "failed the group check");
		goto out;
	}
	if (EVP_PKEY_derive(ctx, buf, &n) != 1) {
		/* X25519/X448 fail only on a low-order point: all-zero output. */
		rc = g->kind == RKMP_DH_ECX ? peer_invalid(g, "gives an all-zero shared secret") :
		    ossl_fail("DH derive");
		goto out;
	}
	if (n > g->secret_len) {
		rc = rkmp_err_set(RKMP_E_CRYPTO, WHERE, "%s shared secret %zu octets > %zu",
		    g->name, n, g->secret_len);
		goto out;
	}
	/* Left-pad in any case, should a provider still strip zeros. */
	memset(secret, 0, g->secret_len - n);
	memcpy(secret + (g->secret_len - n), buf, n);
	/* RFC 8031 §2: abort on an all-zero X25519/X448 result. */
	for (size_t i = 0; i < g->secret_len; i++)
		zero |= secret[i];
	if (zero == 0) {
		OPENSSL_cleanse(secret, g->secret_len);
		rc = peer_invalid(g, "gives an all-zero shared secret");
	}
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}

/* ------------------------------------------------------------ SK ciphers */

/*
 * Cipher contexts, one per cipher, direction and thread, kept and keyed
 * again for each message as the HMAC ones are (a context made and freed per
 * message was 3 % of a negotiation); a kept one holds the key schedule of
 * its last message, so rkmp_crypto_forget() frees them too.
 */
static _Thread_local struct cipher_slot {
	const char	*ossl;		/* the cipher (several rows share one), or NULL: free */
	int		 enc;
	EVP_CIPHER_CTX	*ctx;
} ciphers[2 * FETCH_CACHE];

static void
ciphers_forget(void)
{
	for (size_t i = 0; i < nitems(ciphers); i++) {
		EVP_CIPHER_CTX_free(ciphers[i].ctx);
		ciphers[i].ctx = NULL;
		ciphers[i].ossl = NULL;
	}
}

/* The kept context of encr in direction enc, cipher set, to be keyed by the caller. */
static int
cipher_ctx(const struct rkmp_encr_alg *encr, int enc, EVP_CIPHER_CTX **ctxp)
{
	struct cipher_slot *k = NULL;
	EVP_CIPHER *c;
	EVP_CIPHER_CTX *ctx = NULL;

	*ctxp = NULL;
	for (size_t i = 0; i < nitems(ciphers); i++) {
		if (ciphers[i].ossl == NULL) {
			if (k == NULL)
				k = &ciphers[i];
		} else if (ciphers[i].enc == enc && strcmp(ciphers[i].ossl, encr->ossl) == 0) {
			*ctxp = ciphers[i].ctx;
			return 0;
		}
	}
	if (k == NULL)	/* more rows than the table has: a bug */
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "more than %zu cipher contexts",
		    nitems(ciphers));
	if ((c = cipher_fetch(encr->ossl)) == NULL)
		return ossl_fail(encr->ossl);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex2(ctx, c, NULL, NULL, enc, NULL) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return ossl_fail(encr->ossl);
	}
	k->ossl = encr->ossl;
	k->enc = enc;
	k->ctx = *ctxp = ctx;
	return 0;
}

/* After a failure a kept context is not trusted again. */
static void
cipher_failed(const EVP_CIPHER_CTX *ctx)
{
	for (size_t i = 0; i < nitems(ciphers); i++)
		if (ciphers[i].ctx == ctx) {
			EVP_CIPHER_CTX_free(ciphers[i].ctx);
			ciphers[i].ctx = NULL;
			ciphers[i].ossl = NULL;
		}
}

static int
cbc_run(const struct rkmp_encr_alg *encr, int enc, const uint8_t *key, const uint8_t *iv,
    const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int rc, n1 = 0, n2 = 0;

	if (encr->aead)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "%s is not a CBC cipher", encr->name);
	if (len % encr->block_len != 0)
		return rkmp_err_set(RKMP_E_INVALID, WHERE, "%s: length %zu not a multiple of %zu",
		    encr->name, len, encr->block_len);
	if ((rc = int_len(len, encr->name)) != 0 || (rc = cipher_ctx(encr, enc, &ctx)) != 0)
		return rc;
	/* IKEv2 pads itself (Padding | Pad Length); OpenSSL must not add PKCS#7. */
	if (EVP_CipherInit_ex2(ctx, NULL, key, iv, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n1, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + n1, &n2) != 1 ||
	    (size_t)n1 + (size_t)n2 != len) {
		rc = ossl_fail(encr->ossl);
		cipher_failed(ctx);
	}
	return rc;
}

int
rkmp_crypto_cbc_encrypt(const struct rkmp_encr_alg *encr, const uint8_t *key,
    const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out)
{
	return cbc_run(encr, 1, key, iv, in, len, out);
}

int
rkmp_crypto_cbc_decrypt(const struct rkmp_encr_alg *encr, const uint8_t *key,
    const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out)
{
	return cbc_run(encr, 0, key, iv, in, len, out);
}

/* AEAD context keyed, nonce set, AAD absorbed. */
static int
aead_start(const struct rkmp_encr_alg *encr, int enc, const uint8_t *key,
    const uint8_t *nonce, const uint8_t *aad, size_t aad_len, size_t len, size_t tag_len,
    EVP_CIPHER_CTX **ctxp)
{
	EVP_CIPHER_CTX *ctx;
	int rc, n = 0;

	*ctxp = NULL;
	if (!encr->aead)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "%s is not an AEAD cipher", encr->name);
	/* RFC 5282 allows 8/12/16-octet GCM ICVs; ChaCha20-Poly1305 uses 16. */
	if (tag_len != 8 && tag_len != 12 && tag_len != 16)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "%s: tag length %zu", encr->name,
		    tag_len);
	if ((rc = int_len(len, encr->name)) != 0 || (rc = int_len(aad_len, encr->name)) != 0 ||
	    (rc = cipher_ctx(encr, enc, &ctx)) != 0)
		return rc;
	/* nonce = salt | IV: 12 octets for GCM and ChaCha20-Poly1305 (RFC 5282, 7634) */
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN,
	    (int)(encr->salt_len + encr->iv_len), NULL) != 1 ||
	    EVP_CipherInit_ex2(ctx, NULL, key, nonce, enc, NULL) != 1 ||
	    (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)) {
		rc = ossl_fail(encr->ossl);
		cipher_failed(ctx);
		return rc;
	}
	*ctxp = ctx;
	return 0;
}

int
rkmp_crypto_aead_encrypt(const struct rkmp_encr_alg *encr, const uint8_t *key,
    const uint8_t *nonce, const uint8_t *aad, size_t aad_len, const uint8_t *in,
    size_t len, uint8_t *out, uint8_t *tag, size_t tag_len)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t full[AEAD_TAG_FULL], dummy[1];
	int rc, n1 = 0, n2 = 0;

	if (out == NULL)	/* empty message: Final still wants somewhere to point */
		out = dummy;
	if ((rc = aead_start(encr, 1, key, nonce, aad, aad_len, len, tag_len, &ctx)) != 0)
		return rc;
	/* A truncated GCM ICV is the leading octets of the full tag (RFC 5282 §3). */
	if ((len > 0 && EVP_CipherUpdate(ctx, out, &n1, in, (int)len) != 1) ||
	    EVP_CipherFinal_ex(ctx, out + n1, &n2) != 1 ||
	    (size_t)n1 + (size_t)n2 != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_FULL, full) != 1) {
		rc = ossl_fail(encr->ossl);
		cipher_failed(ctx);
	} else
		memcpy(tag, full, tag_len);
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

int
rkmp_crypto_aead_decrypt(const struct rkmp_encr_alg *encr, const uint8_t *key,
    const uint8_t *nonce, const uint8_t *aad, size_t aad_len, const uint8_t *in,
    size_t len, const uint8_t *tag, size_t tag_len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t t[AEAD_TAG_FULL], dummy[1];
	int rc, n1 = 0, n2 = 0;

	if (out == NULL)
		out = dummy;
	if ((rc = aead_start(encr, 0, key, nonce, aad, aad_len, len, tag_len, &ctx)) != 0)
		return rc;
	/* OpenSSL wants a mutable tag buffer; it compares with CRYPTO_memcmp. */
	memcpy(t, tag, tag_len);
	if ((len > 0 && EVP_CipherUpdate(ctx, out, &n1, in, (int)len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, t) != 1)
		rc = ossl_fail(encr->ossl);
	else if (EVP_CipherFinal_ex(ctx, out + n1, &n2) != 1) {
		ERR_clear_error();
		rc = rkmp_err_set(RKMP_E_REFUSED, WHERE, "ICV mismatch");
	}
	/* Never hand out plaintext that failed authentication. */
	if (rc != 0 && len > 0)
		OPENSSL_cleanse(out, len);
	if (rc != 0)
		cipher_failed(ctx);
	return rc;
}

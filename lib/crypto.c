/* SPDX-License-Identifier: MIT */
/*
 * crypto.c — IKEv2 suites, prf/prf+, key schedule, INTEG and SK ciphers over
 * OpenSSL 3 EVP (EVP_MAC, EVP_CIPHER); nothing deprecated.  DH is in
 * crypto_dh.c.
 * OpenSSL has no AES-XCBC and no IKEv2 KDF, so both are written here.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "crypto_int.h"
#include "err.h"
#include "names.h"
#include "nitems.h"

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
int
rkmp_crypto_ossl_fail(const char *what)
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
			return rkmp_crypto_ossl_fail("RAND_bytes");
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
		return rkmp_crypto_ossl_fail("EVP_CIPHER_fetch AES-128-ECB");
	ok = (ctx = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_EncryptInit_ex2(ctx, c, key, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1;
	if (!ok) {
		EVP_CIPHER_CTX_free(ctx);
		return rkmp_crypto_ossl_fail("AES-128-ECB init");
	}
	*ctxp = ctx;
	return 0;
}

static int
ecb_block(EVP_CIPHER_CTX *ctx, const uint8_t in[AES_BLOCK], uint8_t out[AES_BLOCK])
{
	int outl = 0;

	if (EVP_EncryptUpdate(ctx, out, &outl, in, AES_BLOCK) != 1 || outl != AES_BLOCK)
		return rkmp_crypto_ossl_fail("AES-128-ECB");
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
			rc = rkmp_crypto_ossl_fail("CMAC init");
			goto out;
		}
	} else if ((ctx = hmac_keyed(alg, again ? NULL : key, again ? 0 : key_len)) == NULL) {
		rc = rkmp_crypto_ossl_fail("HMAC init");
		goto out;
	}
	for (size_t i = 0; i < nv; i++) {
		if (v[i].len > 0 && EVP_MAC_update(ctx, v[i].p, v[i].len) != 1) {
			rc = rkmp_crypto_ossl_fail("EVP_MAC_update");
			goto out;
		}
	}
	if (EVP_MAC_final(ctx, out, out_len, out_size) != 1)
		rc = rkmp_crypto_ossl_fail("EVP_MAC_final");
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
		return rkmp_crypto_ossl_fail(encr->ossl);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex2(ctx, c, NULL, NULL, enc, NULL) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return rkmp_crypto_ossl_fail(encr->ossl);
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
		rc = rkmp_crypto_ossl_fail(encr->ossl);
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
		rc = rkmp_crypto_ossl_fail(encr->ossl);
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
		rc = rkmp_crypto_ossl_fail(encr->ossl);
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
		rc = rkmp_crypto_ossl_fail(encr->ossl);
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

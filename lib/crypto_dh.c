/* SPDX-License-Identifier: MIT */
/*
 * crypto_dh.c — the DH groups of IKEv2 (MODP, ECP, Curve25519/448) over
 * OpenSSL 3 EVP_PKEY: key pairs made or imported, the KE payload's public
 * value, the shared secret with the peer's value checked; nothing deprecated.
 */
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

#include "crypto.h"
#include "crypto_int.h"
#include "err.h"

/* A peer-supplied value was refused: RKMP_E_INVALID, queue emptied. */
static int
peer_invalid(const struct rkmp_dh_group *g, const char *why)
{
	ERR_clear_error();
	return rkmp_err_set(RKMP_E_INVALID, "KE payload", "%s (group %u) public value %s",
	    g->name, g->id, why);
}

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
			return rkmp_crypto_ossl_fail("DH key generation");
		}
		kept[i].ctx = ctx;
		kept[i].g = g;
	}
	if (EVP_PKEY_generate(kept[i].ctx, pkey) != 1) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
		return rkmp_crypto_ossl_fail("DH key generation");
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
		return rkmp_crypto_ossl_fail("MODP group parameters");
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
		rc = rkmp_crypto_ossl_fail("BIGNUM");
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
		rc = rkmp_crypto_ossl_fail("MODP key import");
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
		rc = rkmp_crypto_ossl_fail("EC group");
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
		rc = rkmp_crypto_ossl_fail("EC key import");
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
	return ok ? 0 : rkmp_crypto_ossl_fail(name);
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
			return rkmp_crypto_ossl_fail("raw public key");
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
		rc = rkmp_crypto_ossl_fail("raw private key");
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
		return rkmp_crypto_ossl_fail("raw private key");
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
		rc = rkmp_crypto_ossl_fail("OSSL_PARAM_BLD");
		goto out;
	}
	if (g->kind == RKMP_DH_MODP) {
		if ((y = BN_bin2bn(peer, (int)peer_len, NULL)) == NULL ||
		    EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
		    (pm1 = BN_dup(p)) == NULL || !BN_sub_word(pm1, 1)) {
			rc = rkmp_crypto_ossl_fail("BIGNUM");
			goto out;
		}
		if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, pm1) >= 0) {
			rc = peer_invalid(g, "out of range (need 1 < y < p-1)");
			goto out;
		}
		if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y)) {
			rc = rkmp_crypto_ossl_fail("OSSL_PARAM_BLD");
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
			rc = rkmp_crypto_ossl_fail("OSSL_PARAM_BLD");
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
		rc = rkmp_crypto_ossl_fail("DH derive init");
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
			rc = rkmp_crypto_ossl_fail("DH pad");
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
		    rkmp_crypto_ossl_fail("DH derive");
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

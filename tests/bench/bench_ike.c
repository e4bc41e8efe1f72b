/* SPDX-License-Identifier: MIT */
/*
 * bench_ike.c — full RKMP_SA_INIT + RKMP_SA_AUTH negotiations per second,
 * both sides in one process through the same engine the binaries use, side
 * by side with the crypto floor of one negotiation measured in the same run.
 *
 * The floor is the cryptography one negotiation needs, done with plain
 * OpenSSL 3 EVP calls (no rkmp code), EVP objects fetched and contexts made
 * once, both sides in turn:
 *   - the DH group: 2 key pairs, their public values out in KE form and in
 *     again, 2 shared secrets (g^ir);
 *   - per side the key schedule (RFC 7296 §2.14): SKEYSEED = prf(Ni | Nr,
 *     g^ir), {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
 *     prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) at the suite's lengths, and the
 *     first child's KEYMAT = prf+(SK_d, Ni | Nr) (§2.17);
 *   - AUTH with a PSK (§2.15): per side the key pad prf(PSK, "Key Pad for
 *     IKEv2") once; each side computes its own AUTH and verifies the peer's:
 *     4 MACedIDs prf(SK_p, ID') and 4 AUTH prfs over <RealMessage | Nonce |
 *     MACedID> of the real RKMP_SA_INIT messages;
 *   - the 2 RKMP_SA_AUTH messages sealed once and opened once at their real
 *     sizes: AEAD, or CBC + HMAC (encrypt-then-MAC, §3.14) with a random IV;
 *   - the random octets: 2 nonces, 2 IKE SPIs, 2 child SPIs, one RAND_bytes
 *     each, at the engine's sizes.
 * The sizes (messages, nonces, child SPI and KEYMAT) are read off one engine
 * negotiation before anything is timed, and the suite's key lengths are
 * checked against the engine's, so that both sides do the same work.
 *
 * The engine's steps are asked for no notes (struct rkmp_ike_out's no_note):
 * the lines a step binary prints are not part of a negotiation's work.
 *
 * Rates are per CPU second of this (single-threaded) process: the machines
 * are shared and noisy (and a VM's CPU time includes steal), so engine, floor
 * and DH alone take turns in ten short rounds, and the best round of each
 * counts.
 *
 * Usage: rkmp-bench [SECONDS]
 *            per suite, SECONDS of CPU each for the engine, the floor and
 *            the floor's DH alone (default 3); env RKMP_BENCH_ONLY=SUITE
 *        rkmp-bench -p engine|floor|dh SUITE COUNT
 *            COUNT negotiations of one kind alone, nothing timed or printed:
 *            for callgrind or perf
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "err.h"
#include "ike.h"
#include "sa.h"

#define ROUNDS		10

static const uint8_t psk[] = "bench-psk-0123456789";
#define ID_I		"a.bench"	/* fqdn: identities, ID type 2 */
#define ID_R		"b.bench"

/* ------------------------------------------------------------------ the suites */

/*
 * What bench_ike.c benches, and for the floor the same transforms by their
 * OpenSSL names and sizes (RFC 7296 §3.3.2, RFC 5282 for GCM: SK_e is key |
 * 4-octet salt, 8-octet IV; RFC 4868 for HMAC-SHA2-256-128).
 */
static const struct suite {
	const char	*name, *proposal;
	const char	*dh;		/* EVP_PKEY type */
	const char	*dh_group;	/* its named group, or NULL */
	size_t		 dh_len;	/* KE data and g^ir octets */
	const char	*prf;		/* HMAC digest of the PRF: key and output prf_len */
	size_t		 prf_len;
	const char	*encr;		/* EVP_CIPHER */
	bool		 aead;
	size_t		 ekey, salt, iv, icv;
	const char	*integ;		/* HMAC digest of INTEG (CBC), truncated to icv */
	size_t		 akey;
} suites[] = {
	{ "x25519", "aes256gcm16-prfsha256-x25519", "X25519", NULL, 32, "SHA256", 32,
	    "AES-256-GCM", true, 32, 4, 8, 16, NULL, 0 },
	{ "modp2048", "aes128-sha256-modp2048", "DH", "modp_2048", 256, "SHA256", 32,
	    "AES-128-CBC", false, 16, 0, 16, 16, "SHA256", 32 },
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* The sizes of one real negotiation, read off the engine. */
struct shape {
	size_t	 init_req, init_resp;	/* RKMP_SA_INIT messages: AUTH's RealMessage1/2 */
	size_t	 auth_req, auth_resp;	/* RKMP_SA_AUTH messages */
	size_t	 ni, nr;		/* nonces */
	size_t	 child_spi, keymat;	/* the first child's SPI and KEYMAT octets */
	size_t	 d, a, e, p;		/* SK_d, SK_a*, SK_e*, SK_p* octets */
	uint8_t	 m1[2048], m2[2048];	/* the RKMP_SA_INIT messages themselves */
};

/* ------------------------------------------------------------------ the engine */

/* One whole negotiation; 0 when both sides end established.  shape: its sizes. */
static int
negotiate(const char *proposal, struct shape *sh)
{
	struct rkmp_sa a, b;
	struct rkmp_ike_cfg cfg = { .psk = psk, .psk_len = sizeof(psk) - 1 };
	struct rkmp_ike_out o1, o2, o3, o4, o5, o6;
	int r;

	rkmp_sa_init(&a);
	rkmp_sa_init(&b);
	b.initiator = false;
	snprintf(a.proposals, sizeof(a.proposals), "%s", proposal);
	snprintf(b.proposals, sizeof(b.proposals), "%s", proposal);
	snprintf(a.id_local, sizeof(a.id_local), "fqdn:" ID_I);
	snprintf(b.id_local, sizeof(b.id_local), "fqdn:" ID_R);
	rkmp_ike_out_init(&o1);
	rkmp_ike_out_init(&o2);
	rkmp_ike_out_init(&o3);
	rkmp_ike_out_init(&o4);
	rkmp_ike_out_init(&o5);
	rkmp_ike_out_init(&o6);
	/* nobody reads the steps' notes here */
	o1.no_note = o2.no_note = o3.no_note = o4.no_note = o5.no_note = o6.no_note = true;
	if ((r = rkmp_ike_init_request(&a, &cfg, &o1)) == 0 &&
	    (r = rkmp_ike_init_respond(&b, &cfg, o1.msg.p, o1.msg.len, &o2)) == 0 &&
	    (r = rkmp_ike_init_process(&a, &cfg, o2.msg.p, o2.msg.len, &o3)) == 0 &&
	    (r = rkmp_ike_auth_request(&a, &cfg, &o4)) == 0 &&
	    (r = rkmp_ike_auth_respond(&b, &cfg, o4.msg.p, o4.msg.len, &o5)) == 0 &&
	    (r = rkmp_ike_auth_process(&a, &cfg, o5.msg.p, o5.msg.len, &o6)) == 0)
		r = a.phase == RKMP_PHASE_ESTABLISHED && b.phase == RKMP_PHASE_ESTABLISHED &&
		    memcmp(a.sec.sk_d, b.sec.sk_d, a.sec.d_len) == 0 ? 0 : -1;
	if (r == 0 && sh != NULL) {
		if (a.nchildren != 1 || b.nchildren != 1 || o1.msg.len > sizeof(sh->m1) ||
		    o2.msg.len > sizeof(sh->m2)) {
			fprintf(stderr, "rkmp-bench: unexpected negotiation (%zu/%zu children, "
			    "RKMP_SA_INIT %zu/%zu octets)\n", a.nchildren, b.nchildren, o1.msg.len,
			    o2.msg.len);
			r = -1;
		} else {
			sh->init_req = o1.msg.len;
			sh->init_resp = o2.msg.len;
			memcpy(sh->m1, o1.msg.p, o1.msg.len);
			memcpy(sh->m2, o2.msg.p, o2.msg.len);
			sh->auth_req = o4.msg.len;
			sh->auth_resp = o5.msg.len;
			sh->ni = a.ni.len;
			sh->nr = a.nr.len;
			sh->child_spi = a.children[0].spi_size;
			sh->keymat = a.children[0].keymat_len;
			sh->d = a.sec.d_len;
			sh->a = a.sec.a_len;
			sh->e = a.sec.e_len;
			sh->p = a.sec.p_len;
		}
	}
	rkmp_ike_out_free(&o1);
	rkmp_ike_out_free(&o2);
	rkmp_ike_out_free(&o3);
	rkmp_ike_out_free(&o4);
	rkmp_ike_out_free(&o5);
	rkmp_ike_out_free(&o6);
	rkmp_sa_wipe(&a);
	rkmp_sa_wipe(&b);
	return r;
}

/* ------------------------------------------------------------------ the floor */

/* Nothing below calls rkmp code: OpenSSL 3 EVP (and RAND_bytes) only. */

#define F_HDR		28	/* IKE header (RFC 7296 §3.1) */
#define F_GEN		4	/* generic payload header of SK (§3.2) */
#define F_DH_MAX	256
#define F_PRF_MAX	64
#define F_NONCE_MAX	256	/* §3.9 */
#define F_KEY_MAX	64
#define F_MSG_MAX	4096
#define F_KEYMAT_MAX	256

struct floor {
	const struct suite	*s;
	const struct shape	*sh;
	EVP_PKEY_CTX		*keygen;
	EVP_PKEY		*domain;	/* a key of the group, for the peer's (MODP) */
	EVP_MAC_CTX		*prf, *integ;
	EVP_CIPHER		*cipher;
	EVP_CIPHER_CTX		*enc, *dec;
	uint8_t			 pt[2][F_MSG_MAX];	/* the AUTH messages' plaintexts */
	unsigned long		 nprf, ninteg, nrand;	/* calls, for the report */
};

/* One side's values. */
struct side {
	uint8_t		 spi[8], nonce[F_NONCE_MAX], child_spi[8];
	EVP_PKEY	*key;
	uint8_t		 pub[F_DH_MAX], gir[F_DH_MAX];
	uint8_t		 skeyseed[F_PRF_MAX];
	uint8_t		 km[7 * F_KEY_MAX];	/* SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr */
	const uint8_t	*sk_d, *sk_ai, *sk_ar, *sk_ei, *sk_er, *sk_pi, *sk_pr;
	uint8_t		 pad[F_PRF_MAX];	/* prf(PSK, "Key Pad for IKEv2") */
	uint8_t		 keymat[F_KEYMAT_MAX];
};

struct piece {
	const uint8_t	*p;
	size_t		 len;
};

static int
ossl(const char *what)
{
	unsigned long e = ERR_get_error();
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	fprintf(stderr, "rkmp-bench: floor: %s failed%s%s\n", what, why ? ": " : "", why ? why : "");
	ERR_clear_error();
	return -1;
}

static void
floor_free(struct floor *f)
{
	EVP_PKEY_CTX_free(f->keygen);
	EVP_PKEY_free(f->domain);
	EVP_MAC_CTX_free(f->prf);
	EVP_MAC_CTX_free(f->integ);
	EVP_CIPHER_free(f->cipher);
	EVP_CIPHER_CTX_free(f->enc);
	EVP_CIPHER_CTX_free(f->dec);
	memset(f, 0, sizeof(*f));
}

static EVP_MAC_CTX *
hmac_ctx(const char *digest)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	char name[32];
	OSSL_PARAM params[2];

	EVP_MAC_free(mac);
	snprintf(name, sizeof(name), "%s", digest);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx != NULL && EVP_MAC_CTX_set_params(ctx, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

static int
floor_new(struct floor *f, const struct suite *s, const struct shape *sh)
{
	memset(f, 0, sizeof(*f));
	f->s = s;
	f->sh = sh;
	/* the engine must have used the suite's lengths, and sizes we have room for */
	if (sh->d != s->prf_len || sh->p != s->prf_len || sh->e != s->ekey + s->salt ||
	    sh->a != s->akey || sh->ni > F_NONCE_MAX || sh->nr > F_NONCE_MAX || sh->child_spi > 8 ||
	    sh->keymat > F_KEYMAT_MAX || sh->auth_req > F_MSG_MAX || sh->auth_resp > F_MSG_MAX ||
	    s->dh_len > F_DH_MAX || s->prf_len > F_PRF_MAX) {
		fprintf(stderr, "rkmp-bench: %s: the engine's sizes (SK_d %zu SK_a %zu SK_e %zu "
		    "SK_p %zu, nonces %zu/%zu, child SPI %zu, KEYMAT %zu) are not the floor's\n",
		    s->name, sh->d, sh->a, sh->e, sh->p, sh->ni, sh->nr, sh->child_spi, sh->keymat);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		size_t len = i ? sh->auth_resp : sh->auth_req;
		size_t ct = len - F_HDR - F_GEN - s->iv - s->icv;

		if (len <= F_HDR + F_GEN + s->iv + s->icv || (!s->aead && ct % 16 != 0)) {
			fprintf(stderr, "rkmp-bench: %s: RKMP_SA_AUTH message of %zu octets\n",
			    s->name, len);
			return -1;
		}
		if (RAND_bytes(f->pt[i], (int)ct) != 1)
			return ossl("RAND_bytes");
	}
	if ((f->keygen = EVP_PKEY_CTX_new_from_name(NULL, s->dh, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(f->keygen) != 1 ||
	    (s->dh_group != NULL && EVP_PKEY_CTX_set_group_name(f->keygen, s->dh_group) != 1) ||
	    (s->dh_group != NULL && EVP_PKEY_generate(f->keygen, &f->domain) != 1))
		return ossl(s->dh);
	if ((f->prf = hmac_ctx(s->prf)) == NULL ||
	    (s->integ != NULL && (f->integ = hmac_ctx(s->integ)) == NULL))
		return ossl("HMAC");
	if ((f->cipher = EVP_CIPHER_fetch(NULL, s->encr, NULL)) == NULL ||
	    (f->enc = EVP_CIPHER_CTX_new()) == NULL || (f->dec = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex2(f->enc, f->cipher, NULL, NULL, 1, NULL) != 1 ||
	    EVP_CipherInit_ex2(f->dec, f->cipher, NULL, NULL, 0, NULL) != 1 ||
	    (!s->aead && (EVP_CIPHER_CTX_set_padding(f->enc, 0) != 1 ||
	    EVP_CIPHER_CTX_set_padding(f->dec, 0) != 1)))
		return ossl(s->encr);
	return 0;
}

static int
rnd(struct floor *f, uint8_t *p, size_t n)
{
	f->nrand++;
	return RAND_bytes(p, (int)n) == 1 ? 0 : ossl("RAND_bytes");
}

/* A key pair and its public value in KE form (X25519 as is, MODP padded to p). */
static int
dh_keypair(struct floor *f, struct side *x)
{
	size_t n = 0;

	if (EVP_PKEY_generate(f->keygen, &x->key) != 1 ||
	    EVP_PKEY_get_octet_string_param(x->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, x->pub,
	    sizeof(x->pub), &n) != 1 || n != f->s->dh_len)
		return ossl("DH key pair");
	return 0;
}

/* g^ir from our key and the peer's KE data. */
static int
dh_shared(struct floor *f, struct side *x, const uint8_t *peer)
{
	const struct suite *s = f->s;
	unsigned int pad = 1;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad), OSSL_PARAM_construct_end()
	};
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t n = sizeof(x->gir);
	int ok;

	if (s->dh_group == NULL)
		pk = EVP_PKEY_new_raw_public_key_ex(NULL, s->dh, NULL, peer, s->dh_len);
	else if ((pk = EVP_PKEY_new()) != NULL && (EVP_PKEY_copy_parameters(pk, f->domain) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(pk, peer, s->dh_len) != 1)) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	/* MODP: OpenSSL checks 1 < y < p-1 in the derive (RFC 6989 §2.1, safe primes) */
	ok = pk != NULL && (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, x->key, NULL)) != NULL &&
	    EVP_PKEY_derive_init_ex(ctx, s->dh_group != NULL ? params : NULL) == 1 &&
	    EVP_PKEY_derive_set_peer_ex(ctx, pk, s->dh_group == NULL) == 1 &&
	    EVP_PKEY_derive(ctx, x->gir, &n) == 1 && n == s->dh_len;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ok ? 0 : ossl("DH derive");
}

/* prf(key, pieces) into out[prf_len] */
static int
prf(struct floor *f, const uint8_t *key, size_t key_len, const struct piece *v, size_t nv,
    uint8_t *out)
{
	size_t n = 0;

	f->nprf++;
	if (EVP_MAC_init(f->prf, key, key_len, NULL) != 1)
		return ossl("prf");
	for (size_t i = 0; i < nv; i++)
		if (EVP_MAC_update(f->prf, v[i].p, v[i].len) != 1)
			return ossl("prf");
	if (EVP_MAC_final(f->prf, out, &n, f->s->prf_len) != 1 || n != f->s->prf_len)
		return ossl("prf");
	return 0;
}

/* prf+ (RFC 7296 §2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) */
static int
prf_plus(struct floor *f, const uint8_t *key, size_t key_len, const struct piece *s, size_t ns,
    uint8_t *out, size_t len)
{
	struct piece v[8];
	uint8_t t[F_PRF_MAX], n = 0;
	size_t off = 0, pl = f->s->prf_len;

	v[0] = (struct piece){ t, 0 };
	for (size_t i = 0; i < ns; i++)
		v[i + 1] = s[i];
	v[ns + 1] = (struct piece){ &n, 1 };
	while (off < len) {
		n++;
		if (prf(f, key, key_len, v, ns + 2, t) != 0)
			return -1;
		memcpy(out + off, t, len - off < pl ? len - off : pl);
		off += pl;
		v[0].len = pl;
	}
	return 0;
}

/* SKEYSEED, SK_* and the first child's KEYMAT of one side (§2.14, §2.17). */
static int
key_schedule(struct floor *f, struct side *x, const struct side *i, const struct side *r)
{
	const struct shape *sh = f->sh;
	uint8_t nn[2 * F_NONCE_MAX];
	struct piece seed[4] = {
		{ i->nonce, sh->ni }, { r->nonce, sh->nr }, { i->spi, 8 }, { r->spi, 8 }
	};
	struct piece g = { x->gir, f->s->dh_len };
	size_t off = 0;

	memcpy(nn, i->nonce, sh->ni);
	memcpy(nn + sh->ni, r->nonce, sh->nr);
	if (prf(f, nn, sh->ni + sh->nr, &g, 1, x->skeyseed) != 0 ||
	    prf_plus(f, x->skeyseed, f->s->prf_len, seed, 4, x->km,
	    sh->d + 2 * sh->a + 2 * sh->e + 2 * sh->p) != 0)
		return -1;
	x->sk_d = x->km;
	x->sk_ai = x->km + (off += sh->d);
	x->sk_ar = x->km + (off += sh->a);
	x->sk_ei = x->km + (off += sh->a);
	x->sk_er = x->km + (off += sh->e);
	x->sk_pi = x->km + (off += sh->e);
	x->sk_pr = x->km + (off += sh->p);
	return prf_plus(f, x->sk_d, sh->d, seed, 2, x->keymat, sh->keymat);
}

/*
 * One side's AUTH (§2.15): prf(prf(PSK, "Key Pad for IKEv2"), RealMessage |
 * Nonce' | prf(SK_p, ID')), the key pad computed by the side before.
 */
static int
auth(struct floor *f, const struct side *x, const uint8_t *msg, size_t msg_len,
    const uint8_t *nonce, size_t nonce_len, const uint8_t *sk_p, const char *id, uint8_t *out)
{
	uint8_t idb[64], maced[F_PRF_MAX];
	size_t id_len = strlen(id);
	struct piece v[3] = { { msg, msg_len }, { nonce, nonce_len }, { maced, f->s->prf_len } };
	struct piece i = { idb, 4 + id_len };

	idb[0] = 2;	/* ID_FQDN */
	idb[1] = idb[2] = idb[3] = 0;
	memcpy(idb + 4, id, id_len);
	if (prf(f, sk_p, f->sh->p, &i, 1, maced) != 0)
		return -1;
	return prf(f, x->pad, f->s->prf_len, v, 3, out);
}

/*
 * Seal plaintext pt[ct] into msg (header | SK header | IV | ciphertext | ICV,
 * len octets) with SK_e (and SK_a), or open it into pt.  AEAD: nonce = salt |
 * IV, AAD = header through SK header (RFC 5282).  CBC: random IV, the ICV is
 * HMAC over everything before it.
 */
static int
sk_run(struct floor *f, bool seal, const uint8_t *ke, const uint8_t *ka, uint8_t *msg, size_t len,
    uint8_t *pt, uint64_t counter)
{
	const struct suite *s = f->s;
	EVP_CIPHER_CTX *c = seal ? f->enc : f->dec;
	size_t aad = F_HDR + F_GEN, ct = len - aad - s->iv - s->icv;
	uint8_t *iv = msg + aad, *ctp = iv + s->iv, *icv = ctp + ct, nonce[16], mac[F_PRF_MAX];
	int n1 = 0, n2 = 0;
	size_t n = 0;

	if (seal)
		memset(msg, 0, aad);	/* the header: not crypto, and not what is measured */
	if (s->aead) {
		OSSL_PARAM tag[2] = { OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, icv,
		    s->icv), OSSL_PARAM_construct_end() };

		if (seal)
			for (int k = 7; k >= 0; k--, counter >>= 8)
				iv[k] = (uint8_t)counter;
		memcpy(nonce, ke + s->ekey, s->salt);
		memcpy(nonce + s->salt, iv, s->iv);
		if (EVP_CipherInit_ex2(c, NULL, ke, nonce, seal, NULL) != 1 ||
		    EVP_CipherUpdate(c, NULL, &n1, msg, (int)aad) != 1 ||
		    EVP_CipherUpdate(c, seal ? ctp : pt, &n1, seal ? pt : ctp, (int)ct) != 1 ||
		    (!seal && EVP_CIPHER_CTX_set_params(c, tag) != 1) ||
		    EVP_CipherFinal_ex(c, (seal ? ctp : pt) + n1, &n2) != 1 ||
		    (size_t)n1 + (size_t)n2 != ct ||
		    (seal && EVP_CIPHER_CTX_get_params(c, tag) != 1))
			return ossl(seal ? "AEAD seal" : "AEAD open");
		return 0;
	}
	if (seal) {
		if (rnd(f, iv, s->iv) != 0)
			return -1;
		if (EVP_CipherInit_ex2(c, NULL, ke, iv, 1, NULL) != 1 ||
		    EVP_CipherUpdate(c, ctp, &n1, pt, (int)ct) != 1 ||
		    EVP_CipherFinal_ex(c, ctp + n1, &n2) != 1 || (size_t)n1 + (size_t)n2 != ct)
			return ossl("CBC encrypt");
	}
	f->ninteg++;
	if (EVP_MAC_init(f->integ, ka, s->akey, NULL) != 1 ||
	    EVP_MAC_update(f->integ, msg, len - s->icv) != 1 ||
	    EVP_MAC_final(f->integ, mac, &n, sizeof(mac)) != 1 || n < s->icv)
		return ossl("INTEG");
	if (seal) {
		memcpy(icv, mac, s->icv);
		return 0;
	}
	if (CRYPTO_memcmp(mac, icv, s->icv) != 0) {
		fprintf(stderr, "rkmp-bench: floor: ICV mismatch\n");
		return -1;
	}
	if (EVP_CipherInit_ex2(c, NULL, ke, iv, 0, NULL) != 1 ||
	    EVP_CipherUpdate(c, pt, &n1, ctp, (int)ct) != 1 ||
	    EVP_CipherFinal_ex(c, pt + n1, &n2) != 1 || (size_t)n1 + (size_t)n2 != ct)
		return ossl("CBC decrypt");
	return 0;
}

/* One negotiation's crypto, in the order of the exchanges; dh_only: the DH alone. */
static int
floor_run(struct floor *f, bool dh_only)
{
	static const char keypad[] = "Key Pad for IKEv2";
	const struct shape *sh = f->sh;
	const struct suite *s = f->s;
	struct side i, r;
	struct piece kp = { (const uint8_t *)keypad, sizeof(keypad) - 1 };
	uint8_t msg[F_MSG_MAX], pt[F_MSG_MAX], auth_i[F_PRF_MAX], auth_r[F_PRF_MAX], chk[F_PRF_MAX];
	int rc = -1;

	i.key = r.key = NULL;
	if (dh_only) {
		rc = dh_keypair(f, &i) == 0 && dh_keypair(f, &r) == 0 &&
		    dh_shared(f, &r, i.pub) == 0 && dh_shared(f, &i, r.pub) == 0 ? 0 : -1;
		goto out;
	}
	/* RKMP_SA_INIT: SPIi, Ni, KEi; SPIr, Nr, KEr, g^ir, keys; g^ir, keys */
	if (rnd(f, i.spi, 8) != 0 || rnd(f, i.nonce, sh->ni) != 0 || dh_keypair(f, &i) != 0 ||
	    rnd(f, r.spi, 8) != 0 || rnd(f, r.nonce, sh->nr) != 0 || dh_keypair(f, &r) != 0 ||
	    dh_shared(f, &r, i.pub) != 0 || key_schedule(f, &r, &i, &r) != 0 ||
	    dh_shared(f, &i, r.pub) != 0 || key_schedule(f, &i, &i, &r) != 0)
		goto out;
	/* RKMP_SA_AUTH request: child SPI, AUTH, sealed; the responder opens and verifies */
	if (rnd(f, i.child_spi, sh->child_spi) != 0 || prf(f, psk, sizeof(psk) - 1, &kp, 1, i.pad) != 0 ||
	    auth(f, &i, sh->m1, sh->init_req, r.nonce, sh->nr, i.sk_pi, ID_I, auth_i) != 0 ||
	    sk_run(f, true, i.sk_ei, i.sk_ai, msg, sh->auth_req, f->pt[0], 1) != 0 ||
	    sk_run(f, false, r.sk_ei, r.sk_ai, msg, sh->auth_req, pt, 0) != 0 ||
	    prf(f, psk, sizeof(psk) - 1, &kp, 1, r.pad) != 0 ||
	    auth(f, &r, sh->m1, sh->init_req, r.nonce, sh->nr, r.sk_pi, ID_I, chk) != 0)
		goto out;
	if (CRYPTO_memcmp(chk, auth_i, s->prf_len) != 0) {
		fprintf(stderr, "rkmp-bench: floor: initiator's AUTH does not verify\n");
		goto out;
	}
	/* the answer: the responder's AUTH and child SPI, sealed; opened and verified */
	if (auth(f, &r, sh->m2, sh->init_resp, i.nonce, sh->ni, r.sk_pr, ID_R, auth_r) != 0 ||
	    rnd(f, r.child_spi, sh->child_spi) != 0 ||
	    sk_run(f, true, r.sk_er, r.sk_ar, msg, sh->auth_resp, f->pt[1], 1) != 0 ||
	    sk_run(f, false, i.sk_er, i.sk_ar, msg, sh->auth_resp, pt, 0) != 0 ||
	    auth(f, &i, sh->m2, sh->init_resp, i.nonce, sh->ni, i.sk_pr, ID_R, chk) != 0)
		goto out;
	if (CRYPTO_memcmp(chk, auth_r, s->prf_len) != 0 ||
	    memcmp(i.keymat, r.keymat, sh->keymat) != 0) {
		fprintf(stderr, "rkmp-bench: floor: responder's AUTH or the KEYMATs differ\n");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(i.key);
	EVP_PKEY_free(r.key);
	return rc;
}

/* ------------------------------------------------------------------ timing */

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

enum kind { K_ENGINE, K_FLOOR, K_DH };

static int
one(enum kind k, const struct suite *s, struct floor *f)
{
	if (k != K_ENGINE)
		return floor_run(f, k == K_DH);
	if (negotiate(s->proposal, NULL) != 0)
		return fprintf(stderr, "rkmp-bench: negotiation: %s\n", rkmp_err_text()), -1;
	return 0;
}

/* Negotiations per CPU second over secs; < 0 on a failure. */
static double
rate(enum kind k, const struct suite *s, struct floor *f, double secs)
{
	double t0 = cpu_now(), t;
	unsigned long n = 0;

	do {
		if (one(k, s, f) != 0)
			return -1;
		n++;
	} while ((t = cpu_now()) - t0 < secs);
	return n / (t - t0);
}

static const struct suite *
suite_named(const char *name)
{
	for (size_t i = 0; i < NSUITES; i++)
		if (strcmp(suites[i].name, name) == 0)
			return &suites[i];
	fprintf(stderr, "rkmp-bench: no suite \"%s\"\n", name);
	return NULL;
}

static int
usage(void)
{
	fprintf(stderr, "usage: rkmp-bench [SECONDS]\n"
	    "       rkmp-bench -p engine|floor|dh SUITE COUNT\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static struct shape sh;
	struct floor f;
	const char *only = getenv("RKMP_BENCH_ONLY");
	double secs = 3.0;

	if (argc == 5 && strcmp(argv[1], "-p") == 0) {
		const struct suite *s = suite_named(argv[3]);
		enum kind k = strcmp(argv[2], "engine") == 0 ? K_ENGINE :
		    strcmp(argv[2], "floor") == 0 ? K_FLOOR : K_DH;
		long count = atol(argv[4]);
		int rc = 0;

		if (s == NULL || (k == K_DH && strcmp(argv[2], "dh") != 0) || count <= 0)
			return usage();
		if (negotiate(s->proposal, &sh) != 0)
			return fprintf(stderr, "rkmp-bench: negotiation: %s\n", rkmp_err_text()), 1;
		if (floor_new(&f, s, &sh) != 0) {
			floor_free(&f);
			return 1;
		}
		for (long n = 0; n < count && rc == 0; n++)
			rc = one(k, s, &f);
		floor_free(&f);
		return rc ? 1 : 0;
	}
	if (argc > 2 || (argc == 2 && (secs = atof(argv[1])) <= 0))
		return usage();

	printf("RKMP_SA_INIT + RKMP_SA_AUTH negotiations (PSK, both sides in one process) per CPU "
	    "second, best of %d rounds, vs their crypto floor in plain OpenSSL EVP: 2 DH key pairs "
	    "+ 2 g^ir; per side SKEYSEED, prf+ SK_*, child KEYMAT, PSK key pad; 4 MACedID + 4 AUTH "
	    "prfs; the 2 AUTH messages sealed + opened; RAND_bytes for 2 nonces, 2 SPIs, 2 child "
	    "SPIs (+2 IVs with CBC)\n", ROUNDS);
	printf("%-8s %-28s %14s %8s %12s %10s  %s\n", "suite", "proposal", "negotiations/s",
	    "floor/s", "engine/floor", "DH alone/s", "floor detail");
	fflush(stdout);
	for (size_t i = 0; i < NSUITES; i++) {
		const struct suite *s = &suites[i];
		double best[3] = { 0, 0, 0 };
		char detail[128];

		if (only != NULL && strcmp(only, s->name) != 0)
			continue;
		/* the shape; one floor untimed, counted (every floor run checks its results) */
		if (negotiate(s->proposal, &sh) != 0)
			return fprintf(stderr, "rkmp-bench: negotiation: %s\n", rkmp_err_text()), 1;
		if (floor_new(&f, s, &sh) != 0 || floor_run(&f, false) != 0) {
			floor_free(&f);
			return 1;
		}
		if (f.ninteg != 0)
			snprintf(detail, sizeof(detail), "%lu prf + %lu ICV, %lu RAND_bytes, %s "
			    "%zu+%zu octets", f.nprf, f.ninteg, f.nrand, s->encr, sh.auth_req,
			    sh.auth_resp);
		else
			snprintf(detail, sizeof(detail), "%lu prf, %lu RAND_bytes, %s %zu+%zu octets",
			    f.nprf, f.nrand, s->encr, sh.auth_req, sh.auth_resp);
		/* short rounds of engine, floor and DH alone, in turns; the best rate of each */
		for (int round = 0; round < ROUNDS; round++) {
			for (int k = 0; k < 3; k++) {
				enum kind kind = (enum kind)((round + k) % 3);
				double v = rate(kind, s, &f, secs / ROUNDS);

				if (v < 0) {
					floor_free(&f);
					return 1;
				}
				if (v > best[kind])
					best[kind] = v;
			}
		}
		floor_free(&f);
		printf("%-8s %-28s %14.0f %8.0f %11.2fx %10.0f  %s\n", s->name, s->proposal,
		    best[K_ENGINE], best[K_FLOOR], best[K_ENGINE] / best[K_FLOOR], best[K_DH], detail);
		fflush(stdout);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * crypto.h — IKEv2 crypto suites over OpenSSL 3 EVP.
 *
 * One table per transform type, keyed by the IKEv2 transform ID, says how
 * big everything is (RFC 7296 §3.3.2, RFC 5282, RFC 7634, RFC 4868, RFC 5903,
 * RFC 8031); code that frames messages or cuts keys reads sizes from the row
 * and never switches on an ID.  On top of the rows: prf and prf+ (§2.13), the
 * key schedule (§2.14, §2.17, §2.18), INTEG ICVs, the SK payload ciphers
 * (CBC, AES-GCM, ChaCha20-Poly1305) and Diffie-Hellman in IKE wire form.
 *
 * Every fallible call returns 0 or a negative RKMP_E_* (err.h), with the
 * detail line set: RKMP_E_CRYPTO for an unsupported algorithm (naming its
 * ID) or a failed OpenSSL call, RKMP_E_INVALID for a peer value of the wrong
 * size or off the group, RKMP_E_REFUSED ("ICV mismatch") for a bad tag.
 * Output buffers are the caller's, sized from the row (out_len, icv_len...).
 */
#ifndef RKMP_CRYPTO_H
#define RKMP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bounds over every row, for fixed-size key buffers. */
#define RKMP_CRYPTO_KEY_MAX	64	/* PRF key, INTEG key, ENCR key + salt */
#define RKMP_CRYPTO_PRF_MAX	64	/* PRF output */
#define RKMP_CRYPTO_ICV_MAX	32	/* INTEG ICV or AEAD tag */
#define RKMP_CRYPTO_DH_MAX	512	/* KE data or g^ir (MODP 4096) */

/* Which MAC construction a PRF or INTEG row runs on. */
enum rkmp_mac_kind {
	RKMP_MAC_HMAC,		/* EVP_MAC "HMAC", ossl = digest name */
	RKMP_MAC_CMAC,		/* EVP_MAC "CMAC", ossl = cipher name */
	RKMP_MAC_XCBC		/* RFC 3566, hand-written over AES-128-ECB */
};

/* Transform type 1 (ENCR).  One row per (ID, key length). */
struct rkmp_encr_alg {
	uint16_t	 id;
	uint16_t	 key_bits;	/* Key Length attribute; 0 = must not be sent */
	const char	*name;		/* IANA name */
	const char	*keyword;	/* strongSwan proposal keyword */
	const char	*ossl;		/* EVP_CIPHER name */
	size_t		 key_len;	/* cipher key, octets, without salt */
	size_t		 salt_len;	/* AEAD salt cut from KEYMAT after the key */
	size_t		 iv_len;	/* explicit IV on the wire */
	size_t		 block_len;	/* padding alignment (1 for AEAD) */
	size_t		 icv_len;	/* AEAD tag; 0 when INTEG supplies the ICV */
	int		 aead;
};

/* Transform type 2 (PRF). */
struct rkmp_prf_alg {
	uint16_t	 id;
	const char	*name;
	const char	*keyword;
	enum rkmp_mac_kind mac;
	const char	*ossl;
	size_t		 out_len;	/* prf output, prf+ block */
	size_t		 key_len;	/* preferred key size: SK_d, SK_pi, SK_pr */
	size_t		 nonce_cut;	/* SKEYSEED key = Ni[0:n] | Nr[0:n]; 0 = all */
};

/* Transform type 3 (INTEG). */
struct rkmp_integ_alg {
	uint16_t	 id;
	const char	*name;
	const char	*keyword;
	enum rkmp_mac_kind mac;
	const char	*ossl;
	size_t		 key_len;	/* SK_a size; the key must be exactly this */
	size_t		 icv_len;	/* leading octets of the MAC output */
};

enum rkmp_dh_kind {
	RKMP_DH_MODP,		/* RFC 3526: big-endian, padded to the modulus */
	RKMP_DH_ECP,		/* RFC 5903: x | y, no 0x04; g^ir = x */
	RKMP_DH_ECX		/* RFC 8031: X25519/X448 as-is */
};

/* Transform type 4 (DH / KE method). */
struct rkmp_dh_group {
	uint16_t	 id;
	const char	*name;
	const char	*keyword;
	enum rkmp_dh_kind kind;
	const char	*ossl;		/* OpenSSL group or key type name */
	size_t		 pub_len;	/* KE payload data */
	size_t		 secret_len;	/* g^ir */
	size_t		 priv_len;	/* private value as exported/imported */
};

/*
 * Lookups: the row, or NULL with RKMP_E_CRYPTO's detail set to name the ID
 * (so a caller can just return RKMP_E_CRYPTO).  ENCR needs the Key Length
 * attribute's value: 128/192/256 for AES, 0 (absent) for ChaCha20-Poly1305.
 */
const struct rkmp_encr_alg	*rkmp_crypto_encr_lookup(uint16_t id, uint16_t key_bits);
const struct rkmp_prf_alg	*rkmp_crypto_prf_lookup(uint16_t id);
const struct rkmp_integ_alg	*rkmp_crypto_integ_lookup(uint16_t id);
const struct rkmp_dh_group	*rkmp_crypto_dh_lookup(uint16_t id);
/* The whole tables, for listings and proposal parsing. */
const struct rkmp_encr_alg	*rkmp_crypto_encr_table(size_t *n);
const struct rkmp_prf_alg	*rkmp_crypto_prf_table(size_t *n);
const struct rkmp_integ_alg	*rkmp_crypto_integ_table(size_t *n);
const struct rkmp_dh_group	*rkmp_crypto_dh_table(size_t *n);
/* A DH group by its registry name or proposal keyword ("x25519", "curve25519",
 * "modp2048", "ecp256"): true with its ID in *g (--pfs, rkmpd's "pfs"). */
bool	rkmp_crypto_dh_by_name(const char *name, unsigned *g);

/* A piece of a concatenation: prf(K, a | b | c) without copying. */
struct rkmp_crypto_iov {
	const uint8_t	*p;
	size_t		 len;
};

/*
 * prf(key, data) -> out[prf->out_len].  Keys of any length: HMAC takes them
 * as they are, AES-XCBC-PRF-128 and AES-CMAC-PRF-128 adjust them (RFC 4434,
 * RFC 4615), which matters for a PSK.
 */
int	rkmp_crypto_prf(const struct rkmp_prf_alg *prf, const uint8_t *key, size_t key_len,
	    const uint8_t *data, size_t data_len, uint8_t *out);
int	rkmp_crypto_prfv(const struct rkmp_prf_alg *prf, const uint8_t *key, size_t key_len,
	    const struct rkmp_crypto_iov *v, size_t nv, uint8_t *out);
/* prf+(key, seed) -> out[out_len], at most 255 blocks (RFC 7296 §2.13). */
int	rkmp_crypto_prf_plus(const struct rkmp_prf_alg *prf, const uint8_t *key, size_t key_len,
	    const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);
int	rkmp_crypto_prf_plusv(const struct rkmp_prf_alg *prf, const uint8_t *key, size_t key_len,
	    const struct rkmp_crypto_iov *v, size_t nv, uint8_t *out, size_t out_len);

/* INTEG: icv[integ->icv_len] over data; verify compares in constant time. */
int	rkmp_crypto_integ(const struct rkmp_integ_alg *integ, const uint8_t *key, size_t key_len,
	    const uint8_t *data, size_t data_len, uint8_t *icv);
int	rkmp_crypto_integ_verify(const struct rkmp_integ_alg *integ, const uint8_t *key,
	    size_t key_len, const uint8_t *data, size_t data_len, const uint8_t *icv);

/* ---------------------------------------------------------- key schedule */

/* SKEYSEED = prf(Ni | Nr, g^ir) -> out[prf->out_len] (RFC 7296 §2.14). */
int	rkmp_crypto_skeyseed(const struct rkmp_prf_alg *prf, const uint8_t *ni, size_t ni_len,
	    const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len, uint8_t *out);
/* prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) -> out[out_len], the raw stream. */
int	rkmp_crypto_ike_keymat(const struct rkmp_prf_alg *prf, const uint8_t *skeyseed,
	    size_t skeyseed_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
	    const uint8_t spii[8], const uint8_t spir[8], uint8_t *out, size_t out_len);

/* Lengths of SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr. */
struct rkmp_sk_lens {
	size_t	d;		/* SK_d: PRF preferred key size */
	size_t	a;		/* SK_ai, SK_ar: INTEG key size, 0 with AEAD */
	size_t	e;		/* SK_ei, SK_er: ENCR key + salt */
	size_t	p;		/* SK_pi, SK_pr: PRF preferred key size */
	size_t	total;
};
/* integ must be NULL with an AEAD cipher and non-NULL without one. */
int	rkmp_crypto_sk_lens(const struct rkmp_encr_alg *encr, const struct rkmp_integ_alg *integ,
	    const struct rkmp_prf_alg *prf, struct rkmp_sk_lens *lens);

struct rkmp_ike_keys {
	struct rkmp_sk_lens len;
	uint8_t	sk_d[RKMP_CRYPTO_KEY_MAX];
	uint8_t	sk_ai[RKMP_CRYPTO_KEY_MAX];
	uint8_t	sk_ar[RKMP_CRYPTO_KEY_MAX];
	uint8_t	sk_ei[RKMP_CRYPTO_KEY_MAX];	/* key | salt for AEAD */
	uint8_t	sk_er[RKMP_CRYPTO_KEY_MAX];
	uint8_t	sk_pi[RKMP_CRYPTO_KEY_MAX];
	uint8_t	sk_pr[RKMP_CRYPTO_KEY_MAX];
};
/* Derive and split the seven IKE SA keys; wipe them with _wipe. */
int	rkmp_crypto_ike_keys(const struct rkmp_prf_alg *prf, const struct rkmp_encr_alg *encr,
	    const struct rkmp_integ_alg *integ, const uint8_t *skeyseed, size_t skeyseed_len,
	    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
	    const uint8_t spii[8], const uint8_t spir[8], struct rkmp_ike_keys *keys);
void	rkmp_crypto_ike_keys_wipe(struct rkmp_ike_keys *keys);

/* Child KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr); gir NULL/0 without PFS (§2.17). */
int	rkmp_crypto_child_keymat(const struct rkmp_prf_alg *prf, const uint8_t *sk_d,
	    size_t sk_d_len, const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
	    const uint8_t *nr, size_t nr_len, uint8_t *out, size_t out_len);
/* Rekey SKEYSEED' = prf_old(SK_d_old, g^ir | Ni | Nr) -> out[prf->out_len] (§2.18). */
int	rkmp_crypto_skeyseed_rekey(const struct rkmp_prf_alg *prf_old, const uint8_t *sk_d_old,
	    size_t sk_d_len, const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
	    const uint8_t *nr, size_t nr_len, uint8_t *out);

/* ------------------------------------------------------------------- DH */

/* One key pair of one group (opaque; the private half is wiped on free). */
struct rkmp_dh;

/*
 * New key pair: random when priv is NULL, else from priv (deterministic test
 * mode and state reload): MODP a big-endian exponent 1 < x < q, ECP a
 * big-endian scalar 0 < d < n, X25519/X448 the raw RFC 7748 private key;
 * out of range is RKMP_E_INVALID.  A seeded caller can use 32 octets for
 * MODP and ECP (below every q and n but P-256's, there with odds 2^-32) and
 * exactly priv_len for X25519/X448.
 */
int	rkmp_crypto_dh_new(const struct rkmp_dh_group *group, const uint8_t *priv,
	    size_t priv_len, struct rkmp_dh **dhp);
void	rkmp_crypto_dh_free(struct rkmp_dh *dh);
const struct rkmp_dh_group *rkmp_crypto_dh_group(const struct rkmp_dh *dh);
/* Our public value in KE payload form: group->pub_len octets. */
const uint8_t *rkmp_crypto_dh_public(const struct rkmp_dh *dh, size_t *len);
/* Our private value, left-padded to group->priv_len (for the state file). */
int	rkmp_crypto_dh_private(const struct rkmp_dh *dh, uint8_t *out, size_t out_len);
/*
 * g^ir from the peer's KE data -> secret[group->secret_len], MODP left-padded
 * with zeros.  A peer value of the wrong length, out of range, off the curve,
 * or giving an all-zero X25519/X448 secret is RKMP_E_INVALID.
 */
int	rkmp_crypto_dh_shared(const struct rkmp_dh *dh, const uint8_t *peer, size_t peer_len,
	    uint8_t *secret);

/* ---------------------------------------------------------- SK ciphers */

/* AES-CBC without padding: len must be a multiple of the block; out may be in. */
int	rkmp_crypto_cbc_encrypt(const struct rkmp_encr_alg *encr, const uint8_t *key,
	    const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out);
int	rkmp_crypto_cbc_decrypt(const struct rkmp_encr_alg *encr, const uint8_t *key,
	    const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out);
/*
 * AEAD (AES-GCM, ChaCha20-Poly1305): key[encr->key_len], nonce = salt | IV
 * (salt_len + iv_len octets), tag of tag_len octets (the leading octets of
 * the full tag; GCM 8/12/16, ChaCha 16).  Decrypt checks the tag and returns
 * RKMP_E_REFUSED "ICV mismatch" with out wiped when it is wrong.
 */
int	rkmp_crypto_aead_encrypt(const struct rkmp_encr_alg *encr, const uint8_t *key,
	    const uint8_t *nonce, const uint8_t *aad, size_t aad_len, const uint8_t *in,
	    size_t len, uint8_t *out, uint8_t *tag, size_t tag_len);
int	rkmp_crypto_aead_decrypt(const struct rkmp_encr_alg *encr, const uint8_t *key,
	    const uint8_t *nonce, const uint8_t *aad, size_t aad_len, const uint8_t *in,
	    size_t len, const uint8_t *tag, size_t tag_len, uint8_t *out);

/* -------------------------------------------------------------- helpers */

/* 1 when the n octets are equal, in time independent of their content. */
int	rkmp_crypto_ct_eq(const void *a, const void *b, size_t n);
/* n octets from the OpenSSL CSPRNG. */
int	rkmp_crypto_random(void *buf, size_t n);
/* Wipe a secret (OPENSSL_cleanse: not optimised away). */
void	rkmp_crypto_wipe(void *p, size_t n);
/*
 * Free this thread's kept HMAC and SK cipher contexts, which hold the key
 * state of their last MAC or message (they are made again on the next use):
 * rkmp_sa_wipe() and rkmp_keys_free() call it, and so should whoever wipes
 * other keys it made MACs or ciphertexts with.
 */
void	rkmp_crypto_forget(void);

#endif

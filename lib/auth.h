/* SPDX-License-Identifier: MIT */
/*
 * auth.h — the AUTH payload (RFC 7296 §2.15, §3.8): PSK (method 2), RSA
 * (1), ECDSA (9-11, RFC 4754) and Digital Signature (14, RFC 7427), with
 * X.509 certificates (CERT encoding 4) checked against a CA, and CERTREQ
 * hashes (§3.7).  OpenSSL 3 EVP only; AUTH compared in constant time.
 *
 * The signed octets are RealMessage | NonceData | prf(SK_p, ID') (§2.15),
 * passed as their three parts so nothing is copied.
 */
#ifndef RKMP_AUTH_H
#define RKMP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct rkmp_auth_octets {
	const uint8_t	*msg;		/* RealMessage1 or 2: the IKE_SA_INIT message as sent */
	size_t		 msg_len;
	const uint8_t	*nonce;		/* the peer's nonce data */
	size_t		 nonce_len;
	const uint8_t	*id;		/* ID payload body: type, 3 reserved, data */
	size_t		 id_len;
	const uint8_t	*sk_p;		/* SK_pi for the initiator's AUTH, SK_pr for the responder's */
	size_t		 sk_p_len;
};

/* AUTH data for PSK: prf(prf(PSK, "Key Pad for IKEv2"), octets) -> out[prf->out_len]. */
int	rkmp_auth_psk(const struct rkmp_prf_alg *prf, const uint8_t *psk, size_t psk_len,
	    const struct rkmp_auth_octets *o, uint8_t *out);
/* Check a received PSK AUTH: RKMP_E_REFUSED "AUTH mismatch" when wrong (constant time). */
int	rkmp_auth_psk_verify(const struct rkmp_prf_alg *prf, const uint8_t *psk, size_t psk_len,
	    const struct rkmp_auth_octets *o, const uint8_t *auth, size_t auth_len);

/* The PSK's key pad prf(PSK, "Key Pad for IKEv2") -> pad[prf->out_len], and AUTH
 * from it: what a step keeps in its state so a later step needs no PSK file. */
int	rkmp_auth_psk_pad(const struct rkmp_prf_alg *prf, const uint8_t *psk, size_t psk_len,
	    uint8_t *pad);
int	rkmp_auth_psk_padded(const struct rkmp_prf_alg *prf, const uint8_t *pad,
	    const struct rkmp_auth_octets *o, uint8_t *out);
int	rkmp_auth_psk_verify_padded(const struct rkmp_prf_alg *prf, const uint8_t *pad,
	    const struct rkmp_auth_octets *o, const uint8_t *auth, size_t auth_len);

/* A PSK file: content is the key, one trailing newline stripped, "0x..." is hex
 * (DESIGN.md §6).  RKMP_E_STATE-free: RKMP_E_USAGE for an empty or bad-hex file,
 * RKMP_E_SYSTEM when unreadable; a file readable by others is refused (RKMP_E_USAGE). */
int	rkmp_auth_psk_load(const char *path, uint8_t *psk, size_t max, size_t *len);

/* Certificate credentials: our certificate (+ chain) and key, trusted CAs. */
struct rkmp_creds;
/* Load PEM files (any may be NULL): cert (first = end entity, then chain),
 * private key, CA bundle.  RKMP_E_USAGE with the file and OpenSSL's reason. */
int	rkmp_creds_load(struct rkmp_creds **c, const char *cert, const char *key, const char *ca);
void	rkmp_creds_free(struct rkmp_creds *c);
/* DER of our certificate chain, index 0 = end entity; NULL past the end. */
const uint8_t *rkmp_creds_cert_der(const struct rkmp_creds *c, size_t i, size_t *len);
/* CERTREQ data for our CAs: concatenated SHA-1 of each CA's SubjectPublicKeyInfo. */
int	rkmp_creds_certreq(const struct rkmp_creds *c, uint8_t *out, size_t max, size_t *len);
/* The identity of our certificate as "fqdn:...", "email:..." or "dn:..." (subjectAltName first). */
int	rkmp_creds_identity(const struct rkmp_creds *c, char *out, size_t outlen);
/* The same identity as an ID payload: *type ID_FQDN, ID_RFC822_ADDR or
 * ID_DER_ASN1_DN, data the name (no NUL) or the subject's DER Name. */
int	rkmp_creds_id(const struct rkmp_creds *c, uint8_t *type, uint8_t *data, size_t max,
	    size_t *len);

/*
 * Sign the octets with our key.  method: 1 RSA (SHA-1, PKCS#1 v1.5), 9/10/11
 * ECDSA r|s by curve, 14 RFC 7427 (hash chosen from the peer's
 * SIGNATURE_HASH_ALGORITHMS list hashes[]/nhashes: SHA2-512, -384, -256 in
 * that preference; RSA PKCS#1 v1.5 or ECDSA DER).  *method_out is the method
 * actually used (0 = pick: 14 when the peer sent hashes, else by key type).
 */
int	rkmp_auth_sign(const struct rkmp_creds *c, const struct rkmp_prf_alg *prf, int method,
	    const uint16_t *hashes, size_t nhashes, const struct rkmp_auth_octets *o,
	    uint8_t *out, size_t max, size_t *len, int *method_out);
/*
 * Verify the peer: its certificates (DER, end entity first) chain to one of
 * our CAs (RKMP_E_REFUSED "certificate not trusted: <OpenSSL reason>"), the
 * identity it claims (id_type, id data) is in its certificate (subjectAltName
 * or subject DN), and the signature over the octets with that key is right
 * (RKMP_E_REFUSED "AUTH signature mismatch").
 */
int	rkmp_auth_verify(const struct rkmp_creds *c, const uint8_t *const *certs,
	    const size_t *cert_lens, size_t ncerts, uint8_t id_type, const uint8_t *id,
	    size_t id_len, int method, const uint8_t *auth, size_t auth_len,
	    const struct rkmp_prf_alg *prf, const struct rkmp_auth_octets *o);

#endif

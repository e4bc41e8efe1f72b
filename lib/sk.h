/* SPDX-License-Identifier: MIT */
/*
 * sk.h — the Encrypted and Authenticated payload (RFC 7296 §3.14; RFC 5282
 * for AES-GCM, RFC 7634 for ChaCha20-Poly1305) and Encrypted Fragments
 * (RFC 7383): protect a payload chain into a message, verify and decrypt one.
 *
 * Direction keys are chosen by original-initiator role, not by request or
 * response: messages from the original initiator use SK_ei/SK_ai.
 */
#ifndef RKMP_SK_H
#define RKMP_SK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "msg.h"

/* The keys of one direction. */
struct rkmp_sk_dir {
	const struct rkmp_encr_alg	*encr;
	const struct rkmp_integ_alg	*integ;		/* NULL with AEAD */
	const uint8_t			*ke;		/* encr->key_len + salt_len */
	const uint8_t			*ka;		/* integ->key_len */
};

/*
 * Build a whole protected message: IKE header from hdr (spi_i, spi_r,
 * exchange, flags, msg_id, version; its payload list is ignored), one SK
 * payload holding the inner chain, minimal padding (block-aligned for CBC,
 * none for AEAD), the IV given (encr->iv_len octets: random for CBC, a
 * counter for AEAD, the caller's choice so --seed can fix it), the ICV or tag.
 * Unknown/critical flags of inner payloads are encoded as given.
 */
int	rkmp_sk_protect(const struct rkmp_msg *hdr, const struct rkmp_pld *inner, size_t ninner,
	    const struct rkmp_sk_dir *keys, const uint8_t *iv, struct rkmp_buf *out);
/*
 * RFC 7383 §2.5: the inner chain of a message, encoded (rkmp_msg_encode_chain),
 * sent as Total fragments: fragment num (1-based) of it holds octets pt..len,
 * with Next Payload first (the first inner payload's type) in fragment 1 and
 * 0 in the others.  rkmp_skf_room: the plaintext octets one fragment message
 * of at most max octets (IKE header included) carries; 0 when none fit.
 */
size_t	rkmp_skf_room(const struct rkmp_sk_dir *keys, size_t max);
int	rkmp_skf_protect(const struct rkmp_msg *hdr, uint8_t first, uint16_t num, uint16_t total,
	    const uint8_t *pt, size_t len, const struct rkmp_sk_dir *keys, const uint8_t *iv,
	    struct rkmp_buf *out);
/*
 * Verify and decrypt the SK payload of decoded message m (the last payload):
 * ICV or tag first (constant time), then decrypt, check the padding, decode
 * the inner chain into arena a and attach it to the payload (u.sk.inner,
 * ninner, decrypted = true, icv_ok = 1).  A wrong ICV is RKMP_E_REFUSED
 * "ICV mismatch" with icv_ok = 0; a bad layout or inner chain RKMP_E_INVALID.
 * For an SKF payload this decrypts the fragment only: see the reassembler.
 */
int	rkmp_sk_unprotect(struct rkmp_arena *a, struct rkmp_msg *m, const struct rkmp_sk_dir *keys);

/*
 * Fragment reassembly (RFC 7383 §2.6): feed each verified fragment's
 * plaintext; when the last one of a message arrives the whole inner chain is
 * decoded (first payload type from fragment 1) into the SKF payload of that
 * message.  Bounded: a handful of messages in flight, oldest dropped.
 */
struct rkmp_skf_reasm;
struct rkmp_skf_reasm *rkmp_skf_reasm_new(void);
void	rkmp_skf_reasm_free(struct rkmp_skf_reasm *r);
/* Decrypt fragment m (last payload SKF) with keys; returns 1 when m completed
 * its message (inner payloads attached to m's SKF payload), 0 when more
 * fragments are needed, negative RKMP_E_* on failure (as rkmp_sk_unprotect). */
int	rkmp_skf_add(struct rkmp_skf_reasm *r, struct rkmp_arena *a, struct rkmp_msg *m,
	    const struct rkmp_sk_dir *keys);

#endif

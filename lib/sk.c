/* SPDX-License-Identifier: MIT */
/*
 * sk.c — the Encrypted payload SK (RFC 7296 §3.14, RFC 5282, RFC 7634) and
 * Encrypted Fragments SKF (RFC 7383): protect, verify and decrypt, reassemble.
 *
 * Receiver checks run in the order of ikev2-core.md §1.14 (libreswan's
 * order): SK last; length >= IV + 1 + ICV; CBC ciphertext a multiple of the
 * block; ICV or tag (constant time) before any decryption; pad_length + 1 <=
 * plaintext; the inner chain must end exactly at the padding.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "msg.h"
#include "sk.h"
#include "wire.h"

#define SKF_MSGS	16		/* messages in reassembly at once */
#define SKF_TOTAL_MAX	1024		/* Total Fragments we are willing to hold */
#define SKF_BYTES_MAX	(1024 * 1024)	/* plaintext of one reassembled message */

static const char *
sk_where(uint8_t type)
{
	return type == RKMP_PLD_SKF ? "SKF payload" : "SK payload";
}

static int
check_keys(const struct rkmp_sk_dir *k, const char *where)
{
	if (k == NULL || k->encr == NULL || k->ke == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, where, "no encryption key");
	if (!k->encr->aead && (k->integ == NULL || k->ka == NULL))
		return rkmp_err_set(RKMP_E_INTERNAL, where, "%s needs an integrity algorithm",
		    k->encr->name);
	return 0;
}

static size_t
icv_len(const struct rkmp_sk_dir *k)
{
	return k->encr->aead ? k->encr->icv_len : k->integ->icv_len;
}

/* nonce = salt | IV (RFC 5282 §4, RFC 7634 §2); the salt follows the key in SK_e. */
static void
aead_nonce(const struct rkmp_sk_dir *k, const uint8_t *iv, uint8_t *nonce)
{
	memcpy(nonce, k->ke + k->encr->key_len, k->encr->salt_len);
	memcpy(nonce + k->encr->salt_len, iv, k->encr->iv_len);
}

/* ------------------------------------------------------------------ protect */

/*
 * Seal plaintext pt (inner chain octets, without padding) into one message:
 * IKE header from hdr with Next Payload type (SK or SKF), the payload's
 * generic header (Next Payload first), for SKF the Fragment Number and Total
 * Fragments, the IV, the ciphertext of pt | padding | Pad Length, the ICV.
 * The AAD (AEAD) or the ICV's input (CBC) covers the header through the IV's
 * start: through Total Fragments for SKF (RFC 7383 §2.5).
 */
static int
sk_seal(const struct rkmp_msg *hdr, uint8_t type, uint8_t first, uint16_t num, uint16_t total,
    const uint8_t *pt_in, size_t pt_in_len, const struct rkmp_sk_dir *keys, const uint8_t *iv,
    struct rkmp_buf *out)
{
	struct rkmp_buf pt;
	size_t start = out->len, block, pad, icv, sk_len, len, ct_off;
	size_t fhdr = type == RKMP_PLD_SKF ? 4 : 0;
	uint8_t nonce[32];
	int r;

	if ((r = check_keys(keys, sk_where(type))) != 0)
		return r;
	if (out->err)
		return out->err;
	block = keys->encr->aead ? 1 : keys->encr->block_len;
	icv = icv_len(keys);

	/* Plaintext: inner octets | Padding (zeros, minimal) | Pad Length. */
	rkmp_buf_init(&pt, RKMP_MSG_MAX);
	rkmp_buf_put(&pt, pt_in, pt_in_len);
	pad = (block - (pt_in_len + 1) % block) % block;
	for (size_t i = 0; i < pad; i++)
		rkmp_buf_u8(&pt, 0);
	rkmp_buf_u8(&pt, (uint8_t)pad);
	if (pt.err) {
		r = pt.err;
		rkmp_buf_free(&pt);
		return r;
	}
	sk_len = RKMP_GEN_HDR_LEN + fhdr + keys->encr->iv_len + pt.len + icv;
	len = RKMP_HDR_LEN + sk_len;
	if (sk_len > 0xffff || len > RKMP_MSG_MAX) {
		rkmp_buf_free(&pt);
		return rkmp_err_set(RKMP_E_INVALID, sk_where(type), "message would be %zu octets > %d",
		    len, RKMP_MSG_MAX);
	}
	if ((r = rkmp_buf_reserve(out, len)) != 0) {
		rkmp_buf_free(&pt);
		return r;
	}

	/* IKE header and SK/SKF header: every length final before the ICV. */
	rkmp_buf_u64(out, hdr->spi_i);
	rkmp_buf_u64(out, hdr->spi_r);
	rkmp_buf_u8(out, type);
	rkmp_buf_u8(out, hdr->version ? hdr->version : RKMP_VERSION_2_0);
	rkmp_buf_u8(out, hdr->exchange);
	rkmp_buf_u8(out, hdr->flags);
	rkmp_buf_u32(out, hdr->msg_id);
	rkmp_buf_u32(out, (uint32_t)len);
	rkmp_buf_u8(out, first);
	rkmp_buf_u8(out, 0);
	rkmp_buf_u16(out, (uint16_t)sk_len);
	if (fhdr) {
		rkmp_buf_u16(out, num);
		rkmp_buf_u16(out, total);
	}
	rkmp_buf_put(out, iv, keys->encr->iv_len);
	ct_off = out->len;
	/* room for ciphertext and ICV, written in place below */
	out->len += pt.len + icv;

	if (keys->encr->aead) {
		aead_nonce(keys, iv, nonce);
		r = rkmp_crypto_aead_encrypt(keys->encr, keys->ke, nonce, out->p + start,
		    ct_off - keys->encr->iv_len - start, pt.p, pt.len, out->p + ct_off,
		    out->p + ct_off + pt.len, icv);
	} else {
		r = rkmp_crypto_cbc_encrypt(keys->encr, keys->ke, iv, pt.p, pt.len, out->p + ct_off);
		if (r == 0)
			r = rkmp_crypto_integ(keys->integ, keys->ka, keys->integ->key_len,
			    out->p + start, ct_off + pt.len - start, out->p + ct_off + pt.len);
	}
	rkmp_crypto_wipe(nonce, sizeof(nonce));
	rkmp_crypto_wipe(pt.p, pt.len);
	rkmp_buf_free(&pt);
	if (r != 0) {
		out->len = start;
		return r;
	}
	return 0;
}

int
rkmp_sk_protect(const struct rkmp_msg *hdr, const struct rkmp_pld *inner, size_t ninner,
    const struct rkmp_sk_dir *keys, const uint8_t *iv, struct rkmp_buf *out)
{
	struct rkmp_buf chain;
	int r;

	rkmp_buf_init(&chain, RKMP_MSG_MAX);
	if ((r = rkmp_msg_encode_chain(inner, ninner, &chain)) == 0)
		r = sk_seal(hdr, RKMP_PLD_SK, ninner > 0 ? inner[0].type : RKMP_PLD_NONE, 0, 0, chain.p,
		    chain.len, keys, iv, out);
	rkmp_crypto_wipe(chain.p, chain.len);
	rkmp_buf_free(&chain);
	return r;
}

size_t
rkmp_skf_room(const struct rkmp_sk_dir *keys, size_t max)
{
	size_t block = keys->encr->aead ? 1 : keys->encr->block_len;
	size_t fixed = RKMP_HDR_LEN + RKMP_GEN_HDR_LEN + 4 + keys->encr->iv_len + icv_len(keys);

	if (max <= fixed + block)
		return 0;
	/* the largest ciphertext (a whole number of blocks) that fits, less the Pad Length */
	return (max - fixed) / block * block - 1;
}

int
rkmp_skf_protect(const struct rkmp_msg *hdr, uint8_t first, uint16_t num, uint16_t total,
    const uint8_t *pt, size_t len, const struct rkmp_sk_dir *keys, const uint8_t *iv,
    struct rkmp_buf *out)
{
	if (num == 0 || num > total)
		return rkmp_err_set(RKMP_E_INTERNAL, "SKF payload", "Fragment Number %u of Total %u",
		    num, total);
	return sk_seal(hdr, RKMP_PLD_SKF, num == 1 ? first : RKMP_PLD_NONE, num, total, pt, len, keys,
	    iv, out);
}

/* ------------------------------------------------------------------ unprotect */

/*
 * Verify and decrypt the last payload (SK or SKF) of m: *pt, *pt_len = the
 * plaintext without padding, in arena a.  Sets icv_ok.
 */
static int
sk_open(struct rkmp_arena *a, struct rkmp_msg *m, const struct rkmp_sk_dir *keys,
    uint8_t **ptp, size_t *pt_len)
{
	struct rkmp_pld *p;
	struct rkmp_sk_parts parts;
	const char *where;
	uint8_t *pt, nonce[32], pad;
	size_t icv, covered;
	int r;

	*ptp = NULL;
	*pt_len = 0;
	if (m->npld == 0 ||
	    (m->pld[m->npld - 1].type != RKMP_PLD_SK && m->pld[m->npld - 1].type != RKMP_PLD_SKF))
		return rkmp_err_set(RKMP_E_INVALID, "SK payload",
		    "not the last payload of the message");
	if (m->raw == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "SK payload", "message without its octets");
	p = &m->pld[m->npld - 1];
	where = sk_where(p->type);
	if ((r = check_keys(keys, where)) != 0)
		return r;
	p->u.sk.decrypted = false;
	p->u.sk.icv_ok = -1;
	p->u.sk.ninner = 0;
	p->u.sk.inner = NULL;
	icv = icv_len(keys);

	/* length >= IV + 1 + ICV; CBC: ciphertext a multiple of the block */
	if ((r = rkmp_sk_split(p, keys->encr->iv_len, icv,
	    keys->encr->aead ? 1 : keys->encr->block_len, &parts)) != 0)
		return r;
	/* SK is the last payload, so its ICV ends the message. */
	if (parts.icv + icv != m->raw + m->raw_len)
		return rkmp_err_set(RKMP_E_INVALID, where, "does not end the message");
	if ((pt = rkmp_arena_alloc(a, parts.ct_len)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, where, "out of memory");

	if (keys->encr->aead) {
		/* AAD: IKE header through the SK header (SKF: through Total Fragments). */
		aead_nonce(keys, parts.iv, nonce);
		r = rkmp_crypto_aead_decrypt(keys->encr, keys->ke, nonce, m->raw,
		    (size_t)(parts.iv - m->raw), parts.ct, parts.ct_len, parts.icv, icv, pt);
		rkmp_crypto_wipe(nonce, sizeof(nonce));
	} else {
		/* Encrypt-then-MAC: the ICV covers the header through the ciphertext. */
		covered = (size_t)(parts.icv - m->raw);
		r = rkmp_crypto_integ_verify(keys->integ, keys->ka, keys->integ->key_len, m->raw,
		    covered, parts.icv);
		if (r == 0)
			r = rkmp_crypto_cbc_decrypt(keys->encr, keys->ke, parts.iv, parts.ct,
			    parts.ct_len, pt);
	}
	if (r == RKMP_E_REFUSED) {
		p->u.sk.icv_ok = 0;
		return rkmp_err_set(RKMP_E_REFUSED, where, "ICV mismatch");
	}
	if (r != 0)
		return r;
	p->u.sk.icv_ok = 1;

	pad = pt[parts.ct_len - 1];
	if ((size_t)pad + 1 > parts.ct_len)
		return rkmp_err_set(RKMP_E_INVALID, where, "Pad Length %u + 1 > plaintext %zu octets",
		    pad, parts.ct_len);
	*ptp = pt;
	*pt_len = parts.ct_len - pad - 1;
	return 0;
}

/* Decode the inner chain and attach it to p; judge it by the message rules. */
static int
attach_inner(struct rkmp_arena *a, const struct rkmp_msg *m, struct rkmp_pld *p, uint8_t first,
    const uint8_t *pt, size_t len)
{
	struct rkmp_pld *inner = NULL;
	size_t n = 0;
	int r;

	/* A chain that fails part way is still shown as far as it decoded. */
	r = rkmp_msg_decode_chain(a, first, pt, len, &inner, &n, true);
	p->u.sk.inner = inner;
	p->u.sk.ninner = n;
	p->u.sk.decrypted = r == 0 || n > 0;
	if (r != 0)
		return r;
	return rkmp_msg_check_inner(m, inner, n);
}

int
rkmp_sk_unprotect(struct rkmp_arena *a, struct rkmp_msg *m, const struct rkmp_sk_dir *keys)
{
	uint8_t *pt;
	size_t len;
	int r;

	if ((r = sk_open(a, m, keys, &pt, &len)) != 0)
		return r;
	if (m->pld[m->npld - 1].type == RKMP_PLD_SKF)
		return 0;	/* one fragment: the reassembler decodes the whole */
	return attach_inner(a, m, &m->pld[m->npld - 1], m->pld[m->npld - 1].u.sk.first_inner,
	    pt, len);
}

/* ------------------------------------------------------------------ SKF reassembly */

struct skf_frag {
	uint8_t	*p;
	size_t	 len;
	bool	 have;
};

struct skf_msg {
	bool		 used;
	uint64_t	 spi_i, spi_r;
	uint32_t	 msg_id;
	bool		 response;
	uint16_t	 total, nhave;
	uint8_t		 first;		/* from fragment 1 */
	size_t		 bytes;
	uint64_t	 stamp;		/* for evicting the oldest */
	struct skf_frag	*frag;		/* [total], index = number - 1 */
};

struct rkmp_skf_reasm {
	struct skf_msg	 msg[SKF_MSGS];
	uint64_t	 clock;
};

static void
skf_drop(struct skf_msg *s)
{
	if (s->frag != NULL) {
		for (size_t i = 0; i < s->total; i++) {
			if (s->frag[i].p != NULL) {
				rkmp_crypto_wipe(s->frag[i].p, s->frag[i].len);
				free(s->frag[i].p);
			}
		}
		free(s->frag);
	}
	memset(s, 0, sizeof(*s));
}

struct rkmp_skf_reasm *
rkmp_skf_reasm_new(void)
{
	return calloc(1, sizeof(struct rkmp_skf_reasm));
}

void
rkmp_skf_reasm_free(struct rkmp_skf_reasm *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < SKF_MSGS; i++)
		skf_drop(&r->msg[i]);
	free(r);
}

static struct skf_msg *
skf_find(struct rkmp_skf_reasm *r, const struct rkmp_msg *m)
{
	for (size_t i = 0; i < SKF_MSGS; i++) {
		struct skf_msg *s = &r->msg[i];

		if (s->used && s->spi_i == m->spi_i && s->spi_r == m->spi_r &&
		    s->msg_id == m->msg_id && s->response == rkmp_msg_is_response(m))
			return s;
	}
	return NULL;
}

/* A free slot, or the oldest one emptied. */
static struct skf_msg *
skf_slot(struct rkmp_skf_reasm *r)
{
	struct skf_msg *old = &r->msg[0];

	for (size_t i = 0; i < SKF_MSGS; i++) {
		if (!r->msg[i].used)
			return &r->msg[i];
		if (r->msg[i].stamp < old->stamp)
			old = &r->msg[i];
	}
	skf_drop(old);
	return old;
}

int
rkmp_skf_add(struct rkmp_skf_reasm *r, struct rkmp_arena *a, struct rkmp_msg *m,
    const struct rkmp_sk_dir *keys)
{
	struct rkmp_pld *p;
	struct skf_msg *s;
	uint8_t *pt, *all;
	size_t len, off;
	uint16_t num, total;
	int rc;

	if (m->npld == 0 || m->pld[m->npld - 1].type != RKMP_PLD_SKF)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload",
		    "not the last payload of the message");
	/* Every fragment is verified on its own before it is kept (RFC 7383 §2.6). */
	if ((rc = sk_open(a, m, keys, &pt, &len)) != 0)
		return rc;
	p = &m->pld[m->npld - 1];
	num = p->u.sk.frag_num;
	total = p->u.sk.frag_total;
	if (num == 0 || total == 0 || num > total)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "Fragment Number %u of Total %u",
		    num, total);
	if (total > SKF_TOTAL_MAX)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "Total Fragments %u > %d",
		    total, SKF_TOTAL_MAX);

	if ((s = skf_find(r, m)) == NULL) {
		s = skf_slot(r);
		if ((s->frag = calloc(total, sizeof(*s->frag))) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "SKF payload", "out of memory");
		s->used = true;
		s->spi_i = m->spi_i;
		s->spi_r = m->spi_r;
		s->msg_id = m->msg_id;
		s->response = rkmp_msg_is_response(m);
		s->total = total;
	} else if (s->total != total)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload",
		    "fragment %u says Total Fragments %u, earlier fragments said %u", num, total,
		    s->total);
	s->stamp = ++r->clock;
	if (s->frag[num - 1].have)
		return 0;	/* a duplicate (retransmission): already verified and kept */
	if (s->bytes + len > SKF_BYTES_MAX)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload",
		    "reassembled plaintext would exceed %d octets", SKF_BYTES_MAX);
	if (len > 0) {
		if ((s->frag[num - 1].p = malloc(len)) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "SKF payload", "out of memory");
		memcpy(s->frag[num - 1].p, pt, len);
	}
	s->frag[num - 1].len = len;
	s->frag[num - 1].have = true;
	s->bytes += len;
	s->nhave++;
	if (num == 1)
		s->first = p->u.sk.first_inner;
	if (s->nhave < s->total)
		return 0;

	/* Complete: the inner chain of the whole message, attached to this fragment. */
	if ((all = rkmp_arena_alloc(a, s->bytes ? s->bytes : 1)) == NULL) {
		skf_drop(s);
		return rkmp_err_set(RKMP_E_NOMEM, "SKF payload", "out of memory");
	}
	off = 0;
	for (size_t i = 0; i < s->total; i++) {
		if (s->frag[i].len > 0)
			memcpy(all + off, s->frag[i].p, s->frag[i].len);
		off += s->frag[i].len;
	}
	{
		uint8_t first = s->first;

		skf_drop(s);
		if ((rc = attach_inner(a, m, p, first, all, off)) != 0)
			return rc;
	}
	return 1;
}

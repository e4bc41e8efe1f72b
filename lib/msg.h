/* SPDX-License-Identifier: MIT */
/*
 * msg.h — the IKEv2/RKMP message codec: the IKE header, the payload chain and
 * every payload body, decoded into structs and encoded back to the same bytes.
 *
 * Decoded structures point into the message bytes (never copied) and live in
 * an arena (buf.h) that is reset per message, so decoding allocates nothing per
 * packet once warm.  Reserved fields are kept, so encode(decode(b)) == b.
 *
 * Errors: RKMP_E_TRUNCATED when the datagram holds fewer octets than its IKE
 * header's Length says (or fewer than a header); RKMP_E_INVALID when the bytes
 * are all there but contradict RFC 7296 (where = the payload, detail = the
 * check and its numbers: "SA payload: proposal 1: length 6 < 8").
 */
#ifndef RKMP_MSG_H
#define RKMP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "wire.h"

/* ------------------------------------------------------------------ payloads */

struct rkmp_attr {
	uint16_t	 type;		/* without the AF bit */
	bool		 tv;		/* AF = 1: value in 'value' */
	uint16_t	 value;
	const uint8_t	*data;		/* TLV value */
	uint16_t	 len;
};

struct rkmp_transform {
	uint8_t		 type;
	uint16_t	 id;
	uint8_t		 rsv1, rsv2;
	int		 key_length;	/* Key Length attribute in bits, -1 if absent */
	size_t		 nattr;
	struct rkmp_attr *attr;
};

struct rkmp_proposal {
	uint8_t		 num;
	uint8_t		 protocol;
	uint8_t		 spi_size;
	uint8_t		 rsv;
	const uint8_t	*spi;
	size_t		 ntrans;
	struct rkmp_transform *trans;
};

struct rkmp_ts {
	uint8_t		 type;
	uint8_t		 ip_proto;
	uint16_t	 start_port, end_port;
	const uint8_t	*start_addr, *end_addr;	/* 4 or 16 octets for types 7/8 */
	size_t		 addr_len;
	const uint8_t	*raw;		/* whole selector (for unknown types) */
	uint16_t	 len;
};

struct rkmp_pld {
	uint8_t		 type;
	uint8_t		 flags;		/* octet 1: C bit (0x80) and reserved bits */
	uint16_t	 length;	/* Payload Length field */
	size_t		 offset;	/* of the generic header, in its message or plaintext */
	const uint8_t	*body;		/* after the generic header */
	size_t		 body_len;
	bool		 known;		/* a type this codec decodes */
	union {
		struct {
			size_t nprop;
			struct rkmp_proposal *prop;
		} sa;
		struct {
			uint16_t group, rsv;
			const uint8_t *data;
			size_t len;
		} ke;
		struct {			/* IDi, IDr */
			uint8_t id_type;
			uint8_t rsv[3];
			const uint8_t *data;
			size_t len;
		} id;
		struct {			/* CERT, CERTREQ */
			uint8_t encoding;
			const uint8_t *data;
			size_t len;
		} cert;
		struct {
			uint8_t method;
			uint8_t rsv[3];
			const uint8_t *data;
			size_t len;
		} auth;
		struct {
			uint8_t protocol, spi_size;
			uint16_t type;
			const uint8_t *spi;
			const uint8_t *data;
			size_t len;
		} notify;
		struct {
			uint8_t protocol, spi_size;
			uint16_t nspi;
			const uint8_t *spis;
		} del;
		struct {			/* TSi, TSr */
			uint8_t count;
			uint8_t rsv[3];
			struct rkmp_ts *ts;
		} ts;
		struct {			/* SK, SKF */
			uint8_t first_inner;	/* the generic header's Next Payload */
			uint16_t frag_num, frag_total;	/* SKF only */
			const uint8_t *enc;	/* IV | ciphertext | padding | ICV */
			size_t enc_len;
			bool decrypted;
			int icv_ok;		/* -1 not checked, 0 mismatch, 1 verified */
			size_t ninner;
			struct rkmp_pld *inner;
		} sk;
		struct {			/* Nonce, V, CP, EAP, unknown */
			const uint8_t *data;
			size_t len;
		} opaque;
	} u;
};

struct rkmp_msg {
	uint64_t	 spi_i, spi_r;
	uint8_t		 next;		/* first payload type */
	uint8_t		 version;
	uint8_t		 exchange;
	uint8_t		 flags;
	uint32_t	 msg_id;
	uint32_t	 length;	/* header Length field */
	size_t		 npld;
	struct rkmp_pld	*pld;
	uint8_t		 unsupported_critical;	/* first unknown type with C set, 0 if none */
	const uint8_t	*raw;
	size_t		 raw_len;
};

/*
 * Decode one message (IKE header onwards, no non-ESP marker) of len octets.
 * The structs point into p and live in arena a.  On error *m holds what was
 * decoded before the failure (the header at least when len >= 28).
 */
int	rkmp_msg_decode(struct rkmp_arena *a, const uint8_t *p, size_t len, struct rkmp_msg *m);
/* Decode a payload chain (the plaintext of an SK payload, first = its Next Payload). */
int	rkmp_msg_decode_chain(struct rkmp_arena *a, uint8_t first, const uint8_t *p, size_t len,
	    struct rkmp_pld **pld, size_t *npld, bool inner);
/* Encode a message: header and payloads; Length fields computed. */
int	rkmp_msg_encode(const struct rkmp_msg *m, struct rkmp_buf *out);
/* Encode a payload chain (for SK plaintext). */
int	rkmp_msg_encode_chain(const struct rkmp_pld *pld, size_t npld, struct rkmp_buf *out);
/* Check the inner payloads of an encrypted exchange against the message rules. */
int	rkmp_msg_check_inner(const struct rkmp_msg *m, const struct rkmp_pld *inner, size_t n);

/* The SK/SKF payload's parts for a suite (iv_len, icv_len, block 1 for AEAD). */
struct rkmp_sk_parts {
	const uint8_t	*iv;
	size_t		 iv_len;
	const uint8_t	*ct;
	size_t		 ct_len;
	const uint8_t	*icv;
	size_t		 icv_len;
};
int	rkmp_sk_split(const struct rkmp_pld *p, size_t iv_len, size_t icv_len, size_t block,
	    struct rkmp_sk_parts *out);

/* Helpers. */
const struct rkmp_pld *rkmp_msg_find(const struct rkmp_pld *pld, size_t n, uint8_t type);
const struct rkmp_pld *rkmp_msg_find_notify(const struct rkmp_pld *pld, size_t n, uint16_t type);
static inline bool rkmp_msg_is_response(const struct rkmp_msg *m) { return (m->flags & RKMP_FLAG_R) != 0; }
static inline bool rkmp_msg_is_initiator(const struct rkmp_msg *m) { return (m->flags & RKMP_FLAG_I) != 0; }

#endif

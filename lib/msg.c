/* SPDX-License-Identifier: MIT */
/*
 * msg.c — IKE header, payload chain and payload bodies (RFC 7296 §3).
 *
 * Shape: one table maps payload type -> {fixed body size, decoder, encoder};
 * one engine walks the chain, carves each payload's body into a sub-cursor
 * bounded by its Payload Length, and calls the decoder, which can only read
 * inside its payload.  Which payloads a message may carry is another table
 * (message rules, after strongSwan's message.c), checked once at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "msg.h"
#include "names.h"
#include "nitems.h"

static int
nomem(void)
{
	return rkmp_err_set(RKMP_E_NOMEM, "decode", "out of memory");
}

/* ------------------------------------------------------------------ names for errors */

/*
 * "Notify payload", "SA payload": the name an error's where starts with,
 * made once per type: decoding names each payload it meets before it knows
 * whether there is an error to name it in.
 */
static const char *
pld_where(uint8_t type)
{
	static _Thread_local char made[256][40];
	char *b = made[type];
	const char *n;

	if (b[0] != '\0')
		return b;
	switch (type) {
	case RKMP_PLD_NOTIFY:	n = "Notify"; break;
	case RKMP_PLD_DELETE:	n = "Delete"; break;
	case RKMP_PLD_VID:	n = "Vendor ID"; break;
	default:		n = rkmp_name_or(RKMP_REG_PAYLOAD, type); break;
	}
	snprintf(b, sizeof(made[0]), "%s payload", n);
	return b;
}

/* ------------------------------------------------------------------ SA payload (§3.3) */

static int
decode_attrs(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_transform *t,
    const char *where, unsigned pn, unsigned tn)
{
	struct rkmp_cur scan = *c;
	size_t n = 0;
	int r;

	/* Two passes: count, then fill, so the array is exact. */
	while (rkmp_cur_left(&scan) > 0) {
		uint16_t at, al;
		const uint8_t *d;

		if ((r = rkmp_cur_u16(&scan, "attribute type", &at)) != 0 ||
		    (r = rkmp_cur_u16(&scan, "attribute value", &al)) != 0)
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "proposal %u transform %u: attribute %zu needs 4 octets, %zu left",
			    pn, tn, n + 1, rkmp_cur_left(c) - (scan.off - c->off > rkmp_cur_left(c) ? 0 : 0));
		if (!(at & RKMP_ATTR_TV) && (r = rkmp_cur_bytes(&scan, "attribute", al, &d)) != 0)
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "proposal %u transform %u: attribute %zu length %u > %zu octets left",
			    pn, tn, n + 1, al, rkmp_cur_left(&scan));
		n++;
	}
	t->nattr = n;
	if (n == 0)
		return 0;
	if ((t->attr = rkmp_arena_alloc(a, n * sizeof(*t->attr))) == NULL)
		return nomem();
	for (size_t i = 0; i < n; i++) {
		struct rkmp_attr *x = &t->attr[i];
		uint16_t at, av;

		(void)rkmp_cur_u16(c, "attribute type", &at);
		(void)rkmp_cur_u16(c, "attribute value", &av);
		x->type = at & 0x7fff;
		x->tv = (at & RKMP_ATTR_TV) != 0;
		if (x->tv)
			x->value = av;
		else {
			x->len = av;
			(void)rkmp_cur_bytes(c, "attribute", av, &x->data);
		}
		for (size_t j = 0; j < i; j++)
			if (t->attr[j].type == x->type)
				return rkmp_err_set(RKMP_E_INVALID, where,
				    "proposal %u transform %u: attribute type %u appears twice",
				    pn, tn, x->type);
		if (x->type == RKMP_ATTR_KEY_LENGTH) {
			if (!x->tv)
				return rkmp_err_set(RKMP_E_INVALID, where,
				    "proposal %u transform %u: Key Length attribute in TLV form", pn, tn);
			t->key_length = x->value;
		}
	}
	return 0;
}

static int
decode_transform(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_transform *t,
    const char *where, unsigned pn, unsigned tn, bool last_expected)
{
	uint8_t last, type, rsv1, rsv2;
	uint16_t tlen, id;
	struct rkmp_cur body;
	int r;

	if (rkmp_cur_left(c) < 8)
		return rkmp_err_set(RKMP_E_INVALID, where,
		    "proposal %u transform %u: needs 8 octets, %zu left", pn, tn, rkmp_cur_left(c));
	(void)rkmp_cur_u8(c, "last", &last);
	(void)rkmp_cur_u8(c, "reserved", &rsv1);
	(void)rkmp_cur_u16(c, "length", &tlen);
	(void)rkmp_cur_u8(c, "type", &type);
	(void)rkmp_cur_u8(c, "reserved", &rsv2);
	(void)rkmp_cur_u16(c, "id", &id);
	if (tlen < 8)
		return rkmp_err_set(RKMP_E_INVALID, where,
		    "proposal %u transform %u: length %u < 8", pn, tn, tlen);
	if ((size_t)tlen - 8 > rkmp_cur_left(c))
		return rkmp_err_set(RKMP_E_INVALID, where,
		    "proposal %u transform %u: length %u > %zu octets left in proposal",
		    pn, tn, tlen, rkmp_cur_left(c) + 8);
	if (last != (last_expected ? 0 : RKMP_TRANS_MORE))
		return rkmp_err_set(RKMP_E_INVALID, where,
		    "proposal %u transform %u: Last Substruc %u, expected %u", pn, tn, last,
		    last_expected ? 0 : RKMP_TRANS_MORE);
	t->type = type;
	t->id = id;
	t->rsv1 = rsv1;
	t->rsv2 = rsv2;
	t->key_length = -1;
	(void)rkmp_cur_sub(c, "attributes", (size_t)tlen - 8, &body, where);
	if ((r = decode_attrs(a, &body, t, where, pn, tn)) != 0)
		return r;
	return 0;
}

static int
decode_sa(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_pld *p, const char *where)
{
	struct rkmp_cur scan = *c;
	size_t n = 0;
	int r;

	/* Count proposals by their length fields first. */
	while (rkmp_cur_left(&scan) > 0) {
		uint16_t plen;

		if (rkmp_cur_left(&scan) < 8)
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "proposal %zu needs 8 octets, %zu left", n + 1, rkmp_cur_left(&scan));
		plen = rkmp_get16(rkmp_cur_ptr(&scan) + 2);
		if (plen < 8)
			return rkmp_err_set(RKMP_E_INVALID, where, "proposal %zu: length %u < 8", n + 1, plen);
		if (plen > rkmp_cur_left(&scan))
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "proposal %zu: length %u > %zu octets left in SA payload",
			    n + 1, plen, rkmp_cur_left(&scan));
		scan.off += plen;
		n++;
	}
	if (n == 0)
		return rkmp_err_set(RKMP_E_INVALID, where, "no proposal");
	if ((p->u.sa.prop = rkmp_arena_alloc(a, n * sizeof(*p->u.sa.prop))) == NULL)
		return nomem();
	p->u.sa.nprop = n;
	for (size_t i = 0; i < n; i++) {
		struct rkmp_proposal *pr = &p->u.sa.prop[i];
		uint8_t last, ntrans;
		uint16_t plen;
		struct rkmp_cur body;
		unsigned pn = (unsigned)i + 1;

		(void)rkmp_cur_u8(c, "last", &last);
		(void)rkmp_cur_u8(c, "reserved", &pr->rsv);
		(void)rkmp_cur_u16(c, "length", &plen);
		(void)rkmp_cur_u8(c, "num", &pr->num);
		(void)rkmp_cur_u8(c, "protocol", &pr->protocol);
		(void)rkmp_cur_u8(c, "spi size", &pr->spi_size);
		(void)rkmp_cur_u8(c, "transforms", &ntrans);
		(void)rkmp_cur_sub(c, "proposal", (size_t)plen - 8, &body, where);
		if (last != (i + 1 == n ? 0 : RKMP_PROP_MORE))
			return rkmp_err_set(RKMP_E_INVALID, where, "proposal %u: Last Substruc %u, expected %u",
			    pn, last, i + 1 == n ? 0 : RKMP_PROP_MORE);
		if (pr->num == 0)
			return rkmp_err_set(RKMP_E_INVALID, where, "proposal %u: Proposal Num 0", pn);
		if (i > 0 && pr->num != p->u.sa.prop[i - 1].num + 1)
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "proposal %u: Proposal Num %u after %u, expected %u", pn, pr->num,
			    p->u.sa.prop[i - 1].num, p->u.sa.prop[i - 1].num + 1);
		if (pr->spi_size > rkmp_cur_left(&body))
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "proposal %u: SPI Size %u > %zu octets left in proposal (length %u)",
			    pn, pr->spi_size, rkmp_cur_left(&body), plen);
		(void)rkmp_cur_bytes(&body, "spi", pr->spi_size, &pr->spi);
		if (ntrans == 0)
			return rkmp_err_set(RKMP_E_INVALID, where, "proposal %u: Num Transforms 0", pn);
		if ((pr->trans = rkmp_arena_alloc(a, ntrans * sizeof(*pr->trans))) == NULL)
			return nomem();
		pr->ntrans = ntrans;
		for (unsigned t = 0; t < ntrans; t++) {
			if (rkmp_cur_left(&body) == 0)
				return rkmp_err_set(RKMP_E_INVALID, where,
				    "proposal %u: Num Transforms %u but only %u fit in length %u",
				    pn, ntrans, t, plen);
			if ((r = decode_transform(a, &body, &pr->trans[t], where, pn, t + 1,
			    t + 1 == ntrans)) != 0)
				return r;
		}
		if (rkmp_cur_left(&body) != 0)
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "proposal %u: %zu octets left after Num Transforms %u (length %u)",
			    pn, rkmp_cur_left(&body), ntrans, plen);
	}
	return 0;
}

static void
encode_sa(const struct rkmp_pld *p, struct rkmp_buf *b)
{
	for (size_t i = 0; i < p->u.sa.nprop; i++) {
		const struct rkmp_proposal *pr = &p->u.sa.prop[i];
		size_t at = b->len;

		rkmp_buf_u8(b, i + 1 == p->u.sa.nprop ? 0 : RKMP_PROP_MORE);
		rkmp_buf_u8(b, pr->rsv);
		rkmp_buf_u16(b, 0);
		rkmp_buf_u8(b, pr->num);
		rkmp_buf_u8(b, pr->protocol);
		rkmp_buf_u8(b, pr->spi_size);
		rkmp_buf_u8(b, (uint8_t)pr->ntrans);
		rkmp_buf_put(b, pr->spi, pr->spi_size);
		for (size_t t = 0; t < pr->ntrans; t++) {
			const struct rkmp_transform *tr = &pr->trans[t];
			size_t tat = b->len;

			rkmp_buf_u8(b, t + 1 == pr->ntrans ? 0 : RKMP_TRANS_MORE);
			rkmp_buf_u8(b, tr->rsv1);
			rkmp_buf_u16(b, 0);
			rkmp_buf_u8(b, tr->type);
			rkmp_buf_u8(b, tr->rsv2);
			rkmp_buf_u16(b, tr->id);
			for (size_t k = 0; k < tr->nattr; k++) {
				const struct rkmp_attr *x = &tr->attr[k];

				if (x->tv) {
					rkmp_buf_u16(b, x->type | RKMP_ATTR_TV);
					rkmp_buf_u16(b, x->value);
				} else {
					rkmp_buf_u16(b, x->type);
					rkmp_buf_u16(b, x->len);
					rkmp_buf_put(b, x->data, x->len);
				}
			}
			rkmp_buf_set_u16(b, tat + 2, (uint16_t)(b->len - tat));
		}
		rkmp_buf_set_u16(b, at + 2, (uint16_t)(b->len - at));
	}
}

/* ------------------------------------------------------------------ KE (§3.4) */

/* Key exchange data sizes of the groups whose size is fixed (RFC 7296 §3.4, RFC 5903, RFC 8031). */
static const struct {
	uint16_t group;
	uint16_t len;
} ke_sizes[] = {
	{ 1, 96 }, { 2, 128 }, { 5, 192 }, { 14, 256 }, { 15, 384 }, { 16, 512 }, { 17, 768 },
	{ 18, 1024 }, { 19, 64 }, { 20, 96 }, { 21, 132 }, { 25, 48 }, { 26, 56 },
	{ 31, 32 }, { 32, 56 },
};

static int
decode_ke(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_pld *p, const char *where)
{
	(void)a;
	(void)rkmp_cur_u16(c, "group", &p->u.ke.group);
	(void)rkmp_cur_u16(c, "reserved", &p->u.ke.rsv);
	p->u.ke.len = rkmp_cur_left(c);
	(void)rkmp_cur_bytes(c, "data", p->u.ke.len, &p->u.ke.data);
	if (p->u.ke.len == 0)
		return rkmp_err_set(RKMP_E_INVALID, where, "group %u: no key exchange data", p->u.ke.group);
	for (size_t i = 0; i < nitems(ke_sizes); i++)
		if (ke_sizes[i].group == p->u.ke.group && ke_sizes[i].len != p->u.ke.len)
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "group %u (%s): key exchange data %zu octets != %u", p->u.ke.group,
			    rkmp_name_or(RKMP_REG_DH, p->u.ke.group), p->u.ke.len, ke_sizes[i].len);
	return 0;
}

static void
encode_ke(const struct rkmp_pld *p, struct rkmp_buf *b)
{
	rkmp_buf_u16(b, p->u.ke.group);
	rkmp_buf_u16(b, p->u.ke.rsv);
	rkmp_buf_put(b, p->u.ke.data, p->u.ke.len);
}

/* ------------------------------------------------------------------ ID (§3.5) */

static int
decode_id(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_pld *p, const char *where)
{
	const uint8_t *rsv;
	size_t want = 0;

	(void)a;
	(void)rkmp_cur_u8(c, "id type", &p->u.id.id_type);
	(void)rkmp_cur_bytes(c, "reserved", 3, &rsv);
	memcpy(p->u.id.rsv, rsv, 3);
	p->u.id.len = rkmp_cur_left(c);
	(void)rkmp_cur_bytes(c, "data", p->u.id.len, &p->u.id.data);
	if (p->u.id.id_type == RKMP_ID_IPV4_ADDR)
		want = 4;
	else if (p->u.id.id_type == RKMP_ID_IPV6_ADDR)
		want = 16;
	if (want != 0 && p->u.id.len != want)
		return rkmp_err_set(RKMP_E_INVALID, where, "%s: %zu octets != %zu",
		    rkmp_name_or(RKMP_REG_ID, p->u.id.id_type), p->u.id.len, want);
	return 0;
}

static void
encode_id(const struct rkmp_pld *p, struct rkmp_buf *b)
{
	rkmp_buf_u8(b, p->u.id.id_type);
	rkmp_buf_put(b, p->u.id.rsv, 3);
	rkmp_buf_put(b, p->u.id.data, p->u.id.len);
}

/* ------------------------------------------------------------------ CERT, CERTREQ (§3.6, §3.7) */

static int
decode_cert(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_pld *p, const char *where)
{
	(void)a;
	(void)rkmp_cur_u8(c, "encoding", &p->u.cert.encoding);
	p->u.cert.len = rkmp_cur_left(c);
	(void)rkmp_cur_bytes(c, "data", p->u.cert.len, &p->u.cert.data);
	if (p->type == RKMP_PLD_CERT && p->u.cert.len == 0)
		return rkmp_err_set(RKMP_E_INVALID, where, "no certificate data");
	/* CERTREQ for X.509 types: a list of 20-octet SHA-1 key hashes (§3.7). */
	if (p->type == RKMP_PLD_CERTREQ && p->u.cert.len % 20 != 0 &&
	    (p->u.cert.encoding == 4 || p->u.cert.encoding == 12 || p->u.cert.encoding == 13))
		return rkmp_err_set(RKMP_E_INVALID, where,
		    "%s: %zu octets, not a multiple of 20 (SHA-1 hashes)",
		    rkmp_name_or(RKMP_REG_CERT, p->u.cert.encoding), p->u.cert.len);
	return 0;
}

static void
encode_cert(const struct rkmp_pld *p, struct rkmp_buf *b)
{
	rkmp_buf_u8(b, p->u.cert.encoding);
	rkmp_buf_put(b, p->u.cert.data, p->u.cert.len);
}

/* ------------------------------------------------------------------ AUTH (§3.8) */

static int
decode_auth(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_pld *p, const char *where)
{
	const uint8_t *rsv;

	(void)a;
	(void)rkmp_cur_u8(c, "method", &p->u.auth.method);
	(void)rkmp_cur_bytes(c, "reserved", 3, &rsv);
	memcpy(p->u.auth.rsv, rsv, 3);
	p->u.auth.len = rkmp_cur_left(c);
	(void)rkmp_cur_bytes(c, "data", p->u.auth.len, &p->u.auth.data);
	if (p->u.auth.len == 0)
		return rkmp_err_set(RKMP_E_INVALID, where, "method %u: no authentication data",
		    p->u.auth.method);
	return 0;
}

static void
encode_auth(const struct rkmp_pld *p, struct rkmp_buf *b)
{
	rkmp_buf_u8(b, p->u.auth.method);
	rkmp_buf_put(b, p->u.auth.rsv, 3);
	rkmp_buf_put(b, p->u.auth.data, p->u.auth.len);
}

/* ------------------------------------------------------------------ opaque: Nonce, V, CP, EAP */

static int
decode_opaque(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_pld *p, const char *where)
{
	(void)a;
	p->u.opaque.len = rkmp_cur_left(c);
	(void)rkmp_cur_bytes(c, "data", p->u.opaque.len, &p->u.opaque.data);
	/* Nonce: 16..256 octets inclusive (§3.9). */
	if (p->type == RKMP_PLD_NONCE &&
	    (p->u.opaque.len < RKMP_NONCE_MIN || p->u.opaque.len > RKMP_NONCE_MAX))
		return rkmp_err_set(RKMP_E_INVALID, where, "nonce length %zu not in %u..%u",
		    p->u.opaque.len, RKMP_NONCE_MIN, RKMP_NONCE_MAX);
	return 0;
}

static void
encode_opaque(const struct rkmp_pld *p, struct rkmp_buf *b)
{
	rkmp_buf_put(b, p->u.opaque.data, p->u.opaque.len);
}

/* ------------------------------------------------------------------ Notify (§3.10) */

/* Notification Data sizes fixed by their RFCs: {type, min, max}. */
static const struct {
	uint16_t type;
	uint16_t min, max;
} notify_sizes[] = {
	{ 1, 1, 1 },		/* UNSUPPORTED_CRITICAL_PAYLOAD: the payload type */
	{ 9, 4, 4 },		/* INVALID_MESSAGE_ID */
	{ 17, 2, 2 },		/* INVALID_KE_PAYLOAD: the group */
	{ 16385, 4, 4 },	/* SET_WINDOW_SIZE */
	{ 16388, 20, 20 },	/* NAT_DETECTION_SOURCE_IP: SHA-1 */
	{ 16389, 20, 20 },	/* NAT_DETECTION_DESTINATION_IP */
	{ 16390, 1, 64 },	/* COOKIE */
	{ 16403, 4, 4 },	/* AUTH_LIFETIME */
};

static int
decode_notify(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_pld *p, const char *where)
{
	(void)a;
	(void)rkmp_cur_u8(c, "protocol", &p->u.notify.protocol);
	(void)rkmp_cur_u8(c, "spi size", &p->u.notify.spi_size);
	(void)rkmp_cur_u16(c, "type", &p->u.notify.type);
	if (p->u.notify.spi_size > rkmp_cur_left(c))
		return rkmp_err_set(RKMP_E_INVALID, where, "%s: SPI Size %u > %zu octets left",
		    rkmp_name_or(RKMP_REG_NOTIFY, p->u.notify.type), p->u.notify.spi_size,
		    rkmp_cur_left(c));
	(void)rkmp_cur_bytes(c, "spi", p->u.notify.spi_size, &p->u.notify.spi);
	p->u.notify.len = rkmp_cur_left(c);
	(void)rkmp_cur_bytes(c, "data", p->u.notify.len, &p->u.notify.data);
	for (size_t i = 0; i < nitems(notify_sizes); i++)
		if (notify_sizes[i].type == p->u.notify.type &&
		    (p->u.notify.len < notify_sizes[i].min || p->u.notify.len > notify_sizes[i].max)) {
			if (notify_sizes[i].min == notify_sizes[i].max)
				return rkmp_err_set(RKMP_E_INVALID, where, "%s: data %zu octets != %u",
				    rkmp_name_or(RKMP_REG_NOTIFY, p->u.notify.type), p->u.notify.len,
				    notify_sizes[i].min);
			return rkmp_err_set(RKMP_E_INVALID, where, "%s: data %zu octets not in %u..%u",
			    rkmp_name_or(RKMP_REG_NOTIFY, p->u.notify.type), p->u.notify.len,
			    notify_sizes[i].min, notify_sizes[i].max);
		}
	if (p->u.notify.type == RKMP_N_SIGNATURE_HASH_ALGORITHMS && p->u.notify.len % 2 != 0)
		return rkmp_err_set(RKMP_E_INVALID, where,
		    "SIGNATURE_HASH_ALGORITHMS: data %zu octets, not a list of 2-octet IDs",
		    p->u.notify.len);
	return 0;
}

static void
encode_notify(const struct rkmp_pld *p, struct rkmp_buf *b)
{
	rkmp_buf_u8(b, p->u.notify.protocol);
	rkmp_buf_u8(b, p->u.notify.spi_size);
	rkmp_buf_u16(b, p->u.notify.type);
	rkmp_buf_put(b, p->u.notify.spi, p->u.notify.spi_size);
	rkmp_buf_put(b, p->u.notify.data, p->u.notify.len);
}

/* ------------------------------------------------------------------ Delete (§3.11) */

static int
decode_delete(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_pld *p, const char *where)
{
	size_t want;

	(void)a;
	(void)rkmp_cur_u8(c, "protocol", &p->u.del.protocol);
	(void)rkmp_cur_u8(c, "spi size", &p->u.del.spi_size);
	(void)rkmp_cur_u16(c, "spis", &p->u.del.nspi);
	want = (size_t)p->u.del.nspi * p->u.del.spi_size;
	if (want != rkmp_cur_left(c))
		return rkmp_err_set(RKMP_E_INVALID, where,
		    "Num of SPIs %u x SPI Size %u = %zu != %zu octets of SPIs",
		    p->u.del.nspi, p->u.del.spi_size, want, rkmp_cur_left(c));
	(void)rkmp_cur_bytes(c, "spis", want, &p->u.del.spis);
	return 0;
}

static void
encode_delete(const struct rkmp_pld *p, struct rkmp_buf *b)
{
	rkmp_buf_u8(b, p->u.del.protocol);
	rkmp_buf_u8(b, p->u.del.spi_size);
	rkmp_buf_u16(b, p->u.del.nspi);
	rkmp_buf_put(b, p->u.del.spis, (size_t)p->u.del.nspi * p->u.del.spi_size);
}

/* ------------------------------------------------------------------ TSi/TSr (§3.13) */

static int
decode_ts(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_pld *p, const char *where)
{
	const uint8_t *rsv;

	(void)rkmp_cur_u8(c, "count", &p->u.ts.count);
	(void)rkmp_cur_bytes(c, "reserved", 3, &rsv);
	memcpy(p->u.ts.rsv, rsv, 3);
	if (p->u.ts.count == 0)
		return rkmp_err_set(RKMP_E_INVALID, where, "Number of TSs 0");
	if ((p->u.ts.ts = rkmp_arena_alloc(a, p->u.ts.count * sizeof(*p->u.ts.ts))) == NULL)
		return nomem();
	for (unsigned i = 0; i < p->u.ts.count; i++) {
		struct rkmp_ts *t = &p->u.ts.ts[i];
		struct rkmp_cur s;
		size_t alen = 0;

		if (rkmp_cur_left(c) < 8)
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "selector %u of %u needs 8 octets, %zu left", i + 1, p->u.ts.count,
			    rkmp_cur_left(c));
		t->raw = rkmp_cur_ptr(c);
		t->type = t->raw[0];
		t->ip_proto = t->raw[1];
		t->len = rkmp_get16(t->raw + 2);
		if (t->len < 8 || t->len > rkmp_cur_left(c))
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "selector %u: length %u not in 8..%zu", i + 1, t->len, rkmp_cur_left(c));
		(void)rkmp_cur_sub(c, "selector", t->len, &s, where);
		s.off = 4;
		(void)rkmp_cur_u16(&s, "start port", &t->start_port);
		(void)rkmp_cur_u16(&s, "end port", &t->end_port);
		if (t->type == RKMP_TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (t->type == RKMP_TS_IPV6_ADDR_RANGE)
			alen = 16;
		if (alen != 0) {
			if (t->len != 8 + 2 * alen)
				return rkmp_err_set(RKMP_E_INVALID, where,
				    "selector %u: %s length %u != %zu", i + 1,
				    rkmp_name_or(RKMP_REG_TS, t->type), t->len, 8 + 2 * alen);
			t->addr_len = alen;
			(void)rkmp_cur_bytes(&s, "start", alen, &t->start_addr);
			(void)rkmp_cur_bytes(&s, "end", alen, &t->end_addr);
		}
	}
	if (rkmp_cur_left(c) != 0)
		return rkmp_err_set(RKMP_E_INVALID, where, "%zu octets after %u selectors",
		    rkmp_cur_left(c), p->u.ts.count);
	return 0;
}

static void
encode_ts(const struct rkmp_pld *p, struct rkmp_buf *b)
{
	rkmp_buf_u8(b, p->u.ts.count);
	rkmp_buf_put(b, p->u.ts.rsv, 3);
	for (unsigned i = 0; i < p->u.ts.count; i++) {
		const struct rkmp_ts *t = &p->u.ts.ts[i];

		if (t->addr_len == 0) {
			rkmp_buf_put(b, t->raw, t->len);
			continue;
		}
		rkmp_buf_u8(b, t->type);
		rkmp_buf_u8(b, t->ip_proto);
		rkmp_buf_u16(b, (uint16_t)(8 + 2 * t->addr_len));
		rkmp_buf_u16(b, t->start_port);
		rkmp_buf_u16(b, t->end_port);
		rkmp_buf_put(b, t->start_addr, t->addr_len);
		rkmp_buf_put(b, t->end_addr, t->addr_len);
	}
}

/* ------------------------------------------------------------------ SK (§3.14), SKF (RFC 7383) */

static int
decode_sk(struct rkmp_arena *a, struct rkmp_cur *c, struct rkmp_pld *p, const char *where)
{
	(void)a;
	if (p->type == RKMP_PLD_SKF) {
		(void)rkmp_cur_u16(c, "fragment", &p->u.sk.frag_num);
		(void)rkmp_cur_u16(c, "total", &p->u.sk.frag_total);
		if (p->u.sk.frag_num == 0 || p->u.sk.frag_total == 0 ||
		    p->u.sk.frag_num > p->u.sk.frag_total)
			return rkmp_err_set(RKMP_E_INVALID, where, "Fragment Number %u of Total %u",
			    p->u.sk.frag_num, p->u.sk.frag_total);
		/* RFC 7383 §2.5: only the first fragment names the first inner payload. */
		if (p->u.sk.frag_num != 1 && p->u.sk.first_inner != 0)
			return rkmp_err_set(RKMP_E_INVALID, where,
			    "fragment %u has Next Payload %u, only fragment 1 may name one",
			    p->u.sk.frag_num, p->u.sk.first_inner);
	}
	p->u.sk.enc_len = rkmp_cur_left(c);
	(void)rkmp_cur_bytes(c, "encrypted", p->u.sk.enc_len, &p->u.sk.enc);
	if (p->u.sk.enc_len == 0)
		return rkmp_err_set(RKMP_E_INVALID, where, "no IV, ciphertext or ICV");
	p->u.sk.icv_ok = -1;
	return 0;
}

static void
encode_sk(const struct rkmp_pld *p, struct rkmp_buf *b)
{
	if (p->type == RKMP_PLD_SKF) {
		rkmp_buf_u16(b, p->u.sk.frag_num);
		rkmp_buf_u16(b, p->u.sk.frag_total);
	}
	rkmp_buf_put(b, p->u.sk.enc, p->u.sk.enc_len);
}

int
rkmp_sk_split(const struct rkmp_pld *p, size_t iv_len, size_t icv_len, size_t block,
    struct rkmp_sk_parts *out)
{
	const char *where = pld_where(p->type);
	size_t n = p->u.sk.enc_len;

	if (n < iv_len + icv_len + 1)
		return rkmp_err_set(RKMP_E_INVALID, where,
		    "%zu octets < IV %zu + Pad Length 1 + ICV %zu", n, iv_len, icv_len);
	out->iv = p->u.sk.enc;
	out->iv_len = iv_len;
	out->ct = p->u.sk.enc + iv_len;
	out->ct_len = n - iv_len - icv_len;
	out->icv = out->ct + out->ct_len;
	out->icv_len = icv_len;
	if (block > 1 && out->ct_len % block != 0)
		return rkmp_err_set(RKMP_E_INVALID, where,
		    "ciphertext %zu octets, not a multiple of the block size %zu", out->ct_len, block);
	return 0;
}

/* ------------------------------------------------------------------ the codec table */

struct pld_codec {
	size_t	 fixed;		/* octets of fixed fields after the generic header */
	int	(*decode)(struct rkmp_arena *, struct rkmp_cur *, struct rkmp_pld *, const char *);
	void	(*encode)(const struct rkmp_pld *, struct rkmp_buf *);
	bool	 outer_only;	/* may not appear inside SK */
};

static const struct pld_codec codecs[256] = {
	[RKMP_PLD_SA]		= { 0, decode_sa, encode_sa, false },
	[RKMP_PLD_KE]		= { 4, decode_ke, encode_ke, false },
	[RKMP_PLD_IDI]		= { 4, decode_id, encode_id, false },
	[RKMP_PLD_IDR]		= { 4, decode_id, encode_id, false },
	[RKMP_PLD_CERT]		= { 1, decode_cert, encode_cert, false },
	[RKMP_PLD_CERTREQ]	= { 1, decode_cert, encode_cert, false },
	[RKMP_PLD_AUTH]		= { 4, decode_auth, encode_auth, false },
	[RKMP_PLD_NONCE]	= { 0, decode_opaque, encode_opaque, false },
	[RKMP_PLD_NOTIFY]	= { 4, decode_notify, encode_notify, false },
	[RKMP_PLD_DELETE]	= { 4, decode_delete, encode_delete, false },
	[RKMP_PLD_VID]		= { 0, decode_opaque, encode_opaque, false },
	[RKMP_PLD_TSI]		= { 4, decode_ts, encode_ts, false },
	[RKMP_PLD_TSR]		= { 4, decode_ts, encode_ts, false },
	[RKMP_PLD_SK]		= { 0, decode_sk, encode_sk, true },
	[RKMP_PLD_CP]		= { 0, decode_opaque, encode_opaque, false },
	[RKMP_PLD_EAP]		= { 0, decode_opaque, encode_opaque, false },
	[RKMP_PLD_GSPM]		= { 0, decode_opaque, encode_opaque, false },
	[RKMP_PLD_SKF]		= { 4, decode_sk, encode_sk, true },
};

/* ------------------------------------------------------------------ payload chain */

int
rkmp_msg_decode_chain(struct rkmp_arena *a, uint8_t first, const uint8_t *p, size_t len,
    struct rkmp_pld **out, size_t *nout, bool inner)
{
	struct rkmp_cur c;
	size_t n = 0, cap = 0;
	struct rkmp_pld *v = NULL;
	uint8_t type = first;
	int r;

	*out = NULL;
	*nout = 0;
	rkmp_cur_init(&c, p, len, "payload chain");
	/* Count first (every header is checked here), then decode into an exact array. */
	{
		struct rkmp_cur s = c;
		uint8_t t = first;

		while (t != RKMP_PLD_NONE) {
			uint16_t plen;

			if (rkmp_cur_left(&s) < RKMP_GEN_HDR_LEN)
				return rkmp_err_set(RKMP_E_INVALID, pld_where(t),
				    "payload %zu header needs 4 octets, %zu left", cap + 1,
				    rkmp_cur_left(&s));
			plen = rkmp_get16(rkmp_cur_ptr(&s) + 2);
			if (plen < RKMP_GEN_HDR_LEN + codecs[t].fixed)
				return rkmp_err_set(RKMP_E_INVALID, pld_where(t),
				    "length %u < %zu", plen, RKMP_GEN_HDR_LEN + codecs[t].fixed);
			if (plen > rkmp_cur_left(&s))
				return rkmp_err_set(RKMP_E_INVALID, pld_where(t),
				    "length %u > %zu octets left in %s", plen, rkmp_cur_left(&s),
				    inner ? "plaintext" : "message");
			cap++;
			if (t == RKMP_PLD_SK || t == RKMP_PLD_SKF) {
				if (inner)
					return rkmp_err_set(RKMP_E_INVALID, pld_where(t),
					    "inside an encrypted payload");
				if (rkmp_cur_left(&s) != plen)
					return rkmp_err_set(RKMP_E_INVALID, pld_where(t),
					    "not the last payload: %zu octets follow it",
					    rkmp_cur_left(&s) - plen);
				s.off += plen;
				break;
			}
			t = rkmp_cur_ptr(&s)[0];
			s.off += plen;
		}
		if (rkmp_cur_left(&s) != 0)
			return rkmp_err_set(RKMP_E_INVALID, inner ? "plaintext" : "payload chain",
			    "%zu octets after the last payload", rkmp_cur_left(&s));
	}
	if (cap == 0)
		return 0;
	if ((v = rkmp_arena_alloc(a, cap * sizeof(*v))) == NULL)
		return nomem();
	while (n < cap) {
		struct rkmp_pld *pl = &v[n];
		const struct pld_codec *cd = &codecs[type];
		uint8_t next;
		struct rkmp_cur body;

		pl->type = type;
		pl->offset = c.off;
		(void)rkmp_cur_u8(&c, "next payload", &next);
		(void)rkmp_cur_u8(&c, "flags", &pl->flags);
		(void)rkmp_cur_u16(&c, "length", &pl->length);
		(void)rkmp_cur_sub(&c, "body", (size_t)pl->length - RKMP_GEN_HDR_LEN, &body, pld_where(type));
		pl->body = body.p;
		pl->body_len = body.len;
		if (cd->decode != NULL) {
			pl->known = true;
			if (type == RKMP_PLD_SK || type == RKMP_PLD_SKF)
				pl->u.sk.first_inner = next;
			if ((r = cd->decode(a, &body, pl, pld_where(type))) != 0) {
				*out = v;
				*nout = n;
				return r;
			}
		} else {
			pl->u.opaque.data = body.p;
			pl->u.opaque.len = body.len;
		}
		n++;
		if (type == RKMP_PLD_SK || type == RKMP_PLD_SKF)
			break;
		type = next;
	}
	*out = v;
	*nout = n;
	return 0;
}

int
rkmp_msg_encode_chain(const struct rkmp_pld *pld, size_t npld, struct rkmp_buf *b)
{
	for (size_t i = 0; i < npld; i++) {
		const struct rkmp_pld *p = &pld[i];
		size_t at = b->len;
		uint8_t next;

		if (p->type == RKMP_PLD_SK || p->type == RKMP_PLD_SKF)
			next = p->u.sk.first_inner;
		else
			next = i + 1 < npld ? pld[i + 1].type : RKMP_PLD_NONE;
		rkmp_buf_u8(b, next);
		rkmp_buf_u8(b, p->flags);
		rkmp_buf_u16(b, 0);
		if (p->known && codecs[p->type].encode != NULL)
			codecs[p->type].encode(p, b);
		else
			rkmp_buf_put(b, p->u.opaque.data, p->u.opaque.len);
		if (b->err)
			return b->err;
		if (b->len - at > 0xffff)
			return rkmp_err_set(RKMP_E_INVALID, pld_where(p->type),
			    "encoded length %zu > 65535", b->len - at);
		rkmp_buf_set_u16(b, at + 2, (uint16_t)(b->len - at));
	}
	return b->err;
}

/* ------------------------------------------------------------------ message rules */

/*
 * Which payloads each message may carry, and how many (RFC 7296 §1.2-1.4,
 * §3.3.3; RKMP drops TSi/TSr, which stay allowed for the ikev2 profile).
 * Outer rules apply to the cleartext chain; for encrypted exchanges the
 * cleartext must be one SK or SKF and the rules apply to the plaintext.
 */
#define MANY 255

struct pld_rule {
	uint8_t	type;
	uint8_t	min, max;
};

struct msg_rule {
	uint8_t			 exchange;
	bool			 response;
	bool			 encrypted;
	const struct pld_rule	*rules;
	size_t			 nrules;
};

static const struct pld_rule init_req[] = {
	{ RKMP_PLD_SA, 1, 1 }, { RKMP_PLD_KE, 1, 1 }, { RKMP_PLD_NONCE, 1, 1 },
	{ RKMP_PLD_NOTIFY, 0, MANY }, { RKMP_PLD_VID, 0, MANY }, { RKMP_PLD_CERTREQ, 0, MANY },
};
static const struct pld_rule init_resp[] = {
	{ RKMP_PLD_SA, 1, 1 }, { RKMP_PLD_KE, 0, 1 }, { RKMP_PLD_NONCE, 1, 1 },
	{ RKMP_PLD_NOTIFY, 0, MANY }, { RKMP_PLD_VID, 0, MANY }, { RKMP_PLD_CERTREQ, 0, MANY },
};
static const struct pld_rule auth_req[] = {
	{ RKMP_PLD_IDI, 1, 1 }, { RKMP_PLD_CERT, 0, MANY }, { RKMP_PLD_CERTREQ, 0, MANY },
	{ RKMP_PLD_IDR, 0, 1 }, { RKMP_PLD_AUTH, 0, 1 }, { RKMP_PLD_SA, 0, 1 },
	{ RKMP_PLD_TSI, 0, 1 }, { RKMP_PLD_TSR, 0, 1 }, { RKMP_PLD_NOTIFY, 0, MANY },
	{ RKMP_PLD_VID, 0, MANY }, { RKMP_PLD_CP, 0, 1 }, { RKMP_PLD_EAP, 0, 1 },
};
static const struct pld_rule auth_resp[] = {
	{ RKMP_PLD_IDR, 1, 1 }, { RKMP_PLD_CERT, 0, MANY }, { RKMP_PLD_AUTH, 0, 1 },
	{ RKMP_PLD_SA, 0, 1 }, { RKMP_PLD_TSI, 0, 1 }, { RKMP_PLD_TSR, 0, 1 },
	{ RKMP_PLD_NOTIFY, 0, MANY }, { RKMP_PLD_VID, 0, MANY }, { RKMP_PLD_CP, 0, 1 },
	{ RKMP_PLD_EAP, 0, 1 },
};
static const struct pld_rule child_req[] = {
	{ RKMP_PLD_SA, 1, 1 }, { RKMP_PLD_NONCE, 1, 1 }, { RKMP_PLD_KE, 0, 1 },
	{ RKMP_PLD_TSI, 0, 1 }, { RKMP_PLD_TSR, 0, 1 }, { RKMP_PLD_NOTIFY, 0, MANY },
	{ RKMP_PLD_VID, 0, MANY },
};
static const struct pld_rule child_resp[] = {
	{ RKMP_PLD_SA, 1, 1 }, { RKMP_PLD_NONCE, 1, 1 }, { RKMP_PLD_KE, 0, 1 },
	{ RKMP_PLD_TSI, 0, 1 }, { RKMP_PLD_TSR, 0, 1 }, { RKMP_PLD_NOTIFY, 0, MANY },
	{ RKMP_PLD_VID, 0, MANY },
};
static const struct pld_rule info[] = {
	{ RKMP_PLD_NOTIFY, 0, MANY }, { RKMP_PLD_DELETE, 0, MANY }, { RKMP_PLD_VID, 0, MANY },
	{ RKMP_PLD_CP, 0, 1 },
};

#define RULES(x) x, nitems(x)
static const struct msg_rule msg_rules[] = {
	{ RKMP_EXCH_IKE_SA_INIT, false, false, RULES(init_req) },
	{ RKMP_EXCH_IKE_SA_INIT, true, false, RULES(init_resp) },
	{ RKMP_EXCH_IKE_AUTH, false, true, RULES(auth_req) },
	{ RKMP_EXCH_IKE_AUTH, true, true, RULES(auth_resp) },
	{ RKMP_EXCH_CREATE_CHILD, false, true, RULES(child_req) },
	{ RKMP_EXCH_CREATE_CHILD, true, true, RULES(child_resp) },
	{ RKMP_EXCH_INFORMATIONAL, false, true, RULES(info) },
	{ RKMP_EXCH_INFORMATIONAL, true, true, RULES(info) },
};

static const struct msg_rule *
find_rule(const struct rkmp_msg *m)
{
	for (size_t i = 0; i < nitems(msg_rules); i++)
		if (msg_rules[i].exchange == m->exchange &&
		    msg_rules[i].response == rkmp_msg_is_response(m))
			return &msg_rules[i];
	return NULL;
}

static const char *
msg_where(const struct rkmp_msg *m, bool inner)
{
	static _Thread_local char buf[64];

	snprintf(buf, sizeof(buf), "%s %s%s", rkmp_name_or(RKMP_REG_EXCHANGE, m->exchange),
	    rkmp_msg_is_response(m) ? "response" : "request", inner ? " (encrypted)" : "");
	return buf;
}

/*
 * A response carrying an error notify, or a COOKIE, is complete without the
 * payloads it would otherwise need (strongSwan's "sufficient" rule).
 */
static bool
sufficient_notify(const struct rkmp_pld *pld, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pld[i].type == RKMP_PLD_NOTIFY && pld[i].known &&
		    (pld[i].u.notify.type <= RKMP_N_ERROR_MAX || pld[i].u.notify.type == RKMP_N_COOKIE))
			return true;
	return false;
}

static int
check_rules(const struct rkmp_msg *m, const struct msg_rule *rule, const struct rkmp_pld *pld,
    size_t n, bool inner)
{
	unsigned count[256] = { 0 };
	bool enough = rkmp_msg_is_response(m) && sufficient_notify(pld, n);

	for (size_t i = 0; i < n; i++) {
		bool listed = false;

		if (!pld[i].known)
			continue;	/* unknown payloads are skipped (§2.5) */
		for (size_t k = 0; k < rule->nrules; k++)
			if (rule->rules[k].type == pld[i].type)
				listed = true;
		if (!listed)
			return rkmp_err_set(RKMP_E_INVALID, msg_where(m, inner),
			    "%s not allowed here (payload %zu)",
			    pld_where(pld[i].type), i + 1);
		count[pld[i].type]++;
	}
	for (size_t k = 0; k < rule->nrules; k++) {
		const struct pld_rule *pr = &rule->rules[k];

		if (count[pr->type] > pr->max)
			return rkmp_err_set(RKMP_E_INVALID, msg_where(m, inner), "%u %s > %u allowed",
			    count[pr->type], pld_where(pr->type), pr->max);
		if (count[pr->type] < pr->min && !enough)
			return rkmp_err_set(RKMP_E_INVALID, msg_where(m, inner), "%s missing",
			    pld_where(pr->type));
	}
	return 0;
}

int
rkmp_msg_check_inner(const struct rkmp_msg *m, const struct rkmp_pld *inner, size_t n)
{
	const struct msg_rule *rule = find_rule(m);

	if (rule == NULL || !rule->encrypted)
		return 0;
	return check_rules(m, rule, inner, n, true);
}

static int
check_outer(const struct rkmp_msg *m)
{
	const struct msg_rule *rule = find_rule(m);

	if (rule == NULL)
		return 0;	/* exchanges we do not know: decoded, not judged */
	if (!rule->encrypted) {
		for (size_t i = 0; i < m->npld; i++)
			if (m->pld[i].type == RKMP_PLD_SK || m->pld[i].type == RKMP_PLD_SKF)
				return rkmp_err_set(RKMP_E_INVALID, msg_where(m, false),
				    "%s not allowed in a cleartext exchange", pld_where(m->pld[i].type));
		return check_rules(m, rule, m->pld, m->npld, false);
	}
	/* Encrypted exchanges: everything inside one SK or SKF ... */
	for (size_t i = 0; i < m->npld; i++) {
		uint8_t t = m->pld[i].type;

		if (t == RKMP_PLD_SK || t == RKMP_PLD_SKF)
			continue;
		/* ... except unprotected error notifies in INFORMATIONAL (§1.5). */
		if (m->exchange == RKMP_EXCH_INFORMATIONAL && t == RKMP_PLD_NOTIFY)
			continue;
		if (m->pld[i].known)
			return rkmp_err_set(RKMP_E_INVALID, msg_where(m, false),
			    "%s outside the encrypted payload", pld_where(t));
	}
	if (m->npld == 0 || (m->pld[m->npld - 1].type != RKMP_PLD_SK &&
	    m->pld[m->npld - 1].type != RKMP_PLD_SKF)) {
		if (m->exchange == RKMP_EXCH_INFORMATIONAL && m->npld > 0)
			return 0;
		return rkmp_err_set(RKMP_E_INVALID, msg_where(m, false), "no SK or SKF payload");
	}
	return 0;
}

/* ------------------------------------------------------------------ the message */

int
rkmp_msg_decode(struct rkmp_arena *a, const uint8_t *p, size_t len, struct rkmp_msg *m)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->raw = p;
	m->raw_len = len;
	if (len < RKMP_HDR_LEN)
		return rkmp_err_set(RKMP_E_TRUNCATED, "IKE header", "%zu octets < %d", len, RKMP_HDR_LEN);
	m->spi_i = rkmp_get64(p);
	m->spi_r = rkmp_get64(p + 8);
	m->next = p[16];
	m->version = p[17];
	m->exchange = p[18];
	m->flags = p[19];
	m->msg_id = rkmp_get32(p + 20);
	m->length = rkmp_get32(p + 24);
	/* §2.5: a major version above 2 is dropped; below 2 this is IKEv1 or noise. */
	if ((m->version >> 4) != 2)
		return rkmp_err_set(RKMP_E_INVALID, "IKE header", "version %u.%u, major != 2",
		    m->version >> 4, m->version & 0x0f);
	if (m->length < RKMP_HDR_LEN)
		return rkmp_err_set(RKMP_E_INVALID, "IKE header", "Length %u < %d", m->length,
		    RKMP_HDR_LEN);
	if (m->length > len)
		return rkmp_err_set(RKMP_E_TRUNCATED, "IKE header",
		    "Length %u > %zu octets received", m->length, len);
	if (m->length < len)
		return rkmp_err_set(RKMP_E_INVALID, "IKE header",
		    "Length %u < %zu octets in the datagram", m->length, len);
	if (m->spi_i == 0)
		return rkmp_err_set(RKMP_E_INVALID, "IKE header", "Initiator SPI is 0");
	if ((r = rkmp_msg_decode_chain(a, m->next, p + RKMP_HDR_LEN, len - RKMP_HDR_LEN,
	    &m->pld, &m->npld, false)) != 0)
		return r;
	for (size_t i = 0; i < m->npld; i++)
		if (!m->pld[i].known && (m->pld[i].flags & RKMP_CRITICAL) && !m->unsupported_critical)
			m->unsupported_critical = m->pld[i].type;
	return check_outer(m);
}

int
rkmp_msg_encode(const struct rkmp_msg *m, struct rkmp_buf *b)
{
	size_t at = b->len;
	int r;

	rkmp_buf_u64(b, m->spi_i);
	rkmp_buf_u64(b, m->spi_r);
	rkmp_buf_u8(b, m->npld ? m->pld[0].type : RKMP_PLD_NONE);
	rkmp_buf_u8(b, m->version);
	rkmp_buf_u8(b, m->exchange);
	rkmp_buf_u8(b, m->flags);
	rkmp_buf_u32(b, m->msg_id);
	rkmp_buf_u32(b, 0);
	if ((r = rkmp_msg_encode_chain(m->pld, m->npld, b)) != 0)
		return r;
	rkmp_buf_set_u32(b, at + 24, (uint32_t)(b->len - at));
	return b->err;
}

const struct rkmp_pld *
rkmp_msg_find(const struct rkmp_pld *pld, size_t n, uint8_t type)
{
	for (size_t i = 0; i < n; i++)
		if (pld[i].type == type)
			return &pld[i];
	return NULL;
}

const struct rkmp_pld *
rkmp_msg_find_notify(const struct rkmp_pld *pld, size_t n, uint16_t type)
{
	for (size_t i = 0; i < n; i++)
		if (pld[i].type == RKMP_PLD_NOTIFY && pld[i].known && pld[i].u.notify.type == type)
			return &pld[i];
	return NULL;
}

/* SPDX-License-Identifier: MIT */
/*
 * frag.c — RFC 7383 fragments as a transport sees them: collecting one
 * message's Encrypted Fragments from datagrams, and walking a buffer of whole
 * IKE messages (frag.h).  Bounded: RKMP_FRAGS_MAX fragments and RKMP_MSG_MAX
 * octets of datagrams per message, so that the joined fragments fit in a
 * state file's transcript entry like any other message.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "frag.h"
#include "wire.h"

#define SKF_OFF		RKMP_HDR_LEN			/* the SKF payload follows the header */
#define SKF_MIN		(RKMP_HDR_LEN + RKMP_GEN_HDR_LEN + 4)	/* ... with number and total */

int
rkmp_frags_next(const uint8_t *p, size_t len, size_t *off, size_t *mlen)
{
	size_t left, n;

	if (*off >= len)
		return 0;
	left = len - *off;
	if (left < RKMP_HDR_LEN)
		return rkmp_err_set(RKMP_E_TRUNCATED, "IKE header", "%zu octets left at offset %zu, "
		    "a header is %d", left, *off, RKMP_HDR_LEN);
	n = rkmp_get32(p + *off + 24);
	if (n < RKMP_HDR_LEN || n > left)
		return rkmp_err_set(n > left ? RKMP_E_TRUNCATED : RKMP_E_INVALID, "IKE header",
		    "Length %zu at offset %zu, %zu octets left", n, *off, left);
	*mlen = n;
	return 1;
}

int
rkmp_frags_peek(const uint8_t *p, size_t len, uint16_t *num, uint16_t *total)
{
	size_t n;

	if (len < RKMP_HDR_LEN || p[16] != RKMP_PLD_SKF)
		return 0;
	if (len < SKF_MIN)
		return rkmp_err_set(RKMP_E_TRUNCATED, "SKF payload", "message of %zu octets < %d",
		    len, SKF_MIN);
	if ((n = rkmp_get32(p + 24)) != len)
		return rkmp_err_set(RKMP_E_INVALID, "IKE header", "Length %zu, datagram %zu octets",
		    n, len);
	if ((n = rkmp_get16(p + SKF_OFF + 2)) != len - RKMP_HDR_LEN)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "Payload Length %zu, %zu octets "
		    "follow the header", n, len - RKMP_HDR_LEN);
	*num = rkmp_get16(p + SKF_OFF + 4);
	*total = rkmp_get16(p + SKF_OFF + 6);
	if (*num == 0 || *total == 0 || *num > *total)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "Fragment Number %u of Total %u",
		    *num, *total);
	return 1;
}

int
rkmp_frags_same(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 24) == 0 ? 0 : rkmp_err_set(RKMP_E_INVALID, "SKF payload",
	    "fragments of different messages (SPIs, exchange, flags or Message ID differ)");
}

void
rkmp_frags_reset(struct rkmp_frags *f)
{
	for (size_t i = 0; i < RKMP_FRAGS_MAX; i++) {
		if (f->dg[i] != NULL) {
			rkmp_crypto_wipe(f->dg[i], f->len[i]);
			free(f->dg[i]);
		}
	}
	memset(f, 0, sizeof(*f));
}

int
rkmp_frags_add(struct rkmp_frags *f, const uint8_t *p, size_t len, unsigned *dropped)
{
	uint16_t num, total;
	int r;

	if ((r = rkmp_frags_peek(p, len, &num, &total)) <= 0)
		return r < 0 ? r : rkmp_err_set(RKMP_E_INVALID, "SKF payload", "not a fragment");
	if (total > RKMP_FRAGS_MAX)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "Total Fragments %u > %d", total,
		    RKMP_FRAGS_MAX);
	if (f->used && memcmp(f->hdr, p, sizeof(f->hdr)) != 0) {
		if (dropped != NULL)
			(*dropped)++;
		rkmp_frags_reset(f);	/* another message: the peer moved on */
	}
	if (!f->used) {
		f->used = true;
		memcpy(f->hdr, p, sizeof(f->hdr));
		f->total = total;
	} else if (total != f->total)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "fragment %u says Total Fragments "
		    "%u, earlier fragments said %u", num, total, f->total);
	if (f->dg[num - 1] != NULL)
		return 0;	/* a copy (the peer retransmitted) */
	if (f->bytes + len > RKMP_MSG_MAX)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "fragments of over %d octets "
		    "(%zu with fragment %u of %u)", RKMP_MSG_MAX, f->bytes + len, num, total);
	if ((f->dg[num - 1] = malloc(len)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "SKF payload", "%zu octets", len);
	memcpy(f->dg[num - 1], p, len);
	f->len[num - 1] = len;
	f->bytes += len;
	f->nhave++;
	return f->nhave == f->total;
}

int
rkmp_frags_join(struct rkmp_frags *f, uint8_t **out, size_t *len)
{
	size_t off = 0;

	*out = NULL;
	*len = 0;
	if (!f->used || f->nhave != f->total)
		return rkmp_err_set(RKMP_E_INTERNAL, "SKF payload", "%u of %u fragments", f->nhave,
		    f->total);
	if ((*out = malloc(f->bytes)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "SKF payload", "%zu octets", f->bytes);
	for (size_t i = 0; i < f->total; i++) {
		memcpy(*out + off, f->dg[i], f->len[i]);
		off += f->len[i];
	}
	*len = off;
	rkmp_frags_reset(f);
	return 0;
}

unsigned
rkmp_frags_count(const uint8_t *p, size_t len)
{
	size_t off = 0, mlen;
	unsigned n = 0;
	int r;

	if (len < RKMP_HDR_LEN || p[16] != RKMP_PLD_SKF)
		return 0;
	while ((r = rkmp_frags_next(p, len, &off, &mlen)) > 0) {
		off += mlen;
		n++;
	}
	return r < 0 ? 0 : n;
}

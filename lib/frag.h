/* SPDX-License-Identifier: MIT */
/*
 * frag.h — RFC 7383 Encrypted Fragments as a transport sees them: one
 * message's fragments collected from datagrams (duplicates, any order,
 * bounded), joined into one buffer of whole IKE messages in Fragment Number
 * order, which the engine verifies and reassembles (lib/sk.c, the decoder's
 * code); and the walk over such a buffer, one IKE message (one datagram) at a
 * time, for sending.  Nothing here has keys: a fragment is only grouped by
 * its header, so a transport checks each with rkmp_ike_fragment() first.
 */
#ifndef RKMP_FRAG_H
#define RKMP_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RKMP_FRAGS_MAX	128	/* fragments of one message we send or collect */

/* One message's fragments, in collection. */
struct rkmp_frags {
	bool		 used;
	uint8_t		 hdr[24];	/* SPIs, Next Payload, version, exchange, flags, Message ID */
	uint16_t	 total, nhave;
	size_t		 bytes;		/* of the datagrams kept: at most RKMP_MSG_MAX */
	uint8_t		*dg[RKMP_FRAGS_MAX];	/* [number - 1], malloc'd */
	size_t		 len[RKMP_FRAGS_MAX];
};

/*
 * Whether datagram p is an Encrypted Fragments message (IKE header, first
 * payload SKF): 1 with its Fragment Number and Total Fragments, 0 when it is
 * not one, RKMP_E_TRUNCATED / RKMP_E_INVALID when its header or fields are
 * broken (lengths, number 0 or above total).
 */
int	rkmp_frags_peek(const uint8_t *p, size_t len, uint16_t *num, uint16_t *total);
/*
 * Keep fragment p (peeked good) of the message in collection, or start a new
 * one when p belongs to another message (the older is dropped, said by
 * *dropped when set).  1 when the message is complete, 0 when fragments are
 * missing (or p was a copy of one kept), RKMP_E_INVALID when p breaks the
 * limits (over RKMP_FRAGS_MAX fragments or RKMP_MSG_MAX octets) or its Total
 * Fragments differs from the earlier ones'.
 */
int	rkmp_frags_add(struct rkmp_frags *f, const uint8_t *p, size_t len, unsigned *dropped);
/* The complete message's fragments, one after another (malloc'd); f is emptied. */
int	rkmp_frags_join(struct rkmp_frags *f, uint8_t **out, size_t *len);
void	rkmp_frags_reset(struct rkmp_frags *f);
/* 0 when IKE headers a and b name the same message (SPIs, exchange, flags, Message ID). */
int	rkmp_frags_same(const uint8_t *a, const uint8_t *b);

/*
 * Walk a buffer of whole IKE messages: the one at *off (its header's Length
 * is *mlen), 1; 0 at the end; RKMP_E_TRUNCATED / RKMP_E_INVALID when the
 * Length does not fit what is left.  The caller adds *mlen to *off.
 */
int	rkmp_frags_next(const uint8_t *p, size_t len, size_t *off, size_t *mlen);

/* How many Encrypted Fragments messages buffer p holds, one after another; 0 when
 * it is no such buffer (one SK message, say). */
unsigned rkmp_frags_count(const uint8_t *p, size_t len);

#endif

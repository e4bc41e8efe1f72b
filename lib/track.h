/* SPDX-License-Identifier: MIT */
/*
 * track.h — what a decoder learns about IKE SAs while it reads a capture:
 * the suite chosen in each IKE_SA_INIT response, so that later SK and SKF
 * payloads of that SA can be split into IV, ciphertext and ICV.
 * Bounded (a fixed table; the oldest entry in a slot is replaced).
 */
#ifndef RKMP_TRACK_H
#define RKMP_TRACK_H

#include "msg.h"
#include "print.h"

struct rkmp_track;

struct rkmp_track *rkmp_track_new(void);
void	rkmp_track_free(struct rkmp_track *t);
/* Learn from a decoded message (err = its decode result) and fill
 * meta->sk_iv/sk_icv/sk_block when the message's SA is known. */
void	rkmp_track_message(struct rkmp_track *t, const struct rkmp_msg *m, int err,
	    struct rkmp_print_meta *meta);

#endif

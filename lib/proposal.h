/* SPDX-License-Identifier: MIT */
/*
 * proposal.h — strongSwan-style proposal strings, SA payload proposals built
 * from them, and proposal selection (RFC 7296 §2.7, §3.3).
 *
 * "aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048": a comma-separated
 * list; each element is one proposal whose dash-separated keywords name
 * transforms (every keyword of a type is offered, in order).  Keywords are
 * the crypto tables' (rkmp_crypto_*_table()->keyword) plus "esn"/"noesn";
 * the routing-protocol SA keywords of the rkmp profile are in proposal.c.
 */
#ifndef RKMP_PROPOSAL_H
#define RKMP_PROPOSAL_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define RKMP_PROP_TRANSFORMS_MAX	32
#define RKMP_PROPS_MAX			16

/* The --proposal default (DESIGN.md §6). */
#define RKMP_PROPOSAL_DEFAULT \
	"aes256gcm16-prfsha256-x25519,aes256gcm16-prfsha256-ecp256,aes256-sha256-modp2048"

struct rkmp_prop_transform {
	uint8_t		 type;
	uint16_t	 id;
	uint16_t	 key_bits;	/* Key Length attribute (0 = none sent) */
};

/* One proposal as configured: its transforms, in preference order per type. */
struct rkmp_prop_spec {
	uint8_t			 protocol;	/* 1 IKE, 3 ESP, 201 TCP-AO, 202 BFD, 203 RSVP-TE */
	size_t			 ntrans;
	struct rkmp_prop_transform trans[RKMP_PROP_TRANSFORMS_MAX];
};

/* What a negotiation settled on: one transform per type (id 0 / absent = none). */
struct rkmp_prop_choice {
	uint8_t			 num;		/* the chosen proposal's number */
	uint8_t			 protocol;
	size_t			 ntrans;
	struct rkmp_prop_transform trans[8];
};

/*
 * Parse a list for a protocol (1 IKE, 3 ESP, 201..203 routing-protocol SAs).
 * RKMP_E_USAGE with the detail naming the bad keyword and the proposal
 * ("proposal 2 \"aes128-sha7\": unknown keyword \"sha7\""), or a proposal
 * missing a mandatory type ("proposal 1 \"aes128-sha256\": no DH group").
 * AEAD and non-AEAD ciphers in one proposal are split into two (§3.3).
 */
int	rkmp_proposal_parse(const char *list, uint8_t protocol, struct rkmp_prop_spec *specs,
	    size_t max, size_t *n);
/* The SA payload body (proposals numbered from 1) for specs, with the given
 * SPI (spi_len 0 for IKE_SA_INIT, 8 for an IKE rekey, 1..6 for RP SAs, 4 ESP).
 * Structures are allocated in arena a and point to spi. */
int	rkmp_proposal_to_sa(struct rkmp_arena *a, const struct rkmp_prop_spec *specs, size_t n,
	    const uint8_t *spi, size_t spi_len, struct rkmp_pld *sa);
/* A single-proposal SA payload body for a choice (the responder's SAr). */
int	rkmp_proposal_choice_to_sa(struct rkmp_arena *a, const struct rkmp_prop_choice *c,
	    const uint8_t *spi, size_t spi_len, struct rkmp_pld *sa);
/*
 * Responder: pick from the peer's offer (an SA payload) the first proposal,
 * in the peer's order, that one of ours accepts; within it the first
 * transform of each type we accept.  Unknown transform types make a proposal
 * unacceptable, unknown IDs or attributes only that transform.  RKMP_E_REFUSED
 * "no proposal chosen" when none fits (with what was offered in the detail).
 * *peer_spi points into the offer.
 */
int	rkmp_proposal_select(const struct rkmp_pld *offer, const struct rkmp_prop_spec *ours,
	    size_t n, struct rkmp_prop_choice *choice, const uint8_t **peer_spi, size_t *peer_spi_len);
/*
 * Initiator: check the responder's answer (exactly one proposal, one
 * transform per type, each of them one we offered in the proposal with that
 * number) and return it as a choice.  RKMP_E_INVALID with the detail when not.
 */
int	rkmp_proposal_accept(const struct rkmp_pld *answer, const struct rkmp_prop_spec *offered,
	    size_t n, struct rkmp_prop_choice *choice, const uint8_t **peer_spi, size_t *peer_spi_len);
/*
 * Added: rkmp_proposal_select with a choice of whose order wins.
 * RKMP_PROP_PREFER_PEER is rkmp_proposal_select: the peer's proposals and,
 * within a type, the peer's transform order.  RKMP_PROP_PREFER_OURS walks our
 * specs first and prefers our transform order (strongSwan's responder default,
 * charon.prefer_configured_proposals = yes).
 */
#define RKMP_PROP_PREFER_PEER	0
#define RKMP_PROP_PREFER_OURS	1
int	rkmp_proposal_select_pref(const struct rkmp_pld *offer, const struct rkmp_prop_spec *ours,
	    size_t n, int prefer, struct rkmp_prop_choice *choice, const uint8_t **peer_spi,
	    size_t *peer_spi_len);
/* The ID of the chosen transform of a type, or -1 when none; key_bits too. */
int	rkmp_proposal_get(const struct rkmp_prop_choice *c, uint8_t type, uint16_t *key_bits);
/* Format a choice the strongSwan way ("aes128-sha256-prfsha256-modp2048"). */
void	rkmp_proposal_format(const struct rkmp_prop_choice *c, char *out, size_t outlen);
/* Added: one spec ("aes256-sha256-prfsha256-modp2048") and a whole list,
 * comma-joined; both parse back to the same specs (",..." ends a list cut
 * short by outlen). */
void	rkmp_proposal_format_spec(const struct rkmp_prop_spec *s, char *out, size_t outlen);
void	rkmp_proposal_format_list(const struct rkmp_prop_spec *specs, size_t n, char *out,
	    size_t outlen);
/* Added: a default list for a protocol (IKE: RKMP_PROPOSAL_DEFAULT), NULL if none. */
const char *rkmp_proposal_default(uint8_t protocol);
/* The first DH group of the first proposal (the KE to send), -1 if none. */
int	rkmp_proposal_first_group(const struct rkmp_prop_spec *specs, size_t n);
/* Whether any proposal offers group g. */
int	rkmp_proposal_has_group(const struct rkmp_prop_spec *specs, size_t n, uint16_t g);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * protocols.h — one descriptor row per child-SA protocol (DESIGN.md §2, §5):
 * the routing-protocol SAs of the rkmp profile and ESP of the ikev2 profile,
 * and the IKE SA's own proposal rules.  Everything a module decides about a
 * protocol it reads here: its names, SPI length, how its key is used, the
 * transforms its proposals take and its default list, its master-key length
 * per INTEG, its key-table AlgIDs and how each export spells them, the
 * exports it appears in.  Only the numbers are wire.h's; a new protocol is
 * its number there and one row in protocols.c (HACKING.md).
 */
#ifndef RKMP_PROTOCOLS_H
#define RKMP_PROTOCOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* A transform type as a bit of allowed/required: types 1-5 as themselves,
 * the routing-protocol types 241-243 as bits 8-10; 0 for any other type.
 * (The shift counts are masked: clang checks the branch not taken too.) */
#define RKMP_TB(t)	((t) >= RKMP_TRANS_ENCR && (t) <= RKMP_TRANS_ESN ? 1u << ((t) & 31) : \
			 (t) >= RKMP_TRANS_TCP_OPTIONS && (t) <= RKMP_TRANS_RSVP_HS ? \
			 1u << (((t) - RKMP_TRANS_TCP_OPTIONS + 8) & 31) : 0u)

/* The export forms a protocol's key-table rows appear in (kt_export.c). */
#define RKMP_XF_KEY_CHAIN	0x01	/* FRR and BIRD key chains */
#define RKMP_XF_RFC8177		0x02	/* RFC 8177 key chains (JSON) */
#define RKMP_XF_BGP		0x04	/* a BGP neighbor password (bird-bgp, frr-bgp) */
#define RKMP_XF_ESP_SA		0x08	/* ESP SAs for decoders (wireshark-esp) */

/* A master key's length by the child's INTEG (rkmp-karp.md §7). */
struct rkmp_proto_key {
	int		 integ;		/* INTEG transform ID; -1: any */
	size_t		 len;		/* octets */
};

/*
 * An AlgID of the key table: its KDF, the Key lengths it takes, the
 * preference for select (higher first), what each export calls it (NULL:
 * none), and the transforms of a child SA whose row takes it.
 */
struct rkmp_proto_alg {
	const char	*kdf;
	const char	*alg;
	size_t		 kmin, kmax;
	int		 pref;
	const char	*frr;		/* FRR cryptographic-algorithm */
	const char	*bird;		/* BIRD algorithm (bird_bfd: BFD authentication type) */
	bool		 bird_bfd;
	const char	*rfc8177;	/* ietf-key-chain identity */
	int		 integ;		/* a child's INTEG ID that picks it; -1: any */
	int		 mode;		/* and the value of the protocol's mode transform; -1: any */
	int		 auth_type;	/* BFD Auth Type (RFC 5880 §4.1) for ProtocolSpecificInfo; 0: none */
};

/* What a child SA's key-table row says in ProtocolSpecificInfo. */
struct rkmp_jw;

struct rkmp_proto_psi {
	const char	*peer;		/* the peer's address */
	int		 mode;		/* the child's mode transform's value; -1: none */
	const struct rkmp_proto_alg *alg;	/* the row's AlgID */
};

struct rkmp_protocol {
	uint8_t		 id;		/* Protocol ID on the wire (wire.h RKMP_PROTO_*) */
	const char	*name;		/* --protocol, key table Protocol: "tcp-ao" */
	const char	*title;		/* in proposals and messages: "TCP-AO" */
	const char	*reg_name;	/* the Protocol ID registry's (names.c, state files): "TCP_AO" */
	uint8_t		 spi_len;	/* child SPI octets (= KeyName hex digits / 2) */
	/*
	 * A routing-protocol SA (rkmp profile): one master key (keys below), the
	 * SPI is its sender's ID (rkmp-karp.md §5.1), AlgIDs from algs.  false:
	 * an IPsec SA (ikev2 profile): RFC 7296 §2.17's four keys, the SPI is
	 * its receiver's, the AlgID an ESP suite.
	 */
	bool		 rp;
	/* one key for both directions and no key ID on the wire (TCP-MD5, RFC
	 * 2385): nothing can be staggered, the new key is used from its install */
	bool		 one_key;
	bool		 profile_default;	/* the first child of its profile when none is named */
	bool		 traffic_keys;	/* RFC 5926 traffic keys (rkmp-keytable traffic-keys) */

	/* proposals (proposal.c): transform types as RKMP_TB bits */
	uint32_t	 allowed;
	uint32_t	 required;
	bool		 integ_unless_aead;	/* INTEG required with a non-AEAD cipher */
	bool		 prf_from_integ;	/* no prf keyword: one PRF per INTEG (IKE) */
	bool		 default_noesn;		/* no ESN keyword: NO_ESN (ESP) */
	const char	*proposal;	/* the default proposal list */
	/* its own keywords (proposal.c's routing-protocol keyword rows), NULL-ended;
	 * NULL: the IKE and ESP keywords of the crypto tables */
	const char *const *keywords;

	/* master key (ike_child.c) */
	const struct rkmp_proto_key *keys;
	size_t		 nkeys;

	/* key table (kt_row.c, kt_child.c, kt_export.c) */
	const struct rkmp_proto_alg *algs;
	size_t		 nalgs;
	const char	*kdf_ref;	/* where a KDF-AlgID mismatch is explained: "RFC 5926 §3.2" */
	uint8_t		 mode_type;	/* the transform that picks an AlgID with INTEG; 0: none */
	const char	*mode_label;	/* its name in messages: "auth mode" */
	const char *const *mode_names;	/* its values as ProtocolSpecificInfo spells them */
	size_t		 nmode_names;
	const char	*alg_miss;	/* why no AlgID fits a child: "no RFC 5926 MAC" */
	/* ProtocolSpecificInfo of a child's row (JSON object text) */
	void		(*psi)(const struct rkmp_proto_psi *in, struct rkmp_jw *w);
	unsigned	 exports;	/* RKMP_XF_* */
};

/* The row of a Protocol ID; NULL when it is none of ours (IKE is no child). */
const struct rkmp_protocol *rkmp_protocol_by_id(uint8_t id);
/* The row of a name ("tcp-md5") or of a decimal Protocol ID ("207"); NULL when none. */
const struct rkmp_protocol *rkmp_protocol_by_name(const char *name);
/* The i-th row (in the order of messages); NULL past the last. */
const struct rkmp_protocol *rkmp_protocol_at(size_t i);
/* The rules a proposal of protocol id follows: a child's row or the IKE SA's. */
const struct rkmp_protocol *rkmp_protocol_proposals(uint8_t id);
/* The first child of a profile when none is named: of the rkmp profile (rp) or ikev2's. */
const struct rkmp_protocol *rkmp_protocol_default(bool rp);
/* The master-key length of protocol p with INTEG integ; 0 when none. */
size_t rkmp_protocol_key_len(const struct rkmp_protocol *p, int integ);
/* The names joined for messages: "tcp-ao, bfd, rsvp-te, tcp-md5" (with_esp:
 * ", esp" added), with "or" before the last when or_last; a static string. */
const char *rkmp_protocol_names(bool with_esp, bool or_last);
/* Every protocol with proposals, title and ID in ID order, for messages:
 * "IKE 1, ESP 3, TCP-AO 201, ..."; a static string. */
const char *rkmp_protocol_ids(void);

#endif

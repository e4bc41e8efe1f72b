/* SPDX-License-Identifier: MIT */
/*
 * protocols.h — one row per child-SA protocol (DESIGN.md §2, §5): the
 * routing-protocol SAs of the rkmp profile and ESP of the ikev2 profile.
 * Whatever a module needs to know about a protocol as a whole (its name on
 * the command line and in the key table, its SPI length, how its key is
 * used) it reads here; the numbers themselves are wire.h's, the algorithm
 * rules stay with their modules (proposal.c: transforms; ike_child.c: master
 * key lengths; kt_row.c: AlgIDs; kt_export.c: exports).
 */
#ifndef RKMP_PROTOCOLS_H
#define RKMP_PROTOCOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rkmp_protocol {
	uint8_t		 id;		/* Protocol ID on the wire (wire.h RKMP_PROTO_*) */
	const char	*name;		/* --protocol, key table Protocol: "tcp-ao" */
	uint8_t		 spi_len;	/* child SPI octets (= KeyName hex digits / 2) */
	bool		 rp;		/* a routing-protocol SA (rkmp profile); false: ESP */
	/* one key for both directions and no key ID on the wire (TCP-MD5, RFC
	 * 2385): nothing can be staggered, the new key is used from its install */
	bool		 one_key;
};

/* The row of a Protocol ID; NULL when it is none of ours. */
const struct rkmp_protocol *rkmp_protocol_by_id(uint8_t id);
/* The row of a name ("tcp-md5") or of a decimal Protocol ID ("207"); NULL when none. */
const struct rkmp_protocol *rkmp_protocol_by_name(const char *name);
/* The names joined for messages: "tcp-ao, bfd, rsvp-te, tcp-md5" (with_esp:
 * ", esp" added), with "or" before the last when or_last; a static string. */
const char *rkmp_protocol_names(bool with_esp, bool or_last);

#endif

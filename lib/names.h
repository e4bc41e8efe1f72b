/* SPDX-License-Identifier: MIT */
/*
 * names.h — value <-> name tables for every registry the codec prints.
 * Names are IANA's (RFC 7296 and successors) plus RKMP's private-use values
 * (DESIGN.md §2), which are named everywhere; the private-use Protocol IDs
 * are named by their descriptors (protocols.c).
 */
#ifndef RKMP_NAMES_H
#define RKMP_NAMES_H

#include <stdbool.h>

enum rkmp_reg {
	RKMP_REG_EXCHANGE,
	RKMP_REG_EXCHANGE_RKMP,	/* RKMP_SA_INIT ... when spoken on the RKMP port */
	RKMP_REG_PAYLOAD,	/* short notation: SA, KE, IDi, ... */
	RKMP_REG_PAYLOAD_LONG,	/* Security Association, ... */
	RKMP_REG_PROTOCOL,
	RKMP_REG_TRANSFORM,
	RKMP_REG_ENCR,
	RKMP_REG_PRF,
	RKMP_REG_INTEG,
	RKMP_REG_DH,
	RKMP_REG_ESN,
	RKMP_REG_TCP_OPTIONS,
	RKMP_REG_BFD_AUTH,
	RKMP_REG_RSVP_HS,
	RKMP_REG_ATTRIBUTE,
	RKMP_REG_NOTIFY,
	RKMP_REG_ID,
	RKMP_REG_AUTH,
	RKMP_REG_CERT,
	RKMP_REG_TS,
	RKMP_REG_HASH,		/* RFC 7427 hash algorithm identifiers */
	RKMP_REG_CFG,		/* CP config type */
	RKMP_REG_MAX_
};

/* Name of v, or NULL when the registry has none. */
const char *rkmp_name(enum rkmp_reg reg, unsigned v);
/* Name of v, or "UNKNOWN_<v>" (in one of 8 rotating static buffers). */
const char *rkmp_name_or(enum rkmp_reg reg, unsigned v);
/* Value of a name (case-insensitive); false when unknown. */
bool rkmp_name_value(enum rkmp_reg reg, const char *name, unsigned *v);
/* The registry a transform's IDs come from; RKMP_REG_MAX_ for unknown types. */
enum rkmp_reg rkmp_transform_reg(unsigned type);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * protocols.c — the child-SA protocol rows (protocols.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nitems.h"
#include "protocols.h"
#include "wire.h"


/* In Protocol ID order of the rkmp profile, ESP last (the order of messages). */
static const struct rkmp_protocol protocols[] = {
	{ RKMP_PROTO_TCP_AO, "tcp-ao", 1, true, false },	/* KeyID (RFC 5925) */
	{ RKMP_PROTO_BFD, "bfd", 1, true, false },		/* Auth Key ID (RFC 5880) */
	{ RKMP_PROTO_RSVP_TE, "rsvp-te", 6, true, false },	/* Key Identifier (RFC 2747) */
	/* RFC 2385 has no key ID: the SPI only names the child */
	{ RKMP_PROTO_TCP_MD5, "tcp-md5", 1, true, true },
	{ RKMP_PROTO_ESP, "esp", 4, false, false },		/* SPI (RFC 4303) */
};

const struct rkmp_protocol *
rkmp_protocol_by_id(uint8_t id)
{
	for (size_t i = 0; i < nitems(protocols); i++)
		if (protocols[i].id == id)
			return &protocols[i];
	return NULL;
}

const struct rkmp_protocol *
rkmp_protocol_by_name(const char *name)
{
	char *end;
	long v;

	for (size_t i = 0; i < nitems(protocols); i++)
		if (strcmp(name, protocols[i].name) == 0)
			return &protocols[i];
	errno = 0;
	v = strtol(name, &end, 10);
	if (errno != 0 || *name < '0' || *name > '9' || *end != '\0' || v > 255)
		return NULL;
	return rkmp_protocol_by_id((uint8_t)v);
}

const char *
rkmp_protocol_names(bool with_esp, bool or_last)
{
	static char out[4][96];
	char *s = out[(with_esp ? 2 : 0) + (or_last ? 1 : 0)];
	size_t n = 0, last = 0, len = 0;

	if (s[0] != '\0')
		return s;
	for (size_t i = 0; i < nitems(protocols); i++)
		if (protocols[i].rp || with_esp)
			last = n++;
	n = 0;
	for (size_t i = 0; i < nitems(protocols); i++) {
		if (!protocols[i].rp && !with_esp)
			continue;
		len += (size_t)snprintf(s + len, sizeof(out[0]) - len, "%s%s",
		    n == 0 ? "" : n == last && or_last ? " or " : ", ", protocols[i].name);
		n++;
	}
	return s;
}

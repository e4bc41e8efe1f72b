/* SPDX-License-Identifier: MIT */
/*
 * protocols.c — the child-SA protocol rows (protocols.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocols.h"
#include "wire.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static const struct rkmp_protocol protocols[] = {
	{ RKMP_PROTO_TCP_AO, "tcp-ao", "TCP-AO", 1, true, false,
	    "TCP-AO KeyID (RFC 5925), 8 bits" },
	{ RKMP_PROTO_BFD, "bfd", "BFD", 1, true, false, "BFD Auth Key ID (RFC 5880), 8 bits" },
	{ RKMP_PROTO_RSVP_TE, "rsvp-te", "RSVP-TE", 6, true, false,
	    "RSVP-TE INTEGRITY Key Identifier (RFC 2747), 48 bits" },
	{ RKMP_PROTO_TCP_MD5, "tcp-md5", "TCP-MD5", 1, true, true,
	    "none on the wire (RFC 2385): names the child, 8 bits" },
	{ RKMP_PROTO_ESP, "esp", "ESP", 4, false, false, "ESP SPI (RFC 4303), 32 bits" },
};

const struct rkmp_protocol *
rkmp_protocols(size_t *n)
{
	*n = nitems(protocols);
	return protocols;
}

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

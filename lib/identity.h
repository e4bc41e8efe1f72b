/* SPDX-License-Identifier: MIT */
/*
 * identity.h — identities (RFC 7296 §3.5) as text and as ID payload type and
 * data: "fqdn:r1.example", "email:a@b", "ipv4:192.0.2.1", "ipv6:2001:db8::1",
 * "keyid:0a0b" (hex); "dn:" only comes from a certificate.
 */
#ifndef RKMP_IDENTITY_H
#define RKMP_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

/* Text -> ID payload type and data (RKMP_E_USAGE, where "identity", when not one). */
int	rkmp_id_parse(const char *text, uint8_t *type, uint8_t *data, size_t max, size_t *len);
/* ID payload type and data -> text in the same form ("type%u:" for other types). */
void	rkmp_id_format(uint8_t type, const uint8_t *data, size_t len, char *out, size_t outlen);
/* Printable identity: FQDN/RFC822 as text, addresses, DN in RFC 2253 form, else hex. */
void	rkmp_id_string(uint8_t id_type, const uint8_t *p, size_t n, char *out, size_t outlen);

#endif

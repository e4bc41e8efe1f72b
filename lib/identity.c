/* SPDX-License-Identifier: MIT */
/*
 * identity.c — identities (RFC 7296 §3.5): the text of --id and of the state
 * ("fqdn:r1.example", "ipv4:192.0.2.1", ...) to ID payload type and data and
 * back, and any ID's data made printable (for the decoder's output too).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "err.h"
#include "hex.h"
#include "identity.h"
#include "nitems.h"
#include "wire.h"

static const struct {
	const char	*prefix;
	uint8_t		 type;
} id_prefixes[] = {
	{ "fqdn:", RKMP_ID_FQDN }, { "email:", RKMP_ID_RFC822_ADDR },
	{ "ipv4:", RKMP_ID_IPV4_ADDR }, { "ipv6:", RKMP_ID_IPV6_ADDR },
	{ "keyid:", RKMP_ID_KEY_ID }, { "dn:", RKMP_ID_DER_ASN1_DN },
};

int
rkmp_id_parse(const char *text, uint8_t *type, uint8_t *data, size_t max, size_t *len)
{
	for (size_t i = 0; i < nitems(id_prefixes); i++) {
		size_t pl = strlen(id_prefixes[i].prefix);
		const char *v = text + pl;

		if (strncmp(text, id_prefixes[i].prefix, pl) != 0)
			continue;
		*type = id_prefixes[i].type;
		switch (*type) {
		case RKMP_ID_IPV4_ADDR:
			if (max < 4 || inet_pton(AF_INET, v, data) != 1)
				break;
			*len = 4;
			return 0;
		case RKMP_ID_IPV6_ADDR:
			if (max < 16 || inet_pton(AF_INET6, v, data) != 1)
				break;
			*len = 16;
			return 0;
		case RKMP_ID_KEY_ID: {
			size_t bad = 0;

			if (*v == '\0' || rkmp_hex_decode(v, strlen(v), data, max, len, &bad) != 0)
				return rkmp_err_set(RKMP_E_USAGE, "identity",
				    "\"%s\": not an even number of hex digits (offset %zu)", text, bad);
			return 0;
		}
		case RKMP_ID_DER_ASN1_DN:
			return rkmp_err_set(RKMP_E_USAGE, "identity",
			    "\"%s\": dn: identities come from the certificate (--cert)", text);
		default:
			if (*v == '\0' || strlen(v) > max)
				break;
			memcpy(data, v, strlen(v));
			*len = strlen(v);
			return 0;
		}
		return rkmp_err_set(RKMP_E_USAGE, "identity", "\"%s\": not a valid %.*s identity",
		    text, (int)(pl - 1), id_prefixes[i].prefix);
	}
	return rkmp_err_set(RKMP_E_USAGE, "identity",
	    "\"%s\": expected fqdn:, email:, ipv4:, ipv6: or keyid:", text);
}

/* As many octets of p as fit in out[outlen] in hex, and a NUL. */
static void
hex_into(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 3 <= outlen; i++, k += 2)
		rkmp_hex_encode(p + i, 1, out + k);
	out[k] = '\0';
}

void
rkmp_id_string(uint8_t id_type, const uint8_t *p, size_t n, char *out, size_t outlen)
{
	bool printable = true;

	out[0] = '\0';
	switch (id_type) {
	case RKMP_ID_IPV4_ADDR:
		if (n == 4 && inet_ntop(AF_INET, p, out, (socklen_t)outlen) != NULL)
			return;
		break;
	case RKMP_ID_IPV6_ADDR:
		if (n == 16 && inet_ntop(AF_INET6, p, out, (socklen_t)outlen) != NULL)
			return;
		break;
	case RKMP_ID_FQDN:
	case RKMP_ID_RFC822_ADDR:
		for (size_t i = 0; i < n; i++)
			if (!isprint(p[i]) || p[i] == '"' || p[i] == '\\')
				printable = false;
		if (printable && n < outlen) {
			memcpy(out, p, n);
			out[n] = '\0';
			return;
		}
		break;
	case RKMP_ID_DER_ASN1_DN: {
		const unsigned char *q = p;
		X509_NAME *nm = d2i_X509_NAME(NULL, &q, (long)n);
		BIO *bio;

		if (nm != NULL && q == p + n && (bio = BIO_new(BIO_s_mem())) != NULL) {
			int k = X509_NAME_print_ex(bio, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);

			if (k >= 0) {
				int got = BIO_read(bio, out, (int)outlen - 1);

				out[got > 0 ? got : 0] = '\0';
			}
			BIO_free(bio);
		}
		X509_NAME_free(nm);
		if (out[0] != '\0')
			return;
		break;
	}
	default:
		break;
	}
	hex_into(out, outlen, p, n);
}

void
rkmp_id_format(uint8_t type, const uint8_t *data, size_t len, char *out, size_t outlen)
{
	const char *prefix = NULL;
	char body[300];

	for (size_t i = 0; i < nitems(id_prefixes); i++)
		if (id_prefixes[i].type == type)
			prefix = id_prefixes[i].prefix;
	if (type == RKMP_ID_KEY_ID) {
		size_t k = 0;

		for (size_t i = 0; i < len && k + 3 < sizeof(body); i++)
			k += (size_t)snprintf(body + k, sizeof(body) - k, "%02x", data[i]);
		body[k] = '\0';
	} else
		rkmp_id_string(type, data, len, body, sizeof(body));
	if (prefix == NULL)
		snprintf(out, outlen, "type%u:%s", type, body);
	else
		snprintf(out, outlen, "%s%s", prefix, body);
}

/* SPDX-License-Identifier: MIT */
/*
 * protocols.c — the protocol descriptor rows (protocols.h): one row per
 * child-SA protocol, with its small tables right above it, and the IKE SA's
 * proposal rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "nitems.h"
#include "proposal.h"
#include "protocols.h"
#include "wire.h"

#define TB_ENCR		RKMP_TB(RKMP_TRANS_ENCR)
#define TB_PRF		RKMP_TB(RKMP_TRANS_PRF)
#define TB_INTEG	RKMP_TB(RKMP_TRANS_INTEG)
#define TB_DH		RKMP_TB(RKMP_TRANS_DH)
#define TB_ESN		RKMP_TB(RKMP_TRANS_ESN)
#define TB_TCP		RKMP_TB(RKMP_TRANS_TCP_OPTIONS)
#define TB_BFD		RKMP_TB(RKMP_TRANS_BFD_AUTH)
#define TB_RSVP		RKMP_TB(RKMP_TRANS_RSVP_HS)

#define ROWS(t)		(t), nitems(t)

/* An address as the prefix of itself: "192.0.2.1/32", "2001:db8::1/128". */
static int
host_bits(const char *peer)
{
	return strchr(peer, ':') != NULL ? 128 : 32;
}

/*
 * The proposals of every protocol (RFC 7296 §3.3.3; rkmp-karp.md §5: INTEG +
 * TCP options for TCP-AO, INTEG + BFD auth mode for BFD, the handshake type
 * for RSVP-TE; DH optional (PFS)).  IKE's default is DESIGN.md §6's, TCP-AO's
 * the draft's Fig. 4.  The routing-protocol keywords are proposal.c's rows.
 *
 * The key tables: the master key length L by INTEG (rkmp-karp.md §7), and
 * the KDF and AlgID per protocol, the Key lengths they take, the preference
 * for select (higher first) and what each export calls them (NULL: none).
 * The BFD, RSVP-TE and TCP-MD5 AlgIDs are rkmp's (the registry has none;
 * rkmp-karp.md §12.3).
 */

/* ------------------------------------------------------------------ IKE */

/* The IKE SA's own proposals: no child, so not a row of protocols[]. */
static const struct rkmp_protocol ike = {
	.id = RKMP_PROTO_IKE, .name = "ike", .title = "IKE", .reg_name = "IKE", .spi_len = 8,
	.allowed = TB_ENCR | TB_PRF | TB_INTEG | TB_DH, .required = TB_ENCR | TB_PRF | TB_DH,
	.integ_unless_aead = true, .prf_from_integ = true, .proposal = RKMP_PROPOSAL_DEFAULT,
};

/* ------------------------------------------------------------------ TCP-AO */

static const char *const tcp_ao_keywords[] = { "sha1", "aescmac", "tcpopts", "notcpopts", NULL };

static const struct rkmp_proto_key tcp_ao_keys[] = {
	{ 2, 20 },	/* HMAC-SHA-1-96: RFC 5926 Key_Length 160 */
	{ 8, 16 },	/* AES-128-CMAC-96: 128 */
};

/* RFC 5926 §3.2 (KDF fixed by the MAC; any master key length, up to Linux's
 * TCP_AO_MAXKEYLEN) */
static const struct rkmp_proto_alg tcp_ao_algs[] = {
	{ "AES-128-CMAC", "AES-128-CMAC-96", 1, 80, 2, NULL, NULL, false, "aes-cmac-prf-128",
	    8, -1, 0 },
	{ "HMAC-SHA-1", "HMAC-SHA-1-96", 1, 80, 1, "hmac-sha-1", "hmac sha1", false,
	    "hmac-sha-1-12", 2, -1, 0 },
};

/* the conn_id of a key for one peer address: "192.0.2.1/32", "2001:db8::1/128" */
static void
peer_prefix(struct rkmp_jw *w, const char *peer)
{
	char prefix[INET6_ADDRSTRLEN + 8];

	snprintf(prefix, sizeof(prefix), "%s/%d", peer, host_bits(peer));
	RKMP_JW_KEY(w, "peer_prefix");
	rkmp_jw_str(w, prefix);
}

static void
tcp_ao_psi(const struct rkmp_proto_psi *in, struct rkmp_jw *w)
{
	const char *flag = in->mode == 0 ? "exclude" : "include";

	rkmp_jw_object(w);
	RKMP_JW_KEY(w, "send");
	rkmp_jw_object(w);
	RKMP_JW_KEY(w, "tcp_option_flag");
	rkmp_jw_str(w, flag);
	rkmp_jw_object_end(w);
	RKMP_JW_KEY(w, "recv");
	rkmp_jw_object(w);
	RKMP_JW_KEY(w, "tcp_option_flag");
	rkmp_jw_str(w, flag);
	rkmp_jw_object_end(w);
	RKMP_JW_KEY(w, "conn_id");
	rkmp_jw_object(w);
	peer_prefix(w, in->peer);
	RKMP_JW_KEY(w, "local_port");
	rkmp_jw_str(w, "*");
	RKMP_JW_KEY(w, "remote_port");
	rkmp_jw_str(w, "*");
	rkmp_jw_object_end(w);
	rkmp_jw_object_end(w);
}

/* ------------------------------------------------------------------ BFD */

static const char *const bfd_keywords[] = { "sha1", "md5", "sha256", "bfdbase", "bfdmeticulous",
	"bfdgeneric", "bfdgenericmeticulous", NULL };

static const struct rkmp_proto_key bfd_keys[] = {
	{ 1, 16 },	/* keyed MD5 */
	{ 2, 20 },	/* keyed SHA-1 */
	{ 12, 32 },	/* HMAC-SHA-256 */
};

/* RFC 5880 §6.7: keys used as they are (keyed MD5 up to 16 octets, keyed SHA1
 * up to 20), and the generic modes of draft-ietf-bfd-generic-crypto-auth;
 * by auth mode (BFD_AUTH_MODE): base 0, base-meticulous 1, generic 2,
 * generic-meticulous 3 */
static const struct rkmp_proto_alg bfd_algs[] = {
	{ "none", "BFD-GENERIC-METICULOUS-HMAC-SHA-256", 1, 64, 6, "hmac-sha-256", NULL, true,
	    "hmac-sha-256", 12, 3, 0 },
	{ "none", "BFD-GENERIC-HMAC-SHA-256", 1, 64, 5, "hmac-sha-256", NULL, true,
	    "hmac-sha-256", 12, 2, 0 },
	{ "none", "BFD-METICULOUS-KEYED-SHA1", 1, 20, 4, NULL, "meticulous keyed sha1", true,
	    "sha-1", 2, 1, 5 },
	{ "none", "BFD-KEYED-SHA1", 1, 20, 3, NULL, "keyed sha1", true, "sha-1", 2, 0, 4 },
	{ "none", "BFD-METICULOUS-KEYED-MD5", 1, 16, 2, "md5", "meticulous keyed md5", true,
	    "md5", 1, 1, 3 },
	{ "none", "BFD-KEYED-MD5", 1, 16, 1, "md5", "keyed md5", true, "md5", 1, 0, 2 },
};

static const char *const bfd_modes[] = { "base", "base-meticulous", "generic",
	"generic-meticulous" };

static void
bfd_psi(const struct rkmp_proto_psi *in, struct rkmp_jw *w)
{
	rkmp_jw_object(w);
	RKMP_JW_KEY(w, "auth_mode");
	rkmp_jw_str(w, bfd_modes[in->mode < 0 ? 0 : in->mode]);
	if (in->alg->auth_type != 0) {
		RKMP_JW_KEY(w, "auth_type");
		rkmp_jw_int(w, in->alg->auth_type);
	}
	rkmp_jw_object_end(w);
}

/* ------------------------------------------------------------------ RSVP-TE */

static const char *const rsvp_te_keywords[] = { "handshake", "nohandshake", NULL };

static const struct rkmp_proto_key rsvp_te_keys[] = {
	{ -1, 16 },	/* HMAC-MD5 (RFC 2747) */
};

static const struct rkmp_proto_alg rsvp_te_algs[] = {
	{ "none", "HMAC-MD5", 1, 64, 1, NULL, NULL, false, "md5", -1, -1, 0 },	/* RFC 2747 */
};

static void
rsvp_te_psi(const struct rkmp_proto_psi *in, struct rkmp_jw *w)
{
	rkmp_jw_object(w);
	RKMP_JW_KEY(w, "integrity_handshake");
	rkmp_jw_str(w, in->mode == 1 ? "allowed" : "not-allowed");
	rkmp_jw_object_end(w);
}

/* ------------------------------------------------------------------ TCP-MD5 */

/* RFC 2385 (DESIGN.md §2, §7) has one algorithm, the keyed MD5 digest: its
 * INTEG AUTH_HMAC_MD5_96 is a label, as for BFD's keyed MD5 */
static const char *const tcp_md5_keywords[] = { "md5", NULL };

static const struct rkmp_proto_key tcp_md5_keys[] = {
	{ 1, 32 },	/* RFC 2385 keyed MD5: DESIGN.md §7, a 32-octet key */
};

/* a password of up to 80 octets (Linux TCP_MD5SIG_MAXKEYLEN); the daemons
 * take it as text: the exports write the Key's hex digits */
static const struct rkmp_proto_alg tcp_md5_algs[] = {
	{ "none", "TCP-MD5", 1, 40, 1, NULL, NULL, false, "md5", -1, -1, 0 },
};

/* one key per peer address, both directions, no options */
static void
tcp_md5_psi(const struct rkmp_proto_psi *in, struct rkmp_jw *w)
{
	rkmp_jw_object(w);
	RKMP_JW_KEY(w, "conn_id");
	rkmp_jw_object(w);
	peer_prefix(w, in->peer);
	rkmp_jw_object_end(w);
	rkmp_jw_object_end(w);
}

/* ------------------------------------------------------------------ the rows */

/* In Protocol ID order of the rkmp profile, ESP last (the order of messages). */
static const struct rkmp_protocol protocols[] = {
	{
		.id = RKMP_PROTO_TCP_AO, .name = "tcp-ao", .title = "TCP-AO", .reg_name = "TCP_AO",
		.spi_len = 1,	/* KeyID (RFC 5925) */
		.rp = true, .profile_default = true, .traffic_keys = true,
		.allowed = TB_INTEG | TB_DH | TB_TCP, .required = TB_INTEG | TB_TCP,
		.proposal = "sha1-aescmac-tcpopts-notcpopts", .keywords = tcp_ao_keywords,
		.keys = ROWS(tcp_ao_keys), .algs = ROWS(tcp_ao_algs), .kdf_ref = "RFC 5926 §3.2",
		.mode_type = RKMP_TRANS_TCP_OPTIONS, .alg_miss = "no RFC 5926 MAC",
		.psi = tcp_ao_psi, .exports = RKMP_XF_KEY_CHAIN | RKMP_XF_RFC8177,
	}, {
		.id = RKMP_PROTO_BFD, .name = "bfd", .title = "BFD", .reg_name = "BFD",
		.spi_len = 1,	/* Auth Key ID (RFC 5880) */
		.rp = true,
		.allowed = TB_INTEG | TB_DH | TB_BFD, .required = TB_INTEG | TB_BFD,
		.proposal = "sha1-bfdmeticulous-bfdbase", .keywords = bfd_keywords,
		.keys = ROWS(bfd_keys), .algs = ROWS(bfd_algs),
		.mode_type = RKMP_TRANS_BFD_AUTH, .mode_label = "auth mode",
		.mode_names = ROWS(bfd_modes),
		.psi = bfd_psi, .exports = RKMP_XF_KEY_CHAIN | RKMP_XF_RFC8177,
	}, {
		.id = RKMP_PROTO_RSVP_TE, .name = "rsvp-te", .title = "RSVP-TE", .reg_name = "RSVP_TE",
		.spi_len = 6,	/* Key Identifier (RFC 2747) */
		.rp = true,
		.allowed = TB_DH | TB_RSVP, .required = TB_RSVP,
		.proposal = "handshake-nohandshake", .keywords = rsvp_te_keywords,
		.keys = ROWS(rsvp_te_keys), .algs = ROWS(rsvp_te_algs),
		.mode_type = RKMP_TRANS_RSVP_HS,
		.psi = rsvp_te_psi, .exports = RKMP_XF_KEY_CHAIN | RKMP_XF_RFC8177,
	}, {
		.id = RKMP_PROTO_TCP_MD5, .name = "tcp-md5", .title = "TCP-MD5", .reg_name = "TCP_MD5",
		.spi_len = 1,	/* RFC 2385 has no key ID: the SPI only names the child */
		.rp = true, .one_key = true,
		.allowed = TB_INTEG | TB_DH, .required = TB_INTEG,
		.proposal = "md5", .keywords = tcp_md5_keywords,
		.keys = ROWS(tcp_md5_keys), .algs = ROWS(tcp_md5_algs),
		/* a daemon takes it as a BGP neighbor's password, not in a key chain */
		.psi = tcp_md5_psi, .exports = RKMP_XF_BGP | RKMP_XF_RFC8177,
	}, {
		.id = RKMP_PROTO_ESP, .name = "esp", .title = "ESP", .reg_name = "ESP",
		.spi_len = 4,	/* SPI (RFC 4303) */
		.profile_default = true,
		.allowed = TB_ENCR | TB_INTEG | TB_DH | TB_ESN, .required = TB_ENCR | TB_ESN,
		.integ_unless_aead = true, .default_noesn = true,
		.proposal = "aes256gcm16,aes128-sha256",
		.exports = RKMP_XF_ESP_SA,
	},
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

const struct rkmp_protocol *
rkmp_protocol_at(size_t i)
{
	return i < nitems(protocols) ? &protocols[i] : NULL;
}

const struct rkmp_protocol *
rkmp_protocol_proposals(uint8_t id)
{
	return id == ike.id ? &ike : rkmp_protocol_by_id(id);
}

const struct rkmp_protocol *
rkmp_protocol_default(bool rp)
{
	for (size_t i = 0; i < nitems(protocols); i++)
		if (protocols[i].profile_default && protocols[i].rp == rp)
			return &protocols[i];
	return NULL;
}

size_t
rkmp_protocol_key_len(const struct rkmp_protocol *p, int integ)
{
	for (size_t k = 0; p != NULL && k < p->nkeys; k++)
		if (p->keys[k].integ < 0 || p->keys[k].integ == integ)
			return p->keys[k].len;
	return 0;
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

const char *
rkmp_protocol_ids(void)
{
	static char out[160];
	size_t len = 0;
	int last = -1;

	if (out[0] != '\0')
		return out;
	/* IKE's row, then the children's, each time the lowest ID above the last */
	for (;;) {
		const struct rkmp_protocol *next = last < (int)ike.id ? &ike : NULL;

		for (size_t i = 0; i < nitems(protocols); i++)
			if (protocols[i].id > last && (next == NULL || protocols[i].id < next->id))
				next = &protocols[i];
		if (next == NULL)
			return out;
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s %u", len ? ", " : "",
		    next->title, next->id);
		last = next->id;
	}
}

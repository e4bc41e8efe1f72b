/* SPDX-License-Identifier: MIT */
/*
 * test_proposal.c — proposal strings, SA payloads built from them, and
 * selection: against the project's worked vector, the draft's TCP-AO figure,
 * and the real strongSwan IKE_SA_INIT exchanges of testdata/msgs/ (what we
 * would choose as responder must be what strongSwan's responder answered).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "msg.h"
#include "proposal.h"
#include "test_helper.h"
#include "tests.h"
#include "wire.h"

/* Arena and message files for all tests: reachable until exit, never leaked. */
static struct rkmp_arena ar;

static struct {
	char		 name[80];
	uint8_t		*p;
	size_t		 len;
} files[64];

static const uint8_t *
load(const char *name, size_t *len)
{
	char rel[128];
	size_t i;

	for (i = 0; i < 64 && files[i].p != NULL; i++)
		if (strcmp(files[i].name, name) == 0) {
			*len = files[i].len;
			return files[i].p;
		}
	if (i == 64)
		return NULL;
	snprintf(rel, sizeof(rel), "msgs/%s", name);
	if ((files[i].p = test_data_file(rel, &files[i].len)) == NULL)
		return NULL;
	snprintf(files[i].name, sizeof(files[i].name), "%s", name);
	*len = files[i].len;
	return files[i].p;
}

/* Decode a message file; NULL (with the reason as a failure) when it does not. */
static int
load_msg(const char *name, struct rkmp_msg *m)
{
	const uint8_t *p;
	size_t len;
	int r;

	if ((p = load(name, &len)) == NULL) {
		test_fail(__FILE__, __LINE__, "%s: cannot read", name);
		return -1;
	}
	if ((r = rkmp_msg_decode(&ar, p, len, m)) != 0) {
		test_fail(__FILE__, __LINE__, "%s: %s", name, rkmp_err_text());
		return -1;
	}
	return 0;
}

static bool
choice_eq(const struct rkmp_prop_choice *a, const struct rkmp_prop_choice *b)
{
	if (a->num != b->num || a->protocol != b->protocol || a->ntrans != b->ntrans)
		return false;
	for (size_t i = 0; i < a->ntrans; i++)
		if (a->trans[i].type != b->trans[i].type || a->trans[i].id != b->trans[i].id ||
		    a->trans[i].key_bits != b->trans[i].key_bits)
			return false;
	return true;
}

static bool
spec_eq(const struct rkmp_prop_spec *a, const struct rkmp_prop_spec *b)
{
	if (a->protocol != b->protocol || a->ntrans != b->ntrans)
		return false;
	for (size_t i = 0; i < a->ntrans; i++)
		if (a->trans[i].type != b->trans[i].type || a->trans[i].id != b->trans[i].id ||
		    a->trans[i].key_bits != b->trans[i].key_bits)
			return false;
	return true;
}

/*
 * Two SA payloads hold the same proposals: per proposal, per type, the same
 * (ID, key length) sequence (the order of the types may differ).
 */
static bool
sa_same(const struct rkmp_pld *a, const struct rkmp_pld *b)
{
	if (a->u.sa.nprop != b->u.sa.nprop)
		return false;
	for (size_t k = 0; k < a->u.sa.nprop; k++) {
		const struct rkmp_proposal *p = &a->u.sa.prop[k], *q = &b->u.sa.prop[k];

		if (p->num != q->num || p->protocol != q->protocol || p->ntrans != q->ntrans)
			return false;
		for (unsigned t = 0; t < 256; t++) {
			size_t i = 0, j = 0;

			for (;;) {
				while (i < p->ntrans && p->trans[i].type != t)
					i++;
				while (j < q->ntrans && q->trans[j].type != t)
					j++;
				if (i == p->ntrans || j == q->ntrans)
					break;
				if (p->trans[i].id != q->trans[j].id ||
				    p->trans[i].key_length != q->trans[j].key_length)
					return false;
				i++;
				j++;
			}
			if (i != p->ntrans || j != q->ntrans)
				return false;
		}
	}
	return true;
}

#define T(type, id, bits)	{ (type), (id), (bits) }

static void
expect_trans(const struct rkmp_prop_spec *s, size_t i, uint8_t type, uint16_t id, uint16_t bits,
    const char *file, int line)
{
	if (i >= s->ntrans || s->trans[i].type != type || s->trans[i].id != id ||
	    s->trans[i].key_bits != bits)
		test_fail(file, line, "transform %zu: %u/%u/%u, expected %u/%u/%u", i,
		    i < s->ntrans ? s->trans[i].type : 0, i < s->ntrans ? s->trans[i].id : 0,
		    i < s->ntrans ? s->trans[i].key_bits : 0, type, id, bits);
}
#define EXPECT_TRANS(s, i, type, id, bits) do { \
	expect_trans((s), (i), (type), (id), (bits), __FILE__, __LINE__); \
	if (test_failed_now) return; } while (0)

/* ------------------------------------------------------------------ parsing */

TEST(proposal_parse_default)
{
	struct rkmp_prop_spec s[RKMP_PROPS_MAX];
	char text[512];
	size_t n = 99;

	ASSERT_STR_EQ(RKMP_PROPOSAL_DEFAULT,
	    "aes256gcm16-prfsha256-x25519,aes256gcm16-prfsha256-ecp256,aes256-sha256-modp2048");
	ASSERT_STR_EQ(rkmp_proposal_default(RKMP_PROTO_IKE), RKMP_PROPOSAL_DEFAULT);
	ASSERT_INT_EQ(rkmp_proposal_parse(RKMP_PROPOSAL_DEFAULT, RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 3);

	/* aes256gcm16-prfsha256-x25519: AEAD, no INTEG */
	ASSERT_INT_EQ(s[0].protocol, RKMP_PROTO_IKE);
	ASSERT_INT_EQ(s[0].ntrans, 3);
	EXPECT_TRANS(&s[0], 0, RKMP_TRANS_ENCR, 20, 256);	/* ENCR_AES_GCM_16 */
	EXPECT_TRANS(&s[0], 1, RKMP_TRANS_PRF, 5, 0);		/* PRF_HMAC_SHA2_256 */
	EXPECT_TRANS(&s[0], 2, RKMP_TRANS_DH, 31, 0);		/* CURVE25519 */

	ASSERT_INT_EQ(s[1].ntrans, 3);
	EXPECT_TRANS(&s[1], 0, RKMP_TRANS_ENCR, 20, 256);
	EXPECT_TRANS(&s[1], 1, RKMP_TRANS_PRF, 5, 0);
	EXPECT_TRANS(&s[1], 2, RKMP_TRANS_DH, 19, 0);		/* ECP_256 */

	/* aes256-sha256-modp2048: the PRF derived from sha256 */
	ASSERT_INT_EQ(s[2].ntrans, 4);
	EXPECT_TRANS(&s[2], 0, RKMP_TRANS_ENCR, 12, 256);	/* ENCR_AES_CBC */
	EXPECT_TRANS(&s[2], 1, RKMP_TRANS_PRF, 5, 0);
	EXPECT_TRANS(&s[2], 2, RKMP_TRANS_INTEG, 12, 0);	/* AUTH_HMAC_SHA2_256_128 */
	EXPECT_TRANS(&s[2], 3, RKMP_TRANS_DH, 14, 0);		/* MODP_2048 */

	ASSERT_INT_EQ(rkmp_proposal_first_group(s, n), 31);
	ASSERT_INT_EQ(rkmp_proposal_has_group(s, n, 19), 1);
	ASSERT_INT_EQ(rkmp_proposal_has_group(s, n, 14), 1);
	ASSERT_INT_EQ(rkmp_proposal_has_group(s, n, 20), 0);

	rkmp_proposal_format_list(s, n, text, sizeof(text));
	ASSERT_STR_EQ(text, "aes256gcm16-prfsha256-x25519,aes256gcm16-prfsha256-ecp256,"
	    "aes256-sha256-prfsha256-modp2048");
}

TEST(proposal_parse_keywords)
{
	struct rkmp_prop_spec s[RKMP_PROPS_MAX];
	size_t n;

	/* strongSwan aliases, any case, spaces around elements */
	ASSERT_INT_EQ(rkmp_proposal_parse(" AES-sha-X25519 , aes128gcm-prfsha2_256-x448",
	    RKMP_PROTO_IKE, s, RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(s[0].ntrans, 4);
	EXPECT_TRANS(&s[0], 0, RKMP_TRANS_ENCR, 12, 128);
	EXPECT_TRANS(&s[0], 1, RKMP_TRANS_PRF, 2, 0);		/* from sha1 */
	EXPECT_TRANS(&s[0], 2, RKMP_TRANS_INTEG, 2, 0);
	EXPECT_TRANS(&s[0], 3, RKMP_TRANS_DH, 31, 0);
	EXPECT_TRANS(&s[1], 0, RKMP_TRANS_ENCR, 20, 128);
	EXPECT_TRANS(&s[1], 1, RKMP_TRANS_PRF, 5, 0);
	EXPECT_TRANS(&s[1], 2, RKMP_TRANS_DH, 32, 0);

	/* several per type, in order; one PRF per INTEG; duplicates dropped */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-aes256-sha1-sha256-aesxcbc-aescmac-sha384-sha512-"
	    "modp2048-ecp256-sha1", RKMP_PROTO_IKE, s, RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(s[0].ntrans, 16);
	EXPECT_TRANS(&s[0], 0, RKMP_TRANS_ENCR, 12, 128);
	EXPECT_TRANS(&s[0], 1, RKMP_TRANS_ENCR, 12, 256);
	EXPECT_TRANS(&s[0], 2, RKMP_TRANS_PRF, 2, 0);
	EXPECT_TRANS(&s[0], 3, RKMP_TRANS_PRF, 5, 0);
	EXPECT_TRANS(&s[0], 4, RKMP_TRANS_PRF, 4, 0);		/* PRF_AES128_XCBC */
	EXPECT_TRANS(&s[0], 5, RKMP_TRANS_PRF, 8, 0);		/* PRF_AES128_CMAC */
	EXPECT_TRANS(&s[0], 6, RKMP_TRANS_PRF, 6, 0);
	EXPECT_TRANS(&s[0], 7, RKMP_TRANS_PRF, 7, 0);
	EXPECT_TRANS(&s[0], 8, RKMP_TRANS_INTEG, 2, 0);
	EXPECT_TRANS(&s[0], 9, RKMP_TRANS_INTEG, 12, 0);
	EXPECT_TRANS(&s[0], 10, RKMP_TRANS_INTEG, 5, 0);
	EXPECT_TRANS(&s[0], 11, RKMP_TRANS_INTEG, 8, 0);
	EXPECT_TRANS(&s[0], 14, RKMP_TRANS_DH, 14, 0);
	EXPECT_TRANS(&s[0], 15, RKMP_TRANS_DH, 19, 0);

	/* an explicit prf: nothing derived */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes192-sha1-prfsha512-ecp521", RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(s[0].ntrans, 4);
	EXPECT_TRANS(&s[0], 0, RKMP_TRANS_ENCR, 12, 192);
	EXPECT_TRANS(&s[0], 1, RKMP_TRANS_PRF, 7, 0);
	EXPECT_TRANS(&s[0], 2, RKMP_TRANS_INTEG, 2, 0);
	EXPECT_TRANS(&s[0], 3, RKMP_TRANS_DH, 21, 0);

	/* ChaCha: no key length */
	ASSERT_INT_EQ(rkmp_proposal_parse("chacha20poly1305-prfsha384-curve448", RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	EXPECT_TRANS(&s[0], 0, RKMP_TRANS_ENCR, 28, 0);

	/* ESP: NO_ESN unless told, no PRF, DH for PFS */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-sha256,aes256gcm16-esn-noesn-modp3072",
	    RKMP_PROTO_ESP, s, RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(s[0].protocol, RKMP_PROTO_ESP);
	ASSERT_INT_EQ(s[0].ntrans, 3);
	EXPECT_TRANS(&s[0], 0, RKMP_TRANS_ENCR, 12, 128);
	EXPECT_TRANS(&s[0], 1, RKMP_TRANS_INTEG, 12, 0);
	EXPECT_TRANS(&s[0], 2, RKMP_TRANS_ESN, 0, 0);
	ASSERT_INT_EQ(s[1].ntrans, 4);
	EXPECT_TRANS(&s[1], 0, RKMP_TRANS_ENCR, 20, 256);
	EXPECT_TRANS(&s[1], 1, RKMP_TRANS_DH, 15, 0);
	EXPECT_TRANS(&s[1], 2, RKMP_TRANS_ESN, 1, 0);
	EXPECT_TRANS(&s[1], 3, RKMP_TRANS_ESN, 0, 0);
}

/* AEAD and non-AEAD ciphers in one string: two proposals, not an error. */
TEST(proposal_parse_split)
{
	struct rkmp_prop_spec s[RKMP_PROPS_MAX];
	char text[256];
	size_t n;

	ASSERT_INT_EQ(rkmp_proposal_parse("aes256gcm16-aes128-sha256-x25519,aes256-sha1-modp2048",
	    RKMP_PROTO_IKE, s, RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 3);
	ASSERT_INT_EQ(s[0].ntrans, 3);				/* the AEAD half first */
	EXPECT_TRANS(&s[0], 0, RKMP_TRANS_ENCR, 20, 256);
	EXPECT_TRANS(&s[0], 1, RKMP_TRANS_PRF, 5, 0);		/* still derived from sha256 */
	EXPECT_TRANS(&s[0], 2, RKMP_TRANS_DH, 31, 0);
	ASSERT_INT_EQ(s[1].ntrans, 4);
	EXPECT_TRANS(&s[1], 0, RKMP_TRANS_ENCR, 12, 128);
	EXPECT_TRANS(&s[1], 1, RKMP_TRANS_PRF, 5, 0);
	EXPECT_TRANS(&s[1], 2, RKMP_TRANS_INTEG, 12, 0);
	EXPECT_TRANS(&s[1], 3, RKMP_TRANS_DH, 31, 0);
	EXPECT_TRANS(&s[2], 0, RKMP_TRANS_ENCR, 12, 256);
	rkmp_proposal_format_list(s, n, text, sizeof(text));
	ASSERT_STR_EQ(text, "aes256gcm16-prfsha256-x25519,aes128-sha256-prfsha256-x25519,"
	    "aes256-sha1-prfsha1-modp2048");

	/* non-AEAD named first: that half first */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-chacha20poly1305-aes256gcm16-sha256-prfsha384-ecp256",
	    RKMP_PROTO_IKE, s, RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 2);
	rkmp_proposal_format_list(s, n, text, sizeof(text));
	ASSERT_STR_EQ(text, "aes128-sha256-prfsha384-ecp256,"
	    "chacha20poly1305-aes256gcm16-prfsha384-ecp256");

	/* only AEAD: the INTEG keyword is dropped, its PRF kept (strongSwan) */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes256gcm16-sha384-ecp384", RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 1);
	rkmp_proposal_format_spec(&s[0], text, sizeof(text));
	ASSERT_STR_EQ(text, "aes256gcm16-prfsha384-ecp384");

	/* ESP too */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128gcm16-aes128-sha256-esn", RKMP_PROTO_ESP, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 2);
	rkmp_proposal_format_list(s, n, text, sizeof(text));
	ASSERT_STR_EQ(text, "aes128gcm16-esn,aes128-sha256-esn");

	/* the split counts against max */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes256gcm16-aes128-sha256-x25519", RKMP_PROTO_IKE, s,
	    1, &n), RKMP_E_USAGE);
	ASSERT_STR_EQ(rkmp_err_detail(),
	    "proposal 1 \"aes256gcm16-aes128-sha256-x25519\": more than 1 proposals");
	ASSERT_INT_EQ(n, 0);
}

static const struct {
	uint8_t		 protocol;
	const char	*list;
	const char	*detail;
} parse_errors[] = {
	{ RKMP_PROTO_IKE, "aes256gcm16-prfsha256-x25519,aes128-sha7",
	    "proposal 2 \"aes128-sha7\": unknown keyword \"sha7\"" },
	{ RKMP_PROTO_IKE, "aes128-sha256",
	    "proposal 1 \"aes128-sha256\": no DH group" },
	{ RKMP_PROTO_IKE, "aes256gcm16-x25519", "proposal 1 \"aes256gcm16-x25519\": "
	    "no PRF (a prf keyword, or an INTEG keyword to derive it from)" },
	{ RKMP_PROTO_IKE, "aes128-prfsha256-modp2048",
	    "proposal 1 \"aes128-prfsha256-modp2048\": no INTEG algorithm" },
	{ RKMP_PROTO_IKE, "sha256-modp2048",
	    "proposal 1 \"sha256-modp2048\": no ENCR algorithm" },
	{ RKMP_PROTO_IKE, "aes128-sha1-modp1024",
	    "proposal 1 \"aes128-sha1-modp1024\": keyword \"modp1024\" (MODP_1024) is not supported" },
	{ RKMP_PROTO_IKE, "3des-sha1-modp2048",
	    "proposal 1 \"3des-sha1-modp2048\": keyword \"3des\" (ENCR_3DES) is not supported" },
	{ RKMP_PROTO_IKE, "aes128-md5-modp2048",
	    "proposal 1 \"aes128-md5-modp2048\": keyword \"md5\" (AUTH_HMAC_MD5_96) is not supported" },
	{ RKMP_PROTO_IKE, "aes128-sha256-tcpopts-modp2048",
	    "proposal 1 \"aes128-sha256-tcpopts-modp2048\": keyword \"tcpopts\" is not for IKE proposals" },
	{ RKMP_PROTO_IKE, "aes128-sha256-esn-modp2048",
	    "proposal 1 \"aes128-sha256-esn-modp2048\": keyword \"esn\" is not for IKE proposals" },
	{ RKMP_PROTO_ESP, "aes128-sha256-prfsha256",
	    "proposal 1 \"aes128-sha256-prfsha256\": keyword \"prfsha256\" is not for ESP proposals" },
	{ RKMP_PROTO_ESP, "aes128-esn", "proposal 1 \"aes128-esn\": no INTEG algorithm" },
	{ RKMP_PROTO_TCP_AO, "aes128-sha1-tcpopts",
	    "proposal 1 \"aes128-sha1-tcpopts\": keyword \"aes128\" is not for TCP-AO proposals" },
	{ RKMP_PROTO_TCP_AO, "sha256-tcpopts",
	    "proposal 1 \"sha256-tcpopts\": keyword \"sha256\" is not for TCP-AO proposals" },
	{ RKMP_PROTO_TCP_AO, "md5-tcpopts",
	    "proposal 1 \"md5-tcpopts\": keyword \"md5\" is not for TCP-AO proposals" },
	{ RKMP_PROTO_TCP_AO, "sha1-bfdbase",
	    "proposal 1 \"sha1-bfdbase\": keyword \"bfdbase\" is not for TCP-AO proposals" },
	{ RKMP_PROTO_TCP_AO, "sha1", "proposal 1 \"sha1\": "
	    "no TCP options keyword (tcpopts or notcpopts)" },
	{ RKMP_PROTO_TCP_AO, "tcpopts-ecp256", "proposal 1 \"tcpopts-ecp256\": no INTEG algorithm" },
	{ RKMP_PROTO_BFD, "sha1-ecp256", "proposal 1 \"sha1-ecp256\": no BFD auth mode keyword "
	    "(bfdbase, bfdmeticulous, bfdgeneric or bfdgenericmeticulous)" },
	{ RKMP_PROTO_BFD, "aescmac-bfdbase",
	    "proposal 1 \"aescmac-bfdbase\": keyword \"aescmac\" is not for BFD proposals" },
	{ RKMP_PROTO_RSVP_TE, "x25519", "proposal 1 \"x25519\": "
	    "no RSVP-TE handshake keyword (handshake or nohandshake)" },
	{ RKMP_PROTO_RSVP_TE, "sha1-handshake",
	    "proposal 1 \"sha1-handshake\": keyword \"sha1\" is not for RSVP-TE proposals" },
	{ RKMP_PROTO_IKE, "", "empty proposal list" },
	{ RKMP_PROTO_IKE, "  ", "empty proposal list" },
	{ RKMP_PROTO_IKE, "aes128-sha256-modp2048,", "proposal 2 \"\": empty proposal" },
	{ RKMP_PROTO_IKE, "aes128--sha256", "proposal 1 \"aes128--sha256\": empty keyword" },
	{ RKMP_PROTO_IKE, "aes128-sha256-modp2048-", "proposal 1 \"aes128-sha256-modp2048-\": "
	    "empty keyword" },
	{ RKMP_PROTO_IKE, "aes128-averyveryveryveryveryveryverylongkeyword-modp2048",
	    "proposal 1 \"aes128-averyveryveryveryveryveryverylongkeyword-modp2048\": "
	    "unknown keyword \"averyveryveryveryveryveryverylongkeyword\"" },
	{ RKMP_PROTO_AH, "sha256", "protocol 2 (AH) has no proposals here "
	    "(IKE 1, ESP 3, TCP-AO 201, BFD 202, RSVP-TE 203, TCP-MD5 207)" },
};

TEST(proposal_parse_errors)
{
	struct rkmp_prop_spec s[RKMP_PROPS_MAX];
	size_t n;

	for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
		n = 99;
		rkmp_err_clear();
		ASSERT_INT_EQ(rkmp_proposal_parse(parse_errors[i].list, parse_errors[i].protocol, s,
		    RKMP_PROPS_MAX, &n), RKMP_E_USAGE);
		ASSERT_STR_EQ(rkmp_err_detail(), parse_errors[i].detail);
		ASSERT_STR_EQ(rkmp_err_where(), "proposal list");
		ASSERT_INT_EQ(n, 0);
	}
	ASSERT_INT_EQ(rkmp_proposal_parse(NULL, RKMP_PROTO_IKE, s, RKMP_PROPS_MAX, &n),
	    RKMP_E_USAGE);
	ASSERT_STR_EQ(rkmp_err_text(), "proposal list: empty proposal list");
	ASSERT_INT_EQ(rkmp_proposal_parse(RKMP_PROPOSAL_DEFAULT, RKMP_PROTO_IKE, s, 2, &n),
	    RKMP_E_USAGE);
	ASSERT_STR_EQ(rkmp_err_detail(),
	    "proposal 3 \"aes256-sha256-modp2048\": more than 2 proposals");
}

/* format_list parses back to the same specs, for every protocol. */
TEST(proposal_format_roundtrip)
{
	static const struct {
		uint8_t protocol;
		const char *list;
	} lists[] = {
		{ RKMP_PROTO_IKE, RKMP_PROPOSAL_DEFAULT },
		{ RKMP_PROTO_IKE, "aes128-aes192-sha1-sha256-aescmac-modp2048-ecp256-ecp521-x448" },
		{ RKMP_PROTO_IKE, "aes128gcm8-aes192gcm12-aes256gcm16-chacha20poly1305-prfaesxcbc-"
		    "modp4096,aes256gcm16-aes128-sha512-prfsha1-modp3072" },
		{ RKMP_PROTO_ESP, "aes256gcm16-aes128-sha256-esn-noesn-modp2048" },
		{ RKMP_PROTO_TCP_AO, "sha1-aescmac-tcpopts-notcpopts-ecp256,aescmac-notcpopts" },
		{ RKMP_PROTO_BFD, "md5-sha1-sha256-bfdbase-bfdgenericmeticulous,sha256-bfdgeneric-x25519" },
		{ RKMP_PROTO_RSVP_TE, "handshake-nohandshake-x25519,nohandshake" },
	};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct rkmp_prop_spec a[RKMP_PROPS_MAX], b[RKMP_PROPS_MAX];
		size_t na, nb;
		char text[1024];

		ASSERT_INT_EQ(rkmp_proposal_parse(lists[i].list, lists[i].protocol, a,
		    RKMP_PROPS_MAX, &na), 0);
		rkmp_proposal_format_list(a, na, text, sizeof(text));
		if (rkmp_proposal_parse(text, lists[i].protocol, b, RKMP_PROPS_MAX, &nb) != 0) {
			test_fail(__FILE__, __LINE__, "\"%s\" -> \"%s\": %s", lists[i].list, text,
			    rkmp_err_text());
			return;
		}
		ASSERT_INT_EQ(nb, na);
		for (size_t k = 0; k < na; k++)
			ASSERT_TRUE(spec_eq(&a[k], &b[k]));
	}
	/* every default list parses */
	for (unsigned p = 0; p < 256; p++) {
		struct rkmp_prop_spec a[RKMP_PROPS_MAX];
		const char *d = rkmp_proposal_default((uint8_t)p);
		size_t na;

		if (d != NULL)
			ASSERT_INT_EQ(rkmp_proposal_parse(d, (uint8_t)p, a, RKMP_PROPS_MAX, &na), 0);
	}
	ASSERT_TRUE(rkmp_proposal_default(RKMP_PROTO_AH) == NULL);
}

/* ------------------------------------------------------------------ SA payloads */

/* The worked vector's SAi1: AES-CBC-256 / PRF-HMAC-SHA2-256 / HMAC-SHA2-256-128 / group 19. */
TEST(proposal_sa_vector)
{
	struct rkmp_prop_spec s[RKMP_PROPS_MAX];
	struct rkmp_pld sa;
	struct rkmp_buf b;
	uint8_t *file, *msg = NULL;
	size_t flen, mlen = 0, n;
	char *line, *end;

	file = test_data_file("vectors/derived-ikev2-psk-keyschedule-example.txt", &flen);
	ASSERT_TRUE(file != NULL);
	file[flen] = '\0';
	line = strstr((char *)file, "\nike_sa_init_request = ");
	if (line != NULL) {
		line += strlen("\nike_sa_init_request = ");
		if ((end = strchr(line, '\n')) != NULL)
			*end = '\0';
		msg = test_hex(line, &mlen);
	}
	free(file);
	ASSERT_TRUE(msg != NULL);
	ASSERT_TRUE(mlen >= 28 + 48);
	ASSERT_INT_EQ(msg[16], RKMP_PLD_SA);			/* first payload: SA */

	rkmp_arena_reset(&ar);
	ASSERT_INT_EQ(rkmp_proposal_parse("aes256-sha256-ecp256", RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, n, NULL, 0, &sa), 0);
	ASSERT_INT_EQ(sa.type, RKMP_PLD_SA);
	ASSERT_TRUE(sa.known);
	ASSERT_INT_EQ(sa.u.sa.prop[0].trans[0].key_length, 256);
	ASSERT_INT_EQ(sa.u.sa.prop[0].trans[1].key_length, -1);
	rkmp_buf_init(&b, 0);
	ASSERT_INT_EQ(rkmp_msg_encode_chain(&sa, 1, &b), 0);
	ASSERT_INT_EQ(b.len, 48);
	/* alone in the chain its Next Payload is 0; in the vector it is KE (34) */
	ASSERT_INT_EQ(b.p[0], 0);
	ASSERT_INT_EQ(msg[28], RKMP_PLD_KE);
	ASSERT_MEM_EQ(b.p + 1, msg + 28 + 1, 47);
	rkmp_buf_free(&b);
	free(msg);
}

/* The draft's Fig. 4: TCP-AO, SPI (KeyID) 0x01, INTEG{SHA1_96, CMAC_96}, TCP{PROTECT, NO_PROTECT}. */
TEST(proposal_sa_tcpao_fig4)
{
	static const char want_hex[] =
	    "0000002d"					/* SA header, length 45 */
	    "00000029 01 c9 01 04 01"			/* proposal 1, TCP-AO (201), SPI size 1, 4 transforms, SPI 01 */
	    "03000008 03 00 0002"			/* INTEG AUTH_HMAC_SHA1_96 */
	    "03000008 03 00 0008"			/* INTEG AUTH_AES_CMAC_96 */
	    "03000008 f1 00 0001"			/* TCP options PROTECT_OPTIONS */
	    "00000008 f1 00 0000";			/* TCP options NO_PROTECT_OPTIONS */
	static const uint8_t spi = 0x01;
	struct rkmp_prop_spec s[RKMP_PROPS_MAX];
	struct rkmp_prop_choice c;
	struct rkmp_pld sa, *dec;
	struct rkmp_buf b;
	const uint8_t *pspi;
	uint8_t *want;
	size_t n, wlen, ndec, pspi_len;
	char text[128];

	rkmp_arena_reset(&ar);
	ASSERT_INT_EQ(rkmp_proposal_parse("sha1-aescmac-tcpopts-notcpopts", RKMP_PROTO_TCP_AO, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(s[0].ntrans, 4);
	EXPECT_TRANS(&s[0], 0, RKMP_TRANS_INTEG, 2, 0);
	EXPECT_TRANS(&s[0], 1, RKMP_TRANS_INTEG, 8, 0);
	EXPECT_TRANS(&s[0], 2, RKMP_TRANS_TCP_OPTIONS, 1, 0);
	EXPECT_TRANS(&s[0], 3, RKMP_TRANS_TCP_OPTIONS, 0, 0);
	ASSERT_INT_EQ(rkmp_proposal_first_group(s, n), -1);
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, n, &spi, 1, &sa), 0);
	ASSERT_INT_EQ(sa.u.sa.prop[0].spi_size, 1);
	rkmp_buf_init(&b, 0);
	ASSERT_INT_EQ(rkmp_msg_encode_chain(&sa, 1, &b), 0);
	ASSERT_TRUE((want = test_hex(want_hex, &wlen)) != NULL);
	ASSERT_INT_EQ(b.len, wlen);
	ASSERT_MEM_EQ(b.p, want, wlen);
	free(want);

	/* the responder (same list) picks Fig. 5: HMAC_SHA1_96, PROTECT_OPTIONS, and the KeyID */
	ASSERT_INT_EQ(rkmp_msg_decode_chain(&ar, RKMP_PLD_SA, b.p, b.len, &dec, &ndec, false), 0);
	ASSERT_INT_EQ(ndec, 1);
	ASSERT_INT_EQ(rkmp_proposal_select(dec, s, n, &c, &pspi, &pspi_len), 0);
	ASSERT_INT_EQ(pspi_len, 1);
	ASSERT_INT_EQ(pspi[0], 0x01);
	ASSERT_INT_EQ(c.num, 1);
	ASSERT_INT_EQ(c.protocol, RKMP_PROTO_TCP_AO);
	ASSERT_INT_EQ(c.ntrans, 2);
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_INTEG, NULL), 2);
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_TCP_OPTIONS, NULL), 1);
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_DH, NULL), -1);
	rkmp_proposal_format(&c, text, sizeof(text));
	ASSERT_STR_EQ(text, "sha1-tcpopts");

	/* one that wants NO_PROTECT_OPTIONS only picks ID 0, a real value here */
	ASSERT_INT_EQ(rkmp_proposal_parse("aescmac-notcpopts", RKMP_PROTO_TCP_AO, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_select(dec, s, n, &c, NULL, NULL), 0);
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_INTEG, NULL), 8);
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_TCP_OPTIONS, NULL), 0);
	rkmp_proposal_format(&c, text, sizeof(text));
	ASSERT_STR_EQ(text, "aescmac-notcpopts");
	rkmp_buf_free(&b);
}

TEST(proposal_sa_bfd_rsvp)
{
	static const uint8_t spi6[6] = { 0, 0, 0, 0, 0x12, 0x34 }, spi1 = 7;
	struct rkmp_prop_spec s[RKMP_PROPS_MAX];
	struct rkmp_prop_choice c;
	struct rkmp_pld sa;
	const uint8_t *pspi;
	size_t n, pspi_len;
	char text[128];

	rkmp_arena_reset(&ar);
	ASSERT_INT_EQ(rkmp_proposal_parse("md5-sha1-bfdmeticulous-bfdbase-ecp256,"
	    "sha256-bfdgenericmeticulous-bfdgeneric", RKMP_PROTO_BFD, s, RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 2);
	EXPECT_TRANS(&s[0], 0, RKMP_TRANS_INTEG, 1, 0);
	EXPECT_TRANS(&s[0], 1, RKMP_TRANS_INTEG, 2, 0);
	EXPECT_TRANS(&s[0], 2, RKMP_TRANS_DH, 19, 0);
	EXPECT_TRANS(&s[0], 3, RKMP_TRANS_BFD_AUTH, 1, 0);
	EXPECT_TRANS(&s[0], 4, RKMP_TRANS_BFD_AUTH, 0, 0);
	EXPECT_TRANS(&s[1], 0, RKMP_TRANS_INTEG, 12, 0);
	EXPECT_TRANS(&s[1], 1, RKMP_TRANS_BFD_AUTH, 3, 0);
	EXPECT_TRANS(&s[1], 2, RKMP_TRANS_BFD_AUTH, 2, 0);
	ASSERT_INT_EQ(rkmp_proposal_first_group(s, n), 19);
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, n, &spi1, 1, &sa), 0);
	ASSERT_INT_EQ(sa.u.sa.prop[1].num, 2);
	ASSERT_INT_EQ(rkmp_proposal_parse("sha256-bfdgeneric", RKMP_PROTO_BFD, s, RKMP_PROPS_MAX,
	    &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_select(&sa, s, n, &c, &pspi, &pspi_len), 0);
	ASSERT_INT_EQ(c.num, 2);
	ASSERT_INT_EQ(pspi[0], 7);
	rkmp_proposal_format(&c, text, sizeof(text));
	ASSERT_STR_EQ(text, "sha256-bfdgeneric");

	ASSERT_INT_EQ(rkmp_proposal_parse("nohandshake-handshake-x25519", RKMP_PROTO_RSVP_TE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(s[0].ntrans, 3);
	EXPECT_TRANS(&s[0], 0, RKMP_TRANS_DH, 31, 0);
	EXPECT_TRANS(&s[0], 1, RKMP_TRANS_RSVP_HS, 0, 0);
	EXPECT_TRANS(&s[0], 2, RKMP_TRANS_RSVP_HS, 1, 0);
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, n, spi6, 6, &sa), 0);
	ASSERT_INT_EQ(rkmp_proposal_select(&sa, s, n, &c, &pspi, &pspi_len), 0);
	ASSERT_INT_EQ(pspi_len, 6);
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_RSVP_HS, NULL), 0);
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_DH, NULL), 31);
	rkmp_proposal_format(&c, text, sizeof(text));
	ASSERT_STR_EQ(text, "x25519-nohandshake");

	/* an RSVP-TE responder without PFS refuses an offer with DH */
	ASSERT_INT_EQ(rkmp_proposal_parse("handshake", RKMP_PROTO_RSVP_TE, s, RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_select(&sa, s, n, &c, NULL, NULL), RKMP_E_REFUSED);
	ASSERT_STR_EQ(rkmp_err_detail(), "no proposal chosen: offered "
	    "x25519-nohandshake-handshake, accepted handshake");
}

/* ------------------------------------------------------------------ strongSwan exchanges */

enum { SS_SA, SS_INVALID_KE, SS_NO_PROPOSAL };

/*
 * Each IKE_SA_INIT request strongSwan's initiator sent, with the answer its
 * responder gave.  ours = our list as that responder; offer = the initiator's
 * list (checked against the request's SA, then used to accept the answer).
 */
static const struct {
	const char	*req, *resp;
	const char	*ours, *offer;
	int		 expect;
} ss_cases[] = {
	{ "a-aes128-cbc-modp2048-01.bin", "a-aes128-cbc-modp2048-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "a2-aes256-cbc-modp2048-01.bin", "a2-aes256-cbc-modp2048-02.bin",
	    RKMP_PROPOSAL_DEFAULT, "aes256-sha256-modp2048", SS_SA },
	{ "b-aes256gcm-ecp256-01.bin", "b-aes256gcm-ecp256-02.bin",
	    RKMP_PROPOSAL_DEFAULT, "aes256gcm16-prfsha256-ecp256", SS_SA },
	{ "c-chacha20poly1305-x25519-01.bin", "c-chacha20poly1305-x25519-02.bin",
	    RKMP_PROPOSAL_DEFAULT ",chacha20poly1305-prfsha256-x25519",
	    "chacha20poly1305-prfsha256-x25519", SS_SA },
	{ "d-rekey-child-and-ike-01.bin", "d-rekey-child-and-ike-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "e-informational-dpd-delete-01.bin", "e-informational-dpd-delete-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "f-cookie-01.bin", "f-cookie-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "f-cookie-05.bin", "f-cookie-06.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "g-invalid-ke-01.bin", "g-invalid-ke-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-ecp384-modp2048", SS_INVALID_KE },
	{ "g-invalid-ke-03.bin", "g-invalid-ke-04.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048-ecp384", SS_SA },
	{ "h-fragmentation-01.bin", "h-fragmentation-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "i-childless-then-create-child-01.bin", "i-childless-then-create-child-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "j-auth-failed-01.bin", "j-auth-failed-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "k-no-proposal-chosen-01.bin", "k-no-proposal-chosen-02.bin",
	    "aes128-sha256-modp2048", NULL, SS_NO_PROPOSAL },
	{ "k-no-proposal-chosen-01.bin", "k-no-proposal-chosen-02.bin",
	    RKMP_PROPOSAL_DEFAULT, NULL, SS_NO_PROPOSAL },
	{ "l-ipv4-identities-01.bin", "l-ipv4-identities-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "m-nondefault-port-5500-01.bin", "m-nondefault-port-5500-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "n-libipsec-esp-natt-01.bin", "n-libipsec-esp-natt-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "p-probe-childless-and-invalid-ke-01.bin", "p-probe-childless-and-invalid-ke-02.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "p-probe-childless-and-invalid-ke-07.bin", "p-probe-childless-and-invalid-ke-08.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_INVALID_KE },
	{ "p-probe-childless-and-invalid-ke-09.bin", "p-probe-childless-and-invalid-ke-10.bin",
	    "aes128-sha256-modp2048", "aes128-sha256-modp2048", SS_SA },
	{ "q-ip-fragments-modp4096-04.bin", "q-ip-fragments-modp4096-06.bin",
	    "aes256-sha256-modp4096", "aes256-sha256-modp4096", SS_SA },
	{ "r-ipv6-07.bin", "r-ipv6-08.bin", "aes128-sha256-modp2048",
	    "aes128-sha256-modp2048,aes256-sha256-modp2048,aes256gcm16-prfsha256-ecp256,"
	    "chacha20poly1305-prfsha256-x25519", SS_SA },
};

TEST(proposal_strongswan_select)
{
	for (size_t i = 0; i < sizeof(ss_cases) / sizeof(ss_cases[0]); i++) {
		struct rkmp_prop_spec ours[RKMP_PROPS_MAX], off[RKMP_PROPS_MAX];
		struct rkmp_prop_choice c, c2;
		struct rkmp_msg req, resp;
		const struct rkmp_pld *sa, *rsa, *ke, *nt;
		struct rkmp_pld mine;
		const uint8_t *pspi;
		size_t nours, noff = 0, pspi_len = 99;
		int r;

		rkmp_arena_reset(&ar);
		if (load_msg(ss_cases[i].req, &req) != 0 || load_msg(ss_cases[i].resp, &resp) != 0)
			return;
		ASSERT_TRUE((sa = rkmp_msg_find(req.pld, req.npld, RKMP_PLD_SA)) != NULL);
		ASSERT_TRUE((ke = rkmp_msg_find(req.pld, req.npld, RKMP_PLD_KE)) != NULL);
		ASSERT_INT_EQ(rkmp_proposal_parse(ss_cases[i].ours, RKMP_PROTO_IKE, ours,
		    RKMP_PROPS_MAX, &nours), 0);

		/* the initiator's list gives exactly the SA strongSwan sent */
		if (ss_cases[i].offer != NULL) {
			ASSERT_INT_EQ(rkmp_proposal_parse(ss_cases[i].offer, RKMP_PROTO_IKE, off,
			    RKMP_PROPS_MAX, &noff), 0);
			ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, off, noff, NULL, 0, &mine), 0);
			if (!sa_same(&mine, sa)) {
				test_fail(__FILE__, __LINE__, "%s: \"%s\" is not its SA",
				    ss_cases[i].req, ss_cases[i].offer);
				return;
			}
		}

		r = rkmp_proposal_select(sa, ours, nours, &c, &pspi, &pspi_len);
		if (ss_cases[i].expect == SS_NO_PROPOSAL) {
			ASSERT_INT_EQ(r, RKMP_E_REFUSED);
			ASSERT_TRUE(rkmp_msg_find_notify(resp.pld, resp.npld, 14) != NULL);
			ASSERT_STR_CONTAINS(rkmp_err_detail(),
			    "no proposal chosen: offered aes128-sha1-prfsha1-modp1024, accepted ");
			continue;
		}
		if (r != 0) {
			test_fail(__FILE__, __LINE__, "%s: %s", ss_cases[i].req, rkmp_err_text());
			return;
		}
		ASSERT_INT_EQ(pspi_len, 0);
		if (ss_cases[i].expect == SS_INVALID_KE) {
			/* we would choose the group strongSwan asked for, not the KE sent */
			ASSERT_TRUE((nt = rkmp_msg_find_notify(resp.pld, resp.npld,
			    RKMP_N_INVALID_KE_PAYLOAD)) != NULL);
			ASSERT_INT_EQ(nt->u.notify.len, 2);
			ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_DH, NULL),
			    rkmp_get16(nt->u.notify.data));
			ASSERT_INT_NE(ke->u.ke.group, rkmp_get16(nt->u.notify.data));
			continue;
		}
		/* the same choice as strongSwan's answer, transform by transform */
		ASSERT_TRUE((rsa = rkmp_msg_find(resp.pld, resp.npld, RKMP_PLD_SA)) != NULL);
		ASSERT_INT_EQ(rsa->u.sa.nprop, 1);
		ASSERT_INT_EQ(c.num, rsa->u.sa.prop[0].num);
		ASSERT_INT_EQ(c.ntrans, rsa->u.sa.prop[0].ntrans);
		for (size_t t = 0; t < rsa->u.sa.prop[0].ntrans; t++) {
			const struct rkmp_transform *x = &rsa->u.sa.prop[0].trans[t];
			uint16_t kb = 99;

			if (rkmp_proposal_get(&c, x->type, &kb) != x->id ||
			    (x->key_length < 0 ? kb != 0 : kb != x->key_length)) {
				test_fail(__FILE__, __LINE__, "%s: transform %zu differs",
				    ss_cases[i].req, t);
				return;
			}
		}
		ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_DH, NULL), ke->u.ke.group);
		/* and the initiator accepts that answer as the same choice */
		if (rkmp_proposal_accept(rsa, off, noff, &c2, &pspi, &pspi_len) != 0) {
			test_fail(__FILE__, __LINE__, "%s: %s", ss_cases[i].resp, rkmp_err_text());
			return;
		}
		ASSERT_TRUE(choice_eq(&c, &c2));
		ASSERT_INT_EQ(pspi_len, 0);
	}
}

/* Whose order wins: the peer's (the header's contract) or ours (strongSwan's default). */
TEST(proposal_select_order)
{
	struct rkmp_prop_spec s[RKMP_PROPS_MAX];
	struct rkmp_prop_choice c;
	struct rkmp_msg req;
	const struct rkmp_pld *sa;
	char text[128];
	size_t n;

	rkmp_arena_reset(&ar);
	if (load_msg("r-ipv6-07.bin", &req) != 0)
		return;
	ASSERT_TRUE((sa = rkmp_msg_find(req.pld, req.npld, RKMP_PLD_SA)) != NULL);
	ASSERT_INT_EQ(rkmp_proposal_parse(RKMP_PROPOSAL_DEFAULT, RKMP_PROTO_IKE, s, RKMP_PROPS_MAX,
	    &n), 0);
	/* the peer's order: its proposal 2 is the first one we take */
	ASSERT_INT_EQ(rkmp_proposal_select(sa, s, n, &c, NULL, NULL), 0);
	ASSERT_INT_EQ(c.num, 2);
	rkmp_proposal_format(&c, text, sizeof(text));
	ASSERT_STR_EQ(text, "aes256-sha256-prfsha256-modp2048");
	ASSERT_INT_EQ(rkmp_proposal_select_pref(sa, s, n, RKMP_PROP_PREFER_PEER, &c, NULL, NULL), 0);
	ASSERT_INT_EQ(c.num, 2);
	/* ours: our second spec (GCM, ECP 256) is its proposal 3 */
	ASSERT_INT_EQ(rkmp_proposal_select_pref(sa, s, n, RKMP_PROP_PREFER_OURS, &c, NULL, NULL), 0);
	ASSERT_INT_EQ(c.num, 3);
	rkmp_proposal_format(&c, text, sizeof(text));
	ASSERT_STR_EQ(text, "aes256gcm16-prfsha256-ecp256");

	/* within a type: g-invalid-ke-03 offers MODP_2048 then ECP_384 */
	if (load_msg("g-invalid-ke-03.bin", &req) != 0)
		return;
	ASSERT_TRUE((sa = rkmp_msg_find(req.pld, req.npld, RKMP_PLD_SA)) != NULL);
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-sha256-ecp384-modp2048", RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_select(sa, s, n, &c, NULL, NULL), 0);
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_DH, NULL), 14);
	ASSERT_INT_EQ(rkmp_proposal_select_pref(sa, s, n, RKMP_PROP_PREFER_OURS, &c, NULL, NULL), 0);
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_DH, NULL), 20);
}

TEST(proposal_no_proposal_chosen)
{
	struct rkmp_prop_spec s[RKMP_PROPS_MAX];
	struct rkmp_prop_choice c;
	struct rkmp_msg req;
	const struct rkmp_pld *sa;
	struct rkmp_pld esp;
	static const uint8_t spi4[4] = { 1, 2, 3, 4 };
	size_t n;

	rkmp_arena_reset(&ar);
	if (load_msg("k-no-proposal-chosen-01.bin", &req) != 0)
		return;
	ASSERT_TRUE((sa = rkmp_msg_find(req.pld, req.npld, RKMP_PLD_SA)) != NULL);
	ASSERT_INT_EQ(rkmp_proposal_parse(RKMP_PROPOSAL_DEFAULT, RKMP_PROTO_IKE, s, RKMP_PROPS_MAX,
	    &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_select(sa, s, n, &c, NULL, NULL), RKMP_E_REFUSED);
	ASSERT_STR_EQ(rkmp_err_where(), "SA payload");
	ASSERT_STR_EQ(rkmp_err_detail(), "no proposal chosen: offered aes128-sha1-prfsha1-modp1024, "
	    "accepted aes256gcm16-prfsha256-x25519,aes256gcm16-prfsha256-ecp256,"
	    "aes256-sha256-prfsha256-modp2048");

	/* another protocol's offer is named with its protocol */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-sha256", RKMP_PROTO_ESP, s, RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, n, spi4, 4, &esp), 0);
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-sha256-modp2048", RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_select(&esp, s, n, &c, NULL, NULL), RKMP_E_REFUSED);
	ASSERT_STR_EQ(rkmp_err_detail(), "no proposal chosen: offered ESP:aes128-sha256-noesn, "
	    "accepted aes128-sha256-prfsha256-modp2048");

	/* a long offer is cut with ",..." and the detail still names what we accept */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-aes192-aes256-aes128gcm16-sha1-sha256-sha384-"
	    "sha512-aesxcbc-modp2048-modp3072-modp4096-ecp256-ecp384-ecp521-x25519-x448",
	    RKMP_PROTO_IKE, s, RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(n, 2);
	memcpy(&s[2], &s[0], sizeof(s[0]));
	memcpy(&s[3], &s[1], sizeof(s[1]));
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, 4, NULL, 0, &esp), 0);
	ASSERT_INT_EQ(rkmp_proposal_parse("chacha20poly1305-prfsha256-x25519", RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_select(&esp, s, n, &c, NULL, NULL), RKMP_E_REFUSED);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), ",..., accepted chacha20poly1305-prfsha256-x25519");
}

/* ------------------------------------------------------------------ selection rules */

TEST(proposal_select_rules)
{
	struct rkmp_prop_spec def[RKMP_PROPS_MAX], s[RKMP_PROPS_MAX];
	struct rkmp_prop_choice c;
	struct rkmp_pld sa;
	struct rkmp_attr *x;
	size_t ndef, n;
	char text[128];

	rkmp_arena_reset(&ar);
	ASSERT_INT_EQ(rkmp_proposal_parse(RKMP_PROPOSAL_DEFAULT, RKMP_PROTO_IKE, def,
	    RKMP_PROPS_MAX, &ndef), 0);

	/* an unknown transform type makes a proposal unacceptable ... */
	{
		struct rkmp_prop_spec p[2] = {
			{ RKMP_PROTO_IKE, 5, { T(1, 12, 256), T(2, 5, 0), T(3, 12, 0), T(4, 14, 0),
			    T(6, 36, 0) } },
			{ RKMP_PROTO_IKE, 4, { T(1, 12, 256), T(2, 5, 0), T(3, 12, 0), T(4, 14, 0) } },
		};

		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, p, 2, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, def, ndef, &c, NULL, NULL), 0);
		ASSERT_INT_EQ(c.num, 2);
		/* ... unless it offers NONE of it (RFC 9370 ADDKE: optional) */
		p[0].trans[4].id = 0;
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, p, 2, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, def, ndef, &c, NULL, NULL), 0);
		ASSERT_INT_EQ(c.num, 1);
		ASSERT_INT_EQ(c.ntrans, 4);
		ASSERT_INT_EQ(rkmp_proposal_get(&c, 6, NULL), -1);
	}
	/* an unknown attribute makes only that transform unacceptable */
	{
		struct rkmp_prop_spec p = { RKMP_PROTO_IKE, 5,
		    { T(1, 12, 128), T(1, 12, 256), T(2, 5, 0), T(3, 12, 0), T(4, 14, 0) } };

		ASSERT_INT_EQ(rkmp_proposal_parse("aes128-sha256-modp2048,aes256-sha256-modp2048",
		    RKMP_PROTO_IKE, s, RKMP_PROPS_MAX, &n), 0);
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, s, n, &c, NULL, NULL), 0);
		ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_ENCR, NULL), 12);
		ASSERT_INT_EQ(c.trans[0].key_bits, 128);
		ASSERT_TRUE((x = rkmp_arena_alloc(&ar, 2 * sizeof(*x))) != NULL);
		x[0] = sa.u.sa.prop[0].trans[0].attr[0];
		x[1].type = 17;
		x[1].tv = true;
		x[1].value = 1;
		sa.u.sa.prop[0].trans[0].attr = x;
		sa.u.sa.prop[0].trans[0].nattr = 2;
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, s, n, &c, NULL, NULL), 0);
		ASSERT_INT_EQ(c.trans[0].key_bits, 256);
	}
	/* ChaCha with a Key Length attribute is refused; a key length must match exactly */
	{
		struct rkmp_prop_spec p = { RKMP_PROTO_IKE, 3, { T(1, 28, 256), T(2, 5, 0), T(4, 31, 0) } };

		ASSERT_INT_EQ(rkmp_proposal_parse("chacha20poly1305-prfsha256-x25519", RKMP_PROTO_IKE,
		    s, RKMP_PROPS_MAX, &n), 0);
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, s, n, &c, NULL, NULL), RKMP_E_REFUSED);
		ASSERT_STR_EQ(rkmp_err_detail(), "no proposal chosen: offered "
		    "ENCR_CHACHA20_POLY1305_256-prfsha256-x25519, "
		    "accepted chacha20poly1305-prfsha256-x25519");
		p.trans[0].key_bits = 0;
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, s, n, &c, NULL, NULL), 0);
		/* AES without its Key Length, or with 192 against our 256 */
		p.trans[0] = (struct rkmp_prop_transform)T(1, 20, 0);
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, def, ndef, &c, NULL, NULL), RKMP_E_REFUSED);
		p.trans[0].key_bits = 192;
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, def, ndef, &c, NULL, NULL), RKMP_E_REFUSED);
		ASSERT_STR_CONTAINS(rkmp_err_detail(), "offered aes192gcm16-prfsha256-x25519,");
		p.trans[0].key_bits = 256;
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, def, ndef, &c, NULL, NULL), 0);
	}
	/* AEAD with INTEG NONE: accepted, NONE not echoed */
	{
		struct rkmp_prop_spec p = { RKMP_PROTO_IKE, 4,
		    { T(1, 20, 256), T(2, 5, 0), T(3, 0, 0), T(4, 31, 0) } };

		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, def, ndef, &c, NULL, NULL), 0);
		ASSERT_INT_EQ(c.ntrans, 3);
		ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_INTEG, NULL), -1);
	}
	/* a mixed AEAD/non-AEAD proposal: the first cipher we take; INTEG ignored after AEAD */
	{
		struct rkmp_prop_spec p = { RKMP_PROTO_IKE, 5,
		    { T(1, 20, 256), T(1, 12, 256), T(2, 5, 0), T(3, 12, 0), T(4, 31, 0) } };

		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, def, ndef, &c, NULL, NULL), 0);
		rkmp_proposal_format(&c, text, sizeof(text));
		ASSERT_STR_EQ(text, "aes256gcm16-prfsha256-x25519");
		/* with ECP 256 only our spec 2; with MODP 2048 only the CBC one fits */
		p.trans[4].id = 14;
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, def, ndef, &c, NULL, NULL), 0);
		rkmp_proposal_format(&c, text, sizeof(text));
		ASSERT_STR_EQ(text, "aes256-sha256-prfsha256-modp2048");
	}
	/* a proposal missing a type we have (DH) is unacceptable */
	{
		struct rkmp_prop_spec p = { RKMP_PROTO_IKE, 3, { T(1, 12, 256), T(2, 5, 0), T(3, 12, 0) } };

		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, def, ndef, &c, NULL, NULL), RKMP_E_REFUSED);
		ASSERT_STR_CONTAINS(rkmp_err_detail(), "offered aes256-sha256-prfsha256, accepted ");
	}
	/* ESP: DH for PFS offered but not configured -> refused; DH NONE is fine */
	{
		static const uint8_t spi4[4] = { 0xc0, 0, 0, 1 };
		struct rkmp_prop_spec p = { RKMP_PROTO_ESP, 4,
		    { T(1, 20, 128), T(4, 19, 0), T(4, 0, 0), T(5, 0, 0) } };
		const uint8_t *pspi;
		size_t pspi_len;

		ASSERT_INT_EQ(rkmp_proposal_parse("aes128gcm16", RKMP_PROTO_ESP, s, RKMP_PROPS_MAX, &n),
		    0);
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, spi4, 4, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, s, n, &c, &pspi, &pspi_len), 0);
		ASSERT_INT_EQ(pspi_len, 4);
		ASSERT_MEM_EQ(pspi, spi4, 4);
		ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_DH, NULL), -1);
		ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_ESN, NULL), 0);
		p.ntrans = 2;
		p.trans[1] = (struct rkmp_prop_transform)T(5, 0, 0);
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, spi4, 4, &sa), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, s, n, &c, NULL, NULL), 0);
		ASSERT_INT_EQ(rkmp_proposal_parse("aes128gcm16-ecp256", RKMP_PROTO_ESP, s,
		    RKMP_PROPS_MAX, &n), 0);
		ASSERT_INT_EQ(rkmp_proposal_select(&sa, s, n, &c, NULL, NULL), RKMP_E_REFUSED);
	}
	/* not a decoded SA payload: a bug of the caller */
	{
		struct rkmp_pld none;

		memset(&none, 0, sizeof(none));
		none.type = RKMP_PLD_KE;
		ASSERT_INT_EQ(rkmp_proposal_select(&none, def, ndef, &c, NULL, NULL), RKMP_E_INTERNAL);
		ASSERT_INT_EQ(rkmp_proposal_accept(&none, def, ndef, &c, NULL, NULL), RKMP_E_INTERNAL);
	}
}

/* ------------------------------------------------------------------ initiator */

TEST(proposal_accept_errors)
{
	static const uint8_t spi8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rkmp_prop_spec off[RKMP_PROPS_MAX], s[RKMP_PROPS_MAX];
	struct rkmp_prop_choice c;
	struct rkmp_pld ans;
	const uint8_t *pspi;
	size_t noff, n, pspi_len;
	struct rkmp_attr *x;

	rkmp_arena_reset(&ar);
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-sha256-modp2048", RKMP_PROTO_IKE, off,
	    RKMP_PROPS_MAX, &noff), 0);

	/* the straight answer, with an IKE rekey's 8-octet SPI */
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, off, noff, spi8, 8, &ans), 0);
	ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, &pspi, &pspi_len), 0);
	ASSERT_INT_EQ(pspi_len, 8);
	ASSERT_MEM_EQ(pspi, spi8, 8);
	ASSERT_INT_EQ(c.ntrans, 4);

	/* two proposals */
	memcpy(&s[0], &off[0], sizeof(s[0]));
	memcpy(&s[1], &off[0], sizeof(s[1]));
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, 2, NULL, 0, &ans), 0);
	ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, NULL, NULL), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_text(), "SA payload: answer has 2 proposals, expected 1");

	/* a proposal number we did not send */
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, off, noff, NULL, 0, &ans), 0);
	ans.u.sa.prop[0].num = 2;
	ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, NULL, NULL), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "answer proposal number 2, we sent 1..1");

	/* a transform not offered */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-sha1-prfsha256-modp2048", RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, n, NULL, 0, &ans), 0);
	ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, NULL, NULL), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "answer proposal 1 has AUTH_HMAC_SHA1_96, not offered");

	/* the key length changed */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes192-sha256-modp2048", RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, n, NULL, 0, &ans), 0);
	ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, NULL, NULL), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(),
	    "answer proposal 1 has ENCR_AES_CBC key_length 192, not offered");

	/* two of one type */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-sha256-modp2048-ecp256", RKMP_PROTO_IKE, s,
	    RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, n, NULL, 0, &ans), 0);
	ASSERT_INT_EQ(rkmp_proposal_accept(&ans, s, n, &c, NULL, NULL), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "answer proposal 1 has more than one DH transform");

	/* a type left out */
	{
		struct rkmp_prop_spec p = { RKMP_PROTO_IKE, 3, { T(1, 12, 128), T(2, 5, 0), T(3, 12, 0) } };

		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &ans), 0);
		ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, NULL, NULL), RKMP_E_INVALID);
		ASSERT_STR_EQ(rkmp_err_detail(), "answer proposal 1 has no DH transform");
	}

	/* another protocol */
	ASSERT_INT_EQ(rkmp_proposal_parse("aes128-sha256", RKMP_PROTO_ESP, s, RKMP_PROPS_MAX, &n), 0);
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, s, n, spi8, 4, &ans), 0);
	ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, NULL, NULL), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "answer proposal 1 has protocol ESP, we offered IKE");

	/* an attribute we never sent */
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, off, noff, NULL, 0, &ans), 0);
	ASSERT_TRUE((x = rkmp_arena_alloc(&ar, 2 * sizeof(*x))) != NULL);
	x[0] = ans.u.sa.prop[0].trans[0].attr[0];
	x[1].type = 17;
	x[1].tv = true;
	ans.u.sa.prop[0].trans[0].attr = x;
	ans.u.sa.prop[0].trans[0].nattr = 2;
	ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, NULL, NULL), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(),
	    "answer proposal 1 has ENCR_AES_CBC key_length 128 with attribute type 17, not offered");

	/* ChaCha answered with a key length we did not send */
	ASSERT_INT_EQ(rkmp_proposal_parse("chacha20poly1305-prfsha256-x25519", RKMP_PROTO_IKE, off,
	    RKMP_PROPS_MAX, &noff), 0);
	{
		struct rkmp_prop_spec p = { RKMP_PROTO_IKE, 3, { T(1, 28, 256), T(2, 5, 0), T(4, 31, 0) } };

		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, &p, 1, NULL, 0, &ans), 0);
		ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, NULL, NULL), RKMP_E_INVALID);
		ASSERT_STR_EQ(rkmp_err_detail(),
		    "answer proposal 1 has ENCR_CHACHA20_POLY1305 key_length 256, not offered");
	}

	/* the answer to our second proposal checks against that one */
	ASSERT_INT_EQ(rkmp_proposal_parse(RKMP_PROPOSAL_DEFAULT, RKMP_PROTO_IKE, off,
	    RKMP_PROPS_MAX, &noff), 0);
	{
		struct rkmp_prop_choice want = { 2, RKMP_PROTO_IKE, 3,
		    { T(1, 20, 256), T(2, 5, 0), T(4, 19, 0) } };

		ASSERT_INT_EQ(rkmp_proposal_choice_to_sa(&ar, &want, NULL, 0, &ans), 0);
		ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, NULL, NULL), 0);
		ASSERT_TRUE(choice_eq(&c, &want));
		ans.u.sa.prop[0].num = 1;
		ASSERT_INT_EQ(rkmp_proposal_accept(&ans, off, noff, &c, NULL, NULL), RKMP_E_INVALID);
		ASSERT_STR_EQ(rkmp_err_detail(), "answer proposal 1 has ECP_256, not offered");
	}
}

/* Initiator SA -> bytes -> responder -> SAr bytes -> initiator: one choice throughout. */
TEST(proposal_exchange_roundtrip)
{
	static const uint8_t spi_i[4] = { 0xca, 0xfe, 0, 1 }, spi_r[4] = { 0xbe, 0xef, 0, 2 };
	static const struct {
		uint8_t protocol;
		const char *init, *resp, *want;
	} cases[] = {
		{ RKMP_PROTO_IKE, RKMP_PROPOSAL_DEFAULT, "aes256-sha256-modp2048,aes256gcm16-prfsha256-ecp256",
		    "aes256gcm16-prfsha256-ecp256" },
		{ RKMP_PROTO_IKE, "aes128-aes256-sha1-sha256-ecp384-modp2048", "aes256-sha256-modp2048",
		    "aes256-sha256-prfsha256-modp2048" },
		{ RKMP_PROTO_ESP, "aes256gcm16-aes128-sha256-esn-noesn", "aes128-sha256-noesn",
		    "aes128-sha256-noesn" },
		{ RKMP_PROTO_TCP_AO, "sha1-aescmac-tcpopts-notcpopts-x25519", "aescmac-tcpopts-x25519",
		    "aescmac-x25519-tcpopts" },
		{ RKMP_PROTO_BFD, "md5-sha1-bfdmeticulous-bfdbase", "sha1-bfdbase", "sha1-bfdbase" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rkmp_prop_spec off[RKMP_PROPS_MAX], ours[RKMP_PROPS_MAX];
		struct rkmp_prop_choice c, c2;
		struct rkmp_pld sa, *dec;
		struct rkmp_buf b;
		const uint8_t *pspi;
		size_t noff, nours, ndec, pspi_len;
		size_t slen = cases[i].protocol == RKMP_PROTO_IKE ? 0 :
		    cases[i].protocol == RKMP_PROTO_ESP ? 4 : 1;
		char text[128];

		rkmp_arena_reset(&ar);
		rkmp_buf_init(&b, 0);
		ASSERT_INT_EQ(rkmp_proposal_parse(cases[i].init, cases[i].protocol, off,
		    RKMP_PROPS_MAX, &noff), 0);
		ASSERT_INT_EQ(rkmp_proposal_parse(cases[i].resp, cases[i].protocol, ours,
		    RKMP_PROPS_MAX, &nours), 0);
		ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, off, noff, spi_i, slen, &sa), 0);
		ASSERT_INT_EQ(rkmp_msg_encode_chain(&sa, 1, &b), 0);
		ASSERT_INT_EQ(rkmp_msg_decode_chain(&ar, RKMP_PLD_SA, b.p, b.len, &dec, &ndec, false),
		    0);
		ASSERT_INT_EQ(rkmp_proposal_select(dec, ours, nours, &c, &pspi, &pspi_len), 0);
		ASSERT_INT_EQ(pspi_len, slen);
		if (slen > 0)
			ASSERT_MEM_EQ(pspi, spi_i, slen);
		rkmp_proposal_format(&c, text, sizeof(text));
		ASSERT_STR_EQ(text, cases[i].want);

		ASSERT_INT_EQ(rkmp_proposal_choice_to_sa(&ar, &c, spi_r, slen, &sa), 0);
		rkmp_buf_reset(&b);
		ASSERT_INT_EQ(rkmp_msg_encode_chain(&sa, 1, &b), 0);
		ASSERT_INT_EQ(rkmp_msg_decode_chain(&ar, RKMP_PLD_SA, b.p, b.len, &dec, &ndec, false),
		    0);
		ASSERT_INT_EQ(rkmp_proposal_accept(dec, off, noff, &c2, &pspi, &pspi_len), 0);
		ASSERT_INT_EQ(pspi_len, slen);
		if (slen > 0)
			ASSERT_MEM_EQ(pspi, spi_r, slen);
		ASSERT_TRUE(choice_eq(&c, &c2));
		rkmp_buf_free(&b);
	}
}

TEST(proposal_get_and_format)
{
	struct rkmp_prop_choice c = { 3, RKMP_PROTO_IKE, 4,
	    { T(1, 12, 128), T(2, 5, 0), T(3, 12, 0), T(4, 14, 0) } };
	struct rkmp_prop_choice u = { 1, RKMP_PROTO_IKE, 4,
	    { T(1, 13, 128), T(2, 1, 0), T(4, 2, 0), T(6, 99, 0) } };
	struct rkmp_pld sa;
	char text[128], small[12];
	uint16_t kb = 1;

	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_ENCR, &kb), 12);
	ASSERT_INT_EQ(kb, 128);
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_DH, &kb), 14);
	ASSERT_INT_EQ(kb, 0);
	kb = 5;
	ASSERT_INT_EQ(rkmp_proposal_get(&c, RKMP_TRANS_ESN, &kb), -1);
	ASSERT_INT_EQ(kb, 0);
	rkmp_proposal_format(&c, text, sizeof(text));
	ASSERT_STR_EQ(text, "aes128-sha256-prfsha256-modp2048");
	rkmp_proposal_format(&c, small, sizeof(small));
	ASSERT_STR_EQ(small, "aes128-sha2");
	/* no keyword: strongSwan's keyword or the IANA name */
	rkmp_proposal_format(&u, text, sizeof(text));
	ASSERT_STR_EQ(text, "aes128ctr-prfmd5-modp1024-ke1_UNKNOWN_6_99");

	rkmp_arena_reset(&ar);
	ASSERT_INT_EQ(rkmp_proposal_choice_to_sa(&ar, &c, NULL, 0, &sa), 0);
	ASSERT_INT_EQ(sa.u.sa.nprop, 1);
	ASSERT_INT_EQ(sa.u.sa.prop[0].num, 3);
	ASSERT_INT_EQ(sa.u.sa.prop[0].trans[0].nattr, 1);
	ASSERT_INT_EQ(sa.u.sa.prop[0].trans[0].attr[0].type, RKMP_ATTR_KEY_LENGTH);
	ASSERT_INT_EQ(sa.u.sa.prop[0].trans[0].attr[0].value, 128);
	ASSERT_INT_EQ(sa.u.sa.prop[0].trans[3].nattr, 0);
	c.num = 0;
	ASSERT_INT_EQ(rkmp_proposal_choice_to_sa(&ar, &c, NULL, 0, &sa), RKMP_E_INTERNAL);
	ASSERT_INT_EQ(rkmp_proposal_to_sa(&ar, NULL, 0, NULL, 0, &sa), RKMP_E_INTERNAL);
	ASSERT_INT_EQ(rkmp_proposal_first_group(NULL, 0), -1);
}

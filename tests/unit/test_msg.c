/* SPDX-License-Identifier: MIT */
/*
 * test_msg.c — the codec against every real message of testdata/msgs/ (cut
 * from strongSwan captures by tests/extract-messages.sh with tshark), a
 * deterministic mutation sweep over them, and hand-made malformed cases.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "msg.h"
#include "names.h"
#include "test_helper.h"
#include "tests.h"

#define MSG_DIR "../../testdata/msgs"

struct corpus {
	size_t	 n;
	char	 name[256][64];
	uint8_t	*data[256];
	size_t	 len[256];
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct corpus *
corpus_load(void)
{
	static struct corpus c;
	DIR *d;
	struct dirent *e;
	char *names[256];
	size_t k = 0;

	if (c.n != 0)
		return &c;
	if ((d = opendir(MSG_DIR)) == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL && k < 256)
		if (strstr(e->d_name, ".bin") != NULL)
			names[k++] = strdup(e->d_name);
	closedir(d);
	qsort(names, k, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < k; i++) {
		char rel[300];

		snprintf(rel, sizeof(rel), "msgs/%s", names[i]);
		snprintf(c.name[c.n], sizeof(c.name[0]), "%s", names[i]);
		if ((c.data[c.n] = test_data_file(rel, &c.len[c.n])) != NULL)
			c.n++;
		free(names[i]);
	}
	return &c;
}

/* Every real message decodes, and encodes back to the same bytes. */
TEST(msg_corpus_roundtrip)
{
	struct corpus *c = corpus_load();
	struct rkmp_arena a = { 0 };
	struct rkmp_buf b;

	ASSERT_TRUE(c != NULL);
	ASSERT_TRUE(c->n >= 100);
	rkmp_buf_init(&b, 0);
	for (size_t i = 0; i < c->n; i++) {
		struct rkmp_msg m;
		int r;

		rkmp_arena_reset(&a);
		rkmp_buf_reset(&b);
		r = rkmp_msg_decode(&a, c->data[i], c->len[i], &m);
		if (r != 0) {
			test_fail(__FILE__, __LINE__, "%s: %s", c->name[i], rkmp_err_text());
			break;
		}
		ASSERT_INT_EQ(rkmp_msg_encode(&m, &b), 0);
		ASSERT_INT_EQ(b.len, c->len[i]);
		if (memcmp(b.p, c->data[i], b.len) != 0) {
			test_fail(__FILE__, __LINE__, "%s: re-encoded bytes differ", c->name[i]);
			break;
		}
	}
	rkmp_buf_free(&b);
	rkmp_arena_free(&a);
}

/* The corpus covers every exchange and the payload types a session uses. */
TEST(msg_corpus_coverage)
{
	struct corpus *c = corpus_load();
	struct rkmp_arena a = { 0 };
	unsigned seen_pld[256] = { 0 }, seen_exch[256] = { 0 };
	static const uint8_t want_pld[] = { RKMP_PLD_SA, RKMP_PLD_KE, RKMP_PLD_NONCE,
	    RKMP_PLD_NOTIFY, RKMP_PLD_SK, RKMP_PLD_SKF };

	ASSERT_TRUE(c != NULL);
	for (size_t i = 0; i < c->n; i++) {
		struct rkmp_msg m;

		rkmp_arena_reset(&a);
		if (rkmp_msg_decode(&a, c->data[i], c->len[i], &m) != 0)
			continue;
		seen_exch[m.exchange]++;
		for (size_t k = 0; k < m.npld; k++)
			seen_pld[m.pld[k].type]++;
	}
	for (unsigned x = 34; x <= 37; x++)
		ASSERT_INT_NE(seen_exch[x], 0);
	for (size_t k = 0; k < sizeof(want_pld); k++)
		ASSERT_INT_NE(seen_pld[want_pld[k]], 0);
	rkmp_arena_free(&a);
}

/*
 * Mutation sweep (after OpenIKED's test_parser_fuzz): bit flips of every
 * octet, every truncation, and edits of every 16-bit length field.  Each
 * mutant must decode cleanly (under ASan/UBSan in CI) to 0 or a decode error
 * with a detail; whatever decodes must re-encode to exactly the mutant.
 */
static int
check_mutant(struct rkmp_arena *a, struct rkmp_buf *b, const uint8_t *p, size_t len,
    const char *name, const char *what, size_t at)
{
	struct rkmp_msg m;
	int r;

	rkmp_arena_reset(a);
	rkmp_err_clear();
	r = rkmp_msg_decode(a, p, len, &m);
	if (r != 0) {
		if (r != RKMP_E_TRUNCATED && r != RKMP_E_INVALID) {
			test_fail(__FILE__, __LINE__, "%s %s@%zu: code %d", name, what, at, r);
			return -1;
		}
		if (rkmp_err_detail()[0] == '\0' || rkmp_err_where()[0] == '\0') {
			test_fail(__FILE__, __LINE__, "%s %s@%zu: error without detail", name, what, at);
			return -1;
		}
		return 1;
	}
	rkmp_buf_reset(b);
	if (rkmp_msg_encode(&m, b) != 0 || b->len != len || memcmp(b->p, p, len) != 0) {
		test_fail(__FILE__, __LINE__, "%s %s@%zu: decoded but does not re-encode to itself",
		    name, what, at);
		return -1;
	}
	return 0;
}

TEST(msg_mutation_sweep)
{
	struct corpus *c = corpus_load();
	struct rkmp_arena a = { 0 };
	struct rkmp_buf b;
	uint8_t *m = malloc(70000);
	unsigned long mutants = 0, rejected = 0;

	ASSERT_TRUE(c != NULL && m != NULL);
	rkmp_buf_init(&b, 0);
	for (size_t i = 0; i < c->n; i++) {
		const uint8_t *p = c->data[i];
		size_t len = c->len[i];
		int r;

		/* bit flips: every bit of every octet */
		for (size_t at = 0; at < len; at++)
			for (int bit = 0; bit < 8; bit++) {
				memcpy(m, p, len);
				m[at] ^= (uint8_t)(1u << bit);
				if ((r = check_mutant(&a, &b, m, len, c->name[i], "flip", at)) < 0)
					goto out;
				mutants++;
				rejected += (unsigned long)r;
			}
		/* truncations: every length; all must be reported as truncated */
		for (size_t cut = 0; cut < len; cut++) {
			struct rkmp_msg mm;

			rkmp_arena_reset(&a);
			r = rkmp_msg_decode(&a, p, cut, &mm);
			if (r != RKMP_E_TRUNCATED) {
				test_fail(__FILE__, __LINE__, "%s cut to %zu: code %d, expected truncated",
				    c->name[i], cut, r);
				goto out;
			}
			mutants++;
			rejected++;
		}
		/* 16-bit field edits at every offset: 0, 1, 3, 4, +1, -1, 0xffff */
		for (size_t at = 0; at + 1 < len; at++) {
			static const int edits[] = { 0, 1, 3, 4, 0x10000 + 1, 0x10000 - 1, 0xffff };

			for (size_t e = 0; e < sizeof(edits) / sizeof(edits[0]); e++) {
				unsigned v = (unsigned)edits[e];

				memcpy(m, p, len);
				if (v > 0xffff)
					v = (unsigned)((m[at] << 8 | m[at + 1]) + (int)(v - 0x10000)) & 0xffff;
				m[at] = (uint8_t)(v >> 8);
				m[at + 1] = (uint8_t)v;
				if ((r = check_mutant(&a, &b, m, len, c->name[i], "len16", at)) < 0)
					goto out;
				mutants++;
				rejected += (unsigned long)r;
			}
		}
		/* extra octets after the message */
		memcpy(m, p, len);
		m[len] = 0;
		if (check_mutant(&a, &b, m, len + 1, c->name[i], "append", len) != 1) {
			test_fail(__FILE__, __LINE__, "%s: a trailing octet was accepted", c->name[i]);
			goto out;
		}
	}
	if (getenv("RKMP_TEST_VERBOSE"))
		fprintf(stderr, "mutation sweep: %lu mutants, %lu rejected\n", mutants, rejected);
	ASSERT_TRUE(mutants > 100000);
	ASSERT_TRUE(rejected > 0);
out:
	free(m);
	rkmp_buf_free(&b);
	rkmp_arena_free(&a);
}

/* ------------------------------------------------------------------ hand-made cases */

struct bad_case {
	const char	*name;
	const char	*hex;		/* whole message; Length field is patched */
	int		 code;
	const char	*where;
	const char	*detail;	/* substring */
};

/* IKE header: SPIi 0102030405060708, SPIr 0, next (patched), 2.0, exchange, flags, MID 0. */
#define HDR(next, exch, flags) "0102030405060708 0000000000000000 " next " 20 " exch " " flags " 00000000 00000000"

static const struct bad_case bad_cases[] = {
	{ "proposal length below 8",
	  HDR("21", "22", "08") " 00000014 00000006 01010001 03000008 01000000", /* SA, proposal length 6 */
	  RKMP_E_INVALID, "SA payload", "proposal 1: length 6 < 8" },
	{ "proposal longer than SA",
	  HDR("21", "22", "08") " 0000000c 00000040 01010000",
	  RKMP_E_INVALID, "SA payload", "proposal 1: length 64 > 8 octets left in SA payload" },
	{ "transform count too high",
	  HDR("21", "22", "08") " 00000014 00000010 01010002 03000008 01000000",
	  RKMP_E_INVALID, "SA payload", "proposal 1: Num Transforms 2 but only 1 fit in length 16" },
	{ "transform Last Substruc wrong",
	  HDR("21", "22", "08") " 00000014 00000010 01010001 03000008 0100000c",
	  RKMP_E_INVALID, "SA payload", "proposal 1 transform 1: Last Substruc 3, expected 0" },
	{ "proposal numbers not consecutive",
	  HDR("21", "22", "08") " 00000024 02000010 01010001 00000008 0100000c 00000010 03010001 00000008 0100000c",
	  RKMP_E_INVALID, "SA payload", "proposal 2: Proposal Num 3 after 1, expected 2" },
	{ "short nonce",
	  HDR("28", "22", "08") " 0000000c 0102030405060708",
	  RKMP_E_INVALID, "Nonce payload", "nonce length 8 not in 16..256" },
	{ "payload length past the message",
	  HDR("29", "25", "20") " 00000030 00000000",
	  RKMP_E_INVALID, "Notify payload", "length 48 > 8 octets left in message" },
	{ "payload length below its fixed part",
	  HDR("29", "25", "20") " 00000006 0000",
	  RKMP_E_INVALID, "Notify payload", "length 6 < 8" },
	{ "INVALID_KE_PAYLOAD with 1 octet of data",
	  HDR("29", "22", "20") " 00000009 00000011 0e",
	  RKMP_E_INVALID, "Notify payload", "INVALID_KE_PAYLOAD: data 1 octets != 2" },
	{ "KE data of the wrong size for the group",
	  HDR("22", "22", "08") " 00000010 001f0000 0102030405060708",
	  RKMP_E_INVALID, "KE payload", "group 31 (CURVE25519): key exchange data 8 octets != 32" },
	{ "delete SPI count mismatch",
	  HDR("2a", "25", "08") " 0000000c 03040002 01020304",
	  RKMP_E_INVALID, "Delete payload", "Num of SPIs 2 x SPI Size 4 = 8 != 4 octets of SPIs" },
	{ "SK not last",
	  HDR("2e", "23", "08") " 29000008 01020304 00000008 00000000",
	  RKMP_E_INVALID, "SK payload", "not the last payload: 8 octets follow it" },
	{ "SKF fragment number above total",
	  HDR("35", "23", "08") " 0000000c 00030002 01020304",
	  RKMP_E_INVALID, "SKF payload", "Fragment Number 3 of Total 2" },
	{ "cleartext payload in IKE_AUTH",
	  HDR("28", "23", "08") " 00000014 000102030405060708090a0b0c0d0e0f",
	  RKMP_E_INVALID, "IKE_AUTH request", "Nonce payload outside the encrypted payload" },
	{ "IKE_SA_INIT request without KE",
	  HDR("21", "22", "08") " 28000014 00000010 01010001 00000008 0100000c 00000014 000102030405060708090a0b0c0d0e0f",
	  RKMP_E_INVALID, "IKE_SA_INIT request", "KE payload missing" },
	{ "IPv4 ID of 3 octets",
	  HDR("23", "23", "08") " 0000000b 01000000 0a0000",
	  RKMP_E_INVALID, "IDi payload", "ID_IPV4_ADDR: 3 octets != 4" },
	{ "TS selector length wrong",
	  HDR("2c", "24", "08") " 00000017 01000000 07000010 0000ffff 0a000001 0a0000",
	  RKMP_E_INVALID, "TSi payload", "selector 1: length 16 not in 8..15" },
	{ "version 1",
	  "0102030405060708 0000000000000000 21 10 22 08 00000000 00000000",
	  RKMP_E_INVALID, "IKE header", "version 1.0, major != 2" },
	{ "octets after the last payload",
	  HDR("29", "25", "20") " 00000008 00000000 ffff",
	  RKMP_E_INVALID, "payload chain", "2 octets after the last payload" },
	{ "zero initiator SPI",
	  "0000000000000000 0000000000000000 00 20 22 08 00000000 00000000",
	  RKMP_E_INVALID, "IKE header", "Initiator SPI is 0" },
};

TEST(msg_malformed_cases)
{
	struct rkmp_arena a = { 0 };

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		size_t len;
		uint8_t *p = test_hex(bc->hex, &len);
		struct rkmp_msg m;
		int r;

		ASSERT_TRUE(p != NULL);
		p[24] = (uint8_t)(len >> 24);
		p[25] = (uint8_t)(len >> 16);
		p[26] = (uint8_t)(len >> 8);
		p[27] = (uint8_t)len;
		rkmp_arena_reset(&a);
		rkmp_err_clear();
		r = rkmp_msg_decode(&a, p, len, &m);
		free(p);
		if (r != bc->code || strcmp(rkmp_err_where(), bc->where) != 0 ||
		    strstr(rkmp_err_detail(), bc->detail) == NULL) {
			test_fail(__FILE__, __LINE__, "%s: got %d \"%s\", expected %d \"%s: %s\"",
			    bc->name, r, rkmp_err_text(), bc->code, bc->where, bc->detail);
			break;
		}
	}
	rkmp_arena_free(&a);
}

/* A datagram shorter than its Length is truncated; longer is invalid. */
TEST(msg_length_vs_datagram)
{
	struct rkmp_arena a = { 0 };
	size_t len;
	uint8_t *p = test_hex(HDR("29", "25", "20") " 00000008 00000000", &len);
	struct rkmp_msg m;

	ASSERT_TRUE(p != NULL);
	p[27] = (uint8_t)(len + 4);
	ASSERT_INT_EQ(rkmp_msg_decode(&a, p, len, &m), RKMP_E_TRUNCATED);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "Length 40 > 36 octets received");
	p[27] = (uint8_t)(len - 4);
	ASSERT_INT_EQ(rkmp_msg_decode(&a, p, len, &m), RKMP_E_INVALID);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "Length 32 < 36 octets in the datagram");
	free(p);
	rkmp_arena_free(&a);
}

/* Unknown payloads: skipped without C, recorded with C (UNSUPPORTED_CRITICAL_PAYLOAD). */
TEST(msg_unknown_and_critical)
{
	struct rkmp_arena a = { 0 };
	struct rkmp_buf b;
	size_t len;
	uint8_t *p = test_hex(HDR("c8", "25", "20") " 29000008 deadbeef 00000008 00000000", &len);
	struct rkmp_msg m;

	ASSERT_TRUE(p != NULL);
	p[27] = (uint8_t)len;
	ASSERT_INT_EQ(rkmp_msg_decode(&a, p, len, &m), 0);
	ASSERT_INT_EQ(m.npld, 2);
	ASSERT_TRUE(!m.pld[0].known);
	ASSERT_INT_EQ(m.unsupported_critical, 0);
	p[RKMP_HDR_LEN + 1] = RKMP_CRITICAL;
	ASSERT_INT_EQ(rkmp_msg_decode(&a, p, len, &m), 0);
	ASSERT_INT_EQ(m.unsupported_critical, 200);
	rkmp_buf_init(&b, 0);
	ASSERT_INT_EQ(rkmp_msg_encode(&m, &b), 0);
	ASSERT_INT_EQ(b.len, len);
	ASSERT_MEM_EQ(b.p, p, len);
	rkmp_buf_free(&b);
	free(p);
	rkmp_arena_free(&a);
}

/* RKMP's own values decode with their names: a TCP-AO proposal (DESIGN.md §2). */
TEST(msg_rkmp_values)
{
	struct rkmp_arena a = { 0 };
	size_t len;
	/* Proposal 1, protocol 201 (TCP_AO), SPI size 1 (KeyID 0x01), INTEG HMAC_SHA1_96, TCP_OPTIONS 0 */
	uint8_t *p = test_hex(HDR("21", "22", "08")
	    " 2800001d 00000019 01c90102 01 03000008 03000002 00000008 f1000000"
	    " 00000014 000102030405060708090a0b0c0d0e0f", &len);
	struct rkmp_msg m;
	const struct rkmp_proposal *pr;

	ASSERT_TRUE(p != NULL);
	p[27] = (uint8_t)len;
	/* not a valid IKE_SA_INIT (no KE): decode as CREATE_CHILD-like unknown exchange 240 */
	p[18] = 240;
	ASSERT_INT_EQ(rkmp_msg_decode(&a, p, len, &m), 0);
	pr = &m.pld[0].u.sa.prop[0];
	ASSERT_INT_EQ(pr->protocol, RKMP_PROTO_TCP_AO);
	ASSERT_STR_EQ(rkmp_name(RKMP_REG_PROTOCOL, pr->protocol), "TCP_AO");
	ASSERT_INT_EQ(pr->spi_size, 1);
	ASSERT_INT_EQ(pr->spi[0], 1);
	ASSERT_INT_EQ(pr->trans[1].type, RKMP_TRANS_TCP_OPTIONS);
	ASSERT_INT_EQ(pr->trans[1].id, 0);
	ASSERT_STR_EQ(rkmp_name(rkmp_transform_reg(pr->trans[1].type), pr->trans[1].id),
	    "NO_PROTECT_OPTIONS");
	ASSERT_STR_EQ(rkmp_name(RKMP_REG_NOTIFY, RKMP_N_RKMP_SA_REVOKED), "RKMP_SA_REVOKED");
	ASSERT_STR_EQ(rkmp_name(RKMP_REG_EXCHANGE_RKMP, 35), "RKMP_SA_AUTH");
	free(p);
	rkmp_arena_free(&a);
}

/* SK layout for a suite: IV, ciphertext, ICV; block alignment checked. */
TEST(msg_sk_split)
{
	struct rkmp_pld p = { .type = RKMP_PLD_SK, .known = true };
	uint8_t enc[16 + 32 + 12];
	struct rkmp_sk_parts parts;

	p.u.sk.enc = enc;
	p.u.sk.enc_len = sizeof(enc);
	ASSERT_INT_EQ(rkmp_sk_split(&p, 16, 12, 16, &parts), 0);
	ASSERT_INT_EQ(parts.ct_len, 32);
	ASSERT_TRUE(parts.icv == enc + 48);
	p.u.sk.enc_len = sizeof(enc) - 1;
	ASSERT_INT_EQ(rkmp_sk_split(&p, 16, 12, 16, &parts), RKMP_E_INVALID);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "ciphertext 31 octets, not a multiple of the block size 16");
	p.u.sk.enc_len = 20;
	ASSERT_INT_EQ(rkmp_sk_split(&p, 8, 16, 1, &parts), RKMP_E_INVALID);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "20 octets < IV 8 + Pad Length 1 + ICV 16");
}

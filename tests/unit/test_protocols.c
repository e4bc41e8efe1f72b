/* SPDX-License-Identifier: MIT */
/* protocols.c: one descriptor row per child-SA protocol, checked against
 * DESIGN.md §2 and the RFCs (numbers, names, SPI and KeyName widths) and
 * against the modules that read it: every row's default proposal parses, every
 * INTEG it takes has a master key whose length its AlgIDs take, a child of
 * each AlgID makes a key-table row the table accepts, the export forms. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "ike.h"
#include "keytable.h"
#include "names.h"
#include "proposal.h"
#include "protocols.h"
#include "sa.h"
#include "test_helper.h"
#include "tests.h"
#include "wire.h"

TEST(protocols_rows_follow_design_section_2)
{
	static const struct { uint8_t id; const char *name, *wire; uint8_t spi_len; bool one_key; } want[] = {
		{ RKMP_PROTO_TCP_AO, "tcp-ao", "TCP_AO", 1, false },	/* KeyID, RFC 5925 §2.2 */
		{ RKMP_PROTO_BFD, "bfd", "BFD", 1, false },		/* Auth Key ID, RFC 5880 §4.2 */
		{ RKMP_PROTO_RSVP_TE, "rsvp-te", "RSVP_TE", 6, false },	/* Key Identifier, RFC 2747 §2.1 */
		{ RKMP_PROTO_TCP_MD5, "tcp-md5", "TCP_MD5", 1, true },
		{ RKMP_PROTO_ESP, "esp", "ESP", 4, false },		/* SPI, RFC 4303 §2.1 */
	};
	size_t nrows = 0;

	ASSERT_INT_EQ(RKMP_PROTO_TCP_MD5, 207);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct rkmp_protocol *p = rkmp_protocol_by_id(want[i].id);

		ASSERT_TRUE(p != NULL);
		ASSERT_STR_EQ(p->name, want[i].name);
		ASSERT_INT_EQ(p->spi_len, want[i].spi_len);
		ASSERT_INT_EQ(p->one_key, want[i].one_key);
		ASSERT_INT_EQ(p->rp, want[i].id != RKMP_PROTO_ESP);
		/* the wire name of the same number, and a default proposal */
		ASSERT_STR_EQ(rkmp_name(RKMP_REG_PROTOCOL, p->id), want[i].wire);
		ASSERT_TRUE(rkmp_proposal_default(p->id) != NULL);
		ASSERT_TRUE(rkmp_protocol_by_name(want[i].name) == p);
	}
	/* no other rows: 204-206 are reserved without values (rkmp-karp.md §12.3) */
	while (rkmp_protocol_at(nrows) != NULL)
		nrows++;
	ASSERT_INT_EQ(nrows, sizeof(want) / sizeof(want[0]));
	ASSERT_TRUE(rkmp_protocol_by_id(RKMP_PROTO_IKE) == NULL);
	ASSERT_TRUE(rkmp_protocol_by_id(204) == NULL);
}

TEST(protocols_by_name_and_number)
{
	ASSERT_TRUE(rkmp_protocol_by_name("207") == rkmp_protocol_by_id(207));
	ASSERT_TRUE(rkmp_protocol_by_name("3") == rkmp_protocol_by_id(3));
	ASSERT_TRUE(rkmp_protocol_by_name("TCP-MD5") == NULL);
	ASSERT_TRUE(rkmp_protocol_by_name("207x") == NULL);
	ASSERT_TRUE(rkmp_protocol_by_name("-201") == NULL);
	ASSERT_TRUE(rkmp_protocol_by_name("+201") == NULL);
	ASSERT_TRUE(rkmp_protocol_by_name("457") == NULL);
	ASSERT_TRUE(rkmp_protocol_by_name("99999999999999999999") == NULL);
	ASSERT_TRUE(rkmp_protocol_by_name("") == NULL);
	ASSERT_TRUE(rkmp_protocol_by_name("1") == NULL);	/* IKE: no child */
	ASSERT_STR_EQ(rkmp_protocol_names(false, true), "tcp-ao, bfd, rsvp-te or tcp-md5");
	ASSERT_STR_EQ(rkmp_protocol_names(true, true), "tcp-ao, bfd, rsvp-te, tcp-md5 or esp");
	ASSERT_STR_EQ(rkmp_protocol_names(true, false), "tcp-ao, bfd, rsvp-te, tcp-md5, esp");
}

/* Every row's names: the wire registry's (names.c, both ways), the title is
 * it with '-' for '_', the name the title in lowercase; IKE's too. */
TEST(protocols_names_agree_with_names_c)
{
	const struct rkmp_protocol *p;

	for (size_t i = 0; (p = i == 0 ? rkmp_protocol_proposals(RKMP_PROTO_IKE) :
	    rkmp_protocol_at(i - 1)) != NULL; i++) {
		unsigned v = 0;
		char t[32], n[32];
		size_t k;

		ASSERT_TRUE(rkmp_name(RKMP_REG_PROTOCOL, p->id) != NULL);
		ASSERT_STR_EQ(rkmp_name(RKMP_REG_PROTOCOL, p->id), p->reg_name);
		ASSERT_TRUE(rkmp_name_value(RKMP_REG_PROTOCOL, p->reg_name, &v));
		ASSERT_INT_EQ(v, p->id);
		for (k = 0; p->reg_name[k] != '\0' && k < sizeof(t) - 1; k++) {
			t[k] = p->reg_name[k] == '_' ? '-' : p->reg_name[k];
			n[k] = (char)tolower((unsigned char)t[k]);
		}
		t[k] = n[k] = '\0';
		ASSERT_STR_EQ(p->title, t);
		ASSERT_STR_EQ(p->name, n);
	}
	/* IANA's own names stay names.c's */
	ASSERT_STR_EQ(rkmp_name(RKMP_REG_PROTOCOL, 2), "AH");
	ASSERT_STR_EQ(rkmp_name(RKMP_REG_PROTOCOL, 6), "GIKE_UPDATE");
	ASSERT_TRUE(rkmp_name(RKMP_REG_PROTOCOL, 204) == NULL);
}

/* One parse of list for p; the number of specs (0 on failure). */
static size_t
parse(const struct rkmp_protocol *p, const char *list, struct rkmp_prop_spec *s)
{
	size_t n = 0;

	if (rkmp_proposal_parse(list, p->id, s, RKMP_PROPS_MAX, &n) != 0)
		return 0;
	return n;
}

/* Every row's default proposal parses for it, and holds only allowed types
 * and every required one (the IKE SA's rules too). */
TEST(protocols_default_proposals_parse)
{
	const struct rkmp_protocol *p;

	for (size_t i = 0; (p = i == 0 ? rkmp_protocol_proposals(RKMP_PROTO_IKE) :
	    rkmp_protocol_at(i - 1)) != NULL; i++) {
		struct rkmp_prop_spec s[RKMP_PROPS_MAX];
		size_t n;

		ASSERT_TRUE(p->proposal != NULL);
		ASSERT_STR_EQ(rkmp_proposal_default(p->id), p->proposal);
		n = parse(p, p->proposal, s);
		ASSERT_TRUE(n > 0);
		for (size_t j = 0; j < n; j++) {
			uint32_t have = 0;

			ASSERT_INT_EQ(s[j].protocol, p->id);
			for (size_t t = 0; t < s[j].ntrans; t++)
				have |= RKMP_TB(s[j].trans[t].type);
			ASSERT_INT_EQ(have & ~p->allowed, 0);
			/* INTEG may go with an AEAD cipher (integ_unless_aead) */
			ASSERT_INT_EQ(p->required & ~have & ~RKMP_TB(RKMP_TRANS_INTEG), 0);
		}
	}
}

/*
 * Every INTEG a routing protocol's keywords offer has a master key length
 * (the KEYMAT of ike_child.c), and that key fits an AlgID the INTEG picks;
 * every AlgID is picked by an INTEG and mode the keywords offer, takes its
 * master key, and is found by name.
 */
TEST(protocols_integ_keys_and_algids_agree)
{
	const struct rkmp_protocol *p;

	for (size_t i = 0; (p = rkmp_protocol_at(i)) != NULL; i++) {
		struct rkmp_prop_spec s[RKMP_PROPS_MAX];
		char all[256] = "";
		int integs[16], modes[16];
		size_t n, ni = 0, nm = 0;

		if (!p->rp) {
			ASSERT_TRUE(p->keywords == NULL && p->nalgs == 0 && p->nkeys == 0 &&
			    p->psi == NULL);
			continue;
		}
		ASSERT_TRUE(p->keywords != NULL && p->keywords[0] != NULL);
		ASSERT_TRUE(p->nalgs > 0 && p->nkeys > 0 && p->psi != NULL);
		/* all its keywords in one proposal: every INTEG and mode value it offers */
		for (size_t k = 0; p->keywords[k] != NULL; k++)
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", k ? "-" : "",
			    p->keywords[k]);
		n = parse(p, all, s);
		ASSERT_INT_EQ(n, 1);
		for (size_t t = 0; t < s[0].ntrans; t++) {
			if (s[0].trans[t].type == RKMP_TRANS_INTEG && ni < 16)
				integs[ni++] = s[0].trans[t].id;
			if (p->mode_type != 0 && s[0].trans[t].type == p->mode_type && nm < 16)
				modes[nm++] = s[0].trans[t].id;
		}
		if (!(p->allowed & RKMP_TB(RKMP_TRANS_INTEG)))
			integs[ni++] = -1;	/* no INTEG: the key of "any" */
		ASSERT_TRUE(ni > 0);
		for (size_t k = 0; k < ni; k++) {
			struct rkmp_prop_choice c = { .num = 1, .protocol = p->id };
			size_t len = 0, fits = 0;

			if (integs[k] >= 0) {
				c.trans[0] = (struct rkmp_prop_transform){ RKMP_TRANS_INTEG,
				    (uint16_t)integs[k], 0 };
				c.ntrans = 1;
			}
			ASSERT_INT_EQ(rkmp_ike_child_keymat_len(&c, &len), 0);
			ASSERT_INT_EQ(len, rkmp_protocol_key_len(p, integs[k]));
			for (size_t a = 0; a < p->nalgs; a++)
				if ((p->algs[a].integ < 0 || p->algs[a].integ == integs[k]) &&
				    len >= p->algs[a].kmin && len <= p->algs[a].kmax)
					fits++;
			ASSERT_TRUE(fits > 0);
		}
		for (size_t a = 0; a < p->nalgs; a++) {
			const struct rkmp_proto_alg *g = &p->algs[a];
			bool offered = g->integ < 0;

			for (size_t k = 0; k < ni; k++)
				offered = offered || integs[k] == g->integ;
			ASSERT_TRUE(offered);
			offered = g->mode < 0;
			for (size_t k = 0; k < nm; k++)
				offered = offered || modes[k] == g->mode;
			ASSERT_TRUE(offered);
			if (g->integ >= 0) {
				size_t len = rkmp_protocol_key_len(p, g->integ);

				ASSERT_TRUE(len >= g->kmin && len <= g->kmax);
			}
			ASSERT_TRUE(g->kdf != NULL && g->rfc8177 != NULL);
			if (p->nmode_names > 0)
				ASSERT_TRUE(g->mode >= 0 && (size_t)g->mode < p->nmode_names);
		}
		if (p->nmode_names > 0)
			ASSERT_TRUE(p->mode_label != NULL && p->mode_type != 0);
	}
}

/*
 * A child of every AlgID of every routing protocol makes a key-table row
 * with that AlgID that the table takes; KeyNames are the widths of the RFCs'
 * key IDs (two hex digits an octet, RFC 7210 §5.1): one more octet is refused.
 */
TEST(protocols_child_rows_and_keyname_widths)
{
	static const struct { uint8_t id; size_t digits; } widths[] = {
		{ RKMP_PROTO_TCP_AO, 2 }, { RKMP_PROTO_BFD, 2 }, { RKMP_PROTO_RSVP_TE, 12 },
		{ RKMP_PROTO_TCP_MD5, 2 }, { RKMP_PROTO_ESP, 8 },
	};
	const struct rkmp_protocol *p;

	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
		ASSERT_INT_EQ(2u * rkmp_protocol_by_id(widths[w].id)->spi_len, widths[w].digits);
	for (size_t i = 0; (p = rkmp_protocol_at(i)) != NULL; i++) {
		for (size_t a = 0; a < p->nalgs; a++) {
			const struct rkmp_proto_alg *g = &p->algs[a];
			struct rkmp_keytable *kt = rkmp_keytable_new();
			struct rkmp_keytable_child_cfg cfg;
			struct rkmp_keytable_row row;
			struct rkmp_sa sa;
			struct rkmp_sa_child ch;
			const struct rkmp_keytable_row *r;
			char wide[32];
			size_t idx, len;
			/* an AlgID of any INTEG: the INTEG of the protocol's first key */
			int integ = g->integ >= 0 ? g->integ : p->keys[0].integ;

			rkmp_sa_init(&sa);
			sa.initiator = true;
			memset(&ch, 0, sizeof(ch));
			ch.protocol = p->id;
			ch.spi_size = p->spi_len;
			ch.spi_local[0] = 0x3d;
			ch.spi_peer[0] = 0x54;
			if (integ >= 0) {
				ch.transforms[ch.ntransforms][0] = RKMP_TRANS_INTEG;
				ch.transforms[ch.ntransforms++][1] = (uint16_t)integ;
			}
			if (g->mode >= 0) {
				ch.transforms[ch.ntransforms][0] = p->mode_type;
				ch.transforms[ch.ntransforms++][1] = (uint16_t)g->mode;
			}
			ch.state = RKMP_CHILD_ESTABLISHED;
			len = rkmp_protocol_key_len(p, integ);
			ASSERT_TRUE(len > 0);
			ch.keymat_len = len;
			rkmp_keytable_child_defaults(&cfg);
			cfg.peer = "192.0.2.7";
			ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &idx), 0);
			ASSERT_TRUE((r = rkmp_keytable_at(kt, idx)) != NULL);
			ASSERT_STR_EQ(r->alg_id, g->alg);
			ASSERT_STR_EQ(r->kdf, g->kdf);
			ASSERT_INT_EQ(strlen(r->local_name), 2u * p->spi_len);
			ASSERT_INT_EQ(rkmp_keytable_validate(r, 0), 0);
			/* one octet wider: not this protocol's KeyName */
			row = *r;
			snprintf(wide, sizeof(wide), "%s00", r->local_name);
			row.local_name = wide;
			ASSERT_INT_EQ(rkmp_keytable_validate(&row, 0), RKMP_E_STATE);
			rkmp_keytable_free(kt);
		}
	}
}

/* Export forms: a routing protocol is in RFC 8177 key chains and in exactly
 * one daemon form (a key chain or a BGP password); ESP only in its own; one
 * first child per profile and one protocol with traffic keys. */
TEST(protocols_export_forms_and_defaults)
{
	const struct rkmp_protocol *p;
	size_t defaults[2] = { 0, 0 }, traffic = 0;

	for (size_t i = 0; (p = rkmp_protocol_at(i)) != NULL; i++) {
		unsigned daemon = p->exports & (RKMP_XF_KEY_CHAIN | RKMP_XF_BGP);

		if (p->rp) {
			ASSERT_TRUE(p->exports & RKMP_XF_RFC8177);
			ASSERT_TRUE(daemon == RKMP_XF_KEY_CHAIN || daemon == RKMP_XF_BGP);
			ASSERT_INT_EQ(p->exports & RKMP_XF_ESP_SA, 0);
		} else
			ASSERT_INT_EQ(p->exports, RKMP_XF_ESP_SA);
		if (p->profile_default)
			defaults[p->rp]++;
		if (p->traffic_keys)
			traffic++;
	}
	ASSERT_INT_EQ(defaults[0], 1);
	ASSERT_INT_EQ(defaults[1], 1);
	ASSERT_INT_EQ(traffic, 1);
	ASSERT_INT_EQ(rkmp_protocol_default(true)->id, RKMP_PROTO_TCP_AO);	/* DESIGN.md §3 */
	ASSERT_INT_EQ(rkmp_protocol_default(false)->id, RKMP_PROTO_ESP);
}

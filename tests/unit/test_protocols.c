/* SPDX-License-Identifier: MIT */
/* protocols.c: one row per child-SA protocol, checked against wire.h, names.c
 * and proposal.c (DESIGN.md §2: the numbers and SPI lengths). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "names.h"
#include "proposal.h"
#include "protocols.h"
#include "test_helper.h"
#include "tests.h"
#include "wire.h"

TEST(protocols_rows_follow_design_section_2)
{
	static const struct { uint8_t id; const char *name, *wire; uint8_t spi_len; bool one_key; } want[] = {
		{ RKMP_PROTO_TCP_AO, "tcp-ao", "TCP_AO", 1, false },
		{ RKMP_PROTO_BFD, "bfd", "BFD", 1, false },
		{ RKMP_PROTO_RSVP_TE, "rsvp-te", "RSVP_TE", 6, false },
		{ RKMP_PROTO_TCP_MD5, "tcp-md5", "TCP_MD5", 1, true },
		{ RKMP_PROTO_ESP, "esp", "ESP", 4, false },
	};

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

/* SPDX-License-Identifier: MIT */
/* The routing protocol's side of a step (lib/rp.c): which events an exchange
 * makes of the children before and after it, and what a failed SA loses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "rp.h"
#include "test_helper.h"
#include "tests.h"
#include "wire.h"

static struct rkmp_sa_child *
kid(struct rkmp_sa *sa, uint8_t proto, uint8_t spi_local, uint8_t spi_peer, const char *state)
{
	struct rkmp_sa_child *ch = &sa->children[sa->nchildren++];

	memset(ch, 0, sizeof(*ch));
	ch->protocol = proto;
	ch->spi_size = 1;
	ch->spi_local[0] = spi_local;
	ch->spi_peer[0] = spi_peer;
	if (!rkmp_child_state_value(state, &ch->state))
		abort();
	ch->keymat_len = 20;
	memset(ch->keymat, 0xab, 20);
	return ch;
}

static void
base(struct rkmp_sa *sa)
{
	rkmp_sa_init(sa);
	sa->phase = RKMP_PHASE_ESTABLISHED;
	sa->initiator = true;
	sa->spi_i = 0x0102030405060708ull;
	sa->spi_r = 0x1112131415161718ull;
	kid(sa, RKMP_PROTO_TCP_AO, 0x3d, 0x54, "established");
}

static void
begin(struct rkmp_rp *rp, const struct rkmp_sa *sa)
{
	struct rkmp_rp_cfg cfg;

	rkmp_rp_defaults(&cfg);
	ASSERT_INT_EQ(rkmp_rp_begin(rp, &cfg, sa), 0);
	/* the snapshot keeps no key */
	for (size_t i = 0; i < rp->nwas; i++)
		ASSERT_INT_EQ(rp->was[i].keymat_len, 0);
}

TEST(rp_events_of_an_exchange)
{
	static struct rkmp_rp rp;
	struct rkmp_sa sa;

	/* nothing changed: no event */
	base(&sa);
	begin(&rp, &sa);
	rkmp_rp_settle(&rp, &sa);
	ASSERT_INT_EQ(rp.nev, 0);

	/* a new BFD child: insert; a refused one: nothing */
	begin(&rp, &sa);
	kid(&sa, RKMP_PROTO_BFD, 0x20, 0x21, "established");
	kid(&sa, RKMP_PROTO_BFD, 0x22, 0x23, "refused");
	rkmp_rp_settle(&rp, &sa);
	ASSERT_INT_EQ(rp.nev, 1);
	ASSERT_INT_EQ(rp.ev[0].kind, RKMP_RP_INSERT);
	ASSERT_INT_EQ(rp.ev[0].child, 1);

	/* the TCP-AO child rekeyed: one rekey event naming both */
	begin(&rp, &sa);
	sa.children[0].state = RKMP_CHILD_REKEYED;
	kid(&sa, RKMP_PROTO_TCP_AO, 0x3e, 0x55, "established");
	rkmp_rp_settle(&rp, &sa);
	ASSERT_INT_EQ(rp.nev, 1);
	ASSERT_INT_EQ(rp.ev[0].kind, RKMP_RP_REKEY);
	ASSERT_INT_EQ(rp.ev[0].child, 3);
	ASSERT_INT_EQ(rp.ev[0].old, 0);
	ASSERT_TRUE(!rp.relink);

	/* the BFD child deleted by the peer: delete, with the child as it was */
	begin(&rp, &sa);
	sa.children[1].state = RKMP_CHILD_DELETED;
	rkmp_rp_settle(&rp, &sa);
	ASSERT_INT_EQ(rp.nev, 1);
	ASSERT_INT_EQ(rp.ev[0].kind, RKMP_RP_DELETE);
	ASSERT_INT_EQ(rp.ev[0].snap.spi_local[0], 0x20);
	ASSERT_STR_EQ(rkmp_child_state_name(rp.ev[0].snap.state), "established");

	/* the RKMP SA rekeyed: no event, the rows follow */
	begin(&rp, &sa);
	sa.spi_i = 0xa1;
	sa.spi_r = 0xb2;
	rkmp_rp_settle(&rp, &sa);
	ASSERT_INT_EQ(rp.nev, 0);
	ASSERT_TRUE(rp.relink);

	/* an orderly delete: close, children kept */
	begin(&rp, &sa);
	sa.phase = RKMP_PHASE_DELETED;
	rkmp_rp_settle(&rp, &sa);
	ASSERT_INT_EQ(rp.nev, 1);
	ASSERT_INT_EQ(rp.ev[0].kind, RKMP_RP_CLOSE);
	ASSERT_STR_EQ(rkmp_child_state_name(sa.children[3].state), "established");
	ASSERT_INT_EQ(sa.children[3].keymat_len, 20);
	rkmp_sa_wipe(&sa);
}

TEST(rp_revoke_discards_the_children)
{
	static struct rkmp_rp rp;
	struct rkmp_sa sa;

	base(&sa);
	kid(&sa, RKMP_PROTO_BFD, 0x20, 0x21, "rekeyed");
	kid(&sa, RKMP_PROTO_BFD, 0x24, 0x25, "established");
	kid(&sa, RKMP_PROTO_RSVP_TE, 0x26, 0x27, "deleted");
	begin(&rp, &sa);
	sa.phase = RKMP_PHASE_FAILED;
	snprintf(sa.reason, sizeof(sa.reason), "no answer from 192.0.2.2:50500 after 5 retransmissions");
	/* in the same step a child came up: a failed SA makes no insert of it */
	kid(&sa, RKMP_PROTO_TCP_AO, 0x30, 0x31, "established");
	rkmp_rp_settle(&rp, &sa);
	ASSERT_INT_EQ(rp.nev, 1);
	ASSERT_INT_EQ(rp.ev[0].kind, RKMP_RP_REVOKE);
	ASSERT_STR_EQ(rp.revoked, "tcp-ao:54 bfd:21 bfd:25 tcp-ao:31");
	for (size_t i = 0; i < sa.nchildren; i++) {
		const struct rkmp_sa_child *ch = &sa.children[i];
		static const uint8_t zero[RKMP_SA_KEYMAT_MAX];

		ASSERT_STR_EQ(rkmp_child_state_name(ch->state), i == 3 ? "deleted" : "revoked");
		if (i != 3) {
			ASSERT_INT_EQ(ch->keymat_len, 0);
			ASSERT_MEM_EQ(ch->keymat, zero, sizeof(zero));
			ASSERT_STR_CONTAINS(ch->reason, "after 5 retransmissions");
		}
	}
	/* already failed: nothing more */
	begin(&rp, &sa);
	rkmp_rp_settle(&rp, &sa);
	ASSERT_INT_EQ(rp.nev, 0);
	rkmp_sa_wipe(&sa);
}

TEST(rp_bad_key_table_refused_before_the_exchange)
{
	static struct rkmp_rp rp;
	struct rkmp_rp_cfg cfg;
	struct rkmp_sa sa;
	char path[] = "/tmp/rkmp-test-rp-XXXXXX";
	int fd = mkstemp(path);

	ASSERT_TRUE(fd >= 0);
	ASSERT_INT_EQ(write(fd, "{\"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": [", 51), 51);
	close(fd);
	base(&sa);
	rkmp_rp_defaults(&cfg);
	cfg.keytable = path;
	ASSERT_INT_EQ(rkmp_rp_begin(&rp, &cfg, &sa), RKMP_E_STATE);
	/* a missing table is created later: fine now */
	unlink(path);
	ASSERT_INT_EQ(rkmp_rp_begin(&rp, &cfg, &sa), 0);
	ASSERT_STR_EQ(rkmp_rp_kind_name(RKMP_RP_REVOKE), "revoke");
	rkmp_sa_wipe(&sa);
}

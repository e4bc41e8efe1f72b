/* SPDX-License-Identifier: MIT */
/*
 * kt_child.c — the key-table row of an RKMP child SA (keytable.h, "rows
 * from child SAs"): its key names, KDF, AlgID and Key from the child's
 * transforms and KEYMAT, its windows (rkmp-karp.md §9) and x-rkmp, put in
 * the table by an insert or, for a child that replaces another, a rekey.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "err.h"
#include "hex.h"
#include "json.h"
#include "keytable.h"
#include "kt_int.h"
#include "protocols.h"
#include "sa.h"
#include "wire.h"

/* ================================================================ rows from child SAs */

void
rkmp_keytable_child_defaults(struct rkmp_keytable_child_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->send_delay = RKMP_KEYTABLE_SEND_DELAY;
	cfg->grace = RKMP_KEYTABLE_GRACE;
	cfg->lifetime = RKMP_KEYTABLE_LIFETIME;
	cfg->serial = 1;
}

static int
child_transform(const struct rkmp_sa_child *ch, uint16_t type)
{
	for (size_t i = 0; i < ch->ntransforms && i < 8; i++)
		if (ch->transforms[i][0] == type)
			return ch->transforms[i][1];
	return -1;
}

/* Whether a child is an IPsec SA (protocols.h: rp false), not a routing protocol's. */
static bool
child_ipsec(const struct rkmp_sa_child *ch)
{
	const struct rkmp_protocol *p = rkmp_protocol_by_id(ch->protocol);

	return p != NULL && !p->rp;
}

/*
 * A routing-protocol child's KDF, AlgID and ProtocolSpecificInfo: the row of
 * its protocol's AlgIDs (protocols.c) that its INTEG and mode transform pick.
 */
static int
rp_alg(const struct rkmp_protocol *p, const struct rkmp_sa_child *ch, int integ,
    struct rkmp_keytable_row *row, struct rkmp_proto_psi *in, const char *peer)
{
	int raw = p->mode_type != 0 ? child_transform(ch, p->mode_type) : -1;
	int mode = raw < 0 ? 0 : raw;
	const struct rkmp_proto_alg *a = NULL;

	if (p->nmode_names > 0 && (size_t)mode >= p->nmode_names)
		return rkmp_err_set(RKMP_E_CRYPTO, "child SA", "%s %s %d", p->title, p->mode_label,
		    mode);
	for (size_t i = 0; i < p->nalgs && a == NULL; i++)
		if ((p->algs[i].integ < 0 || p->algs[i].integ == integ) &&
		    (p->algs[i].mode < 0 || p->algs[i].mode == mode))
			a = &p->algs[i];
	if (a == NULL && p->nmode_names > 0)
		return rkmp_err_set(RKMP_E_CRYPTO, "child SA", "%s %s %s with INTEG %d", p->title,
		    p->mode_label, p->mode_names[mode], integ);
	if (a == NULL)
		return rkmp_err_set(RKMP_E_CRYPTO, "child SA", "%s with INTEG %d%s%s", p->title,
		    integ, p->alg_miss ? ": " : "", p->alg_miss ? p->alg_miss : "");
	row->kdf = a->kdf;
	row->alg_id = a->alg;
	in->peer = peer;
	in->mode = raw;
	in->alg = a;
	return 0;
}

const char *
rkmp_keytable_child_name(const struct rkmp_sa_child *ch, bool local,
    char out[2 * RKMP_SA_SPI_MAX + 1])
{
	size_t n = ch->spi_size > RKMP_SA_SPI_MAX ? RKMP_SA_SPI_MAX : ch->spi_size;

	/* TCP-AO, BFD, RSVP-TE: the SPI is its sender's ID, so we receive under
	 * the peer's (rkmp-karp.md §5.1, §12.3); ESP as IPsec: our inbound SPI */
	rkmp_hex_encode(child_ipsec(ch) == local ? ch->spi_local : ch->spi_peer, n, out);
	return out;
}

int
rkmp_keytable_add_child(struct rkmp_keytable *kt, const struct rkmp_sa *sa,
    const struct rkmp_sa_child *ch, const struct rkmp_keytable_child_cfg *cfg, size_t *index)
{
	struct rkmp_keytable_row row;
	char local_spi[2 * RKMP_SA_SPI_MAX + 1], peer_spi[2 * RKMP_SA_SPI_MAX + 1];
	char admin[512], psi[512], rkmp_sa[40], alg[64];
	struct rkmp_proto_psi pin = { 0 };
	struct rkmp_buf pb;
	struct rkmp_jw pw;
	const char *peers[1] = { cfg->peer };
	const char *ifaces[1] = { cfg->interface ? cfg->interface : "all" };
	uint8_t key[RKMP_KEYTABLE_KEY_MAX];
	const struct rkmp_protocol *p = rkmp_protocol_by_id(ch->protocol);
	const char *pname = p != NULL ? p->name : NULL;
	int integ = child_transform(ch, RKMP_TRANS_INTEG), r;

	if (p == NULL)
		return rkmp_err_set(RKMP_E_USAGE, "child SA", "protocol %u has no key table rows",
		    ch->protocol);
	if (ch->state != RKMP_CHILD_ESTABLISHED)
		return rkmp_err_set(RKMP_E_STATE, "child SA", "state \"%s\", not established",
		    rkmp_child_state_name(ch->state));
	if (cfg->peer == NULL || !rkmp_keytable_peer_ok(cfg->peer))
		return rkmp_err_set(RKMP_E_USAGE, "child SA", "peer address '%s'",
		    cfg->peer ? cfg->peer : "");
	if (ch->spi_size == 0 || ch->spi_size > RKMP_SA_SPI_MAX || ch->keymat_len == 0 ||
	    ch->keymat_len > sizeof(ch->keymat))
		return rkmp_err_set(RKMP_E_STATE, "child SA", "SPI size %u, KEYMAT %zu octets",
		    ch->spi_size, ch->keymat_len);
	rkmp_hex_encode(ch->spi_local, ch->spi_size, local_spi);
	rkmp_hex_encode(ch->spi_peer, ch->spi_size, peer_spi);
	memset(&row, 0, sizeof(row));
	row.protocol = ch->protocol;
	row.peers = peers;
	row.npeers = 1;
	row.interfaces = ifaces;
	row.ninterfaces = 1;
	row.direction = RKMP_KEYTABLE_BOTH;
	row.key = key;
	/* key names: TCP-AO, BFD and RSVP-TE SPIs are the sender's ID (rkmp-karp.md §5.1) */
	row.local_name = peer_spi;
	row.peer_name = local_spi;
	if (p->rp) {
		if ((r = rp_alg(p, ch, integ, &row, &pin, cfg->peer)) != 0)
			return r;
		if (ch->keymat_len > sizeof(key))
			return rkmp_err_set(RKMP_E_STATE, "child SA", "KEYMAT %zu octets", ch->keymat_len);
		memcpy(key, ch->keymat, ch->keymat_len);
		row.key_len = ch->keymat_len;
	} else {	/* ESP, the ikev2 profile's children: IPsec SPIs, four keys */
		int encr = child_transform(ch, RKMP_TRANS_ENCR);
		const struct rkmp_encr_alg *et, *e = NULL;
		const struct rkmp_integ_alg *in = NULL;
		size_t n, half = ch->keymat_len / 2, ei;

		if (integ > 0 && (in = rkmp_crypto_integ_lookup((uint16_t)integ)) == NULL)
			return RKMP_E_CRYPTO;
		et = rkmp_crypto_encr_table(&n);
		for (size_t i = 0; i < n; i++)
			if (et[i].id == encr && et[i].key_len + et[i].salt_len +
			    (in ? in->key_len : 0) == half && (in == NULL) == (et[i].aead != 0))
				e = &et[i];
		if (e == NULL || ch->keymat_len % 2 != 0)
			return rkmp_err_set(RKMP_E_CRYPTO, "child SA", "ESP ENCR %d INTEG %d with "
			    "KEYMAT %zu octets", encr, integ, ch->keymat_len);
		snprintf(alg, sizeof(alg), "%s%s%s", e->keyword, in ? "-" : "", in ? in->keyword : "");
		row.kdf = "none";
		row.alg_id = alg;
		row.local_name = local_spi;
		row.peer_name = peer_spi;
		/* KEYMAT = initiator-to-responder keys, then responder-to-initiator (§2.17) */
		ei = sa->initiator ? 0 : half;
		memcpy(key, ch->keymat + ei, half);
		memcpy(key + half, ch->keymat + (half - ei), half);
		row.key_len = 2 * half;
	}
	/* ProtocolSpecificInfo: the protocol's, or ESP's local address */
	rkmp_buf_init(&pb, sizeof(psi) - 1);
	rkmp_jw_init(&pw, &pb, true);
	if (p->rp)
		p->psi(&pin, &pw);
	else {
		rkmp_jw_object(&pw);
		if (cfg->local != NULL) {
			RKMP_JW_KEY(&pw, "local");
			rkmp_jw_str(&pw, cfg->local);
		}
		rkmp_jw_object_end(&pw);
	}
	if (rkmp_jw_finish(&pw) != 0 || pb.len >= sizeof(psi)) {
		rkmp_buf_free(&pb);
		return rkmp_err_set(RKMP_E_INTERNAL, "child SA", "ProtocolSpecificInfo of %zu octets",
		    pb.len);
	}
	memcpy(psi, pb.p, pb.len);
	psi[pb.len] = '\0';
	rkmp_buf_free(&pb);
	row.psi = psi;
	snprintf(admin, sizeof(admin), "rkmp/%s/%s/%s-%s/%04u", pname, cfg->peer,
	    sa->initiator ? local_spi : peer_spi, sa->initiator ? peer_spi : local_spi, cfg->serial);
	row.admin_name = admin;
	/* rkmp-karp.md §9: accept from T, send from T + δ, to T + hard, accept G longer */
	row.accept_start = cfg->now;
	/* one key for both directions (TCP-MD5): nothing to stagger, it is sent from T */
	row.send_start = cfg->now + (p->one_key ? 0 :
	    cfg->send_delay);
	row.send_end = cfg->now + cfg->lifetime;
	if (row.send_end < row.send_start)
		row.send_end = row.send_start;
	row.accept_end = row.send_end + cfg->grace;
	snprintf(rkmp_sa, sizeof(rkmp_sa), "%016" PRIx64 ":%016" PRIx64, sa->spi_i, sa->spi_r);
	row.x.present = true;
	row.x.proto_id = ch->protocol;
	row.x.child_spi_local = local_spi;
	row.x.child_spi_peer = peer_spi;
	row.x.rkmp_sa = rkmp_sa;
	row.x.role = sa->initiator ? "initiator" : "responder";
	row.x.state = cfg->state ? cfg->state : "active";
	if (cfg->replaces == NULL)
		r = rkmp_keytable_insert(kt, &row);
	else {
		char oname[2 * RKMP_SA_SPI_MAX + 1];
		uint64_t old_id;

		if (cfg->replaces->protocol != ch->protocol ||
		    !rkmp_keytable_spi_parse(rkmp_keytable_child_name(cfg->replaces, true, oname),
		    &old_id))
			r = rkmp_err_set(RKMP_E_USAGE, "child SA", "a %s child cannot replace a %s one",
			    pname, rkmp_keytable_protocol_name(cfg->replaces->protocol) ?
			    rkmp_keytable_protocol_name(cfg->replaces->protocol) : "?");
		else
			r = rkmp_keytable_rekey(kt, ch->protocol, cfg->peer, old_id, &row, cfg->grace,
			    NULL);
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (r == 0 && index != NULL)
		*index = kt->n - 1;
	return r;
}

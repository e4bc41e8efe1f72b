/* SPDX-License-Identifier: MIT */
/*
 * ike_auth.c — RKMP_SA_AUTH (IKE_AUTH: RFC 7296 §1.2, §2.15; draft-zhang-
 * karp-rkmp-00 §3) over struct rkmp_sa, with no I/O: our identity and AUTH
 * (PSK or signature over the octets of §2.15, by auth.c), the check of the
 * peer's, the request, the responder's answer and the initiator's
 * processing of it, with the first child SA they carry (or its refusal).
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "crypto.h"
#include "err.h"
#include "identity.h"
#include "ike_int.h"
#include "msg.h"
#include "names.h"
#include "proposal.h"
#include "protocols.h"

/* ------------------------------------------------------------------ identities and AUTH */

/* Our ID payload body: from --id, or from our certificate. */
static int
local_id(const struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, uint8_t *type, uint8_t *data,
    size_t max, size_t *len)
{
	if (sa->id_local[0] != '\0')
		return rkmp_id_parse(sa->id_local, type, data, max, len);
	if (cfg->creds != NULL)
		return rkmp_creds_id(cfg->creds, type, data, max, len);
	return rkmp_err_set(RKMP_E_USAGE, "identity", "no --id given and no certificate to take one from");
}

/*
 * The signed octets of one side's AUTH (§2.15): RealMessage of that side
 * (its IKE_SA_INIT message as sent), the other side's nonce, prf(SK_p, ID').
 */
static int
auth_octets(const struct rkmp_sa *sa, bool of_initiator, const uint8_t *id_body, size_t id_len,
    struct rkmp_auth_octets *o)
{
	/* the initiator's message is the request: we sent it if we are the initiator */
	const struct rkmp_sa_msg *msg = rkmp_sa_last(sa, of_initiator == sa->initiator,
	    RKMP_EXCH_IKE_SA_INIT, !of_initiator);

	if (msg == NULL)
		return rkmp_err_set(RKMP_E_STATE, "transcript", "no IKE_SA_INIT %s recorded",
		    of_initiator ? "request" : "response");
	o->msg = msg->p;
	o->msg_len = msg->len;
	o->nonce = of_initiator ? sa->nr.p : sa->ni.p;
	o->nonce_len = of_initiator ? sa->nr.len : sa->ni.len;
	o->id = id_body;
	o->id_len = id_len;
	o->sk_p = of_initiator ? sa->sec.sk_pi : sa->sec.sk_pr;
	o->sk_p_len = sa->sec.p_len;
	return 0;
}

/* The peer's SIGNATURE_HASH_ALGORITHMS from its IKE_SA_INIT message, if any. */
static size_t
peer_hashes(const struct rkmp_sa *sa, uint16_t *out, size_t max)
{
	const struct rkmp_sa_msg *msg = rkmp_sa_last(sa, false, RKMP_EXCH_IKE_SA_INIT, sa->initiator);
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	const struct rkmp_pld *n;
	size_t k = 0;

	if (msg != NULL && rkmp_msg_decode(&a, msg->p, msg->len, &m) == 0 &&
	    (n = rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_SIGNATURE_HASH_ALGORITHMS)) != NULL)
		for (size_t i = 0; i + 1 < n->u.notify.len && k < max; i += 2)
			out[k++] = rkmp_get16(n->u.notify.data + i);
	rkmp_arena_free(&a);
	return k;
}

/* Whether the responder advertised CHILDLESS_IKEV2_SUPPORTED (RFC 6023). */
static bool
peer_childless(const struct rkmp_sa *sa)
{
	const struct rkmp_sa_msg *msg = rkmp_sa_last(sa, false, RKMP_EXCH_IKE_SA_INIT, true);
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	bool yes = false;

	if (msg != NULL && rkmp_msg_decode(&a, msg->p, msg->len, &m) == 0)
		yes = rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_CHILDLESS_IKEV2_SUPPORTED) != NULL;
	rkmp_arena_free(&a);
	return yes;
}

/*
 * prf(PSK, "Key Pad for IKEv2") of cfg->psk with the SA's PRF, into pad: once
 * per side, for the peer's AUTH and ours, from the SA's in-memory copy when
 * this process computed it from the same key (the same octets) before.
 */
static int
psk_pad(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const struct rkmp_prf_alg *prf,
    uint8_t *pad)
{
	struct rkmp_sa_psk_pad *c = &sa->psk_pad_cache;
	int r;

	if (cfg->psk_len > sizeof(c->psk))
		return rkmp_auth_psk_pad(prf, cfg->psk, cfg->psk_len, pad);
	if (c->len != prf->out_len || c->prf != prf->id || c->psk_len != cfg->psk_len ||
	    !rkmp_crypto_ct_eq(c->psk, cfg->psk, cfg->psk_len)) {
		rkmp_crypto_wipe(c, sizeof(*c));
		if ((r = rkmp_auth_psk_pad(prf, cfg->psk, cfg->psk_len, c->pad)) != 0) {
			rkmp_crypto_wipe(c, sizeof(*c));
			return r;
		}
		memcpy(c->psk, cfg->psk, cfg->psk_len);
		c->psk_len = cfg->psk_len;
		c->prf = prf->id;
		c->len = prf->out_len;
	}
	memcpy(pad, c->pad, c->len);
	return 0;
}

/* Our AUTH payload: PSK or signature, over our side's octets. */
static int
auth_make(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *id_body, size_t id_len,
    uint8_t *out, size_t max, size_t *len, uint8_t *method)
{
	struct rkmp_auth_octets oc;
	struct ike_suite s;
	uint16_t hashes[16];
	int r, m = 0;

	if ((r = rkmp_ike_suite_rows(sa, &s)) != 0 ||
	    (r = auth_octets(sa, sa->initiator, id_body, id_len, &oc)) != 0)
		return r;
	if (cfg->psk != NULL) {
		/* keep the key pad: the answer is checked with it, PSK file or not */
		if ((r = psk_pad(sa, cfg, s.prf, sa->sec.psk_pad)) != 0 ||
		    (r = rkmp_auth_psk_padded(s.prf, sa->sec.psk_pad, &oc, out)) != 0)
			return r;
		sa->sec.psk_pad_len = s.prf->out_len;
		*len = s.prf->out_len;
		*method = 2;
		return 0;
	}
	if (cfg->creds == NULL)
		return rkmp_err_set(RKMP_E_USAGE, "authentication", "give --psk-file or --cert/--key/--ca");
	if ((r = rkmp_auth_sign(cfg->creds, s.prf, cfg->auth_method, hashes,
	    peer_hashes(sa, hashes, 16), &oc, out, max, len, &m)) != 0)
		return r;
	*method = (uint8_t)m;
	return 0;
}

/* Check the peer's IDx and AUTH.  RKMP_E_REFUSED with the reason when they are wrong. */
static int
auth_check(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const struct rkmp_pld *pld, size_t n)
{
	const struct rkmp_pld *id = find(pld, n, sa->initiator ? RKMP_PLD_IDR : RKMP_PLD_IDI);
	const struct rkmp_pld *au = find(pld, n, RKMP_PLD_AUTH);
	struct rkmp_auth_octets oc;
	struct ike_suite s;
	int r;

	if (id == NULL || au == NULL)
		return rkmp_err_set(RKMP_E_INVALID, "RKMP_SA_AUTH", "%s missing",
		    id == NULL ? (sa->initiator ? "IDr" : "IDi") : "AUTH");
	rkmp_id_format(id->u.id.id_type, id->u.id.data, id->u.id.len, sa->id_peer_seen,
	    sizeof(sa->id_peer_seen));
	if (sa->id_peer[0] != '\0' && strcmp(sa->id_peer, sa->id_peer_seen) != 0)
		return rkmp_err_set(RKMP_E_REFUSED, "", "peer identity %s, expected %s",
		    sa->id_peer_seen, sa->id_peer);
	if ((r = rkmp_ike_suite_rows(sa, &s)) != 0 ||
	    (r = auth_octets(sa, !sa->initiator, id->body, id->body_len, &oc)) != 0)
		return r;
	if (au->u.auth.method == 2) {
		uint8_t pad[RKMP_CRYPTO_PRF_MAX];

		if (cfg->psk != NULL)
			r = psk_pad(sa, cfg, s.prf, pad);
		else if (sa->sec.psk_pad_len == s.prf->out_len)
			memcpy(pad, sa->sec.psk_pad, s.prf->out_len);
		else
			return rkmp_err_set(RKMP_E_REFUSED, "", "peer used a PSK, we have none (--psk-file)");
		if (r == 0)
			r = rkmp_auth_psk_verify_padded(s.prf, pad, &oc, au->u.auth.data, au->u.auth.len);
		rkmp_crypto_wipe(pad, sizeof(pad));
		if (r != 0)
			return rkmp_err_set(r, "", "AUTH (PSK) of %s does not verify: wrong pre-shared key?",
			    sa->id_peer_seen);
		return 0;
	}
	if (cfg->creds == NULL)	/* our slip, not the peer's: nothing recorded */
		return rkmp_err_set(RKMP_E_USAGE, "--ca", "the peer signed (AUTH method %s): give --ca "
		    "to verify its certificate", rkmp_name_or(RKMP_REG_AUTH, au->u.auth.method));
	{
		const uint8_t *certs[8];
		size_t lens[8], nc = 0;

		for (size_t i = 0; i < n && nc < 8; i++)
			if (pld[i].type == RKMP_PLD_CERT && pld[i].u.cert.encoding == 4) {
				certs[nc] = pld[i].u.cert.data;
				lens[nc++] = pld[i].u.cert.len;
			}
		if (nc == 0)
			return rkmp_err_set(RKMP_E_REFUSED, "", "peer sent no X.509 certificate");
		return rkmp_auth_verify(cfg->creds, certs, lens, nc, id->u.id.id_type, id->u.id.data,
		    id->u.id.len, au->u.auth.method, au->u.auth.data, au->u.auth.len, s.prf, &oc);
	}
}

/* ID payload body (type | RESERVED | data) into buf; the payload points at data. */
static size_t
id_body(uint8_t type, const uint8_t *data, size_t len, uint8_t *buf)
{
	buf[0] = type;
	buf[1] = buf[2] = buf[3] = 0;
	memcpy(buf + 4, data, len);
	return 4 + len;
}

static void
pl_id(struct pl_list *l, uint8_t ptype, const uint8_t *body, size_t body_len)
{
	struct rkmp_pld *p = rkmp_ike_pl_add(l, ptype);

	p->u.id.id_type = body[0];
	p->u.id.data = body + 4;
	p->u.id.len = body_len - 4;
}

static int
pl_certs(struct pl_list *l, const struct rkmp_ike_cfg *cfg)
{
	const uint8_t *der;
	size_t len;

	for (size_t i = 0; cfg->creds != NULL && (der = rkmp_creds_cert_der(cfg->creds, i, &len)) != NULL;
	    i++) {
		struct rkmp_pld *p = rkmp_ike_pl_add(l, RKMP_PLD_CERT);

		if (p == NULL)
			return rkmp_err_set(RKMP_E_USAGE, "certificate", "chain longer than we can send");
		p->u.cert.encoding = 4;
		p->u.cert.data = der;
		p->u.cert.len = len;
	}
	return 0;
}

/* ------------------------------------------------------------------ RKMP_SA_AUTH */

int
rkmp_ike_auth_request(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct rkmp_arena a = { 0 };
	struct pl_list l = { .n = 0 };
	uint8_t idd[RKMP_SA_ID_MAX], idb[RKMP_SA_ID_MAX + 4], pidb[RKMP_SA_ID_MAX + 4];
	uint8_t auth[1024], certreq[20 * 16], spi[RKMP_SA_SPI_MAX];
	size_t idlen, idb_len, auth_len, certreq_len = 0, n;
	uint8_t idtype, method;
	struct rkmp_pld *p;
	int r;

	if (sa->phase != RKMP_PHASE_INIT_DONE || !sa->initiator)
		return rkmp_err_set(RKMP_E_STATE, "phase", "%s %s, not an initiator in init-done",
		    sa->initiator ? "initiator" : "responder", rkmp_phase_name(sa->phase));
	if ((r = local_id(sa, cfg, &idtype, idd, sizeof(idd), &idlen)) != 0)
		goto out;
	idb_len = id_body(idtype, idd, idlen, idb);
	pl_id(&l, RKMP_PLD_IDI, idb, idb_len);
	if ((r = pl_certs(&l, cfg)) != 0)
		goto out;
	if (cfg->creds != NULL && rkmp_creds_certreq(cfg->creds, certreq, sizeof(certreq),
	    &certreq_len) == 0 && certreq_len > 0) {
		p = rkmp_ike_pl_add(&l, RKMP_PLD_CERTREQ);
		p->u.cert.encoding = 4;
		p->u.cert.data = certreq;
		p->u.cert.len = certreq_len;
	}
	if (sa->id_peer[0] != '\0') {
		uint8_t pt;
		size_t pl;

		if ((r = rkmp_id_parse(sa->id_peer, &pt, idd, sizeof(idd), &pl)) != 0)
			goto out;
		pl_id(&l, RKMP_PLD_IDR, pidb, id_body(pt, idd, pl, pidb));
	}
	if ((r = auth_make(sa, cfg, idb, idb_len, auth, sizeof(auth), &auth_len, &method)) != 0)
		goto out;
	p = rkmp_ike_pl_add(&l, RKMP_PLD_AUTH);
	p->u.auth.method = method;
	p->u.auth.data = auth;
	p->u.auth.len = auth_len;
	/* SAi2: a routing-protocol SA (rkmp), an ESP child with TS (ikev2), or none (RFC 6023). */
	if (sa->profile == RKMP_PROFILE_IKEV2 && sa->childless) {
		if (!peer_childless(sa)) {
			r = rkmp_err_set(RKMP_E_USAGE, "--childless",
			    "the responder did not send CHILDLESS_IKEV2_SUPPORTED (RFC 6023)");
			goto out;
		}
	} else {
		size_t spi_len = rkmp_ike_child_spi_len(rkmp_ike_child_protocol(sa));

		if ((r = rkmp_ike_child_specs(sa, rkmp_ike_child_protocol(sa), specs, &n)) != 0)
			goto out;
		do {
			if ((r = rkmp_ike_random(sa, "child spi", spi, spi_len)) != 0)
				goto out;
		} while (spi[0] == 0 && spi_len == 4);	/* ESP SPIs below 256 are reserved */
		p = rkmp_ike_pl_add(&l, RKMP_PLD_SA);
		if ((r = rkmp_proposal_to_sa(&a, specs, n, spi, spi_len, p)) != 0)
			goto out;
		if (sa->profile == RKMP_PROFILE_IKEV2) {
			rkmp_ike_pl_ts(&l, RKMP_PLD_TSI, &rkmp_ike_ts_any, 1);
			rkmp_ike_pl_ts(&l, RKMP_PLD_TSR, &rkmp_ike_ts_any, 1);
		}
		/* remember our SPI: the child is completed (or refused) by the answer */
		{
			struct rkmp_sa_child *ch = rkmp_ike_child_slot(sa);

			if (ch == NULL) {
				r = rkmp_err_set(RKMP_E_STATE, "children", "%d children already",
				    RKMP_SA_CHILD_MAX);
				goto out;
			}
			ch->protocol = specs[0].protocol;
			ch->spi_size = (uint8_t)spi_len;
			memcpy(ch->spi_local, spi, spi_len);
			ch->state = RKMP_CHILD_PROPOSED;
		}
	}
	if ((r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_IKE_AUTH, false, sa->mid_next, &l)) != 0)
		goto out;
	sa->mid_next++;
	sa->phase = RKMP_PHASE_AUTH_SENT;
	o->save = true;
	rkmp_ike_note(o, "RKMP_SA_AUTH request: %s, AUTH %s%s",
	    sa->id_local[0] ? sa->id_local : "(certificate)",
	    rkmp_name_or(RKMP_REG_AUTH, method), sa->childless ? ", childless" : "");
out:
	rkmp_crypto_wipe(auth, sizeof(auth));
	rkmp_arena_free(&a);
	return r;
}

int
rkmp_ike_auth_respond(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *req,
    size_t len, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct rkmp_prop_choice choice;
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	struct pl_list l = { .n = 0 };
	const struct rkmp_pld *inner, *sa_p, *tsi, *tsr;
	uint8_t idd[RKMP_SA_ID_MAX], idb[RKMP_SA_ID_MAX + 4], auth[1024], spi[RKMP_SA_SPI_MAX];
	size_t ninner, idlen, idb_len, auth_len, n, peer_spi_len;
	const uint8_t *peer_spi;
	uint8_t idtype, method;
	char child_note[300] = "";
	struct rkmp_pld *p;
	int r;

	if (sa->phase != RKMP_PHASE_INIT_DONE || sa->initiator)
		return rkmp_err_set(RKMP_E_STATE, "phase", "%s %s, not a responder in init-done",
		    sa->initiator ? "initiator" : "responder", rkmp_phase_name(sa->phase));
	/* A repeated IKE_SA_INIT request: answer it again from the transcript (§2.1). */
	{
		const struct rkmp_sa_msg *q = rkmp_sa_last(sa, false, RKMP_EXCH_IKE_SA_INIT, false);
		const struct rkmp_sa_msg *s = rkmp_sa_last(sa, true, RKMP_EXCH_IKE_SA_INIT, true);

		if (q != NULL && s != NULL && q->len == len && memcmp(q->p, req, len) == 0) {
			rkmp_buf_reset(&o->msg);
			rkmp_buf_put(&o->msg, s->p, s->len);
			o->send = true;
			rkmp_ike_note(o,
			    "repeated RKMP_SA_INIT request: answered again with the same response");
			return RKMP_IKE_AGAIN;
		}
	}
	if ((r = rkmp_ike_open_protected(sa, &a, req, len, false, &m, &inner, &ninner)) != 0)
		goto out;
	if (m.exchange != RKMP_EXCH_IKE_AUTH || m.msg_id != sa->mid_peer) {
		r = rkmp_err_set(RKMP_E_INVALID, "RKMP_SA_AUTH", "%s MID %u, expected IKE_AUTH MID %u",
		    rkmp_name_or(RKMP_REG_EXCHANGE, m.exchange), m.msg_id, sa->mid_peer);
		goto out;
	}
	if ((r = rkmp_sa_record(sa, false, req, len)) != 0)
		goto out;
	sa->mid_peer++;
	if ((r = auth_check(sa, cfg, inner, ninner)) != 0) {
		char why[400];

		if (r != RKMP_E_REFUSED)
			goto out;
		snprintf(why, sizeof(why), "%s", rkmp_err_detail());
		/* §2.21.2: AUTHENTICATION_FAILED in the (protected) response; the SA is dead */
		if ((r = rkmp_ike_pl_notify(&l, 24, 0, NULL, 0, NULL, 0)) != 0 ||
		    (r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_IKE_AUTH, true, m.msg_id, &l)) != 0)
			goto out;
		r = rkmp_ike_fail(sa, o, RKMP_E_REFUSED, "%s: answered AUTHENTICATION_FAILED", why);
		goto out;
	}
	/* Our ID and AUTH. */
	if ((r = local_id(sa, cfg, &idtype, idd, sizeof(idd), &idlen)) != 0)
		goto out;
	idb_len = id_body(idtype, idd, idlen, idb);
	pl_id(&l, RKMP_PLD_IDR, idb, idb_len);
	if ((r = pl_certs(&l, cfg)) != 0 ||
	    (r = auth_make(sa, cfg, idb, idb_len, auth, sizeof(auth), &auth_len, &method)) != 0)
		goto out;
	p = rkmp_ike_pl_add(&l, RKMP_PLD_AUTH);
	p->u.auth.method = method;
	p->u.auth.data = auth;
	p->u.auth.len = auth_len;
	/* The child: select, or refuse only the child (the RKMP SA still comes up). */
	sa_p = find(inner, ninner, RKMP_PLD_SA);
	tsi = find(inner, ninner, RKMP_PLD_TSI);
	tsr = find(inner, ninner, RKMP_PLD_TSR);
	if (sa_p != NULL) {
		/* the protocol the initiator asks for, when it is one of the profile's */
		const struct rkmp_protocol *pp = sa_p->u.sa.nprop > 0 ?
		    rkmp_protocol_by_id(sa_p->u.sa.prop[0].protocol) : NULL;
		uint8_t proto = pp != NULL && pp->rp == (sa->profile == RKMP_PROFILE_RKMP) ?
		    pp->id : rkmp_ike_child_protocol(sa);

		if ((r = rkmp_ike_child_specs(sa, proto, specs, &n)) != 0)
			goto out;
		r = rkmp_proposal_select(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len);
		if (r == 0 && sa->profile == RKMP_PROFILE_IKEV2 && (tsi == NULL || tsr == NULL)) {
			snprintf(child_note, sizeof(child_note), "child refused: TS_UNACCEPTABLE (no TSi/TSr)");
			rkmp_ike_child_refused(sa, choice.protocol, "no TSi/TSr: answered TS_UNACCEPTABLE");
			if ((r = rkmp_ike_pl_notify(&l, 38, 0, NULL, 0, NULL, 0)) != 0)
				goto out;
		} else if (r == 0) {
			size_t spi_len = peer_spi_len;

			do {
				if ((r = rkmp_ike_random(sa, "child spi", spi, spi_len)) != 0)
					goto out;
			} while (spi_len == 4 && spi[0] == 0);
			struct child_seed cs = { NULL, sa->ni.p, sa->nr.p, 0, sa->ni.len, sa->nr.len, NULL, false };

			if ((r = rkmp_ike_child_establish(sa, &choice, spi, peer_spi, spi_len, &cs)) != 0)
				goto out;
			p = rkmp_ike_pl_add(&l, RKMP_PLD_SA);
			if ((r = rkmp_proposal_choice_to_sa(&a, &choice, sa->children[sa->nchildren - 1].spi_local,
			    spi_len, p)) != 0)
				goto out;
			if (tsi != NULL && tsr != NULL) {	/* accept the selectors as proposed */
				rkmp_ike_pl_ts(&l, RKMP_PLD_TSI, tsi->u.ts.ts, tsi->u.ts.count);
				rkmp_ike_pl_ts(&l, RKMP_PLD_TSR, tsr->u.ts.ts, tsr->u.ts.count);
			}
			if (rkmp_ike_noting(o))
				rkmp_proposal_format(&choice, child_note, sizeof(child_note));
		} else if (r == RKMP_E_REFUSED) {
			snprintf(child_note, sizeof(child_note), "child refused: NO_PROPOSAL_CHOSEN");
			rkmp_ike_child_refused(sa, sa_p->u.sa.prop[0].protocol, rkmp_err_detail());
			if ((r = rkmp_ike_pl_notify(&l, 14, 0, NULL, 0, NULL, 0)) != 0)
				goto out;
		} else
			goto out;
	}
	if ((r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_IKE_AUTH, true, m.msg_id, &l)) != 0)
		goto out;
	sa->phase = RKMP_PHASE_ESTABLISHED;
	o->save = true;
	rkmp_ike_note(o, "RKMP SA established with %s; %s", sa->id_peer_seen,
	    child_note[0] ? child_note : "no child SA (childless)");
out:
	rkmp_crypto_wipe(auth, sizeof(auth));
	rkmp_arena_free(&a);
	return r;
}

int
rkmp_ike_auth_process(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *resp,
    size_t len, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct rkmp_prop_choice choice;
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	const struct rkmp_pld *inner, *sa_p, *err;
	size_t ninner, n, peer_spi_len;
	const uint8_t *peer_spi;
	char child_note[300] = "no child SA (childless)";
	int r, ret = 0;

	if (sa->phase != RKMP_PHASE_AUTH_SENT)
		return rkmp_err_set(RKMP_E_STATE, "phase", "%s, not auth-sent", rkmp_phase_name(sa->phase));
	if ((r = rkmp_ike_open_protected(sa, &a, resp, len, true, &m, &inner, &ninner)) != 0)
		goto out;
	if (m.exchange != RKMP_EXCH_IKE_AUTH || m.msg_id != sa->mid_next - 1) {
		r = rkmp_err_set(RKMP_E_INVALID, "RKMP_SA_AUTH", "%s MID %u, expected IKE_AUTH MID %u",
		    rkmp_name_or(RKMP_REG_EXCHANGE, m.exchange), m.msg_id, sa->mid_next - 1);
		goto out;
	}
	if ((r = rkmp_sa_record(sa, false, resp, len)) != 0)
		goto out;
	/* Fatal errors kill the SA (§2.21.2); child errors only the child. */
	if ((err = rkmp_ike_find_error(inner, ninner)) != NULL &&
	    (err->u.notify.type == 24 || err->u.notify.type == 7 || err->u.notify.type == 1 ||
	    find(inner, ninner, RKMP_PLD_AUTH) == NULL)) {
		r = rkmp_ike_fail(sa, o, RKMP_E_REFUSED, "responder refused: %s",
		    rkmp_name_or(RKMP_REG_NOTIFY, err->u.notify.type));
		goto out;
	}
	if ((r = auth_check(sa, cfg, inner, ninner)) != 0) {
		if (r != RKMP_E_REFUSED)
			goto out;
		r = rkmp_ike_fail(sa, o, RKMP_E_REFUSED, "%s", rkmp_err_detail());
		goto out;
	}
	sa_p = find(inner, ninner, RKMP_PLD_SA);
	if (sa->childless && sa->profile == RKMP_PROFILE_IKEV2) {
		/* nothing asked, nothing to take */
	} else if (err != NULL) {
		snprintf(child_note, sizeof(child_note), "child SA refused by the responder: %s",
		    rkmp_name_or(RKMP_REG_NOTIFY, err->u.notify.type));
		rkmp_ike_child_refused(sa, rkmp_ike_child_protocol(sa), child_note);
		ret = RKMP_E_REFUSED;
	} else if (sa_p == NULL) {
		snprintf(child_note, sizeof(child_note), "child SA not created: the answer has no SA payload");
		rkmp_ike_child_refused(sa, rkmp_ike_child_protocol(sa), child_note);
		ret = RKMP_E_REFUSED;
	} else {
		struct rkmp_sa_child *pend = sa->nchildren > 0 ? &sa->children[sa->nchildren - 1] :
		    NULL;
		uint8_t proto = pend != NULL && pend->state == RKMP_CHILD_PROPOSED ?
		    pend->protocol : rkmp_ike_child_protocol(sa);

		if ((r = rkmp_ike_child_specs(sa, proto, specs, &n)) != 0 ||
		    (r = rkmp_proposal_accept(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len)) != 0)
			goto out;
		{
			struct rkmp_sa_child *ch = rkmp_ike_child_slot(sa);

			if (ch == NULL || peer_spi_len != ch->spi_size) {
				r = rkmp_err_set(RKMP_E_INVALID, "SA payload", "child SPI size %zu, we sent %u",
				    peer_spi_len, ch ? ch->spi_size : 0);
				goto out;
			}
			struct child_seed cs = { NULL, sa->ni.p, sa->nr.p, 0, sa->ni.len, sa->nr.len, NULL, true };

			if ((r = rkmp_ike_child_establish(sa, &choice, ch->spi_local, peer_spi,
			    peer_spi_len, &cs)) != 0)
				goto out;
		}
		if (rkmp_ike_noting(o))
			rkmp_proposal_format(&choice, child_note, sizeof(child_note));
	}
	sa->phase = RKMP_PHASE_ESTABLISHED;
	o->save = true;
	rkmp_ike_note(o, "RKMP SA established with %s; %s", sa->id_peer_seen, child_note);
	if (ret != 0)
		r = rkmp_err_set(ret, "", "%s (the RKMP SA is established)", child_note);
	else
		r = 0;
out:
	rkmp_arena_free(&a);
	return r;
}

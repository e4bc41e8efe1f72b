/* SPDX-License-Identifier: MIT */
/*
 * ike_rekey.c — the rekey of the RKMP SA itself (RFC 7296 §1.3.2, §2.18)
 * over struct rkmp_sa, with no I/O: its proposal and keys, the new SA in
 * place of the old one, which is kept until its Delete, our answers to the
 * peer's rekey and to requests on the old SA, the processing of the answer
 * to ours; and the INVALID_KE_PAYLOAD retry of our CREATE_CHILD_SA requests
 * (§1.3), for a child or the RKMP SA.
 */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "ike_int.h"
#include "msg.h"
#include "names.h"
#include "proposal.h"

/* ------------------------------------------------------------------ rekey of the RKMP SA */

#define CHILD_KE_RETRIES_MAX	3	/* INVALID_KE_PAYLOAD rounds of one child exchange */

/* Swap the octets of two objects (no copy of a secret left behind). */
static void
memswap(void *a, void *b, size_t n)
{
	uint8_t *x = a, *y = b, t;

	for (size_t i = 0; i < n; i++) {
		t = x[i];
		x[i] = y[i];
		y[i] = t;
	}
}

#define SWAP_FIELD(a, b)	memswap(&(a), &(b), sizeof(a))

/*
 * Exchange the current RKMP SA's SPIs, role, Message IDs, IV counter, suite
 * and SK_a/SK_e keys with those of the old SA a rekey replaced: between two
 * calls the message helpers (rkmp_ike_emit_protected, rkmp_ike_open_protected,
 * sk_dir) work on the old SA.  Every caller swaps back on every path.
 */
void
rkmp_ike_old_swap(struct rkmp_sa *sa)
{
	SWAP_FIELD(sa->spi_i, sa->old.spi_i);
	SWAP_FIELD(sa->spi_r, sa->old.spi_r);
	SWAP_FIELD(sa->initiator, sa->old.initiator);
	SWAP_FIELD(sa->mid_next, sa->old.mid_next);
	SWAP_FIELD(sa->mid_peer, sa->old.mid_peer);
	SWAP_FIELD(sa->iv_counter_out, sa->old.iv_counter_out);
	SWAP_FIELD(sa->suite, sa->old.suite);
	SWAP_FIELD(sa->sec.a_len, sa->old.a_len);
	SWAP_FIELD(sa->sec.e_len, sa->old.e_len);
	SWAP_FIELD(sa->sec.sk_ai, sa->old.sk_ai);
	SWAP_FIELD(sa->sec.sk_ar, sa->old.sk_ar);
	SWAP_FIELD(sa->sec.sk_ei, sa->old.sk_ei);
	SWAP_FIELD(sa->sec.sk_er, sa->old.sk_er);
}

/* Forget the old SA (its Delete exchange is over). */
void
rkmp_ike_old_drop(struct rkmp_sa *sa)
{
	rkmp_crypto_wipe(&sa->old, sizeof(sa->old));
	memset(&sa->old, 0, sizeof(sa->old));
}

/* Whether a datagram's IKE header names the old SA. */
bool
rkmp_ike_is_old(const struct rkmp_sa *sa, const uint8_t *p, size_t len)
{
	return sa->old.spi_i != 0 && len >= RKMP_HDR_LEN && rkmp_get64(p) == sa->old.spi_i &&
	    rkmp_get64(p + 8) == sa->old.spi_r;
}

/*
 * The DH groups we accept for a request's KE: those of the IKE proposals
 * (sa->proposals) and, for a child, of its proposal list.
 */
static int
accepted_groups(const struct rkmp_sa *sa, uint8_t protocol, struct rkmp_prop_spec *g)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	size_t n;
	int r;

	memset(g, 0, sizeof(*g));
	if ((r = rkmp_ike_parse_specs(sa, specs, &n)) != 0)
		return r;
	rkmp_ike_spec_add_groups(g, specs, n);
	if (protocol != RKMP_PROTO_IKE) {
		if ((r = rkmp_ike_child_specs_for(sa, protocol, 0, false, specs, &n)) != 0)
			return r;
		rkmp_ike_spec_add_groups(g, specs, n);
	}
	return 0;
}

static bool
spec_has_group(const struct rkmp_prop_spec *s, uint16_t g)
{
	for (size_t t = 0; t < s->ntrans; t++)
		if (s->trans[t].type == RKMP_TRANS_DH && s->trans[t].id == g)
			return true;
	return false;
}

/* "ECP_256, CURVE25519" */
static void
format_groups(const struct rkmp_prop_spec *s, char *out, size_t outlen)
{
	size_t k = 0;

	out[0] = '\0';
	for (size_t t = 0; t < s->ntrans && k + 1 < outlen; t++) {
		int w = snprintf(out + k, outlen - k, "%s%s", k ? ", " : "",
		    rkmp_name_or(RKMP_REG_DH, s->trans[t].id));

		if (w < 0)
			break;
		k += (size_t)w;
	}
	if (out[0] == '\0')
		snprintf(out, outlen, "none");
}

/*
 * Our proposal for the new RKMP SA: the current suite (ENCR with its key
 * length, PRF, INTEG unless AEAD), the KE's group first, then the other
 * groups of our IKE proposals (so a peer may ask for one: INVALID_KE_PAYLOAD).
 */
int
rkmp_ike_rekey_spec(const struct rkmp_sa *sa, uint16_t group, struct rkmp_prop_spec *s)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct ike_suite rows;
	size_t n;
	int r;

	if ((r = rkmp_ike_suite_rows(sa, &rows)) != 0 || (r = rkmp_ike_parse_specs(sa, specs, &n)) != 0)
		return r;
	memset(s, 0, sizeof(*s));
	s->protocol = RKMP_PROTO_IKE;
	s->trans[s->ntrans++] = (struct rkmp_prop_transform){ RKMP_TRANS_ENCR, sa->suite.encr,
	    sa->suite.encr_bits };
	s->trans[s->ntrans++] = (struct rkmp_prop_transform){ RKMP_TRANS_PRF, sa->suite.prf, 0 };
	if (sa->suite.integ != 0)
		s->trans[s->ntrans++] = (struct rkmp_prop_transform){ RKMP_TRANS_INTEG,
		    sa->suite.integ, 0 };
	rkmp_ike_spec_add_group(s, group);
	rkmp_ike_spec_add_groups(s, specs, n);
	return 0;
}

/* The new RKMP SA of a rekey, before it replaces the current one. */
struct rekey {
	struct rkmp_sa_suite	 suite;
	uint64_t		 spi_i, spi_r;	/* the rekey's requester's first */
	const uint8_t		*ni, *nr;	/* the CREATE_CHILD_SA nonces */
	size_t			 ni_len, nr_len;
	uint8_t			 skeyseed[RKMP_CRYPTO_PRF_MAX];
	size_t			 skeyseed_len;
	struct rkmp_ike_keys	 k;
};

static void
rekey_wipe(struct rekey *rk)
{
	rkmp_crypto_wipe(rk->skeyseed, sizeof(rk->skeyseed));
	rkmp_crypto_ike_keys_wipe(&rk->k);
}

/*
 * Keys of the new RKMP SA (RFC 7296 §2.18):
 *   SKEYSEED' = prf_old(SK_d_old, g^ir (new) | Ni | Nr)
 *   {SK_d' | SK_ai' | ... | SK_pr'} = prf+_new(SKEYSEED', Ni | Nr | SPIi' | SPIr')
 * with the rekey's requester as "i".  These are the RFC's PRFs; strongSwan
 * takes the old PRF for prf+ too (ikev2-core.md §4.4), which is the same as
 * long as the PRF stays, as it does when we ask (we offer the current suite).
 */
static int
rekey_derive(const struct rkmp_sa *sa, const uint8_t *gir, size_t gir_len, struct rekey *rk)
{
	struct ike_suite olds, news;
	uint8_t spii[8], spir[8];
	int r;

	if ((r = rkmp_ike_suite_rows(sa, &olds)) != 0 ||
	    (r = rkmp_ike_suite_rows_of(&rk->suite, &news)) != 0)
		return r;
	if (sa->sec.d_len == 0)
		return rkmp_err_set(RKMP_E_STATE, "secrets", "no sk_d to rekey the RKMP SA with");
	put64(spii, rk->spi_i);
	put64(spir, rk->spi_r);
	if ((r = rkmp_crypto_skeyseed_rekey(olds.prf, sa->sec.sk_d, sa->sec.d_len, gir, gir_len,
	    rk->ni, rk->ni_len, rk->nr, rk->nr_len, rk->skeyseed)) != 0)
		return r;
	rk->skeyseed_len = olds.prf->out_len;
	return rkmp_crypto_ike_keys(news.prf, news.encr, news.integ, rk->skeyseed, rk->skeyseed_len,
	    rk->ni, rk->ni_len, rk->nr, rk->nr_len, spii, spir, &rk->k);
}

/*
 * The new RKMP SA replaces the current one, which is kept as the old SA until
 * its Delete exchange completes.  The rekey's requester is the new SA's
 * initiator (§2.18); both Message ID counters restart at 0 (§2.3); the
 * children move over unchanged.
 */
static void
rekey_commit(struct rkmp_sa *sa, const struct rekey *rk, bool initiator)
{
	rkmp_ike_old_drop(sa);	/* a stale one, whose Delete never came */
	sa->old.spi_i = sa->spi_i;
	sa->old.spi_r = sa->spi_r;
	sa->old.initiator = sa->initiator;
	sa->old.mid_next = sa->mid_next;
	sa->old.mid_peer = sa->mid_peer;
	sa->old.iv_counter_out = sa->iv_counter_out;
	sa->old.suite = sa->suite;
	sa->old.a_len = sa->sec.a_len;
	sa->old.e_len = sa->sec.e_len;
	memcpy(sa->old.sk_ai, sa->sec.sk_ai, sizeof(sa->old.sk_ai));
	memcpy(sa->old.sk_ar, sa->sec.sk_ar, sizeof(sa->old.sk_ar));
	memcpy(sa->old.sk_ei, sa->sec.sk_ei, sizeof(sa->old.sk_ei));
	memcpy(sa->old.sk_er, sa->sec.sk_er, sizeof(sa->old.sk_er));

	sa->spi_i = rk->spi_i;
	sa->spi_r = rk->spi_r;
	sa->initiator = initiator;
	sa->mid_next = 0;
	sa->mid_peer = 0;
	sa->iv_counter_out = 0;
	sa->created = 0;	/* a new SA: its clock (the daemon's) starts again */
	sa->suite = rk->suite;
	/* the state's nonces are the new SA's: those of the rekey */
	memmove(sa->ni.p, rk->ni, rk->ni_len);
	sa->ni.len = rk->ni_len;
	memmove(sa->nr.p, rk->nr, rk->nr_len);
	sa->nr.len = rk->nr_len;
	rkmp_crypto_wipe(&sa->sec.skeyseed, sizeof(sa->sec.skeyseed));
	memcpy(sa->sec.skeyseed, rk->skeyseed, rk->skeyseed_len);
	sa->sec.skeyseed_len = rk->skeyseed_len;
	rkmp_crypto_wipe(sa->sec.sk_d, sizeof(sa->sec.sk_d));
	rkmp_crypto_wipe(sa->sec.sk_ai, sizeof(sa->sec.sk_ai));
	rkmp_crypto_wipe(sa->sec.sk_ar, sizeof(sa->sec.sk_ar));
	rkmp_crypto_wipe(sa->sec.sk_ei, sizeof(sa->sec.sk_ei));
	rkmp_crypto_wipe(sa->sec.sk_er, sizeof(sa->sec.sk_er));
	rkmp_crypto_wipe(sa->sec.sk_pi, sizeof(sa->sec.sk_pi));
	rkmp_crypto_wipe(sa->sec.sk_pr, sizeof(sa->sec.sk_pr));
	sa->sec.d_len = rk->k.len.d;
	sa->sec.a_len = rk->k.len.a;
	sa->sec.e_len = rk->k.len.e;
	sa->sec.p_len = rk->k.len.p;
	memcpy(sa->sec.sk_d, rk->k.sk_d, rk->k.len.d);
	memcpy(sa->sec.sk_ai, rk->k.sk_ai, rk->k.len.a);
	memcpy(sa->sec.sk_ar, rk->k.sk_ar, rk->k.len.a);
	memcpy(sa->sec.sk_ei, rk->k.sk_ei, rk->k.len.e);
	memcpy(sa->sec.sk_er, rk->k.sk_er, rk->k.len.e);
	memcpy(sa->sec.sk_pi, rk->k.sk_pi, rk->k.len.p);
	memcpy(sa->sec.sk_pr, rk->k.sk_pr, rk->k.len.p);
	/* the rekey's DH private value has done its job */
	rkmp_crypto_wipe(sa->sec.dh_private, sizeof(sa->sec.dh_private));
	sa->sec.dh_private_len = 0;
}

/* ------------------------------------------------------------------ rekey: answers */

/*
 * A request on the old SA of a rekey we answered: its Delete (then the old
 * SA is gone), a liveness check, or a repeat of the rekey request.  Anything
 * else gets TEMPORARY_FAILURE: the old SA is only there to be deleted.
 */
int
rkmp_ike_old_respond(struct rkmp_sa *sa, const uint8_t *req, size_t len, struct rkmp_ike_out *o)
{
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	struct pl_list l = { .n = 0 };
	const struct rkmp_pld *inner;
	uint8_t delspis[RKMP_SA_CHILD_MAX][RKMP_SA_SPI_MAX];
	uint64_t oi = sa->old.spi_i, or_ = sa->old.spi_r;
	size_t ninner, ndel = 0;
	bool ike = false, info = false;
	int r;

	rkmp_ike_old_swap(sa);
	if (rkmp_get32(req + 20) + 1 == sa->mid_peer &&
	    (r = rkmp_ike_resend_answer(sa, req, len, o)) != 0)
		goto out;
	if ((r = rkmp_ike_open_protected(sa, &a, req, len, false, &m, &inner, &ninner)) != 0)
		goto out;
	if (m.msg_id != sa->mid_peer) {
		r = rkmp_err_set(RKMP_E_INVALID, "IKE header", "Message ID %u on the old RKMP SA, "
		    "expected %u", m.msg_id, sa->mid_peer);
		goto out;
	}
	if ((r = rkmp_sa_record(sa, false, req, len)) != 0)
		goto out;
	sa->mid_peer++;
	o->save = true;
	if ((info = m.exchange == RKMP_EXCH_INFORMATIONAL))
		ndel = rkmp_ike_info_deletes(sa, inner, ninner, &l, delspis, &ike);
	else if ((r = rkmp_ike_pl_notify(&l, 43, 0, NULL, 0, NULL, 0)) != 0)	/* TEMPORARY_FAILURE */
		goto out;
	r = rkmp_ike_emit_protected(sa, o, m.exchange, true, m.msg_id, &l);
out:
	rkmp_ike_old_swap(sa);
	rkmp_arena_free(&a);
	if (r != 0)
		return r;
	if (ike) {
		rkmp_ike_old_drop(sa);
		rkmp_ike_note(o,
		    "the peer deleted the old RKMP SA %016llx:%016llx%s; the RKMP SA goes on as "
		    "%016llx:%016llx", (unsigned long long)oi, (unsigned long long)or_,
		    ndel ? " (and child SAs)" : "", (unsigned long long)sa->spi_i,
		    (unsigned long long)sa->spi_r);
		return 0;
	}
	if (!info)
		rkmp_ike_note(o,
		    "%s on the old RKMP SA %016llx:%016llx: answered TEMPORARY_FAILURE (it was "
		    "rekeyed); waiting for its Delete", rkmp_name_or(RKMP_REG_EXCHANGE, m.exchange),
		    (unsigned long long)oi, (unsigned long long)or_);
	else
		rkmp_ike_note(o, "%s on the old RKMP SA %016llx:%016llx answered; waiting for its Delete",
		    ndel ? "child delete" : "liveness check", (unsigned long long)oi,
		    (unsigned long long)or_);
	return RKMP_IKE_AGAIN;
}

/*
 * The peer rekeys the RKMP SA (§1.3.2, §2.18): SK{SA(IKE, its new SPI), Ni,
 * KEi}.  We answer SK{SA(our new SPI), Nr, KEr} on the current SA, which
 * then becomes the old one (answering the Delete the peer sends on it next:
 * RKMP_IKE_AGAIN, the exchange goes on).
 */
int
rkmp_ike_rekey_respond(struct rkmp_sa *sa, const struct rkmp_msg *m, const struct rkmp_pld *inner,
    size_t ninner, struct rkmp_arena *a, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct rkmp_prop_choice choice;
	struct pl_list l = { .n = 0 };
	const struct rkmp_pld *sa_p = find(inner, ninner, RKMP_PLD_SA);
	const struct rkmp_pld *ni_p = find(inner, ninner, RKMP_PLD_NONCE);
	const struct rkmp_pld *ke_p = find(inner, ninner, RKMP_PLD_KE);
	struct rekey rk;
	struct rkmp_dh *dh = NULL;
	struct rkmp_pld *p;
	uint8_t gir[RKMP_CRYPTO_DH_MAX], nr[IKE_NONCE_LEN], spi[8], grp[2];
	const uint8_t *peer_spi;
	size_t n, peer_spi_len, gir_len = 0, klen;
	char label[48], prop[160], why[300];
	int r;

	memset(&rk, 0, sizeof(rk));
	/* §2.25.2: not while a request of ours is out (the answer would come on the old SA) */
	if (sa->pending.op != RKMP_CHILD_NONE) {
		if ((r = rkmp_ike_pl_notify(&l, 43, 0, NULL, 0, NULL, 0)) != 0 ||	/* TEMPORARY_FAILURE */
		    (r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m->msg_id, &l)) != 0)
			goto out;
		snprintf(why, sizeof(why), "RKMP SA rekey refused with TEMPORARY_FAILURE: our request "
		    "MID %u is still unanswered", sa->pending.msg_id);
		rkmp_ike_note(o, "%s", why);
		r = rkmp_err_set(RKMP_E_REFUSED, "", "%s", why);
		goto out;
	}
	if ((r = rkmp_ike_parse_specs(sa, specs, &n)) != 0)
		goto out;
	r = rkmp_proposal_select(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len);
	if (r == RKMP_E_REFUSED) {
		snprintf(why, sizeof(why), "%s", rkmp_err_detail());
		if ((r = rkmp_ike_pl_notify(&l, 14, 0, NULL, 0, NULL, 0)) != 0 ||	/* NO_PROPOSAL_CHOSEN */
		    (r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m->msg_id, &l)) != 0)
			goto out;
		rkmp_ike_note(o, "RKMP SA rekey refused: NO_PROPOSAL_CHOSEN");
		r = rkmp_err_set(RKMP_E_REFUSED, "", "RKMP SA rekey refused: NO_PROPOSAL_CHOSEN (%s)", why);
		goto out;
	}
	if (r != 0 || (r = rkmp_ike_suite_of_choice(&choice, &rk.suite)) != 0)
		goto out;
	/* KE mandatory, and of the chosen group (§1.3.2, §3.4) */
	if (ke_p == NULL || ke_p->u.ke.group != rk.suite.dh) {
		grp[0] = (uint8_t)(rk.suite.dh >> 8);
		grp[1] = (uint8_t)rk.suite.dh;
		if ((r = rkmp_ike_pl_notify(&l, RKMP_N_INVALID_KE_PAYLOAD, 0, NULL, 0, grp, 2)) != 0 ||
		    (r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m->msg_id, &l)) != 0)
			goto out;
		rkmp_ike_note(o, "RKMP SA rekey: KE %s%s, chosen group %s: answered INVALID_KE_PAYLOAD",
		    ke_p ? "of " : "missing", ke_p ? rkmp_name_or(RKMP_REG_DH, ke_p->u.ke.group) : "",
		    rkmp_name_or(RKMP_REG_DH, rk.suite.dh));
		r = RKMP_IKE_AGAIN;	/* the peer retries with the group asked for */
		goto out;
	}
	snprintf(label, sizeof(label), "rekey nonce %u", m->msg_id);
	if ((r = rkmp_ike_random(sa, label, nr, sizeof(nr))) != 0)
		goto out;
	rk.spi_i = rkmp_get64(peer_spi);
	for (unsigned tries = 0; rk.spi_r == 0 || rk.spi_r == rk.spi_i || rk.spi_r == sa->spi_i ||
	    rk.spi_r == sa->spi_r; tries++) {
		if (tries > 64) {
			r = rkmp_err_set(RKMP_E_CRYPTO, "random", "no usable SPI in %u tries", tries);
			goto out;
		}
		snprintf(label, sizeof(label), "rekey spi %u %u", m->msg_id, tries);
		if ((r = rkmp_ike_random(sa, label, spi, sizeof(spi))) != 0)
			goto out;
		rk.spi_r = rkmp_get64(spi);
	}
	put64(spi, rk.spi_r);
	if ((r = rkmp_ike_child_gir(sa, ke_p, true, gir, &gir_len, &dh)) != 0)
		goto out;
	rk.ni = ni_p->u.opaque.data;
	rk.ni_len = ni_p->u.opaque.len;
	rk.nr = nr;
	rk.nr_len = sizeof(nr);
	if ((r = rekey_derive(sa, gir, gir_len, &rk)) != 0)
		goto out;
	p = rkmp_ike_pl_add(&l, RKMP_PLD_SA);
	if ((r = rkmp_proposal_choice_to_sa(a, &choice, spi, sizeof(spi), p)) != 0)
		goto out;
	p = rkmp_ike_pl_add(&l, RKMP_PLD_NONCE);
	p->u.opaque.data = nr;
	p->u.opaque.len = sizeof(nr);
	p = rkmp_ike_pl_add(&l, RKMP_PLD_KE);
	p->u.ke.group = rk.suite.dh;
	p->u.ke.data = rkmp_crypto_dh_public(dh, &klen);
	p->u.ke.len = klen;
	if ((r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m->msg_id, &l)) != 0)
		goto out;
	rekey_commit(sa, &rk, false);
	if (rkmp_ike_noting(o))
		rkmp_proposal_format(&choice, prop, sizeof(prop));
	rkmp_ike_note(o,
	    "RKMP SA rekeyed by the peer: new SPIs %016llx:%016llx, suite %s; waiting for its "
	    "Delete of the old one", (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r, prop);
	r = RKMP_IKE_AGAIN;
out:
	rekey_wipe(&rk);
	rkmp_crypto_wipe(gir, sizeof(gir));
	rkmp_ike_dh_put(sa, dh);
	return r;
}

/* ------------------------------------------------------------------ rekey: answers to ours */

/*
 * INVALID_KE_PAYLOAD in answer to our CREATE_CHILD_SA request (§1.3, §2.21.1):
 * the same request again (same operation and target, new nonce and KE) with
 * the group asked for, if it is one we accept and not the one we sent, at most
 * CHILD_KE_RETRIES_MAX times; else the request is refused.
 */
int
rkmp_ike_ke_retry(struct rkmp_sa *sa, const struct rkmp_pld *err, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec groups;
	struct rkmp_child_req q;
	bool ike = sa->pending.op == RKMP_CHILD_REKEY_IKE;
	uint16_t g = err->u.notify.len >= 2 ? rkmp_get16(err->u.notify.data) : 0;
	uint8_t retries = sa->pending.retries;
	char list[200], what[400];
	int r;

	if ((r = accepted_groups(sa, ike ? RKMP_PROTO_IKE : sa->pending.protocol, &groups)) != 0)
		return r;
	if (sa->pending.dh_group == 0 || g == 0 || g == sa->pending.dh_group ||
	    !spec_has_group(&groups, g) || retries >= CHILD_KE_RETRIES_MAX) {
		format_groups(&groups, list, sizeof(list));
		if (retries >= CHILD_KE_RETRIES_MAX && spec_has_group(&groups, g))
			snprintf(what, sizeof(what), "%s refused by the peer: INVALID_KE_PAYLOAD (%s) "
			    "again: gave up after %u rounds", ike ? "RKMP SA rekey" : "child SA",
			    rkmp_name_or(RKMP_REG_DH, g), (unsigned)retries);
		else
			snprintf(what, sizeof(what), "%s refused by the peer: INVALID_KE_PAYLOAD asks for "
			    "%s (%u); we sent %s and accept %s", ike ? "RKMP SA rekey" : "child SA",
			    err->u.notify.len >= 2 ? rkmp_name_or(RKMP_REG_DH, g) : "no group", g,
			    sa->pending.dh_group ? rkmp_name_or(RKMP_REG_DH, sa->pending.dh_group) :
			    "no KE", list);
		if (!ike)
			rkmp_ike_child_refused(sa, sa->pending.protocol, what);
		memset(&sa->pending, 0, sizeof(sa->pending));
		rkmp_crypto_wipe(sa->sec.dh_private, sizeof(sa->sec.dh_private));
		sa->sec.dh_private_len = 0;
		rkmp_ike_note(o, "%s", what);
		return rkmp_err_set(RKMP_E_REFUSED, "", "%s", what);
	}
	memset(&q, 0, sizeof(q));
	q.op = (enum rkmp_child_op)sa->pending.op;
	q.protocol = sa->pending.protocol;
	q.pfs_group = g;
	if (q.op == RKMP_CHILD_REKEY) {
		q.spi_len = sa->pending.spi_size;
		memcpy(q.spi, sa->pending.target, q.spi_len);
	}
	if ((r = rkmp_ike_child_build(sa, &q, (uint8_t)(retries + 1), o)) != 0)
		return r;
	rkmp_ike_note(o, "the peer asked for KE group %s: %s request repeated with it (MID %u)",
	    rkmp_name_or(RKMP_REG_DH, g), ike ? "RKMP SA rekey" : "child", sa->pending.msg_id);
	return RKMP_IKE_AGAIN;
}

/*
 * The answer to our rekey of the RKMP SA: SK{SA(the peer's new SPI), Nr, KEr}.
 * The new SA replaces the current one, and the Delete of the old SA goes out
 * on it (§2.18: the rekey's requester deletes the old SA): RKMP_IKE_AGAIN
 * with that request in o->msg.
 */
int
rkmp_ike_rekey_process(struct rkmp_sa *sa, const struct rkmp_pld *inner, size_t ninner,
    const struct rkmp_pld *err, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec spec;
	struct rkmp_prop_choice choice;
	struct pl_list l = { .n = 0 };
	const struct rkmp_pld *sa_p, *nr_p, *ke_p;
	struct rkmp_dh *dh = NULL;
	struct rkmp_pld *p;
	struct rekey rk;
	uint8_t gir[RKMP_CRYPTO_DH_MAX];
	const uint8_t *peer_spi;
	size_t gir_len = 0, peer_spi_len;
	uint64_t oi = sa->spi_i, or_ = sa->spi_r;
	uint32_t mid;
	char what[300];
	int r;

	memset(&rk, 0, sizeof(rk));
	if (err != NULL) {
		snprintf(what, sizeof(what), "RKMP SA rekey refused by the peer: %s",
		    rkmp_name_or(RKMP_REG_NOTIFY, err->u.notify.type));
		memset(&sa->pending, 0, sizeof(sa->pending));
		rkmp_crypto_wipe(sa->sec.dh_private, sizeof(sa->sec.dh_private));
		sa->sec.dh_private_len = 0;
		rkmp_ike_note(o, "%s (the RKMP SA goes on)", what);
		return rkmp_err_set(RKMP_E_REFUSED, "", "%s", what);
	}
	sa_p = find(inner, ninner, RKMP_PLD_SA);
	nr_p = find(inner, ninner, RKMP_PLD_NONCE);
	ke_p = find(inner, ninner, RKMP_PLD_KE);
	if (sa_p == NULL || nr_p == NULL || ke_p == NULL)
		return rkmp_err_set(RKMP_E_INVALID, "CREATE_CHILD_SA response", "%s missing (an RKMP SA "
		    "rekey needs SA, Nonce and KE)", sa_p == NULL ? "SA" : nr_p == NULL ? "Nonce" : "KE");
	if ((r = rkmp_ike_rekey_spec(sa, sa->pending.dh_group, &spec)) != 0 ||
	    (r = rkmp_proposal_accept(sa_p, &spec, 1, &choice, &peer_spi, &peer_spi_len)) != 0 ||
	    (r = rkmp_ike_suite_of_choice(&choice, &rk.suite)) != 0)
		goto out;
	if (peer_spi_len != 8 || rkmp_get64(peer_spi) == 0) {
		r = rkmp_err_set(RKMP_E_INVALID, "SA payload", "RKMP SA rekey: the answer's SPI has %zu "
		    "octets%s, expected 8, not 0", peer_spi_len, peer_spi_len == 8 ? " (0)" : "");
		goto out;
	}
	if (rk.suite.dh != sa->pending.dh_group || ke_p->u.ke.group != sa->pending.dh_group) {
		r = rkmp_err_set(RKMP_E_INVALID, "KE payload", "group %u in the answer, %u chosen, we sent %u",
		    ke_p->u.ke.group, rk.suite.dh, sa->pending.dh_group);
		goto out;
	}
	if ((r = rkmp_ike_child_gir(sa, ke_p, false, gir, &gir_len, &dh)) != 0)
		goto out;
	rk.spi_i = sa->pending.ike_spi;
	rk.spi_r = rkmp_get64(peer_spi);
	rk.ni = sa->pending.nonce.p;
	rk.ni_len = sa->pending.nonce.len;
	rk.nr = nr_p->u.opaque.data;
	rk.nr_len = nr_p->u.opaque.len;
	if ((r = rekey_derive(sa, gir, gir_len, &rk)) != 0)
		goto out;
	rekey_commit(sa, &rk, true);
	/* the Delete of the old SA, on the old SA: its last request (§1.4.1, §2.18) */
	rkmp_ike_old_swap(sa);
	mid = sa->mid_next;
	if ((p = rkmp_ike_pl_add(&l, RKMP_PLD_DELETE)) != NULL)
		p->u.del.protocol = RKMP_PROTO_IKE;
	if ((r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_INFORMATIONAL, false, mid, &l)) == 0)
		sa->mid_next++;
	rkmp_ike_old_swap(sa);
	if (r != 0)
		goto out;
	memset(&sa->pending, 0, sizeof(sa->pending));
	sa->pending.op = RKMP_CHILD_DELETE_OLD_IKE;
	sa->pending.msg_id = mid;
	rkmp_ike_note(o,
	    "RKMP SA rekeyed: new SPIs %016llx:%016llx; deleting the old one (%016llx:%016llx)",
	    (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r, (unsigned long long)oi,
	    (unsigned long long)or_);
	r = RKMP_IKE_AGAIN;
out:
	rekey_wipe(&rk);
	rkmp_crypto_wipe(gir, sizeof(gir));
	rkmp_ike_dh_put(sa, dh);
	return r;
}

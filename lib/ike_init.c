/* SPDX-License-Identifier: MIT */
/*
 * ike_init.c — RKMP_SA_INIT (IKE_SA_INIT: RFC 7296 §1.2, §2.6, §2.23;
 * draft-zhang-karp-rkmp-00 §3) over struct rkmp_sa, with no I/O: the
 * initiator's request and its COOKIE and INVALID_KE_PAYLOAD retries, the
 * responder's answer, the initiator's processing of it, and the error
 * answers that only end the exchange.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth.h"
#include "crypto.h"
#include "err.h"
#include "ike_int.h"
#include "msg.h"
#include "names.h"
#include "proposal.h"

#define IKE_INIT_RETRIES_MAX	4	/* COOKIE and INVALID_KE rounds (§2.6) */

/* From a choice into the state's suite. */
static int
suite_from_choice(struct rkmp_sa *sa, const struct rkmp_prop_choice *c)
{
	return rkmp_ike_suite_of_choice(c, &sa->suite);
}

/* ------------------------------------------------------------------ NAT detection and notifies */

/* NAT_DETECTION_*_IP data: SHA-1(SPIi | SPIr | IP | port) (§2.23). */
static int
natd_hash(uint64_t spi_i, uint64_t spi_r, const struct rkmp_udp_addr *a, uint8_t out[20])
{
	uint8_t buf[8 + 8 + 16 + 2];
	size_t n = 16;
	unsigned int olen = 0;

	put64(buf, spi_i);
	put64(buf + 8, spi_r);
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&a->ss;

		memcpy(buf + n, &s->sin_addr, 4);
		n += 4;
		memcpy(buf + n, &s->sin_port, 2);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&a->ss;

		memcpy(buf + n, &s->sin6_addr, 16);
		n += 16;
		memcpy(buf + n, &s->sin6_port, 2);
	}
	n += 2;
	if (EVP_Digest(buf, n, out, &olen, EVP_sha1(), NULL) != 1)
		return rkmp_err_set(RKMP_E_CRYPTO, "NAT detection", "SHA-1 failed");
	return 0;
}

/*
 * Whether a NAT sits between us (RFC 7296 §2.23), from the peer's
 * NAT_DETECTION_*_IP notifies in message m (its SPIs): its source hashes
 * against the address we received from (remote), its destination hash
 * against ours (local).  False when either is unknown or no notify came.
 */
static bool
natd_differs(const struct rkmp_msg *m, const struct rkmp_ike_cfg *cfg)
{
	uint8_t h[20];
	bool src_seen = false, src_ok = false, dst_seen = false, dst_ok = false;

	if (cfg->local == NULL || cfg->remote == NULL)
		return false;
	for (size_t i = 0; i < m->npld; i++) {
		const struct rkmp_pld *p = &m->pld[i];
		const struct rkmp_udp_addr *a;
		bool *seen, *ok;

		if (p->type != RKMP_PLD_NOTIFY || !p->known || p->u.notify.len != 20)
			continue;
		if (p->u.notify.type == RKMP_N_NAT_DETECTION_SOURCE_IP) {
			a = cfg->remote, seen = &src_seen, ok = &src_ok;
		} else if (p->u.notify.type == RKMP_N_NAT_DETECTION_DESTINATION_IP) {
			a = cfg->local, seen = &dst_seen, ok = &dst_ok;
		} else
			continue;
		*seen = true;
		if (natd_hash(m->spi_i, m->spi_r, a, h) == 0 &&
		    memcmp(h, p->u.notify.data, sizeof(h)) == 0)
			*ok = true;
	}
	return (src_seen && !src_ok) || (dst_seen && !dst_ok);
}

/* Whether our own last RKMP_SA_INIT request carried notify type. */
static bool
sent_notify(const struct rkmp_sa *sa, uint16_t type)
{
	const struct rkmp_sa_msg *q = rkmp_sa_last(sa, true, RKMP_EXCH_IKE_SA_INIT, false);
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	bool yes;

	yes = q != NULL && rkmp_msg_decode(&a, q->p, q->len, &m) == 0 &&
	    rkmp_msg_find_notify(m.pld, m.npld, type) != NULL;
	rkmp_arena_free(&a);
	return yes;
}

static const uint8_t sig_hashes[] = { 0, 2, 0, 3, 0, 4 };	/* SHA2-256, -384, -512 (RFC 7427) */

/* ------------------------------------------------------------------ RKMP_SA_INIT */

/*
 * The initiator's IKE_SA_INIT request: [N(COOKIE)] SA KE Ni [N(NAT_D...)]
 * [N(SIGNATURE_HASH_ALGORITHMS)].  Built again, unchanged but for the
 * cookie and the KE, for the COOKIE and INVALID_KE_PAYLOAD retries (§2.6).
 */
static int
build_init_request(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct rkmp_arena a = { 0 };
	struct pl_list l = { .n = 0 };
	struct rkmp_pld *p;
	struct rkmp_dh *dh = NULL;
	uint8_t natd_s[20], natd_d[20];
	size_t n, klen;
	const uint8_t *kpub;
	int r;

	if ((r = rkmp_ike_parse_specs(sa, specs, &n)) != 0)
		goto out;
	if (!rkmp_proposal_has_group(specs, n, sa->ke_group_sent)) {
		r = rkmp_err_set(RKMP_E_USAGE, "proposal", "no DH group in \"%s\"", sa->proposals);
		goto out;
	}
	if ((r = rkmp_ike_dh_key(sa, sa->ke_group_sent, false, &dh)) != 0)
		goto out;
	if (sa->cookie.len > 0 && (r = rkmp_ike_pl_notify(&l, RKMP_N_COOKIE, 0, NULL, 0, sa->cookie.p,
	    sa->cookie.len)) != 0)
		goto out;
	if ((p = rkmp_ike_pl_add(&l, RKMP_PLD_SA)) == NULL ||
	    (r = rkmp_proposal_to_sa(&a, specs, n, NULL, 0, p)) != 0) {
		r = r ? r : RKMP_E_INTERNAL;
		goto out;
	}
	kpub = rkmp_crypto_dh_public(dh, &klen);
	p = rkmp_ike_pl_add(&l, RKMP_PLD_KE);
	p->u.ke.group = sa->ke_group_sent;
	p->u.ke.data = kpub;
	p->u.ke.len = klen;
	p = rkmp_ike_pl_add(&l, RKMP_PLD_NONCE);
	p->u.opaque.data = sa->ni.p;
	p->u.opaque.len = sa->ni.len;
	if (cfg->local != NULL && cfg->remote != NULL) {
		if ((r = natd_hash(sa->spi_i, 0, cfg->local, natd_s)) != 0 ||
		    (r = natd_hash(sa->spi_i, 0, cfg->remote, natd_d)) != 0 ||
		    (r = rkmp_ike_pl_notify(&l, RKMP_N_NAT_DETECTION_SOURCE_IP, 0, NULL, 0,
		    natd_s, 20)) != 0 ||
		    (r = rkmp_ike_pl_notify(&l, RKMP_N_NAT_DETECTION_DESTINATION_IP, 0, NULL, 0,
		    natd_d, 20)) != 0)
			goto out;
		/* RFC 7383, offered where there is IP to fragment: over UDP (DESIGN.md §6) */
		if ((r = rkmp_ike_pl_notify(&l, RKMP_N_IKEV2_FRAGMENTATION_SUPPORTED, 0, NULL, 0,
		    NULL, 0)) != 0)
			goto out;
	}
	/* RFC 7427: always offered (as strongSwan does), so that certificates given
	 * only at rkmp-auth can still sign with method 14 */
	if ((r = rkmp_ike_pl_notify(&l, RKMP_N_SIGNATURE_HASH_ALGORITHMS, 0, NULL, 0, sig_hashes,
	    sizeof(sig_hashes))) != 0)
		goto out;
	r = rkmp_ike_emit_clear(sa, o, sa->spi_i, 0, RKMP_EXCH_IKE_SA_INIT, RKMP_FLAG_I, 0, &l, true);
out:
	rkmp_ike_dh_put(sa, dh);
	rkmp_arena_free(&a);
	return r;
}

int
rkmp_ike_init_request(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	uint8_t spi[8];
	size_t n;
	int r, g;

	if (sa->phase != RKMP_PHASE_NEW)
		return rkmp_err_set(RKMP_E_STATE, "phase", "%s, not new", rkmp_phase_name(sa->phase));
	sa->initiator = true;
	if ((r = rkmp_ike_parse_specs(sa, specs, &n)) != 0)
		return r;
	if ((g = rkmp_proposal_first_group(specs, n)) < 0)
		return rkmp_err_set(RKMP_E_USAGE, "proposal", "no DH group in \"%s\"", sa->proposals);
	do {
		if ((r = rkmp_ike_random(sa, "spi", spi, sizeof(spi))) != 0)
			return r;
		sa->spi_i = rkmp_get64(spi);
	} while (sa->spi_i == 0);
	sa->spi_r = 0;
	sa->ni.len = IKE_NONCE_LEN;
	if ((r = rkmp_ike_random(sa, "nonce", sa->ni.p, sa->ni.len)) != 0)
		return r;
	sa->ke_group_sent = (uint16_t)g;
	sa->sec.dh_private_len = 0;
	if ((r = build_init_request(sa, cfg, o)) != 0)
		return r;
	sa->phase = RKMP_PHASE_INIT_SENT;
	sa->mid_next = 1;
	o->save = true;
	rkmp_ike_note(o, "RKMP_SA_INIT request: SPIi %016llx, KE %s", (unsigned long long)sa->spi_i,
	    rkmp_name_or(RKMP_REG_DH, (unsigned)g));
	return 0;
}

/* g^ir with our key pair (fresh for the responder, kept for the initiator), then SK_*. */
static int
init_keys(struct rkmp_sa *sa, bool fresh, const struct rkmp_pld *ke, struct rkmp_dh **dh)
{
	uint8_t gir[RKMP_CRYPTO_DH_MAX];
	int r;

	if ((r = rkmp_ike_dh_key(sa, sa->suite.dh, fresh, dh)) == 0 &&
	    (r = rkmp_crypto_dh_shared(*dh, ke->u.ke.data, ke->u.ke.len, gir)) == 0)
		r = rkmp_ike_derive_keys(sa, gir, rkmp_crypto_dh_lookup(sa->suite.dh)->secret_len);
	rkmp_crypto_wipe(gir, sizeof(gir));
	return r;
}

/* RKMP_SA_INIT is over for this side: keys derived, the next step is AUTH. */
static void
init_done(struct rkmp_sa *sa, struct rkmp_ike_out *o, const struct rkmp_prop_choice *c,
    const char *what)
{
	char prop[160];

	sa->phase = RKMP_PHASE_INIT_DONE;
	o->save = true;
	if (!rkmp_ike_noting(o))
		return;
	rkmp_proposal_format(c, prop, sizeof(prop));
	rkmp_ike_note(o, "RKMP_SA_INIT %s: SPIs %016llx:%016llx, suite %s, keys derived%s%s", what,
	    (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r, prop,
	    sa->fragmentation ? ", IKE fragmentation agreed (RFC 7383)" : "",
	    sa->nat ? ", NAT detected (RFC 7296 §2.23)" : "");
}

/* A stateless answer (COOKIE, INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN): HDR(SPIi, 0), N. */
static int
init_notify(struct rkmp_sa *sa, struct rkmp_ike_out *o, const struct rkmp_msg *req, uint16_t type,
    const uint8_t *data, size_t len)
{
	struct pl_list l = { .n = 0 };
	int r;

	if ((r = rkmp_ike_pl_notify(&l, type, 0, NULL, 0, data, len)) != 0)
		return r;
	return rkmp_ike_emit_clear(sa, o, req->spi_i, 0, RKMP_EXCH_IKE_SA_INIT, RKMP_FLAG_R, 0,
	    &l, false);
}

/* ------------------------------------------------------------------ stateless COOKIEs */

int
rkmp_cookie_make(const uint8_t secret[RKMP_COOKIE_SECRET], uint8_t version, const uint8_t *ni,
    size_t ni_len, const struct rkmp_udp_addr *ip, uint64_t spi_i, uint8_t out[RKMP_COOKIE_LEN])
{
	const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(5);	/* PRF_HMAC_SHA2_256 */
	struct rkmp_crypto_iov v[3];
	uint8_t spi[8], mac[32];
	int r;

	if (prf == NULL || prf->out_len != sizeof(mac))
		return rkmp_err_set(RKMP_E_CRYPTO, "COOKIE", "no HMAC-SHA2-256");
	put64(spi, spi_i);
	v[0] = (struct rkmp_crypto_iov){ ni, ni_len };
	v[1] = (struct rkmp_crypto_iov){ NULL, 0 };
	if (ip != NULL && ip->ss.ss_family == AF_INET)
		v[1] = (struct rkmp_crypto_iov){
		    (const uint8_t *)&((const struct sockaddr_in *)&ip->ss)->sin_addr, 4 };
	else if (ip != NULL && ip->ss.ss_family == AF_INET6)
		v[1] = (struct rkmp_crypto_iov){
		    (const uint8_t *)&((const struct sockaddr_in6 *)&ip->ss)->sin6_addr, 16 };
	v[2] = (struct rkmp_crypto_iov){ spi, sizeof(spi) };
	if ((r = rkmp_crypto_prfv(prf, secret, RKMP_COOKIE_SECRET, v, 3, mac)) != 0)
		return r;
	out[0] = version;
	memcpy(out + 1, mac, RKMP_COOKIE_MAC);
	rkmp_crypto_wipe(mac, sizeof(mac));
	return 0;
}

bool
rkmp_cookie_check(const struct rkmp_cookie_secrets *s, const uint8_t *ni, size_t ni_len,
    const struct rkmp_udp_addr *ip, uint64_t spi_i, const uint8_t *ck, size_t len)
{
	const uint8_t *secret;
	uint8_t want[RKMP_COOKIE_LEN];
	bool ok;

	if (len != RKMP_COOKIE_LEN)
		return false;
	/* the version octet says which secret; the MAC is compared in constant time */
	if (s->have_cur && ck[0] == s->version)
		secret = s->cur;
	else if (s->have_prev && ck[0] == (uint8_t)(s->version - 1))
		secret = s->prev;
	else
		return false;
	ok = rkmp_cookie_make(secret, ck[0], ni, ni_len, ip, spi_i, want) == 0 &&
	    rkmp_crypto_ct_eq(want, ck, sizeof(want));
	rkmp_crypto_wipe(want, sizeof(want));
	return ok;
}

int
rkmp_cookie_rotate(struct rkmp_cookie_secrets *s)
{
	uint8_t next[RKMP_COOKIE_SECRET];
	int r;

	if ((r = rkmp_crypto_random(next, sizeof(next))) != 0)
		return r;
	if (s->have_cur) {
		memcpy(s->prev, s->cur, sizeof(s->prev));
		s->have_prev = true;
		s->version++;
	}
	memcpy(s->cur, next, sizeof(s->cur));
	s->have_cur = true;
	rkmp_crypto_wipe(next, sizeof(next));
	return 0;
}

void
rkmp_cookie_wipe(struct rkmp_cookie_secrets *s)
{
	rkmp_crypto_wipe(s, sizeof(*s));
}

/*
 * The responder's COOKIE check (§2.6): 0 when request m carries a cookie of
 * ours for its Ni, source address and SPIi; else the answer N(COOKIE) in o
 * and RKMP_IKE_AGAIN.  With cfg's secrets (rkmpd) nothing is saved for it;
 * without (the step tools, one process a step), the secret is the state's
 * ike_sa.cookie, made and saved at the first COOKIE answer only.
 */
static int
cookie_gate(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const struct rkmp_msg *m,
    const struct rkmp_pld *ni, struct rkmp_ike_out *o)
{
	struct rkmp_cookie_secrets own = { 0 };
	const struct rkmp_cookie_secrets *cs = cfg->cookie_secrets;
	const struct rkmp_pld *ck = rkmp_msg_find_notify(m->pld, m->npld, RKMP_N_COOKIE);
	uint8_t cookie[RKMP_COOKIE_LEN];
	bool made = false;
	int r;

	if (cs == NULL) {
		if (sa->cookie.len != RKMP_COOKIE_SECRET) {
			sa->cookie.len = RKMP_COOKIE_SECRET;
			if ((r = rkmp_ike_random(sa, "cookie secret", sa->cookie.p,
			    sa->cookie.len)) != 0) {
				sa->cookie.len = 0;
				return r;
			}
			made = true;
		}
		own.have_cur = true;
		memcpy(own.cur, sa->cookie.p, RKMP_COOKIE_SECRET);
		cs = &own;
	}
	if (ck != NULL && rkmp_cookie_check(cs, ni->u.opaque.data, ni->u.opaque.len, cfg->remote,
	    m->spi_i, ck->u.notify.data, ck->u.notify.len)) {
		r = 0;
		goto out;
	}
	if (!cs->have_cur) {
		r = rkmp_err_set(RKMP_E_INTERNAL, "COOKIE", "no cookie secret");
		goto out;
	}
	if ((r = rkmp_cookie_make(cs->cur, cs->version, ni->u.opaque.data, ni->u.opaque.len,
	    cfg->remote, m->spi_i, cookie)) != 0 ||
	    (r = init_notify(sa, o, m, RKMP_N_COOKIE, cookie, sizeof(cookie))) != 0)
		goto out;
	o->save = made;
	rkmp_ike_note(o, "answered N(COOKIE)%s: waiting for the request again with it",
	    ck ? " (its cookie was wrong)" : "");
	r = RKMP_IKE_AGAIN;
out:
	rkmp_cookie_wipe(&own);
	return r;
}

int
rkmp_ike_init_respond(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *req,
    size_t len, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct rkmp_prop_choice choice;
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	struct pl_list l = { .n = 0 };
	const struct rkmp_pld *sa_p, *ke_p, *ni_p;
	const uint8_t *peer_spi;
	size_t n, peer_spi_len, klen;
	struct rkmp_dh *dh = NULL;
	uint8_t spi[8], grp[2], natd_s[20], natd_d[20], certreq[20 * 16];
	size_t certreq_len = 0;
	struct rkmp_pld *p;
	const uint8_t *kpub;
	int r;

	if (sa->phase != RKMP_PHASE_NEW)
		return rkmp_err_set(RKMP_E_STATE, "phase", "%s, not new", rkmp_phase_name(sa->phase));
	sa->initiator = false;
	if ((r = decode_msg(&a, req, len, &m)) != 0)
		goto out;
	if (m.exchange != RKMP_EXCH_IKE_SA_INIT || rkmp_msg_is_response(&m) ||
	    !rkmp_msg_is_initiator(&m) || m.msg_id != 0 || m.spi_r != 0) {
		r = rkmp_err_set(RKMP_E_INVALID, "RKMP_SA_INIT",
		    "expected an IKE_SA_INIT request (I flag, MID 0, SPIr 0), got %s %s MID %u",
		    rkmp_name_or(RKMP_REG_EXCHANGE, m.exchange),
		    rkmp_msg_is_response(&m) ? "response" : "request", m.msg_id);
		goto out;
	}
	sa_p = find(m.pld, m.npld, RKMP_PLD_SA);
	ke_p = find(m.pld, m.npld, RKMP_PLD_KE);
	ni_p = find(m.pld, m.npld, RKMP_PLD_NONCE);
	if (sa_p == NULL || ke_p == NULL || ni_p == NULL) {	/* msg.c's rules ensure it; belt and braces */
		r = rkmp_err_set(RKMP_E_INVALID, "IKE_SA_INIT request", "SA, KE or Nonce missing");
		goto out;
	}
	if (m.unsupported_critical) {
		uint8_t t = m.unsupported_critical;

		if ((r = init_notify(sa, o, &m, RKMP_N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1)) != 0)
			goto out;
		r = rkmp_ike_fail(sa, o, RKMP_E_REFUSED, "request has unsupported critical payload %u: "
		    "answered UNSUPPORTED_CRITICAL_PAYLOAD", t);
		goto out;
	}
	/* COOKIE (§2.6): the first request gets one; the repeat must carry it. */
	if (cfg->require_cookie && (r = cookie_gate(sa, cfg, &m, ni_p, o)) != 0)
		goto out;
	if ((r = rkmp_ike_parse_specs(sa, specs, &n)) != 0)
		goto out;
	r = rkmp_proposal_select(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len);
	if (r == RKMP_E_REFUSED) {
		char why[400];

		snprintf(why, sizeof(why), "%s", rkmp_err_detail());
		if ((r = init_notify(sa, o, &m, 14, NULL, 0)) != 0)
			goto out;
		r = rkmp_ike_fail(sa, o, RKMP_E_REFUSED, "answered NO_PROPOSAL_CHOSEN: %s", why);
		goto out;
	}
	if (r != 0)
		goto out;
	if ((r = suite_from_choice(sa, &choice)) != 0)
		goto out;
	/* KE of another group than the chosen one: ask for the right one (§1.2, §3.4). */
	if (ke_p->u.ke.group != sa->suite.dh) {
		grp[0] = (uint8_t)(sa->suite.dh >> 8);
		grp[1] = (uint8_t)sa->suite.dh;
		if ((r = init_notify(sa, o, &m, RKMP_N_INVALID_KE_PAYLOAD, grp, 2)) != 0)
			goto out;
		memset(&sa->suite, 0, sizeof(sa->suite));
		o->save = true;
		rkmp_ike_note(o,
		    "answered INVALID_KE_PAYLOAD: KE is %s, chosen group %s; waiting for the retry",
		    rkmp_name_or(RKMP_REG_DH, ke_p->u.ke.group), rkmp_name_or(RKMP_REG_DH, grp[0] << 8 | grp[1]));
		r = RKMP_IKE_AGAIN;
		goto out;
	}
	/* Accept: our SPI, nonce, DH; g^ir; keys. */
	sa->spi_i = m.spi_i;
	do {
		if ((r = rkmp_ike_random(sa, "spi", spi, sizeof(spi))) != 0)
			goto out;
		sa->spi_r = rkmp_get64(spi);
	} while (sa->spi_r == 0);
	sa->ni.len = ni_p->u.opaque.len;
	memcpy(sa->ni.p, ni_p->u.opaque.data, sa->ni.len);
	sa->nr.len = IKE_NONCE_LEN;
	if ((r = rkmp_ike_random(sa, "nonce", sa->nr.p, sa->nr.len)) != 0)
		goto out;
	sa->ke_group_sent = sa->suite.dh;
	if ((r = init_keys(sa, true, ke_p, &dh)) != 0)
		goto out;
	/* The response: SA KE Nr [N(NAT_D)] [CERTREQ] [N(CHILDLESS)] [N(SIGNATURE_HASH)] */
	p = rkmp_ike_pl_add(&l, RKMP_PLD_SA);
	if ((r = rkmp_proposal_choice_to_sa(&a, &choice, NULL, 0, p)) != 0)
		goto out;
	kpub = rkmp_crypto_dh_public(dh, &klen);
	p = rkmp_ike_pl_add(&l, RKMP_PLD_KE);
	p->u.ke.group = sa->suite.dh;
	p->u.ke.data = kpub;
	p->u.ke.len = klen;
	p = rkmp_ike_pl_add(&l, RKMP_PLD_NONCE);
	p->u.opaque.data = sa->nr.p;
	p->u.opaque.len = sa->nr.len;
	if (cfg->local != NULL && cfg->remote != NULL &&
	    rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_NAT_DETECTION_SOURCE_IP) != NULL) {
		if ((r = natd_hash(sa->spi_i, sa->spi_r, cfg->local, natd_s)) != 0 ||
		    (r = natd_hash(sa->spi_i, sa->spi_r, cfg->remote, natd_d)) != 0 ||
		    (r = rkmp_ike_pl_notify(&l, RKMP_N_NAT_DETECTION_SOURCE_IP, 0, NULL, 0,
		    natd_s, 20)) != 0 ||
		    (r = rkmp_ike_pl_notify(&l, RKMP_N_NAT_DETECTION_DESTINATION_IP, 0, NULL, 0,
		    natd_d, 20)) != 0)
			goto out;
	}
	if (cfg->creds != NULL && rkmp_creds_certreq(cfg->creds, certreq, sizeof(certreq),
	    &certreq_len) == 0 && certreq_len > 0) {
		p = rkmp_ike_pl_add(&l, RKMP_PLD_CERTREQ);
		p->u.cert.encoding = 4;
		p->u.cert.data = certreq;
		p->u.cert.len = certreq_len;
	}
	if (sa->profile == RKMP_PROFILE_IKEV2 &&
	    (r = rkmp_ike_pl_notify(&l, RKMP_N_CHILDLESS_IKEV2_SUPPORTED, 0, NULL, 0, NULL, 0)) != 0)
		goto out;
	/* RFC 7383: agreed when the initiator offered it */
	sa->fragmentation = rkmp_msg_find_notify(m.pld, m.npld,
	    RKMP_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	if (sa->fragmentation &&
	    (r = rkmp_ike_pl_notify(&l, RKMP_N_IKEV2_FRAGMENTATION_SUPPORTED, 0, NULL, 0,
	    NULL, 0)) != 0)
		goto out;
	sa->nat = natd_differs(&m, cfg);
	if (rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_SIGNATURE_HASH_ALGORITHMS) &&
	    (r = rkmp_ike_pl_notify(&l, RKMP_N_SIGNATURE_HASH_ALGORITHMS, 0, NULL, 0, sig_hashes,
	    sizeof(sig_hashes))) != 0)
		goto out;
	if ((r = rkmp_sa_record(sa, false, req, len)) != 0 ||
	    (r = rkmp_ike_emit_clear(sa, o, sa->spi_i, sa->spi_r, RKMP_EXCH_IKE_SA_INIT, RKMP_FLAG_R, 0,
	    &l, true)) != 0)
		goto out;
	rkmp_crypto_wipe(sa->cookie.p, sa->cookie.len);
	sa->cookie.len = 0;
	sa->mid_peer = 1;
	sa->mid_next = 0;
	init_done(sa, o, &choice, "answered");
out:
	rkmp_ike_dh_put(sa, dh);
	rkmp_arena_free(&a);
	return r;
}

/*
 * An answer to our RKMP_SA_INIT request that only carries an error notify
 * (not COOKIE, not INVALID_KE_PAYLOAD, which continue the exchange): its type,
 * else 0.  Nothing authenticates it, so over UDP the initiator keeps waiting
 * for a real answer until its retransmissions end (RFC 7296 §2.21.1).
 */
int
rkmp_ike_init_error(const struct rkmp_sa *sa, const uint8_t *p, size_t len)
{
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	const struct rkmp_pld *err;
	int type = 0;

	if (sa->phase != RKMP_PHASE_INIT_SENT || decode_msg(&a, p, len, &m) != 0)
		goto out;
	if (m.exchange != RKMP_EXCH_IKE_SA_INIT || !rkmp_msg_is_response(&m) || m.spi_i != sa->spi_i ||
	    rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_COOKIE) != NULL ||
	    rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_INVALID_KE_PAYLOAD) != NULL)
		goto out;
	if ((err = rkmp_ike_find_error(m.pld, m.npld)) != NULL)
		type = err->u.notify.type;
out:
	rkmp_arena_free(&a);
	return type;
}

int
rkmp_ike_init_process(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *resp,
    size_t len, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct rkmp_prop_choice choice;
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	const struct rkmp_pld *sa_p, *ke_p, *nr_p, *ck, *ike, *err;
	const uint8_t *peer_spi;
	size_t n, peer_spi_len;
	struct rkmp_dh *dh = NULL;
	int r;

	if (sa->phase != RKMP_PHASE_INIT_SENT)
		return rkmp_err_set(RKMP_E_STATE, "phase", "%s, not init-sent", rkmp_phase_name(sa->phase));
	if ((r = decode_msg(&a, resp, len, &m)) != 0)
		goto out;
	if (m.exchange != RKMP_EXCH_IKE_SA_INIT || !rkmp_msg_is_response(&m) || m.msg_id != 0 ||
	    m.spi_i != sa->spi_i) {
		r = rkmp_err_set(RKMP_E_INVALID, "RKMP_SA_INIT",
		    "not the answer to our request: %s %s MID %u SPIi %016llx (ours %016llx)",
		    rkmp_name_or(RKMP_REG_EXCHANGE, m.exchange),
		    rkmp_msg_is_response(&m) ? "response" : "request", m.msg_id,
		    (unsigned long long)m.spi_i, (unsigned long long)sa->spi_i);
		goto out;
	}
	if ((r = rkmp_ike_parse_specs(sa, specs, &n)) != 0)
		goto out;
	/* COOKIE: repeat the request with it, first (§2.6). */
	if ((ck = rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_COOKIE)) != NULL &&
	    find(m.pld, m.npld, RKMP_PLD_SA) == NULL) {
		if (++sa->init_retries > IKE_INIT_RETRIES_MAX) {
			r = rkmp_ike_fail(sa, o, RKMP_E_REFUSED, "gave up after %d COOKIE/INVALID_KE rounds",
			    IKE_INIT_RETRIES_MAX);
			goto out;
		}
		sa->cookie.len = ck->u.notify.len;
		memcpy(sa->cookie.p, ck->u.notify.data, ck->u.notify.len);
		if ((r = rkmp_sa_record(sa, false, resp, len)) != 0 ||
		    (r = build_init_request(sa, cfg, o)) != 0)
			goto out;
		o->save = true;
		rkmp_ike_note(o, "responder asked for a COOKIE (%zu octets): request repeated with it",
		    sa->cookie.len);
		r = RKMP_IKE_AGAIN;
		goto out;
	}
	/* INVALID_KE_PAYLOAD: retry with the group asked for, if we offered it (§2.6). */
	if ((ike = rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_INVALID_KE_PAYLOAD)) != NULL) {
		uint16_t g = rkmp_get16(ike->u.notify.data);

		if (!rkmp_proposal_has_group(specs, n, g) || g == sa->ke_group_sent) {
			r = rkmp_err_set(RKMP_E_INVALID, "RKMP_SA_INIT",
			    "INVALID_KE_PAYLOAD asks for %s (%u), which we %s", rkmp_name_or(RKMP_REG_DH, g),
			    g, g == sa->ke_group_sent ? "sent already" : "did not offer");
			goto out;
		}
		if (++sa->init_retries > IKE_INIT_RETRIES_MAX) {
			r = rkmp_ike_fail(sa, o, RKMP_E_REFUSED, "gave up after %d COOKIE/INVALID_KE rounds",
			    IKE_INIT_RETRIES_MAX);
			goto out;
		}
		sa->ke_group_sent = g;
		sa->sec.dh_private_len = 0;
		if ((r = rkmp_ike_dh_key(sa, g, true, &dh)) != 0)
			goto out;
		rkmp_ike_dh_put(sa, dh);
		dh = NULL;
		if ((r = rkmp_sa_record(sa, false, resp, len)) != 0 ||
		    (r = build_init_request(sa, cfg, o)) != 0)
			goto out;
		o->save = true;
		rkmp_ike_note(o, "responder asked for KE group %s: request repeated with it",
		    rkmp_name_or(RKMP_REG_DH, g));
		r = RKMP_IKE_AGAIN;
		goto out;
	}
	if ((err = rkmp_ike_find_error(m.pld, m.npld)) != NULL) {
		(void)rkmp_sa_record(sa, false, resp, len);
		r = rkmp_ike_fail(sa, o, RKMP_E_REFUSED, "responder refused: %s",
		    rkmp_name_or(RKMP_REG_NOTIFY, err->u.notify.type));
		goto out;
	}
	sa_p = find(m.pld, m.npld, RKMP_PLD_SA);
	ke_p = find(m.pld, m.npld, RKMP_PLD_KE);
	nr_p = find(m.pld, m.npld, RKMP_PLD_NONCE);
	if (sa_p == NULL || ke_p == NULL || nr_p == NULL || m.spi_r == 0) {
		r = rkmp_err_set(RKMP_E_INVALID, "IKE_SA_INIT response", "%s",
		    m.spi_r == 0 ? "SPIr is 0" : "SA, KE or Nonce missing");
		goto out;
	}
	if ((r = rkmp_proposal_accept(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len)) != 0 ||
	    (r = suite_from_choice(sa, &choice)) != 0)
		goto out;
	if (ke_p->u.ke.group != sa->ke_group_sent || sa->suite.dh != sa->ke_group_sent) {
		r = rkmp_err_set(RKMP_E_INVALID, "KE payload", "group %u in the answer, %u chosen, we sent %u",
		    ke_p->u.ke.group, sa->suite.dh, sa->ke_group_sent);
		goto out;
	}
	sa->spi_r = m.spi_r;
	sa->nr.len = nr_p->u.opaque.len;
	memcpy(sa->nr.p, nr_p->u.opaque.data, sa->nr.len);
	if ((r = init_keys(sa, false, ke_p, &dh)) != 0 || (r = rkmp_sa_record(sa, false, resp, len)) != 0)
		goto out;
	sa->mid_next = 1;
	sa->fragmentation = rkmp_msg_find_notify(m.pld, m.npld,
	    RKMP_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL &&
	    sent_notify(sa, RKMP_N_IKEV2_FRAGMENTATION_SUPPORTED);
	sa->nat = natd_differs(&m, cfg);
	init_done(sa, o, &choice, "done");
out:
	rkmp_ike_dh_put(sa, dh);
	rkmp_arena_free(&a);
	return r;
}

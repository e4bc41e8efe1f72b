/* SPDX-License-Identifier: MIT */
/*
 * ike_child.c — the exchanges after RKMP_SA_AUTH (RFC 7296 §1.3, §1.4) over
 * struct rkmp_sa, with no I/O: CREATE_CHILD_SA for a child SA (new or
 * rekeyed, PFS optional) and INFORMATIONAL (Delete, liveness), as our
 * requests, our answers to the peer's, and the processing of the answers to
 * ours; the children's proposals, SPIs, slots and KEYMAT (§2.17, rkmp-karp.md
 * §7).  The other steps of a rekey of the RKMP SA itself are ike_rekey.c's.
 */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "frag.h"
#include "ike_int.h"
#include "msg.h"
#include "names.h"
#include "nitems.h"
#include "proposal.h"
#include "protocols.h"

/* ------------------------------------------------------------------ child SAs */

/* KEYMAT length of a child: an RP master key (its length by INTEG is the
 * protocol's, protocols.c), or ESP's four keys (§2.17). */
int
rkmp_ike_child_keymat_len(const struct rkmp_prop_choice *c, size_t *len)
{
	const struct rkmp_protocol *p = rkmp_protocol_by_id(c->protocol);
	int integ = rkmp_proposal_get(c, RKMP_TRANS_INTEG, NULL);

	if (p != NULL && !p->rp) {
		uint16_t bits = 0;
		int encr = rkmp_proposal_get(c, RKMP_TRANS_ENCR, &bits);
		const struct rkmp_encr_alg *e = encr < 0 ? NULL : rkmp_crypto_encr_lookup((uint16_t)encr, bits);
		const struct rkmp_integ_alg *i = integ <= 0 ? NULL : rkmp_crypto_integ_lookup((uint16_t)integ);

		if (e == NULL || (integ > 0 && i == NULL))
			return RKMP_E_CRYPTO;
		*len = 2 * (e->key_len + e->salt_len + (i ? i->key_len : 0));
		return 0;
	}
	if ((*len = rkmp_protocol_key_len(p, integ)) != 0)
		return 0;
	return rkmp_err_set(RKMP_E_CRYPTO, "child SA", "no master key length for %s with INTEG %d",
	    rkmp_name_or(RKMP_REG_PROTOCOL, c->protocol), integ);
}

/* The first child's protocol: the state's (rkmp-auth --protocol), else the profile's. */
uint8_t
rkmp_ike_child_protocol(const struct rkmp_sa *sa)
{
	if (sa->child_protocol != 0)
		return sa->child_protocol;
	return rkmp_protocol_default(sa->profile != RKMP_PROFILE_IKEV2)->id;
}

/* Whether a protocol's children are IPsec SAs (ESP: the ikev2 profile's). */
static bool
child_is_ipsec(uint8_t protocol)
{
	const struct rkmp_protocol *p = rkmp_protocol_by_id(protocol);

	return p != NULL && !p->rp;
}

/* Child SPI octets of a protocol (protocols.c). */
size_t
rkmp_ike_child_spi_len(uint8_t protocol)
{
	const struct rkmp_protocol *p = rkmp_protocol_by_id(protocol);

	return p != NULL ? p->spi_len : 1;
}

/*
 * The proposals of a first child (RKMP_SA_AUTH: no KE) of protocol: the
 * configured list when protocol is the first child's, else the protocol's
 * default.  A responder takes the protocol from the peer's SAi2.
 */
int
rkmp_ike_child_specs(const struct rkmp_sa *sa, uint8_t protocol, struct rkmp_prop_spec *specs,
    size_t *n)
{
	const char *list;

	if (protocol == rkmp_ike_child_protocol(sa) && sa->child_proposals[0])
		list = sa->child_proposals;
	else if ((list = rkmp_proposal_default(protocol)) == NULL)
		return rkmp_err_set(RKMP_E_USAGE, "protocol", "no default proposal for %s",
		    rkmp_name_or(RKMP_REG_PROTOCOL, protocol));
	return rkmp_ike_parse_cached(list, protocol, specs, n);
}

static struct rkmp_sa_child *child_slot_new(struct rkmp_sa *sa);

/* The child an answer completes: the one we proposed, or a new entry. */
struct rkmp_sa_child *
rkmp_ike_child_slot(struct rkmp_sa *sa)
{
	if (sa->nchildren > 0 && sa->children[sa->nchildren - 1].state == RKMP_CHILD_PROPOSED)
		return &sa->children[sa->nchildren - 1];
	return child_slot_new(sa);
}

/*
 * A new entry for the peer's child while ours may be proposed (our request
 * pending, RFC 7296 §2.8.1): it goes before our proposed child, which stays
 * the last entry for the answer to complete.
 */
static struct rkmp_sa_child *
child_slot_peer(struct rkmp_sa *sa)
{
	struct rkmp_sa_child *ch, t;

	if (sa->nchildren == 0 || sa->children[sa->nchildren - 1].state != RKMP_CHILD_PROPOSED)
		return child_slot_new(sa);
	if ((ch = child_slot_new(sa)) == NULL || sa->nchildren < 2)
		return ch;
	t = sa->children[sa->nchildren - 2];
	sa->children[sa->nchildren - 2] = *ch;
	*ch = t;
	rkmp_crypto_wipe(&t, sizeof(t));
	return &sa->children[sa->nchildren - 2];
}

static struct rkmp_sa_child *
child_slot_new(struct rkmp_sa *sa)
{
	if (sa->nchildren == RKMP_SA_CHILD_MAX) {
		/* full: make room by forgetting the oldest deleted or refused child */
		size_t k;

		for (k = 0; k < sa->nchildren; k++)
			if (sa->children[k].state == RKMP_CHILD_DELETED ||
			    sa->children[k].state == RKMP_CHILD_REFUSED)
				break;
		if (k == sa->nchildren)
			return NULL;
		rkmp_crypto_wipe(&sa->children[k], sizeof(sa->children[k]));
		memmove(&sa->children[k], &sa->children[k + 1],
		    (sa->nchildren - k - 1) * sizeof(sa->children[0]));
		sa->nchildren--;
	}
	memset(&sa->children[sa->nchildren], 0, sizeof(sa->children[0]));
	return &sa->children[sa->nchildren++];
}

/* Record an established child: choice, SPIs, KEYMAT = prf+(SK_d, Ni | Nr). */
int
rkmp_ike_child_establish(struct rkmp_sa *sa, const struct rkmp_prop_choice *c,
    const uint8_t *spi_local, const uint8_t *spi_peer, size_t spi_size, const struct child_seed *cs)
{
	struct rkmp_sa_child *ch = cs->ours ? rkmp_ike_child_slot(sa) : child_slot_peer(sa);
	struct ike_suite s;
	uint8_t mine[RKMP_SA_SPI_MAX];
	int r;

	if (ch == NULL)
		return rkmp_err_set(RKMP_E_STATE, "children", "%d children already", RKMP_SA_CHILD_MAX);
	memcpy(mine, spi_local, spi_size);	/* may point into *ch */
	memset(ch, 0, sizeof(*ch));
	spi_local = mine;
	ch->protocol = c->protocol;
	ch->spi_size = (uint8_t)spi_size;
	memcpy(ch->spi_local, spi_local, spi_size);
	memcpy(ch->spi_peer, spi_peer, spi_size);
	for (size_t i = 0; i < c->ntrans && i < 8; i++) {
		ch->transforms[i][0] = c->trans[i].type;
		ch->transforms[i][1] = c->trans[i].id;
	}
	ch->ntransforms = c->ntrans < 8 ? c->ntrans : 8;
	if ((r = rkmp_ike_suite_rows(sa, &s)) != 0 ||
	    (r = rkmp_ike_child_keymat_len(c, &ch->keymat_len)) != 0)
		return r;
	if (ch->keymat_len > sizeof(ch->keymat))
		return rkmp_err_set(RKMP_E_INTERNAL, "child SA", "KEYMAT %zu octets", ch->keymat_len);
	if ((r = rkmp_crypto_child_keymat(s.prf, sa->sec.sk_d, sa->sec.d_len, cs->gir, cs->gir_len,
	    cs->ni, cs->ni_len, cs->nr, cs->nr_len, ch->keymat, ch->keymat_len)) != 0)
		return r;
	if (cs->rekey_of != NULL) {
		/* §2.8.1: the lowest nonce of the exchange, for a rekey that crossed ours */
		size_t k = cs->ni_len < cs->nr_len ? cs->ni_len : cs->nr_len;
		int cmp = memcmp(cs->ni, cs->nr, k);
		bool i_low = cmp < 0 || (cmp == 0 && cs->ni_len <= cs->nr_len);
		size_t len = i_low ? cs->ni_len : cs->nr_len;

		ch->rekey = true;
		memcpy(ch->rekey_of, cs->rekey_of, spi_size);
		ch->nonce_min.len = len < sizeof(ch->nonce_min.p) ? len : sizeof(ch->nonce_min.p);
		memcpy(ch->nonce_min.p, i_low ? cs->ni : cs->nr, ch->nonce_min.len);
	}
	ch->ours = cs->ours;
	ch->state = RKMP_CHILD_ESTABLISHED;
	return 0;
}

/* a < b as RFC 7296 §2.8.1 compares nonces: octet by octet, a prefix lower */
static bool
nonce_lower(const struct rkmp_bytes *a, const struct rkmp_bytes *b)
{
	size_t k = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, k);

	return c < 0 || (c == 0 && a->len < b->len);
}

int
rkmp_ike_child_crossed(const struct rkmp_sa *sa, size_t i, size_t *other)
{
	const struct rkmp_sa_child *a = &sa->children[i];

	if (i >= sa->nchildren || a->state != RKMP_CHILD_ESTABLISHED || !a->rekey)
		return -1;
	for (size_t j = 0; j < sa->nchildren; j++) {
		const struct rkmp_sa_child *b = &sa->children[j];

		if (j == i || b->state != RKMP_CHILD_ESTABLISHED || !b->rekey || b->ours == a->ours ||
		    b->protocol != a->protocol || b->spi_size != a->spi_size ||
		    memcmp(b->rekey_of, a->rekey_of, a->spi_size) != 0)
			continue;
		if (other != NULL)
			*other = j;
		return nonce_lower(&a->nonce_min, &b->nonce_min) ? 1 : 0;
	}
	return -1;
}

void
rkmp_ike_child_refused(struct rkmp_sa *sa, uint8_t protocol, const char *why)
{
	struct rkmp_sa_child *ch = rkmp_ike_child_slot(sa);

	if (ch == NULL)
		return;
	ch->protocol = protocol;
	ch->state = RKMP_CHILD_REFUSED;
	snprintf(ch->reason, sizeof(ch->reason), "%s", why);
}

/* ------------------------------------------------------------------ after RKMP_SA_AUTH */

/* Add DH group g to spec d unless it is there already (or d is full). */
void
rkmp_ike_spec_add_group(struct rkmp_prop_spec *d, uint16_t g)
{
	for (size_t t = 0; t < d->ntrans; t++)
		if (d->trans[t].type == RKMP_TRANS_DH && d->trans[t].id == g)
			return;
	if (d->ntrans < RKMP_PROP_TRANSFORMS_MAX)
		d->trans[d->ntrans++] = (struct rkmp_prop_transform){ RKMP_TRANS_DH, g, 0 };
}

/* Add every DH group of specs[0..n) to d, in their order. */
void
rkmp_ike_spec_add_groups(struct rkmp_prop_spec *d, const struct rkmp_prop_spec *specs, size_t n)
{
	for (size_t k = 0; k < n; k++)
		for (size_t t = 0; t < specs[k].ntrans; t++)
			if (specs[k].trans[t].type == RKMP_TRANS_DH)
				rkmp_ike_spec_add_group(d, specs[k].trans[t].id);
}

/*
 * Child proposals for a protocol: the configured list (first child) or the
 * protocol's default, each offered with and without the PFS group asked for
 * (initiator) or with every group of the IKE proposals (responder), so that a
 * peer's KE is accepted when we could do it and not demanded otherwise.  An
 * initiator with PFS offers its KE's group first, then the other groups of
 * the proposal and of the IKE proposals: a responder that wants one of those
 * answers INVALID_KE_PAYLOAD, and the request is repeated with it (§1.3).
 */
int
rkmp_ike_child_specs_for(const struct rkmp_sa *sa, uint8_t protocol, uint16_t pfs, bool responder,
    struct rkmp_prop_spec *specs, size_t *n)
{
	struct rkmp_prop_spec ike[RKMP_PROPS_MAX];
	size_t base, nike = 0;
	int r;

	if ((r = rkmp_ike_child_specs(sa, protocol, specs, n)) != 0)
		return r;
	if (pfs == 0 && !responder)
		return 0;
	if ((r = rkmp_ike_parse_specs(sa, ike, &nike)) != 0)
		return r;
	base = *n;
	for (size_t i = 0; i < base && *n < RKMP_PROPS_MAX; i++) {
		struct rkmp_prop_spec *d = &specs[*n];

		*d = specs[i];
		if (!responder) {
			/* the KE's group first, then the proposal's own, then the IKE proposals' */
			d->ntrans = 0;
			for (size_t t = 0; t < specs[i].ntrans; t++)
				if (specs[i].trans[t].type != RKMP_TRANS_DH)
					d->trans[d->ntrans++] = specs[i].trans[t];
			rkmp_ike_spec_add_group(d, pfs);
			rkmp_ike_spec_add_groups(d, &specs[i], 1);
			rkmp_ike_spec_add_groups(d, ike, nike);
		} else
			for (size_t k = 0; k < nike; k++)
				for (size_t t = 0; t < ike[k].ntrans; t++)
					if (ike[k].trans[t].type == RKMP_TRANS_DH &&
					    d->ntrans < RKMP_PROP_TRANSFORMS_MAX)
						d->trans[d->ntrans++] = ike[k].trans[t];
		(*n)++;
	}
	if (!responder) {	/* with PFS only: the with-DH copies replace the originals */
		memmove(specs, specs + base, (*n - base) * sizeof(specs[0]));
		*n -= base;
	}
	return 0;
}

/* A child deleted (by us or by the peer): its keys are no longer anyone's. */
static void
child_deleted(struct rkmp_sa_child *c)
{
	c->state = RKMP_CHILD_DELETED;
	rkmp_crypto_wipe(c->keymat, sizeof(c->keymat));
	c->keymat_len = 0;
}

static struct rkmp_sa_child *
child_find(struct rkmp_sa *sa, uint8_t protocol, const uint8_t *spi, size_t len, bool local)
{
	for (size_t i = 0; i < sa->nchildren; i++) {
		struct rkmp_sa_child *c = &sa->children[i];

		if (c->protocol == protocol && c->spi_size == len &&
		    memcmp(local ? c->spi_local : c->spi_peer, spi, len) == 0)
			return c;
	}
	return NULL;
}

static bool
spi_is_zero(const uint8_t *spi, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= spi[i];
	return acc == 0;
}

/* Is spi ours for a child of any protocol?  (--rekey SPI and --delete SPI name
 * a child by our SPI alone: one SPI, one child, whatever the protocol.) */
static bool
spi_taken(const struct rkmp_sa *sa, const uint8_t *spi, size_t len)
{
	for (size_t i = 0; i < sa->nchildren; i++)
		if (sa->children[i].spi_size == len && memcmp(sa->children[i].spi_local, spi, len) == 0)
			return true;
	return false;
}

/* A fresh local SPI for a child: random, and not one a live child of ours uses (TCP-AO KeyIDs). */
static int
child_new_spi(struct rkmp_sa *sa, uint8_t protocol, size_t len, uint8_t *spi)
{
	char label[48];

	for (unsigned tries = 0; tries < 1024; tries++) {
		snprintf(label, sizeof(label), "child spi %u %u", sa->mid_next, tries);
		if (rkmp_ike_random(sa, label, spi, len) != 0)
			return RKMP_E_CRYPTO;
		/* never 0: the draft's interfaces read SPI 0 as "none" or "all" (rkmp-karp.md §10),
		 * and ESP's 1..255 are reserved (RFC 4303 §2.1) */
		if ((len == 4 && spi[0] == 0) || spi_is_zero(spi, len) || spi_taken(sa, spi, len))
			continue;
		return 0;
	}
	return rkmp_err_set(RKMP_E_STATE, "children", "no free %zu-octet SPI for %s", len,
	    rkmp_name_or(RKMP_REG_PROTOCOL, protocol));
}

/* ------------------------------------------------------------------ child exchanges: requests */

/* Our Ni (kept in pending) and, with a group, our KEi (its private value in
 * the secrets), appended to l; label names the exchange for --seed. */
static int
nonce_ke(struct rkmp_sa *sa, struct pl_list *l, const char *label, uint16_t group,
    struct rkmp_dh **dh)
{
	struct rkmp_pld *p;
	char lbl[48];
	size_t klen;
	int r;

	sa->pending.nonce.len = IKE_NONCE_LEN;
	snprintf(lbl, sizeof(lbl), "%s nonce %u", label, sa->mid_next);
	if ((r = rkmp_ike_random(sa, lbl, sa->pending.nonce.p, sa->pending.nonce.len)) != 0)
		return r;
	p = rkmp_ike_pl_add(l, RKMP_PLD_NONCE);
	p->u.opaque.data = sa->pending.nonce.p;
	p->u.opaque.len = sa->pending.nonce.len;
	if (group == 0)
		return 0;
	sa->pending.dh_group = group;
	if ((r = rkmp_ike_dh_key(sa, group, true, dh)) != 0)
		return r;
	p = rkmp_ike_pl_add(l, RKMP_PLD_KE);
	p->u.ke.group = group;
	p->u.ke.data = rkmp_crypto_dh_public(*dh, &klen);
	p->u.ke.len = klen;
	return 0;
}

/*
 * Build our request for req and make it the pending one.  retries counts the
 * INVALID_KE_PAYLOAD rounds that led to it (0 for the first request).
 */
int
rkmp_ike_child_build(struct rkmp_sa *sa, const struct rkmp_child_req *req, uint8_t retries,
    struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct rkmp_arena a = { 0 };
	struct pl_list l = { .n = 0 };
	struct rkmp_dh *dh = NULL;
	struct rkmp_pld *p;
	uint8_t exch = RKMP_EXCH_CREATE_CHILD, proto, spi[RKMP_SA_SPI_MAX], ike_spi[8];
	struct rkmp_sa_child *old = NULL, *ch;
	size_t n, spi_len;
	char label[48];
	int r;

	memset(&sa->pending, 0, sizeof(sa->pending));
	sa->pending.retries = retries;
	if (req->op == RKMP_CHILD_REKEY || req->op == RKMP_CHILD_DELETE) {
		for (size_t i = 0; i < sa->nchildren && old == NULL; i++)
			if (sa->children[i].spi_size == req->spi_len &&
			    memcmp(sa->children[i].spi_local, req->spi, req->spi_len) == 0 &&
			    (sa->children[i].state == RKMP_CHILD_ESTABLISHED ||
			    (req->op == RKMP_CHILD_DELETE && sa->children[i].state == RKMP_CHILD_REKEYED)))
				old = &sa->children[i];
		if (old == NULL)
			return rkmp_err_set(RKMP_E_USAGE, "child", "no %s child has our SPI %02x%s",
			    req->op == RKMP_CHILD_DELETE ? "live" : "established", req->spi[0],
			    req->spi_len > 1 ? "..." : "");
		sa->pending.protocol = old->protocol;
		sa->pending.spi_size = old->spi_size;
		memcpy(sa->pending.target, old->spi_local, old->spi_size);
	}
	switch (req->op) {
	case RKMP_CHILD_CREATE:
	case RKMP_CHILD_REKEY:
		proto = old ? old->protocol : req->protocol ? req->protocol : rkmp_ike_child_protocol(sa);
		if ((sa->profile == RKMP_PROFILE_IKEV2) != child_is_ipsec(proto))
			return rkmp_err_set(RKMP_E_USAGE, "--protocol", "the %s profile negotiates %s "
			    "children", rkmp_profile_name(sa->profile), sa->profile ==
			    RKMP_PROFILE_IKEV2 ? rkmp_protocol_default(false)->title :
			    rkmp_protocol_names(false, true));
		if ((r = rkmp_ike_child_specs_for(sa, proto, req->pfs_group, false, specs, &n)) != 0)
			return r;
		spi_len = rkmp_ike_child_spi_len(proto);
		if ((r = child_new_spi(sa, proto, spi_len, spi)) != 0)
			return r;
		if (old != NULL && (r = rkmp_ike_pl_notify(&l, RKMP_N_REKEY_SA, proto, old->spi_local,
		    old->spi_size, NULL, 0)) != 0)
			goto out;
		p = rkmp_ike_pl_add(&l, RKMP_PLD_SA);
		if ((r = rkmp_proposal_to_sa(&a, specs, n, spi, spi_len, p)) != 0)
			goto out;
		if ((r = nonce_ke(sa, &l, "child", req->pfs_group, &dh)) != 0)
			goto out;
		if (sa->profile == RKMP_PROFILE_IKEV2) {
			rkmp_ike_pl_ts(&l, RKMP_PLD_TSI, &rkmp_ike_ts_any, 1);
			rkmp_ike_pl_ts(&l, RKMP_PLD_TSR, &rkmp_ike_ts_any, 1);
		}
		sa->pending.protocol = proto;
		sa->pending.spi_size = (uint8_t)spi_len;
		memcpy(sa->pending.spi_local, spi, spi_len);
		if ((ch = rkmp_ike_child_slot(sa)) == NULL) {
			r = rkmp_err_set(RKMP_E_STATE, "children", "%d children already", RKMP_SA_CHILD_MAX);
			goto out;
		}
		ch->protocol = proto;
		ch->spi_size = (uint8_t)spi_len;
		memcpy(ch->spi_local, spi, spi_len);
		ch->state = RKMP_CHILD_PROPOSED;
		rkmp_ike_note(o, "%s request: %s SPI %02x%s%s", old ? "rekey" : "new child",
		    rkmp_name_or(RKMP_REG_PROTOCOL, proto), spi[0], spi_len > 1 ? "..." : "",
		    req->pfs_group ? " with PFS" : "");
		break;
	case RKMP_CHILD_REKEY_IKE: {
		/* SK{SA(IKE, our new SPI), Ni, KEi}: KE is mandatory (§1.3.2) */
		uint16_t g = req->pfs_group ? req->pfs_group : sa->suite.dh;
		struct rkmp_prop_spec spec;

		if ((r = rkmp_ike_rekey_spec(sa, g, &spec)) != 0)
			return r;
		for (unsigned tries = 0; sa->pending.ike_spi == 0 || sa->pending.ike_spi == sa->spi_i ||
		    sa->pending.ike_spi == sa->spi_r; tries++) {
			snprintf(label, sizeof(label), "rekey spi %u %u", sa->mid_next, tries);
			if ((r = rkmp_ike_random(sa, label, ike_spi, sizeof(ike_spi))) != 0)
				goto out;
			sa->pending.ike_spi = rkmp_get64(ike_spi);
			if (tries > 64) {
				r = rkmp_err_set(RKMP_E_CRYPTO, "random", "no usable SPI in %u tries", tries);
				goto out;
			}
		}
		p = rkmp_ike_pl_add(&l, RKMP_PLD_SA);
		if ((r = rkmp_proposal_to_sa(&a, &spec, 1, ike_spi, sizeof(ike_spi), p)) != 0)
			goto out;
		if ((r = nonce_ke(sa, &l, "rekey", g, &dh)) != 0)
			goto out;
		rkmp_ike_note(o, "RKMP SA rekey request: our new SPI %016llx, KE %s",
		    (unsigned long long)sa->pending.ike_spi, rkmp_name_or(RKMP_REG_DH, g));
		break;
	}
	case RKMP_CHILD_DELETE:
		exch = RKMP_EXCH_INFORMATIONAL;
		p = rkmp_ike_pl_add(&l, RKMP_PLD_DELETE);
		p->u.del.protocol = old->protocol;
		p->u.del.spi_size = old->spi_size;
		p->u.del.nspi = 1;
		p->u.del.spis = old->spi_local;
		rkmp_ike_note(o, "delete request: %s child",
		    rkmp_name_or(RKMP_REG_PROTOCOL, old->protocol));
		break;
	case RKMP_CHILD_DELETE_IKE: {
		size_t nd = 0;

		exch = RKMP_EXCH_INFORMATIONAL;
		for (size_t i = 0; req->with_children && i < sa->nchildren; i++) {
			struct rkmp_sa_child *c = &sa->children[i];

			if (!rkmp_child_live(c->state) || (p = rkmp_ike_pl_add(&l, RKMP_PLD_DELETE)) == NULL)
				continue;
			p->u.del.protocol = c->protocol;
			p->u.del.spi_size = c->spi_size;
			p->u.del.nspi = 1;
			p->u.del.spis = c->spi_local;
			nd++;
		}
		p = rkmp_ike_pl_add(&l, RKMP_PLD_DELETE);
		if (p == NULL) {
			r = rkmp_err_set(RKMP_E_INTERNAL, "Delete", "too many payloads");
			goto out;
		}
		p->u.del.protocol = RKMP_PROTO_IKE;
		if (nd > 0)
			rkmp_ike_note(o, "delete request: the RKMP SA and its %zu child SA%s", nd,
			    nd == 1 ? "" : "s");
		else
			rkmp_ike_note(o, "delete request: the RKMP SA (its children live on)");
		break;
	}
	case RKMP_CHILD_LIVENESS:
		exch = RKMP_EXCH_INFORMATIONAL;
		rkmp_ike_note(o, "liveness check (empty INFORMATIONAL)");
		break;
	default:
		return rkmp_err_set(RKMP_E_INTERNAL, "child", "operation %d", req->op);
	}
	sa->pending.op = (uint8_t)req->op;
	sa->pending.msg_id = sa->mid_next;
	if ((r = rkmp_ike_emit_protected(sa, o, exch, false, sa->mid_next, &l)) != 0)
		goto out;
	sa->mid_next++;
	o->save = true;
out:
	rkmp_ike_dh_put(sa, dh);
	rkmp_arena_free(&a);
	return r;
}

int
rkmp_ike_child_request(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg,
    const struct rkmp_child_req *req, struct rkmp_ike_out *o)
{
	(void)cfg;
	if (sa->phase != RKMP_PHASE_ESTABLISHED)
		return rkmp_err_set(RKMP_E_STATE, "phase", "%s, not established", rkmp_phase_name(sa->phase));
	if (sa->pending.op != RKMP_CHILD_NONE)
		return rkmp_err_set(RKMP_E_STATE, "pending", "request %u (MID %u) still unanswered: "
		    "give its answer with -i first", sa->pending.op, sa->pending.msg_id);
	if (req->op == RKMP_CHILD_DELETE_OLD_IKE)
		return rkmp_err_set(RKMP_E_INTERNAL, "child", "the old RKMP SA's Delete follows a rekey");
	return rkmp_ike_child_build(sa, req, 0, o);
}

/* KE of a child exchange (PFS): g^ir with our pending or fresh key pair. */
int
rkmp_ike_child_gir(struct rkmp_sa *sa, const struct rkmp_pld *ke, bool fresh, uint8_t *gir,
    size_t *gir_len, struct rkmp_dh **dh)
{
	const struct rkmp_dh_group *g = rkmp_crypto_dh_lookup(ke->u.ke.group);
	int r;

	if (g == NULL)
		return RKMP_E_CRYPTO;
	if ((r = rkmp_ike_dh_key(sa, ke->u.ke.group, fresh, dh)) != 0 ||
	    (r = rkmp_crypto_dh_shared(*dh, ke->u.ke.data, ke->u.ke.len, gir)) != 0)
		return r;
	*gir_len = g->secret_len;
	return 0;
}

/* ------------------------------------------------------------------ child exchanges: answers */

/* Answer a repeated request from the transcript (§2.1): the peer missed our answer. */
int
rkmp_ike_resend_answer(struct rkmp_sa *sa, const uint8_t *req, size_t len, struct rkmp_ike_out *o)
{
	const struct rkmp_sa_msg *q = NULL, *ans = NULL;

	for (size_t i = sa->ntranscript; i-- > 0;) {
		const struct rkmp_sa_msg *m = &sa->transcript[i];

		if (ans == NULL && m->sent && m->response)
			ans = m;
		if (!m->sent && !m->response) {
			q = m;
			break;
		}
	}
	if (q == NULL || ans == NULL || q->len != len || memcmp(q->p, req, len) != 0 ||
	    ans->msg_id != q->msg_id)
		return 0;
	rkmp_buf_reset(&o->msg);
	rkmp_buf_put(&o->msg, ans->p, ans->len);
	o->send = true;
	o->fragments = rkmp_frags_count(ans->p, ans->len);
	rkmp_ike_note(o, "repeated request (MID %u): answered again with the same response", q->msg_id);
	return RKMP_IKE_AGAIN;
}

/*
 * The Delete payloads of an INFORMATIONAL request: the children named are
 * marked deleted and echoed in our answer (l, their SPIs copied to delspis),
 * *ike set when the RKMP SA itself is deleted.  Returns the children deleted.
 */
size_t
rkmp_ike_info_deletes(struct rkmp_sa *sa, const struct rkmp_pld *inner, size_t ninner,
    struct pl_list *l, uint8_t (*delspis)[RKMP_SA_SPI_MAX], bool *ike)
{
	size_t ndel = 0;

	*ike = false;
	for (size_t i = 0; i < ninner; i++) {
		const struct rkmp_pld *d = &inner[i];

		if (d->type != RKMP_PLD_DELETE)
			continue;
		if (d->u.del.protocol == RKMP_PROTO_IKE) {
			*ike = true;
			continue;
		}
		for (unsigned k = 0; k < d->u.del.nspi && ndel < RKMP_SA_CHILD_MAX; k++) {
			struct rkmp_sa_child *c = child_find(sa, d->u.del.protocol,
			    d->u.del.spis + (size_t)k * d->u.del.spi_size, d->u.del.spi_size, false);
			struct rkmp_pld *p;

			if (c == NULL || (p = rkmp_ike_pl_add(l, RKMP_PLD_DELETE)) == NULL)
				continue;
			child_deleted(c);
			memcpy(delspis[ndel], c->spi_local, c->spi_size);
			p->u.del.protocol = c->protocol;
			p->u.del.spi_size = c->spi_size;
			p->u.del.nspi = 1;
			p->u.del.spis = delspis[ndel++];
		}
	}
	return ndel;
}

/*
 * A request that passed its ICV but breaks the message rules (a payload
 * missing, out of place): answer N(INVALID_SYNTAX) and fail the RKMP SA, as
 * the notify is fatal for it (RFC 7296 §2.21.3, §3.10.1).  The detail of the
 * error that brought us here is kept in the reason.
 */
static int
invalid_syntax(struct rkmp_sa *sa, const uint8_t *req, size_t len, const struct rkmp_msg *m,
    struct rkmp_ike_out *o)
{
	struct pl_list l = { .n = 0 };
	char why[RKMP_SA_TEXT_MAX];
	int r;

	snprintf(why, sizeof(why), "%s%s%s", rkmp_err_where(), rkmp_err_where()[0] ? ": " : "",
	    rkmp_err_detail());
	if ((r = rkmp_sa_record(sa, false, req, len)) != 0)
		return r;
	sa->mid_peer++;
	if ((r = rkmp_ike_pl_notify(&l, RKMP_N_INVALID_SYNTAX, 0, NULL, 0, NULL, 0)) != 0 ||
	    (r = rkmp_ike_emit_protected(sa, o, m->exchange, true, m->msg_id, &l)) != 0)
		return r;
	return rkmp_ike_fail(sa, o, RKMP_E_REFUSED, "answered INVALID_SYNTAX to an authentic but "
	    "malformed %s request (%.300s): the RKMP SA failed",
	    rkmp_name_or(RKMP_REG_EXCHANGE, m->exchange), why);
}

int
rkmp_ike_child_respond(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *req,
    size_t len, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct rkmp_prop_choice choice;
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m = { 0 };
	struct pl_list l = { .n = 0 };
	const struct rkmp_pld *inner, *sa_p, *ni_p, *ke_p, *rk, *tsi, *tsr;
	struct rkmp_dh *dh = NULL;
	struct rkmp_sa_child *old = NULL;
	uint8_t gir[RKMP_CRYPTO_DH_MAX], nr[IKE_NONCE_LEN], spi[RKMP_SA_SPI_MAX];
	uint8_t delspis[RKMP_SA_CHILD_MAX][RKMP_SA_SPI_MAX];
	size_t ninner, n, gir_len = 0, peer_spi_len, klen, ndel = 0;
	const uint8_t *peer_spi;
	char label[48], what[300] = "";
	struct rkmp_pld *p;
	bool ike = false;
	int r;

	(void)cfg;
	/* the old SA of a rekey we answered: its Delete (or a repeat of the rekey) */
	if (sa->phase == RKMP_PHASE_ESTABLISHED && rkmp_ike_is_old(sa, req, len))
		return rkmp_ike_old_respond(sa, req, len, o);
	/* a repeat of the last request is answered again, even after a delete of the SA */
	if (len >= RKMP_HDR_LEN && rkmp_get32(req + 20) + 1 == sa->mid_peer &&
	    (sa->phase == RKMP_PHASE_ESTABLISHED || sa->phase == RKMP_PHASE_DELETED) &&
	    (r = rkmp_ike_resend_answer(sa, req, len, o)) != 0)
		return r;
	if (sa->phase != RKMP_PHASE_ESTABLISHED)
		return rkmp_err_set(RKMP_E_STATE, "phase", "%s, not established", rkmp_phase_name(sa->phase));
	if ((r = rkmp_ike_open_protected(sa, &a, req, len, false, &m, &inner, &ninner)) != 0) {
		/* authentic (ICV verified) yet malformed: INVALID_SYNTAX, fatal (RFC 7296 §2.21.3) */
		if (r == RKMP_E_INVALID && m.npld > 0 && m.pld[m.npld - 1].type == RKMP_PLD_SK &&
		    m.pld[m.npld - 1].u.sk.icv_ok == 1 && m.msg_id == sa->mid_peer)
			r = invalid_syntax(sa, req, len, &m, o);
		goto out;
	}
	if (m.msg_id != sa->mid_peer) {
		r = rkmp_err_set(RKMP_E_INVALID, "IKE header", "Message ID %u, expected %u", m.msg_id,
		    sa->mid_peer);
		goto out;
	}
	sa_p = find(inner, ninner, RKMP_PLD_SA);
	if (m.exchange == RKMP_EXCH_CREATE_CHILD && sa_p != NULL &&
	    sa_p->u.sa.prop[0].protocol == RKMP_PROTO_IKE) {
		/* a rekey of the RKMP SA: every proposal carries the new 8-octet SPI (§3.3.1) */
		for (size_t i = 0; i < sa_p->u.sa.nprop; i++) {
			const struct rkmp_proposal *pr = &sa_p->u.sa.prop[i];

			if (pr->protocol == RKMP_PROTO_IKE && (pr->spi_size != 8 || rkmp_get64(pr->spi) == 0)) {
				r = rkmp_err_set(RKMP_E_INVALID, "SA payload", "RKMP SA rekey: proposal %u "
				    "has a %u-octet SPI%s, expected 8 octets, not 0", pr->num, pr->spi_size,
				    pr->spi_size == 8 ? " of 0" : "");
				goto out;
			}
		}
	}
	if ((r = rkmp_sa_record(sa, false, req, len)) != 0)
		goto out;
	sa->mid_peer++;
	o->save = true;
	if (m.exchange == RKMP_EXCH_INFORMATIONAL) {
		ndel = rkmp_ike_info_deletes(sa, inner, ninner, &l, delspis, &ike);
		if (ike) {
			sa->phase = RKMP_PHASE_DELETED;
			if (ndel > 0)
				snprintf(what, sizeof(what), "the peer deleted the RKMP SA with %zu child SA%s",
				    ndel, ndel == 1 ? "" : "s");
			else
				snprintf(what, sizeof(what), "the peer deleted the RKMP SA (children live on)");
		} else
			snprintf(what, sizeof(what), ndel ? "deleted %zu child SA%s" : "liveness check answered",
			    ndel, ndel == 1 ? "" : "s");
		if ((r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_INFORMATIONAL, true, m.msg_id, &l)) != 0)
			goto out;
		rkmp_ike_note(o, "%s", what);
		goto out;
	}
	if (m.exchange != RKMP_EXCH_CREATE_CHILD) {
		r = rkmp_err_set(RKMP_E_INVALID, "RKMP exchange", "%s not handled here",
		    rkmp_name_or(RKMP_REG_EXCHANGE, m.exchange));
		goto out;
	}
	ni_p = find(inner, ninner, RKMP_PLD_NONCE);
	ke_p = find(inner, ninner, RKMP_PLD_KE);
	tsi = find(inner, ninner, RKMP_PLD_TSI);
	tsr = find(inner, ninner, RKMP_PLD_TSR);
	rk = rkmp_msg_find_notify(inner, ninner, RKMP_N_REKEY_SA);
	if (sa_p->u.sa.prop[0].protocol == RKMP_PROTO_IKE) {
		r = rkmp_ike_rekey_respond(sa, &m, inner, ninner, &a, o);
		goto out;
	}
	/* §2.25.2: no child exchange while we rekey the RKMP SA itself */
	if (sa->pending.op == RKMP_CHILD_REKEY_IKE) {
		if ((r = rkmp_ike_pl_notify(&l, 43, 0, NULL, 0, NULL, 0)) != 0 ||	/* TEMPORARY_FAILURE */
		    (r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m.msg_id, &l)) != 0)
			goto out;
		rkmp_ike_note(o,
		    "child request refused with TEMPORARY_FAILURE: we are rekeying the RKMP SA");
		r = rkmp_err_set(RKMP_E_REFUSED, "", "child request refused with TEMPORARY_FAILURE: our "
		    "rekey of the RKMP SA (MID %u) is still unanswered", sa->pending.msg_id);
		goto out;
	}
	if (rk != NULL && (old = child_find(sa, rk->u.notify.protocol, rk->u.notify.spi,
	    rk->u.notify.spi_size, false)) == NULL) {
		if ((r = rkmp_ike_pl_notify(&l, 44, rk->u.notify.protocol, rk->u.notify.spi,
		    rk->u.notify.spi_size, NULL, 0)) != 0 ||	/* CHILD_SA_NOT_FOUND */
		    (r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m.msg_id, &l)) != 0)
			goto out;
		r = rkmp_err_set(RKMP_E_REFUSED, "", "rekey of an unknown child: answered CHILD_SA_NOT_FOUND");
		goto out;
	}
	if ((r = rkmp_ike_child_specs_for(sa, sa_p->u.sa.prop[0].protocol, 0, true, specs, &n)) != 0)
		goto out;
	r = rkmp_proposal_select(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len);
	if (r == 0 && ((ke_p != NULL) != (rkmp_proposal_get(&choice, RKMP_TRANS_DH, NULL) > 0) ||
	    (ke_p != NULL && ke_p->u.ke.group != rkmp_proposal_get(&choice, RKMP_TRANS_DH, NULL)))) {
		uint8_t grp[2];
		int g = rkmp_proposal_get(&choice, RKMP_TRANS_DH, NULL);

		grp[0] = (uint8_t)(g >> 8);
		grp[1] = (uint8_t)g;
		if ((r = rkmp_ike_pl_notify(&l, RKMP_N_INVALID_KE_PAYLOAD, 0, NULL, 0, grp, 2)) != 0 ||
		    (r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m.msg_id, &l)) != 0)
			goto out;
		/* the peer retries with the group asked for: a responder keeps listening */
		rkmp_ike_note(o, "child KE is not of the chosen group: answered INVALID_KE_PAYLOAD (%s)",
		    rkmp_name_or(RKMP_REG_DH, (unsigned)g));
		r = RKMP_IKE_AGAIN;
		goto out;
	}
	if (r == RKMP_E_REFUSED) {
		char why[300];

		snprintf(why, sizeof(why), "%s", rkmp_err_detail());
		if ((r = rkmp_ike_pl_notify(&l, 14, 0, NULL, 0, NULL, 0)) != 0 ||
		    (r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m.msg_id, &l)) != 0)
			goto out;
		r = rkmp_err_set(RKMP_E_REFUSED, "", "child refused: NO_PROPOSAL_CHOSEN (%s)", why);
		goto out;
	}
	if (r != 0)
		goto out;
	snprintf(label, sizeof(label), "child nonce %u", m.msg_id);
	if ((r = rkmp_ike_random(sa, label, nr, sizeof(nr))) != 0 ||
	    (r = child_new_spi(sa, choice.protocol, peer_spi_len, spi)) != 0)
		goto out;
	if (ke_p != NULL && (r = rkmp_ike_child_gir(sa, ke_p, true, gir, &gir_len, &dh)) != 0)
		goto out;
	{
		uint8_t of[RKMP_SA_SPI_MAX], of_proto = old ? old->protocol : 0, of_size = old ?
		    old->spi_size : 0;
		struct child_seed cs = { ke_p ? gir : NULL, ni_p->u.opaque.data, nr, gir_len,
		    ni_p->u.opaque.len, sizeof(nr), old ? of : NULL, false };

		if (old != NULL)
			memcpy(of, old->spi_local, sizeof(of));
		if ((r = rkmp_ike_child_establish(sa, &choice, spi, peer_spi, peer_spi_len, &cs)) != 0)
			goto out;
		/* the entries may have moved to make room: the old child found again */
		if (old != NULL && (old = child_find(sa, of_proto, of, of_size, true)) != NULL)
			old->state = RKMP_CHILD_REKEYED;
	}
	p = rkmp_ike_pl_add(&l, RKMP_PLD_SA);
	if ((r = rkmp_proposal_choice_to_sa(&a, &choice, spi, peer_spi_len, p)) != 0)
		goto out;
	p = rkmp_ike_pl_add(&l, RKMP_PLD_NONCE);
	p->u.opaque.data = nr;
	p->u.opaque.len = sizeof(nr);
	if (ke_p != NULL) {
		p = rkmp_ike_pl_add(&l, RKMP_PLD_KE);
		p->u.ke.group = ke_p->u.ke.group;
		p->u.ke.data = rkmp_crypto_dh_public(dh, &klen);
		p->u.ke.len = klen;
	}
	if (tsi != NULL && tsr != NULL) {
		rkmp_ike_pl_ts(&l, RKMP_PLD_TSI, tsi->u.ts.ts, tsi->u.ts.count);
		rkmp_ike_pl_ts(&l, RKMP_PLD_TSR, tsr->u.ts.ts, tsr->u.ts.count);
	}
	if ((r = rkmp_ike_emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m.msg_id, &l)) != 0)
		goto out;
	if (rkmp_ike_noting(o))
		rkmp_proposal_format(&choice, what, sizeof(what));
	rkmp_ike_note(o, "%s %s child SA: %s%s", old ? "rekeyed" : "new",
	    rkmp_name_or(RKMP_REG_PROTOCOL, choice.protocol), what, ke_p ? " (PFS)" : "");
out:
	rkmp_crypto_wipe(gir, sizeof(gir));
	rkmp_ike_dh_put(sa, dh);
	rkmp_arena_free(&a);
	return r;
}

/* ------------------------------------------------------------------ child exchanges: answers to ours */

int
rkmp_ike_child_process(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *resp,
    size_t len, struct rkmp_ike_out *o)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct rkmp_prop_choice choice;
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	const struct rkmp_pld *inner, *sa_p, *nr_p, *ke_p, *err;
	struct rkmp_dh *dh = NULL;
	struct rkmp_sa_child *ch;
	uint8_t gir[RKMP_CRYPTO_DH_MAX];
	size_t ninner, n, gir_len = 0, peer_spi_len;
	const uint8_t *peer_spi;
	bool on_old = sa->pending.op == RKMP_CHILD_DELETE_OLD_IKE;
	char what[300];
	int r;

	(void)cfg;
	if (sa->pending.op == RKMP_CHILD_NONE)
		return rkmp_err_set(RKMP_E_STATE, "pending", "no request of ours is waiting for an answer");
	if (on_old && sa->old.spi_i == 0)
		return rkmp_err_set(RKMP_E_STATE, "ike_sa.old", "the Delete of the old RKMP SA is pending, "
		    "but no old SA is kept");
	/* the answer to the Delete of the old SA comes on the old SA */
	if (on_old)
		rkmp_ike_old_swap(sa);
	r = rkmp_ike_open_protected(sa, &a, resp, len, true, &m, &inner, &ninner);
	if (on_old)
		rkmp_ike_old_swap(sa);
	if (r != 0)
		goto out;
	if (m.msg_id != sa->pending.msg_id) {
		r = rkmp_err_set(RKMP_E_INVALID, "IKE header", "Message ID %u, our request was %u",
		    m.msg_id, sa->pending.msg_id);
		goto out;
	}
	if ((r = rkmp_sa_record(sa, false, resp, len)) != 0)
		goto out;
	o->save = true;
	err = rkmp_ike_find_error(inner, ninner);
	/* fatal for the RKMP SA whatever was asked (RFC 7296 §2.21.2, §2.21.3) */
	if (err != NULL && (err->u.notify.type == RKMP_N_INVALID_SYNTAX ||
	    err->u.notify.type == RKMP_N_AUTHENTICATION_FAILED ||
	    err->u.notify.type == RKMP_N_UNSUPPORTED_CRITICAL_PAYLOAD)) {
		memset(&sa->pending, 0, sizeof(sa->pending));
		r = rkmp_ike_fail(sa, o, RKMP_E_REFUSED, "the peer answered %s: the RKMP SA failed",
		    rkmp_name_or(RKMP_REG_NOTIFY, err->u.notify.type));
		goto out;
	}
	if (err != NULL && err->u.notify.type == RKMP_N_INVALID_KE_PAYLOAD &&
	    (sa->pending.op == RKMP_CHILD_CREATE || sa->pending.op == RKMP_CHILD_REKEY ||
	    sa->pending.op == RKMP_CHILD_REKEY_IKE)) {
		r = rkmp_ike_ke_retry(sa, err, o);
		goto out;
	}
	switch (sa->pending.op) {
	case RKMP_CHILD_CREATE:
	case RKMP_CHILD_REKEY:
		if (err != NULL) {
			snprintf(what, sizeof(what), "child SA refused by the peer: %s",
			    rkmp_name_or(RKMP_REG_NOTIFY, err->u.notify.type));
			rkmp_ike_child_refused(sa, sa->pending.protocol, what);
			memset(&sa->pending, 0, sizeof(sa->pending));
			rkmp_ike_note(o, "%s", what);
			r = rkmp_err_set(RKMP_E_REFUSED, "", "%s", what);
			goto out;
		}
		sa_p = find(inner, ninner, RKMP_PLD_SA);
		nr_p = find(inner, ninner, RKMP_PLD_NONCE);
		ke_p = find(inner, ninner, RKMP_PLD_KE);
		if (sa_p == NULL || nr_p == NULL) {
			r = rkmp_err_set(RKMP_E_INVALID, "CREATE_CHILD_SA response", "SA or Nonce missing");
			goto out;
		}
		if ((r = rkmp_ike_child_specs_for(sa, sa->pending.protocol, sa->pending.dh_group, false,
		    specs, &n)) != 0 ||
		    (r = rkmp_proposal_accept(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len)) != 0)
			goto out;
		if ((sa->pending.dh_group != 0) != (ke_p != NULL) ||
		    (ke_p != NULL && (ke_p->u.ke.group != sa->pending.dh_group ||
		    rkmp_proposal_get(&choice, RKMP_TRANS_DH, NULL) != sa->pending.dh_group))) {
			r = rkmp_err_set(RKMP_E_INVALID, "KE payload", "PFS group %u asked, answer has %s",
			    sa->pending.dh_group, ke_p ? "another group" : "no KE");
			goto out;
		}
		if (ke_p != NULL && (r = rkmp_ike_child_gir(sa, ke_p, false, gir, &gir_len, &dh)) != 0)
			goto out;
		if ((ch = rkmp_ike_child_slot(sa)) == NULL || peer_spi_len != ch->spi_size) {
			r = rkmp_err_set(RKMP_E_INVALID, "SA payload", "child SPI size %zu, we sent %u",
			    peer_spi_len, ch ? ch->spi_size : 0);
			goto out;
		}
		{
			struct child_seed cs = { ke_p ? gir : NULL, sa->pending.nonce.p, nr_p->u.opaque.data,
			    gir_len, sa->pending.nonce.len, nr_p->u.opaque.len,
			    sa->pending.op == RKMP_CHILD_REKEY ? sa->pending.target : NULL, true };

			if ((r = rkmp_ike_child_establish(sa, &choice, ch->spi_local, peer_spi,
			    peer_spi_len, &cs)) != 0)
				goto out;
		}
		if (sa->pending.op == RKMP_CHILD_REKEY) {
			struct rkmp_sa_child *old = child_find(sa, sa->pending.protocol, sa->pending.target,
			    sa->pending.spi_size, true);

			if (old != NULL)
				old->state = RKMP_CHILD_REKEYED;
		}
		if (rkmp_ike_noting(o))
			rkmp_proposal_format(&choice, what, sizeof(what));
		rkmp_ike_note(o, "%s %s child SA: %s%s",
		    sa->pending.op == RKMP_CHILD_REKEY ? "rekeyed" : "new",
		    rkmp_name_or(RKMP_REG_PROTOCOL, choice.protocol), what, ke_p ? " (PFS)" : "");
		break;
	case RKMP_CHILD_REKEY_IKE:
		r = rkmp_ike_rekey_process(sa, inner, ninner, err, o);
		goto out;
	case RKMP_CHILD_DELETE_OLD_IKE:
		rkmp_ike_note(o,
		    "the old RKMP SA %016llx:%016llx is deleted; the RKMP SA goes on as %016llx:%016llx",
		    (unsigned long long)sa->old.spi_i, (unsigned long long)sa->old.spi_r,
		    (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
		rkmp_ike_old_drop(sa);
		break;
	case RKMP_CHILD_DELETE: {
		struct rkmp_sa_child *c = child_find(sa, sa->pending.protocol, sa->pending.target,
		    sa->pending.spi_size, true);

		if (c != NULL)
			child_deleted(c);
		rkmp_ike_note(o, "child SA deleted");
		break;
	}
	case RKMP_CHILD_DELETE_IKE: {
		/* the children the peer deleted with it are named in its answer (§1.4.1) */
		struct pl_list dl = { .n = 0 };
		uint8_t delspis[RKMP_SA_CHILD_MAX][RKMP_SA_SPI_MAX];
		bool ike;
		size_t nd = rkmp_ike_info_deletes(sa, inner, ninner, &dl, delspis, &ike);

		sa->phase = RKMP_PHASE_DELETED;
		if (nd > 0)
			rkmp_ike_note(o, "RKMP SA deleted with %zu child SA%s", nd, nd == 1 ? "" : "s");
		else
			rkmp_ike_note(o, "RKMP SA deleted (its children live on until their lifetimes end)");
		break;
	}
	default:
		rkmp_ike_note(o, "the peer is alive");
		break;
	}
	memset(&sa->pending, 0, sizeof(sa->pending));
out:
	rkmp_crypto_wipe(gir, sizeof(gir));
	rkmp_ike_dh_put(sa, dh);
	rkmp_arena_free(&a);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * ike.c — RKMP_SA_INIT and RKMP_SA_AUTH (RFC 7296 §1.2, §2; draft-zhang-
 * karp-rkmp-00 §3) over struct rkmp_sa, with no I/O.  Messages are built as
 * payload arrays and encoded by msg.c, protected by sk.c; proposals come from
 * proposal.c, AUTH from auth.c, keys from crypto.c.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto.h"
#include "err.h"
#include "frag.h"
#include "identity.h"
#include "ike.h"
#include "msg.h"
#include "names.h"
#include "nitems.h"
#include "proposal.h"
#include "protocols.h"
#include "sk.h"

#define IKE_NONCE_LEN		32	/* >= half of every PRF key we offer (§2.10) */
#define IKE_INIT_RETRIES_MAX	4	/* COOKIE and INVALID_KE rounds (§2.6) */

/* ------------------------------------------------------------------ small helpers */

void
rkmp_ike_out_init(struct rkmp_ike_out *o)
{
	memset(o, 0, sizeof(*o));
	rkmp_buf_init(&o->msg, 0);
}

void
rkmp_ike_out_free(struct rkmp_ike_out *o)
{
	rkmp_buf_free(&o->msg);
}

static void
note(struct rkmp_ike_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct rkmp_ike_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->note, sizeof(o->note), fmt, ap);
	va_end(ap);
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/*
 * Randomness.  With a seed (testing only) every value is
 * prf+(HMAC-SHA2-256, seed, label | role), so a whole negotiation is
 * byte-for-byte reproducible; labels name the purpose and the message.
 */
int
rkmp_ike_random(struct rkmp_sa *sa, const char *label, uint8_t *out, size_t n)
{
	const struct rkmp_prf_alg *prf;
	char lab[96];

	if (!sa->seeded)
		return rkmp_crypto_random(out, n);
	if ((prf = rkmp_crypto_prf_lookup(5)) == NULL)
		return RKMP_E_CRYPTO;
	snprintf(lab, sizeof(lab), "rkmp seed %s %s", label, sa->initiator ? "i" : "r");
	return rkmp_crypto_prf_plus(prf, sa->seed.p, sa->seed.len, (const uint8_t *)lab,
	    strlen(lab), out, n);
}

/* ------------------------------------------------------------------ the suite and keys */

struct ike_suite {
	const struct rkmp_encr_alg	*encr;
	const struct rkmp_prf_alg	*prf;
	const struct rkmp_integ_alg	*integ;
	const struct rkmp_dh_group	*dh;
};

static int
suite_rows_of(const struct rkmp_sa_suite *suite, struct ike_suite *s)
{
	memset(s, 0, sizeof(*s));
	if ((s->encr = rkmp_crypto_encr_lookup(suite->encr, suite->encr_bits)) == NULL ||
	    (s->prf = rkmp_crypto_prf_lookup(suite->prf)) == NULL ||
	    (suite->integ != 0 && (s->integ = rkmp_crypto_integ_lookup(suite->integ)) == NULL) ||
	    (s->dh = rkmp_crypto_dh_lookup(suite->dh)) == NULL)
		return RKMP_E_CRYPTO;
	return 0;
}

static int
suite_rows(const struct rkmp_sa *sa, struct ike_suite *s)
{
	return suite_rows_of(&sa->suite, s);
}

/* From a choice (proposal.c) into a suite, checked against the crypto tables. */
static int
suite_of_choice(const struct rkmp_prop_choice *c, struct rkmp_sa_suite *out)
{
	uint16_t bits = 0;
	int encr = rkmp_proposal_get(c, RKMP_TRANS_ENCR, &bits);
	int prf = rkmp_proposal_get(c, RKMP_TRANS_PRF, NULL);
	int integ = rkmp_proposal_get(c, RKMP_TRANS_INTEG, NULL);
	int dh = rkmp_proposal_get(c, RKMP_TRANS_DH, NULL);
	struct ike_suite s;

	if (encr < 0 || prf < 0 || dh < 0)
		return rkmp_err_set(RKMP_E_INVALID, "SA payload", "chosen proposal lacks %s",
		    encr < 0 ? "ENCR" : prf < 0 ? "PRF" : "DH");
	memset(out, 0, sizeof(*out));
	out->encr = (uint16_t)encr;
	out->encr_bits = bits;
	out->prf = (uint16_t)prf;
	out->integ = integ < 0 ? 0 : (uint16_t)integ;
	out->dh = (uint16_t)dh;
	return suite_rows_of(out, &s);
}

/* From a choice into the state's suite. */
static int
suite_from_choice(struct rkmp_sa *sa, const struct rkmp_prop_choice *c)
{
	return suite_of_choice(c, &sa->suite);
}

/* SKEYSEED and SK_* from g^ir (§2.14), into the state's secrets. */
static int
derive_keys(struct rkmp_sa *sa, const uint8_t *gir, size_t gir_len)
{
	struct ike_suite s;
	struct rkmp_ike_keys k;
	uint8_t spii[8], spir[8];
	int r;

	if ((r = suite_rows(sa, &s)) != 0)
		return r;
	put64(spii, sa->spi_i);
	put64(spir, sa->spi_r);
	if ((r = rkmp_crypto_skeyseed(s.prf, sa->ni.p, sa->ni.len, sa->nr.p, sa->nr.len, gir, gir_len,
	    sa->sec.skeyseed)) != 0)
		return r;
	sa->sec.skeyseed_len = s.prf->out_len;
	if ((r = rkmp_crypto_ike_keys(s.prf, s.encr, s.integ, sa->sec.skeyseed, sa->sec.skeyseed_len,
	    sa->ni.p, sa->ni.len, sa->nr.p, sa->nr.len, spii, spir, &k)) != 0)
		return r;
	sa->sec.d_len = k.len.d;
	sa->sec.a_len = k.len.a;
	sa->sec.e_len = k.len.e;
	sa->sec.p_len = k.len.p;
	memcpy(sa->sec.sk_d, k.sk_d, k.len.d);
	memcpy(sa->sec.sk_ai, k.sk_ai, k.len.a);
	memcpy(sa->sec.sk_ar, k.sk_ar, k.len.a);
	memcpy(sa->sec.sk_ei, k.sk_ei, k.len.e);
	memcpy(sa->sec.sk_er, k.sk_er, k.len.e);
	memcpy(sa->sec.sk_pi, k.sk_pi, k.len.p);
	memcpy(sa->sec.sk_pr, k.sk_pr, k.len.p);
	rkmp_crypto_ike_keys_wipe(&k);
	return 0;
}

/* The keys of one direction: from the original initiator, or from the responder. */
static int
sk_dir(const struct rkmp_sa *sa, bool from_initiator, struct rkmp_sk_dir *d)
{
	struct ike_suite s;
	int r;

	if ((r = suite_rows(sa, &s)) != 0)
		return r;
	d->encr = s.encr;
	d->integ = s.integ;
	d->ke = from_initiator ? sa->sec.sk_ei : sa->sec.sk_er;
	d->ka = from_initiator ? sa->sec.sk_ai : sa->sec.sk_ar;
	return 0;
}

/* Our DH key pair: from the state's private value, or a new one (seeded or random). */
static int
dh_key(struct rkmp_sa *sa, uint16_t group, bool fresh, struct rkmp_dh **dh)
{
	const struct rkmp_dh_group *g = rkmp_crypto_dh_lookup(group);
	uint8_t priv[RKMP_SA_DH_MAX];
	size_t plen;
	int r;

	if (g == NULL)
		return RKMP_E_CRYPTO;
	*dh = NULL;
	if (!fresh && sa->dh_cache != NULL && rkmp_crypto_dh_group(sa->dh_cache) == g) {
		*dh = sa->dh_cache;	/* the caller's free of a cached key is a no-op */
		return 0;
	}
	rkmp_crypto_dh_free(sa->dh_cache);
	sa->dh_cache = NULL;
	if (!fresh && sa->sec.dh_private_len > 0) {
		if ((r = rkmp_crypto_dh_new(g, sa->sec.dh_private, sa->sec.dh_private_len, dh)) != 0)
			return r;
		sa->dh_cache = *dh;
		return 0;
	}
	if (sa->seeded) {
		char label[32];

		/* 32 octets for MODP and ECP, the raw key length for X25519/X448 (crypto.h) */
		plen = g->kind == RKMP_DH_ECX ? g->priv_len : 32;
		snprintf(label, sizeof(label), "dh %u %u", group, sa->init_retries);
		if ((r = rkmp_ike_random(sa, label, priv, plen)) != 0)
			return r;
		r = rkmp_crypto_dh_new(g, priv, plen, dh);
		rkmp_crypto_wipe(priv, sizeof(priv));
	} else
		r = rkmp_crypto_dh_new(g, NULL, 0, dh);
	if (r != 0)
		return r;
	if ((r = rkmp_crypto_dh_private(*dh, sa->sec.dh_private, g->priv_len)) != 0) {
		rkmp_crypto_dh_free(*dh);
		*dh = NULL;
		return r;
	}
	sa->sec.dh_private_len = g->priv_len;
	sa->dh_cache = *dh;
	return 0;
}

/* Free a key pair from dh_key(): the cached one stays with the SA. */
static void
dh_put(struct rkmp_sa *sa, struct rkmp_dh *dh)
{
	if (dh != sa->dh_cache)
		rkmp_crypto_dh_free(dh);
}

/* ------------------------------------------------------------------ payload builders */

struct pl_list {
	struct rkmp_pld	 p[24];
	size_t		 n;
};

static struct rkmp_pld *
pl_add(struct pl_list *l, uint8_t type)
{
	struct rkmp_pld *p;

	if (l->n == nitems(l->p))
		return NULL;
	p = &l->p[l->n++];
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->known = true;
	return p;
}

static int
pl_notify(struct pl_list *l, uint16_t type, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
    const uint8_t *data, size_t len)
{
	struct rkmp_pld *p = pl_add(l, RKMP_PLD_NOTIFY);

	if (p == NULL)
		return rkmp_err_set(RKMP_E_INTERNAL, "build", "too many payloads");
	p->u.notify.type = type;
	p->u.notify.protocol = proto;
	p->u.notify.spi = spi;
	p->u.notify.spi_size = spi_size;
	p->u.notify.data = data;
	p->u.notify.len = len;
	return 0;
}

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

/* ------------------------------------------------------------------ message helpers */

static int
decode_msg(struct rkmp_arena *a, const uint8_t *p, size_t len, struct rkmp_msg *m)
{
	return rkmp_msg_decode(a, p, len, m);
}

static const struct rkmp_pld *
find(const struct rkmp_pld *pld, size_t n, uint8_t type)
{
	return rkmp_msg_find(pld, n, type);
}

/* The first error notify of a payload list (types below 16384), or NULL. */
static const struct rkmp_pld *
find_error(const struct rkmp_pld *pld, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pld[i].type == RKMP_PLD_NOTIFY && pld[i].known &&
		    pld[i].u.notify.type <= RKMP_N_ERROR_MAX)
			return &pld[i];
	return NULL;
}

static int
fail(struct rkmp_sa *sa, struct rkmp_ike_out *o, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record the SA's outcome (phase failed, reason) and return code with the reason as detail. */
static int
fail(struct rkmp_sa *sa, struct rkmp_ike_out *o, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sa->reason, sizeof(sa->reason), fmt, ap);
	va_end(ap);
	sa->phase = RKMP_PHASE_FAILED;
	o->save = true;
	snprintf(o->note, sizeof(o->note), "%s", sa->reason);
	return rkmp_err_set(code, "", "%s", sa->reason);
}

/* Encode an unprotected message (IKE_SA_INIT) into o->msg and record it. */
static int
emit_clear(struct rkmp_sa *sa, struct rkmp_ike_out *o, uint64_t spi_i, uint64_t spi_r,
    uint8_t exchange, uint8_t flags, uint32_t mid, struct pl_list *l, bool record)
{
	struct rkmp_msg m = { .spi_i = spi_i, .spi_r = spi_r, .version = RKMP_VERSION_2_0,
	    .exchange = exchange, .flags = flags, .msg_id = mid, .pld = l->p, .npld = l->n };
	int r;

	rkmp_buf_reset(&o->msg);
	if ((r = rkmp_msg_encode(&m, &o->msg)) != 0)
		return r;
	o->send = true;
	if (record && (r = rkmp_sa_record(sa, true, o->msg.p, o->msg.len)) != 0)
		return r;
	return 0;
}

/* Our next IV: an AEAD counter (never a Message ID: ikev2-core.md §1.14), or random. */
static int
next_iv(struct rkmp_sa *sa, const struct rkmp_sk_dir *d, uint8_t exchange, uint32_t mid,
    bool response, unsigned frag, uint8_t *iv)
{
	char label[64];

	if (d->encr->aead) {
		put64(iv, ++sa->iv_counter_out);
		return 0;
	}
	snprintf(label, sizeof(label), frag ? "iv %u %u %d frag %u" : "iv %u %u %d", exchange, mid,
	    response, frag);
	return rkmp_ike_random(sa, label, iv, d->encr->iv_len);
}

/*
 * RFC 7383 §2.5: the inner chain again as Encrypted Fragments of at most
 * sa->frag_max octets each, one message after another in out (the transport
 * sends each as a datagram; the transcript keeps them so, for bitwise-identical
 * retransmissions).  The number of fragments in *n.
 */
static int
emit_fragments(struct rkmp_sa *sa, const struct rkmp_msg *h, const struct pl_list *l,
    const struct rkmp_sk_dir *d, bool response, struct rkmp_buf *out, unsigned *n)
{
	struct rkmp_buf chain;
	size_t room = rkmp_skf_room(d, sa->frag_max), total, off;
	uint8_t iv[32];
	int r;

	if (room == 0)
		return rkmp_err_set(RKMP_E_USAGE, "--fragment-size", "%zu octets of IKE message leave "
		    "no room for a fragment's data with %s", sa->frag_max, d->encr->name);
	rkmp_buf_init(&chain, RKMP_MSG_MAX);
	if ((r = rkmp_msg_encode_chain(l->p, l->n, &chain)) != 0)
		goto out;
	total = (chain.len + room - 1) / room;
	if (total > RKMP_FRAGS_MAX) {
		r = rkmp_err_set(RKMP_E_USAGE, "--fragment-size", "%zu octets would take %zu fragments "
		    "of %zu, more than %d", chain.len, total, room, RKMP_FRAGS_MAX);
		goto out;
	}
	rkmp_buf_reset(out);
	for (off = 0, *n = 0; off < chain.len; off += room) {
		size_t len = chain.len - off < room ? chain.len - off : room;

		(*n)++;
		if ((r = next_iv(sa, d, h->exchange, h->msg_id, response, *n, iv)) != 0 ||
		    (r = rkmp_skf_protect(h, l->n > 0 ? l->p[0].type : RKMP_PLD_NONE, (uint16_t)*n,
		    (uint16_t)total, chain.p + off, len, d, iv, out)) != 0)
			goto out;
	}
out:
	rkmp_crypto_wipe(chain.p, chain.len);
	rkmp_buf_free(&chain);
	return r;
}

/*
 * Protect an inner chain into o->msg (IKE_AUTH and later) and record it: one
 * SK message, or, when fragmentation was agreed and it is larger than
 * sa->frag_max, its fragments.
 */
static int
emit_protected(struct rkmp_sa *sa, struct rkmp_ike_out *o, uint8_t exchange, bool response,
    uint32_t mid, struct pl_list *l)
{
	struct rkmp_msg h = { .spi_i = sa->spi_i, .spi_r = sa->spi_r, .version = RKMP_VERSION_2_0,
	    .exchange = exchange, .msg_id = mid };
	struct rkmp_sk_dir d;
	uint8_t iv[32];
	int r;

	h.flags = (uint8_t)((sa->initiator ? RKMP_FLAG_I : 0) | (response ? RKMP_FLAG_R : 0));
	o->fragments = 0;
	if ((r = sk_dir(sa, sa->initiator, &d)) != 0 ||
	    (r = next_iv(sa, &d, exchange, mid, response, 0, iv)) != 0)
		return r;
	rkmp_buf_reset(&o->msg);
	if ((r = rkmp_sk_protect(&h, l->p, l->n, &d, iv, &o->msg)) != 0)
		return r;
	if (sa->fragmentation && sa->frag_max > 0 && o->msg.len > sa->frag_max &&
	    (r = emit_fragments(sa, &h, l, &d, response, &o->msg, &o->fragments)) != 0)
		return r;
	o->send = true;
	return rkmp_sa_record(sa, true, o->msg.p, o->msg.len);
}

/*
 * The peer's protected message, decoded into m with its inner chain: one
 * message with SK, or (RFC 7383, when agreed) all the Encrypted Fragments of
 * one message one after another, in order, as the transport collects them
 * (rkmp_frags); each is verified on its own and m is the last.  With first
 * set, only the first message's header is decoded (for the header checks
 * before any crypto).
 */
static int
unprotect(struct rkmp_sa *sa, struct rkmp_arena *a, const uint8_t *p, size_t len, bool first,
    struct rkmp_msg *m)
{
	struct rkmp_skf_reasm *rs;
	struct rkmp_sk_dir d;
	size_t off = 0, mlen;
	int r = 0, k;

	if (len < RKMP_HDR_LEN || p[16] != RKMP_PLD_SKF) {
		if ((r = decode_msg(a, p, len, m)) != 0 || first)
			return r;
		if (m->npld == 0 || m->pld[m->npld - 1].type != RKMP_PLD_SK)
			return rkmp_err_set(RKMP_E_INVALID, rkmp_name_or(RKMP_REG_EXCHANGE, m->exchange),
			    "no SK payload");
		if ((r = sk_dir(sa, !sa->initiator, &d)) != 0)
			return r;
		return rkmp_sk_unprotect(a, m, &d);
	}
	if (!sa->fragmentation)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "IKE fragmentation (RFC 7383) was not "
		    "agreed in RKMP_SA_INIT");
	if ((k = rkmp_frags_next(p, len, &off, &mlen)) <= 0)
		return k < 0 ? k : rkmp_err_set(RKMP_E_TRUNCATED, "SKF payload", "no fragment");
	if (first)
		return decode_msg(a, p, mlen, m);
	if ((r = sk_dir(sa, !sa->initiator, &d)) != 0)
		return r;
	if ((rs = rkmp_skf_reasm_new()) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "SKF payload", "out of memory");
	for (off = 0, k = 0; (r = rkmp_frags_next(p, len, &off, &mlen)) > 0; off += mlen) {
		if (k == 1)
			break;	/* complete before the end: more than one message's fragments */
		if ((r = decode_msg(a, p + off, mlen, m)) != 0 ||
		    (r = rkmp_frags_same(p, p + off)) != 0 ||
		    (k = r = rkmp_skf_add(rs, a, m, &d)) < 0)
			break;
	}
	rkmp_skf_reasm_free(rs);
	if (r < 0)
		return r;
	if (k != 1 || off < len)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "%zu octets of fragments do not make "
		    "one whole message", len);
	return 0;
}

/* ------------------------------------------------------------------ RKMP_SA_INIT */

/*
 * Parse a proposal list, remembering the last few: every step of an
 * exchange needs the same lists again, and parsing them showed up in the
 * benchmark (keyword lookups by name).
 */
static int
parse_cached(const char *list, uint8_t protocol, struct rkmp_prop_spec *specs, size_t *n)
{
	static _Thread_local struct {
		char			 list[RKMP_SA_TEXT_MAX];
		uint8_t			 protocol;
		size_t			 n;
		struct rkmp_prop_spec	 specs[RKMP_PROPS_MAX];
	} cache[4];
	static _Thread_local unsigned next;
	int r;

	for (size_t i = 0; i < 4; i++)
		if (cache[i].n > 0 && cache[i].protocol == protocol && strcmp(cache[i].list, list) == 0) {
			memcpy(specs, cache[i].specs, cache[i].n * sizeof(specs[0]));
			*n = cache[i].n;
			return 0;
		}
	if ((r = rkmp_proposal_parse(list, protocol, specs, RKMP_PROPS_MAX, n)) != 0 ||
	    strlen(list) >= sizeof(cache[0].list))
		return r;
	next = (next + 1) % 4;
	snprintf(cache[next].list, sizeof(cache[next].list), "%s", list);
	cache[next].protocol = protocol;
	cache[next].n = *n;
	memcpy(cache[next].specs, specs, *n * sizeof(specs[0]));
	return 0;
}

static int
parse_specs(const struct rkmp_sa *sa, struct rkmp_prop_spec *specs, size_t *n)
{
	return parse_cached(sa->proposals, RKMP_PROTO_IKE, specs, n);
}

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

	if ((r = parse_specs(sa, specs, &n)) != 0)
		goto out;
	if (!rkmp_proposal_has_group(specs, n, sa->ke_group_sent)) {
		r = rkmp_err_set(RKMP_E_USAGE, "proposal", "no DH group in \"%s\"", sa->proposals);
		goto out;
	}
	if ((r = dh_key(sa, sa->ke_group_sent, false, &dh)) != 0)
		goto out;
	if (sa->cookie.len > 0 && (r = pl_notify(&l, RKMP_N_COOKIE, 0, NULL, 0, sa->cookie.p,
	    sa->cookie.len)) != 0)
		goto out;
	if ((p = pl_add(&l, RKMP_PLD_SA)) == NULL ||
	    (r = rkmp_proposal_to_sa(&a, specs, n, NULL, 0, p)) != 0) {
		r = r ? r : RKMP_E_INTERNAL;
		goto out;
	}
	kpub = rkmp_crypto_dh_public(dh, &klen);
	p = pl_add(&l, RKMP_PLD_KE);
	p->u.ke.group = sa->ke_group_sent;
	p->u.ke.data = kpub;
	p->u.ke.len = klen;
	p = pl_add(&l, RKMP_PLD_NONCE);
	p->u.opaque.data = sa->ni.p;
	p->u.opaque.len = sa->ni.len;
	if (cfg->local != NULL && cfg->remote != NULL) {
		if ((r = natd_hash(sa->spi_i, 0, cfg->local, natd_s)) != 0 ||
		    (r = natd_hash(sa->spi_i, 0, cfg->remote, natd_d)) != 0 ||
		    (r = pl_notify(&l, RKMP_N_NAT_DETECTION_SOURCE_IP, 0, NULL, 0, natd_s, 20)) != 0 ||
		    (r = pl_notify(&l, RKMP_N_NAT_DETECTION_DESTINATION_IP, 0, NULL, 0, natd_d, 20)) != 0)
			goto out;
		/* RFC 7383, offered where there is IP to fragment: over UDP (DESIGN.md §6) */
		if ((r = pl_notify(&l, RKMP_N_IKEV2_FRAGMENTATION_SUPPORTED, 0, NULL, 0, NULL, 0)) != 0)
			goto out;
	}
	/* RFC 7427: always offered (as strongSwan does), so that certificates given
	 * only at rkmp-auth can still sign with method 14 */
	if ((r = pl_notify(&l, RKMP_N_SIGNATURE_HASH_ALGORITHMS, 0, NULL, 0, sig_hashes,
	    sizeof(sig_hashes))) != 0)
		goto out;
	r = emit_clear(sa, o, sa->spi_i, 0, RKMP_EXCH_IKE_SA_INIT, RKMP_FLAG_I, 0, &l, true);
out:
	dh_put(sa, dh);
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
	if ((r = parse_specs(sa, specs, &n)) != 0)
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
	note(o, "RKMP_SA_INIT request: SPIi %016llx, KE %s", (unsigned long long)sa->spi_i,
	    rkmp_name_or(RKMP_REG_DH, (unsigned)g));
	return 0;
}

/* g^ir with our key pair (fresh for the responder, kept for the initiator), then SK_*. */
static int
init_keys(struct rkmp_sa *sa, bool fresh, const struct rkmp_pld *ke, struct rkmp_dh **dh)
{
	uint8_t gir[RKMP_CRYPTO_DH_MAX];
	int r;

	if ((r = dh_key(sa, sa->suite.dh, fresh, dh)) == 0 &&
	    (r = rkmp_crypto_dh_shared(*dh, ke->u.ke.data, ke->u.ke.len, gir)) == 0)
		r = derive_keys(sa, gir, rkmp_crypto_dh_lookup(sa->suite.dh)->secret_len);
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
	rkmp_proposal_format(c, prop, sizeof(prop));
	note(o, "RKMP_SA_INIT %s: SPIs %016llx:%016llx, suite %s, keys derived%s%s", what,
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

	if ((r = pl_notify(&l, type, 0, NULL, 0, data, len)) != 0)
		return r;
	return emit_clear(sa, o, req->spi_i, 0, RKMP_EXCH_IKE_SA_INIT, RKMP_FLAG_R, 0, &l, false);
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
	const struct rkmp_pld *sa_p, *ke_p, *ni_p, *ck;
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
		r = fail(sa, o, RKMP_E_REFUSED, "request has unsupported critical payload %u: "
		    "answered UNSUPPORTED_CRITICAL_PAYLOAD", t);
		goto out;
	}
	/* COOKIE (§2.6): the first request gets one; the repeat must carry it. */
	if (cfg->require_cookie) {
		ck = rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_COOKIE);
		if (ck == NULL || sa->cookie.len == 0 || ck->u.notify.len != sa->cookie.len ||
		    !rkmp_crypto_ct_eq(ck->u.notify.data, sa->cookie.p, sa->cookie.len)) {
			sa->cookie.len = 16;
			if ((r = rkmp_ike_random(sa, ck ? "cookie again" : "cookie", sa->cookie.p,
			    sa->cookie.len)) != 0 ||
			    (r = init_notify(sa, o, &m, RKMP_N_COOKIE, sa->cookie.p, sa->cookie.len)) != 0)
				goto out;
			o->save = true;
			note(o, "answered N(COOKIE)%s: waiting for the request again with it",
			    ck ? " (its cookie was wrong)" : "");
			r = RKMP_IKE_AGAIN;
			goto out;
		}
	}
	if ((r = parse_specs(sa, specs, &n)) != 0)
		goto out;
	r = rkmp_proposal_select(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len);
	if (r == RKMP_E_REFUSED) {
		char why[400];

		snprintf(why, sizeof(why), "%s", rkmp_err_detail());
		if ((r = init_notify(sa, o, &m, 14, NULL, 0)) != 0)
			goto out;
		r = fail(sa, o, RKMP_E_REFUSED, "answered NO_PROPOSAL_CHOSEN: %s", why);
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
		note(o, "answered INVALID_KE_PAYLOAD: KE is %s, chosen group %s; waiting for the retry",
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
	p = pl_add(&l, RKMP_PLD_SA);
	if ((r = rkmp_proposal_choice_to_sa(&a, &choice, NULL, 0, p)) != 0)
		goto out;
	kpub = rkmp_crypto_dh_public(dh, &klen);
	p = pl_add(&l, RKMP_PLD_KE);
	p->u.ke.group = sa->suite.dh;
	p->u.ke.data = kpub;
	p->u.ke.len = klen;
	p = pl_add(&l, RKMP_PLD_NONCE);
	p->u.opaque.data = sa->nr.p;
	p->u.opaque.len = sa->nr.len;
	if (cfg->local != NULL && cfg->remote != NULL &&
	    rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_NAT_DETECTION_SOURCE_IP) != NULL) {
		if ((r = natd_hash(sa->spi_i, sa->spi_r, cfg->local, natd_s)) != 0 ||
		    (r = natd_hash(sa->spi_i, sa->spi_r, cfg->remote, natd_d)) != 0 ||
		    (r = pl_notify(&l, RKMP_N_NAT_DETECTION_SOURCE_IP, 0, NULL, 0, natd_s, 20)) != 0 ||
		    (r = pl_notify(&l, RKMP_N_NAT_DETECTION_DESTINATION_IP, 0, NULL, 0, natd_d, 20)) != 0)
			goto out;
	}
	if (cfg->creds != NULL && rkmp_creds_certreq(cfg->creds, certreq, sizeof(certreq),
	    &certreq_len) == 0 && certreq_len > 0) {
		p = pl_add(&l, RKMP_PLD_CERTREQ);
		p->u.cert.encoding = 4;
		p->u.cert.data = certreq;
		p->u.cert.len = certreq_len;
	}
	if (sa->profile == RKMP_PROFILE_IKEV2 &&
	    (r = pl_notify(&l, RKMP_N_CHILDLESS_IKEV2_SUPPORTED, 0, NULL, 0, NULL, 0)) != 0)
		goto out;
	/* RFC 7383: agreed when the initiator offered it */
	sa->fragmentation = rkmp_msg_find_notify(m.pld, m.npld,
	    RKMP_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	if (sa->fragmentation &&
	    (r = pl_notify(&l, RKMP_N_IKEV2_FRAGMENTATION_SUPPORTED, 0, NULL, 0, NULL, 0)) != 0)
		goto out;
	sa->nat = natd_differs(&m, cfg);
	if (rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_SIGNATURE_HASH_ALGORITHMS) &&
	    (r = pl_notify(&l, RKMP_N_SIGNATURE_HASH_ALGORITHMS, 0, NULL, 0, sig_hashes,
	    sizeof(sig_hashes))) != 0)
		goto out;
	if ((r = rkmp_sa_record(sa, false, req, len)) != 0 ||
	    (r = emit_clear(sa, o, sa->spi_i, sa->spi_r, RKMP_EXCH_IKE_SA_INIT, RKMP_FLAG_R, 0, &l,
	    true)) != 0)
		goto out;
	sa->cookie.len = 0;
	sa->mid_peer = 1;
	sa->mid_next = 0;
	init_done(sa, o, &choice, "answered");
out:
	dh_put(sa, dh);
	rkmp_arena_free(&a);
	return r;
}

static void old_swap(struct rkmp_sa *sa);

/*
 * Whether a datagram is the answer to our outstanding request: our SPIi, a
 * response, the Message ID we wait for, and for a protected answer an ICV
 * that verifies.  A forged or stray datagram is not an answer: the requester
 * keeps waiting (and retransmitting) for the real one.  While the Delete of
 * the old SA of a rekey is out, the answer is checked on the old SA (the
 * SA's fields are swapped for that and back).
 */
int
rkmp_ike_is_answer(void *ctx, const uint8_t *p, size_t len)
{
	struct rkmp_sa *sa = ctx;
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	/* after a rekey of the RKMP SA, our Delete of the old SA is answered on the old SA */
	bool on_old = sa->pending.op == RKMP_CHILD_DELETE_OLD_IKE && sa->old.spi_i != 0;
	uint32_t mid;
	int yes;

	if (on_old)
		old_swap(sa);
	if (len < RKMP_HDR_LEN || rkmp_get64(p) != sa->spi_i || !(p[19] & RKMP_FLAG_R)) {
		yes = 0;
		goto out;
	}
	mid = rkmp_get32(p + 20);
	if (sa->phase == RKMP_PHASE_INIT_SENT) {
		yes = p[18] == RKMP_EXCH_IKE_SA_INIT && mid == 0;
		goto out;
	}
	if (mid != sa->mid_next - 1 || rkmp_get64(p + 8) != sa->spi_r) {
		yes = 0;
		goto out;
	}
	yes = unprotect(sa, &a, p, len, false, &m) == 0;
	rkmp_arena_free(&a);
out:
	if (on_old)
		old_swap(sa);
	return yes;
}

int
rkmp_ike_fragment_check(struct rkmp_sa *sa, const uint8_t *p, size_t len)
{
	struct rkmp_arena a = { 0 };
	struct rkmp_sk_dir d;
	struct rkmp_msg m;
	uint16_t num, total;
	int r;

	if ((r = rkmp_frags_peek(p, len, &num, &total)) <= 0)
		return r;
	if (!sa->fragmentation)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "fragment %u of %u: IKE fragmentation "
		    "(RFC 7383) was not agreed in RKMP_SA_INIT", num, total);
	if (rkmp_get64(p) != sa->spi_i || rkmp_get64(p + 8) != sa->spi_r ||
	    ((p[19] & RKMP_FLAG_I) != 0) == sa->initiator)
		return rkmp_err_set(RKMP_E_INVALID, "SKF payload", "fragment %u of %u: SPIs "
		    "%016llx:%016llx with I flag %s, not the peer's on this SA", num, total,
		    (unsigned long long)rkmp_get64(p), (unsigned long long)rkmp_get64(p + 8),
		    (p[19] & RKMP_FLAG_I) ? "set" : "clear");
	if ((r = decode_msg(&a, p, len, &m)) == 0 && (r = sk_dir(sa, !sa->initiator, &d)) == 0)
		r = rkmp_sk_unprotect(&a, &m, &d);
	rkmp_arena_free(&a);
	return r < 0 ? r : 1;
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
	if ((err = find_error(m.pld, m.npld)) != NULL)
		type = err->u.notify.type;
out:
	rkmp_arena_free(&a);
	return type;
}

int
rkmp_ike_pending_request(const struct rkmp_sa *sa, const uint8_t **p, size_t *len)
{
	const struct rkmp_sa_msg *m = NULL;
	bool waits = sa->phase == RKMP_PHASE_INIT_SENT || sa->phase == RKMP_PHASE_AUTH_SENT ||
	    (sa->phase == RKMP_PHASE_ESTABLISHED && sa->pending.op != RKMP_CHILD_NONE);

	for (size_t i = sa->ntranscript; waits && i-- > 0;)
		if (sa->transcript[i].sent && !sa->transcript[i].response) {
			m = &sa->transcript[i];
			break;
		}
	if (m == NULL)
		return rkmp_err_set(RKMP_E_STATE, "phase", "%s: no request of ours waits for an answer",
		    rkmp_phase_name(sa->phase));
	if ((sa->phase == RKMP_PHASE_INIT_SENT && m->exchange != RKMP_EXCH_IKE_SA_INIT) ||
	    (sa->phase == RKMP_PHASE_AUTH_SENT && m->exchange != RKMP_EXCH_IKE_AUTH) ||
	    (sa->phase == RKMP_PHASE_ESTABLISHED && m->msg_id != sa->pending.msg_id))
		return rkmp_err_set(RKMP_E_STATE, "transcript", "the last request sent (%s, Message ID "
		    "%u) is not the one phase %s waits for", rkmp_name_or(RKMP_REG_EXCHANGE, m->exchange),
		    m->msg_id, rkmp_phase_name(sa->phase));
	*p = m->p;
	*len = m->len;
	return 0;
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
	if ((r = parse_specs(sa, specs, &n)) != 0)
		goto out;
	/* COOKIE: repeat the request with it, first (§2.6). */
	if ((ck = rkmp_msg_find_notify(m.pld, m.npld, RKMP_N_COOKIE)) != NULL &&
	    find(m.pld, m.npld, RKMP_PLD_SA) == NULL) {
		if (++sa->init_retries > IKE_INIT_RETRIES_MAX) {
			r = fail(sa, o, RKMP_E_REFUSED, "gave up after %d COOKIE/INVALID_KE rounds",
			    IKE_INIT_RETRIES_MAX);
			goto out;
		}
		sa->cookie.len = ck->u.notify.len;
		memcpy(sa->cookie.p, ck->u.notify.data, ck->u.notify.len);
		if ((r = rkmp_sa_record(sa, false, resp, len)) != 0 ||
		    (r = build_init_request(sa, cfg, o)) != 0)
			goto out;
		o->save = true;
		note(o, "responder asked for a COOKIE (%zu octets): request repeated with it",
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
			r = fail(sa, o, RKMP_E_REFUSED, "gave up after %d COOKIE/INVALID_KE rounds",
			    IKE_INIT_RETRIES_MAX);
			goto out;
		}
		sa->ke_group_sent = g;
		sa->sec.dh_private_len = 0;
		if ((r = dh_key(sa, g, true, &dh)) != 0)
			goto out;
		dh_put(sa, dh);
		dh = NULL;
		if ((r = rkmp_sa_record(sa, false, resp, len)) != 0 ||
		    (r = build_init_request(sa, cfg, o)) != 0)
			goto out;
		o->save = true;
		note(o, "responder asked for KE group %s: request repeated with it", rkmp_name_or(RKMP_REG_DH, g));
		r = RKMP_IKE_AGAIN;
		goto out;
	}
	if ((err = find_error(m.pld, m.npld)) != NULL) {
		(void)rkmp_sa_record(sa, false, resp, len);
		r = fail(sa, o, RKMP_E_REFUSED, "responder refused: %s",
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
	dh_put(sa, dh);
	rkmp_arena_free(&a);
	return r;
}

/* ------------------------------------------------------------------ RKMP_SA_AUTH */

/* Master key length L of a routing-protocol SA by its INTEG (rkmp-karp.md §7). */
static const struct {
	uint8_t		 protocol;
	int		 integ;		/* -1: any */
	size_t		 len;
} rp_key_len[] = {
	{ RKMP_PROTO_TCP_AO, 2, 20 },	/* HMAC-SHA-1-96: RFC 5926 Key_Length 160 */
	{ RKMP_PROTO_TCP_AO, 8, 16 },	/* AES-128-CMAC-96: 128 */
	{ RKMP_PROTO_BFD, 1, 16 },	/* keyed MD5 */
	{ RKMP_PROTO_BFD, 2, 20 },	/* keyed SHA-1 */
	{ RKMP_PROTO_BFD, 12, 32 },	/* HMAC-SHA-256 */
	{ RKMP_PROTO_RSVP_TE, -1, 16 },	/* HMAC-MD5 (RFC 2747) */
	{ RKMP_PROTO_TCP_MD5, 1, 32 },	/* RFC 2385 keyed MD5: DESIGN.md §7, a 32-octet key */
};

/* KEYMAT length of a child: an RP master key, or ESP's four keys (§2.17). */
int
rkmp_ike_child_keymat_len(const struct rkmp_prop_choice *c, size_t *len)
{
	int integ = rkmp_proposal_get(c, RKMP_TRANS_INTEG, NULL);

	if (c->protocol == RKMP_PROTO_ESP) {
		uint16_t bits = 0;
		int encr = rkmp_proposal_get(c, RKMP_TRANS_ENCR, &bits);
		const struct rkmp_encr_alg *e = encr < 0 ? NULL : rkmp_crypto_encr_lookup((uint16_t)encr, bits);
		const struct rkmp_integ_alg *i = integ <= 0 ? NULL : rkmp_crypto_integ_lookup((uint16_t)integ);

		if (e == NULL || (integ > 0 && i == NULL))
			return RKMP_E_CRYPTO;
		*len = 2 * (e->key_len + e->salt_len + (i ? i->key_len : 0));
		return 0;
	}
	for (size_t k = 0; k < nitems(rp_key_len); k++)
		if (rp_key_len[k].protocol == c->protocol &&
		    (rp_key_len[k].integ < 0 || rp_key_len[k].integ == integ)) {
			*len = rp_key_len[k].len;
			return 0;
		}
	return rkmp_err_set(RKMP_E_CRYPTO, "child SA", "no master key length for %s with INTEG %d",
	    rkmp_name_or(RKMP_REG_PROTOCOL, c->protocol), integ);
}

/* The first child's protocol: the state's (rkmp-auth --protocol), else the profile's. */
static uint8_t
child_protocol(const struct rkmp_sa *sa)
{
	if (sa->child_protocol != 0)
		return sa->child_protocol;
	return sa->profile == RKMP_PROFILE_IKEV2 ? RKMP_PROTO_ESP : RKMP_PROTO_TCP_AO;
}

/* Child SPI octets of a protocol (protocols.c). */
static size_t
child_spi_len(uint8_t protocol)
{
	const struct rkmp_protocol *p = rkmp_protocol_by_id(protocol);

	return p != NULL ? p->spi_len : 1;
}

/*
 * The proposals of a first child (RKMP_SA_AUTH: no KE) of protocol: the
 * configured list when protocol is the first child's, else the protocol's
 * default.  A responder takes the protocol from the peer's SAi2.
 */
static int
child_specs(const struct rkmp_sa *sa, uint8_t protocol, struct rkmp_prop_spec *specs, size_t *n)
{
	const char *list;

	if (protocol == child_protocol(sa) && sa->child_proposals[0])
		list = sa->child_proposals;
	else if ((list = rkmp_proposal_default(protocol)) == NULL)
		return rkmp_err_set(RKMP_E_USAGE, "protocol", "no default proposal for %s",
		    rkmp_name_or(RKMP_REG_PROTOCOL, protocol));
	return parse_cached(list, protocol, specs, n);
}

/* The child an answer completes: the one we proposed, or a new entry. */
static struct rkmp_sa_child *
child_slot(struct rkmp_sa *sa)
{
	if (sa->nchildren > 0 && sa->children[sa->nchildren - 1].state == RKMP_CHILD_PROPOSED)
		return &sa->children[sa->nchildren - 1];
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
/* The inputs of a child's KEYMAT (§2.17): the exchange's nonces, g^ir with PFS. */
struct child_seed {
	const uint8_t	*gir, *ni, *nr;
	size_t		 gir_len, ni_len, nr_len;
};

static int
child_establish(struct rkmp_sa *sa, const struct rkmp_prop_choice *c, const uint8_t *spi_local,
    const uint8_t *spi_peer, size_t spi_size, const struct child_seed *cs)
{
	struct rkmp_sa_child *ch = child_slot(sa);
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
	if ((r = suite_rows(sa, &s)) != 0 || (r = rkmp_ike_child_keymat_len(c, &ch->keymat_len)) != 0)
		return r;
	if (ch->keymat_len > sizeof(ch->keymat))
		return rkmp_err_set(RKMP_E_INTERNAL, "child SA", "KEYMAT %zu octets", ch->keymat_len);
	if ((r = rkmp_crypto_child_keymat(s.prf, sa->sec.sk_d, sa->sec.d_len, cs->gir, cs->gir_len,
	    cs->ni, cs->ni_len, cs->nr, cs->nr_len, ch->keymat, ch->keymat_len)) != 0)
		return r;
	ch->state = RKMP_CHILD_ESTABLISHED;
	return 0;
}

static void
child_refused(struct rkmp_sa *sa, uint8_t protocol, const char *why)
{
	struct rkmp_sa_child *ch = child_slot(sa);

	if (ch == NULL)
		return;
	ch->protocol = protocol;
	ch->state = RKMP_CHILD_REFUSED;
	snprintf(ch->reason, sizeof(ch->reason), "%s", why);
}

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

/* Our AUTH payload: PSK or signature, over our side's octets. */
static int
auth_make(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *id_body, size_t id_len,
    uint8_t *out, size_t max, size_t *len, uint8_t *method)
{
	struct rkmp_auth_octets oc;
	struct ike_suite s;
	uint16_t hashes[16];
	int r, m = 0;

	if ((r = suite_rows(sa, &s)) != 0 || (r = auth_octets(sa, sa->initiator, id_body, id_len, &oc)) != 0)
		return r;
	if (cfg->psk != NULL) {
		/* keep the key pad: the answer is checked with it, PSK file or not */
		if ((r = rkmp_auth_psk_pad(s.prf, cfg->psk, cfg->psk_len, sa->sec.psk_pad)) != 0 ||
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
	if ((r = suite_rows(sa, &s)) != 0 ||
	    (r = auth_octets(sa, !sa->initiator, id->body, id->body_len, &oc)) != 0)
		return r;
	if (au->u.auth.method == 2) {
		uint8_t pad[RKMP_CRYPTO_PRF_MAX];

		if (cfg->psk != NULL)
			r = rkmp_auth_psk_pad(s.prf, cfg->psk, cfg->psk_len, pad);
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

/* TSi/TSr of the ikev2 profile: everything of one address family; the peer narrows. */
static const uint8_t ts_any4[] = { 0, 0, 0, 0 }, ts_all4[] = { 255, 255, 255, 255 };
static struct rkmp_ts ts_any = {
	.type = RKMP_TS_IPV4_ADDR_RANGE, .ip_proto = 0, .start_port = 0, .end_port = 65535,
	.start_addr = ts_any4, .end_addr = ts_all4, .addr_len = 4, .len = 16,
};

static void
pl_ts(struct pl_list *l, uint8_t type, struct rkmp_ts *ts, uint8_t count)
{
	struct rkmp_pld *p = pl_add(l, type);

	p->u.ts.count = count;
	p->u.ts.ts = ts;
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
	struct rkmp_pld *p = pl_add(l, ptype);

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
		struct rkmp_pld *p = pl_add(l, RKMP_PLD_CERT);

		if (p == NULL)
			return rkmp_err_set(RKMP_E_USAGE, "certificate", "chain longer than we can send");
		p->u.cert.encoding = 4;
		p->u.cert.data = der;
		p->u.cert.len = len;
	}
	return 0;
}

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
		p = pl_add(&l, RKMP_PLD_CERTREQ);
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
	p = pl_add(&l, RKMP_PLD_AUTH);
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
		size_t spi_len = child_spi_len(child_protocol(sa));

		if ((r = child_specs(sa, child_protocol(sa), specs, &n)) != 0)
			goto out;
		do {
			if ((r = rkmp_ike_random(sa, "child spi", spi, spi_len)) != 0)
				goto out;
		} while (spi[0] == 0 && spi_len == 4);	/* ESP SPIs below 256 are reserved */
		p = pl_add(&l, RKMP_PLD_SA);
		if ((r = rkmp_proposal_to_sa(&a, specs, n, spi, spi_len, p)) != 0)
			goto out;
		if (sa->profile == RKMP_PROFILE_IKEV2) {
			pl_ts(&l, RKMP_PLD_TSI, &ts_any, 1);
			pl_ts(&l, RKMP_PLD_TSR, &ts_any, 1);
		}
		/* remember our SPI: the child is completed (or refused) by the answer */
		{
			struct rkmp_sa_child *ch = child_slot(sa);

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
	if ((r = emit_protected(sa, o, RKMP_EXCH_IKE_AUTH, false, sa->mid_next, &l)) != 0)
		goto out;
	sa->mid_next++;
	sa->phase = RKMP_PHASE_AUTH_SENT;
	o->save = true;
	note(o, "RKMP_SA_AUTH request: %s, AUTH %s%s", sa->id_local[0] ? sa->id_local : "(certificate)",
	    rkmp_name_or(RKMP_REG_AUTH, method), sa->childless ? ", childless" : "");
out:
	rkmp_crypto_wipe(auth, sizeof(auth));
	rkmp_arena_free(&a);
	return r;
}

/* Decode a protected message of the peer's, check the header, unprotect it (SK or SKF). */
static int
open_protected(struct rkmp_sa *sa, struct rkmp_arena *a, const uint8_t *p, size_t len,
    bool response, struct rkmp_msg *m, const struct rkmp_pld **inner, size_t *ninner)
{
	struct rkmp_pld *sk;
	int r;

	if ((r = unprotect(sa, a, p, len, true, m)) != 0)
		return r;
	if (m->spi_i != sa->spi_i || m->spi_r != sa->spi_r)
		return rkmp_err_set(RKMP_E_INVALID, "IKE header", "SPIs %016llx:%016llx are not this SA's "
		    "(%016llx:%016llx)", (unsigned long long)m->spi_i, (unsigned long long)m->spi_r,
		    (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
	if (rkmp_msg_is_response(m) != response)
		return rkmp_err_set(RKMP_E_INVALID, "IKE header", "a %s, expected a %s",
		    rkmp_msg_is_response(m) ? "response" : "request", response ? "response" : "request");
	if (rkmp_msg_is_initiator(m) == sa->initiator)
		return rkmp_err_set(RKMP_E_INVALID, "IKE header", "I flag %s on the peer's message",
		    sa->initiator ? "set" : "clear");
	if ((r = unprotect(sa, a, p, len, false, m)) != 0)
		return r;
	sk = &m->pld[m->npld - 1];
	*inner = sk->u.sk.inner;
	*ninner = sk->u.sk.ninner;
	return rkmp_msg_check_inner(m, *inner, *ninner);
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
			note(o, "repeated RKMP_SA_INIT request: answered again with the same response");
			return RKMP_IKE_AGAIN;
		}
	}
	if ((r = open_protected(sa, &a, req, len, false, &m, &inner, &ninner)) != 0)
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
		if ((r = pl_notify(&l, 24, 0, NULL, 0, NULL, 0)) != 0 ||
		    (r = emit_protected(sa, o, RKMP_EXCH_IKE_AUTH, true, m.msg_id, &l)) != 0)
			goto out;
		r = fail(sa, o, RKMP_E_REFUSED, "%s: answered AUTHENTICATION_FAILED", why);
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
	p = pl_add(&l, RKMP_PLD_AUTH);
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
		    pp->id : child_protocol(sa);

		if ((r = child_specs(sa, proto, specs, &n)) != 0)
			goto out;
		r = rkmp_proposal_select(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len);
		if (r == 0 && sa->profile == RKMP_PROFILE_IKEV2 && (tsi == NULL || tsr == NULL)) {
			snprintf(child_note, sizeof(child_note), "child refused: TS_UNACCEPTABLE (no TSi/TSr)");
			child_refused(sa, choice.protocol, "no TSi/TSr: answered TS_UNACCEPTABLE");
			if ((r = pl_notify(&l, 38, 0, NULL, 0, NULL, 0)) != 0)
				goto out;
		} else if (r == 0) {
			size_t spi_len = peer_spi_len;

			do {
				if ((r = rkmp_ike_random(sa, "child spi", spi, spi_len)) != 0)
					goto out;
			} while (spi_len == 4 && spi[0] == 0);
			struct child_seed cs = { NULL, sa->ni.p, sa->nr.p, 0, sa->ni.len, sa->nr.len };

			if ((r = child_establish(sa, &choice, spi, peer_spi, spi_len, &cs)) != 0)
				goto out;
			p = pl_add(&l, RKMP_PLD_SA);
			if ((r = rkmp_proposal_choice_to_sa(&a, &choice, sa->children[sa->nchildren - 1].spi_local,
			    spi_len, p)) != 0)
				goto out;
			if (tsi != NULL && tsr != NULL) {	/* accept the selectors as proposed */
				pl_ts(&l, RKMP_PLD_TSI, tsi->u.ts.ts, tsi->u.ts.count);
				pl_ts(&l, RKMP_PLD_TSR, tsr->u.ts.ts, tsr->u.ts.count);
			}
			rkmp_proposal_format(&choice, child_note, sizeof(child_note));
		} else if (r == RKMP_E_REFUSED) {
			snprintf(child_note, sizeof(child_note), "child refused: NO_PROPOSAL_CHOSEN");
			child_refused(sa, sa_p->u.sa.prop[0].protocol, rkmp_err_detail());
			if ((r = pl_notify(&l, 14, 0, NULL, 0, NULL, 0)) != 0)
				goto out;
		} else
			goto out;
	}
	if ((r = emit_protected(sa, o, RKMP_EXCH_IKE_AUTH, true, m.msg_id, &l)) != 0)
		goto out;
	sa->phase = RKMP_PHASE_ESTABLISHED;
	o->save = true;
	note(o, "RKMP SA established with %s; %s", sa->id_peer_seen,
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
	if ((r = open_protected(sa, &a, resp, len, true, &m, &inner, &ninner)) != 0)
		goto out;
	if (m.exchange != RKMP_EXCH_IKE_AUTH || m.msg_id != sa->mid_next - 1) {
		r = rkmp_err_set(RKMP_E_INVALID, "RKMP_SA_AUTH", "%s MID %u, expected IKE_AUTH MID %u",
		    rkmp_name_or(RKMP_REG_EXCHANGE, m.exchange), m.msg_id, sa->mid_next - 1);
		goto out;
	}
	if ((r = rkmp_sa_record(sa, false, resp, len)) != 0)
		goto out;
	/* Fatal errors kill the SA (§2.21.2); child errors only the child. */
	if ((err = find_error(inner, ninner)) != NULL &&
	    (err->u.notify.type == 24 || err->u.notify.type == 7 || err->u.notify.type == 1 ||
	    find(inner, ninner, RKMP_PLD_AUTH) == NULL)) {
		r = fail(sa, o, RKMP_E_REFUSED, "responder refused: %s",
		    rkmp_name_or(RKMP_REG_NOTIFY, err->u.notify.type));
		goto out;
	}
	if ((r = auth_check(sa, cfg, inner, ninner)) != 0) {
		if (r != RKMP_E_REFUSED)
			goto out;
		r = fail(sa, o, RKMP_E_REFUSED, "%s", rkmp_err_detail());
		goto out;
	}
	sa_p = find(inner, ninner, RKMP_PLD_SA);
	if (sa->childless && sa->profile == RKMP_PROFILE_IKEV2) {
		/* nothing asked, nothing to take */
	} else if (err != NULL) {
		snprintf(child_note, sizeof(child_note), "child SA refused by the responder: %s",
		    rkmp_name_or(RKMP_REG_NOTIFY, err->u.notify.type));
		child_refused(sa, child_protocol(sa), child_note);
		ret = RKMP_E_REFUSED;
	} else if (sa_p == NULL) {
		snprintf(child_note, sizeof(child_note), "child SA not created: the answer has no SA payload");
		child_refused(sa, child_protocol(sa), child_note);
		ret = RKMP_E_REFUSED;
	} else {
		struct rkmp_sa_child *pend = sa->nchildren > 0 ? &sa->children[sa->nchildren - 1] :
		    NULL;
		uint8_t proto = pend != NULL && pend->state == RKMP_CHILD_PROPOSED ?
		    pend->protocol : child_protocol(sa);

		if ((r = child_specs(sa, proto, specs, &n)) != 0 ||
		    (r = rkmp_proposal_accept(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len)) != 0)
			goto out;
		{
			struct rkmp_sa_child *ch = child_slot(sa);

			if (ch == NULL || peer_spi_len != ch->spi_size) {
				r = rkmp_err_set(RKMP_E_INVALID, "SA payload", "child SPI size %zu, we sent %u",
				    peer_spi_len, ch ? ch->spi_size : 0);
				goto out;
			}
			struct child_seed cs = { NULL, sa->ni.p, sa->nr.p, 0, sa->ni.len, sa->nr.len };

			if ((r = child_establish(sa, &choice, ch->spi_local, peer_spi, peer_spi_len, &cs)) != 0)
				goto out;
		}
		rkmp_proposal_format(&choice, child_note, sizeof(child_note));
	}
	sa->phase = RKMP_PHASE_ESTABLISHED;
	o->save = true;
	note(o, "RKMP SA established with %s; %s", sa->id_peer_seen, child_note);
	if (ret != 0)
		r = rkmp_err_set(ret, "", "%s (the RKMP SA is established)", child_note);
	else
		r = 0;
out:
	rkmp_arena_free(&a);
	return r;
}

/* ------------------------------------------------------------------ after RKMP_SA_AUTH */

/* Add DH group g to spec d unless it is there already (or d is full). */
static void
spec_add_group(struct rkmp_prop_spec *d, uint16_t g)
{
	for (size_t t = 0; t < d->ntrans; t++)
		if (d->trans[t].type == RKMP_TRANS_DH && d->trans[t].id == g)
			return;
	if (d->ntrans < RKMP_PROP_TRANSFORMS_MAX)
		d->trans[d->ntrans++] = (struct rkmp_prop_transform){ RKMP_TRANS_DH, g, 0 };
}

/* Add every DH group of specs[0..n) to d, in their order. */
static void
spec_add_groups(struct rkmp_prop_spec *d, const struct rkmp_prop_spec *specs, size_t n)
{
	for (size_t k = 0; k < n; k++)
		for (size_t t = 0; t < specs[k].ntrans; t++)
			if (specs[k].trans[t].type == RKMP_TRANS_DH)
				spec_add_group(d, specs[k].trans[t].id);
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
static int
child_specs_for(const struct rkmp_sa *sa, uint8_t protocol, uint16_t pfs, bool responder,
    struct rkmp_prop_spec *specs, size_t *n)
{
	struct rkmp_prop_spec ike[RKMP_PROPS_MAX];
	size_t base, nike = 0;
	int r;

	if ((r = child_specs(sa, protocol, specs, n)) != 0)
		return r;
	if (pfs == 0 && !responder)
		return 0;
	if ((r = parse_specs(sa, ike, &nike)) != 0)
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
			spec_add_group(d, pfs);
			spec_add_groups(d, &specs[i], 1);
			spec_add_groups(d, ike, nike);
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
 * calls the message helpers (emit_protected, open_protected, sk_dir) work on
 * the old SA.  Every caller swaps back on every path.
 */
static void
old_swap(struct rkmp_sa *sa)
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
static void
old_drop(struct rkmp_sa *sa)
{
	rkmp_crypto_wipe(&sa->old, sizeof(sa->old));
	memset(&sa->old, 0, sizeof(sa->old));
}

/* Whether a datagram's IKE header names the old SA. */
static bool
is_old(const struct rkmp_sa *sa, const uint8_t *p, size_t len)
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
	if ((r = parse_specs(sa, specs, &n)) != 0)
		return r;
	spec_add_groups(g, specs, n);
	if (protocol != RKMP_PROTO_IKE) {
		if ((r = child_specs_for(sa, protocol, 0, false, specs, &n)) != 0)
			return r;
		spec_add_groups(g, specs, n);
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
static int
rekey_spec(const struct rkmp_sa *sa, uint16_t group, struct rkmp_prop_spec *s)
{
	struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
	struct ike_suite rows;
	size_t n;
	int r;

	if ((r = suite_rows(sa, &rows)) != 0 || (r = parse_specs(sa, specs, &n)) != 0)
		return r;
	memset(s, 0, sizeof(*s));
	s->protocol = RKMP_PROTO_IKE;
	s->trans[s->ntrans++] = (struct rkmp_prop_transform){ RKMP_TRANS_ENCR, sa->suite.encr,
	    sa->suite.encr_bits };
	s->trans[s->ntrans++] = (struct rkmp_prop_transform){ RKMP_TRANS_PRF, sa->suite.prf, 0 };
	if (sa->suite.integ != 0)
		s->trans[s->ntrans++] = (struct rkmp_prop_transform){ RKMP_TRANS_INTEG,
		    sa->suite.integ, 0 };
	spec_add_group(s, group);
	spec_add_groups(s, specs, n);
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

	if ((r = suite_rows(sa, &olds)) != 0 || (r = suite_rows_of(&rk->suite, &news)) != 0)
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
	old_drop(sa);	/* a stale one, whose Delete never came */
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

/* ------------------------------------------------------------------ child exchanges: requests */

/*
 * Build our request for req and make it the pending one.  retries counts the
 * INVALID_KE_PAYLOAD rounds that led to it (0 for the first request).
 */
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
	p = pl_add(l, RKMP_PLD_NONCE);
	p->u.opaque.data = sa->pending.nonce.p;
	p->u.opaque.len = sa->pending.nonce.len;
	if (group == 0)
		return 0;
	sa->pending.dh_group = group;
	if ((r = dh_key(sa, group, true, dh)) != 0)
		return r;
	p = pl_add(l, RKMP_PLD_KE);
	p->u.ke.group = group;
	p->u.ke.data = rkmp_crypto_dh_public(*dh, &klen);
	p->u.ke.len = klen;
	return 0;
}

static int
child_build(struct rkmp_sa *sa, const struct rkmp_child_req *req, uint8_t retries,
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
		proto = old ? old->protocol : req->protocol ? req->protocol : child_protocol(sa);
		if ((sa->profile == RKMP_PROFILE_IKEV2) != (proto == RKMP_PROTO_ESP))
			return rkmp_err_set(RKMP_E_USAGE, "--protocol", "the %s profile negotiates %s "
			    "children", rkmp_profile_name(sa->profile), sa->profile ==
			    RKMP_PROFILE_IKEV2 ? "ESP" : rkmp_protocol_names(false, true));
		if ((r = child_specs_for(sa, proto, req->pfs_group, false, specs, &n)) != 0)
			return r;
		spi_len = child_spi_len(proto);
		if ((r = child_new_spi(sa, proto, spi_len, spi)) != 0)
			return r;
		if (old != NULL && (r = pl_notify(&l, RKMP_N_REKEY_SA, proto, old->spi_local,
		    old->spi_size, NULL, 0)) != 0)
			goto out;
		p = pl_add(&l, RKMP_PLD_SA);
		if ((r = rkmp_proposal_to_sa(&a, specs, n, spi, spi_len, p)) != 0)
			goto out;
		if ((r = nonce_ke(sa, &l, "child", req->pfs_group, &dh)) != 0)
			goto out;
		if (sa->profile == RKMP_PROFILE_IKEV2) {
			pl_ts(&l, RKMP_PLD_TSI, &ts_any, 1);
			pl_ts(&l, RKMP_PLD_TSR, &ts_any, 1);
		}
		sa->pending.protocol = proto;
		sa->pending.spi_size = (uint8_t)spi_len;
		memcpy(sa->pending.spi_local, spi, spi_len);
		if ((ch = child_slot(sa)) == NULL) {
			r = rkmp_err_set(RKMP_E_STATE, "children", "%d children already", RKMP_SA_CHILD_MAX);
			goto out;
		}
		ch->protocol = proto;
		ch->spi_size = (uint8_t)spi_len;
		memcpy(ch->spi_local, spi, spi_len);
		ch->state = RKMP_CHILD_PROPOSED;
		note(o, "%s request: %s SPI %02x%s%s", old ? "rekey" : "new child",
		    rkmp_name_or(RKMP_REG_PROTOCOL, proto), spi[0], spi_len > 1 ? "..." : "",
		    req->pfs_group ? " with PFS" : "");
		break;
	case RKMP_CHILD_REKEY_IKE: {
		/* SK{SA(IKE, our new SPI), Ni, KEi}: KE is mandatory (§1.3.2) */
		uint16_t g = req->pfs_group ? req->pfs_group : sa->suite.dh;
		struct rkmp_prop_spec spec;

		if ((r = rekey_spec(sa, g, &spec)) != 0)
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
		p = pl_add(&l, RKMP_PLD_SA);
		if ((r = rkmp_proposal_to_sa(&a, &spec, 1, ike_spi, sizeof(ike_spi), p)) != 0)
			goto out;
		if ((r = nonce_ke(sa, &l, "rekey", g, &dh)) != 0)
			goto out;
		note(o, "RKMP SA rekey request: our new SPI %016llx, KE %s",
		    (unsigned long long)sa->pending.ike_spi, rkmp_name_or(RKMP_REG_DH, g));
		break;
	}
	case RKMP_CHILD_DELETE:
		exch = RKMP_EXCH_INFORMATIONAL;
		p = pl_add(&l, RKMP_PLD_DELETE);
		p->u.del.protocol = old->protocol;
		p->u.del.spi_size = old->spi_size;
		p->u.del.nspi = 1;
		p->u.del.spis = old->spi_local;
		note(o, "delete request: %s child", rkmp_name_or(RKMP_REG_PROTOCOL, old->protocol));
		break;
	case RKMP_CHILD_DELETE_IKE:
		exch = RKMP_EXCH_INFORMATIONAL;
		p = pl_add(&l, RKMP_PLD_DELETE);
		p->u.del.protocol = RKMP_PROTO_IKE;
		note(o, "delete request: the RKMP SA (its children live on)");
		break;
	case RKMP_CHILD_LIVENESS:
		exch = RKMP_EXCH_INFORMATIONAL;
		note(o, "liveness check (empty INFORMATIONAL)");
		break;
	default:
		return rkmp_err_set(RKMP_E_INTERNAL, "child", "operation %d", req->op);
	}
	sa->pending.op = (uint8_t)req->op;
	sa->pending.msg_id = sa->mid_next;
	if ((r = emit_protected(sa, o, exch, false, sa->mid_next, &l)) != 0)
		goto out;
	sa->mid_next++;
	o->save = true;
out:
	dh_put(sa, dh);
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
	return child_build(sa, req, 0, o);
}

/* KE of a child exchange (PFS): g^ir with our pending or fresh key pair. */
static int
child_gir(struct rkmp_sa *sa, const struct rkmp_pld *ke, bool fresh, uint8_t *gir, size_t *gir_len,
    struct rkmp_dh **dh)
{
	const struct rkmp_dh_group *g = rkmp_crypto_dh_lookup(ke->u.ke.group);
	int r;

	if (g == NULL)
		return RKMP_E_CRYPTO;
	if ((r = dh_key(sa, ke->u.ke.group, fresh, dh)) != 0 ||
	    (r = rkmp_crypto_dh_shared(*dh, ke->u.ke.data, ke->u.ke.len, gir)) != 0)
		return r;
	*gir_len = g->secret_len;
	return 0;
}

/* ------------------------------------------------------------------ child exchanges: answers */

/* Answer a repeated request from the transcript (§2.1): the peer missed our answer. */
static int
resend_answer(struct rkmp_sa *sa, const uint8_t *req, size_t len, struct rkmp_ike_out *o)
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
	note(o, "repeated request (MID %u): answered again with the same response", q->msg_id);
	return RKMP_IKE_AGAIN;
}

/*
 * The Delete payloads of an INFORMATIONAL request: the children named are
 * marked deleted and echoed in our answer (l, their SPIs copied to delspis),
 * *ike set when the RKMP SA itself is deleted.  Returns the children deleted.
 */
static size_t
info_deletes(struct rkmp_sa *sa, const struct rkmp_pld *inner, size_t ninner, struct pl_list *l,
    uint8_t (*delspis)[RKMP_SA_SPI_MAX], bool *ike)
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

			if (c == NULL || (p = pl_add(l, RKMP_PLD_DELETE)) == NULL)
				continue;
			c->state = RKMP_CHILD_DELETED;
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
 * A request on the old SA of a rekey we answered: its Delete (then the old
 * SA is gone), a liveness check, or a repeat of the rekey request.  Anything
 * else gets TEMPORARY_FAILURE: the old SA is only there to be deleted.
 */
static int
old_respond(struct rkmp_sa *sa, const uint8_t *req, size_t len, struct rkmp_ike_out *o)
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

	old_swap(sa);
	if (rkmp_get32(req + 20) + 1 == sa->mid_peer && (r = resend_answer(sa, req, len, o)) != 0)
		goto out;
	if ((r = open_protected(sa, &a, req, len, false, &m, &inner, &ninner)) != 0)
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
		ndel = info_deletes(sa, inner, ninner, &l, delspis, &ike);
	else if ((r = pl_notify(&l, 43, 0, NULL, 0, NULL, 0)) != 0)	/* TEMPORARY_FAILURE */
		goto out;
	r = emit_protected(sa, o, m.exchange, true, m.msg_id, &l);
out:
	old_swap(sa);
	rkmp_arena_free(&a);
	if (r != 0)
		return r;
	if (ike) {
		old_drop(sa);
		note(o, "the peer deleted the old RKMP SA %016llx:%016llx%s; the RKMP SA goes on as "
		    "%016llx:%016llx", (unsigned long long)oi, (unsigned long long)or_,
		    ndel ? " (and child SAs)" : "", (unsigned long long)sa->spi_i,
		    (unsigned long long)sa->spi_r);
		return 0;
	}
	if (!info)
		note(o, "%s on the old RKMP SA %016llx:%016llx: answered TEMPORARY_FAILURE (it was "
		    "rekeyed); waiting for its Delete", rkmp_name_or(RKMP_REG_EXCHANGE, m.exchange),
		    (unsigned long long)oi, (unsigned long long)or_);
	else
		note(o, "%s on the old RKMP SA %016llx:%016llx answered; waiting for its Delete",
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
static int
rekey_respond(struct rkmp_sa *sa, const struct rkmp_msg *m, const struct rkmp_pld *inner,
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
		if ((r = pl_notify(&l, 43, 0, NULL, 0, NULL, 0)) != 0 ||	/* TEMPORARY_FAILURE */
		    (r = emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m->msg_id, &l)) != 0)
			goto out;
		snprintf(why, sizeof(why), "RKMP SA rekey refused with TEMPORARY_FAILURE: our request "
		    "MID %u is still unanswered", sa->pending.msg_id);
		note(o, "%s", why);
		r = rkmp_err_set(RKMP_E_REFUSED, "", "%s", why);
		goto out;
	}
	if ((r = parse_specs(sa, specs, &n)) != 0)
		goto out;
	r = rkmp_proposal_select(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len);
	if (r == RKMP_E_REFUSED) {
		snprintf(why, sizeof(why), "%s", rkmp_err_detail());
		if ((r = pl_notify(&l, 14, 0, NULL, 0, NULL, 0)) != 0 ||	/* NO_PROPOSAL_CHOSEN */
		    (r = emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m->msg_id, &l)) != 0)
			goto out;
		note(o, "RKMP SA rekey refused: NO_PROPOSAL_CHOSEN");
		r = rkmp_err_set(RKMP_E_REFUSED, "", "RKMP SA rekey refused: NO_PROPOSAL_CHOSEN (%s)", why);
		goto out;
	}
	if (r != 0 || (r = suite_of_choice(&choice, &rk.suite)) != 0)
		goto out;
	/* KE mandatory, and of the chosen group (§1.3.2, §3.4) */
	if (ke_p == NULL || ke_p->u.ke.group != rk.suite.dh) {
		grp[0] = (uint8_t)(rk.suite.dh >> 8);
		grp[1] = (uint8_t)rk.suite.dh;
		if ((r = pl_notify(&l, RKMP_N_INVALID_KE_PAYLOAD, 0, NULL, 0, grp, 2)) != 0 ||
		    (r = emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m->msg_id, &l)) != 0)
			goto out;
		note(o, "RKMP SA rekey: KE %s%s, chosen group %s: answered INVALID_KE_PAYLOAD",
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
	if ((r = child_gir(sa, ke_p, true, gir, &gir_len, &dh)) != 0)
		goto out;
	rk.ni = ni_p->u.opaque.data;
	rk.ni_len = ni_p->u.opaque.len;
	rk.nr = nr;
	rk.nr_len = sizeof(nr);
	if ((r = rekey_derive(sa, gir, gir_len, &rk)) != 0)
		goto out;
	p = pl_add(&l, RKMP_PLD_SA);
	if ((r = rkmp_proposal_choice_to_sa(a, &choice, spi, sizeof(spi), p)) != 0)
		goto out;
	p = pl_add(&l, RKMP_PLD_NONCE);
	p->u.opaque.data = nr;
	p->u.opaque.len = sizeof(nr);
	p = pl_add(&l, RKMP_PLD_KE);
	p->u.ke.group = rk.suite.dh;
	p->u.ke.data = rkmp_crypto_dh_public(dh, &klen);
	p->u.ke.len = klen;
	if ((r = emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m->msg_id, &l)) != 0)
		goto out;
	rekey_commit(sa, &rk, false);
	rkmp_proposal_format(&choice, prop, sizeof(prop));
	note(o, "RKMP SA rekeyed by the peer: new SPIs %016llx:%016llx, suite %s; waiting for its "
	    "Delete of the old one", (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r, prop);
	r = RKMP_IKE_AGAIN;
out:
	rekey_wipe(&rk);
	rkmp_crypto_wipe(gir, sizeof(gir));
	dh_put(sa, dh);
	return r;
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
	if ((r = pl_notify(&l, RKMP_N_INVALID_SYNTAX, 0, NULL, 0, NULL, 0)) != 0 ||
	    (r = emit_protected(sa, o, m->exchange, true, m->msg_id, &l)) != 0)
		return r;
	return fail(sa, o, RKMP_E_REFUSED, "answered INVALID_SYNTAX to an authentic but malformed "
	    "%s request (%.300s): the RKMP SA failed", rkmp_name_or(RKMP_REG_EXCHANGE, m->exchange), why);
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
	if (sa->phase == RKMP_PHASE_ESTABLISHED && is_old(sa, req, len))
		return old_respond(sa, req, len, o);
	/* a repeat of the last request is answered again, even after a delete of the SA */
	if (len >= RKMP_HDR_LEN && rkmp_get32(req + 20) + 1 == sa->mid_peer &&
	    (sa->phase == RKMP_PHASE_ESTABLISHED || sa->phase == RKMP_PHASE_DELETED) &&
	    (r = resend_answer(sa, req, len, o)) != 0)
		return r;
	if (sa->phase != RKMP_PHASE_ESTABLISHED)
		return rkmp_err_set(RKMP_E_STATE, "phase", "%s, not established", rkmp_phase_name(sa->phase));
	if ((r = open_protected(sa, &a, req, len, false, &m, &inner, &ninner)) != 0) {
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
		ndel = info_deletes(sa, inner, ninner, &l, delspis, &ike);
		if (ike) {
			sa->phase = RKMP_PHASE_DELETED;
			snprintf(what, sizeof(what), "the peer deleted the RKMP SA (children live on)");
		} else
			snprintf(what, sizeof(what), ndel ? "deleted %zu child SA%s" : "liveness check answered",
			    ndel, ndel == 1 ? "" : "s");
		if ((r = emit_protected(sa, o, RKMP_EXCH_INFORMATIONAL, true, m.msg_id, &l)) != 0)
			goto out;
		note(o, "%s", what);
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
		r = rekey_respond(sa, &m, inner, ninner, &a, o);
		goto out;
	}
	/* §2.25.2: no child exchange while we rekey the RKMP SA itself */
	if (sa->pending.op == RKMP_CHILD_REKEY_IKE) {
		if ((r = pl_notify(&l, 43, 0, NULL, 0, NULL, 0)) != 0 ||	/* TEMPORARY_FAILURE */
		    (r = emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m.msg_id, &l)) != 0)
			goto out;
		note(o, "child request refused with TEMPORARY_FAILURE: we are rekeying the RKMP SA");
		r = rkmp_err_set(RKMP_E_REFUSED, "", "child request refused with TEMPORARY_FAILURE: our "
		    "rekey of the RKMP SA (MID %u) is still unanswered", sa->pending.msg_id);
		goto out;
	}
	if (rk != NULL && (old = child_find(sa, rk->u.notify.protocol, rk->u.notify.spi,
	    rk->u.notify.spi_size, false)) == NULL) {
		if ((r = pl_notify(&l, 44, rk->u.notify.protocol, rk->u.notify.spi, rk->u.notify.spi_size,
		    NULL, 0)) != 0 ||	/* CHILD_SA_NOT_FOUND */
		    (r = emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m.msg_id, &l)) != 0)
			goto out;
		r = rkmp_err_set(RKMP_E_REFUSED, "", "rekey of an unknown child: answered CHILD_SA_NOT_FOUND");
		goto out;
	}
	if ((r = child_specs_for(sa, sa_p->u.sa.prop[0].protocol, 0, true, specs, &n)) != 0)
		goto out;
	r = rkmp_proposal_select(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len);
	if (r == 0 && ((ke_p != NULL) != (rkmp_proposal_get(&choice, RKMP_TRANS_DH, NULL) > 0) ||
	    (ke_p != NULL && ke_p->u.ke.group != rkmp_proposal_get(&choice, RKMP_TRANS_DH, NULL)))) {
		uint8_t grp[2];
		int g = rkmp_proposal_get(&choice, RKMP_TRANS_DH, NULL);

		grp[0] = (uint8_t)(g >> 8);
		grp[1] = (uint8_t)g;
		if ((r = pl_notify(&l, RKMP_N_INVALID_KE_PAYLOAD, 0, NULL, 0, grp, 2)) != 0 ||
		    (r = emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m.msg_id, &l)) != 0)
			goto out;
		/* the peer retries with the group asked for: a responder keeps listening */
		note(o, "child KE is not of the chosen group: answered INVALID_KE_PAYLOAD (%s)",
		    rkmp_name_or(RKMP_REG_DH, (unsigned)g));
		r = RKMP_IKE_AGAIN;
		goto out;
	}
	if (r == RKMP_E_REFUSED) {
		char why[300];

		snprintf(why, sizeof(why), "%s", rkmp_err_detail());
		if ((r = pl_notify(&l, 14, 0, NULL, 0, NULL, 0)) != 0 ||
		    (r = emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m.msg_id, &l)) != 0)
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
	if (ke_p != NULL && (r = child_gir(sa, ke_p, true, gir, &gir_len, &dh)) != 0)
		goto out;
	{
		struct child_seed cs = { ke_p ? gir : NULL, ni_p->u.opaque.data, nr, gir_len,
		    ni_p->u.opaque.len, sizeof(nr) };

		if ((r = child_establish(sa, &choice, spi, peer_spi, peer_spi_len, &cs)) != 0)
			goto out;
	}
	if (old != NULL)
		old->state = RKMP_CHILD_REKEYED;
	p = pl_add(&l, RKMP_PLD_SA);
	if ((r = rkmp_proposal_choice_to_sa(&a, &choice, spi, peer_spi_len, p)) != 0)
		goto out;
	p = pl_add(&l, RKMP_PLD_NONCE);
	p->u.opaque.data = nr;
	p->u.opaque.len = sizeof(nr);
	if (ke_p != NULL) {
		p = pl_add(&l, RKMP_PLD_KE);
		p->u.ke.group = ke_p->u.ke.group;
		p->u.ke.data = rkmp_crypto_dh_public(dh, &klen);
		p->u.ke.len = klen;
	}
	if (tsi != NULL && tsr != NULL) {
		pl_ts(&l, RKMP_PLD_TSI, tsi->u.ts.ts, tsi->u.ts.count);
		pl_ts(&l, RKMP_PLD_TSR, tsr->u.ts.ts, tsr->u.ts.count);
	}
	if ((r = emit_protected(sa, o, RKMP_EXCH_CREATE_CHILD, true, m.msg_id, &l)) != 0)
		goto out;
	rkmp_proposal_format(&choice, what, sizeof(what));
	note(o, "%s %s child SA: %s%s", old ? "rekeyed" : "new", rkmp_name_or(RKMP_REG_PROTOCOL,
	    choice.protocol), what, ke_p ? " (PFS)" : "");
out:
	rkmp_crypto_wipe(gir, sizeof(gir));
	dh_put(sa, dh);
	rkmp_arena_free(&a);
	return r;
}

/* ------------------------------------------------------------------ child exchanges: answers to ours */

/*
 * INVALID_KE_PAYLOAD in answer to our CREATE_CHILD_SA request (§1.3, §2.21.1):
 * the same request again (same operation and target, new nonce and KE) with
 * the group asked for, if it is one we accept and not the one we sent, at most
 * CHILD_KE_RETRIES_MAX times; else the request is refused.
 */
static int
ke_retry(struct rkmp_sa *sa, const struct rkmp_pld *err, struct rkmp_ike_out *o)
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
			child_refused(sa, sa->pending.protocol, what);
		memset(&sa->pending, 0, sizeof(sa->pending));
		rkmp_crypto_wipe(sa->sec.dh_private, sizeof(sa->sec.dh_private));
		sa->sec.dh_private_len = 0;
		note(o, "%s", what);
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
	if ((r = child_build(sa, &q, (uint8_t)(retries + 1), o)) != 0)
		return r;
	note(o, "the peer asked for KE group %s: %s request repeated with it (MID %u)",
	    rkmp_name_or(RKMP_REG_DH, g), ike ? "RKMP SA rekey" : "child", sa->pending.msg_id);
	return RKMP_IKE_AGAIN;
}

/*
 * The answer to our rekey of the RKMP SA: SK{SA(the peer's new SPI), Nr, KEr}.
 * The new SA replaces the current one, and the Delete of the old SA goes out
 * on it (§2.18: the rekey's requester deletes the old SA): RKMP_IKE_AGAIN
 * with that request in o->msg.
 */
static int
rekey_process(struct rkmp_sa *sa, const struct rkmp_pld *inner, size_t ninner,
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
		note(o, "%s (the RKMP SA goes on)", what);
		return rkmp_err_set(RKMP_E_REFUSED, "", "%s", what);
	}
	sa_p = find(inner, ninner, RKMP_PLD_SA);
	nr_p = find(inner, ninner, RKMP_PLD_NONCE);
	ke_p = find(inner, ninner, RKMP_PLD_KE);
	if (sa_p == NULL || nr_p == NULL || ke_p == NULL)
		return rkmp_err_set(RKMP_E_INVALID, "CREATE_CHILD_SA response", "%s missing (an RKMP SA "
		    "rekey needs SA, Nonce and KE)", sa_p == NULL ? "SA" : nr_p == NULL ? "Nonce" : "KE");
	if ((r = rekey_spec(sa, sa->pending.dh_group, &spec)) != 0 ||
	    (r = rkmp_proposal_accept(sa_p, &spec, 1, &choice, &peer_spi, &peer_spi_len)) != 0 ||
	    (r = suite_of_choice(&choice, &rk.suite)) != 0)
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
	if ((r = child_gir(sa, ke_p, false, gir, &gir_len, &dh)) != 0)
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
	old_swap(sa);
	mid = sa->mid_next;
	if ((p = pl_add(&l, RKMP_PLD_DELETE)) != NULL)
		p->u.del.protocol = RKMP_PROTO_IKE;
	if ((r = emit_protected(sa, o, RKMP_EXCH_INFORMATIONAL, false, mid, &l)) == 0)
		sa->mid_next++;
	old_swap(sa);
	if (r != 0)
		goto out;
	memset(&sa->pending, 0, sizeof(sa->pending));
	sa->pending.op = RKMP_CHILD_DELETE_OLD_IKE;
	sa->pending.msg_id = mid;
	note(o, "RKMP SA rekeyed: new SPIs %016llx:%016llx; deleting the old one (%016llx:%016llx)",
	    (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r, (unsigned long long)oi,
	    (unsigned long long)or_);
	r = RKMP_IKE_AGAIN;
out:
	rekey_wipe(&rk);
	rkmp_crypto_wipe(gir, sizeof(gir));
	dh_put(sa, dh);
	return r;
}

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
		old_swap(sa);
	r = open_protected(sa, &a, resp, len, true, &m, &inner, &ninner);
	if (on_old)
		old_swap(sa);
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
	err = find_error(inner, ninner);
	/* fatal for the RKMP SA whatever was asked (RFC 7296 §2.21.2, §2.21.3) */
	if (err != NULL && (err->u.notify.type == RKMP_N_INVALID_SYNTAX ||
	    err->u.notify.type == RKMP_N_AUTHENTICATION_FAILED ||
	    err->u.notify.type == RKMP_N_UNSUPPORTED_CRITICAL_PAYLOAD)) {
		memset(&sa->pending, 0, sizeof(sa->pending));
		r = fail(sa, o, RKMP_E_REFUSED, "the peer answered %s: the RKMP SA failed",
		    rkmp_name_or(RKMP_REG_NOTIFY, err->u.notify.type));
		goto out;
	}
	if (err != NULL && err->u.notify.type == RKMP_N_INVALID_KE_PAYLOAD &&
	    (sa->pending.op == RKMP_CHILD_CREATE || sa->pending.op == RKMP_CHILD_REKEY ||
	    sa->pending.op == RKMP_CHILD_REKEY_IKE)) {
		r = ke_retry(sa, err, o);
		goto out;
	}
	switch (sa->pending.op) {
	case RKMP_CHILD_CREATE:
	case RKMP_CHILD_REKEY:
		if (err != NULL) {
			snprintf(what, sizeof(what), "child SA refused by the peer: %s",
			    rkmp_name_or(RKMP_REG_NOTIFY, err->u.notify.type));
			child_refused(sa, sa->pending.protocol, what);
			memset(&sa->pending, 0, sizeof(sa->pending));
			note(o, "%s", what);
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
		if ((r = child_specs_for(sa, sa->pending.protocol, sa->pending.dh_group, false, specs,
		    &n)) != 0 ||
		    (r = rkmp_proposal_accept(sa_p, specs, n, &choice, &peer_spi, &peer_spi_len)) != 0)
			goto out;
		if ((sa->pending.dh_group != 0) != (ke_p != NULL) ||
		    (ke_p != NULL && (ke_p->u.ke.group != sa->pending.dh_group ||
		    rkmp_proposal_get(&choice, RKMP_TRANS_DH, NULL) != sa->pending.dh_group))) {
			r = rkmp_err_set(RKMP_E_INVALID, "KE payload", "PFS group %u asked, answer has %s",
			    sa->pending.dh_group, ke_p ? "another group" : "no KE");
			goto out;
		}
		if (ke_p != NULL && (r = child_gir(sa, ke_p, false, gir, &gir_len, &dh)) != 0)
			goto out;
		if ((ch = child_slot(sa)) == NULL || peer_spi_len != ch->spi_size) {
			r = rkmp_err_set(RKMP_E_INVALID, "SA payload", "child SPI size %zu, we sent %u",
			    peer_spi_len, ch ? ch->spi_size : 0);
			goto out;
		}
		{
			struct child_seed cs = { ke_p ? gir : NULL, sa->pending.nonce.p, nr_p->u.opaque.data,
			    gir_len, sa->pending.nonce.len, nr_p->u.opaque.len };

			if ((r = child_establish(sa, &choice, ch->spi_local, peer_spi, peer_spi_len, &cs)) != 0)
				goto out;
		}
		if (sa->pending.op == RKMP_CHILD_REKEY) {
			struct rkmp_sa_child *old = child_find(sa, sa->pending.protocol, sa->pending.target,
			    sa->pending.spi_size, true);

			if (old != NULL)
				old->state = RKMP_CHILD_REKEYED;
		}
		rkmp_proposal_format(&choice, what, sizeof(what));
		note(o, "%s %s child SA: %s%s", sa->pending.op == RKMP_CHILD_REKEY ? "rekeyed" : "new",
		    rkmp_name_or(RKMP_REG_PROTOCOL, choice.protocol), what, ke_p ? " (PFS)" : "");
		break;
	case RKMP_CHILD_REKEY_IKE:
		r = rekey_process(sa, inner, ninner, err, o);
		goto out;
	case RKMP_CHILD_DELETE_OLD_IKE:
		note(o, "the old RKMP SA %016llx:%016llx is deleted; the RKMP SA goes on as %016llx:%016llx",
		    (unsigned long long)sa->old.spi_i, (unsigned long long)sa->old.spi_r,
		    (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
		old_drop(sa);
		break;
	case RKMP_CHILD_DELETE: {
		struct rkmp_sa_child *c = child_find(sa, sa->pending.protocol, sa->pending.target,
		    sa->pending.spi_size, true);

		if (c != NULL)
			c->state = RKMP_CHILD_DELETED;
		note(o, "child SA deleted");
		break;
	}
	case RKMP_CHILD_DELETE_IKE:
		sa->phase = RKMP_PHASE_DELETED;
		note(o, "RKMP SA deleted (its children live on until their lifetimes end)");
		break;
	default:
		note(o, "the peer is alive");
		break;
	}
	memset(&sa->pending, 0, sizeof(sa->pending));
out:
	rkmp_crypto_wipe(gir, sizeof(gir));
	dh_put(sa, dh);
	rkmp_arena_free(&a);
	return r;
}

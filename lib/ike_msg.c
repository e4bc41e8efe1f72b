/* SPDX-License-Identifier: MIT */
/*
 * ike_msg.c — the engine's messages and keys: payload lists and their
 * builders, our messages encoded in the clear (RKMP_SA_INIT) or protected
 * with SK or RFC 7383 fragments, the peer's checked and unprotected; the
 * RKMP SA's keys (SKEYSEED and SK_*, RFC 7296 §2.14) and DH key pairs;
 * randomness (seeded for tests); and the transport's questions (our answer?
 * a fragment of the peer's? the request that waits).  Encoding is msg.c's,
 * protection sk.c's, the crypto crypto.c's; the exchanges are ike_init.c,
 * ike_auth.c, ike_child.c and ike_rekey.c.
 */
#include <stdarg.h>
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
#include "sk.h"

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

void
rkmp_ike_note(struct rkmp_ike_out *o, const char *fmt, ...)
{
	va_list ap;

	if (!rkmp_ike_noting(o))
		return;
	va_start(ap, fmt);
	vsnprintf(o->note, sizeof(o->note), fmt, ap);
	va_end(ap);
}

/*
 * Randomness.  With a seed (testing only) every value is
 * prf+(HMAC-SHA2-256, seed, label | role), so a whole negotiation is
 * byte-for-byte reproducible; labels name the purpose and the message.
 * Without, the values come in order from the SA's pool of CSPRNG octets,
 * filled by one RAND_bytes call at a time: each call pays the DRBG's locks
 * and its fork and reseed checks (a getpid system call), which made up 7 %
 * of a negotiation when each SPI and nonce had its own.  Octets served are
 * wiped from the pool, and what is left of it goes with the SA.
 */
int
rkmp_ike_random(struct rkmp_sa *sa, const char *label, uint8_t *out, size_t n)
{
	const struct rkmp_prf_alg *prf;
	char lab[96];
	int r;

	if (!sa->seeded) {
		if (n > sizeof(sa->random.p))
			return rkmp_crypto_random(out, n);
		if (sa->random.len - sa->random.off < n) {
			sa->random.off = sa->random.len = 0;
			if ((r = rkmp_crypto_random(sa->random.p, sizeof(sa->random.p))) != 0) {
				rkmp_crypto_wipe(sa->random.p, sizeof(sa->random.p));
				return r;
			}
			sa->random.len = sizeof(sa->random.p);
		}
		memcpy(out, sa->random.p + sa->random.off, n);
		rkmp_crypto_wipe(sa->random.p + sa->random.off, n);
		sa->random.off += n;
		return 0;
	}
	if ((prf = rkmp_crypto_prf_lookup(5)) == NULL)
		return RKMP_E_CRYPTO;
	snprintf(lab, sizeof(lab), "rkmp seed %s %s", label, sa->initiator ? "i" : "r");
	return rkmp_crypto_prf_plus(prf, sa->seed.p, sa->seed.len, (const uint8_t *)lab,
	    strlen(lab), out, n);
}

/* ------------------------------------------------------------------ the suite and keys */

int
rkmp_ike_suite_rows_of(const struct rkmp_sa_suite *suite, struct ike_suite *s)
{
	memset(s, 0, sizeof(*s));
	if ((s->encr = rkmp_crypto_encr_lookup(suite->encr, suite->encr_bits)) == NULL ||
	    (s->prf = rkmp_crypto_prf_lookup(suite->prf)) == NULL ||
	    (suite->integ != 0 && (s->integ = rkmp_crypto_integ_lookup(suite->integ)) == NULL) ||
	    (s->dh = rkmp_crypto_dh_lookup(suite->dh)) == NULL)
		return RKMP_E_CRYPTO;
	return 0;
}

int
rkmp_ike_suite_rows(const struct rkmp_sa *sa, struct ike_suite *s)
{
	return rkmp_ike_suite_rows_of(&sa->suite, s);
}

/* From a choice (proposal.c) into a suite, checked against the crypto tables. */
int
rkmp_ike_suite_of_choice(const struct rkmp_prop_choice *c, struct rkmp_sa_suite *out)
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
	return rkmp_ike_suite_rows_of(out, &s);
}

/* SKEYSEED and SK_* from g^ir (§2.14), into the state's secrets. */
int
rkmp_ike_derive_keys(struct rkmp_sa *sa, const uint8_t *gir, size_t gir_len)
{
	struct ike_suite s;
	struct rkmp_ike_keys k;
	uint8_t spii[8], spir[8];
	int r;

	if ((r = rkmp_ike_suite_rows(sa, &s)) != 0)
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

	if ((r = rkmp_ike_suite_rows(sa, &s)) != 0)
		return r;
	d->encr = s.encr;
	d->integ = s.integ;
	d->ke = from_initiator ? sa->sec.sk_ei : sa->sec.sk_er;
	d->ka = from_initiator ? sa->sec.sk_ai : sa->sec.sk_ar;
	return 0;
}

/* Our DH key pair: from the state's private value, or a new one (seeded or random). */
int
rkmp_ike_dh_key(struct rkmp_sa *sa, uint16_t group, bool fresh, struct rkmp_dh **dh)
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

/* Free a key pair from rkmp_ike_dh_key(): the cached one stays with the SA. */
void
rkmp_ike_dh_put(struct rkmp_sa *sa, struct rkmp_dh *dh)
{
	if (dh != sa->dh_cache)
		rkmp_crypto_dh_free(dh);
}

/* ------------------------------------------------------------------ payload builders */

struct rkmp_pld *
rkmp_ike_pl_add(struct pl_list *l, uint8_t type)
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

int
rkmp_ike_pl_notify(struct pl_list *l, uint16_t type, uint8_t proto, const uint8_t *spi,
    uint8_t spi_size, const uint8_t *data, size_t len)
{
	struct rkmp_pld *p = rkmp_ike_pl_add(l, RKMP_PLD_NOTIFY);

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

/* TSi/TSr of the ikev2 profile: everything of one address family; the peer narrows. */
static const uint8_t ts_any4[] = { 0, 0, 0, 0 }, ts_all4[] = { 255, 255, 255, 255 };
struct rkmp_ts rkmp_ike_ts_any = {
	.type = RKMP_TS_IPV4_ADDR_RANGE, .ip_proto = 0, .start_port = 0, .end_port = 65535,
	.start_addr = ts_any4, .end_addr = ts_all4, .addr_len = 4, .len = 16,
};

void
rkmp_ike_pl_ts(struct pl_list *l, uint8_t type, struct rkmp_ts *ts, uint8_t count)
{
	struct rkmp_pld *p = rkmp_ike_pl_add(l, type);

	p->u.ts.count = count;
	p->u.ts.ts = ts;
}

/* ------------------------------------------------------------------ message helpers */

/* The first error notify of a payload list (types below 16384), or NULL. */
const struct rkmp_pld *
rkmp_ike_find_error(const struct rkmp_pld *pld, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pld[i].type == RKMP_PLD_NOTIFY && pld[i].known &&
		    pld[i].u.notify.type <= RKMP_N_ERROR_MAX)
			return &pld[i];
	return NULL;
}

/* Record the SA's outcome (phase failed, reason; a child we proposed refused) and
 * return code with the reason as detail. */
int
rkmp_ike_fail(struct rkmp_sa *sa, struct rkmp_ike_out *o, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sa->reason, sizeof(sa->reason), fmt, ap);
	va_end(ap);
	sa->phase = RKMP_PHASE_FAILED;
	/* a child we had proposed will never come to be */
	for (size_t i = 0; i < sa->nchildren; i++)
		if (sa->children[i].state == RKMP_CHILD_PROPOSED) {
			sa->children[i].state = RKMP_CHILD_REFUSED;
			snprintf(sa->children[i].reason, sizeof(sa->children[i].reason),
			    "its RKMP SA failed: %.400s", sa->reason);
		}
	o->save = true;
	snprintf(o->note, sizeof(o->note), "%s", sa->reason);
	return rkmp_err_set(code, "", "%s", sa->reason);
}

/* Encode an unprotected message (IKE_SA_INIT) into o->msg and record it. */
int
rkmp_ike_emit_clear(struct rkmp_sa *sa, struct rkmp_ike_out *o, uint64_t spi_i, uint64_t spi_r,
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
	if (out->len > RKMP_MSG_MAX)	/* the transcript keeps them as one message */
		r = rkmp_err_set(RKMP_E_USAGE, "--fragment-size", "%zu fragments of %zu octets make "
		    "%zu octets, more than %d", total, sa->frag_max, out->len, RKMP_MSG_MAX);
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
int
rkmp_ike_emit_protected(struct rkmp_sa *sa, struct rkmp_ike_out *o, uint8_t exchange, bool response,
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

/* What unprotect() does: all of it, or in two parts with checks between. */
enum unprotect_part {
	UP_ALL,
	UP_HEADER,	/* decode the first message only (its header is checked before any crypto) */
	UP_REST,	/* the rest, on the m UP_HEADER decoded (an SK message is not decoded again) */
};

/*
 * The peer's protected message, decoded into m with its inner chain: one
 * message with SK, or (RFC 7383, when agreed) all the Encrypted Fragments of
 * one message one after another, in order, as the transport collects them
 * (rkmp_frags); each is verified on its own and m is the last.
 */
static int
unprotect(struct rkmp_sa *sa, struct rkmp_arena *a, const uint8_t *p, size_t len,
    enum unprotect_part part, struct rkmp_msg *m)
{
	struct rkmp_skf_reasm *rs;
	struct rkmp_sk_dir d;
	size_t off = 0, mlen;
	int r = 0, k;
	bool first = part == UP_HEADER;

	if (len < RKMP_HDR_LEN || p[16] != RKMP_PLD_SKF) {
		if ((part != UP_REST && (r = decode_msg(a, p, len, m)) != 0) || first)
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

/* Decode a protected message of the peer's, check the header, unprotect it (SK or SKF). */
int
rkmp_ike_open_protected(struct rkmp_sa *sa, struct rkmp_arena *a, const uint8_t *p, size_t len,
    bool response, struct rkmp_msg *m, const struct rkmp_pld **inner, size_t *ninner)
{
	struct rkmp_pld *sk;
	int r;

	if ((r = unprotect(sa, a, p, len, UP_HEADER, m)) != 0)
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
	if ((r = unprotect(sa, a, p, len, UP_REST, m)) != 0)
		return r;
	sk = &m->pld[m->npld - 1];
	*inner = sk->u.sk.inner;
	*ninner = sk->u.sk.ninner;
	return rkmp_msg_check_inner(m, *inner, *ninner);
}

/* ------------------------------------------------------------------ proposal lists */

/*
 * Parse a proposal list, remembering the last few: every step of an
 * exchange needs the same lists again, and parsing them showed up in the
 * benchmark (keyword lookups by name).
 */
int
rkmp_ike_parse_cached(const char *list, uint8_t protocol, struct rkmp_prop_spec *specs, size_t *n)
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

int
rkmp_ike_parse_specs(const struct rkmp_sa *sa, struct rkmp_prop_spec *specs, size_t *n)
{
	return rkmp_ike_parse_cached(sa->proposals, RKMP_PROTO_IKE, specs, n);
}

/* ------------------------------------------------------------------ for the transport */

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
		rkmp_ike_old_swap(sa);
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
	yes = unprotect(sa, &a, p, len, UP_ALL, &m) == 0;
	rkmp_arena_free(&a);
out:
	if (on_old)
		rkmp_ike_old_swap(sa);
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

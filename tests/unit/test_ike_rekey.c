/* SPDX-License-Identifier: MIT */
/*
 * test_ike_rekey.c — rekeying the RKMP SA itself (RFC 7296 §1.3.2, §2.18) and
 * the requester's INVALID_KE_PAYLOAD retry of CREATE_CHILD_SA (§1.3), both
 * sides driven in memory through the engine (lib/ike_rekey.c and the files it
 * works with), every state saved and loaded again between steps (as the step
 * binaries do).
 *
 * The new SK_* are checked against an independent computation from the RFC
 * formula with the lib/crypto primitives (prf, prf+, DH): the responder's
 * answer is decrypted with the old keys to read Nr, KEr and its SPI.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "ike.h"
#include "msg.h"
#include "proposal.h"
#include "sa.h"
#include "sk.h"
#include "state.h"
#include "wire.h"
#include "test_helper.h"
#include "tests.h"

static const uint8_t psk[] = "rekey-unit-psk-0123456789";

/* ---------------------------------------------------------------- helpers */

struct msgb {
	uint8_t	*p;
	size_t	 len;
};

struct pair {
	struct rkmp_sa	*a, *b;		/* a: original initiator, b: original responder */
	char		 dir[64];
};

/* What the last step said. */
static bool last_save, last_send;
static char last_note[512];

static void
msgb_free(struct msgb *m)
{
	free(m->p);
	m->p = NULL;
	m->len = 0;
}

/* One call of the engine: its return code, its message copied into out. */
enum step_kind { REQ, RESP, PROC };

static int
step(enum step_kind k, struct rkmp_sa *sa, const struct rkmp_child_req *req, const struct msgb *in,
    struct msgb *out)
{
	struct rkmp_ike_cfg cfg = { .psk = psk, .psk_len = sizeof(psk) - 1 };
	struct rkmp_ike_out o;
	int r;

	rkmp_ike_out_init(&o);
	cfg.child = req;
	if (k == REQ)
		r = rkmp_ike_child_request(sa, &cfg, req, &o);
	else if (k == RESP)
		r = rkmp_ike_child_respond(sa, &cfg, in->p, in->len, &o);
	else
		r = rkmp_ike_child_process(sa, &cfg, in->p, in->len, &o);
	last_save = o.save;
	last_send = o.send;
	snprintf(last_note, sizeof(last_note), "%s", o.note);
	if (out != NULL) {
		msgb_free(out);
		if (o.send && o.msg.len > 0 && (out->p = malloc(o.msg.len)) != NULL) {
			memcpy(out->p, o.msg.p, o.msg.len);
			out->len = o.msg.len;
		}
	}
	rkmp_ike_out_free(&o);
	return r;
}

/* Save and load again (a new process, as rkmp-child runs). */
static int
reload(struct pair *p, struct rkmp_sa *sa)
{
	char path[128];
	int r;

	snprintf(path, sizeof(path), "%s/%s.json", p->dir, sa == p->a ? "a" : "b");
	if ((r = rkmp_state_save(path, sa)) != 0)
		return r;
	rkmp_sa_wipe(sa);
	return rkmp_state_load(path, sa);
}

/* The state file's bytes. */
static uint8_t *
snapshot(struct pair *p, const struct rkmp_sa *sa, size_t *len)
{
	char path[128];
	FILE *f;
	uint8_t *buf = NULL;
	long n;

	*len = 0;
	snprintf(path, sizeof(path), "%s/snap.json", p->dir);
	if (rkmp_state_save(path, sa) != 0 || (f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n)) != NULL)
		*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	unlink(path);
	return buf;
}

static bool
same_snapshot(struct pair *p, const struct rkmp_sa *sa, const uint8_t *before, size_t blen)
{
	size_t len;
	uint8_t *now = snapshot(p, sa, &len);
	bool same = now != NULL && len == blen && memcmp(now, before, len) == 0;

	free(now);
	return same;
}

static void
pair_free(struct pair *p)
{
	char path[128];

	if (p->a != NULL) {
		rkmp_sa_wipe(p->a);
		free(p->a);
	}
	if (p->b != NULL) {
		rkmp_sa_wipe(p->b);
		free(p->b);
	}
	p->a = p->b = NULL;
	if (p->dir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/a.json", p->dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/b.json", p->dir);
		unlink(path);
		rmdir(p->dir);
	}
}

/* Both sides through RKMP_SA_INIT and RKMP_SA_AUTH with a PSK. */
static int
pair_new(struct pair *p, const char *proposals, enum rkmp_profile profile, bool childless)
{
	struct rkmp_ike_cfg cfg = { .psk = psk, .psk_len = sizeof(psk) - 1 };
	struct rkmp_ike_out o1, o2, o3, o4, o5, o6;
	char tmpl[] = "/tmp/rkmp-test-rekey-XXXXXX";
	int r;

	memset(p, 0, sizeof(*p));
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(p->dir, sizeof(p->dir), "%s", tmpl);
	if ((p->a = calloc(1, sizeof(*p->a))) == NULL || (p->b = calloc(1, sizeof(*p->b))) == NULL)
		return -1;
	rkmp_sa_init(p->a);
	rkmp_sa_init(p->b);
	p->a->initiator = true;
	p->a->profile = p->b->profile = profile;
	p->a->childless = p->b->childless = childless;
	snprintf(p->a->proposals, sizeof(p->a->proposals), "%s", proposals);
	snprintf(p->b->proposals, sizeof(p->b->proposals), "%s", proposals);
	snprintf(p->a->id_local, sizeof(p->a->id_local), "fqdn:a.rkmp.test");
	snprintf(p->b->id_local, sizeof(p->b->id_local), "fqdn:b.rkmp.test");
	rkmp_ike_out_init(&o1);
	rkmp_ike_out_init(&o2);
	rkmp_ike_out_init(&o3);
	rkmp_ike_out_init(&o4);
	rkmp_ike_out_init(&o5);
	rkmp_ike_out_init(&o6);
	if ((r = rkmp_ike_init_request(p->a, &cfg, &o1)) == 0 &&
	    (r = rkmp_ike_init_respond(p->b, &cfg, o1.msg.p, o1.msg.len, &o2)) == 0 &&
	    (r = rkmp_ike_init_process(p->a, &cfg, o2.msg.p, o2.msg.len, &o3)) == 0 &&
	    (r = rkmp_ike_auth_request(p->a, &cfg, &o4)) == 0 &&
	    (r = rkmp_ike_auth_respond(p->b, &cfg, o4.msg.p, o4.msg.len, &o5)) == 0 &&
	    (r = rkmp_ike_auth_process(p->a, &cfg, o5.msg.p, o5.msg.len, &o6)) == 0 &&
	    (r = reload(p, p->a)) == 0)
		r = reload(p, p->b);
	rkmp_ike_out_free(&o1);
	rkmp_ike_out_free(&o2);
	rkmp_ike_out_free(&o3);
	rkmp_ike_out_free(&o4);
	rkmp_ike_out_free(&o5);
	rkmp_ike_out_free(&o6);
	return r;
}

/* One whole exchange that ends in one round: request, answer, process. */
static int
exchange(struct pair *p, struct rkmp_sa *from, const struct rkmp_child_req *req)
{
	struct rkmp_sa *to = from == p->a ? p->b : p->a;
	struct msgb q = { 0 }, s = { 0 };
	int r;

	if ((r = step(REQ, from, req, NULL, &q)) == 0 && (r = reload(p, from)) == 0 &&
	    (r = step(RESP, to, NULL, &q, &s)) >= 0 && (r = reload(p, to)) == 0)
		r = step(PROC, from, NULL, &s, NULL);
	msgb_free(&q);
	msgb_free(&s);
	return r;
}

static bool
sk_equal(const struct rkmp_sa *x, const struct rkmp_sa *y)
{
	return x->sec.d_len == y->sec.d_len && x->sec.a_len == y->sec.a_len &&
	    x->sec.e_len == y->sec.e_len && x->sec.p_len == y->sec.p_len &&
	    x->sec.skeyseed_len == y->sec.skeyseed_len &&
	    memcmp(x->sec.skeyseed, y->sec.skeyseed, x->sec.skeyseed_len) == 0 &&
	    memcmp(x->sec.sk_d, y->sec.sk_d, x->sec.d_len) == 0 &&
	    memcmp(x->sec.sk_ai, y->sec.sk_ai, x->sec.a_len) == 0 &&
	    memcmp(x->sec.sk_ar, y->sec.sk_ar, x->sec.a_len) == 0 &&
	    memcmp(x->sec.sk_ei, y->sec.sk_ei, x->sec.e_len) == 0 &&
	    memcmp(x->sec.sk_er, y->sec.sk_er, x->sec.e_len) == 0 &&
	    memcmp(x->sec.sk_pi, y->sec.sk_pi, x->sec.p_len) == 0 &&
	    memcmp(x->sec.sk_pr, y->sec.sk_pr, x->sec.p_len) == 0;
}

/* What the rekey's requester knows right after its request. */
struct before {
	uint64_t		 spi_i, spi_r, new_spi;
	bool			 requester_was_initiator;
	struct rkmp_sa_suite	 suite;
	uint8_t			 sk_d[RKMP_SA_SECRET_MAX], ka[RKMP_SA_SECRET_MAX], ke[RKMP_SA_SECRET_MAX];
	size_t			 d_len;
	uint8_t			 ni[RKMP_SA_NONCE_MAX];
	size_t			 ni_len;
	uint8_t			 priv[RKMP_SA_DH_MAX];
	size_t			 priv_len;
	uint16_t		 group;
	size_t			 nchildren;
	struct rkmp_sa_child	 children[RKMP_SA_CHILD_MAX];
};

static void
before_take(struct before *bf, const struct rkmp_sa *req)
{
	memset(bf, 0, sizeof(*bf));
	bf->spi_i = req->spi_i;
	bf->spi_r = req->spi_r;
	bf->new_spi = req->pending.ike_spi;
	bf->requester_was_initiator = req->initiator;
	bf->suite = req->suite;
	memcpy(bf->sk_d, req->sec.sk_d, req->sec.d_len);
	bf->d_len = req->sec.d_len;
	/* the answer comes from the peer: the other direction's keys */
	memcpy(bf->ka, req->initiator ? req->sec.sk_ar : req->sec.sk_ai, req->sec.a_len);
	memcpy(bf->ke, req->initiator ? req->sec.sk_er : req->sec.sk_ei, req->sec.e_len);
	memcpy(bf->ni, req->pending.nonce.p, req->pending.nonce.len);
	bf->ni_len = req->pending.nonce.len;
	memcpy(bf->priv, req->sec.dh_private, req->sec.dh_private_len);
	bf->priv_len = req->sec.dh_private_len;
	bf->group = req->pending.dh_group;
	bf->nchildren = req->nchildren;
	memcpy(bf->children, req->children, sizeof(bf->children));
}

/*
 * The expected new keys from the rekey answer, independently:
 *   SKEYSEED' = prf(SK_d_old, g^ir | Ni | Nr)
 *   prf+(SKEYSEED', Ni | Nr | SPIi' | SPIr') cut as SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr
 * (the suite does not change here, so old and new PRF are one).  0 when sa holds them.
 */
static const char *
expect_keys(const struct before *bf, const struct msgb *answer, const struct rkmp_sa *sa)
{
	const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(bf->suite.prf);
	const struct rkmp_encr_alg *encr = rkmp_crypto_encr_lookup(bf->suite.encr, bf->suite.encr_bits);
	const struct rkmp_integ_alg *integ = bf->suite.integ ? rkmp_crypto_integ_lookup(bf->suite.integ) : NULL;
	const struct rkmp_dh_group *g = rkmp_crypto_dh_lookup(bf->group);
	struct rkmp_sk_dir d = { encr, integ, bf->ke, integ ? bf->ka : NULL };
	struct rkmp_arena ar = { 0 };
	struct rkmp_msg m;
	const struct rkmp_pld *sk, *sa_p, *nr, *ke;
	struct rkmp_dh *dh = NULL;
	uint8_t gir[RKMP_CRYPTO_DH_MAX], buf[2048], seed[1024], skeyseed[RKMP_CRYPTO_PRF_MAX];
	uint8_t km[7 * RKMP_CRYPTO_KEY_MAX], spi[16];
	size_t n = 0, dl, al, el, pl, off = 0;
	const char *bad = NULL;

	if (prf == NULL || encr == NULL || g == NULL || (bf->suite.integ && integ == NULL))
		return "suite rows";
	if (rkmp_msg_decode(&ar, answer->p, answer->len, &m) != 0 || m.npld == 0 ||
	    (sk = &m.pld[m.npld - 1])->type != RKMP_PLD_SK || rkmp_sk_unprotect(&ar, &m, &d) != 0) {
		bad = "the answer does not decrypt with the old keys";
		goto out;
	}
	sa_p = rkmp_msg_find(sk->u.sk.inner, sk->u.sk.ninner, RKMP_PLD_SA);
	nr = rkmp_msg_find(sk->u.sk.inner, sk->u.sk.ninner, RKMP_PLD_NONCE);
	ke = rkmp_msg_find(sk->u.sk.inner, sk->u.sk.ninner, RKMP_PLD_KE);
	if (sa_p == NULL || nr == NULL || ke == NULL || sa_p->u.sa.nprop != 1 ||
	    sa_p->u.sa.prop[0].protocol != RKMP_PROTO_IKE || sa_p->u.sa.prop[0].spi_size != 8) {
		bad = "the answer lacks SA(IKE, SPI 8), Nonce or KE";
		goto out;
	}
	if (rkmp_crypto_dh_new(g, bf->priv, bf->priv_len, &dh) != 0 ||
	    rkmp_crypto_dh_shared(dh, ke->u.ke.data, ke->u.ke.len, gir) != 0) {
		bad = "DH";
		goto out;
	}
	memcpy(buf, gir, g->secret_len);
	n = g->secret_len;
	memcpy(buf + n, bf->ni, bf->ni_len);
	n += bf->ni_len;
	memcpy(buf + n, nr->u.opaque.data, nr->u.opaque.len);
	n += nr->u.opaque.len;
	if (rkmp_crypto_prf(prf, bf->sk_d, bf->d_len, buf, n, skeyseed) != 0) {
		bad = "prf";
		goto out;
	}
	for (int i = 0; i < 8; i++)
		spi[i] = (uint8_t)(bf->new_spi >> (56 - 8 * i));
	memcpy(spi + 8, sa_p->u.sa.prop[0].spi, 8);
	n = 0;
	memcpy(seed, bf->ni, bf->ni_len);
	n += bf->ni_len;
	memcpy(seed + n, nr->u.opaque.data, nr->u.opaque.len);
	n += nr->u.opaque.len;
	memcpy(seed + n, spi, 16);
	n += 16;
	dl = pl = prf->key_len;
	al = integ ? integ->key_len : 0;
	el = encr->key_len + encr->salt_len;
	if (rkmp_crypto_prf_plus(prf, skeyseed, prf->out_len, seed, n, km, dl + 2 * al + 2 * el + 2 * pl) != 0) {
		bad = "prf+";
		goto out;
	}
	if (sa->spi_i != bf->new_spi || sa->spi_r != rkmp_get64(spi + 8))
		bad = "SPIs";
	else if (sa->sec.skeyseed_len != prf->out_len || memcmp(sa->sec.skeyseed, skeyseed, prf->out_len) != 0)
		bad = "SKEYSEED'";
	else if (sa->sec.d_len != dl || memcmp(sa->sec.sk_d, km + (off = 0), dl) != 0)
		bad = "SK_d";
	else if (sa->sec.a_len != al || memcmp(sa->sec.sk_ai, km + (off += dl), al) != 0)
		bad = "SK_ai";
	else if (memcmp(sa->sec.sk_ar, km + (off += al), al) != 0)
		bad = "SK_ar";
	else if (sa->sec.e_len != el || memcmp(sa->sec.sk_ei, km + (off += al), el) != 0)
		bad = "SK_ei";
	else if (memcmp(sa->sec.sk_er, km + (off += el), el) != 0)
		bad = "SK_er";
	else if (sa->sec.p_len != pl || memcmp(sa->sec.sk_pi, km + (off += el), pl) != 0)
		bad = "SK_pi";
	else if (memcmp(sa->sec.sk_pr, km + (off += pl), pl) != 0)
		bad = "SK_pr";
	/* and the nonces of the state are the rekey's */
	else if (sa->ni.len != bf->ni_len || memcmp(sa->ni.p, bf->ni, bf->ni_len) != 0 ||
	    sa->nr.len != nr->u.opaque.len || memcmp(sa->nr.p, nr->u.opaque.data, sa->nr.len) != 0)
		bad = "ni/nr";
out:
	rkmp_crypto_dh_free(dh);
	rkmp_crypto_wipe(gir, sizeof(gir));
	rkmp_crypto_wipe(buf, sizeof(buf));
	rkmp_crypto_wipe(skeyseed, sizeof(skeyseed));
	rkmp_crypto_wipe(km, sizeof(km));
	rkmp_arena_free(&ar);
	return bad;
}

/* The children of the state before the rekey, unchanged. */
static bool
children_kept(const struct before *bf, const struct rkmp_sa *sa)
{
	if (sa->nchildren < bf->nchildren)
		return false;
	for (size_t i = 0; i < bf->nchildren; i++) {
		const struct rkmp_sa_child *x = &bf->children[i], *y = &sa->children[i];

		if (x->protocol != y->protocol || x->spi_size != y->spi_size ||
		    memcmp(x->spi_local, y->spi_local, x->spi_size) != 0 ||
		    x->state != y->state || x->keymat_len != y->keymat_len ||
		    memcmp(x->keymat, y->keymat, x->keymat_len) != 0)
			return false;
	}
	return true;
}

/* IKE header flags of a message */
static uint8_t
flags_of(const struct msgb *m)
{
	return m->len >= RKMP_HDR_LEN ? m->p[19] : 0;
}

/*
 * A whole rekey of the RKMP SA started by `from`, every state saved and loaded
 * between steps; checks along the way.  Fails the test (and returns) on the
 * first difference.
 */
static void
rekey_flow(struct pair *p, struct rkmp_sa *from)
{
	struct rkmp_sa *to = from == p->a ? p->b : p->a;
	struct rkmp_child_req req = { .op = RKMP_CHILD_REKEY_IKE };
	struct msgb q = { 0 }, s = { 0 }, del = { 0 }, dans = { 0 }, again = { 0 };
	struct before bf;
	uint64_t oi = from->spi_i, or_ = from->spi_r;
	uint32_t old_mid_next = from->mid_next;
	bool was_init = from->initiator;
	const char *bad;

	ASSERT_INT_EQ(step(REQ, from, &req, NULL, &q), 0);
	ASSERT_TRUE(last_save);
	ASSERT_INT_EQ(from->pending.op, RKMP_CHILD_REKEY_IKE);
	ASSERT_TRUE(from->pending.ike_spi != 0);
	ASSERT_INT_EQ(from->pending.dh_group, from->suite.dh);
	ASSERT_INT_EQ(q.p[18], RKMP_EXCH_CREATE_CHILD);
	ASSERT_INT_EQ(rkmp_get64(q.p), oi);	/* on the current SA */
	ASSERT_STR_CONTAINS(last_note, "RKMP SA rekey request");
	ASSERT_INT_EQ(reload(p, from), 0);
	before_take(&bf, from);

	/* the peer answers and switches; its state keeps the old SA for the Delete */
	ASSERT_INT_EQ(step(RESP, to, NULL, &q, &s), RKMP_IKE_AGAIN);
	ASSERT_TRUE(last_save);
	ASSERT_STR_CONTAINS(last_note, "RKMP SA rekeyed by the peer");
	ASSERT_INT_EQ(to->spi_i, bf.new_spi);
	ASSERT_TRUE(!to->initiator);
	ASSERT_INT_EQ(to->mid_next, 0);
	ASSERT_INT_EQ(to->mid_peer, 0);
	ASSERT_INT_EQ(to->old.spi_i, oi);
	ASSERT_INT_EQ(to->old.spi_r, or_);
	ASSERT_INT_EQ(to->sec.dh_private_len, 0);
	ASSERT_INT_EQ(rkmp_get64(s.p), oi);	/* the answer is on the old SA */
	bad = expect_keys(&bf, &s, to);
	if (bad != NULL)
		test_fail(__FILE__, __LINE__, "responder's keys: %s", bad);
	ASSERT_TRUE(bad == NULL);
	ASSERT_INT_EQ(reload(p, to), 0);
	ASSERT_INT_EQ(to->old.spi_i, oi);

	/* a repeat of the rekey request (our answer was lost) is answered again */
	ASSERT_INT_EQ(step(RESP, to, NULL, &q, &again), RKMP_IKE_AGAIN);
	ASSERT_TRUE(!last_save);
	ASSERT_TRUE(again.len == s.len && memcmp(again.p, s.p, s.len) == 0);

	/* the requester: the new SA, and the Delete of the old one on the old one */
	ASSERT_INT_EQ(step(PROC, from, NULL, &s, &del), RKMP_IKE_AGAIN);
	ASSERT_TRUE(last_save);
	ASSERT_STR_CONTAINS(last_note, "RKMP SA rekeyed: new SPIs");
	ASSERT_STR_CONTAINS(last_note, "deleting the old one");
	ASSERT_TRUE(from->initiator);
	ASSERT_INT_EQ(from->mid_next, 0);
	ASSERT_INT_EQ(from->mid_peer, 0);
	ASSERT_INT_EQ(from->pending.op, RKMP_CHILD_DELETE_OLD_IKE);
	ASSERT_INT_EQ(from->old.spi_i, oi);
	ASSERT_INT_EQ(from->old.initiator, was_init);
	ASSERT_INT_EQ(from->old.mid_next, old_mid_next + 2);
	bad = expect_keys(&bf, &s, from);
	if (bad != NULL)
		test_fail(__FILE__, __LINE__, "requester's keys: %s", bad);
	ASSERT_TRUE(bad == NULL);
	ASSERT_TRUE(sk_equal(from, to));
	ASSERT_INT_EQ(from->spi_r, to->spi_r);
	ASSERT_INT_EQ(del.p[18], RKMP_EXCH_INFORMATIONAL);
	ASSERT_INT_EQ(rkmp_get64(del.p), oi);
	ASSERT_INT_EQ(rkmp_get64(del.p + 8), or_);
	ASSERT_INT_EQ(rkmp_get32(del.p + 20), old_mid_next + 1);
	/* flags: the old SA's role */
	ASSERT_INT_EQ((flags_of(&del) & RKMP_FLAG_I) != 0, was_init);
	ASSERT_INT_EQ(reload(p, from), 0);

	/* the peer answers the Delete on the old SA and forgets it */
	ASSERT_INT_EQ(step(RESP, to, NULL, &del, &dans), 0);
	ASSERT_TRUE(last_save);
	ASSERT_STR_CONTAINS(last_note, "the peer deleted the old RKMP SA");
	ASSERT_INT_EQ(to->old.spi_i, 0);
	ASSERT_INT_EQ(to->phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_INT_EQ(rkmp_get64(dans.p), oi);
	ASSERT_INT_EQ(reload(p, to), 0);
	ASSERT_INT_EQ(step(PROC, from, NULL, &dans, NULL), 0);
	ASSERT_STR_CONTAINS(last_note, "is deleted; the RKMP SA goes on as");
	ASSERT_INT_EQ(from->old.spi_i, 0);
	ASSERT_INT_EQ(from->pending.op, RKMP_CHILD_NONE);
	ASSERT_INT_EQ(reload(p, from), 0);
	ASSERT_TRUE(sk_equal(from, to));
	ASSERT_TRUE(children_kept(&bf, from));
	ASSERT_INT_EQ(to->nchildren, from->nchildren);
	for (size_t i = 0; i < to->nchildren; i++) {
		ASSERT_INT_EQ(to->children[i].state, from->children[i].state);
		ASSERT_INT_EQ(to->children[i].keymat_len, from->children[i].keymat_len);
		ASSERT_MEM_EQ(to->children[i].keymat, from->children[i].keymat, to->children[i].keymat_len);
	}
	msgb_free(&q);
	msgb_free(&s);
	msgb_free(&del);
	msgb_free(&dans);
	msgb_free(&again);
	rkmp_crypto_wipe(&bf, sizeof(bf));
}

/* The keymat of the last child on both sides is the same (and there is one). */
static bool
last_child_agrees(const struct pair *p)
{
	const struct rkmp_sa_child *x, *y;

	if (p->a->nchildren == 0 || p->a->nchildren != p->b->nchildren)
		return false;
	x = &p->a->children[p->a->nchildren - 1];
	y = &p->b->children[p->b->nchildren - 1];
	return x->state == RKMP_CHILD_ESTABLISHED && y->state == RKMP_CHILD_ESTABLISHED &&
	    x->keymat_len > 0 && x->keymat_len == y->keymat_len &&
	    memcmp(x->keymat, y->keymat, x->keymat_len) == 0 &&
	    memcmp(x->spi_local, y->spi_peer, x->spi_size) == 0;
}

/* ---------------------------------------------------------------- tests */

TEST(ike_rekey_by_original_initiator)
{
	struct pair p;
	struct rkmp_child_req c = { .op = RKMP_CHILD_CREATE, .protocol = RKMP_PROTO_BFD,
	    .pfs_group = 19 };
	struct rkmp_child_req live = { .op = RKMP_CHILD_LIVENESS };
	struct rkmp_child_req rk = { .op = RKMP_CHILD_REKEY };
	struct msgb q = { 0 }, s = { 0 };
	uint8_t first_keymat[RKMP_SA_KEYMAT_MAX];
	size_t first_len;

	ASSERT_INT_EQ(pair_new(&p, RKMP_PROPOSAL_DEFAULT, RKMP_PROFILE_RKMP, false), 0);
	ASSERT_INT_EQ(p.a->nchildren, 1);
	first_len = p.a->children[0].keymat_len;
	memcpy(first_keymat, p.a->children[0].keymat, first_len);
	rekey_flow(&p, p.a);
	if (test_failed_now)
		goto out;
	ASSERT_TRUE(p.a->initiator);
	ASSERT_TRUE(!p.b->initiator);
	/* the child of RKMP_SA_AUTH lives on, unchanged */
	ASSERT_INT_EQ(p.a->children[0].keymat_len, first_len);
	ASSERT_MEM_EQ(p.a->children[0].keymat, first_keymat, first_len);
	ASSERT_STR_EQ(rkmp_child_state_name(p.b->children[0].state), "established");
	/* a child on the new SA: MID 0, the new SPIs, its KEYMAT from the new SK_d */
	ASSERT_INT_EQ(step(REQ, p.a, &c, NULL, &q), 0);
	ASSERT_INT_EQ(rkmp_get64(q.p), p.a->spi_i);
	ASSERT_INT_EQ(rkmp_get64(q.p + 8), p.a->spi_r);
	ASSERT_INT_EQ(rkmp_get32(q.p + 20), 0);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, NULL), 0);
	ASSERT_TRUE(last_child_agrees(&p));
	/* and a rekey of the first child, then liveness the other way */
	rk.spi_len = p.a->children[0].spi_size;
	memcpy(rk.spi, p.a->children[0].spi_local, rk.spi_len);
	ASSERT_INT_EQ(exchange(&p, p.a, &rk), 0);
	ASSERT_TRUE(last_child_agrees(&p));
	ASSERT_STR_EQ(rkmp_child_state_name(p.a->children[0].state), "rekeyed");
	ASSERT_INT_EQ(exchange(&p, p.b, &live), 0);
	ASSERT_STR_CONTAINS(last_note, "alive");
out:
	msgb_free(&q);
	msgb_free(&s);
	pair_free(&p);
}

TEST(ike_rekey_by_original_responder)
{
	struct pair p;
	struct rkmp_child_req c = { .op = RKMP_CHILD_CREATE };
	struct rkmp_child_req live = { .op = RKMP_CHILD_LIVENESS };
	struct msgb q = { 0 }, s = { 0 };

	/* CBC + HMAC: SK_ai/SK_ar too */
	ASSERT_INT_EQ(pair_new(&p, "aes256-sha256-modp2048", RKMP_PROFILE_IKEV2, true), 0);
	ASSERT_INT_EQ(p.a->nchildren, 0);
	ASSERT_INT_EQ(exchange(&p, p.a, &c), 0);	/* an ESP child before */
	ASSERT_TRUE(last_child_agrees(&p));
	rekey_flow(&p, p.b);
	if (test_failed_now)
		goto out;
	/* b is the new SA's initiator now: I flag on its requests, not on a's */
	ASSERT_TRUE(p.b->initiator);
	ASSERT_TRUE(!p.a->initiator);
	ASSERT_INT_EQ(p.a->sec.a_len, 32);
	ASSERT_INT_EQ(step(REQ, p.b, &live, NULL, &q), 0);
	ASSERT_TRUE((flags_of(&q) & RKMP_FLAG_I) != 0);
	ASSERT_INT_EQ(step(RESP, p.a, NULL, &q, &s), 0);
	ASSERT_TRUE((flags_of(&s) & (RKMP_FLAG_I | RKMP_FLAG_R)) == RKMP_FLAG_R);
	ASSERT_INT_EQ(step(PROC, p.b, NULL, &s, NULL), 0);
	ASSERT_INT_EQ(step(REQ, p.a, &c, NULL, &q), 0);
	ASSERT_TRUE((flags_of(&q) & RKMP_FLAG_I) == 0);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, NULL), 0);
	ASSERT_TRUE(last_child_agrees(&p));
	ASSERT_STR_EQ(rkmp_child_state_name(p.a->children[0].state), "established");
	/* and again, the other way: rekeys chain */
	rekey_flow(&p, p.a);
	if (test_failed_now)
		goto out;
	ASSERT_INT_EQ(exchange(&p, p.b, &c), 0);
	ASSERT_TRUE(last_child_agrees(&p));
out:
	msgb_free(&q);
	msgb_free(&s);
	pair_free(&p);
}

/* KE of a group the peer does not take: INVALID_KE_PAYLOAD, then the retry (Task: §1.3). */
TEST(ike_rekey_invalid_ke_retry)
{
	struct pair p;
	struct rkmp_child_req req = { .op = RKMP_CHILD_REKEY_IKE };
	struct msgb q = { 0 }, s = { 0 }, q2 = { 0 }, s2 = { 0 }, d = { 0 }, da = { 0 };
	uint64_t oi, or_;

	ASSERT_INT_EQ(pair_new(&p, RKMP_PROPOSAL_DEFAULT, RKMP_PROFILE_RKMP, false), 0);
	ASSERT_INT_EQ(p.a->suite.dh, 31);
	oi = p.a->spi_i;
	or_ = p.a->spi_r;
	/* from now on b takes ECP-256 only */
	snprintf(p.b->proposals, sizeof(p.b->proposals), "aes256gcm16-prfsha256-ecp256");
	ASSERT_INT_EQ(step(REQ, p.a, &req, NULL, &q), 0);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_IKE_AGAIN);
	ASSERT_TRUE(last_save && last_send);
	ASSERT_STR_CONTAINS(last_note, "INVALID_KE_PAYLOAD");
	ASSERT_INT_EQ(p.b->spi_i, oi);	/* nothing rekeyed */
	ASSERT_INT_EQ(p.b->old.spi_i, 0);
	ASSERT_INT_EQ(reload(&p, p.b), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, &q2), RKMP_IKE_AGAIN);
	ASSERT_STR_CONTAINS(last_note, "ECP_256");
	ASSERT_INT_EQ(p.a->pending.op, RKMP_CHILD_REKEY_IKE);
	ASSERT_INT_EQ(p.a->pending.dh_group, 19);
	ASSERT_INT_EQ(p.a->pending.retries, 1);
	ASSERT_INT_EQ(rkmp_get32(q2.p + 20), rkmp_get32(q.p + 20) + 1);
	ASSERT_INT_EQ(reload(&p, p.a), 0);
	ASSERT_INT_EQ(p.a->pending.retries, 1);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q2, &s2), RKMP_IKE_AGAIN);
	ASSERT_INT_EQ(p.b->suite.dh, 19);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s2, &d), RKMP_IKE_AGAIN);
	ASSERT_INT_EQ(p.a->suite.dh, 19);
	ASSERT_TRUE(sk_equal(p.a, p.b));
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &d, &da), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &da, NULL), 0);
	ASSERT_TRUE(p.a->spi_i != oi && p.a->spi_r != or_);
	ASSERT_INT_EQ(p.a->old.spi_i, 0);
	ASSERT_INT_EQ(p.b->old.spi_i, 0);
	msgb_free(&q);
	msgb_free(&s);
	msgb_free(&q2);
	msgb_free(&s2);
	msgb_free(&d);
	msgb_free(&da);
	pair_free(&p);
}

/* INVALID_KE_PAYLOAD naming a group we do not accept, or too many rounds: refused. */
TEST(ike_rekey_invalid_ke_refused)
{
	for (int round = 0; round < 2; round++) {
		struct pair p;
		struct rkmp_child_req req = { .op = RKMP_CHILD_REKEY_IKE };
		struct rkmp_child_req live = { .op = RKMP_CHILD_LIVENESS };
		struct msgb q = { 0 }, s = { 0 }, q2 = { 0 };
		uint64_t oi;
		int r;

		ASSERT_INT_EQ(pair_new(&p, RKMP_PROPOSAL_DEFAULT, RKMP_PROFILE_RKMP, false), 0);
		oi = p.a->spi_i;
		snprintf(p.b->proposals, sizeof(p.b->proposals), "aes256gcm16-prfsha256-ecp256");
		ASSERT_INT_EQ(step(REQ, p.a, &req, NULL, &q), 0);
		ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_IKE_AGAIN);
		if (round == 0)	/* a no longer takes ECP-256 */
			snprintf(p.a->proposals, sizeof(p.a->proposals), "aes256gcm16-prfsha256-x25519-modp2048");
		else
			p.a->pending.retries = 3;
		r = step(PROC, p.a, NULL, &s, &q2);
		ASSERT_INT_EQ(r, RKMP_E_REFUSED);
		ASSERT_TRUE(last_save);
		ASSERT_TRUE(!last_send);
		if (round == 0) {
			ASSERT_STR_CONTAINS(rkmp_err_detail(), "INVALID_KE_PAYLOAD asks for ECP_256 (19)");
			ASSERT_STR_CONTAINS(rkmp_err_detail(), "accept CURVE25519, MODP_2048");
		} else
			ASSERT_STR_CONTAINS(rkmp_err_detail(), "gave up after 3 rounds");
		ASSERT_INT_EQ(p.a->pending.op, RKMP_CHILD_NONE);
		ASSERT_INT_EQ(p.a->phase, RKMP_PHASE_ESTABLISHED);
		ASSERT_INT_EQ(p.a->spi_i, oi);
		ASSERT_INT_EQ(p.a->sec.dh_private_len, 0);
		/* the RKMP SA goes on */
		ASSERT_INT_EQ(reload(&p, p.a), 0);
		ASSERT_INT_EQ(reload(&p, p.b), 0);
		ASSERT_INT_EQ(exchange(&p, p.a, &live), 0);
		msgb_free(&q);
		msgb_free(&s);
		msgb_free(&q2);
		pair_free(&p);
	}
}

TEST(ike_rekey_no_proposal_chosen)
{
	struct pair p;
	struct rkmp_child_req req = { .op = RKMP_CHILD_REKEY_IKE };
	struct rkmp_child_req live = { .op = RKMP_CHILD_LIVENESS };
	struct msgb q = { 0 }, s = { 0 };
	uint64_t oi, or_;

	ASSERT_INT_EQ(pair_new(&p, RKMP_PROPOSAL_DEFAULT, RKMP_PROFILE_RKMP, false), 0);
	oi = p.b->spi_i;
	or_ = p.b->spi_r;
	snprintf(p.b->proposals, sizeof(p.b->proposals), "aes128-sha256-modp2048");
	ASSERT_INT_EQ(step(REQ, p.a, &req, NULL, &q), 0);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_E_REFUSED);
	ASSERT_TRUE(last_save && last_send);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "NO_PROPOSAL_CHOSEN");
	ASSERT_INT_EQ(p.b->spi_i, oi);
	ASSERT_INT_EQ(p.b->spi_r, or_);
	ASSERT_INT_EQ(p.b->old.spi_i, 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, NULL), RKMP_E_REFUSED);
	ASSERT_TRUE(last_save);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "RKMP SA rekey refused by the peer: NO_PROPOSAL_CHOSEN");
	ASSERT_INT_EQ(p.a->pending.op, RKMP_CHILD_NONE);
	ASSERT_INT_EQ(p.a->spi_i, oi);
	ASSERT_INT_EQ(p.a->phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_INT_EQ(reload(&p, p.a), 0);
	ASSERT_INT_EQ(reload(&p, p.b), 0);
	ASSERT_INT_EQ(exchange(&p, p.a, &live), 0);
	msgb_free(&q);
	msgb_free(&s);
	pair_free(&p);
}

/* Failures that are not the protocol's verdict leave the SA as it was, byte for byte. */
TEST(ike_rekey_wrong_phase_and_tampering)
{
	struct pair p;
	struct rkmp_child_req req = { .op = RKMP_CHILD_REKEY_IKE };
	struct rkmp_child_req live = { .op = RKMP_CHILD_LIVENESS };
	struct msgb q = { 0 }, s = { 0 }, bad = { 0 }, d = { 0 }, x = { 0 };
	uint8_t *snap = NULL;
	size_t slen;
	enum rkmp_phase ph;

	ASSERT_INT_EQ(pair_new(&p, RKMP_PROPOSAL_DEFAULT, RKMP_PROFILE_RKMP, false), 0);

	/* not established: refused, nothing changed */
	ph = p.a->phase;
	p.a->phase = RKMP_PHASE_INIT_DONE;
	snap = snapshot(&p, p.a, &slen);
	ASSERT_INT_EQ(step(REQ, p.a, &req, NULL, &x), RKMP_E_STATE);
	ASSERT_TRUE(!last_save);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "not established");
	ASSERT_TRUE(same_snapshot(&p, p.a, snap, slen));
	free(snap);
	p.a->phase = ph;

	/* one request at a time */
	ASSERT_INT_EQ(step(REQ, p.a, &live, NULL, &q), 0);
	snap = snapshot(&p, p.a, &slen);
	ASSERT_INT_EQ(step(REQ, p.a, &req, NULL, &x), RKMP_E_STATE);
	ASSERT_TRUE(!last_save);
	ASSERT_TRUE(same_snapshot(&p, p.a, snap, slen));
	free(snap);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, NULL), 0);

	/* no request of ours: an answer is refused */
	snap = snapshot(&p, p.b, &slen);
	ASSERT_INT_EQ(step(PROC, p.b, NULL, &s, NULL), RKMP_E_STATE);
	ASSERT_TRUE(same_snapshot(&p, p.b, snap, slen));
	free(snap);

	/* a tampered rekey request: ICV mismatch, the responder untouched */
	ASSERT_INT_EQ(step(REQ, p.a, &req, NULL, &q), 0);
	bad.p = malloc(q.len);
	bad.len = q.len;
	memcpy(bad.p, q.p, q.len);
	bad.p[bad.len - 1] ^= 1;
	snap = snapshot(&p, p.b, &slen);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &bad, &x), RKMP_E_REFUSED);
	ASSERT_TRUE(!last_save);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "ICV");
	ASSERT_TRUE(same_snapshot(&p, p.b, snap, slen));
	free(snap);

	/* a tampered answer: the requester untouched */
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_IKE_AGAIN);
	msgb_free(&bad);
	bad.p = malloc(s.len);
	bad.len = s.len;
	memcpy(bad.p, s.p, s.len);
	bad.p[bad.len - 5] ^= 0x40;
	snap = snapshot(&p, p.a, &slen);
	ASSERT_TRUE(step(PROC, p.a, NULL, &bad, &x) < 0);
	ASSERT_TRUE(!last_save);
	ASSERT_TRUE(same_snapshot(&p, p.a, snap, slen));
	free(snap);
	/* ... nor a truncated one */
	bad.len = 20;
	snap = snapshot(&p, p.a, &slen);
	ASSERT_TRUE(step(PROC, p.a, NULL, &bad, &x) < 0);
	ASSERT_TRUE(same_snapshot(&p, p.a, snap, slen));
	free(snap);

	/* the real answer, then a tampered Delete of the old SA at the responder */
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, &d), RKMP_IKE_AGAIN);
	msgb_free(&bad);
	bad.p = malloc(d.len);
	bad.len = d.len;
	memcpy(bad.p, d.p, d.len);
	bad.p[bad.len - 1] ^= 0x80;
	snap = snapshot(&p, p.b, &slen);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &bad, &x), RKMP_E_REFUSED);
	ASSERT_TRUE(!last_save);
	ASSERT_TRUE(same_snapshot(&p, p.b, snap, slen));
	free(snap);
	/* nor does a second rekey request go out before the Delete is answered */
	snap = snapshot(&p, p.a, &slen);
	ASSERT_INT_EQ(step(REQ, p.a, &req, NULL, &x), RKMP_E_STATE);
	ASSERT_TRUE(same_snapshot(&p, p.a, snap, slen));
	free(snap);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &d, &s), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, NULL), 0);
	ASSERT_TRUE(sk_equal(p.a, p.b));
	msgb_free(&q);
	msgb_free(&s);
	msgb_free(&bad);
	msgb_free(&d);
	msgb_free(&x);
	pair_free(&p);
}

/* Both sides ask at once: the one with a request out answers TEMPORARY_FAILURE (§2.25.2). */
TEST(ike_rekey_collision)
{
	struct pair p;
	struct rkmp_child_req req = { .op = RKMP_CHILD_REKEY_IKE };
	struct rkmp_child_req live = { .op = RKMP_CHILD_LIVENESS };
	struct msgb qa = { 0 }, qb = { 0 }, sa_ = { 0 }, sb = { 0 };
	uint64_t oi;

	ASSERT_INT_EQ(pair_new(&p, RKMP_PROPOSAL_DEFAULT, RKMP_PROFILE_RKMP, false), 0);
	oi = p.a->spi_i;
	ASSERT_INT_EQ(step(REQ, p.a, &live, NULL, &qa), 0);
	ASSERT_INT_EQ(step(REQ, p.b, &req, NULL, &qb), 0);
	ASSERT_INT_EQ(step(RESP, p.a, NULL, &qb, &sb), RKMP_E_REFUSED);
	ASSERT_TRUE(last_save && last_send);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "TEMPORARY_FAILURE");
	ASSERT_INT_EQ(p.a->spi_i, oi);
	ASSERT_INT_EQ(step(PROC, p.b, NULL, &sb, NULL), RKMP_E_REFUSED);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "TEMPORARY_FAILURE");
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &qa, &sa_), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &sa_, NULL), 0);
	ASSERT_INT_EQ(p.a->spi_i, oi);
	msgb_free(&qa);
	msgb_free(&qb);
	msgb_free(&sa_);
	msgb_free(&sb);
	pair_free(&p);
}

/* The child of x (an SA) whose peer SPI is y's local SPI of child j, or NULL. */
static const struct rkmp_sa_child *
mirror(const struct rkmp_sa *x, const struct rkmp_sa_child *yc)
{
	for (size_t i = 0; i < x->nchildren; i++)
		if (x->children[i].protocol == yc->protocol && x->children[i].spi_size == yc->spi_size &&
		    memcmp(x->children[i].spi_peer, yc->spi_local, yc->spi_size) == 0)
			return &x->children[i];
	return NULL;
}

/*
 * RFC 7296 §2.8.1: both sides rekey the same child at once; each answers the
 * other's request while its own waits (the peer's new child must not take the
 * entry of our proposed one), then takes the answer to its own.  Both end
 * with the same two new children, and agree which one is redundant: that of
 * the exchange with the lowest nonce.  The states are saved and loaded
 * between the steps (the crossing survives a restart).
 */
TEST(child_rekey_collision)
{
	struct pair p;
	struct rkmp_child_req ra = { .op = RKMP_CHILD_REKEY }, rb = { .op = RKMP_CHILD_REKEY };
	struct msgb qa = { 0 }, qb = { 0 }, sa_ = { 0 }, sb = { 0 };
	struct rkmp_bytes nia, nib;
	const struct rkmp_sa_child *ca = NULL, *cb = NULL, *x;
	size_t ia = 0, ib = 0, other = 99;
	int da, db;

	ASSERT_INT_EQ(pair_new(&p, RKMP_PROPOSAL_DEFAULT, RKMP_PROFILE_RKMP, false), 0);
	ra.spi_len = rb.spi_len = p.a->children[0].spi_size;
	memcpy(ra.spi, p.a->children[0].spi_local, ra.spi_len);
	memcpy(rb.spi, p.b->children[0].spi_local, rb.spi_len);
	ASSERT_INT_EQ(step(REQ, p.a, &ra, NULL, &qa), 0);
	nia = p.a->pending.nonce;
	ASSERT_INT_EQ(step(REQ, p.b, &rb, NULL, &qb), 0);
	nib = p.b->pending.nonce;
	ASSERT_INT_EQ(reload(&p, p.a), 0);
	ASSERT_INT_EQ(reload(&p, p.b), 0);
	/* the requests cross: each answers the other's while its own is pending */
	ASSERT_INT_EQ(step(RESP, p.a, NULL, &qb, &sb), 0);
	ASSERT_STR_CONTAINS(last_note, "rekeyed");
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &qa, &sa_), 0);
	ASSERT_STR_EQ(rkmp_child_state_name(p.a->children[p.a->nchildren - 1].state), "proposed");
	ASSERT_INT_EQ(reload(&p, p.a), 0);
	ASSERT_INT_EQ(reload(&p, p.b), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &sa_, NULL), 0);
	ASSERT_INT_EQ(step(PROC, p.b, NULL, &sb, NULL), 0);
	ASSERT_INT_EQ(reload(&p, p.a), 0);
	ASSERT_INT_EQ(reload(&p, p.b), 0);
	/* on each side: the old child rekeyed, two new ones, each the other side's mirror */
	ASSERT_STR_EQ(rkmp_child_state_name(p.a->children[0].state), "rekeyed");
	ASSERT_STR_EQ(rkmp_child_state_name(p.b->children[0].state), "rekeyed");
	for (size_t i = 0; i < p.a->nchildren; i++) {
		const struct rkmp_sa_child *c = &p.a->children[i];

		if (c->state != RKMP_CHILD_ESTABLISHED || !c->rekey)
			continue;
		ASSERT_MEM_EQ(c->rekey_of, ra.spi, ra.spi_len);
		if (c->ours) {
			ca = c;
			ia = i;
		} else {
			cb = c;
			ib = i;
		}
	}
	ASSERT_TRUE(ca != NULL && cb != NULL);
	x = mirror(p.b, ca);
	ASSERT_TRUE(x != NULL && !x->ours && x->keymat_len == ca->keymat_len &&
	    memcmp(x->keymat, ca->keymat, ca->keymat_len) == 0);
	ASSERT_INT_EQ(x->nonce_min.len, ca->nonce_min.len);
	ASSERT_MEM_EQ(x->nonce_min.p, ca->nonce_min.p, ca->nonce_min.len);
	x = mirror(p.b, cb);
	ASSERT_TRUE(x != NULL && x->ours && memcmp(x->keymat, cb->keymat, cb->keymat_len) == 0);
	ASSERT_MEM_EQ(x->rekey_of, rb.spi, rb.spi_len);
	/* each exchange's lowest nonce is at most its Ni */
	ASSERT_TRUE(memcmp(ca->nonce_min.p, nia.p, nia.len) <= 0);
	ASSERT_TRUE(memcmp(cb->nonce_min.p, nib.p, nib.len) <= 0);
	/* one is redundant, the same one seen from both sides: the lowest nonce's */
	da = rkmp_ike_child_crossed(p.a, ia, &other);
	ASSERT_INT_EQ(other, ib);
	ASSERT_INT_EQ(rkmp_ike_child_crossed(p.a, ib, NULL), !da);
	ASSERT_INT_EQ(da, memcmp(ca->nonce_min.p, cb->nonce_min.p, ca->nonce_min.len) < 0);
	db = -1;
	for (size_t i = 0; i < p.b->nchildren; i++)
		if (p.b->children[i].state == RKMP_CHILD_ESTABLISHED && p.b->children[i].ours)
			db = rkmp_ike_child_crossed(p.b, i, NULL);
	ASSERT_INT_EQ(db, !da);
	/* an ordinary rekey is no crossing */
	ASSERT_INT_EQ(rkmp_ike_child_crossed(p.a, 0, NULL), -1);
	msgb_free(&qa);
	msgb_free(&qb);
	msgb_free(&sa_);
	msgb_free(&sb);
	pair_free(&p);
}

/* The state file keeps the old SA and the pending rekey; older files still load. */
TEST(ike_rekey_state_round_trip)
{
	struct pair p;
	struct rkmp_child_req req = { .op = RKMP_CHILD_REKEY_IKE };
	struct msgb q = { 0 }, s = { 0 }, d = { 0 };
	struct rkmp_sa *copy = NULL;
	char path[128];

	ASSERT_INT_EQ(pair_new(&p, "aes128-sha256-modp2048", RKMP_PROFILE_RKMP, false), 0);
	ASSERT_INT_EQ(step(REQ, p.a, &req, NULL, &q), 0);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_IKE_AGAIN);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, &d), RKMP_IKE_AGAIN);
	snprintf(path, sizeof(path), "%s/a.json", p.dir);
	ASSERT_INT_EQ(rkmp_state_save(path, p.a), 0);
	ASSERT_TRUE((copy = calloc(1, sizeof(*copy))) != NULL);
	ASSERT_INT_EQ(rkmp_state_load(path, copy), 0);
	ASSERT_INT_EQ(copy->old.spi_i, p.a->old.spi_i);
	ASSERT_INT_EQ(copy->old.spi_r, p.a->old.spi_r);
	ASSERT_INT_EQ(copy->old.initiator, p.a->old.initiator);
	ASSERT_INT_EQ(copy->old.mid_next, p.a->old.mid_next);
	ASSERT_INT_EQ(copy->old.mid_peer, p.a->old.mid_peer);
	ASSERT_INT_EQ(copy->old.iv_counter_out, p.a->old.iv_counter_out);
	ASSERT_TRUE(memcmp(&copy->old.suite, &p.a->old.suite, sizeof(copy->old.suite)) == 0);
	ASSERT_INT_EQ(copy->old.a_len, 32);
	ASSERT_INT_EQ(copy->old.e_len, 16);
	ASSERT_MEM_EQ(copy->old.sk_ai, p.a->old.sk_ai, 32);
	ASSERT_MEM_EQ(copy->old.sk_ar, p.a->old.sk_ar, 32);
	ASSERT_MEM_EQ(copy->old.sk_ei, p.a->old.sk_ei, 16);
	ASSERT_MEM_EQ(copy->old.sk_er, p.a->old.sk_er, 16);
	ASSERT_INT_EQ(copy->pending.op, RKMP_CHILD_DELETE_OLD_IKE);
	ASSERT_INT_EQ(copy->pending.msg_id, p.a->pending.msg_id);
	rkmp_sa_wipe(copy);
	/* pending rekey: its SPI and retries; its Ni and KE group and our private value first */
	p.a->pending.op = RKMP_CHILD_REKEY_IKE;
	p.a->pending.ike_spi = 0x0123456789abcdefULL;
	p.a->pending.retries = 2;
	ASSERT_INT_EQ(rkmp_state_save(path, p.a), 0);
	ASSERT_INT_EQ(rkmp_state_load(path, copy), RKMP_E_STATE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "ike_sa.pending.nonce: missing (ike_sa.pending.op 6 "
	    "needs it)");
	rkmp_sa_wipe(copy);
	p.a->pending.nonce.len = 32;
	memset(p.a->pending.nonce.p, 0x4e, 32);
	p.a->pending.dh_group = p.a->suite.dh;
	ASSERT_INT_EQ(rkmp_state_save(path, p.a), 0);
	ASSERT_INT_EQ(rkmp_state_load(path, copy), RKMP_E_STATE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "secrets.dh_private: missing (ike_sa.pending.dh_group "
	    "needs it)");
	rkmp_sa_wipe(copy);
	p.a->sec.dh_private_len = rkmp_crypto_dh_lookup(p.a->suite.dh)->priv_len;
	memset(p.a->sec.dh_private, 0x11, p.a->sec.dh_private_len);
	ASSERT_INT_EQ(rkmp_state_save(path, p.a), 0);
	ASSERT_INT_EQ(rkmp_state_load(path, copy), 0);
	ASSERT_INT_EQ(copy->pending.ike_spi, 0x0123456789abcdefULL);
	ASSERT_INT_EQ(copy->pending.retries, 2);
	rkmp_sa_wipe(copy);
	/* an old SA without its keys, or with a 0 SPI, is refused */
	p.a->old.e_len = 0;
	ASSERT_INT_EQ(rkmp_state_save(path, p.a), 0);
	ASSERT_INT_EQ(rkmp_state_load(path, copy), RKMP_E_STATE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "secrets.old_sk_ei: missing (ike_sa.old needs it)");
	rkmp_sa_wipe(copy);
	p.a->old.e_len = 16;
	p.a->old.spi_r = 0;
	ASSERT_INT_EQ(rkmp_state_save(path, p.a), 0);
	ASSERT_INT_EQ(rkmp_state_load(path, copy), RKMP_E_STATE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "ike_sa.old: SPIs");
	rkmp_sa_wipe(copy);
	/* and rkmp_sa_wipe leaves nothing of the old SA */
	rkmp_sa_wipe(p.a);
	ASSERT_INT_EQ(p.a->old.spi_i, 0);
	ASSERT_INT_EQ(p.a->old.e_len, 0);
	free(copy);
	msgb_free(&q);
	msgb_free(&s);
	msgb_free(&d);
	pair_free(&p);
}

/* Task 2: a child request with PFS answered INVALID_KE_PAYLOAD is repeated with the group asked for. */
TEST(child_invalid_ke_retry)
{
	struct pair p;
	struct rkmp_child_req c = { .op = RKMP_CHILD_CREATE, .protocol = RKMP_PROTO_TCP_AO,
	    .pfs_group = 31 };
	struct rkmp_child_req rk = { .op = RKMP_CHILD_REKEY, .pfs_group = 31 };
	struct msgb q = { 0 }, s = { 0 }, q2 = { 0 };
	size_t n;

	ASSERT_INT_EQ(pair_new(&p, RKMP_PROPOSAL_DEFAULT, RKMP_PROFILE_RKMP, false), 0);
	snprintf(p.b->proposals, sizeof(p.b->proposals), "aes256gcm16-prfsha256-ecp256");
	n = p.a->nchildren;
	ASSERT_INT_EQ(step(REQ, p.a, &c, NULL, &q), 0);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_IKE_AGAIN);
	ASSERT_STR_CONTAINS(last_note, "INVALID_KE_PAYLOAD (ECP_256)");
	ASSERT_INT_EQ(reload(&p, p.b), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, &q2), RKMP_IKE_AGAIN);
	ASSERT_TRUE(last_save && last_send);
	ASSERT_STR_CONTAINS(last_note, "asked for KE group ECP_256");
	ASSERT_INT_EQ(p.a->pending.op, RKMP_CHILD_CREATE);
	ASSERT_INT_EQ(p.a->pending.dh_group, 19);
	ASSERT_INT_EQ(p.a->pending.retries, 1);
	ASSERT_INT_EQ(p.a->nchildren, n + 1);	/* the proposed child is reused */
	ASSERT_INT_EQ(reload(&p, p.a), 0);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q2, &s), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, NULL), 0);
	ASSERT_TRUE(last_child_agrees(&p));
	ASSERT_INT_EQ(p.a->nchildren, n + 1);
	/* a rekey with PFS takes the same way, keeping its target */
	rk.spi_len = p.a->children[0].spi_size;
	memcpy(rk.spi, p.a->children[0].spi_local, rk.spi_len);
	ASSERT_INT_EQ(step(REQ, p.a, &rk, NULL, &q), 0);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_IKE_AGAIN);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, &q2), RKMP_IKE_AGAIN);
	ASSERT_INT_EQ(p.a->pending.op, RKMP_CHILD_REKEY);
	ASSERT_MEM_EQ(p.a->pending.target, rk.spi, rk.spi_len);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q2, &s), 0);
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, NULL), 0);
	ASSERT_TRUE(last_child_agrees(&p));
	ASSERT_STR_EQ(rkmp_child_state_name(p.a->children[0].state), "rekeyed");
	ASSERT_STR_EQ(rkmp_child_state_name(p.b->children[0].state), "rekeyed");
	/* a group we do not take: the child refused, the groups named */
	ASSERT_INT_EQ(step(REQ, p.a, &c, NULL, &q), 0);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_IKE_AGAIN);
	snprintf(p.a->proposals, sizeof(p.a->proposals), "aes256gcm16-prfsha256-x25519");
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, &q2), RKMP_E_REFUSED);
	ASSERT_TRUE(last_save && !last_send);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "asks for ECP_256 (19); we sent CURVE25519 and accept CURVE25519");
	ASSERT_STR_EQ(rkmp_child_state_name(p.a->children[p.a->nchildren - 1].state), "refused");
	ASSERT_STR_CONTAINS(p.a->children[p.a->nchildren - 1].reason, "INVALID_KE_PAYLOAD");
	ASSERT_INT_EQ(p.a->pending.op, RKMP_CHILD_NONE);
	msgb_free(&q);
	msgb_free(&s);
	msgb_free(&q2);
	pair_free(&p);
}

/* Without PFS there is nothing to repeat: INVALID_KE_PAYLOAD refuses the child. */
TEST(child_invalid_ke_without_pfs)
{
	struct pair p;
	struct rkmp_child_req c = { .op = RKMP_CHILD_CREATE, .protocol = RKMP_PROTO_BFD,
	    .pfs_group = 31 };
	struct msgb q = { 0 }, s = { 0 }, q2 = { 0 };

	ASSERT_INT_EQ(pair_new(&p, RKMP_PROPOSAL_DEFAULT, RKMP_PROFILE_RKMP, false), 0);
	snprintf(p.b->proposals, sizeof(p.b->proposals), "aes256gcm16-prfsha256-ecp256");
	ASSERT_INT_EQ(step(REQ, p.a, &c, NULL, &q), 0);
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_IKE_AGAIN);
	p.a->pending.dh_group = 0;	/* as if our request had no KE */
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, &q2), RKMP_E_REFUSED);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "we sent no KE");
	msgb_free(&q);
	msgb_free(&s);
	msgb_free(&q2);
	pair_free(&p);
}

/*
 * INVALID_SYNTAX is fatal for the RKMP SA (RFC 7296 §2.21.3): a request that
 * passes its ICV but lacks its SA payload is answered with it, and both sides
 * fail the SA.  A tampered request (ICV wrong) is no such verdict.
 */
TEST(child_invalid_syntax_is_fatal)
{
	struct pair p;
	const struct rkmp_encr_alg *encr;
	const struct rkmp_integ_alg *integ;
	struct rkmp_sk_dir d;
	struct rkmp_pld nonce;
	struct rkmp_msg h;
	struct rkmp_buf b;
	struct msgb q = { 0 }, s = { 0 };
	uint8_t iv[32] = { 0 }, n[32];
	uint8_t *before;
	size_t blen;

	ASSERT_INT_EQ(pair_new(&p, "aes256-sha256-modp2048", RKMP_PROFILE_RKMP, false), 0);
	encr = rkmp_crypto_encr_lookup(p.a->suite.encr, p.a->suite.encr_bits);
	integ = rkmp_crypto_integ_lookup(p.a->suite.integ);
	ASSERT_TRUE(encr != NULL && integ != NULL);
	/* A's CREATE_CHILD_SA request with a Nonce and no SA payload, under A's keys */
	d = (struct rkmp_sk_dir){ encr, integ, p.a->sec.sk_ei, p.a->sec.sk_ai };
	memset(&h, 0, sizeof(h));
	h.spi_i = p.a->spi_i;
	h.spi_r = p.a->spi_r;
	h.version = RKMP_VERSION_2_0;
	h.exchange = RKMP_EXCH_CREATE_CHILD;
	h.flags = RKMP_FLAG_I;
	h.msg_id = p.a->mid_next;
	memset(n, 0x5a, sizeof(n));
	memset(&nonce, 0, sizeof(nonce));
	nonce.type = RKMP_PLD_NONCE;
	nonce.known = true;
	nonce.u.opaque.data = n;
	nonce.u.opaque.len = sizeof(n);
	rkmp_buf_init(&b, 65535);
	ASSERT_INT_EQ(rkmp_sk_protect(&h, &nonce, 1, &d, iv, &b), 0);
	q.len = b.len;
	q.p = malloc(b.len);
	ASSERT_TRUE(q.p != NULL);
	memcpy(q.p, b.p, b.len);
	rkmp_buf_free(&b);
	p.a->pending.op = RKMP_CHILD_CREATE;
	p.a->pending.msg_id = p.a->mid_next++;
	p.a->pending.protocol = RKMP_PROTO_TCP_AO;

	/* tampered: not authentic, not a verdict: B untouched */
	before = snapshot(&p, p.b, &blen);
	q.p[q.len - 1] ^= 1;
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_E_REFUSED);	/* ICV mismatch */
	ASSERT_TRUE(!last_save);
	ASSERT_TRUE(same_snapshot(&p, p.b, before, blen));
	free(before);
	q.p[q.len - 1] ^= 1;

	/* authentic: answered INVALID_SYNTAX, B's SA failed */
	ASSERT_INT_EQ(step(RESP, p.b, NULL, &q, &s), RKMP_E_REFUSED);
	ASSERT_TRUE(last_save && last_send && s.len > 0);
	ASSERT_INT_EQ(p.b->phase, RKMP_PHASE_FAILED);
	ASSERT_STR_CONTAINS(p.b->reason, "INVALID_SYNTAX");
	ASSERT_STR_CONTAINS(p.b->reason, "SA");
	/* A reads it: its SA failed too */
	ASSERT_INT_EQ(step(PROC, p.a, NULL, &s, NULL), RKMP_E_REFUSED);
	ASSERT_TRUE(last_save);
	ASSERT_INT_EQ(p.a->phase, RKMP_PHASE_FAILED);
	ASSERT_STR_EQ(p.a->reason, "the peer answered INVALID_SYNTAX: the RKMP SA failed");
	ASSERT_INT_EQ(p.a->pending.op, RKMP_CHILD_NONE);
	msgb_free(&q);
	msgb_free(&s);
	pair_free(&p);
}

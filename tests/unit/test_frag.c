/* SPDX-License-Identifier: MIT */
/*
 * test_frag.c — RFC 7383 IKE fragmentation, both sides driven in memory
 * through lib/ike_*.c (the real engine, real keys), and the transport's
 * collector lib/frag.c:
 *
 *   frag_both_ways       agreement in RKMP_SA_INIT over "UDP" (cfg.local and
 *                        cfg.remote), RKMP_SA_AUTH and a CREATE_CHILD_SA with
 *                        PFS fragmented in both directions, AEAD and CBC+HMAC
 *   frag_reorder_dup     fragments through struct rkmp_frags shuffled and
 *                        duplicated: the join is the sent bytes; one missing:
 *                        never complete, the engine refuses the rest
 *   frag_forged          one octet flipped (ICV, ciphertext, IV, Total
 *                        Fragments): refused by rkmp_ike_fragment_check and
 *                        by the engine, the SA unchanged
 *   frag_collect_limits  hand-made datagrams against rkmp_frags_peek / _add /
 *                        _join / _same / _next: RKMP_FRAGS_MAX, RKMP_MSG_MAX,
 *                        Total Fragments, Fragment Number, another message
 *   frag_not_agreed      no N(IKEV2_FRAGMENTATION_SUPPORTED) offered: nothing
 *                        is fragmented, and forced fragments are refused
 *   frag_max_small       sa->frag_max too small: RKMP_E_USAGE, nothing sent
 *   frag_threshold       a message of exactly frag_max octets goes whole
 */
#include <sys/stat.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "frag.h"
#include "ike.h"
#include "proposal.h"
#include "sa.h"
#include "state.h"
#include "udp.h"
#include "wire.h"
#include "test_helper.h"
#include "tests.h"

static const uint8_t psk[] = "frag-unit-psk-0123456789";

/* ---------------------------------------------------------------- helpers */

struct blob {
	uint8_t	*p;
	size_t	 len;
};

struct pair {
	struct rkmp_sa		*a, *b;		/* a: initiator, b: responder */
	struct rkmp_udp_addr	 la, lb;	/* a's and b's loopback endpoints */
	bool			 udp_a, udp_b;	/* that side's cfg has local/remote */
	char			 dir[64];
};

/* One configuration of both sides. */
struct fcase {
	const char		*name;
	enum rkmp_profile	 profile;
	const char		*proposals;
	size_t			 frag_max;	/* IKE octets per datagram */
};

static const struct fcase cases[] = {
	/* AES-GCM-16 (AEAD, 8-octet IV, 16-octet tag), X25519 */
	{ "rkmp aead", RKMP_PROFILE_RKMP, RKMP_PROPOSAL_DEFAULT, 100 },
	/* AES-CBC-256 with HMAC-SHA-256-128 (16-octet blocks, IV, ICV), MODP-2048 */
	{ "ikev2 cbc", RKMP_PROFILE_IKEV2, "aes256-sha256-modp2048", 160 },
};

/* What the last step said. */
static struct {
	bool		 save, send;
	unsigned	 fragments;
} last;

static void
blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

static int
blob_set(struct blob *b, const uint8_t *p, size_t len)
{
	blob_free(b);
	if ((b->p = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(b->p, p, len);
	b->len = len;
	return 0;
}

static void
cfg_of(const struct pair *p, const struct rkmp_sa *sa, struct rkmp_ike_cfg *cfg)
{
	bool is_a = sa == p->a;

	memset(cfg, 0, sizeof(*cfg));
	cfg->psk = psk;
	cfg->psk_len = sizeof(psk) - 1;
	if (is_a ? p->udp_a : p->udp_b) {
		cfg->local = is_a ? &p->la : &p->lb;
		cfg->remote = is_a ? &p->lb : &p->la;
	}
}

enum step_kind {
	INIT_REQ, INIT_RESP, INIT_PROC, AUTH_REQ, AUTH_RESP, AUTH_PROC, CHILD_REQ, CHILD_RESP,
	CHILD_PROC
};

/* One call of the engine by sa (p->a or p->b; the cfg is that side's): its
 * return code, its message copied into out. */
static int
step(struct pair *p, enum step_kind k, struct rkmp_sa *sa, const struct rkmp_child_req *req,
    const struct blob *in, struct blob *out)
{
	struct rkmp_ike_cfg cfg;
	struct rkmp_ike_out o;
	const uint8_t *ip = in != NULL ? in->p : NULL;
	size_t ilen = in != NULL ? in->len : 0;
	int r = RKMP_E_INTERNAL;

	cfg_of(p, sa, &cfg);
	cfg.child = req;
	rkmp_ike_out_init(&o);
	switch (k) {
	case INIT_REQ:	r = rkmp_ike_init_request(sa, &cfg, &o); break;
	case INIT_RESP:	r = rkmp_ike_init_respond(sa, &cfg, ip, ilen, &o); break;
	case INIT_PROC:	r = rkmp_ike_init_process(sa, &cfg, ip, ilen, &o); break;
	case AUTH_REQ:	r = rkmp_ike_auth_request(sa, &cfg, &o); break;
	case AUTH_RESP:	r = rkmp_ike_auth_respond(sa, &cfg, ip, ilen, &o); break;
	case AUTH_PROC:	r = rkmp_ike_auth_process(sa, &cfg, ip, ilen, &o); break;
	case CHILD_REQ:	r = rkmp_ike_child_request(sa, &cfg, req, &o); break;
	case CHILD_RESP: r = rkmp_ike_child_respond(sa, &cfg, ip, ilen, &o); break;
	case CHILD_PROC: r = rkmp_ike_child_process(sa, &cfg, ip, ilen, &o); break;
	}
	last.save = o.save;
	last.send = o.send;
	last.fragments = o.fragments;
	if (out != NULL) {
		blob_free(out);
		if (o.send && o.msg.len > 0 && blob_set(out, o.msg.p, o.msg.len) != 0)
			r = RKMP_E_NOMEM;
	}
	rkmp_ike_out_free(&o);
	return r;
}

static int
state_path(const struct pair *p, const char *name, char *path, size_t n)
{
	return snprintf(path, n, "%s/%s.json", p->dir, name) >= (int)n ? -1 : 0;
}

/* Save sa as name.json in the pair's directory. */
static int
save_as(const struct pair *p, const struct rkmp_sa *sa, const char *name)
{
	char path[128];

	if (state_path(p, name, path, sizeof(path)) != 0)
		return -1;
	return rkmp_state_save(path, sa);
}

/* Load name.json into sa (wiped first); frag_max, in memory only, is 0 after. */
static int
load_as(const struct pair *p, struct rkmp_sa *sa, const char *name)
{
	char path[128];

	if (state_path(p, name, path, sizeof(path)) != 0)
		return -1;
	rkmp_sa_wipe(sa);
	return rkmp_state_load(path, sa);
}

/* Save and load again: a new process, as the step binaries run. */
static int
reload(struct pair *p, struct rkmp_sa *sa)
{
	const char *name = sa == p->a ? "a" : "b";
	int r;

	if ((r = save_as(p, sa, name)) != 0)
		return r;
	return load_as(p, sa, name);
}

static void
pair_free(struct pair *p)
{
	static const char *const names[] = { "a", "b", "a0", "b0" };
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
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (state_path(p, names[i], path, sizeof(path)) == 0)
				unlink(path);
		rmdir(p->dir);
		p->dir[0] = '\0';
	}
}

/*
 * Both sides through RKMP_SA_INIT; udp_a / udp_b: whether that side's cfg
 * names the UDP endpoints (127.0.0.1:500 for a, 127.0.0.2:500 for b), which
 * makes the initiator offer fragmentation.  Both saved and loaded again.
 */
static int
pair_new(struct pair *p, const struct fcase *c, bool udp_a, bool udp_b)
{
	char tmpl[] = "/tmp/rkmp-test-frag-XXXXXX";
	struct blob m1 = { 0 }, m2 = { 0 };
	int r;

	memset(p, 0, sizeof(*p));
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(p->dir, sizeof(p->dir), "%s", tmpl);
	if ((r = rkmp_udp_parse("127.0.0.1", RKMP_PORT_IKE, &p->la)) != 0 ||
	    (r = rkmp_udp_parse("127.0.0.2", RKMP_PORT_IKE, &p->lb)) != 0)
		return r;
	p->udp_a = udp_a;
	p->udp_b = udp_b;
	if ((p->a = calloc(1, sizeof(*p->a))) == NULL || (p->b = calloc(1, sizeof(*p->b))) == NULL)
		return -1;
	rkmp_sa_init(p->a);
	rkmp_sa_init(p->b);
	p->a->initiator = true;
	p->a->profile = p->b->profile = c->profile;
	snprintf(p->a->proposals, sizeof(p->a->proposals), "%s", c->proposals);
	snprintf(p->b->proposals, sizeof(p->b->proposals), "%s", c->proposals);
	snprintf(p->a->id_local, sizeof(p->a->id_local), "fqdn:a.frag.rkmp.test");
	snprintf(p->b->id_local, sizeof(p->b->id_local), "fqdn:b.frag.rkmp.test");
	if ((r = step(p, INIT_REQ, p->a, NULL, NULL, &m1)) == 0 &&
	    (r = step(p, INIT_RESP, p->b, NULL, &m1, &m2)) == 0 &&
	    (r = step(p, INIT_PROC, p->a, NULL, &m2, NULL)) == 0 &&
	    (r = reload(p, p->a)) == 0)
		r = reload(p, p->b);
	blob_free(&m1);
	blob_free(&m2);
	return r;
}

/* The datagrams of b (whole IKE messages one after another); their number, -1 on a bad walk. */
static int
split(const struct blob *b, const uint8_t **dg, size_t *len, size_t max)
{
	size_t off = 0, mlen;
	int r, n = 0;

	while ((r = rkmp_frags_next(b->p, b->len, &off, &mlen)) > 0) {
		if ((size_t)n == max)
			return -1;
		dg[n] = b->p + off;
		len[n++] = mlen;
		off += mlen;
	}
	return r < 0 ? -1 : n;
}

/* The SA's negotiated encryption (and integrity, for CBC). */
static const struct rkmp_encr_alg *
sa_encr(const struct rkmp_sa *sa)
{
	return rkmp_crypto_encr_lookup(sa->suite.encr, sa->suite.encr_bits);
}

/* Octets of an SKF message besides its data and padding: header, SKF header
 * with number and total, IV, ICV (RFC 7383 §2.5). */
static size_t
skf_fixed(const struct rkmp_sa *sa)
{
	const struct rkmp_encr_alg *e = sa_encr(sa);
	const struct rkmp_integ_alg *i = sa->suite.integ ? rkmp_crypto_integ_lookup(sa->suite.integ) : NULL;

	if (e == NULL || (!e->aead && i == NULL))
		return 0;
	return RKMP_HDR_LEN + RKMP_GEN_HDR_LEN + 4 + e->iv_len + (e->aead ? e->icv_len : i->icv_len);
}

#define MAXDG	RKMP_FRAGS_MAX

/*
 * What `from` sent in b is `want` > 1 fragments (o.fragments) that walk as
 * whole IKE messages: each at most frag_max octets and filled but for the
 * last (less than a block of room left), numbered 1..N of N, the same message
 * (one header but for Length), verified by the receiver `to`
 * (rkmp_ike_fragment_check 1) and refused by the sender itself (a reflection:
 * the I flag is its own).
 */
static void
check_fragments(const struct blob *b, unsigned want, struct rkmp_sa *from, struct rkmp_sa *to)
{
	const uint8_t *dg[MAXDG];
	size_t len[MAXDG], block;
	const struct rkmp_encr_alg *e = sa_encr(from);
	uint16_t num, total;
	int n;

	ASSERT_TRUE(e != NULL);
	block = e->aead ? 1 : e->block_len;
	ASSERT_TRUE(want > 1);
	ASSERT_INT_EQ(n = split(b, dg, len, MAXDG), want);
	for (int i = 0; i < n; i++) {
		ASSERT_TRUE(len[i] <= from->frag_max);
		if (i + 1 < n)
			ASSERT_TRUE(len[i] + block > from->frag_max);
		ASSERT_INT_EQ(rkmp_frags_peek(dg[i], len[i], &num, &total), 1);
		ASSERT_INT_EQ(num, i + 1);
		ASSERT_INT_EQ(total, n);
		ASSERT_INT_EQ(rkmp_frags_same(dg[0], dg[i]), 0);
		ASSERT_INT_EQ(rkmp_ike_fragment_check(to, dg[i], len[i]), 1);
		ASSERT_INT_EQ(rkmp_ike_fragment_check(from, dg[i], len[i]), RKMP_E_INVALID);
	}
}

static bool
sk_equal(const struct rkmp_sa *x, const struct rkmp_sa *y)
{
	return x->sec.d_len > 0 && x->sec.d_len == y->sec.d_len && x->sec.a_len == y->sec.a_len &&
	    x->sec.e_len == y->sec.e_len && x->sec.p_len == y->sec.p_len &&
	    memcmp(x->sec.sk_d, y->sec.sk_d, x->sec.d_len) == 0 &&
	    memcmp(x->sec.sk_ai, y->sec.sk_ai, x->sec.a_len) == 0 &&
	    memcmp(x->sec.sk_ar, y->sec.sk_ar, x->sec.a_len) == 0 &&
	    memcmp(x->sec.sk_ei, y->sec.sk_ei, x->sec.e_len) == 0 &&
	    memcmp(x->sec.sk_er, y->sec.sk_er, x->sec.e_len) == 0;
}

/* The last child of each side is the same established SA, SPIs crossed. */
static bool
last_child_equal(const struct rkmp_sa *x, const struct rkmp_sa *y)
{
	const struct rkmp_sa_child *cx, *cy;

	if (x->nchildren == 0 || y->nchildren == 0)
		return false;
	cx = &x->children[x->nchildren - 1];
	cy = &y->children[y->nchildren - 1];
	return cx->state == RKMP_CHILD_ESTABLISHED && cy->state == RKMP_CHILD_ESTABLISHED &&
	    cx->protocol == cy->protocol && cx->spi_size == cy->spi_size &&
	    memcmp(cx->spi_local, cy->spi_peer, cx->spi_size) == 0 &&
	    memcmp(cx->spi_peer, cy->spi_local, cx->spi_size) == 0 &&
	    cx->keymat_len > 0 && cx->keymat_len == cy->keymat_len &&
	    memcmp(cx->keymat, cy->keymat, cx->keymat_len) == 0;
}

/* What must not change when a peer's message is refused. */
struct mark {
	enum rkmp_phase	 phase;
	uint32_t	 mid_next, mid_peer;
	size_t		 ntranscript, nchildren;
	uint64_t	 iv_counter_out;
	uint8_t		 pending_op;
};

static void
mark_take(struct mark *m, const struct rkmp_sa *sa)
{
	memset(m, 0, sizeof(*m));
	m->phase = sa->phase;
	m->mid_next = sa->mid_next;
	m->mid_peer = sa->mid_peer;
	m->ntranscript = sa->ntranscript;
	m->nchildren = sa->nchildren;
	m->iv_counter_out = sa->iv_counter_out;
	m->pending_op = sa->pending.op;
}

static bool
mark_same(const struct mark *m, const struct rkmp_sa *sa)
{
	struct mark now;

	mark_take(&now, sa);
	return memcmp(m, &now, sizeof(now)) == 0;
}

/* A refused message changed nothing and asked for nothing to be saved or sent. */
#define ASSERT_UNCHANGED(mk, sa) do { \
	ASSERT_TRUE(mark_same((mk), (sa))); \
	ASSERT_TRUE(!last.save); \
	ASSERT_TRUE(!last.send); \
} while (0)

/* A deterministic permutation of 0..n-1 (a small LCG). */
static void
shuffle(unsigned *v, unsigned n, uint32_t seed)
{
	for (unsigned i = 0; i < n; i++)
		v[i] = i;
	for (unsigned i = n; i > 1; i--) {
		unsigned j, t;

		seed = seed * 1103515245u + 12345u;
		j = (seed >> 16) % i;
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* ---------------------------------------------------------------- 1. both ways */

static void
both_ways_run(struct pair *p, const struct fcase *c)
{
	struct rkmp_child_req cr = { .op = RKMP_CHILD_CREATE };
	struct blob q = { 0 }, s = { 0 }, s2 = { 0 };
	struct mark mk;
	int r;

	ASSERT_INT_EQ(pair_new(p, c, true, true), 0);
	ASSERT_INT_EQ(p->a->phase, RKMP_PHASE_INIT_DONE);
	ASSERT_INT_EQ(p->b->phase, RKMP_PHASE_INIT_DONE);
	/* agreed, and kept across the state file */
	ASSERT_TRUE(p->a->fragmentation);
	ASSERT_TRUE(p->b->fragmentation);
	ASSERT_TRUE(!p->a->nat && !p->b->nat);
	p->a->frag_max = p->b->frag_max = c->frag_max;

	/* RKMP_SA_AUTH request: N > 1 fragments */
	r = step(p, AUTH_REQ, p->a, NULL, NULL, &q);
	if (r != 0)
		test_fail(__FILE__, __LINE__, "%s: AUTH request %d %s", c->name, r, rkmp_err_text());
	ASSERT_INT_EQ(r, 0);
	ASSERT_TRUE(last.send && last.save);
	check_fragments(&q, last.fragments, p->a, p->b);
	if (test_failed_now)
		goto out;
	/* not an answer of ours to ourselves */
	ASSERT_INT_EQ(rkmp_ike_is_answer(p->a, q.p, q.len), 0);

	/* the responder takes them joined, answers in fragments too */
	r = step(p, AUTH_RESP, p->b, NULL, &q, &s);
	if (r != 0)
		test_fail(__FILE__, __LINE__, "%s: AUTH respond %d %s", c->name, r, rkmp_err_text());
	ASSERT_INT_EQ(r, 0);
	ASSERT_INT_EQ(p->b->phase, RKMP_PHASE_ESTABLISHED);
	check_fragments(&s, last.fragments, p->b, p->a);
	if (test_failed_now)
		goto out;
	ASSERT_INT_EQ(rkmp_ike_is_answer(p->a, s.p, s.len), 1);
	ASSERT_INT_EQ(rkmp_ike_is_answer(p->b, s.p, s.len), 0);
	r = step(p, AUTH_PROC, p->a, NULL, &s, NULL);
	if (r != 0)
		test_fail(__FILE__, __LINE__, "%s: AUTH process %d %s", c->name, r, rkmp_err_text());
	ASSERT_INT_EQ(r, 0);
	ASSERT_INT_EQ(p->a->phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_TRUE(sk_equal(p->a, p->b));
	ASSERT_TRUE(last_child_equal(p->a, p->b));
	ASSERT_STR_EQ(p->a->id_peer_seen, "fqdn:b.frag.rkmp.test");
	ASSERT_STR_EQ(p->b->id_peer_seen, "fqdn:a.frag.rkmp.test");

	/* after a save and load (frag_max is not saved), the responder's own
	 * request: CREATE_CHILD_SA with PFS, fragmented both ways */
	ASSERT_INT_EQ(reload(p, p->a), 0);
	ASSERT_INT_EQ(reload(p, p->b), 0);
	ASSERT_TRUE(p->a->fragmentation && p->b->fragmentation);
	ASSERT_INT_EQ(p->a->frag_max, 0);
	p->a->frag_max = p->b->frag_max = c->frag_max;
	cr.pfs_group = p->a->suite.dh;
	r = step(p, CHILD_REQ, p->b, &cr, NULL, &q);
	if (r != 0)
		test_fail(__FILE__, __LINE__, "%s: child request %d %s", c->name, r, rkmp_err_text());
	ASSERT_INT_EQ(r, 0);
	check_fragments(&q, last.fragments, p->b, p->a);
	if (test_failed_now)
		goto out;
	r = step(p, CHILD_RESP, p->a, NULL, &q, &s);
	if (r != 0)
		test_fail(__FILE__, __LINE__, "%s: child respond %d %s", c->name, r, rkmp_err_text());
	ASSERT_INT_EQ(r, 0);
	check_fragments(&s, last.fragments, p->a, p->b);
	if (test_failed_now)
		goto out;
	/* the request again (the peer missed our answer): the same fragments again */
	mark_take(&mk, p->a);
	ASSERT_INT_EQ(step(p, CHILD_RESP, p->a, NULL, &q, &s2), RKMP_IKE_AGAIN);
	ASSERT_TRUE(last.send);
	ASSERT_INT_EQ(s2.len, s.len);
	ASSERT_MEM_EQ(s2.p, s.p, s.len);
	ASSERT_TRUE(mark_same(&mk, p->a));
	/* the repeated answer from the transcript says it is fragments too */
	ASSERT_TRUE(last.fragments > 1);
	ASSERT_INT_EQ(rkmp_ike_is_answer(p->b, s.p, s.len), 1);
	r = step(p, CHILD_PROC, p->b, NULL, &s, NULL);
	if (r != 0)
		test_fail(__FILE__, __LINE__, "%s: child process %d %s", c->name, r, rkmp_err_text());
	ASSERT_INT_EQ(r, 0);
	ASSERT_INT_EQ(p->b->pending.op, RKMP_CHILD_NONE);
	ASSERT_TRUE(last_child_equal(p->a, p->b));
	ASSERT_INT_EQ(p->a->nchildren, 2);
out:
	blob_free(&q);
	blob_free(&s);
	blob_free(&s2);
}

TEST(frag_both_ways)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && !test_failed_now; i++) {
		struct pair p;

		both_ways_run(&p, &cases[i]);
		pair_free(&p);
		if (test_failed_now)
			test_fail(__FILE__, __LINE__, "in case \"%s\"", cases[i].name);
	}
}

/* ---------------------------------------------------------------- 2. loss, copies, order */

/*
 * Datagrams dg[0..n-1] of one message through struct rkmp_frags in the order
 * of a shuffle, each new one followed by copies of fragments already kept:
 * 0 until the last distinct one, 1 then; a copy after that still 0; the join
 * is exactly the message as sent.  *joined gets it.
 */
static void
collect_all(const struct blob *sent, uint32_t seed, struct blob *joined)
{
	const uint8_t *dg[MAXDG];
	size_t len[MAXDG];
	unsigned order[MAXDG], dropped = 0;
	struct rkmp_frags f;
	uint8_t *out = NULL;
	size_t olen = 0;
	int n;

	memset(&f, 0, sizeof(f));
	ASSERT_TRUE((n = split(sent, dg, len, MAXDG)) > 1);
	shuffle(order, (unsigned)n, seed);
	for (int i = 0; i < n; i++) {
		unsigned k = order[i];

		ASSERT_INT_EQ(rkmp_frags_add(&f, dg[k], len[k], &dropped), i + 1 == n ? 1 : 0);
		ASSERT_INT_EQ(f.nhave, i + 1);
		/* copies of the first kept and of this one: nothing changes */
		ASSERT_INT_EQ(rkmp_frags_add(&f, dg[order[0]], len[order[0]], &dropped), 0);
		ASSERT_INT_EQ(rkmp_frags_add(&f, dg[k], len[k], &dropped), 0);
		ASSERT_INT_EQ(f.nhave, i + 1);
	}
	ASSERT_INT_EQ(dropped, 0);
	ASSERT_INT_EQ(f.total, n);
	ASSERT_INT_EQ(f.bytes, sent->len);
	ASSERT_INT_EQ(rkmp_frags_join(&f, &out, &olen), 0);
	ASSERT_TRUE(!f.used && f.nhave == 0);	/* emptied */
	ASSERT_INT_EQ(olen, sent->len);
	ASSERT_MEM_EQ(out, sent->p, sent->len);
	ASSERT_INT_EQ(blob_set(joined, out, olen), 0);
	free(out);
	/* a late copy after the join starts a collection of its own */
	ASSERT_INT_EQ(rkmp_frags_add(&f, dg[order[0]], len[order[0]], &dropped), 0);
	ASSERT_TRUE(f.used && f.nhave == 1);
	ASSERT_INT_EQ(dropped, 0);
	rkmp_frags_reset(&f);
	ASSERT_TRUE(!f.used && f.nhave == 0 && f.bytes == 0);
}

/*
 * With fragment `miss` never arriving (the others shuffled, each several
 * times): never complete, join refused.  The rest joined by hand is refused by
 * the engine (the receiver `to`: responder when resp is false).
 */
static void
collect_missing(struct pair *p, const struct blob *sent, int miss, bool resp)
{
	const uint8_t *dg[MAXDG];
	size_t len[MAXDG];
	unsigned order[MAXDG], dropped = 0;
	struct rkmp_frags f;
	struct rkmp_sa *to = resp ? p->a : p->b;
	struct blob part = { 0 };
	struct mark mk;
	static uint8_t sentinel;
	uint8_t *out = &sentinel;
	size_t olen = 1, off = 0;
	int n, r;

	memset(&f, 0, sizeof(f));
	ASSERT_TRUE((n = split(sent, dg, len, MAXDG)) > 1);
	for (uint32_t round = 0; round < 3; round++) {
		shuffle(order, (unsigned)n, 77 + round);
		for (int i = 0; i < n; i++)
			if ((int)order[i] != miss)
				ASSERT_INT_EQ(rkmp_frags_add(&f, dg[order[i]], len[order[i]], &dropped), 0);
	}
	ASSERT_INT_EQ(f.nhave, n - 1);
	ASSERT_INT_EQ(dropped, 0);
	ASSERT_INT_EQ(rkmp_frags_join(&f, &out, &olen), RKMP_E_INTERNAL);
	ASSERT_TRUE(out == NULL && olen == 0);
	rkmp_frags_reset(&f);

	/* the engine, given the others one after another */
	ASSERT_TRUE((part.p = malloc(sent->len)) != NULL);
	for (int i = 0; i < n; i++)
		if (i != miss) {
			memcpy(part.p + off, dg[i], len[i]);
			off += len[i];
		}
	part.len = off;
	mark_take(&mk, to);
	if (resp) {
		ASSERT_INT_EQ(rkmp_ike_is_answer(to, part.p, part.len), 0);
		r = step(p, AUTH_PROC, to, NULL, &part, NULL);
	} else
		r = step(p, AUTH_RESP, to, NULL, &part, NULL);
	blob_free(&part);
	ASSERT_INT_EQ(r, RKMP_E_INVALID);
	ASSERT_UNCHANGED(&mk, to);
}

static void
reorder_run(struct pair *p)
{
	const struct fcase *c = &cases[0];
	struct blob q = { 0 }, s = { 0 }, j = { 0 };
	int n;

	ASSERT_INT_EQ(pair_new(p, c, true, true), 0);
	p->a->frag_max = p->b->frag_max = c->frag_max;
	ASSERT_INT_EQ(step(p, AUTH_REQ, p->a, NULL, NULL, &q), 0);
	ASSERT_TRUE((n = (int)last.fragments) > 2);
	for (int miss = 0; miss < n && !test_failed_now; miss++)
		collect_missing(p, &q, miss, false);
	if (test_failed_now)
		goto out;
	for (uint32_t seed = 1; seed <= 8 && !test_failed_now; seed++)
		collect_all(&q, seed, &j);
	if (test_failed_now)
		goto out;
	ASSERT_INT_EQ(step(p, AUTH_RESP, p->b, NULL, &j, &s), 0);
	ASSERT_INT_EQ(p->b->phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_TRUE((n = (int)last.fragments) > 2);

	for (int miss = 0; miss < n && !test_failed_now; miss++)
		collect_missing(p, &s, miss, true);
	if (test_failed_now)
		goto out;
	collect_all(&s, 4242, &j);
	if (test_failed_now)
		goto out;
	ASSERT_INT_EQ(rkmp_ike_is_answer(p->a, j.p, j.len), 1);
	ASSERT_INT_EQ(step(p, AUTH_PROC, p->a, NULL, &j, NULL), 0);
	ASSERT_INT_EQ(p->a->phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_TRUE(sk_equal(p->a, p->b));
out:
	blob_free(&q);
	blob_free(&s);
	blob_free(&j);
}

TEST(frag_reorder_dup)
{
	struct pair p;

	reorder_run(&p);
	pair_free(&p);
}

/* ---------------------------------------------------------------- 3. forged */

/* Where in fragment k of n an octet is flipped. */
enum forge_at { AT_ICV, AT_CT, AT_IV, AT_TOTAL };

/*
 * sent with one octet of one fragment flipped: rkmp_ike_fragment_check
 * refuses that fragment (RKMP_E_REFUSED: ICV or tag) and still passes the
 * others; the engine refuses the whole, the receiver unchanged.
 */
static void
forge_one(struct pair *p, const struct blob *sent, int k, enum forge_at at, bool resp)
{
	const uint8_t *dg[MAXDG];
	size_t len[MAXDG], pos = 0;
	struct rkmp_sa *to = resp ? p->a : p->b;
	const struct rkmp_encr_alg *e = sa_encr(to);
	struct blob f = { 0 };
	struct mark mk;
	int n, r;

	ASSERT_TRUE(e != NULL);
	ASSERT_INT_EQ(blob_set(&f, sent->p, sent->len), 0);
	ASSERT_TRUE((n = split(&f, dg, len, MAXDG)) > k);
	switch (at) {
	case AT_ICV:	pos = len[k] - 1; break;
	case AT_CT:	pos = RKMP_HDR_LEN + RKMP_GEN_HDR_LEN + 4 + e->iv_len; break;
	case AT_IV:	pos = RKMP_HDR_LEN + RKMP_GEN_HDR_LEN + 4; break;
	case AT_TOTAL:	pos = RKMP_HDR_LEN + RKMP_GEN_HDR_LEN + 3; break;	/* low octet */
	}
	ASSERT_TRUE(pos < len[k]);
	if (at == AT_TOTAL)	/* n + 1: still a fragment that peeks well, in the AAD */
		f.p[(size_t)(dg[k] - f.p) + pos] = (uint8_t)(n + 1);
	else
		f.p[(size_t)(dg[k] - f.p) + pos] ^= 0x80;
	for (int i = 0; i < n; i++)
		ASSERT_INT_EQ(rkmp_ike_fragment_check(to, dg[i], len[i]), i == k ? RKMP_E_REFUSED : 1);
	mark_take(&mk, to);
	if (resp) {
		ASSERT_INT_EQ(rkmp_ike_is_answer(to, f.p, f.len), 0);
		r = step(p, AUTH_PROC, to, NULL, &f, NULL);
	} else
		r = step(p, AUTH_RESP, to, NULL, &f, NULL);
	blob_free(&f);
	ASSERT_TRUE(r < 0);
	ASSERT_UNCHANGED(&mk, to);
}

static void
forged_run(struct pair *p, const struct fcase *c)
{
	static const enum forge_at ats[] = { AT_ICV, AT_CT, AT_IV, AT_TOTAL };
	struct blob q = { 0 }, s = { 0 }, other = { 0 };
	const uint8_t *dg[MAXDG];
	size_t len[MAXDG];
	int n;

	ASSERT_INT_EQ(pair_new(p, c, true, true), 0);
	p->a->frag_max = p->b->frag_max = c->frag_max;
	ASSERT_INT_EQ(step(p, AUTH_REQ, p->a, NULL, NULL, &q), 0);
	ASSERT_TRUE((n = (int)last.fragments) > 1);
	for (int k = 0; k < n && !test_failed_now; k++)
		for (size_t i = 0; i < sizeof(ats) / sizeof(ats[0]) && !test_failed_now; i++)
			forge_one(p, &q, k, ats[i], false);
	if (test_failed_now)
		goto out;
	/* a fragment with the SPIs of another SA: not this SA's, before any crypto */
	ASSERT_INT_EQ(blob_set(&other, q.p, q.len), 0);
	ASSERT_TRUE(split(&other, dg, len, MAXDG) == n);
	other.p[9] ^= 0x01;	/* fragment 1's SPIr */
	ASSERT_INT_EQ(rkmp_ike_fragment_check(p->b, dg[0], len[0]), RKMP_E_INVALID);
	/* the genuine request, after all that */
	ASSERT_INT_EQ(step(p, AUTH_RESP, p->b, NULL, &q, &s), 0);
	ASSERT_INT_EQ(p->b->phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_TRUE((n = (int)last.fragments) > 1);
	for (int k = 0; k < n && !test_failed_now; k++)
		for (size_t i = 0; i < sizeof(ats) / sizeof(ats[0]) && !test_failed_now; i++)
			forge_one(p, &s, k, ats[i], true);
	if (test_failed_now)
		goto out;
	ASSERT_INT_EQ(p->a->phase, RKMP_PHASE_AUTH_SENT);
	ASSERT_INT_EQ(step(p, AUTH_PROC, p->a, NULL, &s, NULL), 0);
	ASSERT_INT_EQ(p->a->phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_TRUE(sk_equal(p->a, p->b));
out:
	blob_free(&q);
	blob_free(&s);
	blob_free(&other);
}

TEST(frag_forged)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && !test_failed_now; i++) {
		struct pair p;

		forged_run(&p, &cases[i]);
		pair_free(&p);
		if (test_failed_now)
			test_fail(__FILE__, __LINE__, "in case \"%s\"", cases[i].name);
	}
}

/* ---------------------------------------------------------------- 4. limits of collection */

/*
 * A hand-made Encrypted Fragments datagram into buf (at least 36 + data
 * octets): a valid IKE header (Length = the datagram), SKF payload with
 * number/total and `data` octets of 0x5a; no crypto (rkmp_frags checks none).
 */
static size_t
mkfrag(uint8_t *buf, uint64_t spi_i, uint8_t exchange, uint32_t mid, uint16_t num, uint16_t total,
    size_t data)
{
	size_t len = RKMP_HDR_LEN + RKMP_GEN_HDR_LEN + 4 + data;

	for (int i = 0; i < 8; i++) {
		buf[i] = (uint8_t)(spi_i >> (56 - 8 * i));
		buf[8 + i] = (uint8_t)(0xa0 + i);	/* SPIr */
	}
	buf[16] = RKMP_PLD_SKF;
	buf[17] = RKMP_VERSION_2_0;
	buf[18] = exchange;
	buf[19] = RKMP_FLAG_I;
	buf[20] = (uint8_t)(mid >> 24);
	buf[21] = (uint8_t)(mid >> 16);
	buf[22] = (uint8_t)(mid >> 8);
	buf[23] = (uint8_t)mid;
	buf[24] = (uint8_t)(len >> 24);
	buf[25] = (uint8_t)(len >> 16);
	buf[26] = (uint8_t)(len >> 8);
	buf[27] = (uint8_t)len;
	buf[28] = num == 1 ? RKMP_PLD_IDI : RKMP_PLD_NONE;
	buf[29] = 0;
	buf[30] = (uint8_t)((len - RKMP_HDR_LEN) >> 8);
	buf[31] = (uint8_t)(len - RKMP_HDR_LEN);
	buf[32] = (uint8_t)(num >> 8);
	buf[33] = (uint8_t)num;
	buf[34] = (uint8_t)(total >> 8);
	buf[35] = (uint8_t)total;
	memset(buf + 36, 0x5a, data);
	return len;
}

#define SPI_X	0x0102030405060708ULL
#define BIG	(RKMP_HDR_LEN + 65535)	/* the largest datagram an SKF Payload Length allows */

static void
limits_run(uint8_t *buf, uint8_t *buf2)
{
	struct rkmp_frags f;
	uint16_t num, total;
	unsigned dropped = 0;
	uint8_t *out = NULL;
	size_t len, len2, olen, off, mlen;

	memset(&f, 0, sizeof(f));

	/* rkmp_frags_peek: the fields */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 1, 2, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len, &num, &total), 1);
	ASSERT_INT_EQ(num, 2);
	ASSERT_INT_EQ(total, 3);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 1, 0, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len, &num, &total), RKMP_E_INVALID);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), RKMP_E_INVALID);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 1, 4, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len, &num, &total), RKMP_E_INVALID);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), RKMP_E_INVALID);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 1, 1, 0, 10);
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len, &num, &total), RKMP_E_INVALID);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 1, 3, 3, 0);	/* no data: still a fragment */
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len, &num, &total), 1);
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len - 1, &num, &total), RKMP_E_TRUNCATED);
	ASSERT_INT_EQ(rkmp_frags_peek(buf, 20, &num, &total), 0);	/* no IKE header: none */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 1, 1, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len - 1, &num, &total), RKMP_E_INVALID);	/* Length */
	buf[31]++;	/* Payload Length */
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len, &num, &total), RKMP_E_INVALID);
	buf[31]--;
	buf[16] = RKMP_PLD_SK;	/* an SK message is no fragment */
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len, &num, &total), 0);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), RKMP_E_INVALID);
	ASSERT_TRUE(!f.used);

	/* Total Fragments: RKMP_FRAGS_MAX is the most */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 1, 1, RKMP_FRAGS_MAX + 1, 10);
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len, &num, &total), 1);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), RKMP_E_INVALID);
	ASSERT_TRUE(!f.used);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 1, RKMP_FRAGS_MAX + 1, 0xffff, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), RKMP_E_INVALID);
	ASSERT_TRUE(!f.used);
	for (uint16_t i = RKMP_FRAGS_MAX; i >= 1; i--) {
		len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 1, i, RKMP_FRAGS_MAX, 1);
		ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), i == 1 ? 1 : 0);
	}
	ASSERT_INT_EQ(rkmp_frags_join(&f, &out, &olen), 0);
	ASSERT_INT_EQ(olen, RKMP_FRAGS_MAX * (RKMP_HDR_LEN + 8 + 1));
	/* in number order, each a whole message */
	off = 0;
	for (uint16_t i = 1; rkmp_frags_next(out, olen, &off, &mlen) > 0; i++, off += mlen) {
		ASSERT_INT_EQ(rkmp_frags_peek(out + off, mlen, &num, &total), 1);
		ASSERT_INT_EQ(num, i);
	}
	ASSERT_INT_EQ(off, olen);
	free(out);
	out = NULL;
	ASSERT_INT_EQ(dropped, 0);

	/* RKMP_MSG_MAX octets of datagrams: exactly, and one more */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 2, 1, 2, RKMP_MSG_MAX / 2 - 36);
	len2 = mkfrag(buf2, SPI_X, RKMP_EXCH_IKE_AUTH, 2, 2, 2, RKMP_MSG_MAX - len - 36);
	ASSERT_INT_EQ(len + len2, RKMP_MSG_MAX);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf2, len2, &dropped), 0);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 1);
	ASSERT_INT_EQ(f.bytes, RKMP_MSG_MAX);
	ASSERT_INT_EQ(rkmp_frags_join(&f, &out, &olen), 0);
	ASSERT_INT_EQ(olen, RKMP_MSG_MAX);
	free(out);
	out = NULL;
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 3, 1, 2, RKMP_MSG_MAX / 2 - 36);
	len2 = mkfrag(buf2, SPI_X, RKMP_EXCH_IKE_AUTH, 3, 2, 2, RKMP_MSG_MAX - len - 36 + 1);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf2, len2, &dropped), RKMP_E_INVALID);
	ASSERT_INT_EQ(f.nhave, 1);
	ASSERT_INT_EQ(f.bytes, len);
	rkmp_frags_reset(&f);
	/* one datagram alone over RKMP_MSG_MAX (the largest an SKF header allows) */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 4, 1, 1, BIG - 36);
	ASSERT_INT_EQ(len, BIG);
	ASSERT_INT_EQ(rkmp_frags_peek(buf, len, &num, &total), 1);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), RKMP_E_INVALID);
	ASSERT_INT_EQ(f.nhave, 0);
	rkmp_frags_reset(&f);
	ASSERT_INT_EQ(dropped, 0);

	/* Total Fragments must agree: a fragment that says otherwise is refused,
	 * the collection goes on */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 5, 1, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 5, 2, 4, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), RKMP_E_INVALID);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 5, 3, 2, 10);	/* 3 of 2 */
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), RKMP_E_INVALID);
	ASSERT_INT_EQ(f.nhave, 1);
	ASSERT_INT_EQ(f.total, 3);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 5, 3, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 5, 2, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 1);
	ASSERT_INT_EQ(dropped, 0);
	rkmp_frags_reset(&f);

	/* another message (other SPIs, another exchange): the incomplete one is
	 * dropped and counted, the new one collected alone */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 6, 1, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 6, 2, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	len = mkfrag(buf, SPI_X + 1, RKMP_EXCH_IKE_AUTH, 6, 2, 2, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	ASSERT_INT_EQ(dropped, 1);
	ASSERT_INT_EQ(f.nhave, 1);
	ASSERT_INT_EQ(f.total, 2);
	len = mkfrag(buf, SPI_X + 1, RKMP_EXCH_CREATE_CHILD, 6, 1, 2, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	ASSERT_INT_EQ(dropped, 2);
	len = mkfrag(buf, SPI_X + 1, RKMP_EXCH_CREATE_CHILD, 6, 2, 2, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 1);
	ASSERT_INT_EQ(dropped, 2);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, NULL), 0);	/* copy; *dropped optional */
	ASSERT_INT_EQ(rkmp_frags_join(&f, &out, &olen), 0);
	ASSERT_INT_EQ(olen, 2 * len);
	ASSERT_TRUE(out[18] == RKMP_EXCH_CREATE_CHILD && out[len + 18] == RKMP_EXCH_CREATE_CHILD);
	ASSERT_INT_EQ(rkmp_frags_peek(out, len, &num, &total), 1);
	ASSERT_INT_EQ(num, 1);
	free(out);
	out = NULL;
	/* nothing to join */
	ASSERT_INT_EQ(rkmp_frags_join(&f, &out, &olen), RKMP_E_INTERNAL);
	ASSERT_TRUE(out == NULL);

	/* rkmp_frags_same: everything through the Message ID */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 7, 1, 2, 10);
	len2 = mkfrag(buf2, SPI_X, RKMP_EXCH_IKE_AUTH, 7, 2, 2, 20);
	ASSERT_INT_EQ(rkmp_frags_same(buf, buf2), 0);
	len2 = mkfrag(buf2, SPI_X, RKMP_EXCH_IKE_AUTH, 8, 2, 2, 20);
	ASSERT_INT_EQ(rkmp_frags_same(buf, buf2), RKMP_E_INVALID);

	/* rkmp_frags_next over a buffer of messages */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_IKE_AUTH, 9, 1, 2, 10);
	off = 0;
	ASSERT_INT_EQ(rkmp_frags_next(buf, len, &off, &mlen), 1);
	ASSERT_INT_EQ(mlen, len);
	off = len;
	ASSERT_INT_EQ(rkmp_frags_next(buf, len, &off, &mlen), 0);
	off = 0;
	ASSERT_INT_EQ(rkmp_frags_next(buf, len - 1, &off, &mlen), RKMP_E_TRUNCATED);
	ASSERT_INT_EQ(rkmp_frags_next(buf, 27, &off, &mlen), RKMP_E_TRUNCATED);
	buf[27] = 27;	/* Length below a header */
	buf[24] = buf[25] = buf[26] = 0;
	ASSERT_INT_EQ(rkmp_frags_next(buf, len, &off, &mlen), RKMP_E_INVALID);

	/* a fragment of the next Message ID (same SPIs, exchange, flags) starts a new
	 * message: the incomplete one is dropped and counted, not mixed in */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_CREATE_CHILD, 10, 1, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_CREATE_CHILD, 10, 2, 3, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	dropped = 0;
	/* Message ID 11, Total 2: a new message, the old one dropped */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_CREATE_CHILD, 11, 1, 2, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	ASSERT_INT_EQ(dropped, 1);
	ASSERT_INT_EQ(f.nhave, 1);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_CREATE_CHILD, 11, 2, 2, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 1);
	ASSERT_INT_EQ(rkmp_frags_join(&f, &out, &olen), 0);
	ASSERT_INT_EQ(olen, 2 * len);
	ASSERT_INT_EQ(rkmp_frags_same(out, out + len), 0);
	ASSERT_INT_EQ(rkmp_get32(out + 20), 11);
	free(out);
	out = NULL;
	/* Message ID 13 of the same Total: not a copy of 12's fragment 1 */
	len = mkfrag(buf, SPI_X, RKMP_EXCH_CREATE_CHILD, 12, 1, 2, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_CREATE_CHILD, 13, 1, 2, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 0);
	ASSERT_INT_EQ(dropped, 2);
	len = mkfrag(buf, SPI_X, RKMP_EXCH_CREATE_CHILD, 13, 2, 2, 10);
	ASSERT_INT_EQ(rkmp_frags_add(&f, buf, len, &dropped), 1);
	ASSERT_INT_EQ(rkmp_frags_join(&f, &out, &olen), 0);
	ASSERT_INT_EQ(rkmp_get32(out + 20), 13);
	ASSERT_INT_EQ(rkmp_frags_same(out, out + len), 0);
	free(out);
	out = NULL;
	rkmp_frags_reset(&f);
}

TEST(frag_collect_limits)
{
	uint8_t *buf = malloc(BIG), *buf2 = malloc(BIG);

	if (buf == NULL || buf2 == NULL)
		test_fail(__FILE__, __LINE__, "out of memory");
	else
		limits_run(buf, buf2);
	free(buf);
	free(buf2);
}

/* ---------------------------------------------------------------- 5. not agreed */

static void
not_agreed_run(struct pair *p, const struct fcase *c)
{
	struct blob q = { 0 }, qf = { 0 }, s = { 0 }, sf = { 0 };
	const uint8_t *dg[MAXDG];
	size_t len[MAXDG];
	struct rkmp_sa *keep;
	struct mark mk;
	int n;

	/* the initiator has no UDP endpoints (file mode): nothing offered, and
	 * the responder, which has them, offers nothing on its own */
	ASSERT_INT_EQ(pair_new(p, c, false, true), 0);
	ASSERT_TRUE(!p->a->fragmentation);
	ASSERT_TRUE(!p->b->fragmentation);
	p->a->frag_max = p->b->frag_max = c->frag_max;
	ASSERT_INT_EQ(save_as(p, p->a, "a0"), 0);
	ASSERT_INT_EQ(save_as(p, p->b, "b0"), 0);

	/* frag_max does not matter: one SK message, larger than it */
	ASSERT_INT_EQ(step(p, AUTH_REQ, p->a, NULL, NULL, &q), 0);
	ASSERT_INT_EQ(last.fragments, 0);
	ASSERT_INT_EQ(split(&q, dg, len, MAXDG), 1);
	ASSERT_TRUE(q.len > c->frag_max);
	ASSERT_INT_EQ(q.p[16], RKMP_PLD_SK);
	ASSERT_INT_EQ(rkmp_ike_fragment_check(p->b, q.p, q.len), 0);	/* no fragment */

	/* the same request as fragments (the initiator's state again, forced) */
	keep = p->a;
	ASSERT_TRUE((p->a = calloc(1, sizeof(*p->a))) != NULL);
	if (load_as(p, p->a, "a0") != 0) {
		test_fail(__FILE__, __LINE__, "load a0: %s", rkmp_err_text());
		rkmp_sa_wipe(keep);
		free(keep);
		goto out;
	}
	p->a->fragmentation = true;
	p->a->frag_max = c->frag_max;
	n = step(p, AUTH_REQ, p->a, NULL, NULL, &qf);
	rkmp_sa_wipe(p->a);
	free(p->a);
	p->a = keep;
	ASSERT_INT_EQ(n, 0);
	ASSERT_TRUE((n = split(&qf, dg, len, MAXDG)) > 1);
	ASSERT_INT_EQ(n, last.fragments);
	for (int i = 0; i < n; i++)
		ASSERT_INT_EQ(rkmp_ike_fragment_check(p->b, dg[i], len[i]), RKMP_E_INVALID);
	mark_take(&mk, p->b);
	ASSERT_INT_EQ(step(p, AUTH_RESP, p->b, NULL, &qf, NULL), RKMP_E_INVALID);
	ASSERT_UNCHANGED(&mk, p->b);

	/* the answer as fragments (the responder's state again, forced) */
	keep = p->b;
	ASSERT_TRUE((p->b = calloc(1, sizeof(*p->b))) != NULL);
	if (load_as(p, p->b, "b0") != 0) {
		test_fail(__FILE__, __LINE__, "load b0: %s", rkmp_err_text());
		rkmp_sa_wipe(keep);
		free(keep);
		goto out;
	}
	p->b->fragmentation = true;
	p->b->frag_max = c->frag_max;
	n = step(p, AUTH_RESP, p->b, NULL, &q, &sf);
	rkmp_sa_wipe(p->b);
	free(p->b);
	p->b = keep;
	ASSERT_INT_EQ(n, 0);
	ASSERT_TRUE((n = split(&sf, dg, len, MAXDG)) > 1);
	ASSERT_INT_EQ(n, last.fragments);

	/* the real answer: one SK message */
	ASSERT_INT_EQ(step(p, AUTH_RESP, p->b, NULL, &q, &s), 0);
	ASSERT_INT_EQ(last.fragments, 0);
	ASSERT_INT_EQ(s.p[16], RKMP_PLD_SK);
	ASSERT_INT_EQ(p->b->phase, RKMP_PHASE_ESTABLISHED);

	for (int i = 0; i < n; i++)
		ASSERT_INT_EQ(rkmp_ike_fragment_check(p->a, dg[i], len[i]), RKMP_E_INVALID);
	ASSERT_INT_EQ(rkmp_ike_is_answer(p->a, sf.p, sf.len), 0);
	mark_take(&mk, p->a);
	ASSERT_INT_EQ(step(p, AUTH_PROC, p->a, NULL, &sf, NULL), RKMP_E_INVALID);
	ASSERT_UNCHANGED(&mk, p->a);
	ASSERT_INT_EQ(rkmp_ike_is_answer(p->a, s.p, s.len), 1);
	ASSERT_INT_EQ(step(p, AUTH_PROC, p->a, NULL, &s, NULL), 0);
	ASSERT_INT_EQ(p->a->phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_TRUE(sk_equal(p->a, p->b));
out:
	blob_free(&q);
	blob_free(&qf);
	blob_free(&s);
	blob_free(&sf);
}

TEST(frag_not_agreed)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && !test_failed_now; i++) {
		struct pair p;

		not_agreed_run(&p, &cases[i]);
		pair_free(&p);
		if (test_failed_now)
			test_fail(__FILE__, __LINE__, "in case \"%s\"", cases[i].name);
	}
}

/* ---------------------------------------------------------------- 6. frag_max too small */

static void
max_small_run(struct pair *p, const struct fcase *c)
{
	const struct rkmp_encr_alg *e;
	struct blob q = { 0 }, s = { 0 };
	struct mark mk;
	size_t fixed, block;

	ASSERT_INT_EQ(pair_new(p, c, true, true), 0);
	ASSERT_TRUE(p->a->fragmentation && p->b->fragmentation);
	ASSERT_TRUE((e = sa_encr(p->a)) != NULL && (fixed = skf_fixed(p->a)) > 0);
	block = e->aead ? 1 : e->block_len;

	/* no room for one octet of data in a fragment (padding takes a block) */
	{
		const size_t tiny[] = { 1, RKMP_HDR_LEN, fixed, fixed + block };

		for (size_t i = 0; i < sizeof(tiny) / sizeof(tiny[0]); i++) {
			p->a->frag_max = tiny[i];
			mark_take(&mk, p->a);
			ASSERT_INT_EQ(step(p, AUTH_REQ, p->a, NULL, NULL, &q), RKMP_E_USAGE);
			ASSERT_STR_CONTAINS(rkmp_err_where(), "--fragment-size");
			ASSERT_TRUE(!last.send && !last.save && last.fragments == 0);
			ASSERT_INT_EQ(p->a->phase, mk.phase);
			ASSERT_INT_EQ(p->a->mid_next, mk.mid_next);
			ASSERT_INT_EQ(p->a->ntranscript, mk.ntranscript);
		}
	}
	/* room for one octet (AEAD), so more than RKMP_FRAGS_MAX fragments; with
	 * CBC the least room is a block less one, which a PSK exchange never
	 * fills RKMP_FRAGS_MAX times */
	if (block == 1) {
		/* a long identity: an inner chain of more than RKMP_FRAGS_MAX octets */
		memset(p->a->id_local, 0, sizeof(p->a->id_local));
		memcpy(p->a->id_local, "fqdn:", 5);
		memset(p->a->id_local + 5, 'x', 200);
		p->a->frag_max = fixed + 2;
		ASSERT_INT_EQ(step(p, AUTH_REQ, p->a, NULL, NULL, &q), RKMP_E_USAGE);
		ASSERT_STR_CONTAINS(rkmp_err_detail(), "more than");
		ASSERT_TRUE(!last.send && !last.save);
		ASSERT_INT_EQ(p->a->phase, RKMP_PHASE_INIT_DONE);
	}

	/* still usable: a sane size, and the responder's too small */
	p->a->frag_max = c->frag_max;
	ASSERT_INT_EQ(step(p, AUTH_REQ, p->a, NULL, NULL, &q), 0);
	ASSERT_TRUE(last.fragments > 1);
	p->b->frag_max = fixed;
	ASSERT_INT_EQ(step(p, AUTH_RESP, p->b, NULL, &q, &s), RKMP_E_USAGE);
	ASSERT_TRUE(!last.send && !last.save && s.p == NULL);
	blob_free(&q);
	blob_free(&s);
}

TEST(frag_max_small)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && !test_failed_now; i++) {
		struct pair p;

		max_small_run(&p, &cases[i]);
		pair_free(&p);
		if (test_failed_now)
			test_fail(__FILE__, __LINE__, "in case \"%s\"", cases[i].name);
	}
}

/* ---------------------------------------------------------------- 7. the threshold */

/* The AUTH request of a fresh pair with frag_max: its length and fragments. */
static int
auth_request_with(const struct fcase *c, size_t frag_max, size_t *len, unsigned *frags)
{
	struct pair p;
	struct blob q = { 0 };
	int r;

	*len = 0;
	*frags = 0;
	if ((r = pair_new(&p, c, true, true)) == 0) {
		p.a->frag_max = frag_max;
		if ((r = step(&p, AUTH_REQ, p.a, NULL, NULL, &q)) == 0) {
			*len = q.len;
			*frags = last.fragments;
		}
	}
	blob_free(&q);
	pair_free(&p);
	return r;
}

TEST(frag_threshold)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fcase *c = &cases[i];
		size_t whole, len;
		unsigned n;

		/* 0: never fragment */
		ASSERT_INT_EQ(auth_request_with(c, 0, &whole, &n), 0);
		ASSERT_INT_EQ(n, 0);
		/* exactly the message: whole; one octet less: fragments */
		ASSERT_INT_EQ(auth_request_with(c, whole, &len, &n), 0);
		ASSERT_INT_EQ(n, 0);
		ASSERT_INT_EQ(len, whole);
		ASSERT_INT_EQ(auth_request_with(c, whole - 1, &len, &n), 0);
		ASSERT_TRUE(n >= 2);
	}
}

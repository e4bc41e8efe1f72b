/* SPDX-License-Identifier: MIT */
/*
 * test_cookie.c — stateless COOKIEs (RFC 7296 §2.6, lib/ike.h):
 *   - the cookie is version | HMAC-SHA2-256(secret, Ni | IPi | SPIi)
 *     truncated to 16 octets, checked against OpenSSL's own HMAC;
 *   - the same inputs make the same cookie; another Ni, address, SPIi,
 *     secret or version another one;
 *   - after a rotation the previous secret's cookies are still accepted,
 *     after two they are refused; forged ones (each bit flipped, wrong
 *     length, unknown version) are refused;
 *   - the engine: a responder given the secrets answers N(COOKIE) with
 *     nothing to save and its SA untouched, lets in the repeat with the
 *     cookie, and refuses it from another address; without secrets (the
 *     step tools) the secret is made once, in the state, and kept.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ike.h"
#include "msg.h"
#include "sa.h"
#include "test_helper.h"
#include "tests.h"
#include "wire.h"

static void
addr4(struct rkmp_udp_addr *a, const char *ip4, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)&a->ss;

	memset(a, 0, sizeof(*a));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	memcpy(&s->sin_addr, ip4, 4);
	a->len = sizeof(*s);
}

static const uint8_t ni[32] = "nonce-of-the-initiator-32-octets";
static const uint64_t spi = 0x0123456789abcdefULL;

TEST(cookie_against_openssl_hmac)
{
	uint8_t secret[RKMP_COOKIE_SECRET], ck[RKMP_COOKIE_LEN], data[32 + 4 + 8], mac[32];
	unsigned int mlen = 0;
	struct rkmp_udp_addr ip;

	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(0xa0 + i);
	addr4(&ip, "\xc0\x00\x02\x07", 500);
	ASSERT_INT_EQ(rkmp_cookie_make(secret, 7, ni, sizeof(ni), &ip, spi, ck), 0);
	memcpy(data, ni, 32);
	memcpy(data + 32, "\xc0\x00\x02\x07", 4);
	memcpy(data + 36, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	ASSERT_TRUE(HMAC(EVP_sha256(), secret, sizeof(secret), data, sizeof(data), mac, &mlen) != NULL);
	ASSERT_INT_EQ(ck[0], 7);
	ASSERT_MEM_EQ(ck + 1, mac, RKMP_COOKIE_MAC);
	/* file mode: no address at all, not a zero one */
	ASSERT_INT_EQ(rkmp_cookie_make(secret, 7, ni, sizeof(ni), NULL, spi, ck), 0);
	memmove(data + 32, data + 36, 8);
	ASSERT_TRUE(HMAC(EVP_sha256(), secret, sizeof(secret), data, 40, mac, &mlen) != NULL);
	ASSERT_MEM_EQ(ck + 1, mac, RKMP_COOKIE_MAC);
	/* the port is not part of it (NAT may change it between the two requests) */
	{
		uint8_t c1[RKMP_COOKIE_LEN], c2[RKMP_COOKIE_LEN];
		struct rkmp_udp_addr other;

		addr4(&other, "\xc0\x00\x02\x07", 4500);
		ASSERT_INT_EQ(rkmp_cookie_make(secret, 7, ni, sizeof(ni), &ip, spi, c1), 0);
		ASSERT_INT_EQ(rkmp_cookie_make(secret, 7, ni, sizeof(ni), &other, spi, c2), 0);
		ASSERT_MEM_EQ(c1, c2, sizeof(c1));
	}
}

TEST(cookie_inputs)
{
	struct rkmp_cookie_secrets s = { 0 }, t = { 0 };
	struct rkmp_udp_addr ip, ip2;
	uint8_t base[RKMP_COOKIE_LEN], again[RKMP_COOKIE_LEN], c[RKMP_COOKIE_LEN], ni2[32];

	ASSERT_INT_EQ(rkmp_cookie_rotate(&s), 0);
	ASSERT_INT_EQ(rkmp_cookie_rotate(&t), 0);
	addr4(&ip, "\x0a\x00\x00\x01", 500);
	addr4(&ip2, "\x0a\x00\x00\x02", 500);
	memcpy(ni2, ni, sizeof(ni2));
	ni2[31] ^= 1;
	ASSERT_INT_EQ(rkmp_cookie_make(s.cur, s.version, ni, sizeof(ni), &ip, spi, base), 0);
	ASSERT_INT_EQ(rkmp_cookie_make(s.cur, s.version, ni, sizeof(ni), &ip, spi, again), 0);
	ASSERT_MEM_EQ(base, again, sizeof(base));
	ASSERT_TRUE(rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, base, sizeof(base)));
	/* each input changes it, and the check refuses the first one for it */
	ASSERT_INT_EQ(rkmp_cookie_make(s.cur, s.version, ni2, sizeof(ni2), &ip, spi, c), 0);
	ASSERT_TRUE(memcmp(c + 1, base + 1, RKMP_COOKIE_MAC) != 0);
	ASSERT_TRUE(!rkmp_cookie_check(&s, ni2, sizeof(ni2), &ip, spi, base, sizeof(base)));
	ASSERT_INT_EQ(rkmp_cookie_make(s.cur, s.version, ni, sizeof(ni) - 1, &ip, spi, c), 0);
	ASSERT_TRUE(memcmp(c + 1, base + 1, RKMP_COOKIE_MAC) != 0);
	ASSERT_INT_EQ(rkmp_cookie_make(s.cur, s.version, ni, sizeof(ni), &ip2, spi, c), 0);
	ASSERT_TRUE(memcmp(c + 1, base + 1, RKMP_COOKIE_MAC) != 0);
	ASSERT_TRUE(!rkmp_cookie_check(&s, ni, sizeof(ni), &ip2, spi, base, sizeof(base)));
	ASSERT_INT_EQ(rkmp_cookie_make(s.cur, s.version, ni, sizeof(ni), NULL, spi, c), 0);
	ASSERT_TRUE(memcmp(c + 1, base + 1, RKMP_COOKIE_MAC) != 0);
	ASSERT_INT_EQ(rkmp_cookie_make(s.cur, s.version, ni, sizeof(ni), &ip, spi + 1, c), 0);
	ASSERT_TRUE(memcmp(c + 1, base + 1, RKMP_COOKIE_MAC) != 0);
	ASSERT_TRUE(!rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi + 1, base, sizeof(base)));
	ASSERT_INT_EQ(rkmp_cookie_make(t.cur, t.version, ni, sizeof(ni), &ip, spi, c), 0);
	ASSERT_TRUE(memcmp(c + 1, base + 1, RKMP_COOKIE_MAC) != 0);
	ASSERT_TRUE(!rkmp_cookie_check(&t, ni, sizeof(ni), &ip, spi, base, sizeof(base)));
	rkmp_cookie_wipe(&s);
	rkmp_cookie_wipe(&t);
	ASSERT_TRUE(!s.have_cur && !s.have_prev);
}

TEST(cookie_rotation)
{
	struct rkmp_cookie_secrets s = { 0 };
	struct rkmp_udp_addr ip;
	uint8_t c0[RKMP_COOKIE_LEN], c1[RKMP_COOKIE_LEN];
	uint8_t v0;

	addr4(&ip, "\x0a\x00\x00\x01", 500);
	ASSERT_INT_EQ(rkmp_cookie_rotate(&s), 0);
	ASSERT_TRUE(s.have_cur && !s.have_prev);
	v0 = s.version;
	ASSERT_INT_EQ(rkmp_cookie_make(s.cur, s.version, ni, sizeof(ni), &ip, spi, c0), 0);
	ASSERT_INT_EQ(c0[0], v0);
	/* one rotation: a new secret and version; the previous one's cookie holds */
	ASSERT_INT_EQ(rkmp_cookie_rotate(&s), 0);
	ASSERT_TRUE(s.have_prev);
	ASSERT_INT_EQ(s.version, (uint8_t)(v0 + 1));
	ASSERT_INT_EQ(rkmp_cookie_make(s.cur, s.version, ni, sizeof(ni), &ip, spi, c1), 0);
	ASSERT_TRUE(memcmp(c0, c1, sizeof(c0)) != 0);
	ASSERT_TRUE(rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, c0, sizeof(c0)));
	ASSERT_TRUE(rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, c1, sizeof(c1)));
	/* the previous secret's MAC under the current version octet is no cookie */
	c0[0] = s.version;
	ASSERT_TRUE(!rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, c0, sizeof(c0)));
	c0[0] = v0;
	/* two rotations: the oldest is refused, the one before stays good */
	ASSERT_INT_EQ(rkmp_cookie_rotate(&s), 0);
	ASSERT_TRUE(!rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, c0, sizeof(c0)));
	ASSERT_TRUE(rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, c1, sizeof(c1)));
	/* the version octet wraps */
	for (int i = 0; i < 300; i++)
		ASSERT_INT_EQ(rkmp_cookie_rotate(&s), 0);
	ASSERT_INT_EQ(s.version, (uint8_t)(v0 + 302));
	ASSERT_INT_EQ(rkmp_cookie_make(s.prev, (uint8_t)(s.version - 1), ni, sizeof(ni), &ip, spi,
	    c1), 0);
	ASSERT_TRUE(rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, c1, sizeof(c1)));
	rkmp_cookie_wipe(&s);
}

TEST(cookie_forged)
{
	struct rkmp_cookie_secrets s = { 0 };
	struct rkmp_udp_addr ip;
	uint8_t c[RKMP_COOKIE_LEN], f[RKMP_COOKIE_LEN + 1];

	addr4(&ip, "\x0a\x00\x00\x01", 500);
	ASSERT_INT_EQ(rkmp_cookie_rotate(&s), 0);
	ASSERT_INT_EQ(rkmp_cookie_make(s.cur, s.version, ni, sizeof(ni), &ip, spi, c), 0);
	/* every bit flipped, one at a time: refused */
	for (size_t bit = 0; bit < 8 * sizeof(c); bit++) {
		memcpy(f, c, sizeof(c));
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, f, sizeof(c))) {
			test_fail(__FILE__, __LINE__, "cookie with bit %zu flipped accepted", bit);
			return;
		}
	}
	/* too short, too long, empty, all zero */
	memcpy(f, c, sizeof(c));
	f[sizeof(c)] = 0;
	ASSERT_TRUE(!rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, f, sizeof(c) - 1));
	ASSERT_TRUE(!rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, f, sizeof(c) + 1));
	ASSERT_TRUE(!rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, f, 0));
	memset(f, 0, sizeof(f));
	f[0] = s.version;
	ASSERT_TRUE(!rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, f, sizeof(c)));
	/* no secret yet: nothing is a cookie */
	rkmp_cookie_wipe(&s);
	ASSERT_TRUE(!rkmp_cookie_check(&s, ni, sizeof(ni), &ip, spi, c, sizeof(c)));
}

/* ------------------------------------------------------------------ in the engine */

#define PROPOSAL	"aes256gcm16-prfsha256-x25519"

static void
pair(struct rkmp_sa *a, struct rkmp_sa *b)
{
	rkmp_sa_init(a);
	rkmp_sa_init(b);
	b->initiator = false;
	snprintf(a->proposals, sizeof(a->proposals), PROPOSAL);
	snprintf(b->proposals, sizeof(b->proposals), PROPOSAL);
}

/* The N(COOKIE) data of answer o (NULL when none). */
static const struct rkmp_pld *
cookie_of(struct rkmp_arena *ar, const struct rkmp_ike_out *o, struct rkmp_msg *m)
{
	if (rkmp_msg_decode(ar, o->msg.p, o->msg.len, m) != 0)
		return NULL;
	return rkmp_msg_find_notify(m->pld, m->npld, RKMP_N_COOKIE);
}

TEST(cookie_engine_daemon)
{
	static struct rkmp_sa a, b, before;
	struct rkmp_cookie_secrets s = { 0 };
	struct rkmp_udp_addr ip, other;
	struct rkmp_ike_cfg ca = { 0 }, cb = { 0 };
	struct rkmp_ike_out o[4];
	struct rkmp_arena ar = { 0 };
	struct rkmp_msg m;
	const struct rkmp_pld *ck;

	for (size_t i = 0; i < 4; i++)
		rkmp_ike_out_init(&o[i]);
	pair(&a, &b);
	ASSERT_INT_EQ(rkmp_cookie_rotate(&s), 0);
	addr4(&ip, "\x7f\x00\x00\x05", 500);
	addr4(&other, "\x7f\x00\x00\x06", 500);
	cb.require_cookie = true;
	cb.cookie_secrets = &s;
	cb.remote = &ip;
	ASSERT_INT_EQ(rkmp_ike_init_request(&a, &ca, &o[0]), 0);
	/* the COOKIE answer: nothing to save, the responder's SA as it was */
	memcpy(&before, &b, sizeof(b));
	ASSERT_INT_EQ(rkmp_ike_init_respond(&b, &cb, o[0].msg.p, o[0].msg.len, &o[1]), RKMP_IKE_AGAIN);
	ASSERT_TRUE(!o[1].save);
	ASSERT_TRUE(o[1].send);
	ASSERT_TRUE(memcmp(&before, &b, sizeof(b)) == 0);
	ASSERT_TRUE((ck = cookie_of(&ar, &o[1], &m)) != NULL);
	ASSERT_INT_EQ(ck->u.notify.len, RKMP_COOKIE_LEN);
	ASSERT_TRUE(rkmp_cookie_check(&s, a.ni.p, a.ni.len, &ip, a.spi_i, ck->u.notify.data,
	    ck->u.notify.len));
	rkmp_arena_free(&ar);
	/* the initiator repeats it with the cookie */
	ASSERT_INT_EQ(rkmp_ike_init_process(&a, &ca, o[1].msg.p, o[1].msg.len, &o[2]), RKMP_IKE_AGAIN);
	/* from another address: asked again, still nothing saved */
	cb.remote = &other;
	ASSERT_INT_EQ(rkmp_ike_init_respond(&b, &cb, o[2].msg.p, o[2].msg.len, &o[3]), RKMP_IKE_AGAIN);
	ASSERT_TRUE(!o[3].save);
	ASSERT_STR_CONTAINS(o[3].note, "its cookie was wrong");
	ASSERT_TRUE(memcmp(&before, &b, sizeof(b)) == 0);
	rkmp_ike_out_free(&o[3]);
	rkmp_ike_out_init(&o[3]);
	/* after one rotation, from the right address: let in */
	ASSERT_INT_EQ(rkmp_cookie_rotate(&s), 0);
	cb.remote = &ip;
	ASSERT_INT_EQ(rkmp_ike_init_respond(&b, &cb, o[2].msg.p, o[2].msg.len, &o[3]), 0);
	ASSERT_TRUE(o[3].save);
	ASSERT_INT_EQ(b.phase, RKMP_PHASE_INIT_DONE);
	ASSERT_INT_EQ(b.cookie.len, 0);
	for (size_t i = 0; i < 4; i++)
		rkmp_ike_out_free(&o[i]);
	rkmp_sa_wipe(&a);
	rkmp_sa_wipe(&b);
	rkmp_cookie_wipe(&s);
}

TEST(cookie_engine_step_tools)
{
	static struct rkmp_sa a, b, x;
	struct rkmp_ike_cfg ca = { 0 }, cb = { .require_cookie = true };
	struct rkmp_ike_out o[5];
	uint8_t secret[RKMP_COOKIE_SECRET];

	for (size_t i = 0; i < 5; i++)
		rkmp_ike_out_init(&o[i]);
	pair(&a, &b);
	rkmp_sa_init(&x);
	snprintf(x.proposals, sizeof(x.proposals), PROPOSAL);
	ASSERT_INT_EQ(rkmp_ike_init_request(&a, &ca, &o[0]), 0);
	ASSERT_INT_EQ(rkmp_ike_init_request(&x, &ca, &o[1]), 0);
	/* the first COOKIE answer makes the secret, in the state: saved */
	ASSERT_INT_EQ(rkmp_ike_init_respond(&b, &cb, o[0].msg.p, o[0].msg.len, &o[2]), RKMP_IKE_AGAIN);
	ASSERT_TRUE(o[2].save);
	ASSERT_INT_EQ(b.cookie.len, RKMP_COOKIE_SECRET);
	ASSERT_INT_EQ(b.phase, RKMP_PHASE_NEW);
	memcpy(secret, b.cookie.p, sizeof(secret));
	/* another initiator's request meanwhile: answered, the secret kept, nothing saved */
	ASSERT_INT_EQ(rkmp_ike_init_respond(&b, &cb, o[1].msg.p, o[1].msg.len, &o[3]), RKMP_IKE_AGAIN);
	ASSERT_TRUE(!o[3].save);
	ASSERT_MEM_EQ(b.cookie.p, secret, sizeof(secret));
	/* the first one's repeat with its cookie is let in; the secret goes */
	ASSERT_INT_EQ(rkmp_ike_init_process(&a, &ca, o[2].msg.p, o[2].msg.len, &o[4]), RKMP_IKE_AGAIN);
	rkmp_ike_out_free(&o[2]);
	rkmp_ike_out_init(&o[2]);
	ASSERT_INT_EQ(rkmp_ike_init_respond(&b, &cb, o[4].msg.p, o[4].msg.len, &o[2]), 0);
	ASSERT_INT_EQ(b.phase, RKMP_PHASE_INIT_DONE);
	ASSERT_INT_EQ(b.cookie.len, 0);
	for (size_t i = 0; i < 5; i++)
		rkmp_ike_out_free(&o[i]);
	rkmp_sa_wipe(&a);
	rkmp_sa_wipe(&b);
	rkmp_sa_wipe(&x);
}

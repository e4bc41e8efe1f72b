/* SPDX-License-Identifier: MIT */
/*
 * test_ike.c — the engine run as one process runs both sides (the UDP
 * steps, the benchmark): RKMP_SA_INIT and RKMP_SA_AUTH in memory, no state
 * saved between the steps, and what such a process keeps in struct rkmp_sa
 * beside the state:
 *   - the pool of random octets (not seeded): SPIs, nonces and child SPIs
 *     served from it in order and once each, wiped as served and with the SA;
 *   - the PSK key pad, computed once per side: its value against OpenSSL's
 *     own HMAC (RFC 7296 §2.15), a changed key in another buffer not masked
 *     by it, wiped with the SA;
 *   - no_note: the same negotiation without the notes of its steps, while a
 *     refusal's note still says why.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "err.h"
#include "ike.h"
#include "sa.h"
#include "test_helper.h"
#include "tests.h"

#define PROPOSAL	"aes256gcm16-prfsha256-x25519"

static const uint8_t psk[] = "ike-unit-psk-0123456789";
static const uint8_t wrong_psk[] = "ike-unit-psk-0123456780";

struct run {
	struct rkmp_sa		 a, b;		/* initiator, responder */
	struct rkmp_ike_out	 o[6];		/* the six steps' outputs */
	int			 r[6];		/* their return codes */
};

static void
sides_init(struct run *x, bool seeded)
{
	rkmp_sa_init(&x->a);
	rkmp_sa_init(&x->b);
	x->b.initiator = false;
	snprintf(x->a.proposals, sizeof(x->a.proposals), PROPOSAL);
	snprintf(x->b.proposals, sizeof(x->b.proposals), PROPOSAL);
	snprintf(x->a.id_local, sizeof(x->a.id_local), "fqdn:a.rkmp.test");
	snprintf(x->b.id_local, sizeof(x->b.id_local), "fqdn:b.rkmp.test");
	if (seeded) {
		x->a.seeded = x->b.seeded = true;
		x->a.seed.len = x->b.seed.len = 8;
		memcpy(x->a.seed.p, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
		memcpy(x->b.seed.p, "\xfe\xdc\xba\x98\x76\x54\x32\x10", 8);
	}
	for (size_t i = 0; i < 6; i++) {
		rkmp_ike_out_init(&x->o[i]);
		x->r[i] = -1;
	}
}

/*
 * The six steps in one process; the initiator checks the answer with
 * ca_proc (its PSK as given then).  Stops at the first step that fails.
 */
static void
negotiate(struct run *x, const struct rkmp_ike_cfg *ca, const struct rkmp_ike_cfg *ca_proc,
    const struct rkmp_ike_cfg *cb, bool no_note)
{
	struct rkmp_ike_out *o = x->o;

	for (size_t i = 0; i < 6; i++)
		o[i].no_note = no_note;
	if ((x->r[0] = rkmp_ike_init_request(&x->a, ca, &o[0])) != 0 ||
	    (x->r[1] = rkmp_ike_init_respond(&x->b, cb, o[0].msg.p, o[0].msg.len, &o[1])) != 0 ||
	    (x->r[2] = rkmp_ike_init_process(&x->a, ca, o[1].msg.p, o[1].msg.len, &o[2])) != 0 ||
	    (x->r[3] = rkmp_ike_auth_request(&x->a, ca, &o[3])) != 0 ||
	    (x->r[4] = rkmp_ike_auth_respond(&x->b, cb, o[3].msg.p, o[3].msg.len, &o[4])) != 0)
		return;
	x->r[5] = rkmp_ike_auth_process(&x->a, ca_proc, o[4].msg.p, o[4].msg.len, &o[5]);
}

static void
run_free(struct run *x)
{
	for (size_t i = 0; i < 6; i++)
		rkmp_ike_out_free(&x->o[i]);
	rkmp_sa_wipe(&x->a);
	rkmp_sa_wipe(&x->b);
}

static bool
all_zero(const void *p, size_t len)
{
	const uint8_t *q = p;

	for (size_t i = 0; i < len; i++)
		if (q[i] != 0)
			return false;
	return true;
}

static const struct rkmp_ike_cfg cfg_psk = { .psk = psk, .psk_len = sizeof(psk) - 1 };

TEST(ike_random_pool)
{
	static struct run x, y;
	size_t ca, cb;

	sides_init(&x, false);
	negotiate(&x, &cfg_psk, &cfg_psk, &cfg_psk, false);
	ASSERT_INT_EQ(x.r[5], 0);
	ASSERT_INT_EQ(x.a.phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_INT_EQ(x.b.phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_INT_EQ(x.a.nchildren, 1);
	/* each side drew its SPI, its nonce and its child SPI, in that order, from one fill */
	ca = 8 + x.a.ni.len + x.a.children[0].spi_size;
	cb = 8 + x.b.nr.len + x.b.children[0].spi_size;
	ASSERT_INT_EQ(x.a.random.len, RKMP_SA_RANDOM_POOL);
	ASSERT_INT_EQ(x.b.random.len, RKMP_SA_RANDOM_POOL);
	ASSERT_INT_EQ(x.a.random.off, ca);
	ASSERT_INT_EQ(x.b.random.off, cb);
	/* served octets are wiped from the pool; the rest waits (96 - 41 random octets) */
	ASSERT_TRUE(all_zero(x.a.random.p, ca));
	ASSERT_TRUE(all_zero(x.b.random.p, cb));
	ASSERT_TRUE(!all_zero(x.a.random.p + ca, RKMP_SA_RANDOM_POOL - ca));
	ASSERT_TRUE(x.a.spi_i != 0 && x.a.spi_r != 0 && x.a.spi_i != x.a.spi_r);
	ASSERT_TRUE(memcmp(x.a.ni.p, x.a.nr.p, x.a.ni.len) != 0);
	/* another negotiation: other values */
	sides_init(&y, false);
	negotiate(&y, &cfg_psk, &cfg_psk, &cfg_psk, false);
	ASSERT_INT_EQ(y.r[5], 0);
	ASSERT_TRUE(memcmp(x.a.ni.p, y.a.ni.p, x.a.ni.len) != 0);
	ASSERT_TRUE(memcmp(x.b.nr.p, y.b.nr.p, x.b.nr.len) != 0);
	ASSERT_TRUE(x.a.spi_i != y.a.spi_i && x.a.spi_r != y.a.spi_r);
	/* gone with the SA */
	run_free(&x);
	run_free(&y);
	ASSERT_INT_EQ(x.a.random.len, 0);
	ASSERT_INT_EQ(x.a.random.off, 0);
	ASSERT_TRUE(all_zero(x.a.random.p, sizeof(x.a.random.p)));
	ASSERT_TRUE(all_zero(x.b.random.p, sizeof(x.b.random.p)));
}

/* Seeded, the pool is not used: the values are prf+ of the seed per label. */
TEST(ike_random_seeded_no_pool)
{
	static struct run x, y;

	sides_init(&x, true);
	sides_init(&y, true);
	negotiate(&x, &cfg_psk, &cfg_psk, &cfg_psk, false);
	negotiate(&y, &cfg_psk, &cfg_psk, &cfg_psk, false);
	ASSERT_INT_EQ(x.r[5], 0);
	ASSERT_INT_EQ(y.r[5], 0);
	ASSERT_INT_EQ(x.a.random.len, 0);
	ASSERT_INT_EQ(x.b.random.len, 0);
	for (size_t i = 0; i < 6; i++) {
		ASSERT_INT_EQ(x.o[i].msg.len, y.o[i].msg.len);
		if (x.o[i].msg.len > 0)	/* steps 3 and 6 send nothing */
			ASSERT_MEM_EQ(x.o[i].msg.p, y.o[i].msg.p, x.o[i].msg.len);
	}
	run_free(&x);
	run_free(&y);
}

TEST(ike_psk_pad_once)
{
	static const char keypad[] = "Key Pad for IKEv2";
	static struct run x;
	uint8_t want[64];
	size_t n = 0;

	/* the oracle: OpenSSL's HMAC-SHA2-256 in one call, no rkmp code */
	ASSERT_TRUE(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, psk, sizeof(psk) - 1,
	    (const unsigned char *)keypad, sizeof(keypad) - 1, want, sizeof(want), &n) != NULL);
	ASSERT_INT_EQ(n, 32);
	sides_init(&x, false);
	negotiate(&x, &cfg_psk, &cfg_psk, &cfg_psk, false);
	ASSERT_INT_EQ(x.r[5], 0);
	/* each side's kept pad, and the one its state keeps */
	ASSERT_INT_EQ(x.a.psk_pad_cache.len, 32);
	ASSERT_INT_EQ(x.b.psk_pad_cache.len, 32);
	ASSERT_MEM_EQ(x.a.psk_pad_cache.pad, want, 32);
	ASSERT_MEM_EQ(x.b.psk_pad_cache.pad, want, 32);
	ASSERT_INT_EQ(x.a.sec.psk_pad_len, 32);
	ASSERT_MEM_EQ(x.a.sec.psk_pad, want, 32);
	ASSERT_MEM_EQ(x.b.sec.psk_pad, want, 32);
	ASSERT_INT_EQ(x.a.psk_pad_cache.psk_len, sizeof(psk) - 1);
	ASSERT_MEM_EQ(x.a.psk_pad_cache.psk, psk, sizeof(psk) - 1);
	run_free(&x);
	ASSERT_INT_EQ(x.a.psk_pad_cache.len, 0);
	ASSERT_TRUE(all_zero(x.a.psk_pad_cache.psk, sizeof(x.a.psk_pad_cache.psk)));
	ASSERT_TRUE(all_zero(x.a.psk_pad_cache.pad, sizeof(x.a.psk_pad_cache.pad)));
	ASSERT_TRUE(all_zero(x.b.psk_pad_cache.pad, sizeof(x.b.psk_pad_cache.pad)));
}

/* The initiator given another key for the answer: the kept pad does not hide it. */
TEST(ike_psk_pad_other_key)
{
	static struct run x;
	const struct rkmp_ike_cfg wrong = { .psk = wrong_psk, .psk_len = sizeof(wrong_psk) - 1 };

	sides_init(&x, false);
	negotiate(&x, &cfg_psk, &wrong, &cfg_psk, false);
	ASSERT_INT_EQ(x.r[4], 0);
	ASSERT_INT_EQ(x.r[5], RKMP_E_REFUSED);
	ASSERT_INT_EQ(x.a.phase, RKMP_PHASE_FAILED);
	ASSERT_STR_CONTAINS(x.a.reason, "does not verify");
	/* what the state keeps is still the pad of the key our AUTH was made with */
	ASSERT_INT_EQ(x.a.psk_pad_cache.psk_len, sizeof(wrong_psk) - 1);
	ASSERT_MEM_EQ(x.a.psk_pad_cache.psk, wrong_psk, sizeof(wrong_psk) - 1);
	ASSERT_TRUE(memcmp(x.a.sec.psk_pad, x.a.psk_pad_cache.pad, 32) != 0);
	ASSERT_MEM_EQ(x.a.sec.psk_pad, x.b.sec.psk_pad, 32);
	run_free(&x);
}

TEST(ike_no_note)
{
	static struct run x, y, z;
	const struct rkmp_ike_cfg wrong = { .psk = wrong_psk, .psk_len = sizeof(wrong_psk) - 1 };

	sides_init(&x, false);
	negotiate(&x, &cfg_psk, &cfg_psk, &cfg_psk, false);
	ASSERT_INT_EQ(x.r[5], 0);
	ASSERT_STR_CONTAINS(x.o[1].note, "RKMP_SA_INIT answered: SPIs ");
	ASSERT_STR_CONTAINS(x.o[2].note, ", suite " PROPOSAL ", keys derived");
	ASSERT_STR_CONTAINS(x.o[4].note, "RKMP SA established with fqdn:a.rkmp.test; ");
	ASSERT_STR_CONTAINS(x.o[5].note, "RKMP SA established with fqdn:b.rkmp.test; ");
	/* the same steps, no notes asked for: none made, the same outcome */
	sides_init(&y, false);
	negotiate(&y, &cfg_psk, &cfg_psk, &cfg_psk, true);
	ASSERT_INT_EQ(y.r[5], 0);
	ASSERT_INT_EQ(y.a.phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_INT_EQ(y.b.phase, RKMP_PHASE_ESTABLISHED);
	ASSERT_INT_EQ(y.a.children[0].keymat_len, x.a.children[0].keymat_len);
	ASSERT_MEM_EQ(y.a.children[0].keymat, y.b.children[0].keymat, y.a.children[0].keymat_len);
	for (size_t i = 0; i < 6; i++) {
		ASSERT_STR_EQ(y.o[i].note, "");
		ASSERT_TRUE(y.o[i].save);
	}
	/* a refusal still says why */
	sides_init(&z, false);
	negotiate(&z, &cfg_psk, &cfg_psk, &wrong, true);
	ASSERT_INT_EQ(z.r[4], RKMP_E_REFUSED);
	ASSERT_STR_CONTAINS(z.o[4].note, "answered AUTHENTICATION_FAILED");
	run_free(&x);
	run_free(&y);
	run_free(&z);
}

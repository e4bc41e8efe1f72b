/* SPDX-License-Identifier: MIT */
/*
 * test_auth_matrix.c — RKMP_SA_INIT and RKMP_SA_AUTH for every suite x
 * profile x credential combination that 20-auth.bats once ran through the
 * step binaries, a process per step: here both sides are driven in memory
 * through lib/ike.c as cmd/step.c drives them (the same configuration, each
 * side's state saved and loaded again after each of its steps, as a new
 * process would), with the assertions the bats matrix made per combination
 * and a few more:
 *   - every step succeeds and both sides end established;
 *   - identical SPIs, SKEYSEED and SK_* on both sides (after the save/load),
 *     each of them there, save SK_ai/SK_ar of an AEAD suite (none there);
 *   - the same suite, the first child's protocol and KEYMAT on both sides;
 *   - with certificates (no configured identities, as without --id), each
 *     side saw the identity of the other's certificate.
 * 20-auth.bats keeps one CLI negotiation per suite and per certificate pair.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "err.h"
#include "ike.h"
#include "sa.h"
#include "state.h"
#include "test_helper.h"
#include "tests.h"

#define PKI	"../../testdata/pki/"

static const uint8_t matrix_psk[] = "rkmp-test-psk-0123456789";

static const char *const suites[] = {
	"aes128-sha256-modp2048", "aes256-sha384-ecp384", "aes256gcm16-prfsha256-ecp256",
	"chacha20poly1305-prfsha256-x25519", "aes128gcm16-prfsha512-curve448",
};

/* The credentials of one side; NULL names for PSK. */
struct side_creds {
	struct rkmp_creds	*own;	/* cert + key + CA: the side's AUTH request or answer */
	struct rkmp_creds	*ca;	/* CA alone: the initiator's check of the answer */
	char			 id[RKMP_SA_ID_MAX];
};

static void
side_creds_free(struct side_creds *c)
{
	rkmp_creds_free(c->own);
	rkmp_creds_free(c->ca);
	memset(c, 0, sizeof(*c));
}

static int
side_creds_load(struct side_creds *c, const char *name)
{
	char cert[256], key[256];

	memset(c, 0, sizeof(*c));
	snprintf(cert, sizeof(cert), PKI "%s.pem", name);
	snprintf(key, sizeof(key), PKI "%s.key", name);
	if (rkmp_creds_load(&c->own, cert, key, PKI "ca.pem") != 0 ||
	    rkmp_creds_load(&c->ca, NULL, NULL, PKI "ca.pem") != 0 ||
	    rkmp_creds_identity(c->own, c->id, sizeof(c->id)) != 0) {
		fprintf(stderr, "credentials %s: %s\n", name, rkmp_err_text());
		side_creds_free(c);
		return -1;
	}
	return 0;
}

/* Save and load again: the next step of this side is a new process. */
static int
again(const char *dir, const char *name, struct rkmp_sa *sa)
{
	char path[128];
	int r;

	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	if ((r = rkmp_state_save(path, sa)) != 0)
		return r;
	rkmp_sa_wipe(sa);
	rkmp_sa_init(sa);
	r = rkmp_state_load(path, sa);
	unlink(path);
	return r;
}

/* One step's message, copied out of o (NULL when it sends none). */
static int
take(struct rkmp_ike_out *o, uint8_t **p, size_t *len)
{
	free(*p);
	*p = NULL;
	*len = 0;
	if (o->send && o->msg.len > 0) {
		if ((*p = malloc(o->msg.len)) == NULL)
			return -1;
		memcpy(*p, o->msg.p, o->msg.len);
		*len = o->msg.len;
	}
	rkmp_ike_out_free(o);
	rkmp_ike_out_init(o);
	return 0;
}

static bool
nonzero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return true;
	return false;
}

/*
 * Both sides through the six steps of DESIGN.md §6 with SUITE and PROFILE;
 * PSK when ic and rc are NULL, else the initiator's and the responder's
 * certificates.  Fails the running test (naming the combination) on any
 * difference from what the bats matrix asserted.
 */
static void
negotiate(const char *suite, enum rkmp_profile profile, struct side_creds *ic, struct side_creds *rc)
{
	char tmpl[] = "/tmp/rkmp-test-matrix-XXXXXX", what[160];
	struct rkmp_sa *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct rkmp_ike_cfg none = { 0 }, ca = { 0 }, cb = { 0 }, cproc = { 0 };
	struct rkmp_ike_out o;
	uint8_t *m = NULL;
	size_t len = 0;
	int r = -1;

	snprintf(what, sizeof(what), "%s %s %s", suite, rkmp_profile_name(profile),
	    ic != NULL ? "certificates" : "PSK");
	rkmp_ike_out_init(&o);
	if (a == NULL || b == NULL || mkdtemp(tmpl) == NULL) {
		test_fail(__FILE__, __LINE__, "%s: no memory or temp directory", what);
		goto out;
	}
	rkmp_sa_init(a);
	rkmp_sa_init(b);
	a->initiator = true;
	a->profile = b->profile = profile;
	snprintf(a->proposals, sizeof(a->proposals), "%s", suite);
	snprintf(b->proposals, sizeof(b->proposals), "%s", suite);
	if (ic == NULL) {
		/* init_pair's --id; auth_pair's --psk-file */
		snprintf(a->id_local, sizeof(a->id_local), "fqdn:a.rkmp.test");
		snprintf(b->id_local, sizeof(b->id_local), "fqdn:b.rkmp.test");
		ca.psk = cb.psk = matrix_psk;
		ca.psk_len = cb.psk_len = sizeof(matrix_psk) - 1;
	} else {
		/* identities from the certificates; the initiator's answer checked with --ca alone */
		ca.creds = ic->own;
		cb.creds = rc->own;
		cproc.creds = ic->ca;
	}
#define STEP(call, side, name) do { \
		if ((r = (call)) != 0) { \
			test_fail(__FILE__, __LINE__, "%s: %s = %d (%s)", what, #call, r, rkmp_err_text()); \
			goto out; \
		} \
		if ((r = take(&o, &m, &len)) != 0 || (r = again(tmpl, name, side)) != 0) { \
			test_fail(__FILE__, __LINE__, "%s: after %s: state save/load: %s", what, #call, \
			    rkmp_err_text()); \
			goto out; \
		} \
	} while (0)
	STEP(rkmp_ike_init_request(a, &none, &o), a, "a");
	STEP(rkmp_ike_init_respond(b, &none, m, len, &o), b, "b");
	STEP(rkmp_ike_init_process(a, &none, m, len, &o), a, "a");
	STEP(rkmp_ike_auth_request(a, &ca, &o), a, "a");
	STEP(rkmp_ike_auth_respond(b, &cb, m, len, &o), b, "b");
	STEP(rkmp_ike_auth_process(a, ic != NULL ? &cproc : &ca, m, len, &o), a, "a");
#undef STEP
	r = -1;
	if (a->phase != RKMP_PHASE_ESTABLISHED || b->phase != RKMP_PHASE_ESTABLISHED) {
		test_fail(__FILE__, __LINE__, "%s: phases %s and %s", what, rkmp_phase_name(a->phase),
		    rkmp_phase_name(b->phase));
		goto out;
	}
	if (a->spi_i != b->spi_i || a->spi_r != b->spi_r || a->spi_i == 0 || a->spi_r == 0 ||
	    memcmp(&a->suite, &b->suite, sizeof(a->suite)) != 0) {
		test_fail(__FILE__, __LINE__, "%s: SPIs or suite differ", what);
		goto out;
	}
	/* every key there (none of them all zero), SK_ai/SK_ar exactly when the suite has INTEG */
	if (a->sec.skeyseed_len == 0 || a->sec.d_len == 0 || a->sec.e_len == 0 || a->sec.p_len == 0 ||
	    (a->sec.a_len != 0) != (a->suite.integ != 0) ||
	    !nonzero(a->sec.skeyseed, a->sec.skeyseed_len) || !nonzero(a->sec.sk_d, a->sec.d_len) ||
	    !nonzero(a->sec.sk_ei, a->sec.e_len) || !nonzero(a->sec.sk_er, a->sec.e_len) ||
	    !nonzero(a->sec.sk_pi, a->sec.p_len) || !nonzero(a->sec.sk_pr, a->sec.p_len) ||
	    (a->sec.a_len != 0 && (!nonzero(a->sec.sk_ai, a->sec.a_len) || !nonzero(a->sec.sk_ar, a->sec.a_len)))) {
		test_fail(__FILE__, __LINE__, "%s: a key is missing (SKEYSEED %zu, SK_d %zu, SK_a %zu, SK_e %zu, "
		    "SK_p %zu octets; INTEG %u)", what, a->sec.skeyseed_len, a->sec.d_len, a->sec.a_len,
		    a->sec.e_len, a->sec.p_len, a->suite.integ);
		goto out;
	}
	if (a->sec.skeyseed_len != b->sec.skeyseed_len || a->sec.d_len != b->sec.d_len ||
	    a->sec.a_len != b->sec.a_len || a->sec.e_len != b->sec.e_len || a->sec.p_len != b->sec.p_len ||
	    memcmp(a->sec.skeyseed, b->sec.skeyseed, a->sec.skeyseed_len) != 0 ||
	    memcmp(a->sec.sk_d, b->sec.sk_d, a->sec.d_len) != 0 ||
	    memcmp(a->sec.sk_ai, b->sec.sk_ai, a->sec.a_len) != 0 ||
	    memcmp(a->sec.sk_ar, b->sec.sk_ar, a->sec.a_len) != 0 ||
	    memcmp(a->sec.sk_ei, b->sec.sk_ei, a->sec.e_len) != 0 ||
	    memcmp(a->sec.sk_er, b->sec.sk_er, a->sec.e_len) != 0 ||
	    memcmp(a->sec.sk_pi, b->sec.sk_pi, a->sec.p_len) != 0 ||
	    memcmp(a->sec.sk_pr, b->sec.sk_pr, a->sec.p_len) != 0) {
		test_fail(__FILE__, __LINE__, "%s: keys differ", what);
		goto out;
	}
	/* the first child: an RP SA (rkmp) or ESP (ikev2), the same KEYMAT */
	if (a->nchildren != 1 || b->nchildren != 1 || a->children[0].protocol != b->children[0].protocol ||
	    a->children[0].protocol != (profile == RKMP_PROFILE_IKEV2 ? 3 : 201) ||
	    a->children[0].keymat_len == 0 || a->children[0].keymat_len != b->children[0].keymat_len ||
	    memcmp(a->children[0].keymat, b->children[0].keymat, a->children[0].keymat_len) != 0) {
		test_fail(__FILE__, __LINE__, "%s: first child differs (%zu and %zu children)", what,
		    a->nchildren, b->nchildren);
		goto out;
	}
	if (ic != NULL && (strcmp(a->id_peer_seen, rc->id) != 0 || strcmp(b->id_peer_seen, ic->id) != 0)) {
		test_fail(__FILE__, __LINE__, "%s: identities seen \"%s\" and \"%s\", certificates \"%s\" and \"%s\"",
		    what, a->id_peer_seen, b->id_peer_seen, rc->id, ic->id);
		goto out;
	}
	r = 0;
out:
	(void)r;
	rkmp_ike_out_free(&o);
	free(m);
	if (a != NULL) {
		rkmp_sa_wipe(a);
		free(a);
	}
	if (b != NULL) {
		rkmp_sa_wipe(b);
		free(b);
	}
	rmdir(tmpl);
}

/* 20-auth.bats "suite matrix x profiles": five suites, both profiles, PSK */
TEST(auth_matrix_psk)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]) && !test_failed_now; i++) {
		negotiate(suites[i], RKMP_PROFILE_RKMP, NULL, NULL);
		negotiate(suites[i], RKMP_PROFILE_IKEV2, NULL, NULL);
	}
}

/*
 * 20-auth.bats "certificates": RSA and ECDSA (P-256, P-384), both profiles;
 * every suite for rsa/p256, the default suite for the other pairs.
 */
TEST(auth_matrix_certificates)
{
	static const char *const pairs[][2] = { { "rsa", "p256" }, { "p256", "rsa" }, { "p384", "rsa" } };
	struct side_creds ic, rc;

	for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]) && !test_failed_now; p++) {
		if (side_creds_load(&ic, pairs[p][0]) != 0) {
			test_fail(__FILE__, __LINE__, "%s credentials", pairs[p][0]);
			return;
		}
		if (side_creds_load(&rc, pairs[p][1]) != 0) {
			side_creds_free(&ic);
			test_fail(__FILE__, __LINE__, "%s credentials", pairs[p][1]);
			return;
		}
		for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]) && !test_failed_now; i++) {
			const char *s = p == 0 ? suites[i] : "aes256gcm16-prfsha256-ecp256";

			if (p != 0 && i > 0)
				break;
			negotiate(s, RKMP_PROFILE_RKMP, &ic, &rc);
			negotiate(s, RKMP_PROFILE_IKEV2, &ic, &rc);
		}
		side_creds_free(&ic);
		side_creds_free(&rc);
	}
}

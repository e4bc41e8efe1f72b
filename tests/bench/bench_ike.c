/* SPDX-License-Identifier: MIT */
/*
 * bench_ike.c — full RKMP_SA_INIT + RKMP_SA_AUTH negotiations per second,
 * both sides in one process through the same engine the binaries use, side
 * by side with the crypto floor measured in the same run: the DH operations
 * alone (two key pairs and two shared secrets per negotiation) through the
 * same EVP calls.  Usage: rkmp-bench [seconds-per-case]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "err.h"
#include "ike.h"
#include "sa.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const uint8_t psk[] = "bench-psk-0123456789";

/* One whole negotiation; 0 when both sides end established. */
static int
negotiate(const char *proposal)
{
	struct rkmp_sa a, b;
	struct rkmp_ike_cfg cfg = { .psk = psk, .psk_len = sizeof(psk) - 1 };
	struct rkmp_ike_out o1, o2, o3, o4, o5, o6;
	int r;

	rkmp_sa_init(&a);
	rkmp_sa_init(&b);
	b.initiator = false;
	snprintf(a.proposals, sizeof(a.proposals), "%s", proposal);
	snprintf(b.proposals, sizeof(b.proposals), "%s", proposal);
	snprintf(a.id_local, sizeof(a.id_local), "fqdn:a.bench");
	snprintf(b.id_local, sizeof(b.id_local), "fqdn:b.bench");
	rkmp_ike_out_init(&o1);
	rkmp_ike_out_init(&o2);
	rkmp_ike_out_init(&o3);
	rkmp_ike_out_init(&o4);
	rkmp_ike_out_init(&o5);
	rkmp_ike_out_init(&o6);
	if ((r = rkmp_ike_init_request(&a, &cfg, &o1)) == 0 &&
	    (r = rkmp_ike_init_respond(&b, &cfg, o1.msg.p, o1.msg.len, &o2)) == 0 &&
	    (r = rkmp_ike_init_process(&a, &cfg, o2.msg.p, o2.msg.len, &o3)) == 0 &&
	    (r = rkmp_ike_auth_request(&a, &cfg, &o4)) == 0 &&
	    (r = rkmp_ike_auth_respond(&b, &cfg, o4.msg.p, o4.msg.len, &o5)) == 0 &&
	    (r = rkmp_ike_auth_process(&a, &cfg, o5.msg.p, o5.msg.len, &o6)) == 0)
		r = a.phase == RKMP_PHASE_ESTABLISHED && b.phase == RKMP_PHASE_ESTABLISHED &&
		    memcmp(a.sec.sk_d, b.sec.sk_d, a.sec.d_len) == 0 ? 0 : -1;
	rkmp_ike_out_free(&o1);
	rkmp_ike_out_free(&o2);
	rkmp_ike_out_free(&o3);
	rkmp_ike_out_free(&o4);
	rkmp_ike_out_free(&o5);
	rkmp_ike_out_free(&o6);
	rkmp_sa_wipe(&a);
	rkmp_sa_wipe(&b);
	return r;
}

/* The DH floor of one negotiation: two key pairs, two shared secrets. */
static int
dh_floor(uint16_t group)
{
	const struct rkmp_dh_group *g = rkmp_crypto_dh_lookup(group);
	struct rkmp_dh *x = NULL, *y = NULL;
	uint8_t s1[RKMP_CRYPTO_DH_MAX], s2[RKMP_CRYPTO_DH_MAX];
	const uint8_t *px, *py;
	size_t lx, ly;
	int r;

	if ((r = rkmp_crypto_dh_new(g, NULL, 0, &x)) == 0 && (r = rkmp_crypto_dh_new(g, NULL, 0, &y)) == 0) {
		px = rkmp_crypto_dh_public(x, &lx);
		py = rkmp_crypto_dh_public(y, &ly);
		if ((r = rkmp_crypto_dh_shared(x, py, ly, s1)) == 0)
			r = rkmp_crypto_dh_shared(y, px, lx, s2);
	}
	rkmp_crypto_dh_free(x);
	rkmp_crypto_dh_free(y);
	return r;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	static const struct {
		const char *name, *proposal;
		uint16_t group;
	} cases[] = {
		{ "x25519", "aes256gcm16-prfsha256-x25519", 31 },
		{ "modp2048", "aes128-sha256-modp2048", 14 },
	};

	const char *only = getenv("RKMP_BENCH_ONLY");

	printf("%-10s %14s %14s %8s\n", "group", "negotiations/s", "DH floor/s", "ratio");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (only != NULL && strcmp(only, cases[i].name) != 0)
			continue;
		double t0, t, neg, flo;
		unsigned long n;

		/* interleave: floor, negotiations, floor again (machines are noisy) */
		for (n = 0, t0 = now(); (t = now()) - t0 < secs / 2; n++)
			if (dh_floor(cases[i].group) != 0)
				return fprintf(stderr, "dh floor: %s\n", rkmp_err_text()), 1;
		flo = n / (t - t0);
		for (n = 0, t0 = now(); (t = now()) - t0 < secs; n++)
			if (negotiate(cases[i].proposal) != 0)
				return fprintf(stderr, "negotiation: %s\n", rkmp_err_text()), 1;
		neg = n / (t - t0);
		for (n = 0, t0 = now(); (t = now()) - t0 < secs / 2; n++)
			(void)dh_floor(cases[i].group);
		flo = (flo + n / (t - t0)) / 2;
		printf("%-10s %14.0f %14.0f %7.2fx\n", cases[i].name, neg, flo, neg / flo);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "crypto.h"
#include "track.h"

#define TRACK_SLOTS	4096	/* power of two */
#define TRACK_PROBE	8

struct track_sa {
	uint64_t	spi_i, spi_r;	/* 0/0 = empty */
	uint8_t		iv, icv, block;
};

struct rkmp_track {
	struct track_sa	slot[TRACK_SLOTS];
	unsigned	victim;
};

struct rkmp_track *
rkmp_track_new(void)
{
	return calloc(1, sizeof(struct rkmp_track));
}

void
rkmp_track_free(struct rkmp_track *t)
{
	free(t);
}

static size_t
track_hash(uint64_t a, uint64_t b)
{
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;

	return (size_t)(h >> 40) & (TRACK_SLOTS - 1);
}

static struct track_sa *
track_find(struct rkmp_track *t, uint64_t spi_i, uint64_t spi_r, bool insert)
{
	size_t h = track_hash(spi_i, spi_r);

	for (size_t k = 0; k < TRACK_PROBE; k++) {
		struct track_sa *s = &t->slot[(h + k) & (TRACK_SLOTS - 1)];

		if (s->spi_i == spi_i && s->spi_r == spi_r)
			return s;
		if (insert && s->spi_i == 0 && s->spi_r == 0)
			return s;
	}
	if (!insert)
		return NULL;
	return &t->slot[(h + t->victim++ % TRACK_PROBE) & (TRACK_SLOTS - 1)];
}

/* The SK layout of an IKE SA from the one proposal of an IKE_SA_INIT response. */
static bool
sk_layout(const struct rkmp_proposal *pr, struct track_sa *out)
{
	const struct rkmp_encr_alg *encr = NULL;
	const struct rkmp_integ_alg *integ = NULL;

	for (size_t i = 0; i < pr->ntrans; i++) {
		const struct rkmp_transform *tr = &pr->trans[i];

		if (tr->type == RKMP_TRANS_ENCR)
			encr = rkmp_crypto_encr_lookup(tr->id,
			    tr->key_length > 0 ? (uint16_t)tr->key_length : 0);
		else if (tr->type == RKMP_TRANS_INTEG && tr->id != 0)
			integ = rkmp_crypto_integ_lookup(tr->id);
	}
	if (encr == NULL || (!encr->aead && integ == NULL))
		return false;
	out->iv = (uint8_t)encr->iv_len;
	out->block = (uint8_t)encr->block_len;
	out->icv = (uint8_t)(encr->aead ? encr->icv_len : integ->icv_len);
	return true;
}

void
rkmp_track_message(struct rkmp_track *t, const struct rkmp_msg *m, int err,
    struct rkmp_print_meta *meta)
{
	struct track_sa *s;

	if (m->exchange == RKMP_EXCH_IKE_SA_INIT && rkmp_msg_is_response(m) && err == 0) {
		const struct rkmp_pld *sa = rkmp_msg_find(m->pld, m->npld, RKMP_PLD_SA);
		struct track_sa v = { .spi_i = m->spi_i, .spi_r = m->spi_r };

		if (sa != NULL && sa->u.sa.nprop == 1 && m->spi_r != 0 &&
		    sk_layout(&sa->u.sa.prop[0], &v) && (s = track_find(t, m->spi_i, m->spi_r, true)))
			*s = v;
		return;
	}
	if (m->npld == 0)
		return;
	if (m->pld[m->npld - 1].type != RKMP_PLD_SK && m->pld[m->npld - 1].type != RKMP_PLD_SKF)
		return;
	if ((s = track_find(t, m->spi_i, m->spi_r, false)) != NULL) {
		meta->sk_iv = s->iv;
		meta->sk_icv = s->icv;
		meta->sk_block = s->block;
	}
}

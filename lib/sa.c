/* SPDX-License-Identifier: MIT */
/*
 * sa.c — phase and profile names, and the life cycle of struct rkmp_sa:
 * init, wipe (secrets cleansed, transcript freed) and the transcript.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "err.h"
#include "crypto.h"
#include "nitems.h"
#include "sa.h"
#include "wire.h"


/* Indexed by enum rkmp_phase; the names are the state file's. */
static const char *const phase_names[RKMP_PHASE_MAX_] = {
	[RKMP_PHASE_NEW] = "new",
	[RKMP_PHASE_INIT_SENT] = "init-sent",
	[RKMP_PHASE_INIT_DONE] = "init-done",
	[RKMP_PHASE_AUTH_SENT] = "auth-sent",
	[RKMP_PHASE_ESTABLISHED] = "established",
	[RKMP_PHASE_FAILED] = "failed",
	[RKMP_PHASE_DELETED] = "deleted",
};

static const char *const child_state_names[RKMP_CHILD_STATE_MAX_] = {
	[RKMP_CHILD_PROPOSED] = "proposed",
	[RKMP_CHILD_ESTABLISHED] = "established",
	[RKMP_CHILD_REKEYED] = "rekeyed",
	[RKMP_CHILD_DELETED] = "deleted",
	[RKMP_CHILD_REFUSED] = "refused",
	[RKMP_CHILD_REVOKED] = "revoked",
};

static const char *const profile_names[RKMP_PROFILE_MAX_] = {
	[RKMP_PROFILE_RKMP] = "rkmp",
	[RKMP_PROFILE_IKEV2] = "ikev2",
};

const char *
rkmp_phase_name(enum rkmp_phase p)
{
	if ((unsigned)p >= nitems(phase_names))
		return NULL;
	return phase_names[p];
}

bool
rkmp_phase_value(const char *name, enum rkmp_phase *p)
{
	if (name == NULL)
		return false;
	for (size_t i = 0; i < nitems(phase_names); i++)
		if (strcasecmp(phase_names[i], name) == 0) {
			*p = (enum rkmp_phase)i;
			return true;
		}
	return false;
}

const char *
rkmp_child_state_name(enum rkmp_child_state s)
{
	if ((unsigned)s >= nitems(child_state_names))
		return "?";
	return child_state_names[s];
}

bool
rkmp_child_state_value(const char *name, enum rkmp_child_state *s)
{
	for (size_t i = 0; name != NULL && i < nitems(child_state_names); i++)
		if (strcmp(child_state_names[i], name) == 0) {
			*s = (enum rkmp_child_state)i;
			return true;
		}
	return false;
}

bool
rkmp_child_live(enum rkmp_child_state s)
{
	return s == RKMP_CHILD_ESTABLISHED || s == RKMP_CHILD_REKEYED;
}

const char *
rkmp_profile_name(enum rkmp_profile p)
{
	if ((unsigned)p >= nitems(profile_names))
		return NULL;
	return profile_names[p];
}

bool
rkmp_profile_value(const char *name, enum rkmp_profile *p)
{
	if (name == NULL)
		return false;
	for (size_t i = 0; i < nitems(profile_names); i++)
		if (strcasecmp(profile_names[i], name) == 0) {
			*p = (enum rkmp_profile)i;
			return true;
		}
	return false;
}

/* What a zeroed struct gets to be as rkmp_sa_init() leaves it. */
static void
sa_defaults(struct rkmp_sa *sa)
{
	sa->version = RKMP_STATE_VERSION;
	sa->phase = RKMP_PHASE_NEW;
	sa->profile = RKMP_PROFILE_RKMP;
}

void
rkmp_sa_init(struct rkmp_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa_defaults(sa);
}

void
rkmp_sa_init_zeroed(struct rkmp_sa *sa)
{
	sa_defaults(sa);
}

/*
 * Everything goes, not only the "secrets" object: nonces, SPIs and the
 * transcript are what an attacker would pair with a leaked key.  The struct
 * is left as rkmp_sa_init() leaves it, so wiping twice is harmless.
 */
void
rkmp_sa_wipe(struct rkmp_sa *sa)
{
	if (sa == NULL)
		return;
	for (size_t i = 0; i < sa->ntranscript && i < RKMP_SA_TRANSCRIPT_MAX; i++) {
		struct rkmp_sa_msg *m = &sa->transcript[i];

		if (m->p != NULL) {
			OPENSSL_cleanse(m->p, m->len);
			free(m->p);
		}
	}
	rkmp_crypto_dh_free(sa->dh_cache);
	rkmp_crypto_forget();	/* the kept MAC and cipher contexts' last keys: this SA's or others' */
	rkmp_crypto_wipe(sa, sizeof(*sa));
	sa_defaults(sa);
}

/*
 * The exchange type, flags and Message ID come from the message's own IKE
 * header, so a caller cannot record a message under the wrong label.
 */
int
rkmp_sa_record(struct rkmp_sa *sa, bool sent, const uint8_t *p, size_t len)
{
	struct rkmp_sa_msg *m;

	if (sa->ntranscript >= RKMP_SA_TRANSCRIPT_MAX) {
		/*
		 * A long-lived SA outgrows any fixed transcript: forget the oldest
		 * message that is not an IKE_SA_INIT one (those sign RKMP_SA_AUTH).
		 */
		size_t k;

		for (k = 0; k < sa->ntranscript && sa->transcript[k].exchange == 34; k++)
			;
		if (k == sa->ntranscript)
			return rkmp_err_set(RKMP_E_STATE, "transcript",
			    "full: %zu messages, at most %d", sa->ntranscript, RKMP_SA_TRANSCRIPT_MAX);
		OPENSSL_cleanse(sa->transcript[k].p, sa->transcript[k].len);
		free(sa->transcript[k].p);
		memmove(&sa->transcript[k], &sa->transcript[k + 1],
		    (sa->ntranscript - k - 1) * sizeof(sa->transcript[0]));
		sa->ntranscript--;
	}
	if (p == NULL || len < RKMP_HDR_LEN)
		return rkmp_err_set(RKMP_E_INVALID, "transcript",
		    "message of %zu octets < %d (IKE header)", p == NULL ? 0 : len, RKMP_HDR_LEN);
	if (len > RKMP_MSG_MAX)
		return rkmp_err_set(RKMP_E_INVALID, "transcript",
		    "message of %zu octets > %d", len, RKMP_MSG_MAX);
	m = &sa->transcript[sa->ntranscript];
	if ((m->p = malloc(len)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "transcript", "%zu octets", len);
	memcpy(m->p, p, len);
	m->len = len;
	m->sent = sent;
	m->exchange = p[18];
	m->response = (p[19] & RKMP_FLAG_R) != 0;
	m->msg_id = rkmp_get32(p + 20);
	sa->ntranscript++;
	return 0;
}

const struct rkmp_sa_msg *
rkmp_sa_last(const struct rkmp_sa *sa, bool sent, uint8_t exchange, bool response)
{
	for (size_t i = sa->ntranscript; i > 0; i--) {
		const struct rkmp_sa_msg *m = &sa->transcript[i - 1];

		if (m->sent == sent && m->exchange == exchange && m->response == response)
			return m;
	}
	return NULL;
}

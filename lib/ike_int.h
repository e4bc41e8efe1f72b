/* SPDX-License-Identifier: MIT */
/*
 * ike_int.h — what the engine's files share, and only they include it
 * (lib/ike_*.c; not installed): the payload list and its builders, the
 * message helpers and key schedule of ike_msg.c, and the child and rekey
 * helpers that one exchange's file calls in another's.  The engine's API
 * is ike.h.
 */
#ifndef RKMP_IKE_INT_H
#define RKMP_IKE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "ike.h"
#include "msg.h"
#include "proposal.h"
#include "sa.h"

#define IKE_NONCE_LEN		32	/* >= half of every PRF key we offer (§2.10) */

/* ------------------------------------------------------------------ ike_msg.c */

static inline void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* One line for the user in o->note (none when the caller set o->no_note). */
void	rkmp_ike_note(struct rkmp_ike_out *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Whether the caller reads o->note: what only a note says is worked out only then. */
static inline bool
rkmp_ike_noting(const struct rkmp_ike_out *o)
{
	return !o->no_note;
}

/* Record the SA's outcome (phase failed, reason) and return code with the reason as detail. */
int	rkmp_ike_fail(struct rkmp_sa *sa, struct rkmp_ike_out *o, int code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* The crypto table rows of a suite. */
struct ike_suite {
	const struct rkmp_encr_alg	*encr;
	const struct rkmp_prf_alg	*prf;
	const struct rkmp_integ_alg	*integ;
	const struct rkmp_dh_group	*dh;
};

/* The rows of a suite, or of the state's; RKMP_E_CRYPTO when one is unknown. */
int	rkmp_ike_suite_rows_of(const struct rkmp_sa_suite *suite, struct ike_suite *s);
int	rkmp_ike_suite_rows(const struct rkmp_sa *sa, struct ike_suite *s);
/* From a choice (proposal.c) into a suite, checked against the crypto tables. */
int	rkmp_ike_suite_of_choice(const struct rkmp_prop_choice *c, struct rkmp_sa_suite *out);
/* SKEYSEED and SK_* from g^ir (§2.14), into the state's secrets. */
int	rkmp_ike_derive_keys(struct rkmp_sa *sa, const uint8_t *gir, size_t gir_len);
/* Our DH key pair: from the state's private value, or a new one (seeded or random). */
int	rkmp_ike_dh_key(struct rkmp_sa *sa, uint16_t group, bool fresh, struct rkmp_dh **dh);
/* Free a key pair from rkmp_ike_dh_key(): the cached one stays with the SA. */
void	rkmp_ike_dh_put(struct rkmp_sa *sa, struct rkmp_dh *dh);

/* The payloads of a message we build. */
struct pl_list {
	struct rkmp_pld	 p[24];
	size_t		 n;
};

/* A new payload of type at the end of l (zeroed), NULL when l is full. */
struct rkmp_pld *rkmp_ike_pl_add(struct pl_list *l, uint8_t type);
int	rkmp_ike_pl_notify(struct pl_list *l, uint16_t type, uint8_t proto, const uint8_t *spi,
	    uint8_t spi_size, const uint8_t *data, size_t len);
void	rkmp_ike_pl_ts(struct pl_list *l, uint8_t type, struct rkmp_ts *ts, uint8_t count);
/* TSi/TSr of the ikev2 profile: everything of one address family; the peer narrows. */
extern struct rkmp_ts rkmp_ike_ts_any;

static inline int
decode_msg(struct rkmp_arena *a, const uint8_t *p, size_t len, struct rkmp_msg *m)
{
	return rkmp_msg_decode(a, p, len, m);
}

static inline const struct rkmp_pld *
find(const struct rkmp_pld *pld, size_t n, uint8_t type)
{
	return rkmp_msg_find(pld, n, type);
}

/* The first error notify of a payload list (types below 16384), or NULL. */
const struct rkmp_pld *rkmp_ike_find_error(const struct rkmp_pld *pld, size_t n);

/* Encode an unprotected message (IKE_SA_INIT) into o->msg and record it. */
int	rkmp_ike_emit_clear(struct rkmp_sa *sa, struct rkmp_ike_out *o, uint64_t spi_i,
	    uint64_t spi_r, uint8_t exchange, uint8_t flags, uint32_t mid, struct pl_list *l, bool record);
/* Protect an inner chain into o->msg (SK, or SKF fragments) and record it. */
int	rkmp_ike_emit_protected(struct rkmp_sa *sa, struct rkmp_ike_out *o, uint8_t exchange,
	    bool response, uint32_t mid, struct pl_list *l);
/* Decode a protected message of the peer's, check the header, unprotect it (SK or SKF). */
int	rkmp_ike_open_protected(struct rkmp_sa *sa, struct rkmp_arena *a, const uint8_t *p,
	    size_t len, bool response, struct rkmp_msg *m, const struct rkmp_pld **inner, size_t *ninner);

/* A proposal list parsed (the last few are cached), and the state's IKE proposals. */
int	rkmp_ike_parse_cached(const char *list, uint8_t protocol, struct rkmp_prop_spec *specs,
	    size_t *n);
int	rkmp_ike_parse_specs(const struct rkmp_sa *sa, struct rkmp_prop_spec *specs, size_t *n);

/* ------------------------------------------------------------------ ike_child.c */

/* The first child's protocol: the state's (rkmp-auth --protocol), else the profile's. */
uint8_t	rkmp_ike_child_protocol(const struct rkmp_sa *sa);
/* Child SPI octets of a protocol (protocols.c). */
size_t	rkmp_ike_child_spi_len(uint8_t protocol);
/* The proposals of a first child (RKMP_SA_AUTH: no KE) of protocol. */
int	rkmp_ike_child_specs(const struct rkmp_sa *sa, uint8_t protocol,
	    struct rkmp_prop_spec *specs, size_t *n);
/* Child proposals with the PFS group (initiator) or every IKE group (responder) added. */
int	rkmp_ike_child_specs_for(const struct rkmp_sa *sa, uint8_t protocol, uint16_t pfs,
	    bool responder, struct rkmp_prop_spec *specs, size_t *n);
/* Add DH group g to spec d, or every DH group of specs[0..n), unless there already. */
void	rkmp_ike_spec_add_group(struct rkmp_prop_spec *d, uint16_t g);
void	rkmp_ike_spec_add_groups(struct rkmp_prop_spec *d, const struct rkmp_prop_spec *specs,
	    size_t n);
/* The child an answer completes: the one we proposed, or a new entry (NULL: full). */
struct rkmp_sa_child *rkmp_ike_child_slot(struct rkmp_sa *sa);

/* The inputs of a child's KEYMAT (§2.17): the exchange's nonces, g^ir with PFS. */
struct child_seed {
	const uint8_t	*gir, *ni, *nr;
	size_t		 gir_len, ni_len, nr_len;
	/* a rekey: our SPI of the child replaced (NULL: none); ours: we sent
	 * the request (else the peer's, answered while ours may be pending) */
	const uint8_t	*rekey_of;
	bool		 ours;
};

/* Record an established child: choice, SPIs, KEYMAT = prf+(SK_d, Ni | Nr). */
int	rkmp_ike_child_establish(struct rkmp_sa *sa, const struct rkmp_prop_choice *c,
	    const uint8_t *spi_local, const uint8_t *spi_peer, size_t spi_size,
	    const struct child_seed *cs);
/* Record a refused child of protocol, and why. */
void	rkmp_ike_child_refused(struct rkmp_sa *sa, uint8_t protocol, const char *why);
/* Build our CREATE_CHILD_SA or INFORMATIONAL request for req and make it the pending one. */
int	rkmp_ike_child_build(struct rkmp_sa *sa, const struct rkmp_child_req *req, uint8_t retries,
	    struct rkmp_ike_out *o);
/* KE of a child exchange (PFS): g^ir with our pending or fresh key pair. */
int	rkmp_ike_child_gir(struct rkmp_sa *sa, const struct rkmp_pld *ke, bool fresh, uint8_t *gir,
	    size_t *gir_len, struct rkmp_dh **dh);
/* Answer a repeated request from the transcript (§2.1): RKMP_IKE_AGAIN, else 0. */
int	rkmp_ike_resend_answer(struct rkmp_sa *sa, const uint8_t *req, size_t len,
	    struct rkmp_ike_out *o);
/* The Delete payloads of an INFORMATIONAL request applied and echoed in l. */
size_t	rkmp_ike_info_deletes(struct rkmp_sa *sa, const struct rkmp_pld *inner, size_t ninner,
	    struct pl_list *l, uint8_t (*delspis)[RKMP_SA_SPI_MAX], bool *ike);

/* ------------------------------------------------------------------ ike_rekey.c */

/* Swap the current RKMP SA's fields with the old SA's of a rekey (and back). */
void	rkmp_ike_old_swap(struct rkmp_sa *sa);
/* Forget the old SA (its Delete exchange is over). */
void	rkmp_ike_old_drop(struct rkmp_sa *sa);
/* Whether a datagram's IKE header names the old SA. */
bool	rkmp_ike_is_old(const struct rkmp_sa *sa, const uint8_t *p, size_t len);
/* Our proposal for the new RKMP SA, with the KE's group first. */
int	rkmp_ike_rekey_spec(const struct rkmp_sa *sa, uint16_t group, struct rkmp_prop_spec *s);
/* A request on the old SA of a rekey we answered. */
int	rkmp_ike_old_respond(struct rkmp_sa *sa, const uint8_t *req, size_t len,
	    struct rkmp_ike_out *o);
/* The peer's rekey of the RKMP SA: our answer, then the new SA is the current one. */
int	rkmp_ike_rekey_respond(struct rkmp_sa *sa, const struct rkmp_msg *m,
	    const struct rkmp_pld *inner, size_t ninner, struct rkmp_arena *a, struct rkmp_ike_out *o);
/* INVALID_KE_PAYLOAD in answer to our CREATE_CHILD_SA request: the request again, or refused. */
int	rkmp_ike_ke_retry(struct rkmp_sa *sa, const struct rkmp_pld *err, struct rkmp_ike_out *o);
/* The answer to our rekey of the RKMP SA: the new SA, and the Delete of the old one in o. */
int	rkmp_ike_rekey_process(struct rkmp_sa *sa, const struct rkmp_pld *inner, size_t ninner,
	    const struct rkmp_pld *err, struct rkmp_ike_out *o);

#endif

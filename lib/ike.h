/* SPDX-License-Identifier: MIT */
/*
 * ike.h — the exchange engine: RKMP_SA_INIT and RKMP_SA_AUTH (IKE_SA_INIT
 * and IKE_AUTH) as transport-free functions over a struct rkmp_sa.  Each
 * takes the peer's message (bytes, IKE header onwards) and/or produces ours;
 * the step binaries feed it from files or UDP, the benchmark from memory.
 *
 * Outcome of a step: the return code (0 done, RKMP_IKE_AGAIN: our message in
 * out continues the exchange, negative RKMP_E_*), out->send (a message to
 * write or send), out->save (the SA changed and must be saved: also on
 * refusals, whose outcome is recorded as phase "failed" or a refused child),
 * and out->note (one line for the user: what happened).  On any other error
 * nothing is to be saved: a forged or broken datagram never harms an SA.
 *
 * The engine is ike_msg.c (messages, their protection, the key schedule),
 * ike_init.c, ike_auth.c, ike_child.c and ike_rekey.c (the exchanges), which
 * share ike_int.h; identities are identity.h's.
 */
#ifndef RKMP_IKE_H
#define RKMP_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "buf.h"
#include "sa.h"
#include "udp.h"

#define RKMP_IKE_AGAIN	1	/* out holds a message that continues the exchange */

/*
 * After RKMP_SA_AUTH (RKMP_CHILD_SA and RKMP_INFORMATIONAL exchanges, either
 * side may start them): create a child SA (routing-protocol SA or ESP child,
 * optional PFS), rekey one (N(REKEY_SA)), delete one (D), delete the RKMP SA
 * itself (its children live on: rkmp-karp.md §8), or check liveness (an
 * empty INFORMATIONAL).  One request may be outstanding ("pending").
 * Rekeying the RKMP SA itself takes two requests: the CREATE_CHILD_SA that
 * makes the new SA (its answer is processed with RKMP_IKE_AGAIN and the
 * Delete of the old SA in out), then that Delete, on the old SA.
 */
enum rkmp_child_op {
	RKMP_CHILD_NONE,
	RKMP_CHILD_CREATE,
	RKMP_CHILD_REKEY,
	RKMP_CHILD_DELETE,
	RKMP_CHILD_DELETE_IKE,
	RKMP_CHILD_LIVENESS,
	RKMP_CHILD_REKEY_IKE,		/* rekey the RKMP SA itself (RFC 7296 §1.3.2, §2.18) */
	RKMP_CHILD_DELETE_OLD_IKE,	/* pending only: the Delete of the RKMP SA a rekey replaced */
};

struct rkmp_child_req {
	enum rkmp_child_op	 op;
	uint8_t			 protocol;	/* create: 201..203 (rkmp), 3 ESP (ikev2); 0 = default */
	uint16_t		 pfs_group;	/* create/rekey: KE group, 0 = no PFS */
	uint8_t			 spi[RKMP_SA_SPI_MAX];	/* rekey/delete: our SPI of the child */
	size_t			 spi_len;
	/* delete-ike: the live children's Delete payloads too, in the same
	 * INFORMATIONAL (RFC 7296 §1.4.1): the peer deletes them (their rows
	 * leave its key table) instead of keeping them until their lifetimes end */
	bool			 with_children;
};

/*
 * Stateless COOKIEs (RFC 7296 §2.6): Cookie = version | HMAC-SHA2-256(secret,
 * Ni | IPi | SPIi) truncated, 1 + RKMP_COOKIE_MAC octets; IPi is the address
 * (4 or 16 octets, no port) the request came from, empty in file mode.  The
 * responder keeps nothing per request: a returned cookie is checked by making
 * it again (constant-time compare) with the secret its version octet names,
 * the current one or the one before it.  rkmp_cookie_rotate makes a new
 * current secret (CSPRNG) and keeps the old one as previous: a cookie is
 * accepted for at most two rotation periods; one of an older secret, or a
 * forged one, is refused.
 */
#define RKMP_COOKIE_SECRET	32
#define RKMP_COOKIE_MAC		16
#define RKMP_COOKIE_LEN		(1 + RKMP_COOKIE_MAC)

struct rkmp_cookie_secrets {
	uint8_t		 version;			/* of cur; prev's is version - 1 */
	bool		 have_cur, have_prev;
	uint8_t		 cur[RKMP_COOKIE_SECRET], prev[RKMP_COOKIE_SECRET];
};

int	rkmp_cookie_rotate(struct rkmp_cookie_secrets *s);
void	rkmp_cookie_wipe(struct rkmp_cookie_secrets *s);
/* The cookie of (Ni, IPi, SPIi) under secret (ip NULL: empty address). */
int	rkmp_cookie_make(const uint8_t secret[RKMP_COOKIE_SECRET], uint8_t version,
	    const uint8_t *ni, size_t ni_len, const struct rkmp_udp_addr *ip, uint64_t spi_i,
	    uint8_t out[RKMP_COOKIE_LEN]);
/* Whether cookie ck (len octets) is one of s's for (Ni, IPi, SPIi). */
bool	rkmp_cookie_check(const struct rkmp_cookie_secrets *s, const uint8_t *ni, size_t ni_len,
	    const struct rkmp_udp_addr *ip, uint64_t spi_i, const uint8_t *ck, size_t len);

/* Per-step inputs that are not part of the state. */
struct rkmp_ike_cfg {
	const uint8_t		*psk;		/* PSK authentication, or */
	size_t			 psk_len;	/* (the SA keeps the key pad it computes from
						 * it while the same key is given) */
	const struct rkmp_creds	*creds;		/* certificates (cert/key/ca) */
	int			 auth_method;	/* 0 = choose */
	bool			 require_cookie;/* responder: demand N(COOKIE) first */
	/* responder: the secrets stateless cookies are made from (rkmpd keeps
	 * them in memory); NULL: one secret kept in the state (ike_sa.cookie),
	 * for the step tools, whose steps are separate processes */
	const struct rkmp_cookie_secrets *cookie_secrets;
	/* UDP endpoints, for NAT_DETECTION_*; NULL in file mode (then none are sent) */
	const struct rkmp_udp_addr *local, *remote;
	/* rkmp-child: the operation its request performs */
	const struct rkmp_child_req *child;
};

struct rkmp_ike_out {
	struct rkmp_buf	 msg;
	bool		 send;
	bool		 save;
	unsigned	 fragments;	/* msg is this many RFC 7383 fragments (0: one message) */
	char		 note[512];
	/* Set by a caller that reads no note (the benchmark): the engine leaves
	 * the notes of steps that succeed empty, and formats nothing for them;
	 * a failure's note still says why.  rkmp_ike_out_init() clears it. */
	bool		 no_note;
};

void	rkmp_ike_out_init(struct rkmp_ike_out *o);
void	rkmp_ike_out_free(struct rkmp_ike_out *o);

/* RKMP_SA_INIT */
int	rkmp_ike_init_request(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, struct rkmp_ike_out *o);
int	rkmp_ike_init_respond(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *req,
	    size_t len, struct rkmp_ike_out *o);
int	rkmp_ike_init_process(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *resp,
	    size_t len, struct rkmp_ike_out *o);
/* RKMP_SA_AUTH */
int	rkmp_ike_auth_request(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, struct rkmp_ike_out *o);
int	rkmp_ike_auth_respond(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *req,
	    size_t len, struct rkmp_ike_out *o);
int	rkmp_ike_auth_process(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *resp,
	    size_t len, struct rkmp_ike_out *o);

int	rkmp_ike_child_request(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg,
	    const struct rkmp_child_req *req, struct rkmp_ike_out *o);
int	rkmp_ike_child_respond(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *req,
	    size_t len, struct rkmp_ike_out *o);
int	rkmp_ike_child_process(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, const uint8_t *resp,
	    size_t len, struct rkmp_ike_out *o);

/*
 * RFC 7296 §2.8.1: whether child i (established, made by a rekey) and another
 * established child replaced the same child in two rekeys that crossed, one
 * ours and one the peer's.  1: child i is the redundant one (its exchange
 * has the lowest of the four nonces; whoever sent its request deletes it),
 * 0: the other one is (*other, when not NULL, is its index), -1: no crossing.
 */
int	rkmp_ike_child_crossed(const struct rkmp_sa *sa, size_t i, size_t *other);

/*
 * Our request that waits for an answer, exactly as it was sent (from the
 * transcript), so that a run after a crash retransmits it bitwise-identical
 * instead of building another one.  RKMP_E_STATE when none waits.
 */
int	rkmp_ike_pending_request(const struct rkmp_sa *sa, const uint8_t **p, size_t *len);
/* The type of the error notify an answer to our RKMP_SA_INIT request carries
 * alone (unauthenticated: RFC 7296 §2.21.1), else 0. */
int	rkmp_ike_init_error(const struct rkmp_sa *sa, const uint8_t *p, size_t len);
/*
 * KEYMAT length of a child SA with the chosen transforms (RFC 7296 §2.17):
 * a routing-protocol SA's master key by its INTEG (rkmp-karp.md §7), or
 * ESP's four keys by its ENCR (with the Key Length attribute) and INTEG.
 * RKMP_E_CRYPTO, the detail naming what is unknown, when there is no length.
 */
struct rkmp_prop_choice;
int	rkmp_ike_child_keymat_len(const struct rkmp_prop_choice *c, size_t *len);
/*
 * Whether a datagram answers our outstanding request (for rkmp_udp_request);
 * an answer in RFC 7383 fragments is given whole: its fragments one after
 * another, as rkmp_frags_join() makes them.  The engine's other entry points
 * take a peer's message in the same two forms.
 */
int	rkmp_ike_is_answer(void *sa, const uint8_t *p, size_t len);

/*
 * A transport's check of one datagram before it keeps it as a fragment:
 * 1 when it is an RFC 7383 Encrypted Fragment of the peer's on this SA
 * (SPIs, I flag, fragmentation agreed) whose ICV verifies, 0 when it is no
 * fragment, RKMP_E_* (the reason) when it is a broken or forged one.
 */
int	rkmp_ike_fragment_check(struct rkmp_sa *sa, const uint8_t *p, size_t len);

/* Testing: deterministic randomness from the SA's seed (or the CSPRNG). */
int	rkmp_ike_random(struct rkmp_sa *sa, const char *label, uint8_t *out, size_t n);

#endif

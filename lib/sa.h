/* SPDX-License-Identifier: MIT */
/*
 * sa.h — one side's view of one RKMP SA (IKE SA): everything a step binary
 * reads from and writes back to its JSON state file (DESIGN.md §6).
 * state.c maps this struct to and from JSON; the engine (ike_*.c) works on it.
 * Secrets live in fixed arrays and are wiped by rkmp_sa_wipe().
 */
#ifndef RKMP_SA_H
#define RKMP_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rkmp_dh;

#define RKMP_STATE_VERSION	1
#define RKMP_SA_NONCE_MAX	256
#define RKMP_SA_SECRET_MAX	64	/* one SK_* key (RKMP_CRYPTO_KEY_MAX) */
#define RKMP_SA_DH_MAX		512	/* DH private value (MODP 4096) */
#define RKMP_SA_ID_MAX		256	/* "fqdn:r1.example" */
#define RKMP_SA_TEXT_MAX	512	/* proposal lists, reasons, paths */
#define RKMP_SA_COOKIE_MAX	64
#define RKMP_SA_SEED_MAX	64
#define RKMP_SA_CHILD_MAX	16
#define RKMP_SA_KEYMAT_MAX	256
#define RKMP_SA_SPI_MAX		8	/* child SPI: 1 (TCP-AO, BFD), 4 (ESP), 6 (RSVP-TE) */
#define RKMP_SA_TRANSCRIPT_MAX	64
#define RKMP_SA_RANDOM_POOL	96	/* SPI, nonce, child SPI, an IV or two */

/* Phases, in the order a negotiation goes through them (names as in the file). */
enum rkmp_phase {
	RKMP_PHASE_NEW,			/* "new": nothing sent or received */
	RKMP_PHASE_INIT_SENT,		/* "init-sent": initiator sent RKMP_SA_INIT request */
	RKMP_PHASE_INIT_DONE,		/* "init-done": keys derived (both roles) */
	RKMP_PHASE_AUTH_SENT,		/* "auth-sent": initiator sent RKMP_SA_AUTH request */
	RKMP_PHASE_ESTABLISHED,		/* "established": RKMP SA up */
	RKMP_PHASE_FAILED,		/* "failed": refused or timed out; see reason */
	RKMP_PHASE_DELETED,		/* "deleted": orderly delete; children live on (RKMP) */
	RKMP_PHASE_MAX_
};

/* A child SA's life (names as in the file: children[].state). */
enum rkmp_child_state {
	RKMP_CHILD_PROPOSED,		/* "proposed": our request is out */
	RKMP_CHILD_ESTABLISHED,		/* "established": in use */
	RKMP_CHILD_REKEYED,		/* "rekeyed": replaced, in use until deleted */
	RKMP_CHILD_DELETED,		/* "deleted": INFORMATIONAL D, either side */
	RKMP_CHILD_REFUSED,		/* "refused": never established; see reason */
	RKMP_CHILD_REVOKED,		/* "revoked": its RKMP SA failed (RP_revokeSA) */
	RKMP_CHILD_STATE_MAX_
};

enum rkmp_profile {
	RKMP_PROFILE_RKMP,		/* "rkmp": port 50500, SAi2 proposes an RP SA, no TS */
	RKMP_PROFILE_IKEV2,		/* "ikev2": ESP child with TS, or childless */
	RKMP_PROFILE_MAX_
};

struct rkmp_bytes {			/* a value with its length */
	size_t	 len;
	uint8_t	 p[RKMP_SA_NONCE_MAX];
};

/* The negotiated IKE suite, as transform IDs (names in the file). */
struct rkmp_sa_suite {
	uint16_t	 encr;
	uint16_t	 encr_bits;		/* Key Length attribute, 0 if none */
	uint16_t	 prf;
	uint16_t	 integ;			/* 0 with AEAD */
	uint16_t	 dh;
};

/* One message of the transcript (DESIGN.md §6: "transcript of every message (hex)"). */
struct rkmp_sa_msg {
	bool		 sent;			/* "dir": "sent" | "received" */
	uint8_t		 exchange;
	bool		 response;
	uint32_t	 msg_id;
	size_t		 len;
	uint8_t		*p;			/* malloc'd, len octets */
};

/* A child SA: in the rkmp profile a routing-protocol SA, in ikev2 an ESP SA. */
struct rkmp_sa_child {
	uint8_t		 protocol;		/* 3 ESP, 201 TCP-AO, 202 BFD, 203 RSVP-TE */
	uint8_t		 spi_size;
	uint8_t		 spi_local[RKMP_SA_SPI_MAX];
	uint8_t		 spi_peer[RKMP_SA_SPI_MAX];
	uint16_t	 transforms[8][2];	/* chosen {type, id} pairs */
	size_t		 ntransforms;
	enum rkmp_child_state state;
	char		 reason[RKMP_SA_TEXT_MAX];
	size_t		 keymat_len;		/* secret */
	uint8_t		 keymat[RKMP_SA_KEYMAT_MAX];
	/* When it was established, Unix seconds ("created"; 0: not known, as in
	 * states written before it was kept): the daemon counts its lifetime from
	 * it across restarts; the engine has no clock and leaves it 0. */
	uint64_t	 created;
	/* A child made by a rekey (RFC 7296 §2.8.1): our SPI of the child it
	 * replaced ("rekey_of"), whether we sent the request ("initiator") and
	 * the lowest nonce of that exchange ("nonce_min"): of two rekeys of one
	 * child that crossed, the one with the lowest nonce is redundant. */
	bool		 rekey;
	bool		 ours;
	uint8_t		 rekey_of[RKMP_SA_SPI_MAX];
	struct rkmp_bytes nonce_min;
};

struct rkmp_sa {
	int		 version;		/* RKMP_STATE_VERSION */
	enum rkmp_phase	 phase;
	bool		 initiator;		/* "role": "initiator" | "responder" */
	enum rkmp_profile profile;
	char		 id_local[RKMP_SA_ID_MAX];	/* "identities": {"local", "peer"} */
	char		 id_peer[RKMP_SA_ID_MAX];	/* expected (may be empty = any) */
	char		 id_peer_seen[RKMP_SA_ID_MAX];	/* what the peer sent */
	char		 proposals[RKMP_SA_TEXT_MAX];	/* configured proposal list */
	char		 child_proposals[RKMP_SA_TEXT_MAX];
	uint8_t		 child_protocol;	/* the first child's (rkmp-auth --protocol); 0: the profile's */
	bool		 childless;
	/* RFC 7383: both sides sent IKEV2_FRAGMENTATION_SUPPORTED in RKMP_SA_INIT
	 * ("fragmentation": true); a NAT was detected between us (RFC 7296
	 * §2.23: "nat": true), so the ikev2 profile continues on port 4500 */
	bool		 fragmentation;
	bool		 nat;
	struct rkmp_sa_suite suite;		/* "suite": chosen at RKMP_SA_INIT */
	char		 reason[RKMP_SA_TEXT_MAX];	/* why phase is "failed" */
	/* The SA's UDP endpoints ("peer" and "local": {"addr", "port"}): the
	 * last peer, and our address and port it knows us by, which a later
	 * step of the SA sends from (DESIGN.md §6) */
	char		 peer_addr[64];
	uint16_t	 peer_port;
	char		 local_addr[64];
	uint16_t	 local_port;

	/* "ike_sa" object */
	uint64_t	 spi_i, spi_r;
	uint32_t	 mid_next;		/* our next request's Message ID */
	uint32_t	 mid_peer;		/* the peer's next request's Message ID */
	struct rkmp_bytes ni, nr;		/* nonce data */
	struct rkmp_bytes cookie;		/* from N(COOKIE), echoed in the retry */
	uint16_t	 ke_group_sent;		/* group of our KE (may differ after INVALID_KE) */
	unsigned	 init_retries;		/* COOKIE + INVALID_KE rounds used */
	uint64_t	 iv_counter_out;	/* per-direction counter for AEAD IVs */
	uint64_t	 created;		/* "ike_sa"."created": established, Unix
						 * seconds (the daemon's; 0: not known) */

	/* testing */
	bool		 seeded;		/* "seed" stamped: deterministic mode */
	struct rkmp_bytes seed;

	/* Our outstanding request after RKMP_SA_AUTH ("ike_sa"."pending"; op 0 = none). */
	struct {
		uint8_t		 op;		/* enum rkmp_child_op */
		uint32_t	 msg_id;
		uint8_t		 protocol;	/* of the child created, rekeyed or deleted */
		uint8_t		 spi_size;
		uint8_t		 spi_local[RKMP_SA_SPI_MAX];	/* the new child's SPI */
		uint8_t		 target[RKMP_SA_SPI_MAX];	/* the child rekeyed or deleted (ours) */
		struct rkmp_bytes nonce;
		uint16_t	 dh_group;	/* PFS: our KE group (private in sec.dh_private) */
		uint64_t	 ike_spi;	/* rekey of the RKMP SA: our SPI of the new SA */
		uint8_t		 retries;	/* INVALID_KE_PAYLOAD rounds of this request */
	} pending;

	/*
	 * The RKMP SA a rekey replaced (RFC 7296 §2.18), kept until the Delete
	 * exchange on it completes: the rekey's requester sends that Delete on
	 * the old SA, the responder answers it (and liveness) there.  Saved as
	 * "ike_sa"."old" {spi_i, spi_r, role, mid_next, mid_peer, iv_counter_out,
	 * suite} and the secrets "old_sk_ai", "old_sk_ar", "old_sk_ei",
	 * "old_sk_er".  spi_i 0 = none.  Wiped with the rest by rkmp_sa_wipe().
	 */
	struct {
		uint64_t	 spi_i, spi_r;
		bool		 initiator;	/* our I flag on the old SA */
		uint32_t	 mid_next, mid_peer;
		uint64_t	 iv_counter_out;
		struct rkmp_sa_suite suite;
		size_t		 a_len, e_len;	/* secret */
		uint8_t		 sk_ai[RKMP_SA_SECRET_MAX];
		uint8_t		 sk_ar[RKMP_SA_SECRET_MAX];
		uint8_t		 sk_ei[RKMP_SA_SECRET_MAX];
		uint8_t		 sk_er[RKMP_SA_SECRET_MAX];
	} old;

	struct rkmp_sa_child children[RKMP_SA_CHILD_MAX];
	size_t		 nchildren;

	struct rkmp_sa_msg transcript[RKMP_SA_TRANSCRIPT_MAX];
	size_t		 ntranscript;

	/* In memory only (never saved): our DH key pair of sec.dh_private, so that
	 * one process running both halves of RKMP_SA_INIT (UDP, the benchmark)
	 * does not derive the public value again from the private one. */
	struct rkmp_dh	*dh_cache;
	/* In memory only: the largest IKE message one datagram may carry before
	 * a protected message is sent in RFC 7383 fragments (the transport sets
	 * it from --fragment-size; 0: never fragment, as over files). */
	size_t		 frag_max;
	/* In memory only: random octets drawn ahead for the SA's nonces, SPIs and
	 * IVs when not seeded (ike_msg.c), one RAND_bytes call where a negotiation
	 * made three per side; served in order, each octet once, wiped with the
	 * SA.  A struct rkmp_sa is therefore never copied to be used twice. */
	struct {
		size_t	 off, len;
		uint8_t	 p[RKMP_SA_RANDOM_POOL];
	} random;
	/* In memory only (secrets): prf(PSK, "Key Pad for IKEv2") with PRF prf of
	 * the PSK a step of this process was given, and that PSK (a PSK longer
	 * than psk[] is not kept, its pad computed each time), so that a side
	 * computes it once for the peer's AUTH and its own (ike_auth.c); the
	 * PSK is compared by content, in constant time; len 0: none. */
	struct rkmp_sa_psk_pad {
		uint8_t		 psk[RKMP_SA_SECRET_MAX];
		size_t		 psk_len;
		uint16_t	 prf;
		size_t		 len;
		uint8_t		 pad[RKMP_SA_SECRET_MAX];
	} psk_pad_cache;

	/* "secrets" object (DESIGN.md §6 names) */
	struct {
		size_t	 dh_private_len;
		uint8_t	 dh_private[RKMP_SA_DH_MAX];
		size_t	 skeyseed_len;
		uint8_t	 skeyseed[RKMP_SA_SECRET_MAX];
		size_t	 d_len, a_len, e_len, p_len;
		uint8_t	 sk_d[RKMP_SA_SECRET_MAX];
		uint8_t	 sk_ai[RKMP_SA_SECRET_MAX];
		uint8_t	 sk_ar[RKMP_SA_SECRET_MAX];
		uint8_t	 sk_ei[RKMP_SA_SECRET_MAX];	/* key | salt */
		uint8_t	 sk_er[RKMP_SA_SECRET_MAX];
		uint8_t	 sk_pi[RKMP_SA_SECRET_MAX];
		uint8_t	 sk_pr[RKMP_SA_SECRET_MAX];
		/* prf(PSK, "Key Pad for IKEv2"), kept from the AUTH request so that the
		 * answer can be verified without the PSK file (the DESIGN.md §6 flow) */
		size_t	 psk_pad_len;
		uint8_t	 psk_pad[RKMP_SA_SECRET_MAX];
	} sec;
};

const char *rkmp_phase_name(enum rkmp_phase p);
bool	rkmp_phase_value(const char *name, enum rkmp_phase *p);
const char *rkmp_child_state_name(enum rkmp_child_state s);
bool	rkmp_child_state_value(const char *name, enum rkmp_child_state *s);
/* established or rekeyed: its keys are in use */
bool	rkmp_child_live(enum rkmp_child_state s);
const char *rkmp_profile_name(enum rkmp_profile p);
bool	rkmp_profile_value(const char *name, enum rkmp_profile *p);

void	rkmp_sa_init(struct rkmp_sa *sa);		/* zeroed, version set, phase new */
/* rkmp_sa_init of memory already zeroed (calloc): the defaults only, so that
 * the pages of an SA not yet used are not touched (rkmpd's idle peers). */
void	rkmp_sa_init_zeroed(struct rkmp_sa *sa);
void	rkmp_sa_wipe(struct rkmp_sa *sa);		/* wipe secrets, free transcript */
/* Append a message to the transcript (copied); RKMP_E_STATE when full. */
int	rkmp_sa_record(struct rkmp_sa *sa, bool sent, const uint8_t *p, size_t len);
/* The last transcript entry matching (sent, exchange, response), or NULL. */
const struct rkmp_sa_msg *rkmp_sa_last(const struct rkmp_sa *sa, bool sent, uint8_t exchange,
	    bool response);

#endif

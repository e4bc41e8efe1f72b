/* SPDX-License-Identifier: MIT */
/*
 * dpeer.h — one peer of rkmpd (DESIGN.md §9): its RKMP SA in memory and in
 * its state file STATE_DIR/NAME.json (the step tools' format, locked by the
 * daemon for as long as it runs), driven by datagrams and by time instead of
 * by a person: the same engine (ike_*.c), state code (state.c, file.c) and
 * key-table code (rp.c) as the step tools.
 *
 * Every exchange is write-ahead: the engine's step, the routing protocol's
 * events settled (rkmp_rp_settle), the state saved atomically, and only
 * then a datagram sent and the key table, events file and hook told
 * (rkmp_rp_commit).  When the state cannot be saved nothing is sent and the
 * SA in memory is read back from the file.
 *
 * No I/O of its own but the state file and the key table: datagrams go out
 * through env->send, lines through env->log.  Time is monotonic seconds
 * (clock.h) given by the caller.
 */
#ifndef RKMP_DPEER_H
#define RKMP_DPEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth.h"
#include "dconf.h"
#include "frag.h"
#include "rp.h"
#include "sa.h"
#include "udp.h"

struct rkmp_cookie_secrets;	/* ike.h */

/* Seconds a new SA of the peer's has to be authenticated to replace an
 * established one (strongSwan's half-open timeout). */
#define RKMP_DPEER_HALF_OPEN	30

/* What the daemon gives every peer. */
struct rkmp_dpeer_env {
	const char	*prog;		/* "rkmpd": the state files' lock holder */
	const char	*keytable, *events, *hook;
	/* one datagram (or the RFC 7383 fragments of one message) out of socket sock */
	int	(*send)(void *ctx, int sock, const struct rkmp_udp_addr *to, const uint8_t *msg,
		    size_t len);
	/* our bound address of socket sock (for NAT_DETECTION_*); NULL when any */
	const struct rkmp_udp_addr *(*local)(void *ctx, int sock);
	/* level 0: always, 1: -v */
	void	(*log)(void *ctx, int level, const char *peer, const char *line);
	void	*ctx;
	/* retransmission (DESIGN.md §6, strongSwan's): timeout, base, tries */
	double	 rtx_timeout, rtx_base;
	unsigned rtx_tries;
	/* half-open SAs are over cookie_threshold: RKMP_SA_INIT wants a COOKIE first */
	bool	 cookies;
	/* the secrets its stateless COOKIEs are made from (RFC 7296 §2.6):
	 * nothing is written for a COOKIE answer */
	const struct rkmp_cookie_secrets *cookie_secrets;
	/* each key-table event of a peer's (the events file's line, compact); NULL: none */
	void	(*event)(void *ctx, const char *peer, const char *line);
};

/* The timers of one live child of ours, by our SPI. */
struct rkmp_dpeer_child {
	uint8_t		 protocol, spi_size;
	uint8_t		 spi[RKMP_SA_SPI_MAX];
	double		 born;		/* established (its "created", or found at start) */
	double		 end;		/* its lifetime ends */
	double		 rekey_at;	/* 0: not ours to rekey */
	double		 delete_at;	/* 0: not ours to delete (yet) */
};

/* The last rekey asked for by rkmpctl rekey: old SPI -> new SPI. */
struct rkmp_dpeer_asked {
	bool		 on;		/* asked, not answered yet */
	bool		 done;		/* answered: new (empty when it failed) */
	char		 old[2 * RKMP_SA_SPI_MAX + 1];
	char		 new_spi[2 * RKMP_SA_SPI_MAX + 1];
	char		 why[520];
};

/*
 * An operation of rkmpctl's that takes exchanges (generate, up, delete,
 * down): driven by rkmp_dpeer_ctl() as the exchanges end, done when `done`
 * (code 0, or RKMP_E_* with why).  One at a time per peer.
 */
enum rkmp_dpeer_job_kind {
	RKMP_DPEER_JOB_NONE,
	RKMP_DPEER_JOB_GENERATE,	/* the RKMP SA if none, then children of want[] */
	RKMP_DPEER_JOB_DELETE_CHILD,	/* the child of ours with SPI spi */
	RKMP_DPEER_JOB_DELETE_SA,	/* the RKMP SA with its children */
};

struct rkmp_dpeer_job {
	enum rkmp_dpeer_job_kind kind;
	bool		 started, done;
	int		 code;
	char		 why[560];
	/* generate: the protocols wanted, whether each was asked for, the child
	 * that came (index into sa.children + 1; 0: none yet) */
	uint8_t		 want[RKMP_DCONF_CHILD_MAX];
	bool		 sent[RKMP_DCONF_CHILD_MAX];
	size_t		 got[RKMP_DCONF_CHILD_MAX];
	size_t		 nwant;
	/* generate: the live children before (our SPIs), so that a new one is told apart */
	struct { uint8_t protocol, spi_size, spi[RKMP_SA_SPI_MAX]; } before[RKMP_SA_CHILD_MAX];
	size_t		 nbefore;
	/* delete: the child (or the children of the RKMP SA) deleted */
	uint8_t		 protocol, spi_size, spi[RKMP_SA_SPI_MAX];
	char		 deleted[RKMP_SA_CHILD_MAX * 24];	/* "tcp-ao:30 bfd:9c" */
};

struct rkmp_dpeer {
	const struct rkmp_dconf_peer *pc;
	const struct rkmp_dpeer_env *env;
	char		 path[600];	/* STATE_DIR/NAME.json */
	int		 lock_fd;
	struct rkmp_sa	 sa;
	uint8_t		 psk[1024];
	size_t		 psk_len;
	struct rkmp_creds *creds;
	struct rkmp_udp_addr addr;	/* the configured address and port */
	struct rkmp_udp_addr at;	/* where the peer is now (the last datagram's source) */
	int		 sock;		/* our socket for it */
	/* our outstanding request */
	bool		 waiting;
	double		 rtx_at, rtx_iv, rtx_start;
	unsigned	 rtx_n;
	/* start: always: the next attempt after a failure, with back-off */
	double		 retry_at, backoff;
	struct rkmp_dpeer_child timers[RKMP_SA_CHILD_MAX];
	size_t		 ntimers;
	double		 create_at[RKMP_DCONF_CHILD_MAX];	/* a refused child: not before */
	struct rkmp_frags frags;
	double		 last_at;	/* the last exchange: when, and what */
	char		 last[520];
	unsigned	 exchanges, rekeys, ignored;
	struct rkmp_dpeer_asked asked;
	/* rkmpctl: down (no initiation, no new children until up), the operation under way */
	bool		 down;
	struct rkmp_dpeer_job job;
	/* liveness (DPD): the last datagram of the peer's that the engine took */
	double		 heard_at;
	/* the RKMP SA's rekey before ike_lifetime (0: not counted yet), for SPIs */
	double		 ike_rekey_at;
	uint64_t	 ike_spi_i, ike_spi_r;
	/* A new RKMP_SA_INIT of the peer's while our SA is established (the peer
	 * restarted): the new SA is negotiated in sa (its state in path_new until
	 * it is established), the old one waits in prev, answered but not driven,
	 * until the new one replaces it or fails by replace_until. */
	bool		 replacing;
	struct rkmp_sa	*prev;		/* malloc'd while replacing */
	double		 replace_until;
	char		 path_new[600];	/* (the other of NAME.json and NAME.new.json) */
};

/* Lock and load (or begin) the state of peer pc, its credentials read; p is
 * zeroed memory (calloc), whose pages an SA not yet begun leaves untouched.
 * RKMP_E_STATE when another process holds the state file or it is invalid. */
int	rkmp_dpeer_open(struct rkmp_dpeer *p, const struct rkmp_dpeer_env *env,
	    const struct rkmp_dconf_peer *pc, const char *state_dir, int sock, double now);
void	rkmp_dpeer_close(struct rkmp_dpeer *p);
/* Whether a datagram (IKE header onwards) belongs to this peer's SA, by its SPIs. */
bool	rkmp_dpeer_owns(const struct rkmp_dpeer *p, const uint8_t *msg, size_t len);
/* Whether an RKMP_SA_INIT request from `from` is this peer's (address and port,
 * or address only when port_too is false). */
bool	rkmp_dpeer_is_from(const struct rkmp_dpeer *p, const struct rkmp_udp_addr *from, bool port_too);
/* A datagram of the peer's, from `from` on socket sock. */
void	rkmp_dpeer_datagram(struct rkmp_dpeer *p, int sock, const struct rkmp_udp_addr *from,
	    const uint8_t *msg, size_t len, double now);
/* Time passes: retransmissions, timeouts, children to create, rekey or delete,
 * reconnection.  The next deadline (monotonic seconds; 0: none). */
double	rkmp_dpeer_tick(struct rkmp_dpeer *p, double now);
/* RKMP_rekeySA (rkmpctl rekey): RKMP_E_REFUSED when no live child of ours
 * has that SPI (hex), RKMP_E_STATE when the SA is not established; the answer
 * comes in p->asked. */
int	rkmp_dpeer_rekey(struct rkmp_dpeer *p, const char *spi, double now);
/*
 * rkmpctl's operations (DESIGN.md §9).  Each starts a job (p->job) and
 * returns 0, or fails at once: RKMP_E_STATE when another job or a request of
 * ours is under way, or there is no RKMP SA to delete; RKMP_E_REFUSED when
 * no live child has the SPI; RKMP_E_USAGE for a protocol the profile has not.
 *
 * generate: RKMP_generateSA: the initial exchanges when there is no RKMP SA,
 * then a new child of protocol (0: each configured protocol that has no live
 * child).  up: the peer is no longer down, and generate.  delete: one child
 * (spi, ours, hex) or, spi NULL, the RKMP SA with its children in one
 * INFORMATIONAL.  down: delete the RKMP SA (if any) and neither initiate nor
 * create children until up.
 */
int	rkmp_dpeer_generate(struct rkmp_dpeer *p, uint8_t protocol, double now);
int	rkmp_dpeer_up(struct rkmp_dpeer *p, double now);
int	rkmp_dpeer_delete(struct rkmp_dpeer *p, const char *spi, double now);
int	rkmp_dpeer_down(struct rkmp_dpeer *p, double now);
/* The job's next step, from rkmp_dpeer_tick when no request of ours waits:
 * true when it sent a request or the peer is down (nothing else to start). */
bool	rkmp_dpeer_ctl(struct rkmp_dpeer *p, double now);
/* A done job's answer: {"peer", "children": [{protocol, spi, spi_peer, new}]}
 * for generate and up, {"peer", "deleted": [...], "rkmp_sa": bool} for delete
 * and down; the job is cleared. */
json_t	*rkmp_dpeer_job_answer(struct rkmp_dpeer *p);
/*
 * The peer leaves (removed or changed by a reload, rkmpd --delete-on-stop):
 * an established RKMP SA gets one Delete with its children (write-ahead, not
 * retransmitted: the answer is not awaited), then whatever of it is left is
 * revoked here (RP_revokeSA: rows removed, event, hook) with reason why.
 */
void	rkmp_dpeer_retire(struct rkmp_dpeer *p, const char *why, double now);
/* The peer for rkmpctl status: name, address, port, start, phase, role,
 * spi_i, spi_r, children[], pending, last_exchange, exchanges, rekeys, ignored. */
json_t	*rkmp_dpeer_status(const struct rkmp_dpeer *p, double now);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * rp.h — the routing protocol's side of a step (DESIGN.md §1, rkmp-karp.md
 * §8–§10): what an exchange did to an RKMP SA's children, carried into the
 * RFC 7210 key table and told to the routing protocol.
 *
 * A step binary snapshots the SA before the exchange (rkmp_rp_begin) and,
 * after it, compares (rkmp_rp_settle) and carries the changes out
 * (rkmp_rp_commit).  The events:
 *
 *   insert   a child was established: its row goes into the table
 *            (Keytable_insertSA; RKMP_generateSA's result)
 *   rekey    a child replaced another (RKMP_rekeySA): the new row goes in and
 *            the old row's windows end where the new one's start (Keytable_rekeySA)
 *   delete   a child was deleted (INFORMATIONAL D, either side): its row
 *            leaves the table (Keytable_delete); the row of a child that had
 *            been rekeyed stays until its shortened windows end
 *   revoke   the RKMP SA failed (no answer after all retransmissions,
 *            AUTHENTICATION_FAILED, INVALID_SYNTAX, a failed liveness check):
 *            RP_revokeSA.  Its children are discarded (state "revoked",
 *            KEYMAT wiped, the reason recorded in the state) and every row of
 *            the RKMP SA leaves the table
 *   close    the RKMP SA was deleted in order: its children and their rows
 *            stay until their lifetimes end (rkmp-karp.md §8)
 *
 * A rekey of the RKMP SA itself is no event: the rows follow the children to
 * the new SA (their x-rkmp rkmp_sa is updated).
 *
 * Each event is appended as one line of JSON to the events file, and the
 * hook command runs once per event (/bin/sh -c, its stdout sent to stderr)
 * with the event in its environment: RKMP_EVENT, RKMP_EVENT_JSON, RKMP_SA,
 * RKMP_ROLE, RKMP_PEER, RKMP_PROTOCOL, RKMP_LOCAL_KEY_NAME, RKMP_PEER_KEY_NAME,
 * RKMP_OLD_LOCAL_KEY_NAME, RKMP_OLD_PEER_KEY_NAME, RKMP_CHILDREN, RKMP_REASON,
 * RKMP_ROWS, RKMP_KEYTABLE, RKMP_STATE (empty when they do not apply).  Keys
 * are never in an event.
 */
#ifndef RKMP_RP_H
#define RKMP_RP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keytable.h"
#include "sa.h"

enum rkmp_rp_kind {
	RKMP_RP_INSERT,
	RKMP_RP_REKEY,
	RKMP_RP_DELETE,
	RKMP_RP_REVOKE,
	RKMP_RP_CLOSE,
};

struct rkmp_rp_cfg {
	const char	*keytable;	/* -t FILE; NULL: no key table */
	const char	*events;	/* --events FILE (NDJSON, appended); NULL: none */
	const char	*hook;		/* --rp-hook CMD; NULL: none */
	const char	*state;		/* the state file (for the event) */
	/* the peer's address (Peers): given (--peer-address), else that of the rows
	 * the RKMP SA has in the table already, else the one seen (UDP, identity) */
	const char	*peer;		/* given; NULL: none */
	const char	*peer_seen;	/* NULL: unknown */
	const char	*interface;	/* Interfaces; NULL: "all" */
	int64_t		 now;		/* install time T */
	uint32_t	 send_delay, grace, lifetime;	/* δ, G, hard lifetime */
	/* each event's line (compact JSON, no newline) also given here; NULL: none */
	void		(*tell)(void *ctx, const char *line);
	void		*tell_ctx;
	/* a warning (the events file not written, the hook failed), one line
	 * naming the two by events_name and hook_name ("--events" and
	 * "--rp-hook" by default, the step tools' options); NULL: not said */
	void		(*warn)(void *ctx, const char *text);
	void		*warn_ctx;
	const char	*events_name, *hook_name;
};

#define RKMP_RP_EVENTS_MAX	(2 * RKMP_SA_CHILD_MAX + 2)

struct rkmp_rp_event {
	enum rkmp_rp_kind kind;
	size_t		 child;		/* insert, rekey: index into the SA's children */
	size_t		 old;		/* rekey: index of the replaced child */
	struct rkmp_sa_child snap;	/* delete: the child as it was (no KEYMAT) */
	size_t		 rows;		/* rows of the key table it changed */
};

struct rkmp_rp {
	struct rkmp_rp_cfg cfg;
	/* before the exchange */
	enum rkmp_phase	 phase;
	uint64_t	 spi_i, spi_r;
	struct rkmp_sa_child was[RKMP_SA_CHILD_MAX];	/* KEYMAT not copied */
	size_t		 nwas;
	/* after it */
	struct rkmp_rp_event ev[RKMP_RP_EVENTS_MAX];
	size_t		 nev;
	bool		 relink;	/* the RKMP SA was rekeyed: rows follow */
	char		 peer[64];	/* the peer the rows name */
	char		 revoked[RKMP_SA_CHILD_MAX * 24];	/* "tcp-ao:54 bfd:12" */
};

/* δ 5 s, G 120 s, lifetime 9 h, now from the clock, the step tools' option
 * names; the rest NULL. */
void	rkmp_rp_defaults(struct rkmp_rp_cfg *cfg);
/* Is there anything to do (a key table, an events file or a hook)? */
bool	rkmp_rp_wanted(const struct rkmp_rp_cfg *cfg);
/*
 * Before the exchange: check that the key table (if any) can be read and is
 * valid (a missing one is created later), and snapshot the SA.
 * RKMP_E_STATE for a bad table: nothing has happened yet.
 */
int	rkmp_rp_begin(struct rkmp_rp *rp, const struct rkmp_rp_cfg *cfg, const struct rkmp_sa *sa);
/*
 * After the exchange, before the state is saved: the events.  On a failed
 * RKMP SA the children are discarded here (so the saved state says so).
 */
void	rkmp_rp_settle(struct rkmp_rp *rp, struct rkmp_sa *sa);
/*
 * After the state is saved: the key table (one locked update for all events),
 * the events file, the hook.  RKMP_E_USAGE when rows are due and the peer's
 * address is unknown; the key table's errors; a failing hook or events file
 * is a warning (cfg.warn), not an error.
 */
int	rkmp_rp_commit(struct rkmp_rp *rp, const struct rkmp_sa *sa);
const char *rkmp_rp_kind_name(enum rkmp_rp_kind k);

#endif

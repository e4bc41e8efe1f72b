/* SPDX-License-Identifier: MIT */
/*
 * dpeer_int.h — what dpeer.c (a peer's SA driven by datagrams and time) and
 * dpeer_ctl.c (what rkmpctl asks of a peer) share; theirs alone.
 */
#ifndef RKMP_DPEER_INT_H
#define RKMP_DPEER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpeer.h"
#include "ike.h"

/* How the engine is driven: our request, the answer to it, the peer's request. */
enum run { RUN_REQUEST, RUN_PROCESS, RUN_RESPOND };

/* A line of the peer's to the daemon's log (level 0: always, 1: -v). */
void	rkmp_dpeer_say(const struct rkmp_dpeer *p, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The name of a child operation ("rekey", ...), as status shows it. */
const char *rkmp_dpeer_op_name(enum rkmp_child_op op);
/* Each event of the key table's, to the daemon (rkmpctl events); rkmp_rp_cfg.tell. */
void	rkmp_dpeer_tell_event(void *ctx, const char *line);

/* The SA begun afresh (new SPIs, nothing of the last one), as initiator or not. */
void	rkmp_dpeer_fresh(struct rkmp_dpeer *p, bool initiator);
/* The SA's endpoints into the state: the peer where it is, we where it knows us. */
void	rkmp_dpeer_set_endpoints(struct rkmp_dpeer *p);
/* The configuration of the peer's child of that protocol (its index in *idx), or NULL. */
const struct rkmp_dconf_child *rkmp_dpeer_child_cfg(const struct rkmp_dpeer *p, uint8_t protocol,
	    size_t *idx);
/* The timers of one of our live children, or NULL. */
struct rkmp_dpeer_child *rkmp_dpeer_timer_of(struct rkmp_dpeer *p, const struct rkmp_sa_child *ch);
/* The timers made to match the SA's children (after every exchange). */
void	rkmp_dpeer_sync_children(struct rkmp_dpeer *p, double now);
/* RP_revokeSA of sa (ours, or the old SA of a replacement) kept at path, reason why. */
void	rkmp_dpeer_revoke_sa(struct rkmp_dpeer *p, struct rkmp_sa *sa, const char *path,
	    const char *why);
/* RP_revokeSA of our SA as a failure (rows removed), its request dropped, reason
 * why, the last exchange and the timers told: no answer, DPD, rkmpctl down/delete. */
void	rkmp_dpeer_revoke_ours(struct rkmp_dpeer *p, const char *why, double now);
/* One step of the engine, write-ahead: the state saved, then sent, then the key table told. */
int	rkmp_dpeer_run(struct rkmp_dpeer *p, enum run what, const uint8_t *m, size_t len,
	    const struct rkmp_child_req *req, double now);
/* Our request of a child operation (spi: the child's, ours). */
int	rkmp_dpeer_request(struct rkmp_dpeer *p, enum rkmp_child_op op, uint8_t protocol,
	    uint16_t pfs, const uint8_t *spi, size_t spi_len, double now);

#endif

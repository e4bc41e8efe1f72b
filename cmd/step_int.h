/* SPDX-License-Identifier: MIT */
/*
 * step_int.h — inside the step driver: one run's options and progress
 * (struct step), shared by step.c (options, state, files, outcome) and
 * step_udp.c (the UDP transport: requester and responder).
 */
#ifndef RKMP_STEP_INT_H
#define RKMP_STEP_INT_H

#include <stdbool.h>

#include "cli.h"
#include "frag.h"
#include "ike.h"
#include "rp.h"
#include "sa.h"
#include "step.h"
#include "udp.h"

struct step {
	const struct step_desc	*d;
	struct rkmp_cli		 cli;
	const char		*state, *in, *out, *peer, *listen, *local, *profile, *proposal;
	const char		*child_proposal, *id, *peer_id, *psk_file, *cert, *key, *ca, *seed;
	const char		*now_text;
	struct rkmp_rp_cfg	 rp;	/* -t, --events, --rp-hook, --peer-address, --now */
	struct rkmp_rp		*rpx;	/* its snapshot, when rp_on */
	double			 wait_lock;
	bool			 committed;	/* the state on disk is the SA in memory */
	unsigned		 ignored;	/* UDP responder: datagrams ignored */
	bool			 respond, childless, cookie, json, resend;
	int			 verbose;	/* -1 quiet, 0, 1 */
	struct rkmp_udp_policy	 pol;
	double			 linger;
	unsigned		 frag_size;	/* --fragment-size: IP datagram octets */
	bool			 through_auth;	/* rkmp-init --respond --through auth */
	struct rkmp_frags	 frags;		/* UDP: the peer's fragments in collection */
	struct rkmp_child_req	 child;	/* rkmp-child */
	int			 nops;	/* operations given (rkmp-child: at most one) */
};

/* step.c */
void	step_say(const struct step *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write-ahead: the SA to the state file before any byte of a message leaves. */
int	step_commit(struct step *st, struct rkmp_sa *sa);
/* Our unanswered request from the state, into o (--resend). */
int	step_resend(const struct rkmp_sa *sa, struct rkmp_ike_out *o);

/* step_udp.c */
/* The transport's progress lines (rkmp_udp_policy.say): terminal or -v. */
void	step_udp_progress(void *st, const char *line);
/* Requester: our request (or --resend) to --peer, answers processed. */
int	step_udp_request(struct step *st, struct rkmp_sa *sa, struct rkmp_ike_cfg *cfg,
	    struct rkmp_ike_out *o);
/* Responder: --listen until a request is answered (then --linger). */
int	step_udp_respond(struct step *st, struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg,
	    struct rkmp_ike_out *o);

#endif

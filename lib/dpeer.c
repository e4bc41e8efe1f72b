/* SPDX-License-Identifier: MIT */
/*
 * dpeer.c — one peer of rkmpd (see dpeer.h): its SA driven by datagrams and
 * time through the step tools' engine, state and key-table code.  What
 * rkmpctl asks of a peer is in dpeer_ctl.c; what the two share, dpeer_int.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "dpeer.h"
#include "dpeer_int.h"
#include "err.h"
#include "file.h"
#include "hex.h"
#include "ike.h"
#include "keytable.h"
#include "names.h"
#include "nitems.h"
#include "protocols.h"
#include "state.h"
#include "wire.h"

static const char *const op_names[] = {
	[RKMP_CHILD_NONE] = "none", [RKMP_CHILD_CREATE] = "create", [RKMP_CHILD_REKEY] = "rekey",
	[RKMP_CHILD_DELETE] = "delete", [RKMP_CHILD_DELETE_IKE] = "delete-ike",
	[RKMP_CHILD_LIVENESS] = "liveness", [RKMP_CHILD_REKEY_IKE] = "rekey-ike",
	[RKMP_CHILD_DELETE_OLD_IKE] = "delete-old-ike",
};

const char *
rkmp_dpeer_op_name(enum rkmp_child_op op)
{
	return (size_t)op < nitems(op_names) && op_names[op] ? op_names[op] : "none";
}

void
rkmp_dpeer_say(const struct rkmp_dpeer *p, int level, const char *fmt, ...)
{
	char line[700];
	va_list ap;

	if (p->env->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->env->log(p->env->ctx, level, p->pc->name, line);
}

/* ------------------------------------------------------------------ endpoints */

/* The SA's endpoints into the state (DESIGN.md §6): the peer where it is, we where it knows us. */
void
rkmp_dpeer_set_endpoints(struct rkmp_dpeer *p)
{
	const struct rkmp_udp_addr *l = p->env->local(p->env->ctx, p->sock);

	rkmp_udp_host(&p->at, p->sa.peer_addr, sizeof(p->sa.peer_addr), &p->sa.peer_port);
	if (l != NULL)
		rkmp_udp_host(l, p->sa.local_addr, sizeof(p->sa.local_addr), &p->sa.local_port);
}

/* ------------------------------------------------------------------ the SA */

/* A new SA of ours with the peer, as rkmp-init and rkmp-auth configure one. */
void
rkmp_dpeer_fresh(struct rkmp_dpeer *p, bool initiator)
{
	const struct rkmp_dconf_peer *pc = p->pc;

	rkmp_sa_wipe(&p->sa);
	rkmp_frags_reset(&p->frags);
	p->sa.initiator = initiator;
	p->sa.profile = pc->profile;
	snprintf(p->sa.proposals, sizeof(p->sa.proposals), "%s", pc->proposal);
	snprintf(p->sa.id_local, sizeof(p->sa.id_local), "%s", pc->id);
	snprintf(p->sa.id_peer, sizeof(p->sa.id_peer), "%s", pc->peer_id);
	snprintf(p->sa.child_proposals, sizeof(p->sa.child_proposals), "%s", pc->child_proposal);
	if (pc->profile == RKMP_PROFILE_RKMP && pc->nchildren > 0)
		p->sa.child_protocol = pc->children[0].protocol;
	p->waiting = false;
	p->ntimers = 0;
	memset(p->create_at, 0, sizeof(p->create_at));
}

const struct rkmp_dconf_child *
rkmp_dpeer_child_cfg(const struct rkmp_dpeer *p, uint8_t protocol, size_t *idx)
{
	for (size_t i = 0; i < p->pc->nchildren; i++)
		if (p->pc->children[i].protocol == protocol) {
			if (idx != NULL)
				*idx = i;
			return &p->pc->children[i];
		}
	return NULL;
}

/* RFC 7210 §6 overlap of a child's rows (rkmp-karp.md §9): δ and G within its rekey margin */
static uint32_t
send_delay(const struct rkmp_dconf_child *c)
{
	return c->rekey_margin / 4 < RKMP_KEYTABLE_SEND_DELAY ? c->rekey_margin / 4 :
	    RKMP_KEYTABLE_SEND_DELAY;
}

static uint32_t
grace(const struct rkmp_dconf_child *c)
{
	return c->rekey_margin / 2 < RKMP_KEYTABLE_GRACE ? c->rekey_margin / 2 : RKMP_KEYTABLE_GRACE;
}

struct rkmp_dpeer_child *
rkmp_dpeer_timer_of(struct rkmp_dpeer *p, const struct rkmp_sa_child *ch)
{
	for (size_t i = 0; i < p->ntimers; i++)
		if (p->timers[i].protocol == ch->protocol && p->timers[i].spi_size == ch->spi_size &&
		    memcmp(p->timers[i].spi, ch->spi_local, ch->spi_size) == 0)
			return &p->timers[i];
	return NULL;
}

/* ± 10 % of x */
static double
jitter(double x)
{
	uint8_t b[2] = { 0, 0 };

	(void)rkmp_crypto_random(b, sizeof(b));
	return x * 0.1 * (((double)(b[0] << 8 | b[1]) / 32767.5) - 1.0);
}

/* Unix seconds now, and a Unix time as a time on the caller's monotonic clock */
static uint64_t
wall(void)
{
	return (uint64_t)time(NULL);
}

static double
mono_of(uint64_t created, double now)
{
	uint64_t w = wall();

	return created == 0 ? now : now - (w > created ? (double)(w - created) : 0.0);
}

/* Children and the RKMP SA established by this exchange get their creation
 * time, saved with them, so that a restarted daemon counts their lifetimes on. */
static void
stamp(struct rkmp_sa *sa)
{
	uint64_t t = wall();

	for (size_t i = 0; i < sa->nchildren; i++)
		if (rkmp_child_live(sa->children[i].state) && sa->children[i].created == 0)
			sa->children[i].created = t;
	if (sa->phase == RKMP_PHASE_ESTABLISHED && sa->created == 0)
		sa->created = t;
}

static struct rkmp_dpeer_child *
timer_of_spi(struct rkmp_dpeer *p, uint8_t protocol, const uint8_t *spi, size_t len)
{
	for (size_t i = 0; i < p->ntimers; i++)
		if (p->timers[i].protocol == protocol && p->timers[i].spi_size == len &&
		    memcmp(p->timers[i].spi, spi, len) == 0)
			return &p->timers[i];
	return NULL;
}

/*
 * RFC 7296 §2.8.1: two rekeys of one child crossed, ours and the peer's.  The
 * new child of the exchange with the lowest nonce is redundant: ours, we
 * delete it now and leave the old child to the peer (whose rekey stands);
 * the peer's, we delete the old child as after any rekey of ours and the
 * peer deletes its redundant one.  Neither redundant child is rekeyed.
 */
static void
resolve(struct rkmp_dpeer *p, double now)
{
	for (size_t i = 0; i < p->sa.nchildren; i++) {
		const struct rkmp_sa_child *ch = &p->sa.children[i];
		struct rkmp_dpeer_child *t = rkmp_dpeer_timer_of(p, ch), *old;
		char spi[2 * RKMP_SA_SPI_MAX + 1], ospi[2 * RKMP_SA_SPI_MAX + 1];

		if (t == NULL || rkmp_ike_child_crossed(&p->sa, i, NULL) != 1)
			continue;
		if (p->sa.pending.op == RKMP_CHILD_DELETE && p->sa.pending.protocol == ch->protocol &&
		    memcmp(p->sa.pending.target, ch->spi_local, ch->spi_size) == 0)
			continue;	/* its Delete is out */
		t->rekey_at = 0;
		if (!ch->ours)
			continue;
		if ((old = timer_of_spi(p, ch->protocol, ch->rekey_of, ch->spi_size)) != NULL)
			old->delete_at = 0;
		if (t->delete_at != 0)
			continue;
		t->delete_at = now;
		rkmp_hex_encode(ch->spi_local, ch->spi_size, spi);
		rkmp_hex_encode(ch->rekey_of, ch->spi_size, ospi);
		rkmp_dpeer_say(p, 0, "simultaneous rekey of %s child %s (RFC 7296 §2.8.1): ours (%s) has the lowest "
		    "nonce, is redundant and is deleted; the peer's stands", rkmp_name_or(RKMP_REG_PROTOCOL,
		    ch->protocol), ospi, spi);
	}
}

/*
 * The timers follow the SA's live children: a child seen for the first time
 * gets its lifetime (from its creation time, kept in the state) and, once
 * established, its rekey `rekey_margin` ± 10 % before the end: both sides
 * rekey, the jitter keeps them apart mostly, and resolve() settles the rest.
 * A rekeyed child found (at start) is deleted after the overlap.  Timers of
 * children gone are dropped.  The RKMP SA's rekey is counted from its
 * creation, again for each new SA.
 */
void
rkmp_dpeer_sync_children(struct rkmp_dpeer *p, double now)
{
	struct rkmp_dpeer_child keep[RKMP_SA_CHILD_MAX];
	size_t n = 0;

	for (size_t i = 0; i < p->sa.nchildren; i++) {
		const struct rkmp_sa_child *ch = &p->sa.children[i];
		const struct rkmp_dconf_child *c = rkmp_dpeer_child_cfg(p, ch->protocol, NULL);
		struct rkmp_dpeer_child *t = rkmp_dpeer_timer_of(p, ch), nt;
		double life = c != NULL ? c->lifetime : RKMP_DCONF_LIFETIME;

		if (!rkmp_child_live(ch->state))
			continue;
		if (t != NULL)
			nt = *t;
		else {
			memset(&nt, 0, sizeof(nt));
			nt.protocol = ch->protocol;
			nt.spi_size = ch->spi_size;
			memcpy(nt.spi, ch->spi_local, sizeof(nt.spi));
			nt.born = mono_of(ch->created, now);
			nt.end = nt.born + life;
			if (ch->state == RKMP_CHILD_REKEYED && c != NULL)
				nt.delete_at = now + send_delay(c) + grace(c) + 1;
		}
		if (ch->state == RKMP_CHILD_ESTABLISHED && c != NULL && nt.rekey_at == 0 &&
		    rkmp_ike_child_crossed(&p->sa, i, NULL) != 1)
			nt.rekey_at = nt.end - c->rekey_margin + jitter(c->rekey_margin);
		if (ch->state != RKMP_CHILD_ESTABLISHED)
			nt.rekey_at = 0;
		keep[n++] = nt;
	}
	memcpy(p->timers, keep, n * sizeof(keep[0]));
	p->ntimers = n;
	resolve(p, now);
	if (p->sa.phase != RKMP_PHASE_ESTABLISHED) {
		p->ike_rekey_at = 0;
		p->ike_spi_i = p->ike_spi_r = 0;
	} else if (p->ike_rekey_at == 0 || p->sa.spi_i != p->ike_spi_i || p->sa.spi_r != p->ike_spi_r) {
		double m = p->pc->ike_lifetime / 10.0;

		p->ike_spi_i = p->sa.spi_i;
		p->ike_spi_r = p->sa.spi_r;
		p->ike_rekey_at = mono_of(p->sa.created, now) + p->pc->ike_lifetime - m + jitter(m);
	}
}

/* Write-ahead: the SA to its state file.  When that fails, the file is the
 * truth: the SA is read back from it (nothing was sent). */
static int
commit(struct rkmp_dpeer *p)
{
	int r;

	if ((r = rkmp_state_save(p->path, &p->sa)) == 0)
		return 0;
	rkmp_dpeer_say(p, 0, "%s: not saved (%s): nothing sent; the SA is read back from the file", p->path,
	    rkmp_err_text());
	rkmp_sa_wipe(&p->sa);
	if (rkmp_state_exists(p->path) && rkmp_state_load(p->path, &p->sa) != 0)
		rkmp_sa_init(&p->sa);
	p->waiting = false;
	return r;
}

static void
send_out(struct rkmp_dpeer *p, const uint8_t *msg, size_t len)
{
	if (p->env->send(p->env->ctx, p->sock, &p->at, msg, len) != 0)
		rkmp_dpeer_say(p, 0, "send: %s", rkmp_err_text());
}

/* The rp config of this exchange: the overlap of the child it inserts or rekeys. */
static void
rp_config(struct rkmp_dpeer *p, struct rkmp_rp *rp)
{
	for (size_t i = 0; i < rp->nev; i++) {
		const struct rkmp_dconf_child *c;

		if (rp->ev[i].kind != RKMP_RP_INSERT && rp->ev[i].kind != RKMP_RP_REKEY)
			continue;
		if ((c = rkmp_dpeer_child_cfg(p, p->sa.children[rp->ev[i].child].protocol, NULL)) != NULL) {
			rp->cfg.lifetime = c->lifetime;
			rp->cfg.send_delay = send_delay(c);
			rp->cfg.grace = grace(c);
		}
		break;
	}
}

static void
wait_answer(struct rkmp_dpeer *p, double now)
{
	p->waiting = true;
	p->rtx_n = 0;
	p->rtx_iv = p->env->rtx_timeout;
	p->rtx_at = now + p->rtx_iv;
	p->rtx_start = now;
}

/* A warning of the routing-protocol side (the hook failed, the events file
 * not written) to the daemon's log, naming them as the configuration does. */
static void
rp_warn(void *ctx, const char *text)
{
	rkmp_dpeer_say(ctx, 0, "warning: %s", text);
}

/* The routing-protocol side of an exchange of p's whose state is at path. */
static void
rp_cfg(struct rkmp_dpeer *p, struct rkmp_rp_cfg *rc, const char *path)
{
	rkmp_rp_defaults(rc);
	rc->events = p->env->events;
	rc->hook = p->env->hook;
	rc->state = path;
	rc->peer = p->pc->address;
	rc->tell = rkmp_dpeer_tell_event;
	rc->tell_ctx = p;
	rc->warn = rp_warn;
	rc->warn_ctx = p;
	rc->events_name = "events";
	rc->hook_name = "rp_hook";
}

/*
 * RP_revokeSA of an SA that failed or was replaced (sa may be the old SA of
 * a replacement): its live children's rows removed, events, hook.  The SA is
 * marked failed with `why`; the caller saves it, or drops it.
 */
void
rkmp_dpeer_revoke_sa(struct rkmp_dpeer *p, struct rkmp_sa *sa, const char *path, const char *why)
{
	static struct rkmp_rp rp;
	struct rkmp_rp_cfg rc;

	rp_cfg(p, &rc, path);
	(void)rkmp_rp_begin(&rp, &rc, sa);
	rp.cfg.keytable = p->env->keytable;
	snprintf(sa->reason, sizeof(sa->reason), "%s", why);
	sa->phase = RKMP_PHASE_FAILED;
	rkmp_rp_settle(&rp, sa);
	if (sa == &p->sa && commit(p) != 0)
		return;
	if (rkmp_rp_commit(&rp, sa) != 0)
		rkmp_dpeer_say(p, 0, "key table: %s", rkmp_err_text());
}

void
rkmp_dpeer_revoke_ours(struct rkmp_dpeer *p, const char *why, double now)
{
	memset(&p->sa.pending, 0, sizeof(p->sa.pending));
	p->waiting = false;
	rkmp_dpeer_revoke_sa(p, &p->sa, p->path, why);
	snprintf(p->last, sizeof(p->last), "%s", p->sa.reason);
	p->last_at = now;
	rkmp_dpeer_sync_children(p, now);
}

/* While a replacement is negotiated, sa goes to NAME.new.json: the two names swap. */
static void
replace_paths(struct rkmp_dpeer *p)
{
	char t[sizeof(p->path)];

	_Static_assert(sizeof(p->path) == sizeof(p->path_new), "the two names swap");
	memcpy(t, p->path, sizeof(t));
	memcpy(p->path, p->path_new, sizeof(t));
	memcpy(p->path_new, t, sizeof(t));
}

/*
 * A new RKMP_SA_INIT from the peer while our SA is established: the peer
 * restarted, or someone says so.  As strongSwan does by default (a new SA
 * replaces an old one of the same identities once it is authenticated),
 * the new SA is answered beside the old one, which waits, answered but not
 * driven, and keeps its file and rows until the new SA is authenticated.
 */
static int
replace_begin(struct rkmp_dpeer *p, double now)
{
	size_t n = strlen(p->path);

	if (n + 4 >= sizeof(p->path) || n < 5)
		return rkmp_err_set(RKMP_E_STATE, p->path, "no room for its .new.json beside it");
	if ((p->prev = malloc(sizeof(*p->prev))) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "", "out of memory");
	memcpy(p->prev, &p->sa, sizeof(p->sa));	/* moved: p->sa starts empty */
	rkmp_sa_init(&p->sa);
	p->replacing = true;
	p->replace_until = now + RKMP_DPEER_HALF_OPEN;
	memcpy(p->path_new, p->path, sizeof(p->path));
	memcpy(p->path + n - 5, ".new.json", 10);	/* NAME.json -> NAME.new.json */
	return 0;
}

/* The new SA is established (its state saved in place of the old one's): the
 * old SA's children are revoked and the old SA dropped. */
static void
replaced(struct rkmp_dpeer *p, double now)
{
	char si[40];

	snprintf(si, sizeof(si), "%016" PRIx64 ":%016" PRIx64, p->prev->spi_i, p->prev->spi_r);
	rkmp_dpeer_revoke_sa(p, p->prev, p->path, "replaced by a new RKMP SA of the peer's (it restarted)");
	rkmp_sa_wipe(p->prev);
	free(p->prev);
	p->prev = NULL;
	p->replacing = false;
	(void)unlink(p->path_new);
	rkmp_dpeer_say(p, 0, "the new RKMP SA %016" PRIx64 ":%016" PRIx64 " of the peer's is authenticated: it "
	    "replaces %s, whose children are revoked", p->sa.spi_i, p->sa.spi_r, si);
	(void)now;
}

/* The new SA failed or did not complete in time: the old SA goes on. */
static void
replace_abandon(struct rkmp_dpeer *p, double now, const char *why)
{
	rkmp_dpeer_say(p, 0, "the new RKMP SA of the peer's %s: the established one %016" PRIx64 ":%016" PRIx64
	    " goes on", why, p->prev->spi_i, p->prev->spi_r);
	(void)unlink(p->path);
	replace_paths(p);
	rkmp_sa_wipe(&p->sa);
	memcpy(&p->sa, p->prev, sizeof(p->sa));
	free(p->prev);
	p->prev = NULL;
	p->replacing = false;
	p->waiting = false;
	p->ntimers = 0;
	if (p->sa.pending.op != 0) {
		wait_answer(p, now);	/* ours that waited: retransmitted */
		p->rtx_at = now;
	}
	rkmp_dpeer_sync_children(p, now);
}

/* The engine's step of `what` (see enum run), write-ahead; its return code. */
int
rkmp_dpeer_run(struct rkmp_dpeer *p, enum run what, const uint8_t *m, size_t len,
    const struct rkmp_child_req *req, double now)
{
	static struct rkmp_rp rp;	/* big: not on the stack; one exchange at a time */
	struct rkmp_rp_cfg rc;
	struct rkmp_ike_cfg cfg = { 0 };
	struct rkmp_ike_out o;
	struct rkmp_child_req none = { .op = RKMP_CHILD_NONE };
	enum rkmp_phase ph = p->sa.phase;
	bool save, rp_on;
	int r;

	cfg.psk = p->psk_len ? p->psk : NULL;
	cfg.psk_len = p->psk_len;
	cfg.creds = p->creds;
	cfg.child = req != NULL ? req : &none;
	cfg.require_cookie = p->env->cookies;
	cfg.cookie_secrets = p->env->cookie_secrets;
	cfg.local = p->env->local(p->env->ctx, p->sock);
	cfg.remote = cfg.local != NULL ? &p->at : NULL;
	p->sa.frag_max = 0;
	rp_cfg(p, &rc, p->path);
	/* the table was checked at start: the snapshot needs no reading of it */
	rp_on = p->env->keytable != NULL || rkmp_rp_wanted(&rc);
	(void)rkmp_rp_begin(&rp, &rc, &p->sa);
	rp.cfg.keytable = p->env->keytable;
	rkmp_ike_out_init(&o);
	if (what == RUN_REQUEST)
		r = ph == RKMP_PHASE_NEW ? rkmp_ike_init_request(&p->sa, &cfg, &o) :
		    ph == RKMP_PHASE_INIT_DONE ? rkmp_ike_auth_request(&p->sa, &cfg, &o) :
		    rkmp_ike_child_request(&p->sa, &cfg, cfg.child, &o);
	else if (what == RUN_PROCESS)
		r = ph == RKMP_PHASE_INIT_SENT ? rkmp_ike_init_process(&p->sa, &cfg, m, len, &o) :
		    ph == RKMP_PHASE_AUTH_SENT ? rkmp_ike_auth_process(&p->sa, &cfg, m, len, &o) :
		    rkmp_ike_child_process(&p->sa, &cfg, m, len, &o);
	else
		r = ph == RKMP_PHASE_NEW ? rkmp_ike_init_respond(&p->sa, &cfg, m, len, &o) :
		    ph == RKMP_PHASE_INIT_DONE ? rkmp_ike_auth_respond(&p->sa, &cfg, m, len, &o) :
		    rkmp_ike_child_respond(&p->sa, &cfg, m, len, &o);
	save = o.save && (r >= 0 || r == RKMP_E_REFUSED);
	if (what != RUN_REQUEST && (r >= 0 || r == RKMP_E_REFUSED))
		p->heard_at = now;	/* the peer is alive (DPD) */
	if (!save) {
		if (r < 0) {
			p->ignored++;
			rkmp_dpeer_say(p, 1, "ignored a datagram (%zu octets): %s", len, rkmp_err_text());
		}
		/* a stateless answer (a repeated request's, a COOKIE) goes out as it is */
		if (o.send)
			send_out(p, o.msg.p, o.msg.len);
		if (r == RKMP_IKE_AGAIN)
			rkmp_dpeer_say(p, 1, "%s", o.note);
		rkmp_ike_out_free(&o);
		return r;
	}
	if (what == RUN_RESPOND && r != RKMP_IKE_AGAIN)
		rkmp_dpeer_set_endpoints(p);
	stamp(&p->sa);
	if (p->replacing && p->sa.phase == RKMP_PHASE_ESTABLISHED) {
		/* the new SA is authenticated: it takes the state file of the old one */
		replace_paths(p);
	}
	if (rp_on)
		rkmp_rp_settle(&rp, &p->sa);
	if (commit(p) != 0) {
		if (p->replacing && p->sa.phase == RKMP_PHASE_ESTABLISHED) {
			replace_paths(p);
			replace_abandon(p, now, "could not be saved");
		}
		rkmp_ike_out_free(&o);
		return RKMP_E_SYSTEM;
	}
	if (o.send)
		send_out(p, o.msg.p, o.msg.len);
	if (p->replacing && p->sa.phase == RKMP_PHASE_ESTABLISHED)
		replaced(p, now);	/* the old SA's rows go before the new SA's come */
	if (rp_on) {
		rp_config(p, &rp);
		if (rkmp_rp_commit(&rp, &p->sa) != 0)
			rkmp_dpeer_say(p, 0, "key table: %s", rkmp_err_text());
		for (size_t i = 0; i < rp.nev; i++)
			if (rp.ev[i].kind == RKMP_RP_REKEY)
				p->rekeys++;
	}
	p->exchanges++;
	p->last_at = now;
	snprintf(p->last, sizeof(p->last), "%s", o.note);
	{
		/* a refusal's note is often the error itself: said once */
		const char *e = r < 0 && strstr(o.note, rkmp_err_text()) == NULL ? rkmp_err_text() : "";

		rkmp_dpeer_say(p, r < 0 ? 0 : 1, "%s%s%s", o.note, o.note[0] && e[0] ? ": " : "", e);
	}
	if (o.send && (what == RUN_REQUEST || (what == RUN_PROCESS && r == RKMP_IKE_AGAIN)))
		wait_answer(p, now);
	rkmp_ike_out_free(&o);
	rkmp_dpeer_sync_children(p, now);
	return r;
}

/* ------------------------------------------------------------------ opening */

int
rkmp_dpeer_open(struct rkmp_dpeer *p, const struct rkmp_dpeer_env *env,
    const struct rkmp_dconf_peer *pc, const char *state_dir, int sock, double now)
{
	char text[96];
	int r;

	/* zeroed already (calloc): not written again, so that an idle peer's SA
	 * costs no memory until it begins */
	p->lock_fd = -1;
	p->pc = pc;
	p->env = env;
	p->sock = sock;
	rkmp_sa_init_zeroed(&p->sa);
	p->heard_at = now;
	snprintf(p->path, sizeof(p->path), "%s/%s.json", state_dir, pc->name);
	snprintf(text, sizeof(text), strchr(pc->address, ':') ? "[%s]:%u" : "%s:%u", pc->address,
	    pc->port);
	if ((r = rkmp_udp_parse(text, pc->port, &p->addr)) != 0)
		return r;
	p->at = p->addr;
	if (pc->psk_file != NULL &&
	    (r = rkmp_auth_psk_load(pc->psk_file, p->psk, sizeof(p->psk), &p->psk_len)) != 0)
		return r;
	if (pc->cert != NULL && (r = rkmp_creds_load(&p->creds, pc->cert, pc->key, pc->ca)) != 0)
		return r;
	/* one writer per state: ours for as long as we run; a step tool is refused */
	if ((r = rkmp_file_lock(p->path, env->prog, 0, &p->lock_fd)) != 0)
		return r;
	(void)rkmp_file_sweep(p->path);
	if (rkmp_state_exists(p->path)) {
		if ((r = rkmp_state_load(p->path, &p->sa)) != 0)
			return r == RKMP_E_SYSTEM ? RKMP_E_STATE : r;
		if (p->sa.seeded)
			return rkmp_err_set(RKMP_E_STATE, p->path, "a --seed state (testing only): not for "
			    "the daemon; remove it");
		/* the peer may have moved: the state knows where it was last */
		if (p->sa.peer_addr[0] != '\0') {
			snprintf(text, sizeof(text), strchr(p->sa.peer_addr, ':') ? "[%s]:%u" : "%s:%u",
			    p->sa.peer_addr, p->sa.peer_port);
			if (rkmp_udp_parse(text, pc->port, &p->at) != 0)
				p->at = p->addr;
		}
		/* its children's lifetimes go on from when they were made (else from now) */
		stamp(&p->sa);
		rkmp_dpeer_sync_children(p, now);
		/* a request of ours waits (killed while waiting): retransmitted from the transcript */
		if (p->sa.phase == RKMP_PHASE_INIT_SENT || p->sa.phase == RKMP_PHASE_AUTH_SENT ||
		    (p->sa.phase == RKMP_PHASE_ESTABLISHED && p->sa.pending.op != 0)) {
			wait_answer(p, now);
			p->rtx_at = now;
		}
		rkmp_dpeer_say(p, 0, "resumed from %s: %s, %s", p->path, rkmp_phase_name(p->sa.phase),
		    p->sa.initiator ? "initiator" : "responder");
	}
	return 0;
}

void
rkmp_dpeer_close(struct rkmp_dpeer *p)
{
	if (p->prev != NULL) {
		rkmp_sa_wipe(p->prev);
		free(p->prev);
		p->prev = NULL;
	}
	rkmp_sa_wipe(&p->sa);
	rkmp_frags_reset(&p->frags);
	rkmp_crypto_wipe(p->psk, sizeof(p->psk));
	rkmp_creds_free(p->creds);
	p->creds = NULL;
	rkmp_file_unlock(p->lock_fd);
	p->lock_fd = -1;
}

/* ------------------------------------------------------------------ datagrams */

bool
rkmp_dpeer_owns(const struct rkmp_dpeer *p, const uint8_t *m, size_t len)
{
	uint64_t si, sr;

	if (len < RKMP_HDR_LEN || p->sa.spi_i == 0)
		return false;
	si = rkmp_get64(m);
	sr = rkmp_get64(m + 8);
	if (si == p->sa.spi_i && (sr == p->sa.spi_r || ((sr == 0 || p->sa.spi_r == 0) &&
	    m[18] == RKMP_EXCH_IKE_SA_INIT)))
		return true;
	if (p->replacing && si == p->prev->spi_i && sr == p->prev->spi_r)
		return true;
	return p->sa.old.spi_i != 0 && si == p->sa.old.spi_i && sr == p->sa.old.spi_r;
}

/* Swap the SA with the one waiting for its replacement (and their files). */
static void
swap_prev(struct rkmp_dpeer *p)
{
	static struct rkmp_sa t;

	memcpy(&t, &p->sa, sizeof(t));
	memcpy(&p->sa, p->prev, sizeof(t));
	memcpy(p->prev, &t, sizeof(t));
	replace_paths(p);
}

bool
rkmp_dpeer_is_from(const struct rkmp_dpeer *p, const struct rkmp_udp_addr *from, bool port_too)
{
	return rkmp_udp_same(from, &p->addr, port_too);
}

/* RFC 7383: a fragment of the peer's is kept until its message is whole (1
 * with *d replaced), 0 while fragments are missing or it was broken. */
static int
gather(struct rkmp_dpeer *p, uint8_t **d, size_t *len)
{
	unsigned dropped = 0;
	uint8_t *whole;
	size_t wlen;
	int r;

	if ((r = rkmp_ike_fragment_check(&p->sa, *d, *len)) == 0)
		return 1;
	if (r > 0)
		r = rkmp_frags_add(&p->frags, *d, *len, &dropped);
	if (r < 0) {
		p->ignored++;
		rkmp_dpeer_say(p, 1, "ignored a fragment (%zu octets): %s", *len, rkmp_err_text());
		return 0;
	}
	if (r == 0 || rkmp_frags_join(&p->frags, &whole, &wlen) != 0)
		return 0;
	free(*d);
	*d = whole;
	*len = wlen;
	return 1;
}

/* Our I flag on the SA of message m: the old RKMP SA's (kept until the peer's
 * Delete of it) after the peer rekeyed it, who may have been its responder. */
static uint8_t
our_i_flag(const struct rkmp_dpeer *p, const uint8_t *m)
{
	bool old = p->sa.old.spi_i != 0 && rkmp_get64(m) == p->sa.old.spi_i &&
	    rkmp_get64(m + 8) == p->sa.old.spi_r;

	return (old ? p->sa.old.initiator : p->sa.initiator) ? RKMP_FLAG_I : 0;
}

/* The answer to our request came: go on (AUTH after INIT; the next child op). */
static void
answered(struct rkmp_dpeer *p, int r, const struct rkmp_sa_child *rekeyed, double now)
{
	if (r == RKMP_IKE_AGAIN)
		return;	/* our next request is out (COOKIE, INVALID_KE, the old SA's Delete) */
	p->waiting = false;
	if (r == 0 && p->sa.phase == RKMP_PHASE_INIT_DONE && p->sa.initiator) {
		rkmp_dpeer_run(p, RUN_REQUEST, NULL, 0, NULL, now);	/* RKMP_SA_AUTH */
		return;
	}
	if (p->sa.phase == RKMP_PHASE_FAILED) {
		rkmp_dpeer_say(p, 0, "RKMP SA failed: %s", p->sa.reason);
		if (p->pc->start == RKMP_DCONF_ALWAYS) {
			p->backoff = p->backoff > 0 ? (p->backoff * 2 > 600 ? 600 : p->backoff * 2) : 10;
			p->retry_at = now + p->backoff;
		}
		return;
	}
	if (p->sa.phase == RKMP_PHASE_ESTABLISHED)
		p->backoff = 0;
	if (rekeyed != NULL) {
		/* our rekey: the old child goes once its rows' overlap has run out */
		struct rkmp_dpeer_child *t = rkmp_dpeer_timer_of(p, rekeyed);
		const struct rkmp_dconf_child *c = rkmp_dpeer_child_cfg(p, rekeyed->protocol, NULL);
		const struct rkmp_sa_child *nw = &p->sa.children[p->sa.nchildren - 1];
		char spi[2 * RKMP_SA_SPI_MAX + 1], ospi[2 * RKMP_SA_SPI_MAX + 1];

		rkmp_hex_encode(nw->spi_local, nw->spi_size, spi);
		rkmp_hex_encode(rekeyed->spi_local, rekeyed->spi_size, ospi);
		if (t != NULL && c != NULL && rekeyed->state == RKMP_CHILD_REKEYED)
			t->delete_at = now + send_delay(c) + grace(c) + 1;
		if (p->asked.on && strcmp(p->asked.old, ospi) == 0) {
			p->asked.done = true;
			p->asked.on = false;
			snprintf(p->asked.new_spi, sizeof(p->asked.new_spi), "%s",
			    nw->state == RKMP_CHILD_ESTABLISHED && nw->protocol == rekeyed->protocol ? spi : "");
			snprintf(p->asked.why, sizeof(p->asked.why), "%s", p->last);
		}
	}
	resolve(p, now);
}

void
rkmp_dpeer_datagram(struct rkmp_dpeer *p, int sock, const struct rkmp_udp_addr *from,
    const uint8_t *msg, size_t len, double now)
{
	struct rkmp_sa_child was;
	uint8_t *d;
	size_t dlen = len;
	bool response, is_rekey;
	int r;

	if (len < RKMP_HDR_LEN)
		return;
	response = (msg[19] & RKMP_FLAG_R) != 0;
	if ((d = malloc(len)) == NULL)
		return;
	memcpy(d, msg, len);
	if (gather(p, &d, &dlen) <= 0)
		goto out;
	if (response) {
		if (!p->waiting || !rkmp_ike_is_answer(&p->sa, d, dlen)) {
			p->ignored++;
			rkmp_dpeer_say(p, 1, "ignored a response (%zu octets): not the answer to a request of ours",
			    dlen);
			goto out;
		}
		is_rekey = p->sa.pending.op == RKMP_CHILD_REKEY;
		memset(&was, 0, sizeof(was));
		if (is_rekey) {
			was.protocol = p->sa.pending.protocol;
			was.spi_size = p->sa.pending.spi_size;
			memcpy(was.spi_local, p->sa.pending.target, sizeof(was.spi_local));
		}
		r = rkmp_dpeer_run(p, RUN_PROCESS, d, dlen, NULL, now);
		if (p->sa.pending.op == 0 || r == RKMP_IKE_AGAIN || p->sa.phase != RKMP_PHASE_ESTABLISHED) {
			const struct rkmp_sa_child *old = NULL;

			for (size_t i = 0; is_rekey && i < p->sa.nchildren; i++)
				if (p->sa.children[i].protocol == was.protocol &&
				    memcmp(p->sa.children[i].spi_local, was.spi_local, was.spi_size) == 0)
					old = &p->sa.children[i];
			if (r >= 0 || p->sa.phase == RKMP_PHASE_FAILED || p->sa.pending.op == 0)
				answered(p, r, old, now);
		}
		goto out;
	}
	/* a request: a new RKMP_SA_INIT from the peer, or one on our SA */
	if (d[18] == RKMP_EXCH_IKE_SA_INIT && rkmp_get64(d + 8) == 0 && !rkmp_dpeer_owns(p, d, dlen)) {
		enum rkmp_phase ph = p->sa.phase;

		if (ph == RKMP_PHASE_INIT_SENT && rkmp_get64(d) > p->sa.spi_i) {
			/* both initiate at once: the RKMP_SA_INIT with the higher SPIi goes
			 * on, on both sides (each sees both SPIs); ours is given up */
			rkmp_dpeer_say(p, 0, "both sides initiate: the peer's RKMP_SA_INIT (SPIi %016" PRIx64
			    ") goes on over ours (SPIi %016" PRIx64 "), which is given up; answered",
			    rkmp_get64(d), p->sa.spi_i);
		} else if (ph == RKMP_PHASE_INIT_SENT || ph == RKMP_PHASE_AUTH_SENT ||
		    (ph == RKMP_PHASE_INIT_DONE && p->sa.initiator)) {
			p->ignored++;
			rkmp_dpeer_say(p, 0, "ignored a new RKMP_SA_INIT request from the peer (SPIi %016" PRIx64
			    "): our RKMP SA (SPIi %016" PRIx64 ") is %s%s", rkmp_get64(d), p->sa.spi_i,
			    rkmp_phase_name(ph), ph == RKMP_PHASE_INIT_SENT ?
			    " and both sides initiate: ours goes on (its SPIi is not the lower)" : "");
			goto out;
		}
		if (ph == RKMP_PHASE_ESTABLISHED) {
			rkmp_dpeer_say(p, 0, "a new RKMP_SA_INIT request from the peer while our RKMP SA %016" PRIx64
			    ":%016" PRIx64 " is established: answered; once authenticated it replaces "
			    "that one (until then that one stays)", p->sa.spi_i, p->sa.spi_r);
			if (replace_begin(p, now) != 0) {
				rkmp_dpeer_say(p, 0, "ignored it: %s", rkmp_err_text());
				goto out;
			}
		}
		/* new, failed, deleted, or a half-open SA of the peer's: it starts again
		 * (a COOKIE we asked for is checked by making it again: nothing kept) */
		rkmp_dpeer_fresh(p, false);
		p->sock = sock;
		p->at = *from;
		r = rkmp_dpeer_run(p, RUN_RESPOND, d, dlen, NULL, now);
		goto out;
	}
	if (p->replacing && rkmp_get64(d) == p->prev->spi_i && rkmp_get64(d + 8) == p->prev->spi_r) {
		/* a request on the SA a new one may replace: answered there, nothing started */
		struct rkmp_udp_addr keep = p->at;
		double heard = p->heard_at;

		if ((d[19] & RKMP_FLAG_I) == (p->prev->initiator ? RKMP_FLAG_I : 0)) {
			p->ignored++;
			rkmp_dpeer_say(p, 1, "ignored a datagram (%zu octets) on the RKMP SA being replaced", dlen);
			goto out;
		}
		p->replacing = false;
		swap_prev(p);
		p->at = *from;
		r = rkmp_dpeer_run(p, RUN_RESPOND, d, dlen, NULL, now);
		p->at = keep;
		p->heard_at = heard;
		swap_prev(p);
		p->replacing = true;
		p->ntimers = 0;
		goto out;
	}
	/* the peer's request carries the I flag we do not have on its SA: the old
	 * SA's (its Delete after the peer rekeyed the RKMP SA) may be the other one */
	if (!rkmp_dpeer_owns(p, d, dlen) || (d[19] & RKMP_FLAG_I) == our_i_flag(p, d)) {
		p->ignored++;
		rkmp_dpeer_say(p, 1, "ignored a request (%zu octets): not on our SA", dlen);
		goto out;
	}
	p->sock = sock;
	{
		struct rkmp_udp_addr keep = p->at;

		p->at = *from;	/* answered where it came from; kept when it verifies */
		r = rkmp_dpeer_run(p, RUN_RESPOND, d, dlen, NULL, now);
		if (r < 0 && r != RKMP_E_REFUSED)
			p->at = keep;
	}
out:
	if (p->replacing && (p->sa.phase == RKMP_PHASE_NEW || p->sa.phase == RKMP_PHASE_FAILED ||
	    p->sa.phase == RKMP_PHASE_DELETED))
		replace_abandon(p, now, p->sa.phase == RKMP_PHASE_NEW ? "was not taken" :
		    p->sa.phase == RKMP_PHASE_FAILED ? "failed" : "was deleted");
	free(d);
}

/* ------------------------------------------------------------------ time */

int
rkmp_dpeer_request(struct rkmp_dpeer *p, enum rkmp_child_op op, uint8_t protocol, uint16_t pfs,
    const uint8_t *spi, size_t spi_len, double now)
{
	struct rkmp_child_req req = { .op = op, .protocol = protocol, .pfs_group = pfs };

	if (spi != NULL) {
		memcpy(req.spi, spi, spi_len);
		req.spi_len = spi_len;
	}
	return rkmp_dpeer_run(p, RUN_REQUEST, NULL, 0, &req, now);
}

/* Our request went unanswered through every retransmission: the RKMP SA failed
 * (RP_revokeSA: rows removed, events, hook), and an `always` peer tries again. */
static void
timed_out(struct rkmp_dpeer *p, double now)
{
	char where[64], why[RKMP_SA_TEXT_MAX];

	rkmp_udp_format(&p->at, where, sizeof(where));
	snprintf(why, sizeof(why), "%sno answer from %s after %u retransmission%s (%.1f s)",
	    p->sa.pending.op == RKMP_CHILD_LIVENESS ? "DPD: " : "", where, p->env->rtx_tries,
	    p->env->rtx_tries == 1 ? "" : "s", now - p->rtx_start);
	rkmp_dpeer_revoke_ours(p, why, now);
	if (p->asked.on) {
		p->asked.on = false;
		p->asked.done = true;
		snprintf(p->asked.why, sizeof(p->asked.why), "%s", p->sa.reason);
	}
	answered(p, RKMP_E_TRANSPORT, NULL, now);
}

/*
 * The next operation of an established SA: a configured child that is
 * missing (the RKMP SA's initiator creates them, so that two are not made
 * at once), an old child whose overlap ran out, a child due for its rekey,
 * the RKMP SA due for its rekey, a liveness check after `dpd` seconds of
 * silence.  A rekey that is refused (the peer was rekeying too: RFC 7296
 * §2.25 TEMPORARY_FAILURE) is tried again 1 to 3 s later.
 */
static void
next_op(struct rkmp_dpeer *p, double now)
{
	for (size_t k = 0; p->sa.initiator && k < p->pc->nchildren; k++) {
		const struct rkmp_dconf_child *c = &p->pc->children[k];
		bool have = false;

		for (size_t i = 0; i < p->sa.nchildren && !have; i++)
			have = p->sa.children[i].protocol == c->protocol &&
			    rkmp_child_live(p->sa.children[i].state);
		if (have || now < p->create_at[k])
			continue;
		p->create_at[k] = now + 60;	/* if it is refused: again in a minute */
		rkmp_dpeer_request(p, RKMP_CHILD_CREATE, c->protocol, c->pfs, NULL, 0, now);
		return;
	}
	for (size_t i = 0; i < p->ntimers; i++) {
		struct rkmp_dpeer_child *t = &p->timers[i];

		if (t->delete_at > 0 && now >= t->delete_at) {
			t->delete_at = 0;
			rkmp_dpeer_request(p, RKMP_CHILD_DELETE, t->protocol, 0, t->spi, t->spi_size, now);
			return;
		}
	}
	for (size_t i = 0; i < p->ntimers; i++) {
		struct rkmp_dpeer_child *t = &p->timers[i];
		const struct rkmp_dconf_child *c = rkmp_dpeer_child_cfg(p, t->protocol, NULL);

		if (t->rekey_at > 0 && now >= t->rekey_at) {
			t->rekey_at = now + 2 + jitter(10);
			rkmp_dpeer_request(p, RKMP_CHILD_REKEY, t->protocol, c ? c->pfs : 0, t->spi, t->spi_size, now);
			return;
		}
	}
	if (p->ike_rekey_at > 0 && now >= p->ike_rekey_at) {
		rkmp_dpeer_say(p, 1, "the RKMP SA is due for its rekey (ike_lifetime %u s)", p->pc->ike_lifetime);
		p->ike_rekey_at = now + 2 + jitter(10);
		rkmp_dpeer_request(p, RKMP_CHILD_REKEY_IKE, 0, 0, NULL, 0, now);
		return;
	}
	if (p->pc->dpd > 0 && now >= p->heard_at + p->pc->dpd) {
		char where[64];

		rkmp_udp_format(&p->at, where, sizeof(where));
		rkmp_dpeer_say(p, 1, "DPD: nothing from %s for %.1f s: liveness check", where, now - p->heard_at);
		if (rkmp_dpeer_request(p, RKMP_CHILD_LIVENESS, 0, 0, NULL, 0, now) < 0)
			p->heard_at = now;	/* not sent: not again at once */
	}
}

static double
earliest(double a, double b)
{
	return a == 0 || (b != 0 && b < a) ? b : a;
}

double
rkmp_dpeer_tick(struct rkmp_dpeer *p, double now)
{
	double next = 0;

	if (p->replacing && now >= p->replace_until) {
		char why[64];

		snprintf(why, sizeof(why), "was not authenticated within %d s", RKMP_DPEER_HALF_OPEN);
		replace_abandon(p, now, why);
	}
	if (p->waiting && now >= p->rtx_at) {
		if (p->rtx_n >= p->env->rtx_tries)
			timed_out(p, now);
		else {
			const uint8_t *m;
			size_t len;
			char to[64];

			p->rtx_n++;
			p->rtx_iv *= p->env->rtx_base;
			p->rtx_at = now + p->rtx_iv;
			rkmp_udp_format(&p->at, to, sizeof(to));
			if (rkmp_ike_pending_request(&p->sa, &m, &len) == 0) {
				rkmp_dpeer_say(p, p->rtx_n == 1 ? 1 : 0, "retransmit %u/%u to %s, %s in %.1f s", p->rtx_n,
				    p->env->rtx_tries, to, p->rtx_n < p->env->rtx_tries ? "next" : "giving up",
				    p->rtx_iv);
				send_out(p, m, len);
			} else
				p->waiting = false;
		}
	}
	if (!p->waiting && !rkmp_dpeer_ctl(p, now)) {
		enum rkmp_phase ph = p->sa.phase;

		if (ph == RKMP_PHASE_ESTABLISHED && p->sa.pending.op == 0)
			next_op(p, now);
		else if (p->pc->start == RKMP_DCONF_ALWAYS && (ph == RKMP_PHASE_NEW ||
		    ph == RKMP_PHASE_FAILED || ph == RKMP_PHASE_DELETED) && now >= p->retry_at) {
			rkmp_dpeer_fresh(p, true);
			p->at = p->addr;
			rkmp_dpeer_set_endpoints(p);
			rkmp_dpeer_say(p, 0, "initiating to %s port %u", p->pc->address, p->pc->port);
			if (rkmp_dpeer_run(p, RUN_REQUEST, NULL, 0, NULL, now) < 0 && !p->waiting) {
				p->backoff = p->backoff > 0 ? (p->backoff * 2 > 600 ? 600 : p->backoff * 2) : 10;
				p->retry_at = now + p->backoff;
			}
		}
	}
	/* the next deadline */
	if (p->waiting)
		next = p->rtx_at;
	else if (p->sa.phase == RKMP_PHASE_ESTABLISHED && p->sa.pending.op == 0) {
		if (p->sa.initiator)
			for (size_t k = 0; k < p->pc->nchildren; k++) {
				bool have = false;

				for (size_t i = 0; i < p->sa.nchildren && !have; i++)
					have = p->sa.children[i].protocol == p->pc->children[k].protocol &&
					    rkmp_child_live(p->sa.children[i].state);
				if (!have)
					next = earliest(next, p->create_at[k] > now ? p->create_at[k] : now);
			}
		for (size_t i = 0; i < p->ntimers; i++) {
			next = earliest(next, p->timers[i].delete_at);
			next = earliest(next, p->timers[i].rekey_at);
		}
		next = earliest(next, p->ike_rekey_at);
		if (p->pc->dpd > 0)
			next = earliest(next, p->heard_at + p->pc->dpd);
	} else if (p->pc->start == RKMP_DCONF_ALWAYS && p->sa.phase != RKMP_PHASE_INIT_DONE &&
	    p->sa.phase != RKMP_PHASE_ESTABLISHED)
		next = p->retry_at > now ? p->retry_at : now;
	if (p->replacing)
		next = earliest(next, p->replace_until);
	return next;
}


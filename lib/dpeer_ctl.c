/* SPDX-License-Identifier: MIT */
/*
 * dpeer_ctl.c — what rkmpctl asks of one peer of rkmpd (see dpeer.h):
 * RKMP_rekeySA, RKMP_generateSA, delete, down, up, the daemon's retirement
 * of a peer at reload or stop, its status; each as a job that the SA's
 * exchanges (dpeer.c) drive to its answer.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpeer.h"
#include "dpeer_int.h"
#include "err.h"
#include "hex.h"
#include "ike.h"
#include "names.h"
#include "nitems.h"
#include "protocols.h"
#include "state.h"
/* ------------------------------------------------------------------ control */

int
rkmp_dpeer_rekey(struct rkmp_dpeer *p, const char *spi, double now)
{
	uint8_t b[RKMP_SA_SPI_MAX];
	size_t n;

	if (p->sa.phase != RKMP_PHASE_ESTABLISHED)
		return rkmp_err_set(RKMP_E_STATE, p->pc->name, "the RKMP SA is %s, not established",
		    rkmp_phase_name(p->sa.phase));
	if (spi[0] == '\0' || rkmp_hex_decode(spi, strlen(spi), b, sizeof(b), &n, NULL) != 0)
		return rkmp_err_set(RKMP_E_USAGE, spi, "not an SPI in hex");
	for (size_t i = 0; i < p->sa.nchildren; i++) {
		const struct rkmp_sa_child *ch = &p->sa.children[i];
		const struct rkmp_dconf_child *c = rkmp_dpeer_child_cfg(p, ch->protocol, NULL);

		if (ch->state != RKMP_CHILD_ESTABLISHED || ch->spi_size != n ||
		    memcmp(ch->spi_local, b, n) != 0)
			continue;
		if (p->waiting || p->sa.pending.op != 0)
			return rkmp_err_set(RKMP_E_STATE, p->pc->name, "a request of ours (%s) waits for "
			    "its answer: try again", rkmp_dpeer_op_name(p->sa.pending.op));
		memset(&p->asked, 0, sizeof(p->asked));
		p->asked.on = true;
		rkmp_hex_encode(b, n, p->asked.old);
		if (rkmp_dpeer_request(p, RKMP_CHILD_REKEY, ch->protocol, c ? c->pfs : 0, b, n, now) < 0) {
			p->asked.on = false;
			return rkmp_err_set(RKMP_E_STATE, p->pc->name, "rekey: %s", p->last);
		}
		return 0;
	}
	return rkmp_err_set(RKMP_E_REFUSED, p->pc->name, "no established child SA with our SPI %s", spi);
}

/* A deleted child of a configured protocol is not created again until
 * rkmpctl generate or up: its create time is put this far off. */
#define HOLD	(366.0 * 86400)

void
rkmp_dpeer_tell_event(void *ctx, const char *line)
{
	struct rkmp_dpeer *p = ctx;

	if (p->env->event != NULL)
		p->env->event(p->env->ctx, p->pc->name, line);
}

static void finish(struct rkmp_dpeer *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The job is done: code 0, or RKMP_E_* with why. */
static void
finish(struct rkmp_dpeer *p, int code, const char *fmt, ...)
{
	va_list ap;

	p->job.done = true;
	p->job.code = code;
	va_start(ap, fmt);
	vsnprintf(p->job.why, sizeof(p->job.why), fmt, ap);
	va_end(ap);
}

static bool
job_busy(const struct rkmp_dpeer *p)
{
	return p->job.kind != RKMP_DPEER_JOB_NONE && !p->job.done;
}

static const char *const job_names[] = {
	[RKMP_DPEER_JOB_NONE] = "none", [RKMP_DPEER_JOB_GENERATE] = "generate",
	[RKMP_DPEER_JOB_DELETE_CHILD] = "delete", [RKMP_DPEER_JOB_DELETE_SA] = "delete",
};

static int
busy(const struct rkmp_dpeer *p)
{
	return rkmp_err_set(RKMP_E_STATE, p->pc->name, "rkmpctl's %s of this peer is under way: try "
	    "again once it is done", job_names[p->job.kind]);
}

static bool
any_live(const struct rkmp_dpeer *p)
{
	for (size_t i = 0; i < p->sa.nchildren; i++)
		if (rkmp_child_live(p->sa.children[i].state))
			return true;
	return false;
}

/* "tcp-ao:30 bfd:9c": the live children (or the one with our SPI spi) */
static void
child_list(const struct rkmp_dpeer *p, const uint8_t *spi, size_t n, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < p->sa.nchildren; i++) {
		const struct rkmp_sa_child *ch = &p->sa.children[i];
		const struct rkmp_protocol *pr = rkmp_protocol_by_id(ch->protocol);
		char h[2 * RKMP_SA_SPI_MAX + 1];
		int w;

		if (!rkmp_child_live(ch->state) || (spi != NULL && (ch->spi_size != n ||
		    memcmp(ch->spi_local, spi, n) != 0)))
			continue;
		rkmp_hex_encode(ch->spi_local, ch->spi_size, h);
		w = snprintf(out + len, size - len, "%s%s:%s", len ? " " : "", pr ? pr->name : "?", h);
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
}

static bool
was_before(const struct rkmp_dpeer_job *j, const struct rkmp_sa_child *ch)
{
	for (size_t i = 0; i < j->nbefore; i++)
		if (j->before[i].protocol == ch->protocol && j->before[i].spi_size == ch->spi_size &&
		    memcmp(j->before[i].spi, ch->spi_local, ch->spi_size) == 0)
			return true;
	return false;
}

static bool
ctl_generate(struct rkmp_dpeer *p, double now)
{
	struct rkmp_dpeer_job *j = &p->job;
	enum rkmp_phase ph = p->sa.phase;
	size_t missing = 0;
	int r;

	if (ph == RKMP_PHASE_NEW || ph == RKMP_PHASE_FAILED || ph == RKMP_PHASE_DELETED) {
		if (j->started) {
			finish(p, RKMP_E_REFUSED, "the RKMP SA is %s: %s", rkmp_phase_name(ph),
			    p->sa.reason[0] ? p->sa.reason : p->last);
			return p->down;
		}
		j->started = true;
		j->nbefore = 0;
		rkmp_dpeer_fresh(p, true);
		p->at = p->addr;
		rkmp_dpeer_set_endpoints(p);
		rkmp_dpeer_say(p, 0, "initiating to %s port %u (rkmpctl)", p->pc->address, p->pc->port);
		if ((r = rkmp_dpeer_run(p, RUN_REQUEST, NULL, 0, NULL, now)) < 0 && !p->waiting)
			finish(p, r == RKMP_E_SYSTEM ? r : RKMP_E_REFUSED, "initiating: %s", rkmp_err_text());
		return true;
	}
	if (ph != RKMP_PHASE_ESTABLISHED || p->sa.pending.op != 0)
		return false;	/* the initial exchanges are under way (ours or the peer's) */
	j->started = true;
	for (size_t i = 0; i < j->nwant; i++)
		for (size_t c = 0; c < p->sa.nchildren && j->got[i] == 0; c++) {
			const struct rkmp_sa_child *ch = &p->sa.children[c];
			bool taken = false;

			for (size_t k = 0; k < j->nwant; k++)
				taken = taken || j->got[k] == c + 1;
			if (!taken && ch->protocol == j->want[i] && ch->state == RKMP_CHILD_ESTABLISHED &&
			    !was_before(j, ch))
				j->got[i] = c + 1;
		}
	for (size_t i = 0; i < j->nwant; i++) {
		const struct rkmp_dconf_child *c = rkmp_dpeer_child_cfg(p, j->want[i], NULL);

		if (j->got[i] != 0)
			continue;
		if (j->sent[i]) {
			missing++;
			continue;
		}
		j->sent[i] = true;
		if ((r = rkmp_dpeer_request(p, RKMP_CHILD_CREATE, j->want[i], c ? c->pfs : 0, NULL, 0, now)) < 0 &&
		    !p->waiting)
			finish(p, r == RKMP_E_SYSTEM ? r : RKMP_E_REFUSED, "%s child: %s",
			    rkmp_protocol_by_id(j->want[i])->name, rkmp_err_text());
		return true;
	}
	if (missing > 0)
		finish(p, RKMP_E_REFUSED, "%s", p->last);
	else
		finish(p, 0, "done");
	return p->down;
}

static bool
ctl_delete_child(struct rkmp_dpeer *p, double now)
{
	struct rkmp_dpeer_job *j = &p->job;
	char h[2 * RKMP_SA_SPI_MAX + 1];
	int r;

	rkmp_hex_encode(j->spi, j->spi_size, h);
	if (!j->started) {
		if (p->sa.phase != RKMP_PHASE_ESTABLISHED) {
			finish(p, RKMP_E_STATE, "the RKMP SA is %s, not established",
			    rkmp_phase_name(p->sa.phase));
			return p->down;
		}
		if (p->sa.pending.op != 0)
			return false;
		child_list(p, j->spi, j->spi_size, j->deleted, sizeof(j->deleted));
		if (j->deleted[0] == '\0') {
			finish(p, RKMP_E_REFUSED, "no live child SA with our SPI %s", h);
			return p->down;
		}
		j->started = true;
		if ((r = rkmp_dpeer_request(p, RKMP_CHILD_DELETE, j->protocol, 0, j->spi, j->spi_size, now)) < 0 &&
		    !p->waiting)
			finish(p, r == RKMP_E_SYSTEM ? r : RKMP_E_REFUSED, "delete of %s: %s", h,
			    rkmp_err_text());
		return true;
	}
	if (p->sa.phase == RKMP_PHASE_ESTABLISHED && p->sa.pending.op != 0)
		return false;
	for (size_t i = 0; i < p->sa.nchildren; i++) {
		const struct rkmp_sa_child *ch = &p->sa.children[i];
		size_t k;

		if (ch->spi_size != j->spi_size || memcmp(ch->spi_local, j->spi, j->spi_size) != 0 ||
		    ch->state != RKMP_CHILD_DELETED)
			continue;
		/* a configured child is not created again at once (that would undo the delete) */
		if (rkmp_dpeer_child_cfg(p, ch->protocol, &k) != NULL) {
			bool other = false;

			for (size_t m = 0; m < p->sa.nchildren; m++)
				other = other || (p->sa.children[m].protocol == ch->protocol &&
				    rkmp_child_live(p->sa.children[m].state));
			if (!other)
				p->create_at[k] = now + HOLD;
		}
		finish(p, 0, "done");
		return p->down;
	}
	finish(p, RKMP_E_REFUSED, "delete of %s: %s", h, p->sa.reason[0] ? p->sa.reason : p->last);
	return p->down;
}

static bool
ctl_delete_sa(struct rkmp_dpeer *p, double now)
{
	struct rkmp_dpeer_job *j = &p->job;
	struct rkmp_child_req req = { .op = RKMP_CHILD_DELETE_IKE, .with_children = true };
	int r;

	if (!j->started) {
		if (p->sa.phase != RKMP_PHASE_ESTABLISHED) {
			if (p->down)
				finish(p, 0, "done");
			else
				finish(p, RKMP_E_STATE, "no RKMP SA to delete: it is %s",
				    rkmp_phase_name(p->sa.phase));
			return p->down;
		}
		if (p->sa.pending.op != 0)
			return false;
		child_list(p, NULL, 0, j->deleted, sizeof(j->deleted));
		j->started = true;
		if ((r = rkmp_dpeer_run(p, RUN_REQUEST, NULL, 0, &req, now)) < 0 && !p->waiting)
			finish(p, r == RKMP_E_SYSTEM ? r : RKMP_E_REFUSED, "delete of the RKMP SA: %s",
			    rkmp_err_text());
		return true;
	}
	if (p->sa.phase == RKMP_PHASE_ESTABLISHED && p->sa.pending.op != 0)
		return false;
	if (p->sa.phase == RKMP_PHASE_DELETED)
		finish(p, 0, "done");
	else
		finish(p, RKMP_E_REFUSED, "the RKMP SA is %s: %s", rkmp_phase_name(p->sa.phase),
		    p->sa.reason[0] ? p->sa.reason : p->last);
	return p->down;
}

bool
rkmp_dpeer_ctl(struct rkmp_dpeer *p, double now)
{
	if (!job_busy(p))
		return p->down;
	switch (p->job.kind) {
	case RKMP_DPEER_JOB_GENERATE: return ctl_generate(p, now);
	case RKMP_DPEER_JOB_DELETE_CHILD: return ctl_delete_child(p, now);
	case RKMP_DPEER_JOB_DELETE_SA: return ctl_delete_sa(p, now);
	default: return p->down;
	}
}

/* A new job; its first step at once when no request of ours waits. */
static int
begin(struct rkmp_dpeer *p, enum rkmp_dpeer_job_kind kind, double now)
{
	p->job.kind = kind;
	if (!p->waiting)
		(void)rkmp_dpeer_ctl(p, now);
	return 0;
}

int
rkmp_dpeer_generate(struct rkmp_dpeer *p, uint8_t protocol, double now)
{
	struct rkmp_dpeer_job *j = &p->job;
	bool established = p->sa.phase == RKMP_PHASE_ESTABLISHED;

	if (job_busy(p))
		return busy(p);
	if (protocol != 0) {
		const struct rkmp_protocol *pr = rkmp_protocol_by_id(protocol);

		if (pr == NULL || (p->pc->profile == RKMP_PROFILE_IKEV2) == pr->rp)
			return rkmp_err_set(RKMP_E_USAGE, "--protocol", "the %s profile of peer %s "
			    "negotiates %s children", rkmp_profile_name(p->pc->profile), p->pc->name,
			    p->pc->profile == RKMP_PROFILE_IKEV2 ? rkmp_protocol_default(false)->name :
			    rkmp_protocol_names(false, true));
	}
	memset(j, 0, sizeof(*j));
	if (protocol != 0)
		j->want[j->nwant++] = protocol;
	for (size_t k = 0; protocol == 0 && k < p->pc->nchildren; k++) {
		bool have = false;

		for (size_t i = 0; established && i < p->sa.nchildren && !have; i++)
			have = p->sa.children[i].protocol == p->pc->children[k].protocol &&
			    rkmp_child_live(p->sa.children[i].state);
		if (!have)
			j->want[j->nwant++] = p->pc->children[k].protocol;
	}
	for (size_t k = 0; k < p->pc->nchildren; k++)
		for (size_t i = 0; i < j->nwant; i++)
			if (p->pc->children[k].protocol == j->want[i] && p->create_at[k] > now)
				p->create_at[k] = 0;	/* held by a delete: wanted again */
	for (size_t i = 0; established && i < p->sa.nchildren; i++) {
		const struct rkmp_sa_child *ch = &p->sa.children[i];

		if (!rkmp_child_live(ch->state))
			continue;
		j->before[j->nbefore].protocol = ch->protocol;
		j->before[j->nbefore].spi_size = ch->spi_size;
		memcpy(j->before[j->nbefore++].spi, ch->spi_local, ch->spi_size);
	}
	if (established && j->nwant == 0) {
		j->kind = RKMP_DPEER_JOB_GENERATE;
		finish(p, 0, "nothing missing");
		return 0;
	}
	return begin(p, RKMP_DPEER_JOB_GENERATE, now);
}

int
rkmp_dpeer_up(struct rkmp_dpeer *p, double now)
{
	if (job_busy(p))
		return busy(p);
	if (p->down)
		rkmp_dpeer_say(p, 0, "up (rkmpctl)");
	p->down = false;
	p->retry_at = now;
	p->backoff = 0;
	return rkmp_dpeer_generate(p, 0, now);
}

int
rkmp_dpeer_delete(struct rkmp_dpeer *p, const char *spi, double now)
{
	struct rkmp_dpeer_job *j = &p->job;
	uint8_t b[RKMP_SA_SPI_MAX];
	size_t n = 0;

	if (job_busy(p))
		return busy(p);
	if (spi != NULL && (spi[0] == '\0' || rkmp_hex_decode(spi, strlen(spi), b, sizeof(b), &n,
	    NULL) != 0))
		return rkmp_err_set(RKMP_E_USAGE, spi, "not an SPI in hex");
	if (p->sa.phase != RKMP_PHASE_ESTABLISHED)
		return rkmp_err_set(RKMP_E_STATE, p->pc->name, "no RKMP SA to delete: it is %s",
		    rkmp_phase_name(p->sa.phase));
	memset(j, 0, sizeof(*j));
	if (spi == NULL)
		return begin(p, RKMP_DPEER_JOB_DELETE_SA, now);
	for (size_t i = 0; i < p->sa.nchildren; i++) {
		const struct rkmp_sa_child *ch = &p->sa.children[i];

		if (rkmp_child_live(ch->state) && ch->spi_size == n && memcmp(ch->spi_local, b, n) == 0) {
			j->protocol = ch->protocol;
			j->spi_size = (uint8_t)n;
			memcpy(j->spi, b, n);
			return begin(p, RKMP_DPEER_JOB_DELETE_CHILD, now);
		}
	}
	return rkmp_err_set(RKMP_E_REFUSED, p->pc->name, "no live child SA with our SPI %s", spi);
}

int
rkmp_dpeer_down(struct rkmp_dpeer *p, double now)
{
	enum rkmp_phase ph = p->sa.phase;

	if (job_busy(p))
		return busy(p);
	memset(&p->job, 0, sizeof(p->job));
	p->down = true;
	rkmp_dpeer_say(p, 0, "down (rkmpctl): no initiation and no new child SA until rkmpctl up");
	/* our RKMP_SA_INIT or RKMP_SA_AUTH that waits: given up */
	if (ph == RKMP_PHASE_INIT_SENT || ph == RKMP_PHASE_AUTH_SENT ||
	    (ph == RKMP_PHASE_INIT_DONE && p->sa.initiator))
		rkmp_dpeer_revoke_ours(p, "down (rkmpctl) before the RKMP SA was established", now);
	return begin(p, RKMP_DPEER_JOB_DELETE_SA, now);
}

json_t *
rkmp_dpeer_job_answer(struct rkmp_dpeer *p)
{
	struct rkmp_dpeer_job *j = &p->job;
	json_t *a = json_pack("{s:s}", "peer", p->pc->name), *cs = json_array();

	if (j->kind == RKMP_DPEER_JOB_GENERATE) {
		for (size_t i = 0; i < p->sa.nchildren; i++) {
			const struct rkmp_sa_child *ch = &p->sa.children[i];
			const struct rkmp_protocol *pr = rkmp_protocol_by_id(ch->protocol);
			char sl[2 * RKMP_SA_SPI_MAX + 1], sp[2 * RKMP_SA_SPI_MAX + 1];
			bool isnew = false;

			for (size_t k = 0; k < j->nwant; k++)
				isnew = isnew || j->got[k] == i + 1;
			/* the new children; when none was missing, the configured ones there are */
			if (!isnew && (j->nwant > 0 || ch->state != RKMP_CHILD_ESTABLISHED ||
			    rkmp_dpeer_child_cfg(p, ch->protocol, NULL) == NULL))
				continue;
			rkmp_hex_encode(ch->spi_local, ch->spi_size, sl);
			rkmp_hex_encode(ch->spi_peer, ch->spi_size, sp);
			json_array_append_new(cs, json_pack("{s:s,s:s,s:s,s:b}", "protocol", pr ? pr->name :
			    "?", "spi", sl, "spi_peer", sp, "new", isnew));
		}
		json_object_set_new(a, "children", cs);
	} else {
		char buf[sizeof(j->deleted)], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", j->deleted);
		for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
			json_array_append_new(cs, json_string(t));
		json_object_set_new(a, "deleted", cs);
		json_object_set_new(a, "rkmp_sa", json_boolean(j->kind == RKMP_DPEER_JOB_DELETE_SA &&
		    j->started));
	}
	memset(j, 0, sizeof(*j));
	return a;
}

void
rkmp_dpeer_retire(struct rkmp_dpeer *p, const char *why, double now)
{
	struct rkmp_child_req req = { .op = RKMP_CHILD_DELETE_IKE, .with_children = true };
	enum rkmp_phase ph = p->sa.phase;

	if (ph == RKMP_PHASE_ESTABLISHED && !p->waiting && p->sa.pending.op == 0)
		(void)rkmp_dpeer_run(p, RUN_REQUEST, NULL, 0, &req, now);
	else if (ph == RKMP_PHASE_ESTABLISHED)
		rkmp_dpeer_say(p, 0, "a request of ours waits for its answer: no Delete sent; the peer's SA ends "
		    "when it fails there");
	ph = p->sa.phase;
	if (ph == RKMP_PHASE_NEW || ph == RKMP_PHASE_FAILED || (ph == RKMP_PHASE_DELETED && !any_live(p)))
		return;
	rkmp_dpeer_revoke_ours(p, why, now);
}

json_t *
rkmp_dpeer_status(const struct rkmp_dpeer *p, double now)
{
	char si[17], sr[17];
	json_t *j, *cs = json_array();

	snprintf(si, sizeof(si), "%016" PRIx64, p->sa.spi_i);
	snprintf(sr, sizeof(sr), "%016" PRIx64, p->sa.spi_r);
	for (size_t i = 0; i < p->sa.nchildren; i++) {
		const struct rkmp_sa_child *ch = &p->sa.children[i];
		const struct rkmp_protocol *pr = rkmp_protocol_by_id(ch->protocol);
		char sl[2 * RKMP_SA_SPI_MAX + 1], sp[2 * RKMP_SA_SPI_MAX + 1];
		struct rkmp_dpeer_child *t = rkmp_dpeer_timer_of((struct rkmp_dpeer *)(uintptr_t)p, ch);
		json_t *c;

		if (!rkmp_child_live(ch->state))
			continue;
		rkmp_hex_encode(ch->spi_local, ch->spi_size, sl);
		rkmp_hex_encode(ch->spi_peer, ch->spi_size, sp);
		c = json_pack("{s:s,s:s,s:s,s:s}", "protocol", pr ? pr->name : "?", "spi", sl, "spi_peer",
		    sp, "state", rkmp_child_state_name(ch->state));
		if (t != NULL) {
			json_object_set_new(c, "lifetime_left", json_integer(t->end > now ?
			    (json_int_t)(t->end - now + 0.5) : 0));
			if (t->rekey_at > 0)
				json_object_set_new(c, "rekey_in", json_integer(t->rekey_at > now ?
				    (json_int_t)(t->rekey_at - now + 0.5) : 0));
		}
		json_array_append_new(cs, c);
	}
	j = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:o}", "name", p->pc->name, "address",
	    p->pc->address, "port", p->pc->port, "start", rkmp_dconf_start_name(p->pc->start), "phase",
	    rkmp_phase_name(p->sa.phase), "role", p->sa.initiator ? "initiator" : "responder", "spi_i",
	    si, "spi_r", sr, "children", cs);
	{
		char at[72];

		rkmp_udp_format(&p->at, at, sizeof(at));
		json_object_set_new(j, "peer_at", json_string(at));
	}
	json_object_set_new(j, "pending", p->waiting || p->sa.pending.op ? json_string(
	    rkmp_dpeer_op_name(p->sa.pending.op)) : json_null());
	if (p->sa.phase == RKMP_PHASE_NEW && !p->waiting)
		json_object_set_new(j, "pending", json_null());
	if (p->last_at > 0)
		json_object_set_new(j, "last_exchange", json_pack("{s:s,s:i}", "note", p->last, "ago",
		    (json_int_t)(now - p->last_at + 0.5)));
	else
		json_object_set_new(j, "last_exchange", json_null());
	if (p->sa.reason[0])
		json_object_set_new(j, "reason", json_string(p->sa.reason));
	json_object_set_new(j, "exchanges", json_integer(p->exchanges));
	json_object_set_new(j, "rekeys", json_integer(p->rekeys));
	json_object_set_new(j, "ignored", json_integer(p->ignored));
	json_object_set_new(j, "down", json_boolean(p->down));
	return j;
}

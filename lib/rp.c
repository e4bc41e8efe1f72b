/* SPDX-License-Identifier: MIT */
/*
 * rp.c — the routing protocol's side of a step: children into key-table
 * rows, and the events the routing protocol is told (see rp.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <jansson.h>

#include "crypto.h"
#include "err.h"
#include "hex.h"
#include "keytable.h"
#include "nitems.h"
#include "rp.h"
#include "wire.h"

static const char *const kind_names[] = {
	[RKMP_RP_INSERT] = "insert", [RKMP_RP_REKEY] = "rekey", [RKMP_RP_DELETE] = "delete",
	[RKMP_RP_REVOKE] = "revoke", [RKMP_RP_CLOSE] = "close",
};

const char *
rkmp_rp_kind_name(enum rkmp_rp_kind k)
{
	return (size_t)k < nitems(kind_names) ? kind_names[k] : "?";
}

void
rkmp_rp_defaults(struct rkmp_rp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->send_delay = RKMP_KEYTABLE_SEND_DELAY;
	cfg->grace = RKMP_KEYTABLE_GRACE;
	cfg->lifetime = RKMP_KEYTABLE_LIFETIME;
	cfg->now = (int64_t)time(NULL);
	cfg->events_name = "--events";
	cfg->hook_name = "--rp-hook";
}

bool
rkmp_rp_wanted(const struct rkmp_rp_cfg *cfg)
{
	return cfg->keytable != NULL || cfg->events != NULL || cfg->hook != NULL || cfg->tell != NULL;
}

/* Does a key-table row belong to this child? */
static bool
has_rows(const struct rkmp_sa_child *ch)
{
	return rkmp_keytable_protocol_name(ch->protocol) != NULL && ch->spi_size > 0 &&
	    ch->spi_size <= RKMP_SA_SPI_MAX;
}

static bool
same_child(const struct rkmp_sa_child *a, const struct rkmp_sa_child *b)
{
	return a->protocol == b->protocol && a->spi_size == b->spi_size &&
	    memcmp(a->spi_local, b->spi_local, a->spi_size) == 0;
}

int
rkmp_rp_begin(struct rkmp_rp *rp, const struct rkmp_rp_cfg *cfg, const struct rkmp_sa *sa)
{
	memset(rp, 0, sizeof(*rp));
	rp->cfg = *cfg;
	rp->phase = sa->phase;
	rp->spi_i = sa->spi_i;
	rp->spi_r = sa->spi_r;
	rp->nwas = sa->nchildren;
	for (size_t i = 0; i < sa->nchildren; i++) {
		rp->was[i] = sa->children[i];
		memset(rp->was[i].keymat, 0, sizeof(rp->was[i].keymat));
		rp->was[i].keymat_len = 0;
	}
	if (cfg->keytable != NULL && access(cfg->keytable, F_OK) == 0) {
		struct rkmp_keytable *kt = NULL;
		int r = rkmp_keytable_load(cfg->keytable, &kt);

		rkmp_keytable_free(kt);
		if (r != 0)
			return r == RKMP_E_SYSTEM ? r : RKMP_E_STATE;
	}
	return 0;
}

static struct rkmp_rp_event *
add_event(struct rkmp_rp *rp, enum rkmp_rp_kind kind)
{
	struct rkmp_rp_event *e;

	if (rp->nev == RKMP_RP_EVENTS_MAX)
		return NULL;
	e = &rp->ev[rp->nev++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	return e;
}

static const struct rkmp_sa_child *
was_child(const struct rkmp_rp *rp, const struct rkmp_sa_child *ch)
{
	for (size_t i = 0; i < rp->nwas; i++)
		if (same_child(&rp->was[i], ch))
			return &rp->was[i];
	return NULL;
}

void
rkmp_rp_settle(struct rkmp_rp *rp, struct rkmp_sa *sa)
{
	bool failed = sa->phase == RKMP_PHASE_FAILED && rp->phase != RKMP_PHASE_FAILED;

	rp->nev = 0;
	rp->relink = (sa->spi_i != rp->spi_i || sa->spi_r != rp->spi_r) && rp->spi_r != 0 &&
	    rp->phase == RKMP_PHASE_ESTABLISHED;

	/* children established, rekeyed or deleted by this exchange */
	for (size_t i = 0; i < sa->nchildren && !failed; i++) {
		const struct rkmp_sa_child *ch = &sa->children[i], *w = was_child(rp, ch);
		struct rkmp_rp_event *e;

		if (!has_rows(ch))
			continue;
		if (ch->state == RKMP_CHILD_ESTABLISHED && (w == NULL || !rkmp_child_live(w->state))) {
			size_t old = SIZE_MAX;

			/* its predecessor: a child of the protocol that went established -> rekeyed now */
			for (size_t k = 0; k < sa->nchildren; k++) {
				const struct rkmp_sa_child *o = &sa->children[k], *ow = was_child(rp, o);

				if (k != i && o->protocol == ch->protocol &&
				    o->state == RKMP_CHILD_REKEYED && ow != NULL &&
				    ow->state == RKMP_CHILD_ESTABLISHED)
					old = k;
			}
			if ((e = add_event(rp, old == SIZE_MAX ? RKMP_RP_INSERT : RKMP_RP_REKEY)) != NULL) {
				e->child = i;
				e->old = old;
			}
		}
	}
	for (size_t i = 0; i < rp->nwas && !failed; i++) {
		const struct rkmp_sa_child *w = &rp->was[i];
		const struct rkmp_sa_child *now = NULL;
		struct rkmp_rp_event *e;

		for (size_t k = 0; k < sa->nchildren && now == NULL; k++)
			if (same_child(&sa->children[k], w))
				now = &sa->children[k];
		if (!has_rows(w) || !rkmp_child_live(w->state) ||
		    (now != NULL && now->state != RKMP_CHILD_DELETED))
			continue;
		if ((e = add_event(rp, RKMP_RP_DELETE)) != NULL)
			e->snap = *w;
	}
	if (failed) {
		/* RP_revokeSA: the children of a failed RKMP SA are discarded */
		size_t n = 0;

		for (size_t i = 0; i < sa->nchildren; i++) {
			struct rkmp_sa_child *ch = &sa->children[i];
			char name[RKMP_KEYTABLE_CHILD_NAME_MAX];
			const char *pn = rkmp_keytable_protocol_name(ch->protocol);

			if (!rkmp_child_live(ch->state))
				continue;
			if (has_rows(ch) && n + 40 < sizeof(rp->revoked))
				n += (size_t)snprintf(rp->revoked + n, sizeof(rp->revoked) - n, "%s%s:%s",
				    n ? " " : "", pn, rkmp_keytable_child_name(ch, true, name));
			ch->state = RKMP_CHILD_REVOKED;
			snprintf(ch->reason, sizeof(ch->reason), "RKMP SA failed: %.400s", sa->reason);
			rkmp_crypto_wipe(ch->keymat, sizeof(ch->keymat));
			ch->keymat_len = 0;
		}
		add_event(rp, RKMP_RP_REVOKE);
	} else if (sa->phase == RKMP_PHASE_DELETED && rp->phase != RKMP_PHASE_DELETED)
		add_event(rp, RKMP_RP_CLOSE);
}

/* ------------------------------------------------------------------ the key table */

struct kt_arg {
	struct rkmp_rp		*rp;
	const struct rkmp_sa	*sa;
};

/* The Peers of the rows: one RKMP SA, one peer (see rp.h). */
static const char *
rows_peer(const struct rkmp_rp *rp, const struct rkmp_keytable *kt, const struct rkmp_sa *sa)
{
	const struct rkmp_keytable_row *row;
	long i;

	if (rp->cfg.peer != NULL)
		return rp->cfg.peer;
	if ((i = rkmp_keytable_find_child(kt, sa->spi_i, sa->spi_r, 0, NULL)) >= 0 &&
	    (row = rkmp_keytable_at(kt, (size_t)i)) != NULL && row->npeers > 0)
		return row->peers[0];
	return rp->cfg.peer_seen;
}

/* The row of a child of the SA: its index, and its peer and key name for the draft's calls. */
static long
child_row(struct rkmp_keytable *kt, const struct rkmp_sa *sa, const struct rkmp_sa_child *ch,
    const char **peer, uint64_t *id)
{
	char spi[RKMP_KEYTABLE_CHILD_NAME_MAX];
	const struct rkmp_keytable_row *row;
	long i;

	rkmp_hex_encode(ch->spi_local, ch->spi_size < RKMP_SA_SPI_MAX ? ch->spi_size : RKMP_SA_SPI_MAX,
	    spi);
	/* a key name of 0 would mean "every row" to the draft's calls: leave such a row alone */
	if ((i = rkmp_keytable_find_child(kt, sa->spi_i, sa->spi_r, ch->protocol, spi)) < 0 ||
	    (row = rkmp_keytable_at(kt, (size_t)i)) == NULL || row->npeers == 0 ||
	    !rkmp_keytable_spi_parse(row->local_name, id) || *id == 0)
		return -1;
	*peer = row->peers[0];
	return i;
}

static int
kt_apply(struct rkmp_keytable *kt, void *arg)
{
	struct kt_arg *a = arg;
	struct rkmp_rp *rp = a->rp;
	const struct rkmp_sa *sa = a->sa;
	struct rkmp_keytable_child_cfg cc;
	int changed = 0, r;

	if (rp->relink) {
		size_t n = rkmp_keytable_relink(kt, rp->spi_i, rp->spi_r, sa->spi_i, sa->spi_r,
		    sa->initiator ? "initiator" : "responder");

		if (n == SIZE_MAX)
			return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
		changed |= n > 0;
	}
	rkmp_keytable_child_defaults(&cc);
	cc.peer = rows_peer(rp, kt, sa);
	snprintf(rp->peer, sizeof(rp->peer), "%s", cc.peer ? cc.peer : "");
	cc.interface = rp->cfg.interface;
	cc.now = rp->cfg.now;
	cc.send_delay = rp->cfg.send_delay;
	cc.grace = rp->cfg.grace;
	cc.lifetime = rp->cfg.lifetime;
	for (size_t i = 0; i < rp->nev; i++) {
		struct rkmp_rp_event *e = &rp->ev[i];
		const char *peer;
		uint64_t id;
		size_t n = 0;

		switch (e->kind) {
		case RKMP_RP_INSERT:
		case RKMP_RP_REKEY:
			cc.replaces = NULL;
			/* a predecessor without a row (no -t then) makes a plain insert */
			if (e->kind == RKMP_RP_REKEY &&
			    child_row(kt, sa, &sa->children[e->old], &peer, &id) >= 0 &&
			    strcmp(peer, cc.peer) == 0)
				cc.replaces = &sa->children[e->old];
			cc.serial = (unsigned)e->child + 1;
			if ((r = rkmp_keytable_add_child(kt, sa, &sa->children[e->child], &cc, NULL)) != 0)
				return r;
			e->rows = cc.replaces ? 2 : 1;
			changed = 1;
			break;
		case RKMP_RP_DELETE:
			/* a rekeyed child's row already ends where its successor's starts,
			 * plus the grace (RFC 7210 §6): it runs out rather than going now */
			if (e->snap.state == RKMP_CHILD_REKEYED)
				break;
			if (child_row(kt, sa, &e->snap, &peer, &id) < 0)
				break;
			if ((r = rkmp_keytable_delete(kt, e->snap.protocol, peer, id, &n, NULL, NULL)) != 0 &&
			    r != RKMP_E_REFUSED)
				return r;
			e->rows = n;
			changed |= n > 0;
			break;
		case RKMP_RP_REVOKE:
			e->rows = rkmp_keytable_revoke(kt, sa->spi_i, sa->spi_r, NULL, NULL);
			changed |= e->rows > 0;
			break;
		case RKMP_RP_CLOSE:
			break;
		}
	}
	return changed;
}

/* ------------------------------------------------------------------ telling the RP */

static void
child_names(const struct rkmp_sa_child *ch, json_t *j, const char *prefix)
{
	char name[RKMP_KEYTABLE_CHILD_NAME_MAX], key[64];

	snprintf(key, sizeof(key), "%slocal_key_name", prefix);
	json_object_set_new(j, key, json_string(rkmp_keytable_child_name(ch, true, name)));
	snprintf(key, sizeof(key), "%speer_key_name", prefix);
	json_object_set_new(j, key, json_string(rkmp_keytable_child_name(ch, false, name)));
}

static json_t *
event_json(const struct rkmp_rp *rp, const struct rkmp_rp_event *e, const struct rkmp_sa *sa)
{
	char t[16], link[40];
	const struct rkmp_sa_child *ch = NULL;
	json_t *j = json_object();

	if (j == NULL)
		return NULL;
	rkmp_keytable_time_format(rp->cfg.now, t);
	snprintf(link, sizeof(link), "%016" PRIx64 ":%016" PRIx64, sa->spi_i, sa->spi_r);
	json_object_set_new(j, "time", json_string(t));
	json_object_set_new(j, "event", json_string(rkmp_rp_kind_name(e->kind)));
	json_object_set_new(j, "rkmp_sa", json_string(link));
	json_object_set_new(j, "role", json_string(sa->initiator ? "initiator" : "responder"));
	if (rp->peer[0])
		json_object_set_new(j, "peer", json_string(rp->peer));
	if (e->kind == RKMP_RP_INSERT || e->kind == RKMP_RP_REKEY)
		ch = &sa->children[e->child];
	else if (e->kind == RKMP_RP_DELETE)
		ch = &e->snap;
	if (ch != NULL) {
		json_object_set_new(j, "protocol", json_string(rkmp_keytable_protocol_name(ch->protocol)));
		json_object_set_new(j, "proto_id", json_integer(ch->protocol));
		child_names(ch, j, "");
	}
	if (e->kind == RKMP_RP_REKEY)
		child_names(&sa->children[e->old], j, "old_");
	if (e->kind == RKMP_RP_REVOKE) {
		json_t *a = json_array();
		char buf[sizeof(rp->revoked)], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", rp->revoked);
		for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			json_array_append_new(a, json_string(tok));
		json_object_set_new(j, "children", a);
		json_object_set_new(j, "reason", json_string(sa->reason));
	}
	if (e->kind == RKMP_RP_CLOSE) {
		bool kept = false;

		for (size_t i = 0; i < sa->nchildren; i++)
			kept = kept || rkmp_child_live(sa->children[i].state);
		json_object_set_new(j, "children_kept", json_boolean(kept));
	}
	if (rp->cfg.keytable != NULL) {
		json_object_set_new(j, "keytable", json_string(rp->cfg.keytable));
		json_object_set_new(j, "rows", json_integer((json_int_t)e->rows));
	}
	if (rp->cfg.state != NULL)
		json_object_set_new(j, "state", json_string(rp->cfg.state));
	return j;
}

static void
warn(const struct rkmp_rp_cfg *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
warn(const struct rkmp_rp_cfg *cfg, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (cfg->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cfg->warn(cfg->warn_ctx, text);
}

static void
append_event(const struct rkmp_rp_cfg *cfg, const char *path, const char *line)
{
	size_t n = strlen(line);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	ssize_t w;

	if (fd < 0) {
		warn(cfg, "%s %s: %s", cfg->events_name, path, strerror(errno));
		return;
	}
	/* one write per line: appends of concurrent writers do not interleave */
	w = write(fd, line, n);
	if (w != (ssize_t)n)
		warn(cfg, "%s %s: %s", cfg->events_name, path, w < 0 ? strerror(errno) : "short write");
	if (close(fd) != 0)
		warn(cfg, "%s %s: %s", cfg->events_name, path, strerror(errno));
}

/* The event's environment variable from a JSON member ("" when absent). */
static void
env_from(json_t *j, const char *var, const char *key)
{
	json_t *v = json_object_get(j, key);
	char num[32];
	const char *s = "";

	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = num;
	}
	setenv(var, s, 1);
}

static void
run_hook(const struct rkmp_rp_cfg *cfg, const char *hook, json_t *j, const char *line,
    const char *children)
{
	static const struct { const char *var, *key; } vars[] = {
		{ "RKMP_EVENT", "event" }, { "RKMP_SA", "rkmp_sa" }, { "RKMP_ROLE", "role" },
		{ "RKMP_PEER", "peer" }, { "RKMP_PROTOCOL", "protocol" },
		{ "RKMP_LOCAL_KEY_NAME", "local_key_name" }, { "RKMP_PEER_KEY_NAME", "peer_key_name" },
		{ "RKMP_OLD_LOCAL_KEY_NAME", "old_local_key_name" },
		{ "RKMP_OLD_PEER_KEY_NAME", "old_peer_key_name" }, { "RKMP_REASON", "reason" },
		{ "RKMP_ROWS", "rows" }, { "RKMP_KEYTABLE", "keytable" }, { "RKMP_STATE", "state" },
	};
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		warn(cfg, "%s: fork: %s", cfg->hook_name, strerror(errno));
		return;
	}
	if (pid == 0) {
		for (size_t i = 0; i < nitems(vars); i++)
			env_from(j, vars[i].var, vars[i].key);
		setenv("RKMP_EVENT_JSON", line, 1);
		setenv("RKMP_CHILDREN", json_object_get(j, "children") ? children : "", 1);
		/* stdout carries only our data: the hook's goes to stderr */
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", hook, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			warn(cfg, "%s: waitpid: %s", cfg->hook_name, strerror(errno));
			return;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		warn(cfg, "%s exited %d for the %s event", cfg->hook_name, WEXITSTATUS(status),
		    json_string_value(json_object_get(j, "event")));
	else if (WIFSIGNALED(status))
		warn(cfg, "%s killed by signal %d for the %s event", cfg->hook_name, WTERMSIG(status),
		    json_string_value(json_object_get(j, "event")));
}

int
rkmp_rp_commit(struct rkmp_rp *rp, const struct rkmp_sa *sa)
{
	int r = 0;

	if (rp->nev == 0 && !rp->relink)
		return 0;
	snprintf(rp->peer, sizeof(rp->peer), "%s", rp->cfg.peer ? rp->cfg.peer :
	    rp->cfg.peer_seen ? rp->cfg.peer_seen : "");
	if (rp->cfg.keytable != NULL) {
		struct kt_arg a = { rp, sa };
		bool rows = rp->relink, need_peer = false;

		for (size_t i = 0; i < rp->nev; i++) {
			rows = rows || rp->ev[i].kind != RKMP_RP_CLOSE;
			need_peer = need_peer || rp->ev[i].kind == RKMP_RP_INSERT ||
			    rp->ev[i].kind == RKMP_RP_REKEY || rp->ev[i].kind == RKMP_RP_DELETE;
		}
		if (need_peer && rp->cfg.peer == NULL && rp->cfg.peer_seen == NULL)
			return rkmp_err_set(RKMP_E_USAGE, "key table", "the peer's address is not known "
			    "(file transport): give --peer-address ADDR");
		if (rows && (r = rkmp_keytable_update(rp->cfg.keytable, true, kt_apply, &a)) > 0)
			r = 0;
	}
	/* the routing protocol is told even when the table could not be written */
	for (size_t i = 0; i < rp->nev; i++) {
		json_t *j = event_json(rp, &rp->ev[i], sa);
		char *line;

		if (j == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "event", "out of memory");
		if ((line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL) {
			if (rp->cfg.events != NULL) {
				size_t n = strlen(line);
				char *nl = malloc(n + 2);

				if (nl != NULL) {
					memcpy(nl, line, n);
					nl[n] = '\n';
					nl[n + 1] = '\0';
					append_event(&rp->cfg, rp->cfg.events, nl);
					free(nl);
				}
			}
			if (rp->cfg.tell != NULL)
				rp->cfg.tell(rp->cfg.tell_ctx, line);
			if (rp->cfg.hook != NULL)
				run_hook(&rp->cfg, rp->cfg.hook, j, line, rp->revoked);
			free(line);
		}
		json_decref(j);
	}
	return r;
}

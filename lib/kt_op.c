/* SPDX-License-Identifier: MIT */
/*
 * kt_op.c — the operations on a key table (keytable.h): the draft's
 * Keytable_insertSA, Keytable_getSA, Keytable_delete and Keytable_rekeySA
 * (RFC 7210 §6), select and lookup (RFC 7210 §3), expire, revoke (the
 * table side of RP_revokeSA), and the links of rows to RKMP SAs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "keytable.h"
#include "kt_int.h"

/* ================================================================ operations */

static int
copy_strs(struct rkmp_arena *a, const char *const *src, size_t n, const char *const **dst)
{
	const char **v = rkmp_arena_alloc(a, (n ? n : 1) * sizeof(char *));

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((v[i] = rkmp_arena_strdup(a, src[i])) == NULL)
			return -1;
	*dst = v;
	return 0;
}

static int
copy_row(struct rkmp_arena *a, const struct rkmp_keytable_row *s, struct rkmp_keytable_row *d)
{
	uint8_t *key;

	*d = *s;
	if ((d->admin_name = rkmp_arena_strdup(a, s->admin_name)) == NULL ||
	    (d->local_name = rkmp_arena_strdup(a, s->local_name)) == NULL ||
	    (d->peer_name = rkmp_arena_strdup(a, s->peer_name)) == NULL ||
	    copy_strs(a, s->peers, s->npeers, &d->peers) != 0 ||
	    copy_strs(a, s->interfaces, s->ninterfaces, &d->interfaces) != 0 ||
	    kt_minify(a, s->psi, false, &d->psi) != 0 ||
	    (d->kdf = rkmp_arena_strdup(a, s->kdf)) == NULL ||
	    (d->alg_id = rkmp_arena_strdup(a, s->alg_id)) == NULL ||
	    (key = rkmp_arena_alloc(a, s->key_len)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	memcpy(key, s->key, s->key_len);
	d->key = key;
	if (s->x.present && ((s->x.child_spi_local &&
	    !(d->x.child_spi_local = rkmp_arena_strdup(a, s->x.child_spi_local))) ||
	    (s->x.child_spi_peer && !(d->x.child_spi_peer = rkmp_arena_strdup(a, s->x.child_spi_peer))) ||
	    (s->x.rkmp_sa && !(d->x.rkmp_sa = rkmp_arena_strdup(a, s->x.rkmp_sa))) ||
	    (s->x.role && !(d->x.role = rkmp_arena_strdup(a, s->x.role))) ||
	    (s->x.state && !(d->x.state = rkmp_arena_strdup(a, s->x.state))) ||
	    (s->x.extra && kt_minify(a, s->x.extra, true, &d->x.extra) != 0)))
		return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	return 0;
}

/* A candidate row's matching data without copying it (for the duplicate check). */
static void
entry_view(const struct rkmp_keytable_row *r, struct paddr *pa, const char **gn,
    struct entry *e)
{
	memset(e, 0, sizeof(*e));
	e->protocol = r->protocol;
	e->npeers = r->npeers;
	e->paddr = pa;
	e->gname = gn;
	for (size_t i = 0; i < r->npeers; i++) {
		kt_paddr_parse(r->peers[i], &pa[i]);
		gn[i] = pa[i].af == 0 ? r->peers[i] : NULL;
	}
	if (!rkmp_keytable_spi_parse(r->local_name, &e->local_id))
		e->local_id = 0;
}

int
rkmp_keytable_insert(struct rkmp_keytable *kt, const struct rkmp_keytable_row *row)
{
	struct paddr pa[KT_SET_MAX];
	const char *gn[KT_SET_MAX];
	struct rkmp_keytable_row *copy;
	struct entry cand, *e;
	char b[80], c[80];
	int r;

	if ((r = kt_validate_in(row, SIZE_MAX, "", false)) != 0)
		return r;
	entry_view(row, pa, gn, &cand);
	for (size_t i = 0; i < kt->n; i++) {
		long p = kt_entries_clash(&cand, &kt->v[i]);

		if (p >= 0) {
			const struct rkmp_keytable_row *o = kt_entry_row(kt, i);

			return rkmp_err_set(RKMP_E_REFUSED, "insert", "%s, peer %s, LocalKeyName %s: "
			    "row %zu %s has them already", rkmp_keytable_protocol_name(row->protocol),
			    kt_q(row->peers[p], b, sizeof(b)), row->local_name, i,
			    kt_q(o ? o->admin_name : "?", c, sizeof(c)));
		}
	}
	if ((copy = rkmp_arena_alloc(&kt->arena, sizeof(*copy))) == NULL ||
	    (r = copy_row(&kt->arena, row, copy)) != 0)
		return copy == NULL ? rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory") : r;
	if ((e = kt_table_append(kt)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	if ((r = kt_entry_set(kt, e, copy)) != 0) {
		kt->n--;
		return r;
	}
	e->row = copy;
	return 0;
}

int
rkmp_keytable_insert_all(struct rkmp_keytable *kt, const struct rkmp_keytable *rows)
{
	size_t n0 = kt->n, other = 0, p = 0, nr = rkmp_keytable_count(rows);
	char b[80], c[80];
	long i;
	int r;

	if (nr == 1)
		return rkmp_keytable_insert(kt, rkmp_keytable_at(rows, 0));
	/* append them all, then one hash pass finds a clash with the table or each other */
	for (size_t k = 0; k < nr; k++) {
		const struct rkmp_keytable_row *row = rkmp_keytable_at(rows, k);
		struct rkmp_keytable_row *copy;
		struct entry *e;

		if (row == NULL)
			r = rkmp_err_set(RKMP_E_NOMEM, "insert", "out of memory");
		else if ((r = kt_validate_in(row, k, "insert", false)) == 0) {
			if ((copy = rkmp_arena_alloc(&kt->arena, sizeof(*copy))) == NULL ||
			    (e = kt_table_append(kt)) == NULL)
				r = rkmp_err_set(RKMP_E_NOMEM, "insert", "out of memory");
			else if ((r = copy_row(&kt->arena, row, copy)) == 0 &&
			    (r = kt_entry_set(kt, e, copy)) == 0)
				e->row = copy;
			else
				kt->n--;
		}
		if (r != 0) {
			kt->n = n0;
			return r;
		}
	}
	if ((i = kt_find_dup(kt, &other, &p)) == -1)
		return 0;
	if (i == -2) {
		kt->n = n0;
		return rkmp_err_set(RKMP_E_NOMEM, "insert", "out of memory");
	}
	{
		const struct rkmp_keytable_row *nrow = kt_entry_row(kt, (size_t)i);
		const struct rkmp_keytable_row *orow = kt_entry_row(kt, other);

		if (other < n0)
			r = rkmp_err_set(RKMP_E_REFUSED, "insert", "row %zu of the input: %s, peer %s, "
			    "LocalKeyName %s: row %zu %s has them already", (size_t)i - n0,
			    rkmp_keytable_protocol_name(nrow->protocol), kt_q(nrow->peers[p], b, sizeof(b)),
			    nrow->local_name, other, kt_q(orow->admin_name, c, sizeof(c)));
		else
			r = rkmp_err_set(RKMP_E_REFUSED, "insert", "row %zu of the input: %s, peer %s, "
			    "LocalKeyName %s: as row %zu of the input", (size_t)i - n0,
			    rkmp_keytable_protocol_name(nrow->protocol), kt_q(nrow->peers[p], b, sizeof(b)),
			    nrow->local_name, other - n0);
	}
	kt->n = n0;
	return r;
}

static bool
entry_match(const struct entry *e, uint8_t proto, const struct paddr *p, const char *peer,
    uint64_t spi)
{
	return e->protocol == proto && (spi == 0 || e->local_id == spi) &&
	    kt_entry_has_peer(e, p, peer);
}

long
rkmp_keytable_get(const struct rkmp_keytable *kt, size_t from, uint8_t proto, const char *peer,
    uint64_t spi)
{
	struct paddr p;

	kt_paddr_parse(peer, &p);
	for (size_t i = from; i < kt->n; i++)
		if (entry_match(&kt->v[i], proto, &p, peer, spi))
			return (long)i;
	return -1;
}

bool
rkmp_keytable_row_has_peer(const struct rkmp_keytable *kt, size_t i, const char *peer)
{
	struct paddr p;

	if (i >= kt->n)
		return false;
	kt_paddr_parse(peer, &p);
	return kt_entry_has_peer(&kt->v[i], &p, peer);
}

/* Remove entry i, telling cb first. */
static void
remove_at(struct rkmp_keytable *kt, size_t i, rkmp_keytable_removed_fn cb, void *arg)
{
	if (cb != NULL) {
		const struct rkmp_keytable_row *r = kt_entry_row(kt, i);

		if (r != NULL)
			cb(r, arg);
	}
	kt_table_remove(kt, i);
}

int
rkmp_keytable_delete(struct rkmp_keytable *kt, uint8_t proto, const char *peer, uint64_t spi,
    size_t *removed, rkmp_keytable_removed_fn cb, void *arg)
{
	struct paddr p;
	size_t n = 0;

	kt_paddr_parse(peer, &p);
	for (size_t i = 0; i < kt->n;) {
		if (!entry_match(&kt->v[i], proto, &p, peer, spi)) {
			i++;
			continue;
		}
		remove_at(kt, i, cb, arg);
		n++;
	}
	if (removed != NULL)
		*removed = n;
	if (n == 0) {
		if (spi == 0)
			return rkmp_err_set(RKMP_E_REFUSED, "delete", "no %s row for peer %s",
			    rkmp_keytable_protocol_name(proto), peer);
		return rkmp_err_set(RKMP_E_REFUSED, "delete", "no %s row for peer %s with "
		    "LocalKeyName %" PRIx64, rkmp_keytable_protocol_name(proto), peer, spi);
	}
	return 0;
}

int
rkmp_keytable_rekey(struct rkmp_keytable *kt, uint8_t proto, const char *peer, uint64_t old_spi,
    const struct rkmp_keytable_row *new_row, uint32_t grace, size_t *old_index)
{
	struct paddr p;
	struct rkmp_keytable_row *o;
	struct entry *oe;
	long oi;
	int64_t se, ae;
	int r;

	if (old_spi == 0)
		return rkmp_err_set(RKMP_E_USAGE, "rekey", "the old SPI must not be 0");
	if (new_row->protocol != proto)
		return rkmp_err_set(RKMP_E_USAGE, "rekey", "the new row is %s, not %s",
		    rkmp_keytable_protocol_name(new_row->protocol) ?
		    rkmp_keytable_protocol_name(new_row->protocol) : "of an unknown protocol",
		    rkmp_keytable_protocol_name(proto));
	if ((r = kt_validate_in(new_row, SIZE_MAX, "", false)) != 0)
		return r;
	kt_paddr_parse(peer, &p);
	{
		struct paddr pa[KT_SET_MAX];
		const char *gn[KT_SET_MAX];
		struct entry view;

		entry_view(new_row, pa, gn, &view);
		if (!kt_entry_has_peer(&view, &p, peer))
			return rkmp_err_set(RKMP_E_USAGE, "rekey", "the new row's Peers do not "
			    "include %s", peer);
	}
	if ((oi = rkmp_keytable_get(kt, 0, proto, peer, old_spi)) < 0)
		return rkmp_err_set(RKMP_E_REFUSED, "rekey", "no %s row for peer %s with "
		    "LocalKeyName %" PRIx64 " to rekey", rkmp_keytable_protocol_name(proto), peer,
		    old_spi);
	if ((o = kt_entry_row(kt, (size_t)oi)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "rekey", "out of memory");
	if ((r = rkmp_keytable_insert(kt, new_row)) != 0)
		return r;
	/* RFC 7210 §6, rkmp-karp.md §9 step 3 */
	se = new_row->send_start;
	if (se < o->send_start)
		se = o->send_start;
	if (se < o->send_end)
		o->send_end = se;
	ae = o->send_end + (int64_t)grace;
	if (ae < o->accept_start)
		ae = o->accept_start;
	if (ae < o->accept_end)
		o->accept_end = ae;
	if (o->x.present)
		o->x.state = "rekeyed";
	oe = &kt->v[oi];
	oe->se = o->send_end;
	oe->ae = o->accept_end;
	oe->raw = NULL;		/* changed: written from the row */
	if (old_index != NULL)
		*old_index = (size_t)oi;
	return 0;
}

static bool
iface_ok(const struct rkmp_keytable *kt, size_t i, const char *iface)
{
	const struct rkmp_keytable_row *r;

	if (iface == NULL || kt->v[i].iface_all)
		return true;
	if ((r = rkmp_keytable_at(kt, i)) == NULL)
		return false;
	for (size_t k = 0; k < r->ninterfaces; k++)
		if (strcmp(r->interfaces[k], "all") == 0 || strcmp(r->interfaces[k], iface) == 0)
			return true;
	return false;
}

static int
alg_rank(const struct entry *e, const struct rkmp_keytable_query *q)
{
	const struct rkmp_proto_alg *ar;

	if (q->prefer != NULL) {
		for (size_t i = 0; i < q->nprefer; i++)
			if (strcmp(q->prefer[i], e->alg) == 0)
				return (int)(q->nprefer - i);
		return 0;
	}
	ar = kt_alg_rule(e->protocol, e->alg);
	return ar != NULL ? ar->pref : 0;
}

int
rkmp_keytable_select(const struct rkmp_keytable *kt, const struct rkmp_keytable_query *q,
    size_t *index)
{
	struct paddr p;
	long best = -1;
	int best_rank = 0;

	kt_paddr_parse(q->peer, &p);
	for (size_t i = 0; i < kt->n; i++) {
		const struct entry *e = &kt->v[i], *b;
		int rank;

		if (e->protocol != q->protocol ||
		    (e->dir != RKMP_KEYTABLE_OUT && e->dir != RKMP_KEYTABLE_BOTH) ||
		    q->now < e->ss || q->now > e->se || !kt_entry_has_peer(e, &p, q->peer) ||
		    !iface_ok(kt, i, q->interface))
			continue;
		rank = alg_rank(e, q);
		if (best >= 0) {
			b = &kt->v[best];
			if (rank < best_rank || (rank == best_rank && (e->ss < b->ss ||
			    (e->ss == b->ss && e->as < b->as))))
				continue;
		}
		best = (long)i;
		best_rank = rank;
	}
	if (best < 0)
		return rkmp_err_set(RKMP_E_REFUSED, "select", "no key to send %s to %s%s%s",
		    rkmp_keytable_protocol_name(q->protocol), q->peer,
		    q->interface ? " on " : "", q->interface ? q->interface : "");
	*index = (size_t)best;
	return 0;
}

int
rkmp_keytable_lookup(const struct rkmp_keytable *kt, const struct rkmp_keytable_query *q,
    size_t *index)
{
	struct paddr p;
	uint64_t name;
	long found = -1;

	if (q->key_name == NULL || !rkmp_keytable_spi_parse(q->key_name, &name))
		return rkmp_err_set(RKMP_E_USAGE, "lookup", "key name '%s': not 1 to 16 hex digits",
		    q->key_name ? q->key_name : "");
	kt_paddr_parse(q->peer, &p);
	for (size_t i = 0; i < kt->n; i++) {
		const struct entry *e = &kt->v[i];

		if (e->protocol != q->protocol || e->local_id != name ||
		    (e->dir != RKMP_KEYTABLE_IN && e->dir != RKMP_KEYTABLE_BOTH) ||
		    q->now < e->as || q->now > e->ae || !kt_entry_has_peer(e, &p, q->peer) ||
		    !iface_ok(kt, i, q->interface))
			continue;
		if (found >= 0)
			return rkmp_err_set(RKMP_E_STATE, "lookup", "rows %ld and %zu both match "
			    "(RFC 7210 §3: exactly one may)", found, i);
		found = (long)i;
	}
	if (found < 0)
		return rkmp_err_set(RKMP_E_REFUSED, "lookup", "no key named %s from %s for %s%s%s",
		    q->key_name, q->peer, rkmp_keytable_protocol_name(q->protocol),
		    q->interface ? " on " : "", q->interface ? q->interface : "");
	*index = (size_t)found;
	return 0;
}

size_t
rkmp_keytable_expire(struct rkmp_keytable *kt, int64_t now, rkmp_keytable_removed_fn cb,
    void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < kt->n;) {
		if (kt->v[i].ae >= now) {
			i++;
			continue;
		}
		remove_at(kt, i, cb, arg);
		n++;
	}
	return n;
}

size_t
rkmp_keytable_revoke(struct rkmp_keytable *kt, uint64_t spi_i, uint64_t spi_r,
    rkmp_keytable_removed_fn cb, void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < kt->n;) {
		const struct entry *e = &kt->v[i];

		if (!e->has_sa || e->sa_i != spi_i || e->sa_r != spi_r) {
			i++;
			continue;
		}
		remove_at(kt, i, cb, arg);
		n++;
	}
	return n;
}

long
rkmp_keytable_find_child(const struct rkmp_keytable *kt, uint64_t spi_i, uint64_t spi_r,
    uint8_t proto, const char *child_spi_local)
{
	for (size_t i = 0; i < kt->n; i++) {
		const struct entry *e = &kt->v[i];
		const struct rkmp_keytable_row *row;

		if (!e->has_sa || e->sa_i != spi_i || e->sa_r != spi_r ||
		    (proto != 0 && e->protocol != proto))
			continue;
		if (child_spi_local == NULL)
			return (long)i;
		if ((row = rkmp_keytable_at(kt, i)) != NULL && row->x.child_spi_local != NULL &&
		    strcmp(row->x.child_spi_local, child_spi_local) == 0)
			return (long)i;
	}
	return -1;
}

size_t
rkmp_keytable_relink(struct rkmp_keytable *kt, uint64_t old_i, uint64_t old_r, uint64_t new_i,
    uint64_t new_r, const char *role)
{
	char link[40];
	const char *s = NULL;
	size_t n = 0;

	snprintf(link, sizeof(link), "%016" PRIx64 ":%016" PRIx64, new_i, new_r);
	for (size_t i = 0; i < kt->n; i++) {
		struct entry *e = &kt->v[i];
		struct rkmp_keytable_row *row;

		if (!e->has_sa || e->sa_i != old_i || e->sa_r != old_r)
			continue;
		if ((row = kt_entry_row(kt, i)) == NULL ||
		    (s == NULL && (s = rkmp_arena_strdup(&kt->arena, link)) == NULL))
			return SIZE_MAX;
		row->x.rkmp_sa = s;
		if (role != NULL)
			row->x.role = strcmp(role, "initiator") == 0 ? "initiator" : "responder";
		e->sa_i = new_i;
		e->sa_r = new_r;
		e->raw = NULL;		/* changed: written from the row */
		n++;
	}
	return n;
}

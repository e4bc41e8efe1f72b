/* SPDX-License-Identifier: MIT */
/*
 * keytable.c — the RFC 7210 key table (DESIGN.md §7); see keytable.h.  This
 * file is the table: its rows kept as entries, and the rule that keeps them
 * unique.  Each other job has its file, and they share kt_int.h:
 *
 *   kt_row.c     a row: names, AlgID rules, times, key names and peers,
 *                validation, its state at a time
 *   kt_json.c    the JSON reader and writer of the table and of rows
 *   kt_file.c    the table on a file: read, atomic write, the writers'
 *                lock; the draft's interfaces on a file
 *   kt_op.c      the operations: insert, get, delete, rekey, select,
 *                lookup, expire, revoke, the links to RKMP SAs
 *   kt_child.c   the row of an RKMP child SA
 *   kt_export.c  the exports, a row of a table each
 *   kt_list.c    the table as text columns for people (kt_list.h)
 *
 * Rows are checked when read, in a scratch arena reused row after row, and
 * then kept as their JSON text (a read-only mapping of a big file) plus what
 * matching needs: protocol, direction, lifetimes, peers as binary addresses,
 * LocalKeyName as a number.  The public form of a row is built from its text
 * the first time it is asked for, and a row read on one line and not changed
 * is written back as it was.  Memory that is touched for the first time is
 * what costs most on the virtual machines labs run on; this keeps it small,
 * and the big blocks there are come from huge pages.
 */
#include <sys/mman.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "keytable.h"
#include "kt_int.h"

/* ================================================================ table */

struct rkmp_keytable *
rkmp_keytable_new(void)
{
	return calloc(1, sizeof(struct rkmp_keytable));
}

void
rkmp_keytable_free(struct rkmp_keytable *kt)
{
	struct textbuf *t, *n;

	if (kt == NULL)
		return;
	for (t = kt->texts; t != NULL; t = n) {
		n = t->next;
		if (!t->file)
			OPENSSL_cleanse(t->p, t->cap);
		if (t->mapped || t->file)
			munmap(t->p, t->cap);
		else
			free(t->p);
		free(t);
	}
	rkmp_arena_free(&kt->arena);
	rkmp_big_free(kt->v, kt->cap * sizeof(*kt->v), kt->v_mapped);
	free(kt);
	rkmp_crypto_forget();	/* the kept MAC contexts' last keys (TCP-AO traffic keys) */
}

size_t
rkmp_keytable_count(const struct rkmp_keytable *kt)
{
	return kt->n;
}

/* The table is logically const: building a row from its text is a cache fill. */
const struct rkmp_keytable_row *
rkmp_keytable_at(const struct rkmp_keytable *kt, size_t i)
{
	return i < kt->n ? kt_entry_row((struct rkmp_keytable *)(uintptr_t)kt, i) : NULL;
}

/* A text buffer owned by kt. */
char *
kt_text_new(struct rkmp_keytable *kt, size_t cap)
{
	struct textbuf *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cap = cap ? cap : 1;
	if ((t->p = rkmp_big_alloc(t->cap, &t->mapped)) == NULL) {
		free(t);
		return NULL;
	}
	t->next = kt->texts;
	kt->texts = t;
	return t->p;
}

int
kt_table_reserve(struct rkmp_keytable *kt, size_t cap)
{
	struct entry *v;
	bool mapped;

	if (cap <= kt->cap)
		return 0;
	if ((v = rkmp_big_alloc(cap * sizeof(*v), &mapped)) == NULL)
		return -1;
	if (kt->n > 0)
		memcpy(v, kt->v, kt->n * sizeof(*v));
	if (kt->v != NULL)
		rkmp_big_free(kt->v, kt->cap * sizeof(*v), kt->v_mapped);
	kt->v = v;
	kt->cap = cap;
	kt->v_mapped = mapped;
	return 0;
}

struct entry *
kt_table_append(struct rkmp_keytable *kt)
{
	if (kt->n == kt->cap && kt_table_reserve(kt, kt->cap ? kt->cap * 2 : 64) != 0)
		return NULL;
	memset(&kt->v[kt->n], 0, sizeof(kt->v[0]));
	return &kt->v[kt->n++];
}

void
kt_table_remove(struct rkmp_keytable *kt, size_t i)
{
	memmove(&kt->v[i], &kt->v[i + 1], (kt->n - i - 1) * sizeof(kt->v[0]));
	kt->n--;
}

/* ================================================================ entries */

/* What matching needs, from a (valid) row; arrays in the table's arena. */
int
kt_entry_set(struct rkmp_keytable *kt, struct entry *e, const struct rkmp_keytable_row *r)
{
	const struct rkmp_proto_alg *ar = kt_alg_rule(r->protocol, r->alg_id);

	e->protocol = r->protocol;
	e->dir = r->direction;
	e->ss = r->send_start;
	e->se = r->send_end;
	e->as = r->accept_start;
	e->ae = r->accept_end;
	e->npeers = r->npeers;
	e->gname = NULL;
	if ((e->paddr = rkmp_arena_alloc(&kt->arena, r->npeers * sizeof(*e->paddr))) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	for (size_t i = 0; i < r->npeers; i++) {
		kt_paddr_parse(r->peers[i], &e->paddr[i]);
		if (e->paddr[i].af != 0)
			continue;
		if (e->gname == NULL &&
		    (e->gname = rkmp_arena_alloc(&kt->arena, r->npeers * sizeof(char *))) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
		if ((e->gname[i] = rkmp_arena_strdup(&kt->arena, r->peers[i])) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	}
	if (e->gname != NULL)
		for (size_t i = 0; i < r->npeers; i++)
			if (e->paddr[i].af != 0)
				e->gname[i] = NULL;
	e->iface_all = r->ninterfaces == 1 && strcmp(r->interfaces[0], "all") == 0;
	if (ar != NULL)
		e->alg = ar->alg;
	else if ((e->alg = rkmp_arena_strdup(&kt->arena, r->alg_id)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	if (!rkmp_keytable_spi_parse(r->local_name, &e->local_id))
		e->local_id = 0;
	e->has_sa = r->x.present && r->x.rkmp_sa != NULL &&
	    rkmp_keytable_sa_parse(r->x.rkmp_sa, &e->sa_i, &e->sa_r);
	return 0;
}

bool
kt_entry_peer_eq(const struct entry *e, size_t i, const struct paddr *p, const char *ps)
{
	return kt_paddr_eq(&e->paddr[i], e->gname ? e->gname[i] : NULL, p, ps);
}

bool
kt_entry_has_peer(const struct entry *e, const struct paddr *p, const char *ps)
{
	for (size_t i = 0; i < e->npeers; i++)
		if (kt_entry_peer_eq(e, i, p, ps))
			return true;
	return false;
}

/* Whether two rows clash: same Protocol and LocalKeyName, a peer in common. */
long
kt_entries_clash(const struct entry *a, const struct entry *b)
{
	/* key names have one width per protocol: the same number is the same name */
	if (a->protocol != b->protocol || a->local_id != b->local_id)
		return -1;
	for (size_t i = 0; i < a->npeers; i++)
		if (kt_entry_has_peer(b, &a->paddr[i], a->gname ? a->gname[i] : NULL))
			return (long)i;
	return -1;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t
uq_hash(const struct entry *e, size_t pi)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv(h, &e->protocol, 1);
	h = fnv(h, &e->local_id, sizeof(e->local_id));
	if (e->paddr[pi].af != 0)
		h = fnv(h, e->paddr[pi].a, e->paddr[pi].af == AF_INET ? 4 : 16);
	else
		h = fnv(h, e->gname[pi], strlen(e->gname[pi]));
	return h | 1;
}

/*
 * The first row that repeats the (Protocol, peer, LocalKeyName) of an earlier
 * one, by a hash over every row's peers: its index, or -1 (-2: no memory).
 * *other is the earlier row, *peer the peer of *dup they share.
 */
long
kt_find_dup(const struct rkmp_keytable *kt, size_t *other, size_t *peer)
{
	struct slot {
		uint64_t	 h;
		uint32_t	 row, peer;
	} *t;
	size_t total = 0, size = 16;

	for (size_t i = 0; i < kt->n; i++)
		total += kt->v[i].npeers;
	while (size < total * 2)
		size *= 2;
	if ((t = calloc(size, sizeof(*t))) == NULL)
		return -2;
	for (size_t i = 0; i < kt->n; i++) {
		const struct entry *e = &kt->v[i];

		for (size_t p = 0; p < e->npeers; p++) {
			uint64_t h = uq_hash(e, p);
			size_t s = (size_t)h & (size - 1);

			for (; t[s].h != 0; s = (s + 1) & (size - 1)) {
				const struct entry *o = &kt->v[t[s].row];

				if (t[s].h == h && o->protocol == e->protocol &&
				    o->local_id == e->local_id &&
				    kt_entry_peer_eq(o, t[s].peer, &e->paddr[p], e->gname ? e->gname[p] : NULL)) {
					*other = t[s].row;
					*peer = p;
					free(t);
					return (long)i;
				}
			}
			t[s] = (struct slot){ h, (uint32_t)i, (uint32_t)p };
		}
	}
	free(t);
	return -1;
}

/* Every (Protocol, peer, LocalKeyName) once. */
int
kt_check_unique(struct rkmp_keytable *kt, const char *where)
{
	const struct rkmp_keytable_row *er;
	size_t other = 0, p = 0;
	long i = kt_find_dup(kt, &other, &p);
	char b[80];

	if (i == -1)
		return 0;
	if (i == -2 || (er = kt_entry_row(kt, (size_t)i)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, where, "out of memory");
	return kt_vfail(where, (size_t)i, "%s, peer %s, LocalKeyName %s: already in row %zu (rows "
	    "are unique by Protocol, peer and LocalKeyName)",
	    rkmp_keytable_protocol_name(er->protocol), kt_q(er->peers[p], b, sizeof(b)),
	    er->local_name, other);
}

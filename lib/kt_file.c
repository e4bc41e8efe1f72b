/* SPDX-License-Identifier: MIT */
/*
 * kt_file.c — the key table on a file (keytable.h): read (a big one
 * mapped), written atomically with mode 0600, changed under the writers'
 * lock; and the draft's interfaces on a file (Keytable_insertSA, _getSA,
 * _delete, _rekeySA and the table side of RP_revokeSA).
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "keytable.h"
#include "kt_int.h"

/* ================================================================ files */

/*
 * Read path into a text buffer of kt, refusing it before reading when group
 * or others may read or write it.  *missing when it does not exist
 * (RKMP_E_STATE "no such key table").
 */
static int
kt_read(const char *path, struct rkmp_keytable *kt, const char **bufp, size_t *lenp,
    bool *missing)
{
	char *buf;
	size_t len = 0, cap, size;
	ssize_t n;
	int fd, r;

	*missing = false;
	/* the keys are secret: as the state file */
	if ((r = rkmp_file_open_secret(path, RKMP_KEYTABLE_FILE_MAX, "key table", &fd, &size)) != 0) {
		if (r == RKMP_E_SYSTEM && errno == ENOENT) {
			*missing = true;
			return rkmp_err_set(RKMP_E_STATE, path, "no such key table");
		}
		return r;
	}
	/*
	 * A big table is mapped, not read: copying it out of the page cache costs
	 * more than parsing it.  Writers never change a table in place (they
	 * rename a new one over it), so the mapping stays whole.
	 */
	if (size >= (1 << 20)) {
		struct textbuf *t = calloc(1, sizeof(*t));
		void *m = t == NULL ? MAP_FAILED : mmap(NULL, size, PROT_READ,
		    MAP_PRIVATE | MAP_POPULATE, fd, 0);

		if (m != MAP_FAILED) {
			t->p = m;
			t->cap = size;
			t->file = true;
			t->next = kt->texts;
			kt->texts = t;
			*bufp = m;
			*lenp = size;
			goto out;
		}
		free(t);
	}
	cap = size + 1;
	if ((buf = kt_text_new(kt, cap)) == NULL) {
		r = rkmp_err_set(RKMP_E_NOMEM, path, "%zu octets", cap);
		goto out;
	}
	for (;;) {
		if (len == cap) {
			/* it grew: only a writer that does not lock does that */
			r = rkmp_err_set(RKMP_E_STATE, path, "changed while read");
			goto out;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = rkmp_err_set(RKMP_E_SYSTEM, path, "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
out:
	close(fd);
	return r;
}

int
rkmp_keytable_save(const char *path, const struct rkmp_keytable *kt)
{
	struct rkmp_buf b;
	int r;

	rkmp_buf_init(&b, RKMP_KEYTABLE_FILE_MAX);
	if ((r = kt_table_doc(kt, &b)) != 0) {
		char d[400];

		snprintf(d, sizeof(d), "%s", rkmp_err_detail());
		r = rkmp_err_set(r, path, "%s", d);
	} else
		r = rkmp_file_replace(path, b.p, b.len);
	rkmp_buf_free(&b);
	return r;
}

int
rkmp_keytable_load(const char *path, struct rkmp_keytable **out)
{
	struct rkmp_keytable *kt = rkmp_keytable_new();
	const char *buf;
	size_t len;
	bool missing;
	int r;

	*out = NULL;
	if (kt == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	if ((r = kt_read(path, kt, &buf, &len, &missing)) != 0 ||
	    (r = kt_parse_doc(kt, path, buf, len)) != 0) {
		rkmp_keytable_free(kt);
		return r;
	}
	*out = kt;
	return 0;
}

int
rkmp_keytable_update(const char *path, bool create,
    int (*fn)(struct rkmp_keytable *kt, void *arg), void *arg)
{
	struct rkmp_keytable *kt = NULL;
	const char *buf = NULL;
	size_t len = 0;
	bool missing;
	int fd = -1, r, ret;

	if ((r = rkmp_file_lock(path, "a key-table writer", -1, &fd)) != 0)
		return r;
	if ((kt = rkmp_keytable_new()) == NULL) {
		r = rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
		goto out;
	}
	if ((r = kt_read(path, kt, &buf, &len, &missing)) != 0) {
		if (!(missing && create))
			goto out;
		rkmp_err_clear();
	} else if ((r = kt_parse_doc(kt, path, buf, len)) != 0)
		goto out;
	if ((ret = fn(kt, arg)) < 0) {
		r = ret;
		goto out;
	}
	if (ret > 0) {
		(void)rkmp_file_sweep(path);
		if ((r = rkmp_keytable_save(path, kt)) != 0)
			goto out;
	}
	r = ret;
out:
	rkmp_keytable_free(kt);
	rkmp_file_unlock(fd);
	return r;
}

/* ================================================================ on a file */

static int
fn_insert(struct rkmp_keytable *kt, void *arg)
{
	int r = rkmp_keytable_insert(kt, arg);

	return r != 0 ? r : 1;
}

int
rkmp_keytable_insert_sa(const char *path, const struct rkmp_keytable_row *row)
{
	int r = rkmp_keytable_update(path, true, fn_insert, (void *)(uintptr_t)row);

	return r < 0 ? r : 0;
}

int
rkmp_keytable_get_sa(const char *path, uint8_t proto, const char *peer, uint64_t spi,
    struct rkmp_keytable **out)
{
	struct rkmp_keytable *kt, *res;
	int r;

	*out = NULL;
	if ((r = rkmp_keytable_load(path, &kt)) != 0)
		return r;
	if ((res = rkmp_keytable_new()) == NULL) {
		rkmp_keytable_free(kt);
		return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	}
	for (long i = 0; (i = rkmp_keytable_get(kt, (size_t)i, proto, peer, spi)) >= 0; i++)
		if ((r = rkmp_keytable_insert(res, rkmp_keytable_at(kt, (size_t)i))) != 0)
			break;
	rkmp_keytable_free(kt);
	if (r == 0 && res->n == 0)
		r = rkmp_err_set(RKMP_E_REFUSED, path, "no %s row for peer %s",
		    rkmp_keytable_protocol_name(proto), peer);
	if (r != 0) {
		rkmp_keytable_free(res);
		return r;
	}
	*out = res;
	return 0;
}

struct del_arg {
	uint8_t		 proto;
	const char	*peer;
	uint64_t	 spi;
	size_t		 removed;
	const struct rkmp_keytable_row *row;
	uint32_t	 grace;
};

static int
fn_delete(struct rkmp_keytable *kt, void *arg)
{
	struct del_arg *d = arg;
	int r = rkmp_keytable_delete(kt, d->proto, d->peer, d->spi, &d->removed, NULL, NULL);

	return r != 0 ? r : 1;
}

int
rkmp_keytable_delete_sa(const char *path, uint8_t proto, const char *peer, uint64_t spi,
    size_t *removed)
{
	struct del_arg d = { proto, peer, spi, 0, NULL, 0 };
	int r = rkmp_keytable_update(path, false, fn_delete, &d);

	if (removed != NULL)
		*removed = d.removed;
	return r < 0 ? r : 0;
}

static int
fn_rekey(struct rkmp_keytable *kt, void *arg)
{
	struct del_arg *d = arg;
	int r = rkmp_keytable_rekey(kt, d->proto, d->peer, d->spi, d->row, d->grace, NULL);

	return r != 0 ? r : 1;
}

int
rkmp_keytable_rekey_sa(const char *path, uint8_t proto, const char *peer, uint64_t old_spi,
    const struct rkmp_keytable_row *new_row, uint32_t grace)
{
	struct del_arg d = { proto, peer, old_spi, 0, new_row, grace };
	int r = rkmp_keytable_update(path, false, fn_rekey, &d);

	return r < 0 ? r : 0;
}

struct revoke_arg {
	uint64_t	 spi_i, spi_r;
	size_t		 removed;
};

static int
fn_revoke(struct rkmp_keytable *kt, void *arg)
{
	struct revoke_arg *a = arg;

	a->removed = rkmp_keytable_revoke(kt, a->spi_i, a->spi_r, NULL, NULL);
	return a->removed > 0;
}

int
rkmp_keytable_revoke_sa(const char *path, uint64_t spi_i, uint64_t spi_r, size_t *removed)
{
	struct revoke_arg a = { spi_i, spi_r, 0 };
	int r = rkmp_keytable_update(path, false, fn_revoke, &a);

	if (removed != NULL)
		*removed = a.removed;
	return r < 0 ? r : 0;
}

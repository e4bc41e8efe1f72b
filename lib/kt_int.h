/* SPDX-License-Identifier: MIT */
/*
 * kt_int.h — what the files of the key table share, and nothing outside
 * them includes (keytable.c and the kt_*.c files; see keytable.c for which
 * holds what): the table and its entries, the AlgID and ESP suite rules, and
 * the functions one file keeps for the others, each named kt_ and
 * commented where it is defined.
 */
#ifndef RKMP_KT_INT_H
#define RKMP_KT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "keytable.h"
#include "protocols.h"

#define KT_TEXT_MAX	4096		/* one string column */
#define KT_SET_MAX	256		/* members of Peers, Interfaces */
#define KT_INT_LIMIT	RKMP_JSON_INT_MAX	/* I-JSON's integers (RFC 7493 §2.2) */

struct paddr {
	int		 af;		/* AF_INET, AF_INET6; 0: a group name */
	uint8_t		 a[16];
};

/*
 * A row of a table.  A row read from a file is kept as its JSON text (raw)
 * plus what matching needs; its public form (row) is built on first use, so
 * that select, lookup and insert on a big table touch little memory: on the
 * virtual machines labs run on, fresh memory costs more than parsing.
 */
struct entry {
	struct rkmp_keytable_row *row;	/* NULL until built from raw */
	const char	*raw;		/* the row's text, written back as is; NULL: from row */
	size_t		 raw_len;
	uint8_t		 protocol;
	enum rkmp_keytable_dir dir;
	int64_t		 ss, se, as, ae;	/* the four lifetimes */
	uint64_t	 local_id;	/* LocalKeyName as a number (fixed width per protocol) */
	size_t		 npeers;
	struct paddr	*paddr;		/* one per peer */
	const char	**gname;	/* group peers' names, NULL for addresses; may be NULL */
	bool		 iface_all;	/* Interfaces is ["all"] */
	const char	*alg;		/* AlgID */
	bool		 has_sa;
	uint64_t	 sa_i, sa_r;	/* x-rkmp rkmp_sa */
};

/* A table's JSON text: strings are decoded in place and pointed to. */
struct textbuf {
	struct textbuf	*next;
	char		*p;
	size_t		 cap;
	bool		 mapped;	/* anonymous mapping */
	bool		 file;		/* the table file mapped read-only (not wiped) */
};

struct rkmp_keytable {
	struct entry	*v;
	size_t		 n, cap;
	bool		 v_mapped;
	struct rkmp_arena arena;
	struct textbuf	*texts;
};

/*
 * ESP AlgIDs are strongSwan-style suites ("aes128-sha256", "aes256gcm16");
 * the Key is our outbound encryption key (with its salt) and integrity key,
 * then the inbound ones.
 */
struct esp_suite {
	const struct rkmp_encr_alg	*encr;
	const struct rkmp_integ_alg	*integ;		/* NULL with AEAD */
	size_t				 half;		/* octets per direction */
};

/* ------------------------------------------------------------ keytable.c: the table, its entries */

char	*kt_text_new(struct rkmp_keytable *kt, size_t cap);
int	 kt_table_reserve(struct rkmp_keytable *kt, size_t cap);
struct entry *kt_table_append(struct rkmp_keytable *kt);
void	 kt_table_remove(struct rkmp_keytable *kt, size_t i);
int	 kt_entry_set(struct rkmp_keytable *kt, struct entry *e, const struct rkmp_keytable_row *r);
bool	 kt_entry_peer_eq(const struct entry *e, size_t i, const struct paddr *p, const char *ps);
bool	 kt_entry_has_peer(const struct entry *e, const struct paddr *p, const char *ps);
long	 kt_entries_clash(const struct entry *a, const struct entry *b);
long	 kt_find_dup(const struct rkmp_keytable *kt, size_t *other, size_t *peer);
int	 kt_check_unique(struct rkmp_keytable *kt, const char *where);

/* ------------------------------------------------------------ kt_row.c: rows */

extern const char *const kt_dir_names[4];	/* enum rkmp_keytable_dir */
/* An AlgID of a protocol (its descriptor's, protocols.c); NULL when none of that name. */
const struct rkmp_proto_alg *kt_alg_rule(uint8_t proto, const char *alg);
bool	 kt_esp_suite(const char *alg, struct esp_suite *s);
void	 kt_time_split(int64_t t, int64_t *y, int *mo, int *d, int *h, int *mi, int *s);
void	 kt_paddr_parse(const char *s, struct paddr *p);
bool	 kt_paddr_eq(const struct paddr *a, const char *as, const struct paddr *b, const char *bs);
int	 kt_vfail(const char *where, size_t idx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *kt_q(const char *s, char *buf, size_t n);
int	 kt_validate_in(const struct rkmp_keytable_row *r, size_t idx, const char *where,
	    bool parsed);

/* ------------------------------------------------------------ kt_json.c: JSON in and out */

int	 kt_buf_to(struct rkmp_buf *b, struct rkmp_buf *out);
void	 kt_put_str(struct rkmp_buf *b, const char *s);
void	 kt_put_fmt(struct rkmp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void	 kt_put_hex(struct rkmp_buf *b, const uint8_t *p, size_t n, const char *sep);
int	 kt_json_object_check(const char *text, bool members_only, const char *where, size_t idx);
int	 kt_minify(struct rkmp_arena *a, const char *text, bool members, const char **out);
struct rkmp_keytable_row *kt_entry_row(struct rkmp_keytable *kt, size_t i);
int	 kt_parse_doc(struct rkmp_keytable *kt, const char *name, const char *text, size_t len);
int	 kt_table_doc(const struct rkmp_keytable *kt, struct rkmp_buf *b);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * kt_list.h — the key table as a table for people (`rkmp-keytable list`):
 * a header line and one line per row in aligned columns, no line wider than
 * a given width (100 for the tool), and never a key:
 *
 *   PROTO   PEER         RECV/SEND          ALGID           DIR   SEND          ACCEPT      STATE
 *   tcp-ao  192.0.2.2    54/3d              HMAC-SHA-1-96   both  -59m55s..+8h  -1h..+8h2m  active
 *   bfd     192.0.2.2    54/3d              BFD-KEYED-SHA1  both  -59m55s..+8h  -1h..+8h2m  active
 *   esp     2001:db8::2  c1a2b3c4/c5d6e7f8  aes128-sha256   both  -59m55s..+8h  -1h..+8h2m  active
 *
 * (testdata/keytable/table-ok.json at --now 20260101010000Z).
 *
 * PROTO is the Protocol; PEER the first of Peers, an address in its shortest
 * form (RFC 5952), with "+N" when there are N more; RECV/SEND LocalKeyName/
 * PeerKeyName, the KeyIDs received and sent ("-" for a group key's empty
 * PeerKeyName); ALGID and DIR the AlgID and the Direction; SEND and ACCEPT
 * the lifetime windows, START..END as durations from now
 * (rkmp_kt_list_duration); STATE rkmp_keytable_row_state() at now.  The
 * AdminKeyName, Interfaces, KDF, ProtocolSpecificInfo and x-rkmp are not
 * shown, nor the Key.
 *
 * Columns are as wide as their widest cell, two spaces apart.  When a line
 * would be wider than the width, the columns move to one space apart, then
 * PEER, ALGID, the windows and RECV/SEND narrow (kt_list.c: steps): a window
 * is written in one unit per end ("-59m..+8h"), and a cell that still does
 * not fit loses its middle to one "~" (PEER keeps its "+N", RECV/SEND its
 * "/").  Widths count characters (UTF-8 code points); control characters
 * are shown as "?".
 *
 * Two passes, so that a table of any size is printed in bounded memory:
 * _init, _add every row (measures), _fit, then _header and _row for each.
 */
#ifndef RKMP_KT_LIST_H
#define RKMP_KT_LIST_H

#include <stddef.h>
#include <stdint.h>

struct rkmp_buf;
struct rkmp_keytable_row;

#define RKMP_KT_LIST_WIDTH	100	/* rkmp-keytable list */
#define RKMP_KT_LIST_NCOL	8
#define RKMP_KT_LIST_DUR_MAX	32	/* "-18446744073709551615d23h" and the NUL */

struct rkmp_kt_list {
	int64_t		 now;
	size_t		 width;			/* the widest line, in characters */
	size_t		 w[RKMP_KT_LIST_NCOL];	/* each column's width */
	size_t		 gap;			/* spaces between two columns */
	size_t		 rows;			/* rows measured */
};

void	rkmp_kt_list_init(struct rkmp_kt_list *l, int64_t now, size_t width);
/* Measure a row: each column grows to its cell. */
void	rkmp_kt_list_add(struct rkmp_kt_list *l, const struct rkmp_keytable_row *row);
/* Narrow the columns until a line fits in l->width (see above).  The
 * narrowest layout is 100 characters wide: a width below that is exceeded. */
void	rkmp_kt_list_fit(struct rkmp_kt_list *l);
/* The header line, and one row's line, each with its newline, appended. */
void	rkmp_kt_list_header(const struct rkmp_kt_list *l, struct rkmp_buf *out);
void	rkmp_kt_list_row(const struct rkmp_kt_list *l, const struct rkmp_keytable_row *row,
	    struct rkmp_buf *out);

/* A signed number of seconds in its two largest units of d, h, m and s,
 * cut toward zero: "+8h59m" (8 h 59 min 55 s from now), "-5s", "+365d",
 * "+2m" (2 min 0 s: a zero second unit is left out), "now" for 0. */
const char *rkmp_kt_list_duration(int64_t d, char out[RKMP_KT_LIST_DUR_MAX]);
/* s in at most w characters (UTF-8 code points): s itself when it fits,
 * else its first part, "~", its last part, the first part being head_num /
 * head_den of what is kept (rounded down).  Control characters become "?".
 * out holds at least 4 * w + 1 octets; returns out. */
char	*rkmp_kt_list_elide(const char *s, size_t w, unsigned head_num, unsigned head_den,
	    char *out);
/* The characters of s (UTF-8 code points). */
size_t	rkmp_kt_list_chars(const char *s);

#endif

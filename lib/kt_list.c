/* SPDX-License-Identifier: MIT */
/*
 * kt_list.c — the key table as aligned text columns for people; see
 * kt_list.h.  Scripts read `list --json` (the rows themselves) instead.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "keytable.h"
#include "kt_list.h"
#include "nitems.h"


enum { C_PROTO, C_PEER, C_IDS, C_ALG, C_DIR, C_SEND, C_ACCEPT, C_STATE };

static const char *const labels[RKMP_KT_LIST_NCOL] = {
	"PROTO", "PEER", "RECV/SEND", "ALGID", "DIR", "SEND", "ACCEPT", "STATE",
};

/*
 * How a line too wide gives way: the gaps between the columns shrink from two
 * spaces to one, then each step narrows one column down to a floor, as far as
 * the line needs, in this order: the middles of long peers, AlgIDs and
 * RSVP-TE key names first, then the windows' precision, and what a row is
 * known by (RECV/SEND) last.  A window narrower than its cell is written in
 * one unit per end ("-59m..+8h" for "-59m55s..+8h") before it loses its
 * middle.  The columns of short words (PROTO, DIR, STATE) never narrow: at
 * their widest (7, 8, 11), with the last floors (PEER 19, RECV/SEND 13,
 * ALGID 14, SEND 11, ACCEPT 10) and seven gaps of one space, a line is 100.
 */
#define GAP	2	/* spaces between two columns; 1 when that is too wide */

static const struct {
	int	 col;
	size_t	 floor;
} steps[] = {
	{ C_PEER, 27 }, { C_ALG, 20 }, { C_PEER, 23 }, { C_ALG, 16 }, { C_IDS, 17 },
	{ C_PEER, 19 }, { C_ALG, 14 }, { C_SEND, 12 }, { C_ACCEPT, 12 }, { C_SEND, 11 },
	{ C_ACCEPT, 10 }, { C_IDS, 13 },
};

/* ------------------------------------------------------------------ characters */

static bool
is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t
rkmp_kt_list_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += !is_cont((unsigned char)*s);
	return n;
}

/* The octets of s from code point `from`, `n` code points, control
 * characters as "?". */
static void
put_chars(struct rkmp_buf *b, const char *s, size_t from, size_t n)
{
	size_t cp = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!is_cont(c) && cp++ >= from + n)
			break;
		if (cp <= from)
			continue;
		if (c < 0x20 || c == 0x7f)
			c = '?';
		rkmp_buf_put(b, &c, 1);
	}
}

/* s in at most w characters; returns the characters written. */
static size_t
put_elided(struct rkmp_buf *b, const char *s, size_t w, unsigned num, unsigned den)
{
	size_t n = rkmp_kt_list_chars(s), head, tail;

	if (n <= w) {
		put_chars(b, s, 0, n);
		return n;
	}
	if (w == 0)
		return 0;
	head = (w - 1) * num / den;
	tail = w - 1 - head;
	put_chars(b, s, 0, head);
	rkmp_buf_put(b, "~", 1);
	put_chars(b, s, n - tail, tail);
	return w;
}

char *
rkmp_kt_list_elide(const char *s, size_t w, unsigned head_num, unsigned head_den, char *out)
{
	struct rkmp_buf b;

	rkmp_buf_init(&b, 4 * w + 1);
	put_elided(&b, s, w, head_num, head_den);
	if (b.err == 0 && b.len > 0)
		memcpy(out, b.p, b.len);
	out[b.err == 0 ? b.len : 0] = '\0';
	rkmp_buf_free(&b);
	return out;
}

/* ------------------------------------------------------------------ cells */

/* d in its nunits (1 or 2) largest units; see rkmp_kt_list_duration. */
static const char *
duration(int64_t d, int nunits, char out[RKMP_KT_LIST_DUR_MAX])
{
	static const struct {
		char		 unit;
		uint64_t	 secs;
	} units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	uint64_t a = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
	size_t i = 0;
	int n;

	if (d == 0)
		return strcpy(out, "now");
	while (a < units[i].secs)
		i++;
	n = snprintf(out, RKMP_KT_LIST_DUR_MAX, "%c%" PRIu64 "%c", d < 0 ? '-' : '+',
	    a / units[i].secs, units[i].unit);
	a %= units[i].secs;
	if (nunits > 1 && i + 1 < nitems(units) && a / units[i + 1].secs > 0)
		snprintf(out + n, RKMP_KT_LIST_DUR_MAX - (size_t)n, "%" PRIu64 "%c",
		    a / units[i + 1].secs, units[i + 1].unit);
	return out;
}

const char *
rkmp_kt_list_duration(int64_t d, char out[RKMP_KT_LIST_DUR_MAX])
{
	return duration(d, 2, out);
}

/* A window as "START..END" from now, in two units each, or in one when that
 * is too wide for w characters. */
static void
window(int64_t start, int64_t end, int64_t now, size_t w, char *out, size_t n)
{
	char a[RKMP_KT_LIST_DUR_MAX], b[RKMP_KT_LIST_DUR_MAX];

	snprintf(out, n, "%s..%s", duration(start - now, 2, a), duration(end - now, 2, b));
	if (strlen(out) > w)
		snprintf(out, n, "%s..%s", duration(start - now, 1, a), duration(end - now, 1, b));
}

/* The "+N" after the first peer: N more peers. */
static void
peers_more(const struct rkmp_keytable_row *r, char *out, size_t n)
{
	if (r->npeers > 1)
		snprintf(out, n, "+%zu", r->npeers - 1);
	else
		out[0] = '\0';
}

/* The first peer; an address in its shortest form (RFC 5952: 2001:db8::1). */
static const char *
first_peer(const struct rkmp_keytable_row *r, char out[INET6_ADDRSTRLEN])
{
	uint8_t a[16];

	if (r->npeers == 0)
		return "-";
	if (inet_pton(AF_INET6, r->peers[0], a) == 1 &&
	    inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN) != NULL)
		return out;
	return r->peers[0];
}

static const char *
peer_name(const struct rkmp_keytable_row *r)
{
	return r->peer_name != NULL && r->peer_name[0] != '\0' ? r->peer_name : "-";
}

static const char *
proto_name(const struct rkmp_keytable_row *r, char *out, size_t n)
{
	const char *p = rkmp_keytable_protocol_name(r->protocol);

	if (p != NULL)
		return p;
	snprintf(out, n, "%u", r->protocol);
	return out;
}

/*
 * Column c of row r in at most w characters (w = SIZE_MAX: its natural
 * width), appended to b (when b is not NULL); returns its characters.
 */
static size_t
cell(const struct rkmp_kt_list *l, const struct rkmp_keytable_row *r, int c, size_t w,
    struct rkmp_buf *b)
{
	struct rkmp_buf sink;
	char t[2 * RKMP_KT_LIST_DUR_MAX + 8];
	size_t n;

	if (b == NULL) {
		/* measure only: a buffer that refuses every octet */
		rkmp_buf_init(&sink, 1);
		sink.err = 1;
		b = &sink;
	}
	switch (c) {
	case C_PROTO:
		return put_elided(b, proto_name(r, t, sizeof(t)), w, 1, 2);
	case C_PEER: {
		char a[INET6_ADDRSTRLEN];
		const char *p = first_peer(r, a);
		size_t more;

		peers_more(r, t, sizeof(t));
		more = strlen(t);
		/* the "+N" stays whole; the address gives way */
		n = put_elided(b, p, w > more + 1 ? w - more : 1, 1, 2);
		rkmp_buf_put(b, t, more);
		return n + more;
	}
	case C_IDS: {
		const char *lo = r->local_name, *pe = peer_name(r);
		size_t nl = rkmp_kt_list_chars(lo), np = rkmp_kt_list_chars(pe), avail, wl;

		if (w == SIZE_MAX || nl + 1 + np <= w) {
			wl = nl;
			avail = nl + np;
		} else {
			/* each name gives way by half, a short one lending the other its room */
			avail = w > 3 ? w - 1 : 2;
			wl = avail / 2;
			if (np < avail - wl)
				wl = avail - np;
			if (nl < wl)
				wl = nl;
		}
		n = put_elided(b, lo, wl, 1, 2);
		rkmp_buf_put(b, "/", 1);
		return n + 1 + put_elided(b, pe, avail - wl, 1, 2);
	}
	case C_ALG:
		return put_elided(b, r->alg_id, w, 1, 2);
	case C_DIR:
		return put_elided(b, rkmp_keytable_dir_name(r->direction), w, 1, 2);
	case C_SEND:
		window(r->send_start, r->send_end, l->now, w, t, sizeof(t));
		return put_elided(b, t, w, 1, 2);
	case C_ACCEPT:
		window(r->accept_start, r->accept_end, l->now, w, t, sizeof(t));
		return put_elided(b, t, w, 1, 2);
	default:
		return put_elided(b, rkmp_keytable_row_state(r, l->now), w, 1, 2);
	}
}

/* ------------------------------------------------------------------ layout */

void
rkmp_kt_list_init(struct rkmp_kt_list *l, int64_t now, size_t width)
{
	memset(l, 0, sizeof(*l));
	l->now = now;
	l->width = width;
	l->gap = GAP;
	for (size_t c = 0; c < RKMP_KT_LIST_NCOL; c++)
		l->w[c] = strlen(labels[c]);
}

void
rkmp_kt_list_add(struct rkmp_kt_list *l, const struct rkmp_keytable_row *row)
{
	for (int c = 0; c < RKMP_KT_LIST_NCOL; c++) {
		size_t n = cell(l, row, c, SIZE_MAX, NULL);

		if (n > l->w[c])
			l->w[c] = n;
	}
	l->rows++;
}

static size_t
line_width(const struct rkmp_kt_list *l)
{
	size_t n = 0;

	for (size_t c = 0; c < RKMP_KT_LIST_NCOL; c++)
		n += l->w[c] + (c + 1 < RKMP_KT_LIST_NCOL ? l->gap : 0);
	return n;
}

void
rkmp_kt_list_fit(struct rkmp_kt_list *l)
{
	if (line_width(l) > l->width)
		l->gap = 1;
	for (size_t i = 0; i < nitems(steps); i++) {
		size_t n = line_width(l), *w = &l->w[steps[i].col], cut;

		if (n <= l->width)
			return;
		if (*w <= steps[i].floor)
			continue;
		cut = *w - steps[i].floor;
		if (cut > n - l->width)
			cut = n - l->width;
		*w -= cut;
	}
}

/* One line: the cells padded to their columns, the last one not. */
static void
put_line(const struct rkmp_kt_list *l, const struct rkmp_keytable_row *r, struct rkmp_buf *out)
{
	static const char spaces[] = "                                                      ";

	for (int c = 0; c < RKMP_KT_LIST_NCOL; c++) {
		size_t n, pad;

		if (r != NULL)
			n = cell(l, r, c, l->w[c], out);
		else {
			n = strlen(labels[c]);
			rkmp_buf_put(out, labels[c], n);
		}
		if (c + 1 == RKMP_KT_LIST_NCOL)
			break;
		for (pad = (n < l->w[c] ? l->w[c] - n : 0) + l->gap; pad > 0; pad -= n) {
			n = pad < sizeof(spaces) - 1 ? pad : sizeof(spaces) - 1;
			rkmp_buf_put(out, spaces, n);
		}
	}
	rkmp_buf_put(out, "\n", 1);
}

void
rkmp_kt_list_header(const struct rkmp_kt_list *l, struct rkmp_buf *out)
{
	put_line(l, NULL, out);
}

void
rkmp_kt_list_row(const struct rkmp_kt_list *l, const struct rkmp_keytable_row *row,
    struct rkmp_buf *out)
{
	put_line(l, row, out);
}

/* SPDX-License-Identifier: MIT */
/*
 * kt_json.c — the key table's JSON (keytable.h, DESIGN.md §10): the grammar
 * of a table document and of rows to insert, and the writer of both.
 *
 * The text is read with the library's one JSON reader (json_read.c), not
 * with jansson's trees: a table of 10,000 rows is about 8 MB, which jansson
 * takes half a second to parse on a lab machine, while a routing protocol
 * asks for a key per session.  This file knows the columns of a row: it
 * pulls them from the reader, checks them (kt_row.c) and keeps a row read
 * as its text; the reader checks the JSON (RFC 8259, I-JSON's numbers,
 * names once each), minifies the free-form values and says where a refusal
 * is, after "row N: " (row_where).
 *
 * Rows inserted or changed are written with json_write.c, one per line, in
 * a fixed column order, with the free-form objects (ProtocolSpecificInfo,
 * unknown x-rkmp members) minified, so two saves of the same table are the
 * same bytes; compact (no white space) for stdout.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "hex.h"
#include "json.h"
#include "keytable.h"
#include "kt_int.h"
#include "nitems.h"
#include "protocols.h"

/* ================================================================ JSON text out */

/*
 * The key table's text is at most RKMP_KEYTABLE_FILE_MAX octets: the cap_max
 * of the buffers it is written in, whose overflow (rkmp_buf's RKMP_E_INVALID)
 * is told as the key table's.  b's sticky error.
 */
static int
kt_buf_err(struct rkmp_buf *b)
{
	if (b->err == RKMP_E_INVALID)
		b->err = rkmp_err_set(RKMP_E_STATE, "key table", "more than %u octets",
		    RKMP_KEYTABLE_FILE_MAX);
	return b->err;
}

/* Append the key table's buffer b to a caller's out, and free b. */
int
kt_buf_to(struct rkmp_buf *b, struct rkmp_buf *out)
{
	int r = kt_buf_err(b);

	if (r == 0) {
		rkmp_buf_put(out, b->p, b->len);
		r = out->err;
	}
	rkmp_buf_free(b);
	return r;
}

void
kt_put_str(struct rkmp_buf *b, const char *s)
{
	rkmp_buf_put(b, s, strlen(s));
}

void
kt_put_fmt(struct rkmp_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		rkmp_buf_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void
kt_put_hex(struct rkmp_buf *b, const uint8_t *p, size_t n, const char *sep)
{
	static const char digits[] = "0123456789abcdef";
	size_t sl = sep ? strlen(sep) : 0;

	if (rkmp_buf_reserve(b, n * (2 + sl)) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && sl > 0) {
			memcpy(b->p + b->len, sep, sl);
			b->len += sl;
		}
		b->p[b->len++] = (uint8_t)digits[p[i] >> 4];
		b->p[b->len++] = (uint8_t)digits[p[i] & 15];
	}
}

/* ================================================================ rows: columns */

enum col {
	C_ADMIN, C_LOCAL, C_PEERNAME, C_PEERS, C_IFACES, C_PROTO, C_PSI, C_KDF, C_ALG, C_KEY,
	C_DIR, C_SS, C_SE, C_AS, C_AE, C_X, C_N
};

static const char *const col_names[C_N] = {
	"AdminKeyName", "LocalKeyName", "PeerKeyName", "Peers", "Interfaces", "Protocol",
	"ProtocolSpecificInfo", "KDF", "AlgID", "Key", "Direction", "SendLifetimeStart",
	"SendLifetimeEnd", "AcceptLifetimeStart", "AcceptLifetimeEnd", "x-rkmp",
};

/* RFC 7210 §2 spells three of the four times with "LifeTime". */
static const struct {
	const char	*name;
	enum col	 col;
} col_aliases[] = {
	{ "SendLifeTimeStart", C_SS }, { "SendLifeTimeEnd", C_SE },
	{ "AcceptLifeTimeStart", C_AS }, { "AcceptLifeTimeEnd", C_AE },
};

static int
col_lookup(const char *s, size_t n)
{
	static size_t len[C_N], alen[nitems(col_aliases)];

	if (len[0] == 0) {
		for (int c = 0; c < C_N; c++)
			len[c] = strlen(col_names[c]);
		for (size_t i = 0; i < nitems(col_aliases); i++)
			alen[i] = strlen(col_aliases[i].name);
	}
	for (int c = 0; c < C_N; c++)
		if (len[c] == n && memcmp(col_names[c], s, n) == 0)
			return c;
	for (size_t i = 0; i < nitems(col_aliases); i++)
		if (alen[i] == n && memcmp(col_aliases[i].name, s, n) == 0)
			return (int)col_aliases[i].col;
	return -1;
}

/* ================================================================ rows: free-form JSON */

static int parse_x(struct rkmp_json_reader *j, size_t idx, struct rkmp_keytable_x *x,
    bool check);

/* The prefix of the reader's messages from inside row *arg: "row 3: ". */
static void
row_where(const void *arg, char *buf, size_t cap)
{
	snprintf(buf, cap, "row %zu: ", *(const size_t *)arg);
}

/*
 * Free-form JSON of a row that did not come from the reader, checked as the
 * reader checks it: ProtocolSpecificInfo (an object), or x-rkmp's extra
 * members (members_only: without the braces; none of the known members).
 * The reader's message when it names where (a name given twice, a number
 * out of range), else one for the column.
 */
int
kt_json_object_check(const char *text, bool members_only, const char *where, size_t idx)
{
	struct rkmp_json_frame pf = { .name = col_names[C_PSI], .nlen = 20 };
	struct rkmp_keytable_x x;
	struct rkmp_arena a = { 0 };
	struct rkmp_json_reader j;
	char *wrapped = NULL;
	const char *col = members_only ? "x-rkmp" : col_names[C_PSI];
	int r;

	if (members_only) {
		size_t n = strlen(text);

		if ((wrapped = malloc(n + 3)) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, where ? where : "", "out of memory");
		wrapped[0] = '{';
		memcpy(wrapped + 1, text, n);
		wrapped[n + 1] = '}';
		wrapped[n + 2] = '\0';
		text = wrapped;
	}
	rkmp_json_init(&j, text, strlen(text), where, &a);
	if (idx != SIZE_MAX) {
		j.where = row_where;
		j.where_arg = &idx;
	}
	rkmp_json_ws(&j);
	if (j.p >= j.end || *j.p != '{')
		r = kt_vfail(where, idx, "%s: a JSON object expected", col);
	else {
		if (members_only)
			r = parse_x(&j, idx, &x, true);
		else {
			j.at = &pf;
			r = rkmp_json_value(&j, NULL);
		}
		/* a syntax error: the line and column would be of this text alone */
		if ((r == 0 && (rkmp_json_ws(&j), j.p != j.end)) ||
		    (r == RKMP_E_STATE && strncmp(rkmp_err_detail(), "not JSON", 8) == 0))
			r = kt_vfail(where, idx, "%s: a JSON object expected", col);
	}
	if (r == 0 && members_only && (x.proto_id >= 0 || x.child_spi_local || x.child_spi_peer ||
	    x.rkmp_sa || x.role || x.state))
		r = kt_vfail(where, idx, "x-rkmp: a known member among the others (extra)");
	free(wrapped);
	rkmp_arena_free(&a);
	return r;
}

/* Free-form JSON as the reader stores it: minified (members only: no braces). */
int
kt_minify(struct rkmp_arena *a, const char *text, bool members, const char **out)
{
	struct rkmp_buf b;
	struct rkmp_json_out o = { &b, NULL };
	struct rkmp_json_reader j;
	char *wrapped = NULL;
	int r;

	rkmp_buf_init(&b, RKMP_KEYTABLE_FILE_MAX);
	if (members) {
		size_t n = strlen(text);

		if ((wrapped = malloc(n + 3)) == NULL)
			return -1;
		snprintf(wrapped, n + 3, "{%s}", text);
		text = wrapped;
	}
	rkmp_json_init(&j, text, strlen(text), NULL, a);
	r = rkmp_json_value(&j, &o);
	if (r == 0 && b.err == 0 && b.len >= 2) {
		*out = members ? rkmp_arena_strndup(a, (const char *)b.p + 1, b.len - 2) :
		    rkmp_arena_strndup(a, (const char *)b.p, b.len);
		r = *out == NULL ? -1 : 0;
	} else
		r = -1;
	rkmp_buf_free(&b);
	free(wrapped);
	return r;
}

/* ================================================================ rows: JSON in */

struct raw_row {
	char		*s[C_N];		/* string columns */
	const char	**peers, **ifaces;
	size_t		 npeers, nifaces;
	char		*psi;
	struct rkmp_keytable_x x;
	bool		 seen[C_N];
};

static int
rfail(const struct rkmp_json_reader *j, size_t idx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
rfail(const struct rkmp_json_reader *j, size_t idx, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (idx == SIZE_MAX)
		return rkmp_err_set(RKMP_E_STATE, j->name ? j->name : "", "%s", msg);
	return rkmp_err_set(RKMP_E_STATE, j->name ? j->name : "", "row %zu: %s", idx, msg);
}

static int
string_set(struct rkmp_json_reader *j, size_t idx, const char *col, const char ***out, size_t *n)
{
	const char *tmp[KT_SET_MAX];
	size_t k = 0;
	int r;

	rkmp_json_ws(j);
	if (j->p >= j->end || *j->p != '[')
		return rfail(j, idx, "%s: an array of strings expected, not %s", col, rkmp_json_kind(j));
	j->p++;
	if (!rkmp_json_peek(j, ']'))
		for (;;) {
			char *s;

			rkmp_json_ws(j);
			if (j->p < j->end && *j->p != '"')
				return rfail(j, idx, "%s[%zu]: a string expected, not %s", col, k,
				    rkmp_json_kind(j));
			if (k == KT_SET_MAX)
				return rfail(j, idx, "%s: more than %d members", col, KT_SET_MAX);
			if ((r = rkmp_json_string(j, &s, NULL)) != 0)
				return r;
			tmp[k++] = s;
			if (rkmp_json_peek(j, ',')) {
				j->p++;
				continue;
			}
			if ((r = rkmp_json_expect(j, ']', "',' or ']' expected")) != 0)
				return r;
			break;
		}
	else
		j->p++;
	if ((*out = rkmp_arena_alloc(j->arena, (k ? k : 1) * sizeof(char *))) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
	memcpy(*out, tmp, k * sizeof(char *));
	*n = k;
	return 0;
}

/* A free-form value, minified into the arena (check: only checked, "{}" kept). */
static int
capture(struct rkmp_json_reader *j, bool check, char **out)
{
	struct rkmp_json_out o = { NULL, NULL };
	const char *s;
	int r;

	rkmp_json_ws(j);
	s = j->p;
	if (check) {
		static char empty[] = "{}";

		*out = empty;
		return rkmp_json_value(j, NULL);
	}
	{
		/* the minified value is no longer than its text: an arena block that size */
		struct rkmp_json_reader scan = *j;
		char *w0;

		if ((r = rkmp_json_value(&scan, NULL)) != 0)
			return r;
		if ((w0 = rkmp_arena_alloc(j->arena, (size_t)(scan.p - s) + 1)) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
		o.w = w0;
		if ((r = rkmp_json_value(j, &o)) != 0)
			return r;
		*o.w = '\0';
		*out = w0;
	}
	return *out != NULL ? 0 : rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
}

/*
 * The x-rkmp object at j->p.  Member names are compared unescaped (a known
 * name spelled with escapes is that member) and each may come once.
 */
static int
parse_x(struct rkmp_json_reader *j, size_t idx, struct rkmp_keytable_x *x, bool check)
{
	static const char *const known[] = { "proto_id", "child_spi_local", "child_spi_peer",
	    "rkmp_sa", "role", "state" };
	static const size_t known_len[nitems(known)] = { 8, 15, 14, 7, 4, 5 };
	bool seen[nitems(known)] = { false };
	struct rkmp_buf extra;
	struct rkmp_json_frame xf = { .up = j->at, .name = "x-rkmp", .nlen = 6 }, mf = { .up = &xf };
	struct rkmp_json_names ns;
	int r;

	rkmp_buf_init(&extra, RKMP_KEYTABLE_FILE_MAX);
	memset(x, 0, sizeof(*x));
	x->present = true;
	x->proto_id = -1;
	rkmp_json_ws(j);
	if (j->p >= j->end || *j->p != '{')
		return rfail(j, idx, "x-rkmp: an object expected, not %s", rkmp_json_kind(j));
	j->p++;
	ns.n = 0;
	ns.slot = NULL;
	j->at = &mf;
	if (rkmp_json_peek(j, '}')) {
		j->p++;
		goto done;
	}
	for (;;) {
		size_t k;

		/* the name as written is kept for extra; known names are matched unescaped */
		if ((r = rkmp_json_member(j, NULL, &mf)) != 0)
			goto fail;
		for (k = 0; k < nitems(known) && (known_len[k] != mf.nlen ||
		    memcmp(mf.name, known[k], mf.nlen) != 0); k++)
			;
		/* once each: the known ones by their flags, the others in ns */
		if (k < nitems(known)) {
			if (seen[k]) {
				r = rkmp_json_dup(j, &mf);
				goto fail;
			}
			seen[k] = true;
		} else if ((r = rkmp_json_names_add(&ns, mf.name, mf.nlen)) != 0) {
			r = r > 0 ? rkmp_json_dup(j, &mf) :
			    rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
			goto fail;
		}
		if ((r = rkmp_json_expect(j, ':', "':' expected")) != 0)
			goto fail;
		if (k == 0) {
			const char *s;
			size_t n;
			char num[24];

			rkmp_json_ws(j);
			if (j->p >= j->end || !((*j->p >= '0' && *j->p <= '9') || *j->p == '-')) {
				r = rfail(j, idx, "x-rkmp.proto_id: a number expected, not %s",
				    rkmp_json_kind(j));
				goto fail;
			}
			if ((r = rkmp_json_number(j, &s, &n)) != 0)
				goto fail;
			snprintf(num, sizeof(num), "%.*s", (int)(n < 23 ? n : 23), s);
			if (n > 3 || strspn(num, "0123456789") != n || atoi(num) > 255) {
				r = rfail(j, idx, "x-rkmp.proto_id %s: not a protocol ID (0 to 255)", num);
				goto fail;
			}
			x->proto_id = atoi(num);
		} else if (k < nitems(known)) {
			char *s;
			const char **dst[] = { NULL, &x->child_spi_local, &x->child_spi_peer,
			    &x->rkmp_sa, &x->role, &x->state };

			rkmp_json_ws(j);
			if (j->p >= j->end || *j->p != '"') {
				r = rfail(j, idx, "x-rkmp.%s: a string expected, not %s", known[k],
				    rkmp_json_kind(j));
				goto fail;
			}
			if ((r = rkmp_json_string(j, &s, NULL)) != 0)
				goto fail;
			*dst[k] = s;
		} else if (check) {
			/* unknown members are kept as they are */
			if ((r = rkmp_json_value(j, NULL)) != 0)
				goto fail;
		} else {
			struct rkmp_json_out o = { &extra, NULL };

			if (extra.len > 0)
				kt_put_str(&extra, ",");
			rkmp_buf_put(&extra, mf.key, mf.klen);
			kt_put_str(&extra, ":");
			if ((r = rkmp_json_value(j, &o)) != 0)
				goto fail;
		}
		if (rkmp_json_peek(j, ',')) {
			j->p++;
			continue;
		}
		if ((r = rkmp_json_expect(j, '}', "',' or '}' expected")) != 0)
			goto fail;
		break;
	}
done:
	if (extra.err) {
		r = kt_buf_err(&extra);
		goto fail;
	}
	if (extra.len > 0) {
		if ((x->extra = rkmp_arena_strndup(j->arena, (const char *)extra.p, extra.len)) == NULL) {
			r = rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
			goto fail;
		}
	}
	r = 0;
fail:
	rkmp_json_names_free(&ns);
	j->at = xf.up;
	rkmp_buf_free(&extra);
	return r;
}

/* The Key column: lowercase hex, even, into the arena.  The value is never quoted. */
static int
key_decode(struct rkmp_json_reader *j, size_t idx, char *hex, const uint8_t **key, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *k;

	if (n == 0)
		return rfail(j, idx, "Key: empty");
	for (size_t i = 0; i < n; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return rfail(j, idx, "Key: character %zu is not a lowercase hex digit "
			    "(RFC 7210 §5.2)", i + 1);
	if (n % 2 != 0)
		return rfail(j, idx, "Key: odd number of hex digits (%zu)", n);
	if (n / 2 > RKMP_KEYTABLE_KEY_MAX)
		return rfail(j, idx, "Key: %zu octets > %d", n / 2, RKMP_KEYTABLE_KEY_MAX);
	/* in place: the octets over the first half of their hex (wiped with the text) */
	k = (uint8_t *)hex;
	for (size_t i = 0; i < n / 2; i++)
		k[i] = (uint8_t)(rkmp_hex_digit((unsigned char)hex[2 * i]) << 4 |
		    rkmp_hex_digit((unsigned char)hex[2 * i + 1]));
	*key = k;
	*len = n / 2;
	return 0;
}

/*
 * One row object at j->p into *row, its strings in j->arena, checked.
 * *alias: a time was spelled "LifeTime".  check: the free-form values are
 * only checked, not kept.
 */
static int
parse_row_obj_in(struct rkmp_json_reader *j, size_t idx, struct rkmp_keytable_row *row,
    bool *alias, bool check)
{
	struct raw_row raw;
	char b[80];
	int r, c;

	memset(&raw, 0, sizeof(raw));
	rkmp_json_ws(j);
	if (j->p >= j->end || *j->p != '{')
		return rfail(j, idx, "an object expected, not %s", rkmp_json_kind(j));
	j->p++;
	if (rkmp_json_peek(j, '}'))
		j->p++;
	else
		for (;;) {
			char name[64];
			size_t nl;

			if ((r = rkmp_json_name_buf(j, name, sizeof(name), &nl)) != 0)
				return r;
			if ((r = rkmp_json_expect(j, ':', "':' expected")) != 0)
				return r;
			if ((c = col_lookup(name, nl)) < 0)
				return rfail(j, idx, "unknown column %s (RFC 7210's columns only; "
				    "anything else goes under x-rkmp)", kt_q(name, b, sizeof(b)));
			if (c >= C_SS && c <= C_AE && strcmp(name, col_names[c]) != 0)
				*alias = true;
			if (raw.seen[c])
				return rfail(j, idx, "%s given twice%s", col_names[c],
				    c >= C_SS && c <= C_AE ? " (with both spellings of Lifetime?)" : "");
			raw.seen[c] = true;
			switch (c) {
			case C_PEERS:
				r = string_set(j, idx, "Peers", &raw.peers, &raw.npeers);
				break;
			case C_IFACES:
				r = string_set(j, idx, "Interfaces", &raw.ifaces, &raw.nifaces);
				break;
			case C_PSI: {
				struct rkmp_json_frame pf = { .up = j->at, .name = col_names[C_PSI],
				    .nlen = 20 };

				rkmp_json_ws(j);
				if (j->p >= j->end || *j->p != '{')
					return rfail(j, idx, "ProtocolSpecificInfo: an object expected, "
					    "not %s", rkmp_json_kind(j));
				j->at = &pf;
				r = capture(j, check, &raw.psi);
				j->at = pf.up;
				break;
			}
			case C_X:
				r = parse_x(j, idx, &raw.x, check);
				break;
			default:
				rkmp_json_ws(j);
				if (j->p >= j->end || *j->p != '"')
					return rfail(j, idx, "%s: a string expected, not %s",
					    col_names[c], rkmp_json_kind(j));
				r = rkmp_json_string(j, &raw.s[c], NULL);
			}
			if (r != 0)
				return r;
			if (rkmp_json_peek(j, ',')) {
				j->p++;
				continue;
			}
			if ((r = rkmp_json_expect(j, '}', "',' or '}' expected")) != 0)
				return r;
			break;
		}
	for (c = 0; c < C_X; c++)
		if (!raw.seen[c])
			return rfail(j, idx, "%s missing", col_names[c]);

	memset(row, 0, sizeof(*row));
	row->admin_name = raw.s[C_ADMIN];
	row->local_name = raw.s[C_LOCAL];
	row->peer_name = raw.s[C_PEERNAME];
	row->peers = raw.peers;
	row->npeers = raw.npeers;
	row->interfaces = raw.ifaces;
	row->ninterfaces = raw.nifaces;
	row->psi = raw.psi;
	row->kdf = raw.s[C_KDF];
	row->alg_id = raw.s[C_ALG];
	row->x = raw.x;
	if (!rkmp_keytable_protocol_value(raw.s[C_PROTO], &row->protocol) ||
	    strspn(raw.s[C_PROTO], "0123456789") == strlen(raw.s[C_PROTO])) {
		return rfail(j, idx, "Protocol %s: not %s", kt_q(raw.s[C_PROTO], b, sizeof(b)),
		    rkmp_protocol_names(true, true));
	}
	if ((r = key_decode(j, idx, raw.s[C_KEY], &row->key, &row->key_len)) != 0) {
		return r;
	}
	for (c = 0; c < 4 && strcmp(raw.s[C_DIR], kt_dir_names[c]) != 0; c++)
		;
	if (c == 4) {
		return rfail(j, idx, "Direction %s: not in, out, both or disabled",
		    kt_q(raw.s[C_DIR], b, sizeof(b)));
	}
	row->direction = (enum rkmp_keytable_dir)c;
	for (c = C_SS; c <= C_AE; c++) {
		int64_t *t = c == C_SS ? &row->send_start : c == C_SE ? &row->send_end :
		    c == C_AS ? &row->accept_start : &row->accept_end;

		if (strlen(raw.s[c]) != 15) {
				return rfail(j, idx, "%s %s: YYYYmmddHHMMSSZ expected", col_names[c],
			    kt_q(raw.s[c], b, sizeof(b)));
		}
		if (rkmp_keytable_time_parse(raw.s[c], t) != 0) {
			char why[128];

			snprintf(why, sizeof(why), "%s", rkmp_err_detail());
				return rfail(j, idx, "%s %s: %s", col_names[c], kt_q(raw.s[c], b, sizeof(b)), why);
		}
	}
	return kt_validate_in(row, idx, j->name, true);
}

static int
parse_row_obj(struct rkmp_json_reader *j, size_t idx, struct rkmp_keytable_row *row,
    bool *alias, bool check)
{
	void (*where)(const void *, char *, size_t) = j->where;
	const void *where_arg = j->where_arg;
	int r;

	/* messages from deep in a free-form value name the row too */
	j->where = row_where;
	j->where_arg = &idx;
	r = parse_row_obj_in(j, idx, row, alias, check);
	j->where = where;
	j->where_arg = where_arg;
	return r;
}

/*
 * One row object at j->p into a new entry of kt: parsed and checked in
 * scratch, kept as its text plus what matching needs.  A row on one line
 * with the uniform spelling is written back as it is.
 */
static int
parse_row(struct rkmp_json_reader *j, struct rkmp_keytable *kt, size_t idx, struct rkmp_arena *scratch)
{
	struct rkmp_keytable_row row;
	struct rkmp_arena *keep = j->arena;
	struct entry *e;
	const char *start;
	bool alias = false;
	int r;

	rkmp_json_ws(j);
	start = j->p;
	j->arena = scratch;
	r = parse_row_obj(j, idx, &row, &alias, true);
	j->arena = keep;
	if (r == 0) {
		if ((e = kt_table_append(kt)) == NULL)
			r = rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
		else if ((r = kt_entry_set(kt, e, &row)) != 0)
			kt->n--;
		else {
			e->raw = start;
			e->raw_len = (size_t)(j->p - start);
			if (alias || memchr(start, '\n', e->raw_len) != NULL ||
			    memchr(start, '\r', e->raw_len) != NULL)
				e->raw = NULL;	/* rewritten: keep the text for kt_entry_row */
			if (e->raw == NULL) {
				/* build the row now: the text is not written back as it is */
				struct rkmp_keytable_row *pr = rkmp_arena_alloc(&kt->arena, sizeof(*pr));
				struct rkmp_json_reader t;

				rkmp_json_init(&t, start, (size_t)(j->end - start), j->name, &kt->arena);
				t.start = j->start;
				if (pr == NULL || parse_row_obj(&t, idx, pr, &alias, false) != 0)
					r = rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
				e->row = pr;
			}
		}
	}
	/* forget the scratch arena's contents (wiped: they hold a key) but keep its memory */
	rkmp_arena_reset(scratch);
	return r;
}

/* The rows of a JSON array whose '[' was just read, through its ']'. */
static int
parse_row_array(struct rkmp_json_reader *j, struct rkmp_keytable *kt, size_t *idx, struct rkmp_arena *scratch)
{
	int r;

	if (rkmp_json_peek(j, ']')) {
		j->p++;
		return 0;
	}
	for (;;) {
		if ((r = parse_row(j, kt, (*idx)++, scratch)) != 0)
			return r;
		if (!rkmp_json_peek(j, ','))
			return rkmp_json_expect(j, ']', "',' or ']' expected");
		j->p++;
	}
}

/* The public row of entry i, built from its text on first use; NULL: no memory. */
struct rkmp_keytable_row *
kt_entry_row(struct rkmp_keytable *kt, size_t i)
{
	struct entry *e = &kt->v[i];
	struct rkmp_keytable_row *r;
	struct rkmp_json_reader t;
	bool alias = false;

	if (e->row != NULL)
		return e->row;
	if (e->raw == NULL || (r = rkmp_arena_alloc(&kt->arena, sizeof(*r))) == NULL)
		return NULL;
	rkmp_json_init(&t, e->raw, e->raw_len, NULL, &kt->arena);
	if (parse_row_obj(&t, i, r, &alias, false) != 0)
		return NULL;
	e->row = r;
	return r;
}

static int
parse_begin(struct rkmp_keytable *kt, const char *name, const char *text, size_t len,
    struct rkmp_json_reader *j)
{
	/* rows are kept as their text: it is never written to */
	rkmp_json_init(j, text, len, name, &kt->arena);
	/* rows are at least ~300 octets: one allocation, not twenty */
	if (kt_table_reserve(kt, kt->n + len / 300 + 16) != 0)
		return rkmp_err_set(RKMP_E_NOMEM, name, "out of memory");
	return rkmp_json_text_begin(j);
}

/* A table document (text belongs to kt and must live as long). */
static int
parse_doc_in(struct rkmp_keytable *kt, const char *name, const char *text, size_t len,
    struct rkmp_arena *scratch_)
{
#define scratch (*scratch_)
	struct rkmp_json_reader j;
	bool have_format = false, have_version = false, have_rows = false;
	int r;

	if ((r = parse_begin(kt, name, text, len, &j)) != 0)
		return r;
	if (!rkmp_json_peek(&j, '{'))
		return rkmp_json_fail(&j, "an object expected");
	j.p++;
	if (rkmp_json_peek(&j, '}'))
		j.p++;
	else
		for (;;) {
			char key[64], b[80];
			size_t kl;

			if ((r = rkmp_json_name_buf(&j, key, sizeof(key), &kl)) != 0 ||
			    (r = rkmp_json_expect(&j, ':', "':' expected")) != 0)
				return r;
			if (strcmp(key, "format") == 0 && !have_format) {
				char *f;

				have_format = true;
				if (!rkmp_json_peek(&j, '"'))
					return rkmp_err_set(RKMP_E_STATE, name, "format: a string "
					    "expected, not %s", rkmp_json_kind(&j));
				if ((r = rkmp_json_string(&j, &f, NULL)) != 0)
					return r;
				if (strcmp(f, RKMP_KEYTABLE_FORMAT) != 0)
					return rkmp_err_set(RKMP_E_STATE, name, "format %s: not a key "
					    "table (%s)", kt_q(f, b, sizeof(b)), RKMP_KEYTABLE_FORMAT);
			} else if (strcmp(key, "version") == 0 && !have_version) {
				struct rkmp_json_frame vf = { .name = "version", .nlen = 7 };
				const char *vs;
				size_t n;

				have_version = true;
				rkmp_json_ws(&j);
				if (j.p >= j.end || !((*j.p >= '0' && *j.p <= '9') || *j.p == '-'))
					return rkmp_err_set(RKMP_E_STATE, name, "version: a number "
					    "expected, not %s", rkmp_json_kind(&j));
				j.at = &vf;
				r = rkmp_json_number(&j, &vs, &n);
				j.at = NULL;
				if (r != 0)
					return r;
				if (n != 1 || *vs != '1')
					return rkmp_err_set(RKMP_E_STATE, name, "version %.*s: unknown "
					    "(this rkmp reads version %d)", (int)(n < 20 ? n : 20), vs,
					    RKMP_KEYTABLE_VERSION);
			} else if (strcmp(key, "rows") == 0 && !have_rows) {
				size_t idx = 0;

				have_rows = true;
				if (!rkmp_json_peek(&j, '['))
					return rkmp_err_set(RKMP_E_STATE, name, "rows: an array "
					    "expected, not %s", rkmp_json_kind(&j));
				j.p++;
				if ((r = parse_row_array(&j, kt, &idx, &scratch)) != 0)
					return r;
			} else if (strcmp(key, "format") == 0 || strcmp(key, "version") == 0 ||
			    strcmp(key, "rows") == 0)
				/* names are compared unescaped (rkmp_json_name_buf) */
				return rkmp_err_set(RKMP_E_STATE, name, "%s given twice", key);
			else
				return rkmp_err_set(RKMP_E_STATE, name, "unknown key %s",
				    kt_q(key, b, sizeof(b)));
			if (rkmp_json_peek(&j, ',')) {
				j.p++;
				continue;
			}
			if ((r = rkmp_json_expect(&j, '}', "',' or '}' expected")) != 0)
				return r;
			break;
		}
	if ((r = rkmp_json_text_end(&j)) != 0)
		return r;
	if (!have_format || !have_version || !have_rows)
		return rkmp_err_set(RKMP_E_STATE, name, "%s missing: not a key table",
		    !have_format ? "format" : !have_version ? "version" : "rows");
	return kt_check_unique(kt, name);
#undef scratch
}

int
kt_parse_doc(struct rkmp_keytable *kt, const char *name, const char *text, size_t len)
{
	struct rkmp_arena scratch = { 0 };
	int r = parse_doc_in(kt, name, text, len, &scratch);

	rkmp_arena_free(&scratch);
	return r;
}

int
rkmp_keytable_parse(struct rkmp_keytable *kt, const char *name, const char *text, size_t len)
{
	char *buf = kt_text_new(kt, len + 1);

	if (buf == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, name, "out of memory");
	memcpy(buf, text, len);
	buf[len] = '\0';
	return kt_parse_doc(kt, name, buf, len);
}

static int parse_rows_in(struct rkmp_keytable *, const char *, const char *, size_t,
    struct rkmp_arena *);

int
rkmp_keytable_parse_rows(struct rkmp_keytable *kt, const char *name, const char *text,
    size_t len)
{
	char *buf = kt_text_new(kt, len + 1);
	struct rkmp_arena scratch = { 0 };
	int r;

	if (buf == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, name, "out of memory");
	memcpy(buf, text, len);
	buf[len] = '\0';
	r = parse_rows_in(kt, name, buf, len, &scratch);
	rkmp_arena_free(&scratch);
	return r;
}

static int
parse_rows_in(struct rkmp_keytable *kt, const char *name, const char *buf, size_t len,
    struct rkmp_arena *scratch_)
{
#define scratch (*scratch_)
	struct rkmp_json_reader j;
	size_t idx = 0, first = kt->n;
	int r;

	if ((r = parse_begin(kt, name, buf, len, &j)) != 0)
		return r;
	rkmp_json_ws(&j);
	if (j.p < j.end && *j.p == '[') {
		j.p++;
		if ((r = parse_row_array(&j, kt, &idx, &scratch)) != 0)
			return r;
	} else
		while (rkmp_json_ws(&j), j.p < j.end)
			if ((r = parse_row(&j, kt, idx++, &scratch)) != 0)
				return r;
	if ((r = rkmp_json_text_end(&j)) != 0)
		return r;
	if (kt->n == first)
		return rkmp_err_set(RKMP_E_STATE, name, "no row");
	return kt_check_unique(kt, name);
#undef scratch
}

/* ================================================================ rows: JSON out */

/* Rows are written with json_write.c: spaced (", " and ": ") in the file,
 * compact on stdout. */

static void
put_set(struct rkmp_jw *w, enum col c, const char *const *v, size_t n)
{
	rkmp_jw_key(w, col_names[c]);
	rkmp_jw_array(w);
	for (size_t i = 0; i < n; i++)
		rkmp_jw_str(w, v[i]);
	rkmp_jw_array_end(w);
}

static void
put_col(struct rkmp_jw *w, enum col c, const char *v)
{
	rkmp_jw_key(w, col_names[c]);
	rkmp_jw_str(w, v);
}

static void
put_time(struct rkmp_jw *w, enum col c, int64_t t)
{
	char s[16];

	rkmp_keytable_time_format(t, s);
	put_col(w, c, s);
}

/* x-rkmp: the known members in a fixed order, then the others as read (minified). */
static void
put_x(struct rkmp_jw *w, const struct rkmp_keytable_x *x)
{
	const char *names[] = { "child_spi_local", "child_spi_peer", "rkmp_sa", "role", "state" };
	const char *vals[] = { x->child_spi_local, x->child_spi_peer, x->rkmp_sa, x->role,
	    x->state };

	rkmp_jw_key(w, col_names[C_X]);
	rkmp_jw_object(w);
	if (x->proto_id >= 0) {
		RKMP_JW_KEY(w, "proto_id");
		rkmp_jw_int(w, x->proto_id);
	}
	for (size_t i = 0; i < nitems(names); i++)
		if (vals[i] != NULL) {
			rkmp_jw_key(w, names[i]);
			rkmp_jw_str(w, vals[i]);
		}
	if (x->extra != NULL)
		rkmp_jw_raw_members(w, x->extra, strlen(x->extra));
	rkmp_jw_object_end(w);
}

/* One row, columns in RFC 7210 order; ProtocolSpecificInfo as read (minified). */
static int
row_json(const struct rkmp_keytable_row *r, bool compact, struct rkmp_buf *b)
{
	struct rkmp_jw w;

	rkmp_jw_init(&w, b, !compact);
	rkmp_jw_object(&w);
	put_col(&w, C_ADMIN, r->admin_name);
	put_col(&w, C_LOCAL, r->local_name);
	put_col(&w, C_PEERNAME, r->peer_name);
	put_set(&w, C_PEERS, r->peers, r->npeers);
	put_set(&w, C_IFACES, r->interfaces, r->ninterfaces);
	put_col(&w, C_PROTO, rkmp_keytable_protocol_name(r->protocol));
	rkmp_jw_key(&w, col_names[C_PSI]);
	rkmp_jw_raw(&w, r->psi, strlen(r->psi));
	put_col(&w, C_KDF, r->kdf);
	put_col(&w, C_ALG, r->alg_id);
	rkmp_jw_key(&w, col_names[C_KEY]);
	rkmp_jw_hex(&w, r->key, r->key_len);
	put_col(&w, C_DIR, rkmp_keytable_dir_name(r->direction));
	put_time(&w, C_SS, r->send_start);
	put_time(&w, C_SE, r->send_end);
	put_time(&w, C_AS, r->accept_start);
	put_time(&w, C_AE, r->accept_end);
	if (r->x.present)
		put_x(&w, &r->x);
	rkmp_jw_object_end(&w);
	return rkmp_jw_finish(&w);
}

int
rkmp_keytable_row_json(const struct rkmp_keytable_row *row, bool compact, struct rkmp_buf *out)
{
	struct rkmp_buf b;

	rkmp_buf_init(&b, RKMP_KEYTABLE_FILE_MAX);
	row_json(row, compact, &b);
	return kt_buf_to(&b, out);
}

int
kt_table_doc(const struct rkmp_keytable *kt, struct rkmp_buf *b)
{
	struct rkmp_jw w;

	/* one allocation: rows come out at about the size they went in */
	rkmp_buf_reserve(b, 256 + kt->n * 720);
	kt_put_str(b, "{\n  \"format\": \"" RKMP_KEYTABLE_FORMAT "\",\n  \"version\": ");
	rkmp_jw_init(&w, b, true);
	rkmp_jw_int(&w, RKMP_KEYTABLE_VERSION);
	kt_put_str(b, ",\n  \"rows\": [");
	for (size_t i = 0; i < kt->n && b->err == 0; i++) {
		const struct entry *e = &kt->v[i];
		const struct rkmp_keytable_row *r;

		kt_put_str(b, i == 0 ? "\n    " : ",\n    ");
		/* a row read on one line and not changed: as it was */
		if (e->raw != NULL)
			rkmp_buf_put(b, e->raw, e->raw_len);
		else if ((r = rkmp_keytable_at(kt, i)) != NULL)
			row_json(r, false, b);
		else
			return b->err = rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	}
	kt_put_str(b, kt->n > 0 ? "\n  ]\n}\n" : "]\n}\n");
	return kt_buf_err(b);
}

int
rkmp_keytable_format(const struct rkmp_keytable *kt, struct rkmp_buf *out)
{
	struct rkmp_buf b;

	rkmp_buf_init(&b, RKMP_KEYTABLE_FILE_MAX);
	kt_table_doc(kt, &b);
	return kt_buf_to(&b, out);
}

/* SPDX-License-Identifier: MIT */
/*
 * kt_json.c — the key table's JSON (keytable.h, DESIGN.md §10): the reader
 * of a table document and of rows to insert, and the writer of both.
 *
 * The table is read with a JSON reader of its own rather than with jansson:
 * a table of 10,000 rows is about 8 MB, which jansson takes half a second to
 * parse on a lab machine, while a routing protocol asks for a key per
 * session.  The reader is a complete RFC 8259 parser (UTF-8 checked,
 * duplicate member names refused after unescaping, numbers within I-JSON's
 * range) that knows the columns of a row.
 *
 * Rows inserted or changed are written with json_write.c, one per line, in
 * a fixed column order, with the free-form objects (ProtocolSpecificInfo,
 * unknown x-rkmp members) minified, so two saves of the same table are the
 * same bytes; compact (no white space) for stdout.
 */
#include <inttypes.h>
#include <math.h>
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

/* ================================================================ UTF-8, JSON text out */

/* Length of the valid UTF-8 sequence at p (1-4), or 0. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

bool
kt_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);

	while (p < end) {
		size_t n = utf8_len(p, end);

		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

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

/* ================================================================ JSON reader */

/*
 * The reader follows RFC 8259 strictly (DESIGN.md §10): UTF-8 only, no lone
 * surrogates, no \u0000 (as jansson), no leading zeros, no trailing commas,
 * nesting within KT_DEPTH_MAX, member names once each after unescaping, in
 * every object at any position, and I-JSON's numbers (RFC 7493 §2.2):
 * integers within ±(2^53-1), other numbers within an IEEE 754 double.
 */
#define KT_INT_DIGITS	"9007199254740991"	/* KT_INT_LIMIT's digits */

/* Where the reader is, for messages: "ProtocolSpecificInfo.send[2].flag". */
struct jframe {
	const struct jframe *up;
	const char	*name;		/* the member being read (unescaped), in an object */
	size_t		 nlen;
	size_t		 idx;		/* the element being read, in an array */
	bool		 arr;
};

/*
 * The reader never writes to the text it reads (a big table is a read-only
 * mapping of the file): strings are decoded into the arena it is given.
 */
struct jr {
	const char	*start, *p, *end;
	const char	*name;		/* file name for errors */
	struct rkmp_arena *arena;
	int		 depth;
	bool		 check;		/* free-form values only checked, not kept */
	const struct jframe *at;	/* innermost frame, NULL: none */
	bool		 in_row;	/* messages start "row N: " */
	size_t		 row;
};

/*
 * The member names of one object, to refuse a name given twice: a linear
 * scan while the object is small (a row's objects have a few members), a
 * hash set once it is not.  Names point into the text (no escapes) or into
 * the arena (decoded).
 */
#define NAMES_LINEAR	16

struct jname {
	const char	*s;
	size_t		 n;
};

struct names {
	struct jname	 v[NAMES_LINEAR];
	size_t		 n;		/* names so far */
	struct jname	*slot;		/* the hash set, NULL while linear */
	size_t		 cap;		/* its slots: a power of 2 */
};

static uint64_t
name_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* Into a hash set with room; true when the name is there already. */
static bool
slot_put(struct jname *slot, size_t cap, const char *s, size_t n)
{
	size_t i = (size_t)name_hash(s, n) & (cap - 1);

	for (; slot[i].s != NULL; i = (i + 1) & (cap - 1))
		if (slot[i].n == n && memcmp(slot[i].s, s, n) == 0)
			return true;
	slot[i].s = s;
	slot[i].n = n;
	return false;
}

static int
names_grow(struct names *ns, size_t cap)
{
	struct jname *slot = calloc(cap, sizeof(*slot));

	if (slot == NULL)
		return -1;
	if (ns->slot == NULL)
		for (size_t i = 0; i < ns->n; i++)
			slot_put(slot, cap, ns->v[i].s, ns->v[i].n);
	else
		for (size_t i = 0; i < ns->cap; i++)
			if (ns->slot[i].s != NULL)
				slot_put(slot, cap, ns->slot[i].s, ns->slot[i].n);
	free(ns->slot);
	ns->slot = slot;
	ns->cap = cap;
	return 0;
}

/* 0: added; 1: the object has it already; -1: out of memory. */
static inline int
names_add(struct names *ns, const char *s, size_t n)
{
	if (ns->slot == NULL) {
		for (size_t i = 0; i < ns->n; i++)
			if (ns->v[i].n == n && memcmp(ns->v[i].s, s, n) == 0)
				return 1;
		if (ns->n < NAMES_LINEAR) {
			ns->v[ns->n].s = s;
			ns->v[ns->n++].n = n;
			return 0;
		}
		if (names_grow(ns, 4 * NAMES_LINEAR) != 0)
			return -1;
	} else if (2 * (ns->n + 1) > ns->cap && names_grow(ns, 2 * ns->cap) != 0)
		return -1;
	if (slot_put(ns->slot, ns->cap, s, n))
		return 1;
	ns->n++;
	return 0;
}

static inline void
names_free(struct names *ns)
{
	if (ns->slot != NULL) {
		free(ns->slot);
		ns->slot = NULL;
	}
	ns->n = 0;
}

/* Where jr_value writes a value minified: a buffer, or in place (w <= p). */
struct jout {
	struct rkmp_buf	*b;
	char		*w;
};

static void
jout_put(struct jout *o, const char *s, size_t n)
{
	if (o == NULL)
		return;
	if (o->b != NULL)
		rkmp_buf_put(o->b, s, n);
	else {
		memmove(o->w, s, n);
		o->w += n;
	}
}

static int
jr_fail(const struct jr *j, const char *what)
{
	int line = 1, col = 1;

	for (const char *q = j->start; q < j->p && q < j->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	/* The text near the error is not quoted: it may be a key. */
	return rkmp_err_set(RKMP_E_STATE, j->name ? j->name : "", "not JSON: line %d column %d: %s",
	    line, col, what);
}

/* A member name after a '.' of a path as it is: letters, digits, '_', '-'. */
static bool
name_plain(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* The path of frame f, appended at buf + *o (jq's spelling, without the leading '.'). */
static void
path_put(const struct jframe *f, char *buf, size_t cap, size_t *o)
{
	char tmp[72], b[80];
	int n;

	if (f == NULL)
		return;
	path_put(f->up, buf, cap, o);
	if (*o >= cap - 1)
		return;
	if (f->arr)
		n = snprintf(buf + *o, cap - *o, "[%zu]", f->idx);
	else if (f->name == NULL)
		return;
	else if (name_plain(f->name, f->nlen))
		n = snprintf(buf + *o, cap - *o, "%s%.*s", f->up ? "." : "", (int)f->nlen, f->name);
	else {
		size_t k = f->nlen < sizeof(tmp) - 1 ? f->nlen : sizeof(tmp) - 1;

		memcpy(tmp, f->name, k);
		tmp[k] = '\0';
		n = snprintf(buf + *o, cap - *o, "[%s]", kt_q(tmp, b, sizeof(b)));
	}
	if (n > 0)
		*o += (size_t)n < cap - *o ? (size_t)n : cap - *o - 1;
}

/*
 * A refusal at frame f of the value being read: "row 3: ProtocolSpecificInfo.a"
 * and the message (which brings its own ": ").
 */
static int
jr_pfail(const struct jr *j, const struct jframe *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
jr_pfail(const struct jr *j, const struct jframe *f, const char *fmt, ...)
{
	char path[256] = "", msg[320];
	size_t o = 0;
	va_list ap;

	path_put(f, path, sizeof(path), &o);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (j->in_row)
		return rkmp_err_set(RKMP_E_STATE, j->name ? j->name : "", "row %zu: %s%s", j->row,
		    path, msg);
	return rkmp_err_set(RKMP_E_STATE, j->name ? j->name : "", "%s%s", path, msg);
}

static void
jr_ws(struct jr *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool
jr_peek(struct jr *j, char c)
{
	jr_ws(j);
	return j->p < j->end && *j->p == c;
}

static int
jr_expect(struct jr *j, char c, const char *what)
{
	if (!jr_peek(j, c))
		return jr_fail(j, what);
	j->p++;
	return 0;
}

/* Bytes a string scan must stop at: '"', '\\', control characters, non-ASCII. */
static const unsigned char str_stop[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

/* Whether none of 8 bytes is one a string scan stops at (false alarms allowed). */
static inline bool
word_plain(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t qt = x ^ (ones * '"'), bs = x ^ (ones * '\\');

	return (((qt - ones) & ~qt) | ((bs - ones) & ~bs) | ((x - ones * 0x20) & ~x) | x) &
	    high ? false : true;
}

/*
 * A string at j->p, checked.  With out, its value too: decoded in place when
 * the text is writable, else into the arena; NUL-terminated either way.
 * *escp (when not NULL): whether it has escapes.
 */
static int
jr_string_esc(struct jr *j, char **out, size_t *outlen, bool *escp)
{
	const unsigned char *p, *end = (const unsigned char *)j->end;
	const char *s;
	char *d, *w;
	bool esc = false;

	jr_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return jr_fail(j, "a string expected");
	s = ++j->p;
	p = (const unsigned char *)s;
	for (;;) {
		while (end - p >= 8) {
			uint64_t x;

			memcpy(&x, p, 8);
			if (!word_plain(x))
				break;
			p += 8;
		}
		while (p < end && !str_stop[*p])
			p++;
		if (p >= end)
			break;
		if (*p == '"')
			break;
		if (*p < 0x20) {
			j->p = (const char *)p;
			return jr_fail(j, "control character in a string");
		}
		if (*p == '\\') {
			esc = true;
			if (end - p < 2) {	/* a backslash at the very end */
				p = end;
				break;
			}
			p += 2;
			continue;
		}
		{
			size_t n = utf8_len(p, end);

			if (n == 0) {
				j->p = (const char *)p;
				return jr_fail(j, "invalid UTF-8 in a string");
			}
			p += n;
		}
	}
	if (p >= end) {
		j->p = j->end;
		return jr_fail(j, "unterminated string");
	}
	j->p = (const char *)p;
	if (escp != NULL)
		*escp = esc;
	if (out == NULL && !esc) {
		j->p++;
		return 0;
	}
	d = NULL;
	if (out != NULL) {
		if ((d = rkmp_arena_alloc(j->arena, (size_t)(j->p - s) + 1)) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
	}
	w = d;
	if (!esc) {
		if (d != s)
			memcpy(d, s, (size_t)(j->p - s));
		w = d + (j->p - s);
	} else {
		const char *q = s;

		while (q < j->p) {
			const char *bs = q;	/* errors point at the backslash */
			uint32_t cp;

			if (*q != '\\') {
				if (w)
					*w++ = *q;
				q++;
				continue;
			}
			q++;
			switch (*q) {
			case '"': case '\\': case '/':
				cp = (unsigned char)*q;
				break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u': {
				int h[4];

				if (j->p - q < 5) {
					j->p = bs;
					return jr_fail(j, "short \\u escape");
				}
				for (int i = 0; i < 4; i++)
					if ((h[i] = rkmp_hex_digit((unsigned char)q[1 + i])) < 0) {
						j->p = bs;
						return jr_fail(j, "bad \\u escape");
					}
				cp = (uint32_t)(h[0] << 12 | h[1] << 8 | h[2] << 4 | h[3]);
				q += 4;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					uint32_t lo = 0;
					bool ok = j->p - q >= 7 && q[1] == '\\' && q[2] == 'u';

					for (int i = 0; ok && i < 4; i++) {
						int v = rkmp_hex_digit((unsigned char)q[3 + i]);

						ok = v >= 0;
						lo = lo << 4 | (uint32_t)(v < 0 ? 0 : v);
					}
					if (!ok || lo < 0xdc00 || lo > 0xdfff) {
						j->p = bs;
						return jr_fail(j, "unpaired surrogate in a \\u escape");
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					q += 6;
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					j->p = bs;
					return jr_fail(j, "unpaired surrogate in a \\u escape");
				}
				if (cp == 0) {
					j->p = bs;
					return jr_fail(j, "\\u0000 in a string");
				}
				break;
			}
			default:
				j->p = bs;
				return jr_fail(j, "bad escape in a string");
			}
			q++;
			if (w == NULL)
				continue;
			if (cp < 0x80)
				*w++ = (char)cp;
			else if (cp < 0x800) {
				*w++ = (char)(0xc0 | cp >> 6);
				*w++ = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				*w++ = (char)(0xe0 | cp >> 12);
				*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
				*w++ = (char)(0x80 | (cp & 0x3f));
			} else {
				*w++ = (char)(0xf0 | cp >> 18);
				*w++ = (char)(0x80 | (cp >> 12 & 0x3f));
				*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
				*w++ = (char)(0x80 | (cp & 0x3f));
			}
		}
	}
	j->p++;
	if (out != NULL) {
		*w = '\0';
		*out = d;
		if (outlen != NULL)
			*outlen = (size_t)(w - d);
	}
	return 0;
}

static int
jr_string(struct jr *j, char **out, size_t *outlen)
{
	return jr_string_esc(j, out, outlen, NULL);
}

/* A number out of I-JSON's range: the path, the number (cut) and why. */
static int
jr_range(const struct jr *j, const char *s, size_t n, const char *what, const char *why)
{
	return jr_pfail(j, j->at, ": %s %.*s%s out of range: %s (I-JSON, RFC 7493 §2.2)", what,
	    (int)(n > 40 ? 40 : n), s, n > 40 ? "..." : "", why);
}

/*
 * A number's span, checked against RFC 8259's grammar and I-JSON's range:
 * an integer (no fraction, no exponent) within ±(2^53-1); any other number
 * within an IEEE 754 double's magnitude, as jansson reads it (a value that
 * underflows is kept; its precision is not checked).  Kept as written.
 */
static int
jr_number(struct jr *j, const char **sp, size_t *len)
{
	const char *s = j->p, *ip, *fp = NULL, *ep = NULL;
	size_t il, fl = 0;
	long mag, e = 0;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return jr_fail(j, "bad number");
	ip = j->p;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	il = (size_t)(j->p - ip);
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jr_fail(j, "bad number");
		fp = j->p;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
		fl = (size_t)(j->p - fp);
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		ep = j->p;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jr_fail(j, "bad number");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
			if (e < 100000000)
				e = e * 10 + (*j->p - '0');
			j->p++;
		}
		if (*ep == '-')
			e = -e;
	}
	*sp = s;
	*len = (size_t)(j->p - s);
	if (fp == NULL && ep == NULL) {
		/* no leading zeros: the digits compare as numbers */
		if (il > 16 || (il == 16 && memcmp(ip, KT_INT_DIGITS, 16) > 0))
			return jr_range(j, s, *len, "integer", "integers are within ±(2^53-1)");
		return 0;
	}
	/* the power of ten of the first significant digit */
	if (*ip != '0')
		mag = (long)il - 1;
	else {
		size_t k = 0;

		while (k < fl && fp[k] == '0')
			k++;
		if (k == fl)
			return 0;	/* zero */
		mag = -(long)k - 1;
	}
	mag += e;
	if (mag < 308)
		return 0;
	if (mag == 308) {	/* around DBL_MAX (1.8e308): as strtod rounds it */
		char *c = malloc(*len + 1);
		double v;

		if (c == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
		memcpy(c, s, *len);
		c[*len] = '\0';
		v = strtod(c, NULL);
		free(c);
		if (v != HUGE_VAL && v != -HUGE_VAL)
			return 0;
	}
	return jr_range(j, s, *len, "number", "beyond an IEEE 754 double");
}

static const char *
jr_kind(struct jr *j)
{
	jr_ws(j);
	if (j->p >= j->end)
		return "the end of the text";
	switch (*j->p) {
	case '"': return "a string";
	case '{': return "an object";
	case '[': return "an array";
	case 't': case 'f': return "a boolean";
	case 'n': return "null";
	case '}': return "'}'";
	case ']': return "']'";
	case ',': return "','";
	case ':': return "':'";
	default: return "a number";
	}
}

/* A member name given twice (the spelling too when it is not the name: a search finds it). */
static int
jr_dup(const struct jr *j, const struct jframe *fr, const char *ks, const char *ke)
{
	char sp[72], b[80];
	size_t k = (size_t)(ke - ks) - 2;
	bool spelled = fr->name != ks + 1;

	if (spelled) {
		if (k > sizeof(sp) - 1)
			k = sizeof(sp) - 1;
		memcpy(sp, ks + 1, k);
		sp[k] = '\0';
	}
	return jr_pfail(j, fr, " given twice%s%s", spelled ? ", once as " : "",
	    spelled ? kt_q(sp, b, sizeof(b)) : "");
}

/*
 * A member name at j->p (after white space), checked, into fr->name
 * unescaped (in the text when it has no escapes, else in the arena), and
 * refused when the object has it already (ns; NULL: the caller checks).
 */
static inline int
jr_member(struct jr *j, struct names *ns, struct jframe *fr)
{
	const char *ks = j->p;
	char *d;
	size_t n;
	bool esc;
	int r;

	if ((r = jr_string_esc(j, NULL, NULL, &esc)) != 0)
		return r;
	fr->name = ks + 1;
	fr->nlen = (size_t)(j->p - ks) - 2;
	if (esc) {
		const char *ke = j->p;

		j->p = ks;
		if ((r = jr_string(j, &d, &n)) != 0)
			return r;
		fr->name = d;
		fr->nlen = n;
		j->p = ke;
	}
	if (ns == NULL || (r = names_add(ns, fr->name, fr->nlen)) == 0)
		return 0;
	if (r > 0)
		return jr_dup(j, fr, ks, j->p);
	return rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
}

/*
 * Any value, checked (member names of an object once each, after
 * unescaping), and written minified to out when out is not NULL.
 */
static int
jr_value(struct jr *j, struct jout *out)
{
	int r;

	jr_ws(j);
	if (j->p >= j->end)
		return jr_fail(j, "a value expected");
	switch (*j->p) {
	case '"': {
		const char *s = j->p;

		if ((r = jr_string(j, NULL, NULL)) != 0)
			return r;
		jout_put(out, s, (size_t)(j->p - s));
		return 0;
	}
	case '{':
	case '[': {
		bool obj = *j->p == '{';
		char close = obj ? '}' : ']';
		struct jframe fr = { j->at, NULL, 0, 0, !obj };
		struct names ns;

		if (++j->depth > KT_DEPTH_MAX)
			return jr_fail(j, "nested too deep");
		jout_put(out, j->p, 1);
		j->p++;
		if (jr_peek(j, close)) {
			j->p++;
			j->depth--;
			jout_put(out, &close, 1);
			return 0;
		}
		ns.n = 0;
		ns.slot = NULL;
		j->at = &fr;
		for (bool first = true;; first = false) {
			if (!first)
				jout_put(out, ",", 1);
			if (obj) {
				const char *ks = (jr_ws(j), j->p);

				if ((r = jr_member(j, &ns, &fr)) != 0)
					break;
				jout_put(out, ks, (size_t)(j->p - ks));
				jout_put(out, ":", 1);
				if ((r = jr_expect(j, ':', "':' expected")) != 0)
					break;
			}
			if ((r = jr_value(j, out)) != 0)
				break;
			if (jr_peek(j, ',')) {
				j->p++;
				fr.idx++;
				continue;
			}
			r = jr_expect(j, close, obj ? "',' or '}' expected" : "',' or ']' expected");
			break;
		}
		names_free(&ns);
		j->at = fr.up;
		if (r != 0)
			return r;
		j->depth--;
		jout_put(out, &close, 1);
		return 0;
	}
	case 't':
	case 'f':
	case 'n': {
		const char *w = *j->p == 't' ? "true" : *j->p == 'f' ? "false" : "null";
		size_t n = strlen(w);

		if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
			return jr_fail(j, "a value expected");
		jout_put(out, w, n);
		j->p += n;
		return 0;
	}
	default: {
		const char *s;
		size_t n;

		if ((r = jr_number(j, &s, &n)) != 0)
			return r;
		jout_put(out, s, n);
		return 0;
	}
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

static int parse_x(struct jr *j, size_t idx, struct rkmp_keytable_x *x);

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
	struct jframe pf = { NULL, col_names[C_PSI], 20, 0, false };
	struct rkmp_keytable_x x;
	struct rkmp_arena a = { 0 };
	struct jr j;
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
	j = (struct jr){ text, text, text + strlen(text), where, &a, 0, true, NULL,
	    idx != SIZE_MAX, idx };
	jr_ws(&j);
	if (j.p >= j.end || *j.p != '{')
		r = kt_vfail(where, idx, "%s: a JSON object expected", col);
	else {
		if (members_only)
			r = parse_x(&j, idx, &x);
		else {
			j.at = &pf;
			r = jr_value(&j, NULL);
		}
		/* a syntax error: the line and column would be of this text alone */
		if ((r == 0 && (jr_ws(&j), j.p != j.end)) ||
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
	struct jout o = { &b, NULL };
	struct jr j;
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
	j = (struct jr){ text, text, text + strlen(text), NULL, a, 0, false, NULL, false, 0 };
	r = jr_value(&j, &o);
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
rfail(const struct jr *j, size_t idx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
rfail(const struct jr *j, size_t idx, const char *fmt, ...)
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

/* A member name, decoded into buf (names longer than buf are cut: they are unknown). */
static int
jr_name(struct jr *j, char *buf, size_t cap, size_t *len)
{
	struct rkmp_arena_mark mark = rkmp_arena_mark(j->arena);
	const char *p;
	char *s;
	size_t n;
	int r;

	/* plain ASCII without escapes, the usual case: straight from the text */
	jr_ws(j);
	if (j->p < j->end && *j->p == '"') {
		for (p = j->p + 1; p < j->end && *p != '"' && *p != '\\' &&
		    (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80; p++)
			;
		if (p < j->end && *p == '"') {
			n = (size_t)(p - j->p - 1);
			if (n >= cap)
				n = cap - 1;
			memcpy(buf, j->p + 1, n);
			buf[n] = '\0';
			*len = n;
			j->p = p + 1;
			return 0;
		}
	}
	if ((r = jr_string(j, &s, &n)) != 0)
		return r;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*len = n;
	/* give the arena back its bytes */
	rkmp_arena_rewind(j->arena, mark);
	return 0;
}

static int
jr_string_set(struct jr *j, size_t idx, const char *col, const char ***out, size_t *n)
{
	const char *tmp[KT_SET_MAX];
	size_t k = 0;
	int r;

	jr_ws(j);
	if (j->p >= j->end || *j->p != '[')
		return rfail(j, idx, "%s: an array of strings expected, not %s", col, jr_kind(j));
	j->p++;
	if (!jr_peek(j, ']'))
		for (;;) {
			char *s;

			jr_ws(j);
			if (j->p < j->end && *j->p != '"')
				return rfail(j, idx, "%s[%zu]: a string expected, not %s", col, k,
				    jr_kind(j));
			if (k == KT_SET_MAX)
				return rfail(j, idx, "%s: more than %d members", col, KT_SET_MAX);
			if ((r = jr_string(j, &s, NULL)) != 0)
				return r;
			tmp[k++] = s;
			if (jr_peek(j, ',')) {
				j->p++;
				continue;
			}
			if ((r = jr_expect(j, ']', "',' or ']' expected")) != 0)
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

/* A free-form value, minified (in place when the text is writable), into the arena. */
static int
jr_capture(struct jr *j, char **out)
{
	struct jout o = { NULL, NULL };
	const char *s;
	int r;

	jr_ws(j);
	s = j->p;
	if (j->check) {
		static char empty[] = "{}";

		*out = empty;
		return jr_value(j, NULL);
	}
	{
		/* the minified value is no longer than its text: an arena block that size */
		struct jr scan = *j;
		char *w0;

		if ((r = jr_value(&scan, NULL)) != 0)
			return r;
		if ((w0 = rkmp_arena_alloc(j->arena, (size_t)(scan.p - s) + 1)) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
		o.w = w0;
		if ((r = jr_value(j, &o)) != 0)
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
parse_x(struct jr *j, size_t idx, struct rkmp_keytable_x *x)
{
	static const char *const known[] = { "proto_id", "child_spi_local", "child_spi_peer",
	    "rkmp_sa", "role", "state" };
	static const size_t known_len[nitems(known)] = { 8, 15, 14, 7, 4, 5 };
	bool seen[nitems(known)] = { false };
	struct rkmp_buf extra;
	struct jframe xf = { j->at, "x-rkmp", 6, 0, false }, mf = { &xf, NULL, 0, 0, false };
	struct names ns;
	int r;

	rkmp_buf_init(&extra, RKMP_KEYTABLE_FILE_MAX);
	memset(x, 0, sizeof(*x));
	x->present = true;
	x->proto_id = -1;
	jr_ws(j);
	if (j->p >= j->end || *j->p != '{')
		return rfail(j, idx, "x-rkmp: an object expected, not %s", jr_kind(j));
	j->p++;
	ns.n = 0;
	ns.slot = NULL;
	j->at = &mf;
	if (jr_peek(j, '}')) {
		j->p++;
		goto done;
	}
	for (;;) {
		const char *ks, *ke;
		size_t k;

		/* the name as written is kept for extra; known names are matched unescaped */
		jr_ws(j);
		ks = j->p;
		if ((r = jr_member(j, NULL, &mf)) != 0)
			goto fail;
		ke = j->p;
		for (k = 0; k < nitems(known) && (known_len[k] != mf.nlen ||
		    memcmp(mf.name, known[k], mf.nlen) != 0); k++)
			;
		/* once each: the known ones by their flags, the others in ns */
		if (k < nitems(known)) {
			if (seen[k]) {
				r = jr_dup(j, &mf, ks, ke);
				goto fail;
			}
			seen[k] = true;
		} else if ((r = names_add(&ns, mf.name, mf.nlen)) != 0) {
			r = r > 0 ? jr_dup(j, &mf, ks, ke) :
			    rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
			goto fail;
		}
		if ((r = jr_expect(j, ':', "':' expected")) != 0)
			goto fail;
		if (k == 0) {
			const char *s;
			size_t n;
			char num[24];

			jr_ws(j);
			if (j->p >= j->end || !((*j->p >= '0' && *j->p <= '9') || *j->p == '-')) {
				r = rfail(j, idx, "x-rkmp.proto_id: a number expected, not %s",
				    jr_kind(j));
				goto fail;
			}
			if ((r = jr_number(j, &s, &n)) != 0)
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

			jr_ws(j);
			if (j->p >= j->end || *j->p != '"') {
				r = rfail(j, idx, "x-rkmp.%s: a string expected, not %s", known[k],
				    jr_kind(j));
				goto fail;
			}
			if ((r = jr_string(j, &s, NULL)) != 0)
				goto fail;
			*dst[k] = s;
		} else if (j->check) {
			/* unknown members are kept as they are */
			if ((r = jr_value(j, NULL)) != 0)
				goto fail;
		} else {
			struct jout o = { &extra, NULL };

			if (extra.len > 0)
				kt_put_str(&extra, ",");
			rkmp_buf_put(&extra, ks, (size_t)(ke - ks));
			kt_put_str(&extra, ":");
			if ((r = jr_value(j, &o)) != 0)
				goto fail;
		}
		if (jr_peek(j, ',')) {
			j->p++;
			continue;
		}
		if ((r = jr_expect(j, '}', "',' or '}' expected")) != 0)
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
	names_free(&ns);
	j->at = xf.up;
	rkmp_buf_free(&extra);
	return r;
}

/* The Key column: lowercase hex, even, into the arena.  The value is never quoted. */
static int
key_decode(struct jr *j, size_t idx, char *hex, const uint8_t **key, size_t *len)
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
 * *alias: a time was spelled "LifeTime".
 */
static int
parse_row_obj_in(struct jr *j, size_t idx, struct rkmp_keytable_row *row, bool *alias)
{
	struct raw_row raw;
	char b[80];
	int r, c;

	memset(&raw, 0, sizeof(raw));
	jr_ws(j);
	if (j->p >= j->end || *j->p != '{')
		return rfail(j, idx, "an object expected, not %s", jr_kind(j));
	j->p++;
	if (jr_peek(j, '}'))
		j->p++;
	else
		for (;;) {
			char name[64];
			size_t nl;

			if ((r = jr_name(j, name, sizeof(name), &nl)) != 0)
				return r;
			if ((r = jr_expect(j, ':', "':' expected")) != 0)
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
				r = jr_string_set(j, idx, "Peers", &raw.peers, &raw.npeers);
				break;
			case C_IFACES:
				r = jr_string_set(j, idx, "Interfaces", &raw.ifaces, &raw.nifaces);
				break;
			case C_PSI: {
				struct jframe pf = { j->at, col_names[C_PSI], 20, 0, false };

				jr_ws(j);
				if (j->p >= j->end || *j->p != '{')
					return rfail(j, idx, "ProtocolSpecificInfo: an object expected, "
					    "not %s", jr_kind(j));
				j->at = &pf;
				r = jr_capture(j, &raw.psi);
				j->at = pf.up;
				break;
			}
			case C_X:
				r = parse_x(j, idx, &raw.x);
				break;
			default:
				jr_ws(j);
				if (j->p >= j->end || *j->p != '"')
					return rfail(j, idx, "%s: a string expected, not %s",
					    col_names[c], jr_kind(j));
				r = jr_string(j, &raw.s[c], NULL);
			}
			if (r != 0)
				return r;
			if (jr_peek(j, ',')) {
				j->p++;
				continue;
			}
			if ((r = jr_expect(j, '}', "',' or '}' expected")) != 0)
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
parse_row_obj(struct jr *j, size_t idx, struct rkmp_keytable_row *row, bool *alias)
{
	bool in_row = j->in_row;
	size_t row_was = j->row;
	int r;

	/* messages from deep in a free-form value name the row too */
	j->in_row = true;
	j->row = idx;
	r = parse_row_obj_in(j, idx, row, alias);
	j->in_row = in_row;
	j->row = row_was;
	return r;
}

/*
 * One row object at j->p into a new entry of kt: parsed and checked in
 * scratch, kept as its text plus what matching needs.  A row on one line
 * with the uniform spelling is written back as it is.
 */
static int
parse_row(struct jr *j, struct rkmp_keytable *kt, size_t idx, struct rkmp_arena *scratch)
{
	struct rkmp_keytable_row row;
	struct rkmp_arena *keep = j->arena;
	struct entry *e;
	const char *start;
	bool alias = false;
	int r;

	jr_ws(j);
	start = j->p;
	j->arena = scratch;
	j->check = true;
	r = parse_row_obj(j, idx, &row, &alias);
	j->check = false;
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
				struct jr t = { j->start, start, j->end, j->name, &kt->arena, 0, false,
				    NULL, false, 0 };

				if (pr == NULL || parse_row_obj(&t, idx, pr, &alias) != 0)
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
parse_row_array(struct jr *j, struct rkmp_keytable *kt, size_t *idx, struct rkmp_arena *scratch)
{
	int r;

	if (jr_peek(j, ']')) {
		j->p++;
		return 0;
	}
	for (;;) {
		if ((r = parse_row(j, kt, (*idx)++, scratch)) != 0)
			return r;
		if (!jr_peek(j, ','))
			return jr_expect(j, ']', "',' or ']' expected");
		j->p++;
	}
}

/* The public row of entry i, built from its text on first use; NULL: no memory. */
struct rkmp_keytable_row *
kt_entry_row(struct rkmp_keytable *kt, size_t i)
{
	struct entry *e = &kt->v[i];
	struct rkmp_keytable_row *r;
	struct jr t;
	bool alias = false;

	if (e->row != NULL)
		return e->row;
	if (e->raw == NULL || (r = rkmp_arena_alloc(&kt->arena, sizeof(*r))) == NULL)
		return NULL;
	t = (struct jr){ e->raw, e->raw, e->raw + e->raw_len, NULL, &kt->arena, 0, false, NULL,
	    false, 0 };
	if (parse_row_obj(&t, i, r, &alias) != 0)
		return NULL;
	e->row = r;
	return r;
}

static int
parse_begin(struct rkmp_keytable *kt, const char *name, const char *text, size_t len,
    struct jr *j)
{
	/* rows are kept as their text: it is never written to */
	*j = (struct jr){ text, text, text + len, name, &kt->arena, 0, false, NULL, false, 0 };
	/* rows are at least ~300 octets: one allocation, not twenty */
	if (kt_table_reserve(kt, kt->n + len / 300 + 16) != 0)
		return rkmp_err_set(RKMP_E_NOMEM, name, "out of memory");
	/* a UTF-8 byte order mark is not JSON */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		return jr_fail(j, "a byte order mark");
	return 0;
}

static int
parse_end(struct jr *j)
{
	jr_ws(j);
	if (j->p != j->end)
		return jr_fail(j, "text after the end");
	return 0;
}

/* A table document (text belongs to kt and must live as long). */
static int
parse_doc_in(struct rkmp_keytable *kt, const char *name, const char *text, size_t len,
    struct rkmp_arena *scratch_)
{
#define scratch (*scratch_)
	struct jr j;
	bool have_format = false, have_version = false, have_rows = false;
	int r;

	if ((r = parse_begin(kt, name, text, len, &j)) != 0)
		return r;
	if (!jr_peek(&j, '{'))
		return jr_fail(&j, "an object expected");
	j.p++;
	if (jr_peek(&j, '}'))
		j.p++;
	else
		for (;;) {
			char key[64], b[80];
			size_t kl;

			if ((r = jr_name(&j, key, sizeof(key), &kl)) != 0 ||
			    (r = jr_expect(&j, ':', "':' expected")) != 0)
				return r;
			if (strcmp(key, "format") == 0 && !have_format) {
				char *f;

				have_format = true;
				if (!jr_peek(&j, '"'))
					return rkmp_err_set(RKMP_E_STATE, name, "format: a string "
					    "expected, not %s", jr_kind(&j));
				if ((r = jr_string(&j, &f, NULL)) != 0)
					return r;
				if (strcmp(f, RKMP_KEYTABLE_FORMAT) != 0)
					return rkmp_err_set(RKMP_E_STATE, name, "format %s: not a key "
					    "table (%s)", kt_q(f, b, sizeof(b)), RKMP_KEYTABLE_FORMAT);
			} else if (strcmp(key, "version") == 0 && !have_version) {
				struct jframe vf = { NULL, "version", 7, 0, false };
				const char *vs;
				size_t n;

				have_version = true;
				jr_ws(&j);
				if (j.p >= j.end || !((*j.p >= '0' && *j.p <= '9') || *j.p == '-'))
					return rkmp_err_set(RKMP_E_STATE, name, "version: a number "
					    "expected, not %s", jr_kind(&j));
				j.at = &vf;
				r = jr_number(&j, &vs, &n);
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
				if (!jr_peek(&j, '['))
					return rkmp_err_set(RKMP_E_STATE, name, "rows: an array "
					    "expected, not %s", jr_kind(&j));
				j.p++;
				if ((r = parse_row_array(&j, kt, &idx, &scratch)) != 0)
					return r;
			} else if (strcmp(key, "format") == 0 || strcmp(key, "version") == 0 ||
			    strcmp(key, "rows") == 0)
				/* names are compared unescaped (jr_name) */
				return rkmp_err_set(RKMP_E_STATE, name, "%s given twice", key);
			else
				return rkmp_err_set(RKMP_E_STATE, name, "unknown key %s",
				    kt_q(key, b, sizeof(b)));
			if (jr_peek(&j, ',')) {
				j.p++;
				continue;
			}
			if ((r = jr_expect(&j, '}', "',' or '}' expected")) != 0)
				return r;
			break;
		}
	if ((r = parse_end(&j)) != 0)
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
	struct jr j;
	size_t idx = 0, first = kt->n;
	int r;

	if ((r = parse_begin(kt, name, buf, len, &j)) != 0)
		return r;
	jr_ws(&j);
	if (j.p < j.end && *j.p == '[') {
		j.p++;
		if ((r = parse_row_array(&j, kt, &idx, &scratch)) != 0)
			return r;
	} else
		while (jr_ws(&j), j.p < j.end)
			if ((r = parse_row(&j, kt, idx++, &scratch)) != 0)
				return r;
	if ((r = parse_end(&j)) != 0)
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

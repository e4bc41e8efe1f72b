/* SPDX-License-Identifier: MIT */
/*
 * json_read.c — the library's one JSON reader (json.h, DESIGN.md §10): a
 * validating pull reader that follows RFC 8259 strictly and I-JSON's number
 * range, over a text it never writes to.  It agrees with jansson wherever
 * jansson follows the RFC (tests/unit/test_json.c reads a corpus and random
 * documents with both).  Grammars on top of it (the key table's rows,
 * kt_json.c) pull values one at a time and name where they are with frames.
 *
 * It is a parser of its own rather than jansson's trees for speed: a key
 * table of 10,000 rows is about 8 MB, which jansson takes half a second to
 * parse on a lab machine, while a routing protocol asks for a key per
 * session.  Strings are scanned 8 octets at a time and decoded only when
 * asked; numbers are checked, not converted.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "hex.h"
#include "json.h"

#define INT_DIGITS	"9007199254740991"	/* RKMP_JSON_INT_MAX's digits */

/* ================================================================ UTF-8 */

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
rkmp_json_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		size_t k = utf8_len(p, end);

		if (k == 0)
			return false;
		p += k;
	}
	return true;
}

/* ================================================================ member names */

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
slot_put(struct rkmp_json_name *slot, size_t cap, const char *s, size_t n)
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
names_grow(struct rkmp_json_names *ns, size_t cap)
{
	struct rkmp_json_name *slot = calloc(cap, sizeof(*slot));

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

int
rkmp_json_names_add(struct rkmp_json_names *ns, const char *s, size_t n)
{
	if (ns->slot == NULL) {
		for (size_t i = 0; i < ns->n; i++)
			if (ns->v[i].n == n && memcmp(ns->v[i].s, s, n) == 0)
				return 1;
		if (ns->n < RKMP_JSON_NAMES_LINEAR) {
			ns->v[ns->n].s = s;
			ns->v[ns->n++].n = n;
			return 0;
		}
		if (names_grow(ns, 4 * RKMP_JSON_NAMES_LINEAR) != 0)
			return -1;
	} else if (2 * (ns->n + 1) > ns->cap && names_grow(ns, 2 * ns->cap) != 0)
		return -1;
	if (slot_put(ns->slot, ns->cap, s, n))
		return 1;
	ns->n++;
	return 0;
}

void
rkmp_json_names_free(struct rkmp_json_names *ns)
{
	if (ns->slot != NULL) {
		free(ns->slot);
		ns->slot = NULL;
	}
	ns->n = 0;
}

/* ================================================================ the reader, its messages */

void
rkmp_json_init(struct rkmp_json_reader *j, const char *text, size_t len, const char *name,
    struct rkmp_arena *arena)
{
	*j = (struct rkmp_json_reader){ .start = text, .p = text, .end = text + len,
	    .name = name, .arena = arena };
}

int
rkmp_json_text_begin(struct rkmp_json_reader *j)
{
	/* RFC 8259 §8.1: a parser MAY ignore one; jansson refuses it, and so do we */
	if (j->end - j->p >= 3 && memcmp(j->p, "\xef\xbb\xbf", 3) == 0)
		return rkmp_json_fail(j, "a byte order mark");
	return 0;
}

int
rkmp_json_text_end(struct rkmp_json_reader *j)
{
	rkmp_json_ws(j);
	if (j->p != j->end)
		return rkmp_json_fail(j, "text after the end");
	return 0;
}

int
rkmp_json_fail(const struct rkmp_json_reader *j, const char *what)
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

const char *
rkmp_json_quote(const char *s, char *buf, size_t n)
{
	size_t o = 0;

	if (n < 8)
		return "";
	buf[o++] = '"';
	for (size_t i = 0; s[i] && o < n - 6; i++) {
		if (i == 64) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		buf[o++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
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
path_put(const struct rkmp_json_frame *f, char *buf, size_t cap, size_t *o)
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
		n = snprintf(buf + *o, cap - *o, "[%s]", rkmp_json_quote(tmp, b, sizeof(b)));
	}
	if (n > 0)
		*o += (size_t)n < cap - *o ? (size_t)n : cap - *o - 1;
}

int
rkmp_json_pfail(const struct rkmp_json_reader *j, const struct rkmp_json_frame *f,
    const char *fmt, ...)
{
	char pre[64] = "", path[256] = "", msg[320];
	size_t o = 0;
	va_list ap;

	if (j->where != NULL)
		j->where(j->where_arg, pre, sizeof(pre));
	path_put(f, path, sizeof(path), &o);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rkmp_err_set(RKMP_E_STATE, j->name ? j->name : "", "%s%s%s", pre, path, msg);
}

/* ================================================================ strings */

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
int
rkmp_json_string_esc(struct rkmp_json_reader *j, char **out, size_t *outlen, bool *escp)
{
	const unsigned char *p, *end = (const unsigned char *)j->end;
	const char *s;
	char *d, *w;
	bool esc = false;

	rkmp_json_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return rkmp_json_fail(j, "a string expected");
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
			return rkmp_json_fail(j, "control character in a string");
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
				return rkmp_json_fail(j, "invalid UTF-8 in a string");
			}
			p += n;
		}
	}
	if (p >= end) {
		j->p = j->end;
		return rkmp_json_fail(j, "unterminated string");
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
					return rkmp_json_fail(j, "short \\u escape");
				}
				for (int i = 0; i < 4; i++)
					if ((h[i] = rkmp_hex_digit((unsigned char)q[1 + i])) < 0) {
						j->p = bs;
						return rkmp_json_fail(j, "bad \\u escape");
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
						return rkmp_json_fail(j, "unpaired surrogate in a \\u escape");
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					q += 6;
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					j->p = bs;
					return rkmp_json_fail(j, "unpaired surrogate in a \\u escape");
				}
				if (cp == 0) {
					j->p = bs;
					return rkmp_json_fail(j, "\\u0000 in a string");
				}
				break;
			}
			default:
				j->p = bs;
				return rkmp_json_fail(j, "bad escape in a string");
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


int
rkmp_json_string(struct rkmp_json_reader *j, char **out, size_t *outlen)
{
	return rkmp_json_string_esc(j, out, outlen, NULL);
}

int
rkmp_json_name_buf(struct rkmp_json_reader *j, char *buf, size_t cap, size_t *len)
{
	struct rkmp_arena_mark mark = rkmp_arena_mark(j->arena);
	const char *p;
	char *s;
	size_t n;
	int r;

	/* plain ASCII without escapes, the usual case: straight from the text */
	rkmp_json_ws(j);
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
	if ((r = rkmp_json_string(j, &s, &n)) != 0)
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

/* ================================================================ numbers */

static int
range_fail(const struct rkmp_json_reader *j, const char *s, size_t n, const char *what, const char *why)
{
	return rkmp_json_pfail(j, j->at, ": %s %.*s%s out of range: %s (I-JSON, RFC 7493 §2.2)", what,
	    (int)(n > 40 ? 40 : n), s, n > 40 ? "..." : "", why);
}

/*
 * A number's span, checked against RFC 8259's grammar and I-JSON's range:
 * an integer (no fraction, no exponent) within ±(2^53-1); any other number
 * within an IEEE 754 double's magnitude, as jansson reads it (a value that
 * underflows is kept; its precision is not checked).  Kept as written.
 */
int
rkmp_json_number(struct rkmp_json_reader *j, const char **sp, size_t *len)
{
	const char *s = j->p, *ip, *fp = NULL, *ep = NULL;
	size_t il, fl = 0;
	long mag, e = 0;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return rkmp_json_fail(j, "bad number");
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
			return rkmp_json_fail(j, "bad number");
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
			return rkmp_json_fail(j, "bad number");
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
		if (il > 16 || (il == 16 && memcmp(ip, INT_DIGITS, 16) > 0))
			return range_fail(j, s, *len, "integer", "integers are within ±(2^53-1)");
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
	return range_fail(j, s, *len, "number", "beyond an IEEE 754 double");
}

/* ================================================================ values */

enum rkmp_json_type
rkmp_json_type(struct rkmp_json_reader *j)
{
	rkmp_json_ws(j);
	if (j->p >= j->end)
		return RKMP_JSON_END;
	switch (*j->p) {
	case '{': return RKMP_JSON_OBJECT;
	case '[': return RKMP_JSON_ARRAY;
	case '"': return RKMP_JSON_STRING;
	case 't': return RKMP_JSON_TRUE;
	case 'f': return RKMP_JSON_FALSE;
	case 'n': return RKMP_JSON_NULL;
	default: return RKMP_JSON_NUMBER;
	}
}

const char *
rkmp_json_kind(struct rkmp_json_reader *j)
{
	rkmp_json_ws(j);
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
int
rkmp_json_dup(const struct rkmp_json_reader *j, const struct rkmp_json_frame *fr)
{
	char sp[72], b[80];
	size_t k = fr->klen - 2;
	bool spelled = fr->name != fr->key + 1;

	if (spelled) {
		if (k > sizeof(sp) - 1)
			k = sizeof(sp) - 1;
		memcpy(sp, fr->key + 1, k);
		sp[k] = '\0';
	}
	return rkmp_json_pfail(j, fr, " given twice%s%s", spelled ? ", once as " : "",
	    spelled ? rkmp_json_quote(sp, b, sizeof(b)) : "");
}

int
rkmp_json_member(struct rkmp_json_reader *j, struct rkmp_json_names *ns,
    struct rkmp_json_frame *fr)
{
	const char *ks;
	char *d;
	size_t n;
	bool esc;
	int r;

	rkmp_json_ws(j);
	ks = j->p;
	if ((r = rkmp_json_string_esc(j, NULL, NULL, &esc)) != 0)
		return r;
	fr->key = ks;
	fr->klen = (size_t)(j->p - ks);
	fr->name = ks + 1;
	fr->nlen = fr->klen - 2;
	if (esc) {
		const char *ke = j->p;

		j->p = ks;
		if ((r = rkmp_json_string(j, &d, &n)) != 0)
			return r;
		fr->name = d;
		fr->nlen = n;
		j->p = ke;
	}
	if (ns == NULL || (r = rkmp_json_names_add(ns, fr->name, fr->nlen)) == 0)
		return 0;
	if (r > 0)
		return rkmp_json_dup(j, fr);
	return rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
}

int
rkmp_json_enter(struct rkmp_json_reader *j, struct rkmp_json_frame *fr,
    struct rkmp_json_names *ns)
{
	rkmp_json_ws(j);
	if (j->p >= j->end || (*j->p != '{' && *j->p != '['))
		return rkmp_json_fail(j, "an object or an array expected");
	if (j->depth >= RKMP_JSON_DEPTH_MAX)
		return rkmp_json_fail(j, "nested too deep");
	j->depth++;
	*fr = (struct rkmp_json_frame){ .up = j->at, .arr = *j->p == '[' };
	if (ns != NULL) {
		ns->n = 0;
		ns->slot = NULL;
	}
	j->p++;
	j->at = fr;
	return 0;
}

void
rkmp_json_leave(struct rkmp_json_reader *j, struct rkmp_json_frame *fr,
    struct rkmp_json_names *ns)
{
	if (ns != NULL)
		rkmp_json_names_free(ns);
	j->at = fr->up;
	j->depth--;
}

int
rkmp_json_next(struct rkmp_json_reader *j, struct rkmp_json_frame *fr,
    struct rkmp_json_names *ns, bool *more)
{
	char close = fr->arr ? ']' : '}';
	int r;

	*more = false;
	if (!fr->started) {
		fr->started = true;
		if (rkmp_json_peek(j, close)) {
			j->p++;
			rkmp_json_leave(j, fr, ns);
			return 0;
		}
	} else if (rkmp_json_peek(j, ',')) {
		j->p++;
		fr->idx++;
	} else {
		r = rkmp_json_expect(j, close, fr->arr ? "',' or ']' expected" :
		    "',' or '}' expected");
		rkmp_json_leave(j, fr, ns);
		return r;
	}
	if (!fr->arr && ((r = rkmp_json_member(j, ns, fr)) != 0 ||
	    (r = rkmp_json_expect(j, ':', "':' expected")) != 0)) {
		rkmp_json_leave(j, fr, ns);
		return r;
	}
	*more = true;
	return 0;
}

static inline void
out_put(struct rkmp_json_out *o, const char *s, size_t n)
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

int
rkmp_json_value(struct rkmp_json_reader *j, struct rkmp_json_out *out)
{
	int r;

	rkmp_json_ws(j);
	if (j->p >= j->end)
		return rkmp_json_fail(j, "a value expected");
	switch (*j->p) {
	case '"': {
		const char *s = j->p;

		if ((r = rkmp_json_string(j, NULL, NULL)) != 0)
			return r;
		out_put(out, s, (size_t)(j->p - s));
		return 0;
	}
	case '{':
	case '[': {
		struct rkmp_json_frame fr;
		struct rkmp_json_names ns;
		bool more;

		out_put(out, j->p, 1);
		if ((r = rkmp_json_enter(j, &fr, &ns)) != 0)
			return r;
		for (;;) {
			if ((r = rkmp_json_next(j, &fr, fr.arr ? NULL : &ns, &more)) != 0)
				return r;
			if (!more)
				break;
			if (out != NULL) {
				if (fr.idx > 0)
					out_put(out, ",", 1);
				if (!fr.arr) {
					out_put(out, fr.key, fr.klen);
					out_put(out, ":", 1);
				}
			}
			if ((r = rkmp_json_value(j, out)) != 0) {
				rkmp_json_leave(j, &fr, fr.arr ? NULL : &ns);
				return r;
			}
		}
		out_put(out, fr.arr ? "]" : "}", 1);
		return 0;
	}
	case 't':
	case 'f':
	case 'n': {
		const char *w = *j->p == 't' ? "true" : *j->p == 'f' ? "false" : "null";
		size_t n = strlen(w);

		if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
			return rkmp_json_fail(j, "a value expected");
		out_put(out, w, n);
		j->p += n;
		return 0;
	}
	default: {
		const char *s;
		size_t n;

		if ((r = rkmp_json_number(j, &s, &n)) != 0)
			return r;
		out_put(out, s, n);
		return 0;
	}
	}
}

int
rkmp_json_check(const char *text, size_t len, const char *name)
{
	struct rkmp_arena a = { 0 };
	struct rkmp_json_reader j;
	int r;

	rkmp_json_init(&j, text, len, name, &a);
	if ((r = rkmp_json_text_begin(&j)) == 0 && (r = rkmp_json_value(&j, NULL)) == 0)
		r = rkmp_json_text_end(&j);
	rkmp_arena_free(&a);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * json_write.c — the streaming JSON writer of json.h (DESIGN.md §10): the
 * NDJSON of rkmp-decode and the key table's rows.  Its bytes are jansson's
 * for the same value with the project's dump flags (tests/unit/
 * test_json_write.c checks it against jansson), without a tree and without
 * printf but for a real outside a capture's times.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "json.h"

/* "00".."ff": an octet's two hex digits at a time */
static const char hexpairs[513] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
	"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/*
 * How jansson escapes each octet: 0 as it is, 'u' as \u00XX, else the
 * letter after the backslash.  Octets of 0x80 and over are UTF-8 and pass.
 */
static const char esc[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
};

/* "00".."99": two digits at a time */
static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static void
fail(struct rkmp_jw *w, const char *what)
{
	if (w->b->err == 0)
		w->b->err = rkmp_err_set(RKMP_E_INTERNAL, "JSON writer", "%s", what);
}

/* Room for n more octets at b->p + b->len, or false (the buffer's error set). */
static inline bool
room(struct rkmp_buf *b, size_t n)
{
	if (b->err == 0 && b->len + n <= b->cap)
		return true;
	return rkmp_buf_reserve(b, n) == 0;
}

static inline void
put(struct rkmp_buf *b, const char *s, size_t n)
{
	if (room(b, n)) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

/* Indented: a new line, and the depth's indentation (after a comma if more). */
static void
new_line(struct rkmp_jw *w, bool comma, unsigned depth)
{
	static const char sp[] = ",\n                                                                "
	    "                                                                ";
	size_t n = (size_t)depth * w->indent;

	put(w->b, comma ? sp : sp + 1, comma ? 2 : 1);
	while (n > 0) {
		size_t k = n < sizeof(sp) - 3 ? n : sizeof(sp) - 3;

		put(w->b, sp + 2, k);
		n -= k;
	}
}

/* Before a value: the comma after the level's last value, unless a member
 * name was just written. */
static inline void
value_start(struct rkmp_jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0 && w->open[w->depth - 1] == '{') {
		fail(w, "a value without its member name");
		return;
	}
	if (w->indent > 0 && w->depth > 0)
		new_line(w, w->more, w->depth);
	else if (w->more)
		put(w->b, ", ", w->spaced ? 2 : 1);
	w->more = true;
}

void
rkmp_jw_init(struct rkmp_jw *w, struct rkmp_buf *b, bool spaced)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->spaced = spaced;
}

void
rkmp_jw_indent(struct rkmp_jw *w, unsigned n)
{
	if (n < 1 || n > 16 || w->depth != 0 || w->more)
		fail(w, "an indentation of 1 to 16 before the first value");
	else
		w->indent = n;
}

int
rkmp_jw_finish(struct rkmp_jw *w)
{
	if (w->depth != 0 || w->after_key)
		fail(w, "a container left open");
	return w->b->err;
}

static void
open_level(struct rkmp_jw *w, char c)
{
	value_start(w);
	if (w->depth == RKMP_JW_DEPTH) {
		fail(w, "nested too deep");
		return;
	}
	w->open[w->depth++] = c;
	w->more = false;
	put(w->b, &c, 1);
}

static void
close_level(struct rkmp_jw *w, char c)
{
	if (w->depth == 0 || w->open[w->depth - 1] != c || w->after_key) {
		fail(w, "a close that does not match");
		return;
	}
	w->depth--;
	if (w->indent > 0 && w->more)	/* an empty one stays {} or [] */
		new_line(w, false, w->depth);
	w->more = true;
	put(w->b, c == '{' ? "}" : "]", 1);
}

void
rkmp_jw_object(struct rkmp_jw *w)
{
	open_level(w, '{');
}

void
rkmp_jw_object_end(struct rkmp_jw *w)
{
	close_level(w, '{');
}

void
rkmp_jw_array(struct rkmp_jw *w)
{
	open_level(w, '[');
}

void
rkmp_jw_array_end(struct rkmp_jw *w)
{
	close_level(w, '[');
}

/* The rest of a string from p on, once an octet needs escaping: runs that
 * need none are copied whole. */
static void
put_escaped(struct rkmp_buf *b, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *run = p;

	for (; p < end; p++) {
		char seq[6];

		if (esc[*p] == 0)
			continue;
		put(b, (const char *)run, (size_t)(p - run));
		seq[0] = '\\';
		seq[1] = esc[*p];
		if (seq[1] != 'u')
			put(b, seq, 2);
		else {
			memcpy(seq + 2, "00", 2);
			seq[4] = "0123456789ABCDEF"[*p >> 4];
			seq[5] = "0123456789ABCDEF"[*p & 15];
			put(b, seq, 6);
		}
		run = p + 1;
	}
	put(b, (const char *)run, (size_t)(end - run));
}

#define ONES	UINT64_C(0x0101010101010101)

/*
 * lead (0-2 octets: a comma and its space), the string s quoted and escaped,
 * then tail (0-2 octets: a member name's colon).  The common case, nothing
 * to escape, is one reservation and a copy as it scans.
 */
static void
put_string(struct rkmp_buf *b, const char *lead, size_t nlead, const char *s, size_t n,
    const char *tail, size_t ntail)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	uint8_t *o;

	if (!room(b, nlead + n + 2 + ntail))
		return;
	o = b->p + b->len;
	memcpy(o, lead, nlead);
	o += nlead;
	*o++ = '"';
	/* eight octets at a time while none is below 0x20, '"' or '\\' (a
	 * false alarm only sends the word to the octet loop) */
	while (end - p >= 8) {
		uint64_t x, q, bs;

		memcpy(&x, p, 8);
		q = x ^ ONES * '"';
		bs = x ^ ONES * '\\';
		if ((((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((bs - ONES) & ~bs)) & ONES * 0x80)
			break;
		memcpy(o, p, 8);
		o += 8;
		p += 8;
	}
	for (; p < end; p++) {
		if (esc[*p] != 0)
			break;
		*o++ = *p;
	}
	if (p < end) {
		b->len = (size_t)(o - b->p);
		put_escaped(b, p, end);
		if (!room(b, 1 + ntail))
			return;
		o = b->p + b->len;
	}
	*o++ = '"';
	memcpy(o, tail, ntail);
	o += ntail;
	b->len = (size_t)(o - b->p);
}

void
rkmp_jw_keyn(struct rkmp_jw *w, const char *k, size_t n)
{
	if (w->depth == 0 || w->open[w->depth - 1] != '{' || w->after_key) {
		fail(w, "a member name outside an object");
		return;
	}
	if (w->indent > 0) {
		new_line(w, w->more, w->depth);
		put_string(w->b, "", 0, k, n, ": ", 2);
	} else
		put_string(w->b, ", ", w->more ? 1 + w->spaced : 0, k, n, ": ", 1 + w->spaced);
	w->more = true;
	w->after_key = true;
}

void
rkmp_jw_key(struct rkmp_jw *w, const char *k)
{
	rkmp_jw_keyn(w, k, strlen(k));
}

void
rkmp_jw_strn(struct rkmp_jw *w, const char *s, size_t n)
{
	value_start(w);
	put_string(w->b, "", 0, s, n, "", 0);
}

void
rkmp_jw_str(struct rkmp_jw *w, const char *s)
{
	rkmp_jw_strn(w, s, strlen(s));
}

/* The decimal digits of v, right-aligned in out[20]; their count. */
static size_t
u64_digits(uint64_t v, char out[20])
{
	char *p = out + 20;

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		*--p = digits2[d + 1];
		*--p = digits2[d];
	}
	if (v >= 10) {
		*--p = digits2[v * 2 + 1];
		*--p = digits2[v * 2];
	} else
		*--p = (char)('0' + v);
	return (size_t)(out + 20 - p);
}

static void
put_u64(struct rkmp_buf *b, uint64_t v, bool neg)
{
	char d[21];
	size_t n = u64_digits(v, d + 1);

	if (neg)
		d[20 - n] = '-', n++;
	put(b, d + 21 - n, n);
}

void
rkmp_jw_int(struct rkmp_jw *w, int64_t v)
{
	value_start(w);
	/* the magnitude of INT64_MIN, computed unsigned */
	put_u64(w->b, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void
rkmp_jw_uint(struct rkmp_jw *w, uint64_t v)
{
	value_start(w);
	put_u64(w->b, v, false);
}

void
rkmp_jw_bool(struct rkmp_jw *w, bool v)
{
	value_start(w);
	if (v)
		put(w->b, "true", 4);
	else
		put(w->b, "false", 5);
}

void
rkmp_jw_null(struct rkmp_jw *w)
{
	value_start(w);
	put(w->b, "null", 4);
}

void
rkmp_jw_hex(struct rkmp_jw *w, const uint8_t *p, size_t n)
{
	struct rkmp_buf *b = w->b;
	uint8_t *o;

	value_start(w);
	if (n > (SIZE_MAX - 2) / 2 || !room(b, 2 * n + 2))
		return;
	o = b->p + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++, o += 2)
		memcpy(o, hexpairs + 2 * p[i], 2);
	*o++ = '"';
	b->len += 2 * n + 2;
}

void
rkmp_jw_real(struct rkmp_jw *w, double v)
{
	char s[40], *e;
	int n;

	if (!isfinite(v)) {
		fail(w, "a real that is not finite");
		return;
	}
	value_start(w);
	n = snprintf(s, sizeof(s) - 2, "%.*g", RKMP_JW_PRECISION, v);
	if (n <= 0 || (size_t)n >= sizeof(s) - 2) {
		fail(w, "a real that does not format");
		return;
	}
	/* as jansson: a real reads as one (".0"); "e+05" is "e5", "e-05" "e-5" */
	if ((e = strchr(s, 'e')) != NULL) {
		char *from = e + 1, *to = e + 1;

		if (*from == '+')
			from++;
		else if (*from == '-')
			from++, to++;
		while (*from == '0' && from[1] != '\0')
			from++;
		memmove(to, from, strlen(from) + 1);
		n = (int)strlen(s);
	} else if (strchr(s, '.') == NULL) {
		memcpy(s + n, ".0", 3);
		n += 2;
	}
	put(w->b, s, (size_t)n);
}

void
rkmp_jw_time(struct rkmp_jw *w, int64_t sec, int32_t usec)
{
	char d[20 + 8];
	size_t n;

	/*
	 * For 10^9 <= sec < 2^32 the real sec + usec/1e6 is within 5e-7 of the
	 * decimal sec.usec (half an ulp of a double below 2^33, 4.8e-7, and the
	 * rounding of usec/1e6), and "%.16g" of it has 6 decimals: it prints the
	 * decimal itself, its trailing zeros dropped.
	 */
	if (sec < 1000000000 || sec >= INT64_C(4294967296) || usec < 0 || usec >= 1000000) {
		rkmp_jw_real(w, (double)sec + usec / 1e6);
		return;
	}
	value_start(w);
	u64_digits((uint64_t)sec, d);		/* 10 digits: d[10..19] */
	d[20] = '.';
	if (usec == 0) {
		d[21] = '0';
		n = 12;
	} else {
		uint32_t u = (uint32_t)usec;

		for (int i = 26; i >= 21; i--, u /= 10)
			d[i] = (char)('0' + u % 10);
		n = 17;
		while (d[10 + n - 1] == '0')
			n--;
	}
	put(w->b, d + 10, n);
}

void
rkmp_jw_raw(struct rkmp_jw *w, const char *json, size_t n)
{
	value_start(w);
	put(w->b, json, n);
}

void
rkmp_jw_raw_members(struct rkmp_jw *w, const char *json, size_t n)
{
	if (w->depth == 0 || w->open[w->depth - 1] != '{' || w->after_key || w->indent > 0) {
		fail(w, "members outside an object, or indented");
		return;
	}
	if (n == 0)
		return;
	if (w->more)
		put(w->b, ", ", w->spaced ? 2 : 1);
	w->more = true;
	put(w->b, json, n);
}

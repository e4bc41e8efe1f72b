/* SPDX-License-Identifier: MIT */
/*
 * test_json.c — the JSON reader (lib/json_read.c) against jansson, the
 * oracle: for every document of testdata/json/ and for a few thousand random
 * documents and byte-level mutations of them, our reader and
 * json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES) agree on accept and
 * refuse, and on accept a jansson tree built from our reader's pulled values
 * (and one read back from its minified output) is json_equal to jansson's.
 *
 * The corpus: y_*.json both accept, n_*.json both refuse, i_*.json are where
 * jansson does not follow RFC 8259 or I-JSON (RFC 7493): each is listed in
 * divergences[] below with its class, and a class is recognised with an
 * oracle of its own (jansson's tree, not our message alone).  Where jansson
 * and we agree only because both keep the RFC's letter, the corpus says so
 * in n_ files: \u0000 (jansson refuses it without JSON_ALLOW_NUL, we always),
 * 2^63 and beyond (jansson: "too big integer"), 1e400 (both: overflow), a
 * byte order mark (both refuse; RFC 8259 §8.1 lets a parser ignore it).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "nitems.h"
#include "test_helper.h"
#include "tests.h"

#define CORPUS		"../../testdata/json/"
#define JFLAGS		(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

/* ---------------------------------------------------------------- the two readers */

static json_t *
theirs(const char *t, size_t n)
{
	json_error_t e;

	return json_loadb(t, n, JFLAGS, &e);
}

/* A number as jansson keeps it: an integer without '.', 'e', 'E'; else a double. */
static json_t *
number_of(const char *s, size_t n)
{
	char *c = strndup(s, n);
	json_t *v = NULL;

	if (c != NULL)
		v = strpbrk(c, ".eE") == NULL ? json_integer(strtoll(c, NULL, 10)) :
		    json_real(strtod(c, NULL));
	free(c);
	return v;
}

/* The value at j->p as a jansson tree, pulled value by value. */
static int
build(struct rkmp_json_reader *j, json_t **out)
{
	enum rkmp_json_type t = rkmp_json_type(j);
	const char *s;
	char *d;
	size_t n;
	int r;

	*out = NULL;
	switch (t) {
	case RKMP_JSON_OBJECT:
	case RKMP_JSON_ARRAY: {
		bool arr = t == RKMP_JSON_ARRAY, more;
		struct rkmp_json_frame fr;
		struct rkmp_json_names ns;
		json_t *c = arr ? json_array() : json_object(), *v;

		if ((r = rkmp_json_enter(j, &fr, arr ? NULL : &ns)) != 0) {
			json_decref(c);
			return r;
		}
		for (;;) {
			if ((r = rkmp_json_next(j, &fr, arr ? NULL : &ns, &more)) != 0 || !more)
				break;
			if ((r = build(j, &v)) != 0) {
				rkmp_json_leave(j, &fr, arr ? NULL : &ns);
				break;
			}
			/* a name given twice let through, or one jansson would not take */
			if (!arr && json_object_getn(c, fr.name, fr.nlen) != NULL) {
				json_decref(v);
				r = rkmp_err_set(RKMP_E_INTERNAL, "test", "a name given twice read");
			} else if ((arr ? json_array_append_new(c, v) :
			    json_object_setn_new(c, fr.name, fr.nlen, v)) != 0)
				r = rkmp_err_set(RKMP_E_INTERNAL, "test", "a name not UTF-8 read");
			if (r != 0) {
				rkmp_json_leave(j, &fr, arr ? NULL : &ns);
				break;
			}
		}
		if (r != 0) {
			json_decref(c);
			return r;
		}
		*out = c;
		return 0;
	}
	case RKMP_JSON_STRING:
		if ((r = rkmp_json_string(j, &d, &n)) != 0)
			return r;
		if ((*out = json_stringn(d, n)) == NULL)
			return rkmp_err_set(RKMP_E_INTERNAL, "test", "a string not UTF-8 read");
		return 0;
	case RKMP_JSON_NUMBER:
		if ((r = rkmp_json_number(j, &s, &n)) != 0)
			return r;
		if ((*out = number_of(s, n)) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "test", "out of memory");
		return 0;
	case RKMP_JSON_TRUE:
	case RKMP_JSON_FALSE:
	case RKMP_JSON_NULL:
	case RKMP_JSON_END:
		if ((r = rkmp_json_value(j, NULL)) != 0)
			return r;
		*out = t == RKMP_JSON_TRUE ? json_true() : t == RKMP_JSON_FALSE ? json_false() :
		    json_null();
		return 0;
	}
	return -1;
}

/*
 * Ours: the tree built from the reader, NULL when it refuses (why: its
 * message).  *same: whether rkmp_json_check and the minified text agree
 * (the whole-text check says the same; what rkmp_json_value writes reads
 * back, with jansson, as the same tree).
 */
static json_t *
ours(const char *t, size_t n, char *why, size_t cap, bool *same)
{
	struct rkmp_arena a = { 0 };
	struct rkmp_json_reader j;
	struct rkmp_buf b;
	struct rkmp_json_out o = { &b, NULL };
	json_t *v = NULL, *back;
	int r;

	rkmp_err_clear();
	rkmp_json_init(&j, t, n, "t", &a);
	if ((r = rkmp_json_text_begin(&j)) == 0 && (r = build(&j, &v)) == 0)
		r = rkmp_json_text_end(&j);
	snprintf(why, cap, "%s", r == 0 ? "" : rkmp_err_detail());
	if (r != 0) {
		json_decref(v);
		v = NULL;
	}
	*same = (rkmp_json_check(t, n, "t") == 0) == (v != NULL);
	if (v != NULL) {
		rkmp_buf_init(&b, 1u << 24);
		rkmp_json_init(&j, t, n, "t", &a);
		r = rkmp_json_value(&j, &o);
		back = r == 0 && b.err == 0 ? theirs((const char *)b.p, b.len) : NULL;
		*same = *same && back != NULL && json_equal(back, v);
		json_decref(back);
		rkmp_buf_free(&b);
	}
	rkmp_arena_free(&a);
	return v;
}

/* ---------------------------------------------------------------- divergences */

/* Whether jansson's tree has an integer beyond I-JSON's ±(2^53-1). */
static bool
big_int(json_t *v)
{
	size_t i;
	const char *k;
	json_t *e;

	if (json_is_integer(v))
		return json_integer_value(v) > RKMP_JSON_INT_MAX ||
		    json_integer_value(v) < -RKMP_JSON_INT_MAX;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (big_int(e))
				return true;
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (big_int(e))
				return true;
	}
	return false;
}

/* Objects and arrays within each other in jansson's tree. */
static int
depth(json_t *v)
{
	size_t i;
	const char *k;
	json_t *e;
	int d = 0, x;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if ((x = depth(e)) > d)
				d = x;
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if ((x = depth(e)) > d)
				d = x;
	} else
		return 0;
	return d + 1;
}

/* Whether t without each 0 octet right after a number or literal reads as v with us. */
static bool
nul_dropped(const char *t, size_t n, const json_t *v)
{
	char *c = malloc(n + 1), why[8];
	size_t m = 0;
	bool same, eq;
	json_t *w;

	if (c == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(t[i] == '\0' && i > 0 && ((t[i - 1] >= '0' && t[i - 1] <= '9') ||
		    (t[i - 1] >= 'a' && t[i - 1] <= 'z') || (t[i - 1] >= 'A' && t[i - 1] <= 'Z'))))
			c[m++] = t[i];
	w = m < n ? ours(c, m, why, sizeof(why), &same) : NULL;
	eq = w != NULL && json_equal(w, v);
	json_decref(w);
	free(c);
	return eq;
}

/*
 * Where jansson does not follow RFC 8259 or I-JSON: we refuse, jansson
 * accepts.  Each class is told by jansson's own tree (or our reading of the
 * text without jansson's slip), and by our message.
 */
enum dclass { D_INT, D_DEPTH, D_NUL, D_N };

static const struct {
	const char	*name;
	const char	*ours;		/* in our refusal */
	const char	*why;
} dclasses[D_N] = {
	[D_INT] = { "integer beyond ±(2^53-1)", "integers are within ±(2^53-1)",
	    "I-JSON (RFC 7493 §2.2) keeps integers within ±(2^53-1), which a double holds "
	    "exactly, and so do we (DESIGN.md §10); jansson reads integers into its json_int_t "
	    "(int64): 2^53 to 2^63-1 and down to -2^63 it accepts, 2^63 it refuses too "
	    "(n_number_int_2p63)" },
	[D_DEPTH] = { "nesting beyond 64", "nested too deep",
	    "RFC 8259 §9 lets a parser limit nesting; ours is RKMP_JSON_DEPTH_MAX = 64 objects "
	    "and arrays, jansson's JSON_PARSER_MAX_DEPTH = 2048 values (a scalar counts: 2048 "
	    "arrays are read, 2048 arrays around a 1 are not; n_depth_2048_arrays_and_scalar, "
	    "n_depth_2049_arrays)" },
	[D_NUL] = { "0 octet after a number or literal", "not JSON",
	    "jansson 2.14 loses the octet it ungets after a number or a literal when it is 0 "
	    "(its stream buffer is NUL-terminated), so [1<NUL>] reads as [1]; RFC 8259 has no "
	    "NUL outside strings (n_nul_after_value, n_nul_after_string are refused by both)" },
};

/* The i_ files of the corpus and their class. */
static const struct {
	const char	*file;
	enum dclass	 c;
} divergences[] = {
	{ "i_int_2p53.json", D_INT },
	{ "i_int_minus_2p53.json", D_INT },
	{ "i_int_2p53_plus_1_in_array.json", D_INT },
	{ "i_int_2p63_minus_1.json", D_INT },
	{ "i_int_minus_2p63.json", D_INT },
	{ "i_depth_65_arrays.json", D_DEPTH },
	{ "i_depth_65_objects.json", D_DEPTH },
	{ "i_depth_2048_arrays.json", D_DEPTH },
	{ "i_nul_after_number.json", D_NUL },
	{ "i_nul_after_literal.json", D_NUL },
};

/* The class of a refusal of ours that jansson accepted as v, or D_N: none. */
static enum dclass
classify(const char *t, size_t n, const char *why, json_t *v)
{
	if (strstr(why, dclasses[D_INT].ours) != NULL && big_int(v))
		return D_INT;
	if (strstr(why, dclasses[D_DEPTH].ours) != NULL && depth(v) > RKMP_JSON_DEPTH_MAX)
		return D_DEPTH;
	if (strstr(why, dclasses[D_NUL].ours) != NULL && memchr(t, '\0', n) != NULL &&
	    nul_dropped(t, n, v))
		return D_NUL;
	return D_N;
}

/* ---------------------------------------------------------------- one document */

enum outcome { BOTH_ACCEPT, BOTH_REFUSE, DIVERGE, DISAGREE };

struct tally {
	size_t		 n[DISAGREE + 1];
	size_t		 cls[D_N];
	char		 first[1024];	/* the first disagreement */
};

/* Both readers on t: where they agree, how, or the divergence (*c). */
static enum outcome
compare(const char *t, size_t n, enum dclass *c, char *msg, size_t cap)
{
	char why[512];
	bool same;
	json_t *a = ours(t, n, why, sizeof(why), &same), *b = theirs(t, n);
	enum outcome o;

	*c = D_N;
	if (a != NULL && b != NULL) {
		o = json_equal(a, b) ? BOTH_ACCEPT : DISAGREE;
		if (o == DISAGREE)
			snprintf(msg, cap, "both accept, values differ");
	} else if (a == NULL && b == NULL)
		o = BOTH_REFUSE;
	else if (a == NULL && (*c = classify(t, n, why, b)) != D_N)
		o = DIVERGE;
	else {
		snprintf(msg, cap, "%s: %s", a ? "we accept, jansson refuses" :
		    "jansson accepts, we refuse", a ? "" : why);
		o = DISAGREE;
	}
	if (o != DISAGREE && !same) {
		snprintf(msg, cap, "rkmp_json_check or the minified text differs from the pulled tree");
		o = DISAGREE;
	}
	json_decref(a);
	json_decref(b);
	return o;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		if (fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		} else
			*len = (size_t)n;
	}
	fclose(f);
	return p;
}

/* ---------------------------------------------------------------- the corpus */

TEST(json_corpus_agrees_with_jansson)
{
	DIR *d = opendir(CORPUS);
	struct dirent *e;
	size_t files = 0, y = 0, n = 0, i = 0, listed = 0;

	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)) != NULL) {
		const char *f = e->d_name;
		size_t len = 0, k;
		char path[512], msg[600] = "";
		enum dclass c;
		enum outcome o;
		char *t;

		if (strlen(f) < 7 || strcmp(f + strlen(f) - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), CORPUS "%s", f);
		t = slurp(path, &len);
		if (t == NULL) {
			test_fail(__FILE__, __LINE__, "%s: cannot read", f);
			continue;
		}
		files++;
		o = compare(t, len, &c, msg, sizeof(msg));
		free(t);
		switch (f[0]) {
		case 'y':
			y++;
			if (o != BOTH_ACCEPT)
				test_fail(__FILE__, __LINE__, "%s: not accepted by both (%s)", f, msg);
			break;
		case 'n':
			n++;
			if (o != BOTH_REFUSE)
				test_fail(__FILE__, __LINE__, "%s: not refused by both (%s)", f,
				    o == BOTH_ACCEPT ? "both accept" : msg);
			break;
		case 'i':
			i++;
			for (k = 0; k < nitems(divergences) && strcmp(divergences[k].file, f) != 0; k++)
				;
			if (k == nitems(divergences))
				test_fail(__FILE__, __LINE__, "%s: not in divergences[]", f);
			else if (o != DIVERGE || c != divergences[k].c)
				test_fail(__FILE__, __LINE__, "%s: not the divergence \"%s\" (%s)", f,
				    dclasses[divergences[k].c].name, o == DIVERGE ? "another class" :
				    o == BOTH_ACCEPT ? "both accept" : o == BOTH_REFUSE ?
				    "both refuse" : msg);
			else
				listed++;
			break;
		default:
			test_fail(__FILE__, __LINE__, "%s: not y_, n_ or i_", f);
		}
	}
	closedir(d);
	ASSERT_INT_EQ(listed, nitems(divergences));	/* every one listed is there */
	ASSERT_TRUE(y >= 30 && n >= 100 && files == y + n + i);
}

/* Our messages for some of the corpus: where, and why, as a user reads them. */
TEST(json_reader_messages)
{
	static const struct {
		const char	*text;
		const char	*msg;
	} m[] = {
		{ "", "not JSON: line 1 column 1: a value expected" },
		{ "\xef\xbb\xbf{}", "not JSON: line 1 column 1: a byte order mark" },
		{ "[1,]", "not JSON: line 1 column 4: bad number" },
		{ "{\"a\":1,}", "not JSON: line 1 column 8: a string expected" },
		{ "[\n01]", "not JSON: line 2 column 2: ',' or ']' expected" },
		{ "{\"a\":1,\"\\u0061\":2}", "a given twice, once as \"\\u0061\"" },
		{ "{\"x\":[0,{\"b\":1,\"b\":2}]}", "x[1].b given twice" },
		{ "[9007199254740992]", "[0]: integer 9007199254740992 out of range: integers are "
		    "within ±(2^53-1) (I-JSON, RFC 7493 §2.2)" },
		{ "{\"n\":1e400}", "n: number 1e400 out of range: beyond an IEEE 754 double" },
		{ "\"\\uDC00\"", "not JSON: line 1 column 2: unpaired surrogate in a \\u escape" },
		{ "\"\xed\xa0\x80\"", "not JSON: line 1 column 2: invalid UTF-8 in a string" },
		{ "\"a\tb\"", "not JSON: line 1 column 3: control character in a string" },
		{ "\"\\u0000\"", "not JSON: line 1 column 2: \\u0000 in a string" },
		{ "1 2", "not JSON: line 1 column 3: text after the end" },
	};

	for (size_t i = 0; i < nitems(m); i++) {
		ASSERT_INT_EQ(rkmp_json_check(m[i].text, strlen(m[i].text), "t"), RKMP_E_STATE);
		ASSERT_STR_CONTAINS(rkmp_err_detail(), m[i].msg);
	}
	/* 64 arrays within each other are read, 65 are not */
	{
		char t[200];

		memset(t, '[', 65);
		memset(t + 65, ']', 65);
		ASSERT_INT_EQ(rkmp_json_check(t + 1, 128, "t"), 0);
		ASSERT_INT_EQ(rkmp_json_check(t, 130, "t"), RKMP_E_STATE);
		ASSERT_STR_CONTAINS(rkmp_err_detail(), "column 65: nested too deep");
	}
}

TEST(json_utf8_valid)
{
	ASSERT_TRUE(rkmp_json_utf8_valid("", 0));
	ASSERT_TRUE(rkmp_json_utf8_valid("a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", 14));
	ASSERT_TRUE(rkmp_json_utf8_valid("a\0b", 3));		/* U+0000 is UTF-8 */
	ASSERT_TRUE(!rkmp_json_utf8_valid("\xc0\xaf", 2));	/* overlong */
	ASSERT_TRUE(!rkmp_json_utf8_valid("\xe0\x80\xaf", 3));
	ASSERT_TRUE(!rkmp_json_utf8_valid("\xed\xa0\x80", 3));	/* a surrogate */
	ASSERT_TRUE(!rkmp_json_utf8_valid("\xf4\x90\x80\x80", 4));	/* beyond U+10FFFF */
	ASSERT_TRUE(!rkmp_json_utf8_valid("\xf5\x80\x80\x80", 4));
	ASSERT_TRUE(!rkmp_json_utf8_valid("\xe4\xb8", 2));	/* cut */
	ASSERT_TRUE(!rkmp_json_utf8_valid("\x80", 1));
}

/* ---------------------------------------------------------------- random documents */

static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;	/* xorshift64 */
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

static void
put(struct rkmp_buf *b, const char *s)
{
	rkmp_buf_put(b, s, strlen(s));
}

static void
ws(struct rkmp_buf *b)
{
	static const char *const w[] = { "", "", "", "", " ", "\n", "\t", "\r\n  " };

	put(b, w[rnd(nitems(w))]);
}

static void
put_utf8(struct rkmp_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80)
		u[0] = (char)cp, n = 1;
	else if (cp < 0x800)
		u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3f)),
		    u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	else
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3f)),
		    u[2] = (char)(0x80 | (cp >> 6 & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	rkmp_buf_put(b, u, n);
}

/* A code point that is not a surrogate, of 1 to 4 UTF-8 octets. */
static uint32_t
code_point(void)
{
	static const uint32_t top[] = { 0x80, 0x800, 0x10000, 0x110000 };
	uint32_t cp;

	do
		cp = rnd(top[rnd(nitems(top))]);
	while (cp >= 0xd800 && cp <= 0xdfff);
	return cp;
}

static void
gen_string(struct rkmp_buf *b, bool name)
{
	static const char *const names[] = { "a", "b", "\\u0061", "\\u0062", "k", "\xc3\xa9",
	    "\\u00e9", "" };
	char u[16];
	uint32_t n = rnd(4) == 0 ? rnd(40) : rnd(6);

	put(b, "\"");
	if (name && rnd(2) == 0) {	/* a small pool: names given twice, spelled two ways */
		put(b, names[rnd(nitems(names))]);
		put(b, "\"");
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cp;

		switch (rnd(10)) {
		case 0: {
			static const char *const esc[] = { "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n",
			    "\\r", "\\t" };

			put(b, esc[rnd(nitems(esc))]);
			break;
		}
		case 1:
			do
				cp = 1 + rnd(0xffff);
			while (cp >= 0xd800 && cp <= 0xdfff);
			snprintf(u, sizeof(u), rnd(2) ? "\\u%04x" : "\\u%04X", cp);
			put(b, u);
			break;
		case 2:
			cp = rnd(0x100000);
			snprintf(u, sizeof(u), "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
			    0xdc00 + (cp & 0x3ff));
			put(b, u);
			break;
		case 3:
		case 4:
			cp = code_point();
			put_utf8(b, cp < 0x20 || cp == '"' || cp == '\\' ? 'x' : cp);
			break;
		default:
			cp = 'a' + rnd(26);
			put_utf8(b, cp);
		}
	}
	put(b, "\"");
}

static void
gen_number(struct rkmp_buf *b)
{
	static const char *const edge[] = { "9007199254740991", "-9007199254740991",
	    "9007199254740992", "-9007199254740992", "9223372036854775807", "9223372036854775808",
	    "-0", "0.0", "1e308", "1.7976931348623157e308", "1.8e308", "1e-400", "4.9e-324",
	    "123456789012345678901234567890", "1E+2", "0e0" };
	char s[64];

	switch (rnd(6)) {
	case 0:
		put(b, edge[rnd(nitems(edge))]);
		return;
	case 1:
	case 2:
		snprintf(s, sizeof(s), "%s%u", rnd(3) ? "" : "-", rnd(100000));
		break;
	case 3:
		snprintf(s, sizeof(s), "%s%u.%u", rnd(3) ? "" : "-", rnd(1000), rnd(100000));
		break;
	default:
		snprintf(s, sizeof(s), "%s%u%s%c%s%u", rnd(3) ? "" : "-", rnd(100),
		    rnd(2) ? ".5" : "", rnd(2) ? 'e' : 'E', rnd(2) ? "" : rnd(2) ? "+" : "-",
		    rnd(4) ? rnd(30) : rnd(400));
	}
	put(b, s);
}

static void
gen_value(struct rkmp_buf *b, int d)
{
	uint32_t k = rnd(d < 5 ? 10 : 6);

	ws(b);
	switch (k) {
	case 0: put(b, "true"); break;
	case 1: put(b, "false"); break;
	case 2: put(b, "null"); break;
	case 3: case 4: gen_number(b); break;
	case 5: gen_string(b, false); break;
	default: {
		bool obj = k >= 8;
		uint32_t n = rnd(6);

		put(b, obj ? "{" : "[");
		for (uint32_t i = 0; i < n; i++) {
			if (i > 0)
				put(b, ",");
			if (obj) {
				ws(b);
				gen_string(b, true);
				ws(b);
				put(b, ":");
			}
			gen_value(b, d + 1);
		}
		ws(b);
		put(b, obj ? "}" : "]");
	}
	}
	ws(b);
}

/* One byte-level change of t[0..*n) into m. */
static void
mutate(const uint8_t *t, size_t n, struct rkmp_buf *m)
{
	static const uint8_t bytes[] = { 0x00, '"', '\\', ',', ']', '}', '[', '{', ':', '0', '-',
	    'e', '.', 'u', 'D', ' ', '/', '\'', 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xe0, 0xed,
	    0xef, 0xf0, 0xf4, 0xf5, 0xff };
	size_t at = n ? rnd((uint32_t)n) : 0;
	uint8_t c = rnd(4) ? bytes[rnd(nitems(bytes))] : (uint8_t)rnd(256);

	rkmp_buf_reset(m);
	switch (rnd(5)) {
	case 0:		/* replace */
		rkmp_buf_put(m, t, n);
		if (n)
			m->p[at] = c;
		break;
	case 1:		/* insert */
		rkmp_buf_put(m, t, at);
		rkmp_buf_put(m, &c, 1);
		rkmp_buf_put(m, t + at, n - at);
		break;
	case 2:		/* delete */
		rkmp_buf_put(m, t, at);
		if (at < n)
			rkmp_buf_put(m, t + at + 1, n - at - 1);
		break;
	case 3: {	/* a span again, after itself */
		size_t l = at < n ? 1 + rnd((uint32_t)(n - at < 16 ? n - at : 16)) : 0;

		rkmp_buf_put(m, t, at + l);
		rkmp_buf_put(m, t + at, n - at);
		break;
	}
	default:	/* cut */
		rkmp_buf_put(m, t, at);
	}
}

static void
tally(struct tally *ty, const uint8_t *t, size_t n, const char *kind)
{
	char msg[600];
	enum dclass c;
	enum outcome o = compare((const char *)t, n, &c, msg, sizeof(msg));

	ty->n[o]++;
	if (o == DIVERGE)
		ty->cls[c]++;
	if (o == DISAGREE && ty->first[0] == '\0') {
		char hex[200];
		size_t k = 0;

		for (size_t i = 0; i < n && k + 3 < sizeof(hex); i++)
			k += (size_t)snprintf(hex + k, sizeof(hex) - k, "%02x", t[i]);
		snprintf(ty->first, sizeof(ty->first), "%s %.*s: %s", kind, (int)k, hex, msg);
	}
}

TEST(json_random_agrees_with_jansson)
{
	struct tally ty = { { 0 }, { 0 }, "" };
	struct rkmp_buf b, m;
	const int docs = 5000, muts = 4;

	rng = 0x9e3779b97f4a7c15ull;	/* seeded: the same documents every run */
	rkmp_buf_init(&b, 1u << 22);
	rkmp_buf_init(&m, 1u << 22);
	for (int i = 0; i < docs; i++) {
		rkmp_buf_reset(&b);
		gen_value(&b, 0);
		ASSERT_INT_EQ(b.err, 0);
		tally(&ty, b.p, b.len, "document");
		for (int k = 0; k < muts; k++) {
			mutate(b.p, b.len, &m);
			tally(&ty, m.p, m.len, "mutation");
		}
	}
	rkmp_buf_free(&b);
	rkmp_buf_free(&m);
	if (getenv("RKMP_TEST_JSON_REPORT") != NULL)
		printf("json: %d documents, %d mutations: %zu both accept, %zu both refuse, "
		    "%zu divergences (%s %zu, %s %zu, %s %zu), %zu disagree\n", docs, docs * muts,
		    ty.n[BOTH_ACCEPT], ty.n[BOTH_REFUSE], ty.n[DIVERGE], dclasses[D_INT].name,
		    ty.cls[D_INT], dclasses[D_DEPTH].name, ty.cls[D_DEPTH], dclasses[D_NUL].name,
		    ty.cls[D_NUL], ty.n[DISAGREE]);
	if (ty.n[DISAGREE] != 0)
		test_fail(__FILE__, __LINE__, "%zu disagreements; the first: %s", ty.n[DISAGREE],
		    ty.first);
	/* the generator reaches each side: valid documents, refusals, I-JSON's integers */
	ASSERT_TRUE(ty.n[BOTH_ACCEPT] > (size_t)docs / 4);
	ASSERT_TRUE(ty.n[BOTH_REFUSE] > (size_t)docs);
	ASSERT_TRUE(ty.cls[D_INT] > 0);
}

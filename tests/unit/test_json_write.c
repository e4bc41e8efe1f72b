/* SPDX-License-Identifier: MIT */
/*
 * test_json_write.c — lib/json_write.c against jansson: every value is built
 * a second time as a jansson tree and dumped with the flags the binaries
 * print with (rkmp_cli_json_line: JSON_COMPACT | JSON_REAL_PRECISION(16)),
 * or with JSON_INDENT(0) (", " and ": ") for the spaced form; the writer's
 * bytes must be jansson's.  Escaping of every ASCII octet, UTF-8 passing
 * through, integers to INT64_MIN/MAX, reals and capture times, nesting and
 * commas, raw JSON, and the misuses the writer refuses.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "json.h"
#include "test_helper.h"
#include "tests.h"

#define COMPACT	(JSON_COMPACT | JSON_REAL_PRECISION(16) | JSON_ENCODE_ANY)
#define SPACED	(JSON_INDENT(0) | JSON_REAL_PRECISION(16) | JSON_ENCODE_ANY)

/* The writer's bytes equal jansson's dump of j (decref'd); 0, or -1 with a failure said. */
static int
same(const char *file, int line, struct rkmp_buf *b, json_t *j, size_t flags)
{
	char *want = j != NULL ? json_dumps(j, flags) : NULL;
	int r = 0;

	json_decref(j);
	if (want == NULL) {
		test_fail(file, line, "jansson could not dump the value");
		return -1;
	}
	if (b->err != 0 || b->len != strlen(want) || memcmp(b->p, want, b->len) != 0) {
		test_fail(file, line, "writer \"%.*s\" (err %d), jansson \"%s\"", (int)b->len,
		    b->p ? (const char *)b->p : "", b->err, want);
		r = -1;
	}
	free(want);
	return r;
}
#define SAME(b, j, flags) do { if (same(__FILE__, __LINE__, (b), (j), (flags)) != 0) return; } while (0)

/* One string value s (n octets), both ways. */
static int
same_str(const char *file, int line, const char *s, size_t n)
{
	struct rkmp_buf b;
	struct rkmp_jw w;
	int r;

	rkmp_buf_init(&b, 1u << 20);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_strn(&w, s, n);
	r = rkmp_jw_finish(&w) != 0 ? -1 : same(file, line, &b, json_stringn(s, n), COMPACT);
	rkmp_buf_free(&b);
	return r;
}
#define SAME_STR(s, n) do { if (same_str(__FILE__, __LINE__, (s), (n)) != 0) return; } while (0)

TEST(json_write_escapes_every_ascii_octet_as_jansson)
{
	char all[128];

	for (int c = 0; c < 128; c++) {
		char s[3] = { 'a', (char)c, 'z' };

		all[c] = (char)c;
		SAME_STR(s, 3);
		SAME_STR(s + 1, 1);
	}
	SAME_STR(all, sizeof(all));
	/* quote, backslash and '/' in runs; the empty string */
	SAME_STR("\"\\/\"\\/", 6);
	SAME_STR("a/b\\c\"d", 7);
	SAME_STR("", 0);
}

TEST(json_write_escapes_at_every_offset_of_a_long_string)
{
	/* the writer scans eight octets at a time: a character to escape at every
	 * offset of clean ASCII, and of UTF-8 (é, U+FFFF) */
	static const char specials[] = { '"', '\\', '\n', '\x1f', '\0', '\x01', '/', '\x7f' };
	char s[48];

	for (size_t k = 0; k < sizeof(specials); k++)
		for (size_t at = 0; at < sizeof(s); at++) {
			for (size_t i = 0; i < sizeof(s); i++)
				s[i] = (char)('A' + i % 26);
			s[at] = specials[k];
			SAME_STR(s, sizeof(s));
			SAME_STR(s, at + 1);
			for (size_t i = 0; i + 1 < sizeof(s); i += 2)
				memcpy(s + i, "\xc3\xa9", 2);
			s[at] = specials[k];
			if (at % 2 == 0)
				s[at + 1] = 'x';	/* keep the é's whole */
			else
				s[at - 1] = 'x';
			SAME_STR(s, sizeof(s));
		}
}

TEST(json_write_passes_utf8_through)
{
	/* é, €, U+2028, 𝄞 (4 octets), U+FFFF, U+10FFFF, with control characters between */
	static const char s[] = "caf\xc3\xa9 \xe2\x82\xac\x01\xe2\x80\xa8\x1f\xf0\x9d\x84\x9e"
	    "\xef\xbf\xbf\xf4\x8f\xbf\xbf\x7f";

	SAME_STR(s, sizeof(s) - 1);
}

TEST(json_write_integers_as_jansson)
{
	static const int64_t v[] = { 0, 1, -1, 9, 10, -10, 99, 100, 101, 999, 1000, 65535,
	    4294967295, 4294967296, INT64_C(9007199254740991), -INT64_C(9007199254740992),
	    INT64_C(999999999999999999), INT64_C(1000000000000000000), INT64_MAX, INT64_MAX - 1,
	    INT64_MIN, INT64_MIN + 1 };
	struct rkmp_buf b;
	struct rkmp_jw w;
	json_t *a = json_array();
	uint64_t x = 88172645463325252u;

	rkmp_buf_init(&b, 1u << 20);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_array(&w);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rkmp_jw_int(&w, v[i]);
		json_array_append_new(a, json_integer(v[i]));
	}
	/* every power of ten and its neighbours, and xorshift values of every length */
	for (int64_t p = 1, k = 0; k < 19; k++, p = k < 19 ? p * 10 : p)
		for (int64_t d = -1; d <= 1; d++) {
			rkmp_jw_int(&w, p + d);
			rkmp_jw_int(&w, -(p + d));
			json_array_append_new(a, json_integer(p + d));
			json_array_append_new(a, json_integer(-(p + d)));
		}
	for (int i = 0; i < 2000; i++) {
		int64_t r;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		r = (int64_t)(x >> (i % 64));
		rkmp_jw_int(&w, r);
		json_array_append_new(a, json_integer(r));
	}
	rkmp_jw_array_end(&w);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), 0);
	SAME(&b, a, COMPACT);
	rkmp_buf_free(&b);
}

TEST(json_write_unsigned_beyond_jansson)
{
	/* jansson's integers stop at INT64_MAX: printf is the oracle beyond */
	static const uint64_t v[] = { 0, 9, 10, UINT64_C(9223372036854775807),
	    UINT64_C(9223372036854775808), UINT64_MAX - 1, UINT64_MAX };
	char want[32];
	struct rkmp_buf b;
	struct rkmp_jw w;

	rkmp_buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rkmp_buf_reset(&b);
		rkmp_jw_init(&w, &b, false);
		rkmp_jw_uint(&w, v[i]);
		snprintf(want, sizeof(want), "%" PRIu64, v[i]);
		ASSERT_INT_EQ(b.len, strlen(want));
		ASSERT_MEM_EQ(b.p, want, b.len);
	}
	rkmp_buf_free(&b);
}

/* The same nested document both ways: objects in arrays in objects, empty
 * containers, every kind of value, member names that need escaping. */
static json_t *
nested(struct rkmp_jw *w)
{
	json_t *o = json_object(), *a = json_array(), *in = json_object(), *deep = json_array();
	json_t *cur = deep;
	static const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };

	rkmp_jw_object(w);
	RKMP_JW_KEY(w, "file");
	rkmp_jw_str(w, "a/b.pcap");
	json_object_set_new(o, "file", json_string("a/b.pcap"));
	rkmp_jw_key(w, "we\"ird\n\x01key/");
	rkmp_jw_int(w, -5);
	json_object_set_new(o, "we\"ird\n\x01key/", json_integer(-5));
	RKMP_JW_KEY(w, "empty_o");
	rkmp_jw_object(w);
	rkmp_jw_object_end(w);
	json_object_set_new(o, "empty_o", json_object());
	RKMP_JW_KEY(w, "empty_a");
	rkmp_jw_array(w);
	rkmp_jw_array_end(w);
	json_object_set_new(o, "empty_a", json_array());
	RKMP_JW_KEY(w, "list");
	rkmp_jw_array(w);
	for (int i = 0; i < 3; i++) {
		rkmp_jw_object(w);
		RKMP_JW_KEY(w, "i");
		rkmp_jw_uint(w, (uint64_t)i);
		RKMP_JW_KEY(w, "t");
		rkmp_jw_bool(w, i & 1);
		RKMP_JW_KEY(w, "n");
		rkmp_jw_null(w);
		RKMP_JW_KEY(w, "h");
		rkmp_jw_hex(w, bytes, (size_t)i * 2);
		rkmp_jw_object_end(w);
		json_array_append_new(a, json_pack("{s:I,s:b,s:n,s:s}", "i", (json_int_t)i, "t",
		    i & 1, "n", "h", i == 0 ? "" : i == 1 ? "0001" : "00017f80"));
	}
	rkmp_jw_array(w);
	rkmp_jw_array_end(w);
	json_array_append_new(a, json_array());
	rkmp_jw_str(w, "x");
	json_array_append_new(a, json_string("x"));
	rkmp_jw_array_end(w);
	json_object_set_new(o, "list", a);
	RKMP_JW_KEY(w, "in");
	rkmp_jw_object(w);
	RKMP_JW_KEY(w, "hex");
	rkmp_jw_hex(w, bytes, sizeof(bytes));
	json_object_set_new(in, "hex", json_string("00017f80abff"));
	RKMP_JW_KEY(w, "f");
	rkmp_jw_bool(w, false);
	json_object_set_new(in, "f", json_false());
	rkmp_jw_object_end(w);
	json_object_set_new(o, "in", in);
	/* RKMP_JW_DEPTH - 2 arrays deep, with the object around: the deepest allowed */
	RKMP_JW_KEY(w, "deep");
	rkmp_jw_array(w);
	for (int i = 0; i < RKMP_JW_DEPTH - 2; i++) {
		json_t *next = json_array();

		rkmp_jw_int(w, i);
		rkmp_jw_array(w);
		json_array_append_new(cur, json_integer(i));
		json_array_append_new(cur, next);
		cur = next;
	}
	for (int i = 0; i < RKMP_JW_DEPTH - 1; i++)
		rkmp_jw_array_end(w);
	json_object_set_new(o, "deep", deep);
	rkmp_jw_object_end(w);
	return o;
}

TEST(json_write_nesting_and_commas_compact_and_spaced)
{
	struct rkmp_buf b;
	struct rkmp_jw w;
	json_t *j;

	rkmp_buf_init(&b, 1u << 20);
	for (int spaced = 0; spaced < 2; spaced++) {
		rkmp_buf_reset(&b);
		rkmp_jw_init(&w, &b, spaced);
		j = nested(&w);
		ASSERT_INT_EQ(rkmp_jw_finish(&w), 0);
		SAME(&b, j, spaced ? SPACED : COMPACT);
	}
	rkmp_buf_free(&b);
}

/* Indented as JSON_INDENT(n) (the state file's form, n = 2), n of 1, 2, 3 and 16. */
TEST(json_write_indented_as_jansson)
{
	static const unsigned ns[] = { 1, 2, 3, 16 };
	struct rkmp_buf b;
	struct rkmp_jw w;
	json_t *j;

	rkmp_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		rkmp_buf_reset(&b);
		rkmp_jw_init(&w, &b, false);
		rkmp_jw_indent(&w, ns[i]);
		j = nested(&w);
		ASSERT_INT_EQ(rkmp_jw_finish(&w), 0);
		SAME(&b, j, JSON_INDENT(ns[i]) | JSON_REAL_PRECISION(16) | JSON_ENCODE_ANY);
	}
	/* a top-level empty container and a scalar */
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_indent(&w, 2);
	rkmp_jw_array(&w);
	rkmp_jw_array_end(&w);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), 0);
	SAME(&b, json_array(), JSON_INDENT(2) | JSON_ENCODE_ANY);
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_indent(&w, 2);
	rkmp_jw_int(&w, 7);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), 0);
	SAME(&b, json_integer(7), JSON_INDENT(2) | JSON_ENCODE_ANY);
	/* misuse: 0 or 17 spaces, after the first value, raw members */
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_indent(&w, 0);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), RKMP_E_INTERNAL);
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_indent(&w, 17);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), RKMP_E_INTERNAL);
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_array(&w);
	rkmp_jw_indent(&w, 2);
	rkmp_jw_array_end(&w);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), RKMP_E_INTERNAL);
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_indent(&w, 2);
	rkmp_jw_object(&w);
	rkmp_jw_raw_members(&w, "\"a\": 1", 6);
	rkmp_jw_object_end(&w);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), RKMP_E_INTERNAL);
	rkmp_buf_free(&b);
}

TEST(json_write_reals_as_jansson)
{
	static const double v[] = { 0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 1.0 / 3, 123.456, 1e15, 1e16,
	    1e17, 1e20, 1e21, 1e100, 1e300, 1.7976931348623157e308, 1e-4, 1e-5, 1e-7, 1e-100,
	    5e-324, 2.2250738585072014e-308, 9007199254740993.0, 1795760122.106807, 12345678.9 };
	struct rkmp_buf b;
	struct rkmp_jw w;
	json_t *a = json_array();
	uint64_t x = 2463534242u;

	rkmp_buf_init(&b, 1u << 20);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_array(&w);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rkmp_jw_real(&w, v[i]);
		json_array_append_new(a, json_real(v[i]));
	}
	for (int i = 0; i < 3000; i++) {
		double d;
		uint64_t bits;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		bits = x & ~(UINT64_C(0x7ff) << 52);	/* a finite double: exponent below all ones */
		bits |= (x % 2046) << 52;
		memcpy(&d, &bits, sizeof(d));
		rkmp_jw_real(&w, d);
		json_array_append_new(a, json_real(d));
	}
	rkmp_jw_array_end(&w);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), 0);
	SAME(&b, a, COMPACT);
	rkmp_buf_free(&b);
}

TEST(json_write_capture_times_as_jansson_reals)
{
	static const int64_t secs[] = { 0, 1, 999999999, 1000000000, 1000000001, 1795760122,
	    2147483647, 2147483648, 4294967295, 4294967296, 9999999999, 10000000000, -1,
	    INT64_C(100000000000) };
	static const int32_t usecs[] = { 0, 1, 5, 10, 100000, 500000, 999999, 123456, 100,
	    -1, 1000000 };
	struct rkmp_buf b;
	struct rkmp_jw w;
	json_t *a = json_array();
	uint64_t x = 362436069;

	rkmp_buf_init(&b, 1u << 22);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_array(&w);
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		for (size_t k = 0; k < sizeof(usecs) / sizeof(usecs[0]); k++) {
			rkmp_jw_time(&w, secs[i], usecs[k]);
			json_array_append_new(a, json_real((double)secs[i] + usecs[k] / 1e6));
		}
	/* random times over the fast range (10^9 .. 2^32) and around it */
	for (int i = 0; i < 200000; i++) {
		int64_t s;
		int32_t u;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		s = 900000000 + (int64_t)(x % 3500000000u);
		u = (int32_t)((x >> 32) % 1000000);
		if (i % 5 == 0)
			u = (u / 1000) * 1000;	/* trailing zeros */
		rkmp_jw_time(&w, s, u);
		json_array_append_new(a, json_real((double)s + u / 1e6));
	}
	rkmp_jw_array_end(&w);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), 0);
	SAME(&b, a, COMPACT);
	rkmp_buf_free(&b);
}

TEST(json_write_raw_value_and_members)
{
	struct rkmp_buf b;
	struct rkmp_jw w;
	json_t *j;

	rkmp_buf_init(&b, 0);
	for (int spaced = 0; spaced < 2; spaced++) {
		rkmp_buf_reset(&b);
		rkmp_jw_init(&w, &b, spaced);
		rkmp_jw_object(&w);
		RKMP_JW_KEY(&w, "psi");
		rkmp_jw_raw(&w, "{\"a\":[1,\"x\"]}", 13);
		rkmp_jw_raw_members(&w, "\"m\":1,\"n\":{}", 12);
		rkmp_jw_raw_members(&w, "", 0);
		RKMP_JW_KEY(&w, "z");
		rkmp_jw_object(&w);
		rkmp_jw_raw_members(&w, "\"only\":true", 11);
		rkmp_jw_object_end(&w);
		rkmp_jw_object_end(&w);
		ASSERT_INT_EQ(rkmp_jw_finish(&w), 0);
		j = json_pack("{s:{s:[i,s]},s:i,s:{},s:{s:b}}", "psi", "a", 1, "x", "m", 1, "n", "z",
		    "only", 1);
		/* raw text goes as it is: compact inside, whatever the form */
		if (!spaced)
			SAME(&b, j, COMPACT);
		else {
			static const char want[] = "{\"psi\": {\"a\":[1,\"x\"]}, \"m\":1,\"n\":{}, "
			    "\"z\": {\"only\":true}}";

			json_decref(j);
			ASSERT_INT_EQ(b.len, sizeof(want) - 1);
			ASSERT_MEM_EQ(b.p, want, b.len);
		}
	}
	rkmp_buf_free(&b);
}

TEST(json_write_refuses_misuse)
{
	struct rkmp_buf b;
	struct rkmp_jw w;

	rkmp_buf_init(&b, 0);
	/* a member name in an array, at the top, twice in a row */
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_array(&w);
	RKMP_JW_KEY(&w, "k");
	ASSERT_INT_EQ(rkmp_jw_finish(&w), RKMP_E_INTERNAL);
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	RKMP_JW_KEY(&w, "k");
	ASSERT_INT_EQ(b.err, RKMP_E_INTERNAL);
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_object(&w);
	RKMP_JW_KEY(&w, "k");
	RKMP_JW_KEY(&w, "l");
	ASSERT_INT_EQ(b.err, RKMP_E_INTERNAL);
	/* a value without its name in an object */
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_object(&w);
	rkmp_jw_int(&w, 1);
	ASSERT_INT_EQ(b.err, RKMP_E_INTERNAL);
	/* closes that do not match, or a name without its value */
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_object(&w);
	rkmp_jw_array_end(&w);
	ASSERT_INT_EQ(b.err, RKMP_E_INTERNAL);
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_object_end(&w);
	ASSERT_INT_EQ(b.err, RKMP_E_INTERNAL);
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_object(&w);
	RKMP_JW_KEY(&w, "k");
	rkmp_jw_object_end(&w);
	ASSERT_INT_EQ(b.err, RKMP_E_INTERNAL);
	/* left open */
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_array(&w);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), RKMP_E_INTERNAL);
	/* deeper than RKMP_JW_DEPTH */
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	for (int i = 0; i < RKMP_JW_DEPTH; i++)
		rkmp_jw_array(&w);
	ASSERT_INT_EQ(b.err, 0);
	rkmp_jw_array(&w);
	ASSERT_INT_EQ(b.err, RKMP_E_INTERNAL);
	/* a real that is not finite (jansson has no such real either) */
	rkmp_buf_reset(&b);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_real(&w, HUGE_VAL);
	ASSERT_INT_EQ(b.err, RKMP_E_INTERNAL);
	ASSERT_TRUE(json_real(HUGE_VAL) == NULL);
	rkmp_buf_free(&b);
	/* the buffer's own bound: its error, sticky */
	rkmp_buf_init(&b, 8);
	rkmp_jw_init(&w, &b, false);
	rkmp_jw_str(&w, "0123456789");
	rkmp_jw_int(&w, 1);
	ASSERT_INT_EQ(rkmp_jw_finish(&w), RKMP_E_INVALID);
	rkmp_buf_free(&b);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_kt_list.c — the key table as text columns (lib/kt_list.c): durations,
 * elision by characters, and tables whose lines stay within the width, line
 * up with their header and never show a key, on ordinary rows and on rows
 * made as wide as the columns can be (long group names, IPv6 peers, RSVP-TE
 * key names, the longest AlgID, windows of thousands of days).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "keytable.h"
#include "kt_list.h"
#include "wire.h"
#include "test_helper.h"
#include "tests.h"

#define T0	INT64_C(1767225600)	/* 2026-01-01T00:00:00Z */

static const uint8_t key20[20] = {
	0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad,
	0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,
};

/* An RKMP-made TCP-AO row for peer: δ 5 s, 9 h, G 120 s from T0. */
static struct rkmp_keytable_row
row(const char *const *peers, size_t npeers)
{
	static const char *const all[] = { "all" };
	struct rkmp_keytable_row r = {
		.admin_name = "rkmp/tcp-ao/192.0.2.2/3d-54/0001", .local_name = "54",
		.peer_name = "3d", .peers = peers, .npeers = npeers, .interfaces = all,
		.ninterfaces = 1, .protocol = RKMP_PROTO_TCP_AO, .psi = "{}", .kdf = "HMAC-SHA-1",
		.alg_id = "HMAC-SHA-1-96", .key = key20, .key_len = sizeof(key20),
		.direction = RKMP_KEYTABLE_BOTH, .send_start = T0 + 5, .send_end = T0 + 9 * 3600,
		.accept_start = T0, .accept_end = T0 + 9 * 3600 + 120,
	};

	return r;
}

/* The lines of rows as listed at now in width, NUL-terminated, into out. */
static size_t
list(const struct rkmp_keytable_row *rows, size_t n, int64_t now, size_t width,
    struct rkmp_kt_list *l, char *out, size_t cap)
{
	struct rkmp_buf b;
	size_t len;

	rkmp_kt_list_init(l, now, width);
	for (size_t i = 0; i < n; i++)
		rkmp_kt_list_add(l, &rows[i]);
	rkmp_kt_list_fit(l);
	rkmp_buf_init(&b, 1u << 20);
	rkmp_kt_list_header(l, &b);
	for (size_t i = 0; i < n; i++)
		rkmp_kt_list_row(l, &rows[i], &b);
	len = b.err == 0 && b.len < cap ? b.len : 0;
	memcpy(out, b.p, len);
	out[len] = '\0';
	rkmp_buf_free(&b);
	return len;
}

/*
 * Every line of text within width characters, and lined up: each column of
 * the header starts where the same column of every row does, after a space.
 * The number of lines is returned (0 on a failure, reported).
 */
static size_t
check_lines(const struct rkmp_kt_list *l, char *text, size_t width)
{
	size_t starts[RKMP_KT_LIST_NCOL], nlines = 0, off = 0;
	char *save = NULL, *line;

	for (size_t c = 0; c < RKMP_KT_LIST_NCOL; c++) {
		starts[c] = off;
		off += l->w[c] + l->gap;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		size_t chars = rkmp_kt_list_chars(line);

		if (chars > width) {
			test_fail(__FILE__, __LINE__, "%zu characters > %zu: %s", chars, width, line);
			return 0;
		}
		for (size_t c = 0; c < RKMP_KT_LIST_NCOL; c++) {
			/* the cells hold no space and no multi-octet character here */
			if (starts[c] >= strlen(line) || line[starts[c]] == ' ' ||
			    (c > 0 && line[starts[c] - 1] != ' ')) {
				test_fail(__FILE__, __LINE__, "column %zu does not start at %zu: %s", c,
				    starts[c], line);
				return 0;
			}
		}
		if (strstr(line, "deadbeef") != NULL) {
			test_fail(__FILE__, __LINE__, "a key in: %s", line);
			return 0;
		}
		nlines++;
	}
	return nlines;
}

TEST(kt_list_durations)
{
	char d[RKMP_KT_LIST_DUR_MAX];

	ASSERT_STR_EQ(rkmp_kt_list_duration(0, d), "now");
	ASSERT_STR_EQ(rkmp_kt_list_duration(5, d), "+5s");
	ASSERT_STR_EQ(rkmp_kt_list_duration(-5, d), "-5s");
	ASSERT_STR_EQ(rkmp_kt_list_duration(120, d), "+2m");
	ASSERT_STR_EQ(rkmp_kt_list_duration(125, d), "+2m5s");
	ASSERT_STR_EQ(rkmp_kt_list_duration(-3595, d), "-59m55s");
	/* two units, cut toward zero; a zero second unit is left out */
	ASSERT_STR_EQ(rkmp_kt_list_duration(9 * 3600 - 5, d), "+8h59m");
	ASSERT_STR_EQ(rkmp_kt_list_duration(9 * 3600 + 5, d), "+9h");
	ASSERT_STR_EQ(rkmp_kt_list_duration(9 * 3600 + 120, d), "+9h2m");
	ASSERT_STR_EQ(rkmp_kt_list_duration(365 * 86400, d), "+365d");
	ASSERT_STR_EQ(rkmp_kt_list_duration(-(86400 + 3 * 3600 + 59), d), "-1d3h");
	ASSERT_STR_EQ(rkmp_kt_list_duration(INT64_MIN, d), "-106751991167300d15h");
	ASSERT_STR_EQ(rkmp_kt_list_duration(INT64_MAX, d), "+106751991167300d15h");
}

TEST(kt_list_elision_counts_characters)
{
	char out[256];

	ASSERT_STR_EQ(rkmp_kt_list_elide("192.0.2.2", 9, 1, 2, out), "192.0.2.2");
	ASSERT_STR_EQ(rkmp_kt_list_elide("192.0.2.2", 20, 1, 2, out), "192.0.2.2");
	ASSERT_STR_EQ(rkmp_kt_list_elide("2001:db8:1234:5678:9abc:def0:1234:5678", 15, 1, 2, out),
	    "2001:db~34:5678");
	ASSERT_STR_EQ(rkmp_kt_list_elide("abcdefghij", 7, 1, 3, out), "ab~ghij");
	ASSERT_STR_EQ(rkmp_kt_list_elide("abcdef", 1, 1, 2, out), "~");
	ASSERT_STR_EQ(rkmp_kt_list_elide("abcdef", 0, 1, 2, out), "");
	/* UTF-8: characters are counted and never cut in two */
	ASSERT_INT_EQ(rkmp_kt_list_chars("h\xc3\xa9llo w\xc3\xb6rld"), 11);
	ASSERT_STR_EQ(rkmp_kt_list_elide("h\xc3\xa9llo w\xc3\xb6rld", 5, 1, 2, out),
	    "h\xc3\xa9~ld");
	ASSERT_STR_EQ(rkmp_kt_list_elide("h\xc3\xa9llo w\xc3\xb6rld", 6, 1, 2, out),
	    "h\xc3\xa9~rld");
	ASSERT_STR_EQ(rkmp_kt_list_elide("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 3, 1, 2, out),
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
	/* control characters would break the line or the columns */
	ASSERT_STR_EQ(rkmp_kt_list_elide("a\tb\nc\x7f", 10, 1, 2, out), "a?b?c?");
}

TEST(kt_list_ordinary_rows_in_full)
{
	static const char *const p4[] = { "192.0.2.2" }, *const p6[] = { "2001:DB8:0:0::2" };
	struct rkmp_keytable_row rows[2] = { row(p4, 1), row(p6, 1) };
	struct rkmp_kt_list l;
	char text[4096];

	rows[1].protocol = RKMP_PROTO_ESP;
	rows[1].local_name = "c1a2b3c4";
	rows[1].peer_name = "c5d6e7f8";
	rows[1].alg_id = "aes128-sha256";
	ASSERT_TRUE(list(rows, 2, T0 + 1, RKMP_KT_LIST_WIDTH, &l, text, sizeof(text)) > 0);
	ASSERT_STR_EQ(text,
	    "PROTO   PEER         RECV/SEND          ALGID          DIR   SEND         ACCEPT      STATE\n"
	    "tcp-ao  192.0.2.2    54/3d              HMAC-SHA-1-96  both  +4s..+8h59m  -1s..+9h1m  accept-only\n"
	    "esp     2001:db8::2  c1a2b3c4/c5d6e7f8  aes128-sha256  both  +4s..+8h59m  -1s..+9h1m  accept-only\n");
	ASSERT_INT_EQ(check_lines(&l, text, RKMP_KT_LIST_WIDTH), 3);
	/* later: the states and windows move with now */
	ASSERT_TRUE(list(rows, 1, T0 + 9 * 3600 + 60, RKMP_KT_LIST_WIDTH, &l, text,
	    sizeof(text)) > 0);
	ASSERT_STR_CONTAINS(text, "  -9h..-1m  -9h1m..+1m  accept-only\n");
	ASSERT_TRUE(list(rows, 1, T0 - 30, RKMP_KT_LIST_WIDTH, &l, text, sizeof(text)) > 0);
	ASSERT_STR_CONTAINS(text, "  +35s..+9h  +30s..+9h2m  pending\n");
	/* a group key has no PeerKeyName; more peers are counted */
	{
		static const char *const g[] = { "192.0.2.7", "192.0.2.8", "2001:db8::9" };

		rows[0] = row(g, 3);
		rows[0].peer_name = "";
		ASSERT_TRUE(list(rows, 1, T0 + 60, RKMP_KT_LIST_WIDTH, &l, text, sizeof(text)) > 0);
		ASSERT_STR_CONTAINS(text, "\ntcp-ao  192.0.2.7+2  54/-  ");
	}
}

TEST(kt_list_widest_rows_fit_and_line_up)
{
	static const char *const pg[] = {
		"group:a-very-long-group-name-for-the-core-routers-of-the-lab-network-number-seven",
	};
	static const char *const p6[] = { "2001:db8:1234:5678:9abc:def0:1234:5678" };
	static const char *const pm[] = { "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "192.0.2.1" };
	struct rkmp_keytable_row rows[6] = { row(pg, 1), row(p6, 1), row(pm, 2), row(p6, 1),
	    row(pg, 1), row(p6, 1) };
	struct rkmp_kt_list l;
	char text[8192];

	rows[1].protocol = RKMP_PROTO_BFD;
	rows[1].alg_id = "BFD-GENERIC-METICULOUS-HMAC-SHA-256";
	rows[1].direction = RKMP_KEYTABLE_DISABLED;
	rows[2].protocol = RKMP_PROTO_RSVP_TE;
	rows[2].local_name = "0123456789ab";
	rows[2].peer_name = "ba9876543210";
	rows[2].alg_id = "HMAC-MD5";
	rows[2].send_start = rows[2].accept_start = -62135596800;	/* 0001-01-01 */
	rows[2].send_end = rows[2].accept_end = 253402300799;		/* 9999-12-31 */
	rows[3].protocol = RKMP_PROTO_ESP;
	rows[3].local_name = "c1a2b3c4";
	rows[3].peer_name = "c5d6e7f8";
	rows[3].alg_id = "aes256gcm16-prfsha256-x25519";
	rows[3].direction = RKMP_KEYTABLE_IN;
	rows[4].alg_id = "a-\xc3\xa9-long-\xe2\x82\xac-algorithm-name-with-some-characters-beyond-ascii";
	rows[5].send_start = T0 + 7200;		/* accept-only at T0 + 3600 */
	for (size_t n = 1; n <= 6; n++) {
		ASSERT_TRUE(list(rows, n, T0 + 3600, RKMP_KT_LIST_WIDTH, &l, text, sizeof(text)) > 0);
		if (n < 5)	/* the last AlgID's characters are not one octet each */
			ASSERT_INT_EQ(check_lines(&l, text, RKMP_KT_LIST_WIDTH), n + 1);
		else {
			char *save = NULL;

			for (char *s = strtok_r(text, "\n", &save); s != NULL;
			    s = strtok_r(NULL, "\n", &save))
				ASSERT_TRUE(rkmp_kt_list_chars(s) <= RKMP_KT_LIST_WIDTH);
		}
	}
	/* what gives way first: the gaps, the middle of a long peer, of a long AlgID */
	{
		struct rkmp_keytable_row two[2] = { rows[0], rows[3] };

		ASSERT_TRUE(list(two, 2, T0 + 3600, RKMP_KT_LIST_WIDTH, &l, text, sizeof(text)) > 0);
		ASSERT_STR_EQ(text,
		    "PROTO  PEER                   RECV/SEND         ALGID            DIR  SEND         ACCEPT     STATE\n"
		    "tcp-ao group:a-ve~umber-seven 54/3d             HMAC-SHA-1-96    both -59m55s..+8h -1h..+8h2m active\n"
		    "esp    2001:db8:1~0:1234:5678 c1a2b3c4/c5d6e7f8 aes256g~6-x25519 in   -59m55s..+8h -1h..+8h2m active\n");
	}
	/* then the windows' second units, the middle of RSVP-TE key names */
	ASSERT_TRUE(list(rows, 4, T0 + 3600, RKMP_KT_LIST_WIDTH, &l, text, sizeof(text)) > 0);
	ASSERT_STR_CONTAINS(text, "\nrsvp-te ffff:fff~fff:ffff+1 012~9ab/ba9~3210 HMAC-MD5       both ");
	ASSERT_STR_CONTAINS(text, " both     -7396~2442d -739~2442d active\n");
	ASSERT_STR_CONTAINS(text, " in       -59m..+8h   -1h..+8h2m active\n");
	/* every column at its floor, PROTO, DIR and STATE at their widest: 100 */
	ASSERT_TRUE(list(rows, 6, T0 + 3600, RKMP_KT_LIST_WIDTH, &l, text, sizeof(text)) > 0);
	{
		static const size_t floors[RKMP_KT_LIST_NCOL] = { 7, 19, 13, 14, 8, 11, 10, 11 };

		ASSERT_INT_EQ(l.gap, 1);
		for (size_t c = 0; c < RKMP_KT_LIST_NCOL; c++)
			ASSERT_INT_EQ(l.w[c], floors[c]);
	}
	ASSERT_STR_CONTAINS(text, "\ntcp-ao  2001:db8:~1234:5678 54/3d         HMAC-SHA-1-96  both     "
	    "+1h..+8h    -1h..+8h2m accept-only\n");
	/* a wider width shows more */
	ASSERT_TRUE(list(rows, 4, T0 + 3600, 400, &l, text, sizeof(text)) > 0);
	ASSERT_STR_CONTAINS(text, pg[0]);
	ASSERT_STR_CONTAINS(text, "BFD-GENERIC-METICULOUS-HMAC-SHA-256");
	ASSERT_STR_CONTAINS(text, "  0123456789ab/ba9876543210  ");
	ASSERT_INT_EQ(check_lines(&l, text, 400), 5);
}

TEST(kt_list_random_rows_fit)
{
	static const char *const algs[] = {
		"HMAC-SHA-1-96", "AES-128-CMAC-96", "BFD-GENERIC-METICULOUS-HMAC-SHA-256", "HMAC-MD5",
		"aes128-sha256", "x",
	};
	static const char *const names[] = { "54", "0123456789ab", "c1a2b3c4", "", "7" };
	static const char *const peers[] = {
		"192.0.2.2", "2001:db8::1", "2001:db8:1234:5678:9abc:def0:1234:5678",
		"group:core", "group:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"255.255.255.255",
	};
	static struct rkmp_keytable_row rows[40];
	static char text[65536];
	struct rkmp_kt_list l;
	uint32_t x = 12345;

	for (int round = 0; round < 200; round++) {
		size_t n = 1 + round % 40;

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			rows[i] = row(&peers[(x >> 8) % 6], 1 + (x >> 12) % 2);
			if ((x >> 12) % 6 == 5)
				rows[i].npeers = 1;
			rows[i].alg_id = algs[(x >> 16) % 6];
			rows[i].local_name = names[(x >> 20) % 4];
			rows[i].peer_name = names[(x >> 22) % 5];
			rows[i].protocol = (uint8_t[]){ 201, 202, 203, 3 }[(x >> 24) % 4];
			rows[i].direction = (enum rkmp_keytable_dir)((x >> 26) % 4);
			rows[i].send_start = T0 - (int64_t)(x % 100000) * (x % 7 ? 1 : 86400);
			rows[i].send_end = rows[i].send_start + (int64_t)(x % 3000000) * (x % 5 ? 1 : 500);
			rows[i].accept_start = rows[i].send_start - (x >> 4) % 10;
			rows[i].accept_end = rows[i].send_end + (x >> 6) % 200;
		}
		ASSERT_TRUE(list(rows, n, T0 + (int64_t)(x % 40000), RKMP_KT_LIST_WIDTH, &l, text,
		    sizeof(text)) > 0);
		if (check_lines(&l, text, RKMP_KT_LIST_WIDTH) != n + 1)
			return;
	}
}

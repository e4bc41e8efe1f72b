/* SPDX-License-Identifier: MIT */
/*
 * test_keytable.c — the RFC 7210 key table (lib/keytable.c, lib/kt_*.c):
 * times and the validation of every column with the exact detail a user sees
 * (kt_row.c), the table document (round trip, refusals: kt_json.c), insert's
 * duplicate rule, select and lookup as RFC 7210 §3 on rows with overlapping
 * lifetimes, rekey's overlap (RFC 7210 §6), expire, revoke (kt_op.c), the row
 * builder from a child SA (kt_child.c), the files (0600, refusing loose modes,
 * the lock, a missing table: kt_file.c) and the exports (kt_export.c).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "keytable.h"
#include "sa.h"
#include "wire.h"
#include "test_helper.h"
#include "tests.h"

/* ---------------------------------------------------------------- helpers */

/* The columns of a valid TCP-AO row, as JSON values, in RFC 7210 order. */
static const char *const base_cols[][2] = {
	{ "AdminKeyName", "\"rkmp/tcp-ao/192.0.2.2/3d-54/0001\"" },
	{ "LocalKeyName", "\"54\"" },
	{ "PeerKeyName", "\"3d\"" },
	{ "Peers", "[\"192.0.2.2\"]" },
	{ "Interfaces", "[\"all\"]" },
	{ "Protocol", "\"tcp-ao\"" },
	{ "ProtocolSpecificInfo", "{\"send\": {\"tcp_option_flag\": \"include\"}}" },
	{ "KDF", "\"HMAC-SHA-1\"" },
	{ "AlgID", "\"HMAC-SHA-1-96\"" },
	{ "Key", "\"00112233445566778899aabbccddeeff00112233\"" },
	{ "Direction", "\"both\"" },
	{ "SendLifetimeStart", "\"20260101000005Z\"" },
	{ "SendLifetimeEnd", "\"20260101090000Z\"" },
	{ "AcceptLifetimeStart", "\"20260101000000Z\"" },
	{ "AcceptLifetimeEnd", "\"20260101090200Z\"" },
	{ "x-rkmp", "{\"proto_id\": 201, \"rkmp_sa\": \"c0ffee00c0ffee00:1122334455667788\"}" },
};

/*
 * The base row with column col's value replaced by val (NULL: left out); a
 * column the base does not have is added at the end.
 */
static char *
row_with(const char *col, const char *val)
{
	static char buf[4096];
	size_t o = 0;
	bool done = false;

	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "{");
	for (size_t i = 0; i < sizeof(base_cols) / sizeof(base_cols[0]); i++) {
		const char *v = base_cols[i][1];

		if (col != NULL && strcmp(col, base_cols[i][0]) == 0) {
			done = true;
			if (val == NULL)
				continue;
			v = val;
		}
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s\"%s\": %s", o > 1 ? ", " : "",
		    base_cols[i][0], v);
	}
	if (col != NULL && !done && val != NULL)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, ", \"%s\": %s", col, val);
	snprintf(buf + o, sizeof(buf) - o, "}");
	return buf;
}

/* Parse rows text into a new table; the status. */
static int
rows(const char *text, struct rkmp_keytable **out)
{
	struct rkmp_keytable *kt = rkmp_keytable_new();
	int r;

	r = rkmp_keytable_parse_rows(kt, "in", text, strlen(text));
	if (r != 0) {
		rkmp_keytable_free(kt);
		kt = NULL;
	}
	*out = kt;
	return r;
}

static char *
tmp_dir(void)
{
	char tmpl[] = "/tmp/rkmp-test-keytable-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d != NULL ? strdup(d) : NULL;
}

static void
rm_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[1024];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			unlink(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

static int
write_mode(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t n = strlen(text);
	int r = 0;

	if (fd == -1)
		return -1;
	if (fchmod(fd, mode) == -1 || write(fd, text, n) != (ssize_t)n)
		r = -1;
	close(fd);
	return r;
}

static int64_t
t_of(const char *s)
{
	int64_t t = 0;

	rkmp_keytable_time_parse(s, &t);
	return t;
}

/* ---------------------------------------------------------------- times, names */

TEST(keytable_times)
{
	int64_t t;
	char out[16];

	ASSERT_INT_EQ(rkmp_keytable_time_parse("19700101000000Z", &t), 0);
	ASSERT_INT_EQ(t, 0);
	ASSERT_INT_EQ(rkmp_keytable_time_parse("20260101000005Z", &t), 0);
	ASSERT_INT_EQ(t, 1767225605);
	rkmp_keytable_time_format(t, out);
	ASSERT_STR_EQ(out, "20260101000005Z");
	ASSERT_INT_EQ(rkmp_keytable_time_parse("2026-01-01T00:00:05Z", &t), 0);
	ASSERT_INT_EQ(t, 1767225605);
	ASSERT_INT_EQ(rkmp_keytable_time_parse("20280229120000Z", &t), 0);
	rkmp_keytable_time_format(t, out);
	ASSERT_STR_EQ(out, "20280229120000Z");
	ASSERT_INT_EQ(rkmp_keytable_time_parse("19691231235959Z", &t), 0);
	ASSERT_INT_EQ(t, -1);
	rkmp_keytable_time_format(t, out);
	ASSERT_STR_EQ(out, "19691231235959Z");

	ASSERT_INT_EQ(rkmp_keytable_time_parse("20261301000000Z", &t), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "month 13");
	ASSERT_INT_EQ(rkmp_keytable_time_parse("20260229000000Z", &t), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "day 29 (2026-02 has 28)");
	ASSERT_INT_EQ(rkmp_keytable_time_parse("20260101240000Z", &t), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "hour 24");
	ASSERT_INT_EQ(rkmp_keytable_time_parse("20260101006000Z", &t), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "minute 60");
	ASSERT_INT_EQ(rkmp_keytable_time_parse("20260101000060Z", &t), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "second 60");
	ASSERT_INT_EQ(rkmp_keytable_time_parse("2026010100000Z", &t), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "14 characters: YYYYmmddHHMMSSZ expected");
	ASSERT_INT_EQ(rkmp_keytable_time_parse("20260101000000+", &t), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "no Z (UTC) at the end");
	ASSERT_INT_EQ(rkmp_keytable_time_parse("2026o101000000Z", &t), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_detail(), "character 5 is not a digit");
}

TEST(keytable_names_and_small_parsers)
{
	uint8_t p = 0;
	uint64_t v = 0, w = 0;

	ASSERT_TRUE(rkmp_keytable_protocol_value("tcp-ao", &p) && p == RKMP_PROTO_TCP_AO);
	ASSERT_TRUE(rkmp_keytable_protocol_value("202", &p) && p == RKMP_PROTO_BFD);
	ASSERT_TRUE(rkmp_keytable_protocol_value("esp", &p) && p == RKMP_PROTO_ESP);
	ASSERT_TRUE(!rkmp_keytable_protocol_value("ospf", &p));
	ASSERT_TRUE(!rkmp_keytable_protocol_value("6", &p));
	ASSERT_STR_EQ(rkmp_keytable_protocol_name(RKMP_PROTO_RSVP_TE), "rsvp-te");
	ASSERT_TRUE(rkmp_keytable_protocol_name(6) == NULL);
	ASSERT_TRUE(rkmp_keytable_spi_parse("0x3d", &v) && v == 0x3d);
	ASSERT_TRUE(rkmp_keytable_spi_parse("003D", &v) && v == 0x3d);
	ASSERT_TRUE(rkmp_keytable_spi_parse("00", &v) && v == 0);
	ASSERT_TRUE(!rkmp_keytable_spi_parse("", &v));
	ASSERT_TRUE(!rkmp_keytable_spi_parse("xyz", &v));
	ASSERT_TRUE(!rkmp_keytable_spi_parse("11223344556677889", &v));
	ASSERT_TRUE(rkmp_keytable_sa_parse("c0ffee00c0ffee00:1122334455667788", &v, &w));
	ASSERT_TRUE(v == 0xc0ffee00c0ffee00ull && w == 0x1122334455667788ull);
	ASSERT_TRUE(!rkmp_keytable_sa_parse("c0ffee00:1122334455667788", &v, &w));
	ASSERT_TRUE(rkmp_keytable_peer_ok("192.0.2.2"));
	ASSERT_TRUE(rkmp_keytable_peer_ok("2001:db8::2"));
	ASSERT_TRUE(rkmp_keytable_peer_ok("group:area0"));
	ASSERT_TRUE(!rkmp_keytable_peer_ok("group:"));
	ASSERT_TRUE(!rkmp_keytable_peer_ok("r2.example"));
	ASSERT_TRUE(!rkmp_keytable_peer_ok("192.0.2.256"));
}

/* ---------------------------------------------------------------- validation */

/* Every bad row is refused with exactly this detail. */
static const struct {
	const char	*col;
	const char	*val;		/* NULL: column left out */
	const char	*detail;
} bad_rows[] = {
	{ "SendLifetimeEnd", "\"20261301000000Z\"",
	    "row 0: SendLifetimeEnd \"20261301000000Z\": month 13" },
	{ "AcceptLifetimeStart", "\"2026010100000Z\"",
	    "row 0: AcceptLifetimeStart \"2026010100000Z\": YYYYmmddHHMMSSZ expected" },
	{ "Key", "\"00112233445566778899aabbccddeeff0011223\"",
	    "row 0: Key: odd number of hex digits (39)" },
	{ "Key", "\"00112233445566778899AAbbccddeeff00112233\"",
	    "row 0: Key: character 21 is not a lowercase hex digit (RFC 7210 §5.2)" },
	{ "Key", "\"\"", "row 0: Key: empty" },
	{ "Key", "\"" "00112233445566778899aabbccddeeff00112233" "00112233445566778899aabbccddeeff00112233"
	    "00112233445566778899aabbccddeeff00112233" "00112233445566778899aabbccddeeff00112233"
	    "0011" "\"", "row 0: Key: 82 octets; HMAC-SHA-1-96 takes 1 to 80" },
	{ "Direction", "\"sideways\"", "row 0: Direction \"sideways\": not in, out, both or disabled" },
	{ "Protocol", "\"ospf\"", "row 0: Protocol \"ospf\": not tcp-ao, bfd, rsvp-te, tcp-md5 or esp" },
	{ "Protocol", "\"201\"", "row 0: Protocol \"201\": not tcp-ao, bfd, rsvp-te, tcp-md5 or esp" },
	{ "Protocol", "201", "row 0: Protocol: a string expected, not a number" },
	{ "Peers", "[]", "row 0: Peers: empty (the peers that hold the key)" },
	{ "Peers", "\"192.0.2.2\"", "row 0: Peers: an array of strings expected, not a string" },
	{ "Peers", "[\"r2.example\"]",
	    "row 0: Peers[0] \"r2.example\": not an IPv4 or IPv6 address or group:NAME" },
	{ "Peers", "[\"2001:db8::2\", \"2001:DB8::2\"]",
	    "row 0: Peers[1] \"2001:DB8::2\": the same peer as Peers[0]" },
	{ "Peers", "[\"192.0.2.2\", 7]", "row 0: Peers[1]: a string expected, not a number" },
	{ "Interfaces", "[\"all\", \"eth0\"]", "row 0: Interfaces: \"all\" with other names" },
	{ "Interfaces", "[]", "row 0: Interfaces: empty (\"all\" for every interface)" },
	{ "LocalKeyName", "\"3D\"", "row 0: LocalKeyName \"3D\": not lowercase hexadecimal (RFC 7210 §5.1)" },
	{ "LocalKeyName", "\"003d\"",
	    "row 0: LocalKeyName \"003d\": tcp-ao key names are 2 hex digits (RFC 7210 §5.1)" },
	{ "LocalKeyName", "\"\"", "row 0: LocalKeyName: empty" },
	{ "PeerKeyName", "\"g\"", "row 0: PeerKeyName \"g\": not lowercase hexadecimal (RFC 7210 §5.1)" },
	{ "KDF", "\"none\"",
	    "row 0: KDF \"none\": AlgID HMAC-SHA-1-96 goes with KDF HMAC-SHA-1 (RFC 5926 §3.2)" },
	{ "AlgID", "\"HMAC-SHA-256\"",
	    "row 0: AlgID \"HMAC-SHA-256\": not one for tcp-ao (AES-128-CMAC-96, HMAC-SHA-1-96)" },
	{ "AcceptLifetimeEnd", "\"20251231000000Z\"",
	    "row 0: AcceptLifetimeEnd \"20251231000000Z\" is before AcceptLifetimeStart \"20260101000000Z\"" },
	{ "SendLifetimeStart", "\"20260101090001Z\"",
	    "row 0: SendLifetimeEnd \"20260101090000Z\" is before SendLifetimeStart \"20260101090001Z\"" },
	{ "SendLifeTimeEnd", "\"20260101090000Z\"",
	    "row 0: SendLifetimeEnd given twice (with both spellings of Lifetime?)" },
	{ "KDF", NULL, "row 0: KDF missing" },
	{ "x-rkmp", NULL, NULL },	/* optional: accepted */
	{ "Color", "\"red\"",
	    "row 0: unknown column \"Color\" (RFC 7210's columns only; anything else goes under x-rkmp)" },
	{ "ProtocolSpecificInfo", "[]", "row 0: ProtocolSpecificInfo: an object expected, not an array" },
	{ "x-rkmp", "{\"proto_id\": 202}", "row 0: x-rkmp.proto_id 202: Protocol is tcp-ao (201)" },
	{ "x-rkmp", "{\"rkmp_sa\": \"c0ffee00\"}",
	    "row 0: x-rkmp.rkmp_sa \"c0ffee00\": not SPIi:SPIr (16 hex digits each)" },
	{ "x-rkmp", "{\"role\": \"boss\"}", "row 0: x-rkmp.role \"boss\": not initiator or responder" },
	{ "x-rkmp", "{\"state\": 1}", "row 0: x-rkmp.state: a string expected, not a number" },
	{ "x-rkmp", "[]", "row 0: x-rkmp: an object expected, not an array" },
	{ "AdminKeyName", "\"\"", "row 0: AdminKeyName: empty" },
};

TEST(keytable_validation_details)
{
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		struct rkmp_keytable *kt;
		int r = rows(row_with(bad_rows[i].col, bad_rows[i].val), &kt);

		if (bad_rows[i].detail == NULL) {
			ASSERT_INT_EQ(r, 0);
			rkmp_keytable_free(kt);
			continue;
		}
		if (r != RKMP_E_STATE)
			test_fail(__FILE__, __LINE__, "case %zu (%s): status %d", i, bad_rows[i].col, r);
		ASSERT_INT_EQ(r, RKMP_E_STATE);
		ASSERT_STR_EQ(rkmp_err_where(), "in");
		ASSERT_STR_EQ(rkmp_err_detail(), bad_rows[i].detail);
	}
}

TEST(keytable_validation_of_other_protocols)
{
	struct rkmp_keytable *kt;
	char row[4096];

	/* BFD: KDF none, the rkmp AlgIDs, keyed SHA-1 keys up to 20 octets */
	snprintf(row, sizeof(row), "%s", row_with("Protocol", "\"bfd\""));
	ASSERT_INT_EQ(rows(row, &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "row 0: AlgID \"HMAC-SHA-1-96\": not one for bfd "
	    "(BFD-GENERIC-METICULOUS-HMAC-SHA-256, BFD-GENERIC-HMAC-SHA-256, BFD-METICULOUS-KEYED-SHA1, "
	    "BFD-KEYED-SHA1, BFD-METICULOUS-KEYED-MD5, BFD-KEYED-MD5)");
	ASSERT_INT_EQ(rows("{\"AdminKeyName\": \"b\", \"LocalKeyName\": \"07\", \"PeerKeyName\": \"08\", "
	    "\"Peers\": [\"192.0.2.2\"], \"Interfaces\": [\"eth0\"], \"Protocol\": \"bfd\", "
	    "\"ProtocolSpecificInfo\": {}, \"KDF\": \"none\", \"AlgID\": \"BFD-KEYED-MD5\", "
	    "\"Key\": \"00112233445566778899aabbccddeeff00\", \"Direction\": \"both\", "
	    "\"SendLifetimeStart\": \"20260101000000Z\", \"SendLifetimeEnd\": \"20260101000000Z\", "
	    "\"AcceptLifetimeStart\": \"20260101000000Z\", \"AcceptLifetimeEnd\": \"20260101000000Z\"}",
	    &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "row 0: Key: 17 octets; BFD-KEYED-MD5 takes 1 to 16");
	/* RSVP-TE names are 48 bits */
	ASSERT_INT_EQ(rows("{\"AdminKeyName\": \"r\", \"LocalKeyName\": \"07\", \"PeerKeyName\": \"\", "
	    "\"Peers\": [\"group:te\"], \"Interfaces\": [\"all\"], \"Protocol\": \"rsvp-te\", "
	    "\"ProtocolSpecificInfo\": {}, \"KDF\": \"none\", \"AlgID\": \"HMAC-MD5\", "
	    "\"Key\": \"00112233445566778899aabbccddeeff\", \"Direction\": \"in\", "
	    "\"SendLifetimeStart\": \"20260101000000Z\", \"SendLifetimeEnd\": \"20260101000000Z\", "
	    "\"AcceptLifetimeStart\": \"20260101000000Z\", \"AcceptLifetimeEnd\": \"20260101000000Z\"}",
	    &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "row 0: LocalKeyName \"07\": rsvp-te key names are 12 hex "
	    "digits (RFC 7210 §5.1)");
	/* ESP: a suite, both directions' keys */
	ASSERT_INT_EQ(rows("{\"AdminKeyName\": \"e\", \"LocalKeyName\": \"c1a2b3c4\", \"PeerKeyName\": "
	    "\"c5d6e7f8\", \"Peers\": [\"192.0.2.2\"], \"Interfaces\": [\"all\"], \"Protocol\": \"esp\", "
	    "\"ProtocolSpecificInfo\": {}, \"KDF\": \"none\", \"AlgID\": \"aes128-sha256\", "
	    "\"Key\": \"00112233445566778899aabbccddeeff\", \"Direction\": \"both\", "
	    "\"SendLifetimeStart\": \"20260101000000Z\", \"SendLifetimeEnd\": \"20260101000000Z\", "
	    "\"AcceptLifetimeStart\": \"20260101000000Z\", \"AcceptLifetimeEnd\": \"20260101000000Z\"}",
	    &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "row 0: Key: 16 octets; aes128-sha256 needs 96 (outbound "
	    "and inbound keys, 48 each)");
}

TEST(keytable_json_syntax_refusals)
{
	struct rkmp_keytable *kt;

	ASSERT_INT_EQ(rows("{\"AdminKeyName\": \"x\",\n \"AdminKeyName\": \"y\"}", &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "row 0: AdminKeyName given twice");
	ASSERT_INT_EQ(rows("{\"AdminKeyName\": \"x\n\"}", &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "not JSON: line 1 column 20: control character in a string");
	ASSERT_INT_EQ(rows("[{\"AdminKeyName\": \"\\u0000\"}]", &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "not JSON: line 1 column 20: \\u0000 in a string");
	ASSERT_INT_EQ(rows("{\"AdminKeyName\": \"\xc3\x28\"}", &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "not JSON: line 1 column 19: invalid UTF-8 in a string");
	ASSERT_INT_EQ(rows("", &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "no row");
	ASSERT_INT_EQ(rows("{\"x-rkmp\": {\"a\": 1, \"a\": 2}}", &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "row 0: x-rkmp.a given twice");
	/* unknown x-rkmp members are kept, minified */
	{
		char row[4096];
		struct rkmp_buf b;

		snprintf(row, sizeof(row), "%s", row_with("x-rkmp",
		    "{\"proto_id\": 201, \"note\": { \"by\" : [1, \"\\u00e9\"] } }"));
		ASSERT_INT_EQ(rows(row, &kt), 0);
		ASSERT_STR_EQ(rkmp_keytable_at(kt, 0)->x.extra, "\"note\":{\"by\":[1,\"\\u00e9\"]}");
		rkmp_buf_init(&b, 1u << 20);
		ASSERT_INT_EQ(rkmp_keytable_row_json(rkmp_keytable_at(kt, 0), false, &b), 0);
		rkmp_buf_put(&b, "", 1);
		ASSERT_STR_CONTAINS((const char *)b.p, "\"x-rkmp\": {\"proto_id\": 201, \"note\":{\"by\"");
		rkmp_buf_free(&b);
		rkmp_keytable_free(kt);
	}
	/* several rows: an array, or one object after another; duplicates among them refused */
	{
		char two[9000];

		snprintf(two, sizeof(two), "%s\n", row_with(NULL, NULL));
		snprintf(two + strlen(two), sizeof(two) - strlen(two), "%s",
		    row_with("LocalKeyName", "\"55\""));
		ASSERT_INT_EQ(rows(two, &kt), 0);
		ASSERT_INT_EQ(rkmp_keytable_count(kt), 2);
		rkmp_keytable_free(kt);
		snprintf(two, sizeof(two), "[%s,", row_with(NULL, NULL));
		snprintf(two + strlen(two), sizeof(two) - strlen(two), "%s]",
		    row_with("AdminKeyName", "\"again\""));
		ASSERT_INT_EQ(rows(two, &kt), RKMP_E_STATE);
		ASSERT_STR_EQ(rkmp_err_detail(), "row 1: tcp-ao, peer \"192.0.2.2\", LocalKeyName 54: "
		    "already in row 0 (rows are unique by Protocol, peer and LocalKeyName)");
	}
}

/* ---------------------------------------------------------------- documents */

static const char doc_head[] = "{\n  \"format\": \"rkmp-keytable\",\n  \"version\": 1,\n  \"rows\": [";

TEST(keytable_document_round_trip)
{
	struct rkmp_keytable *kt = rkmp_keytable_new(), *k2 = rkmp_keytable_new();
	struct rkmp_buf b, b2;
	char doc[8192];
	const struct rkmp_keytable_row *r;

	/* the RFC's spellings in, uniform Lifetime out */
	snprintf(doc, sizeof(doc), "%s\n    %s\n  ]\n}\n", doc_head, row_with(NULL, NULL));
	ASSERT_INT_EQ(rkmp_keytable_parse(kt, "t.json", doc, strlen(doc)), 0);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 1);
	r = rkmp_keytable_at(kt, 0);
	ASSERT_STR_EQ(r->admin_name, "rkmp/tcp-ao/192.0.2.2/3d-54/0001");
	ASSERT_INT_EQ(r->key_len, 20);
	ASSERT_INT_EQ(r->key[19], 0x33);
	ASSERT_INT_EQ(r->send_start, t_of("20260101000005Z"));
	ASSERT_INT_EQ(r->x.proto_id, 201);
	rkmp_buf_init(&b, 1u << 20);
	ASSERT_INT_EQ(rkmp_keytable_format(kt, &b), 0);
	rkmp_buf_put(&b, "", 1);
	/* a row on one line is written back as it was read */
	ASSERT_STR_CONTAINS((const char *)b.p, row_with(NULL, NULL));
	/* what we write, we read back the same, byte for byte */
	ASSERT_INT_EQ(rkmp_keytable_parse(k2, "t2.json", (const char *)b.p, b.len - 1), 0);
	rkmp_buf_init(&b2, 1u << 20);
	ASSERT_INT_EQ(rkmp_keytable_format(k2, &b2), 0);
	rkmp_buf_put(&b2, "", 1);
	ASSERT_STR_EQ((const char *)b2.p, (const char *)b.p);
	rkmp_buf_free(&b);
	rkmp_buf_free(&b2);
	rkmp_keytable_free(kt);
	rkmp_keytable_free(k2);

	/* a LifeTime spelling and a row over two lines are rewritten */
	kt = rkmp_keytable_new();
	snprintf(doc, sizeof(doc), "%s\n    %s\n  ]\n}\n", doc_head,
	    row_with("AcceptLifetimeEnd", NULL));
	doc[strlen(doc) - 8] = '\0';
	snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), ",\n \"AcceptLifeTimeEnd\": "
	    "\"20260101090200Z\"}\n  ]\n}\n");
	ASSERT_INT_EQ(rkmp_keytable_parse(kt, "t.json", doc, strlen(doc)), 0);
	rkmp_buf_init(&b, 1u << 20);
	ASSERT_INT_EQ(rkmp_keytable_format(kt, &b), 0);
	rkmp_buf_put(&b, "", 1);
	ASSERT_STR_CONTAINS((const char *)b.p, "\"AcceptLifetimeEnd\": \"20260101090200Z\", \"x-rkmp\"");
	ASSERT_TRUE(strstr((const char *)b.p, "LifeTime") == NULL);
	rkmp_buf_free(&b);
	rkmp_keytable_free(kt);

	/* empty */
	kt = rkmp_keytable_new();
	{
		const char *e = "{\"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": []}";

		ASSERT_INT_EQ(rkmp_keytable_parse(kt, "e.json", e, strlen(e)), 0);
	}
	rkmp_buf_init(&b, 1u << 20);
	ASSERT_INT_EQ(rkmp_keytable_format(kt, &b), 0);
	rkmp_buf_put(&b, "", 1);
	ASSERT_STR_EQ((const char *)b.p, "{\n  \"format\": \"rkmp-keytable\",\n  \"version\": 1,\n  \"rows\": []\n}\n");
	rkmp_buf_free(&b);
	rkmp_keytable_free(kt);
}

TEST(keytable_document_refusals)
{
	static const struct {
		const char	*text;
		const char	*detail;
	} cases[] = {
		{ "{\"format\": \"rkmp-state\", \"version\": 1, \"rows\": []}",
		    "format \"rkmp-state\": not a key table (rkmp-keytable)" },
		{ "{\"format\": \"rkmp-keytable\", \"version\": 2, \"rows\": []}",
		    "version 2: unknown (this rkmp reads version 1)" },
		{ "{\"format\": \"rkmp-keytable\", \"version\": 1}", "rows missing: not a key table" },
		{ "{\"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": [], \"extra\": 1}",
		    "unknown key \"extra\"" },
		{ "{\"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": {}}",
		    "rows: an array expected, not an object" },
		{ "{\"format\": \"rkmp-keytable\",\n \"version\": 1,\n \"rows\": [}",
		    "row 0: an object expected, not '}'" },
		{ "{\"format\": \"rkmp-keytable\",\n \"version\": 1,\n \"rows\": [{\"AdminKeyName\" 1}]}",
		    "not JSON: line 3 column 27: ':' expected" },
		{ "{\"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": []} x",
		    "not JSON: line 1 column 55: text after the end" },
		{ "\xef\xbb\xbf{}", "not JSON: line 1 column 1: a byte order mark" },
		{ "{\"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": [{\"AdminKeyName\": 1}]}",
		    "row 0: AdminKeyName: a string expected, not a number" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rkmp_keytable *kt = rkmp_keytable_new();

		ASSERT_INT_EQ(rkmp_keytable_parse(kt, "t.json", cases[i].text, strlen(cases[i].text)),
		    RKMP_E_STATE);
		ASSERT_STR_EQ(rkmp_err_where(), "t.json");
		ASSERT_STR_EQ(rkmp_err_detail(), cases[i].detail);
		rkmp_keytable_free(kt);
	}
}

/* ---------------------------------------------------------------- insert */

TEST(keytable_insert_refuses_a_duplicate)
{
	struct rkmp_keytable *in, *kt = rkmp_keytable_new();
	struct rkmp_keytable_row r;
	const char *peers[] = { "198.51.100.1", "192.0.2.2" };

	ASSERT_INT_EQ(rows(row_with(NULL, NULL), &in), 0);
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, rkmp_keytable_at(in, 0)), 0);
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, rkmp_keytable_at(in, 0)), RKMP_E_REFUSED);
	ASSERT_STR_EQ(rkmp_err_detail(), "tcp-ao, peer \"192.0.2.2\", LocalKeyName 54: row 0 "
	    "\"rkmp/tcp-ao/192.0.2.2/3d-54/0001\" has them already");
	/* a peer in common is enough */
	r = *rkmp_keytable_at(in, 0);
	r.peers = peers;
	r.npeers = 2;
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), RKMP_E_REFUSED);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "peer \"192.0.2.2\"");
	/* another peer, another key name, or another protocol: fine */
	r.npeers = 1;
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), 0);
	r = *rkmp_keytable_at(in, 0);
	r.local_name = "55";
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), 0);
	r = *rkmp_keytable_at(in, 0);
	r.protocol = RKMP_PROTO_BFD;
	r.kdf = "none";
	r.alg_id = "BFD-KEYED-SHA1";
	r.x.proto_id = -1;
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), 0);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 4);
	/* an invalid row is refused as such */
	r.send_end = r.send_start - 1;
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "SendLifetimeEnd \"20260101000004Z\" is before "
	    "SendLifetimeStart \"20260101000005Z\"");
	r = *rkmp_keytable_at(in, 0);
	r.psi = "{\"a\": }";
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "ProtocolSpecificInfo: a JSON object expected");
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 4);
	rkmp_keytable_free(in);
	rkmp_keytable_free(kt);
}

/* ---------------------------------------------------------------- select, lookup */

/* A row for the selection table: name, key names, direction, windows, interface, AlgID. */
static void
add(struct rkmp_keytable *kt, const char *name, const char *local, const char *dir,
    const char *ss, const char *se, const char *as, const char *ae, const char *iface,
    const char *alg)
{
	struct rkmp_keytable *in;
	struct rkmp_keytable_row r;
	const char *ifs[1] = { iface };

	if (rows(row_with(NULL, NULL), &in) != 0)
		return;
	r = *rkmp_keytable_at(in, 0);
	r.admin_name = name;
	r.local_name = local;
	r.direction = strcmp(dir, "in") == 0 ? RKMP_KEYTABLE_IN : strcmp(dir, "out") == 0 ?
	    RKMP_KEYTABLE_OUT : strcmp(dir, "both") == 0 ? RKMP_KEYTABLE_BOTH : RKMP_KEYTABLE_DISABLED;
	r.send_start = t_of(ss);
	r.send_end = t_of(se);
	r.accept_start = t_of(as);
	r.accept_end = t_of(ae);
	r.interfaces = ifs;
	if (alg != NULL && strcmp(alg, "AES-128-CMAC-96") == 0) {
		r.alg_id = alg;
		r.kdf = "AES-128-CMAC";
	}
	if (rkmp_keytable_insert(kt, &r) != 0)
		test_fail(__FILE__, __LINE__, "add %s: %s", name, rkmp_err_text());
	rkmp_keytable_free(in);
}

static const char *
selected(const struct rkmp_keytable *kt, const char *now, const char *iface,
    const char *const *prefer, size_t nprefer)
{
	struct rkmp_keytable_query q = { RKMP_PROTO_TCP_AO, "192.0.2.2", iface, NULL, t_of(now),
	    prefer, nprefer };
	size_t i;

	if (rkmp_keytable_select(kt, &q, &i) != 0)
		return "(none)";
	return rkmp_keytable_at(kt, i)->admin_name;
}

static const char *
looked_up(const struct rkmp_keytable *kt, const char *now, const char *name, const char *iface)
{
	struct rkmp_keytable_query q = { RKMP_PROTO_TCP_AO, "192.0.2.2", iface, name, t_of(now),
	    NULL, 0 };
	size_t i;

	if (rkmp_keytable_lookup(kt, &q, &i) != 0)
		return "(none)";
	return rkmp_keytable_at(kt, i)->admin_name;
}

TEST(keytable_select_and_lookup_rfc7210_s3)
{
	struct rkmp_keytable *kt = rkmp_keytable_new();
	const char *cmac_last[] = { "HMAC-SHA-1-96", "AES-128-CMAC-96" };

	/*
	 *        00    01    02    03    04    05    06    07    08    09    10
	 * old    [send 00:00 ........................ 06:00]  accept to 06:02
	 * new                [send 02:00 ...................................... 10:00]
	 * out-only                             [04:00 .. 05:00] (no accept window use)
	 * in-only  accept only, 00:00 .. 10:00 (never selected)
	 * off    disabled
	 * eth1   [send 00:00 ............................................ 10:00] on eth1 only
	 */
	add(kt, "old", "54", "both", "20260101000000Z", "20260101060000Z", "20260101000000Z",
	    "20260101060200Z", "all", NULL);
	add(kt, "new", "55", "both", "20260101020000Z", "20260101100000Z", "20260101015500Z",
	    "20260101100200Z", "all", NULL);
	add(kt, "out-only", "56", "out", "20260101040000Z", "20260101050000Z", "20260101040000Z",
	    "20260101050000Z", "all", NULL);
	add(kt, "in-only", "57", "in", "20260101000000Z", "20260101100000Z", "20260101000000Z",
	    "20260101100000Z", "all", NULL);
	add(kt, "off", "58", "disabled", "20260101000000Z", "20260101100000Z", "20260101000000Z",
	    "20260101100000Z", "all", NULL);
	add(kt, "eth1", "59", "both", "20260101000000Z", "20260101100000Z", "20260101000000Z",
	    "20260101100000Z", "eth1", NULL);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 6);

	/* before any send window */
	ASSERT_STR_EQ(selected(kt, "20251231235959Z", NULL, NULL, 0), "(none)");
	/* only old (eth1 is not asked for: an interface-less query sees every row) */
	ASSERT_STR_EQ(selected(kt, "20260101010000Z", "eth0", NULL, 0), "old");
	/* equal starts: the row inserted last (eth1 is eligible without an interface) */
	ASSERT_STR_EQ(selected(kt, "20260101000000Z", NULL, NULL, 0), "eth1");
	ASSERT_STR_EQ(selected(kt, "20260101000000Z", "eth0", NULL, 0), "old");
	/* the latest SendLifetimeStart wins: new from 02:00 */
	ASSERT_STR_EQ(selected(kt, "20260101020000Z", "eth0", NULL, 0), "new");
	/* out-only has the latest start from 04:00 to 05:00 */
	ASSERT_STR_EQ(selected(kt, "20260101043000Z", "eth0", NULL, 0), "out-only");
	ASSERT_STR_EQ(selected(kt, "20260101050001Z", "eth0", NULL, 0), "new");
	/* windows are inclusive at both ends */
	ASSERT_STR_EQ(selected(kt, "20260101100000Z", "eth0", NULL, 0), "new");
	ASSERT_STR_EQ(selected(kt, "20260101100001Z", "eth0", NULL, 0), "(none)");
	/* on eth1, the eth1 row is eligible too; it started at 00:00, so new still wins */
	ASSERT_STR_EQ(selected(kt, "20260101030000Z", "eth1", NULL, 0), "new");
	ASSERT_STR_EQ(selected(kt, "20260101001000Z", "eth1", NULL, 0), "eth1");

	/* the preferred algorithm comes before the latest start */
	add(kt, "cmac", "5a", "both", "20260101000000Z", "20260101100000Z", "20260101000000Z",
	    "20260101100000Z", "all", "AES-128-CMAC-96");
	ASSERT_STR_EQ(selected(kt, "20260101030000Z", "eth0", NULL, 0), "cmac");
	ASSERT_STR_EQ(selected(kt, "20260101030000Z", "eth0", cmac_last, 2), "new");

	/* lookup: the name in the message, Direction in or both, the accept window */
	ASSERT_STR_EQ(looked_up(kt, "20260101060100Z", "54", NULL), "old");	/* grace */
	ASSERT_STR_EQ(looked_up(kt, "20260101060201Z", "54", NULL), "(none)");
	ASSERT_STR_EQ(looked_up(kt, "20260101015600Z", "55", NULL), "new");	/* before its send */
	ASSERT_STR_EQ(looked_up(kt, "20260101015400Z", "0x55", NULL), "(none)");
	ASSERT_STR_EQ(looked_up(kt, "20260101043000Z", "56", NULL), "(none)");	/* out only */
	ASSERT_STR_EQ(looked_up(kt, "20260101043000Z", "57", NULL), "in-only");
	ASSERT_STR_EQ(looked_up(kt, "20260101043000Z", "58", NULL), "(none)");	/* disabled */
	ASSERT_STR_EQ(looked_up(kt, "20260101043000Z", "59", "eth0"), "(none)");
	ASSERT_STR_EQ(looked_up(kt, "20260101043000Z", "59", "eth1"), "eth1");
	{
		struct rkmp_keytable_query q = { RKMP_PROTO_TCP_AO, "192.0.2.2", NULL, "zz", 0, NULL, 0 };
		size_t i;

		ASSERT_INT_EQ(rkmp_keytable_lookup(kt, &q, &i), RKMP_E_USAGE);
		q.key_name = "54";
		q.peer = "192.0.2.3";
		q.now = t_of("20260101010000Z");
		ASSERT_INT_EQ(rkmp_keytable_lookup(kt, &q, &i), RKMP_E_REFUSED);
		ASSERT_STR_EQ(rkmp_err_detail(), "no key named 54 from 192.0.2.3 for tcp-ao");
	}
	/* the state of a row at a time */
	ASSERT_STR_EQ(rkmp_keytable_row_state(rkmp_keytable_at(kt, 1), t_of("20260101015600Z")),
	    "accept-only");
	ASSERT_STR_EQ(rkmp_keytable_row_state(rkmp_keytable_at(kt, 1), t_of("20260101030000Z")),
	    "active");
	ASSERT_STR_EQ(rkmp_keytable_row_state(rkmp_keytable_at(kt, 1), t_of("20260101000000Z")),
	    "pending");
	ASSERT_STR_EQ(rkmp_keytable_row_state(rkmp_keytable_at(kt, 0), t_of("20260101070000Z")),
	    "expired");
	ASSERT_STR_EQ(rkmp_keytable_row_state(rkmp_keytable_at(kt, 4), t_of("20260101030000Z")),
	    "disabled");
	rkmp_keytable_free(kt);
}

TEST(keytable_get_and_delete_spi_zero_is_every_row)
{
	struct rkmp_keytable *kt = rkmp_keytable_new();
	size_t n;

	add(kt, "a", "54", "both", "20260101000000Z", "20260101060000Z", "20260101000000Z",
	    "20260101060200Z", "all", NULL);
	add(kt, "b", "55", "both", "20260101000000Z", "20260101060000Z", "20260101000000Z",
	    "20260101060200Z", "all", NULL);
	ASSERT_INT_EQ(rkmp_keytable_get(kt, 0, RKMP_PROTO_TCP_AO, "192.0.2.2", 0x55), 1);
	ASSERT_INT_EQ(rkmp_keytable_get(kt, 0, RKMP_PROTO_TCP_AO, "192.0.2.2", 0), 0);
	ASSERT_INT_EQ(rkmp_keytable_get(kt, 1, RKMP_PROTO_TCP_AO, "192.0.2.2", 0), 1);
	ASSERT_INT_EQ(rkmp_keytable_get(kt, 0, RKMP_PROTO_BFD, "192.0.2.2", 0), -1);
	ASSERT_INT_EQ(rkmp_keytable_delete(kt, RKMP_PROTO_TCP_AO, "192.0.2.2", 0x56, &n, NULL, NULL),
	    RKMP_E_REFUSED);
	ASSERT_STR_EQ(rkmp_err_detail(), "no tcp-ao row for peer 192.0.2.2 with LocalKeyName 56");
	ASSERT_INT_EQ(rkmp_keytable_delete(kt, RKMP_PROTO_TCP_AO, "192.0.2.2", 0, &n, NULL, NULL), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 0);
	rkmp_keytable_free(kt);
}

/* ---------------------------------------------------------------- rekey, expire, revoke */

TEST(keytable_rekey_overlaps_rfc7210_s6)
{
	struct rkmp_keytable *kt = rkmp_keytable_new(), *in;
	struct rkmp_keytable_row r;
	const struct rkmp_keytable_row *o;
	size_t oi;

	ASSERT_INT_EQ(rows(row_with(NULL, NULL), &in), 0);
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, rkmp_keytable_at(in, 0)), 0);
	r = *rkmp_keytable_at(in, 0);
	r.admin_name = "successor";
	r.local_name = "55";
	r.accept_start = t_of("20260101040000Z");
	r.send_start = t_of("20260101040005Z");
	r.send_end = t_of("20260101130000Z");
	r.accept_end = t_of("20260101130200Z");
	/* the wrong protocol or peer, no such old row */
	ASSERT_INT_EQ(rkmp_keytable_rekey(kt, RKMP_PROTO_BFD, "192.0.2.2", 0x54, &r, 120, &oi),
	    RKMP_E_USAGE);
	ASSERT_INT_EQ(rkmp_keytable_rekey(kt, RKMP_PROTO_TCP_AO, "192.0.2.9", 0x54, &r, 120, &oi),
	    RKMP_E_USAGE);
	ASSERT_INT_EQ(rkmp_keytable_rekey(kt, RKMP_PROTO_TCP_AO, "192.0.2.2", 0x53, &r, 120, &oi),
	    RKMP_E_REFUSED);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 1);
	/* the successor goes in; the old row stops sending when it starts, and is accepted G more */
	ASSERT_INT_EQ(rkmp_keytable_rekey(kt, RKMP_PROTO_TCP_AO, "192.0.2.2", 0x54, &r, 120, &oi), 0);
	ASSERT_INT_EQ(oi, 0);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 2);
	o = rkmp_keytable_at(kt, 0);
	ASSERT_INT_EQ(o->send_end, t_of("20260101040005Z"));
	ASSERT_INT_EQ(o->accept_end, t_of("20260101040205Z"));
	ASSERT_STR_EQ(o->x.state, "rekeyed");
	ASSERT_INT_EQ(o->send_start, t_of("20260101000005Z"));	/* untouched */
	/* select moves to the successor at its start; lookup keeps the old one for the grace */
	ASSERT_STR_EQ(selected(kt, "20260101040004Z", NULL, NULL, 0), "rkmp/tcp-ao/192.0.2.2/3d-54/0001");
	ASSERT_STR_EQ(selected(kt, "20260101040005Z", NULL, NULL, 0), "successor");
	ASSERT_STR_EQ(looked_up(kt, "20260101040205Z", "54", NULL), "rkmp/tcp-ao/192.0.2.2/3d-54/0001");
	ASSERT_STR_EQ(looked_up(kt, "20260101040206Z", "54", NULL), "(none)");
	/* a rekey never lengthens the old row: a successor starting after its end */
	r.admin_name = "late";
	r.local_name = "56";
	r.send_start = t_of("20260102000000Z");
	r.accept_start = t_of("20260101235959Z");
	r.send_end = r.accept_end = t_of("20260103000000Z");
	ASSERT_INT_EQ(rkmp_keytable_rekey(kt, RKMP_PROTO_TCP_AO, "192.0.2.2", 0x55, &r, 120, &oi), 0);
	o = rkmp_keytable_at(kt, oi);
	ASSERT_INT_EQ(o->send_end, t_of("20260101130000Z"));
	ASSERT_INT_EQ(o->accept_end, t_of("20260101130200Z"));
	rkmp_keytable_free(in);
	rkmp_keytable_free(kt);
}

static void
count_cb(const struct rkmp_keytable_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
}

TEST(keytable_expire_and_revoke)
{
	struct rkmp_keytable *kt = rkmp_keytable_new(), *in;
	struct rkmp_keytable_row r;
	int seen = 0;

	ASSERT_INT_EQ(rows(row_with(NULL, NULL), &in), 0);
	r = *rkmp_keytable_at(in, 0);
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), 0);		/* SA c0ffee..:1122.., to 09:02 */
	r.local_name = "55";
	r.accept_end = t_of("20260101100000Z");
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), 0);		/* same SA, to 10:00 */
	r.local_name = "56";
	r.x.rkmp_sa = "0000000000000001:0000000000000002";
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), 0);		/* another SA */
	r.local_name = "57";
	r.x.present = false;
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), 0);		/* no x-rkmp: never revoked */

	ASSERT_INT_EQ(rkmp_keytable_expire(kt, t_of("20260101090200Z"), count_cb, &seen), 0);
	ASSERT_INT_EQ(rkmp_keytable_expire(kt, t_of("20260101090201Z"), count_cb, &seen), 1);
	ASSERT_INT_EQ(seen, 1);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 3);
	ASSERT_INT_EQ(rkmp_keytable_revoke(kt, 0xc0ffee00c0ffee00ull, 0x1122334455667788ull, count_cb,
	    &seen), 1);
	ASSERT_INT_EQ(rkmp_keytable_revoke(kt, 0xc0ffee00c0ffee00ull, 0x1122334455667788ull, NULL,
	    NULL), 0);
	ASSERT_INT_EQ(rkmp_keytable_revoke(kt, 1, 2, NULL, NULL), 1);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 1);
	ASSERT_STR_EQ(rkmp_keytable_at(kt, 0)->local_name, "57");
	ASSERT_INT_EQ(seen, 2);
	rkmp_keytable_free(in);
	rkmp_keytable_free(kt);
}

/* ---------------------------------------------------------------- rows from child SAs */

static void
child_sa(struct rkmp_sa *sa, struct rkmp_sa_child *ch, bool initiator, uint8_t proto,
    uint16_t integ)
{
	rkmp_sa_init(sa);
	sa->initiator = initiator;
	sa->spi_i = 0xc0ffee00c0ffee00ull;
	sa->spi_r = 0x1122334455667788ull;
	memset(ch, 0, sizeof(*ch));
	ch->protocol = proto;
	ch->spi_size = proto == RKMP_PROTO_RSVP_TE ? 6 : 1;
	/* the initiator's SPI is 3d, the responder's 54 */
	memset(ch->spi_local, 0, sizeof(ch->spi_local));
	memset(ch->spi_peer, 0, sizeof(ch->spi_peer));
	ch->spi_local[ch->spi_size - 1] = initiator ? 0x3d : 0x54;
	ch->spi_peer[ch->spi_size - 1] = initiator ? 0x54 : 0x3d;
	ch->transforms[0][0] = RKMP_TRANS_INTEG;
	ch->transforms[0][1] = integ;
	ch->ntransforms = 1;
	ch->state = RKMP_CHILD_ESTABLISHED;
	ch->keymat_len = integ == 8 ? 16 : 20;
	for (size_t i = 0; i < ch->keymat_len; i++)
		ch->keymat[i] = (uint8_t)i;
}

TEST(keytable_row_from_child_sa)
{
	struct rkmp_keytable *kt = rkmp_keytable_new();
	struct rkmp_keytable_child_cfg cfg;
	struct rkmp_sa sa;
	struct rkmp_sa_child ch;
	const struct rkmp_keytable_row *r;
	size_t i;
	int64_t t = t_of("20260101000000Z");

	rkmp_keytable_child_defaults(&cfg);
	ASSERT_INT_EQ(cfg.send_delay, 5);
	ASSERT_INT_EQ(cfg.grace, 120);
	ASSERT_INT_EQ(cfg.lifetime, 9 * 3600);
	cfg.peer = "192.0.2.2";
	cfg.now = t;

	/* the initiator of a TCP-AO child, HMAC-SHA-1-96, options protected */
	child_sa(&sa, &ch, true, RKMP_PROTO_TCP_AO, 2);
	ch.transforms[1][0] = RKMP_TRANS_TCP_OPTIONS;
	ch.transforms[1][1] = 1;
	ch.ntransforms = 2;
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), 0);
	r = rkmp_keytable_at(kt, i);
	ASSERT_STR_EQ(r->admin_name, "rkmp/tcp-ao/192.0.2.2/3d-54/0001");
	ASSERT_STR_EQ(r->local_name, "54");	/* our RecvID: the peer's SPI */
	ASSERT_STR_EQ(r->peer_name, "3d");	/* our SendID: our SPI */
	ASSERT_STR_EQ(r->kdf, "HMAC-SHA-1");
	ASSERT_STR_EQ(r->alg_id, "HMAC-SHA-1-96");
	ASSERT_INT_EQ(r->key_len, 20);
	ASSERT_MEM_EQ(r->key, ch.keymat, 20);
	ASSERT_INT_EQ(r->direction, RKMP_KEYTABLE_BOTH);
	ASSERT_INT_EQ(r->accept_start, t);
	ASSERT_INT_EQ(r->send_start, t + 5);
	ASSERT_INT_EQ(r->send_end, t + 9 * 3600);
	ASSERT_INT_EQ(r->accept_end, t + 9 * 3600 + 120);
	ASSERT_STR_EQ(r->psi, "{\"send\":{\"tcp_option_flag\":\"include\"},\"recv\":{\"tcp_option_flag\":"
	    "\"include\"},\"conn_id\":{\"peer_prefix\":\"192.0.2.2/32\",\"local_port\":\"*\","
	    "\"remote_port\":\"*\"}}");
	ASSERT_STR_EQ(r->interfaces[0], "all");
	ASSERT_TRUE(r->x.present);
	ASSERT_INT_EQ(r->x.proto_id, 201);
	ASSERT_STR_EQ(r->x.child_spi_local, "3d");
	ASSERT_STR_EQ(r->x.child_spi_peer, "54");
	ASSERT_STR_EQ(r->x.rkmp_sa, "c0ffee00c0ffee00:1122334455667788");
	ASSERT_STR_EQ(r->x.role, "initiator");
	ASSERT_STR_EQ(r->x.state, "active");

	/* the responder's row: names crossed the other way, the same AdminKeyName */
	child_sa(&sa, &ch, false, RKMP_PROTO_TCP_AO, 8);
	cfg.peer = "2001:db8::1";
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), 0);
	r = rkmp_keytable_at(kt, i);
	ASSERT_STR_EQ(r->admin_name, "rkmp/tcp-ao/2001:db8::1/3d-54/0001");
	ASSERT_STR_EQ(r->local_name, "3d");
	ASSERT_STR_EQ(r->peer_name, "54");
	ASSERT_STR_EQ(r->kdf, "AES-128-CMAC");
	ASSERT_STR_EQ(r->alg_id, "AES-128-CMAC-96");
	ASSERT_INT_EQ(r->key_len, 16);
	ASSERT_STR_CONTAINS(r->psi, "\"peer_prefix\":\"2001:db8::1/128\"");
	ASSERT_STR_EQ(r->x.role, "responder");

	/* BFD meticulous keyed SHA-1; RSVP-TE with its 6-octet names */
	child_sa(&sa, &ch, true, RKMP_PROTO_BFD, 2);
	ch.transforms[1][0] = RKMP_TRANS_BFD_AUTH;
	ch.transforms[1][1] = 1;
	ch.ntransforms = 2;
	cfg.peer = "192.0.2.2";
	cfg.serial = 7;
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), 0);
	r = rkmp_keytable_at(kt, i);
	ASSERT_STR_EQ(r->admin_name, "rkmp/bfd/192.0.2.2/3d-54/0007");
	ASSERT_STR_EQ(r->alg_id, "BFD-METICULOUS-KEYED-SHA1");
	ASSERT_STR_EQ(r->kdf, "none");
	ASSERT_STR_EQ(r->psi, "{\"auth_mode\":\"base-meticulous\",\"auth_type\":5}");
	child_sa(&sa, &ch, true, RKMP_PROTO_RSVP_TE, 0);
	ch.ntransforms = 0;
	ch.keymat_len = 16;
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), 0);
	r = rkmp_keytable_at(kt, i);
	ASSERT_STR_EQ(r->local_name, "000000000054");
	ASSERT_STR_EQ(r->alg_id, "HMAC-MD5");
	ASSERT_STR_EQ(r->psi, "{\"integrity_handshake\":\"not-allowed\"}");

	/* the same child again: refused as a duplicate */
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), RKMP_E_REFUSED);
	/* TCP-AO without an RFC 5926 MAC */
	child_sa(&sa, &ch, true, RKMP_PROTO_TCP_AO, 12);
	cfg.peer = "192.0.2.3";
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), RKMP_E_CRYPTO);
	ASSERT_STR_EQ(rkmp_err_detail(), "TCP-AO with INTEG 12: no RFC 5926 MAC");
	/* BFD: a generic mode with keyed MD5, and a mode the registry has not */
	child_sa(&sa, &ch, true, RKMP_PROTO_BFD, 1);
	ch.transforms[1][0] = RKMP_TRANS_BFD_AUTH;
	ch.transforms[1][1] = 2;
	ch.ntransforms = 2;
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), RKMP_E_CRYPTO);
	ASSERT_STR_EQ(rkmp_err_detail(), "BFD auth mode generic with INTEG 1");
	ch.transforms[1][1] = 4;
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), RKMP_E_CRYPTO);
	ASSERT_STR_EQ(rkmp_err_detail(), "BFD auth mode 4");
	/* not established */
	child_sa(&sa, &ch, true, RKMP_PROTO_TCP_AO, 2);
	ch.state = RKMP_CHILD_REFUSED;
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), RKMP_E_STATE);
	rkmp_keytable_free(kt);
}

TEST(keytable_row_from_esp_child)
{
	struct rkmp_keytable *kt = rkmp_keytable_new();
	struct rkmp_keytable_child_cfg cfg;
	struct rkmp_sa sa;
	struct rkmp_sa_child ch;
	const struct rkmp_keytable_row *r;
	size_t i;

	rkmp_keytable_child_defaults(&cfg);
	cfg.peer = "192.0.2.2";
	cfg.local = "192.0.2.1";
	/* aes128-sha256: KEYMAT = Ei(16) Ai(32) Er(16) Ar(32) */
	for (int role = 0; role < 2; role++) {
		child_sa(&sa, &ch, role == 0, RKMP_PROTO_ESP, 12);
		ch.spi_size = 4;
		memcpy(ch.spi_local, role == 0 ? "\xc1\xa2\xb3\xc4" : "\xc5\xd6\xe7\xf8", 4);
		memcpy(ch.spi_peer, role == 0 ? "\xc5\xd6\xe7\xf8" : "\xc1\xa2\xb3\xc4", 4);
		ch.transforms[1][0] = RKMP_TRANS_ENCR;
		ch.transforms[1][1] = 12;
		ch.ntransforms = 2;
		ch.keymat_len = 96;
		for (size_t k = 0; k < 96; k++)
			ch.keymat[k] = (uint8_t)k;
		cfg.serial = (unsigned)role + 1;
		ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), 0);
		r = rkmp_keytable_at(kt, i);
		ASSERT_STR_EQ(r->alg_id, "aes128-sha256");
		ASSERT_STR_EQ(r->local_name, role == 0 ? "c1a2b3c4" : "c5d6e7f8");	/* inbound */
		ASSERT_INT_EQ(r->key_len, 96);
		/* outbound first: the initiator's are KEYMAT's first half */
		ASSERT_INT_EQ(r->key[0], role == 0 ? 0 : 48);
		ASSERT_INT_EQ(r->key[48], role == 0 ? 48 : 0);
		ASSERT_STR_EQ(r->psi, "{\"local\":\"192.0.2.1\"}");
		cfg.peer = "192.0.2.3";
	}
	rkmp_keytable_free(kt);
}

/* ---------------------------------------------------------------- files */

static int
fn_add(struct rkmp_keytable *kt, void *arg)
{
	int r = rkmp_keytable_insert(kt, arg);

	return r != 0 ? r : 1;
}

TEST(keytable_files_modes_lock_and_missing)
{
	char *dir = tmp_dir(), path[512], lock[520];
	struct rkmp_keytable *in, *kt, *got;
	struct rkmp_keytable_row r;
	struct stat st;
	size_t n;

	ASSERT_TRUE(dir != NULL);
	snprintf(path, sizeof(path), "%s/t.json", dir);
	snprintf(lock, sizeof(lock), "%s/t.json.lock", dir);
	ASSERT_INT_EQ(rows(row_with(NULL, NULL), &in), 0);
	r = *rkmp_keytable_at(in, 0);
	/* a missing table: readers and non-creating writers refuse it (state) */
	ASSERT_INT_EQ(rkmp_keytable_load(path, &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "no such key table");
	ASSERT_INT_EQ(rkmp_keytable_delete_sa(path, RKMP_PROTO_TCP_AO, "192.0.2.2", 0, &n),
	    RKMP_E_STATE);
	ASSERT_TRUE(stat(path, &st) == -1);
	/* insert creates it, 0600 whatever the umask, with its lock file beside it */
	umask(022);
	ASSERT_INT_EQ(rkmp_keytable_insert_sa(path, &r), 0);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 07777, 0600);
	ASSERT_INT_EQ(stat(lock, &st), 0);
	ASSERT_INT_EQ(rkmp_keytable_insert_sa(path, &r), RKMP_E_REFUSED);
	r.local_name = "55";
	ASSERT_INT_EQ(rkmp_keytable_update(path, false, fn_add, &r), 1);
	ASSERT_INT_EQ(rkmp_keytable_get_sa(path, RKMP_PROTO_TCP_AO, "192.0.2.2", 0, &got), 0);
	ASSERT_INT_EQ(rkmp_keytable_count(got), 2);
	rkmp_keytable_free(got);
	ASSERT_INT_EQ(rkmp_keytable_get_sa(path, RKMP_PROTO_TCP_AO, "192.0.2.2", 0x55, &got), 0);
	ASSERT_INT_EQ(rkmp_keytable_count(got), 1);
	rkmp_keytable_free(got);
	/* a table others may read is refused, and left alone */
	chmod(path, 0644);
	ASSERT_INT_EQ(rkmp_keytable_load(path, &kt), RKMP_E_STATE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "mode 0644: readable by group or others (chmod 600 ");
	ASSERT_INT_EQ(rkmp_keytable_insert_sa(path, &r), RKMP_E_STATE);
	chmod(path, 0620);
	ASSERT_INT_EQ(rkmp_keytable_load(path, &kt), RKMP_E_STATE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "mode 0620: writable by group or others");
	chmod(path, 0600);
	/* revoke and delete through the file */
	ASSERT_INT_EQ(rkmp_keytable_revoke_sa(path, 0xc0ffee00c0ffee00ull, 0x1122334455667788ull, &n),
	    0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(rkmp_keytable_load(path, &kt), 0);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 0);
	rkmp_keytable_free(kt);
	/* a stale temp file of a killed writer is swept by the next writer */
	{
		char tmp[600];

		snprintf(tmp, sizeof(tmp), "%s/.t.json.AbC123", dir);
		ASSERT_INT_EQ(write_mode(tmp, "{", 0600), 0);
		r.local_name = "56";
		ASSERT_INT_EQ(rkmp_keytable_insert_sa(path, &r), 0);
		ASSERT_TRUE(stat(tmp, &st) == -1);
	}
	/* a file that is not a table */
	ASSERT_INT_EQ(write_mode(path, "{\"format\": \"rkmp-state\"}", 0600), 0);
	ASSERT_INT_EQ(rkmp_keytable_insert_sa(path, &r), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "format \"rkmp-state\": not a key table (rkmp-keytable)");
	rkmp_keytable_free(in);
	rm_dir(dir);
	free(dir);
}

/* ---------------------------------------------------------------- exports */

static char *
export_at(const struct rkmp_keytable *kt, const char *fmt, const char *peer, int64_t now,
    size_t *skipped)
{
	struct rkmp_buf b;
	char *s = NULL;

	rkmp_buf_init(&b, 1u << 24);
	if (rkmp_keytable_export(kt, rkmp_keytable_export_format(fmt), 0, peer, now, &b,
	    skipped) == 0) {
		rkmp_buf_put(&b, "", 1);
		s = strdup((const char *)b.p);
	}
	rkmp_buf_free(&b);
	return s;
}

static char *
export(const struct rkmp_keytable *kt, const char *fmt, size_t *skipped)
{
	return export_at(kt, fmt, NULL, 0, skipped);
}

TEST(keytable_exports)
{
	struct rkmp_keytable *kt;
	struct rkmp_keytable_row r;
	char *s;
	size_t skipped;
	json_error_t je;
	json_t *j;

	setenv("TZ", "UTC", 1);
	tzset();
	ASSERT_INT_EQ(rows(row_with(NULL, NULL), &kt), 0);
	r = *rkmp_keytable_at(kt, 0);
	r.local_name = "55";
	r.direction = RKMP_KEYTABLE_DISABLED;
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), 0);

	/* a row sends with PeerKeyName 3d (61) and receives LocalKeyName 54 (84): two
	 * keys of one secret, the sent one accepted never, the received one sent never */
	s = export(kt, "frr-keychain", &skipped);
	ASSERT_TRUE(s != NULL);
	ASSERT_STR_CONTAINS(s, "key chain rkmp-tcp-ao-192.0.2.2\n key 61\n");
	ASSERT_STR_CONTAINS(s, "  key-string 00112233445566778899aabbccddeeff00112233\n"
	    "  cryptographic-algorithm hmac-sha-1\n"
	    "  send-lifetime 00:00:05 1 January 2026 09:00:00 1 January 2026\n"
	    "  accept-lifetime 00:00:05 1 January 2026 00:00:05 1 January 2026\n exit\n key 84\n");
	ASSERT_STR_CONTAINS(s, "  key-string 00112233445566778899aabbccddeeff00112233\n"
	    "  cryptographic-algorithm hmac-sha-1\n"
	    "  send-lifetime 00:00:00 1 January 2026 00:00:00 1 January 2026\n"
	    "  accept-lifetime 00:00:00 1 January 2026 09:02:00 1 January 2026\n exit\n");
	ASSERT_STR_CONTAINS(s, " ! left out: rkmp/tcp-ao/192.0.2.2/3d-54/0001: Direction disabled\nexit\n");
	ASSERT_INT_EQ(skipped, 1);
	free(s);

	s = export(kt, "bird-keychain", &skipped);
	ASSERT_TRUE(s != NULL);
	ASSERT_STR_CONTAINS(s, "password 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33 {\n"
	    "\tid 61;\n\tgenerate from \"2026-01-01 00:00:05\";\n\tgenerate to \"2026-01-01 09:00:00\";\n"
	    "\taccept from \"2026-01-01 00:00:05\";\n\taccept to \"2026-01-01 00:00:05\";\n"
	    "\talgorithm hmac sha1;\n};\n");
	ASSERT_STR_CONTAINS(s, "password 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33 {\n"
	    "\tid 84;\n\tgenerate from \"2026-01-01 00:00:00\";\n\tgenerate to \"2026-01-01 00:00:00\";\n"
	    "\taccept from \"2026-01-01 00:00:00\";\n\taccept to \"2026-01-01 09:02:00\";\n"
	    "\talgorithm hmac sha1;\n};\n");
	free(s);

	s = export(kt, "rfc8177", &skipped);
	ASSERT_TRUE(s != NULL);
	j = json_loads(s, JSON_REJECT_DUPLICATES, &je);
	ASSERT_TRUE(j != NULL);
	{
		json_t *keys = json_object_get(json_array_get(json_object_get(
		    json_object_get(j, "ietf-key-chain:key-chains"), "key-chain"), 0), "key");
		json_t *k = json_array_get(keys, 0), *k2 = json_array_get(keys, 1);

		ASSERT_INT_EQ((int)json_array_size(keys), 2);
		ASSERT_STR_EQ(json_string_value(json_object_get(k, "key-id")), "61");
		ASSERT_STR_EQ(json_string_value(json_object_get(k, "crypto-algorithm")),
		    "ietf-key-chain:hmac-sha-1-12");
		ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(k, "key-string"),
		    "hexadecimal-string")), "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33");
		ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(json_object_get(k,
		    "lifetime"), "send-lifetime"), "start-date-time")), "2026-01-01T00:00:05Z");
		ASSERT_STR_EQ(json_string_value(json_object_get(k2, "key-id")), "84");
		ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(json_object_get(k2,
		    "lifetime"), "accept-lifetime"), "end-date-time")), "2026-01-01T09:02:00Z");
	}
	json_decref(j);
	free(s);

	/* Wireshark: ESP rows only */
	s = export(kt, "wireshark-esp", &skipped);
	ASSERT_TRUE(s != NULL && strchr(s, '"') == NULL);
	free(s);
	rkmp_keytable_free(kt);
	ASSERT_INT_EQ(rows("{\"AdminKeyName\": \"e\", \"LocalKeyName\": \"c1a2b3c4\", \"PeerKeyName\": "
	    "\"c5d6e7f8\", \"Peers\": [\"192.0.2.2\"], \"Interfaces\": [\"all\"], \"Protocol\": \"esp\", "
	    "\"ProtocolSpecificInfo\": {\"local\": \"192.0.2.1\"}, \"KDF\": \"none\", \"AlgID\": "
	    "\"aes128gcm16\", \"Key\": \"000102030405060708090a0b0c0d0e0f10111213"
	    "202122232425262728292a2b2c2d2e2f30313233\", \"Direction\": \"both\", "
	    "\"SendLifetimeStart\": \"20260101000000Z\", \"SendLifetimeEnd\": \"20260101000000Z\", "
	    "\"AcceptLifetimeStart\": \"20260101000000Z\", \"AcceptLifetimeEnd\": \"20260101000000Z\"}",
	    &kt), 0);
	s = export(kt, "wireshark-esp", &skipped);
	ASSERT_TRUE(s != NULL);
	ASSERT_STR_CONTAINS(s, "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0xc5d6e7f8\","
	    "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x000102030405060708090a0b0c0d0e0f10111213\","
	    "\"NULL\",\"\"\n");
	ASSERT_STR_CONTAINS(s, "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\",\"0xc1a2b3c4\","
	    "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x202122232425262728292a2b2c2d2e2f30313233\"");
	free(s);
	rkmp_keytable_free(kt);
}

/* A tcp-md5 row (DESIGN.md §7: AlgID TCP-MD5, a 32-octet key) of peer, sent from ss to se. */
static const char *
md5_row(const char *peer, const char *local, const char *key, const char *ss, const char *se)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "{\"AdminKeyName\": \"md5-%s-%s\", \"LocalKeyName\": \"%s\", "
	    "\"PeerKeyName\": \"0%c\", \"Peers\": [\"%s\"], \"Interfaces\": [\"all\"], \"Protocol\": "
	    "\"tcp-md5\", \"ProtocolSpecificInfo\": {}, \"KDF\": \"none\", \"AlgID\": \"TCP-MD5\", "
	    "\"Key\": \"%s\", \"Direction\": \"both\", \"SendLifetimeStart\": \"%s\", "
	    "\"SendLifetimeEnd\": \"%s\", \"AcceptLifetimeStart\": \"%s\", \"AcceptLifetimeEnd\": "
	    "\"%s\"}", peer, local, local, local[1], peer, key, ss, se, ss, se);
	return buf;
}

#define MD5_A	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define MD5_B	"b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
#define MD5_C	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"

static int64_t
at(const char *t)
{
	int64_t v = 0;

	if (rkmp_keytable_time_parse(t, &v) != 0)
		return -1;
	return v;
}

TEST(keytable_bgp_exports_carry_the_key_selected_now)
{
	struct rkmp_keytable *kt;
	struct rkmp_buf b;
	char text[4096], *s;
	size_t skipped;

	setenv("TZ", "UTC", 1);
	tzset();
	/* 192.0.2.2: key A until 01:00, then B (a rekey at 01:00); 192.0.2.3: key C */
	snprintf(text, sizeof(text), "%s\n", md5_row("192.0.2.2", "11", MD5_A, "20260101000000Z",
	    "20260101010000Z"));
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n", md5_row("192.0.2.2", "12",
	    MD5_B, "20260101010000Z", "20260101090000Z"));
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n", md5_row("192.0.2.3", "13",
	    MD5_C, "20260101000000Z", "20260101090000Z"));
	ASSERT_INT_EQ(rows(text, &kt), 0);

	/* BIRD 2.0: one password line, the password the Key's 64 lowercase hex digits */
	s = export_at(kt, "bird-bgp", "192.0.2.2", at("20260101003000Z"), &skipped);
	ASSERT_TRUE(s != NULL);
	ASSERT_STR_CONTAINS(s, "\npassword \"" MD5_A "\";\n");
	ASSERT_TRUE(strstr(s, MD5_B) == NULL);
	free(s);
	/* at the rekey's instant and after: the new key */
	s = export_at(kt, "bird-bgp", "192.0.2.2", at("20260101010000Z"), &skipped);
	ASSERT_TRUE(s != NULL);
	ASSERT_STR_CONTAINS(s, "\npassword \"" MD5_B "\";\n");
	ASSERT_TRUE(strstr(s, MD5_A) == NULL);
	free(s);
	/* two peers: a protocol bgp has one neighbor */
	rkmp_buf_init(&b, 1u << 20);
	ASSERT_INT_EQ(rkmp_keytable_export(kt, rkmp_keytable_export_format("bird-bgp"), 0, NULL,
	    at("20260101003000Z"), &b, &skipped), RKMP_E_USAGE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "2 peers (192.0.2.2, 192.0.2.3)");
	/* no key to send any more */
	ASSERT_INT_EQ(rkmp_keytable_export(kt, rkmp_keytable_export_format("bird-bgp"), 0,
	    "192.0.2.2", at("20260101100000Z"), &b, &skipped), RKMP_E_REFUSED);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "no tcp-md5 key to send to 192.0.2.2 at "
	    "2026-01-01T10:00:00Z");
	/* not the protocol the format carries */
	ASSERT_INT_EQ(rkmp_keytable_export(kt, rkmp_keytable_export_format("frr-bgp"),
	    201, NULL, at("20260101003000Z"), &b, &skipped), RKMP_E_USAGE);
	ASSERT_INT_EQ((int)b.len, 0);
	rkmp_buf_free(&b);

	/* FRR bgpd: every neighbor under router bgp, closed by one exit */
	s = export_at(kt, "frr-bgp", NULL, at("20260101050000Z"), &skipped);
	ASSERT_TRUE(s != NULL);
	ASSERT_STR_CONTAINS(s, "\nrouter bgp\n");
	ASSERT_STR_CONTAINS(s, "\n neighbor 192.0.2.2 password " MD5_B "\n");
	ASSERT_STR_CONTAINS(s, "\n neighbor 192.0.2.3 password " MD5_C "\nexit\n");
	/* one exit, the last line: nothing after it leaves the config node */
	ASSERT_TRUE(strstr(s, "exit") == s + strlen(s) - 5);
	ASSERT_INT_EQ(skipped, 0);
	free(s);

	/* key chains take no TCP-MD5 key: each row left out, with a pointer */
	s = export(kt, "frr-keychain", &skipped);
	ASSERT_TRUE(s != NULL);
	ASSERT_TRUE(strstr(s, MD5_A) == NULL && strstr(s, "key-string " MD5_B) == NULL);
	ASSERT_STR_CONTAINS(s, "--format frr-bgp");
	ASSERT_INT_EQ(skipped, 3);
	free(s);
	s = export(kt, "bird-keychain", &skipped);
	ASSERT_TRUE(s != NULL && strstr(s, MD5_A) == NULL);
	ASSERT_STR_CONTAINS(s, "--format bird-bgp");
	ASSERT_INT_EQ(skipped, 3);
	free(s);
	rkmp_keytable_free(kt);
}

TEST(keytable_export_formats_by_name)
{
	ASSERT_TRUE(rkmp_keytable_export_format("bird-bgp") != NULL);
	/* the key-chain forms' first names stay */
	ASSERT_TRUE(rkmp_keytable_export_format("frr") != NULL);
	ASSERT_TRUE(rkmp_keytable_export_format("bird") != NULL);
	ASSERT_TRUE(rkmp_keytable_export_format("cisco") == NULL);
	ASSERT_STR_EQ(rkmp_keytable_export_names(), "bird-bgp, frr-bgp, bird-keychain, "
	    "frr-keychain, rfc8177 or wireshark-esp");
}

/* ---------------------------------------------------------------- bulk insert, rows read from a file */

TEST(keytable_insert_all_is_all_or_nothing)
{
	struct rkmp_keytable *kt = rkmp_keytable_new(), *in;
	char text[9000];

	ASSERT_INT_EQ(rows(row_with(NULL, NULL), &in), 0);
	ASSERT_INT_EQ(rkmp_keytable_insert_all(kt, in), 0);
	rkmp_keytable_free(in);
	/* three rows, the last one clashing with the table: none goes in */
	snprintf(text, sizeof(text), "%s\n", row_with("LocalKeyName", "\"55\""));
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
	    row_with("LocalKeyName", "\"56\""));
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
	    row_with("AdminKeyName", "\"clash\""));
	ASSERT_INT_EQ(rows(text, &in), 0);
	ASSERT_INT_EQ(rkmp_keytable_insert_all(kt, in), RKMP_E_REFUSED);
	ASSERT_STR_EQ(rkmp_err_detail(), "row 2 of the input: tcp-ao, peer \"192.0.2.2\", LocalKeyName "
	    "54: row 0 \"rkmp/tcp-ao/192.0.2.2/3d-54/0001\" has them already");
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 1);
	rkmp_keytable_free(in);
	/* without it, both go in */
	text[strlen(text) - 1] = '\0';
	*strrchr(text, '\n') = '\0';
	ASSERT_INT_EQ(rows(text, &in), 0);
	ASSERT_INT_EQ(rkmp_keytable_insert_all(kt, in), 0);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 3);
	ASSERT_STR_EQ(rkmp_keytable_at(kt, 2)->local_name, "56");
	rkmp_keytable_free(in);
	rkmp_keytable_free(kt);
}

TEST(keytable_rows_read_from_a_file_are_kept_or_rewritten)
{
	char *dir = tmp_dir(), path[512], doc[9000];
	struct rkmp_keytable *in, *kt;
	struct rkmp_keytable_row r;

	ASSERT_TRUE(dir != NULL);
	snprintf(path, sizeof(path), "%s/t.json", dir);
	/* rows written by hand: one on one line (kept), one over three lines (rewritten) */
	snprintf(doc, sizeof(doc), "%s\n    %s,\n", doc_head, row_with(NULL, NULL));
	snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), "    %s\n  ]\n}\n",
	    row_with("LocalKeyName", "\"55\""));
	{
		/* break the second row over lines */
		char *second = strstr(doc, "\"55\"");

		ASSERT_TRUE(second != NULL);
		second[4] = '\n';	/* the comma after "55" becomes a newline... */
		memmove(second + 6, second + 5, strlen(second + 5) + 1);
		second[5] = ',';	/* ...and comes back after it */
	}
	ASSERT_INT_EQ(write_mode(path, doc, 0600), 0);
	ASSERT_INT_EQ(rkmp_keytable_load(path, &kt), 0);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 2);
	ASSERT_STR_EQ(rkmp_keytable_at(kt, 1)->local_name, "55");
	rkmp_keytable_free(kt);
	/* a rekey rewrites the old row and the row that was over lines, keeps the other */
	ASSERT_INT_EQ(rows(row_with(NULL, NULL), &in), 0);
	r = *rkmp_keytable_at(in, 0);
	r.admin_name = "successor";
	r.local_name = "57";
	r.send_start = t_of("20260101040005Z");
	ASSERT_INT_EQ(rkmp_keytable_rekey_sa(path, RKMP_PROTO_TCP_AO, "192.0.2.2", 0x54, &r, 60), 0);
	{
		FILE *f = fopen(path, "r");
		char line[4096];
		int n = 0;

		ASSERT_TRUE(f != NULL);
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "    {", 5) != 0)
				continue;
			if (n == 0) {
				ASSERT_STR_CONTAINS(line, "\"SendLifetimeEnd\": \"20260101040005Z\", "
				    "\"AcceptLifetimeStart\": \"20260101000000Z\", \"AcceptLifetimeEnd\": "
				    "\"20260101040105Z\"");
				ASSERT_STR_CONTAINS(line, "\"state\": \"rekeyed\"");
			} else if (n == 1)
				ASSERT_STR_CONTAINS(line, "\"LocalKeyName\": \"55\", \"PeerKeyName\"");
			else
				ASSERT_STR_CONTAINS(line, "\"AdminKeyName\": \"successor\"");
			n++;
		}
		fclose(f);
		ASSERT_INT_EQ(n, 3);
	}
	rkmp_keytable_free(in);
	rm_dir(dir);
	free(dir);
}

/* A child replacing another (cfg.replaces), the rows found by their RKMP SA
 * and child, and moved to a rekeyed RKMP SA. */
TEST(keytable_child_rekey_find_relink)
{
	struct rkmp_keytable *kt = rkmp_keytable_new();
	struct rkmp_keytable_child_cfg cfg;
	struct rkmp_sa sa;
	struct rkmp_sa_child old, ch;
	const struct rkmp_keytable_row *r;
	char name[RKMP_KEYTABLE_CHILD_NAME_MAX];
	int64_t t = t_of("20260101000000Z");
	size_t i;

	rkmp_keytable_child_defaults(&cfg);
	cfg.peer = "192.0.2.2";
	cfg.now = t;
	child_sa(&sa, &old, true, RKMP_PROTO_TCP_AO, 2);
	ASSERT_STR_EQ(rkmp_keytable_child_name(&old, true, name), "54");
	ASSERT_STR_EQ(rkmp_keytable_child_name(&old, false, name), "3d");
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &old, &cfg, NULL), 0);
	/* an hour later its successor, SPIs 0x3e / 0x55 */
	ch = old;
	ch.spi_local[0] = 0x3e;
	ch.spi_peer[0] = 0x55;
	cfg.now = t + 3600;
	cfg.replaces = &old;
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, &i), 0);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 2);
	r = rkmp_keytable_at(kt, 0);
	ASSERT_INT_EQ(r->send_end, t + 3600 + 5);		/* where the new one starts sending */
	ASSERT_INT_EQ(r->accept_end, t + 3600 + 5 + 120);	/* and the grace after it */
	ASSERT_STR_EQ(r->x.state, "rekeyed");
	r = rkmp_keytable_at(kt, i);
	ASSERT_STR_EQ(r->local_name, "55");
	ASSERT_INT_EQ(r->send_start, t + 3600 + 5);
	/* a replaced child without a row, or of another protocol: refused */
	old.spi_peer[0] = 0x99;
	old.spi_local[0] = 0x98;
	ch.spi_local[0] = 0x3f;
	ch.spi_peer[0] = 0x56;
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, NULL), RKMP_E_REFUSED);
	old.protocol = RKMP_PROTO_BFD;
	ASSERT_INT_EQ(rkmp_keytable_add_child(kt, &sa, &ch, &cfg, NULL), RKMP_E_USAGE);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 2);

	/* found by RKMP SA and child */
	ASSERT_INT_EQ(rkmp_keytable_find_child(kt, sa.spi_i, sa.spi_r, RKMP_PROTO_TCP_AO, "3e"), 1);
	ASSERT_INT_EQ(rkmp_keytable_find_child(kt, sa.spi_i, sa.spi_r, 0, NULL), 0);
	ASSERT_INT_EQ(rkmp_keytable_find_child(kt, sa.spi_i, sa.spi_r, RKMP_PROTO_BFD, NULL), -1);
	ASSERT_INT_EQ(rkmp_keytable_find_child(kt, sa.spi_i, sa.spi_r + 1, 0, NULL), -1);
	/* the RKMP SA rekeyed: both rows follow, and revoke finds them there */
	ASSERT_INT_EQ(rkmp_keytable_relink(kt, sa.spi_i, sa.spi_r, 0x0102030405060708ull,
	    0x1112131415161718ull, "responder"), 2);
	ASSERT_STR_EQ(rkmp_keytable_at(kt, 1)->x.rkmp_sa, "0102030405060708:1112131415161718");
	ASSERT_STR_EQ(rkmp_keytable_at(kt, 1)->x.role, "responder");
	ASSERT_INT_EQ(rkmp_keytable_find_child(kt, sa.spi_i, sa.spi_r, 0, NULL), -1);
	ASSERT_INT_EQ(rkmp_keytable_revoke(kt, sa.spi_i, sa.spi_r, NULL, NULL), 0);
	ASSERT_INT_EQ(rkmp_keytable_revoke(kt, 0x0102030405060708ull, 0x1112131415161718ull, NULL,
	    NULL), 2);
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 0);
	rkmp_keytable_free(kt);
}

/* ---------------------------------------------------------------- RFC 8259, I-JSON */

/*
 * The reader against jansson.  Each case is a JSON text: a value V put in a
 * row as ProtocolSpecificInfo {"v": V} ('p') or as an unknown x-rkmp member
 * ('x'), a whole row ('r') or a whole table document ('d').  The reader's
 * verdict must be the one given (detail NULL: accepted; else the start of
 * the detail), and agree with json_loads(JSON_REJECT_DUPLICATES) plus
 * I-JSON's integer bound, except where jansson departs from the reader for
 * a documented reason (jansson_differs).
 *
 * What was decided where the RFCs leave a choice: an integer (no fraction,
 * no exponent) beyond ±(2^53-1) is refused (I-JSON's MUST for exact
 * integers); any other number is kept as written when its magnitude fits
 * a double, as jansson reads it (1e400 refused, 1e-400 kept, a precision
 * beyond a double not checked: both read 9007199254740993.0); \u0000 is
 * refused (RFC-valid, but the key table's strings are C strings: jansson
 * refuses it too without JSON_ALLOW_NUL).  The one difference: nesting
 * beyond 64 levels, which jansson takes up to 2048.
 */
static char many_ok[4096], many_dup[4096], many_dup_esc[4096], many_dup_late[4096],
    deep_ok[256], deep_over[256], row_esc_dup[4096], row_many_x[4096], real_max[400],
    real_over[400];

/* {"m0": 0, ..., "m<n-1>": n-1[, tail]} */
static void
make_many(char *buf, size_t cap, int n, const char *tail)
{
	size_t o = (size_t)snprintf(buf, cap, "{");

	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s\"m%d\": %d", i ? ", " : "", i, i);
	snprintf(buf + o, cap - o, "%s%s}", tail ? ", " : "", tail ? tail : "");
}

static void
make_json_cases(void)
{
	make_many(many_ok, sizeof(many_ok), 200, NULL);
	make_many(many_dup, sizeof(many_dup), 70, "\"m3\": 1");
	make_many(many_dup_esc, sizeof(many_dup_esc), 80, "\"m\\u0033\": 1");
	make_many(many_dup_late, sizeof(many_dup_late), 200, "\"m150\": 1");
	memset(deep_ok, 0, sizeof(deep_ok));
	memset(deep_over, 0, sizeof(deep_over));
	/* ProtocolSpecificInfo is the first level: 63 more are the most */
	for (int i = 0; i < 63; i++) {
		deep_ok[i] = '[';
		deep_ok[63 + i] = ']';
	}
	for (int i = 0; i < 64; i++) {
		deep_over[i] = '[';
		deep_over[64 + i] = ']';
	}
	/* 309 digits: rounds to DBL_MAX (1.797693134862315708e308), and past it (to infinity) */
	snprintf(real_max, sizeof(real_max), "17976931348623158%0292d.0", 0);
	snprintf(real_over, sizeof(real_over), "17976931348623159%0292d.0", 0);
	snprintf(row_esc_dup, sizeof(row_esc_dup), "%s", row_with("K\\u0065y", "\"00\""));
	{
		char x[4096];

		make_many(x, sizeof(x), 70, "\"m5\": {}");
		/* x-rkmp's members after the 64th: proto_id, then m0..m69, m5 again */
		memmove(x + 17, x + 1, strlen(x));
		memcpy(x, "{\"proto_id\": 201,", 17);
		snprintf(row_many_x, sizeof(row_many_x), "%s", row_with("x-rkmp", x));
	}
}

static const struct json_case {
	char		 kind;		/* 'p', 'x', 'r', 'd' */
	const char	*text;
	const char	*detail;	/* NULL: accepted; else how the detail starts */
	const char	*jansson_differs;	/* why jansson's verdict is another */
} json_cases[] = {
	/* duplicate member names, after unescaping, at any position */
	{ 'p', "{\"tcp_option_flag\": \"include\", \"tcp_option_fl\\u0061g\": \"exclude\"}",
	    "row 0: ProtocolSpecificInfo.v.tcp_option_flag given twice, once as "
	    "\"tcp_option_fl\\u0061g\"", NULL },
	{ 'p', "{\"a\": 1, \"a\": 2}", "row 0: ProtocolSpecificInfo.v.a given twice", NULL },
	{ 'p', "{\"a\": 1, \"\\u0062\": 2, \"\\u0063\": 3}", NULL, NULL },
	{ 'p', "{\"\": 1, \"\": 2}", "row 0: ProtocolSpecificInfo.v[\"\"] given twice", NULL },
	{ 'p', "{\"\\u00e9\": 1, \"\xc3\xa9\": 2}", "row 0: ProtocolSpecificInfo.v[\"\xc3\xa9\"] "
	    "given twice", NULL },
	{ 'p', "{\"\\ud83d\\ude00\": 1, \"\xf0\x9f\x98\x80\": 2}", "row 0: ProtocolSpecificInfo.v",
	    NULL },
	{ 'p', "[{\"a\": 1}, {\"a b\": {\"x\": 1, \"x\": 2}}]",
	    "row 0: ProtocolSpecificInfo.v[1][\"a b\"].x given twice", NULL },
	{ 'p', many_ok, NULL, NULL },
	{ 'p', many_dup, "row 0: ProtocolSpecificInfo.v.m3 given twice", NULL },
	{ 'p', many_dup_esc, "row 0: ProtocolSpecificInfo.v.m3 given twice, once as \"m\\u0033\"",
	    NULL },
	{ 'p', many_dup_late, "row 0: ProtocolSpecificInfo.v.m150 given twice", NULL },
	{ 'x', "{\"a\": 1, \"\\u0061\": 2}", "row 0: x-rkmp.v.a given twice, once as \"\\u0061\"",
	    NULL },
	{ 'r', row_many_x, "row 0: x-rkmp.m5 given twice", NULL },
	{ 'r', row_esc_dup, "row 0: Key given twice", NULL },
	{ 'd', "{\"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": [], \"f\\u006frmat\": "
	    "\"rkmp-keytable\"}", "format given twice", NULL },
	{ 'd', "{\"rows\": [], \"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": []}",
	    "rows given twice", NULL },
	/* integers within I-JSON's ±(2^53-1); other numbers within a double */
	{ 'p', "9007199254740991", NULL, NULL },
	{ 'p', "-9007199254740991", NULL, NULL },
	{ 'p', "9007199254740992", "row 0: ProtocolSpecificInfo.v: integer 9007199254740992 out "
	    "of range: integers are within ±(2^53-1) (I-JSON, RFC 7493 §2.2)", NULL },
	{ 'p', "-9007199254740992", "row 0: ProtocolSpecificInfo.v: integer -9007199254740992 out "
	    "of range", NULL },
	{ 'p', "[0, 1152921504606846976]", "row 0: ProtocolSpecificInfo.v[1]: integer "
	    "1152921504606846976 out of range", NULL },
	{ 'x', "18446744073709551616", "row 0: x-rkmp.v: integer 18446744073709551616 out of range",
	    NULL },
	{ 'p', "123456789012345678901234567890123456789012345678901234567890",
	    "row 0: ProtocolSpecificInfo.v: integer 1234567890123456789012345678901234567890... "
	    "out of range", NULL },
	{ 'p', "0", NULL, NULL },
	{ 'p', "-0", NULL, NULL },
	{ 'p', "1.5", NULL, NULL },
	{ 'p', "-2.5e-3", NULL, NULL },
	{ 'p', "1e16", NULL, NULL },
	{ 'p', "9007199254740993.0", NULL, NULL },
	{ 'p', "1E+308", NULL, NULL },
	{ 'p', "1.7976931348623157e308", NULL, NULL },
	{ 'p', real_max, NULL, NULL },
	{ 'p', real_over, "row 0: ProtocolSpecificInfo.v: number "
	    "1797693134862315900000000000000000000000... out of range: beyond an IEEE 754 double",
	    NULL },
	{ 'p', "1e-400", NULL, NULL },
	{ 'p', "0.0e99999", NULL, NULL },
	{ 'p', "0.00001e312", NULL, NULL },
	{ 'p', "1.8e308", "row 0: ProtocolSpecificInfo.v: number 1.8e308 out of range: beyond an "
	    "IEEE 754 double (I-JSON, RFC 7493 §2.2)", NULL },
	{ 'p', "-1e400", "row 0: ProtocolSpecificInfo.v: number -1e400 out of range", NULL },
	{ 'p', "1e99999999999999999999", "row 0: ProtocolSpecificInfo.v: number", NULL },
	{ 'x', "0.01e311", "row 0: x-rkmp.v: number 0.01e311 out of range", NULL },
	{ 'd', "{\"format\": \"rkmp-keytable\", \"version\": 10000000000000000, \"rows\": []}",
	    "version: integer 10000000000000000 out of range", NULL },
	/* numbers: RFC 8259's grammar */
	{ 'p', "01", "not JSON", NULL },
	{ 'p', "-01", "not JSON", NULL },
	{ 'p', "00", "not JSON", NULL },
	{ 'p', "1.", "not JSON", NULL },
	{ 'p', ".5", "not JSON", NULL },
	{ 'p', "+1", "not JSON", NULL },
	{ 'p', "1e", "not JSON", NULL },
	{ 'p', "1e+", "not JSON", NULL },
	{ 'p', "0x10", "not JSON", NULL },
	{ 'p', "-", "not JSON", NULL },
	{ 'p', "NaN", "not JSON", NULL },
	{ 'p', "Infinity", "not JSON", NULL },
	{ 'p', "-Infinity", "not JSON", NULL },
	/* strings: UTF-8, surrogates, escapes, control characters */
	{ 'p', "\"\\ud83d\\ude00\"", NULL, NULL },
	{ 'p', "\"\\ud800\"", "not JSON", NULL },
	{ 'p', "\"\\udc00\"", "not JSON", NULL },
	{ 'p', "\"\\ud800\\u0041\"", "not JSON", NULL },
	{ 'p', "\"\\ud800\\ud800\"", "not JSON", NULL },
	{ 'p', "\"\\udc00\\ud800\"", "not JSON", NULL },
	{ 'p', "\"\xc3\x28\"", "not JSON", NULL },
	{ 'p', "\"\xc0\xaf\"", "not JSON", NULL },
	{ 'p', "\"\xe0\x80\xaf\"", "not JSON", NULL },
	{ 'p', "\"\xed\xa0\x80\"", "not JSON", NULL },
	{ 'p', "\"\xf4\x90\x80\x80\"", "not JSON", NULL },
	{ 'p', "\"\xf8\x88\x80\x80\x80\"", "not JSON", NULL },
	{ 'p', "\"\x80\"", "not JSON", NULL },
	{ 'p', "\"\xef\xbf\xbf \xf4\x8f\xbf\xbf\"", NULL, NULL },
	{ 'p', "\"a\tb\"", "not JSON", NULL },
	{ 'p', "\"a\x1f\"", "not JSON", NULL },
	{ 'p', "\"a\x7f\"", NULL, NULL },
	{ 'p', "\"\\u0000\"", "not JSON", NULL },	/* RFC-valid; jansson refuses it too */
	{ 'p', "\"\\x41\"", "not JSON", NULL },
	{ 'p', "\"\\u12\"", "not JSON", NULL },
	{ 'p', "\"\\u00E9\\/\\b\\f\\n\\r\\t\\\"\\\\\"", NULL, NULL },
	{ 'p', "'a'", "not JSON", NULL },
	/* structure: trailing commas, literals, white space, nesting */
	{ 'p', "[1,]", "not JSON", NULL },
	{ 'p', "[,1]", "not JSON", NULL },
	{ 'p', "[1,,2]", "not JSON", NULL },
	{ 'p', "{\"a\": 1,}", "not JSON", NULL },
	{ 'p', "{,}", "not JSON", NULL },
	{ 'p', "{\"a\" 1}", "not JSON", NULL },
	{ 'p', "{1: 1}", "not JSON", NULL },
	{ 'p', "[1 2]", "not JSON", NULL },
	{ 'p', "[true, false, null]", NULL, NULL },
	{ 'p', "tru", "not JSON", NULL },
	{ 'p', "True", "not JSON", NULL },
	{ 'p', "nulll", "not JSON", NULL },
	{ 'p', "[1,\f2]", "not JSON", NULL },
	{ 'p', "[1,\v2]", "not JSON", NULL },
	{ 'p', "[ \t\r\n1 \t\r\n]", NULL, NULL },
	{ 'p', deep_ok, NULL, NULL },
	{ 'p', deep_over, "not JSON", "jansson nests up to 2048 levels; the key table 64 "
	    "(RFC 8259 §9 lets a parser limit nesting)" },
	{ 'r', "{\"AdminKeyName\": \"x\",}", "not JSON", NULL },
	{ 'r', "{\"AdminKeyName\": \"x\\", "not JSON: line 1 column 21: unterminated string", NULL },
	{ 'd', "\xef\xbb\xbf{\"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": []}",
	    "not JSON: line 1 column 1: a byte order mark", NULL },
	{ 'd', "{\"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": [],}", "not JSON", NULL },
	{ 'd', "{\"format\": \"rkmp-keytable\", \"version\": 1, \"rows\": []} {}", "not JSON", NULL },
};

/* Integers within I-JSON's bound, through jansson's tree. */
static bool
ijson_ints_ok(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		return json_integer_value(v) <= 9007199254740991LL &&
		    json_integer_value(v) >= -9007199254740991LL;
	case JSON_OBJECT:
		json_object_foreach(v, k, e)
			if (!ijson_ints_ok(e))
				return false;
		return true;
	case JSON_ARRAY:
		json_array_foreach(v, i, e)
			if (!ijson_ints_ok(e))
				return false;
		return true;
	default:
		return true;
	}
}

static bool
jansson_accepts(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	bool ok = j != NULL && ijson_ints_ok(j);

	json_decref(j);
	return ok;
}

TEST(keytable_json_rfc8259_ijson_against_jansson)
{
	static char text[16384];

	make_json_cases();
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const struct json_case *c = &json_cases[i];
		struct rkmp_keytable *kt = rkmp_keytable_new();
		char v[4200];
		bool theirs;
		int r;

		switch (c->kind) {
		case 'p':
			snprintf(v, sizeof(v), "{\"v\": %s}", c->text);
			snprintf(text, sizeof(text), "%s", row_with("ProtocolSpecificInfo", v));
			break;
		case 'x':
			snprintf(v, sizeof(v), "{\"proto_id\": 201, \"v\": %s}", c->text);
			snprintf(text, sizeof(text), "%s", row_with("x-rkmp", v));
			break;
		default:
			snprintf(text, sizeof(text), "%s", c->text);
		}
		if (c->kind == 'd')
			r = rkmp_keytable_parse(kt, "t.json", text, strlen(text));
		else
			r = rkmp_keytable_parse_rows(kt, "t.json", text, strlen(text));
		rkmp_keytable_free(kt);
		if (c->detail == NULL && r != 0)
			test_fail(__FILE__, __LINE__, "case %zu %.60s: refused: %s", i, c->text,
			    rkmp_err_detail());
		else if (c->detail != NULL && r != RKMP_E_STATE)
			test_fail(__FILE__, __LINE__, "case %zu %.60s: status %d, expected a refusal",
			    i, c->text, r);
		else if (c->detail != NULL && strncmp(rkmp_err_detail(), c->detail,
		    strlen(c->detail)) != 0)
			test_fail(__FILE__, __LINE__, "case %zu: detail \"%s\", expected \"%s...\"", i,
			    rkmp_err_detail(), c->detail);
		theirs = jansson_accepts(text);
		if (c->jansson_differs == NULL && theirs != (r == 0))
			test_fail(__FILE__, __LINE__, "case %zu %.60s: jansson %s, the reader %s", i,
			    c->text, theirs ? "accepts" : "refuses", r == 0 ? "accepts" : "refuses");
		if (c->jansson_differs != NULL && theirs == (r == 0))
			test_fail(__FILE__, __LINE__, "case %zu: jansson agrees now (%s)", i,
			    c->jansson_differs);
		if (test_failed_now)
			return;
	}
}

TEST(keytable_json_known_x_rkmp_members_unescaped)
{
	struct rkmp_keytable *kt;

	/* a known member spelled with escapes is that member: checked, and once */
	ASSERT_INT_EQ(rows(row_with("x-rkmp", "{\"r\\u006fle\": \"boss\"}"), &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "row 0: x-rkmp.role \"boss\": not initiator or responder");
	ASSERT_INT_EQ(rows(row_with("x-rkmp", "{\"role\": \"initiator\", \"r\\u006fle\": "
	    "\"responder\"}"), &kt), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "row 0: x-rkmp.role given twice, once as \"r\\u006fle\"");
	ASSERT_INT_EQ(rows(row_with("x-rkmp", "{\"proto_id\": 1152921504606846976}"), &kt),
	    RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "row 0: x-rkmp.proto_id: integer 1152921504606846976 out "
	    "of range: integers are within ±(2^53-1) (I-JSON, RFC 7493 §2.2)");
	ASSERT_INT_EQ(rows(row_with("x-rkmp", "{\"r\\u006fle\": \"responder\"}"), &kt), 0);
	ASSERT_STR_EQ(rkmp_keytable_at(kt, 0)->x.role, "responder");
	ASSERT_TRUE(rkmp_keytable_at(kt, 0)->x.extra == NULL);
	rkmp_keytable_free(kt);
}

TEST(keytable_json_rows_given_as_structs_are_checked_alike)
{
	struct rkmp_keytable *in, *kt = rkmp_keytable_new();
	struct rkmp_keytable_row r;

	ASSERT_INT_EQ(rows(row_with(NULL, NULL), &in), 0);
	r = *rkmp_keytable_at(in, 0);
	r.psi = "{\"send\": {\"tcp_option_flag\": \"include\", \"tcp_option_fl\\u0061g\": 1}}";
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "ProtocolSpecificInfo.send.tcp_option_flag given twice, "
	    "once as \"tcp_option_fl\\u0061g\"");
	r.psi = "{\"n\": 9007199254740992}";
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "ProtocolSpecificInfo.n: integer 9007199254740992 out of "
	    "range: integers are within ±(2^53-1) (I-JSON, RFC 7493 §2.2)");
	r.psi = "{\"a\": }";
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "ProtocolSpecificInfo: a JSON object expected");
	r = *rkmp_keytable_at(in, 0);
	r.x.extra = "\"note\": 1, \"n\\u006fte\": 2";
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "x-rkmp.note given twice, once as \"n\\u006fte\"");
	r.x.extra = "\"state\": \"active\"";
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "x-rkmp: a known member among the others (extra)");
	r.x.extra = "\"big\": -9007199254740992";
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), RKMP_E_STATE);
	ASSERT_STR_EQ(rkmp_err_detail(), "x-rkmp.big: integer -9007199254740992 out of range: "
	    "integers are within ±(2^53-1) (I-JSON, RFC 7493 §2.2)");
	ASSERT_INT_EQ(rkmp_keytable_count(kt), 0);
	rkmp_keytable_free(in);
	rkmp_keytable_free(kt);
}

TEST(keytable_json_what_is_written_jansson_reads_back)
{
	struct rkmp_keytable *kt = rkmp_keytable_new(), *in;
	struct rkmp_keytable_row r;
	struct rkmp_buf b;
	json_error_t err;
	json_t *doc, *psi;

	/* bounds and reals through the reader, a struct insert and the writer */
	ASSERT_INT_EQ(rows(row_with("ProtocolSpecificInfo", "{\"max\": 9007199254740991, \"min\": "
	    "-9007199254740991, \"real\": 1.5e300, \"tiny\": 1e-400}"), &in), 0);
	r = *rkmp_keytable_at(in, 0);
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), 0);
	r.local_name = "55";
	r.x.extra = "\"n\": [9007199254740991]";
	ASSERT_INT_EQ(rkmp_keytable_insert(kt, &r), 0);
	rkmp_buf_init(&b, 1u << 20);
	ASSERT_INT_EQ(rkmp_keytable_format(kt, &b), 0);
	rkmp_buf_put(&b, "", 1);
	doc = json_loads((const char *)b.p, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL)
		test_fail(__FILE__, __LINE__, "jansson: %s", err.text);
	ASSERT_TRUE(doc != NULL);
	ASSERT_TRUE(ijson_ints_ok(doc));
	ASSERT_INT_EQ(json_integer_value(json_object_get(doc, "version")), 1);
	psi = json_object_get(json_array_get(json_object_get(doc, "rows"), 0), "ProtocolSpecificInfo");
	ASSERT_INT_EQ(json_integer_value(json_object_get(psi, "max")), 9007199254740991LL);
	ASSERT_INT_EQ(json_integer_value(json_object_get(psi, "min")), -9007199254740991LL);
	ASSERT_TRUE(json_real_value(json_object_get(psi, "real")) == 1.5e300);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(json_array_get(
	    json_object_get(doc, "rows"), 1), "x-rkmp"), "proto_id")), 201);
	json_decref(doc);
	rkmp_buf_free(&b);
	rkmp_keytable_free(in);
	rkmp_keytable_free(kt);
}

/* SPDX-License-Identifier: MIT */
/*
 * keytable.c — the RFC 7210 key table (DESIGN.md §7); see keytable.h.
 *
 * The table is read with a JSON reader of its own rather than with jansson:
 * a table of 10,000 rows is about 8 MB, which jansson takes half a second to
 * parse on a lab machine, while a routing protocol asks for a key per
 * session.  The reader is a complete RFC 8259 parser (UTF-8 checked,
 * duplicate member names refused after unescaping, numbers within I-JSON's
 * range) that knows the columns of a row.
 *
 * Rows are checked when read, in a scratch arena reused row after row, and
 * then kept as their JSON text (a read-only mapping of a big file) plus what
 * matching needs: protocol, direction, lifetimes, peers as binary addresses,
 * LocalKeyName as a number.  The public form of a row is built from its text
 * the first time it is asked for, and a row read on one line and not changed
 * is written back as it was.  Memory that is touched for the first time is
 * what costs most on the virtual machines labs run on; this keeps it small,
 * and the big blocks there are come from huge pages.
 *
 * Rows inserted or changed are written by hand, one per line, in a fixed
 * column order, with the free-form objects (ProtocolSpecificInfo, unknown
 * x-rkmp members) minified, so two saves of the same table are the same
 * bytes.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "file.h"
#include "hex.h"
#include "keytable.h"
#include "nitems.h"
#include "protocols.h"
#include "sa.h"
#include "wire.h"

#define KT_DEPTH_MAX	64		/* nesting of free-form objects */
#define KT_TEXT_MAX	4096		/* one string column */
#define KT_SET_MAX	256		/* members of Peers, Interfaces */
#define KT_INT_LIMIT	((INT64_C(1) << 53) - 1)	/* I-JSON's integers (RFC 7493 §2.2) */

/* ================================================================ table */

struct paddr {
	int		 af;		/* AF_INET, AF_INET6; 0: a group name */
	uint8_t		 a[16];
};

/*
 * A row of a table.  A row read from a file is kept as its JSON text (raw)
 * plus what matching needs; its public form (row) is built on first use, so
 * that select, lookup and insert on a big table touch little memory: on the
 * virtual machines labs run on, fresh memory costs more than parsing.
 */
struct entry {
	struct rkmp_keytable_row *row;	/* NULL until built from raw */
	const char	*raw;		/* the row's text, written back as is; NULL: from row */
	size_t		 raw_len;
	uint8_t		 protocol;
	enum rkmp_keytable_dir dir;
	int64_t		 ss, se, as, ae;	/* the four lifetimes */
	uint64_t	 local_id;	/* LocalKeyName as a number (fixed width per protocol) */
	size_t		 npeers;
	struct paddr	*paddr;		/* one per peer */
	const char	**gname;	/* group peers' names, NULL for addresses; may be NULL */
	bool		 iface_all;	/* Interfaces is ["all"] */
	const char	*alg;		/* AlgID */
	bool		 has_sa;
	uint64_t	 sa_i, sa_r;	/* x-rkmp rkmp_sa */
};

/* A table's JSON text: strings are decoded in place and pointed to. */
struct textbuf {
	struct textbuf	*next;
	char		*p;
	size_t		 cap;
	bool		 mapped;	/* anonymous mapping */
	bool		 file;		/* the table file mapped read-only (not wiped) */
};

struct rkmp_keytable {
	struct entry	*v;
	size_t		 n, cap;
	bool		 v_mapped;
	struct rkmp_arena arena;
	struct textbuf	*texts;
};

struct rkmp_keytable *
rkmp_keytable_new(void)
{
	return calloc(1, sizeof(struct rkmp_keytable));
}

void
rkmp_keytable_free(struct rkmp_keytable *kt)
{
	struct textbuf *t, *n;

	if (kt == NULL)
		return;
	for (t = kt->texts; t != NULL; t = n) {
		n = t->next;
		if (!t->file)
			OPENSSL_cleanse(t->p, t->cap);
		if (t->mapped || t->file)
			munmap(t->p, t->cap);
		else
			free(t->p);
		free(t);
	}
	rkmp_arena_free(&kt->arena);
	rkmp_big_free(kt->v, kt->cap * sizeof(*kt->v), kt->v_mapped);
	free(kt);
}

size_t
rkmp_keytable_count(const struct rkmp_keytable *kt)
{
	return kt->n;
}

static struct rkmp_keytable_row *entry_row(struct rkmp_keytable *kt, size_t i);

/* The table is logically const: building a row from its text is a cache fill. */
const struct rkmp_keytable_row *
rkmp_keytable_at(const struct rkmp_keytable *kt, size_t i)
{
	return i < kt->n ? entry_row((struct rkmp_keytable *)(uintptr_t)kt, i) : NULL;
}

/* A text buffer owned by kt. */
static char *
text_new(struct rkmp_keytable *kt, size_t cap)
{
	struct textbuf *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cap = cap ? cap : 1;
	if ((t->p = rkmp_big_alloc(t->cap, &t->mapped)) == NULL) {
		free(t);
		return NULL;
	}
	t->next = kt->texts;
	kt->texts = t;
	return t->p;
}

static int
table_reserve(struct rkmp_keytable *kt, size_t cap)
{
	struct entry *v;
	bool mapped;

	if (cap <= kt->cap)
		return 0;
	if ((v = rkmp_big_alloc(cap * sizeof(*v), &mapped)) == NULL)
		return -1;
	if (kt->n > 0)
		memcpy(v, kt->v, kt->n * sizeof(*v));
	if (kt->v != NULL)
		rkmp_big_free(kt->v, kt->cap * sizeof(*v), kt->v_mapped);
	kt->v = v;
	kt->cap = cap;
	kt->v_mapped = mapped;
	return 0;
}

static struct entry *
table_append(struct rkmp_keytable *kt)
{
	if (kt->n == kt->cap && table_reserve(kt, kt->cap ? kt->cap * 2 : 64) != 0)
		return NULL;
	memset(&kt->v[kt->n], 0, sizeof(kt->v[0]));
	return &kt->v[kt->n++];
}

static void
table_remove(struct rkmp_keytable *kt, size_t i)
{
	memmove(&kt->v[i], &kt->v[i + 1], (kt->n - i - 1) * sizeof(kt->v[0]));
	kt->n--;
}

/* ================================================================ names */

/* Protocol names and KeyName widths (RFC 7210 §5.1: two hex digits per SPI
 * octet) are protocols.c's. */
const char *
rkmp_keytable_protocol_name(uint8_t proto)
{
	const struct rkmp_protocol *p = rkmp_protocol_by_id(proto);

	return p == NULL ? NULL : p->name;
}

bool
rkmp_keytable_protocol_value(const char *name, uint8_t *proto)
{
	const struct rkmp_protocol *p = rkmp_protocol_by_name(name);

	if (p == NULL)
		return false;
	*proto = p->id;
	return true;
}

static const char *const dir_names[] = { "in", "out", "both", "disabled" };

const char *
rkmp_keytable_dir_name(enum rkmp_keytable_dir d)
{
	return (unsigned)d < nitems(dir_names) ? dir_names[d] : "?";
}

/*
 * KDF and AlgID per protocol, the Key lengths they take, the preference for
 * select (higher first) and what each export calls them (NULL: none).
 * tcp-ao: RFC 5926 §3.2 (KDF fixed by the MAC; any master key length, up to
 * Linux's TCP_AO_MAXKEYLEN).  bfd: RFC 5880 §6.7 keys used as they are
 * (keyed MD5 up to 16 octets, keyed SHA1 up to 20) and the generic modes of
 * draft-ietf-bfd-generic-crypto-auth.  rsvp-te: RFC 2747 HMAC-MD5.  tcp-md5:
 * RFC 2385, the password being the Key's hex digits (DESIGN.md §7).  The BFD,
 * RSVP-TE and TCP-MD5 AlgIDs are rkmp's (the registry has none; rkmp-karp.md
 * §12.3).
 */
struct alg_rule {
	uint8_t		 proto;
	const char	*kdf;
	const char	*alg;
	size_t		 kmin, kmax;
	int		 pref;
	const char	*frr;		/* cryptographic-algorithm */
	const char	*bird;		/* algorithm (bird_bfd: BFD authentication type) */
	bool		 bird_bfd;
	const char	*rfc8177;	/* ietf-key-chain identity */
};

static const struct alg_rule alg_rules[] = {
	{ RKMP_PROTO_TCP_AO, "AES-128-CMAC", "AES-128-CMAC-96", 1, 80, 2, NULL, NULL, false,
	    "aes-cmac-prf-128" },
	{ RKMP_PROTO_TCP_AO, "HMAC-SHA-1", "HMAC-SHA-1-96", 1, 80, 1, "hmac-sha-1", "hmac sha1",
	    false, "hmac-sha-1-12" },
	{ RKMP_PROTO_BFD, "none", "BFD-GENERIC-METICULOUS-HMAC-SHA-256", 1, 64, 6, "hmac-sha-256",
	    NULL, true, "hmac-sha-256" },
	{ RKMP_PROTO_BFD, "none", "BFD-GENERIC-HMAC-SHA-256", 1, 64, 5, "hmac-sha-256", NULL, true,
	    "hmac-sha-256" },
	{ RKMP_PROTO_BFD, "none", "BFD-METICULOUS-KEYED-SHA1", 1, 20, 4, NULL,
	    "meticulous keyed sha1", true, "sha-1" },
	{ RKMP_PROTO_BFD, "none", "BFD-KEYED-SHA1", 1, 20, 3, NULL, "keyed sha1", true, "sha-1" },
	{ RKMP_PROTO_BFD, "none", "BFD-METICULOUS-KEYED-MD5", 1, 16, 2, "md5",
	    "meticulous keyed md5", true, "md5" },
	{ RKMP_PROTO_BFD, "none", "BFD-KEYED-MD5", 1, 16, 1, "md5", "keyed md5", true, "md5" },
	{ RKMP_PROTO_RSVP_TE, "none", "HMAC-MD5", 1, 64, 1, NULL, NULL, false, "md5" },
	/* RFC 2385: a password of up to 80 octets (Linux TCP_MD5SIG_MAXKEYLEN);
	 * the daemons take it as text: the exports write the Key's hex digits */
	{ RKMP_PROTO_TCP_MD5, "none", "TCP-MD5", 1, 40, 1, NULL, NULL, false, "md5" },
};

static const struct alg_rule *
alg_rule(uint8_t proto, const char *alg)
{
	for (size_t i = 0; i < nitems(alg_rules); i++)
		if (alg_rules[i].proto == proto && strcmp(alg_rules[i].alg, alg) == 0)
			return &alg_rules[i];
	return NULL;
}

/*
 * ESP AlgIDs are strongSwan-style suites ("aes128-sha256", "aes256gcm16");
 * the Key is our outbound encryption key (with its salt) and integrity key,
 * then the inbound ones.
 */
struct esp_suite {
	const struct rkmp_encr_alg	*encr;
	const struct rkmp_integ_alg	*integ;		/* NULL with AEAD */
	size_t				 half;		/* octets per direction */
};

static bool
esp_suite(const char *alg, struct esp_suite *s)
{
	const char *dash = strchr(alg, '-');
	size_t elen = dash ? (size_t)(dash - alg) : strlen(alg), n;
	const struct rkmp_encr_alg *et = rkmp_crypto_encr_table(&n);

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++)
		if (strlen(et[i].keyword) == elen && strncmp(et[i].keyword, alg, elen) == 0)
			s->encr = &et[i];
	if (s->encr == NULL)
		return false;
	if (dash != NULL) {
		const struct rkmp_integ_alg *it = rkmp_crypto_integ_table(&n);

		if (s->encr->aead)
			return false;
		for (size_t i = 0; i < n; i++)
			if (strcmp(it[i].keyword, dash + 1) == 0)
				s->integ = &it[i];
		if (s->integ == NULL)
			return false;
	} else if (!s->encr->aead)
		return false;
	s->half = s->encr->key_len + s->encr->salt_len + (s->integ ? s->integ->key_len : 0);
	return true;
}

/* ================================================================ times */

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
month_days(int64_t y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int
rkmp_keytable_time_parse(const char *s, int64_t *t)
{
	/* positions of the digits of YYYY mm dd HH MM SS in either form */
	static const int compact[14] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	static const int iso[14] = { 0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18 };
	size_t len = strlen(s);
	const int *pos;
	int v[14], mo, d, h, mi, sec;
	int64_t y;

	if (len == 15)
		pos = compact;
	else if (len == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
	    s[16] == ':')
		pos = iso;
	else
		return rkmp_err_set(RKMP_E_INVALID, "time", "%zu characters: YYYYmmddHHMMSSZ expected",
		    len);
	for (int i = 0; i < 14; i++) {
		if (s[pos[i]] < '0' || s[pos[i]] > '9')
			return rkmp_err_set(RKMP_E_INVALID, "time", "character %d is not a digit",
			    pos[i] + 1);
		v[i] = s[pos[i]] - '0';
	}
	if (s[len - 1] != 'Z')
		return rkmp_err_set(RKMP_E_INVALID, "time", "no Z (UTC) at the end");
	y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
	mo = v[4] * 10 + v[5];
	d = v[6] * 10 + v[7];
	h = v[8] * 10 + v[9];
	mi = v[10] * 10 + v[11];
	sec = v[12] * 10 + v[13];
	if (mo < 1 || mo > 12)
		return rkmp_err_set(RKMP_E_INVALID, "time", "month %d", mo);
	if (d < 1 || d > month_days(y, mo))
		return rkmp_err_set(RKMP_E_INVALID, "time", "day %d (%04" PRId64 "-%02d has %d)", d,
		    y, mo, month_days(y, mo));
	if (h > 23)
		return rkmp_err_set(RKMP_E_INVALID, "time", "hour %d", h);
	if (mi > 59)
		return rkmp_err_set(RKMP_E_INVALID, "time", "minute %d", mi);
	if (sec > 59)
		return rkmp_err_set(RKMP_E_INVALID, "time", "second %d", sec);
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

static void
time_split(int64_t t, int64_t *y, int *mo, int *d, int *h, int *mi, int *s)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400;

	civil_from_days(days, y, mo, d);
	*h = (int)(rem / 3600);
	*mi = (int)(rem / 60 % 60);
	*s = (int)(rem % 60);
}

void
rkmp_keytable_time_format(int64_t t, char out[16])
{
	int64_t y;
	int mo, d, h, mi, s;

	time_split(t, &y, &mo, &d, &h, &mi, &s);
	if (y < 0 || y > 9999) {
		snprintf(out, 16, "%s", y < 0 ? "00000101000000Z" : "99991231235959Z");
		return;
	}
	{
		int v[6] = { (int)y, mo, d, h, mi, s }, o = 0;

		/* by hand: a table of 100,000 rows formats 400,000 times */
		out[o++] = (char)('0' + v[0] / 1000);
		out[o++] = (char)('0' + v[0] / 100 % 10);
		out[o++] = (char)('0' + v[0] / 10 % 10);
		out[o++] = (char)('0' + v[0] % 10);
		for (int i = 1; i < 6; i++) {
			out[o++] = (char)('0' + v[i] / 10);
			out[o++] = (char)('0' + v[i] % 10);
		}
		out[o++] = 'Z';
		out[o] = '\0';
	}
}

/* ================================================================ small parsers */


bool
rkmp_keytable_spi_parse(const char *s, uint64_t *spi)
{
	size_t n;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		int h = rkmp_hex_digit((unsigned char)s[i]);

		if (h < 0)
			return false;
		v = v << 4 | (uint64_t)h;
	}
	*spi = v;
	return true;
}

static bool
hex64(const char *s, size_t n, bool lower_only, uint64_t *out)
{
	uint64_t v = 0;

	if (n != 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		int h = rkmp_hex_digit((unsigned char)s[i]);

		if (h < 0 || (lower_only && s[i] >= 'A' && s[i] <= 'F'))
			return false;
		v = v << 4 | (uint64_t)h;
	}
	*out = v;
	return true;
}

bool
rkmp_keytable_sa_parse(const char *s, uint64_t *spi_i, uint64_t *spi_r)
{
	const char *colon = strchr(s, ':');

	return colon != NULL && hex64(s, (size_t)(colon - s), false, spi_i) &&
	    hex64(colon + 1, strlen(colon + 1), false, spi_r);
}

static void
paddr_parse(const char *s, struct paddr *p)
{
	memset(p, 0, sizeof(*p));
	if (strchr(s, ':') != NULL && strncmp(s, "group:", 6) != 0) {
		if (inet_pton(AF_INET6, s, p->a) == 1)
			p->af = AF_INET6;
	} else if (inet_pton(AF_INET, s, p->a) == 1)
		p->af = AF_INET;
}

bool
rkmp_keytable_peer_ok(const char *s)
{
	struct paddr p;

	if (strncmp(s, "group:", 6) == 0)
		return s[6] != '\0';
	paddr_parse(s, &p);
	return p.af != 0;
}

static bool
paddr_eq(const struct paddr *a, const char *as, const struct paddr *b, const char *bs)
{
	if (a->af != b->af)
		return false;
	if (a->af == 0)
		return strcmp(as, bs) == 0;
	return memcmp(a->a, b->a, a->af == AF_INET ? 4 : 16) == 0;
}

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

static bool
utf8_ok(const char *s)
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
static int
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

static void
put_str(struct rkmp_buf *b, const char *s)
{
	rkmp_buf_put(b, s, strlen(s));
}

static void
put_fmt(struct rkmp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put_fmt(struct rkmp_buf *b, const char *fmt, ...)
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

/*
 * An integer: within I-JSON's ±(2^53-1) (RFC 7493 §2.2), which the reader
 * keeps to, or nothing and an error (a bug: every integer written is bounded).
 */
static void
put_int(struct rkmp_buf *b, int64_t v)
{
	char num[24];
	int n;

	if (v > KT_INT_LIMIT || v < -KT_INT_LIMIT) {
		if (b->err == 0)
			b->err = rkmp_err_set(RKMP_E_INTERNAL, "key table", "integer %" PRId64
			    " outside I-JSON's ±(2^53-1)", v);
		return;
	}
	n = snprintf(num, sizeof(num), "%" PRId64, v);
	rkmp_buf_put(b, num, (size_t)n);
}

/* A JSON string, quoted and escaped (UTF-8 passes through). */
static void
put_jstr(struct rkmp_buf *b, const char *s)
{
	const char *run = s;

	rkmp_buf_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rkmp_buf_put(b, run, (size_t)(s - run));
		switch (c) {
		case '"':
			put_str(b, "\\\"");
			break;
		case '\\':
			put_str(b, "\\\\");
			break;
		case '\n':
			put_str(b, "\\n");
			break;
		case '\t':
			put_str(b, "\\t");
			break;
		case '\r':
			put_str(b, "\\r");
			break;
		default:
			put_fmt(b, "\\u%04x", c);
		}
		run = s + 1;
	}
	rkmp_buf_put(b, run, (size_t)(s - run));
	rkmp_buf_put(b, "\"", 1);
}

static void
put_hex(struct rkmp_buf *b, const uint8_t *p, size_t n, const char *sep)
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

static const char *q(const char *s, char *buf, size_t n);

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
		n = snprintf(buf + *o, cap - *o, "[%s]", q(tmp, b, sizeof(b)));
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
	    spelled ? q(sp, b, sizeof(b)) : "");
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


/* ================================================================ rows: validation */

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

/* "row N: " or "" before a validation message. */
static int
vfail(const char *where, size_t idx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
vfail(const char *where, size_t idx, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (idx == SIZE_MAX)
		return rkmp_err_set(RKMP_E_STATE, where ? where : "", "%s", msg);
	return rkmp_err_set(RKMP_E_STATE, where ? where : "", "row %zu: %s", idx, msg);
}

/* A value quoted for a message: at most 64 characters, control characters hidden. */
static const char *
q(const char *s, char *buf, size_t n)
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

static int
check_keyname(const char *where, size_t idx, const char *col, const char *s, size_t digits,
    const char *proto, bool empty_ok)
{
	char b[80];
	size_t n = strlen(s);

	if (n == 0) {
		if (empty_ok)
			return 0;
		return vfail(where, idx, "%s: empty", col);
	}
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return vfail(where, idx, "%s %s: not lowercase hexadecimal (RFC 7210 §5.1)",
			    col, q(s, b, sizeof(b)));
	if (n != digits)
		return vfail(where, idx, "%s %s: %s key names are %zu hex digits (RFC 7210 §5.1)",
		    col, q(s, b, sizeof(b)), proto, digits);
	return 0;
}

static int parse_x(struct jr *j, size_t idx, struct rkmp_keytable_x *x);

/*
 * Free-form JSON of a row that did not come from the reader, checked as the
 * reader checks it: ProtocolSpecificInfo (an object), or x-rkmp's extra
 * members (members_only: without the braces; none of the known members).
 * The reader's message when it names where (a name given twice, a number
 * out of range), else one for the column.
 */
static int
json_object_check(const char *text, bool members_only, const char *where, size_t idx)
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
		r = vfail(where, idx, "%s: a JSON object expected", col);
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
			r = vfail(where, idx, "%s: a JSON object expected", col);
	}
	if (r == 0 && members_only && (x.proto_id >= 0 || x.child_spi_local || x.child_spi_peer ||
	    x.rkmp_sa || x.role || x.state))
		r = vfail(where, idx, "x-rkmp: a known member among the others (extra)");
	free(wrapped);
	rkmp_arena_free(&a);
	return r;
}

/* parsed: the row comes from the reader, which checked its free-form JSON */
static int
validate_in(const struct rkmp_keytable_row *r, size_t idx, const char *where, bool parsed)
{
	char b1[80], b2[80];
	const struct rkmp_protocol *pp = rkmp_protocol_by_id(r->protocol);
	const char *pname;

	/* AdminKeyName */
	if (r->admin_name == NULL || r->admin_name[0] == '\0')
		return vfail(where, idx, "AdminKeyName: empty");
	if (strlen(r->admin_name) > KT_TEXT_MAX || !utf8_ok(r->admin_name))
		return vfail(where, idx, "AdminKeyName: over %d octets or not UTF-8", KT_TEXT_MAX);
	if (pp == NULL)
		return vfail(where, idx, "Protocol %u: not %s", r->protocol,
		    rkmp_protocol_names(true, true));
	pname = pp->name;
	/* LocalKeyName, PeerKeyName (an empty PeerKeyName: a group key) */
	if (r->local_name == NULL || r->peer_name == NULL)
		return vfail(where, idx, "%s: missing", r->local_name ? "PeerKeyName" : "LocalKeyName");
	if (check_keyname(where, idx, "LocalKeyName", r->local_name, 2u * pp->spi_len,
	    pname, false) != 0 ||
	    check_keyname(where, idx, "PeerKeyName", r->peer_name, 2u * pp->spi_len,
	    pname, true) != 0)
		return RKMP_E_STATE;
	/* Peers */
	if (r->npeers == 0 || r->peers == NULL)
		return vfail(where, idx, "Peers: empty (the peers that hold the key)");
	if (r->npeers > KT_SET_MAX)
		return vfail(where, idx, "Peers: %zu > %d", r->npeers, KT_SET_MAX);
	for (size_t i = 0; i < r->npeers; i++) {
		struct paddr a, c;

		if (r->peers[i] == NULL || !rkmp_keytable_peer_ok(r->peers[i]))
			return vfail(where, idx, "Peers[%zu] %s: not an IPv4 or IPv6 address or "
			    "group:NAME", i, q(r->peers[i] ? r->peers[i] : "", b1, sizeof(b1)));
		paddr_parse(r->peers[i], &a);
		for (size_t k = 0; k < i; k++) {
			paddr_parse(r->peers[k], &c);
			if (paddr_eq(&a, r->peers[i], &c, r->peers[k]))
				return vfail(where, idx, "Peers[%zu] %s: the same peer as Peers[%zu]", i,
				    q(r->peers[i], b1, sizeof(b1)), k);
		}
	}
	/* Interfaces */
	if (r->ninterfaces == 0 || r->interfaces == NULL)
		return vfail(where, idx, "Interfaces: empty (\"all\" for every interface)");
	if (r->ninterfaces > KT_SET_MAX)
		return vfail(where, idx, "Interfaces: %zu > %d", r->ninterfaces, KT_SET_MAX);
	for (size_t i = 0; i < r->ninterfaces; i++) {
		const char *n = r->interfaces[i];

		if (n == NULL || n[0] == '\0' || strlen(n) > 255 || !utf8_ok(n))
			return vfail(where, idx, "Interfaces[%zu]: empty, over 255 octets or not UTF-8",
			    i);
		if (strcmp(n, "all") == 0 && r->ninterfaces > 1)
			return vfail(where, idx, "Interfaces: \"all\" with other names");
		for (size_t k = 0; k < i; k++)
			if (strcmp(n, r->interfaces[k]) == 0)
				return vfail(where, idx, "Interfaces[%zu] %s: listed twice", i,
				    q(n, b1, sizeof(b1)));
	}
	/* ProtocolSpecificInfo */
	if (r->psi == NULL)
		return vfail(where, idx, "ProtocolSpecificInfo: a JSON object expected");
	if (!parsed && json_object_check(r->psi, false, where, idx) != 0)
		return RKMP_E_STATE;
	/* KDF, AlgID, Key */
	if (r->kdf == NULL || r->alg_id == NULL)
		return vfail(where, idx, "%s: missing", r->kdf ? "AlgID" : "KDF");
	if (r->key == NULL || r->key_len == 0)
		return vfail(where, idx, "Key: empty");
	if (r->key_len > RKMP_KEYTABLE_KEY_MAX)
		return vfail(where, idx, "Key: %zu octets > %d", r->key_len, RKMP_KEYTABLE_KEY_MAX);
	if (r->protocol == RKMP_PROTO_ESP) {
		struct esp_suite s;

		if (strcmp(r->kdf, "none") != 0)
			return vfail(where, idx, "KDF %s: esp keys are used as they are (\"none\")",
			    q(r->kdf, b1, sizeof(b1)));
		if (!esp_suite(r->alg_id, &s))
			return vfail(where, idx, "AlgID %s: not an ESP suite (aes128-sha256, "
			    "aes256gcm16, chacha20poly1305, ...)", q(r->alg_id, b1, sizeof(b1)));
		if (r->key_len != 2 * s.half)
			return vfail(where, idx, "Key: %zu octets; %s needs %zu (outbound and inbound "
			    "keys, %zu each)", r->key_len, r->alg_id, 2 * s.half, s.half);
	} else {
		const struct alg_rule *ar = alg_rule(r->protocol, r->alg_id);

		if (ar == NULL) {
			char list[160] = "";

			for (size_t i = 0; i < nitems(alg_rules); i++)
				if (alg_rules[i].proto == r->protocol) {
					if (list[0])
						strncat(list, ", ", sizeof(list) - strlen(list) - 1);
					strncat(list, alg_rules[i].alg, sizeof(list) - strlen(list) - 1);
				}
			return vfail(where, idx, "AlgID %s: not one for %s (%s)",
			    q(r->alg_id, b1, sizeof(b1)), pname, list);
		}
		if (strcmp(ar->kdf, r->kdf) != 0)
			return vfail(where, idx, "KDF %s: AlgID %s goes with KDF %s%s",
			    q(r->kdf, b1, sizeof(b1)), ar->alg, ar->kdf,
			    r->protocol == RKMP_PROTO_TCP_AO ? " (RFC 5926 §3.2)" : "");
		if (r->key_len < ar->kmin || r->key_len > ar->kmax)
			return vfail(where, idx, "Key: %zu octets; %s takes %zu to %zu", r->key_len,
			    ar->alg, ar->kmin, ar->kmax);
	}
	/* Direction */
	if ((unsigned)r->direction > RKMP_KEYTABLE_DISABLED)
		return vfail(where, idx, "Direction %d: not in, out, both or disabled", r->direction);
	/* lifetimes */
	if (r->send_end < r->send_start) {
		rkmp_keytable_time_format(r->send_end, b1);
		rkmp_keytable_time_format(r->send_start, b2);
		return vfail(where, idx, "SendLifetimeEnd \"%s\" is before SendLifetimeStart \"%s\"",
		    b1, b2);
	}
	if (r->accept_end < r->accept_start) {
		rkmp_keytable_time_format(r->accept_end, b1);
		rkmp_keytable_time_format(r->accept_start, b2);
		return vfail(where, idx, "AcceptLifetimeEnd \"%s\" is before AcceptLifetimeStart "
		    "\"%s\"", b1, b2);
	}
	/* x-rkmp */
	if (r->x.present) {
		const struct rkmp_keytable_x *x = &r->x;
		uint64_t a, c;

		if (x->proto_id >= 0 && x->proto_id != r->protocol)
			return vfail(where, idx, "x-rkmp.proto_id %d: Protocol is %s (%u)", x->proto_id,
			    pname, r->protocol);
		if (x->child_spi_local != NULL && !rkmp_keytable_spi_parse(x->child_spi_local, &a))
			return vfail(where, idx, "x-rkmp.child_spi_local %s: not 1 to 16 hex digits",
			    q(x->child_spi_local, b1, sizeof(b1)));
		if (x->child_spi_peer != NULL && !rkmp_keytable_spi_parse(x->child_spi_peer, &a))
			return vfail(where, idx, "x-rkmp.child_spi_peer %s: not 1 to 16 hex digits",
			    q(x->child_spi_peer, b1, sizeof(b1)));
		if (x->rkmp_sa != NULL && (strlen(x->rkmp_sa) != 33 ||
		    !rkmp_keytable_sa_parse(x->rkmp_sa, &a, &c)))
			return vfail(where, idx, "x-rkmp.rkmp_sa %s: not SPIi:SPIr (16 hex digits each)",
			    q(x->rkmp_sa, b1, sizeof(b1)));
		if (x->role != NULL && strcmp(x->role, "initiator") != 0 &&
		    strcmp(x->role, "responder") != 0)
			return vfail(where, idx, "x-rkmp.role %s: not initiator or responder",
			    q(x->role, b1, sizeof(b1)));
		if (x->state != NULL && (x->state[0] == '\0' || strlen(x->state) > 32 ||
		    !utf8_ok(x->state)))
			return vfail(where, idx, "x-rkmp.state: empty, over 32 octets or not UTF-8");
		if (x->extra != NULL && !parsed && json_object_check(x->extra, true, where, idx) != 0)
			return RKMP_E_STATE;
	}
	return 0;
}

int
rkmp_keytable_validate(const struct rkmp_keytable_row *row, size_t index)
{
	return validate_in(row, index, "", false);
}

/* What matching needs, from a (valid) row; arrays in the table's arena. */
static int
entry_set(struct rkmp_keytable *kt, struct entry *e, const struct rkmp_keytable_row *r)
{
	const struct alg_rule *ar = alg_rule(r->protocol, r->alg_id);

	e->protocol = r->protocol;
	e->dir = r->direction;
	e->ss = r->send_start;
	e->se = r->send_end;
	e->as = r->accept_start;
	e->ae = r->accept_end;
	e->npeers = r->npeers;
	e->gname = NULL;
	if ((e->paddr = rkmp_arena_alloc(&kt->arena, r->npeers * sizeof(*e->paddr))) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	for (size_t i = 0; i < r->npeers; i++) {
		paddr_parse(r->peers[i], &e->paddr[i]);
		if (e->paddr[i].af != 0)
			continue;
		if (e->gname == NULL &&
		    (e->gname = rkmp_arena_alloc(&kt->arena, r->npeers * sizeof(char *))) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
		if ((e->gname[i] = rkmp_arena_strdup(&kt->arena, r->peers[i])) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	}
	if (e->gname != NULL)
		for (size_t i = 0; i < r->npeers; i++)
			if (e->paddr[i].af != 0)
				e->gname[i] = NULL;
	e->iface_all = r->ninterfaces == 1 && strcmp(r->interfaces[0], "all") == 0;
	if (ar != NULL)
		e->alg = ar->alg;
	else if ((e->alg = rkmp_arena_strdup(&kt->arena, r->alg_id)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	if (!rkmp_keytable_spi_parse(r->local_name, &e->local_id))
		e->local_id = 0;
	e->has_sa = r->x.present && r->x.rkmp_sa != NULL &&
	    rkmp_keytable_sa_parse(r->x.rkmp_sa, &e->sa_i, &e->sa_r);
	return 0;
}

static bool
entry_peer_eq(const struct entry *e, size_t i, const struct paddr *p, const char *ps)
{
	return paddr_eq(&e->paddr[i], e->gname ? e->gname[i] : NULL, p, ps);
}

static bool
entry_has_peer(const struct entry *e, const struct paddr *p, const char *ps)
{
	for (size_t i = 0; i < e->npeers; i++)
		if (entry_peer_eq(e, i, p, ps))
			return true;
	return false;
}

/* Whether two rows clash: same Protocol and LocalKeyName, a peer in common. */
static long
entries_clash(const struct entry *a, const struct entry *b)
{
	/* key names have one width per protocol: the same number is the same name */
	if (a->protocol != b->protocol || a->local_id != b->local_id)
		return -1;
	for (size_t i = 0; i < a->npeers; i++)
		if (entry_has_peer(b, &a->paddr[i], a->gname ? a->gname[i] : NULL))
			return (long)i;
	return -1;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t
uq_hash(const struct entry *e, size_t pi)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv(h, &e->protocol, 1);
	h = fnv(h, &e->local_id, sizeof(e->local_id));
	if (e->paddr[pi].af != 0)
		h = fnv(h, e->paddr[pi].a, e->paddr[pi].af == AF_INET ? 4 : 16);
	else
		h = fnv(h, e->gname[pi], strlen(e->gname[pi]));
	return h | 1;
}

/*
 * The first row that repeats the (Protocol, peer, LocalKeyName) of an earlier
 * one, by a hash over every row's peers: its index, or -1 (-2: no memory).
 * *other is the earlier row, *peer the peer of *dup they share.
 */
static long
find_dup(const struct rkmp_keytable *kt, size_t *other, size_t *peer)
{
	struct slot {
		uint64_t	 h;
		uint32_t	 row, peer;
	} *t;
	size_t total = 0, size = 16;

	for (size_t i = 0; i < kt->n; i++)
		total += kt->v[i].npeers;
	while (size < total * 2)
		size *= 2;
	if ((t = calloc(size, sizeof(*t))) == NULL)
		return -2;
	for (size_t i = 0; i < kt->n; i++) {
		const struct entry *e = &kt->v[i];

		for (size_t p = 0; p < e->npeers; p++) {
			uint64_t h = uq_hash(e, p);
			size_t s = (size_t)h & (size - 1);

			for (; t[s].h != 0; s = (s + 1) & (size - 1)) {
				const struct entry *o = &kt->v[t[s].row];

				if (t[s].h == h && o->protocol == e->protocol &&
				    o->local_id == e->local_id &&
				    entry_peer_eq(o, t[s].peer, &e->paddr[p], e->gname ? e->gname[p] : NULL)) {
					*other = t[s].row;
					*peer = p;
					free(t);
					return (long)i;
				}
			}
			t[s] = (struct slot){ h, (uint32_t)i, (uint32_t)p };
		}
	}
	free(t);
	return -1;
}

/* Every (Protocol, peer, LocalKeyName) once. */
static int
check_unique(struct rkmp_keytable *kt, const char *where)
{
	const struct rkmp_keytable_row *er;
	size_t other = 0, p = 0;
	long i = find_dup(kt, &other, &p);
	char b[80];

	if (i == -1)
		return 0;
	if (i == -2 || (er = entry_row(kt, (size_t)i)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, where, "out of memory");
	return vfail(where, (size_t)i, "%s, peer %s, LocalKeyName %s: already in row %zu (rows "
	    "are unique by Protocol, peer and LocalKeyName)",
	    rkmp_keytable_protocol_name(er->protocol), q(er->peers[p], b, sizeof(b)),
	    er->local_name, other);
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
				put_str(&extra, ",");
			rkmp_buf_put(&extra, ks, (size_t)(ke - ks));
			put_str(&extra, ":");
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
				    "anything else goes under x-rkmp)", q(name, b, sizeof(b)));
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
		return rfail(j, idx, "Protocol %s: not %s", q(raw.s[C_PROTO], b, sizeof(b)),
		    rkmp_protocol_names(true, true));
	}
	if ((r = key_decode(j, idx, raw.s[C_KEY], &row->key, &row->key_len)) != 0) {
		return r;
	}
	for (c = 0; c < 4 && strcmp(raw.s[C_DIR], dir_names[c]) != 0; c++)
		;
	if (c == 4) {
		return rfail(j, idx, "Direction %s: not in, out, both or disabled",
		    q(raw.s[C_DIR], b, sizeof(b)));
	}
	row->direction = (enum rkmp_keytable_dir)c;
	for (c = C_SS; c <= C_AE; c++) {
		int64_t *t = c == C_SS ? &row->send_start : c == C_SE ? &row->send_end :
		    c == C_AS ? &row->accept_start : &row->accept_end;

		if (strlen(raw.s[c]) != 15) {
				return rfail(j, idx, "%s %s: YYYYmmddHHMMSSZ expected", col_names[c],
			    q(raw.s[c], b, sizeof(b)));
		}
		if (rkmp_keytable_time_parse(raw.s[c], t) != 0) {
			char why[128];

			snprintf(why, sizeof(why), "%s", rkmp_err_detail());
				return rfail(j, idx, "%s %s: %s", col_names[c], q(raw.s[c], b, sizeof(b)), why);
		}
	}
	return validate_in(row, idx, j->name, true);
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
		if ((e = table_append(kt)) == NULL)
			r = rkmp_err_set(RKMP_E_NOMEM, j->name, "out of memory");
		else if ((r = entry_set(kt, e, &row)) != 0)
			kt->n--;
		else {
			e->raw = start;
			e->raw_len = (size_t)(j->p - start);
			if (alias || memchr(start, '\n', e->raw_len) != NULL ||
			    memchr(start, '\r', e->raw_len) != NULL)
				e->raw = NULL;	/* rewritten: keep the text for entry_row */
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
static struct rkmp_keytable_row *
entry_row(struct rkmp_keytable *kt, size_t i)
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
	if (table_reserve(kt, kt->n + len / 300 + 16) != 0)
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
					    "table (%s)", q(f, b, sizeof(b)), RKMP_KEYTABLE_FORMAT);
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
				    q(key, b, sizeof(b)));
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
	return check_unique(kt, name);
#undef scratch
}

static int
parse_doc(struct rkmp_keytable *kt, const char *name, const char *text, size_t len)
{
	struct rkmp_arena scratch = { 0 };
	int r = parse_doc_in(kt, name, text, len, &scratch);

	rkmp_arena_free(&scratch);
	return r;
}

int
rkmp_keytable_parse(struct rkmp_keytable *kt, const char *name, const char *text, size_t len)
{
	char *buf = text_new(kt, len + 1);

	if (buf == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, name, "out of memory");
	memcpy(buf, text, len);
	buf[len] = '\0';
	return parse_doc(kt, name, buf, len);
}

static int parse_rows_in(struct rkmp_keytable *, const char *, const char *, size_t,
    struct rkmp_arena *);

int
rkmp_keytable_parse_rows(struct rkmp_keytable *kt, const char *name, const char *text,
    size_t len)
{
	char *buf = text_new(kt, len + 1);
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
	return check_unique(kt, name);
#undef scratch
}

/* ================================================================ rows: JSON out */

static void
put_set(struct rkmp_buf *b, const char *const *v, size_t n)
{
	rkmp_buf_put(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			put_str(b, ", ");
		put_jstr(b, v[i]);
	}
	rkmp_buf_put(b, "]", 1);
}

static void
put_col(struct rkmp_buf *b, enum col c, const char *v)
{
	put_str(b, ", \"");
	put_str(b, col_names[c]);
	put_str(b, "\": ");
	put_jstr(b, v);
}

static void
row_json(const struct rkmp_keytable_row *r, struct rkmp_buf *b)
{
	char t[16];
	const char *sep = "";

	put_str(b, "{\"AdminKeyName\": ");
	put_jstr(b, r->admin_name);
	put_col(b, C_LOCAL, r->local_name);
	put_col(b, C_PEERNAME, r->peer_name);
	put_str(b, ", \"Peers\": ");
	put_set(b, r->peers, r->npeers);
	put_str(b, ", \"Interfaces\": ");
	put_set(b, r->interfaces, r->ninterfaces);
	put_col(b, C_PROTO, rkmp_keytable_protocol_name(r->protocol));
	put_str(b, ", \"ProtocolSpecificInfo\": ");
	put_str(b, r->psi);
	put_col(b, C_KDF, r->kdf);
	put_col(b, C_ALG, r->alg_id);
	put_str(b, ", \"Key\": \"");
	put_hex(b, r->key, r->key_len, NULL);
	put_str(b, "\"");
	put_col(b, C_DIR, rkmp_keytable_dir_name(r->direction));
	rkmp_keytable_time_format(r->send_start, t);
	put_col(b, C_SS, t);
	rkmp_keytable_time_format(r->send_end, t);
	put_col(b, C_SE, t);
	rkmp_keytable_time_format(r->accept_start, t);
	put_col(b, C_AS, t);
	rkmp_keytable_time_format(r->accept_end, t);
	put_col(b, C_AE, t);
	if (r->x.present) {
		const struct rkmp_keytable_x *x = &r->x;
		const char *names[] = { "child_spi_local", "child_spi_peer", "rkmp_sa", "role",
		    "state" };
		const char *vals[] = { x->child_spi_local, x->child_spi_peer, x->rkmp_sa, x->role,
		    x->state };

		put_str(b, ", \"x-rkmp\": {");
		if (x->proto_id >= 0) {
			put_str(b, "\"proto_id\": ");
			put_int(b, x->proto_id);
			sep = ", ";
		}
		for (size_t i = 0; i < nitems(names); i++)
			if (vals[i] != NULL) {
				put_str(b, sep);
				put_str(b, "\"");
				put_str(b, names[i]);
				put_str(b, "\": ");
				put_jstr(b, vals[i]);
				sep = ", ";
			}
		if (x->extra != NULL) {
			put_str(b, sep);
			put_str(b, x->extra);
		}
		put_str(b, "}");
	}
	put_str(b, "}");
}

int
rkmp_keytable_row_json(const struct rkmp_keytable_row *row, struct rkmp_buf *out)
{
	struct rkmp_buf b;

	rkmp_buf_init(&b, RKMP_KEYTABLE_FILE_MAX);
	row_json(row, &b);
	return kt_buf_to(&b, out);
}

static int
table_doc(const struct rkmp_keytable *kt, struct rkmp_buf *b)
{
	/* one allocation: rows come out at about the size they went in */
	rkmp_buf_reserve(b, 256 + kt->n * 720);
	put_str(b, "{\n  \"format\": \"" RKMP_KEYTABLE_FORMAT "\",\n  \"version\": ");
	put_int(b, RKMP_KEYTABLE_VERSION);
	put_str(b, ",\n  \"rows\": [");
	for (size_t i = 0; i < kt->n && b->err == 0; i++) {
		const struct entry *e = &kt->v[i];
		const struct rkmp_keytable_row *r;

		put_str(b, i == 0 ? "\n    " : ",\n    ");
		/* a row read on one line and not changed: as it was */
		if (e->raw != NULL)
			rkmp_buf_put(b, e->raw, e->raw_len);
		else if ((r = rkmp_keytable_at(kt, i)) != NULL)
			row_json(r, b);
		else
			return b->err = rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	}
	put_str(b, kt->n > 0 ? "\n  ]\n}\n" : "]\n}\n");
	return kt_buf_err(b);
}

int
rkmp_keytable_format(const struct rkmp_keytable *kt, struct rkmp_buf *out)
{
	struct rkmp_buf b;

	rkmp_buf_init(&b, RKMP_KEYTABLE_FILE_MAX);
	table_doc(kt, &b);
	return kt_buf_to(&b, out);
}

/* ================================================================ files */

/*
 * Read path into a text buffer of kt, refusing it before reading when group
 * or others may read or write it.  *missing when it does not exist
 * (RKMP_E_STATE "no such key table").
 */
static int
kt_read(const char *path, struct rkmp_keytable *kt, const char **bufp, size_t *lenp,
    bool *missing)
{
	char *buf;
	size_t len = 0, cap, size;
	ssize_t n;
	int fd, r;

	*missing = false;
	/* the keys are secret: as the state file */
	if ((r = rkmp_file_open_secret(path, RKMP_KEYTABLE_FILE_MAX, "key table", &fd, &size)) != 0) {
		if (r == RKMP_E_SYSTEM && errno == ENOENT) {
			*missing = true;
			return rkmp_err_set(RKMP_E_STATE, path, "no such key table");
		}
		return r;
	}
	/*
	 * A big table is mapped, not read: copying it out of the page cache costs
	 * more than parsing it.  Writers never change a table in place (they
	 * rename a new one over it), so the mapping stays whole.
	 */
	if (size >= (1 << 20)) {
		struct textbuf *t = calloc(1, sizeof(*t));
		void *m = t == NULL ? MAP_FAILED : mmap(NULL, size, PROT_READ,
		    MAP_PRIVATE | MAP_POPULATE, fd, 0);

		if (m != MAP_FAILED) {
			t->p = m;
			t->cap = size;
			t->file = true;
			t->next = kt->texts;
			kt->texts = t;
			*bufp = m;
			*lenp = size;
			goto out;
		}
		free(t);
	}
	cap = size + 1;
	if ((buf = text_new(kt, cap)) == NULL) {
		r = rkmp_err_set(RKMP_E_NOMEM, path, "%zu octets", cap);
		goto out;
	}
	for (;;) {
		if (len == cap) {
			/* it grew: only a writer that does not lock does that */
			r = rkmp_err_set(RKMP_E_STATE, path, "changed while read");
			goto out;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = rkmp_err_set(RKMP_E_SYSTEM, path, "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
out:
	close(fd);
	return r;
}

int
rkmp_keytable_save(const char *path, const struct rkmp_keytable *kt)
{
	struct rkmp_buf b;
	int r;

	rkmp_buf_init(&b, RKMP_KEYTABLE_FILE_MAX);
	if ((r = table_doc(kt, &b)) != 0) {
		char d[400];

		snprintf(d, sizeof(d), "%s", rkmp_err_detail());
		r = rkmp_err_set(r, path, "%s", d);
	} else
		r = rkmp_file_replace(path, b.p, b.len);
	rkmp_buf_free(&b);
	return r;
}

int
rkmp_keytable_load(const char *path, struct rkmp_keytable **out)
{
	struct rkmp_keytable *kt = rkmp_keytable_new();
	const char *buf;
	size_t len;
	bool missing;
	int r;

	*out = NULL;
	if (kt == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	if ((r = kt_read(path, kt, &buf, &len, &missing)) != 0 ||
	    (r = parse_doc(kt, path, buf, len)) != 0) {
		rkmp_keytable_free(kt);
		return r;
	}
	*out = kt;
	return 0;
}

int
rkmp_keytable_update(const char *path, bool create,
    int (*fn)(struct rkmp_keytable *kt, void *arg), void *arg)
{
	struct rkmp_keytable *kt = NULL;
	const char *buf = NULL;
	size_t len = 0;
	bool missing;
	int fd = -1, r, ret;

	if ((r = rkmp_file_lock(path, "a key-table writer", -1, &fd)) != 0)
		return r;
	if ((kt = rkmp_keytable_new()) == NULL) {
		r = rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
		goto out;
	}
	if ((r = kt_read(path, kt, &buf, &len, &missing)) != 0) {
		if (!(missing && create))
			goto out;
		rkmp_err_clear();
	} else if ((r = parse_doc(kt, path, buf, len)) != 0)
		goto out;
	if ((ret = fn(kt, arg)) < 0) {
		r = ret;
		goto out;
	}
	if (ret > 0) {
		(void)rkmp_file_sweep(path);
		if ((r = rkmp_keytable_save(path, kt)) != 0)
			goto out;
	}
	r = ret;
out:
	rkmp_keytable_free(kt);
	rkmp_file_unlock(fd);
	return r;
}

/* ================================================================ operations */

static int
copy_strs(struct rkmp_arena *a, const char *const *src, size_t n, const char *const **dst)
{
	const char **v = rkmp_arena_alloc(a, (n ? n : 1) * sizeof(char *));

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((v[i] = rkmp_arena_strdup(a, src[i])) == NULL)
			return -1;
	*dst = v;
	return 0;
}

/* Free-form JSON as the reader stores it: minified (members only: no braces). */
static int
minify(struct rkmp_arena *a, const char *text, bool members, const char **out)
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

static int
copy_row(struct rkmp_arena *a, const struct rkmp_keytable_row *s, struct rkmp_keytable_row *d)
{
	uint8_t *key;

	*d = *s;
	if ((d->admin_name = rkmp_arena_strdup(a, s->admin_name)) == NULL ||
	    (d->local_name = rkmp_arena_strdup(a, s->local_name)) == NULL ||
	    (d->peer_name = rkmp_arena_strdup(a, s->peer_name)) == NULL ||
	    copy_strs(a, s->peers, s->npeers, &d->peers) != 0 ||
	    copy_strs(a, s->interfaces, s->ninterfaces, &d->interfaces) != 0 ||
	    minify(a, s->psi, false, &d->psi) != 0 ||
	    (d->kdf = rkmp_arena_strdup(a, s->kdf)) == NULL ||
	    (d->alg_id = rkmp_arena_strdup(a, s->alg_id)) == NULL ||
	    (key = rkmp_arena_alloc(a, s->key_len)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	memcpy(key, s->key, s->key_len);
	d->key = key;
	if (s->x.present && ((s->x.child_spi_local &&
	    !(d->x.child_spi_local = rkmp_arena_strdup(a, s->x.child_spi_local))) ||
	    (s->x.child_spi_peer && !(d->x.child_spi_peer = rkmp_arena_strdup(a, s->x.child_spi_peer))) ||
	    (s->x.rkmp_sa && !(d->x.rkmp_sa = rkmp_arena_strdup(a, s->x.rkmp_sa))) ||
	    (s->x.role && !(d->x.role = rkmp_arena_strdup(a, s->x.role))) ||
	    (s->x.state && !(d->x.state = rkmp_arena_strdup(a, s->x.state))) ||
	    (s->x.extra && minify(a, s->x.extra, true, &d->x.extra) != 0)))
		return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	return 0;
}

/* A candidate row's matching data without copying it (for the duplicate check). */
static void
entry_view(const struct rkmp_keytable_row *r, struct paddr *pa, const char **gn,
    struct entry *e)
{
	memset(e, 0, sizeof(*e));
	e->protocol = r->protocol;
	e->npeers = r->npeers;
	e->paddr = pa;
	e->gname = gn;
	for (size_t i = 0; i < r->npeers; i++) {
		paddr_parse(r->peers[i], &pa[i]);
		gn[i] = pa[i].af == 0 ? r->peers[i] : NULL;
	}
	if (!rkmp_keytable_spi_parse(r->local_name, &e->local_id))
		e->local_id = 0;
}

int
rkmp_keytable_insert(struct rkmp_keytable *kt, const struct rkmp_keytable_row *row)
{
	struct paddr pa[KT_SET_MAX];
	const char *gn[KT_SET_MAX];
	struct rkmp_keytable_row *copy;
	struct entry cand, *e;
	char b[80], c[80];
	int r;

	if ((r = validate_in(row, SIZE_MAX, "", false)) != 0)
		return r;
	entry_view(row, pa, gn, &cand);
	for (size_t i = 0; i < kt->n; i++) {
		long p = entries_clash(&cand, &kt->v[i]);

		if (p >= 0) {
			const struct rkmp_keytable_row *o = entry_row(kt, i);

			return rkmp_err_set(RKMP_E_REFUSED, "insert", "%s, peer %s, LocalKeyName %s: "
			    "row %zu %s has them already", rkmp_keytable_protocol_name(row->protocol),
			    q(row->peers[p], b, sizeof(b)), row->local_name, i,
			    q(o ? o->admin_name : "?", c, sizeof(c)));
		}
	}
	if ((copy = rkmp_arena_alloc(&kt->arena, sizeof(*copy))) == NULL ||
	    (r = copy_row(&kt->arena, row, copy)) != 0)
		return copy == NULL ? rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory") : r;
	if ((e = table_append(kt)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "key table", "out of memory");
	if ((r = entry_set(kt, e, copy)) != 0) {
		kt->n--;
		return r;
	}
	e->row = copy;
	return 0;
}

int
rkmp_keytable_insert_all(struct rkmp_keytable *kt, const struct rkmp_keytable *rows)
{
	size_t n0 = kt->n, other = 0, p = 0, nr = rkmp_keytable_count(rows);
	char b[80], c[80];
	long i;
	int r;

	if (nr == 1)
		return rkmp_keytable_insert(kt, rkmp_keytable_at(rows, 0));
	/* append them all, then one hash pass finds a clash with the table or each other */
	for (size_t k = 0; k < nr; k++) {
		const struct rkmp_keytable_row *row = rkmp_keytable_at(rows, k);
		struct rkmp_keytable_row *copy;
		struct entry *e;

		if (row == NULL)
			r = rkmp_err_set(RKMP_E_NOMEM, "insert", "out of memory");
		else if ((r = validate_in(row, k, "insert", false)) == 0) {
			if ((copy = rkmp_arena_alloc(&kt->arena, sizeof(*copy))) == NULL ||
			    (e = table_append(kt)) == NULL)
				r = rkmp_err_set(RKMP_E_NOMEM, "insert", "out of memory");
			else if ((r = copy_row(&kt->arena, row, copy)) == 0 &&
			    (r = entry_set(kt, e, copy)) == 0)
				e->row = copy;
			else
				kt->n--;
		}
		if (r != 0) {
			kt->n = n0;
			return r;
		}
	}
	if ((i = find_dup(kt, &other, &p)) == -1)
		return 0;
	if (i == -2) {
		kt->n = n0;
		return rkmp_err_set(RKMP_E_NOMEM, "insert", "out of memory");
	}
	{
		const struct rkmp_keytable_row *nrow = entry_row(kt, (size_t)i);
		const struct rkmp_keytable_row *orow = entry_row(kt, other);

		if (other < n0)
			r = rkmp_err_set(RKMP_E_REFUSED, "insert", "row %zu of the input: %s, peer %s, "
			    "LocalKeyName %s: row %zu %s has them already", (size_t)i - n0,
			    rkmp_keytable_protocol_name(nrow->protocol), q(nrow->peers[p], b, sizeof(b)),
			    nrow->local_name, other, q(orow->admin_name, c, sizeof(c)));
		else
			r = rkmp_err_set(RKMP_E_REFUSED, "insert", "row %zu of the input: %s, peer %s, "
			    "LocalKeyName %s: as row %zu of the input", (size_t)i - n0,
			    rkmp_keytable_protocol_name(nrow->protocol), q(nrow->peers[p], b, sizeof(b)),
			    nrow->local_name, other - n0);
	}
	kt->n = n0;
	return r;
}

static bool
entry_match(const struct entry *e, uint8_t proto, const struct paddr *p, const char *peer,
    uint64_t spi)
{
	return e->protocol == proto && (spi == 0 || e->local_id == spi) &&
	    entry_has_peer(e, p, peer);
}

long
rkmp_keytable_get(const struct rkmp_keytable *kt, size_t from, uint8_t proto, const char *peer,
    uint64_t spi)
{
	struct paddr p;

	paddr_parse(peer, &p);
	for (size_t i = from; i < kt->n; i++)
		if (entry_match(&kt->v[i], proto, &p, peer, spi))
			return (long)i;
	return -1;
}

/* Remove entry i, telling cb first. */
static void
remove_at(struct rkmp_keytable *kt, size_t i, rkmp_keytable_removed_fn cb, void *arg)
{
	if (cb != NULL) {
		const struct rkmp_keytable_row *r = entry_row(kt, i);

		if (r != NULL)
			cb(r, arg);
	}
	table_remove(kt, i);
}

int
rkmp_keytable_delete(struct rkmp_keytable *kt, uint8_t proto, const char *peer, uint64_t spi,
    size_t *removed, rkmp_keytable_removed_fn cb, void *arg)
{
	struct paddr p;
	size_t n = 0;

	paddr_parse(peer, &p);
	for (size_t i = 0; i < kt->n;) {
		if (!entry_match(&kt->v[i], proto, &p, peer, spi)) {
			i++;
			continue;
		}
		remove_at(kt, i, cb, arg);
		n++;
	}
	if (removed != NULL)
		*removed = n;
	if (n == 0) {
		if (spi == 0)
			return rkmp_err_set(RKMP_E_REFUSED, "delete", "no %s row for peer %s",
			    rkmp_keytable_protocol_name(proto), peer);
		return rkmp_err_set(RKMP_E_REFUSED, "delete", "no %s row for peer %s with "
		    "LocalKeyName %" PRIx64, rkmp_keytable_protocol_name(proto), peer, spi);
	}
	return 0;
}

int
rkmp_keytable_rekey(struct rkmp_keytable *kt, uint8_t proto, const char *peer, uint64_t old_spi,
    const struct rkmp_keytable_row *new_row, uint32_t grace, size_t *old_index)
{
	struct paddr p;
	struct rkmp_keytable_row *o;
	struct entry *oe;
	long oi;
	int64_t se, ae;
	int r;

	if (old_spi == 0)
		return rkmp_err_set(RKMP_E_USAGE, "rekey", "the old SPI must not be 0");
	if (new_row->protocol != proto)
		return rkmp_err_set(RKMP_E_USAGE, "rekey", "the new row is %s, not %s",
		    rkmp_keytable_protocol_name(new_row->protocol) ?
		    rkmp_keytable_protocol_name(new_row->protocol) : "of an unknown protocol",
		    rkmp_keytable_protocol_name(proto));
	if ((r = validate_in(new_row, SIZE_MAX, "", false)) != 0)
		return r;
	paddr_parse(peer, &p);
	{
		struct paddr pa[KT_SET_MAX];
		const char *gn[KT_SET_MAX];
		struct entry view;

		entry_view(new_row, pa, gn, &view);
		if (!entry_has_peer(&view, &p, peer))
			return rkmp_err_set(RKMP_E_USAGE, "rekey", "the new row's Peers do not "
			    "include %s", peer);
	}
	if ((oi = rkmp_keytable_get(kt, 0, proto, peer, old_spi)) < 0)
		return rkmp_err_set(RKMP_E_REFUSED, "rekey", "no %s row for peer %s with "
		    "LocalKeyName %" PRIx64 " to rekey", rkmp_keytable_protocol_name(proto), peer,
		    old_spi);
	if ((o = entry_row(kt, (size_t)oi)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "rekey", "out of memory");
	if ((r = rkmp_keytable_insert(kt, new_row)) != 0)
		return r;
	/* RFC 7210 §6, rkmp-karp.md §9 step 3 */
	se = new_row->send_start;
	if (se < o->send_start)
		se = o->send_start;
	if (se < o->send_end)
		o->send_end = se;
	ae = o->send_end + (int64_t)grace;
	if (ae < o->accept_start)
		ae = o->accept_start;
	if (ae < o->accept_end)
		o->accept_end = ae;
	if (o->x.present)
		o->x.state = "rekeyed";
	oe = &kt->v[oi];
	oe->se = o->send_end;
	oe->ae = o->accept_end;
	oe->raw = NULL;		/* changed: written from the row */
	if (old_index != NULL)
		*old_index = (size_t)oi;
	return 0;
}

static bool
iface_ok(const struct rkmp_keytable *kt, size_t i, const char *iface)
{
	const struct rkmp_keytable_row *r;

	if (iface == NULL || kt->v[i].iface_all)
		return true;
	if ((r = rkmp_keytable_at(kt, i)) == NULL)
		return false;
	for (size_t k = 0; k < r->ninterfaces; k++)
		if (strcmp(r->interfaces[k], "all") == 0 || strcmp(r->interfaces[k], iface) == 0)
			return true;
	return false;
}

static int
alg_rank(const struct entry *e, const struct rkmp_keytable_query *q)
{
	const struct alg_rule *ar;

	if (q->prefer != NULL) {
		for (size_t i = 0; i < q->nprefer; i++)
			if (strcmp(q->prefer[i], e->alg) == 0)
				return (int)(q->nprefer - i);
		return 0;
	}
	ar = alg_rule(e->protocol, e->alg);
	return ar != NULL ? ar->pref : 0;
}

int
rkmp_keytable_select(const struct rkmp_keytable *kt, const struct rkmp_keytable_query *q,
    size_t *index)
{
	struct paddr p;
	long best = -1;
	int best_rank = 0;

	paddr_parse(q->peer, &p);
	for (size_t i = 0; i < kt->n; i++) {
		const struct entry *e = &kt->v[i], *b;
		int rank;

		if (e->protocol != q->protocol ||
		    (e->dir != RKMP_KEYTABLE_OUT && e->dir != RKMP_KEYTABLE_BOTH) ||
		    q->now < e->ss || q->now > e->se || !entry_has_peer(e, &p, q->peer) ||
		    !iface_ok(kt, i, q->interface))
			continue;
		rank = alg_rank(e, q);
		if (best >= 0) {
			b = &kt->v[best];
			if (rank < best_rank || (rank == best_rank && (e->ss < b->ss ||
			    (e->ss == b->ss && e->as < b->as))))
				continue;
		}
		best = (long)i;
		best_rank = rank;
	}
	if (best < 0)
		return rkmp_err_set(RKMP_E_REFUSED, "select", "no key to send %s to %s%s%s",
		    rkmp_keytable_protocol_name(q->protocol), q->peer,
		    q->interface ? " on " : "", q->interface ? q->interface : "");
	*index = (size_t)best;
	return 0;
}

int
rkmp_keytable_lookup(const struct rkmp_keytable *kt, const struct rkmp_keytable_query *q,
    size_t *index)
{
	struct paddr p;
	uint64_t name;
	long found = -1;

	if (q->key_name == NULL || !rkmp_keytable_spi_parse(q->key_name, &name))
		return rkmp_err_set(RKMP_E_USAGE, "lookup", "key name '%s': not 1 to 16 hex digits",
		    q->key_name ? q->key_name : "");
	paddr_parse(q->peer, &p);
	for (size_t i = 0; i < kt->n; i++) {
		const struct entry *e = &kt->v[i];

		if (e->protocol != q->protocol || e->local_id != name ||
		    (e->dir != RKMP_KEYTABLE_IN && e->dir != RKMP_KEYTABLE_BOTH) ||
		    q->now < e->as || q->now > e->ae || !entry_has_peer(e, &p, q->peer) ||
		    !iface_ok(kt, i, q->interface))
			continue;
		if (found >= 0)
			return rkmp_err_set(RKMP_E_STATE, "lookup", "rows %ld and %zu both match "
			    "(RFC 7210 §3: exactly one may)", found, i);
		found = (long)i;
	}
	if (found < 0)
		return rkmp_err_set(RKMP_E_REFUSED, "lookup", "no key named %s from %s for %s%s%s",
		    q->key_name, q->peer, rkmp_keytable_protocol_name(q->protocol),
		    q->interface ? " on " : "", q->interface ? q->interface : "");
	*index = (size_t)found;
	return 0;
}

size_t
rkmp_keytable_expire(struct rkmp_keytable *kt, int64_t now, rkmp_keytable_removed_fn cb,
    void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < kt->n;) {
		if (kt->v[i].ae >= now) {
			i++;
			continue;
		}
		remove_at(kt, i, cb, arg);
		n++;
	}
	return n;
}

size_t
rkmp_keytable_revoke(struct rkmp_keytable *kt, uint64_t spi_i, uint64_t spi_r,
    rkmp_keytable_removed_fn cb, void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < kt->n;) {
		const struct entry *e = &kt->v[i];

		if (!e->has_sa || e->sa_i != spi_i || e->sa_r != spi_r) {
			i++;
			continue;
		}
		remove_at(kt, i, cb, arg);
		n++;
	}
	return n;
}

long
rkmp_keytable_find_child(const struct rkmp_keytable *kt, uint64_t spi_i, uint64_t spi_r,
    uint8_t proto, const char *child_spi_local)
{
	for (size_t i = 0; i < kt->n; i++) {
		const struct entry *e = &kt->v[i];
		const struct rkmp_keytable_row *row;

		if (!e->has_sa || e->sa_i != spi_i || e->sa_r != spi_r ||
		    (proto != 0 && e->protocol != proto))
			continue;
		if (child_spi_local == NULL)
			return (long)i;
		if ((row = rkmp_keytable_at(kt, i)) != NULL && row->x.child_spi_local != NULL &&
		    strcmp(row->x.child_spi_local, child_spi_local) == 0)
			return (long)i;
	}
	return -1;
}

size_t
rkmp_keytable_relink(struct rkmp_keytable *kt, uint64_t old_i, uint64_t old_r, uint64_t new_i,
    uint64_t new_r, const char *role)
{
	char link[40];
	const char *s = NULL;
	size_t n = 0;

	snprintf(link, sizeof(link), "%016" PRIx64 ":%016" PRIx64, new_i, new_r);
	for (size_t i = 0; i < kt->n; i++) {
		struct entry *e = &kt->v[i];
		struct rkmp_keytable_row *row;

		if (!e->has_sa || e->sa_i != old_i || e->sa_r != old_r)
			continue;
		if ((row = entry_row(kt, i)) == NULL ||
		    (s == NULL && (s = rkmp_arena_strdup(&kt->arena, link)) == NULL))
			return SIZE_MAX;
		row->x.rkmp_sa = s;
		if (role != NULL)
			row->x.role = strcmp(role, "initiator") == 0 ? "initiator" : "responder";
		e->sa_i = new_i;
		e->sa_r = new_r;
		e->raw = NULL;		/* changed: written from the row */
		n++;
	}
	return n;
}

const char *
rkmp_keytable_row_state(const struct rkmp_keytable_row *r, int64_t now)
{
	bool out = r->direction == RKMP_KEYTABLE_OUT || r->direction == RKMP_KEYTABLE_BOTH;
	bool in = r->direction == RKMP_KEYTABLE_IN || r->direction == RKMP_KEYTABLE_BOTH;
	bool send = out && now >= r->send_start && now <= r->send_end;
	bool acc = in && now >= r->accept_start && now <= r->accept_end;

	if (r->direction == RKMP_KEYTABLE_DISABLED)
		return "disabled";
	if ((send || !out) && (acc || !in))
		return "active";
	if (acc)
		return "accept-only";
	if (send)
		return "send-only";
	if ((!out || now < r->send_start) && (!in || now < r->accept_start))
		return "pending";
	return "expired";
}

/* ================================================================ on a file */

static int
fn_insert(struct rkmp_keytable *kt, void *arg)
{
	int r = rkmp_keytable_insert(kt, arg);

	return r != 0 ? r : 1;
}

int
rkmp_keytable_insert_sa(const char *path, const struct rkmp_keytable_row *row)
{
	int r = rkmp_keytable_update(path, true, fn_insert, (void *)(uintptr_t)row);

	return r < 0 ? r : 0;
}

int
rkmp_keytable_get_sa(const char *path, uint8_t proto, const char *peer, uint64_t spi,
    struct rkmp_keytable **out)
{
	struct rkmp_keytable *kt, *res;
	int r;

	*out = NULL;
	if ((r = rkmp_keytable_load(path, &kt)) != 0)
		return r;
	if ((res = rkmp_keytable_new()) == NULL) {
		rkmp_keytable_free(kt);
		return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	}
	for (long i = 0; (i = rkmp_keytable_get(kt, (size_t)i, proto, peer, spi)) >= 0; i++)
		if ((r = rkmp_keytable_insert(res, rkmp_keytable_at(kt, (size_t)i))) != 0)
			break;
	rkmp_keytable_free(kt);
	if (r == 0 && res->n == 0)
		r = rkmp_err_set(RKMP_E_REFUSED, path, "no %s row for peer %s",
		    rkmp_keytable_protocol_name(proto), peer);
	if (r != 0) {
		rkmp_keytable_free(res);
		return r;
	}
	*out = res;
	return 0;
}

struct del_arg {
	uint8_t		 proto;
	const char	*peer;
	uint64_t	 spi;
	size_t		 removed;
	const struct rkmp_keytable_row *row;
	uint32_t	 grace;
};

static int
fn_delete(struct rkmp_keytable *kt, void *arg)
{
	struct del_arg *d = arg;
	int r = rkmp_keytable_delete(kt, d->proto, d->peer, d->spi, &d->removed, NULL, NULL);

	return r != 0 ? r : 1;
}

int
rkmp_keytable_delete_sa(const char *path, uint8_t proto, const char *peer, uint64_t spi,
    size_t *removed)
{
	struct del_arg d = { proto, peer, spi, 0, NULL, 0 };
	int r = rkmp_keytable_update(path, false, fn_delete, &d);

	if (removed != NULL)
		*removed = d.removed;
	return r < 0 ? r : 0;
}

static int
fn_rekey(struct rkmp_keytable *kt, void *arg)
{
	struct del_arg *d = arg;
	int r = rkmp_keytable_rekey(kt, d->proto, d->peer, d->spi, d->row, d->grace, NULL);

	return r != 0 ? r : 1;
}

int
rkmp_keytable_rekey_sa(const char *path, uint8_t proto, const char *peer, uint64_t old_spi,
    const struct rkmp_keytable_row *new_row, uint32_t grace)
{
	struct del_arg d = { proto, peer, old_spi, 0, new_row, grace };
	int r = rkmp_keytable_update(path, false, fn_rekey, &d);

	return r < 0 ? r : 0;
}

struct revoke_arg {
	uint64_t	 spi_i, spi_r;
	size_t		 removed;
};

static int
fn_revoke(struct rkmp_keytable *kt, void *arg)
{
	struct revoke_arg *a = arg;

	a->removed = rkmp_keytable_revoke(kt, a->spi_i, a->spi_r, NULL, NULL);
	return a->removed > 0;
}

int
rkmp_keytable_revoke_sa(const char *path, uint64_t spi_i, uint64_t spi_r, size_t *removed)
{
	struct revoke_arg a = { spi_i, spi_r, 0 };
	int r = rkmp_keytable_update(path, false, fn_revoke, &a);

	if (removed != NULL)
		*removed = a.removed;
	return r < 0 ? r : 0;
}

/* ================================================================ rows from child SAs */

void
rkmp_keytable_child_defaults(struct rkmp_keytable_child_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->send_delay = RKMP_KEYTABLE_SEND_DELAY;
	cfg->grace = RKMP_KEYTABLE_GRACE;
	cfg->lifetime = RKMP_KEYTABLE_LIFETIME;
	cfg->serial = 1;
}

static int
child_transform(const struct rkmp_sa_child *ch, uint16_t type)
{
	for (size_t i = 0; i < ch->ntransforms && i < 8; i++)
		if (ch->transforms[i][0] == type)
			return ch->transforms[i][1];
	return -1;
}


const char *
rkmp_keytable_child_name(const struct rkmp_sa_child *ch, bool local,
    char out[2 * RKMP_SA_SPI_MAX + 1])
{
	size_t n = ch->spi_size > RKMP_SA_SPI_MAX ? RKMP_SA_SPI_MAX : ch->spi_size;

	/* TCP-AO, BFD, RSVP-TE: the SPI is its sender's ID, so we receive under
	 * the peer's (rkmp-karp.md §5.1, §12.3); ESP as IPsec: our inbound SPI */
	rkmp_hex_encode((ch->protocol == RKMP_PROTO_ESP) == local ? ch->spi_local : ch->spi_peer, n, out);
	return out;
}

int
rkmp_keytable_add_child(struct rkmp_keytable *kt, const struct rkmp_sa *sa,
    const struct rkmp_sa_child *ch, const struct rkmp_keytable_child_cfg *cfg, size_t *index)
{
	struct rkmp_keytable_row row;
	char local_spi[2 * RKMP_SA_SPI_MAX + 1], peer_spi[2 * RKMP_SA_SPI_MAX + 1];
	char admin[512], psi[512], rkmp_sa[40], alg[64];
	const char *peers[1] = { cfg->peer };
	const char *ifaces[1] = { cfg->interface ? cfg->interface : "all" };
	uint8_t key[RKMP_KEYTABLE_KEY_MAX];
	const char *pname = rkmp_keytable_protocol_name(ch->protocol);
	int integ = child_transform(ch, RKMP_TRANS_INTEG), r;

	if (pname == NULL)
		return rkmp_err_set(RKMP_E_USAGE, "child SA", "protocol %u has no key table rows",
		    ch->protocol);
	if (ch->state != RKMP_CHILD_ESTABLISHED)
		return rkmp_err_set(RKMP_E_STATE, "child SA", "state \"%s\", not established",
		    rkmp_child_state_name(ch->state));
	if (cfg->peer == NULL || !rkmp_keytable_peer_ok(cfg->peer))
		return rkmp_err_set(RKMP_E_USAGE, "child SA", "peer address '%s'",
		    cfg->peer ? cfg->peer : "");
	if (ch->spi_size == 0 || ch->spi_size > RKMP_SA_SPI_MAX || ch->keymat_len == 0 ||
	    ch->keymat_len > sizeof(ch->keymat))
		return rkmp_err_set(RKMP_E_STATE, "child SA", "SPI size %u, KEYMAT %zu octets",
		    ch->spi_size, ch->keymat_len);
	rkmp_hex_encode(ch->spi_local, ch->spi_size, local_spi);
	rkmp_hex_encode(ch->spi_peer, ch->spi_size, peer_spi);
	memset(&row, 0, sizeof(row));
	row.protocol = ch->protocol;
	row.peers = peers;
	row.npeers = 1;
	row.interfaces = ifaces;
	row.ninterfaces = 1;
	row.direction = RKMP_KEYTABLE_BOTH;
	row.key = key;
	/* key names: TCP-AO, BFD and RSVP-TE SPIs are the sender's ID (rkmp-karp.md §5.1) */
	row.local_name = peer_spi;
	row.peer_name = local_spi;
	switch (ch->protocol) {
	case RKMP_PROTO_TCP_AO: {
		int opt = child_transform(ch, RKMP_TRANS_TCP_OPTIONS);
		const char *flag = opt == 0 ? "exclude" : "include";
		bool v6 = strchr(cfg->peer, ':') != NULL;

		if (integ == 2)
			row.kdf = "HMAC-SHA-1", row.alg_id = "HMAC-SHA-1-96";
		else if (integ == 8)
			row.kdf = "AES-128-CMAC", row.alg_id = "AES-128-CMAC-96";
		else
			return rkmp_err_set(RKMP_E_CRYPTO, "child SA", "TCP-AO with INTEG %d: no "
			    "RFC 5926 MAC", integ);
		snprintf(psi, sizeof(psi), "{\"send\": {\"tcp_option_flag\": \"%s\"}, \"recv\": "
		    "{\"tcp_option_flag\": \"%s\"}, \"conn_id\": {\"peer_prefix\": \"%s/%d\", "
		    "\"local_port\": \"*\", \"remote_port\": \"*\"}}", flag, flag, cfg->peer,
		    v6 ? 128 : 32);
		break;
	}
	case RKMP_PROTO_BFD: {
		static const char *const modes[] = { "base", "base-meticulous", "generic",
		    "generic-meticulous" };
		int mode = child_transform(ch, RKMP_TRANS_BFD_AUTH);
		int auth_type = 0;

		if (mode < 0)
			mode = 0;
		if (mode > 3)
			return rkmp_err_set(RKMP_E_CRYPTO, "child SA", "BFD auth mode %d", mode);
		row.kdf = "none";
		if (mode <= 1 && integ == 1) {
			row.alg_id = mode ? "BFD-METICULOUS-KEYED-MD5" : "BFD-KEYED-MD5";
			auth_type = mode ? 3 : 2;
		} else if (mode <= 1 && integ == 2) {
			row.alg_id = mode ? "BFD-METICULOUS-KEYED-SHA1" : "BFD-KEYED-SHA1";
			auth_type = mode ? 5 : 4;
		} else if (mode >= 2 && integ == 12)
			row.alg_id = mode == 3 ? "BFD-GENERIC-METICULOUS-HMAC-SHA-256" :
			    "BFD-GENERIC-HMAC-SHA-256";
		else
			return rkmp_err_set(RKMP_E_CRYPTO, "child SA", "BFD auth mode %s with INTEG %d",
			    modes[mode], integ);
		if (auth_type)
			snprintf(psi, sizeof(psi), "{\"auth_mode\": \"%s\", \"auth_type\": %d}",
			    modes[mode], auth_type);
		else
			snprintf(psi, sizeof(psi), "{\"auth_mode\": \"%s\"}", modes[mode]);
		break;
	}
	case RKMP_PROTO_TCP_MD5:
		/* RFC 2385: one key per peer address, both directions, no options */
		row.kdf = "none";
		row.alg_id = "TCP-MD5";
		snprintf(psi, sizeof(psi), "{\"conn_id\": {\"peer_prefix\": \"%s/%d\"}}",
		    cfg->peer, strchr(cfg->peer, ':') != NULL ? 128 : 32);
		break;
	case RKMP_PROTO_RSVP_TE:
		row.kdf = "none";
		row.alg_id = "HMAC-MD5";
		snprintf(psi, sizeof(psi), "{\"integrity_handshake\": \"%s\"}",
		    child_transform(ch, RKMP_TRANS_RSVP_HS) == 1 ? "allowed" : "not-allowed");
		break;
	default: {	/* ESP, the ikev2 profile's children: IPsec SPIs, four keys */
		int encr = child_transform(ch, RKMP_TRANS_ENCR);
		const struct rkmp_encr_alg *et, *e = NULL;
		const struct rkmp_integ_alg *in = NULL;
		size_t n, half = ch->keymat_len / 2, ei;

		if (integ > 0 && (in = rkmp_crypto_integ_lookup((uint16_t)integ)) == NULL)
			return RKMP_E_CRYPTO;
		et = rkmp_crypto_encr_table(&n);
		for (size_t i = 0; i < n; i++)
			if (et[i].id == encr && et[i].key_len + et[i].salt_len +
			    (in ? in->key_len : 0) == half && (in == NULL) == (et[i].aead != 0))
				e = &et[i];
		if (e == NULL || ch->keymat_len % 2 != 0)
			return rkmp_err_set(RKMP_E_CRYPTO, "child SA", "ESP ENCR %d INTEG %d with "
			    "KEYMAT %zu octets", encr, integ, ch->keymat_len);
		snprintf(alg, sizeof(alg), "%s%s%s", e->keyword, in ? "-" : "", in ? in->keyword : "");
		row.kdf = "none";
		row.alg_id = alg;
		row.local_name = local_spi;
		row.peer_name = peer_spi;
		/* KEYMAT = initiator-to-responder keys, then responder-to-initiator (§2.17) */
		ei = sa->initiator ? 0 : half;
		memcpy(key, ch->keymat + ei, half);
		memcpy(key + half, ch->keymat + (half - ei), half);
		row.key_len = 2 * half;
		if (cfg->local != NULL)
			snprintf(psi, sizeof(psi), "{\"local\": \"%s\"}", cfg->local);
		else
			snprintf(psi, sizeof(psi), "{}");
		break;
	}
	}
	if (ch->protocol != RKMP_PROTO_ESP) {
		if (ch->keymat_len > sizeof(key))
			return rkmp_err_set(RKMP_E_STATE, "child SA", "KEYMAT %zu octets", ch->keymat_len);
		memcpy(key, ch->keymat, ch->keymat_len);
		row.key_len = ch->keymat_len;
	}
	row.psi = psi;
	snprintf(admin, sizeof(admin), "rkmp/%s/%s/%s-%s/%04u", pname, cfg->peer,
	    sa->initiator ? local_spi : peer_spi, sa->initiator ? peer_spi : local_spi, cfg->serial);
	row.admin_name = admin;
	/* rkmp-karp.md §9: accept from T, send from T + δ, to T + hard, accept G longer */
	row.accept_start = cfg->now;
	/* one key for both directions (TCP-MD5): nothing to stagger, it is sent from T */
	row.send_start = cfg->now + (rkmp_protocol_by_id(ch->protocol)->one_key ? 0 :
	    cfg->send_delay);
	row.send_end = cfg->now + cfg->lifetime;
	if (row.send_end < row.send_start)
		row.send_end = row.send_start;
	row.accept_end = row.send_end + cfg->grace;
	snprintf(rkmp_sa, sizeof(rkmp_sa), "%016" PRIx64 ":%016" PRIx64, sa->spi_i, sa->spi_r);
	row.x.present = true;
	row.x.proto_id = ch->protocol;
	row.x.child_spi_local = local_spi;
	row.x.child_spi_peer = peer_spi;
	row.x.rkmp_sa = rkmp_sa;
	row.x.role = sa->initiator ? "initiator" : "responder";
	row.x.state = cfg->state ? cfg->state : "active";
	if (cfg->replaces == NULL)
		r = rkmp_keytable_insert(kt, &row);
	else {
		char oname[2 * RKMP_SA_SPI_MAX + 1];
		uint64_t old_id;

		if (cfg->replaces->protocol != ch->protocol ||
		    !rkmp_keytable_spi_parse(rkmp_keytable_child_name(cfg->replaces, true, oname),
		    &old_id))
			r = rkmp_err_set(RKMP_E_USAGE, "child SA", "a %s child cannot replace a %s one",
			    pname, rkmp_keytable_protocol_name(cfg->replaces->protocol) ?
			    rkmp_keytable_protocol_name(cfg->replaces->protocol) : "?");
		else
			r = rkmp_keytable_rekey(kt, ch->protocol, cfg->peer, old_id, &row, cfg->grace,
			    NULL);
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (r == 0 && index != NULL)
		*index = kt->n - 1;
	return r;
}

/* ================================================================ exports */

/* One (row, peer) of the export, in (protocol, peer, row) order. */
struct xitem {
	uint8_t		 proto;
	char		 peer[INET6_ADDRSTRLEN + 72];
	size_t		 row, pi;
};

static int
xitem_cmp(const void *a, const void *b)
{
	const struct xitem *x = a, *y = b;
	int c;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if ((c = strcmp(x->peer, y->peer)) != 0)
		return c;
	return x->row < y->row ? -1 : x->row > y->row;
}

static int
export_items(const struct rkmp_keytable *kt, uint8_t proto, const char *peer, bool esp,
    struct xitem **out, size_t *n)
{
	struct paddr fp;
	struct xitem *v;
	size_t k = 0, total = 0;

	if (peer != NULL)
		paddr_parse(peer, &fp);
	for (size_t i = 0; i < kt->n; i++)
		total += kt->v[i].npeers;
	if ((v = calloc(total ? total : 1, sizeof(*v))) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "export", "out of memory");
	for (size_t i = 0; i < kt->n; i++) {
		const struct entry *e = &kt->v[i];

		if ((proto != 0 && e->protocol != proto) || (e->protocol == RKMP_PROTO_ESP) != esp)
			continue;
		for (size_t p = 0; p < e->npeers; p++) {
			if (peer != NULL && !entry_peer_eq(e, p, &fp, peer))
				continue;
			v[k].proto = e->protocol;
			v[k].row = i;
			v[k].pi = p;
			if (e->paddr[p].af == 0 ||
			    inet_ntop(e->paddr[p].af, e->paddr[p].a, v[k].peer, sizeof(v[k].peer)) == NULL)
				snprintf(v[k].peer, sizeof(v[k].peer), "%s", e->gname[p]);
			k++;
		}
	}
	qsort(v, k, sizeof(*v), xitem_cmp);
	*out = v;
	*n = k;
	return 0;
}

static const char *const month_names[] = { "January", "February", "March", "April", "May",
	"June", "July", "August", "September", "October", "November", "December" };

static bool
local_tm(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	if ((int64_t)tt != t)
		return false;
	return localtime_r(&tt, tm) != NULL;
}

static void
tz_comment(struct rkmp_buf *b, const char *c)
{
	struct tm tm;
	char z[64] = "";
	time_t now = time(NULL);

	if (localtime_r(&now, &tm) != NULL)
		strftime(z, sizeof(z), "%Z (UTC%z)", &tm);
	put_fmt(b, "%s times are in the local time zone of the export, %s: the router must "
	    "use the same\n", c, z);
}


/* FRR: "HH:MM:SS D Month YYYY"; years 1993 to 2035 only (lib/keychain.c). */
static bool
frr_time(int64_t t, char *out, size_t n)
{
	struct tm tm;

	if (!local_tm(t, &tm) || tm.tm_year + 1900 < 1993 || tm.tm_year + 1900 > 2035)
		return false;
	snprintf(out, n, "%02d:%02d:%02d %d %s %d", tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_mday,
	    month_names[tm.tm_mon], tm.tm_year + 1900);
	return true;
}

static void
frr_lifetime(struct rkmp_buf *b, const char *what, int64_t s, int64_t e)
{
	char ts[64], te[64];

	frr_time(s, ts, sizeof(ts));
	if (frr_time(e, te, sizeof(te)))
		put_fmt(b, "  %s %s %s\n", what, ts, te);
	else if (e - s <= 2147483646)
		put_fmt(b, "  %s %s duration %" PRId64 "\n", what, ts, e - s);
	else
		put_fmt(b, "  %s %s infinite\n", what, ts);
}

/* BIRD 2: "yyyy-mm-dd HH:MM:SS" (tm_parse_time in lib/timer.c) */
static bool
bird_time(int64_t t, char *out, size_t n)
{
	struct tm tm;

	if (t < 0 || !local_tm(t, &tm))
		return false;
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return true;
}

static void
iso_time(int64_t t, char *out, size_t n)
{
	int64_t y;
	int mo, d, h, mi, s;

	time_split(t, &y, &mo, &d, &h, &mi, &s);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)(y < 0 ? 0 : y > 9999 ? 9999 : y),
	    mo, d, h, mi, s);
}

/*
 * A row as keys of a key chain.  A key-chain key has one ID for both ways
 * (BIRD's password blocks, FRR and RFC 8177 key chains), while a row sends
 * with its PeerKeyName and receives its LocalKeyName (crossed: rkmp-karp.md
 * §5.1).  So a row with two names is two keys of one secret: the ID sent, its
 * accept window empty, and the ID received, its send window empty.  A row
 * with one name (a group key, or both names equal) is one key with both
 * windows.  A direction the row does not have is an empty window (zero
 * length, at its start).  The count: 0 for a disabled row.
 */
struct chain_key {
	uint64_t	 id;
	int64_t		 w[4];		/* send start, end, accept start, end */
	const char	*role;		/* "sent", "received" or "" (both) */
};

static size_t
chain_keys(const struct rkmp_keytable_row *r, struct chain_key k[2])
{
	bool sends = r->direction == RKMP_KEYTABLE_OUT || r->direction == RKMP_KEYTABLE_BOTH;
	bool recvs = r->direction == RKMP_KEYTABLE_IN || r->direction == RKMP_KEYTABLE_BOTH;
	uint64_t sent = 0, recv = 0;
	size_t n = 0;

	if (!sends && !recvs)
		return 0;
	if (!rkmp_keytable_spi_parse(r->local_name, &recv))
		recv = 0;
	if (r->peer_name[0] == '\0' || !rkmp_keytable_spi_parse(r->peer_name, &sent))
		sent = recv;
	if (sent == recv) {
		k[0] = (struct chain_key){ sent, { r->send_start, r->send_end, r->accept_start,
		    r->accept_end }, "" };
		if (!sends)
			k[0].w[0] = k[0].w[1] = r->accept_start;
		if (!recvs)
			k[0].w[2] = k[0].w[3] = r->send_start;
		return 1;
	}
	if (sends)
		k[n++] = (struct chain_key){ sent, { r->send_start, r->send_end, r->send_start,
		    r->send_start }, "sent" };
	if (recvs)
		k[n++] = (struct chain_key){ recv, { r->accept_start, r->accept_start,
		    r->accept_start, r->accept_end }, "received" };
	return n;
}

/* Whether a key of the rows before row i of the group g..i (or of row i's
 * first keys before key j) has the ID id already. */
static bool
chain_id_taken(const struct rkmp_keytable *kt, const struct xitem *v, size_t g, size_t i,
    const struct chain_key *k, size_t j, uint64_t id)
{
	struct chain_key o[2];

	for (size_t x = g; x < i; x++)
		for (size_t y = 0, m = chain_keys(kt->v[v[x].row].row, o); y < m; y++)
			if (o[y].id == id)
				return true;
	for (size_t y = 0; y < j; y++)
		if (k[y].id == id)
			return true;
	return false;
}


static void
skip_note(struct rkmp_buf *b, const char *c, const struct rkmp_keytable_row *r, const char *why,
    size_t *skipped)
{
	put_fmt(b, "%s left out: %s: %s\n", c, r->admin_name, why);
	(*skipped)++;
}

/* A group (protocol, peer) of a key chain whose protocol takes none (TCP-MD5:
 * one password per neighbor): each row left out with why, *i past the group. */
static bool
chain_less(const struct rkmp_keytable *kt, const struct xitem *v, size_t n, size_t *i,
    struct rkmp_buf *b, const char *c, const char *why, size_t *skipped)
{
	size_t g = *i;

	if (v[g].proto != RKMP_PROTO_TCP_MD5)
		return false;
	for (; *i < n && v[*i].proto == v[g].proto && strcmp(v[*i].peer, v[g].peer) == 0; (*i)++)
		skip_note(b, c, kt->v[v[*i].row].row, why, skipped);
	return true;
}

static int
export_frr(const struct rkmp_keytable *kt, const struct xitem *v, size_t n, struct rkmp_buf *b,
    size_t *skipped, int64_t now)
{
	(void)now;
	put_str(b, "! rkmp-keytable export for FRR: key chains, one per protocol and peer\n"
	    "! a row is key PeerKeyName (the ID sent) and key LocalKeyName (the ID received);\n"
	    "! the key-string is the Key's hex digits, as FRR key strings are text\n");
	tz_comment(b, "!");
	for (size_t i = 0; i < n;) {
		size_t g = i;

		if (chain_less(kt, v, n, &i, b, "!", "bgpd takes TCP-MD5 as a neighbor password: "
		    "--format frr-bgp", skipped))
			continue;
		put_fmt(b, "key chain rkmp-%s-%s\n", rkmp_keytable_protocol_name(v[i].proto), v[i].peer);
		for (; i < n && v[i].proto == v[g].proto && strcmp(v[i].peer, v[g].peer) == 0; i++) {
			const struct rkmp_keytable_row *r = kt->v[v[i].row].row;
			const struct alg_rule *ar = alg_rule(r->protocol, r->alg_id);
			struct chain_key k[2];
			size_t nk = chain_keys(r, k);
			char t[64];

			if (nk == 0)
				skip_note(b, " !", r, "Direction disabled", skipped);
			for (size_t j = 0; j < nk; j++) {
				if (k[j].id > 2147483647) {
					skip_note(b, " !", r, "key ID over 2147483647", skipped);
					continue;
				}
				if (chain_id_taken(kt, v, g, i, k, j, k[j].id)) {
					skip_note(b, " !", r, "a key with this ID is already in the chain",
					    skipped);
					continue;
				}
				if (!frr_time(k[j].w[0], t, sizeof(t)) || !frr_time(k[j].w[2], t,
				    sizeof(t))) {
					skip_note(b, " !", r, "a lifetime starts outside 1993-2035 (FRR's "
					    "years)", skipped);
					continue;
				}
				put_fmt(b, " key %" PRIu64 "\n", k[j].id);
				put_fmt(b, "  ! %s: %s %s, %s%s\n", r->admin_name,
				    rkmp_keytable_protocol_name(r->protocol), r->alg_id,
				    k[j].role[0] ? "the ID " : "the ID both ways",
				    k[j].role[0] ? k[j].role : "");
				put_str(b, "  key-string ");
				put_hex(b, r->key, r->key_len, NULL);
				put_str(b, "\n");
				if (ar != NULL && ar->frr != NULL)
					put_fmt(b, "  cryptographic-algorithm %s\n", ar->frr);
				else
					put_fmt(b, "  ! %s: FRR has no cryptographic-algorithm for it\n",
					    r->alg_id);
				frr_lifetime(b, "send-lifetime", k[j].w[0], k[j].w[1]);
				frr_lifetime(b, "accept-lifetime", k[j].w[2], k[j].w[3]);
				put_str(b, " exit\n");
			}
		}
		put_str(b, "exit\n");
	}
	return 0;
}

static int
export_bird(const struct rkmp_keytable *kt, const struct xitem *v, size_t n, struct rkmp_buf *b,
    size_t *skipped, int64_t now)
{
	(void)now;
	put_str(b, "# rkmp-keytable export for BIRD 2: password blocks, one group per protocol and "
	    "peer,\n# for the protocol or interface block that uses them; a row is the id of "
	    "its\n# PeerKeyName (sent) and the id of its LocalKeyName (received)\n");
	tz_comment(b, "#");
	for (size_t i = 0; i < n;) {
		size_t g = i;
		const char *bfd_auth = NULL;

		if (chain_less(kt, v, n, &i, b, "#", "BIRD takes TCP-MD5 as a protocol bgp password: "
		    "--format bird-bgp", skipped))
			continue;
		put_fmt(b, "# %s, peer %s\n", rkmp_keytable_protocol_name(v[i].proto), v[i].peer);
		for (; i < n && v[i].proto == v[g].proto && strcmp(v[i].peer, v[g].peer) == 0; i++) {
			const struct rkmp_keytable_row *r = kt->v[v[i].row].row;
			const struct alg_rule *ar = alg_rule(r->protocol, r->alg_id);
			struct chain_key k[2];
			size_t nk = chain_keys(r, k);
			char t[4][64];

			if (nk == 0) {
				skip_note(b, "#", r, "Direction disabled", skipped);
				continue;
			}
			if (ar == NULL || ar->bird == NULL) {
				skip_note(b, "#", r, "BIRD has no algorithm for it", skipped);
				continue;
			}
			if (r->key_len < 16) {
				skip_note(b, "#", r, "BIRD takes hex keys of 16 octets or more", skipped);
				continue;
			}
			for (size_t j = 0; j < nk; j++) {
				if (k[j].id > 255) {
					skip_note(b, "#", r, "key ID over 255", skipped);
					continue;
				}
				if (!bird_time(k[j].w[0], t[0], 64) || !bird_time(k[j].w[1], t[1], 64) ||
				    !bird_time(k[j].w[2], t[2], 64) || !bird_time(k[j].w[3], t[3], 64)) {
					skip_note(b, "#", r, "a lifetime before 1970", skipped);
					continue;
				}
				if (ar->bird_bfd && (bfd_auth == NULL || strcmp(bfd_auth, ar->bird) != 0)) {
					put_fmt(b, "# BFD: the interface block needs \"authentication %s;\"\n",
					    ar->bird);
					bfd_auth = ar->bird;
				}
				put_fmt(b, "# %s: %s, %s%s\n", r->admin_name, r->alg_id,
				    k[j].role[0] ? "the ID " : "the ID both ways",
				    k[j].role[0] ? k[j].role : "");
				put_str(b, "password ");
				put_hex(b, r->key, r->key_len, ":");
				put_fmt(b, " {\n\tid %" PRIu64 ";\n\tgenerate from \"%s\";\n\tgenerate to "
				    "\"%s\";\n\taccept from \"%s\";\n\taccept to \"%s\";\n", k[j].id, t[0],
				    t[1], t[2], t[3]);
				if (!ar->bird_bfd)
					put_fmt(b, "\talgorithm %s;\n", ar->bird);
				put_str(b, "};\n");
			}
		}
	}
	return 0;
}

static void
rfc8177_lifetime(struct rkmp_buf *b, const char *what, int64_t s, int64_t e)
{
	char ts[32], te[32];

	iso_time(s, ts, sizeof(ts));
	iso_time(e, te, sizeof(te));
	put_fmt(b, "\"%s\": {\"start-date-time\": \"%s\", \"end-date-time\": \"%s\"}", what, ts, te);
}

static int
export_rfc8177(const struct rkmp_keytable *kt, const struct xitem *v, size_t n,
    struct rkmp_buf *b, size_t *skipped, int64_t now)
{
	(void)now;
	bool first_chain = true;

	put_str(b, "{\n  \"ietf-key-chain:key-chains\": {");
	for (size_t i = 0; i < n;) {
		size_t g = i;
		bool first_key = true;

		put_str(b, first_chain ? "\n    \"key-chain\": [\n" : ",\n");
		first_chain = false;
		put_fmt(b, "      {\n        \"name\": \"rkmp-%s-%s\",\n        \"description\": "
		    "\"rkmp-keytable: %s, peer %s\",\n        \"key\": [",
		    rkmp_keytable_protocol_name(v[i].proto), v[i].peer,
		    rkmp_keytable_protocol_name(v[i].proto), v[i].peer);
		for (; i < n && v[i].proto == v[g].proto && strcmp(v[i].peer, v[g].peer) == 0; i++) {
			const struct rkmp_keytable_row *r = kt->v[v[i].row].row;
			const struct alg_rule *ar = alg_rule(r->protocol, r->alg_id);
			struct chain_key k[2];
			size_t nk = chain_keys(r, k);

			/* JSON has no comments: what is left out is only counted */
			if (nk == 0 || ar == NULL) {
				(*skipped)++;
				continue;
			}
			for (size_t j = 0; j < nk; j++) {
				if (chain_id_taken(kt, v, g, i, k, j, k[j].id)) {
					(*skipped)++;
					continue;
				}
				put_str(b, first_key ? "\n          " : ",\n          ");
				first_key = false;
				put_fmt(b, "{\"key-id\": \"%" PRIu64 "\", \"lifetime\": {", k[j].id);
				rfc8177_lifetime(b, "send-lifetime", k[j].w[0], k[j].w[1]);
				put_str(b, ", ");
				rfc8177_lifetime(b, "accept-lifetime", k[j].w[2], k[j].w[3]);
				put_fmt(b, "}, \"crypto-algorithm\": \"ietf-key-chain:%s\", \"key-string\": "
				    "{\"hexadecimal-string\": \"", ar->rfc8177);
				put_hex(b, r->key, r->key_len, ":");
				put_str(b, "\"}}");
			}
		}
		put_str(b, first_key ? "]\n      }" : "\n        ]\n      }");
	}
	put_str(b, first_chain ? "}\n}\n" : "\n    ]\n  }\n}\n");
	return 0;
}

static int
export_wireshark(const struct rkmp_keytable *kt, const struct xitem *v, size_t n,
    struct rkmp_buf *b, size_t *skipped, int64_t now)
{
	(void)now;
	put_str(b, "# rkmp-keytable export: Wireshark ESP SAs (the esp_sa file; Protocols > ESP),\n"
	    "# two per ESP row: outbound, then inbound\n");
	for (size_t i = 0; i < n; i++) {
		const struct rkmp_keytable_row *r = kt->v[v[i].row].row;
		const struct entry *e = &kt->v[v[i].row];
		struct esp_suite s;
		const char *en = NULL, *in, *local = "*";
		char lbuf[INET6_ADDRSTRLEN + 1];
		const char *lp;
		size_t ek;

		if (r->direction == RKMP_KEYTABLE_DISABLED) {
			skip_note(b, "#", r, "Direction disabled", skipped);
			continue;
		}
		if (e->paddr[v[i].pi].af == 0 || !esp_suite(r->alg_id, &s)) {
			skip_note(b, "#", r, "not an address", skipped);
			continue;
		}
		switch (s.encr->id) {
		case 12: en = "AES-CBC [RFC3602]"; break;
		case 18: en = "AES-GCM with 8 octet ICV [RFC4106]"; break;
		case 19: en = "AES-GCM with 12 octet ICV [RFC4106]"; break;
		case 20: en = "AES-GCM with 16 octet ICV [RFC4106]"; break;
		}
		if (en == NULL) {
			skip_note(b, "#", r, "Wireshark cannot decrypt this cipher", skipped);
			continue;
		}
		if (s.integ == NULL)
			in = "NULL";
		else
			switch (s.integ->id) {
			case 2: in = "HMAC-SHA-1-96 [RFC2404]"; break;
			case 12: in = "HMAC-SHA-256-128 [RFC4868]"; break;
			case 13: in = "HMAC-SHA-384-192 [RFC4868]"; break;
			case 14: in = "HMAC-SHA-512-256 [RFC4868]"; break;
			default: in = "ANY 96 bit authentication [no checking]";
			}
		/* our address, when the row has it: ProtocolSpecificInfo "local" */
		if ((lp = strstr(r->psi, "\"local\"")) != NULL &&
		    (lp += 7 + strspn(lp + 7, " \t"), *lp == ':') &&
		    (lp += 1 + strspn(lp + 1, " \t"), *lp == '"')) {
			size_t k = 0;

			lp++;
			while (lp[k] && lp[k] != '"' && k < sizeof(lbuf) - 1) {
				lbuf[k] = lp[k];
				k++;
			}
			lbuf[k] = '\0';
			if (rkmp_keytable_peer_ok(lbuf) && strncmp(lbuf, "group:", 6) != 0)
				local = lbuf;
		}
		ek = s.encr->key_len + s.encr->salt_len;
		for (int dir = 0; dir < 2; dir++) {
			const uint8_t *k = r->key + (dir ? s.half : 0);

			put_fmt(b, "\"%s\",\"%s\",\"%s\",\"0x%s\",\"%s\",\"0x",
			    e->paddr[v[i].pi].af == AF_INET6 ? "IPv6" : "IPv4",
			    dir ? v[i].peer : local, dir ? local : v[i].peer,
			    dir ? r->local_name : r->peer_name, en);
			put_hex(b, k, ek, NULL);
			put_fmt(b, "\",\"%s\",\"%s", in, s.integ ? "0x" : "");
			if (s.integ)
				put_hex(b, k + ek, s.integ->key_len, NULL);
			put_str(b, "\"\n");
		}
	}
	return 0;
}

/*
 * BGP passwords (TCP-MD5, RFC 2385): per peer the key RFC 7210 §3 selects for
 * sending at now (a TCP-MD5 key is used both ways, and a daemon holds one
 * password per neighbor: RFC 2385 has no rollover).  For each peer group of
 * v, emit() writes the line; a peer with no key at now is left out with a
 * comment.  RKMP_E_REFUSED (named after the format fmt, for the peers, a
 * text) when no peer got one.
 */
static int
bgp_passwords(const struct rkmp_keytable *kt, const struct xitem *v, size_t n, struct rkmp_buf *b,
    size_t *skipped, int64_t now, const char *c, const char *fmt, const char *peers,
    void (*emit)(struct rkmp_buf *, const char *, const struct rkmp_keytable_row *))
{
	char t[3][32];
	size_t keys = 0;

	iso_time(now, t[0], sizeof(t[0]));
	for (size_t i = 0; i < n;) {
		struct rkmp_keytable_query q = { .protocol = v[i].proto, .peer = v[i].peer,
		    .now = now };
		const struct rkmp_keytable_row *r;
		size_t g = i, k;

		while (i < n && strcmp(v[i].peer, v[g].peer) == 0)
			i++;
		if (rkmp_keytable_select(kt, &q, &k) != 0 || (r = kt->v[k].row) == NULL) {
			put_fmt(b, "%s left out: peer %s: no key to send at %s (%zu row%s)\n", c,
			    v[g].peer, t[0], i - g, i - g == 1 ? "" : "s");
			(*skipped)++;
			continue;
		}
		iso_time(r->send_start, t[1], sizeof(t[1]));
		iso_time(r->send_end, t[2], sizeof(t[2]));
		put_fmt(b, "%s %s: sent from %s to %s\n", c, r->admin_name, t[1], t[2]);
		emit(b, v[g].peer, r);
		keys++;
	}
	return keys > 0 ? 0 : rkmp_err_set(RKMP_E_REFUSED, fmt, "no tcp-md5 key to send%s%s at %s",
	    peers[0] ? " to " : "", peers, t[0]);
}

static void
bird_password(struct rkmp_buf *b, const char *peer, const struct rkmp_keytable_row *r)
{
	(void)peer;
	put_str(b, "password \"");
	put_hex(b, r->key, r->key_len, NULL);
	put_str(b, "\";\n");
}

static void
frr_password(struct rkmp_buf *b, const char *peer, const struct rkmp_keytable_row *r)
{
	put_fmt(b, " neighbor %s password ", peer);
	put_hex(b, r->key, r->key_len, NULL);
	put_str(b, "\n");
}

/* The peers of v (sorted), for an error: "a, b, c". */
static void
peer_list(const struct xitem *v, size_t n, char *out, size_t cap, size_t *npeers)
{
	size_t len = 0;

	*npeers = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i].peer, v[i - 1].peer) != 0) {
			if (len < cap)
				len += (size_t)snprintf(out + len, cap - len, "%s%s",
				    *npeers ? ", " : "", v[i].peer);
			(*npeers)++;
		}
}

/* BIRD 2.0 protocol bgp: one neighbor, one `password "...";` (the only form it takes). */
static int
export_bird_bgp(const struct rkmp_keytable *kt, const struct xitem *v, size_t n, struct rkmp_buf *b,
    size_t *skipped, int64_t now)
{
	char peers[256], t[32];
	size_t np;

	peer_list(v, n, peers, sizeof(peers), &np);
	if (np > 1)
		return rkmp_err_set(RKMP_E_USAGE, "bird-bgp", "TCP-MD5 keys for %zu peers (%s): a "
		    "protocol bgp has one neighbor, name it with --peer", np, peers);
	iso_time(now, t, sizeof(t));
	put_fmt(b, "# rkmp-keytable export --format bird-bgp at %s (RFC 7210 §3): the TCP-MD5\n"
	    "# password (RFC 2385) for the BIRD 2 protocol bgp whose neighbor is %s;\n"
	    "# include this file in that block.  A new password resets the session.\n", t,
	    np ? peers : "-");
	return bgp_passwords(kt, v, n, b, skipped, now, "#", "bird-bgp", peers, bird_password);
}

/* FRR bgpd (8.x): "neighbor ADDR password ..." under the default instance. */
static int
export_frr_bgp(const struct rkmp_keytable *kt, const struct xitem *v, size_t n, struct rkmp_buf *b,
    size_t *skipped, int64_t now)
{
	char peers[256], t[32];
	size_t np;
	int r;

	peer_list(v, n, peers, sizeof(peers), &np);
	iso_time(now, t, sizeof(t));
	put_fmt(b, "! rkmp-keytable export --format frr-bgp at %s (RFC 7210 §3): the TCP-MD5\n"
	    "! passwords (RFC 2385) of bgpd's neighbors, for its default instance.  A new\n"
	    "! password resets the session.\n"
	    "router bgp\n", t);
	r = bgp_passwords(kt, v, n, b, skipped, now, " !", "frr-bgp", peers, frr_password);
	put_str(b, "exit\n");
	return r;
}

/*
 * The export formats, named after what they paste into.  proto: the only
 * protocol whose rows the format carries (0: any but ESP); esp: ESP rows only.
 * An alias (frr, bird: the key-chain forms' first names) is not listed.
 */
struct rkmp_keytable_format {
	const char	*name;
	int		(*fn)(const struct rkmp_keytable *, const struct xitem *, size_t,
			    struct rkmp_buf *, size_t *, int64_t);
	uint8_t		 proto;
	bool		 esp;
	bool		 alias;
};

static const struct rkmp_keytable_format export_formats[] = {
	{ "bird-bgp", export_bird_bgp, RKMP_PROTO_TCP_MD5, false, false },
	{ "frr-bgp", export_frr_bgp, RKMP_PROTO_TCP_MD5, false, false },
	{ "bird-keychain", export_bird, 0, false, false },
	{ "frr-keychain", export_frr, 0, false, false },
	{ "rfc8177", export_rfc8177, 0, false, false },
	{ "wireshark-esp", export_wireshark, 0, true, false },
	{ "bird", export_bird, 0, false, true },
	{ "frr", export_frr, 0, false, true },
};

const struct rkmp_keytable_format *
rkmp_keytable_export_format(const char *name)
{
	for (size_t i = 0; i < nitems(export_formats); i++)
		if (strcmp(name, export_formats[i].name) == 0)
			return &export_formats[i];
	return NULL;
}

const char *
rkmp_keytable_export_names(void)
{
	static char out[160];
	size_t len = 0, n = 0, last = 0;

	if (out[0] != '\0')
		return out;
	for (size_t i = 0; i < nitems(export_formats); i++)
		if (!export_formats[i].alias)
			last = n++;
	n = 0;
	for (size_t i = 0; i < nitems(export_formats); i++)
		if (!export_formats[i].alias) {
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", n == 0 ? "" :
			    n == last ? " or " : ", ", export_formats[i].name);
			n++;
		}
	return out;
}

int
rkmp_keytable_export(const struct rkmp_keytable *kt, const struct rkmp_keytable_format *fmt,
    uint8_t proto, const char *peer, int64_t now, struct rkmp_buf *buf, size_t *skipped)
{
	struct xitem *v = NULL;
	size_t n = 0, sk = 0;
	struct rkmp_buf ob;
	int r;

	if (fmt->proto != 0 && proto != 0 && proto != fmt->proto)
		return rkmp_err_set(RKMP_E_USAGE, fmt->name, "carries %s keys, not %s",
		    rkmp_keytable_protocol_name(fmt->proto), rkmp_keytable_protocol_name(proto));
	/* every row is written: build them all */
	for (size_t i = 0; i < kt->n; i++)
		if (rkmp_keytable_at(kt, i) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "export", "out of memory");
	if ((r = export_items(kt, fmt->proto ? fmt->proto : proto, peer, fmt->esp, &v, &n)) != 0)
		return r;
	if (n == 0 && fmt->proto != 0) {	/* a password file with none is no file */
		free(v);
		return rkmp_err_set(RKMP_E_REFUSED, fmt->name, "no %s rows%s%s",
		    rkmp_keytable_protocol_name(fmt->proto), peer ? " for " : "", peer ? peer : "");
	}
	rkmp_buf_init(&ob, RKMP_KEYTABLE_FILE_MAX);
	r = fmt->fn(kt, v, n, &ob, &sk, now);
	free(v);
	if (skipped != NULL)
		*skipped = sk;
	if (r != 0) {
		rkmp_buf_free(&ob);
		return r;
	}
	return kt_buf_to(&ob, buf);
}

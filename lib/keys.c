/* SPDX-License-Identifier: MIT */
/*
 * keys.c — a key store for the decoder: Wireshark ikev2_decryption_table and
 * strongSwan key log loaders, rkmp state files, lookup by SPIs, and writers
 * for Wireshark and tcpdump -E.  Algorithm names map through tables only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "err.h"
#include "hex.h"
#include "keys.h"
#include "nitems.h"
#include "sa.h"
#include "state.h"

#define KEYS_FILE_MAX	(64u * 1024 * 1024)	/* a key log of a big lab, with room */
#define KEYS_MAX	(1u << 22)		/* entries in one store */

/* ------------------------------------------------------------------ name tables */

/* Wireshark's ikev2_decryption_table names (epan/dissectors/packet-isakmp.c). */
struct ws_encr {
	const char	*name;
	uint16_t	 id, bits;		/* id 0: Wireshark has it, rkmp does not */
};

static const struct ws_encr ws_encr_names[] = {
	{ "AES-CBC-128 [RFC3602]", 12, 128 },
	{ "AES-CBC-192 [RFC3602]", 12, 192 },
	{ "AES-CBC-256 [RFC3602]", 12, 256 },
	{ "AES-GCM-128 with 8 octet ICV [RFC5282]", 18, 128 },
	{ "AES-GCM-192 with 8 octet ICV [RFC5282]", 18, 192 },
	{ "AES-GCM-256 with 8 octet ICV [RFC5282]", 18, 256 },
	{ "AES-GCM-128 with 12 octet ICV [RFC5282]", 19, 128 },
	{ "AES-GCM-192 with 12 octet ICV [RFC5282]", 19, 192 },
	{ "AES-GCM-256 with 12 octet ICV [RFC5282]", 19, 256 },
	{ "AES-GCM-128 with 16 octet ICV [RFC5282]", 20, 128 },
	{ "AES-GCM-192 with 16 octet ICV [RFC5282]", 20, 192 },
	{ "AES-GCM-256 with 16 octet ICV [RFC5282]", 20, 256 },
	/* known to Wireshark, not to lib/crypto.c */
	{ "NULL [RFC2410]", 0, 0 },
	{ "3DES [RFC2451]", 0, 0 },
	{ "AES-CTR-128 [RFC5930]", 0, 0 },
	{ "AES-CTR-192 [RFC5930]", 0, 0 },
	{ "AES-CTR-256 [RFC5930]", 0, 0 },
	{ "AES-CCM-128 with 8 octet ICV [RFC5282]", 0, 0 },
	{ "AES-CCM-192 with 8 octet ICV [RFC5282]", 0, 0 },
	{ "AES-CCM-256 with 8 octet ICV [RFC5282]", 0, 0 },
	{ "AES-CCM-128 with 12 octet ICV [RFC5282]", 0, 0 },
	{ "AES-CCM-192 with 12 octet ICV [RFC5282]", 0, 0 },
	{ "AES-CCM-256 with 12 octet ICV [RFC5282]", 0, 0 },
	{ "AES-CCM-128 with 16 octet ICV [RFC5282]", 0, 0 },
	{ "AES-CCM-192 with 16 octet ICV [RFC5282]", 0, 0 },
	{ "AES-CCM-256 with 16 octet ICV [RFC5282]", 0, 0 },
};

struct ws_integ {
	const char	*name;
	uint16_t	 id;			/* 0: NONE (AEAD) or not in rkmp */
	bool		 none;
};

static const struct ws_integ ws_integ_names[] = {
	{ "NONE [RFC4306]", 0, true },
	{ "HMAC_SHA1_96 [RFC2404]", 2, false },
	{ "HMAC_SHA2_256_128 [RFC4868]", 12, false },
	{ "HMAC_SHA2_384_192 [RFC4868]", 13, false },
	{ "HMAC_SHA2_512_256 [RFC4868]", 14, false },
	/* known to Wireshark, not to lib/crypto.c */
	{ "HMAC_MD5_96 [RFC2403]", 0, false },
	{ "HMAC_MD5_128 [RFC4595]", 0, false },
	{ "HMAC_SHA1_160 [RFC4595]", 0, false },
	{ "HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]", 0, false },
};

/* strongSwan's proposal names (libstrongswan crypto names, key size appended). */
struct ss_name {
	const char	*name;
	uint16_t	 id, bits;
};

static const struct ss_name ss_encr_names[] = {
	{ "AES_CBC_128", 12, 128 }, { "AES_CBC_192", 12, 192 }, { "AES_CBC_256", 12, 256 },
	{ "AES_GCM_8_128", 18, 128 }, { "AES_GCM_8_192", 18, 192 }, { "AES_GCM_8_256", 18, 256 },
	{ "AES_GCM_12_128", 19, 128 }, { "AES_GCM_12_192", 19, 192 }, { "AES_GCM_12_256", 19, 256 },
	{ "AES_GCM_16_128", 20, 128 }, { "AES_GCM_16_192", 20, 192 }, { "AES_GCM_16_256", 20, 256 },
	{ "CHACHA20_POLY1305", 28, 0 }, { "CHACHA20_POLY1305_256", 28, 0 },
};

static const struct ss_name ss_integ_names[] = {
	{ "HMAC_SHA1_96", 2, 0 }, { "AES_XCBC_96", 5, 0 }, { "AES_CMAC_96", 8, 0 },
	{ "HMAC_SHA2_256_128", 12, 0 }, { "HMAC_SHA2_384_192", 13, 0 },
	{ "HMAC_SHA2_512_256", 14, 0 },
};

/* tcpdump -E: OpenSSL cipher names (print-esp.c strips "-cbc" and "-hmac96"). */
struct td_name {
	uint16_t	 id, bits;
	const char	*name;
};

static const struct td_name td_encr_names[] = {
	{ 12, 128, "aes128-cbc" }, { 12, 192, "aes192-cbc" }, { 12, 256, "aes256-cbc" },
};

static const struct td_name td_integ_names[] = {
	{ 2, 0, "sha1" }, { 5, 0, "aesxcbc" }, { 8, 0, "aescmac" },
	{ 12, 0, "sha256" }, { 13, 0, "sha384" }, { 14, 0, "sha512" },
};


/* ------------------------------------------------------------------ the store */

struct rkmp_keys {
	struct rkmp_key_entry	*e;
	size_t			 n, cap;
	size_t			*idx;	/* open addressing: entry index + 1, 0 = empty */
	size_t			 idx_cap;	/* power of two, > 2n */
};

static size_t
spi_hash(uint64_t a, uint64_t b)
{
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;

	return (size_t)(h ^ (h >> 29));
}

static size_t *
idx_slot(const struct rkmp_keys *k, uint64_t spi_i, uint64_t spi_r)
{
	size_t mask = k->idx_cap - 1, h = spi_hash(spi_i, spi_r) & mask;

	for (;;) {
		size_t *s = &k->idx[h];

		if (*s == 0)
			return s;
		if (k->e[*s - 1].spi_i == spi_i && k->e[*s - 1].spi_r == spi_r)
			return s;
		h = (h + 1) & mask;
	}
}

static int
idx_grow(struct rkmp_keys *k)
{
	size_t cap = k->idx_cap ? k->idx_cap * 2 : 64, *old = k->idx;

	if ((k->idx = calloc(cap, sizeof(*k->idx))) == NULL) {
		k->idx = old;
		return rkmp_err_set(RKMP_E_NOMEM, "keys", "out of memory");
	}
	k->idx_cap = cap;
	free(old);
	for (size_t i = 0; i < k->n; i++)
		*idx_slot(k, k->e[i].spi_i, k->e[i].spi_r) = i + 1;
	return 0;
}

struct rkmp_keys *
rkmp_keys_new(void)
{
	return calloc(1, sizeof(struct rkmp_keys));
}

void
rkmp_keys_free(struct rkmp_keys *k)
{
	if (k == NULL)
		return;
	if (k->e != NULL) {
		rkmp_crypto_wipe(k->e, k->cap * sizeof(*k->e));
		free(k->e);
	}
	free(k->idx);
	free(k);
	rkmp_crypto_forget();	/* the kept MAC and cipher contexts' last keys */
}

int
rkmp_keys_add(struct rkmp_keys *k, const struct rkmp_key_entry *e)
{
	size_t *s;
	int r;

	if ((k->n + 1) * 2 >= k->idx_cap && (r = idx_grow(k)) != 0)
		return r;
	s = idx_slot(k, e->spi_i, e->spi_r);
	if (*s != 0) {
		k->e[*s - 1] = *e;	/* a later line for the same SA wins */
		return 0;
	}
	if (k->n >= KEYS_MAX)
		return rkmp_err_set(RKMP_E_USAGE, "keys", "more than %u IKE SAs", KEYS_MAX);
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		struct rkmp_key_entry *ne = calloc(cap, sizeof(*ne));

		if (ne == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "keys", "out of memory");
		if (k->e != NULL) {
			memcpy(ne, k->e, k->n * sizeof(*ne));
			rkmp_crypto_wipe(k->e, k->cap * sizeof(*k->e));
			free(k->e);
		}
		k->e = ne;
		k->cap = cap;
	}
	k->e[k->n] = *e;
	*s = ++k->n;
	return 0;
}

size_t
rkmp_keys_count(const struct rkmp_keys *k)
{
	return k->n;
}

const struct rkmp_key_entry *
rkmp_keys_at(const struct rkmp_keys *k, size_t i)
{
	return i < k->n ? &k->e[i] : NULL;
}

const struct rkmp_key_entry *
rkmp_keys_lookup(const struct rkmp_keys *k, uint64_t spi_i, uint64_t spi_r)
{
	size_t *s;

	if (k->n == 0)
		return NULL;
	s = idx_slot(k, spi_i, spi_r);
	return *s ? &k->e[*s - 1] : NULL;
}

void
rkmp_keys_dir(const struct rkmp_key_entry *e, bool from_initiator, struct rkmp_sk_dir *d)
{
	d->encr = e->encr;
	d->integ = e->integ;
	d->ke = from_initiator ? e->sk_ei : e->sk_er;
	d->ka = e->integ == NULL ? NULL : from_initiator ? e->sk_ai : e->sk_ar;
}

/* ------------------------------------------------------------------ parsing helpers */

struct line {
	const char	*file;
	size_t		 no;
};

static int
bad(const struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
bad(const struct line *l, const char *fmt, ...)
{
	char where[512], detail[512];
	va_list ap;

	snprintf(where, sizeof(where), "%s:%zu", l->file, l->no);
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return rkmp_err_set(RKMP_E_USAGE, where, "%s", detail);
}

/* Hex of exactly n octets (an optional 0x prefix); -1 when not. */
static int
unhex(const char *s, size_t slen, uint8_t *out, size_t n)
{
	if (slen >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		slen -= 2;
	}
	if (slen != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = rkmp_hex_digit((unsigned char)s[2 * i]), lo = rkmp_hex_digit((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Octets of a hex string, or (size_t)-1 when it is not even-length hex. */
static size_t
hexlen(const char *s, size_t slen)
{
	if (slen >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		slen -= 2;
	}
	if (slen % 2)
		return (size_t)-1;
	for (size_t i = 0; i < slen; i++)
		if (rkmp_hex_digit((unsigned char)s[i]) < 0)
			return (size_t)-1;
	return slen / 2;
}

static int
spi_parse(const struct line *l, const char *what, const char *s, size_t slen, uint64_t *spi)
{
	uint8_t b[8];

	if (unhex(s, slen, b, 8) != 0)
		return bad(l, "%s \"%.*s\" is not 16 hex digits", what,
		    (int)(slen > 40 ? 40 : slen), s);
	*spi = (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
	    (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
	    (uint64_t)b[6] << 8 | b[7];
	return 0;
}

/* A key of the length the algorithm needs. */
static int
key_parse(const struct line *l, const char *what, const char *s, size_t slen, size_t need,
    const char *alg, uint8_t *out)
{
	size_t n = hexlen(s, slen);

	if (n == (size_t)-1)
		return bad(l, "%s is not hex", what);
	if (n != need)
		return bad(l, "%s has %zu octets, %s needs %zu", what, n, alg, need);
	if (unhex(s, slen, out, n) != 0)
		return bad(l, "%s is not hex", what);
	return 0;
}

/* Set encr/integ and the lengths; checks that AEAD and INTEG agree. */
static int
set_algs(const struct line *l, struct rkmp_key_entry *e, uint16_t encr_id, uint16_t bits,
    uint16_t integ_id, bool integ_none)
{
	if ((e->encr = rkmp_crypto_encr_lookup(encr_id, bits)) == NULL)
		return bad(l, "%s", rkmp_err_detail());
	if (e->encr->aead && !integ_none)
		return bad(l, "%s is an AEAD cipher: the integrity algorithm must be NONE",
		    e->encr->name);
	if (!e->encr->aead && integ_none)
		return bad(l, "%s needs an integrity algorithm, not NONE", e->encr->name);
	e->integ = NULL;
	if (!integ_none && (e->integ = rkmp_crypto_integ_lookup(integ_id)) == NULL)
		return bad(l, "%s", rkmp_err_detail());
	e->e_len = e->encr->key_len + e->encr->salt_len;
	e->a_len = e->integ ? e->integ->key_len : 0;
	return 0;
}

/* ------------------------------------------------------------------ Wireshark */

/*
 * One UAT field: optionally quoted ("..." with \\, \" and \xNN escapes, as
 * Wireshark writes them), blanks around it ignored.  Unquoted into buf.
 */
static int
ws_field(const struct line *l, const char **pp, const char *end, size_t n, char *buf,
    size_t buflen, size_t *outlen)
{
	const char *p = *pp;
	size_t o = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p == '"') {
		p++;
		for (;;) {
			char c;

			if (p >= end)
				return bad(l, "field %zu: unterminated quote", n);
			c = *p++;
			if (c == '"')
				break;
			if (c == '\\' && p < end) {
				c = *p++;
				if (c == 'x' && end - p >= 2 && rkmp_hex_digit((unsigned char)p[0]) >= 0 &&
				    rkmp_hex_digit((unsigned char)p[1]) >= 0) {
					c = (char)(rkmp_hex_digit((unsigned char)p[0]) << 4 |
					    rkmp_hex_digit((unsigned char)p[1]));
					p += 2;
				}
			}
			if (o + 1 >= buflen)
				return bad(l, "field %zu too long", n);
			buf[o++] = c;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
	} else {
		const char *s = p;

		while (p < end && *p != ',')
			p++;
		while (p > s && (p[-1] == ' ' || p[-1] == '\t'))
			p--;
		if ((size_t)(p - s) + 1 >= buflen)
			return bad(l, "field %zu too long", n);
		memcpy(buf, s, (size_t)(p - s));
		o = (size_t)(p - s);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
	}
	buf[o] = '\0';
	*outlen = o;
	if (p < end && *p != ',')
		return bad(l, "field %zu: '%c' after the value", n, *p);
	*pp = p;
	return 0;
}

static int
ws_line(const struct line *l, const char *p, const char *end, struct rkmp_key_entry *e)
{
	char f[8][256];
	size_t fl[8], nf = 0;
	const struct ws_encr *we = NULL;
	const struct ws_integ *wi = NULL;
	int r;

	for (;;) {
		if (nf == 8)
			return bad(l, "more than 8 fields (SPIi,SPIr,SK_ei,SK_er,\"ENCR\","
			    "SK_ai,SK_ar,\"INTEG\")");
		if ((r = ws_field(l, &p, end, nf + 1, f[nf], sizeof(f[nf]), &fl[nf])) != 0)
			return r;
		nf++;
		if (p >= end)
			break;
		p++;	/* the comma */
	}
	if (nf != 8)
		return bad(l, "%zu fields, a Wireshark ikev2_decryption_table line has 8 "
		    "(SPIi,SPIr,SK_ei,SK_er,\"ENCR\",SK_ai,SK_ar,\"INTEG\")", nf);
	for (size_t i = 0; i < nitems(ws_encr_names); i++)
		if (strcmp(f[4], ws_encr_names[i].name) == 0)
			we = &ws_encr_names[i];
	for (size_t i = 0; i < nitems(ws_integ_names); i++)
		if (strcmp(f[7], ws_integ_names[i].name) == 0)
			wi = &ws_integ_names[i];
	if (we == NULL)
		return bad(l, "encryption algorithm \"%s\" unknown (Wireshark names, e.g. "
		    "\"AES-CBC-128 [RFC3602]\")", f[4]);
	if (we->id == 0)
		return bad(l, "encryption algorithm \"%s\" not supported", f[4]);
	if (wi == NULL)
		return bad(l, "integrity algorithm \"%s\" unknown (Wireshark names, e.g. "
		    "\"HMAC_SHA2_256_128 [RFC4868]\")", f[7]);
	if (wi->id == 0 && !wi->none)
		return bad(l, "integrity algorithm \"%s\" not supported", f[7]);
	memset(e, 0, sizeof(*e));
	if ((r = spi_parse(l, "SPIi", f[0], fl[0], &e->spi_i)) != 0 ||
	    (r = spi_parse(l, "SPIr", f[1], fl[1], &e->spi_r)) != 0 ||
	    (r = set_algs(l, e, we->id, we->bits, wi->id, wi->none)) != 0 ||
	    (r = key_parse(l, "SK_ei", f[2], fl[2], e->e_len, f[4], e->sk_ei)) != 0 ||
	    (r = key_parse(l, "SK_er", f[3], fl[3], e->e_len, f[4], e->sk_er)) != 0 ||
	    (r = key_parse(l, "SK_ai", f[5], fl[5], e->a_len, f[7], e->sk_ai)) != 0 ||
	    (r = key_parse(l, "SK_ar", f[6], fl[6], e->a_len, f[7], e->sk_ar)) != 0)
		return r;
	return 0;
}

/* ------------------------------------------------------------------ strongSwan */

/* The value of "key=" among the line's words, or NULL. */
static const char *
ss_value(const char *p, const char *end, const char *key, size_t *vlen)
{
	size_t kl = strlen(key);

	while (p < end) {
		const char *w;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		w = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if ((size_t)(p - w) > kl && strncmp(w, key, kl) == 0 && w[kl] == '=') {
			*vlen = (size_t)(p - w) - kl - 1;
			return w + kl + 1;
		}
	}
	return NULL;
}

static int
ss_line(const struct line *l, const char *p, const char *end, struct rkmp_key_entry *e)
{
	static const char *const need[] = { "spi_i", "spi_r", "proposal", "sk_ei", "sk_er",
	    "sk_ai", "sk_ar" };
	const char *v[nitems(need)];
	size_t vl[nitems(need)];
	const struct ss_name *en = NULL, *in = NULL;
	const struct rkmp_encr_alg *ea;
	const char *q, *qe;
	int r;

	for (size_t i = 0; i < nitems(need); i++)
		if ((v[i] = ss_value(p, end, need[i], &vl[i])) == NULL)
			return bad(l, "IKE line without %s=", need[i]);
	/* proposal=IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 */
	q = v[2];
	qe = v[2] + vl[2];
	if (vl[2] < 4 || strncmp(q, "IKE:", 4) != 0)
		return bad(l, "proposal \"%.*s\" does not start with IKE:", (int)vl[2], v[2]);
	q += 4;
	while (q < qe) {
		const char *t = q;
		size_t tl;

		while (q < qe && *q != '/')
			q++;
		tl = (size_t)(q - t);
		for (size_t i = 0; i < nitems(ss_encr_names); i++)
			if (strlen(ss_encr_names[i].name) == tl &&
			    strncmp(t, ss_encr_names[i].name, tl) == 0)
				en = &ss_encr_names[i];
		for (size_t i = 0; i < nitems(ss_integ_names); i++)
			if (strlen(ss_integ_names[i].name) == tl &&
			    strncmp(t, ss_integ_names[i].name, tl) == 0)
				in = &ss_integ_names[i];
		if (q < qe)
			q++;
	}
	if (en == NULL)
		return bad(l, "proposal \"%.*s\": no encryption algorithm rkmp supports",
		    (int)vl[2], v[2]);
	if (in == NULL && (ea = rkmp_crypto_encr_lookup(en->id, en->bits)) != NULL && !ea->aead)
		return bad(l, "proposal \"%.*s\": no integrity algorithm rkmp supports",
		    (int)vl[2], v[2]);
	memset(e, 0, sizeof(*e));
	if ((r = spi_parse(l, "spi_i", v[0], vl[0], &e->spi_i)) != 0 ||
	    (r = spi_parse(l, "spi_r", v[1], vl[1], &e->spi_r)) != 0 ||
	    (r = set_algs(l, e, en->id, en->bits, in ? in->id : 0, in == NULL)) != 0)
		return r;
	/* AEAD: strongSwan logs the absent integrity keys as "-" */
	for (size_t i = 5; i <= 6; i++)
		if (e->a_len == 0 && vl[i] == 1 && v[i][0] == '-')
			vl[i] = 0;
	if ((r = key_parse(l, "sk_ei", v[3], vl[3], e->e_len, en->name, e->sk_ei)) != 0 ||
	    (r = key_parse(l, "sk_er", v[4], vl[4], e->e_len, en->name, e->sk_er)) != 0 ||
	    (r = key_parse(l, "sk_ai", v[5], vl[5], e->a_len, in ? in->name : "AEAD",
	    e->sk_ai)) != 0 ||
	    (r = key_parse(l, "sk_ar", v[6], vl[6], e->a_len, in ? in->name : "AEAD",
	    e->sk_ar)) != 0)
		return r;
	return 0;
}

/* ------------------------------------------------------------------ loaders */

static bool
word_is(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - p) >= n && strncmp(p, w, n) == 0 &&
	    ((size_t)(end - p) == n || p[n] == ' ' || p[n] == '\t');
}

int
rkmp_keys_load_text(struct rkmp_keys *k, const char *name, const char *text, size_t len)
{
	struct rkmp_keys *tmp;
	struct line l = { name, 0 };
	const char *p = text, *end = text + len;
	int kind = 0;	/* 0 unknown yet, 1 Wireshark, 2 strongSwan */
	int r = 0;

	if ((tmp = rkmp_keys_new()) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, name, "out of memory");
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *s = p;
		struct rkmp_key_entry e;

		l.no++;
		p = nl ? nl + 1 : end;
		if (le > s && le[-1] == '\r')
			le--;
		while (s < le && (*s == ' ' || *s == '\t'))
			s++;
		if (s == le || *s == '#')
			continue;
		if (memchr(s, '\0', (size_t)(le - s)) != NULL) {
			r = bad(&l, "NUL octet: not a text file");
			break;
		}
		if (kind == 0)
			kind = word_is(s, le, "IKE") || word_is(s, le, "CHILD") ? 2 : 1;
		if (kind == 2) {
			if (word_is(s, le, "CHILD"))
				continue;	/* child SA keys: ESP, not ours */
			if (!word_is(s, le, "IKE")) {
				r = bad(&l, "strongSwan key log line starts with \"%.*s\", "
				    "not IKE or CHILD",
				    (int)(le - s > 20 ? 20 : le - s), s);
				break;
			}
			r = ss_line(&l, s + 3, le, &e);
		} else
			r = ws_line(&l, s, le, &e);
		if (r == 0)
			r = rkmp_keys_add(tmp, &e);
		rkmp_crypto_wipe(&e, sizeof(e));
	}
	for (size_t i = 0; r == 0 && i < tmp->n; i++)
		r = rkmp_keys_add(k, &tmp->e[i]);
	rkmp_keys_free(tmp);
	return r;
}

int
rkmp_keys_load_file(struct rkmp_keys *k, const char *path)
{
	FILE *f;
	char *text = NULL;
	size_t len = 0, cap = 0;
	int r;

	if ((f = fopen(path, "r")) == NULL)
		return rkmp_err_set(RKMP_E_SYSTEM, path, "%s", strerror(errno));
	for (;;) {
		size_t got;

		if (len == cap) {
			char *nt;

			if (cap >= KEYS_FILE_MAX) {
				fclose(f);
				rkmp_crypto_wipe(text, len);
				free(text);
				return rkmp_err_set(RKMP_E_USAGE, path,
				    "more than %u octets: not a key file", KEYS_FILE_MAX);
			}
			cap = cap ? cap * 2 : 8192;
			if ((nt = malloc(cap)) == NULL) {
				fclose(f);
				rkmp_crypto_wipe(text, len);
				free(text);
				return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
			}
			if (text != NULL) {
				memcpy(nt, text, len);
				rkmp_crypto_wipe(text, len);
				free(text);
			}
			text = nt;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		rkmp_crypto_wipe(text, len);
		free(text);
		return rkmp_err_set(RKMP_E_SYSTEM, path, "read: %s", strerror(e));
	}
	fclose(f);
	r = rkmp_keys_load_text(k, path, text ? text : "", len);
	rkmp_crypto_wipe(text, len);
	free(text);
	return r;
}

/* One IKE SA's keys (SPIs, suite, SK_e and SK_a of both directions) into k. */
static int
add_sa_keys(struct rkmp_keys *k, const char *path, uint64_t spi_i, uint64_t spi_r,
    const struct rkmp_sa_suite *suite, size_t e_len, size_t a_len, const uint8_t *ei,
    const uint8_t *er, const uint8_t *ai, const uint8_t *ar)
{
	struct rkmp_key_entry e;
	int r;

	memset(&e, 0, sizeof(e));
	e.spi_i = spi_i;
	e.spi_r = spi_r;
	if ((e.encr = rkmp_crypto_encr_lookup(suite->encr, suite->encr_bits)) == NULL)
		r = rkmp_err_set(RKMP_E_STATE, path, "suite: %s", rkmp_err_detail());
	else if (!e.encr->aead && (e.integ = rkmp_crypto_integ_lookup(suite->integ)) == NULL)
		r = rkmp_err_set(RKMP_E_STATE, path, "suite: %s", rkmp_err_detail());
	else {
		e.e_len = e.encr->key_len + e.encr->salt_len;
		e.a_len = e.integ ? e.integ->key_len : 0;
		if (e_len != e.e_len || a_len != e.a_len || e.e_len > sizeof(e.sk_ei) ||
		    e.a_len > sizeof(e.sk_ai))
			r = rkmp_err_set(RKMP_E_STATE, path,
			    "secrets: sk_e %zu / sk_a %zu octets, suite %s needs %zu / %zu",
			    e_len, a_len, e.encr->name, e.e_len, e.a_len);
		else {
			memcpy(e.sk_ei, ei, e.e_len);
			memcpy(e.sk_er, er, e.e_len);
			memcpy(e.sk_ai, ai, e.a_len);
			memcpy(e.sk_ar, ar, e.a_len);
			r = rkmp_keys_add(k, &e);
		}
	}
	rkmp_crypto_wipe(&e, sizeof(e));
	return r;
}

int
rkmp_keys_load_state(struct rkmp_keys *k, const char *path)
{
	struct rkmp_sa *sa;
	int r;

	if ((sa = calloc(1, sizeof(*sa))) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	if ((r = rkmp_state_load(path, sa)) != 0) {
		rkmp_sa_wipe(sa);
		free(sa);
		return r;
	}
	if (sa->sec.e_len == 0 || sa->spi_r == 0)
		r = rkmp_err_set(RKMP_E_STATE, path, "phase %s: no IKE SA keys yet",
		    rkmp_phase_name(sa->phase));
	else
		r = add_sa_keys(k, path, sa->spi_i, sa->spi_r, &sa->suite, sa->sec.e_len, sa->sec.a_len,
		    sa->sec.sk_ei, sa->sec.sk_er, sa->sec.sk_ai, sa->sec.sk_ar);
	/* in the middle of a rekey of the RKMP SA the state keeps the old SA too:
	 * the rekey and the Delete of the old SA travel on it */
	if (r == 0 && sa->old.spi_i != 0)
		r = add_sa_keys(k, path, sa->old.spi_i, sa->old.spi_r, &sa->old.suite, sa->old.e_len,
		    sa->old.a_len, sa->old.sk_ei, sa->old.sk_er, sa->old.sk_ai, sa->old.sk_ar);
	rkmp_sa_wipe(sa);
	free(sa);
	return r;
}

/* ------------------------------------------------------------------ writers */

struct out {
	char	*p;
	size_t	 len, at;
	bool	 full;
};

static void
put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->at, o->len - o->at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->at)
		o->full = true;
	else
		o->at += (size_t)n;
}

static void
put_hex(struct out *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(o, "%02x", p[i]);
}

static int
out_done(struct out *o, const char *what)
{
	if (o->full) {
		if (o->len > 0)
			o->p[0] = '\0';
		return rkmp_err_set(RKMP_E_INTERNAL, what, "output buffer of %zu octets too small",
		    o->len);
	}
	return 0;
}

int
rkmp_keys_wireshark_line(const struct rkmp_key_entry *e, char *buf, size_t len)
{
	struct out o = { buf, len, 0, len == 0 };
	const char *en = NULL, *in = NULL;

	for (size_t i = 0; i < nitems(ws_encr_names); i++)
		if (ws_encr_names[i].id == e->encr->id && ws_encr_names[i].bits == e->encr->key_bits)
			en = ws_encr_names[i].name;
	if (e->integ == NULL)
		in = "NONE [RFC4306]";
	else
		for (size_t i = 0; i < nitems(ws_integ_names); i++)
			if (ws_integ_names[i].id == e->integ->id && !ws_integ_names[i].none)
				in = ws_integ_names[i].name;
	if (en == NULL)
		return rkmp_err_set(RKMP_E_CRYPTO, "Wireshark", "no IKEv2 decryption for %s",
		    e->encr->name);
	if (in == NULL)
		return rkmp_err_set(RKMP_E_CRYPTO, "Wireshark", "no IKEv2 integrity check for %s",
		    e->integ->name);
	put(&o, "%016llx,%016llx,", (unsigned long long)e->spi_i, (unsigned long long)e->spi_r);
	put_hex(&o, e->sk_ei, e->e_len);
	put(&o, ",");
	put_hex(&o, e->sk_er, e->e_len);
	put(&o, ",\"%s\",", en);
	put_hex(&o, e->sk_ai, e->a_len);
	put(&o, ",");
	put_hex(&o, e->sk_ar, e->a_len);
	put(&o, ",\"%s\"\n", in);
	return out_done(&o, "Wireshark");
}

int
rkmp_keys_tcpdump_lines(const struct rkmp_key_entry *e, char *buf, size_t len)
{
	struct out o = { buf, len, 0, len == 0 };
	const char *en = NULL, *in = NULL;

	for (size_t i = 0; i < nitems(td_encr_names); i++)
		if (td_encr_names[i].id == e->encr->id && td_encr_names[i].bits == e->encr->key_bits)
			en = td_encr_names[i].name;
	if (en == NULL)
		return rkmp_err_set(RKMP_E_CRYPTO, "tcpdump", "no IKEv2 decryption for %s%s",
		    e->encr->name, e->encr->aead ? " (tcpdump has no AEAD support)" : "");
	for (size_t i = 0; e->integ != NULL && i < nitems(td_integ_names); i++)
		if (td_integ_names[i].id == e->integ->id)
			in = td_integ_names[i].name;
	if (in == NULL)
		return rkmp_err_set(RKMP_E_CRYPTO, "tcpdump", "no name for %s",
		    e->integ ? e->integ->name : "AEAD");
	for (int dir = 0; dir < 2; dir++) {
		put(&o, "ikev2 %c 0x%016llx 0x%016llx %s:0x", dir == 0 ? 'I' : 'R',
		    (unsigned long long)e->spi_i, (unsigned long long)e->spi_r, in);
		put_hex(&o, dir == 0 ? e->sk_ai : e->sk_ar, e->a_len);
		/* tcpdump strips a 12-octet ICV only when told "-hmac96" */
		put(&o, " %s%s:0x", en, e->integ->icv_len == 12 ? "-hmac96" : "");
		put_hex(&o, dir == 0 ? e->sk_ei : e->sk_er, e->e_len);
		put(&o, "\n");
	}
	return out_done(&o, "tcpdump");
}

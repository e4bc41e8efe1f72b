/* SPDX-License-Identifier: MIT */
/*
 * state.c — the JSON state file of one side of one RKMP SA (DESIGN.md §6),
 * read into struct rkmp_sa with jansson, written from it with the JSON
 * writer (lib/json.h).
 *
 * Writing: one fixed key order, indented as JSON_INDENT(2) (rkmp_jw_indent),
 * a trailing newline, so two saves of the same SA are the same bytes and
 * goldens can compare files.
 * Empty optional values are left out rather than written as "" or 0.
 *
 * Reading, in three passes: every member present is read and checked for
 * its type and range; then every member the state's phase (and what it
 * holds: a pending request, the old SA of a rekey, children) needs must be
 * there (one table, needs[]); then the values must fit together: SK_* as long
 * as the suite's rows say, DH private values as their group's, child KEYMAT
 * as its protocol and transforms', non-zero SPIs, RFC-sized nonces.  Nothing
 * defaults silently; unknown keys are ignored (a newer writer may add some).
 * Every refusal names the file, the member by its JSON path and the reason:
 * "a.json: ike_sa.mid_next: missing (phase established needs it)".  Secret
 * values are never quoted.
 *
 * Added later, optional, so that older files still load: children[].created
 * and ike_sa.created (Unix seconds, the daemon's clock for lifetimes across
 * restarts), and a rekeyed-in child's rekey_of, initiator and nonce_min
 * (RFC 7296 §2.8.1; rekey_of brings the other two).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <jansson.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "file.h"
#include "hex.h"
#include "ike.h"
#include "json.h"
#include "names.h"
#include "nitems.h"
#include "proposal.h"
#include "protocols.h"
#include "sa.h"
#include "state.h"
#include "wire.h"

#define STATE_FORMAT		"rkmp-state"
#define STATE_FILE_MAX		(64u << 20)	/* a full transcript is ~9 MiB */
#define STATE_CHILD_TRANSFORMS	8		/* struct rkmp_sa_child.transforms */


/* ------------------------------------------------------- jansson memory */

#ifdef __GLIBC__
/*
 * jansson copies every string it parses or is given (and its lexer keeps a
 * scratch copy of each token), then frees them without wiping: the secrets'
 * hex would stay in freed heap.  jansson's free hook gets no size, but
 * glibc knows it, so this free wipes the whole block first.
 */
static void
state_json_free(void *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, malloc_usable_size(p));
		free(p);
	}
}
#endif

/*
 * Installed only over jansson's defaults (plain malloc and free), so blocks
 * allocated before the switch are freed correctly after it, and a program
 * that set its own allocator keeps it.
 */
static void
state_json_wipe_on_free(void)
{
#ifdef __GLIBC__
	json_malloc_t m;
	json_free_t f;

	json_get_alloc_funcs(&m, &f);
	if (m == malloc && f == free)
		json_set_alloc_funcs(malloc, state_json_free);
#endif
}

/* ------------------------------------------------------------------ hex */


/* s must have been checked by ld_hex_check(). */
static void
hex_decode(const char *s, size_t octets, uint8_t *out)
{
	for (size_t i = 0; i < octets; i++)
		out[i] = (uint8_t)(rkmp_hex_digit((unsigned char)s[2 * i]) << 4 |
		    rkmp_hex_digit((unsigned char)s[2 * i + 1]));
}

/* The SA's UDP endpoints, one member each: {"addr", "port"}. */
struct endpoint {
	const char	*name;
	size_t		 addr, port;	/* offsets in struct rkmp_sa */
};
static const struct endpoint endpoints[] = {
	{ "peer", offsetof(struct rkmp_sa, peer_addr), offsetof(struct rkmp_sa, peer_port) },
	{ "local", offsetof(struct rkmp_sa, local_addr), offsetof(struct rkmp_sa, local_port) },
};

/* ----------------------------------------------------------------- load */

struct ld {
	const char	*path;
};

static int
ld_err(const struct ld *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
ld_err(const struct ld *L, const char *fmt, ...)
{
	char detail[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return rkmp_err_set(RKMP_E_STATE, L->path, "%s", detail);
}

/* "ike_sa" + "ni" -> "ike_sa.ni"; "" + "phase" -> "phase". */
static const char *
key_name(char *buf, size_t n, const char *pfx, const char *key)
{
	snprintf(buf, n, "%s%s%s", pfx, *pfx != '\0' ? "." : "", key);
	return buf;
}

/* A value from the file, fit to quote in one line of an error. */
static const char *
quote(const char *s, char *buf, size_t n)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 4 < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0' && i >= 3) {
		memcpy(buf + i - 3, "...", 3);
	}
	buf[i] = '\0';
	return buf;
}

static const char *
json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

static int
ld_missing(const struct ld *L, const char *k)
{
	return ld_err(L, "%s: missing (required)", k);
}

static int
ld_type(const struct ld *L, const char *k, const char *want, const json_t *v)
{
	return ld_err(L, "%s: expected %s, got %s", k, want, json_kind(v));
}

/* A member that must be an object (or array) when present; *out NULL when absent. */
static int
ld_container(const struct ld *L, const json_t *obj, const char *pfx, const char *key,
    bool array, json_t **out)
{
	char k[96];
	json_t *v;

	*out = NULL;
	if ((v = json_object_get(obj, key)) == NULL)
		return 0;
	if (array ? !json_is_array(v) : !json_is_object(v))
		return ld_type(L, key_name(k, sizeof(k), pfx, key),
		    array ? "an array" : "an object", v);
	*out = v;
	return 0;
}

/* A string member; *out NULL when absent and not required. */
static int
ld_string(const struct ld *L, const json_t *obj, const char *pfx, const char *key,
    bool required, const char **out)
{
	char k[96];
	json_t *v;

	*out = NULL;
	key_name(k, sizeof(k), pfx, key);
	if ((v = json_object_get(obj, key)) == NULL)
		return required ? ld_missing(L, k) : 0;
	if (!json_is_string(v))
		return ld_type(L, k, "a string", v);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return ld_err(L, "%s: contains a NUL character", k);
	*out = json_string_value(v);
	return 0;
}

/* A string member copied into a char array of dstsz (with its NUL). */
static int
ld_text(const struct ld *L, const json_t *obj, const char *pfx, const char *key,
    char *dst, size_t dstsz)
{
	char k[96];
	const char *s;
	size_t n;
	int r;

	if ((r = ld_string(L, obj, pfx, key, false, &s)) != 0 || s == NULL)
		return r;
	if ((n = strlen(s)) >= dstsz)
		return ld_err(L, "%s: %zu characters > %zu",
		    key_name(k, sizeof(k), pfx, key), n, dstsz - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

static int
ld_uint(const struct ld *L, const json_t *obj, const char *pfx, const char *key,
    bool required, uint64_t max, uint64_t *out)
{
	char k[96];
	json_t *v;
	json_int_t i;

	key_name(k, sizeof(k), pfx, key);
	if ((v = json_object_get(obj, key)) == NULL)
		return required ? ld_missing(L, k) : 0;
	if (!json_is_integer(v))
		return ld_type(L, k, "an integer", v);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return ld_err(L, "%s: %lld out of range 0..%" PRIu64, k, (long long)i, max);
	*out = (uint64_t)i;
	return 0;
}

static int
ld_bool(const struct ld *L, const json_t *obj, const char *pfx, const char *key,
    bool required, bool *out)
{
	char k[96];
	json_t *v;

	key_name(k, sizeof(k), pfx, key);
	if ((v = json_object_get(obj, key)) == NULL)
		return required ? ld_missing(L, k) : 0;
	if (!json_is_boolean(v))
		return ld_type(L, k, "true or false", v);
	*out = json_is_true(v);
	return 0;
}

/*
 * A registry value: its name in reg (or alt, unless RKMP_REG_MAX_), or a
 * number up to max.  A reg of RKMP_REG_MAX_ (no names known) takes numbers.
 */
static int
ld_enum(const struct ld *L, const json_t *obj, const char *pfx, const char *key,
    bool required, enum rkmp_reg reg, enum rkmp_reg alt, unsigned max, unsigned *out)
{
	char k[96], q[64];
	json_t *v;
	uint64_t u;
	int r;

	key_name(k, sizeof(k), pfx, key);
	if ((v = json_object_get(obj, key)) == NULL)
		return required ? ld_missing(L, k) : 0;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (rkmp_name_value(reg, s, out) ||
		    (alt != RKMP_REG_MAX_ && rkmp_name_value(alt, s, out)))
			return 0;
		return ld_err(L, "%s \"%s\" unknown", k, quote(s, q, sizeof(q)));
	}
	if (!json_is_integer(v))
		return ld_type(L, k, "a name or an integer", v);
	if ((r = ld_uint(L, obj, pfx, key, true, max, &u)) != 0)
		return r;
	*out = (unsigned)u;
	return 0;
}

/* Hex digits of s (slen characters) for at most max octets -> *octets. */
static int
ld_hex_check(const struct ld *L, const char *k, const char *s, size_t slen, size_t max,
    size_t *octets)
{
	for (size_t i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (rkmp_hex_digit(c) >= 0)
			continue;
		if (c >= 0x20 && c < 0x7f)
			return ld_err(L, "%s: not hex: '%c' at offset %zu", k, c, i);
		return ld_err(L, "%s: not hex: octet 0x%02x at offset %zu", k, c, i);
	}
	if (slen % 2 != 0)
		return ld_err(L, "%s: odd number of hex digits (%zu)", k, slen);
	if (slen / 2 > max)
		return ld_err(L, "%s: %zu octets > %zu", k, slen / 2, max);
	*octets = slen / 2;
	return 0;
}

/* Hex member into dst[max]; *len untouched and *present false when absent. */
static int
ld_hex(const struct ld *L, const json_t *obj, const char *pfx, const char *key,
    uint8_t *dst, size_t max, size_t *len, bool *present)
{
	char k[96];
	const char *s;
	size_t n;
	int r;

	if (present != NULL)
		*present = false;
	key_name(k, sizeof(k), pfx, key);
	if ((r = ld_string(L, obj, pfx, key, false, &s)) != 0 || s == NULL)
		return r;
	if ((r = ld_hex_check(L, k, s, strlen(s), max, &n)) != 0)
		return r;
	hex_decode(s, n, dst);
	*len = n;
	if (present != NULL)
		*present = true;
	return 0;
}

static int
ld_bytes(const struct ld *L, const json_t *obj, const char *pfx, const char *key,
    size_t max, struct rkmp_bytes *b, bool *present)
{
	return ld_hex(L, obj, pfx, key, b->p, max, &b->len, present);
}

/* An IKE SPI: exactly 16 hex digits (a JSON number would lose bits). */
static int
ld_spi(const struct ld *L, const json_t *obj, const char *pfx, const char *key, uint64_t *out)
{
	char k[96], q[64];
	const char *s;
	uint8_t b[8];
	size_t n;
	int r;

	key_name(k, sizeof(k), pfx, key);
	if ((r = ld_string(L, obj, pfx, key, false, &s)) != 0 || s == NULL)
		return r;
	for (n = 0; s[n] != '\0' && rkmp_hex_digit((unsigned char)s[n]) >= 0; n++)
		;
	if (n != 16 || s[n] != '\0')
		return ld_err(L, "%s: \"%s\" is not 16 hex digits", k, quote(s, q, sizeof(q)));
	hex_decode(s, 8, b);
	*out = rkmp_get64(b);
	return 0;
}

static int
ld_child(const struct ld *L, const json_t *c, size_t i, struct rkmp_sa_child *ch)
{
	char pfx[32], k[96], q[64];
	const char *s;
	json_t *ts;
	size_t llen = 0, plen = 0, j;
	unsigned u;
	int r;

	snprintf(pfx, sizeof(pfx), "children[%zu]", i);
	if (!json_is_object(c))
		return ld_type(L, pfx, "an object", c);
	if ((r = ld_enum(L, c, pfx, "protocol", true, RKMP_REG_PROTOCOL, RKMP_REG_MAX_, 255,
	    &u)) != 0)
		return r;
	ch->protocol = (uint8_t)u;
	if ((r = ld_hex(L, c, pfx, "spi_local", ch->spi_local, RKMP_SA_SPI_MAX, &llen,
	    NULL)) != 0 ||
	    (r = ld_hex(L, c, pfx, "spi_peer", ch->spi_peer, RKMP_SA_SPI_MAX, &plen, NULL)) != 0)
		return r;
	/* One spi_size for both; a side not known yet may be left out. */
	if (llen != 0 && plen != 0 && llen != plen)
		return ld_err(L, "%s: %zu octets != spi_local's %zu",
		    key_name(k, sizeof(k), pfx, "spi_peer"), plen, llen);
	ch->spi_size = (uint8_t)(llen > plen ? llen : plen);
	if ((r = ld_container(L, c, pfx, "transforms", true, &ts)) != 0)
		return r;
	if (ts != NULL && json_array_size(ts) > STATE_CHILD_TRANSFORMS)
		return ld_err(L, "%s: %zu transforms > %d", key_name(k, sizeof(k), pfx,
		    "transforms"), json_array_size(ts), STATE_CHILD_TRANSFORMS);
	for (j = 0; ts != NULL && j < json_array_size(ts); j++) {
		json_t *t = json_array_get(ts, j);
		char tpfx[72];
		unsigned type, id;

		snprintf(tpfx, sizeof(tpfx), "%s.transforms[%zu]", pfx, j);
		if (!json_is_object(t))
			return ld_type(L, tpfx, "an object", t);
		if ((r = ld_enum(L, t, tpfx, "type", true, RKMP_REG_TRANSFORM, RKMP_REG_MAX_,
		    UINT16_MAX, &type)) != 0 ||
		    (r = ld_enum(L, t, tpfx, "id", true, rkmp_transform_reg(type),
		    RKMP_REG_MAX_, UINT16_MAX, &id)) != 0)
			return r;
		ch->transforms[j][0] = (uint16_t)type;
		ch->transforms[j][1] = (uint16_t)id;
	}
	ch->ntransforms = j;
	if ((r = ld_string(L, c, pfx, "state", true, &s)) != 0)
		return r;
	if (!rkmp_child_state_value(s, &ch->state))
		return ld_err(L, "%s \"%s\" unknown (proposed, established, rekeyed, deleted, refused "
		    "or revoked)", key_name(k, sizeof(k), pfx, "state"), quote(s, q, sizeof(q)));
	if ((r = ld_text(L, c, pfx, "reason", ch->reason, sizeof(ch->reason))) != 0)
		return r;
	/* optional (older files have none): when, and of which rekey (RFC 7296 §2.8.1) */
	if ((r = ld_uint(L, c, pfx, "created", false, INT64_MAX, &ch->created)) != 0)
		return r;
	if (json_object_get(c, "rekey_of") == NULL)
		return 0;
	ch->rekey = true;
	if ((r = ld_hex(L, c, pfx, "rekey_of", ch->rekey_of, RKMP_SA_SPI_MAX, &llen, NULL)) != 0 ||
	    (r = ld_bool(L, c, pfx, "initiator", true, &ch->ours)) != 0 ||
	    (r = ld_bytes(L, c, pfx, "nonce_min", RKMP_SA_NONCE_MAX, &ch->nonce_min, NULL)) != 0)
		return r;
	if (llen != ch->spi_size)
		return ld_err(L, "%s: %zu octets != spi_local's %u",
		    key_name(k, sizeof(k), pfx, "rekey_of"), llen, ch->spi_size);
	return 0;
}

static int
ld_message(const struct ld *L, const json_t *e, size_t i, struct rkmp_sa_msg *m)
{
	char pfx[40], k[96];
	const char *dir, *hex;
	unsigned exch;
	uint64_t mid;
	size_t n;
	int r;

	snprintf(pfx, sizeof(pfx), "transcript[%zu]", i);
	if (!json_is_object(e))
		return ld_type(L, pfx, "an object", e);
	if ((r = ld_string(L, e, pfx, "dir", true, &dir)) != 0)
		return r;
	if (strcasecmp(dir, "sent") == 0)
		m->sent = true;
	else if (strcasecmp(dir, "received") == 0)
		m->sent = false;
	else {
		char q[64];

		return ld_err(L, "%s \"%s\" unknown (sent or received)",
		    key_name(k, sizeof(k), pfx, "dir"), quote(dir, q, sizeof(q)));
	}
	if ((r = ld_enum(L, e, pfx, "exchange", true, RKMP_REG_EXCHANGE,
	    RKMP_REG_EXCHANGE_RKMP, 255, &exch)) != 0 ||
	    (r = ld_bool(L, e, pfx, "response", true, &m->response)) != 0 ||
	    (r = ld_uint(L, e, pfx, "msg_id", true, UINT32_MAX, &mid)) != 0 ||
	    (r = ld_string(L, e, pfx, "message", true, &hex)) != 0)
		return r;
	m->exchange = (uint8_t)exch;
	m->msg_id = (uint32_t)mid;
	key_name(k, sizeof(k), pfx, "message");
	if ((r = ld_hex_check(L, k, hex, strlen(hex), RKMP_MSG_MAX, &n)) != 0)
		return r;
	if (n < RKMP_HDR_LEN)
		return ld_err(L, "%s: %zu octets < %d (IKE header)", k, n, RKMP_HDR_LEN);
	if ((m->p = malloc(n)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, L->path, "%s: %zu octets", k, n);
	hex_decode(hex, n, m->p);
	m->len = n;
	/* The labels are for readers; the header is the truth, and they must agree. */
	if (m->p[18] != m->exchange)
		return ld_err(L, "%s: %u but the message's header says %u",
		    key_name(k, sizeof(k), pfx, "exchange"), m->exchange, m->p[18]);
	if (((m->p[19] & RKMP_FLAG_R) != 0) != m->response)
		return ld_err(L, "%s: %s but the message's header says %s",
		    key_name(k, sizeof(k), pfx, "response"), m->response ? "true" : "false",
		    m->response ? "false" : "true");
	if (rkmp_get32(m->p + 20) != m->msg_id)
		return ld_err(L, "%s: %" PRIu32 " but the message's header says %" PRIu32,
		    key_name(k, sizeof(k), pfx, "msg_id"), m->msg_id, rkmp_get32(m->p + 20));
	return 0;
}

/* What a suite makes an SK_* pair: its length and the keyword of the transform that sizes it. */
struct sk_need {
	size_t		 len;
	const char	*by;		/* NULL: the suite is not one the library knows */
};

/* The needs of SK_a, SK_e (and SK_d, SK_p) of a suite, all unknown when it is not one. */
static void
sk_needs(const struct rkmp_sa_suite *suite, struct sk_need *a, struct sk_need *e,
    struct sk_need *dp)
{
	const struct rkmp_encr_alg *encr;
	const struct rkmp_prf_alg *prf;
	const struct rkmp_integ_alg *integ = NULL;
	struct rkmp_sk_lens lens;

	a->by = e->by = dp->by = NULL;
	if (suite->prf == 0 || (encr = rkmp_crypto_encr_lookup(suite->encr, suite->encr_bits)) == NULL ||
	    (prf = rkmp_crypto_prf_lookup(suite->prf)) == NULL ||
	    (suite->integ != 0 && (integ = rkmp_crypto_integ_lookup(suite->integ)) == NULL) ||
	    rkmp_crypto_sk_lens(encr, integ, prf, &lens) != 0)
		return;		/* ld_values() says what is wrong with the suite */
	*a = (struct sk_need){ lens.a, integ != NULL ? integ->keyword : encr->keyword };
	*e = (struct sk_need){ lens.e, encr->keyword };
	*dp = (struct sk_need){ lens.p, prf->keyword };
}

/*
 * sk_Xi and sk_Xr share one length field, so they must be equally long, and
 * one without the other is no key pair.  (Whether the phase needs them is
 * needs[]'s; when neither is there, ld_needs() names the first.)
 */
static int
ld_sk_pair(const struct ld *L, const json_t *sec, const char *ki, const char *kr,
    uint8_t *pi, uint8_t *pr, size_t *len, const struct sk_need *need)
{
	size_t li = 0, lr = 0;
	bool hi, hr;
	int r;

	if ((r = ld_hex(L, sec, "secrets", ki, pi, RKMP_SA_SECRET_MAX, &li, &hi)) != 0 ||
	    (r = ld_hex(L, sec, "secrets", kr, pr, RKMP_SA_SECRET_MAX, &lr, &hr)) != 0)
		return r;
	if (hi != hr)
		return ld_err(L, "secrets.%s: missing (secrets.%s is there)", hi ? kr : ki,
		    hi ? ki : kr);
	/* with a suite the library knows, the one of the wrong length is named */
	if (li != lr && need != NULL && need->by != NULL)
		return ld_err(L, "secrets.%s: %zu octets, suite %s needs %zu",
		    li != need->len ? ki : kr, li != need->len ? li : lr, need->by, need->len);
	if (li != lr)
		return ld_err(L, "secrets.%s: %zu octets != %s's %zu", kr, lr, ki, li);
	*len = li;
	return 0;
}

static int
ld_secrets(const struct ld *L, const json_t *sec, struct rkmp_sa *sa)
{
	struct sk_need a, e, p, oa, oe, op;
	json_t *kids;
	int r;

	sk_needs(&sa->suite, &a, &e, &p);
	sk_needs(&sa->old.suite, &oa, &oe, &op);
	if ((r = ld_hex(L, sec, "secrets", "dh_private", sa->sec.dh_private, RKMP_SA_DH_MAX,
	    &sa->sec.dh_private_len, NULL)) != 0 ||
	    (r = ld_hex(L, sec, "secrets", "skeyseed", sa->sec.skeyseed, RKMP_SA_SECRET_MAX,
	    &sa->sec.skeyseed_len, NULL)) != 0 ||
	    (r = ld_hex(L, sec, "secrets", "sk_d", sa->sec.sk_d, RKMP_SA_SECRET_MAX,
	    &sa->sec.d_len, NULL)) != 0 ||
	    (r = ld_sk_pair(L, sec, "sk_ai", "sk_ar", sa->sec.sk_ai, sa->sec.sk_ar,
	    &sa->sec.a_len, &a)) != 0 ||
	    (r = ld_sk_pair(L, sec, "sk_ei", "sk_er", sa->sec.sk_ei, sa->sec.sk_er,
	    &sa->sec.e_len, &e)) != 0 ||
	    (r = ld_sk_pair(L, sec, "sk_pi", "sk_pr", sa->sec.sk_pi, sa->sec.sk_pr,
	    &sa->sec.p_len, &p)) != 0 ||
	    (r = ld_hex(L, sec, "secrets", "psk_pad", sa->sec.psk_pad, RKMP_SA_SECRET_MAX,
	    &sa->sec.psk_pad_len, NULL)) != 0 ||
	    (r = ld_sk_pair(L, sec, "old_sk_ai", "old_sk_ar", sa->old.sk_ai, sa->old.sk_ar,
	    &sa->old.a_len, &oa)) != 0 ||
	    (r = ld_sk_pair(L, sec, "old_sk_ei", "old_sk_er", sa->old.sk_ei, sa->old.sk_er,
	    &sa->old.e_len, &oe)) != 0)
		return r;
	if ((r = ld_container(L, sec, "secrets", "children", true, &kids)) != 0 || kids == NULL)
		return r;
	/* without children, ld_values() says so once needs[] had its say */
	if (json_array_size(kids) != sa->nchildren && sa->nchildren != 0)
		return ld_err(L, "secrets.children: %zu entries, but children has %zu",
		    json_array_size(kids), sa->nchildren);
	for (size_t i = 0; i < sa->nchildren; i++) {
		json_t *c = json_array_get(kids, i);
		char pfx[40];

		snprintf(pfx, sizeof(pfx), "secrets.children[%zu]", i);
		if (!json_is_object(c))
			return ld_type(L, pfx, "an object", c);
		if ((r = ld_hex(L, c, pfx, "keymat", sa->children[i].keymat, RKMP_SA_KEYMAT_MAX,
		    &sa->children[i].keymat_len, NULL)) != 0)
			return r;
	}
	return 0;
}

static int	ld_suite(const struct ld *, const json_t *, const char *, struct rkmp_sa_suite *);

/* "ike_sa"."pending": our outstanding request after RKMP_SA_AUTH. */
static int
ld_pending(const struct ld *L, const json_t *p, struct rkmp_sa *sa)
{
	const char *pfx = "ike_sa.pending";
	uint64_t u = 0;
	unsigned proto = 0, g = 0;
	size_t n = 0;
	int r;

	if (p == NULL)
		return 0;
	if (!json_is_object(p))
		return ld_type(L, pfx, "an object", p);
	if ((r = ld_uint(L, p, pfx, "op", true, 7, &u)) != 0)	/* enum rkmp_child_op */
		return r;
	sa->pending.op = (uint8_t)u;
	if ((r = ld_uint(L, p, pfx, "msg_id", true, UINT32_MAX, &u)) != 0)
		return r;
	sa->pending.msg_id = (uint32_t)u;
	if ((r = ld_enum(L, p, pfx, "protocol", false, RKMP_REG_PROTOCOL, RKMP_REG_MAX_, UINT8_MAX,
	    &proto)) != 0 ||
	    (r = ld_hex(L, p, pfx, "spi_local", sa->pending.spi_local, RKMP_SA_SPI_MAX, &n, NULL)) != 0)
		return r;
	sa->pending.protocol = (uint8_t)proto;
	sa->pending.spi_size = (uint8_t)n;
	if ((r = ld_hex(L, p, pfx, "target", sa->pending.target, RKMP_SA_SPI_MAX, &n, NULL)) != 0)
		return r;
	/* one size for both (the saver writes them together) */
	if (n != 0 && n != sa->pending.spi_size)
		return ld_err(L, "%s.target: %zu octets, %s.spi_local %u", pfx, n, pfx,
		    (unsigned)sa->pending.spi_size);
	if ((r = ld_bytes(L, p, pfx, "nonce", RKMP_SA_NONCE_MAX, &sa->pending.nonce, NULL)) != 0 ||
	    (r = ld_enum(L, p, pfx, "dh_group", false, RKMP_REG_DH, RKMP_REG_MAX_, UINT16_MAX,
	    &g)) != 0)
		return r;
	sa->pending.dh_group = (uint16_t)g;
	/* a rekey of the RKMP SA: our SPI of the new SA; INVALID_KE_PAYLOAD rounds */
	if ((r = ld_spi(L, p, pfx, "ike_spi", &sa->pending.ike_spi)) != 0)
		return r;
	u = 0;
	if ((r = ld_uint(L, p, pfx, "retries", false, UINT8_MAX, &u)) != 0)
		return r;
	sa->pending.retries = (uint8_t)u;
	return 0;
}

/*
 * "ike_sa"."old": the RKMP SA a rekey replaced, until the Delete exchange on
 * it completes (its keys are the secrets "old_sk_*").
 */
static int
ld_old(const struct ld *L, const json_t *o, struct rkmp_sa *sa)
{
	const char *pfx = "ike_sa.old", *s;
	json_t *suite;
	char q[64];
	uint64_t u;
	int r;

	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return ld_type(L, pfx, "an object", o);
	if (json_object_get(o, "spi_i") == NULL)
		return ld_missing(L, "ike_sa.old.spi_i");
	if (json_object_get(o, "spi_r") == NULL)
		return ld_missing(L, "ike_sa.old.spi_r");
	if ((r = ld_spi(L, o, pfx, "spi_i", &sa->old.spi_i)) != 0 ||
	    (r = ld_spi(L, o, pfx, "spi_r", &sa->old.spi_r)) != 0)
		return r;
	if (sa->old.spi_i == 0 || sa->old.spi_r == 0)
		return ld_err(L, "%s: SPIs %016" PRIx64 ":%016" PRIx64 ": neither may be 0", pfx,
		    sa->old.spi_i, sa->old.spi_r);
	if ((r = ld_string(L, o, pfx, "role", true, &s)) != 0)
		return r;
	if (strcasecmp(s, "initiator") == 0)
		sa->old.initiator = true;
	else if (strcasecmp(s, "responder") == 0)
		sa->old.initiator = false;
	else
		return ld_err(L, "%s.role \"%s\" unknown (initiator or responder)", pfx,
		    quote(s, q, sizeof(q)));
	u = 0;
	if ((r = ld_uint(L, o, pfx, "mid_next", false, UINT32_MAX, &u)) != 0)
		return r;
	sa->old.mid_next = (uint32_t)u;
	u = 0;
	if ((r = ld_uint(L, o, pfx, "mid_peer", false, UINT32_MAX, &u)) != 0)
		return r;
	sa->old.mid_peer = (uint32_t)u;
	if ((r = ld_uint(L, o, pfx, "iv_counter_out", false, INT64_MAX,
	    &sa->old.iv_counter_out)) != 0)
		return r;
	if ((r = ld_container(L, o, pfx, "suite", false, &suite)) != 0)
		return r;
	if (suite == NULL)
		return ld_missing(L, "ike_sa.old.suite");
	return ld_suite(L, suite, "ike_sa.old.suite", &sa->old.suite);
}

static int
ld_ike_sa(const struct ld *L, const json_t *ike, struct rkmp_sa *sa)
{
	uint64_t u;
	unsigned g = 0;
	int r;

	if ((r = ld_spi(L, ike, "ike_sa", "spi_i", &sa->spi_i)) != 0 ||
	    (r = ld_spi(L, ike, "ike_sa", "spi_r", &sa->spi_r)) != 0)
		return r;
	u = sa->mid_next;
	if ((r = ld_uint(L, ike, "ike_sa", "mid_next", false, UINT32_MAX, &u)) != 0)
		return r;
	sa->mid_next = (uint32_t)u;
	u = sa->mid_peer;
	if ((r = ld_uint(L, ike, "ike_sa", "mid_peer", false, UINT32_MAX, &u)) != 0)
		return r;
	sa->mid_peer = (uint32_t)u;
	if ((r = ld_bytes(L, ike, "ike_sa", "ni", RKMP_SA_NONCE_MAX, &sa->ni, NULL)) != 0 ||
	    (r = ld_bytes(L, ike, "ike_sa", "nr", RKMP_SA_NONCE_MAX, &sa->nr, NULL)) != 0 ||
	    (r = ld_bytes(L, ike, "ike_sa", "cookie", RKMP_SA_COOKIE_MAX, &sa->cookie,
	    NULL)) != 0 ||
	    (r = ld_enum(L, ike, "ike_sa", "ke_group_sent", false, RKMP_REG_DH, RKMP_REG_MAX_,
	    UINT16_MAX, &g)) != 0)
		return r;
	sa->ke_group_sent = (uint16_t)g;
	u = sa->init_retries;
	if ((r = ld_uint(L, ike, "ike_sa", "init_retries", false, UINT32_MAX, &u)) != 0)
		return r;
	sa->init_retries = (unsigned)u;
	if ((r = ld_uint(L, ike, "ike_sa", "iv_counter_out", false, INT64_MAX,
	    &sa->iv_counter_out)) != 0 ||
	    (r = ld_uint(L, ike, "ike_sa", "created", false, INT64_MAX, &sa->created)) != 0)
		return r;
	if ((r = ld_pending(L, json_object_get(ike, "pending"), sa)) != 0)
		return r;
	return ld_old(L, json_object_get(ike, "old"), sa);
}

static int
ld_suite(const struct ld *L, const json_t *s, const char *pfx, struct rkmp_sa_suite *suite)
{
	unsigned encr = 0, bits = 0, prf = 0, integ = 0, dh = 0;
	int r;

	if ((r = ld_enum(L, s, pfx, "encr", true, RKMP_REG_ENCR, RKMP_REG_MAX_,
	    UINT16_MAX, &encr)) != 0 ||
	    (r = ld_enum(L, s, pfx, "encr_key_length", false, RKMP_REG_MAX_, RKMP_REG_MAX_,
	    UINT16_MAX, &bits)) != 0 ||
	    (r = ld_enum(L, s, pfx, "prf", true, RKMP_REG_PRF, RKMP_REG_MAX_,
	    UINT16_MAX, &prf)) != 0 ||
	    (r = ld_enum(L, s, pfx, "integ", false, RKMP_REG_INTEG, RKMP_REG_MAX_,
	    UINT16_MAX, &integ)) != 0 ||
	    (r = ld_enum(L, s, pfx, "dh", true, RKMP_REG_DH, RKMP_REG_MAX_,
	    UINT16_MAX, &dh)) != 0)
		return r;
	suite->encr = (uint16_t)encr;
	suite->encr_bits = (uint16_t)bits;
	suite->prf = (uint16_t)prf;
	suite->integ = (uint16_t)integ;
	suite->dh = (uint16_t)dh;
	return 0;
}

/* ------------------------------------------------- what a phase needs */

#define PH(p)		(1u << RKMP_PHASE_##p)
#define PH_ALL		((1u << RKMP_PHASE_MAX_) - 1)
/* RKMP_SA_INIT is over: SPIs, nonces, suite and keys are the SA's */
#define PH_KEYED	(PH(INIT_DONE) | PH(AUTH_SENT) | PH(ESTABLISHED) | PH(DELETED))
/* phases only an initiator is ever in (it sent the request) */
#define PH_INITIATOR	(PH(INIT_SENT) | PH(AUTH_SENT))
#define OP(o)		(1u << RKMP_CHILD_##o)

/* What the state holds, for members needed only then. */
enum {
	W_INTEG		= 1 << 0,	/* the suite has an INTEG transform (not AEAD) */
	W_KEYS		= 1 << 1,	/* some SK_* or psk_pad is in the secrets */
	W_OLD		= 1 << 2,	/* ike_sa.old: the SA a rekey replaced */
	W_OLD_INTEG	= 1 << 3,	/* ... and its suite has an INTEG transform */
	W_CHILDREN	= 1 << 4,	/* children is not empty */
	W_PFS		= 1 << 5,	/* the pending request sent a KE (ike_sa.pending.dh_group) */
};

/* How a needed value must look besides being there. */
enum need_kind {
	NEED_ANY,			/* present is enough (types were checked when read) */
	NEED_BYTES,			/* hex, not empty */
	NEED_SPI,			/* an IKE SPI, not 0 */
};

/*
 * Member -> the phases that need it.  A row applies when the state's phase
 * is in phases, every W_* of when holds and, with ops, the pending request's
 * op is one of them.  Containers come before their members, so a missing
 * container is named rather than its first member.  Members not listed here
 * (identities, reason, peer, seed, cookie, skeyseed, children[], transcript
 * entries...) are optional; when present pass 1 and ld_values() check them.
 */
static const struct need {
	const char	*path;
	unsigned	 phases;	/* PH() bits */
	unsigned	 when;		/* W_* bits, all of them */
	unsigned	 ops;		/* OP() bits of ike_sa.pending.op; 0: any or none */
	enum need_kind	 kind;
	const char	*why;		/* NULL: "phase X needs it" */
} needs[] = {
	{ "proposals", PH_ALL & ~PH(FAILED), 0, 0, NEED_ANY, NULL },
	{ "suite", PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "suite", PH_ALL, W_KEYS, 0, NEED_ANY, "the SK_* keys in secrets need it" },
	{ "ike_sa", PH(INIT_SENT) | PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "ike_sa.spi_i", PH(INIT_SENT) | PH_KEYED, 0, 0, NEED_SPI, NULL },
	{ "ike_sa.spi_r", PH_KEYED, 0, 0, NEED_SPI, NULL },
	{ "ike_sa.mid_next", PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "ike_sa.mid_peer", PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "ike_sa.ni", PH(INIT_SENT) | PH_KEYED, 0, 0, NEED_BYTES, NULL },
	{ "ike_sa.nr", PH_KEYED, 0, 0, NEED_BYTES, NULL },
	{ "ike_sa.ke_group_sent", PH(INIT_SENT), 0, 0, NEED_ANY, NULL },
	{ "ike_sa.init_retries", PH(INIT_SENT), 0, 0, NEED_ANY, NULL },
	{ "ike_sa.iv_counter_out", PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "ike_sa.pending.protocol", PH_ALL, 0, OP(CREATE) | OP(REKEY) | OP(DELETE), NEED_ANY,
	    NULL },
	{ "ike_sa.pending.target", PH_ALL, 0, OP(REKEY) | OP(DELETE), NEED_BYTES, NULL },
	{ "ike_sa.pending.nonce", PH_ALL, 0, OP(CREATE) | OP(REKEY) | OP(REKEY_IKE), NEED_BYTES,
	    NULL },
	{ "ike_sa.pending.dh_group", PH_ALL, 0, OP(REKEY_IKE), NEED_ANY, NULL },
	{ "ike_sa.pending.ike_spi", PH_ALL, 0, OP(REKEY_IKE), NEED_SPI, NULL },
	{ "ike_sa.old", PH_ALL, 0, OP(DELETE_OLD_IKE), NEED_ANY, NULL },
	{ "ike_sa.old.mid_next", PH_ALL, W_OLD, 0, NEED_ANY, "ike_sa.old needs it" },
	{ "ike_sa.old.mid_peer", PH_ALL, W_OLD, 0, NEED_ANY, "ike_sa.old needs it" },
	{ "ike_sa.old.iv_counter_out", PH_ALL, W_OLD, 0, NEED_ANY, "ike_sa.old needs it" },
	{ "children", PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "transcript", PH(INIT_SENT) | PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "secrets", PH(INIT_SENT) | PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "secrets", PH_ALL, W_CHILDREN, 0, NEED_ANY, "the children's keymat is there" },
	{ "secrets.dh_private", PH(INIT_SENT), 0, 0, NEED_BYTES, NULL },
	{ "secrets.dh_private", PH_ALL, W_PFS, 0, NEED_BYTES,
	    "ike_sa.pending.dh_group needs it" },
	{ "secrets.sk_d", PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "secrets.sk_ai", PH_KEYED, W_INTEG, 0, NEED_ANY, NULL },
	{ "secrets.sk_ar", PH_KEYED, W_INTEG, 0, NEED_ANY, NULL },
	{ "secrets.sk_ei", PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "secrets.sk_er", PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "secrets.sk_pi", PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "secrets.sk_pr", PH_KEYED, 0, 0, NEED_ANY, NULL },
	{ "secrets.old_sk_ai", PH_ALL, W_OLD | W_OLD_INTEG, 0, NEED_ANY, "ike_sa.old needs it" },
	{ "secrets.old_sk_ar", PH_ALL, W_OLD | W_OLD_INTEG, 0, NEED_ANY, "ike_sa.old needs it" },
	{ "secrets.old_sk_ei", PH_ALL, W_OLD, 0, NEED_ANY, "ike_sa.old needs it" },
	{ "secrets.old_sk_er", PH_ALL, W_OLD, 0, NEED_ANY, "ike_sa.old needs it" },
	{ "secrets.children", PH_ALL, W_CHILDREN, 0, NEED_ANY, "children is not empty" },
};

/* The member at a dotted path ("ike_sa.pending.nonce"), or NULL. */
static const json_t *
json_at(const json_t *root, const char *path)
{
	const json_t *v = root;
	char key[64];

	while (v != NULL && *path != '\0') {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_is_object(v) ? json_object_get(v, key) : NULL;
		path += n + (path[n] == '.');
	}
	return v;
}

static unsigned
ld_holds(const struct rkmp_sa *sa)
{
	unsigned w = 0;

	if (sa->suite.integ != 0)
		w |= W_INTEG;
	if (sa->sec.d_len || sa->sec.a_len || sa->sec.e_len || sa->sec.p_len ||
	    sa->sec.psk_pad_len)
		w |= W_KEYS;
	if (sa->old.spi_i != 0)
		w |= W_OLD;
	if (sa->old.spi_i != 0 && sa->old.suite.integ != 0)
		w |= W_OLD_INTEG;
	if (sa->nchildren > 0)
		w |= W_CHILDREN;
	if (sa->pending.op != 0 && sa->pending.dh_group != 0)
		w |= W_PFS;
	return w;
}

/* Pass 2: every member needs[] says the state needs is there (and not empty or 0). */
static int
ld_needs(const struct ld *L, const json_t *root, const struct rkmp_sa *sa)
{
	const char *phase = rkmp_phase_name(sa->phase);
	unsigned holds = ld_holds(sa);
	char why[64];

	if (!sa->initiator && (PH_INITIATOR & (1u << sa->phase)) != 0)
		return ld_err(L, "role: responder, but only an initiator is ever in phase %s",
		    phase);
	for (size_t i = 0; i < nitems(needs); i++) {
		const struct need *n = &needs[i];
		const json_t *v;

		if ((n->phases & (1u << sa->phase)) == 0 || (n->when & holds) != n->when ||
		    (n->ops != 0 && (sa->pending.op == 0 || (n->ops & (1u << sa->pending.op)) == 0)))
			continue;
		if (n->why != NULL)
			snprintf(why, sizeof(why), "%s", n->why);
		else if (n->ops != 0)
			snprintf(why, sizeof(why), "ike_sa.pending.op %u needs it", sa->pending.op);
		else
			snprintf(why, sizeof(why), "phase %s needs it", phase);
		if ((v = json_at(root, n->path)) == NULL)
			return ld_err(L, "%s: missing (%s)", n->path, why);
		if (n->kind == NEED_BYTES && json_is_string(v) && json_string_length(v) == 0)
			return ld_err(L, "%s: empty (%s)", n->path, why);
		if (n->kind == NEED_SPI && json_is_string(v) &&
		    strspn(json_string_value(v), "0") == json_string_length(v))
			return ld_err(L, "%s: %s (%s, and 0 is no SPI)", n->path, json_string_value(v),
			    why);
	}
	return 0;
}

/* ------------------------------------------------------ values together */

/* The rows of a suite; RKMP_E_STATE naming it when the library has none. */
static int
ld_suite_rows(const struct ld *L, const char *pfx, const struct rkmp_sa_suite *suite,
    const struct rkmp_encr_alg **encr, const struct rkmp_prf_alg **prf,
    const struct rkmp_integ_alg **integ, struct rkmp_sk_lens *lens)
{
	char why[256];

	*integ = NULL;
	if ((*encr = rkmp_crypto_encr_lookup(suite->encr, suite->encr_bits)) == NULL ||
	    (*prf = rkmp_crypto_prf_lookup(suite->prf)) == NULL ||
	    (suite->integ != 0 && (*integ = rkmp_crypto_integ_lookup(suite->integ)) == NULL) ||
	    rkmp_crypto_dh_lookup(suite->dh) == NULL ||
	    rkmp_crypto_sk_lens(*encr, *integ, *prf, lens) != 0) {
		snprintf(why, sizeof(why), "%s", rkmp_err_detail());
		return ld_err(L, "%s: %s", pfx, why);
	}
	return 0;
}

/* SK_* (or the old SA's) as long as the suite's rows make them. */
static int
ld_sk_lens(const struct ld *L, const json_t *sec, const struct rkmp_sa *sa, bool old)
{
	const struct rkmp_sa_suite *suite = old ? &sa->old.suite : &sa->suite;
	const struct rkmp_encr_alg *encr = NULL;
	const struct rkmp_prf_alg *prf = NULL;
	const struct rkmp_integ_alg *integ = NULL;
	struct rkmp_sk_lens lens;
	char key[32];
	int r;

	if ((r = ld_suite_rows(L, old ? "ike_sa.old.suite" : "suite", suite, &encr, &prf, &integ,
	    &lens)) != 0)
		return r;
	{
		const char *ak = integ != NULL ? integ->keyword : encr->keyword;
		size_t a_len = old ? sa->old.a_len : sa->sec.a_len;
		size_t e_len = old ? sa->old.e_len : sa->sec.e_len;
		const struct {
			const char	*key;
			bool		 of_old;	/* the old SA keeps only SK_a and SK_e */
			size_t		 have, need;
			const char	*by;		/* the transform that sizes it */
		} k[] = {
			{ "sk_d", false, sa->sec.d_len, lens.d, prf->keyword },
			{ "sk_ai", true, a_len, lens.a, ak },
			{ "sk_ar", true, a_len, lens.a, ak },
			{ "sk_ei", true, e_len, lens.e, encr->keyword },
			{ "sk_er", true, e_len, lens.e, encr->keyword },
			{ "sk_pi", false, sa->sec.p_len, lens.p, prf->keyword },
			{ "sk_pr", false, sa->sec.p_len, lens.p, prf->keyword },
			/* prf(PSK, "Key Pad for IKEv2") */
			{ "psk_pad", false, sa->sec.psk_pad_len, prf->out_len, prf->keyword },
		};

		for (size_t i = 0; i < nitems(k); i++) {
			if (old && !k[i].of_old)
				continue;
			snprintf(key, sizeof(key), "%s%s", old ? "old_" : "", k[i].key);
			if (sec == NULL || json_object_get(sec, key) == NULL || k[i].have == k[i].need)
				continue;
			return ld_err(L, "secrets.%s: %zu octets, suite %s needs %zu", key, k[i].have,
			    k[i].by, k[i].need);
		}
	}
	return 0;
}

/*
 * The KEYMAT lengths a child's protocol and transforms make (ike_child.c's rule),
 * into lens[]; 0 of them when the library cannot tell (an unknown protocol or
 * transform).  ESP's ENCR Key Length is not kept in the state: every row of
 * the ENCR ID is a candidate.
 */
static size_t
child_lens(const struct rkmp_sa_child *ch, size_t *lens, size_t max)
{
	const struct rkmp_protocol *pp;
	struct rkmp_prop_choice c;
	const struct rkmp_encr_alg *tab;
	size_t ntab, n = 0, len, e = SIZE_MAX;

	memset(&c, 0, sizeof(c));
	c.protocol = ch->protocol;
	for (size_t i = 0; i < ch->ntransforms && c.ntrans < nitems(c.trans); i++) {
		if (ch->transforms[i][0] > UINT8_MAX)
			return 0;
		if (ch->transforms[i][0] == RKMP_TRANS_ENCR && e == SIZE_MAX)
			e = c.ntrans;
		c.trans[c.ntrans].type = (uint8_t)ch->transforms[i][0];
		c.trans[c.ntrans++].id = ch->transforms[i][1];
	}
	pp = rkmp_protocol_by_id(ch->protocol);
	/* one master key, or ESP's keys with no ENCR to vary over */
	if (pp == NULL || pp->rp || e == SIZE_MAX) {
		if (rkmp_ike_child_keymat_len(&c, &len) != 0)
			return 0;
		lens[0] = len;
		return 1;
	}
	tab = rkmp_crypto_encr_table(&ntab);
	for (size_t i = 0; i < ntab && n < max; i++) {
		if (tab[i].id != c.trans[e].id)
			continue;
		c.trans[e].key_bits = tab[i].key_bits;
		if (rkmp_ike_child_keymat_len(&c, &len) == 0)
			lens[n++] = len;
	}
	return n;
}

static int
ld_child_keymat(const struct ld *L, const struct rkmp_sa *sa, size_t i)
{
	const struct rkmp_sa_child *ch = &sa->children[i];
	size_t lens[8], n;
	char list[96];
	size_t at = 0;

	/* a child in use has its keys; a refused, proposed or deleted one may not */
	if (ch->keymat_len == 0) {
		if (rkmp_child_live(ch->state))
			return ld_err(L, "secrets.children[%zu].keymat: missing (child state %s "
			    "needs it)", i, rkmp_child_state_name(ch->state));
		return 0;
	}
	if ((n = child_lens(ch, lens, nitems(lens))) == 0)
		return 0;
	for (size_t j = 0; j < n; j++) {
		if (lens[j] == ch->keymat_len)
			return 0;
		at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%zu",
		    j == 0 ? "" : j + 1 == n ? " or " : ", ", lens[j]);
		if (at >= sizeof(list))
			break;
	}
	return ld_err(L, "secrets.children[%zu].keymat: %zu octets, children[%zu] (%s) needs %s",
	    i, ch->keymat_len, i, rkmp_name_or(RKMP_REG_PROTOCOL, ch->protocol), list);
}

/* A nonce, when there is one, as long as RFC 7296 §2.10 allows. */
static int
ld_nonce(const struct ld *L, const char *k, size_t len)
{
	if (len != 0 && len < RKMP_NONCE_MIN)
		return ld_err(L, "%s: %zu octets < %d", k, len, RKMP_NONCE_MIN);
	return 0;
}

/* Pass 3: the values fit together. */
static int
ld_values(const struct ld *L, const json_t *root, const struct rkmp_sa *sa)
{
	const json_t *sec = json_object_get(root, "secrets"), *v;
	const struct rkmp_dh_group *g;
	uint16_t group = 0;
	const char *gk = NULL;
	char why[256];
	int r;

	if ((r = ld_nonce(L, "ike_sa.ni", sa->ni.len)) != 0 ||
	    (r = ld_nonce(L, "ike_sa.nr", sa->nr.len)) != 0 ||
	    (r = ld_nonce(L, "ike_sa.pending.nonce", sa->pending.nonce.len)) != 0)
		return r;
	if (json_object_get(root, "suite") != NULL &&
	    ((PH_KEYED & (1u << sa->phase)) != 0 || (ld_holds(sa) & W_KEYS) != 0) &&
	    (r = ld_sk_lens(L, sec, sa, false)) != 0)
		return r;
	if (sa->old.spi_i != 0 && (r = ld_sk_lens(L, sec, sa, true)) != 0)
		return r;
	/* our DH private value, while a KE of ours waits for the peer's */
	if (sa->pending.op != 0 && sa->pending.dh_group != 0) {
		group = sa->pending.dh_group;
		gk = "ike_sa.pending.dh_group";
	} else if (sa->phase == RKMP_PHASE_INIT_SENT) {
		group = sa->ke_group_sent;
		gk = "ike_sa.ke_group_sent";
	}
	if (gk != NULL) {
		if ((g = rkmp_crypto_dh_lookup(group)) == NULL) {
			snprintf(why, sizeof(why), "%s", rkmp_err_detail());
			return ld_err(L, "%s: %s", gk, why);
		}
		if (sa->sec.dh_private_len != g->priv_len)
			return ld_err(L, "secrets.dh_private: %zu octets, group %s needs %zu",
			    sa->sec.dh_private_len, g->keyword, g->priv_len);
	}
	if ((v = json_object_get(sec, "children")) != NULL && json_array_size(v) != sa->nchildren)
		return ld_err(L, "secrets.children: %zu entries, but children has %zu",
		    json_array_size(v), sa->nchildren);
	for (size_t i = 0; i < sa->nchildren; i++)
		if ((r = ld_child_keymat(L, sa, i)) != 0)
			return r;
	return 0;
}

static int
ld_root(const struct ld *L, const json_t *root, struct rkmp_sa *sa)
{
	json_t *ids, *suite, *peer, *ike, *kids, *tr, *sec, *v;
	const char *s;
	char q[64];
	uint64_t u;
	unsigned cp = 0;
	size_t i;
	int r;

	if (!json_is_object(root))
		return ld_err(L, "expected a JSON object, got %s", json_kind(root));

	/* What the file is, before anything else is believed. */
	if ((r = ld_string(L, root, "", "format", true, &s)) != 0)
		return r;
	if (strcmp(s, STATE_FORMAT) != 0)
		return ld_err(L, "format \"%s\" is not \"%s\"", quote(s, q, sizeof(q)),
		    STATE_FORMAT);
	if ((v = json_object_get(root, "version")) == NULL)
		return ld_missing(L, "version");
	if (!json_is_integer(v))
		return ld_type(L, "version", "an integer", v);
	if (json_integer_value(v) != RKMP_STATE_VERSION)
		return ld_err(L, "version %lld not supported (%d expected)",
		    (long long)json_integer_value(v), RKMP_STATE_VERSION);
	sa->version = RKMP_STATE_VERSION;

	if ((r = ld_string(L, root, "", "phase", true, &s)) != 0)
		return r;
	if (!rkmp_phase_value(s, &sa->phase))
		return ld_err(L, "phase \"%s\" unknown", quote(s, q, sizeof(q)));
	if ((r = ld_string(L, root, "", "role", true, &s)) != 0)
		return r;
	if (strcasecmp(s, "initiator") == 0)
		sa->initiator = true;
	else if (strcasecmp(s, "responder") == 0)
		sa->initiator = false;
	else
		return ld_err(L, "role \"%s\" unknown (initiator or responder)",
		    quote(s, q, sizeof(q)));
	if ((r = ld_string(L, root, "", "profile", true, &s)) != 0)
		return r;
	if (!rkmp_profile_value(s, &sa->profile))
		return ld_err(L, "profile \"%s\" unknown (rkmp or ikev2)", quote(s, q, sizeof(q)));
	if ((r = ld_text(L, root, "", "reason", sa->reason, sizeof(sa->reason))) != 0)
		return r;

	if ((r = ld_container(L, root, "", "identities", false, &ids)) != 0)
		return r;
	if (ids != NULL &&
	    ((r = ld_text(L, ids, "identities", "local", sa->id_local,
	    sizeof(sa->id_local))) != 0 ||
	    (r = ld_text(L, ids, "identities", "peer", sa->id_peer,
	    sizeof(sa->id_peer))) != 0 ||
	    (r = ld_text(L, ids, "identities", "peer_seen", sa->id_peer_seen,
	    sizeof(sa->id_peer_seen))) != 0))
		return r;
	if ((r = ld_text(L, root, "", "proposals", sa->proposals,
	    sizeof(sa->proposals))) != 0 ||
	    (r = ld_text(L, root, "", "child_proposals", sa->child_proposals,
	    sizeof(sa->child_proposals))) != 0 ||
	    (r = ld_enum(L, root, "", "child_protocol", false, RKMP_REG_PROTOCOL, RKMP_REG_MAX_,
	    255, &cp)) != 0 ||
	    (r = ld_bool(L, root, "", "childless", false, &sa->childless)) != 0 ||
	    (r = ld_bool(L, root, "", "fragmentation", false, &sa->fragmentation)) != 0 ||
	    (r = ld_bool(L, root, "", "nat", false, &sa->nat)) != 0)
		return r;
	if (cp != 0 && rkmp_protocol_by_id((uint8_t)cp) == NULL)
		return ld_err(L, "child_protocol %u: not a child SA protocol (%s)", cp,
		    rkmp_protocol_names(true, true));
	sa->child_protocol = (uint8_t)cp;

	if ((r = ld_container(L, root, "", "suite", false, &suite)) != 0)
		return r;
	if (suite != NULL && (r = ld_suite(L, suite, "suite", &sa->suite)) != 0)
		return r;

	for (size_t k = 0; k < nitems(endpoints); k++) {
		const struct endpoint *e = &endpoints[k];

		if ((r = ld_container(L, root, "", e->name, false, &peer)) != 0)
			return r;
		if (peer != NULL) {
			u = 0;
			if ((r = ld_text(L, peer, e->name, "addr", (char *)sa + e->addr,
			    sizeof(sa->peer_addr))) != 0 ||
			    (r = ld_uint(L, peer, e->name, "port", false, UINT16_MAX, &u)) != 0)
				return r;
			*(uint16_t *)(void *)((char *)sa + e->port) = (uint16_t)u;
		}
	}

	if ((r = ld_container(L, root, "", "ike_sa", false, &ike)) != 0)
		return r;
	if (ike != NULL && (r = ld_ike_sa(L, ike, sa)) != 0)
		return r;

	if ((r = ld_bytes(L, root, "", "seed", RKMP_SA_SEED_MAX, &sa->seed, &sa->seeded)) != 0)
		return r;

	if ((r = ld_container(L, root, "", "children", true, &kids)) != 0)
		return r;
	if (kids != NULL && json_array_size(kids) > RKMP_SA_CHILD_MAX)
		return ld_err(L, "children: %zu > %d", json_array_size(kids), RKMP_SA_CHILD_MAX);
	for (i = 0; kids != NULL && i < json_array_size(kids); i++) {
		sa->nchildren = i + 1;
		if ((r = ld_child(L, json_array_get(kids, i), i, &sa->children[i])) != 0)
			return r;
	}

	if ((r = ld_container(L, root, "", "transcript", true, &tr)) != 0)
		return r;
	if (tr != NULL && json_array_size(tr) > RKMP_SA_TRANSCRIPT_MAX)
		return ld_err(L, "transcript: %zu messages > %d", json_array_size(tr),
		    RKMP_SA_TRANSCRIPT_MAX);
	for (i = 0; tr != NULL && i < json_array_size(tr); i++) {
		/* Counted first, so rkmp_sa_wipe() frees a half-read entry. */
		sa->ntranscript = i + 1;
		if ((r = ld_message(L, json_array_get(tr, i), i, &sa->transcript[i])) != 0)
			return r;
	}

	if ((r = ld_container(L, root, "", "secrets", false, &sec)) != 0)
		return r;
	if (sec != NULL && (r = ld_secrets(L, sec, sa)) != 0)
		return r;
	if ((r = ld_needs(L, root, sa)) != 0)
		return r;
	/* the old SA's keys without the old SA (the reverse is needs[]'s) */
	if (sa->old.spi_i == 0 && (sa->old.e_len != 0 || sa->old.a_len != 0))
		return ld_err(L, "secrets.old_sk_%s: present, but ike_sa.old is missing",
		    sa->old.e_len != 0 ? "ei" : "ai");
	return ld_values(L, root, sa);
}

/* Read the whole file, refusing it before reading when others can. */
static int
state_read(const char *path, char **bufp, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap, size;
	ssize_t n;
	int fd, r;

	*bufp = NULL;
	if ((r = rkmp_file_open_secret(path, STATE_FILE_MAX, "state file", &fd, &size)) != 0)
		return r;
	/* One more than the size, to see EOF in the first pass. */
	cap = size + 1;
	if ((buf = malloc(cap)) == NULL) {
		r = rkmp_err_set(RKMP_E_NOMEM, path, "%zu octets", cap);
		goto out;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			if (cap >= STATE_FILE_MAX) {
				r = rkmp_err_set(RKMP_E_STATE, path,
				    "more than %u octets: not a state file", STATE_FILE_MAX);
				goto out;
			}
			/* The file grew while we read it: copy, so no secret is left behind. */
			if ((nb = malloc(cap * 2)) == NULL) {
				r = rkmp_err_set(RKMP_E_NOMEM, path, "%zu octets", cap * 2);
				goto out;
			}
			memcpy(nb, buf, len);
			OPENSSL_cleanse(buf, cap);
			free(buf);
			buf = nb;
			cap *= 2;
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
out:
	close(fd);
	if (r != 0) {
		if (buf != NULL) {
			OPENSSL_cleanse(buf, cap);
			free(buf);
		}
		return r;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
rkmp_state_load(const char *path, struct rkmp_sa *sa)
{
	char *buf;
	size_t len;
	int r;

	rkmp_sa_init(sa);
	if ((r = state_read(path, &buf, &len)) != 0)
		return r;
	r = rkmp_state_parse(path, buf, len, sa);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r;
}

int
rkmp_state_parse(const char *name, const char *text, size_t len, struct rkmp_sa *sa)
{
	struct ld L = { .path = name };
	json_error_t jerr;
	json_t *root;
	char *near;
	int r;

	rkmp_sa_init(sa);
	state_json_wipe_on_free();
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jansson quotes the text "near" the error: it may be a secret. */
		if ((near = strstr(jerr.text, " near ")) != NULL)
			*near = '\0';
		r = ld_err(&L, "not JSON: line %d column %d: %s", jerr.line, jerr.column,
		    jerr.text);
		OPENSSL_cleanse(&jerr, sizeof(jerr));
		return r;
	}
	r = ld_root(&L, root, sa);
	json_decref(root);
	if (r != 0)
		rkmp_sa_wipe(sa);
	return r;
}

bool
rkmp_state_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ----------------------------------------------------------------- save */

/* The document streamed in its one key order through the JSON writer
 * (lib/json.h), indented as JSON_INDENT(2) with a newline at the end. */
struct sv {
	const char	*path;
	int		 err;		/* first failure; its detail is the one kept */
	struct rkmp_jw	 w;
};

static void
sv_fail(struct sv *S, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sv_fail(struct sv *S, int code, const char *fmt, ...)
{
	char detail[384];
	va_list ap;

	if (S->err != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	S->err = rkmp_err_set(code, S->path, "%s", detail);
}

#define KEY(S, lit)	RKMP_JW_KEY(&(S)->w, lit)

static void
sv_str(struct sv *S, const char *key, const char *v)
{
	rkmp_jw_key(&S->w, key);
	rkmp_jw_str(&S->w, v);
}

static void
sv_int(struct sv *S, const char *key, int64_t v)
{
	rkmp_jw_key(&S->w, key);
	rkmp_jw_int(&S->w, v);
}

static void
sv_bool(struct sv *S, const char *key, bool v)
{
	rkmp_jw_key(&S->w, key);
	rkmp_jw_bool(&S->w, v);
}

/* A text field of a char array: NUL-terminated and UTF-8, or it is a bug
 * (k names it in the error). */
static void
sv_text(struct sv *S, const char *key, const char *k, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		sv_fail(S, RKMP_E_INTERNAL, "cannot save: %s is not NUL-terminated", k);
	else if (!rkmp_json_utf8_valid(s, n))
		sv_fail(S, RKMP_E_INTERNAL, "cannot save: %s is not UTF-8", k);
	if (S->err != 0)
		return;
	rkmp_jw_key(&S->w, key);
	rkmp_jw_strn(&S->w, s, n);
}

static void
sv_hex(struct sv *S, const char *key, const char *k, const uint8_t *p, size_t len, size_t max)
{
	if (len > max) {
		sv_fail(S, RKMP_E_INTERNAL, "cannot save: %s: %zu octets > %zu", k, len, max);
		return;
	}
	rkmp_jw_key(&S->w, key);
	rkmp_jw_hex(&S->w, p, len);
}

/* Registry value by name, or as a number when the registry has no name. */
static void
sv_enum(struct sv *S, const char *key, enum rkmp_reg reg, unsigned v)
{
	const char *n = rkmp_name(reg, v);

	rkmp_jw_key(&S->w, key);
	if (n != NULL)
		rkmp_jw_str(&S->w, n);
	else
		rkmp_jw_uint(&S->w, v);
}

static void
sv_spi(struct sv *S, const char *key, uint64_t spi)
{
	uint8_t b[8];

	for (size_t i = 0; i < sizeof(b); i++)	/* as "%016" PRIx64 */
		b[i] = (uint8_t)(spi >> (56 - 8 * i));
	rkmp_jw_key(&S->w, key);
	rkmp_jw_hex(&S->w, b, sizeof(b));
}

static void
sv_suite(struct sv *S, const struct rkmp_sa_suite *su)
{
	KEY(S, "suite");
	rkmp_jw_object(&S->w);
	sv_enum(S, "encr", RKMP_REG_ENCR, su->encr);
	if (su->encr_bits != 0)
		sv_int(S, "encr_key_length", su->encr_bits);
	sv_enum(S, "prf", RKMP_REG_PRF, su->prf);
	if (su->integ != 0)
		sv_enum(S, "integ", RKMP_REG_INTEG, su->integ);
	sv_enum(S, "dh", RKMP_REG_DH, su->dh);
	rkmp_jw_object_end(&S->w);
}

static void
sv_child(struct sv *S, const struct rkmp_sa_child *ch, size_t i)
{
	char k[64];

	snprintf(k, sizeof(k), "children[%zu].spi_local", i);
	if (ch->spi_size > RKMP_SA_SPI_MAX)
		sv_fail(S, RKMP_E_INTERNAL, "cannot save: %s: %u octets > %d", k,
		    ch->spi_size, RKMP_SA_SPI_MAX);
	if (ch->ntransforms > STATE_CHILD_TRANSFORMS) {
		snprintf(k, sizeof(k), "children[%zu].transforms", i);
		sv_fail(S, RKMP_E_INTERNAL, "cannot save: %s: %zu > %d", k, ch->ntransforms,
		    STATE_CHILD_TRANSFORMS);
	}
	if (S->err != 0)
		return;
	rkmp_jw_object(&S->w);
	sv_enum(S, "protocol", RKMP_REG_PROTOCOL, ch->protocol);
	sv_hex(S, "spi_local", k, ch->spi_local, ch->spi_size, RKMP_SA_SPI_MAX);
	sv_hex(S, "spi_peer", k, ch->spi_peer, ch->spi_size, RKMP_SA_SPI_MAX);
	KEY(S, "transforms");
	rkmp_jw_array(&S->w);
	for (size_t j = 0; j < ch->ntransforms; j++) {
		rkmp_jw_object(&S->w);
		sv_enum(S, "type", RKMP_REG_TRANSFORM, ch->transforms[j][0]);
		sv_enum(S, "id", rkmp_transform_reg(ch->transforms[j][0]), ch->transforms[j][1]);
		rkmp_jw_object_end(&S->w);
	}
	rkmp_jw_array_end(&S->w);
	sv_str(S, "state", rkmp_child_state_name(ch->state));
	if (ch->reason[0] != '\0') {
		snprintf(k, sizeof(k), "children[%zu].reason", i);
		sv_text(S, "reason", k, ch->reason, sizeof(ch->reason));
	}
	if (ch->created != 0)
		sv_int(S, "created", (int64_t)(ch->created & INT64_MAX));
	if (ch->rekey) {
		snprintf(k, sizeof(k), "children[%zu].rekey_of", i);
		sv_hex(S, "rekey_of", k, ch->rekey_of, ch->spi_size, RKMP_SA_SPI_MAX);
		sv_bool(S, "initiator", ch->ours);
		snprintf(k, sizeof(k), "children[%zu].nonce_min", i);
		sv_hex(S, "nonce_min", k, ch->nonce_min.p, ch->nonce_min.len, RKMP_SA_NONCE_MAX);
	}
	rkmp_jw_object_end(&S->w);
}

static void
sv_message(struct sv *S, const struct rkmp_sa_msg *m, size_t i)
{
	char k[64];

	snprintf(k, sizeof(k), "transcript[%zu].message", i);
	if (m->len > 0 && m->p == NULL) {
		sv_fail(S, RKMP_E_INTERNAL, "cannot save: %s: %zu octets at NULL", k, m->len);
		return;
	}
	rkmp_jw_object(&S->w);
	sv_str(S, "dir", m->sent ? "sent" : "received");
	sv_enum(S, "exchange", RKMP_REG_EXCHANGE, m->exchange);
	sv_bool(S, "response", m->response);
	sv_int(S, "msg_id", m->msg_id);
	sv_hex(S, "message", k, m->p, m->len, RKMP_MSG_MAX);
	rkmp_jw_object_end(&S->w);
}

static void
sv_secrets(struct sv *S, const struct rkmp_sa *sa)
{
	static const struct {
		const char	*key;
		size_t		 off;		/* of the value in sa->sec */
		size_t		 len_off;	/* of its length in sa->sec */
		size_t		 max;
	} f[] = {
#define SEC(k, v, l, m) { k, offsetof(struct rkmp_sa, sec.v), offsetof(struct rkmp_sa, sec.l), m }
		SEC("dh_private", dh_private, dh_private_len, RKMP_SA_DH_MAX),
		SEC("skeyseed", skeyseed, skeyseed_len, RKMP_SA_SECRET_MAX),
		SEC("sk_d", sk_d, d_len, RKMP_SA_SECRET_MAX),
		SEC("sk_ai", sk_ai, a_len, RKMP_SA_SECRET_MAX),
		SEC("sk_ar", sk_ar, a_len, RKMP_SA_SECRET_MAX),
		SEC("sk_ei", sk_ei, e_len, RKMP_SA_SECRET_MAX),
		SEC("sk_er", sk_er, e_len, RKMP_SA_SECRET_MAX),
		SEC("sk_pi", sk_pi, p_len, RKMP_SA_SECRET_MAX),
		SEC("sk_pr", sk_pr, p_len, RKMP_SA_SECRET_MAX),
		SEC("psk_pad", psk_pad, psk_pad_len, RKMP_SA_SECRET_MAX),
#undef SEC
#define OLD(k, v, l) { k, offsetof(struct rkmp_sa, old.v), offsetof(struct rkmp_sa, old.l), \
	    RKMP_SA_SECRET_MAX }
		OLD("old_sk_ai", sk_ai, a_len),
		OLD("old_sk_ar", sk_ar, a_len),
		OLD("old_sk_ei", sk_ei, e_len),
		OLD("old_sk_er", sk_er, e_len),
#undef OLD
	};
	const uint8_t *base = (const uint8_t *)sa;
	char k[64];

	KEY(S, "secrets");
	rkmp_jw_object(&S->w);
	for (size_t i = 0; i < nitems(f); i++) {
		size_t len;

		memcpy(&len, base + f[i].len_off, sizeof(len));
		if (len == 0)
			continue;
		snprintf(k, sizeof(k), "secrets.%s", f[i].key);
		sv_hex(S, f[i].key, k, base + f[i].off, len, f[i].max);
	}
	KEY(S, "children");
	rkmp_jw_array(&S->w);
	for (size_t i = 0; i < sa->nchildren && S->err == 0; i++) {
		const struct rkmp_sa_child *ch = &sa->children[i];

		rkmp_jw_object(&S->w);
		if (ch->keymat_len != 0) {
			snprintf(k, sizeof(k), "secrets.children[%zu].keymat", i);
			sv_hex(S, "keymat", k, ch->keymat, ch->keymat_len, RKMP_SA_KEYMAT_MAX);
		}
		rkmp_jw_object_end(&S->w);
	}
	rkmp_jw_array_end(&S->w);
	rkmp_jw_object_end(&S->w);
}

/* The document, in the one key order DESIGN.md §6 and the goldens use. */
static void
sv_root(struct sv *S, const struct rkmp_sa *sa)
{
	const char *phase = rkmp_phase_name(sa->phase);
	const char *profile = rkmp_profile_name(sa->profile);

	if (phase == NULL || profile == NULL) {
		sv_fail(S, RKMP_E_INTERNAL, "cannot save: phase %d, profile %d", (int)sa->phase,
		    (int)sa->profile);
		return;
	}
	if (sa->nchildren > RKMP_SA_CHILD_MAX || sa->ntranscript > RKMP_SA_TRANSCRIPT_MAX) {
		sv_fail(S, RKMP_E_INTERNAL, "cannot save: %zu children (max %d), "
		    "%zu messages (max %d)", sa->nchildren, RKMP_SA_CHILD_MAX,
		    sa->ntranscript, RKMP_SA_TRANSCRIPT_MAX);
		return;
	}
	if (sa->iv_counter_out > INT64_MAX || (sa->old.spi_i != 0 && sa->old.iv_counter_out > INT64_MAX)) {
		sv_fail(S, RKMP_E_INTERNAL, "cannot save: %s %" PRIu64 " > 2^63-1",
		    sa->iv_counter_out > INT64_MAX ? "ike_sa.iv_counter_out" : "ike_sa.old.iv_counter_out",
		    sa->iv_counter_out > INT64_MAX ? sa->iv_counter_out : sa->old.iv_counter_out);
		return;
	}
	rkmp_jw_object(&S->w);
	sv_str(S, "format", STATE_FORMAT);
	sv_int(S, "version", RKMP_STATE_VERSION);
	sv_str(S, "phase", phase);
	if (sa->reason[0] != '\0')
		sv_text(S, "reason", "reason", sa->reason, sizeof(sa->reason));
	sv_str(S, "role", sa->initiator ? "initiator" : "responder");
	sv_str(S, "profile", profile);

	KEY(S, "identities");
	rkmp_jw_object(&S->w);
	sv_text(S, "local", "identities.local", sa->id_local, sizeof(sa->id_local));
	if (sa->id_peer[0] != '\0')
		sv_text(S, "peer", "identities.peer", sa->id_peer, sizeof(sa->id_peer));
	if (sa->id_peer_seen[0] != '\0')
		sv_text(S, "peer_seen", "identities.peer_seen", sa->id_peer_seen,
		    sizeof(sa->id_peer_seen));
	rkmp_jw_object_end(&S->w);

	sv_text(S, "proposals", "proposals", sa->proposals, sizeof(sa->proposals));
	if (sa->child_proposals[0] != '\0')
		sv_text(S, "child_proposals", "child_proposals", sa->child_proposals,
		    sizeof(sa->child_proposals));
	if (sa->child_protocol != 0)
		sv_enum(S, "child_protocol", RKMP_REG_PROTOCOL, sa->child_protocol);
	sv_bool(S, "childless", sa->childless);
	if (sa->fragmentation)
		sv_bool(S, "fragmentation", true);
	if (sa->nat)
		sv_bool(S, "nat", true);

	/* No suite before RKMP_SA_INIT has chosen one (every suite has a PRF). */
	if (sa->suite.prf != 0)
		sv_suite(S, &sa->suite);

	for (size_t i = 0; i < nitems(endpoints); i++) {
		const struct endpoint *e = &endpoints[i];
		const char *addr = (const char *)sa + e->addr;
		char k[32];

		if (addr[0] != '\0') {
			snprintf(k, sizeof(k), "%s.addr", e->name);
			rkmp_jw_key(&S->w, e->name);
			rkmp_jw_object(&S->w);
			sv_text(S, "addr", k, addr, sizeof(sa->peer_addr));
			sv_int(S, "port", *(const uint16_t *)(const void *)((const char *)sa + e->port));
			rkmp_jw_object_end(&S->w);
		}
	}

	KEY(S, "ike_sa");
	rkmp_jw_object(&S->w);
	sv_spi(S, "spi_i", sa->spi_i);
	sv_spi(S, "spi_r", sa->spi_r);
	sv_int(S, "mid_next", sa->mid_next);
	sv_int(S, "mid_peer", sa->mid_peer);
	sv_hex(S, "ni", "ike_sa.ni", sa->ni.p, sa->ni.len, RKMP_SA_NONCE_MAX);
	sv_hex(S, "nr", "ike_sa.nr", sa->nr.p, sa->nr.len, RKMP_SA_NONCE_MAX);
	if (sa->cookie.len != 0)
		sv_hex(S, "cookie", "ike_sa.cookie", sa->cookie.p, sa->cookie.len, RKMP_SA_COOKIE_MAX);
	if (sa->ke_group_sent != 0)
		sv_enum(S, "ke_group_sent", RKMP_REG_DH, sa->ke_group_sent);
	sv_int(S, "init_retries", sa->init_retries);
	sv_int(S, "iv_counter_out", (int64_t)sa->iv_counter_out);
	if (sa->created != 0)
		sv_int(S, "created", (int64_t)(sa->created & INT64_MAX));
	if (sa->pending.op != 0) {
		KEY(S, "pending");
		rkmp_jw_object(&S->w);
		sv_int(S, "op", sa->pending.op);
		sv_int(S, "msg_id", sa->pending.msg_id);
		if (sa->pending.protocol != 0)
			sv_enum(S, "protocol", RKMP_REG_PROTOCOL, sa->pending.protocol);
		if (sa->pending.spi_size != 0) {
			sv_hex(S, "spi_local", "ike_sa.pending.spi_local", sa->pending.spi_local,
			    sa->pending.spi_size, RKMP_SA_SPI_MAX);
			sv_hex(S, "target", "ike_sa.pending.target", sa->pending.target,
			    sa->pending.spi_size, RKMP_SA_SPI_MAX);
		}
		if (sa->pending.nonce.len != 0)
			sv_hex(S, "nonce", "ike_sa.pending.nonce", sa->pending.nonce.p,
			    sa->pending.nonce.len, RKMP_SA_NONCE_MAX);
		if (sa->pending.dh_group != 0)
			sv_enum(S, "dh_group", RKMP_REG_DH, sa->pending.dh_group);
		if (sa->pending.ike_spi != 0)
			sv_spi(S, "ike_spi", sa->pending.ike_spi);
		if (sa->pending.retries != 0)
			sv_int(S, "retries", sa->pending.retries);
		rkmp_jw_object_end(&S->w);
	}
	if (sa->old.spi_i != 0) {
		KEY(S, "old");
		rkmp_jw_object(&S->w);
		sv_spi(S, "spi_i", sa->old.spi_i);
		sv_spi(S, "spi_r", sa->old.spi_r);
		sv_str(S, "role", sa->old.initiator ? "initiator" : "responder");
		sv_int(S, "mid_next", sa->old.mid_next);
		sv_int(S, "mid_peer", sa->old.mid_peer);
		sv_int(S, "iv_counter_out", (int64_t)sa->old.iv_counter_out);
		sv_suite(S, &sa->old.suite);
		rkmp_jw_object_end(&S->w);
	}
	rkmp_jw_object_end(&S->w);

	if (sa->seeded)
		sv_hex(S, "seed", "seed", sa->seed.p, sa->seed.len, RKMP_SA_SEED_MAX);

	KEY(S, "children");
	rkmp_jw_array(&S->w);
	for (size_t i = 0; i < sa->nchildren && S->err == 0; i++)
		sv_child(S, &sa->children[i], i);
	rkmp_jw_array_end(&S->w);

	KEY(S, "transcript");
	rkmp_jw_array(&S->w);
	for (size_t i = 0; i < sa->ntranscript && S->err == 0; i++)
		sv_message(S, &sa->transcript[i], i);
	rkmp_jw_array_end(&S->w);

	if (S->err == 0)
		sv_secrets(S, sa);
	rkmp_jw_object_end(&S->w);
}

int
rkmp_state_save(const char *path, const struct rkmp_sa *sa)
{
	char *buf;
	size_t len;
	int r;

	if ((r = rkmp_state_dump(path, sa, &buf, &len)) != 0)
		return r;
	r = rkmp_file_replace(path, buf, len);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r;
}

int
rkmp_state_dump(const char *name, const struct rkmp_sa *sa, char **out, size_t *outlen)
{
	struct sv S = { .path = name, .err = 0 };
	struct rkmp_buf b;
	int r;

	*out = NULL;
	*outlen = 0;
	rkmp_buf_init(&b, STATE_FILE_MAX);
	rkmp_jw_init(&S.w, &b, false);
	rkmp_jw_indent(&S.w, 2);
	sv_root(&S, sa);
	if (S.err == 0 && (r = rkmp_jw_finish(&S.w)) != 0)
		S.err = rkmp_err_set(r, name, "serializing: %s", rkmp_err_detail());
	/* into a malloc'd copy with the newline; the buffer is wiped as it is freed */
	if (S.err == 0 && (*out = malloc(b.len + 1)) == NULL)
		S.err = rkmp_err_set(RKMP_E_NOMEM, name, "serializing %zu octets", b.len);
	if (S.err == 0) {
		memcpy(*out, b.p, b.len);
		(*out)[b.len] = '\n';
		*outlen = b.len + 1;
	}
	rkmp_buf_free(&b);
	return S.err;
}

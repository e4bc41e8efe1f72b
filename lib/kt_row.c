/* SPDX-License-Identifier: MIT */
/*
 * kt_row.c — a row of the key table (keytable.h): the names of protocols
 * and directions, the AlgIDs each protocol takes and ESP's suites, times,
 * key names, RKMP SA links and peers, the check of a whole row with the
 * detail a user sees, and its state at a time.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "hex.h"
#include "keytable.h"
#include "kt_int.h"
#include "nitems.h"
#include "protocols.h"
#include "wire.h"

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

const char *const kt_dir_names[] = { "in", "out", "both", "disabled" };

const char *
rkmp_keytable_dir_name(enum rkmp_keytable_dir d)
{
	return (unsigned)d < nitems(kt_dir_names) ? kt_dir_names[d] : "?";
}

/* An AlgID of a protocol: a row of its descriptor's AlgIDs (protocols.c). */
const struct rkmp_proto_alg *
kt_alg_rule(uint8_t proto, const char *alg)
{
	const struct rkmp_protocol *p = rkmp_protocol_by_id(proto);

	for (size_t i = 0; p != NULL && i < p->nalgs; i++)
		if (strcmp(p->algs[i].alg, alg) == 0)
			return &p->algs[i];
	return NULL;
}

/* The suite an ESP AlgID names (kt_int.h: struct esp_suite); false when none. */
bool
kt_esp_suite(const char *alg, struct esp_suite *s)
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

void
kt_time_split(int64_t t, int64_t *y, int *mo, int *d, int *h, int *mi, int *s)
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

	kt_time_split(t, &y, &mo, &d, &h, &mi, &s);
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

void
kt_paddr_parse(const char *s, struct paddr *p)
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
	kt_paddr_parse(s, &p);
	return p.af != 0;
}

bool
kt_paddr_eq(const struct paddr *a, const char *as, const struct paddr *b, const char *bs)
{
	if (a->af != b->af)
		return false;
	if (a->af == 0)
		return strcmp(as, bs) == 0;
	return memcmp(a->a, b->a, a->af == AF_INET ? 4 : 16) == 0;
}

/* ================================================================ rows: validation */

/* "row N: " or "" before a validation message. */
int
kt_vfail(const char *where, size_t idx, const char *fmt, ...)
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

/* A value quoted for a message (as the JSON reader quotes a member name). */
const char *
kt_q(const char *s, char *buf, size_t n)
{
	return rkmp_json_quote(s, buf, n);
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
		return kt_vfail(where, idx, "%s: empty", col);
	}
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return kt_vfail(where, idx, "%s %s: not lowercase hexadecimal (RFC 7210 §5.1)",
			    col, kt_q(s, b, sizeof(b)));
	if (n != digits)
		return kt_vfail(where, idx, "%s %s: %s key names are %zu hex digits (RFC 7210 §5.1)",
		    col, kt_q(s, b, sizeof(b)), proto, digits);
	return 0;
}

/* parsed: the row comes from the reader, which checked its free-form JSON */
int
kt_validate_in(const struct rkmp_keytable_row *r, size_t idx, const char *where, bool parsed)
{
	char b1[80], b2[80];
	const struct rkmp_protocol *pp = rkmp_protocol_by_id(r->protocol);
	const char *pname;

	/* AdminKeyName */
	if (r->admin_name == NULL || r->admin_name[0] == '\0')
		return kt_vfail(where, idx, "AdminKeyName: empty");
	if (strlen(r->admin_name) > KT_TEXT_MAX ||
	    !rkmp_json_utf8_valid(r->admin_name, strlen(r->admin_name)))
		return kt_vfail(where, idx, "AdminKeyName: over %d octets or not UTF-8", KT_TEXT_MAX);
	if (pp == NULL)
		return kt_vfail(where, idx, "Protocol %u: not %s", r->protocol,
		    rkmp_protocol_names(true, true));
	pname = pp->name;
	/* LocalKeyName, PeerKeyName (an empty PeerKeyName: a group key) */
	if (r->local_name == NULL || r->peer_name == NULL)
		return kt_vfail(where, idx, "%s: missing", r->local_name ? "PeerKeyName" : "LocalKeyName");
	if (check_keyname(where, idx, "LocalKeyName", r->local_name, 2u * pp->spi_len,
	    pname, false) != 0 ||
	    check_keyname(where, idx, "PeerKeyName", r->peer_name, 2u * pp->spi_len,
	    pname, true) != 0)
		return RKMP_E_STATE;
	/* Peers */
	if (r->npeers == 0 || r->peers == NULL)
		return kt_vfail(where, idx, "Peers: empty (the peers that hold the key)");
	if (r->npeers > KT_SET_MAX)
		return kt_vfail(where, idx, "Peers: %zu > %d", r->npeers, KT_SET_MAX);
	for (size_t i = 0; i < r->npeers; i++) {
		struct paddr a, c;

		if (r->peers[i] == NULL || !rkmp_keytable_peer_ok(r->peers[i]))
			return kt_vfail(where, idx, "Peers[%zu] %s: not an IPv4 or IPv6 address or "
			    "group:NAME", i, kt_q(r->peers[i] ? r->peers[i] : "", b1, sizeof(b1)));
		kt_paddr_parse(r->peers[i], &a);
		for (size_t k = 0; k < i; k++) {
			kt_paddr_parse(r->peers[k], &c);
			if (kt_paddr_eq(&a, r->peers[i], &c, r->peers[k]))
				return kt_vfail(where, idx, "Peers[%zu] %s: the same peer as Peers[%zu]", i,
				    kt_q(r->peers[i], b1, sizeof(b1)), k);
		}
	}
	/* Interfaces */
	if (r->ninterfaces == 0 || r->interfaces == NULL)
		return kt_vfail(where, idx, "Interfaces: empty (\"all\" for every interface)");
	if (r->ninterfaces > KT_SET_MAX)
		return kt_vfail(where, idx, "Interfaces: %zu > %d", r->ninterfaces, KT_SET_MAX);
	for (size_t i = 0; i < r->ninterfaces; i++) {
		const char *n = r->interfaces[i];

		if (n == NULL || n[0] == '\0' || strlen(n) > 255 ||
		    !rkmp_json_utf8_valid(n, strlen(n)))
			return kt_vfail(where, idx, "Interfaces[%zu]: empty, over 255 octets or not UTF-8",
			    i);
		if (strcmp(n, "all") == 0 && r->ninterfaces > 1)
			return kt_vfail(where, idx, "Interfaces: \"all\" with other names");
		for (size_t k = 0; k < i; k++)
			if (strcmp(n, r->interfaces[k]) == 0)
				return kt_vfail(where, idx, "Interfaces[%zu] %s: listed twice", i,
				    kt_q(n, b1, sizeof(b1)));
	}
	/* ProtocolSpecificInfo */
	if (r->psi == NULL)
		return kt_vfail(where, idx, "ProtocolSpecificInfo: a JSON object expected");
	if (!parsed && kt_json_object_check(r->psi, false, where, idx) != 0)
		return RKMP_E_STATE;
	/* KDF, AlgID, Key */
	if (r->kdf == NULL || r->alg_id == NULL)
		return kt_vfail(where, idx, "%s: missing", r->kdf ? "AlgID" : "KDF");
	if (r->key == NULL || r->key_len == 0)
		return kt_vfail(where, idx, "Key: empty");
	if (r->key_len > RKMP_KEYTABLE_KEY_MAX)
		return kt_vfail(where, idx, "Key: %zu octets > %d", r->key_len, RKMP_KEYTABLE_KEY_MAX);
	if (!pp->rp) {
		struct esp_suite s;

		if (strcmp(r->kdf, "none") != 0)
			return kt_vfail(where, idx, "KDF %s: esp keys are used as they are (\"none\")",
			    kt_q(r->kdf, b1, sizeof(b1)));
		if (!kt_esp_suite(r->alg_id, &s))
			return kt_vfail(where, idx, "AlgID %s: not an ESP suite (aes128-sha256, "
			    "aes256gcm16, chacha20poly1305, ...)", kt_q(r->alg_id, b1, sizeof(b1)));
		if (r->key_len != 2 * s.half)
			return kt_vfail(where, idx, "Key: %zu octets; %s needs %zu (outbound and inbound "
			    "keys, %zu each)", r->key_len, r->alg_id, 2 * s.half, s.half);
	} else {
		const struct rkmp_proto_alg *ar = kt_alg_rule(r->protocol, r->alg_id);

		if (ar == NULL) {
			char list[160] = "";

			for (size_t i = 0; i < pp->nalgs; i++) {
				if (list[0])
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
				strncat(list, pp->algs[i].alg, sizeof(list) - strlen(list) - 1);
			}
			return kt_vfail(where, idx, "AlgID %s: not one for %s (%s)",
			    kt_q(r->alg_id, b1, sizeof(b1)), pname, list);
		}
		if (strcmp(ar->kdf, r->kdf) != 0)
			return kt_vfail(where, idx, "KDF %s: AlgID %s goes with KDF %s%s%s%s",
			    kt_q(r->kdf, b1, sizeof(b1)), ar->alg, ar->kdf, pp->kdf_ref ? " (" : "",
			    pp->kdf_ref ? pp->kdf_ref : "", pp->kdf_ref ? ")" : "");
		if (r->key_len < ar->kmin || r->key_len > ar->kmax)
			return kt_vfail(where, idx, "Key: %zu octets; %s takes %zu to %zu", r->key_len,
			    ar->alg, ar->kmin, ar->kmax);
	}
	/* Direction */
	if ((unsigned)r->direction > RKMP_KEYTABLE_DISABLED)
		return kt_vfail(where, idx, "Direction %d: not in, out, both or disabled", r->direction);
	/* lifetimes */
	if (r->send_end < r->send_start) {
		rkmp_keytable_time_format(r->send_end, b1);
		rkmp_keytable_time_format(r->send_start, b2);
		return kt_vfail(where, idx, "SendLifetimeEnd \"%s\" is before SendLifetimeStart \"%s\"",
		    b1, b2);
	}
	if (r->accept_end < r->accept_start) {
		rkmp_keytable_time_format(r->accept_end, b1);
		rkmp_keytable_time_format(r->accept_start, b2);
		return kt_vfail(where, idx, "AcceptLifetimeEnd \"%s\" is before AcceptLifetimeStart "
		    "\"%s\"", b1, b2);
	}
	/* x-rkmp */
	if (r->x.present) {
		const struct rkmp_keytable_x *x = &r->x;
		uint64_t a, c;

		if (x->proto_id >= 0 && x->proto_id != r->protocol)
			return kt_vfail(where, idx, "x-rkmp.proto_id %d: Protocol is %s (%u)", x->proto_id,
			    pname, r->protocol);
		if (x->child_spi_local != NULL && !rkmp_keytable_spi_parse(x->child_spi_local, &a))
			return kt_vfail(where, idx, "x-rkmp.child_spi_local %s: not 1 to 16 hex digits",
			    kt_q(x->child_spi_local, b1, sizeof(b1)));
		if (x->child_spi_peer != NULL && !rkmp_keytable_spi_parse(x->child_spi_peer, &a))
			return kt_vfail(where, idx, "x-rkmp.child_spi_peer %s: not 1 to 16 hex digits",
			    kt_q(x->child_spi_peer, b1, sizeof(b1)));
		if (x->rkmp_sa != NULL && (strlen(x->rkmp_sa) != 33 ||
		    !rkmp_keytable_sa_parse(x->rkmp_sa, &a, &c)))
			return kt_vfail(where, idx, "x-rkmp.rkmp_sa %s: not SPIi:SPIr (16 hex digits each)",
			    kt_q(x->rkmp_sa, b1, sizeof(b1)));
		if (x->role != NULL && strcmp(x->role, "initiator") != 0 &&
		    strcmp(x->role, "responder") != 0)
			return kt_vfail(where, idx, "x-rkmp.role %s: not initiator or responder",
			    kt_q(x->role, b1, sizeof(b1)));
		if (x->state != NULL && (x->state[0] == '\0' || strlen(x->state) > 32 ||
		    !rkmp_json_utf8_valid(x->state, strlen(x->state))))
			return kt_vfail(where, idx, "x-rkmp.state: empty, over 32 octets or not UTF-8");
		if (x->extra != NULL && !parsed && kt_json_object_check(x->extra, true, where, idx) != 0)
			return RKMP_E_STATE;
	}
	return 0;
}

int
rkmp_keytable_validate(const struct rkmp_keytable_row *row, size_t index)
{
	return kt_validate_in(row, index, "", false);
}

/* ================================================================ a row's state */

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

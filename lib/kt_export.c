/* SPDX-License-Identifier: MIT */
/*
 * kt_export.c — the exports of the key table (keytable.h, DESIGN.md §7):
 * FRR and BIRD key chains, the TCP-MD5 passwords of bird-bgp and frr-bgp,
 * RFC 8177 JSON and Wireshark's ESP SAs, a row of export_formats each.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "keytable.h"
#include "kt_int.h"
#include "nitems.h"
#include "protocols.h"
#include "wire.h"

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

/* Whether rows of protocol proto appear in (one of) the export forms forms (protocols.h). */
static bool
proto_in(uint8_t proto, unsigned forms)
{
	const struct rkmp_protocol *p = rkmp_protocol_by_id(proto);

	return p != NULL && (p->exports & forms) != 0;
}

/* The names of the protocols whose rows appear in form: "tcp-md5". */
static const char *
form_names(unsigned form, char *out, size_t len)
{
	const struct rkmp_protocol *p;
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; (p = rkmp_protocol_at(i)) != NULL; i++)
		if ((p->exports & form) != 0 && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "", p->name);
	return out;
}

static int
export_items(const struct rkmp_keytable *kt, uint8_t proto, const char *peer, unsigned forms,
    struct xitem **out, size_t *n)
{
	struct paddr fp;
	struct xitem *v;
	size_t k = 0, total = 0;

	if (peer != NULL)
		kt_paddr_parse(peer, &fp);
	for (size_t i = 0; i < kt->n; i++)
		total += kt->v[i].npeers;
	if ((v = calloc(total ? total : 1, sizeof(*v))) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "export", "out of memory");
	for (size_t i = 0; i < kt->n; i++) {
		const struct entry *e = &kt->v[i];

		if ((proto != 0 && e->protocol != proto) || !proto_in(e->protocol, forms))
			continue;
		for (size_t p = 0; p < e->npeers; p++) {
			if (peer != NULL && !kt_entry_peer_eq(e, p, &fp, peer))
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
	kt_put_fmt(b, "%s times are in the local time zone of the export, %s: the router must "
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
		kt_put_fmt(b, "  %s %s %s\n", what, ts, te);
	else if (e - s <= 2147483646)
		kt_put_fmt(b, "  %s %s duration %" PRId64 "\n", what, ts, e - s);
	else
		kt_put_fmt(b, "  %s %s infinite\n", what, ts);
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

	kt_time_split(t, &y, &mo, &d, &h, &mi, &s);
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
	kt_put_fmt(b, "%s left out: %s: %s\n", c, r->admin_name, why);
	(*skipped)++;
}

/* A group (protocol, peer) of a key chain whose protocol is not in key chains
 * (TCP-MD5: one password per neighbor, RKMP_XF_BGP): each row left out with
 * why, *i past the group. */
static bool
chain_less(const struct rkmp_keytable *kt, const struct xitem *v, size_t n, size_t *i,
    struct rkmp_buf *b, const char *c, const char *why, size_t *skipped)
{
	size_t g = *i;

	if (proto_in(v[g].proto, RKMP_XF_KEY_CHAIN))
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
	kt_put_str(b, "! rkmp-keytable export for FRR: key chains, one per protocol and peer\n"
	    "! a row is key PeerKeyName (the ID sent) and key LocalKeyName (the ID received);\n"
	    "! the key-string is the Key's hex digits, as FRR key strings are text\n");
	tz_comment(b, "!");
	for (size_t i = 0; i < n;) {
		size_t g = i;

		if (chain_less(kt, v, n, &i, b, "!", "bgpd takes TCP-MD5 as a neighbor password: "
		    "--format frr-bgp", skipped))
			continue;
		kt_put_fmt(b, "key chain rkmp-%s-%s\n", rkmp_keytable_protocol_name(v[i].proto), v[i].peer);
		for (; i < n && v[i].proto == v[g].proto && strcmp(v[i].peer, v[g].peer) == 0; i++) {
			const struct rkmp_keytable_row *r = kt->v[v[i].row].row;
			const struct rkmp_proto_alg *ar = kt_alg_rule(r->protocol, r->alg_id);
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
				kt_put_fmt(b, " key %" PRIu64 "\n", k[j].id);
				kt_put_fmt(b, "  ! %s: %s %s, %s%s\n", r->admin_name,
				    rkmp_keytable_protocol_name(r->protocol), r->alg_id,
				    k[j].role[0] ? "the ID " : "the ID both ways",
				    k[j].role[0] ? k[j].role : "");
				kt_put_str(b, "  key-string ");
				kt_put_hex(b, r->key, r->key_len, NULL);
				kt_put_str(b, "\n");
				if (ar != NULL && ar->frr != NULL)
					kt_put_fmt(b, "  cryptographic-algorithm %s\n", ar->frr);
				else
					kt_put_fmt(b, "  ! %s: FRR has no cryptographic-algorithm for it\n",
					    r->alg_id);
				frr_lifetime(b, "send-lifetime", k[j].w[0], k[j].w[1]);
				frr_lifetime(b, "accept-lifetime", k[j].w[2], k[j].w[3]);
				kt_put_str(b, " exit\n");
			}
		}
		kt_put_str(b, "exit\n");
	}
	return 0;
}

static int
export_bird(const struct rkmp_keytable *kt, const struct xitem *v, size_t n, struct rkmp_buf *b,
    size_t *skipped, int64_t now)
{
	(void)now;
	kt_put_str(b, "# rkmp-keytable export for BIRD 2: password blocks, one group per protocol and "
	    "peer,\n# for the protocol or interface block that uses them; a row is the id of "
	    "its\n# PeerKeyName (sent) and the id of its LocalKeyName (received)\n");
	tz_comment(b, "#");
	for (size_t i = 0; i < n;) {
		size_t g = i;
		const char *bfd_auth = NULL;

		if (chain_less(kt, v, n, &i, b, "#", "BIRD takes TCP-MD5 as a protocol bgp password: "
		    "--format bird-bgp", skipped))
			continue;
		kt_put_fmt(b, "# %s, peer %s\n", rkmp_keytable_protocol_name(v[i].proto), v[i].peer);
		for (; i < n && v[i].proto == v[g].proto && strcmp(v[i].peer, v[g].peer) == 0; i++) {
			const struct rkmp_keytable_row *r = kt->v[v[i].row].row;
			const struct rkmp_proto_alg *ar = kt_alg_rule(r->protocol, r->alg_id);
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
					kt_put_fmt(b, "# BFD: the interface block needs \"authentication %s;\"\n",
					    ar->bird);
					bfd_auth = ar->bird;
				}
				kt_put_fmt(b, "# %s: %s, %s%s\n", r->admin_name, r->alg_id,
				    k[j].role[0] ? "the ID " : "the ID both ways",
				    k[j].role[0] ? k[j].role : "");
				kt_put_str(b, "password ");
				kt_put_hex(b, r->key, r->key_len, ":");
				kt_put_fmt(b, " {\n\tid %" PRIu64 ";\n\tgenerate from \"%s\";\n\tgenerate to "
				    "\"%s\";\n\taccept from \"%s\";\n\taccept to \"%s\";\n", k[j].id, t[0],
				    t[1], t[2], t[3]);
				if (!ar->bird_bfd)
					kt_put_fmt(b, "\talgorithm %s;\n", ar->bird);
				kt_put_str(b, "};\n");
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
	kt_put_fmt(b, "\"%s\": {\"start-date-time\": \"%s\", \"end-date-time\": \"%s\"}", what, ts, te);
}

static int
export_rfc8177(const struct rkmp_keytable *kt, const struct xitem *v, size_t n,
    struct rkmp_buf *b, size_t *skipped, int64_t now)
{
	(void)now;
	bool first_chain = true;

	kt_put_str(b, "{\n  \"ietf-key-chain:key-chains\": {");
	for (size_t i = 0; i < n;) {
		size_t g = i;
		bool first_key = true;

		kt_put_str(b, first_chain ? "\n    \"key-chain\": [\n" : ",\n");
		first_chain = false;
		kt_put_fmt(b, "      {\n        \"name\": \"rkmp-%s-%s\",\n        \"description\": "
		    "\"rkmp-keytable: %s, peer %s\",\n        \"key\": [",
		    rkmp_keytable_protocol_name(v[i].proto), v[i].peer,
		    rkmp_keytable_protocol_name(v[i].proto), v[i].peer);
		for (; i < n && v[i].proto == v[g].proto && strcmp(v[i].peer, v[g].peer) == 0; i++) {
			const struct rkmp_keytable_row *r = kt->v[v[i].row].row;
			const struct rkmp_proto_alg *ar = kt_alg_rule(r->protocol, r->alg_id);
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
				kt_put_str(b, first_key ? "\n          " : ",\n          ");
				first_key = false;
				kt_put_fmt(b, "{\"key-id\": \"%" PRIu64 "\", \"lifetime\": {", k[j].id);
				rfc8177_lifetime(b, "send-lifetime", k[j].w[0], k[j].w[1]);
				kt_put_str(b, ", ");
				rfc8177_lifetime(b, "accept-lifetime", k[j].w[2], k[j].w[3]);
				kt_put_fmt(b, "}, \"crypto-algorithm\": \"ietf-key-chain:%s\", \"key-string\": "
				    "{\"hexadecimal-string\": \"", ar->rfc8177);
				kt_put_hex(b, r->key, r->key_len, ":");
				kt_put_str(b, "\"}}");
			}
		}
		kt_put_str(b, first_key ? "]\n      }" : "\n        ]\n      }");
	}
	kt_put_str(b, first_chain ? "}\n}\n" : "\n    ]\n  }\n}\n");
	return 0;
}

static int
export_wireshark(const struct rkmp_keytable *kt, const struct xitem *v, size_t n,
    struct rkmp_buf *b, size_t *skipped, int64_t now)
{
	(void)now;
	kt_put_str(b, "# rkmp-keytable export: Wireshark ESP SAs (the esp_sa file; Protocols > ESP),\n"
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
		if (e->paddr[v[i].pi].af == 0 || !kt_esp_suite(r->alg_id, &s)) {
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

			kt_put_fmt(b, "\"%s\",\"%s\",\"%s\",\"0x%s\",\"%s\",\"0x",
			    e->paddr[v[i].pi].af == AF_INET6 ? "IPv6" : "IPv4",
			    dir ? v[i].peer : local, dir ? local : v[i].peer,
			    dir ? r->local_name : r->peer_name, en);
			kt_put_hex(b, k, ek, NULL);
			kt_put_fmt(b, "\",\"%s\",\"%s", in, s.integ ? "0x" : "");
			if (s.integ)
				kt_put_hex(b, k + ek, s.integ->key_len, NULL);
			kt_put_str(b, "\"\n");
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
			kt_put_fmt(b, "%s left out: peer %s: no key to send at %s (%zu row%s)\n", c,
			    v[g].peer, t[0], i - g, i - g == 1 ? "" : "s");
			(*skipped)++;
			continue;
		}
		iso_time(r->send_start, t[1], sizeof(t[1]));
		iso_time(r->send_end, t[2], sizeof(t[2]));
		kt_put_fmt(b, "%s %s: sent from %s to %s\n", c, r->admin_name, t[1], t[2]);
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
	kt_put_str(b, "password \"");
	kt_put_hex(b, r->key, r->key_len, NULL);
	kt_put_str(b, "\";\n");
}

static void
frr_password(struct rkmp_buf *b, const char *peer, const struct rkmp_keytable_row *r)
{
	kt_put_fmt(b, " neighbor %s password ", peer);
	kt_put_hex(b, r->key, r->key_len, NULL);
	kt_put_str(b, "\n");
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
	kt_put_fmt(b, "# rkmp-keytable export --format bird-bgp at %s (RFC 7210 §3): the TCP-MD5\n"
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
	kt_put_fmt(b, "! rkmp-keytable export --format frr-bgp at %s (RFC 7210 §3): the TCP-MD5\n"
	    "! passwords (RFC 2385) of bgpd's neighbors, for its default instance.  A new\n"
	    "! password resets the session.\n"
	    "router bgp\n", t);
	r = bgp_passwords(kt, v, n, b, skipped, now, " !", "frr-bgp", peers, frr_password);
	kt_put_str(b, "exit\n");
	return r;
}

/*
 * The export formats, named after what they paste into.  form: the export
 * form it writes (protocols.h RKMP_XF_*; each protocol's descriptor says the
 * forms its rows appear in); lists: the forms whose rows it lists (a key
 * chain lists a BGP password's rows to leave them out with a note); only: a
 * password file, of its form's protocols alone (another --protocol is a
 * usage error, no row a refusal).  An alias (frr, bird: the key-chain forms'
 * first names) is not listed.
 */
struct rkmp_keytable_format {
	const char	*name;
	int		(*fn)(const struct rkmp_keytable *, const struct xitem *, size_t,
			    struct rkmp_buf *, size_t *, int64_t);
	unsigned	 form;
	unsigned	 lists;
	bool		 only;
	bool		 alias;
};

#define XF_CHAINS	(RKMP_XF_KEY_CHAIN | RKMP_XF_BGP)

static const struct rkmp_keytable_format export_formats[] = {
	{ "bird-bgp", export_bird_bgp, RKMP_XF_BGP, RKMP_XF_BGP, true, false },
	{ "frr-bgp", export_frr_bgp, RKMP_XF_BGP, RKMP_XF_BGP, true, false },
	{ "bird-keychain", export_bird, RKMP_XF_KEY_CHAIN, XF_CHAINS, false, false },
	{ "frr-keychain", export_frr, RKMP_XF_KEY_CHAIN, XF_CHAINS, false, false },
	{ "rfc8177", export_rfc8177, RKMP_XF_RFC8177, RKMP_XF_RFC8177, false, false },
	{ "wireshark-esp", export_wireshark, RKMP_XF_ESP_SA, RKMP_XF_ESP_SA, false, false },
	{ "bird", export_bird, RKMP_XF_KEY_CHAIN, XF_CHAINS, false, true },
	{ "frr", export_frr, RKMP_XF_KEY_CHAIN, XF_CHAINS, false, true },
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
	char names[96];
	int r;

	if (fmt->only && proto != 0 && !proto_in(proto, fmt->form))
		return rkmp_err_set(RKMP_E_USAGE, fmt->name, "carries %s keys, not %s",
		    form_names(fmt->form, names, sizeof(names)), rkmp_keytable_protocol_name(proto));
	/* every row is written: build them all */
	for (size_t i = 0; i < kt->n; i++)
		if (rkmp_keytable_at(kt, i) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, "export", "out of memory");
	if ((r = export_items(kt, proto, peer, fmt->lists, &v, &n)) != 0)
		return r;
	if (n == 0 && fmt->only) {	/* a password file with none is no file */
		free(v);
		return rkmp_err_set(RKMP_E_REFUSED, fmt->name, "no %s rows%s%s",
		    form_names(fmt->form, names, sizeof(names)), peer ? " for " : "", peer ? peer : "");
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

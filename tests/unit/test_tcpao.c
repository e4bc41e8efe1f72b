/* SPDX-License-Identifier: MIT */
/*
 * test_tcpao.c — lib/tcpao against the 32 RFC 9235 vectors in
 * testdata/vectors/rfc9235-tcp-ao-test-vectors.txt (copied verbatim from the
 * RFC's draft text), parsed, never retyped, plus the failure cases.
 *
 * Each "[4.1.2 ...]" record gives a traffic key, a whole IP packet and its
 * MAC.  The connection is rebuilt from the packet alone: addresses from the
 * IP header, ports and sequence numbers from the TCP header.  A SYN's ISN is
 * its sequence number and the peer's is 0; a SYN-ACK has both (its own and
 * ack - 1); a later segment takes the ISNs the section's SYN and SYN-ACK
 * set.  The key is derived from the sender's view and the MAC computed with
 * SNE 0; every failure names the record and the value that differs.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"
#include "tcpao.h"
#include "test_helper.h"
#include "tests.h"

#define TV_FILE		"rfc9235-tcp-ao-test-vectors.txt"
#define TV_COUNT	32
#define TV_QUIRKS	1	/* "41a" in 4.2.2 */
#define HEX_ACC		2048	/* bigger than any hex block in the file */
#define AO_KIND		29
#define AO_MAC_OFF	4
#define MAC_LEN		12

enum tv_role { ROLE_SYN, ROLE_SYNACK, ROLE_CLIENT, ROLE_SERVER, ROLE_N };

static const char *const role_names[ROLE_N] = {
	"client SYN", "server SYN-ACK", "client non-SYN", "server non-SYN"
};

struct tv {
	char		 id[16];	/* "4.1.2" */
	char		 title[128];	/* "4.1.2 IPv4 HMAC-SHA-1-96 covers ..." */
	char		 key_name[40];
	uint8_t		*key, *pkt, *mac;
	size_t		 key_len, pkt_len, mac_len;
	bool		 has_isn;	/* "Client ISN = 0x..." line */
	uint32_t	 isn;
	/* Filled in by tv_conn(). */
	enum tv_role	 role;
	struct rkmp_tcpao_conn conn;
	const uint8_t	*seg;
	size_t		 seg_len;
};

struct tv_file {
	struct tv	*v;
	size_t		 n;
	size_t		 quirks;
};

/* The section's connection as the earlier vectors set it. */
struct tv_sect {
	char		 id[8];		/* "4.1" */
	bool		 have_syn, have_synack;
	int		 af;
	uint8_t		 caddr[16], saddr[16];
	uint16_t	 cport, sport;
	uint32_t	 cisn, sisn;
};

static void
tv_free(struct tv_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].key);
		free(f->v[i].pkt);
		free(f->v[i].mac);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static const char *
hexs(const uint8_t *p, size_t n, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o + 3 <= size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%02x", p[i]);
	return buf;
}

/*
 * Turn the hex block collected for a record into octets.  Tokens are pairs of
 * hex digits; the file's header note says the one source typo "41a" reads
 * "41".
 */
static int
tv_hex(struct tv_file *f, const char *acc, uint8_t **out, size_t *len)
{
	char clean[HEX_ACC], tok[8];
	size_t o = 0;
	const char *s = acc;

	while (*s != '\0') {
		size_t n;

		s += strspn(s, " \t");
		if ((n = strcspn(s, " \t")) == 0)
			break;
		if (n >= sizeof(tok))
			return -1;
		memcpy(tok, s, n);
		tok[n] = '\0';
		s += n;
		if (strcmp(tok, "41a") == 0) {
			tok[2] = '\0';
			f->quirks++;
		}
		if (strlen(tok) != 2 || o + 4 > sizeof(clean))
			return -1;
		o += (size_t)snprintf(clean + o, sizeof(clean) - o, "%s ", tok);
	}
	clean[o] = '\0';
	return (*out = test_hex(clean, len)) == NULL ? -1 : 0;
}

/* Store the finished hex block `name` of the current record. */
static int
tv_block(struct tv_file *f, const char *name, const char *acc)
{
	struct tv *v = &f->v[f->n - 1];
	size_t nl = strlen(name);
	uint8_t **dst;
	size_t *dlen;

	if (nl > 12 && strcmp(name + nl - 12, "_traffic_key") == 0) {
		snprintf(v->key_name, sizeof(v->key_name), "%s", name);
		dst = &v->key;
		dlen = &v->key_len;
	} else if (nl > 4 && strcmp(name + nl - 4, "/TCP") == 0) {
		dst = &v->pkt;
		dlen = &v->pkt_len;
	} else if (strcmp(name, "MAC") == 0) {
		dst = &v->mac;
		dlen = &v->mac_len;
	} else
		return -1;
	if (*dst != NULL)
		return -1;
	return tv_hex(f, acc, dst, dlen);
}

/* Load the file; only records with a packet are vectors (3.1.x are prose). */
static int
tv_load(struct tv_file *f)
{
	char *text, *s, *nl, block[40] = "", acc[HEX_ACC] = "";
	size_t len = 0, lineno = 0;
	struct tv *cur = NULL;

	memset(f, 0, sizeof(*f));
	if ((text = (char *)test_data_file("vectors/" TV_FILE, &len)) == NULL) {
		test_fail(__FILE__, __LINE__, "%s: cannot read ../../testdata/vectors/%s", TV_FILE,
		    TV_FILE);
		return -1;
	}
	text[len] = '\0';	/* test_data_file leaves room for it */
	for (s = text; s != NULL; s = nl) {
		size_t n;

		lineno++;
		if ((nl = strchr(s, '\n')) != NULL)
			*nl++ = '\0';
		n = strlen(s);
		if (n > 0 && s[n - 1] == '\r')
			s[--n] = '\0';
		/* An indented line continues the hex block. */
		if (block[0] != '\0' && (s[0] == ' ' || s[0] == '\t')) {
			if (strlen(acc) + n + 2 > sizeof(acc))
				goto bad;
			strcat(acc, " ");
			strcat(acc, s);
			continue;
		}
		if (block[0] != '\0') {
			if (tv_block(f, block, acc) != 0)
				goto bad;
			block[0] = acc[0] = '\0';
		}
		if (n == 0 || s[0] == '#')
			continue;
		if (s[0] == '[') {
			struct tv *nv = realloc(f->v, (f->n + 1) * sizeof(*nv));

			if (nv == NULL)
				goto bad;
			f->v = nv;
			cur = &f->v[f->n++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->title, sizeof(cur->title), "%.*s", (int)strcspn(s + 1, "]"),
			    s + 1);
			snprintf(cur->id, sizeof(cur->id), "%.*s", (int)strcspn(cur->title, " "),
			    cur->title);
			continue;
		}
		if (cur == NULL)
			goto bad;
		if (s[n - 1] == ':' && strchr(s, ' ') == NULL) {
			snprintf(block, sizeof(block), "%.*s", (int)(n - 1), s);
			continue;
		}
		if (strstr(s, " ISN = ") != NULL) {
			char *end;

			cur->isn = (uint32_t)strtoul(strstr(s, "=") + 1, &end, 16);
			if (*end != '\0' || cur->has_isn)
				goto bad;
			cur->has_isn = true;
		}
		/* Anything else is prose (3.1.x). */
	}
	if (block[0] != '\0' && tv_block(f, block, acc) != 0)
		goto bad;
	free(text);
	/* Keep the vectors, drop the prose records. */
	{
		size_t k = 0;

		for (size_t i = 0; i < f->n; i++) {
			if (f->v[i].pkt == NULL) {
				free(f->v[i].key);
				free(f->v[i].mac);
				continue;
			}
			f->v[k++] = f->v[i];
		}
		f->n = k;
	}
	return 0;
bad:
	test_fail(__FILE__, __LINE__, "%s: line %zu does not parse", TV_FILE, lineno);
	free(text);
	tv_free(f);
	return -1;
}

static void tv_fail(int line, const struct tv *v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One failure line naming the vector: "[4.1.2 IPv4 ...]: MAC differs: ...". */
static void
tv_fail(int line, const struct tv *v, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	test_fail(__FILE__, line, "%s [%s]: %s", TV_FILE, v->title, msg);
}

#define TVFAIL(...) do { tv_fail(__LINE__, v, __VA_ARGS__); return -1; } while (0)
#define TVEQ(got, glen, want, wlen, what) do { \
	char g_[128], w_[128]; size_t gl_ = (glen), wl_ = (wlen); \
	if (gl_ != wl_ || memcmp((got), (want), gl_) != 0) \
		TVFAIL("%s differs: got %s (%zu octets), want %s (%zu octets)", (what), \
		    hexs((got), gl_, g_, sizeof(g_)), gl_, hexs((want), wl_, w_, sizeof(w_)), wl_); \
} while (0)

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The TCP-AO option's MAC, found by the test's own walk of the options. */
static const uint8_t *
packet_mac(const uint8_t *seg, size_t seg_len)
{
	size_t doff = (size_t)(seg[12] >> 4) * 4;

	for (size_t off = 20; off + 1 < doff && doff <= seg_len;) {
		if (seg[off] == 0)
			break;
		if (seg[off] == 1) {
			off++;
			continue;
		}
		if (seg[off] == AO_KIND && seg[off + 1] == AO_MAC_OFF + MAC_LEN &&
		    off + seg[off + 1] <= doff)
			return seg + off + AO_MAC_OFF;
		if (seg[off + 1] < 2)
			break;
		off += seg[off + 1];
	}
	return NULL;
}

/*
 * Rebuild v's connection (sender's view) from its packet and the section's
 * earlier vectors, and say which of the four segments it is.
 */
static int
tv_conn(struct tv *v, struct tv_sect *s)
{
	const uint8_t *p = v->pkt, *src = NULL, *dst = NULL, *seg = NULL;
	struct rkmp_tcpao_conn *c = &v->conn;
	size_t alen = 0, seg_len = 0;
	uint32_t seq, ack;
	uint8_t flags;
	char sect[8];
	int af = 0;

	snprintf(sect, sizeof(sect), "%.*s", (int)strcspn(v->id, ".") + 2, v->id);
	if (strcmp(sect, s->id) != 0) {
		memset(s, 0, sizeof(*s));
		snprintf(s->id, sizeof(s->id), "%s", sect);
	}
	if (v->pkt_len < 20)
		TVFAIL("packet of %zu octets", v->pkt_len);
	if (p[0] >> 4 == 4) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4;

		if (ihl < 20 || get16(p + 2) != v->pkt_len || p[9] != 6)
			TVFAIL("IPv4 header: IHL %zu, total length %u of %zu, protocol %u", ihl,
			    get16(p + 2), v->pkt_len, p[9]);
		af = AF_INET;
		alen = 4;
		src = p + 12;
		dst = p + 16;
		seg = p + ihl;
		seg_len = v->pkt_len - ihl;
	} else if (p[0] >> 4 == 6) {
		if (v->pkt_len < 40 || 40 + (size_t)get16(p + 4) != v->pkt_len || p[6] != 6)
			TVFAIL("IPv6 header: payload length %u of %zu, next header %u",
			    get16(p + 4), v->pkt_len, p[6]);
		af = AF_INET6;
		alen = 16;
		src = p + 8;
		dst = p + 24;
		seg = p + 40;
		seg_len = v->pkt_len - 40;
	} else
		TVFAIL("IP version %u", p[0] >> 4);
	if (seg_len < 20)
		TVFAIL("TCP segment of %zu octets", seg_len);
	seq = get32(seg + 4);
	ack = get32(seg + 8);
	flags = seg[13];

	memset(c, 0, sizeof(*c));
	c->af = af;
	memcpy(c->src, src, alen);
	memcpy(c->dst, dst, alen);
	c->sport = get16(seg);
	c->dport = get16(seg + 2);
	if ((flags & 0x12) == 0x02) {		/* SYN: the peer's ISN is 0 */
		v->role = ROLE_SYN;
		c->src_isn = seq;
		c->dst_isn = 0;
		s->have_syn = true;
		s->af = af;
		memcpy(s->caddr, src, alen);
		memcpy(s->saddr, dst, alen);
		s->cport = c->sport;
		s->sport = c->dport;
		s->cisn = seq;
	} else if ((flags & 0x12) == 0x12) {	/* SYN-ACK: both ISNs */
		v->role = ROLE_SYNACK;
		if (!s->have_syn || ack != s->cisn + 1)
			TVFAIL("SYN-ACK acknowledges %08x, section %s has %s client ISN %08x", ack,
			    s->id, s->have_syn ? "" : "no", s->cisn);
		c->src_isn = seq;
		c->dst_isn = ack - 1;
		s->have_synack = true;
		s->sisn = seq;
	} else {				/* later: the section's ISNs */
		bool from_client;

		if (!s->have_syn || !s->have_synack)
			TVFAIL("non-SYN segment before section %s's SYN and SYN-ACK", s->id);
		from_client = af == s->af && memcmp(src, s->caddr, alen) == 0 &&
		    c->sport == s->cport;
		if (!from_client && (memcmp(src, s->saddr, alen) != 0 || c->sport != s->sport))
			TVFAIL("segment from neither side of section %s's connection", s->id);
		v->role = from_client ? ROLE_CLIENT : ROLE_SERVER;
		c->src_isn = from_client ? s->cisn : s->sisn;
		c->dst_isn = from_client ? s->sisn : s->cisn;
	}
	if (v->has_isn && v->isn != c->src_isn)
		TVFAIL("ISN line says %08x, the packet %08x", v->isn, c->src_isn);
	v->seg = seg;
	v->seg_len = seg_len;
	return 0;
}

static int
key_eq_vec(const struct tv *v, const uint8_t *key, size_t key_len)
{
	TVEQ(key, key_len, v->key, v->key_len, v->key_name);
	return 0;
}

/* Key and MAC of one vector; *keys_ok and *macs_ok count the matches. */
static int
tv_check(struct tv *v, size_t *keys_ok, size_t *macs_ok)
{
	enum rkmp_tcpao_alg alg;
	char name[40];
	uint8_t key[20], mac[MAC_LEN], bad[MAC_LEN];
	const uint8_t *pmac;
	size_t key_len = 0;
	bool incl = false;
	int rc;

	if (v->key == NULL || v->mac == NULL)
		TVFAIL("no %s", v->key == NULL ? "traffic key" : "MAC");
	/* "4.1.1 IPv4 HMAC-SHA-1-96 covers options: ...": the RFC 7210 name. */
	if (sscanf(v->title, "%*s %*s %39s", name) != 1)
		TVFAIL("no algorithm in the title");
	if ((rc = rkmp_tcpao_alg_parse(name, &alg)) != 0)
		TVFAIL("rkmp_tcpao_alg_parse(\"%s\") = %d (%s)", name, rc, rkmp_err_text());
	if (strstr(v->title, " covers options:") != NULL)
		incl = true;
	else if (strstr(v->title, " omits options:") != NULL)
		incl = false;
	else
		TVFAIL("title says neither \"covers options\" nor \"omits options\"");

	if ((rc = rkmp_tcpao_traffic_key(alg, (const uint8_t *)"testvector", 10, &v->conn, key,
	    &key_len)) != 0)
		TVFAIL("rkmp_tcpao_traffic_key = %d (%s)", rc, rkmp_err_text());
	if (key_eq_vec(v, key, key_len) == 0)
		(*keys_ok)++;
	else if (v->key_len == key_len)	/* check the MAC with the vector's key anyway */
		memcpy(key, v->key, key_len);

	if ((pmac = packet_mac(v->seg, v->seg_len)) == NULL)
		TVFAIL("no TCP-AO option with a %d-octet MAC in the packet", MAC_LEN);
	TVEQ(v->mac, v->mac_len, pmac, (size_t)MAC_LEN, "MAC line vs the packet's TCP-AO MAC");
	if ((rc = rkmp_tcpao_mac(alg, key, key_len, 0, &v->conn, v->seg, v->seg_len, incl,
	    mac)) != 0)
		TVFAIL("rkmp_tcpao_mac = %d (%s)", rc, rkmp_err_text());
	TVEQ(mac, sizeof(mac), pmac, (size_t)MAC_LEN, "MAC");
	(*macs_ok)++;

	/* A different SNE or the other option rule must change the MAC. */
	if ((rc = rkmp_tcpao_mac(alg, key, key_len, 1, &v->conn, v->seg, v->seg_len, incl,
	    bad)) != 0 || memcmp(bad, mac, MAC_LEN) == 0)
		TVFAIL("MAC with SNE 1: rc %d, same MAC", rc);
	if ((rc = rkmp_tcpao_mac(alg, key, key_len, 0, &v->conn, v->seg, v->seg_len, !incl,
	    bad)) != 0 || memcmp(bad, mac, MAC_LEN) == 0)
		TVFAIL("MAC with options %s: rc %d, same MAC", incl ? "omitted" : "covered", rc);
	return 0;
}

static int
tv_open(struct tv_file *f)
{
	if (tv_load(f) != 0)
		return -1;
	if (f->n != TV_COUNT || f->quirks != TV_QUIRKS) {
		test_fail(__FILE__, __LINE__, "%s: %zu vectors (want %d), %zu \"41a\" fixes (want %d)",
		    TV_FILE, f->n, TV_COUNT, f->quirks, TV_QUIRKS);
		tv_free(f);
		return -1;
	}
	return 0;
}

TEST(tcpao_rfc9235_vectors)
{
	struct tv_file f;
	struct tv_sect s;
	size_t keys_ok = 0, macs_ok = 0;

	if (tv_open(&f) != 0)
		return;
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < f.n; i++)
		if (tv_conn(&f.v[i], &s) == 0)
			(void)tv_check(&f.v[i], &keys_ok, &macs_ok);
	tv_free(&f);
	if (keys_ok != TV_COUNT || macs_ok != TV_COUNT)
		test_fail(__FILE__, __LINE__, "%s: %zu of %d keys and %zu of %d MACs match",
		    TV_FILE, keys_ok, TV_COUNT, macs_ok, TV_COUNT);
}

/*
 * rkmp_tcpao_keys from each side of each section's connection, against the
 * vector whose segment that key signs.  RFC 9235 calls the SYN-ACK's key
 * "Receive_SYN_traffic_key" (the client's view of the server's SYN); it is
 * the server's Send_other: a SYN-ACK knows both ISNs.
 */
enum side { CLIENT, SERVER };

static const struct {
	enum side	 side;
	size_t		 off;		/* which of the four keys */
	enum tv_role	 role;		/* the vector it must equal */
	const char	*what;
} four_keys[] = {
	{ CLIENT, offsetof(struct rkmp_tcpao_keys, send_syn), ROLE_SYN, "client Send_SYN" },
	{ SERVER, offsetof(struct rkmp_tcpao_keys, receive_syn), ROLE_SYN, "server Receive_SYN" },
	{ SERVER, offsetof(struct rkmp_tcpao_keys, send_other), ROLE_SYNACK,
	    "server Send_other" },
	{ CLIENT, offsetof(struct rkmp_tcpao_keys, receive_other), ROLE_SYNACK,
	    "client Receive_other" },
	{ CLIENT, offsetof(struct rkmp_tcpao_keys, send_other), ROLE_CLIENT,
	    "client Send_other" },
	{ SERVER, offsetof(struct rkmp_tcpao_keys, receive_other), ROLE_CLIENT,
	    "server Receive_other" },
	{ SERVER, offsetof(struct rkmp_tcpao_keys, send_other), ROLE_SERVER,
	    "server Send_other" },
	{ CLIENT, offsetof(struct rkmp_tcpao_keys, receive_other), ROLE_SERVER,
	    "client Receive_other" },
};

static int
key_eq(const struct tv *v, const struct rkmp_tcpao_keys *k, size_t off, const char *what)
{
	TVEQ((const uint8_t *)k + off, k->len, v->key, v->key_len, what);
	return 0;
}

static int
sect_keys(const struct tv *const r[ROLE_N])
{
	const struct tv *v = r[ROLE_SYN];
	struct rkmp_tcpao_keys k[2];
	enum rkmp_tcpao_alg alg;
	char name[40];
	int rc, bad = 0;

	if (sscanf(v->title, "%*s %*s %39s", name) != 1 ||
	    rkmp_tcpao_alg_parse(name, &alg) != 0)
		TVFAIL("no algorithm in the title");
	/* The client's and the server's data segments carry each side's full view. */
	if ((rc = rkmp_tcpao_keys(alg, (const uint8_t *)"testvector", 10, &r[ROLE_CLIENT]->conn,
	    &k[CLIENT])) != 0 || (rc = rkmp_tcpao_keys(alg, (const uint8_t *)"testvector", 10,
	    &r[ROLE_SERVER]->conn, &k[SERVER])) != 0)
		TVFAIL("rkmp_tcpao_keys = %d (%s)", rc, rkmp_err_text());
	for (size_t i = 0; i < sizeof(four_keys) / sizeof(four_keys[0]); i++)
		bad |= key_eq(r[four_keys[i].role], &k[four_keys[i].side], four_keys[i].off,
		    four_keys[i].what);
	/* Each side's receive keys are the other's send keys. */
	TVEQ(k[CLIENT].receive_syn, k[CLIENT].len, k[SERVER].send_syn, k[SERVER].len,
	    "client Receive_SYN vs server Send_SYN");
	return bad;
}

TEST(tcpao_rfc9235_four_keys)
{
	struct tv_file f;
	struct tv_sect s;
	size_t sections = 0, ok = 0;

	if (tv_open(&f) != 0)
		return;
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i + ROLE_N <= f.n; i += ROLE_N) {
		const struct tv *r[ROLE_N] = { NULL };
		bool good = true;

		sections++;
		for (size_t j = 0; j < ROLE_N; j++) {
			if (tv_conn(&f.v[i + j], &s) != 0 || r[f.v[i + j].role] != NULL ||
			    f.v[i + j].key == NULL) {
				test_fail(__FILE__, __LINE__, "%s [%s]: not one of the four %s",
				    TV_FILE, f.v[i + j].title, role_names[f.v[i + j].role]);
				good = false;
				break;
			}
			r[f.v[i + j].role] = &f.v[i + j];
		}
		if (good && sect_keys(r) == 0)
			ok++;
	}
	tv_free(&f);
	ASSERT_INT_EQ(sections, TV_COUNT / ROLE_N);
	ASSERT_INT_EQ(ok, TV_COUNT / ROLE_N);
}

/* The checksum and the MAC field are zeroed in the MAC input; nothing else is. */
TEST(tcpao_mac_ignores_checksum_and_mac_field)
{
	struct tv_file f;
	struct tv_sect s;
	uint8_t key[20], mac[MAC_LEN], mac2[MAC_LEN], *seg;
	size_t key_len = 0, mac_off;
	struct tv *v;

	if (tv_open(&f) != 0)
		return;
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < 3; i++)	/* 4.1.3: client data segment */
		if (tv_conn(&f.v[i], &s) != 0) {
			tv_free(&f);
			return;
		}
	v = &f.v[2];
	seg = v->pkt + (v->seg - v->pkt);
	mac_off = (size_t)(packet_mac(seg, v->seg_len) - seg);
	if (rkmp_tcpao_traffic_key(RKMP_TCPAO_HMAC_SHA1_96, (const uint8_t *)"testvector", 10,
	    &v->conn, key, &key_len) != 0 ||
	    rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, key_len, 0, &v->conn, seg, v->seg_len,
	    true, mac) != 0) {
		test_fail(__FILE__, __LINE__, "%s: %s", v->title, rkmp_err_text());
		tv_free(&f);
		return;
	}
	seg[16] ^= 0xff;			/* checksum */
	seg[mac_off] ^= 0xff;			/* MAC */
	if (rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, key_len, 0, &v->conn, seg, v->seg_len,
	    true, mac2) != 0 || memcmp(mac, mac2, MAC_LEN) != 0) {
		test_fail(__FILE__, __LINE__, "%s: MAC changed with the checksum/MAC field",
		    v->title);
		tv_free(&f);
		return;
	}
	seg[v->seg_len - 1] ^= 0x01;		/* payload */
	if (rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, key_len, 0, &v->conn, seg, v->seg_len,
	    true, mac2) != 0 || memcmp(mac, mac2, MAC_LEN) == 0)
		test_fail(__FILE__, __LINE__, "%s: MAC unchanged with the payload", v->title);
	tv_free(&f);
}

/* ------------------------------------------------------------ failures */

#define ASSERT_RC(call, want, text) do { int rc_ = (call); \
	if (rc_ != (want)) { test_fail(__FILE__, __LINE__, "%s = %d, want %d (%s)", #call, rc_, \
	    (want), rkmp_err_text()); return; } \
	if (strstr(rkmp_err_text(), (text)) == NULL) { test_fail(__FILE__, __LINE__, \
	    "%s: detail \"%s\" lacks \"%s\"", #call, rkmp_err_text(), (text)); return; } \
} while (0)

TEST(tcpao_alg_names)
{
	static const struct {
		const char		*name;
		enum rkmp_tcpao_alg	 alg;
	} ok[] = {
		{ "hmac-sha1", RKMP_TCPAO_HMAC_SHA1_96 },
		{ "HMAC-SHA-1-96", RKMP_TCPAO_HMAC_SHA1_96 },
		{ "aes-128-cmac", RKMP_TCPAO_AES_128_CMAC_96 },
		{ "AES-128-CMAC-96", RKMP_TCPAO_AES_128_CMAC_96 },
	};
	enum rkmp_tcpao_alg alg;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		alg = (enum rkmp_tcpao_alg)-1;
		ASSERT_INT_EQ(rkmp_tcpao_alg_parse(ok[i].name, &alg), 0);
		ASSERT_INT_EQ(alg, ok[i].alg);
	}
	ASSERT_RC(rkmp_tcpao_alg_parse("hmac-md5", &alg), RKMP_E_USAGE, "\"hmac-md5\"");
	ASSERT_RC(rkmp_tcpao_alg_parse("", &alg), RKMP_E_USAGE, "unknown algorithm \"\"");
	ASSERT_RC(rkmp_tcpao_alg_parse(NULL, &alg), RKMP_E_USAGE, "no algorithm");
}

static const struct rkmp_tcpao_conn conn4 = {
	.af = AF_INET, .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 },
	.sport = 40000, .dport = 179, .src_isn = 1, .dst_isn = 2,
};

/* A bare header, data offset 5 + `words`, options filled in by the caller. */
static void
seg_init(uint8_t *seg, size_t len, unsigned words)
{
	memset(seg, 0, len);
	seg[12] = (uint8_t)((5 + words) << 4);
	seg[13] = 0x10;
}

TEST(tcpao_mac_bad_segments)
{
	uint8_t key[20] = { 1 }, mac[MAC_LEN], seg[80];
	struct rkmp_tcpao_conn bad = conn4;

	/* Shorter than a TCP header. */
	seg_init(seg, sizeof(seg), 0);
	ASSERT_RC(rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, 20, 0, &conn4, seg, 19, true, mac),
	    RKMP_E_INVALID, "segment of 19 octets < 20");
	/* Data offset 15 words = 60 octets in a 40-octet segment. */
	seg_init(seg, sizeof(seg), 10);
	ASSERT_RC(rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, 20, 0, &conn4, seg, 40, true, mac),
	    RKMP_E_INVALID, "data offset 60 octets (15 words) outside 20..40");
	/* Data offset 4 words: less than the header itself. */
	seg_init(seg, sizeof(seg), 0);
	seg[12] = 4 << 4;
	ASSERT_RC(rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, 20, 0, &conn4, seg, 40, true, mac),
	    RKMP_E_INVALID, "data offset 16 octets");
	/* NOP, NOP, timestamps: options without TCP-AO. */
	seg_init(seg, sizeof(seg), 3);
	memcpy(seg + 20, "\x01\x01\x08\x0a", 4);
	ASSERT_RC(rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, 20, 0, &conn4, seg, 40, false, mac),
	    RKMP_E_INVALID, "no TCP-AO option (kind 29) in 12 octets of options");
	/* No options at all. */
	seg_init(seg, sizeof(seg), 0);
	ASSERT_RC(rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, 20, 0, &conn4, seg, 20, true, mac),
	    RKMP_E_INVALID, "no TCP-AO option (kind 29) in 0 octets");
	/* An option running past the options' end. */
	seg_init(seg, sizeof(seg), 1);
	memcpy(seg + 20, "\x01\x08\x0a", 3);
	ASSERT_RC(rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, 20, 0, &conn4, seg, 24, true, mac),
	    RKMP_E_INVALID, "option kind 8 at offset 21: length 10 does not fit 21..24");
	/* TCP-AO of the wrong length, and TCP-AO twice. */
	seg_init(seg, sizeof(seg), 3);
	memcpy(seg + 20, "\x1d\x0c\x3d\x54", 4);
	ASSERT_RC(rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, 20, 0, &conn4, seg, 32, true, mac),
	    RKMP_E_INVALID, "TCP-AO option length 12, want 16");
	seg_init(seg, sizeof(seg), 8);
	memcpy(seg + 20, "\x1d\x10\x3d\x54", 4);
	memcpy(seg + 36, "\x1d\x10\x3d\x54", 4);
	ASSERT_RC(rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, 20, 0, &conn4, seg, 52, true, mac),
	    RKMP_E_INVALID, "second TCP-AO option at offset 36 (first at 20)");
	/* A good segment passes; with the wrong key size or family it does not. */
	seg_init(seg, sizeof(seg), 4);
	memcpy(seg + 20, "\x1d\x10\x3d\x54", 4);
	ASSERT_INT_EQ(rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, 20, 0, &conn4, seg, 40, true,
	    mac), 0);
	ASSERT_RC(rkmp_tcpao_mac(RKMP_TCPAO_AES_128_CMAC_96, key, 20, 0, &conn4, seg, 40, true,
	    mac), RKMP_E_USAGE, "traffic key of 20 octets, want 16");
	bad.af = AF_UNIX;
	ASSERT_RC(rkmp_tcpao_mac(RKMP_TCPAO_HMAC_SHA1_96, key, 20, 0, &bad, seg, 40, true, mac),
	    RKMP_E_INTERNAL, "address family");
}

TEST(tcpao_keys_bad_args)
{
	struct rkmp_tcpao_conn bad = conn4;
	struct rkmp_tcpao_keys k;
	uint8_t key[20];
	size_t len = 0;

	ASSERT_RC(rkmp_tcpao_traffic_key((enum rkmp_tcpao_alg)7, (const uint8_t *)"k", 1, &conn4,
	    key, &len), RKMP_E_INTERNAL, "algorithm 7");
	ASSERT_RC(rkmp_tcpao_traffic_key(RKMP_TCPAO_HMAC_SHA1_96, (const uint8_t *)"", 0, &conn4,
	    key, &len), RKMP_E_USAGE, "empty master key");
	bad.af = 0;
	ASSERT_RC(rkmp_tcpao_keys(RKMP_TCPAO_HMAC_SHA1_96, (const uint8_t *)"k", 1, &bad, &k),
	    RKMP_E_INTERNAL, "address family 0");
	/* Lengths: 20 for HMAC-SHA-1, 16 for AES-CMAC, also with a 16-octet master key. */
	ASSERT_INT_EQ(rkmp_tcpao_keys(RKMP_TCPAO_HMAC_SHA1_96, (const uint8_t *)"k", 1, &conn4,
	    &k), 0);
	ASSERT_INT_EQ(k.len, 20);
	ASSERT_INT_EQ(rkmp_tcpao_keys(RKMP_TCPAO_AES_128_CMAC_96,
	    (const uint8_t *)"0123456789abcdef", 16, &conn4, &k), 0);
	ASSERT_INT_EQ(k.len, 16);
	ASSERT_INT_EQ(rkmp_tcpao_traffic_key(RKMP_TCPAO_AES_128_CMAC_96,
	    (const uint8_t *)"0123456789abcdef", 16, &conn4, key, &len), 0);
	ASSERT_INT_EQ(len, 16);
	ASSERT_MEM_EQ(key, k.send_other, 16);
}

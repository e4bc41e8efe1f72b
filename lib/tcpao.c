/* SPDX-License-Identifier: MIT */
/*
 * tcpao.c — TCP-AO traffic keys (RFC 5925 §5.2, RFC 5926 §3.1) and the MAC
 * over a segment (RFC 5925 §5.1), on top of the IKEv2 PRF and INTEG rows of
 * crypto.c: KDF_HMAC_SHA1 is PRF_HMAC_SHA1, KDF_AES_128_CMAC is
 * PRF_AES128_CMAC (whose RFC 4615 key adjustment is RFC 5926's rule for a
 * master key that is not 16 octets), HMAC-SHA-1-96 and AES-128-CMAC-96 are
 * AUTH_HMAC_SHA1_96 and AUTH_AES_CMAC_96.  Checked against RFC 9235.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "crypto.h"
#include "err.h"
#include "nitems.h"
#include "tcpao.h"

#define WHERE		"TCP-AO"

#define TCP_HDR_LEN	20	/* fixed TCP header, data offset 5 */
#define TCP_CKSUM_OFF	16	/* checksum, zeroed in the MAC input */
#define TCP_OPT_EOL	0
#define TCP_OPT_NOP	1
#define TCP_OPT_AO	29	/* RFC 5925 §2.2 */
#define AO_HDR_LEN	4	/* kind, length, KeyID, RNextKeyID */
#define AO_MAC_LEN	12	/* both MUST algorithms are 96-bit (RFC 5926 §3.2) */
#define SNE_LEN		4
#define PSEUDO4_LEN	12	/* src, dst, zero, protocol, TCP length (RFC 793) */
#define PSEUDO6_LEN	40	/* src, dst, length (4), 3 zeros, next header (RFC 8200) */
#define IPPROTO_TCP_NUM	6
#define KDF_LABEL	"TCP-AO"
#define KDF_LABEL_LEN	6	/* no NUL (RFC 5926 §3.1.1) */
#define CTX_MAX		(2 * 16 + 2 * 2 + 2 * 4)	/* IPv6 context, 44 octets */

/* One row per algorithm: the names it goes by and the crypto.c rows it runs on. */
static const struct tcpao_alg {
	enum rkmp_tcpao_alg	 alg;
	const char		*name;		/* our name */
	const char		*iana;		/* RFC 5926 / RFC 7210 name */
	uint16_t		 prf_id;	/* KDF: IKEv2 PRF transform */
	uint16_t		 integ_id;	/* MAC: IKEv2 INTEG transform */
	size_t			 key_len;	/* traffic key = KDF output */
} tcpao_algs[] = {
	{ RKMP_TCPAO_HMAC_SHA1_96, "hmac-sha1", "HMAC-SHA-1-96", 2, 2, 20 },
	{ RKMP_TCPAO_AES_128_CMAC_96, "aes-128-cmac", "AES-128-CMAC-96", 8, 8, 16 },
};

/* Address families: the octets of one address in the context and pseudo-header. */
static const struct tcpao_af {
	int	 af;
	size_t	 addr_len;
	size_t	 pseudo_len;
	size_t	 max_tcp_len;	/* what the pseudo-header's length field can hold */
} tcpao_afs[] = {
	{ AF_INET, 4, PSEUDO4_LEN, 0xffff },
	{ AF_INET6, 16, PSEUDO6_LEN, 0xffffffff },
};

static const struct tcpao_alg *
alg_row(enum rkmp_tcpao_alg alg)
{
	for (size_t i = 0; i < nitems(tcpao_algs); i++)
		if (tcpao_algs[i].alg == alg)
			return &tcpao_algs[i];
	rkmp_err_set(RKMP_E_INTERNAL, WHERE, "algorithm %d is not in the table", (int)alg);
	return NULL;
}

static const struct tcpao_af *
af_row(int af)
{
	for (size_t i = 0; i < nitems(tcpao_afs); i++)
		if (tcpao_afs[i].af == af)
			return &tcpao_afs[i];
	rkmp_err_set(RKMP_E_INTERNAL, WHERE, "address family %d is neither AF_INET nor AF_INET6",
	    af);
	return NULL;
}

static uint8_t *
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *
put(uint8_t *p, const void *v, size_t n)
{
	memcpy(p, v, n);
	return p + n;
}

int
rkmp_tcpao_alg_parse(const char *name, enum rkmp_tcpao_alg *alg)
{
	if (name == NULL)
		return rkmp_err_set(RKMP_E_USAGE, WHERE, "no algorithm given (%s, %s)",
		    tcpao_algs[0].name, tcpao_algs[1].name);
	for (size_t i = 0; i < nitems(tcpao_algs); i++) {
		if (strcasecmp(name, tcpao_algs[i].name) == 0 ||
		    strcasecmp(name, tcpao_algs[i].iana) == 0) {
			*alg = tcpao_algs[i].alg;
			return 0;
		}
	}
	return rkmp_err_set(RKMP_E_USAGE, WHERE, "unknown algorithm \"%s\" (%s, %s, %s, %s)",
	    name, tcpao_algs[0].name, tcpao_algs[1].name, tcpao_algs[0].iana, tcpao_algs[1].iana);
}

/*
 * Context = src IP | dst IP | src port | dst port | src ISN | dst ISN, the
 * sender's view (RFC 5925 §5.2): 20 octets over IPv4, 44 over IPv6.
 */
static size_t
context(const struct tcpao_af *af, const uint8_t *src, const uint8_t *dst, uint16_t sport,
    uint16_t dport, uint32_t src_isn, uint32_t dst_isn, uint8_t out[CTX_MAX])
{
	uint8_t *p = out;

	p = put(p, src, af->addr_len);
	p = put(p, dst, af->addr_len);
	p = put16(p, sport);
	p = put16(p, dport);
	p = put32(p, src_isn);
	p = put32(p, dst_isn);
	return (size_t)(p - out);
}

/*
 * Traffic_Key = PRF(Master_Key, i | Label | Context | Output_Length) with
 * i = 1 (one iteration: the PRF output is the key length), Label "TCP-AO",
 * Output_Length the key length in bits, 2 octets (RFC 5926 §3.1.1).
 */
static int
kdf(const struct tcpao_alg *a, const uint8_t *master, size_t master_len,
    const uint8_t *ctx, size_t ctx_len, uint8_t *out)
{
	static const uint8_t i = 1;
	const struct rkmp_prf_alg *prf;
	uint8_t bits[2];
	struct rkmp_crypto_iov v[4] = {
		{ &i, 1 }, { (const uint8_t *)KDF_LABEL, KDF_LABEL_LEN }, { ctx, ctx_len },
		{ bits, sizeof(bits) }
	};

	if ((prf = rkmp_crypto_prf_lookup(a->prf_id)) == NULL)
		return RKMP_E_CRYPTO;
	if (prf->out_len != a->key_len)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "%s: %s gives %zu octets, want %zu",
		    a->iana, prf->name, prf->out_len, a->key_len);
	if (master == NULL || master_len == 0)
		return rkmp_err_set(RKMP_E_USAGE, WHERE, "empty master key");
	put16(bits, (uint32_t)(a->key_len * 8));
	return rkmp_crypto_prfv(prf, master, master_len, v, nitems(v), out);
}

int
rkmp_tcpao_traffic_key(enum rkmp_tcpao_alg alg, const uint8_t *master, size_t master_len,
    const struct rkmp_tcpao_conn *c, uint8_t *out, size_t *out_len)
{
	const struct tcpao_alg *a;
	const struct tcpao_af *af;
	uint8_t ctx[CTX_MAX];
	size_t n;
	int rc;

	if ((a = alg_row(alg)) == NULL || (af = af_row(c->af)) == NULL)
		return RKMP_E_INTERNAL;
	n = context(af, c->src, c->dst, c->sport, c->dport, c->src_isn, c->dst_isn, ctx);
	if ((rc = kdf(a, master, master_len, ctx, n, out)) != 0)
		return rc;
	*out_len = a->key_len;
	return 0;
}

/*
 * The four keys (RFC 5925 §5.2).  Send and receive swap the sides; the SYN
 * keys put 0 for the ISN not yet known (the SYN's receiver's).  A SYN-ACK
 * knows both ISNs and is sent with the _other keys.
 */
int
rkmp_tcpao_keys(enum rkmp_tcpao_alg alg, const uint8_t *master, size_t master_len,
    const struct rkmp_tcpao_conn *c, struct rkmp_tcpao_keys *k)
{
	const struct tcpao_alg *a;
	const struct tcpao_af *af;
	const struct {
		bool		 receive;	/* the peer is the sender */
		bool		 syn;		/* the receiver's ISN is 0 */
		uint8_t		*out;
	} rows[] = {
		{ false, true, k->send_syn },
		{ true, true, k->receive_syn },
		{ false, false, k->send_other },
		{ true, false, k->receive_other },
	};
	uint8_t ctx[CTX_MAX];
	int rc = 0;

	if ((a = alg_row(alg)) == NULL || (af = af_row(c->af)) == NULL)
		return RKMP_E_INTERNAL;
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < nitems(rows) && rc == 0; i++) {
		size_t n;

		if (rows[i].receive)
			n = context(af, c->dst, c->src, c->dport, c->sport, c->dst_isn,
			    rows[i].syn ? 0 : c->src_isn, ctx);
		else
			n = context(af, c->src, c->dst, c->sport, c->dport, c->src_isn,
			    rows[i].syn ? 0 : c->dst_isn, ctx);
		rc = kdf(a, master, master_len, ctx, n, rows[i].out);
	}
	if (rc != 0) {
		rkmp_crypto_wipe(k, sizeof(*k));
		return rc;
	}
	k->len = a->key_len;
	return 0;
}

/*
 * Find the one TCP-AO option among the options (segment[20..doff*4]):
 * *ao_off its offset in the segment.  Every option but EOL and NOP carries a
 * length that must stay inside the option space; after EOL comes padding.
 */
static int
find_ao(const uint8_t *seg, size_t opt_end, size_t *ao_off)
{
	size_t off = TCP_HDR_LEN, found = 0;

	while (off < opt_end) {
		uint8_t kind = seg[off], len;

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			off++;
			continue;
		}
		if (off + 1 >= opt_end)
			return rkmp_err_set(RKMP_E_INVALID, WHERE,
			    "option kind %u at offset %zu has no length octet (options end at %zu)",
			    kind, off, opt_end);
		len = seg[off + 1];
		if (len < 2 || off + len > opt_end)
			return rkmp_err_set(RKMP_E_INVALID, WHERE,
			    "option kind %u at offset %zu: length %u does not fit %zu..%zu", kind,
			    off, len, off, opt_end);
		if (kind == TCP_OPT_AO) {
			if (found++ > 0)
				return rkmp_err_set(RKMP_E_INVALID, WHERE,
				    "second TCP-AO option at offset %zu (first at %zu)", off,
				    *ao_off);
			if (len != AO_HDR_LEN + AO_MAC_LEN)
				return rkmp_err_set(RKMP_E_INVALID, WHERE,
				    "TCP-AO option length %u, want %d for a %d-octet MAC", len,
				    AO_HDR_LEN + AO_MAC_LEN, AO_MAC_LEN);
			*ao_off = off;
		}
		off += len;
	}
	if (found == 0)
		return rkmp_err_set(RKMP_E_INVALID, WHERE,
		    "no TCP-AO option (kind %d) in %zu octets of options", TCP_OPT_AO,
		    opt_end - TCP_HDR_LEN);
	return 0;
}

/*
 * MAC input (RFC 5925 §5.1): SNE | pseudo-header | TCP header, checksum 0 |
 * options, the TCP-AO MAC zeroed | payload.  Without options every option
 * but TCP-AO (NOP, EOL and padding too) is left out, while the data offset
 * and the pseudo-header's TCP length keep their wire values.
 */
int
rkmp_tcpao_mac(enum rkmp_tcpao_alg alg, const uint8_t *traffic_key, size_t key_len,
    uint32_t sne, const struct rkmp_tcpao_conn *c, const uint8_t *segment, size_t seg_len,
    bool include_options, uint8_t mac[12])
{
	const struct rkmp_integ_alg *integ;
	const struct tcpao_alg *a;
	const struct tcpao_af *af;
	size_t doff, ao_off = 0, ao_pos;
	uint8_t *buf, *p;
	int rc;

	if ((a = alg_row(alg)) == NULL || (af = af_row(c->af)) == NULL)
		return RKMP_E_INTERNAL;
	if ((integ = rkmp_crypto_integ_lookup(a->integ_id)) == NULL)
		return RKMP_E_CRYPTO;
	if (integ->icv_len != AO_MAC_LEN || integ->key_len != a->key_len)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE, "%s: %s is %zu/%zu octets", a->iana,
		    integ->name, integ->key_len, integ->icv_len);
	if (key_len != a->key_len)
		return rkmp_err_set(RKMP_E_USAGE, WHERE, "%s traffic key of %zu octets, want %zu",
		    a->iana, key_len, a->key_len);
	if (seg_len < TCP_HDR_LEN)
		return rkmp_err_set(RKMP_E_INVALID, WHERE, "segment of %zu octets < %d (TCP header)",
		    seg_len, TCP_HDR_LEN);
	doff = (size_t)(segment[12] >> 4) * 4;
	if (doff < TCP_HDR_LEN || doff > seg_len)
		return rkmp_err_set(RKMP_E_INVALID, WHERE,
		    "data offset %zu octets (%zu words) outside %d..%zu (segment length)", doff,
		    doff / 4, TCP_HDR_LEN, seg_len);
	if (seg_len > af->max_tcp_len)
		return rkmp_err_set(RKMP_E_INVALID, WHERE,
		    "segment of %zu octets > %zu (pseudo-header length field)", seg_len,
		    af->max_tcp_len);
	if ((rc = find_ao(segment, doff, &ao_off)) != 0)
		return rc;

	if ((buf = malloc(SNE_LEN + af->pseudo_len + seg_len)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, WHERE, "MAC input of %zu octets",
		    SNE_LEN + af->pseudo_len + seg_len);
	p = put32(buf, sne);
	p = put(p, c->src, af->addr_len);
	p = put(p, c->dst, af->addr_len);
	if (c->af == AF_INET) {
		*p++ = 0;
		*p++ = IPPROTO_TCP_NUM;
		p = put16(p, (uint32_t)seg_len);
	} else {
		p = put32(p, (uint32_t)seg_len);
		memset(p, 0, 3);
		p += 3;
		*p++ = IPPROTO_TCP_NUM;
	}
	p = put(p, segment, TCP_HDR_LEN);
	memset(p - TCP_HDR_LEN + TCP_CKSUM_OFF, 0, 2);
	if (include_options) {
		ao_pos = (size_t)(p - buf) + (ao_off - TCP_HDR_LEN);
		p = put(p, segment + TCP_HDR_LEN, doff - TCP_HDR_LEN);
	} else {
		ao_pos = (size_t)(p - buf);
		p = put(p, segment + ao_off, AO_HDR_LEN + AO_MAC_LEN);
	}
	memset(buf + ao_pos + AO_HDR_LEN, 0, AO_MAC_LEN);
	p = put(p, segment + doff, seg_len - doff);

	rc = rkmp_crypto_integ(integ, traffic_key, key_len, buf, (size_t)(p - buf), mac);
	free(buf);
	return rc;
}

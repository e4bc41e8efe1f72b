/* SPDX-License-Identifier: MIT */
/*
 * capture.c — IKE datagrams out of pcap/pcapng files and live interfaces.
 *
 * One record at a time: strip the link layer, the IP layer (reassembling
 * fragments in a small bounded table) and UDP, then classify by port.  Every
 * length is checked against both the captured octets (caplen) and the octets
 * that were on the wire (len) before a field is read: a capture cut by the
 * snaplen is not a broken packet, but a header that claims more than the frame
 * held is.  Nothing is allocated per packet; fragment buffers are allocated the
 * first time a table slot is used and kept for reuse.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "buf.h"
#include "capture.h"
#include "err.h"

#define CAP_WHERE		"capture"
#define CAP_SNAPLEN		262144
#define CAP_TIMEOUT_MS		1000	/* wake up now and then to see rkmp_cap_break's flag */
#define CAP_DEFAULT_FILTER	"udp or (ip[6:2] & 0x1fff != 0) or ip6"
#define CAP_MAX_PORTS		16

#define FRAG_SLOTS		64	/* pending datagrams; the oldest goes when full */
#define FRAG_TIMEOUT		60	/* seconds of capture time (RFC 8200 §4.5) */
#define FRAG_MAX		65535	/* an IP datagram cannot be longer */
#define FRAG_BLOCKS		(FRAG_MAX / 8 + 1)
#define IP6_MAX_EXT		8	/* extension headers walked before giving up */

/*
 * Link types by number, not by DLT_* name: DLT_RAW and DLT_LOOP are 12/14 and
 * 12/108 depending on the OS that wrote the file, and the reader may be another.
 */
#define LT_NULL			0
#define LT_EN10MB		1
#define LT_RAW_12		12
#define LT_RAW_14		14
#define LT_RAW_101		101
#define LT_LOOP			108
#define LT_LINUX_SLL		113
#define LT_IPV4			228
#define LT_IPV6			229
#define LT_LINUX_SLL2		276

#define ETH_HDR_LEN		14
#define SLL_HDR_LEN		16
#define SLL2_HDR_LEN		20
#define NULL_HDR_LEN		4
#define VLAN_TAG_LEN		4
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_8021Q		0x8100
#define ETHERTYPE_8021AD	0x88a8
#define ETHERTYPE_QINQ_OLD	0x9100

#define IP4_HDR_MIN		20
#define IP6_HDR_LEN		40
#define IP6_FRAG_LEN		8
#define UDP_HDR_LEN		8
#define NONESP_MARKER_LEN	4

#define PROTO_HOPOPTS		0
#define PROTO_UDP		17
#define PROTO_ROUTING		43
#define PROTO_FRAGMENT		44
#define PROTO_ESP		50
#define PROTO_DSTOPTS		60

/* One datagram being reassembled. */
struct frag {
	uint8_t		*buf;		/* FRAG_MAX octets once the slot was first used */
	uint64_t	 seq;		/* 0: slot free; else arrival order, to drop the oldest */
	int64_t		 first;		/* capture time of the first fragment, seconds */
	int		 af;
	uint8_t		 src[16];
	uint8_t		 dst[16];
	uint32_t	 id;
	uint8_t		 proto;		/* IPv4 only: part of the key */
	bool		 have_last;
	size_t		 total;		/* payload length, known once the last fragment came */
	size_t		 maxend;
	size_t		 nblocks;	/* 8-octet blocks filled */
	uint8_t		 map[FRAG_BLOCKS / 8];
};

struct rkmp_cap {
	pcap_t		*pc;
	int		 linktype;
	bool		 live;
	bool		 done;		/* end of file or a read error: no more records */
	volatile sig_atomic_t stop;	/* rkmp_cap_break */
	char		 name[256];	/* file or interface, for error text */
	struct bpf_program prog;	/* a file's filter, run here (see rkmp_cap_set_filter) */
	bool		 have_prog;
	char		*filter;	/* the expression compiled, NULL without one */
	uint16_t	 ports[CAP_MAX_PORTS];
	size_t		 nports;
	struct rkmp_cap_stats st;

	/* the record being parsed */
	uint64_t	 frame;
	int64_t		 ts_sec;
	int32_t		 ts_usec;

	uint64_t	 fseq;
	struct frag	 frags[FRAG_SLOTS];
};

enum port_kind {
	PORT_NONE,
	PORT_IKE,		/* 500: the payload is the IKE message */
	PORT_NATT,		/* 4500: marker, ESP or keepalive */
	PORT_EXTRA		/* 50500, rkmp_cap_add_port: marker if present */
};

static int	cap_ip4(struct rkmp_cap *, const uint8_t *, size_t, size_t, struct rkmp_pkt *);
static int	cap_ip6(struct rkmp_cap *, const uint8_t *, size_t, size_t, struct rkmp_pkt *);
static int	cap_ip6_ext(struct rkmp_cap *, const uint8_t *, const uint8_t *, uint8_t,
		    const uint8_t *, size_t, size_t, bool, struct rkmp_pkt *);

static const struct rkmp_cap_stats cap_nostats;

/* ------------------------------------------------------------------ open/close */

static struct rkmp_cap *
cap_new(const char *name)
{
	struct rkmp_cap *cap;

	if ((cap = calloc(1, sizeof(*cap))) == NULL)
		return NULL;
	snprintf(cap->name, sizeof(cap->name), "%s", name);
	return cap;
}

int
rkmp_cap_open_file(struct rkmp_cap **capp, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct rkmp_cap *cap;
	FILE *fp;
	bool is_stdin;

	if (capp != NULL)
		*capp = NULL;
	if (capp == NULL || path == NULL || *path == '\0')
		return rkmp_err_set(RKMP_E_USAGE, CAP_WHERE, "no capture file given");
	is_stdin = strcmp(path, "-") == 0;
	if ((cap = cap_new(is_stdin ? "standard input" : path)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, CAP_WHERE, "%s: out of memory", path);

	/*
	 * Open the file ourselves rather than with pcap_open_offline: then a
	 * failure to open or read it (a system error) is told apart from
	 * content libpcap does not recognise (not a capture) without parsing
	 * libpcap's message text.
	 */
	if (is_stdin)
		fp = stdin;
	else if ((fp = fopen(path, "rb")) == NULL) {
		int e = errno;

		rkmp_cap_close(cap);
		return rkmp_err_set(RKMP_E_SYSTEM, CAP_WHERE, "%s: %s", path, strerror(e));
	}
	errbuf[0] = '\0';
	errno = 0;
	cap->pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO,
	    errbuf);
	if (cap->pc == NULL) {
		bool ioerr = ferror(fp) != 0;

		/* On failure the FILE is still ours; pcap_close never closes stdin either. */
		if (!is_stdin)
			fclose(fp);
		rkmp_cap_close(cap);
		if (ioerr)
			return rkmp_err_set(RKMP_E_SYSTEM, CAP_WHERE, "%s: %s",
			    is_stdin ? "standard input" : path, errbuf);
		return rkmp_err_set(RKMP_E_INVALID, CAP_WHERE,
		    "%s: not a pcap or pcapng file (%s)", is_stdin ? "standard input" : path,
		    errbuf);
	}
	cap->linktype = pcap_datalink(cap->pc);
	*capp = cap;
	return 0;
}

static const char *
cap_status_text(pcap_t *pc, int status)
{
	const char *m = pcap_geterr(pc);

	return m != NULL && *m != '\0' ? m : pcap_statustostr(status);
}

const char *
rkmp_cap_version(void)
{
	return pcap_lib_version();
}

void
rkmp_cap_describe(const struct rkmp_cap *cap, char *out, size_t n)
{
	const char *name = pcap_datalink_val_to_name(cap->linktype);
	const char *desc = pcap_datalink_val_to_description(cap->linktype);

	snprintf(out, n, "link-type %s (%s), snapshot length %d bytes", name ? name : "?",
	    desc ? desc : "unknown", cap->pc != NULL ? pcap_snapshot(cap->pc) : 0);
}

int
rkmp_cap_open_live(struct rkmp_cap **capp, const char *iface, const char *filter)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct rkmp_cap *cap;
	int r;

	if (capp != NULL)
		*capp = NULL;
	if (capp == NULL || iface == NULL || *iface == '\0')
		return rkmp_err_set(RKMP_E_USAGE, CAP_WHERE, "no interface given");
	if ((cap = cap_new(iface)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, CAP_WHERE, "%s: out of memory", iface);
	cap->live = true;
	errbuf[0] = '\0';
	if ((cap->pc = pcap_create(iface, errbuf)) == NULL) {
		rkmp_cap_close(cap);
		return rkmp_err_set(RKMP_E_SYSTEM, CAP_WHERE, "%s: %s", iface, errbuf);
	}
	/* The setters only fail on an activated handle, which this is not. */
	(void)pcap_set_snaplen(cap->pc, CAP_SNAPLEN);
	(void)pcap_set_promisc(cap->pc, 0);
	(void)pcap_set_immediate_mode(cap->pc, 1);
	(void)pcap_set_timeout(cap->pc, CAP_TIMEOUT_MS);
	(void)pcap_set_tstamp_precision(cap->pc, PCAP_TSTAMP_PRECISION_MICRO);
	/* r > 0 is a warning (e.g. promiscuous mode unsupported): the library does not print. */
	if ((r = pcap_activate(cap->pc)) < 0) {
		r = rkmp_err_set(RKMP_E_SYSTEM, CAP_WHERE, "%s: %s", iface,
		    cap_status_text(cap->pc, r));
		rkmp_cap_close(cap);
		return r;
	}
	cap->linktype = pcap_datalink(cap->pc);
	if (filter != NULL) {
		if ((r = rkmp_cap_set_filter(cap, filter)) != 0) {
			rkmp_cap_close(cap);
			return r;
		}
	} else if (rkmp_cap_set_filter(cap, CAP_DEFAULT_FILTER) != 0) {
		/*
		 * The default filter only saves copying other traffic to user
		 * space; on a link type it cannot be compiled for, read
		 * everything and let the parser skip it.
		 */
		rkmp_err_clear();
	}
	*capp = cap;
	return 0;
}

int
rkmp_cap_set_filter(struct rkmp_cap *cap, const char *filter)
{
	struct bpf_program prog;
	char *copy;
	int r;

	if (cap == NULL || cap->pc == NULL || filter == NULL)
		return rkmp_err_set(RKMP_E_USAGE, CAP_WHERE, "no filter given");
	if ((copy = strdup(filter)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, CAP_WHERE, "%s: filter: out of memory", cap->name);
	if (pcap_compile(cap->pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == PCAP_ERROR) {
		free(copy);
		return rkmp_err_set(RKMP_E_USAGE, CAP_WHERE, "filter \"%s\": %s", filter,
		    pcap_geterr(cap->pc));
	}
	if (!cap->live) {
		/*
		 * pcap_setfilter on a file would skip records inside libpcap,
		 * and frame numbers would no longer be record numbers (the
		 * ones Wireshark shows).  Run the program here instead.
		 */
		if (cap->have_prog)
			pcap_freecode(&cap->prog);
		cap->prog = prog;
		cap->have_prog = true;
		free(cap->filter);
		cap->filter = copy;
		return 0;
	}
	r = pcap_setfilter(cap->pc, &prog);
	pcap_freecode(&prog);
	if (r != 0) {
		free(copy);
		return rkmp_err_set(RKMP_E_SYSTEM, CAP_WHERE, "%s: filter \"%s\": %s", cap->name,
		    filter, pcap_geterr(cap->pc));
	}
	free(cap->filter);
	cap->filter = copy;
	return 0;
}

const char *
rkmp_cap_filter(const struct rkmp_cap *cap)
{
	return cap != NULL ? cap->filter : NULL;
}

int
rkmp_cap_add_port(struct rkmp_cap *cap, uint16_t port)
{
	if (cap == NULL || port == 0)
		return rkmp_err_set(RKMP_E_USAGE, CAP_WHERE, "port %u is not a UDP port", port);
	if (port == RKMP_PORT_IKE || port == RKMP_PORT_NATT || port == RKMP_PORT_RKMP)
		return 0;
	for (size_t i = 0; i < cap->nports; i++)
		if (cap->ports[i] == port)
			return 0;
	if (cap->nports == CAP_MAX_PORTS)
		return rkmp_err_set(RKMP_E_USAGE, CAP_WHERE,
		    "port %u: at most %d extra IKE ports", port, CAP_MAX_PORTS);
	cap->ports[cap->nports++] = port;
	return 0;
}

const struct rkmp_cap_stats *
rkmp_cap_stats(const struct rkmp_cap *cap)
{
	return cap != NULL ? &cap->st : &cap_nostats;
}

void
rkmp_cap_break(struct rkmp_cap *cap)
{
	if (cap == NULL)
		return;
	cap->stop = 1;
	if (cap->pc != NULL)
		pcap_breakloop(cap->pc);
}

void
rkmp_cap_close(struct rkmp_cap *cap)
{
	if (cap == NULL)
		return;
	if (cap->have_prog)
		pcap_freecode(&cap->prog);
	free(cap->filter);
	if (cap->pc != NULL)
		pcap_close(cap->pc);
	for (size_t i = 0; i < FRAG_SLOTS; i++)
		free(cap->frags[i].buf);
	free(cap);
}

/* ------------------------------------------------------------------ classification */

static int
cap_bad(struct rkmp_cap *cap)
{
	cap->st.bad++;
	return 0;
}

static int
cap_other(struct rkmp_cap *cap)
{
	cap->st.other++;
	return 0;
}

static enum port_kind
cap_port_kind(const struct rkmp_cap *cap, uint16_t sport, uint16_t dport)
{
	/* 4500 first: a 500 <-> 4500 datagram still carries a marker or ESP. */
	if (sport == RKMP_PORT_NATT || dport == RKMP_PORT_NATT)
		return PORT_NATT;
	if (sport == RKMP_PORT_IKE || dport == RKMP_PORT_IKE)
		return PORT_IKE;
	/* Neither port 500: a sender may put the non-ESP marker first (udp.c does,
	 * as strongSwan does), so 50500 is treated like an added port. */
	if (sport == RKMP_PORT_RKMP || dport == RKMP_PORT_RKMP)
		return PORT_EXTRA;
	for (size_t i = 0; i < cap->nports; i++)
		if (sport == cap->ports[i] || dport == cap->ports[i])
			return PORT_EXTRA;
	return PORT_NONE;
}

/*
 * UDP header and payload.  caplen octets are in the buffer, wire octets were in
 * the IP payload.  Returns 1 with *pkt filled for an IKE datagram, else 0.
 */
static int
cap_udp(struct rkmp_cap *cap, int af, const uint8_t *src, const uint8_t *dst,
    const uint8_t *p, size_t caplen, size_t wire, struct rkmp_pkt *pkt)
{
	enum port_kind kind;
	const uint8_t *data;
	uint16_t sport, dport;
	size_t ulen, len;
	bool marker = false;

	if (caplen < UDP_HDR_LEN)
		return cap_bad(cap);
	sport = rkmp_get16(p);
	dport = rkmp_get16(p + 2);
	ulen = rkmp_get16(p + 4);
	/* Less than the IP payload is legal (trailing octets); more is not. */
	if (ulen < UDP_HDR_LEN || ulen > wire)
		return cap_bad(cap);
	if ((kind = cap_port_kind(cap, sport, dport)) == PORT_NONE)
		return cap_other(cap);

	data = p + UDP_HDR_LEN;
	len = (caplen < ulen ? caplen : ulen) - UDP_HDR_LEN;
	ulen -= UDP_HDR_LEN;
	switch (kind) {
	case PORT_NATT:
		/* RFC 3948 §2.2-2.3: keepalive, non-ESP marker, or ESP (SPI != 0). */
		if (ulen == 1 && len == 1 && data[0] == 0xff) {
			cap->st.keepalive++;
			return 0;
		}
		/* Too short to be either, or cut before we could tell. */
		if (len < NONESP_MARKER_LEN)
			return cap_other(cap);
		if (rkmp_get32(data) != 0) {
			cap->st.esp++;
			return 0;
		}
		marker = true;
		break;
	case PORT_EXTRA:
		/* strongSwan and others put the marker on any non-500 port. */
		if (len >= NONESP_MARKER_LEN && rkmp_get32(data) == 0)
			marker = true;
		break;
	case PORT_IKE:
	case PORT_NONE:
		break;
	}
	if (marker) {
		data += NONESP_MARKER_LEN;
		len -= NONESP_MARKER_LEN;
		ulen -= NONESP_MARKER_LEN;
	}

	memset(pkt, 0, sizeof(*pkt));
	pkt->frame = cap->frame;
	pkt->ts_sec = cap->ts_sec;
	pkt->ts_usec = cap->ts_usec;
	pkt->af = af;
	/* Only for datagrams handed out: inet_ntop is the dearest call here. */
	if (inet_ntop(af, src, pkt->src, sizeof(pkt->src)) == NULL)
		pkt->src[0] = '\0';
	if (inet_ntop(af, dst, pkt->dst, sizeof(pkt->dst)) == NULL)
		pkt->dst[0] = '\0';
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->marker = marker;
	pkt->udp_len = ulen;
	pkt->data = data;
	pkt->len = len;
	pkt->truncated = len < ulen;
	cap->st.ike++;
	return 1;
}

/* The upper-layer protocol of an IP datagram (whole or reassembled). */
static int
cap_proto(struct rkmp_cap *cap, int af, const uint8_t *src, const uint8_t *dst, uint8_t proto,
    const uint8_t *p, size_t caplen, size_t wire, struct rkmp_pkt *pkt)
{
	switch (proto) {
	case PROTO_UDP:
		return cap_udp(cap, af, src, dst, p, caplen, wire, pkt);
	case PROTO_ESP:
		cap->st.esp++;
		return 0;
	default:
		return cap_other(cap);
	}
}

/* ------------------------------------------------------------------ reassembly */

static bool
frag_bit(const struct frag *f, size_t b)
{
	return (f->map[b >> 3] >> (b & 7)) & 1;
}

/* The pending datagram with this key, or a fresh slot for it (NULL: out of memory). */
static struct frag *
frag_slot(struct rkmp_cap *cap, int af, const uint8_t *src, const uint8_t *dst, uint32_t id,
    uint8_t proto)
{
	struct frag *f, *freeslot = NULL, *oldest = NULL;
	size_t alen = af == AF_INET ? 4 : 16;

	for (size_t i = 0; i < FRAG_SLOTS; i++) {
		f = &cap->frags[i];
		/* Capture time, not wall time: a file is read much faster than it was written. */
		if (f->seq != 0 && cap->ts_sec - f->first > FRAG_TIMEOUT)
			f->seq = 0;
		if (f->seq == 0) {
			if (freeslot == NULL)
				freeslot = f;
			continue;
		}
		if (f->af == af && f->id == id && (af != AF_INET || f->proto == proto) &&
		    memcmp(f->src, src, alen) == 0 && memcmp(f->dst, dst, alen) == 0)
			return f;
		if (oldest == NULL || f->seq < oldest->seq)
			oldest = f;
	}
	f = freeslot != NULL ? freeslot : oldest;
	if (f->buf == NULL && (f->buf = malloc(FRAG_MAX)) == NULL)
		return NULL;
	f->seq = ++cap->fseq;
	f->first = cap->ts_sec;
	f->af = af;
	memcpy(f->src, src, alen);
	memcpy(f->dst, dst, alen);
	f->id = id;
	f->proto = proto;
	f->have_last = false;
	f->total = f->maxend = f->nblocks = 0;
	memset(f->map, 0, sizeof(f->map));
	return f;
}

/* A fragment that cannot belong to a sane datagram: drop what we have of it. */
static int
frag_discard(struct rkmp_cap *cap, struct frag *f)
{
	f->seq = 0;
	return cap_bad(cap);
}

/*
 * One fragment: off/more from the fragment header, p/caplen/wire its data,
 * unfrag the header octets that count against the 65535 limit with it.  For
 * IPv6 proto is the fragment header's next header (possibly an extension
 * header of the fragmentable part).
 */
static int
cap_frag(struct rkmp_cap *cap, int af, const uint8_t *src, const uint8_t *dst, uint32_t id,
    uint8_t proto, size_t off, bool more, const uint8_t *p, size_t caplen, size_t wire,
    size_t unfrag, struct rkmp_pkt *pkt)
{
	struct frag *f;
	size_t end = off + wire, b0, b1;

	cap->st.fragments++;
	/* Only UDP can carry IKE: other protocols are counted once, by their first fragment. */
	if (proto != PROTO_UDP && (af == AF_INET || (proto != PROTO_DSTOPTS &&
	    proto != PROTO_ROUTING && proto != PROTO_HOPOPTS))) {
		if (off != 0)
			return 0;
		return cap_proto(cap, af, src, dst, proto, p, caplen, wire, pkt);
	}
	/* All but the last fragment carry a multiple of 8 octets (RFC 791, RFC 8200 §4.5). */
	if (more && (wire == 0 || wire % 8 != 0))
		return cap_bad(cap);
	if ((f = frag_slot(cap, af, src, dst, id, proto)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, CAP_WHERE, "fragment buffer: out of memory");
	if (unfrag + end > FRAG_MAX)
		return frag_discard(cap, f);
	if (f->have_last && end > f->total)
		return frag_discard(cap, f);
	if (!more) {
		if (end < f->maxend || (f->have_last && end != f->total))
			return frag_discard(cap, f);
		f->have_last = true;
		f->total = end;
	}
	/* Cut by the snaplen: this hole can never be filled. */
	if (caplen < wire)
		return 0;

	/*
	 * Overlaps are tolerated only when they repeat the same octets (a
	 * retransmitted fragment); different data in an overlap is an evasion
	 * trick (RFC 5722) and the whole datagram goes.  Blocks already filled
	 * hold every octet the new fragment could overlap: all but the last
	 * fragment are whole blocks, and the checks above keep the last one from
	 * ending inside data already seen.
	 */
	b0 = off / 8;
	b1 = (end + 7) / 8;
	for (size_t b = b0; b < b1; b++) {
		size_t lo, hi;

		if (!frag_bit(f, b))
			continue;
		lo = b * 8 > off ? b * 8 : off;
		hi = b * 8 + 8 < end ? b * 8 + 8 : end;
		if (memcmp(f->buf + lo, p + (lo - off), hi - lo) != 0)
			return frag_discard(cap, f);
	}
	if (wire > 0)
		memcpy(f->buf + off, p, wire);
	for (size_t b = b0; b < b1; b++) {
		if (!frag_bit(f, b)) {
			f->map[b >> 3] |= (uint8_t)(1u << (b & 7));
			f->nblocks++;
		}
	}
	if (end > f->maxend)
		f->maxend = end;
	if (!f->have_last || f->nblocks != (f->total + 7) / 8)
		return 0;

	/*
	 * Complete.  The slot is free again but its buffer is not touched
	 * until the next record, so the datagram handed out stays valid as
	 * the interface promises; its frame is this (the completing) record.
	 */
	f->seq = 0;
	cap->st.reassembled++;
	if (af == AF_INET)
		return cap_proto(cap, af, src, dst, proto, f->buf, f->total, f->total, pkt);
	return cap_ip6_ext(cap, src, dst, proto, f->buf, f->total, f->total, false, pkt);
}

/* ------------------------------------------------------------------ IP */

static int
cap_ip4(struct rkmp_cap *cap, const uint8_t *p, size_t caplen, size_t wire, struct rkmp_pkt *pkt)
{
	size_t hl, tot, plcap;
	uint16_t fo;

	if (caplen < IP4_HDR_MIN || (p[0] >> 4) != 4)
		return cap_bad(cap);
	hl = (size_t)(p[0] & 0x0f) * 4;
	if (hl < IP4_HDR_MIN || hl > caplen)
		return cap_bad(cap);
	/* The frame may be longer (Ethernet padding), never shorter. */
	tot = rkmp_get16(p + 2);
	if (tot < hl || tot > wire)
		return cap_bad(cap);
	plcap = (caplen < tot ? caplen : tot) - hl;
	fo = rkmp_get16(p + 6);
	if ((fo & 0x3fff) != 0)		/* MF set or a non-zero offset */
		return cap_frag(cap, AF_INET, p + 12, p + 16, rkmp_get16(p + 4), p[9],
		    (size_t)(fo & 0x1fff) * 8, (fo & 0x2000) != 0, p + hl, plcap, tot - hl, hl,
		    pkt);
	return cap_proto(cap, AF_INET, p + 12, p + 16, p[9], p + hl, plcap, tot - hl, pkt);
}

/*
 * IPv6 extension headers from next header nh over p (caplen captured, wire on
 * the wire).  frag_ok is false inside a reassembled payload: a second
 * fragment header there is nonsense.
 */
static int
cap_ip6_ext(struct rkmp_cap *cap, const uint8_t *src, const uint8_t *dst, uint8_t nh,
    const uint8_t *p, size_t caplen, size_t wire, bool frag_ok, struct rkmp_pkt *pkt)
{
	size_t off = 0, hl;
	uint16_t fo;

	for (int i = 0; i < IP6_MAX_EXT; i++) {
		switch (nh) {
		case PROTO_HOPOPTS:
		case PROTO_ROUTING:
		case PROTO_DSTOPTS:
			if (caplen - off < 2)
				return cap_bad(cap);
			hl = ((size_t)p[off + 1] + 1) * 8;
			if (hl > caplen - off)
				return cap_bad(cap);
			nh = p[off];
			off += hl;
			break;
		case PROTO_FRAGMENT:
			if (!frag_ok || caplen - off < IP6_FRAG_LEN)
				return cap_bad(cap);
			nh = p[off];
			fo = rkmp_get16(p + off + 2);
			off += IP6_FRAG_LEN;
			/* An atomic fragment (offset 0, M clear) is a whole datagram (RFC 6946). */
			if ((fo & 0xfff9) == 0)
				break;
			return cap_frag(cap, AF_INET6, src, dst, rkmp_get32(p + off - 4), nh,
			    fo & 0xfff8, (fo & 1) != 0, p + off, caplen - off, wire - off,
			    off - IP6_FRAG_LEN, pkt);
		default:
			return cap_proto(cap, AF_INET6, src, dst, nh, p + off, caplen - off,
			    wire - off, pkt);
		}
	}
	return cap_bad(cap);
}

static int
cap_ip6(struct rkmp_cap *cap, const uint8_t *p, size_t caplen, size_t wire, struct rkmp_pkt *pkt)
{
	size_t plen;

	if (caplen < IP6_HDR_LEN || (p[0] >> 4) != 6)
		return cap_bad(cap);
	/* 0 would be a jumbogram (RFC 2675), which no IKE message needs. */
	plen = rkmp_get16(p + 4);
	if (plen == 0 || IP6_HDR_LEN + plen > wire)
		return cap_bad(cap);
	return cap_ip6_ext(cap, p + 8, p + 24, p[6], p + IP6_HDR_LEN,
	    (caplen < IP6_HDR_LEN + plen ? caplen : IP6_HDR_LEN + plen) - IP6_HDR_LEN, plen, true,
	    pkt);
}

/* ------------------------------------------------------------------ link layer */

/* An Ethernet type at p + off, after any number of VLAN tags. */
static int
cap_ethertype(struct rkmp_cap *cap, const uint8_t *p, size_t caplen, size_t wire, size_t off,
    uint16_t et, struct rkmp_pkt *pkt)
{
	while (et == ETHERTYPE_8021Q || et == ETHERTYPE_8021AD || et == ETHERTYPE_QINQ_OLD) {
		if (caplen - off < VLAN_TAG_LEN)
			return cap_bad(cap);
		et = rkmp_get16(p + off + 2);
		off += VLAN_TAG_LEN;
	}
	switch (et) {
	case ETHERTYPE_IPV4:
		return cap_ip4(cap, p + off, caplen - off, wire - off, pkt);
	case ETHERTYPE_IPV6:
		return cap_ip6(cap, p + off, caplen - off, wire - off, pkt);
	default:
		return cap_other(cap);
	}
}

/* BSD loopback: an address family; its numbers for IPv6 differ by OS. */
static int
cap_family(struct rkmp_cap *cap, uint32_t fam, const uint8_t *p, size_t caplen, size_t wire,
    struct rkmp_pkt *pkt)
{
	switch (fam) {
	case 2:
		return cap_ip4(cap, p, caplen, wire, pkt);
	case 10:	/* Linux */
	case 24:	/* NetBSD, OpenBSD, BSD/OS */
	case 28:	/* FreeBSD, DragonFly */
	case 30:	/* macOS */
		return cap_ip6(cap, p, caplen, wire, pkt);
	default:
		return cap_other(cap);
	}
}

static int
cap_record(struct rkmp_cap *cap, const struct pcap_pkthdr *h, const uint8_t *p,
    struct rkmp_pkt *pkt)
{
	size_t caplen = h->caplen;
	/* A crafted file may claim fewer octets on the wire than it holds. */
	size_t wire = h->len > h->caplen ? h->len : h->caplen;
	uint32_t fam;

	switch (cap->linktype) {
	case LT_EN10MB:
		if (caplen < ETH_HDR_LEN)
			return cap_bad(cap);
		return cap_ethertype(cap, p, caplen, wire, ETH_HDR_LEN, rkmp_get16(p + 12), pkt);
	case LT_LINUX_SLL:
		if (caplen < SLL_HDR_LEN)
			return cap_bad(cap);
		return cap_ethertype(cap, p, caplen, wire, SLL_HDR_LEN, rkmp_get16(p + 14), pkt);
	case LT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN)
			return cap_bad(cap);
		return cap_ethertype(cap, p, caplen, wire, SLL2_HDR_LEN, rkmp_get16(p), pkt);
	case LT_NULL:
		if (caplen < NULL_HDR_LEN)
			return cap_bad(cap);
		/*
		 * Host order of the machine that wrote the file, which need
		 * not be ours; families are small, so swap a value that only
		 * makes sense swapped (as tcpdump does).
		 */
		memcpy(&fam, p, sizeof(fam));
		if ((fam & 0xffff0000u) != 0)
			fam = (fam >> 24) | ((fam >> 8) & 0xff00u) | ((fam << 8) & 0xff0000u) |
			    (fam << 24);
		return cap_family(cap, fam, p + NULL_HDR_LEN, caplen - NULL_HDR_LEN,
		    wire - NULL_HDR_LEN, pkt);
	case LT_LOOP:
		if (caplen < NULL_HDR_LEN)
			return cap_bad(cap);
		return cap_family(cap, rkmp_get32(p), p + NULL_HDR_LEN, caplen - NULL_HDR_LEN,
		    wire - NULL_HDR_LEN, pkt);
	case LT_RAW_12:
	case LT_RAW_14:
	case LT_RAW_101:
		if (caplen < 1)
			return cap_bad(cap);
		if ((p[0] >> 4) == 4)
			return cap_ip4(cap, p, caplen, wire, pkt);
		if ((p[0] >> 4) == 6)
			return cap_ip6(cap, p, caplen, wire, pkt);
		return cap_bad(cap);
	case LT_IPV4:
		return cap_ip4(cap, p, caplen, wire, pkt);
	case LT_IPV6:
		return cap_ip6(cap, p, caplen, wire, pkt);
	default:
		return cap_other(cap);
	}
}

/* ------------------------------------------------------------------ reading */

static int
cap_read_error(struct rkmp_cap *cap)
{
	const char *m = pcap_geterr(cap->pc);

	if (m == NULL)
		m = "read error";
	if (cap->live)
		return rkmp_err_set(RKMP_E_SYSTEM, CAP_WHERE, "%s: %s", cap->name, m);
	/*
	 * libpcap says "truncated dump file; tried to read N ..." (pcap) or
	 * "truncated pcapng dump file; ..." when the file ends inside a record.
	 */
	if (strstr(m, "truncated") != NULL)
		return rkmp_err_set(RKMP_E_TRUNCATED, CAP_WHERE, "record %llu cut short",
		    (unsigned long long)cap->st.records + 1);
	if (strstr(m, "error reading") != NULL)
		return rkmp_err_set(RKMP_E_SYSTEM, CAP_WHERE, "%s: %s", cap->name, m);
	/* The rest is a record libpcap finds impossible (bad lengths, block types). */
	return rkmp_err_set(RKMP_E_INVALID, CAP_WHERE, "%s: record %llu: %s", cap->name,
	    (unsigned long long)cap->st.records + 1, m);
}

int
rkmp_cap_next(struct rkmp_cap *cap, struct rkmp_pkt *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	if (cap == NULL || cap->pc == NULL || pkt == NULL)
		return rkmp_err_set(RKMP_E_USAGE, CAP_WHERE, "no capture open");
	for (;;) {
		if (cap->done || cap->stop)
			return 0;
		r = pcap_next_ex(cap->pc, &h, &data);
		if (r == 0)		/* live: the timeout passed with nothing */
			continue;
		if (r == PCAP_ERROR_BREAK) {	/* end of file, or pcap_breakloop */
			cap->done = true;
			return 0;
		}
		if (r < 0) {
			cap->done = true;
			return cap_read_error(cap);
		}
		cap->st.records++;
		if (cap->have_prog && pcap_offline_filter(&cap->prog, h, data) == 0)
			continue;
		cap->frame = cap->st.records;
		cap->ts_sec = (int64_t)h->ts.tv_sec;
		cap->ts_usec = (int32_t)h->ts.tv_usec;
		if ((r = cap_record(cap, h, data, pkt)) != 0)
			return r;
	}
}

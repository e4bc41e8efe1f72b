/* SPDX-License-Identifier: MIT */
/*
 * capture.h — IKE datagrams out of pcap/pcapng files and live interfaces.
 *
 * Reads records with libpcap, strips the link layer (Ethernet with any number
 * of 802.1Q/802.1ad tags, Linux cooked SLL and SLL2, BSD loopback/NULL, raw
 * IPv4/IPv6), the IP layer (IPv4 and IPv6, with fragment reassembly for both)
 * and UDP, and hands back the UDP payloads on IKE ports: 500, 4500 (non-ESP
 * marker stripped; ESP packets there are counted and skipped), 50500 (RKMP),
 * and any added with rkmp_cap_add_port().  Everything else is counted and
 * skipped.  A bad packet never stops the reader.
 */
#ifndef RKMP_CAPTURE_H
#define RKMP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"	/* RKMP_PORT_IKE, RKMP_PORT_NATT, RKMP_PORT_RKMP */

struct rkmp_cap;

/* One IKE datagram.  data/len point into reader-owned memory valid until the next call. */
struct rkmp_pkt {
	uint64_t	 frame;		/* pcap record number, 1-based (last fragment's when reassembled) */
	int64_t		 ts_sec;
	int32_t		 ts_usec;	/* microseconds (nanosecond captures are rounded down) */
	int		 af;		/* AF_INET or AF_INET6 */
	char		 src[46];	/* printable addresses (inet_ntop) */
	char		 dst[46];
	uint16_t	 sport;
	uint16_t	 dport;
	bool		 marker;	/* a 4-octet non-ESP marker was stripped (port 4500) */
	bool		 truncated;	/* the capture holds fewer octets than the UDP length says */
	size_t		 udp_len;	/* the UDP payload length the UDP header claims (minus marker) */
	const uint8_t	*data;		/* the IKE message (header onwards), len octets captured */
	size_t		 len;
};

struct rkmp_cap_stats {
	uint64_t	 records;	/* pcap records read */
	uint64_t	 ike;		/* IKE datagrams handed out */
	uint64_t	 esp;		/* ESP-in-UDP on 4500 (and raw IP proto 50) skipped */
	uint64_t	 keepalive;	/* NAT-T keepalives (one 0xff octet) skipped */
	uint64_t	 other;		/* not IP/UDP, other ports, unknown link type */
	uint64_t	 bad;		/* broken link/IP/UDP headers (counted, skipped) */
	uint64_t	 fragments;	/* IP fragments seen */
	uint64_t	 reassembled;	/* datagrams rebuilt from fragments */
};

/* Open a capture file ("-" = stdin), pcap or pcapng.  0 or RKMP_E_* (detail set). */
int	rkmp_cap_open_file(struct rkmp_cap **cap, const char *path);
/* Open a live interface with an optional BPF expression (NULL = the default
 * "udp or (ip[6:2] & 0x1fff != 0) or ip6" so fragments reach the reassembler). */
int	rkmp_cap_open_live(struct rkmp_cap **cap, const char *iface, const char *filter);
/* "link-type EN10MB (Ethernet), snapshot length 262144 bytes", as tcpdump
 * says it, for a capture's startup line. */
void	rkmp_cap_describe(const struct rkmp_cap *cap, char *out, size_t n);
/* libpcap's own version line ("libpcap version 1.10.4 (with TPACKET_V3)"). */
const char *rkmp_cap_version(void);
/* Apply a BPF filter to an open capture (file or live). */
int	rkmp_cap_set_filter(struct rkmp_cap *cap, const char *filter);
/* The BPF expression in force, as given (rkmp_cap_open_live's default when it
 * was given none); NULL when there is none (the default did not compile for
 * the link type, and every packet is read). */
const char *rkmp_cap_filter(const struct rkmp_cap *cap);
/* Treat UDP port as IKE too (both directions).  Up to 16 extra ports. */
int	rkmp_cap_add_port(struct rkmp_cap *cap, uint16_t port);
/* Next IKE datagram: 1 with *pkt filled, 0 at the end, negative RKMP_E_* on a
 * read error (a truncated capture file: RKMP_E_TRUNCATED "capture: record N cut short"). */
int	rkmp_cap_next(struct rkmp_cap *cap, struct rkmp_pkt *pkt);
const struct rkmp_cap_stats *rkmp_cap_stats(const struct rkmp_cap *cap);
/* Stop a live capture from a signal handler (pcap_breakloop). */
void	rkmp_cap_break(struct rkmp_cap *cap);
void	rkmp_cap_close(struct rkmp_cap *cap);

#endif

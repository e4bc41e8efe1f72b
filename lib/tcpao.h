/* SPDX-License-Identifier: MIT */
/*
 * tcpao.h — TCP-AO crypto (RFC 5925, RFC 5926): the four traffic keys of a
 * connection from a master key, and the MAC over a TCP segment.  Checked
 * against all 32 vectors of RFC 9235.
 */
#ifndef RKMP_TCPAO_H
#define RKMP_TCPAO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rkmp_tcpao_alg {
	RKMP_TCPAO_HMAC_SHA1_96,	/* KDF_HMAC_SHA1, 20-octet traffic keys */
	RKMP_TCPAO_AES_128_CMAC_96,	/* KDF_AES_128_CMAC, 16-octet traffic keys */
};

/* The connection from the SENDER's point of view (RFC 5925 §5.2). */
struct rkmp_tcpao_conn {
	int		 af;		/* AF_INET or AF_INET6 */
	uint8_t		 src[16], dst[16];
	uint16_t	 sport, dport;
	uint32_t	 src_isn, dst_isn;
};

struct rkmp_tcpao_keys {
	size_t	 len;			/* 20 or 16 */
	uint8_t	 send_syn[20], receive_syn[20], send_other[20], receive_other[20];
};

/* "hmac-sha1" / "aes-128-cmac" (and the RFC 7210 names HMAC-SHA-1-96, AES-128-CMAC-96) */
int	rkmp_tcpao_alg_parse(const char *name, enum rkmp_tcpao_alg *alg);
/* One traffic key: KDF(Master_Key, i=1 | "TCP-AO" | Context | Output_Length) (RFC 5926 §3.1). */
int	rkmp_tcpao_traffic_key(enum rkmp_tcpao_alg alg, const uint8_t *master, size_t master_len,
	    const struct rkmp_tcpao_conn *c, uint8_t *out, size_t *out_len);
/* The four keys for connection c as seen by its sender (SYN keys with the peer ISN 0). */
int	rkmp_tcpao_keys(enum rkmp_tcpao_alg alg, const uint8_t *master, size_t master_len,
	    const struct rkmp_tcpao_conn *c, struct rkmp_tcpao_keys *k);
/*
 * The 12-octet MAC of a TCP segment (RFC 5925 §5.1): SNE | pseudo-header |
 * TCP header (checksum and the TCP-AO MAC zeroed) | options (all but TCP-AO
 * left out when !include_options) | payload.  segment = TCP header onwards.
 */
int	rkmp_tcpao_mac(enum rkmp_tcpao_alg alg, const uint8_t *traffic_key, size_t key_len,
	    uint32_t sne, const struct rkmp_tcpao_conn *c, const uint8_t *segment, size_t seg_len,
	    bool include_options, uint8_t mac[12]);

#endif

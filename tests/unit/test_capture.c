/* SPDX-License-Identifier: MIT */
/*
 * test_capture.c — lib/capture.c against the files in testdata/capture/,
 * written by tests/make-capture-fixtures.py (record i is stamped
 * 1700000000 + i seconds and 123456 + i microseconds unless noted).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "err.h"
#include "test_helper.h"
#include "tests.h"

#define TS0	1700000000

static int
open_fixture(const char *name, struct rkmp_cap **cap)
{
	char path[256];

	snprintf(path, sizeof(path), "../../testdata/capture/%s", name);
	return rkmp_cap_open_file(cap, path);
}

/* The fixture script's ike(seed, body): a 28-octet IKE_SA_INIT header and a pattern. */
static uint8_t *
fake_ike(int seed, size_t body, size_t *len)
{
	size_t n = 28 + body;
	uint8_t *p = calloc(1, n);

	if (p == NULL)
		return NULL;
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(seed + i + 1);
	p[16] = 33;
	p[17] = 0x20;
	p[18] = 34;
	p[19] = 0x08;
	p[24] = (uint8_t)(n >> 24);
	p[25] = (uint8_t)(n >> 16);
	p[26] = (uint8_t)(n >> 8);
	p[27] = (uint8_t)n;
	for (size_t i = 0; i < body; i++)
		p[28 + i] = (uint8_t)(seed * 31 + i * 7);
	*len = n;
	return p;
}

/* pkt holds exactly ike(seed, body) */
static int
is_ike(const struct rkmp_pkt *pkt, int seed, size_t body)
{
	size_t n;
	uint8_t *want = fake_ike(seed, body, &n);
	int ok = want != NULL && pkt->len == n && pkt->udp_len == n && !pkt->truncated &&
	    memcmp(pkt->data, want, n) == 0;

	free(want);
	return ok;
}

TEST(capture_eth_ipv4_ike)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("eth.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 2);		/* record 1 is ARP */
	ASSERT_INT_EQ(pkt.ts_sec, TS0 + 1);
	ASSERT_INT_EQ(pkt.ts_usec, 123457);
	ASSERT_INT_EQ(pkt.af, AF_INET);
	ASSERT_STR_EQ(pkt.src, "192.0.2.1");
	ASSERT_STR_EQ(pkt.dst, "192.0.2.2");
	ASSERT_INT_EQ(pkt.sport, 500);
	ASSERT_INT_EQ(pkt.dport, 500);
	ASSERT_TRUE(!pkt.marker);
	ASSERT_INT_EQ(pkt.len, 68);
	ASSERT_TRUE(is_ike(&pkt, 1, 40));
	rkmp_cap_close(cap);
}

TEST(capture_eth_two_vlan_tags)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("eth.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 6);		/* 802.1ad 100, 802.1Q 200 */
	ASSERT_STR_EQ(pkt.dst, "192.0.2.2");
	ASSERT_TRUE(is_ike(&pkt, 2, 40));
	rkmp_cap_close(cap);
}

TEST(capture_eth_ipv6_dstopts)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("eth.pcap", &cap), 0);
	for (int i = 0; i < 3; i++)
		ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 7);
	ASSERT_INT_EQ(pkt.af, AF_INET6);
	ASSERT_STR_EQ(pkt.src, "2001:db8::1");
	ASSERT_STR_EQ(pkt.dst, "2001:db8::2");
	ASSERT_TRUE(is_ike(&pkt, 3, 40));
	rkmp_cap_close(cap);
}

TEST(capture_eth_skips_and_counts)
{
	static const uint8_t four[] = { 0xde, 0xad, 0xbe, 0xef };
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;
	const struct rkmp_cap_stats *st;

	ASSERT_INT_EQ(open_fixture("eth.pcap", &cap), 0);
	for (int i = 0; i < 4; i++)
		ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	/* Ethernet pads the 46-octet frame to 60: the IP length decides, not the frame. */
	ASSERT_INT_EQ(pkt.frame, 9);
	ASSERT_INT_EQ(pkt.len, 4);
	ASSERT_INT_EQ(pkt.udp_len, 4);
	ASSERT_MEM_EQ(pkt.data, four, 4);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	st = rkmp_cap_stats(cap);
	ASSERT_INT_EQ(st->records, 12);
	ASSERT_INT_EQ(st->ike, 4);
	ASSERT_INT_EQ(st->other, 2);	/* ARP, DNS */
	ASSERT_INT_EQ(st->esp, 1);	/* IP protocol 50 */
	ASSERT_INT_EQ(st->bad, 5);	/* IHL 3, UDP length, version 5, IPv4 and IPv6 lengths */
	ASSERT_INT_EQ(st->keepalive, 0);
	ASSERT_INT_EQ(st->fragments, 0);
	rkmp_cap_close(cap);
}

TEST(capture_linux_sll)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("sll.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET);
	ASSERT_STR_EQ(pkt.src, "192.0.2.1");
	ASSERT_TRUE(is_ike(&pkt, 4, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	rkmp_cap_close(cap);
}

TEST(capture_linux_sll2)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("sll2.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET6);
	ASSERT_STR_EQ(pkt.dst, "2001:db8::2");
	ASSERT_TRUE(is_ike(&pkt, 5, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	rkmp_cap_close(cap);
}

TEST(capture_null_and_loop)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	/* NULL: family 2 little-endian, 30 (macOS IPv6) big-endian, then family 7. */
	ASSERT_INT_EQ(open_fixture("null.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET);
	ASSERT_TRUE(is_ike(&pkt, 6, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET6);
	ASSERT_TRUE(is_ike(&pkt, 7, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->other, 1);
	rkmp_cap_close(cap);

	/* LOOP: network order; IPv6 as 24 (OpenBSD) and 28 (FreeBSD). */
	ASSERT_INT_EQ(open_fixture("loop.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET6);
	ASSERT_TRUE(is_ike(&pkt, 7, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET6);
	ASSERT_TRUE(is_ike(&pkt, 8, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	rkmp_cap_close(cap);
}

TEST(capture_raw_ip)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("raw.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET);
	ASSERT_TRUE(is_ike(&pkt, 10, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET6);
	ASSERT_STR_EQ(pkt.src, "2001:db8::1");
	ASSERT_TRUE(is_ike(&pkt, 11, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->bad, 1);	/* version 5 */
	rkmp_cap_close(cap);

	ASSERT_INT_EQ(open_fixture("ipv4.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET);
	ASSERT_TRUE(is_ike(&pkt, 12, 40));
	rkmp_cap_close(cap);

	ASSERT_INT_EQ(open_fixture("ipv6.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.af, AF_INET6);
	ASSERT_TRUE(is_ike(&pkt, 13, 40));
	rkmp_cap_close(cap);
}

TEST(capture_natt_marker_esp_keepalive)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;
	const struct rkmp_cap_stats *st;

	ASSERT_INT_EQ(open_fixture("natt.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 1);
	ASSERT_INT_EQ(pkt.sport, 4500);
	ASSERT_TRUE(pkt.marker);
	ASSERT_TRUE(is_ike(&pkt, 20, 40));	/* marker gone, udp_len without it */
	/* 2 ESP and 3 keepalive skipped; 4 is 50500 */
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 4);
	ASSERT_INT_EQ(pkt.dport, 50500);
	ASSERT_TRUE(!pkt.marker);
	ASSERT_TRUE(is_ike(&pkt, 21, 40));
	/* 5 and 6 are on port 7000, not added here; 7 is 4500 over IPv6 */
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 7);
	ASSERT_INT_EQ(pkt.af, AF_INET6);
	ASSERT_TRUE(pkt.marker);
	ASSERT_TRUE(is_ike(&pkt, 24, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	st = rkmp_cap_stats(cap);
	ASSERT_INT_EQ(st->records, 7);
	ASSERT_INT_EQ(st->ike, 3);
	ASSERT_INT_EQ(st->esp, 1);
	ASSERT_INT_EQ(st->keepalive, 1);
	ASSERT_INT_EQ(st->other, 2);
	ASSERT_INT_EQ(st->bad, 0);
	rkmp_cap_close(cap);
}

TEST(capture_added_port)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("natt.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_add_port(cap, 7000), 0);
	ASSERT_INT_EQ(rkmp_cap_add_port(cap, 7000), 0);	/* again: no-op */
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 5);
	ASSERT_INT_EQ(pkt.dport, 7000);
	ASSERT_TRUE(pkt.marker);		/* four zero octets on a non-500 port */
	ASSERT_TRUE(is_ike(&pkt, 22, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 6);
	ASSERT_INT_EQ(pkt.sport, 7000);
	ASSERT_TRUE(!pkt.marker);
	ASSERT_TRUE(is_ike(&pkt, 23, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 7);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->ike, 5);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->other, 0);
	rkmp_cap_close(cap);
}

TEST(capture_add_port_limits)
{
	struct rkmp_cap *cap;

	ASSERT_INT_EQ(open_fixture("natt.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_add_port(cap, 0), RKMP_E_USAGE);
	ASSERT_INT_EQ(rkmp_cap_add_port(cap, 500), 0);		/* already IKE */
	for (uint16_t p = 1000; p < 1016; p++)
		ASSERT_INT_EQ(rkmp_cap_add_port(cap, p), 0);
	ASSERT_INT_EQ(rkmp_cap_add_port(cap, 1015), 0);		/* present */
	ASSERT_INT_EQ(rkmp_cap_add_port(cap, 2000), RKMP_E_USAGE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "16");
	rkmp_cap_close(cap);
}

TEST(capture_frag4_out_of_order)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;
	const struct rkmp_cap_stats *st;
	uint8_t *want;
	size_t wlen = 0;

	ASSERT_TRUE((want = test_data_file("capture/frag4-payload.bin", &wlen)) != NULL);
	ASSERT_INT_EQ(wlen, 1228);
	ASSERT_INT_EQ(open_fixture("frag4.pcap", &cap), 0);
	/* 1: middle, 2: last, 3: an unrelated datagram, 4: middle again, 5: first */
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 3);
	ASSERT_TRUE(is_ike(&pkt, 31, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 5);
	ASSERT_INT_EQ(pkt.ts_sec, TS0 + 4);
	ASSERT_INT_EQ(pkt.af, AF_INET);
	ASSERT_STR_EQ(pkt.src, "192.0.2.1");
	ASSERT_STR_EQ(pkt.dst, "192.0.2.2");
	ASSERT_INT_EQ(pkt.sport, 500);
	ASSERT_INT_EQ(pkt.len, wlen);
	ASSERT_INT_EQ(pkt.udp_len, wlen);
	ASSERT_TRUE(!pkt.truncated);
	ASSERT_MEM_EQ(pkt.data, want, wlen);
	free(want);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	st = rkmp_cap_stats(cap);
	ASSERT_INT_EQ(st->fragments, 4);
	ASSERT_INT_EQ(st->reassembled, 1);
	ASSERT_INT_EQ(st->ike, 2);
	ASSERT_INT_EQ(st->bad, 0);
	rkmp_cap_close(cap);
}

TEST(capture_frag4_overlap_and_oversize)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;
	const struct rkmp_cap_stats *st;

	ASSERT_INT_EQ(open_fixture("frag4-bad.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	st = rkmp_cap_stats(cap);
	ASSERT_INT_EQ(st->fragments, 4);
	ASSERT_INT_EQ(st->reassembled, 0);
	ASSERT_INT_EQ(st->ike, 0);
	ASSERT_INT_EQ(st->bad, 2);	/* the differing overlap, the fragment past 65535 */
	rkmp_cap_close(cap);
}

TEST(capture_frag4_timeout)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("frag4-timeout.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 4);		/* 59 s apart: kept; 61 s: expired */
	ASSERT_TRUE(is_ike(&pkt, 33, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->reassembled, 1);
	rkmp_cap_close(cap);
}

TEST(capture_frag4_table_full)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("frag4-evict.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 67);		/* ident 65; ident 1 was dropped */
	ASSERT_TRUE(is_ike(&pkt, 33, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->fragments, 67);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->reassembled, 1);
	rkmp_cap_close(cap);
}

TEST(capture_frag6)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;
	const struct rkmp_cap_stats *st;
	uint8_t *want;
	size_t wlen = 0;

	ASSERT_TRUE((want = test_data_file("capture/frag6-payload.bin", &wlen)) != NULL);
	ASSERT_INT_EQ(open_fixture("frag6.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 3);
	ASSERT_INT_EQ(pkt.af, AF_INET6);
	ASSERT_STR_EQ(pkt.src, "2001:db8::1");
	ASSERT_INT_EQ(pkt.len, wlen);
	ASSERT_INT_EQ(pkt.udp_len, wlen);
	ASSERT_MEM_EQ(pkt.data, want, wlen);
	free(want);
	/* hop-by-hop, fragment, then destination options inside the fragments */
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 5);
	ASSERT_TRUE(is_ike(&pkt, 41, 500));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	st = rkmp_cap_stats(cap);
	ASSERT_INT_EQ(st->fragments, 5);
	ASSERT_INT_EQ(st->reassembled, 2);
	ASSERT_INT_EQ(st->bad, 0);
	rkmp_cap_close(cap);
}

TEST(capture_snaplen_truncated)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;
	uint8_t *want;
	size_t n;

	ASSERT_TRUE((want = fake_ike(50, 272, &n)) != NULL);
	ASSERT_INT_EQ(open_fixture("snaplen.pcap", &cap), 0);
	/* 128 of 342 octets: 86 of the 300-octet message */
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_TRUE(pkt.truncated);
	ASSERT_INT_EQ(pkt.udp_len, 300);
	ASSERT_INT_EQ(pkt.len, 86);
	ASSERT_MEM_EQ(pkt.data, want, 86);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_TRUE(pkt.truncated);
	ASSERT_TRUE(pkt.marker);
	ASSERT_INT_EQ(pkt.udp_len, 300);
	ASSERT_INT_EQ(pkt.len, 82);
	ASSERT_MEM_EQ(pkt.data, want, 82);
	free(want);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->bad, 0);
	rkmp_cap_close(cap);
}

TEST(capture_pcapng)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("ike.pcapng", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 1);
	ASSERT_INT_EQ(pkt.ts_sec, TS0);
	ASSERT_INT_EQ(pkt.ts_usec, 654321);
	ASSERT_TRUE(is_ike(&pkt, 60, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 2);
	ASSERT_INT_EQ(pkt.af, AF_INET6);
	ASSERT_TRUE(pkt.marker);
	ASSERT_TRUE(is_ike(&pkt, 61, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	rkmp_cap_close(cap);
}

TEST(capture_nsec_rounded_down)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("nsec.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.ts_sec, TS0);
	ASSERT_INT_EQ(pkt.ts_usec, 123456);	/* 123456789 ns */
	ASSERT_TRUE(is_ike(&pkt, 62, 40));
	rkmp_cap_close(cap);
}

TEST(capture_file_cut_in_record)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("cut.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_TRUE(is_ike(&pkt, 70, 40));
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_TRUE(is_ike(&pkt, 71, 40));
	rkmp_err_clear();
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), RKMP_E_TRUNCATED);
	ASSERT_STR_EQ(rkmp_err_where(), "capture");
	ASSERT_STR_EQ(rkmp_err_detail(), "record 3 cut short");
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->records, 2);
	rkmp_cap_close(cap);

	/* the same, with the file ending inside the record header */
	ASSERT_INT_EQ(open_fixture("cut-header.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), RKMP_E_TRUNCATED);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "cut short");
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	rkmp_cap_close(cap);
}

TEST(capture_not_a_capture)
{
	struct rkmp_cap *cap = (struct rkmp_cap *)&cap;

	ASSERT_INT_EQ(open_fixture("not-a-capture.txt", &cap), RKMP_E_INVALID);
	ASSERT_TRUE(cap == NULL);
	ASSERT_STR_CONTAINS(rkmp_err_text(), "capture: ../../testdata/capture/not-a-capture.txt: "
	    "not a pcap or pcapng file (");
	ASSERT_INT_EQ(open_fixture("empty.pcap", &cap), RKMP_E_INVALID);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "not a pcap or pcapng file");
}

TEST(capture_missing_file)
{
	struct rkmp_cap *cap;

	ASSERT_INT_EQ(open_fixture("no-such-file.pcap", &cap), RKMP_E_SYSTEM);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "no-such-file.pcap: No such file or directory");
	ASSERT_INT_EQ(open_fixture(".", &cap), RKMP_E_SYSTEM);	/* a directory */
	ASSERT_INT_EQ(rkmp_cap_open_file(&cap, ""), RKMP_E_USAGE);
}

TEST(capture_unknown_link_type)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("unknown-link.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->records, 2);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->other, 2);
	rkmp_cap_close(cap);
}

TEST(capture_filter)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("natt.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_set_filter(cap, "udp and not port 4500"), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	ASSERT_INT_EQ(pkt.frame, 4);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	/* frame numbers stay record numbers; records counts every record read */
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->records, 7);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->other, 2);
	ASSERT_INT_EQ(rkmp_cap_stats(cap)->esp, 0);
	ASSERT_INT_EQ(rkmp_cap_set_filter(cap, "udp port"), RKMP_E_USAGE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "udp port");
	rkmp_cap_close(cap);
}

TEST(capture_break)
{
	struct rkmp_cap *cap;
	struct rkmp_pkt pkt;

	ASSERT_INT_EQ(open_fixture("natt.pcap", &cap), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 1);
	rkmp_cap_break(cap);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	ASSERT_INT_EQ(rkmp_cap_next(cap, &pkt), 0);
	rkmp_cap_close(cap);
	rkmp_cap_break(NULL);
	rkmp_cap_close(NULL);
	ASSERT_INT_EQ(rkmp_cap_stats(NULL)->records, 0);
}

TEST(capture_live_no_such_interface)
{
	struct rkmp_cap *cap = (struct rkmp_cap *)&cap;

	/* Unprivileged or not, activating an interface that is not there fails. */
	ASSERT_INT_EQ(rkmp_cap_open_live(&cap, "rkmp-nosuch0", NULL), RKMP_E_SYSTEM);
	ASSERT_TRUE(cap == NULL);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "rkmp-nosuch0");
	ASSERT_INT_EQ(rkmp_cap_open_live(&cap, "", NULL), RKMP_E_USAGE);
}

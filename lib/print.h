/* SPDX-License-Identifier: MIT */
/*
 * print.h — text and JSON renderings of a decoded message.
 * One line per message (tcpdump-like), a payload tree (-v), or one JSON
 * object (NDJSON, keys fixed by DESIGN.md §6).  No I/O besides the FILE given;
 * the JSON goes into a buffer.
 */
#ifndef RKMP_PRINT_H
#define RKMP_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "msg.h"

struct rkmp_print_meta {
	const char	*file;		/* input file name */
	uint64_t	 frame;		/* pcap record (1-based) or argument position */
	bool		 has_udp;	/* time and endpoints known (capture input) */
	int64_t		 ts_sec;
	int32_t		 ts_usec;
	const char	*src, *dst;
	uint16_t	 sport, dport;
	bool		 rkmp;		/* on the RKMP port: RKMP_SA_INIT ... names in text */
	bool		 marker;	/* non-ESP marker stripped */
	/* SK payload layout of this IKE SA when known (from its IKE_SA_INIT) */
	size_t		 sk_iv, sk_icv, sk_block;
};

/* Decode outcome passed to the printers: 0, or the RKMP_E_* of rkmp_msg_decode
 * (its where/detail are taken from rkmp_err_where()/rkmp_err_detail()). */
void	 rkmp_print_line(FILE *f, const struct rkmp_print_meta *meta, const struct rkmp_msg *m, int err);
void	 rkmp_print_tree(FILE *f, const struct rkmp_print_meta *meta, const struct rkmp_msg *m, int err);
/* The message as one line of NDJSON (the object and a newline) appended to
 * out (lib/json_write.c); 0, or out's error. */
int	 rkmp_print_json(struct rkmp_buf *out, const struct rkmp_print_meta *meta,
	    const struct rkmp_msg *m, int err);

/* Lowercase hex of n octets into a FILE. */
void	 rkmp_fput_hex(FILE *f, const uint8_t *p, size_t n);

#endif

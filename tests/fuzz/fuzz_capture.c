/* SPDX-License-Identifier: MIT */
/*
 * fuzz_capture — the pcap/pcapng reader over an in-memory file (a memfd,
 * opened by its /proc/self/fd path as rkmp_cap_open_file opens any file),
 * then what rkmp-decode does with each datagram: decode, track the SA's
 * suite, print a line.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "err.h"
#include "fuzz_common.h"
#include "msg.h"
#include "print.h"
#include "track.h"
#include "wire.h"

#define PKTS_MAX	4096

static int memfd = -1;
static char path[64];
static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((memfd = memfd_create("fuzz_capture", 0)) == -1 ||
	    (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rkmp_arena arena;
	struct rkmp_cap *cap = NULL;
	struct rkmp_track *track;
	struct rkmp_pkt pkt;
	size_t n = 0;
	int r;

	if (size > (4u << 20))
		return -1;
	if (ftruncate(memfd, 0) != 0 || (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
	if (rkmp_cap_open_file(&cap, path) != 0) {
		rkmp_err_clear();
		return 0;
	}
	if ((track = rkmp_track_new()) == NULL)
		abort();
	rkmp_cap_add_port(cap, 5500);
	while (n++ < PKTS_MAX && (r = rkmp_cap_next(cap, &pkt)) > 0) {
		struct rkmp_print_meta meta = {
			.file = "fuzz.pcap", .frame = pkt.frame, .has_udp = true,
			.ts_sec = pkt.ts_sec, .ts_usec = pkt.ts_usec, .src = pkt.src, .dst = pkt.dst,
			.sport = pkt.sport, .dport = pkt.dport,
			.rkmp = pkt.sport == RKMP_PORT_RKMP || pkt.dport == RKMP_PORT_RKMP,
			.marker = pkt.marker,
		};
		struct rkmp_msg m;

		if (pkt.len > 0 && pkt.data == NULL)
			fz_fail("a datagram without data", data, size);
		rkmp_arena_reset(&arena);
		r = rkmp_msg_decode(&arena, pkt.data, pkt.len, &m);
		if (r == 0 || m.raw_len >= RKMP_HDR_LEN)
			rkmp_track_message(track, &m, r, &meta);
		rkmp_print_line(devnull, &meta, &m, r);
	}
	(void)rkmp_cap_stats(cap);
	rkmp_cap_close(cap);
	rkmp_track_free(track);
	rkmp_err_clear();
	return 0;
}

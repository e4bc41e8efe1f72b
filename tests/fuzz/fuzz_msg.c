/* SPDX-License-Identifier: MIT */
/*
 * fuzz_msg — the message codec and every printer.  The input is one datagram
 * (IKE header onwards).  Decoded or not, it goes through the one-line, tree
 * (-v) and JSON printers; accepted, encode(decode(x)) must give x back.  The
 * same octets after the first are also decoded as an SK plaintext chain whose
 * first payload type is the first octet, and must encode back the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fuzz_common.h"
#include "msg.h"
#include "print.h"
#include "wire.h"

static FILE *devnull;
static struct rkmp_arena arena;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return 0;
}

/* SK layouts the printers split with: none, AES-GCM-16, CBC + HMAC-SHA2-256-128, CBC + SHA1-96. */
static const size_t layouts[4][3] = { { 0, 0, 0 }, { 8, 16, 1 }, { 16, 16, 16 }, { 16, 12, 16 } };

static void
print_all(const struct rkmp_msg *m, int err, size_t size, uint8_t salt)
{
	struct rkmp_print_meta meta = {
		.file = "fuzz.bin", .frame = size, .has_udp = salt & 1, .ts_sec = 1700000000,
		.ts_usec = 123456, .src = "192.0.2.1", .dst = "2001:db8::2",
		.sport = 500, .dport = salt & 2 ? 50500 : 4500, .rkmp = (salt & 2) != 0,
		.marker = (salt & 4) != 0,
	};
	const size_t *l = layouts[(salt >> 3) & 3];

	meta.sk_iv = l[0];
	meta.sk_icv = l[1];
	meta.sk_block = l[2];
	rkmp_print_line(devnull, &meta, m, err);
	rkmp_print_tree(devnull, &meta, m, err);
	fz_json_msg(&meta, m, err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rkmp_msg m;
	struct rkmp_buf b;
	struct rkmp_pld *inner = NULL;
	size_t ninner = 0;
	int r;

	if (size > RKMP_MSG_MAX)
		return -1;
	rkmp_arena_reset(&arena);
	r = rkmp_msg_decode(&arena, data, size, &m);
	print_all(&m, r, size, size ? data[size - 1] : 0);
	if (r == 0) {
		rkmp_buf_init(&b, 0);
		if (rkmp_msg_encode(&m, &b) != 0)
			fz_fail("an accepted message does not encode", data, size);
		if (b.len != size || memcmp(b.p, data, size) != 0)
			fz_fail("encode(decode(x)) != x", data, size);
		rkmp_buf_free(&b);
	}

	/* The same octets as an SK plaintext: first payload type, then the chain. */
	if (size >= 1) {
		rkmp_arena_reset(&arena);
		r = rkmp_msg_decode_chain(&arena, data[0], data + 1, size - 1, &inner, &ninner, true);
		if (r == 0) {
			rkmp_buf_init(&b, 0);
			if (rkmp_msg_encode_chain(inner, ninner, &b) != 0)
				fz_fail("an accepted payload chain does not encode", data, size);
			if (b.len != size - 1 || (b.len > 0 && memcmp(b.p, data + 1, size - 1) != 0))
				fz_fail("encode_chain(decode_chain(x)) != x", data, size);
			rkmp_buf_free(&b);
		}
	}
	rkmp_err_clear();
	return 0;
}

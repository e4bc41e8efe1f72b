/* SPDX-License-Identifier: MIT */
/*
 * test_buf.c — lib/buf.c beyond the cursor (which every decoder test
 * drives): big blocks, a buffer that grows onto them and stops at its
 * cap_max, and the arena: zeroed and aligned allocations, blocks that grow,
 * strings, reset and rewind that wipe and reuse.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "test_helper.h"
#include "tests.h"

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		if (s[i] != 0)
			return false;
	return true;
}

TEST(buf_big_blocks)
{
	bool mapped = true;
	unsigned char *p = rkmp_big_alloc(4096, &mapped);

	ASSERT_TRUE(p != NULL);
	ASSERT_TRUE(!mapped);		/* under 1 MiB: malloc's */
	memset(p, 0xa5, 4096);
	rkmp_big_free(p, 4096, mapped);

	p = rkmp_big_alloc(3u << 20, &mapped);
	ASSERT_TRUE(p != NULL);
	ASSERT_TRUE(mapped);		/* 1 MiB or more: a mapping of its own */
	ASSERT_TRUE(all_zero(p, 3u << 20));
	memset(p, 0x5a, 3u << 20);
	ASSERT_INT_EQ(p[(3u << 20) - 1], 0x5a);
	rkmp_big_free(p, 3u << 20, mapped);
}

TEST(buf_grows_onto_big_blocks)
{
	struct rkmp_buf b;
	unsigned char chunk[4096];

	rkmp_buf_init(&b, 4u << 20);
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (unsigned char)i;
	for (size_t i = 0; i < 512; i++)		/* 2 MiB */
		rkmp_buf_put(&b, chunk, sizeof(chunk));
	ASSERT_INT_EQ(b.err, 0);
	ASSERT_INT_EQ(b.len, 2u << 20);
	ASSERT_TRUE(b.mapped);
	for (size_t i = 0; i < 512; i++)
		ASSERT_MEM_EQ(b.p + i * sizeof(chunk), chunk, sizeof(chunk));
	/* past cap_max: refused, sticky, nothing written */
	rkmp_buf_put(&b, chunk, (2u << 20) + 1);
	ASSERT_INT_EQ(b.err, RKMP_E_INVALID);
	ASSERT_INT_EQ(b.len, 2u << 20);
	rkmp_buf_put(&b, chunk, 1);
	ASSERT_INT_EQ(b.len, 2u << 20);
	rkmp_buf_free(&b);
	ASSERT_TRUE(b.p == NULL && !b.mapped && b.len == 0 && b.err == 0);
}

TEST(arena_zeroed_aligned_growing)
{
	struct rkmp_arena a = { 0 };
	unsigned char *p[40];

	/* 40 x 10,000 octets: several blocks, each allocation kept */
	for (size_t i = 0; i < 40; i++) {
		p[i] = rkmp_arena_alloc(&a, 10000 + i);
		ASSERT_TRUE(p[i] != NULL);
		ASSERT_INT_EQ((uintptr_t)p[i] % 16, 0);
		ASSERT_TRUE(all_zero(p[i], 10000 + i));
		memset(p[i], (int)i + 1, 10000 + i);
	}
	for (size_t i = 0; i < 40; i++)
		for (size_t k = 0; k < 10000 + i; k += 997)
			ASSERT_INT_EQ(p[i][k], i + 1);
	/* one allocation bigger than any block so far: a block of its own */
	ASSERT_TRUE((p[0] = rkmp_arena_alloc(&a, 5u << 20)) != NULL);
	ASSERT_TRUE(all_zero(p[0], 5u << 20));
	ASSERT_TRUE(rkmp_arena_alloc(&a, SIZE_MAX) == NULL);
	rkmp_arena_free(&a);
	ASSERT_TRUE(a.head == NULL && a.cur == NULL && a.next == 0);
	/* an arena freed is empty, and usable again */
	ASSERT_TRUE(rkmp_arena_alloc(&a, 1) != NULL);
	rkmp_arena_free(&a);
}

TEST(arena_strings)
{
	struct rkmp_arena a = { 0 };
	const char text[] = "peer 192.0.2.2";
	char *s;

	ASSERT_TRUE((s = rkmp_arena_strndup(&a, text, 4)) != NULL);
	ASSERT_STR_EQ(s, "peer");
	ASSERT_TRUE((s = rkmp_arena_strndup(&a, text + 5, 0)) != NULL);
	ASSERT_STR_EQ(s, "");
	ASSERT_TRUE((s = rkmp_arena_strdup(&a, text)) != NULL);
	ASSERT_STR_EQ(s, text);
	ASSERT_TRUE(s != text);
	ASSERT_TRUE(rkmp_arena_strdup(&a, NULL) == NULL);
	rkmp_arena_free(&a);
}

TEST(arena_reset_wipes_and_reuses)
{
	struct rkmp_arena a = { 0 };
	unsigned char *first, *p, *big;

	ASSERT_TRUE((first = rkmp_arena_alloc(&a, 100)) != NULL);
	memset(first, 0xee, 100);
	ASSERT_TRUE((big = rkmp_arena_alloc(&a, 100000)) != NULL);
	memset(big, 0xdd, 100000);
	rkmp_arena_reset(&a);
	/* the blocks are kept (still readable) and wiped */
	ASSERT_TRUE(all_zero(first, 100));
	ASSERT_TRUE(all_zero(big, 100000));
	ASSERT_TRUE((p = rkmp_arena_alloc(&a, 100)) == first);
	rkmp_arena_free(&a);
}

/* Fill the n octets at p and rewind a to m: whether they were wiped. */
static bool
rewind_wipes(struct rkmp_arena *a, struct rkmp_arena_mark m, unsigned char *p, size_t n)
{
	memset(p, 0x5a, n);
	rkmp_arena_rewind(a, m);
	return all_zero(p, n);
}

TEST(arena_rewind)
{
	struct rkmp_arena a = { 0 };
	struct rkmp_arena_mark m;
	unsigned char *keep, *p, *next;

	/* an empty arena's mark: the rewind forgets everything */
	m = rkmp_arena_mark(&a);
	ASSERT_TRUE((p = rkmp_arena_alloc(&a, 64)) != NULL);
	ASSERT_TRUE(rewind_wipes(&a, m, p, 64));
	ASSERT_TRUE(rkmp_arena_alloc(&a, 64) == p);

	/* within a block: the next allocation gets the bytes given back */
	ASSERT_TRUE((keep = rkmp_arena_alloc(&a, 32)) != NULL);
	memset(keep, 0x22, 32);
	m = rkmp_arena_mark(&a);
	ASSERT_TRUE((p = rkmp_arena_alloc(&a, 48)) != NULL);
	ASSERT_TRUE(rewind_wipes(&a, m, p, 48));
	ASSERT_TRUE(rkmp_arena_alloc(&a, 16) == p);
	ASSERT_INT_EQ(keep[31], 0x22);		/* before the mark: kept */

	/* across blocks: back to the marked block, the later ones emptied */
	m = rkmp_arena_mark(&a);
	ASSERT_TRUE((next = rkmp_arena_alloc(&a, 16)) != NULL);
	ASSERT_TRUE((p = rkmp_arena_alloc(&a, 200000)) != NULL);	/* a new block */
	ASSERT_TRUE(rewind_wipes(&a, m, p, 200000));
	ASSERT_TRUE(rkmp_arena_alloc(&a, 16) == next);
	ASSERT_TRUE(rkmp_arena_alloc(&a, 200000) == p);		/* the later block, reused */
	ASSERT_INT_EQ(keep[0], 0x22);
	rkmp_arena_free(&a);
}

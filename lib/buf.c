/* SPDX-License-Identifier: MIT */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "err.h"

void
rkmp_cur_init(struct rkmp_cur *c, const uint8_t *p, size_t len, const char *where)
{
	c->p = p;
	c->len = p ? len : 0;
	c->off = 0;
	c->where = where ? where : "message";
}

static int
cur_need(const struct rkmp_cur *c, const char *field, size_t n)
{
	if (n > rkmp_cur_left(c))
		return rkmp_err_set(RKMP_E_INVALID, c->where, "%s needs %zu octets, %zu left",
		    field, n, rkmp_cur_left(c));
	return 0;
}

int
rkmp_cur_u8(struct rkmp_cur *c, const char *field, uint8_t *v)
{
	int r;

	if ((r = cur_need(c, field, 1)) != 0)
		return r;
	*v = c->p[c->off++];
	return 0;
}

int
rkmp_cur_u16(struct rkmp_cur *c, const char *field, uint16_t *v)
{
	int r;

	if ((r = cur_need(c, field, 2)) != 0)
		return r;
	*v = rkmp_get16(c->p + c->off);
	c->off += 2;
	return 0;
}

int
rkmp_cur_u32(struct rkmp_cur *c, const char *field, uint32_t *v)
{
	int r;

	if ((r = cur_need(c, field, 4)) != 0)
		return r;
	*v = rkmp_get32(c->p + c->off);
	c->off += 4;
	return 0;
}

int
rkmp_cur_u64(struct rkmp_cur *c, const char *field, uint64_t *v)
{
	int r;

	if ((r = cur_need(c, field, 8)) != 0)
		return r;
	*v = rkmp_get64(c->p + c->off);
	c->off += 8;
	return 0;
}

int
rkmp_cur_bytes(struct rkmp_cur *c, const char *field, size_t n, const uint8_t **v)
{
	int r;

	if ((r = cur_need(c, field, n)) != 0)
		return r;
	*v = c->p + c->off;
	c->off += n;
	return 0;
}

int
rkmp_cur_sub(struct rkmp_cur *c, const char *field, size_t n, struct rkmp_cur *sub,
    const char *sub_where)
{
	const uint8_t *p;
	int r;

	if ((r = rkmp_cur_bytes(c, field, n, &p)) != 0)
		return r;
	rkmp_cur_init(sub, p, n, sub_where);
	return 0;
}

/* ------------------------------------------------------------------ big blocks */

void *
rkmp_big_alloc(size_t n, bool *mapped)
{
	void *p;

	*mapped = false;
	if (n >= (1u << 20)) {
		p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED) {
#ifdef MADV_HUGEPAGE
			(void)madvise(p, n, MADV_HUGEPAGE);
#endif
			*mapped = true;
			return p;
		}
	}
	return malloc(n);
}

void
rkmp_big_free(void *p, size_t n, bool mapped)
{
	if (mapped)
		munmap(p, n);
	else
		free(p);
}

/* ------------------------------------------------------------------ write buffer */

void
rkmp_buf_init(struct rkmp_buf *b, size_t cap_max)
{
	memset(b, 0, sizeof(*b));
	b->cap_max = cap_max ? cap_max : 65535;
}

void
rkmp_buf_free(struct rkmp_buf *b)
{
	if (b->p != NULL) {
		OPENSSL_cleanse(b->p, b->cap);
		rkmp_big_free(b->p, b->cap, b->mapped);
	}
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = 0;
	b->mapped = false;
}

void
rkmp_buf_reset(struct rkmp_buf *b)
{
	b->len = 0;
	b->err = 0;
}

int
rkmp_buf_reserve(struct rkmp_buf *b, size_t n)
{
	size_t want;
	uint8_t *np;
	bool mapped;

	if (b->err)
		return b->err;
	if (n > b->cap_max || b->len > b->cap_max - n)
		return b->err = rkmp_err_set(RKMP_E_INVALID, "encode",
		    "message would be %zu octets > %zu", b->len + n, b->cap_max);
	if (b->len + n <= b->cap)
		return 0;
	want = b->cap ? b->cap : 256;
	while (want < b->len + n)
		want *= 2;
	if ((np = rkmp_big_alloc(want, &mapped)) == NULL)
		return b->err = rkmp_err_set(RKMP_E_NOMEM, "encode", "cannot allocate %zu octets", want);
	if (b->p != NULL) {
		memcpy(np, b->p, b->len);
		OPENSSL_cleanse(b->p, b->cap);
		rkmp_big_free(b->p, b->cap, b->mapped);
	}
	b->p = np;
	b->cap = want;
	b->mapped = mapped;
	return 0;
}

void
rkmp_buf_put(struct rkmp_buf *b, const void *p, size_t n)
{
	if (n == 0 || rkmp_buf_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
rkmp_buf_u8(struct rkmp_buf *b, uint8_t v)
{
	rkmp_buf_put(b, &v, 1);
}

void
rkmp_buf_u16(struct rkmp_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	rkmp_buf_put(b, x, 2);
}

void
rkmp_buf_u32(struct rkmp_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	rkmp_buf_put(b, x, 4);
}

void
rkmp_buf_u64(struct rkmp_buf *b, uint64_t v)
{
	rkmp_buf_u32(b, (uint32_t)(v >> 32));
	rkmp_buf_u32(b, (uint32_t)v);
}

void
rkmp_buf_set_u16(struct rkmp_buf *b, size_t at, uint16_t v)
{
	if (b->err || at + 2 > b->len)
		return;
	b->p[at] = (uint8_t)(v >> 8);
	b->p[at + 1] = (uint8_t)v;
}

void
rkmp_buf_set_u32(struct rkmp_buf *b, size_t at, uint32_t v)
{
	if (b->err || at + 4 > b->len)
		return;
	b->p[at] = (uint8_t)(v >> 24);
	b->p[at + 1] = (uint8_t)(v >> 16);
	b->p[at + 2] = (uint8_t)(v >> 8);
	b->p[at + 3] = (uint8_t)v;
}

/* ------------------------------------------------------------------ arena */

struct rkmp_arena_blk {
	struct rkmp_arena_blk	*next;
	size_t			 size;
	size_t			 used;
	bool			 mapped;
	_Alignas(16) unsigned char data[];
};

#define ARENA_BLK_MIN	(32 * 1024)
#define ARENA_BLK_GROW	(8u << 20)	/* blocks double while the next is smaller */

void *
rkmp_arena_alloc(struct rkmp_arena *a, size_t n)
{
	struct rkmp_arena_blk *b;
	void *p;

	if (n > SIZE_MAX / 4)
		return NULL;
	n = (n + 15) & ~(size_t)15;
	for (b = a->cur; b != NULL; b = b->next) {
		if (b->size - b->used >= n)
			break;
		a->cur = b->next ? b->next : a->cur;
	}
	if (b == NULL) {
		size_t sz = a->next ? a->next : ARENA_BLK_MIN;
		bool mapped;

		while (sz < n)
			sz *= 2;
		if ((b = rkmp_big_alloc(sizeof(*b) + sz, &mapped)) == NULL)
			return NULL;
		b->next = NULL;
		b->size = sz;
		b->used = 0;
		b->mapped = mapped;
		if (a->next < ARENA_BLK_GROW)
			a->next = sz * 2;
		if (a->head == NULL)
			a->head = b;
		else {
			struct rkmp_arena_blk *t = a->head;

			while (t->next != NULL)
				t = t->next;
			t->next = b;
		}
		a->cur = b;
	}
	p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

void
rkmp_arena_reset(struct rkmp_arena *a)
{
	for (struct rkmp_arena_blk *b = a->head; b != NULL; b = b->next) {
		OPENSSL_cleanse(b->data, b->used);
		b->used = 0;
	}
	a->cur = a->head;
}

void
rkmp_arena_free(struct rkmp_arena *a)
{
	struct rkmp_arena_blk *b, *n;

	for (b = a->head; b != NULL; b = n) {
		n = b->next;
		OPENSSL_cleanse(b->data, b->used);
		rkmp_big_free(b, sizeof(*b) + b->size, b->mapped);
	}
	a->head = a->cur = NULL;
	a->next = 0;
}

char *
rkmp_arena_strndup(struct rkmp_arena *a, const char *s, size_t n)
{
	char *p = rkmp_arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *
rkmp_arena_strdup(struct rkmp_arena *a, const char *s)
{
	return s == NULL ? NULL : rkmp_arena_strndup(a, s, strlen(s));
}

struct rkmp_arena_mark
rkmp_arena_mark(const struct rkmp_arena *a)
{
	return (struct rkmp_arena_mark){ a->cur, a->cur != NULL ? a->cur->used : 0 };
}

void
rkmp_arena_rewind(struct rkmp_arena *a, struct rkmp_arena_mark m)
{
	if (m.blk == NULL) {		/* the arena was empty */
		rkmp_arena_reset(a);
		return;
	}
	/* what came after the mark: the rest of its block and the blocks after it
	 * (the blocks after cur are unused) */
	for (struct rkmp_arena_blk *b = m.blk->next; b != NULL; b = b->next) {
		OPENSSL_cleanse(b->data, b->used);
		b->used = 0;
	}
	if (m.used < m.blk->used) {
		OPENSSL_cleanse(m.blk->data + m.used, m.blk->used - m.used);
		m.blk->used = m.used;
	}
	a->cur = m.blk;
}

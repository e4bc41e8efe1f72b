/* SPDX-License-Identifier: MIT */
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
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = 0;
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
	if ((np = malloc(want)) == NULL)
		return b->err = rkmp_err_set(RKMP_E_NOMEM, "encode", "cannot allocate %zu octets", want);
	if (b->p != NULL) {
		memcpy(np, b->p, b->len);
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = want;
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

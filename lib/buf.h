/* SPDX-License-Identifier: MIT */
/*
 * buf.h — a bounded read cursor over wire bytes and a growable write buffer.
 *
 * Wire data is only ever read through a cursor: every getter checks that the
 * bytes are there, consumes them, and decodes network order.  A payload body
 * gets a sub-cursor bounded by its own length field, so a payload parser can
 * never run past its payload (OpenSSH sshbuf_froms, OpenIKED ibuf_get_ibuf).
 * A short read returns RKMP_E_INVALID with "WHERE: FIELD needs N octets, M left".
 */
#ifndef RKMP_BUF_H
#define RKMP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct rkmp_cur {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	const char	*where;		/* for error text: "Notify payload" */
};

void	rkmp_cur_init(struct rkmp_cur *c, const uint8_t *p, size_t len, const char *where);
static inline size_t rkmp_cur_left(const struct rkmp_cur *c) { return c->len - c->off; }
static inline const uint8_t *rkmp_cur_ptr(const struct rkmp_cur *c) { return c->p + c->off; }

/* Getters: 0, or RKMP_E_INVALID naming the field when fewer octets are left. */
int	rkmp_cur_u8(struct rkmp_cur *c, const char *field, uint8_t *v);
int	rkmp_cur_u16(struct rkmp_cur *c, const char *field, uint16_t *v);
int	rkmp_cur_u32(struct rkmp_cur *c, const char *field, uint32_t *v);
int	rkmp_cur_u64(struct rkmp_cur *c, const char *field, uint64_t *v);
/* Point *v at the next n octets and consume them. */
int	rkmp_cur_bytes(struct rkmp_cur *c, const char *field, size_t n, const uint8_t **v);
/* Carve the next n octets off as a sub-cursor (with its own where). */
int	rkmp_cur_sub(struct rkmp_cur *c, const char *field, size_t n, struct rkmp_cur *sub,
	    const char *sub_where);

/* Growable output buffer; bounded by cap_max (0 = 65535, an IKE message). */
struct rkmp_buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 cap_max;
	int	 err;		/* sticky: first failure, checked once at the end */
};

void	rkmp_buf_init(struct rkmp_buf *b, size_t cap_max);
void	rkmp_buf_free(struct rkmp_buf *b);	/* wipes the bytes */
void	rkmp_buf_reset(struct rkmp_buf *b);
int	rkmp_buf_reserve(struct rkmp_buf *b, size_t n);
void	rkmp_buf_u8(struct rkmp_buf *b, uint8_t v);
void	rkmp_buf_u16(struct rkmp_buf *b, uint16_t v);
void	rkmp_buf_u32(struct rkmp_buf *b, uint32_t v);
void	rkmp_buf_u64(struct rkmp_buf *b, uint64_t v);
void	rkmp_buf_put(struct rkmp_buf *b, const void *p, size_t n);
/* Overwrite a 16/32-bit field already written (length back-patching). */
void	rkmp_buf_set_u16(struct rkmp_buf *b, size_t at, uint16_t v);
void	rkmp_buf_set_u32(struct rkmp_buf *b, size_t at, uint32_t v);

static inline uint16_t rkmp_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rkmp_get32(const uint8_t *p)
{ return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline uint64_t rkmp_get64(const uint8_t *p) { return (uint64_t)rkmp_get32(p) << 32 | rkmp_get32(p + 4); }

#endif

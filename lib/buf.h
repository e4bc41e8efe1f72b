/* SPDX-License-Identifier: MIT */
/*
 * buf.h — a bounded read cursor over wire bytes and a growable write buffer.
 *
 * Wire data is only ever read through a cursor: every getter checks that the
 * bytes are there, consumes them, and decodes network order.  A payload body
 * gets a sub-cursor bounded by its own length field, so a payload parser can
 * never run past its payload (OpenSSH sshbuf_froms, OpenIKED ibuf_get_ibuf).
 * A short read returns RKMP_E_INVALID with "WHERE: FIELD needs N octets, M left".
 *
 * Under both, the one arena of the library (allocations that live until it
 * is reset) and the allocator of big blocks the buffer and the arena grow on.
 */
#ifndef RKMP_BUF_H
#define RKMP_BUF_H

#include <stdbool.h>
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

/*
 * Big blocks: one of 1 MiB or more is mapped on its own and asked for huge
 * pages (on the virtual machines labs run on, touching fresh memory 4 KiB at
 * a time costs more than the parse that fills it: 8 MiB, 16-30 ms against
 * 1 ms with huge pages); a smaller one is malloc's.  *mapped says which, for
 * rkmp_big_free.  NULL when out of memory.
 */
void	*rkmp_big_alloc(size_t n, bool *mapped);
void	 rkmp_big_free(void *p, size_t n, bool mapped);

/* Growable output buffer; bounded by cap_max (0 = 65535, an IKE message).
 * Its bytes are a big block (rkmp_big_alloc), wiped when freed or moved. */
struct rkmp_buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 cap_max;
	int	 err;		/* sticky: first failure, checked once at the end */
	bool	 mapped;	/* p is a mapping (rkmp_big_alloc) */
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

/*
 * An arena: what is allocated lives until the arena is reset or freed, which
 * wipe it (it may hold keys).  Blocks are big blocks, the first 32 KiB (or
 * what the first allocation needs), each next one twice the last, up to
 * 8 MiB.  A struct rkmp_arena = { 0 } is an empty arena.
 */
struct rkmp_arena_blk;
struct rkmp_arena {
	struct rkmp_arena_blk	*head;
	struct rkmp_arena_blk	*cur;
	size_t			 next;	/* the size of the next block; 0: the first */
};

/* n octets, zeroed, 16-octet aligned; NULL when out of memory. */
void	*rkmp_arena_alloc(struct rkmp_arena *a, size_t n);
void	 rkmp_arena_reset(struct rkmp_arena *a);		/* wipes; keeps the blocks */
void	 rkmp_arena_free(struct rkmp_arena *a);			/* wipes */
/* n octets of s and a NUL (s need not be NUL-terminated); s itself
 * (strdup: NULL for NULL).  NULL on ENOMEM. */
char	*rkmp_arena_strndup(struct rkmp_arena *a, const char *s, size_t n);
char	*rkmp_arena_strdup(struct rkmp_arena *a, const char *s);

/* A point of an arena to go back to: rkmp_arena_rewind forgets (and wipes)
 * what was allocated after rkmp_arena_mark.  Valid until the arena is reset
 * or freed. */
struct rkmp_arena_mark {
	struct rkmp_arena_blk	*blk;
	size_t			 used;
};

struct rkmp_arena_mark rkmp_arena_mark(const struct rkmp_arena *a);
void	 rkmp_arena_rewind(struct rkmp_arena *a, struct rkmp_arena_mark m);

static inline uint16_t rkmp_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rkmp_get32(const uint8_t *p)
{ return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline uint64_t rkmp_get64(const uint8_t *p) { return (uint64_t)rkmp_get32(p) << 32 | rkmp_get32(p + 4); }

#endif

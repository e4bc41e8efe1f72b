/* SPDX-License-Identifier: MIT */
/*
 * json.h — the library's one JSON reader and writer (DESIGN.md §10).
 *
 * jansson serves the small documents (state files, config, events).  The key
 * table (up to 100k rows) and the NDJSON decode stream (100k+ messages) go
 * through this module: a validating pull reader that follows RFC 8259
 * strictly and agrees with jansson wherever jansson follows the RFC
 * (tests/unit/test_json.c proves it), and a streaming writer over the
 * library's one buffer (buf.h).  Nowhere else is JSON parsed or escaped by
 * hand.
 *
 * The reader lives in json_read.c, the writer in json_write.c.
 */
#ifndef RKMP_JSON_H
#define RKMP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* ================================================================ reader (json_read.c) */

/*
 * A validating pull reader over a text it never writes to (a big key table
 * is a read-only mapping of its file).  It follows RFC 8259 strictly: UTF-8
 * only, no lone surrogates, no \u0000 (as jansson), no leading zeros, no
 * trailing commas, no byte order mark, nesting within RKMP_JSON_DEPTH_MAX,
 * member names once each after unescaping (in every object the caller gives
 * a names set), and I-JSON's numbers (RFC 7493 §2.2): integers within
 * ±RKMP_JSON_INT_MAX, other numbers within an IEEE 754 double.
 *
 * A grammar on top (the key table's, kt_json.c) reads with the functions
 * below, looking at j->p between them; rkmp_json_value reads any value
 * (checked, and minified when asked), rkmp_json_check a whole JSON text.
 * Errors are RKMP_E_STATE, told "not JSON: line L column C: WHAT" for
 * syntax, "PATH: ..." (the member path, jq's spelling) for what is JSON but
 * refused (a name given twice, a number out of range), after the caller's
 * prefix (where, e.g. "row 3: ").
 */
#define RKMP_JSON_DEPTH_MAX	64			/* objects and arrays within each other */
#define RKMP_JSON_INT_MAX	((INT64_C(1) << 53) - 1)	/* I-JSON's integers */

/* Where the reader is, for messages: "ProtocolSpecificInfo.send[2].flag". */
struct rkmp_json_frame {
	const struct rkmp_json_frame *up;
	const char	*name;		/* the member being read (unescaped), in an object */
	size_t		 nlen;
	const char	*key;		/* that name as written, from its opening '"' */
	size_t		 klen;		/* through its closing '"' */
	size_t		 idx;		/* the element being read, in an array */
	bool		 arr;
	bool		 started;	/* rkmp_json_next: an element was read */
};

struct rkmp_json_reader {
	const char	*start, *p, *end;
	const char	*name;		/* file name for errors */
	struct rkmp_arena *arena;	/* decoded strings */
	int		 depth;
	const struct rkmp_json_frame *at;	/* innermost frame, NULL: none */
	/* the caller's prefix of a path message ("row 3: ") into buf; NULL: none */
	void		(*where)(const void *arg, char *buf, size_t cap);
	const void	*where_arg;
};

/*
 * The member names of one object, to refuse a name given twice: a linear
 * scan while the object is small, a hash set once it is not.  Names point
 * into the text (no escapes) or into the arena (decoded).
 */
#define RKMP_JSON_NAMES_LINEAR	16

struct rkmp_json_name {
	const char	*s;
	size_t		 n;
};

struct rkmp_json_names {
	struct rkmp_json_name v[RKMP_JSON_NAMES_LINEAR];
	size_t		 n;		/* names so far */
	struct rkmp_json_name *slot;	/* the hash set, NULL while linear */
	size_t		 cap;		/* its slots: a power of 2 */
};

/* Where rkmp_json_value writes a value minified: a buffer, or in place (w <= p). */
struct rkmp_json_out {
	struct rkmp_buf	*b;
	char		*w;
};

/* What the value at j->p is, by its first character (reading it checks the rest). */
enum rkmp_json_type {
	RKMP_JSON_END,			/* the end of the text */
	RKMP_JSON_OBJECT, RKMP_JSON_ARRAY, RKMP_JSON_STRING,
	RKMP_JSON_TRUE, RKMP_JSON_FALSE, RKMP_JSON_NULL,
	RKMP_JSON_NUMBER,		/* anything else: a bad one is a bad number */
};

/* Whether s[0..n) is UTF-8 (RFC 3629: no overlong forms, no surrogates, to U+10FFFF). */
bool	 rkmp_json_utf8_valid(const char *s, size_t n);

/* One JSON text, any value (RFC 8259 §2): 0 or RKMP_E_STATE (name: for messages). */
int	 rkmp_json_check(const char *text, size_t len, const char *name);

/* A reader at the start of text (arena: where strings are decoded). */
void	 rkmp_json_init(struct rkmp_json_reader *j, const char *text, size_t len,
	    const char *name, struct rkmp_arena *arena);
int	 rkmp_json_text_begin(struct rkmp_json_reader *j);	/* refuses a byte order mark */
int	 rkmp_json_text_end(struct rkmp_json_reader *j);	/* only white space left */

/* Refusals: "not JSON: line L column C: what" at j->p; PATH of f and the message. */
int	 rkmp_json_fail(const struct rkmp_json_reader *j, const char *what);
int	 rkmp_json_pfail(const struct rkmp_json_reader *j, const struct rkmp_json_frame *f,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A value quoted for a message: at most 64 characters, control characters hidden. */
const char *rkmp_json_quote(const char *s, char *buf, size_t n);

static inline void
rkmp_json_ws(struct rkmp_json_reader *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Whether c is next, after white space (not consumed). */
static inline bool
rkmp_json_peek(struct rkmp_json_reader *j, char c)
{
	rkmp_json_ws(j);
	return j->p < j->end && *j->p == c;
}

/* c next, consumed, or the refusal what. */
static inline int
rkmp_json_expect(struct rkmp_json_reader *j, char c, const char *what)
{
	if (!rkmp_json_peek(j, c))
		return rkmp_json_fail(j, what);
	j->p++;
	return 0;
}

enum rkmp_json_type rkmp_json_type(struct rkmp_json_reader *j);
/* The next token for a message: "a string", "an object", "the end of the text", "','". */
const char *rkmp_json_kind(struct rkmp_json_reader *j);

/*
 * A string, checked; with out, its value decoded into the arena
 * (NUL-terminated, *outlen its length).  *escp (when not NULL): whether it
 * has escapes.
 */
int	 rkmp_json_string_esc(struct rkmp_json_reader *j, char **out, size_t *outlen,
	    bool *escp);
int	 rkmp_json_string(struct rkmp_json_reader *j, char **out, size_t *outlen);
/* A member name decoded into buf (cut to cap - 1: a longer name is an unknown one). */
int	 rkmp_json_name_buf(struct rkmp_json_reader *j, char *buf, size_t cap, size_t *len);
/* A number, checked (grammar and I-JSON range; messages name the frame j->at): its text. */
int	 rkmp_json_number(struct rkmp_json_reader *j, const char **s, size_t *len);
/* Any value, checked, and written minified to out when out is not NULL. */
int	 rkmp_json_value(struct rkmp_json_reader *j, struct rkmp_json_out *out);

/*
 * Objects and arrays, pulled: rkmp_json_enter at the '{' or '[' (ns: the
 * object's names set, NULL for an array or when the caller checks names);
 * then while rkmp_json_next says *more, one element is to read at j->p (in
 * an object, its name is in fr->name and its ':' read).  When *more is false
 * the container was closed and left; after an error of the caller's,
 * rkmp_json_leave leaves it (rkmp_json_next leaves it on its own errors).
 */
int	 rkmp_json_enter(struct rkmp_json_reader *j, struct rkmp_json_frame *fr,
	    struct rkmp_json_names *ns);
int	 rkmp_json_next(struct rkmp_json_reader *j, struct rkmp_json_frame *fr,
	    struct rkmp_json_names *ns, bool *more);
void	 rkmp_json_leave(struct rkmp_json_reader *j, struct rkmp_json_frame *fr,
	    struct rkmp_json_names *ns);

/*
 * A member name at j->p into fr (name unescaped, key as written), refused
 * when ns has it already (ns NULL: the caller checks, with the two below).
 */
int	 rkmp_json_member(struct rkmp_json_reader *j, struct rkmp_json_names *ns,
	    struct rkmp_json_frame *fr);
/* 0: added; 1: the object has it already; -1: out of memory. */
int	 rkmp_json_names_add(struct rkmp_json_names *ns, const char *s, size_t n);
void	 rkmp_json_names_free(struct rkmp_json_names *ns);
/* The refusal of fr's name given twice. */
int	 rkmp_json_dup(const struct rkmp_json_reader *j, const struct rkmp_json_frame *fr);

/* ================================================================ writer (json_write.c) */

/*
 * A streaming writer over a struct rkmp_buf: containers open and close with
 * the commas put in for the caller, on a small fixed nesting stack.  Its
 * bytes are what jansson's json_dumps gives for the same value with the
 * flags every binary prints with (lib/cli.c, rkmp_cli_json_line): compact
 * (JSON_COMPACT), strings escaped as jansson does (", \, \b \f \n \r \t,
 * other control characters as \u00XX with uppercase hex; '/', DEL and
 * UTF-8 as they are), integers as "%lld", reals as JSON_REAL_PRECISION(16).
 * spaced: ", " and ": " instead (the key table file's rows, kt_json.c).
 * rkmp_jw_indent: what JSON_INDENT(n) gives instead (the state file, state.c):
 * each value of a container on a line of its own, indented n spaces a level,
 * "," at the end of a line, ": " after a member name, an empty container as
 * {} or [] (not for rkmp_jw_raw_members).
 *
 * Strings must be UTF-8 (jansson's json_string refuses anything else): the
 * writer does not check, its callers do (rkmp_json_utf8_valid).  A misuse (a member
 * name outside an object, a close that does not match, nesting deeper than
 * RKMP_JW_DEPTH, a real that is not finite) is RKMP_E_INTERNAL, sticky in
 * the buffer's err like its own overflow; rkmp_jw_finish tells.
 */
#define RKMP_JW_DEPTH		32
#define RKMP_JW_PRECISION	16	/* JSON_REAL_PRECISION(16), as rkmp_cli_json_line */

struct rkmp_jw {
	struct rkmp_buf	*b;
	bool		 spaced;
	unsigned	 indent;	/* rkmp_jw_indent; 0: none */
	bool		 more;		/* this level has a value: the next one needs a comma */
	bool		 after_key;	/* a member name was written: its value comes next */
	unsigned	 depth;
	char		 open[RKMP_JW_DEPTH];	/* '{' or '[' per level */
};

void	rkmp_jw_init(struct rkmp_jw *w, struct rkmp_buf *b, bool spaced);
/* Indented as JSON_INDENT(n), 1..16, from here on (before the first value). */
void	rkmp_jw_indent(struct rkmp_jw *w, unsigned n);
/* 0, or the buffer's sticky error (RKMP_E_INTERNAL when a container is left open). */
int	rkmp_jw_finish(struct rkmp_jw *w);

void	rkmp_jw_object(struct rkmp_jw *w);
void	rkmp_jw_object_end(struct rkmp_jw *w);
void	rkmp_jw_array(struct rkmp_jw *w);
void	rkmp_jw_array_end(struct rkmp_jw *w);

/* A member name (escaped like a string); its value is the next call. */
void	rkmp_jw_keyn(struct rkmp_jw *w, const char *k, size_t n);
void	rkmp_jw_key(struct rkmp_jw *w, const char *k);
/* A member name that is a string literal: no strlen. */
#define RKMP_JW_KEY(w, lit)	rkmp_jw_keyn((w), "" lit, sizeof(lit) - 1)

void	rkmp_jw_strn(struct rkmp_jw *w, const char *s, size_t n);
void	rkmp_jw_str(struct rkmp_jw *w, const char *s);
void	rkmp_jw_int(struct rkmp_jw *w, int64_t v);
void	rkmp_jw_uint(struct rkmp_jw *w, uint64_t v);
void	rkmp_jw_bool(struct rkmp_jw *w, bool v);
void	rkmp_jw_null(struct rkmp_jw *w);
/* n octets as a string of lowercase hex digits ("" for none). */
void	rkmp_jw_hex(struct rkmp_jw *w, const uint8_t *p, size_t n);
/* A real as jansson's json_real at RKMP_JW_PRECISION ("%.16g", ".0" when it
 * reads as an integer, the exponent without '+' and leading zeros). */
void	rkmp_jw_real(struct rkmp_jw *w, double v);
/* The real sec + usec / 1e6 (a capture's time), the same bytes as
 * rkmp_jw_real of it, without printf for the seconds of 2001 to 2106. */
void	rkmp_jw_time(struct rkmp_jw *w, int64_t sec, int32_t usec);
/* Already-valid JSON text: one value, or (members) "name":value pairs
 * separated by commas, put into the open object as its next members. */
void	rkmp_jw_raw(struct rkmp_jw *w, const char *json, size_t n);
void	rkmp_jw_raw_members(struct rkmp_jw *w, const char *json, size_t n);

#endif

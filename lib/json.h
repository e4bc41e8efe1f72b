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
 *
 * Strings must be UTF-8 (jansson's json_string refuses anything else): the
 * writer does not check, its callers do (kt_utf8_ok).  A misuse (a member
 * name outside an object, a close that does not match, nesting deeper than
 * RKMP_JW_DEPTH, a real that is not finite) is RKMP_E_INTERNAL, sticky in
 * the buffer's err like its own overflow; rkmp_jw_finish tells.
 */
#define RKMP_JW_DEPTH		32
#define RKMP_JW_PRECISION	16	/* JSON_REAL_PRECISION(16), as rkmp_cli_json_line */

struct rkmp_jw {
	struct rkmp_buf	*b;
	bool		 spaced;
	bool		 more;		/* this level has a value: the next one needs a comma */
	bool		 after_key;	/* a member name was written: its value comes next */
	unsigned	 depth;
	char		 open[RKMP_JW_DEPTH];	/* '{' or '[' per level */
};

void	rkmp_jw_init(struct rkmp_jw *w, struct rkmp_buf *b, bool spaced);
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

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

#endif

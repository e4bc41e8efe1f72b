/* SPDX-License-Identifier: MIT */
/*
 * state.h — the JSON state file of one side of one RKMP SA (DESIGN.md §6).
 *
 * Format: {"format": "rkmp-state", "version": 1, "phase", "role", "profile",
 * "identities", "proposals", "suite", "ike_sa": {...}, "children": [...],
 * "transcript": [...], ..., "secrets": {...}} with fixed key names; bytes as
 * lowercase hex, enumerations as names (integers accepted on input).
 * Saving is atomic (temp file in the same directory, fsync, rename, fsync of
 * the directory) with mode 0600; loading refuses a file that group or others
 * can read.  A failed load or save never changes the file.
 */
#ifndef RKMP_STATE_H
#define RKMP_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "sa.h"

/* Load path into *sa (rkmp_sa_init'ed first).  RKMP_E_STATE with the detail
 * ("a.json: phase \"flying\" unknown", "a.json: mode 0644: readable by group
 * or others; chmod 600 it") for anything wrong with the file itself, the
 * detail naming the key and the value; RKMP_E_SYSTEM when it cannot be read. */
int	rkmp_state_load(const char *path, struct rkmp_sa *sa);
/* Save atomically with mode 0600.  RKMP_E_SYSTEM on I/O errors (the old file
 * is then untouched and no temp file is left behind). */
int	rkmp_state_save(const char *path, const struct rkmp_sa *sa);
/* The same over text in memory (name for the details; the file checks aside):
 * rkmp_state_load reads the file and parses it with this. */
int	rkmp_state_parse(const char *name, const char *text, size_t len, struct rkmp_sa *sa);
/* The bytes rkmp_state_save writes, in a malloc'd *out (the caller wipes and
 * frees it); *outlen includes the final newline. */
int	rkmp_state_dump(const char *name, const struct rkmp_sa *sa, char **out, size_t *outlen);
/* Whether path exists (a first step creates it; later steps need it). */
bool	rkmp_state_exists(const char *path);

#endif

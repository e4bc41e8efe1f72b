/* SPDX-License-Identifier: MIT */
/* file.h — whole small files (raw messages) in and out; "-" is stdin/stdout. */
#ifndef RKMP_FILE_H
#define RKMP_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Read at most max + 1 octets of path into a malloc'd *out (so that a caller
 * can tell "longer than max"); RKMP_E_SYSTEM naming the file on errors. */
int	rkmp_file_read(const char *path, size_t max, uint8_t **out, size_t *len);
/* Write len octets to path (created or truncated); RKMP_E_SYSTEM on errors. */
int	rkmp_file_write(const char *path, const uint8_t *p, size_t len);

/* dir (malloc'd; "." when none) and base name (in path) of path. */
int	rkmp_file_split(const char *path, char **dir, const char **base);
/*
 * Open a file of secrets (state, key table) for reading: a regular file that
 * group and others can neither read nor write (RKMP_E_STATE "mode 0644:
 * readable by group or others (chmod 600 FILE)"), of at most max octets
 * (RKMP_E_STATE "... not a WHAT"); RKMP_E_SYSTEM when it cannot be opened
 * (errno kept, so ENOENT can be told apart).  Its size in *size.
 */
int	rkmp_file_open_secret(const char *path, uintmax_t max, const char *what, int *fd,
	    size_t *size);
/*
 * Replace path atomically with len octets: a temp file ".NAME.XXXXXX" beside
 * it (same file system, so the rename is atomic), mode 0600 whatever the
 * umask, the data on disk before the rename and the rename on disk before
 * returning (fsync of the directory).  RKMP_E_SYSTEM on errors.
 */
int	rkmp_file_replace(const char *path, const void *buf, size_t len);

#endif

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

#endif

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
 * returning (fsync of the directory).  A path that is a symbolic link is
 * resolved first: the file it points to is replaced, the link stays.
 * RKMP_E_SYSTEM on errors.
 */
int	rkmp_file_replace(const char *path, const void *buf, size_t len);

/*
 * The file path names after symbolic links of its last component are
 * followed (malloc'd): path itself when it is no link or does not exist.
 * RKMP_E_SYSTEM for a link whose target is missing or a loop.
 */
int	rkmp_file_resolve(const char *path, char **out);

/*
 * One writer per file: an exclusive flock(2) on "RESOLVED.lock" beside the
 * file (RESOLVED: path after rkmp_file_resolve, so a link and its target
 * share one lock), held until rkmp_file_unlock.  The holder writes "WHO pid
 * N since TIME" into the lock file; a second writer reads it back.  wait < 0
 * waits as long as it takes, 0 refuses at once, > 0 waits that many seconds:
 * RKMP_E_STATE "locked by rkmp-child pid 4242 since ..." when still held.
 */
int	rkmp_file_lock(const char *path, const char *who, double wait, int *fd);
void	rkmp_file_unlock(int fd);

/*
 * Remove the temp files ".NAME.XXXXXX" that writers of path (resolved) killed
 * before their rename left beside it.  Only with path's lock held, when no
 * live writer can own one.  The number removed.
 */
int	rkmp_file_sweep(const char *path);

/*
 * Output in two halves, so that a caller can commit its state in between:
 * rkmp_file_stage writes len octets to a temp file beside path when path is a
 * regular file or does not exist (*tmp malloc'd), and does nothing for "-",
 * a FIFO or a device (*tmp NULL); rkmp_file_publish then renames the temp
 * file over path, or writes the octets to path ("-" = stdout) when nothing was
 * staged; rkmp_file_discard removes a staged file.  RKMP_E_SYSTEM on errors.
 */
int	rkmp_file_stage(const char *path, const uint8_t *p, size_t len, char **tmp);
int	rkmp_file_publish(const char *path, char *tmp, const uint8_t *p, size_t len);
void	rkmp_file_discard(char *tmp);

#endif

/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "err.h"
#include "file.h"

int
rkmp_file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	uint8_t *p;
	size_t n;
	int e;

	*out = NULL;
	*len = 0;
	if (f == NULL)
		return rkmp_err_set(RKMP_E_SYSTEM, path, "%s", strerror(errno));
	if ((p = malloc(max + 1)) == NULL) {
		if (f != stdin)
			fclose(f);
		return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	}
	n = fread(p, 1, max + 1, f);
	e = ferror(f) ? errno : 0;
	if (f != stdin)
		fclose(f);
	if (e != 0) {
		free(p);
		return rkmp_err_set(RKMP_E_SYSTEM, path, "read: %s", strerror(e));
	}
	*out = p;
	*len = n;
	return 0;
}

int
rkmp_file_write(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	int e;

	if (f == NULL)
		return rkmp_err_set(RKMP_E_SYSTEM, path, "%s", strerror(errno));
	if (fwrite(p, 1, len, f) != len || fflush(f) != 0) {
		e = errno;
		if (f != stdout)
			fclose(f);
		return rkmp_err_set(RKMP_E_SYSTEM, path, "write: %s", strerror(e));
	}
	if (f != stdout && fclose(f) != 0)
		return rkmp_err_set(RKMP_E_SYSTEM, path, "close: %s", strerror(errno));
	return 0;
}

int
rkmp_file_split(const char *path, char **dir, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash != NULL ? slash + 1 : path;
	if (**base == '\0')
		return rkmp_err_set(RKMP_E_SYSTEM, path, "not a file name");
	if (slash == NULL)
		*dir = strdup(".");
	else if (slash == path)
		*dir = strdup("/");
	else
		*dir = strndup(path, (size_t)(slash - path));
	return *dir == NULL ? rkmp_err_set(RKMP_E_NOMEM, path, "out of memory") : 0;
}

int
rkmp_file_open_secret(const char *path, uintmax_t max, const char *what, int *fdp, size_t *size)
{
	struct stat st;
	int fd, r = 0;

	*fdp = -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		int e = errno;

		r = rkmp_err_set(RKMP_E_SYSTEM, path, "open: %s", strerror(e));
		errno = e;	/* the caller may tell ENOENT apart */
		return r;
	}
	if (fstat(fd, &st) == -1)
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "fstat: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		r = rkmp_err_set(RKMP_E_STATE, path, "not a regular file");
	else if ((st.st_mode & 077) != 0)
		r = rkmp_err_set(RKMP_E_STATE, path, "mode %04o: %s by group or others "
		    "(chmod 600 %s)", (unsigned)(st.st_mode & 07777),
		    (st.st_mode & 044) != 0 ? "readable" : "writable", path);
	else if ((uintmax_t)st.st_size > max)
		r = rkmp_err_set(RKMP_E_STATE, path, "%jd octets > %ju: not a %s",
		    (intmax_t)st.st_size, max, what);
	if (r != 0) {
		close(fd);
		return r;
	}
	*fdp = fd;
	*size = (size_t)st.st_size;
	return 0;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
rkmp_file_replace(const char *path, const void *buf, size_t len)
{
	const char *base;
	char *dir = NULL, *tmp = NULL;
	size_t tlen;
	int fd = -1, dfd, r, e;

	if ((r = rkmp_file_split(path, &dir, &base)) != 0)
		return r;
	tlen = strlen(dir) + strlen(base) + 16;
	if ((tmp = malloc(tlen)) == NULL) {
		free(dir);
		return rkmp_err_set(RKMP_E_NOMEM, path, "temp file name");
	}
	snprintf(tmp, tlen, "%s/.%s.XXXXXX", dir, base);
	if ((fd = mkstemp(tmp)) == -1) {
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "temp file in %s: %s", dir, strerror(errno));
		goto out;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 || fchmod(fd, 0600) == -1) {
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "fchmod %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (write_all(fd, buf, len) == -1) {
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "write: %s", strerror(errno));
		goto fail;
	}
	if (fsync(fd) == -1) {
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "fsync: %s", strerror(errno));
		goto fail;
	}
	e = close(fd);
	fd = -1;
	if (e == -1) {
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "close: %s", strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "rename from %s: %s", tmp, strerror(errno));
		goto fail;
	}
	/* the new file is in place; only its directory entry may not be on disk
	 * yet (EINVAL: a file system that cannot sync directories) */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "open %s: %s", dir, strerror(errno));
		goto out;
	}
	if (fsync(dfd) == -1 && errno != EINVAL)
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "fsync %s: %s", dir, strerror(errno));
	close(dfd);
	goto out;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	return r;
}

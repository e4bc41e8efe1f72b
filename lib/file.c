/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
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

/* A temp file ".BASE.XXXXXX" beside path holding len octets, mode 0600, on
 * disk (fsync); its name in *tmp (malloc'd).  The caller renames or unlinks. */
static int
file_temp(const char *path, const void *buf, size_t len, char **tmpp)
{
	const char *base;
	char *dir = NULL, *tmp = NULL;
	size_t tlen;
	int fd = -1, e, r;

	*tmpp = NULL;
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
		free(tmp);
		free(dir);
		return r;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 || fchmod(fd, 0600) == -1)
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "fchmod %s: %s", tmp, strerror(errno));
	else if (write_all(fd, buf, len) == -1)
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "write: %s", strerror(errno));
	else if (fsync(fd) == -1)
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "fsync: %s", strerror(errno));
	e = close(fd);
	if (r == 0 && e == -1)
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "close: %s", strerror(errno));
	if (r != 0) {
		unlink(tmp);
		free(tmp);
	} else
		*tmpp = tmp;
	free(dir);
	return r;
}

/* Rename tmp over path, then put the directory entry on disk (EINVAL: a file
 * system that cannot sync directories).  tmp is removed on failure. */
static int
file_rename(const char *tmp, const char *path)
{
	const char *base;
	char *dir = NULL;
	int dfd, r;

	if (rename(tmp, path) == -1) {
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "rename from %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return r;
	}
	if ((r = rkmp_file_split(path, &dir, &base)) != 0)
		return r;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "open %s: %s", dir, strerror(errno));
	else {
		if (fsync(dfd) == -1 && errno != EINVAL)
			r = rkmp_err_set(RKMP_E_SYSTEM, path, "fsync %s: %s", dir, strerror(errno));
		close(dfd);
	}
	free(dir);
	return r;
}

int
rkmp_file_resolve(const char *path, char **out)
{
	char *cur, link[PATH_MAX];
	struct stat st;

	*out = NULL;
	if ((cur = strdup(path)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	/* the links of the last component, followed by hand: the target of
	 * a link may not exist yet (a first step creates it) */
	for (int hops = 0; lstat(cur, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
		ssize_t n;
		char *next;
		const char *slash;

		if (hops == 40 || (n = readlink(cur, link, sizeof(link) - 1)) == -1 || n == 0) {
			int e = hops == 40 ? ELOOP : n == 0 ? EINVAL : errno;

			free(cur);
			return rkmp_err_set(RKMP_E_SYSTEM, path, "symbolic link: %s", strerror(e));
		}
		link[n] = '\0';
		slash = strrchr(cur, '/');
		if (link[0] == '/' || slash == NULL)
			next = strdup(link);
		else if ((next = malloc((size_t)(slash - cur) + 2 + (size_t)n)) != NULL)
			snprintf(next, (size_t)(slash - cur) + 2 + (size_t)n, "%.*s/%s",
			    (int)(slash - cur), cur, link);
		free(cur);
		if ((cur = next) == NULL)
			return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	}
	*out = cur;
	return 0;
}

int
rkmp_file_replace(const char *path, const void *buf, size_t len)
{
	char *real = NULL, *tmp = NULL;
	int r;

	if ((r = rkmp_file_resolve(path, &real)) == 0 &&
	    (r = file_temp(real, buf, len, &tmp)) == 0)
		r = file_rename(tmp, real);
	free(tmp);
	free(real);
	return r;
}

/* ------------------------------------------------------------------ locks */

/* The holder's line in the lock file, for the one refused. */
static void
lock_holder(int fd, char *out, size_t n)
{
	ssize_t k;

	k = pread(fd, out, n - 1, 0);
	out[k > 0 ? k : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (out[0] == '\0')
		snprintf(out, n, "another process");
}

int
rkmp_file_lock(const char *path, const char *who, double wait, int *fdp)
{
	char *real = NULL, *lp = NULL, holder[160], line[160], when[32];
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	double t0;
	time_t tnow;
	struct tm tm;
	size_t n;
	int fd = -1, r;

	*fdp = -1;
	if ((r = rkmp_file_resolve(path, &real)) != 0)
		return r;
	n = strlen(real) + 6;
	if ((lp = malloc(n)) == NULL) {
		r = rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
		goto out;
	}
	snprintf(lp, n, "%s.lock", real);
	if ((fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "lock file %s: %s", lp, strerror(errno));
		goto out;
	}
	t0 = rkmp_clock_mono();
	while (flock(fd, LOCK_EX | (wait < 0 ? 0 : LOCK_NB)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			r = rkmp_err_set(RKMP_E_SYSTEM, path, "flock %s: %s", lp, strerror(errno));
			goto out;
		}
		if (rkmp_clock_mono() - t0 >= wait) {
			lock_holder(fd, holder, sizeof(holder));
			if (wait > 0)
				r = rkmp_err_set(RKMP_E_STATE, path, "still locked by %s after %g s "
				    "(%s)", holder, wait, lp);
			else
				r = rkmp_err_set(RKMP_E_STATE, path, "locked by %s (%s); --wait-lock "
				    "SECONDS waits for it", holder, lp);
			goto out;
		}
		nanosleep(&nap, NULL);
	}
	tnow = time(NULL);
	if (gmtime_r(&tnow, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	n = (size_t)snprintf(line, sizeof(line), "%s pid %ld since %s\n", who, (long)getpid(), when);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	/* only a note for the next one refused: a failure here costs nothing */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, line, n, 0) < 0)
		(void)0;
	*fdp = fd;
	fd = -1;
out:
	if (fd != -1)
		close(fd);
	free(lp);
	free(real);
	return r;
}

void
rkmp_file_unlock(int fd)
{
	if (fd != -1)
		close(fd);	/* releases the flock */
}

int
rkmp_file_sweep(const char *path)
{
	const char *base;
	char *real = NULL, *dir = NULL, full[PATH_MAX];
	size_t bl;
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (rkmp_file_resolve(path, &real) != 0 || rkmp_file_split(real, &dir, &base) != 0)
		goto out;
	bl = strlen(base);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			const char *nm = de->d_name;

			/* ".BASE." and the six characters mkstemp(3) put there */
			if (nm[0] == '.' && strncmp(nm + 1, base, bl) == 0 && nm[1 + bl] == '.' &&
			    strlen(nm + 2 + bl) == 6 &&
			    (size_t)snprintf(full, sizeof(full), "%s/%s", dir, nm) < sizeof(full) &&
			    unlink(full) == 0)
				n++;
		}
		closedir(d);
	}
out:
	free(dir);
	free(real);
	return n;
}

/* ------------------------------------------------------------------ staged output */

int
rkmp_file_stage(const char *path, const uint8_t *p, size_t len, char **tmp)
{
	struct stat st;

	*tmp = NULL;
	if (strcmp(path, "-") == 0)
		return 0;
	mode_t mask;
	int r;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return 0;	/* a FIFO, a device, a link: written when published */
	if ((r = file_temp(path, p, len, tmp)) != 0)
		return r;
	/* not a secret: the mode a plain write would give it */
	mask = umask(0);
	umask(mask);
	if (chmod(*tmp, 0666 & ~mask) == -1) {
		r = rkmp_err_set(RKMP_E_SYSTEM, path, "chmod %s: %s", *tmp, strerror(errno));
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return r;
}

int
rkmp_file_publish(const char *path, char *tmp, const uint8_t *p, size_t len)
{
	if (tmp == NULL)
		return rkmp_file_write(path, p, len);
	return file_rename(tmp, path);
}

void
rkmp_file_discard(char *tmp)
{
	if (tmp != NULL)
		unlink(tmp);
}

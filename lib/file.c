/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_helper.h"
#include "tests.h"

int test_failed_now;
static const char *test_current;
struct test_case test_list[TEST_MAX + 1];
static size_t test_count;

void
test_register(const char *name, void (*fn)(void))
{
	if (test_count < TEST_MAX)
		test_list[test_count++] = (struct test_case){ name, fn };
}

void
test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s (%s:%d): ", test_current, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	test_failed_now = 1;
}

uint8_t *
test_data_file(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	uint8_t *p = NULL;
	long n;

	snprintf(path, sizeof(path), "../../testdata/%s", rel);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		*len = fread(p, 1, (size_t)n, f);
	}
	fclose(f);
	return p;
}

uint8_t *
test_hex(const char *hex, size_t *len)
{
	size_t n = 0, cap = strlen(hex) / 2 + 1;
	uint8_t *p = malloc(cap);
	int hi = -1;

	if (p == NULL)
		return NULL;
	for (; *hex; hex++) {
		int v;

		if (isspace((unsigned char)*hex) || *hex == ':')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else {
			free(p);
			return NULL;
		}
		if (hi < 0)
			hi = v;
		else {
			p[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		free(p);
		return NULL;
	}
	*len = n;
	return p;
}

int
main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (size_t i = 0; test_list[i].fn != NULL; i++) {
		if (argc > 1 && strstr(test_list[i].name, argv[1]) == NULL)
			continue;
		test_current = test_list[i].name;
		test_failed_now = 0;
		test_list[i].fn();
		if (test_failed_now)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

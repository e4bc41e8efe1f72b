/* SPDX-License-Identifier: MIT */
/*
 * test_helper.h — a small unit-test harness in the OpenSSH regress style.
 * Each test file defines functions registered in tests/unit/tests.h; the runner
 * prints one line per failure and a closing "N passed, N failed".
 */
#ifndef RKMP_TEST_HELPER_H
#define RKMP_TEST_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern int test_failed_now;

void	test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Read tests/unit/../../testdata/REL into a malloc'd buffer. */
uint8_t	*test_data_file(const char *rel, size_t *len);
/* Parse hex (whitespace ignored) into a malloc'd buffer; NULL on bad hex. */
uint8_t	*test_hex(const char *hex, size_t *len);

#define ASSERT_TRUE(x) do { if (!(x)) { test_fail(__FILE__, __LINE__, "%s is false", #x); return; } } while (0)
#define ASSERT_INT_EQ(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) { test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_); return; } } while (0)
#define ASSERT_INT_NE(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ == b_) { test_fail(__FILE__, __LINE__, "%s == %lld, expected != %lld", #a, a_, b_); return; } } while (0)
#define ASSERT_STR_EQ(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) { test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); return; } } while (0)
#define ASSERT_STR_CONTAINS(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (a_ == NULL || strstr(a_, b_) == NULL) { test_fail(__FILE__, __LINE__, "%s == \"%s\", expected to contain \"%s\"", #a, a_ ? a_ : "(null)", b_); return; } } while (0)
#define ASSERT_MEM_EQ(a, b, n) do { if (memcmp((a), (b), (n)) != 0) { test_fail(__FILE__, __LINE__, "%s and %s differ in %zu octets", #a, #b, (size_t)(n)); return; } } while (0)

#endif

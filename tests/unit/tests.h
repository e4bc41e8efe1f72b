/* SPDX-License-Identifier: MIT */
/*
 * tests.h — self-registering unit tests: TEST(name) { ... } in any
 * tests/unit/test_*.c adds itself to the run (no central list to edit).
 */
#ifndef RKMP_TESTS_H
#define RKMP_TESTS_H

struct test_case {
	const char	*name;
	void		(*fn)(void);
};

#define TEST_MAX 1024
extern struct test_case test_list[TEST_MAX + 1];
void test_register(const char *name, void (*fn)(void));

#define TEST(name) \
	static void name(void); \
	__attribute__((constructor)) static void name##_reg(void) { test_register(#name, name); } \
	static void name(void)

#endif

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_state — the state loader.  The input is a state file's text; what
 * loads must save, load again, and save to the same octets:
 * save(load(x)) == save(load(save(load(x)))).  In memory (rkmp_state_parse,
 * rkmp_state_dump: what rkmp_state_load and rkmp_state_save run on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz_common.h"
#include "sa.h"
#include "state.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rkmp_sa *sa, *again;
	char *d1, *d2;
	size_t l1, l2;

	if (size > (1u << 20))
		return -1;
	if ((sa = malloc(sizeof(*sa))) == NULL || (again = malloc(sizeof(*again))) == NULL)
		abort();
	if (rkmp_state_parse("fuzz.json", (const char *)data, size, sa) == 0) {
		if (rkmp_state_dump("fuzz.json", sa, &d1, &l1) != 0) {
			fprintf(stderr, "fuzz_state: %s\n", rkmp_err_text());
			fz_fail("a state that loads does not save", data, size);
		}
		if (rkmp_state_parse("fuzz.json", d1, l1, again) != 0) {
			fprintf(stderr, "fuzz_state: %s\n", rkmp_err_text());
			fz_fail("save(load(x)) does not load", (const uint8_t *)d1, l1);
		}
		if (rkmp_state_dump("fuzz.json", again, &d2, &l2) != 0)
			fz_fail("load(save(load(x))) does not save", (const uint8_t *)d1, l1);
		if (l1 != l2 || memcmp(d1, d2, l1) != 0) {
			fprintf(stderr, "fuzz_state: first save:\n%.*s\nsecond save:\n%.*s\n",
			    (int)l1, d1, (int)l2, d2);
			fz_fail("save(load(x)) != save(load(save(load(x))))", data, size);
		}
		rkmp_sa_wipe(again);
		free(d1);
		free(d2);
	}
	rkmp_sa_wipe(sa);
	free(sa);
	free(again);
	rkmp_err_clear();
	return 0;
}

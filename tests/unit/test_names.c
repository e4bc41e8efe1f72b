/* SPDX-License-Identifier: MIT */
/*
 * names.c checked against wire.h (DESIGN.md §5: names.c repeats wire.h's
 * numbers, so the two are held together here): every number lib/wire.h
 * defines for a registry has a name in names.c, and where wire.h's macro
 * spells the registry name (notify types, protocol IDs, ID and TS types),
 * it is that name.  wire.h is read as text, so a constant added there is
 * checked without touching this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "test_helper.h"
#include "tests.h"

static const struct {
	const char	*prefix;	/* of the macro, after RKMP_ */
	enum rkmp_reg	 reg;
	const char	*name_prefix;	/* the registry's names start with it (exact check), or NULL */
	const char	*skip;		/* macros of the prefix that are no registry value */
} regs[] = {
	{ "EXCH_", RKMP_REG_EXCHANGE, NULL, NULL },
	{ "PLD_", RKMP_REG_PAYLOAD, NULL, NULL },
	{ "PROTO_", RKMP_REG_PROTOCOL, "", NULL },
	{ "TRANS_", RKMP_REG_TRANSFORM, NULL, "TRANS_MORE" },
	{ "N_", RKMP_REG_NOTIFY, "", "N_ERROR_MAX" },
	{ "ID_", RKMP_REG_ID, "ID_", NULL },
	{ "TS_", RKMP_REG_TS, "TS_", NULL },
};

TEST(names_cover_wire_h)
{
	size_t len, checked = 0;
	char *text = (char *)test_data_file("../lib/wire.h", &len), *line, *save = NULL;

	ASSERT_TRUE(text != NULL);
	text[len] = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char macro[64], want[80];
		unsigned long v;
		const char *name;

		if (sscanf(line, "#define RKMP_%63s %lu", macro, &v) != 2)
			continue;
		for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
			if (strncmp(macro, regs[i].prefix, strlen(regs[i].prefix)) != 0 ||
			    (regs[i].skip != NULL && strcmp(macro, regs[i].skip) == 0))
				continue;
			name = rkmp_name(regs[i].reg, (unsigned)v);
			if (name == NULL) {
				test_fail(__FILE__, __LINE__, "wire.h RKMP_%s %lu has no name in names.c", macro, v);
				break;
			}
			if (regs[i].name_prefix != NULL) {
				snprintf(want, sizeof(want), "%s%s", regs[i].name_prefix,
				    macro + strlen(regs[i].prefix));
				if (strcmp(name, want) != 0)
					test_fail(__FILE__, __LINE__, "wire.h RKMP_%s %lu is \"%s\" in names.c, not "
					    "\"%s\"", macro, v, name, want);
			}
			checked++;
			break;
		}
	}
	free(text);
	ASSERT_TRUE(checked >= 50);	/* the file was read and parsed */
}

/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_MAX_OPTS 64

int
rkmp_cli_next(const struct rkmp_cli *cli, int argc, char **argv)
{
	static struct option lo[CLI_MAX_OPTS + 1];
	static char so[CLI_MAX_OPTS * 2 + 2];
	static const struct rkmp_cli *built;

	if (built != cli) {
		size_t n = 0, k = 0;

		so[k++] = ':';	/* a missing argument is reported as ':' */
		for (const struct rkmp_opt *o = cli->opts; o->name != NULL && n < CLI_MAX_OPTS; o++) {
			lo[n++] = (struct option){ o->name, o->has_arg ? required_argument : no_argument,
			    NULL, o->key };
			if (o->key > 0 && o->key < 256) {
				so[k++] = (char)o->key;
				if (o->has_arg)
					so[k++] = ':';
			}
		}
		lo[n] = (struct option){ NULL, 0, NULL, 0 };
		so[k] = '\0';
		built = cli;
	}
	return getopt_long(argc, argv, so, lo, NULL);
}

void
rkmp_cli_help(const struct rkmp_cli *cli, FILE *f)
{
	fprintf(f, "usage: %s %s\n\n%s\n\noptions:\n", cli->prog, cli->synopsis, cli->description);
	for (const struct rkmp_opt *o = cli->opts; o->name != NULL; o++) {
		char left[64];

		if (o->key > 0 && o->key < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->key, o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
			    o->arg ? o->arg : "");
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
	if (cli->epilog != NULL)
		fprintf(f, "\n%s", cli->epilog);
}

int
rkmp_cli_usage(const struct rkmp_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s %s\nTry '%s --help' for more information.\n", cli->prog,
	    cli->synopsis, cli->prog);
	return 2;
}

void
rkmp_cli_list(const struct rkmp_cli *cli, FILE *f)
{
	for (const struct rkmp_opt *o = cli->opts; o->name != NULL; o++) {
		if (o->key > 0 && o->key < 256)
			fprintf(f, "-%c\n", o->key);
		fprintf(f, "--%s\n", o->name);
	}
}

/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "err.h"

#define CLI_MAX_OPTS 64

#ifndef RKMP_VERSION
#define RKMP_VERSION "unknown"
#endif
#ifndef RKMP_COMMIT
#define RKMP_COMMIT "unknown"
#endif

bool
rkmp_cli_has(const struct rkmp_cli *cli, const struct rkmp_opt *o)
{
	return o->only == 0 || cli->mask == 0 || (o->only & cli->mask) != 0;
}

/*
 * Whether argv gives --json (the row keyed key), as getopt_long reads it: a
 * run over a copy of argv (which getopt permutes), quiet (so starts with
 * ':'), then optind = 0 so that the real run starts afresh.
 */
static bool
cli_scan_json(int argc, char **argv, const char *so, const struct option *lo, int key)
{
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	bool json = false;
	int c;

	if (copy == NULL)
		return false;
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	optind = 0;
	while ((c = getopt_long(argc, copy, so, lo, NULL)) != -1)
		json = json || c == key;
	optind = 0;
	free(copy);
	return json;
}

int
rkmp_cli_next(struct rkmp_cli *cli, int argc, char **argv)
{
	static struct option lo[CLI_MAX_OPTS + 1];
	static char so[CLI_MAX_OPTS * 2 + 2];
	static const struct rkmp_cli *built, *scanned;
	static unsigned built_mask;

	if (built != cli || built_mask != cli->mask) {
		size_t n = 0, k = 0;

		so[k++] = ':';	/* a missing argument is reported as ':' */
		for (const struct rkmp_opt *o = cli->opts; o->name != NULL && n < CLI_MAX_OPTS; o++) {
			if (!rkmp_cli_has(cli, o))
				continue;	/* not this tool's: getopt does not know it */
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
		built_mask = cli->mask;
	}
	if (scanned != cli) {
		scanned = cli;
		for (const struct rkmp_opt *o = cli->opts; o->name != NULL; o++)
			if (strcmp(o->name, "json") == 0 && rkmp_cli_has(cli, o))
				cli->json = cli->json || cli_scan_json(argc, argv, so, lo, o->key);
	}
	return getopt_long(argc, argv, so, lo, NULL);
}

/* Whether arg ("--name" or "--name=value") is the long form of the row keyed k
 * (its name, or a prefix of it, as getopt_long takes one). */
static bool
long_form_of(const struct rkmp_cli *cli, const char *arg, int k)
{
	size_t len = strcspn(arg + 2, "=");

	for (const struct rkmp_opt *o = cli->opts; o->name != NULL; o++)
		if (o->key == k && rkmp_cli_has(cli, o) && strncmp(o->name, arg + 2, len) == 0)
			return true;
	return false;
}

int
rkmp_cli_bad(const struct rkmp_cli *cli, int c, char **argv)
{
	const char *a = optind > 0 && argv[optind - 1] != NULL ? argv[optind - 1] : "";
	bool lng = strncmp(a, "--", 2) == 0 && a[2] != '\0';
	char name[80];

	/*
	 * getopt_long has read past a long option when it complains, and sets
	 * optopt to 0 (unknown) or to the option's key; a short one, which may
	 * sit in a cluster ("-qz"), is optopt.
	 */
	lng = lng && (optopt == 0 || optopt >= 256 || long_form_of(cli, a, optopt));
	if (lng)
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
	else
		snprintf(name, sizeof(name), "-%c", optopt);
	if (c == ':')
		return rkmp_cli_usage(cli, "option '%s' needs an argument", name);
	if (lng && optopt != 0 && strchr(a, '=') != NULL)
		return rkmp_cli_usage(cli, "option '%s' takes no argument", name);
	if (lng && optopt == 0) {
		size_t n = 0, len = strlen(name + 2);

		for (const struct rkmp_opt *o = cli->opts; o->name != NULL; o++)
			n += rkmp_cli_has(cli, o) && strncmp(o->name, name + 2, len) == 0;
		if (n > 1)
			return rkmp_cli_usage(cli, "option '%s' is ambiguous", name);
	}
	return rkmp_cli_usage(cli, "unknown option '%s'", name);
}

void
rkmp_cli_help(const struct rkmp_cli *cli, FILE *f)
{
	fprintf(f, "usage: %s %s\n\n%s\n\noptions:\n", cli->prog, cli->synopsis, cli->description);
	for (const struct rkmp_opt *o = cli->opts; o->name != NULL; o++) {
		char left[64];

		if (!rkmp_cli_has(cli, o))
			continue;
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
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\nusage: %s %s\nTry '%s --help' for more information.\n", cli->prog,
	    reason, cli->prog, cli->synopsis, cli->prog);
	if (cli->json) {
		/* the reason names the option: no where */
		rkmp_err_set(RKMP_E_USAGE, "", "%s", reason);
		rkmp_cli_error(cli, NULL, RKMP_E_USAGE);
	}
	return 2;
}

json_t *
rkmp_cli_error_object(int code)
{
	return json_pack("{s:s,s:i,s:s,s:s}", "class", rkmp_err_class(code), "exit",
	    rkmp_err_exit(code), "where", rkmp_err_where(), "detail", rkmp_err_detail());
}

void
rkmp_cli_json_line(const json_t *j)
{
	json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(16));
	fputc('\n', stdout);
}

int
rkmp_cli_error(const struct rkmp_cli *cli, const char *context, int code)
{
	const char *where = rkmp_err_where(), *detail = rkmp_err_detail();
	bool said = false;

	fflush(stdout);	/* after what the run printed */
	if (cli->json) {
		json_t *e = json_pack("{s:o}", "error", rkmp_cli_error_object(code));

		if (e != NULL && !ferror(stdout)) {
			rkmp_cli_json_line(e);
			said = fflush(stdout) == 0 && !ferror(stdout);
		}
		json_decref(e);
	}
	if (!said) {
		bool show_where = where[0] != '\0' && (context == NULL || strcmp(where, context) != 0);

		fprintf(stderr, "%s: %s%s%s%s%s%s%s\n", cli->prog, context ? context : "",
		    context ? ": " : "", rkmp_err_class(code), show_where ? ": " : "",
		    show_where ? where : "", detail[0] ? ": " : "", detail);
	}
	return rkmp_err_exit(code);
}

void
rkmp_cli_list(const struct rkmp_cli *cli, FILE *f)
{
	for (const struct rkmp_opt *o = cli->opts; o->name != NULL; o++) {
		if (!rkmp_cli_has(cli, o))
			continue;
		if (o->key > 0 && o->key < 256)
			fprintf(f, "-%c\n", o->key);
		fprintf(f, "--%s\n", o->name);
	}
}

void
rkmp_cli_version(const struct rkmp_cli *cli, FILE *f, const char *more)
{
	fprintf(f, "%s %s (commit %s) %s%s%s\n", cli->prog, RKMP_VERSION, RKMP_COMMIT,
	    OpenSSL_version(OPENSSL_VERSION), more != NULL ? ", " : "", more != NULL ? more : "");
}

const struct rkmp_opt *
rkmp_cli_misfit(const struct rkmp_cli *cli, const int *seen, size_t n, unsigned mask)
{
	for (size_t i = 0; i < n; i++)
		for (const struct rkmp_opt *o = cli->opts; o->name != NULL; o++)
			if (o->key == seen[i] && o->only != 0 && (o->only & mask) == 0)
				return o;
	return NULL;
}

const char *
rkmp_cli_name(const struct rkmp_opt *o)
{
	static char name[64];

	if (o->key > 0 && o->key < 256)
		snprintf(name, sizeof(name), "-%c", o->key);
	else
		snprintf(name, sizeof(name), "--%s", o->name);
	return name;
}

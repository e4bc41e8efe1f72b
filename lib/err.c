/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "nitems.h"

/* One table: code -> class and exit status (DESIGN.md §8); the class is the
 * §8 word for the exit status, so one status has one class. */
static const struct {
	int code;
	const char *class;
	int exit;
} err_table[] = {
	{ RKMP_OK,		"ok",			0 },
	{ RKMP_E_TRUNCATED,	"malformed message",	4 },
	{ RKMP_E_INVALID,	"malformed message",	4 },
	{ RKMP_E_REFUSED,	"refused",		1 },
	{ RKMP_E_USAGE,		"usage",		2 },
	{ RKMP_E_STATE,		"state",		3 },
	{ RKMP_E_CRYPTO,	"crypto",		5 },
	{ RKMP_E_TRANSPORT,	"transport",		6 },
	{ RKMP_E_SYSTEM,	"system",		7 },
	{ RKMP_E_NOMEM,		"system",		7 },	/* §8: "system: local I/O, memory" */
	{ RKMP_E_INTERNAL,	"internal error",	70 },
};

static _Thread_local char err_where[128];
static _Thread_local char err_detail[384];
static _Thread_local char err_joined[520];

static size_t
err_index(int code)
{
	for (size_t i = 0; i < nitems(err_table); i++)
		if (err_table[i].code == code)
			return i;
	return nitems(err_table) - 1;	/* internal */
}

const char *
rkmp_err_class(int code)
{
	return err_table[err_index(code)].class;
}

int
rkmp_err_exit(int code)
{
	return err_table[err_index(code)].exit;
}

const char *
rkmp_err_kind(int code)
{
	if (code == RKMP_E_TRUNCATED)
		return "truncated";
	if (code == RKMP_E_INVALID)
		return "invalid";
	return rkmp_err_class(code);
}

int
rkmp_err_set(int code, const char *where, const char *fmt, ...)
{
	va_list ap;

	snprintf(err_where, sizeof(err_where), "%s", where ? where : "");
	va_start(ap, fmt);
	vsnprintf(err_detail, sizeof(err_detail), fmt, ap);
	va_end(ap);
	return code;
}

const char *
rkmp_err_where(void)
{
	return err_where;
}

const char *
rkmp_err_detail(void)
{
	return err_detail;
}

const char *
rkmp_err_text(void)
{
	if (err_where[0] != '\0' && err_detail[0] != '\0')
		snprintf(err_joined, sizeof(err_joined), "%s: %s", err_where, err_detail);
	else
		snprintf(err_joined, sizeof(err_joined), "%s", err_where[0] ? err_where : err_detail);
	return err_joined;
}

void
rkmp_err_clear(void)
{
	err_where[0] = err_detail[0] = '\0';
}

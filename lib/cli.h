/* SPDX-License-Identifier: MIT */
/*
 * cli.h — one option table drives getopt_long, --help and the completion's
 * option list (`CMD --list-options`), so the three never disagree.  Each row
 * says which tools (or subcommands, or modes) it applies to; a tool filters
 * the table once, by its own bits, so an option that does not apply to it is
 * an unknown option there, and its help and completion list exactly its own.
 * This is the only library module that prints (usage, help and version text,
 * and the one error reporter of every binary: rkmp_cli_error()).
 */
#ifndef RKMP_CLI_H
#define RKMP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

struct rkmp_opt {
	const char	*name;		/* long name */
	int		 key;		/* short letter, or a value >= 256 */
	int		 has_arg;	/* 0 no, 1 required */
	const char	*arg;		/* argument name in help: "FILE" */
	const char	*help;
	unsigned	 only;		/* the bits it applies to; 0 = every one */
};

struct rkmp_cli {
	const char		*prog;
	const char		*synopsis;	/* lines after "usage: prog " */
	const char		*description;	/* one paragraph */
	const struct rkmp_opt	*opts;		/* ends with { NULL } */
	const char		*epilog;	/* exit status etc. */
	unsigned		 mask;		/* this run's bits: rows whose only misses
						 * them are left out; 0 = every row */
	bool			 json;		/* --json was given (set by rkmp_cli_next()) */
};

/* Whether row o is in cli's table (its only meets cli->mask). */
bool	rkmp_cli_has(const struct rkmp_cli *cli, const struct rkmp_opt *o);
/* getopt_long over the table; returns the key, -1 at the end, ':' (missing
 * argument) or '?' (unknown option) on error: then see rkmp_cli_bad().  The
 * first call also sets cli->json when the table has a "json" row and argv
 * gives it (before any "--"), so that even an error in the options before it
 * is reported as JSON. */
int	rkmp_cli_next(struct rkmp_cli *cli, int argc, char **argv);
/* The usage error for the ':' or '?' rkmp_cli_next() returned, naming the
 * option as given ("unknown option '--psk-file'"); returns 2. */
int	rkmp_cli_bad(const struct rkmp_cli *cli, int c, char **argv);
void	rkmp_cli_help(const struct rkmp_cli *cli, FILE *f);
/* "prog: reason" and the synopsis on stderr, and with cli->json the error
 * object of class "usage" on stdout (see rkmp_cli_error()); returns 2. */
int	rkmp_cli_usage(const struct rkmp_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * The one error reporter (DESIGN.md §8): the error recorded for code
 * (rkmp_err_where(), rkmp_err_detail()) ends the run, said once.  Text: one
 * line on stderr, "PROG: [CONTEXT: ]CLASS: [WHERE: ]DETAIL" (WHERE left out
 * when it is empty or CONTEXT itself; CONTEXT is the file the run works on,
 * or NULL).  With cli->json: one compact line on stdout instead,
 * {"error":{"class":...,"exit":N,"where":...,"detail":...}}, the run's last;
 * when stdout cannot be written, the text line goes to stderr after all.
 * Returns the exit status of code.
 */
int	rkmp_cli_error(const struct rkmp_cli *cli, const char *context, int code);
/* {"class", "exit", "where", "detail"} of code and the recorded error: the
 * value of "error" (a step's summary carries it); NULL when out of memory. */
json_t	*rkmp_cli_error_object(int code);
/* A JSON value as one compact line on stdout (jansson's JSON_COMPACT). */
void	rkmp_cli_json_line(const json_t *j);
/* Every option of the table, one per line (for bash completion). */
void	rkmp_cli_list(const struct rkmp_cli *cli, FILE *f);
/* "prog VERSION (commit HASH) OpenSSL ..." and, when more is not NULL,
 * ", " and more (other libraries), on one line. */
void	rkmp_cli_version(const struct rkmp_cli *cli, FILE *f, const char *more);
/*
 * For a tool whose bits are known only after the options are read (a
 * subcommand, a mode): the first of the keys seen[0..n), as rkmp_cli_next()
 * returned them, whose row applies to none of mask; NULL when all do.
 */
const struct rkmp_opt *rkmp_cli_misfit(const struct rkmp_cli *cli, const int *seen, size_t n,
	    unsigned mask);
/* "-s" for a row with a short letter, else "--name" (a static buffer). */
const char *rkmp_cli_name(const struct rkmp_opt *o);

#endif

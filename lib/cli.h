/* SPDX-License-Identifier: MIT */
/*
 * cli.h — one option table drives getopt_long, --help and the completion's
 * option list (`CMD --list-options`), so the three never disagree.
 * This is the only library module that prints (usage and help text only).
 */
#ifndef RKMP_CLI_H
#define RKMP_CLI_H

#include <stdio.h>

struct rkmp_opt {
	const char	*name;		/* long name */
	int		 key;		/* short letter, or a value >= 256 */
	int		 has_arg;	/* 0 no, 1 required */
	const char	*arg;		/* argument name in help: "FILE" */
	const char	*help;
};

struct rkmp_cli {
	const char		*prog;
	const char		*synopsis;	/* lines after "usage: prog " */
	const char		*description;	/* one paragraph */
	const struct rkmp_opt	*opts;		/* ends with { NULL } */
	const char		*epilog;	/* exit status etc. */
};

/* getopt_long over the table; returns the key, -1 at the end, '?' on error. */
int	rkmp_cli_next(const struct rkmp_cli *cli, int argc, char **argv);
void	rkmp_cli_help(const struct rkmp_cli *cli, FILE *f);
/* "prog: reason" and the synopsis on stderr; returns 2 (usage). */
int	rkmp_cli_usage(const struct rkmp_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Every long option, one per line (for bash completion). */
void	rkmp_cli_list(const struct rkmp_cli *cli, FILE *f);

#endif

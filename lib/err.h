/* SPDX-License-Identifier: MIT */
/*
 * err.h — library error codes and the one detail line that goes with them.
 *
 * Every fallible library function returns 0 or a negative RKMP_E_* code.  The
 * code says which class of failure (and so which exit status); the detail is
 * one line with the numbers: "SA payload: proposal length 6 < 8", kept as a
 * "where" part ("SA payload") and a "detail" part ("proposal length 6 < 8").
 * Library code never prints and never exits.
 */
#ifndef RKMP_ERR_H
#define RKMP_ERR_H

enum rkmp_err {
	RKMP_OK = 0,
	RKMP_E_TRUNCATED = -1,	/* input ends before its own length says */
	RKMP_E_INVALID = -2,	/* input is complete but contradicts the spec */
	RKMP_E_REFUSED = -3,	/* the protocol ran and said no */
	RKMP_E_USAGE = -4,	/* bad options or arguments */
	RKMP_E_STATE = -5,	/* bad state file, wrong phase, loose permissions */
	RKMP_E_CRYPTO = -6,	/* unsupported suite or failed OpenSSL call */
	RKMP_E_TRANSPORT = -7,	/* timeout, socket error */
	RKMP_E_SYSTEM = -8,	/* local I/O */
	RKMP_E_NOMEM = -9,	/* out of memory */
	RKMP_E_INTERNAL = -10,	/* a bug */
	RKMP_E_MAX_ = -11
};

/* Class name ("malformed message", "state", ...) of a code: the word of
 * DESIGN.md §8 for its exit status, the same for every code of that status. */
const char *rkmp_err_class(int code);
/* Documented exit status (DESIGN.md §8) of a code; 0 for RKMP_OK. */
int rkmp_err_exit(int code);
/* "truncated" or "invalid" for the two decode codes, else the class: the
 * "kind" of rkmp-decode's per-message error (run-level errors have none). */
const char *rkmp_err_kind(int code);

/* Record where/detail for the current failure and return code. */
int rkmp_err_set(int code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The recorded parts, and "where: detail" joined. */
const char *rkmp_err_where(void);
const char *rkmp_err_detail(void);
const char *rkmp_err_text(void);
void rkmp_err_clear(void);

#endif

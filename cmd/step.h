/* SPDX-License-Identifier: MIT */
/*
 * step.h — what rkmp-init, rkmp-auth and rkmp-child share: the options of
 * DESIGN.md §6, the state file, the two transports (files and UDP), phases
 * and reporting.  Each binary is a descriptor of its exchange handed to
 * step_main().
 */
#ifndef RKMP_STEP_H
#define RKMP_STEP_H

#include "ike.h"
#include "sa.h"

/* The step tools, as the bits of the option table's rows (rkmp_opt.only):
 * each tool takes the options whose row names it. */
enum step_tool {
	STEP_INIT = 1 << 0,
	STEP_AUTH = 1 << 1,
	STEP_CHILD = 1 << 2,	/* the operation options; "pending" decides */
};

struct step_desc {
	const char	*prog;
	enum step_tool	 tool;
	const char	*synopsis;	/* after "usage: prog " */
	const char	*exchange;	/* "RKMP_SA_INIT" */
	bool		 creates;	/* the first step: may create the state file */
	enum rkmp_phase	 req_phase;	/* initiator builds the request in this phase */
	enum rkmp_phase	 wait_phase;	/* ... and then waits for the answer in this one */
	enum rkmp_phase	 resp_phase;	/* responder answers in this phase */
	int	(*request)(struct rkmp_sa *, const struct rkmp_ike_cfg *, struct rkmp_ike_out *);
	int	(*process)(struct rkmp_sa *, const struct rkmp_ike_cfg *, const uint8_t *, size_t,
		    struct rkmp_ike_out *);
	int	(*respond)(struct rkmp_sa *, const struct rkmp_ike_cfg *, const uint8_t *, size_t,
		    struct rkmp_ike_out *);
	const char	*description;
};

/* The descriptor of a step tool (step_tools.c). */
const struct step_desc *step_tool(enum step_tool tool);
int	step_main(const struct step_desc *d, int argc, char **argv);

#endif

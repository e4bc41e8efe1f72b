/* SPDX-License-Identifier: MIT */
/* rkmp-auth — RKMP_SA_AUTH (IKE_AUTH), initiator or responder; see step.c. */
#include "step.h"

int
main(int argc, char **argv)
{
	return step_main(step_tool(STEP_AUTH), argc, argv);
}

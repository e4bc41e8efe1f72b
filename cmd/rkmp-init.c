/* SPDX-License-Identifier: MIT */
/* rkmp-init — RKMP_SA_INIT (IKE_SA_INIT), initiator or responder; see step.c. */
#include "step.h"

int
main(int argc, char **argv)
{
	return step_main(step_tool(STEP_INIT), argc, argv);
}

/* SPDX-License-Identifier: MIT */
/* rkmp-child — child SA exchanges after RKMP_SA_AUTH (create, rekey, delete, liveness); see step.c. */
#include "step.h"

int
main(int argc, char **argv)
{
	return step_main(step_tool(STEP_CHILD), argc, argv);
}

/* SPDX-License-Identifier: MIT */
/* rkmp-child — child SA exchanges after RKMP_SA_AUTH (create, rekey, delete, liveness); see step.c. */
#include "step.h"

static int
child_request(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, struct rkmp_ike_out *o)
{
	return rkmp_ike_child_request(sa, cfg, cfg->child, o);
}

static const struct step_desc child_desc = {
	"rkmp-child", STEP_CHILD,
	"-s STATE [--create [--protocol P] [--pfs G] | --rekey SPI | --delete SPI |\n"
	"       --rekey-ike | --delete-ike | --liveness] [-o FILE | --peer ADDR] [options]\n"
	"       rkmp-child -s STATE -i ANSWER\n"
	"       rkmp-child -s STATE --respond (-i FILE -o FILE | --listen ADDR) [options]",
	"RKMP_CHILD_SA", false,
	RKMP_PHASE_ESTABLISHED, RKMP_PHASE_ESTABLISHED, RKMP_PHASE_ESTABLISHED,
	child_request, rkmp_ike_child_process, rkmp_ike_child_respond,
	"Run one exchange on an established RKMP SA: create a child SA (a routing-\n"
	"protocol SA: TCP-AO, BFD or RSVP-TE in the rkmp profile; an ESP child with TS in\n"
	"the ikev2 profile), optionally with PFS; rekey one (N(REKEY_SA)); delete one;\n"
	"delete the RKMP SA itself (its children live on); or check liveness.  The\n"
	"responder (--respond) answers whichever request comes.  Over files a request is\n"
	"written with -o and its answer read back with -i; over UDP (--peer, --listen)\n"
	"the whole exchange runs, with retransmission.",
};

int
main(int argc, char **argv)
{
	return step_main(&child_desc, argc, argv);
}

/* SPDX-License-Identifier: MIT */
/* rkmp-auth — RKMP_SA_AUTH (IKE_AUTH), initiator or responder; see step.c. */
#include "step.h"

static const struct step_desc auth_desc = {
	"rkmp-auth", STEP_AUTH,
	"-s STATE [--respond] [-i FILE | --listen ADDR] [-o FILE | --peer ADDR] [options]",
	"RKMP_SA_AUTH", false,
	RKMP_PHASE_INIT_DONE, RKMP_PHASE_AUTH_SENT, RKMP_PHASE_INIT_DONE,
	rkmp_ike_auth_request, rkmp_ike_auth_process, rkmp_ike_auth_respond,
	"Run RKMP_SA_AUTH (IKE_AUTH) on a state made by rkmp-init: authenticate with a\n"
	"pre-shared key (--psk-file) or certificates (--cert, --key, --ca), and negotiate\n"
	"the first child: in the rkmp profile a routing-protocol SA (TCP-AO by default,\n"
	"no TS), in the ikev2 profile an ESP child with TSi/TSr, or none (--childless).\n"
	"Over files (-i/-o) each run is one half-step; over UDP (--peer, --listen) the\n"
	"whole exchange.  The RKMP SA is established when both sides have run.",
};

int
main(int argc, char **argv)
{
	return step_main(&auth_desc, argc, argv);
}

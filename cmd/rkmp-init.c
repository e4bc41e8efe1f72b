/* SPDX-License-Identifier: MIT */
/* rkmp-init — RKMP_SA_INIT (IKE_SA_INIT), initiator or responder; see step.c. */
#include "step.h"

static const struct step_desc init_desc = {
	"rkmp-init", STEP_INIT,
	"-s STATE [--respond] [-i FILE | --listen ADDR] [-o FILE | --peer ADDR] [options]",
	"RKMP_SA_INIT", true,
	RKMP_PHASE_NEW, RKMP_PHASE_INIT_SENT, RKMP_PHASE_NEW,
	rkmp_ike_init_request, rkmp_ike_init_process, rkmp_ike_init_respond,
	"Run RKMP_SA_INIT (IKE_SA_INIT): the initiator writes its request (SA, KE, Ni)\n"
	"and, on its next run, reads the answer and derives the keys; the responder\n"
	"(--respond) reads the request and writes its answer (SA, KE, Nr) with the keys\n"
	"derived.  Over files (-i/-o) each run is one half-step; over UDP (--peer,\n"
	"--listen) the whole exchange, with COOKIE and INVALID_KE_PAYLOAD retries and\n"
	"RFC 7296 retransmission.  State goes to the JSON file given with -s.",
};

int
main(int argc, char **argv)
{
	return step_main(&init_desc, argc, argv);
}

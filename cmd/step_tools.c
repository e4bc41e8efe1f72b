/* SPDX-License-Identifier: MIT */
/*
 * step_tools.c — the step tools, one descriptor each (their exchange, phases
 * and engine functions, DESIGN.md §6): rkmp-init, rkmp-auth and rkmp-child
 * are step_main() over one of these, and rkmp-init --through auth goes on
 * with rkmp-auth's.
 */
#include <stddef.h>

#include "nitems.h"
#include "step.h"

static int
child_request(struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg, struct rkmp_ike_out *o)
{
	return rkmp_ike_child_request(sa, cfg, cfg->child, o);
}

static const struct step_desc tools[] = { {
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
}, {
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
}, {
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
} };

const struct step_desc *
step_tool(enum step_tool tool)
{
	for (size_t i = 0; i < nitems(tools); i++)
		if (tools[i].tool == tool)
			return &tools[i];
	return NULL;
}

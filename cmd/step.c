/* SPDX-License-Identifier: MIT */
/*
 * step.c — the driver of the step binaries (rkmp-init, rkmp-auth,
 * rkmp-child): options, the state file (one writer, write-ahead), the file
 * transport, phases, the outcome and exit statuses (DESIGN.md §6, §8).  The
 * UDP transport is step_udp.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "auth.h"
#include "cli.h"
#include "crypto.h"
#include "names.h"
#include "nitems.h"
#include "proposal.h"
#include "protocols.h"
#include "keytable.h"
#include "rp.h"
#include "err.h"
#include "file.h"
#include "hex.h"
#include "ike.h"
#include "state.h"
#include "step_int.h"
#include "udp.h"
#include "wire.h"

enum {
	OPT_RESPOND = 256, OPT_PEER, OPT_LISTEN, OPT_PROFILE, OPT_PROPOSAL, OPT_CHILD_PROPOSAL,
	OPT_CHILDLESS, OPT_ID, OPT_PEER_ID, OPT_PSK_FILE, OPT_CERT, OPT_KEY, OPT_CA, OPT_COOKIE,
	OPT_RETRANSMIT, OPT_WAIT, OPT_LINGER, OPT_JSON, OPT_SEED, OPT_VERSION, OPT_LIST_OPTIONS,
	OPT_LOCAL, OPT_CREATE, OPT_PROTOCOL, OPT_PFS, OPT_REKEY, OPT_DELETE, OPT_DELETE_IKE, OPT_LIVENESS,
	OPT_REKEY_IKE, OPT_EVENTS, OPT_RP_HOOK, OPT_PEER_ADDRESS, OPT_NOW, OPT_WAIT_LOCK, OPT_RESEND,
	OPT_FRAGMENT_SIZE, OPT_THROUGH,
};

#define FRAG_SIZE_DEFAULT	1280	/* octets of IP datagram, as strongSwan's charon.fragment_size */
#define FRAG_SIZE_MIN		576	/* RFC 7383 §2.5.1: what any IPv4 path carries */

/* The tools each option applies to (STEP_* of step.h); 0: every step tool. */
#define I	STEP_INIT
#define A	STEP_AUTH
#define C	STEP_CHILD

static const struct rkmp_opt step_opts[] = {
	{ "state", 's', 1, "FILE", "this side's state file (created by the first step; mode 0600)", 0 },
	{ "in", 'i', 1, "FILE", "the peer's message, one raw datagram (- = stdin)", 0 },
	{ "out", 'o', 1, "FILE", "our message, one raw datagram (- = stdout)", 0 },
	{ "respond", OPT_RESPOND, 0, NULL, "act as responder for this exchange", 0 },
	{ "through", OPT_THROUGH, 1, "auth", "UDP responder: answer RKMP_SA_AUTH too, in the same run (with rkmp-auth's options)", I },
	{ "resend", OPT_RESEND, 0, NULL, "send our unanswered request again, bitwise identical (from the state)", 0 },
	{ "create", OPT_CREATE, 0, NULL, "request a new child SA (the default operation)", C },
	{ "protocol", OPT_PROTOCOL, 1, "tcp-ao|bfd|rsvp-te|tcp-md5", "the routing-protocol SA to create (rkmp profile; default tcp-ao)", I | A | C },
	{ "pfs", OPT_PFS, 1, "GROUP", "with a KE of GROUP (e.g. x25519, modp2048): perfect forward secrecy", C },
	{ "rekey", OPT_REKEY, 1, "SPI", "rekey the child whose SPI (ours, hex) is SPI (N(REKEY_SA))", C },
	{ "delete", OPT_DELETE, 1, "SPI", "delete the child whose SPI (ours, hex) is SPI", C },
	{ "rekey-ike", OPT_REKEY_IKE, 0, NULL, "rekey the RKMP SA itself: new SPIs and keys, children move", C },
	{ "delete-ike", OPT_DELETE_IKE, 0, NULL, "delete the RKMP SA itself (children live on)", C },
	{ "liveness", OPT_LIVENESS, 0, NULL, "liveness check: an empty RKMP_INFORMATIONAL", C },
	{ "peer", OPT_PEER, 1, "ADDR[:PORT]", "UDP: send our request there and wait (retransmitting)", 0 },
	{ "listen", OPT_LISTEN, 1, "ADDR[:PORT]", "UDP: wait there for the peer's request and answer it", 0 },
	{ "local", OPT_LOCAL, 1, "ADDR:PORT", "UDP requester: send from there (default: the SA's own endpoint from the state, else an ephemeral port)", 0 },
	{ "profile", OPT_PROFILE, 1, "rkmp|ikev2", "protocol profile (first step only; default rkmp)", I },
	{ "proposal", OPT_PROPOSAL, 1, "LIST", "IKE proposals, strongSwan style (first step only)", I },
	{ "child-proposal", OPT_CHILD_PROPOSAL, 1, "LIST", "proposals of the first child SA", 0 },
	{ "childless", OPT_CHILDLESS, 0, NULL, "ikev2 profile: RKMP_SA_AUTH without a child (RFC 6023)", I | A },
	{ "id", OPT_ID, 1, "ID", "our identity: fqdn:NAME, email:ADDR, ipv4:A, ipv6:A, keyid:HEX", I | A },
	{ "peer-id", OPT_PEER_ID, 1, "ID", "the identity the peer must prove", I | A },
	{ "psk-file", OPT_PSK_FILE, 1, "FILE", "pre-shared key file (mode 0600; 0x... = hex)", I | A },
	{ "cert", OPT_CERT, 1, "FILE", "our certificate chain (PEM)", I | A },
	{ "key", OPT_KEY, 1, "FILE", "our private key (PEM)", I | A },
	{ "ca", OPT_CA, 1, "FILE", "trusted CA certificates (PEM)", I | A },
	{ "cookie", OPT_COOKIE, 0, NULL, "responder: demand a COOKIE round first (RFC 7296 §2.6)", I },
	{ "retransmit", OPT_RETRANSMIT, 1, "T,B,N", "UDP: first timeout T s, back-off B, N retransmits (4,1.8,5)", 0 },
	{ "wait", OPT_WAIT, 1, "SECONDS", "UDP responder: how long to wait for a request (0 = forever)", 0 },
	{ "fragment-size", OPT_FRAGMENT_SIZE, 1, "OCTETS", "UDP: largest IP datagram of a protected message before it is sent in RFC 7383 fragments, when the peer agreed (1280)", 0 },
	{ "linger", OPT_LINGER, 1, "SECONDS", "UDP responder: after answering, this long: answer copies of the request again, and new requests the SA can take", 0 },
	{ "wait-lock", OPT_WAIT_LOCK, 1, "SECONDS", "when another process holds the state, wait this long for it (default: refuse at once)", 0 },
	{ "keytable", 't', 1, "FILE", "the RFC 7210 key table the routing-protocol SAs go into (mode 0600)", 0 },
	{ "peer-address", OPT_PEER_ADDRESS, 1, "ADDR", "the peer's address in key-table rows (file transport; kept in the state)", 0 },
	{ "events", OPT_EVENTS, 1, "FILE", "append one JSON line per event (insert, rekey, delete, revoke, close)", 0 },
	{ "rp-hook", OPT_RP_HOOK, 1, "CMD", "run CMD (sh -c) per event, the event in RKMP_* variables", 0 },
	{ "json", OPT_JSON, 0, NULL, "a JSON summary of the step on stdout (errors as JSON too)", 0 },
	{ "seed", OPT_SEED, 1, "HEX", "TESTING ONLY: deterministic nonces, SPIs, IVs and DH keys", I },
	{ "now", OPT_NOW, 1, "TIME", "TESTING ONLY: the clock for key-table lifetimes, YYYYmmddHHMMSSZ", 0 },
	{ "verbose", 'v', 0, NULL, "more on stderr", 0 },
	{ "quiet", 'q', 0, NULL, "nothing on stderr but errors", 0 },
	{ "help", 'h', 0, NULL, "show this help", 0 },
	{ "version", OPT_VERSION, 0, NULL, "show the version, the commit and the OpenSSL version", 0 },
	{ "list-options", OPT_LIST_OPTIONS, 0, NULL, "list the options (for shell completion)", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

#undef I
#undef A
#undef C

/* struct step: step_int.h */

/* ------------------------------------------------------------------ reporting */

void
step_say(const struct step *st, const char *fmt, ...)
{
	va_list ap;

	if (st->verbose < 0)
		return;
	fprintf(stderr, "%s: ", st->d->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A warning of the key table's routing-protocol side (a hook that failed, an
 * events file not written): said also with -q, as it was always. */
static void
step_warn(void *ctx, const char *text)
{
	const struct step *st = ctx;

	fprintf(stderr, "%s: warning: %s\n", st->d->prog, text);
}

/* The run's one error (DESIGN.md §8): a line on stderr, or the error object
 * on stdout with --json (lib/cli.c); the exit status of code. */
static int
report(const struct step *st, int code)
{
	return rkmp_cli_error(&st->cli, st->state, code);
}

/* What to run next from a phase (for "wrong phase" refusals). */
static const char *
next_step(const struct rkmp_sa *sa)
{
	switch (sa->phase) {
	case RKMP_PHASE_NEW:
		return sa->initiator ? "rkmp-init (request)" : "rkmp-init --respond";
	case RKMP_PHASE_INIT_SENT:
		return "rkmp-init -i RESPONSE (the responder's answer), or rkmp-init --resend";
	case RKMP_PHASE_INIT_DONE:
		return sa->initiator ? "rkmp-auth (request)" : "rkmp-auth --respond";
	case RKMP_PHASE_AUTH_SENT:
		return "rkmp-auth -i RESPONSE (the responder's answer), or rkmp-auth --resend";
	case RKMP_PHASE_ESTABLISHED:
		return "rkmp-child (the RKMP SA is established)";
	case RKMP_PHASE_DELETED:
		return "none: the RKMP SA was deleted (its children live on); start a new one with rkmp-init";
	default:
		return "none: the SA failed; start again with a new state file";
	}
}

/* ------------------------------------------------------------------ files */

/* One raw message from a file: empty or over 65,535 octets is malformed (DESIGN.md §6). */
static int
read_file(const char *path, uint8_t **out, size_t *len)
{
	int r;

	if ((r = rkmp_file_read(path, 65535, out, len)) != 0)
		return r;
	if (*len == 0 || *len > 65535) {
		r = rkmp_err_set(*len == 0 ? RKMP_E_TRUNCATED : RKMP_E_INVALID, path,
		    *len == 0 ? "empty message file" : "message file over 65535 octets");
		free(*out);
		*out = NULL;
		return r;
	}
	return 0;
}

/* ------------------------------------------------------------------ options */

static int
parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || *s == '\0' || *end != '\0' || *v < 0 ? -1 : 0;
}

static int
parse_retransmit(const char *s, struct rkmp_udp_policy *pol)
{
	double t, b;
	unsigned n;
	char extra;

	if (sscanf(s, "%lf,%lf,%u%c", &t, &b, &n, &extra) != 3 || t <= 0 || b < 1 || n > 20)
		return -1;
	pol->timeout = t;
	pol->base = b;
	pol->tries = n;
	return 0;
}

static int
parse_opts(struct step *st, int argc, char **argv)
{
	int c;

	while ((c = rkmp_cli_next(&st->cli, argc, argv)) != -1) {
		switch (c) {
		case 's': st->state = optarg; break;
		case 'i': st->in = optarg; break;
		case 'o': st->out = optarg; break;
		case OPT_RESPOND: st->respond = true; break;
		case OPT_THROUGH:
			if (strcmp(optarg, "auth") != 0)
				return rkmp_cli_usage(&st->cli, "--through: '%s': the one exchange a responder "
				    "can go on to is auth (RKMP_SA_AUTH)", optarg);
			st->through_auth = true;
			break;
		case OPT_FRAGMENT_SIZE: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *optarg < '0' || *optarg > '9' || *end != '\0' || v < FRAG_SIZE_MIN ||
			    v > 65535)
				return rkmp_cli_usage(&st->cli, "--fragment-size: '%s' is not a number of "
				    "octets in %d..65535", optarg, FRAG_SIZE_MIN);
			st->frag_size = (unsigned)v;
			break;
		}
		case OPT_RESEND: st->resend = true; break;
		case OPT_PEER: st->peer = optarg; break;
		case OPT_LISTEN: st->listen = optarg; break;
		case OPT_LOCAL: st->local = optarg; break;
		case OPT_PROFILE: st->profile = optarg; break;
		case OPT_PROPOSAL: st->proposal = optarg; break;
		case OPT_CHILD_PROPOSAL: st->child_proposal = optarg; break;
		case OPT_CHILDLESS: st->childless = true; break;
		case OPT_ID: st->id = optarg; break;
		case OPT_PEER_ID: st->peer_id = optarg; break;
		case OPT_PSK_FILE: st->psk_file = optarg; break;
		case OPT_CERT: st->cert = optarg; break;
		case OPT_KEY: st->key = optarg; break;
		case OPT_CA: st->ca = optarg; break;
		case OPT_COOKIE: st->cookie = true; break;
		case OPT_JSON: st->json = st->cli.json = true; break;
		case OPT_SEED: st->seed = optarg; break;
		case 't': st->rp.keytable = optarg; break;
		case OPT_EVENTS: st->rp.events = optarg; break;
		case OPT_RP_HOOK: st->rp.hook = optarg; break;
		case OPT_PEER_ADDRESS:
			if (!rkmp_keytable_peer_ok(optarg) || strncmp(optarg, "group:", 6) == 0)
				return rkmp_cli_usage(&st->cli, "--peer-address: '%s' is not an IPv4 or IPv6 "
				    "address", optarg);
			st->rp.peer = optarg;
			break;
		case OPT_NOW:
			if (rkmp_keytable_time_parse(optarg, &st->rp.now) != 0)
				return rkmp_cli_usage(&st->cli, "--now: '%s': %s (YYYYmmddHHMMSSZ)", optarg,
				    rkmp_err_detail());
			st->now_text = optarg;
			break;
		case 'v': st->verbose = 1; break;
		case 'q': st->verbose = -1; break;
		case OPT_RETRANSMIT:
			if (parse_retransmit(optarg, &st->pol) != 0)
				return rkmp_cli_usage(&st->cli, "--retransmit: '%s' is not T,B,N "
				    "(T > 0 seconds, B >= 1, N <= 20)", optarg);
			break;
		case OPT_WAIT:
			if (parse_double(optarg, &st->pol.wait) != 0)
				return rkmp_cli_usage(&st->cli, "--wait: '%s' is not a number of seconds", optarg);
			break;
		case OPT_WAIT_LOCK:
			if (parse_double(optarg, &st->wait_lock) != 0)
				return rkmp_cli_usage(&st->cli, "--wait-lock: '%s' is not a number of seconds",
				    optarg);
			break;
		case OPT_LINGER:
			if (parse_double(optarg, &st->linger) != 0)
				return rkmp_cli_usage(&st->cli, "--linger: '%s' is not a number of seconds", optarg);
			break;
		case OPT_CREATE:
		case OPT_DELETE_IKE:
		case OPT_LIVENESS:
		case OPT_REKEY_IKE:
			st->child.op = c == OPT_CREATE ? RKMP_CHILD_CREATE : c == OPT_DELETE_IKE ?
			    RKMP_CHILD_DELETE_IKE : c == OPT_LIVENESS ? RKMP_CHILD_LIVENESS : RKMP_CHILD_REKEY_IKE;
			st->nops++;
			break;
		case OPT_REKEY:
		case OPT_DELETE:
			st->child.op = c == OPT_REKEY ? RKMP_CHILD_REKEY : RKMP_CHILD_DELETE;
			st->nops++;
			if (*optarg == '\0' || rkmp_hex_decode(optarg, strlen(optarg), st->child.spi,
			    sizeof(st->child.spi), &st->child.spi_len, NULL) != 0)
				return rkmp_cli_usage(&st->cli, "%s: '%s' is not an SPI in hex",
				    argv[optind - 2], optarg);
			break;
		case OPT_PROTOCOL: {
			const struct rkmp_protocol *p = rkmp_protocol_by_name(optarg);

			if (p == NULL || (st->d->tool != STEP_CHILD && !p->rp))
				return rkmp_cli_usage(&st->cli, "--protocol: '%s' is not %s", optarg,
				    rkmp_protocol_names(st->d->tool == STEP_CHILD, true));
			st->child.protocol = p->id;
			break;
		}
		case OPT_PFS: {
			unsigned g;

			if (!rkmp_crypto_dh_by_name(optarg, &g))
				return rkmp_cli_usage(&st->cli, "--pfs: '%s' is not a DH group "
				    "(x25519, ecp256, modp2048, ...)", optarg);
			st->child.pfs_group = (uint16_t)g;
			break;
		}
		case 'h':
			rkmp_cli_help(&st->cli, stdout);
			exit(0);
		case OPT_VERSION:
			rkmp_cli_version(&st->cli, stdout, NULL);
			exit(0);
		case OPT_LIST_OPTIONS:
			rkmp_cli_list(&st->cli, stdout);
			exit(0);
		default:	/* ':' or '?', and an option of another step tool is unknown here */
			return rkmp_cli_bad(&st->cli, c, argv);
		}
	}
	if (optind < argc)
		return rkmp_cli_usage(&st->cli, "unexpected argument '%s'", argv[optind]);
	if (st->nops > 1)
		return rkmp_cli_usage(&st->cli, "give one of --create, --rekey, --delete, --rekey-ike, "
		    "--delete-ike, --liveness");
	if (st->d->tool == STEP_CHILD && st->child.op == RKMP_CHILD_NONE)
		st->child.op = RKMP_CHILD_CREATE;
	if (st->state == NULL)
		return rkmp_cli_usage(&st->cli, "-s STATE is required");
	if (st->resend && (st->respond || st->in || st->nops > 0))
		return rkmp_cli_usage(&st->cli, "--resend sends our unanswered request again: not with "
		    "--respond, -i or an operation");
	if (st->resend && st->peer == NULL && st->out == NULL)
		return rkmp_cli_usage(&st->cli, "--resend: give -o FILE or --peer ADDR");
	if (st->peer && st->listen)
		return rkmp_cli_usage(&st->cli, "--peer and --listen cannot be combined");
	if (st->respond && st->peer)
		return rkmp_cli_usage(&st->cli, "a responder listens (--listen), it does not --peer");
	if (!st->respond && st->listen)
		return rkmp_cli_usage(&st->cli, "--listen is for the responder (--respond)");
	if (st->local && !st->peer)
		return rkmp_cli_usage(&st->cli, "--local goes with --peer");
	if ((st->peer || st->listen) && (st->in || st->out))
		return rkmp_cli_usage(&st->cli, "-i/-o are the file transport; not with --peer/--listen");
	if (st->json && st->out && strcmp(st->out, "-") == 0)
		return rkmp_cli_usage(&st->cli, "--json and -o - both want stdout");
	if (st->rp.hook != NULL && st->rp.hook[0] == '\0')
		return rkmp_cli_usage(&st->cli, "--rp-hook: an empty command");
	if (st->through_auth && (!st->respond || st->listen == NULL))
		return rkmp_cli_usage(&st->cli, "--through auth is for a UDP responder: with --respond "
		    "--listen ADDR");
	if (st->through_auth && st->psk_file == NULL && st->cert == NULL)
		return rkmp_cli_usage(&st->cli, "--through auth answers RKMP_SA_AUTH: give --psk-file FILE "
		    "or --cert FILE --key FILE");
	if (st->d->tool == STEP_INIT && !st->through_auth && (st->psk_file || st->child.protocol))
		return rkmp_cli_usage(&st->cli, "%s is for RKMP_SA_AUTH: rkmp-auth, or rkmp-init --respond "
		    "--through auth", st->psk_file ? "--psk-file" : "--protocol");
	if (st->psk_file && (st->cert || st->key))
		return rkmp_cli_usage(&st->cli, "give either --psk-file or --cert/--key, not both");
	if ((st->cert == NULL) != (st->key == NULL))
		return rkmp_cli_usage(&st->cli, "--cert and --key go together");
	return 0;
}

/* ------------------------------------------------------------------ the state */

/* Apply the options that configure the SA (first step, or before RKMP_SA_AUTH). */
static int
configure(struct step *st, struct rkmp_sa *sa, bool fresh)
{
	if (fresh) {
		sa->initiator = !st->respond;
		if (st->profile && !rkmp_profile_value(st->profile, &sa->profile))
			return rkmp_err_set(RKMP_E_USAGE, "--profile", "'%s' is not rkmp or ikev2", st->profile);
		snprintf(sa->proposals, sizeof(sa->proposals), "%s", st->proposal ? st->proposal :
		    RKMP_PROPOSAL_DEFAULT);
		if (st->seed) {
			if (*st->seed == '\0' || rkmp_hex_decode(st->seed, strlen(st->seed), sa->seed.p,
			    RKMP_SA_SEED_MAX, &sa->seed.len, NULL) != 0)
				return rkmp_err_set(RKMP_E_USAGE, "--seed", "'%s' is not 1..%d octets of hex",
				    st->seed, RKMP_SA_SEED_MAX);
			sa->seeded = true;
		}
	} else {
		if (st->profile)
			return rkmp_err_set(RKMP_E_USAGE, "--profile", "chosen at the first step; the state says %s",
			    rkmp_profile_name(sa->profile));
		if (st->proposal)
			return rkmp_err_set(RKMP_E_USAGE, "--proposal", "chosen at the first step (rkmp-init)");
		if (st->seed)
			return rkmp_err_set(RKMP_E_USAGE, "--seed", "stamped at the first step; the state %s seeded",
			    sa->seeded ? "is" : "is not");
	}
	if (st->id)
		snprintf(sa->id_local, sizeof(sa->id_local), "%s", st->id);
	if (st->peer_id)
		snprintf(sa->id_peer, sizeof(sa->id_peer), "%s", st->peer_id);
	if (st->child_proposal)
		snprintf(sa->child_proposals, sizeof(sa->child_proposals), "%s", st->child_proposal);
	if (st->childless)
		sa->childless = true;
	if (st->d->tool != STEP_CHILD && st->child.protocol != 0) {
		if (sa->profile != RKMP_PROFILE_RKMP)
			return rkmp_err_set(RKMP_E_USAGE, "--protocol", "the %s profile's first child "
			    "is ESP", rkmp_profile_name(sa->profile));
		sa->child_protocol = st->child.protocol;
	}
	return 0;
}

/* ------------------------------------------------------------------ the step */

/* The peer's address for key-table rows: --peer-address, the UDP peer kept in
 * the state, or an IP address identity; NULL when none is known. */
static const char *
seen_peer(const struct step *st, const struct rkmp_sa *sa, char *buf, size_t len)
{
	const char *id = sa->id_peer_seen[0] ? sa->id_peer_seen : sa->id_peer;

	if (st->rp.peer != NULL)
		return st->rp.peer;
	if (sa->peer_addr[0])
		return sa->peer_addr;
	if (strncmp(id, "ipv4:", 5) == 0 || strncmp(id, "ipv6:", 5) == 0) {
		snprintf(buf, len, "%s", id + 5);
		return rkmp_keytable_peer_ok(buf) ? buf : NULL;
	}
	return NULL;
}

/*
 * How the step ended, said once (DESIGN.md §8), and its exit status: with
 * --json one summary object, which carries the error when code is one; else
 * our note, then the error line.  When the error says what the note says
 * (noted: the engine's refusal, whose note and error both give the reason of
 * the SA or of the child), only the error is said.
 */
static int
outcome(const struct step *st, const struct rkmp_sa *sa, const struct rkmp_ike_out *o, int code,
    const struct rkmp_rp *rp, bool noted)
{
	if (st->json) {
		char si[17], sr[17];
		json_t *j;

		snprintf(si, sizeof(si), "%016llx", (unsigned long long)sa->spi_i);
		snprintf(sr, sizeof(sr), "%016llx", (unsigned long long)sa->spi_r);
		j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "step", st->d->prog,
		    "role", sa->initiator ? "initiator" : "responder", "profile", rkmp_profile_name(sa->profile),
		    "phase", rkmp_phase_name(sa->phase), "spi_i", si, "spi_r", sr, "note", o->note,
		    "exit", rkmp_err_exit(code < 0 ? code : 0));
		if (sa->reason[0])
			json_object_set_new(j, "reason", json_string(sa->reason));
		if (sa->seeded)
			json_object_set_new(j, "seeded", json_true());
		if (st->listen != NULL)
			json_object_set_new(j, "ignored", json_integer(st->ignored));
		if (rp != NULL && rkmp_rp_wanted(&rp->cfg)) {
			json_t *ev = json_array();

			for (size_t i = 0; i < rp->nev; i++)
				json_array_append_new(ev, json_string(rkmp_rp_kind_name(rp->ev[i].kind)));
			json_object_set_new(j, "events", ev);
		}
		if (code < 0)
			json_object_set_new(j, "error", rkmp_cli_error_object(code));
		rkmp_cli_json_line(j);
		json_decref(j);
		return rkmp_err_exit(code < 0 ? code : 0);
	}
	if (noted) {
		if (st->ignored > 0)
			step_say(st, "%u datagram%s ignored while listening", st->ignored,
			    st->ignored == 1 ? "" : "s");
	} else if (o->note[0]) {
		if (st->ignored > 0)
			step_say(st, "%s (%u datagram%s ignored while listening)", o->note, st->ignored,
			    st->ignored == 1 ? "" : "s");
		else
			step_say(st, "%s", o->note);
	}
	return code < 0 ? report(st, code) : 0;
}

/*
 * Write-ahead (DESIGN.md §6): the state that reserves our Message ID and AEAD
 * IV counter, and holds the message for its retransmissions (the transcript),
 * is on disk before any byte of the message leaves the process; when it
 * cannot be written, nothing is sent.  Every send and every -o goes after one.
 */
int
step_commit(struct step *st, struct rkmp_sa *sa)
{
	int r;

	if (st->rpx != NULL)
		rkmp_rp_settle(st->rpx, sa);	/* a failed SA's children are discarded */
	if ((r = rkmp_state_save(st->state, sa)) != 0)
		return r;
	st->committed = true;
	return 0;
}

/* Our unanswered request from the state, as it was sent (--resend). */
int
step_resend(const struct rkmp_sa *sa, struct rkmp_ike_out *o)
{
	const uint8_t *p;
	size_t len;
	int r;

	if ((r = rkmp_ike_pending_request(sa, &p, &len)) != 0)
		return r;
	rkmp_buf_reset(&o->msg);
	rkmp_buf_put(&o->msg, p, len);
	if (o->msg.err != 0)
		return o->msg.err;
	o->send = true;
	o->fragments = rkmp_frags_count(p, len);
	snprintf(o->note, sizeof(o->note), "request resent from the state: %s, Message ID %u, %zu octets "
	    "(a retransmission)", rkmp_name_or(RKMP_REG_EXCHANGE, p[18]), rkmp_get32(p + 20), len);
	return 0;
}

int
step_main(const struct step_desc *d, int argc, char **argv)
{
	struct step st = { .d = d, .pol = { .timeout = 4.0, .base = 1.8, .tries = 5 },
	    .frag_size = FRAG_SIZE_DEFAULT };
	static struct rkmp_rp rp;	/* big: not on the stack */
	bool rp_on, saving;
	char peer_buf[RKMP_SA_ID_MAX];
	struct rkmp_sa sa;
	struct rkmp_ike_cfg cfg = { 0 };
	struct rkmp_ike_out o;
	struct rkmp_creds *creds = NULL;
	uint8_t psk[1024], *msg = NULL;
	size_t psk_len = 0, msg_len = 0;
	bool fresh = false, emit;
	int r, status, lock_fd = -1, swept;

	st.cli = (struct rkmp_cli){ d->prog, d->synopsis, d->description, step_opts,
	    "exit status: 0 done, 1 refused (error notify sent or received, AUTH or proposal\n"
	    "refused; recorded in the state), 2 usage, 3 state (unreadable, invalid, wrong\n"
	    "phase, permissions), 4 malformed message, 5 crypto, 6 transport (no answer after\n"
	    "retransmissions: recorded in the state), 7 system.  See rkmp(7).\n",
	    d->tool, false };	/* this tool's options only */
	rkmp_sa_init(&sa);
	rkmp_ike_out_init(&o);
	rkmp_rp_defaults(&st.rp);
	st.rp.warn = step_warn;
	st.rp.warn_ctx = &st;
	st.pol.say = step_udp_progress;
	st.pol.say_ctx = &st;
	if ((status = parse_opts(&st, argc, argv)) != 0)
		goto done_nosa;
	rp_on = rkmp_rp_wanted(&st.rp);
	st.rp.state = st.state;

	/* One writer per state, for the whole step; then what killed writers left. */
	if ((r = rkmp_file_lock(st.state, d->prog, st.wait_lock > 0 ? st.wait_lock : 0, &lock_fd)) != 0) {
		status = report(&st, r);
		goto done;
	}
	if ((swept = rkmp_file_sweep(st.state)) > 0 && st.verbose > 0)
		step_say(&st, "%s: removed %d temp file%s of an interrupted write", st.state, swept,
		    swept == 1 ? "" : "s");

	/* The state: loaded, or created by the first step. */
	if (rkmp_state_exists(st.state)) {
		if ((r = rkmp_state_load(st.state, &sa)) != 0) {
			status = report(&st, r == RKMP_E_SYSTEM ? RKMP_E_STATE : r);
			goto done;
		}
	} else if (!d->creates) {
		rkmp_err_set(RKMP_E_STATE, st.state, "no such state file: run rkmp-init first");
		status = report(&st, RKMP_E_STATE);
		goto done;
	} else
		fresh = true;
	/* after RKMP_SA_AUTH either side may start an exchange: the role is the SA's, not the step's */
	if (!fresh && d->tool != STEP_CHILD && sa.initiator == st.respond) {
		rkmp_err_set(RKMP_E_STATE, "role", "the state is the %s's; %s --respond",
		    sa.initiator ? "initiator" : "responder", st.respond ? "drop" : "add");
		status = report(&st, RKMP_E_STATE);
		goto done;
	}
	if ((r = configure(&st, &sa, fresh)) != 0) {
		status = report(&st, r);
		goto done;
	}
	if (sa.seeded)
		fprintf(stderr, "%s: WARNING: --seed makes every nonce, SPI, IV and DH key predictable: "
		    "for tests only\n", d->prog);

	/* Credentials. */
	if (st.psk_file) {
		if ((r = rkmp_auth_psk_load(st.psk_file, psk, sizeof(psk), &psk_len)) != 0) {
			status = report(&st, r);
			goto done;
		}
		cfg.psk = psk;
		cfg.psk_len = psk_len;
	}
	if (st.cert || st.ca) {
		if ((r = rkmp_creds_load(&creds, st.cert, st.key, st.ca)) != 0) {
			status = report(&st, r);
			goto done;
		}
		cfg.creds = creds;
	}
	cfg.require_cookie = st.cookie;
	cfg.child = &st.child;

	/* over files, --peer-address is kept in the state for the steps that follow */
	if (st.rp.peer != NULL && st.peer == NULL && st.listen == NULL)
		snprintf(sa.peer_addr, sizeof(sa.peer_addr), "%s", st.rp.peer);
	/* The routing protocol's side: the key table is checked before anything is sent. */
	if (rp_on) {
		if (st.now_text != NULL)
			fprintf(stderr, "%s: WARNING: --now %s: key-table lifetimes from a fixed clock: "
			    "for tests only\n", d->prog, st.now_text);
		if (st.rp.keytable != NULL && st.peer == NULL && st.listen == NULL &&
		    seen_peer(&st, &sa, peer_buf, sizeof(peer_buf)) == NULL) {
			status = rkmp_cli_usage(&st.cli, "-t over files: the peer's address for the key-table "
			    "rows is not known; give --peer-address ADDR (kept in the state)");
			goto done;
		}
		if ((r = rkmp_rp_begin(&rp, &st.rp, &sa)) != 0) {
			status = report(&st, r);
			goto done;
		}
		st.rpx = &rp;
	}

	/* Which half of the exchange: the phase decides, the options must agree. */
	if (st.respond) {
		if (sa.phase != d->resp_phase && !(d->tool == STEP_CHILD && sa.phase == RKMP_PHASE_DELETED)) {
			rkmp_err_set(RKMP_E_STATE, "phase", "%s: next step is %s", rkmp_phase_name(sa.phase),
			    next_step(&sa));
			status = report(&st, RKMP_E_STATE);
			goto done;
		}
		if (st.listen) {
			r = step_udp_respond(&st, &sa, &cfg, &o);
		} else {
			if (st.in == NULL || st.out == NULL) {
				status = rkmp_cli_usage(&st.cli, "a responder needs -i REQUEST and -o RESPONSE "
				    "(or --listen)");
				goto done;
			}
			if ((r = read_file(st.in, &msg, &msg_len)) == 0)
				r = d->respond(&sa, &cfg, msg, msg_len, &o);
		}
	} else if (st.resend) {
		if (sa.phase != d->wait_phase || (d->tool == STEP_CHILD && sa.pending.op == 0)) {
			rkmp_err_set(RKMP_E_STATE, "phase", "%s: no request of %s waits for an answer; next "
			    "step is %s", rkmp_phase_name(sa.phase), d->prog, next_step(&sa));
			status = report(&st, RKMP_E_STATE);
			goto done;
		}
		r = st.peer ? step_udp_request(&st, &sa, &cfg, &o) : step_resend(&sa, &o);
		if (r == 0 && !st.peer && o.fragments > 0)	/* a message file is one datagram */
			r = rkmp_err_set(RKMP_E_USAGE, "--resend", "the request went out in %u RFC 7383 "
			    "fragments: send it again with --peer ADDR", o.fragments);
	} else if (sa.phase == d->wait_phase && st.in != NULL && (d->tool != STEP_CHILD || sa.pending.op != 0)) {
		if ((r = read_file(st.in, &msg, &msg_len)) == 0)
			r = d->process(&sa, &cfg, msg, msg_len, &o);
		if (r == RKMP_IKE_AGAIN && st.out == NULL) {
			status = rkmp_cli_usage(&st.cli, "the exchange continues: give -o FILE for our next request");
			goto done;
		}
	} else if (d->tool == STEP_CHILD && st.in != NULL && sa.pending.op == 0 && sa.phase == RKMP_PHASE_ESTABLISHED) {
		rkmp_err_set(RKMP_E_STATE, "pending", "no request of ours waits for an answer: -i is for "
		    "the answer to one (or add --respond to answer the peer's request)");
		status = report(&st, RKMP_E_STATE);
		goto done;
	} else if (sa.phase == d->req_phase) {
		if (st.in != NULL) {
			status = rkmp_cli_usage(&st.cli, "phase %s: this step sends a request; -i comes with "
			    "the next run", rkmp_phase_name(sa.phase));
			goto done;
		}
		if (st.peer == NULL && st.out == NULL) {
			status = rkmp_cli_usage(&st.cli, "give -o FILE for the request (or --peer ADDR)");
			goto done;
		}
		r = st.peer ? step_udp_request(&st, &sa, &cfg, &o) : d->request(&sa, &cfg, &o);
	} else {
		rkmp_err_set(RKMP_E_STATE, "phase", "%s: next step is %s", rkmp_phase_name(sa.phase),
		    next_step(&sa));
		status = report(&st, RKMP_E_STATE);
		goto done;
	}

	/*
	 * Outcome, write-ahead (DESIGN.md §6): the state first, then our message
	 * (staged beside -o, published once the state is on disk), then the key
	 * table and the report.  When the state cannot be written, -o is not.
	 */
	saving = o.save && (r >= 0 || r == RKMP_E_REFUSED ||
	    (r == RKMP_E_TRANSPORT && sa.phase == RKMP_PHASE_FAILED));
	emit = o.send && !st.peer && !st.listen && st.out != NULL && (r >= 0 || o.save);
	if (saving && !st.committed) {
		char *tmp = NULL;
		int w;

		if (emit && (w = rkmp_file_stage(st.out, o.msg.p, o.msg.len, &tmp)) != 0) {
			status = report(&st, w);
			goto done;
		}
		if ((w = step_commit(&st, &sa)) == 0 && emit &&
		    (w = rkmp_file_publish(st.out, tmp, o.msg.p, o.msg.len)) != 0) {
			/* the state is on disk: the message can be had again */
			if (!o.msg.len || (o.msg.p[19] & RKMP_FLAG_R) == 0)
				step_say(&st, "the state keeps the request: --resend -o FILE writes it again");
		} else if (w != 0)
			rkmp_file_discard(tmp);
		free(tmp);
		if (w != 0) {
			status = report(&st, w);
			goto done;
		}
	} else if (emit) {
		int w;

		if ((w = rkmp_file_write(st.out, o.msg.p, o.msg.len)) != 0) {
			status = report(&st, w);
			goto done;
		}
	}
	/* then the key table and the routing protocol (the state is saved: the peer saw it all) */
	if (saving && rp_on) {
		char where[128], detail[384];
		int w;

		/* the step's own error, kept across the key table's */
		snprintf(where, sizeof(where), "%s", rkmp_err_where());
		snprintf(detail, sizeof(detail), "%s", rkmp_err_detail());
		rp.cfg.peer_seen = seen_peer(&st, &sa, peer_buf, sizeof(peer_buf));
		if ((w = rkmp_rp_commit(&rp, &sa)) != 0) {
			if (r >= 0) {
				status = outcome(&st, &sa, &o, w, &rp, false);
				goto done;
			}
			step_say(&st, "key table: %s", rkmp_err_text());
		}
		if (r < 0)
			rkmp_err_set(r, where, "%s", detail);
	}
	if (r < 0) {
		/* an outcome of the SA (DESIGN.md §6) is summarised; other failures are one error */
		status = r == RKMP_E_REFUSED || r == RKMP_E_TRANSPORT ?
		    outcome(&st, &sa, &o, r, rp_on ? &rp : NULL, r == RKMP_E_REFUSED) : report(&st, r);
		goto done;
	}
	status = outcome(&st, &sa, &o, r, rp_on ? &rp : NULL, false);
done:
	rkmp_file_unlock(lock_fd);
	rkmp_sa_wipe(&sa);
done_nosa:
	rkmp_frags_reset(&st.frags);
	rkmp_crypto_wipe(psk, sizeof(psk));
	rkmp_creds_free(creds);
	rkmp_ike_out_free(&o);
	free(msg);
	return status;
}

/* SPDX-License-Identifier: MIT */
/*
 * step_udp.c — the UDP transport of the step binaries (DESIGN.md §6): the
 * requester (our request, retransmitted, its answers processed; COOKIE and
 * INVALID_KE rounds) and the responder (listening, answering, lingering),
 * each message committed to the state before it leaves (write-ahead), the
 * SA's endpoints kept in the state, and every wait said.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "clock.h"
#include "err.h"
#include "names.h"
#include "step_int.h"
#include "wire.h"

/* Progress of the UDP transport (retransmissions, ICMP errors): at the
 * default verbosity on a terminal, with -v otherwise (DESIGN.md §6). */
static bool
progress_on(const struct step *st)
{
	return st->verbose > 0 || (st->verbose == 0 && isatty(STDERR_FILENO));
}

void
step_udp_progress(void *ctx, const char *line)
{
	const struct step *st = ctx;

	if (progress_on(st))
		step_say(st, "%s", line);
}

/* "07:40:12Z", the wall clock seconds from now */
static void
clock_in(double seconds, char *out, size_t n)
{
	time_t t = time(NULL) + (time_t)(seconds + 0.5);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, n, "%H:%M:%SZ", &tm) == 0)
		snprintf(out, n, "?");
}

static int
udp_default_port(const struct rkmp_sa *sa)
{
	return sa->profile == RKMP_PROFILE_IKEV2 ? RKMP_PORT_IKE : RKMP_PORT_RKMP;
}

static void
set_peer(struct rkmp_sa *sa, const struct rkmp_udp_addr *a)
{
	rkmp_udp_host(a, sa->peer_addr, sizeof(sa->peer_addr), &sa->peer_port);
}

static void
set_local(struct rkmp_sa *sa, const struct rkmp_udp_addr *a)
{
	rkmp_udp_host(a, sa->local_addr, sizeof(sa->local_addr), &sa->local_port);
}

/*
 * The SA's own local endpoint, for a later step to the same peer without
 * --local (DESIGN.md §6: a peer may answer to the port it recorded, as
 * libreswan does): true with it in *out.
 */
static bool
sa_local(const struct rkmp_sa *sa, const struct rkmp_udp_addr *peer, struct rkmp_udp_addr *out)
{
	char host[64], text[96];
	uint16_t port;

	if (sa->local_port == 0 || sa->local_addr[0] == '\0' || sa->peer_addr[0] == '\0')
		return false;
	rkmp_udp_host(peer, host, sizeof(host), &port);
	if (strcmp(host, sa->peer_addr) != 0 || port != sa->peer_port)
		return false;	/* another peer: another SA's business */
	snprintf(text, sizeof(text), strchr(sa->local_addr, ':') ? "[%s]:%u" : "%s:%u", sa->local_addr,
	    sa->local_port);
	return rkmp_udp_parse(text, 0, out) == 0 && out->ss.ss_family == peer->ss.ss_family;
}

/* "IKE_AUTH request, Message ID 1" of a datagram (at least an IKE header). */
static void
describe(const struct rkmp_sa *sa, const uint8_t *p, size_t len, char *out, size_t n)
{
	if (len < RKMP_HDR_LEN) {
		snprintf(out, n, "%zu octets", len);
		return;
	}
	snprintf(out, n, "%s %s, Message ID %u", rkmp_name_or(sa->profile == RKMP_PROFILE_RKMP ?
	    RKMP_REG_EXCHANGE_RKMP : RKMP_REG_EXCHANGE, p[18]), (p[19] & RKMP_FLAG_R) ? "response" :
	    "request", rkmp_get32(p + 20));
}

/*
 * RFC 7383 over UDP (DESIGN.md §6): datagram *d as the engine takes it.  A
 * fragment of the peer's that verifies (rkmp_ike_fragment_check) is kept until
 * its message is whole, which then replaces *d: 1.  0 while fragments are
 * missing, or when *d was a broken or forged fragment (counted; said at -v).
 * 1 for a datagram that is no fragment; <0 when memory runs out.
 */
static int
gather(struct step *st, struct rkmp_sa *sa, const char *from_s, uint8_t **d, size_t *len)
{
	uint16_t num = 0, total = 0;
	unsigned dropped = 0;
	char what[96];
	uint8_t *whole;
	size_t wlen;
	int r;

	if ((r = rkmp_ike_fragment_check(sa, *d, *len)) == 0)
		return 1;
	describe(sa, *d, *len, what, sizeof(what));
	if (r > 0) {
		(void)rkmp_frags_peek(*d, *len, &num, &total);
		r = rkmp_frags_add(&st->frags, *d, *len, &dropped);
	}
	if (r == RKMP_E_NOMEM)
		return r;
	if (r < 0) {
		st->ignored++;
		if (st->verbose > 0)
			step_say(st, "ignored a fragment from %s (%s, %zu octets): %s", from_s, what, *len,
			    rkmp_err_text());
		return 0;
	}
	if (dropped > 0 && st->verbose >= 0)
		step_say(st, "%s: fragments of another message came before this one was whole: "
		    "the incomplete one is dropped", from_s);
	if (st->verbose > 0)
		step_say(st, "%s: fragment %u of %u (%s, %zu octets)", from_s, num, total, what, *len);
	if (r == 0)
		return 0;
	if ((r = rkmp_frags_join(&st->frags, &whole, &wlen)) != 0)
		return r;
	free(*d);
	*d = whole;
	*len = wlen;
	if (st->verbose > 0)
		step_say(st, "%s: %s reassembled from %u fragments (%zu octets)", from_s, what, total, wlen);
	return 1;
}

/*
 * What a UDP requester takes as the answer: rkmp_ike_is_answer, except that an
 * RKMP_SA_INIT answer carrying only an error notify, which nothing
 * authenticates, is kept aside while we wait for a real one (RFC 7296
 * §2.21.1): it decides only when the retransmissions end without another.
 * An answer in RFC 7383 fragments is gathered whole into `whole`.
 */
struct answer {
	struct step		*st;
	struct rkmp_sa		*sa;
	const char		*peer_s;
	uint8_t			*unauth;	/* the last such answer (malloc'd) */
	size_t			 unauth_len;
	uint8_t			*whole;		/* the answer gathered from fragments (malloc'd) */
	size_t			 whole_len;
};

static int
accept_fragment(struct answer *a, const uint8_t *p, size_t len)
{
	uint8_t *d;
	size_t dlen = len;
	int g;

	if ((d = malloc(len)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "udp", "%zu octets", len);
	memcpy(d, p, len);
	if ((g = gather(a->st, a->sa, a->peer_s, &d, &dlen)) > 0 && !rkmp_ike_is_answer(a->sa, d, dlen)) {
		if (a->st->verbose > 0)
			step_say(a->st, "%s: the message reassembled (%zu octets) is not the answer: ignored",
			    a->peer_s, dlen);
		g = 0;
	}
	if (g <= 0) {
		free(d);
		return g;
	}
	free(a->whole);
	a->whole = d;
	a->whole_len = dlen;
	return 1;
}

static int
accept_answer(void *ctx, const uint8_t *p, size_t len)
{
	struct answer *a = ctx;
	uint8_t *copy;
	uint16_t num, total;
	int t;

	if (rkmp_frags_peek(p, len, &num, &total) > 0)
		return accept_fragment(a, p, len);
	if (!rkmp_ike_is_answer(a->sa, p, len))
		return 0;
	if ((t = rkmp_ike_init_error(a->sa, p, len)) == 0)
		return 1;
	if (a->unauth == NULL)	/* said once: a peer may answer each retransmission so */
		step_say(a->st, "%s port %u: RKMP_SA_INIT answered with %s, which nothing authenticates: "
		    "waiting for another answer until the retransmissions end (RFC 7296 §2.21.1)",
		    a->sa->peer_addr, a->sa->peer_port, rkmp_name_or(RKMP_REG_NOTIFY, (unsigned)t));
	if ((copy = malloc(len)) != NULL) {
		memcpy(copy, p, len);
		free(a->unauth);
		a->unauth = copy;
		a->unauth_len = len;
	}
	return 0;
}

/*
 * Initiator over UDP: a socket connected to the peer (so both endpoints are
 * known for NAT_DETECTION_*), our request, then send, wait, process; again
 * while the exchange continues (COOKIE, INVALID_KE_PAYLOAD).
 */
int
step_udp_request(struct step *st, struct rkmp_sa *sa, struct rkmp_ike_cfg *cfg,
    struct rkmp_ike_out *o)
{
	struct rkmp_udp_addr peer, local;
	struct rkmp_udp *u = NULL;
	struct answer ans = { st, sa, NULL, NULL, 0, NULL, 0 };
	uint8_t *resp = NULL;
	size_t resp_len;
	char peer_s[64];
	bool own;
	int r;

	if ((r = rkmp_udp_parse(st->peer, (uint16_t)udp_default_port(sa), &peer)) != 0)
		return r;
	/* no port given: the SA's peer port when it is the SA's peer (it may have floated to 4500) */
	if (!rkmp_udp_port_given(st->peer) && sa->peer_port != 0) {
		char host[64];
		uint16_t port;

		rkmp_udp_host(&peer, host, sizeof(host), &port);
		if (strcmp(host, sa->peer_addr) == 0)
			rkmp_udp_set_port(&peer, sa->peer_port);
	}
	rkmp_udp_format(&peer, peer_s, sizeof(peer_s));
	ans.peer_s = peer_s;
	own = st->local == NULL && sa_local(sa, &peer, &local);
	set_peer(sa, &peer);
	if (st->local != NULL) {
		if ((r = rkmp_udp_parse(st->local, 0, &local)) != 0)
			return r;
		if (local.ss.ss_family != peer.ss.ss_family)
			return rkmp_err_set(RKMP_E_USAGE, "--local", "%s is not of the peer's address family",
			    st->local);
	}
	if ((r = rkmp_udp_open(&u, st->local || own ? &local : NULL, peer.ss.ss_family)) != 0 && own) {
		char was[64];

		rkmp_udp_format(&local, was, sizeof(was));
		step_say(st, "the SA's port %s is taken (%s): sending from another one; a peer that answers "
		    "to %s will not reach us", was, rkmp_err_detail(), was);
		r = rkmp_udp_open(&u, NULL, peer.ss.ss_family);
	}
	if (r != 0)
		return r;
	if ((r = rkmp_udp_local_for(u, &peer, &local)) != 0) {
		rkmp_udp_close(u);
		return r;
	}
	set_local(sa, &local);
	cfg->local = &local;
	cfg->remote = &peer;
	sa->frag_max = rkmp_udp_room(u, &peer, st->frag_size);
	if (st->resend) {
		if ((r = step_resend(sa, o)) == 0)
			step_say(st, "%s", o->note);	/* the answer's note replaces it */
	} else if ((r = st->d->request(sa, cfg, o)) == 0 && o->save)
		r = step_commit(st, sa);	/* nothing leaves before the state that reserves it */
	if (r != 0)
		goto out;
	for (int round = 0; round < 8; round++) {
		struct rkmp_ike_out o2;
		double total = 0, iv = st->pol.timeout;
		char until[16], to[64];

		for (unsigned n = 0; n <= st->pol.tries; n++, iv *= st->pol.base)
			total += iv;
		clock_in(total, until, sizeof(until));
		rkmp_udp_format(&peer, to, sizeof(to));
		if (progress_on(st)) {
			char frags[48] = "";

			if (o->fragments > 0)
				snprintf(frags, sizeof(frags), " in %u fragments (RFC 7383)", o->fragments);
			step_say(st, "%s %s to %s%s; waiting for the answer until %s (%u retransmission%s)",
			    rkmp_name_or(sa->profile == RKMP_PROFILE_RKMP ? RKMP_REG_EXCHANGE_RKMP :
			    RKMP_REG_EXCHANGE, o->msg.p[18]),
			    st->resend ? "request resent" : "request sent", to, frags, until, st->pol.tries,
			    st->pol.tries == 1 ? "" : "s");
		}
		r = rkmp_udp_request(u, &peer, o->msg.p, o->msg.len, &st->pol, accept_answer, &ans,
		    &resp, &resp_len);
		if (r == 0 && ans.whole != NULL) {	/* the answer came in fragments */
			free(resp);
			resp = ans.whole;
			resp_len = ans.whole_len;
			ans.whole = NULL;
		}
		if (r == RKMP_E_TRANSPORT && ans.unauth != NULL) {
			/* only the unauthenticated refusal came: it is the answer */
			step_say(st, "no other answer: %s", rkmp_err_detail());
			resp = ans.unauth;
			resp_len = ans.unauth_len;
			ans.unauth = NULL;
			r = 0;
		} else if (r == RKMP_E_TRANSPORT && rkmp_err_detail()[0] &&
		    strstr(rkmp_err_detail(), "no answer")) {
			/* no answer after all retransmissions: the SA's outcome (DESIGN.md §6) */
			snprintf(sa->reason, sizeof(sa->reason), "%s", rkmp_err_detail());
			sa->phase = RKMP_PHASE_FAILED;
			o->save = true;
			st->committed = false;
			break;
		}
		if (r != 0)
			break;
		if (st->verbose > 0)
			step_say(st, "%s port %u: request answered (%zu octets)", sa->peer_addr, sa->peer_port,
			    resp_len);
		rkmp_ike_out_init(&o2);
		r = st->d->process(sa, cfg, resp, resp_len, &o2);
		free(resp);
		resp = NULL;
		if (o2.save)
			st->committed = false;
		o->save = o->save || o2.save;
		snprintf(o->note, sizeof(o->note), "%s", o2.note);
		if (r == RKMP_IKE_AGAIN) {	/* COOKIE or INVALID_KE retry */
			int w;

			step_say(st, "%s", o2.note);
			rkmp_buf_reset(&o->msg);
			rkmp_buf_put(&o->msg, o2.msg.p, o2.msg.len);
			rkmp_ike_out_free(&o2);
			if (o->save && (w = step_commit(st, sa)) != 0) {
				r = w;	/* not sent: the state on disk waits for the last answer */
				break;
			}
			continue;
		}
		rkmp_ike_out_free(&o2);
		/* RFC 7296 §2.23: behind a NAT, the ikev2 profile goes on from port 4500 */
		if (r == 0 && sa->phase == RKMP_PHASE_INIT_DONE && sa->nat &&
		    sa->profile == RKMP_PROFILE_IKEV2 && sa->peer_port == RKMP_PORT_IKE) {
			size_t n = strlen(o->note);

			sa->peer_port = RKMP_PORT_NATT;
			snprintf(o->note + n, sizeof(o->note) - n, "; the next steps go to port %u",
			    RKMP_PORT_NATT);
		}
		break;
	}
out:
	free(ans.unauth);
	free(ans.whole);
	rkmp_udp_close(u);
	cfg->local = cfg->remote = NULL;	/* they pointed at our locals */
	return r;
}

static bool
addr_is_any(const struct rkmp_udp_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

/* A datagram that is no request we can take: malformed, forged, refused
 * without a trace in the SA.  It never stops a listener. */
static bool
ignorable(int r, const struct rkmp_ike_out *o)
{
	return r == RKMP_E_INVALID || r == RKMP_E_TRUNCATED ||
	    ((r == RKMP_E_REFUSED || r == RKMP_E_CRYPTO) && !o->save);
}

/* Counted, said at -v; a stateless answer the engine made (none saved) goes out. */
static void
ignore(struct step *st, struct rkmp_udp *u, const struct rkmp_udp_addr *from, size_t len,
    const struct rkmp_ike_out *o)
{
	char from_s[64];

	rkmp_udp_format(from, from_s, sizeof(from_s));
	st->ignored++;
	if (st->verbose > 0)
		step_say(st, "ignored a datagram from %s (%zu octets): %s", from_s, len, rkmp_err_text());
	if (o->send && !o->save && rkmp_udp_send(u, from, o->msg.p, o->msg.len) != 0)
		step_say(st, "send: %s", rkmp_err_text());
}

/*
 * After answering, for --linger seconds (DESIGN.md §6): a copy of the request
 * we answered (the peer lost our answer) gets the same answer again, said; a
 * new request is answered too when the SA can take it (after a rekey's answer,
 * the peer's Delete of the old child), committed before it is sent like any
 * other, and then its copies are answered; one the SA cannot take is said to
 * be dropped, with the reason.  Broken or forged datagrams are ignored and
 * counted.  A request in RFC 7383 fragments counts once it is whole.  0, or
 * the error of a commit that failed (nothing was sent then).
 */
static int
linger(struct step *st, const struct step_desc *x, struct rkmp_sa *sa, struct rkmp_udp *u,
    struct rkmp_ike_cfg *cfg, const struct rkmp_udp_addr *local, uint8_t **reqp, size_t *lenp,
    struct rkmp_ike_out *o)
{
	struct rkmp_udp_policy pol = st->pol;
	double end = rkmp_clock_mono() + st->linger;
	unsigned more = 0;

	while ((pol.wait = end - rkmp_clock_mono()) > 0) {
		struct rkmp_udp_addr from, bound;
		struct rkmp_ike_out o2;
		char from_s[64], what[96];
		uint8_t *d = NULL;
		size_t dlen;
		int r;

		if (rkmp_udp_receive(u, &pol, &d, &dlen, &from) != 0)
			break;	/* the time is up (or the socket failed: nothing more to answer) */
		rkmp_udp_format(&from, from_s, sizeof(from_s));
		if ((r = gather(st, sa, from_s, &d, &dlen)) <= 0) {
			free(d);
			if (r < 0)
				return r;
			continue;
		}
		describe(sa, d, dlen, what, sizeof(what));
		if (dlen == *lenp && memcmp(d, *reqp, dlen) == 0) {
			step_say(st, "%s: a copy of the request we answered (%s): the same answer again", from_s,
			    what);
			if (rkmp_udp_send(u, &from, o->msg.p, o->msg.len) != 0)
				step_say(st, "send: %s", rkmp_err_text());
			free(d);
			continue;
		}
		if (rkmp_udp_local(u, &bound) != 0)
			bound = *local;
		rkmp_ike_out_init(&o2);
		cfg->remote = &from;
		cfg->local = addr_is_any(local) ? NULL : &bound;
		sa->frag_max = rkmp_udp_room(u, &from, st->frag_size);
		r = x->respond(sa, cfg, d, dlen, &o2);
		if (ignorable(r, &o2)) {
			ignore(st, u, &from, dlen, &o2);
		} else if (!(o2.save && (r >= 0 || r == RKMP_E_REFUSED))) {
			step_say(st, "%s: dropped a new request while lingering (%s): %s", from_s, what,
			    rkmp_err_text());
		} else {
			st->committed = false;
			set_peer(sa, &from);
			set_local(sa, &bound);
			if ((r = step_commit(st, sa)) != 0) {
				free(d);
				rkmp_ike_out_free(&o2);
				return r;
			}
			if (o2.send && rkmp_udp_send(u, &from, o2.msg.p, o2.msg.len) != 0)
				step_say(st, "send: %s", rkmp_err_text());
			step_say(st, "%s: a new request while lingering (%s) answered: %s", from_s, what, o2.note);
			/* its copies get its answer from now on */
			free(*reqp);
			*reqp = d;
			*lenp = dlen;
			d = NULL;
			rkmp_buf_reset(&o->msg);
			rkmp_buf_put(&o->msg, o2.msg.p, o2.msg.len);
			more++;
		}
		rkmp_ike_out_free(&o2);
		free(d);
	}
	if (more > 0) {
		size_t n = strlen(o->note);

		snprintf(o->note + n, sizeof(o->note) - n, "; then %u more request%s answered while lingering",
		    more, more == 1 ? "" : "s");
	}
	return 0;
}

/*
 * Where a responder listens (DESIGN.md §6): --listen ADDR[:PORT], the
 * profile's port by default; in the ikev2 profile port 500 comes with 4500 on
 * the same address (a peer floats there: MOBIKE, NAT), and when 4500 cannot
 * be had that is said and 500 serves alone.  *where names both.
 */
static int
listen_on(struct step *st, const struct rkmp_sa *sa, struct rkmp_udp_addr *local,
    struct rkmp_udp **u, char *where, size_t n)
{
	struct rkmp_udp_addr natt, bound;
	char a[64], b[64];
	int r;

	if ((r = rkmp_udp_parse(st->listen, (uint16_t)udp_default_port(sa), local)) != 0 ||
	    (r = rkmp_udp_open(u, local, local->ss.ss_family)) != 0)
		return r;
	if (rkmp_udp_local(*u, &bound) != 0)
		bound = *local;
	rkmp_udp_format(&bound, a, sizeof(a));
	snprintf(where, n, "%s", a);
	if (sa->profile != RKMP_PROFILE_IKEV2 || rkmp_udp_port(local) != RKMP_PORT_IKE)
		return 0;
	natt = *local;
	rkmp_udp_set_port(&natt, RKMP_PORT_NATT);
	rkmp_udp_format(&natt, b, sizeof(b));
	if (rkmp_udp_also(*u, &natt) != 0) {
		step_say(st, "%s: %s; listening on %s only: a peer that floats to port %u (MOBIKE, "
		    "NAT) will not reach us", b, rkmp_err_detail(), a, RKMP_PORT_NATT);
		return 0;
	}
	snprintf(where, n, "%s and %s", a, b);
	return 0;
}

/*
 * Responder over UDP: wait for a request, answer it; keep going after
 * stateless answers, and through any number of malformed or forged
 * datagrams (each said at -v and counted), until --wait ends.  With
 * rkmp-init --through auth, RKMP_SA_INIT's answer is followed by
 * RKMP_SA_AUTH's on the same sockets (copies of the INIT request get its
 * answer again meanwhile).  The SA's endpoints follow the request: a peer
 * that floated to port 4500 is answered there, and the state says so.
 */
int
step_udp_respond(struct step *st, struct rkmp_sa *sa, const struct rkmp_ike_cfg *cfg_in,
    struct rkmp_ike_out *o)
{
	struct rkmp_udp_addr local, from, bound;
	struct rkmp_udp *u = NULL;
	struct rkmp_ike_cfg cfg = *cfg_in;
	struct rkmp_udp_policy pol = st->pol;
	const struct step_desc *x = st->d;	/* the exchange answered now */
	double end = st->pol.wait > 0 ? rkmp_clock_mono() + st->pol.wait : 0;
	uint8_t *req = NULL, *init_req = NULL;
	size_t len, init_req_len = 0;
	struct rkmp_buf init_resp;
	char where[160], from_s[64];
	int r;

	rkmp_buf_init(&init_resp, RKMP_MSG_MAX);
	if ((r = listen_on(st, sa, &local, &u, where, sizeof(where))) != 0)
		return r;
	{
		char until[16];

		clock_in(st->pol.wait, until, sizeof(until));
		if (st->pol.wait > 0)
			step_say(st, "listening on %s (until %s, --wait %g)", where, until, st->pol.wait);
		else
			step_say(st, "listening on %s (no time limit: --wait SECONDS sets one)", where);
	}
	for (;;) {
		bool keep;

		if (end > 0 && (pol.wait = end - rkmp_clock_mono()) <= 0)
			pol.wait = 1e-3;
		if ((r = rkmp_udp_receive(u, &pol, &req, &len, &from)) != 0) {
			if (r == RKMP_E_TRANSPORT && end > 0 && rkmp_clock_mono() >= end) {
				char ign[48] = "";

				if (st->ignored > 0)
					snprintf(ign, sizeof(ign), " (%u datagram%s ignored)", st->ignored,
					    st->ignored == 1 ? "" : "s");
				r = rkmp_err_set(RKMP_E_TRANSPORT, "", "no %s request on %s within %g s%s",
				    x->exchange, where, st->pol.wait, ign);
			}
			break;
		}
		rkmp_udp_format(&from, from_s, sizeof(from_s));
		if (init_req != NULL && len == init_req_len && memcmp(req, init_req, len) == 0) {
			step_say(st, "%s: a copy of the RKMP_SA_INIT request we answered: the same answer "
			    "again", from_s);
			if (rkmp_udp_send(u, &from, init_resp.p, init_resp.len) != 0)
				step_say(st, "send: %s", rkmp_err_text());
			free(req);
			req = NULL;
			continue;
		}
		if ((r = gather(st, sa, from_s, &req, &len)) <= 0) {
			free(req);
			req = NULL;
			if (r < 0)
				break;
			continue;
		}
		if (rkmp_udp_local(u, &bound) != 0)
			bound = local;
		rkmp_ike_out_free(o);
		rkmp_ike_out_init(o);
		/* NAT_DETECTION_* answers need our address: only when bound to one */
		cfg.remote = &from;
		cfg.local = addr_is_any(&local) ? NULL : &bound;
		sa->frag_max = rkmp_udp_room(u, &from, st->frag_size);
		r = x->respond(sa, &cfg, req, len, o);
		if (ignorable(r, o)) {
			/* a broken or forged datagram never stops us: count it, keep listening */
			ignore(st, u, &from, len, o);
			free(req);
			req = NULL;
			continue;
		}
		keep = o->save && (r >= 0 || r == RKMP_E_REFUSED);
		if (keep && r != RKMP_IKE_AGAIN) {
			set_peer(sa, &from);
			set_local(sa, &bound);
		}
		if (keep) {
			int w;

			st->committed = false;
			if ((w = step_commit(st, sa)) != 0) {
				r = w;	/* nothing sent: the state on disk is as it was */
				break;
			}
		}
		if (o->send && rkmp_udp_send(u, &from, o->msg.p, o->msg.len) != 0)
			step_say(st, "send: %s", rkmp_err_text());
		if (r == RKMP_IKE_AGAIN) {
			step_say(st, "%s", o->note);
			o->save = false;
			free(req);
			req = NULL;
			continue;
		}
		if (r >= 0 && st->through_auth && x->tool == STEP_INIT &&
		    sa->phase == RKMP_PHASE_INIT_DONE) {
			/* --through auth: the same run answers RKMP_SA_AUTH next */
			step_say(st, "%s: %s; waiting for its RKMP_SA_AUTH request", from_s, o->note);
			free(init_req);
			init_req = req;
			init_req_len = len;
			req = NULL;
			rkmp_buf_reset(&init_resp);
			rkmp_buf_put(&init_resp, o->msg.p, o->msg.len);
			x = step_tool(STEP_AUTH);
			continue;
		}
		if (r >= 0 && st->linger > 0) {
			int w;

			step_say(st, "answered %s; lingering %g s for copies of its request and new ones",
			    from_s, st->linger);
			if ((w = linger(st, x, sa, u, &cfg, &local, &req, &len, o)) != 0)
				r = w;
		}
		break;
	}
	free(req);
	free(init_req);
	rkmp_buf_free(&init_resp);
	rkmp_udp_close(u);
	return r;
}

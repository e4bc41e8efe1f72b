/* SPDX-License-Identifier: MIT */
/*
 * rkmpd — RKMP without a person at the keyboard (DESIGN.md §9): one process
 * that keeps RKMP SAs with many peers alive.  This file is its options, its
 * sockets (UDP per listen address, the Unix control socket), the poll loop
 * and the signals; a peer's exchanges are lib/dpeer.c's, the configuration
 * lib/dconf.c's.
 */
#define _GNU_SOURCE	/* accept4, ppoll */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "cli.h"
#include "clock.h"
#include "crypto.h"
#include "dconf.h"
#include "dpeer.h"
#include "ike.h"
#include "err.h"
#include "buf.h"
#include "keytable.h"
#include "nitems.h"
#include "protocols.h"
#include "udp.h"
#include "wire.h"

enum { OPT_VERSION = 256, OPT_LIST_OPTIONS, OPT_CHECK, OPT_DELETE_ON_STOP };

static const struct rkmp_opt opts[] = {
	{ "config", 'c', 1, "FILE", "the configuration file (JSON, rkmpd(8))", 0 },
	{ "foreground", 'f', 0, NULL, "stay in the foreground (default: detach once running)", 0 },
	{ "check", OPT_CHECK, 0, NULL, "validate the configuration and exit", 0 },
	{ "delete-on-stop", OPT_DELETE_ON_STOP, 0, NULL, "on SIGTERM, send a Delete of every RKMP SA with "
	    "its children and revoke their rows before exiting (default: keep them)", 0 },
	{ "verbose", 'v', 0, NULL, "every exchange and every ignored datagram on stderr", 0 },
	{ "help", 'h', 0, NULL, "show this help", 0 },
	{ "version", OPT_VERSION, 0, NULL, "show the version, the commit and the OpenSSL version", 0 },
	{ "list-options", OPT_LIST_OPTIONS, 0, NULL, "list the options (for shell completion)", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

#define SOCKS_MAX	RKMP_DCONF_LISTEN_MAX
/*
 * A peer's socket, as lib/dpeer.c keeps it: listen address i, and which of
 * its sockets k (0, or 1 the port 4500 one beside port 500), so that an SA's
 * messages go out of the port its peer floated to whatever came in last.
 */
#define SUBS		2
#define SOCK_ID(i, k)	((int)((i) * SUBS + (k)))
#define CLIENTS_MAX	16
#define LINE_MAX_CTL	4096
#define EVENTS_KEPT	64	/* the last events, for rkmpctl events */

enum wait { WAIT_NONE, WAIT_REKEY, WAIT_JOB };

struct client {
	int	 fd;
	size_t	 len;
	char	 buf[LINE_MAX_CTL];
	enum wait waits;	/* an answer that comes once the peer's exchanges are done */
	char	 peer[RKMP_DCONF_NAME_MAX];
	char	 cmd[16];	/* the request: the answer's key */
	bool	 follow;	/* rkmpctl events --follow: each new event */
	bool	 dead;		/* to be closed (a follower that did not keep up) */
};

struct lsock {
	struct rkmp_udp		*u;
	struct rkmp_udp_addr	 addr;
	struct rkmp_udp_addr	 natt;	/* port 4500 beside addr's 500 */
	bool			 any;
	char			 name[96];
};

struct daemon {
	struct rkmp_cli		 cli;
	struct rkmp_dconf	*cf;
	int			 verbose;
	struct lsock		 s[SOCKS_MAX];
	size_t			 ns;
	struct rkmp_dpeer	*peers;
	size_t			 np;
	/* each peer's SA's SPIi as of the last call into it (the loop's tick of
	 * every peer, a datagram's dispatch): where a datagram's SA is looked
	 * for first, in one compact array instead of every peer's SA */
	uint64_t		*spi;
	size_t			 nspi;
	size_t			 half;		/* half-open SAs (is_half_open) */
	struct rkmp_dpeer_env	 env;
	int			 ctl;
	struct client		 cl[CLIENTS_MAX];
	size_t			 ncl;
	bool			 delete_on_stop;
	char			*events[EVENTS_KEPT];	/* a ring of lines, the oldest at nevents % EVENTS_KEPT */
	size_t			 nevents;
	/* stateless COOKIEs: in memory only, a new secret every COOKIE_ROTATE s */
	struct rkmp_cookie_secrets cookie;
	double			 cookie_at;	/* the current one's birth (monotonic) */
};

#define COOKIE_ROTATE	300	/* seconds; a cookie holds for one to two of them */

static volatile sig_atomic_t got_term, got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

/* ------------------------------------------------------------------ logging */

static void
logline(void *ctx, int level, const char *peer, const char *line)
{
	const struct daemon *d = ctx;

	if (level > d->verbose)
		return;
	if (peer != NULL)
		fprintf(stderr, "rkmpd: %s: %s\n", peer, line);
	else
		fprintf(stderr, "rkmpd: %s\n", line);
}

static void say(const struct daemon *d, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(const struct daemon *d, int level, const char *fmt, ...)
{
	char line[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	logline((void *)(uintptr_t)d, level, NULL, line);
}

/* ------------------------------------------------------------------ sockets */

static int
env_send(void *ctx, int sock, const struct rkmp_udp_addr *to, const uint8_t *msg, size_t len)
{
	struct daemon *d = ctx;

	return rkmp_udp_send_on(d->s[sock / SUBS].u, (unsigned)(sock % SUBS), to, msg, len);
}

static const struct rkmp_udp_addr *
env_local(void *ctx, int sock)
{
	struct daemon *d = ctx;

	if (d->s[sock / SUBS].any)
		return NULL;
	return sock % SUBS ? &d->s[sock / SUBS].natt : &d->s[sock / SUBS].addr;
}

static bool
is_any(const struct rkmp_udp_addr *a)
{
	static const uint8_t zero[16];

	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == 0;
	return memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr, zero, 16) == 0;
}

/* A receive buffer for bursts: one thread answers every peer, and a burst of
 * new RKMP_SA_INITs (each a DH) must wait in the socket, not be dropped (the
 * kernel's default, rmem_default, holds about 200 small datagrams).  Beyond
 * rmem_max with CAP_NET_ADMIN; without it the kernel's cap silently applies. */
#define RCVBUF_OCTETS	(4 << 20)

static void
grow_rcvbuf(struct rkmp_udp *u)
{
	int fds[2], n = RCVBUF_OCTETS;
	unsigned m = rkmp_udp_fds(u, fds, 2);

	for (unsigned k = 0; k < m; k++)
		if (setsockopt(fds[k], SOL_SOCKET, SO_RCVBUFFORCE, &n, sizeof(n)) != 0)
			(void)setsockopt(fds[k], SOL_SOCKET, SO_RCVBUF, &n, sizeof(n));
}


/* The socket of one listen address (parsed into l->addr already); port 500
 * comes with 4500 (DESIGN.md §6). */
static int
bind_listen(const struct daemon *d, const char *text, struct lsock *l)
{
	int r;

	if ((r = rkmp_udp_open(&l->u, &l->addr, 0)) != 0)
		return rkmp_err_set(r, "listen", "%s: %s", text, rkmp_err_text());
	if (rkmp_udp_port(&l->addr) == RKMP_PORT_IKE) {
		l->natt = l->addr;
		rkmp_udp_set_port(&l->natt, RKMP_PORT_NATT);
		if ((r = rkmp_udp_also(l->u, &l->natt)) != 0) {
			rkmp_udp_close(l->u);
			l->u = NULL;
			return rkmp_err_set(r, "listen", "%s (port %u beside 500): %s", text,
			    RKMP_PORT_NATT, rkmp_err_text());
		}
	}
	grow_rcvbuf(l->u);
	say(d, 0, "listening on %s%s", l->name, rkmp_udp_port(&l->addr) == RKMP_PORT_IKE ?
	    " and port 4500" : "");
	return 0;
}

/* A listen address parsed (not bound). */
static int
parse_listen(const char *text, struct lsock *l)
{
	int r;

	memset(l, 0, sizeof(*l));
	if ((r = rkmp_udp_parse(text, RKMP_PORT_RKMP, &l->addr)) != 0)
		return rkmp_err_set(r, "listen", "%s: %s", text, rkmp_err_text());
	l->any = is_any(&l->addr);
	rkmp_udp_format(&l->addr, l->name, sizeof(l->name));
	return 0;
}

static int
open_sockets(struct daemon *d)
{
	for (size_t i = 0; i < d->cf->nlisten; i++) {
		int r;

		if ((r = parse_listen(d->cf->listen[i], &d->s[i])) != 0 ||
		    (r = bind_listen(d, d->cf->listen[i], &d->s[i])) != 0)
			return r;
		d->ns = i + 1;
	}
	return 0;
}

/* The socket a peer is reached from (among the n of s): the first listen
 * address of its family, for an ikev2 peer the first on port 500 (the one
 * 4500 comes with; dconf.c made sure there is one); SOCK_ID(listen, 0). */
static int
sock_of(const struct lsock *s, size_t n, const struct rkmp_dconf_peer *pc, int *sock)
{
	struct rkmp_udp_addr a;
	char text[96];
	int first = -1;

	snprintf(text, sizeof(text), strchr(pc->address, ':') ? "[%s]:%u" : "%s:%u", pc->address, pc->port);
	if (rkmp_udp_parse(text, pc->port, &a) != 0)
		return rkmp_err_set(RKMP_E_USAGE, pc->name, "%s", rkmp_err_text());
	for (size_t i = 0; i < n; i++) {
		if (s[i].addr.ss.ss_family != a.ss.ss_family)
			continue;
		if (first < 0)
			first = (int)i;
		if (pc->profile == RKMP_PROFILE_IKEV2 && rkmp_udp_port(&s[i].addr) == RKMP_PORT_IKE) {
			first = (int)i;
			break;
		}
	}
	if (first < 0)
		return rkmp_err_set(RKMP_E_USAGE, "listen", "no address of peer %s's family (%s)",
		    pc->name, pc->address);
	*sock = SOCK_ID(first, 0);
	return 0;
}

static int
sock_for(const struct daemon *d, const struct rkmp_dconf_peer *pc, int *sock)
{
	return sock_of(d->s, d->ns, pc, sock);
}

/* The control socket (mode 0600); one that answers is another rkmpd's. */
static int
open_control(struct daemon *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = d->cf->control;
	mode_t um;
	int fd, e;

	if (strlen(path) >= sizeof(sun.sun_path))
		return rkmp_err_set(RKMP_E_USAGE, "control", "%s: longer than %zu octets", path,
		    sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return rkmp_err_set(RKMP_E_SYSTEM, "control", "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		return rkmp_err_set(RKMP_E_STATE, "control", "%s: another rkmpd listens there", path);
	}
	close(fd);
	(void)unlink(path);	/* a stale socket of a daemon that is gone */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return rkmp_err_set(RKMP_E_SYSTEM, "control", "socket: %s", strerror(errno));
	um = umask(0177);
	e = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ? errno : 0;
	umask(um);
	if (e != 0 || listen(fd, 8) != 0 || chmod(path, 0600) != 0) {
		e = e ? e : errno;
		close(fd);
		return rkmp_err_set(RKMP_E_SYSTEM, "control", "%s: %s", path, strerror(e));
	}
	d->ctl = fd;
	return 0;
}

/* ------------------------------------------------------------------ datagrams */

/* A half-open SA: the peer's RKMP_SA_INIT answered, its RKMP_SA_AUTH not yet
 * (what cookie_threshold counts; d->half, counted in the loop's tick of every
 * peer and followed through each datagram's dispatch). */
static bool
is_half_open(const struct rkmp_dpeer *p)
{
	return p->sa.phase == RKMP_PHASE_INIT_DONE && !p->sa.initiator;
}

/*
 * The COOKIE secret, renewed when COOKIE_ROTATE seconds old (the one before
 * it still accepted), both renewed when two periods passed since.  Done when
 * cookies are asked for: an idle daemon has nothing to wake for.
 */
static void
cookie_secret_age(struct daemon *d, double now)
{
	int n = now - d->cookie_at >= 2 * COOKIE_ROTATE ? 2 : now - d->cookie_at >= COOKIE_ROTATE;

	for (int i = 0; i < n; i++)
		if (rkmp_cookie_rotate(&d->cookie) != 0) {
			say(d, 0, "COOKIE secret not renewed: %s", rkmp_err_text());
			return;
		}
	if (n > 0)
		d->cookie_at = now;
}

/* A datagram to its peer: by the SPIs of its SA, or a new RKMP_SA_INIT by its source. */
static void
dispatch(struct daemon *d, int sock, const struct rkmp_udp_addr *from, const uint8_t *m, size_t len,
    double now)
{
	struct rkmp_dpeer *p = NULL;
	char src[96] = "";
	bool init, half;

	if (d->verbose >= 1)	/* for the lines below only: no text per datagram otherwise */
		rkmp_udp_format(from, src, sizeof(src));
	if (len < RKMP_HDR_LEN) {
		say(d, 1, "ignored a datagram from %s: %zu octets, no IKE header", src, len);
		return;
	}
	init = m[18] == RKMP_EXCH_IKE_SA_INIT && !(m[19] & RKMP_FLAG_R) && rkmp_get64(m + 8) == 0;
	/* on one of our SAs: by the SPIi known from the last call into each peer,
	 * then (another SA of the peer's: the old one of a rekey, one being
	 * replaced) every peer asked.  An RKMP_SA_INIT request goes by its source:
	 * the peer found there sees whether it is a copy on its SA. */
	if (!init) {
		uint64_t si = rkmp_get64(m);

		for (size_t i = 0; i < d->nspi && i < d->np && p == NULL; i++)
			if (d->spi[i] == si && rkmp_dpeer_owns(&d->peers[i], m, len))
				p = &d->peers[i];
		for (size_t i = 0; i < d->np && p == NULL; i++)
			if (rkmp_dpeer_owns(&d->peers[i], m, len))
				p = &d->peers[i];
	} else {
		for (size_t i = 0; i < d->np && p == NULL; i++)
			if (rkmp_dpeer_is_from(&d->peers[i], from, true))
				p = &d->peers[i];
		for (size_t i = 0; i < d->np && p == NULL; i++)
			if (rkmp_dpeer_is_from(&d->peers[i], from, false))
				p = &d->peers[i];
	}
	if (p == NULL) {
		say(d, 1, "ignored a datagram from %s (%zu octets): no configured peer or SA of ours", src,
		    len);
		return;
	}
	if (p->down && !rkmp_dpeer_owns(p, m, len)) {
		p->ignored++;
		say(d, 1, "%s: ignored an RKMP_SA_INIT request from %s: the peer is down (rkmpctl up)",
		    p->pc->name, src);
		return;
	}
	if (init) {	/* a COOKIE is asked for of new IKE_SA_INIT requests only */
		d->env.cookies = d->half >= d->cf->cookie_threshold;
		if (d->env.cookies)
			cookie_secret_age(d, now);
	}
	half = is_half_open(p);
	rkmp_dpeer_datagram(p, sock, from, m, len, now);
	if (half != is_half_open(p)) {
		if (!half)
			d->half++;
		else if (d->half > 0)
			d->half--;
	}
	if ((size_t)(p - d->peers) < d->nspi)
		d->spi[p - d->peers] = p->sa.spi_i;
}

static void
read_socket(struct daemon *d, size_t i, unsigned k, double now)
{
	/* a bounded batch per wake-up, so that one busy socket does not starve the others */
	for (int n = 0; n < 64; n++) {
		struct rkmp_udp_addr from;
		const uint8_t *p;
		uint8_t *copy;
		size_t len;
		int r;

		if ((r = rkmp_udp_read(d->s[i].u, k, &p, &len, &from)) < 0) {
			say(d, 0, "%s: %s", d->s[i].name, rkmp_err_text());
			return;
		}
		if (r == 0)
			continue;	/* nothing (the batch ends soon), or no IKE message: the next */
		if ((copy = malloc(len ? len : 1)) == NULL)
			return;
		memcpy(copy, p, len);	/* the socket's buffer is reused by sends' reads */
		dispatch(d, SOCK_ID(i, k), &from, copy, len, now);
		free(copy);
	}
}

/* ------------------------------------------------------------------ control */

static void
client_close(struct daemon *d, size_t i)
{
	close(d->cl[i].fd);
	d->cl[i] = d->cl[--d->ncl];
}

/* One line to a client, not waiting for it: a client that cannot take it is
 * dropped (closed at the top of the loop). */
static void
send_line(struct client *c, const char *s)
{
	size_t n = strlen(s);
	char *l = malloc(n + 1);

	if (l == NULL) {
		c->dead = true;
		return;
	}
	memcpy(l, s, n);
	l[n] = '\n';
	/* Written whole: an answer (status of many peers is larger than the
	 * socket's buffer) waits for the client to read, a second at most each
	 * time it stalls; a follower of the events that does not keep up is dropped. */
	for (size_t at = 0; at <= n && !c->dead;) {
		ssize_t w = send(c->fd, l + at, n + 1 - at, MSG_DONTWAIT | MSG_NOSIGNAL);
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

		if (w > 0)
			at += (size_t)w;
		else if ((w < 0 && errno == EINTR))
			continue;
		else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !c->follow &&
		    poll(&pfd, 1, 1000) > 0)
			continue;
		else
			c->dead = true;
	}
	free(l);
}

static void
answer(struct client *c, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(j);
	if (s == NULL)
		return;
	send_line(c, s);
	free(s);
}

static json_t *
error_json(int code)
{
	return json_pack("{s:o}", "error", rkmp_cli_error_object(code));
}

static struct rkmp_dpeer *
peer_named(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->np; i++)
		if (strcmp(d->peers[i].pc->name, name) == 0)
			return &d->peers[i];
	return NULL;
}

/* A key-table event of a peer's (dpeer.c): kept for rkmpctl events and sent
 * to every follower, as the events file has it with the peer's name first. */
static void
on_event(void *ctx, const char *peer, const char *line)
{
	struct daemon *d = ctx;
	size_t n = strlen(line) + strlen(peer) + 16;
	char *l = malloc(n), **slot = &d->events[d->nevents % EVENTS_KEPT];

	if (l == NULL || line[0] != '{') {
		free(l);
		return;
	}
	/* a name is letters, digits, '.', '_' and '-' (dconf.c): nothing to escape */
	snprintf(l, n, "{\"name\":\"%s\"%s%s", peer, line[1] == '}' ? "" : ",", line + 1);
	free(*slot);
	*slot = l;
	d->nevents++;
	for (size_t i = 0; i < d->ncl; i++)
		if (d->cl[i].follow && !d->cl[i].dead)
			send_line(&d->cl[i], l);
}

static void reload(struct daemon *d, struct client *c);

static int
job_generate(struct rkmp_dpeer *p, const char *protocol, double now)
{
	const struct rkmp_protocol *pr = NULL;

	if (protocol != NULL && (pr = rkmp_protocol_by_name(protocol)) == NULL)
		return rkmp_err_set(RKMP_E_USAGE, "--protocol", "\"%s\" is not %s", protocol,
		    rkmp_protocol_names(true, true));
	return rkmp_dpeer_generate(p, pr != NULL ? pr->id : 0, now);
}

static int
job_up(struct rkmp_dpeer *p, const char *arg, double now)
{
	(void)arg;
	return rkmp_dpeer_up(p, now);
}

static int
job_delete(struct rkmp_dpeer *p, const char *spi, double now)
{
	return rkmp_dpeer_delete(p, spi, now);
}

static int
job_down(struct rkmp_dpeer *p, const char *arg, double now)
{
	(void)arg;
	return rkmp_dpeer_down(p, now);
}

static const struct {
	const char *cmd;
	int	(*start)(struct rkmp_dpeer *p, const char *arg, double now);
} jobs[] = {
	{ "generate", job_generate }, { "up", job_up }, { "delete", job_delete }, { "down", job_down },
};

#define REQUESTS "status [peer], rekey peer spi, generate peer [protocol], delete peer [spi], " \
	"up peer, down peer, reload, events [follow]"

/* One request line: {"cmd", "peer"?, "spi"?, "protocol"?, "follow"?}.
 * False when the client waits for a later answer (or follows the events). */
static bool
request(struct daemon *d, struct client *c, const char *line, double now)
{
	const char *cmd = NULL, *peer = NULL, *spi = NULL, *protocol = NULL;
	struct rkmp_dpeer *p = NULL;
	json_error_t je;
	json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &je), *a;
	int follow = 0, r;
	size_t k;

	if (j == NULL || json_unpack_ex(j, &je, JSON_STRICT, "{s:s,s?s,s?s,s?s,s?b}", "cmd", &cmd, "peer",
	    &peer, "spi", &spi, "protocol", &protocol, "follow", &follow) != 0) {
		rkmp_err_set(RKMP_E_USAGE, "request", "%s", je.text);
		answer(c, error_json(RKMP_E_USAGE));
		json_decref(j);
		return true;
	}
	for (k = 0; k < nitems(jobs) && strcmp(jobs[k].cmd, cmd) != 0; k++)
		;
	if (peer != NULL && (p = peer_named(d, peer)) == NULL) {
		rkmp_err_set(RKMP_E_USAGE, peer, "no such peer in %s", d->cf->path);
		answer(c, error_json(RKMP_E_USAGE));
	} else if (strcmp(cmd, "status") == 0) {
		a = json_array();
		for (size_t i = 0; i < d->np; i++)
			if (p == NULL || p == &d->peers[i])
				json_array_append_new(a, rkmp_dpeer_status(&d->peers[i], now));
		answer(c, json_pack("{s:o}", "peers", a));
	} else if (strcmp(cmd, "rekey") == 0 && p != NULL && spi != NULL) {
		if ((r = rkmp_dpeer_rekey(p, spi, now)) != 0)
			answer(c, error_json(r));
		else {
			c->waits = WAIT_REKEY;
			snprintf(c->peer, sizeof(c->peer), "%s", p->pc->name);
			json_decref(j);
			return false;
		}
	} else if (k < nitems(jobs) && p != NULL) {
		if ((r = jobs[k].start(p, strcmp(cmd, "generate") == 0 ? protocol : spi, now)) != 0)
			answer(c, error_json(r));
		else {
			c->waits = WAIT_JOB;
			snprintf(c->peer, sizeof(c->peer), "%s", p->pc->name);
			snprintf(c->cmd, sizeof(c->cmd), "%s", cmd);
			json_decref(j);
			return false;
		}
	} else if (strcmp(cmd, "reload") == 0 && p == NULL) {
		reload(d, c);
	} else if (strcmp(cmd, "events") == 0 && p == NULL) {
		size_t n = d->nevents < EVENTS_KEPT ? d->nevents : EVENTS_KEPT;

		for (size_t i = d->nevents - n; i < d->nevents; i++)
			send_line(c, d->events[i % EVENTS_KEPT]);
		if (follow) {
			c->follow = true;
			json_decref(j);
			return false;
		}
	} else {
		rkmp_err_set(RKMP_E_USAGE, cmd, "not a request: " REQUESTS);
		answer(c, error_json(RKMP_E_USAGE));
	}
	json_decref(j);
	return true;
}

/* Answers that were waiting (rkmpctl rekey, generate, up, delete, down):
 * sent once the exchanges ended. */
static void
answer_waiting(struct daemon *d)
{
	for (size_t i = 0; i < d->ncl; i++) {
		struct client *c = &d->cl[i];
		struct rkmp_dpeer *p;

		if (c->waits == WAIT_NONE)
			continue;
		if ((p = peer_named(d, c->peer)) == NULL) {
			rkmp_err_set(RKMP_E_STATE, c->peer, "the peer was removed by a reload");
			answer(c, error_json(RKMP_E_STATE));
		} else if (c->waits == WAIT_REKEY) {
			if (!p->asked.done)
				continue;
			p->asked.done = false;
			if (p->asked.new_spi[0])
				answer(c, json_pack("{s:{s:s,s:s,s:s}}", "rekey", "peer", p->pc->name, "spi",
				    p->asked.old, "new_spi", p->asked.new_spi));
			else {
				rkmp_err_set(RKMP_E_REFUSED, p->pc->name, "rekey of %s: %s", p->asked.old,
				    p->asked.why);
				answer(c, error_json(RKMP_E_REFUSED));
			}
		} else {
			if (!p->job.done)
				continue;
			if (p->job.code != 0) {
				int code = p->job.code;

				rkmp_err_set(code, p->pc->name, "%s", p->job.why);
				memset(&p->job, 0, sizeof(p->job));
				answer(c, error_json(code));
			} else
				answer(c, json_pack("{s:o}", c->cmd, rkmp_dpeer_job_answer(p)));
		}
		c->waits = WAIT_NONE;
		client_close(d, i--);
	}
}

static void
read_client(struct daemon *d, size_t i, double now)
{
	struct client *c = &d->cl[i];
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	char *nl;

	if (n <= 0 || (c->len += (size_t)n) == sizeof(c->buf) - 1) {
		client_close(d, i);	/* gone, or a line too long */
		return;
	}
	if (c->follow || c->waits != WAIT_NONE)
		return;	/* one request per connection */
	c->buf[c->len] = '\0';
	if ((nl = strchr(c->buf, '\n')) == NULL)
		return;
	*nl = '\0';
	if (request(d, c, c->buf, now))
		c->dead = true;
}

static void
accept_client(struct daemon *d)
{
	int fd = accept4(d->ctl, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (d->ncl == CLIENTS_MAX) {
		close(fd);
		return;
	}
	d->cl[d->ncl++] = (struct client){ .fd = fd };
}

/* ------------------------------------------------------------------ reload */

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether peer o (running, of configuration oc) is n of configuration nc, word for word
 * (and the PSK file says the same key). */
static bool
same_peer(const struct rkmp_dpeer *o, const struct rkmp_dconf *oc, const struct rkmp_dconf_peer *n,
    const struct rkmp_dconf *nc)
{
	const struct rkmp_dconf_peer *a = o->pc;
	uint8_t psk[sizeof(o->psk)];
	size_t len = 0;
	bool same;

	if (strcmp(a->address, n->address) != 0 || a->port != n->port || a->profile != n->profile ||
	    strcmp(a->id, n->id) != 0 || strcmp(a->peer_id, n->peer_id) != 0 ||
	    !same_str(a->psk_file, n->psk_file) || !same_str(a->cert, n->cert) ||
	    !same_str(a->key, n->key) || !same_str(a->ca, n->ca) ||
	    strcmp(a->proposal, n->proposal) != 0 || strcmp(a->child_proposal, n->child_proposal) != 0 ||
	    a->start != n->start || a->ike_lifetime != n->ike_lifetime || a->dpd != n->dpd ||
	    a->nchildren != n->nchildren || strcmp(oc->state_dir, nc->state_dir) != 0 ||
	    !same_str(oc->keytable, nc->keytable))
		return false;
	for (size_t i = 0; i < a->nchildren; i++)
		if (a->children[i].protocol != n->children[i].protocol ||
		    a->children[i].pfs != n->children[i].pfs ||
		    a->children[i].lifetime != n->children[i].lifetime ||
		    a->children[i].rekey_margin != n->children[i].rekey_margin)
			return false;
	if (n->psk_file == NULL)
		return true;
	if (rkmp_auth_psk_load(n->psk_file, psk, sizeof(psk), &len) != 0)
		return false;
	same = len == o->psk_len && rkmp_crypto_ct_eq(psk, o->psk, len) == 1;
	rkmp_crypto_wipe(psk, sizeof(psk));
	return same;
}

/* Names into a JSON array and a log text. */
static void
name_add(json_t *a, char *text, size_t size, const char *name)
{
	size_t n = strlen(text);

	json_array_append_new(a, json_string(name));
	snprintf(text + n, size - n, "%s%s", n ? " " : "", name);
}

/* The waiting client of a peer that leaves: told. */
static void
peer_leaves(struct daemon *d, const char *name, const char *why)
{
	for (size_t i = 0; i < d->ncl; i++)
		if (d->cl[i].waits != WAIT_NONE && strcmp(d->cl[i].peer, name) == 0) {
			rkmp_err_set(RKMP_E_STATE, name, "%s", why);
			answer(&d->cl[i], error_json(RKMP_E_STATE));
			d->cl[i].waits = WAIT_NONE;
			d->cl[i].dead = true;
		}
}

/*
 * SIGHUP, rkmpctl reload: the configuration read again and validated whole;
 * on an error one line and the running configuration untouched.  Else peers
 * the same word for word are kept as they are (SA, socket, timers), removed
 * ones retired (Delete sent, rows revoked, state file released), changed ones
 * retired and started again, added ones started; listen addresses added are
 * bound, removed ones closed.  c: the rkmpctl that asked (NULL: SIGHUP).
 */
static void
reload(struct daemon *d, struct client *c)
{
	struct rkmp_dconf *nc = NULL, *oc = d->cf;
	struct lsock ns[SOCKS_MAX];
	bool reused[SOCKS_MAX] = { false }, fresh_sock[SOCKS_MAX] = { false };
	int map[SOCKS_MAX];
	struct rkmp_dpeer *np = NULL;
	json_t *added = json_array(), *removed = json_array(), *changed = json_array();
	char ta[512] = "", tr[512] = "", tc[512] = "";
	size_t nnp = 0, unchanged = 0;
	double now = rkmp_clock_mono();
	int r;

	if ((r = rkmp_dconf_load(oc->path, &nc)) != 0)
		goto fail;
	if (strcmp(nc->control, oc->control) != 0) {
		r = rkmp_err_set(RKMP_E_USAGE, "control", "%s: it is %s until rkmpd restarts", nc->control,
		    oc->control);
		goto fail;
	}
	if (nc->keytable != NULL && access(nc->keytable, F_OK) == 0) {
		struct rkmp_keytable *kt = NULL;

		r = rkmp_keytable_load(nc->keytable, &kt);
		rkmp_keytable_free(kt);
		if (r != 0) {
			r = rkmp_err_set(r == RKMP_E_SYSTEM ? r : RKMP_E_STATE, "keytable", "%s: %s",
			    nc->keytable, rkmp_err_text());
			goto fail;
		}
	}
	/* the listen addresses: parsed, every peer's family there, then the new ones bound */
	for (size_t i = 0; i < nc->nlisten; i++)
		if ((r = parse_listen(nc->listen[i], &ns[i])) != 0)
			goto fail;
	for (size_t i = 0; i < nc->npeers; i++) {
		int sock;

		if ((r = sock_of(ns, nc->nlisten, &nc->peers[i], &sock)) != 0)
			goto fail;
	}
	for (size_t i = 0; i < nc->nlisten; i++) {
		for (size_t k = 0; k < d->ns && ns[i].u == NULL; k++)
			if (!reused[k] && strcmp(d->s[k].name, ns[i].name) == 0) {
				ns[i].u = d->s[k].u;
				reused[k] = true;
			}
		if (ns[i].u == NULL) {
			if ((r = bind_listen(d, nc->listen[i], &ns[i])) != 0) {
				for (size_t k = 0; k < i; k++)
					if (fresh_sock[k])
						rkmp_udp_close(ns[k].u);
				goto fail;
			}
			fresh_sock[i] = true;
		}
	}
	if ((np = calloc(nc->npeers + 1, sizeof(*np))) == NULL) {
		for (size_t k = 0; k < nc->nlisten; k++)
			if (fresh_sock[k])
				rkmp_udp_close(ns[k].u);
		r = rkmp_err_set(RKMP_E_NOMEM, "", "out of memory");
		goto fail;
	}
	/* from here on the new configuration is taken */
	for (size_t k = 0; k < d->ns; k++) {
		map[k] = -1;
		for (size_t i = 0; i < nc->nlisten && map[k] < 0; i++)
			if (ns[i].u == d->s[k].u)
				map[k] = (int)i;
	}
	/* peers that leave (removed, changed, or whose socket goes): retired with the old configuration */
	for (size_t i = 0; i < d->np; i++) {
		struct rkmp_dpeer *o = &d->peers[i];
		const struct rkmp_dconf_peer *n = rkmp_dconf_peer(nc, o->pc->name);
		int sock = -1;

		if (n != NULL && same_peer(o, oc, n, nc) && sock_of(ns, nc->nlisten, n, &sock) == 0 &&
		    map[o->sock / SUBS] == sock / SUBS)
			continue;
		peer_leaves(d, o->pc->name, n ? "the peer was changed by a reload" :
		    "the peer was removed by a reload");
		rkmp_dpeer_retire(o, n ? "its configuration changed (reload)" :
		    "removed from the configuration (reload)", now);
		say(d, 0, "reload: %s: %s", o->pc->name, n ? "changed: restarted" :
		    "removed: its SA deleted, rows revoked, state file released");
		if (n != NULL)
			name_add(changed, tc, sizeof(tc), o->pc->name);
		else
			name_add(removed, tr, sizeof(tr), o->pc->name);
		rkmp_dpeer_close(o);
		o->pc = NULL;
	}
	for (size_t k = 0; k < d->ns; k++)
		if (!reused[k]) {
			say(d, 0, "reload: no longer listening on %s", d->s[k].name);
			rkmp_udp_close(d->s[k].u);
		}
	memcpy(d->s, ns, sizeof(ns[0]) * nc->nlisten);
	d->ns = nc->nlisten;
	d->env.keytable = nc->keytable;
	d->env.events = nc->events;
	d->env.hook = nc->rp_hook;
	d->env.rtx_timeout = nc->retransmit_timeout;
	d->env.rtx_tries = nc->retransmit_tries;
	for (size_t i = 0; i < nc->npeers; i++) {
		const struct rkmp_dconf_peer *n = &nc->peers[i];
		struct rkmp_dpeer *o = NULL;
		int sock = 0;

		for (size_t k = 0; k < d->np && o == NULL; k++)
			if (d->peers[k].pc != NULL && strcmp(d->peers[k].pc->name, n->name) == 0)
				o = &d->peers[k];
		(void)sock_of(d->s, d->ns, n, &sock);
		if (o != NULL) {
			np[nnp] = *o;	/* the same SA, timers and lock: only its configuration moves */
			np[nnp].pc = n;
			np[nnp++].sock = SOCK_ID(sock / SUBS, o->sock % SUBS);	/* 4500 if it floated */
			o->pc = NULL;
			unchanged++;
			continue;
		}
		if (rkmp_dconf_peer(oc, n->name) == NULL)
			name_add(added, ta, sizeof(ta), n->name);
		if ((r = rkmp_dpeer_open(&np[nnp], &d->env, n, nc->state_dir, sock, now)) != 0) {
			say(d, 0, "reload: %s: not started: %s", n->name, rkmp_err_text());
			rkmp_dpeer_close(&np[nnp]);
			memset(&np[nnp], 0, sizeof(np[nnp]));	/* zeroed for the next one */
			continue;
		}
		nnp++;
	}
	free(d->peers);
	d->peers = np;
	d->np = nnp;
	d->cf = nc;
	rkmp_dconf_free(oc);
	say(d, 0, "reload: %s: %zu peer%s: added %s, removed %s, changed %s, %zu unchanged", nc->path,
	    d->np, d->np == 1 ? "" : "s", ta[0] ? ta : "none", tr[0] ? tr : "none", tc[0] ? tc : "none",
	    unchanged);
	if (c != NULL)
		answer(c, json_pack("{s:{s:s,s:I,s:o,s:o,s:o,s:I}}", "reload", "file", nc->path, "peers",
		    (json_int_t)d->np, "added", added, "removed", removed, "changed", changed, "unchanged",
		    (json_int_t)unchanged));
	else {
		json_decref(added);
		json_decref(removed);
		json_decref(changed);
	}
	return;
fail:
	say(d, 0, "reload: %s: %s: %s; the running configuration is kept", oc->path, rkmp_err_class(r),
	    rkmp_err_text());
	if (c != NULL)
		answer(c, error_json(r));
	rkmp_dconf_free(nc);
	json_decref(added);
	json_decref(removed);
	json_decref(changed);
}

/* ------------------------------------------------------------------ the loop */

static int
loop(struct daemon *d)
{
	struct pollfd pfd[SOCKS_MAX * 2 + 1 + CLIENTS_MAX];
	struct { size_t s; unsigned k; } who[SOCKS_MAX * 2];
	sigset_t none;

	sigemptyset(&none);
	while (!got_term) {
		double now = rkmp_clock_mono(), next = 0;
		struct timespec ts, *tp = NULL;
		size_t n = 0, nu;
		int fds[2];

		if (got_hup) {
			got_hup = 0;
			say(d, 0, "SIGHUP: reloading %s", d->cf->path);
			reload(d, NULL);
		}
		for (size_t i = d->ncl; i-- > 0;)
			if (d->cl[i].dead)
				client_close(d, i);
		if (d->nspi != d->np) {	/* at start and after a reload */
			uint64_t *ns = realloc(d->spi, (d->np + 1) * sizeof(*ns));

			if (ns != NULL) {
				d->spi = ns;
				d->nspi = d->np;
			} else
				d->nspi = 0;	/* every peer asked, as without the array */
		}
		d->half = 0;
		for (size_t i = 0; i < d->np; i++) {
			struct rkmp_dpeer *p = &d->peers[i];
			double t = rkmp_dpeer_tick(p, now);

			if (i < d->nspi)
				d->spi[i] = p->sa.spi_i;
			d->half += is_half_open(p);

			if (p->down && !p->waiting && p->sa.phase != RKMP_PHASE_ESTABLISHED)
				t = 0;	/* nothing to do until rkmpctl up */

			if (t != 0 && (next == 0 || t < next))
				next = t;
		}
		answer_waiting(d);
		for (size_t i = 0; i < d->ns; i++) {
			unsigned m = rkmp_udp_fds(d->s[i].u, fds, 2);

			for (unsigned k = 0; k < m; k++) {
				who[n].s = i;
				who[n].k = k;
				pfd[n++] = (struct pollfd){ .fd = fds[k], .events = POLLIN };
			}
		}
		nu = n;
		pfd[n++] = (struct pollfd){ .fd = d->ctl, .events = POLLIN };
		for (size_t i = 0; i < d->ncl; i++)
			pfd[n++] = (struct pollfd){ .fd = d->cl[i].fd, .events = POLLIN };
		if (next != 0) {
			double w = next - rkmp_clock_mono();

			if (w < 0)
				w = 0;
			ts.tv_sec = (time_t)w;
			ts.tv_nsec = (long)((w - (double)ts.tv_sec) * 1e9);
			tp = &ts;
		}
		if (ppoll(pfd, n, tp, &none) < 0) {
			if (errno == EINTR)
				continue;
			return rkmp_err_set(RKMP_E_SYSTEM, "poll", "%s", strerror(errno));
		}
		now = rkmp_clock_mono();
		for (size_t i = 0; i < nu; i++)
			if (pfd[i].revents & (POLLIN | POLLERR))
				read_socket(d, who[i].s, who[i].k, now);
		/* clients: from the last, as a closed one is replaced by the last */
		for (size_t i = n; i-- > nu + 1;)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				read_client(d, i - nu - 1, now);
		if (pfd[nu].revents & POLLIN)
			accept_client(d);
		answer_waiting(d);
	}
	if (!d->delete_on_stop) {
		say(d, 0, "SIGTERM: stopping; the state files are kept, the children stay usable until "
		    "their lifetimes end");
		return 0;
	}
	say(d, 0, "SIGTERM: stopping with --delete-on-stop: a Delete of each RKMP SA with its "
	    "children, their rows revoked");
	for (size_t i = 0; i < d->np; i++) {
		peer_leaves(d, d->peers[i].pc->name, "rkmpd stops");
		rkmp_dpeer_retire(&d->peers[i], "rkmpd stopped with --delete-on-stop", rkmp_clock_mono());
	}
	return 0;
}

/* ------------------------------------------------------------------ start */

/* Detach (without -f): the parent stays until the daemon is running or has
 * failed, and exits with its status, so that errors still reach the caller. */
static int
detach(int *ready)
{
	int pfd[2];
	pid_t pid;
	char st = 70;

	if (pipe(pfd) != 0)
		return rkmp_err_set(RKMP_E_SYSTEM, "pipe", "%s", strerror(errno));
	if ((pid = fork()) < 0)
		return rkmp_err_set(RKMP_E_SYSTEM, "fork", "%s", strerror(errno));
	if (pid > 0) {
		close(pfd[1]);
		if (read(pfd[0], &st, 1) != 1)
			st = 70;
		_exit(st);
	}
	close(pfd[0]);
	(void)setsid();
	*ready = pfd[1];
	return 0;
}

static void
tell(int *ready, int status)
{
	char st = (char)status;

	if (*ready < 0)
		return;
	(void)!write(*ready, &st, 1);
	close(*ready);
	*ready = -1;
}

int
main(int argc, char **argv)
{
	static struct daemon d;
	const char *config = NULL;
	bool foreground = false, check = false;
	struct sigaction sa;
	sigset_t block;
	int c, r, status = 0, ready = -1;

	d.cli = (struct rkmp_cli){ "rkmpd", "-c FILE [-f] [-v] [--delete-on-stop] [--check]",
	    "Keep RKMP SAs with the peers of the configuration file alive: answer them\n"
	    "whenever they come, initiate to the `always` ones, rekey each child SA before\n"
	    "its lifetime ends (key-table rows rotated with RFC 7210 overlap), with one\n"
	    "state file per peer in the step tools' format.  rkmpctl(1) talks to it.\n"
	    "SIGHUP reloads the configuration (peers added, removed, changed; the others\n"
	    "untouched; an invalid file is said and the running one kept); SIGTERM stops.",
	    opts, "exit status: 0 stopped (SIGTERM), 2 usage or configuration, 3 state (a state\n"
	    "file held by another process or invalid, another rkmpd on the control socket),\n"
	    "6 transport (a listen address cannot be bound), 7 system.  See rkmpd(8).\n", 0, false };
	d.ctl = -1;
	while ((c = rkmp_cli_next(&d.cli, argc, argv)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'f': foreground = true; break;
		case 'v': d.verbose = 1; break;
		case OPT_CHECK: check = true; break;
		case OPT_DELETE_ON_STOP: d.delete_on_stop = true; break;
		case 'h': rkmp_cli_help(&d.cli, stdout); return 0;
		case OPT_VERSION: rkmp_cli_version(&d.cli, stdout, NULL); return 0;
		case OPT_LIST_OPTIONS: rkmp_cli_list(&d.cli, stdout); return 0;
		default: return rkmp_cli_bad(&d.cli, c, argv);
		}
	}
	if (optind < argc)
		return rkmp_cli_usage(&d.cli, "unexpected argument '%s'", argv[optind]);
	if (config == NULL)
		return rkmp_cli_usage(&d.cli, "-c FILE is required");
	if ((r = rkmp_dconf_load(config, &d.cf)) != 0)
		return rkmp_cli_error(&d.cli, config, r);
	if (d.cf->keytable != NULL && access(d.cf->keytable, F_OK) == 0) {
		struct rkmp_keytable *kt = NULL;

		r = rkmp_keytable_load(d.cf->keytable, &kt);
		rkmp_keytable_free(kt);
		if (r != 0) {
			status = rkmp_cli_error(&d.cli, d.cf->keytable, r == RKMP_E_SYSTEM ? r : RKMP_E_STATE);
			goto out;
		}
	}
	if (check) {
		printf("%s: %zu peer%s, configuration valid\n", config, d.cf->npeers,
		    d.cf->npeers == 1 ? "" : "s");
		goto out;
	}
	if (!foreground && (r = detach(&ready)) != 0) {
		status = rkmp_cli_error(&d.cli, config, r);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);	/* taken in ppoll only */

	d.env = (struct rkmp_dpeer_env){ "rkmpd", d.cf->keytable, d.cf->events, d.cf->rp_hook,
	    env_send, env_local, logline, &d, d.cf->retransmit_timeout, 1.8,
	    d.cf->retransmit_tries, false, &d.cookie, on_event };
	if ((r = rkmp_cookie_rotate(&d.cookie)) != 0) {
		status = rkmp_cli_error(&d.cli, config, r);
		goto out;
	}
	d.cookie_at = rkmp_clock_mono();
	if ((r = open_sockets(&d)) != 0 || (r = open_control(&d)) != 0) {
		status = rkmp_cli_error(&d.cli, config, r);
		goto out;
	}
	if ((d.peers = calloc(d.cf->npeers + 1, sizeof(*d.peers))) == NULL) {
		status = rkmp_cli_error(&d.cli, config, rkmp_err_set(RKMP_E_NOMEM, "", "out of memory"));
		goto out;
	}
	for (size_t i = 0; i < d.cf->npeers; i++) {
		int sock = 0;

		if ((r = sock_for(&d, &d.cf->peers[i], &sock)) != 0 ||
		    (r = rkmp_dpeer_open(&d.peers[i], &d.env, &d.cf->peers[i], d.cf->state_dir, sock,
		    rkmp_clock_mono())) != 0) {
			d.np = i + 1;
			status = rkmp_cli_error(&d.cli, d.peers[i].path[0] ? d.peers[i].path : config, r);
			goto out;
		}
		d.np = i + 1;
	}
	say(&d, 0, "running: %zu peer%s, control socket %s (pid %ld)", d.np, d.np == 1 ? "" : "s",
	    d.cf->control, (long)getpid());
	tell(&ready, 0);
	if ((r = loop(&d)) != 0)
		status = rkmp_cli_error(&d.cli, config, r);
out:
	tell(&ready, status);
	for (size_t i = 0; i < d.ncl; i++)
		close(d.cl[i].fd);
	if (d.ctl >= 0) {
		close(d.ctl);
		(void)unlink(d.cf->control);
	}
	for (size_t i = 0; i < d.np; i++)
		rkmp_dpeer_close(&d.peers[i]);
	free(d.peers);
	free(d.spi);
	for (size_t i = 0; i < EVENTS_KEPT; i++)
		free(d.events[i]);
	for (size_t i = 0; i < d.ns; i++)
		rkmp_udp_close(d.s[i].u);
	rkmp_dconf_free(d.cf);
	rkmp_cookie_wipe(&d.cookie);
	return status;
}

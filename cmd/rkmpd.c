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

#include "cli.h"
#include "clock.h"
#include "dconf.h"
#include "dpeer.h"
#include "err.h"
#include "buf.h"
#include "keytable.h"
#include "nitems.h"
#include "udp.h"
#include "wire.h"

enum { OPT_VERSION = 256, OPT_LIST_OPTIONS, OPT_CHECK };

static const struct rkmp_opt opts[] = {
	{ "config", 'c', 1, "FILE", "the configuration file (JSON, rkmpd(8))", 0 },
	{ "foreground", 'f', 0, NULL, "stay in the foreground (default: detach once running)", 0 },
	{ "check", OPT_CHECK, 0, NULL, "validate the configuration and exit", 0 },
	{ "verbose", 'v', 0, NULL, "every exchange and every ignored datagram on stderr", 0 },
	{ "help", 'h', 0, NULL, "show this help", 0 },
	{ "version", OPT_VERSION, 0, NULL, "show the version, the commit and the OpenSSL version", 0 },
	{ "list-options", OPT_LIST_OPTIONS, 0, NULL, "list the options (for shell completion)", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

#define SOCKS_MAX	RKMP_DCONF_LISTEN_MAX
#define CLIENTS_MAX	16
#define LINE_MAX_CTL	4096

struct client {
	int	 fd;
	size_t	 len;
	char	 buf[LINE_MAX_CTL];
	size_t	 waits;		/* a rekey answer of this peer (index + 1); 0: none */
};

struct daemon {
	struct rkmp_cli		 cli;
	struct rkmp_dconf	*cf;
	int			 verbose;
	struct {
		struct rkmp_udp		*u;
		struct rkmp_udp_addr	 addr;
		bool			 any;
		char			 name[96];
	} s[SOCKS_MAX];
	size_t			 ns;
	struct rkmp_dpeer	*peers;
	size_t			 np;
	struct rkmp_dpeer_env	 env;
	int			 ctl;
	struct client		 cl[CLIENTS_MAX];
	size_t			 ncl;
};

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

	return rkmp_udp_send(d->s[sock].u, to, msg, len);
}

static const struct rkmp_udp_addr *
env_local(void *ctx, int sock)
{
	struct daemon *d = ctx;

	return d->s[sock].any ? NULL : &d->s[sock].addr;
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

/* One socket per listen address; port 500 comes with 4500 (DESIGN.md §6). */
static int
open_sockets(struct daemon *d)
{
	for (size_t i = 0; i < d->cf->nlisten; i++) {
		struct rkmp_udp_addr natt;
		int r;

		if ((r = rkmp_udp_parse(d->cf->listen[i], RKMP_PORT_RKMP, &d->s[i].addr)) != 0 ||
		    (r = rkmp_udp_open(&d->s[i].u, &d->s[i].addr, 0)) != 0)
			return rkmp_err_set(r, "listen", "%s: %s", d->cf->listen[i], rkmp_err_text());
		d->ns = i + 1;
		d->s[i].any = is_any(&d->s[i].addr);
		rkmp_udp_format(&d->s[i].addr, d->s[i].name, sizeof(d->s[i].name));
		if (rkmp_udp_port(&d->s[i].addr) == RKMP_PORT_IKE) {
			natt = d->s[i].addr;
			rkmp_udp_set_port(&natt, RKMP_PORT_NATT);
			if ((r = rkmp_udp_also(d->s[i].u, &natt)) != 0)
				return rkmp_err_set(r, "listen", "%s (port %u beside 500): %s",
				    d->cf->listen[i], RKMP_PORT_NATT, rkmp_err_text());
		}
		grow_rcvbuf(d->s[i].u);
		say(d, 0, "listening on %s%s", d->s[i].name, rkmp_udp_port(&d->s[i].addr) ==
		    RKMP_PORT_IKE ? " and port 4500" : "");
	}
	return 0;
}

/* The socket a peer is reached from: the first listen address of its family. */
static int
sock_for(const struct daemon *d, const struct rkmp_dconf_peer *pc, int *sock)
{
	struct rkmp_udp_addr a;
	char text[96];

	snprintf(text, sizeof(text), strchr(pc->address, ':') ? "[%s]:%u" : "%s:%u", pc->address, pc->port);
	if (rkmp_udp_parse(text, pc->port, &a) != 0)
		return rkmp_err_set(RKMP_E_USAGE, pc->name, "%s", rkmp_err_text());
	for (size_t i = 0; i < d->ns; i++)
		if (d->s[i].addr.ss.ss_family == a.ss.ss_family) {
			*sock = (int)i;
			return 0;
		}
	return rkmp_err_set(RKMP_E_USAGE, "listen", "no address of peer %s's family (%s)", pc->name,
	    pc->address);
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

static size_t
half_open(const struct daemon *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->np; i++)
		n += d->peers[i].sa.phase == RKMP_PHASE_INIT_DONE && !d->peers[i].sa.initiator;
	return n;
}

/* A datagram to its peer: by the SPIs of its SA, or a new RKMP_SA_INIT by its source. */
static void
dispatch(struct daemon *d, int sock, const struct rkmp_udp_addr *from, const uint8_t *m, size_t len,
    double now)
{
	struct rkmp_dpeer *p = NULL;
	char src[96] = "";
	bool init;

	if (d->verbose >= 1)	/* for the lines below only: no text per datagram otherwise */
		rkmp_udp_format(from, src, sizeof(src));
	if (len < RKMP_HDR_LEN) {
		say(d, 1, "ignored a datagram from %s: %zu octets, no IKE header", src, len);
		return;
	}
	for (size_t i = 0; i < d->np && p == NULL; i++)
		if (rkmp_dpeer_owns(&d->peers[i], m, len))
			p = &d->peers[i];
	init = m[18] == RKMP_EXCH_IKE_SA_INIT && !(m[19] & RKMP_FLAG_R) && rkmp_get64(m + 8) == 0;
	if (p == NULL && init) {
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
	if (init)	/* a COOKIE is asked for of new IKE_SA_INIT requests only */
		d->env.cookies = half_open(d) >= d->cf->cookie_threshold;
	rkmp_dpeer_datagram(p, sock, from, m, len, now);
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
		dispatch(d, (int)i, &from, copy, len, now);
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

static void
answer(struct client *c, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n;

	json_decref(j);
	if (s == NULL)
		return;
	n = strlen(s);
	s[n] = '\0';
	/* a short answer to a local client: written whole, or the client is gone */
	if (write(c->fd, s, n) == (ssize_t)n)
		(void)!write(c->fd, "\n", 1);
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

/* One request line: {"cmd": "status", "peer"?} or {"cmd": "rekey", "peer", "spi"}.
 * False when the client waits for a later answer. */
static bool
request(struct daemon *d, struct client *c, const char *line, double now)
{
	const char *cmd = NULL, *peer = NULL, *spi = NULL;
	struct rkmp_dpeer *p = NULL;
	json_error_t je;
	json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &je), *a;
	int r;

	if (j == NULL || json_unpack_ex(j, &je, JSON_STRICT, "{s:s,s?s,s?s}", "cmd", &cmd, "peer", &peer,
	    "spi", &spi) != 0) {
		rkmp_err_set(RKMP_E_USAGE, "request", "%s", je.text);
		answer(c, error_json(RKMP_E_USAGE));
		json_decref(j);
		return true;
	}
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
			c->waits = (size_t)(p - d->peers) + 1;
			json_decref(j);
			return false;
		}
	} else {
		rkmp_err_set(RKMP_E_USAGE, cmd, "not a request: status [peer], rekey peer spi");
		answer(c, error_json(RKMP_E_USAGE));
	}
	json_decref(j);
	return true;
}

/* Answers that were waiting (rkmpctl rekey): sent once the exchange ended. */
static void
answer_waiting(struct daemon *d)
{
	for (size_t i = 0; i < d->ncl; i++) {
		struct client *c = &d->cl[i];
		struct rkmp_dpeer *p;

		if (c->waits == 0)
			continue;
		p = &d->peers[c->waits - 1];
		if (!p->asked.done)
			continue;
		p->asked.done = false;
		c->waits = 0;
		if (p->asked.new_spi[0])
			answer(c, json_pack("{s:{s:s,s:s,s:s}}", "rekey", "peer", p->pc->name, "spi",
			    p->asked.old, "new_spi", p->asked.new_spi));
		else {
			rkmp_err_set(RKMP_E_REFUSED, p->pc->name, "rekey of %s: %s", p->asked.old,
			    p->asked.why);
			answer(c, error_json(RKMP_E_REFUSED));
		}
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
	c->buf[c->len] = '\0';
	if ((nl = strchr(c->buf, '\n')) == NULL)
		return;
	*nl = '\0';
	if (request(d, c, c->buf, now))
		client_close(d, i);
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
			say(d, 0, "SIGHUP: reload is not implemented yet; the configuration is unchanged");
		}
		for (size_t i = 0; i < d->np; i++) {
			double t = rkmp_dpeer_tick(&d->peers[i], now);

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
	say(d, 0, "SIGTERM: stopping; the state files are kept, the children stay usable until "
	    "their lifetimes end");
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

	d.cli = (struct rkmp_cli){ "rkmpd", "-c FILE [-f] [-v] [--check]",
	    "Keep RKMP SAs with the peers of the configuration file alive: answer them\n"
	    "whenever they come, initiate to the `always` ones, rekey each child SA before\n"
	    "its lifetime ends (key-table rows rotated with RFC 7210 overlap), with one\n"
	    "state file per peer in the step tools' format.  rkmpctl(1) talks to it.",
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
	/* what this milestone takes but does not act on yet: said, not silent */
	for (size_t i = 0; i < d.cf->npeers; i++)
		if (d.cf->peers[i].start == RKMP_DCONF_ON_DEMAND)
			say(&d, 0, "%s: peers[%zu] (%s): start on-demand: not started, there is no "
			    "rkmpctl generate yet (rkmpd(8) BUGS); it is answered as respond", config, i,
			    d.cf->peers[i].name);
	say(&d, 1, "%s: ike_lifetime and dpd are checked, not acted on yet: the RKMP SA is not "
	    "rekeyed and no liveness check is sent (rkmpd(8) BUGS)", config);
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
	    env_send, env_local, logline, &d, 4.0, 1.8, 5, false };
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
	for (size_t i = 0; i < d.ns; i++)
		rkmp_udp_close(d.s[i].u);
	rkmp_dconf_free(d.cf);
	return status;
}

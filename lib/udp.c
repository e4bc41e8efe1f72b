/* SPDX-License-Identifier: MIT */
/*
 * udp.c — the UDP transport of the step binaries (RFC 7296 §2.1, §2.4).
 *
 * Only the requester retransmits, and always the same bytes; the responder
 * answers a duplicate request from its cached response (rkmp_udp_linger).
 * The non-ESP marker (RFC 3948 §2.2: 4 zero octets before the IKE header) is
 * decided in exactly one place, udp_marker(): it is used when neither port is
 * 500, which is what strongSwan does (it drops a datagram without it there).
 *
 * Sockets are deliberately opened without SO_REUSEADDR: a closed UDP socket
 * frees its port at once (there is no TIME_WAIT), so the next step binary can
 * bind the same port right after without it, while with it Linux would let
 * two live processes bind the same address and port and silently split the
 * datagrams between them.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "frag.h"
#include "udp.h"
#include "wire.h"

#define UDP_MARKER_LEN	RKMP_NONESP_MARKER_LEN	/* RFC 3948 §2.2 */
#define UDP_MAX_DGRAM	65535		/* largest datagram we accept or send */
#define UDP_NAMELEN	96		/* "[" INET6 "%" scope "]:" port */

/* strongSwan's defaults (charon.retransmit_timeout/base/tries). */
static const struct rkmp_udp_policy udp_default_policy = { .timeout = 4.0, .base = 1.8, .tries = 5 };

#define UDP_SOCKS	2		/* a responder of the ikev2 profile: 500 and 4500 */

struct rkmp_udp {
	struct {
		int	 fd;
		uint16_t lport;		/* its port; 0 until bound or first send */
	} s[UDP_SOCKS];
	unsigned	 ns;		/* sockets open */
	unsigned	 cur;		/* the one sends go out of: the last datagram's */
	int		 fd;		/* s[cur].fd */
	int		 family;
	unsigned	 icmp;		/* ICMP errors the socket reported */
	int		 icmp_err;	/* the last one's errno */
	uint8_t		*buf;		/* UDP_MAX_DGRAM + 1 octets, reused */
};

/* ------------------------------------------------------------ addresses */

static socklen_t
udp_salen(int family)
{
	if (family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

void
rkmp_udp_host(const struct rkmp_udp_addr *a, char *host, size_t n, uint16_t *port)
{
	if (getnameinfo((const struct sockaddr *)&a->ss, a->len, host, (socklen_t)n, NULL, 0,
	    NI_NUMERICHOST) != 0)
		host[0] = '\0';
	*port = rkmp_udp_port(a);
}

bool
rkmp_udp_same(const struct rkmp_udp_addr *a, const struct rkmp_udp_addr *b, bool port_too)
{
	if (a->ss.ss_family != b->ss.ss_family || (port_too && rkmp_udp_port(a) != rkmp_udp_port(b)))
		return false;
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)&b->ss)->sin_addr.s_addr;
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->ss,
		    *y = (const struct sockaddr_in6 *)&b->ss;

		return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
		    x->sin6_scope_id == y->sin6_scope_id;
	}
	return false;
}

uint16_t
rkmp_udp_port(const struct rkmp_udp_addr *a)
{
	if (a == NULL)
		return 0;
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

void
rkmp_udp_format(const struct rkmp_udp_addr *a, char *out, size_t outlen)
{
	char host[NI_MAXHOST];
	socklen_t len;

	if (out == NULL || outlen == 0)
		return;
	if (a == NULL || (len = udp_salen(a->ss.ss_family)) == 0 ||
	    getnameinfo((const struct sockaddr *)&a->ss, len, host, sizeof(host), NULL, 0,
	    NI_NUMERICHOST) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	if (a->ss.ss_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%u", host, rkmp_udp_port(a));
	else
		snprintf(out, outlen, "%s:%u", host, rkmp_udp_port(a));
}

/* An IPv4-mapped IPv6 address (from a dual-stack socket) becomes plain IPv4. */
static void
udp_unmap(struct rkmp_udp_addr *a)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in s4;

	if (a->ss.ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = s6->sin6_port;
	memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], sizeof(s4.sin_addr));
	memset(&a->ss, 0, sizeof(a->ss));
	memcpy(&a->ss, &s4, sizeof(s4));
	a->len = sizeof(s4);
}

/* Same family, address and port (and scope, when both name one). */
static int
udp_addr_eq(const struct rkmp_udp_addr *x, const struct rkmp_udp_addr *y)
{
	struct rkmp_udp_addr a = *x, b = *y;

	udp_unmap(&a);
	udp_unmap(&b);
	if (a.ss.ss_family != b.ss.ss_family)
		return 0;
	if (a.ss.ss_family == AF_INET) {
		const struct sockaddr_in *p = (const struct sockaddr_in *)&a.ss;
		const struct sockaddr_in *q = (const struct sockaddr_in *)&b.ss;

		return p->sin_port == q->sin_port &&
		    p->sin_addr.s_addr == q->sin_addr.s_addr;
	}
	if (a.ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *p = (const struct sockaddr_in6 *)&a.ss;
		const struct sockaddr_in6 *q = (const struct sockaddr_in6 *)&b.ss;

		return p->sin6_port == q->sin6_port &&
		    memcmp(&p->sin6_addr, &q->sin6_addr, sizeof(p->sin6_addr)) == 0 &&
		    (p->sin6_scope_id == 0 || q->sin6_scope_id == 0 ||
		    p->sin6_scope_id == q->sin6_scope_id);
	}
	return 0;
}

/* Only digits and dots: an IPv4 literal (good or bad), never a name to look up. */
static int
udp_dotted(const char *s)
{
	for (; *s != '\0'; s++)
		if ((*s < '0' || *s > '9') && *s != '.')
			return 0;
	return 1;
}

int
rkmp_udp_parse(const char *text, uint16_t default_port, struct rkmp_udp_addr *out)
{
	char host[NI_MAXHOST], serv[8];
	const char *h, *portstr = NULL, *colon, *end;
	struct addrinfo hints, *res = NULL;
	unsigned long port = default_port;
	size_t hostlen;
	int numeric, r;

	memset(out, 0, sizeof(*out));
	if (text == NULL || *text == '\0')
		return rkmp_err_set(RKMP_E_USAGE, "\"\"", "not an address");

	if (text[0] == '[') {
		/* "[v6]" or "[v6]:port": a literal, never a name */
		if ((end = strchr(text, ']')) == NULL)
			return rkmp_err_set(RKMP_E_USAGE, text, "not an address");
		if (end[1] == ':')
			portstr = end + 2;
		else if (end[1] != '\0')
			return rkmp_err_set(RKMP_E_USAGE, text, "not an address");
		h = text + 1;
		hostlen = (size_t)(end - h);
		numeric = 1;
	} else if ((colon = strchr(text, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		/* "v4:port" or "name:port" */
		h = text;
		hostlen = (size_t)(colon - text);
		portstr = colon + 1;
		numeric = 0;
	} else {
		/* "v4", "name", or a bare IPv6 literal (which has no port) */
		h = text;
		hostlen = strlen(text);
		numeric = colon != NULL;
	}
	if (hostlen == 0 || hostlen >= sizeof(host))
		return rkmp_err_set(RKMP_E_USAGE, text, "not an address");
	memcpy(host, h, hostlen);
	host[hostlen] = '\0';
	if (!numeric && udp_dotted(host)) {
		struct in_addr in;

		/* exactly a.b.c.d: getaddrinfo would take "192.0.2" as 192.0.0.2 */
		if (inet_pton(AF_INET, host, &in) != 1)
			return rkmp_err_set(RKMP_E_USAGE, text, "not an address");
		numeric = 1;
	}

	if (portstr != NULL) {
		const char *d;

		port = 0;
		for (d = portstr; *d >= '0' && *d <= '9'; d++)
			if ((port = port * 10 + (unsigned long)(*d - '0')) > 65535)
				port = 65536;	/* stays out of range, cannot overflow */
		if (d == portstr || *d != '\0')
			port = 0;
	}
	if (port < 1 || port > 65535) {
		if (portstr != NULL)
			return rkmp_err_set(RKMP_E_USAGE, text, "port %s not in 1..65535", portstr);
		return rkmp_err_set(RKMP_E_USAGE, text, "port %lu not in 1..65535", port);
	}
	snprintf(serv, sizeof(serv), "%lu", port);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0);
	if ((r = getaddrinfo(host, serv, &hints, &res)) != 0 || res == NULL) {
		if (r == EAI_AGAIN || r == EAI_FAIL || r == EAI_MEMORY || r == EAI_SYSTEM)
			return rkmp_err_set(RKMP_E_USAGE, text, "not an address (%s)",
			    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return rkmp_err_set(RKMP_E_USAGE, text, "not an address");
	}
	if ((res->ai_family != AF_INET && res->ai_family != AF_INET6) ||
	    res->ai_addrlen > sizeof(out->ss)) {
		freeaddrinfo(res);
		return rkmp_err_set(RKMP_E_USAGE, text, "not an address");
	}
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

bool
rkmp_udp_port_given(const char *text)
{
	const char *c, *end;

	if (text == NULL)
		return false;
	if (text[0] == '[')
		return (end = strchr(text, ']')) != NULL && end[1] == ':';
	return (c = strchr(text, ':')) != NULL && strchr(c + 1, ':') == NULL;
}

void
rkmp_udp_set_port(struct rkmp_udp_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

/* ------------------------------------------------------------ sockets */

/* Our port, from getsockname() once the socket has one; 0 while unbound. */
static uint16_t
udp_local_port(struct rkmp_udp *u)
{
	struct rkmp_udp_addr a;

	if (u->s[u->cur].lport == 0) {
		memset(&a, 0, sizeof(a));
		a.len = sizeof(a.ss);
		if (getsockname(u->fd, (struct sockaddr *)&a.ss, &a.len) == 0)
			u->s[u->cur].lport = rkmp_udp_port(&a);
	}
	return u->s[u->cur].lport;
}

/* Sends go out of socket i from now on (the one a datagram came in on). */
static void
udp_use(struct rkmp_udp *u, unsigned i)
{
	u->cur = i;
	u->fd = u->s[i].fd;
}

static void
udp_local_name(struct rkmp_udp *u, char *out, size_t outlen)
{
	struct rkmp_udp_addr a;

	memset(&a, 0, sizeof(a));
	a.len = sizeof(a.ss);
	if (getsockname(u->fd, (struct sockaddr *)&a.ss, &a.len) != 0)
		snprintf(out, outlen, "?");
	else
		rkmp_udp_format(&a, out, outlen);
}

/*
 * The marker rule, the only place it is decided: an IKE message to or from
 * peer_port carries the 4-octet non-ESP marker when neither that port nor
 * ours is 500.  (An unbound socket gets an ephemeral port, never 500.)
 */
static int
udp_marker(struct rkmp_udp *u, uint16_t peer_port)
{
	return peer_port != RKMP_PORT_IKE && udp_local_port(u) != RKMP_PORT_IKE;
}

size_t
rkmp_udp_room(struct rkmp_udp *u, const struct rkmp_udp_addr *peer, size_t datagram)
{
	size_t ip = u->family == AF_INET6 ? 40 : 20, udp = 8;	/* RFC 8200, RFC 791, RFC 768 */
	size_t marker = udp_marker(u, rkmp_udp_port(peer)) ? UDP_MARKER_LEN : 0;

	return datagram > ip + udp + marker ? datagram - ip - udp - marker : 0;
}

/* One more socket of u's family, bound to local (NULL: not yet), made current. */
static int
udp_sock(struct rkmp_udp *u, const struct rkmp_udp_addr *local)
{
	char name[UDP_NAMELEN];
	int fd, e, flags;

	if ((fd = socket(u->family, SOCK_DGRAM, IPPROTO_UDP)) == -1)
		return rkmp_err_set(RKMP_E_TRANSPORT, "socket", "%s", strerror(errno));
	if ((flags = fcntl(fd, F_GETFD)) != -1)
		(void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	if (local != NULL && bind(fd, (const struct sockaddr *)&local->ss,
	    local->len ? local->len : udp_salen(u->family)) == -1) {
		e = errno;
		close(fd);
		rkmp_udp_format(local, name, sizeof(name));
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "bind %s: %s", name, strerror(e));
	}
	u->s[u->ns].fd = fd;
	u->s[u->ns].lport = 0;
	udp_use(u, u->ns++);
	if (local != NULL)
		(void)udp_local_port(u);
	return 0;
}

int
rkmp_udp_open(struct rkmp_udp **up, const struct rkmp_udp_addr *local, int family)
{
	struct rkmp_udp *u;
	int r;

	*up = NULL;
	if (local != NULL)
		family = local->ss.ss_family;
	if (family != AF_INET && family != AF_INET6)
		return rkmp_err_set(RKMP_E_USAGE, "udp", "address family %d is not IPv4 or IPv6",
		    family);
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->buf = malloc(UDP_MAX_DGRAM + 1)) == NULL) {
		free(u);
		return rkmp_err_set(RKMP_E_NOMEM, "udp", "cannot allocate a receive buffer");
	}
	u->family = family;
	if ((r = udp_sock(u, local)) != 0) {
		free(u->buf);
		free(u);
		return r;
	}
	*up = u;
	return 0;
}

int
rkmp_udp_also(struct rkmp_udp *u, const struct rkmp_udp_addr *local)
{
	unsigned was = u->cur;
	int r;

	if (u->ns >= UDP_SOCKS)
		return rkmp_err_set(RKMP_E_INTERNAL, "udp", "%u sockets already", u->ns);
	if (local->ss.ss_family != u->family)
		return rkmp_err_set(RKMP_E_USAGE, "udp", "a second socket of another address family");
	r = udp_sock(u, local);
	udp_use(u, was);
	return r;
}

void
rkmp_udp_close(struct rkmp_udp *u)
{
	if (u == NULL)
		return;
	for (unsigned i = 0; i < u->ns; i++)
		close(u->s[i].fd);
	free(u->buf);
	free(u);
}

/*
 * Wait until the socket is readable or the deadline (monotonic seconds;
 * negative = none) passes: 1 readable, 0 time is up, <0 error.
 */
static int
udp_poll(struct rkmp_udp *u, double deadline)
{
	struct pollfd pfd[UDP_SOCKS];
	double left;
	int n, ms;

	for (;;) {
		ms = -1;
		if (deadline >= 0) {
			if ((left = deadline - rkmp_clock_mono()) <= 0)
				return 0;
			left *= 1000.0;
			ms = left >= (double)INT_MAX ? INT_MAX : (int)left + 1;
		}
		for (unsigned i = 0; i < u->ns; i++) {
			pfd[i].fd = u->s[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if ((n = poll(pfd, u->ns, ms)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return rkmp_err_set(RKMP_E_TRANSPORT, "poll", "%s", strerror(errno));
		}
		if (n == 0)
			continue;	/* the deadline check above decides */
		for (unsigned i = 0; i < u->ns; i++) {
			if (pfd[i].revents & POLLNVAL)
				return rkmp_err_set(RKMP_E_INTERNAL, "poll", "socket %d not open",
				    pfd[i].fd);
			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) {
				udp_use(u, i);	/* the answer goes out where the request came in */
				return 1;
			}
		}
	}
}

/* An ICMP error for an earlier datagram: for IKE only "no answer yet" (RFC 7296 §2.4). */
static int
udp_icmp_errno(int e)
{
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH ||
#ifdef EHOSTDOWN
	    e == EHOSTDOWN ||
#endif
	    0;
}

/*
 * Read one datagram without blocking and apply the marker rule:
 * 1 with the IKE message in *p (inside u->buf) and its source in *from,
 * 0 when there was nothing usable (nothing queued, an ICMP error, ESP,
 * a NAT-keepalive), <0 on a socket error.
 */
static int
udp_recv1(struct rkmp_udp *u, const uint8_t **p, size_t *len, struct rkmp_udp_addr *from)
{
	static const uint8_t zero[UDP_MARKER_LEN];
	ssize_t n;
	char name[UDP_NAMELEN];

	memset(from, 0, sizeof(*from));
	from->len = sizeof(from->ss);
	n = recvfrom(u->fd, u->buf, UDP_MAX_DGRAM + 1, MSG_DONTWAIT,
	    (struct sockaddr *)&from->ss, &from->len);
	if (n == -1) {
		if (udp_icmp_errno(errno)) {
			u->icmp++;
			u->icmp_err = errno;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    udp_icmp_errno(errno))
			return 0;
		udp_local_name(u, name, sizeof(name));
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "receive on %s: %s", name,
		    strerror(errno));
	}
	if ((size_t)n > UDP_MAX_DGRAM)
		return 0;
	udp_unmap(from);
	*p = u->buf;
	*len = (size_t)n;
	if (udp_marker(u, rkmp_udp_port(from))) {
		/* too short for a marker (a NAT-keepalive is 0xff), or ESP: not ours */
		if (*len < UDP_MARKER_LEN || memcmp(*p, zero, UDP_MARKER_LEN) != 0)
			return 0;
		*p += UDP_MARKER_LEN;
		*len -= UDP_MARKER_LEN;
	}
	return 1;
}

/* Where to send to on this socket: IPv4 goes IPv4-mapped on an IPv6 socket. */
static int
udp_target(struct rkmp_udp *u, const struct rkmp_udp_addr *to, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct rkmp_udp_addr a = *to;
	char name[UDP_NAMELEN];

	udp_unmap(&a);
	memset(ss, 0, sizeof(*ss));
	if (a.ss.ss_family == u->family) {
		*sslen = udp_salen(u->family);
		memcpy(ss, &a.ss, *sslen);
		return 0;
	}
	if (a.ss.ss_family == AF_INET && u->family == AF_INET6) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a.ss;
		struct sockaddr_in6 s6;

		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_port = s4->sin_port;
		s6.sin6_addr.s6_addr[10] = 0xff;
		s6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6.sin6_addr.s6_addr[12], &s4->sin_addr, sizeof(s4->sin_addr));
		memcpy(ss, &s6, sizeof(s6));
		*sslen = sizeof(s6);
		return 0;
	}
	rkmp_udp_format(to, name, sizeof(name));
	return rkmp_err_set(RKMP_E_USAGE, name, "not an %s address like the local one",
	    u->family == AF_INET ? "IPv4" : "IPv6");
}

static int udp_send1(struct rkmp_udp *u, const struct rkmp_udp_addr *to, const uint8_t *msg,
    size_t len);

/*
 * Send what the engine made: one IKE message, or the RFC 7383 fragments of a
 * message one after another (rkmp_frags_count), each its own datagram, in order.
 * Anything else goes out as it is, one datagram.
 */
static int
udp_send_all(struct rkmp_udp *u, const uint8_t *msg, size_t len, const struct rkmp_udp_addr *to)
{
	size_t off = 0, mlen;
	int r;

	if (rkmp_frags_count(msg, len) < 2)
		return udp_send1(u, to, msg, len);
	for (; rkmp_frags_next(msg, len, &off, &mlen) > 0; off += mlen)
		if ((r = udp_send1(u, to, msg + off, mlen)) < 0)
			return r;
	return 0;
}

/* Send one IKE message, with the marker when the rule says so. */
static int
udp_send1(struct rkmp_udp *u, const struct rkmp_udp_addr *to, const uint8_t *msg, size_t len)
{
	static const uint8_t marker[UDP_MARKER_LEN];
	struct sockaddr_storage ss;
	struct msghdr mh;
	struct iovec iov[2];
	socklen_t sslen = 0;
	char name[UDP_NAMELEN];
	int r, n = 0, refused = 0;

	if ((r = udp_target(u, to, &ss, &sslen)) < 0)
		return r;
	if (udp_marker(u, rkmp_udp_port(to))) {
		iov[n].iov_base = (void *)(uintptr_t)marker;
		iov[n++].iov_len = sizeof(marker);
	}
	iov[n].iov_base = (void *)(uintptr_t)msg;
	iov[n++].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &ss;
	mh.msg_namelen = sslen;
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)n;
	while (sendmsg(u->fd, &mh, 0) == -1) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		/* an ICMP error for an earlier datagram, reported now: try once more */
		if (errno == ECONNREFUSED) {
			u->icmp++;
			u->icmp_err = errno;
		}
		if (errno == ECONNREFUSED && refused++ == 0)
			continue;
		if (errno == ECONNREFUSED)
			break;
		rkmp_udp_format(to, name, sizeof(name));
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "send to %s: %s", name, strerror(errno));
	}
	(void)udp_local_port(u);	/* now bound, if it was not */
	return 0;
}

static int
udp_copy(const uint8_t *p, size_t len, uint8_t **out, size_t *outlen)
{
	if ((*out = malloc(len ? len : 1)) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "udp", "cannot allocate %zu octets", len);
	if (len)
		memcpy(*out, p, len);
	*outlen = len;
	return 0;
}

/* ------------------------------------------------------------ exchanges */

static void udp_say(const struct rkmp_udp_policy *pol, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *udp_icmp_name(int e);

/*
 * ICMP errors the socket reported since the last look (*seen of them): said,
 * and then waited through, since nothing authenticates them (RFC 7296 §2.4).
 * Whether there were new ones.
 */
static int
udp_icmp_said(struct rkmp_udp *u, const struct rkmp_udp_policy *pol, const char *name,
    unsigned *seen)
{
	if (u->icmp == *seen)
		return 0;
	*seen = u->icmp;
	udp_say(pol, "ICMP %s from %s (%s): nothing authenticates it, waiting on",
	    udp_icmp_name(u->icmp_err), name, strerror(u->icmp_err));
	return 1;
}

static void
udp_say(const struct rkmp_udp_policy *pol, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (pol->say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pol->say(pol->say_ctx, line);
}

/* The ICMP error an errno stands for, in the words of ping(8). */
static const char *
udp_icmp_name(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return "port unreachable";
	case EHOSTUNREACH:
		return "host unreachable";
	case ENETUNREACH:
		return "network unreachable";
	default:
		return strerror(e);
	}
}

int
rkmp_udp_request(struct rkmp_udp *u, const struct rkmp_udp_addr *peer, const uint8_t *msg,
    size_t len, const struct rkmp_udp_policy *pol,
    int (*accept_fn)(void *ctx, const uint8_t *p, size_t len), void *ctx,
    uint8_t **resp, size_t *resp_len)
{
	struct rkmp_udp_addr from;
	const uint8_t *p;
	char name[UDP_NAMELEN];
	double start, interval, deadline;
	size_t plen;
	unsigned n, icmp = u->icmp, icmp0 = u->icmp;
	int r, a;

	*resp = NULL;
	*resp_len = 0;
	if (pol == NULL)
		pol = &udp_default_policy;
	if (!(pol->timeout > 0) || !(pol->base > 0))
		return rkmp_err_set(RKMP_E_USAGE, "retransmission",
		    "timeout %g s and base %g must be > 0", pol->timeout, pol->base);

	start = rkmp_clock_mono();
	interval = pol->timeout;
	rkmp_udp_format(peer, name, sizeof(name));
	for (n = 0;; n++) {
		/* n = 0 is the first send, then bitwise-identical retransmissions */
		if (n > 0)
			udp_say(pol, "retransmit %u/%u to %s, %s in %.1f s", n, pol->tries, name,
			    n < pol->tries ? "next" : "giving up", interval);
		if ((r = udp_send_all(u, msg, len, peer)) < 0)
			return r;
		udp_icmp_said(u, pol, name, &icmp);
		deadline = rkmp_clock_mono() + interval;
		while ((r = udp_poll(u, deadline)) > 0) {
			if ((r = udp_recv1(u, &p, &plen, &from)) < 0)
				return r;
			if (udp_icmp_said(u, pol, name, &icmp))
				continue;
			if (r == 0 || !udp_addr_eq(&from, peer))
				continue;	/* nothing, or not from the peer */
			a = accept_fn != NULL ? accept_fn(ctx, p, plen) : 1;
			if (a < 0)
				return a;
			if (a == 0)
				continue;	/* a stray: keep waiting in this interval */
			return udp_copy(p, plen, resp, resp_len);
		}
		if (r < 0)
			return r;
		if (n >= pol->tries)
			break;
		interval *= pol->base;
	}
	if ((icmp -= icmp0) > 0)
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "no answer from %s after %u retransmission%s "
		    "(%.1f s; ICMP %s %u time%s)", name, pol->tries, pol->tries == 1 ? "" : "s",
		    rkmp_clock_mono() - start, udp_icmp_name(u->icmp_err), icmp, icmp == 1 ? "" : "s");
	return rkmp_err_set(RKMP_E_TRANSPORT, "", "no answer from %s after %u retransmission%s (%.1f s)",
	    name, pol->tries, pol->tries == 1 ? "" : "s", rkmp_clock_mono() - start);
}

int
rkmp_udp_receive(struct rkmp_udp *u, const struct rkmp_udp_policy *pol, uint8_t **req,
    size_t *len, struct rkmp_udp_addr *from)
{
	struct rkmp_udp_addr src;
	const uint8_t *p;
	char name[UDP_NAMELEN];
	double wait = pol != NULL ? pol->wait : 0;
	size_t plen;
	int r;

	*req = NULL;
	*len = 0;
	while ((r = udp_poll(u, wait > 0 ? rkmp_clock_mono() + wait : -1.0)) > 0) {
		if ((r = udp_recv1(u, &p, &plen, &src)) < 0)
			return r;
		if (r == 0)
			continue;
		if ((r = udp_copy(p, plen, req, len)) < 0)
			return r;
		if (from != NULL)
			*from = src;
		return 0;
	}
	if (r < 0)
		return r;
	udp_local_name(u, name, sizeof(name));
	return rkmp_err_set(RKMP_E_TRANSPORT, "", "no request on %s within %g s", name, wait);
}

unsigned
rkmp_udp_fds(const struct rkmp_udp *u, int *fds, unsigned max)
{
	unsigned n;

	for (n = 0; n < u->ns && n < max; n++)
		fds[n] = u->s[n].fd;
	return n;
}

int
rkmp_udp_read(struct rkmp_udp *u, unsigned i, const uint8_t **p, size_t *len,
    struct rkmp_udp_addr *from)
{
	if (i >= u->ns)
		return rkmp_err_set(RKMP_E_INTERNAL, "udp", "no socket %u of %u", i, u->ns);
	udp_use(u, i);
	return udp_recv1(u, p, len, from);
}

int
rkmp_udp_send(struct rkmp_udp *u, const struct rkmp_udp_addr *to, const uint8_t *msg,
    size_t len)
{
	return udp_send_all(u, msg, len, to);
}

int
rkmp_udp_send_on(struct rkmp_udp *u, unsigned i, const struct rkmp_udp_addr *to,
    const uint8_t *msg, size_t len)
{
	if (i >= u->ns)
		return rkmp_err_set(RKMP_E_INTERNAL, "udp", "no socket %u of %u", i, u->ns);
	udp_use(u, i);
	return udp_send_all(u, msg, len, to);
}

int
rkmp_udp_linger(struct rkmp_udp *u, const uint8_t *req, size_t req_len, const uint8_t *resp,
    size_t resp_len, double linger)
{
	struct rkmp_udp_addr from;
	const uint8_t *p;
	double deadline;
	size_t plen;
	int r;

	if (!(linger > 0))
		return 0;
	deadline = rkmp_clock_mono() + linger;
	while ((r = udp_poll(u, deadline)) > 0) {
		if ((r = udp_recv1(u, &p, &plen, &from)) < 0)
			return r;
		if (r == 0 || plen != req_len || (req_len != 0 && memcmp(p, req, req_len) != 0))
			continue;	/* not a copy of the request we answered */
		if ((r = udp_send_all(u, resp, resp_len, &from)) < 0)
			return r;
	}
	return r < 0 ? r : 0;
}

/*
 * The address and port this socket sends from towards peer: connecting a UDP
 * socket makes the kernel pick both (and then only the peer's datagrams are
 * received, which is what a requester wants).  For NAT_DETECTION_SOURCE_IP.
 */
int
rkmp_udp_local(struct rkmp_udp *u, struct rkmp_udp_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if (getsockname(u->fd, (struct sockaddr *)&out->ss, &out->len) == -1)
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "getsockname: %s", strerror(errno));
	udp_unmap(out);
	return 0;
}

int
rkmp_udp_local_for(struct rkmp_udp *u, const struct rkmp_udp_addr *peer, struct rkmp_udp_addr *out)
{
	char name[UDP_NAMELEN];
	int e;

	if (connect(u->fd, (const struct sockaddr *)&peer->ss,
	    peer->len ? peer->len : udp_salen(peer->ss.ss_family)) == -1) {
		e = errno;
		rkmp_udp_format(peer, name, sizeof(name));
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "connect %s: %s", name, strerror(e));
	}
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if (getsockname(u->fd, (struct sockaddr *)&out->ss, &out->len) == -1)
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "getsockname: %s", strerror(errno));
	u->s[u->cur].lport = 0;
	(void)udp_local_port(u);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * test_udp.c — lib/udp.c over loopback: address parsing, retransmission,
 * the non-ESP marker rule, the responder's receive and linger.  Peers are
 * plain sockets in this process, or a fork()ed child when the peer has to
 * answer while rkmp_udp_request() blocks.  Timeouts are tens of ms and the
 * assertions count datagrams, never time them.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "udp.h"

#include "test_helper.h"
#include "tests.h"

/* An IKE-looking message: non-zero SPIi, so it cannot be taken for a marker. */
static const uint8_t req_msg[] = {
	0x8a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71, 0, 0, 0, 0, 0, 0, 0, 0,
	0x21, 0x20, 0x22, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x1c
};
static const uint8_t resp_msg[] = {
	0x8a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
	0x21, 0x20, 0x22, 0x20, 0, 0, 0, 0, 0, 0, 0, 0x1c
};
static const uint8_t stray_msg[] = { 0x51, 0x52, 0x53, 0x54, 's', 't', 'r', 'a', 'y' };
static const uint8_t marker[4];

#define MAXREC	16

struct rec {
	size_t		 len;
	uint8_t		 p[256];
};

static void
loop_addr(int family, uint16_t port, struct rkmp_udp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_loopback;
		a->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->len = sizeof(*s4);
	}
}

/* A plain socket on loopback, on port (0 = ephemeral); a = its address. -1 if impossible. */
static int
raw_open(int family, uint16_t port, struct rkmp_udp_addr *a)
{
	int fd;

	loop_addr(family, port, a);
	if ((fd = socket(family, SOCK_DGRAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) == -1 ||
	    getsockname(fd, (struct sockaddr *)&a->ss, &a->len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* An rkmp socket on a free ephemeral loopback port; a = its address. */
static int
udp_open_loop(int family, struct rkmp_udp **u, struct rkmp_udp_addr *a)
{
	int fd;

	*u = NULL;
	if ((fd = raw_open(family, 0, a)) == -1)
		return -1;
	close(fd);	/* the port is free again at once: no TIME_WAIT for UDP */
	return rkmp_udp_open(u, a, family);
}

static void
raw_send(int fd, const struct rkmp_udp_addr *to, const uint8_t *pre, size_t prelen,
    const uint8_t *p, size_t len)
{
	uint8_t buf[512];

	if (prelen != 0)
		memcpy(buf, pre, prelen);
	memcpy(buf + prelen, p, len);
	(void)sendto(fd, buf, prelen + len, 0, (const struct sockaddr *)&to->ss, to->len);
}

/*
 * Read what is queued, waiting up to ms for the first datagram only (on
 * loopback a datagram is queued before sendto() returns): how many.
 */
static size_t
raw_drain(int fd, int ms, struct rec *r, size_t max, struct rkmp_udp_addr *from)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct rkmp_udp_addr src;
	uint8_t buf[2048];
	ssize_t n;
	size_t count = 0;

	while (poll(&pfd, 1, ms) == 1) {
		src.len = sizeof(src.ss);
		if ((n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src.ss,
		    &src.len)) < 0)
			break;
		if (count < max) {
			r[count].len = (size_t)n;
			memcpy(r[count].p, buf, (size_t)n < sizeof(r[count].p) ? (size_t)n :
			    sizeof(r[count].p));
			if (from != NULL)
				from[count] = src;
		}
		count++;
		ms = 0;
	}
	return count;
}

/* ------------------------------------------------------------ a forked peer */

struct peer_plan {
	int		 fd;		/* the peer's socket */
	int		 fd2;		/* a second socket (another source port) or -1 */
	unsigned	 ignore;	/* requests left unanswered before the answer */
	int		 stray;		/* send stray_msg from fd before the answer */
	int		 fake;		/* send a fake answer from fd2 before the answer */
	int		 marker;	/* put the marker on what we send */
};

struct peer {
	pid_t		 pid;
	int		 rfd;
	int		 family;
	struct rkmp_udp_addr addr;
};

static const uint8_t quit_msg[] = "quit";

/*
 * The child: record every datagram (raw, marker included) to the pipe as a
 * 4-octet length and the octets; answer the (ignore+1)th with resp_msg;
 * leave on "quit" or after 3 s.
 */
static void
peer_child(const struct peer_plan *pl, int wfd)
{
	struct pollfd pfd = { .fd = pl->fd, .events = POLLIN };
	struct rkmp_udp_addr from;
	uint8_t buf[2048];
	const uint8_t *pre = pl->marker ? marker : NULL;
	size_t prelen = pl->marker ? sizeof(marker) : 0;
	unsigned seen = 0;
	uint32_t l;
	ssize_t n;
	int i;

	for (i = 0; i < 300 && poll(&pfd, 1, 10) >= 0; i++) {
		if (!(pfd.revents & POLLIN))
			continue;
		from.len = sizeof(from.ss);
		if ((n = recvfrom(pl->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from.ss,
		    &from.len)) < 0)
			continue;
		if ((size_t)n == sizeof(quit_msg) && memcmp(buf, quit_msg, sizeof(quit_msg)) == 0)
			break;
		l = (uint32_t)n;
		if (write(wfd, &l, sizeof(l)) != sizeof(l) || write(wfd, buf, l) != (ssize_t)l)
			break;
		if (++seen != pl->ignore + 1)
			continue;
		if (pl->fake && pl->fd2 != -1)
			raw_send(pl->fd2, &from, pre, prelen, stray_msg, sizeof(stray_msg));
		if (pl->stray)
			raw_send(pl->fd, &from, pre, prelen, stray_msg, sizeof(stray_msg));
		raw_send(pl->fd, &from, pre, prelen, resp_msg, sizeof(resp_msg));
	}
}

static int
peer_start(struct peer *pe, struct peer_plan *pl, int family, uint16_t port)
{
	int pfd[2];

	memset(pe, 0, sizeof(*pe));
	pe->family = family;
	pe->rfd = -1;
	if ((pl->fd = raw_open(family, port, &pe->addr)) == -1)
		return -1;
	if (pipe(pfd) == -1) {
		close(pl->fd);
		return -1;
	}
	fflush(NULL);
	if ((pe->pid = fork()) == -1) {
		close(pfd[0]);
		close(pfd[1]);
		close(pl->fd);
		return -1;
	}
	if (pe->pid == 0) {
		close(pfd[0]);
		peer_child(pl, pfd[1]);
		_exit(0);
	}
	close(pfd[1]);
	close(pl->fd);
	if (pl->fd2 != -1)
		close(pl->fd2);
	pe->rfd = pfd[0];
	return 0;
}

/* Tell the child to stop, collect what it saw: number of datagrams. */
static size_t
peer_finish(struct peer *pe, struct rec *r, size_t max)
{
	struct rkmp_udp_addr a;
	uint8_t buf[8192];
	size_t have = 0, off = 0, count = 0;
	ssize_t n;
	uint32_t l;
	int fd, st;

	if ((fd = raw_open(pe->family, 0, &a)) != -1) {
		(void)sendto(fd, quit_msg, sizeof(quit_msg), 0, (struct sockaddr *)&pe->addr.ss,
		    pe->addr.len);
		close(fd);
	}
	while (have < sizeof(buf) && (n = read(pe->rfd, buf + have, sizeof(buf) - have)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		have += (size_t)n;
	}
	close(pe->rfd);
	while (waitpid(pe->pid, &st, 0) == -1 && errno == EINTR)
		;
	while (off + 4 <= have) {
		memcpy(&l, buf + off, 4);
		if (off + 4 + l > have)
			break;
		if (count < max) {
			r[count].len = l;
			memcpy(r[count].p, buf + off + 4, l < sizeof(r[count].p) ? l :
			    sizeof(r[count].p));
		}
		count++;
		off += 4 + l;
	}
	return count;
}

struct accept_ctx {
	int		 calls;
};

/* Only resp_msg answers the request. */
static int
accept_resp(void *ctx, const uint8_t *p, size_t len)
{
	((struct accept_ctx *)ctx)->calls++;
	return len == sizeof(resp_msg) && memcmp(p, resp_msg, len) == 0;
}

static int
accept_fail(void *ctx, const uint8_t *p, size_t len)
{
	(void)ctx;
	(void)p;
	(void)len;
	return rkmp_err_set(RKMP_E_INVALID, "test", "accept says no");
}

/* ------------------------------------------------------------ parse / format */

TEST(udp_parse_format)
{
	static const struct {
		const char	*in;
		uint16_t	 def;
		const char	*out;
	} t[] = {
		{ "192.0.2.1",			500,	"192.0.2.1:500" },
		{ "192.0.2.1:500",		4500,	"192.0.2.1:500" },
		{ "192.0.2.1:65535",		500,	"192.0.2.1:65535" },
		{ "192.0.2.1:1",		500,	"192.0.2.1:1" },
		{ "[2001:db8::1]:50500",	500,	"[2001:db8::1]:50500" },
		{ "[2001:db8::1]",		500,	"[2001:db8::1]:500" },
		{ "2001:db8::1",		50500,	"[2001:db8::1]:50500" },
		{ "::1",			500,	"[::1]:500" },
		{ "::",				500,	"[::]:500" },
		{ "0.0.0.0:4500",		500,	"0.0.0.0:4500" },
		{ "127.0.0.1:0500",		1,	"127.0.0.1:500" },
	};
	struct rkmp_udp_addr a;
	char s[96];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ASSERT_INT_EQ(rkmp_udp_parse(t[i].in, t[i].def, &a), 0);
		rkmp_udp_format(&a, s, sizeof(s));
		ASSERT_STR_EQ(s, t[i].out);
	}
	ASSERT_INT_EQ(rkmp_udp_parse("[2001:db8::1]:50500", 500, &a), 0);
	ASSERT_INT_EQ(a.ss.ss_family, AF_INET6);
	ASSERT_INT_EQ(a.len, sizeof(struct sockaddr_in6));
	ASSERT_INT_EQ(rkmp_udp_port(&a), 50500);
	ASSERT_INT_EQ(rkmp_udp_parse("192.0.2.1", 500, &a), 0);
	ASSERT_INT_EQ(a.ss.ss_family, AF_INET);
	ASSERT_INT_EQ(a.len, sizeof(struct sockaddr_in));
	ASSERT_INT_EQ(rkmp_udp_port(&a), 500);

	/* a name, with a numeric service */
	ASSERT_INT_EQ(rkmp_udp_parse("localhost:500", 4500, &a), 0);
	ASSERT_INT_EQ(rkmp_udp_port(&a), 500);
	rkmp_udp_format(&a, s, sizeof(s));
	ASSERT_TRUE(strcmp(s, "127.0.0.1:500") == 0 || strcmp(s, "[::1]:500") == 0);

	/* a short output buffer truncates, still terminated */
	ASSERT_INT_EQ(rkmp_udp_parse("192.0.2.1:500", 500, &a), 0);
	rkmp_udp_format(&a, s, 5);
	ASSERT_STR_EQ(s, "192.");
}

/* rkmp_udp_same: address octets (and scope), the port only when asked */
TEST(udp_same)
{
	struct rkmp_udp_addr a, b;

	ASSERT_INT_EQ(rkmp_udp_parse("192.0.2.1:500", 500, &a), 0);
	ASSERT_INT_EQ(rkmp_udp_parse("192.0.2.1:4500", 500, &b), 0);
	ASSERT_TRUE(rkmp_udp_same(&a, &b, false));
	ASSERT_TRUE(!rkmp_udp_same(&a, &b, true));
	ASSERT_INT_EQ(rkmp_udp_parse("192.0.2.1:500", 500, &b), 0);
	ASSERT_TRUE(rkmp_udp_same(&a, &b, true));
	ASSERT_INT_EQ(rkmp_udp_parse("192.0.2.2:500", 500, &b), 0);
	ASSERT_TRUE(!rkmp_udp_same(&a, &b, false));
	/* another family, even for the "same" address (IPv4-mapped) */
	ASSERT_INT_EQ(rkmp_udp_parse("[::ffff:192.0.2.1]:500", 500, &b), 0);
	ASSERT_TRUE(!rkmp_udp_same(&a, &b, false));
	ASSERT_INT_EQ(rkmp_udp_parse("[2001:db8::1]:500", 500, &a), 0);
	ASSERT_INT_EQ(rkmp_udp_parse("[2001:db8::1]:9", 500, &b), 0);
	ASSERT_TRUE(rkmp_udp_same(&a, &b, false));
	ASSERT_TRUE(!rkmp_udp_same(&a, &b, true));
	ASSERT_INT_EQ(rkmp_udp_parse("[2001:db8::2]:9", 500, &a), 0);
	ASSERT_TRUE(!rkmp_udp_same(&a, &b, false));
}

TEST(udp_parse_errors)
{
	static const struct {
		const char	*in;
		const char	*text;
	} t[] = {
		{ "192.0.2.1:70000",	"192.0.2.1:70000: port 70000 not in 1..65535" },
		{ "192.0.2.1:0",	"192.0.2.1:0: port 0 not in 1..65535" },
		{ "192.0.2.1:",		"192.0.2.1:: port  not in 1..65535" },
		{ "192.0.2.1:ike",	"192.0.2.1:ike: port ike not in 1..65535" },
		{ "192.0.2.1:99999999999999999999", "port 99999999999999999999 not in 1..65535" },
		{ "[2001:db8::1]:0",	"[2001:db8::1]:0: port 0 not in 1..65535" },
		{ "[2001:db8::1]:-1",	"port -1 not in 1..65535" },
		{ "300.1.1.1",		"300.1.1.1: not an address" },
		{ "192.0.2",		"192.0.2: not an address" },
		{ "2001:db8::zz",	"2001:db8::zz: not an address" },
		{ "[2001:db8::1",	"[2001:db8::1: not an address" },
		{ "[2001:db8::1]x",	"[2001:db8::1]x: not an address" },
		{ "[]:500",		"[]:500: not an address" },
		{ "[localhost]:500",	"[localhost]:500: not an address" },
		{ ":500",		":500: not an address" },
		{ "",			"not an address" },
	};
	struct rkmp_udp_addr a;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rkmp_err_clear();
		ASSERT_INT_EQ(rkmp_udp_parse(t[i].in, 500, &a), RKMP_E_USAGE);
		ASSERT_STR_CONTAINS(rkmp_err_text(), t[i].text);
	}
	/* no port given and no usable default */
	ASSERT_INT_EQ(rkmp_udp_parse("192.0.2.1", 0, &a), RKMP_E_USAGE);
	ASSERT_STR_CONTAINS(rkmp_err_text(), "port 0 not in 1..65535");
	ASSERT_INT_EQ(rkmp_udp_parse(NULL, 500, &a), RKMP_E_USAGE);
}

/* ------------------------------------------------------------ requester */

TEST(udp_request_first_try)
{
	struct rkmp_udp_policy pol = { .timeout = 2.0, .base = 2.0, .tries = 1 };
	struct peer_plan pl = { .fd2 = -1, .ignore = 0, .marker = 1 };
	struct accept_ctx ac = { 0 };
	struct rkmp_udp *u;
	struct peer pe;
	struct rec r[MAXREC];
	uint8_t *resp = NULL;
	size_t len = 0, n;
	int rc;

	ASSERT_INT_EQ(peer_start(&pe, &pl, AF_INET, 0), 0);
	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_INET), 0);	/* unbound: ephemeral port */
	rc = rkmp_udp_request(u, &pe.addr, req_msg, sizeof(req_msg), &pol, accept_resp, &ac,
	    &resp, &len);
	n = peer_finish(&pe, r, MAXREC);
	rkmp_udp_close(u);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(ac.calls, 1);
	ASSERT_INT_EQ(len, sizeof(resp_msg));
	ASSERT_MEM_EQ(resp, resp_msg, len);
	free(resp);
}

TEST(udp_request_retransmits)
{
	/* intervals 30 ms, 150 ms, then 750 ms for the answer to the third copy */
	struct rkmp_udp_policy pol = { .timeout = 0.03, .base = 5.0, .tries = 2 };
	struct peer_plan pl = { .fd2 = -1, .ignore = 2, .marker = 1 };
	struct accept_ctx ac = { 0 };
	struct rkmp_udp *u;
	struct peer pe;
	struct rec r[MAXREC];
	uint8_t *resp = NULL;
	size_t len = 0, n, i;
	int rc;

	ASSERT_INT_EQ(peer_start(&pe, &pl, AF_INET, 0), 0);
	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_INET), 0);
	rc = rkmp_udp_request(u, &pe.addr, req_msg, sizeof(req_msg), &pol, accept_resp, &ac,
	    &resp, &len);
	n = peer_finish(&pe, r, MAXREC);
	rkmp_udp_close(u);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_INT_EQ(n, 3);
	for (i = 0; i < n; i++) {
		ASSERT_INT_EQ(r[i].len, sizeof(marker) + sizeof(req_msg));
		ASSERT_MEM_EQ(r[i].p, r[0].p, r[0].len);
		ASSERT_MEM_EQ(r[i].p + sizeof(marker), req_msg, sizeof(req_msg));
	}
	ASSERT_INT_EQ(len, sizeof(resp_msg));
	ASSERT_MEM_EQ(resp, resp_msg, len);
	free(resp);
}

TEST(udp_request_no_answer)
{
	/* 20 + 30 + 45 + 67.5 ms */
	struct rkmp_udp_policy pol = { .timeout = 0.02, .base = 1.5, .tries = 3 };
	struct rkmp_udp_addr pa;
	struct rkmp_udp *u;
	struct rec r[MAXREC];
	char want[256], name[96];
	uint8_t *resp = (uint8_t *)&pol;
	size_t len = 7, n, i;
	int fd, rc;

	ASSERT_TRUE((fd = raw_open(AF_INET, 0, &pa)) != -1);
	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_INET), 0);
	rkmp_err_clear();
	rc = rkmp_udp_request(u, &pa, req_msg, sizeof(req_msg), &pol, NULL, NULL, &resp, &len);
	n = raw_drain(fd, 0, r, MAXREC, NULL);
	close(fd);
	rkmp_udp_close(u);
	ASSERT_INT_EQ(rc, RKMP_E_TRANSPORT);
	ASSERT_TRUE(resp == NULL);
	ASSERT_INT_EQ(len, 0);
	ASSERT_INT_EQ(n, 1 + pol.tries);
	for (i = 0; i < n; i++) {
		ASSERT_INT_EQ(r[i].len, r[0].len);
		ASSERT_MEM_EQ(r[i].p, r[0].p, r[0].len);
	}
	rkmp_udp_format(&pa, name, sizeof(name));
	snprintf(want, sizeof(want), "no answer from %s after 3 retransmissions (", name);
	ASSERT_STR_CONTAINS(rkmp_err_text(), want);
	ASSERT_STR_CONTAINS(rkmp_err_text(), " s)");
}

TEST(udp_request_accept_ignores_stray)
{
	/* one try only: the stray must not end the wait nor cause a retransmission */
	struct rkmp_udp_policy pol = { .timeout = 2.0, .base = 1.0, .tries = 0 };
	struct peer_plan pl = { .fd2 = -1, .stray = 1, .marker = 1 };
	struct accept_ctx ac = { 0 };
	struct rkmp_udp *u;
	struct peer pe;
	struct rec r[MAXREC];
	uint8_t *resp = NULL;
	size_t len = 0, n;
	int rc;

	ASSERT_INT_EQ(peer_start(&pe, &pl, AF_INET, 0), 0);
	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_INET), 0);
	rc = rkmp_udp_request(u, &pe.addr, req_msg, sizeof(req_msg), &pol, accept_resp, &ac,
	    &resp, &len);
	n = peer_finish(&pe, r, MAXREC);
	rkmp_udp_close(u);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(ac.calls, 2);		/* the stray, then the answer */
	ASSERT_INT_EQ(len, sizeof(resp_msg));
	ASSERT_MEM_EQ(resp, resp_msg, len);
	free(resp);
}

TEST(udp_request_other_source_ignored)
{
	struct rkmp_udp_policy pol = { .timeout = 2.0, .base = 1.0, .tries = 0 };
	struct peer_plan pl = { .fake = 1, .marker = 1 };
	struct accept_ctx ac = { 0 };
	struct rkmp_udp_addr a2;
	struct rkmp_udp *u;
	struct peer pe;
	struct rec r[MAXREC];
	uint8_t *resp = NULL;
	size_t len = 0, n;
	int rc;

	/* the fake answer comes from the peer's address, another port: never offered */
	ASSERT_TRUE((pl.fd2 = raw_open(AF_INET, 0, &a2)) != -1);
	ASSERT_INT_EQ(peer_start(&pe, &pl, AF_INET, 0), 0);
	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_INET), 0);
	rc = rkmp_udp_request(u, &pe.addr, req_msg, sizeof(req_msg), &pol, accept_resp, &ac,
	    &resp, &len);
	n = peer_finish(&pe, r, MAXREC);
	rkmp_udp_close(u);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(ac.calls, 1);		/* the fake was never offered */
	ASSERT_INT_EQ(len, sizeof(resp_msg));
	ASSERT_MEM_EQ(resp, resp_msg, len);
	free(resp);
}

TEST(udp_request_accept_error)
{
	struct rkmp_udp_policy pol = { .timeout = 2.0, .base = 1.0, .tries = 0 };
	struct peer_plan pl = { .fd2 = -1, .marker = 1 };
	struct rkmp_udp *u;
	struct peer pe;
	struct rec r[MAXREC];
	uint8_t *resp = NULL;
	size_t len = 0;
	int rc;

	ASSERT_INT_EQ(peer_start(&pe, &pl, AF_INET, 0), 0);
	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_INET), 0);
	rc = rkmp_udp_request(u, &pe.addr, req_msg, sizeof(req_msg), &pol, accept_fail, NULL,
	    &resp, &len);
	(void)peer_finish(&pe, r, MAXREC);
	rkmp_udp_close(u);
	ASSERT_INT_EQ(rc, RKMP_E_INVALID);
	ASSERT_TRUE(resp == NULL);
	ASSERT_STR_EQ(rkmp_err_text(), "test: accept says no");
}

/* ------------------------------------------------------------ marker rule */

TEST(udp_marker_on_other_ports)
{
	struct rkmp_udp_policy pol = { .wait = 2.0 };
	struct rkmp_udp_addr ua, pa, from;
	struct rkmp_udp *u;
	struct rec r[MAXREC];
	uint8_t *got = NULL;
	size_t len = 0, n;
	int fd;

	ASSERT_INT_EQ(udp_open_loop(AF_INET, &u, &ua), 0);
	ASSERT_TRUE((fd = raw_open(AF_INET, 0, &pa)) != -1);
	ASSERT_TRUE(rkmp_udp_port(&ua) != 500 && rkmp_udp_port(&pa) != 500);

	/* out: the peer sees 00000000 + msg */
	ASSERT_INT_EQ(rkmp_udp_send(u, &pa, req_msg, sizeof(req_msg)), 0);
	n = raw_drain(fd, 1000, r, MAXREC, NULL);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(r[0].len, 4 + sizeof(req_msg));
	ASSERT_MEM_EQ(r[0].p, marker, 4);
	ASSERT_MEM_EQ(r[0].p + 4, req_msg, sizeof(req_msg));

	/* in: 00000000 + msg arrives as msg, with its source */
	raw_send(fd, &ua, marker, sizeof(marker), resp_msg, sizeof(resp_msg));
	ASSERT_INT_EQ(rkmp_udp_receive(u, &pol, &got, &len, &from), 0);
	ASSERT_INT_EQ(len, sizeof(resp_msg));
	ASSERT_MEM_EQ(got, resp_msg, len);
	ASSERT_INT_EQ(rkmp_udp_port(&from), rkmp_udp_port(&pa));
	ASSERT_INT_EQ(from.ss.ss_family, AF_INET);
	free(got);
	close(fd);
	rkmp_udp_close(u);
}

TEST(udp_receive_ignores_esp_and_keepalive)
{
	static const uint8_t esp[] = { 0, 0, 0x10, 0x01, 0, 0, 0, 1, 0xde, 0xad };
	static const uint8_t keepalive[] = { 0xff };
	struct rkmp_udp_policy pol = { .wait = 2.0 };
	struct rkmp_udp_addr ua, pa, from;
	struct rkmp_udp *u;
	uint8_t *got = NULL;
	size_t len = 0;
	int fd;

	ASSERT_INT_EQ(udp_open_loop(AF_INET, &u, &ua), 0);
	ASSERT_TRUE((fd = raw_open(AF_INET, 0, &pa)) != -1);
	raw_send(fd, &ua, NULL, 0, esp, sizeof(esp));		/* SPI 0x1001: ESP */
	raw_send(fd, &ua, NULL, 0, keepalive, sizeof(keepalive));
	raw_send(fd, &ua, NULL, 0, req_msg, sizeof(req_msg));	/* no marker: ESP-like */
	raw_send(fd, &ua, marker, sizeof(marker), resp_msg, sizeof(resp_msg));
	ASSERT_INT_EQ(rkmp_udp_receive(u, &pol, &got, &len, &from), 0);
	ASSERT_INT_EQ(len, sizeof(resp_msg));
	ASSERT_MEM_EQ(got, resp_msg, len);
	free(got);
	close(fd);
	rkmp_udp_close(u);
}

/* Port 500 needs root; skipped quietly otherwise, or when 500 is busy. */
TEST(udp_no_marker_with_port_500)
{
	struct rkmp_udp_policy pol = { .timeout = 2.0, .base = 1.0, .tries = 0, .wait = 2.0 };
	struct peer_plan pl = { .fd2 = -1, .marker = 0 };
	struct rkmp_udp_addr a500, pa, from;
	struct rkmp_udp *u;
	struct peer pe;
	struct rec r[MAXREC];
	uint8_t *resp = NULL;
	size_t len = 0, n;
	int fd, rc;

	if ((fd = raw_open(AF_INET, 500, &a500)) == -1) {
		fprintf(stderr, "udp_no_marker_with_port_500: skipped, cannot bind 127.0.0.1:500\n");
		return;
	}
	close(fd);

	/* we are not on 500, the peer is: no marker either way */
	if (peer_start(&pe, &pl, AF_INET, 500) == -1) {
		fprintf(stderr, "udp_no_marker_with_port_500: skipped, 127.0.0.1:500 taken\n");
		return;
	}
	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_INET), 0);
	rc = rkmp_udp_request(u, &pe.addr, req_msg, sizeof(req_msg), &pol, NULL, NULL,
	    &resp, &len);
	n = peer_finish(&pe, r, MAXREC);
	rkmp_udp_close(u);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(r[0].len, sizeof(req_msg));
	ASSERT_MEM_EQ(r[0].p, req_msg, sizeof(req_msg));
	ASSERT_INT_EQ(len, sizeof(resp_msg));
	ASSERT_MEM_EQ(resp, resp_msg, len);
	free(resp);

	/* we are on 500, the peer is not: no marker either way */
	loop_addr(AF_INET, 500, &a500);
	if (rkmp_udp_open(&u, &a500, AF_INET) != 0) {
		fprintf(stderr, "udp_no_marker_with_port_500: skipped, 127.0.0.1:500 taken\n");
		return;
	}
	ASSERT_TRUE((fd = raw_open(AF_INET, 0, &pa)) != -1);
	ASSERT_INT_EQ(rkmp_udp_send(u, &pa, req_msg, sizeof(req_msg)), 0);
	n = raw_drain(fd, 1000, r, MAXREC, NULL);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(r[0].len, sizeof(req_msg));
	ASSERT_MEM_EQ(r[0].p, req_msg, sizeof(req_msg));
	raw_send(fd, &a500, NULL, 0, resp_msg, sizeof(resp_msg));
	ASSERT_INT_EQ(rkmp_udp_receive(u, &pol, &resp, &len, &from), 0);
	ASSERT_INT_EQ(len, sizeof(resp_msg));
	ASSERT_MEM_EQ(resp, resp_msg, len);
	free(resp);
	close(fd);
	rkmp_udp_close(u);
}

/* ------------------------------------------------------------ responder */

TEST(udp_receive_timeout)
{
	struct rkmp_udp_policy pol = { .wait = 0.03 };
	struct rkmp_udp_addr ua, from;
	struct rkmp_udp *u;
	uint8_t *got = (uint8_t *)&pol;
	size_t len = 3;
	char want[256], name[96];

	ASSERT_INT_EQ(udp_open_loop(AF_INET, &u, &ua), 0);
	rkmp_err_clear();
	ASSERT_INT_EQ(rkmp_udp_receive(u, &pol, &got, &len, &from), RKMP_E_TRANSPORT);
	ASSERT_TRUE(got == NULL);
	ASSERT_INT_EQ(len, 0);
	rkmp_udp_format(&ua, name, sizeof(name));
	snprintf(want, sizeof(want), "no request on %s within 0.03 s", name);
	ASSERT_STR_EQ(rkmp_err_text(), want);
	rkmp_udp_close(u);
}

TEST(udp_linger_answers_duplicates)
{
	static const uint8_t other[] = { 0x77, 0x66, 0x55, 0x44, 1, 2, 3 };
	struct rkmp_udp_addr ua, pa;
	struct rkmp_udp *u;
	struct rec r[MAXREC];
	size_t n, i;
	int fd;

	ASSERT_INT_EQ(udp_open_loop(AF_INET, &u, &ua), 0);
	ASSERT_TRUE((fd = raw_open(AF_INET, 0, &pa)) != -1);
	/* the same request twice, a different one, the request without its marker */
	raw_send(fd, &ua, marker, sizeof(marker), req_msg, sizeof(req_msg));
	raw_send(fd, &ua, marker, sizeof(marker), other, sizeof(other));
	raw_send(fd, &ua, marker, sizeof(marker), req_msg, sizeof(req_msg) - 1);
	raw_send(fd, &ua, NULL, 0, req_msg, sizeof(req_msg));
	raw_send(fd, &ua, marker, sizeof(marker), req_msg, sizeof(req_msg));
	ASSERT_INT_EQ(rkmp_udp_linger(u, req_msg, sizeof(req_msg), resp_msg, sizeof(resp_msg),
	    0.1), 0);
	n = raw_drain(fd, 0, r, MAXREC, NULL);
	ASSERT_INT_EQ(n, 2);
	for (i = 0; i < n; i++) {
		ASSERT_INT_EQ(r[i].len, 4 + sizeof(resp_msg));
		ASSERT_MEM_EQ(r[i].p, marker, 4);
		ASSERT_MEM_EQ(r[i].p + 4, resp_msg, sizeof(resp_msg));
	}
	/* no time, nothing done */
	ASSERT_INT_EQ(rkmp_udp_linger(u, req_msg, sizeof(req_msg), resp_msg, sizeof(resp_msg),
	    0), 0);
	close(fd);
	rkmp_udp_close(u);
}

/* ------------------------------------------------------------ IPv6, errors */

TEST(udp_ipv6_roundtrip)
{
	struct rkmp_udp_policy pol = { .timeout = 2.0, .base = 1.0, .tries = 0 };
	struct peer_plan pl = { .fd2 = -1, .ignore = 0, .marker = 1 };
	struct accept_ctx ac = { 0 };
	struct rkmp_udp_addr a6;
	struct rkmp_udp *u;
	struct peer pe;
	struct rec r[MAXREC];
	uint8_t *resp = NULL;
	size_t len = 0, n;
	int fd, rc;

	if ((fd = raw_open(AF_INET6, 0, &a6)) == -1) {
		fprintf(stderr, "udp_ipv6_roundtrip: skipped, ::1 unavailable\n");
		return;
	}
	close(fd);
	ASSERT_INT_EQ(peer_start(&pe, &pl, AF_INET6, 0), 0);
	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_INET6), 0);
	rc = rkmp_udp_request(u, &pe.addr, req_msg, sizeof(req_msg), &pol, accept_resp, &ac,
	    &resp, &len);
	n = peer_finish(&pe, r, MAXREC);
	rkmp_udp_close(u);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(r[0].len, 4 + sizeof(req_msg));
	ASSERT_MEM_EQ(r[0].p + 4, req_msg, sizeof(req_msg));
	ASSERT_INT_EQ(len, sizeof(resp_msg));
	ASSERT_MEM_EQ(resp, resp_msg, len);
	free(resp);
}

TEST(udp_bind_in_use)
{
	struct rkmp_udp_addr a;
	struct rkmp_udp *u, *u2;
	char want[256], name[96];
	int fd;

	/* taken by somebody else */
	ASSERT_TRUE((fd = raw_open(AF_INET, 0, &a)) != -1);
	rkmp_err_clear();
	ASSERT_INT_EQ(rkmp_udp_open(&u, &a, AF_INET), RKMP_E_TRANSPORT);
	ASSERT_TRUE(u == NULL);
	rkmp_udp_format(&a, name, sizeof(name));
	snprintf(want, sizeof(want), "bind %s: %s", name, strerror(EADDRINUSE));
	ASSERT_STR_EQ(rkmp_err_text(), want);
	ASSERT_STR_CONTAINS(rkmp_err_text(), "Address already in use");
	close(fd);

	/* free again at once; and two of ours cannot share it either */
	ASSERT_INT_EQ(rkmp_udp_open(&u, &a, AF_INET), 0);
	ASSERT_INT_EQ(rkmp_udp_open(&u2, &a, AF_INET), RKMP_E_TRANSPORT);
	ASSERT_STR_CONTAINS(rkmp_err_text(), "Address already in use");
	rkmp_udp_close(u);
	ASSERT_INT_EQ(rkmp_udp_open(&u, &a, AF_INET), 0);	/* the next step binds it */
	rkmp_udp_close(u);
	rkmp_udp_close(NULL);
}

TEST(udp_family_mismatch)
{
	struct rkmp_udp_addr a;
	struct rkmp_udp *u;

	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_UNSPEC), RKMP_E_USAGE);
	ASSERT_INT_EQ(rkmp_udp_parse("[2001:db8::1]:500", 500, &a), 0);
	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_INET), 0);
	rkmp_err_clear();
	ASSERT_INT_EQ(rkmp_udp_send(u, &a, req_msg, sizeof(req_msg)), RKMP_E_USAGE);
	ASSERT_STR_CONTAINS(rkmp_err_text(), "[2001:db8::1]:500: not an IPv4 address");
	rkmp_udp_close(u);
}

/* The progress lines a requester gets (DESIGN.md §6: waiting is never silent). */
struct said {
	char	 lines[16][256];
	size_t	 n;
};

static void
said_line(void *ctx, const char *line)
{
	struct said *s = ctx;

	if (s->n < 16)
		snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s", line);
}

TEST(udp_request_says_retransmissions_and_icmp)
{
	struct said s = { .n = 0 };
	struct rkmp_udp_policy pol = { .timeout = 0.05, .base = 2.0, .tries = 2,
	    .say = said_line, .say_ctx = &s };
	struct rkmp_udp_addr pa, local;
	struct rkmp_udp *u;
	uint8_t *resp = NULL;
	size_t len = 0, icmp = 0;
	char name[96], want[160];
	int fd, rc;

	/* a port nobody listens on: bound for a moment, then closed */
	ASSERT_TRUE((fd = raw_open(AF_INET, 0, &pa)) != -1);
	close(fd);
	ASSERT_INT_EQ(rkmp_udp_open(&u, NULL, AF_INET), 0);
	/* connected, as the step tools' requester is: ICMP errors reach it */
	ASSERT_INT_EQ(rkmp_udp_local_for(u, &pa, &local), 0);
	rc = rkmp_udp_request(u, &pa, req_msg, sizeof(req_msg), &pol, NULL, NULL, &resp, &len);
	rkmp_udp_close(u);
	ASSERT_INT_EQ(rc, RKMP_E_TRANSPORT);
	rkmp_udp_format(&pa, name, sizeof(name));
	snprintf(want, sizeof(want), "retransmit 1/2 to %s, next in 0.1 s", name);
	ASSERT_TRUE(s.n >= 2);
	for (size_t i = 0; i < s.n; i++)
		icmp += strstr(s.lines[i], "ICMP port unreachable from ") != NULL;
	ASSERT_TRUE(icmp >= 1);
	ASSERT_STR_CONTAINS(s.lines[0], "ICMP port unreachable from ");
	ASSERT_STR_CONTAINS(s.lines[0], "nothing authenticates it, waiting on");
	{
		bool r1 = false, r2 = false;

		for (size_t i = 0; i < s.n; i++) {
			r1 = r1 || strcmp(s.lines[i], want) == 0;
			if (strstr(s.lines[i], "retransmit 2/2 to ") && strstr(s.lines[i], ", giving up in 0.2 s"))
				r2 = true;
		}
		ASSERT_TRUE(r1);
		ASSERT_TRUE(r2);
	}
	snprintf(want, sizeof(want), "no answer from %s after 2 retransmissions (", name);
	ASSERT_STR_CONTAINS(rkmp_err_text(), want);
	ASSERT_STR_CONTAINS(rkmp_err_text(), "; ICMP port unreachable ");
}

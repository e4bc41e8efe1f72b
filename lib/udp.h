/* SPDX-License-Identifier: MIT */
/*
 * udp.h — the UDP transport of the step binaries (RFC 7296 §2.1, §2.4):
 * the requester sends and retransmits bitwise-identical datagrams with
 * exponential back-off until an answer comes or the tries run out; the
 * responder waits for a request and answers a duplicate from its cache.
 * IPv4 and IPv6; the non-ESP marker (4 zero octets) is added and stripped
 * when either port is not 500 (RFC 3948, as strongSwan does).
 */
#ifndef RKMP_UDP_H
#define RKMP_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

struct rkmp_udp_addr {
	struct sockaddr_storage	ss;
	socklen_t		len;
};

/*
 * Retransmission policy: timeout * base^n for n = 0..tries (strongSwan: 4.0,
 * 1.8, 5).  Waiting is never silent: say, when set, gets one line (no
 * newline) per retransmission ("retransmit 2/5 to 192.0.2.2:500, next in
 * 7.2 s") and per ICMP error ("ICMP port unreachable from ..."); the library
 * itself prints nothing.
 */
struct rkmp_udp_policy {
	double		 timeout;	/* seconds before the first retransmit */
	double		 base;
	unsigned	 tries;		/* retransmits after the first send */
	double		 wait;		/* responder: how long to wait for a request (0 = forever) */
	void		(*say)(void *ctx, const char *line);
	void		*say_ctx;
};

/* "192.0.2.1", "192.0.2.1:500", "[2001:db8::1]:50500", "host:port"; default_port when none.
 * RKMP_E_USAGE with the text when it does not parse or resolve. */
int	rkmp_udp_parse(const char *text, uint16_t default_port, struct rkmp_udp_addr *out);
void	rkmp_udp_format(const struct rkmp_udp_addr *a, char *out, size_t outlen);	/* "addr:port" */
uint16_t rkmp_udp_port(const struct rkmp_udp_addr *a);
/* The numeric host ("" when it has none) and the port apart, as a state keeps them. */
void	rkmp_udp_host(const struct rkmp_udp_addr *a, char *host, size_t n, uint16_t *port);
/* Whether a and b are the same address (IPv6: with its scope) and, when
 * port_too, the same port; compared as octets, no text (rkmpd matches every
 * new RKMP_SA_INIT against each configured peer). */
bool	rkmp_udp_same(const struct rkmp_udp_addr *a, const struct rkmp_udp_addr *b, bool port_too);
void	rkmp_udp_set_port(struct rkmp_udp_addr *a, uint16_t port);
/* Whether text, as rkmp_udp_parse reads it, names a port ("a:500", "[v6]:500"). */
bool	rkmp_udp_port_given(const char *text);

struct rkmp_udp;
/* A socket bound to local (NULL = any address of the peer's family, port 0). */
int	rkmp_udp_open(struct rkmp_udp **u, const struct rkmp_udp_addr *local, int family);
void	rkmp_udp_close(struct rkmp_udp *u);
/*
 * A second socket bound to local (a responder of the ikev2 profile listens
 * on 500 and 4500, DESIGN.md §6): datagrams are received on either, and what
 * is sent goes out of the one the last datagram came in on (its port decides
 * the marker), so an answer leaves from where its request arrived.
 */
int	rkmp_udp_also(struct rkmp_udp *u, const struct rkmp_udp_addr *local);

/*
 * Requester: send msg to peer, wait for a datagram from peer that accept()
 * says answers it (returns 1; 0 ignores it: a stray or a retransmitted
 * older response), retransmitting per policy.  The answer (marker stripped)
 * goes to resp (malloc'd).  RKMP_E_TRANSPORT "no answer from ADDR after N
 * retransmissions (T s)" on timeout (with ", ICMP port unreachable N times"
 * when the peer's host said so: the requester keeps retransmitting through
 * ICMP errors, which nothing authenticates, RFC 7296 §2.4), or on a socket
 * error.
 */
int	rkmp_udp_request(struct rkmp_udp *u, const struct rkmp_udp_addr *peer, const uint8_t *msg,
	    size_t len, const struct rkmp_udp_policy *pol,
	    int (*accept)(void *ctx, const uint8_t *p, size_t len), void *ctx,
	    uint8_t **resp, size_t *resp_len);
/*
 * Responder: wait for a datagram (any source; marker stripped) -> *req
 * (malloc'd) and its source.  RKMP_E_TRANSPORT on timeout (pol->wait).
 */
int	rkmp_udp_receive(struct rkmp_udp *u, const struct rkmp_udp_policy *pol, uint8_t **req,
	    size_t *len, struct rkmp_udp_addr *from);
/*
 * An event loop's hold on the sockets (rkmpd): their descriptors (at most
 * max) for poll(2), and one datagram read from socket i without blocking
 * (marker stripped; sends go out of socket i from now on): 1 with it in *p
 * (valid until the next read) and its source in *from, 0 when there was
 * nothing usable, <0 on a socket error.
 */
unsigned rkmp_udp_fds(const struct rkmp_udp *u, int *fds, unsigned max);
int	rkmp_udp_read(struct rkmp_udp *u, unsigned i, const uint8_t **p, size_t *len,
	    struct rkmp_udp_addr *from);
/* The address and port the socket is bound to (the one the last datagram came in on). */
int	rkmp_udp_local(struct rkmp_udp *u, struct rkmp_udp_addr *out);
/* Connect to peer and return the local address and port chosen for it. */
int	rkmp_udp_local_for(struct rkmp_udp *u, const struct rkmp_udp_addr *peer,
	    struct rkmp_udp_addr *out);
/* The IKE octets one datagram of at most `datagram` octets of IP carries to
 * peer from u's current socket: less the IP and UDP headers and the marker
 * (for RFC 7383 --fragment-size; 0 when nothing fits). */
size_t	rkmp_udp_room(struct rkmp_udp *u, const struct rkmp_udp_addr *peer, size_t datagram);
/* Send msg (adding the marker when needed): one datagram, or one per IKE message when
 * msg holds several one after another (RFC 7383 fragments).  rkmp_udp_request and
 * rkmp_udp_linger send so too. */
int	rkmp_udp_send(struct rkmp_udp *u, const struct rkmp_udp_addr *to, const uint8_t *msg,
	    size_t len);
/* The same out of socket i (as rkmp_udp_fds numbers them; sends go out of it
 * from now on): an event loop sends each SA's messages from the port its peer
 * knows it by (500, or 4500 after the peer floated), whatever came in last. */
int	rkmp_udp_send_on(struct rkmp_udp *u, unsigned i, const struct rkmp_udp_addr *to,
	    const uint8_t *msg, size_t len);
/*
 * Responder, after answering: keep answering bitwise-identical copies of
 * request req with the cached response resp for linger seconds (the peer may
 * not have received it); other datagrams are ignored.  0 when the time is up.
 */
int	rkmp_udp_linger(struct rkmp_udp *u, const uint8_t *req, size_t req_len, const uint8_t *resp,
	    size_t resp_len, double linger);

#endif

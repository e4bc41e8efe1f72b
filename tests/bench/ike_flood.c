/* SPDX-License-Identifier: MIT */
/*
 * rkmp-ike-flood — half-open IKE SAs for tests/bench/ike-load.sh: one
 * IKE_SA_INIT request (a file, as rkmp-init -o writes it) sent COUNT times,
 * each time under a fresh random SPIi and from a source port of its own
 * (BASE_PORT, BASE_PORT + 1, ...), and never followed by IKE_AUTH.  The
 * answers are counted: IKE_SA_INIT responses that made the responder keep
 * state (SA, KE, Nonce) and those that asked for a COOKIE first (RFC 7296
 * §2.6, no state kept).  To a port other than 500 every datagram starts
 * with the non-ESP marker (RFC 3948 §2.2: four zero octets), as from a
 * source port other than 500 strongSwan expects it.  Bench tool only; not
 * installed.
 *
 *   rkmp-ike-flood INIT.bin FROM_ADDR BASE_PORT TO_ADDR TO_PORT COUNT
 *
 * Output, one line: "sent N, answered A: S with state, C COOKIE, O other,
 * U unanswered".  Exit 0, 2 on a usage error, 7 on a system error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#define BATCH		256	/* sockets open at once */
#define QUIET_MS	1000	/* a batch ends when nothing came for this long */
#define NOTIFY_COOKIE	16390
#define PAYLOAD_N	41
#define MARKER		4	/* RFC 3948 §2.2 */

static int
usage(void)
{
	fprintf(stderr, "usage: rkmp-ike-flood INIT.bin FROM_ADDR BASE_PORT TO_ADDR TO_PORT COUNT\n");
	return 2;
}

static int
number(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && end != s && *v >= lo && *v <= hi ? 0 : -1;
}

/* An answer: 1 with state (no COOKIE notify first), 2 COOKIE, 0 other. */
static int
classify(const uint8_t *m, size_t len)
{
	if (len < 28 || m[17] != 0x20 || m[18] != 34 || !(m[19] & 0x20))
		return 0;	/* not an IKEv2 IKE_SA_INIT response */
	if (m[16] == PAYLOAD_N && len >= 36 && (m[28 + 6] << 8 | m[28 + 7]) == NOTIFY_COOKIE)
		return 2;
	return 1;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in from = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
	unsigned long sent = 0, state = 0, cookie = 0, other = 0;
	uint8_t dgram[MARKER + 4096], *msg = dgram + MARKER, buf[4096];
	long base, port, count;
	size_t len, marker;
	FILE *f;

	if (argc != 7 || inet_pton(AF_INET, argv[2], &from.sin_addr) != 1 ||
	    number(argv[3], 1, 65535, &base) != 0 || inet_pton(AF_INET, argv[4], &to.sin_addr) != 1 ||
	    number(argv[5], 1, 65535, &port) != 0 || number(argv[6], 1, 65535, &count) != 0)
		return usage();
	if (base + count - 1 > 65535) {
		fprintf(stderr, "rkmp-ike-flood: ports %ld..%ld: beyond 65535\n", base, base + count - 1);
		return 2;
	}
	to.sin_port = htons((uint16_t)port);
	if ((f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "rkmp-ike-flood: %s: %s\n", argv[1], strerror(errno));
		return 7;
	}
	len = fread(msg, 1, sizeof(dgram) - MARKER, f);
	fclose(f);
	if (len < 28 || msg[18] != 34 || (msg[19] & 0x20)) {
		fprintf(stderr, "rkmp-ike-flood: %s: %zu octets, not an IKE_SA_INIT request\n", argv[1],
		    len);
		return 2;
	}
	marker = port == 500 ? 0 : MARKER;
	memset(dgram, 0, MARKER);
	for (long at = 0; at < count; at += BATCH) {
		struct pollfd pfd[BATCH];
		int n = 0;

		for (long i = at; i < count && i < at + BATCH; i++) {
			int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

			from.sin_port = htons((uint16_t)(base + i));
			if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0) {
				fprintf(stderr, "rkmp-ike-flood: %s:%ld: %s\n", argv[2], base + i,
				    strerror(errno));
				return 7;
			}
			if (RAND_bytes(msg, 8) != 1)
				return 7;
			if (sendto(fd, msg - marker, len + marker, 0, (struct sockaddr *)&to,
			    sizeof(to)) == (ssize_t)(len + marker))
				sent++;
			pfd[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		}
		while (poll(pfd, (nfds_t)n, QUIET_MS) > 0)
			for (int i = 0; i < n; i++) {
				ssize_t r;

				if (pfd[i].revents == 0)
					continue;
				/* to EAGAIN; an error (ICMP port unreachable) is consumed by recv */
				while ((r = recv(pfd[i].fd, buf, sizeof(buf), 0)) >= 0 ||
				    (errno != EAGAIN && errno != EWOULDBLOCK))
					if (r >= (ssize_t)marker)
						switch (classify(buf + marker, (size_t)r - marker)) {
						case 1: state++; break;
						case 2: cookie++; break;
						default: other++; break;
						}
			}
		for (int i = 0; i < n; i++)
			close(pfd[i].fd);
	}
	printf("sent %lu, answered %lu: %lu with state, %lu COOKIE, %lu other, %lu unanswered\n", sent,
	    state + cookie + other, state, cookie, other,
	    sent > state + cookie + other ? sent - state - cookie - other : 0);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * rkmpctl — the handle on a running rkmpd (DESIGN.md §9): one request line
 * of JSON to its control socket, its answer printed (as it came with --json,
 * as text otherwise).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "dconf.h"
#include "err.h"
#include "nitems.h"
#include "udp.h"

enum { OPT_VERSION = 256, OPT_LIST_OPTIONS, OPT_LIST_COMMANDS, OPT_JSON, OPT_PROTOCOL, OPT_FOLLOW,
	OPT_TIMEOUT };

static const struct rkmp_opt opts[] = {
	{ "socket", 's', 1, "PATH", "rkmpd's control socket (default " RKMP_DCONF_CONTROL ")", 0 },
	{ "json", OPT_JSON, 0, NULL, "the daemon's answer as it came: one JSON line (errors too)", 0 },
	{ "protocol", OPT_PROTOCOL, 1, "P", "generate: the child's protocol (tcp-ao, bfd, ...; default: "
	    "each configured one that is missing)", 0 },
	{ "follow", OPT_FOLLOW, 0, NULL, "events: go on printing each new event until interrupted", 0 },
	{ "timeout", OPT_TIMEOUT, 1, "SECONDS", "how long to wait for the answer (default 30; the "
	    "daemon's exchanges go on after it)", 0 },
	{ "help", 'h', 0, NULL, "show this help", 0 },
	{ "version", OPT_VERSION, 0, NULL, "show the version, the commit and the OpenSSL version", 0 },
	{ "list-options", OPT_LIST_OPTIONS, 0, NULL, "list the options (for shell completion)", 0 },
	{ "list-commands", OPT_LIST_COMMANDS, 0, NULL, "list the commands (for shell completion)", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

/* The commands: name, arguments (min..max), usage; the request's second
 * argument is its key arg2 ("spi"). */
static const struct {
	const char	*name;
	int		 min, max;
	const char	*args;
	const char	*arg2;
} cmds[] = {
	{ "status", 0, 1, "[PEER]", NULL },
	{ "rekey", 2, 2, "PEER SPI", "spi" },
	{ "generate", 1, 1, "PEER [--protocol P]", NULL },
	{ "delete", 1, 2, "PEER [SPI]", "spi" },
	{ "up", 1, 1, "PEER", NULL },
	{ "down", 1, 1, "PEER", NULL },
	{ "reload", 0, 0, "no argument", NULL },
	{ "events", 0, 0, "no argument ([--follow])", NULL },
};

#define COMMANDS "status, rekey, generate, delete, up, down, reload or events"

/* The exit status's code, for the one error reporter. */
static int
code_of(int exit_status)
{
	for (int c = RKMP_E_TRUNCATED; c > RKMP_E_MAX_; c--)
		if (rkmp_err_exit(c) == exit_status)
			return c;
	return RKMP_E_INTERNAL;
}

static void
print_peer(json_t *p)
{
	json_t *cs = json_object_get(p, "children"), *c, *last = json_object_get(p, "last_exchange");
	const char *addr = json_string_value(json_object_get(p, "address"));
	const char *at = json_string_value(json_object_get(p, "peer_at"));
	json_int_t port = json_integer_value(json_object_get(p, "port"));
	struct rkmp_udp_addr conf, now;
	char text[96];
	size_t i;

	printf("%s: %s, %s, %s port %" JSON_INTEGER_FORMAT ", start %s, SPIs %s %s",
	    json_string_value(json_object_get(p, "name")), json_string_value(json_object_get(p, "phase")),
	    json_string_value(json_object_get(p, "role")), addr, port,
	    json_string_value(json_object_get(p, "start")),
	    json_string_value(json_object_get(p, "spi_i")), json_string_value(json_object_get(p, "spi_r")));
	/* where the peer is now, when not where it is configured (it floated to 4500, NAT) */
	snprintf(text, sizeof(text), addr && strchr(addr, ':') ? "[%s]:%" JSON_INTEGER_FORMAT :
	    "%s:%" JSON_INTEGER_FORMAT, addr ? addr : "", port);
	if (at != NULL && (rkmp_udp_parse(text, 0, &conf) != 0 || rkmp_udp_parse(at, 0, &now) != 0 ||
	    !rkmp_udp_same(&conf, &now, true)))
		printf(", now at %s", at);
	printf("\n");
	json_array_foreach(cs, i, c) {
		json_t *left = json_object_get(c, "lifetime_left"), *rk = json_object_get(c, "rekey_in");

		printf("  %s SPI %s (peer's %s) %s", json_string_value(json_object_get(c, "protocol")),
		    json_string_value(json_object_get(c, "spi")),
		    json_string_value(json_object_get(c, "spi_peer")),
		    json_string_value(json_object_get(c, "state")));
		if (left != NULL)
			printf(", lifetime left %" JSON_INTEGER_FORMAT " s", json_integer_value(left));
		if (rk != NULL)
			printf(", rekey in %" JSON_INTEGER_FORMAT " s", json_integer_value(rk));
		printf("\n");
	}
	if (json_is_string(json_object_get(p, "pending")))
		printf("  waiting for the answer to our %s request\n",
		    json_string_value(json_object_get(p, "pending")));
	if (json_is_true(json_object_get(p, "down")))
		printf("  down: no initiation and no new child SA until rkmpctl up\n");
	if (json_is_string(json_object_get(p, "reason")))
		printf("  reason: %s\n", json_string_value(json_object_get(p, "reason")));
	if (json_is_object(last))
		printf("  last exchange %" JSON_INTEGER_FORMAT " s ago: %s\n",
		    json_integer_value(json_object_get(last, "ago")),
		    json_string_value(json_object_get(last, "note")));
	printf("  %" JSON_INTEGER_FORMAT " exchanges, %" JSON_INTEGER_FORMAT " rekeys, %"
	    JSON_INTEGER_FORMAT " datagrams ignored\n", json_integer_value(json_object_get(p, "exchanges")),
	    json_integer_value(json_object_get(p, "rekeys")),
	    json_integer_value(json_object_get(p, "ignored")));
}

static const char *
str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

/* An event line as text: time, peer, event, the child and its key names. */
static void
print_event(json_t *e)
{
	json_t *rows = json_object_get(e, "rows"), *cs = json_object_get(e, "children"), *c;
	size_t i;

	printf("%s %s %s", str(e, "time"), str(e, "name"), str(e, "event"));
	if (json_object_get(e, "protocol") != NULL)
		printf(" %s %s/%s", str(e, "protocol"), str(e, "local_key_name"), str(e, "peer_key_name"));
	if (json_object_get(e, "old_local_key_name") != NULL)
		printf(" replacing %s/%s", str(e, "old_local_key_name"), str(e, "old_peer_key_name"));
	if (json_is_array(cs) && json_array_size(cs) > 0) {
		printf(" children");
		json_array_foreach(cs, i, c)
			printf(" %s", json_string_value(c) ? json_string_value(c) : "?");
	}
	if (json_is_true(json_object_get(e, "children_kept")))
		printf(" (children kept)");
	if (json_is_integer(rows))
		printf(", %" JSON_INTEGER_FORMAT " row%s", json_integer_value(rows),
		    json_integer_value(rows) == 1 ? "" : "s");
	printf(", RKMP SA %s", str(e, "rkmp_sa"));
	if (json_object_get(e, "reason") != NULL)
		printf(": %s", str(e, "reason"));
	printf("\n");
}

static void
print_answer(const char *cmd, json_t *ans)
{
	json_t *k = json_object_get(ans, cmd), *c;
	size_t i;

	if (strcmp(cmd, "status") == 0) {
		json_array_foreach(json_object_get(ans, "peers"), i, c)
			print_peer(c);
	} else if (strcmp(cmd, "rekey") == 0) {
		printf("%s: child SA %s rekeyed: new SPI %s\n", str(k, "peer"), str(k, "spi"),
		    str(k, "new_spi"));
	} else if (strcmp(cmd, "generate") == 0 || strcmp(cmd, "up") == 0) {
		json_array_foreach(json_object_get(k, "children"), i, c)
			printf("%s: %s %s child SA, SPI %s (peer's %s)\n", str(k, "peer"),
			    json_is_true(json_object_get(c, "new")) ? "new" : "established", str(c, "protocol"),
			    str(c, "spi"), str(c, "spi_peer"));
		if (json_array_size(json_object_get(k, "children")) == 0)
			printf("%s: no child SA\n", str(k, "peer"));
	} else if (strcmp(cmd, "delete") == 0 || strcmp(cmd, "down") == 0) {
		json_t *d = json_object_get(k, "deleted");
		bool sa = json_is_true(json_object_get(k, "rkmp_sa"));

		printf("%s: %s", str(k, "peer"), strcmp(cmd, "down") == 0 ? "down" : "deleted");
		if (sa)
			printf("%sthe RKMP SA", strcmp(cmd, "down") == 0 ? ", deleted " : " ");
		if (json_array_size(d) > 0) {
			printf("%s child SA%s", sa ? " and its" : "", json_array_size(d) == 1 ? "" : "s");
			json_array_foreach(d, i, c)
				printf(" %s", json_string_value(c) ? json_string_value(c) : "?");
		}
		if (!sa && json_array_size(d) == 0)
			printf(" (no RKMP SA to delete)");
		printf("\n");
	} else if (strcmp(cmd, "reload") == 0) {
		char list[3][512];
		const char *keys[3] = { "added", "removed", "changed" };

		for (int n = 0; n < 3; n++) {
			size_t len = 0;

			list[n][0] = '\0';
			json_array_foreach(json_object_get(k, keys[n]), i, c)
				len += (size_t)snprintf(list[n] + len, len < sizeof(list[n]) ?
				    sizeof(list[n]) - len : 0, "%s%s", len ? " " : "", json_string_value(c) ?
				    json_string_value(c) : "?");
		}
		printf("%s: %" JSON_INTEGER_FORMAT " peer%s: added %s, removed %s, changed %s, %"
		    JSON_INTEGER_FORMAT " unchanged\n", str(k, "file"),
		    json_integer_value(json_object_get(k, "peers")),
		    json_integer_value(json_object_get(k, "peers")) == 1 ? "" : "s",
		    list[0][0] ? list[0] : "none", list[1][0] ? list[1] : "none",
		    list[2][0] ? list[2] : "none", json_integer_value(json_object_get(k, "unchanged")));
	}
}

/* The daemon's error object as ours: its code, where and detail. */
static int
daemon_error(json_t *e)
{
	json_t *x = json_object_get(e, "exit");
	int code = code_of(json_is_integer(x) ? (int)json_integer_value(x) : 70);

	return rkmp_err_set(code, str(e, "where"), "%s", str(e, "detail"));
}

/* Connected to the control socket at path, or why not (the path is the caller's context). */
static int
dial(const char *path, int *out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, e;

	if (strlen(path) >= sizeof(sun.sun_path))
		return rkmp_err_set(RKMP_E_USAGE, "--socket", "%s: longer than %zu octets", path,
		    sizeof(sun.sun_path) - 1);
	if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "not a socket (a %s): no rkmpd listens there; "
		    "its control socket is the configuration's \"control\"", S_ISDIR(st.st_mode) ?
		    "directory" : S_ISREG(st.st_mode) ? "regular file" : "file of another kind");
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return rkmp_err_set(RKMP_E_SYSTEM, "", "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		e = errno;
		close(fd);
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "no daemon listens (connect: %s)%s", strerror(e),
		    e == ECONNREFUSED ? ": the socket of an rkmpd that is gone?" : "");
	}
	*out = fd;
	return 0;
}

struct conv {
	const char	*path, *cmd;
	bool		 json, stream;	/* stream: events (lines until the daemon closes) */
	double		 timeout;	/* seconds; 0: none */
	int		 status;
	size_t		 lines;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One line of the daemon's: printed (or its error reported); RKMP_E_* when it is no rkmpd's. */
static int
line_in(struct conv *cv, const struct rkmp_cli *cli, const char *line)
{
	json_error_t je;
	json_t *ans = json_loads(line, 0, &je), *e;

	if (ans == NULL || !json_is_object(ans)) {
		json_decref(ans);
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "not an rkmpd answer (%s): is %s rkmpd's control "
		    "socket?", ans == NULL ? je.text : "not a JSON object", cv->path);
	}
	cv->lines++;
	if ((e = json_object_get(ans, "error")) != NULL) {
		cv->status = rkmp_cli_error(cli, NULL, daemon_error(e));
		json_decref(ans);
		return 0;
	}
	if (cv->json)
		printf("%s\n", line);
	else if (cv->stream)
		print_event(ans);
	else
		print_answer(cv->cmd, ans);
	fflush(stdout);
	json_decref(ans);
	return 0;
}

/* One request; its answer line, or with stream every line until the daemon closes. */
static int
converse(struct conv *cv, const struct rkmp_cli *cli, const char *req)
{
	size_t len = 0, cap = 4096;
	char *buf, *nl;
	double start = mono(), said = 0;
	bool eof = false;
	int fd = -1, r;

	if ((r = dial(cv->path, &fd)) != 0)
		return r;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		r = rkmp_err_set(RKMP_E_TRANSPORT, "", "write: %s", strerror(errno));
		close(fd);
		return r;
	}
	if ((buf = malloc(cap)) == NULL) {
		close(fd);
		return rkmp_err_set(RKMP_E_NOMEM, "", "out of memory");
	}
	while (!eof) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double now = mono(), left = cv->timeout > 0 ? start + cv->timeout - now : 1e9;
		ssize_t n;
		int w;

		/* waiting is never silent: after 2 s, where and until when */
		if (said == 0 && now - start >= 2 && !cv->stream) {
			time_t until = time(NULL) + (time_t)(left + 0.5);
			char t[16];

			strftime(t, sizeof(t), "%H:%M:%S", localtime(&until));
			fprintf(stderr, "rkmpctl: waiting for rkmpd's answer on %s until %s (--timeout %g)\n",
			    cv->path, t, cv->timeout);
			said = now;
		}
		if (left <= 0 && !cv->stream) {
			r = rkmp_err_set(RKMP_E_TRANSPORT, "", "no answer within %g s (--timeout; an exchange "
			    "rkmpd started goes on: see rkmpctl status)", cv->timeout);
			goto out;
		}
		w = cv->stream ? -1 : said == 0 && left > 2 - (now - start) ?
		    (int)((2 - (now - start)) * 1000) + 1 : (int)(left * 1000) + 1;
		if (poll(&pfd, 1, w) < 0) {
			if (errno == EINTR)
				continue;
			r = rkmp_err_set(RKMP_E_SYSTEM, "", "poll: %s", strerror(errno));
			goto out;
		}
		if (pfd.revents == 0)
			continue;
		if ((n = read(fd, buf + len, cap - len - 1)) < 0) {
			r = rkmp_err_set(RKMP_E_TRANSPORT, "", "read: %s", strerror(errno));
			goto out;
		}
		eof = n == 0;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			if ((r = line_in(cv, cli, buf)) != 0)
				goto out;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
			if (!cv->stream)
				goto out;	/* one answer */
		}
		if (len + 1 == cap) {
			char *b = cap > (1u << 20) ? NULL : realloc(buf, cap *= 2);

			if (b == NULL) {
				r = rkmp_err_set(RKMP_E_TRANSPORT, "", "an answer line longer than 1 MiB: is %s "
				    "rkmpd's?", cv->path);
				goto out;
			}
			buf = b;
		}
	}
	if (len > 0 || (!cv->stream && cv->lines == 0))
		r = rkmp_err_set(RKMP_E_TRANSPORT, "", "the daemon closed the connection without an "
		    "answer (is %s rkmpd's?)", cv->path);
out:
	free(buf);
	close(fd);
	return r;
}

int
main(int argc, char **argv)
{
	struct rkmp_cli cli = { "rkmpctl", "[-s PATH] [--json] [--timeout SECONDS] COMMAND\n"
	    "  status [PEER]            each peer's RKMP SA and child SAs\n"
	    "  rekey PEER SPI           RKMP_rekeySA of our child SA SPI: the new SPI\n"
	    "  generate PEER [--protocol P]\n"
	    "                           RKMP_generateSA: the RKMP SA if there is none, then\n"
	    "                           a new child of P (default: the configured ones missing)\n"
	    "  delete PEER [SPI]        delete our child SA SPI, or the RKMP SA with its children\n"
	    "  down PEER                delete the RKMP SA; no initiation until up\n"
	    "  up PEER                  initiate now (the RKMP SA and the configured children)\n"
	    "  reload                   read the configuration again (as SIGHUP)\n"
	    "  events [--follow]        the daemon's last key-table events, then each new one",
	    "Ask a running rkmpd(8) over its control socket and print its answer once the\n"
	    "exchanges it takes are done (SPIs are ours, hex, as status shows them).",
	    opts, "exit status: 0 done, 1 refused (no such child SA, the peer refused or did not\n"
	    "answer), 2 usage (or no such peer, an invalid configuration on reload), 3 state\n"
	    "(no RKMP SA, another operation of the peer's under way), 6 transport (no daemon\n"
	    "listens on the socket, it is no socket, what answered is no rkmpd, no answer\n"
	    "within --timeout), 7 system.  See rkmpctl(1).\n", 0, false };
	struct conv cv = { .path = RKMP_DCONF_CONTROL, .timeout = 30 };
	const char *protocol = NULL;
	bool follow = false;
	json_t *req;
	char *text, *end;
	size_t ci;
	int c, r, nargs;

	while ((c = rkmp_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case 's': cv.path = optarg; break;
		case OPT_JSON: break;	/* cli.json, set by rkmp_cli_next */
		case OPT_PROTOCOL: protocol = optarg; break;
		case OPT_FOLLOW: follow = true; break;
		case OPT_TIMEOUT:
			errno = 0;
			cv.timeout = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(cv.timeout > 0) ||
			    cv.timeout > 86400)
				return rkmp_cli_usage(&cli, "--timeout '%s': not a number of seconds in "
				    "(0, 86400]", optarg);
			break;
		case 'h': rkmp_cli_help(&cli, stdout); return 0;
		case OPT_VERSION: rkmp_cli_version(&cli, stdout, NULL); return 0;
		case OPT_LIST_OPTIONS: rkmp_cli_list(&cli, stdout); return 0;
		case OPT_LIST_COMMANDS:
			for (size_t i = 0; i < nitems(cmds); i++)
				printf("%s\n", cmds[i].name);
			return 0;
		default: return rkmp_cli_bad(&cli, c, argv);
		}
	}
	if (optind >= argc)
		return rkmp_cli_usage(&cli, "no command: " COMMANDS);
	for (ci = 0; ci < nitems(cmds) && strcmp(cmds[ci].name, argv[optind]) != 0; ci++)
		;
	if (ci == nitems(cmds))
		return rkmp_cli_usage(&cli, "'%s' is not a command: " COMMANDS, argv[optind]);
	nargs = argc - optind - 1;
	if (nargs < cmds[ci].min || nargs > cmds[ci].max)
		return rkmp_cli_usage(&cli, "%s takes %s", cmds[ci].name, cmds[ci].args);
	if (protocol != NULL && strcmp(cmds[ci].name, "generate") != 0)
		return rkmp_cli_usage(&cli, "--protocol is generate's, not %s's", cmds[ci].name);
	if (follow && strcmp(cmds[ci].name, "events") != 0)
		return rkmp_cli_usage(&cli, "--follow is events', not %s's", cmds[ci].name);
	cv.cmd = cmds[ci].name;
	cv.json = cli.json;
	cv.stream = strcmp(cv.cmd, "events") == 0;
	if (follow)
		cv.timeout = 0;
	req = json_pack("{s:s}", "cmd", cmds[ci].name);
	if (nargs >= 1)
		json_object_set_new(req, "peer", json_string(argv[optind + 1]));
	if (nargs >= 2)
		json_object_set_new(req, cmds[ci].arg2, json_string(argv[optind + 2]));
	if (protocol != NULL)
		json_object_set_new(req, "protocol", json_string(protocol));
	if (follow)
		json_object_set_new(req, "follow", json_true());
	text = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(req);
	if (text == NULL)
		return rkmp_cli_error(&cli, NULL, rkmp_err_set(RKMP_E_NOMEM, "", "out of memory"));
	{
		size_t n = strlen(text);
		char *t = realloc(text, n + 2);

		if (t == NULL) {
			free(text);
			return rkmp_cli_error(&cli, NULL, rkmp_err_set(RKMP_E_NOMEM, "", "out of memory"));
		}
		text = t;
		memcpy(text + n, "\n", 2);
	}
	signal(SIGPIPE, SIG_IGN);
	r = converse(&cv, &cli, text);
	free(text);
	if (r != 0)
		return rkmp_cli_error(&cli, cv.path, r);
	return cv.status;
}

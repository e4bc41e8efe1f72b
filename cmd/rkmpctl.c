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
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "dconf.h"
#include "err.h"
#include "nitems.h"

enum { OPT_VERSION = 256, OPT_LIST_OPTIONS, OPT_LIST_COMMANDS, OPT_JSON };

static const struct rkmp_opt opts[] = {
	{ "socket", 's', 1, "PATH", "rkmpd's control socket (default " RKMP_DCONF_CONTROL ")", 0 },
	{ "json", OPT_JSON, 0, NULL, "the daemon's answer as it came: one JSON line (errors too)", 0 },
	{ "help", 'h', 0, NULL, "show this help", 0 },
	{ "version", OPT_VERSION, 0, NULL, "show the version, the commit and the OpenSSL version", 0 },
	{ "list-options", OPT_LIST_OPTIONS, 0, NULL, "list the options (for shell completion)", 0 },
	{ "list-commands", OPT_LIST_COMMANDS, 0, NULL, "list the commands (for shell completion)", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

/* The commands: name, arguments (min..max), usage. */
static const struct {
	const char	*name;
	int		 min, max;
	const char	*args;
} cmds[] = {
	{ "status", 0, 1, "[PEER]" },
	{ "rekey", 2, 2, "PEER SPI" },
};

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
	size_t i;

	printf("%s: %s, %s, %s port %" JSON_INTEGER_FORMAT ", start %s, SPIs %s %s\n",
	    json_string_value(json_object_get(p, "name")), json_string_value(json_object_get(p, "phase")),
	    json_string_value(json_object_get(p, "role")),
	    json_string_value(json_object_get(p, "address")),
	    json_integer_value(json_object_get(p, "port")), json_string_value(json_object_get(p, "start")),
	    json_string_value(json_object_get(p, "spi_i")), json_string_value(json_object_get(p, "spi_r")));
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

/* One request, one answer line (the daemon closes after it). */
static int
ask(const char *path, const char *req, char **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char *buf;
	ssize_t n;
	int fd;

	*out = NULL;
	if (strlen(path) >= sizeof(sun.sun_path))
		return rkmp_err_set(RKMP_E_USAGE, "--socket", "%s: longer than %zu octets", path,
		    sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return rkmp_err_set(RKMP_E_SYSTEM, "", "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		close(fd);
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "no daemon listens (connect: %s)", strerror(e));
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "write: %s", strerror(errno));
	}
	if ((buf = malloc(cap)) == NULL) {
		close(fd);
		return rkmp_err_set(RKMP_E_NOMEM, "", "out of memory");
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			char *b = realloc(buf, cap *= 2);

			if (b == NULL) {
				free(buf);
				close(fd);
				return rkmp_err_set(RKMP_E_NOMEM, "", "out of memory");
			}
			buf = b;
		}
	}
	close(fd);
	buf[len] = '\0';
	if (len == 0 || buf[len - 1] != '\n') {
		free(buf);
		return rkmp_err_set(RKMP_E_TRANSPORT, "", "the daemon closed the connection without an "
		    "answer (is %s rkmpd's?)", path);
	}
	buf[len - 1] = '\0';
	*out = buf;
	return 0;
}

int
main(int argc, char **argv)
{
	struct rkmp_cli cli = { "rkmpctl", "[-s PATH] [--json] status [PEER]\n"
	    "       rkmpctl [-s PATH] [--json] rekey PEER SPI",
	    "Ask a running rkmpd(8): status prints each peer's RKMP SA (phase, SPIs, child\n"
	    "SAs with their SPIs and the lifetime left, the last exchange); rekey PEER SPI\n"
	    "rekeys the child SA whose SPI (ours, hex) is SPI now (RKMP_rekeySA) and prints\n"
	    "the new SPI once the exchange is done.",
	    opts, "exit status: 0 done, 1 refused (no such child SA, the rekey failed), 2 usage,\n"
	    "3 state (the RKMP SA is not established, a request of ours is out), 6 transport\n"
	    "(no daemon listens on the socket), 7 system.  See rkmpctl(1).\n", 0, false };
	const char *path = RKMP_DCONF_CONTROL;
	json_t *req, *ans, *e;
	json_error_t je;
	char *line = NULL, *text;
	size_t ci;
	int c, r, status = 0;

	while ((c = rkmp_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case OPT_JSON: break;	/* cli.json, set by rkmp_cli_next */
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
		return rkmp_cli_usage(&cli, "no command: status or rekey");
	for (ci = 0; ci < nitems(cmds) && strcmp(cmds[ci].name, argv[optind]) != 0; ci++)
		;
	if (ci == nitems(cmds))
		return rkmp_cli_usage(&cli, "'%s' is not a command: status or rekey", argv[optind]);
	if (argc - optind - 1 < cmds[ci].min || argc - optind - 1 > cmds[ci].max)
		return rkmp_cli_usage(&cli, "%s takes %s", cmds[ci].name, cmds[ci].args);
	req = json_pack("{s:s}", "cmd", cmds[ci].name);
	if (argc - optind > 1)
		json_object_set_new(req, "peer", json_string(argv[optind + 1]));
	if (argc - optind > 2)
		json_object_set_new(req, "spi", json_string(argv[optind + 2]));
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
	r = ask(path, text, &line);
	free(text);
	if (r != 0)
		return rkmp_cli_error(&cli, path, r);
	if ((ans = json_loads(line, 0, &je)) == NULL || !json_is_object(ans)) {
		status = rkmp_cli_error(&cli, path, rkmp_err_set(RKMP_E_TRANSPORT, "", "not an rkmpd "
		    "answer: %s", je.text));
		goto out;
	}
	if ((e = json_object_get(ans, "error")) != NULL) {
		json_t *x = json_object_get(e, "exit");

		rkmp_err_set(code_of(json_is_integer(x) ? (int)json_integer_value(x) : 70), 
		    json_string_value(json_object_get(e, "where")), "%s",
		    json_string_value(json_object_get(e, "detail")) ?
		    json_string_value(json_object_get(e, "detail")) : "");
		status = rkmp_cli_error(&cli, NULL, code_of(json_is_integer(x) ? (int)json_integer_value(x) :
		    70));
		goto out;
	}
	if (cli.json)
		printf("%s\n", line);
	else if (strcmp(cmds[ci].name, "status") == 0) {
		json_t *p;
		size_t i;

		json_array_foreach(json_object_get(ans, "peers"), i, p)
			print_peer(p);
	} else {
		json_t *k = json_object_get(ans, "rekey");

		printf("%s: child SA %s rekeyed: new SPI %s\n", json_string_value(json_object_get(k, "peer")),
		    json_string_value(json_object_get(k, "spi")),
		    json_string_value(json_object_get(k, "new_spi")));
	}
out:
	json_decref(ans);
	free(line);
	return status;
}

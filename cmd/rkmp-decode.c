/* SPDX-License-Identifier: MIT */
/*
 * rkmp-decode — decode RKMP/IKEv2 messages from pcap/pcapng files, live
 * interfaces, or raw message files.  Options and orchestration only: the
 * capture reader, codec and printers live in lib/.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "capture.h"
#include "cli.h"
#include "err.h"
#include "file.h"
#include "keys.h"
#include "msg.h"
#include "nitems.h"
#include "print.h"
#include "sk.h"
#include "track.h"

enum {
	OPT_JSON = 256, OPT_PORT, OPT_RKMP_PORT, OPT_VERSION, OPT_LIST_OPTIONS, OPT_KEYS,
	OPT_EXPORT_KEYS,
};

/* What a run decodes: the modes an option applies to (rkmp_opt.only); 0: every one. */
enum {
	CAPTURES = 1 << 0,	/* -r files, or -i */
	MSGFILES = 1 << 1,	/* raw message files */
	EXPORT = 1 << 2,	/* --export-keys: nothing decoded */
};

static const struct rkmp_opt opts[] = {
	{ "read", 'r', 1, "FILE", "read a pcap or pcapng capture (- = stdin); repeatable", CAPTURES },
	{ "interface", 'i', 1, "IFACE", "capture live on IFACE (root or CAP_NET_RAW)", CAPTURES },
	{ "filter", 'f', 1, "EXPR", "BPF filter expression for -r or -i", CAPTURES },
	{ "count", 'c', 1, "N", "stop after N messages", CAPTURES | MSGFILES },
	{ "port", OPT_PORT, 1, "PORT", "also decode UDP PORT as IKE (500, 4500, 50500 always); repeatable", CAPTURES },
	{ "rkmp-port", OPT_RKMP_PORT, 1, "PORT", "the port that marks RKMP traffic (default 50500)", CAPTURES },
	{ "state", 's', 1, "FILE", "decrypt SK/SKF payloads with an rkmp state file's keys; repeatable", 0 },
	{ "keys", OPT_KEYS, 1, "FILE", "decrypt with a Wireshark ikev2_decryption_table or strongSwan key log; repeatable", 0 },
	{ "export-keys", OPT_EXPORT_KEYS, 1, "FORMAT", "print the loaded keys as wireshark or tcpdump lines, exit", EXPORT },
	{ "json", OPT_JSON, 0, NULL, "one JSON object per message per line (NDJSON)", CAPTURES | MSGFILES },
	{ "verbose", 'v', 0, NULL, "print every payload with names and values", CAPTURES | MSGFILES },
	{ "quiet", 'q', 0, NULL, "no startup line (-i) or closing summary on stderr", CAPTURES | MSGFILES },
	{ "help", 'h', 0, NULL, "show this help", 0 },
	{ "version", OPT_VERSION, 0, NULL, "show the version, the commit and the OpenSSL, jansson and libpcap versions", 0 },
	{ "list-options", OPT_LIST_OPTIONS, 0, NULL, "list the options (for shell completion)", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

static struct rkmp_cli cli = {
	"rkmp-decode",
	"[-v | --json] [-q] [-c N] [--port PORT]... [--rkmp-port PORT]\n"
	"                   [-s STATE]... [--keys FILE]... [-f EXPR] [-r FILE]... [MSGFILE...]\n"
	"       rkmp-decode [options] -i IFACE [-f EXPR | EXPR...]\n"
	"       rkmp-decode (-s STATE | --keys FILE)... --export-keys wireshark|tcpdump",
	"Decode RKMP and IKEv2 messages: from captures (-r, Ethernet/VLAN, Linux cooked,\n"
	"loopback, raw IP; IPv4 and IPv6 with fragment reassembly; UDP 500, 4500 with\n"
	"its non-ESP marker, 50500 and --port), from a live interface (-i), or from raw\n"
	"message files, one datagram each (IKE header onwards).  One line per message by\n"
	"default; -v prints the payload tree; --json prints NDJSON.  A malformed message\n"
	"is reported (truncated or invalid, with the payload, the check and the numbers)\n"
	"and decoding goes on.  Given keys (-s, --keys), SK and SKF payloads are verified\n"
	"and decrypted and their inner payloads shown; SKF fragments are reassembled.",
	opts,
	"exit status: 0 all messages decoded, 1 an ICV or AEAD tag did not verify (wrong\n"
	"keys or a forged message), 2 usage (also a key file that does not load), 3 a\n"
	"state file (-s) that does not load, 4 a message was malformed, or a capture\n"
	"file is not a capture or was cut short, 6 the live capture could not start,\n"
	"7 a file could not be read or output not written.\n"
	"See rkmp-decode(1) and rkmp(7).\n",
	0,	/* the modes are known after the options: see main() */
	false,
};

struct decode {
	int			 mode;		/* 0 line, 1 tree, 2 json */
	uint16_t		 rkmp_port;
	uint64_t		 limit;		/* 0 = no limit */
	uint64_t		 messages;
	uint64_t		 malformed;
	uint64_t		 esp, keepalive, reassembled, other;
	uint64_t		 decrypted, icv_bad;
	int			 worst;		/* exit status so far */
	int			 out_err;	/* errno of the first failed write to stdout */
	struct rkmp_arena	 arena;
	struct rkmp_buf		 out;		/* --json: lines not yet written to stdout */
	bool			 live;		/* -i: each line written as it comes */
	struct rkmp_track	*track;
	struct rkmp_keys	*keys;		/* NULL without -s / --keys */
	struct rkmp_skf_reasm	*reasm;
	/* --json: the input error kept for the run's last line (DESIGN.md §8) */
	bool			 held;
	int			 held_code;
	char			 held_name[256], held_where[256], held_detail[640];
};

static struct rkmp_cap *live_cap;

static void
on_signal(int sig)
{
	(void)sig;
	if (live_cap != NULL)
		rkmp_cap_break(live_cap);
}

/* Which exit status wins: usage, then system, capture, state, crypto, malformed, ICV. */
static int
status_rank(int status)
{
	switch (status) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 4:
		return 2;
	case 5:
		return 3;
	case 3:
		return 4;
	case 6:
		return 5;
	case 7:
		return 6;
	case 2:
		return 8;
	default:
		return 7;
	}
}

static void
set_worst(struct decode *d, int status)
{
	if (status_rank(status) > status_rank(d->worst))
		d->worst = status;
}

/*
 * Verify and decrypt the SK or SKF payload of a decoded message when its SA's
 * keys are known.  An ICV mismatch is shown on the message (icv_ok false) and
 * counted; a bad layout or inner chain becomes the message's error.
 */
static int
decrypt(struct decode *d, struct rkmp_print_meta *meta, struct rkmp_msg *m)
{
	const struct rkmp_key_entry *e;
	struct rkmp_sk_dir dir;
	uint8_t t;
	int r;

	if (d->keys == NULL || m->npld == 0)
		return 0;
	t = m->pld[m->npld - 1].type;
	if ((t != RKMP_PLD_SK && t != RKMP_PLD_SKF) ||
	    (e = rkmp_keys_lookup(d->keys, m->spi_i, m->spi_r)) == NULL)
		return 0;
	/* The keys say the layout even when the capture lacks the IKE_SA_INIT. */
	if (meta->sk_iv == 0 && meta->sk_icv == 0) {
		meta->sk_iv = e->encr->iv_len;
		meta->sk_icv = e->encr->aead ? e->encr->icv_len : e->integ->icv_len;
		meta->sk_block = e->encr->aead ? 1 : e->encr->block_len;
	}
	/* by original-initiator role: the I flag */
	rkmp_keys_dir(e, rkmp_msg_is_initiator(m), &dir);
	if (t == RKMP_PLD_SK)
		r = rkmp_sk_unprotect(&d->arena, m, &dir);
	else {
		r = rkmp_skf_add(d->reasm, &d->arena, m, &dir);
		if (r > 0)
			r = 0;
	}
	if (r == RKMP_E_REFUSED) {
		d->icv_bad++;
		set_worst(d, 1);
		return 0;
	}
	if (r == 0 && m->pld[m->npld - 1].u.sk.icv_ok == 1)
		d->decrypted++;
	return r;
}

/* After a write to stdout: the first failure, with its errno, ends the run. */
static void
out_check(struct decode *d)
{
	if (d->out_err == 0 && ferror(stdout))
		d->out_err = errno != 0 ? errno : EIO;
}

/* --json: the lines kept in d->out to stdout (before anything on stderr, and at the end). */
static void
out_flush(struct decode *d)
{
	if (d->out.err != 0 && d->out_err == 0)
		d->out_err = d->out.err == RKMP_E_NOMEM ? ENOMEM : EOVERFLOW;
	if (d->out.len > 0 && d->out_err == 0) {
		fwrite(d->out.p, 1, d->out.len, stdout);
		out_check(d);
	}
	rkmp_buf_reset(&d->out);
}

#define OUT_CHUNK	(64 * 1024)	/* --json lines go to stdout in writes of this much */

/* One JSON object per line (NDJSON), through d->out. */
static void
put_json(struct decode *d, const struct rkmp_print_meta *meta, const struct rkmp_msg *m, int err)
{
	rkmp_print_json(&d->out, meta, m, err);
	if (d->out.len >= OUT_CHUNK || d->out.err != 0 || d->live) {
		out_flush(d);
		if (d->live)
			fflush(stdout);
	}
}

static void
emit(struct decode *d, struct rkmp_print_meta *meta, const uint8_t *p, size_t len)
{
	struct rkmp_msg m;
	int r;

	rkmp_arena_reset(&d->arena);
	r = rkmp_msg_decode(&d->arena, p, len, &m);
	if (r == 0 || m.raw_len >= RKMP_HDR_LEN)
		rkmp_track_message(d->track, &m, r, meta);
	if (r == 0)
		r = decrypt(d, meta, &m);
	d->messages++;
	if (r != 0) {
		int st = rkmp_err_exit(r);

		if (st == 4)
			d->malformed++;
		set_worst(d, st);
	}
	switch (d->mode) {
	case 0:
		rkmp_print_line(stdout, meta, &m, r);
		break;
	case 1:
		rkmp_print_tree(stdout, meta, &m, r);
		break;
	default:
		put_json(d, meta, &m, r);
		return;
	}
	out_check(d);
}

/* An input's error as a text line on stderr, with --json too (lib/cli.c). */
static void
say_text(int code, const char *name, const char *where, const char *detail)
{
	struct rkmp_cli text = cli;

	text.json = false;
	rkmp_err_set(code, where, "%s", detail);
	rkmp_cli_error(&text, name, code);
}

/*
 * An error about a whole input (not a message), code one whose exit status
 * is the run's for it: "rkmp-decode: NAME: CLASS: [WHAT: ]DETAIL" on stderr
 * at once.  With --json the run goes on over the other inputs and its last
 * line on stdout is one error object (DESIGN.md §8): the first input error of
 * the highest rank is kept for it (said at the end, held_say()), any other
 * one is a text line on stderr.  The library's detail may start with the name.
 */
static void
report(struct decode *d, int code, const char *name, const char *what)
{
	const char *detail = rkmp_err_detail()[0] ? rkmp_err_detail() : rkmp_err_text();
	size_t n = strlen(name);
	char det[640];

	if (strncmp(detail, name, n) == 0 && strncmp(detail + n, ": ", 2) == 0)
		detail += n + 2;
	snprintf(det, sizeof(det), "%s%s%s", what ? what : "", what ? ": " : "", detail);
	out_flush(d);
	fflush(stdout);
	if (d->mode != 2) {
		say_text(code, name, name, det);
		return;
	}
	if (d->held && status_rank(rkmp_err_exit(code)) <= status_rank(rkmp_err_exit(d->held_code))) {
		say_text(code, name, name, det);
		return;
	}
	if (d->held)
		say_text(d->held_code, d->held_name, d->held_where, d->held_detail);
	d->held = true;
	d->held_code = code;
	snprintf(d->held_name, sizeof(d->held_name), "%s", name);
	snprintf(d->held_where, sizeof(d->held_where), "%s", name);
	snprintf(d->held_detail, sizeof(d->held_detail), "%s", det);
}

/* At the end of a --json run: the input error kept, as the last line on
 * stdout when its exit status is the run's (else a message's error set it:
 * the error is said on stderr). */
static void
held_say(const struct decode *d)
{
	if (!d->held)
		return;
	if (rkmp_err_exit(d->held_code) != d->worst) {
		say_text(d->held_code, d->held_name, d->held_where, d->held_detail);
		return;
	}
	rkmp_err_set(d->held_code, d->held_where, "%s", d->held_detail);
	rkmp_cli_error(&cli, d->held_name, d->held_code);
}

/* The run's one error, ending it before any input (lib/cli.c); its status. */
static int
fail(int code, const char *where, const char *detail)
{
	rkmp_err_set(code, where, "%s", detail);
	return rkmp_cli_error(&cli, NULL, code);
}

static bool
limit_reached(const struct decode *d)
{
	return d->limit != 0 && d->messages >= d->limit;
}

/* No more input: the -c count reached, or standard output failed. */
static bool
stopped(const struct decode *d)
{
	return limit_reached(d) || d->out_err != 0;
}

/* Decode one open capture; its read error (reported here) or 0. */
static int
run_capture(struct decode *d, struct rkmp_cap *cap, const char *name, const uint16_t *ports,
    size_t nports)
{
	struct rkmp_pkt pkt;
	int r = 0;

	for (size_t i = 0; i < nports; i++)
		rkmp_cap_add_port(cap, ports[i]);
	while (!stopped(d) && (r = rkmp_cap_next(cap, &pkt)) > 0) {
		struct rkmp_print_meta meta = {
			.file = name, .frame = pkt.frame, .has_udp = true,
			.ts_sec = pkt.ts_sec, .ts_usec = pkt.ts_usec,
			.src = pkt.src, .dst = pkt.dst, .sport = pkt.sport, .dport = pkt.dport,
			.rkmp = pkt.sport == d->rkmp_port || pkt.dport == d->rkmp_port,
			.marker = pkt.marker,
		};

		/* A snaplen-cut datagram: decode what is there; the codec calls it truncated. */
		emit(d, &meta, pkt.data, pkt.len);
	}
	{
		const struct rkmp_cap_stats *st = rkmp_cap_stats(cap);

		d->esp += st->esp;
		d->keepalive += st->keepalive;
		d->reassembled += st->reassembled;
		d->other += st->other + st->bad;
	}
	if (stopped(d) || r >= 0)
		return 0;
	report(d, rkmp_err_exit(r) == 4 ? r : RKMP_E_SYSTEM, name,
	    r == RKMP_E_TRUNCATED ? "capture truncated" : NULL);
	set_worst(d, rkmp_err_exit(r) == 4 ? 4 : 7);
	return r;
}

static void
run_raw(struct decode *d, const char *path, uint64_t pos)
{
	struct rkmp_print_meta meta = { .file = path, .frame = pos };
	uint8_t *p = NULL;
	size_t len = 0;
	int r;

	if ((r = rkmp_file_read(path, RKMP_MSG_MAX, &p, &len)) != 0) {
		report(d, r, path, NULL);
		set_worst(d, rkmp_err_exit(r));
		return;
	}
	if (len > RKMP_MSG_MAX) {
		struct rkmp_msg m = { 0 };

		/* DESIGN.md §6: longer than 65,535 octets is a malformed message. */
		r = rkmp_err_set(RKMP_E_INVALID, "datagram", "more than %d octets", RKMP_MSG_MAX);
		d->messages++;
		d->malformed++;
		set_worst(d, 4);
		if (d->mode == 2)
			put_json(d, &meta, &m, r);
		else {
			rkmp_print_line(stdout, &meta, &m, r);
			out_check(d);
		}
	} else
		emit(d, &meta, p, len);
	free(p);
}

struct keyarg {
	bool		 state;		/* -s: a state file; else --keys */
	const char	*path;
};

/* Load every -s and --keys file in command-line order; the exit status or 0. */
static int
load_keys(struct decode *d, const struct keyarg *ka, size_t n)
{
	if (n == 0)
		return 0;
	if ((d->keys = rkmp_keys_new()) == NULL || (d->reasm = rkmp_skf_reasm_new()) == NULL)
		return fail(RKMP_E_NOMEM, "", "out of memory");
	for (size_t i = 0; i < n; i++) {
		int r = ka[i].state ? rkmp_keys_load_state(d->keys, ka[i].path) :
		    rkmp_keys_load_file(d->keys, ka[i].path);

		if (r != 0) {
			/* a state file has its own status (3); a key file is an argument (2) */
			int code = !ka[i].state || r == RKMP_E_USAGE ? RKMP_E_USAGE : r;
			const char *where = rkmp_err_where();

			return rkmp_cli_error(&cli, where[0] ? where : ka[i].path, code);
		}
	}
	return 0;
}

/* --export-keys: every loaded SA as Wireshark or tcpdump lines on stdout. */
static int
export_keys(const struct decode *d, bool tcpdump)
{
	char line[1024];
	int st = 0;

	for (size_t i = 0; i < rkmp_keys_count(d->keys); i++) {
		const struct rkmp_key_entry *e = rkmp_keys_at(d->keys, i);
		int r = tcpdump ? rkmp_keys_tcpdump_lines(e, line, sizeof(line)) :
		    rkmp_keys_wireshark_line(e, line, sizeof(line));

		if (r != 0) {
			/* an SA the tool cannot decrypt is left out, and said so */
			fprintf(stderr, "rkmp-decode: %016llx:%016llx: %s\n",
			    (unsigned long long)e->spi_i, (unsigned long long)e->spi_r, rkmp_err_text());
			continue;
		}
		fputs(line, stdout);
		rkmp_crypto_wipe(line, sizeof(line));
	}
	fflush(stdout);
	if (ferror(stdout))
		st = fail(RKMP_E_SYSTEM, "standard output", strerror(errno));
	return st;
}

/*
 * Waiting is visible (DESIGN.md §6): once the capture is open, one line on
 * stderr with what tcpdump says (interface, link type, snapshot length), the
 * BPF filter compiled, and what ends the capture.  A control character in the
 * filter (pcap reads it as a space) is shown as a space, to keep one line.
 */
static void
say_listening(const struct decode *d, const struct rkmp_cap *cap, const char *iface)
{
	const char *f = rkmp_cap_filter(cap);
	char desc[128], until[96], *shown = NULL;

	rkmp_cap_describe(cap, desc, sizeof(desc));
	if (d->limit != 0)
		snprintf(until, sizeof(until), "until %llu message%s, -c %llu, or Ctrl-C",
		    (unsigned long long)d->limit, d->limit == 1 ? "" : "s",
		    (unsigned long long)d->limit);
	else
		snprintf(until, sizeof(until), "until Ctrl-C");
	if (f != NULL && (shown = strdup(f)) != NULL)
		for (char *p = shown; *p != '\0'; p++)
			if (iscntrl((unsigned char)*p))
				*p = ' ';
	if (f != NULL)
		fprintf(stderr, "rkmp-decode: listening on %s, %s, capture filter \"%s\" (%s)\n",
		    iface, desc, shown != NULL ? shown : f, until);
	else
		fprintf(stderr, "rkmp-decode: listening on %s, %s, no capture filter (%s)\n", iface,
		    desc, until);
	free(shown);
}

static void
decode_free(struct decode *d)
{
	rkmp_track_free(d->track);
	rkmp_keys_free(d->keys);
	rkmp_skf_reasm_free(d->reasm);
	rkmp_arena_free(&d->arena);
	rkmp_buf_free(&d->out);
}

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct decode d = { .rkmp_port = RKMP_PORT_RKMP };

	/* one message's JSON is at most a few MiB (a 65,535-octet datagram in hex, or
	 * thousands of tiny payloads): the buffer is flushed past OUT_CHUNK */
	rkmp_buf_init(&d.out, 64u << 20);
	const char *reads[64], *iface = NULL, *filter = NULL, *export = NULL;
	struct keyarg keyargs[64];
	size_t nreads = 0, nports = 0, nkeyargs = 0;
	uint16_t ports[16];
	bool quiet = false, fatal = false;
	char *joined = NULL;
	const struct rkmp_opt *misfit;
	int c, seen[64];	/* the options given, for the modes' check */
	size_t nseen = 0;

	while ((c = rkmp_cli_next(&cli, argc, argv)) != -1) {
		if (nseen < nitems(seen))
			seen[nseen++] = c;
		switch (c) {
		case 'r':
			if (nreads == nitems(reads))
				return rkmp_cli_usage(&cli, "too many -r files (at most %zu)", nreads);
			reads[nreads++] = optarg;
			break;
		case 'i':
			iface = optarg;
			break;
		case 'f':
			filter = optarg;
			break;
		case 's':
		case OPT_KEYS:
			if (nkeyargs == nitems(keyargs))
				return rkmp_cli_usage(&cli, "too many -s/--keys files (at most %zu)",
				    nkeyargs);
			keyargs[nkeyargs++] = (struct keyarg){ c == 's', optarg };
			break;
		case OPT_EXPORT_KEYS:
			if (strcmp(optarg, "wireshark") != 0 && strcmp(optarg, "tcpdump") != 0)
				return rkmp_cli_usage(&cli, "--export-keys: '%s' is not wireshark or tcpdump",
				    optarg);
			export = optarg;
			break;
		case 'c': {
			char *end;

			errno = 0;
			d.limit = strtoull(optarg, &end, 10);
			if (errno || *optarg == '\0' || *end != '\0' || d.limit == 0 || optarg[0] == '-')
				return rkmp_cli_usage(&cli, "-c: '%s' is not a positive count", optarg);
			break;
		}
		case OPT_PORT:
			if (nports == nitems(ports))
				return rkmp_cli_usage(&cli, "too many --port (at most %zu)", nports);
			if (parse_port(optarg, &ports[nports]) != 0)
				return rkmp_cli_usage(&cli, "--port: '%s' is not a port (1..65535)", optarg);
			nports++;
			break;
		case OPT_RKMP_PORT:
			if (parse_port(optarg, &d.rkmp_port) != 0)
				return rkmp_cli_usage(&cli, "--rkmp-port: '%s' is not a port (1..65535)", optarg);
			if (nports < nitems(ports))
				ports[nports++] = d.rkmp_port;
			break;
		case OPT_JSON:
			d.mode = 2;
			cli.json = true;
			break;
		case 'v':
			if (d.mode == 0)
				d.mode = 1;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			rkmp_cli_help(&cli, stdout);
			return 0;
		case OPT_VERSION: {
			char more[160];

			snprintf(more, sizeof(more), "jansson %s, %s", jansson_version_str(),
			    rkmp_cap_version());
			rkmp_cli_version(&cli, stdout, more);
			return 0;
		}
		case OPT_LIST_OPTIONS:
			rkmp_cli_list(&cli, stdout);
			return 0;
		default:	/* ':' or '?' */
			return rkmp_cli_bad(&cli, c, argv);
		}
	}
	if (export != NULL) {
		int st;

		if (nkeyargs == 0)
			return rkmp_cli_usage(&cli, "--export-keys needs -s STATE or --keys FILE");
		if (iface != NULL || nreads > 0 || optind < argc)
			return rkmp_cli_usage(&cli, "--export-keys decodes nothing: drop -r, -i and message files");
		if ((misfit = rkmp_cli_misfit(&cli, seen, nseen, EXPORT)) != NULL)
			return rkmp_cli_usage(&cli, "%s does not apply to --export-keys, which decodes nothing",
			    rkmp_cli_name(misfit));
		if ((st = load_keys(&d, keyargs, nkeyargs)) == 0)
			st = export_keys(&d, strcmp(export, "tcpdump") == 0);
		decode_free(&d);
		return st;
	}
	if (iface != NULL && nreads > 0)
		return rkmp_cli_usage(&cli, "-i and -r cannot be combined");
	if (iface != NULL && optind < argc) {
		/* tcpdump habit: with -i the remaining words are the filter expression */
		size_t n = 0;

		if (filter != NULL)
			return rkmp_cli_usage(&cli, "give the filter either with -f or as arguments");
		for (int i = optind; i < argc; i++)
			n += strlen(argv[i]) + 1;
		if ((joined = calloc(1, n + 1)) == NULL)
			return fail(RKMP_E_NOMEM, "", "out of memory");
		for (int i = optind; i < argc; i++) {
			strcat(joined, argv[i]);
			if (i + 1 < argc)
				strcat(joined, " ");
		}
		filter = joined;
		optind = argc;
	}
	if (iface == NULL && nreads == 0 && optind >= argc)
		return rkmp_cli_usage(&cli, "nothing to decode: give -r FILE, -i IFACE or message files");
	if (iface == NULL && nreads == 0 &&
	    (misfit = rkmp_cli_misfit(&cli, seen, nseen, MSGFILES)) != NULL)
		return rkmp_cli_usage(&cli, "%s applies to captures (-r, -i), not to message files",
		    rkmp_cli_name(misfit));
	if ((d.track = rkmp_track_new()) == NULL)
		return fail(RKMP_E_NOMEM, "", "out of memory");
	{
		int st;

		/* keys that do not load: nothing is decoded */
		if ((st = load_keys(&d, keyargs, nkeyargs)) != 0) {
			decode_free(&d);
			free(joined);
			return st;
		}
	}

	for (size_t i = 0; i < nreads && !stopped(&d) && !fatal; i++) {
		struct rkmp_cap *cap = NULL;
		int r;

		if ((r = rkmp_cap_open_file(&cap, reads[i])) != 0)
			cap = NULL;
		else if (filter != NULL)
			r = rkmp_cap_set_filter(cap, filter);
		if (r != 0) {
			report(&d, r, reads[i], NULL);
			rkmp_cap_close(cap);
			set_worst(&d, rkmp_err_exit(r));
			/* a bad filter is bad for every input: the run ends on it */
			fatal = r == RKMP_E_USAGE;
			continue;
		}
		run_capture(&d, cap, reads[i], ports, nports);
		rkmp_cap_close(cap);
	}
	if (iface != NULL) {
		int r;

		if ((r = rkmp_cap_open_live(&live_cap, iface, filter)) != 0) {
			/* a bad filter is usage (2); else the capture could not start (6) */
			report(&d, r == RKMP_E_USAGE ? r : RKMP_E_TRANSPORT, iface, NULL);
			set_worst(&d, r == RKMP_E_USAGE ? 2 : 6);
			fatal = true;
		} else {
			if (!quiet)
				say_listening(&d, live_cap, iface);
			setvbuf(stdout, NULL, _IOLBF, 0);
			d.live = true;
			signal(SIGINT, on_signal);
			signal(SIGTERM, on_signal);
			/* a read error ends a live capture: the run ends on its error line */
			if (run_capture(&d, live_cap, iface, ports, nports) < 0)
				fatal = true;
			{
				/* the handler's capture gone before it is closed: a
				 * signal now has nothing to break (not freed memory) */
				struct rkmp_cap *lc = live_cap;

				live_cap = NULL;
				rkmp_cap_close(lc);
			}
		}
	}
	for (int i = optind; i < argc && !stopped(&d) && !fatal; i++)
		run_raw(&d, argv[i], (uint64_t)(i - optind + 1));

	out_flush(&d);
	if (fflush(stdout) != 0)
		out_check(&d);
	if (d.out_err != 0) {
		/* output that cannot be written ends the run (DESIGN.md §8: system,
		 * 7); the reporter says so on stderr, as stdout fails */
		rkmp_err_set(RKMP_E_SYSTEM, "standard output", "%s", strerror(d.out_err));
		d.worst = 7;
		if (d.mode == 2 && d.held)
			say_text(d.held_code, d.held_name, d.held_where, d.held_detail);
		d.held = false;
		rkmp_cli_error(&cli, NULL, RKMP_E_SYSTEM);
		fatal = true;
	}
	held_say(&d);
	/*
	 * A fatal error (the live capture could not start or failed, a bad
	 * filter, output that cannot be written) ends the run on its one error
	 * line: no summary after it.
	 */
	if (!quiet && !fatal)
		fprintf(stderr, "rkmp-decode: %llu message%s, %llu malformed, %llu ESP skipped"
		    ", %llu keepalive%s, %llu reassembled from IP fragments, %llu other packets skipped\n",
		    (unsigned long long)d.messages, d.messages == 1 ? "" : "s",
		    (unsigned long long)d.malformed, (unsigned long long)d.esp,
		    (unsigned long long)d.keepalive, d.keepalive == 1 ? "" : "s",
		    (unsigned long long)d.reassembled, (unsigned long long)d.other);
	if (!quiet && !fatal && d.keys != NULL)
		fprintf(stderr, "rkmp-decode: %llu decrypted, %llu ICV mismatch%s\n",
		    (unsigned long long)d.decrypted, (unsigned long long)d.icv_bad,
		    d.icv_bad == 1 ? "" : "es");
	decode_free(&d);
	free(joined);
	return d.worst;
}

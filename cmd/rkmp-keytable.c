/* SPDX-License-Identifier: MIT */
/*
 * rkmp-keytable — the RFC 7210 key table (DESIGN.md §7): subcommands that
 * insert, read, select, age out and export its rows, and derive the TCP-AO
 * traffic keys of a row, one row each of subs[] (at the end of this file).
 * Options and orchestration only: the table, its rules and its exports live
 * in lib/keytable.c and lib/kt_*.c, TCP-AO's KDF in lib/tcpao.c.
 *
 *   rkmp-keytable -t FILE SUBCOMMAND [ARG] [options]
 *
 * The subcommand is the first word that is not an option; options may come
 * before or after it.  Exit statuses: 0 done, 1 refused (no such row, a
 * duplicate insert), 2 usage, 3 a malformed table or row, 5 crypto, 7 system.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "keytable.h"
#include "kt_list.h"
#include "nitems.h"
#include "protocols.h"
#include "tcpao.h"
#include "wire.h"

#define PROG		"rkmp-keytable"
#define INPUT_MAX	(256u << 20)	/* a row file */

enum {
	OPT_PROTOCOL = 256, OPT_PEER, OPT_SPI, OPT_OLD_SPI, OPT_INTERFACE, OPT_KEY_NAME,
	OPT_RKMP_SA, OPT_FORMAT, OPT_NOW, OPT_GRACE, OPT_PREFER, OPT_SHOW_KEYS,
	OPT_MASTER_KEY_FILE, OPT_KDF, OPT_SRC, OPT_DST, OPT_SPORT, OPT_DPORT, OPT_SRC_ISN,
	OPT_DST_ISN, OPT_JSON, OPT_VERSION, OPT_LIST_OPTIONS, OPT_LIST_COMMANDS,
};

/*
 * Every option; the ones a subcommand takes beyond -t, --json, -q and the
 * informational ones are listed in its row of subs[] (at the end of this
 * file), and cli_init() turns those lists into the rows' rkmp_opt.only bits
 * (bit i: subs[i]), so that lib/cli.c gives each subcommand its own table.
 */
static struct rkmp_opt opts[] = {
	{ "keytable", 't', 1, "FILE", "the key table (JSON, mode 0600; insert creates it)", 0 },
	{ "protocol", OPT_PROTOCOL, 1, "PROTO", "tcp-ao, bfd, rsvp-te, tcp-md5 or esp (or 201, 202, 203, 207, 3)", 0 },
	{ "peer", OPT_PEER, 1, "ADDR", "the peer: an IPv4 or IPv6 address, or group:NAME", 0 },
	{ "spi", OPT_SPI, 1, "HEX", "the row's LocalKeyName (get, delete: 00 = every row)", 0 },
	{ "old-spi", OPT_OLD_SPI, 1, "HEX", "rekey: the LocalKeyName of the row replaced", 0 },
	{ "interface", OPT_INTERFACE, 1, "IFACE", "select, lookup: only rows for IFACE or \"all\"", 0 },
	{ "key-name", OPT_KEY_NAME, 1, "HEX", "lookup: the key name seen in the message", 0 },
	{ "rkmp-sa", OPT_RKMP_SA, 1, "SPI_I:SPI_R", "revoke: the RKMP SA whose rows go", 0 },
	{ "format", OPT_FORMAT, 1, "FMT", "export: bird-bgp, frr-bgp, bird-keychain, frr-keychain, rfc8177, wireshark-esp", 0 },
	{ "now", OPT_NOW, 1, "TIME", "the clock, YYYYmmddHHMMSSZ (default: the system's)", 0 },
	{ "grace", OPT_GRACE, 1, "SECONDS", "rekey: accept the old key this long after (120)", 0 },
	{ "prefer", OPT_PREFER, 1, "ALG,...", "select: AlgIDs, most preferred first", 0 },
	{ "show-keys", OPT_SHOW_KEYS, 0, NULL, "print keys (list: rows as get prints them, keys too)", 0 },
	{ "master-key-file", OPT_MASTER_KEY_FILE, 1, "FILE", "traffic-keys: a master key (0x... = hex)", 0 },
	{ "kdf", OPT_KDF, 1, "KDF", "traffic-keys: hmac-sha1 or aes-128-cmac", 0 },
	{ "src", OPT_SRC, 1, "ADDR", "traffic-keys: the sender's address", 0 },
	{ "dst", OPT_DST, 1, "ADDR", "traffic-keys: the receiver's address", 0 },
	{ "sport", OPT_SPORT, 1, "PORT", "traffic-keys: the sender's TCP port", 0 },
	{ "dport", OPT_DPORT, 1, "PORT", "traffic-keys: the receiver's TCP port", 0 },
	{ "src-isn", OPT_SRC_ISN, 1, "ISN", "traffic-keys: the sender's ISN (decimal or 0x hex)", 0 },
	{ "dst-isn", OPT_DST_ISN, 1, "ISN", "traffic-keys: the receiver's ISN", 0 },
	{ "json", OPT_JSON, 0, NULL, "JSON output (rows one per line); errors as JSON", 0 },
	{ "quiet", 'q', 0, NULL, "nothing on stderr but errors", 0 },
	{ "help", 'h', 0, NULL, "show this help (after a SUBCOMMAND: its own)", 0 },
	{ "version", OPT_VERSION, 0, NULL, "show the version, the commit and the OpenSSL version", 0 },
	{ "list-commands", OPT_LIST_COMMANDS, 0, NULL, "list the subcommands, one per line (for shell completion)", 0 },
	{ "list-options", OPT_LIST_OPTIONS, 0, NULL, "list the options (with a SUBCOMMAND: its own; for shell completion)", 0 },
	{ NULL, 0, 0, NULL, NULL, 0 }
};

/* Built from subs[] by cli_init(): the synopsis (a line per subcommand) and
 * the description (with the list of subcommands). */
static char synopsis[2048], description[4096];

static struct rkmp_cli cli = {
	PROG,
	synopsis,
	description,
	opts,
	"exit status: 0 done, 1 refused (no such row or key, or the row exists already),\n"
	"2 usage, 3 a malformed, unreadable or too open table or row file, 5 crypto,\n"
	"7 system (I/O).  See rkmp-keytable(1) and rkmp(7).\n",
	0,	/* the subcommand is known after the options: see run() */
	false,
};

struct kt {
	const char	*table, *sub;
	char		**args;
	int		 nargs;
	bool		 json, quiet, show_keys;
	bool		 has_proto, has_spi, has_old_spi, has_now, has_grace, has_sa, has_fmt;
	bool		 has_kdf, has_sport, has_dport, has_src_isn, has_dst_isn;
	uint8_t		 proto;
	const char	*peer, *iface, *key_name, *mk_file, *src, *dst;
	uint64_t	 spi, old_spi, sa_i, sa_r;
	int64_t		 now;
	uint32_t	 grace;
	const char	*prefer[32];
	size_t		 nprefer;
	char		*prefer_buf;
	const struct rkmp_keytable_format *fmt;
	enum rkmp_tcpao_alg kdf;
	uint16_t	 sport, dport;
	uint32_t	 src_isn, dst_isn;
	int		 seen[64];	/* option keys given, in order */
	size_t		 nseen;
};

/* ------------------------------------------------------------------ reporting */

/* Whether an error's "where" is a file (else it is an operation on the table). */
static bool
is_file(const struct kt *k, const char *where)
{
	if ((k->table && strcmp(where, k->table) == 0) || (k->mk_file &&
	    strcmp(where, k->mk_file) == 0) || strcmp(where, "stdin") == 0)
		return true;
	for (int i = 0; i < k->nargs; i++)
		if (strcmp(where, k->args[i]) == 0)
			return true;
	return false;
}

/*
 * The run's one error (DESIGN.md §8, lib/cli.c): "rkmp-keytable: FILE:
 * CLASS: [WHERE: ]DETAIL" on stderr, FILE the table unless a file failed, or
 * with --json the error object on stdout.
 */
static int
report(const struct kt *k, int code)
{
	const char *where = rkmp_err_where();

	return rkmp_cli_error(&cli, where[0] != '\0' && is_file(k, where) ? where : k->table, code);
}

/* ------------------------------------------------------------------ input */

static int
read_input(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 8192, n = 0;
	char *p;

	if (f == NULL)
		return rkmp_err_set(errno == ENOENT ? RKMP_E_STATE : RKMP_E_SYSTEM, path, "%s",
		    strerror(errno));
	if ((p = malloc(cap)) == NULL) {
		if (f != stdin)
			fclose(f);
		return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			char *np;

			if (cap >= INPUT_MAX) {
				OPENSSL_cleanse(p, cap);
				free(p);
				if (f != stdin)
					fclose(f);
				return rkmp_err_set(RKMP_E_STATE, path, "over %u octets", INPUT_MAX);
			}
			if ((np = malloc(cap * 2)) == NULL) {
				OPENSSL_cleanse(p, cap);
				free(p);
				if (f != stdin)
					fclose(f);
				return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
			}
			memcpy(np, p, n);
			OPENSSL_cleanse(p, cap);
			free(p);
			p = np;
			cap *= 2;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;

		OPENSSL_cleanse(p, cap);
		free(p);
		if (f != stdin)
			fclose(f);
		return rkmp_err_set(RKMP_E_SYSTEM, path, "read: %s", strerror(e));
	}
	if (f != stdin)
		fclose(f);
	*out = p;
	*len = n;
	return 0;
}

/* The rows of a row file ("-" or none: standard input) into a new table. */
static int
read_rows(const struct kt *k, const char *path, struct rkmp_keytable **out)
{
	struct rkmp_keytable *rows;
	struct stat st;
	char *text;
	size_t len;
	int r;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && (st.st_mode & 077) != 0 &&
	    !k->quiet)
		fprintf(stderr, "%s: %s: warning: mode %04o: others may read the keys in it\n", PROG,
		    path, (unsigned)(st.st_mode & 07777));
	if ((r = read_input(path, &text, &len)) != 0)
		return r;
	if ((rows = rkmp_keytable_new()) == NULL) {
		free(text);
		return rkmp_err_set(RKMP_E_NOMEM, path, "out of memory");
	}
	r = rkmp_keytable_parse_rows(rows, strcmp(path, "-") == 0 ? "stdin" : path, text, len);
	OPENSSL_cleanse(text, len);
	free(text);
	if (r != 0) {
		rkmp_keytable_free(rows);
		return r;
	}
	*out = rows;
	return 0;
}

/* ------------------------------------------------------------------ output */

static void
text_time(int64_t t, char *out, size_t n)
{
	char c[16];

	rkmp_keytable_time_format(t, c);
	snprintf(out, n, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", c, c + 4, c + 6, c + 8, c + 10, c + 12);
}

static void
put_list(FILE *f, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "", v[i]);
}

/*
 * The rfc8177 export (lib/kt_export.c, indented) on one compact line
 * (DESIGN.md §8: stdout JSON is compact): the white space outside strings
 * left out, the strings as they are.
 */
static void
put_compact(const uint8_t *p, size_t n)
{
	bool in_str = false, esc = false;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"')
			in_str = true;
		else if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
			continue;
		putchar(c);
	}
	putchar('\n');
}

/*
 * One row per line, "show key chain" style: name, protocol, peers,
 * interfaces, key names, algorithm, direction, windows, state at --now, key.
 */
static void
print_row(const struct kt *k, const struct rkmp_keytable_row *r)
{
	char ss[32], se[32], as[32], ae[32];

	if (r == NULL) {
		rkmp_err_set(RKMP_E_NOMEM, "", "out of memory");
		exit(report(k, RKMP_E_NOMEM));
	}

	if (k->json) {
		struct rkmp_buf b;
		int rr;

		rkmp_buf_init(&b, 1u << 24);
		if ((rr = rkmp_keytable_row_json(r, true, &b)) != 0) {
			rkmp_buf_free(&b);
			exit(report(k, rr));
		}
		rkmp_buf_put(&b, "\n", 1);
		fwrite(b.p, 1, b.len, stdout);
		rkmp_buf_free(&b);
		return;
	}
	text_time(r->send_start, ss, sizeof(ss));
	text_time(r->send_end, se, sizeof(se));
	text_time(r->accept_start, as, sizeof(as));
	text_time(r->accept_end, ae, sizeof(ae));
	printf("%s %s peer ", r->admin_name, rkmp_keytable_protocol_name(r->protocol));
	put_list(stdout, r->peers, r->npeers);
	printf(" if ");
	put_list(stdout, r->interfaces, r->ninterfaces);
	printf(" local-name %s peer-name %s %s %s send %s..%s accept %s..%s %s key ",
	    r->local_name, r->peer_name[0] ? r->peer_name : "-", r->alg_id,
	    rkmp_keytable_dir_name(r->direction), ss, se, as, ae,
	    rkmp_keytable_row_state(r, k->now));
	if (k->show_keys) {
		for (size_t i = 0; i < r->key_len; i++)
			printf("%02x", r->key[i]);
		putchar('\n');
	} else
		printf("(hidden)\n");
}

/* A summary object for the writers with --json. */
struct summary {
	const char	*what;		/* "inserted", "deleted", ... */
	size_t		 n;
	struct rkmp_buf	 names;		/* text: the names quoted, comma-separated */
	json_t		*rows;		/* --json: the names */
};

static void
summary_free(struct summary *s)
{
	rkmp_buf_free(&s->names);
	json_decref(s->rows);
	s->rows = NULL;
}

static void
summary_add(const struct rkmp_keytable_row *r, void *arg)
{
	struct summary *s = arg;
	const char *c;

	if (s->names.len > 0)
		rkmp_buf_put(&s->names, ", ", 2);
	rkmp_buf_put(&s->names, "\"", 1);
	for (c = r->admin_name; *c; c++) {
		if (*c == '"' || *c == '\\')
			rkmp_buf_put(&s->names, "\\", 1);
		if ((unsigned char)*c < 0x20)
			rkmp_buf_put(&s->names, "?", 1);
		else
			rkmp_buf_put(&s->names, c, 1);
	}
	rkmp_buf_put(&s->names, "\"", 1);
	if (s->rows == NULL)
		s->rows = json_array();
	json_array_append_new(s->rows, json_string(r->admin_name));
	s->n++;
}

/* The writer's summary: {"subcommand", WHAT: n, "rows": [names], "old"} with
 * --json (old: rekey's replaced row, taken), else a line on stderr. */
static void
summary_print(const struct kt *k, struct summary *s, json_t *old)
{
	if (k->json) {
		json_t *j = json_pack("{s:s,s:I,s:o}", "subcommand", k->sub, s->what,
		    (json_int_t)s->n, "rows", s->rows != NULL ? json_incref(s->rows) : json_array());

		if (j != NULL && old != NULL)
			json_object_set(j, "old", old);
		rkmp_cli_json_line(j);
		json_decref(j);
	} else if (!k->quiet) {
		fprintf(stderr, "%s: %s: %s %zu row%s%s%.*s%s\n", PROG, k->table, s->what, s->n,
		    s->n == 1 ? "" : "s", s->n ? " (" : "", (int)s->names.len,
		    s->names.p ? (const char *)s->names.p : "", s->n ? ")" : "");
	}
	json_decref(old);
	summary_free(s);
}

/* ------------------------------------------------------------------ subcommands */

struct ins_arg {
	const struct rkmp_keytable *rows;
	struct summary *s;
};

static int
fn_insert(struct rkmp_keytable *kt, void *arg)
{
	struct ins_arg *a = arg;
	int r = rkmp_keytable_insert_all(kt, a->rows);

	if (r != 0)
		return r;	/* nothing is written */
	for (size_t i = 0; i < rkmp_keytable_count(a->rows); i++)
		summary_add(rkmp_keytable_at(a->rows, i), a->s);
	return 1;
}

static int
cmd_insert(struct kt *k)
{
	struct rkmp_keytable *rows;
	struct summary s = { "inserted", 0, { 0 }, NULL };
	struct ins_arg a = { NULL, &s };
	int r;

	if ((r = read_rows(k, k->nargs ? k->args[0] : "-", &rows)) != 0)
		return report(k, r);
	rkmp_buf_init(&s.names, 1u << 30);
	a.rows = rows;
	r = rkmp_keytable_update(k->table, true, fn_insert, &a);
	rkmp_keytable_free(rows);
	if (r < 0) {
		summary_free(&s);
		return report(k, r);
	}
	summary_print(k, &s, NULL);
	return 0;
}

static int
load(struct kt *k, struct rkmp_keytable **out)
{
	int r = rkmp_keytable_load(k->table, out);

	return r != 0 ? report(k, r) : 0;
}

/* get, delete, select, lookup: the rows of --protocol for --peer. */
static int
need_rows(const struct kt *k)
{
	if (!k->has_proto || k->peer == NULL)
		return rkmp_cli_usage(&cli, "%s needs --protocol and --peer", k->sub);
	return 0;
}

static int
cmd_get(struct kt *k)
{
	struct rkmp_keytable *kt;
	long i;
	int st, n = 0;

	if ((st = need_rows(k)) != 0 || (st = load(k, &kt)) != 0)
		return st;
	for (i = 0; (i = rkmp_keytable_get(kt, (size_t)i, k->proto, k->peer, k->spi)) >= 0; i++) {
		print_row(k, rkmp_keytable_at(kt, (size_t)i));
		n++;
	}
	rkmp_keytable_free(kt);
	if (n == 0) {
		if (k->spi != 0)
			rkmp_err_set(RKMP_E_REFUSED, k->table, "no %s row for peer %s with LocalKeyName "
			    "%" PRIx64, rkmp_keytable_protocol_name(k->proto), k->peer, k->spi);
		else
			rkmp_err_set(RKMP_E_REFUSED, k->table, "no %s row for peer %s",
			    rkmp_keytable_protocol_name(k->proto), k->peer);
		return report(k, RKMP_E_REFUSED);
	}
	return 0;
}

struct del_arg {
	struct kt	*k;
	struct summary	*s;
	const struct rkmp_keytable_row *row;
	char		 note[512];	/* rekey: the replaced row, text */
	json_t		*old;		/* rekey: the replaced row, --json */
};

static int
fn_delete(struct rkmp_keytable *kt, void *arg)
{
	struct del_arg *a = arg;
	size_t n;
	int r = rkmp_keytable_delete(kt, a->k->proto, a->k->peer, a->k->spi, &n, summary_add,
	    a->s);

	return r != 0 ? r : 1;
}

static int
fn_expire(struct rkmp_keytable *kt, void *arg)
{
	struct del_arg *a = arg;

	return rkmp_keytable_expire(kt, a->k->now, summary_add, a->s) > 0;
}

static int
fn_revoke(struct rkmp_keytable *kt, void *arg)
{
	struct del_arg *a = arg;

	return rkmp_keytable_revoke(kt, a->k->sa_i, a->k->sa_r, summary_add, a->s) > 0;
}

static int
run_writer(struct kt *k, const char *what, int (*fn)(struct rkmp_keytable *, void *))
{
	struct summary s = { what, 0, { 0 }, NULL };
	struct del_arg a = { k, &s, NULL, "", NULL };
	int r;

	rkmp_buf_init(&s.names, 1u << 30);
	if ((r = rkmp_keytable_update(k->table, false, fn, &a)) < 0) {
		summary_free(&s);
		return report(k, r);
	}
	summary_print(k, &s, NULL);
	return 0;
}

static int
cmd_delete(struct kt *k)
{
	int st;

	if ((st = need_rows(k)) != 0)
		return st;
	if (!k->has_spi)
		return rkmp_cli_usage(&cli, "delete needs --spi (00 deletes every row of the "
		    "protocol for the peer)");
	return run_writer(k, "deleted", fn_delete);
}

static int
cmd_expire(struct kt *k)
{
	return run_writer(k, "expired", fn_expire);
}

static int
cmd_revoke(struct kt *k)
{
	if (!k->has_sa)
		return rkmp_cli_usage(&cli, "revoke needs --rkmp-sa SPI_I:SPI_R");
	return run_writer(k, "revoked", fn_revoke);
}

static int
fn_rekey(struct rkmp_keytable *kt, void *arg)
{
	struct del_arg *a = arg;
	size_t oi;
	int r;

	if ((r = rkmp_keytable_rekey(kt, a->k->proto, a->k->peer, a->k->old_spi, a->row,
	    a->k->grace, &oi)) != 0)
		return r;
	{
		const struct rkmp_keytable_row *o = rkmp_keytable_at(kt, oi);
		char se[32], ae[32];

		summary_add(a->row, a->s);
		/* JSON in the table's own time format, text in ISO 8601 */
		if (a->k->json) {
			rkmp_keytable_time_format(o->send_end, se);
			rkmp_keytable_time_format(o->accept_end, ae);
		} else {
			text_time(o->send_end, se, sizeof(se));
			text_time(o->accept_end, ae, sizeof(ae));
		}
		if (a->k->json) {
			json_decref(a->old);
			a->old = json_pack("{s:s,s:s,s:s}", "AdminKeyName", o->admin_name,
			    "SendLifetimeEnd", se, "AcceptLifetimeEnd", ae);
		} else
			snprintf(a->note, sizeof(a->note), "%s: sends until %s, accepted until %s",
			    o->admin_name, se, ae);
	}
	return 1;
}

static int
cmd_rekey(struct kt *k)
{
	struct rkmp_keytable *rows;
	struct summary s = { "inserted", 0, { 0 }, NULL };
	struct del_arg a = { k, &s, NULL, "", NULL };
	const struct rkmp_keytable_row *nr;
	int r;

	if (!k->has_old_spi)
		return rkmp_cli_usage(&cli, "rekey needs --old-spi");
	if ((r = read_rows(k, k->nargs ? k->args[0] : "-", &rows)) != 0)
		return report(k, r);
	if (rkmp_keytable_count(rows) != 1) {
		rkmp_keytable_free(rows);
		return rkmp_cli_usage(&cli, "rekey: the row file holds %zu rows, not one",
		    rkmp_keytable_count(rows));
	}
	if ((nr = rkmp_keytable_at(rows, 0)) == NULL) {
		rkmp_keytable_free(rows);
		return report(k, rkmp_err_set(RKMP_E_NOMEM, "rekey", "out of memory"));
	}
	if (!k->has_proto)
		k->proto = nr->protocol;
	if (k->peer == NULL) {
		if (nr->npeers != 1) {
			rkmp_keytable_free(rows);
			return rkmp_cli_usage(&cli, "rekey: the new row has %zu peers: give --peer",
			    nr->npeers);
		}
		k->peer = nr->peers[0];
	}
	a.row = nr;
	rkmp_buf_init(&s.names, 1u << 20);
	r = rkmp_keytable_update(k->table, false, fn_rekey, &a);
	if (r < 0) {
		rkmp_keytable_free(rows);
		summary_free(&s);
		json_decref(a.old);
		return report(k, r);
	}
	if (!k->json && !k->quiet)
		fprintf(stderr, "%s: %s: rekeyed: %s\n", PROG, k->table, a.note);
	summary_print(k, &s, a.old);
	rkmp_keytable_free(rows);
	return 0;
}

static struct rkmp_keytable_query
query(const struct kt *k)
{
	struct rkmp_keytable_query q = {
		.protocol = k->proto, .peer = k->peer, .interface = k->iface,
		.key_name = k->key_name, .now = k->now,
		.prefer = k->nprefer ? k->prefer : NULL, .nprefer = k->nprefer,
	};

	return q;
}

static int
select_row(struct kt *k, bool lookup)
{
	struct rkmp_keytable *kt;
	struct rkmp_keytable_query q = query(k);
	size_t i;
	int st, r;

	if ((st = load(k, &kt)) != 0)
		return st;
	r = lookup ? rkmp_keytable_lookup(kt, &q, &i) : rkmp_keytable_select(kt, &q, &i);
	if (r == 0)
		print_row(k, rkmp_keytable_at(kt, i));
	rkmp_keytable_free(kt);
	return r != 0 ? report(k, r) : 0;
}

static int
cmd_select(struct kt *k)
{
	int st = need_rows(k);

	return st != 0 ? st : select_row(k, false);
}

static int
cmd_lookup(struct kt *k)
{
	int st;

	if ((st = need_rows(k)) != 0)
		return st;
	if (k->key_name == NULL)
		return rkmp_cli_usage(&cli, "lookup needs --key-name (the LocalKeyName the message "
		    "carries)");
	return select_row(k, true);
}

/* Whether row i of kt is listed: --protocol and --peer, when given. */
static bool
list_match(const struct kt *k, const struct rkmp_keytable *kt, size_t i,
    const struct rkmp_keytable_row *r)
{
	if (k->has_proto && r->protocol != k->proto)
		return false;
	return k->peer == NULL || rkmp_keytable_row_has_peer(kt, i, k->peer);
}

/*
 * list: with --json the rows as they are in the table (keys included), with
 * --show-keys each row on one line as get prints it, key included; else a
 * table for people, no wider than 100 characters and without the keys
 * (lib/kt_list.c): a first pass measures the columns, a second prints.
 */
static int
cmd_list(struct kt *k)
{
	struct rkmp_keytable *kt;
	struct rkmp_kt_list l;
	struct rkmp_buf line;
	bool table = !k->json && !k->show_keys;
	int st;

	if ((st = load(k, &kt)) != 0)
		return st;
	rkmp_kt_list_init(&l, k->now, RKMP_KT_LIST_WIDTH);
	rkmp_buf_init(&line, 1u << 16);
	for (int pass = table ? 0 : 1; pass < 2; pass++) {
		if (pass == 1 && table && l.rows > 0) {
			rkmp_kt_list_fit(&l);
			rkmp_kt_list_header(&l, &line);
		}
		for (size_t i = 0; i < rkmp_keytable_count(kt); i++) {
			const struct rkmp_keytable_row *r = rkmp_keytable_at(kt, i);

			if (r == NULL)
				goto nomem;
			if (!list_match(k, kt, i, r))
				continue;
			if (!table)
				print_row(k, r);
			else if (pass == 0)
				rkmp_kt_list_add(&l, r);
			else
				rkmp_kt_list_row(&l, r, &line);
			if (line.err != 0)
				goto nomem;
			if (line.len > 0) {
				fwrite(line.p, 1, line.len, stdout);
				rkmp_buf_reset(&line);
			}
		}
	}
	rkmp_buf_free(&line);
	rkmp_keytable_free(kt);
	return 0;
nomem:
	rkmp_buf_free(&line);
	rkmp_keytable_free(kt);
	return report(k, rkmp_err_set(RKMP_E_NOMEM, k->table, "out of memory"));
}

static int
cmd_export(struct kt *k)
{
	struct rkmp_keytable *kt;
	struct rkmp_buf b;
	size_t skipped = 0;
	int st, r;

	if (!k->has_fmt)
		return rkmp_cli_usage(&cli, "export needs --format %s", rkmp_keytable_export_names());
	/* stdout JSON is one compact value per line (DESIGN.md §8): rfc8177 is JSON */
	if (k->json && k->fmt != rkmp_keytable_export_format("rfc8177"))
		return rkmp_cli_usage(&cli, "--json: export prints its format's own text; of the "
		    "formats only rfc8177 is JSON (printed on one line with --json)");
	if ((st = load(k, &kt)) != 0)
		return st;
	rkmp_buf_init(&b, 1u << 30);
	r = rkmp_keytable_export(kt, k->fmt, k->has_proto ? k->proto : 0, k->peer, k->now, &b,
	    &skipped);
	rkmp_keytable_free(kt);
	if (r != 0) {
		rkmp_buf_free(&b);
		return report(k, r);
	}
	if (k->json)
		put_compact(b.p, b.len);
	else
		fwrite(b.p, 1, b.len, stdout);
	rkmp_buf_free(&b);
	if (skipped > 0 && !k->quiet)
		fprintf(stderr, "%s: %s: %zu row%s left out of the export (see its comments)\n", PROG,
		    k->table, skipped, skipped == 1 ? "" : "s");
	return 0;
}

/* A master key file: the content, one trailing newline stripped; 0x... is hex. */
static int
read_master_key(const char *path, uint8_t *key, size_t cap, size_t *len)
{
	struct stat st;
	char *text;
	size_t n;
	int r;

	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		return rkmp_err_set(RKMP_E_USAGE, path, "mode %04o: a key file others may read "
		    "(chmod 600 %s)", (unsigned)(st.st_mode & 07777), path);
	if ((r = read_input(path, &text, &n)) != 0) {
		char d[400];

		snprintf(d, sizeof(d), "%s", rkmp_err_detail());
		return r == RKMP_E_STATE ? rkmp_err_set(RKMP_E_USAGE, path, "%s", d) : r;
	}
	if (n > 0 && text[n - 1] == '\n')
		n--;
	if (n > 0 && text[n - 1] == '\r')
		n--;
	r = 0;
	if (n >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		size_t h = n - 2;

		if (h == 0 || h % 2 != 0 || h / 2 > cap)
			r = rkmp_err_set(RKMP_E_USAGE, path, "0x...: an even number of hex digits, at "
			    "most %zu octets", cap);
		for (size_t i = 0; r == 0 && i < h / 2; i++) {
			unsigned v;

			if (sscanf(text + 2 + 2 * i, "%2x", &v) != 1 ||
			    !strchr("0123456789abcdefABCDEF", text[2 + 2 * i]) ||
			    !strchr("0123456789abcdefABCDEF", text[3 + 2 * i]))
				r = rkmp_err_set(RKMP_E_USAGE, path, "0x...: character %zu is not a hex "
				    "digit", 2 * i + 3);
			key[i] = (uint8_t)v;
		}
		*len = h / 2;
	} else {
		if (n == 0 || n > cap)
			r = rkmp_err_set(RKMP_E_USAGE, path, "a key of 1 to %zu octets expected", cap);
		else
			memcpy(key, text, n);
		*len = n;
	}
	OPENSSL_cleanse(text, n);
	free(text);
	return r;
}

/* A traffic key: a line of text, or with --json a member of j (hex). */
static void
put_key_line(const struct kt *k, json_t *j, const char *name, const uint8_t *p, size_t n)
{
	if (k->json) {
		char hex[2 * 64 + 1];

		for (size_t i = 0; i < n && i < 64; i++)
			snprintf(hex + 2 * i, 3, "%02x", p[i]);
		hex[2 * (n < 64 ? n : 64)] = '\0';
		json_object_set_new(j, name, json_string(hex));
		OPENSSL_cleanse(hex, sizeof(hex));
		return;
	}
	printf("%-14s ", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

static int
cmd_traffic_keys(struct kt *k)
{
	struct rkmp_tcpao_conn c;
	struct rkmp_tcpao_keys tk;
	uint8_t master[RKMP_KEYTABLE_KEY_MAX];
	size_t mlen = 0;
	enum rkmp_tcpao_alg alg;
	char rowname[600] = "";
	const char *kdfname;
	const struct rkmp_protocol *tk_proto = NULL;
	json_t *j = NULL;
	int r;

	/* the protocol whose master keys make traffic keys (TCP-AO, RFC 5926) */
	for (size_t i = 0; tk_proto == NULL && rkmp_protocol_at(i) != NULL; i++)
		if (rkmp_protocol_at(i)->traffic_keys)
			tk_proto = rkmp_protocol_at(i);
	memset(&c, 0, sizeof(c));
	if (k->src == NULL || k->dst == NULL || !k->has_sport || !k->has_dport ||
	    !k->has_src_isn || !k->has_dst_isn)
		return rkmp_cli_usage(&cli, "traffic-keys needs --src, --dst, --sport, --dport, "
		    "--src-isn and --dst-isn");
	if (inet_pton(AF_INET, k->src, c.src) == 1 && inet_pton(AF_INET, k->dst, c.dst) == 1)
		c.af = AF_INET;
	else if (inet_pton(AF_INET6, k->src, c.src) == 1 && inet_pton(AF_INET6, k->dst, c.dst) == 1)
		c.af = AF_INET6;
	else
		return rkmp_cli_usage(&cli, "--src '%s' and --dst '%s': two IPv4 or two IPv6 "
		    "addresses expected", k->src, k->dst);
	c.sport = k->sport;
	c.dport = k->dport;
	c.src_isn = k->src_isn;
	c.dst_isn = k->dst_isn;
	if (k->mk_file != NULL) {
		if (!k->has_kdf)
			return rkmp_cli_usage(&cli, "--master-key-file needs --kdf hmac-sha1 or "
			    "aes-128-cmac");
		if (k->table != NULL || k->peer != NULL || k->has_proto || k->has_spi)
			return rkmp_cli_usage(&cli, "give either --master-key-file or a row "
			    "(-t, --protocol, --peer, --spi), not both");
		alg = k->kdf;
		if ((r = read_master_key(k->mk_file, master, sizeof(master), &mlen)) != 0)
			return report(k, r);
	} else {
		struct rkmp_keytable *kt;
		const struct rkmp_keytable_row *row;
		int st;

		if (k->peer == NULL)
			return rkmp_cli_usage(&cli, "traffic-keys needs --master-key-file, or "
			    "--peer (and --spi) to take a row's key");
		if (k->has_kdf)
			return rkmp_cli_usage(&cli, "--kdf goes with --master-key-file: a row names "
			    "its own KDF");
		if (k->spi != 0 && (k->iface != NULL || k->nprefer > 0 || k->has_now))
			return rkmp_cli_usage(&cli, "--spi names the row: --interface, --prefer and --now "
			    "select one without it");
		if (!k->has_proto)
			k->proto = tk_proto->id;
		if (!rkmp_protocol_by_id(k->proto)->traffic_keys)
			return rkmp_cli_usage(&cli, "traffic-keys: only %s rows have traffic keys",
			    tk_proto->name);
		if (k->table == NULL)
			return rkmp_cli_usage(&cli, "-t FILE is required to take a row's key");
		if ((st = load(k, &kt)) != 0)
			return st;
		if (k->spi != 0) {
			long i = rkmp_keytable_get(kt, 0, k->proto, k->peer, k->spi);

			r = i < 0 ? rkmp_err_set(RKMP_E_REFUSED, k->table, "no %s row for peer "
			    "%s with LocalKeyName %" PRIx64, tk_proto->name, k->peer, k->spi) : 0;
			row = i < 0 ? NULL : rkmp_keytable_at(kt, (size_t)i);
		} else {
			struct rkmp_keytable_query q = query(k);
			size_t i = 0;

			r = rkmp_keytable_select(kt, &q, &i);
			row = r == 0 ? rkmp_keytable_at(kt, i) : NULL;
		}
		if (r == 0 && row == NULL)
			r = rkmp_err_set(RKMP_E_NOMEM, k->table, "out of memory");
		if (r == 0 && (r = rkmp_tcpao_alg_parse(row->alg_id, &alg)) != 0)
			r = rkmp_err_set(RKMP_E_CRYPTO, k->table, "AlgID %s: no %s KDF",
			    row->alg_id, tk_proto->title);
		if (r == 0) {
			memcpy(master, row->key, row->key_len);
			mlen = row->key_len;
			snprintf(rowname, sizeof(rowname), "%s", row->admin_name);
		}
		rkmp_keytable_free(kt);
		if (r != 0)
			return report(k, r);
	}
	r = rkmp_tcpao_keys(alg, master, mlen, &c, &tk);
	OPENSSL_cleanse(master, sizeof(master));
	if (r != 0)
		return report(k, r);
	kdfname = alg == RKMP_TCPAO_HMAC_SHA1_96 ? "hmac-sha1" : "aes-128-cmac";
	if (k->json) {
		j = json_pack("{s:s}", "kdf", kdfname);
		if (rowname[0])
			json_object_set_new(j, "row", json_string(rowname));
	} else if (!k->quiet)
		fprintf(stderr, "%s: %s traffic keys (%s%s%s), %s:%u -> %s:%u\n", PROG,
		    tk_proto->title, kdfname, rowname[0] ? ", row " : "", rowname, k->src, k->sport,
		    k->dst, k->dport);
	put_key_line(k, j, "send_syn", tk.send_syn, tk.len);
	put_key_line(k, j, "receive_syn", tk.receive_syn, tk.len);
	put_key_line(k, j, "send_other", tk.send_other, tk.len);
	put_key_line(k, j, "receive_other", tk.receive_other, tk.len);
	if (k->json) {
		rkmp_cli_json_line(j);
		json_decref(j);
	}
	OPENSSL_cleanse(&tk, sizeof(tk));
	return 0;
}

/* ------------------------------------------------------------------ options */

static bool
parse_u32(const char *s, uint32_t *v, uint32_t max)
{
	char *end;
	unsigned long long x;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	x = strtoull(s, &end, (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10);
	if (errno != 0 || *end != '\0' || x > max)
		return false;
	*v = (uint32_t)x;
	return true;
}

/*
 * The subcommands, one row each: its name, its function, the options it
 * takes beyond those every subcommand takes (keys of opts[]), its argument
 * (NULL: none), its usage after the name, and what it does in one line (at
 * most 62 characters, for --help).  The rows drive dispatch, --help (the
 * synopsis and the list), SUB --help, --list-commands, --list-options SUB,
 * and the errors for no or an unknown subcommand, an option of another one
 * and an argument too many.
 */
static const struct sub {
	const char	*name;
	int		 (*fn)(struct kt *);
	int		 opts[16];	/* ends with 0 */
	const char	*arg;		/* "row file": one, optional */
	const char	*usage;
	const char	*help;
} subs[] = {
	{ "insert", cmd_insert, { 0 }, "row file",
	    "[ROW.json|-]",
	    "add rows: a row object, an array, or one per line; all or none" },
	{ "get", cmd_get, { OPT_PROTOCOL, OPT_PEER, OPT_SPI, OPT_NOW, OPT_SHOW_KEYS }, NULL,
	    "--protocol P --peer ADDR [--spi HEX] [--now T] [--show-keys]",
	    "print the rows of a protocol for a peer, or the one of --spi" },
	{ "delete", cmd_delete, { OPT_PROTOCOL, OPT_PEER, OPT_SPI }, NULL,
	    "--protocol P --peer ADDR --spi HEX",
	    "drop the row of --spi, or with --spi 00 every row of the peer" },
	{ "rekey", cmd_rekey, { OPT_PROTOCOL, OPT_PEER, OPT_OLD_SPI, OPT_GRACE }, "row file",
	    "--old-spi HEX [--protocol P] [--peer ADDR] [--grace S] [ROW.json|-]",
	    "replace the row of --old-spi by a new one, after --grace" },
	{ "select", cmd_select, { OPT_PROTOCOL, OPT_PEER, OPT_INTERFACE, OPT_NOW, OPT_PREFER,
	    OPT_SHOW_KEYS }, NULL,
	    "--protocol P --peer ADDR [--interface I] [--prefer ALG,...] [--now T]\n"
	    "      [--show-keys]",
	    "print the row to send with at --now (RFC 7210 §3)" },
	{ "lookup", cmd_lookup, { OPT_PROTOCOL, OPT_PEER, OPT_INTERFACE, OPT_KEY_NAME, OPT_NOW,
	    OPT_SHOW_KEYS }, NULL,
	    "--protocol P --peer ADDR --key-name HEX [--interface I] [--now T]\n"
	    "      [--show-keys]",
	    "print the row a received --key-name designates (RFC 7210 §3)" },
	{ "list", cmd_list, { OPT_PROTOCOL, OPT_PEER, OPT_NOW, OPT_SHOW_KEYS }, NULL,
	    "[--protocol P] [--peer ADDR] [--now T] [--show-keys]",
	    "print the rows as a table for people, keys hidden" },
	{ "expire", cmd_expire, { OPT_NOW }, NULL,
	    "[--now T]",
	    "drop the rows whose accept lifetime has ended at --now" },
	{ "revoke", cmd_revoke, { OPT_RKMP_SA }, NULL,
	    "--rkmp-sa SPI_I:SPI_R",
	    "drop the rows of an RKMP SA (RP_revokeSA)" },
	{ "export", cmd_export, { OPT_PROTOCOL, OPT_PEER, OPT_FORMAT, OPT_NOW }, NULL,
	    "--format FMT [--protocol P] [--peer ADDR] [--now T]",
	    "print BIRD or FRR config, RFC 8177 JSON or Wireshark ESP SAs" },
	{ "traffic-keys", cmd_traffic_keys, { OPT_PROTOCOL, OPT_PEER, OPT_SPI, OPT_INTERFACE,
	    OPT_NOW, OPT_PREFER, OPT_MASTER_KEY_FILE, OPT_KDF, OPT_SRC, OPT_DST, OPT_SPORT,
	    OPT_DPORT, OPT_SRC_ISN, OPT_DST_ISN }, NULL,
	    "([--protocol tcp-ao] --peer ADDR [--spi HEX | [--interface I]\n"
	    "      [--prefer ALG,...] [--now T]] | --master-key-file FILE\n"
	    "      --kdf hmac-sha1|aes-128-cmac) --src A --dst A --sport N --dport N\n"
	    "      --src-isn N --dst-isn N",
	    "derive the four TCP-AO traffic keys of a connection (RFC 5926)" },
};

_Static_assert(nitems(subs) <= sizeof(unsigned) * 8, "a bit of rkmp_opt.only per subcommand");

/* The bit of s in the option rows' rkmp_opt.only. */
static unsigned
sub_bit(const struct sub *s)
{
	return 1u << (s - subs);
}

/* The subcommand named name, NULL when there is none such. */
static const struct sub *
sub_find(const char *name)
{
	for (size_t i = 0; i < nitems(subs); i++)
		if (strcmp(subs[i].name, name) == 0)
			return &subs[i];
	return NULL;
}

/* Append to buf (of n) as snprintf would; a full buffer is a bug. */
static void
append(char *buf, size_t n, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= n - len)
		abort();
}

/* The synopsis: the first line, then one line (or more) per subcommand. */
#define SYNOPSIS	"-t FILE SUBCOMMAND [ARG] [options]"
#define SYNOPSIS_SUB	"\n  %s %s"

/* The option rows' only bits, the synopsis and the description, from subs[]. */
static void
cli_init(void)
{
	for (size_t i = 0; i < nitems(subs); i++)
		for (const int *key = subs[i].opts; *key != 0; key++) {
			struct rkmp_opt *o = opts;

			while (o->name != NULL && o->key != *key)
				o++;
			if (o->name == NULL)
				abort();	/* a key with no row in opts[] */
			o->only |= sub_bit(&subs[i]);
		}
	append(synopsis, sizeof(synopsis), SYNOPSIS);
	append(description, sizeof(description), "%s",
	    "Keep an RFC 7210 key table: the rows of routing-protocol keys (TCP-AO, BFD,\n"
	    "RSVP-TE, TCP-MD5, and ESP for the ikev2 profile) with their names, peers,\n"
	    "algorithms and send and accept lifetimes; no two rows have the same Protocol,\n"
	    "peer and LocalKeyName.  Writers lock FILE.lock and replace the table\n"
	    "atomically with mode 0600.\n\n"
	    "subcommands ('" PROG " SUBCOMMAND --help': its usage and options):");
	for (size_t i = 0; i < nitems(subs); i++) {
		append(synopsis, sizeof(synopsis), SYNOPSIS_SUB, subs[i].name, subs[i].usage);
		append(description, sizeof(description), "\n  %-13s %s", subs[i].name,
		    subs[i].help);
	}
}

/* rkmp-keytable SUB --help: the synopsis and options of the tool's, its own. */
static int
sub_help(const struct sub *s)
{
	static char syn[512], desc[128];
	struct rkmp_cli sc = cli;

	append(syn, sizeof(syn), SYNOPSIS SYNOPSIS_SUB, s->name, s->usage);
	append(desc, sizeof(desc), "%s: %s.", s->name, s->help);
	sc.synopsis = syn;
	sc.description = desc;
	sc.mask = sub_bit(s);
	rkmp_cli_help(&sc, stdout);
	return 0;
}

/* The usage error of no subcommand: their names. */
static int
no_sub(void)
{
	char names[256] = "";

	for (size_t i = 0; i < nitems(subs); i++)
		append(names, sizeof(names), "%s%s", i == 0 ? "" : i + 1 < nitems(subs) ? ", " :
		    " or ", subs[i].name);
	return rkmp_cli_usage(&cli, "no subcommand: %s", names);
}

static int
run(struct kt *k)
{
	const struct sub *s = sub_find(k->sub);
	const struct rkmp_opt *misfit;

	if (s == NULL)
		return rkmp_cli_usage(&cli, "unknown subcommand '%s'", k->sub);
	/* options that do not apply to this subcommand are mistakes */
	if ((misfit = rkmp_cli_misfit(&cli, k->seen, k->nseen, sub_bit(s))) != NULL)
		return rkmp_cli_usage(&cli, "%s does not apply to %s", rkmp_cli_name(misfit), s->name);
	/* only traffic-keys takes --master-key-file, instead of a row of the table */
	if (k->table == NULL && k->mk_file == NULL)
		return rkmp_cli_usage(&cli, "-t FILE (the key table) is required");
	if (k->nargs > 0 && s->arg == NULL)
		return rkmp_cli_usage(&cli, "%s takes no argument ('%s')", s->name, k->args[0]);
	if (k->nargs > 1)
		return rkmp_cli_usage(&cli, "%s takes one %s", s->name, s->arg);
	return s->fn(k);
}

int
main(int argc, char **argv)
{
	struct kt k = { .grace = RKMP_KEYTABLE_GRACE };
	bool help = false, list_options = false;
	int c, st;

	cli_init();
	while ((c = rkmp_cli_next(&cli, argc, argv)) != -1) {
		if (help)
			continue;	/* only the subcommand counts after --help */
		if (k.nseen < nitems(k.seen))
			k.seen[k.nseen++] = c;
		switch (c) {
		case 't':
			k.table = optarg;
			break;
		case OPT_PROTOCOL:
			if (!rkmp_keytable_protocol_value(optarg, &k.proto))
				return rkmp_cli_usage(&cli, "--protocol: '%s' is not %s", optarg,
				    rkmp_protocol_names(true, true));
			k.has_proto = true;
			break;
		case OPT_PEER:
			if (!rkmp_keytable_peer_ok(optarg))
				return rkmp_cli_usage(&cli, "--peer: '%s' is not an IPv4 or IPv6 address "
				    "or group:NAME", optarg);
			k.peer = optarg;
			break;
		case OPT_SPI:
			if (!rkmp_keytable_spi_parse(optarg, &k.spi))
				return rkmp_cli_usage(&cli, "--spi: '%s' is not 1 to 16 hex digits",
				    optarg);
			k.has_spi = true;
			break;
		case OPT_OLD_SPI:
			if (!rkmp_keytable_spi_parse(optarg, &k.old_spi) || k.old_spi == 0)
				return rkmp_cli_usage(&cli, "--old-spi: '%s' is not 1 to 16 hex digits "
				    "(and not 0)", optarg);
			k.has_old_spi = true;
			break;
		case OPT_INTERFACE:
			k.iface = optarg;
			break;
		case OPT_KEY_NAME: {
			uint64_t v;

			if (!rkmp_keytable_spi_parse(optarg, &v))
				return rkmp_cli_usage(&cli, "--key-name: '%s' is not 1 to 16 hex digits",
				    optarg);
			k.key_name = optarg;
			break;
		}
		case OPT_RKMP_SA:
			if (!rkmp_keytable_sa_parse(optarg, &k.sa_i, &k.sa_r))
				return rkmp_cli_usage(&cli, "--rkmp-sa: '%s' is not SPI_I:SPI_R (16 hex "
				    "digits each)", optarg);
			k.has_sa = true;
			break;
		case OPT_FORMAT:
			if ((k.fmt = rkmp_keytable_export_format(optarg)) == NULL)
				return rkmp_cli_usage(&cli, "--format: '%s' is not %s", optarg,
				    rkmp_keytable_export_names());
			k.has_fmt = true;
			break;
		case OPT_NOW:
			if (rkmp_keytable_time_parse(optarg, &k.now) != 0)
				return rkmp_cli_usage(&cli, "--now: '%s': %s (YYYYmmddHHMMSSZ)", optarg,
				    rkmp_err_detail());
			k.has_now = true;
			break;
		case OPT_GRACE:
			if (!parse_u32(optarg, &k.grace, 365u * 86400))
				return rkmp_cli_usage(&cli, "--grace: '%s' is not a number of seconds "
				    "(at most a year)", optarg);
			k.has_grace = true;
			break;
		case OPT_PREFER: {
			char *save = NULL, *tok;

			free(k.prefer_buf);
			if ((k.prefer_buf = strdup(optarg)) == NULL)
				return 7;
			k.nprefer = 0;
			for (tok = strtok_r(k.prefer_buf, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				if (k.nprefer == nitems(k.prefer))
					return rkmp_cli_usage(&cli, "--prefer: more than %zu AlgIDs",
					    nitems(k.prefer));
				k.prefer[k.nprefer++] = tok;
			}
			if (k.nprefer == 0)
				return rkmp_cli_usage(&cli, "--prefer: no AlgID");
			break;
		}
		case OPT_SHOW_KEYS:
			k.show_keys = true;
			break;
		case OPT_MASTER_KEY_FILE:
			k.mk_file = optarg;
			break;
		case OPT_KDF:
			if (strcmp(optarg, "hmac-sha1") == 0)
				k.kdf = RKMP_TCPAO_HMAC_SHA1_96;
			else if (strcmp(optarg, "aes-128-cmac") == 0)
				k.kdf = RKMP_TCPAO_AES_128_CMAC_96;
			else
				return rkmp_cli_usage(&cli, "--kdf: '%s' is not hmac-sha1 or aes-128-cmac",
				    optarg);
			k.has_kdf = true;
			break;
		case OPT_SRC:
			k.src = optarg;
			break;
		case OPT_DST:
			k.dst = optarg;
			break;
		case OPT_SPORT:
		case OPT_DPORT: {
			uint32_t v;

			if (!parse_u32(optarg, &v, 65535))
				return rkmp_cli_usage(&cli, "--%s: '%s' is not a port (0..65535)",
				    c == OPT_SPORT ? "sport" : "dport", optarg);
			if (c == OPT_SPORT) {
				k.sport = (uint16_t)v;
				k.has_sport = true;
			} else {
				k.dport = (uint16_t)v;
				k.has_dport = true;
			}
			break;
		}
		case OPT_SRC_ISN:
		case OPT_DST_ISN:
			if (!parse_u32(optarg, c == OPT_SRC_ISN ? &k.src_isn : &k.dst_isn, UINT32_MAX))
				return rkmp_cli_usage(&cli, "--%s: '%s' is not a 32-bit number (decimal or "
				    "0x hex)", c == OPT_SRC_ISN ? "src-isn" : "dst-isn", optarg);
			if (c == OPT_SRC_ISN)
				k.has_src_isn = true;
			else
				k.has_dst_isn = true;
			break;
		case OPT_JSON:
			k.json = cli.json = true;
			break;
		case 'q':
			k.quiet = true;
			break;
		case 'h':
			help = true;	/* after the subcommand, if one is given */
			break;
		case OPT_VERSION:
			rkmp_cli_version(&cli, stdout, NULL);
			return 0;
		case OPT_LIST_COMMANDS:
			for (size_t i = 0; i < nitems(subs); i++)
				printf("%s\n", subs[i].name);
			return 0;
		case OPT_LIST_OPTIONS:
			list_options = true;	/* after the subcommand, if one is given */
			break;
		default:	/* ':' or '?' */
			return rkmp_cli_bad(&cli, c, argv);
		}
	}
	if (help || list_options) {
		/* a subcommand's own help and options, or the whole tool's */
		const struct sub *s = optind < argc ? sub_find(argv[optind]) : NULL;
		struct rkmp_cli sc = cli;

		if (optind < argc && s == NULL)
			return rkmp_cli_usage(&cli, "unknown subcommand '%s'", argv[optind]);
		if (help && s != NULL)
			return sub_help(s);
		if (help) {
			rkmp_cli_help(&cli, stdout);
			return 0;
		}
		sc.mask = s != NULL ? sub_bit(s) : 0;
		rkmp_cli_list(&sc, stdout);
		return 0;
	}
	if (optind >= argc)
		return no_sub();
	k.sub = argv[optind];
	k.args = argv + optind + 1;
	k.nargs = argc - optind - 1;
	if (!k.has_now)
		k.now = (int64_t)time(NULL);
	st = run(&k);
	free(k.prefer_buf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* stdout failed: the reporter says it on stderr */
		rkmp_err_set(RKMP_E_SYSTEM, "standard output", "%s", strerror(errno));
		return st ? st : rkmp_cli_error(&cli, NULL, RKMP_E_SYSTEM);
	}
	return st;
}

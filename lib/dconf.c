/* SPDX-License-Identifier: MIT */
/*
 * dconf.c — rkmpd's configuration file (see dconf.h): read with jansson
 * (DESIGN.md §10: a small document), every key checked against the table of
 * its object, every value against the rules the step tools apply to the
 * same option.  Nothing of a bad document is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "crypto.h"
#include "dconf.h"
#include "err.h"
#include "identity.h"
#include "keytable.h"
#include "nitems.h"
#include "proposal.h"
#include "protocols.h"
#include "udp.h"
#include "wire.h"

#define PATH_MAX_TEXT	160	/* "peers[1023].children[7].rekey_margin" */

static const char *const top_keys[] = {
	"format", "version", "listen", "state_dir", "keytable", "events", "rp_hook", "control",
	"cookie_threshold", "retransmit_timeout", "retransmit_tries", "peers",
};
static const char *const peer_keys[] = {
	"name", "address", "port", "profile", "id", "peer_id", "psk_file", "cert", "key", "ca",
	"proposal", "child_proposal", "start", "ike_lifetime", "dpd", "children",
};
static const char *const child_keys[] = { "protocol", "pfs", "lifetime", "rekey_margin" };
static const char *const start_names[] = {
	[RKMP_DCONF_ALWAYS] = "always", [RKMP_DCONF_ON_DEMAND] = "on-demand",
	[RKMP_DCONF_RESPOND] = "respond",
};

const char *
rkmp_dconf_start_name(enum rkmp_dconf_start s)
{
	return (size_t)s < nitems(start_names) ? start_names[s] : "?";
}

/* ------------------------------------------------------------------ values */

/* The path of a key below an object's path: "peers[2]" + "port". */
static const char *
at(char *buf, const char *obj, const char *key)
{
	snprintf(buf, PATH_MAX_TEXT, "%s%s%s", obj, obj[0] ? "." : "", key);
	return buf;
}

#define bad(where, ...)	rkmp_err_set(RKMP_E_USAGE, where, __VA_ARGS__)

/* Every key of o is one of keys[]; else the first that is not, with the list. */
static int
keys_known(json_t *o, const char *obj, const char *const *keys, size_t n)
{
	const char *k;
	json_t *v;
	char p[PATH_MAX_TEXT], list[512];
	size_t len = 0;

	json_object_foreach(o, k, v) {
		size_t i;

		for (i = 0; i < n && strcmp(keys[i], k) != 0; i++)
			;
		if (i < n)
			continue;
		for (i = 0; i < n && len + 32 < sizeof(list); i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", keys[i]);
		return rkmp_err_set(RKMP_E_USAGE, at(p, obj, k), "unknown key (known here: %s)", list);
	}
	return 0;
}

/* A string member: NULL (0) when absent and not required; a non-empty string. */
static int
get_str(json_t *o, const char *obj, const char *key, bool required, const char **out)
{
	json_t *v = json_object_get(o, key);
	char p[PATH_MAX_TEXT];

	*out = NULL;
	if (v == NULL)
		return required ? rkmp_err_set(RKMP_E_USAGE, at(p, obj, key), "missing (required)") : 0;
	if (!json_is_string(v))
		return rkmp_err_set(RKMP_E_USAGE, at(p, obj, key), "not a string");
	if (json_string_length(v) == 0 || strlen(json_string_value(v)) != json_string_length(v))
		return rkmp_err_set(RKMP_E_USAGE, at(p, obj, key), "an empty string (or one with NUL)");
	*out = json_string_value(v);
	return 0;
}

/* A string member copied into buf (dflt when absent). */
static int
get_text(json_t *o, const char *obj, const char *key, const char *dflt, char *buf, size_t n)
{
	const char *s;
	char p[PATH_MAX_TEXT];
	int r;

	if ((r = get_str(o, obj, key, false, &s)) != 0)
		return r;
	if (s == NULL)
		s = dflt != NULL ? dflt : "";
	if (strlen(s) >= n)
		return rkmp_err_set(RKMP_E_USAGE, at(p, obj, key), "longer than %zu characters", n - 1);
	snprintf(buf, n, "%s", s);
	return 0;
}

/* An integer member in lo..hi (dflt when absent). */
static int
get_uint(json_t *o, const char *obj, const char *key, json_int_t lo, json_int_t hi, uint32_t dflt,
    uint32_t *out)
{
	json_t *v = json_object_get(o, key);
	char p[PATH_MAX_TEXT];

	*out = dflt;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return rkmp_err_set(RKMP_E_USAGE, at(p, obj, key), "not an integer in %" JSON_INTEGER_FORMAT
		    "..%" JSON_INTEGER_FORMAT, lo, hi);
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

/* A file the daemon will read: it exists and is a regular file we can read. */
static int
readable(const char *where, const char *file)
{
	struct stat st;

	if (stat(file, &st) != 0)
		return rkmp_err_set(RKMP_E_USAGE, where, "%s: %s", file, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bad(where, "%s: not a regular file", file);
	if (access(file, R_OK) != 0)
		return rkmp_err_set(RKMP_E_USAGE, where, "%s: %s", file, strerror(errno));
	return 0;
}

/* A directory the daemon writes into (state_dir), or the directory of a file it writes. */
static int
dir_writable(const char *where, const char *dir, const char *what)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return rkmp_err_set(RKMP_E_USAGE, where, "%s%s: %s", what, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return rkmp_err_set(RKMP_E_USAGE, where, "%s%s: not a directory", what, dir);
	if (access(dir, W_OK | X_OK) != 0)
		return rkmp_err_set(RKMP_E_USAGE, where, "%s%s: %s", what, dir, strerror(errno));
	return 0;
}

static int
parent_writable(const char *where, const char *file)
{
	char dir[512];
	const char *slash = strrchr(file, '/');

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == file)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);
	return dir_writable(where, dir, "the directory ");
}

/* ------------------------------------------------------------------ peers */

static int
child(json_t *c, const char *obj, const struct rkmp_dconf_peer *pe, struct rkmp_dconf_child *ch)
{
	const struct rkmp_protocol *pr;
	const char *s;
	char p[PATH_MAX_TEXT];
	unsigned g;
	int r;

	if (!json_is_object(c))
		return bad(obj, "not an object");
	if ((r = keys_known(c, obj, child_keys, nitems(child_keys))) != 0 ||
	    (r = get_str(c, obj, "protocol", false, &s)) != 0)
		return r;
	if (s == NULL)
		pr = rkmp_protocol_default(pe->profile == RKMP_PROFILE_RKMP);
	else if ((pr = rkmp_protocol_by_name(s)) == NULL || pr->rp != (pe->profile == RKMP_PROFILE_RKMP))
		return rkmp_err_set(RKMP_E_USAGE, at(p, obj, "protocol"), "\"%s\" is not %s (the %s "
		    "profile)", s, pe->profile == RKMP_PROFILE_RKMP ? rkmp_protocol_names(false, true) :
		    "esp", rkmp_profile_name(pe->profile));
	ch->protocol = pr->id;
	if ((r = get_str(c, obj, "pfs", false, &s)) != 0)
		return r;
	ch->pfs = 0;
	if (s != NULL && strcmp(s, "none") != 0) {
		if (!rkmp_crypto_dh_by_name(s, &g))
			return bad(at(p, obj, "pfs"), "\"%s\" is not a DH group (x25519, ecp256, modp2048, "
			    "..., or none)", s);
		ch->pfs = (uint16_t)g;
	}
	if ((r = get_uint(c, obj, "lifetime", 2, 10L * 365 * 86400, RKMP_DCONF_LIFETIME,
	    &ch->lifetime)) != 0 ||
	    (r = get_uint(c, obj, "rekey_margin", 1, 10L * 365 * 86400, ch->lifetime / 10 ?
	    ch->lifetime / 10 : 1, &ch->rekey_margin)) != 0)
		return r;
	/* the rekey (jitter 10 % of the margin) comes before the end, after half of it */
	if ((uint64_t)ch->rekey_margin * 2 > ch->lifetime)
		return rkmp_err_set(RKMP_E_USAGE, at(p, obj, "rekey_margin"), "%u s is more than half "
		    "the lifetime (%u s)", ch->rekey_margin, ch->lifetime);
	return 0;
}

static int
peer(json_t *o, const char *obj, struct rkmp_dconf_peer *pe)
{
	const char *s;
	char p[PATH_MAX_TEXT];
	uint8_t idt, idd[RKMP_SA_ID_MAX];
	size_t idl;
	uint32_t port;
	json_t *cs;
	int r;

	if (!json_is_object(o))
		return bad(obj, "not an object");
	if ((r = keys_known(o, obj, peer_keys, nitems(peer_keys))) != 0 ||
	    (r = get_text(o, obj, "name", NULL, pe->name, sizeof(pe->name))) != 0)
		return r;
	if (json_object_get(o, "name") == NULL)
		return bad(at(p, obj, "name"), "missing (required)");
	/* the name is the state file's: STATE_DIR/NAME.json */
	if (pe->name[0] == '.' || strspn(pe->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != strlen(pe->name))
		return bad(at(p, obj, "name"), "\"%s\": letters, digits, '.', '_' and '-' only, not "
		    "starting with '.'", pe->name);
	if ((r = get_str(o, obj, "profile", false, &s)) != 0)
		return r;
	pe->profile = RKMP_PROFILE_RKMP;
	if (s != NULL && !rkmp_profile_value(s, &pe->profile))
		return bad(at(p, obj, "profile"), "\"%s\" is not rkmp or ikev2", s);
	if ((r = get_text(o, obj, "address", "", pe->address, sizeof(pe->address))) != 0)
		return r;
	if (pe->address[0] == '\0')
		return bad(at(p, obj, "address"), "missing (required)");
	if (!rkmp_keytable_peer_ok(pe->address) || strncmp(pe->address, "group:", 6) == 0)
		return bad(at(p, obj, "address"), "\"%s\" is not an IPv4 or IPv6 address", pe->address);
	if ((r = get_uint(o, obj, "port", 1, 65535, pe->profile == RKMP_PROFILE_IKEV2 ? RKMP_PORT_IKE :
	    RKMP_PORT_RKMP, &port)) != 0)
		return r;
	pe->port = (uint16_t)port;
	if ((r = get_text(o, obj, "id", "", pe->id, sizeof(pe->id))) != 0 ||
	    (r = get_text(o, obj, "peer_id", "", pe->peer_id, sizeof(pe->peer_id))) != 0)
		return r;
	if (pe->id[0] == '\0')	/* RKMP_SA_AUTH sends it: IDi/IDr */
		return bad(at(p, obj, "id"), "missing (required)");
	if (rkmp_id_parse(pe->id, &idt, idd, sizeof(idd), &idl) != 0)
		return bad(at(p, obj, "id"), "%s", rkmp_err_detail());
	if (pe->peer_id[0] && rkmp_id_parse(pe->peer_id, &idt, idd, sizeof(idd), &idl) != 0)
		return bad(at(p, obj, "peer_id"), "%s", rkmp_err_detail());
	if ((r = get_str(o, obj, "psk_file", false, &pe->psk_file)) != 0 ||
	    (r = get_str(o, obj, "cert", false, &pe->cert)) != 0 ||
	    (r = get_str(o, obj, "key", false, &pe->key)) != 0 ||
	    (r = get_str(o, obj, "ca", false, &pe->ca)) != 0)
		return r;
	if (pe->psk_file != NULL && (pe->cert || pe->key))
		return bad(at(p, obj, "psk_file"), "either psk_file or cert+key+ca, not both");
	if (pe->psk_file == NULL && (pe->cert == NULL || pe->key == NULL || pe->ca == NULL))
		return bad(obj, "no credentials: give psk_file, or cert, key and ca");
	if (pe->psk_file != NULL) {
		uint8_t psk[1024];
		size_t n;

		if ((r = readable(at(p, obj, "psk_file"), pe->psk_file)) != 0)
			return r;
		r = rkmp_auth_psk_load(pe->psk_file, psk, sizeof(psk), &n);
		rkmp_crypto_wipe(psk, sizeof(psk));
		if (r != 0)
			return bad(at(p, obj, "psk_file"), "%s", rkmp_err_text());
	} else {
		struct rkmp_creds *cr = NULL;

		if ((r = readable(at(p, obj, "cert"), pe->cert)) != 0 ||
		    (r = readable(at(p, obj, "key"), pe->key)) != 0 ||
		    (r = readable(at(p, obj, "ca"), pe->ca)) != 0)
			return r;
		r = rkmp_creds_load(&cr, pe->cert, pe->key, pe->ca);
		rkmp_creds_free(cr);
		if (r != 0)
			return bad(at(p, obj, "cert"), "%s", rkmp_err_text());
	}
	if ((r = get_text(o, obj, "proposal", RKMP_PROPOSAL_DEFAULT, pe->proposal,
	    sizeof(pe->proposal))) != 0)
		return r;
	{
		struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
		size_t n;

		if (rkmp_proposal_parse(pe->proposal, RKMP_PROTO_IKE, specs, nitems(specs), &n) != 0)
			return bad(at(p, obj, "proposal"), "%s", rkmp_err_text());
	}
	if ((r = get_str(o, obj, "start", false, &s)) != 0)
		return r;
	pe->start = RKMP_DCONF_RESPOND;
	if (s != NULL) {
		size_t i;

		for (i = 0; i < nitems(start_names) && strcmp(start_names[i], s) != 0; i++)
			;
		if (i == nitems(start_names))
			return bad(at(p, obj, "start"), "\"%s\" is not always, on-demand or respond", s);
		pe->start = (enum rkmp_dconf_start)i;
	}
	if ((r = get_uint(o, obj, "ike_lifetime", 10, 10L * 365 * 86400, RKMP_DCONF_IKE_LIFETIME,
	    &pe->ike_lifetime)) != 0 ||
	    (r = get_uint(o, obj, "dpd", 0, 86400, RKMP_DCONF_DPD, &pe->dpd)) != 0)
		return r;
	cs = json_object_get(o, "children");
	pe->nchildren = 0;
	if (cs != NULL && (!json_is_array(cs) || json_array_size(cs) == 0 ||
	    json_array_size(cs) > RKMP_DCONF_CHILD_MAX))
		return rkmp_err_set(RKMP_E_USAGE, at(p, obj, "children"), "not an array of 1..%d child SAs",
		    RKMP_DCONF_CHILD_MAX);
	if (cs == NULL) {	/* the profile's first child, with the defaults */
		json_t *one = json_object();

		r = child(one, obj, pe, &pe->children[0]);
		json_decref(one);
		if (r != 0)
			return r;
		pe->nchildren = 1;
	}
	for (size_t i = 0; cs != NULL && i < json_array_size(cs); i++) {
		char q[PATH_MAX_TEXT];

		snprintf(q, sizeof(q), "%s.children[%zu]", obj, i);
		if ((r = child(json_array_get(cs, i), q, pe, &pe->children[i])) != 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (pe->children[k].protocol == pe->children[i].protocol)
				return rkmp_err_set(RKMP_E_USAGE, at(p, q, "protocol"), "%s: a second child of "
				    "the protocol (children[%zu] is one)",
				    rkmp_protocol_by_id(pe->children[i].protocol)->name, k);
		pe->nchildren = i + 1;
	}
	if ((r = get_text(o, obj, "child_proposal", "", pe->child_proposal,
	    sizeof(pe->child_proposal))) != 0)
		return r;
	if (pe->child_proposal[0]) {
		struct rkmp_prop_spec specs[RKMP_PROPS_MAX];
		size_t n;

		/* the first child's (as rkmp-auth --child-proposal) */
		if (rkmp_proposal_parse(pe->child_proposal, pe->children[0].protocol, specs, nitems(specs),
		    &n) != 0)
			return bad(at(p, obj, "child_proposal"), "%s", rkmp_err_text());
	}
	return 0;
}

/* ------------------------------------------------------------------ the document */

/* An ikev2 peer is answered on 500 and 4500, where it floats to (DESIGN.md §6,
 * RFC 7296 §2.23): a listen address of its family on port 500 (4500 comes with it). */
static int
ikev2_listen(const struct rkmp_dconf *c)
{
	for (size_t i = 0; i < c->npeers; i++) {
		const struct rkmp_dconf_peer *pe = &c->peers[i];
		int family = strchr(pe->address, ':') ? AF_INET6 : AF_INET;
		bool found = false;
		char p[PATH_MAX_TEXT];

		if (pe->profile != RKMP_PROFILE_IKEV2)
			continue;
		for (size_t k = 0; k < c->nlisten && !found; k++) {
			struct rkmp_udp_addr a;

			found = rkmp_udp_parse(c->listen[k], RKMP_PORT_RKMP, &a) == 0 &&
			    a.ss.ss_family == family && rkmp_udp_port(&a) == RKMP_PORT_IKE;
		}
		if (!found) {
			snprintf(p, sizeof(p), "peers[%zu].profile", i);
			return rkmp_err_set(RKMP_E_USAGE, p, "ikev2: no listen address of %s on port %u, "
			    "where an ikev2 peer is answered (and on %u beside it): add one, e.g. \"%s\"",
			    family == AF_INET ? "IPv4" : "IPv6", RKMP_PORT_IKE, RKMP_PORT_NATT,
			    family == AF_INET ? "0.0.0.0:500" : "[::]:500");
		}
	}
	return 0;
}

static int
top(json_t *d, struct rkmp_dconf *c)
{
	const char *s;
	json_t *v;
	uint32_t u;
	bool ike = false, rkmp = false;
	int r;

	if (!json_is_object(d))
		return bad("", "not a JSON object");
	if ((r = keys_known(d, "", top_keys, nitems(top_keys))) != 0 ||
	    (r = get_str(d, "", "format", true, &s)) != 0)
		return r;
	if (strcmp(s, "rkmpd-config") != 0)
		return bad("format", "\"%s\", expected \"rkmpd-config\"", s);
	if ((v = json_object_get(d, "version")) == NULL)
		return bad("version", "missing (required)");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return bad("version", "not 1, the one version this rkmpd reads");
	v = json_object_get(d, "listen");
	if (v != NULL && (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > RKMP_DCONF_LISTEN_MAX))
		return rkmp_err_set(RKMP_E_USAGE, "listen", "not an array of 1..%d addresses",
		    RKMP_DCONF_LISTEN_MAX);
	for (size_t i = 0; v != NULL && i < json_array_size(v); i++) {
		json_t *a = json_array_get(v, i);
		struct rkmp_udp_addr ua, ub;
		char p[PATH_MAX_TEXT];

		snprintf(p, sizeof(p), "listen[%zu]", i);
		if (!json_is_string(a))
			return bad(p, "not a string");
		s = json_string_value(a);
		if (s[0] != '[' && strchr(s, ':') != NULL && strchr(strchr(s, ':') + 1, ':') != NULL)
			return bad(p, "\"%s\": an IPv6 address with a port is written [ADDR]:PORT", s);
		if (rkmp_udp_parse(s, RKMP_PORT_RKMP, &ua) != 0)
			return bad(p, "%s", rkmp_err_text());
		for (size_t k = 0; k < c->nlisten; k++)
			if (rkmp_udp_parse(c->listen[k], RKMP_PORT_RKMP, &ub) == 0 && ua.len == ub.len &&
			    memcmp(&ua.ss, &ub.ss, ua.len) == 0)
				return rkmp_err_set(RKMP_E_USAGE, p, "\"%s\" twice (listen[%zu])", s, k);
		c->listen[c->nlisten++] = s;
	}
	if ((r = get_str(d, "", "state_dir", false, &c->state_dir)) != 0 ||
	    (r = get_str(d, "", "keytable", false, &c->keytable)) != 0 ||
	    (r = get_str(d, "", "events", false, &c->events)) != 0 ||
	    (r = get_str(d, "", "rp_hook", false, &c->rp_hook)) != 0 ||
	    (r = get_str(d, "", "control", false, &c->control)) != 0)
		return r;
	if (c->state_dir == NULL)
		c->state_dir = RKMP_DCONF_STATE_DIR;
	if (c->control == NULL)
		c->control = RKMP_DCONF_CONTROL;
	if ((r = get_uint(d, "", "cookie_threshold", 0, 1000000, RKMP_DCONF_COOKIE, &u)) != 0)
		return r;
	c->cookie_threshold = u;
	if ((r = get_uint(d, "", "retransmit_timeout", 1, 600, RKMP_DCONF_RTX_TIMEOUT, &u)) != 0)
		return r;
	c->retransmit_timeout = u;
	if ((r = get_uint(d, "", "retransmit_tries", 0, 20, RKMP_DCONF_RTX_TRIES, &u)) != 0)
		return r;
	c->retransmit_tries = u;
	if ((r = dir_writable("state_dir", c->state_dir, "")) != 0 ||
	    (r = parent_writable("control", c->control)) != 0 ||
	    (c->keytable && (r = parent_writable("keytable", c->keytable)) != 0) ||
	    (c->events && (r = parent_writable("events", c->events)) != 0))
		return r;
	v = json_object_get(d, "peers");
	if (v == NULL || !json_is_array(v) || json_array_size(v) > RKMP_DCONF_PEER_MAX)
		return rkmp_err_set(RKMP_E_USAGE, "peers", "%s an array of 0..%d peers", v == NULL ?
		    "missing (required):" : "not", RKMP_DCONF_PEER_MAX);
	if ((c->peers = calloc(json_array_size(v) + 1, sizeof(*c->peers))) == NULL)
		return rkmp_err_set(RKMP_E_NOMEM, "peers", "out of memory");
	for (size_t i = 0; i < json_array_size(v); i++) {
		struct rkmp_dconf_peer *pe = &c->peers[i];
		char p[PATH_MAX_TEXT];

		snprintf(p, sizeof(p), "peers[%zu]", i);
		if ((r = peer(json_array_get(v, i), p, pe)) != 0)
			return r;
		for (size_t k = 0; k < i; k++) {
			char q[PATH_MAX_TEXT];

			if (strcmp(c->peers[k].name, pe->name) == 0)
				return rkmp_err_set(RKMP_E_USAGE, at(q, p, "name"), "\"%s\" twice (peers[%zu])",
				    pe->name, k);
			if (strcmp(c->peers[k].address, pe->address) == 0 && c->peers[k].port == pe->port)
				return rkmp_err_set(RKMP_E_USAGE, at(q, p, "address"), "%s port %u is "
				    "peers[%zu]'s already", pe->address, pe->port, k);
		}
		c->npeers = i + 1;
	}
	if (json_object_get(d, "listen") != NULL)
		return ikev2_listen(c);
	/* the default: the rkmp profile's port, and 500 (+ 4500) for ikev2 peers */
	for (size_t i = 0; i < c->npeers; i++)
		ike |= c->peers[i].profile == RKMP_PROFILE_IKEV2 && !strchr(c->peers[i].address, ':');
	for (size_t i = 0; i < c->npeers; i++)
		rkmp |= c->peers[i].profile == RKMP_PROFILE_RKMP;
	if (rkmp || !ike)
		c->listen[c->nlisten++] = RKMP_DCONF_LISTEN;
	if (ike)
		c->listen[c->nlisten++] = RKMP_DCONF_LISTEN_IKE;
	return ikev2_listen(c);
}

int
rkmp_dconf_parse(const char *name, const char *text, size_t len, struct rkmp_dconf **out)
{
	struct rkmp_dconf *c;
	json_error_t je;
	json_t *d;
	int r;

	*out = NULL;
	if ((d = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return rkmp_err_set(RKMP_E_USAGE, "", "line %d column %d: %s", je.line, je.column, je.text);
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(name)) == NULL) {
		free(c);
		json_decref(d);
		return rkmp_err_set(RKMP_E_NOMEM, name, "out of memory");
	}
	c->doc = d;
	if ((r = top(d, c)) != 0) {
		rkmp_dconf_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int
rkmp_dconf_load(const char *path, struct rkmp_dconf **out)
{
	FILE *f;
	char *text;
	size_t len;
	int r;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return rkmp_err_set(RKMP_E_SYSTEM, "", "cannot read it: %s", strerror(errno));
	if ((text = malloc(1 << 20)) == NULL) {
		fclose(f);
		return rkmp_err_set(RKMP_E_NOMEM, "", "out of memory");
	}
	len = fread(text, 1, 1 << 20, f);
	r = ferror(f) ? rkmp_err_set(RKMP_E_SYSTEM, "", "read: %s", strerror(errno)) :
	    len == 1 << 20 ? rkmp_err_set(RKMP_E_USAGE, "", "over %d octets", 1 << 20) : 0;
	fclose(f);
	if (r == 0)
		r = rkmp_dconf_parse(path, text, len, out);
	free(text);
	return r;
}

void
rkmp_dconf_free(struct rkmp_dconf *c)
{
	if (c == NULL)
		return;
	json_decref(c->doc);
	free(c->peers);
	free(c->path);
	free(c);
}

const struct rkmp_dconf_peer *
rkmp_dconf_peer(const struct rkmp_dconf *c, const char *name)
{
	for (size_t i = 0; i < c->npeers; i++)
		if (strcmp(c->peers[i].name, name) == 0)
			return &c->peers[i];
	return NULL;
}

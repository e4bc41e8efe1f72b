/* SPDX-License-Identifier: MIT */
/*
 * test_dconf.c — rkmpd's configuration (lib/dconf.c): a valid document and
 * its defaults, then one change at a time (made with jansson, the path
 * named as DESIGN.md §9 spells the keys), each refused with RKMP_E_USAGE,
 * where = the key's path, and the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "dconf.h"
#include "err.h"
#include "wire.h"
#include "test_helper.h"
#include "tests.h"

static char dir[64];

/* A temp directory with a PSK file (mode 0600). */
static void
mkenv(void)
{
	char psk[128];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/rkmp-dconf-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(psk, sizeof(psk), "%s/k.psk", dir);
	if ((f = fopen(psk, "w")) == NULL)
		abort();
	fputs("test-psk\n", f);
	fclose(f);
	chmod(psk, 0600);
}

static void
rmenv(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/k.psk", dir);
	unlink(p);
	rmdir(dir);
}

static json_t *
base(void)
{
	char psk[128];

	snprintf(psk, sizeof(psk), "%s/k.psk", dir);
	return json_pack("{s:s,s:i,s:[s],s:s,s:s,s:s,s:[{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:[{s:s,s:i,s:i},"
	    "{s:s,s:s}]}]}",
	    "format", "rkmpd-config", "version", 1, "listen", "127.0.0.1:40000", "state_dir", dir,
	    "keytable", "kt.json", "control", "ctl.sock", "peers",
	    "name", "b", "address", "192.0.2.2", "port", 40001, "id", "fqdn:a.example",
	    "peer_id", "fqdn:b.example", "psk_file", psk, "start", "always", "children",
	    "protocol", "tcp-ao", "lifetime", 60, "rekey_margin", 10,
	    "protocol", "bfd", "pfs", "x25519");
}

static int
parse(json_t *d, struct rkmp_dconf **c)
{
	char *t = json_dumps(d, 0);
	int r = rkmp_dconf_parse("c.json", t, strlen(t), c);

	free(t);
	return r;
}

TEST(dconf_valid_and_defaults)
{
	struct rkmp_dconf *c = NULL;
	json_t *d;

	mkenv();
	d = base();
	ASSERT_INT_EQ(parse(d, &c), 0);
	ASSERT_INT_EQ(c->npeers, 1);
	ASSERT_STR_EQ(c->peers[0].name, "b");
	ASSERT_INT_EQ(c->peers[0].port, 40001);
	ASSERT_INT_EQ(c->peers[0].profile, RKMP_PROFILE_RKMP);
	ASSERT_INT_EQ(c->peers[0].start, RKMP_DCONF_ALWAYS);
	ASSERT_INT_EQ(c->peers[0].nchildren, 2);
	ASSERT_INT_EQ(c->peers[0].children[0].protocol, RKMP_PROTO_TCP_AO);
	ASSERT_INT_EQ(c->peers[0].children[0].lifetime, 60);
	ASSERT_INT_EQ(c->peers[0].children[0].rekey_margin, 10);
	ASSERT_INT_EQ(c->peers[0].children[0].pfs, 0);
	/* the defaults: lifetime 9 h, margin a tenth of it; x25519 is group 31 (IANA) */
	ASSERT_INT_EQ(c->peers[0].children[1].protocol, RKMP_PROTO_BFD);
	ASSERT_INT_EQ(c->peers[0].children[1].lifetime, 9 * 3600);
	ASSERT_INT_EQ(c->peers[0].children[1].rekey_margin, 9 * 360);
	ASSERT_INT_EQ(c->peers[0].children[1].pfs, 31);
	ASSERT_INT_EQ(c->cookie_threshold, RKMP_DCONF_COOKIE);
	ASSERT_STR_EQ(c->control, "ctl.sock");
	ASSERT_TRUE(c->events == NULL && c->rp_hook == NULL);
	ASSERT_TRUE(rkmp_dconf_peer(c, "b") == &c->peers[0] && rkmp_dconf_peer(c, "c") == NULL);
	rkmp_dconf_free(c);
	/* no children: the profile's first child; no port: the profile's */
	json_object_del(json_array_get(json_object_get(d, "peers"), 0), "children");
	json_object_del(json_array_get(json_object_get(d, "peers"), 0), "port");
	ASSERT_INT_EQ(parse(d, &c), 0);
	ASSERT_INT_EQ(c->peers[0].nchildren, 1);
	ASSERT_INT_EQ(c->peers[0].children[0].protocol, RKMP_PROTO_TCP_AO);
	ASSERT_INT_EQ(c->peers[0].port, RKMP_PORT_RKMP);
	rkmp_dconf_free(c);
	json_decref(d);
	rmenv();
}

/* One change to the valid document: set path (a/b/0/c; value NULL deletes it). */
static const struct {
	const char	*path;
	const char	*value;		/* JSON text */
	const char	*where;
	const char	*detail;	/* a prefix of the detail */
} bad[] = {
	{ "bogus", "1", "bogus", "unknown key (known here: format, version, listen" },
	{ "format", "\"rkmp-state\"", "format", "\"rkmp-state\", expected \"rkmpd-config\"" },
	{ "version", "2", "version", "not 1" },
	{ "version", NULL, "version", "missing (required)" },
	{ "listen", "[]", "listen", "not an array of 1..16 addresses" },
	{ "listen/0", "\"127.0.0.1:99999\"", "listen[0]", "127.0.0.1:99999: port 99999 not in 1..65535" },
	{ "state_dir", "\"/nonexistent-rkmpd\"", "state_dir", "/nonexistent-rkmpd: No such file" },
	{ "cookie_threshold", "-1", "cookie_threshold", "not an integer in 0..1000000" },
	{ "peers", NULL, "peers", "missing (required): an array" },
	{ "peers/0/bogus", "true", "peers[0].bogus", "unknown key (known here: name, address" },
	{ "peers/0/name", NULL, "peers[0].name", "missing (required)" },
	{ "peers/0/name", "\"../x\"", "peers[0].name", "\"../x\": letters, digits" },
	{ "peers/0/address", "\"r2.example\"", "peers[0].address", "\"r2.example\" is not an IPv4 or IPv6" },
	{ "peers/0/port", "0", "peers[0].port", "not an integer in 1..65535" },
	{ "peers/0/port", "\"500\"", "peers[0].port", "not an integer in 1..65535" },
	{ "peers/0/profile", "\"ikev3\"", "peers[0].profile", "\"ikev3\" is not rkmp or ikev2" },
	{ "peers/0/id", "\"host:r1\"", "peers[0].id", "" },
	{ "peers/0/id", NULL, "peers[0].id", "missing (required)" },
	{ "peers/0/psk_file", "\"/nonexistent.psk\"", "peers[0].psk_file", "/nonexistent.psk: No such file" },
	{ "peers/0/psk_file", NULL, "peers[0]", "no credentials" },
	{ "peers/0/proposal", "\"aes128-sha7-x25519\"", "peers[0].proposal", "" },
	{ "peers/0/start", "\"never\"", "peers[0].start", "\"never\" is not always, on-demand or respond" },
	{ "peers/0/dpd", "1.5", "peers[0].dpd", "not an integer in 0..86400" },
	{ "peers/0/children", "[]", "peers[0].children", "not an array of 1..8 child SAs" },
	{ "peers/0/children/0/protocol", "\"esp\"", "peers[0].children[0].protocol", "\"esp\" is not tcp-ao" },
	{ "peers/0/children/1/protocol", "\"tcp-ao\"", "peers[0].children[1].protocol", "tcp-ao: a second child" },
	{ "peers/0/children/0/lifetime", "\"60\"", "peers[0].children[0].lifetime", "not an integer in 2.." },
	{ "peers/0/children/0/rekey_margin", "31", "peers[0].children[0].rekey_margin", "31 s is more than half the lifetime (60 s)" },
	{ "peers/0/children/0/pfs", "\"modp7\"", "peers[0].children[0].pfs", "\"modp7\" is not a DH group" },
	{ "peers/0/children/0/life", "60", "peers[0].children[0].life", "unknown key (known here: protocol, pfs, lifetime, rekey_margin)" },
	{ "peers/0/child_proposal", "\"aes128\"", "peers[0].child_proposal", "" },
};

static json_t *
parent_of(json_t *d, const char *path, char *last)
{
	char buf[128], *save = NULL, *tok, *next;
	json_t *o = d;

	snprintf(buf, sizeof(buf), "%s", path);
	tok = strtok_r(buf, "/", &save);
	while ((next = strtok_r(NULL, "/", &save)) != NULL) {
		o = json_is_array(o) ? json_array_get(o, (size_t)atoi(tok)) : json_object_get(o, tok);
		tok = next;
	}
	snprintf(last, 64, "%s", tok);
	return o;
}

TEST(dconf_refusals_name_the_key)
{
	mkenv();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rkmp_dconf *c = NULL;
		json_t *d = base(), *o;
		char last[64];
		int r;

		o = parent_of(d, bad[i].path, last);
		if (bad[i].value == NULL)
			json_object_del(o, last);
		else if (json_is_array(o))
			json_array_set_new(o, (size_t)atoi(last), json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
		else
			json_object_set_new(o, last, json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
		r = parse(d, &c);
		json_decref(d);
		if (r != RKMP_E_USAGE) {
			test_fail(__FILE__, __LINE__, "%s: %d, expected RKMP_E_USAGE", bad[i].path, r);
			rkmp_dconf_free(c);
			break;
		}
		ASSERT_TRUE(c == NULL);
		ASSERT_STR_EQ(rkmp_err_where(), bad[i].where);
		if (strncmp(rkmp_err_detail(), bad[i].detail, strlen(bad[i].detail)) != 0) {
			test_fail(__FILE__, __LINE__, "%s: detail \"%s\", expected \"%s...\"", bad[i].path,
			    rkmp_err_detail(), bad[i].detail);
			break;
		}
	}
	rmenv();
}

/* An ikev2 peer needs a listen address of its family on port 500 (4500 comes
 * with it); without "listen" the default has one. */
TEST(dconf_ikev2_listens_on_500)
{
	struct rkmp_dconf *c = NULL;
	json_t *d, *pe;

	mkenv();
	d = base();
	pe = json_array_get(json_object_get(d, "peers"), 0);
	json_object_set_new(pe, "profile", json_string("ikev2"));
	json_object_del(pe, "children");
	json_object_del(pe, "port");
	ASSERT_INT_EQ(parse(d, &c), RKMP_E_USAGE);
	ASSERT_STR_EQ(rkmp_err_where(), "peers[0].profile");
	ASSERT_STR_EQ(rkmp_err_detail(), "ikev2: no listen address of IPv4 on port 500, where an "
	    "ikev2 peer is answered (and on 4500 beside it): add one, e.g. \"0.0.0.0:500\"");
	/* an IPv6 one on 500 is not the IPv4 peer's */
	json_object_set_new(d, "listen", json_pack("[s,s]", "127.0.0.1:40000", "[::1]:500"));
	ASSERT_INT_EQ(parse(d, &c), RKMP_E_USAGE);
	json_object_set_new(d, "listen", json_pack("[s,s]", "127.0.0.1:40000", "127.0.0.1:500"));
	ASSERT_INT_EQ(parse(d, &c), 0);
	ASSERT_INT_EQ(c->peers[0].port, RKMP_PORT_IKE);
	ASSERT_INT_EQ(c->peers[0].children[0].protocol, RKMP_PROTO_ESP);
	rkmp_dconf_free(c);
	/* no "listen": 500 for the ikev2 peer, and 50500 only with rkmp peers */
	json_object_del(d, "listen");
	ASSERT_INT_EQ(parse(d, &c), 0);
	ASSERT_INT_EQ(c->nlisten, 1);
	ASSERT_STR_EQ(c->listen[0], "0.0.0.0:500");
	rkmp_dconf_free(c);
	json_array_append_new(json_object_get(d, "peers"), json_pack("{s:s,s:s,s:s,s:O}", "name", "c",
	    "address", "192.0.2.3", "id", "fqdn:a.example", "psk_file", json_object_get(pe, "psk_file")));
	ASSERT_INT_EQ(parse(d, &c), 0);
	ASSERT_INT_EQ(c->nlisten, 2);
	ASSERT_STR_EQ(c->listen[0], "0.0.0.0:50500");
	ASSERT_STR_EQ(c->listen[1], "0.0.0.0:500");
	rkmp_dconf_free(c);
	json_decref(d);
	rmenv();
}

TEST(dconf_not_json_and_duplicates)
{
	struct rkmp_dconf *c = NULL;
	const char *dup = "{\"format\": \"rkmpd-config\", \"format\": \"rkmpd-config\"}";

	ASSERT_INT_EQ(rkmp_dconf_parse("c.json", "{", 1, &c), RKMP_E_USAGE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "line 1");
	/* RFC 8259 §4: names SHOULD be unique; a configuration's are */
	ASSERT_INT_EQ(rkmp_dconf_parse("c.json", dup, strlen(dup), &c), RKMP_E_USAGE);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "duplicate");
	ASSERT_INT_EQ(rkmp_dconf_load("/nonexistent/rkmpd.json", &c), RKMP_E_SYSTEM);
	ASSERT_TRUE(c == NULL);
}

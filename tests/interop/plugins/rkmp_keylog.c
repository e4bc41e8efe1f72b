/*
 * rkmp-keylog — a charon plugin for the interop suites (tests/interop): it
 * appends every key charon derives to a file, one SA per line, in the key log
 * format rkmp-decode --keys reads (rkmp-decode(1), DECRYPTION):
 *
 *   IKE spi_i=HEX spi_r=HEX initiator=yes|no proposal=IKE:... [rekey_of=SPIi_SPIr]
 *       sk_d=HEX sk_ai=HEX sk_ar=HEX sk_ei=HEX sk_er=HEX sk_pi=HEX sk_pr=HEX
 *   CHILD ike_spi_i=HEX ike_spi_r=HEX name=CHILD initiator=yes|no host_i=IP host_r=IP
 *       spi_i=HEX spi_r=HEX proposal=ESP:... encr_i=HEX encr_r=HEX integ_i=HEX integ_r=HEX
 *
 * (each on one line).  "initiator" is charon's role in the exchange that made
 * the SA; a CHILD line's spi_i is the inbound SPI of the exchange's
 * initiator, spi_r the responder's, host_i and host_r their IKE addresses;
 * "-" stands for an empty key (the integrity keys of an AEAD cipher, whose
 * salt ends the encryption key).  strongSwan's own save-keys plugin (not in
 * Debian's binary packages) writes Wireshark tables only, without SK_d,
 * SK_pi, SK_pr or ChaCha20-Poly1305 keys; the suites compare all of them.
 *
 * strongswan.conf:  charon.plugins.rkmp-keylog.file = PATH
 *
 * IKE SA rekeys: the initiator of a rekey derives the new SA's keys while the
 * bus still names the old SA, whose SPIs would be wrong.  Keys that are not
 * those of the SA the bus names (its keymat holds another SK_d) are kept
 * back and written at the ike_rekey(old, new) event, under the new SA's
 * SPIs, matched by SK_d.
 *
 * Built by tests/interop/install-strongswan.sh; given to charon with LD_PRELOAD.
 */
#include <library.h>
#include <daemon.h>
#include <plugins/plugin.h>
#include <bus/listeners/listener.h>
#include <collections/linked_list.h>
#include <threading/mutex.h>
#include <sa/ikev2/keymat_v2.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

typedef struct {
	listener_t listener;		/* first: the bus holds this pointer */
	plugin_t plugin;
	char *file;
	mutex_t *mutex;
	linked_list_t *held;		/* held_t: keys of SAs made by rekeys */
} keylog_t;

typedef struct {
	chunk_t sk_d;
	char *keys;			/* " sk_d=... sk_pr=..." */
} held_t;

#define KEYLOG_OF(p)	((keylog_t *)((char *)(p) - offsetof(keylog_t, plugin)))

static void
held_destroy(held_t *h)
{
	chunk_clear(&h->sk_d);
	free(h->keys);
	free(h);
}

/* " name=hex", or " name=-" for an empty key */
static void
put_key(FILE *f, const char *name, chunk_t key)
{
	size_t i;

	fprintf(f, " %s=", name);
	if (key.len == 0)
		fputc('-', f);
	for (i = 0; i < key.len; i++)
		fprintf(f, "%02x", key.ptr[i]);
}

/* Append one line (PREFIX then REST) to the log; called with the mutex held. */
static void
write_line(keylog_t *k, const char *prefix, const char *rest)
{
	FILE *f = fopen(k->file, "a");

	if (f == NULL) {
		DBG1(DBG_IKE, "rkmp-keylog: %s: %s", k->file, strerror(errno));
		return;
	}
	fprintf(f, "%s%s\n", prefix, rest);
	fclose(f);
}

/* "IKE spi_i=... proposal=..." of SA, and " rekey_of=..." when OLD is given */
static void
ike_prefix(char *buf, size_t size, ike_sa_t *sa, ike_sa_t *old)
{
	ike_sa_id_t *id = sa->get_id(sa);
	proposal_t *prop = sa->get_proposal(sa);
	int n;

	n = snprintf(buf, size, "IKE spi_i=%016" PRIx64 " spi_r=%016" PRIx64 " initiator=%s proposal=",
	    be64toh(id->get_initiator_spi(id)), be64toh(id->get_responder_spi(id)),
	    id->is_initiator(id) ? "yes" : "no");
	if (n < 0 || (size_t)n >= size)
		return;
	n += prop ? snprintf(buf + n, size - n, "%P", prop) : snprintf(buf + n, size - n, "-");
	if (old != NULL && n > 0 && (size_t)n < size) {
		ike_sa_id_t *oid = old->get_id(old);

		snprintf(buf + n, size - n, " rekey_of=%016" PRIx64 "_%016" PRIx64,
		    be64toh(oid->get_initiator_spi(oid)), be64toh(oid->get_responder_spi(oid)));
	}
}

/* SK_d held by an IKEv2 SA's keymat (empty before its keys exist) */
static chunk_t
sa_skd(ike_sa_t *sa)
{
	keymat_t *km = sa->get_keymat(sa);
	chunk_t skd = chunk_empty;

	if (km != NULL && km->get_version(km) == IKEV2)
		((keymat_v2_t *)km)->get_skd((keymat_v2_t *)km, &skd);
	return skd;
}

static bool
on_ike_keys(listener_t *l, ike_sa_t *sa, chunk_t sk_d, chunk_t sk_ai, chunk_t sk_ar,
    chunk_t sk_ei, chunk_t sk_er, chunk_t sk_pi, chunk_t sk_pr)
{
	keylog_t *k = (keylog_t *)l;
	char *keys = NULL, prefix[512];
	size_t len = 0;
	FILE *m;

	if ((m = open_memstream(&keys, &len)) == NULL)
		return TRUE;
	put_key(m, "sk_d", sk_d);
	put_key(m, "sk_ai", sk_ai);
	put_key(m, "sk_ar", sk_ar);
	put_key(m, "sk_ei", sk_ei);
	put_key(m, "sk_er", sk_er);
	put_key(m, "sk_pi", sk_pi);
	put_key(m, "sk_pr", sk_pr);
	fclose(m);

	k->mutex->lock(k->mutex);
	if (chunk_equals(sa_skd(sa), sk_d)) {
		ike_prefix(prefix, sizeof(prefix), sa, NULL);
		write_line(k, prefix, keys);
		free(keys);
	} else {
		/* the keys of a new SA, derived on behalf of SA: see above */
		held_t *h = malloc_thing(held_t);

		h->sk_d = chunk_clone(sk_d);
		h->keys = keys;
		k->held->insert_last(k->held, h);
	}
	k->mutex->unlock(k->mutex);
	return TRUE;
}

static bool
on_ike_rekey(listener_t *l, ike_sa_t *old, ike_sa_t *new)
{
	keylog_t *k = (keylog_t *)l;
	chunk_t skd = sa_skd(new);
	enumerator_t *e;
	held_t *h, *found = NULL;
	char prefix[512];

	k->mutex->lock(k->mutex);
	e = k->held->create_enumerator(k->held);
	while (e->enumerate(e, &h)) {
		if (chunk_equals(h->sk_d, skd)) {
			k->held->remove_at(k->held, e);
			found = h;
			break;
		}
	}
	e->destroy(e);
	if (found != NULL) {
		ike_prefix(prefix, sizeof(prefix), new, old);
		write_line(k, prefix, found->keys);
		held_destroy(found);
	}
	/* else the new SA's keys were written already: the bus named it */
	k->mutex->unlock(k->mutex);
	return TRUE;
}

static bool
on_child_keys(listener_t *l, ike_sa_t *sa, child_sa_t *child, bool initiator,
    chunk_t encr_i, chunk_t encr_r, chunk_t integ_i, chunk_t integ_r)
{
	keylog_t *k = (keylog_t *)l;
	ike_sa_id_t *id = sa->get_id(sa);
	proposal_t *prop = child->get_proposal(child);
	host_t *me = sa->get_my_host(sa), *other = sa->get_other_host(sa);
	char *line = NULL;
	size_t len = 0;
	FILE *m;

	if ((m = open_memstream(&line, &len)) == NULL)
		return TRUE;
	/* get_spi(TRUE) is charon's inbound SPI */
	fprintf(m, "CHILD ike_spi_i=%016" PRIx64 " ike_spi_r=%016" PRIx64
	    " name=%s initiator=%s host_i=%H host_r=%H spi_i=%08x spi_r=%08x proposal=",
	    be64toh(id->get_initiator_spi(id)), be64toh(id->get_responder_spi(id)),
	    child->get_name(child), initiator ? "yes" : "no",
	    initiator ? me : other, initiator ? other : me,
	    ntohl(child->get_spi(child, initiator)), ntohl(child->get_spi(child, !initiator)));
	if (prop != NULL)
		fprintf(m, "%P", prop);
	else
		fputc('-', m);
	put_key(m, "encr_i", encr_i);
	put_key(m, "encr_r", encr_r);
	put_key(m, "integ_i", integ_i);
	put_key(m, "integ_r", integ_r);
	fclose(m);

	k->mutex->lock(k->mutex);
	write_line(k, line, "");
	k->mutex->unlock(k->mutex);
	free(line);
	return TRUE;
}

/* ------------------------------------------------------------------ plugin */

static bool
keylog_register(plugin_t *plugin, plugin_feature_t *feature, bool reg, void *data)
{
	keylog_t *k = KEYLOG_OF(plugin);

	if (reg)
		charon->bus->add_listener(charon->bus, &k->listener);
	else
		charon->bus->remove_listener(charon->bus, &k->listener);
	return TRUE;
}

static char *
keylog_name(plugin_t *plugin)
{
	return "rkmp-keylog";
}

static int
keylog_features(plugin_t *plugin, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK(keylog_register, NULL),
			PLUGIN_PROVIDE(CUSTOM, "rkmp-keylog"),
	};

	*features = f;
	return countof(f);
}

static void
keylog_destroy(plugin_t *plugin)
{
	keylog_t *k = KEYLOG_OF(plugin);

	k->held->destroy_function(k->held, (void *)held_destroy);
	k->mutex->destroy(k->mutex);
	free(k->file);
	free(k);
}

plugin_t *rkmp_keylog_plugin_create(void);

plugin_t *
rkmp_keylog_plugin_create(void)
{
	char *file = lib->settings->get_str(lib->settings, "%s.plugins.rkmp-keylog.file", NULL,
	    lib->ns);
	keylog_t *k;

	if (file == NULL) {
		DBG1(DBG_DMN, "rkmp-keylog: no %s.plugins.rkmp-keylog.file, not loaded", lib->ns);
		return NULL;
	}
	k = malloc_thing(keylog_t);
	*k = (keylog_t){
		.listener = {
			.ike_derived_keys = on_ike_keys,
			.child_derived_keys = on_child_keys,
			.ike_rekey = on_ike_rekey,
		},
		.plugin = {
			.get_name = keylog_name,
			.get_features = keylog_features,
			.reload = (void *)return_false,
			.destroy = keylog_destroy,
		},
		.file = strdup(file),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
		.held = linked_list_create(),
	};
	DBG1(DBG_DMN, "rkmp-keylog: every IKE and CHILD SA key goes to %s", k->file);
	return &k->plugin;
}

/* SPDX-License-Identifier: MIT */
/*
 * fuzz_engine — the exchange engine's respond and process paths on fixed
 * states: testdata/fuzz/engine.list (made by tests/fuzz/make-states.sh) names
 * per line the engine function, the state of the side that consumes the
 * message (seeded negotiations, PSK "rkmp-fuzz-psk") and that message.
 *
 * Input: octet 0 = selector (bits 0-5: the engine.list entry, modulo their
 * number; bit 6: fragments, i.e. the state has agreed RFC 7383 fragmentation
 * and 200-octet datagrams, so the engine takes SKF fragments one after another
 * and sends its answers in them; bit 7: seal, i.e. the SK/SKF ciphertext
 * octets are plaintext that the target encrypts with the peer's keys from the
 * state first, so the engine sees an authentic message with the fuzzer's
 * payloads), then the message.  The state is loaded afresh for every input.
 *
 * Checks: a message the engine sends (each fragment of it) must decode; a
 * state it asks to save must dump, load again and dump to the same octets.
 *
 * RKMP_FUZZ_MAKE_SEEDS=DIR fuzz_engine: write one seed per entry (and a
 * sealed one, its SK payload decrypted, when it has one) and exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "frag.h"
#include "fuzz_common.h"
#include "ike.h"
#include "msg.h"
#include "sa.h"
#include "state.h"
#include "wire.h"

#define SEAL		0x80
#define FRAGS		0x40
#define FRAG_MAX	200	/* octets of IKE message per datagram with FRAGS */
#define ENTRIES_MAX	64

typedef int (*engine_fn)(struct rkmp_sa *, const struct rkmp_ike_cfg *, const uint8_t *, size_t,
    struct rkmp_ike_out *);

static const struct {
	const char	*name;
	engine_fn	 fn;
} fns[] = {
	{ "init_respond", rkmp_ike_init_respond },
	{ "init_process", rkmp_ike_init_process },
	{ "auth_respond", rkmp_ike_auth_respond },
	{ "auth_process", rkmp_ike_auth_process },
	{ "child_respond", rkmp_ike_child_respond },
	{ "child_process", rkmp_ike_child_process },
};

static struct entry {
	engine_fn	 fn;
	char		 state[128], msg[128];
	char		*text;		/* the state file */
	size_t		 len;
} entries[ENTRIES_MAX];
static size_t nentries;

static const uint8_t psk[] = "rkmp-fuzz-psk";

static void
load_list(void)
{
	size_t len;
	char *list = fz_read("engine.list", &len), *line, *save = NULL;

	for (line = strtok_r(list, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char fn[64];
		struct entry *e = &entries[nentries];
		size_t i;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (nentries == ENTRIES_MAX || sscanf(line, "%63s %127s %127s", fn, e->state, e->msg) != 3)
			abort();
		for (i = 0; i < sizeof(fns) / sizeof(fns[0]) && strcmp(fns[i].name, fn) != 0; i++)
			;
		if (i == sizeof(fns) / sizeof(fns[0])) {
			fprintf(stderr, "fuzz_engine: engine.list: unknown function %s\n", fn);
			abort();
		}
		e->fn = fns[i].fn;
		e->text = fz_read(e->state, &e->len);
		nentries++;
	}
	free(list);
	if (nentries == 0)
		abort();
}

/* The keys the peer protects the message with: by SPIs (current or old SA), by I flag. */
static bool
peer_dir(const struct rkmp_sa *sa, const uint8_t *msg, size_t len, struct rkmp_key_entry *e,
    struct rkmp_sk_dir *d)
{
	uint64_t spi_i, spi_r;

	if (len < RKMP_HDR_LEN)
		return false;
	spi_i = rkmp_get64(msg);
	spi_r = rkmp_get64(msg + 8);
	if (!(fz_state_old_keys(sa, e) && e->spi_i == spi_i && e->spi_r == spi_r) &&
	    !fz_state_keys(sa, e))
		return false;
	rkmp_keys_dir(e, (msg[19] & RKMP_FLAG_I) != 0, d);
	return true;
}

static void
make_seeds(const char *dir)
{
	for (size_t i = 0; i < nentries; i++) {
		struct rkmp_key_entry e;
		struct rkmp_sk_dir d;
		struct rkmp_sa sa;
		size_t len;
		char *msg = fz_read(entries[i].msg, &len), name[64];
		uint8_t *s = malloc(len + 1);

		if (s == NULL)
			abort();
		s[0] = (uint8_t)i;
		memcpy(s + 1, msg, len);
		snprintf(name, sizeof(name), "entry-%02zu", i);
		fz_write(dir, name, s, len + 1);
		fz_load_state(entries[i].state, &sa);
		if (peer_dir(&sa, s + 1, len, &e, &d) && fz_unseal(&d, s + 1, len)) {
			s[0] = (uint8_t)(i | SEAL);
			snprintf(name, sizeof(name), "entry-%02zu.sealed", i);
			fz_write(dir, name, s, len + 1);
		}
		rkmp_sa_wipe(&sa);
		free(s);
		free(msg);
	}
	exit(0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	load_list();
	if (fz_seed_dir() != NULL)
		make_seeds(fz_seed_dir());
	return 0;
}

/* What the engine asked to save must survive a save and a load unchanged. */
static void
check_saved(const struct rkmp_sa *sa, const uint8_t *in, size_t len)
{
	struct rkmp_sa *again = malloc(sizeof(*again));
	char *d1, *d2;
	size_t l1, l2;

	if (again == NULL)
		abort();
	if (rkmp_state_dump("engine.json", sa, &d1, &l1) != 0) {
		fprintf(stderr, "fuzz_engine: %s\n", rkmp_err_text());
		fz_fail("a state the engine saves does not dump", in, len);
	}
	if (rkmp_state_parse("engine.json", d1, l1, again) != 0) {
		fprintf(stderr, "fuzz_engine: %s\n", rkmp_err_text());
		fz_fail("a state the engine saves does not load", (const uint8_t *)d1, l1);
	}
	if (rkmp_state_dump("engine.json", again, &d2, &l2) != 0 || l1 != l2 ||
	    memcmp(d1, d2, l1) != 0)
		fz_fail("save(load(save(engine state))) != save(engine state)", in, len);
	rkmp_sa_wipe(again);
	free(again);
	free(d1);
	free(d2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rkmp_arena arena;
	struct rkmp_child_req req = { 0 };
	struct rkmp_ike_cfg cfg = { .psk = psk, .psk_len = sizeof(psk) - 1, .child = &req };
	struct rkmp_ike_out o;
	struct rkmp_key_entry e;
	struct rkmp_sk_dir d;
	const struct entry *en;
	struct rkmp_sa *sa;
	uint8_t *msg;
	size_t len;
	int r;

	if (size < 1 || size - 1 > RKMP_MSG_MAX)
		return -1;
	en = &entries[(data[0] & 0x3f) % nentries];
	len = size - 1;
	if ((sa = malloc(sizeof(*sa))) == NULL || (msg = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(msg, data + 1, len);
	if (rkmp_state_parse(en->state, en->text, en->len, sa) != 0)
		abort();
	if (data[0] & FRAGS) {
		sa->fragmentation = true;
		sa->frag_max = FRAG_MAX;
	}
	if ((data[0] & SEAL) && peer_dir(sa, msg, len, &e, &d))
		(void)fz_seal(&d, msg, len);
	rkmp_ike_out_init(&o);
	r = en->fn(sa, &cfg, msg, len, &o);
	if (o.send) {
		struct rkmp_msg m;
		size_t off = 0, mlen, n = 0;
		int k;

		/* one message, or its fragments one after another */
		while ((k = rkmp_frags_next(o.msg.p, o.msg.len, &off, &mlen)) > 0) {
			rkmp_arena_reset(&arena);
			if (rkmp_msg_decode(&arena, o.msg.p + off, mlen, &m) != 0) {
				fprintf(stderr, "fuzz_engine: %s: %s\n", en->state, rkmp_err_text());
				fz_fail("the engine sends a message that does not decode", o.msg.p, o.msg.len);
			}
			if (o.fragments > 0 && mlen > FRAG_MAX)
				fz_fail("the engine sends a fragment over its size", o.msg.p, o.msg.len);
			off += mlen;
			n++;
		}
		if (k < 0 || n != (o.fragments > 0 ? o.fragments : 1))
			fz_fail("the engine sends octets that are not its whole messages", o.msg.p,
			    o.msg.len);
	}
	if (o.save && (r >= 0 || r == RKMP_E_REFUSED))
		check_saved(sa, data, size);
	rkmp_ike_out_free(&o);
	rkmp_sa_wipe(sa);
	free(sa);
	free(msg);
	rkmp_crypto_wipe(&e, sizeof(e));
	rkmp_err_clear();
	return 0;
}

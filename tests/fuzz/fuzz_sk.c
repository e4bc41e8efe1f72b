/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sk — SK unprotect and SKF reassembly with fixed keys.
 *
 * Keys: the established states of the seeded flows in testdata/fuzz/ (g:
 * AES-GCM-256, c: AES-CBC-128 + HMAC-SHA2-256-128, h: ChaCha20-Poly1305),
 * made by tests/fuzz/make-states.sh, and the key tables of the strongSwan
 * captures in testdata/keys/ (so testdata/msgs seeds, SKF fragments among
 * them, verify).  A message's keys are found by its SPIs, else octet 0 picks
 * one of the flows' suites.
 *
 * Input: octet 0 = control (bits 0-1: suite when the SPIs are unknown; bit 7:
 * seal, i.e. the SK/SKF ciphertext octets are plaintext that the target
 * encrypts and authenticates first, so the padding and inner-chain checks are
 * reached), then one or more messages, each as long as its header's Length
 * says (the last one takes the rest).  All go through one reassembler.
 * Sealed SK messages that are accepted must encode back to their plaintext.
 *
 * RKMP_FUZZ_MAKE_SEEDS=DIR fuzz_sk MSGFILE...: write seeds for those
 * messages (as they are, and unsealed when their keys are known) and exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fuzz_common.h"
#include "keys.h"
#include "msg.h"
#include "print.h"
#include "sk.h"
#include "state.h"
#include "wire.h"

#define SEAL		0x80
#define MSGS_MAX	16

static const char *const flows[] = { "g/keys.json", "c/keys.json", "h/keys.json" };
#define NFLOWS	(sizeof(flows) / sizeof(flows[0]))
static const char *const tables[] = {
	"a-aes128-cbc-modp2048", "a2-aes256-cbc-modp2048", "b-aes256gcm-ecp256",
	"c-chacha20poly1305-x25519", "d-rekey-child-and-ike", "e-informational-dpd-delete",
	"f-cookie", "g-invalid-ke", "h-fragmentation", "i-childless-then-create-child",
	"j-auth-failed", "k-no-proposal-chosen", "l-ipv4-identities", "m-nondefault-port-5500",
	"n-libipsec-esp-natt", "p-probe-childless-and-invalid-ke", "q-ip-fragments-modp4096",
	"r-ipv6",
};

static struct rkmp_keys *keys;
static struct rkmp_key_entry suites[NFLOWS];
static struct rkmp_arena arena;
static FILE *devnull;

static const struct rkmp_key_entry *
keys_for(const struct rkmp_msg *m, uint8_t ctl)
{
	const struct rkmp_key_entry *e = rkmp_keys_lookup(keys, m->spi_i, m->spi_r);

	return e != NULL ? e : &suites[(ctl & 3) % NFLOWS];
}

/* Length of the next message at p (its header's Length when that fits). */
static size_t
next_len(const uint8_t *p, size_t left)
{
	uint32_t l;

	if (left < RKMP_HDR_LEN)
		return left;
	l = rkmp_get32(p + 24);
	return l >= RKMP_HDR_LEN && l <= left ? l : left;
}

static void
make_seeds(const char *dir, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		size_t len;
		char *text, name[512];
		uint8_t *s;
		struct rkmp_msg m;
		struct rkmp_sk_dir d;

		if (argv[i][0] == '-')
			continue;
		text = fz_read_file(argv[i], &len);
		if ((s = malloc(len + 1)) == NULL)
			abort();
		s[0] = 0;
		memcpy(s + 1, text, len);
		snprintf(name, sizeof(name), "%s", base);
		fz_write(dir, name, s, len + 1);
		rkmp_arena_reset(&arena);
		if (rkmp_msg_decode(&arena, s + 1, len, &m) == 0 &&
		    rkmp_keys_lookup(keys, m.spi_i, m.spi_r) != NULL) {
			rkmp_keys_dir(keys_for(&m, 0), rkmp_msg_is_initiator(&m), &d);
			if (fz_unseal(&d, s + 1, len)) {
				s[0] = SEAL;
				snprintf(name, sizeof(name), "%s.sealed", base);
				fz_write(dir, name, s, len + 1);
			}
		}
		free(s);
		free(text);
	}
	exit(0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((devnull = fopen("/dev/null", "w")) == NULL || (keys = rkmp_keys_new()) == NULL)
		abort();
	for (size_t i = 0; i < NFLOWS; i++) {
		struct rkmp_sa sa;

		fz_load_state(flows[i], &sa);
		if (!fz_state_keys(&sa, &suites[i]) || rkmp_keys_add(keys, &suites[i]) != 0) {
			fprintf(stderr, "fuzz_sk: %s: no keys\n", flows[i]);
			abort();
		}
		rkmp_sa_wipe(&sa);
	}
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char path[256], *text;
		size_t len;

		snprintf(path, sizeof(path), "../keys/%s.ikev2_decryption_table", tables[i]);
		text = fz_read(path, &len);
		if (rkmp_keys_load_text(keys, path, text, len) != 0) {
			fprintf(stderr, "fuzz_sk: %s: %s\n", path, rkmp_err_text());
			abort();
		}
		free(text);
	}
	if (fz_seed_dir() != NULL)
		make_seeds(fz_seed_dir(), *argc, *argv);
	return 0;
}

static void
print_decrypted(const struct rkmp_msg *m, const struct rkmp_key_entry *e)
{
	struct rkmp_print_meta meta = { .file = "fuzz.bin", .frame = 1 };

	meta.sk_iv = e->encr->iv_len;
	meta.sk_icv = e->encr->aead ? e->encr->icv_len : e->integ->icv_len;
	meta.sk_block = e->encr->aead ? 1 : e->encr->block_len;
	rkmp_print_tree(devnull, &meta, m, 0);
	fz_json_msg(&meta, m, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rkmp_skf_reasm *reasm;
	uint8_t ctl, *buf, *pt = NULL;
	size_t off = 0, nmsg = 0;

	if (size < 1 || size > MSGS_MAX * (RKMP_MSG_MAX + 1))
		return -1;
	ctl = data[0];
	if ((buf = malloc(size - 1 + 1)) == NULL || (reasm = rkmp_skf_reasm_new()) == NULL)
		abort();
	memcpy(buf, data + 1, size - 1);
	size--;
	while (off < size && nmsg++ < MSGS_MAX) {
		uint8_t *p = buf + off;
		size_t len = next_len(p, size - off), ct_off = 0, ct_len = 0;
		const struct rkmp_key_entry *e;
		struct rkmp_sk_dir d;
		struct rkmp_msg m;
		uint8_t t;
		int r;

		off += len;
		rkmp_arena_reset(&arena);
		if (len > RKMP_MSG_MAX || rkmp_msg_decode(&arena, p, len, &m) != 0 || m.npld == 0)
			continue;
		t = m.pld[m.npld - 1].type;
		if (t != RKMP_PLD_SK && t != RKMP_PLD_SKF)
			continue;
		e = keys_for(&m, ctl);
		rkmp_keys_dir(e, rkmp_msg_is_initiator(&m), &d);
		if ((ctl & SEAL) && fz_sk_region(&d, p, len, &ct_off, &ct_len)) {
			free(pt);
			if ((pt = malloc(ct_len ? ct_len : 1)) == NULL)
				abort();
			memcpy(pt, p + ct_off, ct_len);
			if (!fz_seal(&d, p, len))
				fz_fail("sealing failed", p, len);
			rkmp_arena_reset(&arena);
			if (rkmp_msg_decode(&arena, p, len, &m) != 0)
				fz_fail("a sealed message no longer decodes", p, len);
		} else
			ct_len = 0;
		if (t == RKMP_PLD_SK) {
			r = rkmp_sk_unprotect(&arena, &m, &d);
			if ((ctl & SEAL) && ct_len > 0 && r == RKMP_E_REFUSED)
				fz_fail("a sealed SK payload does not verify", p, len);
			if (r == 0 && ct_len > 0) {
				/* plaintext = inner chain | padding | Pad Length */
				const struct rkmp_pld *sk = &m.pld[m.npld - 1];
				size_t n = ct_len - pt[ct_len - 1] - 1;
				struct rkmp_buf b;

				rkmp_buf_init(&b, 0);
				if (rkmp_msg_encode_chain(sk->u.sk.inner, sk->u.sk.ninner, &b) != 0 ||
				    b.len != n || (n > 0 && memcmp(b.p, pt, n) != 0))
					fz_fail("encode_chain(unprotect(seal(x))) != x", pt, ct_len);
				rkmp_buf_free(&b);
			}
		} else {
			r = rkmp_skf_add(reasm, &arena, &m, &d);
			if ((ctl & SEAL) && ct_len > 0 && r == RKMP_E_REFUSED)
				fz_fail("a sealed SKF payload does not verify", p, len);
			if (r == 1)
				r = 0;
		}
		if (r == 0 && m.pld[m.npld - 1].u.sk.decrypted)
			print_decrypted(&m, e);
	}
	rkmp_skf_reasm_free(reasm);
	free(pt);
	free(buf);
	rkmp_err_clear();
	return 0;
}

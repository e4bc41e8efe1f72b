/* SPDX-License-Identifier: MIT */
/*
 * test_sk.c — lib/sk (SK/SKF protect, unprotect, reassembly) and lib/keys
 * (key files, lookup, writers).
 *
 * Real data: every encrypted message of testdata/msgs/ (cut from the
 * strongSwan captures with tshark) decrypted with the key files of
 * testdata/keys/ (Wireshark tables and strongSwan key logs, written by the
 * peers, not by us).  Vectors: RFC 7634 App. B (a whole ChaCha20-Poly1305
 * message) and the derived PSK example's INFORMATIONAL message (CBC+HMAC).
 * Failures are built with the crypto primitives directly, so a bad layout
 * can still carry a valid ICV.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "keys.h"
#include "msg.h"
#include "sa.h"
#include "sk.h"
#include "state.h"
#include "test_helper.h"
#include "tests.h"
#include "wire.h"

#define MSG_DIR		"../../testdata/msgs"
#define KEY_DIR		"../../testdata/keys"
#define SPI_I		0x0102030405060708ULL
#define SPI_R		0x1112131415161718ULL

/* IKE_AUTH request plaintext: IDi(FQDN alice.example) | AUTH(PSK, 32 x 11) | N(SET_WINDOW_SIZE 10) */
static const char inner_hex[] =
    "2700001502000000616c6963652e6578616d706c65"
    "29000028020000001111111111111111111111111111111111111111111111111111111111111111"
    "0000000c000040010000000a";

/* ------------------------------------------------------------------ helpers */

static uint8_t *
read_rel(const char *dir, const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	uint8_t *p;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (p = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(p, 1, (size_t)n, f);
	p[*len] = '\0';
	fclose(f);
	return p;
}

/* "name = hex" of a vector file (first record) -> malloc'd octets. */
static uint8_t *
vec_field(const char *text, const char *name, size_t *len)
{
	size_t nl = strlen(name);

	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, nl) == 0 && strncmp(p + nl, " = ", 3) == 0) {
			const char *v = p + nl + 3, *e = strchr(v, '\n');
			size_t vl = e ? (size_t)(e - v) : strlen(v);
			char *h = malloc(vl + 1);
			uint8_t *out;

			if (h == NULL)
				return NULL;
			memcpy(h, v, vl);
			h[vl] = '\0';
			out = test_hex(h, len);
			free(h);
			return out;
		}
	}
	return NULL;
}

/* Keys of one direction from fixed patterns. */
struct tkeys {
	uint8_t			 ke[RKMP_CRYPTO_KEY_MAX];
	uint8_t			 ka[RKMP_CRYPTO_KEY_MAX];
	struct rkmp_sk_dir	 d;
};

static int
tkeys_make(struct tkeys *t, uint16_t encr, uint16_t bits, uint16_t integ, uint8_t seed)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sizeof(t->ke); i++) {
		t->ke[i] = (uint8_t)(seed + 3 * i);
		t->ka[i] = (uint8_t)(seed ^ (0x5a + 7 * i));
	}
	if ((t->d.encr = rkmp_crypto_encr_lookup(encr, bits)) == NULL)
		return -1;
	if (integ != 0 && (t->d.integ = rkmp_crypto_integ_lookup(integ)) == NULL)
		return -1;
	t->d.ke = t->ke;
	t->d.ka = integ ? t->ka : NULL;
	return 0;
}

static size_t
tkeys_icv(const struct tkeys *t)
{
	return t->d.encr->aead ? t->d.encr->icv_len : t->d.integ->icv_len;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/*
 * A protected message built by hand from the primitives: HDR | SK or SKF
 * header | IV | E(pt) | ICV, where pt already holds its padding and Pad
 * Length (so a bad layout can get a valid ICV).  Returns the length.
 */
static size_t
build(uint8_t *out, uint8_t exch, uint8_t flags, uint32_t mid, uint8_t type, uint8_t first,
    uint16_t num, uint16_t total, const uint8_t *pt, size_t ptlen, const struct tkeys *k,
    const uint8_t *iv)
{
	size_t gl = type == RKMP_PLD_SKF ? 8 : 4, ivl = k->d.encr->iv_len, icv = tkeys_icv(k);
	size_t len = RKMP_HDR_LEN + gl + ivl + ptlen + icv, at = RKMP_HDR_LEN + gl + ivl;
	uint8_t nonce[16];

	put32(out, (uint32_t)(SPI_I >> 32));
	put32(out + 4, (uint32_t)SPI_I);
	put32(out + 8, (uint32_t)(SPI_R >> 32));
	put32(out + 12, (uint32_t)SPI_R);
	out[16] = type;
	out[17] = 0x20;
	out[18] = exch;
	out[19] = flags;
	put32(out + 20, mid);
	put32(out + 24, (uint32_t)len);
	out[28] = first;
	out[29] = 0;
	put16(out + 30, (uint16_t)(len - RKMP_HDR_LEN));
	if (type == RKMP_PLD_SKF) {
		put16(out + 32, num);
		put16(out + 34, total);
	}
	memcpy(out + RKMP_HDR_LEN + gl, iv, ivl);
	if (k->d.encr->aead) {
		memcpy(nonce, k->ke + k->d.encr->key_len, k->d.encr->salt_len);
		memcpy(nonce + k->d.encr->salt_len, iv, ivl);
		if (rkmp_crypto_aead_encrypt(k->d.encr, k->ke, nonce, out, RKMP_HDR_LEN + gl, pt,
		    ptlen, out + at, out + at + ptlen, icv) != 0)
			return 0;
	} else if (rkmp_crypto_cbc_encrypt(k->d.encr, k->ke, iv, pt, ptlen, out + at) != 0 ||
	    rkmp_crypto_integ(k->d.integ, k->ka, k->d.integ->key_len, out, at + ptlen,
	    out + at + ptlen) != 0)
		return 0;
	return len;
}

/* Plaintext = data | minimal zero padding for block | Pad Length. */
static size_t
pad_plain(uint8_t *out, const uint8_t *data, size_t n, size_t block)
{
	size_t pad = (block - (n + 1) % block) % block;

	memcpy(out, data, n);
	memset(out + n, 0, pad);
	out[n + pad] = (uint8_t)pad;
	return n + pad + 1;
}

static const uint8_t iv16[16] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};

/* ------------------------------------------------------------------ real captures */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted names of testdata/msgs/ (malloc'd strings), or 0. */
static size_t
msg_names(char **names, size_t max)
{
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	if ((d = opendir(MSG_DIR)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		size_t l = strlen(e->d_name);

		if (l > 4 && strcmp(e->d_name + l - 4, ".bin") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	return n;
}

/* "a-aes128-cbc-modp2048-03.bin" -> "a-aes128-cbc-modp2048" */
static void
scenario_of(const char *name, char *out, size_t len)
{
	const char *dash = strrchr(name, '-');
	size_t n = dash ? (size_t)(dash - name) : strlen(name);

	snprintf(out, len, "%.*s", (int)n, name);
}

struct decrypt_stats {
	size_t	 encrypted, decrypted, completed, reprotected;
};

/*
 * Decrypt every SK/SKF message of one scenario with one key file (fragments
 * through a reassembler).  AEAD messages (strongSwan: no padding) are also
 * protected again from the decrypted inner chain, with their IV, and must
 * give back the exact bytes.
 */
static void
decrypt_scenario(char **names, size_t n, const char *scen, const char *keyfile,
    struct decrypt_stats *st)
{
	struct rkmp_keys *k = rkmp_keys_new();
	struct rkmp_skf_reasm *re = rkmp_skf_reasm_new();
	struct rkmp_arena a = { 0 };
	char path[512], sc[128];
	int r;

	ASSERT_TRUE(k != NULL && re != NULL);
	snprintf(path, sizeof(path), "%s/%s", KEY_DIR, keyfile);
	r = rkmp_keys_load_file(k, path);
	if (r != 0)
		test_fail(__FILE__, __LINE__, "%s: %s", keyfile, rkmp_err_text());
	for (size_t i = 0; r == 0 && i < n && !test_failed_now; i++) {
		const struct rkmp_key_entry *e;
		struct rkmp_sk_dir dir;
		struct rkmp_msg m;
		struct rkmp_pld *p;
		uint8_t *raw;
		size_t len;
		int rc;

		scenario_of(names[i], sc, sizeof(sc));
		if (strcmp(sc, scen) != 0)
			continue;
		if ((raw = read_rel(MSG_DIR, names[i], &len)) == NULL) {
			test_fail(__FILE__, __LINE__, "%s: cannot read", names[i]);
			break;
		}
		rkmp_arena_reset(&a);
		if (rkmp_msg_decode(&a, raw, len, &m) != 0 || m.npld == 0 ||
		    (m.pld[m.npld - 1].type != RKMP_PLD_SK && m.pld[m.npld - 1].type != RKMP_PLD_SKF)) {
			free(raw);
			continue;
		}
		st->encrypted++;
		p = &m.pld[m.npld - 1];
		if ((e = rkmp_keys_lookup(k, m.spi_i, m.spi_r)) == NULL) {
			test_fail(__FILE__, __LINE__, "%s: no keys in %s for %016llx:%016llx", names[i],
			    keyfile, (unsigned long long)m.spi_i, (unsigned long long)m.spi_r);
			free(raw);
			break;
		}
		rkmp_keys_dir(e, rkmp_msg_is_initiator(&m), &dir);
		if (p->type == RKMP_PLD_SK)
			rc = rkmp_sk_unprotect(&a, &m, &dir);
		else
			rc = rkmp_skf_add(re, &a, &m, &dir);
		if (rc < 0 || p->u.sk.icv_ok != 1) {
			test_fail(__FILE__, __LINE__, "%s with %s: %d %s (icv_ok %d)", names[i], keyfile,
			    rc, rkmp_err_text(), p->u.sk.icv_ok);
			free(raw);
			break;
		}
		st->decrypted++;
		if (p->type == RKMP_PLD_SKF && rc == 1)
			st->completed++;
		if (p->type == RKMP_PLD_SKF && p->u.sk.decrypted != (rc == 1))
			test_fail(__FILE__, __LINE__, "%s: decrypted %d on rc %d", names[i],
			    p->u.sk.decrypted, rc);
		/* strongSwan sends no empty IKE_AUTH: its inner chain starts with an ID */
		if (p->u.sk.decrypted && m.exchange == RKMP_EXCH_IKE_AUTH &&
		    (p->u.sk.ninner == 0 || (p->u.sk.inner[0].type != RKMP_PLD_IDI &&
		    p->u.sk.inner[0].type != RKMP_PLD_IDR && p->u.sk.inner[0].type != RKMP_PLD_NOTIFY)))
			test_fail(__FILE__, __LINE__, "%s: IKE_AUTH inner chain starts with %u",
			    names[i], p->u.sk.ninner ? p->u.sk.inner[0].type : 0);
		if (p->type == RKMP_PLD_SK && dir.encr->aead) {
			struct rkmp_buf out;

			rkmp_buf_init(&out, 0);
			if (rkmp_sk_protect(&m, p->u.sk.inner, p->u.sk.ninner, &dir, p->u.sk.enc,
			    &out) != 0 || out.len != len || memcmp(out.p, raw, len) != 0)
				test_fail(__FILE__, __LINE__, "%s: protect(unprotect) differs (%zu vs %zu)",
				    names[i], out.len, len);
			else
				st->reprotected++;
			rkmp_buf_free(&out);
		}
		free(raw);
	}
	rkmp_arena_free(&a);
	rkmp_skf_reasm_free(re);
	rkmp_keys_free(k);
}

TEST(sk_every_capture_message_decrypts)
{
	char *names[256], prev[128] = "", sc[128], path[512];
	size_t n = msg_names(names, 256), nscen = 0;
	struct decrypt_stats logs = { 0 }, tables = { 0 };

	ASSERT_INT_EQ(n, 139);
	for (size_t i = 0; i < n && !test_failed_now; i++) {
		FILE *f;

		scenario_of(names[i], sc, sizeof(sc));
		if (strcmp(sc, prev) == 0)
			continue;
		snprintf(prev, sizeof(prev), "%s", sc);
		nscen++;
		snprintf(path, sizeof(path), "%s/%s.all_keys.log", KEY_DIR, sc);
		if ((f = fopen(path, "r")) != NULL) {
			fclose(f);
			snprintf(path, sizeof(path), "%s.all_keys.log", sc);
			decrypt_scenario(names, n, sc, path, &logs);
		}
		snprintf(path, sizeof(path), "%s/%s.ikev2_decryption_table", KEY_DIR, sc);
		if ((f = fopen(path, "r")) != NULL) {
			int empty = fgetc(f) == EOF;

			fclose(f);
			snprintf(path, sizeof(path), "%s.ikev2_decryption_table", sc);
			if (!empty)
				decrypt_scenario(names, n, sc, path, &tables);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	if (test_failed_now)
		return;
	ASSERT_INT_EQ(nscen, 18);
	/* 93 SK/SKF messages in all; the logs lack q and r, the tables c (ChaCha20) */
	ASSERT_INT_EQ(logs.encrypted, 85);
	ASSERT_INT_EQ(logs.decrypted, 85);
	ASSERT_INT_EQ(tables.encrypted, 89);
	ASSERT_INT_EQ(tables.decrypted, 89);
	/* h-fragmentation: one request in 3 fragments, one response in 2 */
	ASSERT_INT_EQ(logs.completed, 2);
	ASSERT_INT_EQ(tables.completed, 2);
	/* b (AES-GCM) and c (ChaCha20-Poly1305): 4 SK messages each */
	ASSERT_INT_EQ(logs.reprotected, 8);
}

/* ------------------------------------------------------------------ round trips */

struct rt_suite {
	const char	*name;
	uint16_t	 encr, bits, integ;
};

static const struct rt_suite rt_suites[] = {
	{ "aes128-sha256", 12, 128, 12 },
	{ "aes128-sha384", 12, 128, 13 },
	{ "aes128-sha512", 12, 128, 14 },
	{ "aes256-sha256", 12, 256, 12 },
	{ "aes256-sha384", 12, 256, 13 },
	{ "aes256-sha512", 12, 256, 14 },
	{ "aes192-sha1", 12, 192, 2 },
	{ "aes128gcm16", 20, 128, 0 },
	{ "aes256gcm16", 20, 256, 0 },
	{ "aes256gcm8", 18, 256, 0 },
	{ "aes128gcm12", 19, 128, 0 },
	{ "chacha20poly1305", 28, 0, 0 },
};

TEST(sk_protect_unprotect_round_trips)
{
	size_t plen;
	uint8_t *plain = test_hex(inner_hex, &plen);
	struct rkmp_arena a = { 0 };

	ASSERT_TRUE(plain != NULL);
	ASSERT_INT_EQ(plen, 73);
	for (size_t s = 0; s < sizeof(rt_suites) / sizeof(rt_suites[0]) && !test_failed_now; s++) {
		const struct rt_suite *su = &rt_suites[s];
		struct rkmp_msg hdr = { .spi_i = SPI_I, .spi_r = SPI_R, .version = 0x20,
		    .exchange = RKMP_EXCH_IKE_AUTH, .flags = RKMP_FLAG_I, .msg_id = 1 };
		struct rkmp_pld *inner;
		size_t ninner, icv, ptlen, want;
		struct tkeys k;
		struct rkmp_buf out, again;
		struct rkmp_msg m;
		int r;

		if (tkeys_make(&k, su->encr, su->bits, su->integ, (uint8_t)(0x30 + s)) != 0) {
			test_fail(__FILE__, __LINE__, "%s: %s", su->name, rkmp_err_text());
			break;
		}
		rkmp_arena_reset(&a);
		ASSERT_INT_EQ(rkmp_msg_decode_chain(&a, RKMP_PLD_IDI, plain, plen, &inner, &ninner,
		    true), 0);
		ASSERT_INT_EQ(ninner, 3);
		rkmp_buf_init(&out, 0);
		r = rkmp_sk_protect(&hdr, inner, ninner, &k.d, iv16, &out);
		if (r != 0) {
			test_fail(__FILE__, __LINE__, "%s: protect: %s", su->name, rkmp_err_text());
			rkmp_buf_free(&out);
			break;
		}
		/* minimal padding: CBC to the block, AEAD just the Pad Length octet */
		icv = tkeys_icv(&k);
		ptlen = k.d.encr->aead ? plen + 1 : (plen + 1 + 15) / 16 * 16;
		want = RKMP_HDR_LEN + 4 + k.d.encr->iv_len + ptlen + icv;
		if (out.len != want || out.p[16] != RKMP_PLD_SK || out.p[28] != RKMP_PLD_IDI ||
		    rkmp_get32(out.p + 24) != want || rkmp_get16(out.p + 30) != want - RKMP_HDR_LEN ||
		    memcmp(out.p + 32, iv16, k.d.encr->iv_len) != 0)
			test_fail(__FILE__, __LINE__, "%s: layout: %zu octets, want %zu", su->name,
			    out.len, want);
		rkmp_arena_reset(&a);
		if (!test_failed_now && (r = rkmp_msg_decode(&a, out.p, out.len, &m)) != 0)
			test_fail(__FILE__, __LINE__, "%s: decode: %s", su->name, rkmp_err_text());
		if (!test_failed_now && (r = rkmp_sk_unprotect(&a, &m, &k.d)) != 0)
			test_fail(__FILE__, __LINE__, "%s: unprotect: %s", su->name, rkmp_err_text());
		if (!test_failed_now) {
			struct rkmp_pld *p = &m.pld[0];

			rkmp_buf_init(&again, 0);
			if (!p->u.sk.decrypted || p->u.sk.icv_ok != 1 || p->u.sk.ninner != 3 ||
			    rkmp_msg_encode_chain(p->u.sk.inner, p->u.sk.ninner, &again) != 0 ||
			    again.len != plen || memcmp(again.p, plain, plen) != 0)
				test_fail(__FILE__, __LINE__, "%s: inner chain differs", su->name);
			rkmp_buf_free(&again);
		}
		/* the responder's keys do not open the initiator's message */
		if (!test_failed_now) {
			struct tkeys other;

			tkeys_make(&other, su->encr, su->bits, su->integ, (uint8_t)(0x90 + s));
			rkmp_arena_reset(&a);
			if (rkmp_msg_decode(&a, out.p, out.len, &m) != 0 ||
			    rkmp_sk_unprotect(&a, &m, &other.d) != RKMP_E_REFUSED ||
			    m.pld[0].u.sk.icv_ok != 0 || m.pld[0].u.sk.decrypted)
				test_fail(__FILE__, __LINE__, "%s: wrong key accepted", su->name);
		}
		rkmp_buf_free(&out);
	}
	rkmp_arena_free(&a);
	free(plain);
}

TEST(sk_protect_empty_and_appends)
{
	struct rkmp_msg hdr = { .spi_i = SPI_I, .spi_r = SPI_R, .exchange = RKMP_EXCH_INFORMATIONAL,
	    .flags = RKMP_FLAG_R, .msg_id = 7 };
	struct rkmp_arena a = { 0 };
	struct rkmp_buf out;
	struct rkmp_msg m;
	struct tkeys k;

	ASSERT_INT_EQ(tkeys_make(&k, 12, 128, 12, 1), 0);
	rkmp_buf_init(&out, 0);
	rkmp_buf_put(&out, "\0\0\0\0", 4);	/* e.g. a non-ESP marker already there */
	ASSERT_INT_EQ(rkmp_sk_protect(&hdr, NULL, 0, &k.d, iv16, &out), 0);
	/* version 0 in hdr means 2.0; SK{} = 15 zero octets | Pad Length 15 */
	ASSERT_INT_EQ(out.len, 4 + 28 + 4 + 16 + 16 + 16);
	ASSERT_INT_EQ(out.p[4 + 17], 0x20);
	ASSERT_INT_EQ(out.p[4 + 28], 0);
	ASSERT_INT_EQ(rkmp_msg_decode(&a, out.p + 4, out.len - 4, &m), 0);
	ASSERT_INT_EQ(rkmp_sk_unprotect(&a, &m, &k.d), 0);
	ASSERT_TRUE(m.pld[0].u.sk.decrypted);
	ASSERT_INT_EQ(m.pld[0].u.sk.ninner, 0);
	/* AEAD without integrity keys; CBC without integrity keys is refused */
	k.d.integ = NULL;
	ASSERT_INT_NE(rkmp_sk_protect(&hdr, NULL, 0, &k.d, iv16, &out), 0);
	rkmp_buf_free(&out);
	rkmp_arena_free(&a);
}

/* ------------------------------------------------------------------ vectors */

TEST(sk_vector_rfc7634_message)
{
	size_t tl = 0, kl, sl, il, ivl, ml, spl;
	char *text = (char *)test_data_file("vectors/rfc7634-ikev2-sk-message.txt", &tl);
	uint8_t *key = NULL, *salt = NULL, *inner = NULL, *iv = NULL, *msg = NULL, *spi = NULL;
	uint8_t ke[36];
	struct rkmp_sk_dir d = { 0 };
	struct rkmp_msg hdr = { 0 }, m;
	struct rkmp_arena a = { 0 };
	struct rkmp_pld *chain;
	struct rkmp_buf out, again;
	size_t n;

	ASSERT_TRUE(text != NULL);
	text[tl] = '\0';
	key = vec_field(text, "sk_e_key", &kl);
	salt = vec_field(text, "sk_e_salt", &sl);
	inner = vec_field(text, "inner_plaintext", &il);
	iv = vec_field(text, "iv", &ivl);
	msg = vec_field(text, "message", &ml);
	spi = vec_field(text, "spii", &spl);
	free(text);
	rkmp_buf_init(&out, 0);
	rkmp_buf_init(&again, 0);
	if (key == NULL || salt == NULL || inner == NULL || iv == NULL || msg == NULL ||
	    spi == NULL || kl != 32 || sl != 4 || ivl != 8 || ml != 69 || spl != 8) {
		test_fail(__FILE__, __LINE__, "vector file fields missing");
		goto done;
	}
	memcpy(ke, key, 32);
	memcpy(ke + 32, salt, 4);
	d.encr = rkmp_crypto_encr_lookup(28, 0);
	d.ke = ke;
	/* the header fields as the vector's message carries them */
	hdr.spi_i = rkmp_get64(msg);
	hdr.spi_r = rkmp_get64(msg + 8);
	hdr.version = msg[17];
	hdr.exchange = msg[18];
	hdr.flags = msg[19];
	hdr.msg_id = rkmp_get32(msg + 20);
	if (rkmp_msg_decode_chain(&a, RKMP_PLD_NOTIFY, inner, il, &chain, &n, true) != 0 ||
	    rkmp_sk_protect(&hdr, chain, n, &d, iv, &out) != 0) {
		test_fail(__FILE__, __LINE__, "protect: %s", rkmp_err_text());
		goto done;
	}
	if (out.len != ml || memcmp(out.p, msg, ml) != 0) {
		test_fail(__FILE__, __LINE__, "protect gives %zu octets, not the vector's message",
		    out.len);
		goto done;
	}
	rkmp_arena_reset(&a);
	if (rkmp_msg_decode(&a, msg, ml, &m) != 0 || rkmp_sk_unprotect(&a, &m, &d) != 0 ||
	    m.pld[0].u.sk.ninner != 1 || m.pld[0].u.sk.inner[0].u.notify.type != 16385 ||
	    rkmp_msg_encode_chain(m.pld[0].u.sk.inner, 1, &again) != 0 || again.len != il ||
	    memcmp(again.p, inner, il) != 0)
		test_fail(__FILE__, __LINE__, "unprotect: %s", rkmp_err_text());
done:
	rkmp_buf_free(&out);
	rkmp_buf_free(&again);
	rkmp_arena_free(&a);
	free(key);
	free(salt);
	free(inner);
	free(iv);
	free(msg);
	free(spi);
}

TEST(sk_vector_derived_psk_informational)
{
	size_t tl = 0, el, al, ivl, ml;
	char *text = (char *)test_data_file("vectors/derived-ikev2-psk-keyschedule-example.txt", &tl);
	uint8_t *ei = NULL, *ai = NULL, *iv = NULL, *msg = NULL;
	struct rkmp_sk_dir d = { 0 };
	struct rkmp_msg hdr = { 0 }, m;
	struct rkmp_arena a = { 0 };
	struct rkmp_buf out;

	ASSERT_TRUE(text != NULL);
	text[tl] = '\0';
	ei = vec_field(text, "sk_ei", &el);
	ai = vec_field(text, "sk_ai", &al);
	iv = vec_field(text, "info_iv", &ivl);
	msg = vec_field(text, "info_message", &ml);
	free(text);
	rkmp_buf_init(&out, 0);
	if (ei == NULL || ai == NULL || iv == NULL || msg == NULL || el != 32 || al != 32 ||
	    ivl != 16 || ml != 80) {
		test_fail(__FILE__, __LINE__, "vector file fields missing");
		goto done;
	}
	d.encr = rkmp_crypto_encr_lookup(12, 256);
	d.integ = rkmp_crypto_integ_lookup(12);
	d.ke = ei;
	d.ka = ai;
	hdr.spi_i = rkmp_get64(msg);
	hdr.spi_r = rkmp_get64(msg + 8);
	hdr.version = 0x20;
	hdr.exchange = RKMP_EXCH_INFORMATIONAL;
	hdr.flags = RKMP_FLAG_I;
	hdr.msg_id = 2;
	if (rkmp_sk_protect(&hdr, NULL, 0, &d, iv, &out) != 0 || out.len != ml ||
	    memcmp(out.p, msg, ml) != 0) {
		test_fail(__FILE__, __LINE__, "protect gives %zu octets, not info_message", out.len);
		goto done;
	}
	if (rkmp_msg_decode(&a, msg, ml, &m) != 0 || rkmp_sk_unprotect(&a, &m, &d) != 0 ||
	    !m.pld[0].u.sk.decrypted || m.pld[0].u.sk.ninner != 0 || m.pld[0].u.sk.icv_ok != 1)
		test_fail(__FILE__, __LINE__, "unprotect: %s", rkmp_err_text());
done:
	rkmp_buf_free(&out);
	rkmp_arena_free(&a);
	free(ei);
	free(ai);
	free(iv);
	free(msg);
}

/* ------------------------------------------------------------------ failures */

/* Decode buf and unprotect with k: the result, err text in *why. */
static int
try_open(const uint8_t *buf, size_t len, const struct tkeys *k, struct rkmp_msg *m,
    struct rkmp_arena *a)
{
	int r;

	rkmp_arena_reset(a);
	if ((r = rkmp_msg_decode(a, buf, len, m)) != 0)
		return 100 + r;		/* not what these tests are about */
	return rkmp_sk_unprotect(a, m, &k->d);
}

TEST(sk_failures_cbc)
{
	size_t plen, ptlen, len;
	uint8_t *plain = test_hex(inner_hex, &plen), pt[256], buf[512], tmp[512];
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	struct tkeys k, wrong;

	ASSERT_TRUE(plain != NULL);
	ASSERT_INT_EQ(tkeys_make(&k, 12, 128, 12, 7), 0);
	ASSERT_INT_EQ(tkeys_make(&wrong, 12, 128, 12, 7), 0);
	wrong.ka[5] ^= 0x01;
	ptlen = pad_plain(pt, plain, plen, 16);
	len = build(buf, RKMP_EXCH_IKE_AUTH, RKMP_FLAG_I, 1, RKMP_PLD_SK, RKMP_PLD_IDI, 0, 0, pt,
	    ptlen, &k, iv16);
	ASSERT_INT_NE(len, 0);
	ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), 0);
	ASSERT_INT_EQ(m.pld[0].u.sk.ninner, 3);

	/* one flipped ciphertext bit: the ICV says no before anything is decrypted */
	memcpy(tmp, buf, len);
	tmp[RKMP_HDR_LEN + 4 + 16 + 5] ^= 0x10;
	ASSERT_INT_EQ(try_open(tmp, len, &k, &m, &a), RKMP_E_REFUSED);
	ASSERT_STR_EQ(rkmp_err_detail(), "ICV mismatch");
	ASSERT_STR_EQ(rkmp_err_where(), "SK payload");
	ASSERT_INT_EQ(m.pld[0].u.sk.icv_ok, 0);
	ASSERT_TRUE(!m.pld[0].u.sk.decrypted);
	/* a flipped header bit (in the ICV's range) too */
	memcpy(tmp, buf, len);
	tmp[23] ^= 0x01;	/* message ID */
	ASSERT_INT_EQ(try_open(tmp, len, &k, &m, &a), RKMP_E_REFUSED);
	/* a wrong integrity key */
	ASSERT_INT_EQ(try_open(buf, len, &wrong, &m, &a), RKMP_E_REFUSED);
	ASSERT_STR_EQ(rkmp_err_detail(), "ICV mismatch");

	/* ICV cut by 4 octets, lengths fixed: the ciphertext is no longer block-aligned */
	memcpy(tmp, buf, len - 4);
	put32(tmp + 24, (uint32_t)(len - 4));
	put16(tmp + 30, (uint16_t)(len - 4 - RKMP_HDR_LEN));
	ASSERT_INT_EQ(try_open(tmp, len - 4, &k, &m, &a), RKMP_E_INVALID);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "not a multiple of the block size 16");
	/* ... and an SK shorter than IV + Pad Length + ICV */
	memcpy(tmp, buf, RKMP_HDR_LEN + 4 + 16 + 8);
	put32(tmp + 24, RKMP_HDR_LEN + 4 + 16 + 8);
	put16(tmp + 30, 4 + 16 + 8);
	ASSERT_INT_EQ(try_open(tmp, RKMP_HDR_LEN + 4 + 16 + 8, &k, &m, &a), RKMP_E_INVALID);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "< IV 16 + Pad Length 1 + ICV 16");

	/* ciphertext one octet short of the block (ICV valid over it) */
	len = build(buf, RKMP_EXCH_IKE_AUTH, RKMP_FLAG_I, 1, RKMP_PLD_SK, RKMP_PLD_IDI, 0, 0, pt,
	    ptlen, &k, iv16);
	memmove(buf + RKMP_HDR_LEN + 4 + 16 + ptlen - 1, buf + RKMP_HDR_LEN + 4 + 16 + ptlen, 16);
	len--;
	put32(buf + 24, (uint32_t)len);
	put16(buf + 30, (uint16_t)(len - RKMP_HDR_LEN));
	rkmp_crypto_integ(k.d.integ, k.ka, 32, buf, len - 16, buf + len - 16);
	ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), RKMP_E_INVALID);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "ciphertext 79 octets, not a multiple of the block size 16");

	/* Pad Length 200 in a 16-octet plaintext, with a valid ICV */
	memset(pt, 0, 16);
	pt[15] = 200;
	len = build(buf, RKMP_EXCH_INFORMATIONAL, RKMP_FLAG_I, 2, RKMP_PLD_SK, 0, 0, 0, pt, 16,
	    &k, iv16);
	ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), RKMP_E_INVALID);
	ASSERT_STR_EQ(rkmp_err_text(), "SK payload: Pad Length 200 + 1 > plaintext 16 octets");
	ASSERT_INT_EQ(m.pld[0].u.sk.icv_ok, 1);
	ASSERT_TRUE(!m.pld[0].u.sk.decrypted);
	/* Pad Length 15: the whole plaintext is padding, fine */
	pt[15] = 15;
	len = build(buf, RKMP_EXCH_INFORMATIONAL, RKMP_FLAG_I, 2, RKMP_PLD_SK, 0, 0, 0, pt, 16,
	    &k, iv16);
	ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), 0);
	/* Pad Length 16 is one too many */
	pt[15] = 16;
	len = build(buf, RKMP_EXCH_INFORMATIONAL, RKMP_FLAG_I, 2, RKMP_PLD_SK, 0, 0, 0, pt, 16,
	    &k, iv16);
	ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), RKMP_E_INVALID);

	/* inner chain invalid: a Notify claiming 64 octets in a 12-octet chain */
	{
		static const uint8_t bad_chain[] = { 0, 0, 0, 64, 0, 0, 0x40, 0x01, 0, 0, 0, 10 };

		ptlen = pad_plain(pt, bad_chain, sizeof(bad_chain), 16);
		len = build(buf, RKMP_EXCH_INFORMATIONAL, RKMP_FLAG_I, 2, RKMP_PLD_SK,
		    RKMP_PLD_NOTIFY, 0, 0, pt, ptlen, &k, iv16);
		ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), RKMP_E_INVALID);
		ASSERT_STR_CONTAINS(rkmp_err_text(), "length 64 > 12 octets left in plaintext");
		ASSERT_INT_EQ(m.pld[0].u.sk.icv_ok, 1);
	}
	/* inner chain with octets after its last payload (padding miscounted) */
	{
		static const uint8_t tail[] = { 0, 0, 0, 8, 0, 0, 0x40, 0x01, 0xee };

		ptlen = pad_plain(pt, tail, sizeof(tail), 16);
		len = build(buf, RKMP_EXCH_INFORMATIONAL, RKMP_FLAG_I, 2, RKMP_PLD_SK,
		    RKMP_PLD_NOTIFY, 0, 0, pt, ptlen, &k, iv16);
		ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), RKMP_E_INVALID);
		ASSERT_STR_CONTAINS(rkmp_err_text(), "1 octets after the last payload");
	}
	/* an inner chain the message rules refuse: a Nonce inside an INFORMATIONAL */
	{
		static const uint8_t nonce_chain[20] = { 0, 0, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8 };

		ptlen = pad_plain(pt, nonce_chain, sizeof(nonce_chain), 16);
		len = build(buf, RKMP_EXCH_INFORMATIONAL, RKMP_FLAG_I, 2, RKMP_PLD_SK,
		    RKMP_PLD_NONCE, 0, 0, pt, ptlen, &k, iv16);
		ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), RKMP_E_INVALID);
		ASSERT_STR_CONTAINS(rkmp_err_text(), "INFORMATIONAL request (encrypted)");
		/* decrypted, and shown: the payloads are attached */
		ASSERT_TRUE(m.pld[0].u.sk.decrypted);
		ASSERT_INT_EQ(m.pld[0].u.sk.ninner, 1);
	}
	rkmp_arena_free(&a);
	free(plain);
}

TEST(sk_failures_aead)
{
	size_t plen, ptlen, len;
	uint8_t *plain = test_hex(inner_hex, &plen), pt[256], buf[512], tmp[512];
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	struct tkeys k, wrong;

	ASSERT_TRUE(plain != NULL);
	for (int c = 0; c < 2 && !test_failed_now; c++) {
		uint16_t id = c ? 28 : 20, bits = c ? 0 : 256;

		ASSERT_INT_EQ(tkeys_make(&k, id, bits, 0, 9), 0);
		ASSERT_INT_EQ(tkeys_make(&wrong, id, bits, 0, 9), 0);
		wrong.ke[k.d.encr->key_len] ^= 0x80;	/* the salt */
		ptlen = pad_plain(pt, plain, plen, 1);
		len = build(buf, RKMP_EXCH_IKE_AUTH, RKMP_FLAG_I, 1, RKMP_PLD_SK, RKMP_PLD_IDI, 0, 0,
		    pt, ptlen, &k, iv16);
		ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), 0);
		ASSERT_INT_EQ(m.pld[0].u.sk.ninner, 3);
		memcpy(tmp, buf, len);
		tmp[RKMP_HDR_LEN + 4 + 8 + 3] ^= 0x01;
		ASSERT_INT_EQ(try_open(tmp, len, &k, &m, &a), RKMP_E_REFUSED);
		ASSERT_STR_EQ(rkmp_err_text(), "SK payload: ICV mismatch");
		ASSERT_INT_EQ(m.pld[0].u.sk.icv_ok, 0);
		/* the AAD: the SK generic header's reserved octet */
		memcpy(tmp, buf, len);
		tmp[29] ^= 0x01;
		ASSERT_INT_EQ(try_open(tmp, len, &k, &m, &a), RKMP_E_REFUSED);
		ASSERT_INT_EQ(try_open(buf, len, &wrong, &m, &a), RKMP_E_REFUSED);
		/* a truncated tag (lengths fixed) no longer verifies */
		memcpy(tmp, buf, len - 4);
		put32(tmp + 24, (uint32_t)(len - 4));
		put16(tmp + 30, (uint16_t)(len - 4 - RKMP_HDR_LEN));
		ASSERT_INT_EQ(try_open(tmp, len - 4, &k, &m, &a), RKMP_E_REFUSED);
		/* Pad Length 9 in 8 octets, under a valid tag */
		memset(pt, 0, 8);
		pt[7] = 9;
		len = build(buf, RKMP_EXCH_INFORMATIONAL, RKMP_FLAG_I, 2, RKMP_PLD_SK, 0, 0, 0, pt, 8,
		    &k, iv16);
		ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), RKMP_E_INVALID);
		ASSERT_STR_CONTAINS(rkmp_err_text(), "Pad Length 9 + 1 > plaintext 8 octets");
		/* padding on AEAD is accepted (any length that fits) */
		pt[7] = 7;
		len = build(buf, RKMP_EXCH_INFORMATIONAL, RKMP_FLAG_I, 2, RKMP_PLD_SK, 0, 0, 0, pt, 8,
		    &k, iv16);
		ASSERT_INT_EQ(try_open(buf, len, &k, &m, &a), 0);
	}
	/* SK not the last payload, or no SK at all */
	{
		struct rkmp_msg none = { 0 };

		ASSERT_INT_EQ(rkmp_sk_unprotect(&a, &none, &k.d), RKMP_E_INVALID);
	}
	rkmp_arena_free(&a);
	free(plain);
}

/* ------------------------------------------------------------------ SKF */

/* Three fragments of the IKE_AUTH plaintext (30 | 30 | 13 octets), CBC. */
struct frags {
	uint8_t	 buf[4][512];
	size_t	 len[4];
};

static void
make_frags(struct frags *f, const struct tkeys *k, uint32_t mid, uint16_t total_override)
{
	size_t plen, cut[4] = { 0, 30, 60, 73 };
	uint8_t *plain = test_hex(inner_hex, &plen), pt[128];

	for (int i = 0; i < 3 && plain != NULL; i++) {
		size_t ptlen = pad_plain(pt, plain + cut[i], cut[i + 1] - cut[i],
		    k->d.encr->aead ? 1 : 16);

		f->len[i] = build(f->buf[i], RKMP_EXCH_IKE_AUTH, RKMP_FLAG_I, mid, RKMP_PLD_SKF,
		    i == 0 ? RKMP_PLD_IDI : 0, (uint16_t)(i + 1),
		    total_override ? total_override : 3, pt, ptlen, k, iv16);
	}
	free(plain);
}

static int
add(struct rkmp_skf_reasm *re, struct rkmp_arena *a, const uint8_t *buf, size_t len,
    const struct tkeys *k, struct rkmp_msg *m)
{
	int r;

	rkmp_arena_reset(a);
	if ((r = rkmp_msg_decode(a, buf, len, m)) != 0)
		return 100 + r;
	return rkmp_skf_add(re, a, m, &k->d);
}

TEST(sk_skf_reassembly)
{
	struct rkmp_skf_reasm *re = rkmp_skf_reasm_new();
	struct rkmp_arena a = { 0 };
	struct frags *f = calloc(1, sizeof(*f)), *g = calloc(1, sizeof(*g));
	struct rkmp_msg m;
	struct rkmp_buf chain;
	struct tkeys k, gcm, wrong;
	size_t plen;
	uint8_t *plain = test_hex(inner_hex, &plen);

	ASSERT_TRUE(re != NULL && f != NULL && g != NULL && plain != NULL);
	ASSERT_INT_EQ(tkeys_make(&k, 12, 256, 13, 3), 0);
	ASSERT_INT_EQ(tkeys_make(&wrong, 12, 256, 13, 4), 0);
	ASSERT_INT_EQ(tkeys_make(&gcm, 20, 128, 0, 5), 0);
	make_frags(f, &k, 1, 0);
	ASSERT_TRUE(f->len[0] && f->len[1] && f->len[2]);

	/* out of order: 2, 3, then 1 completes; a duplicate of 2 changes nothing */
	ASSERT_INT_EQ(add(re, &a, f->buf[1], f->len[1], &k, &m), 0);
	ASSERT_INT_EQ(m.pld[0].u.sk.icv_ok, 1);
	ASSERT_TRUE(!m.pld[0].u.sk.decrypted);
	ASSERT_INT_EQ(add(re, &a, f->buf[2], f->len[2], &k, &m), 0);
	ASSERT_INT_EQ(add(re, &a, f->buf[1], f->len[1], &k, &m), 0);
	ASSERT_INT_EQ(add(re, &a, f->buf[0], f->len[0], &k, &m), 1);
	ASSERT_TRUE(m.pld[0].u.sk.decrypted);
	ASSERT_INT_EQ(m.pld[0].u.sk.frag_num, 1);
	ASSERT_INT_EQ(m.pld[0].u.sk.ninner, 3);
	rkmp_buf_init(&chain, 0);
	ASSERT_INT_EQ(rkmp_msg_encode_chain(m.pld[0].u.sk.inner, 3, &chain), 0);
	ASSERT_INT_EQ(chain.len, plen);
	ASSERT_MEM_EQ(chain.p, plain, plen);
	rkmp_buf_free(&chain);
	/* done and forgotten: the same fragment starts a new message */
	ASSERT_INT_EQ(add(re, &a, f->buf[2], f->len[2], &k, &m), 0);

	/* a fragment with the wrong keys is refused and not kept */
	ASSERT_INT_EQ(add(re, &a, f->buf[0], f->len[0], &wrong, &m), RKMP_E_REFUSED);
	ASSERT_INT_EQ(m.pld[0].u.sk.icv_ok, 0);
	ASSERT_INT_EQ(add(re, &a, f->buf[1], f->len[1], &k, &m), 0);
	ASSERT_INT_EQ(add(re, &a, f->buf[0], f->len[0], &k, &m), 1);

	/* a Total Fragments that changes: 1 of 3, then 2 of 4 */
	make_frags(g, &k, 5, 4);
	ASSERT_INT_EQ(add(re, &a, f->buf[0], f->len[0], &k, &m), 0);
	make_frags(f, &k, 5, 0);
	ASSERT_INT_EQ(add(re, &a, f->buf[0], f->len[0], &k, &m), 0);
	ASSERT_INT_EQ(add(re, &a, g->buf[1], g->len[1], &k, &m), RKMP_E_INVALID);
	ASSERT_STR_CONTAINS(rkmp_err_text(), "Total Fragments 4, earlier fragments said 3");
	ASSERT_INT_EQ(add(re, &a, f->buf[1], f->len[1], &k, &m), 0);
	ASSERT_INT_EQ(add(re, &a, f->buf[2], f->len[2], &k, &m), 1);

	/* a lone fragment through rkmp_sk_unprotect: verified, nothing attached */
	rkmp_arena_reset(&a);
	ASSERT_INT_EQ(rkmp_msg_decode(&a, f->buf[1], f->len[1], &m), 0);
	ASSERT_INT_EQ(rkmp_sk_unprotect(&a, &m, &k.d), 0);
	ASSERT_INT_EQ(m.pld[0].u.sk.icv_ok, 1);
	ASSERT_TRUE(!m.pld[0].u.sk.decrypted);

	/* AEAD fragments: the SKF header with both counters is in the AAD */
	make_frags(g, &gcm, 9, 0);
	ASSERT_INT_EQ(add(re, &a, g->buf[0], g->len[0], &gcm, &m), 0);
	g->buf[1][35] ^= 0x07;		/* Total Fragments 3 -> 4 */
	ASSERT_INT_EQ(add(re, &a, g->buf[1], g->len[1], &gcm, &m), RKMP_E_REFUSED);
	g->buf[1][35] ^= 0x07;
	ASSERT_INT_EQ(add(re, &a, g->buf[2], g->len[2], &gcm, &m), 0);
	ASSERT_INT_EQ(add(re, &a, g->buf[1], g->len[1], &gcm, &m), 1);
	ASSERT_INT_EQ(m.pld[0].u.sk.ninner, 3);

	/* CBC: the counters are under the ICV too */
	make_frags(f, &k, 10, 0);
	f->buf[2][33] ^= 0x01;		/* Fragment Number 3 -> 2 */
	ASSERT_INT_EQ(add(re, &a, f->buf[2], f->len[2], &k, &m), RKMP_E_REFUSED);

	rkmp_arena_free(&a);
	rkmp_skf_reasm_free(re);
	free(f);
	free(g);
	free(plain);
}

TEST(sk_skf_bounded)
{
	struct rkmp_skf_reasm *re = rkmp_skf_reasm_new();
	struct rkmp_arena a = { 0 };
	struct frags *f = calloc(17, sizeof(*f));
	struct rkmp_msg m;
	struct tkeys k;

	ASSERT_TRUE(re != NULL && f != NULL);
	ASSERT_INT_EQ(tkeys_make(&k, 12, 128, 12, 11), 0);
	/* 17 messages in flight: fragment 1 of each; the oldest (mid 100) is dropped */
	for (uint32_t i = 0; i < 17; i++) {
		make_frags(&f[i], &k, 100 + i, 0);
		ASSERT_INT_EQ(add(re, &a, f[i].buf[0], f[i].len[0], &k, &m), 0);
	}
	ASSERT_INT_EQ(add(re, &a, f[16].buf[1], f[16].len[1], &k, &m), 0);
	ASSERT_INT_EQ(add(re, &a, f[16].buf[2], f[16].len[2], &k, &m), 1);
	/* mid 100 starts over in the freed slot: its fragment 1 must come again */
	ASSERT_INT_EQ(add(re, &a, f[0].buf[1], f[0].len[1], &k, &m), 0);
	ASSERT_INT_EQ(add(re, &a, f[0].buf[2], f[0].len[2], &k, &m), 0);
	ASSERT_INT_EQ(add(re, &a, f[0].buf[0], f[0].len[0], &k, &m), 1);
	/* mid 101, the oldest left, was kept */
	ASSERT_INT_EQ(add(re, &a, f[1].buf[1], f[1].len[1], &k, &m), 0);
	ASSERT_INT_EQ(add(re, &a, f[1].buf[2], f[1].len[2], &k, &m), 1);
	rkmp_arena_free(&a);
	rkmp_skf_reasm_free(re);
	free(f);
}

/* ------------------------------------------------------------------ keys */

static const char a_table[] =
    "852d553810da4e22,6d107497ac00c7e6,6a93431c87257bac0a246c92c7d281cb,"
    "45210959bc0705980cfdd6baab6ec599,\"AES-CBC-128 [RFC3602]\","
    "94426f0af099d37c3dc98b4512fc38a7c9e7be48584fad8422544a706920bf0e,"
    "13ffa5bb8bdab1eee47e4881fc46dc199752b4ff34271c9b4a58bf527cf791dd,"
    "\"HMAC_SHA2_256_128 [RFC4868]\"\n";

TEST(keys_every_testdata_file_loads_and_writes_back)
{
	static const char *const scen[] = {
		"a-aes128-cbc-modp2048", "a2-aes256-cbc-modp2048", "b-aes256gcm-ecp256",
		"c-chacha20poly1305-x25519", "d-rekey-child-and-ike", "e-informational-dpd-delete",
		"f-cookie", "g-invalid-ke", "h-fragmentation", "i-childless-then-create-child",
		"j-auth-failed", "k-no-proposal-chosen", "l-ipv4-identities",
		"m-nondefault-port-5500", "n-libipsec-esp-natt", "p-probe-childless-and-invalid-ke",
		"q-ip-fragments-modp4096", "r-ipv6",
	};
	size_t total_t = 0, total_l = 0;

	for (size_t s = 0; s < sizeof(scen) / sizeof(scen[0]) && !test_failed_now; s++) {
		struct rkmp_keys *t = rkmp_keys_new(), *l = rkmp_keys_new();
		char name[256], path[512], *text, *out = NULL;
		size_t tlen = 0, olen = 0;
		int haslog;

		snprintf(name, sizeof(name), "%s.ikev2_decryption_table", scen[s]);
		snprintf(path, sizeof(path), "%s/%s", KEY_DIR, name);
		text = (char *)read_rel(KEY_DIR, name, &tlen);
		if (text == NULL || t == NULL || l == NULL || rkmp_keys_load_file(t, path) != 0) {
			test_fail(__FILE__, __LINE__, "%s: %s", name, rkmp_err_text());
			goto next;
		}
		/* the writer gives the file back, line for line */
		out = calloc(1, tlen + 1);
		for (size_t i = 0; out != NULL && i < rkmp_keys_count(t); i++) {
			char line[1024];

			if (rkmp_keys_wireshark_line(rkmp_keys_at(t, i), line, sizeof(line)) != 0 ||
			    olen + strlen(line) > tlen) {
				test_fail(__FILE__, __LINE__, "%s: entry %zu: %s", name, i, rkmp_err_text());
				goto next;
			}
			memcpy(out + olen, line, strlen(line));
			olen += strlen(line);
		}
		if (olen != tlen || memcmp(out, text, tlen) != 0) {
			test_fail(__FILE__, __LINE__, "%s: written back differs", name);
			goto next;
		}
		total_t += rkmp_keys_count(t);
		/* the strongSwan log has the same keys (and ChaCha20's, which Wireshark lacks) */
		snprintf(path, sizeof(path), "%s/%s.all_keys.log", KEY_DIR, scen[s]);
		haslog = access(path, R_OK) == 0;
		if (haslog && rkmp_keys_load_file(l, path) != 0) {
			test_fail(__FILE__, __LINE__, "%s: %s", path, rkmp_err_text());
			goto next;
		}
		total_l += rkmp_keys_count(l);
		for (size_t i = 0; haslog && i < rkmp_keys_count(t); i++) {
			const struct rkmp_key_entry *x = rkmp_keys_at(t, i), *y;

			y = rkmp_keys_lookup(l, x->spi_i, x->spi_r);
			if (y == NULL || y->encr != x->encr || y->integ != x->integ ||
			    memcmp(y->sk_ei, x->sk_ei, x->e_len) != 0 ||
			    memcmp(y->sk_er, x->sk_er, x->e_len) != 0 ||
			    memcmp(y->sk_ai, x->sk_ai, x->a_len) != 0 ||
			    memcmp(y->sk_ar, x->sk_ar, x->a_len) != 0)
				test_fail(__FILE__, __LINE__, "%s: entry %zu differs from the log", name, i);
		}
next:
		free(text);
		free(out);
		rkmp_keys_free(t);
		rkmp_keys_free(l);
	}
	if (test_failed_now)
		return;
	ASSERT_INT_EQ(total_t, 18);	/* c and k empty; d and p two SAs each */
	ASSERT_INT_EQ(total_l, 17);	/* k none; c one; q, r no log */
}

TEST(keys_lookup_direction_and_writers)
{
	struct rkmp_keys *k = rkmp_keys_new();
	const struct rkmp_key_entry *e;
	struct rkmp_sk_dir d;
	char buf[1024];

	ASSERT_TRUE(k != NULL);
	ASSERT_INT_EQ(rkmp_keys_load_text(k, "a.table", a_table, strlen(a_table)), 0);
	ASSERT_INT_EQ(rkmp_keys_count(k), 1);
	ASSERT_TRUE(rkmp_keys_lookup(k, 0x852d553810da4e22ULL, 0) == NULL);
	ASSERT_TRUE((e = rkmp_keys_lookup(k, 0x852d553810da4e22ULL, 0x6d107497ac00c7e6ULL)) != NULL);
	ASSERT_INT_EQ(e->encr->id, 12);
	ASSERT_INT_EQ(e->encr->key_bits, 128);
	ASSERT_INT_EQ(e->integ->id, 12);
	rkmp_keys_dir(e, true, &d);
	ASSERT_TRUE(d.ke == e->sk_ei && d.ka == e->sk_ai);
	rkmp_keys_dir(e, false, &d);
	ASSERT_TRUE(d.ke == e->sk_er && d.ka == e->sk_ar);

	ASSERT_INT_EQ(rkmp_keys_wireshark_line(e, buf, sizeof(buf)), 0);
	ASSERT_STR_EQ(buf, a_table);
	ASSERT_INT_EQ(rkmp_keys_tcpdump_lines(e, buf, sizeof(buf)), 0);
	ASSERT_STR_EQ(buf,
	    "ikev2 I 0x852d553810da4e22 0x6d107497ac00c7e6 "
	    "sha256:0x94426f0af099d37c3dc98b4512fc38a7c9e7be48584fad8422544a706920bf0e "
	    "aes128-cbc:0x6a93431c87257bac0a246c92c7d281cb\n"
	    "ikev2 R 0x852d553810da4e22 0x6d107497ac00c7e6 "
	    "sha256:0x13ffa5bb8bdab1eee47e4881fc46dc199752b4ff34271c9b4a58bf527cf791dd "
	    "aes128-cbc:0x45210959bc0705980cfdd6baab6ec599\n");
	/* too small a buffer: an error and an empty string, never a cut line */
	ASSERT_INT_EQ(rkmp_keys_tcpdump_lines(e, buf, 40), RKMP_E_INTERNAL);
	ASSERT_STR_EQ(buf, "");

	/* a later line for the same SPIs replaces the entry */
	{
		char second[sizeof(a_table)];

		memcpy(second, a_table, sizeof(a_table));
		second[40] = second[40] == '0' ? '1' : '0';	/* a nibble of SK_ei */
		ASSERT_INT_EQ(rkmp_keys_load_text(k, "b.table", second, strlen(second)), 0);
		ASSERT_INT_EQ(rkmp_keys_count(k), 1);
	}
	rkmp_keys_free(k);

	/* SHA1-96: tcpdump is told to strip 12 octets */
	k = rkmp_keys_new();
	{
		static const char sha1[] =
		    "IKE spi_i=0000000000000001 spi_r=0000000000000002 "
		    "proposal=IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048 "
		    "sk_ai=0101010101010101010101010101010101010101 "
		    "sk_ar=0202020202020202020202020202020202020202 "
		    "sk_ei=0303030303030303030303030303030303030303030303030303030303030303 "
		    "sk_er=0404040404040404040404040404040404040404040404040404040404040404\n";

		ASSERT_INT_EQ(rkmp_keys_load_text(k, "s.log", sha1, strlen(sha1)), 0);
		ASSERT_INT_EQ(rkmp_keys_tcpdump_lines(rkmp_keys_at(k, 0), buf, sizeof(buf)), 0);
		ASSERT_STR_CONTAINS(buf, "ikev2 I 0x0000000000000001 0x0000000000000002 sha1:0x0101");
		ASSERT_STR_CONTAINS(buf, " aes256-cbc-hmac96:0x0303");
		ASSERT_INT_EQ(rkmp_keys_wireshark_line(rkmp_keys_at(k, 0), buf, sizeof(buf)), 0);
		ASSERT_STR_CONTAINS(buf, ",\"AES-CBC-256 [RFC3602]\",0101");
		ASSERT_STR_CONTAINS(buf, ",\"HMAC_SHA1_96 [RFC2404]\"\n");
	}
	rkmp_keys_free(k);

	/* ChaCha20: no Wireshark name; GCM: no tcpdump AEAD */
	k = rkmp_keys_new();
	{
		size_t len;
		char *log = (char *)read_rel(KEY_DIR, "c-chacha20poly1305-x25519.all_keys.log", &len);

		ASSERT_TRUE(log != NULL);
		ASSERT_INT_EQ(rkmp_keys_load_text(k, "c.log", log, len), 0);
		free(log);
		ASSERT_INT_EQ(rkmp_keys_count(k), 1);
		ASSERT_INT_EQ(rkmp_keys_at(k, 0)->encr->id, 28);
		ASSERT_TRUE(rkmp_keys_at(k, 0)->integ == NULL);
		ASSERT_INT_EQ(rkmp_keys_wireshark_line(rkmp_keys_at(k, 0), buf, sizeof(buf)),
		    RKMP_E_CRYPTO);
		ASSERT_STR_CONTAINS(rkmp_err_text(), "ENCR_CHACHA20_POLY1305");
		ASSERT_INT_EQ(rkmp_keys_tcpdump_lines(rkmp_keys_at(k, 0), buf, sizeof(buf)),
		    RKMP_E_CRYPTO);
	}
	rkmp_keys_free(k);
}

TEST(keys_formats_comments_quotes)
{
	struct rkmp_keys *k = rkmp_keys_new();
	/* Wireshark's header comment, CRLF, blanks, quoted hex with an \x escape */
	static const char ws[] =
	    "# This file is automatically generated, DO NOT MODIFY.\r\n"
	    "\r\n"
	    "\"c3c5c7458f52daaa\", \"327c37b013443b52\" ,"
	    "0114c2b67e5cddf9f4ec812c69e2b0351147ed6b9c88f4802805fe2530692c60d4bb156a,"
	    "50ec03bd0352ccf9f20634bc9e41e34ff9c86aba4040666b33ef34792ab1ab32d41cb961,"
	    "\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE \\x5bRFC4306]\"\r\n";

	ASSERT_TRUE(k != NULL);
	ASSERT_INT_EQ(rkmp_keys_load_text(k, "ws", ws, strlen(ws)), 0);
	ASSERT_INT_EQ(rkmp_keys_count(k), 1);
	ASSERT_INT_EQ(rkmp_keys_at(k, 0)->encr->id, 20);
	ASSERT_INT_EQ(rkmp_keys_at(k, 0)->e_len, 36);
	ASSERT_INT_EQ(rkmp_keys_at(k, 0)->a_len, 0);
	/* empty text and comment-only text: nothing, no error */
	ASSERT_INT_EQ(rkmp_keys_load_text(k, "e", "", 0), 0);
	ASSERT_INT_EQ(rkmp_keys_load_text(k, "e", "# nothing\n\n", 11), 0);
	ASSERT_INT_EQ(rkmp_keys_count(k), 1);
	/* strongSwan: CHILD lines skipped, key order free */
	{
		static const char ss[] =
		    "CHILD ike_spi_i=1 spi_i=c7d48285 encr_i=00\n"
		    "IKE sk_er=45210959bc0705980cfdd6baab6ec599 spi_r=6d107497ac00c7e6 "
		    "sk_ei=6a93431c87257bac0a246c92c7d281cb spi_i=852d553810da4e22 "
		    "proposal=IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 "
		    "sk_ai=94426f0af099d37c3dc98b4512fc38a7c9e7be48584fad8422544a706920bf0e "
		    "sk_ar=13ffa5bb8bdab1eee47e4881fc46dc199752b4ff34271c9b4a58bf527cf791dd\n";
		char buf[1024];

		ASSERT_INT_EQ(rkmp_keys_load_text(k, "ss", ss, strlen(ss)), 0);
		ASSERT_INT_EQ(rkmp_keys_count(k), 2);
		ASSERT_INT_EQ(rkmp_keys_wireshark_line(rkmp_keys_lookup(k, 0x852d553810da4e22ULL,
		    0x6d107497ac00c7e6ULL), buf, sizeof(buf)), 0);
		ASSERT_STR_EQ(buf, a_table);
	}
	rkmp_keys_free(k);
}

TEST(keys_bad_lines_name_file_and_line)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "zz2d553810da4e22,6d107497ac00c7e6,00,00,\"AES-CBC-128 [RFC3602]\",00,00,"
		    "\"HMAC_SHA2_256_128 [RFC4868]\"",
		    "k:1: SPIi \"zz2d553810da4e22\" is not 16 hex digits" },
		{ "# c\n852d553810da4e22,6d107497ac00c7e6,6a93431c87257bac0a246c92c7d281,"
		    "45210959bc0705980cfdd6baab6ec599,\"AES-CBC-128 [RFC3602]\",00,00,"
		    "\"HMAC_SHA2_256_128 [RFC4868]\"",
		    "k:2: SK_ei has 15 octets, AES-CBC-128 [RFC3602] needs 16" },
		{ "1,2,3,4,\"AES-CBC-128 [RFC3602]\",5,6",
		    "k:1: 7 fields, a Wireshark ikev2_decryption_table line has 8" },
		{ "852d553810da4e22,6d107497ac00c7e6,00,00,\"Rot13 [RFC0]\",00,00,\"NONE [RFC4306]\"",
		    "k:1: encryption algorithm \"Rot13 [RFC0]\" unknown" },
		{ "852d553810da4e22,6d107497ac00c7e6,00,00,\"3DES [RFC2451]\",00,00,"
		    "\"HMAC_SHA1_96 [RFC2404]\"",
		    "k:1: encryption algorithm \"3DES [RFC2451]\" not supported" },
		{ "852d553810da4e22,6d107497ac00c7e6,00,00,\"AES-CBC-128 [RFC3602]\",00,00,"
		    "\"HMAC_MD5_96 [RFC2403]\"",
		    "k:1: integrity algorithm \"HMAC_MD5_96 [RFC2403]\" not supported" },
		{ "852d553810da4e22,6d107497ac00c7e6,00,00,\"AES-GCM-128 with 16 octet ICV [RFC5282]\","
		    "00,00,\"HMAC_SHA1_96 [RFC2404]\"",
		    "k:1: ENCR_AES_GCM_16 is an AEAD cipher: the integrity algorithm must be NONE" },
		{ "852d553810da4e22,6d107497ac00c7e6,00,00,\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"",
		    "k:1: ENCR_AES_CBC needs an integrity algorithm, not NONE" },
		{ "852d553810da4e22,6d107497ac00c7e6,\"00,00,\"AES-CBC-128 [RFC3602]\"",
		    "k:1: field 3: 'A' after the value" },
		{ "IKE spi_i=852d553810da4e22 spi_r=6d107497ac00c7e6 proposal=IKE:AES_CBC_128/"
		    "HMAC_SHA2_256_128 sk_ai=00 sk_ar=00 sk_er=00\n",
		    "k:1: IKE line without sk_ei=" },
		{ "IKE spi_i=852d553810da4e22 spi_r=6d107497ac00c7e6 proposal=IKE:3DES/HMAC_SHA1_96 "
		    "sk_ai=00 sk_ar=00 sk_ei=00 sk_er=00\n",
		    "k:1: proposal \"IKE:3DES/HMAC_SHA1_96\": no encryption algorithm rkmp supports" },
		{ "CHILD x=1\nIKE spi_i=852d553810da4e22 spi_r=6d107497ac00c7e6 "
		    "proposal=IKE:CHACHA20_POLY1305/PRF_HMAC_SHA2_256 sk_ai=- sk_ar=- sk_ei=00 sk_er=00\n",
		    "k:2: sk_ei has 1 octets, CHACHA20_POLY1305 needs 36" },
		{ "IKE spi_i=852d553810da4e22 spi_r=6d107497ac00c7e6 proposal=IKE:AES_CBC_128/"
		    "HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024 sk_ai=00 sk_ar=00 sk_ei=00 sk_er=00\n",
		    "k:1: proposal \"IKE:AES_CBC_128/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024\": "
		    "no integrity algorithm rkmp supports" },
		{ "IKE spi_i=852d553810da4e22 spi_r=6d107497ac00c7e6 proposal=ESP:AES_CBC_128 "
		    "sk_ai=00 sk_ar=00 sk_ei=00 sk_er=00\n",
		    "k:1: proposal \"ESP:AES_CBC_128\" does not start with IKE:" },
		{ "CHILD a=b\n\nfoo bar\n",
		    "k:3: strongSwan key log line starts with \"foo bar\", not IKE or CHILD" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rkmp_keys *k = rkmp_keys_new();
		int r;

		ASSERT_TRUE(k != NULL);
		r = rkmp_keys_load_text(k, "k", cases[i].text, strlen(cases[i].text));
		if (r != RKMP_E_USAGE || strstr(rkmp_err_text(), cases[i].want) == NULL ||
		    rkmp_keys_count(k) != 0)
			test_fail(__FILE__, __LINE__, "case %zu: %d \"%s\", expected \"%s\"", i, r,
			    rkmp_err_text(), cases[i].want);
		rkmp_keys_free(k);
	}
	/* a bad line anywhere: nothing of the file is added */
	{
		struct rkmp_keys *k = rkmp_keys_new();
		char two[sizeof(a_table) + 16];

		snprintf(two, sizeof(two), "%sxyz\n", a_table);
		ASSERT_INT_EQ(rkmp_keys_load_text(k, "k", two, strlen(two)), RKMP_E_USAGE);
		ASSERT_INT_EQ(rkmp_keys_count(k), 0);
		ASSERT_INT_EQ(rkmp_keys_load_file(k, "../../testdata/keys/no-such-file"),
		    RKMP_E_SYSTEM);
		rkmp_keys_free(k);
	}
}

TEST(keys_from_state_file)
{
	char dir[] = "/tmp/rkmp-test-sk.XXXXXX", path[64];
	struct rkmp_sa *sa = calloc(1, sizeof(*sa));
	struct rkmp_keys *k = rkmp_keys_new();
	const struct rkmp_key_entry *e;
	int r;

	ASSERT_TRUE(sa != NULL && k != NULL);
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a.json", dir);
	rkmp_sa_init(sa);
	/* failed: keys without the rest an established SA must have (test_state.c) */
	sa->phase = RKMP_PHASE_FAILED;
	sa->initiator = true;
	sa->profile = RKMP_PROFILE_IKEV2;
	sa->suite = (struct rkmp_sa_suite){ 20, 256, 5, 0, 19 };
	sa->spi_i = SPI_I;
	sa->spi_r = SPI_R;
	sa->sec.e_len = 36;
	memset(sa->sec.sk_ei, 0x11, 36);
	memset(sa->sec.sk_er, 0x22, 36);
	r = rkmp_state_save(path, sa);
	if (r == 0)
		r = rkmp_keys_load_state(k, path);
	if (r != 0)
		test_fail(__FILE__, __LINE__, "%s", rkmp_err_text());
	else if ((e = rkmp_keys_lookup(k, SPI_I, SPI_R)) == NULL || e->encr->id != 20 ||
	    e->integ != NULL || e->e_len != 36 || e->sk_er[35] != 0x22)
		test_fail(__FILE__, __LINE__, "state entry wrong");
	/* a state file before the keys exist */
	sa->phase = RKMP_PHASE_NEW;
	sa->spi_r = 0;
	sa->sec.e_len = 0;
	if (!test_failed_now && rkmp_state_save(path, sa) == 0) {
		r = rkmp_keys_load_state(k, path);
		if (r != RKMP_E_STATE || strstr(rkmp_err_text(), "no IKE SA keys yet") == NULL)
			test_fail(__FILE__, __LINE__, "%d %s", r, rkmp_err_text());
	}
	unlink(path);
	rmdir(dir);
	rkmp_sa_wipe(sa);
	free(sa);
	rkmp_keys_free(k);
}

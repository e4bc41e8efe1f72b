/* SPDX-License-Identifier: MIT */
/* fuzz_common.c — see fuzz_common.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "fuzz_common.h"
#include "msg.h"
#include "state.h"
#include "wire.h"

#ifndef RKMP_FUZZ_DATA
#define RKMP_FUZZ_DATA	"testdata/fuzz"
#endif

const char *
fz_data_dir(void)
{
	const char *d = getenv("RKMP_FUZZ_DATA");

	return d != NULL && *d != '\0' ? d : RKMP_FUZZ_DATA;
}

const char *
fz_seed_dir(void)
{
	const char *d = getenv("RKMP_FUZZ_MAKE_SEEDS");

	return d != NULL && *d != '\0' ? d : NULL;
}

char *
fz_read(const char *path, size_t *len)
{
	char full[4096];

	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", fz_data_dir(), path);
	return fz_read_file(full, len);
}

char *
fz_read_file(const char *full, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	FILE *f;

	if ((f = fopen(full, "rb")) == NULL) {
		fprintf(stderr, "fuzz: %s: %s (set RKMP_FUZZ_DATA to the testdata/fuzz directory)\n",
		    full, strerror(errno));
		abort();
	}
	for (;;) {
		size_t got;

		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		if ((got = fread(buf + n, 1, cap - n - 1, f)) == 0)
			break;
		n += got;
	}
	if (ferror(f))
		abort();
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

void
fz_write(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char full[4096];
	FILE *f;

	snprintf(full, sizeof(full), "%s/%s", dir, name);
	if ((f = fopen(full, "wb")) == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "fuzz: writing %s: %s\n", full, strerror(errno));
		abort();
	}
}

void
fz_load_state(const char *rel, struct rkmp_sa *sa)
{
	size_t len;
	char *text = fz_read(rel, &len);

	if (rkmp_state_parse(rel, text, len, sa) != 0) {
		fprintf(stderr, "fuzz: fixture %s does not load: %s\n", rel, rkmp_err_text());
		abort();
	}
	free(text);
}

static bool
entry_of(uint64_t spi_i, uint64_t spi_r, const struct rkmp_sa_suite *s, size_t e_len,
    size_t a_len, const uint8_t *ei, const uint8_t *er, const uint8_t *ai, const uint8_t *ar,
    struct rkmp_key_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (e_len == 0 || e_len > sizeof(e->sk_ei) || a_len > sizeof(e->sk_ai))
		return false;
	e->spi_i = spi_i;
	e->spi_r = spi_r;
	if ((e->encr = rkmp_crypto_encr_lookup(s->encr, s->encr_bits)) == NULL)
		return false;
	if (!e->encr->aead && (e->integ = rkmp_crypto_integ_lookup(s->integ)) == NULL)
		return false;
	e->e_len = e_len;
	e->a_len = a_len;
	memcpy(e->sk_ei, ei, e_len);
	memcpy(e->sk_er, er, e_len);
	memcpy(e->sk_ai, ai, a_len);
	memcpy(e->sk_ar, ar, a_len);
	return true;
}

bool
fz_state_keys(const struct rkmp_sa *sa, struct rkmp_key_entry *e)
{
	return entry_of(sa->spi_i, sa->spi_r, &sa->suite, sa->sec.e_len, sa->sec.a_len,
	    sa->sec.sk_ei, sa->sec.sk_er, sa->sec.sk_ai, sa->sec.sk_ar, e);
}

bool
fz_state_old_keys(const struct rkmp_sa *sa, struct rkmp_key_entry *e)
{
	if (sa->old.spi_i == 0)
		return false;
	return entry_of(sa->old.spi_i, sa->old.spi_r, &sa->old.suite, sa->old.e_len,
	    sa->old.a_len, sa->old.sk_ei, sa->old.sk_er, sa->old.sk_ai, sa->old.sk_ar, e);
}

/* The SK/SKF payload of msg split for the suite; offsets into msg. */
static bool
split(const struct rkmp_sk_dir *k, const uint8_t *msg, size_t len, size_t *iv_off,
    size_t *ct_off, size_t *ct_len, size_t *icv_off)
{
	struct rkmp_arena a = { 0 };
	struct rkmp_msg m;
	struct rkmp_sk_parts parts;
	const struct rkmp_pld *p;
	bool ok = false;

	if (k == NULL || k->encr == NULL || (!k->encr->aead && k->integ == NULL))
		return false;
	if (rkmp_msg_decode(&a, msg, len, &m) == 0 && m.npld > 0) {
		p = &m.pld[m.npld - 1];
		if ((p->type == RKMP_PLD_SK || p->type == RKMP_PLD_SKF) &&
		    rkmp_sk_split(p, k->encr->iv_len, k->encr->aead ? k->encr->icv_len :
		    k->integ->icv_len, k->encr->aead ? 1 : k->encr->block_len, &parts) == 0 &&
		    parts.icv + parts.icv_len == msg + len) {
			*iv_off = (size_t)(parts.iv - msg);
			*ct_off = (size_t)(parts.ct - msg);
			*ct_len = parts.ct_len;
			*icv_off = (size_t)(parts.icv - msg);
			ok = true;
		}
	}
	rkmp_arena_free(&a);
	rkmp_err_clear();
	return ok;
}

bool
fz_sk_region(const struct rkmp_sk_dir *k, const uint8_t *msg, size_t len, size_t *ct_off,
    size_t *ct_len)
{
	size_t iv, icv;

	return split(k, msg, len, &iv, ct_off, ct_len, &icv);
}

static void
nonce_of(const struct rkmp_sk_dir *k, const uint8_t *iv, uint8_t *nonce)
{
	memcpy(nonce, k->ke + k->encr->key_len, k->encr->salt_len);
	memcpy(nonce + k->encr->salt_len, iv, k->encr->iv_len);
}

bool
fz_seal(const struct rkmp_sk_dir *k, uint8_t *msg, size_t len)
{
	size_t iv, ct, n, icv;
	uint8_t nonce[32];
	int r;

	if (!split(k, msg, len, &iv, &ct, &n, &icv))
		return false;
	if (k->encr->aead) {
		nonce_of(k, msg + iv, nonce);
		r = rkmp_crypto_aead_encrypt(k->encr, k->ke, nonce, msg, iv, msg + ct, n, msg + ct,
		    msg + icv, k->encr->icv_len);
	} else {
		r = rkmp_crypto_cbc_encrypt(k->encr, k->ke, msg + iv, msg + ct, n, msg + ct);
		if (r == 0)
			r = rkmp_crypto_integ(k->integ, k->ka, k->integ->key_len, msg, icv, msg + icv);
	}
	rkmp_err_clear();
	return r == 0;
}

bool
fz_unseal(const struct rkmp_sk_dir *k, uint8_t *msg, size_t len)
{
	size_t iv, ct, n, icv;
	uint8_t nonce[32], *pt;
	int r;

	if (!split(k, msg, len, &iv, &ct, &n, &icv) || (pt = malloc(n ? n : 1)) == NULL)
		return false;
	if (k->encr->aead) {
		nonce_of(k, msg + iv, nonce);
		r = rkmp_crypto_aead_decrypt(k->encr, k->ke, nonce, msg, iv, msg + ct, n, msg + icv,
		    k->encr->icv_len, pt);
	} else
		r = rkmp_crypto_cbc_decrypt(k->encr, k->ke, msg + iv, msg + ct, n, pt);
	if (r == 0)
		memcpy(msg + ct, pt, n);
	free(pt);
	rkmp_err_clear();
	return r == 0;
}

void
fz_note(const char *kind, const char *fmt, ...)
{
	static struct { const char *kind; unsigned long n; } seen[32];
	size_t i;
	va_list ap;

	for (i = 0; i < sizeof(seen) / sizeof(seen[0]) && seen[i].kind != NULL; i++)
		if (strcmp(seen[i].kind, kind) == 0)
			break;
	if (i == sizeof(seen) / sizeof(seen[0]))
		i--;
	if (seen[i].kind == NULL)
		seen[i].kind = kind;
	if (++seen[i].n > 3 && (seen[i].n & (seen[i].n - 1)) != 0)
		return;
	fprintf(stderr, "fuzz: NOTE [%s #%lu] ", kind, seen[i].n);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
fz_fail(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "fuzz: FAIL: %s (%zu octets)\n", what, n);
	for (size_t i = 0; p != NULL && i < n && i < 4096; i++)
		fprintf(stderr, "%02x%s", p[i], (i + 1) % 32 == 0 || i + 1 == n ? "\n" : "");
	abort();
}

void
fz_json_msg(const struct rkmp_print_meta *meta, const struct rkmp_msg *m, int err)
{
	struct rkmp_buf b;
	json_error_t e;
	json_t *j;

	rkmp_buf_init(&b, 64u << 20);
	if (rkmp_print_json(&b, meta, m, err) != 0)
		fz_fail("rkmp_print_json failed", m->raw, m->raw_len);
	if (b.len < 2 || b.p[b.len - 1] != '\n' || memchr(b.p, '\n', b.len - 1) != NULL)
		fz_fail("rkmp_print_json: not one line", m->raw, m->raw_len);
	if ((j = json_loadb((const char *)b.p, b.len - 1, JSON_REJECT_DUPLICATES, &e)) == NULL) {
		fprintf(stderr, "fuzz: jansson: %s at %d: %.*s\n", e.text, e.position, (int)b.len,
		    (const char *)b.p);
		fz_fail("rkmp_print_json: jansson does not parse it", m->raw, m->raw_len);
	}
	if (!json_is_object(j))
		fz_fail("rkmp_print_json: not an object", m->raw, m->raw_len);
	json_decref(j);
	rkmp_buf_free(&b);
}

/* SPDX-License-Identifier: MIT */
/*
 * test_crypto.c — lib/crypto against the published vectors in
 * testdata/vectors/ (copied verbatim; each file names its source), plus the
 * edge cases the vectors do not reach (peer value checks, tag mismatch, limits).
 *
 * The vector files are parsed, never retyped: "[id]" starts a record and
 * "name = hex" lines are its fields.  Each file has one test that checks
 * every record and its record count, and every failure names the file, the
 * record and its position ("rfc4231-hmac-sha2.txt [RFC4231-TC3] (3/7): ...").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "crypto.h"
#include "err.h"
#include "test_helper.h"
#include "tests.h"

/* ------------------------------------------------------ vector file parser */

#define VF_FIELDS	40
#define VF_BUF		1024	/* bigger than any value the checks copy */

struct vfield {
	char	 name[40];
	uint8_t	*v;
	size_t	 len;
};

struct vrec {
	char		id[64];
	struct vfield	f[VF_FIELDS];
	size_t		nf;
};

struct vfile {
	const char	*name;
	char		 kind[40];
	struct vrec	*r;
	size_t		 n;
};

static void
vf_free(struct vfile *vf)
{
	for (size_t i = 0; i < vf->n; i++)
		for (size_t j = 0; j < vf->r[i].nf; j++)
			free(vf->r[i].f[j].v);
	free(vf->r);
	vf->r = NULL;
	vf->n = 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Load testdata/vectors/NAME; on failure report it and return -1. */
static int
vf_load(struct vfile *vf, const char *name, int line)
{
	char rel[256], *text, *s, *nl;
	size_t len = 0, lineno = 0;

	memset(vf, 0, sizeof(*vf));
	vf->name = name;
	snprintf(rel, sizeof(rel), "vectors/%s", name);
	if ((text = (char *)test_data_file(rel, &len)) == NULL) {
		test_fail(__FILE__, line, "%s: cannot read ../../testdata/%s", name, rel);
		return -1;
	}
	text[len] = '\0';	/* test_data_file leaves room for it */
	for (s = text; s != NULL && *s != '\0'; s = nl) {
		struct vrec *r;
		char *eq, *k;

		lineno++;
		if ((nl = strchr(s, '\n')) != NULL)
			*nl++ = '\0';
		if (strncmp(s, "# Kind:", 7) == 0)
			snprintf(vf->kind, sizeof(vf->kind), "%s", trim(s + 7));
		s = trim(s);
		if (*s == '\0' || *s == '#')
			continue;
		if (*s == '[') {
			struct vrec *nr = realloc(vf->r, (vf->n + 1) * sizeof(*nr));

			if (nr == NULL)
				goto bad;
			vf->r = nr;
			r = &vf->r[vf->n++];
			memset(r, 0, sizeof(*r));
			snprintf(r->id, sizeof(r->id), "%.*s", (int)strcspn(s + 1, "]"), s + 1);
			continue;
		}
		if (vf->n == 0 || (eq = strchr(s, '=')) == NULL)
			goto bad;
		r = &vf->r[vf->n - 1];
		if (r->nf == VF_FIELDS)
			goto bad;
		*eq = '\0';
		k = trim(s);
		snprintf(r->f[r->nf].name, sizeof(r->f[r->nf].name), "%s", k);
		if ((r->f[r->nf].v = test_hex(trim(eq + 1), &r->f[r->nf].len)) == NULL)
			goto bad;
		r->nf++;
	}
	free(text);
	return 0;
bad:
	test_fail(__FILE__, line, "%s: line %zu does not parse", name, lineno);
	free(text);
	vf_free(vf);
	return -1;
}

static const uint8_t *
vf_get(const struct vrec *r, const char *name, size_t *len)
{
	for (size_t i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, name) == 0) {
			*len = r->f[i].len;
			return r->f[i].v;
		}
	return NULL;
}

/* One failure line naming the file, the record and its position. */
static void vec_fail(int line, const struct vfile *vf, size_t ri, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
vec_fail(int line, const struct vfile *vf, size_t ri, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	test_fail(__FILE__, line, "%s [%s] (%zu/%zu): %s", vf->name, vf->r[ri].id, ri + 1, vf->n,
	    msg);
}

/*
 * Helpers for a record checker: it has `vf` and `ri` in scope and returns 0,
 * or -1 after reporting (so the runner can free the file and go on).
 */
#define VFAIL(...) do { vec_fail(__LINE__, vf, ri, __VA_ARGS__); return -1; } while (0)
#define VGET(p, len, name) do { \
	if (((p) = vf_get(&vf->r[ri], (name), &(len))) == NULL) VFAIL("no field '%s'", (name)); \
} while (0)
#define VOK(call) do { int rc_ = (call); \
	if (rc_ != 0) VFAIL("%s = %d (%s)", #call, rc_, rkmp_err_text()); } while (0)
#define VRC(call, want, text) do { int rc_ = (call); \
	if (rc_ != (want)) VFAIL("%s = %d, want %d", #call, rc_, (want)); \
	if (strstr(rkmp_err_text(), (text)) == NULL) \
		VFAIL("%s: detail \"%s\" lacks \"%s\"", #call, rkmp_err_text(), (text)); } while (0)
#define VEQ(a, alen, b, blen, what) do { size_t al_ = (alen), bl_ = (blen); \
	if (al_ != bl_) VFAIL("%s: %zu octets, want %zu", (what), al_, bl_); \
	if (memcmp((a), (b), al_) != 0) VFAIL("%s differs", (what)); } while (0)
#define VTRUE(x) do { if (!(x)) VFAIL("%s is false", #x); } while (0)

typedef int (*vcheck_fn)(const struct vfile *, size_t);

/* Load a file, check its kind and record count, run check on every record. */
static void
run_file(const char *name, const char *kind, size_t count, vcheck_fn check, int line)
{
	struct vfile vf;

	if (vf_load(&vf, name, line) != 0)
		return;
	if (strcmp(vf.kind, kind) != 0)
		test_fail(__FILE__, line, "%s: kind \"%s\", want \"%s\"", name, vf.kind, kind);
	else if (vf.n != count)
		test_fail(__FILE__, line, "%s: %zu records, want %zu", name, vf.n, count);
	else
		for (size_t i = 0; i < vf.n; i++)
			(void)check(&vf, i);
	vf_free(&vf);
}

#define RUN_FILE(name, kind, count, fn) run_file((name), (kind), (count), (fn), __LINE__)

/* The vector files name HMAC PRFs in ASCII ("hmac-sha256"). */
static const struct rkmp_prf_alg *
prf_by_name(const uint8_t *name, size_t len)
{
	static const struct {
		const char	*name;
		uint16_t	 id;
	} map[] = {
		{ "hmac-sha1", 2 }, { "hmac-sha256", 5 }, { "hmac-sha384", 6 }, { "hmac-sha512", 7 },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].name) == len && memcmp(map[i].name, name, len) == 0)
			return rkmp_crypto_prf_lookup(map[i].id);
	return NULL;
}

static void
cat(uint8_t *dst, size_t *off, const uint8_t *src, size_t n)
{
	memcpy(dst + *off, src, n);
	*off += n;
}

/* ------------------------------------------------------------- PRF, INTEG */

/*
 * RFC 4231: HMAC-SHA-256/384/512 are PRFs 5/6/7 (RFC 4868 §2.7.1); the
 * file's SHA-224 column has no IKEv2 transform and is not checked.
 */
static int
check_hmac(const struct vfile *vf, size_t ri)
{
	static const struct {
		const char	*field;
		uint16_t	 prf;
	} cols[] = { { "hmac_sha256", 5 }, { "hmac_sha384", 6 }, { "hmac_sha512", 7 } };
	const uint8_t *key, *data, *exp;
	size_t klen, dlen, elen;
	uint8_t out[RKMP_CRYPTO_PRF_MAX];

	VGET(key, klen, "key");
	VGET(data, dlen, "data");
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(cols[c].prf);

		VGET(exp, elen, cols[c].field);
		VTRUE(prf != NULL);
		/* TC5 publishes only the first 128 bits. */
		VTRUE(elen == prf->out_len || (elen == 16 && strstr(vf->r[ri].id, "TC5") != NULL));
		VOK(rkmp_crypto_prf(prf, key, klen, data, dlen, out));
		VEQ(out, elen, exp, elen, cols[c].field);
	}
	return 0;
}

TEST(crypto_vectors_rfc4231_hmac_sha2)
{
	RUN_FILE("rfc4231-hmac-sha2.txt", "hmac", 7, check_hmac);
}

/* RFC 4868 §2.7.2: INTEG 12/13/14, named in the file by their strongSwan names. */
static int
check_hmac_trunc(const struct vfile *vf, size_t ri)
{
	const struct rkmp_integ_alg *tab, *integ = NULL;
	const uint8_t *name, *key, *data, *icv;
	size_t n, nlen, klen, dlen, ilen;
	uint8_t out[RKMP_CRYPTO_ICV_MAX], bad[RKMP_CRYPTO_ICV_MAX];

	VGET(name, nlen, "integ");
	VGET(key, klen, "key");
	VGET(data, dlen, "data");
	VGET(icv, ilen, "icv");
	tab = rkmp_crypto_integ_table(&n);
	for (size_t i = 0; i < n; i++)
		if (strlen(tab[i].name) == nlen &&
		    strncasecmp(tab[i].name, (const char *)name, nlen) == 0)
			integ = &tab[i];
	if (integ == NULL)
		VFAIL("INTEG \"%.*s\" not in the table", (int)nlen, (const char *)name);
	VTRUE(integ->key_len == klen);
	VOK(rkmp_crypto_integ(integ, key, klen, data, dlen, out));
	VEQ(out, integ->icv_len, icv, ilen, "icv");
	VOK(rkmp_crypto_integ_verify(integ, key, klen, data, dlen, icv));
	memcpy(bad, icv, ilen);
	bad[ilen - 1] ^= 0x01;
	VRC(rkmp_crypto_integ_verify(integ, key, klen, data, dlen, bad), RKMP_E_REFUSED,
	    "ICV mismatch");
	return 0;
}

TEST(crypto_vectors_rfc4868_integ)
{
	RUN_FILE("rfc4868-hmac-sha2-integ.txt", "hmac-trunc", 9, check_hmac_trunc);
}

/*
 * The AES PRFs (4 = XCBC, 8 = CMAC) with the RFC 4434/4615 key rules, and
 * the -96 INTEG (5, 8) where the key is the 16 octets those take.
 */
static int
check_aes_prf(const struct vfile *vf, size_t ri, uint16_t prf_id, uint16_t integ_id)
{
	const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(prf_id);
	const struct rkmp_integ_alg *integ = rkmp_crypto_integ_lookup(integ_id);
	const uint8_t *key, *data, *exp;
	size_t klen, dlen, elen;
	uint8_t out[RKMP_CRYPTO_PRF_MAX];

	VTRUE(prf != NULL && integ != NULL);
	VGET(key, klen, "key");
	VGET(data, dlen, "data");
	VGET(exp, elen, "prf128");
	VOK(rkmp_crypto_prf(prf, key, klen, data, dlen, out));
	VEQ(out, prf->out_len, exp, elen, "prf128");
	if (klen == integ->key_len) {
		VOK(rkmp_crypto_integ(integ, key, klen, data, dlen, out));
		VEQ(out, integ->icv_len, exp, integ->icv_len, "ICV-96");
		VOK(rkmp_crypto_integ_verify(integ, key, klen, data, dlen, exp));
	}
	return 0;
}

static int
check_xcbc(const struct vfile *vf, size_t ri)
{
	return check_aes_prf(vf, ri, 4, 5);
}

static int
check_cmac(const struct vfile *vf, size_t ri)
{
	return check_aes_prf(vf, ri, 8, 8);
}

TEST(crypto_vectors_rfc3566_rfc4434_xcbc)
{
	RUN_FILE("rfc3566-rfc4434-aes-xcbc.txt", "xcbc", 8, check_xcbc);
}

TEST(crypto_vectors_rfc4493_rfc4615_cmac)
{
	RUN_FILE("rfc4493-rfc4615-aes-cmac.txt", "cmac", 7, check_cmac);
}

/* HMAC-SHA1 has no vector file: RFC 2202 §3 cases 1-2, as RFC 2404 §3 uses them. */
TEST(crypto_hmac_sha1_rfc2202)
{
	const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(2);
	const struct rkmp_integ_alg *integ = rkmp_crypto_integ_lookup(2);
	uint8_t key[20], out[20], *exp1, *exp2;
	size_t n1, n2;
	int rc1, rc2;

	ASSERT_TRUE(prf != NULL && integ != NULL);
	exp1 = test_hex("b617318655057264e28bc0b6fb378c8ef146be00", &n1);
	exp2 = test_hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", &n2);
	ASSERT_TRUE(exp1 != NULL && exp2 != NULL);
	memset(key, 0x0b, sizeof(key));
	rc1 = rkmp_crypto_prf(prf, key, sizeof(key), (const uint8_t *)"Hi There", 8, out);
	rc2 = memcmp(out, exp1, 20);
	memset(out, 0, sizeof(out));
	if (rc1 == 0 && rc2 == 0)
		rc1 = rkmp_crypto_integ(integ, key, sizeof(key), (const uint8_t *)"Hi There", 8, out);
	if (rc1 == 0)
		rc2 = memcmp(out, exp1, 12) != 0 || out[12] != 0;
	if (rc1 == 0 && rc2 == 0)
		rc1 = rkmp_crypto_prf(prf, (const uint8_t *)"Jefe", 4,
		    (const uint8_t *)"what do ya want for nothing?", 28, out);
	if (rc1 == 0)
		rc2 = memcmp(out, exp2, 20);
	free(exp1);
	free(exp2);
	ASSERT_INT_EQ(rc1, 0);
	ASSERT_INT_EQ(rc2, 0);
}

/* ------------------------------------------------------------- key schedule */

static int
check_prfplus(const struct vfile *vf, size_t ri)
{
	const struct rkmp_prf_alg *prf;
	const uint8_t *name, *key, *seed, *exp;
	size_t nlen, klen, slen, elen;
	uint8_t out[VF_BUF];

	VGET(name, nlen, "prf");
	VGET(key, klen, "key");
	VGET(seed, slen, "seed");
	VGET(exp, elen, "out");
	VTRUE((prf = prf_by_name(name, nlen)) != NULL);
	VTRUE(elen <= sizeof(out));
	VOK(rkmp_crypto_prf_plus(prf, key, klen, seed, slen, out, elen));
	VEQ(out, elen, exp, elen, "out");
	return 0;
}

TEST(crypto_vectors_strongswan_prf_plus)
{
	RUN_FILE("strongswan-prf-plus-sha256.txt", "prfplus", 3, check_prfplus);
}

/* NIST CAVP SHA-1: SKEYSEED, DKM, child DKM with and without g^ir, rekey. */
static int
check_kdf_sha1(const struct vfile *vf, size_t ri)
{
	const struct rkmp_prf_alg *prf;
	const uint8_t *name, *ni, *nr, *gir, *gir_new, *spii, *spir, *sks, *dkm, *child, *child_dh,
	    *rekey;
	size_t nlen, nil, nrl, gl, gnl, sil, srl, skl, dl, cl, cdl, rl;
	uint8_t out[VF_BUF];

	VGET(name, nlen, "prf");
	VGET(ni, nil, "ni");
	VGET(nr, nrl, "nr");
	VGET(gir, gl, "gir");
	VGET(gir_new, gnl, "gir_new");
	VGET(spii, sil, "spii");
	VGET(spir, srl, "spir");
	VGET(sks, skl, "skeyseed");
	VGET(dkm, dl, "dkm");
	VGET(child, cl, "dkm_child");
	VGET(child_dh, cdl, "dkm_child_dh");
	VGET(rekey, rl, "skeyseed_rekey");
	VTRUE((prf = prf_by_name(name, nlen)) != NULL);
	VTRUE(sil == 8 && srl == 8 && dl <= sizeof(out) && cl <= sizeof(out) &&
	    cdl <= sizeof(out) && dl >= prf->key_len);

	VOK(rkmp_crypto_skeyseed(prf, ni, nil, nr, nrl, gir, gl, out));
	VEQ(out, prf->out_len, sks, skl, "skeyseed");
	VOK(rkmp_crypto_ike_keymat(prf, sks, skl, ni, nil, nr, nrl, spii, spir, out, dl));
	VEQ(out, dl, dkm, dl, "dkm");
	/* SK_d is the first PRF-key-size octets of the DKM. */
	VOK(rkmp_crypto_child_keymat(prf, dkm, prf->key_len, NULL, 0, ni, nil, nr, nrl, out, cl));
	VEQ(out, cl, child, cl, "dkm_child");
	VOK(rkmp_crypto_child_keymat(prf, dkm, prf->key_len, gir_new, gnl, ni, nil, nr, nrl, out,
	    cdl));
	VEQ(out, cdl, child_dh, cdl, "dkm_child_dh");
	VOK(rkmp_crypto_skeyseed_rekey(prf, dkm, prf->key_len, gir_new, gnl, ni, nil, nr, nrl,
	    out));
	VEQ(out, prf->out_len, rekey, rl, "skeyseed_rekey");
	return 0;
}

TEST(crypto_vectors_cavp_kdf_sha1)
{
	RUN_FILE("cavp-ikev2-kdf-sha1.txt", "ikev2-kdf", 1, check_kdf_sha1);
}

/* NIST CAVP SHA-2: SKEYSEED and prf+ with 8+8 and 256+256 octet nonces. */
static int
check_kdf_sha2(const struct vfile *vf, size_t ri)
{
	const struct rkmp_prf_alg *prf;
	const uint8_t *name, *ninr, *gir, *spii, *spir, *sks, *dkm;
	size_t nlen, nnl, gl, sil, srl, skl, dl, half;
	uint8_t out[VF_BUF];

	VGET(name, nlen, "prf");
	VGET(ninr, nnl, "ni_nr");
	VGET(gir, gl, "gir");
	VGET(spii, sil, "spii");
	VGET(spir, srl, "spir");
	VGET(sks, skl, "skeyseed");
	VGET(dkm, dl, "dkm");
	VTRUE((prf = prf_by_name(name, nlen)) != NULL);
	VTRUE(sil == 8 && srl == 8 && dl <= sizeof(out));
	/* The file keeps Ni | Nr joined; the records use equal halves (8+8, 256+256). */
	half = nnl / 2;
	VOK(rkmp_crypto_skeyseed(prf, ninr, half, ninr + half, nnl - half, gir, gl, out));
	VEQ(out, prf->out_len, sks, skl, "skeyseed");
	VOK(rkmp_crypto_ike_keymat(prf, sks, skl, ninr, half, ninr + half, nnl - half, spii, spir,
	    out, dl));
	VEQ(out, dl, dkm, dl, "dkm");
	return 0;
}

TEST(crypto_vectors_cavp_kdf_sha2)
{
	RUN_FILE("cavp-ikev2-kdf-sha2.txt", "ikev2-kdf-sha2", 6, check_kdf_sha2);
}

/*
 * The derived PSK example: AES-CBC-256 / PRF-SHA2-256 / INTEG 12; SKEYSEED,
 * the 224-octet split, PSK AUTH both ways, first child KEYMAT, and its
 * INFORMATIONAL message (ICV over the encrypted form, then CBC).
 */
static int
check_derived(const struct vfile *vf, size_t ri)
{
	static const uint8_t keypad[] = "Key Pad for IKEv2";
	static const char *const names[7] = {
		"sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er", "sk_pi", "sk_pr"
	};
	const struct rkmp_encr_alg *encr = rkmp_crypto_encr_lookup(12, 256);
	const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(5);
	const struct rkmp_integ_alg *integ = rkmp_crypto_integ_lookup(12);
	const uint8_t *spii, *spir, *ni, *nr, *gir, *m1, *m2, *sks, *km, *psk, *idi, *idr, *mi, *mr,
	    *kp, *ai, *ar, *ckm, *iv, *plain, *msg, *exp;
	size_t l, sil, srl, nil, nrl, gl, m1l, m2l, skl, kml, pskl, idil, idrl, mil, mrl, kpl, ail,
	    arl, ckml, ivl, pl, ml;
	struct rkmp_ike_keys keys;
	const uint8_t *sk[7] = {
		keys.sk_d, keys.sk_ai, keys.sk_ar, keys.sk_ei, keys.sk_er, keys.sk_pi, keys.sk_pr
	};
	uint8_t out[VF_BUF], pad[RKMP_CRYPTO_PRF_MAX];
	int rc;

	VTRUE(encr != NULL && prf != NULL && integ != NULL);
	VGET(spii, sil, "spii");
	VGET(spir, srl, "spir");
	VGET(ni, nil, "ni");
	VGET(nr, nrl, "nr");
	VGET(gir, gl, "gir");
	VGET(m1, m1l, "ike_sa_init_request");
	VGET(m2, m2l, "ike_sa_init_response");
	VGET(sks, skl, "skeyseed");
	VGET(km, kml, "keymat_224");
	VGET(psk, pskl, "psk");
	VGET(idi, idil, "idi_rest");
	VGET(idr, idrl, "idr_rest");
	VGET(mi, mil, "maced_id_i");
	VGET(mr, mrl, "maced_id_r");
	VGET(kp, kpl, "key_pad_prf");
	VGET(ai, ail, "auth_i");
	VGET(ar, arl, "auth_r");
	VGET(ckm, ckml, "child_keymat_64");
	VGET(iv, ivl, "info_iv");
	VGET(plain, pl, "info_plain");
	VGET(msg, ml, "info_message");
	VTRUE(sil == 8 && srl == 8 && kml <= sizeof(out) && ckml <= sizeof(out));

	VOK(rkmp_crypto_skeyseed(prf, ni, nil, nr, nrl, gir, gl, out));
	VEQ(out, prf->out_len, sks, skl, "skeyseed");
	VOK(rkmp_crypto_ike_keymat(prf, sks, skl, ni, nil, nr, nrl, spii, spir, out, kml));
	VEQ(out, kml, km, kml, "keymat_224");
	VOK(rkmp_crypto_ike_keys(prf, encr, integ, sks, skl, ni, nil, nr, nrl, spii, spir, &keys));
	rc = keys.len.total == kml && keys.len.d == 32 && keys.len.a == 32 &&
	    keys.len.e == 32 && keys.len.p == 32;
	for (size_t i = 0; rc && i < 7; i++) {
		if ((exp = vf_get(&vf->r[ri], names[i], &l)) == NULL || l != 32 ||
		    memcmp(sk[i], exp, 32) != 0) {
			rkmp_crypto_ike_keys_wipe(&keys);
			VFAIL("%s differs", names[i]);
		}
	}
	rkmp_crypto_ike_keys_wipe(&keys);
	VTRUE(rc);

	/* PSK AUTH (RFC 7296 §2.15): prf(prf(PSK, "Key Pad for IKEv2"), octets). */
	VOK(rkmp_crypto_prf(prf, psk, pskl, keypad, sizeof(keypad) - 1, pad));
	VEQ(pad, prf->out_len, kp, kpl, "key_pad_prf");
	VOK(rkmp_crypto_prf(prf, km + 160, 32, idi, idil, out));	/* SK_pi */
	VEQ(out, prf->out_len, mi, mil, "maced_id_i");
	VOK(rkmp_crypto_prf(prf, km + 192, 32, idr, idrl, out));	/* SK_pr */
	VEQ(out, prf->out_len, mr, mrl, "maced_id_r");
	{
		struct rkmp_crypto_iov vi[3] = { { m1, m1l }, { nr, nrl }, { mi, mil } };
		struct rkmp_crypto_iov vr[3] = { { m2, m2l }, { ni, nil }, { mr, mrl } };

		VOK(rkmp_crypto_prfv(prf, pad, prf->out_len, vi, 3, out));
		VEQ(out, prf->out_len, ai, ail, "auth_i");
		VOK(rkmp_crypto_prfv(prf, pad, prf->out_len, vr, 3, out));
		VEQ(out, prf->out_len, ar, arl, "auth_r");
	}
	VOK(rkmp_crypto_child_keymat(prf, km, 32, NULL, 0, ni, nil, nr, nrl, out, ckml));
	VEQ(out, ckml, ckm, ckml, "child_keymat_64");

	/* HDR(28) | SK hdr(4) | IV(16) | ciphertext | ICV(16), keys SK_ai / SK_ei. */
	VTRUE(ml > 28 + 4 + 16 + 16 && ivl == 16 && ml - 64 == pl);
	VEQ(msg + 32, 16, iv, ivl, "info_iv");
	VOK(rkmp_crypto_integ_verify(integ, km + 32, 32, msg, ml - 16, msg + ml - 16));
	VOK(rkmp_crypto_cbc_decrypt(encr, km + 96, msg + 32, msg + 48, ml - 64, out));
	VEQ(out, pl, plain, pl, "info_plain");
	VOK(rkmp_crypto_cbc_encrypt(encr, km + 96, iv, plain, pl, out));
	VEQ(out, pl, msg + 48, pl, "info ciphertext");
	return 0;
}

TEST(crypto_vectors_derived_psk_keyschedule)
{
	RUN_FILE("derived-ikev2-psk-keyschedule-example.txt", "derived-ikev2", 1, check_derived);
}

/* ---------------------------------------------------------------- ciphers */

static int
check_cbc(const struct vfile *vf, size_t ri)
{
	const struct rkmp_encr_alg *encr;
	const uint8_t *key, *iv, *pt, *ct;
	size_t kl, ivl, ptl, ctl;
	uint8_t out[VF_BUF];

	VGET(key, kl, "key");
	VGET(iv, ivl, "iv");
	VGET(pt, ptl, "plaintext");
	VGET(ct, ctl, "ciphertext");
	VTRUE((encr = rkmp_crypto_encr_lookup(12, (uint16_t)(kl * 8))) != NULL);
	VTRUE(encr->key_len == kl && encr->iv_len == ivl && ptl <= sizeof(out));
	VOK(rkmp_crypto_cbc_encrypt(encr, key, iv, pt, ptl, out));
	VEQ(out, ptl, ct, ctl, "ciphertext");
	VOK(rkmp_crypto_cbc_decrypt(encr, key, iv, out, ctl, out));	/* in place */
	VEQ(out, ctl, pt, ptl, "plaintext");
	return 0;
}

TEST(crypto_vectors_rfc3602_aes_cbc)
{
	RUN_FILE("rfc3602-aes-cbc.txt", "aes-cbc", 6, check_cbc);
}

/*
 * One AEAD record: encrypt to ciphertext | tag, decrypt back, and refuse a
 * flipped tag with "ICV mismatch" and the output wiped.
 */
static int
check_aead_common(const struct vfile *vf, size_t ri, const struct rkmp_encr_alg *encr,
    const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aadl,
    const uint8_t *pt, size_t ptl, const uint8_t *ct, size_t ctl, const uint8_t *tag,
    size_t tagl)
{
	uint8_t out[VF_BUF], t[RKMP_CRYPTO_ICV_MAX];

	VTRUE(ptl <= sizeof(out) && tagl <= sizeof(t));
	VOK(rkmp_crypto_aead_encrypt(encr, key, nonce, aad, aadl, pt, ptl, out, t, tagl));
	VEQ(out, ptl, ct, ctl, "ciphertext");
	VEQ(t, tagl, tag, tagl, "icv");
	VOK(rkmp_crypto_aead_decrypt(encr, key, nonce, aad, aadl, ct, ctl, tag, tagl, out));
	VEQ(out, ctl, pt, ptl, "plaintext");
	memcpy(t, tag, tagl);
	t[0] ^= 0x80;
	memset(out, 0xa5, sizeof(out));
	VRC(rkmp_crypto_aead_decrypt(encr, key, nonce, aad, aadl, ct, ctl, t, tagl, out),
	    RKMP_E_REFUSED, "ICV mismatch");
	for (size_t i = 0; i < ctl; i++)
		if (out[i] != 0)
			VFAIL("plaintext of a refused message not wiped at %zu", i);
	return 0;
}

static int
check_gcm(const struct vfile *vf, size_t ri)
{
	const struct rkmp_encr_alg *encr;
	const uint8_t *tr, *key, *salt, *iv, *aad, *pt, *ct, *icv;
	size_t trl, kl, sl, ivl, aadl, ptl, ctl, icvl;
	uint8_t nonce[12];

	VGET(tr, trl, "transform");
	VGET(key, kl, "key");
	VGET(salt, sl, "salt");
	VGET(iv, ivl, "iv");
	VGET(aad, aadl, "aad");
	VGET(pt, ptl, "plaintext");
	VGET(ct, ctl, "ciphertext");
	VGET(icv, icvl, "icv");
	VTRUE(trl == 2);
	VTRUE((encr = rkmp_crypto_encr_lookup((uint16_t)(tr[0] << 8 | tr[1]),
	    (uint16_t)(kl * 8))) != NULL);
	VTRUE(encr->aead && encr->key_len == kl && encr->salt_len == sl && encr->iv_len == ivl &&
	    encr->icv_len == icvl && sl + ivl == sizeof(nonce));
	memcpy(nonce, salt, sl);
	memcpy(nonce + sl, iv, ivl);
	return check_aead_common(vf, ri, encr, key, nonce, aad, aadl, pt, ptl, ct, ctl, icv, icvl);
}

TEST(crypto_vectors_mcgrew_viega_aes_gcm)
{
	RUN_FILE("mcgrew-viega-aes-gcm.txt", "aes-gcm", 14, check_gcm);
}

static int
check_chacha(const struct vfile *vf, size_t ri)
{
	const struct rkmp_encr_alg *encr = rkmp_crypto_encr_lookup(28, 0);
	const uint8_t *key, *salt, *iv, *nonce, *aad, *pt, *ct, *tag;
	size_t kl, sl, ivl, nl, aadl, ptl, ctl, tagl;
	uint8_t n[12];

	VTRUE(encr != NULL);
	VGET(key, kl, "key");
	VGET(salt, sl, "salt");
	VGET(iv, ivl, "iv");
	VGET(nonce, nl, "nonce");
	VGET(aad, aadl, "aad");
	VGET(pt, ptl, "plaintext");
	VGET(ct, ctl, "ciphertext");
	VGET(tag, tagl, "tag");
	VTRUE(encr->key_len == kl && encr->salt_len == sl && encr->iv_len == ivl &&
	    encr->icv_len == tagl && sl + ivl == sizeof(n));
	memcpy(n, salt, sl);
	memcpy(n + sl, iv, ivl);
	VEQ(n, sizeof(n), nonce, nl, "nonce = salt | iv");
	return check_aead_common(vf, ri, encr, key, n, aad, aadl, pt, ptl, ct, ctl, tag, tagl);
}

TEST(crypto_vectors_rfc8439_rfc7634_chacha20_poly1305)
{
	RUN_FILE("rfc8439-rfc7634-chacha20-poly1305.txt", "aead-chacha", 4, check_chacha);
}

/* RFC 7634 App. B: take the whole SK message apart as the receiver does. */
static int
check_sk_chacha(const struct vfile *vf, size_t ri)
{
	const struct rkmp_encr_alg *encr = rkmp_crypto_encr_lookup(28, 0);
	const uint8_t *key, *salt, *inner, *padl, *iv, *aad, *ct, *icv, *m, *spii, *spir, *mid;
	size_t kl, sl, il, pll, ivl, aadl, ctl, icvl, ml, sil, srl, midl, off = 0;
	uint8_t nonce[12], out[VF_BUF], want[VF_BUF];

	VTRUE(encr != NULL);
	VGET(key, kl, "sk_e_key");
	VGET(salt, sl, "sk_e_salt");
	VGET(inner, il, "inner_plaintext");
	VGET(padl, pll, "pad_length");
	VGET(iv, ivl, "iv");
	VGET(aad, aadl, "aad");
	VGET(ct, ctl, "ciphertext");
	VGET(icv, icvl, "icv");
	VGET(m, ml, "message");
	VGET(spii, sil, "spii");
	VGET(spir, srl, "spir");
	VGET(mid, midl, "message_id");
	VTRUE(kl == encr->key_len && sl == encr->salt_len && ivl == encr->iv_len &&
	    icvl == encr->icv_len && il + pll <= sizeof(want));
	/* AAD = IKE header + SK generic header; then IV | ciphertext | ICV. */
	VTRUE(ml == 32 + ivl + ctl + icvl);
	VEQ(m, 32, aad, aadl, "aad");
	VEQ(m, 8, spii, sil, "spii");
	VEQ(m + 8, 8, spir, srl, "spir");
	VEQ(m + 20, 4, mid, midl, "message_id");
	VEQ(m + 32, ivl, iv, ivl, "iv");
	VEQ(m + 32 + ivl, ctl, ct, ctl, "ciphertext");
	VEQ(m + ml - icvl, icvl, icv, icvl, "icv");
	memcpy(nonce, salt, sl);
	memcpy(nonce + sl, m + 32, ivl);
	VOK(rkmp_crypto_aead_decrypt(encr, key, nonce, m, 32, m + 40, ctl, m + ml - icvl, icvl,
	    out));
	cat(want, &off, inner, il);
	cat(want, &off, padl, pll);
	VEQ(out, ctl, want, off, "inner_plaintext | pad_length");
	return 0;
}

TEST(crypto_vectors_rfc7634_sk_message)
{
	RUN_FILE("rfc7634-ikev2-sk-message.txt", "ikev2-sk-chacha", 1, check_sk_chacha);
}

/* ---------------------------------------------------------------------- DH */

/*
 * Both sides of one exchange from fixed private values: publics as given,
 * the same g^ir both ways, and the private value exported as imported.
 */
static int
check_dh_pair(const struct vfile *vf, size_t ri, const struct rkmp_dh_group *g,
    const uint8_t *ipriv, size_t iprivl, const uint8_t *ipub, const uint8_t *rpriv,
    size_t rprivl, const uint8_t *rpub, const uint8_t *shared, size_t sharedl)
{
	struct rkmp_dh *di = NULL, *dr = NULL;
	const uint8_t *pi, *pr;
	uint8_t s1[RKMP_CRYPTO_DH_MAX], s2[RKMP_CRYPTO_DH_MAX], priv[RKMP_CRYPTO_DH_MAX];
	size_t pil, prl;
	int rc = -1;

	if (rkmp_crypto_dh_new(g, ipriv, iprivl, &di) != 0 ||
	    rkmp_crypto_dh_new(g, rpriv, rprivl, &dr) != 0) {
		vec_fail(__LINE__, vf, ri, "dh_new: %s", rkmp_err_text());
		goto out;
	}
	pi = rkmp_crypto_dh_public(di, &pil);
	pr = rkmp_crypto_dh_public(dr, &prl);
	if (pil != g->pub_len || memcmp(pi, ipub, pil) != 0 || memcmp(pr, rpub, prl) != 0) {
		vec_fail(__LINE__, vf, ri, "public value differs");
		goto out;
	}
	if (rkmp_crypto_dh_shared(di, pr, prl, s1) != 0 ||
	    rkmp_crypto_dh_shared(dr, pi, pil, s2) != 0) {
		vec_fail(__LINE__, vf, ri, "dh_shared: %s", rkmp_err_text());
		goto out;
	}
	if (sharedl != g->secret_len || memcmp(s1, shared, sharedl) != 0 ||
	    memcmp(s2, shared, sharedl) != 0) {
		vec_fail(__LINE__, vf, ri, "shared secret differs");
		goto out;
	}
	/* Exported left-padded to priv_len; the file's may be shorter (none are). */
	if (rkmp_crypto_dh_private(di, priv, sizeof(priv)) != 0 || iprivl > g->priv_len ||
	    memcmp(priv + g->priv_len - iprivl, ipriv, iprivl) != 0) {
		vec_fail(__LINE__, vf, ri, "private value export differs");
		goto out;
	}
	rc = 0;
out:
	rkmp_crypto_dh_free(di);
	rkmp_crypto_dh_free(dr);
	return rc;
}

/* RFC 5903 §8: groups 19/20/21 keys, KE payload data, g^ir = x. */
static int
check_ecp(const struct vfile *vf, size_t ri)
{
	const struct rkmp_dh_group *g;
	const uint8_t *grp, *i, *gix, *giy, *kei, *r, *grx, *gry, *ker, *girx;
	size_t gl, il, gixl, giyl, keil, rl, grxl, gryl, kerl, girxl, off;
	uint8_t pubi[2 * 66 + 1], pubr[2 * 66], s[66];
	struct rkmp_dh *d = NULL;
	int rc;

	VGET(grp, gl, "group");
	VGET(i, il, "i");
	VGET(gix, gixl, "gix");
	VGET(giy, giyl, "giy");
	VGET(kei, keil, "kei_payload");
	VGET(r, rl, "r");
	VGET(grx, grxl, "grx");
	VGET(gry, gryl, "gry");
	VGET(ker, kerl, "ker_payload");
	VGET(girx, girxl, "girx");
	VTRUE(gl == 2 && (g = rkmp_crypto_dh_lookup((uint16_t)(grp[0] << 8 | grp[1]))) != NULL);
	VTRUE(g->pub_len == gixl + giyl && g->pub_len == grxl + gryl && g->pub_len <= 2 * 66);
	off = 0;
	cat(pubi, &off, gix, gixl);
	cat(pubi, &off, giy, giyl);
	off = 0;
	cat(pubr, &off, grx, grxl);
	cat(pubr, &off, gry, gryl);
	/* KE payload = generic header(4) | group(2) | RESERVED(2) | x | y */
	VTRUE(keil == 8 + g->pub_len && kerl == 8 + g->pub_len);
	VTRUE(kei[4] == grp[0] && kei[5] == grp[1] && ker[4] == grp[0] && ker[5] == grp[1]);
	VEQ(kei + 8, g->pub_len, pubi, g->pub_len, "kei_payload data");
	VEQ(ker + 8, g->pub_len, pubr, g->pub_len, "ker_payload data");
	if (check_dh_pair(vf, ri, g, i, il, pubi, r, rl, pubr, girx, girxl) != 0)
		return -1;

	/* The peer value checks: 0x04-prefixed (SEC1) length and an off-curve y. */
	VOK(rkmp_crypto_dh_new(g, i, il, &d));
	memmove(pubi + 1, pubi, g->pub_len);
	pubi[0] = 0x04;
	rc = rkmp_crypto_dh_shared(d, pubi, g->pub_len + 1, s);
	if (rc == RKMP_E_INVALID) {
		char want[64];

		snprintf(want, sizeof(want), "%zu octets, want %zu", g->pub_len + 1, g->pub_len);
		if (strstr(rkmp_err_text(), want) == NULL)
			rc = 1;
	}
	if (rc == RKMP_E_INVALID) {
		pubr[g->pub_len - 1] ^= 0x01;
		rc = rkmp_crypto_dh_shared(d, pubr, g->pub_len, s);
	}
	rkmp_crypto_dh_free(d);
	if (rc != RKMP_E_INVALID)
		VFAIL("bad peer value: rc %d (%s), want %d", rc, rkmp_err_text(), RKMP_E_INVALID);
	return 0;
}

TEST(crypto_vectors_rfc5903_ecp)
{
	RUN_FILE("rfc5903-ecp-groups.txt", "ecp", 3, check_ecp);
}

/* X(k, u) through the library: a key pair from scalar k, g^ir with peer u. */
static int
xdh(const struct rkmp_dh_group *g, const uint8_t *k, const uint8_t *u, uint8_t *out)
{
	struct rkmp_dh *d;
	int rc;

	if ((rc = rkmp_crypto_dh_new(g, k, g->priv_len, &d)) != 0)
		return rc;
	rc = rkmp_crypto_dh_shared(d, u, g->pub_len, out);
	rkmp_crypto_dh_free(d);
	return rc;
}

/* RFC 7748 §5.2, §6.1, §6.2 and the RFC 8031 example (groups 31/32). */
static int
check_xdh(const struct vfile *vf, size_t ri)
{
	const struct rkmp_dh_group *g = rkmp_crypto_dh_lookup(
	    strncmp(vf->r[ri].id, "X448", 4) == 0 ? 32 : 31);
	const uint8_t *a, *b, *c, *d, *e;
	size_t al, bl, cl, dl, el;
	uint8_t k[56], u[56], t[56];

	VTRUE(g != NULL);
	if ((a = vf_get(&vf->r[ri], "scalar", &al)) != NULL) {
		VGET(b, bl, "u");
		VGET(c, cl, "out");
		VTRUE(al == g->priv_len && bl == g->pub_len);
		VOK(xdh(g, a, b, t));
		VEQ(t, g->secret_len, c, cl, "out");
		return 0;
	}
	if ((a = vf_get(&vf->r[ri], "start", &al)) != NULL) {
		VGET(b, bl, "after_1");
		VGET(c, cl, "after_1000");
		VTRUE(al == g->priv_len);
		/* k = u = start; then (k, u) = (X(k, u), k) */
		memcpy(k, a, al);
		memcpy(u, a, al);
		for (int i = 1; i <= 1000; i++) {
			VOK(xdh(g, k, u, t));
			memcpy(u, k, al);
			memcpy(k, t, al);
			if (i == 1)
				VEQ(k, al, b, bl, "after_1");
		}
		VEQ(k, al, c, cl, "after_1000");
		return 0;
	}
	if (vf_get(&vf->r[ri], "alice_priv", &al) != NULL) {
		VGET(a, al, "alice_priv");
		VGET(b, bl, "alice_pub");
		VGET(c, cl, "bob_priv");
		VGET(d, dl, "bob_pub");
	} else {
		VGET(a, al, "i_priv");
		VGET(b, bl, "i_pub");
		VGET(c, cl, "r_priv");
		VGET(d, dl, "r_pub");
	}
	VGET(e, el, "shared");
	VTRUE(bl == g->pub_len && dl == g->pub_len);
	return check_dh_pair(vf, ri, g, a, al, b, c, cl, d, e, el);
}

TEST(crypto_vectors_rfc7748_xdh)
{
	RUN_FILE("rfc7748-x25519-x448.txt", "xdh", 9, check_xdh);
}

/*
 * RFC 3526 groups 14/15/16.  The file gives the prime; the library takes its
 * modulus from OpenSSL, so tie the two: with private exponent x = n (the
 * bit size) the public value is 2^n mod p = 2^n - p (as 2^(n-1) < p < 2^n),
 * the two's complement of p in n/8 octets.  Then two random keys must agree,
 * and peer values 1, p-1, p and a short one must be refused.
 */
static int
check_modp(const struct vfile *vf, size_t ri)
{
	const struct rkmp_dh_group *g;
	const uint8_t *grp, *bits, *gen, *p, *pub;
	size_t gl, bitsl, genl, pl, publ, nbits;
	uint8_t want[RKMP_CRYPTO_DH_MAX], s1[RKMP_CRYPTO_DH_MAX], s2[RKMP_CRYPTO_DH_MAX];
	uint8_t peer[RKMP_CRYPTO_DH_MAX], priv[RKMP_CRYPTO_DH_MAX];
	struct rkmp_dh *a = NULL, *b = NULL, *c = NULL;
	unsigned int carry = 1;
	int rc = -1;

	VGET(grp, gl, "group");
	VGET(bits, bitsl, "bits");
	VGET(gen, genl, "g");
	VGET(p, pl, "p");
	VTRUE(gl == 2 && (g = rkmp_crypto_dh_lookup((uint16_t)(grp[0] << 8 | grp[1]))) != NULL);
	VTRUE(bitsl == 2 && genl == 1 && gen[0] == 2);
	nbits = (size_t)bits[0] << 8 | bits[1];
	VTRUE(pl == nbits / 8 && g->pub_len == pl && g->secret_len == pl && (p[0] & 0x80));
	for (size_t i = pl; i-- > 0;) {
		carry += (uint8_t)~p[i];
		want[i] = (uint8_t)carry;
		carry >>= 8;
	}
	if (rkmp_crypto_dh_new(g, bits, bitsl, &a) != 0 ||
	    rkmp_crypto_dh_new(g, NULL, 0, &b) != 0) {
		vec_fail(__LINE__, vf, ri, "dh_new: %s", rkmp_err_text());
		goto out;
	}
	pub = rkmp_crypto_dh_public(a, &publ);
	if (publ != pl || memcmp(pub, want, pl) != 0) {
		vec_fail(__LINE__, vf, ri, "public value for x = %zu is not 2^%zu - p", nbits, nbits);
		goto out;
	}
	if (rkmp_crypto_dh_private(a, priv, sizeof(priv)) != 0 ||
	    memcmp(priv + g->priv_len - 2, bits, 2) != 0) {
		vec_fail(__LINE__, vf, ri, "private value export differs");
		goto out;
	}
	/* Two keys agree, padded to the modulus size, and re-import keeps them. */
	if (rkmp_crypto_dh_shared(a, rkmp_crypto_dh_public(b, &publ), publ, s1) != 0 ||
	    rkmp_crypto_dh_shared(b, pub, pl, s2) != 0 || memcmp(s1, s2, pl) != 0) {
		vec_fail(__LINE__, vf, ri, "g^ir differs between the sides (%s)", rkmp_err_text());
		goto out;
	}
	if (rkmp_crypto_dh_private(b, priv, sizeof(priv)) != 0 ||
	    rkmp_crypto_dh_new(g, priv, g->priv_len, &c) != 0 ||
	    memcmp(rkmp_crypto_dh_public(c, &publ), rkmp_crypto_dh_public(b, &publ), pl) != 0) {
		vec_fail(__LINE__, vf, ri, "private value export/import changes the key");
		goto out;
	}
	/*
	 * Padding: x = 2 and x = 3 give publics 4 and 8 and g^ir = 2^6, all of
	 * them almost entirely leading zeros that must stay (RFC 7296 §3.4).
	 */
	rkmp_crypto_dh_free(c);
	rkmp_crypto_dh_free(b);
	c = b = NULL;
	memset(want, 0, pl);
	want[pl - 1] = 0x02;
	want[pl - 2] = 0x03;
	if (rkmp_crypto_dh_new(g, want + pl - 1, 1, &b) != 0 ||
	    rkmp_crypto_dh_new(g, want + pl - 2, 1, &c) != 0) {
		vec_fail(__LINE__, vf, ri, "dh_new x = 2, 3: %s", rkmp_err_text());
		goto out;
	}
	want[pl - 2] = 0;
	want[pl - 1] = 0x04;
	if (memcmp(rkmp_crypto_dh_public(b, &publ), want, pl) != 0) {
		vec_fail(__LINE__, vf, ri, "public value for x = 2 is not 4 in %zu octets", pl);
		goto out;
	}
	want[pl - 1] = 0x40;
	if (rkmp_crypto_dh_shared(b, rkmp_crypto_dh_public(c, &publ), publ, s1) != 0 ||
	    rkmp_crypto_dh_shared(c, rkmp_crypto_dh_public(b, &publ), publ, s2) != 0 ||
	    memcmp(s1, want, pl) != 0 || memcmp(s2, want, pl) != 0) {
		vec_fail(__LINE__, vf, ri, "g^ir for x = 2, 3 is not 2^6 in %zu octets", pl);
		goto out;
	}
	/* Out of range: 1, p-1, p; and one octet short. */
	memset(peer, 0, pl);
	peer[pl - 1] = 1;
	if (rkmp_crypto_dh_shared(a, peer, pl, s1) != RKMP_E_INVALID) {
		vec_fail(__LINE__, vf, ri, "peer value 1 accepted");
		goto out;
	}
	memcpy(peer, p, pl);
	if (rkmp_crypto_dh_shared(a, peer, pl, s1) != RKMP_E_INVALID) {
		vec_fail(__LINE__, vf, ri, "peer value p accepted");
		goto out;
	}
	peer[pl - 1] -= 1;	/* p is odd: no borrow */
	if (rkmp_crypto_dh_shared(a, peer, pl, s1) != RKMP_E_INVALID) {
		vec_fail(__LINE__, vf, ri, "peer value p-1 accepted");
		goto out;
	}
	if (rkmp_crypto_dh_shared(a, want + 1, pl - 1, s1) != RKMP_E_INVALID ||
	    strstr(rkmp_err_text(), "octets, want") == NULL) {
		vec_fail(__LINE__, vf, ri, "short peer value: \"%s\"", rkmp_err_text());
		goto out;
	}
	rc = 0;
out:
	rkmp_crypto_dh_free(a);
	rkmp_crypto_dh_free(b);
	rkmp_crypto_dh_free(c);
	return rc;
}

TEST(crypto_vectors_rfc3526_modp)
{
	RUN_FILE("rfc3526-modp-groups.txt", "modp", 3, check_modp);
}

/* --------------------------------------------------------- beyond vectors */

TEST(crypto_tables)
{
	static const uint16_t prf_ids[] = { 2, 4, 5, 6, 7, 8 };
	static const uint16_t integ_ids[] = { 2, 5, 8, 12, 13, 14 };
	static const uint16_t dh_ids[] = { 14, 15, 16, 19, 20, 21, 31, 32 };
	const struct rkmp_encr_alg *e;
	const struct rkmp_integ_alg *i;
	const struct rkmp_dh_group *d;

	for (size_t k = 0; k < sizeof(prf_ids) / sizeof(prf_ids[0]); k++)
		ASSERT_TRUE(rkmp_crypto_prf_lookup(prf_ids[k]) != NULL);
	for (size_t k = 0; k < sizeof(integ_ids) / sizeof(integ_ids[0]); k++)
		ASSERT_TRUE(rkmp_crypto_integ_lookup(integ_ids[k]) != NULL);
	for (size_t k = 0; k < sizeof(dh_ids) / sizeof(dh_ids[0]); k++)
		ASSERT_TRUE(rkmp_crypto_dh_lookup(dh_ids[k]) != NULL);

	ASSERT_TRUE((e = rkmp_crypto_encr_lookup(12, 192)) != NULL);
	ASSERT_INT_EQ(e->key_len, 24);
	ASSERT_INT_EQ(e->block_len, 16);
	ASSERT_INT_EQ(e->aead, 0);
	ASSERT_TRUE((e = rkmp_crypto_encr_lookup(19, 256)) != NULL);
	ASSERT_INT_EQ(e->icv_len, 12);
	ASSERT_INT_EQ(e->salt_len, 4);
	ASSERT_INT_EQ(e->iv_len, 8);
	ASSERT_INT_EQ(e->block_len, 1);
	ASSERT_TRUE((i = rkmp_crypto_integ_lookup(13)) != NULL);
	ASSERT_INT_EQ(i->key_len, 48);
	ASSERT_INT_EQ(i->icv_len, 24);
	ASSERT_TRUE((d = rkmp_crypto_dh_lookup(21)) != NULL);
	ASSERT_INT_EQ(d->pub_len, 132);
	ASSERT_INT_EQ(d->secret_len, 66);

	/* Unsupported: NULL and an RKMP_E_CRYPTO detail naming the ID. */
	ASSERT_TRUE(rkmp_crypto_encr_lookup(12, 0) == NULL);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "key length 0");
	ASSERT_TRUE(rkmp_crypto_encr_lookup(28, 256) == NULL);	/* must not be sent */
	ASSERT_TRUE(rkmp_crypto_encr_lookup(3, 0) == NULL);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "ENCR transform 3");
	ASSERT_TRUE(rkmp_crypto_prf_lookup(1) == NULL);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "PRF transform 1");
	ASSERT_TRUE(rkmp_crypto_integ_lookup(1) == NULL);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "INTEG transform 1");
	ASSERT_TRUE(rkmp_crypto_dh_lookup(2) == NULL);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "DH group 2");
}

/* The example totals of ikev2-core.md §4.2. */
TEST(crypto_sk_lens)
{
	struct rkmp_sk_lens l;

	ASSERT_INT_EQ(rkmp_crypto_sk_lens(rkmp_crypto_encr_lookup(12, 256),
	    rkmp_crypto_integ_lookup(12), rkmp_crypto_prf_lookup(5), &l), 0);
	ASSERT_INT_EQ(l.total, 224);
	ASSERT_INT_EQ(rkmp_crypto_sk_lens(rkmp_crypto_encr_lookup(20, 256), NULL,
	    rkmp_crypto_prf_lookup(5), &l), 0);
	ASSERT_INT_EQ(l.total, 168);
	ASSERT_INT_EQ(l.e, 36);
	ASSERT_INT_EQ(l.a, 0);
	ASSERT_INT_EQ(rkmp_crypto_sk_lens(rkmp_crypto_encr_lookup(28, 0), NULL,
	    rkmp_crypto_prf_lookup(7), &l), 0);
	ASSERT_INT_EQ(l.total, 264);
	ASSERT_INT_EQ(rkmp_crypto_sk_lens(rkmp_crypto_encr_lookup(20, 128),
	    rkmp_crypto_integ_lookup(12), rkmp_crypto_prf_lookup(5), &l), RKMP_E_CRYPTO);
	ASSERT_INT_EQ(rkmp_crypto_sk_lens(rkmp_crypto_encr_lookup(12, 128), NULL,
	    rkmp_crypto_prf_lookup(5), &l), RKMP_E_CRYPTO);
}

/* ChaCha20 + PRF-SHA2-512: SK_e = key | salt, cut in RFC 7296 §2.14 order. */
TEST(crypto_ike_keys_split)
{
	const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(7);
	const struct rkmp_encr_alg *encr = rkmp_crypto_encr_lookup(28, 0);
	uint8_t ni[32], nr[32], spi[8], sks[64], km[264];
	struct rkmp_ike_keys k;

	memset(ni, 1, sizeof(ni));
	memset(nr, 2, sizeof(nr));
	memset(spi, 3, sizeof(spi));
	memset(sks, 4, sizeof(sks));
	ASSERT_INT_EQ(rkmp_crypto_ike_keymat(prf, sks, 64, ni, 32, nr, 32, spi, spi, km,
	    sizeof(km)), 0);
	ASSERT_INT_EQ(rkmp_crypto_ike_keys(prf, encr, NULL, sks, 64, ni, 32, nr, 32, spi, spi,
	    &k), 0);
	ASSERT_INT_EQ(k.len.total, 264);
	ASSERT_MEM_EQ(k.sk_d, km, 64);
	ASSERT_MEM_EQ(k.sk_ei, km + 64, 36);
	ASSERT_MEM_EQ(k.sk_er, km + 100, 36);
	ASSERT_MEM_EQ(k.sk_pi, km + 136, 64);
	ASSERT_MEM_EQ(k.sk_pr, km + 200, 64);
	rkmp_crypto_ike_keys_wipe(&k);
}

/* Fixed-key PRFs key SKEYSEED with Ni[0:8] | Nr[0:8] (RFC 7296 §2.14). */
TEST(crypto_skeyseed_fixed_key)
{
	static const uint16_t ids[] = { 4, 8 };
	uint8_t ni[32], nr[20], key[16], gir[32], a[16], b[16];

	for (size_t i = 0; i < sizeof(ni); i++)
		ni[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(nr); i++)
		nr[i] = (uint8_t)(0x80 + i);
	memset(gir, 0x5a, sizeof(gir));
	memcpy(key, ni, 8);
	memcpy(key + 8, nr, 8);
	for (size_t i = 0; i < 2; i++) {
		const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(ids[i]);

		ASSERT_TRUE(prf != NULL);
		ASSERT_INT_EQ(prf->nonce_cut, 8);
		ASSERT_INT_EQ(rkmp_crypto_skeyseed(prf, ni, sizeof(ni), nr, sizeof(nr), gir,
		    sizeof(gir), a), 0);
		ASSERT_INT_EQ(rkmp_crypto_prf(prf, key, sizeof(key), gir, sizeof(gir), b), 0);
		ASSERT_MEM_EQ(a, b, 16);
		ASSERT_INT_EQ(rkmp_crypto_skeyseed(prf, ni, 7, nr, sizeof(nr), gir, sizeof(gir), a),
		    RKMP_E_INVALID);
		ASSERT_STR_CONTAINS(rkmp_err_detail(), "7 and 20");
	}
}

TEST(crypto_prf_plus_limit)
{
	const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(5);
	static uint8_t out[255 * 32 + 1];
	uint8_t key[32] = { 1 };

	ASSERT_INT_EQ(rkmp_crypto_prf_plus(prf, key, 32, key, 1, out, 255 * 32), 0);
	ASSERT_INT_EQ(rkmp_crypto_prf_plus(prf, key, 32, key, 1, out, 255 * 32 + 1),
	    RKMP_E_CRYPTO);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "8161 octets > 255 blocks of 32");
}

/* Random key pairs of every non-MODP group agree, and survive export/import. */
TEST(crypto_dh_random_pairs)
{
	static const uint16_t ids[] = { 19, 20, 21, 31, 32 };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct rkmp_dh_group *g = rkmp_crypto_dh_lookup(ids[i]);
		struct rkmp_dh *a = NULL, *b = NULL, *c = NULL;
		uint8_t s1[RKMP_CRYPTO_DH_MAX], s2[RKMP_CRYPTO_DH_MAX], priv[RKMP_CRYPTO_DH_MAX];
		const uint8_t *pa, *pb;
		size_t la, lb, lc;
		int ok;

		ASSERT_TRUE(g != NULL);
		ok = rkmp_crypto_dh_new(g, NULL, 0, &a) == 0 &&
		    rkmp_crypto_dh_new(g, NULL, 0, &b) == 0;
		if (ok) {
			pa = rkmp_crypto_dh_public(a, &la);
			pb = rkmp_crypto_dh_public(b, &lb);
			ok = la == g->pub_len && lb == g->pub_len &&
			    rkmp_crypto_dh_shared(a, pb, lb, s1) == 0 &&
			    rkmp_crypto_dh_shared(b, pa, la, s2) == 0 &&
			    memcmp(s1, s2, g->secret_len) == 0 &&
			    rkmp_crypto_dh_private(a, priv, sizeof(priv)) == 0 &&
			    rkmp_crypto_dh_new(g, priv, g->priv_len, &c) == 0 &&
			    memcmp(rkmp_crypto_dh_public(c, &lc), pa, la) == 0 &&
			    rkmp_crypto_dh_group(c) == g;
		}
		rkmp_crypto_dh_free(a);
		rkmp_crypto_dh_free(b);
		rkmp_crypto_dh_free(c);
		if (!ok) {
			test_fail(__FILE__, __LINE__, "group %u: %s", ids[i], rkmp_err_text());
			return;
		}
	}
}

/* RFC 8031 §2 / RFC 7748 §6.1: an all-zero X25519 result is refused. */
TEST(crypto_dh_x25519_low_order)
{
	const struct rkmp_dh_group *g = rkmp_crypto_dh_lookup(31);
	struct rkmp_dh *d = NULL;
	uint8_t zero[32] = { 0 }, s[32];
	int rc;

	ASSERT_INT_EQ(rkmp_crypto_dh_new(g, NULL, 0, &d), 0);
	rc = rkmp_crypto_dh_shared(d, zero, sizeof(zero), s);
	rkmp_crypto_dh_free(d);
	ASSERT_INT_EQ(rc, RKMP_E_INVALID);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "all-zero");
	ASSERT_INT_EQ(rkmp_crypto_dh_new(g, zero, 31, &d), RKMP_E_INVALID);
}

TEST(crypto_cbc_length)
{
	const struct rkmp_encr_alg *e = rkmp_crypto_encr_lookup(12, 128);
	uint8_t key[16] = { 0 }, iv[16] = { 0 }, buf[32] = { 0 };

	ASSERT_INT_EQ(rkmp_crypto_cbc_decrypt(e, key, iv, buf, 17, buf), RKMP_E_INVALID);
	ASSERT_STR_CONTAINS(rkmp_err_detail(), "17 not a multiple of 16");
	ASSERT_INT_EQ(rkmp_crypto_cbc_encrypt(e, key, iv, buf, 0, buf), 0);
}

TEST(crypto_helpers)
{
	uint8_t a[32], b[32];

	ASSERT_INT_EQ(rkmp_crypto_random(a, sizeof(a)), 0);
	ASSERT_INT_EQ(rkmp_crypto_random(b, sizeof(b)), 0);
	ASSERT_INT_EQ(rkmp_crypto_ct_eq(a, b, sizeof(a)), 0);
	memcpy(b, a, sizeof(a));
	ASSERT_INT_EQ(rkmp_crypto_ct_eq(a, b, sizeof(a)), 1);
	b[31] ^= 1;
	ASSERT_INT_EQ(rkmp_crypto_ct_eq(a, b, sizeof(a)), 0);
	rkmp_crypto_wipe(a, sizeof(a));
	memset(b, 0, sizeof(b));
	ASSERT_MEM_EQ(a, b, sizeof(a));
}

/*
 * The kept MAC and cipher contexts (keyed again per use, freed by
 * rkmp_crypto_forget()): a MAC with another key between two prf+ of the same
 * key, a failed AEAD open, and a forget in between change nothing.  The
 * oracle is OpenSSL called directly: prf+ (RFC 7296 §2.13) from one-shot
 * EVP_Q_mac HMACs, AES-256-GCM from a fresh EVP_CIPHER_CTX.
 */
static void
oracle_prf_plus(const uint8_t *k, size_t kl, const uint8_t *s, size_t sl, uint8_t *out, size_t len)
{
	uint8_t in[32 + 64 + 1], t[32] = { 0 };
	size_t tl = 0, n = 0;

	for (uint8_t i = 1; n < len; i++) {
		memcpy(in, t, tl);
		memcpy(in + tl, s, sl);
		in[tl + sl] = i;
		if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k, kl, in, tl + sl + 1, t, sizeof(t),
		    &tl) == NULL)
			return;
		memcpy(out + n, t, len - n < tl ? len - n : tl);
		n += tl;
	}
}

TEST(crypto_kept_contexts)
{
	const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(5);	/* HMAC-SHA2-256 */
	const struct rkmp_encr_alg *gcm = rkmp_crypto_encr_lookup(20, 256);	/* 16-octet ICV */
	static const uint8_t k1[32] = { 1, 2, 3 }, k2[20] = { 9 }, seed[64] = { 7, 7 };
	static const uint8_t ek1[32] = { 0x11 }, ek2[32] = { 0x22 }, nonce[12] = { 5 }, aad[8] = { 3 };
	static const uint8_t pt[40] = "forty octets of plaintext, more or less";
	uint8_t want[100], out[100], x[32], ct[40], ct2[40], tag[16], tag2[16], back[40];
	uint8_t want_ct[40], want_tag[16];
	EVP_CIPHER_CTX *c;
	int n = 0, m = 0;

	ASSERT_TRUE(prf != NULL && gcm != NULL && gcm->icv_len == 16);
	memset(want, 0xee, sizeof(want));
	oracle_prf_plus(k1, sizeof(k1), seed, sizeof(seed), want, sizeof(want));
	ASSERT_INT_EQ(rkmp_crypto_prf_plus(prf, k1, sizeof(k1), seed, sizeof(seed), out,
	    sizeof(out)), 0);
	ASSERT_MEM_EQ(out, want, sizeof(want));
	ASSERT_INT_EQ(rkmp_crypto_prf(prf, k2, sizeof(k2), seed, 3, x), 0);
	ASSERT_INT_EQ(rkmp_crypto_prf_plus(prf, k1, sizeof(k1), seed, sizeof(seed), out,
	    sizeof(out)), 0);
	ASSERT_MEM_EQ(out, want, sizeof(want));
	rkmp_crypto_forget();
	memset(out, 0, sizeof(out));
	ASSERT_INT_EQ(rkmp_crypto_prf_plus(prf, k1, sizeof(k1), seed, sizeof(seed), out,
	    sizeof(out)), 0);
	ASSERT_MEM_EQ(out, want, sizeof(want));

	/* AES-256-GCM: the oracle */
	ASSERT_TRUE((c = EVP_CIPHER_CTX_new()) != NULL);
	ASSERT_TRUE(EVP_EncryptInit_ex2(c, EVP_aes_256_gcm(), ek1, nonce, NULL) == 1 &&
	    EVP_EncryptUpdate(c, NULL, &n, aad, sizeof(aad)) == 1 &&
	    EVP_EncryptUpdate(c, want_ct, &n, pt, sizeof(pt)) == 1 &&
	    EVP_EncryptFinal_ex(c, want_ct + n, &m) == 1 && n + m == sizeof(pt) &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, want_tag) == 1);
	EVP_CIPHER_CTX_free(c);
	/* sealed with another key first; a forged tag refused; then opened */
	ASSERT_INT_EQ(rkmp_crypto_aead_encrypt(gcm, ek2, nonce, aad, sizeof(aad), pt, sizeof(pt), ct2,
	    tag2, 16), 0);
	ASSERT_INT_EQ(rkmp_crypto_aead_encrypt(gcm, ek1, nonce, aad, sizeof(aad), pt, sizeof(pt), ct,
	    tag, 16), 0);
	ASSERT_MEM_EQ(ct, want_ct, sizeof(ct));
	ASSERT_MEM_EQ(tag, want_tag, sizeof(tag));
	ASSERT_TRUE(memcmp(ct2, ct, sizeof(ct)) != 0);
	tag[0] ^= 1;
	ASSERT_INT_EQ(rkmp_crypto_aead_decrypt(gcm, ek1, nonce, aad, sizeof(aad), ct, sizeof(ct), tag,
	    16, back), RKMP_E_REFUSED);
	tag[0] ^= 1;
	ASSERT_INT_EQ(rkmp_crypto_aead_decrypt(gcm, ek2, nonce, aad, sizeof(aad), ct2, sizeof(ct2),
	    tag2, 16, back), 0);
	ASSERT_MEM_EQ(back, pt, sizeof(pt));
	rkmp_crypto_forget();
	memset(back, 0, sizeof(back));
	ASSERT_INT_EQ(rkmp_crypto_aead_decrypt(gcm, ek1, nonce, aad, sizeof(aad), ct, sizeof(ct), tag,
	    16, back), 0);
	ASSERT_MEM_EQ(back, pt, sizeof(pt));
}

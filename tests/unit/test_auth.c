/* SPDX-License-Identifier: MIT */
/*
 * test_auth.c — lib/auth: PSK AUTH against the derived worked example in
 * testdata/vectors/ (parsed, not retyped), PSK files, certificate
 * credentials against the test PKI of testdata/pki/ (tests/make-pki.sh), and
 * signatures (methods 1, 9-11, 14) both ways.
 *
 * Independent checks: the CERTREQ hash against the openssl CLI's SHA-1 of
 * the CA's SubjectPublicKeyInfo (ca.spki.sha1, written by make-pki.sh); the
 * method-14 AlgorithmIdentifier against the DER of the RFC 7427 vector file;
 * signatures re-verified here with a public key loaded afresh from the PEM
 * and plain EVP calls; RSASSA-PSS signatures made here and fed to verify.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "auth.h"
#include "crypto.h"
#include "err.h"
#include "test_helper.h"
#include "tests.h"
#include "wire.h"

#define PKI		"../../testdata/pki/"
#define AUTH_BUF	1100

/* ------------------------------------------------------------ helpers */

/* "name = hex" of a vector file's text (the first record that has it). */
static uint8_t *
vec_get(const char *text, const char *record, const char *name, size_t *len)
{
	char head[80], line[4096];
	const char *s = text, *nl;
	int in = record == NULL;

	snprintf(head, sizeof(head), "[%s]", record != NULL ? record : "");
	for (; *s != '\0'; s = *nl ? nl + 1 : nl) {
		size_t n, kl = strlen(name);

		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		n = (size_t)(nl - s);
		if (n >= sizeof(line))
			continue;
		memcpy(line, s, n);
		line[n] = '\0';
		if (line[0] == '[') {
			in = record == NULL || strcmp(line, head) == 0;
			continue;
		}
		if (in && strncmp(line, name, kl) == 0 && strncmp(line + kl, " =", 2) == 0)
			return test_hex(line + kl + 2, len);
	}
	return NULL;
}

/* A vector file of testdata/vectors/, NUL-terminated. */
static char *
vec_file(const char *name)
{
	char rel[256];
	size_t len = 0;
	char *t;

	snprintf(rel, sizeof(rel), "vectors/%s", name);
	if ((t = (char *)test_data_file(rel, &len)) != NULL)
		t[len] = '\0';
	return t;
}

/* The DER of one AlgorithmIdentifier of rfc7427-algorithm-identifiers.txt. */
static uint8_t *
algid(const char *record, size_t *len)
{
	char *t = vec_file("rfc7427-algorithm-identifiers.txt");
	uint8_t *p;

	if (t == NULL)
		return NULL;
	p = vec_get(t, record, "der", len);
	free(t);
	return p;
}

static struct rkmp_creds *
creds(const char *cert, const char *key, const char *ca)
{
	char c[256], k[256], a[256];
	struct rkmp_creds *cr = NULL;

	snprintf(c, sizeof(c), PKI "%s", cert ? cert : "");
	snprintf(k, sizeof(k), PKI "%s", key ? key : "");
	snprintf(a, sizeof(a), PKI "%s", ca ? ca : "");
	if (rkmp_creds_load(&cr, cert ? c : NULL, key ? k : NULL, ca ? a : NULL) != 0) {
		fprintf(stderr, "creds(%s, %s, %s): %s\n", cert, key, ca, rkmp_err_text());
		return NULL;
	}
	return cr;
}

#define ASSERT_RC(call, want, text) do { int rc_ = (call); \
	if (rc_ != (want)) { test_fail(__FILE__, __LINE__, "%s = %d (%s), want %d", #call, rc_, \
	    rkmp_err_text(), (want)); return; } \
	if (strstr(rkmp_err_text(), (text)) == NULL) { test_fail(__FILE__, __LINE__, \
	    "%s: detail \"%s\" lacks \"%s\"", #call, rkmp_err_text(), (text)); return; } } while (0)
#define ASSERT_OK(call) do { int rc_ = (call); \
	if (rc_ != 0) { test_fail(__FILE__, __LINE__, "%s = %d (%s)", #call, rc_, \
	    rkmp_err_text()); return; } } while (0)

/*
 * One signer and one verifier: the signer has NAME.pem + NAME.key, the
 * verifier trusts ca.pem; the octets are a fixed message, nonce and SK_p with
 * the identity of the given type.
 */
struct fx {
	const char		*name;
	struct rkmp_creds	*signer, *verifier;
	const uint8_t		*certs[8];
	size_t			 lens[8];
	size_t			 ncert;
	uint8_t			 msg[100], nonce[32], skp[32], id[300];
	uint8_t			 id_type;
	size_t			 id_len;	/* of the ID body (type, reserved, data) */
	struct rkmp_auth_octets	 o;
	const struct rkmp_prf_alg *prf;
	uint8_t			 auth[AUTH_BUF];
	size_t			 auth_len;
	int			 method;
};

static void
fx_id(struct fx *f, uint8_t type, const void *data, size_t len)
{
	f->id_type = type;
	f->id[0] = type;
	f->id[1] = f->id[2] = f->id[3] = 0;
	memcpy(f->id + 4, data, len);
	f->id_len = 4 + len;
	f->o.id = f->id;
	f->o.id_len = f->id_len;
}

static int
fx_init(struct fx *f, const char *name, uint8_t type, const void *id, size_t id_len)
{
	char pem[64], key[64];
	size_t len;
	const uint8_t *d;

	memset(f, 0, sizeof(*f));
	f->name = name;
	for (size_t i = 0; i < sizeof(f->msg); i++)
		f->msg[i] = (uint8_t)(i * 7 + 1);
	memset(f->nonce, 0xa5, sizeof(f->nonce));
	memset(f->skp, 0x3c, sizeof(f->skp));
	f->o = (struct rkmp_auth_octets){ f->msg, sizeof(f->msg), f->nonce, sizeof(f->nonce),
	    NULL, 0, f->skp, sizeof(f->skp) };
	fx_id(f, type, id, id_len);
	f->prf = rkmp_crypto_prf_lookup(5);
	snprintf(pem, sizeof(pem), "%s.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	if ((f->signer = creds(pem, key, NULL)) == NULL ||
	    (f->verifier = creds(NULL, NULL, "ca.pem")) == NULL || f->prf == NULL)
		return -1;
	while ((d = rkmp_creds_cert_der(f->signer, f->ncert, &len)) != NULL && f->ncert < 8) {
		f->certs[f->ncert] = d;
		f->lens[f->ncert++] = len;
	}
	return 0;
}

static void
fx_free(struct fx *f)
{
	rkmp_creds_free(f->signer);
	rkmp_creds_free(f->verifier);
	f->signer = f->verifier = NULL;
}

static int
fx_sign(struct fx *f, int method, const uint16_t *hashes, size_t nh)
{
	f->method = -1;
	return rkmp_auth_sign(f->signer, f->prf, method, hashes, nh, &f->o, f->auth,
	    sizeof(f->auth), &f->auth_len, &f->method);
}

static int
fx_verify(struct fx *f)
{
	return rkmp_auth_verify(f->verifier, f->certs, f->lens, f->ncert, f->id_type, f->id + 4,
	    f->id_len - 4, f->method, f->auth, f->auth_len, f->prf, &f->o);
}

/* The signed octets joined, computed here: msg | nonce | prf(SK_p, ID'). */
static uint8_t *
fx_octets(const struct fx *f, size_t *len)
{
	size_t n = sizeof(f->msg) + sizeof(f->nonce) + f->prf->out_len;
	uint8_t *p = malloc(n);

	if (p == NULL)
		return NULL;
	memcpy(p, f->msg, sizeof(f->msg));
	memcpy(p + sizeof(f->msg), f->nonce, sizeof(f->nonce));
	if (rkmp_crypto_prf(f->prf, f->skp, sizeof(f->skp), f->id, f->id_len,
	    p + sizeof(f->msg) + sizeof(f->nonce)) != 0) {
		free(p);
		return NULL;
	}
	*len = n;
	return p;
}

/* The public key of testdata/pki/NAME.pem, read here. */
static EVP_PKEY *
pem_pubkey(const char *name)
{
	char path[256];
	EVP_PKEY *pk = NULL;
	X509 *x;
	FILE *fp;

	snprintf(path, sizeof(path), PKI "%s.pem", name);
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	if ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
		pk = X509_get_pubkey(x);
		X509_free(x);
	}
	fclose(fp);
	return pk;
}

/*
 * Check sig over the fixture's octets with a freshly loaded public key:
 * 1 good, 0 bad.  md NULL for EdDSA; pss_salt > 0 for RSASSA-PSS.
 */
static int
ext_verify(const struct fx *f, const char *md, int pss_salt, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY *pk = pem_pubkey(f->name);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *tbs;
	size_t tl = 0;
	int ok = 0;

	if ((tbs = fx_octets(f, &tl)) != NULL && pk != NULL && ctx != NULL &&
	    EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, pk, NULL) == 1) {
		if (pss_salt > 0 &&
		    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) <= 0))
			ok = 0;
		else
			ok = EVP_DigestVerify(ctx, sig, siglen, tbs, tl) == 1;
	}
	ERR_clear_error();
	free(tbs);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ok;
}

/* r | s -> DER, done here with plain BN/ECDSA_SIG calls. */
static uint8_t *
rs_der(const uint8_t *rs, size_t w, size_t *len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int n;

	if (s == NULL)
		return NULL;
	ECDSA_SIG_set0(s, BN_bin2bn(rs, (int)w, NULL), BN_bin2bn(rs + w, (int)w, NULL));
	n = i2d_ECDSA_SIG(s, &der);
	ECDSA_SIG_free(s);
	if (n <= 0)
		return NULL;
	*len = (size_t)n;
	return der;
}

/* A temp directory for PSK files, and files in it. */
static char tmpdir[64];

static int
tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rkmp-test-auth-XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static const char *
tmp_file(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return NULL;
	if ((len > 0 && write(fd, data, len) != (ssize_t)len) || fchmod(fd, mode) != 0) {
		close(fd);
		return NULL;
	}
	close(fd);
	return path;
}

static void
tmp_cleanup(void)
{
	static const char *const names[] = {
		"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12",
		"k13", "k14", "bundle.pem", "enc.key", "junk.pem"
	};
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

/* ------------------------------------------------------------ PSK */

TEST(auth_psk_vector)
{
	static const char file[] = "derived-ikev2-psk-keyschedule-example.txt";
	static const char *const names[] = {
		"psk", "ike_sa_init_request", "ike_sa_init_response", "ni", "nr", "idi_rest",
		"idr_rest", "sk_pi", "sk_pr", "auth_i", "auth_r"
	};
	enum { PSK, REQ, RESP, NI, NR, IDI, IDR, SKPI, SKPR, AUTHI, AUTHR, NF };
	const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(5);	/* PRF_HMAC_SHA2_256 */
	struct rkmp_auth_octets oi, orr;
	uint8_t *v[NF] = { NULL }, out[RKMP_CRYPTO_PRF_MAX];
	size_t l[NF] = { 0 };
	char *text = vec_file(file);
	int ok = 1;

	ASSERT_TRUE(text != NULL);
	for (size_t i = 0; i < NF; i++)
		if ((v[i] = vec_get(text, "DERIVED-PSK-SHA256", names[i], &l[i])) == NULL) {
			test_fail(__FILE__, __LINE__, "%s: no field %s", file, names[i]);
			ok = 0;
		}
	free(text);
	if (!ok || prf == NULL)
		goto out;
	/*
	 * Initiator: request | Nr | prf(SK_pi, IDi');
	 * responder: response | Ni | prf(SK_pr, IDr').
	 */
	oi = (struct rkmp_auth_octets){ v[REQ], l[REQ], v[NR], l[NR], v[IDI], l[IDI], v[SKPI],
	    l[SKPI] };
	orr = (struct rkmp_auth_octets){ v[RESP], l[RESP], v[NI], l[NI], v[IDR], l[IDR], v[SKPR],
	    l[SKPR] };
	if (rkmp_auth_psk(prf, v[PSK], l[PSK], &oi, out) != 0 || l[AUTHI] != prf->out_len ||
	    memcmp(out, v[AUTHI], l[AUTHI]) != 0) {
		test_fail(__FILE__, __LINE__, "auth_i differs (%s)", rkmp_err_text());
		goto out;
	}
	if (rkmp_auth_psk(prf, v[PSK], l[PSK], &orr, out) != 0 || l[AUTHR] != prf->out_len ||
	    memcmp(out, v[AUTHR], l[AUTHR]) != 0) {
		test_fail(__FILE__, __LINE__, "auth_r differs (%s)", rkmp_err_text());
		goto out;
	}
	if (rkmp_auth_psk_verify(prf, v[PSK], l[PSK], &oi, v[AUTHI], l[AUTHI]) != 0 ||
	    rkmp_auth_psk_verify(prf, v[PSK], l[PSK], &orr, v[AUTHR], l[AUTHR]) != 0) {
		test_fail(__FILE__, __LINE__, "verify of the vector's AUTH: %s", rkmp_err_text());
		goto out;
	}
	/* One octet of the AUTH, of the message, of the PSK changed; the sides swapped. */
	v[AUTHI][7] ^= 0x01;
	if (rkmp_auth_psk_verify(prf, v[PSK], l[PSK], &oi, v[AUTHI], l[AUTHI]) != RKMP_E_REFUSED ||
	    strstr(rkmp_err_text(), "AUTH mismatch") == NULL) {
		test_fail(__FILE__, __LINE__, "changed AUTH: %s", rkmp_err_text());
		goto out;
	}
	v[AUTHI][7] ^= 0x01;
	v[REQ][40] ^= 0x80;
	if (rkmp_auth_psk_verify(prf, v[PSK], l[PSK], &oi, v[AUTHI], l[AUTHI]) != RKMP_E_REFUSED) {
		test_fail(__FILE__, __LINE__, "changed message accepted");
		goto out;
	}
	v[REQ][40] ^= 0x80;
	v[PSK][0] ^= 0x20;
	if (rkmp_auth_psk_verify(prf, v[PSK], l[PSK], &oi, v[AUTHI], l[AUTHI]) != RKMP_E_REFUSED) {
		test_fail(__FILE__, __LINE__, "changed PSK accepted");
		goto out;
	}
	v[PSK][0] ^= 0x20;
	if (rkmp_auth_psk_verify(prf, v[PSK], l[PSK], &orr, v[AUTHI], l[AUTHI]) != RKMP_E_REFUSED) {
		test_fail(__FILE__, __LINE__, "initiator's AUTH accepted for the responder");
		goto out;
	}
	if (rkmp_auth_psk_verify(prf, v[PSK], l[PSK], &oi, v[AUTHI], l[AUTHI] - 1) !=
	    RKMP_E_REFUSED ||
	    strstr(rkmp_err_text(), "31 octets") == NULL) {
		test_fail(__FILE__, __LINE__, "short AUTH: %s", rkmp_err_text());
		goto out;
	}
	if (rkmp_auth_psk(prf, v[PSK], 0, &oi, out) != RKMP_E_USAGE)
		test_fail(__FILE__, __LINE__, "empty PSK accepted");
out:
	for (size_t i = 0; i < NF; i++)
		free(v[i]);
}

/* Other PRFs run the same formula: AES-XCBC adjusts a PSK of any length. */
TEST(auth_psk_prfs)
{
	static const uint16_t ids[] = { 2, 4, 5, 6, 7, 8 };
	uint8_t msg[50], nonce[16], skp[64], id[] = { 2, 0, 0, 0, 'a' };
	uint8_t psk[70], out[RKMP_CRYPTO_PRF_MAX];
	struct rkmp_auth_octets o = { msg, sizeof(msg), nonce, sizeof(nonce), id, sizeof(id),
	    skp, 0 };

	memset(msg, 1, sizeof(msg));
	memset(nonce, 2, sizeof(nonce));
	memset(skp, 3, sizeof(skp));
	memset(psk, 'p', sizeof(psk));
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct rkmp_prf_alg *prf = rkmp_crypto_prf_lookup(ids[i]);

		ASSERT_TRUE(prf != NULL);
		o.sk_p_len = prf->key_len;
		ASSERT_OK(rkmp_auth_psk(prf, psk, sizeof(psk), &o, out));
		ASSERT_OK(rkmp_auth_psk_verify(prf, psk, sizeof(psk), &o, out, prf->out_len));
		out[prf->out_len - 1] ^= 1;
		ASSERT_RC(rkmp_auth_psk_verify(prf, psk, sizeof(psk), &o, out, prf->out_len),
		    RKMP_E_REFUSED, "AUTH mismatch");
	}
}

TEST(auth_psk_load)
{
	static const struct {
		const char	*content;
		const char	*want;		/* NULL: hex below */
		const char	*hex;
	} ok[] = {
		{ "secret\n", "secret", NULL },
		{ "secret", "secret", NULL },
		{ "two lines\n\n", "two lines\n", NULL },	/* one newline stripped */
		{ " spaces kept \r\n", " spaces kept \r", NULL },
		{ "0x0a0B\n", NULL, "0a0b" },
		{ "0xDEADbeef", NULL, "deadbeef" },
		{ "0X41", "0X41", NULL },			/* only "0x" means hex */
		{ "\n\n", "\n", NULL },
	};
	uint8_t psk[64], *want;
	size_t len, wl;
	const char *p;

	ASSERT_INT_EQ(tmp_setup(), 0);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char name[8];

		snprintf(name, sizeof(name), "k%zu", i + 1);
		p = tmp_file(name, ok[i].content, strlen(ok[i].content), 0600);
		ASSERT_TRUE(p != NULL);
		len = 0;
		ASSERT_OK(rkmp_auth_psk_load(p, psk, sizeof(psk), &len));
		if (ok[i].want != NULL) {
			ASSERT_INT_EQ(len, strlen(ok[i].want));
			ASSERT_MEM_EQ(psk, ok[i].want, len);
		} else {
			ASSERT_TRUE((want = test_hex(ok[i].hex, &wl)) != NULL);
			ASSERT_INT_EQ(len, wl);
			ASSERT_MEM_EQ(psk, want, len);
			free(want);
		}
	}
	/* 64 octets fit, in text and in hex; 65 do not. */
	{
		char text[200];

		memset(text, 'k', 64);
		text[64] = '\n';
		p = tmp_file("k9", text, 65, 0600);
		ASSERT_OK(rkmp_auth_psk_load(p, psk, sizeof(psk), &len));
		ASSERT_INT_EQ(len, 64);
		p = tmp_file("k9", text, 64, 0600);
		ASSERT_RC(rkmp_auth_psk_load(p, psk, 63, &len), RKMP_E_USAGE,
		    "key of 64 octets, longer than 63");
		text[0] = '0';
		text[1] = 'x';
		memset(text + 2, 'f', 130);
		p = tmp_file("k10", text, 2 + 128, 0600);
		ASSERT_OK(rkmp_auth_psk_load(p, psk, sizeof(psk), &len));
		ASSERT_INT_EQ(len, 64);
		p = tmp_file("k10", text, 2 + 130, 0600);
		ASSERT_RC(rkmp_auth_psk_load(p, psk, sizeof(psk), &len), RKMP_E_USAGE,
		    "longer than 64");
		memset(text, 'k', sizeof(text));
		p = tmp_file("k10", text, sizeof(text), 0600);
		ASSERT_RC(rkmp_auth_psk_load(p, psk, sizeof(psk), &len), RKMP_E_USAGE,
		    "longer than 64");
	}
	/* Failures, with the file named and the offset of a bad digit. */
	p = tmp_file("k11", "0x0a0g\n", 7, 0600);
	ASSERT_RC(rkmp_auth_psk_load(p, psk, sizeof(psk), &len), RKMP_E_USAGE,
	    "bad hex digit at offset 5");
	ASSERT_STR_CONTAINS(rkmp_err_text(), p);
	p = tmp_file("k11", "0xabc\n", 6, 0600);
	ASSERT_RC(rkmp_auth_psk_load(p, psk, sizeof(psk), &len), RKMP_E_USAGE,
	    "odd number of hex digits (3)");
	p = tmp_file("k11", "0x ab", 5, 0600);
	ASSERT_RC(rkmp_auth_psk_load(p, psk, sizeof(psk), &len), RKMP_E_USAGE,
	    "bad hex digit at offset 2");
	p = tmp_file("k12", "", 0, 0600);
	ASSERT_RC(rkmp_auth_psk_load(p, psk, sizeof(psk), &len), RKMP_E_USAGE, "empty key");
	ASSERT_STR_EQ(rkmp_err_where(), p);
	p = tmp_file("k12", "\n", 1, 0600);
	ASSERT_RC(rkmp_auth_psk_load(p, psk, sizeof(psk), &len), RKMP_E_USAGE, "empty key");
	p = tmp_file("k12", "0x\n", 3, 0600);
	ASSERT_RC(rkmp_auth_psk_load(p, psk, sizeof(psk), &len), RKMP_E_USAGE, "empty key");
	p = tmp_file("k13", "secret\n", 7, 0644);
	ASSERT_RC(rkmp_auth_psk_load(p, psk, sizeof(psk), &len), RKMP_E_USAGE,
	    "mode 0644: readable by group or others (chmod 600 ");
	ASSERT_STR_CONTAINS(rkmp_err_text(), p);
	p = tmp_file("k13", "secret\n", 7, 0640);
	ASSERT_RC(rkmp_auth_psk_load(p, psk, sizeof(psk), &len), RKMP_E_USAGE, "mode 0640");
	p = tmp_file("k14", "secret\n", 7, 0400);
	ASSERT_OK(rkmp_auth_psk_load(p, psk, sizeof(psk), &len));
	ASSERT_RC(rkmp_auth_psk_load("/nonexistent/rkmp.psk", psk, sizeof(psk), &len),
	    RKMP_E_SYSTEM, "No such file");
	chmod(tmpdir, 0700);
	ASSERT_RC(rkmp_auth_psk_load(tmpdir, psk, sizeof(psk), &len), RKMP_E_USAGE,
	    "is a directory");
	tmp_cleanup();
}

/* ------------------------------------------------------------ credentials */

TEST(auth_creds_load)
{
	struct rkmp_creds *c = NULL;
	const uint8_t *d;
	unsigned char *mine = NULL;
	size_t len = 0;
	X509 *x;
	FILE *fp;
	int n;

	/* The end entity's DER is the PEM's certificate, as read here. */
	ASSERT_TRUE((c = creds("rsa.pem", "rsa.key", "ca.pem")) != NULL);
	ASSERT_TRUE((fp = fopen(PKI "rsa.pem", "r")) != NULL);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	ASSERT_TRUE(x != NULL);
	n = i2d_X509(x, &mine);
	X509_free(x);
	d = rkmp_creds_cert_der(c, 0, &len);
	ASSERT_TRUE(d != NULL && n > 0);
	ASSERT_INT_EQ(len, n);
	ASSERT_MEM_EQ(d, mine, len);
	OPENSSL_free(mine);
	ASSERT_TRUE(rkmp_creds_cert_der(c, 1, &len) == NULL);
	rkmp_creds_free(c);

	/* A chain: end entity, then the intermediate. */
	ASSERT_TRUE((c = creds("p521.pem", "p521.key", NULL)) != NULL);
	ASSERT_TRUE(rkmp_creds_cert_der(c, 1, &len) != NULL);
	ASSERT_TRUE(rkmp_creds_cert_der(c, 2, &len) == NULL);
	rkmp_creds_free(c);
	rkmp_creds_free(NULL);

	/* Any may be NULL. */
	ASSERT_OK(rkmp_creds_load(&c, NULL, NULL, NULL));
	ASSERT_TRUE(rkmp_creds_cert_der(c, 0, &len) == NULL);
	rkmp_creds_free(c);

	/* Failures name the file and say why. */
	ASSERT_RC(rkmp_creds_load(&c, PKI "nonexistent.pem", NULL, NULL), RKMP_E_USAGE,
	    "nonexistent.pem: cannot open: No such file");
	ASSERT_TRUE(c == NULL);
	ASSERT_RC(rkmp_creds_load(&c, PKI "rsa.key", NULL, NULL), RKMP_E_USAGE,
	    "rsa.key: certificate 1: no PEM certificate");
	ASSERT_RC(rkmp_creds_load(&c, NULL, PKI "rsa.pem", NULL), RKMP_E_USAGE,
	    "rsa.pem: no private key");
	ASSERT_RC(rkmp_creds_load(&c, NULL, NULL, PKI "ca.spki.sha1"), RKMP_E_USAGE,
	    "ca.spki.sha1: certificate 1: no PEM certificate");
	ASSERT_RC(rkmp_creds_load(&c, PKI "rsa.pem", PKI "p256.key", NULL), RKMP_E_USAGE,
	    "p256.key: private key does not match the certificate");
	ASSERT_TRUE(c == NULL);
	ASSERT_INT_EQ(ERR_peek_error(), 0);
}

/* A corrupt PEM block and an encrypted key fail cleanly, without a prompt. */
TEST(auth_creds_load_bad_files)
{
	static const char junk[] =
	    "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n";
	struct rkmp_creds *c = NULL;
	EVP_PKEY *pk = NULL;
	const char *p;
	char path[128];
	FILE *fp;
	BIO *b;

	ASSERT_INT_EQ(tmp_setup(), 0);
	p = tmp_file("junk.pem", junk, sizeof(junk) - 1, 0600);
	ASSERT_TRUE(p != NULL);
	ASSERT_RC(rkmp_creds_load(&c, p, NULL, NULL), RKMP_E_USAGE, "junk.pem: certificate 1: ");
	ASSERT_TRUE((fp = fopen(PKI "p256.key", "r")) != NULL);
	pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	ASSERT_TRUE(pk != NULL);
	snprintf(path, sizeof(path), "%s/enc.key", tmpdir);
	b = BIO_new_file(path, "w");
	ASSERT_TRUE(b != NULL);
	ASSERT_INT_EQ(PEM_write_bio_PKCS8PrivateKey(b, pk, EVP_aes_128_cbc(), "pw", 2, NULL, NULL),
	    1);
	BIO_free(b);
	EVP_PKEY_free(pk);
	ASSERT_RC(rkmp_creds_load(&c, NULL, path, NULL), RKMP_E_USAGE, "encrypted private key");
	ASSERT_INT_EQ(ERR_peek_error(), 0);
	tmp_cleanup();
}

static void
read_spki_sha1(const char *name, uint8_t out[20])
{
	char rel[64];
	uint8_t *t, *h;
	size_t len = 0, hl = 0;

	snprintf(rel, sizeof(rel), "pki/%s", name);
	t = test_data_file(rel, &len);
	ASSERT_TRUE(t != NULL && len >= 40);
	t[40] = '\0';
	h = test_hex((char *)t, &hl);
	free(t);
	ASSERT_TRUE(h != NULL && hl == 20);
	memcpy(out, h, 20);
	free(h);
}

TEST(auth_certreq)
{
	struct rkmp_creds *c;
	uint8_t want[40], out[64];
	size_t len = 0;
	char bundle[2][4096];
	FILE *fp;
	size_t bl[2];
	const char *p;
	char *joined;

	read_spki_sha1("ca.spki.sha1", want);
	if (test_failed_now)
		return;
	read_spki_sha1("sub-ca.spki.sha1", want + 20);
	if (test_failed_now)
		return;
	ASSERT_TRUE((c = creds(NULL, NULL, "ca.pem")) != NULL);
	ASSERT_OK(rkmp_creds_certreq(c, out, sizeof(out), &len));
	ASSERT_INT_EQ(len, 20);
	ASSERT_MEM_EQ(out, want, 20);
	ASSERT_RC(rkmp_creds_certreq(c, out, 19, &len), RKMP_E_USAGE, "1 CAs need 20 octets");
	rkmp_creds_free(c);

	/* Two CAs: two hashes, in the bundle's order. */
	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE((fp = fopen(i == 0 ? PKI "ca.pem" : PKI "sub-ca.pem", "r")) != NULL);
		bl[i] = fread(bundle[i], 1, sizeof(bundle[i]), fp);
		fclose(fp);
	}
	ASSERT_TRUE((joined = malloc(bl[0] + bl[1])) != NULL);
	memcpy(joined, bundle[0], bl[0]);
	memcpy(joined + bl[0], bundle[1], bl[1]);
	ASSERT_INT_EQ(tmp_setup(), 0);
	p = tmp_file("bundle.pem", joined, bl[0] + bl[1], 0644);
	free(joined);
	ASSERT_TRUE(p != NULL);
	ASSERT_OK(rkmp_creds_load(&c, NULL, NULL, p));
	tmp_cleanup();
	ASSERT_OK(rkmp_creds_certreq(c, out, sizeof(out), &len));
	rkmp_creds_free(c);
	ASSERT_INT_EQ(len, 40);
	ASSERT_MEM_EQ(out, want, 40);

	/* No CA: no hashes. */
	ASSERT_TRUE((c = creds("rsa.pem", NULL, NULL)) != NULL);
	ASSERT_OK(rkmp_creds_certreq(c, out, sizeof(out), &len));
	ASSERT_INT_EQ(len, 0);
	rkmp_creds_free(c);
}

TEST(auth_identity)
{
	static const struct {
		const char *cert, *want;
	} cases[] = {
		{ "rsa.pem", "fqdn:a.rkmp.test" },		/* SAN DNS before SAN IP */
		{ "p256.pem", "fqdn:b.rkmp.test" },
		{ "p521.pem", "email:d@rkmp.test" },
		{ "p384.pem", "dn:CN=c.rkmp.test,O=rkmp test" },	/* no SAN: RFC 2253 DN */
		{ "ed25519.pem", "fqdn:e.rkmp.test" },
	};
	struct rkmp_creds *c;
	char out[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_TRUE((c = creds(cases[i].cert, NULL, NULL)) != NULL);
		ASSERT_OK(rkmp_creds_identity(c, out, sizeof(out)));
		ASSERT_STR_EQ(out, cases[i].want);
		if (i == 0)
			ASSERT_RC(rkmp_creds_identity(c, out, 10), RKMP_E_USAGE, "room for 9");
		rkmp_creds_free(c);
	}
	ASSERT_TRUE((c = creds(NULL, NULL, "ca.pem")) != NULL);
	ASSERT_RC(rkmp_creds_identity(c, out, sizeof(out)), RKMP_E_USAGE, "no certificate");
	rkmp_creds_free(c);
}

/* ------------------------------------------------------------ signatures */

/* Sign with NAME by method/hashes, expect want_method and the AlgorithmIdentifier, verify. */
static void
roundtrip_id(const char *name, uint8_t id_type, const void *id, size_t id_len, int method,
    const uint16_t *hashes, size_t nh, int want_method, const char *want_algid, const char *md)
{
	struct fx f;
	uint8_t *der = NULL;
	size_t dl = 0;

	if (fx_init(&f, name, id_type, id, id_len) != 0) {
		test_fail(__FILE__, __LINE__, "%s: fixture: %s", name, rkmp_err_text());
		fx_free(&f);
		return;
	}
	if (fx_sign(&f, method, hashes, nh) != 0) {
		test_fail(__FILE__, __LINE__, "%s method %d: sign: %s", name, method,
		    rkmp_err_text());
		goto out;
	}
	if (f.method != want_method) {
		test_fail(__FILE__, __LINE__, "%s method %d: used %d, want %d", name, method,
		    f.method, want_method);
		goto out;
	}
	if (fx_verify(&f) != 0) {
		test_fail(__FILE__, __LINE__, "%s method %d: verify: %s", name, method,
		    rkmp_err_text());
		goto out;
	}
	if (want_algid != NULL) {
		/* RFC 7427: length octet | the exact DER of the vector file | signature. */
		if ((der = algid(want_algid, &dl)) == NULL) {
			test_fail(__FILE__, __LINE__, "rfc7427-algorithm-identifiers.txt: no [%s]",
			    want_algid);
			goto out;
		}
		if (f.auth_len <= 1 + dl || f.auth[0] != dl || memcmp(f.auth + 1, der, dl) != 0) {
			test_fail(__FILE__, __LINE__, "%s: AUTH does not start with %s", name,
			    want_algid);
			goto out;
		}
		if (!ext_verify(&f, md, 0, f.auth + 1 + dl, f.auth_len - 1 - dl)) {
			test_fail(__FILE__, __LINE__, "%s %s: signature fails an independent check",
			    name, want_algid);
			goto out;
		}
	} else if (want_method == 1) {
		if (!ext_verify(&f, "SHA1", 0, f.auth, f.auth_len))
			test_fail(__FILE__, __LINE__, "%s: method 1 fails an independent check",
			    name);
	} else {
		size_t w = want_method == 9 ? 32 : want_method == 10 ? 48 : 66;
		uint8_t *sig;
		size_t sl = 0;

		if (f.auth_len != 2 * w) {
			test_fail(__FILE__, __LINE__, "%s: r|s of %zu octets, want %zu", name,
			    f.auth_len, 2 * w);
			goto out;
		}
		if ((sig = rs_der(f.auth, w, &sl)) == NULL || !ext_verify(&f, md, 0, sig, sl))
			test_fail(__FILE__, __LINE__, "%s: method %d fails an independent check",
			    name, want_method);
		OPENSSL_free(sig);
	}
	/* The same AUTH over one changed octet of the message fails. */
	f.msg[17] ^= 0x40;
	if (fx_verify(&f) != RKMP_E_REFUSED || strstr(rkmp_err_text(), "AUTH signature mismatch") ==
	    NULL)
		test_fail(__FILE__, __LINE__, "%s method %d: changed octets: %s", name, want_method,
		    rkmp_err_text());
out:
	free(der);
	fx_free(&f);
}

static void
roundtrip(const char *name, uint8_t id_type, const char *id, int method, const uint16_t *hashes,
    size_t nh, int want_method, const char *want_algid, const char *md)
{
	roundtrip_id(name, id_type, id, strlen(id), method, hashes, nh, want_method, want_algid,
	    md);
}

/* The DER of a certificate's subject, read here. */
static size_t
subject_der(const char *name, uint8_t *out, size_t max)
{
	char path[256];
	uint8_t *p = out;
	X509 *x;
	FILE *fp;
	int n = 0;

	snprintf(path, sizeof(path), PKI "%s.pem", name);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL &&
	    i2d_X509_NAME(X509_get_subject_name(x), NULL) < (int)max)
		n = i2d_X509_NAME(X509_get_subject_name(x), &p);
	X509_free(x);
	fclose(fp);
	return n > 0 ? (size_t)n : 0;
}

static const uint16_t h256[] = { 2 }, h384[] = { 3 }, h512[] = { 4 };
static const uint16_t hall[] = { 1, 2, 3, 4, 5 }, h1[] = { 1 };

TEST(auth_sign_rsa)
{
	roundtrip("rsa", RKMP_ID_FQDN, "a.rkmp.test", 1, NULL, 0, 1, NULL, NULL);
	roundtrip("rsa", RKMP_ID_FQDN, "a.rkmp.test", 0, NULL, 0, 1, NULL, NULL);
	roundtrip("rsa", RKMP_ID_FQDN, "a.rkmp.test", 14, h256, 1, 14, "SHA256WITHRSA", "SHA256");
	roundtrip("rsa", RKMP_ID_FQDN, "a.rkmp.test", 14, h384, 1, 14, "SHA384WITHRSA", "SHA384");
	roundtrip("rsa", RKMP_ID_FQDN, "a.rkmp.test", 14, h512, 1, 14, "SHA512WITHRSA", "SHA512");
	roundtrip("rsa", RKMP_ID_FQDN, "a.rkmp.test", 14, hall, 5, 14, "SHA512WITHRSA", "SHA512");
	roundtrip("rsa", RKMP_ID_FQDN, "a.rkmp.test", 0, h384, 1, 14, "SHA384WITHRSA", "SHA384");
	/* Explicit 14 with no announced hashes: SHA2-256. */
	roundtrip("rsa", RKMP_ID_FQDN, "a.rkmp.test", 14, NULL, 0, 14, "SHA256WITHRSA", "SHA256");
	/* Method 0 and a list with nothing we sign with: back to method 1. */
	roundtrip("rsa", RKMP_ID_FQDN, "a.rkmp.test", 0, h1, 1, 1, NULL, NULL);
}

TEST(auth_sign_ecdsa)
{
	uint8_t dn[512];
	size_t dl;

	roundtrip("p256", RKMP_ID_FQDN, "b.rkmp.test", 9, NULL, 0, 9, NULL, "SHA256");
	roundtrip("p256", RKMP_ID_FQDN, "b.rkmp.test", 0, NULL, 0, 9, NULL, "SHA256");
	roundtrip("p256", RKMP_ID_FQDN, "b.rkmp.test", 14, h256, 1, 14, "ECDSA_SHA256", "SHA256");
	roundtrip("p256", RKMP_ID_FQDN, "b.rkmp.test", 0, hall, 5, 14, "ECDSA_SHA512", "SHA512");
	/* P-384 has no subjectAltName: ID_DER_ASN1_DN. */
	ASSERT_TRUE((dl = subject_der("p384", dn, sizeof(dn))) > 0);
	roundtrip_id("p384", RKMP_ID_DER_ASN1_DN, dn, dl, 10, NULL, 0, 10, NULL, "SHA384");
	roundtrip_id("p384", RKMP_ID_DER_ASN1_DN, dn, dl, 14, h384, 1, 14, "ECDSA_SHA384",
	    "SHA384");
	/* P-521 by the intermediate CA: the chain comes with the CERTs. */
	roundtrip("p521", RKMP_ID_RFC822_ADDR, "d@rkmp.test", 0, NULL, 0, 11, NULL, "SHA512");
	roundtrip("p521", RKMP_ID_RFC822_ADDR, "D@RKMP.test", 14, h512, 1, 14, "ECDSA_SHA512",
	    "SHA512");
}

TEST(auth_sign_ed25519)
{
	roundtrip("ed25519", RKMP_ID_FQDN, "e.rkmp.test", 0, NULL, 0, 14, "ED25519", NULL);
	roundtrip("ed25519", RKMP_ID_FQDN, "e.rkmp.test", 14, hall, 5, 14, "ED25519", NULL);
}

/* Our identity as an ID payload, and a signature that verifies against it. */
TEST(auth_creds_id)
{
	static const struct {
		const char	*name;
		uint8_t		 type;
		const char	*data;		/* NULL: the subject's DER */
	} cases[] = {
		{ "rsa", RKMP_ID_FQDN, "a.rkmp.test" },
		{ "p521", RKMP_ID_RFC822_ADDR, "d@rkmp.test" },
		{ "p384", RKMP_ID_DER_ASN1_DN, NULL },
	};
	uint8_t data[512], dn[512], type = 0;
	size_t len = 0, dl;
	struct fx f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_INT_EQ(fx_init(&f, cases[i].name, 0, "", 0), 0);
		ASSERT_OK(rkmp_creds_id(f.signer, &type, data, sizeof(data), &len));
		ASSERT_INT_EQ(type, cases[i].type);
		if (cases[i].data != NULL) {
			ASSERT_INT_EQ(len, strlen(cases[i].data));
			ASSERT_MEM_EQ(data, cases[i].data, len);
		} else {
			ASSERT_TRUE((dl = subject_der(cases[i].name, dn, sizeof(dn))) > 0);
			ASSERT_INT_EQ(len, dl);
			ASSERT_MEM_EQ(data, dn, len);
		}
		fx_id(&f, type, data, len);
		ASSERT_OK(fx_sign(&f, 0, hall, 5));
		ASSERT_OK(fx_verify(&f));
		ASSERT_RC(rkmp_creds_id(f.signer, &type, data, len - 1, &len), RKMP_E_USAGE,
		    "room for");
		ASSERT_RC(rkmp_creds_id(f.verifier, &type, data, sizeof(data), &len), RKMP_E_USAGE,
		    "no certificate");
		fx_free(&f);
	}
}

TEST(auth_sign_errors)
{
	struct fx f;

	ASSERT_INT_EQ(fx_init(&f, "rsa", RKMP_ID_FQDN, "a.rkmp.test", 11), 0);
	ASSERT_RC(fx_sign(&f, 9, NULL, 0), RKMP_E_USAGE,
	    "method 9 (ECDSA P-256 SHA-256) does not fit our RSA 2048 key");
	ASSERT_RC(fx_sign(&f, 14, h1, 1), RKMP_E_REFUSED,
	    "SIGNATURE_HASH_ALGORITHMS (SHA1) has none of");
	ASSERT_RC(fx_sign(&f, 3, NULL, 0), RKMP_E_CRYPTO, "method 3");
	ASSERT_RC(fx_sign(&f, 2, NULL, 0), RKMP_E_INTERNAL, "method 2");
	ASSERT_RC(rkmp_auth_sign(f.signer, f.prf, 1, NULL, 0, &f.o, f.auth, 255, &f.auth_len, NULL),
	    RKMP_E_USAGE, "needs 256 octets, room for 255");
	ASSERT_RC(rkmp_auth_sign(f.verifier, f.prf, 1, NULL, 0, &f.o, f.auth, sizeof(f.auth),
	    &f.auth_len, NULL), RKMP_E_USAGE, "no private key");
	fx_free(&f);
	ASSERT_INT_EQ(fx_init(&f, "p384", RKMP_ID_FQDN, "c.rkmp.test", 11), 0);
	ASSERT_RC(fx_sign(&f, 9, NULL, 0), RKMP_E_USAGE, "does not fit our ECDSA P-384 key");
	ASSERT_RC(fx_sign(&f, 1, NULL, 0), RKMP_E_USAGE, "does not fit our ECDSA P-384 key");
	fx_free(&f);
	ASSERT_INT_EQ(ERR_peek_error(), 0);
}

/* ------------------------------------------------------------ verify */

/* IPv4, IPv6, DN, case-insensitive FQDN: identities found in the certificate. */
TEST(auth_verify_identities)
{
	struct fx f;
	uint8_t ip4[4], ip6[16], dn[512], *p = dn;
	X509_NAME *name;
	int n;

	ASSERT_INT_EQ(inet_pton(AF_INET, "192.0.2.1", ip4), 1);
	ASSERT_INT_EQ(inet_pton(AF_INET6, "2001:db8::1", ip6), 1);
	ASSERT_INT_EQ(fx_init(&f, "rsa", RKMP_ID_IPV4_ADDR, ip4, 4), 0);
	ASSERT_OK(fx_sign(&f, 14, h256, 1));
	ASSERT_OK(fx_verify(&f));
	fx_id(&f, RKMP_ID_IPV6_ADDR, ip6, 16);
	ASSERT_OK(fx_sign(&f, 14, h256, 1));
	ASSERT_OK(fx_verify(&f));
	fx_id(&f, RKMP_ID_FQDN, "A.Rkmp.TEST", 11);
	ASSERT_OK(fx_sign(&f, 14, h256, 1));
	ASSERT_OK(fx_verify(&f));
	/* Not in it: the detail lists what is. */
	ip4[3] = 2;
	fx_id(&f, RKMP_ID_IPV4_ADDR, ip4, 4);
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "identity ipv4:192.0.2.2 not in certificate "
	    "(SAN: a.rkmp.test, 192.0.2.1, 2001:db8::1)");
	fx_id(&f, RKMP_ID_IPV4_ADDR, ip4, 3);
	ASSERT_RC(fx_verify(&f), RKMP_E_INVALID, "ID_IPV4_ADDR of 3 octets");
	fx_id(&f, RKMP_ID_RFC822_ADDR, "a.rkmp.test", 11);
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "identity email:a.rkmp.test not in certificate");
	fx_id(&f, RKMP_ID_FQDN, "a.rkmp.test\0x", 13);
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "identity fqdn:a.rkmp.test\\x00x not in");
	fx_id(&f, RKMP_ID_KEY_ID, "a.rkmp.test", 11);
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "identity type 11 (ID_KEY_ID) cannot be matched");
	fx_free(&f);

	/* ID_DER_ASN1_DN against the subject (p384 has no SAN). */
	ASSERT_TRUE((n = (int)subject_der("p384", dn, sizeof(dn))) > 0);
	ASSERT_INT_EQ(fx_init(&f, "p384", RKMP_ID_DER_ASN1_DN, dn, (size_t)n), 0);
	ASSERT_OK(fx_sign(&f, 10, NULL, 0));
	ASSERT_OK(fx_verify(&f));
	fx_id(&f, RKMP_ID_FQDN, "c.rkmp.test", 11);	/* the CN is not a SAN */
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "identity fqdn:c.rkmp.test not in certificate (no subjectAltName; subject "
	    "CN=c.rkmp.test,O=rkmp test)");
	name = X509_NAME_new();
	ASSERT_TRUE(name != NULL);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"z.rkmp.test",
	    -1, -1, 0);
	p = dn;
	n = i2d_X509_NAME(name, &p);
	X509_NAME_free(name);
	fx_id(&f, RKMP_ID_DER_ASN1_DN, dn, (size_t)n);
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "identity dn:CN=z.rkmp.test not in certificate (subject: CN=c.rkmp.test,O=rkmp test)");
	fx_id(&f, RKMP_ID_DER_ASN1_DN, dn, (size_t)n - 1);
	ASSERT_RC(fx_verify(&f), RKMP_E_INVALID, "ID_DER_ASN1_DN is not one DER Name");
	fx_free(&f);
	ASSERT_INT_EQ(ERR_peek_error(), 0);
}

/* Certificates that do not chain to ca.pem, now or at all. */
TEST(auth_verify_untrusted)
{
	struct fx f;

	/* Signed by a CA we do not trust, with the name of a trusted one. */
	ASSERT_INT_EQ(fx_init(&f, "rogue", RKMP_ID_FQDN, "a.rkmp.test", 11), 0);
	ASSERT_OK(fx_sign(&f, 14, h256, 1));
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "certificate not trusted: unable to get local issuer certificate");
	fx_free(&f);
	/* ... and with that CA sent along. */
	{
		struct rkmp_creds *rca = creds("rogue-ca.pem", NULL, NULL);
		size_t len;

		ASSERT_INT_EQ(fx_init(&f, "rogue", RKMP_ID_FQDN, "a.rkmp.test", 11), 0);
		ASSERT_TRUE(rca != NULL);
		f.certs[1] = rkmp_creds_cert_der(rca, 0, &len);
		f.lens[1] = len;
		f.ncert = 2;
		ASSERT_OK(fx_sign(&f, 14, h256, 1));
		ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
		    "certificate not trusted: self-signed certificate in certificate chain");
		rkmp_creds_free(rca);
		fx_free(&f);
	}
	/* Expired in 2002. */
	ASSERT_INT_EQ(fx_init(&f, "expired", RKMP_ID_FQDN, "x.rkmp.test", 11), 0);
	ASSERT_OK(fx_sign(&f, 1, NULL, 0));
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "certificate not trusted: certificate has expired (depth 0: CN=x.rkmp.test");
	fx_free(&f);
	/* The intermediate left out. */
	ASSERT_INT_EQ(fx_init(&f, "p521", RKMP_ID_RFC822_ADDR, "d@rkmp.test", 11), 0);
	ASSERT_OK(fx_sign(&f, 11, NULL, 0));
	f.ncert = 1;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "certificate not trusted: unable to get local issuer certificate");
	f.ncert = 2;
	ASSERT_OK(fx_verify(&f));
	fx_free(&f);
	ASSERT_INT_EQ(ERR_peek_error(), 0);
}

/* Broken AUTH data, wrong algorithms, broken CERTs: clean failures. */
TEST(auth_verify_bad_auth)
{
	static const uint8_t ecdsa256[] = {
		0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02
	};
	struct fx f;
	uint8_t save[AUTH_BUF], junk[40];
	size_t save_len;
	struct rkmp_creds *none = NULL;

	ASSERT_INT_EQ(fx_init(&f, "rsa", RKMP_ID_FQDN, "a.rkmp.test", 11), 0);
	ASSERT_OK(fx_sign(&f, 14, h512, 1));
	memcpy(save, f.auth, f.auth_len);
	save_len = f.auth_len;

	/* One octet of the signed octets (the nonce), of the signature. */
	f.nonce[3] ^= 1;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "AUTH signature mismatch (method 14, sha512WithRSAEncryption)");
	f.nonce[3] ^= 1;
	f.auth[f.auth_len - 1] ^= 1;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "AUTH signature mismatch");
	f.auth[f.auth_len - 1] ^= 1;
	ASSERT_OK(fx_verify(&f));
	/* The identity signed for is not the one the verifier is told about. */
	f.id[4] = 'A';
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "AUTH signature mismatch");
	f.id[4] = 'a';

	/* RFC 7427 length octet larger than the data; no data at all. */
	f.auth_len = 10;
	ASSERT_RC(fx_verify(&f), RKMP_E_TRUNCATED,
	    "method 14: AlgorithmIdentifier length 15 > 9 octets left");
	f.auth[0] = 255;
	f.auth_len = 255;
	ASSERT_RC(fx_verify(&f), RKMP_E_TRUNCATED, "AlgorithmIdentifier length 255 > 254");
	f.auth_len = 16;
	f.auth[0] = 15;
	memcpy(f.auth + 1, save + 1, 15);
	/* An empty signature. */
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "AUTH signature mismatch");
	f.auth_len = 0;
	ASSERT_RC(fx_verify(&f), RKMP_E_TRUNCATED, "no ASN.1 length octet");

	/* An AlgorithmIdentifier for another key type, and an unknown one. */
	f.auth[0] = sizeof(ecdsa256);
	memcpy(f.auth + 1, ecdsa256, sizeof(ecdsa256));
	memcpy(f.auth + 1 + sizeof(ecdsa256), save + 16, save_len - 16);
	f.auth_len = 1 + sizeof(ecdsa256) + save_len - 16;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "method 14: ecdsa-with-SHA256 does not fit the certificate's RSA 2048 key");
	f.auth[12] = 0x09;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "unsupported AlgorithmIdentifier 300a06082a8648ce3d040309");
	/* The SHA-512 signature labelled SHA-256. */
	memcpy(f.auth, save, save_len);
	f.auth_len = save_len;
	f.auth[13] = 0x0b;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "AUTH signature mismatch (method 14, sha256WithRSAEncryption)");

	/* Method and key disagree; an unsupported method. */
	f.auth_len = save_len;
	memcpy(f.auth, save, save_len);
	f.method = 9;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "method 9 (ECDSA P-256 SHA-256) does not fit the certificate's RSA 2048 key");
	f.method = 3;
	ASSERT_RC(fx_verify(&f), RKMP_E_CRYPTO, "method 3 (DSS");
	f.method = 1;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "AUTH signature mismatch (method 1, ");
	f.method = 14;

	/* CERT data that is not a certificate, or has octets after it. */
	memset(junk, 0x30, sizeof(junk));
	f.certs[0] = junk;
	f.lens[0] = sizeof(junk);
	ASSERT_RC(fx_verify(&f), RKMP_E_INVALID, "certificate 1 of 1: not DER X.509");
	{
		size_t len = 0;
		const uint8_t *d = rkmp_creds_cert_der(f.signer, 0, &len);
		uint8_t *longer = malloc(len + 1);

		ASSERT_TRUE(longer != NULL && d != NULL);
		memcpy(longer, d, len);
		longer[len] = 0;
		f.certs[0] = longer;
		f.lens[0] = len + 1;
		ASSERT_RC(fx_verify(&f), RKMP_E_INVALID,
		    "certificate 1 of 1: 1 octets after the DER");
		f.lens[0] = len - 1;
		ASSERT_RC(fx_verify(&f), RKMP_E_INVALID, "certificate 1 of 1: not DER X.509");
		free(longer);
		f.certs[0] = d;
		f.lens[0] = len;
	}
	save_len = f.lens[0];
	f.lens[0] = 0;
	ASSERT_RC(fx_verify(&f), RKMP_E_INVALID, "certificate 1 of 1: empty");
	f.lens[0] = save_len;
	f.ncert = 0;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "the peer sent no certificate");
	f.ncert = 1;
	ASSERT_OK(fx_verify(&f));

	/* A verifier without a CA. */
	ASSERT_OK(rkmp_creds_load(&none, NULL, NULL, NULL));
	ASSERT_RC(rkmp_auth_verify(none, f.certs, f.lens, f.ncert, f.id_type, f.id + 4,
	    f.id_len - 4, f.method, f.auth, f.auth_len, f.prf, &f.o), RKMP_E_USAGE, "no CA");
	rkmp_creds_free(none);
	fx_free(&f);
	ASSERT_INT_EQ(ERR_peek_error(), 0);
}

/* ECDSA r | s: wrong size, wrong curve, one bit changed. */
TEST(auth_verify_bad_ecdsa)
{
	struct fx f;

	ASSERT_INT_EQ(fx_init(&f, "p256", RKMP_ID_FQDN, "b.rkmp.test", 11), 0);
	ASSERT_OK(fx_sign(&f, 9, NULL, 0));
	ASSERT_INT_EQ(f.auth_len, 64);
	f.auth_len = 63;
	ASSERT_RC(fx_verify(&f), RKMP_E_INVALID, "method 9: 63 octets of r | s, want 64");
	f.auth_len = 64;
	f.auth[40] ^= 0x10;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "AUTH signature mismatch (method 9, ECDSA P-256");
	memset(f.auth, 0, 64);
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "AUTH signature mismatch (method 9");
	f.method = 10;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "method 10 (ECDSA P-384 SHA-384) does not fit the certificate's ECDSA P-256 key");
	f.method = 14;
	f.auth_len = 64;
	f.auth[0] = 12;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED, "unsupported AlgorithmIdentifier");
	ASSERT_OK(fx_sign(&f, 14, h256, 1));
	f.msg[0] ^= 1;
	ASSERT_RC(fx_verify(&f), RKMP_E_REFUSED,
	    "AUTH signature mismatch (method 14, ecdsa-with-SHA256)");
	fx_free(&f);
	ASSERT_INT_EQ(ERR_peek_error(), 0);
}

/* RSASSA-PSS (verify only): signed here, AlgorithmIdentifier from the vector file. */
TEST(auth_verify_pss)
{
	static const struct {
		const char *rec, *md;
		int salt;
	} cases[] = {
		{ "RSAPSS_SHA256", "SHA256", 32 },
		{ "RSAPSS_SHA256NT", "SHA256", 32 },
		{ "RSAPSS_SHA384NT", "SHA384", 48 },
		{ "RSAPSS_SHA512NT", "SHA512", 64 },
	};
	struct fx f;
	EVP_PKEY *key;
	FILE *fp;

	ASSERT_TRUE((fp = fopen(PKI "rsa.key", "r")) != NULL);
	key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	ASSERT_TRUE(key != NULL);
	if (fx_init(&f, "rsa", RKMP_ID_FQDN, "a.rkmp.test", 11) != 0) {
		EVP_PKEY_free(key);
		fx_free(&f);
		ASSERT_TRUE(0);
	}
	f.method = 14;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && !test_failed_now; i++) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;
		uint8_t *der, *tbs;
		size_t dl = 0, tl = 0, sl;

		der = algid(cases[i].rec, &dl);
		tbs = fx_octets(&f, &tl);
		sl = sizeof(f.auth) - 1 - dl;
		if (der == NULL || tbs == NULL || ctx == NULL ||
		    EVP_DigestSignInit_ex(ctx, &pctx, cases[i].md, NULL, NULL, key, NULL) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, cases[i].salt) <= 0 ||
		    EVP_DigestSign(ctx, f.auth + 1 + dl, &sl, tbs, tl) != 1)
			test_fail(__FILE__, __LINE__, "%s: cannot make the PSS signature",
			    cases[i].rec);
		else {
			f.auth[0] = (uint8_t)dl;
			memcpy(f.auth + 1, der, dl);
			f.auth_len = 1 + dl + sl;
			if (fx_verify(&f) != 0)
				test_fail(__FILE__, __LINE__, "%s: %s", cases[i].rec,
				    rkmp_err_text());
			f.auth[f.auth_len - 5] ^= 4;
			if (fx_verify(&f) != RKMP_E_REFUSED ||
			    strstr(rkmp_err_text(), "mismatch (method 14, RSASSA-PSS") == NULL)
				test_fail(__FILE__, __LINE__, "%s changed: %s", cases[i].rec,
				    rkmp_err_text());
		}
		free(der);
		free(tbs);
		EVP_MD_CTX_free(ctx);
	}
	EVP_PKEY_free(key);
	fx_free(&f);
}

/* Every truncation and every one-octet change of AUTH data and CERT: refused cleanly. */
static void
mutate(const char *name, uint8_t id_type, const char *id, int method, const uint16_t *hashes,
    size_t nh)
{
	struct fx f;
	uint8_t save[AUTH_BUF], *cert;
	size_t save_len, cl;
	int rc;

	ASSERT_INT_EQ(fx_init(&f, name, id_type, id, strlen(id)), 0);
	ASSERT_OK(fx_sign(&f, method, hashes, nh));
	memcpy(save, f.auth, f.auth_len);
	save_len = f.auth_len;
	for (size_t n = 0; n < save_len; n++) {
		f.auth_len = n;
		rc = fx_verify(&f);
		if (rc != RKMP_E_REFUSED && rc != RKMP_E_TRUNCATED && rc != RKMP_E_INVALID) {
			test_fail(__FILE__, __LINE__, "%s: AUTH cut to %zu: %d (%s)", name, n, rc,
			    rkmp_err_text());
			break;
		}
	}
	f.auth_len = save_len;
	for (size_t i = 0; i < save_len && !test_failed_now; i++) {
		f.auth[i] ^= (uint8_t)(1u << (i % 8));
		rc = fx_verify(&f);
		if (rc != RKMP_E_REFUSED && rc != RKMP_E_TRUNCATED && rc != RKMP_E_INVALID)
			test_fail(__FILE__, __LINE__, "%s: AUTH octet %zu changed: %d (%s)", name, i, rc,
			    rkmp_err_text());
		f.auth[i] = save[i];
	}
	cl = f.lens[0];
	if (!test_failed_now && (cert = malloc(cl)) != NULL) {
		memcpy(cert, f.certs[0], cl);
		f.certs[0] = cert;
		for (size_t i = 0; i < cl && !test_failed_now; i += 3) {
			uint8_t o = cert[i];

			cert[i] ^= 0x5a;
			rc = fx_verify(&f);
			if (rc != RKMP_E_REFUSED && rc != RKMP_E_INVALID)
				test_fail(__FILE__, __LINE__, "%s: CERT octet %zu changed: %d (%s)", name,
				    i, rc, rkmp_err_text());
			cert[i] = o;
			f.lens[0] = i;
			rc = fx_verify(&f);
			if (rc != RKMP_E_REFUSED && rc != RKMP_E_INVALID)
				test_fail(__FILE__, __LINE__, "%s: CERT cut to %zu: %d (%s)", name, i,
				    rc, rkmp_err_text());
			f.lens[0] = cl;
		}
		ASSERT_OK(fx_verify(&f));
		free(cert);
	}
	fx_free(&f);
	ASSERT_INT_EQ(ERR_peek_error(), 0);
}

TEST(auth_verify_mutations)
{
	mutate("rsa", RKMP_ID_FQDN, "a.rkmp.test", 14, h256, 1);
	if (test_failed_now)
		return;
	mutate("p256", RKMP_ID_FQDN, "b.rkmp.test", 9, NULL, 0);
	if (test_failed_now)
		return;
	mutate("p256", RKMP_ID_FQDN, "b.rkmp.test", 14, h384, 1);
	if (test_failed_now)
		return;
	mutate("ed25519", RKMP_ID_FQDN, "e.rkmp.test", 14, NULL, 0);
}

/* SPDX-License-Identifier: MIT */
/*
 * proposal.c — strongSwan-style proposal strings, the SA payload proposals
 * built from them, and proposal selection (RFC 7296 §2.7, §3.3).
 *
 * A string becomes specs (one per proposal, transforms in type order and,
 * within a type, in the order given); specs become SA payload structs that
 * msg.c encodes; a peer's SA payload is matched against specs (responder) or
 * checked against what we sent (initiator).  Keywords come from the crypto
 * tables (crypto.c), a few strongSwan aliases, "esn"/"noesn", and the
 * routing-protocol SA keywords below; sizes and names never from switches.
 * What a protocol's proposals hold, must hold and default to, and which
 * routing-protocol keywords it takes, is its descriptor's (protocols.c).
 *
 * Transform order on the wire: ascending type (ENCR, PRF, INTEG, DH, ESN,
 * 241-243), as in RFC 7296 §3.3.2's numbering and in the project's worked
 * vector (derived-ikev2-psk-keyschedule-example.txt).  strongSwan itself sends
 * ENCR, INTEG, PRF, DH (testdata/msgs/a-*-01.bin); order carries no meaning.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "err.h"
#include "names.h"
#include "nitems.h"
#include "proposal.h"
#include "protocols.h"
#include "wire.h"

#define WHERE_LIST	"proposal list"
#define WHERE_SA	"SA payload"
#define KW_MAX		32		/* longer tokens are unknown keywords */
#define TEXT_MAX	96		/* a proposal quoted in an error detail */
#define ITEMS_MAX	(2 * RKMP_PROP_TRANSFORMS_MAX)

/* A transform type as a bit of a protocol's allowed and required sets (protocols.h). */
static uint32_t
type_bit(unsigned type)
{
	return RKMP_TB(type);
}

/* What a proposal string lacks, per mandatory type, in check order. */
static const struct {
	uint8_t		 type;
	const char	*text;
} missing_text[] = {
	{ RKMP_TRANS_ENCR, "no ENCR algorithm" },
	{ RKMP_TRANS_PRF, "no PRF (a prf keyword, or an INTEG keyword to derive it from)" },
	{ RKMP_TRANS_INTEG, "no INTEG algorithm" },
	{ RKMP_TRANS_DH, "no DH group" },
	{ RKMP_TRANS_ESN, "no ESN keyword" },
	{ RKMP_TRANS_TCP_OPTIONS, "no TCP options keyword (tcpopts or notcpopts)" },
	{ RKMP_TRANS_BFD_AUTH, "no BFD auth mode keyword (bfdbase, bfdmeticulous, bfdgeneric or "
	    "bfdgenericmeticulous)" },
	{ RKMP_TRANS_RSVP_HS, "no RSVP-TE handshake keyword (handshake or nohandshake)" },
};

/* ------------------------------------------------------------------ keywords */

struct kw {
	const char	*word;
	uint8_t		 type;
	uint16_t	 id;
	uint16_t	 bits;		/* Key Length attribute; 0 = none */
	bool		 rp;		/* a routing-protocol keyword (the descriptors name theirs) */
	bool		 aead;
	bool		 unsupported;	/* known to strongSwan, not to our crypto */
};

/*
 * Routing-protocol SA keywords (rkmp profile; rkmp-karp.md §5, DESIGN.md §2).
 * Which protocols take one is their descriptor's (protocols.c: keywords).  In
 * a TCP-AO, BFD, RSVP-TE or TCP-MD5 proposal these come first; every DH keyword
 * is accepted too (PFS, optional).  ID 0 is a real value for types 241-243.
 *
 *   keyword               type                    ID  meaning
 *   sha1                  INTEG (3)                2  AUTH_HMAC_SHA1_96
 *   aescmac               INTEG (3)                8  AUTH_AES_CMAC_96
 *   md5                   INTEG (3)                1  AUTH_HMAC_MD5_96 (keyed MD5)
 *   sha256                INTEG (3)               12  AUTH_HMAC_SHA2_256_128
 *   tcpopts               TCP options (241)        1  PROTECT_OPTIONS
 *   notcpopts             TCP options (241)        0  NO_PROTECT_OPTIONS
 *   bfdbase               BFD auth mode (242)      0  BASE_AUTH
 *   bfdmeticulous         BFD auth mode (242)      1  BASE_METICULOUS_AUTH
 *   bfdgeneric            BFD auth mode (242)      2  GENERIC_AUTH
 *   bfdgenericmeticulous  BFD auth mode (242)      3  GENERIC_METICULOUS_AUTH
 *   handshake             RSVP-TE handshake (243)  1  ALLOWED
 *   nohandshake           RSVP-TE handshake (243)  0  NOT_ALLOWED
 */
static const struct kw rp_keywords[] = {
	{ "sha1", RKMP_TRANS_INTEG, 2, 0, true, false, false },
	{ "aescmac", RKMP_TRANS_INTEG, 8, 0, true, false, false },
	{ "md5", RKMP_TRANS_INTEG, 1, 0, true, false, false },
	{ "sha256", RKMP_TRANS_INTEG, 12, 0, true, false, false },
	{ "tcpopts", RKMP_TRANS_TCP_OPTIONS, 1, 0, true, false, false },
	{ "notcpopts", RKMP_TRANS_TCP_OPTIONS, 0, 0, true, false, false },
	{ "bfdbase", RKMP_TRANS_BFD_AUTH, 0, 0, true, false, false },
	{ "bfdmeticulous", RKMP_TRANS_BFD_AUTH, 1, 0, true, false, false },
	{ "bfdgeneric", RKMP_TRANS_BFD_AUTH, 2, 0, true, false, false },
	{ "bfdgenericmeticulous", RKMP_TRANS_BFD_AUTH, 3, 0, true, false, false },
	{ "handshake", RKMP_TRANS_RSVP_HS, 1, 0, true, false, false },
	{ "nohandshake", RKMP_TRANS_RSVP_HS, 0, 0, true, false, false },
};

/*
 * ESN, and strongSwan keywords for algorithms our crypto does not do: named
 * in errors ("modp1024 (MODP_1024) is not supported") and when printing a
 * peer's offer.
 */
static const struct kw extra_keywords[] = {
	{ "esn", RKMP_TRANS_ESN, 1, 0, 0, false, false },
	{ "noesn", RKMP_TRANS_ESN, 0, 0, 0, false, false },
	{ "3des", RKMP_TRANS_ENCR, 3, 0, 0, false, true },
	{ "null", RKMP_TRANS_ENCR, 11, 0, 0, false, true },
	{ "aes128ctr", RKMP_TRANS_ENCR, 13, 128, 0, false, true },
	{ "aes192ctr", RKMP_TRANS_ENCR, 13, 192, 0, false, true },
	{ "aes256ctr", RKMP_TRANS_ENCR, 13, 256, 0, false, true },
	{ "aes128ccm8", RKMP_TRANS_ENCR, 14, 128, 0, true, true },
	{ "aes256ccm8", RKMP_TRANS_ENCR, 14, 256, 0, true, true },
	{ "aes128ccm12", RKMP_TRANS_ENCR, 15, 128, 0, true, true },
	{ "aes256ccm12", RKMP_TRANS_ENCR, 15, 256, 0, true, true },
	{ "aes128ccm16", RKMP_TRANS_ENCR, 16, 128, 0, true, true },
	{ "aes256ccm16", RKMP_TRANS_ENCR, 16, 256, 0, true, true },
	{ "prfmd5", RKMP_TRANS_PRF, 1, 0, 0, false, true },
	{ "md5", RKMP_TRANS_INTEG, 1, 0, 0, false, true },
	{ "md5_128", RKMP_TRANS_INTEG, 6, 0, 0, false, true },
	{ "sha1_160", RKMP_TRANS_INTEG, 7, 0, 0, false, true },
	{ "modp768", RKMP_TRANS_DH, 1, 0, 0, false, true },
	{ "modp1024", RKMP_TRANS_DH, 2, 0, 0, false, true },
	{ "modp1536", RKMP_TRANS_DH, 5, 0, 0, false, true },
	{ "modp6144", RKMP_TRANS_DH, 17, 0, 0, false, true },
	{ "modp8192", RKMP_TRANS_DH, 18, 0, 0, false, true },
	{ "modp1024s160", RKMP_TRANS_DH, 22, 0, 0, false, true },
	{ "modp2048s224", RKMP_TRANS_DH, 23, 0, 0, false, true },
	{ "modp2048s256", RKMP_TRANS_DH, 24, 0, 0, false, true },
	{ "ecp192", RKMP_TRANS_DH, 25, 0, 0, false, true },
	{ "ecp224", RKMP_TRANS_DH, 26, 0, 0, false, true },
	{ "ecp224bp", RKMP_TRANS_DH, 27, 0, 0, false, true },
	{ "ecp256bp", RKMP_TRANS_DH, 28, 0, 0, false, true },
	{ "ecp384bp", RKMP_TRANS_DH, 29, 0, 0, false, true },
	{ "ecp512bp", RKMP_TRANS_DH, 30, 0, 0, false, true },
	{ "mlkem512", RKMP_TRANS_DH, 35, 0, 0, false, true },
	{ "mlkem768", RKMP_TRANS_DH, 36, 0, 0, false, true },
	{ "mlkem1024", RKMP_TRANS_DH, 37, 0, 0, false, true },
};

/*
 * strongSwan spellings of the same transforms (proposal_keywords_static.txt);
 * "show" ones are also what we print (DESIGN.md's default says x25519).
 */
static const struct {
	const char	*alias;
	const char	*word;
	bool		 show;
} aliases[] = {
	{ "x25519", "curve25519", true }, { "x448", "curve448", true },
	{ "aes", "aes128", false },
	{ "aes128gcm", "aes128gcm16", false }, { "aes192gcm", "aes192gcm16", false },
	{ "aes256gcm", "aes256gcm16", false },
	{ "aes128gcm64", "aes128gcm8", false }, { "aes192gcm64", "aes192gcm8", false },
	{ "aes256gcm64", "aes256gcm8", false },
	{ "aes128gcm96", "aes128gcm12", false }, { "aes192gcm96", "aes192gcm12", false },
	{ "aes256gcm96", "aes256gcm12", false },
	{ "aes128gcm128", "aes128gcm16", false }, { "aes192gcm128", "aes192gcm16", false },
	{ "aes256gcm128", "aes256gcm16", false },
	{ "sha", "sha1", false }, { "sha2_256", "sha256", false }, { "sha2_384", "sha384", false },
	{ "sha2_512", "sha512", false },
	{ "prfsha2_256", "prfsha256", false }, { "prfsha2_384", "prfsha384", false },
	{ "prfsha2_512", "prfsha512", false },
};

/* IKE without a prf keyword: the PRF of each INTEG keyword (strongSwan's integ_prf_map). */
static const struct {
	uint16_t	 integ;
	uint16_t	 prf;
} integ_prf[] = {
	{ 2, 2 },	/* AUTH_HMAC_SHA1_96 -> PRF_HMAC_SHA1 */
	{ 5, 4 },	/* AUTH_AES_XCBC_96 -> PRF_AES128_XCBC */
	{ 8, 8 },	/* AUTH_AES_CMAC_96 -> PRF_AES128_CMAC */
	{ 12, 5 },	/* AUTH_HMAC_SHA2_256_128 -> PRF_HMAC_SHA2_256 */
	{ 13, 6 },	/* AUTH_HMAC_SHA2_384_192 -> PRF_HMAC_SHA2_384 */
	{ 14, 7 },	/* AUTH_HMAC_SHA2_512_256 -> PRF_HMAC_SHA2_512 */
};

/* Whether protocol pr takes routing-protocol keyword k (its descriptor's keywords). */
static bool
kw_of(const struct kw *k, const struct rkmp_protocol *pr)
{
	for (size_t i = 0; k->rp && pr->keywords != NULL && pr->keywords[i] != NULL; i++)
		if (strcmp(pr->keywords[i], k->word) == 0)
			return true;
	return false;
}

/* The i-th keyword of all sources: RP table, crypto tables, extras. */
static bool
kw_get(size_t i, struct kw *k)
{
	const struct rkmp_encr_alg *encr;
	const struct rkmp_prf_alg *prf;
	const struct rkmp_integ_alg *integ;
	const struct rkmp_dh_group *dh;
	size_t n;

	memset(k, 0, sizeof(*k));
	if (i < nitems(rp_keywords)) {
		*k = rp_keywords[i];
		return true;
	}
	i -= nitems(rp_keywords);
	encr = rkmp_crypto_encr_table(&n);
	if (i < n) {
		k->word = encr[i].keyword;
		k->type = RKMP_TRANS_ENCR;
		k->id = encr[i].id;
		k->bits = encr[i].key_bits;
		k->aead = encr[i].aead != 0;
		return true;
	}
	i -= n;
	prf = rkmp_crypto_prf_table(&n);
	if (i < n) {
		k->word = prf[i].keyword;
		k->type = RKMP_TRANS_PRF;
		k->id = prf[i].id;
		return true;
	}
	i -= n;
	integ = rkmp_crypto_integ_table(&n);
	if (i < n) {
		k->word = integ[i].keyword;
		k->type = RKMP_TRANS_INTEG;
		k->id = integ[i].id;
		return true;
	}
	i -= n;
	dh = rkmp_crypto_dh_table(&n);
	if (i < n) {
		k->word = dh[i].keyword;
		k->type = RKMP_TRANS_DH;
		k->id = dh[i].id;
		return true;
	}
	i -= n;
	if (i < nitems(extra_keywords)) {
		*k = extra_keywords[i];
		return true;
	}
	return false;
}

/* Which of several entries with one word or one value a protocol means (lower wins). */
static int
kw_rank(const struct kw *k, const struct rkmp_protocol *pr)
{
	bool rp = pr != NULL && pr->rp;

	if (rp && kw_of(k, pr))
		return 0;
	if (!k->rp && !k->unsupported)
		return 1;
	/* "md5": not for TCP-AO (a BFD keyword) vs not supported (in IKE) */
	if (k->rp)
		return rp ? 2 : 3;
	return rp ? 3 : 2;
}

static bool
kw_find(const char *word, const struct rkmp_protocol *pr, struct kw *out)
{
	struct kw k;
	int best = 4;

	for (size_t i = 0; i < nitems(aliases); i++)
		if (strcasecmp(aliases[i].alias, word) == 0) {
			word = aliases[i].word;
			break;
		}
	for (size_t i = 0; kw_get(i, &k); i++) {
		int r;

		if (k.word == NULL || strcasecmp(k.word, word) != 0)
			continue;
		if ((r = kw_rank(&k, pr)) < best) {
			best = r;
			*out = k;
		}
	}
	return best < 4;
}

/* The keyword of a transform (kl = Key Length, -1 absent), or NULL. */
static const char *
kw_name(const struct rkmp_protocol *pr, uint8_t type, uint16_t id, int kl)
{
	const char *word = NULL;
	struct kw k;
	int best = 4;

	for (size_t i = 0; kw_get(i, &k); i++) {
		int r;

		if (k.type != type || k.id != id || (kl < 0 ? k.bits != 0 : k.bits != kl))
			continue;
		if ((r = kw_rank(&k, pr)) < best) {
			best = r;
			word = k.word;
		}
	}
	for (size_t i = 0; word != NULL && i < nitems(aliases); i++)
		if (aliases[i].show && strcmp(aliases[i].word, word) == 0)
			return aliases[i].alias;
	return word;
}

static bool
encr_is_aead(uint16_t id)
{
	const struct rkmp_encr_alg *t;
	size_t n;

	t = rkmp_crypto_encr_table(&n);
	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return t[i].aead != 0;
	return false;
}

/* Types whose ID 0 means NONE (RFC 7296 §3.3.2, RFC 9370 ADDKE1-7). */
static bool
none_means_absent(unsigned type)
{
	return type == RKMP_TRANS_INTEG || type == RKMP_TRANS_DH || (type >= 6 && type <= 12);
}

/* ------------------------------------------------------------------ text */

static void
append(char *out, size_t outlen, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (outlen == 0 || *len >= outlen - 1)
		return;
	if (n > outlen - 1 - *len)
		n = outlen - 1 - *len;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
}

/* Append a list item after a comma; ",..." once the next would not fit. */
static void
list_add(char *out, size_t outlen, size_t *len, bool *full, const char *item)
{
	size_t need = strlen(item) + (*len > 0 ? 1 : 0);

	if (*full)
		return;
	if (*len + need + 4 >= outlen) {
		append(out, outlen, len, *len > 0 ? ",..." : "...");
		*full = true;
		return;
	}
	if (*len > 0)
		append(out, outlen, len, ",");
	append(out, outlen, len, item);
}

struct fitem {
	uint8_t		 type;
	uint16_t	 id;
	int		 kl;		/* Key Length, -1 absent */
};

/* strongSwan's string order: ENCR, INTEG, PRF, DH, ESN, then by type. */
static unsigned
fmt_rank(uint8_t type)
{
	static const uint8_t r[] = { 0, 1, 3, 2, 4, 5 };

	return type < nitems(r) ? r[type] : type;
}

/* One transform: its keyword, else its IANA name (key length appended). */
static void
fmt_one(const struct rkmp_protocol *pr, const struct fitem *it, char *buf, size_t len)
{
	const char *word, *name = NULL;
	enum rkmp_reg reg;
	char pre[8] = "";
	size_t n;

	if ((word = kw_name(pr, it->type, it->id, it->kl)) != NULL) {
		snprintf(buf, len, "%s", word);
		return;
	}
	if (it->type >= 6 && it->type <= 12)
		snprintf(pre, sizeof(pre), "ke%u_", it->type - 5u);
	if ((reg = rkmp_transform_reg(it->type)) != RKMP_REG_MAX_)
		name = rkmp_name(reg, it->id);
	if (name != NULL)
		snprintf(buf, len, "%s%s", pre, name);
	else
		snprintf(buf, len, "%sUNKNOWN_%u_%u", pre, it->type, it->id);
	n = strlen(buf);
	if (it->kl >= 0 && n < len)
		snprintf(buf + n, len - n, "_%d", it->kl);
}

static void
fmt_items(const struct rkmp_protocol *pr, const struct fitem *it, size_t n, char *out,
    size_t outlen)
{
	size_t idx[256], len = 0;
	bool first = true;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (n > nitems(idx))
		n = nitems(idx);
	/* Stable insertion sort of indices by rank. */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		while (j > 0 && fmt_rank(it[idx[j - 1]].type) > fmt_rank(it[i].type)) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	for (size_t i = 0; i < n; i++) {
		const struct fitem *f = &it[idx[i]];
		char one[64];

		if (f->id == 0 && none_means_absent(f->type))
			continue;
		fmt_one(pr, f, one, sizeof(one));
		if (!first)
			append(out, outlen, &len, "-");
		append(out, outlen, &len, one);
		first = false;
	}
}

static void
fmt_ptrans(const struct rkmp_protocol *pr, const struct rkmp_prop_transform *t, size_t n,
    char *out, size_t outlen)
{
	struct fitem it[RKMP_PROP_TRANSFORMS_MAX];

	if (n > nitems(it))
		n = nitems(it);
	for (size_t i = 0; i < n; i++) {
		it[i].type = t[i].type;
		it[i].id = t[i].id;
		it[i].kl = t[i].key_bits != 0 ? t[i].key_bits : -1;
	}
	fmt_items(pr, it, n, out, outlen);
}

void
rkmp_proposal_format(const struct rkmp_prop_choice *c, char *out, size_t outlen)
{
	if (out == NULL || outlen == 0)
		return;
	fmt_ptrans(rkmp_protocol_proposals(c->protocol), c->trans,
	    c->ntrans < nitems(c->trans) ? c->ntrans : nitems(c->trans), out, outlen);
}

void
rkmp_proposal_format_spec(const struct rkmp_prop_spec *s, char *out, size_t outlen)
{
	if (out == NULL || outlen == 0)
		return;
	fmt_ptrans(rkmp_protocol_proposals(s->protocol), s->trans, s->ntrans, out, outlen);
}

void
rkmp_proposal_format_list(const struct rkmp_prop_spec *specs, size_t n, char *out,
    size_t outlen)
{
	size_t len = 0;
	bool full = false;

	if (out == NULL || outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[512];

		rkmp_proposal_format_spec(&specs[i], one, sizeof(one));
		list_add(out, outlen, &len, &full, one);
	}
}

/* A peer's proposal; "ESP:" in front when its protocol is not ours. */
static void
fmt_peer(const struct rkmp_proposal *p, uint8_t our_protocol, char *out, size_t outlen)
{
	struct fitem it[256];
	const struct rkmp_protocol *pr = rkmp_protocol_proposals(p->protocol);
	size_t n = p->ntrans < nitems(it) ? p->ntrans : nitems(it), len;

	for (size_t i = 0; i < n; i++) {
		it[i].type = p->trans[i].type;
		it[i].id = p->trans[i].id;
		it[i].kl = p->trans[i].key_length;
	}
	out[0] = '\0';
	if (p->protocol != our_protocol)
		snprintf(out, outlen, "%s:", pr != NULL ? pr->title :
		    rkmp_name_or(RKMP_REG_PROTOCOL, p->protocol));
	len = strlen(out);
	fmt_items(pr, it, n, out + len, outlen - len);
}

/* "ENCR_AES_CBC key_length 192", for the initiator's checks. */
static void
desc_trans(const struct rkmp_transform *t, char *buf, size_t len)
{
	enum rkmp_reg reg = rkmp_transform_reg(t->type);
	const char *tn = rkmp_name(RKMP_REG_TRANSFORM, t->type);
	const char *name = reg != RKMP_REG_MAX_ ? rkmp_name(reg, t->id) : NULL;
	size_t n;

	if (name != NULL && strcmp(name, "NONE") != 0)
		snprintf(buf, len, "%s", name);
	else if (tn != NULL)
		snprintf(buf, len, "%s %u", tn, t->id);
	else
		snprintf(buf, len, "transform type %u ID %u", t->type, t->id);
	n = strlen(buf);
	if (t->key_length >= 0 && n < len)
		snprintf(buf + n, len - n, " key_length %d", t->key_length);
}

static const char *
type_name(uint8_t type)
{
	return rkmp_name_or(RKMP_REG_TRANSFORM, type);
}

/* ------------------------------------------------------------------ parse */

struct item {
	struct rkmp_prop_transform t;
	bool		 aead;
};

static bool
spec_has(const struct rkmp_prop_spec *s, uint8_t type)
{
	for (size_t i = 0; i < s->ntrans; i++)
		if (s->trans[i].type == type)
			return true;
	return false;
}

static void
sort_by_type(struct rkmp_prop_transform *t, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct rkmp_prop_transform x = t[i];
		size_t j = i;

		while (j > 0 && t[j - 1].type > x.type) {
			t[j] = t[j - 1];
			j--;
		}
		t[j] = x;
	}
}

enum { PART_ALL, PART_AEAD, PART_PLAIN };

/* One spec from the items of one proposal string (or of its AEAD/non-AEAD half). */
static int
build_spec(const struct rkmp_protocol *pr, const struct item *it, size_t nit, int part,
    size_t idx, const char *text, struct rkmp_prop_spec *s)
{
	bool any_aead = false, any_plain = false;

	memset(s, 0, sizeof(*s));
	s->protocol = pr->id;
	for (size_t i = 0; i < nit; i++)
		if (it[i].t.type == RKMP_TRANS_ENCR) {
			if (it[i].aead)
				any_aead = true;
			else
				any_plain = true;
		}
	for (size_t i = 0; i < nit; i++) {
		const struct item *x = &it[i];

		if (x->t.type == RKMP_TRANS_ENCR &&
		    ((part == PART_AEAD && !x->aead) || (part == PART_PLAIN && x->aead)))
			continue;
		/* AEAD: no INTEG (RFC 5282 §8, RFC 7296 §3.3) */
		if (x->t.type == RKMP_TRANS_INTEG && pr->integ_unless_aead &&
		    (part == PART_AEAD || (part == PART_ALL && any_aead && !any_plain)))
			continue;
		if (s->ntrans == RKMP_PROP_TRANSFORMS_MAX)
			return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST,
			    "proposal %zu \"%s\": more than %d transforms", idx, text,
			    RKMP_PROP_TRANSFORMS_MAX);
		s->trans[s->ntrans++] = x->t;
	}
	if (pr->default_noesn && !spec_has(s, RKMP_TRANS_ESN)) {
		if (s->ntrans == RKMP_PROP_TRANSFORMS_MAX)
			return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST,
			    "proposal %zu \"%s\": more than %d transforms", idx, text,
			    RKMP_PROP_TRANSFORMS_MAX);
		s->trans[s->ntrans++] = (struct rkmp_prop_transform){ RKMP_TRANS_ESN, 0, 0 };
	}
	for (size_t i = 0; i < nitems(missing_text); i++) {
		uint8_t t = missing_text[i].type;
		bool need = (pr->required & type_bit(t)) != 0;

		if (t == RKMP_TRANS_INTEG && pr->integ_unless_aead && part != PART_AEAD &&
		    !(part == PART_ALL && any_aead && !any_plain))
			need = true;
		if (need && !spec_has(s, t))
			return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST, "proposal %zu \"%s\": %s",
			    idx, text, missing_text[i].text);
	}
	sort_by_type(s->trans, s->ntrans);
	return 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Keyword lookup with the protocol's rules; the item or a usage error. */
static int
parse_keyword(const struct rkmp_protocol *pr, size_t idx, const char *text, const char *word,
    struct item *out)
{
	struct kw k;
	bool ok;

	memset(&k, 0, sizeof(k));
	if (strlen(word) >= KW_MAX || !kw_find(word, pr, &k))
		return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST,
		    "proposal %zu \"%s\": unknown keyword \"%s\"", idx, text, word);
	if (k.unsupported)
		return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST,
		    "proposal %zu \"%s\": keyword \"%s\" (%s) is not supported", idx, text, word,
		    rkmp_name_or(rkmp_transform_reg(k.type), k.id));
	ok = (pr->allowed & type_bit(k.type)) != 0;
	if (pr->rp)
		ok = ok && (kw_of(&k, pr) || (!k.rp && k.type == RKMP_TRANS_DH));
	else
		ok = ok && !k.rp;
	if (!ok)
		return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST,
		    "proposal %zu \"%s\": keyword \"%s\" is not for %s proposals", idx, text, word,
		    pr->title);
	out->t.type = k.type;
	out->t.id = k.id;
	out->t.key_bits = k.bits;
	out->aead = k.aead;
	return 0;
}

static bool
item_dup(const struct item *it, size_t n, const struct rkmp_prop_transform *t)
{
	for (size_t i = 0; i < n; i++)
		if (it[i].t.type == t->type && it[i].t.id == t->id &&
		    it[i].t.key_bits == t->key_bits)
			return true;
	return false;
}

/* One comma-separated element: s[0..len), the idx-th (from 1). */
static int
parse_one(const struct rkmp_protocol *pr, size_t idx, const char *s, size_t len,
    struct rkmp_prop_spec *specs, size_t max, size_t *count)
{
	struct item it[ITEMS_MAX];
	size_t nit = 0, pos = 0;
	char text[TEXT_MAX];
	bool any_aead = false, any_plain = false, aead_first = false, have_prf = false;
	int r;

	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	snprintf(text, sizeof(text), "%.*s", (int)(len < TEXT_MAX ? len : TEXT_MAX - 1), s);
	if (len == 0)
		return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST, "proposal %zu \"\": empty proposal",
		    idx);
	for (;;) {
		const char *dash = memchr(s + pos, '-', len - pos);
		size_t end = dash != NULL ? (size_t)(dash - s) : len, a = pos, b = end;
		char word[TEXT_MAX];
		struct item x;

		while (a < b && is_space(s[a]))
			a++;
		while (b > a && is_space(s[b - 1]))
			b--;
		if (a == b)
			return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST,
			    "proposal %zu \"%s\": empty keyword", idx, text);
		snprintf(word, sizeof(word), "%.*s",
		    (int)(b - a < sizeof(word) ? b - a : sizeof(word) - 1), s + a);
		if ((r = parse_keyword(pr, idx, text, word, &x)) != 0)
			return r;
		if (!item_dup(it, nit, &x.t)) {
			if (nit == nitems(it))
				return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST,
				    "proposal %zu \"%s\": more than %zu keywords", idx, text, nitems(it));
			if (x.t.type == RKMP_TRANS_ENCR && !any_aead && !any_plain)
				aead_first = x.aead;
			if (x.t.type == RKMP_TRANS_ENCR) {
				if (x.aead)
					any_aead = true;
				else
					any_plain = true;
			}
			if (x.t.type == RKMP_TRANS_PRF)
				have_prf = true;
			it[nit++] = x;
		}
		if (dash == NULL)
			break;
		pos = end + 1;
	}
	/* IKE without a prf keyword: the PRF of each INTEG keyword, in order. */
	if (pr->prf_from_integ && !have_prf) {
		size_t nint = nit;

		for (size_t i = 0; i < nint; i++) {
			struct item x = { { RKMP_TRANS_PRF, 0, 0 }, false };

			if (it[i].t.type != RKMP_TRANS_INTEG)
				continue;
			for (size_t j = 0; j < nitems(integ_prf); j++)
				if (integ_prf[j].integ == it[i].t.id)
					x.t.id = integ_prf[j].prf;
			if (x.t.id == 0 || item_dup(it, nit, &x.t))
				continue;
			if (nit == nitems(it))
				return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST,
				    "proposal %zu \"%s\": more than %zu keywords", idx, text, nitems(it));
			it[nit++] = x;
		}
	}
	/* AEAD and non-AEAD ciphers: two proposals, in the order of the first cipher. */
	for (int k = 0; k < 2; k++) {
		int part = PART_ALL;

		if (any_aead && any_plain)
			part = (k == 0) == aead_first ? PART_AEAD : PART_PLAIN;
		else if (k == 1)
			break;
		if (*count == max)
			return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST,
			    "proposal %zu \"%s\": more than %zu proposals", idx, text, max);
		if ((r = build_spec(pr, it, nit, part, idx, text, &specs[*count])) != 0)
			return r;
		(*count)++;
	}
	return 0;
}

int
rkmp_proposal_parse(const char *list, uint8_t protocol, struct rkmp_prop_spec *specs,
    size_t max, size_t *n)
{
	const struct rkmp_protocol *pr;
	const char *p;
	size_t count = 0, idx = 0;
	int r;

	if (n != NULL)
		*n = 0;
	if ((pr = rkmp_protocol_proposals(protocol)) == NULL)
		return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST,
		    "protocol %u (%s) has no proposals here (%s)", protocol,
		    rkmp_name_or(RKMP_REG_PROTOCOL, protocol), rkmp_protocol_ids());
	for (p = list; p != NULL && is_space(*p); p++)
		;
	if (p == NULL || *p == '\0')
		return rkmp_err_set(RKMP_E_USAGE, WHERE_LIST, "empty proposal list");
	for (p = list;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);

		if ((r = parse_one(pr, ++idx, p, len, specs, max, &count)) != 0)
			return r;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (n != NULL)
		*n = count;
	return 0;
}

const char *
rkmp_proposal_default(uint8_t protocol)
{
	const struct rkmp_protocol *p = rkmp_protocol_proposals(protocol);

	return p != NULL ? p->proposal : NULL;
}

/* ------------------------------------------------------------------ SA payload */

static int
nomem(void)
{
	return rkmp_err_set(RKMP_E_NOMEM, WHERE_SA, "proposal structures");
}

/* A proposal struct: transforms in ascending type order, Key Length as a TV attribute. */
static int
fill_proposal(struct rkmp_arena *a, struct rkmp_proposal *p, uint8_t num, uint8_t protocol,
    const uint8_t *spi, size_t spi_len, const struct rkmp_prop_transform *t, size_t nt)
{
	struct rkmp_prop_transform tmp[RKMP_PROP_TRANSFORMS_MAX];
	struct rkmp_attr *attr = NULL;
	size_t nattr = 0, k = 0;

	if (nt == 0 || nt > RKMP_PROP_TRANSFORMS_MAX)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE_SA, "proposal %u: %zu transforms",
		    num, nt);
	memcpy(tmp, t, nt * sizeof(*t));
	sort_by_type(tmp, nt);
	for (size_t i = 0; i < nt; i++)
		if (tmp[i].key_bits != 0)
			nattr++;
	memset(p, 0, sizeof(*p));
	p->num = num;
	p->protocol = protocol;
	p->spi_size = (uint8_t)spi_len;
	p->spi = spi_len > 0 ? spi : NULL;
	if ((p->trans = rkmp_arena_alloc(a, nt * sizeof(*p->trans))) == NULL ||
	    (nattr > 0 && (attr = rkmp_arena_alloc(a, nattr * sizeof(*attr))) == NULL))
		return nomem();
	p->ntrans = nt;
	for (size_t i = 0; i < nt; i++) {
		struct rkmp_transform *tr = &p->trans[i];

		tr->type = tmp[i].type;
		tr->id = tmp[i].id;
		tr->key_length = -1;
		if (tmp[i].key_bits != 0) {
			tr->key_length = tmp[i].key_bits;
			tr->attr = &attr[k++];
			tr->nattr = 1;
			tr->attr->type = RKMP_ATTR_KEY_LENGTH;
			tr->attr->tv = true;
			tr->attr->value = tmp[i].key_bits;
		}
	}
	return 0;
}

static int
sa_start(struct rkmp_arena *a, size_t n, const uint8_t *spi, size_t spi_len,
    struct rkmp_pld *sa)
{
	if (sa == NULL || n == 0 || n > 255)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE_SA, "%zu proposals", n);
	if (spi_len > 255 || (spi_len > 0 && spi == NULL))
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE_SA, "SPI of %zu octets%s", spi_len,
		    spi == NULL ? " without data" : "");
	memset(sa, 0, sizeof(*sa));
	sa->type = RKMP_PLD_SA;
	sa->known = true;
	if ((sa->u.sa.prop = rkmp_arena_alloc(a, n * sizeof(*sa->u.sa.prop))) == NULL)
		return nomem();
	sa->u.sa.nprop = n;
	return 0;
}

int
rkmp_proposal_to_sa(struct rkmp_arena *a, const struct rkmp_prop_spec *specs, size_t n,
    const uint8_t *spi, size_t spi_len, struct rkmp_pld *sa)
{
	int r;

	if ((r = sa_start(a, n, spi, spi_len, sa)) != 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = fill_proposal(a, &sa->u.sa.prop[i], (uint8_t)(i + 1), specs[i].protocol,
		    spi, spi_len, specs[i].trans, specs[i].ntrans)) != 0)
			return r;
	return 0;
}

int
rkmp_proposal_choice_to_sa(struct rkmp_arena *a, const struct rkmp_prop_choice *c,
    const uint8_t *spi, size_t spi_len, struct rkmp_pld *sa)
{
	int r;

	if (c->num == 0 || c->ntrans > nitems(c->trans))
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE_SA, "choice: proposal %u, %zu transforms",
		    c->num, c->ntrans);
	if ((r = sa_start(a, 1, spi, spi_len, sa)) != 0)
		return r;
	return fill_proposal(a, &sa->u.sa.prop[0], c->num, c->protocol, spi, spi_len, c->trans,
	    c->ntrans);
}

/* ------------------------------------------------------------------ selection */

/* Only Key Length is an attribute we know (RFC 7296 §3.3.5). */
static bool
attrs_known(const struct rkmp_transform *t)
{
	for (size_t k = 0; k < t->nattr; k++)
		if (t->attr[k].type != RKMP_ATTR_KEY_LENGTH)
			return false;
	return true;
}

static bool
trans_eq(const struct rkmp_transform *t, const struct rkmp_prop_transform *o)
{
	if (t->type != o->type || t->id != o->id || !attrs_known(t))
		return false;
	if (t->key_length < 0)
		return o->key_bits == 0;
	return o->key_bits != 0 && t->key_length == (int)o->key_bits;
}

static bool
peer_offers_none(const struct rkmp_proposal *p, uint8_t type)
{
	for (size_t i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && p->trans[i].id == 0 && p->trans[i].nattr == 0)
			return true;
	return false;
}

/* Whether a choice holds the protocol's mandatory types; the first missing one. */
static bool
choice_complete(const struct rkmp_prop_choice *c, uint8_t *missing)
{
	const struct rkmp_protocol *pr = rkmp_protocol_proposals(c->protocol);
	uint32_t have = 0;
	bool aead = false;

	if (pr == NULL)
		return true;
	for (size_t i = 0; i < c->ntrans; i++) {
		have |= type_bit(c->trans[i].type);
		if (c->trans[i].type == RKMP_TRANS_ENCR && encr_is_aead(c->trans[i].id))
			aead = true;
	}
	for (size_t i = 0; i < nitems(missing_text); i++) {
		uint8_t t = missing_text[i].type;
		bool need = (pr->required & type_bit(t)) != 0 ||
		    (t == RKMP_TRANS_INTEG && pr->integ_unless_aead && !aead);

		if (need && !(have & type_bit(t))) {
			*missing = t;
			return false;
		}
	}
	return true;
}

/*
 * Whether spec s accepts peer proposal p; the choice when it does.  Every
 * type of either side must be on both (strongSwan's select_algos), except:
 * INTEG after an AEAD cipher was chosen, and a type the peer offers NONE of.
 */
static bool
match(const struct rkmp_proposal *p, const struct rkmp_prop_spec *s, bool prefer_ours,
    struct rkmp_prop_choice *c)
{
	bool in_peer[256] = { false }, in_ours[256] = { false }, aead = false;
	uint8_t missing;

	memset(c, 0, sizeof(*c));
	if (p->protocol != s->protocol)
		return false;
	c->num = p->num;
	c->protocol = p->protocol;
	for (size_t i = 0; i < p->ntrans; i++)
		in_peer[p->trans[i].type] = true;
	for (size_t i = 0; i < s->ntrans; i++)
		in_ours[s->trans[i].type] = true;
	for (unsigned t = 0; t < 256; t++) {
		const struct rkmp_prop_transform *pick = NULL;

		if (!in_peer[t] && !in_ours[t])
			continue;
		if (!in_ours[t]) {
			if (t == RKMP_TRANS_INTEG && aead)
				continue;
			if (none_means_absent(t) && peer_offers_none(p, (uint8_t)t))
				continue;
			return false;
		}
		if (!in_peer[t])
			return false;
		if (prefer_ours) {
			for (size_t j = 0; j < s->ntrans && pick == NULL; j++)
				for (size_t i = 0; i < p->ntrans && pick == NULL; i++)
					if (s->trans[j].type == t && trans_eq(&p->trans[i], &s->trans[j]))
						pick = &s->trans[j];
		} else {
			for (size_t i = 0; i < p->ntrans && pick == NULL; i++)
				for (size_t j = 0; j < s->ntrans && pick == NULL; j++)
					if (p->trans[i].type == t && trans_eq(&p->trans[i], &s->trans[j]))
						pick = &s->trans[j];
		}
		if (pick == NULL || c->ntrans == nitems(c->trans))
			return false;
		c->trans[c->ntrans++] = *pick;
		if (t == RKMP_TRANS_ENCR)
			aead = encr_is_aead(pick->id);
	}
	return choice_complete(c, &missing);
}

static int
check_sa(const struct rkmp_pld *sa, const char *what)
{
	if (sa == NULL || sa->type != RKMP_PLD_SA || !sa->known)
		return rkmp_err_set(RKMP_E_INTERNAL, WHERE_SA, "%s is not a decoded SA payload",
		    what);
	return 0;
}

int
rkmp_proposal_select_pref(const struct rkmp_pld *offer, const struct rkmp_prop_spec *ours,
    size_t n, int prefer, struct rkmp_prop_choice *choice, const uint8_t **peer_spi,
    size_t *peer_spi_len)
{
	const struct rkmp_proposal *hit = NULL;
	struct rkmp_prop_choice c;
	char offered[180], accepted[150];
	size_t np, len = 0;
	bool full = false, ours_first = prefer == RKMP_PROP_PREFER_OURS;
	int r;

	if ((r = check_sa(offer, "offer")) != 0)
		return r;
	np = offer->u.sa.nprop;
	for (size_t a = 0; a < (ours_first ? n : np) && hit == NULL; a++)
		for (size_t b = 0; b < (ours_first ? np : n) && hit == NULL; b++) {
			const struct rkmp_proposal *p = &offer->u.sa.prop[ours_first ? b : a];

			if (match(p, &ours[ours_first ? a : b], ours_first, &c))
				hit = p;
		}
	if (hit != NULL) {
		*choice = c;
		if (peer_spi != NULL)
			*peer_spi = hit->spi;
		if (peer_spi_len != NULL)
			*peer_spi_len = hit->spi_size;
		return 0;
	}
	offered[0] = '\0';
	for (size_t i = 0; i < np; i++) {
		char one[256];

		fmt_peer(&offer->u.sa.prop[i], n > 0 ? ours[0].protocol : 0, one, sizeof(one));
		list_add(offered, sizeof(offered), &len, &full, one);
	}
	rkmp_proposal_format_list(ours, n, accepted, sizeof(accepted));
	return rkmp_err_set(RKMP_E_REFUSED, WHERE_SA, "no proposal chosen: offered %s, accepted %s",
	    offered, n > 0 ? accepted : "nothing");
}

int
rkmp_proposal_select(const struct rkmp_pld *offer, const struct rkmp_prop_spec *ours,
    size_t n, struct rkmp_prop_choice *choice, const uint8_t **peer_spi, size_t *peer_spi_len)
{
	return rkmp_proposal_select_pref(offer, ours, n, RKMP_PROP_PREFER_PEER, choice, peer_spi,
	    peer_spi_len);
}

int
rkmp_proposal_accept(const struct rkmp_pld *answer, const struct rkmp_prop_spec *offered,
    size_t n, struct rkmp_prop_choice *choice, const uint8_t **peer_spi, size_t *peer_spi_len)
{
	const struct rkmp_proposal *p;
	const struct rkmp_prop_spec *s;
	struct rkmp_prop_choice c;
	char d[96];
	uint8_t missing;
	int r;

	if ((r = check_sa(answer, "answer")) != 0)
		return r;
	if (answer->u.sa.nprop != 1)
		return rkmp_err_set(RKMP_E_INVALID, WHERE_SA, "answer has %zu proposals, expected 1",
		    answer->u.sa.nprop);
	p = &answer->u.sa.prop[0];
	if (p->num == 0 || p->num > n)
		return rkmp_err_set(RKMP_E_INVALID, WHERE_SA,
		    "answer proposal number %u, we sent 1..%zu", p->num, n);
	s = &offered[p->num - 1];
	if (p->protocol != s->protocol)
		return rkmp_err_set(RKMP_E_INVALID, WHERE_SA,
		    "answer proposal %u has protocol %s, we offered %s", p->num,
		    rkmp_name_or(RKMP_REG_PROTOCOL, p->protocol),
		    rkmp_name_or(RKMP_REG_PROTOCOL, s->protocol));
	memset(&c, 0, sizeof(c));
	c.num = p->num;
	c.protocol = p->protocol;
	for (size_t i = 0; i < p->ntrans; i++) {
		const struct rkmp_transform *t = &p->trans[i];
		const struct rkmp_prop_transform *o = NULL;

		for (size_t j = 0; j < i; j++)
			if (p->trans[j].type == t->type)
				return rkmp_err_set(RKMP_E_INVALID, WHERE_SA,
				    "answer proposal %u has more than one %s transform", p->num,
				    type_name(t->type));
		desc_trans(t, d, sizeof(d));
		for (size_t k = 0; k < t->nattr; k++)
			if (t->attr[k].type != RKMP_ATTR_KEY_LENGTH)
				return rkmp_err_set(RKMP_E_INVALID, WHERE_SA,
				    "answer proposal %u has %s with attribute type %u, not offered",
				    p->num, d, t->attr[k].type);
		for (size_t j = 0; j < s->ntrans && o == NULL; j++)
			if (trans_eq(t, &s->trans[j]))
				o = &s->trans[j];
		if (o == NULL)
			return rkmp_err_set(RKMP_E_INVALID, WHERE_SA,
			    "answer proposal %u has %s, not offered", p->num, d);
		if (c.ntrans == nitems(c.trans))
			return rkmp_err_set(RKMP_E_INVALID, WHERE_SA,
			    "answer proposal %u has more than %zu transforms", p->num, nitems(c.trans));
		c.trans[c.ntrans++] = *o;
	}
	for (size_t j = 0; j < s->ntrans; j++) {
		bool found = false;

		for (size_t i = 0; i < p->ntrans && !found; i++)
			found = p->trans[i].type == s->trans[j].type;
		if (!found)
			return rkmp_err_set(RKMP_E_INVALID, WHERE_SA,
			    "answer proposal %u has no %s transform", p->num,
			    type_name(s->trans[j].type));
	}
	if (!choice_complete(&c, &missing))
		return rkmp_err_set(RKMP_E_INVALID, WHERE_SA,
		    "answer proposal %u has no %s transform", p->num, type_name(missing));
	sort_by_type(c.trans, c.ntrans);
	*choice = c;
	if (peer_spi != NULL)
		*peer_spi = p->spi;
	if (peer_spi_len != NULL)
		*peer_spi_len = p->spi_size;
	return 0;
}

/* ------------------------------------------------------------------ queries */

int
rkmp_proposal_get(const struct rkmp_prop_choice *c, uint8_t type, uint16_t *key_bits)
{
	for (size_t i = 0; i < c->ntrans && i < nitems(c->trans); i++) {
		if (c->trans[i].type != type)
			continue;
		if (c->trans[i].id == 0 && none_means_absent(type))
			break;
		if (key_bits != NULL)
			*key_bits = c->trans[i].key_bits;
		return c->trans[i].id;
	}
	if (key_bits != NULL)
		*key_bits = 0;
	return -1;
}

int
rkmp_proposal_first_group(const struct rkmp_prop_spec *specs, size_t n)
{
	if (n == 0)
		return -1;
	for (size_t i = 0; i < specs[0].ntrans; i++)
		if (specs[0].trans[i].type == RKMP_TRANS_DH && specs[0].trans[i].id != 0)
			return specs[0].trans[i].id;
	return -1;
}

int
rkmp_proposal_has_group(const struct rkmp_prop_spec *specs, size_t n, uint16_t g)
{
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < specs[k].ntrans; i++)
			if (specs[k].trans[i].type == RKMP_TRANS_DH && specs[k].trans[i].id == g)
				return 1;
	return 0;
}

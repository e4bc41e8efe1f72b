/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <strings.h>

#include "names.h"
#include "nitems.h"
#include "protocols.h"

struct name_map {
	unsigned	 v;
	const char	*name;
};

#define END { 0, NULL }

static const struct name_map exchange_names[] = {
	{ 34, "IKE_SA_INIT" }, { 35, "IKE_AUTH" }, { 36, "CREATE_CHILD_SA" },
	{ 37, "INFORMATIONAL" }, { 38, "IKE_SESSION_RESUME" }, { 39, "GSA_AUTH" },
	{ 40, "GSA_REGISTRATION" }, { 41, "GSA_REKEY" }, { 42, "GSA_INBAND_REKEY" },
	{ 43, "IKE_INTERMEDIATE" }, { 44, "IKE_FOLLOWUP_KE" }, END
};

static const struct name_map exchange_rkmp_names[] = {
	{ 34, "RKMP_SA_INIT" }, { 35, "RKMP_SA_AUTH" }, { 36, "RKMP_CHILD_SA" },
	{ 37, "RKMP_INFORMATIONAL" }, END
};

static const struct name_map payload_names[] = {
	{ 0, "NONE" }, { 33, "SA" }, { 34, "KE" }, { 35, "IDi" }, { 36, "IDr" },
	{ 37, "CERT" }, { 38, "CERTREQ" }, { 39, "AUTH" }, { 40, "Nonce" }, { 41, "N" },
	{ 42, "D" }, { 43, "V" }, { 44, "TSi" }, { 45, "TSr" }, { 46, "SK" }, { 47, "CP" },
	{ 48, "EAP" }, { 49, "GSPM" }, { 50, "IDg" }, { 51, "GSA" }, { 52, "KD" },
	{ 53, "SKF" }, { 54, "PS" }, END
};

static const struct name_map payload_long_names[] = {
	{ 0, "No Next Payload" }, { 33, "Security Association" }, { 34, "Key Exchange" },
	{ 35, "Identification - Initiator" }, { 36, "Identification - Responder" },
	{ 37, "Certificate" }, { 38, "Certificate Request" }, { 39, "Authentication" },
	{ 40, "Nonce" }, { 41, "Notify" }, { 42, "Delete" }, { 43, "Vendor ID" },
	{ 44, "Traffic Selector - Initiator" }, { 45, "Traffic Selector - Responder" },
	{ 46, "Encrypted and Authenticated" }, { 47, "Configuration" },
	{ 48, "Extensible Authentication" }, { 49, "Generic Secure Password Method" },
	{ 50, "Group Identification" }, { 51, "Group Security Association" },
	{ 52, "Key Download" }, { 53, "Encrypted and Authenticated Fragment" },
	{ 54, "Puzzle Solution" }, END
};

/* IANA's; RKMP's private-use values (201-255) are named by their descriptors
 * (protocols.c: reg_name). */
static const struct name_map protocol_names[] = {
	{ 0, "NONE" }, { 1, "IKE" }, { 2, "AH" }, { 3, "ESP" }, { 4, "FC_ESP_HEADER" },
	{ 5, "FC_CT_AUTHENTICATION" }, { 6, "GIKE_UPDATE" }, END
};

static const struct name_map transform_names[] = {
	{ 1, "ENCR" }, { 2, "PRF" }, { 3, "INTEG" }, { 4, "DH" }, { 5, "ESN" },
	{ 6, "ADDKE1" }, { 7, "ADDKE2" }, { 8, "ADDKE3" }, { 9, "ADDKE4" }, { 10, "ADDKE5" },
	{ 11, "ADDKE6" }, { 12, "ADDKE7" }, { 13, "KWA" }, { 14, "GCAUTH" },
	{ 241, "TCP_OPTIONS" }, { 242, "BFD_AUTH_MODE" }, { 243, "RSVP_TE_HANDSHAKE" }, END
};

static const struct name_map encr_names[] = {
	{ 1, "ENCR_DES_IV64" }, { 2, "ENCR_DES" }, { 3, "ENCR_3DES" }, { 4, "ENCR_RC5" },
	{ 5, "ENCR_IDEA" }, { 6, "ENCR_CAST" }, { 7, "ENCR_BLOWFISH" }, { 8, "ENCR_3IDEA" },
	{ 9, "ENCR_DES_IV32" }, { 11, "ENCR_NULL" }, { 12, "ENCR_AES_CBC" },
	{ 13, "ENCR_AES_CTR" }, { 14, "ENCR_AES_CCM_8" }, { 15, "ENCR_AES_CCM_12" },
	{ 16, "ENCR_AES_CCM_16" }, { 18, "ENCR_AES_GCM_8" }, { 19, "ENCR_AES_GCM_12" },
	{ 20, "ENCR_AES_GCM_16" }, { 21, "ENCR_NULL_AUTH_AES_GMAC" },
	{ 23, "ENCR_CAMELLIA_CBC" }, { 24, "ENCR_CAMELLIA_CTR" },
	{ 25, "ENCR_CAMELLIA_CCM_8" }, { 26, "ENCR_CAMELLIA_CCM_12" },
	{ 27, "ENCR_CAMELLIA_CCM_16" }, { 28, "ENCR_CHACHA20_POLY1305" }, END
};

static const struct name_map prf_names[] = {
	{ 1, "PRF_HMAC_MD5" }, { 2, "PRF_HMAC_SHA1" }, { 3, "PRF_HMAC_TIGER" },
	{ 4, "PRF_AES128_XCBC" }, { 5, "PRF_HMAC_SHA2_256" }, { 6, "PRF_HMAC_SHA2_384" },
	{ 7, "PRF_HMAC_SHA2_512" }, { 8, "PRF_AES128_CMAC" }, END
};

static const struct name_map integ_names[] = {
	{ 0, "NONE" }, { 1, "AUTH_HMAC_MD5_96" }, { 2, "AUTH_HMAC_SHA1_96" },
	{ 3, "AUTH_DES_MAC" }, { 4, "AUTH_KPDK_MD5" }, { 5, "AUTH_AES_XCBC_96" },
	{ 6, "AUTH_HMAC_MD5_128" }, { 7, "AUTH_HMAC_SHA1_160" }, { 8, "AUTH_AES_CMAC_96" },
	{ 9, "AUTH_AES_128_GMAC" }, { 10, "AUTH_AES_192_GMAC" }, { 11, "AUTH_AES_256_GMAC" },
	{ 12, "AUTH_HMAC_SHA2_256_128" }, { 13, "AUTH_HMAC_SHA2_384_192" },
	{ 14, "AUTH_HMAC_SHA2_512_256" }, END
};

static const struct name_map dh_names[] = {
	{ 0, "NONE" }, { 1, "MODP_768" }, { 2, "MODP_1024" }, { 5, "MODP_1536" },
	{ 14, "MODP_2048" }, { 15, "MODP_3072" }, { 16, "MODP_4096" }, { 17, "MODP_6144" },
	{ 18, "MODP_8192" }, { 19, "ECP_256" }, { 20, "ECP_384" }, { 21, "ECP_521" },
	{ 22, "MODP_1024_160" }, { 23, "MODP_2048_224" }, { 24, "MODP_2048_256" },
	{ 25, "ECP_192" }, { 26, "ECP_224" }, { 27, "BRAINPOOL_P224" },
	{ 28, "BRAINPOOL_P256" }, { 29, "BRAINPOOL_P384" }, { 30, "BRAINPOOL_P512" },
	{ 31, "CURVE25519" }, { 32, "CURVE448" }, { 33, "GOST3410_2012_256" },
	{ 34, "GOST3410_2012_512" }, { 35, "ML_KEM_512" }, { 36, "ML_KEM_768" },
	{ 37, "ML_KEM_1024" }, END
};

static const struct name_map esn_names[] = {
	{ 0, "NO_ESN" }, { 1, "ESN" }, END
};

static const struct name_map tcp_options_names[] = {
	{ 0, "NO_PROTECT_OPTIONS" }, { 1, "PROTECT_OPTIONS" }, END
};

static const struct name_map bfd_auth_names[] = {
	{ 0, "BASE_AUTH" }, { 1, "BASE_METICULOUS_AUTH" }, { 2, "GENERIC_AUTH" },
	{ 3, "GENERIC_METICULOUS_AUTH" }, END
};

static const struct name_map rsvp_hs_names[] = {
	{ 0, "NOT_ALLOWED" }, { 1, "ALLOWED" }, END
};

static const struct name_map attribute_names[] = {
	{ 14, "KEY_LENGTH" }, END
};

static const struct name_map notify_names[] = {
	{ 1, "UNSUPPORTED_CRITICAL_PAYLOAD" }, { 4, "INVALID_IKE_SPI" },
	{ 5, "INVALID_MAJOR_VERSION" }, { 7, "INVALID_SYNTAX" }, { 9, "INVALID_MESSAGE_ID" },
	{ 11, "INVALID_SPI" }, { 14, "NO_PROPOSAL_CHOSEN" }, { 17, "INVALID_KE_PAYLOAD" },
	{ 24, "AUTHENTICATION_FAILED" }, { 34, "SINGLE_PAIR_REQUIRED" },
	{ 35, "NO_ADDITIONAL_SAS" }, { 36, "INTERNAL_ADDRESS_FAILURE" },
	{ 37, "FAILED_CP_REQUIRED" }, { 38, "TS_UNACCEPTABLE" }, { 39, "INVALID_SELECTORS" },
	{ 40, "UNACCEPTABLE_ADDRESSES" }, { 41, "UNEXPECTED_NAT_DETECTED" },
	{ 42, "USE_ASSIGNED_HoA" }, { 43, "TEMPORARY_FAILURE" }, { 44, "CHILD_SA_NOT_FOUND" },
	{ 45, "INVALID_GROUP_ID" }, { 46, "AUTHORIZATION_FAILED" }, { 47, "STATE_NOT_FOUND" },
	{ 48, "TS_MAX_QUEUE" }, { 8192, "MaRK_WRONG_GCKS" }, { 8193, "MaRK_GCKS_UNKNOWN" },
	{ 16384, "INITIAL_CONTACT" }, { 16385, "SET_WINDOW_SIZE" },
	{ 16386, "ADDITIONAL_TS_POSSIBLE" }, { 16387, "IPCOMP_SUPPORTED" },
	{ 16388, "NAT_DETECTION_SOURCE_IP" }, { 16389, "NAT_DETECTION_DESTINATION_IP" },
	{ 16390, "COOKIE" }, { 16391, "USE_TRANSPORT_MODE" },
	{ 16392, "HTTP_CERT_LOOKUP_SUPPORTED" }, { 16393, "REKEY_SA" },
	{ 16394, "ESP_TFC_PADDING_NOT_SUPPORTED" }, { 16395, "NON_FIRST_FRAGMENTS_ALSO" },
	{ 16396, "MOBIKE_SUPPORTED" }, { 16397, "ADDITIONAL_IP4_ADDRESS" },
	{ 16398, "ADDITIONAL_IP6_ADDRESS" }, { 16399, "NO_ADDITIONAL_ADDRESSES" },
	{ 16400, "UPDATE_SA_ADDRESSES" }, { 16401, "COOKIE2" }, { 16402, "NO_NATS_ALLOWED" },
	{ 16403, "AUTH_LIFETIME" }, { 16404, "MULTIPLE_AUTH_SUPPORTED" },
	{ 16405, "ANOTHER_AUTH_FOLLOWS" }, { 16406, "REDIRECT_SUPPORTED" },
	{ 16407, "REDIRECT" }, { 16408, "REDIRECTED_FROM" }, { 16409, "TICKET_LT_OPAQUE" },
	{ 16410, "TICKET_REQUEST" }, { 16411, "TICKET_ACK" }, { 16412, "TICKET_NACK" },
	{ 16413, "TICKET_OPAQUE" }, { 16414, "LINK_ID" }, { 16415, "USE_WESP_MODE" },
	{ 16416, "ROHC_SUPPORTED" }, { 16417, "EAP_ONLY_AUTHENTICATION" },
	{ 16418, "CHILDLESS_IKEV2_SUPPORTED" }, { 16419, "QUICK_CRASH_DETECTION" },
	{ 16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED" }, { 16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED" },
	{ 16422, "IKEV2_MESSAGE_ID_SYNC" }, { 16423, "IPSEC_REPLAY_COUNTER_SYNC" },
	{ 16424, "SECURE_PASSWORD_METHODS" }, { 16425, "PSK_PERSIST" },
	{ 16426, "PSK_CONFIRM" }, { 16427, "ERX_SUPPORTED" }, { 16428, "IFOM_CAPABILITY" },
	{ 16429, "SENDER_REQUEST_ID" }, { 16430, "IKEV2_FRAGMENTATION_SUPPORTED" },
	{ 16431, "SIGNATURE_HASH_ALGORITHMS" }, { 16432, "CLONE_IKE_SA_SUPPORTED" },
	{ 16433, "CLONE_IKE_SA" }, { 16434, "PUZZLE" }, { 16435, "USE_PPK" },
	{ 16436, "PPK_IDENTITY" }, { 16437, "NO_PPK_AUTH" },
	{ 16438, "INTERMEDIATE_EXCHANGE_SUPPORTED" }, { 16439, "IP4_ALLOWED" },
	{ 16440, "IP6_ALLOWED" }, { 16441, "ADDITIONAL_KEY_EXCHANGE" },
	{ 16442, "USE_AGGFRAG" }, { 16443, "SUPPORTED_AUTH_METHODS" },
	{ 40960, "RKMP_SA_REVOKED" }, END
};

static const struct name_map id_names[] = {
	{ 1, "ID_IPV4_ADDR" }, { 2, "ID_FQDN" }, { 3, "ID_RFC822_ADDR" }, { 5, "ID_IPV6_ADDR" },
	{ 9, "ID_DER_ASN1_DN" }, { 10, "ID_DER_ASN1_GN" }, { 11, "ID_KEY_ID" },
	{ 12, "ID_FC_NAME" }, { 13, "ID_NULL" }, END
};

static const struct name_map auth_names[] = {
	{ 1, "RSA_SIG" }, { 2, "PSK" }, { 3, "DSS_SIG" }, { 9, "ECDSA_SHA256_P256" },
	{ 10, "ECDSA_SHA384_P384" }, { 11, "ECDSA_SHA512_P521" }, { 12, "GSPAM" },
	{ 13, "NULL" }, { 14, "DIGITAL_SIGNATURE" }, END
};

static const struct name_map cert_names[] = {
	{ 1, "PKCS7_X509" }, { 2, "PGP" }, { 3, "DNS_SIGNED_KEY" }, { 4, "X509_SIGNATURE" },
	{ 6, "KERBEROS_TOKEN" }, { 7, "CRL" }, { 8, "ARL" }, { 9, "SPKI" },
	{ 10, "X509_ATTRIBUTE" }, { 11, "RAW_RSA_KEY" }, { 12, "HASH_URL_X509_CERT" },
	{ 13, "HASH_URL_X509_BUNDLE" }, { 14, "OCSP_CONTENT" }, { 15, "RAW_PUBLIC_KEY" }, END
};

static const struct name_map ts_names[] = {
	{ 7, "TS_IPV4_ADDR_RANGE" }, { 8, "TS_IPV6_ADDR_RANGE" }, { 9, "TS_FC_ADDR_RANGE" },
	{ 10, "TS_SECLABEL" }, END
};

static const struct name_map hash_names[] = {
	{ 0, "RESERVED" }, { 1, "SHA1" }, { 2, "SHA2_256" }, { 3, "SHA2_384" },
	{ 4, "SHA2_512" }, { 5, "IDENTITY" }, END
};

static const struct name_map cfg_names[] = {
	{ 1, "CFG_REQUEST" }, { 2, "CFG_REPLY" }, { 3, "CFG_SET" }, { 4, "CFG_ACK" }, END
};

static const struct name_map *const registries[RKMP_REG_MAX_] = {
	[RKMP_REG_EXCHANGE] = exchange_names,
	[RKMP_REG_EXCHANGE_RKMP] = exchange_rkmp_names,
	[RKMP_REG_PAYLOAD] = payload_names,
	[RKMP_REG_PAYLOAD_LONG] = payload_long_names,
	[RKMP_REG_PROTOCOL] = protocol_names,
	[RKMP_REG_TRANSFORM] = transform_names,
	[RKMP_REG_ENCR] = encr_names,
	[RKMP_REG_PRF] = prf_names,
	[RKMP_REG_INTEG] = integ_names,
	[RKMP_REG_DH] = dh_names,
	[RKMP_REG_ESN] = esn_names,
	[RKMP_REG_TCP_OPTIONS] = tcp_options_names,
	[RKMP_REG_BFD_AUTH] = bfd_auth_names,
	[RKMP_REG_RSVP_HS] = rsvp_hs_names,
	[RKMP_REG_ATTRIBUTE] = attribute_names,
	[RKMP_REG_NOTIFY] = notify_names,
	[RKMP_REG_ID] = id_names,
	[RKMP_REG_AUTH] = auth_names,
	[RKMP_REG_CERT] = cert_names,
	[RKMP_REG_TS] = ts_names,
	[RKMP_REG_HASH] = hash_names,
	[RKMP_REG_CFG] = cfg_names,
};

/* Which registry names a transform type's IDs. */
static const struct {
	unsigned	 type;
	enum rkmp_reg	 reg;
} transform_regs[] = {
	{ 1, RKMP_REG_ENCR }, { 2, RKMP_REG_PRF }, { 3, RKMP_REG_INTEG }, { 4, RKMP_REG_DH },
	{ 5, RKMP_REG_ESN }, { 6, RKMP_REG_DH }, { 7, RKMP_REG_DH }, { 8, RKMP_REG_DH },
	{ 9, RKMP_REG_DH }, { 10, RKMP_REG_DH }, { 11, RKMP_REG_DH }, { 12, RKMP_REG_DH },
	{ 241, RKMP_REG_TCP_OPTIONS }, { 242, RKMP_REG_BFD_AUTH }, { 243, RKMP_REG_RSVP_HS },
};

const char *
rkmp_name(enum rkmp_reg reg, unsigned v)
{
	const struct rkmp_protocol *p;
	const struct name_map *m;

	if ((unsigned)reg >= RKMP_REG_MAX_)
		return NULL;
	for (m = registries[reg]; m->name != NULL; m++)
		if (m->v == v)
			return m->name;
	if (reg == RKMP_REG_PROTOCOL && v <= UINT8_MAX && (p = rkmp_protocol_by_id((uint8_t)v)) != NULL)
		return p->reg_name;
	return NULL;
}

const char *
rkmp_name_or(enum rkmp_reg reg, unsigned v)
{
	static _Thread_local char bufs[8][24];
	static _Thread_local unsigned next;
	const char *n = rkmp_name(reg, v);
	char *b;

	if (n != NULL)
		return n;
	b = bufs[next++ % 8];
	snprintf(b, sizeof(bufs[0]), "UNKNOWN_%u", v);
	return b;
}

bool
rkmp_name_value(enum rkmp_reg reg, const char *name, unsigned *v)
{
	const struct rkmp_protocol *p;
	const struct name_map *m;

	if ((unsigned)reg >= RKMP_REG_MAX_ || name == NULL)
		return false;
	for (m = registries[reg]; m->name != NULL; m++)
		if (strcasecmp(m->name, name) == 0) {
			*v = m->v;
			return true;
		}
	for (size_t i = 0; reg == RKMP_REG_PROTOCOL && (p = rkmp_protocol_at(i)) != NULL; i++)
		if (strcasecmp(p->reg_name, name) == 0) {
			*v = p->id;
			return true;
		}
	return false;
}

enum rkmp_reg
rkmp_transform_reg(unsigned type)
{
	for (size_t i = 0; i < nitems(transform_regs); i++)
		if (transform_regs[i].type == type)
			return transform_regs[i].reg;
	return RKMP_REG_MAX_;
}

/* SPDX-License-Identifier: MIT */
/*
 * wire.h — every protocol number and fixed size, with its source.
 * RFC 7296 (IKEv2) unless noted; RKMP's own values are private-use numbers
 * chosen in DESIGN.md §2 (the draft's numbers now collide with IANA's).
 */
#ifndef RKMP_WIRE_H
#define RKMP_WIRE_H

/* IKE header (RFC 7296 §3.1): 28 octets. */
#define RKMP_HDR_LEN		28
#define RKMP_GEN_HDR_LEN	4	/* generic payload header (§3.2) */
#define RKMP_VERSION_2_0	0x20
#define RKMP_FLAG_R		0x20	/* response */
#define RKMP_FLAG_V		0x10	/* higher version capable */
#define RKMP_FLAG_I		0x08	/* sent by the original initiator */
#define RKMP_CRITICAL		0x80	/* C bit: high bit of octet 1 (§3.2) */
#define RKMP_MSG_MAX		65535
#define RKMP_NONESP_MARKER_LEN	4	/* RFC 3948 non-ESP marker on 4500 */

/* UDP ports: IKE (RFC 7296 §2), NAT traversal (§2.23, RFC 3948), RKMP (DESIGN.md §2). */
#define RKMP_PORT_IKE		500
#define RKMP_PORT_NATT		4500
#define RKMP_PORT_RKMP		50500

/* Exchange types (§3.1; RKMP names when the profile is rkmp). */
#define RKMP_EXCH_IKE_SA_INIT	34
#define RKMP_EXCH_IKE_AUTH	35
#define RKMP_EXCH_CREATE_CHILD	36
#define RKMP_EXCH_INFORMATIONAL	37

/* Payload types (§3.2; RFC 7383 for SKF). */
#define RKMP_PLD_NONE		0
#define RKMP_PLD_SA		33
#define RKMP_PLD_KE		34
#define RKMP_PLD_IDI		35
#define RKMP_PLD_IDR		36
#define RKMP_PLD_CERT		37
#define RKMP_PLD_CERTREQ	38
#define RKMP_PLD_AUTH		39
#define RKMP_PLD_NONCE		40
#define RKMP_PLD_NOTIFY		41
#define RKMP_PLD_DELETE		42
#define RKMP_PLD_VID		43
#define RKMP_PLD_TSI		44
#define RKMP_PLD_TSR		45
#define RKMP_PLD_SK		46
#define RKMP_PLD_CP		47
#define RKMP_PLD_EAP		48
#define RKMP_PLD_GSPM		49
#define RKMP_PLD_SKF		53

/* Security protocol IDs (§3.3.1) and RKMP's routing-protocol SAs (DESIGN.md §2). */
#define RKMP_PROTO_IKE		1
#define RKMP_PROTO_AH		2
#define RKMP_PROTO_ESP		3
#define RKMP_PROTO_TCP_AO	201
#define RKMP_PROTO_BFD		202
#define RKMP_PROTO_RSVP_TE	203
#define RKMP_PROTO_TCP_MD5	207	/* RFC 2385 (DESIGN.md §2): never a TCP-AO key reused */

/* Transform types (§3.3.2) and RKMP's (DESIGN.md §2; ID 0 is a real value there). */
#define RKMP_TRANS_ENCR		1
#define RKMP_TRANS_PRF		2
#define RKMP_TRANS_INTEG	3
#define RKMP_TRANS_DH		4
#define RKMP_TRANS_ESN		5
#define RKMP_TRANS_TCP_OPTIONS	241
#define RKMP_TRANS_BFD_AUTH	242
#define RKMP_TRANS_RSVP_HS	243

#define RKMP_ATTR_KEY_LENGTH	14	/* §3.3.5, TV, in bits */
#define RKMP_ATTR_TV		0x8000

/* Proposal/transform "last substructure" values (§3.3.1, §3.3.2). */
#define RKMP_PROP_MORE		2
#define RKMP_TRANS_MORE		3

/* Nonce size bounds (§3.9). */
#define RKMP_NONCE_MIN		16
#define RKMP_NONCE_MAX		256

/* Notify types used by the codec (§3.10.1; RKMP private status 40960). */
#define RKMP_N_UNSUPPORTED_CRITICAL_PAYLOAD	1
#define RKMP_N_INVALID_SYNTAX			7
#define RKMP_N_AUTHENTICATION_FAILED		24
#define RKMP_N_INVALID_KE_PAYLOAD		17
#define RKMP_N_NAT_DETECTION_SOURCE_IP		16388
#define RKMP_N_NAT_DETECTION_DESTINATION_IP	16389
#define RKMP_N_COOKIE				16390
#define RKMP_N_REKEY_SA				16393
#define RKMP_N_CHILDLESS_IKEV2_SUPPORTED	16418	/* RFC 6023 */
#define RKMP_N_IKEV2_FRAGMENTATION_SUPPORTED	16430	/* RFC 7383 */
#define RKMP_N_SIGNATURE_HASH_ALGORITHMS	16431
#define RKMP_N_RKMP_SA_REVOKED			40960
#define RKMP_N_ERROR_MAX			16383	/* types below 16384 are errors */

/* Traffic selector types (§3.13.1). */
#define RKMP_TS_IPV4_ADDR_RANGE	7
#define RKMP_TS_IPV6_ADDR_RANGE	8

/* ID types (§3.5). */
#define RKMP_ID_IPV4_ADDR	1
#define RKMP_ID_FQDN		2
#define RKMP_ID_RFC822_ADDR	3
#define RKMP_ID_IPV6_ADDR	5
#define RKMP_ID_DER_ASN1_DN	9
#define RKMP_ID_DER_ASN1_GN	10
#define RKMP_ID_KEY_ID		11

#endif

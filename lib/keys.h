/* SPDX-License-Identifier: MIT */
/*
 * keys.h — the IKE SA keys a decoder is given: loaded from Wireshark's
 * ikev2_decryption_table, from a strongSwan key log (all_keys.log lines
 * "IKE spi_i=... proposal=IKE:... sk_ei=..."), or from an rkmp state file;
 * looked up by (SPIi, SPIr); written back out as a Wireshark table line or as
 * tcpdump -E lines.
 *
 * Key log formats (one SA per line):
 *   Wireshark:  SPIi,SPIr,SK_ei,SK_er,"ENCR name",SK_ai,SK_ar,"INTEG name"
 *               (hex; the names as Wireshark's UAT dialog writes them, e.g.
 *               "AES-CBC-128 [RFC3602]", "HMAC_SHA2_256_128 [RFC4868]",
 *               "NONE [RFC4306]" with AEAD and empty SK_ai/SK_ar)
 *   strongSwan: IKE spi_i=HEX spi_r=HEX ... proposal=IKE:ENCR/INTEG/PRF/KE
 *               sk_ai=HEX|- sk_ar=HEX|- sk_ei=HEX sk_er=HEX ...  (CHILD lines skipped)
 *   tcpdump -E (written only): ikev2 I 0xSPIi 0xSPIr INTEG:0xSK_ai ENC:0xSK_ei
 *               and the same with R, SK_ar and SK_er; ENC is OpenSSL's CBC
 *               cipher name (aes128-cbc...), with -hmac96 appended when the
 *               ICV is 96 bits (tcpdump strips that many octets), INTEG
 *               sha1/sha256/sha384/sha512/aesxcbc/aescmac (tcpdump ignores it).
 * SK_ei/SK_er hold key | salt for AEAD ciphers, as strongSwan and Wireshark log them.
 */
#ifndef RKMP_KEYS_H
#define RKMP_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "sk.h"

/* One IKE SA's traffic keys (SK_d, SK_p are not needed to decrypt). */
struct rkmp_key_entry {
	uint64_t			 spi_i, spi_r;
	const struct rkmp_encr_alg	*encr;
	const struct rkmp_integ_alg	*integ;		/* NULL with AEAD */
	size_t				 e_len;		/* encr->key_len + salt_len */
	size_t				 a_len;		/* integ->key_len, 0 with AEAD */
	uint8_t				 sk_ei[RKMP_CRYPTO_KEY_MAX];
	uint8_t				 sk_er[RKMP_CRYPTO_KEY_MAX];
	uint8_t				 sk_ai[RKMP_CRYPTO_KEY_MAX];
	uint8_t				 sk_ar[RKMP_CRYPTO_KEY_MAX];
};

struct rkmp_keys;

struct rkmp_keys *rkmp_keys_new(void);
void	rkmp_keys_free(struct rkmp_keys *k);		/* wipes every key */

/* Add an entry (copied); a later entry with the same SPIs replaces the earlier one. */
int	rkmp_keys_add(struct rkmp_keys *k, const struct rkmp_key_entry *e);

/*
 * Load a key file, Wireshark table or strongSwan key log, told apart by its
 * first line that is not blank or a '#' comment; an empty file adds nothing.
 * A bad line is RKMP_E_USAGE with where "FILE:LINE" and the reason; a file
 * that cannot be read RKMP_E_SYSTEM.  Nothing is added when a line is bad.
 */
int	rkmp_keys_load_file(struct rkmp_keys *k, const char *path);
/* The same over text in memory; name is used in error messages. */
int	rkmp_keys_load_text(struct rkmp_keys *k, const char *name, const char *text, size_t len);
/* The keys of an rkmp state file: its RKMP SA's, and the old SA's while a
 * rekey of the RKMP SA keeps it (rkmp_state_load's errors; RKMP_E_STATE when
 * the SA has no keys yet). */
int	rkmp_keys_load_state(struct rkmp_keys *k, const char *path);

size_t	rkmp_keys_count(const struct rkmp_keys *k);
const struct rkmp_key_entry *rkmp_keys_at(const struct rkmp_keys *k, size_t i);
const struct rkmp_key_entry *rkmp_keys_lookup(const struct rkmp_keys *k, uint64_t spi_i,
	    uint64_t spi_r);

/* The keys of one direction: from the original initiator (I flag set) SK_ei/SK_ai. */
void	rkmp_keys_dir(const struct rkmp_key_entry *e, bool from_initiator, struct rkmp_sk_dir *d);

/*
 * Writers, into buf (NUL-terminated, newline-terminated lines).  The
 * Wireshark form is one line; the tcpdump form two (I and R).  RKMP_E_CRYPTO
 * when the tool cannot decrypt the entry's algorithms (the detail names it),
 * RKMP_E_INTERNAL when buf is too small (512 octets always suffice).
 */
int	rkmp_keys_wireshark_line(const struct rkmp_key_entry *e, char *buf, size_t len);
int	rkmp_keys_tcpdump_lines(const struct rkmp_key_entry *e, char *buf, size_t len);

#endif

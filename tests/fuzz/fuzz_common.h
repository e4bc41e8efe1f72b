/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h — what the libFuzzer targets under tests/fuzz/ share: where
 * the fixtures are (testdata/fuzz/, RKMP_FUZZ_DATA overrides), reading them,
 * the keys of a fixed state, sealing an SK/SKF payload so that its plaintext
 * is the fuzzer's bytes, and reports that do not abort (rate-limited).
 */
#ifndef RKMP_FUZZ_COMMON_H
#define RKMP_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "print.h"
#include "sa.h"
#include "sk.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* testdata/fuzz (absolute), or $RKMP_FUZZ_DATA. */
const char *fz_data_dir(void);
/* Read a whole file (path relative to fz_data_dir() unless absolute); NUL-terminated.
 * Aborts when it cannot (a fixture is missing: nothing to fuzz). */
char	*fz_read(const char *path, size_t *len);
/* The same for a path as given (relative to the working directory). */
char	*fz_read_file(const char *path, size_t *len);
/* Write a file (seed generation); aborts on failure. */
void	fz_write(const char *dir, const char *name, const uint8_t *p, size_t len);
/* Parse a fixed state file; aborts when it does not load. */
void	fz_load_state(const char *rel, struct rkmp_sa *sa);
/* The IKE SA keys of a state: false when it has none yet. */
bool	fz_state_keys(const struct rkmp_sa *sa, struct rkmp_key_entry *e);
/* The keys of the old SA a rekey replaced, when there is one. */
bool	fz_state_old_keys(const struct rkmp_sa *sa, struct rkmp_key_entry *e);
/*
 * The last payload of message msg (len octets, decodable) is SK or SKF:
 * seal treats its ciphertext octets as plaintext and encrypts them in place
 * and writes the ICV/tag, so that unprotect decrypts to exactly those octets;
 * unseal is the inverse (decrypt in place, ICV left as it was).  false when
 * the message has no such payload or its layout does not fit the suite.
 */
bool	fz_seal(const struct rkmp_sk_dir *k, uint8_t *msg, size_t len);
bool	fz_unseal(const struct rkmp_sk_dir *k, uint8_t *msg, size_t len);
/* The layout of the SK payload of msg for the suite: offset and length of
 * the ciphertext in msg.  false as above. */
bool	fz_sk_region(const struct rkmp_sk_dir *k, const uint8_t *msg, size_t len, size_t *ct_off,
	    size_t *ct_len);
/* The message through rkmp_print_json: one line that jansson parses
 * (json_loadb, duplicate names refused) into an object; else fz_fail. */
void	fz_json_msg(const struct rkmp_print_meta *meta, const struct rkmp_msg *m, int err);
/* A finding that does not abort: printed the first few times per kind, counted. */
void	fz_note(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Abort with a message and a hex dump of the offending bytes. */
void	fz_fail(const char *what, const uint8_t *p, size_t n) __attribute__((noreturn));
/* Whether $RKMP_FUZZ_MAKE_SEEDS is set: then the target writes its seeds there and exits. */
const char *fz_seed_dir(void);

#endif

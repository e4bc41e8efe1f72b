/* SPDX-License-Identifier: MIT */
/*
 * crypto_int.h — what crypto.c and crypto_dh.c share; theirs alone.
 */
#ifndef RKMP_CRYPTO_INT_H
#define RKMP_CRYPTO_INT_H

#define WHERE		"crypto"	/* the error's place */
#define FETCH_CACHE	16		/* fetched algorithms and kept contexts */

/* The OpenSSL error queue as our one detail line (RKMP_E_CRYPTO, "what failed:
 * reason"), the queue emptied so a stale reason never shows up later. */
int	rkmp_crypto_ossl_fail(const char *what);

#endif

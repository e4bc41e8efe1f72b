/* SPDX-License-Identifier: MIT */
/* hex.h — hex digits and strings, one implementation for every parser. */
#ifndef RKMP_HEX_H
#define RKMP_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value of hex digit c (either case), or -1. */
static inline int
rkmp_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n octets of p as 2n lowercase hex digits and a NUL into out[2n + 1]. */
static inline void
rkmp_hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Decode the n digits of s into out[max]: 0, or -1 when n is odd, too long
 * for max, or a digit is bad (its offset in *bad when bad is not NULL). */
static inline int
rkmp_hex_decode(const char *s, size_t n, uint8_t *out, size_t max, size_t *len, size_t *bad)
{
	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int hi = rkmp_hex_digit((unsigned char)s[i]), lo = rkmp_hex_digit((unsigned char)s[i + 1]);

		if (hi < 0 || lo < 0) {
			if (bad != NULL)
				*bad = hi < 0 ? i : i + 1;
			return -1;
		}
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

#endif

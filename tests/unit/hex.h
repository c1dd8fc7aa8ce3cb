/*
 * hex.h - a hex string (the golden captures' lines, tests/data/golden)
 * into bytes, for the unit tests and the fuzz targets: the number of
 * bytes, or -1 if s is not whole bytes of hex or longer than cap.
 */
#ifndef P9_TESTS_HEX_H
#define P9_TESTS_HEX_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline int
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

#endif

/*
 * fdio.h - whole reads and writes on a descriptor, for the test servers
 * (p9srv, hostile) and the unit tests' fake server: -1 on an error or
 * the end of the stream, 0 once all n bytes have gone.
 */
#ifndef P9_TESTS_FDIO_H
#define P9_TESTS_FDIO_H

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

static inline int
writen(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static inline int
readn(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

#endif

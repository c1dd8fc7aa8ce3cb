/*
 * dial.c - turn a dial string into a connected pair of descriptors:
 *   tcp:HOST[:PORT]  HOST:PORT  [v6]:PORT  tcp!HOST!PORT
 *   unix:PATH  unix!PATH  fd:R,W
 * virtio:TAG, pci:DDDD:BB:DD.F and a bare word (a mount tag) name a
 * virtio-9p device, which p9__virtio_dial opens.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "p9int.h"
#include "transport.h"
#include "client/session.h"

/* Messages leave the address out: the caller names it. */
static int
bad(const char *why)
{
	return p9__fail(-EINVAL, "%s", why);
}

static int
copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int
parse_port(const char *p, char *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(p, &end, 10);
	if (*p == '\0' || *end || errno || v < 1 || v > 65535)
		return -1;
	snprintf(out, 16, "%ld", v);
	return 0;
}

/* HOST[:PORT] or [V6][:PORT]; sep is ':' or '!' */
static int
hostport(const char *s, int sep, int needport,
    struct p9__addr *a)
{
	const char *colon;

	a->kind = P9__A_TCP;
	strcpy(a->port, "564");
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb == s + 1)
			return bad("unterminated [IPv6] address");
		if (copy(a->host, sizeof a->host, s + 1, (size_t)(rb - s - 1)))
			return bad("host name too long");
		if (rb[1] == '\0')
			return needport ? bad("missing port") : 0;
		if (rb[1] != sep || parse_port(rb + 2, a->port))
			return bad("bad port");
		return 0;
	}
	colon = strrchr(s, sep);
	if (colon && sep == ':' && strchr(s, ':') != colon)
		return bad("IPv6 addresses go in brackets: [ADDR]:PORT");
	if (colon == NULL) {
		if (needport)
			return bad("missing port");
		colon = s + strlen(s);
	} else if (parse_port(colon + 1, a->port))
		return bad("bad port");
	if (colon == s)
		return bad("missing host");
	if (copy(a->host, sizeof a->host, s, (size_t)(colon - s)))
		return bad("host name too long");
	return 0;
}

static int
parse_fds(const char *s, struct p9__addr *a)
{
	char *end;
	long r, w;

	errno = 0;
	r = strtol(s, &end, 10);
	if (end == s || *end != ',' || errno || r < 0 || r > INT_MAX)
		return bad("expected fd:R,W");
	s = end + 1;
	w = strtol(s, &end, 10);
	if (end == s || *end || errno || w < 0 || w > INT_MAX)
		return bad("expected fd:R,W");
	a->kind = P9__A_FD;
	a->rfd = (int)r;
	a->wfd = (int)w;
	return 0;
}

int
p9__parse_addr(const char *s, struct p9__addr *a)
{
	memset(a, 0, sizeof *a);
	if (s == NULL || *s == '\0')
		return bad("empty address");
	if (!strncmp(s, "tcp:", 4))
		return hostport(s + 4, ':', 0, a);
	if (!strncmp(s, "tcp!", 4))
		return hostport(s + 4, '!', 0, a);
	if (!strncmp(s, "unix:", 5) || !strncmp(s, "unix!", 5)) {
		a->kind = P9__A_UNIX;
		if (s[5] == '\0')
			return bad("missing socket path");
		if (copy(a->path, sizeof a->path, s + 5, strlen(s + 5)))
			return bad("socket path too long");
		return 0;
	}
	if (!strncmp(s, "fd:", 3))
		return parse_fds(s + 3, a);
	if (!strncmp(s, "virtio:", 7)) {
		a->kind = P9__A_TAG;
		if (s[7] == '\0' || copy(a->path, sizeof a->path, s + 7,
		    strlen(s + 7)))
			return bad("expected virtio:TAG");
		return 0;
	}
	if (!strncmp(s, "pci:", 4)) {
		unsigned d, b, sl, f;
		char end;

		if (sscanf(s + 4, "%4x:%2x:%2x.%1u%c", &d, &b, &sl, &f, &end) != 4 ||
		    sl > 31 || f > 7)
			return bad("expected pci:DDDD:BB:DD.F");
		a->kind = P9__A_PCI;
		snprintf(a->path, sizeof a->path, "%04x:%02x:%02x.%u", d, b,
		    sl, f);
		return 0;
	}
	if (*s == '[' || strchr(s, ':'))
		return hostport(s, ':', 1, a);
	if (strchr(s, '!') || strchr(s, '/'))
		return bad("unknown address form");
	a->kind = P9__A_TAG;
	if (copy(a->path, sizeof a->path, s, strlen(s)))
		return bad("tag too long");
	return 0;
}

static int
connect_wait(int fd, const struct sockaddr *sa, socklen_t len, int ms)
{
	struct pollfd p = { fd, POLLOUT, 0 };
	int fl = fcntl(fd, F_GETFL), err = 0;
	socklen_t el = sizeof err;

	if (ms <= 0)
		return connect(fd, sa, len) ? -errno : 0;
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, sa, len) == 0)
		goto done;
	if (errno != EINPROGRESS) {
		err = errno;
		goto done;
	}
	if (poll(&p, 1, ms) == 0)
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
done:
	fcntl(fd, F_SETFL, fl);
	return -err;
}

static int
dial_tcp(const struct p9__addr *a, int ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, err = -ECONNREFUSED, gai, one = 1;

	if ((gai = getaddrinfo(a->host, a->port, &hints, &res)) != 0)
		return p9__fail(-EHOSTUNREACH, "%s", gai_strerror(gai));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		if ((err = connect_wait(fd, ai->ai_addr, ai->ai_addrlen, ms)) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return p9__fail(err, "%s", strerror(-err));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static int
dial_unix(const struct p9__addr *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(a->path) >= sizeof sun.sun_path)
		return bad("socket path too long");
	strcpy(sun.sun_path, a->path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return p9__fail(-errno, "%s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		err = errno;
		close(fd);
		return p9__fail(-err, "%s", strerror(err));
	}
	return fd;
}

int
p9__dial_fds(const char *addr, int ms, int *rfd, int *wfd)
{
	struct p9__addr a;
	int fd, err;

	if ((err = p9__parse_addr(addr, &a)) != 0)
		return err;
	switch (a.kind) {
	case P9__A_TCP:
		fd = dial_tcp(&a, ms);
		break;
	case P9__A_UNIX:
		fd = dial_unix(&a);
		break;
	case P9__A_FD:
		if (fcntl(a.rfd, F_GETFD) < 0 || fcntl(a.wfd, F_GETFD) < 0)
			return p9__fail(-EBADF, "descriptor not open");
		*rfd = a.rfd;
		*wfd = a.wfd;
		return 0;
	default:
		return -EAGAIN;	/* a virtio-9p device: p9__virtio_dial */
	}
	if (fd < 0)
		return fd;
	*rfd = *wfd = fd;
	return 0;
}

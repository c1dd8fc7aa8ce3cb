/*
 * proxy.c - 9ptrace -l LISTEN -c TARGET: a relay between 9P clients and a
 * server that decodes both directions as they pass, and with -w records
 * them as pcapng (the same format as libp9's trace files).
 *
 * One thread, one poll loop: each accepted client gets its own connection
 * to the target, and bytes are relayed as they come.  A side that closes
 * or fails closes its partner too.  Writes are blocking: a client that
 * stops reading slows the proxy down rather than making it buffer without
 * bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "9ptrace.h"

#define MAXPAIRS	256

struct pair {
	int		 fd[2];		/* [0] the client, [1] the server */
	unsigned	 conn;		/* decoder's */
	unsigned	 wconn;		/* pcapng writer's */
};

/*
 * Addresses: unix:PATH, tcp:HOST:PORT, HOST:PORT, [V6]:PORT, or a bare
 * PORT (the loopback interface).
 */
static int
resolve(const char *a, int passive, struct sockaddr_storage *ss,
    socklen_t *len, int *family)
{
	char host[256], *port;
	struct addrinfo hints, *res;
	int e;

	memset(ss, 0, sizeof *ss);
	if (strncmp(a, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;

		if (strlen(a + 5) >= sizeof un->sun_path || a[5] == '\0')
			return -ENAMETOOLONG;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, a + 5);
		*len = sizeof *un;
		*family = AF_UNIX;
		return 0;
	}
	if (strncmp(a, "tcp:", 4) == 0)
		a += 4;
	if (strlen(a) >= sizeof host)
		return -ENAMETOOLONG;
	if (strspn(a, "0123456789") == strlen(a)) {
		snprintf(host, sizeof host, "127.0.0.1");
		port = (char *)a;
	} else {
		strcpy(host, a);
		if ((port = strrchr(host, ':')) == NULL)
			return -EINVAL;
		*port++ = '\0';
		if (host[0] == '[' && port[-2] == ']') {
			port[-2] = '\0';
			memmove(host, host + 1, strlen(host));
		}
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		return -EHOSTUNREACH;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	*family = res->ai_family;
	freeaddrinfo(res);
	return 0;
}

static int
dial(const char *target)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam, fd, one = 1;

	if (resolve(target, 0, &ss, &len, &fam) != 0)
		return -1;
	if ((fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
		close(fd);
		return -1;
	}
	if (fam != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static int
writeall(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void
pair_close(struct p9_tdec *d, struct p9_pcapng *w, struct pair *p)
{
	close(p->fd[0]);
	close(p->fd[1]);
	p9_tdec_close(d, p->conn);
	if (w)
		p9_pcapng_end(w, p->wconn);
	p->fd[0] = p->fd[1] = -1;
}

int
proxy(struct p9_tdec *d, const char *listen_at, const char *target,
    const char *wfile)
{
	static struct pair pairs[MAXPAIRS];
	static uint8_t buf[1 << 16];
	struct sockaddr_storage ss;
	struct p9_pcapng *w = NULL;
	socklen_t len;
	int lfd, fam, one = 1, npairs = 0;

	if (resolve(listen_at, 1, &ss, &len, &fam) != 0) {
		fprintf(stderr, "9ptrace: -l %s: not an address (unix:PATH, "
		    "tcp:HOST:PORT, HOST:PORT or PORT)\n", listen_at);
		return 2;
	}
	if (fam == AF_UNIX)
		unlink(((struct sockaddr_un *)&ss)->sun_path);
	if ((lfd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(lfd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(lfd, 16) != 0) {
		fprintf(stderr, "9ptrace: -l %s: %s\n", listen_at,
		    strerror(errno));
		return 1;
	}
	if (wfile && p9_pcapng_open(wfile, "9ptrace proxy", &w) != 0) {
		fprintf(stderr, "9ptrace: -w %s: %s\n", wfile, p9_errstr());
		close(lfd);
		return 1;
	}
	fprintf(stderr, "9ptrace: relaying %s to %s\n", listen_at, target);
	while (!stopping) {
		struct pollfd pf[1 + 2 * MAXPAIRS];
		int n = 0, np = npairs;	/* the pairs pf holds */

		pf[n].fd = lfd;
		pf[n++].events = POLLIN;
		for (int i = 0; i < npairs; i++)
			for (int s = 0; s < 2; s++) {
				pf[n].fd = pairs[i].fd[s];
				pf[n++].events = POLLIN;
			}
		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), s;
			char name[300];

			if (c >= 0 && npairs == MAXPAIRS) {
				fprintf(stderr, "9ptrace: %d connections: "
				    "refusing another\n", MAXPAIRS);
				close(c);
			} else if (c >= 0 && (s = dial(target)) < 0) {
				fprintf(stderr, "9ptrace: -c %s: %s\n", target,
				    strerror(errno));
				close(c);
			} else if (c >= 0) {
				struct pair *p = &pairs[npairs++];

				p->fd[0] = c;
				p->fd[1] = s;
				snprintf(name, sizeof name, "%s > %s",
				    listen_at, target);
				p->conn = p9_tdec_open(d, name);
				p->wconn = w ? p9_pcapng_conn(w) : 0;
				if (fam != AF_UNIX)
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof one);
			}
		}
		for (int i = 0, k = 1; i < np; i++, k += 2) {
			struct pair *p = &pairs[i];

			for (int s = 0; s < 2 && p->fd[0] >= 0; s++) {
				struct timespec ts;
				ssize_t got;

				if (!(pf[k + s].revents & (POLLIN | POLLHUP |
				    POLLERR)))
					continue;
				got = read(p->fd[s], buf, sizeof buf);
				if (got < 0 && errno == EINTR)
					continue;
				if (got <= 0 || writeall(p->fd[!s], buf,
				    (size_t)got) != 0) {
					pair_close(d, w, p);
					break;
				}
				clock_gettime(CLOCK_REALTIME, &ts);
				p9_tdec_bytes(d, p->conn, s, &ts, buf,
				    (size_t)got);
				if (w) {
					struct iovec iov = { buf, (size_t)got };

					p9_pcapng_data(w, p->wconn, s, &ts,
					    &iov, 1);
				}
			}
		}
		/* drop closed pairs, keeping the order of the others */
		for (int i = 0; i < npairs;)
			if (pairs[i].fd[0] < 0) {
				memmove(&pairs[i], &pairs[i + 1],
				    (size_t)(npairs - i - 1) * sizeof *pairs);
				npairs--;
			} else {
				i++;
			}
		out_flush();
	}
	for (int i = 0; i < npairs; i++)
		pair_close(d, w, &pairs[i]);
	close(lfd);
	if (fam == AF_UNIX)
		unlink(((struct sockaddr_un *)&ss)->sun_path);
	if (w && p9_pcapng_close(w) != 0) {
		fprintf(stderr, "9ptrace: -w %s: write error\n", wfile);
		return 1;
	}
	return 0;
}

/*
 * sock.c - the byte-stream transport (TCP, Unix sockets, fd pairs): one
 * writer lock so whole messages never interleave, and a reader thread that
 * frames replies by their size field and hands them to the session.
 * Portable POSIX only (builds on FreeBSD).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/session.h"

#define RBUFSZ	(64 * 1024)

struct sock {
	struct p9_transport	 tr;
	int			 rfd, wfd, issock;
	int			 stop[2];	/* self-pipe: stop the reader */
	pthread_mutex_t		 wlk;
	pthread_t		 rd;
	int			 started;
	uint8_t			 buf[RBUFSZ];
	size_t			 head, tail;
};

/* write to a pipe or tty without being killed by SIGPIPE */
static ssize_t
writev_nosig(int fd, const struct iovec *iov, int n)
{
	sigset_t pipe, old, pend;
	struct timespec zero = { 0, 0 };
	ssize_t r;
	int e;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	r = writev(fd, iov, n);
	e = errno;
	if (r < 0 && e == EPIPE) {
		sigpending(&pend);
		if (sigismember(&pend, SIGPIPE) && !sigismember(&old, SIGPIPE))
			sigtimedwait(&pipe, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return r;
}

static int
sock_send(struct p9_transport *tr, const struct iovec *iov0, int n)
{
	struct sock *k = (struct sock *)tr;
	struct iovec iov[4];
	struct msghdr mh = { 0 };
	ssize_t w;
	int i = 0, err = 0;

	memcpy(iov, iov0, (size_t)n * sizeof *iov);
	pthread_mutex_lock(&k->wlk);
	while (i < n) {
		if (iov[i].iov_len == 0) {
			i++;
			continue;
		}
		if (k->issock) {
			mh.msg_iov = iov + i;
			mh.msg_iovlen = (size_t)(n - i);
			w = sendmsg(k->wfd, &mh, MSG_NOSIGNAL);
		} else
			w = writev_nosig(k->wfd, iov + i, n - i);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		while (i < n && (size_t)w >= iov[i].iov_len)
			w -= (ssize_t)iov[i++].iov_len;
		if (i < n) {
			iov[i].iov_base = (char *)iov[i].iov_base + w;
			iov[i].iov_len -= (size_t)w;
		}
	}
	pthread_mutex_unlock(&k->wlk);
	return err;
}

/* Read some bytes into dst; 0 at EOF or when told to stop, <0 on error. */
static ssize_t
rd(struct sock *k, void *dst, size_t n)
{
	struct pollfd p[2] = { { k->rfd, POLLIN, 0 }, { k->stop[0], POLLIN, 0 } };
	ssize_t r;

	/* a socket with data ready needs no poll */
	if (k->issock) {
		r = recv(k->rfd, dst, n, MSG_DONTWAIT);
		if (r > 0)
			return r;
		if (r == 0)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
	}
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents)
			return 0;
		r = read(k->rfd, dst, n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return r < 0 ? -errno : r;
	}
}

/* Fill dst[n] from the buffer, then the descriptor. */
static int
rd_exact(struct sock *k, uint8_t *dst, size_t n)
{
	while (n) {
		size_t have = k->tail - k->head;
		ssize_t r;

		if (have) {
			size_t m = have < n ? have : n;

			memcpy(dst, k->buf + k->head, m);
			k->head += m;
			dst += m;
			n -= m;
			continue;
		}
		k->head = k->tail = 0;
		if (n >= RBUFSZ / 2) {
			/* big payloads go straight to their buffer */
			if ((r = rd(k, dst, n)) <= 0)
				return r ? (int)r : -ECONNRESET;
			dst += r;
			n -= (size_t)r;
			continue;
		}
		if ((r = rd(k, k->buf, RBUFSZ)) <= 0)
			return r ? (int)r : -ECONNRESET;
		k->tail = (size_t)r;
	}
	return 0;
}

static void *
reader(void *arg)
{
	struct sock *k = arg;
	struct p9_session *s = k->tr.s;
	uint8_t hdr[4], *buf;
	uint32_t size;
	int err;

	for (;;) {
		if ((err = rd_exact(k, hdr, 4)) != 0)
			break;
		size = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
		    (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
		if (size < 7 || size > p9__rxlimit(s)) {
			char why[64];

			/* framing is lost: nothing after this can be trusted */
			snprintf(why, sizeof why, "reply size %u outside "
			    "7..msize %u", size, p9__rxlimit(s));
			p9__tr_hangup(s, &k->tr, -EBADMSG, why);
			return NULL;
		}
		if ((buf = p9__rxbuf(s->pool, size)) == NULL) {
			err = -ENOMEM;
			break;
		}
		memcpy(buf, hdr, 4);
		if ((err = rd_exact(k, buf + 4, size - 4)) != 0) {
			p9__rxfree(buf);
			break;
		}
		p9__deliver(s, buf, size);
	}
	p9__tr_hangup(s, &k->tr, err, err == -ECONNRESET ?
	    "connection closed by the server" : NULL);
	return NULL;
}

static void
sock_shutdown(struct p9_transport *tr)
{
	struct sock *k = (struct sock *)tr;
	char c = 1;

	if (write(k->stop[1], &c, 1) < 0) {
		/* the pipe is only ever written once; nothing to do */
	}
	if (k->issock)
		shutdown(k->wfd, SHUT_RDWR);
}

static void
sock_destroy(struct p9_transport *tr)
{
	struct sock *k = (struct sock *)tr;

	if (k->started)
		pthread_join(k->rd, NULL);
	close(k->rfd);
	if (k->wfd != k->rfd)
		close(k->wfd);
	close(k->stop[0]);
	close(k->stop[1]);
	pthread_mutex_destroy(&k->wlk);
	free(k);
}

static int sock_start(struct p9_transport *tr);

static const struct p9__tops sock_ops = {
	.start = sock_start,
	.send = sock_send,
	.shutdown = sock_shutdown,
	.destroy = sock_destroy,
};

int
p9__sock_open(int rfd, int wfd, struct p9_transport **tp)
{
	struct sock *k = calloc(1, sizeof *k);
	struct stat st;

	if (k == NULL || pipe(k->stop) < 0) {
		int e = k ? errno : ENOMEM;

		free(k);
		close(rfd);
		if (wfd != rfd)
			close(wfd);
		return -e;
	}
	k->tr.ops = &sock_ops;
	k->rfd = rfd;
	k->wfd = wfd;
	k->issock = fstat(wfd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    fstat(rfd, &st) == 0 && S_ISSOCK(st.st_mode);
	fcntl(k->stop[0], F_SETFD, FD_CLOEXEC);
	fcntl(k->stop[1], F_SETFD, FD_CLOEXEC);
	pthread_mutex_init(&k->wlk, NULL);
	*tp = &k->tr;
	return 0;
}

/* The reader starts once the session is wired to the transport. */
static int
sock_start(struct p9_transport *tr)
{
	struct sock *k = (struct sock *)tr;
	int err;

	if ((err = pthread_create(&k->rd, NULL, reader, k)) != 0)
		return -err;
	k->started = 1;
	return 0;
}

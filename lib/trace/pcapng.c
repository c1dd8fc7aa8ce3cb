/*
 * pcapng.c - trace files: 9P conversations written as a pcapng capture.
 *
 * Whatever carried the messages (TCP, a Unix socket, an fd pair, a virtio
 * ring), they are written as the payload of IPv4 TCP segments between
 * made-up endpoints, client 10.9.0.1 port 40000+N and server 10.9.0.2
 * port 564, with a SYN handshake first and a FIN exchange last.  So the
 * file is an ordinary capture: 9ptrace reads it like any other, and
 * Wireshark and tshark decode it as 9P over TCP.  Segments carry at most
 * 65000 bytes (an IPv4 packet's limit is 65535); larger messages (virtio
 * msize reaches megabytes) span several segments, which TCP reassembly
 * joins again.  Timestamps are in nanoseconds (if_tsresol 9).
 *
 * One mutex orders the blocks of all threads; each block is written with
 * one stdio call and flushed, so a crash loses at most the block being
 * written.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/session.h"

#define SEGMAX		65000
#define LINKTYPE_RAW	101
#define CLIENT_IP	0x0a090001u	/* 10.9.0.1 */
#define SERVER_IP	0x0a090002u	/* 10.9.0.2 */
#define SERVER_PORT	564

struct tconn {
	uint32_t	seq[2];		/* next sequence number, per direction */
	int		open;
};

struct p9_pcapng {
	pthread_mutex_t	 lk;
	FILE		*fp;
	struct tconn	*conns;		/* [0] unused */
	unsigned	 nconn, cap;
	uint8_t		*pkt;		/* one packet being built */
	int		 err;		/* first write error (negative errno) */
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* pcapng is written in host byte order (the byte-order magic says which) */
static void
le32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static int
block(struct p9_pcapng *w, uint32_t type, const uint8_t *body, size_t n)
{
	uint8_t head[8], tail[4], pad[4] = { 0 };
	size_t padn = (4 - n % 4) % 4;
	uint32_t total = (uint32_t)(12 + n + padn);

	le32(head, type);
	le32(head + 4, total);
	le32(tail, total);
	if (fwrite(head, 1, 8, w->fp) != 8 || fwrite(body, 1, n, w->fp) != n ||
	    fwrite(pad, 1, padn, w->fp) != padn ||
	    fwrite(tail, 1, 4, w->fp) != 4)
		return w->err = -EIO;
	return 0;
}

/* A pcapng option: code, length, value padded to 4. */
static size_t
option(uint8_t *p, uint16_t code, const void *v, uint16_t n)
{
	memcpy(p, &code, 2);
	memcpy(p + 2, &n, 2);
	memcpy(p + 4, v, n);
	memset(p + 4 + n, 0, (4 - n % 4) % 4);
	return 4 + n + (4 - n % 4) % 4;
}

static uint16_t
ipsum(const uint8_t *h, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * One segment of conn in direction dir carrying data[n] (n <= SEGMAX),
 * TCP flags fl.  The TCP checksum is left 0 (Wireshark doesn't check it
 * unless asked to; the bytes never crossed a wire).
 */
static int
segment(struct p9_pcapng *w, unsigned conn, int dir, uint8_t fl,
    const struct timespec *ts, const struct iovec *iov, int niov, size_t skip,
    size_t n)
{
	struct tconn *c = &w->conns[conn];
	uint8_t *p = w->pkt + 20;	/* EPB header before the packet */
	uint64_t t = (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
	uint16_t cport = (uint16_t)(40000 + conn % 25000);
	size_t plen = 40 + n, k = 0;

	/* IPv4 header */
	memset(p, 0, 40);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)plen);
	put16(p + 4, (uint16_t)c->seq[dir]);	/* id: anything */
	p[6] = 0x40;				/* don't fragment */
	p[8] = 64;
	p[9] = 6;
	put32(p + 12, dir ? SERVER_IP : CLIENT_IP);
	put32(p + 16, dir ? CLIENT_IP : SERVER_IP);
	put16(p + 10, ipsum(p, 20));
	/* TCP header */
	put16(p + 20, dir ? SERVER_PORT : cport);
	put16(p + 22, dir ? cport : SERVER_PORT);
	put32(p + 24, c->seq[dir]);
	put32(p + 28, (fl & 0x10) ? c->seq[!dir] : 0);
	p[32] = 5 << 4;
	p[33] = fl;
	put16(p + 34, 65535);
	/* payload: bytes skip .. skip+n of the iovecs */
	for (int i = 0; i < niov && k < n; i++) {
		size_t len = iov[i].iov_len, off = 0;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		off = skip;
		skip = 0;
		len -= off;
		if (len > n - k)
			len = n - k;
		memcpy(p + 40 + k, (const uint8_t *)iov[i].iov_base + off, len);
		k += len;
	}
	c->seq[dir] += (uint32_t)n + ((fl & 0x03) ? 1 : 0);	/* SYN, FIN */
	/* Enhanced Packet Block: interface, time, captured, original length */
	le32(w->pkt, 0);
	le32(w->pkt + 4, (uint32_t)(t >> 32));
	le32(w->pkt + 8, (uint32_t)t);
	le32(w->pkt + 12, (uint32_t)plen);
	le32(w->pkt + 16, (uint32_t)plen);
	return block(w, 6, w->pkt, 20 + plen);
}

static void
now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

int
p9_pcapng_open(const char *path, const char *comment, struct p9_pcapng **out)
{
	struct p9_pcapng *w;
	uint8_t b[600];
	size_t n;
	int e;

	*out = NULL;
	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (w->pkt = malloc(20 + 40 + SEGMAX)) == NULL) {
		free(w);
		return p9__fail(-ENOMEM, "out of memory");
	}
	if ((w->fp = fopen(path, "w")) == NULL) {
		e = errno;
		free(w->pkt);
		free(w);
		return p9__fail(-e, "%s: %s", path, strerror(e));
	}
	pthread_mutex_init(&w->lk, NULL);
	/* Section Header Block: byte-order magic, version 1.0, length unknown */
	le32(b, 0x1a2b3c4d);
	b[4] = 1, b[5] = 0, b[6] = 0, b[7] = 0;
	memset(b + 8, 0xff, 8);
	n = 16 + option(b + 16, 4, "9ptools", 7);	/* shb_userappl */
	memset(b + n, 0, 4);				/* opt_endofopt */
	block(w, 0x0a0d0d0a, b, n + 4);
	/* Interface Description Block: raw IPv4, no snap length, ns stamps */
	le32(b, LINKTYPE_RAW);
	le32(b + 4, 0);
	n = 8 + option(b + 8, 9, "\x09", 1);		/* if_tsresol */
	if (comment) {
		size_t cl = strlen(comment);

		n += option(b + n, 3, comment, (uint16_t)(cl > 500 ? 500 :
		    cl));				/* if_description */
	}
	memset(b + n, 0, 4);
	block(w, 1, b, n + 4);
	if (fflush(w->fp) != 0 || w->err) {
		fclose(w->fp);
		free(w->pkt);
		free(w);
		return p9__fail(-EIO, "%s: cannot write", path);
	}
	*out = w;
	return 0;
}

unsigned
p9_pcapng_conn(struct p9_pcapng *w)
{
	struct timespec ts;
	unsigned c;

	now(&ts);
	pthread_mutex_lock(&w->lk);
	if (w->nconn + 1 >= w->cap) {
		unsigned ncap = w->cap ? 2 * w->cap : 8;
		struct tconn *nc = realloc(w->conns, ncap * sizeof *nc);

		if (nc == NULL) {
			pthread_mutex_unlock(&w->lk);
			return 0;
		}
		w->conns = nc;
		w->cap = ncap;
	}
	c = ++w->nconn;
	w->conns[c].seq[0] = 0x10000000u * (c & 7) + 1000;
	w->conns[c].seq[1] = 0x90000000u + 1000 * c;
	w->conns[c].open = 1;
	segment(w, c, 0, 0x02, &ts, NULL, 0, 0, 0);		/* SYN */
	segment(w, c, 1, 0x12, &ts, NULL, 0, 0, 0);		/* SYN ACK */
	segment(w, c, 0, 0x10, &ts, NULL, 0, 0, 0);		/* ACK */
	fflush(w->fp);
	pthread_mutex_unlock(&w->lk);
	return c;
}

int
p9_pcapng_data(struct p9_pcapng *w, unsigned conn, int fromserver,
    const struct timespec *ts, const struct iovec *iov, int niov)
{
	struct timespec t;
	size_t total = 0;
	int err = 0;

	if (ts == NULL) {
		now(&t);
		ts = &t;
	}
	for (int i = 0; i < niov; i++)
		total += iov[i].iov_len;
	pthread_mutex_lock(&w->lk);
	if (conn == 0 || conn > w->nconn || !w->conns[conn].open) {
		pthread_mutex_unlock(&w->lk);
		return -EINVAL;
	}
	for (size_t off = 0; off < total && !err; off += SEGMAX) {
		size_t n = total - off < SEGMAX ? total - off : SEGMAX;

		/* PSH ACK on the last segment of the message */
		err = segment(w, conn, fromserver != 0,
		    off + n == total ? 0x18 : 0x10, ts, iov, niov, off, n);
	}
	if (!err && fflush(w->fp) != 0)
		err = w->err = -EIO;
	pthread_mutex_unlock(&w->lk);
	return err;
}

int
p9_pcapng_end(struct p9_pcapng *w, unsigned conn)
{
	struct timespec ts;
	int err;

	now(&ts);
	pthread_mutex_lock(&w->lk);
	if (conn == 0 || conn > w->nconn || !w->conns[conn].open) {
		pthread_mutex_unlock(&w->lk);
		return -EINVAL;
	}
	segment(w, conn, 0, 0x11, &ts, NULL, 0, 0, 0);		/* FIN ACK */
	segment(w, conn, 1, 0x11, &ts, NULL, 0, 0, 0);
	segment(w, conn, 0, 0x10, &ts, NULL, 0, 0, 0);
	w->conns[conn].open = 0;
	fflush(w->fp);
	err = w->err;
	pthread_mutex_unlock(&w->lk);
	return err;
}

int
p9_pcapng_close(struct p9_pcapng *w)
{
	int err;

	if (w == NULL)
		return 0;
	for (unsigned c = 1; c <= w->nconn; c++)
		if (w->conns[c].open)
			p9_pcapng_end(w, c);
	err = w->err;
	if (fclose(w->fp) != 0 && !err)
		err = -EIO;
	pthread_mutex_destroy(&w->lk);
	free(w->conns);
	free(w->pkt);
	free(w);
	return err;
}

/* ---- the session's trace hook -------------------------------------------- */

struct sesstrace {
	struct p9_pcapng *w;
	unsigned	  conn;
};

/* Requests (even types) go client to server, replies (odd) back. */
static void
emit(void *arg, const struct iovec *iov, int n)
{
	struct sesstrace *t = arg;
	const uint8_t *h = iov[0].iov_base;
	int fromserver = iov[0].iov_len > 4 ? h[4] & 1 : 0;

	p9_pcapng_data(t->w, t->conn, fromserver, NULL, iov, n);
}

int
p9_trace_file(struct p9_session *s, const char *path)
{
	struct sesstrace *t = calloc(1, sizeof *t);
	int err;

	if (t == NULL)
		return -ENOMEM;
	if ((err = p9_pcapng_open(path, "9ptools libp9 session", &t->w)) != 0) {
		free(t);
		return err;
	}
	if ((t->conn = p9_pcapng_conn(t->w)) == 0) {
		p9_pcapng_close(t->w);
		free(t);
		return p9__fail(-ENOMEM, "out of memory");
	}
	p9__set_trace(s, emit, t);
	return 0;
}

/* The session dialled again: the rest is a new connection in the file. */
void
p9__trace_reconnect(void *arg)
{
	struct sesstrace *t = arg;
	unsigned c;

	p9_pcapng_end(t->w, t->conn);
	if ((c = p9_pcapng_conn(t->w)) != 0)
		t->conn = c;
}

/* Called by p9_session_close. */
void
p9__trace_close(void *arg)
{
	struct sesstrace *t = arg;

	p9_pcapng_close(t->w);
	free(t);
}

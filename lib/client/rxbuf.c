/*
 * rxbuf.c - buffers for received messages.  Large ones (over 8 KiB) come
 * from a small per-session pool of msize-sized buffers, so a stream of
 * Rread replies reuses warm memory instead of faulting in fresh pages for
 * every message.  Each buffer carries a header naming its pool, so
 * p9_reply_free needs no session; the pool outlives the session until
 * its last buffer comes back.  A transport may also lend its own memory
 * (virtio: the device's DMA buffer) as a received message: its header
 * names a lender, called back when the buffer is freed.
 */
#include <stdlib.h>

#include "session.h"

#define SMALL	8192
#define KEEP	32

struct pool {
	pthread_mutex_t	 lk;
	size_t		 size;		/* msize */
	void		*free[KEEP];
	int		 nfree;
	long		 refs;		/* buffers out + 1 for the session */
};

struct hdr {
	struct pool	*pool;		/* NULL: a plain allocation */
	struct p9__lender *lender;	/* lent by a transport, or NULL */
};
_Static_assert(sizeof(struct hdr) == P9__RXHDR, "P9__RXHDR is the header");

struct pool *
p9__pool_new(size_t size)
{
	struct pool *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->lk, NULL);
	p->size = size;
	p->refs = 1;
	return p;
}

static void
pool_unref(struct pool *p, void *spare)
{
	long refs;

	pthread_mutex_lock(&p->lk);
	if (spare && p->refs > 1 && p->nfree < KEEP) {
		p->free[p->nfree++] = spare;
		spare = NULL;
	}
	refs = --p->refs;
	pthread_mutex_unlock(&p->lk);
	free(spare);
	if (refs == 0) {
		for (int i = 0; i < p->nfree; i++)
			free(p->free[i]);
		pthread_mutex_destroy(&p->lk);
		free(p);
	}
}

/* The session lets go; the pool goes when its last buffer returns. */
void
p9__pool_close(struct pool *p)
{
	if (p)
		pool_unref(p, NULL);
}

/* Set the size of pooled buffers (after Tversion settles msize). */
void
p9__pool_resize(struct pool *p, size_t size)
{
	pthread_mutex_lock(&p->lk);
	for (int i = 0; i < p->nfree; i++)
		free(p->free[i]);
	p->nfree = 0;
	p->size = size;
	pthread_mutex_unlock(&p->lk);
}

uint8_t *
p9__rxbuf(struct pool *p, size_t size)
{
	struct hdr *h = NULL;

	if (p && size > SMALL && size <= p->size) {
		pthread_mutex_lock(&p->lk);
		if (p->nfree)
			h = p->free[--p->nfree];
		p->refs++;
		pthread_mutex_unlock(&p->lk);
		if (h == NULL && (h = malloc(sizeof *h + p->size)) == NULL) {
			pool_unref(p, NULL);
			return NULL;
		}
		h->pool = p;
		h->lender = NULL;
		return (uint8_t *)(h + 1);
	}
	if ((h = malloc(sizeof *h + size)) == NULL)
		return NULL;
	h->pool = NULL;
	h->lender = NULL;
	return (uint8_t *)(h + 1);
}

uint8_t *
p9__rxlend(uint8_t *mem, struct p9__lender *l)
{
	struct hdr *h = (struct hdr *)(void *)mem;

	h->pool = NULL;
	h->lender = l;
	return (uint8_t *)(h + 1);
}

void
p9__rxfree(uint8_t *buf)
{
	struct hdr *h;

	if (buf == NULL)
		return;
	h = (struct hdr *)buf - 1;
	if (h->lender)
		h->lender->give_back(h->lender);
	else if (h->pool)
		pool_unref(h->pool, h);
	else
		free(h);
}

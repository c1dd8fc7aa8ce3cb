/*
 * fid.c - the fid pool: numbers are reused from a free list, each fid is
 * reference counted and clunked when its last user lets go, and live fids
 * stay on a list with the path they were walked by (for p9_session_nfids,
 * the shell's fid table and, later, reconnection).
 */
#include <errno.h>
#include <stdlib.h>

#include "session.h"

/*
 * Is num reserved (p9_fid_reserve)?  The pool has just reached it, so it
 * is dropped from the list: the pool never comes back to it.
 */
static int
unreserve(struct p9_session *s, uint32_t num)
{
	for (unsigned i = 0; i < s->nfidres; i++)
		if (s->fidres[i] == num) {
			s->fidres[i] = s->fidres[--s->nfidres];
			return 1;
		}
	return 0;
}

struct p9_fid *
p9__fid_new(struct p9_session *s)
{
	struct p9_fid *f = calloc(1, sizeof *f);

	if (f == NULL)
		return NULL;
	f->s = s;
	f->refs = 1;
	f->omode = -1;
	pthread_mutex_lock(&s->fidlk);
	if (s->nfidfree)
		f->num = s->fidfree[--s->nfidfree];
	else {
		f->num = s->nextfid++;
		while (unreserve(s, f->num))
			f->num = s->nextfid++;
	}
	f->next = &s->fids;
	f->prev = s->fids.prev;
	f->prev->next = f;
	s->fids.prev = f;
	s->nfids++;
	pthread_mutex_unlock(&s->fidlk);
	return f;
}

static void
fid_release(struct p9_fid *f)
{
	struct p9_session *s = f->s;

	pthread_mutex_lock(&s->fidlk);
	f->next->prev = f->prev;
	f->prev->next = f->next;
	s->nfids--;
	if (s->nfidfree == s->fidcap) {
		unsigned cap = s->fidcap ? 2 * s->fidcap : 64;
		uint32_t *n = realloc(s->fidfree, cap * sizeof *n);

		if (n) {
			s->fidfree = n;
			s->fidcap = cap;
		}
	}
	/* without room the number is simply never reused */
	if (s->nfidfree < s->fidcap)
		s->fidfree[s->nfidfree++] = f->num;
	pthread_mutex_unlock(&s->fidlk);
	free(f->path);
	free(f);
}

struct p9_fid *
p9_fid_get(struct p9_fid *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

int
p9_fid_put(struct p9_fid *f)
{
	struct p9_fcall t = { .type = P9_Tclunk };
	int err = 0;

	if (f == NULL || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return 0;
	if (f->live && !p9__recon_forgot(f)) {
		/* Tclunk frees the fid on the server even when it fails */
		t.fid = f->num;
		err = p9__rpc0(f->s, &t);
	}
	fid_release(f);
	return err;
}

static void
clunked(void *arg)
{
	fid_release(arg);
}

/*
 * As p9_fid_put, without waiting for Rclunk: the fid's number returns to
 * the pool when the reply comes.
 */
int
p9_fid_put_nowait(struct p9_fid *f)
{
	struct p9_fcall t = { .type = P9_Tclunk };

	if (f == NULL || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return 0;
	t.fid = f->num;
	if (f->live && !p9__recon_forgot(f) &&
	    p9__send_detached(f->s, &t, clunked, f) == 0)
		return 0;
	fid_release(f);
	return 0;
}

/*
 * Keep num out of the pool for the rest of the session, for a caller's
 * raw messages.  A number below nextfid is either in use (-EBUSY) or on
 * the free list, where it is taken off; one above is listed until the
 * pool's counter passes it.  Either way the pool never hands it out.
 */
int
p9_fid_reserve(struct p9_session *s, uint32_t num)
{
	int err = 0;

	if (num == P9_NOFID)
		return -EINVAL;
	pthread_mutex_lock(&s->fidlk);
	for (struct p9_fid *f = s->fids.next; f != &s->fids; f = f->next)
		if (f->num == num)
			err = -EBUSY;
	if (err == 0 && num < s->nextfid) {
		for (unsigned i = 0; i < s->nfidfree; i++)
			if (s->fidfree[i] == num) {
				s->fidfree[i] = s->fidfree[--s->nfidfree];
				break;
			}
	} else if (err == 0) {
		uint32_t *n;
		unsigned i;

		for (i = 0; i < s->nfidres && s->fidres[i] != num; i++)
			;
		if (i == s->nfidres) {
			n = realloc(s->fidres, (s->nfidres + 1) * sizeof *n);
			if (n == NULL)
				err = -ENOMEM;
			else {
				s->fidres = n;
				s->fidres[s->nfidres++] = num;
			}
		}
	}
	pthread_mutex_unlock(&s->fidlk);
	return err;
}

/*
 * A malformed or mismatched reply, or a flush that the reply did not
 * beat, says nothing of what the server did: a Twalk's newfid may exist
 * there all the same.  Such a fid is clunked when put (an error reply to
 * that Tclunk is harmless), so that its number is never handed out again
 * while the server may still hold it ("fid already in use" ever after).
 */
int
p9__unsure(int err)
{
	return err == -EBADMSG || err == -EPROTO || err == -EMSGSIZE ||
	    err == -EINTR;
}

/* Record f's path as base/rel, with "." and ".." resolved textually. */
void
p9__fid_setpath(struct p9_fid *f, const char *base, const char *rel)
{
	size_t n = strlen(base) + strlen(rel) + 3;
	char *p = malloc(n), *q;
	const char *e;

	if (p == NULL)
		return;
	q = p;
	*q++ = '/';
	for (int pass = 0; pass < 2; pass++) {
		const char *s = pass ? rel : base;

		while (*s) {
			while (*s == '/')
				s++;
			if (*s == '\0')
				break;
			for (e = s; *e && *e != '/'; e++)
				;
			if (e - s == 1 && s[0] == '.') {
				/* nothing */
			} else if (e - s == 2 && s[0] == '.' && s[1] == '.') {
				while (q > p + 1 && q[-1] != '/')
					q--;
				if (q > p + 1)
					q--;
			} else {
				if (q > p + 1)
					*q++ = '/';
				memcpy(q, s, (size_t)(e - s));
				q += e - s;
			}
			s = e;
		}
	}
	*q = '\0';
	free(f->path);
	f->path = p;
}

uint32_t
p9_fid_num(const struct p9_fid *f)
{
	return f->num;
}

const struct p9_qid *
p9_fid_qid(const struct p9_fid *f)
{
	return &f->qid;
}

const char *
p9_fid_path(const struct p9_fid *f)
{
	return f->path ? f->path : "?";
}

uint32_t
p9_fid_iounit(const struct p9_fid *f)
{
	return f->iounit;
}

unsigned
p9_session_nfids(struct p9_session *s)
{
	unsigned n;

	pthread_mutex_lock(&s->fidlk);
	n = s->nfids;
	pthread_mutex_unlock(&s->fidlk);
	return n;
}

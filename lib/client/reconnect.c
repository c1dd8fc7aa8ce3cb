/*
 * reconnect.c - a session that outlives its connection (p9_opts.reconnect).
 *
 * When the transport ends, the requests in flight are not failed: they
 * stay in the tag table, their waiters keep waiting, and a thread dials
 * the same address again, with backoff (100 ms doubling to 5 s).  On a new
 * connection it restores what the server forgot, in order:
 *
 *   Tversion    the same dialect, an msize no smaller than the session's
 *               (buffers and requests in flight were sized for it)
 *   Tattach     the root fid, same number, uname and aname
 *   Twalk       every other live fid from the root by its recorded path,
 *               to the same number (fid numbers are the client's)
 *   Tlopen      each fid that was open, with its open flags less O_CREAT,
 *               O_EXCL and O_TRUNC (Topen in 9P2000 and .u)
 *
 * then sends every lost request again, byte for byte as it was first
 * encoded (p9_send keeps a copy), and lets new requests through.  These
 * messages use one tag kept out of the pool for them.  A fid that can't be
 * restored (its file went away meanwhile) answers errors from then on;
 * a flush that was lost ends its request as Rflush would have.
 *
 * Hard (timeout 0, the default): callers wait as long as it takes.  Soft:
 * after timeout seconds away, the waiting requests fail with EIO, as do
 * new ones while the server stays away; the thread goes on dialling, and
 * the session recovers when the server comes back.
 *
 * Only dialled sockets (TCP, Unix) reconnect: an fd pair or a virtio
 * device has no address to dial again.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "session.h"

struct p9__recon {
	char		*addr;
	char		*uname, *aname;
	uint32_t	 n_uname;
	int		 timeout_s;
	int		 dialect;	/* the session's, to be kept */
	pthread_t	 thr;
	int		 running;	/* the thread exists (joinable) */
	int		 stop;
	struct timespec	 lost;		/* when the connection went */
	int		 expired;	/* soft: the waiters were failed */
	int		 restoring;	/* a new connection is being restored */
};

static void
now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static double
since(const struct timespec *t0)
{
	struct timespec t;

	now(&t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int
p9__recon_init(struct p9_session *s, const char *addr,
    const struct p9_opts *o)
{
	struct p9__recon *rc = calloc(1, sizeof *rc);

	if (rc == NULL || (rc->addr = strdup(addr)) == NULL ||
	    (o->uname && (rc->uname = strdup(o->uname)) == NULL) ||
	    (rc->aname = strdup(o->aname ? o->aname : "")) == NULL) {
		if (rc) {
			free(rc->addr);
			free(rc->uname);
			free(rc);
		}
		return -ENOMEM;
	}
	/* the attach's uname and n_uname, as attach() chose them */
	if (rc->uname == NULL) {
		struct passwd *pw = getpwuid(getuid());

		rc->uname = strdup(pw ? pw->pw_name : "nobody");
	}
	if (o->n_uname != P9_NOFID)
		rc->n_uname = o->n_uname;
	else
		rc->n_uname = o->uname ? P9_NOFID : (uint32_t)getuid();
	rc->timeout_s = o->timeout_s;
	s->rc = rc;
	return 0;
}

/* The server came back refusing what the session needs: the end. */
static void
give_up(struct p9_session *s, int err, const char *why)
{
	pthread_mutex_lock(&s->lk);
	s->rc->stop = 1;
	pthread_mutex_unlock(&s->lk);
	p9__hangup_why(s, err, why);
}

/* Is the session away, and must a new request wait or fail?  Returns 0
 * to go on (sent on a connection that is up), or a negative errno.
 * Called with s->lk held. */
int
p9__recon_gate(struct p9_session *s)
{
	struct p9__recon *rc = s->rc;

	while (s->away && !s->closing && !s->dead) {
		struct timespec dl;

		if (rc->timeout_s == 0) {
			pthread_cond_wait(&s->backcv, &s->lk);
			continue;
		}
		if (rc->expired)
			return p9__fail(-EIO, "the server has been away for "
			    "more than %d s", rc->timeout_s);
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		pthread_cond_timedwait(&s->backcv, &s->lk, &dl);
	}
	if (s->away && !s->dead)		/* closing */
		return p9__fail(-ECONNRESET, "the session is closing");
	return 0;
}

/*
 * A fid whose last reference goes while the connection is lost and no
 * new one is being restored: the server forgot it with the connection,
 * so its Tclunk need not wait for the server (an unmount or a close then
 * never hangs on a server that is gone).  It is marked dead under fidlk,
 * so that restore(), which copies the live fids under fidlk once
 * restoring is set, can't walk it again; once restoring is set, the
 * Tclunk waits and goes to the new connection as any request.
 */
int
p9__recon_forgot(struct p9_fid *f)
{
	struct p9_session *s = f->s;
	int forgot;

	if (s->rc == NULL)
		return 0;
	pthread_mutex_lock(&s->fidlk);
	pthread_mutex_lock(&s->lk);
	forgot = s->rc && s->away && !s->rc->restoring && !s->dead;
	pthread_mutex_unlock(&s->lk);
	if (forgot)
		f->live = 0;
	pthread_mutex_unlock(&s->fidlk);
	return forgot;
}

/* Soft timeout: every request waiting on the lost connection fails. */
static void
expire(struct p9_session *s)
{
	pthread_mutex_lock(&s->lk);
	s->rc->expired = 1;
	for (unsigned i = 0; i < s->maxtag; i++) {
		struct p9_req *rq = s->tags[i];

		if (rq == NULL || rq == &s->held || i == s->rtag ||
		    rq->state != RQ_SENT)
			continue;
		p9__req_end(s, rq, (uint16_t)i, -EIO);
	}
	pthread_cond_broadcast(&s->backcv);
	pthread_mutex_unlock(&s->lk);
}

/* One restoring RPC on the new connection, on the reserved tag. */
static int
rpc(struct p9_session *s, struct p9_fcall *t, struct p9_reply *r)
{
	struct p9_req *rq;
	int err;

	r->buf = NULL;
	if ((err = p9__send_restore(s, t, &rq)) != 0)
		return err;
	return p9_wait(rq, r);
}

static int
rpc0(struct p9_session *s, struct p9_fcall *t)
{
	struct p9_reply r;
	int err = rpc(s, t, &r);

	if (err == 0)
		p9_reply_free(&r);
	return err;
}

/* Walk fid num from the root along path ("/a/b"), 16 names a message. */
static int
rewalk(struct p9_session *s, uint32_t root, uint32_t num, const char *path)
{
	char *copy = strdup(path), *p = copy, *save = NULL, *tok;
	struct p9_fcall t = { .type = P9_Twalk };
	uint32_t from = root;
	int err = 0, last = 0;

	if (copy == NULL)
		return -ENOMEM;
	tok = strtok_r(p, "/", &save);
	do {
		t.fid = from;
		t.newfid = num;
		t.nwname = 0;
		while (tok && t.nwname < P9_MAXWELEM) {
			t.wname[t.nwname++] = p9__str(tok);
			tok = strtok_r(NULL, "/", &save);
		}
		last = tok == NULL;
		{
			struct p9_reply r;

			if ((err = rpc(s, &t, &r)) != 0)
				break;
			if (r.f.nwqid != t.nwname)
				err = -ENOENT;
			p9_reply_free(&r);
		}
		from = num;
	} while (!err && !last);
	free(copy);
	return err;
}

/* A transport error (the new connection failed too) or the server's no? */
static int
lost_again(struct p9_session *s)
{
	int away;

	pthread_mutex_lock(&s->lk);
	away = s->tr_failed;
	pthread_mutex_unlock(&s->lk);
	return away;
}

/*
 * Version, attach, the fids.  Returns 0, or a negative errno when the
 * connection failed (try again later); a server that refuses what the
 * session needs (another dialect, a smaller msize, the root) ends it.
 */
static int
restore(struct p9_session *s)
{
	struct p9__recon *rc = s->rc;
	struct p9_fcall t = { .type = P9_Tversion };
	struct p9_reply r;
	char vers[32];
	enum p9_dialect got;
	int err;

	t.msize = s->msize;
	t.version = p9__str(p9_dialect_name(s->dialect));
	if ((err = rpc(s, &t, &r)) != 0)
		return err;
	snprintf(vers, sizeof vers, "%.*s", (int)r.f.version.len,
	    r.f.version.s);
	if (p9_dialect_parse(vers, &got) != 0 || got != s->dialect ||
	    r.f.msize < s->msize) {
		p9_reply_free(&r);
		give_up(s, -EPROTO, "the server came back with another "
		    "version or a smaller msize");
		return -EPROTO;
	}
	p9_reply_free(&r);

	memset(&t, 0, sizeof t);
	t.type = P9_Tattach;
	t.fid = s->root->num;
	t.afid = P9_NOFID;
	t.uname = p9__str(rc->uname);
	t.aname = p9__str(rc->aname);
	t.n_uname = rc->n_uname;
	if ((err = rpc0(s, &t)) != 0) {
		if (!lost_again(s))
			give_up(s, err, "the server refused to attach again");
		return err;
	}
	/* the fids as they are now, copied: a thread may drop one meanwhile
	 * (its Tclunk waits until the connection is back) */
	struct snap {
		uint32_t	 num;
		int		 omode;
		char		*path;
	} *fs = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&s->fidlk);
	for (struct p9_fid *f = s->fids.next; f != &s->fids; f = f->next) {
		if (f == s->root || !f->live || f->path == NULL)
			continue;
		if (n == cap) {
			struct snap *nf;

			cap = cap ? 2 * cap : 64;
			if ((nf = realloc(fs, cap * sizeof *fs)) == NULL)
				break;
			fs = nf;
		}
		fs[n].num = f->num;
		fs[n].omode = f->omode;
		if ((fs[n].path = strdup(f->path)) != NULL)
			n++;
	}
	pthread_mutex_unlock(&s->fidlk);
	for (size_t i = 0; i < n; i++) {
		struct p9_fcall o = { .fid = fs[i].num };
		int flags = fs[i].omode & ~(O_CREAT | O_EXCL | O_TRUNC);

		err = rewalk(s, s->root->num, fs[i].num, fs[i].path);
		if (err == 0 && fs[i].omode >= 0) {
			if (s->dialect == P9_2000L) {
				o.type = P9_Tlopen;
				o.flags = p9_oflags_to_linux(flags);
			} else {
				o.type = P9_Topen;
				o.mode = p9_oflags_to_omode(flags);
			}
			err = rpc0(s, &o);
		}
		if (err && lost_again(s))
			break;
		/* else that file is gone: its fid answers errors from now */
	}
	for (size_t i = 0; i < n; i++)
		free(fs[i].path);
	free(fs);
	return lost_again(s) ? -ECONNRESET : 0;
}

static int
byseq(const void *a, const void *b)
{
	const struct p9_req *x = *(struct p9_req *const *)a;
	const struct p9_req *y = *(struct p9_req *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The requests the lost connection took with it, sent again in the order
 * they were first sent (a Tflush after the request it flushes; the server
 * answers a flush of a tag it doesn't know at once).
 */
static int
resend(struct p9_session *s)
{
	struct p9_req **v;
	unsigned n = 0;
	int err = 0;

	if ((v = calloc(s->maxtag, sizeof *v)) == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&s->lk);
	for (unsigned i = 0; i < s->maxtag; i++) {
		struct p9_req *rq = s->tags[i];

		if (rq && rq != &s->held && i != s->rtag &&
		    rq->state == RQ_SENT && rq->hdr)
			v[n++] = rq;
	}
	pthread_mutex_unlock(&s->lk);
	qsort(v, n, sizeof *v, byseq);
	/*
	 * Not under the lock: a send may block until the server reads, and it
	 * may wait to write replies that the receiving thread takes under the
	 * lock.  v[i] can't end before it is sent (nothing else ends a request
	 * while the session is away), and isn't touched after.
	 */
	for (unsigned i = 0; i < n && !err; i++) {
		struct iovec iov[2] = { { v[i]->hdr, v[i]->hlen },
		    { (void *)v[i]->payload, v[i]->plen } };
		int niov = v[i]->plen ? 2 : 1;

		if (s->trace)
			s->trace(s->tracearg, iov, niov);
		err = s->tr->ops->send(s->tr, iov, niov);
	}
	free(v);
	return err < 0 ? err : 0;
}

static void *
thread(void *arg)
{
	struct p9_session *s = arg;
	struct p9__recon *rc = s->rc;
	unsigned backoff = 100;

	for (;;) {
		struct p9_transport *tr = NULL, *old;
		int rfd, wfd, err;

		pthread_mutex_lock(&s->lk);
		if (rc->stop || s->dead) {
			pthread_mutex_unlock(&s->lk);
			break;
		}
		pthread_mutex_unlock(&s->lk);
		if (rc->timeout_s && !rc->expired &&
		    since(&rc->lost) >= rc->timeout_s)
			expire(s);
		err = p9__dial_fds(rc->addr, 2000, &rfd, &wfd);
		if (err == 0)
			err = p9__sock_open(rfd, wfd, &tr);
		if (err == 0) {
			/* the old transport is retired: a sender that took it
			 * before the loss may still be using it */
			struct p9_transport **nr = realloc(s->retired,
			    (s->nretired + 1) * sizeof *nr);

			if (nr == NULL) {
				tr->ops->shutdown(tr);
				tr->ops->destroy(tr);
				goto later;
			}
			pthread_mutex_lock(&s->lk);
			s->retired = nr;
			old = s->tr;
			s->retired[s->nretired++] = old;
			tr->s = s;
			s->tr = tr;
			s->tr_failed = 0;
			rc->restoring = 1;
			pthread_mutex_unlock(&s->lk);
			old->ops->shutdown(old);
			if (s->trace)
				p9__trace_reconnect(s->tracearg);
			if ((err = tr->ops->start(tr)) == 0 &&
			    (err = restore(s)) == 0 &&
			    (err = resend(s)) == 0) {
				pthread_mutex_lock(&s->lk);
				s->away = 0;
				s->reconnects++;
				rc->expired = 0;
				rc->restoring = 0;
				pthread_cond_broadcast(&s->backcv);
				pthread_mutex_unlock(&s->lk);
				break;
			}
			tr->ops->shutdown(tr);
			pthread_mutex_lock(&s->lk);
			rc->restoring = 0;
			pthread_mutex_unlock(&s->lk);
		}
later:
		/* wait before the next try, or until told to stop */
		{
			struct timespec dl;

			pthread_mutex_lock(&s->lk);
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_sec += backoff / 1000;
			dl.tv_nsec += (long)(backoff % 1000) * 1000000;
			if (dl.tv_nsec >= 1000000000) {
				dl.tv_sec++;
				dl.tv_nsec -= 1000000000;
			}
			if (!rc->stop && !s->dead)
				pthread_cond_timedwait(&s->backcv, &s->lk, &dl);
			pthread_mutex_unlock(&s->lk);
		}
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
	return NULL;
}

/*
 * The connection is gone (called with s->lk held, from p9__hangup): keep
 * the requests and start dialling.  Returns 0 if reconnecting, -1 if the
 * session can't (then it ends as without reconnect).
 */
int
p9__recon_lost(struct p9_session *s)
{
	struct p9__recon *rc = s->rc;

	if (rc == NULL || s->closing || rc->stop)
		return -1;
	s->tr_failed = 1;
	if (s->away) {
		/* the restoring connection failed: its own request ends,
		 * the lost ones wait for the next */
		if (s->tags[s->rtag] && s->tags[s->rtag] != &s->held)
			p9__req_end(s, s->tags[s->rtag], s->rtag, -ECONNRESET);
		if (s->vreq) {
			p9__req_end(s, s->vreq, P9_NOTAG, -ECONNRESET);
		}
		return 0;
	}
	s->away = 1;
	now(&rc->lost);
	if (rc->running) {
		/* a previous reconnection's thread: it has ended */
		pthread_mutex_unlock(&s->lk);
		pthread_join(rc->thr, NULL);
		pthread_mutex_lock(&s->lk);
		rc->running = 0;
	}
	if (pthread_create(&rc->thr, NULL, thread, s) != 0) {
		s->away = 0;
		return -1;
	}
	rc->running = 1;
	return 0;
}

/* p9_session_abort: dial no more (s->lk held). */
void
p9__recon_stop(struct p9_session *s)
{
	s->rc->stop = 1;
	pthread_cond_broadcast(&s->backcv);
}

/* p9_session_close: stop dialling, wait for the thread. */
void
p9__recon_close(struct p9_session *s)
{
	struct p9__recon *rc = s->rc;

	if (rc == NULL)
		return;
	pthread_mutex_lock(&s->lk);
	rc->stop = 1;
	pthread_cond_broadcast(&s->backcv);
	pthread_mutex_unlock(&s->lk);
	if (s->tr)
		s->tr->ops->shutdown(s->tr);
	if (rc->running)
		pthread_join(rc->thr, NULL);
	free(rc->addr);
	free(rc->uname);
	free(rc->aname);
	free(rc);
	s->rc = NULL;
}

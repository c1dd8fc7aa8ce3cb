/*
 * session.c - the client session: version negotiation and attach, the tag
 * table that multiplexes concurrent RPCs over one transport, delivery of
 * replies by tag, Tflush, and failing every waiter when the transport dies.
 *
 * Locking: s->lk guards the tag table, every request's state and s->dead.
 * A request's tag is freed when its reply is delivered (or when its flush
 * completes), never earlier, so a tag is not reused while the server may
 * still answer it.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "session.h"

#define DEFTAGS		256
#define FLUSHWAIT	5	/* seconds a server has to answer Tflush */

void
p9_opts_init(struct p9_opts *o)
{
	memset(o, 0, sizeof *o);
	o->dialect = -1;
	o->n_uname = P9_NOFID;
}

uint32_t
p9__rxlimit(struct p9_session *s)
{
	return s->msize;
}

static struct p9_req **
slot(struct p9_session *s, uint16_t tag)
{
	if (tag == P9_NOTAG)
		return &s->vreq;
	return tag < s->maxtag ? &s->tags[tag] : NULL;
}

static void
finish(struct p9_req *rq, int err, uint8_t *buf, size_t len)
{
	rq->state = RQ_DONE;
	rq->err = err;
	rq->rbuf = buf;
	rq->rlen = len;
	pthread_cond_signal(&rq->cv);
}

static void
freetag(struct p9_session *s, uint16_t tag)
{
	struct p9_req **sp = slot(s, tag);

	*sp = NULL;
	if (tag != P9_NOTAG && tag != s->rtag) {
		/* to the back of the queue: see p9_send */
		s->freetags[(s->taghead + s->nfree++) % s->maxtag] = tag;
		pthread_cond_signal(&s->tagcv);
	}
}

/* Free a request nobody holds any more. */
static void
rq_destroy(struct p9_req *rq)
{
	pthread_cond_destroy(&rq->cv);
	free(rq->hdr);
	free(rq);
}

void
p9__req_end(struct p9_session *s, struct p9_req *rq, uint16_t tag, int err)
{
	freetag(s, tag);
	if (rq->done) {
		rq->done(rq->donearg);
		rq_destroy(rq);
	} else {
		finish(rq, err, NULL, 0);
	}
}

void
p9__deliver(struct p9_session *s, uint8_t *buf, size_t len)
{
	uint16_t tag = (uint16_t)(buf[5] | buf[6] << 8);
	struct p9_req **sp, *rq;

	if (s->trace) {
		struct iovec iov = { buf, len };

		s->trace(s->tracearg, &iov, 1);
	}

	pthread_mutex_lock(&s->lk);
	sp = slot(s, tag);
	rq = sp ? *sp : NULL;
	if (rq == NULL || rq == &s->held || rq->state != RQ_SENT) {
		/* a reply to no outstanding request: drop it, count it */
		s->strays++;
		pthread_mutex_unlock(&s->lk);
		p9__rxfree(buf);
		return;
	}
	if (rq->t.type == P9_Tflush && len > 4 && buf[4] == P9_Rflush) {
		/* the flushed request is over: it failed unless answered */
		struct p9_req **vp = slot(s, rq->t.oldtag), *v = vp ? *vp : NULL;

		if (v && v != &s->held && v->state == RQ_SENT && v->flushed)
			finish(v, 0, NULL, 0);
		if (v && (v == &s->held || v->flushed))
			freetag(s, rq->t.oldtag);
	}
	/* a flushed tag stays reserved until its Rflush */
	if (rq->flushed)
		*sp = &s->held;
	else
		freetag(s, tag);
	if (rq->done) {
		pthread_mutex_unlock(&s->lk);
		p9__rxfree(buf);
		rq->done(rq->donearg);
		rq_destroy(rq);
		return;
	}
	finish(rq, 0, buf, len);
	pthread_mutex_unlock(&s->lk);
}

void
p9__set_trace(struct p9_session *s,
    void (*fn)(void *, const struct iovec *, int), void *arg)
{
	s->trace = fn;
	s->tracearg = arg;
}

void
p9__hangup(struct p9_session *s, int err)
{
	p9__hangup_why(s, err, NULL);
}

void
p9__hangup_why(struct p9_session *s, int err, const char *why)
{
	p9__tr_hangup(s, NULL, err, why);
}

/*
 * tr ended (NULL: whichever is current).  A transport that a reconnect
 * has already replaced is ignored: its reader, or a sender that took it
 * before the loss, may notice the end only now.
 */
void
p9__tr_hangup(struct p9_session *s, struct p9_transport *tr, int err,
    const char *why)
{
	pthread_mutex_lock(&s->lk);
	if (tr && s->rc && tr != s->tr) {
		pthread_mutex_unlock(&s->lk);
		return;
	}
	/* with reconnect, the requests wait for the next connection */
	if (!s->dead && s->rc && p9__recon_lost(s) == 0) {
		pthread_mutex_unlock(&s->lk);
		return;
	}
	if (!s->dead) {
		s->dead = err ? err : -ECONNRESET;
		snprintf(s->why, sizeof s->why, "%s",
		    why ? why : strerror(-s->dead));
	}
	for (unsigned i = 0; i < s->maxtag; i++) {
		struct p9_req *rq = s->tags[i];

		s->tags[i] = NULL;
		if (rq == NULL || rq == &s->held)
			continue;
		if (rq->done) {
			/* detached: nobody waits, so finish it here */
			rq->done(rq->donearg);
			rq_destroy(rq);
		} else
			finish(rq, s->dead, NULL, 0);
	}
	if (s->vreq) {
		finish(s->vreq, s->dead, NULL, 0);
		s->vreq = NULL;
	}
	pthread_cond_broadcast(&s->tagcv);
	pthread_cond_broadcast(&s->backcv);
	pthread_mutex_unlock(&s->lk);
}

static int
deaderr(struct p9_session *s, int err)
{
	return p9__fail(err, "connection lost: %s",
	    s->why[0] ? s->why : strerror(-err));
}

static int send_req(struct p9_session *s, struct p9_fcall *t,
    struct p9_req **rqp, int restore);

int
p9_send(struct p9_session *s, struct p9_fcall *t, struct p9_req **rqp)
{
	return send_req(s, t, rqp, 0);
}

int
p9__send_restore(struct p9_session *s, struct p9_fcall *t,
    struct p9_req **rqp)
{
	return send_req(s, t, rqp, 1);
}

/*
 * restore: a message of the reconnect thread, on the reserved tag (or
 * NOTAG), past the gate that holds everyone else while the session is away.
 */
static int
send_req(struct p9_session *s, struct p9_fcall *t, struct p9_req **rqp,
    int restore)
{
	struct p9_req *rq;
	uint8_t small[512], *hd = small;
	size_t size, payload = 0;
	ssize_t n;
	struct iovec iov[2];
	struct p9_transport *tr;
	int err;

	size = p9_size(t, s->dialect);
	if (size == 0)
		return p9__fail(-EINVAL, "cannot encode message type %d in %s",
		    t->type, p9_dialect_name(s->dialect));
	if (size > s->msize)
		return p9__fail(-EMSGSIZE, "%s of %zu bytes exceeds msize %u",
		    p9_typename(t->type), size, s->msize);
	if (t->type == P9_Twrite)
		payload = t->count;
	if ((rq = calloc(1, sizeof *rq)) == NULL)
		return -ENOMEM;
	if (size - payload > sizeof small &&
	    (hd = malloc(size - payload)) == NULL) {
		free(rq);
		return -ENOMEM;
	}
	rq->s = s;
	pthread_cond_init(&rq->cv, NULL);

	pthread_mutex_lock(&s->lk);
	if (s->rc && !restore && (err = p9__recon_gate(s)) != 0) {
		pthread_mutex_unlock(&s->lk);
		goto fail;
	}
	if (t->type == P9_Tversion) {
		t->tag = P9_NOTAG;
		if (s->vreq)
			s->dead = s->dead ? s->dead : -EBUSY;
	} else if (restore) {
		t->tag = (uint16_t)s->rtag;
	} else {
		while (!s->dead && s->nfree == 0)
			pthread_cond_wait(&s->tagcv, &s->lk);
		/*
		 * The tag free longest: a server that answers a tag twice, or
		 * after its Rflush, then hits no request (the reply is a stray)
		 * instead of the next one, which would take its data.
		 */
		if (!s->dead) {
			t->tag = s->freetags[s->taghead];
			s->taghead = (s->taghead + 1) % s->maxtag;
			s->nfree--;
		}
	}
	if ((err = s->dead) != 0) {
		pthread_mutex_unlock(&s->lk);
		goto fail;
	}
	*slot(s, t->tag) = rq;
	rq->state = RQ_SENT;
	/* keep what p9_check_reply looks at */
	rq->t.type = t->type;
	rq->t.tag = t->tag;
	rq->t.msize = t->msize;
	rq->t.nwname = t->nwname;
	rq->t.count = t->count;
	rq->t.oldtag = t->oldtag;
	pthread_mutex_unlock(&s->lk);

	n = p9_encode_head(hd, size - payload, t, s->dialect);
	if (n < 0) {
		err = (int)n;
		pthread_mutex_lock(&s->lk);
		freetag(s, t->tag);
		pthread_mutex_unlock(&s->lk);
		goto fail;
	}
	iov[0] = (struct iovec){ hd, (size_t)n };
	iov[1] = (struct iovec){ (void *)t->data, payload };
	if (s->rc && !restore) {
		/* kept to be sent again on the next connection; no lock:
		 * only the reconnect thread reads it, once the session is
		 * away, and a failed copy only means it isn't resent */
		if ((rq->hdr = malloc((size_t)n)) != NULL) {
			memcpy(rq->hdr, hd, (size_t)n);
			rq->hlen = (size_t)n;
			rq->payload = t->data;
			rq->plen = payload;
		}
	}
	if (s->trace)
		s->trace(s->tracearg, iov, payload ? 2 : 1);
	pthread_mutex_lock(&s->lk);
	rq->seq = ++s->seq;
	tr = s->tr;
	pthread_mutex_unlock(&s->lk);
	err = tr->ops->send(tr, iov, payload ? 2 : 1);
	if (hd != small)
		free(hd);
	if (err < 0) {
		/* a failed send leaves the stream unusable: end the session
		 * (or, with reconnect, this connection) */
		tr->ops->shutdown(tr);
		p9__tr_hangup(s, tr, err, NULL);
	}
	*rqp = rq;	/* p9_wait reports any error */
	return 0;
fail:
	if (hd != small)
		free(hd);
	pthread_cond_destroy(&rq->cv);
	free(rq);
	return err == -EMSGSIZE || err == -EINVAL ? err : deaderr(s, err);
}

/* Turn an Rlerror / Rerror into a negative errno and the error text. */
int
p9__rpc_err(struct p9_session *s, const struct p9_fcall *r)
{
	int e;

	if (r->type == P9_Rlerror) {
		e = p9_errno_from_linux(r->ecode);
		return p9__fail(-e, "%s", strerror(e));
	}
	if (r->type == P9_Rerror) {
		if (s->dialect == P9_2000U && r->ecode != 0)
			e = p9_errno_from_linux(r->ecode);
		else
			e = p9_errno_from_string(r->ename.s, r->ename.len);
		return p9__fail(-e, "%.*s", (int)r->ename.len, r->ename.s);
	}
	return 0;
}

/*
 * Wait for the reply to the Tflush rq, FLUSHWAIT seconds at most.  A
 * server answers Tflush as soon as the flushed request is over; one that
 * stays silent that long is not answering at all, and the session ends:
 * every waiter then fails at once instead of hanging (a FUSE request
 * whose process was killed keeps it in uninterruptible sleep until
 * answered).  Called and returns with s->lk held.
 */
static void
flushwait(struct p9_session *s, struct p9_req *rq)
{
	struct timespec dl;
	char why[64];

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += FLUSHWAIT;
	while (rq->state != RQ_DONE)
		if (pthread_cond_timedwait(&rq->cv, &s->lk, &dl) == ETIMEDOUT)
			break;
	if (rq->state == RQ_DONE)
		return;
	pthread_mutex_unlock(&s->lk);
	snprintf(why, sizeof why, "the server did not answer Tflush in %d s",
	    FLUSHWAIT);
	p9__hangup_why(s, -ETIMEDOUT, why);
	s->tr->ops->shutdown(s->tr);
	pthread_mutex_lock(&s->lk);
}

/* Wait for rq's reply and decode it; rq stays allocated. */
static int
collect(struct p9_req *rq, struct p9_reply *r)
{
	struct p9_session *s = rq->s;
	enum p9_dialect d = s->dialect;
	const char *why;
	int err;

	pthread_mutex_lock(&s->lk);
	if (rq->t.type == P9_Tflush)
		flushwait(s, rq);
	while (rq->state != RQ_DONE)
		pthread_cond_wait(&rq->cv, &s->lk);
	pthread_mutex_unlock(&s->lk);
	r->buf = rq->rbuf;
	err = rq->err;
	if (err == 0 && rq->rbuf == NULL)
		err = p9__fail(-EINTR, "interrupted");
	else if (err)
		err = deaderr(s, err);
	if (err == 0) {
		/* an error reply to Tversion is in the oldest dialect */
		if (rq->t.type == P9_Tversion && rq->rlen > 4 &&
		    rq->rbuf[4] == P9_Rerror)
			d = P9_2000;
		err = p9_decode(rq->rbuf, rq->rlen, s->msize, d, &r->f, &why);
		if (err == 0)
			err = p9_check_reply(&rq->t, &r->f, d, &why);
		if (err == 0)
			err = p9__rpc_err(s, &r->f);
	}
	if (err) {
		p9__rxfree(r->buf);
		r->buf = NULL;
	}
	return err;
}

static void
req_free(struct p9_req *rq)
{
	rq_destroy(rq);
}

int
p9_wait(struct p9_req *rq, struct p9_reply *r)
{
	int err = collect(rq, r);

	req_free(rq);
	return err;
}

void
p9_intr_init(struct p9_intr *in)
{
	memset(in, 0, sizeof *in);
	pthread_mutex_init(&in->lk, NULL);
}

void
p9_intr_destroy(struct p9_intr *in)
{
	pthread_mutex_destroy(&in->lk);
}

/* Register rq in slot i of in (NULL in: nothing to do); -EINTR if fired. */
int
p9__intr_add(struct p9_intr *in, int i, struct p9_req *rq)
{
	int fired;

	if (in == NULL)
		return 0;
	pthread_mutex_lock(&in->lk);
	in->rq[i] = rq;
	if ((fired = in->fired) != 0)
		p9_cancel(rq);
	pthread_mutex_unlock(&in->lk);
	return fired ? -EINTR : 0;
}

/* Wait for the request in slot i, then drop it from in and free it. */
int
p9__intr_wait(struct p9_intr *in, int i, struct p9_req *rq,
    struct p9_reply *r)
{
	int err = collect(rq, r);

	/* p9_intr_fire holds in->lk for as long as it uses rq */
	if (in) {
		pthread_mutex_lock(&in->lk);
		in->rq[i] = NULL;
		pthread_mutex_unlock(&in->lk);
	}
	req_free(rq);
	return err;
}

int
p9__intr_fired(struct p9_intr *in)
{
	int fired;

	if (in == NULL)
		return 0;
	pthread_mutex_lock(&in->lk);
	fired = in->fired;
	pthread_mutex_unlock(&in->lk);
	return fired;
}

int
p9_rpc_intr(struct p9_session *s, struct p9_fcall *t, struct p9_reply *r,
    struct p9_intr *in)
{
	struct p9_req *rq;
	int err;

	r->buf = NULL;
	if (p9__intr_fired(in))
		return p9__fail(-EINTR, "interrupted");
	if ((err = p9_send(s, t, &rq)) != 0)
		return err;
	p9__intr_add(in, 0, rq);
	return p9__intr_wait(in, 0, rq, r);
}

void
p9_intr_fire(struct p9_intr *in)
{
	pthread_mutex_lock(&in->lk);
	in->fired = 1;
	for (int i = 0; i < P9_INTR_MAX; i++)
		if (in->rq[i])
			p9_cancel(in->rq[i]);
	pthread_mutex_unlock(&in->lk);
}

/*
 * Send Tflush for rq and wait for Rflush.  The delivery of Rflush ends rq
 * (p9_wait then returns -EINTR) unless its reply came first; either way
 * its tag is not reused before Rflush.
 */
int
p9_cancel(struct p9_req *rq)
{
	struct p9_session *s = rq->s;
	struct p9_fcall t = { .type = P9_Tflush };

	pthread_mutex_lock(&s->lk);
	if (rq->state == RQ_DONE || rq->flushed || rq->t.type == P9_Tversion ||
	    rq->t.type == P9_Tflush) {
		pthread_mutex_unlock(&s->lk);
		return 0;
	}
	rq->flushed = 1;
	t.oldtag = rq->t.tag;
	pthread_mutex_unlock(&s->lk);
	/* rq may be gone once the flush is sent: it is not touched again */
	return p9__rpc0(s, &t);
}

int
p9_session_interrupt(struct p9_session *s)
{
	struct p9_req **fl;
	uint16_t *victims;
	unsigned n = 0;
	int err = 0;

	victims = calloc(s->maxtag, sizeof *victims);
	fl = calloc(s->maxtag, sizeof *fl);
	if (victims == NULL || fl == NULL) {
		free(victims);
		free(fl);
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->lk);
	for (unsigned i = 0; i < s->maxtag; i++) {
		struct p9_req *rq = s->tags[i];

		if (rq && rq != &s->held && rq->state == RQ_SENT &&
		    !rq->flushed && rq->t.type != P9_Tflush) {
			rq->flushed = 1;
			victims[n++] = (uint16_t)i;
		}
	}
	pthread_mutex_unlock(&s->lk);
	/* every Tflush goes out before any Rflush is awaited */
	for (unsigned i = 0; i < n; i++) {
		struct p9_fcall t = { .type = P9_Tflush, .oldtag = victims[i] };

		if (p9_send(s, &t, &fl[i]) != 0)
			fl[i] = NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		struct p9_reply r;
		int e;

		if (fl[i] == NULL)
			continue;
		if ((e = p9_wait(fl[i], &r)) == 0)
			p9_reply_free(&r);
		else if (!err)
			err = e;
	}
	free(victims);
	free(fl);
	return err;
}

int
p9_rpc(struct p9_session *s, struct p9_fcall *t, struct p9_reply *r)
{
	struct p9_req *rq;
	int err;

	r->buf = NULL;
	if ((err = p9_send(s, t, &rq)) != 0)
		return err;
	return p9_wait(rq, r);
}

/*
 * Send t and do not wait: done(arg) runs when the reply comes (or the
 * session dies), from the receiving thread.  For clunks that nobody
 * needs to wait for.
 */
int
p9__send_detached(struct p9_session *s, struct p9_fcall *t,
    void (*done)(void *), void *arg)
{
	struct p9_req *rq;
	int err;

	if ((err = p9_send(s, t, &rq)) != 0)
		return err;
	pthread_mutex_lock(&s->lk);
	if (rq->state == RQ_DONE) {
		/* answered (or dead) already: finish it as a waiter would */
		pthread_mutex_unlock(&s->lk);
		p9__rxfree(rq->rbuf);
		req_free(rq);
		done(arg);
		return 0;
	}
	rq->done = done;
	rq->donearg = arg;
	pthread_mutex_unlock(&s->lk);
	return 0;
}

/* An RPC whose reply has nothing to keep. */
int
p9__rpc0(struct p9_session *s, struct p9_fcall *t)
{
	struct p9_reply r;
	int err = p9_rpc(s, t, &r);

	if (err == 0)
		p9_reply_free(&r);
	return err;
}

void
p9_reply_free(struct p9_reply *r)
{
	p9__rxfree(r->buf);
	r->buf = NULL;
}

static int
negotiate(struct p9_session *s, const struct p9_opts *o)
{
	enum p9_dialect want = o->dialect >= 0 ? (enum p9_dialect)o->dialect :
	    P9_2000L, got;
	struct p9_fcall t = { .type = P9_Tversion };
	struct p9_reply r;
	char vers[32];
	int err;

	t.msize = s->msize;
	if (t.msize < P9_MINMSIZE)
		return p9__fail(-EINVAL, "msize %u below the minimum %u",
		    t.msize, P9_MINMSIZE);
	t.version = p9__str(p9_dialect_name(want));
	s->msize = t.msize;
	s->dialect = P9_2000L;
	if ((err = p9_rpc(s, &t, &r)) != 0) {
		char why[128];

		if (p9_session_error(s))
			return err;
		snprintf(why, sizeof why, "%s", p9_errstr());
		return p9__fail(err, "server refused version %s msize %u: %s",
		    p9_dialect_name(want), t.msize, why);
	}
	snprintf(vers, sizeof vers, "%.*s", (int)r.f.version.len,
	    r.f.version.s);
	if (r.f.msize < P9_MINMSIZE || p9_dialect_parse(vers, &got) != 0 ||
	    got > want || (o->force && got != want)) {
		err = p9__fail(-EPROTONOSUPPORT,
		    "server answered version '%s' msize %u to %s msize %u",
		    vers, r.f.msize, p9_dialect_name(want), t.msize);
		p9_reply_free(&r);
		return err;
	}
	s->msize = r.f.msize;
	s->dialect = got;
	p9_reply_free(&r);
	p9__pool_resize(s->pool, s->msize);
	return 0;
}

static int
attach(struct p9_session *s, const struct p9_opts *o)
{
	struct p9_fcall t = { .type = P9_Tattach };
	struct p9_reply r;
	struct passwd *pw;
	const char *uname = o->uname;
	struct p9_fid *f;
	int err;

	if (uname == NULL)
		uname = (pw = getpwuid(getuid())) ? pw->pw_name : "nobody";
	if ((f = p9__fid_new(s)) == NULL)
		return -ENOMEM;
	t.fid = f->num;
	t.afid = P9_NOFID;
	t.uname = p9__str(uname);
	t.aname = p9__str(o->aname);
	/* a uname given by name is attached by name (n_uname "none") */
	if (o->n_uname != P9_NOFID)
		t.n_uname = o->n_uname;
	else
		t.n_uname = o->uname ? P9_NOFID : (uint32_t)getuid();
	if ((err = p9_rpc(s, &t, &r)) != 0) {
		p9_fid_put(f);
		return err;
	}
	f->live = 1;
	f->qid = r.f.qid;
	p9__fid_setpath(f, "/", "");
	p9_reply_free(&r);
	s->root = f;
	return 0;
}

/*
 * Run a session over tr (which it owns from now on, failing or not):
 * start receiving, negotiate the version, attach.
 */
static int run(struct p9_transport *tr, const struct p9_opts *o,
    struct p9_session **sp, const char *addr);

int
p9__session_run(struct p9_transport *tr, const struct p9_opts *o,
    struct p9_session **sp)
{
	return run(tr, o, sp, NULL);
}

/* addr: where to dial again if o->reconnect (sockets only) */
static int
run(struct p9_transport *tr, const struct p9_opts *o,
    struct p9_session **sp, const char *addr)
{
	struct p9_opts def;
	struct p9_session *s;
	char msg[256];
	int err;

	if (o == NULL) {
		p9_opts_init(&def);
		o = &def;
	}
	if ((s = calloc(1, sizeof *s)) == NULL) {
		tr->ops->shutdown(tr);
		tr->ops->destroy(tr);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lk, NULL);
	pthread_cond_init(&s->tagcv, NULL);
	pthread_cond_init(&s->backcv, NULL);
	pthread_mutex_init(&s->fidlk, NULL);
	s->fids.next = s->fids.prev = &s->fids;
	s->tr = tr;
	tr->s = s;
	s->maxtag = DEFTAGS;
	s->tags = calloc(s->maxtag, sizeof *s->tags);
	s->freetags = calloc(s->maxtag, sizeof *s->freetags);
	s->msize = o->msize ? o->msize : P9_DEFMSIZE;
	if (tr->maxmsize && s->msize > tr->maxmsize)
		s->msize = tr->maxmsize;
	s->pool = p9__pool_new(s->msize);
	if (s->tags == NULL || s->freetags == NULL || s->pool == NULL) {
		p9_session_close(s);
		return -ENOMEM;
	}
	/* tags 0..n-1, as many as the transport can carry at once; with
	 * reconnect the last is kept for restoring a connection */
	for (unsigned i = 0; i < s->maxtag; i++)
		s->freetags[s->nfree++] = (uint16_t)i;
	if (tr->maxreq && tr->maxreq < s->maxtag)
		s->nfree = tr->maxreq;
	s->rtag = s->maxtag;		/* none */
	if (addr && o->reconnect) {
		if (p9__recon_init(s, addr, o) != 0) {
			p9_session_close(s);
			return -ENOMEM;
		}
		s->rtag = s->nfree - 1;
		s->nfree--;
	}
	if ((o->trace && (err = p9_trace_file(s, o->trace)) != 0) ||
	    (err = tr->ops->start(tr)) != 0 ||
	    (err = negotiate(s, o)) != 0 || (err = attach(s, o)) != 0) {
		snprintf(msg, sizeof msg, "%s", p9_errstr());
		p9_session_close(s);
		return p9__fail(err, "%s", msg);
	}
	*sp = s;
	return 0;
}

int
p9_session_fd(int rfd, int wfd, const struct p9_opts *o,
    struct p9_session **sp)
{
	struct p9_transport *tr;
	int err;

	if ((err = p9__sock_open(rfd, wfd, &tr)) != 0)
		return err;	/* p9__sock_open closed the descriptors */
	return p9__session_run(tr, o, sp);
}

int
p9_dial(const char *addr, const struct p9_opts *o, struct p9_session **sp)
{
	struct p9_transport *tr;
	int rfd, wfd, err;

	err = p9__dial_fds(addr, o ? o->timeout_ms : 0, &rfd, &wfd);
	if (err == -EAGAIN) {
		/* not a socket: a virtio-9p device */
		if ((err = p9__virtio_dial(addr, o, &tr)) != 0)
			return err;
		return p9__session_run(tr, o, sp);
	}
	if (err)
		return err;
	if ((err = p9__sock_open(rfd, wfd, &tr)) != 0)
		return err;
	return run(tr, o, sp, addr);
}

void
p9_session_close(struct p9_session *s)
{
	if (s == NULL)
		return;
	/* no more waiting for a connection: calls fail from now on */
	pthread_mutex_lock(&s->lk);
	s->closing = 1;
	pthread_cond_broadcast(&s->backcv);
	pthread_mutex_unlock(&s->lk);
	if (s->rc && s->away) {
		/* the root's Tclunk can't go, and the waiters must end */
		p9__recon_close(s);
		p9__hangup_why(s, -ECONNRESET, "the session was closed while "
		    "the server was away");
	}
	if (s->root)
		p9_fid_put(s->root);
	p9__recon_close(s);
	if (s->tr) {
		s->tr->ops->shutdown(s->tr);
		s->tr->ops->destroy(s->tr);
	}
	for (unsigned i = 0; i < s->nretired; i++)
		s->retired[i]->ops->destroy(s->retired[i]);
	free(s->retired);
	if (s->trace)
		p9__trace_close(s->tracearg);
	while (s->fids.next != &s->fids) {
		struct p9_fid *f = s->fids.next;

		f->next->prev = f->prev;
		f->prev->next = f->next;
		free(f->path);
		free(f);
	}
	free(s->fidfree);
	free(s->fidres);
	p9__pool_close(s->pool);
	free(s->tags);
	free(s->freetags);
	pthread_mutex_destroy(&s->lk);
	pthread_cond_destroy(&s->tagcv);
	pthread_cond_destroy(&s->backcv);
	pthread_mutex_destroy(&s->fidlk);
	free(s);
}

void
p9_session_abort(struct p9_session *s, const char *why)
{
	struct p9_transport *tr;

	pthread_mutex_lock(&s->lk);
	if (s->rc)
		p9__recon_stop(s);	/* no reconnection from now on */
	tr = s->tr;
	pthread_mutex_unlock(&s->lk);
	p9__hangup_why(s, -ECONNABORTED, why);
	/* the reader (and a reconnection under way) see the end */
	tr->ops->shutdown(tr);
}

unsigned
p9_session_reconnects(struct p9_session *s)
{
	unsigned n;

	pthread_mutex_lock(&s->lk);
	n = s->reconnects;
	pthread_mutex_unlock(&s->lk);
	return n;
}

enum p9_dialect
p9_session_dialect(const struct p9_session *s)
{
	return s->dialect;
}

uint32_t
p9_session_msize(const struct p9_session *s)
{
	return s->msize;
}

uint32_t
p9_session_iosize(const struct p9_session *s)
{
	return s->msize - P9_IOHDRSZ;
}

struct p9_fid *
p9_session_root(struct p9_session *s)
{
	return s->root;
}

int
p9_session_error(const struct p9_session *s)
{
	struct p9_session *m = (struct p9_session *)s;
	int e;

	pthread_mutex_lock(&m->lk);
	e = m->dead;
	pthread_mutex_unlock(&m->lk);
	return e;
}

unsigned
p9_session_ntags(struct p9_session *s)
{
	unsigned n = 0;

	pthread_mutex_lock(&s->lk);
	for (unsigned i = 0; i < s->maxtag; i++)
		n += s->tags[i] != NULL;
	pthread_mutex_unlock(&s->lk);
	return n;
}

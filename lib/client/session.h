/*
 * session.h - the client session's internals: requests, the tag table,
 * fids, and the interface a transport implements (lib/transport/).
 */
#ifndef P9_SESSION_H
#define P9_SESSION_H

#include <pthread.h>
#include <sys/uio.h>

#include "p9int.h"

struct p9_transport;

/*
 * A transport delivers whole messages.  send() must be thread-safe and
 * write the message atomically with respect to other senders.  Replies
 * arrive asynchronously through p9__deliver(); the end of the connection
 * through p9__hangup().  shutdown() makes the receiving side stop and
 * hang up; destroy() frees after that.
 */
struct p9__tops {
	int	(*start)(struct p9_transport *);
	int	(*send)(struct p9_transport *, const struct iovec *, int);
	void	(*shutdown)(struct p9_transport *);
	void	(*destroy)(struct p9_transport *);
};

struct p9_transport {
	const struct p9__tops	*ops;
	struct p9_session	*s;
	unsigned		 maxreq;	/* most requests in flight, 0 any */
	uint32_t		 maxmsize;	/* largest message, 0 any */
};

enum { RQ_SENT, RQ_DONE };

struct p9_req {
	struct p9_session	*s;
	struct p9_fcall		 t;	/* what check_reply needs of the T */
	int			 state;	/* RQ_*, under s->lk */
	int			 flushed;	/* Tflush sent for it (under s->lk) */
	int			 err;	/* transport error, if any */
	uint8_t			*rbuf;	/* the reply, owned once DONE */
	size_t			 rlen;
	pthread_cond_t		 cv;
	/* a detached request: nobody waits; done() runs at its reply */
	void			(*done)(void *);
	void			*donearg;
	/* with reconnect: the message as sent, to send it again */
	uint8_t			*hdr;
	size_t			 hlen;
	const void		*payload;	/* a Twrite's data (caller's) */
	size_t			 plen;
	unsigned long		 seq;		/* order of sending */
};

struct p9_fid {
	struct p9_session	*s;
	uint32_t		 num;
	int			 refs;		/* atomic */
	int			 live;		/* exists on the server */
	int			 omode;		/* host open flags, -1 closed */
	struct p9_qid		 qid;
	uint32_t		 iounit;
	char			*path;
	struct p9_fid		*prev, *next;	/* s->fids, under s->fidlk */
};

struct p9_session {
	struct p9_transport	*tr;
	enum p9_dialect		 dialect;
	uint32_t		 msize;
	struct p9_fid		*root;

	pthread_mutex_t		 lk;		/* guards tags, dead */
	pthread_cond_t		 tagcv;		/* a tag was freed */
	struct p9_req		**tags;		/* maxtag slots */
	struct p9_req		*vreq;		/* the Tversion (NOTAG) */
	uint16_t		*freetags;	/* a queue: taghead, nfree */
	unsigned		 maxtag, nfree, taghead;
	int			 dead;		/* negative errno once down */
	struct p9_req		 held;		/* in tags[]: reserved till Rflush */
	unsigned long		 strays;	/* replies to no request */
	char			 why[128];	/* why the session died */
	struct pool		*pool;		/* reply buffers */
	int			 no_unlinkat, no_renameat; /* server lacks them */
	void			(*trace)(void *, const struct iovec *, int);
	void			*tracearg;

	pthread_mutex_t		 fidlk;		/* guards the fid pool */
	struct p9_fid		 fids;		/* list head of live fids */
	uint32_t		 nextfid;
	uint32_t		*fidfree;
	unsigned		 nfidfree, fidcap, nfids;
	uint32_t		*fidres;	/* reserved, >= nextfid */
	unsigned		 nfidres;

	/* reconnect (reconnect.c), all under lk */
	struct p9__recon	*rc;		/* NULL: a lost connection ends it */
	int			 away;		/* lost, being made again */
	int			 tr_failed;	/* the current transport ended */
	int			 closing;	/* p9_session_close has begun */
	pthread_cond_t		 backcv;	/* away ended (or the session) */
	unsigned		 rtag;		/* the restoring requests' tag */
	unsigned		 reconnects;
	unsigned long		 seq;
	/* transports replaced by a reconnect: shut down, freed at close
	 * (a sender may still hold one) */
	struct p9_transport	**retired;
	unsigned		 nretired;
};

/* received-message buffers (rxbuf.c) */
struct pool;
struct pool *p9__pool_new(size_t size);
void	p9__pool_close(struct pool *p);
void	p9__pool_resize(struct pool *p, size_t size);
uint8_t	*p9__rxbuf(struct pool *p, size_t size);
void	p9__rxfree(uint8_t *buf);
/*
 * A transport's own memory as a received message, without a copy: mem
 * has P9__RXHDR bytes (16-aligned) in front of the message, which starts
 * at mem + P9__RXHDR; freeing the message calls l->give_back(l), from
 * whichever thread frees it (the session's, or a caller holding a reply).
 */
#define P9__RXHDR	16
struct p9__lender {
	void	(*give_back)(struct p9__lender *);
};
uint8_t	*p9__rxlend(uint8_t *mem, struct p9__lender *l);

/* called by transports */
void	p9__deliver(struct p9_session *s, uint8_t *buf, size_t len);
void	p9__hangup(struct p9_session *s, int err);
void	p9__hangup_why(struct p9_session *s, int err, const char *why);
void	p9__tr_hangup(struct p9_session *s, struct p9_transport *tr, int err,
	    const char *why);
/* the size a received message may have right now */
uint32_t p9__rxlimit(struct p9_session *s);

/* transports (lib/transport/) */
int	p9__session_run(struct p9_transport *tr, const struct p9_opts *o,
	    struct p9_session **sp);
int	p9__sock_open(int rfd, int wfd, struct p9_transport **tp);
/* -EAGAIN: addr names a virtio-9p device, not a socket */
int	p9__dial_fds(const char *addr, int timeout_ms, int *rfd, int *wfd);
int	p9__virtio_dial(const char *addr, const struct p9_opts *o,
	    struct p9_transport **tp);

/* reconnect (reconnect.c) */
struct p9__recon;
int	p9__recon_init(struct p9_session *s, const char *addr,
	    const struct p9_opts *o);
int	p9__recon_gate(struct p9_session *s);	/* s->lk held */
int	p9__recon_lost(struct p9_session *s);	/* s->lk held */
void	p9__recon_close(struct p9_session *s);
void	p9__recon_stop(struct p9_session *s);	/* s->lk held */
/* f is being clunked: did the server forget it with a lost connection?
 * (Then no Tclunk is sent, and a restore will not walk it again.) */
int	p9__recon_forgot(struct p9_fid *f);
/* send on the reserved tag, past the gate (restoring a connection) */
int	p9__send_restore(struct p9_session *s, struct p9_fcall *t,
	    struct p9_req **rqp);
/* end rq (tag) with err: its waiter wakes, or a detached one is freed;
 * s->lk held */
void	p9__req_end(struct p9_session *s, struct p9_req *rq, uint16_t tag,
	    int err);

/* tracing (lib/trace/) */
void	p9__set_trace(struct p9_session *s,
	    void (*fn)(void *, const struct iovec *, int), void *arg);
void	p9__trace_close(void *arg);
void	p9__trace_reconnect(void *arg);	/* a new connection begins */

/* fids (fid.c) */
struct p9_fid *p9__fid_new(struct p9_session *s);
void	p9__fid_setpath(struct p9_fid *f, const char *base, const char *rel);
/* Did a request that makes a fid fail with err without telling whether
   the server made it?  (Then the fid is clunked all the same.) */
int	p9__unsure(int err);
int	p9__rpc0(struct p9_session *s, struct p9_fcall *t);
int	p9__send_detached(struct p9_session *s, struct p9_fcall *t,
	    void (*done)(void *), void *arg);
int	p9__intr_add(struct p9_intr *in, int i, struct p9_req *rq);
int	p9__intr_wait(struct p9_intr *in, int i, struct p9_req *rq,
	    struct p9_reply *r);
int	p9__intr_fired(struct p9_intr *in);
int	p9__rpc_err(struct p9_session *s, const struct p9_fcall *r);

#endif

/*
 * session.c - the client session against an in-process fake server over a
 * socketpair, for what a real server won't do on demand: replies out of
 * order, a reply racing a Tflush, replies to tags nobody asked, framing
 * violations, malformed replies, odd Rversion answers, and a server
 * dying in the middle of RPCs.  alarm() turns any hang into a failure.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p9int.h"
#include "tap.h"

struct srv {
	int		fd;
	const char	*version;	/* Rversion answer */
	uint32_t	msize;		/* 0: echo the request's */
	void		(*script)(struct srv *);
	pthread_t	th;
	uint32_t	newfid;		/* bad_walk: the walk's newfid */
	int		clunked;	/* ... was clunked next */
};

static int
readn(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Read one T-message; its strings point into buf. */
static int
srv_recv(struct srv *s, struct p9_fcall *f, uint8_t *buf)
{
	uint32_t size;

	if (readn(s->fd, buf, 4) < 0)
		return -1;
	size = buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24;
	if (size < 7 || size > 65536 || readn(s->fd, buf + 4, size - 4) < 0)
		return -1;
	return p9_decode(buf, size, 0, P9_2000L, f, NULL);
}

static void
srv_send(struct srv *s, struct p9_fcall *f)
{
	uint8_t buf[65536];
	ssize_t n = p9_encode(buf, sizeof buf, f, P9_2000L);

	if (n > 0 && write(s->fd, buf, (size_t)n) != n)
		diag("fake server: short write");
}

static void
srv_raw(struct srv *s, const void *p, size_t n)
{
	if (write(s->fd, p, n) != (ssize_t)n)
		diag("fake server: short write");
}

/* Answer Tversion and Tattach, then run the script. */
static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	static __thread uint8_t buf[65536];
	struct p9_fcall t, r;

	if (srv_recv(s, &t, buf) != 0 || t.type != P9_Tversion)
		return NULL;
	r = (struct p9_fcall){ .type = P9_Rversion, .tag = t.tag,
	    .msize = s->msize ? s->msize : t.msize,
	    .version = p9__str(s->version ? s->version : "9P2000.L") };
	srv_send(s, &r);
	if (srv_recv(s, &t, buf) != 0 || t.type != P9_Tattach) {
		close(s->fd);
		return NULL;
	}
	r = (struct p9_fcall){ .type = P9_Rattach, .tag = t.tag,
	    .qid = { P9_QTDIR, 0, 1 } };
	srv_send(s, &r);
	if (s->script)
		s->script(s);
	close(s->fd);
	return NULL;
}

static struct p9_session *
start(struct srv *s, const struct p9_opts *o, int *err)
{
	struct p9_session *sess = NULL;
	int sv[2];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	s->fd = sv[1];
	pthread_create(&s->th, NULL, srv_main, s);
	*err = p9_session_fd(sv[0], sv[0], o, &sess);
	return sess;
}

static void
finish(struct srv *s, struct p9_session *sess)
{
	p9_session_close(sess);
	pthread_join(s->th, NULL);
}

/* ---- scripts ------------------------------------------------------------ */

static void
reverse_three(struct srv *s)
{
	static uint8_t b[3][4096];
	struct p9_fcall t[3], r;

	for (int i = 0; i < 3; i++)
		if (srv_recv(s, &t[i], b[i]) != 0)
			return;
	for (int i = 2; i >= 0; i--) {
		r = (struct p9_fcall){ .type = P9_Rgetattr, .tag = t[i].tag };
		r.attr.qid.path = t[i].fid;
		srv_send(s, &r);
	}
	/* the Tclunk of the walk test below, if any */
}

static void
flush_reply_first(struct srv *s)
{
	static uint8_t b1[4096], b2[4096];
	struct p9_fcall rd, fl, r;

	if (srv_recv(s, &rd, b1) != 0 || srv_recv(s, &fl, b2) != 0)
		return;
	r = (struct p9_fcall){ .type = P9_Rread, .tag = rd.tag, .count = 3,
	    .data = (const uint8_t *)"abc" };
	srv_send(s, &r);
	r = (struct p9_fcall){ .type = P9_Rflush, .tag = fl.tag };
	srv_send(s, &r);
}

static void
flush_only(struct srv *s)
{
	static uint8_t b1[4096], b2[4096];
	struct p9_fcall rd, fl, r;

	if (srv_recv(s, &rd, b1) != 0 || srv_recv(s, &fl, b2) != 0)
		return;
	if (fl.type != P9_Tflush || fl.oldtag != rd.tag)
		diag("expected Tflush of tag %u", rd.tag);
	r = (struct p9_fcall){ .type = P9_Rflush, .tag = fl.tag };
	srv_send(s, &r);
	/* then an ordinary request still works */
	if (srv_recv(s, &rd, b1) != 0)
		return;
	r = (struct p9_fcall){ .type = P9_Rclunk, .tag = rd.tag };
	srv_send(s, &r);
}

static void
stray_then_answer(struct srv *s)
{
	static uint8_t b[4096];
	struct p9_fcall t, r;

	r = (struct p9_fcall){ .type = P9_Rclunk, .tag = 77 };
	srv_send(s, &r);
	if (srv_recv(s, &t, b) != 0)
		return;
	r = (struct p9_fcall){ .type = P9_Rclunk, .tag = (uint16_t)(t.tag + 1) };
	srv_send(s, &r);	/* wrong tag: dropped */
	r = (struct p9_fcall){ .type = P9_Rremove, .tag = t.tag };
	srv_send(s, &r);	/* wrong type: an error for the caller */
	if (srv_recv(s, &t, b) != 0)
		return;
	/* truncated Rgetattr: header says 20 bytes, body is short of fields */
	uint8_t bad[20] = { 20, 0, 0, 0, P9_Rgetattr, (uint8_t)t.tag,
	    (uint8_t)(t.tag >> 8) };
	srv_raw(s, bad, sizeof bad);
	if (srv_recv(s, &t, b) != 0)
		return;
	r = (struct p9_fcall){ .type = P9_Rclunk, .tag = t.tag };
	srv_send(s, &r);
}

static void
die_mid_rpc(struct srv *s)
{
	static uint8_t b[4][4096];
	struct p9_fcall t;

	for (int i = 0; i < 4; i++)
		if (srv_recv(s, &t, b[i]) != 0)
			return;
	/* close with four requests unanswered */
}

static void
huge_size(struct srv *s)
{
	static uint8_t b[4096];
	struct p9_fcall t;
	uint8_t bad[7] = { 0xff, 0xff, 0xff, 0x7f, P9_Rclunk, 0, 0 };

	if (srv_recv(s, &t, b) != 0)
		return;
	bad[5] = (uint8_t)t.tag;
	srv_raw(s, bad, sizeof bad);
	sleep(1);
}

/* The reply to a freed tag comes again, just before the next reply. */
static void
dup_after(struct srv *s)
{
	static uint8_t b[4096];
	struct p9_fcall t, r;
	uint16_t first;

	if (srv_recv(s, &t, b) != 0)
		return;
	first = t.tag;
	r = (struct p9_fcall){ .type = P9_Rclunk, .tag = first };
	srv_send(s, &r);
	if (srv_recv(s, &t, b) != 0)
		return;
	r = (struct p9_fcall){ .type = P9_Rclunk, .tag = first };
	srv_send(s, &r);	/* for a tag now free: a stray */
	r = (struct p9_fcall){ .type = P9_Rread, .tag = t.tag, .count = 2,
	    .data = (const uint8_t *)"ok" };
	srv_send(s, &r);
}

/* A Tread and its Tflush, never answered (the server hangs). */
static void
mute(struct srv *s)
{
	static uint8_t b[2][4096];
	struct p9_fcall t;

	if (srv_recv(s, &t, b[0]) != 0 || srv_recv(s, &t, b[1]) != 0)
		return;
	/* until the client gives up and closes */
	while (srv_recv(s, &t, b[0]) == 0)
		;
}

/* A walk whose reply is cut short; then whatever comes. */
static void
bad_walk(struct srv *s)
{
	static uint8_t b[4096];
	struct p9_fcall t, r;
	/* Rwalk nwqid 1, and no qid */
	uint8_t bad[9] = { 9, 0, 0, 0, P9_Rwalk, 0, 0, 1, 0 };

	if (srv_recv(s, &t, b) != 0)
		return;
	s->newfid = t.newfid;
	bad[5] = (uint8_t)t.tag;
	bad[6] = (uint8_t)(t.tag >> 8);
	srv_raw(s, bad, sizeof bad);
	for (int first = 1; srv_recv(s, &t, b) == 0; first = 0) {
		if (first && t.type == P9_Tclunk && t.fid == s->newfid)
			s->clunked = 1;
		r = (struct p9_fcall){ .type = (uint8_t)(t.type + 1),
		    .tag = t.tag };
		if (t.type == P9_Twalk)
			r.nwqid = t.nwname;
		srv_send(s, &r);
	}
}

static void
walks(struct srv *s)
{
	static uint8_t b[4096];
	struct p9_fcall t, r;

	while (srv_recv(s, &t, b) == 0) {
		r = (struct p9_fcall){ .tag = t.tag };
		if (t.type == P9_Twalk && t.nwname > 0 &&
		    t.wname[0].len == 4 && !memcmp(t.wname[0].s, "nope", 4)) {
			r.type = P9_Rlerror;
			r.ecode = 2;
		} else if (t.type == P9_Twalk && t.nwname > 1 &&
		    !memcmp(t.wname[1].s, "nope", 4)) {
			r.type = P9_Rwalk;	/* partial: newfid not made */
			r.nwqid = 1;
			r.wqid[0].type = P9_QTDIR;
		} else if (t.type == P9_Twalk && t.nwname > 1 &&
		    !memcmp(t.wname[0].s, "file", 4)) {
			r.type = P9_Rwalk;	/* stops at a file */
			r.nwqid = 1;
		} else if (t.type == P9_Twalk) {
			r.type = P9_Rwalk;
			r.nwqid = t.nwname;
			for (int i = 0; i < t.nwname; i++)
				r.wqid[i].type = P9_QTDIR;
		} else
			r.type = (uint8_t)(t.type + 1);
		srv_send(s, &r);
	}
}

/* Four Treads must be outstanding before any reply comes. */
static void
pipelined(struct srv *s)
{
	static uint8_t b[4][8192], data[8192];
	struct p9_fcall t[4], r;
	int bad = 0;

	for (int i = 0; i < 4; i++)
		if (srv_recv(s, &t[i], b[i]) != 0 || t[i].type != P9_Tread ||
		    t[i].offset != (uint64_t)i * t[0].count)
			bad++;
	if (bad)
		diag("fake server: expected 4 Treads at consecutive offsets");
	for (int i = 3; i >= 0; i--) {
		memset(data, 'a' + i, sizeof data);
		r = (struct p9_fcall){ .type = P9_Rread, .tag = t[i].tag,
		    .count = t[i].count, .data = data };
		srv_send(s, &r);
	}
	/* then the end of the file */
	while (srv_recv(s, &t[0], b[0]) == 0) {
		r = (struct p9_fcall){ .type = P9_Rread, .tag = t[0].tag };
		srv_send(s, &r);
	}
}

struct sink {
	int		pieces, bad;
	uint64_t	next;
};

static int
collect(void *arg, const void *data, size_t n, uint64_t off)
{
	struct sink *k = arg;
	const uint8_t *p = data;

	if (off != k->next || p[0] != 'a' + k->pieces || p[n - 1] != p[0])
		k->bad++;
	k->pieces++;
	k->next = off + n;
	return 0;
}

static void *
fire_later(void *arg)
{
	usleep(100000);
	p9_intr_fire(arg);
	return NULL;
}

/* ---- tests -------------------------------------------------------------- */

struct call {
	struct p9_session	*s;
	int			 err;
};

static void *
getattr_thread(void *arg)
{
	struct call *c = arg;
	struct p9_fcall t = { .type = P9_Tgetattr, .fid = 0 };
	struct p9_reply r;

	c->err = p9_rpc(c->s, &t, &r);
	if (c->err == 0)
		p9_reply_free(&r);
	return NULL;
}

int
main(void)
{
	struct srv srv;
	struct p9_session *s;
	struct p9_opts o;
	struct p9_req *rq[4];
	struct p9_reply r;
	struct p9_fcall t;
	struct p9_fid *f;
	int err;

	alarm(60);
	signal(SIGPIPE, SIG_IGN);

	/* version answers */
	p9_opts_init(&o);
	srv = (struct srv){ .version = "9P2000.u" };
	s = start(&srv, &o, &err);
	ok(err == 0 && p9_session_dialect(s) == P9_2000U,
	    "a 9P2000.u answer to 9P2000.L is accepted");
	finish(&srv, s);
	srv = (struct srv){ .version = "unknown" };
	s = start(&srv, &o, &err);
	ok(err == -EPROTONOSUPPORT && s == NULL, "'unknown' fails: %s",
	    p9_errstr());
	pthread_join(srv.th, NULL);
	o.msize = 8192;
	srv = (struct srv){ .msize = 9000 };
	s = start(&srv, &o, &err);
	ok(err == -EPROTO && s == NULL, "Rversion msize above the request "
	    "fails: %s", p9_errstr());
	pthread_join(srv.th, NULL);
	srv = (struct srv){ .msize = 4096 };
	s = start(&srv, &o, &err);
	ok(err == 0 && p9_session_msize(s) == 4096,
	    "a smaller msize answer is honoured");
	finish(&srv, s);
	p9_opts_init(&o);
	o.dialect = P9_2000;
	o.force = 1;
	srv = (struct srv){ .version = "9P2000.L" };
	s = start(&srv, &o, &err);
	ok(err == -EPROTONOSUPPORT, "a forced 9P2000 refuses a 9P2000.L "
	    "answer: %s", p9_errstr());
	pthread_join(srv.th, NULL);

	/* replies out of order reach their callers */
	p9_opts_init(&o);
	srv = (struct srv){ .script = reverse_three };
	s = start(&srv, &o, &err);
	for (int i = 0; i < 3; i++) {
		t = (struct p9_fcall){ .type = P9_Tgetattr, .fid = 100 + i };
		p9_send(s, &t, &rq[i]);
	}
	err = 0;
	for (int i = 0; i < 3; i++) {
		if (p9_wait(rq[i], &r) != 0 || r.f.attr.qid.path != 100u + i)
			err = 1;
		p9_reply_free(&r);
	}
	ok(err == 0, "three replies in reverse order each reach their "
	    "request");
	is(p9_session_ntags(s), 0, "no tag left in use");
	finish(&srv, s);

	/* Tflush: the reply that beats Rflush is honoured */
	srv = (struct srv){ .script = flush_reply_first };
	s = start(&srv, &o, &err);
	t = (struct p9_fcall){ .type = P9_Tread, .fid = 1, .count = 3 };
	p9_send(s, &t, &rq[0]);
	ok(p9_cancel(rq[0]) == 0, "Tflush answered");
	ok(p9_wait(rq[0], &r) == 0 && r.f.count == 3 &&
	    !memcmp(r.f.data, "abc", 3), "a reply arriving before Rflush is "
	    "returned");
	p9_reply_free(&r);
	is(p9_session_ntags(s), 0, "both tags free again");
	finish(&srv, s);

	/* Tflush: Rflush alone makes the call -EINTR, the tag reusable */
	srv = (struct srv){ .script = flush_only };
	s = start(&srv, &o, &err);
	t = (struct p9_fcall){ .type = P9_Tread, .fid = 1, .count = 3 };
	p9_send(s, &t, &rq[0]);
	p9_cancel(rq[0]);
	is(p9_wait(rq[0], &r), -EINTR, "flushed call returns -EINTR");
	is(p9_session_ntags(s), 0, "the flushed tag is free");
	t = (struct p9_fcall){ .type = P9_Tclunk, .fid = 9 };
	ok(p9_rpc(s, &t, &r) == 0, "the session goes on after a flush");
	p9_reply_free(&r);
	finish(&srv, s);

	/* p9_rpc_intr: another thread interrupts a call the server sits on */
	srv = (struct srv){ .script = flush_only };
	s = start(&srv, &o, &err);
	{
		struct p9_intr in;
		pthread_t th;

		p9_intr_init(&in);
		pthread_create(&th, NULL, fire_later, &in);
		t = (struct p9_fcall){ .type = P9_Tread, .fid = 1, .count = 3 };
		is(p9_rpc_intr(s, &t, &r, &in), -EINTR,
		    "an interrupted call returns -EINTR after Rflush");
		pthread_join(th, NULL);
		is(p9_session_ntags(s), 0, "and leaves no tag behind");
		t = (struct p9_fcall){ .type = P9_Tread, .fid = 1, .count = 3 };
		is(p9_rpc_intr(s, &t, &r, &in), -EINTR,
		    "a call started after the interrupt is not sent");
		p9_intr_destroy(&in);
	}
	t = (struct p9_fcall){ .type = P9_Tclunk, .fid = 9 };
	ok(p9_rpc(s, &t, &r) == 0, "the session goes on");
	p9_reply_free(&r);
	finish(&srv, s);

	/* stray and wrong replies */
	srv = (struct srv){ .script = stray_then_answer };
	s = start(&srv, &o, &err);
	t = (struct p9_fcall){ .type = P9_Tclunk, .fid = 9 };
	err = p9_rpc(s, &t, &r);
	ok(err == -EPROTO && strstr(p9_errstr(), "does not match"),
	    "Rremove answering Tclunk is an error: %s", p9_errstr());
	t = (struct p9_fcall){ .type = P9_Tgetattr, .fid = 9 };
	err = p9_rpc(s, &t, &r);
	ok(err == -EBADMSG, "a truncated Rgetattr is an error: %s",
	    p9_errstr());
	t = (struct p9_fcall){ .type = P9_Tclunk, .fid = 9 };
	err = p9_rpc(s, &t, &r);
	ok(err == 0, "replies to unknown tags are dropped and the session "
	    "goes on (%s)", err ? p9_errstr() : "ok");
	p9_reply_free(&r);
	finish(&srv, s);

	/* the server dies with four calls waiting */
	srv = (struct srv){ .script = die_mid_rpc };
	s = start(&srv, &o, &err);
	{
		pthread_t th[4];
		struct call c[4];
		int bad = 0;

		for (int i = 0; i < 4; i++) {
			c[i] = (struct call){ s, 0 };
			pthread_create(&th[i], NULL, getattr_thread, &c[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			bad += c[i].err == -ECONNRESET;
		}
		is(bad, 4, "every waiting call fails when the server dies");
		t = (struct p9_fcall){ .type = P9_Tclunk, .fid = 9 };
		ok(p9_rpc(s, &t, &r) == -ECONNRESET && strstr(p9_errstr(),
		    "closed"), "later calls fail at once: %s", p9_errstr());
	}
	finish(&srv, s);

	/* a size field beyond msize ends the session */
	srv = (struct srv){ .script = huge_size };
	s = start(&srv, &o, &err);
	t = (struct p9_fcall){ .type = P9_Tclunk, .fid = 9 };
	ok(p9_rpc(s, &t, &r) == -EBADMSG && strstr(p9_errstr(), "size"),
	    "a reply larger than msize kills the session: %s", p9_errstr());
	finish(&srv, s);

	/* a reply repeated for a freed tag is a stray, not the next reply */
	srv = (struct srv){ .script = dup_after };
	s = start(&srv, &o, &err);
	t = (struct p9_fcall){ .type = P9_Tclunk, .fid = 9 };
	ok(p9_rpc(s, &t, &r) == 0, "Rclunk");
	p9_reply_free(&r);
	t = (struct p9_fcall){ .type = P9_Tread, .fid = 9, .count = 10 };
	err = p9_rpc(s, &t, &r);
	ok(err == 0 && r.f.count == 2 && !memcmp(r.f.data, "ok", 2),
	    "the next request gets its own reply, not a stale one for the "
	    "tag freed just before (%s)", err ? p9_errstr() : "ok");
	if (err == 0)
		p9_reply_free(&r);
	finish(&srv, s);

	/* a server that does not answer Tflush is taken for dead */
	srv = (struct srv){ .script = mute };
	s = start(&srv, &o, &err);
	t = (struct p9_fcall){ .type = P9_Tread, .fid = 1, .count = 3 };
	p9_send(s, &t, &rq[0]);
	err = p9_cancel(rq[0]);
	ok(err == -ETIMEDOUT && strstr(p9_errstr(), "did not answer Tflush"),
	    "Tflush unanswered for 5 s ends the session: %s", p9_errstr());
	is(p9_wait(rq[0], &r), -ETIMEDOUT, "the flushed call fails too");
	t = (struct p9_fcall){ .type = P9_Tclunk, .fid = 9 };
	ok(p9_rpc(s, &t, &r) == -ETIMEDOUT, "and every later call at once");
	finish(&srv, s);

	/* a walk with a malformed reply: its newfid is clunked all the same */
	srv = (struct srv){ .script = bad_walk };
	s = start(&srv, &o, &err);
	ok(p9_walk(p9_session_root(s), "a", &f) == -EBADMSG,
	    "a cut short Rwalk fails the walk: %s", p9_errstr());
	ok(p9_walk(p9_session_root(s), "b", &f) == 0, "the next walk works");
	p9_fid_put(f);
	finish(&srv, s);
	ok(srv.clunked, "the first walk's newfid, which the server may hold, "
	    "is clunked before its number is used again");

	/* p9_readall keeps several Treads in flight, delivers in order */
	p9_opts_init(&o);
	o.msize = 8192;
	srv = (struct srv){ .script = pipelined };
	s = start(&srv, &o, &err);
	{
		struct sink k = { 0, 0, 0 };

		err = p9_readall(p9_session_root(s), 0, 4, collect, &k);
		ok(err == 0 && k.pieces == 4 && k.bad == 0 &&
		    k.next == 4 * (8192 - P9_IOHDRSZ), "4 Treads in flight, "
		    "replies in reverse order reach fn in file order");
	}
	finish(&srv, s);

	/* p9_pread_vec: the same, the data left in the replies */
	srv = (struct srv){ .script = pipelined };
	s = start(&srv, &o, &err);
	{
		struct p9_rdvec v;
		size_t chunk = 8192 - P9_IOHDRSZ;
		ssize_t n = p9_pread_vec(p9_session_root(s), 4 * chunk + 100,
		    0, NULL, &v);
		int bad = v.n != 4;

		for (int i = 0; i < v.n && !bad; i++) {
			const uint8_t *p = v.iov[i].iov_base;

			bad = v.iov[i].iov_len != chunk || p[0] != 'a' + i ||
			    p[chunk - 1] != 'a' + i;
		}
		ok(n == (ssize_t)(4 * chunk) && !bad, "p9_pread_vec: 4 pieces "
		    "in file order, pointing into the replies; the fifth "
		    "Tread's end of file ends it");
		is(p9_session_ntags(s), 0, "no tag left in use");
		p9_rdvec_free(&v);
		ok(v.n == 0, "p9_rdvec_free lets every reply go");
	}
	finish(&srv, s);
	p9_opts_init(&o);

	/* fids: every walk's fid goes back to the pool */
	srv = (struct srv){ .script = walks };
	s = start(&srv, &o, &err);
	for (int i = 0; i < 50; i++) {
		if (p9_walk(p9_session_root(s), "a/b/c", &f) == 0)
			p9_fid_put(f);
	}
	ok(p9_walk(p9_session_root(s), "nope/x", &f) == -ENOENT,
	    "a walk failing at its first name is ENOENT");
	ok(p9_walk(p9_session_root(s), "a/nope", &f) == -ENOENT,
	    "a partial walk is ENOENT");
	ok(p9_walk(p9_session_root(s), "file/x", &f) == -ENOTDIR,
	    "a walk stopped at a file is ENOTDIR");
	{
		const char *deep = "1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18";

		ok(p9_walk(p9_session_root(s), deep, &f) == 0 &&
		    strcmp(p9_fid_path(f), "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/"
		    "15/16/17/18") == 0, "an 18-name walk goes in two Twalks");
		p9_fid_put(f);
	}
	is(p9_session_nfids(s), 1, "only the root fid remains");
	finish(&srv, s);
	return done();
}

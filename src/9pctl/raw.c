/*
 * raw.c - the engine under the shell's raw 9P operations: one exchange
 * of a message with its reply printed in the one-line format of p9_fmt
 * (as 9ptrace prints it), the fid table built from the replies, requests
 * sent in the background (`&`) and collected by wait or flush, and the
 * version command, which resets the connection.
 *
 * Fid numbers are the user's: each one a command creates is reserved in
 * the session's pool (p9_fid_reserve), so the everyday commands, which
 * take their fids from the pool, never reuse one.  Fid 0 is the pool's
 * root, the one the everyday commands walk from.
 */
#include <err.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raw.h"

static struct rfid *fids;
int sess_broken;

/* requests sent with `&`, in the order sent */
struct bg {
	struct p9_req	*rq;
	struct p9_fcall	 t;	/* its numbers only: strings are not kept */
	struct ctx	 c;
	afterfn		 after;
	struct bg	*next;
};
static struct bg *pending;

/* ---- fid table ---------------------------------------------------------- */

struct rfid *
tab_get(uint32_t num)
{
	for (struct rfid *f = fids; f; f = f->next)
		if (f->num == num)
			return f;
	return NULL;
}

struct rfid *
tab_set(uint32_t num, const char *path, const struct p9_qid *qid)
{
	struct rfid *f = tab_get(num), **pp;
	char *p = strdup(path);

	if (p == NULL)
		errx(1, "out of memory");
	if (f == NULL) {
		if ((f = calloc(1, sizeof *f)) == NULL)
			errx(1, "out of memory");
		f->num = num;
		/* kept sorted by number, as fids prints it */
		for (pp = &fids; *pp && (*pp)->num < num; pp = &(*pp)->next)
			;
		f->next = *pp;
		*pp = f;
	}
	free(f->path);
	f->path = p;
	if (qid)
		f->qid = *qid;
	f->mode[0] = '\0';
	f->iounit = 0;
	return f;
}

void
tab_del(uint32_t num)
{
	for (struct rfid **pp = &fids; *pp; pp = &(*pp)->next)
		if ((*pp)->num == num) {
			struct rfid *f = *pp;

			*pp = f->next;
			free(f->path);
			free(f);
			return;
		}
}

void
tab_clear(void)
{
	while (fids)
		tab_del(fids->num);
}

/* A rename moves every fid at or below from to the same place under to. */
void
tab_rename(const char *from, const char *to)
{
	size_t n = strlen(from);

	for (struct rfid *f = fids; f; f = f->next) {
		char *p;

		if (strncmp(f->path, from, n) != 0 ||
		    (f->path[n] != '\0' && f->path[n] != '/'))
			continue;
		if (asprintf(&p, "%s%s", to, f->path + n) < 0)
			errx(1, "out of memory");
		free(f->path);
		f->path = p;
	}
}

/* Take num out of the pool before a command makes it a fid. */
int
tab_reserve(uint32_t num)
{
	int err;

	if (num == 0)
		return 0;	/* the root: the pool's and the user's */
	if ((err = p9_fid_reserve(sess, num)) == -EBUSY) {
		warnx("fid %u: in use by 9pctl's own pool; pick another", num);
		return -1;
	}
	if (err) {
		warnx("fid %u: %s", num, strerror(-err));
		return -1;
	}
	return 0;
}

/* base/names... with "." and ".." resolved as text, as the library does. */
char *
path_join(const char *base, char *const *names, int n)
{
	size_t len = strlen(base) + 2;
	char *p, *q;

	for (int i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	if ((p = malloc(len)) == NULL)
		errx(1, "out of memory");
	snprintf(p, len, "%s", base);
	q = p + strlen(p);
	for (int i = -1; i < n; i++) {
		/* i = -1: the base itself, normalised the same way */
		if (i >= 0 && strcmp(names[i], ".") == 0)
			continue;
		if (i >= 0 && strcmp(names[i], "..") == 0) {
			while (q > p + 1 && q[-1] != '/')
				q--;
			if (q > p + 1)
				q--;
			*q = '\0';
			continue;
		}
		if (i >= 0) {
			if (q > p + 1)
				*q++ = '/';
			strcpy(q, names[i]);
			q += strlen(q);
		}
	}
	if (p[0] == '\0')
		strcpy(p, "/");
	return p;
}

const char *
raw_fidpath(uint32_t num)
{
	struct rfid *f = tab_get(num);

	return f ? f->path : NULL;
}

void
raw_init(void)
{
	tab_set(0, "/", p9_fid_qid(p9_session_root(sess)));
}

/* ---- one exchange ------------------------------------------------------- */

/*
 * The reply was an error, or there was none.  p9_wait turns an Rlerror or
 * Rerror into an errno and the server's text (and frees the message), so
 * the line is rebuilt from those: the wire's errno number for every errno
 * libp9 knows, the server's own text for Rerror.  The library's other
 * failures (a dead connection, a flushed request, a malformed reply) are
 * told apart by the reason it gives, and are not replies.
 */
static int
failed(const struct p9_fcall *t, int err, const struct ctx *c,
    afterfn after)
{
	enum p9_dialect d = p9_session_dialect(sess);
	const char *why = p9_errstr();
	struct p9_fcall e;

	if (p9_session_error(sess) != 0 || strncmp(why, "bad message", 11) ==
	    0 || strncmp(why, "bad reply", 9) == 0) {
		warnx("%s: %s", c->argv[0], why);
		return 1;
	}
	if (err == -EINTR && strcmp(why, "interrupted") == 0) {
		printf("tag %u: flushed, no reply\n", t->tag);
		fflush(stdout);
		return 1;
	}
	memset(&e, 0, sizeof e);
	e.tag = t->tag;
	if (d == P9_2000L) {
		e.type = P9_Rlerror;
		e.ecode = p9_errno_to_linux(-err);
	} else {
		e.type = P9_Rerror;
		e.ename.s = why;
		e.ename.len = (uint16_t)strlen(why);
		e.ecode = p9_errno_to_linux(-err);
	}
	print_fcall(&e, 0);
	if (after)
		after(t, NULL, c);
	return 1;
}

static int
finish(const struct p9_fcall *t, int err, struct p9_reply *r,
    const struct ctx *c, afterfn after)
{
	if (err)
		return failed(t, err, c, after);
	print_fcall(&r->f, 0);
	if (after)
		after(t, &r->f, c);
	p9_reply_free(r);
	return 0;
}

static void
ctx_free(struct ctx *c)
{
	for (int i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
}

static void
bg_add(struct p9_req *rq, const struct p9_fcall *t, const struct ctx *c,
    afterfn after)
{
	struct bg *b = calloc(1, sizeof *b), **pp;

	if (b == NULL || (b->c.argv = calloc((size_t)c->argc + 1,
	    sizeof *b->c.argv)) == NULL)
		errx(1, "out of memory");
	b->rq = rq;
	b->t = *t;
	b->t.data = NULL;	/* sent already; not kept */
	b->c.argc = c->argc;
	b->c.hex = c->hex;
	for (int i = 0; i < c->argc; i++)
		if ((b->c.argv[i] = strdup(c->argv[i])) == NULL)
			errx(1, "out of memory");
	b->after = after;
	for (pp = &pending; *pp; pp = &(*pp)->next)
		;
	*pp = b;
}

static struct bg *
bg_take(uint16_t tag)
{
	for (struct bg **pp = &pending; *pp; pp = &(*pp)->next)
		if ((*pp)->t.tag == tag) {
			struct bg *b = *pp;

			*pp = b->next;
			return b;
		}
	return NULL;
}

/* Collect a background request's reply (flushing it first if asked). */
static int
bg_collect(struct bg *b, int flush)
{
	struct p9_reply r;
	int err, rc;

	if (flush)
		p9_cancel(b->rq);
	err = p9_wait(b->rq, &r);
	rc = finish(&b->t, err, &r, &b->c, b->after);
	ctx_free(&b->c);
	free(b);
	return rc;
}

/*
 * Send t and print its reply; with bg, print t with its tag and leave
 * the reply to wait or flush.
 */
int
xact(struct p9_fcall *t, const struct ctx *c, int bg, afterfn after)
{
	enum p9_dialect d = p9_session_dialect(sess);
	struct p9_req *rq;
	struct p9_reply r;
	int err;

	if (!p9_type_in(t->type, d)) {
		warnx("%s: %s is not a %s message", c->argv[0],
		    p9_typename(t->type), p9_dialect_name(d));
		return 1;
	}
	if (t->type == P9_Tversion && pending) {
		warnx("%s: requests are in flight (wait or flush them first)",
		    c->argv[0]);
		return 1;
	}
	if ((err = p9_send(sess, t, &rq)) != 0) {
		warnx("%s: %s", c->argv[0], p9_errstr());
		return 1;
	}
	if (bg) {
		bg_add(rq, t, c, after);
		print_fcall(t, 32);
		return 0;
	}
	err = p9_wait(rq, &r);
	return finish(t, err, &r, c, after);
}

/* ---- commands of the engine itself -------------------------------------- */

/* wait [TAG]: the replies of requests sent with `&`, oldest first */
int
raw_wait(int argc, char **argv, int bg)
{
	uint32_t tag;
	struct bg *b;
	int rc = 0;

	(void)bg;
	if (argc > 2)
		return 2;
	if (argc == 2) {
		if (parse_u32(argv[1], &tag) != 0 || tag > 0xffff ||
		    (b = bg_take((uint16_t)tag)) == NULL) {
			warnx("wait: %s: no request of this shell in flight "
			    "with that tag", argv[1]);
			return 1;
		}
		return bg_collect(b, 0);
	}
	while ((b = pending) != NULL) {
		pending = b->next;
		rc |= bg_collect(b, 0);
	}
	return rc;
}

/*
 * flush [TAG]: a Tflush.  For a request of this shell sent with `&`, the
 * library's flush is used (so the tag is not reused before Rflush) and
 * the request's fate is printed: its reply if it beat the Rflush, else
 * that it got none.  Any other tag is flushed with a plain Tflush.
 * Without TAG, every request sent with `&` is flushed.
 */
int
raw_flush(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tflush };
	struct ctx c = { argc, argv, 0 };
	uint32_t tag;
	struct bg *b;

	if (argc > 2)
		return 2;
	if (argc == 1) {
		while ((b = pending) != NULL) {
			pending = b->next;
			bg_collect(b, 1);
		}
		return 0;
	}
	if (parse_u32(argv[1], &tag) != 0 || tag > 0xffff) {
		warnx("flush: %s: expected a tag, 0 to 65535", argv[1]);
		return 2;
	}
	if ((b = bg_take((uint16_t)tag)) == NULL) {
		t.oldtag = (uint16_t)tag;
		return xact(&t, &c, bg, NULL);
	}
	/* prints the reply that beat the flush, or that none came */
	bg_collect(b, 1);
	return 0;
}

/* fids: the table, and the requests in flight */
int
raw_fids(int argc, char **argv, int bg)
{
	char q[64];

	(void)argv;
	(void)bg;
	if (argc != 1)
		return 2;
	printf("%-10s %-30s %-22s %s\n", "FID", "QID", "OPEN", "PATH");
	for (struct rfid *f = fids; f; f = f->next) {
		char open[80];

		fmt_qid(&f->qid, q, sizeof q);
		if (f->mode[0] && f->iounit)
			snprintf(open, sizeof open, "%s iounit %u", f->mode,
			    f->iounit);
		else
			snprintf(open, sizeof open, "%s", f->mode[0] ?
			    f->mode : "-");
		printf("%-10u %-30s %-22s %s%s\n", f->num, q, open, f->path,
		    f->num == 0 ? " (root)" : "");
	}
	for (struct bg *b = pending; b; b = b->next)
		printf("tag %u in flight: %s\n", b->t.tag,
		    p9_typename(b->t.type));
	fflush(stdout);
	return 0;
}

/* The uname and n_uname the session attached with. */
static void
who(const char **uname, uint32_t *n_uname)
{
	struct passwd *pw;

	*uname = opts.uname;
	if (*uname == NULL)
		*uname = (pw = getpwuid(getuid())) ? pw->pw_name : "nobody";
	if (opts.n_uname != P9_NOFID)
		*n_uname = opts.n_uname;
	else
		*n_uname = opts.uname ? P9_NOFID : (uint32_t)getuid();
}

void
raw_defaults(const char **uname, const char **aname, uint32_t *n_uname)
{
	who(uname, n_uname);
	*aname = opts.aname ? opts.aname : "";
}

static void
after_reattach(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	(void)t;
	(void)c;
	if (r)
		tab_set(0, "/", &r->qid);
}

/*
 * version [MSIZE [VERSION]]: a Tversion on this connection, by default
 * with the msize and dialect the session runs with.  The server answers
 * it by clunking every fid, so the table empties.  The session then
 * carries on on this connection: if the server did not answer with the
 * session's own dialect and msize (the library's codec and buffers are
 * set for those), they are asked for again, and if the server will not
 * grant them (diod never raises an msize it lowered) the session cannot
 * go on; then fid 0 is attached again as at the start, for the everyday
 * commands.  Every message is printed.
 */
int
raw_version(int argc, char **argv, int bg)
{
	enum p9_dialect d = p9_session_dialect(sess);
	uint32_t msize = p9_session_msize(sess), n_uname;
	const char *vers = p9_dialect_name(d), *uname, *aname;
	struct p9_fcall t = { .type = P9_Tversion };
	struct ctx c = { argc, argv, 0 };
	struct p9_reply r;
	int err, same, rc = 0;

	(void)bg;
	if (argc > 3)
		return 2;
	if (argc > 1 && parse_u32(argv[1], &msize) != 0) {
		warnx("version: %s: expected a message size", argv[1]);
		return 2;
	}
	if (argc > 2)
		vers = argv[2];
	if (pending) {
		warnx("version: requests are in flight (wait or flush them "
		    "first)");
		return 1;
	}
	for (int round = 0; round < 2; round++) {
		t.msize = msize;
		t.version.s = vers;
		t.version.len = (uint16_t)strlen(vers);
		if ((err = p9_rpc(sess, &t, &r)) != 0)
			rc |= failed(&t, err, &c, NULL) && round == 0;
		else
			print_fcall(&r.f, 0);
		tab_clear();
		same = err == 0 && r.f.msize == p9_session_msize(sess) &&
		    r.f.version.len == strlen(p9_dialect_name(d)) &&
		    memcmp(r.f.version.s, p9_dialect_name(d),
		    r.f.version.len) == 0;
		if (err == 0)
			p9_reply_free(&r);
		if (same || p9_session_error(sess))
			break;
		if (round == 1) {
			warnx("version: the server no longer grants %s msize "
			    "%u, which this session is set up for: it ends "
			    "here (run 9pctl with -m or -V to work at other "
			    "values)",
			    p9_dialect_name(d), p9_session_msize(sess));
			sess_broken = 1;
			return 1;
		}
		/* what the session speaks, again */
		msize = p9_session_msize(sess);
		vers = p9_dialect_name(d);
	}
	if (p9_session_error(sess)) {
		warnx("version: %s", p9_errstr());
		return 1;
	}
	memset(&t, 0, sizeof t);
	t.type = P9_Tattach;
	t.fid = 0;
	t.afid = P9_NOFID;
	raw_defaults(&uname, &aname, &n_uname);
	t.uname.s = uname;
	t.uname.len = (uint16_t)strlen(uname);
	t.aname.s = aname;
	t.aname.len = (uint16_t)strlen(aname);
	t.n_uname = n_uname;
	return xact(&t, &c, 0, after_reattach) ? 1 : rc;
}

/* At the end of the shell: nothing may be left in flight. */
void
raw_finish(void)
{
	struct bg *b;

	while ((b = pending) != NULL) {
		pending = b->next;
		bg_collect(b, 1);
	}
	tab_clear();
}

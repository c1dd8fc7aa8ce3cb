/*
 * tdec.c - the 9P stream decoder: bytes of each direction of a connection
 * in, one callback per message out, with the conversation's state:
 *
 *   framing      size[4] says where a message ends.  A size below 7 or
 *                above 16 MiB can't be a message: the decoder says so and
 *                resynchronises, scanning for the next plausible message
 *                (a known type of the right direction whose whole body
 *                decodes, followed by another plausible header when the
 *                bytes are there).  Gaps (bytes the capture lost) and
 *                captures that start mid-stream go through the same scan.
 *   dialect      from Tversion/Rversion; mid-stream, guessed from the first
 *                message only one dialect decodes (strict decoding tells
 *                9P2000's Tattach from .u's, .L's types from the others).
 *   requests     tag -> the request in flight, so a reply is shown with its
 *                request's type and the time it took; Tflush's oldtag is
 *                forgotten on Rflush; Tversion aborts everything.
 *   fids         fid -> path from attach, walk, create, xattrwalk, and
 *                renamed by rename, renameat and a Twstat that renames; a
 *                fid dies with Tclunk/Tremove (whatever the reply says).
 *
 * Everything here is fed bytes nobody vouches for: every length is checked
 * before use, nothing is trusted to be NUL-terminated, and memory is
 * bounded by the 16 MiB message limit per direction.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/tdec.h"

#define MSGMAX		(16u << 20)	/* larger sizes are garbage */

/* ---- uint32 map ---------------------------------------------------------- */

static uint32_t
slot(const struct imap *m, uint32_t k)
{
	return (k * 2654435761u) & (m->cap - 1);
}

void *
imap_get(const struct imap *m, uint32_t k)
{
	if (m->n == 0)
		return NULL;
	for (uint32_t i = slot(m, k);; i = (i + 1) & (m->cap - 1)) {
		if (m->vals[i] == NULL)
			return NULL;
		if (m->keys[i] == k)
			return m->vals[i];
	}
}

static int
imap_grow(struct imap *m)
{
	struct imap n = { 0 };

	n.cap = m->cap ? 2 * m->cap : 16;
	n.keys = calloc(n.cap, sizeof *n.keys);
	n.vals = calloc(n.cap, sizeof *n.vals);
	if (n.keys == NULL || n.vals == NULL) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->vals[i])
			imap_put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

int
imap_put(struct imap *m, uint32_t k, void *v)
{
	uint32_t i;

	if ((m->n + 1) * 4 > m->cap * 3 && imap_grow(m) != 0)
		return -ENOMEM;
	for (i = slot(m, k); m->vals[i] && m->keys[i] != k;
	    i = (i + 1) & (m->cap - 1))
		;
	if (m->vals[i] == NULL)
		m->n++;
	m->keys[i] = k;
	m->vals[i] = v;
	return 0;
}

void *
imap_del(struct imap *m, uint32_t k)
{
	uint32_t i, j;
	void *old;

	if (m->n == 0)
		return NULL;
	for (i = slot(m, k); m->vals[i] && m->keys[i] != k;
	    i = (i + 1) & (m->cap - 1))
		;
	if ((old = m->vals[i]) == NULL)
		return NULL;
	m->vals[i] = NULL;
	m->n--;
	/* backward shift: close the hole for the entries probing past it */
	for (j = (i + 1) & (m->cap - 1); m->vals[j]; j = (j + 1) & (m->cap - 1)) {
		uint32_t h = slot(m, m->keys[j]);

		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			m->vals[j] = NULL;
			i = j;
		}
	}
	return old;
}

void
imap_clear(struct imap *m, void (*fn)(void *))
{
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->vals[i]) {
			if (fn)
				fn(m->vals[i]);
			m->vals[i] = NULL;
		}
	m->n = 0;
}

static void
imap_free(struct imap *m, void (*fn)(void *))
{
	imap_clear(m, fn);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

/* ---- fids and requests ---------------------------------------------------- */

struct fident {
	char		*path;		/* NULL if unknown */
	int		 qknown;
	uint8_t		 qtype;
};

struct pend {
	struct timespec	 t;
	uint32_t	 len;		/* of raw */
	uint32_t	 wcount;	/* a Twrite's count (its data isn't kept) */
	char		*path[2];	/* the request's fid paths */
	uint8_t		 raw[];
};

static void
fident_free(void *p)
{
	struct fident *f = p;

	free(f->path);
	free(f);
}

static void
pend_free(void *p)
{
	struct pend *q = p;

	if (q == NULL)
		return;
	free(q->path[0]);
	free(q->path[1]);
	free(q);
}

static const char *
fidpath(struct conv *c, uint32_t fid)
{
	struct fident *f = imap_get(&c->fids, fid);

	return f ? f->path : NULL;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* dir joined with name; ".." goes up, "." stays; NUL bytes end a name */
static char *
join(const char *dir, const char *name, size_t n)
{
	size_t dl;
	char *p;

	if (dir == NULL)
		dir = "?";
	n = strnlen(name, n);
	dl = strlen(dir);
	if (n == 0 || (n == 1 && name[0] == '.'))
		return xstrndup(dir, dl);
	if (n == 2 && name[0] == '.' && name[1] == '.') {
		const char *sl = strrchr(dir, '/');

		if (sl == NULL || (sl == dir && dl == 1) || strcmp(dir, "?") == 0)
			return xstrndup(dir, dl);
		return xstrndup(dir, sl == dir ? 1 : (size_t)(sl - dir));
	}
	if ((p = malloc(dl + n + 2)) == NULL)
		return NULL;
	memcpy(p, dir, dl);
	if (dl == 0 || dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, n);
	p[dl + n] = '\0';
	return p;
}

static void
setfid(struct conv *c, uint32_t fid, const char *path, int qknown,
    uint8_t qtype)
{
	struct fident *f;

	if (fid == P9_NOFID)
		return;
	if ((f = imap_get(&c->fids, fid)) == NULL) {
		if ((f = calloc(1, sizeof *f)) == NULL)
			return;
		if (imap_put(&c->fids, fid, f) != 0) {
			free(f);
			return;
		}
	}
	if (f->path != path) {
		free(f->path);
		f->path = path ? strdup(path) : NULL;
	}
	f->qknown = qknown;
	f->qtype = qtype;
}

static void
delfid(struct conv *c, uint32_t fid)
{
	struct fident *f = imap_del(&c->fids, fid);

	if (f)
		fident_free(f);
}

/* Every fid at old or below it now lives at new. */
static void
renamed(struct conv *c, const char *old, const char *new)
{
	size_t ol;

	if (old == NULL || new == NULL || old[0] == '?')
		return;
	ol = strlen(old);
	for (uint32_t i = 0; i < c->fids.cap; i++) {
		struct fident *f = c->fids.vals[i];
		char *p;

		if (f == NULL || f->path == NULL ||
		    strncmp(f->path, old, ol) != 0 ||
		    (f->path[ol] != '\0' && f->path[ol] != '/'))
			continue;
		if ((p = malloc(strlen(new) + strlen(f->path + ol) + 1)) == NULL)
			continue;
		strcpy(p, new);
		strcat(p, f->path + ol);
		free(f->path);
		f->path = p;
	}
}

/* ---- connections ---------------------------------------------------------- */

void
p9__tdec_note(struct p9_tdec *d, unsigned conn, const struct timespec *ts,
    const char *fmt, ...)
{
	char text[512];
	va_list ap;

	d->st.notes++;
	if (d->cb.note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	d->cb.note(d->arg, conn, ts, text);
}

static struct conv *
conv(const struct p9_tdec *d, unsigned conn)
{
	return conn >= 1 && conn <= d->nconv ? d->conv[conn] : NULL;
}

struct p9_tdec *
p9_tdec_new(const struct p9_tdec_cb *cb, void *arg)
{
	struct p9_tdec *d = calloc(1, sizeof *d);

	if (d == NULL)
		return NULL;
	if (cb)
		d->cb = *cb;
	d->arg = arg;
	d->ports[0] = 564;
	d->nports = 1;
	return d;
}

static void
conv_free(struct conv *c)
{
	imap_free(&c->fids, fident_free);
	imap_free(&c->tags, pend_free);
	free(c->d[0].buf);
	free(c->d[1].buf);
	free(c->name);
	free(c);
}

void
p9_tdec_free(struct p9_tdec *d)
{
	if (d == NULL)
		return;
	p9__tdec_flows_free(d);
	for (unsigned i = 1; i <= d->nconv; i++)
		conv_free(d->conv[i]);
	free(d->conv);
	free(d);
}

unsigned
p9_tdec_open(struct p9_tdec *d, const char *name)
{
	struct conv *c;

	if (d->nconv + 1 >= d->capconv) {
		unsigned ncap = d->capconv ? 2 * d->capconv : 16;
		struct conv **nc = realloc(d->conv, ncap * sizeof *nc);

		if (nc == NULL)
			return 0;
		d->conv = nc;
		d->capconv = ncap;
	}
	if ((c = calloc(1, sizeof *c)) == NULL)
		return 0;
	c->name = strdup(name ? name : "");
	c->dialect = -1;
	c->d[0].sync = c->d[1].sync = 1;
	d->conv[++d->nconv] = c;
	return d->nconv;
}

const char *
p9_tdec_name(const struct p9_tdec *d, unsigned conn)
{
	struct conv *c = conv(d, conn);

	return c ? c->name : NULL;
}

unsigned
p9_tdec_nconn(const struct p9_tdec *d)
{
	return d->nconv;
}

void
p9_tdec_stats(const struct p9_tdec *d, struct p9_tdec_stats *st)
{
	*st = d->st;
}

unsigned
p9_tdec_fids(const struct p9_tdec *d, unsigned conn,
    void (*fn)(void *, uint32_t, const char *), void *arg)
{
	struct conv *c = conv(d, conn);

	if (c == NULL)
		return 0;
	if (fn)
		for (uint32_t i = 0; i < c->fids.cap; i++) {
			struct fident *f = c->fids.vals[i];

			if (f)
				fn(arg, c->fids.keys[i], f->path);
		}
	return c->fids.n;
}

/* ---- one message ---------------------------------------------------------- */

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Decode in the connection's dialect, or the first one that fits. */
static int
decode(struct conv *c, const uint8_t *p, uint32_t n, struct p9_fcall *f,
    const char **why, enum p9_dialect *used)
{
	static const enum p9_dialect order[] = { P9_2000L, P9_2000U, P9_2000 };
	const char *w0 = NULL;
	int err0 = 0;

	if (c->dialect >= 0) {
		*used = (enum p9_dialect)c->dialect;
		return p9_decode(p, n, c->msize, *used, f, why);
	}
	for (int i = 0; i < 3; i++) {
		int err;

		if (!p9_type_in(p[4], order[i]))
			continue;
		if ((err = p9_decode(p, n, c->msize, order[i], f, why)) == 0) {
			*used = order[i];
			/* only one dialect read it: that's the conversation's */
			if (i > 0 || p[4] < P9_Tversion)
				c->dialect = order[i];
			return 0;
		}
		if (w0 == NULL) {
			w0 = *why;
			err0 = err;
		}
	}
	*used = P9_2000L;
	*why = w0 ? w0 : "unknown message type";
	return err0 ? err0 : -EBADMSG;
}

/* The paths of t's fid fields, as they are before t takes effect. */
static void
request_paths(struct conv *c, const struct p9_fcall *t, enum p9_dialect dl,
    char *path[2])
{
	const struct p9__msgdef *m = p9__msg(t->type);
	int n = 0;

	path[0] = path[1] = NULL;
	for (const struct p9__fref *r = m->fields; r->field && n < 2; r++) {
		const struct p9__field *fd = &p9__fields[r->field];
		const char *p;

		if (!(r->dialects & (1u << dl)) || fd->fmt != P9__F_FID)
			continue;
		p = fidpath(c, (uint32_t)p9__getint(t, fd));
		path[n++] = p ? strdup(p) : NULL;
	}
	switch (t->type) {
	case P9_Tattach:
		free(path[0]);
		path[0] = strdup("/");
		break;
	case P9_Tauth:
		free(path[0]);
		path[0] = strdup("(auth)");
		break;
	case P9_Twalk: {
		char *p = path[0] ? strdup(path[0]) : NULL;

		for (int i = 0; i < t->nwname && i < P9_MAXWELEM; i++) {
			char *q = join(p, t->wname[i].s, t->wname[i].len);

			free(p);
			p = q;
		}
		if (t->nwname == 0 && p == NULL)
			p = NULL;
		else if (p == NULL)
			p = strdup("?");
		free(path[1]);
		path[1] = p;
		break;
	}
	case P9_Txattrwalk: {
		size_t k = strlen(path[0] ? path[0] : "?") + t->name.len + 16;
		char *p = malloc(k);

		if (p)
			snprintf(p, k, "%s (xattr%s%.*s)", path[0] ? path[0] :
			    "?", t->name.len ? " " : "s", (int)t->name.len,
			    t->name.s);
		free(path[1]);
		path[1] = p;
		break;
	}
	}
}

/* A successful reply r to t: the fid table changes. */
static void
effects(struct conv *c, const struct p9_fcall *t, const struct p9_fcall *r,
    char *const path[2])
{
	struct fident *fe;
	char *p = NULL, *q = NULL;

	switch (r->type) {
	case P9_Rattach:
		setfid(c, t->fid, "/", 1, r->qid.type);
		break;
	case P9_Rauth:
		setfid(c, t->afid, "(auth)", 1, r->qid.type);
		break;
	case P9_Rwalk:
		if (r->nwqid != t->nwname)
			break;		/* newfid not made */
		if (r->nwqid)
			setfid(c, t->newfid, path[1], 1,
			    r->wqid[r->nwqid - 1].type);
		else if ((fe = imap_get(&c->fids, t->fid)) != NULL)
			setfid(c, t->newfid, path[1], fe->qknown, fe->qtype);
		else
			setfid(c, t->newfid, NULL, 0, 0);
		break;
	case P9_Ropen: case P9_Rlopen:
		if ((fe = imap_get(&c->fids, t->fid)) != NULL) {
			fe->qknown = 1;
			fe->qtype = r->qid.type;
		}
		break;
	case P9_Rcreate: case P9_Rlcreate:
		p = join(path[0], t->name.s, t->name.len);
		setfid(c, t->fid, p, 1, r->qid.type);
		break;
	case P9_Rxattrwalk:
		setfid(c, t->newfid, path[1], 1, 0);
		break;
	case P9_Rxattrcreate: {
		size_t k = strlen(path[0] ? path[0] : "?") + t->name.len + 16;

		if ((p = malloc(k)) != NULL)
			snprintf(p, k, "%s (xattr %.*s)", path[0] ? path[0] :
			    "?", (int)t->name.len, t->name.s);
		setfid(c, t->fid, p, 1, 0);
		break;
	}
	case P9_Rrename:
		p = join(path[1], t->name.s, t->name.len);
		renamed(c, path[0], p);
		break;
	case P9_Rrenameat:
		p = join(path[0], t->name.s, t->name.len);
		q = join(path[1], t->newname.s, t->newname.len);
		renamed(c, p, q);
		break;
	case P9_Rwstat:
		if (t->stat.name.len && path[0]) {
			q = join(path[0], "..", 2);
			p = join(q, t->stat.name.s, t->stat.name.len);
			renamed(c, path[0], p);
		}
		break;
	}
	free(p);
	free(q);
}

/* Tversion starts a new session: requests and fids are gone. */
static void
reset(struct conv *c)
{
	imap_clear(&c->fids, fident_free);
	imap_clear(&c->tags, pend_free);
}

static void
message(struct p9_tdec *d, unsigned conn, int dir, const struct timespec *ts,
    const uint8_t *p, uint32_t n)
{
	struct conv *c = d->conv[conn];
	struct p9_tmsg m;
	struct p9_fcall req;
	struct pend *q = NULL;
	char *paths[2] = { NULL, NULL };
	enum p9_dialect dl;

	memset(&m, 0, sizeof m);
	m.conn = conn;
	m.fromserver = dir;
	m.time = *ts;
	m.raw = p;
	m.len = n;
	m.latency_ns = -1;
	m.f.type = p[4];
	m.f.tag = (uint16_t)(p[5] | p[6] << 8);
	m.err = decode(c, p, n, &m.f, &m.why, &dl);
	if (m.err) {
		m.f.type = p[4];
		m.f.tag = (uint16_t)(p[5] | p[6] << 8);
		d->st.malformed++;
	}
	m.dialect = dl;
	d->st.messages++;

	if (m.err == 0 && !(m.f.type & 1)) {
		/* a request: remember it until its reply */
		if (m.f.type == P9_Tversion)
			reset(c);
		request_paths(c, &m.f, dl, paths);
		m.path[0] = paths[0];
		m.path[1] = paths[1];
		if (imap_get(&c->tags, m.f.tag) != NULL &&
		    m.f.tag != P9_NOTAG)
			p9__tdec_note(d, conn, ts, "tag %u reused while its "
			    "request is in flight", m.f.tag);
		if ((q = malloc(sizeof *q + (m.f.type == P9_Twrite ? 23 :
		    n))) != NULL) {
			q->t = *ts;
			q->len = m.f.type == P9_Twrite ? 23 : n;
			memcpy(q->raw, p, q->len);
			q->wcount = m.f.count;
			if (m.f.type == P9_Twrite) {
				/* keep the header only: size 23, count 0 */
				memcpy(q->raw, "\x17\0\0\0", 4);
				memset(q->raw + 19, 0, 4);
			}
			q->path[0] = paths[0];
			q->path[1] = paths[1];
			pend_free(imap_del(&c->tags, m.f.tag));
			if (imap_put(&c->tags, m.f.tag, q) != 0)
				pend_free(q);
			paths[0] = paths[1] = NULL;	/* q owns them */
		}
		if (d->cb.msg)
			d->cb.msg(d->arg, &m);
		free(paths[0]);
		free(paths[1]);
		return;
	}
	if (!(m.f.type & 1)) {		/* a malformed request */
		if (d->cb.msg)
			d->cb.msg(d->arg, &m);
		return;
	}
	/* a reply: pair it with its request */
	q = imap_del(&c->tags, m.f.tag);
	if (q != NULL) {
		const char *why;

		if (p9_decode(q->raw, q->len, 0, dl, &req, &why) == 0) {
			if (req.type == P9_Twrite)
				req.count = q->wcount;
			m.req = &req;
			m.latency_ns = (int64_t)(ts->tv_sec - q->t.tv_sec) *
			    1000000000 + (ts->tv_nsec - q->t.tv_nsec);
			m.path[0] = q->path[0];
			m.path[1] = q->path[1];
		}
	}
	if (m.req && m.err == 0) {
		if (m.f.type == m.req->type + 1) {
			effects(c, m.req, &m.f, q->path);
			if (m.f.type == P9_Rversion) {
				enum p9_dialect v;
				char vs[32];

				snprintf(vs, sizeof vs, "%.*s",
				    (int)m.f.version.len, m.f.version.s);
				c->dialect = p9_dialect_parse(vs, &v) == 0 ?
				    (int)v : -1;
				c->msize = m.f.msize;
			}
			if (m.f.type == P9_Rflush)
				pend_free(imap_del(&c->tags, m.req->oldtag));
		}
		if (m.req->type == P9_Tclunk || m.req->type == P9_Tremove)
			delfid(c, m.req->fid);
		if (m.f.type == P9_Rread && m.req->type == P9_Tread &&
		    dl != P9_2000L) {
			struct fident *fe = imap_get(&c->fids, m.req->fid);

			m.dirread = fe && fe->qknown && (fe->qtype & 0x80);
		}
	}
	if (d->cb.msg)
		d->cb.msg(d->arg, &m);
	if (q)
		pend_free(q);
}

/* ---- framing -------------------------------------------------------------- */

static int
plausible_head(const struct conv *c, int dir, const uint8_t *p)
{
	uint32_t size = le32(p), lim = c->msize ? c->msize : MSGMAX;

	return size >= 7 && size <= lim && p9_typename(p[4]) != NULL &&
	    (p[4] & 1) == dir;
}

/* Would p[0..n) decode as a message in some dialect? */
static int
decodes(const struct conv *c, const uint8_t *p, uint32_t n)
{
	struct p9_fcall f;
	const char *why;

	for (int dl = 0; dl < 3; dl++)
		if ((c->dialect < 0 || c->dialect == dl) &&
		    p9_type_in(p[4], (enum p9_dialect)dl) &&
		    p9_decode(p, n, c->msize, (enum p9_dialect)dl, &f, &why) == 0)
			return 1;
	return 0;
}

static void
tdir_consume(struct tdir *t, size_t n)
{
	t->off += n;
	if (t->off == t->len)
		t->off = t->len = 0;
}

/*
 * Out of sync: find the first offset where a plausible message starts.
 * Returns 1 when found (the bytes before it are dropped), 0 to wait for
 * more bytes.  At the end (final) a candidate whose bytes never came is
 * given up on.
 */
static int
resync(struct p9_tdec *d, unsigned conn, int dir, const struct timespec *ts,
    int final)
{
	struct conv *c = d->conv[conn];
	struct tdir *t = &c->d[dir];

	while (t->len - t->off >= 7) {
		const uint8_t *p = t->buf + t->off;
		size_t avail = t->len - t->off;
		uint32_t size = le32(p);

		if (plausible_head(c, dir, p)) {
			if (size > avail && !final)
				return 0;
			if (size <= avail && decodes(c, p, size) &&
			    (avail - size < 7 ||
			    plausible_head(c, dir, p + size))) {
				if (t->skipped)
					p9__tdec_note(d, conn, ts, "%s: skipped "
					    "%llu bytes (%s), resynchronised "
					    "at a %s", dir ? "server" :
					    "client", (unsigned long long)
					    t->skipped, t->why,
					    p9_typename(p[4]));
				else
					p9__tdec_note(d, conn, ts, "%s: in step "
					    "with the stream (%s) at a %s",
					    dir ? "server" : "client", t->why,
					    p9_typename(p[4]));
				t->sync = 1;
				t->skipped = 0;
				return 1;
			}
		}
		tdir_consume(t, 1);
		t->skipped++;
		d->st.bytes_skipped++;
	}
	return 0;
}

static void
desync(struct p9_tdec *d, unsigned conn, int dir, const struct timespec *ts,
    const char *why)
{
	struct tdir *t = &d->conv[conn]->d[dir];

	(void)ts;
	t->sync = 0;
	t->why = why;
}

void
p9__tdec_desync(struct p9_tdec *d, unsigned conn, int dir, const char *why)
{
	if (conv(d, conn))
		desync(d, conn, dir, NULL, why);
}

/* Make messages of the buffered bytes. */
static void
drain(struct p9_tdec *d, unsigned conn, int dir, const struct timespec *ts,
    int final)
{
	struct conv *c = d->conv[conn];
	struct tdir *t = &c->d[dir];

	for (;;) {
		size_t avail = t->len - t->off;
		uint32_t size;

		if (!t->sync && !resync(d, conn, dir, ts, final))
			break;
		avail = t->len - t->off;
		if (avail < 4)
			break;
		size = le32(t->buf + t->off);
		if (size < 7 || size > MSGMAX) {
			p9__tdec_note(d, conn, ts, "%s: impossible message size "
			    "%u: resynchronising", dir ? "server" : "client",
			    size);
			desync(d, conn, dir, ts, "after an impossible size");
			continue;
		}
		if (avail < size)
			break;
		message(d, conn, dir, ts, t->buf + t->off, size);
		tdir_consume(t, size);
	}
	/* keep the buffer small: move the live bytes to its start */
	if (t->off > 0 && (t->off > 65536 || t->off == t->len)) {
		memmove(t->buf, t->buf + t->off, t->len - t->off);
		t->len -= t->off;
		t->off = 0;
	}
}

static int
append(struct tdir *t, const uint8_t *p, size_t n)
{
	if (t->len + n > t->cap) {
		size_t ncap = t->cap ? t->cap : 4096;
		uint8_t *nb;

		while (ncap < t->len + n)
			ncap *= 2;
		if ((nb = realloc(t->buf, ncap)) == NULL)
			return -ENOMEM;
		t->buf = nb;
		t->cap = ncap;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
	return 0;
}

void
p9_tdec_bytes(struct p9_tdec *d, unsigned conn, int dir,
    const struct timespec *ts, const uint8_t *p, size_t n)
{
	struct conv *c = conv(d, conn);
	struct tdir *t;

	if (c == NULL || c->closed || n == 0)
		return;
	dir = dir != 0;
	t = &c->d[dir];
	/* the common case: whole messages, nothing buffered, no copy */
	while (t->sync && t->len == t->off && n >= 7) {
		uint32_t size = le32(p);

		if (size < 7 || size > MSGMAX || size > n)
			break;
		message(d, conn, dir, ts, p, size);
		p += size;
		n -= size;
	}
	if (n == 0)
		return;
	/* don't hold more than a message's worth while out of sync */
	if (append(t, p, n) != 0) {
		p9__tdec_note(d, conn, ts, "out of memory: dropped %zu bytes",
		    n);
		p9_tdec_gap(d, conn, dir, n);
		return;
	}
	drain(d, conn, dir, ts, 0);
	if (!t->sync && t->len - t->off > 2 * (size_t)MSGMAX) {
		/* nothing plausible in 32 MiB: drop all but the tail */
		size_t drop = t->len - t->off - 7;

		t->skipped += drop;
		d->st.bytes_skipped += drop;
		tdir_consume(t, drop);
	}
}

void
p9_tdec_gap(struct p9_tdec *d, unsigned conn, int dir, uint64_t n)
{
	struct conv *c = conv(d, conn);
	struct tdir *t;

	if (c == NULL || c->closed || n == 0)
		return;
	t = &c->d[dir != 0];
	p9__tdec_note(d, conn, NULL, "%s: %llu bytes missing from the "
	    "capture", dir ? "server" : "client", (unsigned long long)n);
	/* a message cut by the gap is lost with it */
	t->skipped += t->len - t->off;
	d->st.bytes_skipped += t->len - t->off;
	t->off = t->len = 0;
	desync(d, conn, dir != 0, NULL, "after the missing bytes");
}

void
p9_tdec_close(struct p9_tdec *d, unsigned conn)
{
	struct conv *c = conv(d, conn);
	struct timespec ts = { 0, 0 };

	if (c == NULL || c->closed)
		return;
	for (int dir = 0; dir < 2; dir++) {
		struct tdir *t = &c->d[dir];

		drain(d, conn, dir, &ts, 1);
		if (t->len > t->off) {
			size_t left = t->len - t->off;

			if (t->sync && left >= 4)
				p9__tdec_note(d, conn, NULL, "%s: the stream "
				    "ends inside a message (%zu of %u bytes)",
				    dir ? "server" : "client", left,
				    le32(t->buf + t->off));
			else
				p9__tdec_note(d, conn, NULL, "%s: %zu bytes "
				    "at the end are not a message",
				    dir ? "server" : "client", left);
			t->off = t->len = 0;
		}
	}
	if (c->tags.n)
		p9__tdec_note(d, conn, NULL, "%u request%s never answered",
		    c->tags.n, c->tags.n == 1 ? "" : "s");
	c->closed = 1;
	free(c->d[0].buf);
	free(c->d[1].buf);
	memset(c->d, 0, sizeof c->d);
}

/*
 * attr.c - attributes and directories in every dialect: Tgetattr /
 * Tsetattr / Treaddir on 9P2000.L, Tstat / Twstat / directory Tread on
 * 9P2000 and .u, all mapped onto struct p9_stbuf.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "session.h"

static void
strcopy(char *dst, size_t cap, struct p9_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.s, n);
	dst[n] = '\0';
}

/* 9P2000 / .u stat -> POSIX view */
static void
from_stat(const struct p9_stat *st, enum p9_dialect d, struct p9_stbuf *b)
{
	uint32_t m = st->mode, type = S_IFREG;
	unsigned maj = 0, min = 0;
	char c = 0;

	memset(b, 0, sizeof *b);
	b->valid = P9_GETATTR_BASIC;
	b->qid = st->qid;
	if (m & P9_DMDIR)
		type = S_IFDIR;
	else if (d == P9_2000U && (m & P9_DMSYMLINK))
		type = S_IFLNK;
	else if (d == P9_2000U && (m & P9_DMDEVICE)) {
		char ext[32];

		strcopy(ext, sizeof ext, st->extension);
		if (sscanf(ext, "%c %u %u", &c, &maj, &min) == 3)
			b->rdev = (uint64_t)maj << 8 | min;
		type = c == 'b' ? S_IFBLK : S_IFCHR;
	} else if (d == P9_2000U && (m & P9_DMNAMEDPIPE))
		type = S_IFIFO;
	else if (d == P9_2000U && (m & P9_DMSOCKET))
		type = S_IFSOCK;
	b->mode = type | (m & 0777);
	if (d == P9_2000U && (m & P9_DMSETUID))
		b->mode |= S_ISUID;
	if (d == P9_2000U && (m & P9_DMSETGID))
		b->mode |= S_ISGID;
	if (d == P9_2000U && (m & P9_DMSETVTX))
		b->mode |= S_ISVTX;
	b->uid = d == P9_2000U ? st->n_uid : P9_NOFID;
	b->gid = d == P9_2000U ? st->n_gid : P9_NOFID;
	strcopy(b->uname, sizeof b->uname, st->uid);
	strcopy(b->gname, sizeof b->gname, st->gid);
	strcopy(b->name, sizeof b->name, st->name);
	b->nlink = 1;
	b->size = st->length;
	b->blksize = 4096;
	b->blocks = (st->length + 511) / 512;
	b->atime = st->atime;
	b->mtime = b->ctime = st->mtime;
}

static void
from_attr(const struct p9_attr *a, struct p9_stbuf *b)
{
	memset(b, 0, sizeof *b);
	b->valid = a->valid;
	b->qid = a->qid;
	b->mode = a->mode;
	b->uid = a->uid;
	b->gid = a->gid;
	b->nlink = a->nlink;
	b->rdev = a->rdev;
	b->size = a->size;
	b->blksize = a->blksize;
	b->blocks = a->blocks;
	b->atime = (int64_t)a->atime_sec;
	b->atime_ns = (uint32_t)a->atime_nsec;
	b->mtime = (int64_t)a->mtime_sec;
	b->mtime_ns = (uint32_t)a->mtime_nsec;
	b->ctime = (int64_t)a->ctime_sec;
	b->ctime_ns = (uint32_t)a->ctime_nsec;
}

int
p9_getattr(struct p9_fid *f, struct p9_stbuf *st)
{
	struct p9_fcall t = { .fid = f->num };
	struct p9_reply r;
	int err;

	if (f->s->dialect == P9_2000L) {
		t.type = P9_Tgetattr;
		t.mask = P9_GETATTR_BASIC;
	} else
		t.type = P9_Tstat;
	if ((err = p9_rpc(f->s, &t, &r)) != 0)
		return err;
	if (f->s->dialect == P9_2000L)
		from_attr(&r.f.attr, st);
	else
		from_stat(&r.f.stat, f->s->dialect, st);
	p9_reply_free(&r);
	return 0;
}

int
p9_setattr(struct p9_fid *f, uint32_t valid, const struct p9_stbuf *st)
{
	struct p9_fcall t = { .fid = f->num };

	if (f->s->dialect == P9_2000L) {
		t.type = P9_Tsetattr;
		t.attr.valid = valid;
		t.attr.mode = st->mode;
		t.attr.uid = st->uid;
		t.attr.gid = st->gid;
		t.attr.size = st->size;
		t.attr.atime_sec = (uint64_t)st->atime;
		t.attr.atime_nsec = st->atime_ns;
		t.attr.mtime_sec = (uint64_t)st->mtime;
		t.attr.mtime_nsec = st->mtime_ns;
		return p9__rpc0(f->s, &t);
	}
	t.type = P9_Twstat;
	p9_stat_null(&t.stat);
	if (valid & P9_SETATTR_MODE) {
		t.stat.mode = (st->mode & 0777) |
		    (f->qid.type & P9_QTDIR ? P9_DMDIR : 0);
		if (f->s->dialect == P9_2000U)
			t.stat.mode |= (st->mode & S_ISUID ? P9_DMSETUID : 0) |
			    (st->mode & S_ISGID ? P9_DMSETGID : 0) |
			    (st->mode & S_ISVTX ? P9_DMSETVTX : 0);
	}
	if (valid & P9_SETATTR_SIZE)
		t.stat.length = st->size;
	if (valid & P9_SETATTR_MTIME)
		t.stat.mtime = valid & P9_SETATTR_MTIME_SET ?
		    (uint32_t)st->mtime : (uint32_t)time(NULL);
	if (valid & P9_SETATTR_ATIME)
		t.stat.atime = valid & P9_SETATTR_ATIME_SET ?
		    (uint32_t)st->atime : (uint32_t)time(NULL);
	if (valid & (P9_SETATTR_UID | P9_SETATTR_GID)) {
		if (f->s->dialect != P9_2000U && !st->uname[0] && !st->gname[0])
			return p9__fail(-EOPNOTSUPP,
			    "9P2000 changes owners by name only");
		t.stat.uid = p9__str(st->uname);
		t.stat.gid = p9__str(st->gname);
		if (f->s->dialect == P9_2000U) {
			if (valid & P9_SETATTR_UID)
				t.stat.n_uid = st->uid;
			if (valid & P9_SETATTR_GID)
				t.stat.n_gid = st->gid;
		}
	}
	return p9__rpc0(f->s, &t);
}

static int
readdir_l(struct p9_fid *d, p9_dirfn fn, void *arg)
{
	struct p9_fcall t = { .type = P9_Treaddir, .fid = d->num };
	struct p9_reply r;
	struct p9_dirent de;
	struct p9_stbuf st;
	int err;

	t.count = p9_session_iosize(d->s);
	for (;;) {
		if ((err = p9_rpc(d->s, &t, &r)) != 0)
			return err;
		if (r.f.count == 0)
			break;
		for (size_t off = 0; off < r.f.count;) {
			ssize_t n = p9_dirent_decode(r.f.data + off,
			    r.f.count - off, &de);

			if (n <= 0) {
				p9_reply_free(&r);
				return n ? (int)n : -EBADMSG;
			}
			off += (size_t)n;
			memset(&st, 0, sizeof st);
			st.valid = P9_GETATTR_INO;
			st.qid = de.qid;
			st.mode = (uint32_t)DTTOIF(de.type);
			strcopy(st.name, sizeof st.name, de.name);
			t.offset = de.offset;
			if ((err = fn(arg, &st)) != 0) {
				p9_reply_free(&r);
				return err;
			}
		}
		p9_reply_free(&r);
	}
	p9_reply_free(&r);
	return 0;
}

static int
readdir_stat(struct p9_fid *d, p9_dirfn fn, void *arg)
{
	struct p9_fcall t = { .type = P9_Tread, .fid = d->num };
	struct p9_reply r;
	struct p9_stat ps;
	struct p9_stbuf st;
	int err;

	t.count = p9_session_iosize(d->s);
	if (d->iounit && d->iounit < t.count)
		t.count = d->iounit;
	for (;;) {
		if ((err = p9_rpc(d->s, &t, &r)) != 0)
			return err;
		if (r.f.count == 0)
			break;
		for (size_t off = 0; off < r.f.count;) {
			ssize_t n = p9_stat_decode(r.f.data + off,
			    r.f.count - off, d->s->dialect, &ps);

			if (n < 0) {
				p9_reply_free(&r);
				return (int)n;
			}
			off += (size_t)n;
			from_stat(&ps, d->s->dialect, &st);
			if ((err = fn(arg, &st)) != 0) {
				p9_reply_free(&r);
				return err;
			}
		}
		t.offset += r.f.count;
		p9_reply_free(&r);
	}
	p9_reply_free(&r);
	return 0;
}

int
p9_readdir(struct p9_fid *dir, p9_dirfn fn, void *arg)
{
	struct p9_fid *d;
	int err;

	if ((err = p9_walk(dir, "", &d)) != 0)
		return err;
	if ((err = p9_open(d, O_RDONLY | O_DIRECTORY)) == 0)
		err = dir->s->dialect == P9_2000L ? readdir_l(d, fn, arg) :
		    readdir_stat(d, fn, arg);
	p9_fid_put(d);
	return err;
}

#define BATCH	64

/* Send one request per live fid in fs[] (built by mk), then collect. */
static void
batch(struct p9_session *s, struct p9_fid **fs, int n, int *errs,
    void (*mk)(struct p9_fcall *, struct p9_fid *, int, void *),
    void (*got)(struct p9_fcall *, int, void *), void *arg)
{
	struct p9_req *rq[BATCH];
	struct p9_fcall t;
	struct p9_reply r;

	for (int i = 0; i < n; i++) {
		rq[i] = NULL;
		if (errs[i])
			continue;
		memset(&t, 0, sizeof t);
		mk(&t, fs[i], i, arg);
		errs[i] = p9_send(s, &t, &rq[i]);
	}
	for (int i = 0; i < n; i++) {
		if (rq[i] == NULL)
			continue;
		if ((errs[i] = p9_wait(rq[i], &r)) == 0) {
			if (got)
				got(&r.f, i, arg);
			p9_reply_free(&r);
		}
	}
}

struct many {
	struct p9_fid		*dir;
	const char *const	*names;
	struct p9_stbuf		*out;
	int			*errs;
};

static void
mk_walk(struct p9_fcall *t, struct p9_fid *f, int i, void *arg)
{
	struct many *m = arg;

	t->type = P9_Twalk;
	t->fid = m->dir->num;
	t->newfid = f->num;
	t->nwname = 1;
	t->wname[0] = p9__str(m->names[i]);
}

static void
got_walk(struct p9_fcall *r, int i, void *arg)
{
	struct many *m = arg;

	if (r->nwqid != 1)
		m->errs[i] = -ENOENT;
}

static void
mk_attr(struct p9_fcall *t, struct p9_fid *f, int i, void *arg)
{
	t->fid = f->num;
	if (f->s->dialect == P9_2000L) {
		t->type = P9_Tgetattr;
		t->mask = P9_GETATTR_BASIC;
	} else
		t->type = P9_Tstat;
}

static void
got_attr(struct p9_fcall *r, int i, void *arg)
{
	struct many *m = arg;

	if (r->type == P9_Rgetattr)
		from_attr(&r->attr, &m->out[i]);
	else
		from_stat(&r->stat, m->dir->s->dialect, &m->out[i]);
	strcopy(m->out[i].name, sizeof m->out[i].name, p9__str(m->names[i]));
}

static void
mk_clunk(struct p9_fcall *t, struct p9_fid *f, int i, void *arg)
{
	t->type = P9_Tclunk;
	t->fid = f->num;
}

int
p9_getattr_many(struct p9_fid *dir, const char *const *names, size_t n,
    struct p9_stbuf *out, int *errs, struct p9_fid **keep)
{
	struct p9_fid *fs[BATCH];
	int skip[BATCH];	/* non-zero: no fid to clunk */
	struct many m = { dir, NULL, NULL, NULL };

	for (size_t base = 0; base < n; base += BATCH) {
		int k = n - base < BATCH ? (int)(n - base) : BATCH;

		m.names = names + base;
		m.out = out + base;
		m.errs = errs + base;
		for (int i = 0; i < k; i++) {
			fs[i] = p9__fid_new(dir->s);
			m.errs[i] = fs[i] ? 0 : -ENOMEM;
		}
		batch(dir->s, fs, k, m.errs, mk_walk, got_walk, &m);
		/* a walk with no clear answer is clunked all the same */
		for (int i = 0; i < k; i++)
			skip[i] = m.errs[i] && !p9__unsure(m.errs[i]);
		batch(dir->s, fs, k, m.errs, mk_attr, got_attr, &m);
		if (keep) {
			for (int i = 0; i < k; i++) {
				keep[base + i] = NULL;
				if (m.errs[i] == 0) {
					fs[i]->live = 1;
					fs[i]->qid = m.out[i].qid;
					p9__fid_setpath(fs[i], p9_fid_path(dir),
					    m.names[i]);
					keep[base + i] = fs[i];
				} else if (fs[i]) {
					fs[i]->live = !skip[i];
					p9_fid_put(fs[i]);
				}
			}
			continue;
		}
		batch(dir->s, fs, k, skip, mk_clunk, NULL, &m);
		for (int i = 0; i < k; i++)
			if (fs[i])
				p9_fid_put(fs[i]);	/* never live: no Tclunk */
	}
	return 0;
}

struct xmany {
	struct p9_fid *const	*fids;
	const char		*name;
	int64_t			*res;
};

static void
mk_xwalk(struct p9_fcall *t, struct p9_fid *x, int i, void *arg)
{
	struct xmany *m = arg;

	t->type = P9_Txattrwalk;
	t->fid = m->fids[i]->num;
	t->newfid = x->num;
	t->name = p9__str(m->name);
}

static void
got_xwalk(struct p9_fcall *r, int i, void *arg)
{
	struct xmany *m = arg;

	m->res[i] = r->size > INT64_MAX ? INT64_MAX : (int64_t)r->size;
}

int
p9_xattr_size_many(struct p9_fid *const *fids, size_t n, const char *name,
    int64_t *res)
{
	struct p9_session *s = NULL;
	struct p9_fid *xs[BATCH];
	int errs[BATCH], skip[BATCH];
	struct xmany m = { NULL, name, NULL };

	for (size_t i = 0; i < n && s == NULL; i++)
		if (fids[i])
			s = fids[i]->s;
	if (s == NULL)
		return 0;
	if (s->dialect != P9_2000L) {
		for (size_t i = 0; i < n; i++)
			res[i] = -EOPNOTSUPP;
		return p9__fail(-EOPNOTSUPP, "%s has no extended attributes",
		    p9_dialect_name(s->dialect));
	}
	for (size_t base = 0; base < n; base += BATCH) {
		int k = n - base < BATCH ? (int)(n - base) : BATCH;

		m.fids = fids + base;
		m.res = res + base;
		for (int i = 0; i < k; i++) {
			xs[i] = fids[base + i] ? p9__fid_new(s) : NULL;
			errs[i] = fids[base + i] == NULL ? -EBADF :
			    xs[i] ? 0 : -ENOMEM;
		}
		batch(s, xs, k, errs, mk_xwalk, got_xwalk, &m);
		/* each attribute fid the server made is clunked, pipelined */
		for (int i = 0; i < k; i++) {
			if (errs[i])
				m.res[i] = errs[i];
			skip[i] = xs[i] == NULL ||
			    (errs[i] && !p9__unsure(errs[i]));
		}
		batch(s, xs, k, skip, mk_clunk, NULL, NULL);
		for (int i = 0; i < k; i++)
			if (xs[i])
				p9_fid_put(xs[i]);	/* never live: no Tclunk */
	}
	return 0;
}

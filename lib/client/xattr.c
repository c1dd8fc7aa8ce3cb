/*
 * xattr.c - extended attributes (Txattrwalk / Txattrcreate), POSIX record
 * locks (Tlock / Tgetlock), hard links and device nodes: the 9P2000.L
 * operations that have no 9P2000 counterpart except through .u's Tcreate
 * extension string.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"

#define ISL(s)	((s)->dialect == P9_2000L)

static int
need_l(struct p9_session *s, const char *what)
{
	if (ISL(s))
		return 0;
	return p9__fail(-EOPNOTSUPP, "%s has no %s",
	    p9_dialect_name(s->dialect), what);
}

/* Walk an xattr fid for name ("" lists), returning it and the size. */
static int
xwalk(struct p9_fid *f, const char *name, struct p9_fid **xf, uint64_t *size)
{
	struct p9_fcall t = { .type = P9_Txattrwalk, .fid = f->num };
	struct p9_reply r;
	struct p9_fid *x;
	int err;

	if ((x = p9__fid_new(f->s)) == NULL)
		return -ENOMEM;
	t.newfid = x->num;
	t.name = p9__str(name);
	if ((err = p9_rpc(f->s, &t, &r)) != 0) {
		x->live = p9__unsure(err);
		p9_fid_put(x);
		return err;
	}
	x->live = 1;
	*size = r.f.size;
	p9_reply_free(&r);
	*xf = x;
	return 0;
}

/* Read an attribute ("" = the NUL-separated name list) into buf[cap]. */
ssize_t
p9_xattr_get(struct p9_fid *f, const char *name, void *buf, size_t cap)
{
	struct p9_fid *x;
	uint64_t size;
	ssize_t n;
	int err;

	if ((err = need_l(f->s, "extended attributes")) != 0)
		return err;
	if ((err = xwalk(f, name, &x, &size)) != 0)
		return err;
	if (cap == 0) {
		p9_fid_put(x);
		return (ssize_t)size;
	}
	if (size > cap) {
		p9_fid_put(x);
		return -ERANGE;
	}
	n = size ? p9_pread(x, buf, (size_t)size, 0) : 0;
	p9_fid_put(x);
	if (n >= 0 && (uint64_t)n != size)
		return p9__fail(-EIO, "short xattr read");
	return n;
}

int
p9_xattr_set(struct p9_fid *f, const char *name, const void *val, size_t n,
    int flags)
{
	struct p9_fcall t = { .type = P9_Txattrcreate };
	struct p9_fid *x;
	ssize_t w;
	int err;

	if ((err = need_l(f->s, "extended attributes")) != 0)
		return err;
	/* Txattrcreate turns a clone of f into the attribute fid */
	if ((err = p9_walk(f, "", &x)) != 0)
		return err;
	t.fid = x->num;
	t.name = p9__str(name);
	t.size = n;
	t.flags = (uint32_t)flags;
	if ((err = p9__rpc0(f->s, &t)) == 0 && n > 0) {
		w = p9_pwrite(x, val, n, 0);
		err = w < 0 ? (int)w : 0;
	}
	/* the attribute is set when the fid is clunked */
	if (err == 0)
		return p9_fid_put(x);
	p9_fid_put(x);
	return err;
}

int
p9_xattr_remove(struct p9_fid *f, const char *name)
{
	/* Linux and QEMU: a Txattrcreate of size 0 with XATTR_REPLACE removes */
	return p9_xattr_set(f, name, NULL, 0, 2);
}

int
p9_lock(struct p9_fid *f, struct p9_flock *l, uint8_t *status)
{
	struct p9_fcall t = { .type = P9_Tlock, .fid = f->num, .lock = *l };
	struct p9_reply r;
	int err;

	if ((err = need_l(f->s, "locks")) != 0)
		return err;
	if ((err = p9_rpc(f->s, &t, &r)) != 0)
		return err;
	*status = r.f.status;
	p9_reply_free(&r);
	return 0;
}

int
p9_getlock(struct p9_fid *f, struct p9_flock *l)
{
	struct p9_fcall t = { .type = P9_Tgetlock, .fid = f->num, .lock = *l };
	struct p9_reply r;
	int err;

	if ((err = need_l(f->s, "locks")) != 0)
		return err;
	if ((err = p9_rpc(f->s, &t, &r)) != 0)
		return err;
	l->type = r.f.lock.type;
	l->start = r.f.lock.start;
	l->length = r.f.lock.length;
	l->proc_id = r.f.lock.proc_id;
	l->client_id = p9__str("");	/* the reply's view dies with it */
	p9_reply_free(&r);
	return 0;
}

int
p9_link(struct p9_fid *dir, struct p9_fid *f, const char *name)
{
	struct p9_fcall t = { .name = p9__str(name) };
	struct p9_fid *x;
	char ext[16];
	int err;

	if (ISL(dir->s)) {
		t.type = P9_Tlink;
		t.dfid = dir->num;
		t.fid = f->num;
		return p9__rpc0(dir->s, &t);
	}
	if (dir->s->dialect != P9_2000U)
		return p9__fail(-EOPNOTSUPP, "9P2000 has no hard links");
	if ((err = p9_walk(dir, "", &x)) != 0)
		return err;
	snprintf(ext, sizeof ext, "%u", f->num);
	t.type = P9_Tcreate;
	t.fid = x->num;
	t.perm = P9_DMLINK;
	t.mode = P9_OREAD;
	t.extension = p9__str(ext);
	err = p9__rpc0(dir->s, &t);
	p9_fid_put(x);
	return err;
}

int
p9_mknod(struct p9_fid *dir, const char *name, mode_t mode, uint32_t major,
    uint32_t minor)
{
	struct p9_fcall t = { .name = p9__str(name) };
	struct p9_fid *x;
	char ext[32];
	int err;

	if (ISL(dir->s)) {
		t.type = P9_Tmknod;
		t.dfid = dir->num;
		t.mode = (uint32_t)mode;
		t.major = major;
		t.minor = minor;
		t.gid = (uint32_t)getgid();
		return p9__rpc0(dir->s, &t);
	}
	if (dir->s->dialect != P9_2000U)
		return p9__fail(-EOPNOTSUPP, "9P2000 has no device nodes");
	t.perm = (uint32_t)mode & 0777;
	switch (mode & S_IFMT) {
	case S_IFIFO: t.perm |= P9_DMNAMEDPIPE; ext[0] = '\0'; break;
	case S_IFSOCK: t.perm |= P9_DMSOCKET; ext[0] = '\0'; break;
	case S_IFCHR: case S_IFBLK:
		t.perm |= P9_DMDEVICE;
		snprintf(ext, sizeof ext, "%c %u %u",
		    S_ISCHR(mode) ? 'c' : 'b', major, minor);
		break;
	default:
		return p9__fail(-EINVAL, "mknod of an unknown file type");
	}
	if ((err = p9_walk(dir, "", &x)) != 0)
		return err;
	t.type = P9_Tcreate;
	t.fid = x->num;
	t.mode = P9_OREAD;
	t.extension = p9__str(ext);
	err = p9__rpc0(dir->s, &t);
	p9_fid_put(x);
	return err;
}

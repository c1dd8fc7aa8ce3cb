/*
 * ops.c - dialect-independent file operations on fids: walk, open,
 * create, read, write, mkdir, unlink, rename, statfs, fsync, symlinks.
 * Each picks the 9P2000.L message where the session speaks it and the
 * 9P2000 / .u equivalent (or a clear errno) otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "session.h"

#define ISL(s)	((s)->dialect == P9_2000L)

/* Split path into at most P9_MAXWELEM names per call; "." is dropped. */
static int
split(char *p, struct p9_str *names, int max, char **rest)
{
	int n = 0;

	while (*p && n < max) {
		char *e;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e && *e != '/'; e++)
			;
		if (e - p > 0xffff)
			return -ENAMETOOLONG;
		if (!(e - p == 1 && *p == '.')) {
			names[n].s = p;
			names[n].len = (uint16_t)(e - p);
			n++;
		}
		p = e;
	}
	while (*p == '/' || (p[0] == '.' && (p[1] == '/' || p[1] == '\0')))
		p++;
	*rest = p;
	return n;
}

int
p9_walk(struct p9_fid *dir, const char *path, struct p9_fid **out)
{
	struct p9_session *s = dir->s;
	struct p9_fcall t = { .type = P9_Twalk };
	struct p9_reply r;
	struct p9_fid *f;
	char *copy, *p;
	int n, err = 0, first = 1;

	if ((copy = strdup(path ? path : "")) == NULL)
		return -ENOMEM;
	if ((f = p9__fid_new(s)) == NULL) {
		free(copy);
		return -ENOMEM;
	}
	f->qid = dir->qid;
	p = copy;
	do {
		if ((n = split(p, t.wname, P9_MAXWELEM, &p)) < 0) {
			err = p9__fail(n, "%s: name too long", path);
			break;
		}
		t.fid = first ? dir->num : f->num;
		t.newfid = f->num;
		t.nwname = (uint16_t)n;
		if ((err = p9_rpc(s, &t, &r)) != 0) {
			if (p9__unsure(err))
				f->live = 1;
			break;
		}
		if (r.f.nwqid < n) {
			int e = r.f.nwqid;
			/* stopped at a file: the next name needed a directory */
			int code = e && !(r.f.wqid[e - 1].type & P9_QTDIR) ?
			    ENOTDIR : ENOENT;

			p9_reply_free(&r);
			err = p9__fail(-code, "%.*s: %s",
			    (int)t.wname[e].len, t.wname[e].s, strerror(code));
			break;
		}
		if (n)
			f->qid = r.f.wqid[n - 1];
		p9_reply_free(&r);
		f->live = 1;
		first = 0;
	} while (*p);
	if (err) {
		free(copy);
		p9_fid_put(f);
		return err;
	}
	p9__fid_setpath(f, p9_fid_path(dir), path ? path : "");
	free(copy);
	*out = f;
	return 0;
}

static uint32_t
iosize(struct p9_fid *f)
{
	uint32_t n = p9_session_iosize(f->s);

	return f->iounit && f->iounit < n ? f->iounit : n;
}

int
p9_open(struct p9_fid *f, int flags)
{
	struct p9_fcall t = { .fid = f->num };
	struct p9_reply r;
	int err;

	if (ISL(f->s)) {
		t.type = P9_Tlopen;
		t.flags = p9_oflags_to_linux(flags & ~(O_CREAT | O_EXCL));
	} else {
		t.type = P9_Topen;
		t.mode = p9_oflags_to_omode(flags);
	}
	if ((err = p9_rpc(f->s, &t, &r)) != 0)
		return err;
	f->qid = r.f.qid;
	f->iounit = r.f.iounit;
	f->omode = flags;
	p9_reply_free(&r);
	return 0;
}

int
p9_create(struct p9_fid *dir, const char *name, int flags, mode_t mode,
    struct p9_fid **out)
{
	struct p9_fcall t = { .name = p9__str(name) };
	struct p9_reply r;
	struct p9_fid *f;
	int err;

	if ((err = p9_walk(dir, "", &f)) != 0)
		return err;
	t.fid = f->num;
	if (ISL(dir->s)) {
		t.type = P9_Tlcreate;
		t.flags = p9_oflags_to_linux(flags | O_CREAT);
		t.mode = (uint32_t)mode & 07777;
		t.gid = (uint32_t)getgid();
	} else {
		t.type = P9_Tcreate;
		t.perm = (uint32_t)mode & 0777;
		t.mode = p9_oflags_to_omode(flags);
	}
	if ((err = p9_rpc(dir->s, &t, &r)) != 0) {
		p9_fid_put(f);
		return err;
	}
	f->qid = r.f.qid;
	f->iounit = r.f.iounit;
	f->omode = flags;
	p9_reply_free(&r);
	p9__fid_setpath(f, p9_fid_path(dir), name);
	*out = f;
	return 0;
}

ssize_t
p9_pread(struct p9_fid *f, void *buf, size_t n, uint64_t off)
{
	struct p9_fcall t = { .type = P9_Tread, .fid = f->num };
	struct p9_reply r;
	size_t done = 0;
	int err;

	while (done < n) {
		size_t want = n - done;

		t.offset = off + done;
		t.count = (uint32_t)(want < iosize(f) ? want : iosize(f));
		if ((err = p9_rpc(f->s, &t, &r)) != 0)
			return done ? (ssize_t)done : err;
		memcpy((char *)buf + done, r.f.data, r.f.count);
		done += r.f.count;
		p9_reply_free(&r);
		if (r.f.count < t.count)
			break;
	}
	return (ssize_t)done;
}

ssize_t
p9_pwrite(struct p9_fid *f, const void *buf, size_t n, uint64_t off)
{
	struct p9_fcall t = { .type = P9_Twrite, .fid = f->num };
	struct p9_reply r;
	size_t done = 0;
	int err;

	do {
		size_t want = n - done;

		t.offset = off + done;
		t.count = (uint32_t)(want < iosize(f) ? want : iosize(f));
		t.data = (const uint8_t *)buf + done;
		if ((err = p9_rpc(f->s, &t, &r)) != 0)
			return done ? (ssize_t)done : err;
		done += r.f.count;
		p9_reply_free(&r);
		if (r.f.count == 0 && t.count)
			return done ? (ssize_t)done :
			    p9__fail(-EIO, "server wrote nothing");
	} while (done < n);
	return (ssize_t)done;
}

int
p9_mkdir(struct p9_fid *dir, const char *name, mode_t mode)
{
	struct p9_fcall t = { .name = p9__str(name) };
	struct p9_fid *f;
	int err;

	if (ISL(dir->s)) {
		t.type = P9_Tmkdir;
		t.dfid = dir->num;
		t.mode = (uint32_t)mode & 07777;
		t.gid = (uint32_t)getgid();
		return p9__rpc0(dir->s, &t);
	}
	if ((err = p9_walk(dir, "", &f)) != 0)
		return err;
	t.type = P9_Tcreate;
	t.fid = f->num;
	t.perm = P9_DMDIR | ((uint32_t)mode & 0777);
	t.mode = P9_OREAD;
	err = p9__rpc0(dir->s, &t);
	p9_fid_put(f);
	return err;
}

/* Walk to name and Tremove it (the fid is gone either way). */
static int
remove_by_walk(struct p9_fid *dir, const char *name)
{
	struct p9_fcall t = { .type = P9_Tremove };
	struct p9_fid *f;
	int err;

	if ((err = p9_walk(dir, name, &f)) != 0)
		return err;
	t.fid = f->num;
	err = p9__rpc0(dir->s, &t);
	f->live = 0;
	p9_fid_put(f);
	return err;
}

int
p9_unlinkat(struct p9_fid *dir, const char *name, int flags)
{
	struct p9_fcall t = { .type = P9_Tunlinkat, .fid = dir->num };
	int err;

	if (!ISL(dir->s) || dir->s->no_unlinkat)
		return remove_by_walk(dir, name);
	t.name = p9__str(name);
	t.flags = (flags & AT_REMOVEDIR) ? P9_AT_REMOVEDIR : 0;
	err = p9__rpc0(dir->s, &t);
	if (err == -ENOSYS || err == -EOPNOTSUPP) {
		/* an older server (diod 1.0): don't ask again */
		dir->s->no_unlinkat = 1;
		err = remove_by_walk(dir, name);
	}
	return err;
}

int
p9_renameat(struct p9_fid *odir, const char *oname, struct p9_fid *ndir,
    const char *nname)
{
	struct p9_session *s = odir->s;
	struct p9_fcall t = { 0 };
	struct p9_fid *f;
	int err;

	if (ISL(s) && !s->no_renameat) {
		t.type = P9_Trenameat;
		t.fid = odir->num;
		t.name = p9__str(oname);
		t.dfid = ndir->num;
		t.newname = p9__str(nname);
		err = p9__rpc0(s, &t);
		if (err != -ENOSYS && err != -EOPNOTSUPP)
			return err;
		s->no_renameat = 1;
	}
	if ((err = p9_walk(odir, oname, &f)) != 0)
		return err;
	if (ISL(s)) {
		t.type = P9_Trename;
		t.fid = f->num;
		t.dfid = ndir->num;
		t.name = p9__str(nname);
	} else if (odir->qid.path != ndir->qid.path) {
		err = p9__fail(-EXDEV, "%s renames only within a directory",
		    p9_dialect_name(s->dialect));
	} else {
		t.type = P9_Twstat;
		t.fid = f->num;
		p9_stat_null(&t.stat);
		t.stat.name = p9__str(nname);
	}
	if (err == 0)
		err = p9__rpc0(s, &t);
	p9_fid_put(f);
	return err;
}

int
p9_statfs(struct p9_fid *f, struct p9_statfs *st)
{
	struct p9_fcall t = { .type = P9_Tstatfs, .fid = f->num };
	struct p9_reply r;
	int err;

	if (!ISL(f->s))
		return p9__fail(-EOPNOTSUPP, "%s has no statfs message",
		    p9_dialect_name(f->s->dialect));
	if ((err = p9_rpc(f->s, &t, &r)) != 0)
		return err;
	*st = r.f.statfs;
	p9_reply_free(&r);
	return 0;
}

int
p9_fsync(struct p9_fid *f, int datasync)
{
	struct p9_fcall t = { .fid = f->num };

	if (ISL(f->s)) {
		t.type = P9_Tfsync;
		t.datasync = datasync != 0;
	} else {
		/* Plan 9: a wstat that changes nothing asks for a sync */
		t.type = P9_Twstat;
		p9_stat_null(&t.stat);
	}
	return p9__rpc0(f->s, &t);
}

int
p9_symlink(struct p9_fid *dir, const char *name, const char *target)
{
	struct p9_fcall t = { .name = p9__str(name) };
	struct p9_fid *f;
	int err;

	if (ISL(dir->s)) {
		t.type = P9_Tsymlink;
		t.fid = dir->num;
		t.target = p9__str(target);
		t.gid = (uint32_t)getgid();
		return p9__rpc0(dir->s, &t);
	}
	if (dir->s->dialect != P9_2000U)
		return p9__fail(-EOPNOTSUPP, "9P2000 has no symbolic links");
	if ((err = p9_walk(dir, "", &f)) != 0)
		return err;
	t.type = P9_Tcreate;
	t.fid = f->num;
	t.perm = P9_DMSYMLINK | 0777;
	t.mode = P9_OREAD;
	t.extension = p9__str(target);
	err = p9__rpc0(dir->s, &t);
	p9_fid_put(f);
	return err;
}

int
p9_readlink(struct p9_fid *f, char *buf, size_t cap)
{
	struct p9_fcall t = { .fid = f->num };
	struct p9_reply r;
	struct p9_str s;
	int err;

	if (f->s->dialect == P9_2000)
		return p9__fail(-EINVAL, "9P2000 has no symbolic links");
	t.type = ISL(f->s) ? P9_Treadlink : P9_Tstat;
	if ((err = p9_rpc(f->s, &t, &r)) != 0)
		return err;
	if (!ISL(f->s) && !(r.f.stat.mode & P9_DMSYMLINK)) {
		p9_reply_free(&r);
		return p9__fail(-EINVAL, "not a symbolic link");
	}
	s = ISL(f->s) ? r.f.target : r.f.stat.extension;
	if (s.len >= cap) {
		p9_reply_free(&r);
		return p9__fail(-ENAMETOOLONG, "link target too long");
	}
	memcpy(buf, s.s, s.len);
	buf[s.len] = '\0';
	p9_reply_free(&r);
	return (int)s.len;
}

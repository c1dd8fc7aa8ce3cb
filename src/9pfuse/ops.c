/*
 * ops.c - the FUSE low-level operations on names and attributes: lookup,
 * forget, getattr, setattr, mkdir, mknod, symlink, link, unlink, rmdir,
 * rename, readlink, statfs, access.  Each handler does its work in a
 * function returning an errno and sends exactly one reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "9pfuse.h"

/* access=UID: nobody else (but root) gets in */
static int
denied(fuse_req_t req)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);

	if (cfg.access == ACCESS_UID && c->uid != cfg.access_uid && c->uid != 0) {
		fuse_reply_err(req, EACCES);
		return 1;
	}
	return 0;
}
#define GUARD(req)	do { if (denied(req)) return; } while (0)

/* Walk name from dir, getattr it, enter it in the table. */
static int
entry_of(struct p9_fid *dir, const char *name, struct fuse_entry_param *e)
{
	struct p9_fid *f;
	struct p9_stbuf st;
	struct node *n;
	int err;

	if ((err = p9_walk(dir, name, &f)) != 0)
		return errno_of(err);
	if ((err = p9_getattr(f, &st)) != 0) {
		p9_fid_put(f);
		return errno_of(err);
	}
	if ((n = node_enter(f, &st)) == NULL)
		return ENOMEM;
	return fill_entry(n, &st, e);
}

static void
reply_entry_or_err(fuse_req_t req, int err, struct fuse_entry_param *e)
{
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_entry(req, e);
}

static void
fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct p9_fid *d;
	struct fuse_entry_param e;
	int err;

	GUARD(req);
	if (strlen(name) > 255) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	d = node_fid(node_of(parent));
	err = entry_of(d, name, &e);
	p9_fid_put(d);
	if (err == ENOENT && cfg.entry_timeout > 0) {
		/* a negative entry the kernel may cache as long as others */
		memset(&e, 0, sizeof e);
		e.entry_timeout = cfg.entry_timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	reply_entry_or_err(req, err, &e);
}

static void
fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t n)
{
	node_forget(ino, n);
	fuse_reply_none(req);
}

static void
fs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *f)
{
	for (size_t i = 0; i < count; i++)
		node_forget(f[i].ino, f[i].nlookup);
	fuse_reply_none(req);
}

static int
attr_of(struct p9_fid *f, struct stat *st)
{
	struct p9_stbuf b;
	int err;

	if ((err = p9_getattr(f, &b)) != 0)
		return errno_of(err);
	stat_from(&b, st);
	return 0;
}

static struct p9_fid *
fid_for(fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (fi && fi->fh)
		return p9_fid_get(((struct fh *)(uintptr_t)fi->fh)->fid);
	return node_fid(node_of(ino));
}

static void
fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct p9_fid *f;
	struct stat st;
	int err;

	GUARD(req);
	f = fid_for(ino, fi);
	err = attr_of(f, &st);
	p9_fid_put(f);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, cfg.attr_timeout);
}

static void
fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *a, int set,
    struct fuse_file_info *fi)
{
	struct p9_stbuf b;
	struct p9_fid *f;
	struct stat st;
	uint32_t valid = 0;
	int err;

	GUARD(req);
	memset(&b, 0, sizeof b);
	if (set & FUSE_SET_ATTR_MODE) {
		valid |= P9_SETATTR_MODE;
		b.mode = a->st_mode & 07777;
	}
	if (set & FUSE_SET_ATTR_UID) {
		valid |= P9_SETATTR_UID;
		b.uid = a->st_uid;
	}
	if (set & FUSE_SET_ATTR_GID) {
		valid |= P9_SETATTR_GID;
		b.gid = a->st_gid;
	}
	if (set & FUSE_SET_ATTR_SIZE) {
		valid |= P9_SETATTR_SIZE;
		b.size = (uint64_t)a->st_size;
	}
	if (set & FUSE_SET_ATTR_ATIME) {
		valid |= P9_SETATTR_ATIME;
		if (!(set & FUSE_SET_ATTR_ATIME_NOW)) {
			valid |= P9_SETATTR_ATIME_SET;
			b.atime = a->st_atim.tv_sec;
			b.atime_ns = (uint32_t)a->st_atim.tv_nsec;
		}
	}
	if (set & FUSE_SET_ATTR_MTIME) {
		valid |= P9_SETATTR_MTIME;
		if (!(set & FUSE_SET_ATTR_MTIME_NOW)) {
			valid |= P9_SETATTR_MTIME_SET;
			b.mtime = a->st_mtim.tv_sec;
			b.mtime_ns = (uint32_t)a->st_mtim.tv_nsec;
		}
	}
	if (set & FUSE_SET_ATTR_CTIME)
		valid |= P9_SETATTR_CTIME;
	f = fid_for(ino, fi);
	err = valid ? p9_setattr(f, valid, &b) : 0;
	err = err ? errno_of(err) : 0;
	if (!err)
		err = attr_of(f, &st);
	p9_fid_put(f);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, cfg.attr_timeout);
}

/* Make something named name in parent with mk(), then look it up. */
static void
make(fuse_req_t req, fuse_ino_t parent, const char *name,
    int (*mk)(struct p9_fid *, const char *, void *), void *arg)
{
	struct p9_fid *d;
	struct fuse_entry_param e;
	int err;

	GUARD(req);
	d = node_fid(node_of(parent));
	if ((err = mk(d, name, arg)) == 0)
		err = entry_of(d, name, &e);
	else
		err = errno_of(err);
	p9_fid_put(d);
	reply_entry_or_err(req, err, &e);
}

static int
mk_dir(struct p9_fid *d, const char *name, void *arg)
{
	return p9_mkdir(d, name, *(mode_t *)arg);
}

struct nod {
	mode_t	mode;
	dev_t	rdev;
};

static int
mk_nod(struct p9_fid *d, const char *name, void *arg)
{
	struct nod *n = arg;

	return p9_mknod(d, name, n->mode, major(n->rdev), minor(n->rdev));
}

static int
mk_symlink(struct p9_fid *d, const char *name, void *arg)
{
	return p9_symlink(d, name, arg);
}

static int
mk_link(struct p9_fid *d, const char *name, void *arg)
{
	struct p9_fid *f = node_fid(arg);
	int err = p9_link(d, f, name);

	p9_fid_put(f);
	return err;
}

static void
fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	make(req, parent, name, mk_dir, &mode);
}

static void
fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    dev_t rdev)
{
	struct nod n = { mode, rdev };

	if (S_ISREG(mode)) {
		/* mknod of a regular file: create it empty */
		struct p9_fid *d = node_fid(node_of(parent)), *f;
		struct fuse_entry_param e;
		int err = p9_create(d, name, O_WRONLY | O_EXCL, mode & 07777, &f);

		if (err == 0) {
			p9_fid_put(f);
			err = entry_of(d, name, &e);
		} else
			err = errno_of(err);
		p9_fid_put(d);
		reply_entry_or_err(req, err, &e);
		return;
	}
	make(req, parent, name, mk_nod, &n);
}

static void
fs_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
    const char *name)
{
	make(req, parent, name, mk_symlink, (void *)target);
}

static void
fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
    const char *name)
{
	make(req, newparent, name, mk_link, node_of(ino));
}

static void
remove_name(fuse_req_t req, fuse_ino_t parent, const char *name, int flags)
{
	struct p9_fid *d;
	int err;

	GUARD(req);
	d = node_fid(node_of(parent));
	err = p9_unlinkat(d, name, flags);
	p9_fid_put(d);
	fuse_reply_err(req, err ? errno_of(err) : 0);
}

static void
fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, 0);
}

static void
fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, AT_REMOVEDIR);
}

static void
fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
    fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct p9_fid *od, *nd, *f;
	int err = 0;

	GUARD(req);
	if (flags & ~RENAME_NOREPLACE) {
		/* 9P has no atomic exchange */
		fuse_reply_err(req, EINVAL);
		return;
	}
	od = node_fid(node_of(parent));
	nd = node_fid(node_of(newparent));
	if ((flags & RENAME_NOREPLACE) && p9_walk(nd, newname, &f) == 0) {
		p9_fid_put(f);
		err = EEXIST;
	}
	if (!err && (err = p9_renameat(od, name, nd, newname)) != 0)
		err = errno_of(err);
	p9_fid_put(od);
	p9_fid_put(nd);
	fuse_reply_err(req, err);
}

static void
fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct p9_fid *f;
	char buf[PATH_MAX];
	int n;

	GUARD(req);
	f = node_fid(node_of(ino));
	n = p9_readlink(f, buf, sizeof buf);
	p9_fid_put(f);
	if (n < 0)
		fuse_reply_err(req, errno_of(n));
	else
		fuse_reply_readlink(req, buf);
}

static void
fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct p9_statfs s;
	struct statvfs v;
	struct p9_fid *f;
	int err;

	GUARD(req);
	memset(&v, 0, sizeof v);
	v.f_bsize = v.f_frsize = 4096;
	v.f_namemax = 255;
	f = node_fid(node_of(ino));
	err = p9_statfs(f, &s);
	p9_fid_put(f);
	if (err == 0) {
		v.f_bsize = v.f_frsize = s.bsize;
		v.f_blocks = s.blocks;
		v.f_bfree = s.bfree;
		v.f_bavail = s.bavail;
		v.f_files = s.files;
		v.f_ffree = v.f_favail = s.ffree;
		v.f_fsid = s.fsid;
		v.f_namemax = s.namelen;
	} else if (err != -EOPNOTSUPP) {
		fuse_reply_err(req, errno_of(err));
		return;
	}
	fuse_reply_statfs(req, &v);
}

/* Without default_permissions the kernel asks; answer from the mode. */
static void
fs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	struct p9_fid *f;
	struct stat st;
	int err, bits;

	GUARD(req);
	f = node_fid(node_of(ino));
	err = attr_of(f, &st);
	p9_fid_put(f);
	if (err || mask == F_OK) {
		fuse_reply_err(req, err);
		return;
	}
	if (c->uid == 0) {
		/* root may do anything but execute a file nobody may */
		bits = (mask & X_OK) && !S_ISDIR(st.st_mode) &&
		    !(st.st_mode & 0111) ? EACCES : 0;
		fuse_reply_err(req, bits);
		return;
	}
	if (c->uid == st.st_uid)
		bits = (st.st_mode >> 6) & 7;
	else if (c->gid == st.st_gid)
		bits = (st.st_mode >> 3) & 7;
	else
		bits = st.st_mode & 7;
	fuse_reply_err(req, (mask & bits) == mask ? 0 : EACCES);
}


const struct fuse_lowlevel_ops fs_ops = {
	.init = fs_init,
	.lookup = fs_lookup,
	.forget = fs_forget,
	.forget_multi = fs_forget_multi,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.readlink = fs_readlink,
	.mknod = fs_mknod,
	.mkdir = fs_mkdir,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.symlink = fs_symlink,
	.rename = fs_rename,
	.link = fs_link,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.flush = fs_flush,
	.release = fs_release,
	.fsync = fs_fsync,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.readdirplus = fs_readdirplus,
	.releasedir = fs_releasedir,
	.fsyncdir = fs_fsyncdir,
	.statfs = fs_statfs,
	.setxattr = fs_setxattr,
	.getxattr = fs_getxattr,
	.listxattr = fs_listxattr,
	.removexattr = fs_removexattr,
	.access = fs_access,
	.create = fs_create,
	.getlk = fs_getlk,
	.setlk = fs_setlk,
	.flock = fs_flock,
};

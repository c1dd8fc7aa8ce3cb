/*
 * ops.c - the FUSE low-level operations on names and attributes: lookup,
 * forget, getattr, setattr, mkdir, mknod, symlink, link, unlink, rmdir,
 * rename, readlink, statfs, access.  Each handler does its work in a
 * function returning an errno and sends exactly one reply.  Unlinking an
 * open file hides it instead (removed at its last close), renames keep
 * the moved nodes' fids current, and what is made for another user
 * (allow_other) becomes theirs.
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
#include <unistd.h>

#include "9pfuse.h"


/*
 * A file the server made for us (the attach user) on behalf of another
 * caller (allow_other): make it the caller's, as a local file system
 * would, keeping a group inherited from a set-group-ID folder.  Only
 * root may give files away; others leave the server's choice.
 */
void
give_to_caller(fuse_req_t req, struct p9_fid *f, struct p9_stbuf *st)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	struct p9_stbuf b;
	uint32_t valid = 0;

	if (geteuid() != 0)
		return;
	memset(&b, 0, sizeof b);
	if (c->uid != st->uid) {
		valid |= P9_SETATTR_UID;
		b.uid = c->uid;
	}
	if (c->gid != st->gid && st->gid == getegid()) {
		valid |= P9_SETATTR_GID;
		b.gid = c->gid;
	}
	if (valid && p9_setattr(f, valid, &b) == 0) {
		if (valid & P9_SETATTR_UID)
			st->uid = c->uid;
		if (valid & P9_SETATTR_GID)
			st->gid = c->gid;
	}
}

/*
 * Walk name from dir, getattr it, enter it in the table; with req, the
 * file was just made for req's caller (see give_to_caller).
 */
static int
entry_of(struct p9_fid *dir, const char *name, struct fuse_entry_param *e,
    fuse_req_t req)
{
	struct p9_fid *f;
	struct p9_stbuf st;
	struct stat st_last;
	struct node *n;
	int err;

	if ((err = p9_walk(dir, name, &f)) != 0)
		return errno_of(err);
	/*
	 * With attribute and entry timeouts of 0 the kernel looks every
	 * folder on a path up again each time the path is used (`ls -l d`:
	 * d once per entry).  For a folder we hold, the walk shows the name
	 * still leads to it; the attributes it goes back with are the last
	 * ones the server gave, which the kernel keeps only until it needs
	 * them (attribute timeout 0: the next stat or permission check asks
	 * the server).  One round trip per folder on the path, not two.
	 */
	if (!req && cfg.attr_timeout == 0 &&
	    (n = node_enter_folder(f, &st_last)) != NULL) {
		entry_from(n, &st_last, e);
		return 0;
	}
	if ((err = p9_getattr(f, &st)) != 0) {
		p9_fid_put(f);
		return errno_of(err);
	}
	if (req)
		give_to_caller(req, f, &st);
	if ((n = node_enter(f, &st)) == NULL)
		return ENOMEM;
	err = fill_entry(n, &st, e);
	pthread_mutex_lock(&n->lk);
	n->last = e->attr;
	n->haslast = 1;
	pthread_mutex_unlock(&n->lk);
	return err;
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
	err = entry_of(d, name, &e, NULL);
	p9_fid_put(d);
	if (err == 0 && !S_ISDIR(e.attr.st_mode))
		note_file_lookup();
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

/*
 * Attributes go through the node's walked fid, whose path the server
 * knows best (renames and silly renames refresh it); an open fid is the
 * fallback for a file gone from every folder on servers that answer for
 * open fids (fstat).  A fid of the open file still works there.
 */
static int
with_attr_fid(fuse_ino_t ino, struct fuse_file_info *fi,
    int (*fn)(struct p9_fid *, void *), void *arg)
{
	struct p9_fid *f = node_fid(node_of(ino)), *g;
	int err = fn(f, arg);

	if (err == ENOENT && fi && fi->fh) {
		g = p9_fid_get(((struct fh *)(uintptr_t)fi->fh)->fid);
		err = fn(g, arg);
		p9_fid_put(g);
	}
	if (err == ENOENT) {
		/* a rename may have given the node a fid by its new name
		   meanwhile (follow_rename): once more with that one */
		g = node_fid(node_of(ino));
		if (g != f)
			err = fn(g, arg);
		p9_fid_put(g);
	}
	p9_fid_put(f);
	return err;
}

static int
get_attr(struct p9_fid *f, void *arg)
{
	return attr_of(f, arg);
}

static void
fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	int err;

	struct node *n = node_of(ino);
	double tmo = cfg.attr_timeout;

	GUARD(req);
	err = with_attr_fid(ino, fi, get_attr, &st);
	pthread_mutex_lock(&n->lk);
	if (err == 0) {
		n->last = st;
		n->haslast = 1;
	} else if (err == ENOENT && fi && n->haslast) {
		/*
		 * An open file the server can't find by any name just now
		 * (diod answers getattr by path: a rename or removal by
		 * another thread is under way): fstat and the kernel's size
		 * check before read(2) must not fail on an open file, so the
		 * last attributes stand, not to be kept.
		 */
		st = n->last;
		err = 0;
		tmo = 0;
	}
	pthread_mutex_unlock(&n->lk);
	if (err != 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, tmo);
}

struct setattr {
	uint32_t		 valid;
	const struct p9_stbuf	*b;
	struct stat		*st;
};

static int
set_attr(struct p9_fid *f, void *arg)
{
	struct setattr *sa = arg;
	int err;

	if (sa->valid && (err = p9_setattr(f, sa->valid, sa->b)) != 0)
		return errno_of(err);
	return attr_of(f, sa->st);
}

static void
fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *a, int set,
    struct fuse_file_info *fi)
{
	struct setattr sa;
	struct p9_stbuf b;
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
	sa.valid = valid;
	sa.b = &b;
	sa.st = &st;
	if ((err = with_attr_fid(ino, fi, set_attr, &sa)) != 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, cfg.attr_timeout);
}

static int mk_link(struct p9_fid *, const char *, void *);

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
		/* a hard link is no new file: its owner stays */
		err = entry_of(d, name, &e, mk == mk_link ? NULL : req);
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

	GUARD(req);
	if (S_ISREG(mode)) {
		/* mknod of a regular file: create it empty */
		struct p9_fid *d = node_fid(node_of(parent)), *f;
		struct fuse_entry_param e;
		int err = p9_create(d, name, O_WRONLY | O_EXCL, mode & 07777, &f);

		if (err == 0) {
			p9_fid_put(f);
			err = entry_of(d, name, &e, req);
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

/*
 * Unlinking (or renaming over) a file that is open here renames it to a
 * hidden name in the same folder instead, removed at its last close: the
 * descriptors keep working on servers whose fids follow paths (diod
 * answers getattr, setattr, xattrs by path), as NFS does.  Returns 1 and
 * the hidden name if it hid name, 0 if name is not an open file (or not
 * there: the operation itself will say), or a negative errno.
 */
static int
hide_if_open(struct p9_fid *d, const char *name, char *hidden, size_t cap,
    uint64_t *qp)
{
	static unsigned seq;
	struct p9_fid *f;
	uint64_t q;
	int err;

	if (__atomic_load_n(&open_files, __ATOMIC_RELAXED) == 0)
		return 0;
	if (p9_walk(d, name, &f) != 0)
		return 0;
	q = p9_fid_qid(f)->path;
	p9_fid_put(f);
	if (!node_is_open(q))
		return 0;
	snprintf(hidden, cap, ".9pfuse-hidden.%llx.%u", (unsigned long long)q,
	    __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
	if ((err = p9_renameat(d, name, d, hidden)) != 0)
		return err;
	if (p9_walk(d, hidden, &f) == 0)
		node_refresh(f);
	if (node_hide(q, d, hidden) != 0) {
		/* closed meanwhile: nobody else will remove it */
		p9_unlinkat(d, hidden, 0);
	}
	*qp = q;
	return 1;
}

static void
remove_name(fuse_req_t req, fuse_ino_t parent, const char *name, int flags)
{
	struct p9_fid *d;
	char hidden[64];
	uint64_t q;
	int err = 0;

	GUARD(req);
	d = node_fid(node_of(parent));
	q = 0;
	if (!(flags & AT_REMOVEDIR))
		err = hide_if_open(d, name, hidden, sizeof hidden, &q);
	else {
		/* which folder goes (see node_gone) */
		struct p9_fid *f;

		if (p9_walk(d, name, &f) == 0) {
			q = p9_fid_qid(f)->path;
			p9_fid_put_nowait(f);
		}
	}
	if (err == 0)
		err = p9_unlinkat(d, name, flags);
	if (err == 0 && (flags & AT_REMOVEDIR) && q)
		node_gone(q);
	p9_fid_put(d);
	fuse_reply_err(req, err < 0 ? errno_of(err) : 0);
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

/*
 * After a rename the moved file's node takes a fid walked by its new name,
 * and for a folder so does every node below it: servers whose fids follow
 * paths (diod) lose track of the old ones, and fstat, fchmod or a working
 * folder there would fail.
 */
static void
follow_rename(struct p9_fid *od, const char *name, struct p9_fid *nd,
    const char *newname)
{
	const char *op = p9_fid_path(od);
	char *from = NULL, *to = NULL;
	struct p9_fid *f;

	if (p9_walk(nd, newname, &f) != 0)
		return;
	if ((p9_fid_qid(f)->type & P9_QTDIR) &&
	    asprintf(&from, "%s/%s", strcmp(op, "/") ? op : "", name) < 0)
		from = NULL;
	if (from)
		to = strdup(p9_fid_path(f));
	node_refresh(f);
	if (from && to)
		node_rebase(from, to);
	free(from);
	free(to);
}

static void
fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
    fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct p9_fid *od, *nd, *f;
	char hidden[64];
	uint64_t q;
	int err = 0, hid = 0;

	GUARD(req);
	if (flags & ~RENAME_NOREPLACE) {
		/* 9P has no atomic exchange */
		fuse_reply_err(req, EINVAL);
		return;
	}
	od = node_fid(node_of(parent));
	nd = node_fid(node_of(newparent));
	if ((err = p9_walk(od, name, &f)) == 0)
		p9_fid_put(f);
	if (!err && (flags & RENAME_NOREPLACE) &&
	    p9_walk(nd, newname, &f) == 0) {
		p9_fid_put(f);
		err = -EEXIST;
	}
	/* an open file renamed over stays open under a hidden name */
	if (!err && !(flags & RENAME_NOREPLACE) &&
	    (hid = hide_if_open(nd, newname, hidden, sizeof hidden, &q)) < 0)
		err = hid;
	if (!err && (err = p9_renameat(od, name, nd, newname)) != 0 &&
	    hid == 1 && p9_renameat(nd, hidden, nd, newname) == 0) {
		/* put the old file back where it was */
		node_unhide(q);
		if (p9_walk(nd, newname, &f) == 0)
			node_refresh(f);
	}
	if (!err)
		follow_rename(od, name, nd, newname);
	p9_fid_put(od);
	p9_fid_put(nd);
	fuse_reply_err(req, err ? errno_of(err) : 0);
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

/*
 * io.c - the FUSE operations on open files and directories: open, create,
 * read, write (one FUSE request split into msize chunks that travel
 * together), flush, release, fsync, directory snapshots for readdir and
 * readdirplus, extended attributes, and the lock requests (node.c keeps
 * the locks).  Reads, writes and lock waits are interruptible: a FUSE
 * interrupt sends Tflush (a lock wait ends with EINTR).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

#include "9pfuse.h"

#define FH(fi)	((struct fh *)(uintptr_t)(fi)->fh)

static int writeback;

static void
on_interrupt(fuse_req_t req, void *arg)
{
	(void)req;
	p9_intr_fire(arg);
}

static void
set_cache_flags(struct fuse_file_info *fi)
{
	fi->direct_io = cfg.cache == CACHE_NONE;
	fi->keep_cache = cfg.cache == CACHE_LOOSE || cfg.cache == CACHE_FSCACHE;
}

static int
open_fid(struct p9_fid *f, struct node *n, int flags,
    struct fuse_file_info *fi)
{
	struct fh *h = calloc(1, sizeof *h);
	int err;

	if (h == NULL)
		return ENOMEM;
	if ((err = p9_open(f, flags)) != 0) {
		free(h);
		return errno_of(err);
	}
	h->fid = f;
	h->node = n;
	node_opened(n);
	fi->fh = (uintptr_t)h;
	set_cache_flags(fi);
	return 0;
}

/*
 * The hidden file's folder was renamed since it was hidden (servers whose
 * fids follow paths, diod, then lose the folder's fid): remove it by the
 * path its node's fid has now, which renames keep current (node_rebase).
 */
static void
unlink_moved(struct node *n, const char *hidden)
{
	struct p9_fid *f = node_fid(n), *d;
	char *path = strdup(p9_fid_path(f)), *slash;

	p9_fid_put(f);
	if (path == NULL || (slash = strrchr(path, '/')) == NULL ||
	    strcmp(slash + 1, hidden) != 0) {
		free(path);
		return;
	}
	*slash = '\0';
	if (p9_walk(p9_session_root(sess), path, &d) == 0) {
		p9_unlinkat(d, hidden, 0);
		p9_fid_put(d);
	}
	free(path);
}

/* The handle goes: its flock locks, its fid, a hidden name at the last. */
static void
close_fh(struct fh *h)
{
	struct p9_fid *dir;
	char *hidden;

	lock_drop(h->node, 1, (uint64_t)(uintptr_t)h);
	p9_fid_put(h->fid);
	if ((dir = node_closed(h->node, &hidden)) != NULL) {
		if (p9_unlinkat(dir, hidden, 0) != 0)
			unlink_moved(h->node, hidden);
		free(hidden);
		p9_fid_put(dir);
	}
	free(h);
}

/* The flags the server should see for what the kernel asked. */
static int
server_flags(int flags)
{
	flags &= ~(O_CREAT | O_EXCL | O_NOCTTY);
	if (writeback) {
		/* the kernel reads pages of write-only files and does appends */
		if ((flags & O_ACCMODE) == O_WRONLY)
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		flags &= ~O_APPEND;
	}
	return flags;
}

void
fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct p9_fid *n, *f;
	int err;

	GUARD(req);
	n = node_fid(node_of(ino));
	err = p9_walk(n, "", &f);
	p9_fid_put(n);
	if (err) {
		fuse_reply_err(req, errno_of(err));
		return;
	}
	if ((err = open_fid(f, node_of(ino), server_flags(fi->flags),
	    fi)) != 0) {
		p9_fid_put(f);
		fuse_reply_err(req, err);
		return;
	}
	if (fuse_reply_open(req, fi) == -ENOENT)
		close_fh(FH(fi));	/* the opener was interrupted: gone */
}

void
fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    struct fuse_file_info *fi)
{
	struct p9_fid *d, *f, *w;
	struct fuse_entry_param e;
	struct p9_stbuf st;
	struct node *n;
	struct fh *h;
	int err;

	GUARD(req);
	d = node_fid(node_of(parent));
	err = p9_create(d, name, server_flags(fi->flags) | O_CREAT |
	    (fi->flags & O_EXCL), mode & 07777, &f);
	if (err == 0 && (err = p9_walk(d, name, &w)) != 0)
		p9_fid_put(f);
	p9_fid_put(d);
	if (err == 0 && (err = p9_getattr(w, &st)) != 0) {
		p9_fid_put(w);
		p9_fid_put(f);
	}
	if (err == 0)
		give_to_caller(req, w, &st);
	if (err) {
		fuse_reply_err(req, errno_of(err));
		return;
	}
	if ((n = node_enter(w, &st)) == NULL || (h = calloc(1, sizeof *h)) == NULL) {
		p9_fid_put(f);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->fid = f;
	h->node = n;
	node_opened(n);
	fi->fh = (uintptr_t)h;
	set_cache_flags(fi);
	fill_entry(n, &st, &e);
	if (fuse_reply_create(req, &e, fi) == -ENOENT) {
		/* the kernel never saw the entry: no lookup to count */
		close_fh(h);
		node_forget((fuse_ino_t)(uintptr_t)n, 1);
	}
}

/*
 * The data goes from the replies (with virtio, the device's buffers)
 * through /dev/fuse without a copy of ours.
 */
void
fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct p9_intr in;
	struct p9_rdvec *v;
	ssize_t n;

	GUARD(req);	/* before anything is allocated */
	(void)ino;
	if ((v = malloc(sizeof *v)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p9_intr_init(&in);
	fuse_req_interrupt_func(req, on_interrupt, &in);
	n = p9_pread_vec(FH(fi)->fid, size, (uint64_t)off, &in, v);
	fuse_req_interrupt_func(req, NULL, NULL);
	p9_intr_destroy(&in);
	if (n < 0)
		fuse_reply_err(req, n == -EINTR ? EINTR : errno_of((int)n));
	else if (v->n == 0)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_iov(req, v->iov, v->n);
	p9_rdvec_free(v);
	free(v);
}

void
fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
    off_t off, struct fuse_file_info *fi)
{
	struct p9_intr in;
	ssize_t n;

	GUARD(req);
	(void)ino;
	p9_intr_init(&in);
	fuse_req_interrupt_func(req, on_interrupt, &in);
	n = p9_pwrite_par(FH(fi)->fid, buf, size, (uint64_t)off, &in);
	fuse_req_interrupt_func(req, NULL, NULL);
	p9_intr_destroy(&in);
	if (n < 0)
		fuse_reply_err(req, n == -EINTR ? EINTR : errno_of((int)n));
	else
		fuse_reply_write(req, (size_t)n);
}

/* Closing any descriptor drops its owner's POSIX locks on the file. */
void
fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	lock_drop(node_of(ino), 0, fi->lock_owner);
	fuse_reply_err(req, 0);
}

void
fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	close_fh(FH(fi));
	fuse_reply_err(req, 0);
}

void
fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
    struct fuse_file_info *fi)
{
	int err = p9_fsync(FH(fi)->fid, datasync);

	GUARD(req);
	(void)ino;
	fuse_reply_err(req, err ? errno_of(err) : 0);
}

/* ---- directories -------------------------------------------------------- */

struct snap {
	struct dirent9	*v;
	size_t		 n, cap;
	int		 full;	/* the dialect gave whole attributes */
};

static int
add_ent(void *arg, const struct p9_stbuf *st)
{
	struct snap *s = arg;
	struct dirent9 *e;

	if (!strcmp(st->name, ".") || !strcmp(st->name, ".."))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct dirent9 *v = realloc(s->v, cap * sizeof *v);

		if (v == NULL)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n];
	memset(e, 0, sizeof *e);
	if ((e->name = strdup(st->name)) == NULL)
		return -ENOMEM;
	e->qid = st->qid;
	e->type = st->mode & S_IFMT;
	s->n++;
	return 0;
}

static void
free_ents(struct dirent9 *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* Read the folder's listing whole into h (once), so offsets stay stable. */
static int
snapshot(struct fh *h)
{
	struct snap s = { 0 };
	int err;

	if (h->loaded)
		return 0;
	if ((err = p9_readdir(h->fid, add_ent, &s)) != 0) {
		free_ents(s.v, s.n);
		return errno_of(err);
	}
	h->ents = s.v;
	h->nents = s.n;
	h->loaded = 1;
	return 0;
}

void
fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fh *h;
	int err = 0;

	GUARD(req);
	if ((h = calloc(1, sizeof *h)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->fid = node_fid(node_of(ino));
	h->ino = node_of(ino)->qpath;
	/*
	 * cache=loose: the kernel keeps the listing across opens (until a
	 * change through this mount, or a new mtime, drops it) and may never
	 * ask for it again, so it is read at the first readdir, and errors
	 * reading it come from there.  Otherwise it is read now, and an
	 * unreadable folder fails to open.
	 */
	fi->cache_readdir = fi->keep_cache = cfg.cache == CACHE_LOOSE;
	if (!fi->cache_readdir && (err = snapshot(h)) != 0) {
		p9_fid_put(h->fid);
		free(h);
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uintptr_t)h;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		p9_fid_put(h->fid);
		free_ents(h->ents, h->nents);
		free(h);
	}
}

/* Entry i of the listing: 0 ".", 1 "..", then the snapshot. */
static const char *
ent_name(struct fh *h, size_t i, struct stat *st)
{
	memset(st, 0, sizeof *st);
	if (i == 0 || i == 1) {
		/* ".." is not known here: the kernel answers stat for it */
		st->st_mode = S_IFDIR;
		st->st_ino = i ? 1 : h->ino;
		return i ? ".." : ".";
	}
	st->st_ino = h->ents[i - 2].qid.path;
	st->st_mode = h->ents[i - 2].type;
	return h->ents[i - 2].name;
}

void
fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fh *h = FH(fi);
	char *buf;
	size_t pos = 0;
	struct stat st;
	int err;

	GUARD(req);	/* before anything is allocated */
	(void)ino;
	/* the kernel sends one readdir of a handle at a time */
	if ((err = snapshot(h)) != 0 || (buf = malloc(size)) == NULL) {
		fuse_reply_err(req, err ? err : ENOMEM);
		return;
	}
	for (size_t i = (size_t)off; i < h->nents + 2; i++) {
		const char *name = ent_name(h, i, &st);
		size_t need = fuse_add_direntry(req, buf + pos, size - pos,
		    name, &st, (off_t)i + 1);

		if (need > size - pos)
			break;
		pos += need;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

/*
 * Whether readdirplus gives a listing's files their attributes (a Twalk
 * and a Tgetattr each).  Its folders always get theirs: find(1) and du(1)
 * go into them.  Files only while files are being looked up (the kernel
 * asks for a name the listing gave without them): ls -l, du, git status
 * and rsync stat every file and get them with the listing from then on,
 * pipelined; find(1), which needs only the names and types, gets no
 * request per file at all.  The first listing of such a run pays one
 * lookup per file for the entries the kernel fetched before the first
 * stat.
 */
static int64_t files_wanted_until;	/* CLOCK_MONOTONIC ns; atomic */

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
note_file_lookup(void)
{
	__atomic_store_n(&files_wanted_until, mono_ns() + 2000000000,
	    __ATOMIC_RELAXED);
}

static int
files_wanted(void)
{
	return mono_ns() < __atomic_load_n(&files_wanted_until,
	    __ATOMIC_RELAXED);
}

static void	xprefetch(struct node **nodes, size_t n);

void
fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fh *h = FH(fi);
	char *buf = NULL;
	size_t pos = 0, first = (size_t)off, k = 0, fit = 0, nw = 0, j = 0;
	struct fuse_entry_param e;
	const char **names;
	struct p9_stbuf *sts;
	struct p9_fid **fids;
	struct stat st;
	size_t *at;	/* at[j]: the entry (0..k-1) that names[j] is */
	struct node **nodes;
	int *errs, err, files;

	GUARD(req);
	(void)ino;
	if ((err = snapshot(h)) != 0) {
		fuse_reply_err(req, err);
		return;
	}
	/* how many entries fit: the rest of the work is for those only */
	for (size_t i = first; i < h->nents + 2; i++) {
		size_t need = fuse_add_direntry_plus(req, NULL, 0,
		    ent_name(h, i, &st), NULL, 0);

		if (fit + need > size)
			break;
		fit += need;
		k++;
	}
	buf = malloc(size ? size : 1);
	names = calloc(k + 1, sizeof *names);
	sts = calloc(k + 1, sizeof *sts);
	fids = calloc(k + 1, sizeof *fids);
	errs = calloc(k + 1, sizeof *errs);
	at = calloc(k + 1, sizeof *at);
	nodes = calloc(k + 1, sizeof *nodes);
	if (!buf || !names || !sts || !fids || !errs || !at || !nodes) {
		fuse_reply_err(req, ENOMEM);
		goto out;
	}
	/* ".." and "." are not looked up; an unknown type counts as a file */
	files = files_wanted();
	for (size_t i = 0; i < k; i++) {
		size_t x = first + i;

		if (x < 2 || (!files &&
		    (h->ents[x - 2].type & S_IFMT) != S_IFDIR))
			continue;
		at[nw] = i;
		names[nw++] = h->ents[x - 2].name;
	}
	p9_getattr_many(h->fid, names, nw, sts, errs, fids);
	for (j = 0; j < nw; j++) {
		if (fids[j] == NULL)
			continue;
		if (errs[j] != 0)
			p9_fid_put(fids[j]);
		else	/* node_enter takes the fid */
			nodes[j] = node_enter(fids[j], &sts[j]);
		fids[j] = NULL;
	}
	if (files)
		xprefetch(nodes, nw);
	j = 0;
	for (size_t i = 0; i < k; i++) {
		const char *name = ent_name(h, first + i, &st);

		memset(&e, 0, sizeof e);
		/* ".", "..", a file without attributes, or gone meanwhile: the
		 * kernel takes the name and type only (node id 0) */
		e.attr = st;
		if (j < nw && at[j] == i) {
			if (nodes[j] != NULL)
				fill_entry(nodes[j], &sts[j], &e);
			j++;
		}
		pos += fuse_add_direntry_plus(req, buf + pos, size - pos, name,
		    &e, (off_t)(first + i + 1));
	}
	fuse_reply_buf(req, buf, pos);
out:
	free(buf);
	free(names);
	free(sts);
	free(fids);
	free(errs);
	free(at);
	free(nodes);
}

void
fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fh *h = FH(fi);

	(void)ino;
	p9_fid_put(h->fid);
	free_ents(h->ents, h->nents);
	free(h);
	fuse_reply_err(req, 0);
}

void
fs_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
    struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	(void)datasync;
	/* directory updates are synchronous on the server */
	fuse_reply_err(req, 0);
}

/* ---- extended attributes ------------------------------------------------ */

static int
xattr_off(fuse_req_t req)
{
	if (cfg.noxattr || p9_session_dialect(sess) != P9_2000L) {
		fuse_reply_err(req, EOPNOTSUPP);
		return 1;
	}
	return 0;
}

/*
 * Absent xattrs, remembered per node for as long as attributes are
 * (cache=readahead, loose, fscache): the kernel asks for
 * security.capability before every write(2) to a FUSE file and ls -l for
 * security.selinux on every file, and on most shares the answer is
 * ENODATA each time.  A setxattr or removexattr through this mount forgets
 * the node's list; another client's setxattr shows within the timeout,
 * as its other changes do.
 */
static double
mono(void)
{
	return (double)mono_ns() / 1e9;
}

/*
 * the errno the server gave for name, while it is remembered, or 0;
 * *pre, if pre is not NULL: whether a readdirplus asked for it
 */
static int
xneg_has(struct node *n, const char *name, int *pre)
{
	double t;
	int hit = 0;

	if (cfg.attr_timeout <= 0 || strlen(name) >= sizeof n->xneg[0].name)
		return 0;
	t = mono();
	pthread_mutex_lock(&n->lk);
	for (size_t i = 0; i < sizeof n->xneg / sizeof n->xneg[0]; i++)
		if (n->xneg[i].until > t && !strcmp(n->xneg[i].name, name)) {
			hit = n->xneg[i].err;
			if (pre)
				*pre = n->xneg[i].pre;
		}
	pthread_mutex_unlock(&n->lk);
	return hit;
}

static unsigned
xneg_gen(struct node *n)
{
	unsigned g;

	pthread_mutex_lock(&n->lk);
	g = n->xgen;
	pthread_mutex_unlock(&n->lk);
	return g;
}

/*
 * name is absent (err ENODATA), or a name the server does not keep
 * (EOPNOTSUPP: QEMU's, for security.* and trusted.*), as it said after
 * xneg_gen gave gen
 */
static void
xneg_add(struct node *n, const char *name, int err, unsigned gen, int pre)
{
	struct xneg *x;

	if (cfg.attr_timeout <= 0 || strlen(name) >= sizeof n->xneg[0].name)
		return;
	pthread_mutex_lock(&n->lk);
	if (gen == n->xgen) {	/* no set or remove since the question */
		x = &n->xneg[n->xnext++ % (sizeof n->xneg / sizeof n->xneg[0])];
		strcpy(x->name, name);
		x->err = err;
		x->pre = pre;
		x->until = mono() + cfg.attr_timeout;
	}
	pthread_mutex_unlock(&n->lk);
}

static void
xneg_forget(struct node *n)
{
	pthread_mutex_lock(&n->lk);
	memset(n->xneg, 0, sizeof n->xneg);
	n->xgen++;
	pthread_mutex_unlock(&n->lk);
}

/*
 * ls -l asks every file for security.selinux, one request at a time: the
 * last name a file was asked for that the server did not have is
 * remembered for a second, and while it is, readdirplus asks the files it
 * lists for it too, pipelined with their walks and getattrs, so that the
 * answers are here (in xneg) when the questions come.  Only where absent
 * names are remembered (attribute timeouts above 0).
 */
static pthread_mutex_t xlk = PTHREAD_MUTEX_INITIALIZER;
static char xlast[sizeof ((struct node *)0)->xneg[0].name];
static double xlast_until;

static void
xlearn(const char *name)
{
	if (strlen(name) >= sizeof xlast)
		return;
	pthread_mutex_lock(&xlk);
	strcpy(xlast, name);
	xlast_until = mono() + 1;
	pthread_mutex_unlock(&xlk);
}

/* the name to ask listed files for, if any, into name (as big as xlast) */
static int
xasked(char *name)
{
	int yes;

	if (cfg.attr_timeout <= 0 || cfg.noxattr ||
	    p9_session_dialect(sess) != P9_2000L)
		return 0;
	pthread_mutex_lock(&xlk);
	yes = xlast[0] && xlast_until > mono();
	if (yes)
		strcpy(name, xlast);
	pthread_mutex_unlock(&xlk);
	return yes;
}

static void
xprefetch(struct node **nodes, size_t n)
{
	char name[sizeof xlast];
	struct p9_fid **fs;
	unsigned *gen;
	int64_t *res;

	if (n == 0 || !xasked(name))
		return;
	fs = calloc(n, sizeof *fs);
	gen = calloc(n, sizeof *gen);
	res = calloc(n, sizeof *res);
	if (fs && gen && res) {
		for (size_t i = 0; i < n; i++)
			if (nodes[i] && !xneg_has(nodes[i], name, NULL)) {
				gen[i] = xneg_gen(nodes[i]);
				fs[i] = node_fid(nodes[i]);
			}
		p9_xattr_size_many(fs, n, name, res);
		for (size_t i = 0; i < n; i++)
			if (fs[i] && (res[i] == -ENODATA ||
			    res[i] == -EOPNOTSUPP))
				xneg_add(nodes[i], name, (int)-res[i], gen[i],
				    1);
	}
	for (size_t i = 0; fs && i < n; i++)
		if (fs[i])
			p9_fid_put(fs[i]);
	free(fs);
	free(gen);
	free(res);
}

static void
xget(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct node *nd = node_of(ino);
	struct p9_fid *f;
	char *buf;
	unsigned gen = xneg_gen(nd);
	ssize_t n;
	int known, pre = 0;

	if (*name && (known = xneg_has(nd, name, &pre)) != 0) {
		if (pre)	/* the prefetch is used: keep it on */
			xlearn(name);
		fuse_reply_err(req, known);
		return;
	}
	if ((buf = size ? malloc(size) : NULL) == NULL && size) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	f = node_fid(nd);
	n = p9_xattr_get(f, name, buf, size);
	p9_fid_put(f);
	if ((n == -ENODATA || n == -EOPNOTSUPP) && *name) {
		xneg_add(nd, name, (int)-n, gen, 0);
		xlearn(name);
	}
	if (n < 0)
		fuse_reply_err(req, errno_of((int)n));
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

void
fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	GUARD(req);
	/* without posixacl, ACLs are not this mount's: ls -l asks per file */
	if (!cfg.posixacl && !strncmp(name, "system.posix_acl_", 17)) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (!xattr_off(req))
		xget(req, ino, name, size);
}

void
fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	GUARD(req);
	if (!xattr_off(req))
		xget(req, ino, "", size);
}

void
fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
    const char *value, size_t size, int flags)
{
	struct p9_fid *f;
	int err;

	GUARD(req);
	if (xattr_off(req))
		return;
	if (size == 0) {
		/* on the wire a zero-length value means "remove" */
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	xneg_forget(node_of(ino));
	f = node_fid(node_of(ino));
	err = p9_xattr_set(f, name, value, size, flags);
	p9_fid_put(f);
	xneg_forget(node_of(ino));
	fuse_reply_err(req, err ? errno_of(err) : 0);
}

void
fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct p9_fid *f;
	int err;

	GUARD(req);
	if (xattr_off(req))
		return;
	xneg_forget(node_of(ino));
	f = node_fid(node_of(ino));
	err = p9_xattr_remove(f, name);
	p9_fid_put(f);
	xneg_forget(node_of(ino));
	fuse_reply_err(req, err ? errno_of(err) : 0);
}

/* ---- locks -------------------------------------------------------------- */

void
fs_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
    struct flock *fl)
{
	int err = lock_get(node_of(ino), FH(fi), fi->lock_owner, fl);

	GUARD(req);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_lock(req, fl);
}

void
fs_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
    struct flock *fl, int sleep)
{
	GUARD(req);
	fuse_reply_err(req, lock_set(req, node_of(ino), 0, fi->lock_owner,
	    fl, sleep));
}

/* flock locks belong to the open file: its handle is the owner */
void
fs_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
	struct flock fl = { .l_whence = SEEK_SET };

	GUARD(req);
	fl.l_type = (op & LOCK_EX) ? F_WRLCK : (op & LOCK_SH) ? F_RDLCK :
	    F_UNLCK;
	fuse_reply_err(req, lock_set(req, node_of(ino), 1,
	    (uint64_t)(uintptr_t)FH(fi), &fl, !(op & LOCK_NB)));
}

/* ---- connection --------------------------------------------------------- */

void
fs_init(void *ud, struct fuse_conn_info *conn)
{
	(void)ud;
	conn->max_write = cfg.max_io;
	conn->max_read = cfg.max_io;
	conn->max_readahead = cfg.max_io;
	conn->want |= FUSE_CAP_ASYNC_READ | FUSE_CAP_ATOMIC_O_TRUNC |
	    FUSE_CAP_PARALLEL_DIROPS;
	/*
	 * Readdirplus hands the kernel each entry's attributes with the
	 * listing: worth a walk and a getattr per entry only when the kernel
	 * may keep them.  With timeouts of 0 (cache=none, mmap) it looks every
	 * name up again when used, and find(1), which needs no attributes,
	 * would pay for them all.
	 */
	if (cfg.entry_timeout > 0 && (conn->capable & FUSE_CAP_READDIRPLUS))
		conn->want |= FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO;
	else
		conn->want &= ~(FUSE_CAP_READDIRPLUS |
		    FUSE_CAP_READDIRPLUS_AUTO);
	if (p9_session_dialect(sess) == P9_2000L) {
		conn->want |= FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS;
	} else
		conn->want &= ~(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
	if ((cfg.cache == CACHE_LOOSE || cfg.cache == CACHE_FSCACHE) &&
	    (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
		writeback = 1;
	}
	if (cfg.posixacl && (conn->capable & FUSE_CAP_POSIX_ACL))
		conn->want |= FUSE_CAP_POSIX_ACL;
	/*
	 * With auto_inval_data and attribute timeouts of 0 the kernel asks
	 * for the attributes before every read(2) (a Tgetattr per 128 KiB
	 * of `cat`).  cache=mmap is close-to-open, as v9fs's: pages are
	 * dropped at each open (keep_cache 0), and a size change seen by a
	 * stat drops them too, without it.
	 */
	if (cfg.cache == CACHE_NONE || cfg.cache == CACHE_READAHEAD)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	else if (cfg.cache == CACHE_MMAP)
		conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
}

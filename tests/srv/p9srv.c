/*
 * p9srv.c - a small 9P2000 / 9P2000.u file server for the tests.
 *
 *	p9srv [-dF] [-D dialects] [-m maxmsize] [-S name]
 *	    (-l HOST:PORT | -s PATH | -i) DIR
 *
 * -S holds reads of files whose names begin with name until they are
 * flushed (to test clients' interrupts); -F answers such a read just
 * before its Rflush.
 *
 * It serves the host directory DIR, follows intro(5) and the 9P2000.u
 * notes to the letter, and parses and builds every message with libp9's
 * codec (p9_decode, p9_encode, p9_stat_encode), so a codec bug shows up
 * on both sides.  9P2000.L is deliberately not spoken: diod covers it.
 * One thread per connection, requests of a connection handled in order
 * (so Tflush has nothing to abort).  SIGUSR1 prints the fids in use per
 * connection on stderr, for the client's leak checks.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p9.h"
#include "fdio.h"

#define NBUCKET		256
#define MAXFIDS		65536		/* per connection */
#define MINMSIZE	256
#define ALLONES16	0xffffu
#define ALLONES32	0xffffffffu
#define ALLONES64	0xffffffffffffffffull
#define OAPPEND_U	0x80		/* .u (Linux) Topen mode bit */
#define DMSETVTX_U	0x00010000u	/* .u (Linux) sticky bit */

struct fid {
	struct fid	*next;
	uint32_t	 num;
	char		*path;		/* relative to DIR, "." is DIR itself */
	char		*root;		/* where it was attached: ".." stops */
	int		 omode;		/* -1 if not open, else Topen's mode */
	int		 fd;		/* -1 if none */
	DIR		*dir;		/* an open directory (owns fd) */
	int		 seekable;
	uint64_t	 diroff;	/* offset the next dir read must use */
	char		*pend;		/* entry that did not fit last time */
};

struct idcache {
	unsigned	 id;
	int		 valid;
	char		 name[64];
};

struct conn {
	struct conn	*next, *prev;
	unsigned	 id;
	int		 rfd, wfd;
	enum p9_dialect	 d;
	int		 versioned;
	uint32_t	 msize;
	unsigned	 nfids;		/* read by the SIGUSR1 thread */
	const char	*emsg;		/* text of the error being returned */
	struct fid	*fids[NBUCKET];
	struct idcache	 ucache, gcache;
	uint8_t		*ibuf, *obuf, *dbuf;
	struct p9_fcall	 parked[8];	/* -S: reads held until flushed */
	int		 nparked;
};

static int rootfd = -1;
static int debug;
static uint32_t maxmsize = 65536;
static unsigned allowed = 1u << P9_2000 | 1u << P9_2000U;
static const char *sockpath;
static const char *stall;	/* -S: hold reads of files named so */
static int stallreply;		/* -F: answer a held read before Rflush */
static pthread_mutex_t connlock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *conns;
static unsigned nextid = 1;

/* ---- errors -------------------------------------------------------------- */

static int
fail(struct conn *c, int e, const char *msg)
{
	c->emsg = msg;
	return e;
}

/* The Plan 9 phrasing of an errno, for 9P2000. */
static const char *
plan9err(int e)
{
	switch (e) {
	case ENOENT: return "file does not exist";
	case EEXIST: return "file already exists";
	case EACCES: case EPERM: return "permission denied";
	case ENOTEMPTY: return "directory not empty";
	case ENOTDIR: return "not a directory";
	case EISDIR: return "is a directory";
	case EBUSY: return "file in use";
	case EROFS: return "read only file system";
	case ENAMETOOLONG: return "name too long";
	}
	return strerror(e);
}

/* ---- paths and attributes ------------------------------------------------ */

static int
isname(const struct p9_str *n, const char *s)
{
	return n->len == strlen(s) && memcmp(n->s, s, n->len) == 0;
}

/* A name that may not be used: empty, ".", or holding '/' or NUL. */
static int
badname(const struct p9_str *n)
{
	return n->len == 0 || isname(n, ".") || memchr(n->s, '/', n->len) ||
	    memchr(n->s, '\0', n->len);
}

static char *
join(const char *dir, const struct p9_str *name)
{
	size_t dl = strcmp(dir, ".") == 0 ? 0 : strlen(dir);
	char *p = malloc(dl + 1 + name->len + 1);

	if (p == NULL)
		return NULL;
	if (dl) {
		memcpy(p, dir, dl);
		p[dl++] = '/';
	}
	memcpy(p + dl, name->s, name->len);
	p[dl + name->len] = '\0';
	return p;
}

static char *
parent(const char *path)
{
	const char *e = strrchr(path, '/');

	if (e == NULL)
		return strdup(".");
	return strndup(path, (size_t)(e - path));
}

static const char *
base(const char *path)
{
	const char *e = strrchr(path, '/');

	if (strcmp(path, ".") == 0)
		return "/";
	return e ? e + 1 : path;
}

static int
lstatat(const char *path, struct stat *sb)
{
	return fstatat(rootfd, path, sb, AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
}

static struct p9_qid
mkqid(const struct conn *c, const struct stat *sb)
{
	struct p9_qid q;

	q.type = P9_QTFILE;
	if (S_ISDIR(sb->st_mode))
		q.type = P9_QTDIR;
	else if (S_ISLNK(sb->st_mode) && c->d == P9_2000U)
		q.type = P9_QTSYMLINK;
	q.version = (uint32_t)sb->st_mtim.tv_sec ^
	    (uint32_t)sb->st_mtim.tv_nsec ^ (uint32_t)sb->st_size;
	q.path = (uint64_t)sb->st_ino;
	return q;
}

/*
 * The user or group database by id (name NULL: its name goes to out) or
 * by name (its id goes to *id).  0, or -1 if there is no such entry.
 */
static int
pwgr(int group, const char *name, unsigned *id, char *out, size_t cap)
{
	const size_t bufsz = 64 * 1024;
	char *buf = malloc(bufsz);
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;

	if (buf == NULL)
		return -1;
	if (group && name)
		getgrnam_r(name, &gr, buf, bufsz, &grp);
	else if (group)
		getgrgid_r(*id, &gr, buf, bufsz, &grp);
	else if (name)
		getpwnam_r(name, &pw, buf, bufsz, &pwp);
	else
		getpwuid_r(*id, &pw, buf, bufsz, &pwp);
	if (grp && name)
		*id = grp->gr_gid;
	else if (pwp && name)
		*id = pwp->pw_uid;
	else if (grp || pwp)
		snprintf(out, cap, "%s", grp ? grp->gr_name : pwp->pw_name);
	free(buf);
	return grp || pwp ? 0 : -1;
}

/* User or group name of an id, else the number. */
static const char *
idname(struct idcache *ic, unsigned id, int group)
{
	if (ic->valid && ic->id == id)
		return ic->name;
	if (pwgr(group, NULL, &id, ic->name, sizeof ic->name) < 0)
		snprintf(ic->name, sizeof ic->name, "%u", id);
	ic->id = id;
	ic->valid = 1;
	return ic->name;
}

/* Name (or decimal number) to id; 0 or an errno. */
static int
nameid(const struct p9_str *n, int group, unsigned *id)
{
	char name[256], *end;

	if (n->len >= sizeof name)
		return EINVAL;
	memcpy(name, n->s, n->len);
	name[n->len] = '\0';
	if (pwgr(group, name, id, NULL, 0) == 0)
		return 0;
	errno = 0;
	*id = (unsigned)strtoul(name, &end, 10);
	return name[0] && *end == '\0' && errno == 0 ? 0 : EINVAL;
}

struct statbuf {
	struct p9_stat	st;
	char		ext[PATH_MAX + 32];
};

/* Fill b from sb; the entry is name in directory dfd (for readlink). */
static void
mkstat(struct conn *c, const struct stat *sb, int dfd, const char *rel,
    const char *name, struct statbuf *b)
{
	struct p9_stat *st = &b->st;
	int u = c->d == P9_2000U;
	ssize_t n;

	memset(st, 0, sizeof *st);
	b->ext[0] = '\0';
	st->qid = mkqid(c, sb);
	st->mode = sb->st_mode & 0777;
	if (S_ISDIR(sb->st_mode))
		st->mode |= P9_DMDIR;
	if (u) {
		if (S_ISLNK(sb->st_mode)) {
			st->mode |= P9_DMSYMLINK;
			n = readlinkat(dfd, rel, b->ext, sizeof b->ext - 1);
			b->ext[n < 0 ? 0 : n] = '\0';
		} else if (S_ISCHR(sb->st_mode) || S_ISBLK(sb->st_mode)) {
			st->mode |= P9_DMDEVICE;
			snprintf(b->ext, sizeof b->ext, "%c %u %u",
			    S_ISBLK(sb->st_mode) ? 'b' : 'c',
			    major(sb->st_rdev), minor(sb->st_rdev));
		} else if (S_ISFIFO(sb->st_mode))
			st->mode |= P9_DMNAMEDPIPE;
		else if (S_ISSOCK(sb->st_mode))
			st->mode |= P9_DMSOCKET;
		if (sb->st_mode & S_ISUID)
			st->mode |= P9_DMSETUID;
		if (sb->st_mode & S_ISGID)
			st->mode |= P9_DMSETGID;
		if (sb->st_mode & S_ISVTX)
			st->mode |= DMSETVTX_U;
	}
	st->atime = (uint32_t)sb->st_atim.tv_sec;
	st->mtime = (uint32_t)sb->st_mtim.tv_sec;
	st->length = S_ISDIR(sb->st_mode) ? 0 : (uint64_t)sb->st_size;
	st->name.s = name;
	st->name.len = (uint16_t)strlen(name);
	st->uid.s = idname(&c->ucache, sb->st_uid, 0);
	st->uid.len = (uint16_t)strlen(st->uid.s);
	st->muid = st->uid;
	st->gid.s = idname(&c->gcache, sb->st_gid, 1);
	st->gid.len = (uint16_t)strlen(st->gid.s);
	st->extension.s = b->ext;
	st->extension.len = (uint16_t)strlen(b->ext);
	st->n_uid = st->n_muid = (uint32_t)sb->st_uid;
	st->n_gid = (uint32_t)sb->st_gid;
}

/* ---- fids ---------------------------------------------------------------- */

static struct fid **
fidslot(struct conn *c, uint32_t num)
{
	struct fid **pp = &c->fids[(num * 2654435761u) >> 24];

	while (*pp && (*pp)->num != num)
		pp = &(*pp)->next;
	return pp;
}

static struct fid *
getfid(struct conn *c, uint32_t num)
{
	return *fidslot(c, num);
}

/* A new fid naming path (which it takes over); NULL sets the error. */
static struct fid *
newfid(struct conn *c, uint32_t num, char *path, const char *root, int *err)
{
	struct fid **pp = fidslot(c, num), *f = NULL;

	*err = 0;
	if (*pp)
		*err = fail(c, EBADF, "fid already in use");
	else if (num == P9_NOFID)
		*err = fail(c, EBADF, "bad fid number");
	else if (c->nfids >= MAXFIDS)
		*err = fail(c, ENFILE, "too many fids");
	else if ((f = calloc(1, sizeof *f)) == NULL ||
	    (f->root = strdup(root)) == NULL)
		*err = ENOMEM;
	if (*err) {
		free(f);
		free(path);
		return NULL;
	}
	f->num = num;
	f->path = path;
	f->omode = -1;
	f->fd = -1;
	*pp = f;
	__atomic_add_fetch(&c->nfids, 1, __ATOMIC_RELAXED);
	return f;
}

static void
closefid(struct fid *f)
{
	if (f->dir)
		closedir(f->dir);
	else if (f->fd >= 0)
		close(f->fd);
	f->dir = NULL;
	f->fd = -1;
}

/* Clunk: close, remove if opened ORCLOSE (and rclose), free. */
static void
delfid(struct conn *c, uint32_t num, int rclose)
{
	struct fid **pp = fidslot(c, num), *f = *pp;
	struct stat sb;

	if (f == NULL)
		return;
	*pp = f->next;
	closefid(f);
	if (rclose && f->omode != -1 && (f->omode & P9_ORCLOSE) &&
	    lstatat(f->path, &sb) == 0)
		unlinkat(rootfd, f->path, S_ISDIR(sb.st_mode) ?
		    AT_REMOVEDIR : 0);
	free(f->path);
	free(f->root);
	free(f->pend);
	free(f);
	__atomic_sub_fetch(&c->nfids, 1, __ATOMIC_RELAXED);
}

static void
delallfids(struct conn *c)
{
	for (int i = 0; i < NBUCKET; i++)
		while (c->fids[i])
			delfid(c, c->fids[i]->num, 1);
}

static void
repath(char **pp, const char *old, size_t ol, const char *new)
{
	char *p;

	if (strncmp(*pp, old, ol) != 0 ||
	    ((*pp)[ol] != '\0' && (*pp)[ol] != '/'))
		return;
	if (asprintf(&p, "%s%s", new, *pp + ol) < 0)
		return;
	free(*pp);
	*pp = p;
}

/* After a rename, fids naming old (or below it) name new. */
static void
renamefids(struct conn *c, const char *old, const char *new)
{
	size_t ol = strlen(old);

	for (int i = 0; i < NBUCKET; i++)
		for (struct fid *f = c->fids[i]; f; f = f->next) {
			repath(&f->root, old, ol, new);
			repath(&f->path, old, ol, new);
		}
}

/* Make f an open fid on fd (which it takes over). */
static int
setopen(struct fid *f, int fd, int omode, struct stat *sb)
{
	int fl;

	/*
	 * Opened O_NONBLOCK so that a fifo can't hang the connection;
	 * only files that can't block go back to blocking I/O.
	 */
	if (fstat(fd, sb) < 0 || (!S_ISFIFO(sb->st_mode) &&
	    !S_ISCHR(sb->st_mode) && !S_ISSOCK(sb->st_mode) &&
	    (fl = fcntl(fd, F_GETFL)) >= 0 &&
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)) {
		int e = errno;

		close(fd);
		return e;
	}
	if (S_ISDIR(sb->st_mode)) {
		if ((omode & 3) != P9_OREAD) {
			close(fd);
			return EISDIR;
		}
		if ((f->dir = fdopendir(fd)) == NULL) {
			int e = errno;

			close(fd);
			return e;
		}
	}
	f->fd = fd;
	f->omode = omode;
	f->seekable = S_ISREG(sb->st_mode) || S_ISBLK(sb->st_mode);
	f->diroff = 0;
	return 0;
}

static int
oflags(const struct conn *c, int omode)
{
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDONLY };
	int fl = acc[omode & 3] | O_NOCTTY | O_CLOEXEC | O_NONBLOCK;

	if (omode & P9_OTRUNC)
		fl |= O_TRUNC;
	if (c->d == P9_2000U && (omode & OAPPEND_U))
		fl |= O_APPEND;
	return fl;
}

/* ---- message handlers: 0 with r filled, or an errno (and c->emsg) -------- */

static int
h_version(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	const char *v = t->version.s, *dot;
	size_t blen = t->version.len;
	enum p9_dialect offer = P9_2000;

	delallfids(c);
	c->versioned = 0;
	c->d = P9_2000;
	if (t->msize < MINMSIZE)
		return fail(c, EMSGSIZE, "msize too small");
	r->msize = t->msize < maxmsize ? t->msize : maxmsize;
	r->version.s = "unknown";
	if ((dot = memchr(v, '.', blen)) != NULL) {
		struct p9_str sfx = { dot, (uint16_t)(v + blen - dot) };

		blen = (size_t)(dot - v);
		if (isname(&sfx, ".u"))
			offer = P9_2000U;
		else if (isname(&sfx, ".L"))
			offer = P9_2000L;
	}
	if (blen == 6 && memcmp(v, "9P2000", 6) == 0) {
		if (offer >= P9_2000U && (allowed & 1u << P9_2000U))
			c->d = P9_2000U, c->versioned = 1;
		else if (allowed & 1u << P9_2000)
			c->d = P9_2000, c->versioned = 1;
	}
	if (c->versioned) {
		r->version.s = p9_dialect_name(c->d);
		c->msize = r->msize;
	}
	r->version.len = (uint16_t)strlen(r->version.s);
	return 0;
}

static int
h_attach(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	struct stat sb;
	char *path = strdup("."), *p;
	const char *s = t->aname.s, *e = s + t->aname.len;
	int err = 0;

	if (t->afid != P9_NOFID) {
		free(path);
		return fail(c, EBADF, "unknown fid");
	}
	while (path && s < e && err == 0) {
		struct p9_str n;

		while (s < e && *s == '/')
			s++;
		if (s == e)
			break;
		n.s = s;
		while (s < e && *s != '/')
			s++;
		n.len = (uint16_t)(s - n.s);
		if (badname(&n) || isname(&n, ".."))
			err = fail(c, EINVAL, "bad aname");
		else if ((p = join(path, &n)) == NULL)
			err = ENOMEM;
		else {
			free(path);
			path = p;
			if ((err = lstatat(path, &sb)) == 0 &&
			    !S_ISDIR(sb.st_mode))
				err = ENOTDIR;
		}
	}
	if (path == NULL)
		return ENOMEM;
	if (err == 0)
		err = lstatat(path, &sb);
	if (err) {
		free(path);
		return err;
	}
	if (newfid(c, t->fid, path, path, &err) == NULL)
		return err;
	r->qid = mkqid(c, &sb);
	return 0;
}

static int
h_walk(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	struct fid *f = getfid(c, t->fid);
	struct stat sb;
	char *path, *np;
	int i, err = 0;

	if (f == NULL)
		return fail(c, EBADF, "unknown fid");
	if (f->omode != -1)
		return fail(c, EBADF, "cannot walk or clone an open fid");
	if (t->newfid != t->fid && getfid(c, t->newfid))
		return fail(c, EBADF, "fid already in use");
	if ((path = strdup(f->path)) == NULL)
		return ENOMEM;
	if (t->nwname > 0 && (err = lstatat(path, &sb)) == 0 &&
	    !S_ISDIR(sb.st_mode))
		err = fail(c, ENOTDIR, "walk in non-directory");
	for (i = 0; err == 0 && i < t->nwname; i++) {
		if (!S_ISDIR(sb.st_mode)) {
			err = fail(c, ENOTDIR, "walk in non-directory");
			break;
		}
		if (isname(&t->wname[i], ".."))
			np = strcmp(path, f->root) ? parent(path) :
			    strdup(path);
		else if (badname(&t->wname[i])) {
			err = isname(&t->wname[i], ".") ? ENOENT :
			    fail(c, EINVAL, "bad character in file name");
			break;
		} else
			np = join(path, &t->wname[i]);
		if (np == NULL) {
			err = ENOMEM;
			break;
		}
		if ((err = lstatat(np, &sb)) != 0) {
			free(np);
			break;
		}
		r->wqid[i] = mkqid(c, &sb);
		free(path);
		path = np;
	}
	if (err && i == 0) {
		free(path);
		return err;
	}
	c->emsg = NULL;
	r->nwqid = (uint16_t)i;
	if (err)
		free(path);
	else if (t->newfid == t->fid) {
		free(f->path);
		f->path = path;
	} else if (newfid(c, t->newfid, path, f->root, &err) == NULL)
		return err;
	return 0;
}

static int
h_open(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	struct fid *f = getfid(c, t->fid);
	struct stat sb;
	char *dir;
	int fd, err;

	if (f == NULL)
		return fail(c, EBADF, "unknown fid");
	if (f->omode != -1)
		return fail(c, EBADF, "bad use of fid: already open");
	if ((err = lstatat(f->path, &sb)) != 0)
		return err;
	if (S_ISDIR(sb.st_mode) &&
	    ((t->mode & 3) != P9_OREAD || (t->mode & P9_OTRUNC)))
		return EISDIR;
	if ((t->mode & 3) == P9_OEXEC &&
	    faccessat(rootfd, f->path, X_OK, 0) < 0)
		return errno;
	if (t->mode & P9_ORCLOSE) {
		if (strcmp(f->path, ".") == 0)
			return EACCES;
		if ((dir = parent(f->path)) == NULL)
			return ENOMEM;
		err = faccessat(rootfd, dir, W_OK, 0) < 0 ? errno : 0;
		free(dir);
		if (err)
			return err;
	}
	if ((fd = openat(rootfd, f->path, oflags(c, t->mode))) < 0)
		return errno;
	if ((err = setopen(f, fd, t->mode, &sb)) != 0)
		return err;
	r->qid = mkqid(c, &sb);
	r->iounit = c->msize - P9_IOHDRSZ;
	return 0;
}

/* Tcreate of a .u special file: symlink, device, pipe or socket. */
static int
mkspecial(struct conn *c, struct p9_fcall *t, const char *path, mode_t m)
{
	char ext[PATH_MAX + 1], type;
	unsigned maj, min;

	if (t->extension.len >= sizeof ext)
		return ENAMETOOLONG;
	memcpy(ext, t->extension.s, t->extension.len);
	ext[t->extension.len] = '\0';
	if (t->perm & P9_DMSYMLINK) {
		if (ext[0] == '\0' || strlen(ext) != t->extension.len)
			return fail(c, EINVAL, "bad symlink target");
		return symlinkat(ext, rootfd, path) < 0 ? errno : 0;
	}
	if (t->perm & P9_DMDEVICE) {
		if (sscanf(ext, "%c %u %u", &type, &maj, &min) != 3 ||
		    (type != 'b' && type != 'c'))
			return fail(c, EINVAL, "bad device extension");
		m |= type == 'b' ? S_IFBLK : S_IFCHR;
		return mknodat(rootfd, path, m, makedev(maj, min)) < 0 ?
		    errno : 0;
	}
	if (t->perm & P9_DMNAMEDPIPE)
		return mkfifoat(rootfd, path, m) < 0 ? errno : 0;
	return mknodat(rootfd, path, m | S_IFSOCK, 0) < 0 ? errno : 0;
}

static int
h_create(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	const uint32_t special = P9_DMSYMLINK | P9_DMDEVICE | P9_DMNAMEDPIPE |
	    P9_DMSOCKET;
	struct fid *f = getfid(c, t->fid), *lf;
	struct stat sb;
	char *path, *end;
	mode_t m;
	int u = c->d == P9_2000U, isdir = (t->perm & P9_DMDIR) != 0;
	int fd = -1, err = 0, omode = t->mode;

	if (f == NULL)
		return fail(c, EBADF, "unknown fid");
	if (f->omode != -1)
		return fail(c, EBADF, "bad use of fid: already open");
	if ((err = lstatat(f->path, &sb)) != 0)
		return err;
	if (!S_ISDIR(sb.st_mode))
		return fail(c, ENOTDIR, "create in non-directory");
	if (badname(&t->name) || isname(&t->name, ".."))
		return fail(c, EINVAL, "illegal file name");
	if (isdir && ((omode & 3) != P9_OREAD || (omode & P9_OTRUNC)))
		return EISDIR;
	/* Plan 9: the directory's permissions mask the new file's */
	m = t->perm & 0777 & (sb.st_mode | (isdir ? ~0777u : ~0666u));
	if (u && (t->perm & P9_DMSETUID))
		m |= S_ISUID;
	if (u && (t->perm & P9_DMSETGID))
		m |= S_ISGID;
	if (u && (t->perm & DMSETVTX_U))
		m |= S_ISVTX;
	if ((path = join(f->path, &t->name)) == NULL)
		return ENOMEM;
	if (isdir) {
		if (mkdirat(rootfd, path, m) < 0)
			err = errno;
		else if ((fd = openat(rootfd, path, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) < 0)
			err = errno;
	} else if (u && (t->perm & special)) {
		err = mkspecial(c, t, path, m);
	} else if (u && (t->perm & P9_DMLINK)) {
		char num[16];
		unsigned long ln;

		if (t->extension.len == 0 || t->extension.len >= sizeof num)
			err = fail(c, EINVAL, "bad link extension");
		else {
			memcpy(num, t->extension.s, t->extension.len);
			num[t->extension.len] = '\0';
			ln = strtoul(num, &end, 10);
			if (end == num || (*end && *end != '\n'))
				err = fail(c, EINVAL, "bad link extension");
			else if ((lf = getfid(c, (uint32_t)ln)) == NULL)
				err = fail(c, EBADF, "unknown fid");
			else if (linkat(rootfd, lf->path, rootfd, path, 0) < 0)
				err = errno;
			else if ((fd = openat(rootfd, path,
			    oflags(c, omode))) < 0)
				err = errno;
		}
	} else if ((fd = openat(rootfd, path, oflags(c, omode) | O_CREAT |
	    O_EXCL, m)) < 0)
		err = errno;
	if (err == 0 && fd >= 0)
		err = setopen(f, fd, omode, &sb);
	else if (err == 0 && (err = lstatat(path, &sb)) == 0) {
		f->omode = omode;	/* open, but without a descriptor */
		f->fd = -1;
	}
	if (err) {
		free(path);
		return err;
	}
	free(f->path);
	f->path = path;
	r->qid = mkqid(c, &sb);
	r->iounit = c->msize - P9_IOHDRSZ;
	return 0;
}

/* Whole stat entries back to back; offset 0 or where the last read ended. */
static int
dirread(struct conn *c, struct fid *f, struct p9_fcall *t, uint32_t cap,
    struct p9_fcall *r)
{
	struct statbuf b;
	struct stat sb;
	size_t n = 0;

	if (t->offset == 0) {
		rewinddir(f->dir);
		free(f->pend);
		f->pend = NULL;
		f->diroff = 0;
	} else if (t->offset != f->diroff)
		return fail(c, EINVAL, "bad offset in directory read");
	for (;;) {
		struct dirent *de;
		const char *name;
		ssize_t m;

		if ((name = f->pend) == NULL) {
			errno = 0;
			if ((de = readdir(f->dir)) == NULL) {
				if (errno && n == 0)
					return errno;
				break;
			}
			name = de->d_name;
			if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
				continue;
		}
		if (fstatat(dirfd(f->dir), name, &sb,
		    AT_SYMLINK_NOFOLLOW) < 0) {
			free(f->pend);		/* gone since: skip it */
			f->pend = NULL;
			continue;
		}
		mkstat(c, &sb, dirfd(f->dir), name, name, &b);
		m = p9_stat_encode(c->dbuf + n, cap - n, &b.st, c->d);
		if (m < 0) {
			if (f->pend == NULL && (f->pend = strdup(name)) == NULL)
				return ENOMEM;
			if (n == 0)
				return fail(c, EMSGSIZE,
				    "directory entry larger than count");
			break;
		}
		n += (size_t)m;
		free(f->pend);
		f->pend = NULL;
	}
	f->diroff += n;
	r->count = (uint32_t)n;
	r->data = c->dbuf;
	return 0;
}

static int
h_read(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	struct fid *f = getfid(c, t->fid);
	uint32_t cap = c->msize - P9_IOHDRSZ;
	ssize_t n;

	if (f == NULL)
		return fail(c, EBADF, "unknown fid");
	if (f->omode == -1 || (f->omode & 3) == P9_OWRITE)
		return fail(c, EBADF, "bad use of fid: not open for reading");
	if (t->count < cap)
		cap = t->count;
	if (t->offset > INT64_MAX)
		return EINVAL;
	if (f->dir)
		return dirread(c, f, t, cap, r);
	if (f->fd < 0)
		return fail(c, EINVAL, "cannot read this file");
	do
		n = f->seekable ? pread(f->fd, c->dbuf, cap, (off_t)t->offset) :
		    read(f->fd, c->dbuf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	r->count = (uint32_t)n;
	r->data = c->dbuf;
	return 0;
}

static int
h_write(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	struct fid *f = getfid(c, t->fid);
	ssize_t n;

	if (f == NULL)
		return fail(c, EBADF, "unknown fid");
	if (f->omode == -1 || ((f->omode & 3) != P9_OWRITE &&
	    (f->omode & 3) != P9_ORDWR))
		return fail(c, EBADF, "bad use of fid: not open for writing");
	if (f->fd < 0 || f->dir)
		return fail(c, EINVAL, "cannot write this file");
	if (t->offset > INT64_MAX)
		return EINVAL;
	do
		n = f->seekable ? pwrite(f->fd, t->data, t->count,
		    (off_t)t->offset) : write(f->fd, t->data, t->count);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	r->count = (uint32_t)n;
	return 0;
}

static int
h_clunk(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	if (getfid(c, t->fid) == NULL)
		return fail(c, EBADF, "unknown fid");
	delfid(c, t->fid, 1);
	return 0;
}

static int
h_remove(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	struct fid *f = getfid(c, t->fid);
	struct stat sb;
	int err;

	if (f == NULL)
		return fail(c, EBADF, "unknown fid");
	closefid(f);
	if (strcmp(f->path, ".") == 0)
		err = EACCES;
	else if ((err = lstatat(f->path, &sb)) == 0 &&
	    unlinkat(rootfd, f->path, S_ISDIR(sb.st_mode) ?
	    AT_REMOVEDIR : 0) < 0)
		err = errno;
	if (err == EEXIST)
		err = ENOTEMPTY;
	delfid(c, t->fid, 0);
	return err;
}

static int
h_stat(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	struct fid *f = getfid(c, t->fid);
	struct statbuf *b = (struct statbuf *)(void *)c->dbuf;
	struct stat sb;
	int err;

	if (f == NULL)
		return fail(c, EBADF, "unknown fid");
	if ((err = lstatat(f->path, &sb)) != 0 &&
	    (f->fd < 0 || fstat(f->fd, &sb) < 0))
		return err;
	mkstat(c, &sb, rootfd, f->path, base(f->path), b);
	r->stat = b->st;
	return 0;
}

static int
nulldir(const struct p9_stat *s, int u)
{
	if (s->type != ALLONES16 || s->dev != ALLONES32 ||
	    s->qid.type != 0xff || s->qid.version != ALLONES32 ||
	    s->qid.path != ALLONES64 || s->mode != ALLONES32 ||
	    s->atime != ALLONES32 || s->mtime != ALLONES32 ||
	    s->length != ALLONES64 || s->name.len || s->uid.len ||
	    s->gid.len || s->muid.len)
		return 0;
	return !u || (s->extension.len == 0 && s->n_uid == ALLONES32 &&
	    s->n_gid == ALLONES32 && s->n_muid == ALLONES32);
}

static int
wsync(struct fid *f, const struct stat *sb)
{
	int fd, err = 0;

	if (f->fd >= 0)
		return fsync(f->fd) < 0 && errno != EINVAL ? errno : 0;
	if (!S_ISREG(sb->st_mode) && !S_ISDIR(sb->st_mode))
		return 0;
	if ((fd = openat(rootfd, f->path, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) < 0)
		return errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		err = errno;
	close(fd);
	return err;
}

static int
h_wstat(struct conn *c, struct p9_fcall *t, struct p9_fcall *r)
{
	const struct p9_stat *w = &t->stat;
	struct fid *f = getfid(c, t->fid);
	struct stat sb;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	char *np = NULL, *dir;
	unsigned uid = (unsigned)-1, gid = (unsigned)-1, id = 0;
	int u = c->d == P9_2000U, fd, err;

	if (f == NULL)
		return fail(c, EBADF, "unknown fid");
	if ((err = lstatat(f->path, &sb)) != 0)
		return err;
	if (nulldir(w, u))
		return wsync(f, &sb);
	/* check everything first: all changes or none */
	if (w->qid.path != ALLONES64 && w->qid.path != (uint64_t)sb.st_ino)
		return fail(c, EPERM, "wstat: cannot change qid");
	if (w->mode != ALLONES32 &&
	    !(w->mode & P9_DMDIR) != !S_ISDIR(sb.st_mode))
		return fail(c, EPERM, "wstat: cannot change directory bit");
	if (w->length != ALLONES64 && S_ISDIR(sb.st_mode) && w->length != 0)
		return fail(c, EPERM, "wstat: cannot set directory length");
	if (w->length != ALLONES64 && !S_ISDIR(sb.st_mode) &&
	    !S_ISREG(sb.st_mode))
		return EINVAL;
	if (w->uid.len && (err = nameid(&w->uid, 0, &id)) != 0)
		return fail(c, err, "wstat: unknown user");
	if (w->uid.len && id != sb.st_uid)
		uid = id;
	if (u && w->n_uid != ALLONES32 && w->n_uid != sb.st_uid)
		uid = w->n_uid;
	if (w->gid.len && (err = nameid(&w->gid, 1, &id)) != 0)
		return fail(c, err, "wstat: unknown group");
	if (w->gid.len && id != sb.st_gid)
		gid = id;
	if (u && w->n_gid != ALLONES32 && w->n_gid != sb.st_gid)
		gid = w->n_gid;
	if (w->name.len && strlen(base(f->path)) == w->name.len &&
	    memcmp(base(f->path), w->name.s, w->name.len) == 0)
		;	/* same name: nothing to do */
	else if (w->name.len) {
		struct stat tsb;

		if (badname(&w->name) || isname(&w->name, ".."))
			return fail(c, EINVAL, "illegal file name");
		if (strcmp(f->path, ".") == 0)
			return EACCES;
		if ((dir = parent(f->path)) == NULL)
			return ENOMEM;
		np = join(dir, &w->name);
		free(dir);
		if (np == NULL)
			return ENOMEM;
		if (lstatat(np, &tsb) == 0) {
			free(np);
			return EEXIST;
		}
	}
	/* then apply */
	if (w->length != ALLONES64 && S_ISREG(sb.st_mode)) {
		if (f->fd >= 0 && (f->omode & 3) != P9_OREAD &&
		    (f->omode & 3) != P9_OEXEC)
			fd = dup(f->fd);
		else
			fd = openat(rootfd, f->path, O_WRONLY | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			err = errno;
		else {
			err = ftruncate(fd, (off_t)w->length) < 0 ? errno : 0;
			close(fd);
		}
	}
	if (err == 0 && w->mode != ALLONES32) {
		mode_t m = (sb.st_mode & (u ? 0 : 07000)) | (w->mode & 0777);

		if (u && (w->mode & P9_DMSETUID))
			m |= S_ISUID;
		if (u && (w->mode & P9_DMSETGID))
			m |= S_ISGID;
		if (u && (w->mode & DMSETVTX_U))
			m |= S_ISVTX;
		if (m != (sb.st_mode & 07777) && fchmodat(rootfd, f->path, m,
		    S_ISLNK(sb.st_mode) ? AT_SYMLINK_NOFOLLOW : 0) < 0)
			err = errno;
	}
	if (err == 0 && (uid != (unsigned)-1 || gid != (unsigned)-1) &&
	    fchownat(rootfd, f->path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		err = errno;
	if (w->atime != ALLONES32)
		ts[0] = (struct timespec){ (time_t)w->atime, 0 };
	if (w->mtime != ALLONES32)
		ts[1] = (struct timespec){ (time_t)w->mtime, 0 };
	if (err == 0 && (w->atime != ALLONES32 || w->mtime != ALLONES32) &&
	    utimensat(rootfd, f->path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		err = errno;
	if (err == 0 && np) {
		if (renameat(rootfd, f->path, rootfd, np) < 0)
			err = errno;
		else if ((dir = strdup(f->path)) != NULL) {
			renamefids(c, dir, np);
			free(dir);
		}
	}
	free(np);
	return err;
}

/* ---- the connection ------------------------------------------------------ */

static void
logmsg(struct conn *c, const char *dir, const struct p9_fcall *f)
{
	char line[512];

	p9_fmt(line, sizeof line, f, c->d, 16);
	fprintf(stderr, "p9srv[%u] %s %s\n", c->id, dir, line);
}

static int
reply(struct conn *c, struct p9_fcall *r)
{
	uint32_t cap = c->versioned ? c->msize : maxmsize;
	ssize_t n = p9_encode(c->obuf, cap, r, c->d);

	if (n < 0) {
		uint16_t tag = r->tag;

		memset(r, 0, sizeof *r);
		r->type = P9_Rerror;
		r->tag = tag;
		r->ename.s = "reply does not fit in msize";
		r->ename.len = (uint16_t)strlen(r->ename.s);
		r->ecode = p9_errno_to_linux(EMSGSIZE);
		if ((n = p9_encode(c->obuf, cap, r, c->d)) < 0)
			return -1;
	}
	if (debug)
		logmsg(c, "->", r);
	return writen(c->wfd, c->obuf, (size_t)n);
}

static int
rerror(struct conn *c, uint16_t tag, int e, const char *msg)
{
	struct p9_fcall r = { .type = P9_Rerror, .tag = tag };
	size_t n, max = c->msize - 7 - 2 - 4;

	if (msg == NULL)
		msg = c->d == P9_2000U ? strerror(e) : plan9err(e);
	n = strlen(msg);
	r.ename.s = msg;
	r.ename.len = (uint16_t)(n < max ? n : max);
	r.ecode = p9_errno_to_linux(e);
	return reply(c, &r);
}

/*
 * -S NAME: a Tread of a file whose name begins with NAME is held with no
 * reply (a server stuck on slow storage), so that clients' interrupts can
 * be tested.  A Tflush of it answers Rflush; with -F the held read is
 * answered first (the reply that beats Rflush).
 */
static int
park(struct conn *c, const struct p9_fcall *t)
{
	struct fid *f = getfid(c, t->fid);

	if (stall == NULL || f == NULL || f->dir ||
	    strncmp(base(f->path), stall, strlen(stall)) != 0 ||
	    c->nparked == (int)(sizeof c->parked / sizeof c->parked[0]))
		return 0;
	c->parked[c->nparked++] = *t;
	return 1;
}

static int
h_flush(struct conn *c, const struct p9_fcall *t)
{
	for (int i = 0; i < c->nparked; i++) {
		struct p9_fcall held = c->parked[i], r;

		if (held.tag != t->oldtag)
			continue;
		c->parked[i] = c->parked[--c->nparked];
		if (!stallreply)
			break;
		memset(&r, 0, sizeof r);
		r.type = P9_Rread;
		r.tag = held.tag;
		if (h_read(c, &held, &r) == 0)
			reply(c, &r);
		break;
	}
	return 0;
}

static int
handle(struct conn *c, const uint8_t *buf, uint32_t len, uint32_t lim)
{
	struct p9_fcall t, r;
	const char *why = "malformed message";
	int err;

	if (p9_decode(buf, len, lim, c->d, &t, &why) < 0) {
		if (debug)
			fprintf(stderr, "p9srv[%u] <- bad message type %d "
			    "tag %d: %s\n", c->id, t.type, t.tag, why);
		return rerror(c, t.tag, EBADMSG, why);
	}
	if (debug)
		logmsg(c, "<-", &t);
	memset(&r, 0, sizeof r);
	r.type = (uint8_t)(t.type + 1);
	r.tag = t.tag;
	c->emsg = NULL;
	if (!c->versioned && t.type != P9_Tversion)
		return rerror(c, t.tag, EPROTO, "Tversion must come first");
	switch (t.type) {
	case P9_Tversion: err = h_version(c, &t, &r); break;
	case P9_Tauth:
		err = fail(c, EOPNOTSUPP, "authentication not required");
		break;
	case P9_Tattach: err = h_attach(c, &t, &r); break;
	case P9_Tflush: err = h_flush(c, &t); break;
	case P9_Twalk: err = h_walk(c, &t, &r); break;
	case P9_Topen: err = h_open(c, &t, &r); break;
	case P9_Tcreate: err = h_create(c, &t, &r); break;
	case P9_Tread:
		if (park(c, &t))
			return 0;	/* no reply until a Tflush */
		err = h_read(c, &t, &r);
		break;
	case P9_Twrite: err = h_write(c, &t, &r); break;
	case P9_Tclunk: err = h_clunk(c, &t, &r); break;
	case P9_Tremove: err = h_remove(c, &t, &r); break;
	case P9_Tstat: err = h_stat(c, &t, &r); break;
	case P9_Twstat: err = h_wstat(c, &t, &r); break;
	default:
		err = fail(c, EOPNOTSUPP, "unexpected message type");
		break;
	}
	if (err)
		return rerror(c, t.tag, err, c->emsg);
	return reply(c, &r);
}

static void
serve(struct conn *c)
{
	for (;;) {
		uint32_t size, lim = c->versioned ? c->msize : maxmsize;

		if (readn(c->rfd, c->ibuf, 4) < 0)
			break;
		size = (uint32_t)c->ibuf[0] | (uint32_t)c->ibuf[1] << 8 |
		    (uint32_t)c->ibuf[2] << 16 | (uint32_t)c->ibuf[3] << 24;
		if (size < 7 || size > lim) {
			if (debug)
				fprintf(stderr, "p9srv[%u] message size %u "
				    "outside 7..%u: hanging up\n", c->id,
				    size, lim);
			break;
		}
		if (readn(c->rfd, c->ibuf + 4, size - 4) < 0 ||
		    handle(c, c->ibuf, size, lim) < 0)
			break;
	}
}

static struct conn *
newconn(int rfd, int wfd)
{
	struct conn *c = calloc(1, sizeof *c);
	size_t sz = maxmsize < sizeof(struct statbuf) ?
	    sizeof(struct statbuf) : maxmsize;

	if (c == NULL)
		return NULL;
	c->rfd = rfd;
	c->wfd = wfd;
	c->msize = maxmsize;
	c->ibuf = malloc(maxmsize);
	c->obuf = malloc(maxmsize);
	c->dbuf = malloc(sz);
	if (!c->ibuf || !c->obuf || !c->dbuf) {
		free(c->ibuf);
		free(c->obuf);
		free(c->dbuf);
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&connlock);
	c->id = nextid++;
	if ((c->next = conns) != NULL)
		conns->prev = c;
	conns = c;
	pthread_mutex_unlock(&connlock);
	return c;
}

static void
freeconn(struct conn *c)
{
	pthread_mutex_lock(&connlock);
	if (c->next)
		c->next->prev = c->prev;
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	pthread_mutex_unlock(&connlock);
	if (debug)
		fprintf(stderr, "p9srv[%u] closed with %u fids in use\n", c->id,
		    c->nfids);
	delallfids(c);
	close(c->rfd);
	if (c->wfd != c->rfd)
		close(c->wfd);
	free(c->ibuf);
	free(c->obuf);
	free(c->dbuf);
	free(c);
}

static void *
connthread(void *arg)
{
	serve(arg);
	freeconn(arg);
	return NULL;
}

/* SIGUSR1: fids in use per connection; SIGINT/SIGTERM: clean exit. */
static void *
sigthread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig != SIGUSR1) {
			if (sockpath)
				unlink(sockpath);
			_exit(0);
		}
		pthread_mutex_lock(&connlock);
		if (conns == NULL)
			fprintf(stderr, "p9srv: no connections\n");
		for (struct conn *c = conns; c; c = c->next)
			fprintf(stderr, "p9srv: conn %u: %u fids\n", c->id,
			    __atomic_load_n(&c->nfids, __ATOMIC_RELAXED));
		pthread_mutex_unlock(&connlock);
	}
	return NULL;
}

static int
listen_tcp(const char *hostport)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE,
	    .ai_socktype = SOCK_STREAM }, *ai;
	char host[256], *port;
	int fd, one = 1, rc;

	snprintf(host, sizeof host, "%s", hostport);
	if ((port = strrchr(host, ':')) == NULL) {
		fprintf(stderr, "p9srv: -l %s: expected HOST:PORT\n", hostport);
		exit(2);
	}
	*port++ = '\0';
	if (host[0] == '[' && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	if ((rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai)) != 0) {
		fprintf(stderr, "p9srv: %s: %s\n", hostport, gai_strerror(rc));
		exit(1);
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		fprintf(stderr, "p9srv: %s: %s\n", hostport, strerror(errno));
		exit(1);
	}
	freeaddrinfo(ai);
	if (debug || strcmp(port, "0") == 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char h[NI_MAXHOST], p[NI_MAXSERV];

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
		    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, p,
		    sizeof p, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			fprintf(stderr, "p9srv: listening on %s%s%s:%s\n",
			    strchr(h, ':') ? "[" : "", h,
			    strchr(h, ':') ? "]" : "", p);
	}
	return fd;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd;

	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "p9srv: %s: path too long\n", path);
		exit(2);
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(fd, 64) < 0) {
		fprintf(stderr, "p9srv: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	sockpath = path;
	return fd;
}

static void
parse_dialects(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;
	enum p9_dialect d;

	allowed = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (p9_dialect_parse(tok, &d) != 0 || d == P9_2000L) {
			fprintf(stderr, "p9srv: -D %s: expected 9P2000 and/or "
			    "9P2000.u\n", tok);
			exit(2);
		}
		allowed |= 1u << d;
	}
	free(copy);
	if (allowed == 0) {
		fprintf(stderr, "p9srv: -D: no dialect\n");
		exit(2);
	}
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: p9srv [-dF] [-D dialects] [-m maxmsize] "
	    "[-S name] (-l host:port | -s path | -i) dir\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *tcp = NULL, *unixpath = NULL;
	static sigset_t set;
	pthread_t th;
	char *end;
	int ch, stdio = 0, lfd;

	while ((ch = getopt(argc, argv, "dD:Fil:m:s:S:")) != -1) {
		switch (ch) {
		case 'd': debug = 1; break;
		case 'F': stallreply = 1; break;
		case 'S': stall = optarg; break;
		case 'D': parse_dialects(optarg); break;
		case 'i': stdio = 1; break;
		case 'l': tcp = optarg; break;
		case 's': unixpath = optarg; break;
		case 'm':
			errno = 0;
			maxmsize = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || errno || maxmsize < MINMSIZE ||
			    maxmsize > 64u << 20) {
				fprintf(stderr, "p9srv: -m %s: expected %u.."
				    "%u\n", optarg, MINMSIZE, 64u << 20);
				exit(2);
			}
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1 || (!!tcp + !!unixpath + stdio) != 1)
		usage();
	if ((rootfd = open(argv[optind], O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		fprintf(stderr, "p9srv: %s: %s\n", argv[optind],
		    strerror(errno));
		exit(1);
	}
	umask(0);	/* Tcreate's perm is final (Plan 9 semantics) */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	lfd = tcp ? listen_tcp(tcp) : unixpath ? listen_unix(unixpath) : -1;
	if (pthread_create(&th, NULL, sigthread, &set) != 0)
		exit(1);
	if (stdio) {
		struct conn *c = newconn(0, 1);

		if (c == NULL)
			exit(1);
		serve(c);
		freeconn(c);
		return 0;
	}
	for (;;) {
		struct conn *c;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), one = 1;

		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				sleep(1);
			continue;
		}
		if (tcp)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof one);
		if ((c = newconn(fd, fd)) == NULL) {
			close(fd);
			continue;
		}
		if (pthread_create(&th, NULL, connthread, c) != 0) {
			freeconn(c);
			continue;
		}
		pthread_detach(th);
	}
}

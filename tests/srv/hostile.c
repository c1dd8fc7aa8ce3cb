/*
 * hostile.c - a 9P2000.L test server that behaves correctly except for one
 * chosen misbehaviour, to see how clients cope with broken servers.
 *
 *	hostile [-d] [-e errno] [-f prefix] [-n count] [-t type] -m mode
 *	    (-l host:port | -s path)
 *	hostile -m list
 *
 * It serves a small read-only tree from memory:
 *
 *	/hello.txt	"hello, world\n"
 *	/slow.txt	"slow data\n"
 *	/big		256 KiB, byte i is i * 7 mod 251
 *	/sub/deep.txt	"deep\n"
 *	/link		-> hello.txt
 *
 * and refuses every change with EROFS.  The misbehaviour (-m) hits the
 * requests of one type (-t, e.g. Tread; each mode has a default) about a
 * file whose name begins with prefix (-f; a walk is about its last name,
 * Tversion and Tattach always match), at most count times (-n, default
 * every time).  Every misbehaviour is logged on stderr, one line each.
 * With port 0 the system picks one: "hostile: listening on HOST:PORT".
 * The decoder's bad-input list (tests/unit/badinput.c) is here as modes
 * that corrupt the reply the server would have sent.
 *
 * One thread per connection; a connection's requests are answered in
 * order, except those the mode holds back (stall, flush*).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "p9.h"
#include "fdio.h"

#define MAXMSIZE	(256 * 1024)
#define NFIDS		1024
#define NHELD		16
#define BIGSIZE		(256 * 1024)
#define MTIME		1700000000u
/* Linux errno numbers, as the wire has them */
#define L_EROFS		30
#define L_ENOENT	2
#define L_EBADF		9
#define L_ENOTDIR	20
#define L_EINVAL	22
#define L_ENODATA	61
#define L_EOPNOTSUPP	95

/* ---- the tree ------------------------------------------------------------ */

struct file {
	const char	*name;
	int		 parent;	/* index, -1 for the root */
	uint32_t	 mode;
	const char	*data;		/* NULL: big (generated) */
	const char	*target;	/* symlinks */
};

static const struct file files[] = {
	{ "/", -1, S_IFDIR | 0755, "", NULL },
	{ "hello.txt", 0, S_IFREG | 0644, "hello, world\n", NULL },
	{ "slow.txt", 0, S_IFREG | 0644, "slow data\n", NULL },
	{ "big", 0, S_IFREG | 0644, NULL, NULL },
	{ "sub", 0, S_IFDIR | 0755, "", NULL },
	{ "deep.txt", 4, S_IFREG | 0644, "deep\n", NULL },
	{ "link", 0, S_IFLNK | 0777, "", "hello.txt" },
};
#define NFILES	((int)(sizeof files / sizeof files[0]))

static uint8_t big[BIGSIZE];

static uint64_t
fsize(int i)
{
	if (files[i].data == NULL)
		return BIGSIZE;
	if (S_ISLNK(files[i].mode))
		return strlen(files[i].target);
	return strlen(files[i].data);
}

static struct p9_qid
qidof(int i)
{
	struct p9_qid q = { P9_QTFILE, 0, (uint64_t)i + 1 };

	if (S_ISDIR(files[i].mode))
		q.type = P9_QTDIR;
	else if (S_ISLNK(files[i].mode))
		q.type = P9_QTSYMLINK;
	return q;
}

static int
lookup(int dir, const struct p9_str *name)
{
	if (name->len == 2 && memcmp(name->s, "..", 2) == 0)
		return dir == 0 ? 0 : files[dir].parent;
	for (int i = 1; i < NFILES; i++)
		if (files[i].parent == dir && strlen(files[i].name) ==
		    name->len && memcmp(files[i].name, name->s, name->len) == 0)
			return i;
	return -1;
}

/* ---- modes --------------------------------------------------------------- */

enum {
	M_SHORT, M_HUGE, M_OVERMSIZE, M_PARTIAL, M_MIDCLOSE, M_CLOSE,
	M_TRUNC, M_TRAILING, M_BADTYPE, M_TTYPE, M_WRONGTYPE, M_RERROR,
	M_ROPEN, M_LERROR, M_COUNT, M_OVERCOUNT, M_NWQID, M_NWQID17,
	M_DIRENT, M_BADSTR, M_RFLUSH, M_STRAY, M_TWICE, M_TWICENOW,
	M_FLUSHLATE, M_FLUSHREPLY, M_STALL, M_DEAF, M_VMSIZE, M_VUNKNOWN,
	M_VJUNK, M_VTINY,
};

static const struct mode {
	const char	*name;
	int		 deftype;
	const char	*what;
} modes[] = {
	[M_SHORT] = { "short", P9_Tread, "size field below 7" },
	[M_HUGE] = { "huge", P9_Tread, "size field 0x7fffffff" },
	[M_OVERMSIZE] = { "overmsize", P9_Tread, "a whole message of msize+1 "
	    "bytes" },
	[M_PARTIAL] = { "partial", P9_Tread, "half the reply, then silence "
	    "(connection kept open)" },
	[M_MIDCLOSE] = { "midclose", P9_Tread, "half the reply, then close" },
	[M_CLOSE] = { "close", P9_Tread, "close instead of replying" },
	[M_TRUNC] = { "trunc", P9_Tgetattr, "the reply ends inside a field" },
	[M_TRAILING] = { "trailing", P9_Tread, "two bytes after the last "
	    "field, inside size" },
	[M_BADTYPE] = { "badtype", P9_Tread, "message type 200" },
	[M_TTYPE] = { "ttype", P9_Tread, "the request's own T type as reply" },
	[M_WRONGTYPE] = { "wrongtype", P9_Tread, "a well-formed reply of "
	    "another type (Rclunk)" },
	[M_RERROR] = { "rerror", P9_Tread, "a 9P2000 Rerror in 9P2000.L" },
	[M_ROPEN] = { "ropen", P9_Tlopen, "Ropen (not in 9P2000.L)" },
	[M_LERROR] = { "lerror", P9_Tread, "Rlerror with the -e errno "
	    "(default 9999, unknown)" },
	[M_COUNT] = { "count", P9_Tread, "Rread/Rreaddir count beyond the "
	    "message" },
	[M_OVERCOUNT] = { "overcount", P9_Tread, "Rread/Rreaddir count above "
	    "the requested" },
	[M_NWQID] = { "nwqid", P9_Twalk, "Rwalk nwqid above nwname" },
	[M_NWQID17] = { "nwqid17", P9_Twalk, "Rwalk nwqid 17" },
	[M_DIRENT] = { "dirent", P9_Treaddir, "a directory entry whose name "
	    "runs past the data" },
	[M_BADSTR] = { "badstr", P9_Treadlink, "a string running past the "
	    "end" },
	[M_RFLUSH] = { "rflush", P9_Tread, "Rflush instead of the reply" },
	[M_STRAY] = { "stray", P9_Tread, "replies to tags never used "
	    "(0x8000|tag, NOTAG) before the real one" },
	[M_TWICE] = { "twice", P9_Tread, "the reply again, just before the "
	    "next reply" },
	[M_TWICENOW] = { "twicenow", P9_Tread, "the reply twice in a row" },
	[M_FLUSHLATE] = { "flushlate", P9_Tread, "held; Tflush gets Rflush, "
	    "the reply comes after, before the next reply" },
	[M_FLUSHREPLY] = { "flushreply", P9_Tread, "held; Tflush gets the "
	    "reply, then Rflush" },
	[M_STALL] = { "stall", P9_Tread, "held until flushed (Rflush)" },
	[M_DEAF] = { "deaf", P9_Tread, "no reply to it or anything after "
	    "(Tflush included), connection kept open" },
	[M_VMSIZE] = { "vmsize", P9_Tversion, "Rversion msize above the "
	    "request" },
	[M_VUNKNOWN] = { "vunknown", P9_Tversion, "Rversion \"unknown\"" },
	[M_VJUNK] = { "vjunk", P9_Tversion, "Rversion \"9P2000.X\"" },
	[M_VTINY] = { "vtiny", P9_Tversion, "Rversion msize 256" },
};
#define NMODES	((int)(sizeof modes / sizeof modes[0]))

static int mode = -1, target = -1, debug;
static const char *prefix = "";
static long budget = -1;	/* misbehaviours left, -1: no limit */
static uint32_t lerrno = 9999;
static pthread_mutex_t budgetlk = PTHREAD_MUTEX_INITIALIZER;

/* ---- a connection -------------------------------------------------------- */

struct fid {
	uint32_t	num;
	int		file;	/* -1: free */
	int		open;
};

struct held {
	uint16_t	 tag;
	uint8_t		*msg;	/* the reply it would have had */
	size_t		 len;
};

struct conn {
	int		 fd;
	uint32_t	 msize;
	struct fid	 fids[NFIDS];
	struct held	 held[NHELD];
	int		 nheld;
	uint8_t		*late;	/* sent before the next reply */
	size_t		 nlate;
	int		 deaf;	/* answer nothing any more */
	uint8_t		 ibuf[MAXMSIZE], obuf[MAXMSIZE + 64];
};

static void
logm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
logm(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "hostile: %s\n", line);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static struct fid *
getfid(struct conn *c, uint32_t num)
{
	for (int i = 0; i < NFIDS; i++)
		if (c->fids[i].file >= 0 && c->fids[i].num == num)
			return &c->fids[i];
	return NULL;
}

static struct fid *
newfid(struct conn *c, uint32_t num, int file)
{
	if (getfid(c, num) != NULL)
		return NULL;
	for (int i = 0; i < NFIDS; i++)
		if (c->fids[i].file < 0) {
			c->fids[i] = (struct fid){ num, file, 0 };
			return &c->fids[i];
		}
	return NULL;
}

/* Send the bytes a previous misbehaviour left for "before the next reply". */
static int
flushlate(struct conn *c)
{
	int rc = 0;

	if (c->late) {
		rc = writen(c->fd, c->late, c->nlate);
		free(c->late);
		c->late = NULL;
	}
	return rc;
}

static int
send_msg(struct conn *c, const uint8_t *m, size_t n)
{
	if (c->deaf)
		return 0;
	if (flushlate(c) < 0)
		return -1;
	return writen(c->fd, m, n);
}

static void
keep_late(struct conn *c, const uint8_t *m, size_t n)
{
	free(c->late);
	if ((c->late = malloc(n)) != NULL) {
		memcpy(c->late, m, n);
		c->nlate = n;
	}
}

/* ---- correct answers ----------------------------------------------------- */

static int
lerror(struct p9_fcall *r, uint32_t e)
{
	r->type = P9_Rlerror;
	r->ecode = e;
	return 0;
}

static void
getattr(int i, struct p9_attr *a)
{
	uint64_t size = fsize(i);

	memset(a, 0, sizeof *a);
	a->valid = P9_GETATTR_BASIC;
	a->qid = qidof(i);
	a->mode = files[i].mode;
	a->uid = (uint32_t)getuid();
	a->gid = (uint32_t)getgid();
	a->nlink = S_ISDIR(files[i].mode) ? 2 : 1;
	a->size = size;
	a->blksize = 4096;
	a->blocks = (size + 511) / 512;
	a->atime_sec = a->mtime_sec = a->ctime_sec = MTIME;
}

/* Directory entries of dir from offset off (entry index) into buf[cap]. */
static uint32_t
readdir(int dir, uint64_t off, uint8_t *buf, uint32_t cap)
{
	uint32_t n = 0;
	uint64_t k = 0;

	for (int i = 1; i < NFILES; i++) {
		struct p9_dirent de;
		ssize_t w;

		if (files[i].parent != dir || k++ < off)
			continue;
		de.qid = qidof(i);
		de.offset = k;
		de.type = S_ISDIR(files[i].mode) ? 4 : S_ISLNK(files[i].mode) ?
		    10 : 8;		/* DT_DIR, DT_LNK, DT_REG */
		de.name.s = files[i].name;
		de.name.len = (uint16_t)strlen(files[i].name);
		if ((w = p9_dirent_encode(buf + n, cap - n, &de)) < 0)
			break;
		n += (uint32_t)w;
	}
	return n;
}

static uint8_t dirbuf[MAXMSIZE];

/* Fill r with the correct reply to t; 0 or -1 to hang up. */
static int
answer(struct conn *c, const struct p9_fcall *t, struct p9_fcall *r)
{
	struct fid *f = getfid(c, t->fid);
	int i, cur;

	memset(r, 0, sizeof *r);
	r->type = (uint8_t)(t->type + 1);
	r->tag = t->tag;
	switch (t->type) {
	case P9_Tversion:
		for (i = 0; i < NFIDS; i++)
			c->fids[i].file = -1;
		r->msize = t->msize < MAXMSIZE ? t->msize : MAXMSIZE;
		if (t->version.len >= 8 && !memcmp(t->version.s, "9P2000.L", 8))
			r->version = (struct p9_str){ "9P2000.L", 8 };
		else
			r->version = (struct p9_str){ "unknown", 7 };
		c->msize = r->msize;
		return 0;
	case P9_Tattach:
		if (t->afid != P9_NOFID || newfid(c, t->fid, 0) == NULL)
			return lerror(r, L_EBADF);
		r->qid = qidof(0);
		return 0;
	case P9_Tauth:
		return lerror(r, L_EOPNOTSUPP);
	case P9_Tflush:
		return 0;
	}
	if (f == NULL)
		return lerror(r, L_EBADF);
	switch (t->type) {
	case P9_Twalk:
		if (f->open)
			return lerror(r, L_EBADF);
		if (t->newfid != t->fid && getfid(c, t->newfid))
			return lerror(r, L_EBADF);
		cur = f->file;
		for (i = 0; i < t->nwname; i++) {
			int next;

			if (!S_ISDIR(files[cur].mode) ||
			    (next = lookup(cur, &t->wname[i])) < 0)
				break;
			r->wqid[i] = qidof(next);
			cur = next;
		}
		if (i == 0 && t->nwname > 0)
			return lerror(r, S_ISDIR(files[f->file].mode) ?
			    L_ENOENT : L_ENOTDIR);
		r->nwqid = (uint16_t)i;
		if (i < t->nwname)
			return 0;	/* partial: newfid not made */
		if (t->newfid == t->fid)
			f->file = cur;
		else if (newfid(c, t->newfid, cur) == NULL)
			return lerror(r, L_EBADF);
		return 0;
	case P9_Tgetattr:
		getattr(f->file, &r->attr);
		return 0;
	case P9_Tlopen:
		if ((t->flags & 3) != 0 || (t->flags & P9_L_TRUNC))
			return lerror(r, L_EROFS);
		f->open = 1;
		r->qid = qidof(f->file);
		return 0;
	case P9_Tread: {
		uint64_t size = fsize(f->file);
		uint32_t n = t->count, max = c->msize - P9_IOHDRSZ;
		const uint8_t *d = files[f->file].data ?
		    (const uint8_t *)files[f->file].data : big;

		if (!f->open || S_ISDIR(files[f->file].mode))
			return lerror(r, L_EBADF);
		if (n > max)
			n = max;
		if (t->offset >= size)
			n = 0;
		else if (n > size - t->offset)
			n = (uint32_t)(size - t->offset);
		r->count = n;
		r->data = d + (n ? t->offset : 0);
		return 0;
	}
	case P9_Treaddir: {
		uint32_t cap = t->count < c->msize - 11 ? t->count :
		    c->msize - 11;

		if (!f->open || !S_ISDIR(files[f->file].mode))
			return lerror(r, L_ENOTDIR);
		r->count = readdir(f->file, t->offset, dirbuf, cap);
		r->data = dirbuf;
		return 0;
	}
	case P9_Treadlink:
		if (!S_ISLNK(files[f->file].mode))
			return lerror(r, L_EINVAL);
		r->target = (struct p9_str){ files[f->file].target,
		    (uint16_t)strlen(files[f->file].target) };
		return 0;
	case P9_Tclunk:
		f->file = -1;
		return 0;
	case P9_Tstatfs:
		r->statfs = (struct p9_statfs){ 0x01021997, 4096, 1000, 500,
		    500, 100, 50, 7, 255 };
		return 0;
	case P9_Txattrwalk:
		return lerror(r, L_ENODATA);
	case P9_Tfsync:
		return 0;
	case P9_Tlock:
		r->status = P9_LOCK_SUCCESS;
		return 0;
	case P9_Tgetlock:
		r->lock = t->lock;
		r->lock.type = P9_LOCK_UNLCK;
		return 0;
	case P9_Tremove:
		f->file = -1;	/* the fid goes even when remove fails */
		return lerror(r, L_EROFS);
	default:
		return lerror(r, L_EROFS);
	}
}

/* ---- misbehaving --------------------------------------------------------- */

/* Is t a request the mode is after (and is any budget left)? */
static int
targeted(struct conn *c, const struct p9_fcall *t)
{
	const char *name = "";
	struct fid *f = getfid(c, t->fid);
	int hit;

	if (t->type != target || c->deaf)
		return 0;
	if (t->type == P9_Twalk && t->nwname > 0) {
		char buf[256];

		snprintf(buf, sizeof buf, "%.*s",
		    (int)t->wname[t->nwname - 1].len,
		    t->wname[t->nwname - 1].s);
		hit = strncmp(buf, prefix, strlen(prefix)) == 0;
	} else if (t->type == P9_Tversion || t->type == P9_Tattach) {
		hit = 1;
	} else {
		if (f && f->file >= 0)
			name = files[f->file].name;
		hit = strncmp(name, prefix, strlen(prefix)) == 0;
	}
	if (!hit)
		return 0;
	pthread_mutex_lock(&budgetlk);
	hit = budget != 0;
	if (budget > 0)
		budget--;
	pthread_mutex_unlock(&budgetlk);
	return hit;
}

/* Encode r into c->obuf; its length, or 0 if it cannot be encoded. */
static size_t
encode(struct conn *c, const struct p9_fcall *r, enum p9_dialect d)
{
	ssize_t n = p9_encode(c->obuf, sizeof c->obuf, r, d);

	return n < 0 ? 0 : (size_t)n;
}

static void
setsize(uint8_t *m, size_t n)
{
	put32(m, (uint32_t)n);
}

static int
hold(struct conn *c, uint16_t tag, const uint8_t *m, size_t n)
{
	struct held *h;

	if (c->nheld == NHELD)
		return send_msg(c, m, n);
	h = &c->held[c->nheld++];
	h->tag = tag;
	h->len = n;
	if ((h->msg = malloc(n)) != NULL)
		memcpy(h->msg, m, n);
	return 0;
}

/*
 * Send r (the correct reply to t) the way the mode says.  0, or -1 to
 * hang up.
 */
static int
misbehave(struct conn *c, const struct p9_fcall *t, struct p9_fcall *r)
{
	uint8_t *m = c->obuf;
	size_t n;
	int rt = r->type;

	logm("%s on %s tag %u", modes[mode].name, p9_typename(t->type),
	    t->tag);
	/* the modes that change fields before encoding */
	switch (mode) {
	case M_COUNT:
		if (rt != P9_Rread && rt != P9_Rreaddir)
			break;
		if ((n = encode(c, r, P9_2000L)) == 0)
			return -1;
		put32(m + 7, r->count + 100);	/* no bytes added */
		return send_msg(c, m, n);
	case M_OVERCOUNT: {
		static uint8_t pad[MAXMSIZE];

		if (rt != P9_Rread && rt != P9_Rreaddir)
			break;
		/* as many bytes as it says, one more than was asked */
		memset(pad, 'x', sizeof pad);
		memcpy(pad, r->data, r->count);
		r->count = t->count + 1;
		r->data = pad;
		if (r->count + 11 > c->msize)
			r->count = c->msize - 11;
		break;
	}
	case M_NWQID:
	case M_NWQID17:
		if (rt != P9_Rwalk)
			break;
		r->nwqid = mode == M_NWQID17 ? 16 : t->nwname + 1;
		if (r->nwqid > P9_MAXWELEM)
			r->nwqid = P9_MAXWELEM;
		for (int i = 0; i < r->nwqid; i++)
			r->wqid[i] = qidof(0);
		if ((n = encode(c, r, P9_2000L)) == 0)
			return -1;
		if (mode == M_NWQID17) {
			/* one qid more than the encoder allows */
			m[7] = 17;
			memset(m + n, 0, 13);
			n += 13;
			setsize(m, n);
		}
		return send_msg(c, m, n);
	case M_VMSIZE:
		r->msize = t->msize + 4096;
		break;
	case M_VUNKNOWN:
		r->version = (struct p9_str){ "unknown", 7 };
		break;
	case M_VJUNK:
		r->version = (struct p9_str){ "9P2000.X", 8 };
		break;
	case M_VTINY:
		r->msize = 256;
		break;
	case M_RERROR: {
		struct p9_fcall e = { .type = P9_Rerror, .tag = t->tag,
		    .ename = { "hostile", 7 }, .ecode = 5 };

		if ((n = encode(c, &e, P9_2000U)) == 0)
			return -1;
		return send_msg(c, m, n);
	}
	case M_ROPEN: {
		struct p9_fcall o = { .type = P9_Ropen, .tag = t->tag };

		if ((n = encode(c, &o, P9_2000)) == 0)
			return -1;
		return send_msg(c, m, n);
	}
	case M_LERROR: {
		struct p9_fcall e = { .type = P9_Rlerror, .tag = t->tag,
		    .ecode = lerrno };

		if ((n = encode(c, &e, P9_2000L)) == 0)
			return -1;
		return send_msg(c, m, n);
	}
	case M_RFLUSH:
	case M_WRONGTYPE: {
		struct p9_fcall o = { .type = mode == M_RFLUSH ? P9_Rflush :
		    t->type == P9_Tclunk ? P9_Rremove : P9_Rclunk,
		    .tag = t->tag };

		if ((n = encode(c, &o, P9_2000L)) == 0)
			return -1;
		return send_msg(c, m, n);
	}
	}
	if ((n = encode(c, r, P9_2000L)) == 0)
		return -1;
	switch (mode) {
	case M_SHORT:
		setsize(m, 5);
		return send_msg(c, m, 7);
	case M_HUGE:
		setsize(m, 0x7fffffff);
		return send_msg(c, m, n);
	case M_OVERMSIZE:
		/* pad to msize + 1 and say so */
		memset(m + n, 0, c->msize + 1 - n);
		setsize(m, c->msize + 1);
		return send_msg(c, m, c->msize + 1);
	case M_PARTIAL:
		send_msg(c, m, n / 2);
		c->deaf = 1;
		return 0;
	case M_MIDCLOSE:
		send_msg(c, m, n / 2);
		return -1;
	case M_CLOSE:
		return -1;
	case M_TRUNC:
		setsize(m, n - 1);
		return send_msg(c, m, n - 1);
	case M_TRAILING:
		m[n] = 0xde;
		m[n + 1] = 0xad;
		setsize(m, n + 2);
		return send_msg(c, m, n + 2);
	case M_BADTYPE:
		m[4] = 200;
		return send_msg(c, m, n);
	case M_TTYPE:
		m[4] = t->type;
		return send_msg(c, m, n);
	case M_DIRENT:
		/* the first entry's name (after qid, offset, type) grows */
		if (rt == P9_Rreaddir && r->count > 24) {
			m[11 + 22] = 0xff;
			m[11 + 23] = 0xff;
		}
		return send_msg(c, m, n);
	case M_BADSTR: {
		/* the first string of the reply claims 50 more bytes */
		size_t at = rt == P9_Rversion ? 11 : rt == P9_Rreadlink ? 7 : 0;

		if (at && at + 2 <= n) {
			unsigned len = m[at] | m[at + 1] << 8;

			m[at] = (uint8_t)(len + 50);
			m[at + 1] = (uint8_t)((len + 50) >> 8);
		}
		return send_msg(c, m, n);
	}
	case M_STRAY: {
		/* the reply with a tag never used, then with NOTAG */
		uint16_t tags[2] = { (uint16_t)(0x8000 | t->tag), P9_NOTAG };

		for (int i = 0; i < 2; i++) {
			m[5] = (uint8_t)tags[i];
			m[6] = (uint8_t)(tags[i] >> 8);
			if (send_msg(c, m, n) < 0)
				return -1;
		}
		m[5] = (uint8_t)t->tag;
		m[6] = (uint8_t)(t->tag >> 8);
		return send_msg(c, m, n);
	}
	case M_TWICE:
		if (send_msg(c, m, n) < 0)
			return -1;
		keep_late(c, m, n);
		return 0;
	case M_TWICENOW:
		if (send_msg(c, m, n) < 0)
			return -1;
		return send_msg(c, m, n);
	case M_FLUSHLATE:
	case M_FLUSHREPLY:
	case M_STALL:
		return hold(c, t->tag, m, n);
	case M_DEAF:
		c->deaf = 1;
		return 0;
	}
	return send_msg(c, m, n);
}

/* Tflush: what happens to a held request depends on the mode. */
static int
flush(struct conn *c, const struct p9_fcall *t)
{
	struct p9_fcall r = { .type = P9_Rflush, .tag = t->tag };
	uint8_t rf[7];
	int rc = 0;

	if (c->deaf)
		return 0;
	p9_encode(rf, sizeof rf, &r, P9_2000L);
	for (int i = 0; i < c->nheld; i++) {
		struct held h = c->held[i];

		if (h.tag != t->oldtag)
			continue;
		c->held[i] = c->held[--c->nheld];
		if (mode == M_FLUSHREPLY && h.msg) {
			logm("flushreply: reply to tag %u before Rflush",
			    h.tag);
			rc = send_msg(c, h.msg, h.len);
		} else if (mode == M_FLUSHLATE && h.msg) {
			logm("flushlate: Rflush now, the reply to tag %u "
			    "later", h.tag);
			if ((rc = send_msg(c, rf, sizeof rf)) == 0)
				keep_late(c, h.msg, h.len);
			free(h.msg);
			return rc;
		}
		free(h.msg);
		break;
	}
	return rc < 0 ? rc : send_msg(c, rf, sizeof rf);
}

static int
handle(struct conn *c, uint32_t size)
{
	struct p9_fcall t, r;
	const char *why = "malformed";
	size_t n;
	int hit;

	if (p9_decode(c->ibuf, size, c->msize, P9_2000L, &t, &why) != 0) {
		logm("bad request (type %d tag %d): %s", t.type, t.tag, why);
		r = (struct p9_fcall){ .type = P9_Rlerror, .tag = t.tag,
		    .ecode = 74 /* EBADMSG */ };
	} else {
		if (debug) {
			char line[256];

			p9_fmt(line, sizeof line, &t, P9_2000L, 16);
			logm("<- %s", line);
		}
		if (t.type == P9_Tflush)
			return flush(c, &t);
		hit = targeted(c, &t);
		/* an error reply is the truth: nothing is done then */
		if (hit && mode == M_LERROR)
			r = (struct p9_fcall){ .type = P9_Rlerror, .tag = t.tag,
			    .ecode = lerrno };
		else if (answer(c, &t, &r) < 0)
			return -1;
		if (hit)
			return misbehave(c, &t, &r);
	}
	if ((n = encode(c, &r, P9_2000L)) == 0)
		return -1;
	return send_msg(c, c->obuf, n);
}

static void *
serve(void *arg)
{
	struct conn *c = arg;

	for (;;) {
		uint32_t size;

		if (readn(c->fd, c->ibuf, 4) < 0)
			break;
		size = get32(c->ibuf);
		if (size < 7 || size > c->msize) {
			logm("request size %u outside 7..%u: hanging up", size,
			    c->msize);
			break;
		}
		if (readn(c->fd, c->ibuf + 4, size - 4) < 0 ||
		    handle(c, size) < 0)
			break;
	}
	if (debug)
		logm("connection closed");
	close(c->fd);
	for (int i = 0; i < c->nheld; i++)
		free(c->held[i].msg);
	free(c->late);
	free(c);
	return NULL;
}

/* ---- listening ----------------------------------------------------------- */

static int
listen_tcp(const char *hostport)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE,
	    .ai_socktype = SOCK_STREAM }, *ai;
	char host[256], *port;
	int fd, one = 1, rc;

	snprintf(host, sizeof host, "%s", hostport);
	if ((port = strrchr(host, ':')) == NULL) {
		fprintf(stderr, "hostile: -l %s: expected HOST:PORT\n",
		    hostport);
		exit(2);
	}
	*port++ = '\0';
	if ((rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai)) != 0) {
		fprintf(stderr, "hostile: %s: %s\n", hostport,
		    gai_strerror(rc));
		exit(1);
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		fprintf(stderr, "hostile: %s: %s\n", hostport, strerror(errno));
		exit(1);
	}
	freeaddrinfo(ai);
	if (strcmp(port, "0") == 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char h[NI_MAXHOST], p[NI_MAXSERV];

		/* the port the system picked, for the tests to read */
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
		    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, p,
		    sizeof p, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			logm("listening on %s:%s", h, p);
	}
	return fd;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "hostile: %s: path too long\n", path);
		exit(2);
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(fd, 16) < 0) {
		fprintf(stderr, "hostile: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: hostile [-d] [-e errno] [-f prefix] "
	    "[-n count] [-t type] -m mode (-l host:port | -s path)\n"
	    "       hostile -m list\n");
	exit(2);
}

static long
number(const char *opt, const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end || errno || v < 0 || v > max) {
		fprintf(stderr, "hostile: -%s %s: expected 0..%ld\n", opt, s,
		    max);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	const char *tcp = NULL, *unixpath = NULL, *mname = NULL;
	int ch, lfd;

	while ((ch = getopt(argc, argv, "de:f:l:m:n:s:t:")) != -1) {
		switch (ch) {
		case 'd': debug = 1; break;
		case 'e':
			lerrno = (uint32_t)number("e", optarg, 1L << 30);
			break;
		case 'f': prefix = optarg; break;
		case 'l': tcp = optarg; break;
		case 'm': mname = optarg; break;
		case 'n': budget = number("n", optarg, 1L << 30); break;
		case 's': unixpath = optarg; break;
		case 't':
			if ((target = p9_typebyname(optarg)) < 0 ||
			    (target & 1) || !p9_type_in(target, P9_2000L)) {
				fprintf(stderr, "hostile: -t %s: not a "
				    "9P2000.L request\n", optarg);
				exit(2);
			}
			break;
		default:
			usage();
		}
	}
	if (mname && strcmp(mname, "list") == 0) {
		for (int i = 0; i < NMODES; i++)
			printf("%-11s %-10s %s\n", modes[i].name,
			    p9_typename(modes[i].deftype), modes[i].what);
		return 0;
	}
	for (int i = 0; mname && i < NMODES; i++)
		if (strcmp(mname, modes[i].name) == 0)
			mode = i;
	if (mname && mode < 0) {
		fprintf(stderr, "hostile: -m %s: unknown mode (-m list)\n",
		    mname);
		exit(2);
	}
	if (mode < 0 || argc != optind || (!tcp == !unixpath))
		usage();
	if (target < 0)
		target = modes[mode].deftype;
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7 % 251);
	signal(SIGPIPE, SIG_IGN);
	lfd = tcp ? listen_tcp(tcp) : listen_unix(unixpath);
	for (;;) {
		struct conn *c;
		pthread_t th;
		int fd = accept(lfd, NULL, NULL), one = 1;

		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				sleep(1);
			continue;
		}
		if (tcp)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof one);
		if ((c = calloc(1, sizeof *c)) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->msize = MAXMSIZE;
		for (int i = 0; i < NFIDS; i++)
			c->fids[i].file = -1;
		if (pthread_create(&th, NULL, serve, c) != 0) {
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(th);
	}
}

/*
 * attr.c - converting libp9's attributes into what FUSE wants, and
 * errors into the errno a file system call should see.
 */
#include <errno.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "9pfuse.h"

/* 9P2000 has names, not numbers: try this host's databases, then dflt. */
static uint32_t
id_of(uint32_t id, const char *name, int group)
{
	struct passwd *pw;
	struct group *gr;

	if (id != P9_NOFID)
		return id;
	if (name[0] && !group && (pw = getpwnam(name)) != NULL)
		return pw->pw_uid;
	if (name[0] && group && (gr = getgrnam(name)) != NULL)
		return gr->gr_gid;
	return group ? cfg.dfltgid : cfg.dfltuid;
}

void
stat_from(const struct p9_stbuf *b, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = b->qid.path;
	st->st_mode = b->mode;
	st->st_nlink = b->nlink ? b->nlink : 1;
	st->st_uid = id_of(b->uid, b->uname, 0);
	st->st_gid = id_of(b->gid, b->gname, 1);
	st->st_rdev = b->rdev;
	st->st_size = (off_t)b->size;
	st->st_blksize = b->blksize ? (blksize_t)b->blksize : 4096;
	st->st_blocks = (blkcnt_t)b->blocks;
	st->st_atim.tv_sec = b->atime;
	st->st_atim.tv_nsec = b->atime_ns;
	st->st_mtim.tv_sec = b->mtime;
	st->st_mtim.tv_nsec = b->mtime_ns;
	st->st_ctim.tv_sec = b->ctime;
	st->st_ctim.tv_nsec = b->ctime_ns;
}

/* n's entry for the kernel, with attributes st */
void
entry_from(struct node *n, const struct stat *st, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof *e);
	e->ino = (fuse_ino_t)(uintptr_t)n;
	e->generation = 1;
	e->attr = *st;
	e->attr_timeout = cfg.attr_timeout;
	e->entry_timeout = cfg.entry_timeout;
	/*
	 * cache=mmap is close-to-open, as NFS is: a folder's name is trusted
	 * for a second (NFS: 30), so that the folders of a path are not
	 * walked again for every file used under them (`ls -l DIR`: DIR once
	 * per entry and system call).  Its attributes are still asked for.
	 */
	if (cfg.cache == CACHE_MMAP && S_ISDIR(st->st_mode) &&
	    e->entry_timeout < 1)
		e->entry_timeout = 1;
}

int
fill_entry(struct node *n, const struct p9_stbuf *b,
    struct fuse_entry_param *e)
{
	struct stat st;

	stat_from(b, &st);
	entry_from(n, &st, e);
	return 0;
}

/*
 * Say why an operation failed with EIO, which tells the program nothing:
 * on stderr (syslog once in the background), each reason once in a row,
 * so that a dead server is one line, not one per request; a server that
 * keeps sending bad replies gets 100 lines.  The text is the failed
 * call's (p9_errstr, per thread).
 */
static void
say(const char *why)
{
	if (cfg.foreground)
		fprintf(stderr, "9pfuse: %s: %s\n", cfg.mnt, why);
	else
		syslog(LOG_ERR, "%s: %s", cfg.mnt, why);
}

static void
tell(int lost)
{
	static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
	static char last[256];
	static unsigned bad;
	const char *why = p9_errstr();

	pthread_mutex_lock(&lk);
	if (strcmp(why, last) != 0 && (lost || bad <= 100)) {
		snprintf(last, sizeof last, "%s", why);
		if (lost || ++bad <= 100)
			say(why);
		else
			say("more bad replies: not shown");
	}
	pthread_mutex_unlock(&lk);
}

/*
 * A library error as a file system call should see it.  Once the session
 * is down, whatever ended it (a reset, a malformed frame, a server that
 * stopped answering) is EIO, as with v9fs.
 */
int
errno_of(int err)
{
	if (err < 0 && err == p9_session_error(sess)) {
		tell(1);
		return EIO;
	}
	switch (-err) {
	case EPROTO: case EBADMSG: case EMSGSIZE: case ECONNRESET:
	case EPIPE: case ENOTCONN: case ESHUTDOWN:
		tell(0);
		return EIO;
	default:
		return err < 0 ? -err : EIO;
	}
}

/* access=UID: nobody else (but root) gets in.  Replies EACCES if so. */
int
denied(fuse_req_t req)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);

	if (cfg.access == ACCESS_UID && c->uid != cfg.access_uid && c->uid != 0) {
		fuse_reply_err(req, EACCES);
		return 1;
	}
	return 0;
}

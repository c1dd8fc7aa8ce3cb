/*
 * node.c - the inode table: one node per file the kernel knows about,
 * keyed by the server's qid.path so hard links share a node.  The FUSE
 * inode number is the node's address; FUSE_ROOT_ID maps to the attach
 * fid.  Lookup counts follow libfuse's rules (every reply_entry adds one,
 * forget takes n away); a node goes when its count reaches zero.
 *
 * A node also counts its open handles, so that unlinking (or renaming
 * over) an open file can rename it to a hidden name instead, removed at
 * the last close, as NFS does: path-based servers (diod) can then still
 * get and set its attributes.  And it keeps the file's locks: the local
 * owners' POSIX and flock locks are arbitrated here with exact POSIX
 * semantics (byte ranges, one owner never conflicts with itself), and
 * one server lock on a fid of the node's own, covering them all, keeps
 * other clients out (servers such as diod lock whole files per fid).
 *
 * Locking: tlk guards the hash, every nlookup, nopen and hidden; a node's
 * lk guards its fid pointer (callers take a reference with node_fid and
 * put it); llk guards its locks, lockfid and srvtype.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "9pfuse.h"

#define NHASH	4096

static pthread_mutex_t tlk = PTHREAD_MUTEX_INITIALIZER;
static struct node *hash[NHASH];
static struct node root;
static unsigned count;
unsigned open_files;		/* atomic: a hint that hiding may be needed */

static void
node_init(struct node *n)
{
	pthread_mutex_init(&n->lk, NULL);
	pthread_mutex_init(&n->llk, NULL);
	pthread_cond_init(&n->lcv, NULL);
	n->srvtype = F_UNLCK;
}

static void
node_destroy(struct node *n)
{
	struct lock *l;

	while ((l = n->locks) != NULL) {
		n->locks = l->next;
		free(l);
	}
	if (n->lockfid)
		p9_fid_put(n->lockfid);
	if (n->hdir)
		p9_fid_put(n->hdir);
	free(n->hidden);
	p9_fid_put(n->fid);
	pthread_mutex_destroy(&n->lk);
	pthread_mutex_destroy(&n->llk);
	pthread_cond_destroy(&n->lcv);
}

void
nodes_init(struct p9_fid *rootfid)
{
	root.fid = p9_fid_get(rootfid);
	root.qpath = p9_fid_qid(rootfid)->path;
	root.nlookup = 1;
	node_init(&root);
}

/* At exit: every node the kernel did not forget, and the root's fid. */
void
nodes_free(void)
{
	struct node *n;

	for (int i = 0; i < NHASH; i++)
		while ((n = hash[i]) != NULL) {
			hash[i] = n->hnext;
			node_destroy(n);
			free(n);
		}
	count = 0;
	node_destroy(&root);
}

struct node *
node_of(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &root : (struct node *)(uintptr_t)ino;
}

struct p9_fid *
node_fid(struct node *n)
{
	struct p9_fid *f;

	pthread_mutex_lock(&n->lk);
	f = p9_fid_get(n->fid);
	pthread_mutex_unlock(&n->lk);
	return f;
}

/* The node for q, under tlk. */
static struct node *
find(uint64_t q)
{
	struct node *n;

	if (q == root.qpath)
		return &root;
	for (n = hash[q % NHASH]; n; n = n->hnext)
		if (n->qpath == q)
			return n;
	return NULL;
}

static void unhash(struct node *n);

/*
 * Is fid, just walked to a folder with n's number, another folder than
 * the one n's fid was walked to?  A folder has one path, and renames made
 * through this mount walk n's fid again (node_refresh, node_rebase).
 */
static int
other_folder(struct node *n, struct p9_fid *fid)
{
	int other;

	pthread_mutex_lock(&n->lk);
	other = strcmp(p9_fid_path(n->fid), p9_fid_path(fid)) != 0;
	pthread_mutex_unlock(&n->lk);
	return other;
}

/* n takes fid; returns the fid it held (to put, outside the locks). */
static struct p9_fid *
swap_fid(struct node *n, struct p9_fid *fid)
{
	struct p9_fid *old;

	pthread_mutex_lock(&n->lk);
	old = n->fid;
	n->fid = fid;
	pthread_mutex_unlock(&n->lk);
	return old;
}

/*
 * The node for a freshly walked fid.  An existing node takes the new fid
 * (its walk is the most recent, so the server's idea of its path is
 * fresh after renames); nlookup goes up by one either way.
 */
struct node *
node_enter(struct p9_fid *fid, const struct p9_stbuf *st)
{
	uint64_t q = st->qid.path;
	struct node *n;
	struct p9_fid *old = NULL;

	/* a replaced fid is clunked without waiting: lookups stay one walk
	   and one getattr */
	if (q == root.qpath) {
		p9_fid_put_nowait(fid);
		return &root;
	}
	pthread_mutex_lock(&tlk);
	if ((n = find(q)) != NULL && S_ISDIR(st->mode) && other_folder(n, fid)) {
		/*
		 * A folder with the number of one we knew by another path:
		 * the old one is gone (removed by another client, or replaced
		 * by a rename) and the server gave its number to this one.
		 * Handing the kernel the old folder's inode, which may still
		 * have a dentry, would fail (see node_gone): a node of its own.
		 */
		unhash(n);
		n = NULL;
	}
	if (n == NULL) {
		if ((n = calloc(1, sizeof *n)) == NULL) {
			pthread_mutex_unlock(&tlk);
			p9_fid_put(fid);
			return NULL;
		}
		n->qpath = q;
		n->fid = fid;
		node_init(n);
		n->hnext = hash[q % NHASH];
		hash[q % NHASH] = n;
		count++;
	} else
		old = swap_fid(n, fid);
	n->nlookup++;
	pthread_mutex_unlock(&tlk);
	if (old)
		p9_fid_put_nowait(old);
	return n;
}

/*
 * As node_enter, for a fid walked to a folder this table holds with the
 * attributes the server last gave for it: the node, and those attributes
 * in *st.  NULL, with nothing done, when the fid is not a folder, the
 * folder is unknown (or another one with the same number), or no
 * attributes are kept for it.
 */
struct node *
node_enter_folder(struct p9_fid *fid, struct stat *st)
{
	const struct p9_qid *qid = p9_fid_qid(fid);
	struct node *n;
	struct p9_fid *old;

	if (!(qid->type & P9_QTDIR))
		return NULL;
	pthread_mutex_lock(&tlk);
	if ((n = find(qid->path)) == NULL || n == &root ||
	    other_folder(n, fid)) {
		pthread_mutex_unlock(&tlk);
		return NULL;
	}
	pthread_mutex_lock(&n->lk);
	if (!n->haslast || !S_ISDIR(n->last.st_mode)) {
		pthread_mutex_unlock(&n->lk);
		pthread_mutex_unlock(&tlk);
		return NULL;
	}
	*st = n->last;
	pthread_mutex_unlock(&n->lk);
	old = swap_fid(n, fid);
	n->nlookup++;
	pthread_mutex_unlock(&tlk);
	p9_fid_put_nowait(old);
	return n;
}

void
node_refresh(struct p9_fid *fid)
{
	struct node *n;

	pthread_mutex_lock(&tlk);
	if ((n = find(p9_fid_qid(fid)->path)) != NULL && n != &root)
		fid = swap_fid(n, fid);
	pthread_mutex_unlock(&tlk);
	p9_fid_put_nowait(fid);
}

/*
 * A folder moved from old to new (paths from the root): every node below
 * it is walked again by its new path, since servers whose fids follow
 * paths (diod) lose track of them; open files and working folders below
 * it then keep working.
 */
void
node_rebase(const char *old, const char *new)
{
	struct todo {
		uint64_t	 q;
		char		*path;
	} *v = NULL, *nv;
	size_t nv_n = 0, cap = 0, ol = strlen(old);
	struct p9_fid *rootfid, *f;

	pthread_mutex_lock(&tlk);
	for (int i = 0; i < NHASH; i++)
		for (struct node *n = hash[i]; n; n = n->hnext) {
			const char *p;

			pthread_mutex_lock(&n->lk);
			p = p9_fid_path(n->fid);
			if (strncmp(p, old, ol) != 0 || p[ol] != '/') {
				pthread_mutex_unlock(&n->lk);
				continue;
			}
			if (nv_n == cap) {
				cap = cap ? 2 * cap : 16;
				nv = realloc(v, cap * sizeof *v);
				if (nv == NULL) {
					pthread_mutex_unlock(&n->lk);
					goto walk;
				}
				v = nv;
			}
			v[nv_n].q = n->qpath;
			if (asprintf(&v[nv_n].path, "%s%s", new, p + ol) >= 0)
				nv_n++;
			pthread_mutex_unlock(&n->lk);
		}
walk:
	pthread_mutex_unlock(&tlk);
	rootfid = node_fid(&root);
	for (size_t i = 0; i < nv_n; i++) {
		if (p9_walk(rootfid, v[i].path, &f) == 0) {
			if (p9_fid_qid(f)->path == v[i].q)
				node_refresh(f);
			else
				p9_fid_put(f);
		}
		free(v[i].path);
	}
	p9_fid_put(rootfid);
	free(v);
}

/*
 * Take n out of the table (tlk held); it lives on for the kernel's
 * references until forgotten.
 */
static void
unhash(struct node *n)
{
	for (struct node **pp = &hash[n->qpath % NHASH]; *pp; pp = &(*pp)->hnext)
		if (*pp == n) {
			*pp = n->hnext;
			n->hnext = NULL;
			break;
		}
}

void
node_forget(fuse_ino_t ino, uint64_t k)
{
	struct node *n = node_of(ino);

	if (n == &root)
		return;
	pthread_mutex_lock(&tlk);
	n->nlookup = k >= n->nlookup ? 0 : n->nlookup - k;
	if (n->nlookup > 0) {
		pthread_mutex_unlock(&tlk);
		return;
	}
	unhash(n);
	count--;
	pthread_mutex_unlock(&tlk);
	node_destroy(n);
	free(n);
}

/*
 * A folder removed through this mount: servers give its inode number to
 * the next file made, and a node found by that number would hand the
 * kernel the old folder's inode, which may still have a dentry: the
 * kernel can't give a folder two (d_splice_alias fails with ESTALE, and
 * mkdir(2) then sees the new folder as there already: EEXIST).  So the
 * old node leaves the table, and the number's next file gets a node (an
 * inode number for the kernel) of its own.
 */
void
node_gone(uint64_t q)
{
	struct node *n;

	pthread_mutex_lock(&tlk);
	if ((n = find(q)) != NULL && n != &root)
		unhash(n);
	pthread_mutex_unlock(&tlk);
}

unsigned
nodes_count(void)
{
	unsigned c;

	pthread_mutex_lock(&tlk);
	c = count;
	pthread_mutex_unlock(&tlk);
	return c;
}

/* ---- open handles and silly renames ------------------------------------ */

void
node_opened(struct node *n)
{
	pthread_mutex_lock(&tlk);
	n->nopen++;
	__atomic_add_fetch(&open_files, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&tlk);
}

int
node_is_open(uint64_t q)
{
	struct node *n;
	int open;

	pthread_mutex_lock(&tlk);
	open = (n = find(q)) != NULL && n->nopen > 0;
	pthread_mutex_unlock(&tlk);
	return open;
}

int
node_hide(uint64_t q, struct p9_fid *dir, const char *hidden)
{
	struct node *n;
	struct p9_fid *odir = NULL;
	char *oname = NULL, *name = strdup(hidden);

	if (name == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&tlk);
	if ((n = find(q)) == NULL || n->nopen == 0) {
		pthread_mutex_unlock(&tlk);
		free(name);
		return -ENOENT;
	}
	/* hidden twice (a hard link unlinked too): the newest name wins */
	odir = n->hdir;
	oname = n->hidden;
	n->hdir = p9_fid_get(dir);
	n->hidden = name;
	pthread_mutex_unlock(&tlk);
	if (oname) {
		p9_unlinkat(odir, oname, 0);
		free(oname);
	}
	if (odir)
		p9_fid_put(odir);
	return 0;
}

/* The hidden file was put back under a name: forget the hiding. */
void
node_unhide(uint64_t q)
{
	struct node *n;
	struct p9_fid *dir = NULL;
	char *name = NULL;

	pthread_mutex_lock(&tlk);
	if ((n = find(q)) != NULL) {
		dir = n->hdir;
		name = n->hidden;
		n->hdir = NULL;
		n->hidden = NULL;
	}
	pthread_mutex_unlock(&tlk);
	free(name);
	if (dir)
		p9_fid_put(dir);
}

struct p9_fid *
node_closed(struct node *n, char **hidden)
{
	struct p9_fid *dir = NULL;

	*hidden = NULL;
	pthread_mutex_lock(&tlk);
	__atomic_sub_fetch(&open_files, 1, __ATOMIC_RELAXED);
	if (--n->nopen == 0 && n->hidden) {
		dir = n->hdir;
		*hidden = n->hidden;
		n->hdir = NULL;
		n->hidden = NULL;
	}
	pthread_mutex_unlock(&tlk);
	return dir;
}

/* ---- locks ------------------------------------------------------------ */

static int
overlap(const struct lock *l, uint64_t start, uint64_t end)
{
	return l->start <= end && start <= l->end;
}

/* A lock of another owner that keeps type on [start, end] from us. */
static struct lock *
conflict(struct node *n, int flock, uint64_t owner, short type,
    uint64_t start, uint64_t end)
{
	for (struct lock *l = n->locks; l; l = l->next)
		if (l->flock == flock && l->owner != owner &&
		    overlap(l, start, end) &&
		    (l->type == F_WRLCK || type == F_WRLCK))
			return l;
	return NULL;
}

/*
 * Set owner's lock of type (F_UNLCK removes) on [start, end]: the parts
 * of its locks outside the range stay, those inside go, the new one is
 * added.  All memory is found first, so a failure changes nothing.
 */
static int
apply(struct node *n, const struct lock *nl)
{
	struct lock *keep = NULL, **tail = &keep, *l, *next, *extra[3];
	int nextra = 0, need = 0;

	for (l = n->locks; l; l = l->next)
		if (l->flock == nl->flock && l->owner == nl->owner &&
		    overlap(l, nl->start, nl->end))
			need += (l->start < nl->start) + (l->end > nl->end);
	if (need > 2)
		need = 2;	/* one lock can be split in two at most */
	for (int i = 0; i < need + (nl->type != F_UNLCK); i++)
		if ((extra[nextra++] = malloc(sizeof **extra)) == NULL) {
			while (nextra-- > 0)
				free(extra[nextra]);
			return ENOLCK;
		}
	for (l = n->locks; l; l = next) {
		next = l->next;
		if (l->flock != nl->flock || l->owner != nl->owner ||
		    !overlap(l, nl->start, nl->end)) {
			*tail = l;
			tail = &l->next;
			continue;
		}
		if (l->start < nl->start) {
			struct lock *p = extra[--nextra];

			*p = *l;
			p->end = nl->start - 1;
			*tail = p;
			tail = &p->next;
		}
		if (l->end > nl->end) {
			struct lock *p = extra[--nextra];

			*p = *l;
			p->start = nl->end + 1;
			*tail = p;
			tail = &p->next;
		}
		free(l);
	}
	if (nl->type != F_UNLCK) {
		struct lock *p = extra[--nextra];

		*p = *nl;
		*tail = p;
		tail = &p->next;
	}
	*tail = NULL;
	while (nextra > 0)
		free(extra[--nextra]);
	n->locks = keep;
	return 0;
}

/* The server lock the node's locks need (with nl applied, if given). */
static short
wanted(struct node *n, const struct lock *nl)
{
	short t = nl && nl->type != F_UNLCK ? nl->type : F_UNLCK;

	for (struct lock *l = n->locks; l && t != F_WRLCK; l = l->next) {
		if (nl && l->flock == nl->flock && l->owner == nl->owner &&
		    l->start >= nl->start && l->end <= nl->end)
			continue;	/* replaced by nl */
		if (l->type == F_WRLCK || t == F_UNLCK)
			t = l->type;
	}
	return t;
}

static int
rank(short type)
{
	return type == F_WRLCK ? 2 : type == F_RDLCK ? 1 : 0;
}

static uint32_t
owner_id(const struct node *n)
{
	return (uint32_t)(n->qpath ^ (n->qpath >> 32)) | 1;
}

static char host[65];

static void
hostname(void)
{
	if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
		strcpy(host, "9pfuse");
}

static void
to_p9(const struct node *n, short type, uint64_t start, uint64_t len,
    struct p9_flock *l)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, hostname);
	memset(l, 0, sizeof *l);
	l->type = type == F_RDLCK ? P9_LOCK_RDLCK : type == F_WRLCK ?
	    P9_LOCK_WRLCK : P9_LOCK_UNLCK;
	l->start = start;
	l->length = len;
	l->proc_id = owner_id(n);
	l->client_id.s = host;
	l->client_id.len = (uint16_t)strlen(host);
}

/*
 * Move the server lock (whole file) to type, never waiting: 0, EAGAIN
 * when another client holds a conflicting one, or an errno.  The lock
 * lives on a fid of the node's own, opened for it, so that closing any
 * handle leaves it alone.  Under llk.
 */
static int
server_lock(struct node *n, short type)
{
	struct p9_flock l;
	struct p9_fid *f;
	uint8_t status;
	int err;

	if (type == n->srvtype)
		return 0;
	if (n->lockfid == NULL) {
		f = node_fid(n);
		err = p9_walk(f, "", &n->lockfid);
		p9_fid_put(f);
		if (err == 0)
			err = p9_open(n->lockfid, O_RDONLY);
		if (err == -EACCES)
			err = p9_open(n->lockfid, O_WRONLY);
		if (err) {
			if (n->lockfid)
				p9_fid_put(n->lockfid);
			n->lockfid = NULL;
			return errno_of(err);
		}
	}
	to_p9(n, type, 0, 0, &l);
	err = p9_lock(n->lockfid, &l, &status);
	if (err == 0 && status != P9_LOCK_SUCCESS)
		err = status == P9_LOCK_ERROR ? -ENOLCK : -EAGAIN;
	if (err && type != F_UNLCK)
		return errno_of(err);
	n->srvtype = type;
	if (type == F_UNLCK) {
		/* closing the fid would drop it on most servers anyway */
		p9_fid_put(n->lockfid);
		n->lockfid = NULL;
	}
	return 0;
}

static void
lock_from(struct lock *l, int flock, uint64_t owner, const struct flock *fl)
{
	memset(l, 0, sizeof *l);
	l->flock = flock;
	l->owner = owner;
	l->type = fl->l_type;
	l->pid = fl->l_pid;
	l->start = flock || fl->l_start < 0 ? 0 : (uint64_t)fl->l_start;
	l->end = flock || fl->l_len <= 0 ? UINT64_MAX :
	    l->start + (uint64_t)fl->l_len - 1;
}

/*
 * Set (or with F_UNLCK clear) owner's lock: local conflicts wait for the
 * holder to let go, a conflict on the server is polled; either wait ends
 * with EINTR when the request is interrupted.  Returns 0 or an errno.
 */
int
lock_set(fuse_req_t req, struct node *n, int flock, uint64_t owner,
    struct flock *fl, int wait)
{
	struct lock nl;
	struct timespec ts;
	long ms = 1;
	short want;
	int err;

	lock_from(&nl, flock, owner, fl);
	pthread_mutex_lock(&n->llk);
	for (;;) {
		err = 0;
		if (nl.type != F_UNLCK &&
		    conflict(n, flock, owner, nl.type, nl.start, nl.end))
			err = EAGAIN;
		/* the server lock goes up before, and down after */
		want = wanted(n, &nl);
		if (!err && rank(want) > rank(n->srvtype))
			err = server_lock(n, want);
		if (!err) {
			if ((err = apply(n, &nl)) == 0)
				pthread_cond_broadcast(&n->lcv);
			server_lock(n, wanted(n, NULL));
			break;
		}
		if (err != EAGAIN || !wait)
			break;
		if (req && fuse_req_interrupted(req)) {
			err = EINTR;
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += ms * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&n->lcv, &n->llk, &ts);
		if (ms < 64)
			ms *= 2;
	}
	pthread_mutex_unlock(&n->llk);
	return err;
}

/* F_GETLK: a conflicting local lock, or what the server says. */
int
lock_get(struct node *n, struct fh *h, uint64_t owner, struct flock *fl)
{
	struct lock q, *c;
	struct p9_flock l;
	int err = 0;

	lock_from(&q, 0, owner, fl);
	pthread_mutex_lock(&n->llk);
	if ((c = conflict(n, 0, owner, q.type, q.start, q.end)) != NULL) {
		fl->l_type = c->type;
		fl->l_start = (off_t)c->start;
		fl->l_len = c->end == UINT64_MAX ? 0 :
		    (off_t)(c->end - c->start + 1);
		fl->l_pid = c->pid;
	} else if (rank(n->srvtype) == 2 ||
	    (rank(n->srvtype) == 1 && q.type == F_RDLCK)) {
		/* what we hold on the server keeps the others out */
		fl->l_type = F_UNLCK;
	} else {
		to_p9(n, q.type, q.start, q.end == UINT64_MAX ? 0 :
		    q.end - q.start + 1, &l);
		err = p9_getlock(n->lockfid ? n->lockfid : h->fid, &l);
		if (err == 0 && l.type != P9_LOCK_UNLCK) {
			/* another client's: its pid means nothing here */
			fl->l_type = l.type == P9_LOCK_RDLCK ? F_RDLCK :
			    F_WRLCK;
			fl->l_start = (off_t)l.start;
			fl->l_len = (off_t)l.length;
			fl->l_pid = 0;
		} else if (err == 0)
			fl->l_type = F_UNLCK;
		err = err ? errno_of(err) : 0;
	}
	pthread_mutex_unlock(&n->llk);
	return err;
}

/* Drop every lock of owner in a family (close, release). */
void
lock_drop(struct node *n, int flock, uint64_t owner)
{
	struct lock **pp, *l;
	int gone = 0;

	pthread_mutex_lock(&n->llk);
	for (pp = &n->locks; (l = *pp) != NULL;) {
		if (l->flock == flock && l->owner == owner) {
			*pp = l->next;
			free(l);
			gone = 1;
		} else
			pp = &l->next;
	}
	if (gone) {
		server_lock(n, wanted(n, NULL));
		pthread_cond_broadcast(&n->lcv);
	}
	pthread_mutex_unlock(&n->llk);
}

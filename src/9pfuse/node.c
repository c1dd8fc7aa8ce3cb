/*
 * node.c - the inode table: one node per file the kernel knows about,
 * keyed by the server's qid.path so hard links share a node.  The FUSE
 * inode number is the node's address; FUSE_ROOT_ID maps to the attach
 * fid.  Lookup counts follow libfuse's rules (every reply_entry adds one,
 * forget takes n away); a node goes when its count reaches zero.
 *
 * Locking: tlk guards the hash and every nlookup; a node's lk guards its
 * fid pointer (callers take a reference with node_fid and put it).
 */
#include <errno.h>
#include <stdlib.h>

#include "9pfuse.h"

#define NHASH	4096

static pthread_mutex_t tlk = PTHREAD_MUTEX_INITIALIZER;
static struct node *hash[NHASH];
static struct node root;
static unsigned count;

void
nodes_init(struct p9_fid *rootfid)
{
	root.fid = rootfid;
	root.qpath = p9_fid_qid(rootfid)->path;
	root.nlookup = 1;
	pthread_mutex_init(&root.lk, NULL);
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

	if (q == root.qpath) {
		p9_fid_put(fid);
		return &root;
	}
	pthread_mutex_lock(&tlk);
	for (n = hash[q % NHASH]; n; n = n->hnext)
		if (n->qpath == q)
			break;
	if (n == NULL) {
		if ((n = calloc(1, sizeof *n)) == NULL) {
			pthread_mutex_unlock(&tlk);
			p9_fid_put(fid);
			return NULL;
		}
		n->qpath = q;
		n->fid = fid;
		pthread_mutex_init(&n->lk, NULL);
		n->hnext = hash[q % NHASH];
		hash[q % NHASH] = n;
		count++;
	} else {
		pthread_mutex_lock(&n->lk);
		old = n->fid;
		n->fid = fid;
		pthread_mutex_unlock(&n->lk);
	}
	n->nlookup++;
	pthread_mutex_unlock(&tlk);
	if (old)
		p9_fid_put(old);
	return n;
}

void
node_forget(fuse_ino_t ino, uint64_t k)
{
	struct node *n = node_of(ino), **pp;

	if (n == &root)
		return;
	pthread_mutex_lock(&tlk);
	n->nlookup = k >= n->nlookup ? 0 : n->nlookup - k;
	if (n->nlookup > 0) {
		pthread_mutex_unlock(&tlk);
		return;
	}
	for (pp = &hash[n->qpath % NHASH]; *pp; pp = &(*pp)->hnext)
		if (*pp == n) {
			*pp = n->hnext;
			break;
		}
	count--;
	pthread_mutex_unlock(&tlk);
	p9_fid_put(n->fid);
	pthread_mutex_destroy(&n->lk);
	free(n);
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

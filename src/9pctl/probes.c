/*
 * probes.c - what 9pctl doctor tries on a server: each probe one
 * behaviour that clients trip over, done with the library's operations
 * where they are plain and with raw messages where the library would
 * hide the server's answer (it falls back from Tunlinkat and Trenameat,
 * for one).  Everything is made in the scratch directory, and removed
 * again by the probe or by the doctor's final clean-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "doctor.h"

#define BIGDIR		1000	/* entries of the large directory */
#define PAGE		512	/* bytes asked for by each directory read */
#define LONGNAME	300	/* bytes: above NAME_MAX (255) everywhere */

static struct p9_str
str(const char *s)
{
	struct p9_str r = { s, (uint16_t)strlen(s) };

	return r;
}

/* name in the scratch directory, created open for reading and writing */
static int
mkfile(struct doc *d, const char *name, const char *data, struct p9_fid **f)
{
	int err;

	if ((err = p9_create(d->sd, name, O_RDWR, 0600, f)) != 0)
		return err;
	if (data && p9_pwrite(*f, data, strlen(data), 0) !=
	    (ssize_t)strlen(data)) {
		p9_fid_put(*f);
		return -EIO;
	}
	return 0;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * walk(5): "walking .. at the root of the tree is a no-op".  A server
 * that lets it through hands out the folder above its export.
 */
static void
p_dotdot(struct doc *d, struct res *r)
{
	struct p9_fid *root = p9_session_root(d->s), *up;
	const struct p9_qid *a = p9_fid_qid(root), *b;
	int err;

	if ((err = p9_walk(root, "..", &up)) != 0) {
		say(r, V_NOTE, "refused (%s); walk(5) makes it a no-op",
		    ename(err));
		return;
	}
	b = p9_fid_qid(up);
	if (a->path == b->path && a->type == b->type)
		say(r, V_OK, "stays at the root");
	else
		say(r, V_FAIL, "leaves the attach point: qid path %#llx, the "
		    "root's is %#llx (the folder above the export is "
		    "reachable)", (unsigned long long)b->path,
		    (unsigned long long)a->path);
	p9_fid_put(up);
}

/*
 * version(5): a Tversion aborts everything and clunks every fid.  Tried
 * on a connection of its own, which it resets.
 */
static void
p_reversion(struct doc *d, struct res *r)
{
	struct p9_fcall t = { .type = P9_Tversion };
	struct p9_opts o = opts;
	struct p9_session *s;
	struct p9_fid *f;
	struct doc nd = *d;
	int err;

	o.trace = NULL;
	o.dialect = (int)d->d;
	o.force = 1;
	o.msize = p9_session_msize(d->s);
	if ((err = p9_dial(addr, &o, &s)) != 0) {
		say(r, V_SKIP, "no second connection: %s", p9_errstr());
		return;
	}
	nd.s = s;
	if ((err = p9_walk(p9_session_root(s), "", &f)) != 0) {
		say(r, V_SKIP, "cannot clone the root (%s)", ename(err));
		p9_session_close(s);
		return;
	}
	t.msize = p9_session_msize(s);
	t.version = str(p9_dialect_name(d->d));
	if ((err = rpc0(&nd, &t)) != 0)
		say(r, V_FAIL, "a second Tversion is refused (%s)", ename(err));
	else {
		memset(&t, 0, sizeof t);
		t.type = P9_Tclunk;
		t.fid = p9_fid_num(f);
		if (rpc0(&nd, &t) == 0)
			say(r, V_NOTE, "fids walked before a Tversion are "
			    "still there after it (version(5) clunks them "
			    "all)");
		else
			say(r, V_OK, "it clunks the fids");
	}
	p9_fid_put(f);	/* gone, one way or the other: the error is moot */
	p9_session_close(s);
}

/*
 * A file removed while open (POSIX: it lives on until closed), as every
 * build with temporary files does.  Servers that look a fid up by its
 * path lose it.
 */
static void
p_unlinked(struct doc *d, struct res *r)
{
	struct p9_fid *f;
	struct p9_stbuf st;
	char buf[16] = "";
	ssize_t n;
	int err, gerr;

	if ((err = mkfile(d, "unlinked", "doctor", &f)) != 0) {
		say(r, V_SKIP, "cannot create a file (%s)", ename(err));
		return;
	}
	if ((err = p9_unlinkat(d->sd, "unlinked", 0)) != 0) {
		say(r, V_FAIL, "cannot remove the open file (%s)", ename(err));
		p9_fid_put(f);
		return;
	}
	n = p9_pread(f, buf, sizeof buf - 1, 0);
	if (n >= 0 && p9_pwrite(f, "!", 1, 6) != 1)
		n = -EIO;
	gerr = p9_getattr(f, &st);
	p9_fid_put(f);
	if (n < 0 || strncmp(buf, "doctor", 6) != 0)
		say(r, V_FAIL, "the open fid stops working once its name is "
		    "removed (read: %s)", n < 0 ? ename((int)n) : "wrong data");
	else if (gerr != 0)
		say(r, V_NOTE, "reads and writes through the open fid work; "
		    "%s on it fails (%s): the server looks attributes up by "
		    "path", d->d == P9_2000L ? "Tgetattr" : "Tstat",
		    ename(gerr));
	else
		say(r, V_OK, "the open fid reads, writes and stats after its "
		    "name is removed");
}

/* Tunlinkat of a name while a fid holds the file open */
static void
p_unlinkat(struct doc *d, struct res *r)
{
	struct p9_fcall t = { .type = P9_Tunlinkat };
	struct p9_fid *f, *g;
	char buf[8];
	int err, err2;

	if (d->d != P9_2000L) {
		say(r, V_NA, "Tunlinkat is 9P2000.L; Tremove is probed above");
		return;
	}
	if ((err = mkfile(d, "victim", "x", &f)) != 0) {
		say(r, V_SKIP, "cannot create a file (%s)", ename(err));
		return;
	}
	t.fid = p9_fid_num(d->sd);
	t.name = str("victim");
	if ((err = rpc0(d, &t)) == 0) {
		err = p9_pread(f, buf, 1, 0) == 1 ? 0 : -EIO;
		p9_fid_put(f);
		if (err)
			say(r, V_FAIL, "Tunlinkat works, but the open fid "
			    "stops working");
		else
			say(r, V_OK, "Tunlinkat removes it; the open fid "
			    "still reads");
		return;
	}
	/* refused: the library falls back on Twalk and Tremove */
	if ((err2 = p9_unlinkat(d->sd, "victim", 0)) == 0 &&
	    p9_walk(d->sd, "victim", &g) == 0) {
		p9_fid_put(g);
		err2 = -EEXIST;		/* still there */
	}
	if (err2 == 0)
		say(r, V_NOTE, "Tunlinkat refused (%s): clients must fall "
		    "back on Twalk and Tremove, which work", ename(err));
	else
		say(r, V_FAIL, "Tunlinkat refused (%s) and Tremove does not "
		    "remove the file either", ename(err));
	p9_fid_put(f);
}

/* a file moved to another directory, as mv(1) does all day */
static void
p_rename(struct doc *d, struct res *r)
{
	struct p9_fcall t = { .type = P9_Trenameat };
	struct p9_fid *a, *b, *f, *g;
	int err, err2;

	if ((err = p9_mkdir(d->sd, "a", 0700)) != 0 ||
	    (err = p9_mkdir(d->sd, "b", 0700)) != 0 ||
	    (err = p9_walk(d->sd, "a", &a)) != 0) {
		say(r, V_SKIP, "cannot make directories (%s)", ename(err));
		return;
	}
	if ((err = p9_walk(d->sd, "b", &b)) != 0) {
		p9_fid_put(a);
		say(r, V_SKIP, "cannot walk to a directory (%s)", ename(err));
		return;
	}
	if ((err = p9_create(a, "f", O_RDWR, 0600, &f)) != 0) {
		say(r, V_SKIP, "cannot create a file (%s)", ename(err));
		goto out;
	}
	p9_fid_put(f);
	if (d->d != P9_2000L) {
		/* Twstat can only rename within a directory */
		err = p9_renameat(a, "f", a, "g");
		if (err)
			say(r, V_FAIL, "Twstat cannot rename within a "
			    "directory (%s)", ename(err));
		else
			say(r, V_NA, "%s renames only within a directory "
			    "(Twstat name), which works",
			    p9_dialect_name(d->d));
		goto out;
	}
	t.fid = p9_fid_num(a);
	t.name = str("f");
	t.dfid = p9_fid_num(b);
	t.newname = str("f");
	if ((err = rpc0(d, &t)) == 0) {
		err2 = p9_walk(b, "f", &g);
		p9_fid_put(g);
		if (err2)
			say(r, V_FAIL, "Trenameat succeeds, but the file is "
			    "not in the new directory");
		else
			say(r, V_OK, "Trenameat moves a file to another "
			    "directory");
		goto out;
	}
	/*
	 * Trename of a fid that is not open (diod 1.0.24 aborts on a
	 * Trename of an open one)
	 */
	if ((err2 = p9_walk(a, "f", &g)) == 0) {
		memset(&t, 0, sizeof t);
		t.type = P9_Trename;
		t.fid = p9_fid_num(g);
		t.dfid = p9_fid_num(b);
		t.name = str("f");
		err2 = rpc0(d, &t);
		p9_fid_put(g);
	}
	if (err2)
		say(r, V_FAIL, "Trenameat refused (%s) and Trename fails (%s)",
		    ename(err), ename(err2));
	else
		say(r, V_NOTE, "Trenameat refused (%s): clients must fall back "
		    "on Trename, which works", ename(err));
out:
	p9_fid_put(a);
	p9_fid_put(b);
}

/*
 * Tflush: of a tag with nothing in flight (flush(5): answered with
 * Rflush at once), and of reads in flight, whose reply may come first.
 */
static void
p_flush(struct doc *d, struct res *r)
{
	struct p9_fcall t = { .type = P9_Tflush, .oldtag = 4000 };
	struct p9_req *rq[8];
	struct p9_reply rep;
	struct p9_fid *f;
	struct timespec t0;
	static char chunk[4096];
	int err, n = 0, answered = 0, flushed = 0;
	double ms;

	if ((err = rpc0(d, &t)) != 0) {
		say(r, V_FAIL, "Tflush of an idle tag answered %s, not Rflush",
		    ename(err));
		return;
	}
	if ((err = mkfile(d, "flush", NULL, &f)) != 0) {
		say(r, V_SKIP, "cannot create a file (%s)", ename(err));
		return;
	}
	memset(chunk, 'f', sizeof chunk);
	for (int i = 0; i < 64; i++)
		p9_pwrite(f, chunk, sizeof chunk, (uint64_t)i * sizeof chunk);
	memset(&t, 0, sizeof t);
	t.type = P9_Tread;
	t.fid = p9_fid_num(f);
	t.count = p9_session_iosize(d->s) < 32768 ?
	    p9_session_iosize(d->s) : 32768;
	for (n = 0; n < 8; n++) {
		t.offset = (uint64_t)n * t.count;
		if (p9_send(d->s, &t, &rq[n]) != 0)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* flush the last sent first: the likeliest still to be queued */
	for (int i = n - 1; i >= 0; i--)
		p9_cancel(rq[i]);
	ms = ms_since(&t0);
	for (int i = 0; i < n; i++) {
		if ((err = p9_wait(rq[i], &rep)) == 0) {
			answered++;
			p9_reply_free(&rep);
		} else if (err == -EINTR)
			flushed++;
	}
	p9_fid_put(f);
	if (p9_session_error(d->s))
		say(r, V_FAIL, "the connection broke: %s", p9_errstr());
	else
		say(r, V_OK, "Rflush for an idle tag; %d reads in flight "
		    "flushed in %.1f ms: %d answered first, %d cut short",
		    n, ms, answered, flushed);
}

static void
p_xattr(struct doc *d, struct res *r)
{
	static const char name[] = "user.9pctl-doctor";
	struct p9_fid *f;
	char buf[256];
	ssize_t n;
	int err, listed = 0;

	if (d->d != P9_2000L) {
		say(r, V_NA, "extended attributes are 9P2000.L");
		return;
	}
	if ((err = mkfile(d, "xattr", NULL, &f)) != 0) {
		say(r, V_SKIP, "cannot create a file (%s)", ename(err));
		return;
	}
	if ((err = p9_xattr_set(f, name, "v1", 2, 0)) != 0) {
		say(r, V_NOTE, "setting %s refused (%s): no extended "
		    "attributes", name, ename(err));
		p9_fid_put(f);
		return;
	}
	n = p9_xattr_get(f, name, buf, sizeof buf);
	if (n != 2 || memcmp(buf, "v1", 2) != 0) {
		say(r, V_FAIL, "%s set, but reads back %s", name,
		    n < 0 ? ename((int)n) : "other bytes");
		p9_fid_put(f);
		return;
	}
	if ((n = p9_xattr_get(f, "", buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
			listed |= strcmp(buf + i, name) == 0;
	err = p9_xattr_remove(f, name);
	n = p9_xattr_get(f, name, buf, sizeof buf);
	p9_fid_put(f);
	if (!listed)
		say(r, V_FAIL, "%s set and read, but not listed", name);
	else if (err || n >= 0)
		say(r, V_FAIL, "%s cannot be removed (%s)", name,
		    err ? ename(err) : "still there");
	else
		say(r, V_OK, "%s set, read back, listed and removed", name);
}

/* two owners, two fids on one file: does the second wait? */
static void
p_lock(struct doc *d, struct res *r)
{
	struct p9_flock la = { .type = P9_LOCK_WRLCK, .proc_id = 1 };
	struct p9_flock lb = { .type = P9_LOCK_WRLCK, .proc_id = 2 };
	struct p9_fid *f, *g;
	uint8_t st = 0, st2 = 0;
	int err;

	if (d->d != P9_2000L) {
		say(r, V_NA, "Tlock and Tgetlock are 9P2000.L");
		return;
	}
	la.client_id = str("doctor-a");
	lb.client_id = str("doctor-b");
	if ((err = mkfile(d, "lock", "x", &f)) != 0) {
		say(r, V_SKIP, "cannot create a file (%s)", ename(err));
		return;
	}
	if ((err = p9_walk(d->sd, "lock", &g)) != 0 ||
	    (err = p9_open(g, O_RDWR)) != 0) {
		p9_fid_put(f);
		say(r, V_SKIP, "cannot open the file twice (%s)", ename(err));
		return;
	}
	if ((err = p9_lock(f, &la, &st)) != 0 || st != P9_LOCK_SUCCESS) {
		say(r, err == -EOPNOTSUPP || err == -ENOSYS ? V_NOTE : V_FAIL,
		    "Tlock of a free file: %s", err ? ename(err) :
		    "not granted");
		goto out;
	}
	err = p9_getlock(g, &lb);
	if (p9_lock(g, &(struct p9_flock){ .type = P9_LOCK_WRLCK,
	    .proc_id = 2, .client_id = str("doctor-b") }, &st2) != 0)
		st2 = P9_LOCK_ERROR;
	if (st2 == P9_LOCK_SUCCESS)
		say(r, V_FAIL, "a second owner is granted a conflicting "
		    "write lock: locks do not lock");
	else if (err || lb.type != P9_LOCK_WRLCK)
		say(r, V_FAIL, "a conflicting lock waits (status %u), but "
		    "Tgetlock does not report it (%s)", st2, err ? ename(err) :
		    "type unlocked");
	else if (lb.proc_id != 1)
		say(r, V_NOTE, "a conflicting lock waits (status %u) and "
		    "Tgetlock reports it, naming the asker (proc_id %u), not "
		    "the holder", st2, lb.proc_id);
	else
		say(r, V_OK, "a conflicting lock waits (status %u); Tgetlock "
		    "names the holder", st2);
	la.type = P9_LOCK_UNLCK;
	p9_lock(f, &la, &st);
out:
	p9_fid_put(f);
	p9_fid_put(g);
}

struct seen {
	unsigned char	*count;	/* per entry number */
	unsigned	 other, dup;
};

static void
see(struct seen *s, const char *name, size_t len)
{
	unsigned i;

	if ((len == 1 && name[0] == '.') || (len == 2 && !memcmp(name, "..",
	    2)))
		return;
	if (len == 9 && sscanf(name, "e%8u", &i) == 1 && i < BIGDIR) {
		if (s->count[i]++)
			s->dup++;
	} else
		s->other++;
}

/* Read the directory in pages of PAGE bytes, as a client with little
 * memory (or the Linux kernel) does: every entry must come once. */
static int
page_through(struct doc *d, struct p9_fid *dir, struct seen *s, int *pages)
{
	struct p9_fcall t = { .fid = p9_fid_num(dir), .count = PAGE };
	struct p9_reply rep;
	int err = 0;

	t.type = d->d == P9_2000L ? P9_Treaddir : P9_Tread;
	for (*pages = 0; *pages < 4 * BIGDIR; (*pages)++) {
		uint64_t next = t.offset + PAGE;
		uint32_t off = 0;

		if ((err = p9_rpc(d->s, &t, &rep)) != 0)
			return err;
		if (rep.f.count == 0) {
			p9_reply_free(&rep);
			return 0;
		}
		while (off < rep.f.count) {
			struct p9_dirent de;
			struct p9_stat st;
			ssize_t k;

			if (d->d == P9_2000L) {
				k = p9_dirent_decode(rep.f.data + off,
				    rep.f.count - off, &de);
				if (k > 0) {
					see(s, de.name.s, de.name.len);
					next = de.offset;
				}
			} else {
				k = p9_stat_decode(rep.f.data + off,
				    rep.f.count - off, d->d, &st);
				if (k > 0)
					see(s, st.name.s, st.name.len);
			}
			if (k <= 0) {
				p9_reply_free(&rep);
				return -EBADMSG;
			}
			off += (uint32_t)k;
		}
		/* 9P2000 reads go on where the last one ended */
		t.offset = d->d == P9_2000L ? next : t.offset + rep.f.count;
		p9_reply_free(&rep);
	}
	return -ELOOP;
}

static void
p_bigdir(struct doc *d, struct res *r)
{
	struct seen s = { 0 };
	struct p9_fid *dir, *f;
	unsigned missing = 0;
	int err, pages = 0;
	char name[16];

	if ((err = p9_mkdir(d->sd, "big", 0700)) != 0 ||
	    (err = p9_walk(d->sd, "big", &dir)) != 0) {
		say(r, V_SKIP, "cannot make a directory (%s)", ename(err));
		return;
	}
	for (int i = 0; i < BIGDIR && err == 0; i++) {
		snprintf(name, sizeof name, "e%08d", i);
		if ((err = p9_create(dir, name, O_WRONLY, 0600, &f)) == 0)
			p9_fid_put(f);
	}
	if (err) {
		say(r, V_SKIP, "cannot create %d files (%s)", BIGDIR,
		    ename(err));
		p9_fid_put(dir);
		return;
	}
	if ((s.count = calloc(BIGDIR, 1)) == NULL ||
	    (err = p9_walk(dir, "", &f)) != 0) {
		free(s.count);
		p9_fid_put(dir);
		say(r, V_SKIP, "out of memory or fids");
		return;
	}
	if ((err = p9_open(f, O_RDONLY | O_DIRECTORY)) == 0)
		err = page_through(d, f, &s, &pages);
	p9_fid_put(f);
	p9_fid_put(dir);
	for (int i = 0; i < BIGDIR; i++)
		missing += s.count[i] == 0;
	free(s.count);
	if (err)
		say(r, V_FAIL, "reading %d entries in pages of %d bytes "
		    "fails after %d pages (%s)", BIGDIR, PAGE, pages,
		    ename(err));
	else if (missing || s.dup || s.other)
		say(r, V_FAIL, "%d entries read in %d pages of %d bytes: %u "
		    "missing, %u twice, %u unknown", BIGDIR, pages, PAGE,
		    missing, s.dup, s.other);
	else
		say(r, V_OK, "%d entries read in %d pages of %d bytes, each "
		    "once", BIGDIR, pages, PAGE);
}

static void
p_longname(struct doc *d, struct res *r)
{
	char name[LONGNAME + 1];
	struct p9_fid *f;
	int err, werr;

	memset(name, 'n', LONGNAME);
	name[LONGNAME] = '\0';
	werr = p9_walk(d->sd, name, &f);
	if (werr == 0)
		p9_fid_put(f);
	err = p9_create(d->sd, name, O_RDWR, 0600, &f);
	if (err == 0) {
		p9_fid_put(f);
		p9_unlinkat(d->sd, name, 0);
		say(r, V_FAIL, "a %d-byte name is accepted by the create",
		    LONGNAME);
	} else if (err == -ENAMETOOLONG)
		say(r, V_OK, "a %d-byte name is refused with ENAMETOOLONG "
		    "(walk: %s)", LONGNAME, werr ? ename(werr) : "found!");
	else
		say(r, V_NOTE, "a %d-byte name is refused with %s, not "
		    "ENAMETOOLONG (walk: %s)", LONGNAME, ename(err),
		    werr ? ename(werr) : "found!");
}

const struct probe probes[] = {
	{ "walk .. at the root", p_dotdot, 0, 1 },
	{ "Tversion again", p_reversion, 0, 1 },
	{ "open, then unlink", p_unlinked, 1, 1 },
	{ "Tunlinkat, file open", p_unlinkat, 1, 1 },
	{ "rename across dirs", p_rename, 1, 1 },
	{ "flush in flight", p_flush, 1, 1 },
	{ "xattrs", p_xattr, 1, 1 },
	{ "locks", p_lock, 1, 1 },
	{ "large directory", p_bigdir, 1, 6 },
	{ "over-long name", p_longname, 1, 1 },
	{ NULL, NULL, 0, 0 },
};

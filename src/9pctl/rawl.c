/*
 * rawl.c - the shell's raw operations on the messages of 9P2000.L:
 * attributes, directory reads, extended attributes, locks, fsync and
 * the ones that make, link, rename and remove names in a directory.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raw.h"

int
raw_getattr(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tgetattr, .mask = P9_GETATTR_ALL };
	struct ctx c = { argc, argv, 0 };

	if (argc < 2 || argc > 3)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0)
		return 2;
	if (argc > 2 && strcasecmp(argv[2], "basic") == 0)
		t.mask = P9_GETATTR_BASIC;
	else if (argc > 2 && strcasecmp(argv[2], "all") != 0 &&
	    arg_num(argv[0], "a mask", argv[2], &t.mask) != 0)
		return 2;
	return xact(&t, &c, bg, NULL);
}

/* SEC[.NSEC] */
static int
arg_time(const char *op, const char *s, uint64_t *sec, uint64_t *nsec)
{
	char *copy = strdup(s), *dot;
	int rc;

	if (copy == NULL)
		errx(1, "out of memory");
	*nsec = 0;
	if ((dot = strchr(copy, '.')) != NULL)
		*dot++ = '\0';
	rc = arg_num(op, "a time in seconds", copy, sec);
	if (rc == 0 && dot)
		rc = arg_num(op, "nanoseconds", dot, nsec);
	free(copy);
	return rc;
}

/*
 * setattr FID FIELD=VALUE ...: mode uid gid size, atime and mtime as
 * SEC[.NSEC] or now (the server's clock), ctime=now.
 */
int
raw_setattr(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tsetattr };
	struct ctx c = { argc, argv, 0 };
	struct p9_attr *a = &t.attr;

	if (argc < 3)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0)
		return 2;
	for (int i = 2; i < argc; i++) {
		char *v = strchr(argv[i], '=');
		uint32_t x32;
		int bad = 0, now;

		if (v == NULL) {
			warnx("%s: %s: expected FIELD=VALUE", argv[0], argv[i]);
			return 2;
		}
		*v++ = '\0';
		now = strcmp(v, "now") == 0;
		if (strcmp(argv[i], "mode") == 0) {
			bad = arg_mode(argv[0], v, &a->mode);
			a->valid |= P9_SETATTR_MODE;
		} else if (strcmp(argv[i], "uid") == 0) {
			bad = arg_u32(argv[0], "a uid", v, &x32);
			a->uid = x32;
			a->valid |= P9_SETATTR_UID;
		} else if (strcmp(argv[i], "gid") == 0) {
			bad = arg_u32(argv[0], "a gid", v, &x32);
			a->gid = x32;
			a->valid |= P9_SETATTR_GID;
		} else if (strcmp(argv[i], "size") == 0) {
			bad = arg_num(argv[0], "a size", v, &a->size);
			a->valid |= P9_SETATTR_SIZE;
		} else if (strcmp(argv[i], "atime") == 0) {
			a->valid |= P9_SETATTR_ATIME | (now ? 0 :
			    P9_SETATTR_ATIME_SET);
			if (!now)
				bad = arg_time(argv[0], v, &a->atime_sec,
				    &a->atime_nsec);
		} else if (strcmp(argv[i], "mtime") == 0) {
			a->valid |= P9_SETATTR_MTIME | (now ? 0 :
			    P9_SETATTR_MTIME_SET);
			if (!now)
				bad = arg_time(argv[0], v, &a->mtime_sec,
				    &a->mtime_nsec);
		} else if (strcmp(argv[i], "ctime") == 0 && now)
			a->valid |= P9_SETATTR_CTIME;
		else {
			warnx("%s: %s=%s: not a setattr field", argv[0],
			    argv[i], v);
			return 2;
		}
		if (bad)
			return 2;
	}
	return xact(&t, &c, bg, NULL);
}

static void
after_readdir(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	struct p9_dirent de;
	char q[64];

	(void)t;
	(void)c;
	if (r == NULL)
		return;
	for (uint32_t off = 0; off < r->count;) {
		ssize_t k = p9_dirent_decode(r->data + off, r->count - off,
		    &de);

		if (k <= 0) {
			if (k < 0)
				printf("  (malformed entry at byte %u)\n", off);
			break;
		}
		off += (uint32_t)k;
		fmt_qid(&de.qid, q, sizeof q);
		printf("  %s offset %llu type %u %.*s\n", q,
		    (unsigned long long)de.offset, de.type, (int)de.name.len,
		    de.name.s);
	}
	fflush(stdout);
}

/* readdir FID [OFFSET [COUNT]] */
int
raw_readdir(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Treaddir };
	struct ctx c = { argc, argv, 0 };

	if (argc < 2 || argc > 4)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    (argc > 2 && arg_num(argv[0], "an offset", argv[2],
	    &t.offset) != 0) ||
	    (argc > 3 && arg_u32(argv[0], "a count", argv[3], &t.count) != 0))
		return 2;
	if (argc < 4)
		t.count = maxcount(t.fid);
	return xact(&t, &c, bg, after_readdir);
}

/* ---- xattrs, locks, fsync ----------------------------------------------- */

static void
after_xattrwalk(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	struct rfid *f;

	if (r == NULL)
		return;
	f = tab_set(t->newfid, fidpath(t->fid), NULL);
	snprintf(f->mode, sizeof f->mode, "xattr %s", c->argc > 3 ?
	    c->argv[3] : "(list)");
}

/* xattrwalk FID NEWFID [NAME]: no NAME lists the names */
int
raw_xattrwalk(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Txattrwalk };
	struct ctx c = { argc, argv, 0 };

	if (argc < 3 || argc > 4)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    arg_fid(argv[0], argv[2], &t.newfid) != 0)
		return 2;
	t.name = pstr(argc > 3 ? argv[3] : "");
	if (t.newfid != t.fid && tab_reserve(t.newfid) != 0)
		return 1;
	return xact(&t, &c, bg, after_xattrwalk);
}

static void
after_xattrcreate(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	struct rfid *f;

	if (r == NULL)
		return;
	f = tab_need(t->fid);
	snprintf(f->mode, sizeof f->mode, "xattrcreate %s", c->argv[2]);
}

/* xattrcreate FID NAME SIZE [FLAGS]: FLAGS 0, create (1), replace (2) */
int
raw_xattrcreate(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Txattrcreate };
	struct ctx c = { argc, argv, 0 };

	if (argc < 4 || argc > 5)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    arg_num(argv[0], "a size", argv[3], &t.size) != 0)
		return 2;
	if (argc > 4 && strcasecmp(argv[4], "create") == 0)
		t.flags = 1;
	else if (argc > 4 && strcasecmp(argv[4], "replace") == 0)
		t.flags = 2;
	else if (argc > 4 && arg_u32(argv[0], "flags", argv[4], &t.flags))
		return 2;
	t.name = pstr(argv[2]);
	return xact(&t, &c, bg, after_xattrcreate);
}

/*
 * lock FID TYPE [START [LENGTH [FLAGS [PROC_ID [CLIENT_ID]]]]]
 * getlock FID TYPE [START [LENGTH [PROC_ID [CLIENT_ID]]]]
 */
int
raw_lock(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tlock };
	struct ctx c = { argc, argv, 0 };
	int get = optype(argv[0]) == P9_Tgetlock, i = 3;
	struct p9_flock *l = &t.lock;

	l->proc_id = (uint32_t)getpid();
	l->client_id = pstr("9pctl");
	if (argc < 3 || argc > (get ? 7 : 8))
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    arg_locktype(argv[0], argv[2], &l->type) != 0)
		return 2;
	if (argc > i && arg_num(argv[0], "a start", argv[i++], &l->start))
		return 2;
	if (argc > i && arg_num(argv[0], "a length", argv[i++], &l->length))
		return 2;
	if (!get && argc > i) {
		if (strcasecmp(argv[i], "block") == 0)
			l->flags = P9_LOCK_FLAGS_BLOCK, i++;
		else if (strcasecmp(argv[i], "reclaim") == 0)
			l->flags = P9_LOCK_FLAGS_RECLAIM, i++;
		else if (arg_u32(argv[0], "flags", argv[i++], &l->flags))
			return 2;
	}
	if (argc > i && arg_u32(argv[0], "a process ID", argv[i++],
	    &l->proc_id))
		return 2;
	if (argc > i)
		l->client_id = pstr(argv[i]);
	t.type = get ? P9_Tgetlock : P9_Tlock;
	return xact(&t, &c, bg, NULL);
}

/* fsync FID [DATASYNC] */
int
raw_fsync(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tfsync };
	struct ctx c = { argc, argv, 0 };

	if (argc < 2 || argc > 3)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    (argc > 2 && arg_u32(argv[0], "0 or 1", argv[2], &t.datasync)))
		return 2;
	return xact(&t, &c, bg, NULL);
}

/* ---- names in directories ----------------------------------------------- */

/* mkdir DFID NAME [MODE [GID]] */
int
raw_mkdir(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tmkdir, .mode = 0755 };
	struct ctx c = { argc, argv, 0 };

	t.gid = (uint32_t)getgid();
	if (argc < 3 || argc > 5)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.dfid) != 0 ||
	    (argc > 3 && arg_mode(argv[0], argv[3], &t.mode) != 0) ||
	    (argc > 4 && arg_u32(argv[0], "a gid", argv[4], &t.gid) != 0))
		return 2;
	t.name = pstr(argv[2]);
	return xact(&t, &c, bg, NULL);
}

/* symlink FID NAME TARGET [GID] */
int
raw_symlink(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tsymlink };
	struct ctx c = { argc, argv, 0 };

	t.gid = (uint32_t)getgid();
	if (argc < 4 || argc > 5)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    (argc > 4 && arg_u32(argv[0], "a gid", argv[4], &t.gid) != 0))
		return 2;
	t.name = pstr(argv[2]);
	t.target = pstr(argv[3]);
	return xact(&t, &c, bg, NULL);
}

/* link DFID FID NAME */
int
raw_link(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tlink };
	struct ctx c = { argc, argv, 0 };

	if (argc != 4)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.dfid) != 0 ||
	    arg_fid(argv[0], argv[2], &t.fid) != 0)
		return 2;
	t.name = pstr(argv[3]);
	return xact(&t, &c, bg, NULL);
}

/* mknod DFID NAME MODE [MAJOR MINOR [GID]] */
int
raw_mknod(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tmknod };
	struct ctx c = { argc, argv, 0 };

	t.gid = (uint32_t)getgid();
	if (argc != 4 && argc != 6 && argc != 7)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.dfid) != 0 ||
	    arg_mode(argv[0], argv[3], &t.mode) != 0 ||
	    (argc > 4 && (arg_u32(argv[0], "a major", argv[4], &t.major) ||
	    arg_u32(argv[0], "a minor", argv[5], &t.minor))) ||
	    (argc > 6 && arg_u32(argv[0], "a gid", argv[6], &t.gid) != 0))
		return 2;
	t.name = pstr(argv[2]);
	return xact(&t, &c, bg, NULL);
}

static void
after_rename(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	char *from, *to;

	if (r == NULL)
		return;
	if (t->type == P9_Trename) {
		from = strdup(fidpath(t->fid));
		to = path_join(fidpath(t->dfid), c->argv + 3, 1);
	} else {
		from = path_join(fidpath(t->fid), c->argv + 2, 1);
		to = path_join(fidpath(t->dfid), c->argv + 4, 1);
	}
	if (from == NULL)
		errx(1, "out of memory");
	tab_rename(from, to);
	free(from);
	free(to);
}

/* rename FID DFID NAME */
int
raw_rename(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Trename };
	struct ctx c = { argc, argv, 0 };

	if (argc != 4)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    arg_fid(argv[0], argv[2], &t.dfid) != 0)
		return 2;
	t.name = pstr(argv[3]);
	return xact(&t, &c, bg, after_rename);
}

/* renameat OLDDIRFID OLDNAME NEWDIRFID NEWNAME */
int
raw_renameat(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Trenameat };
	struct ctx c = { argc, argv, 0 };

	if (argc != 5)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    arg_fid(argv[0], argv[3], &t.dfid) != 0)
		return 2;
	t.name = pstr(argv[2]);
	t.newname = pstr(argv[4]);
	return xact(&t, &c, bg, after_rename);
}

/* unlinkat DIRFID NAME [FLAGS]: FLAGS a number or AT_REMOVEDIR (dir) */
int
raw_unlinkat(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tunlinkat };
	struct ctx c = { argc, argv, 0 };

	if (argc < 3 || argc > 4)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0)
		return 2;
	if (argc > 3 && (strcasecmp(argv[3], "AT_REMOVEDIR") == 0 ||
	    strcasecmp(argv[3], "dir") == 0))
		t.flags = P9_AT_REMOVEDIR;
	else if (argc > 3 && arg_u32(argv[0], "flags", argv[3], &t.flags))
		return 2;
	t.name = pstr(argv[2]);
	return xact(&t, &c, bg, NULL);
}


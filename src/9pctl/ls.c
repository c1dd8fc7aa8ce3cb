/*
 * ls.c - the ls and stat commands: listings in the layout of ls(1) -l so
 * they can be compared with the exported folder, attributes fetched in
 * pipelined batches.
 */
#include <err.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "9pctl.h"

struct ent {
	struct p9_stbuf	st;
	char		link[1024];
};

struct list {
	struct ent	*v;
	size_t		 n, cap;
};

static int lflag, Rflag;

static int
add(void *arg, const struct p9_stbuf *st)
{
	struct list *l = arg;

	if (strcmp(st->name, ".") == 0 || strcmp(st->name, "..") == 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct ent *v = realloc(l->v, cap * sizeof *v);

		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof l->v[l->n]);
	l->v[l->n++].st = *st;
	return interrupted ? -EINTR : 0;
}

static int
byname(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->st.name,
	    ((const struct ent *)b)->st.name);
}

static void
modestr(uint32_t m, char *s)
{
	static const char types[] = "?pc?d?b?-?l?s???";
	const char *rwx = "rwxrwxrwx";

	s[0] = types[(m >> 12) & 15];
	for (int i = 0; i < 9; i++)
		s[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		s[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		s[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		s[9] = (m & S_IXOTH) ? 't' : 'T';
	s[10] = '\0';
}

static void
owner(const struct p9_stbuf *st, int group, char *out, size_t cap)
{
	const char *name = group ? st->gname : st->uname;
	uint32_t id = group ? st->gid : st->uid;
	struct passwd *pw;
	struct group *gr;

	if (name[0])
		snprintf(out, cap, "%s", name);
	else if (!group && (pw = getpwuid(id)) != NULL)
		snprintf(out, cap, "%s", pw->pw_name);
	else if (group && (gr = getgrgid(id)) != NULL)
		snprintf(out, cap, "%s", gr->gr_name);
	else
		snprintf(out, cap, "%u", id);
}

static void
datestr(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t, now = time(NULL);
	struct tm tm;

	/* as GNU ls: the time of day within the past six months (half the
	   average Gregorian year), else the year, the future included */
	localtime_r(&tt, &tm);
	if (tt > now - 15778476 && tt <= now)
		strftime(out, cap, "%b %e %H:%M", &tm);
	else
		strftime(out, cap, "%b %e  %Y", &tm);
}

static int
numwidth(uint64_t v)
{
	int w = 1;

	while (v >= 10)
		v /= 10, w++;
	return w;
}

static void
print_long(struct ent *v, size_t n, int total)
{
	int wl = 1, wu = 1, wg = 1, ws = 1;
	uint64_t blocks = 0;
	char u[64], g[64];

	for (size_t i = 0; i < n; i++) {
		struct p9_stbuf *st = &v[i].st;

		owner(st, 0, u, sizeof u);
		owner(st, 1, g, sizeof g);
		wl = numwidth(st->nlink) > wl ? numwidth(st->nlink) : wl;
		wu = (int)strlen(u) > wu ? (int)strlen(u) : wu;
		wg = (int)strlen(g) > wg ? (int)strlen(g) : wg;
		ws = numwidth(st->size) > ws ? numwidth(st->size) : ws;
		blocks += (st->blocks + 1) / 2;
	}
	if (total)
		printf("total %llu\n", (unsigned long long)blocks);
	for (size_t i = 0; i < n; i++) {
		struct p9_stbuf *st = &v[i].st;
		char m[11], d[32];

		modestr(st->mode, m);
		owner(st, 0, u, sizeof u);
		owner(st, 1, g, sizeof g);
		datestr(st->mtime, d, sizeof d);
		printf("%s %*llu %-*s %-*s ", m, wl,
		    (unsigned long long)st->nlink, wu, u, wg, g);
		if (S_ISCHR(st->mode) || S_ISBLK(st->mode))
			printf("%u, %u", major(st->rdev), minor(st->rdev));
		else
			printf("%*llu", ws, (unsigned long long)st->size);
		printf(" %s %s", d, st->name);
		if (S_ISLNK(st->mode) && v[i].link[0])
			printf(" -> %s", v[i].link);
		putchar('\n');
	}
}

/* Fill in what readdir did not give: attributes and link targets. */
static int
complete(struct p9_fid *dir, struct list *l)
{
	const char **names;
	int *errs;

	if (l->n == 0)
		return 0;
	names = calloc(l->n, sizeof *names);
	errs = calloc(l->n, sizeof *errs);
	if (names == NULL || errs == NULL) {
		free(names);
		free(errs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l->n; i++)
		names[i] = l->v[i].st.name;
	if (!(l->v[0].st.valid & P9_GETATTR_MODE)) {
		struct p9_stbuf *out = calloc(l->n, sizeof *out);

		if (out == NULL) {
			free(names);
			free(errs);
			return -ENOMEM;
		}
		p9_getattr_many(dir, names, l->n, out, errs, NULL);
		for (size_t i = 0; i < l->n; i++)
			if (errs[i] == 0)
				l->v[i].st = out[i];
			else
				fail(l->v[i].st.name, errs[i]);
		free(out);
	}
	for (size_t i = 0; i < l->n; i++) {
		struct p9_fid *f;

		if (!S_ISLNK(l->v[i].st.mode) || p9_walk(dir, names[i], &f))
			continue;
		if (p9_readlink(f, l->v[i].link, sizeof l->v[i].link) < 0)
			l->v[i].link[0] = '\0';
		p9_fid_put(f);
	}
	free(names);
	free(errs);
	return 0;
}

static int
list_dir(const char *path, struct p9_fid *dir, int header)
{
	struct list l = { 0 };
	int err, rc = 0;

	if ((err = p9_readdir(dir, add, &l)) != 0) {
		free(l.v);
		return fail(path, err);
	}
	if (lflag && (err = complete(dir, &l)) != 0)
		rc = fail(path, err);
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, byname);
	if (header)
		printf("%s:\n", path);
	if (lflag)
		print_long(l.v, l.n, 1);
	else
		for (size_t i = 0; i < l.n; i++)
			printf("%s\n", l.v[i].st.name);
	for (size_t i = 0; Rflag && i < l.n && !interrupted; i++) {
		struct p9_fid *sub;
		char *p;

		if (!S_ISDIR(l.v[i].st.mode) && l.v[i].st.mode != 0)
			continue;
		if (asprintf(&p, "%s%s%s", path,
		    path[strlen(path) - 1] == '/' ? "" : "/",
		    l.v[i].st.name) < 0)
			continue;
		if ((err = p9_walk(dir, l.v[i].st.name, &sub)) != 0)
			rc |= fail(p, err);
		else {
			if (p9_fid_qid(sub)->type & P9_QTDIR) {
				putchar('\n');
				rc |= list_dir(p, sub, 1);
			}
			p9_fid_put(sub);
		}
		free(p);
	}
	free(l.v);
	return rc;
}

int
cmd_ls(int argc, char **argv)
{
	int ch, rc = 0, err;

	lflag = Rflag = 0;
	while ((ch = getopt(argc, argv, "lR")) != -1) {
		switch (ch) {
		case 'l': lflag = 1; break;
		case 'R': Rflag = 1; break;
		default: return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		static char *here[2];

		here[0] = cwd;	/* "/" outside the shell */
		argc = 1;
		argv = here;
	}
	for (int i = 0; i < argc && !interrupted; i++) {
		struct p9_fid *f;
		struct ent e;

		if ((err = walkto(argv[i], &f)) != 0) {
			rc |= fail(argv[i], err);
			continue;
		}
		if (p9_fid_qid(f)->type & P9_QTDIR) {
			if (argc > 1 && !Rflag)
				printf("%s%s:\n", i ? "\n" : "", argv[i]);
			rc |= list_dir(argv[i], f, Rflag);
		} else if ((err = p9_getattr(f, &e.st)) != 0) {
			rc |= fail(argv[i], err);
		} else {
			snprintf(e.st.name, sizeof e.st.name, "%s", argv[i]);
			e.link[0] = '\0';
			if (S_ISLNK(e.st.mode))
				p9_readlink(f, e.link, sizeof e.link);
			if (lflag)
				print_long(&e, 1, 0);
			else
				printf("%s\n", argv[i]);
		}
		p9_fid_put(f);
	}
	return rc;
}

static const char *
typename(uint32_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symbolic link";
	case S_IFCHR: return "character special file";
	case S_IFBLK: return "block special file";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	default: return "regular file";
	}
}

static void
print_time(const char *label, int64_t sec, uint32_t nsec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char buf[64];

	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s: %s.%09u\n", label, buf, nsec);
}

int
cmd_stat(int argc, char **argv)
{
	int rc = 0, err;

	if (argc < 2)
		return 2;
	for (int i = 1; i < argc; i++) {
		struct p9_fid *f;
		struct p9_stbuf st;
		const struct p9_qid *q;
		char m[11], u[64], g[64];

		if ((err = walkto(argv[i], &f)) != 0) {
			rc |= fail(argv[i], err);
			continue;
		}
		if ((err = p9_getattr(f, &st)) != 0) {
			rc |= fail(argv[i], err);
			p9_fid_put(f);
			continue;
		}
		q = &st.qid;
		modestr(st.mode, m);
		owner(&st, 0, u, sizeof u);
		owner(&st, 1, g, sizeof g);
		printf("  File: %s\n", argv[i]);
		printf("  Size: %llu\tBlocks: %llu\tIO Block: %llu\t%s\n",
		    (unsigned long long)st.size, (unsigned long long)st.blocks,
		    (unsigned long long)st.blksize, typename(st.mode));
		printf("   Qid: path %#llx version %u type %#x\tLinks: %llu\n",
		    (unsigned long long)q->path, q->version, q->type,
		    (unsigned long long)st.nlink);
		printf("Access: (%04o/%s)  ", st.mode & 07777, m);
		/* 9P2000 knows owners by name only */
		if (st.uid == P9_NOFID)
			printf("Uid: (%s)  Gid: (%s)\n", u, g);
		else
			printf("Uid: (%u/%s)  Gid: (%u/%s)\n", st.uid, u,
			    st.gid, g);
		print_time("Access", st.atime, st.atime_ns);
		print_time("Modify", st.mtime, st.mtime_ns);
		print_time("Change", st.ctime, st.ctime_ns);
		p9_fid_put(f);
	}
	return rc;
}

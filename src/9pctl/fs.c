/*
 * fs.c - version, mkdir, rm, mv and df.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "9pctl.h"

int
cmd_devices(int argc, char **argv)
{
	struct p9_vdev *v;
	int n, err;

	(void)argv;
	if (argc != 1)
		return 2;
	if ((err = p9_virtio_list(&v, &n)) != 0)
		return fail("devices", err);
	printf("%-13s %-9s %-16s %-11s %-6s %s\n", "PCI", "INTERFACE", "TAG",
	    "DRIVER", "GROUP", "USABLE");
	for (int i = 0; i < n; i++)
		printf("%-13s %-9s %-16s %-11s %-6s %s%s\n", v[i].bdf,
		    v[i].modern && v[i].legacy ? "both" : v[i].modern ?
		    "modern" : "legacy", v[i].tag[0] ? v[i].tag : "?",
		    v[i].driver[0] ? v[i].driver : "-",
		    v[i].group[0] ? v[i].group : "-",
		    v[i].usable ? "yes" : "no: ", v[i].usable ? "" : v[i].why);
	if (n == 0)
		printf("(no virtio-9p device)\n");
	free(v);
	return 0;
}

int
cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return 2;
	printf("%s msize %u\n", p9_dialect_name(p9_session_dialect(sess)),
	    p9_session_msize(sess));
	return 0;
}

static int
mkdir_one(const char *path, int parents)
{
	struct p9_fid *dir, *f;
	const char *name;
	int err;

	if (parents && walkto(path, &f) == 0) {
		int isdir = p9_fid_qid(f)->type & P9_QTDIR;

		p9_fid_put(f);
		return isdir ? 0 : -ENOTDIR;
	}
	if ((err = walkparent(path, &dir, &name)) == -ENOENT && parents) {
		char *up = strdup(path), *e;

		if (up == NULL)
			return -ENOMEM;
		e = up + strlen(up);
		while (e > up && e[-1] == '/')
			*--e = '\0';
		if ((e = strrchr(up, '/')) != NULL && e != up) {
			*e = '\0';
			err = mkdir_one(up, 1);
		}
		free(up);
		if (err == 0 || err == -ENOENT)
			err = walkparent(path, &dir, &name);
	}
	if (err)
		return err;
	err = p9_mkdir(dir, name, 0777 & ~(mode_t)umask(umask(0)));
	p9_fid_put(dir);
	return err;
}

int
cmd_mkdir(int argc, char **argv)
{
	int ch, pflag = 0, rc = 0, err;

	while ((ch = getopt(argc, argv, "p")) != -1) {
		if (ch != 'p')
			return 2;
		pflag = 1;
	}
	if (optind >= argc)
		return 2;
	for (int i = optind; i < argc; i++)
		if ((err = mkdir_one(argv[i], pflag)) != 0)
			rc |= fail(argv[i], err);
	return rc;
}


static int
rm_child(void *arg, const struct p9_stbuf *st)
{
	char **names = arg;
	size_t n = 0;

	if (strcmp(st->name, ".") == 0 || strcmp(st->name, "..") == 0)
		return 0;
	while (names[n])
		n++;
	if (n >= 4095)
		return -E2BIG;
	if ((names[n] = strdup(st->name)) == NULL)
		return -ENOMEM;
	names[n + 1] = NULL;
	return 0;
}

/* Remove every entry of the directory path (in rounds of 4094 names). */
static int
rm_children(const char *path, struct p9_fid *d)
{
	char **names = calloc(4096, sizeof *names);
	int err, rc = 0;

	if (names == NULL)
		return -ENOMEM;
	do {
		err = p9_readdir(d, rm_child, names);
		for (size_t i = 0; names[i]; i++) {
			char *p;

			if (rc == 0 && asprintf(&p, "%s/%s", path, names[i]) >= 0) {
				rc = rm_path(p, 1);
				free(p);
			}
			free(names[i]);
			names[i] = NULL;
		}
	} while (err == -E2BIG && rc == 0);
	free(names);
	return rc ? rc : err;
}

int
rm_path(const char *path, int recursive)
{
	struct p9_fid *dir, *f;
	const char *name;
	int err, isdir;

	if ((err = walkto(path, &f)) != 0)
		return err;
	isdir = p9_fid_qid(f)->type & P9_QTDIR;
	if (isdir && !recursive)
		err = -EISDIR;	/* as rm(1): directories need -r */
	else if (isdir)
		err = rm_children(path, f);
	p9_fid_put(f);
	if (err)
		return err;
	if ((err = walkparent(path, &dir, &name)) != 0)
		return err;
	err = p9_unlinkat(dir, name, isdir ? AT_REMOVEDIR : 0);
	p9_fid_put(dir);
	return err;
}

int
cmd_rm(int argc, char **argv)
{
	int ch, rflag = 0, rc = 0, err;

	while ((ch = getopt(argc, argv, "r")) != -1) {
		if (ch != 'r')
			return 2;
		rflag = 1;
	}
	if (optind >= argc)
		return 2;
	for (int i = optind; i < argc; i++)
		if ((err = rm_path(argv[i], rflag)) != 0)
			rc |= fail(argv[i], err);
	return rc;
}

int
cmd_mv(int argc, char **argv)
{
	struct p9_fid *od, *nd, *f;
	const char *oname, *nname;
	char *from = NULL, *to = NULL, *path = NULL;
	int err;

	if (argc != 3)
		return 2;
	/* moving onto an existing directory moves into it */
	if (walkto(argv[2], &f) == 0) {
		if ((p9_fid_qid(f)->type & P9_QTDIR) &&
		    asprintf(&path, "%s/%s", argv[2], basename_of(argv[1])) < 0)
			errx(1, "out of memory");
		p9_fid_put(f);
	}
	if ((err = walkparent(argv[1], &od, &oname)) != 0)
		return fail(argv[1], err);
	from = strdup(oname);
	if ((err = walkparent(path ? path : argv[2], &nd, &nname)) != 0) {
		p9_fid_put(od);
		free(from);
		free(path);
		return fail(argv[2], err);
	}
	to = strdup(nname);
	if (from == NULL || to == NULL)
		err = -ENOMEM;
	else
		err = p9_renameat(od, from, nd, to);
	p9_fid_put(od);
	p9_fid_put(nd);
	free(from);
	free(to);
	free(path);
	return err ? fail(argv[1], err) : 0;
}

int
cmd_df(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : cwd;
	struct p9_statfs st;
	struct p9_fid *f;
	unsigned long long k, total, used, avail;
	int err;

	if (argc > 2)
		return 2;
	if ((err = walkto(path, &f)) != 0)
		return fail(path, err);
	err = p9_statfs(f, &st);
	p9_fid_put(f);
	if (err)
		return fail(path, err);
	k = st.bsize / 1024 ? st.bsize / 1024 : 1;
	total = st.blocks * k;
	used = (st.blocks - st.bfree) * k;
	avail = st.bavail * k;
	printf("%-20s %12s %12s %12s %4s %10s %10s\n", "Filesystem",
	    "1K-blocks", "Used", "Available", "Use%", "Inodes", "IFree");
	printf("%-20s %12llu %12llu %12llu %3llu%% %10llu %10llu\n", path,
	    total, used, avail, used + avail ?
	    (used * 100 + used + avail - 1) / (used + avail) : 0ULL,
	    (unsigned long long)st.files, (unsigned long long)st.ffree);
	return 0;
}

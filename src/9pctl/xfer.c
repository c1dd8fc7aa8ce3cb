/*
 * xfer.c - cat, get and put: whole-file transfers with several requests
 * in flight (p9_readall / p9_writeall).  get writes to a temporary file
 * and renames it into place only when the whole file has arrived.  get
 * and put show their progress on a terminal (progress.c).
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

#define DEPTH	16

/* where data goes or comes from, and the progress line that counts it */
struct end {
	int		 fd;
	struct progress	*pg;
};

static int
to_fd(void *arg, const void *data, size_t n, uint64_t off)
{
	struct end *e = arg;
	int fd = e->fd;
	const char *p = data;

	(void)off;
	if (e->pg)
		progress_add(e->pg, n);
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR && !interrupted)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return interrupted ? -EINTR : 0;
}

static int
to_file(void *arg, const void *data, size_t n, uint64_t off)
{
	struct end *e = arg;
	int fd = e->fd;
	const char *p = data;

	progress_add(e->pg, n);
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR && !interrupted)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return interrupted ? -EINTR : 0;
}

static int
open_remote(const char *path, struct p9_fid **f)
{
	int err;

	if ((err = walkto(path, f)) != 0)
		return err;
	if (p9_fid_qid(*f)->type & P9_QTDIR) {
		p9_fid_put(*f);
		return -EISDIR;
	}
	if ((err = p9_open(*f, O_RDONLY)) != 0)
		p9_fid_put(*f);
	return err;
}

int
cmd_cat(int argc, char **argv)
{
	struct end out = { STDOUT_FILENO, NULL };
	int rc = 0, err;

	if (argc < 2)
		return 2;
	for (int i = 1; i < argc && !interrupted; i++) {
		struct p9_fid *f;

		if ((err = open_remote(argv[i], &f)) != 0) {
			rc |= fail(argv[i], err);
			continue;
		}
		if ((err = p9_readall(f, 0, DEPTH, to_fd, &out)) != 0)
			rc |= fail(argv[i], err);
		p9_fid_put(f);
	}
	return rc;
}

/* The size of an open remote file, for the progress line; 0 unknown. */
static uint64_t
remote_size(struct p9_fid *f)
{
	struct p9_stbuf st;

	/* one more round trip: only for a progress line that is shown */
	if (!isatty(STDERR_FILENO) || p9_getattr(f, &st) != 0)
		return 0;
	return st.size;
}

int
cmd_get(int argc, char **argv)
{
	const char *remote, *local;
	struct p9_fid *f;
	struct progress pg;
	struct end e;
	char *tmp = NULL;
	int fd, err;

	if (argc < 2 || argc > 3)
		return 2;
	remote = argv[1];
	local = argc == 3 ? argv[2] : basename_of(remote);
	if ((err = open_remote(remote, &f)) != 0)
		return fail(remote, err);
	progress_start(&pg, remote, remote_size(f));
	if (strcmp(local, "-") == 0) {
		e = (struct end){ STDOUT_FILENO, &pg };
		err = p9_readall(f, 0, DEPTH, to_fd, &e);
		p9_fid_put(f);
		progress_end(&pg, err == 0);
		return err ? fail(remote, err) : 0;
	}
	if (asprintf(&tmp, "%s.9pctl-XXXXXX", local) < 0)
		errx(1, "out of memory");
	if ((fd = mkstemp(tmp)) < 0) {
		warn("%s", local);
		p9_fid_put(f);
		free(tmp);
		return 1;
	}
	fchmod(fd, 0666 & ~(mode_t)umask(umask(0)));
	e = (struct end){ fd, &pg };
	err = p9_readall(f, 0, DEPTH, to_file, &e);
	p9_fid_put(f);
	progress_end(&pg, err == 0);
	if (err == 0 && close(fd) != 0)
		err = -errno;
	else if (err)
		close(fd);
	if (err == 0 && rename(tmp, local) != 0) {
		warn("%s", local);
		unlink(tmp);
		free(tmp);
		return 1;
	}
	if (err) {
		unlink(tmp);
		free(tmp);
		return fail(remote, err);
	}
	free(tmp);
	return 0;
}

static ssize_t
from_fd(void *arg, void *buf, size_t cap)
{
	struct end *e = arg;
	int fd = e->fd;
	size_t got = 0;

	/* fill whole chunks so every Twrite but the last is full-sized */
	while (got < cap) {
		ssize_t r = read(fd, (char *)buf + got, cap - got);

		if (interrupted)
			return -EINTR;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	progress_add(e->pg, got);
	return (ssize_t)got;
}

int
cmd_put(int argc, char **argv)
{
	const char *local, *remote, *name;
	struct p9_fid *f, *dir;
	struct progress pg;
	struct end e;
	struct stat st;
	char *path = NULL;
	int fd, err;

	if (argc != 3)
		return 2;
	local = argv[1];
	remote = argv[2];
	if (strcmp(local, "-") == 0) {
		fd = STDIN_FILENO;
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
			st.st_size = 0;	/* a pipe: size unknown */
		st.st_mode = 0644;
	} else if ((fd = open(local, O_RDONLY)) < 0 || fstat(fd, &st) < 0) {
		warn("%s", local);
		return 1;
	}
	/* an existing directory receives the file under its own name */
	if (walkto(remote, &f) == 0) {
		if (p9_fid_qid(f)->type & P9_QTDIR) {
			p9_fid_put(f);
			if (fd == STDIN_FILENO) {
				warnx("%s: is a directory; name the file to "
				    "write standard input to", remote);
				return 1;
			}
			if (asprintf(&path, "%s/%s", remote,
			    basename_of(local)) < 0)
				errx(1, "out of memory");
			remote = path;
		} else
			p9_fid_put(f);
	}
	if (walkto(remote, &f) == 0) {
		if ((err = p9_open(f, O_WRONLY | O_TRUNC)) != 0)
			p9_fid_put(f);
	} else if ((err = walkparent(remote, &dir, &name)) == 0) {
		err = p9_create(dir, name, O_WRONLY | O_TRUNC,
		    st.st_mode & 0777, &f);
		p9_fid_put(dir);
	}
	if (err == 0) {
		progress_start(&pg, local, S_ISREG(st.st_mode) || fd ==
		    STDIN_FILENO ? (uint64_t)st.st_size : 0);
		e = (struct end){ fd, &pg };
		err = p9_writeall(f, 0, DEPTH, from_fd, &e);
		p9_fid_put(f);
		progress_end(&pg, err == 0);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (err)
		fail(remote, err);
	free(path);
	return err ? 1 : 0;
}

/*
 * util.c - error reporting and path helpers for 9pctl commands.
 */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "9pctl.h"

/*
 * Report err for what ("9pctl: /a/b: No such file or directory").  Server
 * errors read as their errno; protocol and transport failures show the
 * library's reason, which says more.
 */
int
fail(const char *what, int err)
{
	switch (-err) {
	case EPROTO: case EBADMSG: case EMSGSIZE: case ECONNRESET:
	case EPIPE: case ENOTCONN: case EPROTONOSUPPORT: case ENOTSUP:
	case EXDEV:
		warnx("%s: %s", what, p9_errstr());
		break;
	default:
		warnx("%s: %s", what, strerror(-err));
	}
	return 1;
}

int
walkto(const char *path, struct p9_fid **f)
{
	return p9_walk(p9_session_root(sess), path, f);
}

const char *
basename_of(const char *path)
{
	const char *e = path + strlen(path), *b;

	while (e > path && e[-1] == '/')
		e--;
	for (b = e; b > path && b[-1] != '/'; b--)
		;
	return b;
}

/*
 * Walk to the directory holding path's last element; *name points into
 * a static copy of that element.
 */
int
walkparent(const char *path, struct p9_fid **dir, const char **name)
{
	static char last[4096];
	char *copy = strdup(path), *e;
	int err;

	if (copy == NULL)
		return -ENOMEM;
	e = copy + strlen(copy);
	while (e > copy && e[-1] == '/')
		*--e = '\0';
	if ((e = strrchr(copy, '/')) != NULL) {
		snprintf(last, sizeof last, "%s", e + 1);
		e[1] = '\0';
	} else {
		snprintf(last, sizeof last, "%s", copy);
		copy[0] = '\0';
	}
	if (last[0] == '\0' || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
		free(copy);
		return -EINVAL;
	}
	err = walkto(copy, dir);
	free(copy);
	*name = last;
	return err;
}

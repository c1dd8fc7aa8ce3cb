/*
 * util.c - error reporting, path helpers (relative to the shell's current
 * directory) and strict number parsing for 9pctl commands.
 */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "9pctl.h"

char cwd[4096] = "/";

/*
 * Report err for what ("9pctl: /a/b: No such file or directory").  Server
 * errors read as their errno; protocol and transport failures show the
 * library's reason, which says more.
 */
int
fail(const char *what, int err)
{
	/* whatever ended the connection (e.g. a server that stopped
	   answering, ETIMEDOUT) reads as "connection lost: why" */
	if (sess != NULL && err < 0 && err == p9_session_error(sess)) {
		warnx("%s: %s", what, p9_errstr());
		return 1;
	}
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

/*
 * Walk from the root to path; a relative path starts at the shell's
 * current directory (the root outside the shell).
 */
int
walkto(const char *path, struct p9_fid **f)
{
	char *full;
	int err;

	if (path[0] == '/' || strcmp(cwd, "/") == 0)
		return p9_walk(p9_session_root(sess), path, f);
	if (asprintf(&full, "%s/%s", cwd, path) < 0)
		return -ENOMEM;
	err = p9_walk(p9_session_root(sess), full, f);
	free(full);
	return err;
}

/* Let the next getopt() start afresh on another argument vector. */
void
reset_getopt(void)
{
#ifdef __GLIBC__
	optind = 0;	/* also forgets a half-parsed option cluster */
#else
	optreset = 1;
	optind = 1;
#endif
}

/* Strict: the whole string, decimal or 0x hex or 0 octal, no sign. */
int
parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

int
parse_u32(const char *s, uint32_t *v)
{
	uint64_t x;

	if (parse_u64(s, &x) != 0 || x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
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

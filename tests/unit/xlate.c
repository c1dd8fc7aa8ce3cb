/*
 * xlate.c - the translation tables (Linux errno numbers, 9P2000 error
 * strings, Linux open flags, 9P2000 open modes) and dial-string parsing.
 */
#include <errno.h>
#include <fcntl.h>

#include "p9int.h"
#include "transport/transport.h"
#include "tap.h"

static void
errnos(void)
{
	static const struct { uint32_t wire; int host; const char *name; } v[] = {
		{ 1, EPERM, "EPERM" }, { 2, ENOENT, "ENOENT" },
		{ 5, EIO, "EIO" }, { 13, EACCES, "EACCES" },
		{ 17, EEXIST, "EEXIST" }, { 18, EXDEV, "EXDEV" },
		{ 20, ENOTDIR, "ENOTDIR" }, { 21, EISDIR, "EISDIR" },
		{ 22, EINVAL, "EINVAL" }, { 28, ENOSPC, "ENOSPC" },
		{ 36, ENAMETOOLONG, "ENAMETOOLONG" }, { 38, ENOSYS, "ENOSYS" },
		{ 39, ENOTEMPTY, "ENOTEMPTY" }, { 40, ELOOP, "ELOOP" },
		{ 61, ENODATA, "ENODATA" }, { 95, EOPNOTSUPP, "EOPNOTSUPP" },
		{ 110, ETIMEDOUT, "ETIMEDOUT" }, { 116, ESTALE, "ESTALE" },
		{ 122, EDQUOT, "EDQUOT" },
	};

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		ok(p9_errno_from_linux(v[i].wire) == v[i].host &&
		    p9_errno_to_linux(v[i].host) == v[i].wire &&
		    strcmp(p9_errno_name(v[i].wire), v[i].name) == 0,
		    "Linux errno %u <-> %s", v[i].wire, v[i].name);
	}
	is(p9_errno_from_linux(4095), EIO, "unknown wire errno -> EIO");
	ok(p9_errno_name(4095) == NULL, "unknown wire errno has no name");
#define S(s, e) ok(p9_errno_from_string(s, strlen(s)) == e, "\"%s\" -> %s", s, #e)
	S("file does not exist", ENOENT);
	S("file already exists", EEXIST);
	S("permission denied", EACCES);
	S("directory not empty", ENOTEMPTY);
	S("No such file or directory", ENOENT);
	S("Is a directory", EISDIR);
	S("unknown fid 42", EBADF);
	S("something odd", EIO);
#undef S
}

static void
oflags(void)
{
	is(p9_oflags_to_linux(O_RDONLY), 0, "O_RDONLY");
	is(p9_oflags_to_linux(O_WRONLY | O_CREAT | O_TRUNC), 01 | 0100 | 01000,
	    "O_WRONLY|O_CREAT|O_TRUNC");
	is(p9_oflags_to_linux(O_RDWR | O_EXCL | O_APPEND), 02 | 0200 | 02000,
	    "O_RDWR|O_EXCL|O_APPEND");
	is(p9_oflags_to_linux(O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
	    0200000 | 0400000 | 02000000, "O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC");
	is(p9_oflags_to_linux(O_SYNC), 04010000, "O_SYNC");
	is(p9_oflags_to_linux(O_NONBLOCK), 04000, "O_NONBLOCK");
	is(p9_oflags_from_linux(01 | 0100 | 01000), O_WRONLY | O_CREAT | O_TRUNC,
	    "wire back to O_WRONLY|O_CREAT|O_TRUNC");
	is(p9_oflags_from_linux(0200000 | 02), O_RDWR | O_DIRECTORY,
	    "wire back to O_RDWR|O_DIRECTORY");
	is(p9_oflags_to_omode(O_RDONLY), P9_OREAD, "omode OREAD");
	is(p9_oflags_to_omode(O_WRONLY | O_TRUNC), P9_OWRITE | P9_OTRUNC,
	    "omode OWRITE|OTRUNC");
	is(p9_oflags_to_omode(O_RDWR), P9_ORDWR, "omode ORDWR");
}

static void
addr(const char *s, int kind, const char *host, const char *port,
    const char *path)
{
	struct p9__addr a;
	int rc = p9__parse_addr(s, &a);

	ok(rc == 0 && (int)a.kind == kind && (!host || !strcmp(a.host, host))
	    && (!port || !strcmp(a.port, port)) && (!path ||
	    !strcmp(a.path, path)), "dial %s", s);
}

static void
badaddr(const char *s)
{
	struct p9__addr a;

	ok(p9__parse_addr(s, &a) == -EINVAL && p9_errstr()[0],
	    "dial %s refused: %s", s, p9_errstr());
}

static void
dials(void)
{
	struct p9__addr a;

	addr("tcp:localhost", P9__A_TCP, "localhost", "564", NULL);
	addr("tcp:example.org:5640", P9__A_TCP, "example.org", "5640", NULL);
	addr("10.0.0.1:564", P9__A_TCP, "10.0.0.1", "564", NULL);
	addr("[::1]:5640", P9__A_TCP, "::1", "5640", NULL);
	addr("tcp:[fe80::1]", P9__A_TCP, "fe80::1", "564", NULL);
	addr("tcp!host!17010", P9__A_TCP, "host", "17010", NULL);
	addr("tcp!host", P9__A_TCP, "host", "564", NULL);
	addr("unix:/run/9p.sock", P9__A_UNIX, NULL, NULL, "/run/9p.sock");
	addr("unix!/tmp/s", P9__A_UNIX, NULL, NULL, "/tmp/s");
	addr("music", P9__A_TAG, NULL, NULL, "music");
	addr("virtio:hostshare", P9__A_TAG, NULL, NULL, "hostshare");
	addr("pci:0000:00:04.0", P9__A_PCI, NULL, NULL, "0000:00:04.0");
	ok(p9__parse_addr("fd:3,4", &a) == 0 && a.kind == P9__A_FD &&
	    a.rfd == 3 && a.wfd == 4, "dial fd:3,4");
	badaddr("");
	badaddr("tcp:host:0");
	badaddr("tcp:host:99999");
	badaddr("host:");
	badaddr("::1:564");
	badaddr("[::1");
	badaddr("fd:3");
	badaddr("fd:a,b");
	badaddr("unix:");
	badaddr("a/b");
	badaddr("virtio:");
	badaddr("pci:0000:00:04");
	badaddr("pci:0000:00:40.0");
}

int
main(void)
{
	errnos();
	oflags();
	dials();
	return done();
}

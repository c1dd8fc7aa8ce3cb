/*
 * errno.c - translation tables between what the wire carries and this
 * host: Linux errno numbers (Rlerror, .u Rerror), 9P2000 error strings,
 * Linux open(2) flags (Tlopen, Tlcreate) and 9P2000 open modes.
 * On Linux most entries are identities; elsewhere they are not.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>

#include "p9int.h"

struct errmap {
	uint16_t	wire;
	int		host;
	const char	*name;
};

#define E(n, num)	{ num, n, #n }
static const struct errmap errs[] = {
	E(EPERM, 1), E(ENOENT, 2), E(ESRCH, 3), E(EINTR, 4), E(EIO, 5),
	E(ENXIO, 6), E(E2BIG, 7), E(ENOEXEC, 8), E(EBADF, 9), E(ECHILD, 10),
	E(EAGAIN, 11), E(ENOMEM, 12), E(EACCES, 13), E(EFAULT, 14),
	E(ENOTBLK, 15), E(EBUSY, 16), E(EEXIST, 17), E(EXDEV, 18),
	E(ENODEV, 19), E(ENOTDIR, 20), E(EISDIR, 21), E(EINVAL, 22),
	E(ENFILE, 23), E(EMFILE, 24), E(ENOTTY, 25), E(ETXTBSY, 26),
	E(EFBIG, 27), E(ENOSPC, 28), E(ESPIPE, 29), E(EROFS, 30),
	E(EMLINK, 31), E(EPIPE, 32), E(EDOM, 33), E(ERANGE, 34),
	E(EDEADLK, 35), E(ENAMETOOLONG, 36), E(ENOLCK, 37), E(ENOSYS, 38),
	E(ENOTEMPTY, 39), E(ELOOP, 40), E(ENOMSG, 42), E(EIDRM, 43),
#ifdef ENOSTR
	E(ENOSTR, 60),
#endif
#ifdef ENODATA
	E(ENODATA, 61),
#endif
#ifdef ETIME
	E(ETIME, 62),
#endif
	E(ENOLINK, 67), E(EPROTO, 71), E(EMULTIHOP, 72), E(EBADMSG, 74),
	E(EOVERFLOW, 75), E(EILSEQ, 84), E(EUSERS, 87), E(ENOTSOCK, 88),
	E(EDESTADDRREQ, 89), E(EMSGSIZE, 90), E(EPROTOTYPE, 91),
	E(ENOPROTOOPT, 92), E(EPROTONOSUPPORT, 93),
	E(ESOCKTNOSUPPORT, 94), E(EOPNOTSUPP, 95), E(EPFNOSUPPORT, 96),
	E(EAFNOSUPPORT, 97), E(EADDRINUSE, 98), E(EADDRNOTAVAIL, 99),
	E(ENETDOWN, 100), E(ENETUNREACH, 101), E(ENETRESET, 102),
	E(ECONNABORTED, 103), E(ECONNRESET, 104), E(ENOBUFS, 105),
	E(EISCONN, 106), E(ENOTCONN, 107), E(ESHUTDOWN, 108),
	E(ETOOMANYREFS, 109), E(ETIMEDOUT, 110), E(ECONNREFUSED, 111),
	E(EHOSTDOWN, 112), E(EHOSTUNREACH, 113), E(EALREADY, 114),
	E(EINPROGRESS, 115), E(ESTALE, 116), E(EDQUOT, 122),
	E(ECANCELED, 125), E(EOWNERDEAD, 130), E(ENOTRECOVERABLE, 131),
};
#undef E

int
p9_errno_from_linux(uint32_t e)
{
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (errs[i].wire == e)
			return errs[i].host;
	return EIO;
}

uint32_t
p9_errno_to_linux(int e)
{
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (errs[i].host == e)
			return errs[i].wire;
	return 5;	/* EIO */
}

const char *
p9_errno_name(uint32_t e)
{
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (errs[i].wire == e)
			return errs[i].name;
	return NULL;
}

/* Plan 9 and common server phrasings (lib9p, plan9port, u9fs, ramfs). */
static const struct {
	const char	*s;
	int		e;
} p9strs[] = {
	{ "file does not exist", ENOENT }, { "file not found", ENOENT },
	{ "no such file", ENOENT }, { "does not exist", ENOENT },
	{ "file already exists", EEXIST }, { "already exists", EEXIST },
	{ "permission denied", EACCES }, { "directory not empty", ENOTEMPTY },
	{ "not a directory", ENOTDIR }, { "is a directory", EISDIR },
	{ "file in use", EBUSY }, { "file is open", EBUSY },
	{ "read only", EROFS }, { "read-only", EROFS },
	{ "unknown fid", EBADF }, { "fid unknown", EBADF },
	{ "fid in use", EBADF }, { "bad use of fid", EBADF },
	{ "fid already in use", EBADF }, { "duplicate fid", EBADF },
	{ "name too long", ENAMETOOLONG }, { "no space", ENOSPC },
	{ "not supported", EOPNOTSUPP }, { "bad offset", EINVAL },
	{ "i/o error", EIO }, { "interrupted", EINTR },
};

int
p9_errno_from_string(const char *s, size_t len)
{
	char buf[128];

	if (len >= sizeof buf)
		len = sizeof buf - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (strcasecmp(buf, strerror(errs[i].host)) == 0)
			return errs[i].host;
	for (size_t i = 0; i < sizeof p9strs / sizeof p9strs[0]; i++)
		if (strcasestr(buf, p9strs[i].s))
			return p9strs[i].e;
	return EIO;
}

static const struct {
	uint32_t	wire;
	int		host;
} oflags[] = {
	{ P9_L_CREAT, O_CREAT }, { P9_L_EXCL, O_EXCL },
	{ P9_L_NOCTTY, O_NOCTTY }, { P9_L_TRUNC, O_TRUNC },
	{ P9_L_APPEND, O_APPEND }, { P9_L_NONBLOCK, O_NONBLOCK },
#ifdef O_DSYNC
	{ P9_L_DSYNC, O_DSYNC },
#endif
#ifdef O_DIRECT
	{ P9_L_DIRECT, O_DIRECT },
#endif
	{ P9_L_DIRECTORY, O_DIRECTORY }, { P9_L_NOFOLLOW, O_NOFOLLOW },
#ifdef O_NOATIME
	{ P9_L_NOATIME, O_NOATIME },
#endif
	{ P9_L_CLOEXEC, O_CLOEXEC },
	/* O_SYNC includes O_DSYNC on Linux: match it as a whole, last */
	{ P9_L_SYNC, O_SYNC },
};

uint32_t
p9_oflags_to_linux(int flags)
{
	uint32_t l;

	switch (flags & O_ACCMODE) {
	case O_WRONLY: l = P9_L_WRONLY; break;
	case O_RDWR: l = P9_L_RDWR; break;
	default: l = P9_L_RDONLY; break;
	}
	for (size_t i = 0; i < sizeof oflags / sizeof oflags[0]; i++)
		if ((flags & oflags[i].host) == oflags[i].host)
			l |= oflags[i].wire;
	return l;
}

int
p9_oflags_from_linux(uint32_t l)
{
	int flags;

	switch (l & 3) {
	case P9_L_WRONLY: flags = O_WRONLY; break;
	case P9_L_RDWR: flags = O_RDWR; break;
	default: flags = O_RDONLY; break;
	}
	for (size_t i = 0; i < sizeof oflags / sizeof oflags[0]; i++)
		if ((l & oflags[i].wire) == oflags[i].wire)
			flags |= oflags[i].host;
	return flags;
}

uint8_t
p9_oflags_to_omode(int flags)
{
	uint8_t m;

	switch (flags & O_ACCMODE) {
	case O_WRONLY: m = P9_OWRITE; break;
	case O_RDWR: m = P9_ORDWR; break;
	default: m = P9_OREAD; break;
	}
	if (flags & O_TRUNC)
		m |= P9_OTRUNC;
	return m;
}

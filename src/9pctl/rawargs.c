/*
 * rawargs.c - the arguments of the shell's raw operations: fids and
 * numbers parsed strictly, modes in octal with an optional file type
 * letter, open flags and modes as names or numbers (and back to names
 * for the fid table), lock types.
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

struct p9_str
pstr(const char *s)
{
	struct p9_str r = { s, (uint16_t)strlen(s) };

	return r;
}

int
is_number(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int
arg_fid(const char *op, const char *s, uint32_t *v)
{
	if (strcasecmp(s, "nofid") == 0 || strcmp(s, "-") == 0 ||
	    strcmp(s, "-1") == 0) {
		*v = P9_NOFID;
		return 0;
	}
	if (parse_u32(s, v) == 0)
		return 0;
	warnx("%s: %s: expected a fid number", op, s);
	return -1;
}

int
arg_num(const char *op, const char *what, const char *s, uint64_t *v)
{
	if (parse_u64(s, v) == 0)
		return 0;
	warnx("%s: %s: expected %s", op, s, what);
	return -1;
}

int
arg_u32(const char *op, const char *what, const char *s, uint32_t *v)
{
	uint64_t x;

	if (arg_num(op, what, s, &x) != 0)
		return -1;
	if (x > UINT32_MAX) {
		warnx("%s: %s: %s out of range", op, s, what);
		return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

/*
 * A permission in octal (0x for hex), as chmod(1) reads it, after an
 * optional file type letter: d p c b s l f, for mknod and friends.
 */
int
arg_mode(const char *op, const char *s, uint32_t *v)
{
	static const struct { char c; uint32_t t; } types[] = {
		{ 'd', S_IFDIR }, { 'p', S_IFIFO }, { 'c', S_IFCHR },
		{ 'b', S_IFBLK }, { 's', S_IFSOCK }, { 'l', S_IFLNK },
		{ 'f', S_IFREG },
	};
	uint32_t type = 0;
	char *end;
	unsigned long x;

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (s[0] == types[i].c && s[1] != 'x') {
			type = types[i].t;
			s++;
		}
	errno = 0;
	x = strncmp(s, "0x", 2) == 0 ? strtoul(s, &end, 16) :
	    strtoul(s, &end, 8);
	if (*s == '\0' || *s == '-' || *end || errno || x > UINT32_MAX) {
		warnx("%s: %s: expected a mode in octal", op, s);
		return -1;
	}
	*v = (uint32_t)x | type;
	return 0;
}

/* A 9P2000 permission: the mode, d for DMDIR, a for DMAPPEND first. */
int
arg_perm(const char *op, const char *s, uint32_t *v)
{
	uint32_t dm = 0;

	for (;; s++) {
		if (*s == 'd')
			dm |= P9_DMDIR;
		else if (*s == 'a')
			dm |= P9_DMAPPEND;
		else
			break;
	}
	if (arg_mode(op, s, v) != 0)
		return -1;
	*v |= dm;
	return 0;
}

struct flagname {
	const char	*name;
	uint32_t	 bit;
};

static const struct flagname lflags[] = {
	{ "CREAT", P9_L_CREAT }, { "EXCL", P9_L_EXCL },
	{ "NOCTTY", P9_L_NOCTTY }, { "TRUNC", P9_L_TRUNC },
	{ "APPEND", P9_L_APPEND }, { "NONBLOCK", P9_L_NONBLOCK },
	{ "DSYNC", P9_L_DSYNC }, { "DIRECT", P9_L_DIRECT },
	{ "LARGEFILE", P9_L_LARGEFILE }, { "DIRECTORY", P9_L_DIRECTORY },
	{ "NOFOLLOW", P9_L_NOFOLLOW }, { "NOATIME", P9_L_NOATIME },
	{ "CLOEXEC", P9_L_CLOEXEC }, { "SYNC", P9_L_SYNC },
	{ "RDONLY", P9_L_RDONLY }, { "WRONLY", P9_L_WRONLY },
	{ "RDWR", P9_L_RDWR }, { NULL, 0 },
};

static const struct flagname omodes[] = {
	{ "TRUNC", P9_OTRUNC }, { "RCLOSE", P9_ORCLOSE },
	{ "READ", P9_OREAD }, { "WRITE", P9_OWRITE }, { "RDWR", P9_ORDWR },
	{ "EXEC", P9_OEXEC }, { NULL, 0 },
};

/* NAME|NAME|number..., names with or without their prefix, any case. */
static int
arg_flags(const char *op, const char *s, const struct flagname *tab,
    const char *prefix, uint32_t *v)
{
	char *copy = strdup(s), *w, *save = NULL;
	size_t pl = strlen(prefix);
	uint32_t x, acc = 0;
	int bad = *s == '\0';

	if (copy == NULL)
		errx(1, "out of memory");
	for (w = strtok_r(copy, "|,", &save); w && !bad;
	    w = strtok_r(NULL, "|,", &save)) {
		const struct flagname *f;

		if (parse_u32(w, &x) == 0) {
			acc |= x;
			continue;
		}
		if (strncasecmp(w, prefix, pl) == 0)
			w += pl;
		for (f = tab; f->name && strcasecmp(f->name, w) != 0; f++)
			;
		if (f->name == NULL)
			bad = 1;
		else
			acc |= f->bit;
	}
	free(copy);
	if (bad) {
		warnx("%s: %s: expected flags such as %sRDWR|%s%s, or a number",
		    op, s, prefix, prefix, tab[0].name);
		return -1;
	}
	*v = acc;
	return 0;
}

int
arg_lflags(const char *op, const char *s, uint32_t *v)
{
	return arg_flags(op, s, lflags, "O_", v);
}

int
arg_omode(const char *op, const char *s, uint32_t *v)
{
	return arg_flags(op, s, omodes, "O", v);
}

void
lflags_str(uint32_t fl, char *out, size_t cap)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR",
	    "3" };
	size_t n = (size_t)snprintf(out, cap, "%s", acc[fl & 3]);

	fl &= ~3u;
	for (const struct flagname *f = lflags; f->bit > 3; f++)
		if ((fl & f->bit) == f->bit && n < cap) {
			n += (size_t)snprintf(out + n, cap - n, "|O_%s",
			    f->name);
			fl &= ~f->bit;
		}
	if (fl && n < cap)
		snprintf(out + n, cap - n, "|%#o", fl);
}

void
omode_str(uint32_t m, char *out, size_t cap)
{
	static const char *const acc[] = { "OREAD", "OWRITE", "ORDWR",
	    "OEXEC" };

	snprintf(out, cap, "%s%s%s", acc[m & 3], m & P9_OTRUNC ? "|OTRUNC" :
	    "", m & P9_ORCLOSE ? "|ORCLOSE" : "");
}

int
arg_locktype(const char *op, const char *s, uint8_t *v)
{
	static const char *const names[3][4] = {
		{ "r", "rd", "rdlck", "read" },
		{ "w", "wr", "wrlck", "write" },
		{ "u", "un", "unlck", "unlock" },
	};
	uint32_t x;

	if (strncasecmp(s, "F_", 2) == 0)
		s += 2;
	for (int t = 0; t < 3; t++)
		for (int k = 0; k < 4; k++)
			if (strcasecmp(s, names[t][k]) == 0) {
				*v = (uint8_t)t;
				return 0;
			}
	if (parse_u32(s, &x) == 0 && x <= 255) {
		*v = (uint8_t)x;
		return 0;
	}
	warnx("%s: %s: expected a lock type: rd, wr or un", op, s);
	return -1;
}

/* The T-message a command's name stands for. */
int
optype(const char *name)
{
	return raw_lookup(name)->type;
}

const char *
fidpath(uint32_t fid)
{
	const char *p = raw_fidpath(fid);

	return p ? p : "?";
}

/* The table's entry for fid, made if the user's fid was not in it. */
struct rfid *
tab_need(uint32_t fid)
{
	struct rfid *f = tab_get(fid);

	return f ? f : tab_set(fid, "?", NULL);
}

/* the largest count that fits one reply to fid */
uint32_t
maxcount(uint32_t fid)
{
	struct rfid *f = tab_get(fid);
	uint32_t n = p9_session_iosize(sess);

	return f && f->iounit && f->iounit < n ? f->iounit : n;
}

/*
 * opts.c - the command line and v9fs's mount-option language, so that an
 * fstab line for the kernel's 9p carries over to fuse.9pfuse:
 *   trans port version msize aname uname access cache dfltuid dfltgid
 *   posixacl noxattr ro rfdno wfdno, plus trace= and FUSE's own options.
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "9pfuse.h"

struct cfg cfg;

void
usage(void)
{
	fprintf(stderr, "usage: 9pfuse [-df] [-o options] source mountpoint\n");
	exit(2);
}

static unsigned long
num(const char *opt, const char *v, unsigned long max)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 0);
	if (*v == '\0' || *end || errno || n > max || *v == '-')
		errx(2, "-o %s=%s: expected a number up to %lu", opt, v, max);
	return n;
}

/* a uid or gid; v9fs writes its default as -2 */
static uint32_t
id(const char *opt, const char *v)
{
	if (v[0] == '-')
		return (uint32_t)-(int64_t)num(opt, v + 1, 1u << 31);
	return (uint32_t)num(opt, v, UINT32_MAX - 1);
}

static int
oneof(const char *opt, const char *v, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (strcmp(v, words[i]) == 0)
			return i;
	errx(2, "-o %s=%s: unknown value", opt, v);
}

/* options FUSE and the mount itself understand: handed over as they are */
static const char *const passthrough[] = {
	"allow_other", "allow_root", "default_permissions", "auto_unmount",
	"dev", "nodev", "suid", "nosuid", "exec", "noexec", "atime",
	"noatime", "relatime", "sync", "async", "dirsync", "rw", NULL
};
static const char *const passthrough_val[] = { "fsname", "subtype",
	"max_read", NULL };
/* fstab bookkeeping that means nothing to the file system */
static const char *const ignored[] = { "defaults", "auto", "noauto",
	"nofail", "_netdev", "user", "users", "nouser", "owner", "group",
	"nodevmap", NULL };

static int
listed(const char *const *l, const char *k)
{
	for (int i = 0; l[i]; i++)
		if (strcmp(l[i], k) == 0)
			return 1;
	return 0;
}

static void
one_opt(char *o, struct fuse_args *fa)
{
	static const char *const caches[] = { "none", "mmap", "readahead",
		"loose", "fscache", NULL };
	static const char *const trans[] = { "tcp", "unix", "fd", "virtio",
		NULL };
	char *v = strchr(o, '='), arg[600];
	enum p9_dialect d;

	if (v)
		*v++ = '\0';
	if (strcmp(o, "trans") == 0 && v) {
		oneof(o, v, trans);
		cfg.trans = v;
	} else if (strcmp(o, "port") == 0 && v)
		cfg.port = (unsigned)num(o, v, 65535);
	else if (strcmp(o, "version") == 0 && v) {
		if (p9_dialect_parse(v, &d) != 0)
			errx(2, "-o version=%s: expected 9p2000, 9p2000.u or "
			    "9p2000.L", v);
		cfg.p9.dialect = (int)d;
		cfg.p9.force = 1;
	} else if (strcmp(o, "msize") == 0 && v) {
		cfg.p9.msize = (uint32_t)num(o, v, UINT32_MAX);
		if (cfg.p9.msize < P9_MINMSIZE)
			errx(2, "-o msize=%s: below the minimum %u", v,
			    P9_MINMSIZE);
	} else if (strcmp(o, "aname") == 0 && v)
		cfg.p9.aname = v;
	else if (strcmp(o, "uname") == 0 && v)
		cfg.p9.uname = v;
	else if (strcmp(o, "access") == 0 && v) {
		if (strcmp(v, "user") == 0)
			cfg.access = ACCESS_USER;
		else if (strcmp(v, "any") == 0)
			cfg.access = ACCESS_ANY;
		else if (strcmp(v, "client") == 0)
			cfg.access = ACCESS_CLIENT;
		else if (v[strspn(v, "0123456789")] == '\0') {
			cfg.access = ACCESS_UID;
			cfg.access_uid = (uint32_t)num(o, v, UINT32_MAX - 1);
		} else
			errx(2, "-o access=%s: expected user, any, client or a "
			    "uid", v);
	} else if (strcmp(o, "cache") == 0 && v)
		cfg.cache = (enum cachemode)oneof(o, v, caches);
	else if (strcmp(o, "dfltuid") == 0 && v)
		cfg.dfltuid = id(o, v);
	else if (strcmp(o, "dfltgid") == 0 && v)
		cfg.dfltgid = id(o, v);
	else if (strcmp(o, "rfdno") == 0 && v)
		cfg.rfdno = (int)num(o, v, INT_MAX);
	else if (strcmp(o, "wfdno") == 0 && v)
		cfg.wfdno = (int)num(o, v, INT_MAX);
	else if (strcmp(o, "trace") == 0 && v)
		cfg.trace = v;
	else if (strcmp(o, "posixacl") == 0 && !v)
		cfg.posixacl = 1;
	else if (strcmp(o, "noxattr") == 0 && !v)
		cfg.noxattr = 1;
	else if (strcmp(o, "poll") == 0 && !v)
		cfg.p9.poll = 1;
	else if (strcmp(o, "reconnect") == 0 && !v)
		cfg.p9.reconnect = 1;
	else if (strcmp(o, "timeout") == 0 && v)
		cfg.p9.timeout_s = (int)num(o, v, 86400);
	else if (strcmp(o, "ro") == 0 && !v) {
		cfg.ro = 1;
		fuse_opt_add_arg(fa, "-oro");
	} else if (strcmp(o, "debug") == 0)
		cfg.debug = cfg.foreground = 1;	/* as -d: its output is here */
	else if (strcmp(o, "default_permissions") == 0 && !v) {
		cfg.default_permissions = 1;
		fuse_opt_add_arg(fa, "-odefault_permissions");
	} else if (strcmp(o, "allow_other") == 0 && !v) {
		cfg.allow_other = 1;
		fuse_opt_add_arg(fa, "-oallow_other");
	} else if ((!v && listed(passthrough, o)) ||
	    (v && listed(passthrough_val, o))) {
		snprintf(arg, sizeof arg, "-o%s%s%s", o, v ? "=" : "",
		    v ? v : "");
		fuse_opt_add_arg(fa, arg);
	} else if (listed(ignored, o) || strncmp(o, "x-", 2) == 0 ||
	    strcmp(o, "comment") == 0)
		;
	else
		errx(2, "-o %s%s%s: unknown option", o, v ? "=" : "",
		    v ? v : "");
}

static void
add_opts(char *list, struct fuse_args *fa)
{
	char *o;

	while ((o = strsep(&list, ",")) != NULL)
		if (*o)
			one_opt(o, fa);
}

/* The dial string for source, as trans= and port= say. */
static void
make_addr(void)
{
	const char *s = cfg.source, *c = strchr(s, ':');
	/* tcp:..., tcp!..., [v6]..., HOST:PORT are dial strings already */
	int dial = !strncmp(s, "tcp:", 4) || !strncmp(s, "tcp!", 4) ||
	    s[0] == '[' || (c && !strchr(c + 1, ':'));
	int v6 = c && !dial;	/* a bare IPv6 address */

	if (cfg.trans == NULL || strcmp(cfg.trans, "tcp") == 0) {
		if (dial || (!cfg.trans && !cfg.port))
			snprintf(cfg.addr, sizeof cfg.addr, "%s", s);
		else
			snprintf(cfg.addr, sizeof cfg.addr, "tcp:%s%s%s:%u",
			    v6 ? "[" : "", s, v6 ? "]" : "",
			    cfg.port ? cfg.port : 564);
	} else if (strcmp(cfg.trans, "unix") == 0)
		snprintf(cfg.addr, sizeof cfg.addr, "unix:%s", s);
	else if (strcmp(cfg.trans, "fd") == 0) {
		if (cfg.rfdno < 0 || cfg.wfdno < 0)
			errx(2, "-o trans=fd needs rfdno= and wfdno=");
		snprintf(cfg.addr, sizeof cfg.addr, "fd:%d,%d", cfg.rfdno,
		    cfg.wfdno);
	} else	/* virtio: the source is the mount tag */
		snprintf(cfg.addr, sizeof cfg.addr, "%s", s);
}

/*
 * Options may come before or after the operands (mount.fuse3 puts -o
 * last).  Returns 0, or exits with a message.
 */
int
parse_args(int argc, char **argv, struct fuse_args *fa)
{
	const char *pos[2];
	int npos = 0;

	p9_opts_init(&cfg.p9);
	cfg.cache = CACHE_MMAP;
	cfg.access = ACCESS_USER;
	cfg.dfltuid = cfg.dfltgid = 65534;	/* v9fs: -2 */
	cfg.rfdno = cfg.wfdno = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("usage: 9pfuse [-df] [-o options] source "
			    "mountpoint\n");
			exit(0);
		} else if (strcmp(a, "-o") == 0) {
			if (++i == argc)
				usage();
			/* parsed in place: cfg keeps pointers into argv */
			add_opts(argv[i], fa);
		} else if (strncmp(a, "-o", 2) == 0)
			add_opts(argv[i] + 2, fa);
		else if (a[0] == '-' && a[1] && strspn(a + 1, "df") ==
		    strlen(a + 1)) {
			if (strchr(a, 'd'))
				cfg.debug = cfg.foreground = 1;
			if (strchr(a, 'f'))
				cfg.foreground = 1;
		} else if (a[0] == '-' && a[1])
			errx(2, "%s: unknown flag", a);
		else if (npos < 2)
			pos[npos++] = a;
		else
			usage();
	}
	if (npos != 2)
		usage();
	cfg.source = pos[0];
	cfg.mnt = pos[1];
	make_addr();
	switch (cfg.cache) {
	case CACHE_NONE: case CACHE_MMAP:
		cfg.attr_timeout = cfg.entry_timeout = 0;
		break;
	case CACHE_READAHEAD:
		cfg.attr_timeout = cfg.entry_timeout = 1;
		break;
	case CACHE_LOOSE: case CACHE_FSCACHE:
		cfg.attr_timeout = cfg.entry_timeout = 60;
		break;
	}
	/*
	 * Every user of an allow_other mount acts with the attaching user's
	 * rights on the server: unless access=any says that is wanted, the
	 * kernel checks permissions first.
	 */
	if ((cfg.access == ACCESS_CLIENT || (cfg.allow_other &&
	    cfg.access != ACCESS_ANY)) && !cfg.default_permissions) {
		cfg.default_permissions = 1;
		fuse_opt_add_arg(fa, "-odefault_permissions");
	}
	if (cfg.debug)
		fuse_opt_add_arg(fa, "-odebug");
	return 0;
}

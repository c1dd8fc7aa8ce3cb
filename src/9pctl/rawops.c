/*
 * rawops.c - the shell's raw 9P operations: one T-message each, built
 * from the command's arguments (fids as numbers, modes and flags as
 * numbers or names), sent by xact (raw.c), and what each reply changes
 * in the fid table.  The table of operations is at the end.
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

#define MAXDATA	(1u << 20)	/* write: bytes on one command line */

/* ---- session: version, auth, attach, flush (raw.c), walk --------------- */

static void
after_auth(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	(void)c;
	if (r)
		snprintf(tab_set(t->afid, "(auth)", &r->qid)->mode,
		    sizeof ((struct rfid *)0)->mode, "auth");
}

static void
after_attach(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	(void)c;
	if (r)
		tab_set(t->fid, "/", &r->qid);
}

/* auth AFID [UNAME [ANAME [N_UNAME]]], attach FID [AFID [UNAME ...]] */
static int
raw_attach(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tattach, .afid = P9_NOFID };
	struct ctx c = { argc, argv, 0 };
	int isauth = optype(argv[0]) == P9_Tauth, i = 2;
	const char *uname, *aname;
	uint32_t *fid = isauth ? &t.afid : &t.fid;

	raw_defaults(&uname, &aname, &t.n_uname);
	if (argc < 2 || argc > (isauth ? 5 : 6))
		return 2;
	if (arg_fid(argv[0], argv[1], fid) != 0)
		return 2;
	if (!isauth && argc > i && arg_fid(argv[0], argv[i++], &t.afid) != 0)
		return 2;
	if (argc > i)
		uname = argv[i++];
	if (argc > i)
		aname = argv[i++];
	if (argc > i && arg_fid(argv[0], argv[i], &t.n_uname) != 0)
		return 2;
	if (tab_reserve(*fid) != 0)
		return 1;
	t.type = isauth ? P9_Tauth : P9_Tattach;
	t.uname = pstr(uname);
	t.aname = pstr(aname);
	return xact(&t, &c, bg, isauth ? after_auth : after_attach);
}

static void
after_walk(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	struct rfid *from;
	struct p9_qid q = { 0 };
	char *p;

	/* a walk short of its names leaves newfid as it was */
	if (r == NULL || r->nwqid != t->nwname)
		return;
	if (t->nwname)
		q = r->wqid[t->nwname - 1];
	else if ((from = tab_get(t->fid)) != NULL)
		q = from->qid;
	p = path_join(fidpath(t->fid), c->argv + 3, t->nwname);
	tab_set(t->newfid, p, &q);
	free(p);
}

/* walk FID NEWFID [NAME ...]: each NAME one element, sent as it is */
static int
raw_walk(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Twalk };
	struct ctx c = { argc, argv, 0 };

	if (argc < 3)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    arg_fid(argv[0], argv[2], &t.newfid) != 0)
		return 2;
	if (argc - 3 > P9_MAXWELEM) {
		warnx("%s: at most %d names in one walk", argv[0], P9_MAXWELEM);
		return 2;
	}
	t.nwname = (uint16_t)(argc - 3);
	for (int i = 0; i < t.nwname; i++)
		t.wname[i] = pstr(argv[3 + i]);
	if (t.newfid != t.fid && tab_reserve(t.newfid) != 0)
		return 1;
	return xact(&t, &c, bg, after_walk);
}

/* ---- open, create, read, write, clunk, remove --------------------------- */

static void
after_open(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	struct rfid *f;
	char *p;

	if (r == NULL)
		return;
	if (t->type == P9_Tcreate || t->type == P9_Tlcreate) {
		/* the fid now stands for the new file */
		p = path_join(fidpath(t->fid), c->argv + 2, 1);
		f = tab_set(t->fid, p, &r->qid);
		free(p);
	} else {
		f = tab_need(t->fid);
		f->qid = r->qid;
	}
	if (t->type == P9_Topen || t->type == P9_Tcreate)
		omode_str(t->mode, f->mode, sizeof f->mode);
	else
		lflags_str(t->flags, f->mode, sizeof f->mode);
	f->iounit = r->iounit;
}

/* open FID [MODE], lopen FID [FLAGS] */
static int
raw_open(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Topen };
	struct ctx c = { argc, argv, 0 };
	int l = optype(argv[0]) == P9_Tlopen;

	if (argc < 2 || argc > 3)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0)
		return 2;
	if (argc > 2 && (l ? arg_lflags(argv[0], argv[2], &t.flags) :
	    arg_omode(argv[0], argv[2], &t.mode)) != 0)
		return 2;
	t.type = l ? P9_Tlopen : P9_Topen;
	return xact(&t, &c, bg, after_open);
}

/* create FID NAME PERM MODE [EXTENSION] */
static int
raw_create(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tcreate };
	struct ctx c = { argc, argv, 0 };

	if (argc < 5 || argc > 6)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    arg_perm(argv[0], argv[3], &t.perm) != 0 ||
	    arg_omode(argv[0], argv[4], &t.mode) != 0)
		return 2;
	t.name = pstr(argv[2]);
	t.extension = pstr(argc > 5 ? argv[5] : "");
	return xact(&t, &c, bg, after_open);
}

/* lcreate FID NAME FLAGS [MODE [GID]] */
static int
raw_lcreate(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tlcreate, .mode = 0644 };
	struct ctx c = { argc, argv, 0 };

	t.gid = (uint32_t)getgid();
	if (argc < 4 || argc > 6)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    arg_lflags(argv[0], argv[3], &t.flags) != 0 ||
	    (argc > 4 && arg_mode(argv[0], argv[4], &t.mode) != 0) ||
	    (argc > 5 && arg_u32(argv[0], "a gid", argv[5], &t.gid) != 0))
		return 2;
	t.name = pstr(argv[2]);
	return xact(&t, &c, bg, after_open);
}

/* 9P2000 directory data: stat entries, one line each */
static void
print_stats(const uint8_t *d, uint32_t n)
{
	enum p9_dialect dl = p9_session_dialect(sess);
	struct p9_stat st;
	char q[64];

	for (uint32_t off = 0; off < n;) {
		ssize_t k = p9_stat_decode(d + off, n - off, dl, &st);

		if (k <= 0) {
			printf("  (malformed stat at byte %u)\n", off);
			break;
		}
		off += (uint32_t)k;
		fmt_qid(&st.qid, q, sizeof q);
		printf("  %.*s %s mode %#o length %llu uid %.*s gid %.*s\n",
		    (int)st.name.len, st.name.s, q, st.mode,
		    (unsigned long long)st.length, (int)st.uid.len, st.uid.s,
		    (int)st.gid.len, st.gid.s);
	}
	fflush(stdout);
}

static void
after_read(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	struct rfid *f = tab_get(t->fid);

	if (r == NULL)
		return;
	if (!c->hex && f && (f->qid.type & P9_QTDIR) &&
	    p9_session_dialect(sess) != P9_2000L)
		print_stats(r->data, r->count);
	else
		print_data(r->data, r->count, t->offset, c->hex);
}

/* read [-x] FID [OFFSET [COUNT]] */
static int
raw_read(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Tread };
	struct ctx c = { argc, argv, 0 };

	if (argc > 1 && strcmp(argv[1], "-x") == 0) {
		c.hex = 1;
		argc--;
		argv++;
	}
	if (argc < 2 || argc > 4)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    (argc > 2 && arg_num(argv[0], "an offset", argv[2],
	    &t.offset) != 0) ||
	    (argc > 3 && arg_u32(argv[0], "a count", argv[3], &t.count) != 0))
		return 2;
	if (argc < 4)
		t.count = maxcount(t.fid);
	return xact(&t, &c, bg, after_read);
}

static int
unhex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* write [-x] FID OFFSET DATA...: the words joined by single spaces */
static int
raw_write(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = P9_Twrite };
	struct ctx c = { argc, argv, 0 };
	uint8_t *buf;
	size_t n = 0;
	int hex = 0, rc;

	if (argc > 1 && strcmp(argv[1], "-x") == 0) {
		hex = 1;
		argc--;
		argv++;
	}
	if (argc < 4)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0 ||
	    arg_num(argv[0], "an offset", argv[2], &t.offset) != 0)
		return 2;
	if ((buf = malloc(MAXDATA)) == NULL)
		errx(1, "out of memory");
	for (int i = 3; i < argc; i++) {
		const char *s = argv[i];
		size_t len = strlen(s);

		if (hex) {
			for (; s[0] && s[1] && n < MAXDATA; s += 2) {
				if (unhex(s[0]) < 0 || unhex(s[1]) < 0)
					break;
				buf[n++] = (uint8_t)(unhex(s[0]) << 4 |
				    unhex(s[1]));
			}
			if (*s) {
				warnx("%s: %s: expected pairs of hex digits",
				    argv[0], argv[i]);
				free(buf);
				return 2;
			}
			continue;
		}
		if (i > 3 && n < MAXDATA)
			buf[n++] = ' ';
		if (len > MAXDATA - n)
			len = MAXDATA - n;
		memcpy(buf + n, s, len);
		n += len;
	}
	t.data = buf;
	t.count = (uint32_t)n;
	rc = xact(&t, &c, bg, NULL);
	free(buf);
	return rc;
}

static void
after_clunk(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	(void)r;
	(void)c;
	/* the fid is gone whatever the answer (intro(5), clunk(5)) */
	tab_del(t->fid);
}

/* clunk FID, remove FID, stat FID, statfs FID, readlink FID */
static int
raw_onefid(int argc, char **argv, int bg)
{
	struct p9_fcall t = { .type = (uint8_t)optype(argv[0]) };
	struct ctx c = { argc, argv, 0 };
	afterfn after = NULL;

	if (t.type == P9_Tclunk || t.type == P9_Tremove)
		after = after_clunk;
	if (argc != 2)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0)
		return 2;
	return xact(&t, &c, bg, after);
}

/* ---- attributes ---------------------------------------------------------- */

/* FIELD=VALUE: is it field?  *v is VALUE then. */
static int
field(const char *arg, const char *name, const char **v)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0 || arg[n] != '=')
		return 0;
	*v = arg + n + 1;
	return 1;
}

static void
after_wstat(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c)
{
	const char *name;
	char *dir, *to, *slash;

	if (r == NULL)
		return;
	for (int i = 2; i < c->argc; i++) {
		if (!field(c->argv[i], "name", &name) || name[0] == '\0')
			continue;
		/* a rename within the directory */
		if ((dir = strdup(fidpath(t->fid))) == NULL)
			errx(1, "out of memory");
		if ((slash = strrchr(dir, '/')) != NULL)
			slash[slash == dir] = '\0';
		to = path_join(dir, (char *const[]){ (char *)name }, 1);
		free(dir);
		/* tab_rename replaces the path it is given: a copy */
		if ((dir = strdup(fidpath(t->fid))) == NULL)
			errx(1, "out of memory");
		tab_rename(dir, to);
		free(to);
		free(dir);
	}
}

/* wstat FID FIELD=VALUE ...: the other fields "don't touch" */
static int
raw_wstat(int argc, char **argv, int bg)
{
	static const char *const strs[] = { "name", "uid", "gid", "muid",
	    "extension" };
	static const char *const nums[] = { "length", "atime", "mtime",
	    "n_uid", "n_gid", "n_muid", "type", "dev" };
	struct p9_fcall t = { .type = P9_Twstat };
	struct ctx c = { argc, argv, 0 };
	struct p9_stat *st = &t.stat;
	struct p9_str *sf[] = { &st->name, &st->uid, &st->gid, &st->muid,
	    &st->extension };
	const char *v;
	uint64_t x;

	if (argc < 2)
		return 2;
	if (arg_fid(argv[0], argv[1], &t.fid) != 0)
		return 2;
	p9_stat_null(st);
	for (int i = 2; i < argc; i++) {
		size_t k;

		for (k = 0; k < 5 && !field(argv[i], strs[k], &v); k++)
			;
		if (k < 5) {
			*sf[k] = pstr(v);
			continue;
		}
		if (field(argv[i], "mode", &v)) {
			if (arg_perm(argv[0], v, &st->mode) != 0)
				return 2;
			continue;
		}
		for (k = 0; k < 8 && !field(argv[i], nums[k], &v); k++)
			;
		if (k == 8) {
			warnx("%s: %s: expected FIELD=VALUE, FIELD one of "
			    "name uid gid muid extension mode length atime "
			    "mtime n_uid n_gid n_muid type dev", argv[0],
			    argv[i]);
			return 2;
		}
		if (arg_num(argv[0], "a number", v, &x) != 0)
			return 2;
		switch (k) {
		case 0: st->length = x; break;
		case 1: st->atime = (uint32_t)x; break;
		case 2: st->mtime = (uint32_t)x; break;
		case 3: st->n_uid = (uint32_t)x; break;
		case 4: st->n_gid = (uint32_t)x; break;
		case 5: st->n_muid = (uint32_t)x; break;
		case 6: st->type = (uint16_t)x; break;
		default: st->dev = (uint32_t)x; break;
		}
	}
	return xact(&t, &c, bg, after_wstat);
}

/* getattr FID [MASK]: MASK a number, basic or all (the default) */
/* ---- the table ----------------------------------------------------------- */

const struct rawop rawops[] = {
	{ "version", P9_Tversion, raw_version, "[MSIZE [VERSION]]" },
	{ "auth", P9_Tauth, raw_attach, "AFID [UNAME [ANAME [N_UNAME]]]" },
	{ "attach", P9_Tattach, raw_attach,
	    "FID [AFID [UNAME [ANAME [N_UNAME]]]]" },
	{ "walk", P9_Twalk, raw_walk, "FID NEWFID [NAME ...]" },
	{ "open", P9_Topen, raw_open, "FID [MODE]" },
	{ "lopen", P9_Tlopen, raw_open, "FID [FLAGS]" },
	{ "create", P9_Tcreate, raw_create, "FID NAME PERM MODE [EXTENSION]" },
	{ "lcreate", P9_Tlcreate, raw_lcreate, "FID NAME FLAGS [MODE [GID]]" },
	{ "read", P9_Tread, raw_read, "[-x] FID [OFFSET [COUNT]]" },
	{ "write", P9_Twrite, raw_write, "[-x] FID OFFSET DATA ..." },
	{ "clunk", P9_Tclunk, raw_onefid, "FID" },
	{ "remove", P9_Tremove, raw_onefid, "FID" },
	{ "stat", P9_Tstat, raw_onefid, "FID" },
	{ "wstat", P9_Twstat, raw_wstat, "FID FIELD=VALUE ..." },
	{ "getattr", P9_Tgetattr, raw_getattr, "FID [MASK]" },
	{ "setattr", P9_Tsetattr, raw_setattr, "FID FIELD=VALUE ..." },
	{ "readdir", P9_Treaddir, raw_readdir, "FID [OFFSET [COUNT]]" },
	{ "statfs", P9_Tstatfs, raw_onefid, "FID" },
	{ "xattrwalk", P9_Txattrwalk, raw_xattrwalk, "FID NEWFID [NAME]" },
	{ "xattrcreate", P9_Txattrcreate, raw_xattrcreate,
	    "FID NAME SIZE [FLAGS]" },
	{ "lock", P9_Tlock, raw_lock,
	    "FID TYPE [START [LENGTH [FLAGS [PROC_ID [CLIENT_ID]]]]]" },
	{ "getlock", P9_Tgetlock, raw_lock,
	    "FID TYPE [START [LENGTH [PROC_ID [CLIENT_ID]]]]" },
	{ "flush", P9_Tflush, raw_flush, "[TAG]" },
	{ "fsync", P9_Tfsync, raw_fsync, "FID [DATASYNC]" },
	{ "mkdir", P9_Tmkdir, raw_mkdir, "DFID NAME [MODE [GID]]" },
	{ "symlink", P9_Tsymlink, raw_symlink, "FID NAME TARGET [GID]" },
	{ "link", P9_Tlink, raw_link, "DFID FID NAME" },
	{ "mknod", P9_Tmknod, raw_mknod, "DFID NAME MODE [MAJOR MINOR [GID]]" },
	{ "rename", P9_Trename, raw_rename, "FID DFID NAME" },
	{ "renameat", P9_Trenameat, raw_renameat,
	    "OLDDIRFID OLDNAME NEWDIRFID NEWNAME" },
	{ "unlinkat", P9_Tunlinkat, raw_unlinkat, "DIRFID NAME [FLAGS]" },
	{ "readlink", P9_Treadlink, raw_onefid, "FID" },
	{ "fids", 0, raw_fids, "" },
	{ "wait", 0, raw_wait, "[TAG]" },
	{ NULL, 0, NULL, NULL },
};

/* By its name, or by its T-message's name (Twalk, tversion...). */
const struct rawop *
raw_lookup(const char *name)
{
	int type = p9_typebyname(name);

	for (const struct rawop *op = rawops; op->name; op++)
		if (strcmp(op->name, name) == 0 ||
		    (type > 0 && op->type == type))
			return op;
	return NULL;
}

/*
 * stat and mkdir are also everyday commands, which take paths: the raw
 * one is meant when the first argument is a fid number (or the command
 * is spelled Tstat, Tmkdir).
 */
int
raw_wanted(const struct rawop *op, int argc, char **argv)
{
	if (strcmp(argv[0], "stat") != 0 && strcmp(argv[0], "mkdir") != 0)
		return 1;
	(void)op;
	return argc >= 2 && is_number(argv[1]);
}

/*
 * table.c - the message table: every message of 9P2000, 9P2000.u and
 * 9P2000.L, its fields in wire order and the dialects each belongs to.
 * Encode, decode, the printers and the round-trip tests all walk this
 * table; nothing else in libp9 knows a message layout.
 */
#include <errno.h>
#include <stddef.h>
#include <strings.h>

#include "p9int.h"

#define FC(m)		offsetof(struct p9_fcall, m)
#define SZ(m)		sizeof(((struct p9_fcall *)0)->m)
#define INT(nm, k, m, f) { nm, P9__K_##k, SZ(m), FC(m), P9__F_##f }
#define OBJ(nm, k, m)	{ nm, P9__K_##k, 0, FC(m), 0 }

enum {
	F_END, F_MSIZE, F_VERSION, F_AFID, F_UNAME, F_ANAME, F_NUNAME, F_AQID,
	F_FID, F_QID, F_ENAME, F_ERRNO, F_ECODE, F_OLDTAG, F_NEWFID, F_WNAMES,
	F_WQIDS, F_MODE8, F_IOUNIT, F_NAME, F_PERM, F_EXT, F_OFFSET, F_COUNT,
	F_DATA, F_STAT,
	/* 9P2000.L */
	F_FSTYPE, F_BSIZE, F_FBLOCKS, F_BFREE, F_BAVAIL, F_FILES, F_FFREE,
	F_FSID, F_NAMELEN, F_FLAGS, F_MODE, F_GID, F_SYMTGT, F_DFID, F_MAJOR,
	F_MINOR, F_TARGET, F_MASK, F_VALID, F_SVALID, F_AQ, F_AMODE, F_AUID,
	F_AGID, F_NLINK, F_RDEV, F_ASIZE, F_BLKSIZE, F_ABLOCKS, F_ATSEC,
	F_ATNSEC, F_MTSEC, F_MTNSEC, F_CTSEC, F_CTNSEC, F_BTSEC, F_BTNSEC,
	F_GEN, F_DVERS, F_XSIZE, F_XATTRSZ, F_DATASYNC, F_LTYPE, F_LFLAGS,
	F_LSTART, F_LLEN, F_LPROC, F_LCLIENT, F_STATUS, F_OLDDIRFID,
	F_OLDNAME, F_NEWDIRFID, F_NEWNAME, F_DIRFD,
	F_NFIELDS
};

const struct p9__field p9__fields[F_NFIELDS] = {
	[F_MSIZE]	= INT("msize", U32, msize, DEC),
	[F_VERSION]	= OBJ("version", STR, version),
	[F_AFID]	= INT("afid", U32, afid, FID),
	[F_UNAME]	= OBJ("uname", STR, uname),
	[F_ANAME]	= OBJ("aname", STR, aname),
	[F_NUNAME]	= INT("n_uname", U32, n_uname, DEC),
	[F_AQID]	= OBJ("aqid", QID, qid),
	[F_FID]		= INT("fid", U32, fid, FID),
	[F_QID]		= OBJ("qid", QID, qid),
	[F_ENAME]	= OBJ("ename", STR, ename),
	[F_ERRNO]	= INT("errno", U32, ecode, DEC),
	[F_ECODE]	= INT("ecode", U32, ecode, DEC),
	[F_OLDTAG]	= INT("oldtag", U16, oldtag, DEC),
	[F_NEWFID]	= INT("newfid", U32, newfid, FID),
	[F_WNAMES]	= OBJ("nwname", WNAMES, wname),
	[F_WQIDS]	= OBJ("nwqid", WQIDS, wqid),
	[F_MODE8]	= INT("mode", U8, mode, HEX),
	[F_IOUNIT]	= INT("iounit", U32, iounit, DEC),
	[F_NAME]	= OBJ("name", STR, name),
	[F_PERM]	= INT("perm", U32, perm, OCT),
	[F_EXT]		= OBJ("extension", STR, extension),
	[F_OFFSET]	= INT("offset", U64, offset, DEC),
	[F_COUNT]	= INT("count", U32, count, DEC),
	[F_DATA]	= OBJ("count", DATA, data),
	[F_STAT]	= OBJ("stat", STAT, stat),
	[F_FSTYPE]	= INT("fstype", U32, statfs.type, HEX),
	[F_BSIZE]	= INT("bsize", U32, statfs.bsize, DEC),
	[F_FBLOCKS]	= INT("blocks", U64, statfs.blocks, DEC),
	[F_BFREE]	= INT("bfree", U64, statfs.bfree, DEC),
	[F_BAVAIL]	= INT("bavail", U64, statfs.bavail, DEC),
	[F_FILES]	= INT("files", U64, statfs.files, DEC),
	[F_FFREE]	= INT("ffree", U64, statfs.ffree, DEC),
	[F_FSID]	= INT("fsid", U64, statfs.fsid, HEX),
	[F_NAMELEN]	= INT("namelen", U32, statfs.namelen, DEC),
	[F_FLAGS]	= INT("flags", U32, flags, OCT),
	[F_MODE]	= INT("mode", U32, mode, OCT),
	[F_GID]		= INT("gid", U32, gid, DEC),
	[F_SYMTGT]	= OBJ("symtgt", STR, target),
	[F_DFID]	= INT("dfid", U32, dfid, FID),
	[F_MAJOR]	= INT("major", U32, major, DEC),
	[F_MINOR]	= INT("minor", U32, minor, DEC),
	[F_TARGET]	= OBJ("target", STR, target),
	[F_MASK]	= INT("request_mask", U64, mask, HEX),
	[F_VALID]	= INT("valid", U64, attr.valid, HEX),
	[F_SVALID]	= INT("valid", U32, attr.valid, HEX),
	[F_AQ]		= OBJ("qid", QID, attr.qid),
	[F_AMODE]	= INT("mode", U32, attr.mode, OCT),
	[F_AUID]	= INT("uid", U32, attr.uid, DEC),
	[F_AGID]	= INT("gid", U32, attr.gid, DEC),
	[F_NLINK]	= INT("nlink", U64, attr.nlink, DEC),
	[F_RDEV]	= INT("rdev", U64, attr.rdev, HEX),
	[F_ASIZE]	= INT("size", U64, attr.size, DEC),
	[F_BLKSIZE]	= INT("blksize", U64, attr.blksize, DEC),
	[F_ABLOCKS]	= INT("blocks", U64, attr.blocks, DEC),
	[F_ATSEC]	= INT("atime_sec", U64, attr.atime_sec, DEC),
	[F_ATNSEC]	= INT("atime_nsec", U64, attr.atime_nsec, DEC),
	[F_MTSEC]	= INT("mtime_sec", U64, attr.mtime_sec, DEC),
	[F_MTNSEC]	= INT("mtime_nsec", U64, attr.mtime_nsec, DEC),
	[F_CTSEC]	= INT("ctime_sec", U64, attr.ctime_sec, DEC),
	[F_CTNSEC]	= INT("ctime_nsec", U64, attr.ctime_nsec, DEC),
	[F_BTSEC]	= INT("btime_sec", U64, attr.btime_sec, DEC),
	[F_BTNSEC]	= INT("btime_nsec", U64, attr.btime_nsec, DEC),
	[F_GEN]		= INT("gen", U64, attr.gen, DEC),
	[F_DVERS]	= INT("data_version", U64, attr.data_version, DEC),
	[F_XSIZE]	= INT("size", U64, size, DEC),
	[F_XATTRSZ]	= INT("attr_size", U64, size, DEC),
	[F_DATASYNC]	= INT("datasync", U32, datasync, DEC),
	[F_LTYPE]	= INT("locktype", U8, lock.type, DEC),
	[F_LFLAGS]	= INT("flags", U32, lock.flags, DEC),
	[F_LSTART]	= INT("start", U64, lock.start, DEC),
	[F_LLEN]	= INT("length", U64, lock.length, DEC),
	[F_LPROC]	= INT("proc_id", U32, lock.proc_id, DEC),
	[F_LCLIENT]	= OBJ("client_id", STR, lock.client_id),
	[F_STATUS]	= INT("status", U8, status, DEC),
	[F_OLDDIRFID]	= INT("olddirfid", U32, fid, FID),
	[F_OLDNAME]	= OBJ("oldname", STR, name),
	[F_NEWDIRFID]	= INT("newdirfid", U32, dfid, FID),
	[F_NEWNAME]	= OBJ("newname", STR, newname),
	[F_DIRFD]	= INT("dirfd", U32, fid, FID),
};

#define F(x)		{ F_##x, P9__DALL }
#define FD(x, d)	{ F_##x, d }
#define END		{ F_END, 0 }
#define M(nm, d, ...) \
	[P9_##nm] = { #nm, d, (const struct p9__fref[]){ __VA_ARGS__, END } }

#define B	P9__DALL		/* base: every dialect */
#define O	(P9__D2000 | P9__DU)	/* 9P2000 and .u only */
#define L	P9__DL
#define UL	(P9__DU | P9__DL)

static const struct p9__msgdef msgs[256] = {
	M(Tversion, B, F(MSIZE), F(VERSION)),
	M(Rversion, B, F(MSIZE), F(VERSION)),
	M(Tauth, B, F(AFID), F(UNAME), F(ANAME), FD(NUNAME, UL)),
	M(Rauth, B, F(AQID)),
	M(Tattach, B, F(FID), F(AFID), F(UNAME), F(ANAME), FD(NUNAME, UL)),
	M(Rattach, B, F(QID)),
	M(Rerror, O, F(ENAME), FD(ERRNO, P9__DU)),
	M(Tflush, B, F(OLDTAG)),
	M(Rflush, B, END),
	M(Twalk, B, F(FID), F(NEWFID), F(WNAMES)),
	M(Rwalk, B, F(WQIDS)),
	M(Topen, O, F(FID), F(MODE8)),
	M(Ropen, O, F(QID), F(IOUNIT)),
	M(Tcreate, O, F(FID), F(NAME), F(PERM), F(MODE8), FD(EXT, P9__DU)),
	M(Rcreate, O, F(QID), F(IOUNIT)),
	M(Tread, B, F(FID), F(OFFSET), F(COUNT)),
	M(Rread, B, F(DATA)),
	M(Twrite, B, F(FID), F(OFFSET), F(DATA)),
	M(Rwrite, B, F(COUNT)),
	M(Tclunk, B, F(FID)),
	M(Rclunk, B, END),
	M(Tremove, B, F(FID)),
	M(Rremove, B, END),
	M(Tstat, O, F(FID)),
	M(Rstat, O, F(STAT)),
	M(Twstat, O, F(FID), F(STAT)),
	M(Rwstat, O, END),

	M(Rlerror, L, F(ECODE)),
	M(Tstatfs, L, F(FID)),
	M(Rstatfs, L, F(FSTYPE), F(BSIZE), F(FBLOCKS), F(BFREE), F(BAVAIL),
	    F(FILES), F(FFREE), F(FSID), F(NAMELEN)),
	M(Tlopen, L, F(FID), F(FLAGS)),
	M(Rlopen, L, F(QID), F(IOUNIT)),
	M(Tlcreate, L, F(FID), F(NAME), F(FLAGS), F(MODE), F(GID)),
	M(Rlcreate, L, F(QID), F(IOUNIT)),
	M(Tsymlink, L, F(FID), F(NAME), F(SYMTGT), F(GID)),
	M(Rsymlink, L, F(QID)),
	M(Tmknod, L, F(DFID), F(NAME), F(MODE), F(MAJOR), F(MINOR), F(GID)),
	M(Rmknod, L, F(QID)),
	M(Trename, L, F(FID), F(DFID), F(NAME)),
	M(Rrename, L, END),
	M(Treadlink, L, F(FID)),
	M(Rreadlink, L, F(TARGET)),
	M(Tgetattr, L, F(FID), F(MASK)),
	M(Rgetattr, L, F(VALID), F(AQ), F(AMODE), F(AUID), F(AGID), F(NLINK),
	    F(RDEV), F(ASIZE), F(BLKSIZE), F(ABLOCKS), F(ATSEC), F(ATNSEC),
	    F(MTSEC), F(MTNSEC), F(CTSEC), F(CTNSEC), F(BTSEC), F(BTNSEC),
	    F(GEN), F(DVERS)),
	M(Tsetattr, L, F(FID), F(SVALID), F(AMODE), F(AUID), F(AGID),
	    F(ASIZE), F(ATSEC), F(ATNSEC), F(MTSEC), F(MTNSEC)),
	M(Rsetattr, L, END),
	M(Txattrwalk, L, F(FID), F(NEWFID), F(NAME)),
	M(Rxattrwalk, L, F(XSIZE)),
	M(Txattrcreate, L, F(FID), F(NAME), F(XATTRSZ), F(FLAGS)),
	M(Rxattrcreate, L, END),
	M(Treaddir, L, F(FID), F(OFFSET), F(COUNT)),
	M(Rreaddir, L, F(DATA)),
	M(Tfsync, L, F(FID), F(DATASYNC)),
	M(Rfsync, L, END),
	M(Tlock, L, F(FID), F(LTYPE), F(LFLAGS), F(LSTART), F(LLEN), F(LPROC),
	    F(LCLIENT)),
	M(Rlock, L, F(STATUS)),
	M(Tgetlock, L, F(FID), F(LTYPE), F(LSTART), F(LLEN), F(LPROC),
	    F(LCLIENT)),
	M(Rgetlock, L, F(LTYPE), F(LSTART), F(LLEN), F(LPROC), F(LCLIENT)),
	M(Tlink, L, F(DFID), F(FID), F(NAME)),
	M(Rlink, L, END),
	M(Tmkdir, L, F(DFID), F(NAME), F(MODE), F(GID)),
	M(Rmkdir, L, F(QID)),
	M(Trenameat, L, F(OLDDIRFID), F(OLDNAME), F(NEWDIRFID), F(NEWNAME)),
	M(Rrenameat, L, END),
	M(Tunlinkat, L, F(DIRFD), F(NAME), F(FLAGS)),
	M(Runlinkat, L, END),
};

const struct p9__msgdef *
p9__msg(int type)
{
	if (type < 0 || type > 255 || msgs[type].name == NULL)
		return NULL;
	return &msgs[type];
}

const char *
p9_typename(int type)
{
	const struct p9__msgdef *m = p9__msg(type);

	return m ? m->name : NULL;
}

int
p9_typebyname(const char *name)
{
	for (int t = 0; t < 256; t++)
		if (msgs[t].name && strcasecmp(msgs[t].name, name) == 0)
			return t;
	return -1;
}

int
p9_type_in(int type, enum p9_dialect d)
{
	const struct p9__msgdef *m = p9__msg(type);

	return m && (m->dialects & (1u << d));
}

static const char *const dnames[] = { "9P2000", "9P2000.u", "9P2000.L" };

const char *
p9_dialect_name(enum p9_dialect d)
{
	return (unsigned)d < 3 ? dnames[d] : "unknown";
}

int
p9_dialect_parse(const char *s, enum p9_dialect *d)
{
	for (int i = 0; i < 3; i++)
		if (strcasecmp(s, dnames[i]) == 0) {
			*d = (enum p9_dialect)i;
			return 0;
		}
	if (strcasecmp(s, "u") == 0 || strcasecmp(s, ".u") == 0) {
		*d = P9_2000U;
		return 0;
	}
	if (strcasecmp(s, "L") == 0 || strcasecmp(s, ".L") == 0) {
		*d = P9_2000L;
		return 0;
	}
	return -EINVAL;
}

int
p9_fcall_fids(const struct p9_fcall *f, enum p9_dialect d, uint32_t fids[2])
{
	const struct p9__msgdef *m = p9__msg(f->type);
	int n = 0;

	if (m == NULL)
		return 0;
	for (const struct p9__fref *r = m->fields; r->field && n < 2; r++)
		if ((r->dialects & (1u << d)) &&
		    p9__fields[r->field].fmt == P9__F_FID)
			fids[n++] = (uint32_t)p9__getint(f, &p9__fields[r->field]);
	return n;
}

const int p9__nfields = F_NFIELDS;

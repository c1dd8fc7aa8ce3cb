/*
 * p9.h - libp9, a 9P2000 / 9P2000.u / 9P2000.L client library.
 *
 * Three layers, each usable on its own:
 *   codec      p9_encode / p9_decode / p9_check_reply / p9_fmt: one message
 *              table drives them all; decoding is strict and zero-copy
 *              (strings and data are views into the packet).
 *   session    p9_dial / p9_session_*: version, attach, tag multiplexing,
 *              concurrent RPCs from many threads, fid pool, Tflush.
 *   file ops   p9_walk, p9_open, p9_read, ...: dialect-independent helpers
 *              that pick 9P2000.L, .u or 9P2000 messages as negotiated.
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure.  The library never prints, exits or aborts; the server's error
 * text of the last failed call is kept per thread (p9_errstr).
 * See libp9(3).
 */
#ifndef P9_H
#define P9_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- constants ---------------------------------------------------------- */

enum p9_dialect {
	P9_2000 = 0,	/* "9P2000" */
	P9_2000U = 1,	/* "9P2000.u" */
	P9_2000L = 2,	/* "9P2000.L" */
};

#define P9_NOTAG	0xffffu
#define P9_NOFID	0xffffffffu
#define P9_MAXWELEM	16
#define P9_IOHDRSZ	24	/* Twrite/Rread header overhead */
#define P9_MINMSIZE	4096
#define P9_DEFMSIZE	(512 * 1024)

enum p9_type {
	P9_Tlerror = 6, P9_Rlerror, P9_Tstatfs, P9_Rstatfs,
	P9_Tlopen = 12, P9_Rlopen, P9_Tlcreate, P9_Rlcreate,
	P9_Tsymlink, P9_Rsymlink, P9_Tmknod, P9_Rmknod,
	P9_Trename, P9_Rrename, P9_Treadlink, P9_Rreadlink,
	P9_Tgetattr, P9_Rgetattr, P9_Tsetattr, P9_Rsetattr,
	P9_Txattrwalk = 30, P9_Rxattrwalk, P9_Txattrcreate, P9_Rxattrcreate,
	P9_Treaddir = 40, P9_Rreaddir,
	P9_Tfsync = 50, P9_Rfsync, P9_Tlock, P9_Rlock, P9_Tgetlock, P9_Rgetlock,
	P9_Tlink = 70, P9_Rlink, P9_Tmkdir, P9_Rmkdir,
	P9_Trenameat, P9_Rrenameat, P9_Tunlinkat, P9_Runlinkat,
	P9_Tversion = 100, P9_Rversion, P9_Tauth, P9_Rauth,
	P9_Tattach, P9_Rattach, P9_Terror, P9_Rerror,
	P9_Tflush, P9_Rflush, P9_Twalk, P9_Rwalk, P9_Topen, P9_Ropen,
	P9_Tcreate, P9_Rcreate, P9_Tread, P9_Rread, P9_Twrite, P9_Rwrite,
	P9_Tclunk, P9_Rclunk, P9_Tremove, P9_Rremove,
	P9_Tstat, P9_Rstat, P9_Twstat, P9_Rwstat,
};

/* 9P2000 open modes (Topen, Tcreate) */
#define P9_OREAD	0
#define P9_OWRITE	1
#define P9_ORDWR	2
#define P9_OEXEC	3
#define P9_OTRUNC	0x10
#define P9_ORCLOSE	0x40

/* qid types */
#define P9_QTDIR	0x80
#define P9_QTAPPEND	0x40
#define P9_QTEXCL	0x20
#define P9_QTMOUNT	0x10
#define P9_QTAUTH	0x08
#define P9_QTTMP	0x04
#define P9_QTSYMLINK	0x02
#define P9_QTLINK	0x01
#define P9_QTFILE	0x00

/* 9P2000 / .u mode bits */
#define P9_DMDIR	0x80000000u
#define P9_DMAPPEND	0x40000000u
#define P9_DMEXCL	0x20000000u
#define P9_DMMOUNT	0x10000000u
#define P9_DMAUTH	0x08000000u
#define P9_DMTMP	0x04000000u
#define P9_DMSYMLINK	0x02000000u
#define P9_DMLINK	0x01000000u
#define P9_DMDEVICE	0x00800000u
#define P9_DMNAMEDPIPE	0x00200000u
#define P9_DMSOCKET	0x00100000u
#define P9_DMSETUID	0x00080000u
#define P9_DMSETGID	0x00040000u
#define P9_DMSETVTX	0x00010000u	/* .u as Linux speaks it: sticky */

/* Tgetattr request mask / Rgetattr valid */
#define P9_GETATTR_MODE		0x1ull
#define P9_GETATTR_NLINK	0x2ull
#define P9_GETATTR_UID		0x4ull
#define P9_GETATTR_GID		0x8ull
#define P9_GETATTR_RDEV		0x10ull
#define P9_GETATTR_ATIME	0x20ull
#define P9_GETATTR_MTIME	0x40ull
#define P9_GETATTR_CTIME	0x80ull
#define P9_GETATTR_INO		0x100ull
#define P9_GETATTR_SIZE		0x200ull
#define P9_GETATTR_BLOCKS	0x400ull
#define P9_GETATTR_BASIC	0x7ffull
#define P9_GETATTR_BTIME	0x800ull
#define P9_GETATTR_GEN		0x1000ull
#define P9_GETATTR_DATA_VERSION	0x2000ull
#define P9_GETATTR_ALL		0x3fffull

/* Tsetattr valid */
#define P9_SETATTR_MODE		0x1u
#define P9_SETATTR_UID		0x2u
#define P9_SETATTR_GID		0x4u
#define P9_SETATTR_SIZE		0x8u
#define P9_SETATTR_ATIME	0x10u
#define P9_SETATTR_MTIME	0x20u
#define P9_SETATTR_CTIME	0x40u
#define P9_SETATTR_ATIME_SET	0x80u
#define P9_SETATTR_MTIME_SET	0x100u

/* Tlock */
#define P9_LOCK_RDLCK		0
#define P9_LOCK_WRLCK		1
#define P9_LOCK_UNLCK		2
#define P9_LOCK_FLAGS_BLOCK	1
#define P9_LOCK_FLAGS_RECLAIM	2
#define P9_LOCK_SUCCESS		0
#define P9_LOCK_BLOCKED		1
#define P9_LOCK_ERROR		2
#define P9_LOCK_GRACE		3

#define P9_AT_REMOVEDIR	0x200	/* Tunlinkat flags */

/* Linux open(2) flags as they travel in Tlopen/Tlcreate */
#define P9_L_RDONLY	00000000
#define P9_L_WRONLY	00000001
#define P9_L_RDWR	00000002
#define P9_L_CREAT	00000100
#define P9_L_EXCL	00000200
#define P9_L_NOCTTY	00000400
#define P9_L_TRUNC	00001000
#define P9_L_APPEND	00002000
#define P9_L_NONBLOCK	00004000
#define P9_L_DSYNC	00010000
#define P9_L_DIRECT	00040000
#define P9_L_LARGEFILE	00100000
#define P9_L_DIRECTORY	00200000
#define P9_L_NOFOLLOW	00400000
#define P9_L_NOATIME	01000000
#define P9_L_CLOEXEC	02000000
#define P9_L_SYNC	04010000

/* ---- wire structures (views into a packet after decoding) --------------- */

struct p9_str {
	const char	*s;	/* not NUL-terminated */
	uint16_t	 len;
};

struct p9_qid {
	uint8_t		type;
	uint32_t	version;
	uint64_t	path;
};

/* 9P2000 / 9P2000.u stat */
struct p9_stat {
	uint16_t	type;
	uint32_t	dev;
	struct p9_qid	qid;
	uint32_t	mode;
	uint32_t	atime;
	uint32_t	mtime;
	uint64_t	length;
	struct p9_str	name, uid, gid, muid;
	struct p9_str	extension;		/* .u */
	uint32_t	n_uid, n_gid, n_muid;	/* .u */
};

/* 9P2000.L Rgetattr / Tsetattr fields */
struct p9_attr {
	uint64_t	valid;		/* Rgetattr valid or Tsetattr valid */
	struct p9_qid	qid;
	uint32_t	mode, uid, gid;
	uint64_t	nlink, rdev, size, blksize, blocks;
	uint64_t	atime_sec, atime_nsec, mtime_sec, mtime_nsec;
	uint64_t	ctime_sec, ctime_nsec, btime_sec, btime_nsec;
	uint64_t	gen, data_version;
};

struct p9_statfs {
	uint32_t	type, bsize;
	uint64_t	blocks, bfree, bavail, files, ffree, fsid;
	uint32_t	namelen;
};

struct p9_flock {
	uint8_t		type;		/* P9_LOCK_RDLCK ... */
	uint32_t	flags;
	uint64_t	start, length;
	uint32_t	proc_id;
	struct p9_str	client_id;
};

/*
 * One message, any type.  Only the fields of its type are meaningful; the
 * message table (libp9(3), p9_fmt) says which.  After p9_decode the strings
 * and data point into the decoded buffer.
 */
struct p9_fcall {
	uint8_t		type;
	uint16_t	tag;
	uint32_t	fid, newfid, afid, dfid;
	uint32_t	msize;
	struct p9_str	version, uname, aname, name, newname, ename, extension;
	struct p9_str	target;		/* Tsymlink symtgt, Rreadlink target */
	uint32_t	n_uname;
	uint32_t	ecode;		/* Rlerror ecode, .u Rerror errno (wire numbers) */
	uint16_t	oldtag;
	uint16_t	nwname;
	struct p9_str	wname[P9_MAXWELEM];
	uint16_t	nwqid;
	struct p9_qid	wqid[P9_MAXWELEM];
	struct p9_qid	qid;
	uint32_t	iounit;
	uint32_t	mode, perm, flags, gid, major, minor, datasync;
	uint64_t	offset, mask, size;
	uint32_t	count;
	const uint8_t	*data;
	uint8_t		status;
	struct p9_stat	stat;
	struct p9_attr	attr;
	struct p9_statfs statfs;
	struct p9_flock	lock;
};

/* ---- codec -------------------------------------------------------------- */

/* Size of f encoded (including a Twrite/Rread payload), 0 if unencodable. */
size_t	p9_size(const struct p9_fcall *f, enum p9_dialect d);
/* Encode f into buf[cap]; returns its size or -EMSGSIZE / -EINVAL. */
ssize_t	p9_encode(uint8_t *buf, size_t cap, const struct p9_fcall *f,
	    enum p9_dialect d);
/*
 * Encode all of f but a trailing Twrite/Rread/Rreaddir payload into buf; the
 * message is then buf[0..ret) followed by f->data[0..f->count).
 */
ssize_t	p9_encode_head(uint8_t *buf, size_t cap, const struct p9_fcall *f,
	    enum p9_dialect d);
/*
 * Decode the whole message buf[len] (len must be exactly its size) into f.
 * Strict: every length is checked; errors return -EBADMSG (malformed) or
 * -EMSGSIZE (size above msize) with a reason in *why.  msize 0 = no limit.
 */
int	p9_decode(const uint8_t *buf, size_t len, uint32_t msize,
	    enum p9_dialect d, struct p9_fcall *f, const char **why);
/* Is r an acceptable reply to t?  0, or -EPROTO with a reason. */
int	p9_check_reply(const struct p9_fcall *t, const struct p9_fcall *r,
	    enum p9_dialect d, const char **why);

/* Name of a message type ("Twalk"), NULL if unknown. */
const char *p9_typename(int type);
/* Type number for a name ("Twalk", case-insensitive), -1 if unknown. */
int	p9_typebyname(const char *name);
/* Is this type defined in dialect d? */
int	p9_type_in(int type, enum p9_dialect d);
const char *p9_dialect_name(enum p9_dialect d);
/* The values of f's fid fields (fid, newfid, afid, dfid, ...) in wire
 * order, at most 2; returns how many. */
int	p9_fcall_fids(const struct p9_fcall *f, enum p9_dialect d,
	    uint32_t fids[2]);
int	p9_dialect_parse(const char *s, enum p9_dialect *d);

/*
 * Plan 9-style one-line rendering:
 *   Twalk tag 1 fid 0 newfid 1 nwname 2 0:usr 1:bin
 * Data is shown as a short preview (at most datamax bytes).
 * Returns the length it wanted (like snprintf).
 */
int	p9_fmt(char *out, size_t cap, const struct p9_fcall *f,
	    enum p9_dialect d, size_t datamax);
/* JSON object with every field (no trailing newline). */
int	p9_fmt_json(char *out, size_t cap, const struct p9_fcall *f,
	    enum p9_dialect d, size_t datamax);

/* Stat (9P2000/.u): parse one entry from buf, returns bytes used or <0. */
ssize_t	p9_stat_decode(const uint8_t *buf, size_t len, enum p9_dialect d,
	    struct p9_stat *st);
size_t	p9_stat_size(const struct p9_stat *st, enum p9_dialect d);
ssize_t	p9_stat_encode(uint8_t *buf, size_t cap, const struct p9_stat *st,
	    enum p9_dialect d);
/* A stat whose every field means "don't touch" (Twstat). */
void	p9_stat_null(struct p9_stat *st);

/* 9P2000.L directory entry (Rreaddir data) */
struct p9_dirent {
	struct p9_qid	qid;
	uint64_t	offset;
	uint8_t		type;	/* DT_* */
	struct p9_str	name;
};
/* Parse one entry; returns bytes used, 0 at the end, <0 if malformed. */
ssize_t	p9_dirent_decode(const uint8_t *buf, size_t len, struct p9_dirent *de);
ssize_t	p9_dirent_encode(uint8_t *buf, size_t cap, const struct p9_dirent *de);

/* ---- translation tables (the wire speaks Linux) ------------------------- */

/* Linux errno number on the wire -> this host's errno (EIO if unknown). */
int	p9_errno_from_linux(uint32_t e);
/* Host errno -> Linux errno number. */
uint32_t p9_errno_to_linux(int e);
/* Linux errno name ("ENOENT"), NULL if unknown. */
const char *p9_errno_name(uint32_t linux_errno);
/* 9P2000 error string ("file does not exist") -> host errno (EIO default). */
int	p9_errno_from_string(const char *s, size_t len);
/* Host open(2) flags -> Linux wire flags, and back. */
uint32_t p9_oflags_to_linux(int flags);
int	p9_oflags_from_linux(uint32_t flags);
/* Host open(2) flags -> 9P2000 Topen mode. */
uint8_t	p9_oflags_to_omode(int flags);

/* ---- session ------------------------------------------------------------ */

struct p9_session;
struct p9_fid;
struct p9_req;

struct p9_opts {
	uint32_t	msize;		/* 0 = P9_DEFMSIZE */
	int		dialect;	/* -1 = offer 9P2000.L, accept lower */
	int		force;		/* only accept exactly .dialect */
	const char	*uname;		/* NULL = login name of the uid */
	const char	*aname;		/* NULL = "" */
	uint32_t	n_uname;	/* P9_NOFID: getuid(), or none if uname */
	int		timeout_ms;	/* connect timeout, 0 = none */
	const char	*trace;		/* p9_trace_file from Tversion on */
	int		poll;		/* virtio: poll the used ring, no IRQ */
	int		reconnect;	/* dial again when the connection ends */
	int		timeout_s;	/* reconnect: fail after this long away
					 * (soft), 0 = wait (hard) */
};
void	p9_opts_init(struct p9_opts *o);

/*
 * Dial strings: tcp:HOST[:PORT]  HOST:PORT  [v6]:PORT  tcp!HOST!PORT
 * unix:PATH  unix!PATH  fd:R,W  (PORT defaults to 564).
 */
int	p9_dial(const char *addr, const struct p9_opts *o,
	    struct p9_session **sp);
/*
 * Run a session over an already connected pair of descriptors (read,
 * write; may be equal).  They belong to the session from the call on,
 * and are closed by p9_session_close or when the call fails.
 */
int	p9_session_fd(int rfd, int wfd, const struct p9_opts *o,
	    struct p9_session **sp);
/*
 * Clunk the root, close the transport, free.  Fids still held become
 * invalid (put them first); replies may still be freed afterwards.
 */
void	p9_session_close(struct p9_session *s);
/*
 * End the session now, as a lost connection would without reconnect:
 * every call waiting (for a reply, for a tag, for a server that is away)
 * and every later one fails with -ECONNABORTED and why.  For a caller
 * that gives up on a server that does not answer; p9_session_close is
 * still needed.  Safe from any thread.
 */
void	p9_session_abort(struct p9_session *s, const char *why);

enum p9_dialect p9_session_dialect(const struct p9_session *s);
uint32_t p9_session_msize(const struct p9_session *s);
/* Largest payload of one Tread/Twrite on this session (msize - IOHDRSZ). */
uint32_t p9_session_iosize(const struct p9_session *s);
/* The attached root (do not put it). */
struct p9_fid *p9_session_root(struct p9_session *s);
/* 0 while the connection is up, else the negative errno that ended it. */
int	p9_session_error(const struct p9_session *s);
/* Times the session made its connection again (p9_opts.reconnect). */
unsigned p9_session_reconnects(struct p9_session *s);
/* Fids currently allocated (for leak checks); tags in flight. */
unsigned p9_session_nfids(struct p9_session *s);
unsigned p9_session_ntags(struct p9_session *s);

/*
 * Record every message of the session from now on in path, a pcapng
 * capture (see p9_pcapng_open below) that 9ptrace(1) and Wireshark read as
 * 9P over TCP whatever the transport.  Closed by p9_session_close.
 */
int	p9_trace_file(struct p9_session *s, const char *path);

/*
 * virtio-9p PCI functions on this machine (Linux, built with the virtio
 * transport): where each is, its mount tag, its driver and IOMMU group,
 * and whether 9ptools can drive it (why not, if not).  Free *v.
 */
struct p9_vdev {
	char	bdf[16];	/* DDDD:BB:DD.F */
	int	modern, legacy;	/* the interfaces it offers */
	char	tag[64];	/* "" if it cannot be read now */
	char	driver[32];	/* "" if none */
	char	group[32];	/* IOMMU group, "" if none */
	int	usable;
	char	why[160];	/* when not usable */
};
int	p9_virtio_list(struct p9_vdev **v, int *n);

/* Text of the last error on this thread (server's message or reason). */
const char *p9_errstr(void);

/* Raw RPC: tag is assigned; on success *r is valid until p9_reply_free. */
struct p9_reply {
	struct p9_fcall	f;
	uint8_t		*buf;
};
int	p9_rpc(struct p9_session *s, struct p9_fcall *t, struct p9_reply *r);
void	p9_reply_free(struct p9_reply *r);

/*
 * Asynchronous RPC: p9_send queues t (blocking only while every tag is
 * in use) and returns a request; p9_wait collects its reply and frees
 * the request; p9_cancel, called by the owner before p9_wait, sends
 * Tflush and waits for Rflush (a reply that arrived first is kept: p9_wait
 * then returns it, else -EINTR).  From another thread use p9_rpc_intr.
 * A Tflush unanswered for 5 s ends the session (-ETIMEDOUT): the server
 * is not answering at all, and nobody should wait on it forever.
 */
int	p9_send(struct p9_session *s, struct p9_fcall *t, struct p9_req **rq);
int	p9_wait(struct p9_req *rq, struct p9_reply *r);
int	p9_cancel(struct p9_req *rq);
/*
 * Flush every request in flight on the session (for a Ctrl-C): each ends
 * with -EINTR unless its reply beats the Rflush.  Not async-signal-safe:
 * call it from a thread that waits for the signal.
 */
int	p9_session_interrupt(struct p9_session *s);

/*
 * An RPC that another thread may interrupt: p9_intr_fire flushes the
 * call running under in (or the next one started, if none is yet), and
 * that call returns -EINTR unless its reply beat the Rflush.  Safe
 * whatever the timing: the library owns the request's lifetime.
 */
#define P9_INTR_MAX	64
struct p9_intr {
	pthread_mutex_t	 lk;
	struct p9_req	*rq[P9_INTR_MAX];	/* calls running under it */
	int		 fired;
};
void	p9_intr_init(struct p9_intr *in);
void	p9_intr_destroy(struct p9_intr *in);
int	p9_rpc_intr(struct p9_session *s, struct p9_fcall *t,
	    struct p9_reply *r, struct p9_intr *in);
void	p9_intr_fire(struct p9_intr *in);

/*
 * One large read or write split into chunks that all travel at once; in
 * may be NULL.  At most P9_INTR_MAX chunks go, so a call moves at most
 * P9_INTR_MAX * p9_session_iosize() bytes.  p9_pread_par returns the
 * bytes read (short at end of file or at that bound); p9_pwrite_par the
 * bytes written.
 */
ssize_t	p9_pread_par(struct p9_fid *f, void *buf, size_t n, uint64_t off,
	    struct p9_intr *in);
ssize_t	p9_pwrite_par(struct p9_fid *f, const void *buf, size_t n,
	    uint64_t off, struct p9_intr *in);
/*
 * As p9_pread_par, without copying: the data stays in the replies (with
 * virtio, in the device's own buffers) and v->iov[0..v->n) points at it,
 * in file order, until p9_rdvec_free (which the caller must call, also
 * after an error: v->n is then 0).  For handing a read on (writev(2),
 * fuse_reply_iov) without a copy of it.
 */
struct p9_rdvec {
	int		 n;
	struct iovec	 iov[P9_INTR_MAX];
	uint8_t		*buf[P9_INTR_MAX];	/* the replies, to free */
};
ssize_t	p9_pread_vec(struct p9_fid *f, size_t n, uint64_t off,
	    struct p9_intr *in, struct p9_rdvec *v);
void	p9_rdvec_free(struct p9_rdvec *v);

/* ---- fids and file operations ------------------------------------------- */

/* A fid's number, qid, and the path it was walked by. */
uint32_t p9_fid_num(const struct p9_fid *f);
const struct p9_qid *p9_fid_qid(const struct p9_fid *f);
const char *p9_fid_path(const struct p9_fid *f);
uint32_t p9_fid_iounit(const struct p9_fid *f);
/* Take another reference; put drops one, clunking on the last. */
struct p9_fid *p9_fid_get(struct p9_fid *f);
int	p9_fid_put(struct p9_fid *f);
/* As p9_fid_put, but the Tclunk's reply is not waited for. */
int	p9_fid_put_nowait(struct p9_fid *f);
/*
 * Keep the number num out of the pool for the rest of the session, so
 * that raw messages (p9_rpc) may use it as a fid of the caller's own.
 * -EBUSY if the pool has it in use now.
 */
int	p9_fid_reserve(struct p9_session *s, uint32_t num);

/* Walk from dir along path ("a/b/c"; "" or "." clones). */
int	p9_walk(struct p9_fid *dir, const char *path, struct p9_fid **out);
/* Open a walked fid with host open(2) flags (O_RDONLY, O_TRUNC, ...). */
int	p9_open(struct p9_fid *f, int flags);
/* Create name in dir (dir is not changed); *out is the new open fid. */
int	p9_create(struct p9_fid *dir, const char *name, int flags,
	    mode_t mode, struct p9_fid **out);
ssize_t	p9_pread(struct p9_fid *f, void *buf, size_t n, uint64_t off);
ssize_t	p9_pwrite(struct p9_fid *f, const void *buf, size_t n, uint64_t off);

/*
 * Whole-file transfers keeping depth requests in flight.  p9_readall reads
 * from off to the end of file and gives fn each piece in file order;
 * p9_writeall writes what src produces (src returns 0 at its end) from
 * off on.  A non-zero return from fn or a negative one from src stops the
 * transfer: outstanding requests are flushed and that value returned.
 */
typedef int (*p9_datafn)(void *arg, const void *data, size_t n,
    uint64_t off);
typedef ssize_t (*p9_srcfn)(void *arg, void *buf, size_t cap);
int	p9_readall(struct p9_fid *f, uint64_t off, int depth, p9_datafn fn,
	    void *arg);
int	p9_writeall(struct p9_fid *f, uint64_t off, int depth, p9_srcfn src,
	    void *arg);

/*
 * Attributes of many names in one directory at once (pipelined walks and
 * getattrs).  errs[i] is 0 or the negative errno for names[i].  With
 * fids non-NULL, fids[i] keeps the walked fid of each name that
 * succeeded (the caller puts it); without, they are clunked.
 */
struct p9_stbuf;
int	p9_getattr_many(struct p9_fid *dir, const char *const *names,
	    size_t n, struct p9_stbuf *out, int *errs, struct p9_fid **fids);

/* Dialect-independent attributes (from Rgetattr, or a stat). */
struct p9_stbuf {
	uint64_t	valid;		/* P9_GETATTR_* bits that are known */
	struct p9_qid	qid;
	uint32_t	mode;		/* POSIX st_mode bits */
	uint32_t	uid, gid;	/* numeric; P9_NOFID if unknown */
	char		uname[64], gname[64];	/* names if the dialect has them */
	uint64_t	nlink, rdev, size, blksize, blocks;
	int64_t		atime, mtime, ctime;
	uint32_t	atime_ns, mtime_ns, ctime_ns;
	char		name[256];	/* from stat/readdir, else "" */
};
int	p9_getattr(struct p9_fid *f, struct p9_stbuf *st);
/* Set what valid (P9_SETATTR_*) selects from st. */
int	p9_setattr(struct p9_fid *f, uint32_t valid, const struct p9_stbuf *st);

/* Read a directory (the fid is opened by the call, and must not be open). */
typedef int (*p9_dirfn)(void *arg, const struct p9_stbuf *st);
int	p9_readdir(struct p9_fid *dir, p9_dirfn fn, void *arg);

int	p9_mkdir(struct p9_fid *dir, const char *name, mode_t mode);
/* Remove name in dir (AT_REMOVEDIR in flags for a directory). */
int	p9_unlinkat(struct p9_fid *dir, const char *name, int flags);
int	p9_renameat(struct p9_fid *odir, const char *oname,
	    struct p9_fid *ndir, const char *nname);
int	p9_statfs(struct p9_fid *f, struct p9_statfs *st);
int	p9_fsync(struct p9_fid *f, int datasync);
int	p9_symlink(struct p9_fid *dir, const char *name, const char *target);
int	p9_readlink(struct p9_fid *f, char *buf, size_t cap);
/* A hard link name in dir to f (9P2000.L Tlink, .u Tcreate DMLINK). */
int	p9_link(struct p9_fid *dir, struct p9_fid *f, const char *name);
/* A device, fifo or socket node (mode holds S_IF* and permissions). */
int	p9_mknod(struct p9_fid *dir, const char *name, mode_t mode,
	    uint32_t major, uint32_t minor);

/*
 * Extended attributes (9P2000.L).  p9_xattr_get with name "" reads the
 * NUL-separated list of names; cap 0 asks only for the size.  flags for
 * p9_xattr_set are setxattr(2)'s XATTR_CREATE (1) / XATTR_REPLACE (2).
 */
ssize_t	p9_xattr_get(struct p9_fid *f, const char *name, void *buf,
	    size_t cap);
int	p9_xattr_set(struct p9_fid *f, const char *name, const void *val,
	    size_t n, int flags);
int	p9_xattr_remove(struct p9_fid *f, const char *name);
/*
 * The size of attribute name on each of fids[0..n-1] at once (pipelined
 * Txattrwalks; NULL fids are skipped): res[i] is the size, or a negative
 * errno (-ENODATA: the file has no such attribute).  For a listing's
 * worth of files; the attribute fids are clunked, pipelined too.
 */
int	p9_xattr_size_many(struct p9_fid *const *fids, size_t n,
	    const char *name, int64_t *res);

/* POSIX record locks (9P2000.L): *status is P9_LOCK_SUCCESS ... */
int	p9_lock(struct p9_fid *f, struct p9_flock *l, uint8_t *status);
/* Tgetlock: l is updated with the conflicting lock, or type UNLCK. */
int	p9_getlock(struct p9_fid *f, struct p9_flock *l);

/* ---- traces: pcapng writer, 9P stream decoder (lib/trace) ------------- */

/*
 * A pcapng file of 9P conversations written as IPv4 TCP segments (linktype
 * RAW) between made-up endpoints: client 10.9.0.1 port 40000+N, server
 * 10.9.0.2 port 564, so that any transport (virtio, fd, Unix socket) reads
 * as 9P over TCP in 9ptrace and Wireshark.  Thread-safe; every call writes
 * whole blocks and flushes them, so a crash loses at most one message.
 */
struct p9_pcapng;
int	p9_pcapng_open(const char *path, const char *comment,
	    struct p9_pcapng **out);
/* A new connection (a SYN handshake is written); returns its number >= 1. */
unsigned p9_pcapng_conn(struct p9_pcapng *w);
/* Bytes sent by the client (fromserver 0) or the server; ts NULL = now. */
int	p9_pcapng_data(struct p9_pcapng *w, unsigned conn, int fromserver,
	    const struct timespec *ts, const struct iovec *iov, int niov);
/* The connection ends (FIN both ways). */
int	p9_pcapng_end(struct p9_pcapng *w, unsigned conn);
int	p9_pcapng_close(struct p9_pcapng *w);

/*
 * The stream decoder: byte streams (or captured packets, reassembled here)
 * in, decoded messages out, one callback each, in stream order.  Per
 * connection it tracks the dialect and msize (Tversion/Rversion), the
 * requests in flight (to pair each reply with its request and time it) and
 * the path of every fid (attach, walk, create, rename).  It resynchronises
 * after garbage, gaps and captures that start mid-stream, and says so with
 * a note.  Not thread-safe: one decoder per thread.
 */
struct p9_tdec;

struct p9_tmsg {
	unsigned	 conn;		/* connection number, from 1 */
	int		 fromserver;	/* direction of the bytes */
	struct timespec	 time;		/* when its last byte was seen */
	const uint8_t	*raw;		/* the whole message */
	uint32_t	 len;
	int		 err;		/* 0, or -EBADMSG / -EMSGSIZE: why */
	const char	*why;
	enum p9_dialect	 dialect;	/* as negotiated, or guessed */
	struct p9_fcall	 f;		/* type and tag always; all if !err */
	/* replies */
	const struct p9_fcall *req;	/* its request, NULL if never seen */
	int64_t		 latency_ns;	/* -1 if the request was not seen */
	/* the paths of the message's fid fields in order (of the request's
	 * for a reply), NULL if unknown; a walk's newfid gets the path it
	 * will have if the walk succeeds */
	const char	*path[2];
	int		 dirread;	/* Rread data holds 9P2000 stat entries */
};

enum p9_tdec_fmt {
	P9_TFMT_LINE,		/* one line, Plan 9 style */
	P9_TFMT_VERBOSE,	/* one field per line */
	P9_TFMT_JSON,		/* one JSON object (JSON lines) */
};

struct p9_tdec_cb {
	void	(*msg)(void *arg, const struct p9_tmsg *m);
	/* a connection starts, resynchronises, has a gap, ends inside a
	 * message, ... (text without newline) */
	void	(*note)(void *arg, unsigned conn, const struct timespec *ts,
		    const char *text);
};

struct p9_tdec *p9_tdec_new(const struct p9_tdec_cb *cb, void *arg);
void	p9_tdec_free(struct p9_tdec *d);
/* Open a byte-stream connection named name (shown in notes). */
unsigned p9_tdec_open(struct p9_tdec *d, const char *name);
const char *p9_tdec_name(const struct p9_tdec *d, unsigned conn);
/* Bytes of one direction, in order; gap: n bytes of it were lost. */
void	p9_tdec_bytes(struct p9_tdec *d, unsigned conn, int fromserver,
	    const struct timespec *ts, const uint8_t *p, size_t n);
void	p9_tdec_gap(struct p9_tdec *d, unsigned conn, int fromserver,
	    uint64_t n);
/* The connection is over: a message cut short is reported. */
void	p9_tdec_close(struct p9_tdec *d, unsigned conn);

/*
 * Captured packets: linktype is libpcap's DLT_ number (EN10MB, RAW, IPV4,
 * IPV6, NULL, LOOP, LINUX_SLL, LINUX_SLL2).  TCP segments of connections
 * to or from one of the ports (default 564), or whose first bytes are a
 * Tversion, are reassembled (out of order, retransmitted, overlapping) and
 * decoded.  Returns 0, or -EPROTONOSUPPORT for a link type it can't read.
 */
int	p9_tdec_ports(struct p9_tdec *d, const uint16_t *ports, int n);
int	p9_tdec_packet(struct p9_tdec *d, int linktype,
	    const struct timespec *ts, const uint8_t *pkt, size_t caplen,
	    size_t origlen);
/* End of capture: deliver what reassembly holds back, close everything. */
void	p9_tdec_finish(struct p9_tdec *d);
/* Per-decoder counters. */
struct p9_tdec_stats {
	uint64_t	packets, segments, retransmits, outoforder;
	uint64_t	messages, malformed, notes, bytes_skipped;
};
void	p9_tdec_stats(const struct p9_tdec *d, struct p9_tdec_stats *st);
/* Fids alive on conn now: calls fn for each; returns how many. */
unsigned p9_tdec_fids(const struct p9_tdec *d, unsigned conn,
	    void (*fn)(void *arg, uint32_t fid, const char *path), void *arg);
unsigned p9_tdec_nconn(const struct p9_tdec *d);

/*
 * Render m: its time, connection, the message with each fid's path
 * ("fid 3</usr/bin>"), errno names and texts, directory entries, and for
 * a reply its request's type and latency.  datamax bytes of data are shown
 * (hex or text).  snprintf-like.
 */
int	p9_tmsg_fmt(char *out, size_t cap, const struct p9_tmsg *m,
	    enum p9_tdec_fmt how, size_t datamax);

#ifdef __cplusplus
}
#endif
#endif /* P9_H */

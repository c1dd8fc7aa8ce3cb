/*
 * 9pfuse.h - what the 9pfuse files share: the mount configuration (from
 * v9fs's option language), the inode table and open-file handles.
 */
#ifndef NINEPFUSE_H
#define NINEPFUSE_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <pthread.h>

#include "p9.h"

enum cachemode { CACHE_NONE, CACHE_MMAP, CACHE_READAHEAD, CACHE_LOOSE,
	CACHE_FSCACHE };
enum accessmode { ACCESS_USER, ACCESS_ANY, ACCESS_CLIENT, ACCESS_UID };

struct cfg {
	const char	*source, *mnt;
	char		 addr[512];	/* dial string built from source+trans */
	const char	*trans;
	unsigned	 port;
	int		 rfdno, wfdno;
	struct p9_opts	 p9;
	enum cachemode	 cache;
	enum accessmode	 access;
	uint32_t	 access_uid;
	uint32_t	 dfltuid, dfltgid;
	int		 posixacl, noxattr, ro;
	int		 foreground, debug;
	int		 default_permissions, allow_other;
	const char	*trace;
	double		 attr_timeout, entry_timeout;
	uint32_t	 max_io;	/* largest FUSE read/write */
};

/* a byte-range (POSIX) or whole-file (flock) lock held by a local owner */
struct lock {
	struct lock	*next;
	int		 flock;		/* flock(2) family, else POSIX */
	uint64_t	 owner;		/* lock_owner, or the fh for flock */
	short		 type;		/* F_RDLCK or F_WRLCK */
	uint64_t	 start, end;	/* inclusive; end UINT64_MAX: to EOF */
	pid_t		 pid;
};

struct node {
	uint64_t	 qpath;		/* the server's identity of the file */
	struct p9_fid	*fid;		/* walked, never opened; under lk */
	uint64_t	 nlookup;	/* kernel references; under table lock */
	unsigned	 nopen;		/* open handles; under table lock */
	char		*hidden;	/* silly-renamed to; under table lock */
	struct p9_fid	*hdir;		/* ... in this folder */
	pthread_mutex_t	 lk;
	struct node	*hnext;
	/* locks: the local owners' locks, and one server lock for them all */
	pthread_mutex_t	 llk;
	pthread_cond_t	 lcv;		/* a lock went away */
	struct lock	*locks;		/* under llk */
	struct p9_fid	*lockfid;	/* holds the server lock; under llk */
	short		 srvtype;	/* F_UNLCK, F_RDLCK or F_WRLCK held */
	/* xattr names the server said it lacks, kept as long as attributes
	   (see xneg_* in io.c); under lk */
	struct xneg {
		char		 name[32];
		int		 err;		/* ENODATA or EOPNOTSUPP */
		int		 pre;		/* asked by a readdirplus */
		double		 until;		/* CLOCK_MONOTONIC seconds */
	}		 xneg[4];
	unsigned	 xnext;
	unsigned	 xgen;		/* bumped when the list is forgotten */
	/* the last attributes the server gave (fs_getattr); under lk */
	struct stat	 last;
	int		 haslast;
};

struct fh {
	struct p9_fid	*fid;		/* opened */
	struct node	*node;		/* files: counted in node->nopen */
	/* directories: a snapshot, read at opendir or the first readdir */
	struct dirent9	*ents;
	size_t		 nents;
	int		 loaded;
	uint64_t	 ino;		/* the folder's own, for "." */
};

struct dirent9 {
	char		*name;
	struct p9_qid	 qid;
	uint32_t	 type;		/* S_IF* */
	struct p9_stbuf	*st;		/* full attributes if the dialect gave them */
};

extern struct cfg cfg;
extern struct p9_session *sess;

/* opts.c */
int	parse_args(int argc, char **argv, struct fuse_args *fa);
void	usage(void);

/* node.c */
void	nodes_init(struct p9_fid *root);
void	nodes_free(void);
struct node *node_of(fuse_ino_t ino);
struct p9_fid *node_fid(struct node *n);
/* Find or make the node for fid (whose getattr gave st); takes fid. */
struct node *node_enter(struct p9_fid *fid, const struct p9_stbuf *st);
struct node *node_enter_folder(struct p9_fid *fid, struct stat *st);
void	node_forget(fuse_ino_t ino, uint64_t n);
/* The folder q was removed: a new file given its number is a new node. */
void	node_gone(uint64_t q);
unsigned nodes_count(void);
/* The node of a file that was walked again (fid): it takes fid. */
void	node_refresh(struct p9_fid *fid);
/* A folder moved: walk the nodes below it again by their new paths. */
void	node_rebase(const char *old, const char *new);
/* Open handles: counted per node; is the file with qid path q open? */
void	node_opened(struct node *n);
int	node_is_open(uint64_t q);
extern unsigned open_files;
/* Record that the open file q now lives as hidden in dir (silly rename). */
int	node_hide(uint64_t q, struct p9_fid *dir, const char *hidden);
void	node_unhide(uint64_t q);
/* The last close of a hidden file returns its folder and name to remove. */
struct p9_fid *node_closed(struct node *n, char **hidden);

/*
 * node.c, locks: each node arbitrates its local owners' locks and takes
 * one server lock on their behalf.
 */
int	lock_set(fuse_req_t req, struct node *n, int flock, uint64_t owner,
	    struct flock *fl, int wait);
int	lock_get(struct node *n, struct fh *h, uint64_t owner,
	    struct flock *fl);
void	lock_drop(struct node *n, int flock, uint64_t owner);

/* attr.c */
void	stat_from(const struct p9_stbuf *b, struct stat *st);
void	entry_from(struct node *n, const struct stat *st,
	    struct fuse_entry_param *e);
int	fill_entry(struct node *n, const struct p9_stbuf *b,
	    struct fuse_entry_param *e);
int	errno_of(int err);
int	denied(fuse_req_t req);
#define GUARD(req)	do { if (denied(req)) return; } while (0)

/* io.c: the operations on open files and directories */
void	fs_open(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void	fs_create(fuse_req_t, fuse_ino_t, const char *, mode_t,
	    struct fuse_file_info *);
void	fs_read(fuse_req_t, fuse_ino_t, size_t, off_t, struct fuse_file_info *);
void	fs_write(fuse_req_t, fuse_ino_t, const char *, size_t, off_t,
	    struct fuse_file_info *);
void	fs_flush(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void	fs_release(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void	fs_fsync(fuse_req_t, fuse_ino_t, int, struct fuse_file_info *);
void	fs_opendir(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void	fs_readdir(fuse_req_t, fuse_ino_t, size_t, off_t,
	    struct fuse_file_info *);
void	fs_readdirplus(fuse_req_t, fuse_ino_t, size_t, off_t,
	    struct fuse_file_info *);
/* a file was looked up: readdirplus gives files attributes for a while */
void	note_file_lookup(void);
void	fs_releasedir(fuse_req_t, fuse_ino_t, struct fuse_file_info *);
void	fs_fsyncdir(fuse_req_t, fuse_ino_t, int, struct fuse_file_info *);
void	fs_setxattr(fuse_req_t, fuse_ino_t, const char *, const char *,
	    size_t, int);
void	fs_getxattr(fuse_req_t, fuse_ino_t, const char *, size_t);
void	fs_listxattr(fuse_req_t, fuse_ino_t, size_t);
void	fs_removexattr(fuse_req_t, fuse_ino_t, const char *);
void	fs_getlk(fuse_req_t, fuse_ino_t, struct fuse_file_info *,
	    struct flock *);
void	fs_setlk(fuse_req_t, fuse_ino_t, struct fuse_file_info *,
	    struct flock *, int);
void	fs_flock(fuse_req_t, fuse_ino_t, struct fuse_file_info *, int);
void	fs_init(void *, struct fuse_conn_info *);

/* ops.c */
void	give_to_caller(fuse_req_t req, struct p9_fid *f, struct p9_stbuf *st);
extern const struct fuse_lowlevel_ops fs_ops;

/*
 * stats.c: the status line SIGUSR1 prints.  Every error reply goes
 * through stats_reply_err, which counts it by errno.
 */
void	stats_block(void);
void	stats_start(void);
void	stats_stop(void);
int	stats_reply_err(fuse_req_t req, int err);
#define fuse_reply_err(req, err)	stats_reply_err(req, err)

#endif

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
	int		 default_permissions;
	const char	*trace;
	double		 attr_timeout, entry_timeout;
	uint32_t	 max_io;	/* largest FUSE read/write */
};

struct node {
	uint64_t	 qpath;		/* the server's identity of the file */
	struct p9_fid	*fid;		/* walked, never opened; under lk */
	uint64_t	 nlookup;	/* kernel references; under table lock */
	pthread_mutex_t	 lk;
	struct node	*hnext;
};

struct fh {
	struct p9_fid	*fid;		/* opened */
	int		 locked;	/* a lock was taken through it */
	/* directories: a snapshot read at opendir */
	struct dirent9	*ents;
	size_t		 nents;
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
struct node *node_of(fuse_ino_t ino);
struct p9_fid *node_fid(struct node *n);
/* Find or make the node for fid (whose getattr gave st); takes fid. */
struct node *node_enter(struct p9_fid *fid, const struct p9_stbuf *st);
void	node_forget(fuse_ino_t ino, uint64_t n);
unsigned nodes_count(void);

/* attr.c */
void	stat_from(const struct p9_stbuf *b, struct stat *st);
int	fill_entry(struct node *n, const struct p9_stbuf *b,
	    struct fuse_entry_param *e);
int	errno_of(int err);

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

extern const struct fuse_lowlevel_ops fs_ops;

#endif

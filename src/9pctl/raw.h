/*
 * raw.h - between the raw-message engine (raw.c) and the operations
 * (rawops.c, rawl.c, their arguments in rawargs.c, their printing in
 * rawfmt.c): the shell's fid table, one exchange of a message.
 */
#ifndef NINEPCTL_RAW_H
#define NINEPCTL_RAW_H

#include "9pctl.h"

/* one fid the shell's user made, as the replies describe it */
struct rfid {
	uint32_t	 num;
	char		*path;		/* from the attach point, as text */
	struct p9_qid	 qid;
	char		 mode[48];	/* how it was opened, "" if not */
	uint32_t	 iounit;
	struct rfid	*next;
};

/* the arguments of a command, kept for its reply (which may come later) */
struct ctx {
	int		 argc;
	char		**argv;
	int		 hex;		/* read -x */
};

/*
 * Run after a reply to update the table and print what the reply line
 * does not show (data, directory entries).  r is NULL for an error
 * reply; only ops whose fid goes away whatever the answer care.
 */
typedef void (*afterfn)(const struct p9_fcall *t, const struct p9_fcall *r,
    const struct ctx *c);

int	xact(struct p9_fcall *t, const struct ctx *c, int bg, afterfn after);
void	print_fcall(const struct p9_fcall *f, size_t datamax);

/* fid table */
struct rfid *tab_get(uint32_t num);
struct rfid *tab_set(uint32_t num, const char *path,
	    const struct p9_qid *qid);
void	tab_del(uint32_t num);
void	tab_clear(void);
void	tab_rename(const char *from, const char *to);
int	tab_reserve(uint32_t num);
char	*path_join(const char *base, char *const *names, int n);

/* rawargs.c: argument parsing shared by the ops */
struct p9_str pstr(const char *s);
int	arg_fid(const char *op, const char *s, uint32_t *v);
int	arg_num(const char *op, const char *what, const char *s, uint64_t *v);
int	arg_u32(const char *op, const char *what, const char *s, uint32_t *v);
int	arg_mode(const char *op, const char *s, uint32_t *v);
int	arg_perm(const char *op, const char *s, uint32_t *v);
int	arg_lflags(const char *op, const char *s, uint32_t *v);
int	arg_omode(const char *op, const char *s, uint32_t *v);
int	arg_locktype(const char *op, const char *s, uint8_t *v);
int	optype(const char *name);
const char *fidpath(uint32_t fid);
struct rfid *tab_need(uint32_t fid);
uint32_t maxcount(uint32_t fid);
void	lflags_str(uint32_t fl, char *out, size_t cap);
void	omode_str(uint32_t m, char *out, size_t cap);
void	fmt_qid(const struct p9_qid *q, char *out, size_t cap);
void	print_data(const uint8_t *d, uint32_t n, uint64_t off, int hex);
int	is_number(const char *s);
void	raw_defaults(const char **uname, const char **aname,
	    uint32_t *n_uname);

/* raw.c */
int	raw_version(int argc, char **argv, int bg);
int	raw_flush(int argc, char **argv, int bg);
int	raw_wait(int argc, char **argv, int bg);
int	raw_fids(int argc, char **argv, int bg);

/* rawl.c: the 9P2000.L messages */
int	raw_getattr(int argc, char **argv, int bg);
int	raw_setattr(int argc, char **argv, int bg);
int	raw_readdir(int argc, char **argv, int bg);
int	raw_xattrwalk(int argc, char **argv, int bg);
int	raw_xattrcreate(int argc, char **argv, int bg);
int	raw_lock(int argc, char **argv, int bg);
int	raw_fsync(int argc, char **argv, int bg);
int	raw_mkdir(int argc, char **argv, int bg);
int	raw_symlink(int argc, char **argv, int bg);
int	raw_link(int argc, char **argv, int bg);
int	raw_mknod(int argc, char **argv, int bg);
int	raw_rename(int argc, char **argv, int bg);
int	raw_renameat(int argc, char **argv, int bg);
int	raw_unlinkat(int argc, char **argv, int bg);

#endif

/*
 * 9pctl.h - what the 9pctl commands share: the session, the command
 * table, path helpers, error reporting, the shell's state and progress.
 */
#ifndef NINEPCTL_H
#define NINEPCTL_H

#include <signal.h>
#include <stdint.h>

#include "p9.h"

struct cmd {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*args;	/* usage of the command's arguments */
};

extern const struct cmd cmds[];	/* the commands of main.c */
extern const size_t ncmds;
extern struct p9_session *sess;
extern struct p9_opts opts;		/* as the session was dialled */
extern const char *addr;
extern volatile sig_atomic_t interrupted;
/* a command is running: a signal flushes what is in flight */
extern volatile sig_atomic_t busy;
/* the shell at its prompt: a signal writes a byte here (-1: none) */
extern int intr_fd;
extern int in_shell;
/* the shell reading a script: a signal between commands ends it */
extern volatile sig_atomic_t idle_exit;

/* util.c */
extern char cwd[4096];	/* the shell's current directory; "/" otherwise */
int	fail(const char *what, int err);
int	walkto(const char *path, struct p9_fid **f);
int	walkparent(const char *path, struct p9_fid **dir, const char **name);
void	cmd_usage(const struct cmd *c);
const char *basename_of(const char *path);
void	reset_getopt(void);
int	parse_u64(const char *s, uint64_t *v);
int	parse_u32(const char *s, uint32_t *v);

/* progress.c: bytes, rate and ETA on a terminal's stderr */
struct progress {
	const char	*name;
	uint64_t	 total;		/* 0: unknown */
	uint64_t	 done;
	double		 start, last;
	int		 on, shown;
};
void	progress_start(struct progress *p, const char *name, uint64_t total);
void	progress_add(struct progress *p, uint64_t n);
void	progress_end(struct progress *p, int ok);

/* commands */
int	cmd_devices(int, char **);
int	cmd_version(int, char **);
int	cmd_ls(int, char **);
int	cmd_stat(int, char **);
int	cmd_cat(int, char **);
int	cmd_get(int, char **);
int	cmd_put(int, char **);
int	cmd_mkdir(int, char **);
int	cmd_rm(int, char **);
int	cmd_mv(int, char **);
int	cmd_df(int, char **);
int	cmd_shell(int, char **);
int	cmd_doctor(int, char **);

/* fs.c */
int	rm_path(const char *path, int recursive);

/* shell.c */
int	shell_run(int interactive, int stop_on_error);
int	shell_split(const char *line, char ***argvp, char **bufp);
const char *shell_cmdname(size_t i);

/* complete.c: history and completion, with readline */
void	hist_init(void);
void	hist_add(const char *line);
void	hist_end(void);
char	**shell_complete(const char *text, int start, int end);

/* raw.c: the raw 9P operations and their fid table */
struct rawop {
	const char	*name;
	int		 type;		/* its T-message, 0: none */
	int		(*fn)(int argc, char **argv, int bg);
	const char	*args;
};
extern const struct rawop rawops[];
const struct rawop *raw_lookup(const char *name);
/* set when a Tversion left the connection in a state the session can't use */
extern int sess_broken;
void	raw_init(void);
void	raw_finish(void);
/* walk/stat/mkdir name both a raw op (fid first) and an everyday command */
int	raw_wanted(const struct rawop *op, int argc, char **argv);
/* path of a fid in the table (NULL if unknown), for completion */
const char *raw_fidpath(uint32_t fid);

#endif

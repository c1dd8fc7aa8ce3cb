/*
 * 9pctl.h - what the 9pctl commands share: the session, the command
 * table, path helpers and error reporting.
 */
#ifndef NINEPCTL_H
#define NINEPCTL_H

#include <signal.h>

#include "p9.h"

struct cmd {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*args;	/* usage of the command's arguments */
};

extern struct p9_session *sess;
extern volatile sig_atomic_t interrupted;

/* util.c */
int	fail(const char *what, int err);
int	walkto(const char *path, struct p9_fid **f);
int	walkparent(const char *path, struct p9_fid **dir, const char **name);
void	cmd_usage(const struct cmd *c);
const char *basename_of(const char *path);

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

#endif

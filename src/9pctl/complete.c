/*
 * complete.c - the shell's line editing aids: history kept in a file
 * across runs, and tab completion of command names, remote paths
 * (read from the server as they are typed) and walk's names.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_READLINE
#include <readline/history.h>
#include <readline/readline.h>

#include "9pctl.h"

#define HISTMAX	1000

static char histpath[PATH_MAX + 16];

/*
 * $XDG_STATE_HOME/9pctl/history, by default under ~/.local/state; a
 * line that starts with a blank is not kept (as bash's ignorespace).
 */
void
hist_init(void)
{
	const char *x = getenv("XDG_STATE_HOME"), *h = getenv("HOME");
	char dir[PATH_MAX];
	int fd;

	if (x && x[0] == '/')
		snprintf(dir, sizeof dir, "%s/9pctl", x);
	else if (h && h[0] == '/')
		snprintf(dir, sizeof dir, "%s/.local/state/9pctl", h);
	else
		return;
	for (char *p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	mkdir(dir, 0700);
	snprintf(histpath, sizeof histpath, "%s/history", dir);
	using_history();
	read_history(histpath);
	if ((fd = open(histpath, O_WRONLY | O_CREAT | O_APPEND, 0600)) >= 0)
		close(fd);
	else
		histpath[0] = '\0';
}

void
hist_add(const char *line)
{
	HIST_ENTRY *last = history_length ?
	    history_get(history_base + history_length - 1) : NULL;

	if (line[0] == '\0' || line[0] == ' ' || line[0] == '\t' ||
	    (last && strcmp(last->line, line) == 0))
		return;
	add_history(line);
	/* at once: a shell killed or crashed keeps its history */
	if (histpath[0])
		append_history(1, histpath);
}

void
hist_end(void)
{
	if (histpath[0])
		history_truncate_file(histpath, HISTMAX);
}

static char **cands;
static size_t ncands, candcap;

static void
cand_add(const char *a, const char *b, const char *c)
{
	if (ncands + 1 >= candcap) {
		size_t cap = candcap ? 2 * candcap : 64;
		char **n = realloc(cands, cap * sizeof *n);

		if (n == NULL)
			return;
		cands = n;
		candcap = cap;
	}
	if (asprintf(&cands[ncands], "%s%s%s", a, b, c) >= 0)
		cands[++ncands] = NULL;
}

static void
cand_clear(void)
{
	for (size_t i = 0; i < ncands; i++)
		free(cands[i]);
	ncands = 0;
	if (cands)
		cands[0] = NULL;
}

static char *
cand_gen(const char *text, int state)
{
	static size_t i;

	(void)text;
	if (state == 0)
		i = 0;
	return i < ncands ? strdup(cands[i++]) : NULL;
}

struct dirmatch {
	const char	*before;	/* put in front of each name */
	const char	*prefix;
	int		 slash;		/* mark directories with a '/' */
};

static int
dir_add(void *arg, const struct p9_stbuf *st)
{
	struct dirmatch *m = arg;

	if (strcmp(st->name, ".") == 0 || strcmp(st->name, "..") == 0 ||
	    strncmp(st->name, m->prefix, strlen(m->prefix)) != 0)
		return 0;
	cand_add(m->before, st->name, m->slash && S_ISDIR(st->mode) ? "/" :
	    "");
	return 0;
}

/* Names in the remote directory dir that start with prefix. */
static void
complete_in(const char *dir, const char *before, const char *prefix,
    int slash)
{
	struct dirmatch m = { before, prefix, slash };
	struct p9_fid *f;

	if (walkto(dir, &f) != 0)
		return;
	p9_readdir(f, dir_add, &m);
	p9_fid_put(f);
}

/* Does argument idx of cmd name a local file (get's second, put's first)? */
static int
local_arg(const char *cmd, int idx)
{
	return (strcmp(cmd, "put") == 0 && idx == 1) ||
	    (strcmp(cmd, "get") == 0 && idx == 2) || strcmp(cmd, "lcd") == 0;
}

static int
remote_arg(const char *cmd)
{
	static const char *const paths[] = { "ls", "cd", "cat", "get", "put",
	    "rm", "mv", "df", "stat", "mkdir" };

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (strcmp(cmd, paths[i]) == 0)
			return 1;
	return 0;
}

char **
shell_complete(const char *text, int start, int end)
{
	char **words, *buf, *line, *dir, *slash;
	int nw;

	(void)end;
	rl_attempted_completion_over = 1;
	cand_clear();
	if ((line = strndup(rl_line_buffer, (size_t)start)) == NULL)
		return NULL;
	if ((nw = shell_split(line, &words, &buf)) < 0) {
		free(line);
		return NULL;
	}
	if (nw == 0) {
		const char *n;

		for (size_t i = 0; (n = shell_cmdname(i)) != NULL; i++)
			if (strncmp(n, text, strlen(text)) == 0)
				cand_add(n, "", "");
	} else if (local_arg(words[0], nw)) {
		rl_attempted_completion_over = 0;	/* readline's own */
	} else if (strcmp(words[0], "walk") == 0 && nw >= 3) {
		/* a name in the directory the fid and names before reach */
		uint32_t fid;
		const char *base;
		char *p;

		if (parse_u32(words[1], &fid) == 0 &&
		    (base = raw_fidpath(fid)) != NULL && base[0] == '/') {
			size_t n = strlen(base) + 2;

			for (int i = 3; i < nw; i++)
				n += strlen(words[i]) + 1;
			if ((p = malloc(n)) != NULL) {
				snprintf(p, n, "%s", base);
				for (int i = 3; i < nw; i++)
					strcat(strcat(p, "/"), words[i]);
				complete_in(p, "", text, 0);
				free(p);
			}
		}
	} else if (remote_arg(words[0])) {
		if ((dir = strdup(text)) != NULL) {
			if ((slash = strrchr(dir, '/')) != NULL) {
				slash[1] = '\0';
				complete_in(dir, dir, text + strlen(dir), 1);
			} else
				complete_in("", "", text, 1);
			free(dir);
		}
	}
	free(words);
	free(buf);
	free(line);
	if (ncands == 0)
		return NULL;
	/* a directory is completed up to its slash, ready for more */
	rl_completion_suppress_append = ncands == 1 &&
	    cands[0][strlen(cands[0]) - 1] == '/';
	return rl_completion_matches(text, cand_gen);
}
#endif /* HAVE_READLINE */

/*
 * shell.c - 9pctl's shell: commands read from a readline prompt (with
 * history kept across runs and completion of commands and remote paths)
 * or, when standard input is not a terminal, from standard input.  A
 * line is split into words as sh(1) would with quotes; the everyday
 * commands run relative to a current directory, the raw operations
 * (rawops.c) send one message each.
 */
#include <sys/select.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

#include "9pctl.h"

static int quit_now = -1;	/* exit's status once asked for */
static int last;		/* the last command's status */

/* ---- words -------------------------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The text of a double-quoted string starting after its quote at p,
 * written to *o: \n \t and \xHH stand for their bytes, a backslash
 * before anything else for that character.  Returns what follows the
 * closing quote, NULL if there is none.
 */
static const char *
dquoted(const char *p, char **o)
{
	for (; *p && *p != '"'; p++) {
		if (*p != '\\' || p[1] == '\0') {
			*(*o)++ = *p;
			continue;
		}
		p++;
		if (*p == 'n')
			*(*o)++ = '\n';
		else if (*p == 't')
			*(*o)++ = '\t';
		else if (*p == 'x' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			*(*o)++ = (char)(hexval(p[1]) << 4 | hexval(p[2]));
			p += 2;
		} else
			*(*o)++ = *p;
	}
	return *p == '"' ? p + 1 : NULL;
}

/*
 * Split line into words: blanks separate them; '...' is taken as it is;
 * "..." as dquoted() reads it; a backslash elsewhere takes the next
 * character as it is; a word starting with # starts a comment.  The
 * words are NUL-terminated in one buffer.  Returns the number of words,
 * or -1 for an unterminated quote.
 */
int
shell_split(const char *line, char ***argvp, char **bufp)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 1), *o = buf, **argv;
	const char *p = line, *e;
	int argc = 0;

	argv = calloc(len / 2 + 2, sizeof *argv);
	if (buf == NULL || argv == NULL)
		errx(1, "out of memory");
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		argv[argc++] = o;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' &&
		    *p != '\r') {
			if (*p == '\'') {
				if ((e = strchr(p + 1, '\'')) == NULL)
					goto unbalanced;
				memcpy(o, p + 1, (size_t)(e - p - 1));
				o += e - p - 1;
				p = e + 1;
			} else if (*p == '"') {
				if ((p = dquoted(p + 1, &o)) == NULL)
					goto unbalanced;
			} else if (*p == '\\' && p[1]) {
				*o++ = p[1];
				p += 2;
			} else
				*o++ = *p++;
		}
		*o++ = '\0';
	}
	argv[argc] = NULL;
	*argvp = argv;
	*bufp = buf;
	return argc;
unbalanced:
	free(buf);
	free(argv);
	return -1;
}

/* ---- commands of the shell itself --------------------------------------- */

static int
sh_cd(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/";
	struct p9_fid *f;
	int err;

	if (argc > 2)
		return 2;
	if ((err = walkto(path, &f)) != 0)
		return fail(path, err);
	if (!(p9_fid_qid(f)->type & P9_QTDIR)) {
		p9_fid_put(f);
		return fail(path, -ENOTDIR);
	}
	snprintf(cwd, sizeof cwd, "%s", p9_fid_path(f));
	p9_fid_put(f);
	return 0;
}

static int
sh_pwd(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return 2;
	printf("%s\n", cwd);
	return 0;
}

static int
sh_lcd(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("HOME");

	if (argc > 2 || dir == NULL)
		return 2;
	if (chdir(dir) != 0) {
		warn("%s", dir);
		return 1;
	}
	return 0;
}

static int
sh_lpwd(int argc, char **argv)
{
	char buf[PATH_MAX];

	(void)argv;
	if (argc != 1)
		return 2;
	if (getcwd(buf, sizeof buf) == NULL) {
		warn("lpwd");
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}

static int
sh_quit(int argc, char **argv)
{
	uint32_t st = (uint32_t)last;

	if (argc > 2 || (argc == 2 && (parse_u32(argv[1], &st) != 0 ||
	    st > 255)))
		return 2;
	quit_now = (int)st;
	return 0;
}

static int sh_help(int, char **);

static const struct cmd builtins[] = {
	{ "cd", sh_cd, "[path]" },
	{ "pwd", sh_pwd, "" },
	{ "lcd", sh_lcd, "[dir]" },
	{ "lpwd", sh_lpwd, "" },
	{ "help", sh_help, "" },
	{ "quit", sh_quit, "[status]" },
	{ "exit", sh_quit, "[status]" },
};
#define NBUILTIN	(sizeof builtins / sizeof builtins[0])

static int
everyday(const struct cmd *c)
{
	/* version is the raw one here; shell does not nest */
	return strcmp(c->name, "version") != 0 && strcmp(c->name, "shell") != 0;
}

static int
sh_help(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return 2;
	printf("Files (paths relative to the current directory):\n");
	for (size_t i = 0; i < ncmds; i++)
		if (everyday(&cmds[i]))
			printf("  %-12s %s\n", cmds[i].name, cmds[i].args);
	printf("Shell:\n");
	for (size_t i = 0; i < NBUILTIN; i++)
		printf("  %-12s %s\n", builtins[i].name, builtins[i].args);
	printf("Raw 9P (fids are numbers; fid 0 is the root; "
	    "end a line with & not to wait):\n");
	for (const struct rawop *op = rawops; op->name; op++)
		printf("  %-12s %s\n", op->name, op->args);
	return 0;
}

/* The i-th name a command line may start with; NULL past the last. */
const char *
shell_cmdname(size_t i)
{
	if (i < NBUILTIN)
		return builtins[i].name;
	i -= NBUILTIN;
	for (const struct rawop *op = rawops; op->name; op++, i--)
		if (i == 0)
			return op->name;
	for (size_t k = 0; k < ncmds; k++) {
		/* stat and mkdir are in both lists */
		if (!everyday(&cmds[k]) || raw_lookup(cmds[k].name))
			continue;
		if (i-- == 0)
			return cmds[k].name;
	}
	return NULL;
}

static const char *
prompt(void)
{
	static char p[sizeof cwd + 16];

	snprintf(p, sizeof p, "9pctl:%s> ", cwd);
	return p;
}

/* ---- running a line ------------------------------------------------------ */

static int
dispatch(int argc, char **argv, int bg)
{
	const struct rawop *op = raw_lookup(argv[0]);
	int rc;

	for (size_t i = 0; i < NBUILTIN; i++)
		if (strcmp(argv[0], builtins[i].name) == 0) {
			if (bg)
				break;
			if ((rc = builtins[i].fn(argc, argv)) == 2)
				cmd_usage(&builtins[i]);
			return rc;
		}
	if (op && raw_wanted(op, argc, argv)) {
		if (bg && op->type == 0) {
			warnx("%s: & is for messages", argv[0]);
			return 2;
		}
		if ((rc = op->fn(argc, argv, bg)) == 2)
			fprintf(stderr, "usage: %s%s%s\n", op->name,
			    *op->args ? " " : "", op->args);
		return rc;
	}
	for (size_t i = 0; i < ncmds; i++) {
		if (strcmp(argv[0], cmds[i].name) != 0 || !everyday(&cmds[i]))
			continue;
		if (bg) {
			warnx("%s: & is for raw messages", argv[0]);
			return 2;
		}
		if ((rc = cmds[i].fn(argc, argv)) == 2)
			cmd_usage(&cmds[i]);
		return rc;
	}
	warnx("%s: unknown command (help lists them)", argv[0]);
	return 2;
}

/* Run one line; -1 if it held no command. */
static int
run_line(const char *line)
{
	char **argv, *buf;
	int argc, bg = 0, rc;

	if ((argc = shell_split(line, &argv, &buf)) < 0) {
		warnx("unterminated quote");
		return 2;
	}
	if (argc > 0 && strcmp(argv[argc - 1], "&") == 0) {
		argv[--argc] = NULL;
		bg = 1;
	}
	if (argc == 0) {
		free(argv);
		free(buf);
		return bg ? 2 : -1;
	}
	reset_getopt();
	interrupted = 0;
	busy = 1;
	rc = dispatch(argc, argv, bg);
	busy = 0;
	if (quit_now < 0)
		last = rc;
	fflush(stdout);
	free(argv);
	free(buf);
	return rc;
}

/* ---- history and completion --------------------------------------------- */

#ifdef HAVE_READLINE
static char *got_line;
static int got_eof;

static void
on_line(char *line)
{
	if (line == NULL)
		got_eof = 1;
	else
		got_line = line;
	/* here, or readline shows the next prompt before the command runs */
	rl_callback_handler_remove();
}


static void
drain(int fd)
{
	char b[64];

	while (read(fd, b, sizeof b) > 0)
		;
}

/*
 * The prompt.  Readline is driven through its callback interface so
 * that a Ctrl-C, which the signal thread turns into a byte on a pipe,
 * can clear the line being typed.
 */
static int
interactive_loop(int stop_on_error)
{
	int p[2], rc = 0, r;

	if (pipe(p) != 0)
		err(1, "pipe");
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	intr_fd = p[1];
	hist_init();
	rl_readline_name = "9pctl";
	rl_attempted_completion_function = shell_complete;
	rl_catch_signals = 0;
	rl_callback_handler_install(prompt(), on_line);
	while (quit_now < 0) {
		fd_set fds;

		FD_ZERO(&fds);
		FD_SET(STDIN_FILENO, &fds);
		FD_SET(p[0], &fds);
		if (select(p[0] + 1, &fds, NULL, NULL, NULL) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (FD_ISSET(p[0], &fds)) {
			/* Ctrl-C at the prompt: abandon the line */
			drain(p[0]);
			interrupted = 0;
			rl_callback_sigcleanup();
			rl_replace_line("", 1);
			fputs("^C", rl_outstream);
			rl_crlf();
			rl_on_new_line();
			rl_redisplay();
			continue;
		}
		rl_callback_read_char();
		if (!got_eof && got_line == NULL)
			continue;
		if (got_eof) {
			putchar('\n');
			break;
		}
		hist_add(got_line);
		r = run_line(got_line);
		free(got_line);
		got_line = NULL;
		drain(p[0]);	/* a Ctrl-C that stopped the command */
		interrupted = 0;
		if (r >= 0)
			rc = r;
		if (p9_session_error(sess) || sess_broken) {
			if (!sess_broken)
				warnx("connection lost: %s", p9_errstr());
			rc = 1;
			break;
		}
		if (quit_now >= 0 || (rc != 0 && stop_on_error))
			break;
		rl_callback_handler_install(prompt(), on_line);
	}
	intr_fd = -1;
	close(p[0]);
	close(p[1]);
	hist_end();
	return rc;
}
#endif /* HAVE_READLINE */

/* Commands from standard input, or a prompt without line editing. */
static int
script_loop(int interactive, int stop_on_error)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0, r;

	idle_exit = 1;	/* a signal while no command runs ends the script */
	for (;;) {
		if (interactive) {
			fputs(prompt(), stdout);
			fflush(stdout);
		}
		if (getline(&line, &cap, stdin) < 0)
			break;
		r = run_line(line);
		if (r >= 0)
			rc = r;
		if (interrupted) {
			rc = 130;
			break;
		}
		if (p9_session_error(sess) || sess_broken) {
			if (!sess_broken)
				warnx("connection lost: %s", p9_errstr());
			rc = 1;
			break;
		}
		if (quit_now >= 0 || (rc != 0 && stop_on_error))
			break;
	}
	free(line);
	idle_exit = 0;
	return rc;
}

int
shell_run(int interactive, int stop_on_error)
{
	int rc;

	in_shell = 1;
	busy = 0;
	raw_init();
	if (interactive)
		printf("%s: %s, msize %u; help lists the commands\n", addr,
		    p9_dialect_name(p9_session_dialect(sess)),
		    p9_session_msize(sess));
#ifdef HAVE_READLINE
	if (interactive)
		rc = interactive_loop(stop_on_error);
	else
#endif
		rc = script_loop(interactive, stop_on_error);
	busy = 1;
	raw_finish();
	in_shell = 0;
	if (quit_now >= 0)
		rc = quit_now;
	return rc;
}

int
cmd_shell(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;	/* main runs shell_run itself */
}

/*
 * main.c - 9pctl: global options, connecting, and dispatching a command
 * (or the shell, when no command is given on a terminal).
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "9pctl.h"

struct p9_session *sess;
struct p9_opts opts;
const char *addr;
volatile sig_atomic_t interrupted;
volatile sig_atomic_t busy = 1;
int intr_fd = -1;
int in_shell;
volatile sig_atomic_t idle_exit;

const struct cmd cmds[] = {
	{ "devices", cmd_devices, "" },
	{ "version", cmd_version, "" },
	{ "ls", cmd_ls, "[-lR] [path ...]" },
	{ "stat", cmd_stat, "path ..." },
	{ "cat", cmd_cat, "path ..." },
	{ "get", cmd_get, "remote [local]" },
	{ "put", cmd_put, "local remote" },
	{ "mkdir", cmd_mkdir, "[-p] path ..." },
	{ "rm", cmd_rm, "[-r] path ..." },
	{ "mv", cmd_mv, "from to" },
	{ "df", cmd_df, "[path]" },
	{ "shell", cmd_shell, "" },
	{ "doctor", cmd_doctor, "[-w seconds]" },
};
const size_t ncmds = sizeof cmds / sizeof cmds[0];

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: 9pctl [-eP] [-a addr] [-A aname] [-m msize] "
	    "[-t tracefile] [-u uname] [-V version] [command [arg ...]]\n");
	exit(2);
}

static volatile sig_atomic_t watch_stop;

/*
 * SIGINT and SIGTERM are blocked everywhere and taken here: the waiting
 * calls are flushed (Tflush), so a command stuck on a slow server ends.
 * It is stopped by a signal of its own once watch_stop is set, not
 * cancelled: a thread cancelled in sigwait() leaves a stack that the
 * sanitizers take for an overflow.
 */
static void *
sigwatch(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (watch_stop)
			break;
		interrupted = 1;
		if (intr_fd >= 0) {
			/* the shell: a prompt to clear or a command to stop */
			static const char c = 'i';

			/* after the terminal's ^C, as shells do */
			if (busy && write(STDOUT_FILENO, "\n", 1) < 0)
				continue;
			if (write(intr_fd, &c, 1) < 0)
				continue;
		}
		if ((sess == NULL && intr_fd < 0) || (!busy && idle_exit))
			_exit(130);	/* nothing to flush or to finish */
		if (sess == NULL || !busy)
			continue;	/* requests left in flight stay so */
		p9_session_interrupt(sess);
	}
	return NULL;
}

static void
sigwatch_end(pthread_t watcher)
{
	watch_stop = 1;
	pthread_kill(watcher, SIGTERM);
	pthread_join(watcher, NULL);
}

static uint32_t
parse_msize(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (v <= UINT32_MAX && (*end == 'k' || *end == 'K'))
		v *= 1024, end++;
	else if (v <= UINT32_MAX && (*end == 'm' || *end == 'M'))
		v *= 1024 * 1024, end++;
	if (*s == '\0' || *s == '-' || *end || errno || v < P9_MINMSIZE ||
	    v > UINT32_MAX)
		errx(2, "-m %s: expected a size of at least %u", s, P9_MINMSIZE);
	return (uint32_t)v;
}

void
cmd_usage(const struct cmd *c)
{
	fprintf(stderr, "usage: %s%s%s%s\n", in_shell ? "" : "9pctl ",
	    c->name, *c->args ? " " : "", c->args);
}

int
main(int argc, char **argv)
{
	struct p9_opts o;
	enum p9_dialect d;
	const struct cmd *c = NULL;
	static const struct cmd shell = { "shell", cmd_shell, "" };
	sigset_t sigs;
	pthread_t watcher;
	int ch, err, rc, eflag = 0;

	addr = getenv("P9_ADDR");
	p9_opts_init(&o);
	while ((ch = getopt(argc, argv, "+a:A:ehm:Pt:u:V:")) != -1) {
		switch (ch) {
		case 'e': eflag = 1; break;
		case 'P': o.poll = 1; break;
		case 't': o.trace = optarg; break;
		case 'a': addr = optarg; break;
		case 'A': o.aname = optarg; break;
		case 'm': o.msize = parse_msize(optarg); break;
		case 'u': o.uname = optarg; break;
		case 'V':
			if (p9_dialect_parse(optarg, &d) != 0)
				errx(2, "-V %s: expected 9P2000, 9P2000.u or "
				    "9P2000.L", optarg);
			o.dialect = (int)d;
			o.force = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 && addr != NULL && isatty(STDIN_FILENO))
		c = &shell;	/* 9pctl -a addr alone, on a terminal */
	else if (argc < 1)
		usage();
	for (size_t i = 0; c == NULL && i < ncmds; i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL) {
		warnx("%s: unknown command", argv[0]);
		usage();
	}
	if (c->fn == cmd_devices) {
		/* a look at this machine's PCI bus: no server */
		optind = 1;
		if ((rc = c->fn(argc, argv)) == 2)
			cmd_usage(c);
		return rc;
	}
	if (addr == NULL)
		errx(2, "no server address: use -a addr or set P9_ADDR");
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	pthread_create(&watcher, NULL, sigwatch, &sigs);
	opts = o;
	if (c->fn == cmd_doctor) {
		/* doctor dials for itself, every step under a timeout */
		reset_getopt();
		if ((rc = c->fn(argc, argv)) == 2)
			cmd_usage(c);
		sigwatch_end(watcher);
		return rc;
	}
	if ((err = p9_dial(addr, &o, &sess)) != 0)
		errx(1, "%s: %s", addr, p9_errstr());
	reset_getopt();	/* the command parses its own options */
	if (c->fn == cmd_shell) {
		if (argc > 1)
			rc = 2;
		else
			rc = shell_run(isatty(STDIN_FILENO), eflag);
	} else
		rc = c->fn(argc, argv);
	if (rc == 2)
		cmd_usage(c);
	sigwatch_end(watcher);
	p9_session_close(sess);
	if (interrupted && rc == 0)
		rc = 130;
	return rc;
}

/*
 * main.c - 9pctl: global options, connecting, and dispatching a command.
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
volatile sig_atomic_t interrupted;

static const struct cmd cmds[] = {
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
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: 9pctl [-P] [-a addr] [-A aname] [-m msize] "
	    "[-u uname] [-V version] command [arg ...]\n");
	exit(2);
}

/*
 * SIGINT and SIGTERM are blocked everywhere and taken here: the waiting
 * calls are flushed (Tflush), so a command stuck on a slow server ends.
 */
static void *
sigwatch(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		interrupted = 1;
		if (sess == NULL)
			_exit(130);	/* still connecting: nothing to flush */
		/* not cancelled half-way: it takes the session's locks */
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		p9_session_interrupt(sess);
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	}
	return NULL;
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
	fprintf(stderr, "usage: 9pctl %s%s%s\n", c->name, *c->args ? " " : "",
	    c->args);
}

int
main(int argc, char **argv)
{
	struct p9_opts o;
	enum p9_dialect d;
	const char *addr = getenv("P9_ADDR");
	const struct cmd *c = NULL;
	sigset_t sigs;
	pthread_t watcher;
	int ch, err, rc;

	p9_opts_init(&o);
	while ((ch = getopt(argc, argv, "+a:A:hm:Pu:V:")) != -1) {
		switch (ch) {
		case 'P': o.poll = 1; break;
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
	if (argc < 1)
		usage();
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
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
	if ((err = p9_dial(addr, &o, &sess)) != 0)
		errx(1, "%s: %s", addr, p9_errstr());
	optind = 1;	/* the command parses its own options */
	if ((rc = c->fn(argc, argv)) == 2)
		cmd_usage(c);
	pthread_cancel(watcher);
	pthread_join(watcher, NULL);
	p9_session_close(sess);
	if (interrupted && rc == 0)
		rc = 130;
	return rc;
}

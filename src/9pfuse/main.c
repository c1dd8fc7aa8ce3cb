/*
 * main.c - 9pfuse: connect to the 9P server, mount, go to the background
 * once the mount is in place (so every failure up to then reaches the
 * terminal), serve until unmounted or told to stop.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "9pfuse.h"

struct p9_session *sess;

/*
 * Fork now; the parent waits for the child's word: an empty message once
 * mounted, or the error text.  The session's threads are created after
 * the fork, in the child.
 */
static int
background(void)
{
	int p[2];
	char msg[512];
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		err(1, "pipe");
	if ((pid = fork()) < 0)
		err(1, "fork");
	if (pid > 0) {
		close(p[1]);
		n = read(p[0], msg, sizeof msg - 1);
		if (n == 0 || n < 0)
			exit(1);	/* the child died before saying */
		msg[n] = '\0';
		if (strcmp(msg, "ok") == 0)
			exit(0);
		fprintf(stderr, "9pfuse: %s\n", msg);
		exit(1);
	}
	close(p[0]);
	setsid();
	return p[1];
}

static void
report(int fd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (fd < 0) {
		if (strcmp(msg, "ok") != 0)
			fprintf(stderr, "9pfuse: %s\n", msg);
		return;
	}
	if (write(fd, msg, strlen(msg)) < 0) {
		/* the parent is gone; nothing to tell */
	}
	close(fd);
}

static void
detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	if (chdir("/") != 0) {
		/* nothing depends on the working directory */
	}
}

/*
 * The largest FUSE read or write: as many msize chunks as travel together
 * (P9_INTR_MAX), at most 1 MiB (FUSE's limit), in whole pages.
 */
static uint32_t
max_io(uint32_t iosize)
{
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE);
	uint64_t max = (uint64_t)iosize * P9_INTR_MAX;

	if (max > (1u << 20))
		max = 1u << 20;
	max -= max % page;
	return max < page ? page : (uint32_t)max;
}

int
main(int argc, char **argv)
{
	struct fuse_args fa = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se;
	struct fuse_loop_config *lc;
	char arg[64];
	int fd = -1, rc;

	fuse_opt_add_arg(&fa, argv[0]);
	parse_args(argc, argv, &fa);
	if (!cfg.foreground)
		fd = background();
	signal(SIGPIPE, SIG_IGN);
	/* a shell's background job ignores SIGINT: let libfuse take it */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	cfg.p9.trace = cfg.trace;
	if (p9_dial(cfg.addr, &cfg.p9, &sess) != 0) {
		report(fd, "%s: %s", cfg.addr, p9_errstr());
		fuse_opt_free_args(&fa);
		return 1;
	}
	nodes_init(p9_session_root(sess));
	cfg.max_io = max_io(p9_session_iosize(sess));
	snprintf(arg, sizeof arg, "-omax_read=%u", cfg.max_io);
	fuse_opt_add_arg(&fa, arg);
	snprintf(arg, sizeof arg, "-osubtype=9pfuse,fsname=%s", cfg.source);
	if (strlen(cfg.source) < 40 && !strchr(cfg.source, ','))
		fuse_opt_add_arg(&fa, arg);
	se = fuse_session_new(&fa, &fs_ops, sizeof fs_ops, NULL);
	if (se == NULL || fuse_set_signal_handlers(se) != 0 ||
	    fuse_session_mount(se, cfg.mnt) != 0) {
		report(fd, se ? "%s: cannot mount (see above)" :
		    "%s: cannot start a FUSE session (bad option?)", cfg.mnt);
		if (se)
			fuse_session_destroy(se);
		nodes_free();
		p9_session_close(sess);
		fuse_opt_free_args(&fa);
		return 1;
	}
	report(fd, "ok");
	if (fd >= 0)
		detach_stdio();
	lc = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(lc, 64);
	fuse_loop_cfg_set_idle_threads(lc, 16);
	/* libfuse returns the number of a signal that stopped it: success */
	if ((rc = fuse_session_loop_mt(se, lc)) < 0)
		fprintf(stderr, "9pfuse: %s: %s\n", cfg.mnt, strerror(-rc));
	fuse_loop_cfg_destroy(lc);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	nodes_free();		/* what the kernel did not forget */
	p9_session_close(sess);
	fuse_opt_free_args(&fa);
	return rc < 0;
}

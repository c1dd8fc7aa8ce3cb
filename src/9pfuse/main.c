/*
 * main.c - 9pfuse: connect to the 9P server, mount, go to the background
 * once the mount is in place (so every failure up to then reaches the
 * terminal), serve until unmounted or told to stop.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "9pfuse.h"

struct p9_session *sess;
static pid_t child;
static char *mntpath;	/* the mount point, absolute */

/*
 * The end of the FUSE session (unmounted, or SIGINT/SIGTERM) waits for
 * every worker thread.  One still waiting on the server (a hard mount
 * whose server is away, a server that stopped answering) would hold
 * 9pfuse up forever, with nobody left to use its answer: two seconds
 * after the end, the 9P session is aborted, which fails such calls.
 */
struct watch {
	struct fuse_session	*se;
	pthread_mutex_t		 lk;
	pthread_cond_t		 cv;
	int			 done;	/* the loop has returned */
	int			 aborted;
};

/*
 * With the page cache in use (every cache mode but none), let the kernel
 * read ahead as much as one FUSE read carries (cfg.max_io), as v9fs sizes
 * its readahead from msize: a FUSE mount starts at the 128 KiB default,
 * and FUSE_INIT can only lower that.  Only root may raise it (sysfs);
 * otherwise it stays.  The stat asks the kernel only, not the server
 * (AT_STATX_DONT_SYNC), and runs beside the FUSE loop, which answers if
 * the kernel asks all the same.
 */
static void
raise_readahead(void)
{
	struct statx sx;
	char path[64];
	unsigned cur = 0, want = cfg.max_io / 1024;
	FILE *fp;

	if (cfg.cache == CACHE_NONE || mntpath == NULL ||
	    statx(AT_FDCWD, mntpath, AT_STATX_DONT_SYNC, STATX_TYPE, &sx) != 0)
		return;
	snprintf(path, sizeof path, "/sys/class/bdi/%u:%u/read_ahead_kb",
	    sx.stx_dev_major, sx.stx_dev_minor);
	if ((fp = fopen(path, "r+")) == NULL)
		return;
	if (fscanf(fp, "%u", &cur) == 1 && cur < want) {
		rewind(fp);
		fprintf(fp, "%u\n", want);
	}
	fclose(fp);
}

static void *
watcher(void *arg)
{
	struct watch *w = arg;
	struct timespec dl;

	raise_readahead();
	pthread_mutex_lock(&w->lk);
	while (!w->done && !fuse_session_exited(w->se)) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += 100000000;
		if (dl.tv_nsec >= 1000000000) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->cv, &w->lk, &dl);
	}
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 2;
	while (!w->done)
		if (pthread_cond_timedwait(&w->cv, &w->lk, &dl) == ETIMEDOUT)
			break;
	if (!w->done) {
		w->aborted = 1;
		pthread_mutex_unlock(&w->lk);
		p9_session_abort(sess, "unmounted while calls were waiting "
		    "for the server");
		return NULL;
	}
	pthread_mutex_unlock(&w->lk);
	return NULL;
}

/* A signal that ends the parent before the mount is up ends the child. */
static void
stop_child(int sig)
{
	kill(child, SIGTERM);
	_exit(128 + sig);
}

/*
 * Fork now; the parent waits for the child's word: an empty message once
 * mounted, or the error text.  The session's threads are created after
 * the fork, in the child.  The child is in a session of its own, so a
 * Control-C or a SIGTERM for the parent (mount(8) given up on a server
 * that never answers) is passed on; signals ignored stay ignored.
 */
static int
background(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	int p[2];
	char msg[512];
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		err(1, "pipe");
	if ((pid = fork()) < 0)
		err(1, "fork");
	if (pid > 0) {
		child = pid;
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			if (signal(sigs[i], stop_child) == SIG_IGN)
				signal(sigs[i], SIG_IGN);
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
	stats_block();		/* before the session's threads */
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
	mntpath = realpath(cfg.mnt, NULL);
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
		free(mntpath);
		return 1;
	}
	report(fd, "ok");
	if (fd >= 0)
		detach_stdio();
	stats_start();		/* SIGUSR1: the status line */
	lc = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(lc, 64);
	fuse_loop_cfg_set_idle_threads(lc, 16);
	struct watch w = { .se = se, .lk = PTHREAD_MUTEX_INITIALIZER,
	    .cv = PTHREAD_COND_INITIALIZER };
	pthread_t wt;
	int watching = pthread_create(&wt, NULL, watcher, &w) == 0;

	/* libfuse returns the number of a signal that stopped it: success */
	if ((rc = fuse_session_loop_mt(se, lc)) < 0)
		fprintf(stderr, "9pfuse: %s: %s\n", cfg.mnt, strerror(-rc));
	if (watching) {
		pthread_mutex_lock(&w.lk);
		w.done = 1;
		pthread_cond_signal(&w.cv);
		pthread_mutex_unlock(&w.lk);
		pthread_join(wt, NULL);
	}
	if (w.aborted)
		fprintf(stderr, "9pfuse: %s: calls still waiting for the server "
		    "at the end were failed\n", cfg.mnt);
	else if (p9_session_error(sess) != 0) {
		struct p9_stbuf st;

		/* the server went away while mounted: say why, if not yet
		   said (a call on a dead session fails with the reason) */
		errno_of(p9_getattr(p9_session_root(sess), &st));
	}
	stats_stop();
	fuse_loop_cfg_destroy(lc);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	nodes_free();		/* what the kernel did not forget */
	p9_session_close(sess);
	fuse_opt_free_args(&fa);
	free(mntpath);
	return rc < 0;
}

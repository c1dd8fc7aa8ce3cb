/*
 * stats.c - the status line: on SIGUSR1, 9pfuse says what it holds and
 * what went wrong so far, as dd(1) does for its progress, on stderr (with
 * -f or -d) or to syslog once in the background:
 *
 *   9pfuse: /mnt: fids 12, tags 0 in flight, nodes 10, open files 1,
 *	errors 4 (ENOENT 3, EINTR 1)
 *
 * fids and tags are the session's (fids allocated, requests awaiting a
 * reply), nodes the inodes the kernel holds a reference to, open files the
 * handles open on files; errors counts every error reply to the kernel by
 * errno.  A status line is one write, so that it stays whole among other
 * messages.  The signal is taken by a thread of its own with sigwait, so
 * that the printing may lock and allocate: SIGUSR1 is blocked in every
 * other thread (stats_block runs before the first thread is made).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "9pfuse.h"

#undef fuse_reply_err	/* the real one, below */

#define NERR	160	/* errno values counted one by one; others in [0] */

static unsigned long errs[NERR];	/* atomic */
static pthread_t thr;
static int started;
static volatile sig_atomic_t stopping;	/* stats_stop: end the waiter */

int
stats_reply_err(fuse_req_t req, int err)
{
	if (err != 0)
		__atomic_add_fetch(&errs[err > 0 && err < NERR ? err : 0], 1,
		    __ATOMIC_RELAXED);
	return fuse_reply_err(req, err);
}

/* Append to buf[cap] at *len, never past the end. */
static void
add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
	if (*len >= cap)
		*len = cap - 1;
}

/* The status line into buf[cap], after prefix, with newline if asked. */
static void
status(char *buf, size_t cap, const char *prefix, int nl)
{
	unsigned long c[NERR], total = 0;
	size_t len = 0;
	const char *sep = " (";
	int down;

	for (int i = 0; i < NERR; i++)
		total += c[i] = __atomic_load_n(&errs[i], __ATOMIC_RELAXED);
	add(buf, cap, &len, "%s%s: fids %u, tags %u in flight, nodes %u, "
	    "open files %u, errors %lu", prefix, cfg.mnt, p9_session_nfids(sess),
	    p9_session_ntags(sess), nodes_count(),
	    __atomic_load_n(&open_files, __ATOMIC_RELAXED), total);
	for (int i = 1; i < NERR; i++) {
		const char *name;

		if (c[i] == 0)
			continue;
		name = p9_errno_name(p9_errno_to_linux(i));
		if (name)
			add(buf, cap, &len, "%s%s %lu", sep, name, c[i]);
		else
			add(buf, cap, &len, "%serrno %d %lu", sep, i, c[i]);
		sep = ", ";
	}
	if (c[0])
		add(buf, cap, &len, "%sother %lu", sep, c[0]);
	if (total)
		add(buf, cap, &len, ")");
	if ((down = p9_session_error(sess)) != 0)
		add(buf, cap, &len, ", connection lost: %s", strerror(-down));
	if (nl) {
		/* room for the newline even when the line was cut */
		if (len + 1 >= cap)
			len = cap - 2;
		buf[len++] = '\n';
		buf[len] = '\0';
	}
}

static void *
waiter(void *arg)
{
	sigset_t set;
	char buf[1024];
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (stopping)
			break;
		if (cfg.foreground) {
			status(buf, sizeof buf, "9pfuse: ", 1);
			if (write(2, buf, strlen(buf)) < 0) {
				/* nobody to tell */
			}
		} else {
			status(buf, sizeof buf, "", 0);
			syslog(LOG_INFO, "%s", buf);
		}
	}
	return NULL;
}

/*
 * Before any thread is made: SIGUSR1 stays blocked in every thread, and
 * one that comes early waits (pending) for stats_start.
 */
void
stats_block(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Once mounted: answer SIGUSR1 from now on. */
void
stats_start(void)
{
	started = pthread_create(&thr, NULL, waiter, NULL) == 0;
}

/* Before the session and the nodes go away. */
void
stats_stop(void)
{
	if (!started)
		return;
	/*
	 * Told by a SIGUSR1 of its own, not pthread_cancel: a cancelled
	 * thread's unwinding leaves AddressSanitizer's stack poisoning behind
	 * (a false "stack-buffer-overflow" as the thread ends).
	 */
	stopping = 1;
	pthread_kill(thr, SIGUSR1);
	pthread_join(thr, NULL);
	started = 0;
}

/*
 * soak-io.c - the reader and writer scripts/soak.sh builds (cc) and runs:
 * reads a file to standard output, or writes standard input to a file, in
 * 1 MiB calls, optionally slowly and under a rain of signals, and says how
 * it went, which a shell cannot do:
 *
 *   soak-io [-d] [-i usec] [-p msec] [-u fd] [-n note] file
 *   soak-io -w [-d] [-i usec] file
 *	-w	write: standard input to file (created or truncated)
 *	-d	O_DIRECT: every call goes to the file system (FUSE sends it
 *		to 9pfuse) instead of the page cache
 *	-i	SIGALRM every usec microseconds, with a handler installed
 *		without SA_RESTART: a call waiting on the server fails with
 *		EINTR (or comes back short) and is done again from where it
 *		stopped
 *	-p	sleep msec between reads (the file stays open meanwhile)
 *	-u	once the file is open, unlock (flock LOCK_UN) descriptor fd,
 *		a lock the caller took so that nobody moved the file between
 *		its choosing and opening
 *	-n	once the file is open, write its name to the file note
 *
 * On success the last line on standard error is "BYTES EINTRS" and the
 * exit status 0; on any failure other than EINTR, a message and 1.
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ	(1 << 20)

static void
nothing(int sig)
{
	(void)sig;
}

static void
usage(void)
{
	fprintf(stderr, "usage: soak-io [-dw] [-i usec] [-p msec] [-u fd] "
	    "[-n note] file\n");
	exit(2);
}

static long
num(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end || errno || n < 0)
		usage();
	return n;
}

static unsigned long long eintr;

/* All of buf to fd, through EINTR and short writes (counted if cnt). */
static void
put(int fd, const char *buf, size_t n, int cnt, const char *name)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, buf, n)) < 0) {
			if (errno == EINTR) {
				eintr += cnt;
				continue;
			}
			err(1, "write %s", name);
		}
		buf += w;
		n -= (size_t)w;
	}
}

/* Up to n bytes of fd into buf, through EINTR (counted if cnt). */
static ssize_t
get(int fd, char *buf, size_t n, int cnt)
{
	ssize_t r;

	while ((r = read(fd, buf, n)) < 0 && errno == EINTR)
		eintr += cnt;
	return r;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = nothing };	/* no SA_RESTART */
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	long usec = 0, ms = 0, lockfd = -1;
	unsigned long long total = 0;
	const char *note = NULL, *name;
	int c, fd, flags = O_RDONLY, wr = 0, in, out;
	char *buf;
	ssize_t n;

	while ((c = getopt(argc, argv, "dwi:p:u:n:")) != -1)
		switch (c) {
		case 'd': flags |= O_DIRECT; break;
		case 'w': wr = 1; break;
		case 'i': usec = num(optarg); break;
		case 'p': ms = num(optarg); break;
		case 'u': lockfd = num(optarg); break;
		case 'n': note = optarg; break;
		default: usage();
		}
	if (argc - optind != 1)
		usage();
	if (posix_memalign((void **)&buf, 4096, BUFSZ) != 0)
		errx(1, "out of memory");
	name = argv[optind];
	if (wr)
		flags = (flags & ~O_ACCMODE) | O_WRONLY | O_CREAT | O_TRUNC;
	if ((fd = open(name, flags, 0644)) < 0)
		err(1, "open %s", name);
	/* reads from fd, or writes to it */
	in = wr ? 0 : fd;
	out = wr ? fd : 1;
	if (note) {
		FILE *f = fopen(note, "w");

		if (f == NULL || fprintf(f, "%s\n", name) < 0 ||
		    fclose(f) != 0)
			err(1, "%s", note);
	}
	if (lockfd >= 0 && flock((int)lockfd, LOCK_UN) != 0)
		err(1, "unlock %ld", lockfd);
	if (usec > 0) {
		sigaction(SIGALRM, &sa, NULL);
		it.it_interval.tv_sec = it.it_value.tv_sec = usec / 1000000;
		it.it_interval.tv_usec = it.it_value.tv_usec = usec % 1000000;
		setitimer(ITIMER_REAL, &it, NULL);
	}
	for (;;) {
		/* a write with O_DIRECT wants whole blocks: read them whole */
		size_t got = 0;

		while (got < BUFSZ) {
			if ((n = get(in, buf + got, BUFSZ - got, !wr)) < 0)
				err(1, "read %s at %llu", wr ? "input" : name,
				    total + got);
			if (n == 0)
				break;
			got += (size_t)n;
			if (!wr)
				break;
		}
		if (got == 0)
			break;
		put(out, buf, got, wr, wr ? name : "output");
		total += got;
		if (ms > 0)
			pause_ms(ms);
	}
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	if (close(fd) != 0)
		err(1, "close %s", name);
	fprintf(stderr, "%llu %llu\n", total, eintr);
	return 0;
}

/*
 * p9stress.c - many threads calling RPCs over one session, for the bats
 * tests against a real server.
 *
 *   p9stress [-t threads] [-n rpcs] [-A aname] ADDR check
 *     each thread walks to its own file t<N> (made by the test, holding
 *     "thread N\n" repeated), then alternates getattr and pread, checking
 *     every size and every byte; at the end no fid but the root remains.
 *   p9stress [-t threads] [-A aname] ADDR hammer
 *     as above but forever; prints "running" once every thread has done
 *     an RPC.  When the server dies, every thread must return an error
 *     within one second of the first error (no call left hanging).
 * Exit 0 on success; a line per problem on stderr.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p9.h"

static struct p9_session *sess;
static int nrpc = 1000, hammer;
static int started, failed_calls;
static double first_error;
static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct th {
	int		id;
	pthread_t	t;
	int		bad;	/* wrong results */
	int		err;	/* the error that ended a hammer thread */
	double		ended;
};

static void
expect_text(int id, char *want, size_t n)
{
	size_t l = (size_t)snprintf(want, n, "thread %d\n", id);

	for (size_t i = l; i < n; i++)
		want[i] = want[i % l];
}

static void *
run(void *arg)
{
	struct th *me = arg;
	struct p9_fid *f;
	struct p9_stbuf st;
	char name[32], want[4096], got[4096];
	int err, announced = 0;

	snprintf(name, sizeof name, "t%d", me->id);
	expect_text(me->id, want, sizeof want);
	if ((err = p9_walk(p9_session_root(sess), name, &f)) != 0 ||
	    (err = p9_open(f, O_RDONLY)) != 0) {
		warnx("%s: %s", name, p9_errstr());
		me->err = err;
		me->bad++;
		me->ended = now();
		return NULL;
	}
	for (int i = 0; hammer || i < nrpc; i++) {
		if (i % 2 == 0) {
			err = p9_getattr(f, &st);
			if (err == 0 && st.size != sizeof want) {
				warnx("%s: size %llu", name,
				    (unsigned long long)st.size);
				me->bad++;
			}
		} else {
			size_t off = (size_t)(i * 37) % 2048;
			ssize_t n = p9_pread(f, got, 1024, off);

			err = n < 0 ? (int)n : 0;
			if (n >= 0 && (n != 1024 || memcmp(got, want + off, 1024))) {
				warnx("%s: wrong bytes at %zu", name, off);
				me->bad++;
			}
		}
		if (err) {
			me->err = err;
			pthread_mutex_lock(&lk);
			failed_calls++;
			if (first_error == 0)
				first_error = now();
			pthread_mutex_unlock(&lk);
			break;
		}
		if (!announced) {
			announced = 1;
			pthread_mutex_lock(&lk);
			started++;
			pthread_mutex_unlock(&lk);
		}
	}
	me->ended = now();
	p9_fid_put(f);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct p9_opts o;
	struct th *ths;
	int nth = 16, ch, rc = 0, bad = 0;

	p9_opts_init(&o);
	while ((ch = getopt(argc, argv, "A:n:t:")) != -1) {
		switch (ch) {
		case 'A': o.aname = optarg; break;
		case 'n': nrpc = atoi(optarg); break;
		case 't': nth = atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || nth < 1 || nrpc < 1)
		errx(2, "usage: p9stress [-t threads] [-n rpcs] [-A aname] "
		    "ADDR check|hammer");
	hammer = strcmp(argv[optind + 1], "hammer") == 0;
	if (p9_dial(argv[optind], &o, &sess) != 0)
		errx(1, "%s: %s", argv[optind], p9_errstr());
	ths = calloc((size_t)nth, sizeof *ths);
	for (int i = 0; i < nth; i++) {
		ths[i].id = i;
		pthread_create(&ths[i].t, NULL, run, &ths[i]);
	}
	if (hammer) {
		while (1) {
			pthread_mutex_lock(&lk);
			int n = started, f = failed_calls;
			pthread_mutex_unlock(&lk);
			if (n == nth || f)
				break;
			usleep(10000);
		}
		printf("running\n");
		fflush(stdout);
	}
	for (int i = 0; i < nth; i++) {
		pthread_join(ths[i].t, NULL);
		bad += ths[i].bad;
	}
	if (hammer) {
		double last = 0;
		int errs = 0;

		for (int i = 0; i < nth; i++) {
			if (ths[i].ended > last)
				last = ths[i].ended;
			errs += ths[i].err != 0;
		}
		printf("%d of %d threads ended with an error; the last %.3f s "
		    "after the first\n", errs, nth, last - first_error);
		if (errs != nth || last - first_error > 1.0)
			rc = 1;
	} else {
		unsigned fids = p9_session_nfids(sess);

		printf("%d threads x %d RPCs: %d wrong results, %u fids left\n",
		    nth, nrpc, bad, fids);
		if (bad || fids != 1)
			rc = 1;
		for (int i = 0; i < nth; i++)
			if (ths[i].err) {
				warnx("thread %d: %s", i, strerror(-ths[i].err));
				rc = 1;
			}
	}
	p9_session_close(sess);
	free(ths);
	return rc;
}

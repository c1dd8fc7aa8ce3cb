/*
 * doctor.c - 9pctl doctor: probe a server for the behaviours clients
 * trip over (probes.c) and print a report.  It never hangs: every step
 * runs on a thread of its own under a timeout; when the time is up the
 * step's requests are flushed, and a step that does not end even then is
 * left behind and the rest skipped.  Everything it makes lives in one
 * scratch directory with a unique name, removed at the end (over a new
 * connection if the first one is stuck).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "doctor.h"

#define GRACE_MS	2000	/* for the flush of a step over its time */
#define BIGMSIZE	(16u << 20)	/* offered, to learn the largest */

static const char *const vwords[] = { "ok", "note", "FAIL", "n/a", "skip" };

void
say(struct res *r, enum verdict v, const char *fmt, ...)
{
	va_list ap;

	r->v = v;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
}

const char *
ename(int err)
{
	static __thread char buf[32];
	const char *n = p9_errno_name(p9_errno_to_linux(-err));

	if (n)
		return n;
	snprintf(buf, sizeof buf, "errno %d", -err);
	return buf;
}

int
rpc0(struct doc *d, struct p9_fcall *t)
{
	struct p9_reply r;
	int err = p9_rpc(d->s, t, &r);

	if (err == 0)
		p9_reply_free(&r);
	return err;
}

/* ---- steps under a timeout ---------------------------------------------- */

struct job {
	void		(*fn)(void *);
	void		*arg;
	int		 done;
	pthread_mutex_t	 lk;
	pthread_cond_t	 cv;
};

static void *
job_main(void *arg)
{
	struct job *j = arg;

	j->fn(j->arg);
	pthread_mutex_lock(&j->lk);
	j->done = 1;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->lk);
	return NULL;
}

static int
wait_done(struct job *j, int ms)
{
	struct timespec ts;
	int done;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&j->lk);
	while (!j->done && pthread_cond_timedwait(&j->cv, &j->lk, &ts) == 0)
		;
	done = j->done;
	pthread_mutex_unlock(&j->lk);
	return done;
}

static void
interrupt_fn(void *arg)
{
	p9_session_interrupt(arg);
}

/*
 * Run fn(arg) for at most ms, then flush s's requests and give it
 * GRACE_MS more.  0 if it ended in time, -EINTR if only after the flush,
 * -ETIMEDOUT if not even then: the thread, its job and arg are left
 * behind (never freed), and s must not be used again.
 */
static int
timed(void (*fn)(void *), void *arg, int ms, struct p9_session *s)
{
	struct job *j = calloc(1, sizeof *j);
	pthread_condattr_t ca;
	pthread_t th;
	int rc = 0;

	if (j == NULL)
		errx(1, "out of memory");
	j->fn = fn;
	j->arg = arg;
	pthread_mutex_init(&j->lk, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&th, NULL, job_main, j) != 0)
		errx(1, "cannot start a thread");
	if (!wait_done(j, ms)) {
		if (s == NULL || timed(interrupt_fn, s, GRACE_MS, NULL) != 0 ||
		    !wait_done(j, GRACE_MS)) {
			pthread_detach(th);
			return -ETIMEDOUT;
		}
		rc = -EINTR;
	}
	pthread_join(th, NULL);
	pthread_mutex_destroy(&j->lk);
	pthread_cond_destroy(&j->cv);
	free(j);
	return rc;
}

/* ---- connecting ---------------------------------------------------------- */

struct dial {
	struct p9_opts		 o;
	struct p9_session	*s;
	int			 err;
	char			 why[256];
};

static void
dial_fn(void *arg)
{
	struct dial *dl = arg;

	if ((dl->err = p9_dial(addr, &dl->o, &dl->s)) != 0)
		snprintf(dl->why, sizeof dl->why, "%s", p9_errstr());
}

/* A session to addr within ms; NULL with the reason in why. */
static struct p9_session *
dial_timed(const struct p9_opts *o, int ms, char *why, size_t cap)
{
	struct dial *dl = calloc(1, sizeof *dl);
	struct p9_session *s;
	int rc;

	if (dl == NULL)
		errx(1, "out of memory");
	dl->o = *o;
	dl->o.timeout_ms = ms;
	if ((rc = timed(dial_fn, dl, ms, NULL)) != 0) {
		snprintf(why, cap, "no answer within %d s", ms / 1000);
		return NULL;	/* dl stays with the thread */
	}
	if ((s = dl->s) == NULL)
		snprintf(why, cap, "%s", dl->why);
	free(dl);
	return s;
}

/* Which dialects the server grants, and the largest msize. */
static void
dialects(int ms)
{
	printf("dialects (each offered alone, msize %u):\n", BIGMSIZE);
	for (int d = P9_2000L; d >= P9_2000; d--) {
		struct p9_opts o = opts;
		struct p9_session *s;
		char why[256];

		o.dialect = d;
		o.force = 1;
		o.msize = BIGMSIZE;
		o.trace = NULL;
		if ((s = dial_timed(&o, ms, why, sizeof why)) != NULL) {
			printf("  %-22s %-4s  msize %u\n",
			    p9_dialect_name((enum p9_dialect)d), "yes",
			    p9_session_msize(s));
			p9_session_close(s);
		} else
			printf("  %-22s %-4s  %s\n",
			    p9_dialect_name((enum p9_dialect)d), "no", why);
		fflush(stdout);
	}
}

/* ---- the scratch directory --------------------------------------------- */

struct scratch {
	struct doc	*d;
	int		 err;
};

static void
mkscratch_fn(void *arg)
{
	struct scratch *sc = arg;
	struct doc *d = sc->d;
	char host[64] = "host";
	unsigned rnd;
	FILE *fp;

	gethostname(host, sizeof host - 1);
	for (char *p = host; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-')
			*p = '-';
	rnd = (unsigned)time(NULL) ^ (unsigned)getpid() << 16;
	if ((fp = fopen("/dev/urandom", "r")) != NULL) {
		if (fread(&rnd, sizeof rnd, 1, fp) != 1)
			rnd ^= (unsigned)clock();
		fclose(fp);
	}
	snprintf(d->scratch, sizeof d->scratch, ".9pctl-doctor-%s-%ld-%08x",
	    host, (long)getpid(), rnd);
	if ((sc->err = p9_mkdir(p9_session_root(d->s), d->scratch, 0700)) ==
	    0 && (sc->err = p9_walk(p9_session_root(d->s), d->scratch,
	    &d->sd)) != 0)
		p9_unlinkat(p9_session_root(d->s), d->scratch, AT_REMOVEDIR);
}

struct rm {
	char		 path[160];
	int		 err;
};

static void
rm_fn(void *arg)
{
	struct rm *rm = arg;

	rm->err = rm_path(rm->path, 1);
}

/*
 * Remove the scratch directory, over a new connection if the probes'
 * one is stuck.  0 if it is gone.
 */
static int
cleanup(struct doc *d, int stuck)
{
	struct rm *rm = calloc(1, sizeof *rm);
	struct p9_opts o;
	char why[256];
	int rc;

	if (rm == NULL)
		errx(1, "out of memory");
	/* from the root, whatever the shell's current directory */
	snprintf(rm->path, sizeof rm->path, "/%s", d->scratch);
	if (!stuck) {
		p9_fid_put(d->sd);
		d->sd = NULL;
		if ((rc = timed(rm_fn, rm, 6 * d->timeout_ms, sess)) == 0 &&
		    rm->err == 0) {
			free(rm);
			return 0;
		}
		if (rc == -ETIMEDOUT)
			return -1;	/* rm stays with the thread */
	}
	o = opts;
	o.trace = NULL;		/* -t's file holds the probes' session */
	if ((sess = dial_timed(&o, d->timeout_ms, why, sizeof why)) == NULL)
		return -1;
	if (timed(rm_fn, rm, 6 * d->timeout_ms, sess) != 0)
		return -1;
	rc = rm->err == -ENOENT ? 0 : rm->err;	/* never made */
	free(rm);
	p9_session_close(sess);
	sess = NULL;
	return rc;
}

/* ---- the report ---------------------------------------------------------- */

struct pjob {
	const struct probe	*p;
	struct doc		*d;
	struct res		 r;
};

static void
probe_fn(void *arg)
{
	struct pjob *j = arg;

	j->p->fn(j->d, &j->r);
}

int
cmd_doctor(int argc, char **argv)
{
	struct doc d = { .timeout_ms = 10000 };
	struct p9_session *shell_sess = sess;	/* the shell's, if any */
	struct p9_opts o = opts;
	int ch, n[5] = { 0 }, stuck = 0, left = 0, rc;
	struct scratch sc = { &d, 0 };
	uint32_t w;
	char why[256];

	while ((ch = getopt(argc, argv, "w:")) != -1) {
		if (ch != 'w' || parse_u32(optarg, &w) != 0 || w < 1 ||
		    w > 3600) {
			if (ch == 'w')
				warnx("-w %s: expected seconds, 1 to 3600",
				    optarg);
			return 2;
		}
		d.timeout_ms = (int)w * 1000;
	}
	if (optind != argc)
		return 2;
	printf("9pctl doctor: %s%s%s\n", addr, opts.aname ? " aname " : "",
	    opts.aname ? opts.aname : "");
	dialects(d.timeout_ms);
	if ((d.s = dial_timed(&o, d.timeout_ms, why, sizeof why)) == NULL) {
		printf("cannot attach: %s\n", why);
		return 1;
	}
	/* the globals are the doctor's now; the shell gets its own back */
	sess = d.s;	/* for Ctrl-C and the path helpers */
	d.d = p9_session_dialect(d.s);
	if ((rc = timed(mkscratch_fn, &sc, d.timeout_ms, d.s)) != 0) {
		/* made or not, it must not be left behind */
		printf("no answer within %d s to the making of /%s\n",
		    d.timeout_ms / 1000, d.scratch);
		if (cleanup(&d, 1) != 0)
			printf("/%s may be left on the server: remove it by "
			    "hand\n", d.scratch);
		sess = shell_sess;
		if (rc == -EINTR)
			p9_session_close(d.s);
		return 1;
	}
	printf("probes (%s, msize %u, in /%s):\n", p9_dialect_name(d.d),
	    p9_session_msize(d.s), sc.err ? "(no scratch directory)" :
	    d.scratch);
	if (sc.err)
		printf("  %-22s %-4s  cannot create /%s (%s): the probes that "
		    "make files are skipped\n", "scratch directory", "skip",
		    d.scratch, ename(sc.err));
	fflush(stdout);
	for (const struct probe *p = probes; p->name; p++) {
		struct pjob *j = calloc(1, sizeof *j);

		if (j == NULL)
			errx(1, "out of memory");
		j->p = p;
		j->d = &d;
		if (stuck || interrupted)
			say(&j->r, V_SKIP, stuck ? "the server stopped "
			    "answering" : "interrupted");
		else if (p->scratch && d.sd == NULL)
			say(&j->r, V_SKIP, "no scratch directory");
		else if ((rc = timed(probe_fn, j, p->weight * d.timeout_ms,
		    d.s)) == -ETIMEDOUT) {
			stuck = 1;
			printf("  %-22s %-4s  no answer within %d s, even to "
			    "Tflush\n", p->name, vwords[V_FAIL],
			    p->weight * d.timeout_ms / 1000 + GRACE_MS / 1000);
			n[V_FAIL]++;
			continue;	/* j stays with the thread */
		} else if (rc == -EINTR && !interrupted)
			say(&j->r, V_FAIL, "no answer within %d s (flushed)",
			    p->weight * d.timeout_ms / 1000);
		printf("  %-22s %-4s  %s\n", p->name, vwords[j->r.v],
		    j->r.detail);
		fflush(stdout);
		n[j->r.v]++;
		free(j);
	}
	if (d.sd && cleanup(&d, stuck) != 0) {
		printf("the scratch directory /%s is left on the server: "
		    "remove it by hand\n", d.scratch);
		left = 1;
	}
	printf("summary: %d ok, %d note%s, %d failure%s", n[V_OK], n[V_NOTE],
	    n[V_NOTE] == 1 ? "" : "s", n[V_FAIL], n[V_FAIL] == 1 ? "" : "s");
	if (n[V_NA])
		printf(", %d not in %s", n[V_NA], p9_dialect_name(d.d));
	if (n[V_SKIP])
		printf(", %d skipped", n[V_SKIP]);
	printf("\n");
	fflush(stdout);
	sess = shell_sess;
	if (!stuck)
		p9_session_close(d.s);
	if (interrupted)
		return 130;
	return n[V_FAIL] || left ? 1 : 0;
}

/*
 * session.c - libFuzzer target for the client session's handling of what a
 * server sends.  The input is the server's side of the byte stream: a
 * client thread runs a fixed script of calls (version, attach, walks,
 * getattr, open, reads in flight together, a flushed read, readdir in
 * each dialect, xattrs, locks, create, write, rename, ...) on a session
 * over a socketpair (the real socket transport and its reader thread),
 * and the fuzzer's bytes are what comes back, one frame (by its size
 * field) at a time.
 *
 * Deterministic: a frame is written only once every thread is quiet, i.e.
 * the client thread and the transport's reader thread are both asleep and
 * were not scheduled between two looks (/proc/self/task/TID/stat and
 * schedstat) and nothing is left unread on either side.  So each frame
 * meets the same client state, whatever the timing.  When the input is
 * used up the stream ends (EOF).
 *
 * Checks, besides ASan/UBSan/LSan: every message the client sends decodes;
 * every fid goes back to the pool (p9_session_nfids is 1, the root, at the
 * end of the script); once the stream has ended the client finishes
 * instead of hanging.
 *
 * Input: one option byte (bits 0-1: msize 8192, 4096, 65536, 16384; bits
 * 2-3: offer 9P2000.L, 9P2000.u, 9P2000, or insist on 9P2000.L), then the
 * stream.  FUZZ_SEEDS=DIR writes seeds into DIR and exits: the script run
 * against a correct server (answers built with libp9's codec, 9P2000.L
 * ones taken from tests/data/golden where the capture has them), its
 * replies recorded.  Linux only (/proc).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p9.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#define CHECK(c, why)	do { if (!(c)) { \
	fprintf(stderr, "session: %s\n", why); abort(); } } while (0)

/*
 * The harness is left out of the coverage that guides the fuzzer: how
 * often it polls depends on timing, and would make runs differ.
 */
#define HARNESS		__attribute__((no_sanitize("coverage")))

#define TBUFSZ		(512 * 1024)
#define MAXTIDS		64
#define HANGSECS	3

struct run {
	int		 sv[2];		/* session's end, server's */
	int		 peek;		/* sv[0] dup'ed: left unread */
	pid_t		 before[MAXTIDS];	/* threads before it */
	int		 nbefore;
	pid_t		 client, reader;
	int		 reader_gone;
	int		 done;		/* the client thread ended */
	struct p9_opts	 o;
	uint8_t		*tbuf;		/* the client's bytes */
	size_t		 tlen;
	/* seeds: a correct server answering, its bytes recorded; with errs
	   it refuses some requests (the client's error paths and fallbacks) */
	int		 record, errs;
	enum p9_dialect	 d;
	uint8_t		*rec;
	size_t		 nrec, caprec;
};

static HARNESS pid_t
gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* ---- the client's script ------------------------------------------------ */

static HARNESS int
count_ent(void *arg, const struct p9_stbuf *st)
{
	(void)st;
	++*(int *)arg;
	return 0;
}

static HARNESS int
sink(void *arg, const void *p, size_t n, uint64_t off)
{
	(void)p;
	(void)off;
	*(size_t *)arg += n;
	return 0;
}

static HARNESS ssize_t
source(void *arg, void *p, size_t cap)
{
	int *left = arg;
	size_t n = cap < 100 ? cap : 100;

	if (*left == 0)
		return 0;
	--*left;
	memset(p, 'w', n);
	return (ssize_t)n;
}

static HARNESS void
script(struct p9_session *s)
{
	static const char *const names[] = { "a", "x", "nope" };
	struct p9_fid *root = p9_session_root(s), *f;
	struct p9_stbuf st, sts[3];
	struct p9_statfs sfs;
	struct p9_flock l = { .type = P9_LOCK_WRLCK, .length = 10,
	    .client_id = { "fuzz", 4 } };
	size_t got = 0, big = 3 * (size_t)p9_session_iosize(s);
	uint8_t status, *buf = malloc(big);
	char small[256];
	int n = 0, errs[3], left = 3;
	struct p9_fid *xf[3] = { root, NULL, root };
	int64_t xsize[3];

	if (buf == NULL)
		return;
	if (p9_walk(root, "a/b", &f) == 0) {
		p9_getattr(f, &st);
		if (p9_open(f, O_RDONLY) == 0)
			p9_pread(f, buf, 100, 0);
		p9_fid_put(f);
	}
	p9_readdir(root, count_ent, &n);
	if (p9_walk(root, "x", &f) == 0) {
		if (p9_open(f, O_RDONLY) == 0) {
			struct p9_fcall t = { .type = P9_Tread,
			    .fid = p9_fid_num(f), .count = 64 };
			struct p9_reply r;
			struct p9_req *rq;

			p9_readall(f, 0, 3, sink, &got);
			p9_pread_par(f, buf, big, 0, NULL);
			/* a read flushed, one flushed with all others */
			if (p9_send(s, &t, &rq) == 0) {
				p9_cancel(rq);
				if (p9_wait(rq, &r) == 0)
					p9_reply_free(&r);
			}
			if (p9_send(s, &t, &rq) == 0) {
				p9_session_interrupt(s);
				if (p9_wait(rq, &r) == 0)
					p9_reply_free(&r);
			}
		}
		p9_fid_put(f);
	}
	/* a clunk nobody waits for: the fid goes when Rclunk comes */
	if (p9_walk(root, "x", &f) == 0)
		p9_fid_put_nowait(f);
	p9_xattr_get(root, "user.x", small, sizeof small);
	p9_readlink(root, small, sizeof small);
	p9_statfs(root, &sfs);
	p9_getattr_many(root, names, 3, sts, errs, NULL);
	p9_xattr_size_many(xf, 3, "security.selinux", xsize);
	p9_lock(root, &l, &status);
	p9_getlock(root, &l);
	if (p9_create(root, "new", O_RDWR, 0644, &f) == 0) {
		p9_pwrite(f, "hello", 5, 0);
		p9_writeall(f, 5, 2, source, &left);
		p9_fsync(f, 0);
		p9_link(root, f, "hard");
		p9_fid_put(f);
	}
	p9_xattr_set(root, "user.y", "v", 1, 0);
	p9_mknod(root, "fifo", 0010644, 0, 0);	/* S_IFIFO */
	p9_mkdir(root, "d", 0755);
	p9_renameat(root, "d", root, "e");
	p9_unlinkat(root, "e", 0x200);	/* AT_REMOVEDIR */
	memset(&st, 0, sizeof st);
	st.mode = 0644;
	p9_setattr(root, P9_SETATTR_MODE, &st);
	p9_symlink(root, "l", "target");
	free(buf);
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "session: script done: %s, %u fids, %u tags\n",
		    p9_session_error(s) ? p9_errstr() : "connected",
		    p9_session_nfids(s), p9_session_ntags(s));
	/*
	 * Every fid of the script went back to the pool, whatever happened;
	 * the detached clunk's once its reply came or the session died.
	 */
	CHECK(p9_session_nfids(s) == 1 || (p9_session_nfids(s) == 2 &&
	    p9_session_error(s) == 0), "a fid was not given back");
}

static HARNESS void *
client(void *arg)
{
	struct run *r = arg;
	struct p9_session *s;

	__atomic_store_n(&r->client, gettid_(), __ATOMIC_RELEASE);
	if (p9_session_fd(r->sv[0], r->sv[0], &r->o, &s) == 0) {
		script(s);
		p9_session_close(s);
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- is everybody asleep? ------------------------------------------------ */

struct look {
	int		 gone;
	char		 state;
	unsigned long long runs;	/* times it was scheduled */
};

static HARNESS int
slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static HARNESS void
look(pid_t tid, struct look *l)
{
	char path[64], buf[512], *p;

	memset(l, 0, sizeof *l);
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	if (slurp(path, buf, sizeof buf) < 0 ||
	    (p = strrchr(buf, ')')) == NULL || p[1] == '\0') {
		l->gone = 1;
		return;
	}
	l->state = p[2];
	if (l->state == 'Z' || l->state == 'X')
		l->gone = 1;
	snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)tid);
	if (slurp(path, buf, sizeof buf) < 0 ||
	    sscanf(buf, "%*u %*u %llu", &l->runs) != 1)
		l->state = '?';
}

static HARNESS int
known(const struct run *r, pid_t t)
{
	for (int i = 0; i < r->nbefore; i++)
		if (r->before[i] == t)
			return 1;
	return t == r->client;
}

static HARNESS void
tids(struct run *r, int snapshot)
{
	DIR *dp = opendir("/proc/self/task");
	struct dirent *e;

	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		pid_t t = (pid_t)atoi(e->d_name);

		if (t <= 0)
			continue;
		if (snapshot && r->nbefore < MAXTIDS)
			r->before[r->nbefore++] = t;
		else if (!snapshot && !known(r, t))
			r->reader = t;
	}
	closedir(dp);
}

static HARNESS int
unread(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) < 0 ? 0 : n;
}

/*
 * Are the client and the reader asleep, and were they not scheduled while
 * we looked twice?  Then nothing happens until we write.
 */
static HARNESS int
quiet(struct run *r)
{
	struct look a[2], b[2];
	pid_t t[2];

	if (r->reader == 0)
		tids(r, 0);
	if (r->reader == 0)
		return 0;
	t[0] = r->client;
	t[1] = r->reader;
	for (int i = 0; i < 2; i++)
		look(t[i], &a[i]);
	sched_yield();
	for (int i = 0; i < 2; i++)
		look(t[i], &b[i]);
	for (int i = 0; i < 2; i++) {
		if (a[i].gone && b[i].gone)
			continue;
		if (a[i].gone || b[i].gone || a[i].state != 'S' ||
		    b[i].state != 'S' || a[i].runs != b[i].runs)
			return 0;
	}
	if (unread(r->sv[1]) > 0 || (!b[1].gone && unread(r->peek) > 0))
		return 0;
	r->reader_gone = b[1].gone;
	return 1;
}

/* ---- the server's side --------------------------------------------------- */

static void respond(struct run *r, const uint8_t *t, size_t n);
static int refuse(const struct p9_fcall *t, enum p9_dialect d,
    struct p9_fcall *f);

/* Read what the client sent; every whole message must decode. */
static HARNESS void
drain(struct run *r)
{
	ssize_t got;

	while ((got = read(r->sv[1], r->tbuf + r->tlen, TBUFSZ - r->tlen)) > 0)
		r->tlen += (size_t)got;
	while (r->tlen >= 4) {
		const uint8_t *b = r->tbuf;
		uint32_t size = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
		    (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
		struct p9_fcall f;
		int ok = 0;

		CHECK(size >= 7 && size <= TBUFSZ,
		    "the client sent a bad size");
		if (size > r->tlen)
			break;
		for (int d = P9_2000; d <= P9_2000L && !ok; d++)
			ok = p9_decode(r->tbuf, size, 0, (enum p9_dialect)d, &f,
			    NULL) == 0;
		CHECK(ok, "the client sent a message that does not decode");
		if (r->record)
			respond(r, r->tbuf, size);
		memmove(r->tbuf, r->tbuf + size, r->tlen - size);
		r->tlen -= size;
	}
}

static HARNESS void
put(struct run *r, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(r->sv[1], p, n);

		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = { r->sv[1], POLLOUT, 0 };

			drain(r);
			poll(&pf, 1, 10);
			continue;
		}
		if (w <= 0)
			return;		/* the client is gone */
		p += w;
		n -= (size_t)w;
	}
}

/* The next frame of the stream: by its size field, or all that is left. */
static HARNESS size_t
frame(const uint8_t *p, size_t n)
{
	uint32_t size;

	if (n < 4)
		return n;
	size = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	return size < 7 || size > n ? n : size;
}

static HARNESS double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static HARNESS void
options(struct run *r, uint8_t opt)
{
	static const uint32_t msizes[] = { 8192, 4096, 65536, 16384 };

	p9_opts_init(&r->o);
	r->o.msize = msizes[opt & 3];
	r->o.uname = "fuzz";
	switch (opt >> 2 & 3) {
	case 1: r->o.dialect = P9_2000U; break;
	case 2: r->o.dialect = P9_2000; break;
	case 3: r->o.dialect = P9_2000L; r->o.force = 1; break;
	}
}

/* Run the script against data[n] (or, recording, a correct server). */
static HARNESS void
run(struct run *r, const uint8_t *data, size_t n)
{
	size_t pos = 0;
	int shut = 0;
	double since = 0;
	pthread_t th;

	r->tbuf = malloc(TBUFSZ);
	if (r->tbuf == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, r->sv) < 0) {
		free(r->tbuf);
		return;
	}
	r->peek = dup(r->sv[0]);
	fcntl(r->sv[1], F_SETFL, O_NONBLOCK);
	tids(r, 1);
	if (pthread_create(&th, NULL, client, r) != 0) {
		close(r->sv[0]);
		goto out;
	}
	while (__atomic_load_n(&r->client, __ATOMIC_ACQUIRE) == 0)
		sched_yield();
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		drain(r);
		if (r->record) {
			struct pollfd pf = { r->sv[1], POLLIN, 0 };

			poll(&pf, 1, 10);
			continue;
		}
		if (!quiet(r))
			continue;
		if (!r->reader_gone && pos < n) {
			size_t k = frame(data + pos, n - pos);

			put(r, data + pos, k);
			pos += k;
			continue;
		}
		/* nothing more will come: the end of the stream */
		if (!shut) {
			shutdown(r->sv[1], SHUT_WR);
			shut = 1;
			since = now();
		}
		CHECK(now() - since < HANGSECS, "the client hangs after the "
		    "server's end of stream");
	}
	pthread_join(th, NULL);
out:
	close(r->peek);
	close(r->sv[1]);
	free(r->tbuf);
}

HARNESS int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;

	if (size < 1)
		return 0;
	memset(&r, 0, sizeof r);
	options(&r, data[0]);
	run(&r, data + 1, size - 1);
	return 0;
}

/* ---- seeds: a correct server -------------------------------------------- */

/* the first reply of each type in the golden captures (9P2000.L) */
static uint8_t *gold[256];
static size_t goldlen[256];

static HARNESS int
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static HARNESS void
load_golden(void)
{
	const char *td = getenv("P9_TESTDATA");
	static char line[300000];
	static uint8_t m[150000];
	char path[4096];
	struct dirent *e;
	DIR *dp;

	snprintf(path, sizeof path, "%s/golden", td ? td : "tests/data");
	if ((dp = opendir(path)) == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		size_t l = strlen(e->d_name);
		FILE *fp;

		if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0)
			continue;
		snprintf(path, sizeof path, "%s/golden/%s", td ? td :
		    "tests/data", e->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof line, fp)) {
			int n;

			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '#' ||
			    (n = unhex(line, m, sizeof m)) < 7 ||
			    !(m[4] & 1) || gold[m[4]] != NULL)
				continue;
			if ((gold[m[4]] = malloc((size_t)n)) != NULL) {
				memcpy(gold[m[4]], m, (size_t)n);
				goldlen[m[4]] = (size_t)n;
			}
		}
		fclose(fp);
	}
	closedir(dp);
}

static uint8_t isdir[4096];	/* per fid, as the correct server sees it */

static HARNESS void
setdir(uint32_t fid, int dir)
{
	if (fid < sizeof isdir)
		isdir[fid] = (uint8_t)dir;
}

static HARNESS int
dirfid(uint32_t fid)
{
	return fid < sizeof isdir && isdir[fid];
}

static HARNESS int
dirname_(const struct p9_str *n)
{
	return n->len == 1 && (n->s[0] == 'a' || n->s[0] == 'd' ||
	    n->s[0] == 'e');
}

static HARNESS void
emit(struct run *r, const uint8_t *m, size_t n)
{
	if (r->nrec + n > r->caprec) {
		size_t cap = (r->nrec + n) * 2;
		uint8_t *p = realloc(r->rec, cap);

		if (p == NULL)
			return;
		r->rec = p;
		r->caprec = cap;
	}
	memcpy(r->rec + r->nrec, m, n);
	r->nrec += n;
	put(r, m, n);
}

static HARNESS void
mkstat(struct p9_stat *st, int dir, const char *name)
{
	memset(st, 0, sizeof *st);
	st->qid.type = dir ? P9_QTDIR : P9_QTFILE;
	st->qid.path = (uint64_t)strlen(name) + 7;
	st->mode = dir ? P9_DMDIR | 0755 : 0644;
	st->length = dir ? 0 : 12;
	st->name = (struct p9_str){ name, (uint16_t)strlen(name) };
	st->uid = st->gid = st->muid = (struct p9_str){ "fuzz", 4 };
	st->extension = (struct p9_str){ "", 0 };
}

/*
 * The errors a server may give: a missing name, calls an older server
 * lacks (ENOSYS: the client falls back), no such attribute, a name that
 * exists.  9P2000 says it with a string, .u with both.
 */
static HARNESS int
refuse(const struct p9_fcall *t, enum p9_dialect d, struct p9_fcall *f)
{
	static const struct {
		int		 type;
		uint32_t	 e;
		const char	*s;
	} no[] = {
		{ P9_Tunlinkat, 38, "function not implemented" },
		{ P9_Trenameat, 38, "function not implemented" },
		{ P9_Txattrwalk, 61, "no data available" },
		{ P9_Tmkdir, 17, "file already exists" },
		{ P9_Tsymlink, 13, "permission denied" },
		{ P9_Tstatfs, 95, "operation not supported" },
	};
	uint32_t e = 0;
	const char *s = NULL;

	if (t->type == P9_Twalk && t->nwname > 0 &&
	    t->wname[t->nwname - 1].len == 4 &&
	    memcmp(t->wname[t->nwname - 1].s, "nope", 4) == 0) {
		e = 2;
		s = "file does not exist";
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (no[i].type == t->type) {
			e = no[i].e;
			s = no[i].s;
		}
	if (e == 0)
		return 0;
	f->type = d == P9_2000L ? P9_Rlerror : P9_Rerror;
	f->ecode = e;
	f->ename = (struct p9_str){ s, (uint16_t)strlen(s) };
	return 1;
}

/* The reply a correct server gives to t, in r's dialect. */
static HARNESS void
respond(struct run *r, const uint8_t *tb, size_t tn)
{
	static uint8_t out[1 << 17], data[1 << 17];
	struct p9_fcall t, f;
	enum p9_dialect d = r->d;
	ssize_t n;

	if (p9_decode(tb, tn, 0, tb[4] == P9_Tversion ? P9_2000L : d, &t,
	    NULL) != 0)
		return;
	memset(&f, 0, sizeof f);
	f.type = (uint8_t)(t.type + 1);
	f.tag = t.tag;
	if (r->errs && refuse(&t, d, &f)) {
		if ((n = p9_encode(out, sizeof out, &f, d)) > 0)
			emit(r, out, (size_t)n);
		return;
	}
	/* a capture's reply where the request does not shape it */
	if (d == P9_2000L && gold[f.type] && (f.type == P9_Rgetattr ||
	    f.type == P9_Rstatfs || f.type == P9_Rlopen ||
	    f.type == P9_Rlock || f.type == P9_Rxattrwalk ||
	    f.type == P9_Rreadlink || f.type == P9_Rmkdir ||
	    (f.type == P9_Rreaddir && t.offset == 0 &&
	    goldlen[f.type] - 11 <= t.count))) {
		memcpy(out, gold[f.type], goldlen[f.type]);
		out[5] = (uint8_t)t.tag;
		out[6] = (uint8_t)(t.tag >> 8);
		if (f.type == P9_Rxattrwalk)
			setdir(t.newfid, 0);
		emit(r, out, goldlen[f.type]);
		return;
	}
	switch (t.type) {
	case P9_Tversion:
		f.msize = t.msize;
		f.version = (struct p9_str){ p9_dialect_name(d),
		    (uint16_t)strlen(p9_dialect_name(d)) };
		break;
	case P9_Tattach:
		f.qid.type = P9_QTDIR;
		setdir(t.fid, 1);
		break;
	case P9_Twalk:
		f.nwqid = t.nwname;
		for (int i = 0; i < t.nwname; i++) {
			f.wqid[i].type = i + 1 < t.nwname ||
			    dirname_(&t.wname[i]) ? P9_QTDIR : P9_QTFILE;
			f.wqid[i].path = (uint64_t)i + 2;
		}
		setdir(t.newfid, t.nwname ? f.wqid[t.nwname - 1].type ==
		    P9_QTDIR : dirfid(t.fid));
		break;
	case P9_Tread:
		if (dirfid(t.fid)) {
			/* 9P2000 / .u: two stat entries, then the end */
			struct p9_stat st;
			ssize_t k;

			f.count = 0;
			if (t.offset == 0) {
				mkstat(&st, 1, "a");
				k = p9_stat_encode(data, t.count, &st, d);
				f.count = k > 0 ? (uint32_t)k : 0;
				mkstat(&st, 0, "x");
				k = p9_stat_encode(data + f.count,
				    t.count - f.count, &st, d);
				f.count += k > 0 ? (uint32_t)k : 0;
			}
		} else {
			/* a file of 10000 bytes: i mod 251 */
			uint64_t size = 10000;

			f.count = t.offset >= size ? 0 :
			    (uint32_t)(size - t.offset < t.count ?
			    size - t.offset : t.count);
			for (uint32_t i = 0; i < f.count && i < sizeof data;
			    i++)
				data[i] = (uint8_t)((t.offset + i) % 251);
		}
		f.data = data;
		break;
	case P9_Treaddir:
		if (t.offset == 0) {
			struct p9_dirent de = { { P9_QTFILE, 0, 9 }, 1, 8,
			    { "x", 1 } };
			ssize_t k = p9_dirent_encode(data, t.count, &de);

			f.count = k > 0 ? (uint32_t)k : 0;
		}
		f.data = data;
		break;
	case P9_Tstat:
		mkstat(&f.stat, dirfid(t.fid), "x");
		f.stat.mode |= P9_DMSYMLINK;	/* for p9_readlink */
		f.stat.extension = (struct p9_str){ "target", 6 };
		break;
	case P9_Tgetattr:
		f.attr.valid = P9_GETATTR_BASIC;
		f.attr.mode = 0100644;
		f.attr.size = 12;
		break;
	case P9_Tlcreate:
	case P9_Tcreate:
		setdir(t.fid, 0);
		break;
	case P9_Twrite:
		f.count = t.count;
		break;
	case P9_Tmknod:
	case P9_Tsymlink:
	case P9_Tmkdir:
		f.qid.path = 42;
		break;
	case P9_Txattrwalk:
		f.size = 5;
		setdir(t.newfid, 0);
		break;
	case P9_Treadlink:
		f.target = (struct p9_str){ "target", 6 };
		break;
	case P9_Tgetlock:
		f.lock = t.lock;
		f.lock.type = P9_LOCK_UNLCK;
		break;
	case P9_Tauth:
		f.type = d == P9_2000L ? P9_Rlerror : P9_Rerror;
		f.ecode = 95;
		f.ename = (struct p9_str){ "no auth", 7 };
		break;
	}
	if ((n = p9_encode(out, sizeof out, &f, d)) > 0)
		emit(r, out, (size_t)n);
}

static HARNESS void
record(const char *dir, uint8_t opt, enum p9_dialect d, int errs)
{
	struct run r;
	char path[4096];
	FILE *fp;

	memset(&r, 0, sizeof r);
	memset(isdir, 0, sizeof isdir);
	options(&r, opt);
	r.record = 1;
	r.errs = errs;
	r.d = d;
	run(&r, NULL, 0);
	snprintf(path, sizeof path, "%s/seed-%02x%s", dir, opt,
	    errs ? "-errors" : "");
	if (r.nrec && (fp = fopen(path, "wb")) != NULL) {
		fputc(opt, fp);
		fwrite(r.rec, 1, r.nrec, fp);
		fclose(fp);
		fprintf(stderr, "session: %s: %zu bytes of replies\n", path,
		    r.nrec);
	}
	free(r.rec);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *out = getenv("FUZZ_SEEDS");

	(void)argc;
	(void)argv;
	if (out == NULL)
		return 0;
	load_golden();
	for (int errs = 0; errs < 2; errs++) {
		record(out, 0x0, P9_2000L, errs);	/* 8192, offer .L */
		record(out, 0x2, P9_2000L, errs);	/* 65536 */
		record(out, 0xc, P9_2000L, errs);	/* insist on .L */
		record(out, 0x4, P9_2000U, errs);	/* offer .u */
		record(out, 0x1, P9_2000U, errs);	/* 4096, .L, get .u */
		record(out, 0x8, P9_2000, errs);	/* offer 9P2000 */
	}
	for (int i = 0; i < 256; i++)
		free(gold[i]);
	exit(0);
}

/*
 * fsx.c - a file system exerciser in the style of the classic fsx (Avadis
 * Tevanian, Conrad Minshall): random writes, truncates (up and down) and
 * reads at random offsets and sizes on one file, through the file system
 * under test, against an in-memory model of what the file must hold.
 *
 *   fsx [-q] [-N ops] [-S seed] [-l maxlen] [-o maxop] [-c closeprob] FILE
 *
 * Every read is checked against the model, and so is the file's size
 * (fstat) after every operation; at the end the whole file is read back
 * and compared.  Now and then the file is closed and opened again (1 in
 * closeprob operations) and fsync'ed, so opens, releases and cached
 * pages of earlier opens are exercised too.  Written bytes depend on the
 * operation number and the offset, so a wrong byte names the operation
 * that wrote the byte seen.  On a mismatch the tail of the operation log
 * is printed and the exit status is 1; otherwise the last line is
 * "fsx: seed S, N ops, 0 mismatches".
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { OP_READ, OP_WRITE, OP_TRUNC, OP_CLOSEOPEN, OP_FSYNC };
static const char *const opname[] = { "read", "write", "truncate",
	"close/open", "fsync" };

#define NLOG	64

struct logent {
	unsigned long	 n;
	int		 op;
	uint64_t	 off, len;	/* truncate: len is the new size */
	uint64_t	 size;		/* file size before the operation */
};

static struct logent oplog[NLOG];
static unsigned long nops, done;
static uint64_t seed, state;
static uint64_t maxlen = 256 * 1024, maxop = 64 * 1024;
static unsigned closeprob = 500;
static int quiet;
static const char *path;
static int fd = -1;
static unsigned char *model, *buf;
static uint64_t size;	/* the model's file size */

static void
usage(void)
{
	fprintf(stderr, "usage: fsx [-q] [-N ops] [-S seed] [-l maxlen] "
	    "[-o maxop] [-c closeprob] file\n");
	exit(2);
}

/* xorshift64*: the same seed gives the same run everywhere */
static uint64_t
rnd(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dull;
}

static uint64_t
below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static unsigned long long
number(const char *flag, const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*s == '\0' || *s == '-' || *end || errno || v > max)
		errx(2, "-%s %s: expected a number up to %llu", flag, s, max);
	return v;
}

static void
logop(int op, uint64_t off, uint64_t len)
{
	struct logent *l = &oplog[done % NLOG];

	l->n = done;
	l->op = op;
	l->off = off;
	l->len = len;
	l->size = size;
}

static void
dumplog(void)
{
	unsigned long first = done >= NLOG ? done - NLOG + 1 : 0;

	fprintf(stderr, "fsx: seed %" PRIu64 "; the last operations:\n", seed);
	for (unsigned long i = first; i <= done && i < nops + 1; i++) {
		struct logent *l = &oplog[i % NLOG];

		if (l->n != i)
			continue;
		if (l->op == OP_TRUNC)
			fprintf(stderr, "  %6lu %-10s from 0x%" PRIx64
			    " to 0x%" PRIx64 "\n", l->n, opname[l->op],
			    l->size, l->len);
		else if (l->op == OP_READ || l->op == OP_WRITE)
			fprintf(stderr, "  %6lu %-10s 0x%" PRIx64 " .. 0x%"
			    PRIx64 " (0x%" PRIx64 " bytes; size was 0x%"
			    PRIx64 ")\n", l->n, opname[l->op], l->off,
			    l->off + l->len, l->len, l->size);
		else
			fprintf(stderr, "  %6lu %s\n", l->n, opname[l->op]);
	}
}

static void
fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fsx: operation %lu: ", done);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	dumplog();
	fprintf(stderr, "fsx: seed %" PRIu64 ", %lu ops, mismatch\n", seed,
	    done);
	exit(1);
}

/* The byte operation n writes at offset o. */
static unsigned char
pattern(unsigned long n, uint64_t o)
{
	return (unsigned char)(n * 131 + o * 7 + 1);
}

/* Which earlier write (if any) would have left byte b at offset o. */
static void
explain(uint64_t o, unsigned char b)
{
	for (unsigned long i = done + 1; i-- > 0 && done - i < NLOG;) {
		struct logent *l = &oplog[i % NLOG];

		if (l->n == i && l->op == OP_WRITE && o >= l->off &&
		    o < l->off + l->len && pattern(i, o) == b) {
			fprintf(stderr, "fsx: byte 0x%02x at 0x%" PRIx64
			    " is what operation %lu wrote\n", b, o, i);
			return;
		}
	}
	if (b == 0)
		fprintf(stderr, "fsx: byte at 0x%" PRIx64 " is zero (a hole "
		    "or truncated data)\n", o);
}

/* Compare got[0..n) with the model at off. */
static void
check(const unsigned char *got, uint64_t off, uint64_t n, const char *what)
{
	for (uint64_t i = 0; i < n; i++) {
		if (got[i] == model[off + i])
			continue;
		uint64_t j = i;

		while (j < n && got[j] != model[off + j])
			j++;
		explain(off + i, got[i]);
		fail("%s: bad data at 0x%" PRIx64 ": got 0x%02x, want 0x%02x "
		    "(%" PRIu64 " bad bytes from there)", what, off + i,
		    got[i], model[off + i], j - i);
	}
}

static void
check_size(const char *what)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		fail("%s: fstat: %s", what, strerror(errno));
	if ((uint64_t)st.st_size != size)
		fail("%s: file size 0x%jx, want 0x%" PRIx64, what,
		    (intmax_t)st.st_size, size);
}

static void
openfile(int flags)
{
	if ((fd = open(path, O_RDWR | flags, 0644)) < 0)
		fail("open %s: %s", path, strerror(errno));
}

/* Read exactly n bytes at off (short only at the end of the file). */
static uint64_t
readat(unsigned char *p, uint64_t n, uint64_t off, const char *what)
{
	uint64_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));

		if (r < 0)
			fail("%s: pread: %s", what, strerror(errno));
		if (r == 0)
			break;
		got += (uint64_t)r;
	}
	return got;
}

static void
do_read(uint64_t off, uint64_t n)
{
	uint64_t want, got;

	logop(OP_READ, off, n);
	want = off >= size ? 0 : (off + n > size ? size - off : n);
	got = readat(buf, n, off, "read");
	if (got != want)
		fail("read: 0x%" PRIx64 " bytes at 0x%" PRIx64 ", want 0x%"
		    PRIx64, got, off, want);
	check(buf, off, got, "read");
}

static void
do_write(uint64_t off, uint64_t n)
{
	uint64_t put = 0;

	logop(OP_WRITE, off, n);
	for (uint64_t i = 0; i < n; i++)
		buf[i] = pattern(done, off + i);
	while (put < n) {
		ssize_t w = pwrite(fd, buf + put, n - put, (off_t)(off + put));

		if (w <= 0)
			fail("write: pwrite 0x%" PRIx64 " at 0x%" PRIx64 ": %s",
			    n - put, off + put, w < 0 ? strerror(errno) :
			    "wrote nothing");
		put += (uint64_t)w;
	}
	if (off > size)
		memset(model + size, 0, off - size);
	memcpy(model + off, buf, n);
	if (off + n > size)
		size = off + n;
}

static void
do_trunc(uint64_t to)
{
	logop(OP_TRUNC, 0, to);
	if (ftruncate(fd, (off_t)to) != 0)
		fail("truncate to 0x%" PRIx64 ": %s", to, strerror(errno));
	if (to > size)
		memset(model + size, 0, to - size);
	size = to;
}

static void
do_closeopen(void)
{
	logop(OP_CLOSEOPEN, 0, 0);
	if (close(fd) != 0)
		fail("close: %s", strerror(errno));
	openfile(0);
}

static void
do_fsync(void)
{
	logop(OP_FSYNC, 0, 0);
	if (fsync(fd) != 0)
		fail("fsync: %s", strerror(errno));
}

static void
one(void)
{
	uint64_t r = below(100), off, n;

	if (closeprob && below(closeprob) == 0) {
		do_closeopen();
		return;
	}
	if (r < 1) {
		do_fsync();
	} else if (r < 45) {
		/* reads mostly inside the file, sometimes across its end */
		n = 1 + below(maxop);
		off = below(size + size / 8 + 1);
		do_read(off, n);
	} else if (r < 90) {
		n = 1 + below(maxop < maxlen ? maxop : maxlen);
		off = below(maxlen - n + 1);
		do_write(off, n);
	} else {
		do_trunc(below(maxlen + 1));
	}
	check_size(opname[oplog[done % NLOG].op]);
}

int
main(int argc, char **argv)
{
	int c;

	seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 16;
	nops = 10000;
	while ((c = getopt(argc, argv, "qN:S:l:o:c:")) != -1) {
		switch (c) {
		case 'q':
			quiet = 1;
			break;
		case 'N':
			nops = (unsigned long)number("N", optarg,
			    ULONG_MAX - 1);
			break;
		case 'S':
			seed = number("S", optarg, UINT64_MAX);
			break;
		case 'l':
			maxlen = number("l", optarg, 1ull << 34);
			break;
		case 'o':
			maxop = number("o", optarg, 1ull << 30);
			break;
		case 'c':
			closeprob = (unsigned)number("c", optarg, UINT_MAX);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if (maxlen == 0 || maxop == 0)
		errx(2, "-l and -o must be at least 1");
	path = argv[optind];
	state = seed ? seed : 1;
	if ((model = calloc(1, maxlen)) == NULL ||
	    (buf = malloc(maxop > maxlen ? maxop : maxlen)) == NULL)
		err(1, "memory");
	if (!quiet)
		printf("fsx: seed %" PRIu64 ", %lu ops, file %s, maxlen %"
		    PRIu64 ", maxop %" PRIu64 "\n", seed, nops, path, maxlen,
		    maxop);
	fflush(stdout);
	openfile(O_CREAT | O_TRUNC);
	check_size("open");
	for (done = 1; done <= nops; done++)
		one();
	done = nops;
	/* the whole file, read back in one go after a fresh open */
	if (close(fd) != 0)
		fail("close: %s", strerror(errno));
	openfile(0);
	check_size("final");
	if (readat(buf, size, 0, "final read") != size)
		fail("final read: short");
	check(buf, 0, size, "final read");
	close(fd);
	printf("fsx: seed %" PRIu64 ", %lu ops, 0 mismatches\n", seed, nops);
	return 0;
}

/*
 * main.c - 9ptrace: options, the filters, and printing what the decoder
 * (libp9's p9_tdec) hands over.  The inputs are in capture.c (files and
 * interfaces, through libpcap) and proxy.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "9ptrace.h"

struct opts opt = { P9_TFMT_LINE, 32, 0, { 1, { 0 }, NULL, 0, NULL, 0,
    NULL, 0, 0 } };
volatile sig_atomic_t stopping;
struct timespec stopped_at;	/* CLOCK_REALTIME of the Ctrl-C/SIGTERM */
static int proxying;		/* -l: the proxy, which outlives its output */
static int out_gone;		/* stdout's reader went away (EPIPE) */
static int out_err;		/* another write error (ENOSPC, EIO...) */

static const char usage_text[] =
    "usage: 9ptrace [-jsvx] [-e filter] [-p ports] -r file [expression]\n"
    "       9ptrace [-jsvx] [-e filter] [-p ports] -i interface "
    "[expression]\n"
    "       9ptrace [-jsvx] [-e filter] -l listen -c target [-w file]\n";

static void __attribute__((noreturn))
usage(void)
{
	fputs(usage_text, stderr);
	exit(2);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die2(const char *fmt, ...)
{
	va_list ap;

	fputs("9ptrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---- filters --------------------------------------------------------------- */

static int
addtype(const char *name)
{
	char tn[64];
	int t, n = 0;

	if ((t = p9_typebyname(name)) >= 0) {
		opt.flt.types[t] = 1;
		return 0;
	}
	/* "walk" means Twalk and Rwalk; "error" Rerror and Rlerror */
	for (const char *pre = "TR"; *pre; pre++) {
		snprintf(tn, sizeof tn, "%c%s", *pre, name);
		if ((t = p9_typebyname(tn)) >= 0) {
			opt.flt.types[t] = 1;
			n++;
		}
	}
	if (strcasecmp(name, "error") == 0 || strcasecmp(name, "lerror") == 0) {
		opt.flt.types[P9_Rerror] = opt.flt.types[P9_Rlerror] = 1;
		n++;
	}
	return n ? 0 : -1;
}

static uint32_t
number(const char *what, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *s == '\0' || *end != '\0' || v > UINT32_MAX)
		die2("-e %s=: '%s' is not a number", what, s);
	return (uint32_t)v;
}

static void
addfilter(const char *arg)
{
	char *copy = strdup(arg), *val = strchr(copy, '='), *tok, *save;

	if (strcmp(copy, "errors") == 0) {
		opt.flt.errors = 1;
		free(copy);
		return;
	}
	if (val == NULL)
		die2("-e %s: expected type=, fid=, tag=, path= or errors",
		    arg);
	*val++ = '\0';
	for (tok = strtok_r(val, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(copy, "type") == 0) {
			opt.flt.any_type = 0;
			if (addtype(tok) != 0)
				die2("-e type=%s: no such message type", tok);
		} else if (strcmp(copy, "fid") == 0) {
			opt.flt.fids = realloc(opt.flt.fids,
			    (size_t)(opt.flt.nfids + 1) * sizeof(uint32_t));
			opt.flt.fids[opt.flt.nfids++] = number("fid", tok);
		} else if (strcmp(copy, "tag") == 0) {
			opt.flt.tags = realloc(opt.flt.tags,
			    (size_t)(opt.flt.ntags + 1) * sizeof(uint32_t));
			opt.flt.tags[opt.flt.ntags++] = number("tag", tok);
		} else if (strcmp(copy, "path") == 0) {
			size_t n = strlen(tok);

			while (n > 1 && tok[n - 1] == '/')
				tok[--n] = '\0';
			opt.flt.paths = realloc(opt.flt.paths,
			    (size_t)(opt.flt.npaths + 1) * sizeof(char *));
			opt.flt.paths[opt.flt.npaths++] = strdup(tok);
		} else {
			die2("-e %s=: expected type=, fid=, tag=, path= or "
			    "errors", copy);
		}
	}
	free(copy);
}

static int
under(const char *path, const char *top)
{
	size_t n = strlen(top);

	if (path == NULL)
		return 0;
	if (strcmp(top, "/") == 0)
		return path[0] == '/';
	return strncmp(path, top, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/' || path[n] == ' ');
}

static int
match(const struct p9_tmsg *m)
{
	const struct filter *f = &opt.flt;
	int ok;

	if (!f->any_type && !f->types[m->f.type])
		return 0;
	if (f->errors && !m->err && m->f.type != P9_Rlerror &&
	    m->f.type != P9_Rerror)
		return 0;
	if (f->ntags) {
		ok = 0;
		for (int i = 0; i < f->ntags && !ok; i++)
			ok = f->tags[i] == m->f.tag;
		if (!ok)
			return 0;
	}
	if (f->nfids) {
		const struct p9_fcall *t = m->f.type & 1 ? m->req : &m->f;
		uint32_t v[2];
		int n = t && !(m->err && t == &m->f) ?
		    p9_fcall_fids(t, m->dialect, v) : 0;

		ok = 0;
		for (int i = 0; i < f->nfids && !ok; i++)
			for (int j = 0; j < n && !ok; j++)
				ok = f->fids[i] == v[j];
		if (!ok)
			return 0;
	}
	if (f->npaths) {
		ok = 0;
		for (int i = 0; i < f->npaths && !ok; i++)
			ok = under(m->path[0], f->paths[i]) ||
			    under(m->path[1], f->paths[i]);
		if (!ok)
			return 0;
	}
	return 1;
}

/* ---- output ---------------------------------------------------------------- */

static char *obuf;
static size_t ocap;
static struct timespec last;

/*
 * After a failed write to stdout (err its errno): a reader gone away, as
 * in `9ptrace -r big.pcapng | head`, ends a capture the way SIGPIPE ends
 * tcpdump: quietly, killed by that signal.  The proxy keeps relaying
 * (its clients are not to lose their server), printing nothing more.
 */
static void
out_failed(int err)
{
	if (err != EPIPE && out_err == 0)
		out_err = err;
	if (err != EPIPE || out_gone)
		return;
	out_gone = 1;
	if (proxying) {
		fprintf(stderr, "9ptrace: the standard output was closed: "
		    "relaying on, printing nothing\n");
		return;
	}
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
}

/*
 * After a write to stdout: stdio takes a line whose write then fails
 * (line-buffered, live) as written, so the stream's error flag tells,
 * with the errno of that write.
 */
static void
out_check(void)
{
	if (!out_gone && ferror(stdout)) {
		out_failed(errno);
		clearerr(stdout);
	}
}

static void
on_msg(void *arg, const struct p9_tmsg *m)
{
	int n;

	(void)arg;
	last = m->time;
	if (out_gone || !match(m))
		return;
	if (opt.summary) {
		sum_msg(m);
		return;
	}
	for (;;) {
		n = p9_tmsg_fmt(obuf, ocap, m, opt.how, opt.datamax);
		if (n >= 0 && (size_t)n < ocap)
			break;
		ocap = (size_t)n + 4096;
		if ((obuf = realloc(obuf, ocap)) == NULL) {
			fprintf(stderr, "9ptrace: out of memory\n");
			exit(1);
		}
	}
	obuf[n++] = '\n';
	fwrite(obuf, 1, (size_t)n, stdout);
	out_check();
}

static void
on_note(void *arg, unsigned conn, const struct timespec *ts, const char *text)
{
	(void)arg;
	if (ts == NULL || (ts->tv_sec == 0 && ts->tv_nsec == 0))
		ts = &last;
	if (opt.summary) {
		sum_note();
		return;
	}
	if (out_gone)
		return;
	if (opt.how == P9_TFMT_JSON) {
		printf("{\"time\":%lld.%09ld,\"conn\":%u,\"note\":\"",
		    (long long)ts->tv_sec, ts->tv_nsec, conn);
		for (const unsigned char *c = (const unsigned char *)text; *c;
		    c++)
			if (*c == '"' || *c == '\\')
				printf("\\%c", *c);
			else if (*c < ' ' || *c >= 0x7f)
				printf("\\u%04x", *c);
			else
				putchar(*c);
		printf("\"}\n");
	} else {
		struct tm tm;
		time_t t = ts->tv_sec;

		localtime_r(&t, &tm);
		printf("%02d:%02d:%02d.%06ld #%u -- %s\n", tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000, conn, text);
	}
	out_check();
}

void
out_flush(void)
{
	if (!out_gone) {
		fflush(stdout);
		out_check();
	}
}

struct p9_tdec *
decoder(void)
{
	static const struct p9_tdec_cb cb = { on_msg, on_note };
	struct p9_tdec *d = p9_tdec_new(&cb, NULL);

	if (d == NULL) {
		fprintf(stderr, "9ptrace: out of memory\n");
		exit(1);
	}
	return d;
}

static void
ports(struct p9_tdec *d, const char *arg)
{
	uint16_t p[64];
	int n = 0;
	char *copy = strdup(arg), *tok, *save;

	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long v = strtol(tok, &end, 10);

		if (*end || v < 1 || v > 65535 || n == 64)
			die2("-p %s: ports are numbers 1-65535, comma-"
			    "separated (at most 64)", arg);
		p[n++] = (uint16_t)v;
	}
	free(copy);
	if (n == 0)
		die2("-p: no port given");
	p9_tdec_ports(d, p, n);
}

static void
on_signal(int sig)
{
	(void)sig;
	if (!stopping)
		clock_gettime(CLOCK_REALTIME, &stopped_at);
	stopping = 1;
	capture_stop();
}

/* Remaining arguments joined: a BPF filter expression, as tcpdump takes. */
static char *
expression(int argc, char **argv)
{
	size_t n = 1;
	char *e;

	if (argc == 0)
		return NULL;
	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	e = calloc(1, n);
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(e, " ");
		strcat(e, argv[i]);
	}
	return e;
}

int
main(int argc, char **argv)
{
	const char *rfile = NULL, *iface = NULL, *lsn = NULL, *tgt = NULL;
	const char *wfile = NULL, *portarg = NULL;
	struct sigaction sa;
	struct p9_tdec *d;
	char *expr;
	int c, rc, modes;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	while ((c = getopt(argc, argv, "c:e:i:jl:p:r:svw:x")) != -1) {
		switch (c) {
		case 'c': tgt = optarg; break;
		case 'e': addfilter(optarg); break;
		case 'i': iface = optarg; break;
		case 'j': opt.how = P9_TFMT_JSON; break;
		case 'l': lsn = optarg; break;
		case 'p': portarg = optarg; break;
		case 'r': rfile = optarg; break;
		case 's': opt.summary = 1; break;
		case 'v': opt.how = P9_TFMT_VERBOSE; break;
		case 'w': wfile = optarg; break;
		case 'x': opt.datamax = SIZE_MAX / 4; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	modes = (rfile != NULL) + (iface != NULL) + (lsn != NULL);
	if (modes != 1) {
		if (modes > 1)
			fprintf(stderr, "9ptrace: -r, -i and -l exclude each "
			    "other\n");
		usage();
	}
	if ((lsn != NULL) != (tgt != NULL)) {
		fprintf(stderr, "9ptrace: -l and -c go together\n");
		usage();
	}
	if (wfile && !lsn) {
		fprintf(stderr, "9ptrace: -w writes the proxy's traffic: it "
		    "goes with -l and -c\n");
		usage();
	}
	if (lsn && (argc || portarg)) {
		fprintf(stderr, "9ptrace: the proxy takes no expression or "
		    "-p\n");
		usage();
	}
	expr = expression(argc, argv);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (rfile)
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	else
		setvbuf(stdout, NULL, _IOLBF, 0);

	d = decoder();
	if (portarg)
		ports(d, portarg);
	if (rfile)
		rc = read_capture(d, rfile, expr);
	else if (iface)
		rc = live_capture(d, iface, expr);
	else {
		proxying = 1;
		rc = proxy(d, lsn, tgt, wfile);
	}
	p9_tdec_finish(d);
	if (opt.summary && !out_gone)
		sum_print(stdout, d);
	if (!out_gone && (fflush(stdout) != 0 || ferror(stdout) || out_err)) {
		int e = out_err ? out_err : errno;

		out_failed(e);	/* EPIPE: ends here, but for the proxy */
		if (!out_gone && rc == 0) {
			fprintf(stderr, "9ptrace: writing the output: %s\n",
			    strerror(e));
			rc = 1;
		}
	}
	p9_tdec_free(d);
	free(expr);
	free(obuf);
	return rc;
}

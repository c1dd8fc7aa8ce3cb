/*
 * fidcount.c - replay a libp9 trace file (9pfuse -o trace=FILE, 9pctl -t)
 * and count the fids the server holds at its end.
 *
 *   fidcount [-l] TRACE
 *
 * The trace is "# 9ptools trace 1" then one line per message, "<sec>.<nsec>
 * <hex of the whole message>", requests and replies of all threads in the
 * order they crossed the wire.  A fid comes to life with Rattach or Rauth,
 * with Rwalk when every name was walked (nwqid == nwname, so nwname 0
 * clones), and with Rxattrwalk; Tlcreate and Tcreate reuse their fid.
 * Tclunk and Tremove free the fid whether they succeed or not, and
 * Rversion forgets them all.  A request flushed before its reply came
 * did nothing.  Prints "N fids"; -l lists each live fid first with the
 * path it was walked by ("fid 7 /a/b").  Exit 1 if the trace is not one.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p9.h"

struct live {
	uint32_t	 fid;
	int		 used;
	char		*path;
};

/* what a request in flight will do when its reply comes */
struct pending {
	int		 used;
	uint8_t		 type;
	uint32_t	 fid, newfid;
	uint16_t	 nwname, oldtag;
	char		*path;		/* newfid's path if it comes alive */
};

static struct live *tab;
static size_t cap, nlive;
static struct pending pend[65536];
static enum p9_dialect dialect = P9_2000L;

static size_t
slot(uint32_t fid)
{
	size_t i = (fid * 2654435761u) & (cap - 1);

	while (tab[i].used && tab[i].fid != fid)
		i = (i + 1) & (cap - 1);
	return i;
}

static void grow(void);

static const char *
path_of(uint32_t fid)
{
	size_t i;

	if (cap == 0)
		return NULL;
	i = slot(fid);
	return tab[i].used ? tab[i].path : NULL;
}

static void
add(uint32_t fid, char *path)
{
	size_t i;

	if (nlive * 2 >= cap)
		grow();
	i = slot(fid);
	if (tab[i].used) {
		free(tab[i].path);	/* a fid reused while live: replace */
	} else {
		tab[i].used = 1;
		tab[i].fid = fid;
		nlive++;
	}
	tab[i].path = path;
}

static void
del(uint32_t fid)
{
	size_t i, j;

	if (cap == 0)
		return;
	i = slot(fid);
	if (!tab[i].used)
		return;
	free(tab[i].path);
	tab[i].used = 0;
	nlive--;
	/* re-place the rest of the cluster (linear probing) */
	for (j = (i + 1) & (cap - 1); tab[j].used; j = (j + 1) & (cap - 1)) {
		struct live e = tab[j];

		tab[j].used = 0;
		tab[slot(e.fid)] = e;
	}
}

static void
grow(void)
{
	struct live *old = tab;
	size_t ocap = cap;

	cap = cap ? 2 * cap : 1024;
	if ((tab = calloc(cap, sizeof *tab)) == NULL)
		err(1, "memory");
	for (size_t i = 0; i < ocap; i++)
		if (old[i].used)
			tab[slot(old[i].fid)] = old[i];
	free(old);
}

static void
forget_all(void)
{
	for (size_t i = 0; i < cap; i++)
		if (tab[i].used) {
			free(tab[i].path);
			tab[i].used = 0;
		}
	nlive = 0;
}

static char *
walked(uint32_t fid, const struct p9_fcall *t)
{
	const char *base = path_of(fid);
	size_t n = strlen(base ? base : "?") + 1;
	char *p;

	for (int i = 0; i < t->nwname; i++)
		n += t->wname[i].len + 1;
	if ((p = malloc(n + 1)) == NULL)
		err(1, "memory");
	strcpy(p, base ? base : "?");
	for (int i = 0; i < t->nwname; i++) {
		size_t l = strlen(p);

		if (l == 0 || p[l - 1] != '/')
			p[l++] = '/';
		memcpy(p + l, t->wname[i].s, t->wname[i].len);
		p[l + t->wname[i].len] = '\0';
	}
	return p;
}

static void
request(const struct p9_fcall *t)
{
	struct pending *p = &pend[t->tag];

	free(p->path);
	memset(p, 0, sizeof *p);
	p->used = 1;
	p->type = t->type;
	p->fid = t->fid;
	p->newfid = t->newfid;
	p->nwname = t->nwname;
	p->oldtag = t->oldtag;
	switch (t->type) {
	case P9_Tattach:
		if ((p->path = strdup("/")) == NULL)
			err(1, "memory");
		break;
	case P9_Tauth:
		p->fid = t->afid;
		if ((p->path = strdup("(auth)")) == NULL)
			err(1, "memory");
		break;
	case P9_Twalk:
		p->path = walked(t->fid, t);
		break;
	case P9_Txattrwalk:
		if (asprintf(&p->path, "%s (xattr %.*s)",
		    path_of(t->fid) ? path_of(t->fid) : "?",
		    (int)t->name.len, t->name.s) < 0)
			err(1, "memory");
		break;
	case P9_Tclunk:
	case P9_Tremove:
		/* the server frees it whatever it answers */
		del(t->fid);
		break;
	}
}

static void
reply(const struct p9_fcall *r)
{
	struct pending *p = &pend[r->tag];
	int ok = r->type != P9_Rlerror && r->type != P9_Rerror;

	if (r->type == P9_Rversion) {
		char v[32];

		forget_all();
		snprintf(v, sizeof v, "%.*s", (int)r->version.len,
		    r->version.s);
		if (p9_dialect_parse(v, &dialect) != 0)
			dialect = P9_2000;
	}
	if (!p->used)
		return;		/* flushed, or before the trace began */
	if (ok) {
		switch (p->type) {
		case P9_Tattach:
		case P9_Tauth:
			add(p->fid, p->path);
			p->path = NULL;
			break;
		case P9_Twalk:
			if (r->nwqid == p->nwname) {
				if (p->newfid != p->fid)
					add(p->newfid, p->path);
				else
					add(p->fid, p->path);
				p->path = NULL;
			}
			break;
		case P9_Txattrwalk:
			add(p->newfid, p->path);
			p->path = NULL;
			break;
		case P9_Tflush:
			/* the flushed request did nothing if not answered */
			if (pend[p->oldtag].used) {
				free(pend[p->oldtag].path);
				memset(&pend[p->oldtag], 0, sizeof pend[0]);
			}
			break;
		}
	}
	free(p->path);
	memset(p, 0, sizeof *p);
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
main(int argc, char **argv)
{
	char *line = NULL, *hex;
	size_t lcap = 0, bcap = 0, lineno = 0;
	uint8_t *msg = NULL;
	ssize_t len;
	int list = 0, header = 0;
	FILE *fp;

	if (argc == 3 && strcmp(argv[1], "-l") == 0) {
		list = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: fidcount [-l] trace\n");
		return 2;
	}
	if ((fp = fopen(argv[1], "r")) == NULL)
		err(1, "%s", argv[1]);
	while ((len = getline(&line, &lcap, fp)) > 0) {
		struct p9_fcall f;
		const char *why = NULL;
		size_t n;

		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == '#') {
			header |= strcmp(line, "# 9ptools trace 1") == 0;
			continue;
		}
		if (!header)
			errx(1, "%s: not a 9ptools trace", argv[1]);
		if ((hex = strchr(line, ' ')) == NULL)
			errx(1, "%s:%zu: no message", argv[1], lineno);
		hex++;
		n = strlen(hex);
		if (n % 2 || n < 14)
			errx(1, "%s:%zu: bad hex", argv[1], lineno);
		n /= 2;
		if (n > bcap) {
			bcap = n;
			if ((msg = realloc(msg, bcap)) == NULL)
				err(1, "memory");
		}
		for (size_t i = 0; i < n; i++) {
			int hi = unhex(hex[2 * i]), lo = unhex(hex[2 * i + 1]);

			if (hi < 0 || lo < 0)
				errx(1, "%s:%zu: bad hex", argv[1], lineno);
			msg[i] = (uint8_t)(hi << 4 | lo);
		}
		if (p9_decode(msg, n, 0, dialect, &f, &why) != 0)
			errx(1, "%s:%zu: undecodable message: %s", argv[1],
			    lineno, why ? why : "?");
		if (f.type % 2 == 0)
			request(&f);
		else
			reply(&f);
	}
	if (!header)
		errx(1, "%s: not a 9ptools trace", argv[1]);
	if (list)
		for (size_t i = 0; i < cap; i++)
			if (tab[i].used)
				printf("fid %u %s\n", tab[i].fid, tab[i].path);
	printf("%zu fids\n", nlive);
	free(line);
	free(msg);
	return 0;
}

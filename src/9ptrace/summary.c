/*
 * summary.c - 9ptrace -s: per message type the count and bytes, per
 * request type the latency to its reply (min, median, 99th percentile,
 * max) and the errors it drew by errno; per connection the fids still
 * open at the end (a leak shows here) and requests never answered.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "9ptrace.h"

struct errcount {
	char		*key;
	uint64_t	 n;
};

struct tstat {
	uint64_t	 count, bytes;
	int64_t		*lat;		/* ns, for requests */
	size_t		 nlat, caplat;
	struct errcount	*errs;
	size_t		 nerrs;
};

static struct tstat st[256];
static uint64_t malformed, notes, nmsgs;

static void
adderr(struct tstat *t, const char *key)
{
	for (size_t i = 0; i < t->nerrs; i++)
		if (strcmp(t->errs[i].key, key) == 0) {
			t->errs[i].n++;
			return;
		}
	t->errs = realloc(t->errs, (t->nerrs + 1) * sizeof *t->errs);
	if (t->errs == NULL) {
		t->nerrs = 0;
		return;
	}
	t->errs[t->nerrs].key = strdup(key);
	t->errs[t->nerrs++].n = 1;
}

void
sum_msg(const struct p9_tmsg *m)
{
	struct tstat *t = &st[m->f.type];

	nmsgs++;
	t->count++;
	t->bytes += m->len;
	if (m->err) {
		malformed++;
		return;
	}
	if (m->req == NULL)
		return;
	t = &st[m->req->type];
	if (t->nlat == t->caplat) {
		t->caplat = t->caplat ? 2 * t->caplat : 64;
		t->lat = realloc(t->lat, t->caplat * sizeof *t->lat);
		if (t->lat == NULL) {
			t->nlat = t->caplat = 0;
			return;
		}
	}
	t->lat[t->nlat++] = m->latency_ns;
	if (m->f.type == P9_Rlerror || (m->f.type == P9_Rerror &&
	    m->dialect == P9_2000U)) {
		const char *nm = p9_errno_name(m->f.ecode);
		char k[32];

		if (nm == NULL)
			snprintf(k, sizeof k, "errno %u", m->f.ecode);
		adderr(t, nm ? nm : k);
	} else if (m->f.type == P9_Rerror) {
		char k[80];

		snprintf(k, sizeof k, "'%.*s'", (int)(m->f.ename.len > 60 ? 60 :
		    m->f.ename.len), m->f.ename.s);
		adderr(t, k);
	}
}

void
sum_note(void)
{
	notes++;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct fidlist {
	FILE		*fp;
	unsigned	 shown;
};

static void
showfid(void *arg, uint32_t fid, const char *path)
{
	struct fidlist *l = arg;

	if (l->shown++ < 32)
		fprintf(l->fp, " %u<%s>", fid, path ? path : "?");
	else if (l->shown == 33)
		fprintf(l->fp, " ...");
}

void
sum_print(FILE *fp, struct p9_tdec *d)
{
	unsigned nconn = p9_tdec_nconn(d);
	uint64_t nerr = 0;

	fprintf(fp, "%llu messages on %u connection%s, %llu malformed, "
	    "%llu notes\n", (unsigned long long)nmsgs, nconn,
	    nconn == 1 ? "" : "s", (unsigned long long)malformed,
	    (unsigned long long)notes);
	fprintf(fp, "%-13s %9s %12s %10s %10s %10s %10s\n", "type", "count",
	    "bytes", "min ms", "median ms", "p99 ms", "max ms");
	for (int i = 0; i < 256; i++) {
		struct tstat *t = &st[i];
		const char *tn = p9_typename(i);
		char unk[16];

		if (t->count == 0)
			continue;
		if (tn == NULL) {
			snprintf(unk, sizeof unk, "type %d", i);
			tn = unk;
		}
		fprintf(fp, "%-13s %9llu %12llu", tn,
		    (unsigned long long)t->count, (unsigned long long)t->bytes);
		if (t->nlat) {
			size_t n = t->nlat, p99 = (n * 99 + 99) / 100 - 1;

			qsort(t->lat, n, sizeof *t->lat, cmp64);
			fprintf(fp, " %10.3f %10.3f %10.3f %10.3f",
			    (double)t->lat[0] / 1e6,
			    (double)t->lat[n / 2] / 1e6,
			    (double)t->lat[p99 < n ? p99 : n - 1] / 1e6,
			    (double)t->lat[n - 1] / 1e6);
		}
		fputc('\n', fp);
	}
	for (int i = 0; i < 256; i++)
		for (size_t j = 0; j < st[i].nerrs; j++)
			nerr += st[i].errs[j].n;
	fprintf(fp, "errors: %llu", (unsigned long long)nerr);
	for (int i = 0; i < 256; i++) {
		if (st[i].nerrs == 0)
			continue;
		fprintf(fp, "%s%s", nerr ? "\n  " : "", p9_typename(i));
		for (size_t j = 0; j < st[i].nerrs; j++)
			fprintf(fp, " %s %llu", st[i].errs[j].key,
			    (unsigned long long)st[i].errs[j].n);
	}
	fputc('\n', fp);
	for (unsigned c = 1; c <= nconn; c++) {
		struct fidlist l = { fp, 0 };
		unsigned n = p9_tdec_fids(d, c, NULL, NULL);

		fprintf(fp, "#%u %s: %u fid%s open at the end%s", c,
		    p9_tdec_name(d, c), n, n == 1 ? "" : "s", n ? ":" : "");
		p9_tdec_fids(d, c, showfid, &l);
		fputc('\n', fp);
	}
	for (int i = 0; i < 256; i++) {
		free(st[i].lat);
		for (size_t j = 0; j < st[i].nerrs; j++)
			free(st[i].errs[j].key);
		free(st[i].errs);
	}
}

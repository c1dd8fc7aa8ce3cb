/*
 * progress.c - the progress line of get and put: bytes moved, rate and
 * time left, redrawn in place on stderr when stderr is a terminal and
 * nowhere else (so scripts and pipes see nothing).  Transfers over in
 * less than half a second draw nothing at all; a longer one leaves its
 * last line, as scp(1) does, with the time it took.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "9pctl.h"

#define FIRST	0.5	/* seconds before the first drawing */
#define EVERY	0.2	/* seconds between drawings */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
human(double v, char *out, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	if (u == 0)
		snprintf(out, cap, "%.0f %s", v, unit[u]);
	else
		snprintf(out, cap, "%.1f %s", v, unit[u]);
}

static void
clock_str(double s, char *out, size_t cap)
{
	unsigned long t = (unsigned long)(s + 0.5);

	if (t >= 3600)
		snprintf(out, cap, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60,
		    t % 60);
	else
		snprintf(out, cap, "%lu:%02lu", t / 60, t % 60);
}

static void
draw(struct progress *p, double t, int final)
{
	double el = t - p->start, rate = el > 0 ? (double)p->done / el : 0;
	char done[32], total[32], speed[32], when[32];

	human((double)p->done, done, sizeof done);
	human(rate, speed, sizeof speed);
	if (final)
		clock_str(el, when, sizeof when);
	else if (p->total && rate > 0 && p->done <= p->total)
		clock_str((double)(p->total - p->done) / rate, when,
		    sizeof when);
	else
		snprintf(when, sizeof when, "-:--");
	fprintf(stderr, "\r%.40s  ", p->name);
	if (p->total) {
		human((double)p->total, total, sizeof total);
		fprintf(stderr, "%3d%%  %s / %s", (int)(p->done >= p->total ?
		    100 : (double)p->done * 100 / (double)p->total), done,
		    total);
	} else
		fprintf(stderr, "%s", done);
	fprintf(stderr, "  %s/s  %s %s\033[K%s", speed, final ? "in" : "ETA",
	    when, final ? "\n" : "");
	fflush(stderr);
	p->last = t;
	p->shown = 1;
}

void
progress_start(struct progress *p, const char *name, uint64_t total)
{
	memset(p, 0, sizeof *p);
	p->name = basename_of(name);
	p->total = total;
	p->on = isatty(STDERR_FILENO);
	p->start = p->last = now();
}

void
progress_add(struct progress *p, uint64_t n)
{
	double t;

	p->done += n;
	if (!p->on)
		return;
	t = now();
	if (t - p->start >= FIRST && t - p->last >= EVERY)
		draw(p, t, 0);
}

/* The last line stays; a failed transfer's ends where it stopped. */
void
progress_end(struct progress *p, int ok)
{
	if (!p->on || !p->shown)
		return;
	if (ok)
		draw(p, now(), 1);
	else {
		fputc('\n', stderr);
		fflush(stderr);
	}
}

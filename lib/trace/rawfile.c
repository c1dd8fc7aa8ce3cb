/*
 * rawfile.c - the library's own trace file, written while a session runs:
 * every message it sends or receives, whole, as text:
 *
 *   # 9ptools trace 1
 *   <seconds>.<nanoseconds> <hex of the whole message>
 *
 * (CLOCK_REALTIME; T and R are told apart by the type byte, replies are
 * paired with requests by tag.)  One mutex orders the lines of all
 * threads; a line is written with one stdio call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/session.h"

struct rawtrace {
	pthread_mutex_t	 lk;
	FILE		*fp;
};

static void
emit(void *arg, const struct iovec *iov, int n)
{
	struct rawtrace *t = arg;
	static const char hex[] = "0123456789abcdef";
	struct timespec ts;
	size_t len = 0, k = 0;
	char *line;

	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	if ((line = malloc(2 * len + 40)) == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	k = (size_t)snprintf(line, 40, "%lld.%09ld ", (long long)ts.tv_sec,
	    ts.tv_nsec);
	for (int i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;

		for (size_t j = 0; j < iov[i].iov_len; j++) {
			line[k++] = hex[p[j] >> 4];
			line[k++] = hex[p[j] & 15];
		}
	}
	line[k++] = '\n';
	pthread_mutex_lock(&t->lk);
	fwrite(line, 1, k, t->fp);
	fflush(t->fp);
	pthread_mutex_unlock(&t->lk);
	free(line);
}

int
p9_trace_file(struct p9_session *s, const char *path)
{
	struct rawtrace *t = calloc(1, sizeof *t);

	if (t == NULL)
		return -ENOMEM;
	if ((t->fp = fopen(path, "w")) == NULL) {
		int e = errno;

		free(t);
		return p9__fail(-e, "%s: %s", path, strerror(e));
	}
	pthread_mutex_init(&t->lk, NULL);
	fprintf(t->fp, "# 9ptools trace 1\n");
	p9__set_trace(s, emit, t);
	return 0;
}

/* Called by p9_session_close. */
void
p9__trace_close(void *arg)
{
	struct rawtrace *t = arg;

	fclose(t->fp);
	pthread_mutex_destroy(&t->lk);
	free(t);
}

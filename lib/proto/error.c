/*
 * error.c - the per-thread error text behind p9_errstr(): the server's
 * message or the reason a message was refused.  The library never prints.
 */
#include <stdio.h>

#include "p9int.h"

static __thread char errbuf[256];

const char *
p9_errstr(void)
{
	return errbuf;
}

int
p9__fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	return err;
}

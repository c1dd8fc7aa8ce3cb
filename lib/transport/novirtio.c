/*
 * novirtio.c - builds without the VFIO transport (--disable-vfio, or not
 * Linux): virtio-9p addresses get a clear refusal.
 */
#include <errno.h>

#include "client/session.h"

int
p9__virtio_dial(const char *addr, const struct p9_opts *o,
    struct p9_transport **tp)
{
	(void)addr;
	(void)o;
	(void)tp;
	return p9__fail(-ENOTSUP, "a virtio-9p device, and this build has "
	    "no virtio transport (configure without --disable-vfio, on "
	    "Linux); sockets are tcp:HOST[:PORT] or unix:PATH");
}

int
p9_virtio_list(struct p9_vdev **v, int *n)
{
	*v = NULL;
	*n = 0;
	return p9__fail(-ENOTSUP, "this build has no virtio transport");
}

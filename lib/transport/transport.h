/*
 * transport.h - dial-string parsing, shared by the socket transports and
 * the programs' error messages.
 */
#ifndef P9_TRANSPORT_H
#define P9_TRANSPORT_H

enum p9__akind { P9__A_TCP, P9__A_UNIX, P9__A_FD, P9__A_TAG, P9__A_PCI };

struct p9__addr {
	enum p9__akind	kind;
	char		host[256];	/* TCP: name or address, no brackets */
	char		port[16];	/* TCP: "564" by default */
	char		path[108];	/* UNIX: socket path; TAG: the tag;
					   PCI: DDDD:BB:DD.F */
	int		rfd, wfd;	/* FD */
};

/* Parse a dial string; -EINVAL with p9_errstr() saying why. */
int	p9__parse_addr(const char *s, struct p9__addr *a);

#endif

/*
 * tdec.h - the stream decoder's insides, shared by tdec.c (framing and
 * conversation state), tcp.c (packets and reassembly) and fmt.c.
 */
#ifndef TDEC_H
#define TDEC_H

#include "p9int.h"

/* uint32 -> pointer, open addressing (fids and tags of a connection) */
struct imap {
	uint32_t	*keys;
	void		**vals;		/* NULL = empty slot */
	uint32_t	 cap, n;
};
void	*imap_get(const struct imap *m, uint32_t k);
int	 imap_put(struct imap *m, uint32_t k, void *v);	/* replaces */
void	*imap_del(struct imap *m, uint32_t k);		/* returns old */
void	 imap_clear(struct imap *m, void (*fn)(void *));

/* one direction's framing state */
struct tdir {
	uint8_t		*buf;		/* bytes not yet made into messages */
	size_t		 off, len, cap;	/* live bytes are buf[off..len) */
	int		 sync;		/* at a message boundary */
	const char	*why;		/* why not in sync */
	uint64_t	 skipped;	/* bytes skipped while resynchronising */
};

struct conv {
	char		*name;
	int		 dialect;	/* -1 until known or guessed */
	uint32_t	 msize;		/* 0 until Rversion */
	struct imap	 fids;		/* fid -> struct fident */
	struct imap	 tags;		/* tag -> struct pend */
	struct tdir	 d[2];
	int		 closed;
};

struct flow;

struct p9_tdec {
	struct p9_tdec_cb cb;
	void		*arg;
	struct conv	**conv;		/* [1..nconv] */
	unsigned	 nconv, capconv;
	struct p9_tdec_stats st;
	uint16_t	 ports[64];
	int		 nports;
	struct flow	**flows;	/* hash buckets (tcp.c) */
	unsigned	 nbuckets, nflows;
	int		 badlink;	/* unsupported link type noted */
};

void	p9__tdec_note(struct p9_tdec *d, unsigned conn,
	    const struct timespec *ts, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* Start conn's direction out of sync (a capture joined mid-stream). */
void	p9__tdec_desync(struct p9_tdec *d, unsigned conn, int dir,
	    const char *why);
void	p9__tdec_flows_free(struct p9_tdec *d);

#endif

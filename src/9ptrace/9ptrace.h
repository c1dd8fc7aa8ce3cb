/*
 * 9ptrace.h - shared by 9ptrace's files: the output (format, filters,
 * summary) and the three inputs (capture files and interfaces through
 * libpcap, the proxy).
 */
#ifndef NINEPTRACE_H
#define NINEPTRACE_H

#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "p9.h"

struct filter {
	int		 any_type;	/* no type= given */
	unsigned char	 types[256];
	uint32_t	*fids;
	int		 nfids;
	uint32_t	*tags;
	int		 ntags;
	char		**paths;
	int		 npaths;
	int		 errors;
};

struct opts {
	enum p9_tdec_fmt how;
	size_t		 datamax;	/* -x: everything */
	int		 summary;	/* -s */
	struct filter	 flt;
};

extern struct opts opt;
extern volatile sig_atomic_t stopping;
extern struct timespec stopped_at;	/* when stopping was set (realtime) */

/* main.c: the decoder's callbacks (print, filter, count) */
struct p9_tdec *decoder(void);
void	out_flush(void);

/* capture.c */
int	read_capture(struct p9_tdec *d, const char *file, const char *expr);
int	live_capture(struct p9_tdec *d, const char *iface, const char *expr);
void	capture_stop(void);	/* from a signal handler */

/* proxy.c */
int	proxy(struct p9_tdec *d, const char *listen, const char *target,
	    const char *wfile);

/* summary.c */
void	sum_msg(const struct p9_tmsg *m);
void	sum_note(void);
void	sum_print(FILE *fp, struct p9_tdec *d);

#endif

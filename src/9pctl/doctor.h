/*
 * doctor.h - between the doctor's framework (doctor.c: connections,
 * timeouts, the scratch directory, the report) and its probes (probes.c).
 */
#ifndef NINEPCTL_DOCTOR_H
#define NINEPCTL_DOCTOR_H

#include "9pctl.h"

/* what a probe found, and how it reads in the report */
enum verdict { V_OK, V_NOTE, V_FAIL, V_NA, V_SKIP };

struct res {
	enum verdict	 v;
	char		 detail[512];
};

struct doc {
	struct p9_session	*s;		/* the probes' (= sess) */
	enum p9_dialect		 d;
	struct p9_fid		*sd;		/* the scratch directory */
	char			 scratch[128];	/* its name, in the root */
	int			 timeout_ms;	/* for one probe */
};

struct probe {
	const char	*name;
	void		(*fn)(struct doc *, struct res *);
	int		 scratch;	/* needs the scratch directory */
	int		 weight;	/* timeouts it may take */
};
extern const struct probe probes[];

void	say(struct res *r, enum verdict v, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* "ENOENT" for a negative errno, as the wire names it */
const char *ename(int err);
/* one message, its reply dropped: 0 or the negative errno */
int	rpc0(struct doc *d, struct p9_fcall *t);

#endif

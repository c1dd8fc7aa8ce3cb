/*
 * p9int.h - libp9 internals shared between lib/ folders (p9__ prefix).
 * The little-endian cursor with a sticky error, the message table types,
 * the per-thread error text.
 */
#ifndef P9INT_H
#define P9INT_H

#include <stdarg.h>
#include <string.h>
#include "p9.h"

/* ---- little-endian cursor; errors are sticky, checked once at the end --- */

struct p9__cur {
	uint8_t		*p, *end;	/* writing */
	const uint8_t	*rp, *rend;	/* reading */
	const char	*err;		/* first error, NULL if none */
};

static inline int
p9__need(struct p9__cur *c, size_t n, const char *why)
{
	if (c->err)
		return 0;
	if ((size_t)(c->rend - c->rp) < n) {
		c->err = why;
		return 0;
	}
	return 1;
}

static inline uint64_t
p9__getn(struct p9__cur *c, int n)
{
	uint64_t v = 0;

	if (!p9__need(c, n, "message ends inside a field"))
		return 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | c->rp[i];
	c->rp += n;
	return v;
}

static inline void
p9__putn(struct p9__cur *c, int n, uint64_t v)
{
	if (c->err)
		return;
	if ((size_t)(c->end - c->p) < (size_t)n) {
		c->err = "buffer too small";
		return;
	}
	for (int i = 0; i < n; i++, v >>= 8)
		*c->p++ = (uint8_t)v;
}

static inline void
p9__putbytes(struct p9__cur *c, const void *b, size_t n)
{
	if (c->err)
		return;
	if ((size_t)(c->end - c->p) < n) {
		c->err = "buffer too small";
		return;
	}
	if (n)
		memcpy(c->p, b, n);
	c->p += n;
}

static inline void
p9__putstr(struct p9__cur *c, struct p9_str s)
{
	p9__putn(c, 2, s.len);
	p9__putbytes(c, s.s, s.len);
}

static inline struct p9_str
p9__getstr(struct p9__cur *c)
{
	struct p9_str s = { "", 0 };
	uint16_t n = (uint16_t)p9__getn(c, 2);

	if (!p9__need(c, n, "string runs past the end of the message"))
		return s;
	s.s = (const char *)c->rp;
	s.len = n;
	c->rp += n;
	return s;
}

static inline void
p9__putqid(struct p9__cur *c, const struct p9_qid *q)
{
	p9__putn(c, 1, q->type);
	p9__putn(c, 4, q->version);
	p9__putn(c, 8, q->path);
}

static inline void
p9__getqid(struct p9__cur *c, struct p9_qid *q)
{
	q->type = (uint8_t)p9__getn(c, 1);
	q->version = (uint32_t)p9__getn(c, 4);
	q->path = p9__getn(c, 8);
}

static inline struct p9_str
p9__str(const char *s)
{
	struct p9_str r = { s ? s : "", (uint16_t)(s ? strlen(s) : 0) };
	return r;
}

/* ---- message table ------------------------------------------------------ */

#define P9__D2000	(1u << P9_2000)
#define P9__DU		(1u << P9_2000U)
#define P9__DL		(1u << P9_2000L)
#define P9__DALL	(P9__D2000 | P9__DU | P9__DL)

enum p9__kind {
	P9__K_END, P9__K_U8, P9__K_U16, P9__K_U32, P9__K_U64, P9__K_STR,
	P9__K_QID, P9__K_WNAMES, P9__K_WQIDS, P9__K_DATA, P9__K_STAT,
};

struct p9__field {
	const char	*name;
	uint8_t		 kind;
	uint8_t		 store;		/* sizeof the member for integers */
	uint16_t	 off;		/* offsetof(struct p9_fcall, member) */
	uint8_t		 fmt;		/* printing hint: P9__F_* */
};

#define P9__F_DEC	0
#define P9__F_HEX	1
#define P9__F_OCT	2
#define P9__F_FID	3	/* a fid: decimal, with its path if known */

struct p9__fref {
	uint8_t		field;		/* index into p9__fields, 0 = end */
	uint8_t		dialects;	/* present only in these dialects */
};

struct p9__msgdef {
	const char		*name;
	uint8_t			 dialects;
	const struct p9__fref	*fields;
};

extern const struct p9__field p9__fields[];
extern const int p9__nfields;

/* An integer field's value as the wire carries it (cut to its width). */
static inline uint64_t
p9__getint(const struct p9_fcall *f, const struct p9__field *fd)
{
	const void *p = (const char *)f + fd->off;
	uint64_t v;

	switch (fd->store) {
	case 1: v = *(const uint8_t *)p; break;
	case 2: v = *(const uint16_t *)p; break;
	case 4: v = *(const uint32_t *)p; break;
	default: v = *(const uint64_t *)p; break;
	}
	switch (fd->kind) {
	case P9__K_U8: return v & 0xff;
	case P9__K_U16: return v & 0xffff;
	case P9__K_U32: return v & 0xffffffffu;
	default: return v;
	}
}
const struct p9__msgdef *p9__msg(int type);

/* snprintf-like output (lib/proto/print.c) */
struct p9__out {
	char	*p;
	size_t	 cap, len;
};
void	p9__out_fmt(struct p9__out *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	p9__out_raw(struct p9__out *o, const char *s, size_t n);
void	p9__out_str(struct p9__out *o, const char *s);
void	p9__out_u64(struct p9__out *o, uint64_t v);

/*
 * The printers with a trace decoder's extras (lib/trace/fmt.c): the paths
 * of the fid fields in order, errno texts after names, one field per line,
 * directory entries decoded from the data.
 */
struct p9__fmtx {
	const char	*path[2];
	int		 errtext;
	int		 verbose;
	int		 dirents;	/* 1: Rreaddir entries, 2: stat entries */
};
int	p9__fmt(char *out, size_t cap, const struct p9_fcall *f,
	    enum p9_dialect d, size_t datamax, const struct p9__fmtx *x);
int	p9__fmt_json(char *out, size_t cap, const struct p9_fcall *f,
	    enum p9_dialect d, size_t datamax, const struct p9__fmtx *x);

/* ---- per-thread error text ---------------------------------------------- */

int	p9__fail(int err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* stat encode/decode via a cursor (shared by codec and stat.c) */
void	p9__getstat(struct p9__cur *c, enum p9_dialect d, struct p9_stat *st);
void	p9__putstat(struct p9__cur *c, enum p9_dialect d,
	    const struct p9_stat *st);

#endif /* P9INT_H */

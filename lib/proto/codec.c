/*
 * codec.c - encode and decode any message by walking the message table,
 * and check a reply against its request.  Decoding is strict and zero-copy:
 * every length is checked against what remains before it is used, strings
 * and data are views into the caller's buffer.
 */
#include <errno.h>
#include <stdio.h>

#include "p9int.h"

static const uint8_t width[] = {
	[P9__K_U8] = 1, [P9__K_U16] = 2, [P9__K_U32] = 4, [P9__K_U64] = 8,
};

static void
setint(struct p9_fcall *f, const struct p9__field *fd, uint64_t v)
{
	void *p = (char *)f + fd->off;

	switch (fd->store) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: *(uint16_t *)p = (uint16_t)v; break;
	case 4: *(uint32_t *)p = (uint32_t)v; break;
	default: *(uint64_t *)p = v; break;
	}
}

#define MEMBER(f, fd, T)	((T *)((char *)(f) + (fd)->off))

static void
put_fields(struct p9__cur *c, const struct p9__msgdef *m,
    const struct p9_fcall *f, enum p9_dialect d, int payload)
{
	for (const struct p9__fref *r = m->fields; r->field; r++) {
		const struct p9__field *fd = &p9__fields[r->field];

		if (!(r->dialects & (1u << d)))
			continue;
		switch (fd->kind) {
		case P9__K_U8: case P9__K_U16: case P9__K_U32: case P9__K_U64:
			p9__putn(c, width[fd->kind], p9__getint(f, fd));
			break;
		case P9__K_STR:
			p9__putstr(c, *MEMBER(f, fd, const struct p9_str));
			break;
		case P9__K_QID:
			p9__putqid(c, MEMBER(f, fd, const struct p9_qid));
			break;
		case P9__K_WNAMES:
			if (f->nwname > P9_MAXWELEM)
				c->err = "nwname above 16";
			p9__putn(c, 2, f->nwname);
			for (int i = 0; i < f->nwname && !c->err; i++)
				p9__putstr(c, f->wname[i]);
			break;
		case P9__K_WQIDS:
			if (f->nwqid > P9_MAXWELEM)
				c->err = "nwqid above 16";
			p9__putn(c, 2, f->nwqid);
			for (int i = 0; i < f->nwqid && !c->err; i++)
				p9__putqid(c, &f->wqid[i]);
			break;
		case P9__K_DATA:
			p9__putn(c, 4, f->count);
			if (payload)
				p9__putbytes(c, f->data, f->count);
			break;
		case P9__K_STAT: {
			size_t n = p9_stat_size(&f->stat, d);

			if (n > 0xffff)
				c->err = "stat too large";
			p9__putn(c, 2, n);
			p9__putstat(c, d, &f->stat);
			break;
		}
		}
	}
}

static ssize_t
encode(uint8_t *buf, size_t cap, const struct p9_fcall *f,
    enum p9_dialect d, int payload)
{
	const struct p9__msgdef *m = p9__msg(f->type);
	struct p9__cur c = { .p = buf, .end = buf + cap };
	uint64_t size;
	ssize_t used;

	if (m == NULL || !(m->dialects & (1u << d)))
		return p9__fail(-EINVAL, "cannot encode message type %d in %s",
		    f->type, p9_dialect_name(d));
	p9__putn(&c, 4, 0);
	p9__putn(&c, 1, f->type);
	p9__putn(&c, 2, f->tag);
	put_fields(&c, m, f, d, payload);
	if (c.err)
		return p9__fail(-EMSGSIZE, "encoding %s: %s", m->name, c.err);
	used = c.p - buf;
	size = (uint64_t)used;
	if (!payload && (f->type == P9_Twrite || f->type == P9_Rread ||
	    f->type == P9_Rreaddir))
		size += f->count;
	if (size > UINT32_MAX)
		return p9__fail(-EMSGSIZE, "encoding %s: too large", m->name);
	c.p = buf;
	p9__putn(&c, 4, size);
	return used;
}

ssize_t
p9_encode(uint8_t *buf, size_t cap, const struct p9_fcall *f,
    enum p9_dialect d)
{
	return encode(buf, cap, f, d, 1);
}

ssize_t
p9_encode_head(uint8_t *buf, size_t cap, const struct p9_fcall *f,
    enum p9_dialect d)
{
	return encode(buf, cap, f, d, 0);
}

size_t
p9_size(const struct p9_fcall *f, enum p9_dialect d)
{
	const struct p9__msgdef *m = p9__msg(f->type);
	size_t n = 7;

	if (m == NULL || !(m->dialects & (1u << d)))
		return 0;
	for (const struct p9__fref *r = m->fields; r->field; r++) {
		const struct p9__field *fd = &p9__fields[r->field];

		if (!(r->dialects & (1u << d)))
			continue;
		switch (fd->kind) {
		case P9__K_U8: case P9__K_U16: case P9__K_U32: case P9__K_U64:
			n += width[fd->kind];
			break;
		case P9__K_STR:
			n += 2 + MEMBER(f, fd, const struct p9_str)->len;
			break;
		case P9__K_QID:
			n += 13;
			break;
		case P9__K_WNAMES:
			if (f->nwname > P9_MAXWELEM)
				return 0;
			n += 2;
			for (int i = 0; i < f->nwname; i++)
				n += 2 + f->wname[i].len;
			break;
		case P9__K_WQIDS:
			if (f->nwqid > P9_MAXWELEM)
				return 0;
			n += 2 + 13 * (size_t)f->nwqid;
			break;
		case P9__K_DATA:
			n += 4 + (size_t)f->count;
			break;
		case P9__K_STAT:
			n += 2 + p9_stat_size(&f->stat, d);
			break;
		}
	}
	return n;
}

static void
get_fields(struct p9__cur *c, const struct p9__msgdef *m, struct p9_fcall *f,
    enum p9_dialect d)
{
	for (const struct p9__fref *r = m->fields; r->field && !c->err; r++) {
		const struct p9__field *fd = &p9__fields[r->field];

		if (!(r->dialects & (1u << d)))
			continue;
		switch (fd->kind) {
		case P9__K_U8: case P9__K_U16: case P9__K_U32: case P9__K_U64:
			setint(f, fd, p9__getn(c, width[fd->kind]));
			break;
		case P9__K_STR:
			*MEMBER(f, fd, struct p9_str) = p9__getstr(c);
			break;
		case P9__K_QID:
			p9__getqid(c, MEMBER(f, fd, struct p9_qid));
			break;
		case P9__K_WNAMES:
			f->nwname = (uint16_t)p9__getn(c, 2);
			if (f->nwname > P9_MAXWELEM && !c->err)
				c->err = "nwname above 16";
			for (int i = 0; i < f->nwname && !c->err; i++)
				f->wname[i] = p9__getstr(c);
			break;
		case P9__K_WQIDS:
			f->nwqid = (uint16_t)p9__getn(c, 2);
			if (f->nwqid > P9_MAXWELEM && !c->err)
				c->err = "nwqid above 16";
			for (int i = 0; i < f->nwqid && !c->err; i++)
				p9__getqid(c, &f->wqid[i]);
			break;
		case P9__K_DATA:
			f->count = (uint32_t)p9__getn(c, 4);
			if (p9__need(c, f->count,
			    "count runs past the end of the message")) {
				f->data = c->rp;
				c->rp += f->count;
			}
			break;
		case P9__K_STAT: {
			uint16_t n = (uint16_t)p9__getn(c, 2);
			struct p9__cur sub;

			if (!p9__need(c, n, "stat runs past the end of the message"))
				break;
			sub = (struct p9__cur){ .rp = c->rp, .rend = c->rp + n };
			p9__getstat(&sub, d, &f->stat);
			if (!sub.err && sub.rp != sub.rend)
				sub.err = "stat length disagrees with its contents";
			c->err = sub.err;
			c->rp += n;
			break;
		}
		}
	}
}

int
p9_decode(const uint8_t *buf, size_t len, uint32_t msize, enum p9_dialect d,
    struct p9_fcall *f, const char **why)
{
	const struct p9__msgdef *m;
	struct p9__cur c;
	uint32_t size;
	const char *err = NULL;
	int rc = -EBADMSG;

	memset(f, 0, sizeof *f);
	if (len < 7) {
		err = "message shorter than the 7-byte header";
		goto bad;
	}
	size = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
	    (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
	f->type = buf[4];
	f->tag = (uint16_t)(buf[5] | buf[6] << 8);
	if (size < 7) {
		err = "size field below 7";
		goto bad;
	}
	if (msize && size > msize) {
		err = "size field above msize";
		rc = -EMSGSIZE;
		goto bad;
	}
	if (size > len) {
		err = "size field runs past the buffer";
		goto bad;
	}
	if (size < len) {
		err = "bytes after the end of the message";
		goto bad;
	}
	if ((m = p9__msg(f->type)) == NULL) {
		err = "unknown message type";
		goto bad;
	}
	if (!(m->dialects & (1u << d))) {
		err = "message type not in the negotiated dialect";
		goto bad;
	}
	c = (struct p9__cur){ .rp = buf + 7, .rend = buf + size };
	get_fields(&c, m, f, d);
	if (!c.err && c.rp != c.rend)
		c.err = "trailing bytes after the last field";
	if (!c.err)
		return 0;
	err = c.err;
bad:
	if (why)
		*why = err;
	return p9__fail(rc, "bad message (type %d tag %d): %s", f->type,
	    f->tag, err);
}

static int
proto(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return p9__fail(-EPROTO, "bad reply: %s", reason);
}

int
p9_check_reply(const struct p9_fcall *t, const struct p9_fcall *r,
    enum p9_dialect d, const char **why)
{
	int errtype = d == P9_2000L ? P9_Rlerror : P9_Rerror;

	if (!(r->type & 1))
		return proto(why, "a T-message where a reply was expected");
	if (r->tag != t->tag)
		return proto(why, "reply tag does not match the request");
	if (r->type == errtype ||
	    (t->type == P9_Tversion && (r->type == P9_Rerror ||
	    r->type == P9_Rlerror)))
		return 0;
	if (r->type != t->type + 1)
		return proto(why, "reply type does not match the request");
	switch (r->type) {
	case P9_Rversion:
		if (r->msize > t->msize)
			return proto(why, "Rversion msize above the requested");
		break;
	case P9_Rwalk:
		if (r->nwqid > t->nwname)
			return proto(why, "nwqid above nwname");
		break;
	case P9_Rread:
	case P9_Rreaddir:
		if (r->count > t->count)
			return proto(why, "count above the requested");
		break;
	case P9_Rwrite:
		if (r->count > t->count)
			return proto(why, "count above the bytes written");
		break;
	}
	return 0;
}

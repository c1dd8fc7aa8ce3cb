/*
 * stat.c - the 9P2000 / 9P2000.u stat structure and the 9P2000.L directory
 * entry: sizes, encoding, strict decoding.
 */
#include <errno.h>

#include "p9int.h"

size_t
p9_stat_size(const struct p9_stat *st, enum p9_dialect d)
{
	size_t n = 2 + 2 + 4 + 13 + 4 + 4 + 4 + 8 + 2 + st->name.len +
	    2 + st->uid.len + 2 + st->gid.len + 2 + st->muid.len;

	if (d == P9_2000U)
		n += 2 + st->extension.len + 12;
	return n;
}

void
p9__putstat(struct p9__cur *c, enum p9_dialect d, const struct p9_stat *st)
{
	p9__putn(c, 2, p9_stat_size(st, d) - 2);
	p9__putn(c, 2, st->type);
	p9__putn(c, 4, st->dev);
	p9__putqid(c, &st->qid);
	p9__putn(c, 4, st->mode);
	p9__putn(c, 4, st->atime);
	p9__putn(c, 4, st->mtime);
	p9__putn(c, 8, st->length);
	p9__putstr(c, st->name);
	p9__putstr(c, st->uid);
	p9__putstr(c, st->gid);
	p9__putstr(c, st->muid);
	if (d == P9_2000U) {
		p9__putstr(c, st->extension);
		p9__putn(c, 4, st->n_uid);
		p9__putn(c, 4, st->n_gid);
		p9__putn(c, 4, st->n_muid);
	}
}

/* Reads one stat, its size[2] included, and checks that size. */
void
p9__getstat(struct p9__cur *c, enum p9_dialect d, struct p9_stat *st)
{
	uint16_t size = (uint16_t)p9__getn(c, 2);
	const uint8_t *end;

	memset(st, 0, sizeof *st);
	if (!p9__need(c, size, "stat size runs past its buffer"))
		return;
	end = c->rp + size;
	st->type = (uint16_t)p9__getn(c, 2);
	st->dev = (uint32_t)p9__getn(c, 4);
	p9__getqid(c, &st->qid);
	st->mode = (uint32_t)p9__getn(c, 4);
	st->atime = (uint32_t)p9__getn(c, 4);
	st->mtime = (uint32_t)p9__getn(c, 4);
	st->length = p9__getn(c, 8);
	st->name = p9__getstr(c);
	st->uid = p9__getstr(c);
	st->gid = p9__getstr(c);
	st->muid = p9__getstr(c);
	if (d == P9_2000U) {
		st->extension = p9__getstr(c);
		st->n_uid = (uint32_t)p9__getn(c, 4);
		st->n_gid = (uint32_t)p9__getn(c, 4);
		st->n_muid = (uint32_t)p9__getn(c, 4);
	}
	if (!c->err && c->rp > end)
		c->err = "stat fields run past its size";
	if (!c->err && c->rp < end)
		c->err = "stat size leaves trailing bytes";
}

ssize_t
p9_stat_decode(const uint8_t *buf, size_t len, enum p9_dialect d,
    struct p9_stat *st)
{
	struct p9__cur c = { .rp = buf, .rend = buf + len };

	p9__getstat(&c, d, st);
	if (c.err)
		return p9__fail(-EBADMSG, "bad stat: %s", c.err);
	return c.rp - buf;
}

ssize_t
p9_stat_encode(uint8_t *buf, size_t cap, const struct p9_stat *st,
    enum p9_dialect d)
{
	struct p9__cur c = { .p = buf, .end = buf + cap };

	p9__putstat(&c, d, st);
	if (c.err)
		return p9__fail(-EMSGSIZE, "stat: %s", c.err);
	return c.p - buf;
}

void
p9_stat_null(struct p9_stat *st)
{
	memset(st, 0xff, sizeof *st);
	st->name = st->uid = st->gid = st->muid = st->extension = p9__str("");
}

ssize_t
p9_dirent_decode(const uint8_t *buf, size_t len, struct p9_dirent *de)
{
	struct p9__cur c = { .rp = buf, .rend = buf + len };

	if (len == 0)
		return 0;
	p9__getqid(&c, &de->qid);
	de->offset = p9__getn(&c, 8);
	de->type = (uint8_t)p9__getn(&c, 1);
	de->name = p9__getstr(&c);
	if (c.err)
		return p9__fail(-EBADMSG, "bad directory entry: %s", c.err);
	return c.rp - buf;
}

ssize_t
p9_dirent_encode(uint8_t *buf, size_t cap, const struct p9_dirent *de)
{
	struct p9__cur c = { .p = buf, .end = buf + cap };

	p9__putqid(&c, &de->qid);
	p9__putn(&c, 8, de->offset);
	p9__putn(&c, 1, de->type);
	p9__putstr(&c, de->name);
	if (c.err)
		return -EMSGSIZE;
	return c.p - buf;
}

/*
 * stream.c - whole-file transfers with several Tread / Twrite requests in
 * flight (one round trip no longer bounds the rate).  Data is handed over
 * in file order whatever order the replies arrive in.
 */
#include <errno.h>
#include <stdlib.h>

#include "session.h"

#define MAXDEPTH	64

struct slot {
	struct p9_req	*rq;
	uint64_t	 off;
	uint32_t	 count;
	uint8_t		*buf;	/* writes: the data sent */
};

static uint32_t
chunk(struct p9_fid *f)
{
	uint32_t n = p9_session_iosize(f->s);

	return f->iounit && f->iounit < n ? f->iounit : n;
}

/* Flush and collect every request still out, from ring index i on. */
static void
drain(struct slot *ring, int depth, int i, int n)
{
	struct p9_reply r;

	for (int k = 0; k < n; k++) {
		struct slot *sl = &ring[(i + k) % depth];

		p9_cancel(sl->rq);
		if (p9_wait(sl->rq, &r) == 0)
			p9_reply_free(&r);
	}
}

int
p9_readall(struct p9_fid *f, uint64_t off, int depth, p9_datafn fn,
    void *arg)
{
	struct slot ring[MAXDEPTH];
	struct p9_fcall t = { .type = P9_Tread, .fid = f->num };
	struct p9_reply r;
	struct slot *sl;
	int head = 0, n = 0, eof = 0, err = 0;
	uint64_t next = off;

	if (depth < 1)
		depth = 1;
	if (depth > MAXDEPTH)
		depth = MAXDEPTH;
	t.count = chunk(f);
	for (;;) {
		while (!eof && n < depth) {
			sl = &ring[(head + n) % depth];
			t.offset = sl->off = next;
			sl->count = t.count;
			if ((err = p9_send(f->s, &t, &sl->rq)) != 0)
				goto out;
			next += t.count;
			n++;
		}
		if (n == 0)
			return 0;
		sl = &ring[head];
		err = p9_wait(sl->rq, &r);
		head = (head + 1) % depth;
		n--;
		if (err)
			goto out;
		if (!eof && r.f.count > 0)
			err = fn(arg, r.f.data, r.f.count, sl->off);
		if (r.f.count < t.count)
			eof = 1;	/* later replies are past the end */
		p9_reply_free(&r);
		if (err)
			goto out;
	}
out:
	drain(ring, depth, head, n);
	return err;
}

int
p9_writeall(struct p9_fid *f, uint64_t off, int depth, p9_srcfn src,
    void *arg)
{
	struct slot ring[MAXDEPTH];
	struct p9_fcall t = { .type = P9_Twrite, .fid = f->num };
	struct p9_reply r;
	uint32_t size = chunk(f);
	int head = 0, n = 0, end = 0, err = 0;
	uint64_t next = off;

	if (depth < 1)
		depth = 1;
	if (depth > MAXDEPTH)
		depth = MAXDEPTH;
	for (int i = 0; i < depth; i++)
		ring[i].buf = NULL;
	for (;;) {
		while (!end && n < depth) {
			struct slot *sl = &ring[(head + n) % depth];
			ssize_t got;

			if (sl->buf == NULL && (sl->buf = malloc(size)) == NULL) {
				err = -ENOMEM;
				goto out;
			}
			if ((got = src(arg, sl->buf, size)) < 0) {
				err = (int)got;
				goto out;
			}
			if (got == 0) {
				end = 1;
				break;
			}
			t.offset = sl->off = next;
			t.count = sl->count = (uint32_t)got;
			t.data = sl->buf;
			if ((err = p9_send(f->s, &t, &sl->rq)) != 0)
				goto out;
			next += (uint64_t)got;
			n++;
		}
		if (n == 0)
			break;
		err = p9_wait(ring[head].rq, &r);
		if (err == 0 && r.f.count != ring[head].count)
			err = p9__fail(-EIO, "short write at offset %llu",
			    (unsigned long long)ring[head].off);
		if (err == 0)
			p9_reply_free(&r);
		head = (head + 1) % depth;
		n--;
		if (err)
			goto out;
	}
out:
	drain(ring, depth, head, n);
	for (int i = 0; i < depth; i++)
		free(ring[i].buf);
	return err;
}

/*
 * Send one request per chunk of buf (all at once), then collect them in
 * order.  For reads, data lands in buf, or with v stays in the replies
 * and v points at it; the count stops at the first short chunk.
 */
static ssize_t
par(struct p9_fid *f, uint8_t *buf, size_t n, uint64_t off,
    struct p9_intr *in, int write, struct p9_rdvec *v)
{
	struct p9_req *rq[P9_INTR_MAX];
	uint32_t size = chunk(f), want[P9_INTR_MAX];
	struct p9_fcall t = { .fid = f->num };
	struct p9_reply r;
	size_t done = 0;
	int k = 0, err = 0, shorted = 0;

	t.type = write ? P9_Twrite : P9_Tread;
	if (v)
		v->n = 0;
	if (p9__intr_fired(in))
		return p9__fail(-EINTR, "interrupted");
	for (size_t at = 0; at < n && k < P9_INTR_MAX; at += size, k++) {
		t.offset = off + at;
		t.count = want[k] = (uint32_t)(n - at < size ? n - at : size);
		t.data = buf ? buf + at : NULL;
		if ((err = p9_send(f->s, &t, &rq[k])) != 0)
			break;
		p9__intr_add(in, k, rq[k]);
	}
	for (int i = 0; i < k; i++) {
		int e = p9__intr_wait(in, i, rq[i], &r);

		if (e) {
			err = err ? err : e;
			shorted = 1;
			continue;
		}
		if (!shorted) {
			done += r.f.count;
			shorted = r.f.count < want[i];
			if (v && r.f.count > 0) {
				v->iov[v->n].iov_base = (void *)r.f.data;
				v->iov[v->n].iov_len = r.f.count;
				v->buf[v->n++] = r.buf;
				continue;	/* kept: p9_rdvec_free */
			}
			if (!write && !v)
				memcpy(buf + (size_t)i * size, r.f.data, r.f.count);
		}
		p9_reply_free(&r);
	}
	if (done == 0 && err)
		return err;
	if (done == 0 && write && n)
		return p9__fail(-EIO, "server wrote nothing");
	return (ssize_t)done;
}

ssize_t
p9_pread_par(struct p9_fid *f, void *buf, size_t n, uint64_t off,
    struct p9_intr *in)
{
	return par(f, buf, n, off, in, 0, NULL);
}

ssize_t
p9_pwrite_par(struct p9_fid *f, const void *buf, size_t n, uint64_t off,
    struct p9_intr *in)
{
	return par(f, (uint8_t *)buf, n, off, in, 1, NULL);
}

ssize_t
p9_pread_vec(struct p9_fid *f, size_t n, uint64_t off, struct p9_intr *in,
    struct p9_rdvec *v)
{
	return par(f, NULL, n, off, in, 0, v);
}

void
p9_rdvec_free(struct p9_rdvec *v)
{
	for (int i = 0; i < v->n; i++)
		p9__rxfree(v->buf[i]);
	v->n = 0;
}

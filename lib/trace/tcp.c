/*
 * tcp.c - captured packets to 9P byte streams: link layer, IPv4/IPv6,
 * TCP, and reassembly per connection and direction.
 *
 * A TCP connection is 9P when one end is on a 9P port (564 unless told
 * otherwise) or when its first bytes are a Tversion (then the side that
 * sent it is the client).  Each direction keeps the next sequence number
 * it expects: a segment wholly before it is a retransmission (dropped),
 * one overlapping it is trimmed, one after it waits in a sorted list until
 * the hole is filled.  If the hole never fills (the capture lost bytes) or
 * too much waits behind it, the decoder is told of a gap and
 * resynchronises.  A capture that starts mid-connection begins out of
 * sync; one with the SYN begins in step.  Sequence numbers wrap: they are
 * compared by signed 32-bit difference.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/tdec.h"

#define OOOMAX		(8u << 20)	/* bytes waiting behind a hole */

struct seg {
	struct seg	*next;
	uint32_t	 seq, len;	/* len bytes were sent ... */
	uint32_t	 have;		/* ... the first have were captured */
	struct timespec	 ts;
	uint8_t		 data[];
};

struct half {
	int		 have;		/* next is known */
	uint32_t	 next;
	struct seg	*ooo;		/* waiting, by sequence number */
	size_t		 ooobytes;
	int		 fin;		/* FIN or RST seen ... */
	uint32_t	 finseq;	/* ... ending the data here */
};

struct flow {
	struct flow	*hnext;
	int		 v6;
	uint8_t		 addr[2][16];	/* [0] the client once known */
	uint16_t	 port[2];
	int		 state;		/* 0 undecided, 1 9P, 2 not 9P, 3 over */
	unsigned	 conn;
	int		 syn;		/* the client's SYN was seen */
	struct half	 h[2];		/* [0] client to server */
};

struct pkt {
	int		 v6;
	const uint8_t	*src, *dst;
	uint16_t	 sport, dport;
	uint32_t	 seq;
	uint8_t		 flags;
	const uint8_t	*data;
	uint32_t	 len, have;
};

int
p9_tdec_ports(struct p9_tdec *d, const uint16_t *ports, int n)
{
	if (n < 0 || n > (int)(sizeof d->ports / sizeof d->ports[0]))
		return -EINVAL;
	memcpy(d->ports, ports, (size_t)n * sizeof *ports);
	d->nports = n;
	return 0;
}

static int
is9pport(const struct p9_tdec *d, uint16_t port)
{
	for (int i = 0; i < d->nports; i++)
		if (d->ports[i] == port)
			return 1;
	return 0;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

/* ---- flows ---------------------------------------------------------------- */

static unsigned
fhash(const struct pkt *k)
{
	size_t al = k->v6 ? 16 : 4;
	uint32_t h = 2166136261u;

	/* symmetric: both directions land in the same bucket */
	for (size_t i = 0; i < al; i++)
		h = (h ^ (uint32_t)(k->src[i] ^ k->dst[i])) * 16777619u;
	return (h ^ (uint32_t)(k->sport ^ k->dport)) * 2654435761u;
}

/* The flow k belongs to, and k's direction in it (0 client to server). */
static struct flow *
flow_find(struct p9_tdec *d, const struct pkt *k, int *dir)
{
	size_t al = k->v6 ? 16 : 4;

	if (d->nbuckets == 0)
		return NULL;
	for (struct flow *f = d->flows[fhash(k) & (d->nbuckets - 1)]; f;
	    f = f->hnext) {
		if (f->v6 != k->v6)
			continue;
		for (int s = 0; s < 2; s++)
			if (f->port[s] == k->sport && f->port[!s] == k->dport &&
			    memcmp(f->addr[s], k->src, al) == 0 &&
			    memcmp(f->addr[!s], k->dst, al) == 0) {
				*dir = s;
				return f;
			}
	}
	return NULL;
}

static struct flow *
flow_new(struct p9_tdec *d, const struct pkt *k)
{
	size_t al = k->v6 ? 16 : 4;
	struct flow *f;
	unsigned b;

	if (d->nflows + 1 > d->nbuckets) {
		unsigned nb = d->nbuckets ? 2 * d->nbuckets : 256;
		struct flow **nt = calloc(nb, sizeof *nt);

		if (nt == NULL)
			return NULL;
		for (unsigned i = 0; i < d->nbuckets; i++)
			while (d->flows[i]) {
				struct flow *g = d->flows[i];
				struct pkt gk = { g->v6, g->addr[0], g->addr[1],
				    g->port[0], g->port[1], 0, 0, 0, 0, 0 };

				d->flows[i] = g->hnext;
				b = fhash(&gk) & (nb - 1);
				g->hnext = nt[b];
				nt[b] = g;
			}
		free(d->flows);
		d->flows = nt;
		d->nbuckets = nb;
	}
	if ((f = calloc(1, sizeof *f)) == NULL)
		return NULL;
	f->v6 = k->v6;
	memcpy(f->addr[0], k->src, al);
	memcpy(f->addr[1], k->dst, al);
	f->port[0] = k->sport;
	f->port[1] = k->dport;
	b = fhash(k) & (d->nbuckets - 1);
	f->hnext = d->flows[b];
	d->flows[b] = f;
	d->nflows++;
	return f;
}

static void
half_clear(struct half *h)
{
	while (h->ooo) {
		struct seg *s = h->ooo;

		h->ooo = s->next;
		free(s);
	}
	memset(h, 0, sizeof *h);
}

void
p9__tdec_flows_free(struct p9_tdec *d)
{
	for (unsigned i = 0; i < d->nbuckets; i++)
		while (d->flows[i]) {
			struct flow *f = d->flows[i];

			d->flows[i] = f->hnext;
			half_clear(&f->h[0]);
			half_clear(&f->h[1]);
			free(f);
		}
	free(d->flows);
	d->flows = NULL;
	d->nbuckets = d->nflows = 0;
}

static void
endpoint(char *out, size_t cap, const struct flow *f, int s)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(f->v6 ? AF_INET6 : AF_INET, f->addr[s], a, sizeof a);
	snprintf(out, cap, f->v6 ? "[%s]:%u" : "%s:%u", a, f->port[s]);
}

/* The flow is 9P: open its decoder connection. */
static void
flow_start(struct p9_tdec *d, struct flow *f, const struct timespec *ts,
    const char *how)
{
	char a[64], b[64], name[160];

	endpoint(a, sizeof a, f, 0);
	endpoint(b, sizeof b, f, 1);
	snprintf(name, sizeof name, "%s > %s", a, b);
	f->state = 1;
	if ((f->conn = p9_tdec_open(d, name)) == 0) {
		f->state = 2;
		return;
	}
	p9__tdec_note(d, f->conn, ts, "9P connection %s (%s)", name, how);
	if (!f->syn) {
		p9__tdec_desync(d, f->conn, 0, "the capture starts mid-stream");
		p9__tdec_desync(d, f->conn, 1, "the capture starts mid-stream");
	}
}

static void
flow_swap(struct flow *f)
{
	uint8_t a[16];
	uint16_t p = f->port[0];
	struct half h = f->h[0];

	memcpy(a, f->addr[0], 16);
	memcpy(f->addr[0], f->addr[1], 16);
	memcpy(f->addr[1], a, 16);
	f->port[0] = f->port[1];
	f->port[1] = p;
	f->h[0] = f->h[1];
	f->h[1] = h;
}

/* Does p start with a Tversion ("9P..." version string)? */
static int
tversion(const uint8_t *p, uint32_t n)
{
	uint32_t size;

	if (n < 19)
		return 0;
	size = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	return p[4] == P9_Tversion && p[5] == 0xff && p[6] == 0xff &&
	    size >= 19 && size < 4096 && p[13] == '9' && p[14] == 'P';
}

/* ---- reassembly ----------------------------------------------------------- */

static void
feed(struct p9_tdec *d, struct flow *f, int dir, const struct timespec *ts,
    const uint8_t *p, uint32_t len, uint32_t have)
{
	if (have)
		p9_tdec_bytes(d, f->conn, dir, ts, p, have);
	if (len > have)		/* the snap length cut the segment */
		p9_tdec_gap(d, f->conn, dir, len - have);
}

/* Deliver what waits and now follows on without a hole. */
static void
drain_ooo(struct p9_tdec *d, struct flow *f, int dir)
{
	struct half *h = &f->h[dir];

	while (h->ooo && (int32_t)(h->ooo->seq - h->next) <= 0) {
		struct seg *s = h->ooo;
		int32_t diff = (int32_t)(s->seq - h->next);
		uint32_t skip = (uint32_t)-diff;

		h->ooo = s->next;
		h->ooobytes -= s->have;
		if (skip < s->len) {
			uint32_t have = s->have > skip ? s->have - skip : 0;

			feed(d, f, dir, &s->ts, s->data + (s->have > skip ?
			    skip : s->have), s->len - skip, have);
			h->next = s->seq + s->len;
		}
		free(s);
	}
}

/* The hole before the first waiting segment will never fill. */
static void
skip_hole(struct p9_tdec *d, struct flow *f, int dir)
{
	struct half *h = &f->h[dir];

	if (h->ooo == NULL)
		return;
	p9_tdec_gap(d, f->conn, dir, h->ooo->seq - h->next);
	h->next = h->ooo->seq;
	drain_ooo(d, f, dir);
}

static void
segment(struct p9_tdec *d, struct flow *f, int dir, const struct timespec *ts,
    const struct pkt *k)
{
	struct half *h = &f->h[dir];
	int32_t diff;

	if (!h->have) {
		h->have = 1;
		h->next = k->seq;
	}
	if (k->len == 0)
		return;
	d->st.segments++;
	diff = (int32_t)(k->seq - h->next);
	if (diff + (int64_t)k->len <= 0) {
		d->st.retransmits++;
		return;
	}
	if (diff > 0) {
		/* after a hole: wait, sorted, unless it's already waiting */
		struct seg **pp = &h->ooo, *s;

		while (*pp && (int32_t)((*pp)->seq - k->seq) < 0)
			pp = &(*pp)->next;
		if (*pp && (*pp)->seq == k->seq && (*pp)->len >= k->len) {
			d->st.retransmits++;
			return;
		}
		if ((s = malloc(sizeof *s + k->have)) == NULL)
			return;
		d->st.outoforder++;
		s->seq = k->seq;
		s->len = k->len;
		s->have = k->have;
		s->ts = *ts;
		memcpy(s->data, k->data, k->have);
		s->next = *pp;
		*pp = s;
		h->ooobytes += k->have;
		if (h->ooobytes > OOOMAX)
			skip_hole(d, f, dir);
		return;
	}
	/* in order, possibly overlapping what came before */
	{
		uint32_t skip = (uint32_t)-diff;
		uint32_t have = k->have > skip ? k->have - skip : 0;

		if (diff < 0)
			d->st.retransmits++;
		feed(d, f, dir, ts, k->data + (k->have > skip ? skip : k->have),
		    k->len - skip, have);
		h->next = k->seq + k->len;
	}
	drain_ooo(d, f, dir);
}

static void
flow_end(struct p9_tdec *d, struct flow *f)
{
	if (f->state == 1 && f->conn) {
		skip_hole(d, f, 0);
		skip_hole(d, f, 1);
		p9_tdec_close(d, f->conn);
	}
	half_clear(&f->h[0]);
	half_clear(&f->h[1]);
	f->conn = 0;
	f->state = 3;		/* until a new SYN */
	f->syn = 0;
}

static void
tcp(struct p9_tdec *d, const struct timespec *ts, struct pkt *k)
{
	struct flow *f;
	int dir = 0;

	if ((f = flow_find(d, k, &dir)) != NULL && (k->flags & 0x02) &&
	    !(k->flags & 0x10) && (f->state == 3 || (f->h[dir].have &&
	    (f->h[dir].fin || k->seq + 1 != f->h[dir].next)))) {
		/* a new SYN on a used 4-tuple: a new connection */
		flow_end(d, f);
		f->state = 0;
	}
	if (f == NULL) {
		if ((f = flow_new(d, k)) == NULL)
			return;
		dir = 0;
		if (is9pport(d, k->sport) && !is9pport(d, k->dport)) {
			flow_swap(f);
			dir = 1;
		}
	}
	if (f->state >= 2)	/* not 9P, or over */
		return;
	if ((k->flags & 0x02) && !(k->flags & 0x10) && dir == 0)
		f->syn = 1;
	if ((k->flags & 0x02) && !(k->flags & 0x10) && dir == 1 &&
	    f->state == 0 && !f->h[0].have) {
		/* the SYN came from the side we took for the server */
		flow_swap(f);
		dir = 0;
		f->syn = 1;
	}
	if (f->state == 0 && (is9pport(d, f->port[1]) ||
	    is9pport(d, f->port[0])))
		flow_start(d, f, ts, "port");
	if (f->state == 0 && k->len > 0) {
		if (tversion(k->data, k->have)) {
			if (dir == 1) {
				flow_swap(f);
				dir = 0;
			}
			flow_start(d, f, ts, "recognised by its Tversion");
		} else {
			f->state = 2;
			half_clear(&f->h[0]);
			half_clear(&f->h[1]);
			return;
		}
	}
	if (k->flags & 0x02) {
		f->h[dir].have = 1;
		f->h[dir].next = k->seq + 1;
		f->h[dir].fin = 0;
	}
	if (f->state != 1) {
		if (!f->h[dir].have && !(k->flags & 0x02)) {
			f->h[dir].have = 1;
			f->h[dir].next = k->seq;
		}
		return;
	}
	if (k->flags & 0x02)
		return;
	segment(d, f, dir, ts, k);
	if (k->flags & 0x05) {		/* FIN or RST */
		f->h[dir].fin = 1 + !!(k->flags & 0x04);
		f->h[dir].finseq = k->seq + k->len;
	}
	/*
	 * The connection is over when both directions have ended and every
	 * byte before their ends came (or one was reset).  Captures on a
	 * multi-CPU machine deliver packets out of order, the FIN before the
	 * last data segment: waiting for the holes keeps that segment.
	 */
	if (f->h[0].fin || f->h[1].fin) {
		int done[2];

		for (int s = 0; s < 2; s++)
			done[s] = f->h[s].fin && f->h[s].ooo == NULL &&
			    (int32_t)(f->h[s].next - f->h[s].finseq) >= 0;
		if ((done[0] && done[1]) || ((f->h[0].fin == 2 ||
		    f->h[1].fin == 2) && !f->h[0].ooo && !f->h[1].ooo))
			flow_end(d, f);
	}
}

/* ---- link and network layers ---------------------------------------------- */

static void
ip(struct p9_tdec *d, const struct timespec *ts, const uint8_t *p, size_t n)
{
	struct pkt k;
	size_t hl, tl, doff;
	uint8_t proto;
	const uint8_t *t;

	memset(&k, 0, sizeof k);
	if (n < 1)
		return;
	if ((p[0] >> 4) == 4) {
		if (n < 20 || (hl = (size_t)(p[0] & 15) * 4) < 20 || n < hl)
			return;
		if ((be16(p + 6) & 0x3fff) != 0)
			return;		/* a fragment: not reassembled */
		proto = p[9];
		tl = be16(p + 2);
		/* TSO captures can show 0: then trust what was captured */
		tl = tl >= hl ? tl - hl : n - hl;
		k.src = p + 12;
		k.dst = p + 16;
	} else if ((p[0] >> 4) == 6) {
		if (n < 40)
			return;
		proto = p[6];
		tl = be16(p + 4);
		hl = 40;
		k.v6 = 1;
		k.src = p + 8;
		k.dst = p + 24;
		/* extension headers: hop-by-hop, routing, destination */
		while (proto == 0 || proto == 43 || proto == 60) {
			size_t el;

			if (n < hl + 8)
				return;
			el = ((size_t)p[hl + 1] + 1) * 8;
			proto = p[hl];
			if (tl < el)
				return;
			tl -= el;
			hl += el;
		}
		if (tl == 0)		/* jumbo or TSO: what was captured */
			tl = n - hl;
	} else {
		return;
	}
	if (proto != 6 || n < hl + 20 || tl < 20)
		return;
	t = p + hl;
	doff = (size_t)(t[12] >> 4) * 4;
	if (doff < 20 || doff > tl || n < hl + doff)
		return;
	k.sport = be16(t);
	k.dport = be16(t + 2);
	k.seq = be32(t + 4);
	k.flags = t[13];
	k.data = t + doff;
	k.len = (uint32_t)(tl - doff);
	k.have = (uint32_t)(n - hl - doff < k.len ? n - hl - doff : k.len);
	tcp(d, ts, &k);
}

int
p9_tdec_packet(struct p9_tdec *d, int linktype, const struct timespec *ts,
    const uint8_t *pkt, size_t caplen, size_t origlen)
{
	size_t off;
	uint16_t et = 0x0800;

	(void)origlen;		/* the IP header says how long it was */
	d->st.packets++;
	switch (linktype) {
	case 0:			/* DLT_NULL: host-order family */
	case 108:		/* DLT_LOOP: network-order family */
		off = 4;
		et = 0;		/* from the IP version */
		break;
	case 1:			/* DLT_EN10MB */
		off = 14;
		if (caplen < 14)
			return 0;
		et = be16(pkt + 12);
		while ((et == 0x8100 || et == 0x88a8) && caplen >= off + 4) {
			et = be16(pkt + off + 2);
			off += 4;
		}
		break;
	case 12: case 14: case 101:	/* DLT_RAW (and LINKTYPE_RAW) */
	case 228: case 229:		/* DLT_IPV4, DLT_IPV6 */
		off = 0;
		et = 0;
		break;
	case 113:		/* DLT_LINUX_SLL */
		off = 16;
		if (caplen < 16)
			return 0;
		et = be16(pkt + 14);
		break;
	case 276:		/* DLT_LINUX_SLL2 */
		off = 20;
		if (caplen < 20)
			return 0;
		et = be16(pkt);
		break;
	default:
		if (!d->badlink)
			p9__tdec_note(d, 0, ts, "link type %d is not one 9ptrace "
			    "reads", linktype);
		d->badlink = 1;
		return -EPROTONOSUPPORT;
	}
	if (caplen <= off || (et != 0 && et != 0x0800 && et != 0x86dd))
		return 0;
	ip(d, ts, pkt + off, caplen - off);
	return 0;
}

void
p9_tdec_finish(struct p9_tdec *d)
{
	for (unsigned i = 0; i < d->nbuckets; i++)
		for (struct flow *f = d->flows[i]; f; f = f->hnext)
			flow_end(d, f);
	for (unsigned c = 1; c <= d->nconv; c++)
		p9_tdec_close(d, c);
}

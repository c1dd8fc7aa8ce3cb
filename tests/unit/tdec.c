/*
 * tdec.c - the trace decoder (lib/trace): framing whatever the chunking,
 * resynchronising after garbage, impossible sizes, gaps and mid-stream
 * starts; pairing replies with requests; fid paths through walk, create,
 * rename and clunk; directory entries; TCP reassembly (out of order,
 * retransmitted, overlapping, several connections, IPv6 behind a VLAN tag,
 * Tversion on another port, cut by the snap length).
 */
#include <errno.h>

#include "p9int.h"
#include "trace/tdec.h"
#include "tap.h"

/* ---- what the decoder says, as lines without the time -------------------- */

static char out[1 << 16][160];
static int nout;

static void
on_msg(void *arg, const struct p9_tmsg *m)
{
	char b[4096], *p;

	(void)arg;
	p9_tmsg_fmt(b, sizeof b, m, P9_TFMT_LINE, 16);
	p = strchr(b, ' ') + 1;		/* drop the time */
	if (nout < (int)(sizeof out / sizeof out[0]))
		snprintf(out[nout++], sizeof out[0], "%s", p);
	/* latency varies: cut " 0.123 ms]" to "]" */
	if ((p = strstr(out[nout - 1], " ms]")) != NULL) {
		char *q = p;

		while (q > out[nout - 1] && q[-1] != ' ')
			q--;
		memmove(q - 1, p + 3, strlen(p + 3) + 1);
	}
}

static void
on_note(void *arg, unsigned conn, const struct timespec *ts, const char *t)
{
	(void)arg, (void)ts;
	if (nout < (int)(sizeof out / sizeof out[0]))
		snprintf(out[nout++], sizeof out[0], "#%u -- %s", conn, t);
}

static const struct p9_tdec_cb cb = { on_msg, on_note };

static int
has(const char *s)
{
	for (int i = 0; i < nout; i++)
		if (strstr(out[i], s))
			return i + 1;
	return 0;
}

static int
count(const char *s)
{
	int n = 0;

	for (int i = 0; i < nout; i++)
		n += strstr(out[i], s) != NULL;
	return n;
}

/* ---- a conversation, encoded ---------------------------------------------- */

struct wire {
	uint8_t	 b[2][65536];	/* [0] client bytes, [1] server bytes */
	size_t	 n[2];
	/* the order messages were sent in: direction and end offset */
	int	 dir[256];
	size_t	 end[256];
	int	 nmsg;
};

static struct p9_str
S(const char *s)
{
	return p9__str(s);
}

static void
put(struct wire *w, struct p9_fcall *f, enum p9_dialect d)
{
	int dir = f->type & 1;
	ssize_t n = p9_encode(w->b[dir] + w->n[dir], sizeof w->b[0] - w->n[dir],
	    f, d);

	if (n < 0) {
		diag("cannot encode type %d", f->type);
		exit(1);
	}
	w->n[dir] += (size_t)n;
	w->dir[w->nmsg] = dir;
	w->end[w->nmsg++] = w->n[dir];
}

#define T(...)	do { struct p9_fcall f_ = { __VA_ARGS__ }; put(w, &f_, dl); } while (0)

static void
session_L(struct wire *w)
{
	enum p9_dialect dl = P9_2000L;
	struct p9_qid dq = { 0x80, 0, 1 }, fq = { 0, 0, 2 };
	static uint8_t dents[200];
	ssize_t k = 0;
	struct p9_dirent de1 = { fq, 1, 8, { "one", 3 } };
	struct p9_dirent de2 = { dq, 2, 4, { "sub", 3 } };

	memset(w, 0, sizeof *w);
	k += p9_dirent_encode(dents, sizeof dents, &de1);
	k += p9_dirent_encode(dents + k, sizeof dents - (size_t)k, &de2);
	T(.type = P9_Tversion, .tag = P9_NOTAG, .msize = 8192,
	    .version = S("9P2000.L"));
	T(.type = P9_Rversion, .tag = P9_NOTAG, .msize = 8192,
	    .version = S("9P2000.L"));
	T(.type = P9_Tattach, .tag = 1, .fid = 0, .afid = P9_NOFID,
	    .uname = S("u"), .aname = S("/srv"), .n_uname = 0);
	T(.type = P9_Rattach, .tag = 1, .qid = dq);
	T(.type = P9_Twalk, .tag = 2, .fid = 0, .newfid = 1, .nwname = 2,
	    .wname = { S("a"), S("b") });
	T(.type = P9_Rwalk, .tag = 2, .nwqid = 2, .wqid = { dq, dq });
	T(.type = P9_Tlopen, .tag = 3, .fid = 1, .flags = 0);
	T(.type = P9_Rlopen, .tag = 3, .qid = dq);
	T(.type = P9_Treaddir, .tag = 4, .fid = 1, .count = 4000);
	T(.type = P9_Rreaddir, .tag = 4, .count = (uint32_t)k, .data = dents);
	T(.type = P9_Twalk, .tag = 5, .fid = 1, .newfid = 2, .nwname = 1,
	    .wname = { S("..") });
	T(.type = P9_Rwalk, .tag = 5, .nwqid = 1, .wqid = { dq });
	T(.type = P9_Tgetattr, .tag = 6, .fid = 2, .mask = 0x7ff);
	T(.type = P9_Rlerror, .tag = 6, .ecode = 2);
	T(.type = P9_Tclunk, .tag = 7, .fid = 2);
	T(.type = P9_Rlerror, .tag = 7, .ecode = 9);	/* clunked anyway */
	T(.type = P9_Trenameat, .tag = 8, .fid = 0, .name = S("a"), .dfid = 0,
	    .newname = S("z"));
	T(.type = P9_Rrenameat, .tag = 8);
	T(.type = P9_Tlcreate, .tag = 9, .fid = 1, .name = S("new"),
	    .flags = 0101, .mode = 0644);
	T(.type = P9_Rlcreate, .tag = 9, .qid = fq);
	T(.type = P9_Tread, .tag = 10, .fid = 1, .offset = 0, .count = 100);
	T(.type = P9_Tflush, .tag = 11, .oldtag = 10);
	T(.type = P9_Rflush, .tag = 11);
	T(.type = P9_Tclunk, .tag = 12, .fid = 1);
	T(.type = P9_Rclunk, .tag = 12);
	T(.type = P9_Tstatfs, .tag = 13, .fid = 0);
}

/* Feed the messages in the order they were sent, each in chunks of at
 * most chunk bytes. */
static void
feed(struct p9_tdec *d, unsigned c, const struct wire *w, size_t chunk)
{
	size_t pos[2] = { 0, 0 };
	struct timespec ts = { 1000, 0 };

	for (int i = 0; i < w->nmsg; i++) {
		int dir = w->dir[i];

		ts.tv_nsec += 1000;
		while (pos[dir] < w->end[i]) {
			size_t n = w->end[i] - pos[dir];

			if (n > chunk)
				n = chunk;
			p9_tdec_bytes(d, c, dir, &ts, w->b[dir] + pos[dir], n);
			pos[dir] += n;
		}
	}
}

static void
run_L(size_t chunk, char lines[][160], int *n)
{
	static struct wire w;
	struct p9_tdec *d = p9_tdec_new(&cb, NULL);
	unsigned c;

	session_L(&w);
	nout = 0;
	c = p9_tdec_open(d, "test");
	feed(d, c, &w, chunk);
	p9_tdec_close(d, c);
	if (lines) {
		for (int i = 0; i < nout; i++)
			memcpy(lines[i], out[i], sizeof out[0]);
		*n = nout;
	}
	p9_tdec_free(d);
}

static void
test_conversation(void)
{
	static char whole[64][160];
	int nwhole = 0;

	run_L(1 << 20, whole, &nwhole);
	for (int i = 0; i < nwhole; i++)
		diag("%s", whole[i]);
	ok(has("#1 Tversion tag 65535 msize 8192 version 9P2000.L") != 0,
	    "Tversion shown");
	ok(has("Rversion tag 65535 msize 8192 version 9P2000.L [Tversion]"),
	    "Rversion paired with its Tversion");
	ok(has("Tattach tag 1 fid 0</> afid 4294967295 uname u aname /srv"),
	    "attach: fid 0 is /");
	ok(has("Twalk tag 2 fid 0</> newfid 1</a/b> nwname 2 0:a 1:b"),
	    "walk: the newfid's path is shown on the request");
	ok(has("Rwalk tag 2 nwqid 2") && has("[Twalk /a/b]"),
	    "Rwalk paired, with the path walked to");
	ok(has("Rreaddir tag 4 count ") && has("[2 entries: one sub]"),
	    "Rreaddir's entries decoded");
	ok(has("Twalk tag 5 fid 1</a/b> newfid 2</a> nwname 1 0:.."),
	    "walk of .. goes up");
	ok(has("Rlerror tag 6 ecode 2 (ENOENT: No such file or directory) "
	    "[Tgetattr /a]"), "Rlerror: errno name and text, and the file");
	ok(has("Trenameat tag 8 olddirfid 0</> oldname a newdirfid 0</> "
	    "newname z"), "renameat shown with both directories");
	ok(has("Tlcreate tag 9 fid 1</z/b> name new"),
	    "renameat moved the fids below the renamed directory");
	ok(has("Tread tag 10 fid 1</z/b/new>"),
	    "lcreate: the fid is now the new file");
	ok(has("Rflush tag 11 [Tflush]") && !has("Rread tag"),
	    "the flushed read had no reply");
	ok(has("Tclunk tag 12 fid 1</z/b/new>"), "clunk by path");
	ok(has("#1 -- 1 request never answered") != 0,
	    "a request without reply is reported at the end");
	/* the same bytes in 1-, 2-, 3- and 7-byte pieces: the same lines */
	for (size_t ch = 1; ch <= 7; ch += ch < 3 ? 1 : 4) {
		static char part[64][160];
		int np = 0, same;

		run_L(ch, part, &np);
		same = np == nwhole;
		for (int i = 0; same && i < np; i++)
			same = strcmp(part[i], whole[i]) == 0;
		ok(same, "fed %zu byte%s at a time: the same %d lines", ch,
		    ch == 1 ? "" : "s", nwhole);
	}
}

static void
test_fids_api(void)
{
	static struct wire w;
	struct p9_tdec *d = p9_tdec_new(&cb, NULL);
	unsigned c = p9_tdec_open(d, "x");

	session_L(&w);
	nout = 0;
	feed(d, c, &w, 1 << 20);
	/* fid 0 (attach) is alive; 1 and 2 were clunked */
	is(p9_tdec_fids(d, c, NULL, NULL), 1, "one fid alive at the end");
	p9_tdec_free(d);
}

static void
test_garbage(void)
{
	static struct wire w;
	static uint8_t g[300];
	struct timespec ts = { 1, 0 };
	struct p9_tdec *d;
	unsigned c;

	session_L(&w);
	/* garbage first: the client side begins out of step */
	for (size_t i = 0; i < sizeof g; i++)
		g[i] = (uint8_t)(i * 37 + 11);
	nout = 0;
	d = p9_tdec_new(&cb, NULL);
	c = p9_tdec_open(d, "g");
	p9_tdec_gap(d, c, 0, 5);
	p9_tdec_bytes(d, c, 0, &ts, g, sizeof g);
	p9_tdec_bytes(d, c, 0, &ts, w.b[0], w.n[0]);
	p9_tdec_close(d, c);
	ok(has("bytes missing from the capture") != 0, "a gap is noted");
	ok(has("skipped 300 bytes") != 0 || has("skipped") != 0,
	    "the garbage is skipped and said so");
	ok(has("Tattach tag 1") && has("Tstatfs tag 13"),
	    "every request after the garbage is decoded");
	p9_tdec_free(d);

	/* an impossible size in the middle, then more messages */
	nout = 0;
	d = p9_tdec_new(&cb, NULL);
	c = p9_tdec_open(d, "s");
	p9_tdec_bytes(d, c, 0, &ts, w.b[0], w.end[0]);		/* Tversion */
	p9_tdec_bytes(d, c, 0, &ts, (const uint8_t *)"\xff\xff\xff\x7f\x6e"
	    "\x01\x00", 7);
	p9_tdec_bytes(d, c, 0, &ts, w.b[0] + w.end[0], w.n[0] - w.end[0]);
	p9_tdec_close(d, c);
	ok(has("impossible message size 2147483647") != 0,
	    "an absurd size is named");
	ok(has("Tattach tag 1") && has("Tstatfs tag 13"),
	    "decoding goes on after it");
	p9_tdec_free(d);

	/* an unknown type of a plausible size: marked, skipped whole */
	nout = 0;
	d = p9_tdec_new(&cb, NULL);
	c = p9_tdec_open(d, "u");
	p9_tdec_bytes(d, c, 0, &ts, (const uint8_t *)"\x0a\0\0\0\xc8\x05\0abc",
	    10);
	p9_tdec_bytes(d, c, 0, &ts, w.b[0], w.n[0]);
	p9_tdec_close(d, c);
	ok(has("type 200 tag 5 !malformed") != 0, "an unknown type is marked");
	ok(has("Tversion tag 65535") && has("Tstatfs tag 13"),
	    "the messages after it decode");
	p9_tdec_free(d);

	/* a stream that ends inside a message */
	nout = 0;
	d = p9_tdec_new(&cb, NULL);
	c = p9_tdec_open(d, "e");
	p9_tdec_bytes(d, c, 0, &ts, w.b[0], w.end[0] - 3);
	p9_tdec_close(d, c);
	ok(has("ends inside a message (18 of 21 bytes)") != 0,
	    "a message cut by the end is reported");
	p9_tdec_free(d);
}

static void
test_midstream(void)
{
	enum p9_dialect dl = P9_2000;
	static struct wire ww, *w = &ww;
	struct p9_qid dq = { 0x80, 0, 1 };
	struct p9_stat st;
	static uint8_t stats[400];
	ssize_t k = 0;
	struct p9_tdec *d;
	unsigned c;

	/* 9P2000, joined after the version: the dialect is guessed from a
	 * Tattach only 9P2000 decodes, and a directory read shows stats */
	memset(w, 0, sizeof *w);
	p9_stat_null(&st);
	st.qid = dq;
	st.name = S("entry1");
	st.uid = st.gid = st.muid = S("glenda");
	st.mode = 0755 | 0x80000000u;
	k += p9_stat_encode(stats, sizeof stats, &st, P9_2000);
	st.name = S("entry2");
	k += p9_stat_encode(stats + k, sizeof stats - (size_t)k, &st, P9_2000);
	T(.type = P9_Tattach, .tag = 1, .fid = 3, .afid = P9_NOFID,
	    .uname = S("glenda"), .aname = S(""));
	T(.type = P9_Rattach, .tag = 1, .qid = dq);
	T(.type = P9_Topen, .tag = 2, .fid = 3, .mode = 0);
	T(.type = P9_Ropen, .tag = 2, .qid = dq);
	T(.type = P9_Tread, .tag = 3, .fid = 3, .count = 1000);
	T(.type = P9_Rread, .tag = 3, .count = (uint32_t)k, .data = stats);
	T(.type = P9_Tstat, .tag = 4, .fid = 9);
	T(.type = P9_Rerror, .tag = 4, .ename = S("unknown fid"));
	nout = 0;
	d = p9_tdec_new(&cb, NULL);
	c = p9_tdec_open(d, "m");
	p9__tdec_desync(d, c, 0, "the capture starts mid-stream");
	p9__tdec_desync(d, c, 1, "the capture starts mid-stream");
	feed(d, c, w, 1 << 20);
	p9_tdec_close(d, c);
	for (int i = 0; i < nout; i++)
		diag("%s", out[i]);
	ok(has("in step with the stream (the capture starts mid-stream) at a "
	    "Tattach") != 0, "joining mid-stream is said");
	ok(has("Tattach tag 1 fid 3</> afid 4294967295 uname glenda aname ''") &&
	    !has("n_uname"), "9P2000 guessed: no n_uname");
	ok(has("Rread tag 3 count ") && has("[2 entries: entry1 entry2]"),
	    "a 9P2000 directory read shows its entries");
	ok(has("Rerror tag 4 ename 'unknown fid' [Tstat"),
	    "Rerror paired with its request");
	p9_tdec_free(d);
}

/* ---- packets -------------------------------------------------------------- */

static uint8_t pk[70000];

/* An IPv4 TCP packet from conn's client (dir 0) or server into pk. */
static size_t
ip4(int dir, uint16_t cport, uint16_t sport, uint32_t seq, uint8_t flags,
    const uint8_t *data, size_t n)
{
	uint8_t *p = pk;
	size_t tl = 40 + n;

	memset(p, 0, 40);
	p[0] = 0x45;
	p[2] = (uint8_t)(tl >> 8), p[3] = (uint8_t)tl;
	p[8] = 64, p[9] = 6;
	p[12] = 10, p[15] = dir ? 2 : 1;
	p[16] = 10, p[19] = dir ? 1 : 2;
	uint16_t a = dir ? sport : cport, b = dir ? cport : sport;
	p[20] = (uint8_t)(a >> 8), p[21] = (uint8_t)a;
	p[22] = (uint8_t)(b >> 8), p[23] = (uint8_t)b;
	p[24] = (uint8_t)(seq >> 24), p[25] = (uint8_t)(seq >> 16);
	p[26] = (uint8_t)(seq >> 8), p[27] = (uint8_t)seq;
	p[32] = 0x50;
	p[33] = flags;
	if (n)
		memcpy(p + 40, data, n);
	return tl;
}

static void
test_tcp(void)
{
	static struct wire w;
	struct timespec ts = { 5, 0 };
	struct p9_tdec *d;
	uint32_t isn[2] = { 0xfffffff0u, 7777 };	/* wraps */
	size_t n, cut;

	session_L(&w);
	nout = 0;
	d = p9_tdec_new(&cb, NULL);
	/* connection A on port 564, with SYNs; client bytes in 100-byte
	 * segments sent out of order and twice; server bytes overlapping */
	n = ip4(0, 40000, 564, isn[0], 0x02, NULL, 0);
	p9_tdec_packet(d, 228, &ts, pk, n, n);
	n = ip4(1, 40000, 564, isn[1], 0x12, NULL, 0);
	p9_tdec_packet(d, 228, &ts, pk, n, n);
	/* connection B on port 5640, found by its Tversion, interleaved */
	n = ip4(0, 41000, 5640, 100, 0x18, w.b[0], w.end[0]);
	p9_tdec_packet(d, 228, &ts, pk, n, n);
	for (size_t off = 0; off < w.n[0]; off += 200) {
		size_t a = w.n[0] - off < 100 ? w.n[0] - off : 100;
		size_t b = off + 100 < w.n[0] ? (w.n[0] - off - 100 < 100 ?
		    w.n[0] - off - 100 : 100) : 0;

		if (b) {	/* the later segment first */
			n = ip4(0, 40000, 564, isn[0] + 1 + (uint32_t)off + 100,
			    0x18, w.b[0] + off + 100, b);
			p9_tdec_packet(d, 228, &ts, pk, n, n);
		}
		n = ip4(0, 40000, 564, isn[0] + 1 + (uint32_t)off, 0x18,
		    w.b[0] + off, a);
		p9_tdec_packet(d, 228, &ts, pk, n, n);
		p9_tdec_packet(d, 228, &ts, pk, n, n);	/* retransmitted */
	}
	for (size_t off = 0; off < w.n[1]; off += 50) {
		size_t a = w.n[1] - off < 80 ? w.n[1] - off : 80;

		n = ip4(1, 40000, 564, isn[1] + 1 + (uint32_t)off, 0x18,
		    w.b[1] + off, a);
		p9_tdec_packet(d, 228, &ts, pk, n, n);
	}
	n = ip4(1, 41000, 5640, 900, 0x18, w.b[1], w.end[1]);
	p9_tdec_packet(d, 228, &ts, pk, n, n);
	/* a flow on another port that isn't 9P is ignored */
	n = ip4(0, 42000, 80, 1, 0x18, (const uint8_t *)"GET / HTTP/1.0\r\n",
	    16);
	p9_tdec_packet(d, 228, &ts, pk, n, n);
	/* a packet cut by the snap length: the rest is a gap */
	n = ip4(0, 41000, 5640, 100 + (uint32_t)w.end[0], 0x18, w.b[0] +
	    w.end[0], w.end[2] - w.end[0]);
	cut = n - 5;
	p9_tdec_packet(d, 228, &ts, pk, cut, n);
	/* connection C: its FINs overtake its last data (as captures on
	 * several CPUs deliver them); the data is still decoded */
	n = ip4(0, 43000, 564, 50, 0x02, NULL, 0);
	p9_tdec_packet(d, 228, &ts, pk, n, n);
	n = ip4(0, 43000, 564, 51 + (uint32_t)w.end[0], 0x11, NULL, 0);
	p9_tdec_packet(d, 228, &ts, pk, n, n);
	n = ip4(1, 43000, 564, 70, 0x11, NULL, 0);
	p9_tdec_packet(d, 228, &ts, pk, n, n);
	n = ip4(0, 43000, 564, 51, 0x18, w.b[0], w.end[0]);
	p9_tdec_packet(d, 228, &ts, pk, n, n);
	p9_tdec_finish(d);
	for (int i = 0; i < nout; i++)
		diag("%s", out[i]);
	ok(has("#3 Tversion tag 65535 msize 8192") != 0,
	    "C: data that comes after the FINs is not lost");
	ok(has("#1 -- 9P connection 10.0.0.1:40000 > 10.0.0.2:564 (port)") != 0,
	    "connection A found by its port");
	ok(has("#2 -- 9P connection 10.0.0.1:41000 > 10.0.0.2:5640 "
	    "(recognised by its Tversion)") != 0, "connection B by its Tversion");
	is(count("#1 T"), 14, "A: every request once, despite reordering "
	    "and retransmissions");
	is(count("#1 R"), 12, "A: every reply once, despite overlaps");
	ok(has("#1 Rflush tag 11 [Tflush]") != 0, "A: replies paired");
	ok(has("#2 Rversion tag 65535 msize 8192") != 0, "B: decoded too");
	ok(has("#2 -- client: 5 bytes missing") != 0,
	    "B: the snap length's cut is a gap");
	ok(!has(":80 "), "the HTTP flow is not 9P");
	p9_tdec_free(d);

	/* IPv6 behind an 802.1Q tag on Ethernet, no SYN seen */
	{
		uint8_t e[200];
		size_t m = w.end[0];

		nout = 0;
		d = p9_tdec_new(&cb, NULL);
		memset(e, 0, sizeof e);
		e[12] = 0x81, e[13] = 0x00, e[16] = 0x86, e[17] = 0xdd;
		e[18] = 0x60;
		e[22] = (uint8_t)((20 + m) >> 8), e[23] = (uint8_t)(20 + m);
		e[24] = 6, e[25] = 64;
		e[18 + 8 + 15] = 1, e[18 + 24 + 15] = 2;
		{
			uint8_t *t = e + 18 + 40;

			t[0] = 0x9c, t[1] = 0x40;	/* 40000 */
			t[2] = 0x02, t[3] = 0x34;	/* 564 */
			t[7] = 1;
			t[12] = 0x50, t[13] = 0x18;
			memcpy(t + 20, w.b[0], m);
		}
		n = 18 + 40 + 20 + m;
		is(p9_tdec_packet(d, 1, &ts, e, n, n), 0, "Ethernet accepted");
		p9_tdec_finish(d);
		ok(has("9P connection [::1]:40000 > [::2]:564") &&
		    has("#1 Tversion tag 65535 msize 8192"),
		    "IPv6 behind a VLAN tag, joined mid-stream, decodes");
		is(p9_tdec_packet(d, 147, &ts, e, n, n), -EPROTONOSUPPORT,
		    "an unknown link type is refused");
		p9_tdec_free(d);
	}
}

int
main(void)
{
	test_conversation();
	test_fids_api();
	test_garbage();
	test_midstream();
	test_tcp();
	return done();
}

/*
 * codec.c - round trip of every message of the table in every dialect it
 * belongs to: fill every field with random values, encode, decode, compare
 * each field the table lists, re-encode byte-identically, and check that
 * p9_size, p9_encode_head and both printers agree.
 */
#include <errno.h>

#include "p9int.h"
#include "tap.h"

static const char *pool[] = { "", "usr", "bin", "a b", "\xc3\xbcnicode",
	"x'y", "9P2000.L", "a-fairly-long-file-name-to-cross-a-boundary" };

static uint64_t
rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static struct p9_str
rstr(void)
{
	return p9__str(pool[rnd() % (sizeof pool / sizeof pool[0])]);
}

static void
rqid(struct p9_qid *q)
{
	q->type = (uint8_t)rnd();
	q->version = (uint32_t)rnd();
	q->path = rnd();
}

static void
fill(struct p9_fcall *f, int type, uint8_t *data)
{
	const struct p9__field *fd;

	memset(f, 0, sizeof *f);
	/* every integer field of the table gets a random value */
	for (int i = 1; i < p9__nfields; i++) {
		fd = &p9__fields[i];
		if (fd->kind >= P9__K_U8 && fd->kind <= P9__K_U64) {
			uint64_t v = rnd();
			void *p = (char *)f + fd->off;

			switch (fd->store) {
			case 1: *(uint8_t *)p = (uint8_t)v; break;
			case 2: *(uint16_t *)p = (uint16_t)v; break;
			case 4: *(uint32_t *)p = (uint32_t)v; break;
			default: *(uint64_t *)p = v; break;
			}
		}
	}
	f->type = (uint8_t)type;
	f->tag = (uint16_t)rnd();
	f->version = rstr(); f->uname = rstr(); f->aname = rstr();
	f->name = rstr(); f->newname = rstr(); f->ename = rstr();
	f->extension = rstr(); f->target = rstr();
	f->lock.client_id = rstr();
	rqid(&f->qid);
	rqid(&f->attr.qid);
	f->nwname = (uint16_t)(rnd() % 17);
	for (int i = 0; i < f->nwname; i++)
		f->wname[i] = rstr();
	f->nwqid = (uint16_t)(rnd() % 17);
	for (int i = 0; i < f->nwqid; i++)
		rqid(&f->wqid[i]);
	f->count = (uint32_t)(rnd() % 200);
	for (uint32_t i = 0; i < f->count; i++)
		data[i] = (uint8_t)rnd();
	f->data = data;
	f->stat.type = (uint16_t)rnd();
	f->stat.dev = (uint32_t)rnd();
	rqid(&f->stat.qid);
	f->stat.mode = (uint32_t)rnd();
	f->stat.atime = (uint32_t)rnd();
	f->stat.mtime = (uint32_t)rnd();
	f->stat.length = rnd();
	f->stat.name = rstr(); f->stat.uid = rstr();
	f->stat.gid = rstr(); f->stat.muid = rstr();
	f->stat.extension = rstr();
	f->stat.n_uid = (uint32_t)rnd();
	f->stat.n_gid = (uint32_t)rnd();
	f->stat.n_muid = (uint32_t)rnd();
}

static int
streq(struct p9_str a, struct p9_str b)
{
	return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

static int
qideq(const struct p9_qid *a, const struct p9_qid *b)
{
	return a->type == b->type && a->version == b->version &&
	    a->path == b->path;
}

static int
stateq(const struct p9_stat *a, const struct p9_stat *b, enum p9_dialect d)
{
	int same = a->type == b->type && a->dev == b->dev &&
	    qideq(&a->qid, &b->qid) && a->mode == b->mode &&
	    a->atime == b->atime && a->mtime == b->mtime &&
	    a->length == b->length && streq(a->name, b->name) &&
	    streq(a->uid, b->uid) && streq(a->gid, b->gid) &&
	    streq(a->muid, b->muid);

	if (d == P9_2000U)
		same = same && streq(a->extension, b->extension) &&
		    a->n_uid == b->n_uid && a->n_gid == b->n_gid &&
		    a->n_muid == b->n_muid;
	return same;
}

/* Compare every field the table lists for this message. */
static const char *
compare(const struct p9_fcall *a, const struct p9_fcall *b,
    enum p9_dialect d)
{
	const struct p9__msgdef *m = p9__msg(a->type);

	if (a->type != b->type || a->tag != b->tag)
		return "header";
	for (const struct p9__fref *r = m->fields; r->field; r++) {
		const struct p9__field *fd = &p9__fields[r->field];
		const void *pa = (const char *)a + fd->off;
		const void *pb = (const char *)b + fd->off;

		if (!(r->dialects & (1u << d)))
			continue;
		switch (fd->kind) {
		case P9__K_U8: case P9__K_U16: case P9__K_U32: case P9__K_U64:
			if (p9__getint(a, fd) != p9__getint(b, fd))
				return fd->name;
			break;
		case P9__K_STR:
			if (!streq(*(const struct p9_str *)pa,
			    *(const struct p9_str *)pb))
				return fd->name;
			break;
		case P9__K_QID:
			if (!qideq(pa, pb))
				return fd->name;
			break;
		case P9__K_WNAMES:
			if (a->nwname != b->nwname)
				return "nwname";
			for (int i = 0; i < a->nwname; i++)
				if (!streq(a->wname[i], b->wname[i]))
					return "wname";
			break;
		case P9__K_WQIDS:
			if (a->nwqid != b->nwqid)
				return "nwqid";
			for (int i = 0; i < a->nwqid; i++)
				if (!qideq(&a->wqid[i], &b->wqid[i]))
					return "wqid";
			break;
		case P9__K_DATA:
			if (a->count != b->count ||
			    memcmp(a->data, b->data, a->count) != 0)
				return "data";
			break;
		case P9__K_STAT:
			if (!stateq(&a->stat, &b->stat, d))
				return "stat";
			break;
		}
	}
	return NULL;
}

static void
roundtrip(int type, enum p9_dialect d)
{
	static uint8_t buf[16384], buf2[16384], head[16384], data[256];
	static char l1[8192], l2[8192];
	struct p9_fcall f, g;
	const char *why = NULL, *diff;
	ssize_t n, n2, nh;
	size_t size;

	fill(&f, type, data);
	size = p9_size(&f, d);
	n = p9_encode(buf, sizeof buf, &f, d);
	if (!ok(n > 0 && (size_t)n == size, "%s in %s: encodes to p9_size "
	    "bytes", p9_typename(type), p9_dialect_name(d)))
		return;
	/* decode from an exact-size copy so ASan sees any overread */
	uint8_t *exact = malloc((size_t)n);
	memcpy(exact, buf, (size_t)n);
	ok(p9_decode(exact, (size_t)n, 0, d, &g, &why) == 0,
	    "%s in %s: decodes (%s)", p9_typename(type), p9_dialect_name(d),
	    why ? why : "ok");
	diff = compare(&f, &g, d);
	ok(diff == NULL, "%s in %s: every field survives (%s)",
	    p9_typename(type), p9_dialect_name(d), diff ? diff : "all");
	n2 = p9_encode(buf2, sizeof buf2, &g, d);
	ok(n2 == n && memcmp(buf, buf2, (size_t)n) == 0,
	    "%s in %s: re-encodes byte-identically", p9_typename(type),
	    p9_dialect_name(d));
	nh = p9_encode_head(head, sizeof head, &f, d);
	if (type == P9_Twrite || type == P9_Rread || type == P9_Rreaddir)
		ok((size_t)nh + f.count == (size_t)n && memcmp(head, buf, (size_t)nh) == 0,
		    "%s in %s: head + payload == whole", p9_typename(type),
		    p9_dialect_name(d));
	p9_fmt(l1, sizeof l1, &f, d, 64);
	p9_fmt(l2, sizeof l2, &g, d, 64);
	ok(strcmp(l1, l2) == 0 && strncmp(l1, p9_typename(type),
	    strlen(p9_typename(type))) == 0, "%s in %s: prints the same: %.60s",
	    p9_typename(type), p9_dialect_name(d), l1);
	p9_fmt_json(l1, sizeof l1, &f, d, 64);
	p9_fmt_json(l2, sizeof l2, &g, d, 64);
	ok(strcmp(l1, l2) == 0 && l1[0] == '{' && l1[strlen(l1) - 1] == '}',
	    "%s in %s: JSON the same", p9_typename(type), p9_dialect_name(d));
	free(exact);
}

static void
plan9_lines(void)
{
	struct p9_fcall f = { .type = P9_Twalk, .tag = 1, .fid = 0,
	    .newfid = 1, .nwname = 2 };
	uint8_t buf[256];
	char line[256];
	ssize_t n;

	f.wname[0] = p9__str("usr");
	f.wname[1] = p9__str("bin");
	p9_fmt(line, sizeof line, &f, P9_2000L, 64);
	ok(strcmp(line, "Twalk tag 1 fid 0 newfid 1 nwname 2 0:usr 1:bin") == 0,
	    "Plan 9 one-line form: %s", line);
	n = p9_encode(buf, sizeof buf, &f, P9_2000L);
	is(n, 7 + 4 + 4 + 2 + 5 + 5, "Twalk encodes to 27 bytes");
	f = (struct p9_fcall){ .type = P9_Rlerror, .tag = 3, .ecode = 2 };
	p9_fmt(line, sizeof line, &f, P9_2000L, 64);
	ok(strcmp(line, "Rlerror tag 3 ecode 2 (ENOENT)") == 0,
	    "Rlerror shows the errno name: %s", line);
	f = (struct p9_fcall){ .type = P9_Tversion, .tag = P9_NOTAG,
	    .msize = 8192, .version = p9__str("9P2000") };
	n = p9_encode(buf, sizeof buf, &f, P9_2000);
	ok(n == 19 && memcmp(buf, "\x13\x00\x00\x00\x64\xff\xff\x00\x20\x00\x00"
	    "\x06\x00" "9P2000", 19) == 0, "Tversion bytes match intro(5)");
	ok(p9_encode(buf, 10, &f, P9_2000) == -EMSGSIZE,
	    "encoding into a short buffer is -EMSGSIZE");
	f.type = P9_Topen;
	ok(p9_encode(buf, sizeof buf, &f, P9_2000L) == -EINVAL,
	    "Topen cannot be encoded in 9P2000.L");
	ok(p9_typebyname("twalk") == P9_Twalk && p9_typebyname("Tnope") == -1,
	    "type names resolve");
}

int
main(void)
{
	int ntypes = 0;

	for (int t = 0; t < 256; t++) {
		if (p9_typename(t) == NULL)
			continue;
		ntypes++;
		for (int d = P9_2000; d <= P9_2000L; d++)
			if (p9_type_in(t, (enum p9_dialect)d))
				for (int k = 0; k < 4; k++)
					roundtrip(t, (enum p9_dialect)d);
	}
	is(ntypes, 27 + 39, "the table holds every message of the three "
	    "dialects");
	plan9_lines();
	return done();
}

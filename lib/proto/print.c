/*
 * print.c - render a message in Plan 9's one-line style
 *   Twalk tag 1 fid 0 newfid 1 nwname 2 0:usr 1:bin
 * and as a JSON object holding every field, both by walking the message
 * table.  Output is snprintf-like: truncated to cap, returns the length
 * it wanted.
 */
#include <stdio.h>
#include <string.h>

#include "p9int.h"

/*
 * Output helpers, snprintf-like (the text is cut at cap and NUL-terminated
 * while len counts what was wanted).  9ptrace prints millions of lines:
 * names, numbers and plain strings are copied directly rather than
 * through vsnprintf.
 */
void
p9__out_fmt(struct p9__out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->cap ? o->p + o->len : NULL,
	    o->len < o->cap ? o->cap - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

void
p9__out_raw(struct p9__out *o, const char *s, size_t n)
{
	if (o->len + 1 < o->cap) {
		size_t k = o->cap - o->len - 1;

		if (k > n)
			k = n;
		memcpy(o->p + o->len, s, k);
		o->p[o->len + k] = '\0';
	}
	o->len += n;
}

void
p9__out_str(struct p9__out *o, const char *s)
{
	p9__out_raw(o, s, strlen(s));
}

void
p9__out_u64(struct p9__out *o, uint64_t v)
{
	char b[24];
	int i = sizeof b;

	do
		b[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	p9__out_raw(o, b + i, sizeof b - (size_t)i);
}

/* v in base 8 or 16 with C's prefix, as %#llo / %#llx print it */
static void
out_based(struct p9__out *o, uint64_t v, int base)
{
	static const char dig[] = "0123456789abcdef";
	char b[32];
	int i = sizeof b;

	if (v == 0) {
		p9__out_raw(o, "0", 1);
		return;
	}
	for (; v; v /= (unsigned)base)
		b[--i] = dig[v % (unsigned)base];
	if (base == 16)
		b[--i] = 'x';
	b[--i] = '0';
	p9__out_raw(o, b + i, sizeof b - (size_t)i);
}

#define emit	p9__out_fmt

static int
plain(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '\'')
			return 0;
	return n > 0;
}

/* A string, quoted Plan 9 style when it holds anything but plain text. */
static void
emit_str(struct p9__out *o, const uint8_t *s, size_t n, size_t max)
{
	size_t m = n < max ? n : max;

	if (plain(s, m) && m == n) {
		p9__out_raw(o, (const char *)s, n);
		return;
	}
	p9__out_raw(o, "'", 1);
	for (size_t i = 0, run = 0; i <= m; i++) {
		/* runs of printable bytes are copied whole */
		if (i < m && s[i] >= ' ' && s[i] < 0x7f && s[i] != '\'')
			continue;
		p9__out_raw(o, (const char *)s + run, i - run);
		run = i + 1;
		if (i == m)
			break;
		if (s[i] == '\'')
			p9__out_raw(o, "''", 2);
		else if (s[i] == '\n')
			p9__out_raw(o, "\\n", 2);
		else
			emit(o, "\\x%02x", s[i]);
	}
	p9__out_raw(o, m < n ? "'..." : "'", m < n ? 4 : 1);
}

static void
emit_qid(struct p9__out *o, const struct p9_qid *q)
{
	static const char bits[] = "dalmAtLH";
	char t[9];
	int n = 0;

	for (int i = 0; i < 8; i++)
		if (q->type & (0x80 >> i))
			t[n++] = bits[i];
	t[n] = '\0';
	{
		static const char dig[] = "0123456789abcdef";
		char b[18];

		b[0] = '(';
		for (int i = 0; i < 16; i++)
			b[1 + i] = dig[(q->path >> (60 - 4 * i)) & 15];
		b[17] = ' ';
		p9__out_raw(o, b, 18);
		p9__out_u64(o, q->version);
		p9__out_raw(o, " ", 1);
		p9__out_raw(o, t, (size_t)n);
		p9__out_raw(o, ")", 1);
	}
}

static void
emit_data(struct p9__out *o, const uint8_t *d, uint32_t n, size_t max)
{
	size_t m = n < max ? n : max;
	int text = 1;

	for (size_t i = 0; i < m; i++)
		if ((d[i] < ' ' && d[i] != '\n' && d[i] != '\t') || d[i] >= 0x7f)
			text = 0;
	if (m == 0)
		return;
	emit(o, " ");
	if (text) {
		emit_str(o, d, n, max);
		return;
	}
	for (size_t i = 0; i < m; i++) {
		static const char dig[] = "0123456789abcdef";
		char h[2] = { dig[d[i] >> 4], dig[d[i] & 15] };

		p9__out_raw(o, h, 2);
	}
	if (m < n)
		p9__out_raw(o, "...", 3);
}

static void
emit_errno(struct p9__out *o, uint32_t e, int text)
{
	const char *nm = p9_errno_name(e);

	if (nm && text)
		emit(o, " (%s: %s)", nm, strerror(p9_errno_from_linux(e)));
	else if (nm)
		emit(o, " (%s)", nm);
}

static void emit_stat(struct p9__out *o, const struct p9_stat *st,
    enum p9_dialect d);

/* Directory entries in a reply's data: .L dirents or 9P2000 stats. */
static void
emit_dirents(struct p9__out *o, const struct p9_fcall *f, enum p9_dialect d,
    int kind, int verbose, size_t max)
{
	const uint8_t *p = f->data, *end = f->data + f->count;
	size_t shown = 0;
	unsigned n = 0;

	if (!verbose) {
		/* count first: "3 entries: . .. a" */
		for (const uint8_t *q = p; q < end;) {
			struct p9_dirent de;
			struct p9_stat st;
			ssize_t k = kind == 1 ? p9_dirent_decode(q,
			    (size_t)(end - q), &de) : p9_stat_decode(q,
			    (size_t)(end - q), d, &st);

			if (k <= 0)
				break;
			q += k;
			n++;
		}
		emit(o, " [%u entr%s%s", n, n == 1 ? "y" : "ies", n ? ":" : "");
	}
	while (p < end) {
		struct p9_dirent de;
		struct p9_stat st;
		const struct p9_str *nm = kind == 1 ? &de.name : &st.name;
		ssize_t k = kind == 1 ? p9_dirent_decode(p, (size_t)(end - p),
		    &de) : p9_stat_decode(p, (size_t)(end - p), d, &st);

		if (k <= 0) {
			emit(o, "%smalformed entry at byte %zu",
			    verbose ? "\n\t" : " !", (size_t)(p - f->data));
			break;
		}
		p += k;
		if (verbose && kind == 1) {
			emit(o, "\n\tentry qid ");
			emit_qid(o, &de.qid);
			emit(o, " offset %llu type %u name ",
			    (unsigned long long)de.offset, de.type);
			emit_str(o, (const uint8_t *)nm->s, nm->len, 1024);
		} else if (verbose) {
			emit(o, "\n\tentry ");
			emit_stat(o, &st, d);
		} else if (shown < max) {
			emit(o, " ");
			emit_str(o, (const uint8_t *)nm->s, nm->len, 256);
			shown += nm->len + 1;
		} else {
			emit(o, " ...");
			break;
		}
	}
	if (!verbose)
		emit(o, "]");
}

static void
emit_stat(struct p9__out *o, const struct p9_stat *st, enum p9_dialect d)
{
	emit(o, "stat ");
	emit_str(o, (const uint8_t *)st->name.s, st->name.len, 256);
	emit(o, " ");
	emit_str(o, (const uint8_t *)st->uid.s, st->uid.len, 256);
	emit(o, " ");
	emit_str(o, (const uint8_t *)st->gid.s, st->gid.len, 256);
	emit(o, " ");
	emit_str(o, (const uint8_t *)st->muid.s, st->muid.len, 256);
	emit(o, " q ");
	emit_qid(o, &st->qid);
	emit(o, " m %#o at %u mt %u l %llu t %u d %u", st->mode, st->atime,
	    st->mtime, (unsigned long long)st->length, st->type, st->dev);
	if (d == P9_2000U) {
		emit(o, " ext ");
		emit_str(o, (const uint8_t *)st->extension.s,
		    st->extension.len, 256);
		emit(o, " nuid %u ngid %u nmuid %u", st->n_uid, st->n_gid,
		    st->n_muid);
	}
}

#define MEMBER(f, fd, T)	((const T *)((const char *)(f) + (fd)->off))

int
p9_fmt(char *buf, size_t cap, const struct p9_fcall *f, enum p9_dialect d,
    size_t datamax)
{
	return p9__fmt(buf, cap, f, d, datamax, NULL);
}

int
p9__fmt(char *buf, size_t cap, const struct p9_fcall *f, enum p9_dialect d,
    size_t datamax, const struct p9__fmtx *x)
{
	static const struct p9__fmtx none;
	struct p9__out o = { buf, cap, 0 };
	const struct p9__msgdef *m = p9__msg(f->type);
	const char *sep = x && x->verbose ? "\n\t" : " ";
	int nfid = 0;

	if (cap)
		buf[0] = '\0';
	if (m == NULL) {
		emit(&o, "unknown type %d tag %u", f->type, f->tag);
		return (int)o.len;
	}
	if (x == NULL)
		x = &none;
	p9__out_str(&o, m->name);
	p9__out_raw(&o, " tag ", 5);
	p9__out_u64(&o, f->tag);
	for (const struct p9__fref *r = m->fields; r->field; r++) {
		const struct p9__field *fd = &p9__fields[r->field];
		const struct p9_str *s;
		uint64_t v;

		if (!(r->dialects & (1u << d)))
			continue;
		switch (fd->kind) {
		case P9__K_U8: case P9__K_U16: case P9__K_U32: case P9__K_U64:
			v = p9__getint(f, fd);
			p9__out_str(&o, sep);
			p9__out_str(&o, fd->name);
			p9__out_raw(&o, " ", 1);
			if (fd->fmt == P9__F_OCT)
				out_based(&o, v, 8);
			else if (fd->fmt == P9__F_HEX)
				out_based(&o, v, 16);
			else
				p9__out_u64(&o, v);
			if (fd->fmt == P9__F_FID && nfid < 2 && x->path[nfid] &&
			    v != P9_NOFID) {
				p9__out_raw(&o, "<", 1);
				p9__out_str(&o, x->path[nfid]);
				p9__out_raw(&o, ">", 1);
			}
			if (fd->fmt == P9__F_FID)
				nfid++;
			if (f->type == P9_Rlerror || (f->type == P9_Rerror &&
			    fd->kind == P9__K_U32))
				emit_errno(&o, (uint32_t)v, x->errtext);
			break;
		case P9__K_STR:
			s = MEMBER(f, fd, struct p9_str);
			p9__out_str(&o, sep);
			p9__out_str(&o, fd->name);
			p9__out_raw(&o, " ", 1);
			emit_str(&o, (const uint8_t *)s->s, s->len, 1024);
			break;
		case P9__K_QID:
			p9__out_str(&o, sep);
			p9__out_str(&o, fd->name);
			p9__out_raw(&o, " ", 1);
			emit_qid(&o, MEMBER(f, fd, struct p9_qid));
			break;
		case P9__K_WNAMES:
			emit(&o, "%snwname %u", sep, f->nwname);
			for (int i = 0; i < f->nwname && i < P9_MAXWELEM; i++) {
				emit(&o, " %d:", i);
				emit_str(&o, (const uint8_t *)f->wname[i].s,
				    f->wname[i].len, 1024);
			}
			break;
		case P9__K_WQIDS:
			emit(&o, "%snwqid %u", sep, f->nwqid);
			for (int i = 0; i < f->nwqid && i < P9_MAXWELEM; i++) {
				emit(&o, "%s%d:", x->verbose ? sep : " ", i);
				emit_qid(&o, &f->wqid[i]);
			}
			break;
		case P9__K_DATA:
			p9__out_str(&o, sep);
			p9__out_raw(&o, "count ", 6);
			p9__out_u64(&o, f->count);
			if (f->data && x->dirents)
				emit_dirents(&o, f, d, x->dirents, x->verbose,
				    datamax);
			else if (f->data) {
				if (x->verbose)
					emit(&o, "%sdata", sep);
				emit_data(&o, f->data, f->count, datamax);
			}
			break;
		case P9__K_STAT:
			emit(&o, "%s", sep);
			emit_stat(&o, &f->stat, d);
			break;
		}
	}
	return (int)o.len;
}

static void
json_strval(struct p9__out *o, const uint8_t *s, size_t n)
{
	emit(o, "\"");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			emit(o, "\\%c", s[i]);
		else if (s[i] >= ' ' && s[i] < 0x7f)
			emit(o, "%c", s[i]);
		else
			emit(o, "\\u%04x", s[i]);
	}
	emit(o, "\"");
}

static void
json_str(struct p9__out *o, const char *key, const uint8_t *s, size_t n)
{
	emit(o, ",\"%s\":", key);
	json_strval(o, s, n);
}

static void
json_qid(struct p9__out *o, const struct p9_qid *q)
{
	emit(o, "{\"type\":%u,\"version\":%u,\"path\":%llu}", q->type,
	    q->version, (unsigned long long)q->path);
}

static void
json_statobj(struct p9__out *o, const struct p9_stat *st, enum p9_dialect d)
{
	emit(o, "{\"type\":%u,\"dev\":%u,\"qid\":", st->type, st->dev);
	json_qid(o, &st->qid);
	emit(o, ",\"mode\":%u,\"atime\":%u,\"mtime\":%u,\"length\":%llu",
	    st->mode, st->atime, st->mtime, (unsigned long long)st->length);
	json_str(o, "name", (const uint8_t *)st->name.s, st->name.len);
	json_str(o, "uid", (const uint8_t *)st->uid.s, st->uid.len);
	json_str(o, "gid", (const uint8_t *)st->gid.s, st->gid.len);
	json_str(o, "muid", (const uint8_t *)st->muid.s, st->muid.len);
	if (d == P9_2000U) {
		json_str(o, "extension", (const uint8_t *)st->extension.s,
		    st->extension.len);
		emit(o, ",\"n_uid\":%u,\"n_gid\":%u,\"n_muid\":%u", st->n_uid,
		    st->n_gid, st->n_muid);
	}
	emit(o, "}");
}

static void
json_stat(struct p9__out *o, const struct p9_stat *st, enum p9_dialect d)
{
	emit(o, ",\"stat\":");
	json_statobj(o, st, d);
}

static void
json_dirents(struct p9__out *o, const struct p9_fcall *f, enum p9_dialect d,
    int kind)
{
	const uint8_t *p = f->data, *end = f->data + f->count;

	emit(o, ",\"entries\":[");
	while (p < end) {
		struct p9_dirent de;
		struct p9_stat st;
		ssize_t k = kind == 1 ? p9_dirent_decode(p, (size_t)(end - p),
		    &de) : p9_stat_decode(p, (size_t)(end - p), d, &st);

		if (k <= 0)
			break;
		if (p != f->data)
			emit(o, ",");
		p += k;
		if (kind == 1) {
			emit(o, "{\"qid\":");
			json_qid(o, &de.qid);
			emit(o, ",\"offset\":%llu,\"type\":%u",
			    (unsigned long long)de.offset, de.type);
			json_str(o, "name", (const uint8_t *)de.name.s,
			    de.name.len);
			emit(o, "}");
		} else {
			json_statobj(o, &st, d);
		}
	}
	emit(o, "]");
	if (p < end)
		emit(o, ",\"entries_malformed_at\":%zu", (size_t)(p - f->data));
}

int
p9_fmt_json(char *buf, size_t cap, const struct p9_fcall *f,
    enum p9_dialect d, size_t datamax)
{
	return p9__fmt_json(buf, cap, f, d, datamax, NULL);
}

int
p9__fmt_json(char *buf, size_t cap, const struct p9_fcall *f,
    enum p9_dialect d, size_t datamax, const struct p9__fmtx *x)
{
	static const struct p9__fmtx none;
	struct p9__out o = { buf, cap, 0 };
	const struct p9__msgdef *m = p9__msg(f->type);
	int nfid = 0;

	if (x == NULL)
		x = &none;
	if (cap)
		buf[0] = '\0';
	if (m == NULL) {
		emit(&o, "{\"type\":null,\"typenum\":%d,\"tag\":%u}", f->type,
		    f->tag);
		return (int)o.len;
	}
	emit(&o, "{\"type\":\"%s\",\"tag\":%u", m->name, f->tag);
	for (const struct p9__fref *r = m->fields; r->field; r++) {
		const struct p9__field *fd = &p9__fields[r->field];
		const struct p9_str *s;

		if (!(r->dialects & (1u << d)))
			continue;
		switch (fd->kind) {
		case P9__K_U8: case P9__K_U16: case P9__K_U32: case P9__K_U64:
			emit(&o, ",\"%s\":%llu", fd->name,
			    (unsigned long long)p9__getint(f, fd));
			if (fd->fmt == P9__F_FID && nfid < 2 && x->path[nfid]) {
				emit(&o, ",\"%s_path\":", fd->name);
				json_strval(&o, (const uint8_t *)x->path[nfid],
				    strlen(x->path[nfid]));
			}
			if (fd->fmt == P9__F_FID)
				nfid++;
			if (f->type == P9_Rlerror || (f->type == P9_Rerror &&
			    fd->kind == P9__K_U32)) {
				const char *nm = p9_errno_name(f->ecode);

				if (nm)
					emit(&o, ",\"errname\":\"%s\"", nm);
				if (nm && x->errtext) {
					const char *t = strerror(
					    p9_errno_from_linux(f->ecode));

					json_str(&o, "errtext",
					    (const uint8_t *)t, strlen(t));
				}
			}
			break;
		case P9__K_STR:
			s = MEMBER(f, fd, struct p9_str);
			json_str(&o, fd->name, (const uint8_t *)s->s, s->len);
			break;
		case P9__K_QID:
			emit(&o, ",\"%s\":", fd->name);
			json_qid(&o, MEMBER(f, fd, struct p9_qid));
			break;
		case P9__K_WNAMES:
			emit(&o, ",\"nwname\":%u,\"wname\":[", f->nwname);
			for (int i = 0; i < f->nwname && i < P9_MAXWELEM; i++) {
				if (i)
					emit(&o, ",");
				json_strval(&o, (const uint8_t *)f->wname[i].s,
				    f->wname[i].len);
			}
			emit(&o, "]");
			break;
		case P9__K_WQIDS:
			emit(&o, ",\"nwqid\":%u,\"wqid\":[", f->nwqid);
			for (int i = 0; i < f->nwqid && i < P9_MAXWELEM; i++) {
				if (i)
					emit(&o, ",");
				json_qid(&o, &f->wqid[i]);
			}
			emit(&o, "]");
			break;
		case P9__K_DATA:
			emit(&o, ",\"count\":%u,\"data\":\"", f->count);
			for (size_t i = 0; f->data && i < f->count && i < datamax; i++)
				emit(&o, "%02x", f->data[i]);
			emit(&o, "\"");
			if (f->count > datamax)
				emit(&o, ",\"data_truncated\":true");
			if (f->data && x->dirents)
				json_dirents(&o, f, d, x->dirents);
			break;
		case P9__K_STAT:
			json_stat(&o, &f->stat, d);
			break;
		}
	}
	emit(&o, "}");
	return (int)o.len;
}

/*
 * print.c - render a message in Plan 9's one-line style
 *   Twalk tag 1 fid 0 newfid 1 nwname 2 0:usr 1:bin
 * and as a JSON object holding every field, both by walking the message
 * table.  Output is snprintf-like: truncated to cap, returns the length
 * it wanted.
 */
#include <stdio.h>

#include "p9int.h"

struct out {
	char	*p;
	size_t	 cap, len;
};

static void __attribute__((format(printf, 2, 3)))
emit(struct out *o, const char *fmt, ...)
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
emit_str(struct out *o, const uint8_t *s, size_t n, size_t max)
{
	size_t m = n < max ? n : max;

	if (plain(s, m) && m == n) {
		emit(o, "%.*s", (int)n, (const char *)s);
		return;
	}
	emit(o, "'");
	for (size_t i = 0; i < m; i++) {
		if (s[i] == '\'')
			emit(o, "''");
		else if (s[i] == '\n')
			emit(o, "\\n");
		else if (s[i] >= ' ' && s[i] < 0x7f)
			emit(o, "%c", s[i]);
		else
			emit(o, "\\x%02x", s[i]);
	}
	emit(o, "'%s", m < n ? "..." : "");
}

static void
emit_qid(struct out *o, const struct p9_qid *q)
{
	static const char bits[] = "dalmAtLH";
	char t[9];
	int n = 0;

	for (int i = 0; i < 8; i++)
		if (q->type & (0x80 >> i))
			t[n++] = bits[i];
	t[n] = '\0';
	emit(o, "(%016llx %u %s)", (unsigned long long)q->path, q->version, t);
}

static void
emit_data(struct out *o, const uint8_t *d, uint32_t n, size_t max)
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
	for (size_t i = 0; i < m; i++)
		emit(o, "%02x", d[i]);
	if (m < n)
		emit(o, "...");
}

static void
emit_errno(struct out *o, uint32_t e)
{
	const char *nm = p9_errno_name(e);

	if (nm)
		emit(o, " (%s)", nm);
}

static void
emit_stat(struct out *o, const struct p9_stat *st, enum p9_dialect d)
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
	struct out o = { buf, cap, 0 };
	const struct p9__msgdef *m = p9__msg(f->type);

	if (cap)
		buf[0] = '\0';
	if (m == NULL) {
		emit(&o, "unknown type %d tag %u", f->type, f->tag);
		return (int)o.len;
	}
	emit(&o, "%s tag %u", m->name, f->tag);
	for (const struct p9__fref *r = m->fields; r->field; r++) {
		const struct p9__field *fd = &p9__fields[r->field];
		const struct p9_str *s;
		uint64_t v;

		if (!(r->dialects & (1u << d)))
			continue;
		switch (fd->kind) {
		case P9__K_U8: case P9__K_U16: case P9__K_U32: case P9__K_U64:
			v = p9__getint(f, fd);
			if (fd->fmt == P9__F_OCT)
				emit(&o, " %s %#llo", fd->name, (unsigned long long)v);
			else if (fd->fmt == P9__F_HEX)
				emit(&o, " %s %#llx", fd->name, (unsigned long long)v);
			else
				emit(&o, " %s %llu", fd->name, (unsigned long long)v);
			if (f->type == P9_Rlerror || (f->type == P9_Rerror &&
			    fd->kind == P9__K_U32))
				emit_errno(&o, (uint32_t)v);
			break;
		case P9__K_STR:
			s = MEMBER(f, fd, struct p9_str);
			emit(&o, " %s ", fd->name);
			emit_str(&o, (const uint8_t *)s->s, s->len, 1024);
			break;
		case P9__K_QID:
			emit(&o, " %s ", fd->name);
			emit_qid(&o, MEMBER(f, fd, struct p9_qid));
			break;
		case P9__K_WNAMES:
			emit(&o, " nwname %u", f->nwname);
			for (int i = 0; i < f->nwname && i < P9_MAXWELEM; i++) {
				emit(&o, " %d:", i);
				emit_str(&o, (const uint8_t *)f->wname[i].s,
				    f->wname[i].len, 1024);
			}
			break;
		case P9__K_WQIDS:
			emit(&o, " nwqid %u", f->nwqid);
			for (int i = 0; i < f->nwqid && i < P9_MAXWELEM; i++) {
				emit(&o, " %d:", i);
				emit_qid(&o, &f->wqid[i]);
			}
			break;
		case P9__K_DATA:
			emit(&o, " count %u", f->count);
			if (f->data)
				emit_data(&o, f->data, f->count, datamax);
			break;
		case P9__K_STAT:
			emit(&o, " ");
			emit_stat(&o, &f->stat, d);
			break;
		}
	}
	return (int)o.len;
}

static void
json_strval(struct out *o, const uint8_t *s, size_t n)
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
json_str(struct out *o, const char *key, const uint8_t *s, size_t n)
{
	emit(o, ",\"%s\":", key);
	json_strval(o, s, n);
}

static void
json_qid(struct out *o, const struct p9_qid *q)
{
	emit(o, "{\"type\":%u,\"version\":%u,\"path\":%llu}", q->type,
	    q->version, (unsigned long long)q->path);
}

static void
json_stat(struct out *o, const struct p9_stat *st, enum p9_dialect d)
{
	emit(o, ",\"stat\":{\"type\":%u,\"dev\":%u,\"qid\":", st->type, st->dev);
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

int
p9_fmt_json(char *buf, size_t cap, const struct p9_fcall *f,
    enum p9_dialect d, size_t datamax)
{
	struct out o = { buf, cap, 0 };
	const struct p9__msgdef *m = p9__msg(f->type);

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
			if (f->type == P9_Rlerror || (f->type == P9_Rerror &&
			    fd->kind == P9__K_U32)) {
				const char *nm = p9_errno_name(f->ecode);

				if (nm)
					emit(&o, ",\"errname\":\"%s\"", nm);
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
			break;
		case P9__K_STAT:
			json_stat(&o, &f->stat, d);
			break;
		}
	}
	emit(&o, "}");
	return (int)o.len;
}
